// Smoke tests of the activations of issue 4 (linear ... hardswish): special values, the tails
// that must neither flush nor overflow, signed zeros, identities between functions, row
// layouts. No MPFR: expected values are exact, closed forms, or correctly rounded values quoted
// from `nnconform eval` (see activations_golden_test.cpp for the systematic table).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include "nnconform/impl/nn.hpp"

namespace ni = nnconform::impl;

namespace {

template <class T>
constexpr T kInf = std::numeric_limits<T>::infinity();
template <class T>
constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();
template <class T>
constexpr T kMax = std::numeric_limits<T>::max();
template <class T>
constexpr T kDenormMin = std::numeric_limits<T>::denorm_min();

// Runs an elementwise kernel f(in, out) on x.
template <class T, class F>
std::vector<T> run(F f, const std::vector<T>& x) {
  std::vector<T> out(x.size(), T(-12345));
  f(std::span<const T>(x), std::span<T>(out));
  return out;
}

#define KERNEL(call) [&](auto in, auto out) { call; }

// ulp of the exact value e in format T (subnormal quantum below the normal range).
template <class T>
long double ulp_of(long double e) {
  constexpr int p = std::numeric_limits<T>::digits;
  constexpr int min_q = std::numeric_limits<T>::min_exponent - p;
  int ex = 0;
  std::frexp(std::fabs(e), &ex);
  return std::ldexp(1.0L, std::max(ex - p, min_q));
}

template <class T>
long double ulp_error(T got, long double exact) {
  return std::fabs(static_cast<long double>(got) - exact) / ulp_of<T>(exact);
}

bool is_pos_zero(double v) { return v == 0 && !std::signbit(v); }
bool is_neg_zero(double v) { return v == 0 && std::signbit(v); }

template <class T>
class Activations2 : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Activations2, Types);

// ---- piecewise-linear ----

TYPED_TEST(Activations2, LinearScalesExactlyAndZeroIsPositive) {
  using T = TypeParam;
  const auto y = run<T>(KERNEL(ni::linear(in, out, T(-0.5))),
                        {T(3), -T(0), T(0), kInf<T>, kNaN<T>, kMax<T>, kDenormMin<T>});
  EXPECT_EQ(y[0], T(-1.5));
  EXPECT_TRUE(is_pos_zero(y[1])) << "k·(-0) is an exact zero: +0";
  EXPECT_TRUE(is_pos_zero(y[2]));
  EXPECT_EQ(y[3], -kInf<T>);
  EXPECT_TRUE(std::isnan(y[4]));
  EXPECT_EQ(y[5], -kMax<T> / 2);
  EXPECT_TRUE(is_neg_zero(y[6])) << "-0.5·denorm_min underflows: keeps its sign";
  const auto id = run<T>(KERNEL(ni::linear(in, out)), {T(0.1), T(-7)});
  EXPECT_EQ(id[0], T(0.1));
  EXPECT_EQ(id[1], T(-7));
  const auto z = run<T>(KERNEL(ni::linear(in, out, T(0))), {T(-4), kInf<T>});
  EXPECT_TRUE(is_pos_zero(z[0]));
  EXPECT_TRUE(std::isnan(z[1])) << "0·inf";
  // k·x rounded once: 0.1·3 in T, against the exact product in long double.
  const auto r = run<T>(KERNEL(ni::linear(in, out, T(0.1))), {T(3)});
  EXPECT_EQ(r[0], static_cast<T>(static_cast<long double>(T(0.1)) * 3.0L));
}

TYPED_TEST(Activations2, Relu6Clamps) {
  using T = TypeParam;
  const auto y = run<T>(KERNEL(ni::relu6(in, out)),
                        {-T(0), T(-3), T(2.5), T(6), T(7), kInf<T>, -kInf<T>, kNaN<T>});
  EXPECT_TRUE(is_pos_zero(y[0]));
  EXPECT_TRUE(is_pos_zero(y[1]));
  EXPECT_EQ(y[2], T(2.5));
  EXPECT_EQ(y[3], T(6));
  EXPECT_EQ(y[4], T(6));
  EXPECT_EQ(y[5], T(6));
  EXPECT_TRUE(is_pos_zero(y[6]));
  EXPECT_TRUE(std::isnan(y[7]));
}

TYPED_TEST(Activations2, LeakyReluDefaultSlopeAndZeros) {
  using T = TypeParam;
  const auto y = run<T>(KERNEL(ni::leaky_relu(in, out)),
                        {T(-2), T(3), -T(0), kNaN<T>, -kInf<T>, -kDenormMin<T>});
  EXPECT_EQ(y[0], static_cast<T>(static_cast<long double>(T(0.01)) * -2.0L));
  EXPECT_EQ(y[1], T(3));
  EXPECT_TRUE(is_pos_zero(y[2]));
  EXPECT_TRUE(std::isnan(y[3]));
  EXPECT_EQ(y[4], -kInf<T>);
  EXPECT_TRUE(is_neg_zero(y[5])) << "a·x underflows to -0, not +0";
  const auto z = run<T>(KERNEL(ni::leaky_relu(in, out, T(0))), {T(-2), -kInf<T>});
  EXPECT_TRUE(is_pos_zero(z[0]));
  EXPECT_TRUE(std::isnan(z[1]));
}

TYPED_TEST(Activations2, PreluPerChannelAndShared) {
  using T = TypeParam;
  const std::vector<T> x{T(-1), T(-2), T(-4), T(1), T(-8), -T(0)};
  const std::vector<T> a{T(0.5), T(0.25), T(2)};
  std::vector<T> out(6);
  ni::prelu(std::span<const T>(x), ni::Shape{2, 3}, std::span<T>(out), std::span<const T>(a));
  const std::vector<T> want{T(-0.5), T(-0.5), T(-8), T(1), T(-2), T(0)};
  EXPECT_EQ(out, want);
  EXPECT_TRUE(is_pos_zero(out[5]));
  const std::vector<T> one{T(0.5)};
  ni::prelu(std::span<const T>(x), ni::Shape{2, 3}, std::span<T>(out), std::span<const T>(one));
  EXPECT_EQ(out[2], T(-2));
  EXPECT_EQ(out[4], T(-4));
  const auto d = run<T>(KERNEL(ni::prelu(in, out)), {T(-4), T(4)});  // default a = 0.25
  EXPECT_EQ(d[0], T(-1));
  EXPECT_EQ(d[1], T(4));
}

TYPED_TEST(Activations2, RreluEvalSlopeIsTheMeanOfTheBounds) {
  using T = TypeParam;
  // (1/8 + 1/3)/2 = 11/48: -3·11/48 = -0.6875 rounds to -0.6875 in both formats (the reference
  // gives -0x1.6p-1 for binary64 and binary32).
  const auto y = run<T>(KERNEL(ni::rrelu(in, out)), {T(-3), T(5), -T(0), kNaN<T>, -kInf<T>});
  EXPECT_EQ(y[0], T(-0.6875));
  EXPECT_EQ(y[1], T(5));
  EXPECT_TRUE(is_pos_zero(y[2]));
  EXPECT_TRUE(std::isnan(y[3]));
  EXPECT_EQ(y[4], -kInf<T>);
  // lower = upper = a is leaky_relu with a: bitwise equal.
  std::vector<T> x;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-100, 100);
  for (int i = 0; i < 500; ++i) x.push_back(static_cast<T>(u(rng)));
  const auto r = run<T>(KERNEL(ni::rrelu(in, out, T(0.3), T(0.3))), x);
  const auto l = run<T>(KERNEL(ni::leaky_relu(in, out, T(0.3))), x);
  EXPECT_EQ(r, l);
}

TYPED_TEST(Activations2, RreluGivenSlopes) {
  using T = TypeParam;
  const std::vector<T> x{T(-2), T(-2), T(3), T(-1)};
  const std::vector<T> a{T(0.125), T(0.25), kNaN<T>, T(0)};
  std::vector<T> out(4);
  ni::rrelu(std::span<const T>(x), std::span<const T>(a), std::span<T>(out));
  EXPECT_EQ(out[0], T(-0.25));
  EXPECT_EQ(out[1], T(-0.5));
  EXPECT_EQ(out[2], T(3)) << "the slope of a positive x is not used";
  EXPECT_TRUE(is_pos_zero(out[3]));
}

TYPED_TEST(Activations2, CreluConcatenatesHalvesPerRow) {
  using T = TypeParam;
  const std::vector<T> x{T(1), T(-2), -T(0), T(0), T(3), kNaN<T>};
  std::vector<T> out(12, T(-1));
  ni::crelu(std::span<const T>(x), ni::Shape{2, 3}, std::span<T>(out));
  // row 0: relu(1, -2, -0), relu(-1, 2, 0); row 1: relu(0, 3, NaN), relu(-0, -3, NaN)
  const std::vector<T> want{T(1), T(0), T(0), T(0), T(2), T(0),
                            T(0), T(3), T(0), T(0), T(0), T(0)};
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i == 8 || i == 11) {
      EXPECT_TRUE(std::isnan(out[i])) << i;
    } else {
      EXPECT_EQ(out[i], want[i]) << i;
      EXPECT_FALSE(std::signbit(out[i])) << i;
    }
  }
  // The halves are relu(x) and relu(-x).
  std::vector<T> r(3), rn(3), xn(3);
  for (int i = 0; i < 3; ++i) xn[i] = -x[i];
  ni::relu(std::span<const T>(x.data(), 3), std::span<T>(r));
  ni::relu(std::span<const T>(xn), std::span<T>(rn));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(out[i], r[i]);
    EXPECT_EQ(out[3 + i], rn[i]);
  }
}

TYPED_TEST(Activations2, SreluBranchesAndSpecCases) {
  using T = TypeParam;
  auto srelu = [](std::vector<T> x, T tl, T al, T tr, T ar) {
    std::vector<T> out(x.size());
    ni::srelu(std::span<const T>(x), std::span<T>(out), tl, al, tr, ar);
    return out;
  };
  // spec cases: t_l = -1, a_l = 0.1, t_r = 2, a_r = 0.5
  const auto y = srelu({T(2.5), T(-3), T(0.5), -T(0), T(2), T(-1), kInf<T>, -kInf<T>, kNaN<T>},
                       T(-1), T(0.1), T(2), T(0.5));
  EXPECT_EQ(y[0], T(2.25));
  EXPECT_EQ(y[1], static_cast<T>(-1.0L + static_cast<long double>(T(0.1)) * -2.0L));
  EXPECT_EQ(y[2], T(0.5));
  EXPECT_TRUE(is_pos_zero(y[3]));
  EXPECT_EQ(y[4], T(2));
  EXPECT_EQ(y[5], T(-1));
  EXPECT_EQ(y[6], kInf<T>);
  EXPECT_EQ(y[7], -kInf<T>);
  EXPECT_TRUE(std::isnan(y[8]));
  // t_l = t_r is allowed: a kinked line through (t, t).
  const auto k = srelu({T(1), T(3), T(-1)}, T(1), T(2), T(1), T(0.5));
  EXPECT_EQ(k[0], T(1));
  EXPECT_EQ(k[1], T(2));
  EXPECT_EQ(k[2], T(-3));
  // Slope 0 at +inf: 0·inf is NaN, as in the formula.
  EXPECT_TRUE(std::isnan(srelu({kInf<T>}, T(-1), T(1), T(1), T(0))[0]));
}

TEST(Activations2, SreluCancellationIsRoundedOnce) {
  // t_r + a_r·(x - t_r) with t_r = 2, a_r = -0.7 (binary64) nearly cancels at x = 2 + 2/0.7:
  // the exact value is 3.9333615729576973e-16 (the reference, `nnconform eval srelu
  // x=4.857142857142857 t_l=-1 a_l=0.3 t_r=2 a_r=-0.7`: 0x1.c57c57c57c57cp-52, exact), where
  // the plain binary64 evaluation 2 + (-0.7)·(x - 2) gives 4.440892098500626e-16.
  std::vector<double> x{4.857142857142857}, out(1);
  ni::srelu(std::span<const double>(x), std::span<double>(out), -1, 0.3, 2, -0.7);
  EXPECT_EQ(out[0], 0x1.c57c57c57c57cp-52);
}

TYPED_TEST(Activations2, MaxoutGroupsAndIdentity) {
  using T = TypeParam;
  const std::vector<T> x{T(1), T(5), T(-2), T(7), T(3), T(0)};
  std::vector<T> o2(3), o3(2), o1(6), o6(1);
  ni::maxout(std::span<const T>(x), ni::Shape{1, 6}, std::span<T>(o2), 2);
  EXPECT_EQ(o2, (std::vector<T>{T(5), T(7), T(3)}));
  ni::maxout(std::span<const T>(x), ni::Shape{1, 6}, std::span<T>(o3), 3);
  EXPECT_EQ(o3, (std::vector<T>{T(5), T(7)}));
  ni::maxout(std::span<const T>(x), ni::Shape{2, 3}, std::span<T>(o1), 1);
  EXPECT_EQ(o1, x) << "maxout with k = 1 is the identity";
  ni::maxout(std::span<const T>(x), ni::Shape{1, 6}, std::span<T>(o6), 6);
  EXPECT_EQ(o6[0], T(7));
  // NaN anywhere in a group gives NaN; a zero maximum is +0; -inf groups stay -inf.
  const std::vector<T> s{T(1), kNaN<T>, -T(0), -T(0), -kInf<T>, -kInf<T>, kNaN<T>, T(2)};
  std::vector<T> os(4);
  ni::maxout(std::span<const T>(s), ni::Shape{2, 4}, std::span<T>(os), 2);
  EXPECT_TRUE(std::isnan(os[0]));
  EXPECT_TRUE(is_pos_zero(os[1]));
  EXPECT_EQ(os[2], -kInf<T>);
  EXPECT_TRUE(std::isnan(os[3]));
  // In place.
  std::vector<T> y = x;
  ni::maxout(std::span<const T>(y), ni::Shape{3, 2}, std::span<T>(y.data(), 3), 2);
  EXPECT_EQ(y[0], T(5));
  EXPECT_EQ(y[1], T(7));
  EXPECT_EQ(y[2], T(3));
}

TYPED_TEST(Activations2, HardmaxIsOneHotWithTiesToTheLowestIndex) {
  using T = TypeParam;
  const std::vector<T> z{T(1), T(3), T(3),          // tie: index 1
                         -kInf<T>, -kInf<T>, -kInf<T>,  // all equal: index 0
                         T(0), kNaN<T>, T(9),        // NaN: NaN row
                         -T(0), T(0), T(-1),         // -0 == +0: index 0
                         T(-5), kInf<T>, T(1e30)};
  std::vector<T> out(z.size());
  ni::hardmax(std::span<const T>(z), ni::Shape{5, 3}, std::span<T>(out));
  const std::vector<T> want{T(0), T(1), T(0), T(1), T(0), T(0)};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(out[i], want[i]) << i;
  for (int i = 6; i < 9; ++i) EXPECT_TRUE(std::isnan(out[i])) << i;
  EXPECT_EQ(out[9], T(1));
  EXPECT_EQ(out[10], T(0));
  EXPECT_EQ(out[13], T(1));
  // One-hot: every non-NaN row sums to exactly 1 with entries in {0, 1}; in place works.
  std::mt19937_64 rng(9);
  std::normal_distribution<double> d(0, 3);
  std::vector<T> r(40 * 7);
  for (auto& v : r) v = static_cast<T>(std::round(d(rng)));  // many ties
  std::vector<T> h = r;
  ni::hardmax(std::span<const T>(h), ni::Shape{40, 7}, std::span<T>(h));
  for (int i = 0; i < 40; ++i) {
    T sum = 0;
    std::size_t first = 0;
    for (std::size_t j = 1; j < 7; ++j) {
      if (r[i * 7 + j] > r[i * 7 + first]) first = j;
    }
    for (std::size_t j = 0; j < 7; ++j) {
      sum += h[i * 7 + j];
      EXPECT_EQ(h[i * 7 + j], j == first ? T(1) : T(0));
    }
    EXPECT_EQ(sum, T(1));
  }
}

TYPED_TEST(Activations2, HardsigmoidAndHardswish) {
  using T = TypeParam;
  const auto s = run<T>(KERNEL(ni::hardsigmoid(in, out)),
                        {T(-3), T(3), T(0), T(1), T(-1), T(-4), T(10), -kInf<T>, kInf<T>,
                         kNaN<T>});
  EXPECT_TRUE(is_pos_zero(s[0]));
  EXPECT_EQ(s[1], T(1));
  EXPECT_EQ(s[2], T(0.5));
  EXPECT_EQ(s[3], T(2) / T(3)) << "(1 + 3)/6 = 2/3 correctly rounded";
  EXPECT_EQ(s[4], T(1) / T(3));
  EXPECT_TRUE(is_pos_zero(s[5]));
  EXPECT_EQ(s[6], T(1));
  EXPECT_TRUE(is_pos_zero(s[7]));
  EXPECT_EQ(s[8], T(1));
  EXPECT_TRUE(std::isnan(s[9]));
  const auto w = run<T>(KERNEL(ni::hardswish(in, out)),
                        {T(-5), T(3), T(1), T(-1), T(-0.5), -T(0), kInf<T>, -kInf<T>, kNaN<T>,
                         kDenormMin<T>});
  EXPECT_TRUE(is_pos_zero(w[0])) << "x·0 for x <= -3 is an exact zero: +0";
  EXPECT_EQ(w[1], T(3));
  EXPECT_EQ(w[2], T(2) / T(3));
  EXPECT_EQ(w[3], T(-1) / T(3));
  EXPECT_EQ(w[4], T(-1.25) / T(6)) << "-0.5·2.5/6 rounded once";
  EXPECT_TRUE(is_pos_zero(w[5]));
  EXPECT_EQ(w[6], kInf<T>);
  EXPECT_TRUE(std::isnan(w[7])) << "-inf·0 in the formula (the reference's value)";
  EXPECT_TRUE(std::isnan(w[8]));
  // denorm_min·(3 + denorm_min)/6 = denorm_min/2 + a hair: rounds up to denorm_min, not to 0.
  EXPECT_EQ(w[9], kDenormMin<T>);
  // hardswish = x·hardsigmoid(x) to within an ulp (two roundings on the right).
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> u(-3.5, 3.5);
  std::vector<T> x(2000);
  for (auto& v : x) v = static_cast<T>(u(rng));
  const auto hs = run<T>(KERNEL(ni::hardswish(in, out)), x);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double xl = x[i];
    const long double exact = xl <= -3 ? 0.0L : xl >= 3 ? xl : xl * (xl + 3) / 6;
    EXPECT_LE(ulp_error(hs[i], exact), 0.5L + 1e-6L) << "x = " << x[i];
  }
}

// ---- smooth ----

TYPED_TEST(Activations2, SiluSwishSpecialValuesAndIdentity) {
  using T = TypeParam;
  const std::vector<T> sv{-kInf<T>, kInf<T>, kNaN<T>, -T(0), T(0), kMax<T>, -kMax<T>,
                          T(1e30), T(-1e30)};
  const auto s = run<T>(KERNEL(ni::silu(in, out)), sv);
  EXPECT_TRUE(is_neg_zero(s[0])) << "silu(-inf) = -0 (spec special value)";
  EXPECT_EQ(s[1], kInf<T>);
  EXPECT_TRUE(std::isnan(s[2]));
  EXPECT_TRUE(is_pos_zero(s[3]));
  EXPECT_TRUE(is_pos_zero(s[4]));
  EXPECT_EQ(s[5], kMax<T>);
  EXPECT_TRUE(is_neg_zero(s[6]));
  EXPECT_EQ(s[7], T(1e30));
  EXPECT_TRUE(is_neg_zero(s[8]));
  const auto w = run<T>(KERNEL(ni::swish(in, out, T(2.5))), sv);
  EXPECT_TRUE(is_neg_zero(w[0]));
  EXPECT_EQ(w[1], kInf<T>);
  EXPECT_TRUE(std::isnan(w[2]));
  EXPECT_EQ(w[5], kMax<T>);
  EXPECT_TRUE(is_neg_zero(w[6]));
  // silu == swish(beta = 1), bitwise, over a wide log-uniform sample.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> e(-30, 10);
  std::vector<T> x;
  for (int i = 0; i < 4000; ++i) {
    const double v = std::exp2(e(rng)) * (i % 2 ? 1 : -1);
    x.push_back(static_cast<T>(v));
  }
  EXPECT_EQ(run<T>(KERNEL(ni::silu(in, out)), x), run<T>(KERNEL(ni::swish(in, out)), x));
  // swish(x, beta) against x/(1 + e^(-beta x)) in long double (64-bit significand, 11 bits
  // beyond binary64): within the 0.5 ulp the kernels claim, plus the oracle's own error.
  const auto sw = run<T>(KERNEL(ni::swish(in, out, T(0.75))), x);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double xl = x[i];
    const long double b = static_cast<long double>(T(0.75)) * xl;
    const long double exact = b >= 0 ? xl / (1 + std::exp(-b)) : xl * std::exp(b) / (1 + std::exp(b));
    EXPECT_LE(ulp_error(sw[i], exact), 0.52L) << "x = " << x[i];
  }
}

TEST(Activations2, SiluTailsAreSubnormalNotFlushed) {
  const auto f = run<float>(KERNEL(ni::silu(in, out)), {-100.0f, -104.0f, -120.0f});
  // silu(-100) = -3.7200759760208e-42, a float subnormal; the reference rounds it to
  // -0x1.4bep-138 (= -2655·2^-149).
  EXPECT_EQ(std::fpclassify(f[0]), FP_SUBNORMAL);
  EXPECT_EQ(f[0], -0x1.4bep-138f);
  EXPECT_EQ(std::fpclassify(f[1]), FP_SUBNORMAL);
  EXPECT_TRUE(is_neg_zero(f[2])) << "-120·e^-120 = -1.6e-50 underflows to -0";
  const auto d = run<double>(KERNEL(ni::silu(in, out)), {-745.0, -750.0, -760.0});
  EXPECT_EQ(std::fpclassify(d[0]), FP_SUBNORMAL);
  EXPECT_EQ(d[0], -0x1.aap-1066) << "reference value";
  EXPECT_EQ(d[1], -0x1.8p-1073);
  EXPECT_TRUE(is_neg_zero(d[2]));
  // x/2 for an odd subnormal x is a tie; silu(x) = x/2 + x²/4 lies beyond it.
  EXPECT_EQ(run<double>(KERNEL(ni::silu(in, out)), {kDenormMin<double>})[0],
            kDenormMin<double>);
  EXPECT_EQ(run<float>(KERNEL(ni::silu(in, out)), {kDenormMin<float>})[0], kDenormMin<float>);
}

TYPED_TEST(Activations2, MishMatchesItsDecomposition) {
  using T = TypeParam;
  const auto s = run<T>(KERNEL(ni::mish(in, out)),
                        {-kInf<T>, kInf<T>, kNaN<T>, -T(0), T(-1000), kMax<T>, -kMax<T>});
  EXPECT_TRUE(is_neg_zero(s[0])) << "mish(-inf) = -0 (spec special value)";
  EXPECT_EQ(s[1], kInf<T>);
  EXPECT_TRUE(std::isnan(s[2]));
  EXPECT_TRUE(is_pos_zero(s[3]));
  EXPECT_TRUE(is_neg_zero(s[4])) << "mish(-1000) = -1000·e^-1000 underflows to -0";
  EXPECT_EQ(s[5], kMax<T>);
  EXPECT_TRUE(is_neg_zero(s[6]));
  // mish = x·tanh(softplus(x)), the spec's formula, in long double.
  std::vector<T> x;
  for (int i = -640; i <= 320; ++i) x.push_back(static_cast<T>(i / 16.0));
  const auto m = run<T>(KERNEL(ni::mish(in, out)), x);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double xl = x[i];
    const long double sp = xl > 0 ? xl + std::log1p(std::exp(-xl)) : std::log1p(std::exp(xl));
    const long double exact = xl * std::tanh(sp);
    EXPECT_LE(ulp_error(m[i], exact), 0.52L) << "x = " << x[i];
  }
}

TYPED_TEST(Activations2, GeluTailsAndValues) {
  using T = TypeParam;
  const auto s = run<T>(KERNEL(ni::gelu(in, out)),
                        {-kInf<T>, kInf<T>, kNaN<T>, -T(0), T(-45), T(1e30), T(-1e30), kMax<T>,
                         T(1)});
  EXPECT_TRUE(is_neg_zero(s[0])) << "gelu(-inf) = -0 (spec special value)";
  EXPECT_EQ(s[1], kInf<T>);
  EXPECT_TRUE(std::isnan(s[2]));
  EXPECT_TRUE(is_pos_zero(s[3]));
  EXPECT_TRUE(is_neg_zero(s[4]));
  EXPECT_EQ(s[5], T(1e30));
  EXPECT_TRUE(is_neg_zero(s[6]));
  EXPECT_EQ(s[7], kMax<T>);
  EXPECT_EQ(s[8], static_cast<T>(0.84134474606854293L)) << "Phi(1)";
  // gelu = x·(1 + erf(x/√2))/2 away from the left tail, in long double.
  std::vector<T> x;
  for (int i = -48; i <= 320; ++i) x.push_back(static_cast<T>(i / 16.0));
  const auto g = run<T>(KERNEL(ni::gelu(in, out)), x);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double xl = x[i];
    const long double exact = xl * std::erfc(-xl / std::sqrt(2.0L)) / 2;
    EXPECT_LE(ulp_error(g[i], exact), 0.55L) << "x = " << x[i];
  }
}

TEST(Activations2, GeluLeftTailKeepsFullPrecision) {
  // gelu(-30) = -1.472014178144456e-196: 1 + erf(-21.2) would lose it entirely. Reference
  // value -0x1.601c52358b95dp-651.
  const auto d = run<double>(KERNEL(ni::gelu(in, out)), {-30.0, -38.0, -38.6});
  EXPECT_EQ(d[0], -0x1.601c52358b95dp-651);
  EXPECT_EQ(std::fpclassify(d[1]), FP_SUBNORMAL) << "gelu(-38) ~ -1e-316";
  EXPECT_TRUE(is_neg_zero(d[2]));
  const auto f = run<float>(KERNEL(ni::gelu(in, out)), {-13.5f, -15.0f});
  EXPECT_EQ(f[0], -0x1.263ep-133f) << "gelu(-13.5) = -1.05554e-40, a float subnormal";
  EXPECT_TRUE(is_neg_zero(f[1]));
  // gelu(denorm_min) = denorm_min/2 + denorm_min²/√(2π): past the tie, rounds up.
  EXPECT_EQ(run<double>(KERNEL(ni::gelu(in, out)), {kDenormMin<double>})[0],
            kDenormMin<double>);
}

TYPED_TEST(Activations2, GeluTanhHugeInputsDoNotOverflow) {
  using T = TypeParam;
  // x³ overflows binary64 beyond ~1e102 and binary32 beyond ~7e12: the kernel never forms it.
  const auto s = run<T>(KERNEL(ni::gelu_tanh(in, out)),
                        {-kInf<T>, kInf<T>, kNaN<T>, -T(0), T(1e30), T(-1e30), kMax<T>, -kMax<T>,
                         T(-1e13), T(1e13)});
  EXPECT_TRUE(is_neg_zero(s[0])) << "gelu_tanh(-inf) = -0 (spec special value)";
  EXPECT_EQ(s[1], kInf<T>);
  EXPECT_TRUE(std::isnan(s[2]));
  EXPECT_TRUE(is_pos_zero(s[3]));
  EXPECT_EQ(s[4], T(1e30));
  EXPECT_TRUE(is_neg_zero(s[5]));
  EXPECT_EQ(s[6], kMax<T>);
  EXPECT_TRUE(is_neg_zero(s[7]));
  EXPECT_TRUE(is_neg_zero(s[8]));
  EXPECT_EQ(s[9], T(1e13));
  // x·(1 + tanh(u))/2 = x·sigmoid(2u), against the tanh form in long double where it does
  // not cancel (x > -3).
  std::vector<T> x;
  for (int i = -48; i <= 160; ++i) x.push_back(static_cast<T>(i / 16.0));
  const auto g = run<T>(KERNEL(ni::gelu_tanh(in, out)), x);
  const long double c = std::sqrt(2.0L / 3.14159265358979323846264338327950288L);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double xl = x[i];
    const long double exact = xl * (1 + std::tanh(c * (xl + 0.044715L * xl * xl * xl))) / 2;
    EXPECT_LE(ulp_error(g[i], exact), 0.6L) << "x = " << x[i];
  }
}

TYPED_TEST(Activations2, SeluConstantsAndLimits) {
  using T = TypeParam;
  const long double lambda = 1.0507009873554804934193349852946L;
  const long double alpha = 1.6732632423543772848170429916717L;
  const auto s = run<T>(KERNEL(ni::selu(in, out)),
                        {-kInf<T>, kInf<T>, kNaN<T>, -T(0), T(1), T(-1), kMax<T>, T(-100)});
  EXPECT_EQ(s[0], static_cast<T>(-lambda * alpha));
  EXPECT_EQ(s[1], kInf<T>);
  EXPECT_TRUE(std::isnan(s[2]));
  EXPECT_TRUE(is_pos_zero(s[3]));
  EXPECT_EQ(s[4], static_cast<T>(lambda));
  EXPECT_LE(ulp_error(s[5], lambda * alpha * std::expm1(-1.0L)), 0.51L);
  EXPECT_EQ(s[6], kInf<T>) << "lambda·max overflows, as the exact value does";
  EXPECT_EQ(s[7], static_cast<T>(-lambda * alpha));
}

TYPED_TEST(Activations2, LogsigmoidIsStableOnBothSides) {
  using T = TypeParam;
  const auto s = run<T>(KERNEL(ni::logsigmoid(in, out)),
                        {-kInf<T>, kInf<T>, kNaN<T>, T(0), -T(0), T(-1e30), T(1000), -kMax<T>,
                         kMax<T>});
  EXPECT_EQ(s[0], -kInf<T>);
  EXPECT_TRUE(is_pos_zero(s[1])) << "-log1p(0) is an exact zero: +0";
  EXPECT_TRUE(std::isnan(s[2]));
  EXPECT_EQ(s[3], static_cast<T>(-0.693147180559945309417232121458L));
  EXPECT_EQ(s[4], s[3]);
  EXPECT_EQ(s[5], T(-1e30));
  EXPECT_TRUE(is_neg_zero(s[6])) << "-e^-1000 underflows to -0";
  EXPECT_EQ(s[7], -kMax<T>);
  EXPECT_TRUE(is_neg_zero(s[8]));
  // logsigmoid(x) = -softplus(-x): against the softplus kernel (whose own error is stated as
  // <= 5 ulp) and against the formula in long double (within the 0.5 ulp claimed).
  std::vector<T> x, nx;
  for (int i = -800; i <= 800; ++i) {
    x.push_back(static_cast<T>(i / 16.0));
    nx.push_back(-x.back());
  }
  const auto ls = run<T>(KERNEL(ni::logsigmoid(in, out)), x);
  const auto sp = run<T>(KERNEL(ni::softplus(in, out)), nx);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double xl = x[i];
    const long double exact =
        xl < 0 ? xl - std::log1p(std::exp(xl)) : -std::log1p(std::exp(-xl));
    EXPECT_LE(ulp_error(ls[i], exact), 0.51L) << "x = " << x[i];
    EXPECT_LE(ulp_error(-sp[i], exact), 5.0L) << "x = " << x[i];
  }
}

TEST(Activations2, LogsigmoidRightTailIsSubnormalNotFlushed) {
  const auto d = run<double>(KERNEL(ni::logsigmoid(in, out)), {700.0, 740.0, 745.0, 1e300});
  EXPECT_NEAR(d[0] / -9.8596765437597708567e-305, 1.0, 1e-15);
  EXPECT_EQ(std::fpclassify(d[1]), FP_SUBNORMAL);
  EXPECT_EQ(d[2], -kDenormMin<double>) << "-e^-745 = -4.94e-324 rounds to -denorm_min";
  EXPECT_TRUE(is_neg_zero(d[3]));
  const auto f = run<float>(KERNEL(ni::logsigmoid(in, out)), {90.0f, 103.0f, 104.0f});
  EXPECT_EQ(f[0], -0x1.1d85p-130f) << "reference value, -8.19401e-40";
  EXPECT_EQ(f[1], -kDenormMin<float>);
  EXPECT_TRUE(is_neg_zero(f[2]));
}

TYPED_TEST(Activations2, SmoothKernelsInPlace) {
  using T = TypeParam;
  std::vector<T> x{T(-2), T(0.5), T(3)};
  const auto want = run<T>(KERNEL(ni::gelu(in, out)), x);
  ni::gelu(std::span<const T>(x), std::span<T>(x));
  EXPECT_EQ(x, want);
}

}  // namespace
