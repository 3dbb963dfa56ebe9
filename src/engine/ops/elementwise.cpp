#include "engine/ops/elementwise.hpp"

#include <algorithm>
#include <cmath>

#include "engine/ops/kernel_activation.hpp"

namespace abstractllm::engine::ops {

namespace {

void rms_norm_rows(const float* x, const float* w, int64_t begin, int64_t end, int64_t n, float eps,
                   bool plus_one, float* out) {
  for (int64_t r = begin; r < end; ++r) {
    const float* xr = x + r * n;
    float* yr = out + r * n;
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(xr[i]) * xr[i];
    // transformers: x * torch.rsqrt(mean + eps) in float32.
    const float inv = 1.0f / std::sqrt(static_cast<float>(ss / static_cast<double>(n)) + eps);
    if (plus_one) {
      for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] * inv) * (1.0f + w[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] * inv) * w[i];
    }
  }
}

}  // namespace

void rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, bool plus_one,
              float* out, ThreadPool* pool) {
  // Threads pay off only when there is real work (prefill); decode is one row.
  if (pool != nullptr && rows >= 8 && rows * n >= (1 << 15)) {
    pool->parallel_for(
        rows, [&](int64_t b, int64_t e) { rms_norm_rows(x, w, b, e, n, eps, plus_one, out); });
  } else {
    rms_norm_rows(x, w, 0, rows, n, eps, plus_one, out);
  }
}

float silu(float x) { return x / (1.0f + std::exp(-x)); }

float gelu_tanh(float x) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

float gelu_exact(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f)); }

namespace {

void gated_activation_range(GatedActivation act, float* gate, const float* up, int64_t begin,
                            int64_t end) {
  switch (act) {
    case GatedActivation::SiLU:
      kernels::silu_mul(gate + begin, up + begin, end - begin);
      break;
    case GatedActivation::GeluTanh:
      kernels::gelu_tanh_mul(gate + begin, up + begin, end - begin);
      break;
    case GatedActivation::GeluExact:
      for (int64_t i = begin; i < end; ++i) gate[i] = gelu_exact(gate[i]) * up[i];
      break;
  }
}

}  // namespace

void gated_activation(GatedActivation act, float* gate, const float* up, int64_t n,
                      ThreadPool* pool) {
  if (pool != nullptr && n >= (1 << 16)) {
    pool->parallel_for(n,
                       [&](int64_t b, int64_t e) { gated_activation_range(act, gate, up, b, e); });
  } else {
    gated_activation_range(act, gate, up, 0, n);
  }
}

void softcap(float* x, int64_t n, float cap) {
  for (int64_t i = 0; i < n; ++i) x[i] = cap * std::tanh(x[i] / cap);
}

void softmax(float* x, int64_t n) {
  if (n <= 0) return;
  const float mx = *std::max_element(x, x + n);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace abstractllm::engine::ops
