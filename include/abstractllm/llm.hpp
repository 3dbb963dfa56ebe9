// LLM: the one interface to every provider (AbstractLLM's AbstractLLMInterface).
//
//   auto llm = abstractllm::create_llm("mlx", {{ModelParameter::MAX_TOKENS, 64}});
//   auto r = llm->generate("What is 2 + 3?");                 // blocking
//   for (auto& c : llm->stream("Hi")) std::cout << c.delta;   // pull-streaming
//   llm->generate("Hi", {}, [](const StreamChunk& c) {...});  // callback-streaming
//   auto fut = llm->generate_async("Hi");                     // std::future<GenerateResponse>
//
// Thread safety: every method may be called from several threads at once; a provider
// serialises or batches concurrent generations on one model.
#pragma once

#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "abstractllm/config.hpp"
#include "abstractllm/stream.hpp"
#include "abstractllm/types.hpp"

namespace abstractllm {

using ChunkCallback = std::function<void(const StreamChunk&)>;

// A request as a provider receives it: the prompt, the options, and the effective parameters
// (provider defaults < construction config < per-call overrides), already validated.
struct GenerateRequest {
  std::string prompt;
  const GenerateOptions& options;
  Config parameters;
};

class LLM {
 public:
  virtual ~LLM();
  LLM(const LLM&) = delete;
  LLM& operator=(const LLM&) = delete;

  GenerateResponse generate(std::string_view prompt, const GenerateOptions& options = {});
  // Streaming through a callback, called on this thread for every chunk; returns the whole
  // response at the end.
  GenerateResponse generate(std::string_view prompt, const GenerateOptions& options,
                            const ChunkCallback& on_chunk);
  // Streaming as a pull iterator; the generation starts at the first pull.
  ResponseStream stream(std::string prompt, GenerateOptions options = {});
  // Runs on a worker thread; the future holds the response or the exception.
  std::future<GenerateResponse> generate_async(std::string prompt, GenerateOptions options = {});
  // A stream whose generation starts at once on a worker thread.
  ResponseStream stream_async(std::string prompt, GenerateOptions options = {});

  // Prepares the model now instead of at the first request (loading is lazy by default).
  virtual void load_model() {}
  virtual Capabilities get_capabilities() const = 0;
  virtual std::string provider_name() const = 0;

  // The configuration as merged at construction (defaults + user config).
  Config config() const;
  // Changes parameters for later requests; validated like the constructor's config.
  void update_config(const Config& changes);

 protected:
  // `config` is the user's; `defaults` the provider's (merge_with_defaults semantics); both
  // are validated against ModelParameter plus `extra_parameters`.
  LLM(Config config, const Config& defaults, std::vector<ParameterSpec> extra_parameters = {});

  // The one method a provider implements: run the request, calling on_chunk (when set) for each
  // chunk, honouring request.options.cancel, and return the whole response.
  virtual GenerateResponse generate_impl(const GenerateRequest& request,
                                         const ChunkCallback& on_chunk) = 0;

 private:
  GenerateResponse run(std::string_view prompt, const GenerateOptions& options,
                       const ChunkCallback& on_chunk);

  mutable std::mutex config_mutex_;
  Config config_;
  std::vector<ParameterSpec> extra_parameters_;
};

}  // namespace abstractllm
