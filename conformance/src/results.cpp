// results.json and baselines. JSON has no infinities or NaNs: non-finite numbers are written
// as the strings "inf", "-inf" and "nan" and read back as such.
#include "nnconform/conformance/results.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace nnconform::conformance {
namespace {

using nlohmann::json;

constexpr int kResultsVersion = 1;
constexpr int kBaselineVersion = 1;

json number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

double number_from(const json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    if (s == "inf") return HUGE_VAL;
    if (s == "-inf") return -HUGE_VAL;
    if (s == "nan") return std::nan("");
  }
  throw std::runtime_error("expected a number, found " + j.dump());
}

json to(const ValueText& v) { return {{"hex", v.hex}, {"decimal", v.decimal}, {"bits", v.bits}}; }
ValueText value_from(const json& j) { return {j.at("hex").get<std::string>(), j.at("decimal").get<std::string>(), j.at("bits").get<std::string>()}; }

json to(const std::vector<NamedValue>& v) {
  json a = json::array();
  for (const auto& n : v) a.push_back({{"name", n.name}, {"hex", n.hex}, {"decimal", n.decimal}});
  return a;
}
std::vector<NamedValue> named_from(const json& j) {
  std::vector<NamedValue> out;
  for (const auto& n : j) out.push_back({n.at("name").get<std::string>(), n.at("hex").get<std::string>(), n.at("decimal").get<std::string>()});
  return out;
}

json to(const Sample& s) {
  return {{"location", s.location}, {"family", s.family},     {"inputs", to(s.inputs)},     {"params", to(s.params)},
          {"element", s.element},   {"outputs", s.outputs},   {"got", to(s.got)},           {"expected", to(s.expected)},
          {"offset_ulps", number(s.offset_ulps)},             {"ulps", number(s.ulps)},     {"problem", s.problem},
          {"convention", s.convention}};
}
Sample sample_from(const json& j) {
  Sample s;
  s.location = j.at("location").get<std::string>();
  s.family = j.value("family", "");
  s.inputs = named_from(j.at("inputs"));
  s.params = named_from(j.at("params"));
  s.element = j.at("element").get<std::size_t>();
  s.outputs = j.at("outputs").get<std::size_t>();
  s.got = value_from(j.at("got"));
  s.expected = value_from(j.at("expected"));
  s.offset_ulps = number_from(j.at("offset_ulps"));
  s.ulps = number_from(j.at("ulps"));
  s.problem = j.value("problem", "");
  s.convention = j.value("convention", "");
  return s;
}

json to(const FunctionResult& r) {
  json j = {{"function", r.function},
            {"format", r.format},
            {"status", r.status},
            {"summary", r.summary},
            {"tolerance_ulps", number(r.tolerance)},
            {"cases", r.cases},
            {"answered", r.answered},
            {"skipped", r.skipped},
            {"case_errors", r.case_errors},
            {"not_run", r.not_run},
            {"values", r.values},
            {"not_correctly_rounded", r.not_correctly_rounded},
            {"over_one_ulp", r.over_one_ulp},
            {"over_tolerance", r.over_tolerance},
            {"nan_mismatches", r.nan_mismatches},
            {"inf_mismatches", r.inf_mismatches},
            {"zero_sign_mismatches", r.zero_sign_mismatches},
            {"unaccepted_convention_values", r.unaccepted_convention_values},
            {"max_ulps", number(r.max_ulps)}};
  j["worst"] = r.worst ? to(*r.worst) : json(nullptr);
  j["findings"] = json::array();
  for (const auto& f : r.findings) j["findings"].push_back(to(f));
  j["errors"] = r.errors;
  j["conventions"] = json::array();
  for (const auto& c : r.conventions)
    j["conventions"].push_back({{"name", c.name}, {"description", c.description}, {"accepted", c.accepted}, {"values", c.values},
                                {"example", to(c.example)}});
  j["incidents"] = json::array();
  for (const auto& i : r.incidents)
    j["incidents"].push_back({{"kind", i.kind}, {"message", i.message}, {"answered", i.answered}, {"cases", i.cases},
                              {"next_case", i.next_case}, {"stderr_tail", i.stderr_tail}});
  j["seconds"] = std::round(r.seconds * 1000) / 1000;
  j["plot_x"] = r.plot_x;
  // Compact: [x, ulps, kind] triples.
  json pts = json::array();
  for (const auto& p : r.plot) pts.push_back(json::array({number(p.x), number(p.ulps), p.kind}));
  j["plot"] = std::move(pts);
  return j;
}

FunctionResult function_from(const json& j) {
  FunctionResult r;
  r.function = j.at("function").get<std::string>();
  r.format = j.at("format").get<std::string>();
  r.status = j.at("status").get<std::string>();
  r.summary = j.value("summary", "");
  r.tolerance = number_from(j.at("tolerance_ulps"));
  auto count = [&](const char* k) { return j.value(k, std::size_t{0}); };
  r.cases = count("cases");
  r.answered = count("answered");
  r.skipped = count("skipped");
  r.case_errors = count("case_errors");
  r.not_run = count("not_run");
  r.values = count("values");
  r.not_correctly_rounded = count("not_correctly_rounded");
  r.over_one_ulp = count("over_one_ulp");
  r.over_tolerance = count("over_tolerance");
  r.nan_mismatches = count("nan_mismatches");
  r.inf_mismatches = count("inf_mismatches");
  r.zero_sign_mismatches = count("zero_sign_mismatches");
  r.unaccepted_convention_values = count("unaccepted_convention_values");
  r.max_ulps = number_from(j.at("max_ulps"));
  if (j.contains("worst") && !j["worst"].is_null()) r.worst = sample_from(j["worst"]);
  for (const auto& f : j.value("findings", json::array())) r.findings.push_back(sample_from(f));
  r.errors = j.value("errors", std::vector<std::string>{});
  for (const auto& c : j.value("conventions", json::array()))
    r.conventions.push_back({c.at("name").get<std::string>(), c.value("description", ""), c.value("accepted", false),
                             c.value("values", std::size_t{0}), sample_from(c.at("example"))});
  for (const auto& i : j.value("incidents", json::array()))
    r.incidents.push_back({i.at("kind").get<std::string>(), i.at("message").get<std::string>(), i.value("answered", std::size_t{0}),
                           i.value("cases", std::size_t{0}), i.value("next_case", ""), i.value("stderr_tail", "")});
  r.seconds = j.value("seconds", 0.0);
  r.plot_x = j.value("plot_x", "");
  for (const auto& p : j.value("plot", json::array()))
    r.plot.push_back({number_from(p.at(0)), number_from(p.at(1)), p.at(2).get<int>()});
  return r;
}

json parse(const std::string& text, const std::string& where) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(where + ": not valid JSON: " + e.what());
  }
}

// The figures a baseline keeps per function and format.
struct Digest {
  std::string status;
  std::size_t values = 0;
  double max_ulps = 0;
  std::map<std::string, std::size_t> counts;
};

const char* const kCounted[] = {"not_correctly_rounded", "over_tolerance", "nan_mismatches", "inf_mismatches",
                                "zero_sign_mismatches",  "case_errors",    "unaccepted_convention_values"};

Digest digest(const FunctionResult& r) {
  json j = to(r);
  Digest d{r.status, r.values, r.max_ulps, {}};
  for (const char* k : kCounted) d.counts[k] = j.value(k, std::size_t{0});
  d.counts["incidents"] = r.incidents.size();
  return d;
}

std::string ulps(double u) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", u);
  return buf;
}

}  // namespace

std::size_t CheckResult::failed() const {
  std::size_t n = 0;
  for (const auto& r : results) n += r.status == "fail" || r.status == "error";
  return n;
}

std::string to_json(const CheckResult& c) {
  json j = {{"nnconform_results", kResultsVersion},
            {"implementation", c.implementation},
            {"description", c.description},
            {"profile", c.profile},
            {"accepted_conventions", c.accepted_conventions},
            {"nnconform_version", c.nnconform_version},
            {"passed", c.passed()},
            {"not_implemented", c.not_implemented},
            {"baseline", c.baseline}};
  j["regressions"] = json::array();
  for (const auto& r : c.regressions) j["regressions"].push_back({{"function", r.function}, {"format", r.format}, {"what", r.what}});
  j["results"] = json::array();
  for (const auto& r : c.results) j["results"].push_back(to(r));
  // Compact: mostly plot points, which indentation would triple (jq . pretty-prints it).
  return j.dump() + "\n";
}

CheckResult result_from_json(const std::string& text, const std::string& where) {
  json j = parse(text, where);
  if (!j.is_object() || !j.contains("nnconform_results"))
    throw std::runtime_error(where + ": not an nnconform results file (no \"nnconform_results\" key)");
  if (j["nnconform_results"] != kResultsVersion)
    throw std::runtime_error(where + ": results format version " + j["nnconform_results"].dump() + ", this nnconform reads " +
                             std::to_string(kResultsVersion));
  try {
    CheckResult c;
    c.implementation = j.value("implementation", "");
    c.description = j.value("description", "");
    c.profile = j.value("profile", "");
    c.accepted_conventions = j.value("accepted_conventions", std::vector<std::string>{});
    c.nnconform_version = j.value("nnconform_version", "");
    c.not_implemented = j.value("not_implemented", std::vector<std::string>{});
    c.baseline = j.value("baseline", "");
    for (const auto& r : j.value("regressions", json::array()))
      c.regressions.push_back({r.at("function").get<std::string>(), r.at("format").get<std::string>(), r.at("what").get<std::string>()});
    for (const auto& r : j.at("results")) c.results.push_back(function_from(r));
    return c;
  } catch (const json::exception& e) {
    throw std::runtime_error(where + ": malformed results file: " + e.what());
  }
}

std::string baseline_json(const CheckResult& c) {
  json fns = json::array();
  for (const auto& r : c.results) {
    Digest d = digest(r);
    json e = {{"function", r.function}, {"format", r.format}, {"status", d.status}, {"values", d.values}, {"max_ulps", number(d.max_ulps)}};
    for (const auto& [k, v] : d.counts) e[k] = v;
    fns.push_back(std::move(e));
  }
  json j = {{"nnconform_baseline", kBaselineVersion}, {"implementation", c.implementation}, {"profile", c.profile}, {"functions", fns}};
  return j.dump(1) + "\n";
}

std::vector<Regression> compare_with_baseline(const CheckResult& now, const std::string& text, const std::string& where) {
  json j = parse(text, where);
  std::map<std::pair<std::string, std::string>, Digest> before;
  try {
    if (j.contains("nnconform_baseline")) {
      for (const auto& e : j.at("functions")) {
        Digest d{e.at("status").get<std::string>(), e.value("values", std::size_t{0}), number_from(e.at("max_ulps")), {}};
        for (const char* k : kCounted) d.counts[k] = e.value(k, std::size_t{0});
        d.counts["incidents"] = e.value("incidents", std::size_t{0});
        before[{e.at("function").get<std::string>(), e.at("format").get<std::string>()}] = d;
      }
    } else if (j.contains("nnconform_results")) {
      for (const auto& r : result_from_json(text, where).results) before[{r.function, r.format}] = digest(r);
    } else {
      throw std::runtime_error(where + ": neither a baseline (--write-baseline) nor a results file (--out)");
    }
  } catch (const json::exception& e) {
    throw std::runtime_error(where + ": malformed baseline: " + e.what());
  }

  std::vector<Regression> out;
  for (const auto& r : now.results) {
    auto it = before.find({r.function, r.format});
    if (it == before.end()) continue;
    const Digest& b = it->second;
    Digest d = digest(r);
    auto add = [&](const std::string& what) { out.push_back({r.function, r.format, what}); };
    bool was_ok = b.status == "pass" || b.status == "skip";
    if (was_ok && (d.status == "fail" || d.status == "error")) add("passed in the baseline, now " + d.status + "s: " + r.summary);
    // A small slack: offsets are stored to 1/1000 ulp.
    if (d.max_ulps > b.max_ulps + 1e-3 + 1e-9 * b.max_ulps)
      add("max error grew from " + ulps(b.max_ulps) + " to " + ulps(d.max_ulps) + " ulp");
    // Counts are comparable only over the same vectors.
    if (d.values == b.values) {
      for (const auto& [k, v] : d.counts) {
        std::size_t was = b.counts.count(k) ? b.counts.at(k) : 0;
        if (v > was) add(k + " grew from " + std::to_string(was) + " to " + std::to_string(v));
      }
    }
  }
  return out;
}

}  // namespace nnconform::conformance
