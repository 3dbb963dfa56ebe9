// Linear layers over weights kept in their stored format (no dequantized copy of the model).
//
//   y[t][r] = sum_c W[r][c] * x[t][c]      for t < n_tokens, r < rows
//
// W is a view into the memory-mapped model file: float (f32/f16/bf16) or MLX affine-quantized
// (bits 2,3,4,5,6,8; group_size 32/64/128; w = scale * q + bias per group along the input
// dimension; q packed little-endian LSB-first into uint32 words, a row's words contiguous).
// n_tokens == 1 is the decode matvec (memory-bound); n_tokens > 1 is prefill (compute-bound).
// Implementation (linear.cpp and kernels) is owned by the CPU-performance work; a plain
// reference (linear_reference) exists for tests.
#pragma once

#include <cstdint>
#include <span>

#include "engine/ops/thread_pool.hpp"

namespace abstractllm::engine::ops {

enum class WeightFormat { F32, F16, BF16, Affine };
enum class ScaleType { F32, F16, BF16 };

// Where an affine matrix's bytes are. Rows: as MLX stores them (above), straight from the file.
// Tiles16: repacked at load for decoding (tiled_weights.hpp; 4-bit, f16/bf16 scales, rows a
// multiple of 16): sixteen rows' groups interleaved with their scales and biases, one stream.
enum class WeightLayout { Rows, Tiles16 };

struct WeightMatrix {
  WeightFormat format = WeightFormat::F32;
  int64_t rows = 0;            // output features
  int64_t cols = 0;            // input features (logical, unpacked)
  const void* data = nullptr;  // float formats: rows*cols elements; Affine: packed uint32 words
  // Affine only:
  int bits = 0;
  int group_size = 0;
  ScaleType scale_type = ScaleType::F16;
  const void* scales = nullptr;  // [rows][cols / group_size]
  const void* biases = nullptr;  // [rows][cols / group_size]
  // Tiles16: data holds the weights, scales and biases together; scales and biases point to
  // it too (unused).
  WeightLayout layout = WeightLayout::Rows;
};

// y: n_tokens x rows, row-major. x: n_tokens x cols, row-major.
void linear(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

// linear() of several matrices with the same input (q/k/v, gate/up): ys[i] = ws[i] · x. The
// results are those of separate linear() calls; at decode, same-layout quantized matrices run
// in one parallel region (one barrier, activations quantized once).
void linear_group(std::span<const WeightMatrix* const> ws, const float* x, int64_t n_tokens,
                  std::span<float* const> ys, ThreadPool& pool);

// The same computation, one scalar loop, for tests: the exact value of each dequantized weight
// (converted to float) times x, accumulated in double.
void linear_reference(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y);

// Dequantize/convert row `row` of w into out[cols] (embedding lookup, tied embeddings).
void dequantize_row(const WeightMatrix& w, int64_t row, float* out);

}  // namespace abstractllm::engine::ops
