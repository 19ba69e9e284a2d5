// Smoke tests of the elementwise activations: special values, tails that must not flush,
// identities. No MPFR: expected values are exact, or derived from closed forms in long double.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include "nnconform/impl/nn.hpp"

namespace ni = nnconform::impl;

namespace {

template <class T>
constexpr T kInf = std::numeric_limits<T>::infinity();
template <class T>
constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();

template <class T, class F>
std::vector<T> run(F f, std::vector<T> x) {
  std::vector<T> out(x.size(), T(-12345));
  f(std::span<const T>(x), std::span<T>(out));
  return out;
}

template <class T>
std::vector<T> sigmoid(std::vector<T> x) {
  return run<T>([](auto in, auto out) { ni::sigmoid(in, out); }, std::move(x));
}

template <class T>
class Activations : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Activations, Types);

TYPED_TEST(Activations, SigmoidSpecialValues) {
  using T = TypeParam;
  const auto y = sigmoid<T>({T(0), -T(0), kInf<T>, -kInf<T>, kNaN<T>});
  EXPECT_EQ(y[0], T(0.5));
  EXPECT_EQ(y[1], T(0.5));
  EXPECT_EQ(y[2], T(1));
  EXPECT_EQ(y[3], T(0));
  EXPECT_FALSE(std::signbit(y[3]));
  EXPECT_TRUE(std::isnan(y[4]));
}

TYPED_TEST(Activations, SigmoidIsSymmetricAndMonotone) {
  using T = TypeParam;
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> dist(-30.0, 30.0);
  std::vector<T> x(2000);
  for (auto& v : x) v = static_cast<T>(dist(rng));
  std::sort(x.begin(), x.end());
  std::vector<T> neg(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) neg[i] = -x[i];
  const auto y = sigmoid<T>(x);
  const auto yn = sigmoid<T>(neg);
  for (std::size_t i = 0; i < x.size(); ++i) {
    // sigmoid(x) + sigmoid(-x) = 1: each side within a few ulp of 1 (ulp(1) = eps/2 below 1).
    EXPECT_NEAR(static_cast<double>(y[i]) + static_cast<double>(yn[i]), 1.0,
                4 * std::numeric_limits<T>::epsilon())
        << "x = " << x[i];
    if (i > 0) {
      EXPECT_LE(y[i - 1], y[i]) << "not monotone at x = " << x[i];
    }
  }
}

TEST(Activations, SigmoidFloatTailIsSubnormalNotFlushed) {
  const float y = sigmoid<float>({-100.0f})[0];
  EXPECT_EQ(std::fpclassify(y), FP_SUBNORMAL);
  // exact 3.7200759760208e-44 = 26.55 · 2^-149: the nearest float is 27 · 2^-149.
  EXPECT_NEAR(y, 3.7200759760208e-44, std::ldexp(1.0, -149));
  EXPECT_EQ(y, std::ldexp(27.0f, -149));
}

TEST(Activations, SigmoidDoubleTailIsSubnormalNotFlushed) {
  const auto y = sigmoid<double>({-745.0, -740.0, -709.0});
  EXPECT_EQ(y[0], std::numeric_limits<double>::denorm_min());  // exact ≈ 2.8e-324 rounds up
  EXPECT_EQ(std::fpclassify(y[1]), FP_SUBNORMAL);
  EXPECT_NEAR(y[1], 4.1887398800480e-322, 1e-323);
  EXPECT_NEAR(y[2] / 1.2167807506234e-308, 1.0, 1e-12);  // still normal: full precision
}

TYPED_TEST(Activations, SigmoidMatchesClosedFormOnAGrid) {
  using T = TypeParam;
  std::vector<T> x;
  for (int i = -400; i <= 400; ++i) x.push_back(static_cast<T>(i) / T(8));
  const auto y = sigmoid<T>(x);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double xl = x[i];
    const long double exact = 1.0L / (1.0L + std::exp(-xl));
    const long double ulp = std::nextafter(static_cast<T>(exact), kInf<T>) - static_cast<T>(exact);
    EXPECT_LE(std::fabs(static_cast<long double>(y[i]) - exact), 4 * ulp) << "x = " << x[i];
  }
}

TYPED_TEST(Activations, TanhSpecialValues) {
  using T = TypeParam;
  const auto y = run<T>([](auto in, auto out) { ni::tanh(in, out); },
                        {kInf<T>, -kInf<T>, -T(0), kNaN<T>, T(0.5)});
  EXPECT_EQ(y[0], T(1));
  EXPECT_EQ(y[1], T(-1));
  EXPECT_EQ(y[2], T(0));
  EXPECT_TRUE(std::signbit(y[2]));
  EXPECT_TRUE(std::isnan(y[3]));
  EXPECT_NEAR(y[4], T(0.46211715726000974), 2 * std::numeric_limits<T>::epsilon());
}

template <class T>
std::vector<T> softplus(std::vector<T> x, T beta = T(1), T threshold = kInf<T>) {
  std::vector<T> out(x.size());
  ni::softplus(std::span<const T>(x), std::span<T>(out), beta, threshold);
  return out;
}

TYPED_TEST(Activations, SoftplusSpecialValuesAndTails) {
  using T = TypeParam;
  const auto y = softplus<T>({-kInf<T>, kInf<T>, kNaN<T>, T(0), T(-100), T(1e4),
                              std::numeric_limits<T>::max()});
  EXPECT_EQ(y[0], T(0));
  EXPECT_FALSE(std::signbit(y[0]));
  EXPECT_EQ(y[1], kInf<T>);
  EXPECT_TRUE(std::isnan(y[2]));
  EXPECT_NEAR(y[3], T(0.69314718055994531), std::numeric_limits<T>::epsilon());
  EXPECT_GT(y[4], T(0));  // e^-100 ≈ 3.72e-44: not flushed (subnormal in float)
  const double tail_tolerance = std::is_same_v<T, float> ? 0.05 : 1e-14;  // float: subnormal
  EXPECT_NEAR(static_cast<double>(y[4]) / 3.7200759760208e-44, 1.0, tail_tolerance);
  EXPECT_EQ(y[5], T(1e4));
  EXPECT_EQ(y[6], std::numeric_limits<T>::max());  // no overflow inside
}

TYPED_TEST(Activations, SoftplusBetaAndThreshold) {
  using T = TypeParam;
  // threshold 20 (PyTorch's): linear above, exact function below.
  const auto y = softplus<T>({T(30), T(10)}, T(1), T(20));
  EXPECT_EQ(y[0], T(30));
  EXPECT_GT(y[1], T(10));  // 10 + 4.54e-5
  EXPECT_NEAR(y[1], T(10.000045398899218), 4 * std::numeric_limits<T>::epsilon() * 10);
  // beta = 2: log1p(e^2)/2 at x = 1, and (1/2)·log 2 at 0.
  const auto z = softplus<T>({T(1), T(0), T(-50)}, T(2));
  EXPECT_NEAR(z[0], T(1.0634640055214863), 4 * std::numeric_limits<T>::epsilon());
  EXPECT_NEAR(z[1], T(0.34657359027997264), 4 * std::numeric_limits<T>::epsilon());
  EXPECT_GT(z[2], T(0));  // e^-100 / 2
}

TEST(Activations, SoftplusBetaTailCarriesTheRoundingOfBetaTimesX) {
  // In the left tail softplus ≈ e^(beta·x)/beta, whose condition is |beta·x| ≈ 600 here: a
  // rounded beta·x alone would cost up to ~300 ulp. The exact value, from x87 extended
  // precision (beta·x is exact there to 2^-64, i.e. 600·2^-64 < 0.2 ulp after amplification):
  const double beta = 0.3, x = -2000.0 - 1.0 / 3.0;
  const long double b = static_cast<long double>(beta) * static_cast<long double>(x);
  const long double exact = std::log1p(std::exp(b)) / static_cast<long double>(beta);
  const auto y = softplus<double>({x}, beta);
  const double ulp = std::nextafter(static_cast<double>(exact), 1.0) - static_cast<double>(exact);
  EXPECT_LE(std::fabs(static_cast<long double>(y[0]) - exact), 4 * ulp);
}

TYPED_TEST(Activations, ReluSignedZeroAndNaN) {
  using T = TypeParam;
  const auto y = run<T>([](auto in, auto out) { ni::relu(in, out); },
                        {-T(0), T(0), T(-1), T(2.5), kNaN<T>, -kInf<T>, kInf<T>,
                         -std::numeric_limits<T>::denorm_min()});
  EXPECT_EQ(y[0], T(0));
  EXPECT_FALSE(std::signbit(y[0])) << "relu(-0) must be +0";
  EXPECT_FALSE(std::signbit(y[1]));
  EXPECT_EQ(y[2], T(0));
  EXPECT_FALSE(std::signbit(y[2]));
  EXPECT_EQ(y[3], T(2.5));
  EXPECT_TRUE(std::isnan(y[4]));
  EXPECT_EQ(y[5], T(0));
  EXPECT_EQ(y[6], kInf<T>);
  EXPECT_FALSE(std::signbit(y[7]));
}

TYPED_TEST(Activations, EluValues) {
  using T = TypeParam;
  const auto y = run<T>([](auto in, auto out) { ni::elu(in, out); },
                        {T(3), -kInf<T>, T(-1), T(-1e-10), kNaN<T>, -T(0)});
  EXPECT_EQ(y[0], T(3));
  EXPECT_EQ(y[1], T(-1));
  EXPECT_NEAR(y[2], T(-0.63212055882855767), 2 * std::numeric_limits<T>::epsilon());
  // expm1 keeps relative accuracy near 0 (e^x - 1 computed naively would be off by ~1e-7).
  const double expm1_exact = -9.9999999995000000000166667e-11;  // expm1(-1e-10)
  EXPECT_NEAR(static_cast<double>(y[3]) / expm1_exact, 1.0, 4 * std::numeric_limits<T>::epsilon());
  EXPECT_TRUE(std::isnan(y[4]));
  EXPECT_EQ(y[5], T(0));
  EXPECT_FALSE(std::signbit(y[5]));  // an exact zero is +0 (the reference's): elu(-0) = +0
  std::vector<T> x{T(-2)}, out(1);
  ni::elu(std::span<const T>(x), std::span<T>(out), T(0.5));
  EXPECT_NEAR(out[0], T(0.5) * T(-0.8646647167633873), 2 * std::numeric_limits<T>::epsilon());
}

TYPED_TEST(Activations, InPlace) {
  using T = TypeParam;
  std::vector<T> x{T(-1), T(0), T(1)};
  ni::sigmoid(std::span<const T>(x), std::span<T>(x));
  EXPECT_EQ(x[1], T(0.5));
  EXPECT_NEAR(x[0] + x[2], T(1), 2 * std::numeric_limits<T>::epsilon());
  ni::relu(std::span<const T>(x), std::span<T>(x));
  EXPECT_EQ(x[1], T(0.5));
}

}  // namespace
