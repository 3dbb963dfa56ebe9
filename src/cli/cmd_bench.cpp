// `abstractllm bench`: llama-bench-style speed test of a model folder.
//
//   abstractllm bench --model DIR [-p 512] [-n 128] [-r 5] [-t THREADS] [-d DEPTH]
//                     [--kv-type f32|f16] [--no-mmap] [--repack] [--json]
//
// pp: one forward pass over p random tokens (prefill), tokens/s.
// tg: n single-token forward passes (decode, logits included), tokens/s.
// Both start from a cache holding DEPTH tokens (default 0: empty), prefilled once, untimed, as
// llama-bench's -d: decoding at a long context reads the KV cache besides the weights.
// Both exclude loading and tokenization; each is repeated r times after one warm-up run and
// reported as mean ± standard deviation. The same run measures read bandwidth, so the decode
// speed can be put against its roofline: bandwidth / bytes read per token (all weights, the
// output matrix included, plus the KV cache read by attention). The bandwidth is measured
// before the tests and around every decode run, each run set against the higher of the two
// measurements next to it: on shared machines (the project's VM) the bandwidth moves between
// levels from one minute to the next, and one figure for the whole test mixed them up.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "abstractllm/errors.hpp"
#include "cli/commands.hpp"
#include "engine/model/model.hpp"
#include "engine/model/tiled_cache.hpp"
#include "engine/ops/memory_bandwidth.hpp"
#include "engine/ops/thread_pool.hpp"

namespace abstractllm::cli {
namespace {

namespace model = abstractllm::engine::model;
namespace ops = abstractllm::engine::ops;

struct BenchOptions {
  std::string model_dir;
  int prompt = 512;
  int gen = 128;
  int reps = 5;
  int threads = 0;
  int depth = 0;
  std::string kv_type = "f32";
  bool json = false;
  bool no_mmap = false;
  bool repack = false;
};

struct Stat {
  double mean = 0, sd = 0;
  std::vector<double> samples;
};

Stat stats(const std::vector<double>& v) {
  Stat s;
  s.samples = v;
  if (v.empty()) return s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  if (v.size() > 1) {
    double acc = 0;
    for (double x : v) acc += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(acc / static_cast<double>(v.size() - 1));
  }
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::size_t peak_rss_bytes() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::size_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

// How the model's weight files sit in memory right now, from /proc/self/smaps (Linux; zeros
// elsewhere): resident bytes of the memory areas holding them, and how many of those are in
// 2 MiB pages. Decode speed depends on it (see engine/io/file_image.cpp), and whether a mapped
// file gets huge pages depends on how it got into the page cache, so the bench reports it.
struct WeightPages {
  std::size_t resident = 0, huge = 0;
};

WeightPages weight_pages(const std::vector<std::span<const std::byte>>& images) {
  WeightPages w;
  std::FILE* f = std::fopen("/proc/self/smaps", "r");
  if (f == nullptr) return w;
  char line[512];
  bool in_weights = false;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long lo = 0, hi = 0;
    char dash = 0;
    if (std::sscanf(line, "%lx%c%lx ", &lo, &dash, &hi) == 3 &&
        dash == '-') {  // an area's first line
      in_weights = false;
      for (const auto& img : images) {
        const auto b = reinterpret_cast<uintptr_t>(img.data());
        if (!img.empty() && b < hi && b + img.size() > lo) in_weights = true;
      }
      continue;
    }
    if (!in_weights) continue;
    std::size_t kb = 0;
    if (std::sscanf(line, "Rss: %zu kB", &kb) == 1) w.resident += kb * 1024;
    if (std::sscanf(line, "FilePmdMapped: %zu kB", &kb) == 1) w.huge += kb * 1024;
    if (std::sscanf(line, "AnonHugePages: %zu kB", &kb) == 1) w.huge += kb * 1024;
  }
  std::fclose(f);
  return w;
}

std::vector<int32_t> random_tokens(int n, int64_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> dist(0, vocab - 1);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (auto& v : t) v = static_cast<int32_t>(dist(rng));
  return t;
}

// Read bandwidth measured in a forked child with its own pool of `threads`, so that the
// 512 MiB test buffer does not count in this process's peak RSS. Falls back to measuring
// in-process if fork fails.
ops::BandwidthResult bandwidth_in_child(int threads) {
  int fds[2];
  if (pipe(fds) == 0) {
    const pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      ops::ThreadPool pool(threads);
      ops::BandwidthResult r = ops::measure_read_bandwidth(pool, std::size_t{512} << 20, 5);
      const ssize_t n = write(fds[1], &r, sizeof(r));
      _exit(n == static_cast<ssize_t>(sizeof(r)) ? 0 : 1);
    }
    close(fds[1]);
    if (pid > 0) {
      ops::BandwidthResult r;
      const ssize_t n = read(fds[0], &r, sizeof(r));
      close(fds[0]);
      int status = 0;
      waitpid(pid, &status, 0);
      if (n == static_cast<ssize_t>(sizeof(r))) return r;
    } else {
      close(fds[0]);
    }
  }
  ops::ThreadPool pool(threads);
  return ops::measure_read_bandwidth(pool, std::size_t{512} << 20, 5);
}

// Fills the cache with `tokens` (the depth), in chunks of 512 like the Generator's prefill.
void fill_depth(const model::Model& m, model::KVCache& cache, const std::vector<int32_t>& tokens,
                std::vector<float>& logits, ops::ThreadPool& pool) {
  cache.clear();
  for (size_t b = 0; b < tokens.size(); b += 512) {
    const size_t n = std::min<size_t>(512, tokens.size() - b);
    model::SequenceChunk chunk{&cache, std::span<const int32_t>(tokens.data() + b, n),
                               logits.data()};
    m.forward(std::span<const model::SequenceChunk>(&chunk, 1), pool);
  }
}

// Prefill of `tokens` after the cache's first `depth` tokens; returns seconds.
double run_pp(const model::Model& m, model::KVCache& cache, int64_t depth,
              const std::vector<int32_t>& tokens, std::vector<float>& logits,
              ops::ThreadPool& pool) {
  cache.truncate(depth);
  model::SequenceChunk chunk{&cache, std::span<const int32_t>(tokens), logits.data()};
  auto t0 = std::chrono::steady_clock::now();
  m.forward(std::span<const model::SequenceChunk>(&chunk, 1), pool);
  return seconds_since(t0);
}

// n decode steps after the cache's first `depth` tokens, one token each; returns seconds.
double run_tg(const model::Model& m, model::KVCache& cache, int64_t depth,
              const std::vector<int32_t>& tokens, std::vector<float>& logits,
              ops::ThreadPool& pool) {
  cache.truncate(depth);
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < tokens.size(); ++i) {
    model::SequenceChunk chunk{&cache, std::span<const int32_t>(&tokens[i], 1), logits.data()};
    m.forward(std::span<const model::SequenceChunk>(&chunk, 1), pool);
  }
  return seconds_since(t0);
}

void run_bench(const BenchOptions& o) {
  if (o.prompt < 0 || o.gen < 0 || o.reps < 1 || o.depth < 0) {
    throw InvalidParameterError("bench", "bench: -p, -n and -d must be >= 0 and -r >= 1");
  }
  const std::optional<ops::KVType> named = ops::kv_type_named(o.kv_type);
  if (!named) {
    throw InvalidParameterError("--kv-type",
                                "bench: --kv-type must be f32 or f16, got '" + o.kv_type + "'");
  }
  const ops::KVType kv_type = *named;
  if (!std::filesystem::is_directory(o.model_dir)) {
    throw ModelNotFoundError("bench: model folder '" + o.model_dir + "' does not exist");
  }
  ops::ThreadPool pool(o.threads);

  auto t_load = std::chrono::steady_clock::now();
  std::unique_ptr<model::Model> m =
      model::Model::load(o.model_dir, o.no_mmap ? engine::FileLoad::Read : engine::FileLoad::Map);
  model::TilingOptions tiling_options;
  tiling_options.cache_dir = model::default_repack_cache_dir();
  const model::TilingReport tiling =
      o.repack ? m->tile_weights(pool, tiling_options) : model::TilingReport{};
  const double load_s = seconds_since(t_load);
  const auto& spec = m->spec();
  // Positions the cache must hold; beyond the model's positions RoPE models were never trained.
  const int64_t positions = static_cast<int64_t>(o.depth) + std::max(o.prompt, o.gen) + 1;
  if (spec.max_position > 0 && positions - 1 > spec.max_position) {
    throw InvalidParameterError(
        "-d", "bench: -d " + std::to_string(o.depth) + " plus -p/-n " +
                  std::to_string(std::max(o.prompt, o.gen)) + " exceeds the model's " +
                  std::to_string(spec.max_position) + " positions (max_position_embeddings)");
  }

  std::vector<float> logits(static_cast<size_t>(spec.vocab));
  model::KVCache cache = m->make_cache(positions, kv_type);
  const auto pp_tokens = random_tokens(o.prompt, spec.vocab, 1);
  const auto tg_tokens = random_tokens(o.gen, spec.vocab, 2);
  const auto depth_tokens = random_tokens(o.depth, spec.vocab, 3);

  // Load to first token: the first single-token forward right after load (cold code paths,
  // page cache as it is).
  auto t_first = std::chrono::steady_clock::now();
  {
    model::SequenceChunk chunk{
        &cache, std::span<const int32_t>(tg_tokens.data(), o.gen > 0 ? 1 : 0), logits.data()};
    if (o.gen > 0) m->forward(std::span<const model::SequenceChunk>(&chunk, 1), pool);
  }
  const double first_token_s = seconds_since(t_first);

  const ops::BandwidthResult bw_before = bandwidth_in_child(pool.size());

  std::vector<double> pp_tps, tg_tps;
  fill_depth(*m, cache, depth_tokens, logits, pool);
  if (o.prompt > 0) {
    run_pp(*m, cache, o.depth, pp_tokens, logits, pool);  // warm-up
    for (int r = 0; r < o.reps; ++r) {
      pp_tps.push_back(o.prompt / run_pp(*m, cache, o.depth, pp_tokens, logits, pool));
    }
  }
  // tg_bw[r] and tg_bw[r + 1]: the read bandwidth right before and right after decode run r.
  std::vector<double> tg_bw;
  if (o.gen > 0) {
    run_tg(*m, cache, o.depth,
           std::vector<int32_t>(tg_tokens.begin(), tg_tokens.begin() + std::min(o.gen, 16)), logits,
           pool);  // warm-up
    tg_bw.push_back(bandwidth_in_child(pool.size()).best_gbps);
    for (int r = 0; r < o.reps; ++r) {
      tg_tps.push_back(o.gen / run_tg(*m, cache, o.depth, tg_tokens, logits, pool));
      tg_bw.push_back(bandwidth_in_child(pool.size()).best_gbps);
    }
  }
  const double bw_after = o.gen > 0 ? tg_bw.back() : bandwidth_in_child(pool.size()).best_gbps;

  const Stat pp = stats(pp_tps), tg = stats(tg_tps);
  double bw = std::max(bw_before.best_gbps, bw_after);
  for (double b : tg_bw) bw = std::max(bw, b);
  // Bytes per decoded token: the weights, plus the KV of the depth and on average half the
  // generated tokens.
  const double kv_per_pos = static_cast<double>(spec.n_layers()) * 2.0 *
                            static_cast<double>(cache.row_stride()) *
                            static_cast<double>(ops::kv_element_bytes(kv_type));
  const double bytes_per_token =
      static_cast<double>(m->weight_bytes()) +
      kv_per_pos * (static_cast<double>(o.depth) + static_cast<double>(o.gen) / 2.0);
  const double roofline_tps = bw * 1e9 / bytes_per_token;
  // Each decode run against the roofline of the bandwidth measured next to it (the higher of
  // the two), then the mean; and, more conservative still, the mean speed against the best
  // bandwidth of the whole run.
  std::vector<double> run_fractions;
  for (size_t r = 0; r < tg_tps.size(); ++r) {
    const double near = std::max(tg_bw[r], tg_bw[r + 1]);
    run_fractions.push_back(tg_tps[r] * bytes_per_token / (near * 1e9));
  }
  const double fraction = stats(run_fractions).mean;
  const double fraction_of_best = tg_tps.empty() ? 0.0 : tg.mean * bytes_per_token / (bw * 1e9);
  const auto [bw_near_lo, bw_near_hi] =
      tg_bw.empty() ? std::pair{0.0, 0.0}
                    : std::pair{*std::min_element(tg_bw.begin(), tg_bw.end()),
                                *std::max_element(tg_bw.begin(), tg_bw.end())};
  const std::size_t rss = peak_rss_bytes();
  const WeightPages pages = weight_pages(m->weights().images);

  if (o.json) {
    nlohmann::json j;
    j["model"] = o.model_dir;
    j["threads"] = pool.size();
    j["model_bytes"] = m->weight_bytes();
    j["weights"] = o.no_mmap ? "read" : "mapped";
    j["repacked"] = {
        {"matrices", tiling.matrices},       {"bytes", tiling.bytes},
        {"released_bytes", tiling.released}, {"seconds", tiling.seconds},
        {"from_cache", tiling.from_cache},   {"cache_file", tiling.cache_file.string()},
        {"cache_note", tiling.cache_note}};
    j["load_seconds"] = load_s;
    j["first_token_seconds"] = first_token_s;
    j["load_to_first_token_seconds"] = load_s + first_token_s;
    j["peak_rss_bytes"] = rss;
    j["kv_cache_bytes"] = cache.bytes();
    j["kv_cache_type"] = o.kv_type;
    j["depth"] = o.depth;
    j["weights_resident_bytes"] = pages.resident;
    j["weights_huge_page_bytes"] = pages.huge;
    j["read_bandwidth_gbps"] = {{"before", bw_before.best_gbps},
                                {"after", bw_after},
                                {"best", bw},
                                {"around_tg_runs", tg_bw}};
    if (!pp_tps.empty()) {
      j["pp"] = {
          {"tokens", o.prompt}, {"tps_mean", pp.mean}, {"tps_sd", pp.sd}, {"runs", pp.samples}};
    }
    if (!tg_tps.empty()) {
      j["tg"] = {{"tokens", o.gen},
                 {"tps_mean", tg.mean},
                 {"tps_sd", tg.sd},
                 {"runs", tg.samples},
                 {"bytes_per_token", bytes_per_token},
                 {"roofline_tps", roofline_tps},
                 {"roofline_fraction", fraction},
                 {"roofline_fraction_runs", run_fractions},
                 {"roofline_fraction_of_best", fraction_of_best}};
    }
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("model: %s\n", o.model_dir.c_str());
  std::printf("model bytes: %.1f MB, threads: %d, KV cache: %.1f MB\n",
              static_cast<double>(m->weight_bytes()) / 1e6, pool.size(),
              static_cast<double>(cache.bytes()) / 1e6);
  std::printf("load: %.3f s, first token: %.3f s, load to first token: %.3f s\n", load_s,
              first_token_s, load_s + first_token_s);
  if (o.repack) {
    const std::string where = tiling.from_cache ? "mapped from " + tiling.cache_file.string()
                              : tiling.cache_file.empty()
                                  ? "in memory: " + tiling.cache_note
                                  : "written to " + tiling.cache_file.string();
    std::printf("repacked: %d matrices, %.1f MB in %.3f s, %s (file pages given back: %.1f MB)\n",
                tiling.matrices, static_cast<double>(tiling.bytes) / 1e6, tiling.seconds,
                where.c_str(), static_cast<double>(tiling.released) / 1e6);
  }
  const std::string at = o.depth > 0 ? " @ d" + std::to_string(o.depth) : "";
  std::printf("KV cache type: %s\n", o.kv_type.c_str());
  std::printf("| test           |            t/s |\n|----------------|----------------|\n");
  if (!pp_tps.empty()) {
    std::printf("| %-14s | %7.2f ± %5.2f |\n", ("pp" + std::to_string(o.prompt) + at).c_str(),
                pp.mean, pp.sd);
  }
  if (!tg_tps.empty()) {
    std::printf("| %-14s | %7.2f ± %5.2f |\n", ("tg" + std::to_string(o.gen) + at).c_str(), tg.mean,
                tg.sd);
  }
  std::printf("read bandwidth: %.1f GB/s (before %.1f, after %.1f", bw, bw_before.best_gbps,
              bw_after);
  if (!tg_bw.empty()) std::printf("; around the decode runs %.1f-%.1f", bw_near_lo, bw_near_hi);
  std::printf(")\n");
  if (!tg_tps.empty()) {
    std::printf(
        "decode roofline: %.1f t/s at %.1f GB/s (%.1f MB/token); decode at %.0f%% of the "
        "roofline measured around each run (%.0f%% of the best)\n",
        roofline_tps, bw, bytes_per_token / 1e6, fraction * 100.0, fraction_of_best * 100.0);
  }
  if (pages.resident > 0) {
    std::printf("weights in 2 MiB pages: %.1f of %.1f MB resident (%.0f%%)\n",
                static_cast<double>(pages.huge) / 1e6, static_cast<double>(pages.resident) / 1e6,
                100.0 * static_cast<double>(pages.huge) / static_cast<double>(pages.resident));
  }
  std::printf("peak RSS: %.1f MB (%.2f x model bytes; KV cache %.1f MB)\n",
              static_cast<double>(rss) / 1e6,
              static_cast<double>(rss) / static_cast<double>(m->weight_bytes()),
              static_cast<double>(cache.bytes()) / 1e6);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Measure prefill and decode speed (llama-bench style)");
  auto opts = std::make_shared<BenchOptions>();
  cmd->add_option("--model,-m", opts->model_dir, "Model folder (config.json + safetensors)")
      ->required();
  cmd->add_option("-p,--n-prompt", opts->prompt, "Prompt tokens for the prefill test (0 = skip)")
      ->capture_default_str();
  cmd->add_option("-n,--n-gen", opts->gen, "Tokens for the decode test (0 = skip)")
      ->capture_default_str();
  cmd->add_option("-r,--repetitions", opts->reps, "Timed repetitions of each test")
      ->capture_default_str();
  cmd->add_option("-t,--threads", opts->threads, "Threads (0 = one per core)")
      ->capture_default_str();
  cmd->add_option("-d,--depth", opts->depth,
                  "Tokens already in the KV cache before each test (untimed), as llama-bench -d")
      ->capture_default_str();
  cmd->add_option("--kv-type", opts->kv_type, "KV cache element type: f32 or f16")
      ->capture_default_str();
  cmd->add_flag("--json", opts->json, "Print one JSON object");
  cmd->add_flag("--no-mmap", opts->no_mmap,
                "Read the weights into memory (huge pages) instead of mapping the files");
  cmd->add_flag(
      "--repack", opts->repack,
      "Repack 4-bit weights at load for decoding (AVX-512 VNNI CPUs; load time included)");
  cmd->callback([opts] { run_bench(*opts); });
}

}  // namespace abstractllm::cli
