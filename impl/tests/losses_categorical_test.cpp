// Categorical losses (losses.hpp): cross_entropy with class weights, ignore_index and label
// smoothing; nll_loss; categorical_cross_entropy (probabilities, Keras clip, logits);
// sparse_categorical_cross_entropy; log_loss (scikit-learn's examples). Values from mpmath
// (300 bits), special values, extremes, identities.
#include <random>

#include "loss_test_support.hpp"

namespace {

using namespace losstest;

template <class T>
class Categorical : public ::testing::Test {};
TYPED_TEST_SUITE(Categorical, Types);

using I = std::vector<std::int64_t>;

// Rows z = [1, 2, 3], [0, 0, 5], [-1, 0.5, 0.25], targets 0, 1, 2, class weights [1, 2, 0.5].
// mpmath: -log_softmax(z_i)[t_i] = ce_i below; with label smoothing 0.125 and the weights,
// (1 - 0.125)·w[t]·ce + 0.125/3·Σ_c w_c·(-log_softmax(z)_c) = ls_i.
constexpr long double kCe[3] = {2.40760596444438030448291990455L, 5.01338590172144890224180090392L,
                                0.944112186401914259611748082629L};
constexpr long double kLs[3] = {2.33276442203697156082631406922L, 9.40037743868024687716674754701L,
                                0.581982108734449984773519714867L};

TYPED_TEST(Categorical, CrossEntropyWeightsAndLabelSmoothing) {
  using T = TypeParam;
  const V<T> z{1, 2, 3, 0, 0, 5, -1, 0.5, 0.25}, w{1, 2, 0.5};
  const I t{0, 1, 2};
  V<T> none(3), one(1);
  ni::cross_entropy(S(z), t, {3, 3}, O(none), Reduction::none);  // nn.hpp's overload
  for (int i = 0; i < 3; ++i) EXPECT_ULPS(T, none[i], kCe[i], 1) << i;
  // The weighted mean divides by Σ w[t] = 3.5 (PyTorch), not by 3.
  ni::cross_entropy(S(z), t, S(w), {3, 3}, O(one));
  EXPECT_ULPS(T, one[0], 3.68755253173949578250639878677L, 1);
  ni::cross_entropy(S(z), t, S(w), {3, 3}, O(none), Reduction::none, {.label_smoothing = 0.125});
  for (int i = 0; i < 3; ++i) EXPECT_ULPS(T, none[i], kLs[i], 1) << i;
  ni::cross_entropy(S(z), t, S(w), {3, 3}, O(one), Reduction::mean, {.label_smoothing = 0.125});
  EXPECT_ULPS(T, one[0], 3.51860684841476240650473752317L, 1);
  ni::cross_entropy(S(z), t, S(w), {3, 3}, O(one), Reduction::sum, {.label_smoothing = 0.125});
  EXPECT_ULPS(T, one[0], kLs[0] + kLs[1] + kLs[2], 1);
}

TYPED_TEST(Categorical, CrossEntropyIgnoreIndex) {
  using T = TypeParam;
  const V<T> z{1, 2, 3, 0, 0, 5, -1, 0.5, 0.25};
  V<T> none(3), one(1);
  // The default ignore_index -100 applies to nn.hpp's overload too.
  const I t{0, -100, 2};
  ni::cross_entropy(S(z), t, {3, 3}, O(none), Reduction::none);
  EXPECT_ULPS(T, none[0], kCe[0], 1);
  EXPECT_EQ(none[1], T(0));
  ni::cross_entropy(S(z), t, {3, 3}, O(one));  // mean over the 2 rows not ignored
  EXPECT_ULPS(T, one[0], (kCe[0] + kCe[2]) / 2, 1);
  // A class index can be the ignored one.
  const I t2{0, 1, 1};
  ni::cross_entropy(S(z), t2, {}, {3, 3}, O(one), Reduction::mean, {.ignore_index = 1});
  EXPECT_ULPS(T, one[0], kCe[0], 1);
  // All rows ignored: 0/0 = NaN for the mean, 0 for the sum.
  const I all{-100, -100, -100};
  ni::cross_entropy(S(z), all, {3, 3}, O(one));
  EXPECT_TRUE(std::isnan(one[0]));
  ni::cross_entropy(S(z), all, {3, 3}, O(one), Reduction::sum);
  EXPECT_EQ(one[0], T(0));
}

TYPED_TEST(Categorical, CrossEntropySpecialValues) {
  using T = TypeParam;
  // Target logit -inf: +inf; a masked (-inf) other entry is fine; a row all -inf is NaN;
  // label smoothing over a -inf entry with a zero weight is 0·inf = NaN (the spec's formula).
  const V<T> z{-kInf<T>, 0, 0, -kInf<T>, -kInf<T>, -kInf<T>};
  V<T> none(2);
  ni::cross_entropy(S(z), I{0, 0}, {2, 3}, O(none), Reduction::none);
  EXPECT_EQ(none[0], kInf<T>);
  EXPECT_TRUE(std::isnan(none[1]));
  const V<T> m{-kInf<T>, 0, 0};
  V<T> one(1);
  ni::cross_entropy(S(m), I{1}, {1, 3}, O(one));
  EXPECT_ULPS(T, one[0], 0.693147180559945309417232121458L, 1);  // log 2
  const V<T> w{0, 1, 1};
  ni::cross_entropy(S(m), I{1}, S(w), {1, 3}, O(one), Reduction::mean, {.label_smoothing = 0.5});
  EXPECT_TRUE(std::isnan(one[0]));
}

TEST(Categorical, CrossEntropyConfidentRowAndHugeLogits) {
  // A confident correct prediction keeps its relative accuracy: log1p(e^-40)
  // (mpmath: 4.24835425529158898630497784363e-18), and logits 1e300 apart are exact.
  const V<double> z{0, -40, 1e300, -1e300, 1e308, -1e308};
  V<double> none(3);
  ni::cross_entropy(S(z), I{0, 1, 1}, {3, 2}, O(none), Reduction::none);
  EXPECT_ULPS(double, none[0], 4.24835425529158898630497784363e-18L, 0.5);
  EXPECT_EQ(none[1], 2e300);              // the margin, exactly
  EXPECT_EQ(none[2], kInf<double>);       // 2e308: the exact value overflows
}

TEST(Categorical, RowsBeyondDblMaxStillAverage) {
  // A margin of 2e308 overflows one row; the mean with three rows of log 2 is 5e307.
  const V<double> z{1e308, -1e308, 0, 0, 0, 0, 0, 0};
  V<double> one(1);
  ni::cross_entropy(S(z), I{1, 0, 0, 0}, {4, 2}, O(one));
  EXPECT_ULPS(double, one[0], (2e308L + 3 * 0.693147180559945309417232121458L) / 4, 1);
  // nll: w[t]·z[t] = 1e308·(-10) overflows, but the weighted mean divides by Σ w[t]: 10.
  const V<double> lz{-10, -1}, w{1e308, 1};
  ni::nll_loss(S(lz), I{0}, S(w), {1, 2}, O(one));
  EXPECT_EQ(one[0], 10.0);
  ni::nll_loss(S(lz), I{0}, S(w), {1, 2}, O(one), Reduction::sum);
  EXPECT_EQ(one[0], kInf<double>);  // the sum itself overflows
}

TYPED_TEST(Categorical, NllLossValuesWeightsAndIgnore) {
  using T = TypeParam;
  const V<T> z{-0.5, -1.25, -3, -0.75, -2, -0.125};  // log-probabilities
  const V<T> w{2, 0.5, 3};
  V<T> none(2), one(1);
  ni::nll_loss(S(z), I{1, 2}, {2, 3}, O(none), Reduction::none);
  EXPECT_EQ(none, (V<T>{1.25, 0.125}));
  ni::nll_loss(S(z), I{1, 2}, S(w), {2, 3}, O(one));  // (0.5·1.25 + 3·0.125)/(0.5 + 3)
  EXPECT_ULPS(T, one[0], (0.625L + 0.375L) / 3.5L, 0.5);  // the spec's 1 ulp, here 0.5
  ni::nll_loss(S(z), I{1, -100}, S(w), {2, 3}, O(one));
  EXPECT_EQ(one[0], T(1.25));
  ni::nll_loss(S(z), I{1, 0}, S(w), {2, 3}, O(one), Reduction::sum, 0);  // ignore class 0
  EXPECT_EQ(one[0], T(0.625));
}

TYPED_TEST(Categorical, NllOfLogSoftmaxIsCrossEntropy) {
  using T = TypeParam;
  std::mt19937_64 rng(8);
  std::normal_distribution<double> d(0, 5);
  const std::size_t n = 20, c = 6;
  V<T> z(n * c), ls(n * c), a(n), b(n);
  I t(n);
  for (auto& v : z) v = static_cast<T>(d(rng));
  for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<std::int64_t>(i % c);
  ni::log_softmax(S(z), {n, c}, O(ls));
  ni::nll_loss(S(ls), t, {n, c}, O(a), Reduction::none);
  ni::cross_entropy(S(z), t, {n, c}, O(b), Reduction::none);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_LE(ulps<T>(a[i], b[i]), 4.0) << i;  // log_softmax's error (nn.hpp) plus rounding
  }
}

TYPED_TEST(Categorical, CategoricalCrossEntropyValues) {
  using T = TypeParam;
  const V<T> soft{0.25, 0.5, 0.25}, q{0.5, 0.25, 0.125}, hot{0, 1, 0};
  V<T> one(1);
  // -Σ y log q, soft labels (mpmath: 1.38629436111989061883446424292 = 2 log 2).
  ni::categorical_cross_entropy(S(soft), S(q), {1, 3}, O(one));
  EXPECT_ULPS(T, one[0], 1.38629436111989061883446424292L, 1);
  // Keras: q/Σq then clip: -log(0.25/0.875) (mpmath: 1.25276296849536799568812062199).
  ni::categorical_cross_entropy(S(hot), S(q), {1, 3}, O(one), Reduction::mean,
                                {.clip = ni::ProbabilityClip::keras});
  EXPECT_ULPS(T, one[0], 1.25276296849536799568812062199L, 1);
  // Keras clip of a q = 0 entry: -log(eps); and a row of zeros is 0/0 = NaN.
  const V<T> q0{0, 0.5, 0.5}, zeros{0, 0, 0}, first{1, 0, 0};
  ni::categorical_cross_entropy(S(first), S(q0), {1, 3}, O(one), Reduction::mean,
                                {.clip = ni::ProbabilityClip::keras});
  EXPECT_ULPS(T, one[0], -std::log(static_cast<long double>(static_cast<T>(1e-7))), 1);
  ni::categorical_cross_entropy(S(first), S(zeros), {1, 3}, O(one), Reduction::mean,
                                {.clip = ni::ProbabilityClip::keras});
  EXPECT_TRUE(std::isnan(one[0]));
  // From logits, soft labels (mpmath: Σ y_c·(-log_softmax([1, 2, 3])_c)).
  const V<T> z{1, 2, 3};
  ni::categorical_cross_entropy(S(soft), S(z), {1, 3}, O(one), Reduction::mean,
                                {.from_logits = true});
  EXPECT_ULPS(T, one[0], 1.40760596444438030448291990455L, 1);
  // No clip: y > 0 on q = 0 is +inf, y = 0 on q = 0 is 0.
  ni::categorical_cross_entropy(S(first), S(q0), {1, 3}, O(one));
  EXPECT_EQ(one[0], kInf<T>);
  ni::categorical_cross_entropy(S(hot), S(q0), {1, 3}, O(one));
  EXPECT_ULPS(T, one[0], 0.693147180559945309417232121458L, 1);
}

TEST(Categorical, KerasClipNearOneKeepsTinyLosses) {
  // q = [1, 1e-30]: q0/Σq = 1/(1 + 1e-30); -log of it is 1e-30 (to 1e-60), not 0 — with eps 0
  // (no clip at 1 - eps). The entry above Σq/2 is taken as log1p of the others over it.
  const V<double> y{1, 0}, q{1, 1e-30};
  V<double> one(1);
  ni::categorical_cross_entropy(S(y), S(q), {1, 2}, O(one), Reduction::mean,
                                {.clip = ni::ProbabilityClip::keras, .epsilon = 0});
  EXPECT_ULPS(double, one[0], static_cast<long double>(1e-30), 0.5);
}

TYPED_TEST(Categorical, SparseEqualsCategoricalOneHotEqualsCrossEntropy) {
  using T = TypeParam;
  std::mt19937_64 rng(12);
  std::normal_distribution<double> d(0, 4);
  std::uniform_real_distribution<double> u(0.01, 1);
  const std::size_t n = 25, c = 5;
  V<T> z(n * c), q(n * c), hot(n * c, T(0));
  I t(n);
  for (std::size_t i = 0; i < n; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < c; ++j) s += q[i * c + j] = static_cast<T>(u(rng));
    for (std::size_t j = 0; j < c; ++j) q[i * c + j] = static_cast<T>(q[i * c + j] / s);
    for (std::size_t j = 0; j < c; ++j) z[i * c + j] = static_cast<T>(d(rng));
    t[i] = static_cast<std::int64_t>((i * 7) % c);
    hot[i * c + static_cast<std::size_t>(t[i])] = T(1);
  }
  V<T> a(n), b(n), e(n);
  // Probabilities: -log q[t] both ways, each rounded once from the same exact value.
  ni::sparse_categorical_cross_entropy(t, S(q), {n, c}, O(a), Reduction::none);
  ni::categorical_cross_entropy(S(hot), S(q), {n, c}, O(b), Reduction::none);
  EXPECT_EQ(a, b);
  // Logits: the three agree.
  ni::sparse_categorical_cross_entropy(t, S(z), {n, c}, O(a), Reduction::none, true);
  ni::categorical_cross_entropy(S(hot), S(z), {n, c}, O(b), Reduction::none,
                                {.from_logits = true});
  ni::cross_entropy(S(z), t, {n, c}, O(e), Reduction::none);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, e);
  // A value: -log(0.25) = 2 log 2.
  const V<T> qv{0.5, 0.25, 0.25};
  V<T> one(1);
  ni::sparse_categorical_cross_entropy(I{1}, S(qv), {1, 3}, O(one));
  EXPECT_ULPS(T, one[0], 1.38629436111989061883446424292L, 1);
}

TYPED_TEST(Categorical, SparseSpecialValuesAndExtreme) {
  using T = TypeParam;
  const V<T> q{0, 1, 0.5, 0.5};
  V<T> out(2);
  ni::sparse_categorical_cross_entropy(I{0, 1}, S(q), {2, 2}, O(out), Reduction::none);
  EXPECT_EQ(out[0], kInf<T>);  // -log 0
  EXPECT_ULPS(T, out[1], 0.693147180559945309417232121458L, 1);
  // From logits max/2 apart on the wrong side: exactly the margin.
  const T h = std::numeric_limits<T>::max() / 4;
  const V<T> z{h, -h};
  V<T> one(1);
  ni::sparse_categorical_cross_entropy(I{1}, S(z), {1, 2}, O(one), Reduction::mean, true);
  EXPECT_EQ(one[0], 2 * h);
}

TEST(Categorical, LogLossDominantEntryNextToOne) {
  // q = [1 - 2^-50, 2^-50], y on the first: -log(1 - 2^-50) = 2^-50 + 2^-101 + ...
  // (mpmath: 8.88178419700125626769357944979e-16), not a multiple of 2^-53 from 1 - q.
  const V<double> y{1, 0}, q{1 - 0x1p-50, 0x1p-50};
  V<double> one(1);
  ni::log_loss(S(y), S(q), {1, 2}, O(one));
  EXPECT_ULPS(double, one[0], 8.88178419700125626769357944979e-16L, 0.5);
}

TEST(Categorical, LogLossScikitLearnExamples) {
  // FUNCTIONS.md (seed 002): scikit-learn prints 1.3783888522474517; the correctly rounded
  // value is 1.378388852247452 (mpmath: 1.37838885224745187336533885627), and
  // 0.6391075640678003 (mpmath: 0.639107564067800286275645982963).
  const V<double> y{0, 0, 1, 0, 1, 0, 1, 0, 0};
  const V<double> q1{.3, .3, .4, .3, .4, .3, .1, .2, .7};
  const V<double> q2{.1, .2, .7, .1, .7, .2, .3, .4, .3};
  V<double> one(1);
  ni::log_loss(S(y), S(q1), {3, 3}, O(one));
  EXPECT_EQ(one[0], 1.378388852247452);
  EXPECT_LE(ulps<double>(one[0], 1.3783888522474517L), 1.0);
  ni::log_loss(S(y), S(q2), {3, 3}, O(one));
  EXPECT_ULPS(double, one[0], 0.639107564067800286275645982963L, 0.5);
  EXPECT_LE(ulps<double>(one[0], 0.6391075640678003L), 1.0);
  // scikit-learn >= 1.2 clips at float64's epsilon: unchanged here; sum = 3·mean.
  ni::log_loss(S(y), S(q1), {3, 3}, O(one), Reduction::sum, 0x1p-52);
  EXPECT_ULPS(double, one[0], 3 * 1.37838885224745187336533885627L, 0.5);
}

TYPED_TEST(Categorical, LogLossClipsAndRenormalizes) {
  using T = TypeParam;
  // q = [0, 0.5, 0.5] clipped at eps = 0.125: [0.125, 0.5, 0.5] / 1.125; y on the first class:
  // -log(0.125/1.125) = log 9.
  const V<T> y{1, 0, 0}, q{0, 0.5, 0.5};
  V<T> one(1);
  ni::log_loss(S(y), S(q), {1, 3}, O(one), Reduction::mean, 0.125);
  EXPECT_ULPS(T, one[0], 2.19722457733621938279049047384L, 1);  // mpmath: log(9)
  // Without clipping, y > 0 on q = 0 is +inf.
  ni::log_loss(S(y), S(q), {1, 3}, O(one));
  EXPECT_EQ(one[0], kInf<T>);
}

}  // namespace
