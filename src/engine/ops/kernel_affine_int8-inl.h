// MLX affine 4-bit weights times int8 activations, x86 AVX2 and up (vpmaddubsw): the decode
// matvec and the prefill tiles for 4-bit weights with group size 32, 64 or 128.
//
// Activations are quantized per weight group: d_g = max|x_g| / 127, xq = round(x / d_g) in
// [-127, 127]; the exact float sum of each group is kept for the bias term, so
//   y_r = sum_g s_rg * d_g * sum_c q_rc * xq_c  +  sum_g b_rg * sum_c x_c.
// Rounding x moves y_r by at most sum_c |s_g q_c| * d_g / 2 (each activation by at most 0.4 % of
// its group's largest one): the activation precision of llama.cpp's Q4_0 x Q8_0 path. That is
// outside the model conformance tolerances on our random-weight reference models (logprob
// errors up to ~0.2 after a few layers), so it is opt-in: ABSTRACTLLM_INT8_ACTIVATIONS=1.
// By default the int16 decode kernels and the float prefill of kernel_linear.cpp are used.
//
// Layout: a chunk of C = min(group, 64) values is C/2 packed bytes, byte i holding value 2i in
// its low nibble and 2i+1 in its high nibble. `and 0x0F` and `shift 4, and 0x0F` give the even
// and the odd values as unsigned bytes, so activations are stored per chunk as C/2 even values
// then C/2 odd ones. vpmaddubsw multiplies u8 x s8 and adds adjacent pairs into int16
// (|pair| <= 2 * 15 * 127 = 3810: a 128-group's four vectors sum to <= 15240, no saturation);
// vpmaddwd with ones widens to int32, one float FMA per group applies s * d.
//
// Prefill unpacks a block of rows once into bytes in the same order (a per-thread tile, one
// byte per weight) and multiplies it with every token: 4 rows x 2 tokens per micro-kernel
// step, the s_rg * d_tg products precomputed per step so the inner loop only broadcasts.
#if defined(ABSTRACTLLM_OPS_KERNEL_AFFINE_INT8_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ABSTRACTLLM_OPS_KERNEL_AFFINE_INT8_INL_H_
#undef ABSTRACTLLM_OPS_KERNEL_AFFINE_INT8_INL_H_
#else
#define ABSTRACTLLM_OPS_KERNEL_AFFINE_INT8_INL_H_
#endif

#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/ops/kernel_helpers-inl.h"
#include "engine/ops/thread_pool.hpp"

// Per target: whether this file's kernels exist (x86 with AVX2 or better).
#undef ALLM_INT8_AFFINE
#define ALLM_INT8_AFFINE ALLM_X86_AVX2

HWY_BEFORE_NAMESPACE();
namespace abstractllm::engine::ops::kernels {
namespace HWY_NAMESPACE {

#if ALLM_INT8_AFFINE

// Quantizes one token's activations (cols values) per group to int8 in chunk order.
template <int kGroup>
void QuantizeInt8(const float* x, int64_t cols, int8_t* xq, float* dx, float* xsum) {
  constexpr int kChunk = kGroup < 64 ? kGroup : 64;
  constexpr int kHalf = kChunk / 2;
  for (int64_t g = 0; g < cols / kGroup; ++g) {
    const float* xg = x + g * kGroup;
    float amax, sum;
    AbsMaxAndSum(xg, kGroup, amax, sum);
    const float d = amax / 127.0f;
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    dx[g] = d;
    xsum[g] = sum;
    int8_t* out = xq + g * kGroup;
    for (int base = 0; base < kGroup; base += kChunk) {
      for (int i = 0; i < kHalf; ++i) {
        // |x * inv| <= 127 up to rounding; nearbyint rounds half to even as MLX's round does.
        out[base + i] = static_cast<int8_t>(std::nearbyint(xg[base + 2 * i] * inv));
        out[base + kHalf + i] = static_cast<int8_t>(std::nearbyint(xg[base + 2 * i + 1] * inv));
      }
    }
  }
}

// 16 packed bytes (a 32-chunk) -> 32 unsigned bytes: the 16 even values, then the 16 odd ones.
HWY_INLINE __m256i Unpack32(const uint8_t* p) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i m4 = _mm_set1_epi8(0x0F);
  const __m128i lo = _mm_and_si128(b, m4);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), m4);
  return _mm256_set_m128i(hi, lo);
}

// int32 lanes summing to sum_c q_c * xq_c over one group.
template <int kGroup>
HWY_INLINE __m256i GroupDotInt8(const uint8_t* w, const int8_t* x) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256i p;
  if constexpr (kGroup == 32) {
    p = _mm256_maddubs_epi16(Unpack32(w), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
  } else {
    p = _mm256_setzero_si256();
    for (int c = 0; c < kGroup / 64; ++c) {
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32 * c));
      const __m256i lo = _mm256_and_si256(b, m4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(b, 4), m4);
      const __m256i xe = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 64 * c));
      const __m256i xo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 64 * c + 32));
      p = _mm256_add_epi16(
          p, _mm256_add_epi16(_mm256_maddubs_epi16(lo, xe), _mm256_maddubs_epi16(hi, xo)));
    }
  }
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

HWY_INLINE float HorizontalSum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 s2 = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

template <int kGroup>
void DecodeRowsInt8(const WeightMatrix& w, const int8_t* xq, const float* dx, const float* xsum,
                    float* y, int64_t begin, int64_t end) {
  const int64_t groups = w.cols / kGroup;
  const int64_t row_bytes = w.cols / 2;
  constexpr int64_t kGroupBytes = kGroup / 2;
  thread_local std::vector<float> buf;
  if (buf.size() < static_cast<size_t>(groups)) buf.resize(static_cast<size_t>(groups));
  float* fac = buf.data();
  const int64_t dist = detail::prefetch_distance();
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t* wr = static_cast<const uint8_t*>(w.data) + r * row_bytes;
    const float bsum = RowFactors(w, r, groups, dx, xsum, fac);
    __m256 f0 = _mm256_setzero_ps(), f1 = _mm256_setzero_ps();
    int64_t g = 0;
    for (; g + 2 <= groups; g += 2) {
      detail::prefetch_span<2 * kGroupBytes>(wr + g * kGroupBytes, dist);
      const __m256i i0 = GroupDotInt8<kGroup>(wr + g * kGroupBytes, xq + g * kGroup);
      const __m256i i1 = GroupDotInt8<kGroup>(wr + (g + 1) * kGroupBytes, xq + (g + 1) * kGroup);
      f0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i0), _mm256_set1_ps(fac[g]), f0);
      f1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i1), _mm256_set1_ps(fac[g + 1]), f1);
    }
    if (g < groups) {
      const __m256i i0 = GroupDotInt8<kGroup>(wr + g * kGroupBytes, xq + g * kGroup);
      f0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i0), _mm256_set1_ps(fac[g]), f0);
    }
    y[r] = HorizontalSum(_mm256_add_ps(f0, f1)) + bsum;
  }
}

template <int kGroup>
void DecodeAffine4Int8(const WeightMatrix& w, const float* x, float* y, ThreadPool& pool) {
  const int64_t groups = w.cols / kGroup;
  thread_local hwy::AlignedFreeUniquePtr<int8_t[]> xq_buf;
  thread_local size_t xq_size = 0;
  thread_local std::vector<float> xs_buf;
  int8_t* xq = AlignedScratch(xq_buf, xq_size, w.cols);
  xs_buf.resize(static_cast<size_t>(2 * groups));
  float* dx = xs_buf.data();
  float* xsum = dx + groups;
  QuantizeInt8<kGroup>(x, w.cols, xq, dx, xsum);
  const WeightMatrix* ws[1] = {&w};
  ParallelDecodeRows(ws, 1, w.cols / 2, pool, [&](int, int64_t b, int64_t e) {
    DecodeRowsInt8<kGroup>(w, xq, dx, xsum, y, b, e);
  });
}

// ---------------------------------------------------------------- prefill

// Rows [r0, r0 + n) as unsigned bytes in chunk order (tile), and their scales and biases as
// float ([n][groups] each).
template <int kGroup>
void UnpackRowsInt8(const WeightMatrix& w, int64_t r0, int64_t n, uint8_t* tile, float* scales,
                    float* biases) {
  const int64_t cols = w.cols, groups = cols / kGroup;
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* src = static_cast<const uint8_t*>(w.data) + (r0 + i) * (cols / 2);
    uint8_t* dst = tile + i * cols;
    if constexpr (kGroup == 32) {
      for (int64_t c = 0; c < cols; c += 32) {  // 16 packed bytes -> 16 evens, 16 odds
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + c), Unpack32(src + c / 2));
      }
    } else {
      for (int64_t c = 0; c < cols; c += 64) {  // 32 packed bytes -> 32 evens, 32 odds
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + c / 2));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + c), _mm256_and_si256(b, m4));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + c + 32),
                            _mm256_and_si256(_mm256_srli_epi16(b, 4), m4));
      }
    }
    ToFloat(w.scale_type, w.scales, (r0 + i) * groups, groups, scales + i * groups);
    ToFloat(w.scale_type, w.biases, (r0 + i) * groups, groups, biases + i * groups);
  }
}

// y[t][r] for kR rows of the tile and kT tokens.
template <int kGroup, int kR, int kT>
HWY_INLINE void MicroKernelInt8(const uint8_t* tile, const float* scales, const float* biases,
                                const int8_t* xq, const float* dx, const float* xs, int64_t cols,
                                int64_t rows_out, float* y) {
  const int64_t groups = cols / kGroup;
  constexpr int kVecs = kGroup / 32;
  // fac[i][j][g] = s_{r+i,g} * d_{t+j,g}; the bias term sum_g b_rg * xsum_tg directly.
  thread_local std::vector<float> fac_buf;
  if (fac_buf.size() < static_cast<size_t>(kR * kT * groups)) {
    fac_buf.resize(static_cast<size_t>(kR * kT * groups));
  }
  float* fac = fac_buf.data();
  float bias_term[kR][kT];
  for (int i = 0; i < kR; ++i) {
    for (int j = 0; j < kT; ++j) {
      const float* s = scales + i * groups;
      const float* d = dx + j * groups;
      float* f = fac + (i * kT + j) * groups;
      for (int64_t g = 0; g < groups; ++g) f[g] = s[g] * d[g];
      bias_term[i][j] = Dot(biases + i * groups, xs + j * groups, groups);
    }
  }
  __m256 acc[kR][kT];
  for (int i = 0; i < kR; ++i)
    for (int j = 0; j < kT; ++j) acc[i][j] = _mm256_setzero_ps();
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t g = 0; g < groups; ++g) {
    for (int i = 0; i < kR; ++i) {
      const uint8_t* wg = tile + i * cols + g * kGroup;
      __m256i wv[kVecs];
      for (int v = 0; v < kVecs; ++v) {
        wv[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wg + 32 * v));
      }
      for (int j = 0; j < kT; ++j) {
        const int8_t* xg = xq + j * cols + g * kGroup;
        __m256i p =
            _mm256_maddubs_epi16(wv[0], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xg)));
        for (int v = 1; v < kVecs; ++v) {
          p = _mm256_add_epi16(
              p, _mm256_maddubs_epi16(
                     wv[v], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xg + 32 * v))));
        }
        const __m256 f = _mm256_broadcast_ss(fac + (i * kT + j) * groups + g);
        acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(p, ones)), f, acc[i][j]);
      }
    }
  }
  for (int i = 0; i < kR; ++i) {
    for (int j = 0; j < kT; ++j) y[j * rows_out + i] = HorizontalSum(acc[i][j]) + bias_term[i][j];
  }
}

template <int kGroup, int kR>
void TileRowsTimesTokensInt8(const uint8_t* tile, const float* scales, const float* biases,
                             const int8_t* xq, const float* dx, const float* xs, int64_t n_tokens,
                             int64_t cols, int64_t rows_out, float* y) {
  const int64_t groups = cols / kGroup;
  int64_t t = 0;
  for (; t + 2 <= n_tokens; t += 2) {
    MicroKernelInt8<kGroup, kR, 2>(tile, scales, biases, xq + t * cols, dx + t * groups,
                                   xs + t * groups, cols, rows_out, y + t * rows_out);
  }
  if (t < n_tokens) {
    MicroKernelInt8<kGroup, kR, 1>(tile, scales, biases, xq + t * cols, dx + t * groups,
                                   xs + t * groups, cols, rows_out, y + t * rows_out);
  }
}

template <int kGroup>
void PrefillAffine4Int8(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                        ThreadPool& pool) {
  const int64_t cols = w.cols, groups = cols / kGroup;
  thread_local std::vector<int8_t> xq_buf;
  thread_local std::vector<float> xs_buf;
  xq_buf.resize(static_cast<size_t>(n_tokens * cols));
  xs_buf.resize(static_cast<size_t>(2 * n_tokens * groups));
  int8_t* xq = xq_buf.data();
  float* dx = xs_buf.data();
  float* xs = dx + n_tokens * groups;
  pool.parallel_for(n_tokens, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      QuantizeInt8<kGroup>(x + t * cols, cols, xq + t * cols, dx + t * groups, xs + t * groups);
    }
  });
  // Tile: ~64 KiB of unpacked weights (one byte each), a multiple of 4 rows; tokens in blocks
  // whose activations (~128 KiB) stay in L2 while the tile's rows pass over them.
  const int64_t tile_rows = std::clamp<int64_t>(65536 / cols, 4, 64) / 4 * 4;
  const int64_t blocks = (w.rows + tile_rows - 1) / tile_rows;
  const int64_t tok_block = std::max<int64_t>(2, (131072 / cols) / 2 * 2);
  pool.parallel_for_grain(blocks, 1, [&](int64_t b0, int64_t b1) {
    thread_local std::vector<uint8_t> tile_buf;
    thread_local std::vector<float> sb_buf;
    tile_buf.resize(static_cast<size_t>(tile_rows * cols));
    sb_buf.resize(static_cast<size_t>(2 * tile_rows * groups));
    uint8_t* tile = tile_buf.data();
    float* scales = sb_buf.data();
    float* biases = scales + tile_rows * groups;
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r0 = b * tile_rows;
      const int64_t nr = std::min(tile_rows, w.rows - r0);
      UnpackRowsInt8<kGroup>(w, r0, nr, tile, scales, biases);
      for (int64_t t0 = 0; t0 < n_tokens; t0 += tok_block) {
        const int64_t nt = std::min(tok_block, n_tokens - t0);
        const int8_t* xt = xq + t0 * cols;
        const float* dt = dx + t0 * groups;
        const float* st = xs + t0 * groups;
        float* yt = y + t0 * w.rows + r0;
        int64_t i = 0;
        for (; i + 4 <= nr; i += 4) {
          TileRowsTimesTokensInt8<kGroup, 4>(tile + i * cols, scales + i * groups,
                                             biases + i * groups, xt, dt, st, nt, cols, w.rows,
                                             yt + i);
        }
        for (; i < nr; ++i) {
          TileRowsTimesTokensInt8<kGroup, 1>(tile + i * cols, scales + i * groups,
                                             biases + i * groups, xt, dt, st, nt, cols, w.rows,
                                             yt + i);
        }
      }
    }
  });
}

#endif  // ALLM_INT8_AFFINE

// Whether this file's int8-activation kernels serve this matrix on this target (also when
// the prefill or decode dispatcher asks).
bool UsesInt8Activations(const WeightMatrix& w) {
#if ALLM_INT8_AFFINE
  return w.format == WeightFormat::Affine && w.bits == 4 && detail::int8_activations_enabled();
#else
  (void)w;
  return false;
#endif
}

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops::kernels
HWY_AFTER_NAMESPACE();

#endif  // include guard
