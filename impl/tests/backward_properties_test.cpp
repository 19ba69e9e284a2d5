// The properties of issue 6 for the built-in backward (include/nnconform/impl/backward.hpp):
// the softmax + cross-entropy gradient is softmax(z) - onehot(t); sigmoid' = sigma (1 - sigma);
// the gradients of shift-invariant functions sum to zero; the quadratic cost's gradient vanishes
// when the sigmoid saturates at the wrong label while the cross-entropy's does not; dCE/dz =
// softmax(z) - y for any target distribution y. Plus correctly rounded values at hard points
// (exact values from the MPFR reference, `nnconform eval --grad`, confirmed with mpmath at 300
// bits), the reductions' scaling, the kink conventions and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <stdexcept>
#include <vector>

#include "nnconform/impl/backward.hpp"

namespace {

namespace ni = nnconform::impl;
using ni::Reduction;
using ni::Shape;

template <class T>
using V = std::vector<T>;
template <class T>
std::span<const T> S(const V<T>& v) {
  return std::span<const T>(v);
}
template <class T>
std::span<T> O(V<T>& v) {
  return std::span<T>(v);
}

// |a - b| in ulps of b (T's ulp at b's binade; subnormal quantum below).
template <class T>
double ulps(T a, T b) {
  if (a == b) return 0;
  const int p = std::numeric_limits<T>::digits;
  const int mn = std::numeric_limits<T>::min_exponent - p;
  const int e = b == 0 ? mn : std::max(std::ilogb(b) - (p - 1), mn);
  return std::fabs(static_cast<long double>(a) - b) / std::ldexp(1.0L, e);
}

template <class T>
class Backward : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Backward, Types);

// ---- softmax + cross-entropy: the gradient is softmax(z) - onehot(t) ----
TYPED_TEST(Backward, CrossEntropyGradientIsSoftmaxMinusOnehot) {
  using T = TypeParam;
  std::mt19937_64 rng(6);
  std::uniform_real_distribution<double> logit(-20, 20);
  double worst = 0;
  for (int trial = 0; trial < 500; ++trial) {
    const std::size_t c = 1 + rng() % 9;
    V<T> z(c);
    for (auto& v : z) v = static_cast<T>(logit(rng));
    const std::int64_t t = static_cast<std::int64_t>(rng() % c);
    V<T> dz(c), s(c);
    ni::cross_entropy_backward(S(z), std::span<const std::int64_t>(&t, 1), {}, Shape{1, c}, {}, O(dz),
                               Reduction::sum);
    ni::softmax(S(z), Shape{1, c}, O(s));
    for (std::size_t j = 0; j < c; ++j) {
      // softmax - onehot from the forward softmax (within its own few ulps) in long double
      const long double want = static_cast<long double>(s[j]) - (static_cast<std::int64_t>(j) == t ? 1 : 0);
      const long double err = std::fabs(dz[j] - want) / (std::fabs(want) + std::numeric_limits<T>::min());
      // the target's entry s - 1 cancels in the reference's subtraction when s ~ 1: compare
      // against the scale of the softmax there
      const long double scale = static_cast<long double>(std::numeric_limits<T>::epsilon());
      if (static_cast<std::int64_t>(j) == t) {
        EXPECT_LE(std::fabs(dz[j] - want), 4 * scale * (1 + std::fabs(want))) << "trial " << trial;
      } else {
        worst = std::max(worst, static_cast<double>(err / scale));
        EXPECT_LE(err, 4 * scale) << "trial " << trial << " class " << j;
      }
    }
  }
  this->RecordProperty("worst_relative_eps", std::to_string(worst));
}

// A confident right prediction: the target's gradient is -(sum of the other softmax entries),
// not 0 (which 1 - softmax would give): e^-40 / (1 + e^-40), correctly rounded.
TYPED_TEST(Backward, CrossEntropyConfidentTargetKeepsItsTinyGradient) {
  using T = TypeParam;
  V<T> z{T(0), T(-40)}, dz(2);
  const std::int64_t t = 0;
  ni::cross_entropy_backward(S(z), std::span<const std::int64_t>(&t, 1), {}, Shape{1, 2}, {}, O(dz), Reduction::sum);
  const long double e40 = 4.248354255291588977280721e-18L;  // e^-40 / (1 + e^-40), mpmath at 300 bits
  EXPECT_LE(ulps(dz[0], static_cast<T>(-e40)), 0.5001);
  EXPECT_LE(ulps(dz[1], static_cast<T>(e40)), 0.5001);
  // And logits 1e30 apart: the gradient underflows to (-)0 rather than becoming NaN.
  V<T> w{T(1e30), T(-1e30)};
  ni::cross_entropy_backward(S(w), std::span<const std::int64_t>(&t, 1), {}, Shape{1, 2}, {}, O(dz), Reduction::sum);
  EXPECT_EQ(dz[0], T(0));
  EXPECT_EQ(dz[1], T(0));
}

// The values the reference test pins (reference/tests/gradient_test.cpp): z = (1, 2, 3), t = 0.
TEST(BackwardGolden, CrossEntropyAtOneTwoThree) {
  V<double> z{1, 2, 3}, dz(3);
  const std::int64_t t = 0;
  ni::cross_entropy_backward(S(z), std::span<const std::int64_t>(&t, 1), {}, Shape{1, 3}, {}, O(dz), Reduction::mean);
  EXPECT_EQ(dz[0], -0x1.d1e783412fa85p-1);
  EXPECT_EQ(dz[1], 0x1.f534335ca4bcfp-3);
  EXPECT_EQ(dz[2], 0x1.549a766a06791p-1);
}

// ---- sigmoid' = sigma (1 - sigma) ----
TYPED_TEST(Backward, SigmoidPrimeIsSigmaTimesOneMinusSigma) {
  using T = TypeParam;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-15, 15);
  for (int trial = 0; trial < 2000; ++trial) {
    V<T> x{static_cast<T>(u(rng))}, y(1), d(1), fo(1);
    ni::sigmoid(S(x), O(y));
    ni::sigmoid_backward(S(x), {}, O(d));
    ni::sigmoid_backward_from_output(S(y), {}, O(fo));
    // sigma (1 - sigma) in long double from the rounded forward output: the output's rounding
    // (relative u/2 in sigma, u/2 / (1 - sigma) relative in 1 - sigma) bounds the agreement.
    const long double s = y[0];
    const long double want = s * (1 - s);
    const long double eps = std::numeric_limits<T>::epsilon();
    const long double bound = eps * (1 + 1 / (1 - s)) + eps;
    EXPECT_LE(std::fabs(d[0] - want) / want, bound) << x[0];
    EXPECT_LE(std::fabs(fo[0] - want) / want, eps) << x[0];  // the frameworks' form: rounded once
  }
  // From the input the tail keeps its value where sigma(x) has rounded to 1 (the frameworks'
  // form gives 0 there): sigma'(40) = e^-40 / (1 + e^-40)^2.
  V<T> x{T(40)}, d(1), one{T(1)}, fo(1);
  ni::sigmoid_backward(S(x), {}, O(d));
  ni::sigmoid_backward_from_output(S(one), {}, O(fo));
  EXPECT_LE(ulps(d[0], static_cast<T>(4.248354255291588959232207e-18L)), 0.5001);  // mpmath
  EXPECT_EQ(fo[0], T(0));
}

TEST(BackwardGolden, SigmoidPrimeSubnormalFloat) {
  // sigma'(-100) = 3.7200759760208e-44: the binary32 subnormal 0x1.bp-145 (reference test).
  V<float> x{-100.0f}, d(1);
  ni::sigmoid_backward(S(x), {}, O(d));
  EXPECT_EQ(d[0], 0x1.bp-145f);
}

// ---- shift invariance: the gradients sum to zero ----
TYPED_TEST(Backward, ShiftInvariantGradientsSumToZero) {
  using T = TypeParam;
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> logit(-30, 30), up(-3, 3);
  const long double eps = std::numeric_limits<T>::epsilon();
  for (int trial = 0; trial < 500; ++trial) {
    const std::size_t c = 1 + rng() % 12;
    V<T> z(c), g(c), d(c);
    for (auto& v : z) v = static_cast<T>(logit(rng));
    for (auto& v : g) v = static_cast<T>(up(rng));
    // sum_j |term_j| bounds the rounding of a sum whose exact value is 0: each entry is correctly
    // rounded (0.5 ulp, <= eps/2 relative), so |sum| <= eps/2 sum |d_j| + c eps/2 sum |d_j|.
    auto check = [&](const char* what) {
      long double sum = 0, mag = 0;
      for (T v : d) {
        sum += v;
        mag += std::fabs(v);
      }
      EXPECT_LE(std::fabs(sum), eps * mag) << what << " trial " << trial;
    };
    ni::softmax_backward(S(z), Shape{1, c}, S(g), O(d));
    check("softmax VJP");
    ni::log_softmax_backward(S(z), Shape{1, c}, S(g), O(d));
    check("log_softmax VJP");
    const std::int64_t t = static_cast<std::int64_t>(rng() % c);
    ni::cross_entropy_backward(S(z), std::span<const std::int64_t>(&t, 1), {}, Shape{1, c}, {}, O(d),
                               Reduction::sum, {.ignore_index = -100, .label_smoothing = 0.1});
    check("cross_entropy (label smoothing 0.1)");
    // logsumexp(z + c) = logsumexp(z) + c: its gradient sums to the upstream g
    V<T> g1{T(1.5)};
    ni::logsumexp_backward(S(z), Shape{1, c}, S(g1), O(d));
    long double sum = 0;
    for (T v : d) sum += v;
    EXPECT_LE(std::fabs(sum - 1.5L), eps * 1.5L * c) << "logsumexp trial " << trial;
  }
  // A constant upstream gradient gives exactly 0 (the reference's exact zeros).
  V<T> z{T(1), T(2), T(3)}, d(3);
  ni::softmax_backward(S(z), Shape{1, 3}, {}, O(d));
  for (T v : d) EXPECT_EQ(v, T(0));
}

// ---- the seed's argument: quadratic cost vs cross-entropy at a saturated wrong answer ----
TYPED_TEST(Backward, QuadraticCostGradientVanishesAtSaturatedWrongLabelCrossEntropyDoesNot) {
  using T = TypeParam;
  V<T> s{T(-30)}, y{T(1)}, dq(1), dce(1), dyq(1), dyce(1);
  ni::quadratic_cost_backward(S(s), S(y), {}, O(dq), O(dyq), Reduction::sum);
  ni::binary_cross_entropy_with_logits_backward(S(y), S(s), {}, {}, O(dyce), O(dce), Reduction::sum);
  // quadratic: (a - y) sigma'(s) = (sigma(-30) - 1) sigma(-30) sigma(30) ~ -9.36e-14;
  // cross-entropy: a - y = sigma(-30) - 1 ~ -1.
  EXPECT_LT(std::fabs(static_cast<double>(dq[0])), 1e-13);
  EXPECT_GT(std::fabs(static_cast<double>(dq[0])), 0.0);
  EXPECT_LE(ulps(dce[0], static_cast<T>(-0.9999999999999064237703116L)), 0.5001);  // mpmath: sigma(-30) - 1
  EXPECT_GT(std::fabs(static_cast<double>(dce[0])) / std::fabs(static_cast<double>(dq[0])), 1e12);
  // The exact value of the quadratic cost's gradient (mpmath, 300 bits).
  EXPECT_LE(ulps(dq[0], static_cast<T>(-9.357622968837547651687024e-14L)), 0.5001);
}

// ---- dCE/dz = softmax(z) - y for any target distribution y ----
TYPED_TEST(Backward, CategoricalCrossEntropyFromLogitsIsSoftmaxMinusTarget) {
  using T = TypeParam;
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> logit(-10, 10);
  const long double eps = std::numeric_limits<T>::epsilon();
  for (int trial = 0; trial < 500; ++trial) {
    const std::size_t c = 2 + rng() % 7;
    // a target distribution with dyadic entries summing exactly to 1
    V<T> y(c, T(0)), q(c), s(c), dq(c);
    for (int k = 0; k < 16; ++k) y[rng() % c] += T(1.0 / 16);
    for (auto& v : q) v = static_cast<T>(logit(rng));
    ni::categorical_cross_entropy_backward(S(y), S(q), Shape{1, c}, {}, {}, O(dq), Reduction::sum,
                                           {.from_logits = true});
    ni::softmax(S(q), Shape{1, c}, O(s));
    for (std::size_t j = 0; j < c; ++j) {
      const long double want = static_cast<long double>(s[j]) - y[j];
      // s[j] is within a few ulps (nn.hpp: 9 ulp bound for double); the difference adds that
      // absolutely
      EXPECT_LE(std::fabs(dq[j] - want), 10 * eps * (std::fabs(static_cast<long double>(s[j])) + std::fabs(want)))
          << "trial " << trial << " j " << j;
    }
  }
}

// ---- reductions: mean divides by n, or by the total weight; g scales ----
TYPED_TEST(Backward, ReductionsScaleTheGradient) {
  using T = TypeParam;
  V<T> y{T(1), T(2), T(3)}, yh{T(0), T(0), T(0)}, d(3), g1{T(3)};
  ni::mse_backward(S(y), S(yh), {}, O(d), {}, Reduction::mean);
  EXPECT_EQ(d[0], static_cast<T>(2.0L / 3));
  EXPECT_EQ(d[2], T(2));
  ni::mse_backward(S(y), S(yh), S(g1), O(d), {}, Reduction::mean);  // g = 3: 2 (y - yhat)
  EXPECT_EQ(d[0], T(2));
  ni::mse_backward(S(y), S(yh), {}, O(d), {}, Reduction::sum);
  EXPECT_EQ(d[1], T(4));
  // cross_entropy's weighted mean divides by sum of w[t] over the rows not ignored
  V<T> z{T(0), T(0), T(0), T(0)}, w{T(1), T(3)}, dz(4);
  V<std::int64_t> t{1, -100};
  ni::cross_entropy_backward(S(z), std::span<const std::int64_t>(t), S(w), Shape{2, 2}, {}, O(dz), Reduction::mean);
  EXPECT_EQ(dz[0], T(0.5));   // w[1] (softmax 1/2) / 3
  EXPECT_EQ(dz[1], T(-0.5));  // w[1] (1/2 - 1) / 3
  EXPECT_EQ(dz[2], T(0));     // ignored row
  EXPECT_EQ(dz[3], T(0));
}

// ---- kink conventions (the specs') ----
TYPED_TEST(Backward, SubgradientConventions) {
  using T = TypeParam;
  V<T> zero{T(0)}, d(1), da(1);
  ni::relu_backward(S(zero), {}, O(d));
  EXPECT_EQ(d[0], T(0));  // relu'(0) = 0
  ni::leaky_relu_backward(S(zero), {}, O(d), O(da), T(0.25));
  EXPECT_EQ(d[0], T(0.25));  // leaky'(0) = a
  ni::elu_backward(S(zero), {}, O(d), {}, T(2));
  EXPECT_EQ(d[0], T(2));  // elu'(0) = alpha
  V<T> six{T(6)};
  ni::relu6_backward(S(six), {}, O(d));
  EXPECT_EQ(d[0], T(0));
  V<T> m3{T(-3)}, p3{T(3)};
  ni::hardsigmoid_backward(S(m3), {}, O(d));
  EXPECT_EQ(d[0], T(0));
  ni::hardswish_backward(S(m3), {}, O(d));
  EXPECT_EQ(d[0], T(-0.5));
  ni::hardswish_backward(S(p3), {}, O(d));
  EXPECT_EQ(d[0], T(1.5));
  V<T> one{T(1)}, s1{T(1)}, ds(1);
  ni::hinge_backward(S(one), S(s1), {}, O(ds), Reduction::sum);
  EXPECT_EQ(ds[0], T(-1));  // at y s = 1: -y
  ni::mae_backward(S(one), S(one), {}, O(d), {}, Reduction::sum);
  EXPECT_EQ(d[0], T(0));
  ni::smooth_l1_backward(S(one), S(one), {}, O(d), {}, Reduction::sum, T(0));
  EXPECT_EQ(d[0], T(0));
  V<T> x{T(1), T(3), T(3), T(2)}, g{T(5), T(7)}, dx(4);
  ni::maxout_backward(S(x), Shape{1, 4}, S(g), O(dx), 2);  // groups (1, 3), (3, 2)
  EXPECT_EQ(dx, (V<T>{T(0), T(5), T(7), T(0)}));  // a tie goes to the first maximum
  V<T> xc{T(-2), T(0), T(3)}, gc{T(1), T(2), T(3), T(4), T(5), T(6)}, dc(3);
  ni::crelu_backward(S(xc), Shape{1, 3}, S(gc), O(dc));
  EXPECT_EQ(dc, (V<T>{T(-4), T(0), T(3)}));
}

TYPED_TEST(Backward, BadInput) {
  using T = TypeParam;
  V<T> x{T(1), T(2)}, d(3), g(5);
  EXPECT_THROW(ni::sigmoid_backward(S(x), {}, O(d)), std::invalid_argument);
  V<T> d2(2);
  EXPECT_THROW(ni::sigmoid_backward(S(x), S(g), O(d2)), std::invalid_argument);
  V<T> z{T(1), T(2)}, dz(2);
  const std::int64_t t = 2;
  try {
    ni::cross_entropy_backward(S(z), std::span<const std::int64_t>(&t, 1), {}, Shape{1, 2}, {}, O(dz));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("nnconform::impl::cross_entropy_backward"), std::string::npos) << e.what();
  }
  V<T> two{T(2)}, s{T(0)}, ds(1);
  EXPECT_THROW(ni::hinge_backward(S(two), S(s), {}, O(ds)), std::invalid_argument);
  EXPECT_THROW(ni::huber_backward(S(x), S(x), {}, O(d2), {}, Reduction::none, T(0)), std::invalid_argument);
  V<T> gm(2);
  EXPECT_THROW(ni::mse_backward(S(x), S(x), S(gm), O(d2), {}, Reduction::mean), std::invalid_argument);
}

TYPED_TEST(Backward, NaNPropagates) {
  using T = TypeParam;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  V<T> x{nan}, d(1);
  ni::sigmoid_backward(S(x), {}, O(d));
  EXPECT_TRUE(std::isnan(d[0]));
  ni::relu_backward(S(x), {}, O(d));
  EXPECT_TRUE(std::isnan(d[0]));
  ni::gelu_backward(S(x), {}, O(d));
  EXPECT_TRUE(std::isnan(d[0]));
  V<T> z{T(1), nan}, dz(2);
  ni::softmax_backward(S(z), Shape{1, 2}, {}, O(dz));
  EXPECT_TRUE(std::isnan(dz[0]) && std::isnan(dz[1]));
  // Limits at +-inf
  V<T> inf{std::numeric_limits<T>::infinity()}, minf{-std::numeric_limits<T>::infinity()};
  ni::silu_backward(S(inf), {}, O(d));
  EXPECT_EQ(d[0], T(1));
  ni::silu_backward(S(minf), {}, O(d));
  EXPECT_EQ(d[0], T(0));
  ni::sigmoid_backward(S(inf), {}, O(d));
  EXPECT_EQ(d[0], T(0));
}

}  // namespace
