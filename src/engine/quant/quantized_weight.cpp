// resolve_linear: a module's weight, quantized or float, validated (see quantized_weight.hpp).
#include "engine/quant/quantized_weight.hpp"

#include "abstractllm/errors.hpp"
#include "engine/io/half.hpp"
#include "engine/quant/affine.hpp"

namespace abstractllm::engine::quant {

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

[[noreturn]] void fail(const WeightStore& store, const std::string& tensor,
                       const std::string& what) {
  std::string file;
  if (store.has(tensor)) file = store.file_of(tensor).string();
  throw ModelLoadingError("tensor '" + tensor + "'" + (file.empty() ? "" : " in " + file) + ": " +
                              what,
                          {}, {{"tensor", tensor}, {"path", file.empty() ? store.folder().string() : file}});
}

}  // namespace

LinearWeight resolve_linear(const WeightStore& store, const std::string& path,
                            const QuantizationConfig& config) {
  LinearWeight lw;
  const std::string wname = path + ".weight";
  const TensorView& w = store.get(wname);
  lw.weight = &w;
  lw.bias = store.find(path + ".bias");
  const TensorView* scales = store.find(path + ".scales");
  if (scales == nullptr) {
    if (!is_float_dtype(w.dtype) || w.dtype == DType::F64 || w.ndim() != 2) {
      fail(store, wname, "expected a 2-D F32/F16/BF16 matrix (no " + path +
                             ".scales, so not quantized), got " +
                             std::string(dtype_name(w.dtype)) + " " + shape_str(w.shape));
    }
    lw.rows = w.shape[0];
    lw.cols = w.shape[1];
  } else {
    auto p = config.for_module(path);
    if (!config.present) {
      fail(store, path + ".scales",
           "the weights are quantized but config.json has no \"quantization\" block");
    }
    if (!p) {
      fail(store, path + ".scales",
           "config.json's quantization says this module is not quantized (false), "
           "but its scales exist");
    }
    if (p->mode != "affine") {
      throw UnsupportedModelError("module " + path + " uses quantization mode \"" + p->mode +
                                  "\", which is not supported yet (only affine)");
    }
    lw.quantized = true;
    lw.params = *p;
    lw.scales = scales;
    lw.biases = store.find(path + ".biases");
    if (lw.biases == nullptr) fail(store, path + ".scales", "affine mode needs " + path + ".biases");
    if (w.dtype != DType::U32 || w.ndim() != 2) {
      fail(store, wname, "quantized weight must be a 2-D U32 tensor, got " +
                             std::string(dtype_name(w.dtype)) + " " + shape_str(w.shape));
    }
    const DType sd = scales->dtype;
    if (sd != DType::F16 && sd != DType::BF16 && sd != DType::F32) {
      fail(store, path + ".scales",
           "scales must be F16, BF16 or F32, got " + std::string(dtype_name(sd)));
    }
    if (lw.biases->dtype != sd || lw.biases->shape != scales->shape) {
      fail(store, path + ".biases",
           "biases must match scales (" + std::string(dtype_name(sd)) + " " +
               shape_str(scales->shape) + "), got " + std::string(dtype_name(lw.biases->dtype)) +
               " " + shape_str(lw.biases->shape));
    }
    lw.rows = w.shape[0];
    lw.cols = unpacked_cols(w.shape[1], p->bits);
    const int64_t groups = lw.cols / p->group_size;
    if (lw.cols % p->group_size != 0 || scales->ndim() != 2 || scales->shape[0] != lw.rows ||
        scales->shape[1] != groups) {
      fail(store, path + ".scales",
           "shape " + shape_str(scales->shape) + " does not match weight " + shape_str(w.shape) +
               " with bits=" + std::to_string(p->bits) + ", group_size=" +
               std::to_string(p->group_size) + " (expected [" + std::to_string(lw.rows) + ", " +
               std::to_string(groups) + "]; is the config's quantization right?)");
    }
  }
  if (lw.bias != nullptr) {
    if (!is_float_dtype(lw.bias->dtype) || lw.bias->dtype == DType::F64 ||
        lw.bias->shape != std::vector<int64_t>{lw.rows}) {
      fail(store, path + ".bias",
           "expected a float vector of " + std::to_string(lw.rows) + " entries, got " +
               std::string(dtype_name(lw.bias->dtype)) + " " + shape_str(lw.bias->shape));
    }
  }
  return lw;
}

void linear_row_to_f32(const LinearWeight& w, int64_t row, float* out) {
  if (row < 0 || row >= w.rows) {
    throw InvalidParameterError("row", "row " + std::to_string(row) + " out of range [0, " +
                                           std::to_string(w.rows) + ")");
  }
  if (w.quantized) {
    const int64_t words = w.weight->shape[1];
    const int64_t groups = w.scales->shape[1];
    const size_t ss = dtype_size(w.scales->dtype);
    dequantize_row(w.weight->as<uint32_t>() + row * words, w.scales->data + row * groups * ss,
                   w.biases->data + row * groups * ss, w.scales->dtype, w.cols, w.params.bits,
                   w.params.group_size, out);
    return;
  }
  const int64_t off = row * w.cols;
  switch (w.weight->dtype) {
    case DType::F32:
      for (int64_t c = 0; c < w.cols; ++c) out[c] = w.weight->as<float>()[off + c];
      break;
    case DType::F16:
      for (int64_t c = 0; c < w.cols; ++c) out[c] = f16_to_f32(w.weight->as<uint16_t>()[off + c]);
      break;
    default:
      for (int64_t c = 0; c < w.cols; ++c) out[c] = bf16_to_f32(w.weight->as<uint16_t>()[off + c]);
      break;
  }
}

}  // namespace abstractllm::engine::quant
