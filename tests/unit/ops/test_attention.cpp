#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "engine/ops/attention.hpp"

namespace ops = abstractllm::engine::ops;

namespace {

// Straightforward reference: double precision, explicit masks.
std::vector<float> naive(const std::vector<float>& q, const std::vector<float>& k,
                         const std::vector<float>& v, const std::vector<int64_t>& pos,
                         const ops::AttentionShape& s) {
  const int64_t hd = s.head_dim, kvs = s.n_kv_heads * hd;
  std::vector<float> out(q.size());
  for (size_t r = 0; r < pos.size(); ++r) {
    for (int64_t h = 0; h < s.n_heads; ++h) {
      const int64_t g = h / (s.n_heads / s.n_kv_heads);
      std::vector<double> sc;
      std::vector<int64_t> js;
      for (int64_t j = 0; j <= pos[r]; ++j) {
        if (s.window > 0 && pos[r] - j >= s.window) continue;
        double d = 0;
        for (int64_t i = 0; i < hd; ++i)
          d += q[r * s.n_heads * hd + h * hd + i] * k[j * kvs + g * hd + i];
        d *= s.scale;
        if (s.softcap > 0) d = s.softcap * std::tanh(d / s.softcap);
        sc.push_back(d);
        js.push_back(j);
      }
      const double mx = *std::max_element(sc.begin(), sc.end());
      double z = 0;
      for (double& x : sc) z += (x = std::exp(x - mx));
      for (int64_t i = 0; i < hd; ++i) {
        double acc = 0;
        for (size_t t = 0; t < js.size(); ++t) acc += sc[t] / z * v[js[t] * kvs + g * hd + i];
        out[r * s.n_heads * hd + h * hd + i] = static_cast<float>(acc);
      }
    }
  }
  return out;
}

}  // namespace

class AttentionVsNaive : public ::testing::TestWithParam<std::tuple<int64_t, float>> {};

TEST_P(AttentionVsNaive, GqaCausalWindowSoftcap) {
  const auto [window, softcap] = GetParam();
  ops::AttentionShape s{8, 2, 16, 0.25f, softcap, window};
  const int64_t len = 40, rows = 5;
  std::mt19937 rng(3);
  std::normal_distribution<float> nd;
  std::vector<float> k(len * 2 * 16), v(k.size()), q(rows * 8 * 16);
  for (auto* vec : {&k, &v, &q})
    for (float& x : *vec) x = nd(rng);
  std::vector<int64_t> pos = {0, 1, 17, 38, 39};
  std::vector<ops::AttentionRow> ar;
  for (int64_t p : pos) ar.push_back({k.data(), v.data(), p});
  std::vector<float> out(q.size());
  ops::ThreadPool pool(2);
  ops::attention(q.data(), ar.data(), rows, s, out.data(), pool);
  const auto expect = naive(q, k, v, pos, s);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], expect[i], 1e-5) << i;
}

INSTANTIATE_TEST_SUITE_P(Masks, AttentionVsNaive,
                         ::testing::Values(std::make_tuple(int64_t{0}, 0.0f),
                                           std::make_tuple(int64_t{16}, 0.0f),
                                           std::make_tuple(int64_t{1}, 0.0f),
                                           std::make_tuple(int64_t{0}, 2.0f)));

TEST(Attention, FirstPositionReturnsItsOwnValue) {
  ops::AttentionShape s{2, 1, 4, 1.0f, 0, 0};
  std::vector<float> k = {1, 2, 3, 4}, v = {5, 6, 7, 8}, q = {1, 1, 1, 1, -1, 0, 2, 9};
  ops::AttentionRow row{k.data(), v.data(), 0};
  std::vector<float> out(8);
  ops::ThreadPool pool(1);
  ops::attention(q.data(), &row, 1, s, out.data(), pool);
  EXPECT_EQ(out, (std::vector<float>{5, 6, 7, 8, 5, 6, 7, 8}));
}

// ---- The SIMD kernel against a double-precision reference over many shapes and row layouts.

namespace {

struct Seq {
  std::vector<float> k, v;
};

// Reference for rows with their own caches (keys/values pointers and positions; float caches).
std::vector<float> reference(const std::vector<float>& q,
                             const std::vector<ops::AttentionRow>& rows,
                             const ops::AttentionShape& s) {
  const int64_t hd = s.head_dim, kvs = s.n_kv_heads * hd, width = s.n_heads * hd;
  std::vector<float> out(q.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const ops::AttentionRow& row = rows[r];
    const auto* keys = static_cast<const float*>(row.keys);
    const auto* values = static_cast<const float*>(row.values);
    for (int64_t h = 0; h < s.n_heads; ++h) {
      const int64_t g = h / (s.n_heads / s.n_kv_heads);
      const int64_t lo = s.window > 0 ? std::max<int64_t>(0, row.pos - s.window + 1) : 0;
      std::vector<double> sc;
      for (int64_t j = lo; j <= row.pos; ++j) {
        double d = 0;
        for (int64_t i = 0; i < hd; ++i)
          d += static_cast<double>(q[r * width + h * hd + i]) * keys[j * kvs + g * hd + i];
        d *= s.scale;
        if (s.softcap > 0) d = s.softcap * std::tanh(d / s.softcap);
        sc.push_back(d);
      }
      const double mx = *std::max_element(sc.begin(), sc.end());
      double z = 0;
      for (double& x : sc) z += (x = std::exp(x - mx));
      for (int64_t i = 0; i < hd; ++i) {
        double acc = 0;
        for (int64_t j = lo; j <= row.pos; ++j)
          acc += sc[static_cast<size_t>(j - lo)] / z * values[j * kvs + g * hd + i];
        out[r * width + h * hd + i] = static_cast<float>(acc);
      }
    }
  }
  return out;
}

Seq make_seq(int64_t len, const ops::AttentionShape& s, std::mt19937& rng, float kscale = 1) {
  std::normal_distribution<float> nd;
  Seq seq;
  seq.k.resize(static_cast<size_t>(len * s.n_kv_heads * s.head_dim));
  seq.v.resize(seq.k.size());
  for (float& x : seq.k) x = kscale * nd(rng);
  for (float& x : seq.v) x = nd(rng);
  return seq;
}

// Runs ops::attention with `threads` threads and compares it with the reference, which reads
// ref_rows (float caches holding the same values) when given.
void check(const ops::AttentionShape& s, const std::vector<ops::AttentionRow>& rows,
           std::mt19937& rng, int threads, float tol = 2e-5f,
           const std::vector<ops::AttentionRow>* ref_rows = nullptr) {
  std::normal_distribution<float> nd;
  std::vector<float> q(rows.size() * static_cast<size_t>(s.n_heads * s.head_dim));
  for (float& x : q) x = nd(rng);
  std::vector<float> out(q.size(), NAN);
  ops::ThreadPool pool(threads);
  ops::attention(q.data(), rows.data(), static_cast<int64_t>(rows.size()), s, out.data(), pool);
  const auto expect = reference(q, ref_rows != nullptr ? *ref_rows : rows, s);
  int bad = 0;
  for (size_t i = 0; i < out.size() && bad < 10; ++i) {
    const float t = tol * std::max(1.0f, std::abs(expect[i]));
    if (!(std::abs(out[i] - expect[i]) <= t)) {
      ++bad;
      ADD_FAILURE() << "element " << i << " (row "
                    << i / static_cast<size_t>(s.n_heads * s.head_dim) << "): " << out[i] << " vs "
                    << expect[i];
    }
  }
}

// Rows of one float cache at the given positions.
std::vector<ops::AttentionRow> float_rows(const Seq& seq, const std::vector<int64_t>& pos) {
  std::vector<ops::AttentionRow> rows;
  for (int64_t p : pos) rows.push_back({seq.k.data(), seq.v.data(), p});
  return rows;
}

// Prefill of n rows of one sequence at positions start .. start + n - 1.
std::vector<ops::AttentionRow> prefill_rows(const Seq& seq, int64_t start, int64_t n) {
  std::vector<int64_t> pos;
  for (int64_t p = start; p < start + n; ++p) pos.push_back(p);
  return float_rows(seq, pos);
}

// A sequence's cache in half precision: k16/v16 as stored by store_kv, and k/v (float) holding
// the same values widened, for the reference.
struct HalfSeq {
  std::vector<uint16_t> k16, v16;
  Seq widened;
};

HalfSeq to_half(const Seq& seq) {
  HalfSeq h;
  const int64_t n = static_cast<int64_t>(seq.k.size());
  h.k16.resize(seq.k.size());
  h.v16.resize(seq.v.size());
  ops::store_kv(seq.k.data(), n, ops::KVType::F16, h.k16.data());
  ops::store_kv(seq.v.data(), n, ops::KVType::F16, h.v16.data());
  h.widened.k.resize(seq.k.size());
  h.widened.v.resize(seq.v.size());
  ops::load_kv(h.k16.data(), n, ops::KVType::F16, h.widened.k.data());
  ops::load_kv(h.v16.data(), n, ops::KVType::F16, h.widened.v.data());
  return h;
}

// The same rows (positions) read from the half-precision cache.
std::vector<ops::AttentionRow> half_rows(const HalfSeq& h, const std::vector<int64_t>& pos) {
  std::vector<ops::AttentionRow> rows;
  for (int64_t p : pos) rows.push_back({h.k16.data(), h.v16.data(), p, ops::KVType::F16});
  return rows;
}

// Attention over a half-precision cache against the reference over its widened values: a
// prefill after a prefix, and decode rows at long and short contexts.
void check_half(const ops::AttentionShape& s, const Seq& seq, std::mt19937& rng, int threads) {
  const HalfSeq h = to_half(seq);
  const int64_t len = static_cast<int64_t>(seq.k.size() / static_cast<size_t>(s.n_kv_heads * s.head_dim));
  std::vector<int64_t> prefill;
  for (int64_t p = len / 3; p < len; ++p) prefill.push_back(p);
  for (const std::vector<int64_t>& pos :
       {prefill, std::vector<int64_t>{len - 1}, std::vector<int64_t>{0}, std::vector<int64_t>{70}}) {
    const auto ref = float_rows(h.widened, pos);
    check(s, half_rows(h, pos), rng, threads, 2e-5f, &ref);
  }
}

}  // namespace

struct KernelCase {
  int64_t n_heads, n_kv_heads, head_dim;
  int64_t window;
  float softcap;
};

class AttentionKernel : public ::testing::TestWithParam<std::tuple<KernelCase, int>> {};

// The case's shape with the usual 1/sqrt(head_dim) scale.
ops::AttentionShape scaled_shape(const KernelCase& c) {
  return {c.n_heads, c.n_kv_heads, c.head_dim, 1.0f / std::sqrt(static_cast<float>(c.head_dim)),
          c.softcap, c.window};
}

// A prompt longer than one key block (64), starting after a cached prefix.
TEST_P(AttentionKernel, PrefillAfterPrefix) {
  const auto [c, threads] = GetParam();
  const ops::AttentionShape s = scaled_shape(c);
  std::mt19937 rng(11);
  const Seq seq = make_seq(150, s, rng);
  check(s, prefill_rows(seq, 0, 150), rng, threads);
  check(s, prefill_rows(seq, 61, 89), rng, threads);
}

// Rows of several sequences in one call: prompts, decode rows, interleaved caches.
TEST_P(AttentionKernel, RowsOfSeveralSequences) {
  const auto [c, threads] = GetParam();
  const ops::AttentionShape s{c.n_heads, c.n_kv_heads, c.head_dim, 0.3f, c.softcap, c.window};
  std::mt19937 rng(12);
  const Seq a = make_seq(90, s, rng), b = make_seq(301, s, rng), d = make_seq(5, s, rng);
  std::vector<ops::AttentionRow> rows = prefill_rows(a, 70, 20);  // a: prompt tail
  rows.push_back({b.k.data(), b.v.data(), 300});                  // b: decode
  for (const auto& r : prefill_rows(d, 0, 5)) rows.push_back(r);  // d: whole prompt
  rows.push_back({a.k.data(), a.v.data(), 3});                    // a again, early position
  rows.push_back({b.k.data(), b.v.data(), 0});                    // b, first position
  rows.push_back({b.k.data(), b.v.data(), 129});
  check(s, rows, rng, threads);
}

// One row against a long cache (the key range is split across threads when there are few
// tiles), with large scores so that the running maximum changes between key blocks.
TEST_P(AttentionKernel, DecodeLongContext) {
  const auto [c, threads] = GetParam();
  const ops::AttentionShape s{c.n_heads, c.n_kv_heads, c.head_dim, 0.5f, c.softcap, c.window};
  std::mt19937 rng(13);
  const Seq seq = make_seq(2000, s, rng, 2.0f);
  for (int64_t pos : {1999, 1000, 257, 63, 64}) {
    check(s, {{seq.k.data(), seq.v.data(), pos}}, rng, threads);
  }
  // Two sequences decoding together.
  const Seq other = make_seq(700, s, rng);
  check(s, {{seq.k.data(), seq.v.data(), 1700}, {other.k.data(), other.v.data(), 699}}, rng,
        threads);
}

// A half-precision cache (KVType::F16): the kernels read the stored halves as floats, so the
// result matches the float reference over the same (rounded) values.
TEST_P(AttentionKernel, HalfPrecisionCache) {
  const auto [c, threads] = GetParam();
  const ops::AttentionShape s = scaled_shape(c);
  std::mt19937 rng(15);
  check_half(s, make_seq(700, s, rng, 2.0f), rng, threads);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, AttentionKernel,
    ::testing::Combine(
        ::testing::Values(KernelCase{32, 8, 64, 0, 0},    // llama 3.2 1B
                          KernelCase{8, 2, 80, 0, 0},     // odd head dims
                          KernelCase{8, 2, 96, 100, 0},   // + sliding window
                          KernelCase{8, 4, 256, 0, 50},   // gemma: head_dim 256, soft-cap
                          KernelCase{8, 4, 128, 37, 30},  // window and soft-cap
                          KernelCase{14, 2, 128, 0, 0},   // group of 7
                          KernelCase{6, 2, 72, 0, 0},     // group of 3, head_dim 72
                          KernelCase{4, 4, 20, 0, 0},     // multi-head (group 1), head_dim 20
                          KernelCase{40, 1, 16, 0, 0},    // one KV head for 40 queries heads
                          KernelCase{6, 3, 3, 5, 0}),     // tiny head_dim, short window
        ::testing::Values(1, 3)),
    [](const auto& info) {
      const KernelCase& c = std::get<0>(info.param);
      char name[96];
      std::snprintf(name, sizeof(name), "h%ldkv%ldd%ldw%ldcap%dt%d", static_cast<long>(c.n_heads),
                    static_cast<long>(c.n_kv_heads), static_cast<long>(c.head_dim),
                    static_cast<long>(c.window), static_cast<int>(c.softcap),
                    std::get<1>(info.param));
      return std::string(name);
    });

// Every SIMD target compiled in and supported by this CPU (lane counts 1 to 16).
TEST(AttentionKernel, AllCompiledTargets) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    std::mt19937 rng(14);
    for (const KernelCase& c :
         {KernelCase{32, 8, 64, 0, 0}, KernelCase{8, 2, 80, 50, 20}, KernelCase{4, 2, 80, 0, 0},
          KernelCase{40, 1, 16, 0, 0}, KernelCase{3, 3, 7, 0, 0}}) {
      const ops::AttentionShape s{c.n_heads, c.n_kv_heads, c.head_dim, 0.3f, c.softcap, c.window};
      const Seq seq = make_seq(300, s, rng, 2.0f);
      check(s, prefill_rows(seq, 200, 100), rng, 2);
      check(s, {{seq.k.data(), seq.v.data(), 299}}, rng, 3);
      check_half(s, seq, rng, 2);
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

// Prefill rows over a half cache too large to widen once per call (over 64 MiB as floats):
// the tiles widen their own steps of rows instead.
TEST(AttentionKernel, HalfCacheTooLargeToWidenOnce) {
  const ops::AttentionShape s{8, 4, 256, 1.0f / 16.0f, 0, 0};
  std::mt19937 rng(16);
  const int64_t len = 8400;  // 2 x 8400 x 1024 floats = 69 MB
  const HalfSeq h = to_half(make_seq(len, s, rng));
  std::vector<int64_t> pos;
  for (int64_t p = len - 20; p < len; ++p) pos.push_back(p);
  const auto ref = float_rows(h.widened, pos);
  check(s, half_rows(h, pos), rng, 2, 2e-5f, &ref);
}

// store_kv to half precision: round to nearest even, saturation instead of infinity, and any
// length (partial vectors); load_kv gives the values back exactly.
TEST(KVStore, HalfRoundsToNearestEvenAndSaturates) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    const float u = std::ldexp(1.0f, -11);  // half an f16 ulp at 1
    const std::vector<float> in = {1.0f,      1.0f + u,  1.0f + 3 * u, -2.5f,  70000.0f, -1e9f,
                                   65504.0f,  1e-8f,     0.0f,         -0.0f,  0.1f,     6.1e-5f};
    const std::vector<float> want = {1.0f,     1.0f,     1.0f + 4 * u, -2.5f,    65504.0f, -65504.0f,
                                     65504.0f, 0.0f,     0.0f,         -0.0f,    0.0999755859375f,
                                     6.097555160522461e-05f};
    for (size_t n = 1; n <= in.size(); ++n) {
      std::vector<uint16_t> h(n + 1, 0xABCD);
      ops::store_kv(in.data(), static_cast<int64_t>(n), ops::KVType::F16, h.data());
      EXPECT_EQ(h[n], 0xABCD) << "wrote past n = " << n;
      std::vector<float> back(n);
      ops::load_kv(h.data(), static_cast<int64_t>(n), ops::KVType::F16, back.data());
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(back[i], want[i]) << "n " << n << " element " << i;
    }
    // Longer runs: every value an f16 holds exactly comes back unchanged.
    std::vector<float> exact(1000);
    for (size_t i = 0; i < exact.size(); ++i) exact[i] = static_cast<float>(i) * 0.25f - 100.0f;
    std::vector<uint16_t> h(exact.size());
    std::vector<float> back(exact.size());
    for (int64_t n : {int64_t{1000}, int64_t{999}, int64_t{33}}) {
      ops::store_kv(exact.data(), n, ops::KVType::F16, h.data());
      ops::load_kv(h.data(), n, ops::KVType::F16, back.data());
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(back[static_cast<size_t>(i)], exact[static_cast<size_t>(i)]);
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}
