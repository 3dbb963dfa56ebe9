// IEEE half <-> float conversions of KV cache elements, per SIMD target (Highway's -inl.h
// convention): included by kernel_attention.cpp (widening a half cache for the lanes layouts)
// and kernel_kv_store.cpp (ops::store_kv / load_kv).
#if defined(ABSTRACTLLM_OPS_KERNEL_HALF_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ABSTRACTLLM_OPS_KERNEL_HALF_INL_H_
#undef ABSTRACTLLM_OPS_KERNEL_HALF_INL_H_
#else
#define ABSTRACTLLM_OPS_KERNEL_HALF_INL_H_
#endif

#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

HWY_BEFORE_NAMESPACE();
namespace abstractllm::engine::ops::kernels {
namespace HWY_NAMESPACE {

// dst[i] = src[i] for i < n.
HWY_INLINE void WidenHalf(const hwy::float16_t* HWY_RESTRICT src, int64_t n,
                          float* HWY_RESTRICT dst) {
  namespace hn = hwy::HWY_NAMESPACE;
  const hn::ScalableTag<float> df;
  const hn::Rebind<hwy::float16_t, decltype(df)> dh;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::PromoteTo(df, hn::LoadU(dh, src + i)), df, dst + i);
  if (i < n) {  // a partial vector through aligned buffers
    HWY_ALIGN hwy::float16_t h[HWY_MAX_BYTES / sizeof(float)] = {};
    HWY_ALIGN float f[HWY_MAX_BYTES / sizeof(float)];
    std::copy(src + i, src + n, h);
    hn::Store(hn::PromoteTo(df, hn::Load(dh, h)), df, f);
    std::copy(f, f + (n - i), dst + i);
  }
}

// float -> IEEE half, rounded to nearest even, |f| <= 65504 (or NaN). For the targets whose
// conversion Highway emulates by truncating (x86 without F16C, emulated vectors).
HWY_INLINE uint16_t HalfFromFloat(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof(x));
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  x &= 0x7fffffff;
  if (x > 0x7f800000) return static_cast<uint16_t>(sign | 0x7e00);  // NaN
  if (x < 0x38800000) {  // below 2^-14: a multiple of 2^-24 (subnormal) or zero
    float units;
    std::memcpy(&units, &x, sizeof(units));
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(std::nearbyint(units * 16777216.0f)));
  }
  // Rebias the exponent (127 -> 15) and round the 13 dropped bits to nearest even.
  x += 0xc8000fffu + ((x >> 13) & 1);
  return static_cast<uint16_t>(sign | (x >> 13));
}

// dst[i] = half(src[i]) for i < n: rounded to nearest even (the conversion instruction's mode
// where there is one), saturating at ±65504 so that no key becomes infinite.
HWY_INLINE void StoreHalf(const float* HWY_RESTRICT src, int64_t n, void* dst_v) {
  const float kMax = 65504.0f;
#if HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_SSSE3 || HWY_TARGET == HWY_EMU128 || \
    HWY_TARGET == HWY_SCALAR
  auto* dst = static_cast<uint16_t*>(dst_v);
  for (int64_t i = 0; i < n; ++i) dst[i] = HalfFromFloat(std::clamp(src[i], -kMax, kMax));
#else
  namespace hn = hwy::HWY_NAMESPACE;
  const hn::ScalableTag<float> df;
  const hn::Rebind<hwy::float16_t, decltype(df)> dh;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  auto* dst = static_cast<hwy::float16_t*>(dst_v);
  const auto hi = hn::Set(df, kMax), lo = hn::Set(df, -kMax);
  const auto half = [&](auto v) { return hn::DemoteTo(dh, hn::Min(hn::Max(v, lo), hi)); };
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(half(hn::LoadU(df, src + i)), dh, dst + i);
  if (i < n) {
    HWY_ALIGN float f[HWY_MAX_BYTES / sizeof(float)] = {};
    HWY_ALIGN hwy::float16_t h[HWY_MAX_BYTES / sizeof(float)];
    std::copy(src + i, src + n, f);
    hn::Store(half(hn::Load(df, f)), dh, h);
    std::copy(h, h + (n - i), dst + i);
  }
#endif
}

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops::kernels
HWY_AFTER_NAMESPACE();

#endif  // include guard
