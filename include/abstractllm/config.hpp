// Typed configuration: the C++ form of AbstractLLM's config manager.
//
//   Config cfg{{ModelParameter::TEMPERATURE, 0.2}, {"max_tokens", 64}};
//   cfg.set(ModelParameter::STOP, std::vector<std::string>{"\n\n"});
//   double t = cfg.get_or(ModelParameter::TEMPERATURE, 0.7);
//
// Keys are ModelParameter values or their string names ("temperature"), interchangeably: both
// spell the same entry. Values are typed (null, bool, integer, number, string, string list, JSON).
// validate() checks types and ranges of every known parameter and rejects keys that are neither a
// ModelParameter nor declared by the provider, with an InvalidParameterError naming the key.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "abstractllm/enums.hpp"

namespace abstractllm {

enum class ValueType { Null, Bool, Integer, Number, String, StringList, Json };
std::string_view to_string(ValueType t) noexcept;

// One configuration value. Converting constructors make `{key, 0.5}`, `{key, "text"}`,
// `{key, 64}` and `{key, std::vector<std::string>{...}}` read naturally.
class Value {
 public:
  using Json = nlohmann::json;
  using Storage =
      std::variant<std::monostate, bool, int64_t, double, std::string, std::vector<std::string>, Json>;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool v) : v_(v) {}
  Value(int v) : v_(int64_t{v}) {}
  Value(long v) : v_(int64_t{v}) {}
  Value(long long v) : v_(int64_t{v}) {}
  Value(unsigned v) : v_(int64_t{v}) {}
  Value(unsigned long v) : v_(static_cast<int64_t>(v)) {}
  Value(unsigned long long v) : v_(static_cast<int64_t>(v)) {}
  Value(double v) : v_(v) {}
  Value(float v) : v_(double{v}) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(std::string_view v) : v_(std::string(v)) {}
  Value(std::vector<std::string> v) : v_(std::move(v)) {}
  Value(std::initializer_list<const char*> v) : v_(std::vector<std::string>(v.begin(), v.end())) {}
  // Any JSON; a JSON scalar or string array is stored as the matching typed value.
  static Value from_json(const Json& j);

  ValueType type() const noexcept;
  bool is_null() const noexcept { return std::holds_alternative<std::monostate>(v_); }
  const Storage& storage() const noexcept { return v_; }

  // Typed reads with the lossless conversions a user expects: integer → double, a double with
  // an integral value → int64_t, a string → a one-element string list, anything → JSON.
  // nullopt when the value is null or cannot be converted.
  std::optional<bool> as_bool() const;
  std::optional<int64_t> as_int() const;
  std::optional<double> as_double() const;
  std::optional<std::string> as_string() const;
  std::optional<std::vector<std::string>> as_string_list() const;
  Json to_json() const;
  std::string to_display_string() const;  // for messages: 0.5, "text", ["a", "b"]

  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

 private:
  Storage v_;
};

// A configuration key: a ModelParameter or any string, normalised to the string name.
class ParamKey {
 public:
  ParamKey(ModelParameter p) : name_(to_string(p)) {}
  ParamKey(std::string_view name) : name_(name) {}
  ParamKey(const char* name) : name_(name) {}
  ParamKey(std::string name) : name_(std::move(name)) {}
  const std::string& name() const noexcept { return name_; }
  std::optional<ModelParameter> parameter() const noexcept { return parse_model_parameter(name_); }

 private:
  std::string name_;
};

// A parameter a provider accepts beyond ModelParameter (the seed's "quantize", say).
struct ParameterSpec {
  std::string name;
  ValueType type;
  std::string description;
};

class Config {
 public:
  Config() = default;
  Config(std::initializer_list<std::pair<ParamKey, Value>> entries);

  Config& set(const ParamKey& key, Value value);
  void erase(const ParamKey& key);
  bool contains(const ParamKey& key) const;  // present and not null
  // The stored value, or a null Value when absent.
  const Value& get(const ParamKey& key) const;

  // Typed getters. They throw InvalidParameterError when the value exists but has the wrong type.
  std::optional<double> get_double(const ParamKey& key) const;
  std::optional<int64_t> get_int(const ParamKey& key) const;
  std::optional<bool> get_bool(const ParamKey& key) const;
  std::optional<std::string> get_string(const ParamKey& key) const;
  std::optional<std::vector<std::string>> get_string_list(const ParamKey& key) const;
  std::optional<nlohmann::json> get_json(const ParamKey& key) const;
  double get_or(const ParamKey& key, double fallback) const;
  int64_t get_or(const ParamKey& key, int64_t fallback) const;
  int64_t get_or(const ParamKey& key, int fallback) const { return get_or(key, int64_t{fallback}); }
  bool get_or(const ParamKey& key, bool fallback) const;
  std::string get_or(const ParamKey& key, const char* fallback) const;

  // Fills every key of `defaults` (enum- or string-keyed) that this config lacks or holds null.
  Config& merge_with_defaults(const Config& defaults);
  // A copy of this config with every non-null entry of `overrides` applied on top.
  Config with_overrides(const Config& overrides) const;

  // Checks types and ranges of known parameters (temperature >= 0, top_p in (0, 1],
  // max_tokens > 0, …) and that every other key is declared in `extra`. Throws
  // InvalidParameterError naming the parameter and what is allowed.
  void validate(std::span<const ParameterSpec> extra = {}, std::string_view provider = {}) const;

  const std::map<std::string, Value>& entries() const noexcept { return values_; }
  nlohmann::json to_json() const;
  bool empty() const noexcept { return values_.empty(); }

 private:
  std::map<std::string, Value> values_;
};

}  // namespace abstractllm
