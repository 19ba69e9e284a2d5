// Elementwise activations: sigmoid, tanh, softplus, relu, elu (contracts in nn.hpp).
// Each kernel is a scalar function of one binary64 value; `detail::apply` maps it over a span
// and rounds once to the output type.
#include <cmath>
#include <string>

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

// x > 0 ? x : +0, NaN passed through with its payload (a plain max(0, x) would return 0).
template <class T>
T relu_one(T x) {
  return (x > T(0) || std::isnan(x)) ? x : T(0);
}

template <class T>
void sigmoid_impl(std::span<const T> x, std::span<T> out) {
  apply("sigmoid", x, out, sigmoid_one);
}

template <class T>
void tanh_impl(std::span<const T> x, std::span<T> out) {
  apply("tanh", x, out, [](double v) { return std::tanh(v); });
}

template <class T>
void softplus_impl(std::span<const T> x, std::span<T> out, T beta, T threshold) {
  if (!(std::isfinite(beta) && beta > T(0))) {
    detail::fail("softplus", "beta must be finite and > 0, got " + std::to_string(beta));
  }
  const double b = static_cast<double>(beta);
  const double th = static_cast<double>(threshold);
  apply("softplus", x, out, [b, th](double v) { return softplus_one(v, b, th); });
}

template <class T>
void relu_impl(std::span<const T> x, std::span<T> out) {
  detail::check_same_length("relu", "x", x.size(), "out", out.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = relu_one(x[i]);  // exact: no widening
}

template <class T>
void elu_impl(std::span<const T> x, std::span<T> out, T alpha) {
  const double a = static_cast<double>(alpha);
  apply("elu", x, out, [a](double v) { return v > 0.0 ? v : a * std::expm1(v); });
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
