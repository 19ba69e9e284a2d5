// nnconform report RESULTS.json: renders a saved check (nnconform check --out) as a terminal
// summary, Markdown, HTML and JUnit XML, exactly as check itself would have.
#include <iostream>

#include "commands.hpp"
#include "nnconform/conformance/report.hpp"
#include "nnconform/conformance/results.hpp"
#include "report_files.hpp"

namespace nnconform::tool {
namespace {

namespace conf = nnconform::conformance;

struct ReportOptions {
  std::string results, md, html, junit;
  bool quiet = false;
};

int run_report(const ReportOptions& o) {
  std::string text;
  if (!read_text_file(o.results, text)) {
    std::cerr << "nnconform report: cannot read " << o.results << "\n";
    return kExitBadInput;
  }
  conf::CheckResult result;
  try {
    result = conf::result_from_json(text, o.results);
  } catch (const std::exception& e) {
    std::cerr << "nnconform report: " << e.what() << "\n";
    return kExitBadInput;
  }
  bool written = true;
  written &= o.md.empty() || write_text_file(o.md, conf::render_markdown(result));
  written &= o.html.empty() || write_text_file(o.html, conf::render_html(result));
  written &= o.junit.empty() || write_text_file(o.junit, conf::render_junit(result));
  if (!o.quiet) std::cout << conf::render_terminal(result);
  return written ? kExitOk : kExitBadInput;
}

}  // namespace

void add_report_command(CLI::App& app, const GlobalOptions&, Runner& run) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("report", "Render a saved check result (nnconform check --out) as reports");
  cmd->add_option("results", o->results, "results.json written by nnconform check --out")->required();
  cmd->add_option("--md", o->md, "Write a Markdown report");
  cmd->add_option("--html", o->html, "Write a self-contained HTML report with error plots");
  cmd->add_option("--junit", o->junit, "Write JUnit XML");
  cmd->add_flag("-q,--quiet", o->quiet, "Do not print the summary");
  cmd->callback([&run, o] { run = [o] { return run_report(*o); }; });
}

}  // namespace nnconform::tool
