// Smoke tests of softmax, log_softmax and logsumexp: rows sum to 1, large logits, -inf masks,
// indeterminate rows, exact 1/C, in place, and the log1p path for a dominant logit.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "nnconform/impl/nn.hpp"

namespace ni = nnconform::impl;

namespace {

template <class T>
constexpr T kInf = std::numeric_limits<T>::infinity();
template <class T>
constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();
template <class T>
constexpr T kEps = std::numeric_limits<T>::epsilon();

template <class T>
std::vector<T> softmax(const std::vector<T>& z, std::size_t n, std::size_t c) {
  std::vector<T> out(z.size(), T(-12345));
  ni::softmax(std::span<const T>(z), {n, c}, std::span<T>(out));
  return out;
}

template <class T>
std::vector<T> log_softmax(const std::vector<T>& z, std::size_t n, std::size_t c) {
  std::vector<T> out(z.size(), T(-12345));
  ni::log_softmax(std::span<const T>(z), {n, c}, std::span<T>(out));
  return out;
}

template <class T>
std::vector<T> logsumexp(const std::vector<T>& z, std::size_t n, std::size_t c) {
  std::vector<T> out(n, T(-12345));
  ni::logsumexp(std::span<const T>(z), {n, c}, std::span<T>(out));
  return out;
}

template <class T>
class RowFunctions : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(RowFunctions, Types);

TYPED_TEST(RowFunctions, SoftmaxRowsSumToOne) {
  using T = TypeParam;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> dist(0.0, 10.0);
  for (std::size_t c : {1u, 2u, 3u, 17u, 1000u}) {
    const std::size_t n = 5;
    std::vector<T> z(n * c);
    for (auto& v : z) v = static_cast<T>(dist(rng));
    const auto y = softmax(z, n, c);
    for (std::size_t i = 0; i < n; ++i) {
      // Each entry within a few ulp (relative): their exact sum within a few ulp of 1. The
      // test sums in long double so that its own rounding (c·2^-64) stays out of the way.
      long double sum = 0;
      for (std::size_t j = 0; j < c; ++j) {
        EXPECT_GE(y[i * c + j], T(0));
        EXPECT_LE(y[i * c + j], T(1));
        sum += y[i * c + j];
      }
      EXPECT_NEAR(static_cast<double>(sum), 1.0, 4 * kEps<T>) << "row " << i << " c = " << c;
    }
  }
}

TYPED_TEST(RowFunctions, SoftmaxSurvivesLogitsFarApart) {
  using T = TypeParam;
  const auto y = softmax<T>({T(1e4), T(0), T(-1e4), T(-1e4), T(1e4)}, 1, 5);
  EXPECT_EQ(y[0], T(0.5));
  EXPECT_EQ(y[1], T(0));
  EXPECT_EQ(y[2], T(0));
  EXPECT_EQ(y[4], T(0.5));
  // Large common offset: shift invariance.
  const auto a = softmax<T>({T(1000), T(1001), T(1002)}, 1, 3);
  const auto b = softmax<T>({T(0), T(1), T(2)}, 1, 3);
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(a[j], b[j], 2 * kEps<T>);
  EXPECT_NEAR(b[2], T(0.66524095577482189), 2 * kEps<T>);  // e²/(1 + e + e²)
}

TYPED_TEST(RowFunctions, SoftmaxMaskedAndIndeterminateRows) {
  using T = TypeParam;
  // rows: [0, -inf] (a mask), [-inf, -inf] (all masked), [+inf, 0], [NaN, 0]
  const auto y = softmax<T>({T(0), -kInf<T>, -kInf<T>, -kInf<T>, kInf<T>, T(0), kNaN<T>, T(0)},
                            4, 2);
  EXPECT_EQ(y[0], T(1));
  EXPECT_EQ(y[1], T(0));
  EXPECT_FALSE(std::signbit(y[1]));
  for (int j = 2; j < 8; ++j) EXPECT_TRUE(std::isnan(y[j])) << "index " << j;
}

TYPED_TEST(RowFunctions, SoftmaxAllEqualRowIsExactlyOneOverC) {
  using T = TypeParam;
  for (std::size_t c : {1u, 3u, 7u, 10u, 49u, 1000u, 32768u, 100003u}) {
    const std::vector<T> z(c, T(-3.25));
    const auto y = softmax(z, 1, c);
    const T expected = T(1) / static_cast<T>(c);  // correctly rounded 1/c in T
    for (std::size_t j = 0; j < c; ++j) ASSERT_EQ(y[j], expected) << "c = " << c << " j = " << j;
  }
}

TYPED_TEST(RowFunctions, SoftmaxAndLogSoftmaxInPlace) {
  using T = TypeParam;
  const std::vector<T> z{T(0.5), T(-2), T(3), T(1), T(1), T(-kInf<T>)};
  const auto expected = softmax(z, 2, 3);
  std::vector<T> w = z;
  ni::softmax(std::span<const T>(w), {2, 3}, std::span<T>(w));
  EXPECT_EQ(w, expected);
  const auto expected_log = log_softmax(z, 2, 3);
  w = z;
  ni::log_softmax(std::span<const T>(w), {2, 3}, std::span<T>(w));
  EXPECT_EQ(w, expected_log);
}

TYPED_TEST(RowFunctions, LogSoftmaxFarApartHasNoNaNOrInf) {
  using T = TypeParam;
  const auto y = log_softmax<T>({T(0), T(-1e4)}, 1, 2);
  EXPECT_TRUE(std::isfinite(y[0]));
  EXPECT_TRUE(std::isfinite(y[1]));
  EXPECT_EQ(y[0], T(0));
  EXPECT_EQ(y[1], T(-1e4));
  const auto m = log_softmax<T>({T(0), -kInf<T>, T(2)}, 1, 3);
  EXPECT_EQ(m[1], -kInf<T>);
  EXPECT_NEAR(m[0], T(-2.1269280110429727), 2 * kEps<T> * 2);
}

TEST(RowFunctions, LogSoftmaxKeepsTheDominantLogitsTinyLoss) {
  // log_softmax([0, -40])[0] = -log1p(e^-40) = -4.2483542552915890e-18; log(1 + e^-40) = 0.
  const auto y = log_softmax<double>({0.0, -40.0}, 1, 2);
  EXPECT_NEAR(y[0] / -4.248354255291589e-18, 1.0, 1e-15);
  const auto f = log_softmax<float>({0.0f, -40.0f}, 1, 2);
  EXPECT_NEAR(f[0] / -4.248354255291589e-18, 1.0, 1e-6);
}

TYPED_TEST(RowFunctions, LogSoftmaxEqualsLogOfSoftmax) {
  using T = TypeParam;
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> dist(-5.0, 5.0);
  std::vector<T> z(4 * 9);
  for (auto& v : z) v = static_cast<T>(dist(rng));
  const auto s = softmax(z, 4, 9);
  const auto l = log_softmax(z, 4, 9);
  for (std::size_t i = 0; i < z.size(); ++i) {
    EXPECT_NEAR(l[i], std::log(static_cast<double>(s[i])), 8 * kEps<T> * std::fabs(l[i]) + 4 * kEps<T>);
  }
}

TYPED_TEST(RowFunctions, LogsumexpValues) {
  using T = TypeParam;
  // rows of 2: [0, 0], [1e4, 1e4], [-inf, -inf], [+inf, 0], [NaN, 0], [-inf, 3]
  const auto y = logsumexp<T>({T(0), T(0), T(1e4), T(1e4), -kInf<T>, -kInf<T>, kInf<T>, T(0),
                               kNaN<T>, T(0), -kInf<T>, T(3)},
                              6, 2);
  EXPECT_NEAR(y[0], T(0.69314718055994531), kEps<T>);
  EXPECT_NEAR(y[1], T(10000.693147180559945), 2 * kEps<T> * T(1e4));
  EXPECT_EQ(y[2], -kInf<T>);
  EXPECT_EQ(y[3], kInf<T>);
  EXPECT_TRUE(std::isnan(y[4]));
  EXPECT_EQ(y[5], T(3));
}

}  // namespace
