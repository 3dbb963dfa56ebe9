// Small per-element and per-row ops of the transformer: RMSNorm, activations, soft-capping,
// softmax. Row-wise ops are multithreaded over rows when there are enough of them.
//
// Numerics follow transformers in float32: RMSNorm computes mean(x²) in float (accumulated in
// double here, which only reduces rounding), gelu_tanh is PyTorch's "gelu_pytorch_tanh".
#pragma once

#include <cstdint>

#include "engine/ops/thread_pool.hpp"

namespace abstractllm::engine::ops {

// out[r] = x[r] / sqrt(mean(x[r]²) + eps) * (plus_one ? 1 + w : w), for r < rows, each row of
// length n. out may alias x.
void rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, bool plus_one,
              float* out, ThreadPool* pool = nullptr);

float silu(float x);
float gelu_tanh(float x);
float gelu_exact(float x);

enum class GatedActivation { SiLU, GeluTanh, GeluExact };
// gate[i] = act(gate[i]) * up[i] for i < n (SwiGLU / GeGLU).
// With a pool, large inputs (prefill) are split across its threads.
void gated_activation(GatedActivation act, float* gate, const float* up, int64_t n,
                      ThreadPool* pool = nullptr);

// x[i] = cap * tanh(x[i] / cap).
void softcap(float* x, int64_t n, float cap);

// In-place numerically stable softmax over n values.
void softmax(float* x, int64_t n);

}  // namespace abstractllm::engine::ops
