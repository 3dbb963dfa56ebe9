// Decode (n_tokens == 1) of 4- and 8-bit Tiles16 weights (tiled_weights.hpp) on AVX-512 VNNI,
// included by kernel_linear.cpp once per SIMD target (Highway's -inl.h convention).
//
// Numerics: the two-pass int8 activations of kernel_decode_vnni-inl.h, the same integer sums
// 256 * S1 + S2 per row and group, exact in int32; only the order of the float sums over groups
// differs (each row's lane adds its groups one by one).
//
// Why a layout of its own: a 512-bit slice of a group block holds four bytes of each of sixteen
// rows, so one `vpdpbusd` with four activation bytes broadcast from memory advances sixteen rows
// at once and leaves each row's sum in its own lane: no horizontal reduction, sixteen outputs
// stored as one vector, the scales and biases in the same stream as the weights, every load a
// whole aligned line. A standalone copy of the loop (Zen 5, one thread, Llama-1B rows of 2048)
// ran 83 GB/s in cache against 21 for the Rows kernel's, and streamed 0.86-0.95 of a plain read
// from memory without software prefetch against 0.49-0.60 (docs/performance.md, "Tiles16").
#if defined(ABSTRACTLLM_OPS_KERNEL_DECODE_TILES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ABSTRACTLLM_OPS_KERNEL_DECODE_TILES_INL_H_
#undef ABSTRACTLLM_OPS_KERNEL_DECODE_TILES_INL_H_
#else
#define ABSTRACTLLM_OPS_KERNEL_DECODE_TILES_INL_H_
#endif

#include <hwy/highway.h>

#include <cstdint>
#include <vector>
#if HWY_ARCH_X86
#include <immintrin.h>
#endif

#include "engine/ops/kernel_decode_vnni-inl.h"
#include "engine/ops/kernel_helpers-inl.h"
#include "engine/ops/kernel_prefill_vnni-inl.h"
#include "engine/ops/thread_pool.hpp"
#include "engine/ops/tiled_weights.hpp"

HWY_BEFORE_NAMESPACE();
namespace abstractllm::engine::ops::kernels {
namespace HWY_NAMESPACE {

#if ALLM_X86_AVX512

// acc += u . broadcast(x[0..4)) (vpdpbusd with an embedded broadcast of four activation bytes).
// Inline assembly for the reason DotBytes gives (GCC 12 copies intrinsic accumulators).
__attribute__((target("avx512vnni"))) HWY_INLINE void DotBroadcast(__m512i& acc, __m512i u,
                                                                   const int8_t* x) {
  asm("vpdpbusd %1%{1to16%}, %2, %0"
      : "+v"(acc)
      : "m"(*reinterpret_cast<const int32_t*>(x)), "v"(u));
}

// An aligned 64-byte load kept as one instruction (see LoadOnce).
HWY_INLINE __m512i LoadLine(const void* p) {
  __m512i v;
  asm("vmovdqa64 %1, %0" : "=v"(v) : "m"(*static_cast<const __m512i*>(p)));
  return v;
}

// GCC 12 warns about the _mm512_undefined_*() inside its own 512-bit intrinsics (as in
// MicroKernelVnni).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// Sixteen f16 or bf16 values as floats.
template <ScaleType kType>
__attribute__((target("avx512vnni"))) HWY_INLINE __m512 SixteenToFloat(__m256i h) {
  if constexpr (kType == ScaleType::F16) return _mm512_cvtph_ps(h);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// One tile's n consecutive group blocks from `tile` (activations, dx and xsum from the first
// of them on): f plus their sixteen rows' terms. 4-bit: each slice gives its low nibbles (the
// even values of its eight, with the activations' four even bytes) and its high ones; 8-bit:
// each slice is four values of each row as they are.
template <int kBits, int kGroup, ScaleType kScale, bool kPrefetch>
__attribute__((target("avx512vnni"))) HWY_INLINE __m512
TileGroups(const uint8_t* tile, int64_t n, const int8_t* x1, const int8_t* x2, const float* dx,
           const float* xsum, int64_t dist, __m512 f) {
  constexpr int64_t kBlock = 2 * kGroup * kBits + 64;
  constexpr int kSlices = kGroup * kBits / 32;
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  for (int64_t g = 0; g < n; ++g) {
    const uint8_t* b = tile + g * kBlock;
    if constexpr (kPrefetch) {
      for (int64_t o = 0; o < kBlock; o += 64) detail::prefetch(b + o + dist);
    }
    const int8_t* q1 = x1 + g * kGroup;
    const int8_t* q2 = x2 + g * kGroup;
    // Four chains (two per pass) of kSlices steps (4-bit) or kSlices / 2 (8-bit).
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, b0 = a0, b1 = a0;
    for (int k = 0; k < kSlices; ++k) {
      const __m512i v = LoadLine(b + 64 * k);
      if constexpr (kBits == 4) {
        const __m512i lo = _mm512_and_si512(v, m4);
        const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
        DotBroadcast(a0, lo, q1 + 8 * k);
        DotBroadcast(a1, hi, q1 + 8 * k + 4);
        DotBroadcast(b0, lo, q2 + 8 * k);
        DotBroadcast(b1, hi, q2 + 8 * k + 4);
      } else if (k % 2 == 0) {
        DotBroadcast(a0, v, q1 + 4 * k);
        DotBroadcast(b0, v, q2 + 4 * k);
      } else {
        DotBroadcast(a1, v, q1 + 4 * k);
        DotBroadcast(b1, v, q2 + 4 * k);
      }
    }
    const __m512i s =
        _mm512_add_epi32(_mm512_slli_epi32(_mm512_add_epi32(a0, a1), 8), _mm512_add_epi32(b0, b1));
    const __m512i sb = LoadLine(b + 2 * kGroup * kBits);
    const __m512 scale = SixteenToFloat<kScale>(_mm512_castsi512_si256(sb));
    const __m512 bias = SixteenToFloat<kScale>(_mm512_extracti64x4_epi64(sb, 1));
    f = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(scale, _mm512_set1_ps(dx[g])), f);
    f = _mm512_fmadd_ps(bias, _mm512_set1_ps(xsum[g]), f);
  }
  return f;
}

// Tiles [t0, t1) of w: y[16 t + i] for each of their rows, column block by column block (each
// block's partial sums kept in y between blocks), as the layout stores them. With kPrefetch,
// each group block's lines `dist` bytes ahead into L2.
template <int kBits, int kGroup, ScaleType kScale, bool kPrefetch>
__attribute__((target("avx512vnni"))) void DecodeTiles(const WeightMatrix& w, const int8_t* x1,
                                                       const int8_t* x2, const float* dx,
                                                       const float* xsum, float* y, int64_t t0,
                                                       int64_t t1, int64_t dist) {
  constexpr int64_t kBlock = 2 * kGroup * kBits + 64;
  constexpr int64_t kBlockGroups = kTileBlockCols / kGroup;
  const int64_t groups = w.cols / kGroup;
  for (int64_t g0 = 0; g0 < groups; g0 += kBlockGroups) {
    const int64_t n = std::min(kBlockGroups, groups - g0);
    const auto* base = static_cast<const uint8_t*>(w.data) + tiled_group_offset(w, 0, g0);
    for (int64_t t = t0; t < t1; ++t) {
      const __m512 f0 = g0 == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(y + t * kTileRows);
      const __m512 f = TileGroups<kBits, kGroup, kScale, kPrefetch>(
          base + t * n * kBlock, n, x1 + g0 * kGroup, x2 + g0 * kGroup, dx + g0, xsum + g0, dist,
          f0);
      _mm512_storeu_ps(y + t * kTileRows, f);
    }
  }
}

#pragma GCC diagnostic pop

// n Tiles16 matrices sharing x (same bits, group, cols and scale type) in one parallel region;
// false when they are not all Tiles16 alike or the CPU lacks VNNI.
bool DecodeTilesGroup(const WeightMatrix* const* ws, float* const* ys, int n, const float* x,
                      ThreadPool& pool) {
  const WeightMatrix& w0 = *ws[0];
  if (!HasAvx512Vnni()) return false;
  for (int i = 0; i < n; ++i) {
    const WeightMatrix& w = *ws[i];
    if (w.layout != WeightLayout::Tiles16 || w.bits != w0.bits || w.group_size != w0.group_size ||
        w.cols != w0.cols || w.scale_type != w0.scale_type || w.rows % kTileRows != 0 ||
        w.scale_type == ScaleType::F32) {
      return false;
    }
  }
  auto run = [&]<int kBits, int kGroup>() {
    // 4-bit: each eight values' even ones, then their odd ones; 8-bit: the natural order.
    const TwoPassActivations a = QuantizeTwoPassScratch<kBits, kGroup, kBits == 4>(x, w0.cols);
    const int64_t dist = decode_tuning().tiled_prefetch_bytes;
    ParallelDecodeRows(
        ws, n, w0.cols * kBits / 8, pool,
        [&](int i, int64_t b, int64_t e) {
          auto tiles = [&]<ScaleType kScale>() {
            if (dist > 0) {
              DecodeTiles<kBits, kGroup, kScale, true>(*ws[i], a.x1, a.x2, a.dx, a.xsum, ys[i],
                                                       b / kTileRows, e / kTileRows, dist);
            } else {
              DecodeTiles<kBits, kGroup, kScale, false>(*ws[i], a.x1, a.x2, a.dx, a.xsum, ys[i],
                                                        b / kTileRows, e / kTileRows, 0);
            }
          };
          if (w0.scale_type == ScaleType::F16) {
            tiles.template operator()<ScaleType::F16>();
          } else {
            tiles.template operator()<ScaleType::BF16>();
          }
        },
        kTileRows);
  };
  return WithBitsAndGroup<4, 8>(w0, run);
}

bool HasTiledDecode() { return HasAvx512Vnni(); }

#else

bool DecodeTilesGroup(const WeightMatrix* const*, float* const*, int, const float*, ThreadPool&) {
  return false;
}
bool HasTiledDecode() { return false; }

#endif  // ALLM_X86_AVX512

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops::kernels
HWY_AFTER_NAMESPACE();

#endif  // include guard
