// Small behaviours of the API's value types.
#include "abstractllm/types.hpp"

namespace abstractllm {

nlohmann::json Message::to_json() const {
  nlohmann::json j = extra.is_object() ? extra : nlohmann::json::object();
  j["role"] = role;
  j["content"] = content;
  return j;
}

const Value& Capabilities::get(ModelCapability c) const {
  static const Value null_value;
  auto it = values_.find(c);
  return it == values_.end() ? null_value : it->second;
}

bool Capabilities::supports(ModelCapability c) const {
  const Value& v = get(c);
  if (auto b = v.as_bool()) return *b;
  if (auto d = v.as_double()) return *d > 0;
  return false;
}

nlohmann::json Capabilities::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [c, v] : values_) j[std::string(to_string(c))] = v.to_json();
  return j;
}

}  // namespace abstractllm
