// ModelConfig parsing: config.json (+ generation_config.json) -> typed fields, with the
// per-architecture defaults mlx-lm applies (see model_config.hpp).
#include "engine/io/model_config.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "abstractllm/errors.hpp"

namespace abstractllm::engine {

namespace {

using json = nlohmann::json;

// Bounds that keep a hostile config from making us allocate absurd amounts (layer_types has
// one entry per layer) while admitting every real model.
constexpr int64_t kMaxLayers = 4096;
constexpr int64_t kMaxDim = int64_t{1} << 24;

struct Reader {
  const json& j;
  const std::string& source;

  [[noreturn]] void fail(const std::string& field, const std::string& expected) const {
    std::string got = j.contains(field) ? j[field].dump() : "nothing";
    if (got.size() > 80) got = got.substr(0, 77) + "...";
    throw ModelLoadingError(source + ": field \"" + field + "\" " + expected + ", got " + got, {},
                            {{"path", source}, {"field", field}});
  }
  bool has(const std::string& k) const { return j.contains(k) && !j[k].is_null(); }

  int64_t integer(const std::string& k, std::optional<int64_t> fallback, int64_t lo = 0,
                  int64_t hi = kMaxDim) const {
    if (!has(k)) {
      if (!fallback) fail(k, "is required (an integer)");
      return *fallback;
    }
    const json& v = j[k];
    int64_t x;
    if (v.is_number_integer()) {
      x = v.get<int64_t>();
    } else if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() &&
               std::fabs(v.get<double>()) < 1e15) {
      x = static_cast<int64_t>(v.get<double>());  // "4096.0" in some exports
    } else {
      fail(k, "must be an integer");
    }
    if (x < lo || x > hi) {
      fail(k, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return x;
  }
  double number(const std::string& k, double fallback) const {
    if (!has(k)) return fallback;
    if (!j[k].is_number()) fail(k, "must be a number");
    const double x = j[k].get<double>();
    if (!std::isfinite(x)) fail(k, "must be finite");
    return x;
  }
  std::optional<double> opt_number(const std::string& k) const {
    if (!has(k)) return std::nullopt;
    return number(k, 0);
  }
  bool boolean(const std::string& k, bool fallback) const {
    if (!has(k)) return fallback;
    if (!j[k].is_boolean()) fail(k, "must be true or false");
    return j[k].get<bool>();
  }
  std::string string(const std::string& k, const std::string& fallback) const {
    if (!has(k)) return fallback;
    if (!j[k].is_string()) fail(k, "must be a string");
    return j[k].get<std::string>();
  }
  std::vector<double> numbers(const std::string& k) const {
    std::vector<double> out;
    if (!has(k)) return out;
    if (!j[k].is_array() || j[k].size() > 1 << 16) fail(k, "must be an array of numbers");
    for (const auto& v : j[k]) {
      if (!v.is_number()) fail(k, "must be an array of numbers");
      out.push_back(v.get<double>());
    }
    return out;
  }
  // int, list of ints, or null -> list.
  std::vector<int64_t> token_ids(const std::string& k) const {
    std::vector<int64_t> out;
    if (!has(k)) return out;
    const json& v = j[k];
    auto one = [&](const json& x) {
      if (!x.is_number_integer() || x.get<int64_t>() < 0) {
        fail(k, "must be a token id (non-negative integer) or a list of them");
      }
      out.push_back(x.get<int64_t>());
    };
    if (v.is_array()) {
      if (v.size() > 1024) fail(k, "has too many token ids");
      for (const auto& x : v) one(x);
    } else {
      one(v);
    }
    return out;
  }
};

RopeType parse_rope_type(const std::string& s, const std::string& source) {
  if (s == "default" || s.empty()) return RopeType::Default;
  if (s == "linear") return RopeType::Linear;
  if (s == "dynamic") return RopeType::Dynamic;
  if (s == "llama3") return RopeType::Llama3;
  if (s == "yarn") return RopeType::Yarn;
  if (s == "longrope" || s == "su") return RopeType::LongRope;
  throw UnsupportedModelError(source + ": rope scaling type \"" + s +
                              "\" is not supported (expected default, linear, dynamic, llama3, "
                              "yarn, longrope or su)");
}

// One rope block (rope_scaling or a rope_parameters entry) on top of `base`.
RopeConfig parse_rope_block(const json& block, RopeConfig base, const std::string& source,
                            const std::string& field) {
  if (block.is_null()) return base;
  if (!block.is_object()) {
    throw ModelLoadingError(source + ": field \"" + field + "\" must be an object, got " +
                            block.dump().substr(0, 80));
  }
  const std::string where = source + " (" + field + ")";
  Reader r{block, where};
  std::string type = r.string("rope_type", r.string("type", ""));
  RopeConfig c = base;
  c.type = parse_rope_type(type, where);
  c.theta = r.number("rope_theta", c.theta);
  c.factor = r.number("factor", c.factor);
  c.low_freq_factor = r.number("low_freq_factor", c.low_freq_factor);
  c.high_freq_factor = r.number("high_freq_factor", c.high_freq_factor);
  c.original_max_position_embeddings = r.integer("original_max_position_embeddings",
                                                 c.original_max_position_embeddings, 0, 1ll << 40);
  c.beta_fast = r.number("beta_fast", c.beta_fast);
  c.beta_slow = r.number("beta_slow", c.beta_slow);
  c.mscale = r.number("mscale", c.mscale);
  c.mscale_all_dim = r.number("mscale_all_dim", c.mscale_all_dim);
  if (r.has("long_factor")) c.long_factor = r.numbers("long_factor");
  if (r.has("short_factor")) c.short_factor = r.numbers("short_factor");
  if (auto a = r.opt_number("attention_factor")) c.attention_factor = a;
  if (c.theta <= 0) r.fail("rope_theta", "must be positive");
  if (c.type != RopeType::Default && c.type != RopeType::LongRope && c.factor <= 0) {
    r.fail("factor", "must be positive");
  }
  if (c.type == RopeType::Llama3 && c.original_max_position_embeddings == 0) {
    c.original_max_position_embeddings = 8192;  // mlx-lm's default for llama3 scaling
  }
  if (c.type == RopeType::LongRope && (c.long_factor.empty() || c.short_factor.empty())) {
    r.fail("long_factor", "and short_factor are required for longrope scaling");
  }
  return c;
}

Activation parse_activation(const std::string& s, const std::string& source) {
  if (s == "silu" || s == "swish") return Activation::Silu;
  if (s == "gelu_pytorch_tanh" || s == "gelu_new" || s == "gelu_fast" || s == "gelu_approx" ||
      s == "gelu_python_tanh")
    return Activation::GeluTanh;
  if (s == "gelu") return Activation::Gelu;
  throw UnsupportedModelError(source + ": hidden activation \"" + s +
                              "\" is not supported (expected silu, gelu or gelu_pytorch_tanh)");
}

LayerType parse_layer_type(const json& v, const std::string& source) {
  if (v.is_string()) {
    const auto s = v.get<std::string>();
    if (s == "full_attention") return LayerType::FullAttention;
    if (s == "sliding_attention") return LayerType::SlidingAttention;
  }
  throw UnsupportedModelError(source + ": layer_types entry " + v.dump().substr(0, 40) +
                              " is not supported (expected \"full_attention\" or "
                              "\"sliding_attention\")");
}

bool is_gemma(const std::string& arch) {
  return arch == "gemma" || arch == "gemma2" || arch == "gemma3_text";
}

void append_unique(std::vector<int64_t>& dst, const std::vector<int64_t>& src) {
  for (int64_t id : src)
    if (std::find(dst.begin(), dst.end(), id) == dst.end()) dst.push_back(id);
}

json parse_json_text(std::string_view text, const std::string& source) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    throw ModelLoadingError(source + " is not valid JSON", {}, {{"path", source}});
  }
  return j;
}

json read_json_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw ModelLoadingError("cannot read " + p.string(), {}, {{"path", p.string()}});
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_json_text(ss.str(), p.string());
}

}  // namespace

std::string_view rope_type_name(RopeType t) {
  switch (t) {
    case RopeType::Default: return "default";
    case RopeType::Linear: return "linear";
    case RopeType::Dynamic: return "dynamic";
    case RopeType::Llama3: return "llama3";
    case RopeType::Yarn: return "yarn";
    case RopeType::LongRope: return "longrope";
  }
  return "?";
}

const std::vector<std::string>& supported_model_types() {
  static const std::vector<std::string> types = {"llama", "mistral", "qwen2",  "qwen3",
                                                 "phi3",  "gemma",   "gemma2", "gemma3_text",
                                                 "gemma3"};
  return types;
}

double ModelConfig::attention_scale() const {
  const double d = query_pre_attn_scalar ? *query_pre_attn_scalar : static_cast<double>(head_dim);
  return 1.0 / std::sqrt(d);
}

int64_t ModelConfig::rotary_dim() const {
  int64_t d = static_cast<int64_t>(static_cast<double>(head_dim) * partial_rotary_factor);
  return d - (d % 2);
}

ModelConfig ModelConfig::from_json(const json& config_in, const json* generation_config,
                                   const std::string& source) {
  if (!config_in.is_object()) {
    throw ModelLoadingError(source + ": expected a JSON object", {}, {{"path", source}});
  }
  ModelConfig c;
  c.raw = config_in;
  Reader top{config_in, source};
  c.model_type = top.string("model_type", "");
  if (c.model_type.empty()) top.fail("model_type", "is required (a string)");
  const auto& supported = supported_model_types();
  if (std::find(supported.begin(), supported.end(), c.model_type) == supported.end()) {
    std::string list;
    for (const auto& s : supported) list += (list.empty() ? "" : ", ") + s;
    throw UnsupportedModelError(source + ": model_type \"" + c.model_type +
                                "\" is not supported (supported: " + list + ")");
  }

  // gemma3 wraps the text model's fields in text_config; everything else is flat.
  const json* body = &config_in;
  std::string body_source = source;
  if (c.model_type == "gemma3") {
    if (!config_in.contains("text_config") || !config_in["text_config"].is_object()) {
      top.fail("text_config", "is required for model_type gemma3 (an object)");
    }
    body = &config_in["text_config"];
    body_source = source + " (text_config)";
    c.arch = "gemma3_text";
  } else {
    c.arch = c.model_type;
  }
  const json& j = *body;
  Reader r{j, body_source};
  const std::string& a = c.arch;
  const bool gemma3 = a == "gemma3_text";

  if (top.has("architectures") && config_in["architectures"].is_array()) {
    for (const auto& x : config_in["architectures"])
      if (x.is_string()) c.architectures.push_back(x.get<std::string>());
  }

  // Sizes. gemma3's text_config may omit them: Gemma3TextConfig defaults (the 4B model).
  std::optional<int64_t> none;
  c.hidden_size = r.integer("hidden_size", gemma3 ? std::optional<int64_t>(2560) : none, 1);
  c.intermediate_size =
      r.integer("intermediate_size", gemma3 ? std::optional<int64_t>(10240) : none, 1);
  c.num_hidden_layers =
      r.integer("num_hidden_layers", gemma3 ? std::optional<int64_t>(34) : none, 1, kMaxLayers);
  c.num_attention_heads =
      r.integer("num_attention_heads", gemma3 ? std::optional<int64_t>(8) : none, 1, 1 << 16);
  c.num_key_value_heads =
      r.integer("num_key_value_heads", gemma3 ? 4 : c.num_attention_heads, 1, 1 << 16);
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    r.fail("num_key_value_heads", "must divide num_attention_heads (" +
                                      std::to_string(c.num_attention_heads) + ")");
  }
  std::optional<int64_t> head_default;
  if (gemma3) {
    head_default = 256;
  } else if (c.hidden_size % c.num_attention_heads == 0) {
    head_default = c.hidden_size / c.num_attention_heads;
  }
  c.head_dim = r.integer("head_dim", head_default, 1, 1 << 16);
  c.vocab_size = r.integer("vocab_size", gemma3 ? std::optional<int64_t>(262208) : none, 1,
                           int64_t{1} << 26);
  c.max_position_embeddings = r.integer(
      "max_position_embeddings", gemma3 ? 131072 : (a == "phi3" ? 4096 : 2048), 1, 1ll << 40);
  c.rms_norm_eps = r.number("rms_norm_eps", a == "phi3" ? 1e-5 : 1e-6);
  if (!(c.rms_norm_eps > 0)) r.fail("rms_norm_eps", "must be positive");

  // dtype: transformers 5 "dtype", 4.x "torch_dtype" (text_config or top level).
  c.dtype = r.string("dtype", r.string("torch_dtype", top.string("dtype",
                                                                 top.string("torch_dtype", ""))));

  // Activation: gemma2/3 name it hidden_activation; the gemma family always runs the tanh
  // approximation (transformers overrides gemma v1's "gelu"; mlx-lm uses gelu_approx).
  c.hidden_act_name = r.string("hidden_activation", r.string("hidden_act", ""));
  if (is_gemma(a)) {
    if (c.hidden_act_name.empty()) c.hidden_act_name = "gelu_pytorch_tanh";
    c.hidden_act = Activation::GeluTanh;
  } else {
    if (c.hidden_act_name.empty()) c.hidden_act_name = "silu";
    c.hidden_act = parse_activation(c.hidden_act_name, body_source);
  }

  // Biases.
  c.attention_bias = r.boolean("attention_bias", false);
  c.o_proj_bias = c.attention_bias;
  if (a == "qwen2") {
    c.attention_bias = true;  // Qwen2 q/k/v always carry biases; o_proj never does
    c.o_proj_bias = false;
  }
  if (a == "phi3") c.attention_bias = c.o_proj_bias = false;
  c.mlp_bias = r.boolean("mlp_bias", false);
  c.qk_norm = a == "qwen3" || gemma3;

  // Tied embeddings, defaults as mlx-lm's ModelArgs.
  if (is_gemma(a)) {
    c.tie_word_embeddings = true;
  } else {
    c.tie_word_embeddings = r.boolean("tie_word_embeddings",
                                      top.boolean("tie_word_embeddings", a != "phi3"));
  }

  // Rotary embeddings.
  c.partial_rotary_factor = r.number("partial_rotary_factor", 1.0);
  if (!(c.partial_rotary_factor > 0 && c.partial_rotary_factor <= 1)) {
    r.fail("partial_rotary_factor", "must be in (0, 1]");
  }
  RopeConfig base;
  base.theta = r.number("rope_theta", gemma3 ? 1e6 : (a == "qwen2" ? 1e6 : 10000.0));
  // phi3 keeps original_max_position_embeddings at the top level.
  base.original_max_position_embeddings =
      r.integer("original_max_position_embeddings", 0, 0, 1ll << 40);
  RopeConfig local = base;
  local.theta = r.number("rope_local_base_freq", gemma3 ? 10000.0 : base.theta);

  if (r.has("rope_parameters")) {
    const json& rp = j["rope_parameters"];
    const bool nested = rp.is_object() &&
                        (rp.contains("full_attention") || rp.contains("sliding_attention"));
    if (nested) {
      c.rope = rp.contains("full_attention")
                   ? parse_rope_block(rp["full_attention"], base, body_source,
                                      "rope_parameters.full_attention")
                   : base;
      c.rope_local = rp.contains("sliding_attention")
                         ? parse_rope_block(rp["sliding_attention"], local, body_source,
                                            "rope_parameters.sliding_attention")
                         : (gemma3 ? local : c.rope);
    } else {
      c.rope = parse_rope_block(rp, base, body_source, "rope_parameters");
      c.rope_local = gemma3 ? local : c.rope;
    }
  } else {
    c.rope = r.has("rope_scaling")
                 ? parse_rope_block(j["rope_scaling"], base, body_source, "rope_scaling")
                 : base;
    // gemma3: the scaling applies to global layers; local layers use plain rope.
    c.rope_local = gemma3 ? local : c.rope;
  }
  if (c.rope.type == RopeType::LongRope) {
    const size_t half = static_cast<size_t>(c.rotary_dim() / 2);
    if (c.rope.long_factor.size() != half || c.rope.short_factor.size() != half) {
      throw ModelLoadingError(body_source + ": longrope long_factor/short_factor need " +
                                  std::to_string(half) + " entries (rotary_dim / 2)",
                              {}, {{"path", source}, {"field", "rope_scaling"}});
    }
  }

  // Gemma numerics.
  c.scale_embeddings = c.norm_weight_plus_one = is_gemma(a);
  if (a == "gemma2") {
    c.attn_logit_softcapping = r.number("attn_logit_softcapping", 50.0);
    c.final_logit_softcapping = r.number("final_logit_softcapping", 30.0);
    c.query_pre_attn_scalar = r.number("query_pre_attn_scalar", 256.0);
  } else if (gemma3) {
    c.attn_logit_softcapping = r.number("attn_logit_softcapping", 0.0);
    c.final_logit_softcapping = r.number("final_logit_softcapping", 0.0);
    c.query_pre_attn_scalar = r.number("query_pre_attn_scalar", 256.0);
  }
  if (c.query_pre_attn_scalar && !(*c.query_pre_attn_scalar > 0)) {
    r.fail("query_pre_attn_scalar", "must be positive");
  }

  // Sliding windows and per-layer attention kinds.
  const auto n_layers = static_cast<size_t>(c.num_hidden_layers);
  if (r.has("sliding_window")) {
    c.sliding_window = r.integer("sliding_window", 0, 1, 1ll << 40);
  } else if (a == "gemma2") {
    c.sliding_window = 4096;
  } else if (gemma3) {
    c.sliding_window = 4096;
  }
  c.layer_types.assign(n_layers, LayerType::FullAttention);
  if (r.has("layer_types")) {
    const json& lt = j["layer_types"];
    if (!lt.is_array() || lt.size() != n_layers) {
      r.fail("layer_types", "must list one type per layer (" + std::to_string(n_layers) + ")");
    }
    for (size_t i = 0; i < n_layers; ++i) c.layer_types[i] = parse_layer_type(lt[i], body_source);
  } else if (gemma3) {
    const int64_t pattern = r.integer("sliding_window_pattern", 6, 1, kMaxLayers);
    for (size_t i = 0; i < n_layers; ++i) {
      c.layer_types[i] = (static_cast<int64_t>(i) + 1) % pattern == 0
                             ? LayerType::FullAttention
                             : LayerType::SlidingAttention;
    }
  } else if (a == "gemma2") {
    for (size_t i = 0; i < n_layers; ++i)
      c.layer_types[i] = i % 2 == 0 ? LayerType::SlidingAttention : LayerType::FullAttention;
  } else if (a == "mistral" && c.sliding_window) {
    c.layer_types.assign(n_layers, LayerType::SlidingAttention);
  } else if ((a == "qwen2" || a == "qwen3") && r.boolean("use_sliding_window", false) &&
             c.sliding_window) {
    const int64_t from = r.integer("max_window_layers", c.num_hidden_layers, 0, kMaxLayers);
    for (size_t i = 0; i < n_layers; ++i)
      if (static_cast<int64_t>(i) >= from) c.layer_types[i] = LayerType::SlidingAttention;
  } else if (a == "phi3" && c.sliding_window) {
    // Phi-3 configs carry sliding_window (2047/262144) but mlx-lm and transformers' default
    // attention ignore it for the dense models; keep full attention, window recorded.
  }
  const bool any_sliding = std::find(c.layer_types.begin(), c.layer_types.end(),
                                     LayerType::SlidingAttention) != c.layer_types.end();
  if (any_sliding && !c.sliding_window) {
    r.fail("sliding_window", "is required when layers use sliding attention");
  }

  // Special tokens: text_config, then top level; eos merged with generation_config.
  auto bos = r.token_ids("bos_token_id");
  if (bos.empty()) bos = top.token_ids("bos_token_id");
  if (!bos.empty()) c.bos_token_id = bos.front();
  append_unique(c.eos_token_ids, top.token_ids("eos_token_id"));
  if (body != &config_in) append_unique(c.eos_token_ids, r.token_ids("eos_token_id"));
  auto pad = top.token_ids("pad_token_id");
  if (!pad.empty()) c.pad_token_id = pad.front();
  if (generation_config && generation_config->is_object()) {
    Reader g{*generation_config, "generation_config.json"};
    append_unique(c.eos_token_ids, g.token_ids("eos_token_id"));
    if (!c.bos_token_id) {
      auto gb = g.token_ids("bos_token_id");
      if (!gb.empty()) c.bos_token_id = gb.front();
    }
  }

  // Quantization: "quantization", or its alias "quantization_config" (mlx-lm writes both;
  // HF-style quantization_config with quant_method is not MLX's and is rejected).
  const json* qj = nullptr;
  if (top.has("quantization")) {
    qj = &config_in["quantization"];
  } else if (top.has("quantization_config")) {
    qj = &config_in["quantization_config"];
    if (qj->is_object() && qj->contains("quant_method") && !qj->contains("bits")) {
      throw UnsupportedModelError(
          source + ": quantization_config uses quant_method " +
          (*qj)["quant_method"].dump() +
          ", which is not MLX quantization (convert the original float model with "
          "`abstractllm convert`)");
    }
  }
  if (qj) {
    c.quantization = QuantizationConfig::from_json(*qj, source);
    c.quantization.require_supported(source);  // mxfp4/nvfp4/mxfp8: clear error up front
  }
  return c;
}

ModelConfig ModelConfig::from_json_text(std::string_view config_text, const std::string& source) {
  return from_json(parse_json_text(config_text, source), nullptr, source);
}

ModelConfig ModelConfig::from_folder(const std::filesystem::path& folder) {
  const auto config_path = folder / "config.json";
  std::error_code ec;
  if (!std::filesystem::exists(config_path, ec)) {
    throw ModelLoadingError("no config.json in " + folder.string(), {},
                            {{"path", config_path.string()}});
  }
  const json config = read_json_file(config_path);
  const auto gen_path = folder / "generation_config.json";
  json gen;
  const json* gen_ptr = nullptr;
  if (std::filesystem::exists(gen_path, ec)) {
    gen = read_json_file(gen_path);
    gen_ptr = &gen;
  }
  return from_json(config, gen_ptr, config_path.string());
}

}  // namespace abstractllm::engine
