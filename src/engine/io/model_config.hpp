// ModelConfig: the typed content of a model's config.json (+ generation_config.json) — every
// field that changes the math of the supported architectures, with each architecture's
// defaults as mlx-lm applies them, so model code never reads raw JSON.
//
// Supported model_type: llama, mistral, qwen2, qwen3, phi3, gemma, gemma2, gemma3_text, and
// gemma3 (a multimodal wrapper whose text_config is read as gemma3_text; quantization stays at
// the top level). Anything else -> UnsupportedModelError listing these.
//
// Both spellings in circulation load:
//   transformers 4.x: rope_theta, rope_scaling {type|rope_type, ...}, torch_dtype,
//                     sliding_window_pattern, rope_local_base_freq
//   transformers 5.x: rope_parameters {rope_type, rope_theta, ...} or nested per layer type
//                     {"full_attention": {...}, "sliding_attention": {...}}, layer_types, dtype
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/io/quantization_config.hpp"

namespace abstractllm::engine {

enum class RopeType {
  Default,   // theta^(-2i/d)
  Linear,    // positions / factor
  Dynamic,   // NTK-aware dynamic scaling (factor, original_max_position_embeddings)
  Llama3,    // factor, low_freq_factor, high_freq_factor, original_max_position_embeddings
  Yarn,      // factor, beta_fast, beta_slow, mscale, mscale_all_dim, attention_factor, orig max
  LongRope,  // "longrope" / "su" (phi3): long_factor, short_factor, original max, attn factor
};
std::string_view rope_type_name(RopeType t);

// Rotary embedding parameters of one attention kind. Fields a type does not use keep their
// defaults; `original_max_position_embeddings` falls back to the top-level value when the
// scaling block lacks it (phi3 keeps it at the top level).
struct RopeConfig {
  RopeType type = RopeType::Default;
  double theta = 10000.0;
  double factor = 1.0;
  double low_freq_factor = 1.0;   // llama3
  double high_freq_factor = 4.0;  // llama3
  int64_t original_max_position_embeddings = 0;
  double beta_fast = 32.0;  // yarn
  double beta_slow = 1.0;   // yarn
  double mscale = 1.0;      // yarn
  double mscale_all_dim = 0.0;  // yarn
  std::vector<double> long_factor;   // longrope, head_dim * partial_rotary_factor / 2 entries
  std::vector<double> short_factor;  // longrope
  std::optional<double> attention_factor;  // yarn / longrope; nullopt = derive as HF does

  bool operator==(const RopeConfig&) const = default;
};

enum class LayerType { FullAttention, SlidingAttention };

enum class Activation {
  Silu,      // "silu" / "swish" (llama, mistral, qwen, phi3): SwiGLU MLP
  GeluTanh,  // "gelu_pytorch_tanh" / "gelu_new" / "gelu_fast" (gemma family): GeGLU, tanh approx
  Gelu,      // "gelu" exact erf
};

struct ModelConfig {
  // As written in the file ("gemma3" for the wrapper); `arch` is the text model to build:
  // one of llama, mistral, qwen2, qwen3, phi3, gemma, gemma2, gemma3_text.
  std::string model_type;
  std::string arch;
  std::vector<std::string> architectures;  // "architectures" list, e.g. LlamaForCausalLM

  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // defaults to num_attention_heads
  int64_t head_dim = 0;             // defaults to hidden_size / num_attention_heads
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;

  // Rotary embeddings: `rope` for full-attention layers; `rope_local` for sliding layers
  // (differs only for gemma3: theta = rope_local_base_freq, default type; equals `rope`
  // everywhere else). rotary_dim = head_dim * partial_rotary_factor (even).
  RopeConfig rope;
  RopeConfig rope_local;
  double partial_rotary_factor = 1.0;

  Activation hidden_act = Activation::Silu;
  std::string hidden_act_name;  // as written (hidden_activation for gemma2/3 wins)
  bool attention_bias = false;  // q/k/v (and o for llama-style attention_bias) carry biases
  bool mlp_bias = false;
  // qwen2 has q/k/v biases regardless of any flag; arch-forced values are applied here, so
  // attention_bias is the truth for the model code (o_proj bias: see o_proj_bias).
  bool o_proj_bias = false;
  // Tied: lm_head is embed_tokens (no lm_head.weight stored). Default per arch as mlx-lm:
  // llama/mistral/qwen2/qwen3 true, phi3 false, gemma/gemma2/gemma3 always tied unless the
  // weights carry lm_head.weight (gemma3_text's sanitize) — model code should fall back to
  // embed_tokens whenever lm_head.weight is absent.
  bool tie_word_embeddings = true;
  bool qk_norm = false;  // qwen3 and gemma3: RMSNorm on q and k per head

  // Sliding-window attention: window in tokens (nullopt = none) and, per layer, whether it
  // slides. Always num_hidden_layers entries. Sources, in order: layer_types;
  // sliding_window_pattern (gemma3: layer i global iff (i+1) % pattern == 0); arch rule
  // (gemma2: even layers slide; mistral: every layer when sliding_window is set; qwen2/3: when
  // use_sliding_window, layers >= max_window_layers slide).
  std::optional<int64_t> sliding_window;
  std::vector<LayerType> layer_types;

  // Gemma-family numerics. 0 = no soft-capping. Attention scale is
  // 1/sqrt(query_pre_attn_scalar) when set, else 1/sqrt(head_dim) — see attention_scale().
  double attn_logit_softcapping = 0.0;
  double final_logit_softcapping = 0.0;
  std::optional<double> query_pre_attn_scalar;
  // Gemma: embeddings are multiplied by sqrt(hidden_size); RMSNorm weight applied as (1 + w).
  bool scale_embeddings = false;
  bool norm_weight_plus_one = false;

  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;  // config.json and generation_config.json, merged, unique
  std::optional<int64_t> pad_token_id;
  std::string dtype;  // "bfloat16" etc. from dtype / torch_dtype; empty if absent

  // .present false for float models. Only affine mode gets here: mxfp4/nvfp4/mxfp8 configs
  // raise UnsupportedModelError while parsing.
  QuantizationConfig quantization;

  nlohmann::json raw;  // the config.json object as read (for anything not typed here)

  double attention_scale() const;
  int64_t rotary_dim() const;
  bool is_sliding(int64_t layer) const {
    return layer_types.at(static_cast<size_t>(layer)) == LayerType::SlidingAttention;
  }

  // Reads <folder>/config.json and, when present, <folder>/generation_config.json.
  // Throws ModelLoadingError (missing/malformed file, missing or invalid field — naming the
  // file and field) or UnsupportedModelError.
  static ModelConfig from_folder(const std::filesystem::path& folder);
  // From parsed JSON; `generation_config` may be null. `source` names the file in errors.
  static ModelConfig from_json(const nlohmann::json& config,
                               const nlohmann::json* generation_config = nullptr,
                               const std::string& source = "config.json");
  // From JSON text (for fuzzing/tests). Malformed JSON -> ModelLoadingError.
  static ModelConfig from_json_text(std::string_view config_text,
                                    const std::string& source = "config.json");
};

// The model types from_json accepts, in the order listed in errors.
const std::vector<std::string>& supported_model_types();

}  // namespace abstractllm::engine
