// The values a template computes with, modelled on the Python objects Jinja2 sees: None, bool,
// int, float, str, list/tuple, dict (insertion-ordered), callables, Undefined and a few objects
// (namespace, loop). Printing, equality, ordering and JSON follow Python's rules, because chat
// templates print lists, dicts and numbers and the prompt must match byte for byte.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace abstractllm::engine::jinja {

class Value;
class Interpreter;

// Raised by value operations; the interpreter turns it into abstractllm::TemplateError with the
// position of the expression. `kind` is the Python exception name ("TypeError", "UndefinedError").
struct RuntimeError {
  std::string kind;
  std::string message;
};
[[noreturn]] void throw_runtime(std::string kind, std::string message);

// Containers record how deeply they nest (1 + deepest child) so that values built by a template
// stay shallow enough to print, compare and destroy without exhausting the stack.
constexpr int kMaxValueNesting = 512;

struct ListObj {
  std::vector<Value> items;
  bool tuple = false;
  int depth = 1;
};

struct DictObj {
  std::vector<std::pair<Value, Value>> items;  // insertion order, like a Python dict
  int depth = 1;
  const Value* find(const Value& key) const;
  const Value* find(const std::string& key) const;
  void set(Value key, Value value);
};

struct Args {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
  // Python-style binding: positional index or keyword name; nullptr when absent.
  const Value* get(std::size_t index, const char* name) const;
};

struct Callable {
  std::string name;
  std::function<Value(Interpreter&, Args&)> fn;
};

// An object with attributes (namespace, loop). `type_name` is Python's class name.
class Object {
 public:
  virtual ~Object() = default;
  virtual std::string type_name() const = 0;
  // Returns Undefined when absent.
  virtual Value getattr(const std::string& name) const = 0;
  virtual bool setattr(const std::string& name, Value value);  // false: not allowed
  virtual std::string repr() const;
  virtual int depth() const { return 1; }
  // Drops the values it holds; called when a render ends so reference cycles built by the
  // template (a namespace holding itself) are freed.
  virtual void clear() {}
};

struct UndefinedInfo {
  std::string message;  // the UndefinedError message raised when it is used
  std::string kind = "UndefinedError";
};

struct Undef {
  std::shared_ptr<const UndefinedInfo> info;
};

class Value {
 public:
  enum class Kind : std::uint8_t {
    Undefined,
    None,
    Bool,
    Int,
    Float,
    String,
    List,
    Dict,
    Callable,
    Object
  };
  using Storage = std::variant<Undef, std::nullptr_t, bool, std::int64_t, double, std::string,
                               std::shared_ptr<ListObj>, std::shared_ptr<DictObj>,
                               std::shared_ptr<Callable>, std::shared_ptr<Object>>;

  Value() : v_(Undef{}) {}
  Value(std::nullptr_t) : v_(nullptr) {}
  Value(bool b) : v_(b) {}
  Value(int i) : v_(static_cast<std::int64_t>(i)) {}
  Value(std::int64_t i) : v_(i) {}
  Value(double d) : v_(d) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::shared_ptr<ListObj> l) : v_(std::move(l)) {}
  Value(std::shared_ptr<DictObj> d) : v_(std::move(d)) {}
  Value(std::shared_ptr<Callable> c) : v_(std::move(c)) {}
  Value(std::shared_ptr<Object> o) : v_(std::move(o)) {}

  static Value undefined(std::string message, std::string kind = "UndefinedError");
  static Value list(std::vector<Value> items = {}, bool tuple = false);
  static Value dict();
  static Value function(std::string name, std::function<Value(Interpreter&, Args&)> fn);
  static Value from_json(const nlohmann::ordered_json& j);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_undefined() const { return kind() == Kind::Undefined; }
  bool is_none() const { return kind() == Kind::None; }
  bool is_bool() const { return kind() == Kind::Bool; }
  bool is_int() const { return kind() == Kind::Int; }
  bool is_float() const { return kind() == Kind::Float; }
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return kind() == Kind::String; }
  bool is_list() const { return kind() == Kind::List; }
  bool is_dict() const { return kind() == Kind::Dict; }
  bool is_callable() const { return kind() == Kind::Callable; }
  bool is_object() const { return kind() == Kind::Object; }

  bool as_bool() const { return std::get<bool>(v_); }
  std::int64_t as_int() const { return std::get<std::int64_t>(v_); }
  double as_float() const { return std::get<double>(v_); }
  // Int, bool or float as a double / int (bool counts as 0/1 like Python).
  double to_double() const;
  std::int64_t to_int() const;
  const std::string& str_ref() const { return std::get<std::string>(v_); }
  ListObj& list_ref() const { return *std::get<std::shared_ptr<ListObj>>(v_); }
  DictObj& dict_ref() const { return *std::get<std::shared_ptr<DictObj>>(v_); }
  Callable& callable_ref() const { return *std::get<std::shared_ptr<Callable>>(v_); }
  Object& object_ref() const { return *std::get<std::shared_ptr<Object>>(v_); }
  const UndefinedInfo* undefined_info() const { return std::get<Undef>(v_).info.get(); }
  // Raises the UndefinedError this undefined value carries.
  [[noreturn]] void fail_undefined() const;

  // Nesting depth: 0 for scalars, 1 + deepest child for containers.
  int depth() const;

  bool truthy() const;
  std::string str() const;        // Python str()
  std::string repr() const;       // Python repr()
  std::string type_name() const;  // Python class name: "str", "dict", "NoneType", ...
  // Jinja2's object_type_repr: "dict object", "None", ...
  std::string object_type_repr() const;

  // Python equality (1 == 1.0 == True, lists and dicts by value; Undefined equals Undefined).
  bool equals(const Value& other) const;
  // Python ordering for <; throws TypeError for unorderable types.
  bool less(const Value& other) const;
  // Python len(); throws TypeError where Python has no len.
  std::size_t length() const;
  // Python iteration: list items, dict keys, string characters; Undefined yields nothing.
  std::vector<Value> iterate() const;

  // Python json.dumps with transformers' defaults (ensure_ascii off).
  struct JsonOptions {
    bool ensure_ascii = false;
    std::string indent;  // used when has_indent
    bool has_indent = false;
    std::string item_sep = ", ";
    std::string key_sep = ": ";
    bool sort_keys = false;
  };
  std::string to_json(const JsonOptions& options) const;

 private:
  Storage v_;
};

// UTF-8 helpers: Python strings index code points.
std::vector<std::string> utf8_chars(const std::string& s);
std::size_t utf8_length(const std::string& s);
std::string python_float_repr(double d);
std::string python_string_repr(const std::string& s);
void append_json_string(std::string& out, const std::string& s, bool ensure_ascii);

}  // namespace abstractllm::engine::jinja
