// Platform detection, generalised from the seed's Apple-Silicon check: which backend runs the
// model here, and whether a requested device is available.
#include <hwy/targets.h>

#include <thread>

#include "abstractllm/errors.hpp"
#include "abstractllm/providers/mlx.hpp"
#include "providers/mlx/backend.hpp"

namespace abstractllm::mlx {

BackendInfo detect_backend() {
  BackendInfo b;
  b.device = "cpu";
  const int64_t targets = hwy::SupportedTargets();
  const int64_t best = targets & -targets;  // Highway orders targets best-first by bit
  b.simd_target = best ? hwy::TargetName(best) : "scalar";
  b.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
#ifdef ABSTRACTLLM_WITH_CUDA
  b.cuda_built = true;
#endif
  b.cuda_available = false;  // no CUDA backend in this build of the engine yet
  b.description = "CPU (" + b.simd_target + ", " + std::to_string(b.threads) + " threads)";
  return b;
}

std::string select_device(const std::string& requested) {
  if (requested.empty() || requested == "auto" || requested == "cpu") return "cpu";
  if (requested == "cuda")
    throw UnsupportedFeatureError(
        "cuda",
        "device 'cuda' is not available: this build of abstractllm has no CUDA backend; use "
        "device 'cpu' or 'auto'",
        "mlx");
  if (requested == "metal")
    throw UnsupportedFeatureError(
        "metal",
        "device 'metal' is not available: Apple's MLX/Metal is not built into abstractllm; its own "
        "engine runs MLX-format models on the CPU (device 'cpu' or 'auto')",
        "mlx");
  throw InvalidParameterError("device", "parameter 'device' must be 'auto', 'cpu' or 'cuda', got '" +
                                            requested + "'",
                              "mlx");
}

}  // namespace abstractllm::mlx
