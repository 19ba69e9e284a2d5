// The terminal summary and the Markdown report.
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "nnconform/conformance/report.hpp"

namespace nnconform::conformance {
namespace {

std::string pad(const std::string& s, std::size_t w, bool right = false) {
  if (s.size() >= w) return s;
  return right ? std::string(w - s.size(), ' ') + s : s + std::string(w - s.size(), ' ');
}

std::string mismatches(const FunctionResult& r) {
  return std::to_string(r.nan_mismatches) + "/" + std::to_string(r.inf_mismatches) + "/" + std::to_string(r.zero_sign_mismatches);
}

std::size_t convention_values(const FunctionResult& r) {
  std::size_t n = 0;
  for (const auto& c : r.conventions) n += c.values;
  return n;
}

// "x=0x1.8p+3 (12), y=..." in one line.
std::string inputs_line(const Sample& s, bool decimal_too = true) {
  std::string out;
  for (const auto& in : s.inputs) {
    out += (out.empty() ? "" : ", ") + in.name + "=" + in.hex;
    if (decimal_too && in.decimal != in.hex) out += " (" + in.decimal + ")";
  }
  for (const auto& p : s.params) out += (out.empty() ? "" : ", ") + p.name + "=" + p.hex;
  return out;
}

std::string offset_text(double offset) {
  if (std::isnan(offset)) return "";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%+.3f", offset);
  return buf;
}

// One line about a value: where, input, got vs expected, error.
std::string sample_line(const Sample& s) {
  std::string out = inputs_line(s);
  if (s.outputs > 1) out += " [output " + std::to_string(s.element) + "]";
  out += ": got " + s.got.hex + " (" + s.got.decimal + "), expected " + s.expected.hex + " (" + s.expected.decimal + ", bits " +
         s.expected.bits + ")";
  std::string off = offset_text(s.offset_ulps);
  if (!off.empty() && s.offset_ulps != 0) out += ", exact = expected " + off + " ulp";
  out += "; error " + format_ulps(s.ulps) + " ulp";
  if (!s.problem.empty()) out += " (" + s.problem + ")";
  if (!s.convention.empty()) out += " [scored against " + s.convention + "]";
  return out + " at " + s.location;
}

std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += " ";
    else out += c;
  }
  return out;
}

}  // namespace

bool worst_is_a_finding(const FunctionResult& r) {
  if (!r.worst) return false;
  for (const auto& f : r.findings)
    if (f.location == r.worst->location && f.element == r.worst->element) return true;
  return false;
}

std::string format_ulps(double u) {
  if (std::isnan(u)) return "nan";
  if (std::isinf(u)) return "inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, u >= 1e5 ? "%.3g" : "%.3f", u);
  return buf;
}

std::string render_terminal(const CheckResult& c) {
  std::ostringstream os;
  os << "nnconform check: " << c.implementation << "\n";
  if (!c.description.empty() && c.description != c.implementation) os << "  " << c.description << "\n";
  os << "  profile " << c.profile;
  if (!c.accepted_conventions.empty()) {
    os << " (accepting conventions";
    for (const auto& a : c.accepted_conventions) os << " " << a;
    os << ")";
  }
  os << "\n\n";
  os << pad("function", 34) << pad("format", 10) << pad("cases", 7, true) << pad("values", 9, true) << pad("max ulp", 11, true)
     << pad("not CR", 8, true) << pad(">1ulp", 7, true) << pad(">tol", 7, true) << pad("nan/inf/0", 11, true)
     << pad("conv", 7, true) << "  verdict\n";
  for (const auto& r : c.results) {
    os << pad(r.function, 34) << pad(r.format, 10) << pad(std::to_string(r.cases), 7, true)
       << pad(std::to_string(r.values), 9, true) << pad(r.values ? format_ulps(r.max_ulps) : "-", 11, true)
       << pad(std::to_string(r.not_correctly_rounded), 8, true) << pad(std::to_string(r.over_one_ulp), 7, true)
       << pad(std::to_string(r.over_tolerance), 7, true) << pad(mismatches(r), 11, true)
       << pad(std::to_string(convention_values(r)), 7, true) << "  " << (r.status == "pass" ? "pass" : r.status == "skip" ? "skip" : r.status == "error" ? "ERROR" : "FAIL")
       << "\n";
  }
  bool any = false;
  for (const auto& r : c.results) {
    if (r.status == "pass" && r.conventions.empty()) continue;
    if (!any) os << "\n";
    any = true;
    os << r.function << " " << r.format << ": " << r.status << ": " << r.summary << "\n";
    for (const auto& in : r.incidents) {
      if (!in.next_case.empty()) os << "    it was on case " << in.next_case << "\n";
      if (!in.stderr_tail.empty()) {
        std::string tail = in.stderr_tail;
        while (!tail.empty() && tail.back() == '\n') tail.pop_back();
        std::size_t cut = tail.size() > 600 ? tail.rfind('\n', tail.size() - 600) : std::string::npos;
        if (cut != std::string::npos) tail = "..." + tail.substr(cut);
        std::string indented = "    | ";
        for (char ch : tail) indented += ch == '\n' ? std::string("\n    | ") : std::string(1, ch);
        os << "    stderr:\n" << indented << "\n";
      }
    }
    for (std::size_t i = 0; i < r.errors.size() && i < 3; ++i) os << "    error: " << r.errors[i] << "\n";
    if (r.worst && r.max_ulps > r.tolerance && !worst_is_a_finding(r)) os << "    worst: " << sample_line(*r.worst) << "\n";
    for (std::size_t i = 0; i < r.findings.size() && i < 4; ++i) os << "    finding: " << sample_line(r.findings[i]) << "\n";
    for (const auto& cv : r.conventions)
      os << "    convention " << cv.name << (cv.accepted ? " (accepted)" : " (not accepted by this profile)") << ": " << cv.values
         << " values; " << cv.description << "; e.g. " << sample_line(cv.example) << "\n";
  }
  if (!c.not_implemented.empty()) {
    constexpr std::size_t kListed = 12;  // the reports have them all
    os << "\nnot implemented (" << c.not_implemented.size() << "):";
    for (std::size_t i = 0; i < c.not_implemented.size() && i < kListed; ++i) os << " " << c.not_implemented[i];
    if (c.not_implemented.size() > kListed) os << " ...";
    os << "\n";
  }
  if (!c.regressions.empty()) {
    os << "\nworse than the baseline " << c.baseline << ":\n";
    for (const auto& g : c.regressions) os << "  " << g.function << " " << g.format << ": " << g.what << "\n";
  }
  std::size_t pass = 0, skip = 0;
  for (const auto& r : c.results) pass += r.status == "pass", skip += r.status == "skip";
  os << "\n" << pass << " of " << c.results.size() << " function/format pairs pass";
  if (skip) os << ", " << skip << " skipped (no supported case)";
  if (c.failed()) os << ", " << c.failed() << " fail";
  if (!c.regressions.empty()) os << "; " << c.regressions.size() << " regressions against the baseline";
  os << (c.passed() ? ": PASS" : ": FAIL") << "\n";
  return os.str();
}

std::string render_markdown(const CheckResult& c) {
  std::ostringstream os;
  os << "# nnconform check: " << md_escape(c.description.empty() ? c.implementation : c.description) << "\n\n";
  os << "- implementation: `" << c.implementation << "`\n";
  os << "- profile: `" << c.profile << "`";
  if (!c.accepted_conventions.empty()) {
    os << ", accepting conventions";
    for (const auto& a : c.accepted_conventions) os << " `" << a << "`";
  }
  os << "\n";
  std::size_t pass = 0;
  for (const auto& r : c.results) pass += r.status == "pass";
  os << "- verdict: **" << (c.passed() ? "pass" : "fail") << "**: " << pass << " of " << c.results.size()
     << " function/format pairs pass\n";
  if (!c.nnconform_version.empty()) os << "- " << c.nnconform_version << "\n";
  os << "\nErrors are in ULPs of the exact value (the correctly rounded golden value plus its recorded offset); "
        "`not CR`: values not correctly rounded; `nan/inf/±0`: NaN, infinity and signed-zero mismatches; "
        "`conv.`: values that a framework convention explains, scored against it.\n\n";
  os << "| function | format | cases | values | max ULP | not CR | > 1 ULP | > tol. | tol. | nan/inf/±0 | conv. | verdict |\n"
     << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
  for (const auto& r : c.results) {
    std::string verdict = r.status == "pass" ? "pass" : "**" + r.status + "**";
    os << "| " << r.function << " | " << r.format << " | " << r.cases << " | " << r.values << " | "
       << (r.values ? format_ulps(r.max_ulps) : "-") << " | " << r.not_correctly_rounded << " | " << r.over_one_ulp << " | "
       << r.over_tolerance << " | " << format_ulps(r.tolerance) << " | " << mismatches(r) << " | " << convention_values(r)
       << " | " << verdict << " |\n";
  }
  if (!c.regressions.empty()) {
    os << "\n## Worse than the baseline\n\nBaseline: `" << c.baseline << "`\n\n";
    for (const auto& g : c.regressions) os << "- " << g.function << " " << g.format << ": " << md_escape(g.what) << "\n";
  }
  bool header = false;
  for (const auto& r : c.results) {
    bool interesting = r.status != "pass" || !r.conventions.empty() || r.not_correctly_rounded > 0;
    if (!interesting) continue;
    if (!header) os << "\n## Details\n";
    header = true;
    os << "\n### " << r.function << " " << r.format << ": " << r.status << "\n\n" << md_escape(r.summary) << "\n\n";
    for (const auto& in : r.incidents) {
      os << "- **" << in.kind << "**: " << md_escape(in.message) << " after answering " << in.answered << " of " << in.cases
         << " cases";
      if (!in.next_case.empty()) os << "; it was on `" << md_escape(in.next_case) << "`";
      os << "\n";
      if (!in.stderr_tail.empty()) os << "\n  ```\n" << in.stderr_tail << (in.stderr_tail.back() == '\n' ? "" : "\n") << "  ```\n";
    }
    for (const auto& e : r.errors) os << "- error: " << md_escape(e) << "\n";
    if (r.worst && r.worst->ulps > 0.5 && !worst_is_a_finding(r))
      os << "- worst (" << format_ulps(r.max_ulps) << " ulp): " << md_escape(sample_line(*r.worst)) << "\n";
    for (const auto& f : r.findings) os << "- finding: " << md_escape(sample_line(f)) << "\n";
    for (const auto& cv : r.conventions)
      os << "- convention `" << cv.name << "` (" << (cv.accepted ? "accepted" : "not accepted by this profile") << "), "
         << cv.values << " values: " << md_escape(cv.description) << ". Example: " << md_escape(sample_line(cv.example)) << "\n";
    if (r.skipped) os << "- " << r.skipped << " cases unsupported by the implementation (skipped)\n";
  }
  if (!c.not_implemented.empty()) {
    os << "\n## Not implemented\n\n";
    for (const auto& n : c.not_implemented) os << "`" << n << "` ";
    os << "\n";
  }
  return os.str();
}

}  // namespace nnconform::conformance
