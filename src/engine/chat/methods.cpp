// Methods of str, list and dict values as Python has them, restricted like Jinja2's
// ImmutableSandboxedEnvironment (mutating list/dict methods are unsafe), plus Python's
// str.format and %-formatting.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "engine/chat/interpreter.hpp"
#include "engine/chat/pystr.hpp"

namespace abstractllm::engine::jinja {
namespace {

const std::unordered_set<std::string>& str_methods() {
  static const std::unordered_set<std::string> s = {
      "strip",        "lstrip",   "rstrip",   "split",   "rsplit",    "splitlines", "startswith",
      "endswith",     "replace",  "upper",    "lower",   "title",     "capitalize", "find",
      "rfind",        "index",    "rindex",   "count",   "format",    "join",       "isdigit",
      "isalpha",      "isalnum",  "isspace",  "isupper", "islower",   "isnumeric",  "isdecimal",
      "center",       "ljust",    "rjust",    "zfill",   "partition", "rpartition", "removeprefix",
      "removesuffix", "swapcase", "casefold", "istitle"};
  return s;
}

std::optional<std::string> opt_str(Args& a, std::size_t i, const char* name) {
  const Value* v = a.get(i, name);
  if (!v || v->is_none()) return std::nullopt;
  if (!v->is_string()) throw_runtime("TypeError", "must be str or None, not " + v->type_name());
  return v->str_ref();
}

std::int64_t opt_int(Args& a, std::size_t i, const char* name, std::int64_t def) {
  const Value* v = a.get(i, name);
  if (!v || v->is_none()) return def;
  if (!(v->is_int() || v->is_bool()))
    throw_runtime("TypeError",
                  "'" + v->type_name() + "' object cannot be interpreted as an integer");
  return v->to_int();
}

const std::string& req_str(Args& a, std::size_t i, const char* name, const char* method) {
  const Value* v = a.get(i, name);
  if (!v)
    throw_runtime("TypeError", std::string(method) + "() takes at least 1 argument (0 given)");
  if (v->is_undefined()) v->fail_undefined();
  if (!v->is_string())
    throw_runtime("TypeError", std::string("must be str, not ") + v->type_name());
  return v->str_ref();
}

Value str_list(std::vector<std::string> parts) {
  std::vector<Value> out;
  out.reserve(parts.size());
  for (auto& p : parts) out.emplace_back(std::move(p));
  return Value::list(std::move(out));
}

bool affix(const std::string& s, const Value& what, bool starts, const char* method) {
  auto test = [&](const std::string& p) {
    if (p.size() > s.size()) return false;
    return starts ? s.compare(0, p.size(), p) == 0
                  : s.compare(s.size() - p.size(), p.size(), p) == 0;
  };
  if (what.is_string()) return test(what.str_ref());
  if (what.is_list() && what.list_ref().tuple) {
    for (const auto& p : what.list_ref().items) {
      if (!p.is_string())
        throw_runtime("TypeError", std::string("tuple for ") + method +
                                       " must only contain str, not " + p.type_name());
      if (test(p.str_ref())) return true;
    }
    return false;
  }
  throw_runtime(
      "TypeError",
      std::string(method) + " first arg must be str or a tuple of str, not " + what.type_name());
}

bool all_cps(const std::string& s, bool (*pred)(std::uint32_t)) {
  auto cps = pystr::decode(s);
  if (cps.empty()) return false;
  return std::all_of(cps.begin(), cps.end(), pred);
}

Value call_str(Interpreter& in, const std::string& s, const std::string& name, Args& a) {
  if (name == "strip" || name == "lstrip" || name == "rstrip")
    return Value(pystr::strip(s, opt_str(a, 0, "chars"), name != "rstrip", name != "lstrip"));
  if (name == "split")
    return str_list(pystr::split(s, opt_str(a, 0, "sep"), opt_int(a, 1, "maxsplit", -1)));
  if (name == "rsplit")
    return str_list(pystr::rsplit(s, opt_str(a, 0, "sep"), opt_int(a, 1, "maxsplit", -1)));
  if (name == "splitlines") {
    const Value* k = a.get(0, "keepends");
    return str_list(pystr::splitlines(s, k && k->truthy()));
  }
  if (name == "startswith" || name == "endswith") {
    const Value* w = a.get(0, nullptr);
    if (!w) throw_runtime("TypeError", name + "() takes at least 1 argument (0 given)");
    return Value(affix(s, *w, name == "startswith", name.c_str()));
  }
  if (name == "replace")
    return Value(pystr::replace(s, req_str(a, 0, "old", "replace"), req_str(a, 1, "new", "replace"),
                                opt_int(a, 2, "count", -1)));
  if (name == "upper") return Value(pystr::upper(s));
  if (name == "lower" || name == "casefold") return Value(pystr::lower(s));
  if (name == "title") return Value(pystr::title(s));
  if (name == "capitalize") return Value(pystr::capitalize(s));
  if (name == "swapcase") {
    std::string out = s;
    for (char& c : out) c = (c >= 'a' && c <= 'z') ? c - 32 : (c >= 'A' && c <= 'Z') ? c + 32 : c;
    return Value(out);
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
    std::int64_t r = pystr::find(s, req_str(a, 0, "sub", name.c_str()), name[0] == 'r');
    if (r < 0 && (name == "index" || name == "rindex"))
      throw_runtime("ValueError", "substring not found");
    return Value(r);
  }
  if (name == "count") return Value(pystr::count(s, req_str(a, 0, "sub", "count")));
  if (name == "format") return Value(python_format(in, s, a));
  if (name == "join") {
    const Value* seq = a.get(0, "iterable");
    if (!seq) throw_runtime("TypeError", "str.join() takes exactly one argument (0 given)");
    if (!(seq->is_list() || seq->is_dict() || seq->is_string() || seq->is_undefined()))
      throw_runtime("TypeError", "can only join an iterable");
    std::string out;
    bool first = true;
    std::size_t idx = 0;
    for (const auto& item : seq->iterate()) {
      if (!item.is_string())
        throw_runtime("TypeError", "sequence item " + std::to_string(idx) +
                                       ": expected str instance, " + item.type_name() + " found");
      if (!first) out += s;
      first = false;
      out += item.str_ref();
      ++idx;
    }
    return Value(std::move(out));
  }
  if (name == "isdigit" || name == "isnumeric" || name == "isdecimal")
    return Value(all_cps(s, [](std::uint32_t c) { return c >= '0' && c <= '9'; }));
  if (name == "isalpha")
    return Value(all_cps(s, [](std::uint32_t c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0xc0;
    }));
  if (name == "isalnum")
    return Value(all_cps(s, [](std::uint32_t c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c >= 0xc0;
    }));
  if (name == "isspace") return Value(all_cps(s, pystr::is_space));
  if (name == "isupper") return Value(pystr::upper(s) == s && pystr::lower(s) != s);
  if (name == "islower") return Value(pystr::lower(s) == s && pystr::upper(s) != s);
  if (name == "istitle") return Value(pystr::title(s) == s && pystr::lower(s) != s);
  if (name == "center" || name == "ljust" || name == "rjust") {
    std::int64_t width = opt_int(a, 0, "width", 0);
    std::string fill = a.get(1, "fillchar") ? a.get(1, "fillchar")->str() : " ";
    if (name == "center") return Value(pystr::center(s, width, fill));
    std::int64_t n = static_cast<std::int64_t>(utf8_length(s));
    std::string pad;
    for (std::int64_t i = n; i < width; ++i) pad += fill;
    return Value(name == "ljust" ? s + pad : pad + s);
  }
  if (name == "zfill") {
    std::int64_t width = opt_int(a, 0, "width", 0);
    std::int64_t n = static_cast<std::int64_t>(utf8_length(s));
    if (n >= width) return Value(s);
    std::string zeros(static_cast<std::size_t>(width - n), '0');
    if (!s.empty() && (s[0] == '+' || s[0] == '-'))
      return Value(s.substr(0, 1) + zeros + s.substr(1));
    return Value(zeros + s);
  }
  if (name == "partition" || name == "rpartition") {
    const std::string& sep = req_str(a, 0, "sep", name.c_str());
    if (sep.empty()) throw_runtime("ValueError", "empty separator");
    std::size_t f = name == "partition" ? s.find(sep) : s.rfind(sep);
    if (f == std::string::npos)
      return name == "partition" ? Value::list({Value(s), Value(""), Value("")}, true)
                                 : Value::list({Value(""), Value(""), Value(s)}, true);
    return Value::list({Value(s.substr(0, f)), Value(sep), Value(s.substr(f + sep.size()))}, true);
  }
  if (name == "removeprefix") {
    const std::string& p = req_str(a, 0, "prefix", "removeprefix");
    return Value(s.compare(0, p.size(), p) == 0 ? s.substr(p.size()) : s);
  }
  if (name == "removesuffix") {
    const std::string& p = req_str(a, 0, "suffix", "removesuffix");
    if (!p.empty() && p.size() <= s.size() && s.compare(s.size() - p.size(), p.size(), p) == 0)
      return Value(s.substr(0, s.size() - p.size()));
    return Value(s);
  }
  throw_runtime("AttributeError", "'str' object has no attribute '" + name + "'");
}

}  // namespace

bool has_method(const Value& obj, const std::string& name, bool& unsafe) {
  unsafe = false;
  if (obj.is_string()) return str_methods().count(name) > 0;
  if (obj.is_list()) {
    if (name == "index" || name == "count" || name == "copy") return true;
    if (obj.list_ref().tuple) return false;
    // Jinja2's sandbox lists MutableSequence's unsafe methods without pop and clear, so those
    // two work (and mutate) in transformers' environment.
    if (name == "pop" || name == "clear") return true;
    static const std::unordered_set<std::string> mut = {"append", "extend",  "insert",
                                                        "remove", "reverse", "sort"};
    if (mut.count(name)) return unsafe = true;
    return false;
  }
  if (obj.is_dict()) {
    if (name == "items" || name == "keys" || name == "values" || name == "get" || name == "copy")
      return true;
    static const std::unordered_set<std::string> mut = {"clear", "pop", "popitem", "setdefault",
                                                        "update"};
    if (mut.count(name)) return unsafe = true;
  }
  return false;
}

Value call_method(Interpreter& in, const Value& obj, const std::string& name, Args& a) {
  if (obj.is_string()) return call_str(in, obj.str_ref(), name, a);
  if (obj.is_list()) {
    const auto& items = obj.list_ref().items;
    if (name == "copy") return Value::list(items, obj.list_ref().tuple);
    if (name == "clear") {
      obj.list_ref().items.clear();
      return Value(nullptr);
    }
    if (name == "pop") {
      auto& list = obj.list_ref().items;
      if (list.empty()) throw_runtime("IndexError", "pop from empty list");
      std::int64_t n = static_cast<std::int64_t>(list.size());
      std::int64_t i = opt_int(a, 0, "index", -1);
      if (i < 0) i += n;
      if (i < 0 || i >= n) throw_runtime("IndexError", "pop index out of range");
      Value v = list[i];
      list.erase(list.begin() + i);
      return v;
    }
    const Value* x = a.get(0, nullptr);
    if (!x) throw_runtime("TypeError", name + "() takes exactly one argument (0 given)");
    if (name == "count") {
      std::int64_t n = 0;
      for (const auto& v : items)
        if (v.equals(*x)) ++n;
      return Value(n);
    }
    for (std::size_t i = 0; i < items.size(); ++i)
      if (items[i].equals(*x)) return Value(static_cast<std::int64_t>(i));
    throw_runtime("ValueError", x->repr() + " is not in " + obj.type_name());
  }
  if (obj.is_dict()) {
    const auto& d = obj.dict_ref();
    if (name == "items") {
      std::vector<Value> out;
      out.reserve(d.items.size());
      for (const auto& [k, v] : d.items) out.push_back(Value::list({k, v}, true));
      return Value::list(std::move(out));
    }
    if (name == "keys" || name == "values") {
      std::vector<Value> out;
      out.reserve(d.items.size());
      for (const auto& [k, v] : d.items) out.push_back(name == "keys" ? k : v);
      return Value::list(std::move(out));
    }
    if (name == "copy") {
      Value c = Value::dict();
      c.dict_ref().items = d.items;
      c.dict_ref().depth = d.depth;
      return c;
    }
    if (name == "get") {
      const Value* k = a.get(0, nullptr);
      if (!k) throw_runtime("TypeError", "get expected at least 1 argument, got 0");
      if (const Value* v = d.find(*k)) return *v;
      const Value* def = a.get(1, nullptr);
      return def ? *def : Value(nullptr);
    }
  }
  throw_runtime("AttributeError",
                "'" + obj.type_name() + "' object has no attribute '" + name + "'");
}

namespace {

struct Spec {
  char fill = ' ';
  char align = '\0';
  char sign = '-';
  bool alt = false;
  bool zero = false;
  int width = -1;
  bool comma = false;
  int precision = -1;
  char type = '\0';
};

Spec parse_spec(const std::string& s) {
  Spec sp;
  std::size_t i = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (s.size() >= 2 && is_align(s[1])) {
    sp.fill = s[0];
    sp.align = s[1];
    i = 2;
  } else if (!s.empty() && is_align(s[0])) {
    sp.align = s[0];
    i = 1;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) sp.sign = s[i++];
  if (i < s.size() && s[i] == '#') {
    sp.alt = true;
    ++i;
  }
  if (i < s.size() && s[i] == '0') {
    sp.zero = true;
    ++i;
  }
  int w = 0;
  bool has_w = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    w = std::min(w * 10 + (s[i++] - '0'), 100000);
    has_w = true;
  }
  if (has_w) sp.width = w;
  if (i < s.size() && (s[i] == ',' || s[i] == '_')) {
    sp.comma = true;
    ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    int p = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      p = std::min(p * 10 + (s[i++] - '0'), 1000);
    sp.precision = p;
  }
  if (i < s.size()) sp.type = s[i++];
  if (i != s.size()) throw_runtime("ValueError", "Invalid format specifier");
  return sp;
}

std::string pad(std::string body, const Spec& sp, bool numeric) {
  std::int64_t n = static_cast<std::int64_t>(utf8_length(body));
  if (sp.width < 0 || n >= sp.width) return body;
  std::size_t missing = static_cast<std::size_t>(sp.width - n);
  char align = sp.align ? sp.align : (numeric ? '>' : '<');
  char fill = sp.fill;
  if (sp.zero && !sp.align) {
    align = '=';
    fill = '0';
  }
  if (align == '<') return body + std::string(missing, fill);
  if (align == '>') return std::string(missing, fill) + body;
  if (align == '^') {
    std::size_t left = missing / 2;
    return std::string(left, fill) + body + std::string(missing - left, fill);
  }
  std::size_t signlen =
      (!body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) ? 1 : 0;
  return body.substr(0, signlen) + std::string(missing, fill) + body.substr(signlen);
}

std::string format_value(const Value& v, const std::string& spec_text) {
  if (spec_text.empty()) return v.str();
  Spec sp = parse_spec(spec_text);
  if (v.is_string() || v.is_none() || v.is_list() || v.is_dict() || v.is_undefined()) {
    if (sp.type && sp.type != 's')
      throw_runtime("ValueError", std::string("Unknown format code '") + sp.type +
                                      "' for object of type '" + v.type_name() + "'");
    std::string s = v.str();
    if (sp.precision >= 0) {
      auto cps = pystr::decode(s);
      if (static_cast<int>(cps.size()) > sp.precision) cps.resize(sp.precision);
      s = pystr::encode(cps);
    }
    return pad(s, sp, false);
  }
  char buf[512];
  std::string body;
  char type = sp.type;
  if ((v.is_int() || v.is_bool()) && (type == '\0' || type == 'd')) {
    std::int64_t i = v.to_int();
    body = std::to_string(i);
    if (sp.comma) {
      std::string digits = i < 0 ? body.substr(1) : body;
      std::string grouped;
      for (std::size_t k = 0; k < digits.size(); ++k) {
        if (k && (digits.size() - k) % 3 == 0) grouped += ',';
        grouped += digits[k];
      }
      body = (i < 0 ? "-" : "") + grouped;
    }
    if (i >= 0 && sp.sign != '-') body = std::string(1, sp.sign) + body;
    return pad(body, sp, true);
  }
  if ((v.is_int() || v.is_bool()) && (type == 'x' || type == 'X' || type == 'o' || type == 'b')) {
    std::int64_t i = v.to_int();
    if (type == 'b') {
      std::uint64_t u = i < 0 ? -static_cast<std::uint64_t>(i) : i;
      std::string bits;
      do {
        bits.insert(bits.begin(), static_cast<char>('0' + (u & 1)));
        u >>= 1;
      } while (u);
      body = (i < 0 ? "-" : "") + std::string(sp.alt ? "0b" : "") + bits;
    } else {
      std::snprintf(buf, sizeof buf,
                    type == 'x'   ? "%llx"
                    : type == 'X' ? "%llX"
                                  : "%llo",
                    static_cast<unsigned long long>(i < 0 ? -i : i));
      body = std::string(i < 0 ? "-" : "") +
             (sp.alt ? (type == 'o'   ? "0o"
                        : type == 'x' ? "0x"
                                      : "0X")
                     : "") +
             buf;
    }
    return pad(body, sp, true);
  }
  if (!v.is_number())
    throw_runtime("ValueError", "Unknown format code for object of type '" + v.type_name() + "'");
  double d = v.to_double();
  if (type == '\0' && v.is_float() && sp.precision < 0) {
    body = python_float_repr(d);
  } else {
    char t = type == '\0' ? 'g' : type;
    if (t == '%') {
      d *= 100;
      t = 'f';
    }
    if (t != 'f' && t != 'F' && t != 'e' && t != 'E' && t != 'g' && t != 'G')
      throw_runtime("ValueError", std::string("Unknown format code '") + type +
                                      "' for object of type '" + v.type_name() + "'");
    int prec = sp.precision < 0 ? 6 : sp.precision;
    char fmt[16];
    std::snprintf(fmt, sizeof fmt, "%%%s.%d%c", sp.alt ? "#" : "", prec, t);
    std::snprintf(buf, sizeof buf, fmt, d);
    body = buf;
    if (type == '%') body += '%';
  }
  if (d >= 0 && sp.sign != '-') body = std::string(1, sp.sign) + body;
  return pad(body, sp, true);
}

}  // namespace

std::string python_format(Interpreter& in, const std::string& fmt, Args& args) {
  std::string out;
  std::size_t auto_index = 0;
  std::size_t i = 0;
  while (i < fmt.size()) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out += '}';
        i += 2;
        continue;
      }
      throw_runtime("ValueError", "Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      i += 2;
      continue;
    }
    std::size_t close = fmt.find('}', i);
    if (close == std::string::npos)
      throw_runtime("ValueError", "expected '}' before end of string");
    std::string field = fmt.substr(i + 1, close - i - 1);
    i = close + 1;
    std::string spec, conv;
    if (auto colon = field.find(':'); colon != std::string::npos) {
      spec = field.substr(colon + 1);
      field = field.substr(0, colon);
    }
    if (auto bang = field.find('!'); bang != std::string::npos) {
      conv = field.substr(bang + 1);
      field = field.substr(0, bang);
    }
    std::size_t end = field.find_first_of(".[");
    std::string head = field.substr(0, end);
    Value v;
    if (head.empty()) {
      if (auto_index >= args.pos.size())
        throw_runtime("IndexError", "Replacement index " + std::to_string(auto_index) +
                                        " out of range for positional args tuple");
      v = args.pos[auto_index++];
    } else if (std::all_of(head.begin(), head.end(),
                           [](char ch) { return ch >= '0' && ch <= '9'; })) {
      std::size_t idx = static_cast<std::size_t>(std::atoll(head.c_str()));
      if (idx >= args.pos.size())
        throw_runtime("IndexError",
                      "Replacement index " + head + " out of range for positional args tuple");
      v = args.pos[idx];
    } else {
      bool found = false;
      for (const auto& [k, val] : args.kw)
        if (k == head) {
          v = val;
          found = true;
        }
      if (!found) throw_runtime("KeyError", "'" + head + "'");
    }
    while (end != std::string::npos && end < field.size()) {
      if (field[end] == '.') {
        std::size_t next = field.find_first_of(".[", end + 1);
        v = in.getattr(v, field.substr(end + 1, next == std::string::npos ? std::string::npos
                                                                          : next - end - 1));
        end = next;
      } else {
        std::size_t rb = field.find(']', end);
        if (rb == std::string::npos) throw_runtime("ValueError", "Missing ']' in format string");
        std::string key = field.substr(end + 1, rb - end - 1);
        bool numeric = !key.empty() && std::all_of(key.begin(), key.end(),
                                                   [](char ch) { return ch >= '0' && ch <= '9'; });
        v = in.getitem(
            v, numeric ? Value(static_cast<std::int64_t>(std::atoll(key.c_str()))) : Value(key));
        end = rb + 1;
      }
    }
    if (conv == "r")
      v = Value(v.repr());
    else if (conv == "s")
      v = Value(v.str());
    out += format_value(v, spec);
  }
  return out;
}

std::string python_percent(const std::string& fmt, const Value& args) {
  std::vector<Value> pos;
  const DictObj* mapping = nullptr;
  if (args.is_list() && args.list_ref().tuple)
    pos = args.list_ref().items;
  else if (args.is_dict())
    mapping = &args.dict_ref();
  else
    pos.push_back(args);
  std::size_t next = 0;
  std::string out;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size()) throw_runtime("ValueError", "incomplete format");
    Value v;
    bool have = false;
    if (fmt[i] == '(') {
      std::size_t close = fmt.find(')', i);
      if (close == std::string::npos) throw_runtime("ValueError", "incomplete format key");
      if (!mapping) throw_runtime("TypeError", "format requires a mapping");
      const Value* found = mapping->find(fmt.substr(i + 1, close - i - 1));
      if (!found) throw_runtime("KeyError", "'" + fmt.substr(i + 1, close - i - 1) + "'");
      v = *found;
      have = true;
      i = close + 1;
    }
    std::string flags;
    while (i < fmt.size() && std::strchr("-+ 0#", fmt[i])) flags += fmt[i++];
    std::string width, prec;
    while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i]))) width += fmt[i++];
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      prec = ".";
      while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i]))) prec += fmt[i++];
    }
    if (i >= fmt.size()) throw_runtime("ValueError", "incomplete format");
    char conv = fmt[i];
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (!have) {
      if (next >= pos.size()) throw_runtime("TypeError", "not enough arguments for format string");
      v = pos[next++];
    }
    if (width.size() > 5 || prec.size() > 5) throw_runtime("ValueError", "format width too large");
    char buf[512];
    std::string spec = "%" + flags + width + prec;
    switch (conv) {
      case 's':
      case 'r':
      case 'a': {
        std::string s = conv == 's' ? v.str() : v.repr();
        std::string f = "%" + flags + width + prec + "s";
        std::string padded;
        int w = width.empty() ? 0 : std::atoi(width.c_str());
        if (!prec.empty()) {
          auto cps = pystr::decode(s);
          std::size_t p = static_cast<std::size_t>(std::atoi(prec.c_str() + 1));
          if (cps.size() > p) cps.resize(p);
          s = pystr::encode(cps);
        }
        int n = static_cast<int>(utf8_length(s));
        if (n < w) {
          if (flags.find('-') != std::string::npos)
            s += std::string(w - n, ' ');
          else
            s = std::string(w - n, ' ') + s;
        }
        out += s;
        break;
      }
      case 'd':
      case 'i':
      case 'u':
        if (!v.is_number())
          throw_runtime("TypeError", "%" + std::string(1, conv) +
                                         " format: a real number is required, not " +
                                         v.type_name());
        std::snprintf(buf, sizeof buf, (spec + "lld").c_str(),
                      static_cast<long long>(v.is_float() ? std::trunc(v.as_float()) : v.to_int()));
        out += buf;
        break;
      case 'x':
      case 'X':
      case 'o':
        if (!(v.is_int() || v.is_bool()))
          throw_runtime("TypeError", "%" + std::string(1, conv) +
                                         " format: an integer is required, not " + v.type_name());
        std::snprintf(buf, sizeof buf, (spec + "ll" + conv).c_str(),
                      static_cast<long long>(v.to_int()));
        out += buf;
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
        if (!v.is_number()) throw_runtime("TypeError", "must be real number, not " + v.type_name());
        std::snprintf(buf, sizeof buf, (spec + conv).c_str(), v.to_double());
        out += buf;
        break;
      case 'c':
        out += v.is_string() ? v.str_ref() : std::string(1, static_cast<char>(v.to_int()));
        break;
      default:
        throw_runtime("ValueError", std::string("unsupported format character '") + conv + "'");
    }
  }
  if (!mapping && next < pos.size())
    throw_runtime("TypeError", "not all arguments converted during string formatting");
  return out;
}

}  // namespace abstractllm::engine::jinja
