// `abstractllm generate`: text generation through the "mlx" provider (the CLI never goes
// around the provider). Streams text to stdout as it is produced and ends with a stats line on
// stderr, as mlx_lm.generate does; --json prints one object instead.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>

#include <nlohmann/json.hpp>

#include "abstractllm/abstractllm.hpp"
#include "cli/commands.hpp"

namespace abstractllm::cli {
namespace {

struct GenerateArgs {
  std::string model;
  std::optional<std::string> prompt;
  std::optional<std::string> system;
  std::vector<std::string> files;
  bool raw = false;
  std::optional<int64_t> max_tokens;
  std::optional<double> temp, top_p, min_p, repetition_penalty;
  std::optional<int64_t> top_k, seed, threads;
  std::vector<std::string> stop;
  std::optional<int> logprobs;
  bool json = false;
  bool no_mmap = false;
  bool repack = false;
  std::optional<std::string> cache_dir;
  std::optional<std::string> kv_type;
};

std::string read_stdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

void run_generate(const GenerateArgs& a) {
  Config config;
  if (!a.model.empty()) config.set(ModelParameter::MODEL, a.model);
  if (a.max_tokens) config.set(ModelParameter::MAX_TOKENS, *a.max_tokens);
  if (a.temp) config.set(ModelParameter::TEMPERATURE, *a.temp);
  if (a.top_p) config.set(ModelParameter::TOP_P, *a.top_p);
  if (a.top_k) config.set(ModelParameter::TOP_K, *a.top_k);
  if (a.min_p) config.set(ModelParameter::MIN_P, *a.min_p);
  if (a.repetition_penalty) config.set(ModelParameter::REPETITION_PENALTY, *a.repetition_penalty);
  if (a.seed) config.set(ModelParameter::SEED, *a.seed);
  if (a.threads) config.set(ModelParameter::THREADS, *a.threads);
  if (!a.stop.empty()) config.set(ModelParameter::STOP, a.stop);
  if (a.cache_dir) config.set(ModelParameter::CACHE_DIR, *a.cache_dir);
  if (a.no_mmap) config.set("use_mmap", false);
  if (a.repack) config.set("repack_weights", true);
  if (a.kv_type) config.set("kv_cache_type", *a.kv_type);
  auto llm = create_llm("mlx", config);

  GenerateOptions options;
  options.system_prompt = a.system;
  for (const auto& f : a.files) options.files.emplace_back(f);
  options.raw = a.raw;
  options.top_logprobs = a.logprobs;
  const std::string prompt = a.prompt ? *a.prompt : read_stdin();

  if (a.json) {
    GenerateResponse r = llm->generate(prompt, options);
    nlohmann::ordered_json j;
    j["text"] = r.content;
    j["prompt_ids"] = r.prompt_token_ids;
    j["tokens"] = r.token_ids;
    j["prompt_tokens"] = r.usage.prompt_tokens;
    j["completion_tokens"] = r.usage.completion_tokens;
    j["finish_reason"] = r.finish_reason;
    j["prefill_tps"] = r.timing.prompt_tps;
    j["decode_tps"] = r.timing.generation_tps;
    j["time_to_first_token"] = r.timing.time_to_first_token;
    j["peak_memory_bytes"] = r.timing.peak_memory_bytes;
    if (r.logprobs) {
      nlohmann::ordered_json lps = nlohmann::ordered_json::array();
      for (const auto& lp : *r.logprobs) {
        nlohmann::ordered_json top = nlohmann::ordered_json::array();
        for (const auto& [id, l] : lp.top_logprobs) top.push_back({id, l});
        lps.push_back({{"token", lp.token}, {"logprob", lp.logprob}, {"top", top}});
      }
      j["logprobs"] = lps;
    }
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }

  GenerateResponse r = llm->generate(prompt, options, [](const StreamChunk& c) {
    if (!c.delta.empty()) {
      std::fwrite(c.delta.data(), 1, c.delta.size(), stdout);
      std::fflush(stdout);
    }
  });
  std::fputc('\n', stdout);
  std::fflush(stdout);  // the answer before the stats on stderr
  std::fprintf(stderr,
               "==========\nPrompt: %lld tokens, %.3f tokens-per-sec\nGeneration: %lld tokens, "
               "%.3f tokens-per-sec\nPeak memory: %.3f GB\nFinish reason: %s\n",
               static_cast<long long>(r.usage.prompt_tokens), r.timing.prompt_tps,
               static_cast<long long>(r.usage.completion_tokens), r.timing.generation_tps,
               static_cast<double>(r.timing.peak_memory_bytes) / 1e9, r.finish_reason.c_str());
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "Generate text with a model (reads the prompt from stdin without --prompt)");
  cmd->add_option("--model,-m", a->model,
                  "Model folder or Hugging Face hub id (org/name[@revision]); default: the bundled demo model");
  cmd->add_option("--prompt,-p", a->prompt, "Prompt text (default: read stdin)");
  cmd->add_option("--system", a->system, "System prompt");
  cmd->add_option("--file", a->files, "Text or tabular file appended to the prompt (repeatable)");
  cmd->add_flag("--raw", a->raw, "Plain completion: do not apply the chat template");
  cmd->add_option("--max-tokens", a->max_tokens, "Maximum tokens to generate");
  cmd->add_option("--temp", a->temp, "Sampling temperature (0 = greedy)");
  cmd->add_option("--top-p", a->top_p, "Nucleus sampling probability mass");
  cmd->add_option("--top-k", a->top_k, "Keep only the K most likely tokens (0 = off)");
  cmd->add_option("--min-p", a->min_p, "Drop tokens below min-p x the top probability");
  cmd->add_option("--repetition-penalty", a->repetition_penalty, "Penalty for recently seen tokens (1 = off)");
  cmd->add_option("--seed", a->seed, "Random seed (same seed and inputs give the same output)");
  cmd->add_option("--stop", a->stop, "Stop string (repeatable); never printed");
  cmd->add_option("--logprobs", a->logprobs, "With --json: per-token logprob and the top K alternatives");
  cmd->add_option("--threads,-t", a->threads, "CPU threads (default: all cores)");
  cmd->add_option("--cache-dir", a->cache_dir, "Hugging Face hub cache folder");
  cmd->add_flag("--json", a->json, "Print one JSON object instead of streaming text");
  cmd->add_flag("--no-mmap", a->no_mmap,
                "Read the weights into memory (huge pages) instead of mapping the files");
  cmd->add_flag("--repack", a->repack,
                "Repack 4-bit weights at load for faster decoding (AVX-512 VNNI CPUs; one copy "
                "still, a longer load)");
  cmd->add_option("--kv-type", a->kv_type,
                  "KV cache element type: f32 (default) or f16 (half the memory and the bytes "
                  "decoding reads from it)");
  cmd->callback([a] { run_generate(*a); });
}

}  // namespace abstractllm::cli
