// nnconform check: scores an implementation under test against the golden vectors, per
// function and format, under a profile; writes the reports; exits 1 when it falls outside the
// profile or got worse than a baseline (conformance/check.hpp has the rules).
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "nnconform/conformance/batch.hpp"
#include "nnconform/conformance/check.hpp"
#include "nnconform/conformance/report.hpp"
#include "nnconform/conformance/results.hpp"
#include "nnconform/conformance/subprocess.hpp"
#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/spec.hpp"
#include "report_files.hpp"

namespace nnconform::tool {
namespace {

namespace conf = nnconform::conformance;

struct CheckCommandOptions {
  std::string impl;
  std::vector<std::string> functions, formats, accept;
  std::string profile = "strict";
  double timeout = 10, startup_timeout = 60;
  std::string out, report_md, report_html, junit, baseline, write_baseline;
  bool quiet = false;
};

int run_check_command(const GlobalOptions& g, const CheckCommandOptions& o) {
  auto specs = ref::SpecSet::load(g.spec_dir);
  conf::CheckOptions options;
  options.vector_dir = g.vector_dir;
  options.functions = o.functions;
  for (const auto& f : o.formats) {
    auto format = ref::parse_format(f);
    if (!format) {
      std::cerr << "nnconform check: unknown format '" << f << "' (binary64, binary32, binary16, bfloat16)\n";
      return kExitBadInput;
    }
    options.formats.push_back(*format);
  }
  for (const auto& f : o.functions)
    if (!specs.find(f)) {
      std::cerr << "nnconform check: unknown function '" << f << "' (nnconform list shows the functions)\n";
      return kExitBadInput;
    }
  if (!(o.timeout > 0) || !(o.startup_timeout > 0)) {
    std::cerr << "nnconform check: --timeout and --startup-timeout must be positive\n";
    return kExitBadInput;
  }
  try {
    options.profile = conf::parse_profile(o.profile, specs, o.accept);
  } catch (const conf::CheckUsageError& e) {
    std::cerr << "nnconform check: " << e.what() << "\n";
    return kExitBadInput;
  }
  // Read the baseline before the run: a bad path should not cost a whole run to find out.
  std::string baseline_text;
  if (!o.baseline.empty() && !read_text_file(o.baseline, baseline_text)) {
    std::cerr << "nnconform check: cannot read the baseline " << o.baseline << "\n";
    return kExitBadInput;
  }

  conf::kill_children_on_termination_signals();
  conf::ProcessOptions process;
  process.timeout = std::chrono::milliseconds(static_cast<long long>(std::llround(o.timeout * 1000)));
  process.startup_timeout = std::chrono::milliseconds(static_cast<long long>(std::llround(o.startup_timeout * 1000)));
  std::unique_ptr<conf::BatchImplementation> impl;
  try {
    impl = conf::open_implementation(o.impl, process);
  } catch (const conf::ImplementationError& e) {
    std::cerr << "nnconform check: " << e.what() << "\n";
    return kExitBadInput;
  }

  // Progress on a terminal: one line rewritten in place.
  bool live = !o.quiet && isatty(STDERR_FILENO);
  if (live) {
    options.on_start = [](const std::string& fn, ref::Format f) {
      std::cerr << "\r\033[Kchecking " << fn << " " << ref::name(f) << "..." << std::flush;
    };
  }
  ref::Reference reference(specs);
  conf::CheckResult result;
  try {
    result = conf::run_check(specs, reference, *impl, options);
  } catch (const conf::CheckUsageError& e) {
    if (live) std::cerr << "\r\033[K";
    std::cerr << "nnconform check: " << e.what() << "\n";
    return kExitBadInput;
  }
  impl.reset();  // lets a child process exit before the reports are written
  if (live) std::cerr << "\r\033[K" << std::flush;
  result.nnconform_version = std::string("nnconform ") + NNCONFORM_VERSION;

  if (!o.baseline.empty()) {
    try {
      result.baseline = o.baseline;
      result.regressions = conf::compare_with_baseline(result, baseline_text, o.baseline);
    } catch (const std::exception& e) {
      std::cerr << "nnconform check: " << e.what() << "\n";
      return kExitBadInput;
    }
  }

  bool written = true;
  written &= o.out.empty() || write_text_file(o.out, conf::to_json(result));
  written &= o.report_md.empty() || write_text_file(o.report_md, conf::render_markdown(result));
  written &= o.report_html.empty() || write_text_file(o.report_html, conf::render_html(result));
  written &= o.junit.empty() || write_text_file(o.junit, conf::render_junit(result));
  written &= o.write_baseline.empty() || write_text_file(o.write_baseline, conf::baseline_json(result));
  if (!o.quiet) std::cout << conf::render_terminal(result);
  if (!written) return kExitBadInput;
  return result.passed() ? kExitOk : kExitFailures;
}

}  // namespace

void add_check_command(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto o = std::make_shared<CheckCommandOptions>();
  CLI::App* cmd = app.add_subcommand("check", "Score an implementation under test against the golden vectors");
  cmd->footer(
      "Implementations:\n"
      "  builtin                   the built-in implementation (impl/)\n"
      "  lib:PATH.so               a library implementing abi/include/nnconform_abi.h, run in a child\n"
      "                            process (a crash or hang fails that function; the run goes on)\n"
      "  cmd:\"PROGRAM ARGS\"        a program speaking the batch protocol (adapters/README.md), e.g.\n"
      "                            cmd:\"python3 adapters/python/scipy_adapter.py\"\n"
      "Profiles: strict (the spec's tolerances), exact (correctly rounded), framework:NAME (NAME's\n"
      "documented conventions accepted, e.g. framework:pytorch, framework:sklearn).\n"
      "Exit status: 0 within the profile, 1 outside it or worse than --baseline, 2 bad usage or input.");
  cmd->add_option("--impl", o->impl, "builtin, lib:PATH.so or cmd:\"COMMAND\"")->required();
  cmd->add_option("--function", o->functions, "Functions to check (default: all the implementation provides)");
  cmd->add_option("--format", o->formats, "Formats to check (default: all the implementation provides)");
  cmd->add_option("--profile", o->profile, "strict, exact or framework:NAME")->capture_default_str();
  cmd->add_option("--accept", o->accept, "Also accept these conventions (e.g. ftz)");
  cmd->add_option("--timeout", o->timeout, "Seconds an implementation may go without answering before it counts as hung")
      ->capture_default_str();
  cmd->add_option("--startup-timeout", o->startup_timeout, "Seconds a program may take to start and say ready")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "Write the results as JSON (nnconform report renders it)");
  cmd->add_option("--report-md", o->report_md, "Write a Markdown report");
  cmd->add_option("--report-html", o->report_html, "Write a self-contained HTML report with error plots");
  cmd->add_option("--junit", o->junit, "Write JUnit XML");
  cmd->add_option("--baseline", o->baseline, "Fail when any function got worse than this baseline (or results) file");
  cmd->add_option("--write-baseline", o->write_baseline, "Record this run as a baseline");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress and no summary on the terminal");
  cmd->callback([&run, &g, o] { run = [&g, o] { return run_check_command(g, *o); }; });
}

}  // namespace nnconform::tool
