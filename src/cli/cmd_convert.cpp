// Placeholder until its implementation lands: the subcommand exists (so --help lists it) and
// says it is not built yet.
#include "cli/commands.hpp"

namespace abstractllm::cli {

void add_convert_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("convert", "Convert a Hugging Face model folder to MLX format");
  cmd->allow_extras();
  cmd->callback([] { not_built_yet("convert"); });
}

}  // namespace abstractllm::cli
