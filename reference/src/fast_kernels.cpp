// The fast reference kernels (kernels.hpp): unary activations in binary64 with proven bounds.
//
// How the bounds are proven
// -------------------------
// * Polynomial approximation errors: Sollya's supnorm (rigorous upper bounds), in
//   fast_poly.sollya; its output fast_poly.inc holds the coefficients and the bounds.
// * Evaluation errors: the standard model fl(a op b) = (a op b)(1 + d), |d| <= u = 2^-53, for
//   + - * / on binary64 numbers whose results are normal (every intermediate below is either
//   normal or accounted for by an absolute term of 2^-1073), and Higham's bound for Horner's
//   rule, gamma(2n) * cond, with cond certified by Sollya (fast_poly.sollya explains).
// * Each kernel's bound is a first-order sum of relative error terms (stated beside it),
//   multiplied by kSecondOrder = 1 + 2^-20: every first-order sum here is below 2^-40, so the
//   neglected products of two or more terms are below 2^-40 times the sum, far inside 2^-20.
// * glibc's libm is not used for any value (it carries no proof): exp, expm1 and log1p are
//   this file's own (exp_core, expm1_neg, log1p_unit); std::ldexp, std::fabs, std::nearbyint,
//   std::ilogb and std::fma are exact operations.
// * The bounds are checked, not only argued: fast_reference_test.cpp verifies on samples and
//   hard cases that every approx enclosure contains the exact value computed by MPFR, and
//   that every decided value equals the reference's.
//
// Inputs: x is a finite nonzero value of binary32, binary16 or bfloat16 (<= 24 significant
// bits), so x*x (<= 48 bits), 2x, 3x and a float parameter times x are exact in binary64.
//
// Kernel names follow <function>/<method>: "exp64" is exp_core, "dd" double-double, "exact"
// an exact rational result decided by expansion arithmetic.
#include "nnconform/ref/fast/kernels.hpp"

#include <mpfr.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "fast_arith.hpp"
#include "fast_poly.inc"
#include "nnconform/ref/mpfr_value.hpp"

namespace nnconform::ref::fast {
namespace {

constexpr double u = 0x1p-53;
constexpr double gamma(int n) { return n * u / (1 - n * u); }
constexpr double kSecondOrder = 1 + 0x1p-20;
constexpr double kTiny = 0x1p-1009;  // > e^-700 (= 2^-1009.9): what is left past |a| = 700
constexpr double kUnderflow = 0x1p-1073;  // covers a binary64 underflow in a final product

// ---------------------------------------------------------------------------------------------
// exp_core(a) = e^a for a in [-700, 0] (a binary64, exact).
// Method: k = nearbyint(a 64/ln2), r = (a - k L1) - k L2 (Cody-Waite), e^a = 2^(k>>6)
//   T[k&63] P(r) with T[j] = RN(2^(j/64)) and P the degree-6 polynomial of fast_poly.sollya.
// Reduction: |k| <= 64630 < 2^17 and L1 has 36 bits, so k L1 is exact and so is a - k L1
//   (Sterbenz: a and k L1 are within a factor 2 for k != 0). k L2 errs by <= 2^-80, the
//   subtraction by <= u |r| <= 2^-60.5, and |ln2/64 - L1 - L2| |k| <= 2^-80: the computed r is
//   within 2^-60.4 of a - k ln2/64 (kExpLTail bounds the tail), and |r| <= (1/2 + 2^-30)
//   ln2/64 + 2^-60 < rho: P's certified interval holds it.
// Error (relative): approx (supnorm) + gamma(12) cond (Horner, degree 6) + 2^-60 (r's error,
//   through e^r) + u (T) + u (the product T P); the scaling by 2^K is exact (the result is
//   normal: e^-700 > 2^-1011).
constexpr double kExpRel =
    (poly::kExpApprox + gamma(12) * poly::kExpCond + 0x1p-60 + 2 * u) * kSecondOrder;

double exp_core(double a) {
  double kd = std::nearbyint(a * poly::kExpInvL);
  double r = (a - kd * poly::kExpL1) - kd * poly::kExpL2;
  long k = static_cast<long>(kd);
  const double* c = poly::kExp;
  double p = c[0] + r * (c[1] + r * (c[2] + r * (c[3] + r * (c[4] + r * (c[5] + r * c[6])))));
  double t = poly::kExp2Table[k & 63] * p;
  return std::ldexp(t, static_cast<int>(k >> 6));  // arithmetic shift: floor(k / 64)
}

// ---------------------------------------------------------------------------------------------
// expm1(a) for a in [-700, 0] (exact binary64).
// a >= -1/4: a Q(a) (fast_poly.sollya, degree 10): approx + gamma(18) cond (Horner on Q,
//   degree 9) + u (the product by a).
// a < -1/4: exp_core(a) - 1. The absolute error kExpRel e^a + u |result| is, relative to
//   |e^a - 1|, at most kExpRel e^a / (1 - e^a) + u <= 3.5209 kExpRel + u (e^a/(1 - e^a) grows
//   with a; at a = -1/4 it is 3.52081).
constexpr double kExpm1PolyRel = (poly::kExpm1Approx + gamma(18) * poly::kExpm1Cond + u) * kSecondOrder;
constexpr double kExpm1ExpRel = (3.5209 * kExpRel + u) * kSecondOrder;
constexpr double kExpm1Rel = kExpm1PolyRel > kExpm1ExpRel ? kExpm1PolyRel : kExpm1ExpRel;

double expm1_neg(double a) {
  if (a >= -0.25) {
    const double* c = poly::kExpm1;
    double q = c[0] + a * (c[1] + a * (c[2] + a * (c[3] + a * (c[4] + a * (c[5] + a * (c[6] + a * (c[7] + a * (c[8] + a * c[9]))))))));
    return a * q;
  }
  return exp_core(a) - 1.0;
}

// ---------------------------------------------------------------------------------------------
// log1p(t) for t in [0, 1] (exact binary64): 2 atanh(s), s = t / (2 + t) in [0, 1/3].
// s: two roundings, s_computed = s (1 + th), |th| <= gamma(2); s <= RN(1/3) < 1/3.
// atanh(s_computed) = atanh(s) (1 + kappa th) to first order, kappa = s atanh'(s)/atanh(s)
//   = s / ((1 - s^2) atanh(s)) <= 1/(1 - 1/9) = 9/8 (atanh(s) >= s).
// z = RN(s^2) = s^2 (1 + 2 th + d), relative error <= 2 gamma(2) + u; Q's condition in z is
//   kAtanhQKappa; Horner on Q (degree 12): gamma(24) cond; approx; one product s Q: u; 2x exact.
// If t carries a relative error e itself, log1p's condition t / ((1 + t) log1p(t)) <= 1 adds e.
constexpr double kAtanhKappa = 9.0 / 8;
constexpr double kLog1pRel =
    (kAtanhKappa * gamma(2) + poly::kAtanhApprox + poly::kAtanhQKappa * (2 * gamma(2) + u) +
     gamma(24) * poly::kAtanhCond + u) * kSecondOrder;

double log1p_unit(double t) {
  double s = t / (2.0 + t);
  double z = s * s;
  const double* q = poly::kAtanhQ;
  double qz = q[12];
  for (int i = 11; i >= 0; --i) qz = q[i] + z * qz;
  return 2.0 * (s * qz);
}

int sign_of(double v) { return v > 0 ? 1 : -1; }

Enclosure approx(double y, double rel, double abs = 0, int sign = 0) {
  return Enclosure::approximate(y, 0, std::fabs(y) * rel + abs, sign ? sign : sign_of(y));
}

// ---------------------------------------------------------------------------------------------
// sigmoid(x) = 1 / (1 + e^-x).
// x > 0: e = exp_core(-x), 1/(1 + e). The error of e weighs e/(1 + e) <= 1/2 in 1 + e:
//   kExpRel/2 + u (the sum) + u (the division).
// x < 0: e = exp_core(x), e/(1 + e): kExpRel (e) + kExpRel/2 + 2u.
// |x| > 700: sigma is within e^-700 < 2^-1009 of 1 (x > 0) or of 0 (x < 0, and positive).
Enclosure k_sigmoid(double x, const KernelParams&) {
  if (x > 700) return Enclosure::approximate(1, 0, kTiny, 1);
  if (x < -700) return Enclosure::approximate(0, 0, kTiny, 1);
  if (x > 0) {
    double e = exp_core(-x);
    return approx(1.0 / (1.0 + e), (kExpRel / 2 + 2 * u) * kSecondOrder);
  }
  double e = exp_core(x);
  return approx(e / (1.0 + e), (1.5 * kExpRel + 2 * u) * kSecondOrder);
}

// tanh(x) = -m / (2 + m), m = expm1(-2|x|) in (-1, 0] (2|x| exact), odd.
// Error: m's kExpm1Rel in the numerator; in 2 + m >= 1 it weighs |m|/(2 + m) <= 1, plus u;
//   the division u: 2 kExpm1Rel + 2u. |x| > 20: 1 - tanh|x| = 2e^-2|x|/(1 + e^-2|x|) < 2^-56.
Enclosure k_tanh(double x, const KernelParams&) {
  double a = std::fabs(x);
  double s = x > 0 ? 1 : -1;
  if (a > 20) return Enclosure::approximate(s, 0, 0x1p-56, sign_of(s));
  double m = expm1_neg(-2 * a);
  return approx(s * (-m / (2.0 + m)), (2 * kExpm1Rel + 2 * u) * kSecondOrder);
}

// softplus(x; beta, threshold) = x where beta x > threshold, else
//   (max(beta x, 0) + log1p(e^-|beta x|)) / beta = x [beta x > 0] + log1p(e^-|b|) / beta.
// b = beta x is exact (two binary32 values). L = log1p_unit(exp_core(-|b|)): kExpRel (through
//   log1p's condition <= 1) + kLog1pRel. L / beta: u (skipped when beta = 1); x + L/beta adds
//   two positive terms: u. |b| > 700: L/beta < 2^-1009 / beta.
Enclosure softplus_core(double x, double beta, double threshold) {
  double b = beta * x;
  if (b > threshold) return Enclosure::exactly(x);
  double a = std::fabs(b);
  if (a > 700) {
    double tail = kTiny / beta + 0x1p-1074;
    if (b > 0) return Enclosure::approximate(x, 0, tail, 1);
    return Enclosure::approximate(0, 0, tail, 1);
  }
  double L = log1p_unit(exp_core(-a));
  double rel = kExpRel + kLog1pRel + u;
  double l = beta == 1 ? L : L / beta;
  if (beta != 1) rel += u;
  if (b > 0) return approx(x + l, (rel + u) * kSecondOrder, 0x1p-1074, 1);
  return approx(l, rel * kSecondOrder, 0x1p-1074, 1);
}

Enclosure k_softplus(double x, const KernelParams& p) { return softplus_core(x, p.v[0], p.v[1]); }

// logsigmoid(x) = -softplus(-x).
Enclosure k_logsigmoid(double x, const KernelParams&) {
  Enclosure e = softplus_core(-x, 1.0, std::numeric_limits<double>::infinity());
  if (e.kind == Enclosure::Kind::exact) {
    e.t[0] = -e.t[0];
    return e;
  }
  e.hi = -e.hi;
  e.lo = -e.lo;
  e.sign = -e.sign;
  return e;
}

// x sigmoid(w) for an exact or double-double w = wh + wl (|wl| <= 2^-42 |wh|) known to within
// relative w_rel. e^-|w| = exp_core(-|wh|) (1 - s wl), s = sign(wh): the neglected wl^2/2 is
// below 2^-85 relative, the product and 1 - s wl two roundings, and w's own error moves e^-|w|
// by <= |w| w_rel (<= 2^-90 for the callers): e_rel = kExpRel + 2u + 2^-84.
// w > 0: x / (1 + e): e_rel/2 + 2u. w < 0: (x e) / (1 + e): 1.5 e_rel + 3u, and 2^-1073 for
// a product x e that may fall below the normal range when |x| is tiny.
// |wh| > 700: x sigmoid(w) is within |x| 2^-1009 of x (w > 0) or of 0 (w < 0, sign of x).
//
// |w| <= 2^-10: x sigmoid(w) = x/2 + x (w/4 - w^3/48) + R, |R| <= |x| |w|^5 / 480 (sigmoid(w)
// = 1/2 + tanh(w/2)/2, and tanh's Taylor series alternates with decreasing terms there, so the
// first omitted term bounds the rest). Kept as the pair x/2 (exact) + the small term: near 0
// the value sits within x^2/4 of x/2, which is a rounding boundary whenever x/2 is a midpoint
// (x an odd multiple of the smallest subnormal, and the like), so it must not be rounded
// into one double. The small term: x wh (u), /4 exact, 1 - wh^2/12 (3u), the product (u), and
// x wl/4 <= 2^-52 of it: within 6u of itself.
Enclosure x_sigmoid(double x, double wh, double wl) {
  if (std::fabs(wh) <= 0x1p-10) {
    double small = (x * wh) * 0.25 * (1.0 - (wh * wh) / 12.0);
    double w = std::fabs(wh) * (1 + 0x1p-50);
    double rest = std::fabs(x) * (w * w) * (w * w) * w / 480 * kSecondOrder;
    return Enclosure::approximate(x * 0.5, small, rest + std::fabs(small) * 6 * u * kSecondOrder + 0x1p-1074, sign_of(x));
  }
  if (wh > 700) return Enclosure::approximate(x, 0, std::fabs(x) * kTiny, sign_of(x));
  if (wh < -700) return Enclosure::approximate(0, 0, std::fabs(x) * kTiny + 0x1p-1074, sign_of(x));
  double s = wh > 0 ? 1 : -1;
  double e = exp_core(-std::fabs(wh));
  double e_rel = kExpRel;
  if (wl != 0) {
    e *= 1.0 - s * wl;
    e_rel += 2 * u + 0x1p-84;
  }
  if (wh >= 0) return approx(x / (1.0 + e), (e_rel / 2 + 2 * u) * kSecondOrder);
  return approx((x * e) / (1.0 + e), (1.5 * e_rel + 3 * u) * kSecondOrder, kUnderflow);
}

// silu(x) = x sigmoid(x); swish(x; beta) = x sigmoid(beta x), beta x exact.
Enclosure k_silu(double x, const KernelParams&) { return x_sigmoid(x, x, 0); }
Enclosure k_swish(double x, const KernelParams& p) { return x_sigmoid(x, p.v[0] * x, 0); }

// gelu_tanh(x) = x sigmoid(w), w = c1 (x + k x^3), c1 = 2 sqrt(2/pi), k = 0.044715 (both
// double-double, within 2^-106 relative, from MPFR). In double-double: x^2 exact, x^3 exact
// (two_prod), k x^3 within 2^-102.4, x + k x^3 (terms of one sign) within 2^-101.6, w within
// 2^-101 relative: |w| w_rel < 2^-90 for |w| <= 700.
Enclosure k_gelu_tanh(double x, const KernelParams& p) {
  double z = x * x;
  auto [x3h, x3l] = two_prod(z, x);
  auto [kh, kl] = two_prod(p.c_hi[1], x3h);
  kl += p.c_hi[1] * x3l + p.c_lo[1] * x3h;
  auto [sh, sl] = two_sum(x, kh);
  sl += kl;
  auto [wh, wl] = two_prod(p.c_hi[0], sh);
  wl += p.c_hi[0] * sl + p.c_lo[0] * sh;
  auto [w1, w2] = fast_two_sum(wh, wl);
  return x_sigmoid(x, w1, w2);
}

// mish(x) = x tanh(softplus(x)) = x n / (n + 2), n = e (e + 2), e = e^x (x < 0);
//         = x (1 - q), q = 2t^2 / (1 + 2t + 2t^2), t = e^-x (x > 0).
// x < 0: e + 2: kExpRel/3 + u; n: 4/3 kExpRel + 2u; n + 2: (3/5) rel(n) + u (n <= 3);
//   n/(n + 2): 8/5 rel(n) + 2u; times x: u. Total 32/15 kExpRel + 6.2u.
// x > 0: t^2: 2 kExpRel + u; 1 + 2t: 2/3 kExpRel + u; the denominator 2 kExpRel + 2u; q:
//   4 kExpRel + 4u; 1 - q (q <= 2/5): 2/3 rel(q) + u; times x: u. Total 8/3 kExpRel + 14/3 u.
// x > 40: q <= 2e^-80 < 2^-114. x < -700: |mish(x)| <= |x| e^x < |x| 2^-1009.
Enclosure k_mish(double x, const KernelParams&) {
  if (x > 40) return Enclosure::approximate(x, 0, x * 0x1p-114, 1);
  if (x < -700) return Enclosure::approximate(0, 0, -x * kTiny, -1);
  if (x < 0) {
    double e = exp_core(x);
    double n = e * (e + 2.0);
    return approx(x * (n / (n + 2.0)), (32.0 / 15 * kExpRel + 6.2 * u) * kSecondOrder, kUnderflow);
  }
  double t = exp_core(-x);
  double t2 = 2.0 * (t * t);
  double q = t2 / ((1.0 + 2.0 * t) + t2);
  return approx(x * (1.0 - q), (8.0 / 3 * kExpRel + 14.0 / 3 * u) * kSecondOrder);
}

// elu(x; alpha) = x (x > 0), alpha expm1(x) (x <= 0): kExpm1Rel + u (the product).
// alpha = 0: an exact zero. x < -700: within alpha 2^-1009 of -alpha.
Enclosure k_elu(double x, const KernelParams& p) {
  double alpha = p.v[0];
  if (x > 0) return Enclosure::exactly(x);
  if (alpha == 0) return Enclosure::exactly(0);
  if (x < -700) return Enclosure::approximate(-alpha, 0, alpha * kTiny + 0x1p-1074, -1);
  return approx(alpha * expm1_neg(x), (kExpm1Rel + u) * kSecondOrder, 0, -1);
}

// selu(x) = lambda x (x > 0), lambda alpha expm1(x) (x <= 0), lambda and lambda*alpha the
// spec's decimal constants as double-doubles (within 2^-106 relative, from MPFR).
// x > 0: lambda x in double-double: two_prod(lambda_hi, x) exact, lambda_lo x and the sum two
//   roundings of terms <= 2^-52 |y|, the constant's 2^-106: within 2^-103 |y|.
// x < 0: hi(lambda alpha) (u) times expm1 (kExpm1Rel), one product (u). x < -700: within
//   u lambda alpha + 2^-1009 of -hi(lambda alpha).
Enclosure k_selu(double x, const KernelParams& p) {
  if (x > 0) {
    auto [ph, pl] = two_prod(p.c_hi[0], x);
    pl += p.c_lo[0] * x;
    auto [yh, yl] = fast_two_sum(ph, pl);
    return Enclosure::approximate(yh, yl, std::fabs(yh) * 0x1p-100, 1);
  }
  double la = p.c_hi[1];
  if (x < -700) return Enclosure::approximate(-la, 0, la * 0x1p-52 + kTiny, -1);
  return approx(la * expm1_neg(x), (kExpm1Rel + 2 * u) * kSecondOrder, 0, -1);
}

// gelu(x) = x Phi(x), Phi(x) = erfc(-x/sqrt 2)/2.
// |x| <= 1: gelu(x) = x/2 + x E(x), E(x) = erf(x/sqrt 2)/2 ~ x Q(x^2) (fast_poly.sollya), x^2
//   exact; kept as the pair x/2 (exact) + x^2 Q(x^2), whose error is approx + gamma(22) cond
//   (Horner, degree 11) + u (the product) relative to itself: no cancellation enters the
//   bound (the pair is summed exactly by decide()), and near 0, where gelu(x) is within x^2/2.5
//   of x/2 (a rounding boundary when x/2 is a midpoint), the small term is not lost.
// 1 < |x| <= 14.5: Phi(-a) = e^(-a^2/2) H(a) / 2, a = |x|, H from the piece holding a (t = a - c
//   exact): approx + gamma(28) cond (degree 14); e^(-x^2/2) by exp_core (x^2/2 exact, >= -105.2);
//   the product (u, the halving exact): d = Phi(-a) within rel(d) = kExpRel + H's + u.
//   x < 0: x d, + u. x > 0: x (1 - d), d <= 0.158655: 1 - d within 0.1886 rel(d) + u; + u.
// |x| > 14.5: |x| Phi(-|x|) <= phi(|x|) = e^(-x^2/2)/sqrt(2 pi) < 2^-152 (Mills' ratio), so
//   gelu(x) is within 2^-152 of x (x > 0) or of 0 (x < 0, negative).
constexpr double max_piece_rel() {
  double m = 0;
  for (const auto& pc : poly::kGeluPieces) {
    double r = pc.approx + gamma(2 * pc.degree) * pc.cond;
    m = r > m ? r : m;
  }
  return m;
}
constexpr double kGeluErfRel = (poly::kErfApprox + gamma(22) * poly::kErfCond + u) * kSecondOrder;
constexpr double kGeluTailRel = (kExpRel + max_piece_rel() + u) * kSecondOrder;

Enclosure k_gelu(double x, const KernelParams&) {
  double a = std::fabs(x);
  if (a > 14.5) {
    if (x > 0) return Enclosure::approximate(x, 0, 0x1p-152, 1);
    return Enclosure::approximate(0, 0, 0x1p-152, -1);
  }
  if (a <= 1) {
    double z = x * x;
    const double* q = poly::kErfQ;
    double qz = q[11];
    for (int i = 10; i >= 0; --i) qz = q[i] + z * qz;
    double small = z * qz;  // x E(x), E(x) = erf(x/sqrt 2)/2 ~ x Q(x^2)
    return Enclosure::approximate(x * 0.5, small, std::fabs(small) * kGeluErfRel + 0x1p-1074, sign_of(x));
  }
  const poly::GeluPiece* pc = &poly::kGeluPieces[0];
  for (const auto& piece : poly::kGeluPieces)
    if (a >= piece.lo) pc = &piece;
  double t = a - pc->c;
  double h = pc->p[pc->degree];
  for (int i = pc->degree - 1; i >= 0; --i) h = pc->p[i] + t * h;
  double d = (exp_core(-(x * x) * 0.5) * h) * 0.5;
  if (x < 0) return approx(x * d, (kGeluTailRel + u) * kSecondOrder, kUnderflow);
  return approx(x * (1.0 - d), (0.1886 * kGeluTailRel + 2 * u) * kSecondOrder);
}

// --- Rational functions: exact values, decided by expansion arithmetic (never fall back). ---

// relu(x) = max(x, 0): x, or an exact zero.
Enclosure k_relu(double x, const KernelParams&) { return Enclosure::exactly(x > 0 ? x : 0.0); }

// relu6(x) = min(max(x, 0), 6).
Enclosure k_relu6(double x, const KernelParams&) {
  return Enclosure::exactly(x <= 0 ? 0.0 : (x >= 6 ? 6.0 : x));
}

// leaky_relu, prelu (scalar slope a): x (x >= 0), a x (exact: two binary32 values).
Enclosure k_leaky(double x, const KernelParams& p) {
  return Enclosure::exactly(x >= 0 ? x : p.v[0] * x);
}

// linear(x; k) = k x, exact.
Enclosure k_linear(double x, const KernelParams& p) { return Enclosure::exactly(p.v[0] * x); }

// hardsigmoid(x) = min(max(x + 3, 0), 6) / 6 = (x + 3) / 6 on (-3, 3).
Enclosure k_hardsigmoid(double x, const KernelParams&) {
  if (x <= -3) return Enclosure::exactly(0);
  if (x >= 3) return Enclosure::exactly(1);
  return Enclosure::exact_sum({x, 3.0}, 6.0);
}

// hardswish(x) = x min(max(x + 3, 0), 6) / 6 = (x^2 + 3x) / 6 on (-3, 3), x^2 and 3x exact.
Enclosure k_hardswish(double x, const KernelParams&) {
  if (x <= -3) return Enclosure::exactly(0);
  if (x >= 3) return Enclosure::exactly(x);
  return Enclosure::exact_sum({x * x, 3.0 * x}, 6.0);
}

// srelu(x; t_l, a_l, t_r, a_r): t_r + a_r x - a_r t_r (x >= t_r), t_l + a_l x - a_l t_l
// (x <= t_l), x otherwise; every product of two binary32 values is exact.
Enclosure k_srelu(double x, const KernelParams& p) {
  double tl = p.v[0], al = p.v[1], tr = p.v[2], ar = p.v[3];
  if (x >= tr) return Enclosure::exact_sum({tr, ar * x, -(ar * tr)}, 1.0);
  if (x <= tl) return Enclosure::exact_sum({tl, al * x, -(al * tl)}, 1.0);
  return Enclosure::exactly(x);
}

// A decimal constant of the spec (a definition's text) as a double-double within 2^-106
// relative: RN of it, and RN of the remainder.
std::optional<DD> constant_from_text(const std::string& text, const std::string& times = "") {
  MpfrValue v(512), w(512);
  char* end = nullptr;
  mpfr_strtofr(v, text.c_str(), &end, 10, MPFR_RNDN);
  if (end == text.c_str() || *end != '\0') return std::nullopt;
  if (!times.empty()) {
    end = nullptr;
    mpfr_strtofr(w, times.c_str(), &end, 10, MPFR_RNDN);
    if (end == times.c_str() || *end != '\0') return std::nullopt;
    mpfr_mul(v, v, w, MPFR_RNDN);
  }
  DD d;
  d.hi = mpfr_get_d(v, MPFR_RNDN);
  mpfr_sub_d(v, v, d.hi, MPFR_RNDN);
  d.lo = mpfr_get_d(v, MPFR_RNDN);
  return d;
}

std::string trim(const std::string& s) {
  auto a = s.find_first_not_of(" \t");
  auto b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

const Definition* definition(const FunctionSpec& fn, const std::string& name) {
  for (const auto& d : fn.definitions)
    if (d.name == name) return &d;
  return nullptr;
}

struct Entry {
  const char* function;
  const char* method;
  KernelFn fn;
  std::vector<std::string> params;  // in KernelParams::v order
  bool exact_products = false;      // the parameters enter exact products: must fit the format
};

const std::vector<Entry>& table() {
  static const std::vector<Entry> entries = {
      {"sigmoid", "exp64-div", k_sigmoid, {}},
      {"tanh", "expm1-64-div", k_tanh, {}},
      {"softplus", "exp64-log1p64", k_softplus, {"beta", "threshold"}, true},
      {"logsigmoid", "exp64-log1p64", k_logsigmoid, {}},
      {"silu", "exp64-div", k_silu, {}},
      {"swish", "exp64-div", k_swish, {"beta"}, true},
      {"gelu_tanh", "dd-arg-exp64-div", k_gelu_tanh, {}},
      {"mish", "exp64-rational", k_mish, {}},
      {"elu", "expm1-64", k_elu, {"alpha"}},
      {"selu", "dd-expm1-64", k_selu, {}},
      {"gelu", "erf-poly-erfcx-pieces-exp64", k_gelu, {}},
      {"relu", "exact", k_relu, {}},
      {"relu6", "exact", k_relu6, {}},
      {"leaky_relu", "exact", k_leaky, {"a"}, true},
      {"prelu", "exact", k_leaky, {"a"}, true},
      {"linear", "exact", k_linear, {"k"}, true},
      {"hardsigmoid", "exact", k_hardsigmoid, {}},
      {"hardswish", "exact", k_hardswish, {}},
      {"srelu", "exact", k_srelu, {"t_l", "a_l", "t_r", "a_r"}, true},
  };
  return entries;
}

}  // namespace

std::optional<Kernel> find_kernel(const FunctionSpec& fn, Format format,
                                  const std::map<std::string, double>& params) {
  if (!sweep_format(format) || !fn.unary()) return std::nullopt;
  for (const Entry& e : table()) {
    if (fn.name != e.function) continue;
    // Every parameter of the spec must be one the kernel knows (a spec that grew a parameter
    // is served by MPFR until its kernel learns it).
    for (const auto& p : fn.params)
      if (std::find(e.params.begin(), e.params.end(), p.name) == e.params.end()) return std::nullopt;
    Kernel k;
    k.name = std::string(e.function) + "/" + e.method;
    k.fn = e.fn;
    for (std::size_t i = 0; i < e.params.size(); ++i) {
      auto it = params.find(e.params[i]);
      if (it == params.end() || std::isnan(it->second)) return std::nullopt;
      double v = it->second;
      // Exact products need the parameter to be a value of the format (it is, when the
      // reference rounds it to the format; an `exact: true` parameter might not be).
      if (e.exact_products && std::isfinite(v) && round_to(v, format) != v) return std::nullopt;
      k.params.v[i] = v;
    }
    // Parameter domains the kernels assume.
    const std::string name = fn.name;
    if ((name == "softplus" || name == "swish") && !(k.params.v[0] > 0 && std::isfinite(k.params.v[0])))
      return std::nullopt;
    if (name == "softplus" && !(k.params.v[1] > 0)) return std::nullopt;
    if (name == "elu" && !(k.params.v[0] >= 0 && std::isfinite(k.params.v[0]))) return std::nullopt;
    if ((fn.name == "leaky_relu" || fn.name == "prelu" || fn.name == "linear" || fn.name == "srelu") &&
        !std::all_of(k.params.v, k.params.v + e.params.size(), [](double v) { return std::isfinite(v); }))
      return std::nullopt;
    if (fn.name == "selu") {
      const Definition* l = definition(fn, "lambda_");
      const Definition* a = definition(fn, "alpha");
      if (!l || !a) return std::nullopt;
      auto lambda = constant_from_text(trim(l->text));
      auto lambda_alpha = constant_from_text(trim(l->text), trim(a->text));
      if (!lambda || !lambda_alpha) return std::nullopt;
      k.params.c_hi[0] = lambda->hi;
      k.params.c_lo[0] = lambda->lo;
      k.params.c_hi[1] = lambda_alpha->hi;
      k.params.c_lo[1] = lambda_alpha->lo;
    }
    if (fn.name == "gelu_tanh") {
      // c1 = 2 sqrt(2/pi) and k = 0.044715 (the spec's formula), as double-doubles from MPFR.
      MpfrValue c(512);
      mpfr_const_pi(c, MPFR_RNDN);
      mpfr_ui_div(c, 2, c, MPFR_RNDN);
      mpfr_sqrt(c, c, MPFR_RNDN);
      mpfr_mul_ui(c, c, 2, MPFR_RNDN);
      k.params.c_hi[0] = mpfr_get_d(c, MPFR_RNDN);
      mpfr_sub_d(c, c, k.params.c_hi[0], MPFR_RNDN);
      k.params.c_lo[0] = mpfr_get_d(c, MPFR_RNDN);
      auto kk = constant_from_text("0.044715");
      k.params.c_hi[1] = kk->hi;
      k.params.c_lo[1] = kk->lo;
    }
    return k;
  }
  return std::nullopt;
}

std::vector<std::string> kernel_functions() {
  std::vector<std::string> names;
  for (const Entry& e : table()) names.push_back(e.function);
  return names;
}

}  // namespace nnconform::ref::fast
