#include "engine/ops/kernel_linear.hpp"

namespace abstractllm::engine::ops::kernels {

bool try_linear(const WeightMatrix&, const float*, int64_t, float*, ThreadPool&) { return false; }

}  // namespace abstractllm::engine::ops::kernels
