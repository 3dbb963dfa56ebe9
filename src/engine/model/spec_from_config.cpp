#include "engine/model/spec_from_config.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "abstractllm/errors.hpp"

namespace abstractllm::engine::model {

std::vector<float> rope_inv_freq(double base, int64_t dim) {
  std::vector<float> inv(static_cast<size_t>(dim / 2));
  for (int64_t i = 0; i < dim / 2; ++i) {
    // transformers: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), all in float32.
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(dim);
    const float p = static_cast<float>(std::pow(static_cast<double>(static_cast<float>(base)),
                                                static_cast<double>(exponent)));
    inv[static_cast<size_t>(i)] = 1.0f / p;
  }
  return inv;
}

namespace {

// transformers' _compute_llama3_parameters.
void apply_llama3(const RopeConfig& r, std::vector<float>& inv) {
  const double old_ctx = static_cast<double>(r.original_max_position_embeddings);
  const double low_wavelen = old_ctx / r.low_freq_factor;
  const double high_wavelen = old_ctx / r.high_freq_factor;
  for (float& f : inv) {
    const double wavelen = 2 * std::numbers::pi / f;
    double v = wavelen > low_wavelen ? f / r.factor : f;
    const bool medium = !(wavelen < high_wavelen) && !(wavelen > low_wavelen);
    if (medium) {
      const double smooth =
          (old_ctx / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
      v = (1 - smooth) * v / r.factor + smooth * v;
    }
    f = static_cast<float>(v);
  }
}

double yarn_mscale(double scale, double mscale) {
  return scale <= 1 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

// transformers' _compute_yarn_parameters (truncate = true, the default).
float apply_yarn(const RopeConfig& r, int64_t dim, int64_t max_pos, std::vector<float>& inv) {
  const double base = r.theta;
  const double factor = r.factor;
  const double orig = r.original_max_position_embeddings > 0
                          ? static_cast<double>(r.original_max_position_embeddings)
                          : static_cast<double>(max_pos);
  double attention = 0;
  if (r.attention_factor) {
    attention = *r.attention_factor;
  } else if (r.mscale != 0 && r.mscale_all_dim != 0) {
    attention = yarn_mscale(factor, r.mscale) / yarn_mscale(factor, r.mscale_all_dim);
  } else {
    attention = yarn_mscale(factor, 1.0);
  }
  auto correction_dim = [&](double rotations) {
    return (static_cast<double>(dim) * std::log(orig / (rotations * 2 * std::numbers::pi))) /
           (2 * std::log(base));
  };
  double low = std::floor(correction_dim(r.beta_fast));
  double high = std::ceil(correction_dim(r.beta_slow));
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;
  for (int64_t i = 0; i < dim / 2; ++i) {
    const double pos_freq = std::pow(base, static_cast<double>(2 * i) / static_cast<double>(dim));
    const double extrapolation = 1.0 / pos_freq;
    const double interpolation = 1.0 / (factor * pos_freq);
    const double ramp = std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0);
    const double extrapolation_factor = 1 - ramp;
    inv[static_cast<size_t>(i)] = static_cast<float>(
        interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor);
  }
  return static_cast<float>(attention);
}

}  // namespace

RopeSpec make_rope(const RopeConfig& r, int64_t rotary_dim, int64_t max_pos) {
  RopeSpec spec;
  spec.rotary_dim = rotary_dim;
  spec.inv_freq = rope_inv_freq(r.theta, rotary_dim);
  switch (r.type) {
    case RopeType::Default:
      break;
    case RopeType::Dynamic:
      // NTK-aware dynamic scaling changes nothing until the sequence outgrows the original
      // context; beyond it transformers recomputes the base per forward, which a KV cache cannot
      // follow (mlx-lm does not implement it either). We keep the default table: exact up to
      // original_max_position_embeddings. Documented in docs/engine.md.
      break;
    case RopeType::Linear:
      for (float& f : spec.inv_freq) f = static_cast<float>(f / r.factor);
      break;
    case RopeType::Llama3:
      apply_llama3(r, spec.inv_freq);
      break;
    case RopeType::Yarn:
      spec.attention_factor = apply_yarn(r, rotary_dim, max_pos, spec.inv_freq);
      break;
    case RopeType::LongRope: {
      const size_t half = static_cast<size_t>(rotary_dim / 2);
      if (r.short_factor.size() != half || r.long_factor.size() != half) {
        throw ModelLoadingError("config.json: rope_scaling (longrope) short_factor and long_factor "
                                "must have " + std::to_string(half) +
                                " entries (rotary_dim / 2), got " +
                                std::to_string(r.short_factor.size()) + " and " +
                                std::to_string(r.long_factor.size()));
      }
      const int64_t orig = r.original_max_position_embeddings > 0
                               ? r.original_max_position_embeddings
                               : max_pos;
      double attention = 1.0;
      if (r.attention_factor) {
        attention = *r.attention_factor;
      } else {
        const double factor = static_cast<double>(max_pos) / static_cast<double>(orig);
        attention = factor <= 1 ? 1.0
                                : std::sqrt(1 + std::log(factor) /
                                                    std::log(static_cast<double>(orig)));
      }
      spec.attention_factor = static_cast<float>(attention);
      std::vector<float> plain = spec.inv_freq;
      spec.inv_freq_long.resize(half);
      for (size_t i = 0; i < half; ++i) {
        // transformers: 1 / (ext_factor * base^(2i/dim)).
        spec.inv_freq[i] = static_cast<float>(plain[i] / r.short_factor[i]);
        spec.inv_freq_long[i] = static_cast<float>(plain[i] / r.long_factor[i]);
      }
      spec.long_threshold = orig;
      break;
    }
  }
  return spec;
}

ModelSpec spec_from_config(const ModelConfig& c) {
  auto fail = [](const std::string& msg) { throw ModelLoadingError("config.json: " + msg); };
  ModelSpec s;
  s.model_type = c.arch;
  s.hidden = c.hidden_size;
  s.intermediate = c.intermediate_size;
  s.n_heads = c.num_attention_heads;
  s.n_kv_heads = c.num_key_value_heads;
  s.head_dim = c.head_dim;
  s.vocab = c.vocab_size;
  s.max_position = c.max_position_embeddings;
  s.norm_eps = static_cast<float>(c.rms_norm_eps);
  if (s.hidden <= 0 || s.intermediate <= 0 || s.n_heads <= 0 || s.n_kv_heads <= 0 ||
      s.head_dim <= 0 || s.vocab <= 0 || c.num_hidden_layers <= 0) {
    fail("hidden_size, intermediate_size, num_attention_heads, num_key_value_heads, head_dim, "
         "vocab_size and num_hidden_layers must all be positive");
  }
  if (s.n_heads % s.n_kv_heads != 0) {
    fail("num_attention_heads (" + std::to_string(s.n_heads) +
         ") must be a multiple of num_key_value_heads (" + std::to_string(s.n_kv_heads) + ")");
  }
  if (s.head_dim > 4096 || s.hidden > (1 << 20) || s.intermediate > (1 << 22) ||
      c.num_hidden_layers > 4096) {
    fail("implausibly large dimensions (head_dim, hidden_size, intermediate_size or "
         "num_hidden_layers)");
  }

  const std::string& a = c.arch;
  const bool gemma = a == "gemma" || a == "gemma2" || a == "gemma3_text";
  s.norm_plus_one = c.norm_weight_plus_one || gemma;
  s.embed_scale = (c.scale_embeddings || gemma) ? std::sqrt(static_cast<float>(s.hidden)) : 1.0f;
  switch (c.hidden_act) {
    case engine::Activation::Silu: s.activation = model::Activation::SiLU; break;
    case engine::Activation::GeluTanh: s.activation = model::Activation::GeluTanh; break;
    case engine::Activation::Gelu: s.activation = model::Activation::GeluExact; break;
  }
  s.attn_scale = static_cast<float>(c.attention_scale());
  s.attn_softcap = static_cast<float>(c.attn_logit_softcapping);
  s.final_softcap = static_cast<float>(c.final_logit_softcapping);
  s.qk_norm = c.qk_norm || a == "qwen3" || a == "gemma3_text";
  s.qkv_bias = c.attention_bias || a == "qwen2";
  s.o_bias = c.o_proj_bias;
  s.mlp_bias = c.mlp_bias;
  s.fused_qkv = a == "phi3";
  s.fused_gate_up = a == "phi3";
  s.sandwich_norms = a == "gemma2" || a == "gemma3_text";
  s.tie_embeddings = c.tie_word_embeddings;

  const int64_t rotary_dim = c.rotary_dim();
  if (rotary_dim <= 0 || rotary_dim > s.head_dim || rotary_dim % 2 != 0) {
    fail("rotary dimension (head_dim × partial_rotary_factor = " + std::to_string(rotary_dim) +
         ") must be even and within 1.." + std::to_string(s.head_dim));
  }
  s.ropes.push_back(make_rope(c.rope, rotary_dim, s.max_position));
  const bool local_differs = !(c.rope_local == c.rope);
  if (local_differs) s.ropes.push_back(make_rope(c.rope_local, rotary_dim, s.max_position));

  s.layers.resize(static_cast<size_t>(c.num_hidden_layers));
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    LayerSpec& l = s.layers[static_cast<size_t>(i)];
    const bool sliding = static_cast<size_t>(i) < c.layer_types.size() && c.is_sliding(i);
    if (sliding && c.sliding_window && *c.sliding_window > 0) {
      l.sliding_window = *c.sliding_window;
      l.rope = local_differs ? 1 : 0;
    }
  }
  return s;
}

}  // namespace abstractllm::engine::model
