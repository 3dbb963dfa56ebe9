#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "engine/ops/elementwise.hpp"

namespace ops = abstractllm::engine::ops;

TEST(RmsNorm, MatchesTheDefinitionWithAndWithoutPlusOne) {
  const int64_t n = 7;
  std::vector<float> x = {1, -2, 3, 0.5f, -0.25f, 4, 2}, w = {1, 2, 0.5f, -1, 1, 0, 3};
  for (bool plus_one : {false, true}) {
    std::vector<float> out(n);
    ops::rms_norm(x.data(), w.data(), 1, n, 1e-5f, plus_one, out.data());
    double ss = 0;
    for (float v : x) ss += v * v;
    const double inv = 1 / std::sqrt(ss / n + 1e-5);
    for (int64_t i = 0; i < n; ++i) {
      const double scale = plus_one ? 1 + w[i] : w[i];
      EXPECT_NEAR(out[i], x[i] * inv * scale, 1e-5) << i;
    }
  }
}

TEST(RmsNorm, ManyRowsThreadedEqualsSerialAndMayAlias) {
  ops::ThreadPool pool(2);
  const int64_t rows = 64, n = 1024;
  std::vector<float> x(rows * n), w(n, 1.5f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i) * 0.1f);
  std::vector<float> serial(x.size());
  ops::rms_norm(x.data(), w.data(), rows, n, 1e-6f, false, serial.data());
  ops::rms_norm(x.data(), w.data(), rows, n, 1e-6f, false, x.data(), &pool);
  EXPECT_EQ(x, serial);
}

TEST(Activations, KnownValues) {
  EXPECT_NEAR(ops::silu(1.0f), 0.7310586f, 1e-6);
  EXPECT_NEAR(ops::silu(-2.0f), -0.2384058f, 1e-6);
  // torch.nn.functional.gelu(x, approximate="tanh") and exact (erf) at 1 and -0.5.
  EXPECT_NEAR(ops::gelu_tanh(1.0f), 0.8411920f, 1e-6);
  EXPECT_NEAR(ops::gelu_exact(1.0f), 0.8413447f, 1e-6);
  EXPECT_NEAR(ops::gelu_tanh(-0.5f), -0.1542859f, 1e-6);
  EXPECT_NEAR(ops::gelu_exact(-0.5f), -0.1542687f, 1e-6);
}

TEST(Activations, GatedMultipliesByUp) {
  std::vector<float> g = {1.0f, -2.0f}, u = {2.0f, 3.0f};
  ops::gated_activation(ops::GatedActivation::SiLU, g.data(), u.data(), 2);
  EXPECT_NEAR(g[0], 2 * 0.7310586f, 1e-6);
  EXPECT_NEAR(g[1], 3 * -0.2384058f, 1e-6);
}

TEST(Softcap, BoundsAndNearIdentityForSmallValues) {
  std::vector<float> x = {0.01f, 100.0f, -100.0f, 5.0f};
  ops::softcap(x.data(), 4, 10.0f);
  EXPECT_NEAR(x[0], 0.01f, 1e-6);
  EXPECT_NEAR(x[1], 10.0f, 1e-4);
  EXPECT_NEAR(x[2], -10.0f, 1e-4);
  EXPECT_NEAR(x[3], 10 * std::tanh(0.5f), 1e-6);
}

TEST(Softmax, SumsToOneAndIsShiftInvariant) {
  std::vector<float> a = {1, 2, 3, 1000}, b = {1001, 1002, 1003, 2000};
  ops::softmax(a.data(), 4);
  ops::softmax(b.data(), 4);
  EXPECT_NEAR(std::accumulate(a.begin(), a.end(), 0.0), 1.0, 1e-6);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(a[i], b[i], 1e-6);
  EXPECT_NEAR(a[3], 1.0f, 1e-6);
}

// The SIMD gated activations against the scalar formulas, over a range that covers the
// saturated tails (e^-x overflows past x = -88.7) and lengths with vector tails.
TEST(Activations, GatedSimdMatchesScalar) {
  for (int64_t n : {1, 7, 8, 9, 33, 1000}) {
    std::vector<float> g(static_cast<size_t>(n)), u(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      g[i] = -120.0f +
             240.0f * static_cast<float>(i) / static_cast<float>(std::max<int64_t>(n - 1, 1));
      u[i] = 0.5f + 0.01f * static_cast<float>(i);
    }
    for (auto act : {ops::GatedActivation::SiLU, ops::GatedActivation::GeluTanh}) {
      std::vector<float> out = g;
      ops::gated_activation(act, out.data(), u.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        const float ref =
            (act == ops::GatedActivation::SiLU ? ops::silu(g[i]) : ops::gelu_tanh(g[i])) * u[i];
        ASSERT_NEAR(out[i], ref, 4e-6f * std::fabs(ref) + 1e-30f)
            << "x " << g[i] << " n " << n << " act " << static_cast<int>(act);
      }
    }
  }
}
