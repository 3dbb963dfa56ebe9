// The error family of abstractllm. Every failure a user can cause or meet is one of these,
// with a message that says what was wrong and what was expected, so it can be acted on.
//
//   Error
//   ├── AuthenticationError
//   ├── UnsupportedProviderError      create_llm("nope")        — lists the registered providers
//   ├── UnsupportedModelError         model_type we cannot run  — lists the supported ones
//   ├── ModelNotFoundError            no such folder / not in the Hugging Face cache
//   ├── ModelLoadingError             a model file is malformed — names the file and tensor/field
//   ├── InvalidRequestError
//   │   ├── InvalidParameterError     names the parameter and what is allowed
//   │   └── ContextWindowExceededError
//   ├── GenerationError               the forward pass produced NaN/inf, etc.
//   ├── UnsupportedFeatureError       carries the feature name ("vision", "tool_use", …)
//   ├── FileProcessingError           carries the path
//   ├── ResourceExceededError         memory or a configured limit
//   └── TemplateError                 a chat template failed to parse or render (line, column)
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace abstractllm {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, std::string provider = {},
                 std::map<std::string, std::string> details = {})
      : std::runtime_error(message), provider_(std::move(provider)), details_(std::move(details)) {}

  // The provider that raised it ("mlx"), empty when raised outside a provider.
  const std::string& provider() const noexcept { return provider_; }
  // Machine-readable extras (e.g. {"path": "..."}, {"parameter": "top_p"}).
  const std::map<std::string, std::string>& details() const noexcept { return details_; }

 private:
  std::string provider_;
  std::map<std::string, std::string> details_;
};

#define ABSTRACTLLM_DEFINE_ERROR(Name, Base) \
  class Name : public Base {                 \
   public:                                   \
    using Base::Base;                        \
  };

ABSTRACTLLM_DEFINE_ERROR(AuthenticationError, Error)
ABSTRACTLLM_DEFINE_ERROR(UnsupportedProviderError, Error)
ABSTRACTLLM_DEFINE_ERROR(UnsupportedModelError, Error)
ABSTRACTLLM_DEFINE_ERROR(ModelNotFoundError, Error)
ABSTRACTLLM_DEFINE_ERROR(ModelLoadingError, Error)
ABSTRACTLLM_DEFINE_ERROR(InvalidRequestError, Error)
ABSTRACTLLM_DEFINE_ERROR(GenerationError, Error)
ABSTRACTLLM_DEFINE_ERROR(ResourceExceededError, Error)
#undef ABSTRACTLLM_DEFINE_ERROR

class InvalidParameterError : public InvalidRequestError {
 public:
  InvalidParameterError(std::string parameter, const std::string& message,
                        std::string provider = {})
      : InvalidRequestError(message, std::move(provider), {{"parameter", parameter}}),
        parameter_(std::move(parameter)) {}
  const std::string& parameter() const noexcept { return parameter_; }

 private:
  std::string parameter_;
};

class ContextWindowExceededError : public InvalidRequestError {
 public:
  ContextWindowExceededError(int64_t requested_tokens, int64_t context_window,
                             const std::string& message, std::string provider = {})
      : InvalidRequestError(message, std::move(provider),
                            {{"requested_tokens", std::to_string(requested_tokens)},
                             {"context_window", std::to_string(context_window)}}),
        requested_(requested_tokens),
        window_(context_window) {}
  int64_t requested_tokens() const noexcept { return requested_; }
  int64_t context_window() const noexcept { return window_; }

 private:
  int64_t requested_;
  int64_t window_;
};

class UnsupportedFeatureError : public Error {
 public:
  UnsupportedFeatureError(std::string feature, const std::string& message,
                          std::string provider = {})
      : Error(message, std::move(provider), {{"feature", feature}}), feature_(std::move(feature)) {}
  // "vision", "tool_use", "cuda", "metal", …
  const std::string& feature() const noexcept { return feature_; }

 private:
  std::string feature_;
};

class FileProcessingError : public Error {
 public:
  FileProcessingError(std::string path, const std::string& message, std::string provider = {})
      : Error(message, std::move(provider), {{"path", path}}), path_(std::move(path)) {}
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

class TemplateError : public Error {
 public:
  // line and column are 1-based positions in the template source; 0 when unknown.
  TemplateError(const std::string& message, int line = 0, int column = 0)
      : Error(message, {}, {{"line", std::to_string(line)}, {"column", std::to_string(column)}}),
        line_(line),
        column_(column) {}
  int line() const noexcept { return line_; }
  int column() const noexcept { return column_; }

 private:
  int line_;
  int column_;
};

}  // namespace abstractllm
