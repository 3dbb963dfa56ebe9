// SIMD linear kernels (Highway, runtime dispatch). try_linear returns false when no kernel
// covers the weight format, and linear() then uses its portable fallback.
#pragma once

#include <cstdint>

#include "engine/ops/linear.hpp"

namespace abstractllm::engine::ops::kernels {

bool try_linear(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                ThreadPool& pool);

}  // namespace abstractllm::engine::ops::kernels
