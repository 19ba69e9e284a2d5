// Interval arithmetic over MPFR: each operation returns a closed interval [lo, hi] that
// contains the exact real result, because every endpoint is computed by an MPFR function that
// is correctly rounded in the directed mode pointing outward (RNDD for lo, RNDU for hi).
//
// Why not MPFI or Arb: MPFI has no erf; neither tracks the facts the golden values need beyond
// the enclosure: whether the exact value is known to be non-zero (so that an underflow keeps
// its sign), and whether an infinite endpoint is a true infinity (an IEEE input such as +inf)
// or an MPFR overflow of a finite value (which must never become a golden inf).
//
// Conventions
// - A degenerate interval [v, v] is an exact value; [+inf, +inf] is a true infinity. MPFR
//   overflow always leaves the inner endpoint finite, so an overflowed value never looks exact.
// - `nan`: the exact result is NaN (IEEE invalid operation: inf - inf, 0 * inf, log(-1)...).
// - `maybe_nan`: the enclosure is too wide to tell a NaN result from a number; undecided.
// - `nonzero`: the exact value is known to be different from zero even if the enclosure
//   touches 0 (exp(-1e30) encloses as [0, tiny] yet is positive).
// - `lo_open` / `hi_open`: the exact value is known to differ from that end (lo < x, x < hi).
//   Every inexact directed rounding opens its end, and strictly monotone operations carry
//   openness through. This decides the cases where a term far below MPFR's exponent range is
//   added to an exact rounding boundary: z - logsumexp(z) with logits 2^99 apart encloses as
//   [m - 2^-32768, m) around a binary64 midpoint m, and the open end proves it rounds down.
//   An end not known to be open is closed, which is always safe.
#pragma once

#include <mpfr.h>

#include <vector>

#include "nnconform/ref/mpfr_value.hpp"

namespace nnconform::ref {

// Three-valued (plus NaN) truth for comparisons on intervals.
enum class Truth { False, True, Unknown, NaN };

class Interval {
 public:
  explicit Interval(mpfr_prec_t precision);
  static Interval point(mpfr_srcptr exact, mpfr_prec_t precision);  // exact copy, any prec
  static Interval from_long(long v, mpfr_prec_t precision);
  static Interval from_double(double v, mpfr_prec_t precision);
  static Interval nan_value(mpfr_prec_t precision);
  static Interval whole(mpfr_prec_t precision, bool maybe_nan);  // [-inf, +inf]

  MpfrValue lo, hi;
  bool nan = false;
  bool maybe_nan = false;
  bool nonzero = false;
  bool lo_open = false;
  bool hi_open = false;

  // Openness of the ends, including what `nonzero` implies for an end at 0.
  bool lo_excluded() const;
  bool hi_excluded() const;

  mpfr_prec_t precision() const { return lo.precision(); }
  bool is_point() const;          // degenerate, not NaN
  bool is_true_infinity() const;  // [inf, inf] or [-inf, -inf]
  bool is_exact_zero() const;     // [0, 0]
  bool contains_zero() const;
  bool is_integer_point() const;  // degenerate with an integer value
  long as_long() const;           // for integer points
  void refresh_nonzero();         // sets nonzero when the enclosure excludes 0
};

Interval operator-(const Interval& a);
Interval operator+(const Interval& a, const Interval& b);
Interval operator-(const Interval& a, const Interval& b);
Interval operator*(const Interval& a, const Interval& b);
Interval operator/(const Interval& a, const Interval& b);

Interval abs(const Interval& a);
Interval min(const Interval& a, const Interval& b);  // NaN if either is NaN
Interval max(const Interval& a, const Interval& b);
Interval exp(const Interval& a);
Interval expm1(const Interval& a);
Interval log(const Interval& a);
Interval log1p(const Interval& a);
Interval sqrt(const Interval& a);
Interval tanh(const Interval& a);
Interval erf(const Interval& a);
Interval erfc(const Interval& a);  // decreasing
Interval pow(const Interval& base, const Interval& exponent);
Interval xlogy(const Interval& x, const Interval& y);    // 0 * log(y) = 0 for exact 0
Interval xlog1py(const Interval& x, const Interval& y);  // 0 * log1p(y) = 0 for exact 0
Interval hull(const Interval& a, const Interval& b);

Truth less(const Interval& a, const Interval& b);
Truth less_equal(const Interval& a, const Interval& b);
Truth equal(const Interval& a, const Interval& b);
Truth logical_not(Truth t);
Truth logical_and(Truth a, Truth b);
Truth logical_or(Truth a, Truth b);

}  // namespace nnconform::ref
