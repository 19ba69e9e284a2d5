// Subcommands of the nnconform tool. Each registers itself on the CLI11 app and runs with the
// shared options; each returns the process exit code (0 ok, 1 failures found, 2 bad input).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace nnconform::tool {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailures = 1;
inline constexpr int kExitBadInput = 2;

struct GlobalOptions {
  std::string spec_dir = NNCONFORM_DEFAULT_SPEC_DIR;
  std::string vector_dir = NNCONFORM_DEFAULT_VECTOR_DIR;
};

// Adds a subcommand; `run` is set to the function to call if it is chosen.
using Runner = std::function<int()>;
void add_list_command(CLI::App& app, const GlobalOptions& g, Runner& run);
void add_eval_command(CLI::App& app, const GlobalOptions& g, Runner& run);
void add_gen_command(CLI::App& app, const GlobalOptions& g, Runner& run);
void add_verify_command(CLI::App& app, const GlobalOptions& g, Runner& run);
void add_check_command(CLI::App& app, const GlobalOptions& g, Runner& run);
void add_report_command(CLI::App& app, const GlobalOptions& g, Runner& run);
void add_sweep_command(CLI::App& app, const GlobalOptions& g, Runner& run);

}  // namespace nnconform::tool
