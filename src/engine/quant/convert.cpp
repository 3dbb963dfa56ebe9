// convert_model: HF float folder -> MLX folder (see convert.hpp).
#include "engine/quant/convert.hpp"

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "abstractllm/errors.hpp"
#include "engine/io/half.hpp"
#include "engine/io/model_config.hpp"
#include "engine/io/weights.hpp"
#include "engine/quant/affine.hpp"
#include "engine/quant/model_writer.hpp"

namespace abstractllm::engine::quant {

namespace fs = std::filesystem;

namespace {

// Files besides weights and config that make a model usable, copied when present.
const char* const kSideFiles[] = {
    "tokenizer.json",          "tokenizer_config.json", "special_tokens_map.json",
    "chat_template.jinja",     "chat_template.json",    "generation_config.json",
    "tokenizer.model",         "vocab.json",            "merges.txt",
    "added_tokens.json",       "preprocessor_config.json",
};

std::optional<DType> dtype_from_name(const std::string& s) {
  if (s == "float16" || s == "fp16" || s == "f16") return DType::F16;
  if (s == "bfloat16" || s == "bf16") return DType::BF16;
  if (s == "float32" || s == "fp32" || s == "f32") return DType::F32;
  return std::nullopt;
}

// Rows of a float tensor of the input, widened to f32.
void read_rows(const TensorView& t, int64_t cols, int64_t r0, int64_t r1, float* out) {
  const int64_t a = r0 * cols, n = (r1 - r0) * cols;
  switch (t.dtype) {
    case DType::F32:
      std::memcpy(out, t.data + a * 4, static_cast<size_t>(n) * 4);
      break;
    case DType::F16: {
      const auto* p = reinterpret_cast<const uint16_t*>(t.data) + a;
      for (int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(p[i]);
      break;
    }
    case DType::BF16: {
      const auto* p = reinterpret_cast<const uint16_t*>(t.data) + a;
      for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_f32(p[i]);
      break;
    }
    case DType::F64: {
      for (int64_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, t.data + (a + i) * 8, 8);
        out[i] = static_cast<float>(d);
      }
      break;
    }
    default:
      break;  // not called for non-float tensors
  }
}

bool is_excluded_module(const std::string& name) {
  // Vision/audio towers of multimodal wrappers stay float (mlx-lm quantizes the language model).
  return name.starts_with("vision_tower.") || name.starts_with("multi_modal_projector.") ||
         name.starts_with("audio_tower.") || name.find("norm") != std::string::npos;
}

}  // namespace

bool should_quantize(const std::string& name, const std::vector<int64_t>& shape, int group_size) {
  return name.ends_with(".weight") && shape.size() == 2 && shape[1] > 0 &&
         shape[1] % group_size == 0 && !is_excluded_module(name);
}

ConvertReport convert_model(const ConvertOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.quantize) {
    if (!valid_bits(o.bits)) {
      throw InvalidParameterError("q-bits", "--q-bits must be 2, 3, 4, 5, 6 or 8, not " +
                                                std::to_string(o.bits));
    }
    if (!valid_group_size(o.group_size)) {
      throw InvalidParameterError("q-group-size", "--q-group-size must be 32, 64 or 128, not " +
                                                      std::to_string(o.group_size));
    }
  }
  std::error_code ec;
  if (!fs::is_directory(o.hf_path, ec) || !fs::exists(o.hf_path / "config.json", ec)) {
    throw ModelNotFoundError("--hf-path " + o.hf_path.string() +
                                 " is not a model folder (expected a directory with config.json "
                                 "and *.safetensors)",
                             {}, {{"path", o.hf_path.string()}});
  }
  if (o.mlx_path.empty()) throw InvalidParameterError("mlx-path", "--mlx-path is required");
  const fs::path out_abs = fs::weakly_canonical(o.mlx_path, ec);
  const fs::path in_abs = fs::weakly_canonical(o.hf_path, ec);
  if (out_abs == in_abs) {
    throw InvalidParameterError("mlx-path", "--mlx-path must differ from --hf-path");
  }
  if (fs::exists(o.mlx_path, ec) && !o.force) {
    throw FileProcessingError(o.mlx_path.string(),
                              o.mlx_path.string() + " already exists; pass --force to replace it");
  }

  // Config: validate it is a model we can run, and that it is not already quantized.
  std::ifstream cin(o.hf_path / "config.json", std::ios::binary);
  std::stringstream css;
  css << cin.rdbuf();
  nlohmann::json config = nlohmann::json::parse(css.str(), nullptr, false);
  if (config.is_discarded() || !config.is_object()) {
    throw ModelLoadingError((o.hf_path / "config.json").string() + " is not a JSON object");
  }
  const ModelConfig mc = ModelConfig::from_json(config, nullptr,
                                                (o.hf_path / "config.json").string());
  if (mc.quantization.present) {
    throw InvalidParameterError("hf-path", o.hf_path.string() +
                                               " is already quantized (config.json has a "
                                               "quantization block); convert a float model");
  }
  DType dtype = DType::F16;
  if (o.dtype) {
    dtype = *o.dtype;
  } else if (auto d = dtype_from_name(mc.dtype)) {
    dtype = *d;
  }

  const WeightStore store = WeightStore::open(o.hf_path);

  // What to write, in name order.
  std::vector<OutTensor> out;
  ConvertReport report;
  for (const auto& name : store.names()) {
    const TensorView& t = store.get(name);
    if (mc.tie_word_embeddings && (name == "lm_head.weight" ||
                                   name == "language_model.lm_head.weight")) {
      continue;  // tied: the embedding serves as the output projection
    }
    if (name.find("rotary_emb.inv_freq") != std::string::npos) continue;  // a buffer, not weights
    if (t.dtype == DType::U32 && name.ends_with(".weight")) {
      throw InvalidParameterError("hf-path", "tensor '" + name +
                                                 "' is already packed (U32); convert a float "
                                                 "model");
    }
    OutTensor ot;
    ot.name = name;
    ot.shape = t.shape;
    ot.input_bytes = t.nbytes;
    if (is_float_dtype(t.dtype)) {
      ot.quantize = o.quantize && should_quantize(name, t.shape, o.group_size);
      ot.exact_in_float_dtype = t.dtype == dtype || (t.dtype == DType::F16 && dtype == DType::F32) ||
                                (t.dtype == DType::BF16 && dtype == DType::F32);
      const int64_t cols = t.shape.empty() ? 1 : std::max<int64_t>(t.shape.back(), 1);
      const TensorView* tv = &t;
      ot.rows = [tv, cols](int64_t r0, int64_t r1, float* dst) { read_rows(*tv, cols, r0, r1, dst); };
    } else {
      ot.raw = t.data;
      ot.raw_dtype = t.dtype;
    }
    report.input_bytes += t.nbytes;
    out.push_back(std::move(ot));
  }

  // Build in a sibling temp folder, then move into place: a failed run leaves no half model.
  fs::path tmp = o.mlx_path;
  tmp += ".converting";
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw FileProcessingError(tmp.string(), "cannot create " + tmp.string() + ": " + ec.message());
  try {
    WriterOptions wo;
    wo.float_dtype = dtype;
    wo.bits = o.bits;
    wo.group_size = o.group_size;
    wo.max_shard_bytes = o.max_shard_bytes;
    wo.threads = o.threads;
    wo.progress = o.progress;
    const WriterReport wr = write_mlx_weights(tmp, out, wo);
    report.output_bytes = wr.output_bytes;
    report.tensors = wr.tensors_written;
    report.quantized = wr.quantized;
    report.shards = wr.shards;

    if (o.quantize) {
      nlohmann::json q = {{"group_size", o.group_size}, {"bits", o.bits}, {"mode", "affine"}};
      config["quantization"] = q;
      config["quantization_config"] = q;
    }
    std::ofstream(tmp / "config.json") << config.dump(4) << "\n";
    for (const char* f : kSideFiles) {
      if (fs::exists(o.hf_path / f, ec)) {
        fs::copy_file(o.hf_path / f, tmp / f, fs::copy_options::overwrite_existing, ec);
        if (ec) {
          throw FileProcessingError((o.hf_path / f).string(),
                                    "cannot copy " + (o.hf_path / f).string() + ": " + ec.message());
        }
      }
    }
    if (fs::exists(o.mlx_path, ec)) fs::remove_all(o.mlx_path, ec);
    fs::rename(tmp, o.mlx_path, ec);
    if (ec) {
      throw FileProcessingError(o.mlx_path.string(),
                                "cannot move the result into " + o.mlx_path.string() + ": " +
                                    ec.message());
    }
  } catch (...) {
    std::error_code ec2;
    fs::remove_all(tmp, ec2);
    throw;
  }
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace abstractllm::engine::quant
