// Renderings of a check's results: a terminal summary, Markdown, a self-contained HTML page
// (inline CSS and SVG plots of error against input, no external assets, no scripts), and JUnit
// XML for CI systems. Each is a pure function of the CheckResult, so `nnconform report` renders
// the same pages from a saved results.json as `nnconform check` does live.
#pragma once

#include <string>

#include "nnconform/conformance/results.hpp"

namespace nnconform::conformance {

std::string render_terminal(const CheckResult& result);
std::string render_markdown(const CheckResult& result);
std::string render_html(const CheckResult& result);
std::string render_junit(const CheckResult& result);

// The SVG plot of one result's error against its input (exposed for tests).
std::string render_plot_svg(const FunctionResult& result);

// Whether the worst value is also listed among the findings (reports print it once).
bool worst_is_a_finding(const FunctionResult& result);

// "0.500", "1.25e+09", "inf": ULP errors as every report prints them.
std::string format_ulps(double ulps);

}  // namespace nnconform::conformance
