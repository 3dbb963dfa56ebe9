// abstractllm::Config: keyed storage, merging, typed reads and validation.
#include "abstractllm/config.hpp"

#include <cmath>
#include <functional>

#include "abstractllm/errors.hpp"

namespace abstractllm {
namespace {

const Value& null_value() {
  static const Value v;
  return v;
}

[[noreturn]] void wrong_type(const std::string& key, const Value& v, std::string_view expected,
                             std::string_view provider = {}) {
  throw InvalidParameterError(key,
                              "parameter '" + key + "' must be " + std::string(expected) +
                                  ", got " + std::string(to_string(v.type())) + " " +
                                  v.to_display_string(),
                              std::string(provider));
}

// A rule for a known parameter: checks the value, throwing InvalidParameterError.
using Rule = std::function<void(const std::string&, const Value&, std::string_view)>;

Rule number_in(double lo, double hi, bool lo_open, bool hi_open, std::string what) {
  return [=](const std::string& key, const Value& v, std::string_view provider) {
    auto d = v.as_double();
    if (!d) wrong_type(key, v, "a number " + what, provider);
    bool ok = std::isfinite(*d) && (lo_open ? *d > lo : *d >= lo) && (hi_open ? *d < hi : *d <= hi);
    if (!ok)
      throw InvalidParameterError(key,
                                  "parameter '" + key + "' must be a number " + what + ", got " +
                                      v.to_display_string(),
                                  std::string(provider));
  };
}

Rule integer_at_least(int64_t lo, std::string what) {
  return [=](const std::string& key, const Value& v, std::string_view provider) {
    auto i = v.as_int();
    if (!i) wrong_type(key, v, "an integer " + what, provider);
    if (*i < lo)
      throw InvalidParameterError(key,
                                  "parameter '" + key + "' must be an integer " + what + ", got " +
                                      std::to_string(*i),
                                  std::string(provider));
  };
}

Rule any_integer() {
  return [](const std::string& key, const Value& v, std::string_view provider) {
    if (!v.as_int()) wrong_type(key, v, "an integer", provider);
  };
}

Rule a_string() {
  return [](const std::string& key, const Value& v, std::string_view provider) {
    if (!v.as_string()) wrong_type(key, v, "a string", provider);
  };
}

Rule one_of(std::vector<std::string> allowed) {
  return [=](const std::string& key, const Value& v, std::string_view provider) {
    auto s = v.as_string();
    if (!s) wrong_type(key, v, "a string", provider);
    for (const auto& a : allowed)
      if (*s == a) return;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + ("'" + a + "'");
    throw InvalidParameterError(key, "parameter '" + key + "' must be one of " + list + ", got '" + *s + "'",
                                std::string(provider));
  };
}

Rule string_or_list() {
  return [](const std::string& key, const Value& v, std::string_view provider) {
    if (!v.as_string_list()) wrong_type(key, v, "a string or a list of strings", provider);
  };
}

Rule logit_bias_rule() {
  return [](const std::string& key, const Value& v, std::string_view provider) {
    auto j = v.to_json();
    if (!j.is_object()) wrong_type(key, v, "a JSON object {\"token id\": bias}", provider);
    for (const auto& [k, b] : j.items()) {
      bool id_ok = !k.empty() && k.find_first_not_of("0123456789") == std::string::npos && k.size() < 10;
      if (!id_ok || !b.is_number())
        throw InvalidParameterError(key,
                                    "parameter '" + key +
                                        "' must map non-negative token ids to numbers; bad entry \"" +
                                        k + "\": " + b.dump(),
                                    std::string(provider));
    }
  };
}

const std::map<ModelParameter, Rule>& rules() {
  static const std::map<ModelParameter, Rule> r = {
      {ModelParameter::MODEL, a_string()},
      {ModelParameter::TEMPERATURE, number_in(0, 1e6, false, false, ">= 0")},
      {ModelParameter::MAX_TOKENS, integer_at_least(1, "> 0")},
      {ModelParameter::TOP_P, number_in(0, 1, true, false, "in (0, 1]")},
      {ModelParameter::TOP_K, integer_at_least(0, ">= 0 (0 disables it)")},
      {ModelParameter::MIN_P, number_in(0, 1, false, false, "in [0, 1]")},
      {ModelParameter::REPETITION_PENALTY, number_in(0, 1e6, true, false, "> 0 (1 disables it)")},
      {ModelParameter::FREQUENCY_PENALTY, number_in(-2, 2, false, false, "in [-2, 2]")},
      {ModelParameter::PRESENCE_PENALTY, number_in(-2, 2, false, false, "in [-2, 2]")},
      {ModelParameter::SEED, any_integer()},
      {ModelParameter::STOP, string_or_list()},
      {ModelParameter::LOGIT_BIAS, logit_bias_rule()},
      {ModelParameter::SYSTEM_PROMPT, a_string()},
      {ModelParameter::CONTEXT_WINDOW, integer_at_least(1, "> 0")},
      {ModelParameter::CACHE_DIR, a_string()},
      {ModelParameter::DEVICE, one_of({"auto", "cpu", "cuda", "metal"})},
      {ModelParameter::TIMEOUT, number_in(0, 1e9, true, false, "> 0 (seconds)")},
      {ModelParameter::API_KEY, a_string()},
      {ModelParameter::BASE_URL, a_string()},
      {ModelParameter::THREADS, integer_at_least(0, ">= 0 (0 = all cores)")},
  };
  return r;
}

bool matches_type(const Value& v, ValueType t) {
  switch (t) {
    case ValueType::Null: return v.is_null();
    case ValueType::Bool: return v.as_bool().has_value();
    case ValueType::Integer: return v.as_int().has_value();
    case ValueType::Number: return v.as_double().has_value();
    case ValueType::String: return v.as_string().has_value();
    case ValueType::StringList: return v.as_string_list().has_value();
    case ValueType::Json: return true;
  }
  return false;
}

}  // namespace

Config::Config(std::initializer_list<std::pair<ParamKey, Value>> entries) {
  for (const auto& [k, v] : entries) set(k, v);
}

Config& Config::set(const ParamKey& key, Value value) {
  values_[key.name()] = std::move(value);
  return *this;
}

void Config::erase(const ParamKey& key) { values_.erase(key.name()); }

bool Config::contains(const ParamKey& key) const {
  auto it = values_.find(key.name());
  return it != values_.end() && !it->second.is_null();
}

const Value& Config::get(const ParamKey& key) const {
  auto it = values_.find(key.name());
  return it == values_.end() ? null_value() : it->second;
}

#define ABSTRACTLLM_TYPED_GETTER(Name, Type, Conv, Expected)                 \
  std::optional<Type> Config::Name(const ParamKey& key) const {            \
    const Value& v = get(key);                                             \
    if (v.is_null()) return std::nullopt;                                  \
    auto r = v.Conv();                                                     \
    if (!r) wrong_type(key.name(), v, Expected);                           \
    return r;                                                              \
  }
ABSTRACTLLM_TYPED_GETTER(get_double, double, as_double, "a number")
ABSTRACTLLM_TYPED_GETTER(get_int, int64_t, as_int, "an integer")
ABSTRACTLLM_TYPED_GETTER(get_bool, bool, as_bool, "true or false")
ABSTRACTLLM_TYPED_GETTER(get_string, std::string, as_string, "a string")
ABSTRACTLLM_TYPED_GETTER(get_string_list, std::vector<std::string>, as_string_list,
                         "a string or a list of strings")
#undef ABSTRACTLLM_TYPED_GETTER

std::optional<nlohmann::json> Config::get_json(const ParamKey& key) const {
  const Value& v = get(key);
  if (v.is_null()) return std::nullopt;
  return v.to_json();
}

double Config::get_or(const ParamKey& key, double fallback) const {
  return get_double(key).value_or(fallback);
}
int64_t Config::get_or(const ParamKey& key, int64_t fallback) const {
  return get_int(key).value_or(fallback);
}
bool Config::get_or(const ParamKey& key, bool fallback) const {
  return get_bool(key).value_or(fallback);
}
std::string Config::get_or(const ParamKey& key, const char* fallback) const {
  return get_string(key).value_or(fallback);
}

Config& Config::merge_with_defaults(const Config& defaults) {
  for (const auto& [k, v] : defaults.values_) {
    auto it = values_.find(k);
    if (it == values_.end() || it->second.is_null()) values_[k] = v;
  }
  return *this;
}

Config Config::with_overrides(const Config& overrides) const {
  Config out = *this;
  for (const auto& [k, v] : overrides.values_)
    if (!v.is_null()) out.values_[k] = v;
  return out;
}

void Config::validate(std::span<const ParameterSpec> extra, std::string_view provider) const {
  for (const auto& [key, value] : values_) {
    if (value.is_null()) continue;  // null means "use the default"
    if (auto p = parse_model_parameter(key)) {
      rules().at(*p)(key, value, provider);
      continue;
    }
    const ParameterSpec* spec = nullptr;
    for (const auto& s : extra)
      if (s.name == key) spec = &s;
    if (!spec) {
      std::string allowed;
      for (const auto& [p, rule] : rules()) allowed += (allowed.empty() ? "" : ", ") + std::string(to_string(p));
      for (const auto& s : extra) allowed += ", " + s.name;
      throw InvalidParameterError(key,
                                  "unknown parameter '" + key + "'" +
                                      (provider.empty() ? "" : " for provider '" + std::string(provider) + "'") +
                                      "; known parameters: " + allowed,
                                  std::string(provider));
    }
    if (!matches_type(value, spec->type)) wrong_type(key, value, "a " + std::string(to_string(spec->type)), provider);
  }
}

nlohmann::json Config::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : values_) j[k] = v.to_json();
  return j;
}

}  // namespace abstractllm
