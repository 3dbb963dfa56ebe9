// Parsing of the `quantization` / `quantization_config` block (see quantization_config.hpp).
#include "engine/io/quantization_config.hpp"

#include <nlohmann/json.hpp>

#include "abstractllm/errors.hpp"

namespace abstractllm::engine {

namespace {

bool is_known_mode(const std::string& m) {
  return m == "affine" || m == "mxfp4" || m == "nvfp4" || m == "mxfp8";
}

// Defaults mlx applies per mode when a field is absent.
QuantParams mode_defaults(const std::string& mode) {
  if (mode == "mxfp4") return {4, 32, mode};
  if (mode == "nvfp4") return {4, 16, mode};
  if (mode == "mxfp8") return {8, 32, mode};
  return {4, 64, "affine"};
}

int read_int(const nlohmann::json& j, const char* key, int fallback, const std::string& what) {
  if (!j.contains(key)) return fallback;
  const auto& v = j[key];
  if (!v.is_number_integer()) {
    throw ModelLoadingError(what + ": \"" + key + "\" must be an integer, got " + v.dump());
  }
  const auto x = v.get<int64_t>();
  if (x < 0 || x > 1 << 20) throw ModelLoadingError(what + ": \"" + key + "\" out of range");
  return static_cast<int>(x);
}

QuantParams parse_params(const nlohmann::json& j, const QuantParams* inherit,
                         const std::string& what, bool require_numbers) {
  std::string mode = inherit ? inherit->mode : "affine";
  if (j.contains("mode")) {
    if (!j["mode"].is_string()) throw ModelLoadingError(what + ": \"mode\" must be a string");
    mode = j["mode"].get<std::string>();
  }
  QuantParams base = inherit && inherit->mode == mode ? *inherit : mode_defaults(mode);
  if (require_numbers && mode == "affine" && (!j.contains("bits") || !j.contains("group_size"))) {
    throw ModelLoadingError(what + ": affine quantization needs \"bits\" and \"group_size\"");
  }
  QuantParams p;
  p.mode = mode;
  p.bits = read_int(j, "bits", base.bits, what);
  p.group_size = read_int(j, "group_size", base.group_size, what);
  validate_quant_params(p, what);
  return p;
}

}  // namespace

void validate_quant_params(const QuantParams& p, const std::string& what) {
  if (!is_known_mode(p.mode)) {
    throw ModelLoadingError(what + ": unknown quantization mode \"" + p.mode +
                            "\" (expected affine, mxfp4, nvfp4 or mxfp8)");
  }
  if (p.mode != "affine") return;  // checked by require_supported
  if (p.bits != 2 && p.bits != 3 && p.bits != 4 && p.bits != 5 && p.bits != 6 && p.bits != 8) {
    throw ModelLoadingError(what + ": affine quantization bits " + std::to_string(p.bits) +
                            " not supported (expected 2, 3, 4, 5, 6 or 8)");
  }
  if (p.group_size != 32 && p.group_size != 64 && p.group_size != 128) {
    throw ModelLoadingError(what + ": affine quantization group_size " +
                            std::to_string(p.group_size) + " not supported (expected 32, 64 or 128)");
  }
}

std::optional<QuantParams> QuantizationConfig::for_module(std::string_view module_path) const {
  auto it = overrides.find(module_path);
  if (it != overrides.end()) return it->second;
  return defaults;
}

QuantizationConfig QuantizationConfig::from_json(const nlohmann::json& j,
                                                 const std::string& source) {
  const std::string what = source + " quantization";
  if (!j.is_object()) throw ModelLoadingError(what + ": expected an object, got " + j.dump());
  QuantizationConfig q;
  q.present = true;
  q.defaults = parse_params(j, nullptr, what, true);
  for (auto& [key, value] : j.items()) {
    if (key == "bits" || key == "group_size" || key == "mode") continue;
    const std::string owhat = what + " override \"" + key + "\"";
    if (value.is_boolean()) {
      if (value.get<bool>()) {
        q.overrides[key] = q.defaults;
      } else {
        q.overrides[key] = std::nullopt;
      }
    } else if (value.is_object()) {
      q.overrides[key] = parse_params(value, &q.defaults, owhat, false);
    }
    // Other keys (e.g. HF's "quant_method") are not module overrides: ignored.
  }
  return q;
}

void QuantizationConfig::require_supported(const std::string& source) const {
  auto check = [&](const QuantParams& p, const std::string& where) {
    if (p.mode != "affine") {
      throw UnsupportedModelError(source + ": quantization mode \"" + p.mode + "\"" + where +
                                  " is not supported yet (only MLX affine quantization: "
                                  "bits 2-8, group_size 32/64/128)");
    }
  };
  if (!present) return;
  check(defaults, "");
  for (const auto& [k, v] : overrides)
    if (v) check(*v, " (for " + k + ")");
}

nlohmann::json QuantizationConfig::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  j["group_size"] = defaults.group_size;
  j["bits"] = defaults.bits;
  j["mode"] = defaults.mode;
  for (const auto& [k, v] : overrides) {
    if (v) {
      j[k] = {{"group_size", v->group_size}, {"bits", v->bits}, {"mode", v->mode}};
    } else {
      j[k] = false;
    }
  }
  return j;
}

}  // namespace abstractllm::engine
