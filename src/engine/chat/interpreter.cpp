#include "engine/chat/interpreter.hpp"

#include <cmath>
#include <cstdint>
#include <ctime>
#include <optional>

#include "abstractllm/errors.hpp"

namespace abstractllm::engine::jinja {

const Value* Scope::find(const std::string& name) const {
  for (const Scope* s = this; s; s = s->parent.get())
    for (const auto& [k, v] : s->vars)
      if (k == name) return &v;
  return nullptr;
}

void Scope::set(const std::string& name, Value value) {
  for (auto& [k, v] : vars) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  vars.emplace_back(name, std::move(value));
}

struct DepthScope {
  Interpreter& in;
  explicit DepthScope(Interpreter& i) : in(i) {
    if (++in.depth_ > in.options_.limits.max_recursion_depth)
      throw_runtime("ResourceExceeded", "maximum recursion depth exceeded (limit " +
                                            std::to_string(in.options_.limits.max_recursion_depth) +
                                            ")");
  }
  ~DepthScope() { --in.depth_; }
};

namespace {

// `namespace(...)`: the one mutable object templates may assign attributes on.
class NamespaceObj : public Object {
 public:
  DictObj attrs;
  int depth() const override { return attrs.depth; }
  void clear() override { attrs.items.clear(); }
  std::string type_name() const override { return "Namespace"; }
  Value getattr(const std::string& name) const override {
    if (const Value* v = attrs.find(name)) return *v;
    return Value::undefined("'Namespace object' has no attribute '" + name + "'");
  }
  bool setattr(const std::string& name, Value value) override {
    attrs.set(Value(name), std::move(value));
    return true;
  }
  std::string repr() const override {
    auto d = std::make_shared<DictObj>(attrs);
    return "<Namespace " + Value(d).repr() + ">";
  }
};

// The `loop` variable of a for loop.
class LoopObj : public Object {
 public:
  std::shared_ptr<const std::vector<Value>> items;
  std::size_t index0 = 0;
  int depth0 = 0;
  Value recurse;  // callable for recursive loops
  std::shared_ptr<Value> last_changed = std::make_shared<Value>();

  std::string type_name() const override { return "LoopContext"; }
  void clear() override {
    *last_changed = Value();
    recurse = Value();
  }
  Value getattr(const std::string& name) const override {
    const std::size_t n = items->size();
    if (name == "index") return Value(static_cast<std::int64_t>(index0 + 1));
    if (name == "index0") return Value(static_cast<std::int64_t>(index0));
    if (name == "revindex") return Value(static_cast<std::int64_t>(n - index0));
    if (name == "revindex0") return Value(static_cast<std::int64_t>(n - index0 - 1));
    if (name == "first") return Value(index0 == 0);
    if (name == "last") return Value(index0 + 1 == n);
    if (name == "length") return Value(static_cast<std::int64_t>(n));
    if (name == "depth") return Value(static_cast<std::int64_t>(depth0 + 1));
    if (name == "depth0") return Value(static_cast<std::int64_t>(depth0));
    if (name == "previtem")
      return index0 > 0 ? (*items)[index0 - 1] : Value::undefined("there is no previous item");
    if (name == "nextitem")
      return index0 + 1 < n ? (*items)[index0 + 1] : Value::undefined("there is no next item");
    if (name == "cycle") {
      std::size_t i = index0;
      return Value::function("cycle", [i](Interpreter&, Args& args) -> Value {
        if (args.pos.empty()) throw_runtime("TypeError", "no items for cycling given");
        return args.pos[i % args.pos.size()];
      });
    }
    if (name == "changed") {
      auto last = last_changed;
      return Value::function("changed", [last](Interpreter&, Args& args) -> Value {
        Value v = Value::list(args.pos);
        if (!last->is_undefined() && last->equals(v)) return Value(false);
        *last = v;
        return Value(true);
      });
    }
    return Value::undefined("'LoopContext object' has no attribute '" + name + "'");
  }
  std::string repr() const override {
    return "<LoopContext " + std::to_string(index0 + 1) + "/" + std::to_string(items->size()) + ">";
  }
};

Value make_range(Args& args) {
  std::int64_t start = 0, stop = 0, step = 1;
  auto as_int = [](const Value& v) -> std::int64_t {
    if (v.is_int() || v.is_bool()) return v.to_int();
    if (v.is_undefined()) v.fail_undefined();
    throw_runtime("TypeError",
                  "'" + v.type_name() + "' object cannot be interpreted as an integer");
  };
  if (args.pos.size() == 1) {
    stop = as_int(args.pos[0]);
  } else if (args.pos.size() == 2 || args.pos.size() == 3) {
    start = as_int(args.pos[0]);
    stop = as_int(args.pos[1]);
    if (args.pos.size() == 3) step = as_int(args.pos[2]);
  } else {
    throw_runtime("TypeError",
                  "range expected at most 3 arguments, got " + std::to_string(args.pos.size()));
  }
  if (step == 0) throw_runtime("ValueError", "range() arg 3 must not be zero");
  std::int64_t count = 0;
  if (step > 0 && stop > start) count = (stop - start + step - 1) / step;
  if (step < 0 && stop < start) count = (start - stop - step - 1) / (-step);
  if (count > 100000)
    throw_runtime("OverflowError",
                  "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  std::vector<Value> items;
  items.reserve(count);
  for (std::int64_t i = 0; i < count; ++i) items.emplace_back(start + i * step);
  return Value::list(std::move(items));
}

Value global(const std::string& name) {
  if (name == "range")
    return Value::function("range", [](Interpreter&, Args& args) { return make_range(args); });
  if (name == "namespace")
    return Value::function("namespace", [](Interpreter& in, Args& args) -> Value {
      auto ns = std::make_shared<NamespaceObj>();
      in.track(ns);
      for (const auto& a : args.pos) {
        if (!a.is_dict())
          throw_runtime("TypeError", "'" + a.type_name() + "' object is not iterable");
        for (const auto& [k, v] : a.dict_ref().items) ns->attrs.set(k, v);
      }
      for (const auto& [k, v] : args.kw) ns->attrs.set(Value(k), v);
      return Value(std::static_pointer_cast<Object>(ns));
    });
  if (name == "dict")
    return Value::function("dict", [](Interpreter&, Args& args) -> Value {
      Value d = Value::dict();
      for (const auto& a : args.pos)
        if (a.is_dict())
          for (const auto& [k, v] : a.dict_ref().items) d.dict_ref().set(k, v);
      for (const auto& [k, v] : args.kw) d.dict_ref().set(Value(k), v);
      return d;
    });
  if (name == "raise_exception")
    return Value::function("raise_exception", [](Interpreter&, Args& args) -> Value {
      const Value* m = args.get(0, "message");
      throw_runtime("TemplateError", m ? m->str() : "");
    });
  if (name == "strftime_now")
    return Value::function("strftime_now", [](Interpreter& in, Args& args) -> Value {
      const Value* f = args.get(0, "format");
      if (!f || !f->is_string())
        throw_runtime("TypeError", "strftime_now() argument must be a format string");
      std::time_t t =
          in.options().now ? static_cast<std::time_t>(in.options().now()) : std::time(nullptr);
      std::tm tm{};
      localtime_r(&t, &tm);
      if (f->str_ref().empty()) return Value(std::string());
      std::string buf(f->str_ref().size() * 8 + 64, '\0');
      std::size_t n = std::strftime(buf.data(), buf.size(), f->str_ref().c_str(), &tm);
      buf.resize(n);
      return Value(std::move(buf));
    });
  return Value::undefined("'" + name + "' is undefined");
}

bool is_int_like(const Value& v) { return v.is_int() || v.is_bool(); }

}  // namespace

Interpreter::~Interpreter() {
  for (auto& o : objects_) o->clear();
}

void Interpreter::count_iterations(std::size_t n) {
  iterations_ += n;
  if (iterations_ > options_.limits.max_loop_iterations)
    throw_runtime("ResourceExceeded", "loop iteration limit exceeded (limit " +
                                          std::to_string(options_.limits.max_loop_iterations) +
                                          ")");
}

void Interpreter::append(std::string& out, const std::string& s) {
  output_bytes_ += s.size();
  if (output_bytes_ > options_.limits.max_output_bytes ||
      out.size() + s.size() > options_.limits.max_output_bytes)
    throw_runtime("ResourceExceeded", "output size limit exceeded (limit " +
                                          std::to_string(options_.limits.max_output_bytes) +
                                          " bytes)");
  out += s;
}

std::string Interpreter::render(const Node& root, const nlohmann::ordered_json& context) {
  root_scope_ = std::make_shared<Scope>();
  if (context.is_object()) {
    root_scope_->vars.reserve(context.size());
    for (auto it = context.begin(); it != context.end(); ++it)
      root_scope_->set(it.key(), Value::from_json(it.value()));
  }
  scope_ = root_scope_;
  std::string out;
  try {
    exec(root.body, out);
  } catch (const RuntimeError& e) {
    throw TemplateError(e.message, line_, col_);
  }
  return out;
}

void Interpreter::run_body(const Body& body, std::shared_ptr<Scope> scope, std::string& out) {
  auto saved = scope_;
  scope_ = std::move(scope);
  try {
    exec(body, out);
  } catch (...) {
    scope_ = saved;
    throw;
  }
  scope_ = saved;
}

Interpreter::Flow Interpreter::exec(const Body& body, std::string& out) {
  for (const auto& n : body) {
    Flow f = exec_node(*n, out);
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::exec_node(const Node& n, std::string& out) {
  line_ = n.line;
  col_ = n.col;
  switch (n.kind) {
    case Node::Kind::Root:
      return exec(n.body, out);
    case Node::Kind::Text:
      append(out, n.text);
      return Flow::Normal;
    case Node::Kind::Output: {
      Value v = eval(*n.expr);
      if (v.is_string())
        append(out, v.str_ref());
      else
        append(out, v.str());
      return Flow::Normal;
    }
    case Node::Kind::If:
      for (const auto& [cond, body] : n.branches) {
        if (!cond || eval(*cond).truthy()) return exec(body, out);
      }
      return Flow::Normal;
    case Node::Kind::For: {
      Value iterable = eval(*n.expr);
      exec_for(n, iterable, 0, out);
      return Flow::Normal;
    }
    case Node::Kind::Set:
      exec_set(n, eval(*n.expr));
      return Flow::Normal;
    case Node::Kind::SetBlock: {
      std::string captured;
      exec(n.body, captured);
      Value v(std::move(captured));
      if (n.filter) v = eval_filter(*n.filter, &v);
      exec_set(n, std::move(v));
      return Flow::Normal;
    }
    case Node::Kind::Macro:
      scope_->set(n.text, make_macro(n, scope_));
      return Flow::Normal;
    case Node::Kind::CallBlock: {
      // `caller` renders the block body in the scope of the call site.
      Value caller = make_macro(n, scope_);
      caller.callable_ref().name = "caller";
      const Expr& call_expr = *n.expr;
      Value fn = eval(*call_expr.a);
      Args args;
      eval_args(call_expr, args);
      args.kw.emplace_back("caller", std::move(caller));
      at(call_expr);
      append(out, call(fn, args).str());
      return Flow::Normal;
    }
    case Node::Kind::FilterBlock: {
      std::string captured;
      exec(n.body, captured);
      Value v(std::move(captured));
      append(out, eval_filter(*n.filter, &v).str());
      return Flow::Normal;
    }
    case Node::Kind::With: {
      auto scope = std::make_shared<Scope>();
      scope->parent = scope_;
      for (const auto& [name, expr] : n.params) scope->set(name, eval(*expr));
      auto saved = scope_;
      scope_ = scope;
      Flow f;
      try {
        f = exec(n.body, out);
      } catch (...) {
        scope_ = saved;
        throw;
      }
      scope_ = saved;
      return f;
    }
    case Node::Kind::Break:
      return Flow::Break;
    case Node::Kind::Continue:
      return Flow::Continue;
  }
  return Flow::Normal;
}

namespace {

void unpack(Scope& scope, const std::vector<std::string>& targets, const Value& item) {
  if (targets.size() == 1) {
    scope.set(targets[0], item);
    return;
  }
  if (!(item.is_list() || item.is_string() || item.is_dict())) {
    if (item.is_undefined()) item.fail_undefined();
    throw_runtime("TypeError", "cannot unpack non-iterable " + item.type_name() + " object");
  }
  std::vector<Value> values = item.iterate();
  if (values.size() < targets.size())
    throw_runtime("ValueError", "not enough values to unpack (expected " +
                                    std::to_string(targets.size()) + ", got " +
                                    std::to_string(values.size()) + ")");
  if (values.size() > targets.size())
    throw_runtime("ValueError",
                  "too many values to unpack (expected " + std::to_string(targets.size()) + ")");
  for (std::size_t i = 0; i < targets.size(); ++i) scope.set(targets[i], values[i]);
}

}  // namespace

void Interpreter::exec_for(const Node& n, const Value& iterable, int depth, std::string& out) {
  DepthScope guard(*this);
  if (iterable.is_none() || iterable.is_number() || iterable.is_callable() || iterable.is_object())
    throw_runtime("TypeError", "'" + iterable.type_name() + "' object is not iterable");
  std::vector<Value> items = iterable.iterate();
  count_iterations(items.size());
  auto outer = scope_;
  if (n.cond) {
    // The loop filter sees the loop target but not `loop`.
    std::vector<Value> kept;
    auto fscope = std::make_shared<Scope>();
    fscope->parent = outer;
    scope_ = fscope;
    try {
      for (auto& item : items) {
        unpack(*fscope, n.targets, item);
        if (eval(*n.cond).truthy()) kept.push_back(std::move(item));
      }
    } catch (...) {
      scope_ = outer;
      throw;
    }
    scope_ = outer;
    items = std::move(kept);
  }
  auto shared_items = std::make_shared<const std::vector<Value>>(std::move(items));
  const std::vector<Value>& all = *shared_items;
  auto loop = std::make_shared<LoopObj>();
  // loop.changed(loop) would make a cycle; forget its memory when the loop ends.
  struct ForgetChanged {
    LoopObj& l;
    ~ForgetChanged() { *l.last_changed = Value(); }
  } forget{*loop};
  loop->items = shared_items;
  loop->depth0 = depth;
  if (n.recursive) {
    const Node* node = &n;
    loop->recurse = Value::function("loop", [node, depth](Interpreter& in, Args& args) -> Value {
      if (args.pos.size() != 1) throw_runtime("TypeError", "loop() takes exactly one argument");
      std::string sub;
      in.exec_for(*node, args.pos[0], depth + 1, sub);
      return Value(std::move(sub));
    });
  }
  Value loop_value(std::static_pointer_cast<Object>(loop));
  try {
    for (std::size_t i = 0; i < all.size(); ++i) {
      loop->index0 = i;
      auto iter_scope = std::make_shared<Scope>();
      iter_scope->parent = outer;
      iter_scope->vars.reserve(n.targets.size() + 1);
      scope_ = iter_scope;
      unpack(*iter_scope, n.targets, all[i]);
      iter_scope->set("loop", loop_value);
      Flow f = exec(n.body, out);
      if (f == Flow::Break) break;
    }
    if (all.empty() && !n.else_body.empty()) {
      auto else_scope = std::make_shared<Scope>();
      else_scope->parent = outer;
      scope_ = else_scope;
      exec(n.else_body, out);
    }
  } catch (...) {
    scope_ = outer;
    throw;
  }
  scope_ = outer;
}

void Interpreter::exec_set(const Node& n, Value value) {
  if (!n.attr.empty()) {
    Value target = lookup(n.targets[0]);
    if (!target.is_object() || !target.object_ref().setattr(n.attr, std::move(value)))
      throw_runtime("TemplateRuntimeError", "cannot assign attribute on non-namespace object");
    return;
  }
  unpack(*scope_, n.targets, value);
}

Value Interpreter::make_macro(const Node& n, std::shared_ptr<Scope> defining, Value) {
  const Node* node = &n;
  std::weak_ptr<Scope> weak = defining;
  // Macros resolve free names at call time through the scope they were defined in; the root
  // scope outlives every macro value of one render.
  return Value::function(n.text, [node, weak, this](Interpreter& in, Args& args) -> Value {
    DepthScope guard(in);
    auto defining = weak.lock();
    auto scope = std::make_shared<Scope>();
    scope->parent = defining ? defining : root_scope_;
    const auto& params = node->params;
    if (args.pos.size() > params.size())
      throw_runtime("TypeError", "macro '" + node->text + "' takes not more than " +
                                     std::to_string(params.size()) + " argument(s)");
    std::vector<bool> bound(params.size(), false);
    for (std::size_t i = 0; i < args.pos.size(); ++i) {
      scope->set(params[i].first, args.pos[i]);
      bound[i] = true;
    }
    Value caller;
    for (const auto& [k, v] : args.kw) {
      if (k == "caller") {
        caller = v;
        continue;
      }
      bool found = false;
      for (std::size_t i = 0; i < params.size(); ++i) {
        if (params[i].first == k) {
          scope->set(k, v);
          bound[i] = true;
          found = true;
        }
      }
      if (!found)
        throw_runtime("TypeError",
                      "macro '" + node->text + "' takes no keyword argument '" + k + "'");
    }
    if (caller.is_callable()) scope->set("caller", caller);
    auto saved = in.scope_;
    in.scope_ = scope;
    std::string out;
    try {
      for (std::size_t i = 0; i < params.size(); ++i) {
        if (bound[i]) continue;
        if (params[i].second)
          scope->set(params[i].first, in.eval(*params[i].second));
        else
          scope->set(params[i].first,
                     Value::undefined("parameter '" + params[i].first + "' was not provided"));
      }
      in.exec(node->body, out);
    } catch (...) {
      in.scope_ = saved;
      throw;
    }
    in.scope_ = saved;
    return Value(std::move(out));
  });
}

Value Interpreter::lookup(const std::string& name) {
  if (const Value* v = scope_->find(name)) return *v;
  return global(name);
}

void Interpreter::eval_args(const Expr& e, Args& args) {
  args.pos.reserve(e.args.size());
  for (const auto& a : e.args) args.pos.push_back(eval(*a));
  for (const auto& [k, v] : e.kwargs) args.kw.emplace_back(k, eval(*v));
}

Value Interpreter::call(const Value& callee, Args& args) {
  if (callee.is_callable()) return callee.callable_ref().fn(*this, args);
  if (callee.is_undefined()) callee.fail_undefined();
  if (callee.is_object()) {
    if (auto* loop = dynamic_cast<LoopObj*>(&callee.object_ref());
        loop && loop->recurse.is_callable())
      return loop->recurse.callable_ref().fn(*this, args);
  }
  throw_runtime("TypeError", "'" + callee.type_name() + "' object is not callable");
}

Value Interpreter::getattr(const Value& obj, const std::string& name) {
  switch (obj.kind()) {
    case Value::Kind::Undefined:
      obj.fail_undefined();
    case Value::Kind::Object:
      return obj.object_ref().getattr(name);
    default:
      break;
  }
  if (name.size() >= 2 && name[0] == '_' && name[1] == '_')
    return Value::undefined(
        "access to attribute '" + name + "' of '" + obj.type_name() + "' object is unsafe.",
        "SecurityError");
  bool unsafe = false;
  if (has_method(obj, name, unsafe)) {
    if (unsafe)
      return Value::undefined(
          "access to attribute '" + name + "' of '" + obj.type_name() + "' object is unsafe.",
          "SecurityError");
    Value self = obj;
    return Value::function(name, [self, name](Interpreter& in, Args& args) {
      return call_method(in, self, name, args);
    });
  }
  if (obj.is_dict()) {
    if (const Value* v = obj.dict_ref().find(name)) return *v;
  }
  return Value::undefined("'" + obj.object_type_repr() + "' has no attribute '" + name + "'");
}

Value Interpreter::getitem(const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case Value::Kind::Undefined:
      obj.fail_undefined();
    case Value::Kind::Dict:
      if (const Value* v = obj.dict_ref().find(key)) return *v;
      break;
    case Value::Kind::List:
    case Value::Kind::String:
      if (is_int_like(key)) {
        std::int64_t i = key.to_int();
        if (obj.is_list()) {
          const auto& items = obj.list_ref().items;
          std::int64_t n = static_cast<std::int64_t>(items.size());
          if (i < 0) i += n;
          if (i >= 0 && i < n) return items[i];
        } else {
          auto chars = utf8_chars(obj.str_ref());
          std::int64_t n = static_cast<std::int64_t>(chars.size());
          if (i < 0) i += n;
          if (i >= 0 && i < n) return Value(chars[i]);
        }
      }
      break;
    default:
      break;
  }
  if (key.is_string()) return getattr(obj, key.str_ref());
  return Value::undefined(obj.object_type_repr() + " has no element " + key.repr());
}

Value Interpreter::eval_slice(const Value& obj, const Value& start_v, const Value& stop_v,
                              const Value& step_v) {
  if (obj.is_undefined()) obj.fail_undefined();
  auto bound = [](const Value& v, const char* what) -> std::optional<std::int64_t> {
    if (v.is_none() || v.is_undefined()) return std::nullopt;
    if (!is_int_like(v))
      throw_runtime("TypeError", std::string("slice indices must be integers or None or have an "
                                             "__index__ method") +
                                     (what ? "" : ""));
    return v.to_int();
  };
  auto start = bound(start_v, nullptr), stop = bound(stop_v, nullptr),
       stepo = bound(step_v, nullptr);
  std::int64_t step = stepo.value_or(1);
  if (step == 0) throw_runtime("ValueError", "slice step cannot be zero");
  std::vector<Value> src;
  std::vector<std::string> chars;
  std::int64_t n;
  if (obj.is_list()) {
    n = static_cast<std::int64_t>(obj.list_ref().items.size());
  } else if (obj.is_string()) {
    chars = utf8_chars(obj.str_ref());
    n = static_cast<std::int64_t>(chars.size());
  } else {
    return Value::undefined(obj.object_type_repr() + " has no element slice");
  }
  auto adjust = [n, step](std::optional<std::int64_t> v, bool is_start) -> std::int64_t {
    if (!v) return step > 0 ? (is_start ? 0 : n) : (is_start ? n - 1 : -1);
    std::int64_t x = *v;
    if (x < 0) {
      x += n;
      if (x < 0) x = step > 0 ? 0 : -1;
    } else if (x >= n) {
      x = step > 0 ? n : n - 1;
    }
    return x;
  };
  std::int64_t lo = adjust(start, true), hi = adjust(stop, false);
  std::vector<std::int64_t> idx;
  if (step > 0)
    for (std::int64_t i = lo; i < hi; i += step) idx.push_back(i);
  else
    for (std::int64_t i = lo; i > hi; i += step) idx.push_back(i);
  count_iterations(idx.size());
  if (obj.is_list()) {
    std::vector<Value> out;
    out.reserve(idx.size());
    for (auto i : idx) out.push_back(obj.list_ref().items[i]);
    return Value::list(std::move(out), obj.list_ref().tuple);
  }
  std::string out;
  for (auto i : idx) out += chars[i];
  return Value(std::move(out));
}

namespace {

[[noreturn]] void unsupported(const char* op, const Value& a, const Value& b) {
  throw_runtime("TypeError", std::string("unsupported operand type(s) for ") + op + ": '" +
                                 a.type_name() + "' and '" + b.type_name() + "'");
}

Value repeat(const Value& seq, std::int64_t times) {
  if (times < 0) times = 0;
  if (seq.is_string()) {
    if (seq.str_ref().size() * static_cast<std::uint64_t>(times) > (64u << 20))
      throw_runtime("MemoryError", "repeated string too large");
    std::string out;
    for (std::int64_t i = 0; i < times; ++i) out += seq.str_ref();
    return Value(std::move(out));
  }
  const auto& items = seq.list_ref().items;
  if (items.size() * static_cast<std::uint64_t>(times) > (1u << 22))
    throw_runtime("MemoryError", "repeated list too large");
  std::vector<Value> out;
  for (std::int64_t i = 0; i < times; ++i) out.insert(out.end(), items.begin(), items.end());
  return Value::list(std::move(out), seq.list_ref().tuple);
}

double py_fmod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

}  // namespace

Value Interpreter::eval_binary(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") return Value(a.str() + b.str());
  if (a.is_undefined()) a.fail_undefined();
  if (b.is_undefined()) b.fail_undefined();
  const bool nums = a.is_number() && b.is_number();
  const bool ints = nums && !a.is_float() && !b.is_float();
  const char c = op[0];
  if (op == "+") {
    if (ints) {
      std::int64_t r;
      if (__builtin_add_overflow(a.to_int(), b.to_int(), &r))
        return Value(a.to_double() + b.to_double());
      return Value(r);
    }
    if (nums) return Value(a.to_double() + b.to_double());
    if (a.is_string() && b.is_string()) return Value(a.str_ref() + b.str_ref());
    if (a.is_list() && b.is_list() && a.list_ref().tuple == b.list_ref().tuple) {
      std::vector<Value> items = a.list_ref().items;
      items.insert(items.end(), b.list_ref().items.begin(), b.list_ref().items.end());
      return Value::list(std::move(items), a.list_ref().tuple);
    }
    if (a.is_string() || a.is_list())
      throw_runtime("TypeError", "can only concatenate " + a.type_name() + " (not \"" +
                                     b.type_name() + "\") to " + a.type_name());
    unsupported("+", a, b);
  }
  if (op == "-") {
    if (ints) {
      std::int64_t r;
      if (__builtin_sub_overflow(a.to_int(), b.to_int(), &r))
        return Value(a.to_double() - b.to_double());
      return Value(r);
    }
    if (nums) return Value(a.to_double() - b.to_double());
    unsupported("-", a, b);
  }
  if (op == "*") {
    if (ints) {
      std::int64_t r;
      if (__builtin_mul_overflow(a.to_int(), b.to_int(), &r))
        return Value(a.to_double() * b.to_double());
      return Value(r);
    }
    if (nums) return Value(a.to_double() * b.to_double());
    if ((a.is_string() || a.is_list()) && is_int_like(b)) return repeat(a, b.to_int());
    if ((b.is_string() || b.is_list()) && is_int_like(a)) return repeat(b, a.to_int());
    if ((a.is_string() || a.is_list()) && (b.is_string() || b.is_list() || b.is_float()))
      throw_runtime("TypeError",
                    "can't multiply sequence by non-int of type '" + b.type_name() + "'");
    unsupported("*", a, b);
  }
  if (op == "/") {
    if (!nums) unsupported("/", a, b);
    if (b.to_double() == 0)
      throw_runtime("ZeroDivisionError", ints ? "division by zero" : "float division by zero");
    return Value(a.to_double() / b.to_double());
  }
  if (op == "//") {
    if (!nums) unsupported("//", a, b);
    if (ints) {
      if (b.to_int() == 0) throw_runtime("ZeroDivisionError", "integer division or modulo by zero");
      std::int64_t x = a.to_int(), y = b.to_int();
      if (x == INT64_MIN && y == -1) return Value(-static_cast<double>(x));
      std::int64_t q = x / y;
      if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
      return Value(q);
    }
    if (b.to_double() == 0) throw_runtime("ZeroDivisionError", "float floor division by zero");
    return Value(std::floor(a.to_double() / b.to_double()));
  }
  if (c == '%') {
    if (a.is_string()) return Value(python_percent(a.str_ref(), b));
    if (!nums) unsupported("%", a, b);
    if (ints) {
      if (b.to_int() == 0) throw_runtime("ZeroDivisionError", "integer modulo by zero");
      std::int64_t x = a.to_int(), y = b.to_int();
      if (y == -1) return Value(std::int64_t{0});
      std::int64_t m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      return Value(m);
    }
    if (b.to_double() == 0) throw_runtime("ZeroDivisionError", "float modulo");
    return Value(py_fmod(a.to_double(), b.to_double()));
  }
  if (op == "**") {
    if (!nums) unsupported("** or pow()", a, b);
    if (ints && b.to_int() >= 0) {
      std::int64_t base = a.to_int(), e = b.to_int(), r = 1;
      while (e > 0) {
        if (e & 1) {
          if (__builtin_mul_overflow(r, base, &r))
            throw_runtime("OverflowError", "integer result too large");
        }
        e >>= 1;
        if (e > 0 && __builtin_mul_overflow(base, base, &base))
          throw_runtime("OverflowError", "integer result too large");
      }
      return Value(r);
    }
    if (a.to_double() == 0 && b.to_double() < 0)
      throw_runtime("ZeroDivisionError", "0.0 cannot be raised to a negative power");
    return Value(std::pow(a.to_double(), b.to_double()));
  }
  throw_runtime("TypeError", "unknown operator " + op);
}

bool Interpreter::eval_compare(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return a.equals(b);
  if (op == "!=") return !a.equals(b);
  if (op == "in" || op == "notin") {
    bool found = false;
    switch (b.kind()) {
      case Value::Kind::Undefined:
        break;
      case Value::Kind::String:
        if (!a.is_string())
          throw_runtime("TypeError",
                        "'in <string>' requires string as left operand, not " + a.type_name());
        found = b.str_ref().find(a.str_ref()) != std::string::npos;
        break;
      case Value::Kind::List:
        for (const auto& v : b.list_ref().items)
          if (v.equals(a)) {
            found = true;
            break;
          }
        break;
      case Value::Kind::Dict:
        found = b.dict_ref().find(a) != nullptr;
        break;
      default:
        throw_runtime("TypeError", "argument of type '" + b.type_name() + "' is not iterable");
    }
    return op == "in" ? found : !found;
  }
  auto check = [&](const char* sym) {
    if (a.is_undefined()) a.fail_undefined();
    if (b.is_undefined()) b.fail_undefined();
    bool ok = (a.is_number() && b.is_number()) || (a.is_string() && b.is_string()) ||
              (a.is_list() && b.is_list());
    if (!ok)
      throw_runtime("TypeError", std::string("'") + sym + "' not supported between instances of '" +
                                     a.type_name() + "' and '" + b.type_name() + "'");
  };
  if (op == "<") {
    check("<");
    return a.less(b);
  }
  if (op == ">") {
    check(">");
    return b.less(a);
  }
  if (op == "<=") {
    check("<=");
    return !b.less(a);
  }
  if (op == ">=") {
    check(">=");
    return !a.less(b);
  }
  throw_runtime("TypeError", "unknown comparison " + op);
}

Value Interpreter::eval_call(const Expr& e) {
  const Expr& callee = *e.a;
  Args args;
  if (callee.kind == Expr::Kind::GetAttr) {
    // Method calls on str/list/dict go straight to the method (no bound-method object).
    Value obj = eval(*callee.a);
    bool unsafe = false;
    if ((obj.is_string() || obj.is_list() || obj.is_dict()) &&
        has_method(obj, callee.name, unsafe) && !unsafe) {
      eval_args(e, args);
      at(e);
      return call_method(*this, obj, callee.name, args);
    }
    Value fn = getattr(obj, callee.name);
    eval_args(e, args);
    at(e);
    return call(fn, args);
  }
  Value fn = eval(callee);
  eval_args(e, args);
  at(e);
  return call(fn, args);
}

Value Interpreter::eval_filter(const Expr& e, const Value* input) {
  Value v;
  if (!e.a)
    v = input ? *input : Value();
  else if (input && e.a->kind == Expr::Kind::Filter)
    v = eval_filter(*e.a, input);
  else
    v = eval(*e.a);
  Args args;
  eval_args(e, args);
  at(e);
  return filter(e.name, v, args);
}

Value Interpreter::eval(const Expr& e) {
  at(e);
  switch (e.kind) {
    case Expr::Kind::Literal:
      return e.value;
    case Expr::Kind::Name:
      return lookup(e.name);
    case Expr::Kind::GetAttr: {
      Value obj = eval(*e.a);
      at(e);
      return getattr(obj, e.name);
    }
    case Expr::Kind::GetItem: {
      Value obj = eval(*e.a);
      Value key = eval(*e.b);
      at(e);
      return getitem(obj, key);
    }
    case Expr::Kind::Slice: {
      Value obj = eval(*e.a);
      Value lo = e.b ? eval(*e.b) : Value(nullptr);
      Value hi = e.c ? eval(*e.c) : Value(nullptr);
      Value st = e.d ? eval(*e.d) : Value(nullptr);
      at(e);
      return eval_slice(obj, lo, hi, st);
    }
    case Expr::Kind::Call: {
      DepthScope guard(*this);
      return eval_call(e);
    }
    case Expr::Kind::Filter:
      return eval_filter(e, nullptr);
    case Expr::Kind::Test: {
      Value v = eval(*e.a);
      Args args;
      eval_args(e, args);
      at(e);
      bool r = test(e.name, v, args);
      return Value(e.negate ? !r : r);
    }
    case Expr::Kind::Neg:
    case Expr::Kind::Pos: {
      Value v = eval(*e.a);
      at(e);
      if (v.is_undefined()) v.fail_undefined();
      if (!v.is_number())
        throw_runtime("TypeError", std::string("bad operand type for unary ") +
                                       (e.kind == Expr::Kind::Neg ? "-" : "+") + ": '" +
                                       v.type_name() + "'");
      if (e.kind == Expr::Kind::Pos) return v.is_bool() ? Value(v.to_int()) : v;
      if (v.is_float()) return Value(-v.as_float());
      if (v.to_int() == INT64_MIN) return Value(-static_cast<double>(v.to_int()));
      return Value(-v.to_int());
    }
    case Expr::Kind::Not:
      return Value(!eval(*e.a).truthy());
    case Expr::Kind::And: {
      Value l = eval(*e.a);
      return l.truthy() ? eval(*e.b) : l;
    }
    case Expr::Kind::Or: {
      Value l = eval(*e.a);
      return l.truthy() ? l : eval(*e.b);
    }
    case Expr::Kind::Binary: {
      Value l = eval(*e.a);
      Value r = eval(*e.b);
      at(e);
      return eval_binary(e.name, l, r);
    }
    case Expr::Kind::Compare: {
      Value l = eval(*e.a);
      for (std::size_t i = 0; i < e.args.size(); ++i) {
        Value r = eval(*e.args[i]);
        at(e);
        if (!eval_compare(e.ops[i], l, r)) return Value(false);
        l = std::move(r);
      }
      return Value(true);
    }
    case Expr::Kind::Cond:
      if (eval(*e.a).truthy()) return eval(*e.b);
      if (e.c) return eval(*e.c);
      return Value::undefined("the inline if-expression on line " + std::to_string(e.line) +
                              " evaluated to false and no else section was defined.");
    case Expr::Kind::List:
    case Expr::Kind::Tuple: {
      std::vector<Value> items;
      items.reserve(e.args.size());
      for (const auto& a : e.args) items.push_back(eval(*a));
      return Value::list(std::move(items), e.kind == Expr::Kind::Tuple);
    }
    case Expr::Kind::Dict: {
      Value d = Value::dict();
      for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) {
        Value k = eval(*e.args[i]);
        if (k.is_list() && !k.list_ref().tuple)
          throw_runtime("TypeError", "unhashable type: 'list'");
        if (k.is_dict()) throw_runtime("TypeError", "unhashable type: 'dict'");
        d.dict_ref().set(std::move(k), eval(*e.args[i + 1]));
      }
      return d;
    }
  }
  return Value();
}

Value Interpreter::filter(const std::string& name, const Value& value, Args& args) {
  FilterFn f = find_filter(name);
  if (!f) throw_runtime("TemplateAssertionError", "No filter named '" + name + "'.");
  return f(*this, value, args);
}

bool Interpreter::test(const std::string& name, const Value& value, Args& args) {
  TestFn t = find_test(name);
  if (!t) throw_runtime("TemplateAssertionError", "No test named '" + name + "'.");
  return t(*this, value, args);
}

}  // namespace abstractllm::engine::jinja
