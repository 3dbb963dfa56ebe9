// Placeholder until its implementation lands: the subcommand exists (so --help lists it) and
// says it is not built yet.
#include "cli/commands.hpp"

namespace abstractllm::cli {

void add_template_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("template", "Render a model's chat template");
  cmd->allow_extras();
  cmd->callback([] { not_built_yet("template"); });
}

}  // namespace abstractllm::cli
