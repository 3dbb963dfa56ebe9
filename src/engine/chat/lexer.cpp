#include "engine/chat/lexer.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "abstractllm/errors.hpp"
#include "engine/chat/pystr.hpp"

namespace abstractllm::engine::jinja {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_ident(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Jinja2 normalizes every newline sequence to "\n" and drops one trailing newline.
std::string normalize(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r') {
      out += '\n';
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else {
      out += in[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

using pystr::append_utf8;

class Lexer {
 public:
  Lexer(const std::string& source, bool trim, bool lstrip)
      : src_(normalize(source)), trim_(trim), lstrip_(lstrip) {
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < src_.size(); ++i)
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
  }

  std::vector<Token> run() {
    std::size_t pos = 0;
    bool line_starting = true;
    const std::size_t n = src_.size();
    while (pos < n) {
      std::size_t start = find_tag(pos);
      std::string text = src_.substr(pos, (start == std::string::npos ? n : start) - pos);
      if (start == std::string::npos) {
        emit_text(std::move(text), pos);
        break;
      }
      char kind = src_[start + 1];  // '{', '%' or '#'
      char sign = start + 2 < n ? src_[start + 2] : '\0';
      if (sign == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      } else if (sign != '+' && lstrip_ && (kind == '%' || kind == '#')) {
        std::size_t l_pos = text.rfind('\n');
        l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
        if ((l_pos > 0 || line_starting) && l_pos < text.size() &&
            std::all_of(text.begin() + l_pos, text.end(), is_space))
          text.erase(l_pos);
      }
      emit_text(std::move(text), pos);
      pos = start + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
      if (kind == '#') {
        pos = skip_comment(start, pos, line_starting);
      } else if (kind == '%' && is_raw(pos)) {
        pos = lex_raw(start, pos, line_starting);
      } else {
        pos = lex_tag(kind, start, pos, line_starting);
      }
    }
    Token end{Token::Type::End, "", 0, 0, 0, 0};
    set_pos(end, src_.size());
    tokens_.push_back(end);
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void fail(const std::string& msg, std::size_t offset) {
    Token t{};
    set_pos(t, offset);
    throw TemplateError(msg, t.line, t.col);
  }

  void set_pos(Token& t, std::size_t offset) {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    std::size_t line = it - line_starts_.begin();
    t.line = static_cast<int>(line);
    t.col = static_cast<int>(offset - line_starts_[line - 1] + 1);
  }

  void push(Token::Type type, std::string text, std::size_t offset) {
    Token t{type, std::move(text), 0, 0, 0, 0};
    set_pos(t, offset);
    tokens_.push_back(std::move(t));
  }

  void emit_text(std::string text, std::size_t offset) {
    if (!text.empty()) push(Token::Type::Text, std::move(text), offset);
  }

  std::size_t find_tag(std::size_t pos) const {
    while (true) {
      std::size_t p = src_.find('{', pos);
      if (p == std::string::npos || p + 1 >= src_.size()) return std::string::npos;
      char c = src_[p + 1];
      if (c == '{' || c == '%' || c == '#') return p;
      pos = p + 1;
    }
  }

  // After a block or comment end: "-" eats all following whitespace, trim_blocks one newline.
  std::size_t after_end(std::size_t pos, char sign, bool block_like, bool& line_starting) {
    std::size_t end = pos;
    if (sign == '-') {
      while (end < src_.size() && is_space(src_[end])) ++end;
    } else if (sign != '+' && block_like && trim_ && end < src_.size() && src_[end] == '\n') {
      ++end;
    }
    line_starting = end > 0 && src_[end - 1] == '\n';
    return end;
  }

  std::size_t skip_comment(std::size_t start, std::size_t pos, bool& line_starting) {
    std::size_t e = src_.find("#}", pos);
    if (e == std::string::npos) fail("Missing end of comment tag", start);
    char sign = (e > pos && (src_[e - 1] == '-' || src_[e - 1] == '+')) ? src_[e - 1] : '\0';
    return after_end(e + 2, sign, true, line_starting);
  }

  bool match_word(std::size_t& p, const char* word) const {
    while (p < src_.size() && is_space(src_[p])) ++p;
    std::size_t len = std::strlen(word);
    if (src_.compare(p, len, word) != 0) return false;
    if (p + len < src_.size() && is_ident(src_[p + len])) return false;
    p += len;
    while (p < src_.size() && is_space(src_[p])) ++p;
    return true;
  }

  bool is_raw(std::size_t pos) const {
    std::size_t p = pos;
    if (!match_word(p, "raw")) return false;
    return src_.compare(p, 2, "%}") == 0 || src_.compare(p, 3, "-%}") == 0;
  }

  std::size_t lex_raw(std::size_t start, std::size_t pos, bool& line_starting) {
    std::size_t p = pos;
    match_word(p, "raw");
    bool strip_after = src_[p] == '-';
    p += strip_after ? 3 : 2;
    if (strip_after)
      while (p < src_.size() && is_space(src_[p])) ++p;
    std::size_t body = p;
    while (true) {
      std::size_t t = src_.find("{%", p);
      if (t == std::string::npos) fail("Missing end of raw directive", start);
      std::size_t q = t + 2;
      char sign = q < src_.size() ? src_[q] : '\0';
      if (sign == '-' || sign == '+') ++q;
      if (match_word(q, "endraw")) {
        char esign = src_[q] == '-' || src_[q] == '+' ? src_[q] : '\0';
        if (esign) ++q;
        if (src_.compare(q, 2, "%}") == 0) {
          std::string text = src_.substr(body, t - body);
          if (sign == '-') {
            while (!text.empty() && is_space(text.back())) text.pop_back();
          } else if (sign != '+' && lstrip_) {
            std::size_t l_pos = text.rfind('\n');
            if (l_pos != std::string::npos &&
                std::all_of(text.begin() + l_pos + 1, text.end(), is_space))
              text.erase(l_pos + 1);
          }
          emit_text(std::move(text), body);
          return after_end(q + 2, esign, true, line_starting);
        }
      }
      p = t + 2;
    }
  }

  std::size_t lex_tag(char kind, std::size_t start, std::size_t pos, bool& line_starting) {
    push(kind == '{' ? Token::Type::VarBegin : Token::Type::BlockBegin, "", start);
    const char close = kind == '{' ? '}' : '%';
    std::vector<char> balance;
    std::size_t p = pos;
    const std::size_t n = src_.size();
    while (true) {
      while (p < n && is_space(src_[p])) ++p;
      if (p >= n)
        fail(kind == '{' ? "unexpected end of template, expected 'end of print statement'."
                         : "unexpected end of template, expected 'end of statement block'.",
             p);
      if (balance.empty()) {
        char sign = (src_[p] == '-' || src_[p] == '+') ? src_[p] : '\0';
        std::size_t q = p + (sign ? 1 : 0);
        if (q + 1 < n && src_[q] == close && src_[q + 1] == '}' && (sign != '+' || kind == '%')) {
          push(kind == '{' ? Token::Type::VarEnd : Token::Type::BlockEnd, "", p);
          return after_end(q + 2, sign, kind == '%', line_starting);
        }
      }
      char c = src_[p];
      if (is_ident_start(c)) {
        std::size_t q = p;
        while (q < n && is_ident(src_[q])) ++q;
        push(Token::Type::Name, src_.substr(p, q - p), p);
        p = q;
      } else if (is_digit(c)) {
        p = lex_number(p);
      } else if (c == '\'' || c == '"') {
        p = lex_string(p);
      } else {
        static const char* const kOps[] = {"**", "//", "==", "!=", ">=", "<=", "+", "-", "*",
                                           "/",  "%",  "~",  "[",  "]",  "(",  ")", "{", "}",
                                           "<",  ">",  "=",  ".",  ":",  "|",  ",", ";"};
        const char* op = nullptr;
        for (const char* o : kOps) {
          if (src_.compare(p, std::strlen(o), o) == 0) {
            op = o;
            break;
          }
        }
        if (!op) fail(std::string("unexpected char '") + c + "' at " + std::to_string(p), p);
        if (*op == '(' || *op == '[' || *op == '{') balance.push_back(*op);
        if (*op == ')' || *op == ']' || *op == '}') {
          char want = *op == ')' ? '(' : *op == ']' ? '[' : '{';
          if (balance.empty()) fail(std::string("unexpected '") + op + "'", p);
          if (balance.back() != want)
            fail(std::string("unexpected '") + op + "', expected '" +
                     (balance.back() == '('   ? ")"
                      : balance.back() == '[' ? "]"
                                              : "}") +
                     "'",
                 p);
          balance.pop_back();
        }
        push(Token::Type::Op, op, p);
        p += std::strlen(op);
      }
    }
  }

  std::size_t lex_number(std::size_t p) {
    const std::size_t n = src_.size();
    std::size_t q = p;
    std::string digits;
    auto take_digits = [&] {
      while (q < n &&
             (is_digit(src_[q]) || (src_[q] == '_' && q + 1 < n && is_digit(src_[q + 1])))) {
        if (src_[q] != '_') digits += src_[q];
        ++q;
      }
    };
    take_digits();
    bool is_float = false;
    if (q + 1 < n && src_[q] == '.' && is_digit(src_[q + 1]) && !(p > 0 && src_[p - 1] == '.')) {
      is_float = true;
      digits += '.';
      ++q;
      take_digits();
    }
    if (q < n && (src_[q] == 'e' || src_[q] == 'E')) {
      std::size_t r = q + 1;
      if (r < n && (src_[r] == '+' || src_[r] == '-')) ++r;
      if (r < n && is_digit(src_[r])) {
        is_float = true;
        digits += 'e';
        digits.append(src_, q + 1, r - q - 1);
        q = r;
        take_digits();
      }
    }
    Token t{is_float ? Token::Type::Float : Token::Type::Int, src_.substr(p, q - p), 0, 0, 0, 0};
    set_pos(t, p);
    if (is_float) {
      t.fval = std::strtod(digits.c_str(), nullptr);
    } else {
      errno = 0;
      t.ival = std::strtoll(digits.c_str(), nullptr, 10);
      if (errno == ERANGE) fail("integer literal too large", p);
    }
    tokens_.push_back(std::move(t));
    return q;
  }

  // Python's unicode-escape decoding of a string literal's body.
  std::size_t lex_string(std::size_t p) {
    const char quote = src_[p];
    const std::size_t n = src_.size();
    std::string out;
    std::size_t q = p + 1;
    while (true) {
      if (q >= n) fail(std::string("unexpected char '") + quote + "' at " + std::to_string(p), p);
      char c = src_[q];
      if (c == quote) break;
      if (c != '\\') {
        out += c;
        ++q;
        continue;
      }
      if (q + 1 >= n)
        fail(std::string("unexpected char '") + quote + "' at " + std::to_string(p), p);
      char e = src_[q + 1];
      q += 2;
      auto hex = [&](int count) -> bool {
        if (q + count > n) return false;
        std::uint32_t v = 0;
        for (int i = 0; i < count; ++i) {
          char h = src_[q + i];
          int d = is_digit(h)              ? h - '0'
                  : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                  : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                           : -1;
          if (d < 0) return false;
          v = v * 16 + d;
        }
        if (v > 0x10ffff) return false;
        append_utf8(out, v);
        q += count;
        return true;
      };
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case '\n':
          break;
        case 'x':
          if (!hex(2)) fail("invalid \\x escape in string literal", q);
          break;
        case 'u':
          if (!hex(4)) fail("invalid \\u escape in string literal", q);
          break;
        case 'U':
          if (!hex(8)) fail("invalid \\U escape in string literal", q);
          break;
        default:
          if (e >= '0' && e <= '7') {
            std::uint32_t v = e - '0';
            for (int i = 0; i < 2 && q < n && src_[q] >= '0' && src_[q] <= '7'; ++i, ++q)
              v = v * 8 + (src_[q] - '0');
            append_utf8(out, v);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    push(Token::Type::String, std::move(out), p);
    return q + 1;
  }

  std::string src_;
  bool trim_, lstrip_;
  std::vector<std::size_t> line_starts_;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(const std::string& source, bool trim_blocks, bool lstrip_blocks) {
  return Lexer(source, trim_blocks, lstrip_blocks).run();
}

}  // namespace abstractllm::engine::jinja
