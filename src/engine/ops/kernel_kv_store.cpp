// SIMD conversions between float and a KV cache's half-precision elements (Highway, runtime
// dispatch): kernels::store_kv_f16 and load_kv_f16 behind ops::store_kv / load_kv
// (attention.hpp).
#include <cstdint>

#include "engine/ops/attention.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "engine/ops/kernel_kv_store.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
// After highway.h (per-target code):
#include "engine/ops/kernel_half-inl.h"

HWY_BEFORE_NAMESPACE();
namespace abstractllm::engine::ops::kernels {
namespace HWY_NAMESPACE {

void StoreKvF16Impl(const float* src, int64_t n, void* dst) { StoreHalf(src, n, dst); }

void LoadKvF16Impl(const void* src, int64_t n, float* dst) {
  WidenHalf(static_cast<const hwy::float16_t*>(src), n, dst);
}

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace abstractllm::engine::ops::kernels {

HWY_EXPORT(StoreKvF16Impl);
HWY_EXPORT(LoadKvF16Impl);

void store_kv_f16(const float* src, int64_t n, void* dst) {
  HWY_DYNAMIC_DISPATCH(StoreKvF16Impl)(src, n, dst);
}

void load_kv_f16(const void* src, int64_t n, float* dst) {
  HWY_DYNAMIC_DISPATCH(LoadKvF16Impl)(src, n, dst);
}

}  // namespace abstractllm::engine::ops::kernels
#endif  // HWY_ONCE
