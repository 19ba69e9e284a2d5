// Measuring an implementation's result against a golden value and the exact value behind it.
//
// The error of a computed value c is |c - exact| / ulp, where exact = golden + offset * ulp
// and ulp is the quantum of the golden value's binade in the target format (the subnormal
// quantum below the normal range), as the golden vectors record it (vectors/README.md). So a
// correctly rounded result has error <= 0.5 and a faithful one < 1.
#pragma once

#include <cstddef>
#include <limits>
#include <string>

#include "nnconform/ref/format.hpp"

namespace nnconform::conformance {

struct ElementError {
  double ulps = 0;              // +inf for an infinity or NaN where a number was due
  bool correctly_rounded = true;  // computed == golden (bit for bit up to the sign of zero)
  bool nan_mismatch = false;    // NaN on one side only
  bool inf_mismatch = false;    // an infinity on one side only (or of the other sign)
  bool zero_sign_mismatch = false;  // both zero, signs differ
};

ElementError measure(const ref::FloatBits& computed, const ref::FloatBits& golden, double offset_ulps);

// Accumulates the errors of one (function, format, implementation).
struct Score {
  std::size_t count = 0;
  std::size_t not_correctly_rounded = 0;
  std::size_t over_one_ulp = 0;
  std::size_t over_tolerance = 0;
  std::size_t nan_mismatches = 0;
  std::size_t inf_mismatches = 0;
  std::size_t zero_sign_mismatches = 0;
  double max_ulps = 0;
  std::string worst;  // a description of the input where max_ulps occurs (and its values)

  // Adds one element; `describe` is called only when this element becomes the worst, or on a
  // failure (kept up to a few examples).
  template <typename Describe>
  void add(const ElementError& e, double tolerance, bool signed_zero_significant, Describe describe);
  bool passes() const { return over_tolerance == 0 && nan_mismatches == 0 && inf_mismatches == 0 && zero_sign_mismatches == 0; }
  std::string first_failures;  // up to 5 failing elements, one a line
  std::size_t listed_failures = 0;
};

template <typename Describe>
void Score::add(const ElementError& e, double tolerance, bool signed_zero_significant, Describe describe) {
  ++count;
  bool zero_sign = e.zero_sign_mismatch && signed_zero_significant;
  if (!e.correctly_rounded && !(e.zero_sign_mismatch && !signed_zero_significant)) ++not_correctly_rounded;
  if (e.ulps > 1) ++over_one_ulp;
  bool fails = e.ulps > tolerance || e.nan_mismatch || e.inf_mismatch || zero_sign;
  if (e.ulps > tolerance) ++over_tolerance;
  if (e.nan_mismatch) ++nan_mismatches;
  if (e.inf_mismatch) ++inf_mismatches;
  if (zero_sign) ++zero_sign_mismatches;
  if (e.ulps > max_ulps || (worst.empty() && e.ulps == max_ulps && e.ulps > 0)) {
    max_ulps = e.ulps;
    worst = describe();
  }
  if (fails && listed_failures < 5) {
    ++listed_failures;
    first_failures += "  " + describe() + "\n";
  }
}

// Rounds a float result into binary16 or bfloat16 (round to nearest even), or passes float
// and double through: how the built-in implementation serves the 16-bit formats.
ref::FloatBits from_float(float v, ref::Format format);
ref::FloatBits from_double(double v);
// v rounded once to format (binary64: exact).
ref::FloatBits from_double(double v, ref::Format format);

}  // namespace nnconform::conformance
