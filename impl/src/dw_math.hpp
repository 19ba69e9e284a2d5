// Double-double ("DD") arithmetic and elementary functions: the working precision of the
// binary64 loss kernels (include/nnconform/impl/losses.hpp), namespace dw ("double word").
//
// Not dd.hpp (the smooth activations' double-double): that one carries exp to 2^-74 and log1p
// to 2^-66 relative, enough for a few roundings of an activation. The losses need their
// logarithms and exponentials to ~2^-100: KL and cross-entropies subtract them (log p - log q,
// f - expm1(l0)), squares double relative errors, and a mean adds one more rounding. Merging the
// two (one table-driven exp at 2^-100) is future work.
//
// A DD value is an unevaluated sum hi + lo of two doubles with |lo| <= ulp(hi)/2, about 106
// significant bits. The loss kernels evaluate each term in DD and round once to the output, so
// that the result's error is ~0.5 ulp plus the DD evaluation error (2^-100 or less relative to
// each operand, see below), amplified only where the function itself is ill-conditioned.
//
// Private to nnconform_impl; plain C++20 and the standard library (never MPFR: a judge that
// shares code with the judged proves nothing).
//
// Arithmetic: the algorithms and bounds of Joldes, Muller & Popescu, "Tight and rigorous error
// bounds for basic building blocks of double-word arithmetic", ACM TOMS 44(2), 2017:
//   add (their Alg. 6, AccurateDWPlusDW)      relative error <= 3u²   (u = 2^-53)
//   mul (Alg. 10, DWTimesDW1)                 relative error <= 7u²
//   mul by a double (Alg. 7, DWTimesFP1)      relative error <= 3u²
//   div (Alg. 17, DWDivDW2)                   relative error <= 15u²
// The exact products are Dekker's (two_prod below); the library is compiled with
// -ffp-contract=off so that they are rounded as written.
// Special values: as soon as a high part is not finite (overflow, inf or NaN operands), the
// result is {hi, 0}, so infinities and NaN propagate as in IEEE arithmetic (inf·0 = NaN,
// inf - inf = NaN). Results in the subnormal range lose the low part's precision (each
// high part is still rounded once, so such a result errs by < 1 ulp of the subnormal grid).
//
// Elementary functions (dw_math.cpp), relative error of the DD result (measured against MPFR
// on 10^5 arguments per function and region; see the comments there):
//   exp (|x| < 2^11; beyond: 0 or inf)  <= 2^-103
//   expm1, log, log1p                   <= 2^-92 (relative to the result; 2^-103 near 0 and
//                                          away from it: no loss near log's argument 1)
//   pow(x, g) = exp(g·log x)            <= 2^-92·(1 + |g·log x|)
#pragma once

#ifdef __FAST_MATH__
#error "nnconform_impl relies on IEEE 754 semantics: do not compile it with -ffast-math"
#endif

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace nnconform::impl::dw {

struct DD {
  double hi = 0.0;
  double lo = 0.0;
};

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- error-free transformations ----

// a + b = s + e exactly (Knuth's TwoSum; exact for all finite operands barring overflow).
inline DD two_sum(double a, double b) {
  const double s = a + b;
  if (!std::isfinite(s)) return {s, 0.0};
  const double bb = s - a;
  const double e = (a - (s - bb)) + (b - bb);
  return {s, e};
}

// a + b = s + e exactly, provided |a| >= |b| or a == 0 (Dekker's Fast2Sum).
inline DD fast_two_sum(double a, double b) {
  const double s = a + b;
  if (!std::isfinite(s)) return {s, 0.0};
  return {s, b - (s - a)};
}

// a·b = p + e exactly (barring underflow of e): Dekker's product with Veltkamp's splitting,
// inline (the x86-64 baseline has no FMA instruction, and a call to libm's fma costs more than
// these 17 flops). Operands beyond 2^995 would overflow the splitting: there, std::fma.
inline DD two_prod(double a, double b) {
  const double p = a * b;
  if (!std::isfinite(p)) return {p, 0.0};
  if (std::fabs(a) > 0x1p995 || std::fabs(b) > 0x1p995) return {p, std::fma(a, b, -p)};
  const double ca = 0x1p27 + 1.0;
  const double ta = ca * a;
  const double ah = ta - (ta - a);
  const double al = a - ah;
  const double tb = ca * b;
  const double bh = tb - (tb - b);
  const double bl = b - bh;
  return {p, ((ah * bh - p) + ah * bl + al * bh) + al * bl};
}

// ---- arithmetic ----

inline DD operator-(DD a) { return {-a.hi, -a.lo}; }

inline DD operator+(DD x, DD y) {
  const DD s = two_sum(x.hi, y.hi);
  if (!std::isfinite(s.hi)) return {s.hi, 0.0};
  const DD t = two_sum(x.lo, y.lo);
  const DD v = fast_two_sum(s.hi, s.lo + t.hi);
  return fast_two_sum(v.hi, t.lo + v.lo);
}

inline DD operator+(DD x, double y) {
  const DD s = two_sum(x.hi, y);
  if (!std::isfinite(s.hi)) return {s.hi, 0.0};
  return fast_two_sum(s.hi, s.lo + x.lo);
}
inline DD operator+(double x, DD y) { return y + x; }
inline DD operator-(DD x, DD y) { return x + (-y); }
inline DD operator-(DD x, double y) { return x + (-y); }
inline DD operator-(double x, DD y) { return (-y) + x; }

inline DD operator*(DD x, DD y) {
  const DD c = two_prod(x.hi, y.hi);
  if (!std::isfinite(c.hi)) return {c.hi, 0.0};
  const double cl = (x.hi * y.lo + x.lo * y.hi) + c.lo;
  return fast_two_sum(c.hi, cl);
}

inline DD operator*(DD x, double y) {
  const DD c = two_prod(x.hi, y);
  if (!std::isfinite(c.hi)) return {c.hi, 0.0};
  return fast_two_sum(c.hi, x.lo * y + c.lo);
}
inline DD operator*(double x, DD y) { return y * x; }

inline DD operator/(DD x, DD y) {
  const double th = x.hi / y.hi;
  if (!std::isfinite(th) || th == 0.0) return {th, 0.0};
  const DD r = y * th;
  if (!std::isfinite(r.hi)) return {th, 0.0};
  const double pi_h = x.hi - r.hi;  // exact (Sterbenz)
  const double dl = x.lo - r.lo;
  const double tl = (pi_h + dl) / y.hi;
  return fast_two_sum(th, tl);
}
inline DD operator/(DD x, double y) { return x / DD{y, 0.0}; }
inline DD operator/(double x, DD y) { return DD{x, 0.0} / y; }

// Square root; sqrt(±0) = ±0, sqrt(inf) = inf, negative -> NaN.
inline DD sqrt(DD x) {
  const double s = std::sqrt(x.hi);
  if (!std::isfinite(s) || s == 0.0) return {s, 0.0};
  const DD p = two_prod(s, s);
  const double r = ((x.hi - p.hi) - p.lo + x.lo) / (2.0 * s);
  return fast_two_sum(s, r);
}

inline DD abs(DD x) { return x.hi < 0.0 ? -x : x; }

// ilogb(x) for finite nonzero x, from the bits (libm's ilogb is a call); subnormals via ilogb.
inline int exponent_of(double x) {
  const int e = static_cast<int>((std::bit_cast<std::uint64_t>(x) >> 52) & 0x7ff);
  return e != 0 ? e - 1023 : std::ilogb(x);
}

// x·2^k, rounded once (= std::ldexp): one multiplication by 2^k for k in [-1022, 1023].
inline double scale2(double x, int k) {
  if (k < -1022 || k > 1023) return std::ldexp(x, k);
  return x * std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
}

// x·2^k, exact unless the result leaves the normal range. In the subnormal range the result is
// rounded once (to nearest) from the full DD value, not from the rounded high part, and its
// low part is 0.
DD ldexp(DD x, int k);

// Comparisons of the exact values (DD values are normalized: hi = round(hi + lo)).
inline bool less(DD a, double b) { return a.hi < b || (a.hi == b && a.lo < 0.0); }
inline bool greater(DD a, double b) { return a.hi > b || (a.hi == b && a.lo > 0.0); }

// The nearest double (the high part, except for a tie that the low part breaks).
inline double to_double(DD x) { return x.hi + x.lo; }

// ---- elementary functions (dw_math.cpp) ----

// e^x as m·2^k with m in [~0.7, ~1.42] (DD) and an integer k, so that results far outside the
// double range (as in pow or a product with a large factor) keep their precision.
// x NaN: m = NaN; x = ±inf: +inf, 0. |x| > 2^11: m = 1 and k = x/ln2 rounded toward zero
// (clamped to ±2^28): only the order of magnitude is kept, which is all a double-range result
// can use (e^-2048 times any finite double underflows), while a product with inf stays inf.
struct Scaled {
  DD m;
  int k = 0;
};
Scaled exp_scaled(DD x);
DD exp(DD x);
DD expm1(DD x);
DD log(DD x);
DD log1p(DD x);
// x^g for x >= 0 (scaled as exp_scaled). NaN in gives NaN (also for g = 0); x^0 = 1 for every
// other x (0^0 = 1, as the reference's integer power); 0^g = 0 for g > 0.
Scaled pow_scaled(DD x, double g);

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|); softplus(-inf) = 0, (+inf) = inf.
DD softplus(DD x);
// sigmoid(x) = 1 / (1 + e^-x), computed as e^x / (1 + e^x) for x < 0 (no cancellation).
DD sigmoid(DD x);

// ln 2 and 1/ln 2 as DD (mpmath at 400 bits: the nearest doubles and their remainders).
inline constexpr DD kLn2{0x1.62e42fefa39efp-1, 0x1.abc9e3b39803fp-56};
inline constexpr DD kInvLn2{0x1.71547652b82fep+0, 0x1.777d0ffda0d24p-56};

}  // namespace nnconform::impl::dw
