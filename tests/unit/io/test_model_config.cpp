// ModelConfig parsing, one test per architecture. The JSON bodies are abridged copies of the
// config.json files the named Hugging Face / mlx-community repos ship (fields that do not
// matter to us removed), in both transformers 4.x and 5.x spellings.
#include "engine/io/model_config.hpp"

#include <gtest/gtest.h>

#include "abstractllm/errors.hpp"
#include "test_util.hpp"

namespace abstractllm::engine {
namespace {

using testing::TempDir;
using testing::write_text;

ModelConfig parse(const std::string& s) { return ModelConfig::from_json_text(s); }

// meta-llama/Llama-3.2-1B-Instruct (mlx-community 4-bit adds "quantization").
const char* kLlama32 = R"({
  "architectures": ["LlamaForCausalLM"], "attention_bias": false, "bos_token_id": 128000,
  "eos_token_id": [128001, 128008, 128009], "head_dim": 64, "hidden_act": "silu",
  "hidden_size": 2048, "intermediate_size": 8192, "max_position_embeddings": 131072,
  "mlp_bias": false, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 16,
  "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
  "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
  "vocab_size": 128256,
  "quantization": {"group_size": 64, "bits": 4},
  "quantization_config": {"group_size": 64, "bits": 4}})";

TEST(ModelConfig, Llama32) {
  auto c = parse(kLlama32);
  EXPECT_EQ(c.arch, "llama");
  EXPECT_EQ(c.hidden_size, 2048);
  EXPECT_EQ(c.intermediate_size, 8192);
  EXPECT_EQ(c.num_hidden_layers, 16);
  EXPECT_EQ(c.num_attention_heads, 32);
  EXPECT_EQ(c.num_key_value_heads, 8);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.vocab_size, 128256);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-5);
  EXPECT_EQ(c.rope.type, RopeType::Llama3);
  EXPECT_DOUBLE_EQ(c.rope.theta, 500000.0);
  EXPECT_DOUBLE_EQ(c.rope.factor, 32.0);
  EXPECT_DOUBLE_EQ(c.rope.low_freq_factor, 1.0);
  EXPECT_DOUBLE_EQ(c.rope.high_freq_factor, 4.0);
  EXPECT_EQ(c.rope.original_max_position_embeddings, 8192);
  EXPECT_EQ(c.rope_local, c.rope);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.hidden_act, Activation::Silu);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_EQ(c.bos_token_id, 128000);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{128001, 128008, 128009}));
  EXPECT_EQ(c.dtype, "bfloat16");
  EXPECT_TRUE(c.quantization.present);
  EXPECT_EQ(c.quantization.defaults, (QuantParams{4, 64, "affine"}));
  EXPECT_EQ(c.layer_types.size(), 16u);
  EXPECT_FALSE(c.is_sliding(0));
  EXPECT_DOUBLE_EQ(c.attention_scale(), 1.0 / 8.0);
  EXPECT_EQ(c.rotary_dim(), 64);
  EXPECT_FALSE(c.scale_embeddings);
}

TEST(ModelConfig, Llama32Transformers5Spelling) {
  // transformers 5.x: rope_parameters carries rope_theta; dtype instead of torch_dtype.
  auto c = parse(R"({"model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192,
    "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8,
    "rms_norm_eps": 1e-05, "vocab_size": 128256, "dtype": "bfloat16",
    "rope_parameters": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
      "original_max_position_embeddings": 8192, "rope_type": "llama3", "rope_theta": 500000.0}})");
  auto ref = parse(kLlama32);
  EXPECT_EQ(c.rope, ref.rope);
  EXPECT_EQ(c.dtype, "bfloat16");
  EXPECT_EQ(c.head_dim, 64);  // derived: hidden / heads
  EXPECT_TRUE(c.tie_word_embeddings);  // mlx-lm llama default
}

TEST(ModelConfig, Mistral) {
  // mistralai/Mistral-7B-Instruct-v0.3
  auto c = parse(R"({"architectures": ["MistralForCausalLM"], "bos_token_id": 1,
    "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 14336,
    "max_position_embeddings": 32768, "model_type": "mistral", "num_attention_heads": 32,
    "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
    "rope_theta": 1000000.0, "sliding_window": null, "tie_word_embeddings": false,
    "torch_dtype": "bfloat16", "vocab_size": 32768})");
  EXPECT_EQ(c.arch, "mistral");
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_FALSE(c.sliding_window.has_value());
  EXPECT_FALSE(c.is_sliding(31));
  EXPECT_EQ(c.rope.type, RopeType::Default);
  EXPECT_DOUBLE_EQ(c.rope.theta, 1e6);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{2}));
  // v0.1 had a 4096-token sliding window on every layer.
  auto v01 = parse(R"({"model_type": "mistral", "hidden_size": 4096, "intermediate_size": 14336,
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
    "rms_norm_eps": 1e-05, "sliding_window": 4096, "vocab_size": 32000})");
  EXPECT_EQ(v01.sliding_window, 4096);
  EXPECT_TRUE(v01.is_sliding(0));
  EXPECT_TRUE(v01.is_sliding(31));
}

TEST(ModelConfig, Qwen2) {
  // Qwen/Qwen2.5-0.5B-Instruct
  auto c = parse(R"({"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0,
    "bos_token_id": 151643, "eos_token_id": 151645, "hidden_act": "silu", "hidden_size": 896,
    "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 21,
    "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24,
    "num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
    "sliding_window": 32768, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
    "use_cache": true, "use_sliding_window": false, "vocab_size": 151936})");
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_TRUE(c.attention_bias);  // Qwen2 always has q/k/v biases
  EXPECT_FALSE(c.o_proj_bias);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_FALSE(c.is_sliding(23));  // use_sliding_window false
  EXPECT_FALSE(c.qk_norm);
  // generation_config.json adds eos ids.
  nlohmann::json gen = {{"eos_token_id", {151645, 151643}}, {"bos_token_id", 151643}};
  auto g = ModelConfig::from_json(c.raw, &gen);
  EXPECT_EQ(g.eos_token_ids, (std::vector<int64_t>{151645, 151643}));
}

TEST(ModelConfig, Qwen3) {
  // Qwen/Qwen3-0.6B
  auto c = parse(R"({"architectures": ["Qwen3ForCausalLM"], "attention_bias": false,
    "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu",
    "hidden_size": 1024, "intermediate_size": 3072, "max_position_embeddings": 40960,
    "max_window_layers": 28, "model_type": "qwen3", "num_attention_heads": 16,
    "num_hidden_layers": 28, "num_key_value_heads": 8, "rms_norm_eps": 1e-06,
    "rope_scaling": null, "rope_theta": 1000000, "sliding_window": null,
    "tie_word_embeddings": true, "torch_dtype": "bfloat16", "use_sliding_window": false,
    "vocab_size": 151936})");
  EXPECT_EQ(c.head_dim, 128);  // not hidden/heads (64)
  EXPECT_TRUE(c.qk_norm);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_DOUBLE_EQ(c.rope.theta, 1e6);
  EXPECT_EQ(c.rope.type, RopeType::Default);
  EXPECT_DOUBLE_EQ(c.attention_scale(), 1.0 / std::sqrt(128.0));
}

TEST(ModelConfig, Phi3LongRope) {
  // microsoft/Phi-3-mini-128k-instruct (factors shortened to the 48 entries head_dim 96 needs)
  std::string longf = "[", shortf = "[";
  for (int i = 0; i < 48; ++i) {
    if (i) {
      longf += ',';
      shortf += ',';
    }
    longf += std::to_string(1.0 + i * 0.5);
    shortf += "1.0";
  }
  longf += "]";
  shortf += "]";
  auto c = parse(R"({"architectures": ["Phi3ForCausalLM"], "bos_token_id": 1,
    "eos_token_id": 32000, "hidden_act": "silu", "hidden_size": 3072,
    "intermediate_size": 8192, "max_position_embeddings": 131072, "model_type": "phi3",
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
    "original_max_position_embeddings": 4096, "rms_norm_eps": 1e-05,
    "rope_scaling": {"long_factor": )" + longf + R"(, "short_factor": )" + shortf +
                 R"(, "type": "longrope"}, "rope_theta": 10000.0, "sliding_window": 262144,
    "tie_word_embeddings": false, "torch_dtype": "bfloat16", "vocab_size": 32064})");
  EXPECT_EQ(c.arch, "phi3");
  EXPECT_EQ(c.head_dim, 96);
  EXPECT_EQ(c.rope.type, RopeType::LongRope);
  EXPECT_EQ(c.rope.original_max_position_embeddings, 4096);  // from top level
  ASSERT_EQ(c.rope.long_factor.size(), 48u);
  EXPECT_DOUBLE_EQ(c.rope.long_factor[2], 2.0);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.max_position_embeddings, 131072);
  // Wrong number of factors is caught.
  auto bad = c.raw;
  bad["rope_scaling"]["long_factor"] = {1.0, 2.0};
  EXPECT_THROW(ModelConfig::from_json(bad), ModelLoadingError);
  // "su" is the older name; partial rotary factor (phi-3.5-MoE style) is kept.
  auto su = c.raw;
  su["rope_scaling"]["type"] = "su";
  EXPECT_EQ(ModelConfig::from_json(su).rope.type, RopeType::LongRope);
  auto partial = c.raw;
  partial["partial_rotary_factor"] = 0.5;
  partial["rope_scaling"] = nullptr;
  EXPECT_EQ(ModelConfig::from_json(partial).rotary_dim(), 48);
  EXPECT_EQ(ModelConfig::from_json(partial).rope.type, RopeType::Default);
}

TEST(ModelConfig, Gemma) {
  // google/gemma-2b
  auto c = parse(R"({"architectures": ["GemmaForCausalLM"], "bos_token_id": 2,
    "eos_token_id": 1, "head_dim": 256, "hidden_act": "gelu", "hidden_size": 2048,
    "intermediate_size": 16384, "max_position_embeddings": 8192, "model_type": "gemma",
    "num_attention_heads": 8, "num_hidden_layers": 18, "num_key_value_heads": 1,
    "pad_token_id": 0, "rms_norm_eps": 1e-06, "rope_theta": 10000.0,
    "torch_dtype": "bfloat16", "vocab_size": 256000})");
  EXPECT_EQ(c.hidden_act, Activation::GeluTanh);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_TRUE(c.scale_embeddings);
  EXPECT_TRUE(c.norm_weight_plus_one);
  EXPECT_EQ(c.num_key_value_heads, 1);
  EXPECT_EQ(c.pad_token_id, 0);
  EXPECT_DOUBLE_EQ(c.attn_logit_softcapping, 0.0);
}

TEST(ModelConfig, Gemma2) {
  // google/gemma-2-2b-it
  auto c = parse(R"({"architectures": ["Gemma2ForCausalLM"], "attn_logit_softcapping": 50.0,
    "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": [1, 107],
    "final_logit_softcapping": 30.0, "head_dim": 256, "hidden_act": "gelu_pytorch_tanh",
    "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 2304,
    "intermediate_size": 9216, "max_position_embeddings": 8192, "model_type": "gemma2",
    "num_attention_heads": 8, "num_hidden_layers": 26, "num_key_value_heads": 4,
    "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_theta": 10000.0,
    "sliding_window": 4096, "torch_dtype": "float32", "vocab_size": 256000})");
  EXPECT_DOUBLE_EQ(c.attn_logit_softcapping, 50.0);
  EXPECT_DOUBLE_EQ(c.final_logit_softcapping, 30.0);
  EXPECT_DOUBLE_EQ(*c.query_pre_attn_scalar, 256.0);
  EXPECT_DOUBLE_EQ(c.attention_scale(), 1.0 / 16.0);
  EXPECT_EQ(c.sliding_window, 4096);
  EXPECT_TRUE(c.is_sliding(0));  // even layers slide
  EXPECT_FALSE(c.is_sliding(1));
  EXPECT_TRUE(c.is_sliding(24));
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{1, 107}));
}

TEST(ModelConfig, Gemma3TextTransformers4) {
  // google/gemma-3-1b-it
  auto c = parse(R"({"architectures": ["Gemma3ForCausalLM"], "attn_logit_softcapping": null,
    "bos_token_id": 2, "eos_token_id": [1, 106], "final_logit_softcapping": null,
    "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 1152,
    "intermediate_size": 6912, "max_position_embeddings": 32768, "model_type": "gemma3_text",
    "num_attention_heads": 4, "num_hidden_layers": 26, "num_key_value_heads": 1,
    "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000,
    "rope_scaling": null, "rope_theta": 1000000, "sliding_window": 512,
    "sliding_window_pattern": 6, "torch_dtype": "bfloat16", "vocab_size": 262144})");
  EXPECT_EQ(c.arch, "gemma3_text");
  EXPECT_EQ(c.sliding_window, 512);
  // Layers 5, 11, 17, 23 are global; all others slide.
  for (int i = 0; i < 26; ++i) EXPECT_EQ(c.is_sliding(i), (i + 1) % 6 != 0) << i;
  EXPECT_DOUBLE_EQ(c.rope.theta, 1e6);
  EXPECT_DOUBLE_EQ(c.rope_local.theta, 10000.0);
  EXPECT_EQ(c.rope_local.type, RopeType::Default);
  EXPECT_TRUE(c.qk_norm);
  EXPECT_DOUBLE_EQ(c.final_logit_softcapping, 0.0);
  EXPECT_EQ(c.hidden_act, Activation::GeluTanh);
}

TEST(ModelConfig, Gemma3TextTransformers5) {
  // The same model as written by transformers 5: layer_types + nested rope_parameters.
  std::string types = "[";
  for (int i = 0; i < 26; ++i) {
    types += std::string(i ? "," : "") +
             ((i + 1) % 6 == 0 ? "\"full_attention\"" : "\"sliding_attention\"");
  }
  types += "]";
  auto c = parse(R"({"model_type": "gemma3_text", "head_dim": 256, "hidden_size": 1152,
    "intermediate_size": 6912, "num_attention_heads": 4, "num_hidden_layers": 26,
    "num_key_value_heads": 1, "rms_norm_eps": 1e-06, "sliding_window": 512,
    "vocab_size": 262144, "dtype": "bfloat16", "layer_types": )" + types + R"(,
    "rope_parameters": {"full_attention": {"rope_type": "linear", "factor": 8.0,
                                           "rope_theta": 1000000.0},
                        "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}}})");
  for (int i = 0; i < 26; ++i) EXPECT_EQ(c.is_sliding(i), (i + 1) % 6 != 0) << i;
  EXPECT_EQ(c.rope.type, RopeType::Linear);
  EXPECT_DOUBLE_EQ(c.rope.factor, 8.0);
  EXPECT_DOUBLE_EQ(c.rope.theta, 1e6);
  EXPECT_EQ(c.rope_local.type, RopeType::Default);
  EXPECT_DOUBLE_EQ(c.rope_local.theta, 10000.0);
  EXPECT_EQ(c.dtype, "bfloat16");
}

TEST(ModelConfig, Gemma3WrapperWithTextConfig) {
  // mlx-community/gemma-3-4b-it-4bit: multimodal wrapper, quantization at the top level.
  auto c = parse(R"({"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
    "eos_token_id": [1, 106], "boi_token_index": 255999,
    "quantization": {"group_size": 64, "bits": 4,
                     "language_model.model.layers.0.mlp.down_proj": {"group_size": 64, "bits": 8},
                     "vision_tower.x": false},
    "text_config": {"hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
      "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
      "sliding_window": 1024},
    "vision_config": {"model_type": "siglip_vision_model"}})");
  EXPECT_EQ(c.model_type, "gemma3");
  EXPECT_EQ(c.arch, "gemma3_text");
  EXPECT_EQ(c.head_dim, 256);
  EXPECT_EQ(c.num_attention_heads, 8);  // Gemma3TextConfig defaults
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_EQ(c.vocab_size, 262208);
  EXPECT_EQ(c.rope.type, RopeType::Linear);  // global layers scaled ...
  EXPECT_DOUBLE_EQ(c.rope.factor, 8.0);
  EXPECT_EQ(c.rope_local.type, RopeType::Default);  // ... local ones not
  EXPECT_DOUBLE_EQ(c.rope_local.theta, 10000.0);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{1, 106}));
  EXPECT_EQ(c.layer_types.size(), 34u);
  EXPECT_TRUE(c.quantization.present);
  EXPECT_EQ(c.quantization.for_module("language_model.model.layers.0.mlp.down_proj")->bits, 8);
  EXPECT_EQ(c.quantization.for_module("language_model.model.layers.1.mlp.down_proj")->bits, 4);
  EXPECT_FALSE(c.quantization.for_module("vision_tower.x").has_value());
}

TEST(ModelConfig, RopeVariants) {
  auto base = nlohmann::json::parse(kLlama32);
  base["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
  EXPECT_EQ(ModelConfig::from_json(base).rope.type, RopeType::Linear);
  base["rope_scaling"] = {{"type", "dynamic"}, {"factor", 2.0}};
  EXPECT_EQ(ModelConfig::from_json(base).rope.type, RopeType::Dynamic);
  base["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}, {"beta_fast", 16},
                          {"beta_slow", 2}, {"mscale", 0.707}, {"mscale_all_dim", 1.0},
                          {"original_max_position_embeddings", 32768},
                          {"attention_factor", 1.2}};
  auto y = ModelConfig::from_json(base).rope;
  EXPECT_EQ(y.type, RopeType::Yarn);
  EXPECT_DOUBLE_EQ(y.beta_fast, 16);
  EXPECT_DOUBLE_EQ(y.beta_slow, 2);
  EXPECT_DOUBLE_EQ(y.mscale, 0.707);
  EXPECT_DOUBLE_EQ(y.mscale_all_dim, 1.0);
  EXPECT_EQ(y.original_max_position_embeddings, 32768);
  EXPECT_DOUBLE_EQ(*y.attention_factor, 1.2);
  base["rope_scaling"] = {{"rope_type", "mrope"}};
  EXPECT_THROW(ModelConfig::from_json(base), UnsupportedModelError);
}

TEST(ModelConfig, ErrorsNameTheField) {
  try {
    parse(R"({"model_type": "gpt2", "hidden_size": 768})");
    FAIL();
  } catch (const UnsupportedModelError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("gpt2"), std::string::npos);
    for (const char* t : {"llama", "mistral", "qwen2", "qwen3", "phi3", "gemma", "gemma2",
                          "gemma3_text"})
      EXPECT_NE(m.find(t), std::string::npos) << t;
  }
  auto expect_field = [](const std::string& json, const std::string& field) {
    try {
      parse(json);
      FAIL() << json;
    } catch (const ModelLoadingError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  auto j = nlohmann::json::parse(kLlama32);
  auto without = [&](const char* k) {
    auto c = j;
    c.erase(k);
    return c.dump();
  };
  expect_field(without("hidden_size"), "hidden_size");
  expect_field(without("num_hidden_layers"), "num_hidden_layers");
  expect_field(without("model_type"), "model_type");
  auto c = j;
  c["num_key_value_heads"] = 7;
  expect_field(c.dump(), "num_key_value_heads");
  c = j;
  c["hidden_size"] = "big";
  expect_field(c.dump(), "hidden_size");
  c = j;
  c["num_hidden_layers"] = 1000000;
  expect_field(c.dump(), "num_hidden_layers");
  c = j;
  c["quantization"] = {{"bits", 7}, {"group_size", 64}};
  expect_field(c.dump(), "bits");
  c = j;
  c["quantization"] = {{"bits", 4}, {"group_size", 48}};
  expect_field(c.dump(), "group_size");
  EXPECT_THROW(parse("{not json"), ModelLoadingError);
  EXPECT_THROW(parse("[]"), ModelLoadingError);
}

TEST(ModelConfig, QuantizationModesAndAliases) {
  auto j = nlohmann::json::parse(kLlama32);
  j.erase("quantization");  // only the alias left
  j["quantization_config"] = {{"group_size", 32}, {"bits", 3}};
  auto c = ModelConfig::from_json(j);
  EXPECT_EQ(c.quantization.defaults, (QuantParams{3, 32, "affine"}));
  j["quantization_config"] = {{"group_size", 32}, {"bits", 4}, {"mode", "mxfp4"}};
  try {
    ModelConfig::from_json(j);
    FAIL();
  } catch (const UnsupportedModelError& e) {
    EXPECT_NE(std::string(e.what()).find("mxfp4"), std::string::npos) << e.what();
  }
  for (const char* mode : {"nvfp4", "mxfp8"}) {
    auto q = QuantizationConfig::from_json({{"mode", mode}}, "x");  // parses, with mode defaults
    EXPECT_EQ(q.defaults.mode, mode);
    EXPECT_THROW(q.require_supported("config.json"), UnsupportedModelError);
  }
  j["quantization_config"] = {{"quant_method", "gptq"}, {"group_size", 128}};
  EXPECT_THROW(ModelConfig::from_json(j), UnsupportedModelError);
  j.erase("quantization_config");
  EXPECT_FALSE(ModelConfig::from_json(j).quantization.present);
  // Round trip through to_json.
  auto q = QuantizationConfig::from_json(
      nlohmann::json::parse(R"({"bits":4,"group_size":64,"lm_head":false,"a.b":{"bits":8}})"),
      "x");
  auto q2 = QuantizationConfig::from_json(q.to_json(), "x");
  EXPECT_EQ(q2.defaults, q.defaults);
  EXPECT_EQ(q2.overrides, q.overrides);
  EXPECT_EQ(q.for_module("a.b")->group_size, 64);  // inherited
}

TEST(ModelConfig, FromFolderMergesGenerationConfig) {
  TempDir d;
  write_text(d / "config.json", kLlama32);
  write_text(d / "generation_config.json", R"({"eos_token_id": [128009, 128042]})");
  auto c = ModelConfig::from_folder(d.path());
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{128001, 128008, 128009, 128042}));
  EXPECT_THROW(ModelConfig::from_folder(d / "nope"), ModelLoadingError);
}

}  // namespace
}  // namespace abstractllm::engine
