#define PCRE2_CODE_UNIT_WIDTH 8
#include "engine/tokenizer/regex.hpp"

#include <pcre2.h>

#include "abstractllm/errors.hpp"
#include "engine/tokenizer/unicode.hpp"

namespace abstractllm::engine::tok {

struct Regex::Code {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Code() { pcre2_code_free(code); }
};

std::string onig_to_pcre2(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 16);
  int class_depth = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char n = p[i + 1];
      if (n == 's') {
        out += class_depth ? "\\s\\x{85}" : "[\\s\\x{85}]";
      } else if (n == 'S' && !class_depth) {
        out += "[^\\s\\x{85}]";
      } else if (n == 'w') {  // Oniguruma: Letter | Mark | Number | Connector_Punctuation
        out += class_depth ? "\\p{L}\\p{M}\\p{N}\\p{Pc}" : "[\\p{L}\\p{M}\\p{N}\\p{Pc}]";
      } else if (n == 'W' && !class_depth) {
        out += "[^\\p{L}\\p{M}\\p{N}\\p{Pc}]";
      } else {
        out += c;
        out += n;
      }
      ++i;
      continue;
    }
    if (c == '[') {
      ++class_depth;
      out += c;
      // A ']' right after '[' or '[^' is a literal, not the end of the class.
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];
      continue;
    }
    if (c == ']' && class_depth) --class_depth;
    out += c;
  }
  return out;
}

Regex::Regex(std::string_view pattern, std::string_view where) : pattern_(pattern) {
  const std::string translated = onig_to_pcre2(pattern);
  int err = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                    PCRE2_UTF | PCRE2_UCP, &err, &off, nullptr);
  if (!code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof(buf));
    throw ModelLoadingError(std::string(where) + ": regex /" + std::string(pattern) +
                            "/ does not compile at offset " + std::to_string(off) + ": " +
                            reinterpret_cast<const char*>(buf));
  }
  code_ = std::make_shared<Code>();
  code_->code = code;
  code_->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
}

Regex Regex::literal(std::string_view literal, std::string_view where) {
  std::string quoted;
  for (char c : literal) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) quoted += '\\';
    quoted += c;
  }
  return Regex(quoted, where);
}

void Regex::find_all(std::string_view s, std::vector<std::pair<size_t, size_t>>& out) const {
  out.clear();
  if (s.empty()) return;
  // Match data is per call so that one compiled Regex serves many threads at once.
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
      pcre2_match_data_create_from_pattern(code_->code, nullptr), &pcre2_match_data_free);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(s.data());
  size_t pos = 0;
  while (pos <= s.size()) {
    const int rc =
        code_->jit ? pcre2_jit_match(code_->code, subject, s.size(), pos, 0, md.get(), nullptr)
                   : pcre2_match(code_->code, subject, s.size(), pos, PCRE2_NO_UTF_CHECK,
                                 md.get(), nullptr);
    if (rc < 0) break;  // no match (or a resource limit: treat the rest as unmatched)
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    const size_t b = ov[0], e = ov[1];
    if (e < b) break;  // \K tricks; not used by tokenizer regexes
    out.emplace_back(b, e);
    if (e == b) {
      if (e >= s.size()) break;
      pos = e + utf8_len(static_cast<unsigned char>(s[e]));
    } else {
      pos = e;
    }
  }
}

}  // namespace abstractllm::engine::tok
