// ops::linear against ops::linear_reference on random data, for every weight format, bit width,
// group size and scale type; and the MLX bit layout of dequantize_row checked against an
// independent packer that follows MLX's byte formulas.
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "abstractllm/errors.hpp"
#include "engine/ops/kernel_common.hpp"
#include "engine/ops/kernel_linear.hpp"
#include "engine/ops/linear.hpp"
#include "linear_checks.hpp"

namespace ops = abstractllm::engine::ops;

using namespace linear_checks;

TEST(Linear, AffineAllBitsGroupsScaleTypes) {
  std::mt19937 rng(1234);
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    for (int group : {32, 64, 128}) {
      for (auto st : {ops::ScaleType::F16, ops::ScaleType::BF16, ops::ScaleType::F32}) {
        SCOPED_TRACE("bits " + std::to_string(bits) + " group " + std::to_string(group) +
                     " scale " + std::to_string(static_cast<int>(st)));
        // Odd row counts exercise the row-block tails.
        auto s = make_affine(37, group * 5, bits, group, st, rng);
        check_against_reference(s.w, rng);
      }
    }
  }
}

// Narrow groups (2-bit, 4-bit of 32) are taken several to a vector: rows of 1 to 9 groups cover
// rows with no whole vector, exactly whole vectors, and whole vectors plus a tail.
TEST(Linear, NarrowGroupsAnyGroupCount) {
  std::mt19937 rng(2468);
  for (int bits : {2, 4}) {
    for (int group : {32, 64}) {
      for (int groups : {1, 2, 3, 4, 8, 9}) {
        SCOPED_TRACE("bits " + std::to_string(bits) + " group " + std::to_string(group) +
                     " groups " + std::to_string(groups));
        auto s = make_affine(11, group * groups, bits, group, ops::ScaleType::F16, rng);
        check_against_reference(s.w, rng, false, {1});
      }
    }
  }
}

TEST(Linear, AffineWithOutlierActivations) {
  std::mt19937 rng(4321);
  for (int bits : {2, 3, 4, 8}) {
    for (int group : {32, 64, 128}) {
      SCOPED_TRACE("bits " + std::to_string(bits) + " group " + std::to_string(group));
      auto s = make_affine(19, group * 4, bits, group, ops::ScaleType::BF16, rng);
      check_against_reference(s.w, rng, /*outliers=*/true);
    }
  }
}

// Activations a hair below a rounding half-step: with max|x_g| = 127 the int8 step is 1, and
// 3.499 = 3 + 0.499 leaves a residual whose second byte rounds to 128, one more than int8
// holds; the two-pass kernels must carry it into the first byte (4 - 128/256), where clamping it
// to 127 would be off by 0.0029 per value, 1.5x the rounding bound (checked: the test fails
// then). The other kernels see ordinary values.
TEST(Linear, ActivationsJustBelowHalfSteps) {
  std::mt19937 rng(777);
  for (int bits : {4, 8}) {
    for (int group : {32, 64, 128}) {
      SCOPED_TRACE("bits " + std::to_string(bits) + " group " + std::to_string(group));
      auto s = make_affine(23, group * 3, bits, group, ops::ScaleType::F16, rng);
      check_against_reference(s.w, rng, false, {1, 3}, [&](std::vector<float>& x) {
        for (size_t i = 0; i < x.size(); ++i) {
          x[i] = i % static_cast<size_t>(group) == 0 ? 127.0f : (i % 3 == 0 ? -5.499f : 3.499f);
        }
      });
    }
  }
}

// Every SIMD target compiled in and supported by this CPU (e.g. AVX-512, AVX2, SSE4, scalar).
TEST(Linear, AllCompiledTargets) {
  std::mt19937 rng(77);
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    for (int bits : {2, 4, 5, 8}) {
      auto s = make_affine(21, 256, bits, 64, ops::ScaleType::F16, rng);
      check_against_reference(s.w, rng);
    }
    // Group counts the 4/8-bit decode kernels reduce eight at a time (8, 16), and rows that end
    // in a partial block of 3, 7 or 6 groups (3, 7, 14: the VNNI kernel's tail runs in batches
    // of 4, 2 and 1 and masks the missing groups' scales), with each scale type those read
    // straight from the weights, and each group size (the VNNI kernel takes groups of 128 four
    // at a time, the others eight).
    for (int bits : {4, 8}) {
      for (int group : {32, 64, 128}) {
        for (auto st : {ops::ScaleType::F16, ops::ScaleType::BF16, ops::ScaleType::F32}) {
          for (int64_t groups : {3, 7, 8, 14, 16}) {
            SCOPED_TRACE("bits " + std::to_string(bits) + " group " + std::to_string(group) +
                         " groups " + std::to_string(groups));
            auto s = make_affine(11, group * groups, bits, group, st, rng);
            check_against_reference(s.w, rng, false, {1});
          }
        }
      }
    }
    // Narrow groups, taken several to a vector on wide-enough targets (GroupsPerVector).
    for (int bits : {2, 4}) {
      auto s = make_affine(9, 32 * 7, bits, 32, ops::ScaleType::F16, rng);
      check_against_reference(s.w, rng, false, {1});
    }
    for (auto f : {ops::WeightFormat::F32, ops::WeightFormat::F16, ops::WeightFormat::BF16}) {
      auto s = make_float(13, 203, f, rng);
      check_against_reference(s.w, rng);
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

TEST(Linear, AffineLargerShapes) {
  std::mt19937 rng(99);
  for (int bits : {4, 8}) {
    auto s = make_affine(300, 2048, bits, 64, ops::ScaleType::F16, rng);
    check_against_reference(s.w, rng);
  }
}

// Enough tokens for several token blocks of the prefill tiles, and several row tiles.
TEST(Linear, PrefillManyTokens) {
  std::mt19937 rng(11);
  for (int bits : {3, 4, 8}) {
    auto s = make_affine(70, 2048, bits, 64, ops::ScaleType::F16, rng);
    check_against_reference(s.w, rng, false, {40});
  }
  auto f = make_float(70, 2048, ops::WeightFormat::BF16, rng);
  check_against_reference(f.w, rng, false, {40});
}

// Rows wider than one packing pass of the prefill GEMM (2048 columns): the later passes add
// their partial sums into y, the last pass is narrower.
TEST(Linear, PrefillWiderThanOnePackingPass) {
  std::mt19937 rng(13);
  for (int bits : {3, 4}) {
    auto s = make_affine(40, 2048 + 384, bits, 128, ops::ScaleType::F16, rng);
    check_against_reference(s.w, rng, false, {7, 40});
  }
  auto f = make_float(20, 4096 + 100, ops::WeightFormat::F16, rng);
  check_against_reference(f.w, rng, false, {13});
}

TEST(Linear, FloatFormats) {
  std::mt19937 rng(7);
  for (auto f : {ops::WeightFormat::F32, ops::WeightFormat::F16, ops::WeightFormat::BF16}) {
    for (int64_t cols : {1, 7, 64, 200, 1029}) {
      SCOPED_TRACE("format " + std::to_string(static_cast<int>(f)) + " cols " +
                   std::to_string(cols));
      auto s = make_float(33, cols, f, rng);
      check_against_reference(s.w, rng);
    }
  }
}

// Packs values the way MLX's byte formulas read them back (extract_bits in
// mlx/backend/cpu/quantized.cpp for 3/5/6 bits, LSB-first within bytes for 2/4/8), written
// independently of the engine's bit-stream reader.
std::vector<uint8_t> mlx_pack(const std::vector<uint32_t>& q, int bits) {
  std::vector<uint8_t> out;
  if (bits == 2 || bits == 4 || bits == 8) {
    const int per = 8 / bits;
    for (size_t i = 0; i < q.size(); i += per) {
      uint32_t b = 0;
      for (int k = 0; k < per; ++k) b |= q[i + k] << (k * bits);
      out.push_back(static_cast<uint8_t>(b));
    }
  } else if (bits == 3) {
    for (size_t i = 0; i < q.size(); i += 8) {
      const uint32_t* v = &q[i];
      out.push_back(static_cast<uint8_t>(v[0] | (v[1] << 3) | ((v[2] & 3) << 6)));
      out.push_back(
          static_cast<uint8_t>((v[2] >> 2) | (v[3] << 1) | (v[4] << 4) | ((v[5] & 1) << 7)));
      out.push_back(static_cast<uint8_t>((v[5] >> 1) | (v[6] << 2) | (v[7] << 5)));
    }
  } else if (bits == 5) {
    for (size_t i = 0; i < q.size(); i += 8) {
      const uint32_t* v = &q[i];
      out.push_back(static_cast<uint8_t>(v[0] | ((v[1] & 7) << 5)));
      out.push_back(static_cast<uint8_t>((v[1] >> 3) | (v[2] << 2) | ((v[3] & 1) << 7)));
      out.push_back(static_cast<uint8_t>((v[3] >> 1) | ((v[4] & 0xf) << 4)));
      out.push_back(static_cast<uint8_t>((v[4] >> 4) | (v[5] << 1) | ((v[6] & 3) << 6)));
      out.push_back(static_cast<uint8_t>((v[6] >> 2) | (v[7] << 3)));
    }
  } else if (bits == 6) {
    for (size_t i = 0; i < q.size(); i += 4) {
      const uint32_t* v = &q[i];
      out.push_back(static_cast<uint8_t>(v[0] | ((v[1] & 3) << 6)));
      out.push_back(static_cast<uint8_t>((v[1] >> 2) | ((v[2] & 0xf) << 4)));
      out.push_back(static_cast<uint8_t>((v[2] >> 4) | (v[3] << 2)));
    }
  }
  return out;
}

TEST(Linear, DequantizeRowMatchesMlxPacking) {
  std::mt19937 rng(5);
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    const int64_t rows = 3, cols = 128, group = 32;
    std::vector<uint32_t> q(static_cast<size_t>(rows * cols));
    std::uniform_int_distribution<uint32_t> qd(0, (1u << bits) - 1);
    for (auto& v : q) v = qd(rng);
    auto packed = mlx_pack(q, bits);
    ASSERT_EQ(static_cast<int64_t>(packed.size()), rows * cols * bits / 8);
    std::vector<float> scales(rows * cols / group), biases(rows * cols / group);
    for (size_t i = 0; i < scales.size(); ++i) {
      scales[i] = 0.5f + static_cast<float>(i);
      biases[i] = -1.0f * static_cast<float>(i);
    }
    ops::WeightMatrix w;
    w.format = ops::WeightFormat::Affine;
    w.rows = rows;
    w.cols = cols;
    w.bits = bits;
    w.group_size = group;
    w.scale_type = ops::ScaleType::F32;
    w.data = packed.data();
    w.scales = scales.data();
    w.biases = biases.data();
    std::vector<float> out(cols);
    for (int64_t r = 0; r < rows; ++r) {
      ops::dequantize_row(w, r, out.data());
      for (int64_t c = 0; c < cols; ++c) {
        const size_t g = static_cast<size_t>(r * (cols / group) + c / group);
        ASSERT_EQ(out[c], scales[g] * static_cast<float>(q[r * cols + c]) + biases[g])
            << "bits " << bits << " row " << r << " col " << c;
      }
    }
  }
}

TEST(Linear, HalfScalesDecodeExactly) {
  // f16 0x3c00 = 1.0, 0xc000 = -2.0, 0x0001 = 2^-24 (subnormal); bf16 0x3f80 = 1.0.
  std::vector<uint8_t> data(16, 0x11);  // 4-bit values all 1
  std::vector<uint16_t> s16 = {0x0001, 0x3c00}, b16 = {0x0000, 0xc000};
  ops::WeightMatrix w;
  w.format = ops::WeightFormat::Affine;
  w.rows = 1;
  w.cols = 32;
  w.bits = 4;
  w.group_size = 32;
  w.scale_type = ops::ScaleType::F16;
  w.data = data.data();
  w.scales = s16.data();
  w.biases = b16.data();
  std::vector<float> out(32);
  ops::dequantize_row(w, 0, out.data());
  EXPECT_EQ(out[0], std::ldexp(1.0f, -24));
  w.scales = s16.data() + 1;
  w.biases = b16.data() + 1;
  ops::dequantize_row(w, 0, out.data());
  EXPECT_EQ(out[5], -1.0f);
}

TEST(Linear, RejectsBadParameters) {
  std::vector<uint8_t> data(256);
  std::vector<float> sb(8);
  ops::WeightMatrix w;
  w.format = ops::WeightFormat::Affine;
  w.rows = 1;
  w.cols = 64;
  w.bits = 7;
  w.group_size = 64;
  w.scale_type = ops::ScaleType::F32;
  w.data = data.data();
  w.scales = sb.data();
  w.biases = sb.data();
  std::vector<float> x(64), y(1);
  ops::ThreadPool pool(1);
  EXPECT_THROW(ops::linear(w, x.data(), 1, y.data(), pool), abstractllm::InvalidParameterError);
  w.bits = 4;
  w.group_size = 48;
  EXPECT_THROW(ops::linear(w, x.data(), 1, y.data(), pool), abstractllm::InvalidParameterError);
  w.group_size = 128;  // cols not a multiple
  EXPECT_THROW(ops::linear(w, x.data(), 1, y.data(), pool), abstractllm::InvalidParameterError);
  w.group_size = 64;
  EXPECT_THROW(ops::dequantize_row(w, 1, y.data()), abstractllm::InvalidParameterError);
  w.scales = nullptr;
  EXPECT_THROW(ops::linear(w, x.data(), 1, y.data(), pool), abstractllm::InvalidParameterError);
}

// activation_levels names the rounding the dispatched kernel applies (tests derive their bound
// from it, so it must not under-report): int8 for 4-bit only when opted in on x86 with AVX2+;
// where the CPU runs the AVX-512 VNNI kernels, two int8 passes (step d / 256) for 4/8-bit decode
// and int16 for affine prefill (float elsewhere).
TEST(Linear, ActivationLevelsReportTheKernel) {
  std::mt19937 rng(5);
  auto s4 = make_affine(8, 128, 4, 64, ops::ScaleType::F16, rng);
  auto s5 = make_affine(8, 128, 5, 64, ops::ScaleType::F16, rng);
  auto s8 = make_affine(8, 128, 8, 64, ops::ScaleType::F16, rng);
  auto f = make_float(8, 128, ops::WeightFormat::F16, rng);
  const bool int8 = ops::detail::int8_activations_enabled() &&
                    (hwy::SupportedTargets() & (HWY_AVX2 | HWY_AVX3 | HWY_AVX3_DL)) != 0;
#if defined(__x86_64__) || defined(__i386__)
  const bool vnni = __builtin_cpu_supports("avx512vnni") &&
                    (hwy::SupportedTargets() & (HWY_AVX3 | HWY_AVX3_DL)) != 0;
#else
  const bool vnni = false;
#endif
  const int prefill = vnni ? 32767 : 0;
  EXPECT_EQ(ops::kernels::activation_levels(s4.w, 1), int8 ? 127 : vnni ? 127 * 256 : 32767);
  EXPECT_EQ(ops::kernels::activation_levels(s4.w, 7), int8 ? 127 : prefill);
  EXPECT_EQ(ops::kernels::activation_levels(s5.w, 1), 32767);
  EXPECT_EQ(ops::kernels::activation_levels(s5.w, 7), prefill);
  EXPECT_EQ(ops::kernels::activation_levels(s8.w, 1), vnni ? 127 * 256 : 32767);
  EXPECT_EQ(ops::kernels::activation_levels(s8.w, 7), prefill);
  EXPECT_EQ(ops::kernels::activation_levels(f.w, 1), 0);
  EXPECT_EQ(ops::kernels::activation_levels(f.w, 7), 0);
}

// linear_group gives exactly the results of separate linear() calls, for matrices one region
// can serve (same layout) and for a mix it cannot (different bits: one by one).
TEST(Linear, GroupEqualsSeparateCalls) {
  std::mt19937 rng(31);
  ops::ThreadPool pool(3);
  for (int64_t n_tokens : {1, 3}) {
    for (int bits_b : {4, 8}) {
      auto a = make_affine(70, 256, 4, 64, ops::ScaleType::F16, rng);
      auto b = make_affine(19, 256, bits_b, 64, ops::ScaleType::F16, rng);
      auto c = make_affine(33, 256, 4, 64, ops::ScaleType::F16, rng);
      auto x = random_x(n_tokens * 256, rng);
      std::vector<float> ya(70 * n_tokens), yb(19 * n_tokens), yc(33 * n_tokens);
      std::vector<float> ga(ya.size(), NAN), gb(yb.size(), NAN), gc(yc.size(), NAN);
      ops::linear(a.w, x.data(), n_tokens, ya.data(), pool);
      ops::linear(b.w, x.data(), n_tokens, yb.data(), pool);
      ops::linear(c.w, x.data(), n_tokens, yc.data(), pool);
      const ops::WeightMatrix* ws[] = {&a.w, &b.w, &c.w};
      float* ys[] = {ga.data(), gb.data(), gc.data()};
      ops::linear_group(ws, x.data(), n_tokens, ys, pool);
      EXPECT_EQ(ga, ya);
      EXPECT_EQ(gb, yb);
      EXPECT_EQ(gc, yc);
    }
  }
  const ops::WeightMatrix* one[] = {nullptr};
  float* none[] = {nullptr, nullptr};
  EXPECT_THROW(ops::linear_group(std::span<const ops::WeightMatrix* const>(one, 0), nullptr, 1,
                                 none, pool),
               abstractllm::InvalidParameterError);
}
