#include "engine/chat/value.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace abstractllm::engine::jinja {

void throw_runtime(std::string kind, std::string message) {
  throw RuntimeError{std::move(kind), std::move(message)};
}

const Value* DictObj::find(const Value& key) const {
  if (key.is_string()) return find(key.str_ref());
  for (const auto& [k, v] : items)
    if (k.equals(key)) return &v;
  return nullptr;
}

const Value* DictObj::find(const std::string& key) const {
  for (const auto& [k, v] : items)
    if (k.is_string() && k.str_ref() == key) return &v;
  return nullptr;
}

namespace {

// Bounds recursion in repr/json/equality/ordering over template-built values (a namespace can
// even contain itself).
struct RecursionGuard {
  static inline thread_local int depth = 0;
  RecursionGuard() {
    if (++depth > kMaxValueNesting + 8) {
      --depth;
      throw_runtime("RecursionError", "maximum recursion depth exceeded while processing a value");
    }
  }
  ~RecursionGuard() { --depth; }
};

int checked_depth(int d) {
  if (d > kMaxValueNesting)
    throw_runtime("RecursionError",
                  "values nest deeper than " + std::to_string(kMaxValueNesting) + " levels");
  return d;
}

}  // namespace

int Value::depth() const {
  switch (kind()) {
    case Kind::List:
      return list_ref().depth;
    case Kind::Dict:
      return dict_ref().depth;
    case Kind::Object:
      return object_ref().depth();
    default:
      return 0;
  }
}

void DictObj::set(Value key, Value value) {
  depth = checked_depth(std::max({depth, key.depth() + 1, value.depth() + 1}));
  for (auto& [k, v] : items) {
    if (k.equals(key)) {
      v = std::move(value);
      return;
    }
  }
  items.emplace_back(std::move(key), std::move(value));
}

const Value* Args::get(std::size_t index, const char* name) const {
  if (index < pos.size()) return &pos[index];
  if (name)
    for (const auto& [k, v] : kw)
      if (k == name) return &v;
  return nullptr;
}

bool Object::setattr(const std::string&, Value) { return false; }
std::string Object::repr() const {
  std::string out(1, '<');
  out += type_name();
  out += " object>";
  return out;
}

Value Value::undefined(std::string message, std::string kind) {
  Value v;
  v.v_ = Undef{std::make_shared<UndefinedInfo>(UndefinedInfo{std::move(message), std::move(kind)})};
  return v;
}

Value Value::list(std::vector<Value> items, bool tuple) {
  auto l = std::make_shared<ListObj>();
  int d = 1;
  for (const auto& v : items) d = std::max(d, v.depth() + 1);
  l->depth = checked_depth(d);
  l->items = std::move(items);
  l->tuple = tuple;
  return Value(std::move(l));
}

Value Value::dict() { return Value(std::make_shared<DictObj>()); }

Value Value::function(std::string name, std::function<Value(Interpreter&, Args&)> fn) {
  return Value(std::make_shared<Callable>(Callable{std::move(name), std::move(fn)}));
}

Value Value::from_json(const nlohmann::ordered_json& j) {
  using T = nlohmann::ordered_json::value_t;
  switch (j.type()) {
    case T::null:
      return Value(nullptr);
    case T::boolean:
      return Value(j.get<bool>());
    case T::number_integer:
      return Value(j.get<std::int64_t>());
    case T::number_unsigned: {
      auto u = j.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) return Value(static_cast<double>(u));
      return Value(static_cast<std::int64_t>(u));
    }
    case T::number_float:
      return Value(j.get<double>());
    case T::string:
      return Value(j.get<std::string>());
    case T::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json(e));
      return list(std::move(items));
    }
    case T::object: {
      auto d = std::make_shared<DictObj>();
      d->items.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) {
        Value v = from_json(it.value());
        d->depth = checked_depth(std::max(d->depth, v.depth() + 1));
        d->items.emplace_back(Value(it.key()), std::move(v));
      }
      return Value(std::move(d));
    }
    default:
      return Value(nullptr);
  }
}

double Value::to_double() const {
  switch (kind()) {
    case Kind::Bool:
      return as_bool() ? 1.0 : 0.0;
    case Kind::Int:
      return static_cast<double>(as_int());
    case Kind::Float:
      return as_float();
    default:
      return 0.0;
  }
}

std::int64_t Value::to_int() const {
  switch (kind()) {
    case Kind::Bool:
      return as_bool() ? 1 : 0;
    case Kind::Int:
      return as_int();
    case Kind::Float:
      return static_cast<std::int64_t>(as_float());
    default:
      return 0;
  }
}

void Value::fail_undefined() const {
  const UndefinedInfo* info = undefined_info();
  if (!info) throw_runtime("UndefinedError", "'undefined' is undefined");
  throw_runtime(info->kind, info->message);
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::Undefined:
    case Kind::None:
      return false;
    case Kind::Bool:
      return as_bool();
    case Kind::Int:
      return as_int() != 0;
    case Kind::Float:
      return as_float() != 0.0;
    case Kind::String:
      return !str_ref().empty();
    case Kind::List:
      return !list_ref().items.empty();
    case Kind::Dict:
      return !dict_ref().items.empty();
    default:
      return true;
  }
}

std::string python_float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci = [-]D[.DDD]e(+|-)XX
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  auto e = sci.find('e');
  int exp = std::atoi(sci.c_str() + e + 1);
  std::string digits;
  for (std::size_t i = 0; i < e; ++i)
    if (sci[i] != '.') digits += sci[i];
  std::string out;
  if (exp >= -5 + 1 && exp < 16) {  // Python repr: fixed when -4 <= exp < 16
    if (exp >= 0) {
      if (static_cast<int>(digits.size()) <= exp + 1) {
        out = digits + std::string(exp + 1 - digits.size(), '0') + ".0";
      } else {
        out = digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
      }
    } else {
      out = "0." + std::string(-exp - 1, '0') + digits;
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += eb;
  }
  return neg ? "-" + out : out;
}

namespace {

// Decodes one UTF-8 code point at s[i]; advances i. Invalid bytes decode as themselves.
std::uint32_t decode_utf8(const std::string& s, std::size_t& i) {
  unsigned char c = s[i];
  int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
  if (n <= 0 || i + n >= s.size()) {
    ++i;
    return c;
  }
  std::uint32_t cp = c & (0x3f >> n);
  for (int k = 1; k <= n; ++k) {
    unsigned char cc = s[i + k];
    if ((cc & 0xc0) != 0x80) {
      ++i;
      return c;
    }
    cp = (cp << 6) | (cc & 0x3f);
  }
  i += n + 1;
  return cp;
}

bool python_printable(std::uint32_t cp) {
  if (cp < 0x20 || cp == 0x7f) return false;
  if (cp >= 0x80 && cp <= 0xa0) return false;
  if (cp == 0xad) return false;
  if (cp >= 0x2000 && cp <= 0x200f) return false;
  if (cp >= 0x2028 && cp <= 0x202f) return false;
  if (cp >= 0x205f && cp <= 0x206f) return false;
  if (cp == 0x3000 || cp == 0xfeff) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  return true;
}

}  // namespace

std::vector<std::string> utf8_chars(const std::string& s) {
  std::vector<std::string> out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t start = i;
    decode_utf8(s, i);
    out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xc0) != 0x80) ++n;
  return n;
}

std::string python_string_repr(const std::string& s) {
  char quote = '\'';
  if (s.find('\'') != std::string::npos && s.find('"') == std::string::npos) quote = '"';
  std::string out(1, quote);
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t start = i;
    std::uint32_t cp = decode_utf8(s, i);
    char buf[16];
    if (cp == static_cast<unsigned char>(quote) || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (!python_printable(cp)) {
      if (cp < 0x100)
        std::snprintf(buf, sizeof buf, "\\x%02x", cp);
      else
        std::snprintf(buf, sizeof buf, "\\u%04x", cp);
      out += buf;
    } else {
      out.append(s, start, i - start);
    }
  }
  out += quote;
  return out;
}

std::string Value::str() const {
  switch (kind()) {
    case Kind::Undefined:
      return "";
    case Kind::String:
      return str_ref();
    default:
      return repr();
  }
}

std::string Value::repr() const {
  RecursionGuard guard;
  switch (kind()) {
    case Kind::Undefined:
      return "Undefined";
    case Kind::None:
      return "None";
    case Kind::Bool:
      return as_bool() ? "True" : "False";
    case Kind::Int:
      return std::to_string(as_int());
    case Kind::Float:
      return python_float_repr(as_float());
    case Kind::String:
      return python_string_repr(str_ref());
    case Kind::List: {
      const auto& l = list_ref();
      std::string out = l.tuple ? "(" : "[";
      for (std::size_t i = 0; i < l.items.size(); ++i) {
        if (i) out += ", ";
        out += l.items[i].repr();
      }
      if (l.tuple && l.items.size() == 1) out += ",";
      out += l.tuple ? ")" : "]";
      return out;
    }
    case Kind::Dict: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, v] : dict_ref().items) {
        if (!first) out += ", ";
        first = false;
        out += k.repr() + ": " + v.repr();
      }
      return out + "}";
    }
    case Kind::Callable:
      return "<function " + callable_ref().name + ">";
    case Kind::Object:
      return object_ref().repr();
  }
  return "";
}

std::string Value::type_name() const {
  switch (kind()) {
    case Kind::Undefined:
      return "Undefined";
    case Kind::None:
      return "NoneType";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::List:
      return list_ref().tuple ? "tuple" : "list";
    case Kind::Dict:
      return "dict";
    case Kind::Callable:
      return "function";
    case Kind::Object:
      return object_ref().type_name();
  }
  return "object";
}

std::string Value::object_type_repr() const {
  if (is_none()) return "None";
  return type_name() + " object";
}

bool Value::equals(const Value& o) const {
  RecursionGuard guard;
  if (is_number() && o.is_number()) {
    if (is_float() || o.is_float()) return to_double() == o.to_double();
    return to_int() == o.to_int();
  }
  if (kind() != o.kind()) return false;
  switch (kind()) {
    case Kind::Undefined:
    case Kind::None:
      return true;
    case Kind::String:
      return str_ref() == o.str_ref();
    case Kind::List: {
      const auto& a = list_ref();
      const auto& b = o.list_ref();
      if (a.tuple != b.tuple || a.items.size() != b.items.size()) return false;
      for (std::size_t i = 0; i < a.items.size(); ++i)
        if (!a.items[i].equals(b.items[i])) return false;
      return true;
    }
    case Kind::Dict: {
      const auto& a = dict_ref();
      const auto& b = o.dict_ref();
      if (a.items.size() != b.items.size()) return false;
      for (const auto& [k, v] : a.items) {
        const Value* w = b.find(k);
        if (!w || !v.equals(*w)) return false;
      }
      return true;
    }
    case Kind::Callable:
      return std::get<std::shared_ptr<Callable>>(v_) == std::get<std::shared_ptr<Callable>>(o.v_);
    case Kind::Object:
      return std::get<std::shared_ptr<Object>>(v_) == std::get<std::shared_ptr<Object>>(o.v_);
    default:
      return false;
  }
}

bool Value::less(const Value& o) const {
  RecursionGuard guard;
  if (is_number() && o.is_number()) {
    if (is_float() || o.is_float()) return to_double() < o.to_double();
    return to_int() < o.to_int();
  }
  if (is_string() && o.is_string()) return str_ref() < o.str_ref();
  if (is_list() && o.is_list() && list_ref().tuple == o.list_ref().tuple) {
    const auto& a = list_ref().items;
    const auto& b = o.list_ref().items;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (!a[i].equals(b[i])) return a[i].less(b[i]);
    }
    return a.size() < b.size();
  }
  if (is_undefined()) fail_undefined();
  if (o.is_undefined()) o.fail_undefined();
  throw_runtime("TypeError", "'<' not supported between instances of '" + type_name() + "' and '" +
                                 o.type_name() + "'");
}

std::size_t Value::length() const {
  switch (kind()) {
    case Kind::Undefined:
      return 0;
    case Kind::String:
      return utf8_length(str_ref());
    case Kind::List:
      return list_ref().items.size();
    case Kind::Dict:
      return dict_ref().items.size();
    default:
      throw_runtime("TypeError", "object of type '" + type_name() + "' has no len()");
  }
}

std::vector<Value> Value::iterate() const {
  switch (kind()) {
    case Kind::Undefined:
      return {};
    case Kind::String: {
      std::vector<Value> out;
      for (auto& c : utf8_chars(str_ref())) out.emplace_back(std::move(c));
      return out;
    }
    case Kind::List:
      return list_ref().items;
    case Kind::Dict: {
      std::vector<Value> out;
      out.reserve(dict_ref().items.size());
      for (const auto& kv : dict_ref().items) out.push_back(kv.first);
      return out;
    }
    default:
      throw_runtime("TypeError", "'" + type_name() + "' object is not iterable");
  }
}

void append_json_string(std::string& out, const std::string& s, bool ensure_ascii) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t start = i;
    std::uint32_t cp = decode_utf8(s, i);
    char buf[16];
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (cp < 0x20 || (ensure_ascii && cp >= 0x7f)) {
      if (cp < 0x10000) {
        std::snprintf(buf, sizeof buf, "\\u%04x", cp);
        out += buf;
      } else {
        std::uint32_t v = cp - 0x10000;
        std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
        out += buf;
      }
    } else {
      out.append(s, start, i - start);
    }
  }
  out += '"';
}

namespace {

void dump_json(const Value& v, const Value::JsonOptions& o, int depth, std::string& out) {
  RecursionGuard guard;
  auto newline = [&](int d) {
    out += '\n';
    for (int i = 0; i < d; ++i) out += o.indent;
  };
  switch (v.kind()) {
    case Value::Kind::None:
      out += "null";
      return;
    case Value::Kind::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Kind::Int:
      out += std::to_string(v.as_int());
      return;
    case Value::Kind::Float: {
      double d = v.as_float();
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d > 0 ? "Infinity" : "-Infinity";
      else
        out += python_float_repr(d);
      return;
    }
    case Value::Kind::String:
      append_json_string(out, v.str_ref(), o.ensure_ascii);
      return;
    case Value::Kind::List: {
      const auto& items = v.list_ref().items;
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += o.item_sep;
        if (o.has_indent) newline(depth + 1);
        dump_json(items[i], o, depth + 1, out);
      }
      if (o.has_indent) newline(depth);
      out += ']';
      return;
    }
    case Value::Kind::Dict: {
      auto items = v.dict_ref().items;
      if (items.empty()) {
        out += "{}";
        return;
      }
      auto key_str = [](const Value& k) -> std::string {
        switch (k.kind()) {
          case Value::Kind::String:
            return k.str_ref();
          case Value::Kind::None:
            return "null";
          case Value::Kind::Bool:
            return k.as_bool() ? "true" : "false";
          case Value::Kind::Int:
          case Value::Kind::Float:
            return k.repr();
          default:
            throw_runtime("TypeError",
                          "keys must be str, int, float, bool or None, not " + k.type_name());
        }
      };
      if (o.sort_keys)
        std::stable_sort(items.begin(), items.end(),
                         [](const auto& a, const auto& b) { return a.first.less(b.first); });
      out += '{';
      bool first = true;
      for (const auto& [k, val] : items) {
        if (!first) out += o.item_sep;
        first = false;
        if (o.has_indent) newline(depth + 1);
        append_json_string(out, key_str(k), o.ensure_ascii);
        out += o.key_sep;
        dump_json(val, o, depth + 1, out);
      }
      if (o.has_indent) newline(depth);
      out += '}';
      return;
    }
    default:
      throw_runtime("TypeError", "Object of type " + v.type_name() + " is not JSON serializable");
  }
}

}  // namespace

std::string Value::to_json(const JsonOptions& options) const {
  std::string out;
  dump_json(*this, options, 0, out);
  return out;
}

}  // namespace abstractllm::engine::jinja
