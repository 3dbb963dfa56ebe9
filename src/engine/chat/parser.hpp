// Recursive-descent parser for Jinja2 syntax (the grammar of jinja2/parser.py), producing the
// tree in ast.hpp. Nesting depth is bounded so hostile input cannot overflow the stack.
#pragma once

#include <string>

#include "engine/chat/ast.hpp"

namespace abstractllm::engine::jinja {

// Throws abstractllm::TemplateError(message, line, column) on a syntax error.
NodePtr parse_template(const std::string& source, bool trim_blocks, bool lstrip_blocks);

}  // namespace abstractllm::engine::jinja
