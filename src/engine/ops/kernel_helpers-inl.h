// Highway helpers shared by the linear kernels (kernel_linear.cpp and the -inl.h kernels it
// includes): scale/float conversion, a float dot product, and the per-row prologue of the
// quantized-activation decode kernels. Re-included once per SIMD target (Highway's -inl.h
// convention: the include guard toggles with HWY_TARGET_TOGGLE).
#if defined(ABSTRACTLLM_OPS_KERNEL_HELPERS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ABSTRACTLLM_OPS_KERNEL_HELPERS_INL_H_
#undef ABSTRACTLLM_OPS_KERNEL_HELPERS_INL_H_
#else
#define ABSTRACTLLM_OPS_KERNEL_HELPERS_INL_H_
#endif

#include <cstdint>
#include <cstring>

#include <hwy/highway.h>

#include "engine/ops/kernel_common.hpp"

HWY_BEFORE_NAMESPACE();
namespace abstractllm::engine::ops::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Converts n scalars of `type` starting at base[offset] to float.
void ToFloat(ScaleType type, const void* base, int64_t offset, int64_t n, float* out) {
  const hn::ScalableTag<float> df;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  int64_t i = 0;
  if (type == ScaleType::F32) {
    std::memcpy(out, static_cast<const float*>(base) + offset, static_cast<size_t>(n) * 4);
    return;
  }
  const uint16_t* src = static_cast<const uint16_t*>(base) + offset;
  if (type == ScaleType::F16) {
    const hn::Rebind<hwy::float16_t, decltype(df)> dh;
    const auto* h = reinterpret_cast<const hwy::float16_t*>(src);
    for (; i + N <= n; i += N) hn::StoreU(hn::PromoteTo(df, hn::LoadU(dh, h + i)), df, out + i);
    for (; i < n; ++i) out[i] = detail::f16_to_f32(src[i]);
  } else {
    const hn::Rebind<hwy::bfloat16_t, decltype(df)> db;
    const auto* h = reinterpret_cast<const hwy::bfloat16_t*>(src);
    for (; i + N <= n; i += N) hn::StoreU(hn::PromoteTo(df, hn::LoadU(db, h + i)), df, out + i);
    for (; i < n; ++i) out[i] = detail::bf16_to_f32(src[i]);
  }
}

float Dot(const float* a, const float* b, int64_t n) {
  const hn::ScalableTag<float> df;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  auto s0 = hn::Zero(df), s1 = hn::Zero(df);
  int64_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    s0 = hn::MulAdd(hn::LoadU(df, a + i), hn::LoadU(df, b + i), s0);
    s1 = hn::MulAdd(hn::LoadU(df, a + i + N), hn::LoadU(df, b + i + N), s1);
  }
  for (; i + N <= n; i += N) s0 = hn::MulAdd(hn::LoadU(df, a + i), hn::LoadU(df, b + i), s0);
  float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(s0, s1)));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// Lanes of uint16 in one chunk: one group's packed bytes, at most a full vector.
template <int kBits, int kGroup>
using ChunkTag = hn::CappedTag<uint16_t, kGroup * kBits / 16>;

// Per-row prologue: fac[g] = scale[g] * dx[g], returns sum_g bias[g] * xsum[g].
float RowFactors(const WeightMatrix& w, int64_t r, int64_t groups, const float* dx,
                 const float* xsum, float* fac) {
  const hn::ScalableTag<float> df;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  const int64_t off = r * groups;
  auto bacc = hn::Zero(df);
  int64_t g = 0;
  if (w.scale_type == ScaleType::F16) {
    const hn::Rebind<hwy::float16_t, decltype(df)> dh;
    const auto* s = static_cast<const hwy::float16_t*>(w.scales) + off;
    const auto* b = static_cast<const hwy::float16_t*>(w.biases) + off;
    for (; g + N <= groups; g += N) {
      hn::StoreU(hn::Mul(hn::PromoteTo(df, hn::LoadU(dh, s + g)), hn::LoadU(df, dx + g)), df,
                 fac + g);
      bacc = hn::MulAdd(hn::PromoteTo(df, hn::LoadU(dh, b + g)), hn::LoadU(df, xsum + g), bacc);
    }
  } else if (w.scale_type == ScaleType::BF16) {
    const hn::Rebind<hwy::bfloat16_t, decltype(df)> db;
    const auto* s = static_cast<const hwy::bfloat16_t*>(w.scales) + off;
    const auto* b = static_cast<const hwy::bfloat16_t*>(w.biases) + off;
    for (; g + N <= groups; g += N) {
      hn::StoreU(hn::Mul(hn::PromoteTo(df, hn::LoadU(db, s + g)), hn::LoadU(df, dx + g)), df,
                 fac + g);
      bacc = hn::MulAdd(hn::PromoteTo(df, hn::LoadU(db, b + g)), hn::LoadU(df, xsum + g), bacc);
    }
  } else {
    const float* s = static_cast<const float*>(w.scales) + off;
    const float* b = static_cast<const float*>(w.biases) + off;
    for (; g + N <= groups; g += N) {
      hn::StoreU(hn::Mul(hn::LoadU(df, s + g), hn::LoadU(df, dx + g)), df, fac + g);
      bacc = hn::MulAdd(hn::LoadU(df, b + g), hn::LoadU(df, xsum + g), bacc);
    }
  }
  float bsum = hn::GetLane(hn::SumOfLanes(df, bacc));
  for (; g < groups; ++g) {
    fac[g] = detail::load_scalar(w.scales, w.scale_type, off + g) * dx[g];
    bsum += detail::load_scalar(w.biases, w.scale_type, off + g) * xsum[g];
  }
  return bsum;
}

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops::kernels
HWY_AFTER_NAMESPACE();

#endif  // include guard
