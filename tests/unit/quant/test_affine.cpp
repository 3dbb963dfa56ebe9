// MLX affine quantization: packing layout, quantize/dequantize, for every bits x group size.
// Hand-checked vectors are derived in the comments next to them from MLX's algorithm
// (mlx/backend/cpu/quantized.cpp quantize(), mlx/ops.cpp affine_quantize).
#include "engine/quant/affine.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "abstractllm/errors.hpp"
#include "engine/io/half.hpp"

namespace abstractllm::engine::quant {
namespace {

const int kBits[] = {2, 3, 4, 5, 6, 8};
const int kGroups[] = {32, 64, 128};

TEST(AffinePack, ThreeBitHandChecked) {
  // Values 0..7 at 3 bits: word = sum v << 3v = 0xFAC688, i.e. bytes 88 C6 FA — the bytes MLX's
  // extract_bits<3> decodes as 0,1,...,7 (v2 straddles bytes 0/1, v5 bytes 1/2).
  uint8_t q[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  uint32_t w[1] = {0};
  pack(q, 8, 3, w);
  EXPECT_EQ(w[0], 0xFAC688u);
  uint8_t back[8];
  unpack(w, 8, 3, back);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(back[i], q[i]);
}

TEST(AffinePack, FourAndTwoBitHandChecked) {
  // 4-bit: element k at shift 4k of the word (MLX: shifts = 2^arange(0, 32, bits)).
  uint8_t q4[8] = {1, 2, 3, 4, 5, 6, 7, 15};
  uint32_t w[2] = {};
  pack(q4, 8, 4, w);
  EXPECT_EQ(w[0], 0xF7654321u);
  uint8_t q2[16] = {3, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3};
  pack(q2, 16, 2, w);
  EXPECT_EQ(w[0], 0xC0000093u);  // 3 | 1<<4 | 2<<6 | 3<<30
  uint8_t q8[4] = {0x11, 0x22, 0x33, 0xff};
  pack(q8, 4, 8, w);
  EXPECT_EQ(w[0], 0xff332211u);
}

TEST(AffinePack, SixAndFiveBitCrossWords) {
  // 6-bit: 16 values = 96 bits = 3 words; value 5 occupies bits 30..35 and straddles words 0/1.
  uint8_t q[16] = {};
  q[5] = 0x2d;  // 101101b: low 2 bits (01b) end word 0, high 4 bits (1011b) start word 1
  uint32_t w[3] = {};
  pack(q, 16, 6, w);
  EXPECT_EQ(w[0], 0x40000000u);
  EXPECT_EQ(w[1], 0x0000000bu);
  EXPECT_EQ(unpack_one(w, 5, 6), 0x2du);
  // 5-bit: value 6 at bits 30..34 straddles words 0/1.
  uint8_t q5[32] = {};
  q5[6] = 0x1b;  // 11011b
  uint32_t w5[5] = {};
  pack(q5, 32, 5, w5);
  EXPECT_EQ(w5[0], 0xC0000000u);
  EXPECT_EQ(w5[1], 0x6u);
  EXPECT_EQ(unpack_one(w5, 6, 5), 0x1bu);
}

// An independent model of MLX's byte packing for 3/5/6 bits (8, 8, 4 values into 3, 5, 3
// bytes, little-endian) and word packing for 2/4/8, to check our single bit-stream matches.
std::vector<uint8_t> mlx_layout_bytes(const std::vector<uint8_t>& q, int bits) {
  std::vector<uint8_t> out;
  if (bits == 2 || bits == 4 || bits == 8) {
    const int per = 32 / bits;
    for (size_t i = 0; i < q.size(); i += per) {
      uint32_t word = 0;
      for (int k = 0; k < per; ++k) word += static_cast<uint32_t>(q[i + k]) * (1u << (k * bits));
      for (int b = 0; b < 4; ++b) out.push_back(static_cast<uint8_t>(word >> (8 * b)));
    }
  } else {
    const int per = bits == 6 ? 4 : 8;
    const int nbytes = bits == 5 ? 5 : 3;
    for (size_t i = 0; i < q.size(); i += per) {
      uint64_t v = 0;
      for (int k = 0; k < per; ++k) v |= static_cast<uint64_t>(q[i + k]) << (k * bits);
      for (int b = 0; b < nbytes; ++b) out.push_back(static_cast<uint8_t>(v >> (8 * b)));
    }
  }
  return out;
}

TEST(AffinePack, MatchesMlxLayoutForAllBitsAndGroups) {
  std::mt19937 rng(1);
  for (int bits : kBits) {
    for (int cols : kGroups) {
      std::vector<uint8_t> q(static_cast<size_t>(cols));
      for (auto& v : q) v = static_cast<uint8_t>(rng() % (1u << bits));
      const int64_t words = packed_words_per_row(cols, bits);
      ASSERT_EQ(words * 32, cols * bits);
      std::vector<uint32_t> w(static_cast<size_t>(words));
      pack(q.data(), cols, bits, w.data());
      const auto expect = mlx_layout_bytes(q, bits);
      ASSERT_EQ(expect.size(), w.size() * 4);
      EXPECT_EQ(std::memcmp(expect.data(), w.data(), expect.size()), 0)
          << "bits=" << bits << " cols=" << cols;
      std::vector<uint8_t> back(q.size());
      unpack(w.data(), cols, bits, back.data());
      EXPECT_EQ(back, q);
      for (int i = 0; i < cols; ++i) ASSERT_EQ(unpack_one(w.data(), i, bits), q[i]);
    }
  }
}

TEST(AffineQuantize, FourBitHandChecked) {
  // Group [-1, 0 x 30, 0.5]: max 0.5, min -1, |min| > |max| so the scale stays positive:
  // s = 1.5/15 = 0.1, edge = -1, q0 = rint(-1/0.1) = -10, s = -1/-10 = 0.1, b = -1.
  // q(-1) = 0, q(0) = rint(1/0.1f = 9.9999998) = 10, q(0.5) = rint(14.9999998) = 15.
  std::vector<float> w(32, 0.0f);
  w[0] = -1.0f;
  w[31] = 0.5f;
  uint32_t packed[4];
  float s, b;
  quantize_row(w.data(), 32, 4, 32, DType::F32, packed, &s, &b);
  EXPECT_FLOAT_EQ(s, 0.1f);
  EXPECT_EQ(b, -1.0f);
  EXPECT_EQ(unpack_one(packed, 0, 4), 0u);
  EXPECT_EQ(unpack_one(packed, 1, 4), 10u);
  EXPECT_EQ(unpack_one(packed, 31, 4), 15u);
  std::vector<float> out(32);
  dequantize_row(packed, &s, &b, DType::F32, 32, 4, 32, out.data());
  EXPECT_EQ(out[0], -1.0f);
  EXPECT_EQ(out[1], 0.0f);  // zero is exact: 10 * 0.1f rounds to exactly 1.0f
  EXPECT_EQ(out[31], 0.5f);
  // f16 scales: 0.1 -> 0x2E66, -1 -> 0xBC00.
  uint16_t s16, b16;
  quantize_row(w.data(), 32, 4, 32, DType::F16, packed, &s16, &b16);
  EXPECT_EQ(s16, 0x2E66);
  EXPECT_EQ(b16, 0xBC00);
  uint16_t sb, bb;
  quantize_row(w.data(), 32, 4, 32, DType::BF16, packed, &sb, &bb);
  EXPECT_EQ(sb, 0x3DCD);  // bf16(0.1f): 0x3DCCCCCD rounds up
  EXPECT_EQ(bb, 0xBF80);
}

TEST(AffineQuantize, NegativeScaleHandChecked) {
  // 2 bits, group [1, 0 x 30, -0.5]: |min| < |max| so s = -(1.5/3) = -0.5, edge = max = 1,
  // q0 = rint(1/-0.5) = -2, s = 1/-2 = -0.5, b = 1. q(1) = 0, q(0) = 2, q(-0.5) = 3.
  std::vector<float> w(32, 0.0f);
  w[0] = 1.0f;
  w[31] = -0.5f;
  uint32_t packed[2];
  float s, b;
  quantize_row(w.data(), 32, 2, 32, DType::F32, packed, &s, &b);
  EXPECT_EQ(s, -0.5f);
  EXPECT_EQ(b, 1.0f);
  EXPECT_EQ(unpack_one(packed, 0, 2), 0u);
  EXPECT_EQ(unpack_one(packed, 1, 2), 2u);
  EXPECT_EQ(unpack_one(packed, 31, 2), 3u);
  std::vector<float> out(32);
  dequantize_row(packed, &s, &b, DType::F32, 32, 2, 32, out.data());
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[5], 0.0f);
  EXPECT_EQ(out[31], -0.5f);
}

TEST(AffineQuantize, RoundsHalfToEvenHandChecked) {
  // 2 bits, group [0, 3, 1.5, 0.5, 2.5, 0...]: s = -1, b = 3, q = 3 - x:
  // q(1.5) = rint(1.5) = 2, q(0.5) = rint(2.5) = 2, q(2.5) = rint(0.5) = 0.
  std::vector<float> w(32, 0.0f);
  w[1] = 3.0f;
  w[2] = 1.5f;
  w[3] = 0.5f;
  w[4] = 2.5f;
  uint32_t packed[2];
  float s, b;
  quantize_row(w.data(), 32, 2, 32, DType::F32, packed, &s, &b);
  EXPECT_EQ(s, -1.0f);
  EXPECT_EQ(b, 3.0f);
  EXPECT_EQ(unpack_one(packed, 0, 2), 3u);
  EXPECT_EQ(unpack_one(packed, 1, 2), 0u);
  EXPECT_EQ(unpack_one(packed, 2, 2), 2u);
  EXPECT_EQ(unpack_one(packed, 3, 2), 2u);
  EXPECT_EQ(unpack_one(packed, 4, 2), 0u);
}

TEST(AffineQuantize, AllZeroGroup) {
  // max = min = 0: s = -max(0, 1e-7) = -1e-7, q0 = 0 so b = 0 and every q = 0.
  std::vector<float> w(64, 0.0f);
  uint32_t packed[8];
  float s, b;
  quantize_row(w.data(), 64, 4, 64, DType::F32, packed, &s, &b);
  EXPECT_EQ(s, -1e-7f);
  EXPECT_EQ(b, 0.0f);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(packed[i], 0u);
}

// The per-group algorithm restated from mlx/ops.cpp (the array-op formulation), in double
// where the result cannot differ, for cross-checking every bits x group combination.
void reference_group(const float* x, int n, int bits, float& s, float& b, std::vector<int>& q) {
  const float n_bins = static_cast<float>((1 << bits) - 1);
  float mx = x[0], mn = x[0];
  for (int i = 1; i < n; ++i) {
    mx = std::max(mx, x[i]);
    mn = std::min(mn, x[i]);
  }
  const bool mask = std::fabs(mn) > std::fabs(mx);
  s = std::max((mx - mn) / n_bins, 1e-7f);
  if (!mask) s = -s;
  const float edge = mask ? mn : mx;
  const float q0 = std::nearbyint(edge / s);
  b = 0;
  if (q0 != 0) {
    s = edge / q0;
    b = edge;
  }
  q.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    q[i] = static_cast<int>(std::clamp(std::nearbyint((x[i] - b) / s), 0.0f, n_bins));
  }
}

TEST(AffineQuantize, EveryBitsAndGroupMatchesReferenceAndBoundsError) {
  std::mt19937 rng(42);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  for (int bits : kBits) {
    for (int g : kGroups) {
      const int64_t rows = 3, cols = 2 * g;
      std::vector<float> w(static_cast<size_t>(rows * cols));
      for (auto& v : w) v = dist(rng);
      w[5] = 0.0f;  // a zero must dequantize to exactly zero
      w[static_cast<size_t>(cols + 1)] = 0.0f;
      const int64_t words = packed_words_per_row(cols, bits);
      std::vector<uint32_t> packed(static_cast<size_t>(rows * words));
      std::vector<float> sc(static_cast<size_t>(rows * cols / g)), bi(sc.size());
      quantize_matrix(w.data(), rows, cols, bits, g, DType::F32, packed.data(), sc.data(),
                      bi.data());
      std::vector<float> out(w.size());
      dequantize_matrix(packed.data(), sc.data(), bi.data(), DType::F32, rows, cols, bits, g,
                        out.data());
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t gi = 0; gi < cols / g; ++gi) {
          const float* x = w.data() + r * cols + gi * g;
          float s, b;
          std::vector<int> q;
          reference_group(x, g, bits, s, b, q);
          const size_t si = static_cast<size_t>(r * (cols / g) + gi);
          ASSERT_EQ(sc[si], s) << bits << "/" << g;
          ASSERT_EQ(bi[si], b) << bits << "/" << g;
          for (int j = 0; j < g; ++j) {
            ASSERT_EQ(unpack_one(packed.data() + r * words, gi * g + j, bits),
                      static_cast<uint32_t>(q[j]))
                << "bits=" << bits << " g=" << g << " j=" << j;
            const float deq = out[static_cast<size_t>(r * cols + gi * g + j)];
            EXPECT_EQ(deq, s * static_cast<float>(q[j]) + b);
            // Half a step inside the covered range; the far end of the group may be clipped by
            // up to about one step more (s is refit so that the edge lands exactly on q0).
            EXPECT_LE(std::fabs(deq - x[j]), std::fabs(s) * 1.5f + 1e-6f);
          }
        }
      }
      // Zero lands on an integer level (q = -q0), so it comes back as s * -q0 + edge: zero up
      // to the rounding of s = edge / q0 (a few ulps of the bias), never a whole step off.
      EXPECT_NEAR(out[5], 0.0f, std::fabs(bi[0]) * 1e-6f) << bits << "/" << g;
      EXPECT_NEAR(out[static_cast<size_t>(cols + 1)], 0.0f, std::fabs(bi[cols / g]) * 1e-6f);
    }
  }
}

TEST(AffineQuantize, HalfScalesDequantizeWithStoredValues) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (DType dt : {DType::F16, DType::BF16}) {
    std::vector<float> w(128);
    for (auto& v : w) v = dist(rng);
    uint32_t packed[16];
    uint16_t s[2], b[2];
    quantize_row(w.data(), 128, 4, 64, dt, packed, s, b);
    std::vector<float> out(128);
    dequantize_row(packed, s, b, dt, 128, 4, 64, out.data());
    for (int i = 0; i < 128; ++i) {
      const float sf = dt == DType::F16 ? f16_to_f32(s[i / 64]) : bf16_to_f32(s[i / 64]);
      const float bf = dt == DType::F16 ? f16_to_f32(b[i / 64]) : bf16_to_f32(b[i / 64]);
      EXPECT_EQ(out[i], sf * static_cast<float>(unpack_one(packed, i, 4)) + bf);
      EXPECT_NEAR(out[i], w[i], std::fabs(sf) * 1.5f + std::fabs(bf) * 0.01f + 1e-3f);
    }
  }
}

TEST(AffineQuantize, RejectsBadParameters) {
  std::vector<float> w(64, 1.0f);
  uint32_t p[64];
  float s[4], b[4];
  EXPECT_THROW(quantize_row(w.data(), 64, 7, 64, DType::F32, p, s, b), InvalidParameterError);
  EXPECT_THROW(quantize_row(w.data(), 64, 4, 48, DType::F32, p, s, b), InvalidParameterError);
  EXPECT_THROW(quantize_row(w.data(), 60, 4, 32, DType::F32, p, s, b), InvalidParameterError);
  EXPECT_THROW(quantize_row(w.data(), 64, 4, 32, DType::I8, p, s, b), InvalidParameterError);
  EXPECT_EQ(packed_words_per_row(33, 3), 0);
}

TEST(Half, ConversionsHandChecked) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3C00);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xC000);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00);  // rounds to inf
  EXPECT_EQ(f32_to_f16(5.9604645e-08f), 0x0001);  // smallest subnormal
  EXPECT_EQ(f32_to_f16(2.9802322e-08f), 0x0000);  // exactly half of it: ties to even (0)
  EXPECT_EQ(f32_to_f16(1.0009765625f), 0x3C01);
  EXPECT_EQ(f32_to_f16(1.00048828125f), 0x3C00);  // halfway 1 and 1+2^-10: even
  EXPECT_EQ(f32_to_f16(1.00146484375f), 0x3C02);  // halfway 1+2^-10 and 1+2^-9: even
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_EQ(f16_to_f32(0x0001), 5.9604644775390625e-08f);
  EXPECT_TRUE(std::isinf(f16_to_f32(0xFC00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7E00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(std::nanf("")))));
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(f32_to_bf16(3.14159265f), 0x4049);
  EXPECT_EQ(bf16_to_f32(0x4049), 3.140625f);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::nanf("")))));
  // Every f16 value survives f16 -> f32 -> f16.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const auto v = static_cast<uint16_t>(h);
    if ((v & 0x7C00) == 0x7C00 && (v & 0x3FF)) continue;  // NaNs
    ASSERT_EQ(f32_to_f16(f16_to_f32(v)), v) << std::hex << h;
  }
}

}  // namespace
}  // namespace abstractllm::engine::quant
