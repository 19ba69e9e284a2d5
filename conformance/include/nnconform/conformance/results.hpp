// What `nnconform check` found, as data: per function and format, the counts, the worst value,
// the findings, the conventions that explain deviations, the incidents (crash, hang...), and
// points for the error plot. The same structure is written to and read from results.json, so
// that `nnconform report` renders exactly what `check` saw; baselines are a digest of it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace nnconform::conformance {

// A value as reports show it.
struct ValueText {
  std::string hex;      // C99 hex float: 0x1.8p-2
  std::string decimal;  // shortest decimal that reads back to it: 0.375
  std::string bits;     // the bit pattern: 0x3ec00000
};

// An input or parameter of a case (vectors abbreviated).
struct NamedValue {
  std::string name;
  std::string hex;
  std::string decimal;
};

// One output value of one case, with where it comes from and how it compares.
struct Sample {
  std::string location;  // "activation/sigmoid/binary32.txt:123" or "activation/relu/binary16.exhaustive[0x3c00]"
  std::string family;    // the input family of the case ("special", "thresholds"...)
  std::vector<NamedValue> inputs;
  std::vector<NamedValue> params;  // those that differ from the spec's defaults
  std::size_t element = 0;         // which output of the case
  std::size_t outputs = 1;         // how many outputs the case has
  ValueText got, expected;         // expected: the correctly rounded golden value
  double offset_ulps = 0;          // the exact value is expected + offset ulp (NaN: none)
  double ulps = 0;                 // |got - exact| in ulps (inf for a NaN or inf mismatch)
  std::string problem;             // "over tolerance", "NaN mismatch", "inf mismatch",
                                   // "signed-zero mismatch", "not correctly rounded", or ""
  std::string convention;          // the convention it was scored against, if any
};

// A convention that explained deviations (scored against it instead of the default semantics).
struct ConventionUse {
  std::string name;         // "pytorch", "sklearn", "ftz"...
  std::string description;
  bool accepted = false;    // by the profile: accepted conventions do not fail the function
  std::size_t values = 0;   // values it explained
  Sample example;           // the first of them, measured against the default semantics
};

struct IncidentRecord {
  std::string kind;         // crash, hang, exit, protocol
  std::string message;
  std::size_t answered = 0;  // cases answered before it
  std::size_t cases = 0;     // cases in the batch
  std::string next_case;     // the first unanswered case: where it happened, if the
                             // implementation answers one case at a time
  std::string stderr_tail;
};

// One point of the error plot. Kinds: 0 within tolerance, 1 over tolerance, 2 NaN/inf/signed-zero
// mismatch, 3 scored against a convention.
struct PlotPoint {
  double x = 0;
  double ulps = 0;
  int kind = 0;
};

struct FunctionResult {
  std::string function, format;
  std::string status;   // "pass", "fail" or "error" (could not be checked: no vectors...)
  std::string summary;  // one line: the verdict's reason
  double tolerance = 0;  // ULPs allowed by the profile
  std::size_t cases = 0;           // cases in the golden vectors
  std::size_t answered = 0;        // cases the implementation answered (any way)
  std::size_t skipped = 0;         // answered "unsupported"
  std::size_t case_errors = 0;     // answered "error", or the wrong number of outputs
  std::size_t not_run = 0;         // never answered (after an incident)
  std::size_t values = 0;          // output values compared
  std::size_t not_correctly_rounded = 0;
  std::size_t over_one_ulp = 0;
  std::size_t over_tolerance = 0;
  std::size_t nan_mismatches = 0;
  std::size_t inf_mismatches = 0;
  std::size_t zero_sign_mismatches = 0;
  std::size_t unaccepted_convention_values = 0;  // explained by a convention the profile does not accept
  double max_ulps = 0;  // over values compared as numbers (mismatches are counted apart)
  std::optional<Sample> worst;
  std::vector<Sample> findings;     // failing values no convention explains (the first few of each kind)
  std::vector<std::string> errors;  // the first case errors
  std::vector<ConventionUse> conventions;
  std::vector<IncidentRecord> incidents;
  double seconds = 0;   // wall time of the implementation's batch and the scoring
  std::string plot_x;  // what the plot's x axis is ("x", "z[i]", "max |y|")
  std::vector<PlotPoint> plot;

  bool passed() const { return status == "pass"; }
};

struct Regression {
  std::string function, format;
  std::string what;  // "max error 0.5 -> 1.2 ulp", "now fails", ...
};

struct CheckResult {
  std::string implementation;  // --impl as given
  std::string description;     // the implementation's own description
  std::string profile;         // strict, exact, framework:NAME
  std::vector<std::string> accepted_conventions;
  std::string nnconform_version;
  std::vector<FunctionResult> results;
  std::vector<std::string> not_implemented;  // "gelu binary16 bfloat16": selected but not provided
  std::string baseline;                      // the baseline file compared against, if any
  std::vector<Regression> regressions;

  std::size_t failed() const;  // results that did not pass
  bool passed() const { return failed() == 0 && regressions.empty(); }
};

// results.json. Reading throws std::runtime_error naming the file and the problem.
std::string to_json(const CheckResult& result);
CheckResult result_from_json(const std::string& text, const std::string& where);

// Baselines: per function and format, the figures a later run must not exceed.
std::string baseline_json(const CheckResult& result);
// Compares with a baseline file's text (a baseline, or a whole results.json). Functions and
// formats absent from either side are not compared. Throws std::runtime_error for a bad file.
std::vector<Regression> compare_with_baseline(const CheckResult& now, const std::string& baseline_text,
                                              const std::string& where);

}  // namespace nnconform::conformance
