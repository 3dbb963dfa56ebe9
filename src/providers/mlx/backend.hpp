// Device selection for the mlx provider.
#pragma once

#include <string>

namespace abstractllm::mlx {

// Maps the DEVICE parameter ("auto", "cpu", "cuda", "metal") to the device that will run the
// model, or throws UnsupportedFeatureError naming the device when this build/machine lacks it.
std::string select_device(const std::string& requested);

}  // namespace abstractllm::mlx
