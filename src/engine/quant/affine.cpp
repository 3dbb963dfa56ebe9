// MLX affine quantization: bit stream packing, quantize, dequantize (see affine.hpp).
#include "engine/quant/affine.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "abstractllm/errors.hpp"
#include "engine/io/half.hpp"

// Lets GCC if-convert the float selects of the quantize loop into vector code. We never rely
// on floating-point exception flags; rounding and results are unchanged (no -ffast-math).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

namespace abstractllm::engine::quant {

namespace {

// Round half to even for |x| < 2^22 under the default rounding mode: adding 1.5 * 2^23 pushes
// the fraction bits out of the mantissa. Callers clamp x first.
inline float round_even_small(float x) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  // Not folded to x: without -ffast-math the compiler must keep IEEE semantics.
  return (x + kMagic) - kMagic;
}

inline float load_scale(const void* p, DType dt, int64_t i) {
  switch (dt) {
    case DType::F16: return f16_to_f32(static_cast<const uint16_t*>(p)[i]);
    case DType::BF16: return bf16_to_f32(static_cast<const uint16_t*>(p)[i]);
    default: return static_cast<const float*>(p)[i];
  }
}

// Stores v rounded to dt; returns the value actually stored (as f32).
inline void store_scale(void* p, DType dt, int64_t i, float v) {
  switch (dt) {
    case DType::F16: static_cast<uint16_t*>(p)[i] = f32_to_f16(v); break;
    case DType::BF16: static_cast<uint16_t*>(p)[i] = f32_to_bf16(v); break;
    default: static_cast<float*>(p)[i] = v; break;
  }
}

void check_scale_dtype(DType dt) {
  if (dt != DType::F16 && dt != DType::BF16 && dt != DType::F32) {
    throw InvalidParameterError("scale_dtype", "affine scales/biases must be F16, BF16 or F32, not " +
                                                   std::string(dtype_name(dt)));
  }
}

void check_shape(int64_t cols, int bits, int group_size) {
  if (!valid_bits(bits)) {
    throw InvalidParameterError("bits", "affine quantization bits must be 2, 3, 4, 5, 6 or 8, not " +
                                            std::to_string(bits));
  }
  if (!valid_group_size(group_size)) {
    throw InvalidParameterError("group_size", "affine group_size must be 32, 64 or 128, not " +
                                                  std::to_string(group_size));
  }
  if (cols <= 0 || cols % group_size != 0) {
    throw InvalidParameterError("cols", "row length " + std::to_string(cols) +
                                            " is not a positive multiple of group_size " +
                                            std::to_string(group_size));
  }
}

}  // namespace

bool valid_bits(int bits) {
  return bits == 2 || bits == 3 || bits == 4 || bits == 5 || bits == 6 || bits == 8;
}

bool valid_group_size(int g) { return g == 32 || g == 64 || g == 128; }

int64_t packed_words_per_row(int64_t cols, int bits) {
  if (cols < 0 || bits <= 0) return 0;
  const int64_t total = cols * bits;
  return total % 32 == 0 ? total / 32 : 0;
}

void pack(const uint8_t* q, int64_t n, int bits, uint32_t* out) {
  const uint32_t mask = (1u << bits) - 1u;
  uint64_t acc = 0;
  int have = 0;
  int64_t w = 0;
  for (int64_t i = 0; i < n; ++i) {
    acc |= static_cast<uint64_t>(q[i] & mask) << have;
    have += bits;
    if (have >= 32) {
      out[w++] = static_cast<uint32_t>(acc);
      acc >>= 32;
      have -= 32;
    }
  }
  if (have > 0) out[w] = static_cast<uint32_t>(acc);
}

void unpack(const uint32_t* packed, int64_t n, int bits, uint8_t* q) {
  const uint64_t mask = (1u << bits) - 1u;
  uint64_t acc = 0;
  int have = 0;
  int64_t w = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (have < bits) {
      acc |= static_cast<uint64_t>(packed[w++]) << have;
      have += 32;
    }
    q[i] = static_cast<uint8_t>(acc & mask);
    acc >>= bits;
    have -= bits;
  }
}

uint32_t unpack_one(const uint32_t* packed, int64_t i, int bits) {
  const int64_t bit = i * bits;
  const int64_t word = bit / 32;
  const int shift = static_cast<int>(bit % 32);
  uint64_t v = packed[word] >> shift;
  if (shift + bits > 32) v |= static_cast<uint64_t>(packed[word + 1]) << (32 - shift);
  return static_cast<uint32_t>(v & ((1u << bits) - 1u));
}

void quantize_row(const float* w, int64_t cols, int bits, int group_size, DType scale_dtype,
                  uint32_t* packed, void* scales, void* biases) {
  check_shape(cols, bits, group_size);
  check_scale_dtype(scale_dtype);
  const float n_bins = static_cast<float>((1 << bits) - 1);
  const float eps = 1e-7f;
  alignas(32) int32_t q[128];
  uint64_t acc = 0;
  int have = 0;
  int64_t wi = 0;
  for (int64_t g = 0; g < cols / group_size; ++g) {
    const float* x = w + g * group_size;
    // Eight independent lanes so the compiler can use vector min/max (group_size % 8 == 0).
    float lo[8], hi[8];
    for (int k = 0; k < 8; ++k) lo[k] = hi[k] = x[k];
    for (int j = 8; j < group_size; j += 8) {
      for (int k = 0; k < 8; ++k) {
        lo[k] = x[j + k] < lo[k] ? x[j + k] : lo[k];
        hi[k] = x[j + k] > hi[k] ? x[j + k] : hi[k];
      }
    }
    float w_min = lo[0], w_max = hi[0];
    for (int k = 1; k < 8; ++k) {
      w_min = std::min(w_min, lo[k]);
      w_max = std::max(w_max, hi[k]);
    }
    const bool mask = std::abs(w_min) > std::abs(w_max);
    float scale = std::max((w_max - w_min) / n_bins, eps);
    scale = mask ? scale : -scale;
    const float edge = mask ? w_min : w_max;
    const float q0 = std::rint(edge / scale);
    float bias = 0;
    if (q0 != 0) {
      scale = edge / q0;
      bias = edge;
    }
    // q = clamp(rint((x - b) / s), 0, n_bins). Clamping to [-1, n_bins + 1] first keeps the
    // magic-number rounding in range and maps NaN to -1 (comparisons with NaN are false), then
    // to 0; written as selects so the loop vectorizes. Division (not a reciprocal multiply) to
    // match MLX bit for bit.
    for (int j = 0; j < group_size; ++j) {
      float v = (x[j] - bias) / scale;
      v = v > -1.0f ? v : -1.0f;
      v = v < n_bins + 1.0f ? v : n_bins + 1.0f;
      v = round_even_small(v);
      v = v > 0.0f ? v : 0.0f;
      v = v < n_bins ? v : n_bins;
      q[j] = static_cast<int32_t>(v);
    }
    if (bits == 4 || bits == 8 || bits == 2) {
      // Whole words per group: element k of a word at shift k * bits.
      const int per = 32 / bits;
      for (int j = 0; j < group_size; j += per) {
        uint32_t word = 0;
        for (int k = 0; k < per; ++k) word |= static_cast<uint32_t>(q[j + k]) << (k * bits);
        packed[wi++] = word;
      }
    } else {
      for (int j = 0; j < group_size; ++j) {
        acc |= static_cast<uint64_t>(q[j]) << have;
        have += bits;
        if (have >= 32) {
          packed[wi++] = static_cast<uint32_t>(acc);
          acc >>= 32;
          have -= 32;
        }
      }
    }
    store_scale(scales, scale_dtype, g, scale);
    store_scale(biases, scale_dtype, g, bias);
  }
}

void dequantize_row(const uint32_t* packed, const void* scales, const void* biases,
                    DType scale_dtype, int64_t cols, int bits, int group_size, float* out) {
  check_shape(cols, bits, group_size);
  check_scale_dtype(scale_dtype);
  const uint64_t mask = (1u << bits) - 1u;
  uint64_t acc = 0;
  int have = 0;
  int64_t wi = 0;
  for (int64_t g = 0; g < cols / group_size; ++g) {
    const float s = load_scale(scales, scale_dtype, g);
    const float b = load_scale(biases, scale_dtype, g);
    float* o = out + g * group_size;
    for (int j = 0; j < group_size; ++j) {
      if (have < bits) {
        acc |= static_cast<uint64_t>(packed[wi++]) << have;
        have += 32;
      }
      const float qv = static_cast<float>(acc & mask);
      acc >>= bits;
      have -= bits;
      o[j] = s * qv + b;
    }
  }
}

void quantize_matrix(const float* w, int64_t rows, int64_t cols, int bits, int group_size,
                     DType scale_dtype, uint32_t* packed, void* scales, void* biases) {
  check_shape(cols, bits, group_size);
  const int64_t words = packed_words_per_row(cols, bits);
  const int64_t groups = cols / group_size;
  const size_t ss = dtype_size(scale_dtype);
  for (int64_t r = 0; r < rows; ++r) {
    quantize_row(w + r * cols, cols, bits, group_size, scale_dtype, packed + r * words,
                 static_cast<std::byte*>(scales) + r * groups * ss,
                 static_cast<std::byte*>(biases) + r * groups * ss);
  }
}

void dequantize_matrix(const uint32_t* packed, const void* scales, const void* biases,
                       DType scale_dtype, int64_t rows, int64_t cols, int bits, int group_size,
                       float* out) {
  check_shape(cols, bits, group_size);
  const int64_t words = packed_words_per_row(cols, bits);
  const int64_t groups = cols / group_size;
  const size_t ss = dtype_size(scale_dtype);
  for (int64_t r = 0; r < rows; ++r) {
    dequantize_row(packed + r * words, static_cast<const std::byte*>(scales) + r * groups * ss,
                   static_cast<const std::byte*>(biases) + r * groups * ss, scale_dtype, cols,
                   bits, group_size, out + r * cols);
  }
}

}  // namespace abstractllm::engine::quant
