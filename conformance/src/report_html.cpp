// The HTML report and its SVG plots, and the JUnit XML. Self-contained: inline CSS and SVG, no
// scripts, no external assets, so the page can be attached to a CI run and opened anywhere.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "nnconform/conformance/report.hpp"

namespace nnconform::conformance {
namespace {

std::string esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // XML 1.0 forbids most control characters (a crashing program's stderr may hold them).
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') out += "?";
        else out += c;
    }
  }
  return out;
}

std::string num(double v, int precision = 4) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

std::string coord(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// "1e-45", "0.001", "1", "1e+03".
std::string decade_label(int d) {
  if (d >= -3 && d <= 3) return num(std::pow(10.0, d));
  return "1e" + std::string(d < 0 ? "-" : "+") + std::to_string(std::abs(d));
}

// The x axis: linear, or signed-logarithmic (sign(x) * (1 + log10|x| - log_lo), 0 at 0) when
// the inputs span more than a few binades. Kept in log space: 10^log_lo underflows for inputs
// near the smallest binary64 subnormal.
struct XScale {
  bool log = false;
  double log_lo = 0;  // floor(log10) of the smallest nonzero |x|, log scale
  double tmin = 0, tmax = 1;
  double t(double x) const {
    if (!std::isfinite(x)) return x > 0 ? tmax : tmin;
    if (!log) return x;
    if (x == 0) return 0;
    double v = 1 + (std::log10(std::fabs(x)) - log_lo);
    return x < 0 ? -v : v;
  }
};

XScale x_scale(const std::vector<PlotPoint>& pts) {
  XScale s;
  double lo = HUGE_VAL, hi = 0, mn = HUGE_VAL, mx = -HUGE_VAL;
  bool inf_lo = false, inf_hi = false;
  for (const auto& p : pts) {
    if (!std::isfinite(p.x)) {
      (p.x > 0 ? inf_hi : inf_lo) = true;
      continue;
    }
    if (p.x != 0) lo = std::min(lo, std::fabs(p.x));
    hi = std::max(hi, std::fabs(p.x));
    mn = std::min(mn, p.x);
    mx = std::max(mx, p.x);
  }
  if (mn > mx) mn = -1, mx = 1;
  s.log = lo != HUGE_VAL && hi / lo > 16;
  if (s.log) {
    s.log_lo = std::floor(std::log10(lo));
    s.tmin = s.t(mn);
    s.tmax = s.t(mx);
  } else {
    s.tmin = mn;
    s.tmax = mx;
  }
  if (!(s.tmax - s.tmin > 1e-9 * std::max(std::fabs(s.tmin), std::fabs(s.tmax)))) {  // one x: widen around it
    double w = std::max(1.0, std::fabs(s.tmin) * 0.1);
    s.tmin -= w, s.tmax += w;
  }
  double span = s.tmax - s.tmin;
  // Room at the edges for the points at -inf and +inf.
  if (inf_lo) s.tmin -= span * 0.04;
  if (inf_hi) s.tmax += span * 0.04;
  return s;
}

struct Tick {
  double t;
  std::string label;
};

std::vector<Tick> x_ticks(const XScale& s) {
  std::vector<Tick> ticks;
  if (s.log) {
    int d0 = static_cast<int>(s.log_lo);
    int d1 = d0 + static_cast<int>(std::ceil(std::max(std::fabs(s.tmin), std::fabs(s.tmax)))) - 1;
    int step = std::max(1, (d1 - d0 + 1) / 4 + ((d1 - d0 + 1) % 4 != 0));  // at most 4 decades a side
    for (int d = d0; d <= d1; d += step) {
      double t = 1 + (d - d0);
      if (t <= s.tmax) ticks.push_back({t, decade_label(d)});
      if (-t >= s.tmin) ticks.push_back({-t, "-" + decade_label(d)});
    }
    if (s.tmin <= 0 && s.tmax >= 0) ticks.push_back({0, "0"});
    return ticks;
  }
  double span = s.tmax - s.tmin;
  double step = std::pow(10.0, std::floor(std::log10(span / 4)));
  for (double m : {1.0, 2.0, 5.0})
    if (span / (step * m) <= 6) {
      step *= m;
      break;
    }
  double first = std::ceil(s.tmin / step) * step;
  for (int k = 0; k < 12 && first + k * step <= s.tmax + step * 1e-9; ++k) {
    double v = first + k * step;
    ticks.push_back({v, num(std::fabs(v) < step * 1e-9 ? 0 : v, 3)});
  }
  return ticks;
}

}  // namespace

std::string render_plot_svg(const FunctionResult& r) {
  constexpr double W = 460, H = 230, L = 56, R = 12, T = 24, B = 38;
  const double pw = W - L - R, ph = H - T - B;
  const std::vector<PlotPoint>& pts = r.plot;
  XScale xs = x_scale(pts);

  // y: log10 of the error, from 1e-3 (and 0) up to a decade above the largest finite error or the
  // tolerance; NaN/inf/signed-zero mismatches go in a band at the top.
  double top = std::max(r.tolerance, 1.0);
  for (const auto& p : pts)
    if (std::isfinite(p.ulps) && p.kind != 2) top = std::max(top, p.ulps);
  int y0 = -3, y1 = static_cast<int>(std::ceil(std::log10(top) + 1e-9));
  if (y1 <= y0) y1 = y0 + 1;
  bool band = std::any_of(pts.begin(), pts.end(), [](const PlotPoint& p) { return p.kind == 2; });
  const double band_h = band ? 14 : 0;
  auto px = [&](double x) { return L + (xs.t(x) - xs.tmin) / (xs.tmax - xs.tmin) * pw; };
  auto py = [&](const PlotPoint& p) {
    if (p.kind == 2) return T + band_h / 2;
    double v = std::log10(std::max(p.ulps, std::pow(10.0, y0)));
    return T + band_h + (1 - (v - y0) / (y1 - y0)) * (ph - band_h);
  };
  auto py_value = [&](double u) { return py(PlotPoint{0, u, 0}); };

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << W << " " << H << "\" width=\"" << W << "\" height=\"" << H
    << "\" role=\"img\" aria-label=\"error in ulp against " << esc(r.plot_x) << " for " << esc(r.function) << " " << esc(r.format)
    << "\">";
  s << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << pw << "\" height=\"" << ph << "\" fill=\"#fff\" stroke=\"#bbb\"/>";
  if (band)
    s << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << pw << "\" height=\"" << band_h
      << "\" fill=\"#f3ecfa\"/><text x=\"" << L - 4 << "\" y=\"" << coord(T + band_h / 2 + 3)
      << "\" class=\"lbl\" text-anchor=\"end\">NaN/inf/±0</text>";
  // y grid: decades.
  for (int d = y0; d <= y1; ++d) {
    double y = py_value(std::pow(10.0, d));
    s << "<line x1=\"" << L << "\" x2=\"" << L + pw << "\" y1=\"" << coord(y) << "\" y2=\"" << coord(y) << "\" stroke=\"#eee\"/>";
    s << "<text x=\"" << L - 4 << "\" y=\"" << coord(y + 3) << "\" class=\"lbl\" text-anchor=\"end\">"
      << (d == y0 ? "≤" : "") << decade_label(d) << "</text>";  // errors below, 0 included, sit on the floor
  }
  // x ticks, those that would overlap a label already placed left out (0 placed first).
  std::vector<Tick> ticks = x_ticks(xs);
  std::stable_partition(ticks.begin(), ticks.end(), [](const Tick& t) { return t.t == 0; });
  std::vector<double> placed;
  for (const auto& t : ticks) {
    double x = L + (t.t - xs.tmin) / (xs.tmax - xs.tmin) * pw;
    if (x < L - 0.5 || x > L + pw + 0.5) continue;
    if (std::any_of(placed.begin(), placed.end(), [x](double p) { return std::fabs(p - x) < 56; })) continue;
    placed.push_back(x);
    s << "<line x1=\"" << coord(x) << "\" x2=\"" << coord(x) << "\" y1=\"" << T << "\" y2=\"" << T + ph << "\" stroke=\"#f2f2f2\"/>";
    s << "<text x=\"" << coord(x) << "\" y=\"" << T + ph + 13 << "\" class=\"lbl\" text-anchor=\"middle\">" << esc(t.label) << "</text>";
  }
  // Reference lines: correctly rounded (0.5 ulp) and the tolerance.
  double yc = py_value(0.5), yt = py_value(r.tolerance);
  s << "<line x1=\"" << L << "\" x2=\"" << L + pw << "\" y1=\"" << coord(yc) << "\" y2=\"" << coord(yc)
    << "\" stroke=\"#2a2\" stroke-dasharray=\"2 3\"/>";
  s << "<line x1=\"" << L << "\" x2=\"" << L + pw << "\" y1=\"" << coord(yt) << "\" y2=\"" << coord(yt)
    << "\" stroke=\"#d62728\" stroke-dasharray=\"6 3\"/>";
  s << "<text x=\"" << L + pw - 2 << "\" y=\"" << coord(yt - 3) << "\" class=\"lbl\" text-anchor=\"end\" fill=\"#d62728\">tolerance "
    << format_ulps(r.tolerance) << "</text>";
  // Points: one path per kind, each point a round dot (a zero-length segment with round caps).
  static const char* colors[] = {"#1f77b4", "#d62728", "#9467bd", "#ff7f0e"};
  for (int kind = 0; kind < 4; ++kind) {
    std::string d;
    for (const auto& p : pts)
      if (p.kind == kind) d += "M" + coord(px(p.x)) + " " + coord(py(p)) + "h0";
    if (!d.empty())
      s << "<path d=\"" << d << "\" stroke=\"" << colors[kind] << "\" stroke-width=\"" << (kind == 0 ? 2.6 : 3.4)
        << "\" stroke-linecap=\"round\" fill=\"none\"/>";
  }
  s << "<text x=\"" << L + pw / 2 << "\" y=\"" << H - 6 << "\" class=\"ax\" text-anchor=\"middle\">" << esc(r.plot_x)
    << (xs.log ? " (log scale)" : "") << "</text>";
  s << "<text x=\"12\" y=\"" << T + ph / 2 << "\" class=\"ax\" text-anchor=\"middle\" transform=\"rotate(-90 12 " << T + ph / 2
    << ")\">error (ulp)</text>";
  s << "<text x=\"" << L << "\" y=\"14\" class=\"ttl\">" << esc(r.function) << " · " << esc(r.format) << "</text>";
  s << "</svg>";
  return s.str();
}

std::string render_html(const CheckResult& c) {
  std::ostringstream h;
  std::string title = "nnconform check: " + (c.description.empty() ? c.implementation : c.description);
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << esc(title) << "</title>\n<style>\n"
    << "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}\n"
    << "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 7px;text-align:right}"
    << "td:first-child,td:nth-child(2),th:first-child,th:nth-child(2),td.l{text-align:left}\n"
    << ".pass{color:#186a1d;font-weight:600}.fail,.error{color:#b00;font-weight:700}.skip{color:#777}\n"
    << "code,.mono{font-family:ui-monospace,monospace;font-size:12px}\n"
    << ".fn{border-top:1px solid #ccc;margin-top:22px}.plots{display:flex;flex-wrap:wrap;gap:12px}\n"
    << ".plot{border:1px solid #eee;padding:4px}.lbl{font:10px sans-serif;fill:#555}.ax{font:11px sans-serif;fill:#333}"
    << ".ttl{font:bold 12px sans-serif;fill:#222}\n"
    << "ul.s{margin:4px 0 8px;padding-left:20px}ul.s li{margin:2px 0}pre{background:#f6f6f6;padding:6px;overflow-x:auto;font-size:12px}\n"
    << ".legend span{display:inline-block;margin-right:14px}.dot{display:inline-block;width:9px;height:9px;border-radius:50%;"
       "margin-right:4px;vertical-align:middle}\n"
    << "</style></head><body>\n";
  h << "<h1>" << esc(title) << "</h1>\n<p>Implementation <code>" << esc(c.implementation) << "</code>, profile <code>"
    << esc(c.profile) << "</code>";
  if (!c.accepted_conventions.empty()) {
    h << " (accepting conventions";
    for (const auto& a : c.accepted_conventions) h << " <code>" << esc(a) << "</code>";
    h << ")";
  }
  std::size_t pass = 0;
  for (const auto& r : c.results) pass += r.status == "pass";
  h << ". Verdict: <span class=\"" << (c.passed() ? "pass\">pass" : "fail\">fail") << "</span>, " << pass << " of "
    << c.results.size() << " function/format pairs pass.";
  if (!c.nnconform_version.empty()) h << " " << esc(c.nnconform_version) << ".";
  h << "</p>\n<p>Errors are measured in ULPs of the exact value (the correctly rounded golden value plus its recorded "
       "offset). <i>not CR</i>: values not correctly rounded; <i>conv.</i>: values a framework convention explains, scored "
       "against that convention.</p>\n";

  if (!c.regressions.empty()) {
    h << "<h2>Worse than the baseline</h2><p>Baseline <code>" << esc(c.baseline) << "</code></p><ul class=\"s\">";
    for (const auto& g : c.regressions) h << "<li>" << esc(g.function) << " " << esc(g.format) << ": " << esc(g.what) << "</li>";
    h << "</ul>\n";
  }

  h << "<h2>Summary</h2>\n<table><tr><th>function</th><th>format</th><th>cases</th><th>values</th><th>max ULP</th><th>not CR</th>"
       "<th>&gt; 1 ULP</th><th>&gt; tol.</th><th>tol.</th><th>NaN</th><th>inf</th><th>±0</th><th>conv.</th><th>verdict</th></tr>\n";
  for (const auto& r : c.results) {
    std::size_t conv = 0;
    for (const auto& cv : r.conventions) conv += cv.values;
    h << "<tr><td><a href=\"#" << esc(r.function) << "\">" << esc(r.function) << "</a></td><td>" << esc(r.format) << "</td><td>"
      << r.cases << "</td><td>" << r.values << "</td><td>" << (r.values ? format_ulps(r.max_ulps) : "-") << "</td><td>"
      << r.not_correctly_rounded << "</td><td>" << r.over_one_ulp << "</td><td>" << r.over_tolerance << "</td><td>"
      << format_ulps(r.tolerance) << "</td><td>" << r.nan_mismatches << "</td><td>" << r.inf_mismatches << "</td><td>"
      << r.zero_sign_mismatches << "</td><td>" << conv << "</td><td class=\"l " << esc(r.status) << "\">" << esc(r.status)
      << "</td></tr>\n";
  }
  h << "</table>\n";
  if (!c.not_implemented.empty()) {
    h << "<p>Not implemented:";
    for (const auto& n : c.not_implemented) h << " <code>" << esc(n) << "</code>";
    h << "</p>\n";
  }

  h << "<h2>Per function</h2>\n<p class=\"legend\"><span><i class=\"dot\" style=\"background:#1f77b4\"></i>within tolerance</span>"
       "<span><i class=\"dot\" style=\"background:#d62728\"></i>over tolerance</span><span><i class=\"dot\" "
       "style=\"background:#9467bd\"></i>NaN/inf/signed-zero mismatch</span><span><i class=\"dot\" style=\"background:#ff7f0e\">"
       "</i>scored against a convention</span> Dashed red: the tolerance; dotted green: 0.5 ulp (correctly rounded). Each "
       "point is the largest error in its slice of the x axis.</p>\n";
  // Group the formats of a function under one heading, plots side by side.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const FunctionResult*>> by_function;
  for (const auto& r : c.results) {
    if (!by_function.count(r.function)) order.push_back(r.function);
    by_function[r.function].push_back(&r);
  }
  auto sample_html = [](const Sample& s) {
    std::ostringstream o;
    o << "<span class=\"mono\">";
    bool first = true;
    for (const auto& in : s.inputs) {
      o << (first ? "" : ", ") << esc(in.name) << " = " << esc(in.hex);
      if (in.decimal != in.hex) o << " (" << esc(in.decimal) << ")";
      first = false;
    }
    for (const auto& p : s.params) o << ", " << esc(p.name) << " = " << esc(p.hex);
    if (s.outputs > 1) o << " [output " << s.element << "]";
    o << "</span>: got <span class=\"mono\">" << esc(s.got.hex) << " (" << esc(s.got.decimal) << ")</span>, expected <span class=\"mono\">"
      << esc(s.expected.hex) << " (" << esc(s.expected.decimal) << ", bits " << esc(s.expected.bits) << ")</span>";
    if (std::isfinite(s.offset_ulps) && s.offset_ulps != 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%+.3f", s.offset_ulps);
      o << ", exact = expected " << buf << " ulp";
    }
    o << "; error <b>" << format_ulps(s.ulps) << " ulp</b>";
    if (!s.problem.empty()) o << " (" << esc(s.problem) << ")";
    if (!s.convention.empty()) o << " [scored against " << esc(s.convention) << "]";
    o << " <small>at " << esc(s.location) << "</small>";
    return o.str();
  };
  for (const auto& name : order) {
    h << "<div class=\"fn\" id=\"" << esc(name) << "\"><h3>" << esc(name) << "</h3>\n<div class=\"plots\">";
    for (const FunctionResult* r : by_function[name])
      if (!r->plot.empty()) h << "<div class=\"plot\">" << render_plot_svg(*r) << "</div>";
    h << "</div>\n";
    for (const FunctionResult* r : by_function[name]) {
      h << "<p><b>" << esc(r->format) << "</b>: <span class=\"" << esc(r->status) << "\">" << esc(r->status) << "</span>, "
        << esc(r->summary) << "</p>\n<ul class=\"s\">";
      for (const auto& in : r->incidents) {
        h << "<li><b>" << esc(in.kind) << "</b>: " << esc(in.message) << " after answering " << in.answered << " of " << in.cases
          << " cases";
        if (!in.next_case.empty()) h << "; it was on <span class=\"mono\">" << esc(in.next_case) << "</span>";
        if (!in.stderr_tail.empty()) h << "<pre>" << esc(in.stderr_tail) << "</pre>";
        h << "</li>";
      }
      for (const auto& e : r->errors) h << "<li>error: <span class=\"mono\">" << esc(e) << "</span></li>";
      if (r->worst && !worst_is_a_finding(*r)) h << "<li>worst: " << sample_html(*r->worst) << "</li>";
      for (const auto& f : r->findings) h << "<li>finding: " << sample_html(f) << "</li>";
      for (const auto& cv : r->conventions)
        h << "<li>convention <code>" << esc(cv.name) << "</code> (" << (cv.accepted ? "accepted" : "not accepted by this profile")
          << "), " << cv.values << " values: " << esc(cv.description) << ". Example: " << sample_html(cv.example) << "</li>";
      if (r->skipped) h << "<li>" << r->skipped << " cases unsupported (skipped)</li>";
      h << "</ul>\n";
    }
    h << "</div>\n";
  }
  h << "</body></html>\n";
  return h.str();
}

std::string render_junit(const CheckResult& c) {
  std::size_t failures = 0, errors = 0, skipped = 0;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> regressions;
  for (const auto& g : c.regressions) regressions[{g.function, g.format}].push_back(g.what);
  double total = 0;
  for (const auto& r : c.results) {
    bool regressed = regressions.count({r.function, r.format}) != 0;
    failures += r.status == "fail" || (regressed && r.status != "error");
    errors += r.status == "error";
    skipped += r.status == "skip" && !regressed;
    total += r.seconds;
  }
  std::string suite = "nnconform." + c.implementation;
  std::ostringstream x;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"nnconform check\" tests=\"" << c.results.size()
    << "\" failures=\"" << failures << "\" errors=\"" << errors << "\" skipped=\"" << skipped << "\" time=\"" << num(total, 6) << "\">\n";
  x << " <testsuite name=\"" << esc(suite) << "\" tests=\"" << c.results.size() << "\" failures=\"" << failures << "\" errors=\""
    << errors << "\" skipped=\"" << skipped << "\" time=\"" << num(total, 6) << "\">\n";
  x << "  <properties><property name=\"profile\" value=\"" << esc(c.profile) << "\"/><property name=\"description\" value=\""
    << esc(c.description) << "\"/></properties>\n";
  for (const auto& r : c.results) {
    x << "  <testcase classname=\"" << esc(suite + "." + r.function) << "\" name=\"" << esc(r.function + " " + r.format)
      << "\" time=\"" << num(r.seconds, 6) << "\">";
    auto reg = regressions.find({r.function, r.format});
    std::ostringstream detail;
    for (const auto& in : r.incidents) {
      detail << in.kind << ": " << in.message << " after answering " << in.answered << " of " << in.cases << " cases\n";
      if (!in.next_case.empty()) detail << "  it was on " << in.next_case << "\n";
      if (!in.stderr_tail.empty()) detail << "  stderr:\n" << in.stderr_tail << "\n";
    }
    for (const auto& e : r.errors) detail << "error: " << e << "\n";
    for (const auto& f : r.findings) detail << f.problem << ": " << f.location << " got " << f.got.hex << " expected " << f.expected.hex
                                            << " (" << format_ulps(f.ulps) << " ulp)\n";
    for (const auto& cv : r.conventions)
      if (!cv.accepted) detail << "convention " << cv.name << " (not accepted by profile " << c.profile << "): " << cv.values << " values\n";
    if (reg != regressions.end())
      for (const auto& w : reg->second) detail << "worse than the baseline: " << w << "\n";
    if (r.status == "error") {
      x << "\n   <error message=\"" << esc(r.summary) << "\" type=\"error\">" << esc(detail.str()) << "</error>\n  ";
    } else if (r.status == "fail" || reg != regressions.end()) {
      std::string message = r.status == "fail" ? r.summary : "worse than the baseline: " + reg->second.front();
      x << "\n   <failure message=\"" << esc(message) << "\" type=\"" << (r.status == "fail" ? "conformance" : "regression") << "\">"
        << esc(detail.str()) << "</failure>\n  ";
    } else if (r.status == "skip") {
      x << "\n   <skipped message=\"" << esc(r.summary) << "\"/>\n  ";
    } else {
      x << "<system-out>" << esc(r.summary) << "</system-out>";
    }
    x << "</testcase>\n";
  }
  x << " </testsuite>\n</testsuites>\n";
  return x.str();
}

}  // namespace nnconform::conformance
