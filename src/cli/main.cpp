// Entry point of the `abstractllm` command: builds the CLI11 app from the subcommand files and
// turns exceptions into one clear line on stderr and a non-zero exit status.
#include <cstdio>
#include <iostream>

#include "abstractllm/errors.hpp"
#include "cli/commands.hpp"

namespace abstractllm::cli {
void not_built_yet(const char* subcommand) {
  std::fprintf(stderr, "abstractllm %s: not built yet in this version\n", subcommand);
  throw CliExit{2};
}
}  // namespace abstractllm::cli

int main(int argc, char** argv) {
  namespace cli = abstractllm::cli;
  CLI::App app{"abstractllm: run MLX-format language models locally (CPU), one API for LLMs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "abstractllm 0.1.0");
  cli::add_generate_command(app);
  cli::add_tokenize_commands(app);
  cli::add_template_command(app);
  cli::add_convert_command(app);
  cli::add_synth_command(app);
  cli::add_bench_command(app);
  cli::add_cache_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const cli::CliExit& e) {
    return e.code;
  } catch (const abstractllm::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
