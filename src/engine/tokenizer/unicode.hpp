// UTF-8 and Unicode helpers for the tokenizer: decoding, lossy repair, character classes with the
// same meaning as Rust's `char` methods (which the `tokenizers` library uses), normalization forms.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace abstractllm::engine::tok {

// Decodes the code point at s[i] (s must be valid UTF-8) and advances i past it.
inline char32_t next_cp(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  auto cont = [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]) & 0x3F); };
  char32_t cp;
  if (b0 < 0xE0) {
    cp = (static_cast<char32_t>(b0 & 0x1F) << 6) | cont(1);
    i += 2;
  } else if (b0 < 0xF0) {
    cp = (static_cast<char32_t>(b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2);
    i += 3;
  } else {
    cp = (static_cast<char32_t>(b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
    i += 4;
  }
  return cp;
}

// Byte length of the UTF-8 sequence that starts with lead byte b (1 for stray bytes).
inline size_t utf8_len(unsigned char b) {
  if (b < 0xC0) return 1;
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 3;
  return 4;
}

void append_utf8(std::string& out, char32_t cp);

// Valid UTF-8? (Shortest form, no surrogates, <= U+10FFFF.)
bool is_valid_utf8(std::string_view s);
// Replaces each maximal invalid subpart with U+FFFD, like Rust's String::from_utf8_lossy.
std::string utf8_lossy(std::string_view s);
// Length of the longest prefix of s that ends on a complete, valid character boundary; bytes
// after it are an incomplete (possibly still valid) sequence at the end of s.
size_t complete_utf8_prefix(std::string_view s);

// Rust char::is_whitespace (the Unicode White_Space property).
bool is_whitespace(char32_t c);
// Rust char::is_alphanumeric (approximated by general categories L*, N*).
bool is_alphanumeric(char32_t c);
bool is_numeric(char32_t c);  // general categories Nd, Nl, No
// tokenizers' is_punctuation: ASCII punctuation or general category P*.
bool is_punctuation(char32_t c);
bool is_control(char32_t c);  // categories Cc, Cf (not \t \n \r), as BertNormalizer uses
bool is_combining_mark(char32_t c);  // Mn only (spacing marks stay), what StripAccents removes
bool is_cjk(char32_t c);              // BertNormalizer's Chinese-character ranges

enum class NormForm { kNFC, kNFD, kNFKC, kNFKD };
std::string normalize(std::string_view s, NormForm form);  // s must be valid UTF-8
std::string to_lower(std::string_view s);                   // Rust str::to_lowercase per char

}  // namespace abstractllm::engine::tok
