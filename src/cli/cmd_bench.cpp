// Placeholder until its implementation lands: the subcommand exists (so --help lists it) and
// says it is not built yet.
#include "cli/commands.hpp"

namespace abstractllm::cli {

void add_bench_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Measure prefill and decode speed");
  cmd->allow_extras();
  cmd->callback([] { not_built_yet("bench"); });
}

}  // namespace abstractllm::cli
