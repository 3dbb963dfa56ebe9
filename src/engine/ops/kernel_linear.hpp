// SIMD linear kernels (Highway, runtime dispatch). try_linear returns false when no kernel
// covers the weight format, and linear() then uses its portable fallback.
#pragma once

#include <cstdint>

#include "engine/ops/linear.hpp"

namespace abstractllm::engine::ops::kernels {

bool try_linear(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                ThreadPool& pool);

// Several matrices applied to the same x in one parallel region, when a kernel covers them all
// (decode of same-layout 2/4/8-bit affine matrices); false: the caller runs them one by one.
bool try_linear_group(const WeightMatrix* const* ws, float* const* ys, int n, const float* x,
                      int64_t n_tokens, ThreadPool& pool);

// Decode (one token) of Tiles16 matrices (tiled_weights.hpp) sharing x, in one parallel region;
// false when this CPU has no Tiles16 kernel (has_tiled_decode) or they are not alike.
bool try_decode_tiles(const WeightMatrix* const* ws, float* const* ys, int n, const float* x,
                      ThreadPool& pool);
bool has_tiled_decode();
// Prefill (n_tokens > 1) of a Tiles16 matrix read in place (the AVX512-VNNI prefill kernel);
// false where that kernel is missing.
bool try_prefill_tiles(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                       ThreadPool& pool);

// How finely the kernel chosen on this CPU rounds the activations for this matrix and token
// count: 0 = not at all (float arithmetic), otherwise L levels per sign per weight group
// (step max|x_g| / L): 32767 for the int16 decode kernels, 127 for the int8 4-bit kernels.
// Tests derive their error bound from it.
int activation_levels(const WeightMatrix& w, int64_t n_tokens);

}  // namespace abstractllm::engine::ops::kernels
