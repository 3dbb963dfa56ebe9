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

#include <hwy/aligned_allocator.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#if HWY_ARCH_X86
#include <immintrin.h>
#endif

#include "engine/ops/kernel_common.hpp"
#include "engine/ops/thread_pool.hpp"

// Per target: whether the x86 intrinsic paths exist (AVX2 and up): UnpackOdd16 and the 3/5/6-bit
// kernels built on it, the int8 kernels, the register transpose of the prefill panels.
#undef ALLM_X86_AVX2
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
#define ALLM_X86_AVX2 1
#else
#define ALLM_X86_AVX2 0
#endif
// Per target: whether AVX-512 (F/BW/DQ/VL) is compiled in, the base of the VNNI kernels, which
// check for AVX512-VNNI at run time (Highway 1.0.3 has no target that implies it).
#undef ALLM_X86_AVX512
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
#define ALLM_X86_AVX512 1
#else
#define ALLM_X86_AVX512 0
#endif

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

// Calls fn.template operator()<B, G>() for w's (bits, group_size) when bits is one of kBits and
// group_size one of 32/64/128; returns whether it did. The kernels are templates on both, so
// this turns the runtime pair into a compile-time one.
template <int... kBits, class Fn>
bool WithBitsAndGroup(const WeightMatrix& w, Fn&& fn) {
  bool done = false;
  auto for_bits = [&]<int B>() {
    if (done || w.bits != B) return;
    if (w.group_size == 32) {
      fn.template operator()<B, 32>();
    } else if (w.group_size == 64) {
      fn.template operator()<B, 64>();
    } else if (w.group_size == 128) {
      fn.template operator()<B, 128>();
    } else {
      return;
    }
    done = true;
  };
  (for_bits.template operator()<kBits>(), ...);
  return done;
}

// A thread's scratch buffer of at least n elements, aligned for SIMD (64 bytes on x86), grown
// when a call needs more (buf and size are the caller's thread_local variables). The decode
// kernels keep their quantized activations here: every row reloads them in 32- or 64-byte
// vectors, and from a std::vector's 16-byte alignment up to half of those loads crossed a cache
// line (Zen 5, eight interleaved rounds, medians: BM_DecodeHot 4-bit 23.4 -> 27.4 GB/s, 8-bit
// 40.1 -> 49.8; docs/performance.md).
template <class T>
T* AlignedScratch(hwy::AlignedFreeUniquePtr<T[]>& buf, size_t& size, int64_t n) {
  if (size < static_cast<size_t>(n)) {
    buf = hwy::AllocateAligned<T>(static_cast<size_t>(n));
    size = static_cast<size_t>(n);
  }
  return buf.get();
}

// Runs fn(i, begin, end) on the pool over the rows of the n matrices ws taken as one range
// (matrix i's rows [begin, end); each matrix row_bytes of weights per row): one parallel region
// for q/k/v or gate/up. Blocks of rows big enough to stream (>= ~16 KiB of weights), about four
// per thread (detail::decode_blocks_per_thread), handed out dynamically so a descheduled
// thread's share is picked up by the others. Each block is a stream the prefetchers start
// afresh; at the machine's upper bandwidth level fewer, longer streams won (Llama-1B 4-bit,
// two threads, sampled between bandwidth probes: 16 blocks a thread 57 %, 4 blocks 63 % of the
// roofline; docs/performance.md, "Blocks per thread").
// With unit > 1 (tiled weights: every matrix's rows a multiple of it), blocks start and end on
// multiples of unit rows.
template <class Fn>
void ParallelDecodeRows(const WeightMatrix* const* ws, int n, int64_t row_bytes, ThreadPool& pool,
                        Fn&& fn, int64_t unit = 1) {
  int64_t total = 0;  // in units
  for (int i = 0; i < n; ++i) total += ws[i]->rows / unit;
  const int64_t min_units = std::max<int64_t>(1, 16384 / std::max<int64_t>(row_bytes * unit, 1));
  const int64_t target = std::max<int64_t>(1, total / (static_cast<int64_t>(pool.size()) *
                                                        detail::decode_blocks_per_thread()));
  pool.parallel_for_grain(total, std::max(min_units, target), [&](int64_t b, int64_t e) {
    int64_t first = 0;  // index of matrix i's first unit in the range
    for (int i = 0; i < n && b < e; ++i) {
      const int64_t units = ws[i]->rows / unit;
      if (b < first + units) {
        const int64_t stop = std::min(e, first + units);
        fn(i, (b - first) * unit, (stop - first) * unit);
        b = stop;
      }
      first += units;
    }
  });
}

// max |x_c| and sum x_c over n floats (the per-group statistics of activation quantization).
HWY_INLINE void AbsMaxAndSum(const float* x, int64_t n, float& amax, float& sum) {
  const hn::ScalableTag<float> df;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  auto vmax = hn::Zero(df), vsum = hn::Zero(df);
  const int64_t full = n - n % N;
  for (int64_t i = 0; i < full; i += N) {
    const auto v = hn::LoadU(df, x + i);
    vmax = hn::Max(vmax, hn::Abs(v));
    vsum = hn::Add(vsum, v);
  }
  amax = hn::GetLane(hn::MaxOfLanes(df, vmax));
  sum = hn::GetLane(hn::SumOfLanes(df, vsum));
  for (int64_t i = full; i < n; ++i) {
    amax = std::max(amax, std::fabs(x[i]));
    sum += x[i];
  }
}

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

#if ALLM_X86_AVX2
// 16 values of a 3/5/6-bit row from the 2*kBits bytes at p (16 bytes must be readable): the
// 16 bytes go to both 128-bit halves; pshufb gives lane i the two bytes that hold value i's
// bits [o_i, o_i + kBits) (o_i = kBits*i mod 8); a multiply by 2^(16 - kBits - o_i) moves them
// to the top of the lane and one shift brings them down — a per-lane variable shift, which AVX2
// lacks for 16-bit lanes. Three vector instructions per 16 values instead of 16 scalar ones.
template <int kBits>
HWY_INLINE __m256i UnpackOdd16(const uint8_t* p) {
  struct Tables {
    alignas(32) uint8_t shuffle[32];
    alignas(32) uint16_t mul[16];
  };
  static constexpr Tables t = [] {
    Tables r{};
    for (int i = 0; i < 16; ++i) {
      const int bit = kBits * i;
      r.shuffle[2 * i] = static_cast<uint8_t>(bit / 8);
      r.shuffle[2 * i + 1] = static_cast<uint8_t>(bit / 8 + 1);
      r.mul[i] = static_cast<uint16_t>(1u << (16 - kBits - bit % 8));
    }
    return r;
  }();
  const __m256i bytes =
      _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  const __m256i pairs =
      _mm256_shuffle_epi8(bytes, _mm256_load_si256(reinterpret_cast<const __m256i*>(t.shuffle)));
  const __m256i top =
      _mm256_mullo_epi16(pairs, _mm256_load_si256(reinterpret_cast<const __m256i*>(t.mul)));
  return _mm256_srli_epi16(top, 16 - kBits);
}

// Whether UnpackOdd16 can take every 16 values of the group at wg: its last 16-byte load ends by
// `limit`, the end of the matrix (a load past a row's end reads the next row, which is harmless).
template <int kBits, int kGroup>
HWY_INLINE bool OddGroupLoadsFit(const uint8_t* wg, const uint8_t* limit) {
  return wg + (kGroup / 16 - 1) * 2 * kBits + 16 <= limit;
}

// Group g of a 3/5/6-bit row (wr, row_bytes long) as kGroup values in the natural order, 16 at a
// time with UnpackOdd16; value by value only where those loads would pass `limit`, the end of the
// matrix.
template <int kBits, int kGroup>
HWY_INLINE void UnpackOddGroup(const uint8_t* wr, int64_t row_bytes, int64_t g,
                               const uint8_t* limit, int16_t* out) {
  const uint8_t* wg = wr + g * (kGroup * kBits / 8);
  if (!OddGroupLoadsFit<kBits, kGroup>(wg, limit)) {
    for (int64_t c = 0; c < kGroup; ++c) {
      out[c] = static_cast<int16_t>(detail::affine_value(wr, row_bytes, g * kGroup + c, kBits));
    }
    return;
  }
  for (int64_t ch = 0; ch < kGroup / 16; ++ch) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16 * ch),
                        UnpackOdd16<kBits>(wg + ch * 2 * kBits));
  }
}

#endif

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops::kernels
HWY_AFTER_NAMESPACE();

#endif  // include guard
