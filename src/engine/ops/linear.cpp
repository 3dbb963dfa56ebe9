// linear(): validation, dispatch to the SIMD kernels (kernel_*.cpp), and the portable
// fallback (dequantize a row once, reuse it for every token). Also linear_reference and
// dequantize_row.
#include "engine/ops/linear.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "abstractllm/errors.hpp"
#include "engine/ops/kernel_common.hpp"
#include "engine/ops/kernel_linear.hpp"
#include "engine/ops/tiled_weights.hpp"

namespace abstractllm::engine::ops {
namespace detail {

void validate(const WeightMatrix& w) {
  if (w.rows <= 0 || w.cols <= 0) {
    throw InvalidParameterError("rows/cols",
                                "linear: weight matrix must have rows > 0 and cols > 0, got " +
                                    std::to_string(w.rows) + "x" + std::to_string(w.cols));
  }
  if (w.data == nullptr) {
    throw InvalidParameterError("data", "linear: weight matrix data pointer is null");
  }
  if (w.layout == WeightLayout::Tiles16 && w.format != WeightFormat::Affine) {
    throw InvalidParameterError("layout", "linear: a Tiles16 matrix must be affine (4- or 8-bit)");
  }
  if (w.format != WeightFormat::Affine) return;
  if (w.bits != 2 && w.bits != 3 && w.bits != 4 && w.bits != 5 && w.bits != 6 && w.bits != 8) {
    throw InvalidParameterError(
        "bits", "linear: affine bits must be 2, 3, 4, 5, 6 or 8, got " + std::to_string(w.bits));
  }
  if (w.group_size != 32 && w.group_size != 64 && w.group_size != 128) {
    throw InvalidParameterError(
        "group_size",
        "linear: affine group_size must be 32, 64 or 128, got " + std::to_string(w.group_size));
  }
  if (w.cols % w.group_size != 0) {
    throw InvalidParameterError("cols", "linear: cols (" + std::to_string(w.cols) +
                                            ") must be a multiple of group_size (" +
                                            std::to_string(w.group_size) + ")");
  }
  if (w.scales == nullptr || w.biases == nullptr) {
    throw InvalidParameterError("scales/biases", "linear: affine weight needs scales and biases");
  }
  if (w.layout == WeightLayout::Tiles16 &&
      ((w.bits != 4 && w.bits != 8) || w.rows % kTileRows != 0 ||
       w.scale_type == ScaleType::F32)) {
    throw InvalidParameterError("layout",
                                "linear: a Tiles16 matrix must be 4- or 8-bit with f16/bf16 scales "
                                "and rows a multiple of 16, got " +
                                    std::to_string(w.bits) + "-bit, " + std::to_string(w.rows) +
                                    " rows");
  }
}

}  // namespace detail

void dequantize_row(const WeightMatrix& w, int64_t row, float* out) {
  detail::validate(w);
  if (row < 0 || row >= w.rows) {
    throw InvalidParameterError("row", "dequantize_row: row " + std::to_string(row) +
                                           " out of range [0, " + std::to_string(w.rows) + ")");
  }
  const int64_t cols = w.cols;
  switch (w.format) {
    case WeightFormat::F32: {
      const float* src = static_cast<const float*>(w.data) + row * cols;
      std::copy(src, src + cols, out);
      return;
    }
    case WeightFormat::F16: {
      const uint16_t* src = static_cast<const uint16_t*>(w.data) + row * cols;
      for (int64_t c = 0; c < cols; ++c) out[c] = detail::f16_to_f32(src[c]);
      return;
    }
    case WeightFormat::BF16: {
      const uint16_t* src = static_cast<const uint16_t*>(w.data) + row * cols;
      for (int64_t c = 0; c < cols; ++c) out[c] = detail::bf16_to_f32(src[c]);
      return;
    }
    case WeightFormat::Affine:
      break;
  }
  if (w.layout == WeightLayout::Tiles16) return dequantize_tiled_row(w, row, out);
  const int64_t row_bytes = detail::affine_row_bytes(cols, w.bits);
  const uint8_t* src = static_cast<const uint8_t*>(w.data) + row * row_bytes;
  const int64_t groups = cols / w.group_size;
  for (int64_t g = 0; g < groups; ++g) {
    const float s = detail::load_scalar(w.scales, w.scale_type, row * groups + g);
    const float b = detail::load_scalar(w.biases, w.scale_type, row * groups + g);
    for (int64_t c = g * w.group_size; c < (g + 1) * w.group_size; ++c) {
      out[c] = s * static_cast<float>(detail::affine_value(src, row_bytes, c, w.bits)) + b;
    }
  }
}

void linear_reference(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y) {
  detail::validate(w);
  std::vector<float> row(static_cast<size_t>(w.cols));
  for (int64_t r = 0; r < w.rows; ++r) {
    dequantize_row(w, r, row.data());
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* xt = x + t * w.cols;
      double acc = 0.0;
      for (int64_t c = 0; c < w.cols; ++c) acc += static_cast<double>(row[c]) * xt[c];
      y[t * w.rows + r] = static_cast<float>(acc);
    }
  }
}

namespace {

// Portable path: each row is dequantized once into a per-thread buffer and reused for all
// tokens. Eight partial sums let the compiler vectorise the dot product.
void linear_fallback(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                     ThreadPool& pool) {
  const int64_t cols = w.cols;
  pool.parallel_for(w.rows, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> buf;
    if (buf.size() < static_cast<size_t>(cols)) buf.resize(static_cast<size_t>(cols));
    for (int64_t r = begin; r < end; ++r) {
      dequantize_row(w, r, buf.data());
      for (int64_t t = 0; t < n_tokens; ++t) {
        const float* xt = x + t * cols;
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t c = 0;
        for (; c + 8 <= cols; c += 8) {
          for (int k = 0; k < 8; ++k) acc[k] += buf[c + k] * xt[c + k];
        }
        float sum = 0.0f;
        for (; c < cols; ++c) sum += buf[c] * xt[c];
        for (int k = 0; k < 8; ++k) sum += acc[k];
        y[t * w.rows + r] = sum;
      }
    }
  });
}

}  // namespace

namespace detail {

// A Tiles16 matrix where no kernel reads it (a CPU without AVX512-VNNI): blocks of rows
// untiled into scratch (~4 MiB of weights at a time, so no second copy of the matrix), each
// multiplied by the Rows kernels into a block of outputs that is then scattered into y.
void linear_untiled(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                    ThreadPool& pool) {
  const int64_t row_bytes = w.cols * w.bits / 8, groups = w.cols / w.group_size;
  const int64_t chunk =
      std::min(w.rows, std::max(kTileRows, (int64_t{4} << 20) / row_bytes / kTileRows * kTileRows));
  std::vector<uint8_t> data(static_cast<size_t>(chunk * row_bytes));
  std::vector<uint16_t> scales(static_cast<size_t>(chunk * groups));
  std::vector<uint16_t> biases(static_cast<size_t>(chunk * groups));
  std::vector<float> out(static_cast<size_t>(n_tokens * chunk));
  for (int64_t r0 = 0; r0 < w.rows; r0 += chunk) {
    const int64_t n = std::min(chunk, w.rows - r0);
    untile_rows(w, r0, n, data.data(), scales.data(), biases.data());
    WeightMatrix part = w;
    part.layout = WeightLayout::Rows;
    part.rows = n;
    part.data = data.data();
    part.scales = scales.data();
    part.biases = biases.data();
    if (!kernels::try_linear(part, x, n_tokens, out.data(), pool)) {
      linear_fallback(part, x, n_tokens, out.data(), pool);
    }
    for (int64_t t = 0; t < n_tokens; ++t) {
      std::copy_n(out.data() + t * n, n, y + t * w.rows + r0);
    }
  }
}

}  // namespace detail

void linear(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  detail::validate(w);
  if (n_tokens <= 0) return;
  if (w.layout == WeightLayout::Tiles16) {
    const WeightMatrix* ws[1] = {&w};
    float* ys[1] = {y};
    if (n_tokens == 1 && kernels::try_decode_tiles(ws, ys, 1, x, pool)) return;
    if (n_tokens > 1 && kernels::try_prefill_tiles(w, x, n_tokens, y, pool)) return;
    return detail::linear_untiled(w, x, n_tokens, y, pool);
  }
  if (kernels::try_linear(w, x, n_tokens, y, pool)) return;
  linear_fallback(w, x, n_tokens, y, pool);
}

void linear_group(std::span<const WeightMatrix* const> ws, const float* x, int64_t n_tokens,
                  std::span<float* const> ys, ThreadPool& pool) {
  if (ws.size() != ys.size()) {
    std::string msg = "linear_group: ";
    msg += std::to_string(ws.size());
    msg += " matrices but ";
    msg += std::to_string(ys.size());
    msg += " outputs";
    throw InvalidParameterError("ys", msg);
  }
  for (const WeightMatrix* w : ws) detail::validate(*w);
  if (n_tokens <= 0 || ws.empty()) return;
  const bool tiled = std::any_of(ws.begin(), ws.end(), [](const WeightMatrix* w) {
    return w->layout == WeightLayout::Tiles16;
  });
  if (tiled) {
    if (n_tokens == 1 &&
        kernels::try_decode_tiles(ws.data(), ys.data(), static_cast<int>(ws.size()), x, pool)) {
      return;
    }
    for (size_t i = 0; i < ws.size(); ++i) linear(*ws[i], x, n_tokens, ys[i], pool);
    return;
  }
  if (kernels::try_linear_group(ws.data(), ys.data(), static_cast<int>(ws.size()), x, n_tokens,
                                pool)) {
    return;
  }
  for (size_t i = 0; i < ws.size(); ++i) linear(*ws[i], x, n_tokens, ys[i], pool);
}

}  // namespace abstractllm::engine::ops
