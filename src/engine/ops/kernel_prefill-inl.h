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

// Dequantizes rows [r0, r0 + n) of a 2/4/8-bit affine matrix to float, each row in the
// permuted order of QuantizeXPermuted (the order the shift/mask extraction yields), so no
// shuffles are needed; the activations are packed in the same order (ColumnOrder).
template <int kBits, int kGroup>
void DequantRowsPermuted(const WeightMatrix& w, int64_t r0, int64_t n, float* out) {
  constexpr int P = 16 / kBits;
  constexpr uint16_t kMask = static_cast<uint16_t>((1u << kBits) - 1u);
  const ChunkTag<kBits, kGroup> d16;
  const hn::ScalableTag<float> df;
  const hn::Rebind<int32_t, decltype(df)> d32;
  const hn::Rebind<uint16_t, decltype(df)> d16f;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d16));
  const int64_t NF = static_cast<int64_t>(hn::Lanes(df));
  const int64_t chunks = kGroup / (P * L);
  const int64_t groups = w.cols / kGroup;
  const int64_t row_words = w.cols * kBits / 16;
  const auto mask = hn::Set(d16, kMask);
  thread_local std::vector<float> sb;
  if (sb.size() < static_cast<size_t>(2 * groups)) sb.resize(static_cast<size_t>(2 * groups));
  HWY_ALIGN uint16_t q[kGroup];  // one group's values, permuted
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = r0 + i;
    ToFloat(w.scale_type, w.scales, r * groups, groups, sb.data());
    ToFloat(w.scale_type, w.biases, r * groups, groups, sb.data() + groups);
    const uint16_t* wr = static_cast<const uint16_t*>(w.data) + r * row_words;
    float* o = out + i * w.cols;
    for (int64_t g = 0; g < groups; ++g) {
      for (int64_t ch = 0; ch < chunks; ++ch) {
        const auto words = hn::LoadU(d16, wr);
        wr += L;
        for (int j = 0; j < P; ++j) {
          auto v = j == 0 ? words : hn::ShiftRightSame(words, j * kBits);
          if (j != P - 1) v = hn::And(v, mask);
          hn::StoreU(v, d16, q + ch * P * L + j * L);
        }
      }
      const auto sv = hn::Set(df, sb[g]);
      const auto bv = hn::Set(df, sb[groups + g]);
      for (int64_t k = 0; k < kGroup; k += NF) {
        const auto qi = hn::BitCast(
            d32, hn::PromoteTo(hn::RebindToUnsigned<decltype(d32)>(), hn::LoadU(d16f, q + k)));
        hn::StoreU(hn::MulAdd(hn::ConvertTo(df, qi), sv, bv), df, o + k);
      }
      o += kGroup;
    }
  }
}

// The order DequantRowsPermuted puts a row in: within each chunk of P*L values, value P*k + j
// sits at position j*L + k (P = 1: the natural order). The tokens are packed in the same order.
struct ColumnOrder {
  int64_t P = 1, L = 1;
};

template <int kBits, int kGroup>
ColumnOrder PermutedOrder() {
  const ChunkTag<kBits, kGroup> d16;
  return {16 / kBits, static_cast<int64_t>(hn::Lanes(d16))};
}

// Converts rows [r0, r0 + n) of w to float, row-major with stride `cols`.
void RowsToFloat(const WeightMatrix& w, int64_t r0, int64_t n, float* out) {
  const int64_t cols = w.cols;
  if (w.format == WeightFormat::Affine) {
    for (int64_t i = 0; i < n; ++i) dequantize_row(w, r0 + i, out + i * cols);
    return;
  }
  const ScaleType t = w.format == WeightFormat::F32   ? ScaleType::F32
                      : w.format == WeightFormat::F16 ? ScaleType::F16
                                                      : ScaleType::BF16;
  ToFloat(t, w.data, r0 * cols, n * cols, out);
}

// Prefill as a GEMM in the BLIS style: y[t][r] = sum_k A[r][k] * B[t][k].
//  - B (the tokens) is packed once per call into panels of kNR = 6 tokens, k-major
//    ([cols][6] floats, zero-padded past the last token);
//  - each task dequantizes MR = 2 vectors of rows (16 on AVX2) into a k-major panel
//    ([cols][MR] floats, zero-padded past the last row) and runs the micro-kernel over every
//    token panel: per k, two vector loads of A, six broadcasts of B, twelve FMAs into
//    accumulators that stay in registers for the whole k loop (12 + 3 of AVX2's 16 registers).
// The dequantization of a row panel is shared by all tokens; results are float dot products
// (no activation rounding). Affine 2/4/8-bit rows are dequantized in the permuted order of the
// SIMD extraction and the tokens are permuted to match (the order of k does not matter).
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

using RowsFn = void (*)(const WeightMatrix&, int64_t, int64_t, float*);

// panel[k][i] = rows[i][k] for mr rows of `cols` floats.
void TransposeToPanel(const float* rows, int64_t mr, int64_t cols, float* panel) {
  int64_t k0 = 0;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  // 8x8 blocks in registers (mr is a multiple of 8 on these targets).
  for (; k0 + 8 <= cols; k0 += 8) {
    for (int64_t i0 = 0; i0 + 8 <= mr; i0 += 8) {
      __m256 r[8], t[8], u[8];
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(rows + (i0 + i) * cols + k0);
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
        _mm256_storeu_ps(panel + (k0 + k) * mr + i0, _mm256_permute2f128_ps(u[k], u[k + 4], 0x20));
        _mm256_storeu_ps(panel + (k0 + k + 4) * mr + i0,
                         _mm256_permute2f128_ps(u[k], u[k + 4], 0x31));
      }
    }
  }
#endif
  for (int64_t k = k0; k < cols; ++k) {
    for (int64_t i = 0; i < mr; ++i) panel[k * mr + i] = rows[i * cols + k];
  }
}

void PrefillGemm(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                 ThreadPool& pool, RowsFn to_float, ColumnOrder order = {}) {
  const hn::ScalableTag<float> df;
  const int64_t MR = 2 * static_cast<int64_t>(hn::Lanes(df));
  const int64_t cols = w.cols;
  const int64_t panels = (n_tokens + kNR - 1) / kNR;
  // Pack the tokens: bp[p][k][j] = x[p * 6 + j][k].
  thread_local hwy::AlignedFreeUniquePtr<float[]> bp_buf;
  thread_local size_t bp_size = 0;
  const size_t bp_need = static_cast<size_t>(panels * kNR * cols);
  if (bp_size < bp_need) {
    bp_buf = hwy::AllocateAligned<float>(bp_need);
    bp_size = bp_need;
  }
  float* bp = bp_buf.get();
  pool.parallel_for(panels, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      float* dst = bp + p * kNR * cols;
      for (int64_t j = 0; j < kNR; ++j) {
        const int64_t t = p * kNR + j;
        if (t < n_tokens) {
          const float* src = x + t * cols;
          const int64_t P = order.P, L = order.L;
          for (int64_t base = 0; base < cols; base += P * L) {
            for (int64_t jj = 0; jj < P; ++jj) {
              for (int64_t kk = 0; kk < L; ++kk) {
                dst[(base + jj * L + kk) * kNR + j] = src[base + P * kk + jj];
              }
            }
          }
        } else {
          for (int64_t k = 0; k < cols; ++k) dst[k * kNR + j] = 0.0f;
        }
      }
    }
  });
  const int64_t row_panels = (w.rows + MR - 1) / MR;
  pool.parallel_for_grain(row_panels, 1, [&](int64_t q0, int64_t q1) {
    thread_local std::vector<float> rows_buf;
    thread_local hwy::AlignedFreeUniquePtr<float[]> ap_buf;
    thread_local size_t ap_size = 0;
    if (rows_buf.size() < static_cast<size_t>(MR * cols)) {
      rows_buf.resize(static_cast<size_t>(MR * cols));
    }
    if (ap_size < static_cast<size_t>(MR * cols)) {
      ap_buf = hwy::AllocateAligned<float>(static_cast<size_t>(MR * cols));
      ap_size = static_cast<size_t>(MR * cols);
    }
    thread_local hwy::AlignedFreeUniquePtr<float[]> cacc_buf;
    thread_local size_t cacc_size = 0;
    if (cacc_size < static_cast<size_t>(panels * kNR * MR)) {
      cacc_buf = hwy::AllocateAligned<float>(static_cast<size_t>(panels * kNR * MR));
      cacc_size = static_cast<size_t>(panels * kNR * MR);
    }
    float* rows = rows_buf.data();
    float* ap = ap_buf.get();
    float* cacc = cacc_buf.get();
    const int64_t kc = 4096 / MR;  // 16 KiB of the weight panel
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t r0 = q * MR;
      const int64_t nr = std::min(MR, w.rows - r0);
      to_float(w, r0, nr, rows);
      if (nr < MR) std::fill(rows + nr * cols, rows + MR * cols, 0.0f);
      TransposeToPanel(rows, MR, cols, ap);
      // k in blocks of kc so the block of the weight panel (16 KiB) stays in L1 while every
      // token panel passes over it; partial sums wait in cacc (one 6 x MR tile per panel).
      for (int64_t k0 = 0; k0 < cols; k0 += kc) {
        const int64_t kn = std::min(kc, cols - k0);
        for (int64_t p = 0; p < panels; ++p) {
          MicroKernelMRx6(df, ap + k0 * MR, bp + p * kNR * cols + k0 * kNR, kn, k0 > 0,
                          cacc + p * kNR * MR);
        }
      }
      for (int64_t p = 0; p < panels; ++p) {
        const int64_t nt = std::min(kNR, n_tokens - p * kNR);
        for (int64_t j = 0; j < nt; ++j) {
          std::copy_n(cacc + (p * kNR + j) * MR, nr, y + (p * kNR + j) * w.rows + r0);
        }
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

void Prefill(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
#if ALLM_INT8_AFFINE
  if (UsesInt8Activations(w)) {
    if (w.group_size == 64) return PrefillAffine4Int8<64>(w, x, n_tokens, y, pool);
    if (w.group_size == 128) return PrefillAffine4Int8<128>(w, x, n_tokens, y, pool);
    return PrefillAffine4Int8<32>(w, x, n_tokens, y, pool);
  }
#endif
  if (w.format == WeightFormat::Affine && WithBitsAndGroup<2, 4, 8>(w, [&]<int B, int G>() {
        PrefillAffine<B, G>(w, x, n_tokens, y, pool);
      })) {
    return;
  }
  PrefillGemm(w, x, n_tokens, y, pool, &RowsToFloat);
}

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops::kernels
HWY_AFTER_NAMESPACE();

#endif  // include guard
