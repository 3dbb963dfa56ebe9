// Placeholder until its implementation lands: the subcommand exists (so --help lists it) and
// says it is not built yet.
#include "cli/commands.hpp"

namespace abstractllm::cli {

void add_cache_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("cache", "Inspect the Hugging Face model cache");
  cmd->allow_extras();
  cmd->callback([] { not_built_yet("cache"); });
}

}  // namespace abstractllm::cli
