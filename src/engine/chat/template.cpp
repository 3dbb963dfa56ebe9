#include "engine/chat/template.hpp"

#include "engine/chat/ast.hpp"
#include "engine/chat/interpreter.hpp"
#include "engine/chat/parser.hpp"

namespace abstractllm::engine::jinja {

Template::Template(std::string source, TemplateOptions options)
    : source_(std::move(source)), options_(std::move(options)) {
  root_ = parse_template(source_, options_.trim_blocks, options_.lstrip_blocks);
}

Template::~Template() = default;

std::string Template::render(const nlohmann::ordered_json& context) const {
  Interpreter interpreter(options_);
  return interpreter.render(*root_, context);
}

}  // namespace abstractllm::engine::jinja
