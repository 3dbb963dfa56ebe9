// Random weight matrices and the check of ops::linear against ops::linear_reference with an
// error bound, shared by the linear-layer tests (test_linear.cpp, test_tiled_weights.cpp).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "engine/ops/kernel_linear.hpp"
#include "engine/ops/linear.hpp"

namespace linear_checks {

namespace ops = abstractllm::engine::ops;

inline uint16_t f32_to_bf16(float f) {  // round to nearest even
  uint32_t b;
  std::memcpy(&b, &f, 4);
  b += 0x7fffu + ((b >> 16) & 1u);
  return static_cast<uint16_t>(b >> 16);
}

// Exact for the normal-range values used here (|f| in [2^-14, 65504]) and zero.
inline uint16_t f32_to_f16(float f) {
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

inline void put_scalar(std::vector<uint8_t>& out, ops::ScaleType t, float v) {
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

inline Storage make_affine(int64_t rows, int64_t cols, int bits, int group, ops::ScaleType st,
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

inline Storage make_float(int64_t rows, int64_t cols, ops::WeightFormat f, std::mt19937& rng) {
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

inline std::vector<float> random_x(int64_t n, std::mt19937& rng) {
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
// `tested`, when given, is the matrix linear() runs on: the same values as w in another layout
// (w, in the Rows layout, gives the reference and the bound).
inline void check_against_reference(const ops::WeightMatrix& w, std::mt19937& rng,
                                    bool outliers = false,
                                    std::vector<int64_t> token_counts = {1, 2, 4, 5, 17},
                                    const std::function<void(std::vector<float>&)>& shape_x = {},
                                    const ops::WeightMatrix* tested = nullptr) {
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
      ops::linear(tested ? *tested : w, x.data(), n_tokens, y.data(), *pool);
      for (size_t i = 0; i < y.size(); ++i) {
        ASSERT_NEAR(y[i], ref[i], mag[i])
            << "output " << i << " n_tokens " << n_tokens << " threads " << pool->size();
      }
    }
  }
}

}  // namespace linear_checks
