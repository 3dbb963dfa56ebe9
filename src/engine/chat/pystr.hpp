// Python str methods on UTF-8 strings, with Python's semantics (code points, Unicode
// whitespace for strip/split). Case mapping covers ASCII only (documented limitation).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace abstractllm::engine::jinja::pystr {

std::vector<std::uint32_t> decode(const std::string& s);
std::string encode(const std::vector<std::uint32_t>& cps);
// Appends code point `cp` to `out` as UTF-8.
void append_utf8(std::string& out, std::uint32_t cp);
bool is_space(std::uint32_t cp);

// strip/lstrip/rstrip: `chars` null means whitespace.
std::string strip(const std::string& s, const std::optional<std::string>& chars, bool left,
                  bool right);
std::vector<std::string> split(const std::string& s, const std::optional<std::string>& sep,
                               std::int64_t maxsplit);
std::vector<std::string> rsplit(const std::string& s, const std::optional<std::string>& sep,
                                std::int64_t maxsplit);
std::vector<std::string> splitlines(const std::string& s, bool keepends);
std::string replace(const std::string& s, const std::string& old, const std::string& repl,
                    std::int64_t count);
std::string upper(const std::string& s);
std::string lower(const std::string& s);
std::string title(const std::string& s);       // Python str.title
std::string capitalize(const std::string& s);  // Python str.capitalize
std::string center(const std::string& s, std::int64_t width, const std::string& fill);
std::int64_t count(const std::string& s, const std::string& sub);
// find in code points; -1 when absent.
std::int64_t find(const std::string& s, const std::string& sub, bool reverse);

}  // namespace abstractllm::engine::jinja::pystr
