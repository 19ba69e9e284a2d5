// Elementwise activations: sigmoid, tanh, softplus, relu, elu (contracts in nn.hpp).
// Each kernel is a scalar function of one binary64 value; `detail::apply` maps it over a span
// and rounds once to the output type.
// The float overloads evaluate in binary64 (a few 2^-53 relative, far below a float's half
// ulp). The double overloads evaluate in double-double (dd.hpp: exp to 2^-74, expm1 to 2^-66,
// log1p to 2^-65 relative) and round once, scaled into the subnormal range where the result
// may be tiny: error <= 0.5 ulp + 2^-12 ulp (bounds per kernel below), so that the specs'
// strict 1 ulp holds in binary64, which glibc's tanh (2.1 ulp) and the binary64 formulas
// (sigmoid 1.7, softplus 1.4, elu 1.1 ulp observed) do not.
#include <cmath>
#include <string>
#include <type_traits>

#include "dd.hpp"
#include "detail.hpp"

namespace nnconform::impl {
namespace {

using detail::apply;

// e = exp(-|x|) in (0, 1]: never overflows. x >= 0: 1/(1 + e) in [1/2, 1]; x < 0: e/(1 + e),
// which is e itself (subnormal included) once 1 + e rounds to 1, so the tail is not flushed.
// The denominator 1 + e = d + dl exactly (Fast2Sum, 1 >= e), and a/(d + dl) = q·(1 - dl/d)
// to within 2^-106 with q = a/d: that removes the rounding of 1 + e from the error budget,
// leaving exp's error (weighted by 1/(1+e) <= 1, or e/(1+e) <= 1/2 for x >= 0) and the
// division's. NaN: exp(NaN) = NaN, and both branches propagate it.
double sigmoid_one(double x) {
  const double e = std::exp(-std::fabs(x));
  const double d = 1.0 + e;
  const double dl = e - (d - 1.0);
  const double q = (x >= 0.0 ? 1.0 : e) / d;
  return q - q * (dl / d);
}

// b = beta·x. b > 0: x + log1p(e^-b)/beta (x carried exactly, the correction < log(2)/beta);
// b <= 0 or NaN: log1p(e^b)/beta, whose tail is e^b/beta, not 0.
// For beta != 1, b = bh + bl exactly (Dekker) and e^(±b) = e^(±bh)·(1 ± bl): the rounding of
// beta·x would otherwise be amplified by the function's condition (~|b| in the left tail:
// ~700 ulp at b = -700). For float inputs beta·x is exact in binary64 and bl = 0.
double softplus_one(double x, double beta, double threshold) {
  if (beta == 1.0) {
    if (x > threshold) return x;
    return x > 0.0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  }
  const detail::Product b = detail::two_prod(beta, x);
  if (b.hi > threshold) return x;
  if (b.hi > 0.0) {
    const double e = std::exp(-b.hi);
    return x + std::log1p(e - e * b.lo) / beta;
  }
  const double e = std::exp(b.hi);
  return std::log1p(e + e * b.lo) / beta;
}

// ---- binary64: double-double kernels ----
using dd::DD;
using dd::Scaled;

// sigmoid in DD. x >= 0: 1/(1 + f), f = e^-x <= 1 (f's 2^-74 weighted by f/(1 + f) <= 1/2);
// x < 0: e/(1 + e), e = e^x (weight 1/(1 + e) <= 1); e < 2^-900: the result is e to 2^-900
// relative, rounded once from the scaled DD (the subnormal tail: sigmoid(-745) = 2^-1074).
// Bound: 0.5 ulp + 2^-20 ulp (2^-74 + the DD division's 2^-100, times 2^53).
double sigmoid_dd(double x) {
  if (std::isnan(x)) return x;
  if (x >= 0.0) {
    if (x > 1500.0) return 1.0;  // +inf included
    const Scaled f = dd::exp(DD{-x, 0.0});
    return dd::round_scaled(dd::div(DD{1.0, 0.0}, dd::add(dd::scale(f.m, f.e), 1.0)), 0);
  }
  if (x < -1500.0) return 0.0;  // -inf included; the exact value is below 2^-2000
  const Scaled e = dd::exp(DD{x, 0.0});
  if (e.e < -900) return dd::round_scaled(e.m, e.e);
  const DD ed = dd::scale(e.m, e.e);
  return dd::round_scaled(dd::div(ed, dd::add(ed, 1.0)), 0);
}

// tanh in DD, odd. a = |x|: a < 2^-30: x (tanh(x) = x(1 - x²/3 + ...) with x²/3 < 2^-61,
// below half the gap to x's neighbours); a < 1/2: em/(em + 2), em = expm1(2a) (2^-66; the
// ratio's condition in em is 2/(em + 2) <= 1); a <= 20: 1 - 2f/(1 + f), f = e^-2a < e^-1
// (2^-74 of f, weighted by 2f/(1 - f²)/tanh < 1.3, no cancellation: tanh(a) >= 0.46);
// a > 20: 1 (1 - tanh(a) < 2e^-40 = 2^-56.7, below half the gap under 1).
// Bound: 0.5 ulp + 2^-12 ulp.
double tanh_dd(double x) {
  if (std::isnan(x)) return x;
  const double a = std::fabs(x);
  if (a < 0x1p-30) return x;  // ±0 and subnormals included
  double t;
  if (a > 20.0) {
    t = 1.0;
  } else if (a < 0.5) {
    const DD em = dd::expm1(DD{2.0 * a, 0.0});
    t = dd::round_scaled(dd::div(em, dd::add(em, 2.0)), 0);
  } else {
    const Scaled fe = dd::exp(DD{-2.0 * a, 0.0});
    const DD f = dd::scale(fe.m, fe.e);
    const DD r = dd::div(dd::scale(f, 1), dd::add(f, 1.0));
    t = dd::round_scaled(dd::add(dd::neg(r), 1.0), 0);
  }
  return std::copysign(t, x);
}

// b = beta·x exactly as a DD: |b| beyond 2^20 is returned as ±2^20 (softplus is then x, or 0),
// and a product below 2^-1000 as its sign times 2^-1000 (softplus(b) = log 2 + b/2 + ...: such
// a b cannot change the rounding).
DD exact_product(double beta, double x) { return dd::exact_product(beta, x, 20, 0x1p-1000); }

// softplus in DD, with b = beta·x exact (so its rounding is not amplified by the condition
// ~|b| of the left tail). Threshold: x where the exact beta·x > threshold (the spec's).
// b > 0: x + log1p(e^-b)/beta (terms of one sign; log1p's argument <= 1; b > 800: x, as
// log1p(e^-b)/beta < 2^-1100·|x|); b <= 0: log1p(e^b)/beta, and e^b < 2^-900: e^b/beta to
// 2^-900 relative, rounded once from the scaled DD (softplus(-745) = 2^-1074).
// Bound: 0.5 ulp + 2^-11 ulp (exp's 2^-74 weighted by <= 1 through log1p, log1p's 2^-65,
// the DD operations' 2^-100).
double softplus_dd(double x, double beta, double threshold) {
  if (std::isnan(x)) return x;
  if (std::isinf(x)) return x > 0.0 ? x : 0.0;
  const DD b = beta == 1.0 ? DD{x, 0.0} : exact_product(beta, x);
  if (b.hi > threshold || (b.hi == threshold && b.lo > 0.0)) return x;
  const DD beta_dd{beta, 0.0};
  if (b.hi > 0.0) {
    if (b.hi > 800.0) return x;
    const Scaled f = dd::exp(dd::neg(b));
    const DD l = dd::log1p(dd::scale(f.m, f.e));
    return dd::round_scaled(dd::add(dd::div(l, beta_dd), x), 0);
  }
  if (b.hi < -1500.0) return 0.0;
  // beta = mb·2^eb with mb in [1/2, 1): the quotient by mb stays in range, the power of two is
  // applied by the final rounding (once, also into the subnormals).
  const Scaled bs = dd::split_exponent(beta);
  const Scaled e = dd::exp(b);
  if (e.e < -900) return dd::round_scaled(dd::div(e.m, bs.m), e.e - bs.e);
  const DD l = dd::log1p(dd::scale(e.m, e.e));
  return dd::round_scaled(dd::div(l, bs.m), -bs.e);
}

// elu in DD: x > 0: x; otherwise alpha·expm1(x) with alpha = am·2^ae (frexp, exact) so that a
// subnormal result is rounded once. x < -40: expm1(x) = -1 + e^x exactly as a DD sum (e^x <
// 2^-57: binary64's 2^-52 of it is < 2^-109 of the result); |x| < 2^-60: x(1 + x/2) (to
// 2^-122); otherwise dd::expm1 (2^-66). An exact zero (x = ±0, or alpha = 0) is +0.
// Bound: 0.5 ulp + 2^-13 ulp.
double elu_dd(double x, double alpha) {
  if (std::isnan(x) || std::isnan(alpha)) return x + alpha;
  if (x > 0.0) return x;
  if (x == 0.0 || alpha == 0.0) return 0.0;
  if (std::isinf(alpha)) return -alpha;
  const Scaled as = dd::split_exponent(alpha);
  const double am = as.m.hi;
  if (x < -40.0) {
    const DD em1 = dd::two_sum(-1.0, std::exp(x));  // x = -inf: -1 exactly
    return dd::round_scaled(dd::mul(em1, am), as.e);
  }
  if (x > -0x1p-60) {
    const Scaled xs = dd::split_exponent(x);
    const DD m = dd::fast_two_sum(xs.m.hi, xs.m.hi * x * 0.5);
    return dd::round_scaled(dd::mul(m, am), xs.e + as.e);
  }
  return dd::round_scaled(dd::mul(dd::expm1(DD{x, 0.0}), am), as.e);
}

// x > 0 ? x : +0, NaN passed through with its payload (a plain max(0, x) would return 0).
template <class T>
T relu_one(T x) {
  return (x > T(0) || std::isnan(x)) ? x : T(0);
}

template <class T>
void sigmoid_impl(std::span<const T> x, std::span<T> out) {
  if constexpr (std::is_same_v<T, double>) {
    apply("sigmoid", x, out, sigmoid_dd);
  } else {
    apply("sigmoid", x, out, sigmoid_one);
  }
}

template <class T>
void tanh_impl(std::span<const T> x, std::span<T> out) {
  if constexpr (std::is_same_v<T, double>) {
    apply("tanh", x, out, tanh_dd);
  } else {
    apply("tanh", x, out, [](double v) { return std::tanh(v); });
  }
}

template <class T>
void softplus_impl(std::span<const T> x, std::span<T> out, T beta, T threshold) {
  if (!(std::isfinite(beta) && beta > T(0))) {
    detail::fail("softplus", "beta must be finite and > 0, got " + std::to_string(beta));
  }
  const double b = static_cast<double>(beta);
  const double th = static_cast<double>(threshold);
  if constexpr (std::is_same_v<T, double>) {
    apply("softplus", x, out, [b, th](double v) { return softplus_dd(v, b, th); });
  } else {
    apply("softplus", x, out, [b, th](double v) { return softplus_one(v, b, th); });
  }
}

template <class T>
void relu_impl(std::span<const T> x, std::span<T> out) {
  detail::check_same_length("relu", "x", x.size(), "out", out.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = relu_one(x[i]);  // exact: no widening
}

template <class T>
void elu_impl(std::span<const T> x, std::span<T> out, T alpha) {
  const double a = static_cast<double>(alpha);
  if constexpr (std::is_same_v<T, double>) {
    apply("elu", x, out, [a](double v) { return elu_dd(v, a); });
  } else {
    // An exact zero (x = ±0 or alpha = 0) is +0, as in elu_dd.
    apply("elu", x, out, [a](double v) {
      if (v == 0.0 || (a == 0.0 && !std::isnan(v))) return 0.0;
      return v > 0.0 ? v : a * std::expm1(v);
    });
  }
}

}  // namespace

void sigmoid(std::span<const float> x, std::span<float> out) { sigmoid_impl(x, out); }
void sigmoid(std::span<const double> x, std::span<double> out) { sigmoid_impl(x, out); }

void tanh(std::span<const float> x, std::span<float> out) { tanh_impl(x, out); }
void tanh(std::span<const double> x, std::span<double> out) { tanh_impl(x, out); }

void softplus(std::span<const float> x, std::span<float> out, float beta, float threshold) {
  softplus_impl(x, out, beta, threshold);
}
void softplus(std::span<const double> x, std::span<double> out, double beta, double threshold) {
  softplus_impl(x, out, beta, threshold);
}

void relu(std::span<const float> x, std::span<float> out) { relu_impl(x, out); }
void relu(std::span<const double> x, std::span<double> out) { relu_impl(x, out); }

void elu(std::span<const float> x, std::span<float> out, float alpha) { elu_impl(x, out, alpha); }
void elu(std::span<const double> x, std::span<double> out, double alpha) {
  elu_impl(x, out, alpha);
}

}  // namespace nnconform::impl
