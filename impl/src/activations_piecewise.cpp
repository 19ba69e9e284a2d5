// Piecewise-linear and row activations: linear, relu6, leaky_relu, prelu, rrelu, crelu, srelu,
// maxout, hardmax, hardsigmoid, hardswish (contracts in nn.hpp).
//
// Most are exact (a comparison or one product, rounded once). Where the formula has more than
// one rounding (rrelu's mean slope, srelu, hardsigmoid, hardswish), the exact value is carried
// in double-double or as an exact expansion (dd.hpp) and rounded once.
//
// Zeros: the reference rounds an exact zero to +0 and keeps the sign of a nonzero value that
// underflows; the kernels do the same (leaky_relu(-0) = +0, hardswish(-5) = +0, but
// leaky_relu(-1e-320) with a = 0.01 = -0).
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "dd.hpp"
#include "detail.hpp"

namespace nnconform::impl {
namespace {

using dd::DD;
using dd::Scaled;
using detail::apply;

// where(x >= 0, x, a·x), a finite, with an exact zero as +0: x·0 is +0 for finite x (and NaN
// for x = -inf, as 0·inf is in the formula). One product, rounded once (for float operands
// the binary64 product is exact and the cast is the one rounding).
template <class T>
T negative_slope(T x, T a) {
  if (x > T(0)) return x;
  if (x == T(0)) return T(0);
  if (a == T(0) && std::isfinite(x)) return T(0);
  return static_cast<T>(static_cast<double>(a) * static_cast<double>(x));  // NaN passes
}

template <class T>
T relu_one(T x) {
  return (x > T(0) || std::isnan(x)) ? x : T(0);
}

// ---- linear ----

template <class T>
void linear_impl(std::span<const T> x, std::span<T> out, T k) {
  detail::check_finite_param("linear", "k", k);
  detail::check_same_length("linear", "x", x.size(), "out", out.size());
  const double kd = k;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    // k·x exactly zero (k = 0 and x finite, or x = ±0) is +0.
    out[i] = (v == 0.0 || (kd == 0.0 && std::isfinite(v))) ? T(0) : static_cast<T>(kd * v);
  }
}

// ---- relu6 ----

template <class T>
T relu6_one(T x) {
  if (std::isnan(x)) return x;
  if (x >= T(6)) return T(6);
  return x > T(0) ? x : T(0);
}

// ---- rrelu ----

template <class T>
void check_rrelu_bound(const char* name, T v) {
  if (!(std::isfinite(v) && v >= T(0))) {
    detail::fail("rrelu", std::string("parameter ") + name + " must be finite and >= 0, got " +
                              std::to_string(v));
  }
}

// x·(lower + upper)/2 rounded once: lower + upper is exact as a DD (TwoSum), the product with
// x's frexp significand is a DD product (2^-102), and the halving goes into the exponent.
// lower + upper overflowing (both near max) is taken as lower/2 + upper/2 (exact halvings).
template <class T>
T rrelu_eval_one(double x, DD sum, int sum_scale) {
  if (std::isnan(x)) return static_cast<T>(x);
  if (x >= 0.0) return static_cast<T>(x == 0.0 ? 0.0 : x);
  if (sum.hi == 0.0) return static_cast<T>(std::isfinite(x) ? 0.0 : detail::kNaN);  // 0·x
  if (std::isinf(x)) return static_cast<T>(x);
  const Scaled xs = dd::split_exponent(x);
  return dd::round_to<T>(dd::mul(sum, xs.m.hi), xs.e + sum_scale);
}

template <class T>
void rrelu_eval_impl(std::span<const T> x, std::span<T> out, T lower, T upper) {
  check_rrelu_bound("lower", lower);
  check_rrelu_bound("upper", upper);
  detail::check_same_length("rrelu", "x", x.size(), "out", out.size());
  DD sum = dd::two_sum(lower, upper);
  int sum_scale = -1;
  if (std::isinf(sum.hi)) {
    sum = dd::two_sum(0.5 * static_cast<double>(lower), 0.5 * static_cast<double>(upper));
    sum_scale = 0;
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    out[i] = rrelu_eval_one<T>(static_cast<double>(x[i]), sum, sum_scale);
  }
}

template <class T>
void rrelu_given_impl(std::span<const T> x, std::span<const T> a, std::span<T> out) {
  detail::check_same_length("rrelu", "x", x.size(), "a", a.size());
  detail::check_same_length("rrelu", "x", x.size(), "out", out.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    out[i] = negative_slope(x[i], a[i]);  // a NaN slope matters only where x < 0
  }
}

// ---- prelu ----

template <class T>
void prelu_impl(std::span<const T> x, Shape shape, std::span<T> out, std::span<const T> a) {
  detail::check_shape("prelu", "x", x.size(), shape);
  detail::check_same_length("prelu", "x", x.size(), "out", out.size());
  if (a.size() != 1 && a.size() != shape.c) {
    detail::fail("prelu", "a has " + std::to_string(a.size()) +
                              " slopes; it takes 1 (shared) or C = " + std::to_string(shape.c) +
                              " (one per channel)");
  }
  for (std::size_t j = 0; j < a.size(); ++j) {
    if (!std::isfinite(a[j])) {
      detail::fail("prelu", "slope a[" + std::to_string(j) + "] must be finite, got " +
                                std::to_string(a[j]));
    }
  }
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < x.size(); ++i) {
    out[i] = negative_slope(x[i], a.size() == 1 ? a[0] : a[i % c]);
  }
}

// ---- crelu ----

template <class T>
void crelu_impl(std::span<const T> x, Shape shape, std::span<T> out) {
  detail::check_shape("crelu", "x", x.size(), shape);
  if (x.size() > std::numeric_limits<std::size_t>::max() / 2 || out.size() != 2 * x.size()) {
    detail::fail("crelu", "out has " + std::to_string(out.size()) +
                              " elements but needs 2 x N x C = " + std::to_string(2 * x.size()));
  }
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i) {
    for (std::size_t j = 0; j < c; ++j) {
      const T v = x[i * c + j];
      out[2 * c * i + j] = relu_one(v);
      out[2 * c * i + c + j] = relu_one(static_cast<T>(-v));
    }
  }
}

// ---- srelu ----

// t + a·(x - t) rounded once from its exact value: x - t = d.hi + d.lo (TwoSum), a·d.hi and
// a·d.lo split exactly (Dekker), so the result is the exact sum of five doubles, which
// dd::round_sum rounds correctly whatever the cancellation. Exact barring an overflow of x - t
// (both beyond 2^1023 in magnitude: evaluated at a quarter of the scale, exactly) and partial
// products of a·d below 2^-969 or a, d above 2^995 (then within a few 2^-1074 absolute, or
// 2^-53 relative of a·d.lo).
template <class T>
T srelu_branch(double x, double t, double a) {
  if (std::isinf(x)) return static_cast<T>(t + a * (x - t));  // ±inf, or NaN for a = 0
  const DD d = dd::two_sum(x, -t);
  if (!std::isfinite(d.hi)) return static_cast<T>(4.0 * srelu_branch<double>(0.25 * x, 0.25 * t, a));
  const DD p = dd::two_prod(a, d.hi);
  const DD q = dd::two_prod(a, d.lo);
  const double terms[5] = {t, p.hi, p.lo, q.hi, q.lo};
  return dd::round_to<T>(dd::round_sum(terms, 5), 0);
}

template <class T>
T srelu_one(double x, double t_l, double a_l, double t_r, double a_r) {
  if (std::isnan(x)) return static_cast<T>(x);
  if (x >= t_r) return srelu_branch<T>(x, t_r, a_r);
  if (x <= t_l) return srelu_branch<T>(x, t_l, a_l);
  return static_cast<T>(x == 0.0 ? 0.0 : x);
}

template <class T>
void srelu_impl(std::span<const T> x, std::span<T> out, T t_l, T a_l, T t_r, T a_r) {
  detail::check_finite_param("srelu", "t_l", t_l);
  detail::check_finite_param("srelu", "a_l", a_l);
  detail::check_finite_param("srelu", "t_r", t_r);
  detail::check_finite_param("srelu", "a_r", a_r);
  // Any order of the thresholds: the spec's formula tests x >= t_r first, then x <= t_l
  // (srelu_one), which is defined for t_l > t_r too (the golden vectors have such cases).
  const double tl = t_l, al = a_l, tr = t_r, ar = a_r;
  apply("srelu", x, out, [=](double v) { return srelu_one<T>(v, tl, al, tr, ar); });
}

// ---- maxout ----

template <class T>
void maxout_impl(std::span<const T> x, Shape shape, std::span<T> out, std::int64_t k) {
  if (k < 1) detail::fail("maxout", "k must be >= 1, got " + std::to_string(k));
  detail::check_shape("maxout", "x", x.size(), shape);
  const auto ku = static_cast<std::size_t>(k);
  if (shape.c % ku != 0) {
    detail::fail("maxout", "row length C = " + std::to_string(shape.c) +
                               " is not a multiple of k = " + std::to_string(k));
  }
  const std::size_t groups = x.size() / ku;
  if (out.size() != groups) {
    detail::fail("maxout", "out has " + std::to_string(out.size()) +
                               " elements but needs N x C / k = " + std::to_string(groups));
  }
  for (std::size_t g = 0; g < groups; ++g) {
    // Read the whole group before writing out[g] (g <= g·k: in place is safe).
    T m = x[g * ku];
    bool nan = std::isnan(m);
    for (std::size_t j = 1; j < ku; ++j) {
      const T v = x[g * ku + j];
      if (std::isnan(v)) {
        nan = true;
      } else if (v > m || std::isnan(m)) {
        m = v;
      }
    }
    // A NaN anywhere gives NaN; a zero maximum is +0 (max(-0, +0) = +0, an exact zero).
    out[g] = nan ? std::numeric_limits<T>::quiet_NaN() : (m == T(0) ? T(0) : m);
  }
}

// ---- hardmax ----

template <class T>
void hardmax_impl(std::span<const T> z, Shape shape, std::span<T> out) {
  detail::check_shape("hardmax", "z", z.size(), shape);
  detail::check_same_length("hardmax", "z", z.size(), "out", out.size());
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i) {
    const detail::RowMax r = detail::row_max(z.subspan(i * c, c));
    for (std::size_t j = 0; j < c; ++j) {
      out[i * c + j] = r.has_nan ? std::numeric_limits<T>::quiet_NaN()
                                 : (j == r.k ? T(1) : T(0));
    }
  }
}

// ---- hardsigmoid, hardswish ----

// (x + 3)/6 for -3 < x < 3: x + 3 exact as a DD (TwoSum), the division by 6 in DD (2^-102),
// one rounding. The result is >= 2^-51/6 there: never subnormal.
template <class T>
T hardsigmoid_one(double x) {
  if (std::isnan(x)) return static_cast<T>(x);
  if (x <= -3.0) return T(0);
  if (x >= 3.0) return T(1);
  return dd::round_to<T>(dd::div(dd::two_sum(x, 3.0), DD{6.0, 0.0}), 0);
}

// x·(x + 3)/6 for -3 < x < 3, x != 0: x = m·2^e exactly, m·(x + 3) and the division in DD,
// one rounding at scale 2^e (hardswish(x) ~ x/2 is subnormal for subnormal x).
// x <= -3: +0 (x·0, an exact zero); -inf gives NaN, as -inf·0 in the formula (the reference's
// value). x >= 3: x.
template <class T>
T hardswish_one(double x) {
  if (std::isnan(x)) return static_cast<T>(x);
  if (x == -detail::kInf) return std::numeric_limits<T>::quiet_NaN();
  if (x <= -3.0 || x == 0.0) return T(0);
  if (x >= 3.0) return static_cast<T>(x);
  const Scaled xs = dd::split_exponent(x);
  if (std::fabs(x) < 0x1p-60) {
    // x/2 + x²/6: x/2 exactly, plus a positive term that only breaks ties (odd subnormal x).
    const double m = xs.m.hi;
    return dd::round_to<T>(dd::with_tiebreak(0.5 * m, m * x / 6.0, true), xs.e);
  }
  const DD v = dd::div(dd::mul(dd::two_sum(x, 3.0), xs.m.hi), DD{6.0, 0.0});
  return dd::round_to<T>(v, xs.e);
}

}  // namespace

void linear(std::span<const float> x, std::span<float> out, float k) { linear_impl(x, out, k); }
void linear(std::span<const double> x, std::span<double> out, double k) {
  linear_impl(x, out, k);
}

void relu6(std::span<const float> x, std::span<float> out) {
  detail::check_same_length("relu6", "x", x.size(), "out", out.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = relu6_one(x[i]);
}
void relu6(std::span<const double> x, std::span<double> out) {
  detail::check_same_length("relu6", "x", x.size(), "out", out.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = relu6_one(x[i]);
}

void leaky_relu(std::span<const float> x, std::span<float> out, float a) {
  detail::check_finite_param("leaky_relu", "a", a);
  detail::check_same_length("leaky_relu", "x", x.size(), "out", out.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = negative_slope(x[i], a);
}
void leaky_relu(std::span<const double> x, std::span<double> out, double a) {
  detail::check_finite_param("leaky_relu", "a", a);
  detail::check_same_length("leaky_relu", "x", x.size(), "out", out.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = negative_slope(x[i], a);
}

void prelu(std::span<const float> x, std::span<float> out, float a) {
  prelu_impl(x, Shape{x.size(), 1}, out, std::span<const float>(&a, 1));
}
void prelu(std::span<const double> x, std::span<double> out, double a) {
  prelu_impl(x, Shape{x.size(), 1}, out, std::span<const double>(&a, 1));
}
void prelu(std::span<const float> x, Shape shape, std::span<float> out,
           std::span<const float> a) {
  prelu_impl(x, shape, out, a);
}
void prelu(std::span<const double> x, Shape shape, std::span<double> out,
           std::span<const double> a) {
  prelu_impl(x, shape, out, a);
}

void rrelu(std::span<const float> x, std::span<float> out, float lower, float upper) {
  rrelu_eval_impl(x, out, lower, upper);
}
void rrelu(std::span<const double> x, std::span<double> out, double lower, double upper) {
  rrelu_eval_impl(x, out, lower, upper);
}
void rrelu(std::span<const float> x, std::span<const float> a, std::span<float> out) {
  rrelu_given_impl(x, a, out);
}
void rrelu(std::span<const double> x, std::span<const double> a, std::span<double> out) {
  rrelu_given_impl(x, a, out);
}

void crelu(std::span<const float> x, Shape shape, std::span<float> out) {
  crelu_impl(x, shape, out);
}
void crelu(std::span<const double> x, Shape shape, std::span<double> out) {
  crelu_impl(x, shape, out);
}

void srelu(std::span<const float> x, std::span<float> out, float t_l, float a_l, float t_r,
           float a_r) {
  srelu_impl(x, out, t_l, a_l, t_r, a_r);
}
void srelu(std::span<const double> x, std::span<double> out, double t_l, double a_l,
           double t_r, double a_r) {
  srelu_impl(x, out, t_l, a_l, t_r, a_r);
}

void maxout(std::span<const float> x, Shape shape, std::span<float> out, std::int64_t k) {
  maxout_impl(x, shape, out, k);
}
void maxout(std::span<const double> x, Shape shape, std::span<double> out, std::int64_t k) {
  maxout_impl(x, shape, out, k);
}

void hardmax(std::span<const float> z, Shape shape, std::span<float> out) {
  hardmax_impl(z, shape, out);
}
void hardmax(std::span<const double> z, Shape shape, std::span<double> out) {
  hardmax_impl(z, shape, out);
}

void hardsigmoid(std::span<const float> x, std::span<float> out) {
  apply("hardsigmoid", x, out, hardsigmoid_one<float>);
}
void hardsigmoid(std::span<const double> x, std::span<double> out) {
  apply("hardsigmoid", x, out, hardsigmoid_one<double>);
}

void hardswish(std::span<const float> x, std::span<float> out) {
  apply("hardswish", x, out, hardswish_one<float>);
}
void hardswish(std::span<const double> x, std::span<double> out) {
  apply("hardswish", x, out, hardswish_one<double>);
}

}  // namespace nnconform::impl
