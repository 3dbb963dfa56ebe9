// abstractllm::Value: typed configuration values and their lossless conversions.
#include <cmath>
#include <limits>

#include "abstractllm/config.hpp"

namespace abstractllm {

std::string_view to_string(ValueType t) noexcept {
  switch (t) {
    case ValueType::Null: return "null";
    case ValueType::Bool: return "bool";
    case ValueType::Integer: return "integer";
    case ValueType::Number: return "number";
    case ValueType::String: return "string";
    case ValueType::StringList: return "list of strings";
    case ValueType::Json: return "JSON value";
  }
  return "unknown";
}

Value Value::from_json(const Json& j) {
  if (j.is_null()) return Value();
  if (j.is_boolean()) return Value(j.get<bool>());
  if (j.is_number_integer()) return Value(j.get<int64_t>());
  if (j.is_number_unsigned()) {
    auto u = j.get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return Value(static_cast<int64_t>(u));
  }
  if (j.is_number()) return Value(j.get<double>());
  if (j.is_string()) return Value(j.get<std::string>());
  if (j.is_array() && !j.empty()) {
    bool all_strings = true;
    for (const auto& e : j) all_strings = all_strings && e.is_string();
    if (all_strings) return Value(j.get<std::vector<std::string>>());
  }
  Value v;
  v.v_ = j;
  return v;
}

ValueType Value::type() const noexcept {
  switch (v_.index()) {
    case 0: return ValueType::Null;
    case 1: return ValueType::Bool;
    case 2: return ValueType::Integer;
    case 3: return ValueType::Number;
    case 4: return ValueType::String;
    case 5: return ValueType::StringList;
    default: return ValueType::Json;
  }
}

std::optional<bool> Value::as_bool() const {
  if (auto* b = std::get_if<bool>(&v_)) return *b;
  if (auto* j = std::get_if<Json>(&v_); j && j->is_boolean()) return j->get<bool>();
  return std::nullopt;
}

std::optional<int64_t> Value::as_int() const {
  if (auto* i = std::get_if<int64_t>(&v_)) return *i;
  if (auto* d = std::get_if<double>(&v_)) {
    if (std::isfinite(*d) && std::trunc(*d) == *d && std::fabs(*d) < 9.0e18)
      return static_cast<int64_t>(*d);
  }
  if (auto* j = std::get_if<Json>(&v_); j && j->is_number_integer()) return j->get<int64_t>();
  return std::nullopt;
}

std::optional<double> Value::as_double() const {
  if (auto* d = std::get_if<double>(&v_)) return *d;
  if (auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  if (auto* j = std::get_if<Json>(&v_); j && j->is_number()) return j->get<double>();
  return std::nullopt;
}

std::optional<std::string> Value::as_string() const {
  if (auto* s = std::get_if<std::string>(&v_)) return *s;
  if (auto* j = std::get_if<Json>(&v_); j && j->is_string()) return j->get<std::string>();
  return std::nullopt;
}

std::optional<std::vector<std::string>> Value::as_string_list() const {
  if (auto* l = std::get_if<std::vector<std::string>>(&v_)) return *l;
  if (auto* s = std::get_if<std::string>(&v_)) return std::vector<std::string>{*s};
  if (auto* j = std::get_if<Json>(&v_); j && j->is_array()) {
    std::vector<std::string> out;
    for (const auto& e : *j) {
      if (!e.is_string()) return std::nullopt;
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  return std::nullopt;
}

Value::Json Value::to_json() const {
  return std::visit(
      [](const auto& x) -> Json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else {
          return Json(x);
        }
      },
      v_);
}

std::string Value::to_display_string() const { return to_json().dump(); }

}  // namespace abstractllm
