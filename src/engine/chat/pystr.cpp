#include "engine/chat/pystr.hpp"

#include <algorithm>

namespace abstractllm::engine::jinja::pystr {

std::vector<std::uint32_t> decode(const std::string& s) {
  std::vector<std::uint32_t> out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (n <= 0 || i + n >= s.size()) {
      out.push_back(c);
      ++i;
      continue;
    }
    std::uint32_t cp = c & (0x3f >> n);
    bool ok = true;
    for (int k = 1; k <= n; ++k) {
      unsigned char cc = s[i + k];
      if ((cc & 0xc0) != 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (!ok) {
      out.push_back(c);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += n + 1;
  }
  return out;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

std::string encode(const std::vector<std::uint32_t>& cps) {
  std::string out;
  out.reserve(cps.size());
  for (std::uint32_t cp : cps) append_utf8(out, cp);
  return out;
}

bool is_space(std::uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

namespace {

bool is_ascii_only(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

bool is_upper_cp(std::uint32_t c) { return c >= 'A' && c <= 'Z'; }
bool is_lower_cp(std::uint32_t c) { return c >= 'a' && c <= 'z'; }
// Cased letters for title(): ASCII letters plus anything non-ASCII alphabetic-looking. Python
// treats every letter as a word character; we approximate non-ASCII letters as uncased
// word characters.
bool is_alpha_cp(std::uint32_t c) { return is_upper_cp(c) || is_lower_cp(c) || c >= 0xc0; }
std::uint32_t up(std::uint32_t c) { return is_lower_cp(c) ? c - 32 : c; }
std::uint32_t low(std::uint32_t c) { return is_upper_cp(c) ? c + 32 : c; }

}  // namespace

std::string strip(const std::string& s, const std::optional<std::string>& chars, bool left,
                  bool right) {
  if (is_ascii_only(s) && (!chars || is_ascii_only(*chars))) {
    auto in_set = [&](char c) {
      return chars ? chars->find(c) != std::string::npos
                   : (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f));
    };
    std::size_t b = 0, e = s.size();
    if (left)
      while (b < e && in_set(s[b])) ++b;
    if (right)
      while (e > b && in_set(s[e - 1])) --e;
    return s.substr(b, e - b);
  }
  auto cps = decode(s);
  std::vector<std::uint32_t> set;
  if (chars) set = decode(*chars);
  auto in_set = [&](std::uint32_t c) {
    return chars ? std::find(set.begin(), set.end(), c) != set.end() : is_space(c);
  };
  std::size_t b = 0, e = cps.size();
  if (left)
    while (b < e && in_set(cps[b])) ++b;
  if (right)
    while (e > b && in_set(cps[e - 1])) --e;
  return encode(std::vector<std::uint32_t>(cps.begin() + b, cps.begin() + e));
}

std::vector<std::string> split(const std::string& s, const std::optional<std::string>& sep,
                               std::int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    std::size_t pos = 0;
    while (maxsplit < 0 || static_cast<std::int64_t>(out.size()) < maxsplit) {
      std::size_t f = s.find(*sep, pos);
      if (f == std::string::npos) break;
      out.push_back(s.substr(pos, f - pos));
      pos = f + sep->size();
    }
    out.push_back(s.substr(pos));
    return out;
  }
  auto cps = decode(s);
  std::size_t i = 0, n = cps.size();
  while (true) {
    while (i < n && is_space(cps[i])) ++i;
    if (i >= n) break;
    if (maxsplit >= 0 && static_cast<std::int64_t>(out.size()) >= maxsplit) {
      // Python keeps the remainder as is, trailing whitespace included.
      out.push_back(encode(std::vector<std::uint32_t>(cps.begin() + i, cps.end())));
      break;
    }
    std::size_t j = i;
    while (j < n && !is_space(cps[j])) ++j;
    out.push_back(encode(std::vector<std::uint32_t>(cps.begin() + i, cps.begin() + j)));
    i = j;
  }
  return out;
}

std::vector<std::string> rsplit(const std::string& s, const std::optional<std::string>& sep,
                                std::int64_t maxsplit) {
  if (maxsplit < 0) return split(s, sep, maxsplit);
  std::vector<std::string> out;
  if (sep) {
    std::size_t end = s.size();
    while (static_cast<std::int64_t>(out.size()) < maxsplit) {
      if (end < sep->size()) break;
      std::size_t f = s.rfind(*sep, end - sep->size());
      if (f == std::string::npos) break;
      out.push_back(s.substr(f + sep->size(), end - f - sep->size()));
      end = f;
    }
    out.push_back(s.substr(0, end));
    std::reverse(out.begin(), out.end());
    return out;
  }
  auto cps = decode(s);
  std::int64_t i = static_cast<std::int64_t>(cps.size()) - 1;
  while (true) {
    while (i >= 0 && is_space(cps[i])) --i;
    if (i < 0) break;
    if (static_cast<std::int64_t>(out.size()) >= maxsplit) {
      out.push_back(encode(std::vector<std::uint32_t>(cps.begin(), cps.begin() + i + 1)));
      break;
    }
    std::int64_t j = i;
    while (j >= 0 && !is_space(cps[j])) --j;
    out.push_back(encode(std::vector<std::uint32_t>(cps.begin() + j + 1, cps.begin() + i + 1)));
    i = j;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::string> splitlines(const std::string& s, bool keepends) {
  std::vector<std::string> out;
  auto cps = decode(s);
  std::size_t start = 0, i = 0;
  while (i < cps.size()) {
    std::uint32_t c = cps[i];
    bool brk = c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d ||
               c == 0x1e || c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!brk) {
      ++i;
      continue;
    }
    std::size_t eol = i + 1;
    if (c == '\r' && eol < cps.size() && cps[eol] == '\n') ++eol;
    out.push_back(encode(
        std::vector<std::uint32_t>(cps.begin() + start, cps.begin() + (keepends ? eol : i))));
    start = i = eol;
  }
  if (start < cps.size())
    out.push_back(encode(std::vector<std::uint32_t>(cps.begin() + start, cps.end())));
  return out;
}

std::string replace(const std::string& s, const std::string& old, const std::string& repl,
                    std::int64_t count) {
  std::string out;
  if (old.empty()) {
    auto chars = decode(s);
    std::int64_t done = 0;
    for (std::size_t i = 0; i <= chars.size(); ++i) {
      if (count < 0 || done < count) {
        out += repl;
        ++done;
      }
      if (i < chars.size()) out += encode({chars[i]});
    }
    return out;
  }
  std::size_t pos = 0;
  std::int64_t done = 0;
  while (count < 0 || done < count) {
    std::size_t f = s.find(old, pos);
    if (f == std::string::npos) break;
    out.append(s, pos, f - pos);
    out += repl;
    pos = f + old.size();
    ++done;
  }
  out.append(s, pos, std::string::npos);
  return out;
}

std::string upper(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c -= 32;
  return out;
}

std::string lower(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c += 32;
  return out;
}

std::string title(const std::string& s) {
  auto cps = decode(s);
  bool prev_cased = false;
  for (auto& c : cps) {
    if (is_alpha_cp(c)) {
      c = prev_cased ? low(c) : up(c);
      prev_cased = true;
    } else {
      prev_cased = false;
    }
  }
  return encode(cps);
}

std::string capitalize(const std::string& s) {
  auto cps = decode(s);
  for (std::size_t i = 0; i < cps.size(); ++i) cps[i] = i == 0 ? up(cps[i]) : low(cps[i]);
  return encode(cps);
}

std::string center(const std::string& s, std::int64_t width, const std::string& fill) {
  auto cps = decode(s);
  std::int64_t n = static_cast<std::int64_t>(cps.size());
  if (width <= n) return s;
  std::int64_t pad = width - n;
  std::int64_t left = pad / 2 + (pad & width & 1);
  std::string out;
  for (std::int64_t i = 0; i < left; ++i) out += fill;
  out += s;
  for (std::int64_t i = 0; i < pad - left; ++i) out += fill;
  return out;
}

std::int64_t count(const std::string& s, const std::string& sub) {
  if (sub.empty()) return static_cast<std::int64_t>(decode(s).size()) + 1;
  std::int64_t n = 0;
  std::size_t pos = 0;
  while ((pos = s.find(sub, pos)) != std::string::npos) {
    ++n;
    pos += sub.size();
  }
  return n;
}

std::int64_t find(const std::string& s, const std::string& sub, bool reverse) {
  std::size_t f = reverse ? s.rfind(sub) : s.find(sub);
  if (f == std::string::npos) return -1;
  std::int64_t cp = 0;
  for (std::size_t i = 0; i < f; ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80) ++cp;
  return cp;
}

}  // namespace abstractllm::engine::jinja::pystr
