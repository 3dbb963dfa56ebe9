// SIMD gated activations (Highway, runtime dispatch): see kernel_activation.hpp. A prefill of
// 512 tokens applies the MLP activation to 512 x intermediate values per layer; the scalar
// std::exp loop took ~2.5 % of it.
#include "engine/ops/kernel_activation.hpp"

#include <algorithm>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "engine/ops/kernel_activation.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
// After highway.h (per-target code):
#include <hwy/contrib/math/math-inl.h>

HWY_BEFORE_NAMESPACE();
namespace abstractllm::engine::ops::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Applies f (vector -> vector) to gate and multiplies by up; the tail goes through one padded
// vector so every element takes the same arithmetic.
template <class F>
HWY_INLINE void MapMul(float* gate, const float* up, int64_t n, F f) {
  const hn::ScalableTag<float> df;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(hn::Mul(f(df, hn::LoadU(df, gate + i)), hn::LoadU(df, up + i)), df, gate + i);
  }
  if (i < n) {
    HWY_ALIGN float g[HWY_MAX_BYTES / sizeof(float)] = {};
    HWY_ALIGN float u[HWY_MAX_BYTES / sizeof(float)] = {};
    std::copy(gate + i, gate + n, g);
    std::copy(up + i, up + n, u);
    hn::Store(hn::Mul(f(df, hn::Load(df, g)), hn::Load(df, u)), df, g);
    std::copy(g, g + (n - i), gate + i);
  }
}

void SiluMulImpl(float* gate, const float* up, int64_t n) {
  MapMul(gate, up, n, [](auto df, auto x) {
    // e^-x overflows past 88.7; clamped there 1 + e^-x is ~1.7e38 and x / it rounds to -0,
    // as the scalar formula gives (Exp's valid range ends at 104).
    const auto e = hn::CallExp(df, hn::Min(hn::Neg(x), hn::Set(df, 88.0f)));
    return hn::Div(x, hn::Add(hn::Set(df, 1.0f), e));
  });
}

void GeluTanhMulImpl(float* gate, const float* up, int64_t n) {
  MapMul(gate, up, n, [](auto df, auto x) {
    const auto k = hn::Set(df, 0.7978845608028654f);
    const auto x3 = hn::Mul(hn::Mul(x, x), x);
    const auto inner = hn::Mul(k, hn::MulAdd(hn::Set(df, 0.044715f), x3, x));
    const auto t = hn::CallTanh(df, inner);
    return hn::Mul(hn::Mul(hn::Set(df, 0.5f), x), hn::Add(hn::Set(df, 1.0f), t));
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace abstractllm::engine::ops::kernels {

HWY_EXPORT(SiluMulImpl);
HWY_EXPORT(GeluTanhMulImpl);

void silu_mul(float* gate, const float* up, int64_t n) {
  HWY_DYNAMIC_DISPATCH(SiluMulImpl)(gate, up, n);
}

void gelu_tanh_mul(float* gate, const float* up, int64_t n) {
  HWY_DYNAMIC_DISPATCH(GeluTanhMulImpl)(gate, up, n);
}

}  // namespace abstractllm::engine::ops::kernels
#endif  // HWY_ONCE
