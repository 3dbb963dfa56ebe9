#include "engine/chat/parser.hpp"

#include <initializer_list>

#include "abstractllm/errors.hpp"
#include "engine/chat/lexer.hpp"

namespace abstractllm::engine::jinja {
namespace {

// Bounds the depth of the parse (recursion) and of the tree it builds (left-deep chains such as
// a + b + c or x|f|g count one level per link), so evaluating and freeing it stays well within
// the stack.
constexpr int kMaxDepth = 1000;

std::string describe(const Token& t) {
  switch (t.type) {
    case Token::Type::End:
      return "end of template";
    case Token::Type::VarEnd:
      return "end of print statement";
    case Token::Type::BlockEnd:
      return "end of statement block";
    case Token::Type::VarBegin:
      return "begin of print statement";
    case Token::Type::BlockBegin:
      return "begin of statement block";
    case Token::Type::Text:
      return "template data / text";
    case Token::Type::String:
      return "string";
    case Token::Type::Int:
      return "integer";
    case Token::Type::Float:
      return "float";
    default:
      return t.text;
  }
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  NodePtr parse() {
    auto root = make_node(Node::Kind::Root, cur());
    root->body = parse_body({});
    if (cur().type != Token::Type::End) fail("unexpected token", cur());
    return root;
  }

 private:
  const Token& cur() const { return toks_[pos_]; }
  const Token& peek(std::size_t k = 1) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  void advance() {
    if (pos_ + 1 < toks_.size()) ++pos_;
  }
  bool is_op(const char* op) const { return cur().type == Token::Type::Op && cur().text == op; }
  bool is_name(const char* name) const {
    return cur().type == Token::Type::Name && cur().text == name;
  }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(const char* name) {
    if (!is_name(name)) return false;
    advance();
    return true;
  }
  [[noreturn]] void fail(const std::string& msg, const Token& t) {
    throw TemplateError(msg, t.line, t.col);
  }
  void expect_op(const char* op) {
    if (!skip_op(op))
      fail(std::string("expected token '") + op + "', got '" + describe(cur()) + "'", cur());
  }
  std::string expect_name() {
    if (cur().type != Token::Type::Name)
      fail("expected token 'name', got '" + describe(cur()) + "'", cur());
    std::string s = cur().text;
    advance();
    return s;
  }
  void expect_block_end() {
    if (cur().type != Token::Type::BlockEnd)
      fail("expected token 'end of statement block', got '" + describe(cur()) + "'", cur());
    advance();
  }

  NodePtr make_node(Node::Kind k, const Token& t) {
    auto n = std::make_unique<Node>();
    n->kind = k;
    n->line = t.line;
    n->col = t.col;
    return n;
  }
  ExprPtr make_expr(Expr::Kind k, const Token& t) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->line = t.line;
    e->col = t.col;
    return e;
  }

  struct DepthGuard {
    Parser& p;
    int links = 0;
    explicit DepthGuard(Parser& parser) : p(parser) { link(); }
    void link() {
      ++links;
      if (++p.depth_ > kMaxDepth) p.fail("template nesting is too deep", p.cur());
    }
    ~DepthGuard() { p.depth_ -= links; }
  };

  // Parses statements until a block tag whose name is in `end_tags` (left unconsumed, after
  // its BlockBegin) or the end of the template.
  Body parse_body(std::initializer_list<const char*> end_tags) {
    DepthGuard guard(*this);
    struct EndStack {
      Parser& p;
      bool pushed;
      EndStack(Parser& parser, std::initializer_list<const char*> tags)
          : p(parser), pushed(tags.size() > 0) {
        if (pushed) p.end_stack_.emplace_back(tags.begin(), tags.end());
      }
      ~EndStack() {
        if (pushed) p.end_stack_.pop_back();
      }
    } end_stack(*this, end_tags);
    Body body;
    while (true) {
      const Token& t = cur();
      if (t.type == Token::Type::End) {
        if (end_tags.size() == 0) return body;
        fail_unknown_tag(nullptr, t);
      }
      if (t.type == Token::Type::Text) {
        auto n = make_node(Node::Kind::Text, t);
        n->text = t.text;
        body.push_back(std::move(n));
        advance();
      } else if (t.type == Token::Type::VarBegin) {
        auto n = make_node(Node::Kind::Output, t);
        advance();
        n->expr = parse_tuple(true, {}, false);
        if (cur().type != Token::Type::VarEnd)
          fail("expected token 'end of print statement', got '" + describe(cur()) + "'", cur());
        advance();
        body.push_back(std::move(n));
      } else if (t.type == Token::Type::BlockBegin) {
        const Token& name = peek();
        if (name.type == Token::Type::Name) {
          for (const char* e : end_tags) {
            if (name.text == e) {
              advance();
              return body;
            }
          }
        }
        advance();
        body.push_back(parse_statement());
      } else {
        fail("unexpected '" + describe(t) + "'", t);
      }
    }
  }

  NodePtr parse_statement() {
    const Token& t = cur();
    if (t.type != Token::Type::Name) fail("tag name expected", t);
    const std::string tag = t.text;
    if (tag == "for") return parse_for();
    if (tag == "if") return parse_if();
    if (tag == "set") return parse_set();
    if (tag == "macro") return parse_macro();
    if (tag == "call") return parse_call_block();
    if (tag == "filter") return parse_filter_block();
    if (tag == "with") return parse_with();
    if (tag == "generation") {  // transformers' AssistantTracker: a transparent block
      advance();
      expect_block_end();
      open_blocks_.push_back("generation");
      auto n = make_node(Node::Kind::If, t);
      auto cond = make_expr(Expr::Kind::Literal, t);
      cond->value = Value(true);
      Body body = parse_body({"endgeneration"});
      advance();
      expect_block_end();
      open_blocks_.pop_back();
      n->branches.emplace_back(std::move(cond), std::move(body));
      return n;
    }
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) fail("'" + tag + "' is only allowed inside a loop", t);
      auto n = make_node(tag == "break" ? Node::Kind::Break : Node::Kind::Continue, t);
      advance();
      expect_block_end();
      return n;
    }
    fail_unknown_tag(&tag, t);
  }

  // Jinja2's Parser._fail_ut_eof message.
  [[noreturn]] void fail_unknown_tag(const std::string* name, const Token& t) {
    std::string msg =
        name ? "Encountered unknown tag '" + *name + "'." : "Unexpected end of template.";
    if (!end_stack_.empty()) {
      std::string looking;
      for (const auto& e : end_stack_.back())
        looking += (looking.empty() ? "'" : " or '") + e + "'";
      bool expected = false;
      for (const auto& tags : end_stack_)
        for (const auto& e : tags)
          if (name && e == *name) expected = true;
      if (expected)
        msg +=
            " You probably made a nesting mistake. Jinja is expecting this tag, but currently "
            "looking for " +
            looking + ".";
      else
        msg += " Jinja was looking for the following tags: " + looking + ".";
    }
    if (!open_blocks_.empty())
      msg += " The innermost block that needs to be closed is '" + open_blocks_.back() + "'.";
    fail(msg, t);
  }

  void parse_targets(Node& n, bool with_namespace) {
    if (with_namespace && peek().type == Token::Type::Op && peek().text == ".") {
      n.targets.push_back(expect_name());
      advance();
      n.attr = expect_name();
      return;
    }
    bool paren = skip_op("(");
    while (true) {
      const Token& t = cur();
      bool constant = t.type == Token::Type::String || t.type == Token::Type::Int ||
                      t.type == Token::Type::Float ||
                      (t.type == Token::Type::Name &&
                       (t.text == "true" || t.text == "false" || t.text == "none" ||
                        t.text == "True" || t.text == "False" || t.text == "None"));
      if (constant) fail("can't assign to 'const'", t);
      n.targets.push_back(expect_name());
      if (!skip_op(",")) break;
      if (cur().type != Token::Type::Name) break;
    }
    if (paren) expect_op(")");
  }

  NodePtr parse_for() {
    auto n = make_node(Node::Kind::For, cur());
    advance();
    parse_targets(*n, false);
    if (!skip_name("in")) fail("expected token 'in', got '" + describe(cur()) + "'", cur());
    n->expr = parse_tuple(false, {"recursive"}, false);
    if (skip_name("if")) n->cond = parse_expression(true);
    if (skip_name("recursive")) n->recursive = true;
    expect_block_end();
    open_blocks_.push_back("for");
    ++loop_depth_;
    n->body = parse_body({"endfor", "else"});
    --loop_depth_;
    if (skip_name("else")) {
      expect_block_end();
      n->else_body = parse_body({"endfor"});
      advance();
    } else {
      advance();
    }
    expect_block_end();
    open_blocks_.pop_back();
    return n;
  }

  NodePtr parse_if() {
    auto n = make_node(Node::Kind::If, cur());
    advance();
    open_blocks_.push_back("if");
    auto cond = parse_tuple(false, {}, false);
    expect_block_end();
    while (true) {
      Body body = parse_body({"elif", "else", "endif"});
      n->branches.emplace_back(std::move(cond), std::move(body));
      if (skip_name("elif")) {
        cond = parse_tuple(false, {}, false);
        expect_block_end();
        continue;
      }
      if (skip_name("else")) {
        expect_block_end();
        Body else_body = parse_body({"endif"});
        advance();
        n->branches.emplace_back(nullptr, std::move(else_body));
      } else {
        advance();
      }
      expect_block_end();
      break;
    }
    open_blocks_.pop_back();
    return n;
  }

  NodePtr parse_set() {
    auto n = make_node(Node::Kind::Set, cur());
    advance();
    parse_targets(*n, true);
    if (skip_op("=")) {
      n->expr = parse_tuple(true, {}, false);
      expect_block_end();
      return n;
    }
    n->kind = Node::Kind::SetBlock;
    if (is_op("|")) n->filter = parse_filter_chain(nullptr);
    expect_block_end();
    open_blocks_.push_back("set");
    n->body = parse_body({"endset"});
    advance();
    expect_block_end();
    open_blocks_.pop_back();
    return n;
  }

  void parse_params(Node& n) {
    expect_op("(");
    while (!is_op(")")) {
      if (!n.params.empty()) expect_op(",");
      if (is_op(")")) break;
      std::string name = expect_name();
      ExprPtr def;
      if (skip_op("=")) def = parse_expression(true);
      n.params.emplace_back(std::move(name), std::move(def));
    }
    advance();
  }

  NodePtr parse_macro() {
    auto n = make_node(Node::Kind::Macro, cur());
    advance();
    n->text = expect_name();
    parse_params(*n);
    expect_block_end();
    open_blocks_.push_back("macro");
    int saved = loop_depth_;
    loop_depth_ = 0;
    n->body = parse_body({"endmacro"});
    loop_depth_ = saved;
    advance();
    expect_block_end();
    open_blocks_.pop_back();
    return n;
  }

  NodePtr parse_call_block() {
    auto n = make_node(Node::Kind::CallBlock, cur());
    advance();
    if (is_op("(")) parse_params(*n);
    n->expr = parse_expression(true);
    if (n->expr->kind != Expr::Kind::Call) fail("expected call", cur());
    expect_block_end();
    open_blocks_.push_back("call");
    n->body = parse_body({"endcall"});
    advance();
    expect_block_end();
    open_blocks_.pop_back();
    return n;
  }

  NodePtr parse_with() {
    auto n = make_node(Node::Kind::With, cur());
    advance();
    while (cur().type != Token::Type::BlockEnd) {
      if (!n->params.empty()) expect_op(",");
      std::string name = expect_name();
      expect_op("=");
      n->params.emplace_back(std::move(name), parse_expression(true));
    }
    expect_block_end();
    open_blocks_.push_back("with");
    n->body = parse_body({"endwith"});
    advance();
    expect_block_end();
    open_blocks_.pop_back();
    return n;
  }

  NodePtr parse_filter_block() {
    auto n = make_node(Node::Kind::FilterBlock, cur());
    advance();
    // The chain starts without a leading "|".
    ExprPtr chain;
    DepthGuard guard(*this);
    do {
      guard.link();
      chain = parse_one_filter(std::move(chain));
    } while (skip_op("|"));
    n->filter = std::move(chain);
    expect_block_end();
    open_blocks_.push_back("filter");
    n->body = parse_body({"endfilter"});
    advance();
    expect_block_end();
    open_blocks_.pop_back();
    return n;
  }

  // ---- expressions ----
  bool is_tuple_end(std::initializer_list<const char*> extra) const {
    auto t = cur().type;
    if (t == Token::Type::VarEnd || t == Token::Type::BlockEnd || t == Token::Type::End)
      return true;
    if (is_op(")")) return true;
    for (const char* e : extra)
      if (is_name(e)) return true;
    return false;
  }

  ExprPtr parse_tuple(bool with_condexpr, std::initializer_list<const char*> extra,
                      bool explicit_parens) {
    const Token start = cur();
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (is_tuple_end(extra)) break;
      items.push_back(parse_expression(with_condexpr));
      if (is_op(","))
        is_tuple = true;
      else
        break;
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) fail("Expected an expression, got '" + describe(cur()) + "'", cur());
    }
    auto e = make_expr(Expr::Kind::Tuple, start);
    e->args = std::move(items);
    return e;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    DepthGuard guard(*this);
    return with_condexpr ? parse_condexpr() : parse_or();
  }

  ExprPtr parse_condexpr() {
    DepthGuard chain(*this);
    ExprPtr expr1 = parse_or();
    while (is_name("if")) {
      chain.link();
      const Token t = cur();
      advance();
      ExprPtr expr2 = parse_or();
      ExprPtr expr3;
      if (skip_name("else")) expr3 = parse_condexpr();
      auto e = make_expr(Expr::Kind::Cond, t);
      e->a = std::move(expr2);
      e->b = std::move(expr1);
      e->c = std::move(expr3);
      expr1 = std::move(e);
    }
    return expr1;
  }

  ExprPtr parse_or() {
    DepthGuard chain(*this);
    ExprPtr left = parse_and();
    while (is_name("or")) {
      chain.link();
      auto e = make_expr(Expr::Kind::Or, cur());
      advance();
      e->a = std::move(left);
      e->b = parse_and();
      left = std::move(e);
    }
    return left;
  }

  ExprPtr parse_and() {
    DepthGuard chain(*this);
    ExprPtr left = parse_not();
    while (is_name("and")) {
      chain.link();
      auto e = make_expr(Expr::Kind::And, cur());
      advance();
      e->a = std::move(left);
      e->b = parse_not();
      left = std::move(e);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      auto e = make_expr(Expr::Kind::Not, cur());
      advance();
      e->a = parse_not();
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    ExprPtr left = parse_math1();
    ExprPtr cmp;
    while (true) {
      const Token t = cur();
      std::string op;
      if (t.type == Token::Type::Op && (t.text == "==" || t.text == "!=" || t.text == "<" ||
                                        t.text == "<=" || t.text == ">" || t.text == ">=")) {
        op = t.text;
        advance();
      } else if (is_name("in")) {
        op = "in";
        advance();
      } else if (is_name("not") && peek().type == Token::Type::Name && peek().text == "in") {
        op = "notin";
        advance();
        advance();
      } else {
        break;
      }
      if (!cmp) {
        cmp = make_expr(Expr::Kind::Compare, t);
        cmp->a = std::move(left);
      }
      // Python chains comparisons: a < b < c means a < b and b < c.
      cmp->ops.push_back(op);
      cmp->args.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(left);
  }

  ExprPtr binary(const Token& t, std::string op, ExprPtr a, ExprPtr b) {
    auto e = make_expr(Expr::Kind::Binary, t);
    e->name = std::move(op);
    e->a = std::move(a);
    e->b = std::move(b);
    return e;
  }

  ExprPtr parse_math1() {
    DepthGuard chain(*this);
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      chain.link();
      const Token t = cur();
      advance();
      left = binary(t, t.text, std::move(left), parse_concat());
    }
    return left;
  }

  ExprPtr parse_concat() {
    DepthGuard chain(*this);
    ExprPtr left = parse_math2();
    while (is_op("~")) {
      chain.link();
      const Token t = cur();
      advance();
      left = binary(t, "~", std::move(left), parse_math2());
    }
    return left;
  }

  ExprPtr parse_math2() {
    DepthGuard chain(*this);
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      chain.link();
      const Token t = cur();
      advance();
      left = binary(t, t.text, std::move(left), parse_pow());
    }
    return left;
  }

  ExprPtr parse_pow() {
    DepthGuard chain(*this);
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      chain.link();
      const Token t = cur();
      advance();
      left = binary(t, "**", std::move(left), parse_unary(true));
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      auto e = make_expr(is_op("-") ? Expr::Kind::Neg : Expr::Kind::Pos, cur());
      advance();
      e->a = parse_unary(false);
      node = std::move(e);
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token t = cur();
    switch (t.type) {
      case Token::Type::Name: {
        advance();
        auto e = make_expr(Expr::Kind::Literal, t);
        if (t.text == "true" || t.text == "True") {
          e->value = Value(true);
        } else if (t.text == "false" || t.text == "False") {
          e->value = Value(false);
        } else if (t.text == "none" || t.text == "None") {
          e->value = Value(nullptr);
        } else {
          e->kind = Expr::Kind::Name;
          e->name = t.text;
        }
        return e;
      }
      case Token::Type::String: {
        std::string s;
        while (cur().type == Token::Type::String) {
          s += cur().text;
          advance();
        }
        auto e = make_expr(Expr::Kind::Literal, t);
        e->value = Value(std::move(s));
        return e;
      }
      case Token::Type::Int:
      case Token::Type::Float: {
        advance();
        auto e = make_expr(Expr::Kind::Literal, t);
        e->value = t.type == Token::Type::Int ? Value(t.ival) : Value(t.fval);
        return e;
      }
      case Token::Type::Op:
        if (t.text == "(") {
          advance();
          ExprPtr e = parse_tuple(true, {}, true);
          expect_op(")");
          return e;
        }
        if (t.text == "[") {
          advance();
          auto e = make_expr(Expr::Kind::List, t);
          while (!is_op("]")) {
            if (!e->args.empty()) expect_op(",");
            if (is_op("]")) break;
            e->args.push_back(parse_expression(true));
          }
          advance();
          return e;
        }
        if (t.text == "{") {
          advance();
          auto e = make_expr(Expr::Kind::Dict, t);
          while (!is_op("}")) {
            if (!e->args.empty()) expect_op(",");
            if (is_op("}")) break;
            e->args.push_back(parse_expression(true));
            expect_op(":");
            e->args.push_back(parse_expression(true));
          }
          advance();
          return e;
        }
        break;
      default:
        break;
    }
    fail("unexpected '" + describe(t) + "'", t);
  }

  ExprPtr parse_postfix(ExprPtr node) {
    DepthGuard chain(*this);
    while (true) {
      chain.link();
      if (is_op(".") || is_op("[")) {
        node = parse_subscript(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    DepthGuard chain(*this);
    while (true) {
      chain.link();
      if (is_op("|")) {
        node = parse_filter_chain(std::move(node));
      } else if (is_name("is")) {
        node = parse_test(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    DepthGuard guard(*this);
    const Token t = cur();
    if (skip_op(".")) {
      const Token a = cur();
      if (a.type == Token::Type::Name) {
        advance();
        auto e = make_expr(Expr::Kind::GetAttr, t);
        e->a = std::move(node);
        e->name = a.text;
        return e;
      }
      if (a.type == Token::Type::Int) {
        advance();
        auto e = make_expr(Expr::Kind::GetItem, t);
        e->a = std::move(node);
        e->b = make_expr(Expr::Kind::Literal, a);
        e->b->value = Value(a.ival);
        return e;
      }
      fail("expected name or number", a);
    }
    advance();  // [
    std::vector<ExprPtr> items;
    while (!is_op("]")) {
      if (!items.empty()) expect_op(",");
      if (is_op("]")) break;
      items.push_back(parse_subscribed());
    }
    advance();
    auto e = make_expr(Expr::Kind::GetItem, t);
    e->a = std::move(node);
    if (items.size() == 1 && items[0]->kind == Expr::Kind::Slice) {
      items[0]->a = std::move(e->a);
      return std::move(items[0]);
    }
    if (items.size() == 1) {
      e->b = std::move(items[0]);
    } else {
      if (items.empty()) fail("expected subscript expression", t);
      e->b = make_expr(Expr::Kind::Tuple, t);
      e->b->args = std::move(items);
    }
    return e;
  }

  // A subscript item: an expression or a slice lower:upper:step. For a slice the returned
  // Slice node has b/c/d set and `a` (the object) filled in by the caller.
  ExprPtr parse_subscribed() {
    const Token t = cur();
    ExprPtr first;
    if (!is_op(":")) {
      first = parse_expression(true);
      if (!is_op(":")) return first;
    }
    advance();
    auto s = make_expr(Expr::Kind::Slice, t);
    s->b = std::move(first);
    if (!is_op("]") && !is_op(",") && !is_op(":")) s->c = parse_expression(true);
    if (skip_op(":")) {
      if (!is_op("]") && !is_op(",")) s->d = parse_expression(true);
    }
    return s;
  }

  void parse_args(Expr& e) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (is_op(")")) break;
      if (cur().type == Token::Type::Name && peek().type == Token::Type::Op && peek().text == "=") {
        std::string key = cur().text;
        advance();
        advance();
        e.kwargs.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (!e.kwargs.empty()) fail("Invalid argument syntax: positional after keyword", cur());
        e.args.push_back(parse_expression(true));
      }
    }
    advance();
  }

  ExprPtr parse_call(ExprPtr node) {
    DepthGuard guard(*this);
    auto e = make_expr(Expr::Kind::Call, cur());
    e->a = std::move(node);
    parse_args(*e);
    return e;
  }

  ExprPtr parse_one_filter(ExprPtr node) {
    const Token t = cur();
    auto e = make_expr(Expr::Kind::Filter, t);
    e->name = expect_name();
    while (is_op(".")) {
      advance();
      e->name += "." + expect_name();
    }
    e->a = std::move(node);
    if (is_op("(")) parse_args(*e);
    return e;
  }

  ExprPtr parse_filter_chain(ExprPtr node) {
    DepthGuard chain(*this);
    while (skip_op("|")) {
      chain.link();
      node = parse_one_filter(std::move(node));
    }
    return node;
  }

  ExprPtr parse_test(ExprPtr node) {
    DepthGuard guard(*this);
    const Token t = cur();
    advance();  // is
    bool negate = skip_name("not");
    auto e = make_expr(Expr::Kind::Test, t);
    e->name = expect_name();
    while (is_op(".")) {
      advance();
      e->name += "." + expect_name();
    }
    e->a = std::move(node);
    e->negate = negate;
    const Token& n = cur();
    bool arg_start = n.type == Token::Type::Name || n.type == Token::Type::String ||
                     n.type == Token::Type::Int || n.type == Token::Type::Float ||
                     (n.type == Token::Type::Op && (n.text == "[" || n.text == "{"));
    if (n.type == Token::Type::Name && (n.text == "else" || n.text == "or" || n.text == "and"))
      arg_start = false;
    if (is_op("(")) {
      parse_args(*e);
    } else if (arg_start) {
      e->args.push_back(parse_postfix(parse_primary()));
    }
    return e;
  }

  std::vector<Token> toks_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
  std::vector<std::string> open_blocks_;
  std::vector<std::vector<std::string>> end_stack_;
};

}  // namespace

NodePtr parse_template(const std::string& source, bool trim_blocks, bool lstrip_blocks) {
  return Parser(tokenize(source, trim_blocks, lstrip_blocks)).parse();
}

}  // namespace abstractllm::engine::jinja
