#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/ops/rope.hpp"

namespace ops = abstractllm::engine::ops;

namespace {

std::vector<float> inv_freq(int64_t dim, double base = 10000) {
  std::vector<float> f(dim / 2);
  for (int64_t i = 0; i < dim / 2; ++i) f[i] = static_cast<float>(1 / std::pow(base, 2.0 * i / dim));
  return f;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

TEST(Rope, PositionZeroIsIdentityAndNormIsPreserved) {
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8}, y = x;
  const auto f = inv_freq(8);
  ops::apply_rope(y.data(), 1, 8, 8, f.data(), 0);
  EXPECT_EQ(x, y);
  ops::apply_rope(y.data(), 1, 8, 8, f.data(), 37);
  EXPECT_NEAR(dot(x, x), dot(y, y), 1e-3);
}

TEST(Rope, RotateHalfPairing) {
  // Dimension i pairs with i + d/2 (transformers' rotate_half), not with i + 1.
  std::vector<float> x = {1, 0, 0, 0};
  const std::vector<float> f = {1.0f, 0.0f};
  ops::apply_rope(x.data(), 1, 4, 4, f.data(), 1);
  EXPECT_NEAR(x[0], std::cos(1.0f), 1e-6);
  EXPECT_NEAR(x[2], std::sin(1.0f), 1e-6);
  EXPECT_NEAR(x[1], 0, 1e-7);
  EXPECT_NEAR(x[3], 0, 1e-7);
}

TEST(Rope, ScoresDependOnlyOnRelativePosition) {
  const auto f = inv_freq(16);
  std::vector<float> q(16), k(16);
  for (int i = 0; i < 16; ++i) {
    q[i] = std::sin(i * 0.7f);
    k[i] = std::cos(i * 0.3f);
  }
  auto score = [&](int64_t m, int64_t n) {
    auto a = q, b = k;
    ops::apply_rope(a.data(), 1, 16, 16, f.data(), m);
    ops::apply_rope(b.data(), 1, 16, 16, f.data(), n);
    return dot(a, b);
  };
  EXPECT_NEAR(score(10, 3), score(107, 100), 1e-4);
  EXPECT_NEAR(score(5, 5), dot(q, k), 1e-4);
}

TEST(Rope, PartialRotaryLeavesTheRestAndScaleMultiplies) {
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8};
  const auto f = inv_freq(4);
  ops::apply_rope(x.data(), 2, 4, 2, f.data(), 3, 2.0f);  // 2 heads of 4, rotary 2 dims
  EXPECT_FLOAT_EQ(x[2], 3);
  EXPECT_FLOAT_EQ(x[3], 4);
  EXPECT_FLOAT_EQ(x[6], 7);
  EXPECT_NEAR(x[0], 2 * (1 * std::cos(3.0f) - 2 * std::sin(3.0f)), 1e-5);
  EXPECT_NEAR(x[5], 2 * (6 * std::cos(3.0f) + 5 * std::sin(3.0f)), 1e-5);
}
