// A second, independent evaluation of the spec functions, to cross-check the reference.
//
// The reference (evaluator.hpp) encloses each value in MPFR interval arithmetic and raises the
// precision until the enclosure rounds to one value. CrossCheck shares none of that machinery:
// it walks the same formula trees with Boost.Multiprecision's cpp_bin_float (kDigits bits,
// 64-bit exponent) in point arithmetic, with Boost's own elementary functions (exp, log, tanh,
// sqrt, pow, and boost::math's log1p, expm1, erf, erfc), handles IEEE infinities and NaN
// itself, re-implements the arrangement of samples, batches and reductions, and rounds to the
// target format with its own code. No MPFR is called.
//
// Each value is a double word hi + lo with a bound on its error:
// - hi is the kDigits-bit point value and lo the exact rounding error of the operation that
//   produced it (TwoSum for sums, the residual of the exact 2*kDigits-bit product or quotient),
//   however many binades below hi. Exact arithmetic stays exact, and the typical hard case of
//   these functions, an exact midpoint of the target format plus a term thousands of binades
//   smaller (log_softmax's (z - m) - log1p(s) with s = e^-3000, 3 + x at x = 2^-1074), is
//   decided from the sign of lo without more precision;
// - err is a first-order running error bound: the roundings not kept in lo, a budget of
//   2^kFunctionUlpsLog2 ulps for each Boost function (times 1 + |x| for exp, expm1 and tanh,
//   whose argument reduction errs in proportion, 1 + x^2 for erfc), and the propagation of
//   each argument's bound through the operation's derivative, so that cancellation is paid
//   for where it happens. Near 0, where Boost's relative error would hide the deviation from
//   a constant or the x^2 term (exp(x) = 1 + x..., expm1, log1p, tanh, erf, erfc), a
//   three-term Taylor expansion with its remainder bound is used instead;
// - a value that underflows cpp_bin_float (below 2^-(2^63)) keeps its sign and stays non-zero;
//   one that overflows it is a finite real of known sign, never an infinity (inf + it = inf,
//   as in the reference, but it is near_boundary as an output).
// An output is `near_boundary` when [hi + lo - err, hi + lo + err] does not round to a single
// value of the target format (a midpoint between neighbours, the overflow threshold, half the
// smallest subnormal, or the sign of an underflowed zero lies inside), or when the point
// evaluation cannot tell at all (cpp_bin_float's exponent range overflowed, a comparison or a
// sign it cannot decide): only those outputs may legitimately differ from the reference.
//
// Semantics are those of the reference's formula language (machine.hpp): scalars and
// vectors with broadcasting, where() with a NaN condition giving NaN (and the hull of both
// branches where it cannot decide), NaN-propagating min/max, sum/mean/max/min/len/argmax,
// onehot, ones, concat, groupmax, xlogy/xlog1py with 0*log(y) = 0, indexing, calls of other
// spec functions, definitions in order, optional inputs with default formulas, `requires`,
// special values, per-channel parameters, the `reduction` of a batch (none/mean/sum, optionally
// weighted) and the `axis` parameter of 2-D inputs. Exact zeros are +0; an underflowed value
// keeps its sign; the sign of a zero input is ignored by arithmetic (1 / -0 = +inf, as in the
// reference).
#pragma once

#include <cstddef>
#include <vector>

#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/format.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::ref {

struct CrossCheckResult {
  std::vector<std::size_t> shape;  // as EvalResult::shape
  std::vector<FloatBits> values;  // rounded to the target format, ties to even
  std::vector<bool> near_boundary;  // the point value's error bound straddles a rounding boundary
};

class CrossCheck {
 public:
  // Binary digits of cpp_bin_float. 256 bits is more than twice the ~120 bits that the hardest
  // binary64 cases of the elementary functions need (Lefevre-Muller worst cases), leaves about
  // 150 bits for cancellation before a binary64 result becomes doubtful (the double word covers
  // the exponent gaps beyond that), and keeps Boost's erf affordable: about 0.3 ms at 256 bits
  // against 6 ms at 384 and 0.7 s at 1024.
  static constexpr unsigned kDigits = 256;
  // Error budget of one Boost elementary function, in ulps of kDigits bits. Measured against
  // MPFR over random arguments, Boost 1.74 errs by up to 14 ulps for log, log1p, expm1 and
  // tanh, about 0.6 |x| ulps for exp (argument reduction), 3.4e3 ulps for erf and 5.6e6 for
  // erfc up to x = 3000: 2^24, scaled as described above, covers them with room to spare.
  static constexpr int kFunctionUlpsLog2 = 24;

  explicit CrossCheck(const SpecSet& specs) : specs_(specs) {}

  // Same arguments as Reference::evaluate; throws EvalError on bad input.
  CrossCheckResult evaluate(const FunctionSpec& fn, Format format, const Arguments& args) const;

 private:
  const SpecSet& specs_;
};

inline CrossCheckResult cross_check(const SpecSet& specs, const FunctionSpec& fn, Format format,
                                    const Arguments& args) {
  return CrossCheck(specs).evaluate(fn, format, args);
}

}  // namespace nnconform::ref
