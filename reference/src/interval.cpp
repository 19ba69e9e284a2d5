#include "nnconform/ref/interval.hpp"

#include <stdexcept>
#include <utility>

namespace nnconform::ref {
namespace {

using UnaryFn = int (*)(mpfr_ptr, mpfr_srcptr, mpfr_rnd_t);

// Sign of the exact value when it is known: +1, -1, 0 for an exact zero, 2 when unknown.
int known_sign(const Interval& a) {
  if (a.is_exact_zero()) return 0;
  if (mpfr_sgn(a.lo) > 0 || (mpfr_sgn(a.lo) >= 0 && a.nonzero)) return 1;
  if (mpfr_sgn(a.hi) < 0 || (mpfr_sgn(a.hi) <= 0 && a.nonzero)) return -1;
  return 2;
}

Interval true_infinity(int sign, mpfr_prec_t precision) {
  Interval r(precision);
  mpfr_set_inf(r.lo, sign);
  mpfr_set_inf(r.hi, sign);
  r.nonzero = true;
  return r;
}

Interval exact_zero(mpfr_prec_t precision) { return Interval::from_long(0, precision); }

// Applies a strictly increasing function endpoint by endpoint: [f_down(lo), f_up(hi)]. An
// excluded end stays excluded (strictness), and so does one the rounding moved.
Interval monotone(const Interval& a, UnaryFn f) {
  if (a.nan) return Interval::nan_value(a.precision());
  Interval r(a.precision());
  r.lo_open = f(r.lo, a.lo, MPFR_RNDD) != 0 || a.lo_excluded();
  r.hi_open = f(r.hi, a.hi, MPFR_RNDU) != 0 || a.hi_excluded();
  r.maybe_nan = a.maybe_nan;
  r.nonzero = a.nonzero;  // callers whose f maps only 0 to 0 keep this; others override
  r.refresh_nonzero();
  return r;
}

bool either_nan(const Interval& a, const Interval& b) { return a.nan || b.nan; }

// Endpoint product or quotient rounded in `rnd`, with the interval convention that an
// infinite endpoint (a bound, not a value: true infinities are handled before) times 0 is 0.
// Returns whether the exact corner value is not attained: the rounding moved it, or an
// operand end is excluded (unless the other is an attained 0, which pins the product at 0).
bool endpoint(mpfr_ptr r, mpfr_srcptr x, bool x_excluded, mpfr_srcptr y, bool y_excluded,
              bool divide, mpfr_rnd_t rnd) {
  int ternary = divide ? mpfr_div(r, x, y, rnd) : mpfr_mul(r, x, y, rnd);
  if (mpfr_nan_p(r)) {
    if (!divide) {
      mpfr_set_zero(r, 1);
    } else {
      mpfr_set_inf(r, rnd == MPFR_RNDD ? -1 : 1);  // inf/inf bound: unbounded
    }
    return false;
  }
  if (mpfr_inf_p(x) || mpfr_inf_p(y) || mpfr_inf_p(r)) return false;  // bounds, not values
  if ((mpfr_zero_p(x) && !x_excluded) || (!divide && mpfr_zero_p(y) && !y_excluded))
    return ternary != 0;
  return ternary != 0 || x_excluded || y_excluded;
}

Interval four_corner(const Interval& a, const Interval& b, bool divide) {
  Interval r(a.precision());
  MpfrValue t(a.precision());
  bool first = true;
  const std::pair<mpfr_srcptr, bool> a_ends[] = {{a.lo.get(), a.lo_excluded()}, {a.hi.get(), a.hi_excluded()}};
  const std::pair<mpfr_srcptr, bool> b_ends[] = {{b.lo.get(), b.lo_excluded()}, {b.hi.get(), b.hi_excluded()}};
  for (auto [x, x_excluded] : a_ends) {
    for (auto [y, y_excluded] : b_ends) {
      // The bound is excluded only if every corner that reaches it is.
      bool open = endpoint(t, x, x_excluded, y, y_excluded, divide, MPFR_RNDD);
      if (first || mpfr_less_p(t, r.lo)) {
        mpfr_set(r.lo, t, MPFR_RNDD);
        r.lo_open = open;
      } else if (mpfr_equal_p(t, r.lo)) {
        r.lo_open = r.lo_open && open;
      }
      open = endpoint(t, x, x_excluded, y, y_excluded, divide, MPFR_RNDU);
      if (first || mpfr_greater_p(t, r.hi)) {
        mpfr_set(r.hi, t, MPFR_RNDU);
        r.hi_open = open;
      } else if (mpfr_equal_p(t, r.hi)) {
        r.hi_open = r.hi_open && open;
      }
      first = false;
    }
  }
  r.maybe_nan = a.maybe_nan || b.maybe_nan;
  return r;
}

// Openness of the smaller (or larger) of two bounds: for the extreme of min/max/hull. `either`
// says whether, at a tie, one excluded end is enough (the result must equal both operands
// there) or both must be excluded (either operand may supply it).
bool pick_open(mpfr_srcptr x, bool x_open, mpfr_srcptr y, bool y_open, bool smaller,
               bool either) {
  int c = mpfr_cmp(x, y);
  if (c == 0) return either ? (x_open || y_open) : (x_open && y_open);
  return (c < 0) == smaller ? x_open : y_open;
}

}  // namespace

bool Interval::lo_excluded() const {
  if (nan) return false;
  if (mpfr_inf_p(lo) && mpfr_sgn(lo) < 0) return !is_point();  // a bound, not a true -inf
  return lo_open || (mpfr_zero_p(lo) && nonzero);
}

bool Interval::hi_excluded() const {
  if (nan) return false;
  if (mpfr_inf_p(hi) && mpfr_sgn(hi) > 0) return !is_point();
  return hi_open || (mpfr_zero_p(hi) && nonzero);
}

Interval::Interval(mpfr_prec_t precision) : lo(precision), hi(precision) {
  mpfr_set_zero(lo, 1);
  mpfr_set_zero(hi, 1);
}

Interval Interval::point(mpfr_srcptr exact, mpfr_prec_t precision) {
  Interval r(std::max(precision, mpfr_get_prec(exact)));
  if (mpfr_nan_p(exact)) return nan_value(precision);
  mpfr_set(r.lo, exact, MPFR_RNDD);
  mpfr_set(r.hi, exact, MPFR_RNDU);
  r.nonzero = !mpfr_zero_p(exact);
  return r;
}

Interval Interval::from_long(long v, mpfr_prec_t precision) {
  Interval r(precision);
  mpfr_set_si(r.lo, v, MPFR_RNDD);
  mpfr_set_si(r.hi, v, MPFR_RNDU);
  r.nonzero = v != 0;
  return r;
}

Interval Interval::from_double(double v, mpfr_prec_t precision) {
  if (v != v) return nan_value(precision);
  Interval r(precision);
  mpfr_set_d(r.lo, v, MPFR_RNDD);
  mpfr_set_d(r.hi, v, MPFR_RNDU);
  r.nonzero = v != 0;
  return r;
}

Interval Interval::nan_value(mpfr_prec_t precision) {
  Interval r(precision);
  mpfr_set_nan(r.lo);
  mpfr_set_nan(r.hi);
  r.nan = true;
  return r;
}

Interval Interval::whole(mpfr_prec_t precision, bool maybe_nan) {
  Interval r(precision);
  mpfr_set_inf(r.lo, -1);
  mpfr_set_inf(r.hi, 1);
  r.maybe_nan = maybe_nan;
  return r;
}

bool Interval::is_point() const { return !nan && !maybe_nan && mpfr_equal_p(lo, hi); }
bool Interval::is_true_infinity() const { return is_point() && mpfr_inf_p(lo); }
bool Interval::is_exact_zero() const { return is_point() && mpfr_zero_p(lo); }
bool Interval::contains_zero() const {
  return !nan && mpfr_sgn(lo) <= 0 && mpfr_sgn(hi) >= 0;
}
bool Interval::is_integer_point() const { return is_point() && mpfr_integer_p(lo); }
long Interval::as_long() const {
  if (!is_integer_point() || !mpfr_fits_slong_p(lo, MPFR_RNDN))
    throw std::logic_error("Interval::as_long on a non-integer");
  return mpfr_get_si(lo, MPFR_RNDN);
}
void Interval::refresh_nonzero() {
  if (!nan && (mpfr_sgn(lo) > 0 || mpfr_sgn(hi) < 0)) nonzero = true;
}

Interval operator-(const Interval& a) {
  if (a.nan) return Interval::nan_value(a.precision());
  Interval r(a.precision());
  mpfr_neg(r.lo, a.hi, MPFR_RNDD);
  mpfr_neg(r.hi, a.lo, MPFR_RNDU);
  r.lo_open = a.hi_open;
  r.hi_open = a.lo_open;
  r.maybe_nan = a.maybe_nan;
  r.nonzero = a.nonzero;
  return r;
}

Interval operator+(const Interval& a, const Interval& b) {
  mpfr_prec_t p = a.precision();
  if (either_nan(a, b)) return Interval::nan_value(p);
  bool a_inf = a.is_true_infinity(), b_inf = b.is_true_infinity();
  if (a_inf && b_inf) {
    if (mpfr_sgn(a.lo) != mpfr_sgn(b.lo)) return Interval::nan_value(p);  // inf - inf
    return a;
  }
  // A true infinity plus any finite value (an overflowed enclosure included) is that infinity.
  if (a_inf || b_inf) {
    Interval r = a_inf ? a : b;
    r.maybe_nan = a.maybe_nan || b.maybe_nan;
    return r;
  }
  // Adding an exact zero changes nothing, not even what is known of the sign (an underflowed
  // log1p(exp(-1e300)) plus an exact 0 is still positive).
  if (a.is_exact_zero() || b.is_exact_zero()) {
    Interval r = a.is_exact_zero() ? b : a;
    r.maybe_nan = a.maybe_nan || b.maybe_nan;
    return r;
  }
  Interval r(p);
  r.lo_open = mpfr_add(r.lo, a.lo, b.lo, MPFR_RNDD) != 0 || a.lo_excluded() || b.lo_excluded();
  r.hi_open = mpfr_add(r.hi, a.hi, b.hi, MPFR_RNDU) != 0 || a.hi_excluded() || b.hi_excluded();
  if (mpfr_nan_p(r.lo)) mpfr_set_inf(r.lo, -1);  // -inf + inf of two overflowed bounds
  if (mpfr_nan_p(r.hi)) mpfr_set_inf(r.hi, 1);
  r.maybe_nan = a.maybe_nan || b.maybe_nan;
  // Two values of one known sign add to a value of that sign.
  int sa = known_sign(a), sb = known_sign(b);
  if ((sa == 1 || sa == -1) && sa == sb) r.nonzero = true;
  r.refresh_nonzero();
  return r;
}

Interval operator-(const Interval& a, const Interval& b) { return a + (-b); }

Interval operator*(const Interval& a, const Interval& b) {
  mpfr_prec_t p = a.precision();
  if (either_nan(a, b)) return Interval::nan_value(p);
  if (a.is_true_infinity() || b.is_true_infinity()) {
    const Interval& inf = a.is_true_infinity() ? a : b;
    const Interval& other = a.is_true_infinity() ? b : a;
    int s = known_sign(other);
    if (s == 0) return Interval::nan_value(p);  // inf * 0
    if (s == 2) return Interval::whole(p, true);
    return true_infinity(s * mpfr_sgn(inf.lo), p);
  }
  Interval r = four_corner(a, b, false);
  r.nonzero = a.nonzero && b.nonzero;
  r.refresh_nonzero();
  return r;
}

Interval operator/(const Interval& a, const Interval& b) {
  mpfr_prec_t p = a.precision();
  if (either_nan(a, b)) return Interval::nan_value(p);
  if (b.is_exact_zero()) {  // IEEE: x / +0 is +-inf, 0 / 0 is NaN
    int s = known_sign(a);
    if (s == 0) return Interval::nan_value(p);
    if (s == 2) return Interval::whole(p, true);
    return true_infinity(s, p);
  }
  if (a.is_true_infinity()) {
    if (b.is_true_infinity()) return Interval::nan_value(p);
    int s = known_sign(b);
    if (s == 2) return Interval::whole(p, true);
    return true_infinity(s * mpfr_sgn(a.lo), p);
  }
  if (b.is_true_infinity()) return exact_zero(p);
  if (b.contains_zero()) {
    int sb = known_sign(b), sa = known_sign(a);
    if (sb == 2 || sa == 2 || sa == 0) return Interval::whole(p, a.contains_zero());
    // b's exact value is non-zero with a known sign but its enclosure reaches 0: the
    // quotient is unbounded on one side.
    Interval r(p);
    mpfr_srcptr far_b = sb > 0 ? b.hi.get() : b.lo.get();
    if (sa * sb > 0) {
      mpfr_div(r.lo, sa > 0 ? a.lo : a.hi, far_b, MPFR_RNDD);
      if (mpfr_nan_p(r.lo)) mpfr_set_zero(r.lo, 1);
      mpfr_set_inf(r.hi, 1);
    } else {
      mpfr_set_inf(r.lo, -1);
      mpfr_div(r.hi, sa > 0 ? a.lo : a.hi, far_b, MPFR_RNDU);
      if (mpfr_nan_p(r.hi)) mpfr_set_zero(r.hi, 1);
    }
    r.nonzero = true;
    r.maybe_nan = a.maybe_nan || b.maybe_nan;
    return r;
  }
  Interval r = four_corner(a, b, true);
  r.nonzero = a.nonzero;
  r.refresh_nonzero();
  return r;
}

Interval abs(const Interval& a) {
  if (a.nan) return a;
  if (mpfr_sgn(a.lo) >= 0) return a;
  if (mpfr_sgn(a.hi) <= 0) return -a;
  Interval r(a.precision());
  mpfr_set_zero(r.lo, 1);
  r.hi_open = mpfr_neg(r.hi, a.lo, MPFR_RNDU) != 0 || a.lo_excluded();
  if (int c = mpfr_cmp(a.hi, r.hi); c >= 0) {
    bool open = mpfr_set(r.hi, a.hi, MPFR_RNDU) != 0 || a.hi_excluded();
    r.hi_open = c > 0 ? open : (open && r.hi_open);
  }
  r.maybe_nan = a.maybe_nan;
  r.nonzero = a.nonzero;
  return r;
}

Interval min(const Interval& a, const Interval& b) {
  if (either_nan(a, b)) return Interval::nan_value(a.precision());
  Interval r(a.precision());
  r.lo_open = pick_open(a.lo, a.lo_excluded(), b.lo, b.lo_excluded(), true, false);
  r.hi_open = pick_open(a.hi, a.hi_excluded(), b.hi, b.hi_excluded(), true, true);
  r.lo_open = (mpfr_min(r.lo, a.lo, b.lo, MPFR_RNDD) != 0) || r.lo_open;
  r.hi_open = (mpfr_min(r.hi, a.hi, b.hi, MPFR_RNDU) != 0) || r.hi_open;
  r.maybe_nan = a.maybe_nan || b.maybe_nan;
  r.nonzero = a.nonzero && b.nonzero;  // the result is one of the two
  r.refresh_nonzero();
  return r;
}

Interval max(const Interval& a, const Interval& b) {
  if (either_nan(a, b)) return Interval::nan_value(a.precision());
  Interval r(a.precision());
  r.lo_open = pick_open(a.lo, a.lo_excluded(), b.lo, b.lo_excluded(), false, true);
  r.hi_open = pick_open(a.hi, a.hi_excluded(), b.hi, b.hi_excluded(), false, false);
  r.lo_open = (mpfr_max(r.lo, a.lo, b.lo, MPFR_RNDD) != 0) || r.lo_open;
  r.hi_open = (mpfr_max(r.hi, a.hi, b.hi, MPFR_RNDU) != 0) || r.hi_open;
  r.maybe_nan = a.maybe_nan || b.maybe_nan;
  r.nonzero = a.nonzero && b.nonzero;
  r.refresh_nonzero();
  return r;
}

Interval exp(const Interval& a) {
  Interval r = monotone(a, mpfr_exp);
  // exp is positive except at the true -inf, where it is exactly 0.
  r.nonzero = !(a.is_true_infinity() && mpfr_sgn(a.lo) < 0);
  return r;
}

Interval expm1(const Interval& a) { return monotone(a, mpfr_expm1); }
Interval tanh(const Interval& a) { return monotone(a, mpfr_tanh); }
Interval erf(const Interval& a) { return monotone(a, mpfr_erf); }

Interval erfc(const Interval& a) {
  if (a.nan) return a;
  Interval r(a.precision());
  r.lo_open = mpfr_erfc(r.lo, a.hi, MPFR_RNDD) != 0 || a.hi_excluded();
  r.hi_open = mpfr_erfc(r.hi, a.lo, MPFR_RNDU) != 0 || a.lo_excluded();
  r.maybe_nan = a.maybe_nan;
  // erfc is positive everywhere but at the true +inf, where it is exactly 0.
  r.nonzero = !(a.is_true_infinity() && mpfr_sgn(a.lo) > 0);
  return r;
}

Interval log(const Interval& a) {
  if (a.nan) return a;
  if (mpfr_sgn(a.hi) < 0) return Interval::nan_value(a.precision());
  if (mpfr_sgn(a.lo) < 0) return Interval::whole(a.precision(), true);
  Interval r = monotone(a, mpfr_log);
  r.nonzero = false;
  r.refresh_nonzero();
  return r;
}

Interval log1p(const Interval& a) {
  if (a.nan) return a;
  if (mpfr_cmp_si(a.hi, -1) < 0) return Interval::nan_value(a.precision());
  if (mpfr_cmp_si(a.lo, -1) < 0) return Interval::whole(a.precision(), true);
  return monotone(a, mpfr_log1p);
}

Interval sqrt(const Interval& a) {
  if (a.nan) return a;
  if (mpfr_sgn(a.hi) < 0) return Interval::nan_value(a.precision());
  if (mpfr_sgn(a.lo) < 0) return Interval::whole(a.precision(), true);
  return monotone(a, mpfr_sqrt);
}

namespace {

Interval integer_power(const Interval& a, long n) {
  mpfr_prec_t p = a.precision();
  if (n == 0) return Interval::from_long(1, p);
  if (n < 0) return Interval::from_long(1, p) / integer_power(a, -n);
  Interval r(p);
  // x^n is strictly monotone on each branch below (n >= 1): openness carries through.
  if (n % 2 == 1 || mpfr_sgn(a.lo) >= 0) {
    r.lo_open = mpfr_pow_si(r.lo, a.lo, n, MPFR_RNDD) != 0 || a.lo_excluded();
    r.hi_open = mpfr_pow_si(r.hi, a.hi, n, MPFR_RNDU) != 0 || a.hi_excluded();
  } else if (mpfr_sgn(a.hi) <= 0) {
    r.lo_open = mpfr_pow_si(r.lo, a.hi, n, MPFR_RNDD) != 0 || a.hi_excluded();
    r.hi_open = mpfr_pow_si(r.hi, a.lo, n, MPFR_RNDU) != 0 || a.lo_excluded();
  } else {
    MpfrValue t(p);
    mpfr_set_zero(r.lo, 1);
    mpfr_pow_si(r.hi, a.lo, n, MPFR_RNDU);
    mpfr_pow_si(t, a.hi, n, MPFR_RNDU);
    if (mpfr_greater_p(t, r.hi)) mpfr_set(r.hi, t, MPFR_RNDU);
  }
  r.maybe_nan = a.maybe_nan;
  r.nonzero = a.nonzero;
  r.refresh_nonzero();
  return r;
}

}  // namespace

Interval pow(const Interval& base, const Interval& exponent) {
  mpfr_prec_t p = base.precision();
  if (either_nan(base, exponent)) return Interval::nan_value(p);
  if (exponent.is_integer_point() && mpfr_fits_slong_p(exponent.lo, MPFR_RNDN))
    return integer_power(base, exponent.as_long());
  if (mpfr_sgn(base.hi) < 0) return Interval::nan_value(p);
  if (mpfr_sgn(base.lo) < 0) return Interval::whole(p, true);
  if (base.is_point() && exponent.is_point()) {
    Interval r(p);
    r.lo_open = mpfr_pow(r.lo, base.lo, exponent.lo, MPFR_RNDD) != 0;
    r.hi_open = mpfr_pow(r.hi, base.lo, exponent.lo, MPFR_RNDU) != 0;
    r.nonzero = !mpfr_zero_p(r.hi) || !mpfr_zero_p(r.lo);
    if (mpfr_zero_p(base.lo) || mpfr_inf_p(base.lo)) r.nonzero = !mpfr_zero_p(r.lo);
    else r.nonzero = true;  // a positive finite base to a finite power is positive
    return r;
  }
  return exp(exponent * log(base));
}

Interval xlogy(const Interval& x, const Interval& y) {
  if (either_nan(x, y)) return Interval::nan_value(x.precision());
  if (x.is_exact_zero()) return exact_zero(x.precision());
  return x * log(y);
}

Interval xlog1py(const Interval& x, const Interval& y) {
  if (either_nan(x, y)) return Interval::nan_value(x.precision());
  if (x.is_exact_zero()) return exact_zero(x.precision());
  return x * log1p(y);
}

Interval hull(const Interval& a, const Interval& b) {
  if (a.nan && b.nan) return a;
  if (a.nan || b.nan) return Interval::whole(a.precision(), true);
  Interval r(a.precision());
  r.lo_open = pick_open(a.lo, a.lo_excluded(), b.lo, b.lo_excluded(), true, false);
  r.hi_open = pick_open(a.hi, a.hi_excluded(), b.hi, b.hi_excluded(), false, false);
  r.lo_open = (mpfr_min(r.lo, a.lo, b.lo, MPFR_RNDD) != 0) || r.lo_open;
  r.hi_open = (mpfr_max(r.hi, a.hi, b.hi, MPFR_RNDU) != 0) || r.hi_open;
  r.maybe_nan = a.maybe_nan || b.maybe_nan;
  r.nonzero = a.nonzero && b.nonzero;
  r.refresh_nonzero();
  return r;
}

Truth less(const Interval& a, const Interval& b) {
  if (either_nan(a, b)) return Truth::NaN;
  if (a.maybe_nan || b.maybe_nan) return Truth::Unknown;
  if (mpfr_less_p(a.hi, b.lo)) return Truth::True;
  if (mpfr_equal_p(a.hi, b.lo) && (a.hi_excluded() || b.lo_excluded())) return Truth::True;
  if (mpfr_greaterequal_p(a.lo, b.hi)) return Truth::False;
  // Against an exact zero, a known sign decides although the enclosure touches 0.
  if (b.is_exact_zero() && a.nonzero) {
    int s = known_sign(a);
    if (s == 1) return Truth::False;
    if (s == -1) return Truth::True;
  }
  if (a.is_exact_zero() && b.nonzero) {
    int s = known_sign(b);
    if (s == 1) return Truth::True;
    if (s == -1) return Truth::False;
  }
  return Truth::Unknown;
}

Truth less_equal(const Interval& a, const Interval& b) { return logical_not(less(b, a)); }

Truth equal(const Interval& a, const Interval& b) {
  if (either_nan(a, b)) return Truth::NaN;
  if (a.maybe_nan || b.maybe_nan) return Truth::Unknown;
  if (a.is_point() && b.is_point()) return mpfr_equal_p(a.lo, b.lo) ? Truth::True : Truth::False;
  if (mpfr_less_p(a.hi, b.lo) || mpfr_less_p(b.hi, a.lo)) return Truth::False;
  if (mpfr_equal_p(a.hi, b.lo) && (a.hi_excluded() || b.lo_excluded())) return Truth::False;
  if (mpfr_equal_p(b.hi, a.lo) && (b.hi_excluded() || a.lo_excluded())) return Truth::False;
  if ((b.is_exact_zero() && a.nonzero) || (a.is_exact_zero() && b.nonzero)) return Truth::False;
  return Truth::Unknown;
}

Truth logical_not(Truth t) {
  if (t == Truth::True) return Truth::False;
  if (t == Truth::False) return Truth::True;
  return t;
}

Truth logical_and(Truth a, Truth b) {
  if (a == Truth::NaN || b == Truth::NaN) return Truth::NaN;
  if (a == Truth::False || b == Truth::False) return Truth::False;
  if (a == Truth::Unknown || b == Truth::Unknown) return Truth::Unknown;
  return Truth::True;
}

Truth logical_or(Truth a, Truth b) {
  if (a == Truth::NaN || b == Truth::NaN) return Truth::NaN;
  if (a == Truth::True || b == Truth::True) return Truth::True;
  if (a == Truth::Unknown || b == Truth::Unknown) return Truth::Unknown;
  return Truth::False;
}

}  // namespace nnconform::ref
