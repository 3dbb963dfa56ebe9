// The forward pass, llama2.c style: one screen per step, all arithmetic in ops/.
//
//   x = embed(tokens) · embed_scale
//   per layer:  h = norm(x); q,k,v = proj(h); [q/k norm]; rope(q,k); cache k,v
//               a = o_proj(attention(q, cache));  [post-attn norm]        x += a
//               h = norm(x);  m = down(act(gate(h)) · up(h));  [post-ffn norm]  x += m
//   logits = lm_head(norm(x_last)); [final soft-cap]
//
// Rows of several sequences (chunks) are processed together: the linears see one matrix of
// all new tokens; only RoPE positions and attention look at which sequence a row belongs to.
#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "abstractllm/errors.hpp"
#include "engine/model/model.hpp"
#include "engine/ops/attention.hpp"
#include "engine/ops/elementwise.hpp"
#include "engine/ops/linear.hpp"
#include "engine/ops/rope.hpp"

namespace abstractllm::engine::model {

Model::Model(ModelSpec spec, ModelWeights weights)
    : spec_(std::move(spec)), weights_(std::move(weights)) {}
Model::~Model() = default;

KVCache Model::make_cache(int64_t capacity, ops::KVType type) const {
  return KVCache(spec_.n_layers(), capacity, spec_.n_kv_heads, spec_.head_dim, type);
}

namespace {

struct RowInfo {
  KVCache* cache;
  int64_t pos;
  int64_t seq_len;  // the sequence's total length after this forward (longrope switch)
};

void add_bias(float* y, const std::vector<float>& bias, int64_t rows, int64_t n) {
  if (bias.empty()) return;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < n; ++i) y[r * n + i] += bias[static_cast<size_t>(i)];
  }
}

// Copies columns [begin, begin + n) of a rows × width matrix into a rows × n matrix.
void split_columns(const float* src, int64_t rows, int64_t width, int64_t begin, int64_t n,
                   float* dst) {
  for (int64_t r = 0; r < rows; ++r) {
    std::copy(src + r * width + begin, src + r * width + begin + n, dst + r * n);
  }
}

ops::GatedActivation gated(Activation a) {
  switch (a) {
    case Activation::SiLU:
      return ops::GatedActivation::SiLU;
    case Activation::GeluTanh:
      return ops::GatedActivation::GeluTanh;
    case Activation::GeluExact:
      return ops::GatedActivation::GeluExact;
  }
  return ops::GatedActivation::SiLU;
}

}  // namespace

// longrope (phi3): transformers uses the short factors while the sequence fits the original
// context and the long ones for *every* position once it does not — and since every layer's
// keys depend on the earlier layers' attention, the whole sequence changes. When a forward makes
// a sequence cross that line, we replay it from the start so the cache holds exactly what a full
// recomputation would (once per sequence; documented in docs/engine.md).
bool Model::crosses_long_rope(const KVCache& cache, int64_t new_len) const {
  for (const RopeSpec& r : spec_.ropes) {
    if (!r.inv_freq_long.empty() && cache.size() > 0 && cache.size() <= r.long_threshold &&
        new_len > r.long_threshold) {
      return true;
    }
  }
  return false;
}

int64_t Model::reusable_prefix(const KVCache& cache, std::span<const int32_t> prompt) const {
  for (const RopeSpec& r : spec_.ropes) {
    if (!r.inv_freq_long.empty() && cache.size() > r.long_threshold &&
        static_cast<int64_t>(prompt.size()) <= r.long_threshold) {
      return 0;
    }
  }
  const std::vector<int32_t>& held = cache.tokens();
  const size_t limit = std::min(held.size(), prompt.empty() ? size_t{0} : prompt.size() - 1);
  size_t n = 0;
  while (n < limit && held[n] == prompt[n]) ++n;
  return static_cast<int64_t>(n);
}

void Model::forward(std::span<const SequenceChunk> input, ops::ThreadPool& pool) const {
  const ModelSpec& s = spec_;
  std::vector<SequenceChunk> batch(input.begin(), input.end());
  std::vector<std::vector<int32_t>> replays;
  replays.reserve(batch.size());  // chunks point into these: no reallocation
  for (SequenceChunk& c : batch) {
    if (c.cache == nullptr) throw InvalidParameterError("cache", "forward: a chunk has no cache");
    if (crosses_long_rope(*c.cache, c.cache->size() + static_cast<int64_t>(c.tokens.size()))) {
      replays.push_back(c.cache->tokens());
      replays.back().insert(replays.back().end(), c.tokens.begin(), c.tokens.end());
      c.cache->clear();
      c.tokens = replays.back();
    }
  }
  const ModelWeights& W = weights_;
  const int64_t H = s.hidden, I = s.intermediate, hd = s.head_dim;
  const int64_t q_dim = s.n_heads * hd, kv_dim = s.n_kv_heads * hd;

  // Rows: every new token of every chunk, in order.
  std::vector<RowInfo> rows;
  std::vector<int32_t> tokens;
  for (const SequenceChunk& c : batch) {
    const int64_t n = static_cast<int64_t>(c.tokens.size());
    if (c.cache->size() + n > c.cache->capacity()) {
      throw InvalidParameterError("tokens", "forward: " + std::to_string(c.cache->size() + n) +
                                                " positions exceed the KV cache capacity of " +
                                                std::to_string(c.cache->capacity()));
    }
    for (int64_t i = 0; i < n; ++i) {
      const int32_t t = c.tokens[static_cast<size_t>(i)];
      if (t < 0 || t >= s.vocab) {
        throw InvalidParameterError("tokens", "token id " + std::to_string(t) +
                                                  " is outside the vocabulary [0, " +
                                                  std::to_string(s.vocab) + ")");
      }
      rows.push_back({c.cache, c.cache->size() + i, c.cache->size() + n});
      tokens.push_back(t);
    }
  }
  const int64_t T = static_cast<int64_t>(rows.size());
  if (T == 0) return;

  std::vector<float> x(static_cast<size_t>(T * H)), h(x.size());
  // The block outputs (o_proj, down) share h's storage: h is dead once the block's first
  // projection has read it, and is only written again after x += tmp.
  std::span<float> tmp(h);
  std::vector<float> q(static_cast<size_t>(T * q_dim)), att(q.size());
  std::vector<float> k(static_cast<size_t>(T * kv_dim)), v(k.size());
  std::vector<float> gate(static_cast<size_t>(T * I)), up(gate.size());
  std::vector<float> fused;
  if (s.fused_qkv || s.fused_gate_up) {
    fused.resize(static_cast<size_t>(T * std::max(q_dim + 2 * kv_dim, 2 * I)));
  }

  // Embedding lookup (dequantizing the row of a quantized embedding).
  for (int64_t r = 0; r < T; ++r) {
    float* xr = x.data() + r * H;
    ops::dequantize_row(W.embed, tokens[static_cast<size_t>(r)], xr);
    if (s.embed_scale != 1.0f) {
      for (int64_t i = 0; i < H; ++i) xr[i] *= s.embed_scale;
    }
  }

  std::vector<ops::AttentionRow> att_rows(static_cast<size_t>(T));
  for (int64_t l = 0; l < s.n_layers(); ++l) {
    const LayerSpec& ls = s.layers[static_cast<size_t>(l)];
    const LayerWeights& L = W.layers[static_cast<size_t>(l)];
    const RopeSpec& rope = s.ropes[static_cast<size_t>(ls.rope)];

    // Attention block.
    ops::rms_norm(x.data(), L.input_norm.data(), T, H, s.norm_eps, s.norm_plus_one, h.data(),
                  &pool);
    if (s.fused_qkv) {
      const int64_t width = q_dim + 2 * kv_dim;
      ops::linear(L.qkv, h.data(), T, fused.data(), pool);
      split_columns(fused.data(), T, width, 0, q_dim, q.data());
      split_columns(fused.data(), T, width, q_dim, kv_dim, k.data());
      split_columns(fused.data(), T, width, q_dim + kv_dim, kv_dim, v.data());
    } else {
      const ops::WeightMatrix* qkv_w[] = {&L.q, &L.k, &L.v};
      float* qkv_y[] = {q.data(), k.data(), v.data()};
      ops::linear_group(qkv_w, h.data(), T, qkv_y, pool);
    }
    add_bias(q.data(), L.q_bias, T, q_dim);
    add_bias(k.data(), L.k_bias, T, kv_dim);
    add_bias(v.data(), L.v_bias, T, kv_dim);
    if (s.qk_norm) {
      ops::rms_norm(q.data(), L.q_norm.data(), T * s.n_heads, hd, s.norm_eps, s.norm_plus_one,
                    q.data());
      ops::rms_norm(k.data(), L.k_norm.data(), T * s.n_kv_heads, hd, s.norm_eps, s.norm_plus_one,
                    k.data());
    }
    for (int64_t r = 0; r < T; ++r) {
      const RowInfo& ri = rows[static_cast<size_t>(r)];
      const bool long_table = !rope.inv_freq_long.empty() && ri.seq_len > rope.long_threshold;
      const float* inv = long_table ? rope.inv_freq_long.data() : rope.inv_freq.data();
      ops::apply_rope(q.data() + r * q_dim, s.n_heads, hd, rope.rotary_dim, inv, ri.pos,
                      rope.attention_factor);
      ops::apply_rope(k.data() + r * kv_dim, s.n_kv_heads, hd, rope.rotary_dim, inv, ri.pos,
                      rope.attention_factor);
      ri.cache->store(l, ri.pos, k.data() + r * kv_dim, v.data() + r * kv_dim);
      att_rows[static_cast<size_t>(r)] = ri.cache->attention_row(l, ri.pos);
    }
    ops::AttentionShape shape{s.n_heads,    s.n_kv_heads,   hd,
                              s.attn_scale, s.attn_softcap, ls.sliding_window};
    ops::attention(q.data(), att_rows.data(), T, shape, att.data(), pool);
    ops::linear(L.o, att.data(), T, tmp.data(), pool);
    add_bias(tmp.data(), L.o_bias, T, H);
    if (s.sandwich_norms) {
      ops::rms_norm(tmp.data(), L.post_attention_norm.data(), T, H, s.norm_eps, s.norm_plus_one,
                    tmp.data(), &pool);
    }
    for (size_t i = 0; i < x.size(); ++i) x[i] += tmp[i];

    // Feed-forward block.
    const std::vector<float>& ffn_norm = s.sandwich_norms ? L.pre_ffn_norm : L.post_attention_norm;
    ops::rms_norm(x.data(), ffn_norm.data(), T, H, s.norm_eps, s.norm_plus_one, h.data(), &pool);
    if (s.fused_gate_up) {
      ops::linear(L.gate_up, h.data(), T, fused.data(), pool);
      split_columns(fused.data(), T, 2 * I, 0, I, gate.data());
      split_columns(fused.data(), T, 2 * I, I, I, up.data());
    } else {
      const ops::WeightMatrix* gate_up_w[] = {&L.gate, &L.up};
      float* gate_up_y[] = {gate.data(), up.data()};
      ops::linear_group(gate_up_w, h.data(), T, gate_up_y, pool);
    }
    ops::gated_activation(gated(s.activation), gate.data(), up.data(), T * I, &pool);
    ops::linear(L.down, gate.data(), T, tmp.data(), pool);
    if (s.sandwich_norms) {
      ops::rms_norm(tmp.data(), L.post_ffn_norm.data(), T, H, s.norm_eps, s.norm_plus_one,
                    tmp.data(), &pool);
    }
    for (size_t i = 0; i < x.size(); ++i) x[i] += tmp[i];
  }

  // Logits of each chunk's last row.
  int64_t row = 0;
  for (const SequenceChunk& c : batch) {
    const int64_t n = static_cast<int64_t>(c.tokens.size());
    row += n;
    c.cache->commit(c.tokens);
    if (c.last_logits == nullptr || n == 0) continue;
    float* xr = x.data() + (row - 1) * H;
    ops::rms_norm(xr, W.final_norm.data(), 1, H, s.norm_eps, s.norm_plus_one, h.data());
    ops::linear(W.lm_head, h.data(), 1, c.last_logits, pool);
    if (s.final_softcap > 0) ops::softcap(c.last_logits, s.vocab, s.final_softcap);
  }
}

}  // namespace abstractllm::engine::model
