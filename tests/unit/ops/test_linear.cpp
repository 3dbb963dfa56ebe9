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

namespace ops = abstractllm::engine::ops;

namespace {

uint16_t f32_to_bf16(float f) {  // round to nearest even
  uint32_t b;
  std::memcpy(&b, &f, 4);
  b += 0x7fffu + ((b >> 16) & 1u);
  return static_cast<uint16_t>(b >> 16);
}

// Exact for the normal-range values used here (|f| in [2^-14, 65504]) and zero.
uint16_t f32_to_f16(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  const uint32_t sign = (b >> 16) & 0x8000u;
  const int exp = static_cast<int>((b >> 23) & 0xff) - 127 + 15;
  if ((b & 0x7fffffffu) == 0) return static_cast<uint16_t>(sign);
  if (exp <= 0) return static_cast<uint16_t>(sign);  // flush tiny values (not generated)
  uint32_t mant = b & 0x7fffffu;
  uint32_t h = sign | (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  const uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(h);
}

struct Storage {
  std::vector<uint8_t> data, scales, biases;
  ops::WeightMatrix w;
};

void put_scalar(std::vector<uint8_t>& out, ops::ScaleType t, float v) {
  if (t == ops::ScaleType::F32) {
    uint8_t b[4];
    std::memcpy(b, &v, 4);
    out.insert(out.end(), b, b + 4);
  } else {
    uint16_t h = t == ops::ScaleType::F16 ? f32_to_f16(v) : f32_to_bf16(v);
    out.push_back(static_cast<uint8_t>(h & 0xff));
    out.push_back(static_cast<uint8_t>(h >> 8));
  }
}

Storage make_affine(int64_t rows, int64_t cols, int bits, int group, ops::ScaleType st,
                    std::mt19937& rng) {
  Storage s;
  const int64_t bytes = rows * cols * bits / 8;
  s.data.resize(static_cast<size_t>(bytes));
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : s.data) b = static_cast<uint8_t>(byte(rng));
  std::uniform_real_distribution<float> scale(0.001f, 0.02f), bias(-0.1f, 0.1f);
  for (int64_t i = 0; i < rows * (cols / group); ++i) {
    put_scalar(s.scales, st, scale(rng));
    put_scalar(s.biases, st, bias(rng));
  }
  s.w.format = ops::WeightFormat::Affine;
  s.w.rows = rows;
  s.w.cols = cols;
  s.w.bits = bits;
  s.w.group_size = group;
  s.w.scale_type = st;
  s.w.data = s.data.data();
  s.w.scales = s.scales.data();
  s.w.biases = s.biases.data();
  return s;
}

Storage make_float(int64_t rows, int64_t cols, ops::WeightFormat f, std::mt19937& rng) {
  Storage s;
  std::normal_distribution<float> nd(0.0f, 0.05f);
  for (int64_t i = 0; i < rows * cols; ++i) {
    float v = nd(rng);
    if (f == ops::WeightFormat::F32) {
      put_scalar(s.data, ops::ScaleType::F32, v);
    } else if (f == ops::WeightFormat::F16) {
      put_scalar(s.data, ops::ScaleType::F16, std::fabs(v) < 1e-4f ? 0.0f : v);
    } else {
      put_scalar(s.data, ops::ScaleType::BF16, v);
    }
  }
  s.w.format = f;
  s.w.rows = rows;
  s.w.cols = cols;
  s.w.data = s.data.data();
  return s;
}

std::vector<float> random_x(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = nd(rng);
  return x;
}

// Checks linear() against linear_reference(), with a tolerance relative to sum |w*x| (the
// size of the rounding error of a float dot product), for several token counts and pools.
// Kernels that round x per group (step d_g = max|x_g| / L, L = kernels::activation_levels:
// 32767 for the int16 decode kernels, 127 for the int8 4-bit kernels) get the bound
// sum_c |w_c - b_g| * d_g / 2 on top: the most that rounding each activation by half a step can
// change the result.
// `shape_x`, when given, rewrites the random activations (tokens x cols) before the check.
void check_against_reference(const ops::WeightMatrix& w, std::mt19937& rng, bool outliers = false,
                             std::vector<int64_t> token_counts = {1, 2, 4, 5, 17},
                             const std::function<void(std::vector<float>&)>& shape_x = {}) {
  static ops::ThreadPool pool1(1), pool2(2), pool3(3);
  for (int64_t n_tokens : token_counts) {
    auto x = random_x(n_tokens * w.cols, rng);
    if (outliers) {  // one large activation every 50 values, as in real LLM hidden states
      for (size_t i = 0; i < x.size(); i += 50) x[i] *= 300.0f;
    }
    if (shape_x) shape_x(x);
    std::vector<float> ref(static_cast<size_t>(n_tokens * w.rows));
    ops::linear_reference(w, x.data(), n_tokens, ref.data());
    // sum |w*x| per output for the tolerance.
    std::vector<float> row(static_cast<size_t>(w.cols));
    std::vector<double> mag(static_cast<size_t>(n_tokens * w.rows));
    for (int64_t r = 0; r < w.rows; ++r) {
      ops::dequantize_row(w, r, row.data());
      for (int64_t t = 0; t < n_tokens; ++t) {
        double m = 0;
        for (int64_t c = 0; c < w.cols; ++c) m += std::fabs(row[c] * x[t * w.cols + c]);
        mag[t * w.rows + r] = 2e-5 * m + 1e-6;
        const int levels = ops::kernels::activation_levels(w, n_tokens);
        if (levels > 0) {
          // The biases of this row: the same matrix with every quantized value 0.
          std::vector<uint8_t> zeros(static_cast<size_t>(w.rows * w.cols * w.bits / 8));
          ops::WeightMatrix wz = w;
          wz.data = zeros.data();
          std::vector<float> bias_row(static_cast<size_t>(w.cols));
          ops::dequantize_row(wz, r, bias_row.data());
          for (int64_t g = 0; g < w.cols / w.group_size; ++g) {
            float amax = 0.0f;
            double wq = 0.0;
            for (int64_t c = g * w.group_size; c < (g + 1) * w.group_size; ++c) {
              amax = std::max(amax, std::fabs(x[t * w.cols + c]));
              wq += std::fabs(row[c] - bias_row[c]);  // |s_g * q_c|
            }
            mag[t * w.rows + r] += wq * amax / (2.0 * levels) * 1.01;
          }
        }
      }
    }
    for (ops::ThreadPool* pool : {&pool1, &pool2, &pool3}) {
      std::vector<float> y(ref.size(), NAN);
      ops::linear(w, x.data(), n_tokens, y.data(), *pool);
      for (size_t i = 0; i < y.size(); ++i) {
        ASSERT_NEAR(y[i], ref[i], mag[i])
            << "output " << i << " n_tokens " << n_tokens << " threads " << pool->size();
      }
    }
  }
}

}  // namespace

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
