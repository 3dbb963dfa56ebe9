// Placeholder until its implementation lands: the subcommand exists (so --help lists it) and
// says it is not built yet.
#include "cli/commands.hpp"

namespace abstractllm::cli {

void add_generate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Generate text with a model");
  cmd->allow_extras();
  cmd->callback([] { not_built_yet("generate"); });
}

}  // namespace abstractllm::cli
