// The Tiles16 layout: 4- and 8-bit affine weights repacked at load so that one decode step reads
// each matrix as one stream per thread, in whole 64-byte lines, with no horizontal sums.
//
// MLX stores a quantized matrix as three arrays: packed rows, then [rows][groups] scales, then
// biases. A decode kernel reading them runs three streams a thread, the scales' and biases' at
// 1/16 of the weights' pace, and on Zen 5 a pure read of those bytes reached 0.66-0.69 of the
// probe against 0.78-0.87 for the weights alone (docs/performance.md, "Zen 5, token by token").
// Tiles16 keeps the same bytes, reordered:
//
//   tile t = rows [16 t, 16 t + 16); column block c = columns [2048 c, 2048 c + 2048) (the last
//   one what is left); group g (group_size G values a row, G * bits / 8 bytes) of a tile is one
//   block of 2 G bits + 64 bytes:
//     G * bits / 32 slices of 64 bytes: slice k holds, for row i = 0..15, that row's packed
//       bytes [4 k, 4 k + 4) of the group at bytes [4 i, 4 i + 4) (4-bit: values 8k..8k+7, byte
//       b holding value 8k + 2b in its low nibble and 8k + 2b + 1 in its high one, as MLX packs
//       them; 8-bit: values 4k..4k+3);
//     16 scales (f16 or bf16, row order), then 16 biases.
//   Column block by column block, then tile by tile, then group by group: all tiles' groups of
//   column block 0, then of block 1, and so on.
//
// Why column blocks: the kernel reuses each column block's activations (4 KiB at the two-pass
// precision) for every tile, and they stay in L1 only if little else passes between two uses.
// With whole rows of 8192 columns (Llama-1B's down_proj, 72 KiB of weights a tile) a
// standalone copy of the loop streamed 23-27 GB/s; with the activations' footprint cut to
// 4 KiB, 37-38 (Zen 5, one thread).
//
// A 512-bit vector of a slice holds one 4-byte piece of each of sixteen rows, so `vpdpbusd`
// with four activation bytes broadcast gives each row's partial dot product in its own lane:
// sixteen rows' outputs come out in one vector (kernel_decode_tiles-inl.h).
//
// The total is the same as the three arrays' (tiled_bytes), so a tiled model holds one copy of
// its weights when the file's pages are released after repacking (model::tile_weights).
#pragma once

#include <cstdint>

#include "engine/ops/linear.hpp"
#include "engine/ops/thread_pool.hpp"

namespace abstractllm::engine::ops {

inline constexpr int64_t kTileRows = 16;
inline constexpr int64_t kTileBlockCols = 2048;  // columns of a column block (but the last)

// Where group g of tile t starts in a Tiles16 matrix's data (bytes).
int64_t tiled_group_offset(const WeightMatrix& w, int64_t t, int64_t g);

// Row `row`'s scale and bias of group g in a Tiles16 matrix, as floats.
void tiled_scale_bias(const WeightMatrix& w, int64_t row, int64_t g, float& scale, float& bias);

// Whether w (Rows layout) has a Tiles16 form: 4- or 8-bit affine, f16 or bf16 scales, rows a
// multiple of 16. (Whether this CPU has a kernel for it is tiled_decode_supported().)
bool tileable(const WeightMatrix& w);

// Bytes of one group block (2 G bits + 64) and of w's whole Tiles16 form (0 when it has none).
int64_t tiled_group_bytes(int group_size, int bits);
int64_t tiled_bytes(const WeightMatrix& w);

// Writes w's Tiles16 form to out (tiled_bytes(w) bytes; 64-byte aligned for the kernel's
// aligned loads) and returns the view of it. Tiles in parallel on pool. Throws
// InvalidParameterError (naming the field) when w is not tileable.
WeightMatrix tile(const WeightMatrix& w, void* out, ThreadPool& pool);

// Rows [r0, r0 + n) of a Tiles16 matrix back in the Rows layout (r0 and n multiples of 16):
// n * cols * bits / 8 bytes of packed rows to data, n * groups scales and biases (2 bytes each).
void untile_rows(const WeightMatrix& w, int64_t r0, int64_t n, uint8_t* data, void* scales,
                 void* biases);

// One row of a Tiles16 matrix dequantized (dequantize_row's Tiles16 case).
void dequantize_tiled_row(const WeightMatrix& w, int64_t row, float* out);

// Whether this CPU has the Tiles16 decode kernel (AVX-512 VNNI). Without it, a tiled matrix
// still works (linear() untiles blocks of rows into scratch), only slower: model::tile_weights
// tiles nothing there.
bool tiled_decode_supported();

namespace detail {
// linear() of a Tiles16 matrix where no kernel reads the layout (a CPU without AVX512-VNNI):
// blocks of ~4 MiB of rows untiled into scratch and multiplied by the Rows kernels. Declared
// here so that tests reach it on CPUs that have the kernels.
void linear_untiled(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                    ThreadPool& pool);
}  // namespace detail

}  // namespace abstractllm::engine::ops
