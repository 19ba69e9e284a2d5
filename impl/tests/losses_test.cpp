// Smoke tests of the losses: identities (CE = -log_softmax[t], H(p, q) = KL + H(p)), exact
// special cases (one-hot entropy, KL(p, p), 0·log 0), infinities, and the reductions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "nnconform/impl/nn.hpp"

namespace ni = nnconform::impl;
using ni::Reduction;

namespace {

template <class T>
constexpr T kInf = std::numeric_limits<T>::infinity();
template <class T>
constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();
template <class T>
constexpr T kEps = std::numeric_limits<T>::epsilon();

template <class T>
class Losses : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Losses, Types);

template <class T>
std::vector<T> random_distribution(std::mt19937_64& rng, std::size_t n, std::size_t c) {
  std::uniform_real_distribution<double> dist(0.01, 1.0);
  std::vector<T> p(n * c);
  for (std::size_t i = 0; i < n; ++i) {
    double sum = 0;
    for (std::size_t j = 0; j < c; ++j) sum += p[i * c + j] = static_cast<T>(dist(rng));
    for (std::size_t j = 0; j < c; ++j) p[i * c + j] = static_cast<T>(p[i * c + j] / sum);
  }
  return p;
}

TYPED_TEST(Losses, CrossEntropyEqualsMinusLogSoftmaxAtTarget) {
  using T = TypeParam;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> dist(0.0, 4.0);
  const std::size_t n = 6, c = 5;
  std::vector<T> z(n * c);
  for (auto& v : z) v = static_cast<T>(dist(rng));
  const std::vector<std::int64_t> t{0, 4, 2, 2, 1, 3};
  std::vector<T> ls(n * c), ce(n), total(1), mean(1);
  ni::log_softmax(std::span<const T>(z), {n, c}, std::span<T>(ls));
  ni::cross_entropy(std::span<const T>(z), t, {n, c}, std::span<T>(ce), Reduction::none);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const T expected = -ls[i * c + static_cast<std::size_t>(t[i])];
    EXPECT_NEAR(ce[i], expected, 4 * kEps<T> * std::fabs(expected)) << "row " << i;
    sum += ce[i];
  }
  ni::cross_entropy(std::span<const T>(z), t, {n, c}, std::span<T>(total), Reduction::sum);
  ni::cross_entropy(std::span<const T>(z), t, {n, c}, std::span<T>(mean));  // default mean
  EXPECT_NEAR(total[0], sum, 4 * kEps<T> * sum);
  EXPECT_NEAR(mean[0], sum / n, 4 * kEps<T> * sum / n);
}

TEST(Losses, CrossEntropyOfAConfidentCorrectPredictionIsNotZero) {
  const std::vector<double> z{0.0, -40.0, 1e4, 0.0};
  const std::vector<std::int64_t> t{0, 1};
  std::vector<double> ce(2);
  ni::cross_entropy(std::span<const double>(z), t, {2, 2}, std::span<double>(ce), Reduction::none);
  EXPECT_NEAR(ce[0] / 4.248354255291589e-18, 1.0, 1e-15);
  EXPECT_EQ(ce[1], 1e4);  // logits 1e4 apart, wrong class: exactly the margin
}

TYPED_TEST(Losses, CrossEntropyInfinities) {
  using T = TypeParam;
  // rows of 2: target logit -inf -> +inf; all -inf -> NaN
  const std::vector<T> z{T(0), -kInf<T>, -kInf<T>, -kInf<T>};
  const std::vector<std::int64_t> t{1, 0};
  std::vector<T> ce(2);
  ni::cross_entropy(std::span<const T>(z), t, {2, 2}, std::span<T>(ce), Reduction::none);
  EXPECT_EQ(ce[0], kInf<T>);
  EXPECT_TRUE(std::isnan(ce[1]));
}

TYPED_TEST(Losses, SeedWorkedExample) {
  using T = TypeParam;
  // FUNCTIONS.md: y = (1, 0, 0), q = (0.5, 0.2, 0.3) -> -log 0.5; q = (0.7, 0.1, 0.2) -> -log 0.7
  const std::vector<T> p{T(1), T(0), T(0), T(1), T(0), T(0)};
  const std::vector<T> q{T(0.5), T(0.2), T(0.3), T(0.7), T(0.1), T(0.2)};
  std::vector<T> h(2);
  ni::cross_entropy_dist(std::span<const T>(p), std::span<const T>(q), {2, 3}, std::span<T>(h),
                         Reduction::none);
  EXPECT_EQ(h[0], static_cast<T>(-std::log(0.5)));
  EXPECT_NEAR(h[1], -std::log(static_cast<double>(T(0.7))), 2 * kEps<T> * h[1]);
}

TYPED_TEST(Losses, EntropyOfOneHotIsZeroAndOfUniformIsLogC) {
  using T = TypeParam;
  const std::vector<T> p{T(0), T(1), T(0), T(0), T(0.25), T(0.25), T(0.25), T(0.25)};
  std::vector<T> h(2, T(-1));
  ni::entropy(std::span<const T>(p), {2, 4}, std::span<T>(h), Reduction::none);
  EXPECT_EQ(h[0], T(0));
  EXPECT_FALSE(std::signbit(h[0]));
  EXPECT_NEAR(h[1], T(1.3862943611198906), 2 * kEps<T>);
}

TYPED_TEST(Losses, KlOfADistributionWithItselfIsExactlyZero) {
  using T = TypeParam;
  std::mt19937_64 rng(5);
  const auto p = random_distribution<T>(rng, 4, 10);
  std::vector<T> kl(4, T(-1)), total(1, T(-1));
  ni::kl_divergence(std::span<const T>(p), std::span<const T>(p), {4, 10}, std::span<T>(kl),
                    Reduction::none);
  for (T v : kl) EXPECT_EQ(v, T(0));
  ni::kl_divergence(std::span<const T>(p), std::span<const T>(p), {4, 10}, std::span<T>(total));
  EXPECT_EQ(total[0], T(0));
}

TYPED_TEST(Losses, KlZeroConventionsAndInfinity) {
  using T = TypeParam;
  // rows: p = (0.5, 0.5), q = (1, 0) -> +inf;  p = (1, 0), q = (0.5, 0) -> log 2 (0·log(0/0) = 0)
  const std::vector<T> p{T(0.5), T(0.5), T(1), T(0)};
  const std::vector<T> q{T(1), T(0), T(0.5), T(0)};
  std::vector<T> kl(2);
  ni::kl_divergence(std::span<const T>(p), std::span<const T>(q), {2, 2}, std::span<T>(kl),
                    Reduction::none);
  EXPECT_EQ(kl[0], kInf<T>);
  EXPECT_EQ(kl[1], static_cast<T>(std::log(2.0)));
}

TYPED_TEST(Losses, CrossEntropyIsKlPlusEntropy) {
  using T = TypeParam;
  std::mt19937_64 rng(9);
  const std::size_t n = 8, c = 6;
  const auto p = random_distribution<T>(rng, n, c);
  const auto q = random_distribution<T>(rng, n, c);
  std::vector<T> h_pq(n), kl(n), h_p(n);
  ni::cross_entropy_dist(std::span<const T>(p), std::span<const T>(q), {n, c},
                         std::span<T>(h_pq), Reduction::none);
  ni::kl_divergence(std::span<const T>(p), std::span<const T>(q), {n, c}, std::span<T>(kl),
                    Reduction::none);
  ni::entropy(std::span<const T>(p), {n, c}, std::span<T>(h_p), Reduction::none);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_GT(kl[i], T(0));
    EXPECT_NEAR(h_pq[i], static_cast<double>(kl[i]) + h_p[i], 8 * kEps<T> * h_pq[i]) << i;
  }
}

TYPED_TEST(Losses, BinaryCrossEntropySpecialValues) {
  using T = TypeParam;
  const T below_one = std::nextafter(T(1), T(0));
  const std::vector<T> y{T(0), T(1), T(1), T(0), T(0), T(1), T(0.5), T(0)};
  const std::vector<T> p{T(0), T(0), T(1), T(1), below_one, T(0.5), T(0.5), kNaN<T>};
  std::vector<T> l(y.size());
  ni::binary_cross_entropy(std::span<const T>(y), std::span<const T>(p), std::span<T>(l),
                           Reduction::none);
  EXPECT_EQ(l[0], T(0));
  EXPECT_FALSE(std::signbit(l[0]));
  EXPECT_EQ(l[1], kInf<T>);
  EXPECT_EQ(l[2], T(0));
  EXPECT_EQ(l[3], kInf<T>);
  // -log(1 - p) at p = 1 - eps/2: log1p(-p) is exact in its argument: (mant_dig)·log 2.
  EXPECT_NEAR(l[4], std::numeric_limits<T>::digits * 0.69314718055994531, 2 * kEps<T> * l[4]);
  EXPECT_EQ(l[5], static_cast<T>(std::log(2.0)));
  EXPECT_EQ(l[6], static_cast<T>(std::log(2.0)));
  EXPECT_TRUE(std::isnan(l[7]));
}

TYPED_TEST(Losses, MseReductions) {
  using T = TypeParam;
  const std::vector<T> y{T(1), T(2), T(3), T(-1)};
  const std::vector<T> yhat{T(1.5), T(2), T(1), T(1)};  // squares: 0.25, 0, 4, 4
  std::vector<T> none(4), mean(1), sum(1);
  ni::mse(std::span<const T>(y), std::span<const T>(yhat), std::span<T>(none), Reduction::none);
  ni::mse(std::span<const T>(y), std::span<const T>(yhat), std::span<T>(mean));
  ni::mse(std::span<const T>(y), std::span<const T>(yhat), std::span<T>(sum), Reduction::sum);
  EXPECT_EQ(none, (std::vector<T>{T(0.25), T(0), T(4), T(4)}));
  EXPECT_EQ(mean[0], T(2.0625));
  EXPECT_EQ(sum[0], T(8.25));
}

TEST(Losses, MseCarriesTheRoundingOfTheDifference) {
  // y - yhat is not representable in binary64; the correctly rounded square (computed exactly
  // with Python's fractions) differs from the square of the rounded difference by one ulp.
  const std::vector<double> y{0x1.00000000dfd75p+0};
  const std::vector<double> yhat{0x1.0000000000335p-20};
  const double expected = 0x1.ffffc003815d0p-1;
  const double naive = (y[0] - yhat[0]) * (y[0] - yhat[0]);
  ASSERT_NE(naive, expected);  // the case discriminates
  std::vector<double> out(1);
  ni::mse(std::span<const double>(y), std::span<const double>(yhat), std::span<double>(out),
          Reduction::none);
  EXPECT_EQ(out[0], expected);
  const std::vector<double> big{1e300}, nbig{-1e300};
  ni::mse(std::span<const double>(big), std::span<const double>(nbig), std::span<double>(out),
          Reduction::none);
  EXPECT_EQ(out[0], std::numeric_limits<double>::infinity());
}

TYPED_TEST(Losses, SumOverEmptyBatchIsZero) {
  using T = TypeParam;
  const std::vector<T> none;
  std::vector<T> out(1, T(-1));
  ni::mse(std::span<const T>(none), std::span<const T>(none), std::span<T>(out), Reduction::sum);
  EXPECT_EQ(out[0], T(0));
}

}  // namespace
