// The `abstractllm` command's subcommands: one file each (cmd_<name>.cpp), each adding its
// subcommand to the app with its options and a callback. A callback reports failure by throwing
// (abstractllm::Error for user errors) or by throwing CliExit with the exit status to use.
#pragma once

#include <CLI/CLI.hpp>

namespace abstractllm::cli {

// Thrown by a subcommand that wants the process to exit with `code` (after printing its own
// diagnostics). main() catches it.
struct CliExit {
  int code;
};

void add_generate_command(CLI::App& app);
void add_tokenize_commands(CLI::App& app);  // tokenize, detokenize
void add_template_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_synth_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_cache_command(CLI::App& app);

// For subcommands whose implementation has not landed: says so on stderr and exits 2.
[[noreturn]] void not_built_yet(const char* subcommand);

}  // namespace abstractllm::cli
