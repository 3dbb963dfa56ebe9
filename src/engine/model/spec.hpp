// The numbers that decide a transformer's forward pass, in one flat struct the model code reads.
//
// ModelSpec is derived from the typed ModelConfig (spec_from_config.cpp) so the forward pass never
// looks at config spellings, and unit tests can build tiny models by hand without any files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace abstractllm::engine::model {

enum class Activation { SiLU, GeluTanh, GeluExact };

// One rotary-embedding table: the inverse frequencies for the first `rotary_dim` dimensions of a
// head (rotate-half / NeoX pairing: i with i + rotary_dim/2, as transformers and mlx-lm use).
struct RopeSpec {
  int64_t rotary_dim = 0;
  std::vector<float> inv_freq;  // rotary_dim / 2 values (already scaled: linear, llama3, yarn, ...)
  float attention_factor = 1;   // cos/sin multiplier (yarn mscale, longrope)
  // longrope/su: a second table used once the sequence is longer than `long_threshold`
  // (transformers switches per forward on the total length). Empty when unused.
  std::vector<float> inv_freq_long;
  int64_t long_threshold = 0;
};

struct LayerSpec {
  int64_t sliding_window = 0;  // 0 = global causal attention; else keys with i - j < window
  int rope = 0;                // index into ModelSpec::ropes
};

struct ModelSpec {
  std::string model_type;  // "llama", "mistral", "qwen2", "qwen3", "phi3", "gemma", "gemma2", ...
  int64_t hidden = 0;
  int64_t intermediate = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t vocab = 0;
  int64_t max_position = 0;
  float norm_eps = 1e-6f;
  bool norm_plus_one = false;  // gemma family: x̂ · (1 + w)
  float embed_scale = 1;       // gemma family: √hidden
  Activation activation = Activation::SiLU;
  float attn_scale = 0;         // multiplier on q·k (1/√head_dim, or query_pre_attn_scalar^-½)
  float attn_softcap = 0;       // 0 = off; else cap · tanh(s / cap)
  float final_softcap = 0;      // 0 = off
  bool qk_norm = false;         // qwen3, gemma3: RMSNorm per head on q and k before RoPE
  bool qkv_bias = false;        // qwen2
  bool o_bias = false;
  bool mlp_bias = false;
  bool fused_qkv = false;       // phi3: qkv_proj
  bool fused_gate_up = false;   // phi3: gate_up_proj
  bool sandwich_norms = false;  // gemma2/3: post-attention, pre/post-feed-forward norms
  bool tie_embeddings = false;
  std::vector<LayerSpec> layers;
  std::vector<RopeSpec> ropes;

  int64_t n_layers() const { return static_cast<int64_t>(layers.size()); }
};

// Inverse frequencies of plain RoPE: 1 / base^(2i / dim), computed as transformers does (float).
std::vector<float> rope_inv_freq(double base, int64_t dim);

}  // namespace abstractllm::engine::model
