// write_mlx_weights: sharded, streamed MLX weight output (see model_writer.hpp).
#include "engine/quant/model_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "abstractllm/errors.hpp"
#include "engine/io/half.hpp"
#include "engine/quant/affine.hpp"

namespace abstractllm::engine::quant {

namespace {

// One tensor as it lands in the file.
struct Planned {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t nbytes;
  size_t source;  // index into tensors
  enum Part { Float, Weight, Scales, Biases, Raw } part;
};

uint64_t numel(const std::vector<int64_t>& s) {
  uint64_t n = 1;
  for (auto d : s) n *= static_cast<uint64_t>(d);
  return n;
}

void store_float(float v, DType dt, std::byte* out, size_t i) {
  switch (dt) {
    case DType::F16: {
      const uint16_t h = f32_to_f16(v);
      std::memcpy(out + 2 * i, &h, 2);
      break;
    }
    case DType::BF16: {
      const uint16_t h = f32_to_bf16(v);
      std::memcpy(out + 2 * i, &h, 2);
      break;
    }
    default:
      std::memcpy(out + 4 * i, &v, 4);
      break;
  }
}

template <typename F>
void parallel_for(int64_t n, int threads, F&& f) {
  threads = static_cast<int>(std::min<int64_t>(threads, n));
  if (threads <= 1) {
    f(int64_t{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  const int64_t per = (n + threads - 1) / threads;
  for (int t = 0; t < threads; ++t) {
    const int64_t a = t * per, b = std::min(n, a + per);
    if (a >= b) break;
    pool.emplace_back([&f, a, b] { f(a, b); });
  }
  for (auto& th : pool) th.join();
}

}  // namespace

float round_to_dtype(float v, DType dtype) {
  switch (dtype) {
    case DType::F16: return f16_to_f32(f32_to_f16(v));
    case DType::BF16: return bf16_to_f32(f32_to_bf16(v));
    default: return v;
  }
}

void round_to_dtype(float* v, int64_t n, DType dtype) {
  if (dtype == DType::BF16) {
    for (int64_t i = 0; i < n; ++i) v[i] = bf16_to_f32(f32_to_bf16(v[i]));
  } else if (dtype == DType::F16) {
    for (int64_t i = 0; i < n; ++i) v[i] = f16_to_f32(f32_to_f16(v[i]));
  }
}

WriterReport write_mlx_weights(const std::filesystem::path& dir,
                               const std::vector<OutTensor>& tensors,
                               const WriterOptions& opt) {
  const DType fd = opt.float_dtype;
  if (fd != DType::F16 && fd != DType::BF16 && fd != DType::F32) {
    throw InvalidParameterError("dtype", "output float dtype must be float16, bfloat16 or float32");
  }
  const int threads =
      opt.threads > 0 ? opt.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const size_t fsize = dtype_size(fd);

  // Plan the file-level tensors.
  std::vector<Planned> plan;
  uint64_t total_input = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    total_input += t.input_bytes;
    if (t.raw != nullptr) {
      plan.push_back({t.name, t.raw_dtype, t.shape, numel(t.shape) * dtype_size(t.raw_dtype), i,
                      Planned::Raw});
      continue;
    }
    if (t.quantize) {
      if (t.shape.size() != 2 || t.shape[1] % opt.group_size != 0) {
        throw InvalidParameterError("group_size", "tensor '" + t.name + "' cannot be quantized "
                                                  "with group_size " + std::to_string(opt.group_size));
      }
      const std::string base =
          t.name.ends_with(".weight") ? t.name.substr(0, t.name.size() - 7) : t.name;
      const int64_t rows = t.shape[0], cols = t.shape[1];
      const int64_t words = packed_words_per_row(cols, opt.bits);
      const int64_t groups = cols / opt.group_size;
      plan.push_back({base + ".weight", DType::U32, {rows, words},
                      static_cast<uint64_t>(rows * words) * 4, i, Planned::Weight});
      plan.push_back({base + ".scales", fd, {rows, groups},
                      static_cast<uint64_t>(rows * groups) * fsize, i, Planned::Scales});
      plan.push_back({base + ".biases", fd, {rows, groups},
                      static_cast<uint64_t>(rows * groups) * fsize, i, Planned::Biases});
    } else {
      plan.push_back({t.name, fd, t.shape, numel(t.shape) * fsize, i, Planned::Float});
    }
  }

  // Shards: as mlx-lm's make_shards, keeping a quantized triple together.
  std::vector<std::vector<size_t>> shards(1);
  uint64_t cur = 0;
  for (size_t p = 0; p < plan.size();) {
    size_t q = p + 1;
    uint64_t bytes = plan[p].nbytes;
    if (plan[p].part == Planned::Weight) {
      bytes += plan[p + 1].nbytes + plan[p + 2].nbytes;
      q = p + 3;
    }
    if (cur > 0 && cur + bytes > opt.max_shard_bytes) {
      shards.emplace_back();
      cur = 0;
    }
    for (size_t k = p; k < q; ++k) shards.back().push_back(k);
    cur += bytes;
    p = q;
  }
  const int n_shards = static_cast<int>(shards.size());
  auto shard_name = [&](int s) {
    if (n_shards == 1) return std::string("model.safetensors");
    char buf[64];
    std::snprintf(buf, sizeof buf, "model-%05d-of-%05d.safetensors", s + 1, n_shards);
    return std::string(buf);
  };

  WriterReport report;
  report.shards = n_shards;
  nlohmann::json weight_map = nlohmann::json::object();
  uint64_t total_size = 0, done_input = 0;

  // Work buffers, reused across tensors: at most ~kBlockElems f32 values per block.
  constexpr int64_t kBlockElems = int64_t{1} << 22;  // 16 MB of f32
  std::vector<float> f32;
  std::vector<std::byte> out_block;
  std::vector<std::byte> scales_all, biases_all;

  for (int s = 0; s < n_shards; ++s) {
    const auto path = dir / shard_name(s);
    SafetensorsWriter writer(path, {{"format", "mlx"}});
    for (size_t k : shards[s]) writer.declare(plan[k].name, plan[k].dtype, plan[k].shape);
    for (size_t k : shards[s]) {
      const Planned& pl = plan[k];
      const OutTensor& t = tensors[pl.source];
      weight_map[pl.name] = shard_name(s);
      total_size += pl.nbytes;
      ++report.tensors_written;
      switch (pl.part) {
        case Planned::Raw:
          writer.write(pl.name, t.raw, pl.nbytes);
          break;
        case Planned::Scales:
          writer.write(pl.name, scales_all.data(), pl.nbytes);
          break;
        case Planned::Biases:
          writer.write(pl.name, biases_all.data(), pl.nbytes);
          break;
        case Planned::Float: {
          const int64_t cols = t.shape.empty() ? 1 : std::max<int64_t>(t.shape.back(), 1);
          const int64_t rows = t.shape.empty() ? 1 : static_cast<int64_t>(numel(t.shape)) / cols;
          if (numel(t.shape) == 0) {
            writer.write(pl.name, nullptr, 0);
            break;
          }
          const int64_t block = std::max<int64_t>(1, kBlockElems / cols);
          for (int64_t r0 = 0; r0 < rows; r0 += block) {
            const int64_t r1 = std::min(rows, r0 + block);
            const size_t n = static_cast<size_t>((r1 - r0) * cols);
            f32.resize(n);
            out_block.resize(n * fsize);
            parallel_for(r1 - r0, threads, [&](int64_t a, int64_t b) {
              t.rows(r0 + a, r0 + b, f32.data() + a * cols);
              for (int64_t i = a * cols; i < b * cols; ++i)
                store_float(f32[static_cast<size_t>(i)], fd, out_block.data(), static_cast<size_t>(i));
            });
            writer.write_chunk(pl.name, out_block.data(), out_block.size());
          }
          break;
        }
        case Planned::Weight: {
          ++report.quantized;
          const int64_t rows = t.shape[0], cols = t.shape[1];
          const int64_t words = packed_words_per_row(cols, opt.bits);
          const int64_t groups = cols / opt.group_size;
          scales_all.resize(static_cast<size_t>(rows * groups) * fsize);
          biases_all.resize(scales_all.size());
          const int64_t block = std::max<int64_t>(1, kBlockElems / cols);
          for (int64_t r0 = 0; r0 < rows; r0 += block) {
            const int64_t r1 = std::min(rows, r0 + block);
            f32.resize(static_cast<size_t>((r1 - r0) * cols));
            out_block.resize(static_cast<size_t>((r1 - r0) * words) * 4);
            parallel_for(r1 - r0, threads, [&](int64_t a, int64_t b) {
              float* x = f32.data() + a * cols;
              t.rows(r0 + a, r0 + b, x);
              if (!t.exact_in_float_dtype) round_to_dtype(x, (b - a) * cols, fd);
              quantize_matrix(x, b - a, cols, opt.bits, opt.group_size, fd,
                              reinterpret_cast<uint32_t*>(out_block.data()) + a * words,
                              scales_all.data() + (r0 + a) * groups * static_cast<int64_t>(fsize),
                              biases_all.data() + (r0 + a) * groups * static_cast<int64_t>(fsize));
            });
            writer.write_chunk(pl.name, out_block.data(), out_block.size());
          }
          break;
        }
      }
      if (pl.part != Planned::Scales && pl.part != Planned::Biases) {
        done_input += t.input_bytes;
        if (opt.progress) opt.progress(done_input, total_input, t.name);
      }
    }
    writer.finish();
    report.output_bytes += std::filesystem::file_size(path);
  }

  nlohmann::ordered_json index;
  index["metadata"] = {{"total_size", total_size}};
  index["weight_map"] = weight_map;  // nlohmann::json keeps keys sorted
  std::ofstream(dir / "model.safetensors.index.json") << index.dump(4) << "\n";
  return report;
}

}  // namespace abstractllm::engine::quant
