// Shared by the chat tests: loads goldens rendered by Python Jinja2
// (tools/chat_templates/make_goldens.py) and pins the clock and time zone strftime_now uses.
#pragma once

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace chat_test {

inline nlohmann::ordered_json load_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::ordered_json::parse(ss.str());
}

// The goldens render strftime_now at this instant in UTC.
inline void pin_utc() {
  setenv("TZ", "UTC", 1);
  tzset();
}

}  // namespace chat_test
