// Jinja2's built-in filters (jinja2/filters.py) with transformers' tojson.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "engine/chat/interpreter.hpp"
#include "engine/chat/pystr.hpp"

namespace abstractllm::engine::jinja {
namespace {

const Value* arg(Args& a, std::size_t i, const char* name) { return a.get(i, name); }

std::int64_t int_arg(Args& a, std::size_t i, const char* name, std::int64_t def) {
  const Value* v = a.get(i, name);
  if (!v || v->is_none()) return def;
  if (!(v->is_int() || v->is_bool()))
    throw_runtime("TypeError", std::string("'") + v->type_name() +
                                   "' object cannot be interpreted as an integer");
  return v->to_int();
}

bool bool_arg(Args& a, std::size_t i, const char* name, bool def) {
  const Value* v = a.get(i, name);
  return v ? v->truthy() : def;
}

std::string str_arg(Args& a, std::size_t i, const char* name, const std::string& def) {
  const Value* v = a.get(i, name);
  return v ? v->str() : def;
}

// Jinja2's make_attrgetter: dotted path, integer parts index, resolved with getitem.
Value get_attribute(Interpreter& in, const Value& item, const Value& attribute,
                    const Value* default_value = nullptr) {
  if (!attribute.is_string()) return in.getitem(item, attribute);
  Value cur = item;
  const std::string& path = attribute.str_ref();
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(),
                                                [](char c) { return c >= '0' && c <= '9'; });
    cur = numeric ? in.getitem(cur, Value(static_cast<std::int64_t>(std::atoll(part.c_str()))))
                  : in.getitem(cur, Value(part));
    if (default_value && cur.is_undefined()) cur = *default_value;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

std::vector<Value> to_list(const Value& v) {
  if (v.is_none() || v.is_number() || v.is_callable() || v.is_object())
    throw_runtime("TypeError", "'" + v.type_name() + "' object is not iterable");
  return v.iterate();
}

Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(pystr::lower(v.str_ref()));
  return v;
}

void stable_sort(std::vector<Value>& items, const std::function<Value(const Value&)>& key,
                 bool reverse) {
  std::vector<std::pair<Value, Value>> keyed;
  keyed.reserve(items.size());
  for (auto& it : items) keyed.emplace_back(key(it), it);
  // Python sorts with reverse=True by reversing, sorting stably and reversing again.
  if (reverse) std::reverse(keyed.begin(), keyed.end());
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first.less(b.first); });
  if (reverse) std::reverse(keyed.begin(), keyed.end());
  for (std::size_t i = 0; i < items.size(); ++i) items[i] = std::move(keyed[i].second);
}

Value f_length(Interpreter&, const Value& v, Args&) {
  return Value(static_cast<std::int64_t>(v.length()));
}

Value f_first(Interpreter&, const Value& v, Args&) {
  auto items = to_list(v);
  if (items.empty()) return Value::undefined("No first item, sequence was empty.");
  return items.front();
}

Value f_last(Interpreter&, const Value& v, Args&) {
  auto items = to_list(v);
  if (items.empty()) return Value::undefined("No last item, sequence was empty.");
  return items.back();
}

Value f_join(Interpreter& in, const Value& v, Args& a) {
  std::string sep = str_arg(a, 0, "d", "");
  const Value* attribute = arg(a, 1, "attribute");
  std::string out;
  bool first = true;
  for (const auto& item : to_list(v)) {
    if (!first) out += sep;
    first = false;
    out += (attribute && !attribute->is_none()) ? get_attribute(in, item, *attribute).str()
                                                : item.str();
  }
  return Value(std::move(out));
}

Value f_upper(Interpreter&, const Value& v, Args&) { return Value(pystr::upper(v.str())); }
Value f_lower(Interpreter&, const Value& v, Args&) { return Value(pystr::lower(v.str())); }
Value f_capitalize(Interpreter&, const Value& v, Args&) {
  return Value(pystr::capitalize(v.str()));
}

// Jinja2's do_title: words start after "-", whitespace, or an opening bracket.
Value f_title(Interpreter&, const Value& v, Args&) {
  auto cps = pystr::decode(v.str());
  bool start = true;
  for (auto& c : cps) {
    bool sep = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || pystr::is_space(c);
    if (sep) {
      start = true;
      continue;
    }
    if (start) {
      if (c >= 'a' && c <= 'z') c -= 32;
      start = false;
    } else if (c >= 'A' && c <= 'Z') {
      c += 32;
    }
  }
  return Value(pystr::encode(cps));
}

Value f_trim(Interpreter&, const Value& v, Args& a) {
  const Value* chars = arg(a, 0, "chars");
  std::optional<std::string> set;
  if (chars && !chars->is_none()) set = chars->str();
  return Value(pystr::strip(v.str(), set, true, true));
}

Value f_replace(Interpreter&, const Value& v, Args& a) {
  const Value* old = arg(a, 0, "old");
  const Value* repl = arg(a, 1, "new");
  if (!old || !repl) throw_runtime("TypeError", "do_replace() missing required argument");
  return Value(pystr::replace(v.str(), old->str(), repl->str(), int_arg(a, 2, "count", -1)));
}

Value f_default(Interpreter&, const Value& v, Args& a) {
  const Value* def = arg(a, 0, "default_value");
  bool boolean = bool_arg(a, 1, "boolean", false);
  if (v.is_undefined() || (boolean && !v.truthy())) return def ? *def : Value(std::string());
  return v;
}

Value f_list(Interpreter&, const Value& v, Args&) { return Value::list(to_list(v)); }
Value f_string(Interpreter&, const Value& v, Args&) { return Value(v.str()); }

// Python int() of a string: optional sign, digits, underscores between digits, whitespace.
bool parse_py_int(const std::string& raw, std::int64_t base, std::int64_t& out) {
  std::string s = pystr::strip(raw, std::nullopt, true, true);
  std::string digits;
  std::size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (base == 16 && s.compare(i, 2, "0x") == 0) i += 2;
  for (; i < s.size(); ++i) {
    if (s[i] == '_' && !digits.empty() && i + 1 < s.size() && s[i + 1] != '_') continue;
    digits += s[i];
  }
  if (digits.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(digits.c_str(), &end, static_cast<int>(base));
  if (*end != '\0' || errno == ERANGE) return false;
  out = neg ? -v : v;
  return true;
}

bool parse_py_float(const std::string& raw, double& out) {
  std::string s = pystr::strip(raw, std::nullopt, true, true);
  if (s.empty()) return false;
  std::string low = pystr::lower(s);
  std::string body = (low[0] == '+' || low[0] == '-') ? low.substr(1) : low;
  if (body == "inf" || body == "infinity" || body == "nan") {
    out = body == "nan" ? NAN : INFINITY;
    if (low[0] == '-') out = -out;
    return true;
  }
  for (char c : s)
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return *end == '\0';
}

// Python's int(float); beyond 64 bits (Python would give a big int) the truncated float is kept.
Value float_to_int(double d) {
  if (std::fabs(d) >= 9.2e18) return Value(std::trunc(d));
  return Value(static_cast<std::int64_t>(d));
}

Value f_int(Interpreter&, const Value& v, Args& a) {
  const Value* def = arg(a, 0, "default");
  std::int64_t base = int_arg(a, 1, "base", 10);
  Value fallback = def ? *def : Value(std::int64_t{0});
  switch (v.kind()) {
    case Value::Kind::Bool:
    case Value::Kind::Int:
      return Value(v.to_int());
    case Value::Kind::Float:
      if (std::isnan(v.as_float()) || std::isinf(v.as_float())) return fallback;
      return float_to_int(v.as_float());
    case Value::Kind::String: {
      std::int64_t i;
      if (parse_py_int(v.str_ref(), base, i)) return Value(i);
      double d;
      if (parse_py_float(v.str_ref(), d) && std::isfinite(d)) return float_to_int(d);
      return fallback;
    }
    default:
      return fallback;
  }
}

Value f_float(Interpreter&, const Value& v, Args& a) {
  const Value* def = arg(a, 0, "default");
  Value fallback = def ? *def : Value(0.0);
  if (v.is_number()) return Value(v.to_double());
  if (v.is_string()) {
    double d;
    if (parse_py_float(v.str_ref(), d)) return Value(d);
  }
  return fallback;
}

Value f_abs(Interpreter&, const Value& v, Args&) {
  if (v.is_float()) return Value(std::fabs(v.as_float()));
  if (v.is_int() || v.is_bool()) {
    std::int64_t i = v.to_int();
    return Value(i < 0 ? -i : i);
  }
  if (v.is_undefined()) v.fail_undefined();
  throw_runtime("TypeError", "bad operand type for abs(): '" + v.type_name() + "'");
}

Value f_round(Interpreter&, const Value& v, Args& a) {
  std::int64_t precision = int_arg(a, 0, "precision", 0);
  std::string method = str_arg(a, 1, "method", "common");
  if (method != "common" && method != "ceil" && method != "floor")
    throw_runtime("FilterArgumentError", "method must be common, ceil or floor");
  if (v.is_undefined()) v.fail_undefined();
  if (!v.is_number())
    throw_runtime("TypeError", "type " + v.type_name() + " doesn't define __round__ method");
  if (method == "common") {
    if (!v.is_float()) return Value(v.to_int());
    double d = v.as_float();
    if (!std::isfinite(d)) return Value(d);
    if (precision >= 0 && precision < 300) {
      char buf[512];
      std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(precision), d);
      return Value(std::strtod(buf, nullptr));
    }
    double scale = std::pow(10.0, static_cast<double>(-precision));
    return Value(std::nearbyint(d / scale) * scale);
  }
  double scale = std::pow(10.0, static_cast<double>(precision));
  double x = v.to_double() * scale;
  return Value((method == "ceil" ? std::ceil(x) : std::floor(x)) / scale);
}

// transformers' tojson: json.dumps(x, ensure_ascii=False, indent, separators, sort_keys).
Value f_tojson(Interpreter&, const Value& v, Args& a) {
  Value::JsonOptions o;
  o.ensure_ascii = bool_arg(a, 0, "ensure_ascii", false);
  const Value* indent = arg(a, 1, "indent");
  if (indent && !indent->is_none()) {
    o.has_indent = true;
    if (indent->is_string())
      o.indent = indent->str_ref();
    else
      o.indent = std::string(
          static_cast<std::size_t>(std::clamp<std::int64_t>(indent->to_int(), 0, 1000)), ' ');
    o.item_sep = ",";
  }
  const Value* seps = arg(a, 2, "separators");
  if (seps && !seps->is_none()) {
    if (!seps->is_list() || seps->list_ref().items.size() != 2)
      throw_runtime("ValueError", "separators must be a (item_separator, key_separator) pair");
    o.item_sep = seps->list_ref().items[0].str();
    o.key_sep = seps->list_ref().items[1].str();
  }
  o.sort_keys = bool_arg(a, 3, "sort_keys", false);
  return Value(v.to_json(o));
}

Value f_items(Interpreter&, const Value& v, Args&) {
  if (v.is_undefined()) return Value::list();
  if (!v.is_dict()) throw_runtime("TypeError", "Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [k, val] : v.dict_ref().items) out.push_back(Value::list({k, val}, true));
  return Value::list(std::move(out));
}

Value f_dictsort(Interpreter&, const Value& v, Args& a) {
  bool case_sensitive = bool_arg(a, 0, "case_sensitive", false);
  std::string by = str_arg(a, 1, "by", "key");
  bool reverse = bool_arg(a, 2, "reverse", false);
  if (!v.is_dict()) throw_runtime("TypeError", "Can only sort mappings.");
  std::size_t pos;
  if (by == "key")
    pos = 0;
  else if (by == "value")
    pos = 1;
  else
    throw_runtime("FilterArgumentError", "You can only sort by either \"key\" or \"value\"");
  std::vector<Value> items;
  for (const auto& [k, val] : v.dict_ref().items) items.push_back(Value::list({k, val}, true));
  stable_sort(
      items, [&](const Value& it) { return sort_key(it.list_ref().items[pos], case_sensitive); },
      reverse);
  return Value::list(std::move(items));
}

Value f_map(Interpreter& in, const Value& v, Args& a) {
  auto items = to_list(v);
  std::vector<Value> out;
  out.reserve(items.size());
  const Value* attribute = nullptr;
  const Value* def = nullptr;
  for (const auto& [k, val] : a.kw) {
    if (k == "attribute") attribute = &val;
    if (k == "default") def = &val;
  }
  if (a.pos.empty() && attribute) {
    for (const auto& it : items) out.push_back(get_attribute(in, it, *attribute, def));
    return Value::list(std::move(out));
  }
  if (a.pos.empty()) throw_runtime("FilterArgumentError", "map requires a filter argument");
  std::string name = a.pos[0].str();
  Args rest;
  rest.pos.assign(a.pos.begin() + 1, a.pos.end());
  rest.kw = a.kw;
  for (const auto& it : items) {
    Args copy = rest;
    out.push_back(in.filter(name, it, copy));
  }
  return Value::list(std::move(out));
}

Value select_impl(Interpreter& in, const Value& v, Args& a, bool with_attr, bool keep) {
  auto items = to_list(v);
  std::size_t first = 0;
  Value attribute;
  if (with_attr) {
    if (a.pos.empty()) throw_runtime("TypeError", "missing attribute argument");
    attribute = a.pos[0];
    first = 1;
  }
  std::string test_name;
  Args rest;
  if (a.pos.size() > first) {
    test_name = a.pos[first].str();
    rest.pos.assign(a.pos.begin() + first + 1, a.pos.end());
  }
  rest.kw = a.kw;
  std::vector<Value> out;
  for (const auto& it : items) {
    Value x = with_attr ? get_attribute(in, it, attribute) : it;
    bool r;
    if (test_name.empty()) {
      r = x.truthy();
    } else {
      Args copy = rest;
      r = in.test(test_name, x, copy);
    }
    if (r == keep) out.push_back(it);
  }
  return Value::list(std::move(out));
}

Value f_select(Interpreter& in, const Value& v, Args& a) {
  return select_impl(in, v, a, false, true);
}
Value f_reject(Interpreter& in, const Value& v, Args& a) {
  return select_impl(in, v, a, false, false);
}
Value f_selectattr(Interpreter& in, const Value& v, Args& a) {
  return select_impl(in, v, a, true, true);
}
Value f_rejectattr(Interpreter& in, const Value& v, Args& a) {
  return select_impl(in, v, a, true, false);
}

Value f_unique(Interpreter& in, const Value& v, Args& a) {
  bool case_sensitive = bool_arg(a, 0, "case_sensitive", false);
  const Value* attribute = arg(a, 1, "attribute");
  std::vector<Value> out, seen;
  for (const auto& it : to_list(v)) {
    Value key =
        sort_key(attribute && !attribute->is_none() ? get_attribute(in, it, *attribute) : it,
                 case_sensitive);
    bool dup = false;
    for (const auto& s : seen)
      if (s.equals(key)) {
        dup = true;
        break;
      }
    if (!dup) {
      seen.push_back(key);
      out.push_back(it);
    }
  }
  return Value::list(std::move(out));
}

Value f_reverse(Interpreter&, const Value& v, Args&) {
  if (v.is_string()) {
    auto cps = pystr::decode(v.str_ref());
    std::reverse(cps.begin(), cps.end());
    return Value(pystr::encode(cps));
  }
  auto items = to_list(v);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

Value f_sort(Interpreter& in, const Value& v, Args& a) {
  bool reverse = bool_arg(a, 0, "reverse", false);
  bool case_sensitive = bool_arg(a, 1, "case_sensitive", false);
  const Value* attribute = arg(a, 2, "attribute");
  auto items = to_list(v);
  std::vector<Value> attrs;
  if (attribute && !attribute->is_none()) {
    if (attribute->is_string()) {
      for (auto& part : pystr::split(attribute->str_ref(), std::string(","), -1))
        attrs.emplace_back(pystr::strip(part, std::nullopt, true, true));
    } else {
      attrs.push_back(*attribute);
    }
  }
  stable_sort(
      items,
      [&](const Value& it) -> Value {
        if (attrs.empty()) return sort_key(it, case_sensitive);
        if (attrs.size() == 1) return sort_key(get_attribute(in, it, attrs[0]), case_sensitive);
        std::vector<Value> parts;
        for (const auto& at : attrs)
          parts.push_back(sort_key(get_attribute(in, it, at), case_sensitive));
        return Value::list(std::move(parts));
      },
      reverse);
  return Value::list(std::move(items));
}

Value f_sum(Interpreter& in, const Value& v, Args& a) {
  const Value* attribute = arg(a, 0, "attribute");
  const Value* start = arg(a, 1, "start");
  Value total = start ? *start : Value(std::int64_t{0});
  for (const auto& it : to_list(v)) {
    Value x = attribute && !attribute->is_none() ? get_attribute(in, it, *attribute) : it;
    if (total.is_number() && x.is_number()) {
      total = (total.is_float() || x.is_float()) ? Value(total.to_double() + x.to_double())
                                                 : Value(total.to_int() + x.to_int());
    } else if (total.is_list() && x.is_list()) {
      std::vector<Value> items = total.list_ref().items;
      items.insert(items.end(), x.list_ref().items.begin(), x.list_ref().items.end());
      total = Value::list(std::move(items));
    } else {
      if (x.is_undefined()) x.fail_undefined();
      throw_runtime("TypeError", "unsupported operand type(s) for +: '" + total.type_name() +
                                     "' and '" + x.type_name() + "'");
    }
  }
  return total;
}

Value minmax(Interpreter& in, const Value& v, Args& a, bool want_max) {
  bool case_sensitive = bool_arg(a, 0, "case_sensitive", false);
  const Value* attribute = arg(a, 1, "attribute");
  auto items = to_list(v);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  std::size_t best = 0;
  Value best_key;
  for (std::size_t i = 0; i < items.size(); ++i) {
    Value key = sort_key(
        attribute && !attribute->is_none() ? get_attribute(in, items[i], *attribute) : items[i],
        case_sensitive);
    if (i == 0 || (want_max ? best_key.less(key) : key.less(best_key))) {
      best = i;
      best_key = key;
    }
  }
  return items[best];
}

Value f_min(Interpreter& in, const Value& v, Args& a) { return minmax(in, v, a, false); }
Value f_max(Interpreter& in, const Value& v, Args& a) { return minmax(in, v, a, true); }

Value f_batch(Interpreter&, const Value& v, Args& a) {
  std::int64_t count = int_arg(a, 0, "linecount", 1);
  const Value* fill = arg(a, 1, "fill_with");
  if (count <= 0) throw_runtime("ValueError", "batch size must be positive");
  std::vector<Value> out, cur;
  for (const auto& it : to_list(v)) {
    cur.push_back(it);
    if (static_cast<std::int64_t>(cur.size()) == count) {
      out.push_back(Value::list(std::move(cur)));
      cur.clear();
    }
  }
  if (!cur.empty()) {
    if (fill && !fill->is_none())
      while (static_cast<std::int64_t>(cur.size()) < count) cur.push_back(*fill);
    out.push_back(Value::list(std::move(cur)));
  }
  return Value::list(std::move(out));
}

Value f_indent(Interpreter&, const Value& v, Args& a) {
  const Value* width = arg(a, 0, "width");
  bool first = bool_arg(a, 1, "first", false);
  bool blank = bool_arg(a, 2, "blank", false);
  std::string ind = width && width->is_string()
                        ? width->str_ref()
                        : std::string(static_cast<std::size_t>(std::clamp<std::int64_t>(
                                          width ? width->to_int() : 4, 0, 10000)),
                                      ' ');
  std::string s = v.str() + "\n";
  auto lines = pystr::splitlines(s, false);
  std::string rv;
  if (blank) {
    for (std::size_t i = 0; i < lines.size(); ++i) rv += (i ? "\n" + ind : "") + lines[i];
  } else {
    rv = lines.empty() ? "" : lines[0];
    if (lines.size() > 1) {
      rv += "\n";
      for (std::size_t i = 1; i < lines.size(); ++i) {
        if (i > 1) rv += "\n";
        rv += lines[i].empty() ? lines[i] : ind + lines[i];
      }
    }
  }
  if (first) rv = ind + rv;
  return Value(std::move(rv));
}

Value f_wordcount(Interpreter&, const Value& v, Args&) {
  std::int64_t n = 0;
  bool in_word = false;
  for (unsigned char c : v.str()) {
    bool w = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             c == '_' || c >= 0x80;
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value(n);
}

Value f_safe(Interpreter&, const Value& v, Args&) { return Value(v.str()); }

Value f_escape(Interpreter&, const Value& v, Args&) {
  std::string out;
  for (char c : v.str()) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return Value(std::move(out));
}

Value f_format(Interpreter&, const Value& v, Args& a) {
  if (!a.kw.empty()) {
    Value d = Value::dict();
    for (const auto& [k, val] : a.kw) d.dict_ref().set(Value(k), val);
    return Value(python_percent(v.str(), d));
  }
  return Value(python_percent(v.str(), Value::list(a.pos, true)));
}

Value f_center(Interpreter&, const Value& v, Args& a) {
  return Value(pystr::center(v.str(), int_arg(a, 0, "width", 80), " "));
}

Value f_truncate(Interpreter&, const Value& v, Args& a) {
  std::string s = v.str();
  std::int64_t length = int_arg(a, 0, "length", 255);
  bool killwords = bool_arg(a, 1, "killwords", false);
  std::string end = str_arg(a, 2, "end", "...");
  std::int64_t leeway = int_arg(a, 3, "leeway", 5);
  std::int64_t end_len = static_cast<std::int64_t>(utf8_length(end));
  if (length < end_len)
    throw_runtime("AssertionError", "expected length >= " + std::to_string(end_len) + ", got " +
                                        std::to_string(length));
  if (leeway < 0)
    throw_runtime("AssertionError", "expected leeway >= 0, got " + std::to_string(leeway));
  auto cps = pystr::decode(s);
  if (static_cast<std::int64_t>(cps.size()) <= length + leeway) return Value(s);
  std::string head =
      pystr::encode(std::vector<std::uint32_t>(cps.begin(), cps.begin() + (length - end_len)));
  if (killwords) return Value(head + end);
  auto parts = pystr::rsplit(head, std::string(" "), 1);
  return Value(parts[0] + end);
}

Value f_attr(Interpreter& in, const Value& v, Args& a) {
  const Value* name = arg(a, 0, "name");
  if (!name) throw_runtime("TypeError", "attr() missing required argument 'name'");
  // Python attributes only: unlike `.name`, |attr does not fall back to dict keys.
  if (v.is_dict()) {
    bool unsafe = false;
    if (!has_method(v, name->str(), unsafe))
      return Value::undefined("'dict object' has no attribute '" + name->str() + "'");
  }
  return in.getattr(v, name->str());
}

Value f_pprint(Interpreter&, const Value& v, Args&) { return Value(v.repr()); }

const std::unordered_map<std::string, FilterFn>& registry() {
  static const std::unordered_map<std::string, FilterFn> m = {
      {"length", f_length},
      {"count", f_length},
      {"first", f_first},
      {"last", f_last},
      {"join", f_join},
      {"upper", f_upper},
      {"lower", f_lower},
      {"title", f_title},
      {"capitalize", f_capitalize},
      {"trim", f_trim},
      {"replace", f_replace},
      {"default", f_default},
      {"d", f_default},
      {"list", f_list},
      {"string", f_string},
      {"int", f_int},
      {"float", f_float},
      {"abs", f_abs},
      {"round", f_round},
      {"tojson", f_tojson},
      {"items", f_items},
      {"dictsort", f_dictsort},
      {"map", f_map},
      {"select", f_select},
      {"reject", f_reject},
      {"selectattr", f_selectattr},
      {"rejectattr", f_rejectattr},
      {"unique", f_unique},
      {"reverse", f_reverse},
      {"sort", f_sort},
      {"sum", f_sum},
      {"min", f_min},
      {"max", f_max},
      {"batch", f_batch},
      {"indent", f_indent},
      {"wordcount", f_wordcount},
      {"safe", f_safe},
      {"e", f_escape},
      {"escape", f_escape},
      {"forceescape", f_escape},
      {"format", f_format},
      {"center", f_center},
      {"truncate", f_truncate},
      {"attr", f_attr},
      {"pprint", f_pprint},
  };
  return m;
}

}  // namespace

FilterFn find_filter(const std::string& name) {
  const auto& m = registry();
  auto it = m.find(name);
  return it == m.end() ? nullptr : it->second;
}

}  // namespace abstractllm::engine::jinja
