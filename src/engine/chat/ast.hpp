// The parsed form of a template: expressions (Expr) and statements (Node), each with the 1-based
// line and column where it starts, so errors can point at the template source.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/chat/value.hpp"

namespace abstractllm::engine::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    Literal,  // value
    Name,     // name
    GetAttr,  // a.name
    GetItem,  // a[b]
    Slice,    // a[b:c:d] (b, c, d may be null)
    Call,     // a(args, kwargs)
    Filter,   // a | name(args, kwargs); a is null inside {% filter %}
    Test,     // a is [not] name(args, kwargs); negate
    Neg,      // -a
    Pos,      // +a
    Not,      // not a
    And,      // a and b
    Or,       // a or b
    Binary,   // a op b  (+ - * / // % ** ~)
    Compare,  // a ops[0] args[0] ops[1] args[1] ...  (== != < <= > >= in notin), chained
    Cond,     // b if a else c
    List,     // [args]
    Tuple,    // (args)
    Dict,     // {args[2i]: args[2i+1]}
  };
  Kind kind;
  int line = 0, col = 0;
  Value value;
  std::string name;  // Name, GetAttr attribute, Filter/Test name, Binary/Compare operator
  bool negate = false;
  ExprPtr a, b, c, d;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;  // Compare operators
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using Body = std::vector<NodePtr>;

struct Node {
  enum class Kind {
    Root,         // body
    Text,         // text
    Output,       // {{ expr }}
    If,           // branches (cond null for else)
    For,          // targets in expr [if cond] body [else else_body] [recursive]
    Set,          // targets = expr, or target_obj.attr = expr
    SetBlock,     // {% set targets %}body{% endset %}, optional filter expr
    Macro,        // name(params) body
    CallBlock,    // {% call(params) expr %}body{% endcall %}
    FilterBlock,  // {% filter expr %}body
    With,         // {% with params %}body{% endwith %}: params evaluated outside, body scoped
    Break,
    Continue,
  };
  Kind kind;
  int line = 0, col = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr cond;
  ExprPtr filter;
  std::vector<std::string> targets;
  std::string attr;  // Set on namespace attribute: targets[0].attr
  bool recursive = false;
  std::vector<std::pair<std::string, ExprPtr>> params;  // macro / call block parameters
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body, else_body;
};

}  // namespace abstractllm::engine::jinja
