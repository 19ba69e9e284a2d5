// Divergences with every parameter (losses.hpp): entropy and cross_entropy_dist in nats and bits,
// kl_divergence with PyTorch's log-input conventions and 'mean'. Values from mpmath (300 bits),
// special values, the nearly-equal extreme, and H(p, q) = KL(p‖q) + H(p).
#include <random>

#include "loss_test_support.hpp"

namespace {

using namespace losstest;

template <class T>
class Divergences : public ::testing::Test {};
TYPED_TEST_SUITE(Divergences, Types);

// p = [0.5, 0.375, 0.125], q = [0.25, 0.25, 0.5]; mpmath:
constexpr long double kH = 0.97431475286934948456124727907L;    // -Σ p log p
constexpr long double kH2 = 1.40563906222956643195484789602L;   // in bits
constexpr long double kCE = 1.29965096354989745515731022773L;   // -Σ p log q
constexpr long double kKL = 0.325336210680547970596062948664L;  // Σ p log(p/q)
constexpr long double kKL2 = 0.46936093777043356804515210398L;  // in bits

TYPED_TEST(Divergences, ValuesInNatsAndBits) {
  using T = TypeParam;
  const V<T> p{0.5, 0.375, 0.125}, q{0.25, 0.25, 0.5};
  V<T> one(1);
  ni::entropy(S(p), {1, 3}, O(one), Reduction::mean, ni::LogBase::e);
  EXPECT_ULPS(T, one[0], kH, 1);
  ni::entropy(S(p), {1, 3}, O(one), Reduction::mean, ni::LogBase::two);
  EXPECT_ULPS(T, one[0], kH2, 1);
  ni::cross_entropy_dist(S(p), S(q), {1, 3}, O(one), Reduction::mean, ni::LogBase::e);
  EXPECT_ULPS(T, one[0], kCE, 1);
  ni::cross_entropy_dist(S(p), S(q), {1, 3}, O(one), Reduction::mean, ni::LogBase::two);
  EXPECT_EQ(one[0], T(1.875));  // exactly 0.5·2 + 0.375·2 + 0.125·1 bits
  ni::kl_divergence(S(p), S(q), {1, 3}, O(one));
  EXPECT_ULPS(T, one[0], kKL, 1);
  ni::kl_divergence(S(p), S(q), {1, 3}, O(one), Reduction::mean, {.base = ni::LogBase::two});
  EXPECT_ULPS(T, one[0], kKL2, 1);
  // Entropy of [0.5, 0.25, 0.25] is exactly 1.5 bits.
  const V<T> h{0.5, 0.25, 0.25};
  ni::entropy(S(h), {1, 3}, O(one), Reduction::mean, ni::LogBase::two);
  EXPECT_EQ(one[0], T(1.5));
}

TYPED_TEST(Divergences, KlLogInputsAsPyTorch) {
  using T = TypeParam;
  const V<T> p{0.5, 0.375, 0.125}, q{0.25, 0.25, 0.5};
  V<T> lp(3), lq(3);
  for (int i = 0; i < 3; ++i) {
    lp[i] = static_cast<T>(std::log(static_cast<double>(p[i])));
    lq[i] = static_cast<T>(std::log(static_cast<double>(q[i])));
  }
  // The log inputs are rounded logs: each form's exact value differs from kKL by a few
  // 2^-53 (2^-24 for float) absolute, i.e. a few ulps: compare within 8 ulps.
  V<T> one(1);
  ni::kl_divergence(S(p), S(lq), {1, 3}, O(one), Reduction::mean, {.q_is_log = true});
  EXPECT_LE(ulps<T>(one[0], kKL), 8.0);
  ni::kl_divergence(S(lp), S(q), {1, 3}, O(one), Reduction::mean, {.p_is_log = true});
  EXPECT_LE(ulps<T>(one[0], kKL), 8.0);
  ni::kl_divergence(S(lp), S(lq), {1, 3}, O(one), Reduction::mean,
                    {.q_is_log = true, .p_is_log = true});
  EXPECT_LE(ulps<T>(one[0], kKL), 8.0);
  // Exactly representable log inputs: e^0·(0 - log 1) = 0; p = [1, 0] as log [0, -inf] with
  // q_is_log: where(p == 0, 0, ...) leaves the -inf-free form p·(log p - q).
  const V<T> l0{0, -kInf<T>}, lq2{-1, -2};  // p_is_log, p = [1, 0]: e^-inf·(-inf - ...) = NaN
  V<T> none(1);
  const V<T> pp{1, 0};
  ni::kl_divergence(S(pp), S(lq2), {1, 2}, O(none), Reduction::none, {.q_is_log = true});
  EXPECT_EQ(none[0], T(1));  // 1·(log 1 - (-1))
  ni::kl_divergence(S(l0), S(lq2), {1, 2}, O(none), Reduction::none,
                    {.q_is_log = true, .p_is_log = true});
  EXPECT_TRUE(std::isnan(none[0]));  // e^-inf·(-inf + 2) = 0·-inf, as PyTorch and the spec
}

TYPED_TEST(Divergences, KlLogInputTinyProbabilityAgainstZero) {
  using T = TypeParam;
  // p_is_log: p = e^-3000 > 0 (below every format) against q = 0: e^-3000·(-3000 - log 0) is
  // +inf, not 0·inf = NaN; against q = 1 it is 0 (underflow).
  const V<T> lp{-3000, 0}, q{0, 1}, q1{1, 0};
  V<T> one(1);
  ni::kl_divergence(S(lp), S(q), {1, 2}, O(one), Reduction::mean, {.p_is_log = true});
  EXPECT_EQ(one[0], kInf<T>);
  const V<T> lp2{-3000, -kInf<T>};
  ni::kl_divergence(S(lp2), S(q1), {1, 2}, O(one), Reduction::mean, {.p_is_log = true});
  EXPECT_TRUE(std::isnan(one[0]));  // the second entry: e^-inf·(-inf - log 0) = 0·NaN
}

TYPED_TEST(Divergences, KlElementwiseMeanDividesByNC) {
  using T = TypeParam;
  const V<T> p{0.5, 0.375, 0.125, 0.5, 0.375, 0.125}, q{0.25, 0.25, 0.5, 0.25, 0.25, 0.5};
  V<T> batch(1), elem(1), sum(1);
  ni::kl_divergence(S(p), S(q), {2, 3}, O(batch));  // 'batchmean': / n
  ni::kl_divergence(S(p), S(q), {2, 3}, O(elem), Reduction::mean, {.elementwise_mean = true});
  ni::kl_divergence(S(p), S(q), {2, 3}, O(sum), Reduction::sum, {.elementwise_mean = true});
  EXPECT_ULPS(T, batch[0], kKL, 1);
  EXPECT_ULPS(T, elem[0], kKL / 3, 1);
  EXPECT_ULPS(T, sum[0], 2 * kKL, 1);  // sum is not weighted
}

TYPED_TEST(Divergences, SpecialValues) {
  using T = TypeParam;
  V<T> none(3);
  // p > 0, q = 0: +inf; p = 0: 0 whatever q (even q = 0); KL(p, p) = 0 exactly.
  const V<T> p{0.5, 0.5, 0, 1, 0.25, 0.75}, q{1, 0, 0, 1, 0.25, 0.75};
  ni::kl_divergence(S(p), S(q), {3, 2}, O(none), Reduction::none);
  EXPECT_EQ(none[0], kInf<T>);
  EXPECT_EQ(none[1], T(0));
  EXPECT_EQ(none[2], T(0));
  // Entropy of a one-hot row is +0; cross_entropy_dist with p > 0, q = 0 is +inf; NaN -> NaN.
  const V<T> hot{0, 1, 0}, qz{0.5, 0, 0.5}, nan{kNaN<T>, 0.5, 0.5};
  V<T> one(1);
  ni::entropy(S(hot), {1, 3}, O(one), Reduction::mean, ni::LogBase::two);
  EXPECT_EQ(one[0], T(0));
  ni::cross_entropy_dist(S(hot), S(qz), {1, 3}, O(one), Reduction::mean, ni::LogBase::e);
  EXPECT_EQ(one[0], kInf<T>);
  ni::entropy(S(nan), {1, 3}, O(one), Reduction::mean, ni::LogBase::e);
  EXPECT_TRUE(std::isnan(one[0]));
}

TEST(Divergences, SubnormalProbabilities) {
  // entropy of [1, 2^-1074]: 2^-1074·1074·log 2 = 744.44·2^-1074, rounded once to 744·2^-1074.
  const V<double> p{1, 0x1p-1074};
  V<double> one(1);
  ni::entropy(S(p), {1, 2}, O(one));
  EXPECT_EQ(one[0], 744 * 0x1p-1074);
  // cross_entropy_dist of [1, 0] against [2^-1074, 1]: -log 2^-1074 = 1074·log 2
  // (mpmath: 744.440071921381262314107298446).
  const V<double> pp{1, 0}, q{0x1p-1074, 1};
  ni::cross_entropy_dist(S(pp), S(q), {1, 2}, O(one), Reduction::mean, ni::LogBase::e);
  EXPECT_ULPS(double, one[0], 744.440071921381262314107298446L, 0.5);
  ni::cross_entropy_dist(S(pp), S(q), {1, 2}, O(one), Reduction::mean, ni::LogBase::two);
  EXPECT_EQ(one[0], 1074.0);
}

TEST(Divergences, KlOfNearlyEqualDistributionsKeepsItsRelativeAccuracy) {
  // q = p ± 2^-50: KL ≈ 1.6e-30 while each term p·log(p/q) is ~2^-51.
  // mpmath: 0.5·log(0.5/(0.5 + 2^-50)) + 0.5·log(0.5/(0.5 - 2^-50))
  //       = 1.57772181044202361082345713057e-30.
  const V<double> p{0.5, 0.5}, q{0.5 + 0x1p-50, 0.5 - 0x1p-50};
  V<double> one(1);
  ni::kl_divergence(S(p), S(q), {1, 2}, O(one));
  EXPECT_ULPS(double, one[0], 1.57772181044202361082345713057e-30L, 0.5);
  // Subnormal probabilities: 2^-1073·log(2^-1073/2^-1074) = 1.386·2^-1074, rounded once to
  // the subnormal 2^-1074 (not flushed, not 2^-1073).
  const V<double> p2{0.5, 0x1p-1073}, q2{0.5, 0x1p-1074};
  ni::kl_divergence(S(p2), S(q2), {1, 2}, O(one));
  EXPECT_EQ(one[0], 0x1p-1074);
}

TYPED_TEST(Divergences, CrossEntropyIsKlPlusEntropy) {
  using T = TypeParam;
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> u(0.001, 1);
  const std::size_t n = 40, c = 7;
  V<T> p(n * c), q(n * c);
  for (auto* v : {&p, &q}) {
    for (std::size_t i = 0; i < n; ++i) {
      double s = 0;
      for (std::size_t j = 0; j < c; ++j) s += (*v)[i * c + j] = static_cast<T>(u(rng));
      for (std::size_t j = 0; j < c; ++j) (*v)[i * c + j] = static_cast<T>((*v)[i * c + j] / s);
    }
  }
  V<T> ce(n), kl(n), h(n);
  for (ni::LogBase base : {ni::LogBase::e, ni::LogBase::two}) {
    ni::cross_entropy_dist(S(p), S(q), {n, c}, O(ce), Reduction::none, base);
    ni::kl_divergence(S(p), S(q), {n, c}, O(kl), Reduction::none, {.base = base});
    ni::entropy(S(p), {n, c}, O(h), Reduction::none, base);
    for (std::size_t i = 0; i < n; ++i) {
      // Three results each rounded once: |ce - (kl + h)| <= 0.5 ulp(ce) + 0.5 ulp(kl) +
      // 0.5 ulp(h) <= 1.5 ulp(ce) (kl, h <= ce).
      EXPECT_LE(ulps<T>(ce[i], static_cast<long double>(kl[i]) + h[i]), 1.5) << i;
    }
  }
}

}  // namespace
