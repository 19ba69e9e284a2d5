// nnconform check: runs an implementation under test over the golden vectors and scores every
// output value in ULPs of the exact value, under a profile.
//
// Profiles
//   strict             the spec's `strict` tolerance per format (a few ULPs); the spec's
//                      default semantics
//   exact              correctly rounded everywhere (every value equal to the golden one)
//   framework:NAME     strict tolerances, and NAME's documented conventions accepted: the
//                      spec conventions called NAME or NAME_* (pytorch, pytorch_mean...)
// `accept` adds conventions by name to any profile (e.g. "ftz" for a library that flushes
// subnormals).
//
// Conventions. A value outside tolerance (or a NaN/inf/signed-zero mismatch) is re-scored
// against each convention that could explain it: the spec's conventions with parameters (the
// case is re-evaluated by the reference with the convention's parameter values), and the
// built-in `ftz` (subnormal inputs read as zero and subnormal results flushed to zero). When
// one matches, the value is labeled with it and scored against it; if the profile does not
// accept it, it still fails the function, but as that convention, not as a numerical finding.
// What no convention explains is a finding.
#pragma once

#include <filesystem>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnconform/conformance/batch.hpp"
#include "nnconform/conformance/results.hpp"
#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::conformance {

// One golden case as check scores it: the arguments, the golden values and their offsets
// (exact - golden, in ulps), where it comes from ("activations/sigmoid/binary32.txt:12" or an
// exhaustive table's "[0x3c00]") and its family (the case's, or "exhaustive16" for a table entry).
struct GoldenCase {
  ref::Arguments args;
  std::vector<ref::FloatBits> expected;
  std::vector<double> offsets;
  std::string location;
  std::string family;
};

// The cases of fn in format under the vector directory `dir`: its case file and, for 16-bit
// formats, its exhaustive table (entries outside the input's domain, which hold no golden
// value, left out). Returns an error message instead when they cannot be read.
std::string load_cases(const ref::FunctionSpec& fn, ref::Format format, const std::filesystem::path& dir,
                       std::vector<GoldenCase>& out);

// An unknown profile or convention, an unknown function: bad usage (exit status 2).
class CheckUsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr const char* kFlushToZero = "ftz";

struct Profile {
  std::string name = "strict";
  bool correctly_rounded = false;     // exact
  std::string framework;              // framework:NAME
  std::set<std::string> accepted;     // convention names accepted besides the framework's
  bool accepts(const std::string& convention) const;
  std::vector<std::string> accepted_list() const;  // for reports: the framework's pattern and the extras
};

// Parses "strict", "exact" or "framework:NAME" (NAME must name conventions in the specs), plus
// the extra accepted conventions. Throws CheckUsageError listing what is known.
Profile parse_profile(const std::string& text, const ref::SpecSet& specs, const std::vector<std::string>& accept = {});
std::vector<std::string> known_profiles(const ref::SpecSet& specs);

struct CheckOptions {
  std::vector<std::string> functions;  // names or aliases; empty: every spec'd function
  std::vector<ref::Format> formats;    // empty: all four
  Profile profile;
  std::filesystem::path vector_dir;
  // Called before each (function, format) is run, and with its result after.
  std::function<void(const std::string& function, ref::Format format)> on_start;
  std::function<void(const FunctionResult&)> on_result;
};

// Runs the check. Throws CheckUsageError for an unknown function; everything that goes wrong
// with one function (missing vectors, a crash...) is recorded in its result instead.
CheckResult run_check(const ref::SpecSet& specs, const ref::Reference& reference, BatchImplementation& impl,
                      const CheckOptions& options);

// Recomputes a result's status and summary from its counts (used by run_check; exposed so that
// tests and reports agree on the rule).
void decide_verdict(FunctionResult& r, const Profile& profile);

}  // namespace nnconform::conformance
