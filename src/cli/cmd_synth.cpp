// Placeholder until its implementation lands: the subcommand exists (so --help lists it) and
// says it is not built yet.
#include "cli/commands.hpp"

namespace abstractllm::cli {

void add_synth_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("synth", "Write a random-weight model with a real shape");
  cmd->allow_extras();
  cmd->callback([] { not_built_yet("synth"); });
}

}  // namespace abstractllm::cli
