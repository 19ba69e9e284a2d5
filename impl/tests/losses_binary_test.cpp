// Binary classification losses (losses.hpp): binary_cross_entropy with weights and clamps,
// binary_cross_entropy_with_logits, logistic_loss, exponential_loss, hinge, squared_hinge,
// balanced_cross_entropy, focal_loss, multilabel_bce. Values (mpmath, 300 bits), special values,
// extremes, and the specs' identities.
#include <random>

#include "loss_test_support.hpp"

namespace {

using namespace losstest;

template <class T>
class Binary : public ::testing::Test {};
TYPED_TEST_SUITE(Binary, Types);

// ---- binary_cross_entropy ----

TYPED_TEST(Binary, BceValuesWeightsAndClamps) {
  using T = TypeParam;
  // mpmath: -[y log p + (1-y) log(1-p)] at (1, 0.75), (0, 0.125), (0.25, 0.5).
  const V<T> y{1, 0, 0.25}, p{0.75, 0.125, 0.5}, w{2, 0.5, 1};
  V<T> none(3), one(1);
  ni::binary_cross_entropy(S(y), S(p), O(none), Reduction::none);
  EXPECT_ULPS(T, none[0], 0.287682072451780927439219005994L, 1);
  EXPECT_ULPS(T, none[1], 0.133531392624522623146343620931L, 1);
  EXPECT_ULPS(T, none[2], 0.693147180559945309417232121458L, 1);
  // Per-element weights; the mean divides by the element count (the spec has no reduction
  // weight): (2·l0 + 0.5·l1 + l2)/3 = 0.445092340591922825289613981304.
  ni::binary_cross_entropy(S(y), S(p), S(w), O(one));
  EXPECT_ULPS(T, one[0], 0.445092340591922825289613981304L, 1);
  // y = 1, p = 0: +inf; PyTorch clamps the log at -100; Keras clips p to [eps, 1 - eps]:
  // -log(eps), eps = 1e-7 rounded to T (mpmath: -log(double(1e-7)) = 16.1180956509583198...,
  // -log(float(1e-7)) = 16.1180956392722224...).
  const V<T> y1{1, 0}, p0{0, 1};
  V<T> two(2);
  ni::binary_cross_entropy(S(y1), S(p0), O(two), Reduction::none);
  EXPECT_EQ(two, (V<T>{kInf<T>, kInf<T>}));
  ni::binary_cross_entropy(S(y1), S(p0), {}, O(two), Reduction::none,
                           {.clamp = ni::BceClamp::pytorch});
  EXPECT_EQ(two, (V<T>{100, 100}));
  ni::binary_cross_entropy(S(y1), S(p0), {}, O(two), Reduction::none,
                           {.clamp = ni::BceClamp::keras});
  const long double keras = std::is_same_v<T, float> ? 16.1180956392722224333280212127L
                                                     : 16.1180956509583198333778283569L;
  EXPECT_ULPS(T, two[0], keras, 1);
  EXPECT_ULPS(T, two[1], keras, 1);
  // 0·log 0 = 0: y = 0, p = 0 and y = 1, p = 1 are exactly +0; NaN propagates.
  const V<T> ys{0, 1, kNaN<T>}, ps{0, 1, 0.5};
  V<T> o3(3);
  ni::binary_cross_entropy(S(ys), S(ps), O(o3), Reduction::none);
  EXPECT_EQ(o3[0], T(0));
  EXPECT_FALSE(std::signbit(o3[0]));
  EXPECT_EQ(o3[1], T(0));
  EXPECT_TRUE(std::isnan(o3[2]));
}

TYPED_TEST(Binary, BceProbabilityNextToOne) {
  using T = TypeParam;
  // p = 1 - ulp, y = 0: -log(ulp) with 1 - p exact (mpmath: 53·log 2, 24·log 2).
  const T p = std::nextafter(T(1), T(0));
  const V<T> y{0}, pv{p};
  V<T> one(1);
  ni::binary_cross_entropy(S(y), S(pv), O(one));
  const long double exact = std::is_same_v<T, float> ? 16.635532333438687426013570915L
                                                     : 36.7368005696771013991133024373L;
  EXPECT_ULPS(T, one[0], exact, 1);
}

// ---- binary_cross_entropy_with_logits, logistic_loss ----

TYPED_TEST(Binary, BceWithLogitsValues) {
  using T = TypeParam;
  // mpmath: y·softplus(-s) + (1-y)·softplus(s), and with pos_weight 3 on the first term.
  const V<T> y{1, 0, 0.25}, s{2.5, -1.5, 0.75};
  V<T> none(3);
  ni::binary_cross_entropy_with_logits(S(y), S(s), O(none), Reduction::none);
  EXPECT_ULPS(T, none[0], 0.0788897342925496233440439167176L, 1);
  EXPECT_ULPS(T, none[1], 0.201413277982752409499482809057L, 1);
  EXPECT_ULPS(T, none[2], 0.949371006114899943669840269214L, 1);
  ni::binary_cross_entropy_with_logits(S(y), S(s), O(none), Reduction::none, T(3));
  EXPECT_ULPS(T, none[0], 0.236669202877648870032131750153L, 1);
  EXPECT_ULPS(T, none[1], 0.201413277982752409499482809057L, 1);
  EXPECT_ULPS(T, none[2], 1.14280650917234991550476040382L, 1);
}

TYPED_TEST(Binary, BceWithLogitsInfinitiesAsTheSpec) {
  using T = TypeParam;
  // s = +inf: 0 for y = 1, +inf for y < 1; s = -inf: 0 for y = 0, +inf for y > 0.
  const V<T> y{1, 0.5, 0, 0, 0.5, 1}, s{kInf<T>, kInf<T>, kInf<T>, -kInf<T>, -kInf<T>, -kInf<T>};
  V<T> out(6);
  ni::binary_cross_entropy_with_logits(S(y), S(s), O(out), Reduction::none);
  EXPECT_EQ(out, (V<T>{0, kInf<T>, kInf<T>, 0, kInf<T>, kInf<T>}));
  // A zero weight times an infinite term is NaN, as inf·0 in the spec's formula.
  const V<T> y0{0}, si{kInf<T>}, w0{0};
  V<T> one(1);
  ni::binary_cross_entropy_with_logits(S(y0), S(si), S(w0), O(one));
  EXPECT_TRUE(std::isnan(one[0]));
}

TEST(Binary, BceWithLogitsExtremes) {
  // Huge logits: exactly the margin, no overflow of e^s.
  const V<double> y{0, 1}, s{1e4, -1e300};
  V<double> out(2);
  ni::binary_cross_entropy_with_logits(S(y), S(s), O(out), Reduction::none);
  EXPECT_EQ(out[0], 1e4);
  EXPECT_EQ(out[1], 1e300);
  // The e^s tail down to the subnormals, rounded once: softplus(-740) (mpmath:
  // 4.18873988004804893945754000158e-322), not 0.
  const V<double> y0{0}, s0{-740};
  V<double> one(1);
  ni::binary_cross_entropy_with_logits(S(y0), S(s0), O(one));
  EXPECT_ULPS(double, one[0], 4.18873988004804893945754000158e-322L, 0.5);
  // float: sigmoid tail at s = -100, softplus(-100) = 3.72e-44 (a float subnormal).
  const V<float> yf{0}, sf{-100};
  V<float> of(1);
  ni::binary_cross_entropy_with_logits(S(yf), S(sf), O(of));
  EXPECT_ULPS(float, of[0], 3.72007597602083596e-44L, 0.5);  // mpmath: log1p(exp(-100))
}

TYPED_TEST(Binary, LogisticEqualsBceWithLogitsOfMappedLabels) {
  using T = TypeParam;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> d(-60, 60);
  V<T> y(300), s(300), y01(300);
  for (std::size_t i = 0; i < y.size(); ++i) {
    y[i] = i % 2 ? T(1) : T(-1);
    s[i] = static_cast<T>(i % 7 == 0 ? std::ldexp(d(rng), static_cast<int>(i % 60) - 30) : d(rng));
    y01[i] = (y[i] + 1) / 2;
  }
  V<T> a(300), b(300), ma(1), mb(1);
  ni::logistic_loss(S(y), S(s), O(a), Reduction::none);
  ni::binary_cross_entropy_with_logits(S(y01), S(s), O(b), Reduction::none);
  EXPECT_EQ(a, b);  // both are the correctly rounded softplus(-y·s) here
  ni::logistic_loss(S(y), S(s), O(ma));
  ni::binary_cross_entropy_with_logits(S(y01), S(s), O(mb));
  EXPECT_EQ(ma, mb);
  // A value: logistic_loss(-1, 2.5) = softplus(2.5) (mpmath: 2.57888973429254962334404391672).
  const V<T> ym{-1}, sm{2.5};
  ni::logistic_loss(S(ym), S(sm), O(ma));
  EXPECT_ULPS(T, ma[0], 2.57888973429254962334404391672L, 1);
}

TYPED_TEST(Binary, LogisticSpecialValuesAndExtreme) {
  using T = TypeParam;
  const V<T> y{1, -1, 1, 1}, s{kInf<T>, kInf<T>, kNaN<T>, -std::numeric_limits<T>::max()};
  V<T> out(4);
  ni::logistic_loss(S(y), S(s), O(out), Reduction::none);
  EXPECT_EQ(out[0], T(0));
  EXPECT_EQ(out[1], kInf<T>);
  EXPECT_TRUE(std::isnan(out[2]));
  EXPECT_EQ(out[3], std::numeric_limits<T>::max());  // softplus(max) = max, no overflow
}

// ---- exponential_loss ----

TYPED_TEST(Binary, ExponentialLossValues) {
  using T = TypeParam;
  // mpmath: e^-2, e^0.5.
  const V<T> y{1, -1, 1, -1}, s{2, 0.5, kInf<T>, kInf<T>};
  V<T> out(4);
  ni::exponential_loss(S(y), S(s), O(out), Reduction::none);
  EXPECT_ULPS(T, out[0], 0.135335283236612691893999494972L, 1);
  EXPECT_ULPS(T, out[1], 1.64872127070012814684865078781L, 1);
  EXPECT_EQ(out[2], T(0));
  EXPECT_EQ(out[3], kInf<T>);
}

TEST(Binary, ExponentialLossTailsAndHugeMean) {
  // e^-744 is the subnormal 0x1p-1073 (mpmath: 7.67194470417997907394977430442e-324).
  const V<double> y{1}, s{744};
  V<double> one(1);
  ni::exponential_loss(S(y), S(s), O(one));
  EXPECT_ULPS(double, one[0], 7.67194470417997907394977430442e-324L, 0.5);
  // e^710 = 2.2e308 overflows binary64 as a term, but the mean over 4 elements (5.6e307,
  // mpmath: 5.58498691540427757813411114529e+307) does not.
  const V<double> y4{-1, 1, 1, 1}, s4{710, 1e300, 1e300, 1e300};
  ni::exponential_loss(S(y4), S(s4), O(one));
  EXPECT_ULPS(double, one[0], 5.58498691540427757813411114529e+307L, 1);
}

// ---- hinge, squared_hinge ----

TYPED_TEST(Binary, HingeValuesEncodingsAndSquare) {
  using T = TypeParam;
  const V<T> y{1, -1, 1, -1}, s{0.25, 0.5, 3, kNaN<T>};
  V<T> h(4), h2(4);
  ni::hinge(S(y), S(s), O(h), Reduction::none);
  EXPECT_EQ(h[0], T(0.75));
  EXPECT_EQ(h[1], T(1.5));
  EXPECT_EQ(h[2], T(0));
  EXPECT_TRUE(std::isnan(h[3]));  // max(NaN, 0) is NaN here, never 0
  const V<T> y01{1, 0, 1, 0};
  V<T> h01(4);
  ni::hinge(S(y01), S(s), O(h01), Reduction::none, ni::LabelEncoding::zero_one);
  EXPECT_EQ(h01[1], T(1.5));
  EXPECT_EQ(h01[0], h[0]);
  // squared_hinge = hinge². With scores k/64 the hinge is exact, so its square is the
  // correctly rounded one; with random scores both are rounded once from the exact values:
  // hinge = H(1 + e), |e| <= ulp(H)/(2H), so hinge² - H² <= ulp(H)·H <= 2 ulp(H²), plus the
  // 0.5 ulp of squared_hinge's rounding: 2.5 ulp.
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> d(-3, 3);
  V<T> yr(400), sr(400), a(400), b(400);
  for (std::size_t i = 0; i < yr.size(); ++i) {
    yr[i] = i % 3 ? T(1) : T(-1);
    sr[i] = i < 200 ? static_cast<T>((static_cast<double>(i) - 100) / 64) : static_cast<T>(d(rng));
  }
  ni::hinge(S(yr), S(sr), O(a), Reduction::none);
  ni::squared_hinge(S(yr), S(sr), O(b), Reduction::none);
  for (std::size_t i = 0; i < yr.size(); ++i) {
    EXPECT_ULPS(T, b[i], static_cast<long double>(a[i]) * a[i], i < 200 ? 0.5 : 2.5) << i;
  }
}

TEST(Binary, HingeExtremes) {
  // 1 + 1e308 rounds to 1e308; the square of 1e154 is 1e308 (finite), of 1e200 +inf (exact).
  const V<double> y{1, 1, -1}, s{-1e308, -1e154, 1e200};
  V<double> h(3), h2(3);
  ni::hinge(S(y), S(s), O(h), Reduction::none);
  EXPECT_EQ(h[0], 1e308);
  ni::squared_hinge(S(y), S(s), O(h2), Reduction::none);
  const long double h1 = 1.0L + static_cast<long double>(1e154);
  EXPECT_ULPS(double, h2[1], h1 * h1, 1);
  EXPECT_EQ(h2[2], kInf<double>);
}

TEST(Binary, TermsBeyondDblMaxStillAverage) {
  // squared_hinge: (1 + 2e154)² = 4e308 overflows alone; the mean over 4 elements is 1e308.
  const V<double> y{1, 1, 1, 1}, s{-2e154, 1, 1, 1};
  V<double> one(1), none(4);
  ni::squared_hinge(S(y), S(s), O(one));
  const long double h = 1.0L + static_cast<long double>(2e154);
  EXPECT_ULPS(double, one[0], h * h / 4, 1);
  ni::squared_hinge(S(y), S(s), O(none), Reduction::none);
  EXPECT_EQ(none[0], kInf<double>);  // the element itself does overflow
  // Weighted BCE: 1e307·(-log 2^-1000) = 6.9e309 alone; with 99 zero losses the mean is
  // 6.93e307 (exact: 1e307·1000·log 2 / 100, the weight being the double nearest 1e307).
  V<double> yb(100, 1.0), pb(100, 1.0), wb(100, 1.0);
  pb[0] = 0x1p-1000;
  wb[0] = 1e307;
  ni::binary_cross_entropy(S(yb), S(pb), S(wb), O(one));
  EXPECT_ULPS(double, one[0],
              static_cast<long double>(1e307) * 1000 * 0.693147180559945309417232121458L / 100, 1);
}

TEST(Binary, TinyPowerTimesInfiniteCrossEntropyIsInf) {
  // focal from logits, s = -inf, y = 2^-904: ce = y·softplus(+inf) = +inf, and
  // (1 - p_t)^gamma = y^7.25 ≈ 2^-6554 is tiny but not 0: the loss is +inf, not 0·inf = NaN.
  const V<double> y{0x1p-904}, s{-kInf<double>};
  V<double> one(1);
  ni::focal_loss(S(y), S(s), O(one), Reduction::none, {.gamma = 7.25, .from_logits = true});
  EXPECT_EQ(one[0], kInf<double>);
  const V<float> yf{0x1p-149f}, sf{-kInf<float>};
  V<float> of(1);
  ni::focal_loss(S(yf), S(sf), O(of), Reduction::none, {.gamma = 7.25, .from_logits = true});
  EXPECT_EQ(of[0], kInf<float>);
}

// ---- balanced_cross_entropy ----

TYPED_TEST(Binary, BalancedValuesAndHalfIsHalfBce) {
  using T = TypeParam;
  // mpmath, alpha 0.25: -(0.25·y log p + 0.75·(1-y) log(1-p)).
  const V<T> y{0.25, 1}, p{0.5, 0.75};
  V<T> out(2), bce(2);
  ni::balanced_cross_entropy(S(y), S(p), O(out), Reduction::none, T(0.25));
  EXPECT_ULPS(T, out[0], 0.433216987849965818385770075911L, 1);
  EXPECT_ULPS(T, out[1], 0.0719205181129452318598047514985L, 1);
  ni::balanced_cross_entropy(S(y), S(p), O(out), Reduction::none);  // alpha 0.5
  ni::binary_cross_entropy(S(y), S(p), O(bce), Reduction::none);
  for (std::size_t i = 0; i < 2; ++i) EXPECT_EQ(out[i], bce[i] / 2);  // halving is exact
  // xlogy(0, q) = 0 but NaN stays NaN: y = 0, p = NaN gives NaN (no where() here).
  const V<T> y0{0}, pn{kNaN<T>};
  ni::balanced_cross_entropy(S(y0), S(pn), O(out).subspan(0, 1), Reduction::none);
  EXPECT_TRUE(std::isnan(out[0]));
}

TEST(Binary, BalancedNextToOne) {
  // y = 0, p = 1 - 2^-53, alpha 0.25: 0.75·53·log 2 (mpmath: 27.552600427257826049334976828).
  const V<double> y{0}, p{1 - 0x1p-53};
  V<double> one(1);
  ni::balanced_cross_entropy(S(y), S(p), O(one), Reduction::mean, 0.25);
  EXPECT_ULPS(double, one[0], 27.552600427257826049334976828L, 1);
}

// ---- focal_loss ----

TYPED_TEST(Binary, FocalValues) {
  using T = TypeParam;
  // mpmath (torchvision's form), alpha 0.25, gamma 2.
  const V<T> y{1, 0, 0.25}, p{0.75, 0.125, 0.5};
  V<T> out(3);
  ni::focal_loss(S(y), S(p), O(out), Reduction::none);
  EXPECT_ULPS(T, out[0], 0.00449503238205907699123779696865L, 1);
  EXPECT_ULPS(T, out[1], 0.00156482100731862448999621430779L, 1);
  EXPECT_ULPS(T, out[2], 0.108304246962491454596442518978L, 1);
  // From logits: y = 0.25, s = 1.5 (mpmath: 0.359790119848697773067251081608).
  const V<T> ys{0.25}, s{1.5};
  ni::focal_loss(S(ys), S(s), O(out).subspan(0, 1), Reduction::none, {.from_logits = true});
  EXPECT_ULPS(T, out[0], 0.359790119848697773067251081608L, 1);
}

TYPED_TEST(Binary, FocalGammaZeroHalfAlphaIsHalfBce) {
  using T = TypeParam;
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> u(0, 1);
  V<T> y(200), p(200), f(200), b(200);
  for (std::size_t i = 0; i < y.size(); ++i) {
    y[i] = static_cast<T>(i % 3 == 0 ? u(rng) : (i % 3 == 1 ? 1 : 0));
    p[i] = static_cast<T>(u(rng));
  }
  ni::focal_loss(S(y), S(p), O(f), Reduction::none, {.alpha = 0.5, .gamma = 0});
  ni::binary_cross_entropy(S(y), S(p), O(b), Reduction::none);
  for (std::size_t i = 0; i < y.size(); ++i) {
    EXPECT_ULPS(T, f[i], static_cast<long double>(b[i]) / 2, 1) << i;  // two roundings
  }
}

TEST(Binary, FocalExtremes) {
  // From logits, s = -1000, y = 1: ce = softplus(1000) = 1000, (1 - p_t)^2 = 1, alpha 0.25.
  const V<double> y{1}, s{-1000};
  V<double> one(1);
  ni::focal_loss(S(y), S(s), O(one), Reduction::mean, {.from_logits = true});
  EXPECT_EQ(one[0], 250.0);
  // 1 - p_t = 2^-40 to the power 7.5 with ce ≈ 2^-40: no cancellation, no underflow before
  // the product (mpmath: 1.116198624299604250687564559e-103).
  const V<double> p{1 - 0x1p-40};
  ni::focal_loss(S(y), S(p), O(one), Reduction::mean, {.gamma = 7.5});
  EXPECT_ULPS(double, one[0], 1.116198624299604250687564559e-103L, 1);
}

// ---- multilabel_bce ----

TYPED_TEST(Binary, MultilabelIsTheMeanOfPerLabelBceWithLogits) {
  using T = TypeParam;
  const V<T> y{1, 0, 0.25, 0, 1, 1}, s{2.5, -1.5, 0.75, 30, -30, 0};
  V<T> rows(2), per(6), mean(1);
  ni::multilabel_bce(S(y), S(s), {2, 3}, O(rows), Reduction::none);
  ni::binary_cross_entropy_with_logits(S(y), S(s), O(per), Reduction::none);
  for (std::size_t i = 0; i < 2; ++i) {
    const long double m = (static_cast<long double>(per[3 * i]) + per[3 * i + 1] + per[3 * i + 2]) / 3;
    EXPECT_ULPS(T, rows[i], m, 1) << i;
  }
  // Row 0 against mpmath: the mean of bcel_0..2 above.
  EXPECT_ULPS(T, rows[0],
              (0.0788897342925496233440439167176L + 0.201413277982752409499482809057L +
               0.949371006114899943669840269214L) / 3,
              1);
  ni::multilabel_bce(S(y), S(s), {2, 3}, O(mean));
  EXPECT_ULPS(T, mean[0], (static_cast<long double>(rows[0]) + rows[1]) / 2, 1);
}

TYPED_TEST(Binary, MultilabelSpecialValuesAndExtreme) {
  using T = TypeParam;
  // Row 0: both labels right at s = ±inf: 0. Row 1: -inf on a positive label: +inf.
  // Row 2: logits ±1e4 on the wrong side: each BCE is 1e4, so is their mean.
  const V<T> y{1, 0, 1, 0, 0, 1}, s{kInf<T>, -kInf<T>, -kInf<T>, 0, 1e4, -1e4};
  V<T> out(3);
  ni::multilabel_bce(S(y), S(s), {3, 2}, O(out), Reduction::none);
  EXPECT_EQ(out[0], T(0));
  EXPECT_EQ(out[1], kInf<T>);
  EXPECT_EQ(out[2], T(1e4));
}

}  // namespace
