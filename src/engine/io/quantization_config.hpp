// The `quantization` block of an MLX model's config.json (also accepted as
// `quantization_config`, which mlx_lm.convert writes as an identical copy):
//
//   "quantization": {"group_size": 64, "bits": 4, "mode": "affine",
//                    "model.layers.0.mlp.down_proj": {"group_size": 64, "bits": 8},
//                    "lm_head": false}
//
// Top-level numbers are the defaults; any other key is a module path whose value overrides the
// defaults for that module (an object), or `false` (that module is not quantized). Which layers
// ARE quantized is decided by the weights, as in mlx-lm: a module is quantized iff
// "<path>.scales" exists; this config only says with which bits/group size/mode.
//
// Parsing lives in io (ModelConfig embeds it); src/engine/quant/quantization_config.hpp
// re-exports it for quantization code.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace abstractllm::engine {

struct QuantParams {
  int bits = 4;
  int group_size = 64;
  std::string mode = "affine";  // "affine" | "mxfp4" | "nvfp4" | "mxfp8"

  bool operator==(const QuantParams&) const = default;
};

struct QuantizationConfig {
  bool present = false;  // false: the config has no quantization block (float model)
  QuantParams defaults;
  // Module path ("model.layers.3.mlp.down_proj") -> its params, or nullopt = not quantized.
  std::map<std::string, std::optional<QuantParams>, std::less<>> overrides;

  // The params to use for `module_path`: its override if any (nullopt for `false`), else the
  // defaults. Meaningful only for modules whose "<path>.scales" exists.
  std::optional<QuantParams> for_module(std::string_view module_path) const;

  // Parses a quantization object. Validates: bits in {2,3,4,5,6,8} and group_size in
  // {32,64,128} for affine; mode known. mxfp4/nvfp4/mxfp8 parse (so the error can be precise)
  // but require_supported() rejects them. `source` names the file in errors.
  // Throws ModelLoadingError.
  static QuantizationConfig from_json(const nlohmann::json& j, const std::string& source);
  // Throws UnsupportedModelError if any mode in use is not affine.
  void require_supported(const std::string& source) const;
  // Serialises back to the config.json form (defaults + overrides).
  nlohmann::json to_json() const;
};

// Validates one (bits, group_size, mode) triple; throws ModelLoadingError naming `what`.
void validate_quant_params(const QuantParams& p, const std::string& what);

}  // namespace abstractllm::engine
