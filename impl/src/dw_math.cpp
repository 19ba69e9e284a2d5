// Double-double elementary functions (contracts in dw_math.hpp).
//
// exp: Tang's table-driven method (ACM TOMS 15(2), 1989) with two 64-entry tables:
//   x = K·ln2/4096 + r, K = round(x·4096/ln2) = 4096m + 64i + j, |r| <= ln2/8192 (+ |x.lo|);
//   e^x = 2^m · 2^(i/64) · 2^(j/4096) · (1 + E), E = e^r - 1 by its Taylor polynomial of degree
//   8 (the r^9/9! remainder is < 2^-120 of r). ln2/4096 is split into two 29-bit parts (exact
//   products with |K| < 2^24, i.e. |x| < 2^11) and a DD rest; the tables and constants come
//   from dw_tables.py (mpmath, 400 bits) via dw_tables.inc.
// expm1: E itself when K = 0 (|x| < ln2/8192): relative accuracy to the bottom; otherwise
//   2^m·T·(1 + E) - 1, which cancels at most 2^13.5 (|x| >= ln2/8192).
// log: x = 2^e·m, m in [sqrt(1/2), sqrt(2)); log m = log1p(f), f = m - 1 exact, by one Newton
//   step on y = expm1(l): l0 = std::log1p(f) (double), then
//   log1p(f) = l0 + log1p((f - expm1(l0)) / (1 + expm1(l0))), the correction D ~ 2^-52 taken
//   to second order (D - D²/2; D³/3 < 2^-150). f - expm1(l0) is computed in DD, so the error
//   is relative to log1p(f) itself (no loss near m = 1).
//
// Error (relative, DD result), measured against MPFR (Boost.Multiprecision, 332 bits) on 10^5
// random arguments per region (/tmp harness during development): exp <= 2^-103.5 (results
// above 2^-969, where the DD low part is still normal); expm1 <= 2^-103 for |x| < ln2/8192 and
// |x| > 0.35, <= 2^-92 between (the bounded cancellation); log, log1p <= 2^-103 for
// |log| < ln2/8192 or > 0.35, <= 2^-92 between. Each is far below the 2^-53 of a binary64
// result; the kernels never subtract two such logs of nearly equal values (KL uses its Bregman
// series, msle log1p of the ratio).
// Cost (x86-64, measured): exp ~60 ns, log ~90 ns.
#include "dw_math.hpp"

#include <cfloat>
#include <cstdint>

namespace nnconform::impl::dw {
namespace {

#include "dw_tables.inc"

// e^r - 1 for |r| <= ~2^-13.4 (DD).
DD expm1_small(DD r) {
  if (r.hi == 0.0) return r;
  if (std::fabs(r.hi) < 0x1p-30) {
    // r + r²·q, q = 1/2 + r·(1/6 + r/24 + r²/120) with 1/2 + (the rest, rounded once) in DD:
    // the rest is < 2^-32 and errs by < 2^-85, i.e. < 2^-115 of r after the factor r².
    const DD q = two_sum(0.5, r.hi * (kInvFact3.hi + r.hi * (kInvFact4.hi + r.hi * kInvFact5)));
    return r + (r * r) * q;
  }
  // Q = 1/2 + r/6 + r²/24 + r³·T, T = 1/120 + r/720 + r²/5040 + r³/40320 in double (weighted by
  // r³ < 2^-40 its rounding is < 2^-113 of Q), 1/6 and 1/24 in DD; e^r - 1 = r + r²·Q.
  const double t = kInvFact5 + r.hi * (kInvFact6 + r.hi * (kInvFact7 + r.hi * kInvFact8));
  DD q = r * t + kInvFact4;
  q = r * q + kInvFact3;
  q = r * q + 0.5;
  return r + (r * r) * q;
}

struct Reduced {
  DD e;         // e^r - 1
  DD t;         // 2^(i/64 + j/4096)
  int m = 0;    // x = (4096m + 64i + j)·ln2/4096 + r
  bool k_zero;  // K = 0: e^x - 1 = e
};

// Assumes x finite and |x.hi| <= 2^11.
Reduced reduce_exp(DD x) {
  // Round to the nearest integer (|x·4096/ln2| < 2^24): adding and removing 1.5·2^52.
  const double kd = (x.hi * k4096OverLn2 + 0x1.8p52) - 0x1.8p52;
  const auto k = static_cast<std::int64_t>(kd);
  // x.hi - K·L1 is exact (the two agree to ~2^-13 of x), K·L2 is exact, the rest in DD.
  const DD r = ((two_sum(x.hi - kd * kL1, -(kd * kL2)) + x.lo) - two_prod(kd, kL3.hi)) -
               kd * kL3.lo;
  const auto j = static_cast<std::size_t>(k & 63);
  const auto i = static_cast<std::size_t>((k >> 6) & 63);
  const DD t = i == 0 ? kExp2Lo[j] : (j == 0 ? kExp2Hi[i] : kExp2Hi[i] * kExp2Lo[j]);
  return {expm1_small(r), t, static_cast<int>(k >> 12), k == 0};
}

// e·ln2 in DD for |e| <= 2^12: with K = 4096e, K·L1 and K·L2 are exact (|K| < 2^24).
DD e_ln2(int e) {
  const double kd = 4096.0 * e;
  return (two_sum(kd * kL1, kd * kL2) + two_prod(kd, kL3.hi)) + kd * kL3.lo;
}

// log1p(f) for |f| <= ~0.42 (f DD, exact input), by one Newton step on expm1.
DD log1p_reduced(DD f) {
  if (f.hi == 0.0) return f;
  const double l0 = std::log1p(f.hi);
  const Reduced red = reduce_exp(DD{l0, 0.0});
  const DD e = red.k_zero ? red.e : ldexp(red.t + red.t * red.e, red.m) - 1.0;  // expm1(l0)
  const DD d = (f - e) / (e + 1.0);
  // l0 + log1p(d), |d| ~ 2^-52: log1p(d) = d - d²/2 + O(2^-156).
  return DD{l0, 0.0} + (d - 0.5 * d.hi * d.hi);
}

}  // namespace

DD ldexp(DD x, int k) {
  const double h = scale2(x.hi, k);
  if (!std::isfinite(h)) return {h, 0.0};
  if (std::fabs(h) >= DBL_MIN) return {h, scale2(x.lo, k)};
  // Subnormal (or zero) result: h is x.hi rounded to the grid 2^-1074; fold in the rest.
  const double back = std::ldexp(h, -k);          // exact
  const double rem = (x.hi - back) + x.lo;        // x.hi - back exact (Sterbenz, or back = 0)
  const double half = std::ldexp(1.0, -1075 - k);  // half a grid step, in x's scale
  double r = h;
  if (rem > half) {
    r = std::nextafter(h, kInf);
  } else if (rem < -half) {
    r = std::nextafter(h, -kInf);
  }
  return {r, 0.0};
}

Scaled exp_scaled(DD x) {
  if (std::isnan(x.hi)) return {{kNaN, 0.0}, 0};
  if (std::isinf(x.hi)) return {{x.hi > 0.0 ? kInf : 0.0, 0.0}, 0};
  if (std::fabs(x.hi) > 0x1p11) {
    // Only the binary exponent (clamped to ±2^28) is kept: a finite double times such a value
    // over- or underflows anyway, but the value is not 0 or inf, so that a product with an
    // infinity (or a zero) stays what the mathematics gives, not NaN.
    const double k = std::fmin(std::fmax(x.hi * kInvLn2.hi, -0x1p28), 0x1p28);
    return {{1.0, 0.0}, static_cast<int>(k)};
  }
  const Reduced red = reduce_exp(x);
  return {red.t + red.t * red.e, red.m};
}

DD exp(DD x) {
  const Scaled s = exp_scaled(x);
  return ldexp(s.m, s.k);
}

DD expm1(DD x) {
  if (std::isnan(x.hi)) return {kNaN, 0.0};
  if (x.hi > 0x1p11) return {kInf, 0.0};
  if (x.hi < -0x1p11) return {-1.0, 0.0};
  const Reduced red = reduce_exp(x);
  if (red.k_zero) return red.e;
  return ldexp(red.t + red.t * red.e, red.m) - 1.0;  // |x| >= ln2/8192: bounded cancellation
}

DD log(DD x) {
  if (std::isnan(x.hi) || x.hi < 0.0) return {kNaN, 0.0};
  if (x.hi == 0.0) return {-kInf, 0.0};
  if (std::isinf(x.hi)) return {kInf, 0.0};
  int e = 0;
  double m = std::frexp(x.hi, &e);  // x.hi = m·2^e, m in [1/2, 1)
  if (m < 0x1.6a09e667f3bcdp-1) {   // sqrt(1/2)
    m *= 2.0;
    --e;
  }
  const double lo = std::ldexp(x.lo, -e);
  const DD f = two_sum(m - 1.0, lo);  // m - 1 exact (Sterbenz)
  const DD l = log1p_reduced(f);
  if (e == 0) return l;
  return l + e_ln2(e);
}

DD log1p(DD x) {
  if (std::isnan(x.hi)) return {kNaN, 0.0};
  if (std::fabs(x.hi) <= 0.41) return log1p_reduced(x);
  return log(x + 1.0);  // 1 + x is accurate (relative) and its log has no cancellation
}

Scaled pow_scaled(DD x, double g) {
  if (std::isnan(x.hi) || std::isnan(g)) return {{kNaN, 0.0}, 0};
  if (g == 0.0) return {{1.0, 0.0}, 0};
  if (x.hi == 0.0) return {{g > 0.0 ? 0.0 : kInf, 0.0}, 0};
  return exp_scaled(log(x) * g);
}

DD softplus(DD x) {
  if (std::isnan(x.hi)) return {kNaN, 0.0};
  if (x.hi > 0.0) {
    if (std::isinf(x.hi)) return x;
    return x + log1p(exp(-x));
  }
  return log1p(exp(x));
}

DD sigmoid(DD x) {
  if (std::isnan(x.hi)) return {kNaN, 0.0};
  if (x.hi >= 0.0) return 1.0 / (exp(-x) + 1.0);
  const DD e = exp(x);
  return e / (e + 1.0);
}

}  // namespace nnconform::impl::dw
