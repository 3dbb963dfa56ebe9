// GPT-2's reversible byte <-> printable-character table used by ByteLevel components.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace abstractllm::engine::tok {

struct ByteTable {
  std::array<char32_t, 256> byte_to_cp{};
  std::array<std::string, 256> byte_to_utf8;  // the same, encoded
  // Code points used by the table are all < 324; -1 where a code point is not in the table.
  std::array<int16_t, 324> cp_to_byte{};
};
const ByteTable& byte_table();

// Each byte of s replaced by its table character.
std::string bytes_to_chars(std::string_view s);

// GPT-2's pre-tokenization regex (ByteLevel with use_regex).
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

}  // namespace abstractllm::engine::tok
