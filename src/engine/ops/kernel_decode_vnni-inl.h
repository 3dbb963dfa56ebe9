// Decode (n_tokens == 1) of 4- and 8-bit affine weights on AVX-512 VNNI (vpdpbusd, u8 x s8), included
// by kernel_linear.cpp once per SIMD target (Highway's -inl.h convention); the code exists on
// the AVX-512 targets and runs where the CPU has AVX512-VNNI (Zen 4, Ice Lake and up).
//
// Numerics: two int8 passes carry the activations at the int16 kernels' precision. Per weight
// group, d_g = max|x_g| / 127 and v = x / d_g in [-127, 127] is split into q1 = round(v) and
// q2 = round((v - q1) * 256) in [-128, 127] (a residual that would round to +128 moves one step
// into q1), so x = d_g * (q1 + q2 / 256) within d_g / 512 = max|x_g| / 65024 — the int16
// kernels' max|x_g| / 65534, a hair coarser. The integer sums sum_c q_c * q1_c and
// sum_c q_c * q2_c are exact in int32 and combine exactly as 256 * S1 + S2 (|.| < 2^31 even for
// 8-bit groups of 128), then
//   y_r = sum_g s_rg * (d_g / 256) * (256 * S1_g + S2_g)  +  sum_g b_rg * sum_c x_c.
//
// Why: the int16 kernel spends ~21 instructions per 64 4-bit weights (unpack to 16-bit lanes,
// vpmaddwd, vpaddd) and is compute-bound on Zen 4 at ~16 GB/s per core; here a group of 64 is
// one 32-byte load, three instructions to split the nibbles, four vpdpbusd and the combine.
//
// Layout, 4-bit (as kernel_affine_int8-inl.h): a chunk of C = min(group, 64) values is C/2
// packed bytes, byte i holding value 2i in its low nibble and 2i+1 in its high nibble; the
// activations of a chunk are stored as its C/2 even values then its C/2 odd ones, for q1 and q2
// alike. 8-bit: a byte per value, which vpdpbusd takes as it is; activations in natural order.
// (Tried and not kept: 512-bit vectors of two 4-bit groups, 40 % fewer instructions, measured
// slower on Zen 4 — 12.8-14.6 against 14.9-16.6 GB/s in cache, BM_DecodeHot 4-bit; on Zen 5,
// which runs them at full width, 41 against 27.5 GB/s in cache but slower from memory, 32.1
// against 33.6 t/s on Llama-1B's linears, and no faster token by token even on line-aligned
// loads (docs/performance.md, "Zen 5, token by token"); and the second pass on vpmaddubsw +
// vpmaddwd, to use other execution ports: no faster.)
#if defined(ABSTRACTLLM_OPS_KERNEL_DECODE_VNNI_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ABSTRACTLLM_OPS_KERNEL_DECODE_VNNI_INL_H_
#undef ABSTRACTLLM_OPS_KERNEL_DECODE_VNNI_INL_H_
#else
#define ABSTRACTLLM_OPS_KERNEL_DECODE_VNNI_INL_H_
#endif

#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>
#if HWY_ARCH_X86
#include <immintrin.h>
#endif

#include "engine/ops/kernel_affine_int8-inl.h"
#include "engine/ops/kernel_helpers-inl.h"
#include "engine/ops/kernel_prefill_vnni-inl.h"
#include "engine/ops/thread_pool.hpp"

HWY_BEFORE_NAMESPACE();
namespace abstractllm::engine::ops::kernels {
namespace HWY_NAMESPACE {

// The rounding step of the two-pass activations, as activation_levels reports it: d_g / 256 =
// max|x_g| / (127 * 256).
constexpr int kTwoPassLevels = 127 * 256;

#if ALLM_X86_AVX512

// Splits one token's activations (cols values) per group into q1 and q2 (chunk order; with
// kTiles, the Tiles16 order: each eight values' four even ones, then their four odd ones), with
// dx[g] = d_g / 256 (the factor of 256 * S1 + S2) and xsum[g] the exact float sum.
template <int kBits, int kGroup, bool kTiles = false>
void QuantizeTwoPassInt8(const float* x, int64_t cols, int8_t* q1, int8_t* q2, float* dx,
                         float* xsum) {
  namespace hn = hwy::HWY_NAMESPACE;
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  constexpr int kChunk = kGroup < 64 ? kGroup : 64;
  constexpr int kHalf = kChunk / 2;
  HWY_ALIGN int32_t a_buf[kGroup], b_buf[kGroup];  // one group, natural order
  for (int64_t g = 0; g < cols / kGroup; ++g) {
    const float* xg = x + g * kGroup;
    float amax, sum;
    AbsMaxAndSum(xg, kGroup, amax, sum);
    dx[g] = amax / 127.0f / 256.0f;
    xsum[g] = sum;
    const auto inv = hn::Set(df, amax > 0.0f ? 127.0f / amax : 0.0f);
    for (int64_t c = 0; c < kGroup; c += N) {
      const auto v = hn::Mul(hn::LoadU(df, xg + c), inv);
      auto a = hn::Round(v);                                 // half to even, as MLX rounds
      auto b = hn::Round(hn::Mul(hn::Sub(v, a), hn::Set(df, 256.0f)));  // v - a: exact
      // b = 128 only when v - a is (almost) +0.5, where a <= 126: carry one step into a.
      const auto carry = hn::Gt(b, hn::Set(df, 127.0f));
      a = hn::IfThenElse(carry, hn::Add(a, hn::Set(df, 1.0f)), a);
      b = hn::IfThenElse(carry, hn::Sub(b, hn::Set(df, 256.0f)), b);
      hn::Store(hn::ConvertTo(di, a), di, a_buf + c);
      hn::Store(hn::ConvertTo(di, b), di, b_buf + c);
    }
    if constexpr (kTiles) {
      for (int i = 0; i < kGroup; ++i) {  // value i goes to 8 (i / 8) + 4 (i % 2) + (i % 8) / 2
        const int o = g * kGroup + (i & ~7) + 4 * (i & 1) + ((i & 7) >> 1);
        q1[o] = static_cast<int8_t>(a_buf[i]);
        q2[o] = static_cast<int8_t>(b_buf[i]);
      }
      continue;
    }
    if constexpr (kBits == 8) {  // one value per byte: natural order
      for (int i = 0; i < kGroup; ++i) {
        q1[g * kGroup + i] = static_cast<int8_t>(a_buf[i]);
        q2[g * kGroup + i] = static_cast<int8_t>(b_buf[i]);
      }
      continue;
    }
    // Chunk order: each chunk's even values, then its odd ones.
    for (int base = 0; base < kGroup; base += kChunk) {
      int8_t* o1 = q1 + g * kGroup + base;
      int8_t* o2 = q2 + g * kGroup + base;
      for (int i = 0; i < kHalf; ++i) {
        o1[i] = static_cast<int8_t>(a_buf[base + 2 * i]);
        o1[kHalf + i] = static_cast<int8_t>(a_buf[base + 2 * i + 1]);
        o2[i] = static_cast<int8_t>(b_buf[base + 2 * i]);
        o2[kHalf + i] = static_cast<int8_t>(b_buf[base + 2 * i + 1]);
      }
    }
  }
}

// One token's two-pass activations (QuantizeTwoPassInt8) in the calling thread's scratch.
struct TwoPassActivations {
  const int8_t* x1;
  const int8_t* x2;
  const float* dx;
  const float* xsum;
};

// Quantizes x (cols values) into the calling thread's buffers, which stay valid until its next
// call. The pointers are what the pool's tasks must use: inside a task the thread_local names
// would be the worker's own buffers.
template <int kBits, int kGroup, bool kTiles>
TwoPassActivations QuantizeTwoPassScratch(const float* x, int64_t cols) {
  const int64_t groups = cols / kGroup;
  thread_local hwy::AlignedFreeUniquePtr<int8_t[]> q_buf;
  thread_local size_t q_size = 0;
  thread_local std::vector<float> s_buf;
  int8_t* q = AlignedScratch(q_buf, q_size, 2 * cols);
  s_buf.resize(static_cast<size_t>(2 * groups));
  QuantizeTwoPassInt8<kBits, kGroup, kTiles>(x, cols, q, q + cols, s_buf.data(),
                                             s_buf.data() + groups);
  return {q, q + cols, s_buf.data(), s_buf.data() + groups};
}

// acc += u . x over 32 bytes (vpdpbusd: unsigned bytes u, signed bytes x, four products per
// int32 lane). Inline assembly: with the intrinsic GCC 12 copies the accumulator to another
// register on every use (see DotPairs in kernel_prefill_vnni-inl.h); {evex} because the
// assembler may pick the VEX form (AVX-VNNI), which Zen 4 does not have.
__attribute__((target("avx512vnni"))) HWY_INLINE void DotBytes(__m256i& acc, __m256i u,
                                                               const int8_t* x) {
  asm("%{evex%} vpdpbusd %1, %2, %0" : "+v"(acc) : "m"(*reinterpret_cast<const __m256i*>(x)), "v"(u));
}

// A 32-byte load kept as one instruction. With the intrinsic GCC folds the load into every
// instruction that uses the value (vpand and vpsrlw each reading the weights again): a sixth
// load per group of 64 4-bit weights, whose five (the weights, four activation vectors) already
// take 2.5 cycles of Zen 4's two 32-byte loads a cycle.
HWY_INLINE __m256i LoadOnce(const void* p) {
  __m256i v;
  asm("vmovdqu64 %1, %0" : "=v"(v) : "m"(*static_cast<const __m256i*>(p)));
  return v;
}

// One group's u8 operands: kGroup / 32 vectors, vector i multiplying the group's activation
// bytes [32 i, 32 i + 32). 4-bit: each 32 packed bytes give their low nibbles, then their high
// ones (the activations' chunk order); 8-bit: the bytes themselves.
template <int kBits, int kGroup>
__attribute__((target("avx512vnni"))) HWY_INLINE void GroupOperands(const uint8_t* w,
                                                                     __m256i* u) {
  if constexpr (kBits == 8) {
    for (int c = 0; c < kGroup / 32; ++c) u[c] = LoadOnce(w + 32 * c);
  } else if constexpr (kGroup == 32) {
    u[0] = Unpack32(w);
  } else {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    for (int c = 0; c < kGroup / 64; ++c) {
      const __m256i b = LoadOnce(w + 32 * c);
      u[2 * c] = _mm256_and_si256(b, m4);
      u[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(b, 4), m4);
    }
  }
}

// 256 * S1 + S2 for kBatch consecutive groups: acc[j] gets int32 lanes summing to group j's
// integer dot product with the activations at the two-pass precision. One accumulator per group:
// S1 first, shifted left by 8, then S2 added in by the same instructions. Breadth first — every
// group's operands, then each vpdpbusd step over all groups — so that independent instructions
// sit next to each other (one group's chain is four vpdpbusd of latency 4 and a shift). A
// standalone copy of the loop in cache on Zen 4, with LoadOnce: 1.32 ns per group in group
// order, 1.20 breadth first.
template <int kBits, int kGroup, int kBatch>
__attribute__((target("avx512vnni"))) HWY_INLINE void GroupDotsTwoPass(const uint8_t* w,
                                                                       const int8_t* x1,
                                                                       const int8_t* x2,
                                                                       __m256i* acc) {
  constexpr int kVectors = kGroup / 32;
  constexpr int64_t kGroupBytes = kGroup * kBits / 8;
  __m256i u[kBatch][kVectors];
  for (int j = 0; j < kBatch; ++j) {
    GroupOperands<kBits, kGroup>(w + j * kGroupBytes, u[j]);
    acc[j] = _mm256_setzero_si256();
  }
  for (int i = 0; i < kVectors; ++i) {
    for (int j = 0; j < kBatch; ++j) DotBytes(acc[j], u[j][i], x1 + j * kGroup + 32 * i);
  }
  for (int j = 0; j < kBatch; ++j) acc[j] = _mm256_slli_epi32(acc[j], 8);
  for (int i = 0; i < kVectors; ++i) {
    for (int j = 0; j < kBatch; ++j) DotBytes(acc[j], u[j][i], x2 + j * kGroup + 32 * i);
  }
}

// The int32 sums of eight groups' dot products (a[j]: group j's eight lanes) in one vector.
// Unpack-and-add rather than vphaddd: on Zen 4 vphaddd takes the pipes vpdpbusd needs (each
// costs about a cycle of them), the unpacks and adds run beside (the standalone loop: 1.20 ->
// 1.14 ns per group).
__attribute__((target("avx512vnni"))) HWY_INLINE __m256i SumEightGroups(const __m256i* a) {
  __m256i p[4];  // p[k], each 128-bit half: [a(2k) 0+2, a(2k+1) 0+2, a(2k) 1+3, a(2k+1) 1+3]
  for (int k = 0; k < 4; ++k) {
    p[k] = _mm256_add_epi32(_mm256_unpacklo_epi32(a[2 * k], a[2 * k + 1]),
                            _mm256_unpackhi_epi32(a[2 * k], a[2 * k + 1]));
  }
  // Groups 0-3 (then 4-7), each half: the four groups' sums over that half's lanes.
  const __m256i q0 = _mm256_add_epi32(_mm256_unpacklo_epi64(p[0], p[1]),
                                      _mm256_unpackhi_epi64(p[0], p[1]));
  const __m256i q1 = _mm256_add_epi32(_mm256_unpacklo_epi64(p[2], p[3]),
                                      _mm256_unpackhi_epi64(p[2], p[3]));
  return _mm256_add_epi32(_mm256_permute2x128_si256(q0, q1, 0x20),
                          _mm256_permute2x128_si256(q0, q1, 0x31));
}

// Eight consecutive scales (or biases) from `base` at index i, as floats.
template <ScaleType kType>
__attribute__((target("avx512vnni"))) HWY_INLINE __m256 LoadEight(const void* base, int64_t i) {
  if constexpr (kType == ScaleType::F32) {
    return _mm256_loadu_ps(static_cast<const float*>(base) + i);
  } else {
    const __m128i h = _mm_loadu_si128(
        reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + i));
    if constexpr (kType == ScaleType::F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));  // bf16
  }
}

// The same for the lanes set in m only (masked loads, which do not touch the others); the
// other lanes are zero.
template <ScaleType kType>
__attribute__((target("avx512vnni"))) HWY_INLINE __m256 LoadFewer(const void* base, int64_t i,
                                                                  __mmask8 m) {
  if constexpr (kType == ScaleType::F32) {
    return _mm256_maskz_loadu_ps(m, static_cast<const float*>(base) + i);
  } else {
    const __m128i h = _mm_maskz_loadu_epi16(m, static_cast<const uint16_t*>(base) + i);
    if constexpr (kType == ScaleType::F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));  // bf16
  }
}

// The last `n` (1-7) groups of a row: their integer sums in acc[0, n), zeros after, in batches of
// 4, 2 and 1 so that most of them still run breadth first.
template <int kBits, int kGroup>
__attribute__((target("avx512vnni"))) HWY_INLINE void TailGroupDots(const uint8_t* w,
                                                                    const int8_t* x1,
                                                                    const int8_t* x2, int n,
                                                                    __m256i* acc) {
  constexpr int64_t kGroupBytes = kGroup * kBits / 8;
  int j = 0;
  auto batch = [&]<int kBatch>() {
    GroupDotsTwoPass<kBits, kGroup, kBatch>(w + j * kGroupBytes, x1 + j * kGroup,
                                            x2 + j * kGroup, acc + j);
    j += kBatch;
  };
  if (n & 4) batch.template operator()<4>();
  if (n & 2) batch.template operator()<2>();
  if (n & 1) batch.template operator()<1>();
  for (; j < 8; ++j) acc[j] = _mm256_setzero_si256();
}

// The last `tail` (1-7) groups of a row, as one block whose missing groups' factors are zero
// (masked loads): f plus their terms. Not inlined: inside the row loop its registers and
// branches made GCC keep the eight-group block's accumulators on the stack.
template <int kBits, int kGroup, ScaleType kScale>
__attribute__((target("avx512vnni"), noinline)) __m256 TailBlock(
    const WeightMatrix& w, const uint8_t* wt, const int8_t* x1, const int8_t* x2,
    const float* dx, const float* xsum, int64_t off, int tail, int64_t dist, __m256 f) {
  constexpr int64_t kGroupBytes = kGroup * kBits / 8;
  // The tail's lines a distance ahead too: left to demand misses, a Qwen2.5-0.5B down_proj
  // (72 + 4 groups a row) streamed 36 % slower than with the old per-group loop.
  for (int64_t o = 0; o < tail * kGroupBytes; o += 64) detail::prefetch(wt + o + dist);
  __m256i acc[8];
  TailGroupDots<kBits, kGroup>(wt, x1, x2, tail, acc);
  const __mmask8 m = static_cast<__mmask8>((1u << tail) - 1);
  const __m256 fac =
      _mm256_mul_ps(LoadFewer<kScale>(w.scales, off, m), _mm256_maskz_loadu_ps(m, dx));
  f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(SumEightGroups(acc)), fac, f);
  return _mm256_fmadd_ps(LoadFewer<kScale>(w.biases, off, m), _mm256_maskz_loadu_ps(m, xsum), f);
}

// Eight groups at a time: their integer sums are reduced into one vector, scaled by eight scales
// * d_g, and the bias term added with eight biases * sum x, straight from the weight's scale and
// bias arrays — no per-row prologue (RowFactors, ~8 % of a one-thread decode profile) and one
// FMA per eight groups instead of one per group. Llama-1B 4-bit decode on Zen 4, `bench -p 0
// -n 64 -r 3`, five interleaved rounds: one thread 23.6 -> 25.8 t/s median, two 38.4 -> 41.4;
// BM_DecodeHot 8-bit 38 -> 43 GB/s. A row whose group count is not a multiple of 8 (Qwen2.5-0.5B:
// 896 = 14 groups of 64) ends with one block of the rest, its missing groups zero.
template <int kBits, int kGroup, ScaleType kScale>
__attribute__((target("avx512vnni"))) void DecodeRowsTwoPassByEight(
    const WeightMatrix& w, const int8_t* x1, const int8_t* x2, const float* dx,
    const float* xsum, float* y, int64_t begin, int64_t end) {
  const int64_t groups = w.cols / kGroup;
  const int64_t full = groups - groups % 8;
  const int tail = static_cast<int>(groups % 8);
  const int64_t row_bytes = w.cols * kBits / 8;
  constexpr int64_t kGroupBytes = kGroup * kBits / 8;
  constexpr int kBatch = kGroup <= 64 ? 8 : 4;  // groups whose operands fit 32 vector registers
  const int64_t dist = detail::prefetch_distance();
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t* wr = static_cast<const uint8_t*>(w.data) + r * row_bytes;
    const int64_t off = r * groups;
    __m256 f = _mm256_setzero_ps();
    for (int64_t g = 0; g < full; g += 8) {
      detail::prefetch_span<8 * kGroupBytes>(wr + g * kGroupBytes, dist);
      __m256i acc[8];
      for (int j = 0; j < 8; j += kBatch) {
        GroupDotsTwoPass<kBits, kGroup, kBatch>(wr + (g + j) * kGroupBytes, x1 + (g + j) * kGroup,
                                                x2 + (g + j) * kGroup, acc + j);
      }
      const __m256 fac = _mm256_mul_ps(LoadEight<kScale>(w.scales, off + g), _mm256_loadu_ps(dx + g));
      f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(SumEightGroups(acc)), fac, f);
      f = _mm256_fmadd_ps(LoadEight<kScale>(w.biases, off + g), _mm256_loadu_ps(xsum + g), f);
    }
    if (tail > 0) {
      f = TailBlock<kBits, kGroup, kScale>(w, wr + full * kGroupBytes, x1 + full * kGroup,
                                           x2 + full * kGroup, dx + full, xsum + full,
                                           off + full, tail, dist, f);
    }
    y[r] = HorizontalSum(f);
  }
}

template <int kBits, int kGroup>
__attribute__((target("avx512vnni"))) void DecodeRowsTwoPass(const WeightMatrix& w,
                                                             const int8_t* x1, const int8_t* x2,
                                                             const float* dx, const float* xsum,
                                                             float* y, int64_t begin,
                                                             int64_t end) {
  auto by_eight = [&]<ScaleType kScale>() {
    DecodeRowsTwoPassByEight<kBits, kGroup, kScale>(w, x1, x2, dx, xsum, y, begin, end);
  };
  switch (w.scale_type) {
    case ScaleType::F32: return by_eight.template operator()<ScaleType::F32>();
    case ScaleType::F16: return by_eight.template operator()<ScaleType::F16>();
    case ScaleType::BF16: return by_eight.template operator()<ScaleType::BF16>();
  }
}

// Whether DecodeTwoPass serves w on this CPU.
bool UsesVnniDecode(const WeightMatrix& w) {
  return w.format == WeightFormat::Affine && (w.bits == 4 || w.bits == 8) && HasAvx512Vnni();
}

// n matrices sharing x (same bits, group and cols; see DecodeAffineGroup) with the two-pass
// kernel; false when w is not 4/8-bit affine or the CPU lacks VNNI.
bool DecodeTwoPassGroup(const WeightMatrix* const* ws, float* const* ys, int n, const float* x,
                        ThreadPool& pool) {
  const WeightMatrix& w0 = *ws[0];
  if (!UsesVnniDecode(w0) || w0.layout != WeightLayout::Rows) return false;
  auto run = [&]<int kBits, int kGroup>() {
    const TwoPassActivations a = QuantizeTwoPassScratch<kBits, kGroup, false>(x, w0.cols);
    ParallelDecodeRows(ws, n, w0.cols * kBits / 8, pool, [&](int i, int64_t b, int64_t e) {
      DecodeRowsTwoPass<kBits, kGroup>(*ws[i], a.x1, a.x2, a.dx, a.xsum, ys[i], b, e);
    });
  };
  return WithBitsAndGroup<4, 8>(w0, run);
}

#else

bool UsesVnniDecode(const WeightMatrix&) { return false; }
bool DecodeTwoPassGroup(const WeightMatrix* const*, float* const*, int, const float*,
                        ThreadPool&) {
  return false;
}

#endif  // ALLM_X86_AVX512

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops::kernels
HWY_AFTER_NAMESPACE();

#endif  // include guard
