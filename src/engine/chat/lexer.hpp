// Splits template source into text and tag tokens the way Jinja2's lexer does, applying
// whitespace control ({%- -%} {{- -}} {%+ +%}), trim_blocks, lstrip_blocks, comments, raw
// blocks, newline normalization and the dropped trailing newline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace abstractllm::engine::jinja {

struct Token {
  enum class Type {
    Text,
    VarBegin,
    VarEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Int,
    Float,
    Op,
    End
  };
  Type type;
  std::string text;  // Text content, name, decoded string, operator
  std::int64_t ival = 0;
  double fval = 0;
  int line = 1, col = 1;
};

// Throws abstractllm::TemplateError on malformed input (unterminated tags, strings, ...).
std::vector<Token> tokenize(const std::string& source, bool trim_blocks, bool lstrip_blocks);

}  // namespace abstractllm::engine::jinja
