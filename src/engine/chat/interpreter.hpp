// Evaluates a parsed template (ast.hpp) against a context, with Jinja2's semantics in
// transformers' configuration: ImmutableSandboxedEnvironment attribute rules, default Undefined,
// per-iteration loop scopes, macros that see the template's variables at call time.
// One Interpreter renders once; it is cheap to create and not shared between threads.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/chat/ast.hpp"
#include "engine/chat/template.hpp"
#include "engine/chat/value.hpp"

namespace abstractllm::engine::jinja {

struct Scope {
  std::vector<std::pair<std::string, Value>> vars;
  std::shared_ptr<Scope> parent;
  const Value* find(const std::string& name) const;
  void set(const std::string& name, Value value);
};

class Interpreter {
 public:
  explicit Interpreter(const TemplateOptions& options) : options_(options) {}
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Objects created during the render; cleared at its end to break reference cycles.
  void track(std::shared_ptr<Object> object) { objects_.push_back(std::move(object)); }

  std::string render(const Node& root, const nlohmann::ordered_json& context);

  // Helpers shared with the built-in filters, tests and methods.
  Value call(const Value& callee, Args& args);
  Value getattr(const Value& obj, const std::string& name);
  Value getitem(const Value& obj, const Value& key);
  Value filter(const std::string& name, const Value& value, Args& args);
  bool test(const std::string& name, const Value& value, Args& args);
  void count_iterations(std::size_t n);
  const TemplateOptions& options() const { return options_; }

  // Runs `body` with the given scope, appending to `out`; used by macros and call blocks.
  void run_body(const Body& body, std::shared_ptr<Scope> scope, std::string& out);

 private:
  enum class Flow { Normal, Break, Continue };

  Flow exec(const Body& body, std::string& out);
  Flow exec_node(const Node& node, std::string& out);
  void exec_for(const Node& node, const Value& iterable, int depth, std::string& out);
  void exec_set(const Node& node, Value value);
  Value make_macro(const Node& node, std::shared_ptr<Scope> defining, Value caller = {});
  Value eval(const Expr& e);
  Value eval_call(const Expr& e);
  Value eval_filter(const Expr& e, const Value* input);
  Value eval_binary(const std::string& op, const Value& a, const Value& b);
  bool eval_compare(const std::string& op, const Value& a, const Value& b);
  Value eval_slice(const Value& obj, const Value& start, const Value& stop, const Value& step);
  void eval_args(const Expr& e, Args& args);
  Value lookup(const std::string& name);
  void append(std::string& out, const std::string& s);
  void at(const Expr& e) {
    line_ = e.line;
    col_ = e.col;
  }

  const TemplateOptions& options_;
  std::shared_ptr<Scope> scope_;
  std::shared_ptr<Scope> root_scope_;
  std::size_t iterations_ = 0;
  std::size_t output_bytes_ = 0;
  int depth_ = 0;
  int line_ = 0, col_ = 0;
  std::vector<std::shared_ptr<Object>> objects_;

  friend struct DepthScope;
};

// Built-ins (filters.cpp, tests.cpp, methods.cpp, globals in interpreter.cpp).
using FilterFn = Value (*)(Interpreter&, const Value&, Args&);
using TestFn = bool (*)(Interpreter&, const Value&, Args&);
FilterFn find_filter(const std::string& name);
TestFn find_test(const std::string& name);
// Method `name` of a str/list/dict value: sets `unsafe` when the sandbox forbids it (mutating
// methods) and returns false when there is no such method.
bool has_method(const Value& obj, const std::string& name, bool& unsafe);
Value call_method(Interpreter& in, const Value& obj, const std::string& name, Args& args);
// Python str.format / printf-style % for strings.
std::string python_format(Interpreter& in, const std::string& fmt, Args& args);
std::string python_percent(const std::string& fmt, const Value& args);

}  // namespace abstractllm::engine::jinja
