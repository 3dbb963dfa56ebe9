// Placeholder until its implementation lands: the subcommand exists (so --help lists it) and
// says it is not built yet.
#include "cli/commands.hpp"

namespace abstractllm::cli {

void add_tokenize_commands(CLI::App& app) {
  auto* tok = app.add_subcommand("tokenize", "Print the token ids of a text as a JSON array");
  tok->allow_extras();
  tok->callback([] { not_built_yet("tokenize"); });
  auto* detok = app.add_subcommand("detokenize", "Print the text of token ids");
  detok->allow_extras();
  detok->callback([] { not_built_yet("detokenize"); });
}

}  // namespace abstractllm::cli
