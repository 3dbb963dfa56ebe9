// Jinja2's built-in tests (jinja2/tests.py).
#include <cmath>
#include <unordered_map>

#include "engine/chat/interpreter.hpp"
#include "engine/chat/pystr.hpp"

namespace abstractllm::engine::jinja {
namespace {

const Value& need(Args& a, const char* name) {
  const Value* v = a.get(0, nullptr);
  if (!v) throw_runtime("TypeError", std::string("test '") + name + "' requires an argument");
  return *v;
}

bool t_defined(Interpreter&, const Value& v, Args&) { return !v.is_undefined(); }
bool t_undefined(Interpreter&, const Value& v, Args&) { return v.is_undefined(); }
bool t_none(Interpreter&, const Value& v, Args&) { return v.is_none(); }
bool t_string(Interpreter&, const Value& v, Args&) { return v.is_string(); }
bool t_number(Interpreter&, const Value& v, Args&) { return v.is_number(); }
bool t_integer(Interpreter&, const Value& v, Args&) { return v.is_int(); }
bool t_float(Interpreter&, const Value& v, Args&) { return v.is_float(); }
bool t_mapping(Interpreter&, const Value& v, Args&) { return v.is_dict(); }
bool t_iterable(Interpreter&, const Value& v, Args&) {
  return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined();
}
bool t_sequence(Interpreter&, const Value& v, Args&) {
  return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined();
}
bool t_boolean(Interpreter&, const Value& v, Args&) { return v.is_bool(); }
bool t_true(Interpreter&, const Value& v, Args&) { return v.is_bool() && v.as_bool(); }
bool t_false(Interpreter&, const Value& v, Args&) { return v.is_bool() && !v.as_bool(); }
bool t_callable(Interpreter&, const Value& v, Args&) { return v.is_callable(); }

std::int64_t int_of(const Value& v, const char* what) {
  if (v.is_undefined()) v.fail_undefined();
  if (!v.is_number())
    throw_runtime("TypeError", std::string("not all arguments converted during string formatting") +
                                   (what ? "" : ""));
  return v.to_int();
}

bool t_even(Interpreter&, const Value& v, Args&) {
  if (v.is_float()) return std::fmod(v.as_float(), 2.0) == 0;
  return int_of(v, "even") % 2 == 0;
}
bool t_odd(Interpreter&, const Value& v, Args&) {
  if (v.is_float()) return std::fabs(std::fmod(v.as_float(), 2.0)) == 1;
  return int_of(v, "odd") % 2 != 0;
}
bool t_divisibleby(Interpreter&, const Value& v, Args& a) {
  const Value& n = need(a, "divisibleby");
  if (v.is_float() || n.is_float()) {
    if (n.to_double() == 0) throw_runtime("ZeroDivisionError", "float modulo");
    return std::fmod(v.to_double(), n.to_double()) == 0;
  }
  std::int64_t d = int_of(n, "divisibleby");
  if (d == 0) throw_runtime("ZeroDivisionError", "integer modulo by zero");
  return int_of(v, "divisibleby") % d == 0;
}

bool t_eq(Interpreter&, const Value& v, Args& a) { return v.equals(need(a, "eq")); }
bool t_ne(Interpreter&, const Value& v, Args& a) { return !v.equals(need(a, "ne")); }

void orderable(const Value& a, const Value& b, const char* sym) {
  if (a.is_undefined()) a.fail_undefined();
  if (b.is_undefined()) b.fail_undefined();
  bool ok = (a.is_number() && b.is_number()) || (a.is_string() && b.is_string()) ||
            (a.is_list() && b.is_list());
  if (!ok)
    throw_runtime("TypeError", std::string("'") + sym + "' not supported between instances of '" +
                                   a.type_name() + "' and '" + b.type_name() + "'");
}
bool t_lt(Interpreter&, const Value& v, Args& a) {
  const Value& o = need(a, "lt");
  orderable(v, o, "<");
  return v.less(o);
}
bool t_le(Interpreter&, const Value& v, Args& a) {
  const Value& o = need(a, "le");
  orderable(v, o, "<=");
  return !o.less(v);
}
bool t_gt(Interpreter&, const Value& v, Args& a) {
  const Value& o = need(a, "gt");
  orderable(v, o, ">");
  return o.less(v);
}
bool t_ge(Interpreter&, const Value& v, Args& a) {
  const Value& o = need(a, "ge");
  orderable(v, o, ">=");
  return !v.less(o);
}

bool t_in(Interpreter&, const Value& v, Args& a) {
  const Value& seq = need(a, "in");
  switch (seq.kind()) {
    case Value::Kind::Undefined:
      return false;
    case Value::Kind::String:
      if (!v.is_string())
        throw_runtime("TypeError",
                      "'in <string>' requires string as left operand, not " + v.type_name());
      return seq.str_ref().find(v.str_ref()) != std::string::npos;
    case Value::Kind::List:
      for (const auto& x : seq.list_ref().items)
        if (x.equals(v)) return true;
      return false;
    case Value::Kind::Dict:
      return seq.dict_ref().find(v) != nullptr;
    default:
      throw_runtime("TypeError", "argument of type '" + seq.type_name() + "' is not iterable");
  }
}

bool t_sameas(Interpreter&, const Value& v, Args& a) {
  const Value& o = need(a, "sameas");
  if (v.is_none() || v.is_bool() || v.is_undefined()) return v.kind() == o.kind() && v.equals(o);
  if (v.is_list() || v.is_dict() || v.is_callable() || v.is_object())
    return v.kind() == o.kind() && v.equals(o);
  return v.kind() == o.kind() && v.equals(o);
}

bool t_lower(Interpreter&, const Value& v, Args&) {
  std::string s = v.str();
  return pystr::lower(s) == s && pystr::upper(s) != s;
}
bool t_upper(Interpreter&, const Value& v, Args&) {
  std::string s = v.str();
  return pystr::upper(s) == s && pystr::lower(s) != s;
}
bool t_escaped(Interpreter&, const Value&, Args&) { return false; }
bool t_filter(Interpreter&, const Value& v, Args&) {
  return v.is_string() && find_filter(v.str_ref());
}
bool t_test(Interpreter&, const Value& v, Args&) { return v.is_string() && find_test(v.str_ref()); }

const std::unordered_map<std::string, TestFn>& registry() {
  static const std::unordered_map<std::string, TestFn> m = {
      {"defined", t_defined},
      {"undefined", t_undefined},
      {"none", t_none},
      {"string", t_string},
      {"number", t_number},
      {"integer", t_integer},
      {"float", t_float},
      {"mapping", t_mapping},
      {"iterable", t_iterable},
      {"sequence", t_sequence},
      {"boolean", t_boolean},
      {"true", t_true},
      {"false", t_false},
      {"even", t_even},
      {"odd", t_odd},
      {"divisibleby", t_divisibleby},
      {"eq", t_eq},
      {"equalto", t_eq},
      {"==", t_eq},
      {"ne", t_ne},
      {"!=", t_ne},
      {"lt", t_lt},
      {"lessthan", t_lt},
      {"<", t_lt},
      {"le", t_le},
      {"<=", t_le},
      {"gt", t_gt},
      {"greaterthan", t_gt},
      {">", t_gt},
      {"ge", t_ge},
      {">=", t_ge},
      {"in", t_in},
      {"callable", t_callable},
      {"sameas", t_sameas},
      {"lower", t_lower},
      {"upper", t_upper},
      {"escaped", t_escaped},
      {"filter", t_filter},
      {"test", t_test},
  };
  return m;
}

}  // namespace

TestFn find_test(const std::string& name) {
  const auto& m = registry();
  auto it = m.find(name);
  return it == m.end() ? nullptr : it->second;
}

}  // namespace abstractllm::engine::jinja
