// Bad input to every loss and divergence of losses.hpp: std::invalid_argument naming the function
// and the problem, before anything is written. NaN is not bad input (it gives NaN).
#include "loss_test_support.hpp"

namespace {

using namespace losstest;
using D = V<double>;
using I = std::vector<std::int64_t>;

TEST(LossesBadInput, Regression) {
  const D y{1, 2}, yhat{1, 3}, short_v{1};
  D out(1, 7.0), two(2, 7.0);
  expect_invalid([&] { ni::sse(S(y), S(yhat), O(out), Reduction::mean); }, "sse",
                 "reduction mean is not supported (allowed: none, sum)");
  const D m1{-1, 0};
  expect_invalid([&] { ni::msle(S(m1), S(yhat), O(out)); }, "msle",
                 "y[0] = -1 is outside its domain (-1, inf)");
  expect_invalid([&] { ni::mae(S(y), S(short_v), O(out)); }, "mae", "length mismatch");
  expect_invalid([&] { ni::mape(S(y), S(yhat), O(out), Reduction::mean, {.scale = 0}); }, "mape",
                 "parameter scale = 0 is outside its range (0, inf)");
  expect_invalid([&] { ni::mape(S(y), S(yhat), O(out), Reduction::mean, {.epsilon = -1}); },
                 "mape", "parameter epsilon = -1");
  expect_invalid([&] { ni::smooth_l1(S(y), S(yhat), O(out), Reduction::mean, -0.5); },
                 "smooth_l1", "parameter beta = -0.5 is outside its range [0, inf)");
  expect_invalid([&] { ni::huber(S(y), S(yhat), O(out), Reduction::mean, 0.0); }, "huber",
                 "parameter delta = 0 is outside its range (0, inf)");
  expect_invalid([&] { ni::huber(S(y), S(yhat), O(out), Reduction::mean, kNaN<double>); },
                 "huber", "parameter delta = nan");
  expect_invalid([&] { ni::variance(S(y), {1, 2}, O(out), 2); }, "variance",
                 "parameter ddof = 2 is outside its range [0, 1]");
  expect_invalid([&] { ni::variance(S(y), {1, 2}, O(two)); }, "variance", "length mismatch");
  const D big{0.5, 1.5};
  expect_invalid([&] { ni::quadratic_cost(S(y), S(big), O(out)); }, "quadratic_cost",
                 "y[1] = 1.5 is outside its domain [0, 1]");
  expect_invalid([&] { ni::cosine_proximity(S(y), S(short_v), {1, 2}, O(out)); },
                 "cosine_proximity", "yhat has 1 elements");
  expect_invalid(
      [&] { ni::cosine_proximity(S(y), S(yhat), {1, 2}, O(out), Reduction::mean, -1.0); },
      "cosine_proximity", "parameter epsilon = -1");
  EXPECT_EQ(out, D(1, 7.0));  // nothing written
  EXPECT_EQ(two, D(2, 7.0));
}

TEST(LossesBadInput, Binary) {
  const D y{1, 0}, p{0.5, 1.5}, s{0.5, -2}, w{1, -1}, w3{1, 1, 1};
  D out(1, 7.0);
  expect_invalid([&] { ni::binary_cross_entropy(S(y), S(p), O(out)); }, "binary_cross_entropy",
                 "p[1] = 1.5 is outside its domain [0, 1]");
  expect_invalid([&] { ni::binary_cross_entropy(S(p), S(y), O(out)); }, "binary_cross_entropy",
                 "y[1] = 1.5 is outside its domain [0, 1]");
  expect_invalid([&] { ni::binary_cross_entropy(S(y), S(y), S(w), O(out)); },
                 "binary_cross_entropy", "w[1] = -1 is outside its domain [0, inf)");
  expect_invalid([&] { ni::binary_cross_entropy(S(y), S(y), S(w3), O(out)); },
                 "binary_cross_entropy", "w has 3 elements but the number of elements is 2");
  expect_invalid(
      [&] {
        ni::binary_cross_entropy(S(y), S(y), {}, O(out), Reduction::mean,
                                 {.clamp = ni::BceClamp::keras, .epsilon = 0.5});
      },
      "binary_cross_entropy", "parameter epsilon = 0.5 is outside its range [0, 0.5)");
  expect_invalid([&] { ni::binary_cross_entropy_with_logits(S(p), S(s), O(out)); },
                 "binary_cross_entropy_with_logits", "y[1] = 1.5");
  expect_invalid(
      [&] { ni::binary_cross_entropy_with_logits(S(y), S(s), O(out), Reduction::mean, -1.0); },
      "binary_cross_entropy_with_logits", "parameter pos_weight = -1");
  const D winf{1, kInf<double>};
  expect_invalid([&] { ni::binary_cross_entropy_with_logits(S(y), S(s), S(winf), O(out)); },
                 "binary_cross_entropy_with_logits", "w[1] = inf is outside its domain [0, inf)");
  expect_invalid([&] { ni::logistic_loss(S(y), S(s), O(out)); }, "logistic_loss",
                 "labels y must be -1 or +1: y[1] = 0");
  const D half{1, 0.5};
  expect_invalid([&] { ni::exponential_loss(S(half), S(s), O(out)); }, "exponential_loss",
                 "labels y must be -1 or +1: y[1] = 0.5");
  expect_invalid([&] { ni::hinge(S(y), S(s), O(out)); }, "hinge",
                 "labels must be -1 or +1 (or 0 and 1 with label_encoding=zero_one): y[1] = 0");
  const D pm{1, -1};
  expect_invalid(
      [&] { ni::squared_hinge(S(pm), S(s), O(out), Reduction::mean, ni::LabelEncoding::zero_one); },
      "squared_hinge", "labels must be 0 or 1 with label_encoding=zero_one: y[1] = -1");
  expect_invalid(
      [&] { ni::balanced_cross_entropy(S(y), S(y), O(out), Reduction::mean, 1.5); },
      "balanced_cross_entropy", "parameter alpha = 1.5 is outside its range [0, 1]");
  expect_invalid([&] { ni::focal_loss(S(y), S(p), O(out)); }, "focal_loss",
                 "p must be a probability in [0, 1] (or pass from_logits=true): p[1] = 1.5");
  expect_invalid([&] { ni::focal_loss(S(y), S(y), O(out), Reduction::mean, {.gamma = -1}); },
                 "focal_loss", "parameter gamma = -1 is outside its range [0, inf)");
  expect_invalid([&] { ni::multilabel_bce(S(p), S(s), {1, 2}, O(out)); }, "multilabel_bce",
                 "y[1] = 1.5");
  expect_invalid([&] { ni::multilabel_bce(S(y), S(w3), {1, 2}, O(out)); }, "multilabel_bce",
                 "s has 3 elements");
  EXPECT_EQ(out, D(1, 7.0));
  // From logits, p is a logit: no domain.
  ni::focal_loss(S(y), S(p), O(out), Reduction::mean, {.from_logits = true});
  EXPECT_TRUE(std::isfinite(out[0]));
}

TEST(LossesBadInput, Categorical) {
  const D z{1, 2, 3, 4, 5, 6}, w{1, 1}, wneg{1, -2, 1}, q{0.5, 1.5, 0, 0.2, 0.3, 0.5};
  D out(1, 7.0);
  expect_invalid([&] { ni::cross_entropy(S(z), I{0, 3}, {2, 3}, O(out)); }, "cross_entropy",
                 "t[1] = 3 is out of range [0, 3) and is not ignore_index = -100");
  expect_invalid([&] { ni::cross_entropy(S(z), I{0, 1}, S(w), {2, 3}, O(out)); },
                 "cross_entropy", "w has 2 elements but the number of classes C is 3");
  expect_invalid([&] { ni::cross_entropy(S(z), I{0, 1}, S(wneg), {2, 3}, O(out)); },
                 "cross_entropy", "w[1] = -2 is outside its domain [0, inf)");
  expect_invalid(
      [&] {
        ni::cross_entropy(S(z), I{0, 1}, {}, {2, 3}, O(out), Reduction::mean,
                          {.label_smoothing = 1.5});
      },
      "cross_entropy", "parameter label_smoothing = 1.5 is outside its range [0, 1]");
  expect_invalid([&] { ni::nll_loss(S(z), I{-1, 1}, {2, 3}, O(out)); }, "nll_loss",
                 "t[0] = -1 is out of range [0, 3)");
  expect_invalid([&] { ni::nll_loss(S(z), I{0, 1}, S(w), {2, 3}, O(out)); }, "nll_loss",
                 "w has 2 elements");
  const D y{0, 1, 0, 1, 0, 0};
  expect_invalid([&] { ni::categorical_cross_entropy(S(y), S(q), {2, 3}, O(out)); },
                 "categorical_cross_entropy",
                 "q must hold probabilities in [0, 1] (or pass from_logits=true): q[1] = 1.5");
  expect_invalid([&] { ni::categorical_cross_entropy(S(q), S(y), {2, 3}, O(out)); },
                 "categorical_cross_entropy", "y[1] = 1.5 is outside its domain [0, 1]");
  expect_invalid(
      [&] {
        ni::categorical_cross_entropy(S(y), S(y), {2, 3}, O(out), Reduction::mean,
                                      {.clip = ni::ProbabilityClip::keras, .epsilon = 0.75});
      },
      "categorical_cross_entropy", "parameter epsilon = 0.75");
  expect_invalid([&] { ni::sparse_categorical_cross_entropy(I{0, -100}, S(y), {2, 3}, O(out)); },
                 "sparse_categorical_cross_entropy", "t[1] = -100 is out of range [0, 3)");
  expect_invalid([&] { ni::sparse_categorical_cross_entropy(I{0, 1}, S(q), {2, 3}, O(out)); },
                 "sparse_categorical_cross_entropy", "q must hold probabilities");
  D two(2, 7.0);
  expect_invalid([&] { ni::log_loss(S(y), S(y), {2, 3}, O(two), Reduction::none); }, "log_loss",
                 "reduction none is not supported (allowed: mean, sum)");
  expect_invalid([&] { ni::log_loss(S(y), S(q), {2, 3}, O(out)); }, "log_loss",
                 "q[1] = 1.5 is outside its domain [0, 1]");
  expect_invalid([&] { ni::log_loss(S(y), S(y), {2, 3}, O(out), Reduction::mean, 0.5); },
                 "log_loss", "parameter eps = 0.5 is outside its range [0, 0.5)");
  EXPECT_EQ(out, D(1, 7.0));
  EXPECT_EQ(two, D(2, 7.0));
  // From logits, q is a logit: no domain.
  ni::categorical_cross_entropy(S(y), S(q), {2, 3}, O(out), Reduction::mean,
                                {.from_logits = true});
  EXPECT_TRUE(std::isfinite(out[0]));
}

TEST(LossesBadInput, Divergences) {
  const D p{0.5, 0.5}, neg{-0.25, 1}, two{2, -1};
  D out(1, 7.0);
  expect_invalid([&] { ni::entropy(S(neg), {1, 2}, O(out), Reduction::mean, ni::LogBase::two); },
                 "entropy", "p[0] = -0.25 is outside its domain [0, 1]");
  expect_invalid(
      [&] { ni::entropy(S(p), {1, 2}, O(out), Reduction::mean, static_cast<ni::LogBase>(7)); },
      "entropy", "unknown base value 7");
  expect_invalid(
      [&] { ni::cross_entropy_dist(S(p), S(two), {1, 2}, O(out), Reduction::mean, ni::LogBase::e); },
      "cross_entropy_dist", "q[0] = 2 is outside its domain [0, 1]");
  expect_invalid([&] { ni::kl_divergence(S(two), S(p), {1, 2}, O(out)); }, "kl_divergence",
                 "p must hold probabilities in [0, 1] (or pass p_is_log=true): p[0] = 2");
  expect_invalid([&] { ni::kl_divergence(S(p), S(two), {1, 2}, O(out)); }, "kl_divergence",
                 "q must hold probabilities in [0, 1] (or pass q_is_log=true): q[0] = 2");
  EXPECT_EQ(out, D(1, 7.0));
  // With the log conventions those values are fine (log-probabilities may be any real).
  ni::kl_divergence(S(two), S(p), {1, 2}, O(out), Reduction::mean, {.p_is_log = true});
  EXPECT_FALSE(std::isnan(out[0]));
}

TEST(LossesBadInput, EmptyBatchesAndNaN) {
  const D empty;
  D out(1, 7.0);
  expect_invalid([&] { ni::mae(S(empty), S(empty), O(out)); }, "mae", "empty batch");
  expect_invalid([&] { ni::focal_loss(S(empty), S(empty), O(out)); }, "focal_loss",
                 "empty batch");
  expect_invalid([&] { ni::nll_loss(S(empty), I{}, {0, 3}, O(out)); }, "nll_loss", "empty batch");
  expect_invalid([&] { ni::log_loss(S(empty), S(empty), {0, 2}, O(out)); }, "log_loss",
                 "empty batch");
  EXPECT_EQ(out, D(1, 7.0));
  // A sum over nothing is 0; none writes nothing.
  ni::sse(S(empty), S(empty), O(out));
  EXPECT_EQ(out[0], 0.0);
  D none;
  ni::hinge(S(empty), S(empty), O(none), Reduction::none);
  // NaN passes the domain checks and gives NaN.
  const D nan{kNaN<double>}, half{0.5};
  ni::binary_cross_entropy(S(nan), S(half), O(out));
  EXPECT_TRUE(std::isnan(out[0]));
  ni::logistic_loss(S(nan), S(half), O(out));
  EXPECT_TRUE(std::isnan(out[0]));
}

}  // namespace
