// Small checked accessors over simdjson's DOM for the tokenizer loader: every failure names the
// component path ("pre_tokenizer.pretokenizers[1].pattern") and what was expected.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "abstractllm/errors.hpp"

namespace abstractllm::engine::tok::json {

using Elem = simdjson::dom::element;

[[noreturn]] inline void fail(const std::string& where, const std::string& what) {
  throw ModelLoadingError("tokenizer.json: " + where + ": " + what);
}

inline std::optional<Elem> field(Elem obj, std::string_view key) {
  if (!obj.is_object()) return std::nullopt;
  auto r = obj.get_object().at_key(key);
  if (r.error()) return std::nullopt;
  Elem e = r.value_unsafe();
  if (e.is_null()) return std::nullopt;
  return e;
}

inline std::string_view str(Elem obj, std::string_view key, const std::string& where,
                            std::optional<std::string_view> def = std::nullopt) {
  auto f = field(obj, key);
  if (!f) {
    if (def) return *def;
    fail(where, "missing string field \"" + std::string(key) + "\"");
  }
  if (!f->is_string()) fail(where, "field \"" + std::string(key) + "\" must be a string");
  return f->get_string().value_unsafe();
}

inline std::optional<std::string_view> opt_str(Elem obj, std::string_view key,
                                               const std::string& where) {
  auto f = field(obj, key);
  if (!f) return std::nullopt;
  if (!f->is_string()) fail(where, "field \"" + std::string(key) + "\" must be a string");
  return f->get_string().value_unsafe();
}

inline bool boolean(Elem obj, std::string_view key, const std::string& where, bool def) {
  auto f = field(obj, key);
  if (!f) return def;
  if (!f->is_bool()) fail(where, "field \"" + std::string(key) + "\" must be true or false");
  return f->get_bool().value_unsafe();
}

inline int64_t integer(Elem obj, std::string_view key, const std::string& where, int64_t def) {
  auto f = field(obj, key);
  if (!f) return def;
  if (f->is_int64()) return f->get_int64().value_unsafe();
  if (f->is_uint64()) return static_cast<int64_t>(f->get_uint64().value_unsafe() & INT64_MAX);
  fail(where, "field \"" + std::string(key) + "\" must be an integer");
}

inline double number(Elem obj, std::string_view key, const std::string& where, double def) {
  auto f = field(obj, key);
  if (!f) return def;
  if (f->is_number()) return f->get_double().value_unsafe();
  fail(where, "field \"" + std::string(key) + "\" must be a number");
}

inline std::string_view type_of(Elem obj, const std::string& where) {
  if (!obj.is_object()) fail(where, "expected an object with a \"type\"");
  return str(obj, "type", where);
}

// The array under `key` (which must exist and be an array).
inline simdjson::dom::array array(Elem obj, std::string_view key, const std::string& where) {
  auto f = field(obj, key);
  if (!f || !f->is_array()) fail(where, "missing array field \"" + std::string(key) + "\"");
  return f->get_array().value_unsafe();
}

}  // namespace abstractllm::engine::tok::json
