// Prefill kernels (n_tokens > 1, compute-bound), included by kernel_linear.cpp once per SIMD
// target (Highway's -inl.h convention).
//
#if defined(ABSTRACTLLM_OPS_KERNEL_PREFILL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ABSTRACTLLM_OPS_KERNEL_PREFILL_INL_H_
#undef ABSTRACTLLM_OPS_KERNEL_PREFILL_INL_H_
#else
#define ABSTRACTLLM_OPS_KERNEL_PREFILL_INL_H_
#endif

#include <hwy/aligned_allocator.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cstdint>
#include <vector>
#if HWY_ARCH_X86
#include <immintrin.h>
#endif

#include "engine/ops/kernel_affine_int8-inl.h"
#include "engine/ops/kernel_helpers-inl.h"
#include "engine/ops/thread_pool.hpp"

HWY_BEFORE_NAMESPACE();
namespace abstractllm::engine::ops::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Dequantizes rows [r0, r0 + n), columns [c0, c0 + cn) of a 2/4/8-bit affine matrix to float
// (out[i * cn + k]; c0 and cn multiples of kGroup), each row in the permuted order of
// QuantizeXPermuted (the order the shift/mask extraction yields), so no shuffles are needed; the
// activations are packed in the same order (ColumnOrder).
// Unpacks one group of a 2/4/8-bit affine row (packed words at wg) into q[kGroup], in the
// permuted order of QuantizeXPermuted: the order the shift/mask extraction yields, so no
// shuffles are needed.
template <int kBits, int kGroup, class D16>
HWY_INLINE void UnpackGroupPermuted(D16 d16, const uint16_t* wg, uint16_t* HWY_RESTRICT q) {
  constexpr int P = 16 / kBits;
  constexpr uint16_t kMask = static_cast<uint16_t>((1u << kBits) - 1u);
  const int64_t L = static_cast<int64_t>(hn::Lanes(d16));
  const int64_t chunks = kGroup / (P * L);
  const auto mask = hn::Set(d16, kMask);
  for (int64_t ch = 0; ch < chunks; ++ch) {
    const auto words = hn::LoadU(d16, wg + ch * L);
    for (int j = 0; j < P; ++j) {
      auto v = j == 0 ? words : hn::ShiftRightSame(words, j * kBits);
      if (j != P - 1) v = hn::And(v, mask);
      hn::StoreU(v, d16, q + ch * P * L + j * L);
    }
  }
}

// Dequantizes rows [r0, r0 + n), columns [c0, c0 + cn) of a 2/4/8-bit affine matrix to float
// (out[i * cn + k]; c0 and cn multiples of kGroup), each row in the permuted order of
// UnpackGroupPermuted; the activations are packed in the same order (ColumnOrder).
template <int kBits, int kGroup>
void DequantRowsPermuted(const WeightMatrix& w, int64_t r0, int64_t n, int64_t c0, int64_t cn,
                         float* out) {
  const ChunkTag<kBits, kGroup> d16;
  const hn::ScalableTag<float> df;
  const hn::Rebind<int32_t, decltype(df)> d32;
  const hn::Rebind<uint16_t, decltype(df)> d16f;
  const int64_t NF = static_cast<int64_t>(hn::Lanes(df));
  const int64_t groups = w.cols / kGroup;
  const int64_t g0 = c0 / kGroup, gn = cn / kGroup;
  const int64_t row_words = w.cols * kBits / 16;
  constexpr int64_t kGroupWords = kGroup * kBits / 16;
  thread_local std::vector<float> sb;
  if (sb.size() < static_cast<size_t>(2 * gn)) sb.resize(static_cast<size_t>(2 * gn));
  HWY_ALIGN uint16_t q[kGroup];  // one group's values, permuted
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = r0 + i;
    ToFloat(w.scale_type, w.scales, r * groups + g0, gn, sb.data());
    ToFloat(w.scale_type, w.biases, r * groups + g0, gn, sb.data() + gn);
    const uint16_t* wr = static_cast<const uint16_t*>(w.data) + r * row_words + c0 * kBits / 16;
    float* o = out + i * cn;
    for (int64_t g = 0; g < gn; ++g) {
      UnpackGroupPermuted<kBits, kGroup>(d16, wr + g * kGroupWords, q);
      const auto sv = hn::Set(df, sb[g]);
      const auto bv = hn::Set(df, sb[gn + g]);
      for (int64_t k = 0; k < kGroup; k += NF) {
        const auto qi = hn::BitCast(
            d32, hn::PromoteTo(hn::RebindToUnsigned<decltype(d32)>(), hn::LoadU(d16f, q + k)));
        hn::StoreU(hn::MulAdd(hn::ConvertTo(df, qi), sv, bv), df, o + k);
      }
      o += kGroup;
    }
  }
}

#if ALLM_X86_AVX2
// Dequantizes rows [r0, r0 + n), columns [c0, c0 + cn) of a 3/5/6-bit affine matrix to float in
// the natural order (out[i * cn + k]; c0 and cn multiples of kGroup), 16 values per
// UnpackOdd16. Loads past a row's end read the next row's bytes, which the shuffle ignores; only
// a group whose 16-byte loads would pass the end of the matrix is unpacked value by value.
template <int kBits, int kGroup>
void DequantRowsOdd(const WeightMatrix& w, int64_t r0, int64_t n, int64_t c0, int64_t cn,
                    float* out) {
  const int64_t groups = w.cols / kGroup;
  const int64_t g0 = c0 / kGroup, gn = cn / kGroup;
  const int64_t row_bytes = detail::affine_row_bytes(w.cols, kBits);
  const uint8_t* limit = static_cast<const uint8_t*>(w.data) + w.rows * row_bytes;
  thread_local std::vector<float> sb;
  if (sb.size() < static_cast<size_t>(2 * gn)) sb.resize(static_cast<size_t>(2 * gn));
  HWY_ALIGN int16_t q[kGroup];  // one group's values
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = r0 + i;
    ToFloat(w.scale_type, w.scales, r * groups + g0, gn, sb.data());
    ToFloat(w.scale_type, w.biases, r * groups + g0, gn, sb.data() + gn);
    const uint8_t* wr = static_cast<const uint8_t*>(w.data) + r * row_bytes;
    for (int64_t g = 0; g < gn; ++g) {
      UnpackOddGroup<kBits, kGroup>(wr, row_bytes, g0 + g, limit, q);
      float* o = out + i * cn + g * kGroup;
      const __m256 sv = _mm256_set1_ps(sb[g]), bv = _mm256_set1_ps(sb[gn + g]);
      for (int64_t c = 0; c < kGroup; c += 8) {
        const __m128i v = _mm_load_si128(reinterpret_cast<const __m128i*>(q + c));
        const __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(v));
        _mm256_storeu_ps(o + c, _mm256_fmadd_ps(f, sv, bv));
      }
    }
  }
}
#endif

// The order DequantRowsPermuted puts a row in: within each chunk of P*L values, value P*k + j
// sits at position j*L + k (P = 1: the natural order). The tokens are packed in the same order.
struct ColumnOrder {
  int64_t P = 1, L = 1;
  // The natural index of the value at position i of a row in this order.
  int64_t source(int64_t i) const {
    const int64_t chunk = P * L, k = i % chunk;
    return i - k + k % L * P + k / L;
  }
};

template <int kBits, int kGroup>
ColumnOrder PermutedOrder() {
  const ChunkTag<kBits, kGroup> d16;
  return {16 / kBits, static_cast<int64_t>(hn::Lanes(d16))};
}

// Converts rows [r0, r0 + n), columns [c0, c0 + cn) of w to float, out[i * cn + k]. For affine
// weights c0 and cn are multiples of the group size (so of 32 values, whole packed words).
void RowsToFloat(const WeightMatrix& w, int64_t r0, int64_t n, int64_t c0, int64_t cn,
                 float* out) {
  if (w.format == WeightFormat::Affine) {
    const int64_t groups = w.cols / w.group_size;
    const int64_t row_bytes = detail::affine_row_bytes(w.cols, w.bits);
    const int64_t scale_bytes = w.scale_type == ScaleType::F32 ? 4 : 2;
    WeightMatrix part = w;  // one row's column range, as a 1-row matrix
    part.rows = 1;
    part.cols = cn;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t r = r0 + i;
      part.data = static_cast<const uint8_t*>(w.data) + r * row_bytes + c0 * w.bits / 8;
      const int64_t s = (r * groups + c0 / w.group_size) * scale_bytes;
      part.scales = static_cast<const uint8_t*>(w.scales) + s;
      part.biases = static_cast<const uint8_t*>(w.biases) + s;
      dequantize_row(part, 0, out + i * cn);
    }
    return;
  }
  const ScaleType t = w.format == WeightFormat::F32   ? ScaleType::F32
                      : w.format == WeightFormat::F16 ? ScaleType::F16
                                                      : ScaleType::BF16;
  for (int64_t i = 0; i < n; ++i) ToFloat(t, w.data, (r0 + i) * w.cols + c0, cn, out + i * cn);
}

// Prefill as a GEMM in the BLIS style: y[t][r] = sum_k A[r][k] * B[t][k], A the weights, B the
// tokens, k taken in blocks of kKc columns.
//  - B is packed kPackCols columns at a time, block by block: for each k block, panels of
//    kNR = 6 tokens, k-major ([kn][6] floats, zero-padded past the last token), so one k block
//    of every token is one contiguous stretch that the prefetchers stream;
//  - a task owns a block of up to kMaxRowPanels row panels of MR = 2 vectors of rows (16 on
//    AVX2). Per k block it dequantizes its rows' slice once into k-major panels ([kn][MR]
//    floats, MR * kKc * 4 = 16 KiB each), then for each row panel (in L1) runs the micro-kernel
//    over every token panel of the k block: per k, two vector loads of A, six broadcasts of B,
//    twelve FMAs into accumulators that stay in registers for the whole k block (12 + 3 of
//    AVX2's 16 registers). Partial sums wait in cacc between k blocks.
// Each weight is dequantized once per call, and the block's row panels read the same token slab
// (n_tokens x kKc floats, 0.5 MB for 512 tokens) one after the other, so the tokens come from
// memory once per row block rather than once per row panel: with 8192-wide rows B is 16 MB for
// 512 tokens, more than this cache holds, and streaming it per row panel ran at a third of the
// speed. Results are float dot products (no activation rounding). Affine 2/4/8-bit rows are
// dequantized in the permuted order of the SIMD extraction and the tokens are permuted to
// match (the order of k does not matter).
constexpr int64_t kNR = 6;

template <class DF>
HWY_INLINE void MicroKernelMRx6(DF df, const float* HWY_RESTRICT a, const float* HWY_RESTRICT b,
                                int64_t kn, bool accumulate, float* HWY_RESTRICT c) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  auto init = [&](int64_t i) { return accumulate ? hn::Load(df, c + i * N) : hn::Zero(df); };
  auto c00 = init(0), c10 = init(1), c01 = init(2), c11 = init(3), c02 = init(4), c12 = init(5);
  auto c03 = init(6), c13 = init(7), c04 = init(8), c14 = init(9), c05 = init(10), c15 = init(11);
  for (int64_t k = 0; k < kn; ++k) {
    const auto a0 = hn::Load(df, a + k * 2 * N);
    const auto a1 = hn::Load(df, a + k * 2 * N + N);
    const float* bk = b + k * kNR;
    auto bv = hn::Set(df, bk[0]);
    c00 = hn::MulAdd(a0, bv, c00);
    c10 = hn::MulAdd(a1, bv, c10);
    bv = hn::Set(df, bk[1]);
    c01 = hn::MulAdd(a0, bv, c01);
    c11 = hn::MulAdd(a1, bv, c11);
    bv = hn::Set(df, bk[2]);
    c02 = hn::MulAdd(a0, bv, c02);
    c12 = hn::MulAdd(a1, bv, c12);
    bv = hn::Set(df, bk[3]);
    c03 = hn::MulAdd(a0, bv, c03);
    c13 = hn::MulAdd(a1, bv, c13);
    bv = hn::Set(df, bk[4]);
    c04 = hn::MulAdd(a0, bv, c04);
    c14 = hn::MulAdd(a1, bv, c14);
    bv = hn::Set(df, bk[5]);
    c05 = hn::MulAdd(a0, bv, c05);
    c15 = hn::MulAdd(a1, bv, c15);
  }
  // c: [6 tokens][MR rows]
  hn::Store(c00, df, c + 0 * 2 * N);
  hn::Store(c10, df, c + 0 * 2 * N + N);
  hn::Store(c01, df, c + 1 * 2 * N);
  hn::Store(c11, df, c + 1 * 2 * N + N);
  hn::Store(c02, df, c + 2 * 2 * N);
  hn::Store(c12, df, c + 2 * 2 * N + N);
  hn::Store(c03, df, c + 3 * 2 * N);
  hn::Store(c13, df, c + 3 * 2 * N + N);
  hn::Store(c04, df, c + 4 * 2 * N);
  hn::Store(c14, df, c + 4 * 2 * N + N);
  hn::Store(c05, df, c + 5 * 2 * N);
  hn::Store(c15, df, c + 5 * 2 * N + N);
}

// Converts rows [r0, r0 + n), columns [c0, c0 + cn) of w to float, out[i * cn + k].
using RowsFn = void (*)(const WeightMatrix&, int64_t r0, int64_t n, int64_t c0, int64_t cn,
                        float* out);

// panel[k][i] = rows[i][k] for mr rows of `cols` 32-bit elements (floats, or pairs of int16 for
// the VNNI kernels: the moves do not look at the bits).
template <class T>
void TransposeToPanel(const T* rows, int64_t mr, int64_t cols, T* panel) {
  static_assert(sizeof(T) == 4, "32-bit elements");
  int64_t k0 = 0;
#if ALLM_X86_AVX2
  // 8x8 blocks in registers (mr is a multiple of 8 on these targets).
  for (; k0 + 8 <= cols; k0 += 8) {
    for (int64_t i0 = 0; i0 + 8 <= mr; i0 += 8) {
      __m256 r[8], t[8], u[8];
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(reinterpret_cast<const float*>(rows + (i0 + i) * cols + k0));
      for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
      }
      for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
      }
      for (int k = 0; k < 4; ++k) {
        _mm256_storeu_ps(reinterpret_cast<float*>(panel + (k0 + k) * mr + i0), _mm256_permute2f128_ps(u[k], u[k + 4], 0x20));
        _mm256_storeu_ps(reinterpret_cast<float*>(panel + (k0 + k + 4) * mr + i0),
                         _mm256_permute2f128_ps(u[k], u[k + 4], 0x31));
      }
    }
  }
#endif
  for (int64_t k = k0; k < cols; ++k) {
    for (int64_t i = 0; i < mr; ++i) panel[k * mr + i] = rows[i * cols + k];
  }
}

constexpr int64_t kKc = 256;           // a multiple of every group size (32/64/128)
constexpr int64_t kMaxRowPanels = 8;   // row panels per task: 128 rows on AVX2
// Columns packed at a time: B for 512 tokens x 2048 columns is 4 MB. Wider matrices (the down
// projection) take several passes, each adding its partial sums into y; packing all 8192 columns
// at once held 16 MB, the largest scratch buffer of a prefill.
constexpr int64_t kPackCols = 2048;    // a multiple of kKc

// Packs token panel p (tokens 6p..6p+5; zeros past n_tokens) of the columns [s0, s0 + sn) of x:
// the value of token 6p + j at (permuted) column k0 + kk goes to
// bp[(k0 - s0) * panels * 6 + (p * kn + kk) * 6 + j], kn the width of the k block at k0.
void PackTokenPanel(const float* x, int64_t n_tokens, int64_t cols, int64_t p, int64_t panels,
                    int64_t s0, int64_t sn, int64_t kc, ColumnOrder order, float* bp) {
  const int64_t P = order.P, L = order.L;
  for (int64_t k0 = s0; k0 < s0 + sn; k0 += kc) {
    const int64_t kn = std::min(kc, cols - k0);
    float* dst = bp + (k0 - s0) * panels * kNR + p * kn * kNR;
    for (int64_t j = 0; j < kNR; ++j) {
      const int64_t t = p * kNR + j;
      if (t >= n_tokens) {
        for (int64_t kk = 0; kk < kn; ++kk) dst[kk * kNR + j] = 0.0f;
        continue;
      }
      // Chunks of P * L columns never straddle a k block (kc is a multiple of them).
      const float* src = x + t * cols + k0;
      for (int64_t base = 0; base < kn; base += P * L) {
        for (int64_t jj = 0; jj < P; ++jj) {
          for (int64_t kk = 0; kk < L; ++kk) {
            dst[(base + jj * L + kk) * kNR + j] = src[base + P * kk + jj];
          }
        }
      }
    }
  }
}

// dst[0, mr) = src (first pass over the columns) or += src (later passes); a whole row panel
// (mr = MR, two vectors) without a call to memmove, which cost ~1.5 % of a prefill.
template <class DF>
HWY_INLINE void StoreRowPanel(DF df, const float* HWY_RESTRICT src, int64_t mr, bool add,
                              float* HWY_RESTRICT dst) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  if (mr == 2 * N) {
    auto v0 = hn::Load(df, src), v1 = hn::Load(df, src + N);
    if (add) {
      v0 = hn::Add(v0, hn::LoadU(df, dst));
      v1 = hn::Add(v1, hn::LoadU(df, dst + N));
    }
    hn::StoreU(v0, df, dst);
    hn::StoreU(v1, df, dst + N);
  } else if (add) {
    for (int64_t i = 0; i < mr; ++i) dst[i] += src[i];
  } else {
    std::copy_n(src, mr, dst);
  }
}

// A task's rows and the token panels, as the GEMM drivers lay out their partial sums.
struct RowBlock {
  int64_t r0, panels, MR;  // first row, row panels, rows per panel
};
struct TokenPanels {
  int64_t count, NR, n_tokens;  // panels, tokens per panel, tokens
};

// Moves a task's partial sums (cacc: [row panel][token panel][NR tokens][MR rows]) into
// y[t][r], adding to y when `add` (a later pass over the columns).
template <class DF>
void StoreTaskRows(DF df, const float* cacc, RowBlock rb, TokenPanels tp, int64_t rows, bool add,
                   float* y) {
  for (int64_t qi = 0; qi < rb.panels; ++qi) {
    const int64_t rq = rb.r0 + qi * rb.MR;
    const int64_t mr = std::min(rb.MR, rows - rq);
    for (int64_t p = 0; p < tp.count; ++p) {
      const int64_t nt = std::min(tp.NR, tp.n_tokens - p * tp.NR);
      for (int64_t j = 0; j < nt; ++j) {
        StoreRowPanel(df, cacc + ((qi * tp.count + p) * tp.NR + j) * rb.MR, mr, add,
                      y + (p * tp.NR + j) * rows + rq);
      }
    }
  }
}

// The loop structure both prefill GEMMs share (the float one below, the VNNI one in
// kernel_prefill_vnni-inl.h). Columns go in passes of kPackCols: pack(p, s0, sn) packs token
// panel p (NR tokens) of columns [s0, s0 + sn), on the pool. Rows go in tasks of up to
// kMaxRowPanels panels of MR rows, enough tasks for every thread to take a few (the pool balances
// them); for each task and each k block of kKc columns, block(r0, nq, nr, k0, kn, s0, cacc) adds
// the products of rows [r0, r0 + nr) (nq panels) and the packed tokens over columns [k0, k0 + kn)
// into cacc ([row panel][token panel][NR tokens][MR rows], starting over when k0 == s0); then
// the task's sums go to y (added to it after the first pass).
template <class DF, class Pack, class Block>
void GemmPasses(DF df, const WeightMatrix& w, int64_t n_tokens, int64_t MR, int64_t NR, float* y,
                ThreadPool& pool, Pack&& pack, Block&& block) {
  const int64_t cols = w.cols;
  const int64_t kc = std::min(cols, kKc);
  const int64_t pack_cols = std::min(cols, kPackCols);
  const int64_t panels = (n_tokens + NR - 1) / NR;
  const int64_t row_panels = (w.rows + MR - 1) / MR;
  const int64_t per_task =
      std::clamp<int64_t>(row_panels / (2 * pool.size()), 1, kMaxRowPanels);
  const int64_t tasks = (row_panels + per_task - 1) / per_task;
  for (int64_t s0 = 0; s0 < cols; s0 += pack_cols) {
    const int64_t sn = std::min(pack_cols, cols - s0);
    pool.parallel_for(panels, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) pack(p, s0, sn);
    });
    pool.parallel_for_grain(tasks, 1, [&](int64_t task0, int64_t task1) {
      thread_local hwy::AlignedFreeUniquePtr<float[]> cacc_buf;
      thread_local size_t cacc_size = 0;
      float* cacc = AlignedScratch(cacc_buf, cacc_size, per_task * panels * NR * MR);
      for (int64_t task = task0; task < task1; ++task) {
        const int64_t q0 = task * per_task;
        const int64_t nq = std::min(per_task, row_panels - q0);
        const int64_t r0 = q0 * MR;
        const int64_t nr = std::min(nq * MR, w.rows - r0);
        for (int64_t k0 = s0; k0 < s0 + sn; k0 += kc) {
          block(r0, nq, nr, k0, std::min(kc, cols - k0), s0, cacc);
        }
        StoreTaskRows(df, cacc, {r0, nq, MR}, {panels, NR, n_tokens}, w.rows, s0 > 0, y);
      }
    });
  }
}

void PrefillGemm(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                 ThreadPool& pool, RowsFn to_float, ColumnOrder order = {}) {
  const hn::ScalableTag<float> df;
  const int64_t MR = 2 * static_cast<int64_t>(hn::Lanes(df));
  const int64_t cols = w.cols;
  const int64_t kc = std::min(cols, kKc);
  const int64_t panels = (n_tokens + kNR - 1) / kNR;
  // The tokens' columns [s0, s0 + sn), packed (PackTokenPanel).
  thread_local hwy::AlignedFreeUniquePtr<float[]> bp_buf;
  thread_local size_t bp_size = 0;
  float* bp = AlignedScratch(bp_buf, bp_size, panels * kNR * std::min(cols, kPackCols));
  const int64_t max_rows = std::min<int64_t>(kMaxRowPanels * MR, (w.rows + MR - 1) / MR * MR);
  GemmPasses(
      df, w, n_tokens, MR, kNR, y, pool,
      [&](int64_t p, int64_t s0, int64_t sn) {
        PackTokenPanel(x, n_tokens, cols, p, panels, s0, sn, kc, order, bp);
      },
      [&](int64_t r0, int64_t nq, int64_t nr, int64_t k0, int64_t kn, int64_t s0, float* cacc) {
        thread_local hwy::AlignedFreeUniquePtr<float[]> rows_buf, ap_buf;
        thread_local size_t rows_size = 0, ap_size = 0;
        float* rows = AlignedScratch(rows_buf, rows_size, max_rows * kc);
        float* ap = AlignedScratch(ap_buf, ap_size, max_rows * kc);
        to_float(w, r0, nr, k0, kn, rows);
        if (nr < nq * MR) std::fill(rows + nr * kn, rows + nq * MR * kn, 0.0f);
        for (int64_t qi = 0; qi < nq; ++qi) {
          TransposeToPanel(rows + qi * MR * kn, MR, kn, ap + qi * MR * kn);
        }
        const float* bblock = bp + (k0 - s0) * panels * kNR;
        for (int64_t qi = 0; qi < nq; ++qi) {
          for (int64_t p = 0; p < panels; ++p) {
            MicroKernelMRx6(df, ap + qi * MR * kn, bblock + p * kn * kNR, kn, k0 > s0,
                            cacc + (qi * panels + p) * kNR * MR);
          }
        }
      });
}

template <int kBits, int kGroup>
void PrefillAffine(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                   ThreadPool& pool) {
  PrefillGemm(w, x, n_tokens, y, pool, &DequantRowsPermuted<kBits, kGroup>,
              PermutedOrder<kBits, kGroup>());
}

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops::kernels
HWY_AFTER_NAMESPACE();

#endif  // include guard
