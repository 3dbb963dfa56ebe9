#include "engine/tokenizer/byte_level.hpp"

#include "engine/tokenizer/unicode.hpp"

namespace abstractllm::engine::tok {

const ByteTable& byte_table() {
  static const ByteTable table = [] {
    ByteTable t;
    t.cp_to_byte.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
      const char32_t cp = printable ? static_cast<char32_t>(b) : next++;
      t.byte_to_cp[b] = cp;
      t.cp_to_byte[cp] = static_cast<int16_t>(b);
      append_utf8(t.byte_to_utf8[b], cp);
    }
    return t;
  }();
  return table;
}

std::string bytes_to_chars(std::string_view s) {
  const auto& t = byte_table();
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char b : s) out += t.byte_to_utf8[b];
  return out;
}

}  // namespace abstractllm::engine::tok
