// Prefill of affine weights (2, 3, 4, 5, 6, 8 bits) with int16 activations on AVX-512 VNNI
// (vpdpwssd), included by kernel_linear.cpp once per SIMD target (Highway's -inl.h convention);
// the code exists on the AVX-512 targets and runs where the CPU has AVX512-VNNI (Zen 4, Ice Lake
// and up).
//
// Numerics: the activations are rounded exactly as the int16 decode kernels round them, per
// token and weight group: d_tg = max|x_tg| / 32767, xq = round(x / d_tg), the exact float sum
// of the group kept for the bias term, so
//   y_tr = sum_g s_rg * d_tg * sum_c q_rc * xq_tc  +  sum_g b_rg * xsum_tg,
// the integer sums exact in int32 (|q| <= 255, |xq| <= 32767, 128 values: < 2^31). A prompt's
// logits therefore carry the decode path's rounding (at most d_tg / 2 per activation), not a new
// one; the float GEMM of kernel_prefill-inl.h stays for the other targets and formats.
//
// Why: on Zen 4 the float GEMM runs near the FMA peak, and vpdpwssd does 32 int16 multiply-adds
// per 512-bit instruction at about the rate of 16-lane float FMAs (BM_Prefill: 1.7x).
//
// Layout, as in the float GEMM (BLIS style, columns packed kPackCols at a time, k in blocks of
// kKc): weights unpacked once per call into int16 (2/4/8 bits in the permuted order of
// UnpackGroupPermuted, 3/5/6 bits in the natural one), two adjacent values per 32-bit lane, k-major
// panels of MR = 32 rows
// ([k/2][32] int32: two zmm per k pair); tokens quantized into panels of kVnniNR = 8 tokens
// ([k/2][8] int32, broadcast one pair at a time), with their d and xsum per group. The
// micro-kernel keeps 2 x 8 int32 accumulators for one group, then adds them into the float
// partial sums: c += float(acc) * (s_r * d_t) + b_r * xsum_t.
#if defined(ABSTRACTLLM_OPS_KERNEL_PREFILL_VNNI_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ABSTRACTLLM_OPS_KERNEL_PREFILL_VNNI_INL_H_
#undef ABSTRACTLLM_OPS_KERNEL_PREFILL_VNNI_INL_H_
#else
#define ABSTRACTLLM_OPS_KERNEL_PREFILL_VNNI_INL_H_
#endif

#include <hwy/aligned_allocator.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>
#if HWY_ARCH_X86
#include <immintrin.h>
#endif

#include "engine/ops/kernel_helpers-inl.h"
#include "engine/ops/kernel_prefill-inl.h"
#include "engine/ops/thread_pool.hpp"
#include "engine/ops/tiled_weights.hpp"

HWY_BEFORE_NAMESPACE();
namespace abstractllm::engine::ops::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if ALLM_X86_AVX512

// Whether the CPU has AVX512-VNNI (asked once).
HWY_INLINE bool HasAvx512Vnni() {
  static const bool has = __builtin_cpu_supports("avx512vnni");
  return has;
}

constexpr int64_t kVnniMR = 32;  // rows per panel: two zmm of int32 lanes
constexpr int64_t kVnniNR = 8;   // tokens per panel: 16 accumulators, the A loads, the flush

// acc0 += a0 . broadcast(*b), acc1 += a1 . broadcast(*b) (vpdpwssd, int16 pairs into int32), the
// pair at b broadcast from memory. Inline assembly: with the _mm512_dpwssd_epi32 intrinsic GCC 12
// copied every accumulator to another register on each use (twice the instructions, spills).
__attribute__((target("avx512vnni"))) HWY_INLINE void DotPairs(__m512i& acc0, __m512i& acc1,
                                                               __m512i a0, __m512i a1,
                                                               const int32_t* b) {
  asm("vpdpwssd %2%{1to16%}, %3, %0\n\tvpdpwssd %2%{1to16%}, %4, %1"
      : "+v"(acc0), "+v"(acc1)
      : "m"(*b), "v"(a0), "v"(a1));
}

// c[j][0..32) (+)= over the panel's groups: float(sum over the group's k pairs of a . b_j) *
// s * d_j + bias * xsum_j. a: [groups * pairs][32] int32 (int16 pairs of 32 rows); b: [groups *
// pairs][8] int32 (int16 pairs of 8 tokens); s, bias: [groups][32]; d, xsum: [groups][8].
// (GCC 12 warns about the _mm512_undefined_ps() inside its own _mm512_cvtepi32_ps.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512vnni"))) void MicroKernelVnni(
    const int32_t* HWY_RESTRICT a, const int32_t* HWY_RESTRICT b, const float* HWY_RESTRICT s,
    const float* HWY_RESTRICT bias, const float* HWY_RESTRICT d, const float* HWY_RESTRICT xsum,
    int64_t groups, int64_t pairs, bool accumulate, float* HWY_RESTRICT c) {
  static_assert(kVnniNR == 8, "the accumulators below are written out for 8 tokens");
  if (!accumulate) std::fill(c, c + kVnniNR * kVnniMR, 0.0f);
  for (int64_t g = 0; g < groups; ++g) {
    __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512i c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00;
    __m512i c61 = c00, c70 = c00, c71 = c00;
    for (int64_t k = 0; k < pairs; ++k) {
      const __m512i a0 = _mm512_loadu_si512(a);
      const __m512i a1 = _mm512_loadu_si512(a + 16);
      DotPairs(c00, c01, a0, a1, b + 0);
      DotPairs(c10, c11, a0, a1, b + 1);
      DotPairs(c20, c21, a0, a1, b + 2);
      DotPairs(c30, c31, a0, a1, b + 3);
      DotPairs(c40, c41, a0, a1, b + 4);
      DotPairs(c50, c51, a0, a1, b + 5);
      DotPairs(c60, c61, a0, a1, b + 6);
      DotPairs(c70, c71, a0, a1, b + 7);
      a += kVnniMR;
      b += kVnniNR;
    }
    const __m512 s0 = _mm512_loadu_ps(s), s1 = _mm512_loadu_ps(s + 16);
    const __m512 b0 = _mm512_loadu_ps(bias), b1 = _mm512_loadu_ps(bias + 16);
    auto flush = [&](int j, __m512i i0, __m512i i1) {
      const __m512 dj = _mm512_set1_ps(d[j]);
      const __m512 xj = _mm512_set1_ps(xsum[j]);
      float* cj = c + j * kVnniMR;
      __m512 f0 = _mm512_fmadd_ps(b0, xj, _mm512_loadu_ps(cj));
      __m512 f1 = _mm512_fmadd_ps(b1, xj, _mm512_loadu_ps(cj + 16));
      f0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i0), _mm512_mul_ps(s0, dj), f0);
      f1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i1), _mm512_mul_ps(s1, dj), f1);
      _mm512_storeu_ps(cj, f0);
      _mm512_storeu_ps(cj + 16, f1);
    };
    flush(0, c00, c01);
    flush(1, c10, c11);
    flush(2, c20, c21);
    flush(3, c30, c31);
    flush(4, c40, c41);
    flush(5, c50, c51);
    flush(6, c60, c61);
    flush(7, c70, c71);
    s += kVnniMR;
    bias += kVnniMR;
    d += kVnniNR;
    xsum += kVnniNR;
  }
}
#pragma GCC diagnostic pop

// Unpacks rows [r0, r0 + n), columns [c0, c0 + cn) of a 2/4/8-bit affine matrix as int16
// (out[i * cn + k]) in the permuted order of UnpackGroupPermuted.
template <int kBits, int kGroup>
void UnpackRowsInt16(const WeightMatrix& w, int64_t r0, int64_t n, int64_t c0, int64_t cn,
                     int16_t* out) {
  const ChunkTag<kBits, kGroup> d16;
  constexpr int64_t kGroupWords = kGroup * kBits / 16;
  const int64_t row_words = w.cols * kBits / 16;
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t* wr =
        static_cast<const uint16_t*>(w.data) + (r0 + i) * row_words + c0 * kBits / 16;
    auto* o = reinterpret_cast<uint16_t*>(out + i * cn);
    for (int64_t g = 0; g < cn / kGroup; ++g) {
      UnpackGroupPermuted<kBits, kGroup>(d16, wr + g * kGroupWords, o + g * kGroup);
    }
  }
}

// The same for a 3/5/6-bit matrix, in the natural order (UnpackOddGroup).
template <int kBits, int kGroup>
void UnpackRowsOddInt16(const WeightMatrix& w, int64_t r0, int64_t n, int64_t c0, int64_t cn,
                        int16_t* out) {
  const int64_t row_bytes = detail::affine_row_bytes(w.cols, kBits);
  const uint8_t* limit = static_cast<const uint8_t*>(w.data) + w.rows * row_bytes;
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* wr = static_cast<const uint8_t*>(w.data) + (r0 + i) * row_bytes;
    for (int64_t g = c0 / kGroup; g < (c0 + cn) / kGroup; ++g) {
      UnpackOddGroup<kBits, kGroup>(wr, row_bytes, g, limit, out + i * cn + (g * kGroup - c0));
    }
  }
}

// The same for a Tiles16 matrix (4- or 8-bit, tiled_weights.hpp): each row's group gathered
// from its tile's slices (four bytes each) into the Rows layout, then unpacked as
// UnpackRowsInt16 does. Prefill reads the tiles in place: no untiled copy of the matrix.
template <int kBits, int kGroup>
void UnpackRowsInt16Tiles(const WeightMatrix& w, int64_t r0, int64_t n, int64_t c0, int64_t cn,
                          int16_t* out) {
  const ChunkTag<kBits, kGroup> d16;
  constexpr int64_t kBlock = 2 * kGroup * kBits + 64;  // one group block of a tile
  constexpr int64_t kPerColumnBlock = kTileBlockCols / kGroup;
  HWY_ALIGN uint16_t packed[kGroup * kBits / 16];  // one group of one row
  auto* dst = reinterpret_cast<uint8_t*>(packed);
  const auto* base = static_cast<const uint8_t*>(w.data);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = r0 + i, lane = r % kTileRows;
    auto* o = reinterpret_cast<uint16_t*>(out + i * cn);
    const uint8_t* b = nullptr;
    for (int64_t g = 0; g < cn / kGroup; ++g) {
      // A tile's groups are consecutive blocks within a column block.
      const int64_t gg = c0 / kGroup + g;
      b = g == 0 || gg % kPerColumnBlock == 0
              ? base + tiled_group_offset(w, r / kTileRows, gg) + 4 * lane
              : b + kBlock;
      for (int k = 0; k < kGroup * kBits / 32; ++k) std::memcpy(dst + 4 * k, b + 64 * k, 4);
      UnpackGroupPermuted<kBits, kGroup>(d16, packed, o + g * kGroup);
    }
  }
}

// gn scales and biases of row r from group g0 on, as floats, in either layout.
void RowScalesBiases(const WeightMatrix& w, int64_t r, int64_t g0, int64_t gn, float* scales,
                     float* biases) {
  if (w.layout == WeightLayout::Rows) {
    const int64_t off = r * (w.cols / w.group_size) + g0;
    ToFloat(w.scale_type, w.scales, off, gn, scales);
    ToFloat(w.scale_type, w.biases, off, gn, biases);
    return;
  }
  for (int64_t g = 0; g < gn; ++g) tiled_scale_bias(w, r, g0 + g, scales[g], biases[g]);
}

using RowsInt16Fn = void (*)(const WeightMatrix&, int64_t r0, int64_t n, int64_t c0, int64_t cn,
                             int16_t* out);

// Where token panel p's values of the k block at k0 go in the packed chunk [s0, s0 + sn):
// pairs at q + [(k0 - s0) / 2 * panels + p * kn / 2] * NR, group statistics at
// d/xsum + [(k0 - s0) / G * panels + p * kn / G] * NR.
struct VnniTokens {
  int32_t* q;
  float* d;
  float* xsum;
  int64_t panels;
};

// Quantizes token panel p (tokens NR*p.. , zeros past n_tokens) of columns [s0, s0 + sn) into
// `out`, per group, in the weights' order, two values per lane: perm[i] is the natural index
// (within its group) of the value at position i (ColumnOrder::source).
void PackTokenPanelVnni(const float* x, int64_t n_tokens, int64_t cols, int64_t group, int64_t p,
                        int64_t s0, int64_t sn, int64_t kc, const int32_t* perm, VnniTokens out) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  HWY_ALIGN int32_t q[128];  // one group, natural order
  for (int64_t k0 = s0; k0 < s0 + sn; k0 += kc) {
    const int64_t kn = std::min(kc, cols - k0);
    int32_t* qd = out.q + ((k0 - s0) / 2 * out.panels + p * kn / 2) * kVnniNR;
    float* dd = out.d + ((k0 - s0) / group * out.panels + p * kn / group) * kVnniNR;
    float* sd = out.xsum + ((k0 - s0) / group * out.panels + p * kn / group) * kVnniNR;
    for (int64_t j = 0; j < kVnniNR; ++j) {
      const int64_t t = p * kVnniNR + j;
      for (int64_t gi = 0; gi < kn / group; ++gi) {
        int32_t* dst = qd + gi * group / 2 * kVnniNR + j;
        if (t >= n_tokens) {
          for (int64_t m = 0; m < group / 2; ++m) dst[m * kVnniNR] = 0;
          dd[gi * kVnniNR + j] = sd[gi * kVnniNR + j] = 0.0f;
          continue;
        }
        const float* xg = x + t * cols + k0 + gi * group;
        float amax, sum;
        AbsMaxAndSum(xg, group, amax, sum);
        dd[gi * kVnniNR + j] = amax / 32767.0f;
        sd[gi * kVnniNR + j] = sum;
        const auto inv = hn::Set(df, amax > 0.0f ? 32767.0f / amax : 0.0f);
        const auto lim = hn::Set(di, 32767);
        for (int64_t c = 0; c < group; c += N) {
          // Round to nearest even, as std::nearbyint in the decode kernels' QuantizeXPermuted.
          const auto v = hn::NearestInt(hn::Mul(hn::LoadU(df, xg + c), inv));
          hn::Store(hn::Min(hn::Max(v, hn::Neg(lim)), lim), di, q + c);
        }
        for (int64_t m = 0; m < group / 2; ++m) {
          const uint32_t lo = static_cast<uint16_t>(q[perm[2 * m]]);
          const uint32_t hi = static_cast<uint16_t>(q[perm[2 * m + 1]]);
          dst[m * kVnniNR] = static_cast<int32_t>(lo | hi << 16);
        }
      }
    }
  }
}

// The prefill GEMM of kernel_prefill-inl.h (GemmPasses) with int16 panels and MicroKernelVnni.
void PrefillGemmVnni(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                     ThreadPool& pool, RowsInt16Fn unpack, ColumnOrder order) {
  const hn::ScalableTag<float> df;  // 16 lanes: StoreTaskRows moves MR = 2 vectors at a time
  constexpr int64_t MR = kVnniMR, NR = kVnniNR;
  const int64_t cols = w.cols, group = w.group_size;
  const int64_t kc = std::min(cols, kKc);
  const int64_t kc_groups = kc / group;
  const int64_t panels = (n_tokens + NR - 1) / NR;
  const int64_t pack_cols = std::min(cols, kPackCols);
  const int64_t pack_groups = pack_cols / group;
  thread_local hwy::AlignedFreeUniquePtr<int32_t[]> bq_buf;
  thread_local hwy::AlignedFreeUniquePtr<float[]> bstat_buf;
  thread_local size_t bq_size = 0, bstat_size = 0;
  float* bstat = AlignedScratch(bstat_buf, bstat_size, 2 * panels * NR * pack_groups);
  const VnniTokens tokens{AlignedScratch(bq_buf, bq_size, panels * NR * pack_cols / 2), bstat,
                          bstat + panels * NR * pack_groups, panels};
  thread_local std::vector<int32_t> perm;
  perm.resize(static_cast<size_t>(group));
  for (int64_t i = 0; i < group; ++i) {
    perm[static_cast<size_t>(i)] = static_cast<int32_t>(order.source(i));
  }
  const int32_t* perm_ptr = perm.data();  // the workers' own thread_local is another vector
  const int64_t max_rows = std::min<int64_t>(kMaxRowPanels * MR, (w.rows + MR - 1) / MR * MR);
  GemmPasses(
      df, w, n_tokens, MR, NR, y, pool,
      [&](int64_t p, int64_t s0, int64_t sn) {
        PackTokenPanelVnni(x, n_tokens, cols, group, p, s0, sn, kc, perm_ptr, tokens);
      },
      [&](int64_t r0, int64_t nq, int64_t nr, int64_t k0, int64_t kn, int64_t s0, float* cacc) {
        thread_local hwy::AlignedFreeUniquePtr<int16_t[]> rows_buf;
        thread_local hwy::AlignedFreeUniquePtr<int32_t[]> ap_buf;
        thread_local hwy::AlignedFreeUniquePtr<float[]> sb_buf;
        thread_local std::vector<float> row_sb;
        thread_local size_t rows_size = 0, ap_size = 0, sb_size = 0;
        int16_t* rows = AlignedScratch(rows_buf, rows_size, max_rows * kc);
        int32_t* ap = AlignedScratch(ap_buf, ap_size, max_rows * kc / 2);
        const int64_t gn = kn / group;
        unpack(w, r0, nr, k0, kn, rows);
        if (nr < nq * MR) std::fill(rows + nr * kn, rows + nq * MR * kn, int16_t{0});
        // Scales and biases of the block: [row panel][group][MR] each, zero past the rows.
        float* sp = AlignedScratch(sb_buf, sb_size, 2 * max_rows * kc_groups);
        float* bp = sp + nq * gn * MR;
        std::fill(sp, sp + 2 * nq * gn * MR, 0.0f);
        row_sb.resize(static_cast<size_t>(2 * gn));
        for (int64_t i = 0; i < nr; ++i) {
          RowScalesBiases(w, r0 + i, k0 / group, gn, row_sb.data(), row_sb.data() + gn);
          const int64_t qi = i / MR, ii = i % MR;
          for (int64_t g = 0; g < gn; ++g) {
            sp[(qi * gn + g) * MR + ii] = row_sb[static_cast<size_t>(g)];
            bp[(qi * gn + g) * MR + ii] = row_sb[static_cast<size_t>(gn + g)];
          }
        }
        for (int64_t qi = 0; qi < nq; ++qi) {
          TransposeToPanel(reinterpret_cast<const int32_t*>(rows + qi * MR * kn), MR, kn / 2,
                           ap + qi * MR * kn / 2);
        }
        const int64_t kb = k0 - s0;
        for (int64_t qi = 0; qi < nq; ++qi) {
          for (int64_t p = 0; p < panels; ++p) {
            MicroKernelVnni(ap + qi * MR * kn / 2, tokens.q + (kb / 2 * panels + p * kn / 2) * NR,
                            sp + qi * gn * MR, bp + qi * gn * MR,
                            tokens.d + (kb / group * panels + p * gn) * NR,
                            tokens.xsum + (kb / group * panels + p * gn) * NR, gn, group / 2,
                            k0 > s0, cacc + (qi * panels + p) * NR * MR);
          }
        }
      });
}

// Whether PrefillVnni serves w on this CPU.
bool UsesVnniPrefill(const WeightMatrix& w) {
  return w.format == WeightFormat::Affine && w.bits >= 2 && w.bits <= 8 && w.bits != 7 &&
         HasAvx512Vnni();
}

// Prefill of an affine matrix (2 to 8 bits) with PrefillGemmVnni; false when w is another format.
bool PrefillVnni(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                 ThreadPool& pool) {
  if (!UsesVnniPrefill(w)) return false;
  if (w.layout == WeightLayout::Tiles16) {
    return WithBitsAndGroup<4, 8>(w, [&]<int B, int G>() {
      PrefillGemmVnni(w, x, n_tokens, y, pool, &UnpackRowsInt16Tiles<B, G>, PermutedOrder<B, G>());
    });
  }
  return WithBitsAndGroup<2, 4, 8>(w,
                                   [&]<int B, int G>() {
                                     PrefillGemmVnni(w, x, n_tokens, y, pool,
                                                     &UnpackRowsInt16<B, G>, PermutedOrder<B, G>());
                                   }) ||
         WithBitsAndGroup<3, 5, 6>(w, [&]<int B, int G>() {
           PrefillGemmVnni(w, x, n_tokens, y, pool, &UnpackRowsOddInt16<B, G>, ColumnOrder{});
         });
}

#else

bool UsesVnniPrefill(const WeightMatrix&) { return false; }
bool PrefillVnni(const WeightMatrix&, const float*, int64_t, float*, ThreadPool&) { return false; }

#endif  // ALLM_X86_AVX512

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops::kernels
HWY_AFTER_NAMESPACE();

#endif  // include guard
