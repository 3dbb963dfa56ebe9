// `abstractllm convert`: a Hugging Face float model folder -> MLX format (like mlx_lm.convert
// from a local folder). The work is engine::quant::convert_model; this file parses options.
#include <cstdio>
#include <memory>
#include <string>

#include "abstractllm/errors.hpp"
#include "cli/commands.hpp"
#include "cli/progress_bar.hpp"
#include "engine/quant/convert.hpp"

namespace abstractllm::cli {

namespace {
struct ConvertArgs {
  std::string hf_path, mlx_path, dtype;
  bool quantize = false, force = false;
  int bits = 4, group_size = 64, threads = 0;
  double shard_gb = 5.0;
};
}  // namespace

void add_convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  auto* cmd = app.add_subcommand("convert", "Convert a Hugging Face model folder to MLX format");
  cmd->add_option("--hf-path", args->hf_path, "Input folder (config.json + *.safetensors)")
      ->required();
  cmd->add_option("--mlx-path", args->mlx_path, "Output folder")->default_val("mlx_model");
  cmd->add_flag("-q,--quantize", args->quantize, "Quantize (MLX affine)");
  cmd->add_option("--q-bits", args->bits, "Bits per weight: 2, 3, 4, 5, 6, 8")->default_val(4);
  cmd->add_option("--q-group-size", args->group_size, "Group size: 32, 64, 128")
      ->default_val(64);
  cmd->add_option("--dtype", args->dtype,
                  "float16 | bfloat16 | float32 for float tensors and scales (default: the "
                  "config's torch_dtype, else float16)");
  cmd->add_flag("--force", args->force, "Replace an existing --mlx-path");
  cmd->add_option("--max-shard-gb", args->shard_gb, "Shard size limit in GB")->default_val(5.0);
  cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")->default_val(0);
  cmd->callback([args] {
    engine::quant::ConvertOptions o;
    o.hf_path = args->hf_path;
    o.mlx_path = args->mlx_path;
    o.quantize = args->quantize;
    o.bits = args->bits;
    o.group_size = args->group_size;
    o.force = args->force;
    o.threads = args->threads;
    if (!(args->shard_gb > 0)) throw InvalidParameterError("max-shard-gb", "must be positive");
    o.max_shard_bytes = static_cast<uint64_t>(args->shard_gb * 1e9 * 1.073741824);  // GiB
    if (!args->dtype.empty()) {
      if (args->dtype == "float16") {
        o.dtype = engine::DType::F16;
      } else if (args->dtype == "bfloat16") {
        o.dtype = engine::DType::BF16;
      } else if (args->dtype == "float32") {
        o.dtype = engine::DType::F32;
      } else {
        throw InvalidParameterError("dtype", "--dtype must be float16, bfloat16 or float32, not " +
                                                 args->dtype);
      }
    }
    ProgressBar bar("convert");
    o.progress = [&bar](uint64_t done, uint64_t total, const std::string& name) {
      bar.update(done, total, name);
    };
    const auto r = engine::quant::convert_model(o);
    bar.finish();
    std::printf("Converted %s -> %s: %lld tensors (%lld quantized), %d shard(s), "
                "%.1f MB -> %.1f MB in %.2f s (%.0f MB/s input)\n",
                args->hf_path.c_str(), args->mlx_path.c_str(),
                static_cast<long long>(r.tensors), static_cast<long long>(r.quantized), r.shards,
                static_cast<double>(r.input_bytes) / 1e6, static_cast<double>(r.output_bytes) / 1e6,
                r.seconds, r.seconds > 0 ? static_cast<double>(r.input_bytes) / 1e6 / r.seconds : 0);
  });
}

}  // namespace abstractllm::cli
