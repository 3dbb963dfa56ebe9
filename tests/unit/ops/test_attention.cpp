#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
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
        for (int64_t i = 0; i < hd; ++i) d += q[r * s.n_heads * hd + h * hd + i] * k[j * kvs + g * hd + i];
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
  for (auto* vec : {&k, &v, &q}) for (float& x : *vec) x = nd(rng);
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
