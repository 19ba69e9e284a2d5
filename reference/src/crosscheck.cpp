// The cross-check: spec formulas in cpp_bin_float point arithmetic (double words with a running
// error bound). See crosscheck.hpp. Nothing here calls MPFR or the interval evaluator: the
// formula language is re-implemented from its definition (the semantics of the reference's
// MachineT in machine.hpp), and so are the arrangement of samples and the rounding to a format.
#include "nnconform/ref/crosscheck.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <string>

#include <boost/math/constants/constants.hpp>
#include <boost/math/policies/policy.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/expm1.hpp>
#include <boost/math/special_functions/log1p.hpp>
#include <boost/multiprecision/cpp_bin_float.hpp>
#include <boost/multiprecision/cpp_int.hpp>

namespace nnconform::ref {
namespace {

namespace mp = boost::multiprecision;
namespace bm = boost::math;

constexpr unsigned kDigits = CrossCheck::kDigits;
using Real = mp::number<mp::cpp_bin_float<kDigits, mp::digit_base_2, void, std::int64_t>, mp::et_off>;
// Twice the digits: the product of two Reals is exact in it, which tells exact operations.
using Wide = mp::number<mp::cpp_bin_float<2 * kDigits, mp::digit_base_2, void, std::int64_t>, mp::et_off>;
// The reference parses special-value texts at 64 bits; so does the cross-check.
using Real64 = mp::number<mp::cpp_bin_float<64, mp::digit_base_2, void, std::int64_t>, mp::et_off>;

// Boost.Math reports domain and overflow errors by value, never by exception (the cross-check
// handles every special argument before calling, so these are a safety net).
using Policy = bm::policies::policy<
    bm::policies::domain_error<bm::policies::ignore_error>, bm::policies::pole_error<bm::policies::ignore_error>,
    bm::policies::overflow_error<bm::policies::ignore_error>, bm::policies::underflow_error<bm::policies::ignore_error>,
    bm::policies::evaluation_error<bm::policies::ignore_error>>;

enum class Truth { False, True, Unknown, NaN };

// --- Error-bound constants. ---------------------------------------------------------------

// One operation of cpp_bin_float errs by at most one ulp, 2^(1 - kDigits) relative (+ - * /
// and sqrt round to nearest, except that Boost 1.74 truncates a subtraction whose operands are
// more than kDigits binades apart, which stays within 3/4 ulp).
const Real kUlp = mp::ldexp(Real(1), 1 - static_cast<int>(kDigits));
// One Boost elementary function: 2^kFunctionUlpsLog2 ulps relative (see crosscheck.hpp).
const Real kFunction = mp::ldexp(Real(1), CrossCheck::kFunctionUlpsLog2 + 1 - static_cast<int>(kDigits));
// An underflowed value: cpp_bin_float has no subnormals and flushes below 2^min_exponent. A
// value that underflowed is replaced by +-kTiny with an error of kTiny/2, so that it keeps its
// sign and stays non-zero (as the reference's `nonzero` flag does); any value this small rounds
// to a signed zero in every target format.
const Real kTiny = mp::ldexp(Real(1), std::numeric_limits<Real>::min_exponent + 4096);
// exp(x) is representable for |x| below about 6.4e18 (= 2^63 ln 2); MPFR's widest exponent
// range, which the reference uses, ends at 2^62.
const Real kExpArgumentLimit = Real(6e18);
const Real kTwoOverSqrtPi = Real(1.1284) + Real(0.0001);  // an upper bound of 2 / sqrt(pi)
// Arguments below this use a Taylor expansion for functions near a constant (exp near 1).
const Real kSmall = mp::ldexp(Real(1), -static_cast<long long>(kDigits) / 2 - 16);

// --- Values: a double word with an error bound. -------------------------------------------

// A value of the formula language is hi + lo, an unevaluated sum: lo keeps what rounding hi to
// kDigits bits lost, however many binades below it (3 - 2^-1074 is held exactly), so that an
// exact midpoint of the target format plus a tiny term is still told from the midpoint. err
// bounds |exact - (hi + lo)| (rounding of each operation, Boost's functions, propagation).
// NaN and +-inf in hi are exact IEEE values. `unknown`: the point evaluation cannot tell the
// value (an infinity times a value of unknown sign, a comparison it cannot decide...), which
// makes every output that depends on it near_boundary. An unknown value may still be known to
// be a finite real (`finite`), maybe of a known sign (`finite_sign` +1 or -1, else 0), and
// maybe `huge`: beyond 2^(2^60), as one that overflowed cpp_bin_float's exponent range (about
// 2^(2^63)) is. A true infinity plus a finite real is that infinity, and a huge value rounds
// to the infinity of its sign in every format (beyond each format's overflow threshold).
struct Num {
  Real hi;
  Real lo = 0;
  Real err = 0;
  bool unknown = false;
  bool finite = false;
  int finite_sign = 0;
  bool huge = false;
};

// floor(log2 |x|) of a finite non-zero x.
long binade(const Real& x) { return x.backend().exponent(); }

Num exact(const Real& v) { return {v, 0, 0, false}; }
Num exact(long v) { return {Real(v), 0, 0, false}; }
Num nan_num() { return {std::numeric_limits<Real>::quiet_NaN(), 0, 0, false}; }
Num inf_num(int sign) {
  return {sign < 0 ? -std::numeric_limits<Real>::infinity() : std::numeric_limits<Real>::infinity(), 0, 0, false};
}
Num unknown_num() { return {0, 0, 0, true, false, 0}; }
Num finite_of_sign(int sign) { return {0, 0, 0, true, true, sign, false}; }  // a finite real, out of reach
Num huge_of_sign(int sign) { return {0, 0, 0, true, true, sign, true}; }     // beyond 2^(2^60)
// A known finite value far below any huge one (|x| < 2^(2^59)): adding it leaves a huge value huge.
bool is_modest(const Num& a) { return !a.unknown && mp::isfinite(a.hi) && (a.hi == 0 || binade(a.hi) < (1LL << 59)); }
Num underflowed(bool negative) { return {negative ? -kTiny : kTiny, 0, kTiny / 2, false}; }
// An underflowed value stands for any value of its sign too small for every target format:
// its sign and its smallness are known, its magnitude is not (log and division would need it).
bool is_underflowed(const Num& a) { return !a.unknown && a.hi != 0 && mp::abs(a.hi) <= 2 * kTiny; }

bool is_nan(const Num& a) { return !a.unknown && mp::isnan(a.hi); }
bool is_inf(const Num& a) { return !a.unknown && mp::isinf(a.hi); }
bool is_finite_real(const Num& a) { return a.unknown ? a.finite : mp::isfinite(a.hi); }
bool is_exact(const Num& a) { return !a.unknown && mp::isfinite(a.hi) && a.err == 0; }
bool is_exact_zero(const Num& a) { return is_exact(a) && a.hi == 0; }
bool is_exactly(const Num& a, long c) { return is_exact(a) && a.hi == c && a.lo == 0; }
bool is_exact_integer(const Num& a) { return is_exact(a) && a.lo == 0 && mp::trunc(a.hi) == a.hi; }
int sign_of(const Real& v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }
Real magnitude(const Num& a) { return mp::abs(a.hi) + mp::abs(a.lo); }

// +1, -1, 0 for an exact zero, 2 when the sign is not known (the error bound reaches 0).
int known_sign(const Num& a) {
  if (a.unknown) return a.finite && a.finite_sign ? a.finite_sign : 2;
  if (mp::isnan(a.hi)) return 2;
  if (mp::isinf(a.hi)) return sign_of(a.hi);
  if (a.hi == 0) return a.err == 0 ? 0 : 2;  // hi = 0 implies lo = 0
  if (mp::abs(a.hi) > mp::abs(a.lo) + a.err) return sign_of(a.hi);
  return 2;
}

// s + e = a + b exactly, s the rounded sum (Knuth's TwoSum). Operands more than kDigits
// binades apart are returned as they are: Boost's subtraction does not round them to nearest.
void two_sum(const Real& a, const Real& b, Real& s, Real& e) {
  if (a == 0 || b == 0 || !mp::isfinite(a) || !mp::isfinite(b)) {
    s = a + b;
    e = 0;
    return;
  }
  long gap = binade(a) - binade(b);
  if (gap > static_cast<long>(kDigits) || -gap > static_cast<long>(kDigits)) {
    s = gap > 0 ? a : b;
    e = gap > 0 ? b : a;
    return;
  }
  s = a + b;
  Real bb = s - a;
  e = (a - (s - bb)) + (b - bb);
}

// The sum of a few small terms, rounded; what the roundings lost is added to `lost`.
Real accumulate(std::initializer_list<Real> terms, Real& lost) {
  Real sum = 0, s, e;
  for (const Real& t : terms) {
    two_sum(sum, t, s, e);
    sum = s;
    lost += mp::abs(e);
  }
  return sum;
}

// A result hi + lo (lo not necessarily small) with its error bound, renormalized. An overflow
// of cpp_bin_float is a finite real out of reach, never an infinity (as in the reference).
Num make(const Real& hi, const Real& lo, const Real& err) {
  if (mp::isinf(hi) && mp::isfinite(err)) return huge_of_sign(sign_of(hi));
  if (!mp::isfinite(hi) || !mp::isfinite(lo) || !mp::isfinite(err)) return unknown_num();
  Num r;
  two_sum(hi, lo, r.hi, r.lo);
  r.err = err;
  return r;
}

// The exact value of a Wide (a residual that fits in kDigits bits), with what did not fit.
Real narrow(const Wide& w, Real& lost) {
  Real r(w);
  lost += mp::abs(r) * kUlp;  // residuals fit exactly; this covers the case that one did not
  return r;
}

// --- Arithmetic. --------------------------------------------------------------------------

Num add(const Num& a, const Num& b) {
  if (is_nan(a) || is_nan(b)) return nan_num();
  if (is_inf(a) && is_inf(b)) return sign_of(a.hi) == sign_of(b.hi) ? a : nan_num();  // inf - inf
  // A true infinity plus any finite real, one beyond the range included, is that infinity.
  if (is_inf(a) && is_finite_real(b)) return a;
  if (is_inf(b) && is_finite_real(a)) return b;
  if (a.unknown || b.unknown) {
    if (!is_finite_real(a) || !is_finite_real(b)) return unknown_num();
    int sa = known_sign(a), sb = known_sign(b);
    if (a.huge && (is_modest(b) || (b.huge && sb == sa))) return a;
    if (b.huge && is_modest(a)) return b;
    return finite_of_sign(sa != 2 && sb != 2 && sa * sb >= 0 ? (sa ? sa : sb) : 0);
  }
  Real s, e, lost = 0;
  two_sum(a.hi, b.hi, s, e);
  Real t = accumulate({e, a.lo, b.lo}, lost);
  return make(s, t, a.err + b.err + lost);
}

Num neg(Num a) {
  a.hi = -a.hi;
  a.lo = -a.lo;
  a.finite_sign = -a.finite_sign;
  return a;
}

Num sub(const Num& a, const Num& b) { return add(a, neg(b)); }

Num mul(const Num& a, const Num& b) {
  if (is_nan(a) || is_nan(b)) return nan_num();
  if (is_inf(a) || is_inf(b)) {
    const Num& inf = is_inf(a) ? a : b;
    const Num& other = is_inf(a) ? b : a;
    int s = known_sign(other);
    if (s == 0) return nan_num();  // inf * 0
    if (s == 2) return unknown_num();
    return inf_num(s * sign_of(inf.hi));
  }
  if (a.unknown || b.unknown) {  // a finite real beyond the range times a finite real
    if (is_exact_zero(a) || is_exact_zero(b)) return exact(0L);
    if (!is_finite_real(a) || !is_finite_real(b)) return unknown_num();
    int sa = known_sign(a), sb = known_sign(b);
    if (sa == 2 || sb == 2) return finite_of_sign(0);
    // Huge times huge, or times a known factor of magnitude 1 or more, stays huge.
    auto at_least_one = [](const Num& x) { return x.huge || (is_modest(x) && mp::abs(x.hi) - x.err >= 1); };
    if ((a.huge || b.huge) && at_least_one(a) && at_least_one(b)) return huge_of_sign(sa * sb);
    return finite_of_sign(sa * sb);
  }
  Real p = a.hi * b.hi;
  if (p == 0 && a.hi != 0 && b.hi != 0) return underflowed((a.hi < 0) != (b.hi < 0));
  if (!mp::isfinite(p)) return huge_of_sign(sign_of(p));
  Real lost = 0;
  Real e = narrow(Wide(a.hi) * Wide(b.hi) - Wide(p), lost);  // the product's rounding error
  Real c1 = a.hi * b.lo, c2 = a.lo * b.hi, c3 = a.lo * b.lo;
  lost += (mp::abs(c1) + mp::abs(c2) + mp::abs(c3)) * kUlp;
  Real t = accumulate({e, c1, c2, c3}, lost);
  return make(p, t, magnitude(a) * b.err + magnitude(b) * a.err + a.err * b.err + lost);
}

Num div(const Num& a, const Num& b) {
  if (is_nan(a) || is_nan(b)) return nan_num();
  if (is_exact_zero(b)) {  // x / 0 = +-inf by the sign of x (the zero's sign is ignored); 0 / 0 = NaN
    int s = known_sign(a);
    if (s == 0) return nan_num();
    if (s == 2) return unknown_num();
    return inf_num(s);
  }
  if (is_inf(a)) {
    if (is_inf(b)) return nan_num();
    int s = known_sign(b);
    if (s == 2) return unknown_num();
    return inf_num(s * sign_of(a.hi));
  }
  if (is_inf(b)) return is_finite_real(a) ? exact(0L) : unknown_num();
  if (a.huge && is_modest(b) && known_sign(b) != 2 && mp::abs(b.hi) + b.err <= 1024)  // a mean of huge losses
    return huge_of_sign(a.finite_sign * known_sign(b));
  if (a.unknown || b.unknown || is_underflowed(b)) return unknown_num();
  if (known_sign(b) == 2) return unknown_num();  // the divisor's error bound reaches 0
  Real q = a.hi / b.hi;
  if (q == 0 && a.hi != 0) return underflowed((a.hi < 0) != (b.hi < 0));
  if (!mp::isfinite(q)) return huge_of_sign(sign_of(q));
  // a / b = q + (a.hi - q b.hi + a.lo - q b.lo) / (b.hi + b.lo); the first difference is exact.
  Real lost = 0;
  Real r = narrow(Wide(a.hi) - Wide(q) * Wide(b.hi), lost);
  Real c = q * b.lo;
  lost += mp::abs(c) * kUlp;
  Real numerator = accumulate({r, a.lo, -c}, lost);
  Real t = numerator / b.hi;  // first order in b.lo / b.hi
  Real bound = lost / mp::abs(b.hi) + mp::abs(t) * (kUlp + 2 * mp::abs(b.lo / b.hi));
  // (a + da) / (b + db) - a / b = (da - (a / b) db) / (b + db).
  Real propagated = (a.err + mp::abs(q) * b.err) / (mp::abs(b.hi) - mp::abs(b.lo) - b.err);
  return make(q, t, propagated + bound);
}

Num abs(Num a) {
  if (a.unknown) {
    if (a.finite_sign) a.finite_sign = 1;
    return a;
  }
  return a.hi < 0 ? neg(a) : a;
}

// NaN-propagating min and max. When the comparison is decided, the result is the selected
// value with its own bound; otherwise either may be the exact result, and as min and max are
// 1-Lipschitz in each argument the larger bound covers both.
Truth less(const Num& a, const Num& b);
Num min_max(const Num& a, const Num& b, bool is_max) {
  if (is_nan(a) || is_nan(b)) return nan_num();
  Truth a_less = less(a, b), b_less = less(b, a);
  if (a_less == Truth::True) return is_max ? b : a;
  if (b_less == Truth::True) return is_max ? a : b;
  if (a.unknown || b.unknown) return unknown_num();
  if (a_less == Truth::False && b_less == Truth::False) return a;  // equal
  Num r = (sub(a, b).hi < 0) == is_max ? b : a;
  r.err = std::max(a.err, b.err);
  return r;
}

// exp(x + e) - exp(x) = r (e^e - 1) <= r e (1 + e) for e <= 1: the effect of an argument error.
std::optional<Real> exp_propagated(const Real& r, const Real& e) {
  if (e > 1) return std::nullopt;
  return r * e * (1 + e);
}

// f(hi + lo), with r = f(hi) from Boost and its error bound `own`: the tail moves the value by
// about |f'(hi) lo| (+ `rest`, a bound of the second-order term), far below `own`, so it joins
// the bound rather than the double word; `propagated` is the effect of the argument's bound.
Num finish(const Real& r, const Real& slope, const Num& a, const Real& own, const Real& rest, const Real& propagated) {
  return make(r, 0, own + mp::abs(slope * a.lo) + rest + propagated);
}

// A function of a value that is not known: nothing is known, unless the function keeps a sign
// of a finite real (exp of one is a positive finite real, tanh keeps its sign...).
Num unknown_image(const Num& a, int sign_if_finite) {
  return a.finite ? finite_of_sign(sign_if_finite) : unknown_num();
}

// exp of a huge value: huge, or too small for any format.
Num exp_of_huge(const Num& a) { return a.finite_sign > 0 ? a : underflowed(false); }

// A function f(x) = c (x + k2 x^2 + k3 x^3 + ...) at a tiny x = hi + lo (|x| < kSmall), as a
// double word: Boost's relative error would hide the x^2 term, which decides the rounding of
// elu(-1e-100) (= 3 expm1(x), 3x exact) when 3x is a midpoint. The series' remainder is below
// |x|^4 (all the coefficients used are below 1), its slope below |c| (1 + 4 |t|).
Num small_series(const Num& a, const Real& c, const Real& k2, const Real& k3) {
  Real x = a.hi, x2 = x * x, x3 = x2 * x;
  Real lost = 0;
  Real main = c * x;
  if (c != 1) lost += mp::abs(main) * 2 * kUlp;  // c itself is rounded
  Real t = accumulate({c * a.lo, c * k2 * x2, c * k3 * x3}, lost);
  lost += (mp::abs(c * a.lo) + mp::abs(x2) + mp::abs(x3)) * 2 * kUlp + x2 * x2 + 2 * mp::abs(a.lo * x);
  return make(main, t, lost + a.err * mp::abs(c) * (1 + 4 * (mp::abs(x) + a.err)));
}

Num exp(const Num& a) {
  if (a.huge) return exp_of_huge(a);
  if (a.unknown) return unknown_image(a, 1);
  if (is_nan(a)) return a;
  if (is_inf(a)) return a.hi > 0 ? a : exact(0L);  // exp(-inf) = 0 exactly
  if (is_exact_zero(a)) return exact(1L);
  if (a.hi < -kExpArgumentLimit) return underflowed(false);
  if (a.hi > kExpArgumentLimit) return huge_of_sign(1);
  auto propagated_at_1 = exp_propagated(Real(2), a.err);
  if (mp::abs(a.hi) < kSmall && propagated_at_1) {
    // exp(x) = 1 + x + x^2/2 + rest, |rest| <= |x|^3: the deviation from 1, which Boost's
    // relative error would swamp (silu(2^-1074) sits just above a midpoint by it).
    Real lost = 0;
    Real t = accumulate({a.hi, a.hi * a.hi / 2, a.lo}, lost);
    Real x3 = mp::abs(a.hi * a.hi * a.hi);
    return make(1, t,
                lost + x3 + mp::abs(a.hi) * kUlp + mp::abs(a.lo) * (mp::abs(a.hi) + mp::abs(a.lo)) + *propagated_at_1);
  }
  Real r = mp::exp(a.hi);
  if (r == 0) return underflowed(false);
  auto propagated = exp_propagated(r, a.err);
  if (!propagated) return unknown_num();
  // Boost reduces the argument by multiples of ln 2 at working precision: an error that
  // grows with |x|.
  return finish(r, r, a, r * kFunction * (1 + mp::abs(a.hi)), 2 * r * a.lo * a.lo, *propagated);
}

Num expm1(const Num& a) {
  if (a.huge) return a.finite_sign > 0 ? a : Num{Real(-1), 0, kTiny};
  if (a.unknown) return unknown_image(a, a.finite_sign);
  if (is_nan(a)) return a;
  if (is_inf(a)) return a.hi > 0 ? a : exact(-1L);
  if (is_exact_zero(a)) return exact(0L);
  if (a.hi < -kExpArgumentLimit) return {Real(-1), 0, kTiny, false};  // -1 + exp(x), exp(x) < kTiny
  if (a.hi > kExpArgumentLimit) return huge_of_sign(1);
  if (mp::abs(a.hi) < kSmall) return small_series(a, 1, Real(1) / 2, Real(1) / 6);
  Real r = bm::expm1(a.hi, Policy());
  auto propagated = exp_propagated(r + 1, a.err);
  if (!propagated) return unknown_num();
  return finish(r, r + 1, a, mp::abs(r) * kFunction * (1 + mp::abs(a.hi)), 2 * (r + 1) * a.lo * a.lo, *propagated);
}

Num log1p(const Num& a);

Num log(const Num& a) {
  if (a.unknown) return unknown_num();
  if (is_nan(a)) return a;
  if (is_exact_zero(a)) return inf_num(-1);  // log(+-0) = -inf
  int s = known_sign(a);
  if (s < 0) return nan_num();
  if (s == 2) return unknown_num();
  if (is_inf(a)) return a;
  if (is_exactly(a, 1)) return exact(0L);
  if (is_underflowed(a)) return unknown_num();  // log of a value of unknown smallness
  // Near 1, log1p of the exact difference x - 1 (Sterbenz) keeps a small result's accuracy.
  if (a.hi > Real(0.75) && a.hi < Real(1.5)) return log1p(sub(a, exact(1L)));
  Real x_low = a.hi - mp::abs(a.lo) - a.err;
  if (x_low <= 0) return unknown_num();
  Real r = mp::log(a.hi);
  Real ratio = a.lo / a.hi;
  // |log(x + e) - log(x)| <= e / (x - e).
  return finish(r, 1 / a.hi, a, mp::abs(r) * kFunction, 2 * ratio * ratio, a.err / x_low);
}

Num log1p(const Num& a) {
  if (a.unknown) return unknown_num();
  if (is_nan(a)) return a;
  if (is_inf(a)) return a.hi > 0 ? a : nan_num();
  if (is_exact_zero(a)) return exact(0L);
  Num u = add(exact(1L), a);  // 1 + x, exact up to the bound
  int s = known_sign(u);
  if (s < 0) return nan_num();
  if (s == 0) return inf_num(-1);  // log1p(-1) = -inf
  if (s == 2) return unknown_num();
  // Near -1, 1 + x is exact (Sterbenz) and log of it loses nothing.
  if (a.hi >= Real(-1.5) && a.hi <= Real(-0.5)) return log(u);
  if (mp::abs(a.hi) < kSmall) return small_series(a, 1, Real(-1) / 2, Real(1) / 3);
  Real one_plus = 1 + a.hi;
  Real u_low = one_plus - mp::abs(a.lo) - a.err;
  if (u_low <= 0) return unknown_num();
  Real r = bm::log1p(a.hi, Policy());
  Real ratio = a.lo / one_plus;
  return finish(r, 1 / one_plus, a, mp::abs(r) * kFunction, 2 * ratio * ratio, a.err / u_low);
}

Num sqrt(const Num& a) {
  if (a.unknown) return unknown_num();
  if (is_nan(a)) return a;
  if (is_exact_zero(a)) return exact(0L);
  int s = known_sign(a);
  if (s < 0) return nan_num();
  if (s == 2) return unknown_num();
  if (is_inf(a)) return a;
  if (a.err > a.hi / 2) return unknown_num();
  Real r = mp::sqrt(a.hi);
  Real lost = 0;
  Real residual = narrow(Wide(a.hi) - Wide(r) * Wide(r), lost);  // exact
  Real t = accumulate({residual, a.lo}, lost) / (2 * r);
  // sqrt(x + d) = r + d / (2r) - d^2 / (8 r^3) + ...: the remainder is below t^2 / r.
  Real bound = lost / (2 * r) + mp::abs(t) * kUlp + t * t / r;
  // |sqrt(x + e) - sqrt(x)| <= e / sqrt(x - e) <= e * sqrt(2) / r.
  return make(r, t, bound + 2 * a.err / r);
}

// tanh and erf: odd, bounded by 1, Lipschitz (constants 1 and 2/sqrt(pi)); beyond |x| = 200
// (tanh) or 45 (erf) the distance to +-1 is below 2^-500 and Boost is not asked.
Num tanh(const Num& a) {
  if (a.huge) return make(Real(a.finite_sign), 0, mp::ldexp(Real(1), -500));
  if (a.unknown) return unknown_image(a, a.finite_sign);
  if (is_nan(a)) return a;
  if (is_inf(a)) return exact(static_cast<long>(sign_of(a.hi)));
  if (is_exact_zero(a)) return exact(0L);
  if (mp::abs(a.hi) > 200) return make(Real(sign_of(a.hi)), 0, mp::ldexp(Real(1), -500) + a.err);
  if (mp::abs(a.hi) < kSmall) return small_series(a, 1, 0, Real(-1) / 3);
  Real r = mp::tanh(a.hi);
  return finish(r, 1 - r * r, a, mp::abs(r) * kFunction * (1 + mp::abs(a.hi)), a.lo * a.lo, a.err);
}

Num erf(const Num& a) {
  if (a.huge) return make(Real(a.finite_sign), 0, mp::ldexp(Real(1), -1000));
  if (a.unknown) return unknown_image(a, a.finite_sign);
  if (is_nan(a)) return a;
  if (is_inf(a)) return exact(static_cast<long>(sign_of(a.hi)));
  if (is_exact_zero(a)) return exact(0L);
  if (mp::abs(a.hi) > 45) return make(Real(sign_of(a.hi)), 0, mp::ldexp(Real(1), -1000) + kTwoOverSqrtPi * a.err);
  if (mp::abs(a.hi) < kSmall) return small_series(a, bm::constants::two_div_root_pi<Real>(), 0, Real(-1) / 3);
  Real r = bm::erf(a.hi, Policy());
  Real slope = a.lo == 0 ? Real(0) : kTwoOverSqrtPi * mp::exp(-a.hi * a.hi);
  return finish(r, slope, a, mp::abs(r) * kFunction, 2 * (1 + mp::abs(a.hi)) * a.lo * a.lo, kTwoOverSqrtPi * a.err);
}

// erfc is decreasing, from 2 at -inf to 0 at +inf; |erfc'(t)| = (2/sqrt(pi)) e^(-t^2) is
// bounded over [x - e, x + e] by its value at the point of smallest |t|.
Num erfc(const Num& a) {
  if (a.huge) return a.finite_sign > 0 ? underflowed(false) : make(2, 0, mp::ldexp(Real(1), -1000));
  if (a.unknown) return unknown_image(a, 1);
  if (is_nan(a)) return a;
  if (is_inf(a)) return a.hi > 0 ? exact(0L) : exact(2L);  // erfc(+inf) = 0 exactly
  if (is_exact_zero(a)) return exact(1L);
  Real nearest = std::max<Real>(mp::abs(a.hi) - mp::abs(a.lo) - a.err, Real(0));
  Real propagated = a.err == 0 ? Real(0) : kTwoOverSqrtPi * a.err * mp::exp(-nearest * nearest);
  if (a.hi > Real(2.4e9)) return underflowed(false);  // erfc(x) < e^(-x^2) < 2^min_exponent
  if (a.hi < -45) return {Real(2), 0, mp::ldexp(Real(1), -1000) + propagated, false};
  if (mp::abs(a.hi) < kSmall) {  // erfc(x) = 1 - (2/sqrt(pi)) (x - x^3/3 + ...): keep the deviation from 1
    Real lost = 0;
    Real c = bm::constants::two_div_root_pi<Real>();
    Real t = accumulate({-c * a.hi, -c * a.lo}, lost);
    Real x3 = mp::abs(a.hi * a.hi * a.hi);
    return make(1, t, lost + x3 + mp::abs(t) * 4 * kUlp + mp::abs(a.lo) * mp::abs(a.hi) * 2 + propagated);
  }
  Real r = bm::erfc(a.hi, Policy());
  if (r == 0) return underflowed(false);
  Real slope = a.lo == 0 ? Real(0) : -kTwoOverSqrtPi * mp::exp(-a.hi * a.hi);
  // Boost's erfc of a large x goes through e^(-x^2): an error that grows with x^2.
  return finish(r, slope, a, r * kFunction * (1 + a.hi * a.hi), mp::abs(slope) * (1 + mp::abs(a.hi)) * a.lo * a.lo,
                propagated);
}

// x^n for an integer n: by squaring, each step an exactness-tracked product (as the reference's
// integer_power: x^0 = 1, x^-n = 1 / x^n).
Num integer_power(const Num& x, long long n) {
  if (n == 0) return exact(1L);
  if (n < 0) return div(exact(1L), integer_power(x, -n));
  Num result = exact(1L), base = x;
  bool first = true;
  for (unsigned long long k = static_cast<unsigned long long>(n); k; k >>= 1) {
    if (k & 1) {
      result = first ? base : mul(result, base);
      first = false;
    }
    if (k > 1) base = mul(base, base);
  }
  return result;
}

Num pow(const Num& a, const Num& b) {
  if (is_nan(a) || is_nan(b)) return nan_num();
  if (a.unknown || b.unknown) return unknown_num();
  if (is_exact_integer(b) && mp::abs(b.hi) < Real(4.6e18)) return integer_power(a, b.hi.convert_to<long long>());
  int s = known_sign(a);
  if (s < 0) return nan_num();  // a negative base to a non-integer power
  if (s == 2) return unknown_num();
  bool a_point = (is_exact(a) && a.lo == 0) || is_inf(a), b_point = (is_exact(b) && b.lo == 0) || is_inf(b);
  if (a_point && b_point) {  // IEEE pow (as mpfr_pow) for a >= 0 and a non-integer b
    if (a.hi == 0) return b.hi > 0 ? exact(0L) : inf_num(1);
    if (is_inf(a)) return b.hi > 0 ? inf_num(1) : exact(0L);
    if (a.hi == 1) return exact(1L);
    if (is_inf(b)) return (a.hi > 1) == (b.hi > 0) ? inf_num(1) : exact(0L);
    Real t = b.hi * mp::log(a.hi);  // the log of the result
    if (t < -kExpArgumentLimit) return underflowed(false);
    if (t > kExpArgumentLimit) return huge_of_sign(1);
    Real r = mp::pow(a.hi, b.hi);
    if (r == 0) return underflowed(false);
    return make(r, 0, mp::abs(r) * kFunction * (1 + mp::abs(t)));
  }
  return exp(mul(b, log(a)));
}

Num xlogy(const Num& x, const Num& y) {
  if (is_nan(x) || is_nan(y)) return nan_num();
  if (is_exact_zero(x)) return exact(0L);
  return mul(x, log(y));
}

Num xlog1py(const Num& x, const Num& y) {
  if (is_nan(x) || is_nan(y)) return nan_num();
  if (is_exact_zero(x)) return exact(0L);
  return mul(x, log1p(y));
}

// Where a condition cannot be decided, the value is known only to lie in the hull of both
// branches (as the reference's where() with an Unknown condition).
Num hull(const Num& a, const Num& b) {
  if (is_nan(a) && is_nan(b)) return a;
  if (is_nan(a) || is_nan(b) || a.unknown || b.unknown) return unknown_num();
  if (is_inf(a) || is_inf(b)) return (is_inf(a) && is_inf(b) && a.hi == b.hi) ? a : unknown_num();
  Real lo = std::min(a.hi + a.lo - a.err, b.hi + b.lo - b.err);
  Real hi = std::max(a.hi + a.lo + a.err, b.hi + b.lo + b.err);
  Real mid = (lo + hi) / 2;
  return make(mid, 0, (hi - lo) / 2 + (mp::abs(lo) + mp::abs(hi)) * 2 * kUlp);
}

// --- Conditions. --------------------------------------------------------------------------

Truth less(const Num& a, const Num& b) {
  if (is_nan(a) || is_nan(b)) return Truth::NaN;
  if (a.unknown || b.unknown) {  // a finite real out of reach against an infinity or a sign
    if (!is_finite_real(a) && !is_inf(a)) return Truth::Unknown;
    if (!is_finite_real(b) && !is_inf(b)) return Truth::Unknown;
    if (is_inf(a)) return a.hi < 0 ? Truth::True : Truth::False;
    if (is_inf(b)) return b.hi > 0 ? Truth::True : Truth::False;
    if (a.huge && is_modest(b)) return a.finite_sign < 0 ? Truth::True : Truth::False;
    if (b.huge && is_modest(a)) return b.finite_sign > 0 ? Truth::True : Truth::False;
    int sa = known_sign(a), sb = known_sign(b);
    if (sa == 2 || sb == 2 || sa == sb) return Truth::Unknown;
    return sa < sb ? Truth::True : Truth::False;
  }
  if (is_inf(a) || is_inf(b)) return a.hi < b.hi ? Truth::True : Truth::False;
  int s = known_sign(sub(a, b));
  if (s == 2) return Truth::Unknown;
  return s < 0 ? Truth::True : Truth::False;
}

Truth equal(const Num& a, const Num& b) {
  if (is_nan(a) || is_nan(b)) return Truth::NaN;
  if (a.unknown || b.unknown) return Truth::Unknown;
  if (is_inf(a) || is_inf(b)) return a.hi == b.hi ? Truth::True : Truth::False;
  int s = known_sign(sub(a, b));
  if (s == 2) return Truth::Unknown;
  return s == 0 ? Truth::True : Truth::False;
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

// --- Numbers in and out. ------------------------------------------------------------------

// The value of a target-format bit pattern, decoded here from the IEEE 754 layout.
Num from_bits(const FloatBits& x) {
  const FormatInfo& f = info(x.format);
  std::uint64_t frac_mask = (std::uint64_t{1} << (f.precision - 1)) - 1;
  std::uint64_t exp_field = (x.bits >> (f.precision - 1)) & ((std::uint64_t{1} << f.exponent_bits) - 1);
  std::uint64_t frac = x.bits & frac_mask;
  bool negative = (x.bits >> (f.storage_bits - 1)) & 1;
  if (exp_field == (std::uint64_t{1} << f.exponent_bits) - 1) return frac ? nan_num() : inf_num(negative ? -1 : 1);
  long e = exp_field == 0 ? 1 - f.bias : static_cast<long>(exp_field) - f.bias;
  std::uint64_t significand = exp_field == 0 ? frac : frac | (std::uint64_t{1} << (f.precision - 1));
  Real v = mp::ldexp(Real(significand), static_cast<long long>(e - (f.precision - 1)));
  return exact(negative ? Real(-v) : v);  // -0 keeps its sign (only special values look at it)
}

// Rounds hi + lo (exactly, as a sum) to the format, to nearest with ties to even, with
// subnormals and overflow; a zero result takes the sign of hi.
FloatBits round_to(const Real& hi, const Real& lo, Format format) {
  const FormatInfo& f = info(format);
  const std::uint64_t sign_bit = std::uint64_t{1} << (f.storage_bits - 1);
  const std::uint64_t max_exp_field = (std::uint64_t{1} << f.exponent_bits) - 1;
  if (mp::isnan(hi)) return FloatBits::quiet_nan(format);
  bool negative = mp::signbit(hi) != 0;
  std::uint64_t sign = negative ? sign_bit : 0;
  FloatBits inf{format, sign | (max_exp_field << (f.precision - 1))};
  if (mp::isinf(hi)) return inf;
  if (hi == 0) return {format, sign};
  const long p = f.precision, emin = 1 - f.bias, emax = f.bias;
  Real magnitude = mp::abs(hi), tail = negative ? Real(-lo) : lo;  // |x| = magnitude + tail
  long e = binade(magnitude);  // 2^e <= magnitude < 2^(e+1)
  if (tail < 0 && magnitude == mp::ldexp(Real(1), static_cast<long long>(e))) --e;  // just below a power of 2
  if (e > emax) return inf;
  if (e < emin - p - 1) return {format, sign};  // below half the smallest subnormal
  long q = std::max(e, emin) - (p - 1);  // the quantum's exponent
  Real s = mp::ldexp(magnitude, static_cast<long long>(-q));  // < 2^p (or = after the adjustment), exact
  Real n_real = mp::floor(s);
  // Position against the midpoint n + 1/2: (s - n - 1/2) is exact, and the scaled tail is
  // smaller than its granularity, so it decides only an exact tie.
  Real d = (s - n_real - Real(0.5)) + mp::ldexp(tail, static_cast<long long>(-q));
  std::uint64_t n = n_real.convert_to<std::uint64_t>();
  if (d > 0 || (d == 0 && (n & 1))) ++n;
  if (n == (std::uint64_t{1} << p)) {  // carried into the next binade
    n >>= 1;
    ++q;
  }
  std::uint64_t hidden = std::uint64_t{1} << (p - 1);
  if (n >= hidden) {
    long field = q + (p - 1) + f.bias;
    if (field >= static_cast<long>(max_exp_field)) return inf;
    return {format, sign | (static_cast<std::uint64_t>(field) << (p - 1)) | (n - hidden)};
  }
  return {format, sign | n};  // subnormal (or zero)
}

FloatBits round_to(const Real& x, Format format) { return round_to(x, Real(0), format); }

// Parses a decimal ("-1.5e-3"), a C99 hex float ("0x1.8p-3"), "inf", "-inf" or "nan" exactly
// when the value has at most kDigits significant bits, else correctly rounded up to an error
// bound of a few ulps.
std::optional<Num> parse_number(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool negative = false;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  std::string rest = text.substr(i);
  if (rest == "inf" || rest == "infinity") return inf_num(negative ? -1 : 1);
  if (rest == "nan") return nan_num();
  bool hex = rest.size() > 2 && rest[0] == '0' && rest[1] == 'x';
  if (hex) i += 2;
  mp::cpp_int mantissa = 0;
  long exponent = 0;  // decimal: powers of 10; hex: powers of 2
  bool any_digit = false, point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (hex && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (digit < 0) break;
    mantissa = mantissa * (hex ? 16 : 10) + digit;
    if (point) exponent -= hex ? 4 : 1;
    any_digit = true;
  }
  if (!any_digit) return std::nullopt;
  if (i < text.size() && text[i] == (hex ? 'p' : 'e')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) exp_negative = text[i++] == '-';
    long e = 0;
    bool exp_digit = false;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      if (e < 100000000) e = e * 10 + (text[i] - '0');
      exp_digit = true;
    }
    if (!exp_digit) return std::nullopt;
    exponent += exp_negative ? -e : e;
  }
  if (i != text.size()) return std::nullopt;
  if (mantissa == 0) return exact(negative ? Real(-Real(0)) : Real(0));
  auto significant_bits = [](const mp::cpp_int& n) { return mp::msb(n) - mp::lsb(n) + 1; };
  auto ulps = [](const Real& v, int n) { return mp::abs(v) * kUlp * n; };
  Num r;
  if (hex) {
    r.hi = mp::ldexp(Real(mantissa), static_cast<long long>(exponent));
    r.err = significant_bits(mantissa) <= kDigits ? Real(0) : ulps(r.hi, 1);
  } else if (exponent >= 0) {
    if (exponent > 400000) return huge_of_sign(negative ? -1 : 1);
    mp::cpp_int n = mantissa * mp::pow(mp::cpp_int(10), static_cast<unsigned>(exponent));
    r.hi = Real(n);
    r.err = significant_bits(n) <= kDigits ? Real(0) : ulps(r.hi, 1);
  } else {
    if (exponent < -400000) return underflowed(negative);
    // m / 10^k = (m / 5^k) 2^-k: exact when 5^k divides m.
    unsigned k = static_cast<unsigned>(-exponent);
    mp::cpp_int five = mp::pow(mp::cpp_int(5), k);
    if (mantissa % five == 0) {
      mp::cpp_int n = mantissa / five;
      r.hi = mp::ldexp(Real(n), -static_cast<long long>(k));
      r.err = significant_bits(n) <= kDigits ? Real(0) : ulps(r.hi, 1);
    } else {
      // Two conversions and a division, each within an ulp.
      r.hi = mp::ldexp(Real(mantissa) / Real(five), -static_cast<long long>(k));
      r.err = ulps(r.hi, 3);
    }
  }
  if (negative) r.hi = -r.hi;
  return r;
}

Num parse_or_throw(const std::string& text, const std::string& what) {
  auto v = parse_number(text);
  if (!v) throw EvalError(what + " '" + text + "' is not a number");
  return *v;
}

// Rounds a number to 64 significant bits (how the reference reads special-value texts).
Num to_64_bits(const Num& a) {
  if (a.unknown || !mp::isfinite(a.hi)) return a;
  Real64 r(a.hi);
  return exact(Real(r));
}

// A text value rounded into the target format (real parameters that are not `exact`).
Num rounded_into(const std::string& text, Format format, const std::string& what) {
  Num v = parse_or_throw(text, what);
  if (v.unknown) throw EvalError(what + " '" + text + "' is out of range");
  return from_bits(round_to(v.hi, format));
}

// --- The formula language. ----------------------------------------------------------------

struct Value {
  enum class Kind { real, condition, string } kind = Kind::real;
  bool vector = false;
  std::vector<Num> reals;
  std::vector<Truth> conditions;
  std::string text;

  std::size_t size() const { return kind == Kind::real ? reals.size() : conditions.size(); }
  static Value scalar(Num v) {
    Value r;
    r.reals.push_back(std::move(v));
    return r;
  }
  static Value string(std::string s) {
    Value r;
    r.kind = Kind::string;
    r.text = std::move(s);
    return r;
  }
};

using Env = std::map<std::string, Value>;

class Walker {
 public:
  explicit Walker(const SpecSet& specs) : specs_(specs) {}

  // Evaluates fn on one sample whose inputs and parameters are in env.
  Value call(const FunctionSpec& fn, Env env) {
    if (auto sv = nested_special_value(fn, env)) return Value::scalar(*sv);
    bind_input_defaults(fn, env);
    for (const auto& q : fn.requires_) {
      Value ok = eval(*q.check.expr, fn, env);
      for (Truth t : ok.conditions)
        if (t == Truth::False) throw EvalError(q.message);  // NaN (or undecided) lets it through
    }
    for (const auto& def : fn.definitions) env[def.name] = eval(*def.expr, fn, env);
    return eval(*fn.formula, fn, env);
  }

  // Optional inputs that were not given take their default formulas (cross_entropy's w).
  void bind_input_defaults(const FunctionSpec& fn, Env& env) {
    for (const auto& in : fn.inputs)
      if (in.default_expr && !env.count(in.name)) env[in.name] = eval(*in.default_expr, fn, env);
  }

  Value eval(const Expr& e, const FunctionSpec& fn, const Env& env) {
    switch (e.kind) {
      case Expr::Kind::Number: {
        auto it = literals_.find(e.text);
        if (it == literals_.end()) it = literals_.emplace(e.text, parse_or_throw(e.text, "number")).first;
        return Value::scalar(it->second);
      }
      case Expr::Kind::String: return Value::string(e.text);
      case Expr::Kind::Name: {
        auto it = env.find(e.text);
        if (it != env.end()) return it->second;
        if (fn.input(e.text))
          throw EvalError("input '" + e.text + "' is needed with these parameters but was not given");
        if (e.text == "inf") return Value::scalar(inf_num(1));
        if (e.text == "pi") {
          Real pi = bm::constants::pi<Real>();
          return Value::scalar(Num{pi, 0, pi * kUlp, false});
        }
        throw EvalError("unbound name '" + e.text + "'");
      }
      case Expr::Kind::Unary: {
        Value a = eval(*e.args[0], fn, env);
        if (e.op == Op::Not) {
          for (auto& c : a.conditions) c = logical_not(c);
          return a;
        }
        for (auto& x : a.reals) x = neg(x);
        return a;
      }
      case Expr::Kind::Binary: return binary(e, fn, env);
      case Expr::Kind::Index: {
        Value v = eval(*e.args[0], fn, env);
        Value i = eval(*e.args[1], fn, env);
        const Num& index = i.reals.at(0);
        if (is_nan(index)) return Value::scalar(nan_num());
        if (!is_exact_integer(index)) throw EvalError("index " + to_string(*e.args[1]) + " is not an integer");
        if (index.hi < 0 || index.hi >= static_cast<long>(v.reals.size()))
          throw EvalError("index " + to_string(*e.args[1]) + " is out of range");
        return Value::scalar(v.reals[index.hi.convert_to<std::size_t>()]);
      }
      case Expr::Kind::Call: return call_expr(e, fn, env);
    }
    throw EvalError("unexpected expression");
  }

 private:
  const SpecSet& specs_;
  std::map<std::string, Num> literals_;  // number literals, parsed once

  // A special value declared by fn at these exact scalar arguments, texts read at 64 bits.
  std::optional<Num> nested_special_value(const FunctionSpec& fn, const Env& env) {
    for (const auto& sv : fn.special_values) {
      bool match = true;
      for (const auto& [name, text] : sv.inputs) {
        auto it = env.find(name);
        if (it == env.end() || it->second.vector || it->second.kind != Value::Kind::real) {
          match = false;
          break;
        }
        const Num& a = it->second.reals.at(0);
        Num want = to_64_bits(parse_or_throw(text, "special value"));
        if (is_nan(want)) match = is_nan(a);
        else if (!(is_exact(a) || is_inf(a)) || a.hi != want.hi || a.lo != 0) match = false;
        else if (want.hi == 0 && text.find('-') != std::string::npos) match = mp::signbit(a.hi) != 0;
        if (!match) break;
      }
      if (match) return to_64_bits(parse_or_throw(sv.result, "special value"));
    }
    return std::nullopt;
  }

  template <typename F>
  Value map2(const Value& a, const Value& b, F f) {
    if (a.vector && b.vector && a.size() != b.size())
      throw EvalError("vectors of lengths " + std::to_string(a.size()) + " and " + std::to_string(b.size()) +
                      " in one elementwise operation");
    Value r;
    r.vector = a.vector || b.vector;
    std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) f(r, a, a.vector ? i : 0, b, b.vector ? i : 0);
    return r;
  }

  Value binary(const Expr& e, const FunctionSpec& fn, const Env& env) {
    Value a = eval(*e.args[0], fn, env);
    Value b = eval(*e.args[1], fn, env);
    if (a.kind == Value::Kind::string) {  // enum == 'text' or enum != 'text'
      Value r;
      r.kind = Value::Kind::condition;
      bool eq = a.text == b.text;
      r.conditions.push_back((e.op == Op::Eq) == eq ? Truth::True : Truth::False);
      return r;
    }
    if (e.op == Op::And || e.op == Op::Or) {
      return map2(a, b, [&](Value& r, const Value& x, std::size_t i, const Value& y, std::size_t j) {
        r.kind = Value::Kind::condition;
        r.conditions.push_back(e.op == Op::And ? logical_and(x.conditions[i], y.conditions[j])
                                               : logical_or(x.conditions[i], y.conditions[j]));
      });
    }
    return map2(a, b, [&](Value& r, const Value& x, std::size_t i, const Value& y, std::size_t j) {
      const Num& u = x.reals[i];
      const Num& v = y.reals[j];
      auto cond = [&](Truth t) {
        r.kind = Value::Kind::condition;
        r.conditions.push_back(t);
      };
      switch (e.op) {
        case Op::Add: r.reals.push_back(add(u, v)); break;
        case Op::Sub: r.reals.push_back(sub(u, v)); break;
        case Op::Mul: r.reals.push_back(mul(u, v)); break;
        case Op::Div: r.reals.push_back(div(u, v)); break;
        case Op::Pow: r.reals.push_back(pow(u, v)); break;
        case Op::Lt: cond(less(u, v)); break;
        case Op::Le: cond(logical_not(less(v, u))); break;
        case Op::Gt: cond(less(v, u)); break;
        case Op::Ge: cond(logical_not(less(u, v))); break;
        case Op::Eq: cond(equal(u, v)); break;
        case Op::Ne: cond(logical_not(equal(u, v))); break;
        default: throw EvalError("bad operator");
      }
    });
  }

  static Value unary_map(const Value& a, Num (*f)(const Num&)) {
    Value r;
    r.vector = a.vector;
    for (const auto& x : a.reals) r.reals.push_back(f(x));
    return r;
  }

  Value call_expr(const Expr& e, const FunctionSpec& fn, const Env& env) {
    const std::string& name = e.text;
    if (find_builtin(name)) {
      if (name == "where") return where(e, fn, env);
      std::vector<Value> a;
      for (const auto& arg : e.args) a.push_back(eval(*arg, fn, env));
      static const std::map<std::string, Num (*)(const Num&)> unary = {
          {"exp", exp},   {"expm1", expm1}, {"log", log}, {"log1p", log1p},
          {"sqrt", sqrt}, {"tanh", tanh},   {"erf", erf}, {"erfc", erfc},
      };
      if (auto it = unary.find(name); it != unary.end()) return unary_map(a[0], it->second);
      if (name == "abs") {
        Value r = a[0];
        for (auto& x : r.reals) x = abs(x);
        return r;
      }
      if (a.size() == 2 && (name == "min" || name == "max" || name == "pow" || name == "xlogy" || name == "xlog1py")) {
        std::function<Num(const Num&, const Num&)> f;
        if (name == "min") f = [](const Num& x, const Num& y) { return min_max(x, y, false); };
        else if (name == "max") f = [](const Num& x, const Num& y) { return min_max(x, y, true); };
        else if (name == "pow") f = pow;
        else if (name == "xlogy") f = xlogy;
        else f = xlog1py;
        return map2(a[0], a[1], [&f](Value& r, const Value& x, std::size_t i, const Value& y, std::size_t j) {
          r.reals.push_back(f(x.reals[i], y.reals[j]));
        });
      }
      if (name == "concat") {
        Value r = a[0];
        r.vector = true;
        r.reals.insert(r.reals.end(), a[1].reals.begin(), a[1].reals.end());
        return r;
      }
      if (name == "ones") {
        Value r;
        r.vector = true;
        r.reals.assign(count(a[0], "ones: length"), exact(1L));
        return r;
      }
      if (name == "groupmax") return groupmax(a[0], a[1]);
      if (name == "slice") {
        std::size_t start = count(a[1], "slice: start"), length = count(a[2], "slice: length");
        if (start + length > a[0].reals.size()) throw EvalError("slice: outside the vector");
        Value r;
        r.vector = true;
        r.reals.assign(a[0].reals.begin() + static_cast<std::ptrdiff_t>(start),
                       a[0].reals.begin() + static_cast<std::ptrdiff_t>(start + length));
        return r;
      }
      if (name == "repeat") {
        std::size_t k = count(a[1], "repeat: count");
        Value r;
        r.vector = true;
        for (const auto& x : a[0].reals) r.reals.insert(r.reals.end(), k, x);
        return r;
      }
      if (name == "groupfirst") {
        std::size_t k = count(a[1], "group size");
        if (k == 0 || a[0].conditions.size() % k != 0) throw EvalError("length is not a multiple of the group size");
        Value r;
        r.kind = Value::Kind::condition;
        r.vector = true;
        for (std::size_t g = 0; g < a[0].conditions.size(); g += k) {
          Truth seen = Truth::False;
          for (std::size_t i = 0; i < k; ++i) {
            Truth t = a[0].conditions[g + i];
            r.conditions.push_back(logical_and(t, logical_not(seen)));
            seen = logical_or(seen, t);
          }
        }
        return r;
      }
      if (name == "len") return Value::scalar(exact(static_cast<long>(a[0].size())));
      if (name == "onehot") return onehot(a[0], a[1]);
      return reduce(name, a[0]);
    }
    const FunctionSpec* callee = specs_.find(name);
    if (!callee) throw EvalError("unknown function '" + name + "'");
    return call_spec(e, *callee, fn, env);
  }

  Value where(const Expr& e, const FunctionSpec& fn, const Env& env) {
    Value c = eval(*e.args[0], fn, env);
    // A branch is evaluated only where some element selects it (or cannot tell).
    bool need_a = false, need_b = false;
    for (Truth t : c.conditions) {
      need_a |= t == Truth::True || t == Truth::Unknown;
      need_b |= t == Truth::False || t == Truth::Unknown;
    }
    Value a, b;
    if (need_a) a = eval(*e.args[1], fn, env);
    if (need_b) b = eval(*e.args[2], fn, env);
    std::size_t n = std::max({c.size(), a.size(), b.size()});
    for (const Value* v : {&c, &a, &b})
      if (v->vector && v->size() != n) throw EvalError("where: vectors of different lengths");
    Value r;
    r.vector = c.vector || a.vector || b.vector;
    for (std::size_t i = 0; i < n; ++i) {
      switch (c.conditions[c.vector ? i : 0]) {
        case Truth::True: r.reals.push_back(a.reals[a.vector ? i : 0]); break;
        case Truth::False: r.reals.push_back(b.reals[b.vector ? i : 0]); break;
        case Truth::NaN: r.reals.push_back(nan_num()); break;
        case Truth::Unknown: r.reals.push_back(hull(a.reals[a.vector ? i : 0], b.reals[b.vector ? i : 0])); break;
      }
    }
    return r;
  }

  // A scalar that must be an exact non-negative integer (a length or a group size).
  static std::size_t count(const Value& v, const std::string& what) {
    const Num& n = v.reals.at(0);
    if (!is_exact_integer(n) || n.hi < 0 || n.hi > 1e9) throw EvalError(what + " is not a non-negative integer");
    return n.hi.convert_to<std::size_t>();
  }

  // The maximum of each group of k consecutive entries (maxout).
  Value groupmax(const Value& v, const Value& group) {
    std::size_t k = count(group, "group size");
    if (k == 0) throw EvalError("group size is not a positive integer");
    if (v.reals.size() % k != 0) throw EvalError("length is not a multiple of the group size");
    Value r;
    r.vector = true;
    for (std::size_t g = 0; g < v.reals.size(); g += k) {
      Num m = v.reals[g];
      for (std::size_t i = 1; i < k; ++i) m = min_max(m, v.reals[g + i], true);
      r.reals.push_back(m);
    }
    return r;
  }

  Value onehot(const Value& index, const Value& length) {
    const Num& k = index.reals.at(0);
    long n = static_cast<long>(count(length, "onehot: length"));
    Value r;
    r.vector = true;
    for (long i = 0; i < n; ++i) {
      if (is_nan(k)) r.reals.push_back(nan_num());
      else if (!is_exact_integer(k)) throw EvalError("onehot: index is not an integer");
      else r.reals.push_back(exact(k.hi == i ? 1L : 0L));
    }
    return r;
  }

  Value reduce(const std::string& name, const Value& v) {
    if (v.reals.empty()) {
      if (name == "sum") return Value::scalar(exact(0L));
      throw EvalError(name + " of an empty vector");
    }
    if (name == "argmax") {  // the lowest index among the maxima; NaN anywhere gives NaN
      std::size_t best = 0;
      for (std::size_t i = 0; i < v.reals.size(); ++i) {
        if (is_nan(v.reals[i])) return Value::scalar(nan_num());
        Truth t = less(v.reals[best], v.reals[i]);
        if (t == Truth::Unknown) return Value::scalar(unknown_num());
        if (t == Truth::True) best = i;
      }
      return Value::scalar(exact(static_cast<long>(best)));
    }
    Num acc = v.reals[0];
    for (std::size_t i = 1; i < v.reals.size(); ++i) {
      if (name == "max") acc = min_max(acc, v.reals[i], true);
      else if (name == "min") acc = min_max(acc, v.reals[i], false);
      else acc = add(acc, v.reals[i]);
    }
    if (name == "mean") acc = div(acc, exact(static_cast<long>(v.reals.size())));
    return Value::scalar(acc);
  }

  // A call of another spec function: positional arguments bind its inputs then its
  // parameters; parameters not given take their defaults as exact decimals; a vector passed
  // for a scalar input maps the (elementwise) callee over it.
  Value call_spec(const Expr& e, const FunctionSpec& callee, const FunctionSpec& fn, const Env& env) {
    Env args, params;
    for (const auto& ps : callee.params) {
      if (!ps.default_value) continue;
      params[ps.name] = ps.type == ParamType::enumeration ? Value::string(*ps.default_value)
                                                          : Value::scalar(parse_or_throw(*ps.default_value, "default"));
    }
    for (std::size_t i = 0; i < e.args.size(); ++i) {
      std::string target = e.keywords[i];
      if (target.empty())
        target = i < callee.inputs.size() ? callee.inputs[i].name : callee.params.at(i - callee.inputs.size()).name;
      Value v = eval(*e.args[i], fn, env);
      (callee.input(target) ? args : params)[target] = std::move(v);
    }
    std::optional<std::size_t> mapped;
    for (const auto& in : callee.inputs) {
      auto it = args.find(in.name);
      if (it != args.end() && in.shape == Shape::scalar && it->second.vector) mapped = it->second.size();
    }
    auto frame = [&](std::size_t i) {
      Env f = params;
      for (const auto& [k, v] : args) {
        if (mapped && v.vector && callee.input(k)->shape == Shape::scalar) f[k] = Value::scalar(v.reals.at(i));
        else f[k] = v;
      }
      return f;
    };
    if (!mapped) return call(callee, frame(0));
    Value r;
    r.vector = true;
    for (std::size_t i = 0; i < *mapped; ++i) r.reals.push_back(call(callee, frame(i)).reals.at(0));
    return r;
  }
};

// --- Rounding with the error bound. -------------------------------------------------------

struct Rounded {
  FloatBits value;
  bool near_boundary;
};

Rounded round_checked(const Num& x, Format format) {
  if (x.huge) return {FloatBits::infinity(format, x.finite_sign < 0), false};  // beyond every format
  if (x.unknown) return {FloatBits::quiet_nan(format), true};
  if (is_nan(x)) return {FloatBits::quiet_nan(format), false};
  if (is_inf(x)) return {round_to(x.hi, format), false};
  // An exact zero is +0; an underflowed value keeps its sign (kTiny is not zero).
  auto rounded = [format](const Num& v) {
    return v.hi == 0 ? FloatBits::zero(format, false) : round_to(v.hi, v.lo, format);
  };
  FloatBits value = rounded(x);
  if (x.err == 0) return {value, false};
  // Both ends of [value - err, value + err] must round alike.
  Num lower = make(x.hi, x.lo - x.err, 0), upper = make(x.hi, x.lo + x.err, 0);
  return {value, lower.unknown || upper.unknown || !(rounded(lower) == rounded(upper))};
}

// --- Validation and arrangement of the samples. -------------------------------------------

struct Sample {
  std::map<std::string, FloatBits> scalars;
  std::map<std::string, std::vector<FloatBits>> rows;
  std::map<std::string, long> indices;
  std::map<std::string, FloatBits> channel_params;  // per-channel parameters: this element's
};

bool is_per_channel_list(const ParamSpec& ps, const std::string& text) {
  return ps.per_channel && text.find(',') != std::string::npos;
}

// A comma-separated list of values, each rounded into the format.
std::vector<FloatBits> parse_list(const std::string& text, Format format, const std::string& what) {
  std::vector<FloatBits> out;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    Num v = parse_or_throw(item, what);
    if (v.unknown) throw EvalError(what + " '" + item + "' is out of range");
    out.push_back(is_nan(v) ? FloatBits::quiet_nan(format) : round_to(v.hi, format));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

void validate(const FunctionSpec& fn, Format format, const Arguments& args) {
  for (const auto& [name, t] : args.inputs)
    if (!fn.input(name)) throw EvalError(fn.name + ": unknown input '" + name + "'");
  for (const auto& [name, text] : args.params) {
    const ParamSpec* ps = fn.param(name);
    if (!ps) throw EvalError(fn.name + ": unknown parameter '" + name + "'");
    if (ps->type == ParamType::enumeration) {
      if (std::find(ps->values.begin(), ps->values.end(), text) == ps->values.end())
        throw EvalError(fn.name + ": parameter '" + name + "' has no value '" + text + "'");
      continue;
    }
    // Checked as the reference does: reals rounded into the format (binary64 when `exact`).
    Format param_format = ps->type == ParamType::real && !ps->exact ? format : Format::binary64;
    std::vector<FloatBits> values =
        is_per_channel_list(*ps, text)
            ? parse_list(text, param_format, "parameter")
            : std::vector<FloatBits>{round_to(parse_or_throw(text, "parameter").hi, param_format)};
    for (const FloatBits& v : values) {
      double d = v.to_double();
      if (std::isnan(d)) throw EvalError(fn.name + ": parameter '" + name + "' must not be NaN");
      if (ps->type == ParamType::integer && std::floor(d) != d)
        throw EvalError(fn.name + ": parameter '" + name + "' must be an integer");
      if (ps->range && !ps->range->contains(d))
        throw EvalError(fn.name + ": parameter '" + name + "' = " + text + " is outside " + ps->range->str());
    }
  }
  for (const auto& ps : fn.params)
    if (ps.required && !args.params.count(ps.name))
      throw EvalError(fn.name + ": missing required parameter '" + ps.name + "'");
  for (const auto& in : fn.inputs) {
    auto it = args.inputs.find(in.name);
    if (it == args.inputs.end()) {
      if (in.optional) continue;
      throw EvalError(fn.name + ": missing input '" + in.name + "'");
    }
    const Tensor& t = it->second;
    bool index = in.type == InputType::index;
    if (t.size() == 0 || (index ? t.indices.size() : t.values.size()) != t.size())
      throw EvalError(fn.name + ": input '" + in.name + "' is empty or holds the wrong kind of values");
    if (t.shape.size() > 2) throw EvalError(fn.name + ": input '" + in.name + "' has more than 2 dimensions");
    if (in.shape == Shape::vector && t.shape.empty())
      throw EvalError(fn.name + ": input '" + in.name + "' must be a vector");
    if (in.shape == Shape::scalar && !fn.elementwise() && t.shape.size() > 1)
      throw EvalError(fn.name + ": input '" + in.name + "' is one scalar per row");
    for (const FloatBits& v : t.values) {
      if (v.is_nan()) {
        if (!in.nan_allowed) throw EvalError(fn.name + ": input '" + in.name + "' holds a NaN");
        continue;
      }
      if (in.domain && !in.domain->contains(v.to_double()))
        throw EvalError(fn.name + ": input '" + in.name + "' is outside its domain " + in.domain->str());
    }
  }
}

// Splits the inputs into samples: the elements of elementwise tensors, or the rows of a
// batch ([C] is one row, [N, C] is N rows; axis 0 or -2 transposes 2-D vector inputs first).
std::vector<Sample> arrange(const FunctionSpec& fn, Format format, const Arguments& args,
                            std::vector<std::size_t>& sample_shape, bool& transposed) {
  std::map<std::string, Tensor> inputs = args.inputs;
  std::vector<Sample> samples;
  transposed = false;
  if (fn.elementwise()) {
    for (const auto& [name, t] : inputs) {
      if (t.shape.empty()) continue;
      if (sample_shape.empty()) sample_shape = t.shape;
      else if (t.shape != sample_shape) throw EvalError(fn.name + ": inputs have different shapes");
    }
    std::size_t n = std::accumulate(sample_shape.begin(), sample_shape.end(), std::size_t{1}, std::multiplies<>());
    for (std::size_t i = 0; i < n; ++i) {
      Sample s;
      for (const auto& [name, t] : inputs) {
        std::size_t k = t.shape.empty() ? 0 : i;
        if (fn.input(name)->type == InputType::index) s.indices[name] = t.indices[k];
        else s.scalars[name] = t.values[k];
      }
      // A per-channel parameter: one value per entry of the inputs' last axis.
      for (const auto& ps : fn.params) {
        auto it = args.params.find(ps.name);
        if (it == args.params.end() || !is_per_channel_list(ps, it->second)) continue;
        auto channels = parse_list(it->second, ps.exact ? Format::binary64 : format, "parameter");
        if (sample_shape.empty() || sample_shape.back() != channels.size())
          throw EvalError(fn.name + ": parameter '" + ps.name + "' needs one value per channel (the last axis)");
        s.channel_params[ps.name] = channels[i % channels.size()];
      }
      samples.push_back(std::move(s));
    }
    return samples;
  }
  auto axis = args.params.find("axis");
  if (axis != args.params.end() && (axis->second == "0" || axis->second == "-2")) {
    for (auto& [name, t] : inputs) {
      if (fn.input(name)->shape != Shape::vector || t.shape.size() != 2) continue;
      std::size_t r = t.shape[0], c = t.shape[1];
      Tensor tt = t;
      tt.shape = {c, r};
      for (std::size_t i = 0; i < r; ++i)
        for (std::size_t j = 0; j < c; ++j) tt.values[j * r + i] = t.values[i * c + j];
      t = std::move(tt);
      transposed = true;
    }
  }
  std::optional<std::size_t> batch;
  for (const auto& [name, t] : inputs) {
    bool vector = fn.input(name)->shape == Shape::vector;
    if (t.shape.size() != (vector ? 2u : 1u)) continue;
    if (batch && *batch != t.shape[0]) throw EvalError(fn.name + ": inputs have different numbers of rows");
    batch = t.shape[0];
  }
  if (batch) sample_shape = {*batch};
  for (std::size_t r = 0; r < batch.value_or(1); ++r) {
    Sample s;
    for (const auto& [name, t] : inputs) {
      const InputSpec& in = *fn.input(name);
      bool batched = t.shape.size() == (in.shape == Shape::vector ? 2u : 1u);
      if (in.shape == Shape::vector) {
        std::size_t width = t.shape.back(), start = batched ? r * width : 0;
        s.rows[name].assign(t.values.begin() + start, t.values.begin() + start + width);
      } else if (in.type == InputType::index) {
        s.indices[name] = t.indices[batched ? r : 0];
      } else {
        s.scalars[name] = t.values[batched ? r : 0];
      }
    }
    samples.push_back(std::move(s));
  }
  return samples;
}

// The function's parameters as values: enums as text, integers and `exact` reals as their
// exact decimals, other reals rounded into the target format.
Env bind_params(const FunctionSpec& fn, const Arguments& args, Format format) {
  Env env;
  for (const auto& ps : fn.params) {
    auto it = args.params.find(ps.name);
    std::string text = it != args.params.end() ? it->second : ps.default_value.value_or("");
    if (ps.type == ParamType::enumeration) env[ps.name] = Value::string(text);
    else if (is_per_channel_list(ps, text)) continue;  // bound per sample
    else if (ps.type == ParamType::integer || ps.exact) env[ps.name] = Value::scalar(parse_or_throw(text, "parameter"));
    else env[ps.name] = Value::scalar(rounded_into(text, format, "parameter"));
  }
  return env;
}

Env env_for(const Sample& s, const Env& params) {
  Env env = params;
  for (const auto& [name, v] : s.channel_params) env[name] = Value::scalar(from_bits(v));
  for (const auto& [name, v] : s.scalars) env[name] = Value::scalar(from_bits(v));
  for (const auto& [name, v] : s.indices) env[name] = Value::scalar(exact(v));
  for (const auto& [name, row] : s.rows) {
    Value val;
    val.vector = true;
    for (const auto& x : row) val.reals.push_back(from_bits(x));
    env[name] = std::move(val);
  }
  return env;
}

// A special value declared at the top level: inputs compared in the target format.
std::optional<FloatBits> special_at_top(const FunctionSpec& fn, const Sample& s, Format format) {
  for (const auto& sv : fn.special_values) {
    bool match = !sv.inputs.empty();
    for (const auto& [name, text] : sv.inputs) {
      auto it = s.scalars.find(name);
      auto want = parse_number(text);
      if (it == s.scalars.end() || !want || want->unknown) {
        match = false;
        break;
      }
      FloatBits w = is_nan(*want) ? FloatBits::quiet_nan(format) : round_to(want->hi, format);
      bool eq =
          w.is_nan() ? it->second.is_nan() : (w.is_zero() ? it->second == w : it->second.to_double() == w.to_double());
      if (!eq) {
        match = false;
        break;
      }
    }
    if (match) {
      auto r = parse_number(sv.result);
      if (!r || r->unknown) throw EvalError(fn.name + ": special value result '" + sv.result + "' is not a number");
      return is_nan(*r) ? FloatBits::quiet_nan(format) : round_to(r->hi, format);
    }
  }
  return std::nullopt;
}

}  // namespace

CrossCheckResult CrossCheck::evaluate(const FunctionSpec& fn, Format format, const Arguments& args) const {
  validate(fn, format, args);
  std::vector<std::size_t> sample_shape;
  bool transposed = false;
  std::vector<Sample> samples = arrange(fn, format, args, sample_shape, transposed);
  Env params = bind_params(fn, args, format);
  Walker walker(specs_);
  CrossCheckResult out;
  auto push = [&](const Rounded& r) {
    out.values.push_back(r.value);
    out.near_boundary.push_back(r.near_boundary);
  };

  std::string reduction = "none";
  if (fn.reduction) {
    auto it = args.params.find("reduction");
    reduction = it != args.params.end() ? it->second : fn.param("reduction")->default_value.value_or("mean");
  }
  if (reduction == "mean" || reduction == "sum") {
    Num total = exact(0L), weight = exact(0L);
    for (const auto& s : samples) {
      Env env = env_for(s, params);
      total = add(total, walker.call(fn, env).reals.at(0));
      if (fn.reduction->weight) {
        walker.bind_input_defaults(fn, env);
        for (const auto& def : fn.definitions) env[def.name] = walker.eval(*def.expr, fn, env);
        weight = add(weight, walker.eval(*fn.reduction->weight->expr, fn, env).reals.at(0));
      }
    }
    if (reduction == "mean")  // a weighted mean divides by the total weight, as PyTorch
      total = div(total, fn.reduction->weight ? weight : exact(static_cast<long>(samples.size())));
    push(round_checked(total, format));
    return out;
  }

  std::size_t width = 0;
  for (const auto& s : samples) {
    if (auto sv = special_at_top(fn, s, format)) {
      push({*sv, false});
      width = 1;
      continue;
    }
    Value v = walker.call(fn, env_for(s, params));
    if (fn.output == Shape::vector) {
      if (width && v.reals.size() != width) throw EvalError(fn.name + ": rows of different lengths");
      width = v.reals.size();
    }
    for (const auto& x : v.reals) push(round_checked(x, format));
  }
  out.shape = sample_shape;
  if (fn.output == Shape::vector) out.shape.push_back(width);
  if (transposed && out.shape.size() == 2) {  // back to the caller's layout
    std::size_t r = out.shape[0], c = out.shape[1];
    CrossCheckResult t = out;
    for (std::size_t i = 0; i < r; ++i)
      for (std::size_t j = 0; j < c; ++j) {
        t.values[j * r + i] = out.values[i * c + j];
        t.near_boundary[j * r + i] = out.near_boundary[i * c + j];
      }
    t.shape = {c, r};
    return t;
  }
  return out;
}

}  // namespace nnconform::ref
