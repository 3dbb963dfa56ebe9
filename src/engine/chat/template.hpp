// A Jinja2 template interpreter scoped to what chat templates use, matching Python Jinja2 3.1
// in the configuration transformers uses (see docs/chat-templates.md for what is covered).
//
// Parse once, render many times: Template is immutable after construction and render() is
// const and thread-safe. Rendering is sandboxed: no file or environment access, and the limits
// below bound output size, loop iterations and recursion, so hostile templates fail with a
// TemplateError instead of crashing or hanging.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace abstractllm::engine::jinja {

struct Limits {
  std::size_t max_output_bytes = 64u << 20;      // rendered text
  std::size_t max_loop_iterations = 10'000'000;  // summed over all loops of one render
  int max_recursion_depth = 256;                 // macro calls, recursive loops, nesting
};

struct TemplateOptions {
  bool trim_blocks = true;  // transformers' settings
  bool lstrip_blocks = true;
  Limits limits;
  // strftime_now's clock: seconds since the epoch, local time. Tests pin it.
  std::function<long long()> now;
};

struct Node;  // the parsed tree (parser.hpp)

class Template {
 public:
  // Throws abstractllm::TemplateError(message, line, column) on a syntax error.
  explicit Template(std::string source, TemplateOptions options = {});
  ~Template();
  Template(const Template&) = delete;
  Template& operator=(const Template&) = delete;

  // Renders with `context` (an object: its keys become template variables). Throws
  // abstractllm::TemplateError with the line/column of the failing construct.
  std::string render(const nlohmann::ordered_json& context) const;

  const std::string& source() const { return source_; }
  const TemplateOptions& options() const { return options_; }

 private:
  std::string source_;
  TemplateOptions options_;
  std::unique_ptr<Node> root_;
};

}  // namespace abstractllm::engine::jinja
