#include "dual.hpp"

namespace nnconform::ref::detail {
namespace {

thread_local bool g_kink = false;

mpfr_prec_t prec(const Dual& a) { return a.v.precision(); }
Interval zero(mpfr_prec_t p) { return Interval::from_long(0, p); }

// a * b where an exact-zero factor makes the term exactly 0 (a constant's zero derivative
// times an infinite value is not a NaN derivative).
Interval times(const Interval& a, const Interval& b) {
  if (a.is_exact_zero() || b.is_exact_zero()) return zero(a.precision());
  return a * b;
}

bool same_point(const Interval& a, const Interval& b) {
  return a.is_point() && b.is_point() && mpfr_equal_p(a.lo, b.lo);
}

// A comparison between equal values whose derivatives differ is a kink along the direction.
void note_tie(const Dual& a, const Dual& b, Truth t) {
  if (t == Truth::Unknown) g_kink = true;
  if (same_point(a.v, b.v) && !same_point(a.d, b.d)) g_kink = true;
}

}  // namespace

void reset_kinks() { g_kink = false; }
bool kink_seen() { return g_kink; }

Dual lift(Interval v, const Dual*) {
  mpfr_prec_t p = v.precision();
  return {std::move(v), zero(p)};
}

Dual operator-(const Dual& a) { return {-a.v, -a.d}; }
Dual operator+(const Dual& a, const Dual& b) { return {a.v + b.v, a.d + b.d}; }
Dual operator-(const Dual& a, const Dual& b) { return {a.v - b.v, a.d - b.d}; }
Dual operator*(const Dual& a, const Dual& b) { return {a.v * b.v, times(a.d, b.v) + times(a.v, b.d)}; }
Dual operator/(const Dual& a, const Dual& b) {
  Interval q = a.v / b.v;
  return {q, (a.d - times(q, b.d)) / b.v};
}

Dual abs(const Dual& a) {
  if (mpfr_sgn(a.v.lo) > 0) return {abs(a.v), a.d};
  if (mpfr_sgn(a.v.hi) < 0) return {abs(a.v), -a.d};
  if (!a.d.is_exact_zero()) g_kink = true;
  return {abs(a.v), hull(a.d, -a.d)};
}

Dual min(const Dual& a, const Dual& b) {
  Truth t = less(a, b);
  if (t == Truth::True) return a;
  if (t == Truth::False && !same_point(a.v, b.v)) return b;
  return {min(a.v, b.v), hull(a.d, b.d)};
}

Dual max(const Dual& a, const Dual& b) {
  Truth t = less(a, b);
  if (t == Truth::True) return b;
  if (t == Truth::False && !same_point(a.v, b.v)) return a;
  return {max(a.v, b.v), hull(a.d, b.d)};
}

Dual exp(const Dual& a) {
  Interval e = exp(a.v);
  return {e, times(e, a.d)};
}
Dual expm1(const Dual& a) { return {expm1(a.v), times(exp(a.v), a.d)}; }
Dual log(const Dual& a) { return {log(a.v), a.d.is_exact_zero() ? zero(prec(a)) : a.d / a.v}; }
Dual log1p(const Dual& a) {
  return {log1p(a.v), a.d.is_exact_zero() ? zero(prec(a)) : a.d / (Interval::from_long(1, prec(a)) + a.v)};
}
Dual sqrt(const Dual& a) {
  Interval s = sqrt(a.v);
  return {s, a.d.is_exact_zero() ? zero(prec(a)) : a.d / (Interval::from_long(2, prec(a)) * s)};
}
Dual tanh(const Dual& a) {
  Interval t = tanh(a.v);
  return {t, times(Interval::from_long(1, prec(a)) - pow(t, Interval::from_long(2, prec(a))), a.d)};
}

namespace {
// 2/sqrt(pi) e^(-x^2): the derivative of erf.
Interval erf_slope(const Interval& x) {
  mpfr_prec_t p = x.precision();
  Interval pi(p);
  mpfr_const_pi(pi.lo, MPFR_RNDD);
  mpfr_const_pi(pi.hi, MPFR_RNDU);
  pi.nonzero = true;
  return Interval::from_long(2, p) / sqrt(pi) * exp(-pow(x, Interval::from_long(2, p)));
}
}  // namespace

Dual erf(const Dual& a) { return {erf(a.v), times(erf_slope(a.v), a.d)}; }
Dual erfc(const Dual& a) { return {erfc(a.v), -times(erf_slope(a.v), a.d)}; }

Dual pow(const Dual& a, const Dual& b) {
  mpfr_prec_t p = prec(a);
  Interval v = pow(a.v, b.v);
  if (b.d.is_exact_zero() && b.v.is_integer_point()) {
    long n = b.v.as_long();
    if (n == 0) return {v, zero(p)};
    return {v, times(Interval::from_long(n, p) * pow(a.v, Interval::from_long(n - 1, p)), a.d)};
  }
  Interval d = times(b.d, log(a.v));
  if (!a.d.is_exact_zero()) d = d + b.v * a.d / a.v;
  return {v, times(v, d)};
}

Dual xlogy(const Dual& x, const Dual& y) {
  Interval d = times(x.d, log(y.v));
  if (!y.d.is_exact_zero() && !x.v.is_exact_zero()) d = d + x.v * y.d / y.v;
  return {xlogy(x.v, y.v), d};
}

Dual xlog1py(const Dual& x, const Dual& y) {
  mpfr_prec_t p = prec(x);
  Interval d = times(x.d, log1p(y.v));
  if (!y.d.is_exact_zero() && !x.v.is_exact_zero()) d = d + x.v * y.d / (Interval::from_long(1, p) + y.v);
  return {xlog1py(x.v, y.v), d};
}

Dual hull(const Dual& a, const Dual& b) { return {hull(a.v, b.v), hull(a.d, b.d)}; }

Truth less(const Dual& a, const Dual& b) {
  Truth t = less(a.v, b.v);
  note_tie(a, b, t);
  return t;
}
Truth less_equal(const Dual& a, const Dual& b) {
  Truth t = less_equal(a.v, b.v);
  note_tie(a, b, t);
  return t;
}
Truth equal(const Dual& a, const Dual& b) {
  Truth t = equal(a.v, b.v);
  note_tie(a, b, t);
  return t;
}

}  // namespace nnconform::ref::detail
