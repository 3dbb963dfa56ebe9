#include "providers/mlx/mlx_provider.hpp"

#include <chrono>
#include <optional>

#include "abstractllm/errors.hpp"
#include "abstractllm/providers/mlx.hpp"
#include "engine/chat/chat_template.hpp"
#include "engine/io/model_locator.hpp"
#include "engine/runtime/generator.hpp"
#include "engine/tokenizer/tokenizer.hpp"
#include "providers/mlx/backend.hpp"
#include "providers/mlx/model_cache.hpp"
#include "providers/mlx/prompt_builder.hpp"

namespace abstractllm::mlx {
namespace {

std::vector<ParameterSpec> provider_parameters() {
  return {
      {"quantize", ValueType::Bool, "accepted for compatibility; MLX models carry their quantization"},
      {"max_cached_models", ValueType::Integer, "size of the process-wide model LRU (default 2)"},
      {"context_overflow", ValueType::String, "\"error\" or \"truncate\" when prompt + max_tokens exceed the window"},
      {"repetition_context_size", ValueType::Integer, "tokens the repetition penalty looks back over"},
      {"kv_cache_type", ValueType::String,
       "\"f32\" (default) or \"f16\": the KV cache's element type; f16 halves its memory and "
       "what decoding reads from it at long contexts"},
      {"use_mmap", ValueType::Bool,
       "true (default): map the weight files; false: read them into memory in huge pages "
       "(faster decoding where the page cache cannot give huge pages; a second copy, slower load)"},
      {"repack_weights", ValueType::Bool,
       "false (default); true: repack 4-bit weights at load into the layout the AVX-512 VNNI "
       "decode kernel streams fastest (still one copy; the first load takes longer)"},
      {"repack_cache_dir", ValueType::String,
       "where repacked weights are kept between loads (default $ABSTRACTLLM_REPACK_CACHE, else "
       "~/.cache/abstractllm/repacked); \"\" keeps them in memory only"},
  };
}

// The "kv_cache_type" parameter (InvalidParameterError naming it for anything else).
engine::ops::KVType kv_type_from(const Config& p) {
  const std::string t = p.get_or("kv_cache_type", "f32");
  if (const auto type = engine::ops::kv_type_named(t)) return *type;
  throw InvalidParameterError("kv_cache_type",
                              "parameter 'kv_cache_type' must be 'f32' or 'f16', got '" + t + "'",
                              "mlx");
}

engine::SamplingParams sampling_from(const Config& p) {
  engine::SamplingParams s;
  s.temperature = static_cast<float>(p.get_or(ModelParameter::TEMPERATURE, 0.7));
  s.top_p = static_cast<float>(p.get_or(ModelParameter::TOP_P, 1.0));
  s.top_k = static_cast<int>(p.get_or(ModelParameter::TOP_K, int64_t{0}));
  s.min_p = static_cast<float>(p.get_or(ModelParameter::MIN_P, 0.0));
  s.repetition_penalty = static_cast<float>(p.get_or(ModelParameter::REPETITION_PENALTY, 1.0));
  s.repetition_context_size = static_cast<int>(p.get_or("repetition_context_size", int64_t{20}));
  s.presence_penalty = static_cast<float>(p.get_or(ModelParameter::PRESENCE_PENALTY, 0.0));
  s.frequency_penalty = static_cast<float>(p.get_or(ModelParameter::FREQUENCY_PENALTY, 0.0));
  if (auto seed = p.get_int(ModelParameter::SEED)) s.seed = static_cast<uint64_t>(*seed);
  if (auto bias = p.get_json(ModelParameter::LOGIT_BIAS))
    for (const auto& [id, b] : bias->items()) s.logit_bias[std::stoi(id)] = b.get<float>();
  return s;
}

}  // namespace

Config MlxProvider::defaults() {
  return Config{{ModelParameter::MODEL, default_model_path().string()},
                {ModelParameter::TEMPERATURE, 0.7},
                {ModelParameter::MAX_TOKENS, 4096},
                {ModelParameter::TOP_P, 0.9},
                {ModelParameter::DEVICE, "auto"},
                {"quantize", true},
                {"context_overflow", "auto"}};
}

MlxProvider::MlxProvider(const Config& config)
    : LLM(config, defaults(), provider_parameters()), user_config_(config) {
  const Config c = this->config();
  select_device(c.get_or(ModelParameter::DEVICE, "auto"));
  const std::string overflow = c.get_or("context_overflow", "auto");
  if (overflow != "auto" && overflow != "error" && overflow != "truncate")
    throw InvalidParameterError("context_overflow",
                                "parameter 'context_overflow' must be 'error' or 'truncate', got '" +
                                    overflow + "'",
                                "mlx");
  kv_type_from(c);  // fail at construction, not at the first request
  if (auto n = c.get_int("max_cached_models")) {
    if (*n < 1)
      throw InvalidParameterError("max_cached_models", "parameter 'max_cached_models' must be >= 1", "mlx");
    set_max_cached_models(static_cast<std::size_t>(*n));
  }
}

MlxProvider::~MlxProvider() = default;

std::shared_ptr<const engine::LoadedModel> MlxProvider::model() const {
  const Config c = config();
  const std::string name = c.get_or(ModelParameter::MODEL, "");
  const std::optional<std::string> cache_dir = c.get_string(ModelParameter::CACHE_DIR);
  const std::string key = name + '\n' + cache_dir.value_or("");
  std::lock_guard lock(model_mutex_);
  if (model_ && model_key_ == key) return model_;
  std::optional<std::filesystem::path> cache_path;
  if (cache_dir) cache_path = *cache_dir;
  engine::ResolvedModel resolved = engine::resolve_model(name, cache_path);  // ModelNotFoundError
  std::error_code ec;
  std::filesystem::path folder = std::filesystem::weakly_canonical(resolved.folder, ec);
  if (ec) folder = resolved.folder;
  engine::LoadOptions options;
  options.threads = static_cast<int>(c.get_or(ModelParameter::THREADS, int64_t{0}));
  options.weights = c.get_bool("use_mmap").value_or(true) ? engine::FileLoad::Map : engine::FileLoad::Read;
  options.repack_weights = c.get_bool("repack_weights").value_or(false);
  if (auto dir = c.get_string("repack_cache_dir")) options.repack_cache_dir = *dir;
  model_ = ModelCache::instance().get_or_load(folder, [&] {
    return std::shared_ptr<const engine::LoadedModel>(engine::LoadedModel::load(folder, options));
  });
  model_key_ = key;
  return model_;
}

void MlxProvider::load_model() { model(); }

Capabilities MlxProvider::get_capabilities() const {
  const Config c = config();
  Capabilities caps;
  caps.set(ModelCapability::STREAMING, true);
  caps.set(ModelCapability::MAX_TOKENS, c.get_or(ModelParameter::MAX_TOKENS, int64_t{4096}));
  caps.set(ModelCapability::SYSTEM_PROMPT, true);
  caps.set(ModelCapability::ASYNC, true);
  caps.set(ModelCapability::MULTI_TURN, true);
  caps.set(ModelCapability::FUNCTION_CALLING, false);
  caps.set(ModelCapability::TOOL_USE, false);
  caps.set(ModelCapability::VISION, false);
  caps.set(ModelCapability::JSON_MODE, false);
  caps.set(ModelCapability::EMBEDDINGS, false);
  caps.set(ModelCapability::CONTEXT_WINDOW, model()->context_window());
  return caps;
}

GenerateResponse MlxProvider::generate_impl(const GenerateRequest& request, const ChunkCallback& on_chunk) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const GenerateOptions& options = request.options;
  const Config& p = request.parameters;
  if (!options.tools.is_null() && !(options.tools.is_array() && options.tools.empty()))
    throw UnsupportedFeatureError("tool_use", "the mlx provider does not support tool use or function calling yet",
                                  "mlx");
  select_device(p.get_or(ModelParameter::DEVICE, "auto"));

  auto loaded = model();
  const std::string prompt_text = render_prompt(loaded->chat_template(), request);
  // A rendered chat template already holds the model's special tokens (BOS, …); plain
  // completion gets them from the tokenizer's post-processor.
  std::vector<int32_t> prompt_ids = loaded->tokenizer().encode(prompt_text, /*add_special_tokens=*/options.raw);
  if (prompt_ids.empty())
    throw InvalidRequestError("the prompt encodes to no tokens; give some text to continue", "mlx");

  // The context window: the model's, capped by CONTEXT_WINDOW.
  int64_t window = loaded->context_window();
  if (auto cap = p.get_int(ModelParameter::CONTEXT_WINDOW)) window = std::min(window, *cap);
  int64_t max_tokens = p.get_or(ModelParameter::MAX_TOKENS, int64_t{4096});
  const auto prompt_tokens = static_cast<int64_t>(prompt_ids.size());
  std::string overflow = p.get_or("context_overflow", "auto");
  if (overflow == "auto") {
    // An explicit max_tokens is a request to honour or refuse; the provider's default
    // (4096, as the Python provider) is only a ceiling, clamped to what the window leaves.
    const bool explicit_max = user_config_.contains(ModelParameter::MAX_TOKENS) ||
                              options.parameters.contains(ModelParameter::MAX_TOKENS);
    overflow = explicit_max ? "error" : "truncate";
  }
  if (prompt_tokens >= window || (overflow == "error" && prompt_tokens + max_tokens > window))
    throw ContextWindowExceededError(
        prompt_tokens + max_tokens, window,
        "the prompt (" + std::to_string(prompt_tokens) + " tokens) plus max_tokens (" +
            std::to_string(max_tokens) + ") exceeds the context window of " + std::to_string(window) +
            " tokens; shorten the prompt, lower max_tokens, or set context_overflow='truncate'",
        "mlx");
  max_tokens = std::min(max_tokens, window - prompt_tokens);

  engine::GenerationParams gp;
  gp.sampling = sampling_from(p);
  gp.max_tokens = static_cast<int>(max_tokens);
  gp.kv_type = kv_type_from(p);
  gp.stop = p.get_string_list(ModelParameter::STOP).value_or(std::vector<std::string>{});
  if (options.top_logprobs) {
    if (*options.top_logprobs < 0)
      throw InvalidParameterError("top_logprobs", "top_logprobs must be >= 0", "mlx");
    gp.logprobs = true;
    gp.top_logprobs = *options.top_logprobs;
  }

  GenerateResponse response;
  response.model = p.get_or(ModelParameter::MODEL, "");
  response.prompt_token_ids = prompt_ids;
  if (gp.logprobs) response.logprobs.emplace();
  const engine::Tokenizer& tokenizer = loaded->tokenizer();

  std::unique_lock<std::mutex> kept(generator_mutex_, std::try_to_lock);
  std::optional<engine::Generator> own;
  engine::Generator* generator = nullptr;
  if (kept.owns_lock()) {
    if (!generator_ || generator_->model() != loaded) generator_ = std::make_unique<engine::Generator>(loaded);
    generator = generator_.get();
  } else {
    generator = &own.emplace(loaded);
  }
  engine::GenerationResult result = generator->generate(prompt_ids, gp, [&](const engine::TokenEvent& ev) {
    StreamChunk chunk;
    chunk.delta = ev.text;
    chunk.token_ids = {ev.id};
    if (gp.logprobs) {
      TokenLogprob lp{ev.id, tokenizer.id_to_token(ev.id), ev.logprob, {}};
      for (const auto& [id, l] : ev.top_logprobs) lp.top_logprobs.emplace_back(id, l);
      response.logprobs->push_back(lp);
      chunk.logprobs.push_back(std::move(lp));
    }
    if (on_chunk) on_chunk(chunk);
    return !options.cancel.is_cancelled();
  });

  response.content = std::move(result.text);
  response.finish_reason = result.finish_reason;
  response.token_ids = std::move(result.tokens);
  response.usage.prompt_tokens = result.prompt_tokens;
  response.usage.cached_prompt_tokens = result.cached_prompt_tokens;
  response.usage.completion_tokens = result.completion_tokens;
  response.usage.total_tokens = result.prompt_tokens + result.completion_tokens;
  response.timing.time_to_first_token = result.time_to_first_token;
  response.timing.prompt_tps = result.prefill_tps;
  response.timing.generation_tps = result.decode_tps;
  response.timing.peak_memory_bytes = result.peak_memory_bytes;
  response.timing.total_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (on_chunk) {
    StreamChunk last;
    last.finish_reason = response.finish_reason;
    last.usage = response.usage;
    last.timing = response.timing;
    on_chunk(last);
  }
  return response;
}

}  // namespace abstractllm::mlx
