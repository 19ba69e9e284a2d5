// Backward of the elementwise activations (include/nnconform/impl/backward.hpp): each derivative
// in double-double, in the cancellation-free form of its spec, times g, rounded once.
#include <cmath>
#include <limits>
#include <span>
#include <string>

#include "backward_common.hpp"
#include "dd.hpp"

namespace nnconform::impl {
namespace {

using bw::DD;
using bw::mk;
using dw::Scaled;
constexpr double kInf = bw::kInf;
constexpr double kNaN = bw::kNaN;

// A derivative m·2^k, so that a result in (or below) the subnormal range is rounded once.
struct Val {
  DD m;
  int k = 0;
};
Val val(DD m) { return {m, 0}; }
Val val(double v) { return {mk(v), 0}; }

template <class T>
T finish(Val v, double g) {
  DD m = v.m;
  if (g != 1.0) m = m * g;
  if (v.k == 0 || !std::isfinite(m.hi) || m.hi == 0.0) return bw::round_to<T>(m);
  return bw::round_to<T>(dw::ldexp(m, v.k));
}

// dx[i] = g[i]·f(x[i]) for a kernel f: double -> Val.
template <class T, class F>
void map(std::string_view fn, std::span<const T> x, std::span<const T> g, std::span<T> dx, F f) {
  bw::check_len(fn, "dx", dx.size(), x.size());
  bw::check_upstream(fn, g.size(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) dx[i] = finish<T>(f(static_cast<double>(x[i])), bw::upstream(g, i));
}

// e^-a (a >= 0) as m·2^k; a = +inf gives 0.
Scaled exp_neg(double a) { return dw::exp_scaled(mk(-a)); }

// sigma(x) sigma(-x) = e / (1 + e)^2, e = e^-|x|.
Val sigmoid_prime(double x) {
  if (std::isnan(x)) return val(kNaN);
  const Scaled e = exp_neg(std::fabs(x));
  const DD ev = dw::ldexp(e.m, e.k);
  const DD d = ev + 1.0;
  return {e.m / (d * d), e.k};
}

// sigma(u) (1 + u sigma(-u)) for a DD u (the derivative of u sigma(u) with respect to u).
Val silu_prime(DD u) {
  if (std::isnan(u.hi)) return val(kNaN);
  if (std::isinf(u.hi)) return val(u.hi > 0 ? 1.0 : 0.0);
  if (u.hi >= 0) {  // e = e^-u: (1 + e + u e) / (1 + e)^2
    const DD e = dw::exp(-u);
    const DD d = e + 1.0;
    return val((d + u * e) / (d * d));
  }
  // e = e^u (scaled): e (1 + e + u) / (1 + e)^2
  const Scaled e = dw::exp_scaled(u);
  const DD ev = dw::ldexp(e.m, e.k);
  const DD d = ev + 1.0;
  return {e.m * (d + u) / (d * d), e.k};
}

// -(a sigma(-a) + log1p(e^-a)) for a = |u| >= 0, as m·2^k.
Val softplus_beta_core(DD a) {
  if (a.hi > 2000.0) return val(-0.0);  // -e^-a (a + ...) < 2^-2800: -0 in every format
  const Scaled w = dw::exp_scaled(-a);
  const DD wv = dw::ldexp(w.m, w.k);
  // log1p(w) / w in [log 2, 1]: its series below 2^-40.
  DD ratio = wv.hi < 0x1p-40 ? DD{1.0, 0.0} - wv * 0.5 : dw::log1p(wv) / wv;
  if (wv.hi == 0.0) ratio = mk(1.0);
  return {-(w.m * (a / (wv + 1.0) + ratio)), w.k};
}

const DD kLambda{0x1.0cfabd6a91132p+0, 0x1.6fc7d272f2695p-55};
const DD kLambdaAlpha{0x1.c212cc640f031p+0, 0x1.05161b045a1fep-56};
const DD kInvSqrt2{0x1.6a09e667f3bcdp-1, -0x1.bdd3413b26456p-55};
const DD kInvSqrt2Pi{0x1.9884533d43651p-2, -0x1.cbc0d30ebfd15p-56};
const DD kSqrt2OverPi{0x1.9884533d43651p-1, -0x1.cbc0d30ebfd15p-55};
const DD kGeluA{0x1.6e4e26d4801f7p-5, 0x1.441355475a31ap-59};  // 0.044715
const DD kSixth{0x1.5555555555555p-3, 0x1.5555555555555p-57};

// gelu'(x) = Phi(x) + x phi(x).
Val gelu_prime(double x) {
  if (std::isnan(x)) return val(kNaN);
  if (std::isinf(x)) return val(x > 0 ? 1.0 : 0.0);
  const DD t = mk(std::fabs(x)) * kInvSqrt2;  // |x| / sqrt 2
  const DD x2h = dw::two_prod(x, x) * 0.5;   // x^2 / 2, exact
  if (x >= 0) {
    // Phi(x) = 1 - erfc(t)/2; phi(x) = e^(-x^2/2) / sqrt(2 pi).
    DD half_erfc = mk(0.0);
    if (t.hi <= 30.0) {
      const dd::Scaled c = dd::erfc(dd::DD{t.hi, t.lo});
      half_erfc = dw::ldexp(DD{c.m.hi, c.m.lo}, c.e - 1);
    }
    const DD phi = dw::exp(-x2h) * kInvSqrt2Pi;
    return val((DD{1.0, 0.0} - half_erfc) + mk(x) * phi);
  }
  // x < 0: Phi(x) = erfc(t)/2 = c·2^(ce - 1); x phi(x) = x e^(-x^2/2) / sqrt(2 pi) = p·2^pk.
  if (t.hi > 30.0 || x2h.hi > 2000.0) return val(-0.0);  // below 2^-1300: -0 in every format
  const dd::Scaled c = dd::erfc(dd::DD{t.hi, t.lo});
  const Scaled p = dw::exp_scaled(-x2h);
  const DD pm = p.m * kInvSqrt2Pi * x;
  // Bring both to the exponent of the larger (the x phi term): difference of comparable terms.
  const int k = p.k;
  const DD phi_part = dw::ldexp(DD{c.m.hi, c.m.lo}, c.e - 1 - k);
  return {phi_part + pm, k};
}

// gelu_tanh'(x) = sigma(u) (1 + x sigma(-u) u'), u = 2c (x + a x^3), u' = 2c (1 + 3a x^2).
Val gelu_tanh_prime(double x) {
  if (std::isnan(x)) return val(kNaN);
  if (x > 50.0) return val(1.0);
  if (x < -50.0) return val(-0.0);
  const DD xx = dw::two_prod(x, x);
  const DD u = (mk(x) + kGeluA * xx * x) * kSqrt2OverPi * 2.0;
  const DD du = (DD{1.0, 0.0} + kGeluA * xx * 3.0) * kSqrt2OverPi * 2.0;
  if (u.hi >= 0) {
    const DD e = dw::exp(-u);  // sigma(u) = 1/(1+e), sigma(-u) = e/(1+e)
    const DD d = e + 1.0;
    return val((d + mk(x) * e * du) / (d * d));
  }
  const Scaled e = dw::exp_scaled(u);  // sigma(u) = e/(1+e), sigma(-u) = 1/(1+e)
  const DD ev = dw::ldexp(e.m, e.k);
  const DD d = ev + 1.0;
  return {e.m * (d + mk(x) * du) / (d * d), e.k};
}

// mish'(x): x > 0: tanh(sp) + 4 x sigma(x) w / (1 + w)^2, w = sigma(-x)^2;
// x <= 0: E ((2 + E) D + 4 x (1 + E)) / D^2, E = e^x, D = 2 + 2E + E^2.
Val mish_prime(double x) {
  if (std::isnan(x)) return val(kNaN);
  if (std::isinf(x)) return val(x > 0 ? 1.0 : 0.0);
  if (x > 0) {
    const DD sp = bw::softplus(mk(x));
    const DD sm = bw::sigmoid(mk(-x));
    const DD w = sm * sm;
    const DD d = w + 1.0;
    return val(bw::tanh(sp) + bw::sigmoid(mk(x)) * w * x * 4.0 / (d * d));
  }
  if (x < -2000.0) return val(-0.0);  // below 2^-2800: -0 in every format
  const Scaled e = dw::exp_scaled(mk(x));
  const DD E = dw::ldexp(e.m, e.k);
  const DD D = E * E + E * 2.0 + 2.0;
  return {e.m * ((E + 2.0) * D + (E + 1.0) * x * 4.0) / (D * D), e.k};
}

template <class T>
void check_slope(std::string_view fn, std::string_view name, T v) {
  if (!std::isfinite(v)) detail::fail(fn, std::string(name) + " must be finite");
}

}  // namespace

// ---- sigmoid, tanh ----
#define NNCONFORM_SIMPLE(NAME, KERNEL)                                                           \
  void NAME##_backward(std::span<const float> x, std::span<const float> g, std::span<float> dx) { \
    map<float>(#NAME "_backward", x, g, dx, KERNEL);                                              \
  }                                                                                               \
  void NAME##_backward(std::span<const double> x, std::span<const double> g,                      \
                       std::span<double> dx) {                                                    \
    map<double>(#NAME "_backward", x, g, dx, KERNEL);                                             \
  }

NNCONFORM_SIMPLE(sigmoid, sigmoid_prime)
NNCONFORM_SIMPLE(tanh, ([](double x) -> Val {
  if (std::isnan(x)) return val(kNaN);
  // 4 sigma(2x) sigma(-2x) = 4 e / (1 + e)^2, e = e^-2|x|
  const Scaled e = exp_neg(2.0 * std::fabs(x));
  const DD ev = dw::ldexp(e.m, e.k);
  const DD d = ev + 1.0;
  return {e.m / (d * d), e.k + 2};
}))
NNCONFORM_SIMPLE(relu, ([](double x) -> Val { return std::isnan(x) ? val(kNaN) : val(x > 0 ? 1.0 : 0.0); }))
NNCONFORM_SIMPLE(relu6, ([](double x) -> Val {
  return std::isnan(x) ? val(kNaN) : val(x > 0 && x < 6 ? 1.0 : 0.0);
}))
NNCONFORM_SIMPLE(selu, ([](double x) -> Val {
  if (std::isnan(x)) return val(kNaN);
  if (x > 0) return val(kLambda);
  const Scaled e = dw::exp_scaled(mk(x));
  return {e.m * kLambdaAlpha, e.k};
}))
NNCONFORM_SIMPLE(silu, ([](double x) -> Val { return silu_prime(mk(x)); }))
NNCONFORM_SIMPLE(mish, mish_prime)
NNCONFORM_SIMPLE(gelu, gelu_prime)
NNCONFORM_SIMPLE(gelu_tanh, gelu_tanh_prime)
NNCONFORM_SIMPLE(logsigmoid, ([](double x) -> Val {
  if (std::isnan(x)) return val(kNaN);
  if (x <= 0) return val(bw::sigmoid(-x));
  const Scaled e = exp_neg(x);  // sigma(-x) = e / (1 + e)
  return {e.m / (dw::ldexp(e.m, e.k) + 1.0), e.k};
}))
NNCONFORM_SIMPLE(hardsigmoid, ([](double x) -> Val {
  return std::isnan(x) ? val(kNaN) : (x > -3 && x < 3 ? val(kSixth) : val(0.0));
}))
NNCONFORM_SIMPLE(hardswish, ([](double x) -> Val {
  if (std::isnan(x)) return val(kNaN);
  if (x < -3) return val(0.0);
  if (x <= 3) return val((mk(x) * 2.0 + 3.0) * kSixth);
  return val(1.0);
}))
#undef NNCONFORM_SIMPLE

// ---- from the forward output ----
namespace {
template <class T, class F>
void map_output(std::string_view fn, std::span<const T> y, std::span<const T> g, std::span<T> dx, F f) {
  bw::check_len(fn, "dx", dx.size(), y.size());
  bw::check_upstream(fn, g.size(), y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    DD v = f(static_cast<double>(y[i]));
    dx[i] = bw::round_to<T>(bw::times(v, bw::upstream(g, i), mk(1.0)));
  }
}
DD sigmoid_from_y(double y) { return (DD{1.0, 0.0} - mk(y)) * y; }
DD tanh_from_y(double y) { return (DD{1.0, 0.0} - mk(y)) * (DD{1.0, 0.0} + mk(y)); }
}  // namespace

void sigmoid_backward_from_output(std::span<const float> y, std::span<const float> g, std::span<float> dx) {
  map_output<float>("sigmoid_backward_from_output", y, g, dx, sigmoid_from_y);
}
void sigmoid_backward_from_output(std::span<const double> y, std::span<const double> g, std::span<double> dx) {
  map_output<double>("sigmoid_backward_from_output", y, g, dx, sigmoid_from_y);
}
void tanh_backward_from_output(std::span<const float> y, std::span<const float> g, std::span<float> dx) {
  map_output<float>("tanh_backward_from_output", y, g, dx, tanh_from_y);
}
void tanh_backward_from_output(std::span<const double> y, std::span<const double> g, std::span<double> dx) {
  map_output<double>("tanh_backward_from_output", y, g, dx, tanh_from_y);
}

// ---- with parameters: dx and the per-element parameter derivative ----
namespace {

template <class T, class FX, class FP>
void map2(std::string_view fn, std::span<const T> x, std::span<const T> g, std::span<T> dx,
          std::span<T> dp, std::string_view param_out, FX fx, FP fp) {
  bw::check_out(fn, "dx", dx.size(), x.size());
  bw::check_out(fn, param_out, dp.size(), x.size());
  bw::check_upstream(fn, g.size(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double xi = static_cast<double>(x[i]);
    const double gi = bw::upstream(g, i);
    if (!dx.empty()) dx[i] = finish<T>(fx(xi, i), gi);
    if (!dp.empty()) dp[i] = finish<T>(fp(xi, i), gi);
  }
}

template <class T>
void linear_impl(std::span<const T> x, std::span<const T> g, std::span<T> dx, std::span<T> dk, T k) {
  constexpr std::string_view fn = "linear_backward";
  check_slope(fn, "k", k);
  map2<T>(fn, x, g, dx, dk, "dk", [&](double xi, std::size_t) { return std::isnan(xi) ? val(kNaN) : val(double(k)); },
          [](double xi, std::size_t) { return val(xi); });
}

template <class T>
void leaky_impl(std::string_view fn, std::span<const T> x, std::span<const T> g, std::span<T> dx, std::span<T> da,
                T a) {
  check_slope(fn, "a", a);
  map2<T>(fn, x, g, dx, da, "da",
          [&](double xi, std::size_t) { return std::isnan(xi) ? val(kNaN) : val(xi > 0 ? 1.0 : double(a)); },
          [](double xi, std::size_t) { return std::isnan(xi) ? val(kNaN) : val(xi >= 0 ? 0.0 : xi); });
}

template <class T>
void prelu_channels(std::span<const T> x, Shape shape, std::span<const T> g, std::span<T> dx, std::span<T> da,
                    std::span<const T> a) {
  constexpr std::string_view fn = "prelu_backward";
  detail::check_shape(fn, "x", x.size(), shape);
  bw::check_len(fn, "a", a.size(), shape.c);
  for (T v : a) check_slope(fn, "a", v);
  map2<T>(fn, x, g, dx, da, "da",
          [&](double xi, std::size_t i) {
            return std::isnan(xi) ? val(kNaN) : val(xi > 0 ? 1.0 : double(a[i % shape.c]));
          },
          [](double xi, std::size_t) { return std::isnan(xi) ? val(kNaN) : val(xi >= 0 ? 0.0 : xi); });
}

template <class T>
void elu_impl(std::span<const T> x, std::span<const T> g, std::span<T> dx, std::span<T> dalpha, T alpha) {
  constexpr std::string_view fn = "elu_backward";
  if (!(alpha >= T(0)) || std::isinf(alpha)) detail::fail(fn, "alpha must be in [0, inf)");
  const double al = alpha;
  map2<T>(fn, x, g, dx, dalpha, "dalpha",
          [&](double xi, std::size_t) -> Val {
            if (std::isnan(xi)) return val(kNaN);
            if (xi > 0) return val(1.0);
            const Scaled e = dw::exp_scaled(mk(xi));
            return {e.m * al, e.k};
          },
          [](double xi, std::size_t) -> Val {
            if (std::isnan(xi)) return val(kNaN);
            if (xi > 0) return val(0.0);
            if (xi == -kInf) return val(-1.0);
            return val(dw::expm1(mk(xi)));
          });
}

template <class T>
void swish_impl(std::span<const T> x, std::span<const T> g, std::span<T> dx, std::span<T> dbeta, T beta) {
  constexpr std::string_view fn = "swish_backward";
  if (!(beta > T(0)) || std::isinf(beta)) detail::fail(fn, "beta must be in (0, inf)");
  const double b = beta;
  map2<T>(fn, x, g, dx, dbeta, "dbeta",
          [&](double xi, std::size_t) -> Val {
            if (std::isinf(xi)) return val(xi > 0 ? 1.0 : 0.0);
            return silu_prime(dw::two_prod(b, xi));
          },
          [&](double xi, std::size_t) -> Val {
            if (std::isnan(xi)) return val(kNaN);
            if (std::isinf(xi)) return val(0.0);
            // x^2 sigma(u) sigma(-u) = x^2 e / (1 + e)^2, e = e^-|u|
            const DD u = dw::two_prod(b, xi);
            const Scaled e = dw::exp_scaled(-dw::abs(u));
            const DD ev = dw::ldexp(e.m, e.k);
            const DD d = ev + 1.0;
            const int ex = std::isfinite(xi) && xi != 0 ? dw::exponent_of(xi) : 0;
            const double xs = std::ldexp(xi, -ex);  // x = xs 2^ex, no overflow of x^2
            return {e.m * dw::two_prod(xs, xs) / (d * d), e.k + 2 * ex};
          });
}

template <class T>
void softplus_impl(std::span<const T> x, std::span<const T> g, std::span<T> dx, std::span<T> dbeta, T beta,
                   T threshold) {
  constexpr std::string_view fn = "softplus_backward";
  if (!(beta > T(0)) || std::isinf(beta)) detail::fail(fn, "beta must be finite and > 0");
  const double b = beta, th = threshold;
  auto linear = [&](double xi) { return !std::isnan(th) && dw::greater(dw::two_prod(b, xi), th); };
  map2<T>(fn, x, g, dx, dbeta, "dbeta",
          [&](double xi, std::size_t) -> Val {
            if (std::isnan(xi)) return val(kNaN);
            if (linear(xi)) return val(1.0);
            return val(bw::sigmoid(dw::two_prod(b, xi)));
          },
          [&](double xi, std::size_t) -> Val {
            if (std::isnan(xi)) return val(kNaN);
            if (linear(xi) || std::isinf(xi)) return val(0.0);
            const Val c = softplus_beta_core(dw::abs(dw::two_prod(b, xi)));
            return {c.m / dw::two_prod(b, b), c.k};
          });
}

template <class T>
void rrelu_eval(std::span<const T> x, std::span<const T> g, std::span<T> dx, T lower, T upper) {
  constexpr std::string_view fn = "rrelu_backward";
  if (!(lower >= T(0)) || !(upper >= T(0)) || std::isinf(lower) || std::isinf(upper))
    detail::fail(fn, "lower and upper must be in [0, inf)");
  const DD slope = (mk(lower) + double(upper)) * 0.5;
  map<T>(fn, x, g, dx, [&](double xi) { return std::isnan(xi) ? val(kNaN) : (xi > 0 ? val(1.0) : val(slope)); });
}

template <class T>
void rrelu_given(std::span<const T> x, std::span<const T> a, std::span<const T> g, std::span<T> dx) {
  constexpr std::string_view fn = "rrelu_backward";
  bw::check_len(fn, "a", a.size(), x.size());
  bw::check_len(fn, "dx", dx.size(), x.size());
  bw::check_upstream(fn, g.size(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double xi = x[i];
    const Val v = std::isnan(xi) ? val(kNaN) : (xi > 0 ? val(1.0) : val(double(a[i])));
    dx[i] = finish<T>(v, bw::upstream(g, i));
  }
}

template <class T>
void srelu_impl(std::span<const T> x, std::span<const T> g, SreluGrads<T> out, T t_l, T a_l, T t_r, T a_r) {
  constexpr std::string_view fn = "srelu_backward";
  for (T v : {t_l, a_l, t_r, a_r})
    if (!std::isfinite(v)) detail::fail(fn, "t_l, a_l, t_r and a_r must be finite");
  bw::check_out(fn, "dx", out.dx.size(), x.size());
  bw::check_out(fn, "dt_l", out.dt_l.size(), x.size());
  bw::check_out(fn, "da_l", out.da_l.size(), x.size());
  bw::check_out(fn, "dt_r", out.dt_r.size(), x.size());
  bw::check_out(fn, "da_r", out.da_r.size(), x.size());
  bw::check_upstream(fn, g.size(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double xi = x[i], gi = bw::upstream(g, i);
    const bool nan = std::isnan(xi);
    const bool right = xi >= t_r, left = !right && xi <= t_l;
    auto put = [&](std::span<T> o, Val v) {
      if (!o.empty()) o[i] = finish<T>(nan ? val(kNaN) : v, gi);
    };
    put(out.dx, val(right ? double(a_r) : left ? double(a_l) : 1.0));
    put(out.dt_r, val(right ? DD{1.0, 0.0} - mk(a_r) : mk(0.0)));
    put(out.da_r, val(right ? dw::two_sum(xi, -double(t_r)) : mk(0.0)));
    put(out.dt_l, val(left ? DD{1.0, 0.0} - mk(a_l) : mk(0.0)));
    put(out.da_l, val(left ? dw::two_sum(xi, -double(t_l)) : mk(0.0)));
  }
}

}  // namespace

#define NNCONFORM_PARAM(T)                                                                                     \
  void linear_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx, std::span<T> dk, T k) {  \
    linear_impl<T>(x, g, dx, dk, k);                                                                           \
  }                                                                                                            \
  void leaky_relu_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx, std::span<T> da,     \
                           T a) {                                                                              \
    leaky_impl<T>("leaky_relu_backward", x, g, dx, da, a);                                                     \
  }                                                                                                            \
  void prelu_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx, std::span<T> da, T a) {   \
    leaky_impl<T>("prelu_backward", x, g, dx, da, a);                                                          \
  }                                                                                                            \
  void prelu_backward(std::span<const T> x, Shape shape, std::span<const T> g, std::span<T> dx,              \
                      std::span<T> da, std::span<const T> a) {                                                 \
    prelu_channels<T>(x, shape, g, dx, da, a);                                                                 \
  }                                                                                                            \
  void elu_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx, std::span<T> dalpha,        \
                    T alpha) {                                                                                 \
    elu_impl<T>(x, g, dx, dalpha, alpha);                                                                      \
  }                                                                                                            \
  void swish_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx, std::span<T> dbeta,       \
                      T beta) {                                                                                \
    swish_impl<T>(x, g, dx, dbeta, beta);                                                                      \
  }                                                                                                            \
  void softplus_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx, std::span<T> dbeta,    \
                         T beta, T threshold) {                                                                \
    softplus_impl<T>(x, g, dx, dbeta, beta, threshold);                                                        \
  }                                                                                                            \
  void rrelu_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx, T lower, T upper) {       \
    rrelu_eval<T>(x, g, dx, lower, upper);                                                                     \
  }                                                                                                            \
  void rrelu_backward(std::span<const T> x, std::span<const T> a, std::span<const T> g, std::span<T> dx) {   \
    rrelu_given<T>(x, a, g, dx);                                                                               \
  }
NNCONFORM_PARAM(float)
NNCONFORM_PARAM(double)
#undef NNCONFORM_PARAM

void srelu_backward(std::span<const float> x, std::span<const float> g, SreluGrads<float> out, float t_l,
                    float a_l, float t_r, float a_r) {
  srelu_impl<float>(x, g, out, t_l, a_l, t_r, a_r);
}
void srelu_backward(std::span<const double> x, std::span<const double> g, SreluGrads<double> out, double t_l,
                    double a_l, double t_r, double a_r) {
  srelu_impl<double>(x, g, out, t_l, a_l, t_r, a_r);
}

}  // namespace nnconform::impl
