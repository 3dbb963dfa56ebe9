// Registers the providers built into the library. This file is compiled into an OBJECT library
// so its static initializer is always linked (a static library would let the linker drop it).
#include "abstractllm/providers/mlx.hpp"

namespace abstractllm::providers {
namespace {
const bool kMlxRegistered = mlx::register_mlx_provider();
}  // namespace
}  // namespace abstractllm::providers
