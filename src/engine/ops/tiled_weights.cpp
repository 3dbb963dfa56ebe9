#include "engine/ops/tiled_weights.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "abstractllm/errors.hpp"
#include "engine/ops/kernel_common.hpp"
#include "engine/ops/kernel_linear.hpp"

namespace abstractllm::engine::ops {
namespace {

constexpr int64_t kScaleBytes = 2;  // f16 or bf16

// Byte j of row i's packed group inside a group block.
inline int64_t slice_offset(int64_t i, int64_t j) { return 64 * (j / 4) + 4 * i + j % 4; }

void require_tiled(const WeightMatrix& w, const char* what) {
  if (w.layout != WeightLayout::Tiles16) {
    throw InvalidParameterError("layout", std::string(what) + ": weight matrix is not Tiles16");
  }
}

}  // namespace

bool tileable(const WeightMatrix& w) {
  return w.layout == WeightLayout::Rows && w.format == WeightFormat::Affine &&
         (w.bits == 4 || w.bits == 8) &&
         (w.group_size == 32 || w.group_size == 64 || w.group_size == 128) &&
         w.cols % w.group_size == 0 && w.rows > 0 && w.rows % kTileRows == 0 &&
         (w.scale_type == ScaleType::F16 || w.scale_type == ScaleType::BF16) && w.data != nullptr &&
         w.scales != nullptr && w.biases != nullptr;
}

int64_t tiled_group_bytes(int group_size, int bits) { return 2 * int64_t{group_size} * bits + 64; }

int64_t tiled_group_offset(const WeightMatrix& w, int64_t t, int64_t g) {
  const int64_t groups = w.cols / w.group_size, per_block = kTileBlockCols / w.group_size;
  const int64_t c = g / per_block, first = c * per_block;
  const int64_t in_block = std::min(per_block, groups - first);
  const int64_t bytes = tiled_group_bytes(w.group_size, w.bits);
  return (w.rows / kTileRows * first + t * in_block + (g - first)) * bytes;
}

void tiled_scale_bias(const WeightMatrix& w, int64_t row, int64_t g, float& scale, float& bias) {
  const uint8_t* sb = static_cast<const uint8_t*>(w.data) +
                      tiled_group_offset(w, row / kTileRows, g) + 2 * w.group_size * w.bits;
  scale = detail::load_scalar(sb, w.scale_type, row % kTileRows);
  bias = detail::load_scalar(sb + 32, w.scale_type, row % kTileRows);
}

int64_t tiled_bytes(const WeightMatrix& w) {
  if (!tileable(w) && w.layout != WeightLayout::Tiles16) return 0;
  return w.rows / kTileRows * (w.cols / w.group_size) * tiled_group_bytes(w.group_size, w.bits);
}

WeightMatrix tile(const WeightMatrix& w, void* out, ThreadPool& pool) {
  if (!tileable(w)) {
    std::string why;
    if (w.layout != WeightLayout::Rows)
      why = "it is already tiled";
    else if (w.format != WeightFormat::Affine || (w.bits != 4 && w.bits != 8))
      why = "it is not 4- or 8-bit affine";
    else if (w.rows <= 0 || w.rows % kTileRows != 0)
      why = std::to_string(w.rows) + " rows";
    else if (w.scale_type == ScaleType::F32)
      why = "its scales are f32";
    else
      why = "its group size, columns or pointers are invalid";
    throw InvalidParameterError(
        "weight",
        "tile: a Tiles16 form needs a 4- or 8-bit affine matrix with f16/bf16 scales, group "
        "size 32/64/128 and rows a multiple of 16; this one has " +
            why);
  }
  const int64_t groups = w.cols / w.group_size, half = w.group_size * w.bits / 8;
  const int64_t row_bytes = w.cols * w.bits / 8;
  const auto* src = static_cast<const uint8_t*>(w.data);
  const auto* sc = static_cast<const uint8_t*>(w.scales);
  const auto* bi = static_cast<const uint8_t*>(w.biases);
  auto* dst = static_cast<uint8_t*>(out);
  pool.parallel_for(w.rows / kTileRows, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      for (int64_t g = 0; g < groups; ++g) {
        uint8_t* b = dst + tiled_group_offset(w, t, g);
        for (int64_t i = 0; i < kTileRows; ++i) {
          const int64_t r = t * kTileRows + i;
          const uint8_t* q = src + r * row_bytes + g * half;
          for (int64_t j = 0; j < half; j += 4) std::memcpy(b + slice_offset(i, j), q + j, 4);
          std::memcpy(b + 2 * w.group_size * w.bits + kScaleBytes * i,
                      sc + (r * groups + g) * kScaleBytes, kScaleBytes);
          std::memcpy(b + 2 * w.group_size * w.bits + 32 + kScaleBytes * i,
                      bi + (r * groups + g) * kScaleBytes, kScaleBytes);
        }
      }
    }
  });
  WeightMatrix t = w;
  t.layout = WeightLayout::Tiles16;
  t.data = t.scales = t.biases = out;
  return t;
}

void untile_rows(const WeightMatrix& w, int64_t r0, int64_t n, uint8_t* data, void* scales,
                 void* biases) {
  require_tiled(w, "untile_rows");
  const int64_t groups = w.cols / w.group_size, half = w.group_size * w.bits / 8;
  const int64_t row_bytes = w.cols * w.bits / 8;
  const auto* src = static_cast<const uint8_t*>(w.data);
  auto* sc = static_cast<uint8_t*>(scales);
  auto* bi = static_cast<uint8_t*>(biases);
  for (int64_t t = r0 / kTileRows; t < (r0 + n) / kTileRows; ++t) {
    for (int64_t g = 0; g < groups; ++g) {
      const uint8_t* b = src + tiled_group_offset(w, t, g);
      for (int64_t i = 0; i < kTileRows; ++i) {
        const int64_t r = t * kTileRows + i - r0;  // row within the output
        uint8_t* q = data + r * row_bytes + g * half;
        for (int64_t j = 0; j < half; j += 4) std::memcpy(q + j, b + slice_offset(i, j), 4);
        std::memcpy(sc + (r * groups + g) * kScaleBytes,
                    b + 2 * w.group_size * w.bits + kScaleBytes * i, kScaleBytes);
        std::memcpy(bi + (r * groups + g) * kScaleBytes,
                    b + 2 * w.group_size * w.bits + 32 + kScaleBytes * i, kScaleBytes);
      }
    }
  }
}

void dequantize_tiled_row(const WeightMatrix& w, int64_t row, float* out) {
  require_tiled(w, "dequantize_tiled_row");
  const int64_t groups = w.cols / w.group_size, half = w.group_size * w.bits / 8;
  const int64_t t = row / kTileRows, i = row % kTileRows;
  const auto* src = static_cast<const uint8_t*>(w.data);
  for (int64_t g = 0; g < groups; ++g) {
    const uint8_t* b = src + tiled_group_offset(w, t, g);
    float scale, bias;
    tiled_scale_bias(w, row, g, scale, bias);
    float* o = out + g * w.group_size;
    for (int64_t j = 0; j < half; ++j) {
      const uint8_t byte = b[slice_offset(i, j)];
      if (w.bits == 8) {
        o[j] = scale * static_cast<float>(byte) + bias;
      } else {
        o[2 * j] = scale * static_cast<float>(byte & 0x0F) + bias;
        o[2 * j + 1] = scale * static_cast<float>(byte >> 4) + bias;
      }
    }
  }
}

bool tiled_decode_supported() { return kernels::has_tiled_decode(); }

}  // namespace abstractllm::engine::ops
