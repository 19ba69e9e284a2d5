// Smooth activations built on exp and erfc: silu, swish, mish, gelu, gelu_tanh, selu,
// logsigmoid (contracts in nn.hpp).
//
// Every kernel is a scalar function of one binary64 value that evaluates its formula in
// double-double (dd.hpp) and rounds once, to the output type T (a float kernel rounds the DD
// value to binary32 directly, not through binary64: no double rounding). Results that may be
// subnormal are carried scaled: the multiplier x is split exactly as m·2^e (frexp), the
// arithmetic runs on m, and dd::round_to rounds m·(...)·2^e once into the subnormal range.
// So no kernel flushes a tail to zero, and the only errors are the final rounding and the
// 2^-73 .. 2^-65 (relative) of the DD evaluation. The float overloads first try a binary64
// fast path (ziv_float below).
#include <cmath>
#include <string>

#include "dd.hpp"
#include "detail.hpp"

namespace nnconform::impl {
namespace {

using dd::DD;
using dd::Scaled;
using detail::apply;
using detail::kInf;

// x·sigmoid(w) for finite nonzero x and the DD argument w of x's sign (w.hi may be ±inf).
//   w >= 0: x / (1 + e^-w);  w < 0: x·e^w / (1 + e^w), e^w = m·2^k from dd::exp.
// Past |w| = 1500 the exponential is below 2^-2164 and x·sigmoid(w) rounds to x, or to a
// zero of x's sign (|x| < 2^1024). Where e^w < 2^-899, 1 + e^w = 1 to 2^-899 and the result
// is x·m rounded into the subnormal range at exponent k + e.
// Error: e^w within 2^-74, weighted by 1/(1 + e^w) <= 1 (or e^-w/(1 + e^-w) <= 1/2 for w >= 0),
// plus the DD division and product (2^-100): the DD value is within 2^-73 relative.
template <class T>
T x_sigmoid(double x, DD w) {
  const Scaled xs = dd::split_exponent(x);
  if (std::fabs(w.hi) < 0x1p-60) {
    // sigmoid(w) = 1/2 + w/4 to 2^-180: x/2 exactly, plus x·w/4 > 0 (which only breaks ties).
    const double m = xs.m.hi;
    return dd::round_to<T>(dd::with_tiebreak(0.5 * m, m * (0.25 * w.hi), true), xs.e);
  }
  if (w.hi >= 0.0) {
    if (w.hi > 1500.0) return static_cast<T>(x);
    const Scaled e = dd::exp(dd::neg(w));
    const DD ed = e.e < -1000 ? DD{0.0, 0.0} : dd::scale(e.m, e.e);
    return dd::round_to<T>(dd::div(xs.m, dd::add(ed, 1.0)), xs.e);
  }
  if (w.hi < -1500.0) return static_cast<T>(std::copysign(0.0, x));
  const Scaled e = dd::exp(w);
  if (e.e >= -900) {
    const DD ed = dd::scale(e.m, e.e);
    return dd::round_to<T>(dd::div(dd::mul(ed, xs.m.hi), dd::add(ed, 1.0)), xs.e);
  }
  return dd::round_to<T>(dd::mul(e.m, xs.m.hi), e.e + xs.e);
}

// beta·x exactly as a DD (beta > 0 finite, x finite nonzero): a product beyond 2^12 in
// magnitude is returned as ±2^12 (x_sigmoid saturates there); below 2^-1000 as ±2^-1010
// (sigmoid(w) = 1/2 + w/4, and only the sign of w/4 can matter: it breaks ties).
DD exact_product(double beta, double x) { return dd::exact_product(beta, x, 12, 0x1p-1010); }

template <class T>
T silu_one(double x) {
  if (std::isnan(x)) return static_cast<T>(x);
  if (x == 0.0) return static_cast<T>(0.0);  // an exact zero is +0
  if (std::isinf(x)) return static_cast<T>(x > 0.0 ? x : -0.0);
  return x_sigmoid<T>(x, DD{x, 0.0});
}

template <class T>
T swish_one(double x, double beta) {
  if (std::isnan(x)) return static_cast<T>(x);
  if (x == 0.0) return static_cast<T>(0.0);
  if (std::isinf(x)) return static_cast<T>(x > 0.0 ? x : -0.0);
  return x_sigmoid<T>(x, exact_product(beta, x));
}

// gelu_tanh(x) = x·sigmoid(w), w = x·(c1 + c3·x²), c1 = 2·sqrt(2/pi), c3 = 0.044715·c1 (DD
// constants). For |x| > 100, |w| > 71000: the result is x or a zero of x's sign, and x³ is
// never formed beyond 10^6 (no overflow, in either format). w is evaluated in DD with terms of
// one sign (no cancellation): relative error < 2^-100, which the exponential's condition
// |w| <= 1500 turns into < 2^-89 relative.
template <class T>
T gelu_tanh_one(double x) {
  if (std::isnan(x)) return static_cast<T>(x);
  if (x == 0.0) return static_cast<T>(0.0);
  if (x > 100.0) return static_cast<T>(x);
  if (x < -100.0) return static_cast<T>(-0.0);
  const DD x2 = dd::two_prod(x, x);
  const DD inner = dd::add(dd::kGeluTanhC1, dd::mul(dd::kGeluTanhC3, x2));
  return x_sigmoid<T>(x, dd::mul(inner, x));
}

// mish(x) = x·tanh(softplus(x)) = x·n/(n + 2) with n = e(e + 2), e = e^x, since
// tanh(log(1 + e)) = ((1 + e)² - 1)/((1 + e)² + 1). For x > 0, with f = e^-x, the same is
// x·(1 + 2f)/(1 + 2f + 2f²). No log, no tanh, no cancellation; the relative condition of the
// ratio in e (resp. f) is <= 1 (resp. <= 0.54), so e's 2^-74 stays 2^-74.
// x > 40: 2f² < 2^-114, the result rounds to x. x < 0 with e^x < 2^-899: n/(n + 2) = e to
// 2^-899, the result is x·e rounded into the subnormal range. x < -1500: a zero of x's sign.
template <class T>
T mish_one(double x) {
  if (std::isnan(x)) return static_cast<T>(x);
  if (x == 0.0) return static_cast<T>(0.0);
  if (x > 40.0) return static_cast<T>(x);  // +inf included
  if (x < -1500.0) return static_cast<T>(-0.0);
  const Scaled xs = dd::split_exponent(x);
  if (x > 0.0) {
    const Scaled fe = dd::exp(DD{-x, 0.0});
    const DD f2 = dd::scale(fe.m, fe.e + 1);                  // 2f >= 2^-57
    const DD num = dd::add(f2, 1.0);                           // 1 + 2f
    const DD den = dd::add(num, dd::mul(dd::mul(f2, f2), 0.5));  // 1 + 2f + 2f²
    return dd::round_to<T>(dd::div(dd::mul(num, xs.m.hi), den), xs.e);
  }
  const Scaled e = dd::exp(DD{x, 0.0});
  if (e.e < -900) return dd::round_to<T>(dd::mul(e.m, xs.m.hi), e.e + xs.e);
  const DD ed = dd::scale(e.m, e.e);
  const DD n = dd::mul(ed, dd::add(ed, 2.0));
  return dd::round_to<T>(dd::div(dd::mul(n, xs.m.hi), dd::add(n, 2.0)), xs.e);
}

// gelu(x) = x·erfc(-x/sqrt 2)/2. With t = |x|/sqrt 2 (DD, relative error 2^-104, which the
// condition 2t² <= 1600 of erfc keeps below 2^-93): x < 0: x·erfc(t)/2; x > 0:
// x·(2 - erfc(t))/2, where erfc(t)'s error is weighted by erfc/(2 - erfc) <= 1. erfc in DD
// (dd::erfc, < 2^-66 relative). |x| > 40: t > 28, erfc(t) < 2^-1150: the result is x, or
// x·erfc(t)/2 < 2^-1100 rounds to -0. The left tail is carried scaled into the subnormals
// (gelu(-30) = -1.47e-196, gelu(-38) = -1.1e-314).
template <class T>
T gelu_one(double x) {
  if (std::isnan(x)) return static_cast<T>(x);
  if (x == 0.0) return static_cast<T>(0.0);
  if (x > 40.0) return static_cast<T>(x);
  if (x < -40.0) return static_cast<T>(-0.0);
  const Scaled xs = dd::split_exponent(x);
  if (std::fabs(x) < 0x1p-60) {
    // gelu(x) = x/2 + x²/sqrt(2 pi) to 2^-120 relative: x/2 exactly, plus a positive term
    // that only breaks ties (x/2 for an odd subnormal x rounds towards +inf).
    const double m = xs.m.hi;
    const double lo = m * x * (dd::kInvSqrtPi.hi * dd::kInvSqrt2.hi);
    return dd::round_to<T>(dd::with_tiebreak(0.5 * m, lo, true), xs.e);
  }
  const Scaled e = dd::erfc(dd::mul(dd::kInvSqrt2, std::fabs(x)));
  if (x < 0.0) return dd::round_to<T>(dd::mul(e.m, xs.m.hi), e.e + xs.e - 1);
  const DD ed = e.e < -1000 ? DD{0.0, 0.0} : dd::scale(e.m, e.e);
  return dd::round_to<T>(dd::mul(dd::add(dd::neg(ed), 2.0), xs.m.hi), xs.e - 1);
}

// selu(x) = lambda·x for x > 0, lambda·alpha·expm1(x) otherwise, lambda and lambda·alpha as
// DD constants of the spec's exact decimals. x > 0: one DD product, scaled (selu of a
// subnormal is rounded once; lambda·max overflows to +inf, as the exact value does).
// x < -40: expm1(x) = -1 + e^x with e^x < 2^-57 (binary64 exp is plenty). |x| < 2^-60:
// expm1(x) = x(1 + x/2) to 2^-122, scaled. Otherwise dd::expm1 (< 2^-66 relative).
template <class T>
T selu_one(double x) {
  if (std::isnan(x)) return static_cast<T>(x);
  if (x == 0.0) return static_cast<T>(0.0);
  if (x == kInf) return static_cast<T>(x);
  const Scaled xs = dd::split_exponent(x);
  if (x > 0.0) return dd::round_to<T>(dd::mul(dd::kSeluLambda, xs.m.hi), xs.e);
  if (x < -40.0) {
    const DD em1 = dd::two_sum(-1.0, std::exp(x));
    return dd::round_to<T>(dd::mul(dd::kSeluLambdaAlpha, em1), 0);
  }
  if (x > -0x1p-60) {
    const DD m = dd::fast_two_sum(xs.m.hi, xs.m.hi * x * 0.5);
    return dd::round_to<T>(dd::mul(dd::kSeluLambdaAlpha, m), xs.e);
  }
  return dd::round_to<T>(dd::mul(dd::kSeluLambdaAlpha, dd::expm1(DD{x, 0.0})), 0);
}

// logsigmoid(x) = -softplus(-x) = -(max(-x, 0) + log1p(e^-|x|)).
// x < -40: log1p(e^x) < 2^-57 < half an ulp of |x|: the result is x exactly (-1e300 -> -1e300).
// -40 <= x <= 0: -(|x| + log1p(e^x)), two terms of one sign, log1p in DD (< 2^-65).
// 0 < x <= 40: -log1p(e^-x) in DD. x > 40: -e^-x·(1 - e^-x/2) to 2^-115, scaled into the
// subnormal range; x > 1500: -0 (the exact value is negative). +inf: +0 (an exact zero).
template <class T>
T logsigmoid_one(double x) {
  if (std::isnan(x)) return static_cast<T>(x);
  if (x < -40.0) return static_cast<T>(x);  // -inf included
  if (x == kInf) return static_cast<T>(0.0);
  if (x > 1500.0) return static_cast<T>(-0.0);
  if (x <= 0.0) {
    const Scaled e = dd::exp(DD{x, 0.0});
    const DD l = dd::log1p(dd::scale(e.m, e.e));
    return -dd::round_to<T>(dd::add(l, -x), 0);
  }
  const Scaled e = dd::exp(DD{-x, 0.0});
  if (x <= 40.0) return -dd::round_to<T>(dd::log1p(dd::scale(e.m, e.e)), 0);
  const DD factor = dd::two_sum(1.0, -std::ldexp(e.m.hi, e.e - 1));
  return -dd::round_to<T>(dd::mul(e.m, factor), e.e);
}

// ---- float overloads: a binary64 fast path, filtered (Ziv's strategy) ----
//
// For float, a plain binary64 evaluation y is accurate to < 2^-40 relative (below), far more
// than a float needs, except within 2^-40 of a rounding boundary. So: if y·(1 - 2^-36) and
// y·(1 + 2^-36) round to the same float, the exact value (within 2^-40·|y| of y) rounds to it
// too, and that is the correctly rounded result; otherwise (probability ~2^-12) the DD kernel
// above decides. The float results are therefore those of the DD kernel (correctly rounded
// but for DD-level near-ties), at binary64 speed.
// The bounds of the binary64 evaluations assume libm's exp, expm1, log1p within 1 ulp and erfc
// within 4 ulp (glibc 2.36 measured 0.51, 0.81, 0.81 and 3.8 ulp against libquadmath), i.e.
// relative errors < 2^-50; each formula adds a few roundings and its argument's condition:
//   silu, swish: x·e/(1 + e), e = exp(±βx) (βx exact for float operands): < 6u = 2^-50.4.
//   mish: the rational form of the DD kernel in binary64: < 8u.
//   gelu: x·erfc(-x/√2)/2; the rounding of x/√2 is amplified by erfc's condition 2t² <= 1600
//     (t <= 28; beyond, erfc underflows to 0 and the result is a float zero anyway): < 2^-41.
//   gelu_tanh: w = c1·x + c3·x³ in binary64 (relative error < 6u, no cancellation), amplified
//     by |w| <= 745 in e^w (beyond, e^w underflows and the result is a float zero): < 2^-41.
//   selu: lambda·x or lambda·alpha·expm1(x), constants rounded to binary64: < 4u.
//   logsigmoid: -log1p(exp(-x)) or x - log1p(exp(x)) (terms of one sign): < 5u.
// Where exp underflows into the binary64 subnormals (|x| > 708) the results above are below
// 2^-1000 in magnitude and every evaluation gives a zero or a value that rounds to the float
// zero of the right sign, which is then exact.
template <class Fast, class Slow>
float ziv_float(double x, Fast fast, Slow slow) {
  if (std::isfinite(x) && x != 0.0) {
    const double y = fast(x);
    const double r = std::fabs(y) * 0x1p-36;
    const float a = static_cast<float>(y - r);
    const float b = static_cast<float>(y + r);
    if (a == b && std::signbit(a) == std::signbit(b)) return a;  // NaN fails a == b
  }
  return slow(x);
}

double x_sigmoid_fast(double x, double w) {
  if (w >= 0.0) return x / (1.0 + std::exp(-w));
  const double e = std::exp(w);
  return x * e / (1.0 + e);
}

double mish_fast(double x) {
  if (x > 0.0) {
    const double f = std::exp(-x);
    return x * (1.0 + 2.0 * f) / (1.0 + 2.0 * f + 2.0 * f * f);
  }
  const double e = std::exp(x);
  const double n = e * (e + 2.0);
  return x * n / (n + 2.0);
}

double gelu_fast(double x) { return 0.5 * x * std::erfc(-x * dd::kInvSqrt2.hi); }

double gelu_tanh_fast(double x) {
  return x_sigmoid_fast(x, x * (dd::kGeluTanhC1.hi + dd::kGeluTanhC3.hi * x * x));
}

double selu_fast(double x) {
  return x > 0.0 ? dd::kSeluLambda.hi * x : dd::kSeluLambdaAlpha.hi * std::expm1(x);
}

double logsigmoid_fast(double x) {
  return x >= 0.0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x));
}

template <class T>
void check_swish_beta(T beta) {
  if (!(std::isfinite(beta) && beta > T(0))) {
    detail::fail("swish", "beta must be finite and > 0, got " + std::to_string(beta));
  }
}

}  // namespace

void silu(std::span<const float> x, std::span<float> out) {
  apply("silu", x, out, [](double v) {
    return ziv_float(v, [](double u) { return x_sigmoid_fast(u, u); }, silu_one<float>);
  });
}
void silu(std::span<const double> x, std::span<double> out) {
  apply("silu", x, out, silu_one<double>);
}

void swish(std::span<const float> x, std::span<float> out, float beta) {
  check_swish_beta(beta);
  const double b = beta;
  apply("swish", x, out, [b](double v) {
    return ziv_float(
        v, [b](double u) { return x_sigmoid_fast(u, b * u); },  // b·u exact (float operands)
        [b](double u) { return swish_one<float>(u, b); });
  });
}
void swish(std::span<const double> x, std::span<double> out, double beta) {
  check_swish_beta(beta);
  apply("swish", x, out, [beta](double v) { return swish_one<double>(v, beta); });
}

void mish(std::span<const float> x, std::span<float> out) {
  apply("mish", x, out, [](double v) { return ziv_float(v, mish_fast, mish_one<float>); });
}
void mish(std::span<const double> x, std::span<double> out) {
  apply("mish", x, out, mish_one<double>);
}

void gelu(std::span<const float> x, std::span<float> out) {
  apply("gelu", x, out, [](double v) { return ziv_float(v, gelu_fast, gelu_one<float>); });
}
void gelu(std::span<const double> x, std::span<double> out) {
  apply("gelu", x, out, gelu_one<double>);
}

void gelu_tanh(std::span<const float> x, std::span<float> out) {
  apply("gelu_tanh", x, out, [](double v) { return ziv_float(v, gelu_tanh_fast, gelu_tanh_one<float>); });
}
void gelu_tanh(std::span<const double> x, std::span<double> out) {
  apply("gelu_tanh", x, out, gelu_tanh_one<double>);
}

void selu(std::span<const float> x, std::span<float> out) {
  apply("selu", x, out, [](double v) { return ziv_float(v, selu_fast, selu_one<float>); });
}
void selu(std::span<const double> x, std::span<double> out) {
  apply("selu", x, out, selu_one<double>);
}

void logsigmoid(std::span<const float> x, std::span<float> out) {
  apply("logsigmoid", x, out, [](double v) { return ziv_float(v, logsigmoid_fast, logsigmoid_one<float>); });
}
void logsigmoid(std::span<const double> x, std::span<double> out) {
  apply("logsigmoid", x, out, logsigmoid_one<double>);
}

}  // namespace nnconform::impl
