// MLX affine quantization, bit-exact with MLX (mlx/ops.cpp affine_quantize, and the CPU
// backend's quantize/extract_bits in mlx/backend/cpu/quantized.cpp).
//
// A weight matrix W[rows][cols] is cut into groups of `group_size` consecutive elements along
// cols (the input dimension). Each group g has a scale s and a bias b and stores
// q in [0, 2^bits - 1] per element:  w ≈ s * q + b.
//
// Layout ("packed"): per row, the q values form one little-endian, least-significant-bit-first
// bit stream: element i occupies bits [i*bits, (i+1)*bits) of the row. The stream is stored as
// uint32 words: cols * bits / 32 words per row. For 2/4/8 bits this is word j holding elements
// [j*32/bits, (j+1)*32/bits) with element k at shift k*bits; for 3/5/6 bits, MLX packs 8 (3,5)
// or 4 (6) values into 3/5/3 bytes LSB-first and views the bytes as uint32 — the same stream,
// with values crossing byte and word boundaries. Scales/biases are [rows][cols/group_size] in
// the weight's original float dtype (f16/bf16/f32).
//
// Quantize (per group, in f32 as MLX's CPU kernel does):
//   max, min over the group; mask = |min| > |max|;
//   s = max((max - min) / (2^bits - 1), 1e-7); s = mask ? s : -s     (negative scales happen)
//   edge = mask ? min : max; q0 = rint(edge / s)
//   if q0 != 0: s = edge / q0; b = edge   else b = 0     (0 sits on a level)
//   q = clamp(rint((w - b) / s), 0, 2^bits - 1)  using the f32 s and b;
//   stored scale/bias = s, b rounded to the output dtype (round to nearest even).
// rint rounds half to even.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/io/safetensors.hpp"

namespace abstractllm::engine::quant {

// bits in {2,3,4,5,6,8}.
bool valid_bits(int bits);
// group_size in {32,64,128}.
bool valid_group_size(int group_size);

// uint32 words holding one row of `cols` values (cols * bits must be a multiple of 32, which
// holds whenever cols is a multiple of 32). Returns 0 if it is not.
int64_t packed_words_per_row(int64_t cols, int bits);
// Logical columns of a packed row of `words` uint32 words.
inline int64_t unpacked_cols(int64_t words, int bits) { return words * 32 / bits; }

// Packs n values (each < 2^bits) into the LSB-first stream at `out` (ceil(n*bits/32) words;
// trailing bits of the last word zeroed).
void pack(const uint8_t* q, int64_t n, int bits, uint32_t* out);
// Extracts n values from the stream.
void unpack(const uint32_t* packed, int64_t n, int bits, uint8_t* q);
// The single value at index i of the stream.
uint32_t unpack_one(const uint32_t* packed, int64_t i, int bits);

// Quantizes one row w[cols] (cols a multiple of group_size) as MLX does. Writes the packed
// row (packed_words_per_row words), and cols/group_size scales and biases in `scale_dtype`
// (F32, F16 or BF16) to scales/biases (raw little-endian bytes).
void quantize_row(const float* w, int64_t cols, int bits, int group_size, DType scale_dtype,
                  uint32_t* packed, void* scales, void* biases);

// Dequantizes one packed row: out[c] = scale * q + bias, in f32, scales/biases read as
// `scale_dtype` (F32, F16 or BF16). Computed as fma-free float: float(s) * float(q) + float(b).
void dequantize_row(const uint32_t* packed, const void* scales, const void* biases,
                    DType scale_dtype, int64_t cols, int bits, int group_size, float* out);

// Whole-matrix helpers (row-major), same semantics as the row functions.
void quantize_matrix(const float* w, int64_t rows, int64_t cols, int bits, int group_size,
                     DType scale_dtype, uint32_t* packed, void* scales, void* biases);
void dequantize_matrix(const uint32_t* packed, const void* scales, const void* biases,
                       DType scale_dtype, int64_t rows, int64_t cols, int bits, int group_size,
                       float* out);

}  // namespace abstractllm::engine::quant
