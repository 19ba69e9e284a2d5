// Regression losses (losses.hpp): mse's scaling, sse, msle, mae, mape, smooth_l1, huber,
// variance, quadratic_cost, cosine_proximity. Values, special values, extremes, identities.
// Exact values: mpmath at 300 bits (see loss_test_support.hpp), or exact rationals where noted.
#include "loss_test_support.hpp"

namespace {

using namespace losstest;

template <class T>
class Regression : public ::testing::Test {};
TYPED_TEST_SUITE(Regression, Types);

// ---- mse / sse ----

TYPED_TEST(Regression, MseAndSseValues) {
  using T = TypeParam;
  const V<T> y{0.5, -1.25, 3}, yhat{0.25, 2, 3.75};
  V<T> one(1), none(3);
  // (0.25² + 3.25² + 0.75²) = 11.1875 exactly; the mean 11.1875/3 = 3.7291666...
  ni::mse(S(y), S(yhat), O(one));
  EXPECT_ULPS(T, one[0], 11.1875L / 3, 0.5);
  ni::sse(S(y), S(yhat), O(one));  // default reduction sum
  EXPECT_EQ(one[0], T(11.1875));
  ni::sse(S(y), S(yhat), O(none), Reduction::none);
  EXPECT_EQ(none, (V<T>{0.0625, 10.5625, 0.5625}));
}

TEST(Regression, MseNoOverflowOfIntermediateSquares) {
  // (1.5e154)² = 2.25e308 overflows binary64, but the mean over 4 elements does not:
  // mpmath: double(1.5e154)²/4 = 5.62500000000000097387202924968e+307.
  const V<double> y{1.5e154, 0, 0, 0}, yhat{0, 0, 0, 0};
  V<double> one(1), none(4);
  ni::mse(S(y), S(yhat), O(one));
  EXPECT_ULPS(double, one[0], 5.62500000000000097387202924968e+307L, 0.5);
  ni::mse(S(y), S(yhat), O(none), Reduction::none);  // the element itself does overflow: honest
  EXPECT_EQ(none[0], kInf<double>);
  ni::sse(S(y), S(yhat), O(one));  // and so does the sum
  EXPECT_EQ(one[0], kInf<double>);
  // y - yhat overflows (2e308) but its mean square is still only inf where exact: here it is.
  const V<double> a{1e308, 0}, b{-1e308, 0};
  ni::mse(S(a), S(b), O(one));
  EXPECT_EQ(one[0], kInf<double>);
  // Subnormal result, rounded once: (3e-162)² = 8.99999999999999991e-324 -> 2^-1073.
  const V<double> c{3e-162}, z{0};
  ni::mse(S(c), S(z), O(one));
  EXPECT_EQ(one[0], 0x1p-1073);
  // The sum of 1000 squares 2^-1100 each (each below the subnormal range) is 1000·2^-1100,
  // not 0: the terms are scaled, summed, and rounded once (exact: 1000·2^-1100 = 2^-1090.03...).
  const V<double> tiny(1000, 0x1p-550), zeros(1000, 0.0);
  ni::sse(S(tiny), S(zeros), O(one));
  EXPECT_ULPS(double, one[0], 1000.0L * std::ldexp(1.0L, -1100), 0.5);
}

TYPED_TEST(Regression, MseSpecialValues) {
  using T = TypeParam;
  const V<T> y{kInf<T>, kNaN<T>, 1, -kInf<T>}, yhat{1, 1, kInf<T>, -kInf<T>};
  V<T> out(4);
  ni::mse(S(y), S(yhat), O(out), Reduction::none);
  EXPECT_EQ(out[0], kInf<T>);
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[2], kInf<T>);
  EXPECT_TRUE(std::isnan(out[3]));  // inf - inf
}

TYPED_TEST(Regression, SseMaeSmoothL1HuberSpecialValues) {
  using T = TypeParam;
  const V<T> y{kInf<T>, kNaN<T>, 1}, yhat{0, 0, -kInf<T>};
  V<T> out(3);
  ni::sse(S(y), S(yhat), O(out), Reduction::none);
  EXPECT_EQ(out[0], kInf<T>);
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[2], kInf<T>);
  ni::mae(S(y), S(yhat), O(out), Reduction::none);
  EXPECT_EQ(out[0], kInf<T>);
  EXPECT_TRUE(std::isnan(out[1]));
  ni::smooth_l1(S(y), S(yhat), O(out), Reduction::none);
  EXPECT_EQ(out[0], kInf<T>);
  EXPECT_TRUE(std::isnan(out[1]));
  ni::huber(S(y), S(yhat), O(out), Reduction::none, T(0.5));
  EXPECT_EQ(out[2], kInf<T>);
  EXPECT_TRUE(std::isnan(out[1]));
}

TEST(Regression, HuberOfAnOverflowingDifferenceIsFinite) {
  // |1.5e308 - (-1.5e308)| = 3e308 overflows, but delta·(d - delta/2) with delta = 0.5 is
  // 1.5e308 - 0.125, which rounds to 1.5e308 (the double nearest 1.5e308, exactly).
  const V<double> y{1.5e308}, yhat{-1.5e308};
  V<double> one(1);
  ni::huber(S(y), S(yhat), O(one), Reduction::mean, 0.5);
  EXPECT_EQ(one[0], 1.5e308);
}

// ---- msle ----

TYPED_TEST(Regression, MsleValues) {
  using T = TypeParam;
  // mpmath: (log1p(3) - log1p(1))² = log(2)², (log1p(0.5) - log1p(-0.75))² = log(6)².
  const V<T> y{3, 0.5}, yhat{1, -0.75};
  V<T> none(2), one(1);
  ni::msle(S(y), S(yhat), O(none), Reduction::none);
  EXPECT_ULPS(T, none[0], 0.480453013918201424667102526327L, 1);
  EXPECT_ULPS(T, none[1], 3.21040199556840137536912708385L, 1);
  ni::msle(S(y), S(yhat), O(one));
  EXPECT_ULPS(T, one[0], 1.84542750474330140001811480509L, 1);
  // y == yhat gives exactly 0; NaN propagates.
  const V<T> same{0.1f, -0.5f}, nan{kNaN<T>, 0};
  ni::msle(S(same), S(same), O(none), Reduction::none);
  EXPECT_EQ(none, (V<T>{0, 0}));
  ni::msle(S(nan), S(same), O(none), Reduction::none);
  EXPECT_TRUE(std::isnan(none[0]));
}

TEST(Regression, MsleHugeRatioStaysFinite) {
  // (y - yhat)/(1 + yhat) = 1e300·2^52 overflows binary64; the loss is finite.
  // mpmath: (log1p(1e300) - log1p(-1 + 2^-52))² = 528266.122287185923723930881324.
  const V<double> y{1e300}, yhat{-1 + 0x1p-52};
  V<double> one(1);
  ni::msle(S(y), S(yhat), O(one));
  EXPECT_ULPS(double, one[0], 528266.122287185923723930881324L, 1);
}

// ---- mae / mape ----

TYPED_TEST(Regression, MaeAndMapeValues) {
  using T = TypeParam;
  const V<T> y{2, -0.5}, yhat{1.5, 0.25};
  V<T> one(1), none(2);
  ni::mae(S(y), S(yhat), O(one));
  EXPECT_EQ(one[0], T(0.625));  // (0.5 + 0.75)/2
  ni::mape(S(y), S(yhat), O(none), Reduction::none);
  EXPECT_EQ(none, (V<T>{25, 150}));  // 100·0.5/2, 100·0.75/0.5
  ni::mape(S(y), S(yhat), O(one), Reduction::mean, {.epsilon = 0, .scale = 1});
  EXPECT_EQ(one[0], T(0.875));
  // epsilon floors |y|: |0 - 1|/max(0, 0.5) = 2 (sklearn-like scale 1).
  const V<T> zy{0}, oy{1};
  ni::mape(S(zy), S(oy), O(one), Reduction::mean, {.epsilon = 0.5, .scale = 1});
  EXPECT_EQ(one[0], T(2));
  // y = 0 with epsilon 0: +inf (1/0), NaN for yhat = 0 too (0/0), as the spec's formula.
  ni::mape(S(zy), S(oy), O(one));
  EXPECT_EQ(one[0], kInf<T>);
  ni::mape(S(zy), S(zy), O(one));
  EXPECT_TRUE(std::isnan(one[0]));
}

TEST(Regression, MaeAndMapeHugeTerms) {
  // |1.5e308 - (-1.5e308)| = 3e308 overflows; the mean with three zeros is 7.5e307, finite.
  // Exact: double(1.5e308)·2/4 = double(1.5e308)/2 (exactly representable).
  const V<double> y{1.5e308, 0, 0, 0}, yhat{-1.5e308, 0, 0, 0};
  V<double> one(1);
  ni::mae(S(y), S(yhat), O(one));
  EXPECT_EQ(one[0], 1.5e308 / 2);
  // mape: 7.4/2^-1022 = 3.3e308 for one element overflows; the mean of 2 does not:
  // exact 100·(7.4/2^-1022 + 0)/2·(1/100) with scale 1 -> 7.4·2^1021.
  const V<double> a{0x1p-1022, 1}, b{-7.4, 1};
  ni::mape(S(a), S(b), O(one), Reduction::mean, {.scale = 1});
  EXPECT_ULPS(double, one[0], (static_cast<long double>(7.4) + 0x1p-1022L) * std::ldexp(1.0L, 1021), 0.5);
}

// ---- smooth_l1 / huber ----

TYPED_TEST(Regression, SmoothL1AndHuberValues) {
  using T = TypeParam;
  const V<T> y{1, -2}, yhat{0.75, 1};  // d = 0.25, 3
  V<T> none(2), one(1);
  ni::smooth_l1(S(y), S(yhat), O(none), Reduction::none, T(0.5));
  EXPECT_EQ(none, (V<T>{0.0625, 2.75}));  // 0.5·0.0625/0.5, 3 - 0.25
  ni::huber(S(y), S(yhat), O(none), Reduction::none, T(0.5));
  EXPECT_EQ(none, (V<T>{0.03125, 1.375}));  // 0.5·0.0625, 0.5·(3 - 0.25)
  ni::huber(S(y), S(yhat), O(one));  // delta 1: 0.03125 and 2.5
  EXPECT_EQ(one[0], T(1.265625));
}

TYPED_TEST(Regression, HuberIsDeltaTimesSmoothL1AndBetaZeroIsMae) {
  using T = TypeParam;
  V<T> y(200), yhat(200);
  for (std::size_t i = 0; i < y.size(); ++i) {
    y[i] = static_cast<T>(std::sin(1.7 * i) * std::exp2(static_cast<double>(i % 40) - 20));
    yhat[i] = static_cast<T>(std::cos(0.3 * i));
  }
  V<T> h(200), s(200), m(200);
  for (T delta : {T(0.25), T(1), T(3.5), T(1e6)}) {
    ni::huber(S(y), S(yhat), O(h), Reduction::none, delta);
    ni::smooth_l1(S(y), S(yhat), O(s), Reduction::none, delta);
    for (std::size_t i = 0; i < y.size(); ++i) {
      // Each side is rounded once from its exact value (0.5 ulp each, the second scaled by
      // delta·ulp(s)/ulp(h) <= 2): they agree within 1.5 ulp.
      EXPECT_LE(ulps<T>(h[i], static_cast<long double>(delta) * s[i]), 1.5) << i;
    }
  }
  ni::smooth_l1(S(y), S(yhat), O(s), Reduction::none, T(0));
  ni::mae(S(y), S(yhat), O(m), Reduction::none);
  EXPECT_EQ(s, m);  // exactly: d - 0.5·0
}

TEST(Regression, SmoothL1LargeBetaNoOverflow) {
  // d = 1e200 < beta = 1e201: 0.5·d²/beta = 5e198, though d² overflows.
  const V<double> y{1e200}, yhat{0};
  V<double> one(1);
  ni::smooth_l1(S(y), S(yhat), O(one), Reduction::mean, 1e201);
  const long double d = 1e200, beta = 1e201;  // the doubles nearest 1e200, 1e201
  EXPECT_ULPS(double, one[0], 0.5L * d * (d / beta), 1);
}

// ---- variance ----

TYPED_TEST(Regression, VarianceValuesAndDdofIdentity) {
  using T = TypeParam;
  const V<T> x{1, 2, 4, 8, 3, 3, 3, 3};
  V<T> v0(2), v1(2);
  ni::variance(S(x), {2, 4}, O(v0));
  ni::variance(S(x), {2, 4}, O(v1), 1);
  EXPECT_EQ(v0[0], T(7.1875));           // 28.75/4, exact
  EXPECT_ULPS(T, v1[0], 28.75L / 3, 0.5);  // mpmath: 9.58333333333333333333333333333
  EXPECT_EQ(v0[1], T(0));                 // a constant row: exactly 0
  EXPECT_EQ(v1[1], T(0));
  // ddof 1 = n/(n - 1)·ddof 0, on rows of random data (each side rounded once).
  V<T> r(5 * 7);
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<T>(std::sin(3.1 * i) * 100);
  V<T> a(5), b(5);
  ni::variance(S(r), {5, 7}, O(a), 0);
  ni::variance(S(r), {5, 7}, O(b), 1);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_LE(ulps<T>(b[i], static_cast<long double>(a[i]) * 7 / 6), 2.0) << i;  // 2 roundings
  }
}

TEST(Regression, VarianceExtremes) {
  V<double> out(1);
  // Squares of the deviations overflow (1.2e154² · 2), the variance does not.
  // mpmath: double(1.2e154)² = 1.44000000000000017786008553476e+308.
  const V<double> big{1.2e154, -1.2e154};
  ni::variance(S(big), {1, 2}, O(out));
  EXPECT_ULPS(double, out[0], 1.44000000000000017786008553476e+308L, 0.5);
  // The condition of the data does not matter: deviations of one ulp on 1e16.
  const V<double> cond{1e16, 1e16 + 2, 1e16 + 4};
  ni::variance(S(cond), {1, 3}, O(out));
  EXPECT_ULPS(double, out[0], 8.0L / 3, 0.5);
  // A row of one value with ddof 1 is 0/0; inf or NaN in a row gives NaN.
  const V<double> single{5}, inf_row{1, kInf<double>}, nan_row{kNaN<double>, 1};
  ni::variance(S(single), {1, 1}, O(out), 1);
  EXPECT_TRUE(std::isnan(out[0]));
  ni::variance(S(inf_row), {1, 2}, O(out));
  EXPECT_TRUE(std::isnan(out[0]));
  ni::variance(S(nan_row), {1, 2}, O(out));
  EXPECT_TRUE(std::isnan(out[0]));
}

// ---- quadratic_cost ----

TYPED_TEST(Regression, QuadraticCostValues) {
  using T = TypeParam;
  // mpmath: (sigmoid(0.5) - 0.25)²/2, (sigmoid(-3) - 1)²/2.
  const V<T> s{0.5, -3}, y{0.25, 1};
  V<T> none(2);
  ni::quadratic_cost(S(s), S(y), O(none), Reduction::none);
  EXPECT_ULPS(T, none[0], 0.0693629766996663966250737939259L, 1);
  EXPECT_ULPS(T, none[1], 0.453698733545760543235895909896L, 1);
  // Saturation: s = ±inf.
  const V<T> si{kInf<T>, -kInf<T>, kNaN<T>}, yi{0.25, 0.25, 0.5};
  V<T> o3(3);
  ni::quadratic_cost(S(si), S(yi), O(o3), Reduction::none);
  EXPECT_EQ(o3[0], T(0.28125));  // (1 - 0.25)²/2
  EXPECT_EQ(o3[1], T(0.03125));  // (0 - 0.25)²/2
  EXPECT_TRUE(std::isnan(o3[2]));
}

TEST(Regression, QuadraticCostNoStructuralCancellation) {
  // y = 1, s = 40: 1 - sigmoid(40) = sigmoid(-40) exactly, not 1 - 1 = 0.
  // mpmath: (sigmoid(40) - 1)²/2 = 9.02425693922707578488416104953e-36.
  // y = 1/2, s = 1e-20: sigmoid(s) - 1/2 = tanh(s/2)/2 ≈ s/4.
  // mpmath: (sigmoid(1e-20) - 0.5)²/2 = 3.12499999999999965720794658881e-42.
  const V<double> s{40, 1e-20}, y{1, 0.5};
  V<double> out(2);
  ni::quadratic_cost(S(s), S(y), O(out), Reduction::none);
  EXPECT_ULPS(double, out[0], 9.02425693922707578488416104953e-36L, 1);
  EXPECT_ULPS(double, out[1], 3.12499999999999965720794658881e-42L, 1);
}

// ---- cosine_proximity ----

TYPED_TEST(Regression, CosineProximityValues) {
  using T = TypeParam;
  // mpmath: -(-1 + 1 + 6)/(sqrt(14)·sqrt(5.25)) = -0.69985421222376517091350973563.
  const V<T> y{1, 2, 3, 2, 0, 0}, yhat{-1, 0.5, 2, -4, 0, 0};
  V<T> none(2), one(1);
  ni::cosine_proximity(S(y), S(yhat), {2, 3}, O(none), Reduction::none);
  EXPECT_ULPS(T, none[0], -0.69985421222376517091350973563L, 1);
  EXPECT_EQ(none[1], T(1));  // opposite vectors: -(-8)/(2·4) = 1
  // A zero row with epsilon 0 is 0/0 = NaN; with Keras's epsilon the norm is floored: 0.
  const V<T> z{0, 0}, w{1, 1};
  ni::cosine_proximity(S(z), S(w), {1, 2}, O(one));
  EXPECT_TRUE(std::isnan(one[0]));
  ni::cosine_proximity(S(z), S(w), {1, 2}, O(one), Reduction::mean, T(1e-12));
  EXPECT_EQ(one[0], T(0));
}

TEST(Regression, CosineProximityScaledRows) {
  // Squares of 1e200 overflow and of 1e-200 underflow; the cosine is 2/sqrt(20).
  // mpmath: 0.447213595499957939281834733746.
  const V<double> y{1e200, 1e200}, yhat{1e-200, -3e-200};
  V<double> one(1);
  ni::cosine_proximity(S(y), S(yhat), {1, 2}, O(one));
  EXPECT_ULPS(double, one[0], 0.447213595499957939281834733746L, 1);
}

}  // namespace
