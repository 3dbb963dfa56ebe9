// SIMD linear kernels with Highway runtime dispatch (SSE4/AVX2/AVX-512; NEON/SVE).
//
// Decode (n_tokens == 1), MLX affine with 2/4/8 bits: x is quantized once per call to int16 per
// weight group (d_g = max|x_g| / 32767, rounding error <= d_g/2 per element, i.e. ~1.5e-5 of
// the group's largest activation; the bias term uses the exact float group sums), so
//   y_r = sum_g s_rg * d_g * sum_c q_rc * xq_c  +  sum_g b_rg * sum_c x_c.
// The packed weights are read as 16-bit words and the 16/bits values of each word are pulled
// out with shift+mask in registers, then multiplied with int16 pairwise multiply-add
// (vpmaddwd). x is stored in the matching permuted order, so no
// shuffle is needed. Integer sums are exact; one float multiply-add per group.
// Other bit widths and float formats: float dot products.
//
// On CPUs with AVX512-VNNI, 4/8-bit decode uses two int8 passes with vpdpbusd instead
// (kernel_decode_vnni-inl.h: the same precision, about half the instructions).
//
// Prefill (n_tokens > 1): a float GEMM (kernel_prefill-inl.h): each weight is dequantized once
// (exact) per call into k-major panels and multiplied with all tokens by a register-blocked
// micro-kernel (16 rows x 6 tokens on AVX2), so the unpacking cost is shared by every token.
// With AVX512-VNNI, affine weights take an int16 GEMM on vpdpwssd instead
// (kernel_prefill_vnni-inl.h: the decode kernels' int16 activations, twice the float rate).
#include "engine/ops/kernel_linear.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/ops/kernel_common.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "engine/ops/kernel_linear.cpp"
#include <hwy/aligned_allocator.h>
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "engine/ops/kernel_affine_int8-inl.h"
#include "engine/ops/kernel_decode_tiles-inl.h"
#include "engine/ops/kernel_decode_vnni-inl.h"
#include "engine/ops/kernel_helpers-inl.h"
#include "engine/ops/kernel_prefill-inl.h"
#include "engine/ops/kernel_prefill_vnni-inl.h"

HWY_BEFORE_NAMESPACE();
namespace abstractllm::engine::ops::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// acc += pairwise products of int16 lanes (adjacent pairs summed into int32 lanes).
template <class D32, class V16>
HWY_INLINE hn::VFromD<D32> DotAcc(D32 d32, V16 a, V16 b, hn::VFromD<D32> acc) {
  hn::VFromD<D32> unused = hn::Zero(d32);
  return hn::ReorderWidenMulAccumulate(d32, a, b, acc, unused);
}

// ---------------------------------------------------------------- decode, affine 2/4/8 bits

// Groups whose packed words fill less than 256 bits (2-bit groups of 32 and 64, 4-bit groups of
// 32) are taken G at a time, one full vector holding G whole groups; the int32 lane sums of the
// vector then belong to G groups and meet their scales through a lane permutation. In cache this
// doubles the 2-bit kernel's speed (3.6 -> 7.2 GB/s per core on the device host's Xeon, AVX-512;
// 2-bit decode was compute-bound there). 1 for wider groups, whose chunks are ChunkTag-wide: for
// 4-bit groups of 64 on AVX-512, two groups per 512-bit vector measured no faster in cache and
// slower streaming from memory than one group per 256-bit vector.
template <int kBits, int kGroup>
constexpr int64_t GroupsPerVector() {
#if HWY_HAVE_SCALABLE || HWY_TARGET == HWY_SCALAR
  return 1;
#else
  constexpr int64_t kGroupWords = kGroup * kBits / 16;
  constexpr int64_t kVectorWords = HWY_LANES(uint16_t);
  return kGroupWords < 16 && kVectorWords > kGroupWords ? kVectorWords / kGroupWords : 1;
#endif
}

// How many of a row's `groups` groups are laid out and read G to a vector: the leading multiple
// of G when G > 1, else none. QuantizeXPermuted and the decode kernel must agree on it.
template <int kBits, int kGroup>
constexpr int64_t GroupsInVectors(int64_t groups) {
  constexpr int64_t G = GroupsPerVector<kBits, kGroup>();
  return G > 1 ? groups / G * G : 0;
}

// Quantizes x to int16 per group, in the order the kernel extracts values: within a chunk of L
// 16-bit words (P = 16/bits values each), value P*k + j goes to position j*L + k. A chunk is a
// full vector of G groups (GroupsPerVector) for the row's leading multiple of G groups, and one
// group's ChunkTag-wide chunks after that (and everywhere when G is 1).
template <int kBits, int kGroup>
void QuantizeXPermuted(const float* x, int64_t cols, int16_t* xq, float* dx, float* xsum) {
  constexpr int P = 16 / kBits;
  constexpr int64_t G = GroupsPerVector<kBits, kGroup>();
  const ChunkTag<kBits, kGroup> d16;
  const int64_t groups = cols / kGroup;
  const int64_t full = GroupsInVectors<kBits, kGroup>(groups);
  const int64_t vector_chunk = G * kGroup;
  const int64_t group_chunk = P * static_cast<int64_t>(hn::Lanes(d16));
  thread_local std::vector<float> inv_buf;
  inv_buf.resize(static_cast<size_t>(groups));
  float* inv = inv_buf.data();
  for (int64_t g = 0; g < groups; ++g) {
    float amax, sum;
    AbsMaxAndSum(x + g * kGroup, kGroup, amax, sum);
    dx[g] = amax / 32767.0f;
    xsum[g] = sum;
    inv[g] = dx[g] > 0.0f ? 1.0f / dx[g] : 0.0f;
  }
  for (int64_t base = 0; base < cols;) {
    const int64_t chunk = base < full * kGroup ? vector_chunk : group_chunk;
    const int64_t L = chunk / P;
    for (int64_t k = 0; k < L; ++k) {
      for (int j = 0; j < P; ++j) {
        const int64_t c = base + P * k + j;
        const float v = std::nearbyint(x[c] * inv[c / kGroup]);
        xq[base + j * L + k] = static_cast<int16_t>(std::clamp(v, -32767.0f, 32767.0f));
      }
    }
    base += chunk;
  }
}

// iacc + the integer dot product of one vector of packed words (P = 16/bits values each) with
// its int16 activations (P vectors at xc, in QuantizeXPermuted's order).
template <int kBits, class D16>
HWY_INLINE hn::VFromD<hn::Repartition<int32_t, D16>> ChunkDot(
    D16 d16, const uint16_t* w, const int16_t* xc, hn::VFromD<hn::Repartition<int32_t, D16>> iacc) {
  constexpr int P = 16 / kBits;
  constexpr uint16_t kMask = static_cast<uint16_t>((1u << kBits) - 1u);
  const hn::RebindToSigned<D16> di16;
  const hn::Repartition<int32_t, D16> d32;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d16));
  const auto words = hn::LoadU(d16, w);
  for (int j = 0; j < P; ++j) {
    auto v = j == 0 ? words : hn::ShiftRightSame(words, j * kBits);
    if (j != P - 1) v = hn::And(v, hn::Set(d16, kMask));
    iacc = DotAcc(d32, hn::BitCast(di16, v), hn::LoadU(di16, xc + j * L), iacc);
  }
  return iacc;
}

// Integer dot product of one group's packed values with its int16 activations.
template <int kBits, int kGroup, class D16>
HWY_INLINE hn::VFromD<hn::Repartition<int32_t, D16>> GroupDot(D16 d16, const uint16_t* wr,
                                                              const int16_t* xg) {
  constexpr int P = 16 / kBits;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d16));
  const int64_t chunks = kGroup / (P * L);
  auto iacc = hn::Zero(hn::Repartition<int32_t, D16>());
  for (int64_t ch = 0; ch < chunks; ++ch) {
    iacc = ChunkDot<kBits>(d16, wr + ch * L, xg + ch * P * L, iacc);
  }
  return iacc;
}

// sum_g fac[g] * (group g's integer dot) over groups [g, groups) of row wr, a group at a time.
template <int kBits, int kGroup>
HWY_INLINE float GroupsOneByOne(const uint16_t* wr, const int16_t* xq, const float* fac, int64_t g,
                                int64_t groups, int64_t dist) {
  const ChunkTag<kBits, kGroup> d16;
  const hn::Repartition<float, decltype(d16)> df;
  constexpr int64_t kGroupWords = kGroup * kBits / 16;
  // Two accumulators (even/odd groups) to keep two FMA chains in flight.
  auto f0 = hn::Zero(df), f1 = hn::Zero(df);
  for (; g + 2 <= groups; g += 2) {
    detail::prefetch_ahead(wr, g * kGroupWords * 2, 2 * kGroupWords * 2, dist);
    const auto i0 = GroupDot<kBits, kGroup>(d16, wr + g * kGroupWords, xq + g * kGroup);
    const auto i1 = GroupDot<kBits, kGroup>(d16, wr + (g + 1) * kGroupWords, xq + (g + 1) * kGroup);
    f0 = hn::MulAdd(hn::ConvertTo(df, i0), hn::Set(df, fac[g]), f0);
    f1 = hn::MulAdd(hn::ConvertTo(df, i1), hn::Set(df, fac[g + 1]), f1);
  }
  if (g < groups) {
    const auto i0 = GroupDot<kBits, kGroup>(d16, wr + g * kGroupWords, xq + g * kGroup);
    f0 = hn::MulAdd(hn::ConvertTo(df, i0), hn::Set(df, fac[g]), f0);
  }
  return hn::GetLane(hn::SumOfLanes(df, hn::Add(f0, f1)));
}

// The same over groups [0, full) of row wr, G = GroupsPerVector groups per vector: int32 lane i
// of a vector's sums belongs to its group i / (kGroupWords / 2), whose factor a table lookup
// puts there. `full` is a multiple of G; fac has a vector's worth of readable floats past it.
template <int kBits, int kGroup>
HWY_INLINE float GroupsByVector(const uint16_t* wr, const int16_t* xq, const float* fac,
                                int64_t full, int64_t dist) {
  constexpr int64_t G = GroupsPerVector<kBits, kGroup>();
  constexpr int64_t kGroupWords = kGroup * kBits / 16;
  const hn::ScalableTag<uint16_t> d16;
  const hn::Repartition<float, decltype(d16)> df;
  const hn::Repartition<int32_t, decltype(d16)> d32;
  // Constant per instantiation, so built at compile time rather than on every row.
  struct LaneGroups {
    alignas(64) int32_t v[HWY_LANES(float)];
  };
  static constexpr LaneGroups kLaneGroup = [] {
    LaneGroups t{};
    for (int64_t i = 0; i < HWY_LANES(float); ++i)
      t.v[i] = static_cast<int32_t>(i / (kGroupWords / 2));
    return t;
  }();
  const auto idx = hn::SetTableIndices(df, kLaneGroup.v);
  auto f0 = hn::Zero(df), f1 = hn::Zero(df);
  int64_t g = 0;
  for (; g + 2 * G <= full; g += 2 * G) {
    detail::prefetch_span<2 * G * kGroupWords * 2>(wr + g * kGroupWords, dist);
    const auto i0 = ChunkDot<kBits>(d16, wr + g * kGroupWords, xq + g * kGroup, hn::Zero(d32));
    const auto i1 =
        ChunkDot<kBits>(d16, wr + (g + G) * kGroupWords, xq + (g + G) * kGroup, hn::Zero(d32));
    f0 = hn::MulAdd(hn::ConvertTo(df, i0), hn::TableLookupLanes(hn::LoadU(df, fac + g), idx), f0);
    f1 = hn::MulAdd(hn::ConvertTo(df, i1), hn::TableLookupLanes(hn::LoadU(df, fac + g + G), idx),
                    f1);
  }
  if (g < full) {
    const auto i0 = ChunkDot<kBits>(d16, wr + g * kGroupWords, xq + g * kGroup, hn::Zero(d32));
    f0 = hn::MulAdd(hn::ConvertTo(df, i0), hn::TableLookupLanes(hn::LoadU(df, fac + g), idx), f0);
  }
  return hn::GetLane(hn::SumOfLanes(df, hn::Add(f0, f1)));
}

template <int kBits, int kGroup>
void DecodeAffineRows(const WeightMatrix& w, const int16_t* xq, const float* dx, const float* xsum,
                      float* y, int64_t begin, int64_t end) {
  constexpr int64_t G = GroupsPerVector<kBits, kGroup>();
  const int64_t groups = w.cols / kGroup;
  const int64_t full = GroupsInVectors<kBits, kGroup>(groups);
  const int64_t row_words = w.cols * kBits / 16;
  constexpr int64_t kPad = HWY_LANES(float);  // GroupsByVector loads a vector of factors

  thread_local std::vector<float> buf;
  if (buf.size() < static_cast<size_t>(groups + kPad))
    buf.resize(static_cast<size_t>(groups + kPad));
  float* fac = buf.data();

  const int64_t dist = detail::prefetch_distance();
  for (int64_t r = begin; r < end; ++r) {
    const uint16_t* wr = static_cast<const uint16_t*>(w.data) + r * row_words;
    const float bsum = RowFactors(w, r, groups, dx, xsum, fac);
    float sum = 0.0f;
    if constexpr (G > 1) sum = GroupsByVector<kBits, kGroup>(wr, xq, fac, full, dist);
    if (full < groups) sum += GroupsOneByOne<kBits, kGroup>(wr, xq, fac, full, groups, dist);
    y[r] = sum + bsum;
  }
}

// n matrices with the same input x and the same (bits, group, cols) — q/k/v or gate/up — in one
// parallel region: x is quantized once, and the rows of all of them form one range of chunks,
// so there is one barrier instead of n and the threads stay balanced across the matrices.
template <int kBits, int kGroup>
void DecodeAffineGroup(const WeightMatrix* const* ws, float* const* ys, int n, const float* x,
                       ThreadPool& pool) {
  const int64_t cols = ws[0]->cols;
  const int64_t groups = cols / kGroup;
  thread_local hwy::AlignedFreeUniquePtr<int16_t[]> xq_buf;
  thread_local size_t xq_size = 0;
  thread_local std::vector<float> xs_buf;
  int16_t* xq = AlignedScratch(xq_buf, xq_size, cols);
  xs_buf.resize(static_cast<size_t>(2 * groups));
  float* dx = xs_buf.data();
  float* xsum = dx + groups;
  QuantizeXPermuted<kBits, kGroup>(x, cols, xq, dx, xsum);
  ParallelDecodeRows(ws, n, cols * kBits / 8, pool, [&](int i, int64_t b, int64_t e) {
    DecodeAffineRows<kBits, kGroup>(*ws[i], xq, dx, xsum, ys[i], b, e);
  });
}

template <int kBits, int kGroup>
void DecodeAffine(const WeightMatrix& w, const float* x, float* y, ThreadPool& pool) {
  const WeightMatrix* ws[1] = {&w};
  float* ys[1] = {y};
  DecodeAffineGroup<kBits, kGroup>(ws, ys, 1, x, pool);
}

// ---------------------------------------------------------------- decode, float formats

template <class DF>
HWY_INLINE hn::VFromD<DF> LoadAsFloat(DF df, WeightFormat f, const void* base, int64_t i) {
  if (f == WeightFormat::F32) return hn::LoadU(df, static_cast<const float*>(base) + i);
  if (f == WeightFormat::F16) {
    const hn::Rebind<hwy::float16_t, DF> dh;
    return hn::PromoteTo(df, hn::LoadU(dh, static_cast<const hwy::float16_t*>(base) + i));
  }
  const hn::Rebind<hwy::bfloat16_t, DF> db;
  return hn::PromoteTo(df, hn::LoadU(db, static_cast<const hwy::bfloat16_t*>(base) + i));
}

template <WeightFormat kFormat>
void DecodeFloatRows(const WeightMatrix& w, const float* x, float* y, int64_t begin, int64_t end) {
  const hn::ScalableTag<float> df;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  const int64_t cols = w.cols;
  for (int64_t r = begin; r < end; ++r) {
    const int64_t off = r * cols;
    auto s0 = hn::Zero(df), s1 = hn::Zero(df), s2 = hn::Zero(df), s3 = hn::Zero(df);
    int64_t c = 0;
    for (; c + 4 * N <= cols; c += 4 * N) {
      s0 = hn::MulAdd(LoadAsFloat(df, kFormat, w.data, off + c), hn::LoadU(df, x + c), s0);
      s1 = hn::MulAdd(LoadAsFloat(df, kFormat, w.data, off + c + N), hn::LoadU(df, x + c + N), s1);
      s2 = hn::MulAdd(LoadAsFloat(df, kFormat, w.data, off + c + 2 * N),
                      hn::LoadU(df, x + c + 2 * N), s2);
      s3 = hn::MulAdd(LoadAsFloat(df, kFormat, w.data, off + c + 3 * N),
                      hn::LoadU(df, x + c + 3 * N), s3);
    }
    for (; c + N <= cols; c += N) {
      s0 = hn::MulAdd(LoadAsFloat(df, kFormat, w.data, off + c), hn::LoadU(df, x + c), s0);
    }
    float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
    for (; c < cols; ++c) {
      float v;
      if (kFormat == WeightFormat::F32) {
        v = static_cast<const float*>(w.data)[off + c];
      } else if (kFormat == WeightFormat::F16) {
        v = detail::f16_to_f32(static_cast<const uint16_t*>(w.data)[off + c]);
      } else {
        v = detail::bf16_to_f32(static_cast<const uint16_t*>(w.data)[off + c]);
      }
      sum += v * x[c];
    }
    y[r] = sum;
  }
}

// Decode for 3/5/6-bit affine weights, whose values straddle 16-bit words: on x86 AVX2+ each
// group is unpacked 16 values at a time in registers (UnpackOdd16); elsewhere, and for the
// matrix's last group, 8 values (= kBits bytes) at a time into int16 with scalar shifts. Then
// dotted with int16 activations (natural order: QuantizeXPermuted with 16 "bits" per value) like
// the 2/4/8-bit kernels: same rounding, same bias term.
template <int kBits>
HWY_INLINE void Unpack8(const uint8_t* p, const uint8_t* end, int16_t* out) {
  uint64_t u = 0;
  // One 8-byte load where the row has 8 bytes left (a kBits-byte copy would be assembled from
  // narrow stores and stall store forwarding); little-endian, LSB first (kernel_common.hpp).
  if (end - p >= 8) {
    std::memcpy(&u, p, 8);
  } else {
    std::memcpy(&u, p, kBits);
  }
  for (int j = 0; j < 8; ++j) {
    out[j] = static_cast<int16_t>((u >> (j * kBits)) & ((1u << kBits) - 1u));
  }
}

// Whether this target unpacks 3/5/6-bit values in registers (UnpackOdd16: 16 int16 lanes).
constexpr bool kOddInRegisters = ALLM_X86_AVX2;

// sum_c q_c * xq_c over group g of a 3/5/6-bit row (xg, qg: the group's activations and int16
// slots). In registers where the target allows it and the group's last 16-byte load stays before
// `limit`, the end of the matrix (a load past a row's end reads the next row's bytes, which the
// shuffle ignores); otherwise from qg — unpacked here for the matrix's last group, and already
// unpacked (the whole row) on the other targets.
template <int kBits, int kGroup, class D16>
HWY_INLINE hn::VFromD<hn::Repartition<int32_t, D16>> OddGroupDot(D16 d16, const uint8_t* wr,
                                                                 const uint8_t* row_end, int64_t g,
                                                                 const uint8_t* limit,
                                                                 const int16_t* xg, int16_t* qg) {
  const hn::Repartition<int32_t, D16> d32;
#if ALLM_X86_AVX2
  constexpr int64_t kChunkBytes = 2 * kBits;  // 16 values
  const uint8_t* wg = wr + g * (kGroup * kBits / 8);
  if (OddGroupLoadsFit<kBits, kGroup>(wg, limit)) {
    __m256i acc = _mm256_setzero_si256();
    for (int64_t c = 0; c < kGroup / 16; ++c) {
      const __m256i q = UnpackOdd16<kBits>(wg + c * kChunkBytes);
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xg + 16 * c));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(q, x));
    }
    return hn::VFromD<decltype(d32)>{acc};
  }
  for (int64_t k = 0; k < kGroup / 8; ++k) Unpack8<kBits>(wg + k * kBits, row_end, qg + 8 * k);
#else
  (void)wr, (void)row_end, (void)g, (void)limit;
#endif
  const int64_t L = static_cast<int64_t>(hn::Lanes(d16));
  auto iacc = hn::Zero(d32);
  for (int64_t c = 0; c < kGroup; c += L) {
    iacc = DotAcc(d32, hn::Load(d16, qg + c), hn::LoadU(d16, xg + c), iacc);
  }
  return iacc;
}

template <int kBits, int kGroup>
void DecodeOddBitsRows(const WeightMatrix& w, const int16_t* xq, const float* dx, const float* xsum,
                       float* y, int64_t begin, int64_t end) {
  // 16 lanes where the values are unpacked in registers (UnpackOdd16 fills 256 bits).
  const hn::CappedTag<int16_t, kOddInRegisters ? 16 : kGroup> d16;
  const hn::Repartition<float, decltype(d16)> df;
  const int64_t groups = w.cols / kGroup;
  const int64_t row_bytes = w.cols * kBits / 8;
  constexpr int64_t kGroupBytes = kGroup * kBits / 8;
  const uint8_t* limit = static_cast<const uint8_t*>(w.data) + w.rows * row_bytes;
  thread_local std::vector<float> buf;
  thread_local hwy::AlignedFreeUniquePtr<int16_t[]> q_buf;
  thread_local size_t q_size = 0;
  if (buf.size() < static_cast<size_t>(groups)) buf.resize(static_cast<size_t>(groups));
  float* fac = buf.data();
  int16_t* q = AlignedScratch(q_buf, q_size, w.cols);
  const int64_t dist = detail::prefetch_distance();
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t* wr = static_cast<const uint8_t*>(w.data) + r * row_bytes;
    if (!kOddInRegisters) {
      // Unpack the whole row first: vector loads right after the narrow stores that wrote them
      // would stall on store forwarding.
      for (int64_t k = 0; k < w.cols / 8; ++k) {
        Unpack8<kBits>(wr + k * kBits, wr + row_bytes, q + 8 * k);
      }
    }
    const float bsum = RowFactors(w, r, groups, dx, xsum, fac);
    auto f = hn::Zero(df);
    for (int64_t g = 0; g < groups; ++g) {
      detail::prefetch_span<kGroupBytes>(wr + g * kGroupBytes, dist);
      const auto iacc = OddGroupDot<kBits, kGroup>(d16, wr, wr + row_bytes, g, limit,
                                                   xq + g * kGroup, q + g * kGroup);
      f = hn::MulAdd(hn::ConvertTo(df, iacc), hn::Set(df, fac[g]), f);
    }
    y[r] = hn::GetLane(hn::SumOfLanes(df, f)) + bsum;
  }
}

template <int kBits, int kGroup>
void DecodeOddBits(const WeightMatrix& w, const float* x, float* y, ThreadPool& pool) {
  const int64_t groups = w.cols / kGroup;
  thread_local std::vector<int16_t> xq_buf;
  thread_local std::vector<float> xs_buf;
  xq_buf.resize(static_cast<size_t>(w.cols));
  xs_buf.resize(static_cast<size_t>(2 * groups));
  // Pointers, not the thread_local names: inside the tasks those name the worker's own buffers.
  const int16_t* xq = xq_buf.data();
  const float* dx = xs_buf.data();
  const float* xsum = dx + groups;
  QuantizeXPermuted<16, kGroup>(x, w.cols, xq_buf.data(), xs_buf.data(), xs_buf.data() + groups);
  const WeightMatrix* ws[1] = {&w};
  ParallelDecodeRows(ws, 1, w.cols * kBits / 8, pool, [&](int, int64_t b, int64_t e) {
    DecodeOddBitsRows<kBits, kGroup>(w, xq, dx, xsum, y, b, e);
  });
}

void Decode(const WeightMatrix& w, const float* x, float* y, ThreadPool& pool) {
#if ALLM_INT8_AFFINE
  if (UsesInt8Activations(w)) {
    if (w.group_size == 64) return DecodeAffine4Int8<64>(w, x, y, pool);
    if (w.group_size == 128) return DecodeAffine4Int8<128>(w, x, y, pool);
    return DecodeAffine4Int8<32>(w, x, y, pool);
  }
#endif
  if (w.format == WeightFormat::Affine) {
    const WeightMatrix* ws[1] = {&w};
    float* ys[1] = {y};
    if (DecodeTwoPassGroup(ws, ys, 1, x, pool)) return;
    if (WithBitsAndGroup<2, 4, 8>(w, [&]<int B, int G>() { DecodeAffine<B, G>(w, x, y, pool); }) ||
        WithBitsAndGroup<3, 5, 6>(w, [&]<int B, int G>() { DecodeOddBits<B, G>(w, x, y, pool); })) {
      return;
    }
  }
  const int64_t grain = std::max<int64_t>(std::max<int64_t>(1, 16384 / (w.cols * 2)),
                                          w.rows / (static_cast<int64_t>(pool.size()) * 8));
  pool.parallel_for_grain(w.rows, grain, [&](int64_t b, int64_t e) {
    switch (w.format) {
      case WeightFormat::F32:
        DecodeFloatRows<WeightFormat::F32>(w, x, y, b, e);
        break;
      case WeightFormat::F16:
        DecodeFloatRows<WeightFormat::F16>(w, x, y, b, e);
        break;
      default:
        DecodeFloatRows<WeightFormat::BF16>(w, x, y, b, e);
        break;
    }
  });
}

void Prefill(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
#if ALLM_INT8_AFFINE
  if (UsesInt8Activations(w)) {
    if (w.group_size == 64) return PrefillAffine4Int8<64>(w, x, n_tokens, y, pool);
    if (w.group_size == 128) return PrefillAffine4Int8<128>(w, x, n_tokens, y, pool);
    return PrefillAffine4Int8<32>(w, x, n_tokens, y, pool);
  }
#endif
  if (PrefillVnni(w, x, n_tokens, y, pool)) return;
  if (w.format == WeightFormat::Affine && WithBitsAndGroup<2, 4, 8>(w, [&]<int B, int G>() {
        PrefillAffine<B, G>(w, x, n_tokens, y, pool);
      })) {
    return;
  }
#if ALLM_X86_AVX2
  if (w.format == WeightFormat::Affine && WithBitsAndGroup<3, 5, 6>(w, [&]<int B, int G>() {
        PrefillGemm(w, x, n_tokens, y, pool, &DequantRowsOdd<B, G>);
      })) {
    return;
  }
#endif
  PrefillGemm(w, x, n_tokens, y, pool, &RowsToFloat);
}

void LinearImpl(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                ThreadPool& pool) {
  if (n_tokens == 1) {
    Decode(w, x, y, pool);
  } else {
    Prefill(w, x, n_tokens, y, pool);
  }
}

// Decode of several matrices sharing x in one region (DecodeAffineGroup) when they are all
// 2/4/8-bit affine with the same layout; false when the caller should run them one by one.
bool LinearGroupImpl(const WeightMatrix* const* ws, float* const* ys, int n, const float* x,
                     int64_t n_tokens, ThreadPool& pool) {
  if (n_tokens != 1 || n < 1) return false;
  const WeightMatrix& w0 = *ws[0];
  if (w0.format != WeightFormat::Affine || UsesInt8Activations(w0)) return false;
  for (int i = 1; i < n; ++i) {
    const WeightMatrix& w = *ws[i];
    if (w.format != w0.format || w.bits != w0.bits || w.group_size != w0.group_size ||
        w.cols != w0.cols || w.scale_type != w0.scale_type) {
      return false;
    }
  }
  if (DecodeTwoPassGroup(ws, ys, n, x, pool)) return true;
  return WithBitsAndGroup<2, 4, 8>(
      w0, [&]<int B, int G>() { DecodeAffineGroup<B, G>(ws, ys, n, x, pool); });
}

bool PrefillTilesImpl(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                      ThreadPool& pool) {
  return w.layout == WeightLayout::Tiles16 && PrefillVnni(w, x, n_tokens, y, pool);
}

// Levels the activations are rounded to (see activation_levels in kernel_linear.hpp).
int ActivationLevelsImpl(const WeightMatrix& w, int64_t n_tokens) {
  if (UsesInt8Activations(w)) return 127;
  if (n_tokens == 1 && UsesVnniDecode(w)) return kTwoPassLevels;
  if (w.format == WeightFormat::Affine && n_tokens == 1) return 32767;
  if (n_tokens > 1 && UsesVnniPrefill(w)) return 32767;
  return 0;
}

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace abstractllm::engine::ops::kernels {

HWY_EXPORT(LinearImpl);
HWY_EXPORT(ActivationLevelsImpl);
HWY_EXPORT(LinearGroupImpl);
HWY_EXPORT(DecodeTilesGroup);
HWY_EXPORT(HasTiledDecode);
HWY_EXPORT(PrefillTilesImpl);

bool try_prefill_tiles(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                       ThreadPool& pool) {
  return HWY_DYNAMIC_DISPATCH(PrefillTilesImpl)(w, x, n_tokens, y, pool);
}

bool try_decode_tiles(const WeightMatrix* const* ws, float* const* ys, int n, const float* x,
                      ThreadPool& pool) {
  return HWY_DYNAMIC_DISPATCH(DecodeTilesGroup)(ws, ys, n, x, pool);
}

bool has_tiled_decode() { return HWY_DYNAMIC_DISPATCH(HasTiledDecode)(); }

bool try_linear_group(const WeightMatrix* const* ws, float* const* ys, int n, const float* x,
                      int64_t n_tokens, ThreadPool& pool) {
  return HWY_DYNAMIC_DISPATCH(LinearGroupImpl)(ws, ys, n, x, n_tokens, pool);
}

int activation_levels(const WeightMatrix& w, int64_t n_tokens) {
  return HWY_DYNAMIC_DISPATCH(ActivationLevelsImpl)(w, n_tokens);
}

bool try_linear(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                ThreadPool& pool) {
  HWY_DYNAMIC_DISPATCH(LinearImpl)(w, x, n_tokens, y, pool);
  return true;
}

}  // namespace abstractllm::engine::ops::kernels
#endif  // HWY_ONCE
