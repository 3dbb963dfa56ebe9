// SIMD gated activations (Highway, runtime dispatch) for ops::gated_activation.
#pragma once

#include <cstdint>

namespace abstractllm::engine::ops::kernels {

// gate[i] = silu(gate[i]) * up[i] for i in [0, n): x / (1 + e^-x) with Highway's Exp (max
// error 1 ULP), so within a few ULP of the scalar std::exp formula.
void silu_mul(float* gate, const float* up, int64_t n);

// gate[i] = gelu_tanh(gate[i]) * up[i]: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) with
// Highway's Tanh (max error 4 ULP).
void gelu_tanh_mul(float* gate, const float* up, int64_t n);

}  // namespace abstractllm::engine::ops::kernels
