// SIMD attention (Highway, runtime dispatch): the semantics of ops::attention (attention.hpp).
//
// Work is cut into tiles: the queries of one KV head and one cache — the query heads of a GQA
// group, for several rows of one sequence when prefilling — against that head's keys and
// values. Each key and value element is loaded once per tile and used by all of its queries.
// Two layouts:
//
//  * lanes (prefill; up to 2 vectors of queries, 16 on AVX2): queries sit in the SIMD lanes
//    (transposed once per tile into Qt[d][lane]); key and value elements are broadcast:
//      S[j][lane]  = Σ_d K[j][d] · Qt[d][lane]     register block: keys × query vectors
//      Ot[d][lane] += Σ_j V[j][d] · P[j][lane]      register block: dims × query vectors
//    Lanes past the tile's queries repeat its last query (their results are dropped).
//  * rows (few queries per KV head, e.g. decode with groups of 1-4 heads on AVX2): head_dim
//    sits in the lanes; S[m][j] = q_m·k_j by vector multiply-adds and lane sums (four keys
//    reduced together), and O[m][:] += P[m][j] · v_j with the probability broadcast. Avoids
//    the idle lanes and the element-wise broadcasts that the lane layout needs when a tile has
//    few queries. Reads half-precision caches directly (widening each vector as it loads).
//
// The softmax is online over blocks of 64 keys, per lane in the lanes layouts (vertical max /
// exp / sum) and per query along the keys in the rows layout: scores are scaled, soft-capped
// and masked per query ([lo, pos], so causal rows, sliding windows and rows of different
// positions share a tile), the running maximum m and sum l are updated and the output
// accumulator rescaled when m grows.
//
// Half-precision caches (KVType::F16) are widened for the lanes layouts once per call into the
// calling thread's buffer (past 64 MiB of floats, a step of key rows at a time in each tile
// instead); kernel_half-inl.h has the conversions, kernel_kv_store.cpp writes the caches.
//
// Threads: tasks are (row block × KV head) when there are many row blocks (prefill); with few
// (decode) a task takes all KV heads of its rows and walks the keys in groups of 8 rows, head
// after head, so that it reads whole cache rows. When there are too few tasks for the threads,
// each task's key range is split into chunks whose partial (O, m, l) are merged afterwards
// (flash-decoding).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/ops/attention.hpp"
#include "engine/ops/kernel_common.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "engine/ops/kernel_attention.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
// After highway.h (per-target code):
#include <hwy/contrib/math/math-inl.h>

#include "engine/ops/kernel_half-inl.h"

HWY_BEFORE_NAMESPACE();
namespace abstractllm::engine::ops::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

constexpr int64_t kKeyBlock = 64;  // keys per online-softmax step
constexpr int64_t kRowGroup = 8;   // keys per step when a task interleaves several KV heads

// A tile: queries of rows [r0, r0 + nr) (one cache) × query heads g·group + [h0, h0 + nh).
// Query m of the tile is row r0 + m / nh, head g·group + h0 + m % nh.
struct Tile {
  int64_t r0 = 0, nr = 0;
  int64_t g = 0;
  int64_t h0 = 0, nh = 0;
};

enum class Layout { kLanes1, kLanes2, kRows };

Layout LayoutOf(const Tile& t, int64_t hd) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(DF()));
  const int64_t M = t.nr * t.nh;
  if (M <= N / 2 && M <= 8 && hd % N == 0) return Layout::kRows;
  return M <= N ? Layout::kLanes1 : Layout::kLanes2;
}

// Lanes of the score rows and of the m / l vectors (kRows: one vector).
int64_t LanesOf(Layout layout) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(DF()));
  return layout == Layout::kLanes2 ? 2 * N : N;
}

// Running state of one tile (pointers into the thread's scratch).
struct State {
  Layout layout;
  int64_t M;   // queries
  float* q;    // kLanes*: Qt[d][L]; kRows: q[m][hd]
  float* o;    // kLanes*: Ot[d][L]; kRows: O[m][hd] (unnormalised)
  float* lo;   // [L] first visible key per lane
  float* pos;  // [L] last visible key per lane
  float* m;    // [L] running maximum
  float* l;    // [L] running sum
  float* s;    // scores, then probabilities, of the current key block: kLanes*: [kKeyBlock][L];
               // kRows: [M][kKeyBlock]
  float max_lo, min_pos;
  bool empty;  // no key block seen yet
};

// Output element (query m, dim d) of an accumulator in the tile's layout.
inline float OutAt(Layout layout, const float* o, int64_t m, int64_t d, int64_t hd) {
  return layout == Layout::kRows ? o[m * hd + d] : o[d * LanesOf(layout) + m];
}

// Per-thread scratch for the tiles of one task.
struct Scratch {
  std::vector<float> buf;
  std::vector<State> states;
  std::vector<float> kv;  // a half-precision cache's key block (then value block), widened
  void reserve(int64_t tiles, int64_t hd, int64_t lanes) {
    const size_t per = static_cast<size_t>(2 * hd * lanes + 4 * lanes + kKeyBlock * lanes);
    if (buf.size() < per * static_cast<size_t>(tiles)) buf.resize(per * static_cast<size_t>(tiles));
    states.resize(static_cast<size_t>(tiles));
    for (int64_t i = 0; i < tiles; ++i) {
      float* b = buf.data() + per * static_cast<size_t>(i);
      State& st = states[static_cast<size_t>(i)];
      st.q = b;
      st.o = b + hd * lanes;
      st.lo = b + 2 * hd * lanes;
      st.pos = st.lo + lanes;
      st.m = st.pos + lanes;
      st.l = st.m + lanes;
      st.s = st.l + lanes;
    }
  }
};

// exp(x) for x <= 0, also for x = -inf (clamped first so that no lane converts inf to int).
HWY_INLINE VF ExpNonPositive(DF df, VF x) { return hn::Exp(df, hn::Max(x, hn::Set(df, -200.0f))); }

// ---------------------------------------------------------------- lanes layout kernels

// S[jj][lane] = Σ_d k_jj[d] · Qt[d][lane] for kKB keys starting at key row `k` (stride ks).
template <int kQV, int kKB>
HWY_INLINE void QkLanes(const float* HWY_RESTRICT k, int64_t ks, const float* HWY_RESTRICT qt,
                        int64_t hd, int64_t lanes, float* HWY_RESTRICT s) {
  const DF df;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  VF acc[kKB][kQV];
  for (int kb = 0; kb < kKB; ++kb)
    for (int v = 0; v < kQV; ++v) acc[kb][v] = hn::Zero(df);
  for (int64_t d = 0; d < hd; ++d) {
    VF qv[kQV];
    for (int v = 0; v < kQV; ++v) qv[v] = hn::LoadU(df, qt + d * lanes + v * N);
    for (int kb = 0; kb < kKB; ++kb) {
      const VF kv = hn::Set(df, k[kb * ks + d]);
      for (int v = 0; v < kQV; ++v) acc[kb][v] = hn::MulAdd(kv, qv[v], acc[kb][v]);
    }
  }
  for (int kb = 0; kb < kKB; ++kb)
    for (int v = 0; v < kQV; ++v) hn::StoreU(acc[kb][v], df, s + kb * lanes + v * N);
}

// Ot[d][lane] += Σ_j v_j[d] · P[j][lane] for kDB dimensions starting at d (v points at v_0[d]).
template <int kQV, int kDB>
HWY_INLINE void PvLanes(const float* HWY_RESTRICT v, int64_t vs, const float* HWY_RESTRICT p,
                        int64_t nk, int64_t lanes, float* HWY_RESTRICT ot) {
  const DF df;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  VF acc[kDB][kQV];
  for (int db = 0; db < kDB; ++db)
    for (int w = 0; w < kQV; ++w) acc[db][w] = hn::LoadU(df, ot + db * lanes + w * N);
  for (int64_t j = 0; j < nk; ++j) {
    VF pv[kQV];
    for (int w = 0; w < kQV; ++w) pv[w] = hn::LoadU(df, p + j * lanes + w * N);
    const float* vj = v + j * vs;
    for (int db = 0; db < kDB; ++db) {
      const VF vv = hn::Set(df, vj[db]);
      for (int w = 0; w < kQV; ++w) acc[db][w] = hn::MulAdd(vv, pv[w], acc[db][w]);
    }
  }
  for (int db = 0; db < kDB; ++db)
    for (int w = 0; w < kQV; ++w) hn::StoreU(acc[db][w], df, ot + db * lanes + w * N);
}

template <int kQV>
void ScoresLanes(const float* kb, int64_t ks, const State& st, int64_t hd, int64_t j0, int64_t j1) {
  const int64_t L = kQV * static_cast<int64_t>(hn::Lanes(DF()));
  constexpr int kKB = kQV == 1 ? 8 : 4;  // keys per register block
  int64_t j = j0;
  for (; j + kKB <= j1; j += kKB) QkLanes<kQV, kKB>(kb + j * ks, ks, st.q, hd, L, st.s + j * L);
  for (; j < j1; ++j) QkLanes<kQV, 1>(kb + j * ks, ks, st.q, hd, L, st.s + j * L);
}

template <int kQV>
void PvLanesAll(const float* vb, int64_t ks, State& st, int64_t hd, int64_t j0, int64_t j1) {
  const int64_t L = kQV * static_cast<int64_t>(hn::Lanes(DF()));
  const float* p = st.s + j0 * L;
  const int64_t nk = j1 - j0;
  constexpr int kDB = kQV == 1 ? 8 : 4;  // dims per register block
  int64_t d = 0;
  for (; d + kDB <= hd; d += kDB) PvLanes<kQV, kDB>(vb + d, ks, p, nk, L, st.o + d * L);
  if (kDB > 4 && hd - d >= 4) {
    PvLanes<kQV, 4>(vb + d, ks, p, nk, L, st.o + d * L);
    d += 4;
  }
  if (hd - d >= 2) {
    PvLanes<kQV, 2>(vb + d, ks, p, nk, L, st.o + d * L);
    d += 2;
  }
  for (; d < hd; ++d) PvLanes<kQV, 1>(vb + d, ks, p, nk, L, st.o + d * L);
}

// ---------------------------------------------------------------- rows layout kernels

// A vector of cache elements as floats: float caches as they are, half-precision ones widened
// on the way (one conversion per vector), so the rows kernels read either cache directly.
HWY_INLINE VF LoadKv(DF df, const float* HWY_RESTRICT p) { return hn::LoadU(df, p); }
HWY_INLINE VF LoadKv(DF df, const hwy::float16_t* HWY_RESTRICT p) {
  return hn::PromoteTo(df, hn::LoadU(hn::Rebind<hwy::float16_t, DF>(), p));
}

// Whether the target has 32 vector registers (AVX-512, NEON, SVE) rather than 16 (AVX2, SSE):
// enough for 4 keys × 4 queries of accumulators.
constexpr bool kManyRegisters =
    !(HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_SSSE3);

#if HWY_TARGET != HWY_SCALAR
// out[i] = the sum of the lanes of v[i], i < 4. Two interleave steps leave, in every 128-bit
// block, the four vectors' sums over that block; the blocks are then added: ~4 instructions per
// vector where SumOfLanes takes ~9 (on AVX-512 the per-key reductions were two thirds of a
// decode step's q·k). Needs 4 or more lanes.
HWY_INLINE void SumLanesOfFour(const VF* v, float* HWY_RESTRICT out) {
  const DF df;
  const hn::Repartition<uint64_t, DF> d64;
  const VF ab = hn::Add(hn::InterleaveLower(df, v[0], v[1]), hn::InterleaveUpper(df, v[0], v[1]));
  const VF ce = hn::Add(hn::InterleaveLower(df, v[2], v[3]), hn::InterleaveUpper(df, v[2], v[3]));
  const auto ab64 = hn::BitCast(d64, ab), ce64 = hn::BitCast(d64, ce);
  const VF r = hn::Add(hn::BitCast(df, hn::InterleaveLower(d64, ab64, ce64)),
                       hn::BitCast(df, hn::InterleaveUpper(d64, ab64, ce64)));
  const hn::Full128<float> d4;
  HWY_ALIGN float t[HWY_MAX_BYTES / sizeof(float)];
  hn::Store(r, df, t);
  auto sum = hn::Load(d4, t);
  for (size_t b = 4; b < hn::Lanes(df); b += 4) sum = hn::Add(sum, hn::Load(d4, t + b));
  hn::StoreU(sum, d4, out);
}
#endif

// S[m][j] = q_m · k_j (at s[m · kKeyBlock + j]) for kM queries and kK keys (head_dim a
// multiple of the lanes).
template <int kM, int kK, class T>
HWY_INLINE void QkRows(const T* HWY_RESTRICT k, int64_t ks, const float* HWY_RESTRICT q,
                       int64_t hd, float* HWY_RESTRICT s) {
  const DF df;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  VF acc[kK][kM];
  for (int kk = 0; kk < kK; ++kk)
    for (int m = 0; m < kM; ++m) acc[kk][m] = hn::Zero(df);
  for (int64_t d = 0; d < hd; d += N) {
    VF kv[kK];
    for (int kk = 0; kk < kK; ++kk) kv[kk] = LoadKv(df, k + kk * ks + d);
    for (int m = 0; m < kM; ++m) {
      const VF qv = hn::LoadU(df, q + m * hd + d);
      for (int kk = 0; kk < kK; ++kk) acc[kk][m] = hn::MulAdd(kv[kk], qv, acc[kk][m]);
    }
  }
#if HWY_TARGET != HWY_SCALAR
  if constexpr (kK % 4 == 0) {
    for (int m = 0; m < kM; ++m) {
      for (int k0 = 0; k0 < kK; k0 += 4) {
        const VF four[4] = {acc[k0][m], acc[k0 + 1][m], acc[k0 + 2][m], acc[k0 + 3][m]};
        SumLanesOfFour(four, s + m * kKeyBlock + k0);
      }
    }
    return;
  }
#endif
  for (int kk = 0; kk < kK; ++kk)
    for (int m = 0; m < kM; ++m) s[m * kKeyBlock + kk] = hn::GetLane(hn::SumOfLanes(df, acc[kk][m]));
}

// O[m][d .. d + kDV·N) += Σ_j P[m][j] · v_j[d ..] for kM queries (P[m][j] at
// p[m · kKeyBlock + j]).
template <int kM, int kDV, class T>
HWY_INLINE void PvRows(const T* HWY_RESTRICT v, int64_t vs, const float* HWY_RESTRICT p,
                       int64_t nk, int64_t hd, float* HWY_RESTRICT o) {
  const DF df;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  VF acc[kM][kDV];
  for (int m = 0; m < kM; ++m)
    for (int dv = 0; dv < kDV; ++dv) acc[m][dv] = hn::LoadU(df, o + m * hd + dv * N);
  for (int64_t j = 0; j < nk; ++j) {
    VF vv[kDV];
    for (int dv = 0; dv < kDV; ++dv) vv[dv] = LoadKv(df, v + j * vs + dv * N);
    for (int m = 0; m < kM; ++m) {
      const VF pm = hn::Set(df, p[m * kKeyBlock + j]);
      for (int dv = 0; dv < kDV; ++dv) acc[m][dv] = hn::MulAdd(pm, vv[dv], acc[m][dv]);
    }
  }
  for (int m = 0; m < kM; ++m)
    for (int dv = 0; dv < kDV; ++dv) hn::StoreU(acc[m][dv], df, o + m * hd + dv * N);
}

template <int kM, class T>
void ScoresRowsM(const T* kb, int64_t ks, const State& st, int64_t hd, int64_t j0, int64_t j1) {
  // Keys per register block: a multiple of 4 where the registers allow (SumLanesOfFour).
  constexpr int kK = kM == 1 ? 8 : kM == 2 ? 4 : kM <= 4 ? (kManyRegisters ? 4 : 2) : 1;
  int64_t j = j0;
  for (; j + kK <= j1; j += kK) QkRows<kM, kK, T>(kb + j * ks, ks, st.q, hd, st.s + j);
  for (; j < j1; ++j) QkRows<kM, 1, T>(kb + j * ks, ks, st.q, hd, st.s + j);
}

template <int kM, class T>
void PvRowsM(const T* vb, int64_t ks, State& st, int64_t hd, int64_t j0, int64_t j1) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(DF()));
  constexpr int kDV = kM == 1 ? 8 : kM == 2 ? 4 : kM <= 4 ? 2 : 1;  // vectors per block
  const float* p = st.s + j0;
  const T* v = vb + j0 * ks;
  int64_t d = 0;
  for (; d + kDV * N <= hd; d += kDV * N) {
    PvRows<kM, kDV, T>(v + d, ks, p, j1 - j0, hd, st.o + d);
  }
  for (; d < hd; d += N) PvRows<kM, 1, T>(v + d, ks, p, j1 - j0, hd, st.o + d);
}

// Calls fn.template operator()<M>() for the tile's query count m (1..8; larger counts use 8),
// turning it into the compile-time row count of the kernels.
template <class Fn>
HWY_INLINE void WithQueryCount(int64_t m, Fn&& fn) {
  switch (m) {
    case 1:
      return fn.template operator()<1>();
    case 2:
      return fn.template operator()<2>();
    case 3:
      return fn.template operator()<3>();
    case 4:
      return fn.template operator()<4>();
    case 5:
      return fn.template operator()<5>();
    case 6:
      return fn.template operator()<6>();
    case 7:
      return fn.template operator()<7>();
    default:
      return fn.template operator()<8>();
  }
}

template <class T>
void ScoresRows(const T* kb, int64_t ks, const State& st, int64_t hd, int64_t j0, int64_t j1) {
  WithQueryCount(st.M, [&]<int M>() { ScoresRowsM<M, T>(kb, ks, st, hd, j0, j1); });
}

template <class T>
void PvRowsAll(const T* vb, int64_t ks, State& st, int64_t hd, int64_t j0, int64_t j1) {
  WithQueryCount(st.M, [&]<int M>() { PvRowsM<M, T>(vb, ks, st, hd, j0, j1); });
}

// ---------------------------------------------------------------- per tile

// Loads the tile's queries in its layout and resets its state.
void TileInit(const float* q, const AttentionRow* rows, const AttentionShape& s, const Tile& t,
              State& st) {
  const int64_t hd = s.head_dim;
  const int64_t group = s.n_heads / s.n_kv_heads;
  const int64_t width = s.n_heads * hd;
  st.layout = LayoutOf(t, hd);
  st.M = t.nr * t.nh;
  const int64_t L = LanesOf(st.layout);
  st.max_lo = 0;
  st.min_pos = std::numeric_limits<float>::max();
  for (int64_t m = 0; m < L; ++m) {  // lanes >= M repeat query M - 1
    const int64_t mm = std::min(m, st.M - 1);
    const int64_t r = t.r0 + mm / t.nh;
    const float* qr = q + r * width + (t.g * group + t.h0 + mm % t.nh) * hd;
    if (st.layout == Layout::kRows) {
      if (m < st.M) std::copy(qr, qr + hd, st.q + m * hd);
    } else {
      for (int64_t d = 0; d < hd; ++d) st.q[d * L + m] = qr[d];
    }
    const int64_t pos = rows[r].pos;
    const int64_t lo = s.window > 0 ? std::max<int64_t>(0, pos - s.window + 1) : 0;
    st.lo[m] = static_cast<float>(lo);
    st.pos[m] = static_cast<float>(pos);
    st.m[m] = -std::numeric_limits<float>::infinity();
    st.l[m] = 0;
    st.max_lo = std::max(st.max_lo, st.lo[m]);
    st.min_pos = std::min(st.min_pos, st.pos[m]);
  }
  std::fill(st.o, st.o + hd * L, 0.0f);
  st.empty = true;
}

// A key or value block: its first row (row stride n_kv_heads · head_dim elements) and their
// type. The lanes layouts take float blocks only (a half cache is widened for them first).
struct Block {
  const void* rows;
  KVType type;
};

// Scores of the block's keys [j0, j1) into st.s (see State::s).
void TileScores(const AttentionShape& s, const Tile& t, const State& st, Block block, int64_t j0,
                int64_t j1) {
  const int64_t hd = s.head_dim;
  const int64_t ks = s.n_kv_heads * hd;  // key/value row stride
  if (block.type == KVType::F16) {  // rows layout (see Block)
    return ScoresRows(static_cast<const hwy::float16_t*>(block.rows) + t.g * hd, ks, st, hd, j0,
                      j1);
  }
  const float* kb = static_cast<const float*>(block.rows) + t.g * hd;
  switch (st.layout) {
    case Layout::kLanes1:
      return ScoresLanes<1>(kb, ks, st, hd, j0, j1);
    case Layout::kLanes2:
      return ScoresLanes<2>(kb, ks, st, hd, j0, j1);
    case Layout::kRows:
      return ScoresRows(kb, ks, st, hd, j0, j1);
  }
}

// O += Σ_j P[j] v_j over the block's keys [j0, j1).
void TilePv(const AttentionShape& s, const Tile& t, State& st, Block block, int64_t j0,
            int64_t j1) {
  const int64_t hd = s.head_dim;
  const int64_t ks = s.n_kv_heads * hd;
  if (block.type == KVType::F16) {
    return PvRowsAll(static_cast<const hwy::float16_t*>(block.rows) + t.g * hd, ks, st, hd, j0,
                     j1);
  }
  const float* vb = static_cast<const float*>(block.rows) + t.g * hd;
  switch (st.layout) {
    case Layout::kLanes1:
      return PvLanesAll<1>(vb + j0 * ks, ks, st, hd, j0, j1);
    case Layout::kLanes2:
      return PvLanesAll<2>(vb + j0 * ks, ks, st, hd, j0, j1);
    case Layout::kRows:
      return PvRowsAll(vb, ks, st, hd, j0, j1);
  }
}

// Scale, soft-cap and mask the block's nk scores; update the running maximum and sum, rescale
// O; turn the scores into probabilities (relative to the running maximum).
template <int kQV>
void SoftmaxV(const AttentionShape& s, State& st, int64_t jb, int64_t nk) {
  const DF df;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  const int64_t L = kQV * N;
  const int64_t hd = s.head_dim;
  float* sb = st.s;
  const VF neg_inf = hn::Set(df, -std::numeric_limits<float>::infinity());
  const bool full =
      static_cast<float>(jb) >= st.max_lo && static_cast<float>(jb + nk - 1) <= st.min_pos;
  const VF scale = hn::Set(df, s.scale);
  const bool softcap = s.softcap > 0;
  const VF cap = hn::Set(df, s.softcap);
  const VF inv_cap = hn::Set(df, 1.0f / s.softcap);
  VF lo_v[kQV], pos_v[kQV], m_blk[kQV];
  for (int v = 0; v < kQV; ++v) {
    lo_v[v] = hn::LoadU(df, st.lo + v * N);
    pos_v[v] = hn::LoadU(df, st.pos + v * N);
    m_blk[v] = neg_inf;
  }
  for (int64_t j = 0; j < nk; ++j) {
    const VF jv = hn::Set(df, static_cast<float>(jb + j));
    for (int v = 0; v < kQV; ++v) {
      VF x = hn::Mul(hn::LoadU(df, sb + j * L + v * N), scale);
      if (softcap) x = hn::Mul(cap, hn::Tanh(df, hn::Mul(x, inv_cap)));
      if (!full) {
        x = hn::IfThenElse(hn::And(hn::Le(lo_v[v], jv), hn::Le(jv, pos_v[v])), x, neg_inf);
      }
      hn::StoreU(x, df, sb + j * L + v * N);
      m_blk[v] = hn::Max(m_blk[v], x);
    }
  }

  // A lane with no visible key yet keeps m = -inf; its exponents use 0 instead (all give 0).
  bool rescale = false;
  VF m_safe[kQV], alpha[kQV], l_run[kQV];
  for (int v = 0; v < kQV; ++v) {
    const VF m_run = hn::LoadU(df, st.m + v * N);
    const VF m_new = hn::Max(m_run, m_blk[v]);
    m_safe[v] = hn::IfThenElse(hn::Eq(m_new, neg_inf), hn::Zero(df), m_new);
    alpha[v] = ExpNonPositive(df, hn::Sub(m_run, m_safe[v]));
    rescale |= !hn::AllTrue(df, hn::Eq(m_new, m_run));
    hn::StoreU(m_new, df, st.m + v * N);
    l_run[v] = hn::Mul(hn::LoadU(df, st.l + v * N), alpha[v]);
  }
  if (rescale && !st.empty) {
    for (int64_t d = 0; d < hd; ++d)
      for (int v = 0; v < kQV; ++v) {
        float* o = st.o + d * L + v * N;
        hn::StoreU(hn::Mul(hn::LoadU(df, o), alpha[v]), df, o);
      }
  }
  st.empty = false;
  for (int64_t j = 0; j < nk; ++j)
    for (int v = 0; v < kQV; ++v) {
      const VF p = ExpNonPositive(df, hn::Sub(hn::LoadU(df, sb + j * L + v * N), m_safe[v]));
      hn::StoreU(p, df, sb + j * L + v * N);
      l_run[v] = hn::Add(l_run[v], p);
    }
  for (int v = 0; v < kQV; ++v) hn::StoreU(l_run[v], df, st.l + v * N);
}

// The rows layout's softmax: scores S[m][j] (keys along the lanes, query by query), so the
// vectors hold only real scores — the lanes layout's softmax would work on N lanes per key for
// the tile's few queries (two of 16 for Qwen3's heads). Lanes past the block's nk keys are
// masked to -inf (the score rows have kKeyBlock slots).
void SoftmaxRows(const AttentionShape& s, State& st, int64_t jb, int64_t nk) {
  const DF df;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  const int64_t hd = s.head_dim;
  const float inf = std::numeric_limits<float>::infinity();
  const VF neg_inf = hn::Set(df, -inf);
  const VF scale = hn::Set(df, s.scale);
  const bool softcap = s.softcap > 0;
  const VF cap = hn::Set(df, s.softcap);
  const VF inv_cap = hn::Set(df, 1.0f / s.softcap);
  const VF iota = hn::Iota(df, 0.0f);
  const VF end = hn::Set(df, static_cast<float>(jb + nk));
  for (int64_t m = 0; m < st.M; ++m) {
    float* sm = st.s + m * kKeyBlock;
    const VF lo = hn::Set(df, st.lo[m]), pos = hn::Set(df, st.pos[m]);
    VF vmax = neg_inf;
    for (int64_t j = 0; j < nk; j += N) {
      VF x = hn::Mul(hn::LoadU(df, sm + j), scale);
      if (softcap) x = hn::Mul(cap, hn::Tanh(df, hn::Mul(x, inv_cap)));
      const VF jv = hn::Add(hn::Set(df, static_cast<float>(jb + j)), iota);
      x = hn::IfThenElse(hn::And(hn::And(hn::Le(lo, jv), hn::Le(jv, pos)), hn::Lt(jv, end)), x,
                         neg_inf);
      hn::StoreU(x, df, sm + j);
      vmax = hn::Max(vmax, x);
    }
    const float m_run = st.m[m];
    const float m_new = std::max(m_run, hn::GetLane(hn::MaxOfLanes(df, vmax)));
    // No visible key yet: m stays -inf and the exponents use 0 instead (all give 0).
    const float m_safe = m_new == -inf ? 0.0f : m_new;
    const float alpha = m_run == -inf ? 0.0f : std::exp(m_run - m_safe);
    if (m_new != m_run && !st.empty) {
      const VF a = hn::Set(df, alpha);
      for (int64_t d = 0; d < hd; d += N) {
        hn::StoreU(hn::Mul(hn::LoadU(df, st.o + m * hd + d), a), df, st.o + m * hd + d);
      }
    }
    st.m[m] = m_new;
    const VF ms = hn::Set(df, m_safe);
    VF sum = hn::Zero(df);
    for (int64_t j = 0; j < nk; j += N) {
      const VF p = ExpNonPositive(df, hn::Sub(hn::LoadU(df, sm + j), ms));
      hn::StoreU(p, df, sm + j);
      sum = hn::Add(sum, p);
    }
    st.l[m] = st.l[m] * alpha + hn::GetLane(hn::SumOfLanes(df, sum));
  }
  st.empty = false;
}

void TileSoftmax(const AttentionShape& s, State& st, int64_t jb, int64_t nk) {
  if (st.layout == Layout::kRows) return SoftmaxRows(s, st, jb, nk);
  if (st.layout == Layout::kLanes2) return SoftmaxV<2>(s, st, jb, nk);
  SoftmaxV<1>(s, st, jb, nk);
}

// Writes the tile's normalised output.
void TileFinish(const AttentionShape& s, const Tile& t, const State& st, float* out) {
  const int64_t hd = s.head_dim;
  const int64_t group = s.n_heads / s.n_kv_heads;
  const int64_t width = s.n_heads * hd;
  for (int64_t m = 0; m < st.M; ++m) {
    const float inv = 1.0f / st.l[m];
    float* o = out + (t.r0 + m / t.nh) * width + (t.g * group + t.h0 + m % t.nh) * hd;
    for (int64_t d = 0; d < hd; ++d) o[d] = OutAt(st.layout, st.o, m, d, hd) * inv;
  }
}

// ---------------------------------------------------------------- half-precision caches

// Widens rows [j0, j1) × columns [c0, c1) of a half-precision block (row stride ks, in elements)
// into the same places of `out` (float, same stride).
void WidenBlockRows(const hwy::float16_t* block, int64_t ks, int64_t j0, int64_t j1, int64_t c0,
                    int64_t c1, float* out) {
  for (int64_t j = j0; j < j1; ++j) WidenHalf(block + j * ks + c0, c1 - c0, out + j * ks + c0);
}

// Half-precision caches that lanes-layout tiles (prefill) read are widened here once per call,
// in parallel, instead of a step of rows at a time in every tile — each key block was widened
// once per row block: a 512-token prefill after 2048 cached tokens ran 11 % slower over a half
// cache than over a float one. Returns the rows to use (rows itself when there is nothing to
// widen, or more than kMaxWidenedBytes: then the tiles widen their own steps). The floats go
// to `storage`, the calling thread's buffer kept across calls (fresh memory for every layer's
// call cost its page faults: most of the gain).
constexpr int64_t kMaxWidenedBytes = int64_t{64} << 20;

const AttentionRow* WidenHalfCaches(const AttentionRow* rows, int64_t n_rows,
                                    const std::vector<Tile>& tiles, int64_t hd, int64_t ks,
                                    ThreadPool& pool, std::vector<AttentionRow>& widened_rows,
                                    std::vector<float>& storage) {
  bool half = false, lanes = false;
  for (int64_t r = 0; r < n_rows && !half; ++r) half |= rows[r].type == KVType::F16;
  if (!half) return rows;  // float caches: nothing to look at (every decode step comes here)
  for (const Tile& t : tiles) lanes |= LayoutOf(t, hd) != Layout::kRows;
  if (!lanes) return rows;
  struct Cache {
    const void* keys;
    const void* values;
    int64_t len;  // positions read: up to the largest pos of its rows
    const float* k = nullptr;
    const float* v = nullptr;
  };
  std::vector<Cache> caches;
  int64_t bytes = 0;
  for (int64_t r = 0; r < n_rows; ++r) {
    if (rows[r].type != KVType::F16) continue;
    auto it = std::find_if(caches.begin(), caches.end(),
                           [&](const Cache& c) { return c.keys == rows[r].keys; });
    if (it == caches.end()) it = caches.insert(caches.end(), {rows[r].keys, rows[r].values, 0});
    it->len = std::max(it->len, rows[r].pos + 1);
  }
  for (const Cache& c : caches) bytes += 2 * c.len * ks * static_cast<int64_t>(sizeof(float));
  if (bytes > kMaxWidenedBytes) return rows;
  if (storage.size() < static_cast<size_t>(bytes) / sizeof(float)) {
    storage.resize(static_cast<size_t>(bytes) / sizeof(float));
  }
  float* next = storage.data();
  for (Cache& c : caches) {
    float* k = next;
    float* v = k + c.len * ks;
    next = v + c.len * ks;
    const auto* k16 = static_cast<const hwy::float16_t*>(c.keys);
    const auto* v16 = static_cast<const hwy::float16_t*>(c.values);
    pool.parallel_for(c.len, [&](int64_t a, int64_t b) {
      WidenHalf(k16 + a * ks, (b - a) * ks, k + a * ks);
      WidenHalf(v16 + a * ks, (b - a) * ks, v + a * ks);
    });
    c.k = k;
    c.v = v;
  }
  widened_rows.assign(rows, rows + n_rows);
  for (AttentionRow& row : widened_rows) {
    if (row.type != KVType::F16) continue;
    const auto it = std::find_if(caches.begin(), caches.end(),
                                 [&](const Cache& c) { return c.keys == row.keys; });
    row = {it->k, it->v, row.pos, KVType::F32};
  }
  return widened_rows.data();
}

// ---------------------------------------------------------------- planning and threads

// A unit of parallel work: tiles [tile0, tile1) (one row block, so one cache and key range),
// keys [j0, j1). chunk >= 0: one of several key chunks, written to partial slots.
struct Task {
  int64_t tile0 = 0, tile1 = 0;
  int64_t j0 = 0, j1 = 0;
  int64_t chunk = -1;
};

void AttentionImpl(const float* q, const AttentionRow* rows_in, int64_t n_rows,
                   const AttentionShape& s, float* out, ThreadPool& pool) {
  const AttentionRow* rows = rows_in;
  if (n_rows <= 0) return;
  const int64_t N = static_cast<int64_t>(hn::Lanes(DF()));
  const int64_t max_lanes = 2 * N;
  const int64_t hd = s.head_dim;
  const int64_t group = s.n_heads / s.n_kv_heads;
  const int64_t width = s.n_heads * hd;
  // Heads per tile and rows per tile.
  const int64_t nh = std::min(group, max_lanes);
  const int64_t rows_per_tile = std::max<int64_t>(1, max_lanes / nh);
  const int64_t head_chunks = (group + nh - 1) / nh;
  const auto lo_of = [&](int64_t pos) {
    return s.window > 0 ? std::max<int64_t>(0, pos - s.window + 1) : 0;
  };

  // Row blocks (consecutive rows of one cache) and their tiles, KV head by KV head.
  std::vector<Tile> tiles;
  std::vector<Task> blocks;
  for (int64_t r0 = 0; r0 < n_rows;) {
    int64_t r1 = r0 + 1;
    while (r1 < n_rows && r1 - r0 < rows_per_tile && rows[r1].keys == rows[r0].keys &&
           rows[r1].values == rows[r0].values)
      ++r1;
    Task b;
    b.tile0 = static_cast<int64_t>(tiles.size());
    b.j0 = std::numeric_limits<int64_t>::max();
    for (int64_t r = r0; r < r1; ++r) {
      b.j0 = std::min(b.j0, lo_of(rows[r].pos));
      b.j1 = std::max(b.j1, rows[r].pos + 1);
    }
    for (int64_t g = 0; g < s.n_kv_heads; ++g)
      for (int64_t h0 = 0; h0 < group; h0 += nh)
        tiles.push_back({r0, r1 - r0, g, h0, std::min(nh, group - h0)});
    b.tile1 = static_cast<int64_t>(tiles.size());
    blocks.push_back(b);
    r0 = r1;
  }
  const int64_t n_tiles = static_cast<int64_t>(tiles.size());
  std::vector<AttentionRow> widened_rows;
  thread_local std::vector<float> widened;
  rows = WidenHalfCaches(rows, n_rows, tiles, hd, s.n_kv_heads * hd, pool, widened_rows, widened);

  // Tasks. Few row blocks (decode): all KV heads of a block in one task, reading whole cache
  // rows, when the keys are many enough to be split into chunks across the threads (below).
  // Many row blocks (prefill), or keys too few to split: one KV head per task, for load balance
  // and a small working set — else a decode step over a short context ran its attention on one
  // thread while the others waited (~2 % of a two-thread Llama-1B step at 256 keys).
  constexpr int64_t kMinChunk = 256;
  const int64_t threads = pool.size();
  int64_t longest = 0;
  for (const Task& b : blocks) longest = std::max(longest, b.j1 - b.j0);
  const bool all_heads = static_cast<int64_t>(blocks.size()) < 4 * threads &&
                         (threads == 1 || longest >= 2 * kMinChunk);
  const int64_t tiles_per_task = all_heads ? s.n_kv_heads * head_chunks : head_chunks;
  std::vector<Task> tasks;
  for (const Task& b : blocks)
    for (int64_t t0 = b.tile0; t0 < b.tile1; t0 += tiles_per_task)
      tasks.push_back({t0, std::min(b.tile1, t0 + tiles_per_task), b.j0, b.j1, -1});
  // Too few tasks for the threads: split long key ranges into chunks of whole key blocks.
  int64_t max_chunks = 1;
  if (threads > 1 && static_cast<int64_t>(tasks.size()) < 2 * threads) {
    const int64_t n = static_cast<int64_t>(tasks.size());
    const int64_t want = (2 * threads + n - 1) / n;
    std::vector<Task> split;
    for (const Task& t : tasks) {
      const int64_t len = t.j1 - t.j0;
      const int64_t chunks = std::clamp<int64_t>(len / kMinChunk, 1, want);
      if (chunks == 1) {
        split.push_back(t);
        continue;
      }
      max_chunks = std::max(max_chunks, chunks);
      const int64_t nblocks = (len + kKeyBlock - 1) / kKeyBlock;
      for (int64_t c = 0; c < chunks; ++c) {
        Task ct = t;
        ct.j0 = t.j0 + nblocks * c / chunks * kKeyBlock;
        ct.j1 = std::min(t.j1, t.j0 + nblocks * (c + 1) / chunks * kKeyBlock);
        ct.chunk = c;
        split.push_back(ct);
      }
    }
    tasks = std::move(split);
  }
  // Partial results: slot c · n_tiles + tile holds chunk c's O, m and l of the tile.
  const int64_t slot_floats = hd * max_lanes + 2 * max_lanes;
  std::vector<float> parts;
  if (max_chunks > 1) parts.resize(static_cast<size_t>(max_chunks * n_tiles * slot_floats));

  // Prefetches (into L2) bytes [b0, b1) of cache rows [j, j + kRowGroup), below `end`. A
  // decode step at depth streams the whole cache from memory; before each tile's scores or
  // P·V the task asks for that tile's share of the rows kPrefetchRows ahead, so that the
  // requests are spread between the arithmetic. Asking for a whole step of rows at once (16 KiB
  // for Qwen3-0.6B's half cache, prefetcht0, as before) stalled on the prefetch instructions:
  // BM_AttentionDecodeLayers (2048 tokens, every layer's cache from memory), three interleaved
  // rounds, median KV GB/s, one thread: Llama-1B float 8.9 -> 15.2, half 6.1 -> 11.4, Qwen3
  // float 12.8 -> 17.9, half 9.5 -> 17.1; two threads 16.0 -> 25.3, 10.9 -> 20.5, 23.0 ->
  // 27.2, 17.1 -> 27.4. (prefetcht1 on whole steps measured ~10.5 on one thread; distances of
  // 8 to 128 rows within noise.)
  constexpr int64_t kPrefetchRows = 2 * kRowGroup;
  const int64_t ks = s.n_kv_heads * hd;  // elements per cache row
  const auto prefetch = [&](const void* base, int64_t row_bytes, int64_t j, int64_t end,
                            int64_t b0, int64_t b1) {
    const int64_t j1 = std::min(end, j + kRowGroup);
    for (; j < j1; ++j) {
      const char* r = static_cast<const char*>(base) + j * row_bytes;
      for (int64_t b = b0; b < b1; b += 64) detail::prefetch(r + b);
    }
  };

  const auto run = [&](int64_t begin, int64_t end) {
    thread_local Scratch sc;
    for (int64_t i = begin; i < end; ++i) {
      const Task& task = tasks[static_cast<size_t>(i)];
      const int64_t nt = task.tile1 - task.tile0;
      const Tile* tt = tiles.data() + task.tile0;
      const AttentionRow& row = rows[tt[0].r0];
      const int64_t row_bytes = ks * kv_element_bytes(row.type);
      // A half-precision cache: the rows kernels read it directly; for the lanes layouts it is
      // widened into sc.kv a step of rows at a time, only the columns of this task's KV heads,
      // at the same places.
      bool widen = false;
      if (row.type == KVType::F16) {
        for (int64_t k = 0; k < nt; ++k) widen |= LayoutOf(tt[k], hd) != Layout::kRows;
      }
      const int64_t c0 = tt[0].g * hd, c1 = (tt[nt - 1].g + 1) * hd;
      // Tile k's share of the prefetches: bytes [pf(k), pf(k + 1)) of the task's columns.
      const int64_t eb = kv_element_bytes(row.type);
      const auto pf = [&](int64_t k) { return (c0 + (c1 - c0) * k / nt) * eb; };
      if (widen && sc.kv.size() < static_cast<size_t>(kKeyBlock * ks)) {
        sc.kv.resize(static_cast<size_t>(kKeyBlock * ks));
      }
      const auto block_of = [&](const void* base, int64_t jb, int64_t j0, int64_t j1) -> Block {
        if (!widen) return {static_cast<const char*>(base) + jb * row_bytes, row.type};
        WidenBlockRows(static_cast<const hwy::float16_t*>(base) + jb * ks, ks, j0, j1, c0, c1,
                       sc.kv.data());
        return {sc.kv.data(), KVType::F32};
      };
      sc.reserve(nt, hd, max_lanes);
      State* st = sc.states.data();
      for (int64_t k = 0; k < nt; ++k) TileInit(q, rows, s, tt[k], st[k]);
      // Per key block: scores of all tiles, softmax, P·V. With several tiles (KV heads) the
      // keys go in groups of kRowGroup rows, read whole, head after head.
      const int64_t step = nt > 1 ? kRowGroup : kKeyBlock;
      // One pass over the key block's rows of `base` (the keys, then the values), a step of
      // rows at a time: each tile asks for its share of the rows ahead, then runs tile_fn.
      const auto pass = [&](const void* base, int64_t jb, int64_t nk, auto&& tile_fn) {
        for (int64_t j0 = 0; j0 < nk; j0 += step) {
          const int64_t j1 = std::min(nk, j0 + step);
          const Block block = block_of(base, jb, j0, j1);
          for (int64_t k = 0; k < nt; ++k) {
            if (nt > 1)
              prefetch(base, row_bytes, jb + j0 + kPrefetchRows, task.j1, pf(k), pf(k + 1));
            tile_fn(k, block, j0, j1);
          }
        }
      };
      for (int64_t jb = task.j0; jb < task.j1; jb += kKeyBlock) {
        const int64_t nk = std::min(kKeyBlock, task.j1 - jb);
        pass(row.keys, jb, nk, [&](int64_t k, const Block& keys, int64_t j0, int64_t j1) {
          TileScores(s, tt[k], st[k], keys, j0, j1);
        });
        for (int64_t k = 0; k < nt; ++k) TileSoftmax(s, st[k], jb, nk);
        pass(row.values, jb, nk, [&](int64_t k, const Block& values, int64_t j0, int64_t j1) {
          TilePv(s, tt[k], st[k], values, j0, j1);
        });
      }
      for (int64_t k = 0; k < nt; ++k) {
        if (task.chunk < 0) {
          TileFinish(s, tt[k], st[k], out);
          continue;
        }
        const int64_t L = LanesOf(st[k].layout);
        float* slot = parts.data() + (task.chunk * n_tiles + task.tile0 + k) * slot_floats;
        std::copy(st[k].o, st[k].o + hd * L, slot);
        std::copy(st[k].m, st[k].m + L, slot + hd * max_lanes);
        std::copy(st[k].l, st[k].l + L, slot + hd * max_lanes + max_lanes);
      }
    }
  };
  const int64_t n_tasks = static_cast<int64_t>(tasks.size());
  if (threads > 1 && n_tasks > 1) {
    pool.parallel_for_grain(n_tasks, std::max<int64_t>(1, n_tasks / (threads * 16)), run);
  } else {
    run(0, n_tasks);
  }
  if (max_chunks == 1) return;

  // Merge the chunks of split tiles: out = Σ_c e^(m_c - m) O_c / Σ_c e^(m_c - m) l_c.
  std::vector<int64_t> tile_chunks(static_cast<size_t>(n_tiles), 0);
  for (const Task& task : tasks)
    if (task.chunk >= 0)
      for (int64_t i = task.tile0; i < task.tile1; ++i)
        tile_chunks[static_cast<size_t>(i)] =
            std::max(tile_chunks[static_cast<size_t>(i)], task.chunk + 1);
  for (int64_t i = 0; i < n_tiles; ++i) {
    const int64_t chunks = tile_chunks[static_cast<size_t>(i)];
    if (chunks == 0) continue;  // written directly
    const Tile& t = tiles[static_cast<size_t>(i)];
    const Layout layout = LayoutOf(t, hd);
    const auto slot = [&](int64_t c) { return parts.data() + (c * n_tiles + i) * slot_floats; };
    for (int64_t m = 0; m < t.nr * t.nh; ++m) {
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t c = 0; c < chunks; ++c) mx = std::max(mx, slot(c)[hd * max_lanes + m]);
      double z = 0;
      float* o = out + (t.r0 + m / t.nh) * width + (t.g * group + t.h0 + m % t.nh) * hd;
      std::fill(o, o + hd, 0.0f);
      for (int64_t c = 0; c < chunks; ++c) {
        const float* sl = slot(c);
        const float mc = sl[hd * max_lanes + m];
        if (mc == -std::numeric_limits<float>::infinity()) continue;  // nothing visible
        const float w = std::exp(mc - mx);
        z += static_cast<double>(w) * sl[hd * max_lanes + max_lanes + m];
        for (int64_t d = 0; d < hd; ++d) o[d] += w * OutAt(layout, sl, m, d, hd);
      }
      const float inv = static_cast<float>(1.0 / z);
      for (int64_t d = 0; d < hd; ++d) o[d] *= inv;
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace abstractllm::engine::ops::kernels {

HWY_EXPORT(AttentionImpl);

void attention(const float* q, const AttentionRow* rows, int64_t n_rows, const AttentionShape& s,
               float* out, ThreadPool& pool) {
  HWY_DYNAMIC_DISPATCH(AttentionImpl)(q, rows, n_rows, s, out, pool);
}

}  // namespace abstractllm::engine::ops::kernels
#endif  // HWY_ONCE
