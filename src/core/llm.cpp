// LLM: the shared front of every provider — config merging and validation, and the
// streaming / async forms built on the provider's single generate_impl.
#include "abstractllm/llm.hpp"

#include <thread>

namespace abstractllm {

LLM::LLM(Config config, const Config& defaults, std::vector<ParameterSpec> extra_parameters)
    : config_(std::move(config)), extra_parameters_(std::move(extra_parameters)) {
  config_.merge_with_defaults(defaults);
  config_.validate(extra_parameters_);
}

LLM::~LLM() = default;

Config LLM::config() const {
  std::lock_guard lock(config_mutex_);
  return config_;
}

void LLM::update_config(const Config& changes) {
  std::lock_guard lock(config_mutex_);
  Config updated = config_.with_overrides(changes);
  updated.validate(extra_parameters_, provider_name());
  config_ = std::move(updated);
}

GenerateResponse LLM::run(std::string_view prompt, const GenerateOptions& options,
                          const ChunkCallback& on_chunk) {
  Config effective = config().with_overrides(options.parameters);
  effective.validate(extra_parameters_, provider_name());
  GenerateRequest request{std::string(prompt), options, std::move(effective)};
  return generate_impl(request, on_chunk);
}

GenerateResponse LLM::generate(std::string_view prompt, const GenerateOptions& options) {
  return run(prompt, options, nullptr);
}

GenerateResponse LLM::generate(std::string_view prompt, const GenerateOptions& options,
                               const ChunkCallback& on_chunk) {
  return run(prompt, options, on_chunk);
}

ResponseStream LLM::stream(std::string prompt, GenerateOptions options) {
  CancellationToken cancel = options.cancel;
  return ResponseStream(
      [this, prompt = std::move(prompt), options = std::move(options)](const auto& emit) {
        return run(prompt, options, emit);
      },
      cancel, /*start_now=*/false);
}

ResponseStream LLM::stream_async(std::string prompt, GenerateOptions options) {
  CancellationToken cancel = options.cancel;
  return ResponseStream(
      [this, prompt = std::move(prompt), options = std::move(options)](const auto& emit) {
        return run(prompt, options, emit);
      },
      cancel, /*start_now=*/true);
}

std::future<GenerateResponse> LLM::generate_async(std::string prompt, GenerateOptions options) {
  return std::async(std::launch::async,
                    [this, prompt = std::move(prompt), options = std::move(options)] {
                      return run(prompt, options, nullptr);
                    });
}

}  // namespace abstractllm
