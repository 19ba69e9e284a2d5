// Every kind of bad input throws std::invalid_argument naming the function and the problem,
// and writes nothing.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnconform/impl/nn.hpp"

namespace ni = nnconform::impl;
using ni::Reduction;

namespace {

// Runs f, expects std::invalid_argument whose message names the function and contains `what`.
void expect_invalid(const std::function<void()>& f, const std::string& function,
                    const std::string& what) {
  try {
    f();
    ADD_FAILURE() << function << ": no exception for " << what;
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("nnconform::impl::" + function + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << "message \"" << msg << "\" lacks " << what;
  } catch (...) {
    ADD_FAILURE() << function << ": wrong exception type for " << what;
  }
}

using V = std::vector<double>;
using S = std::span<const double>;
using O = std::span<double>;

TEST(BadInput, ElementwiseLengthMismatch) {
  V x(3), out(2, 7.0);
  expect_invalid([&] { ni::sigmoid(S(x), O(out)); }, "sigmoid", "length mismatch");
  expect_invalid([&] { ni::tanh(S(x), O(out)); }, "tanh", "length mismatch");
  expect_invalid([&] { ni::softplus(S(x), O(out)); }, "softplus", "length mismatch");
  expect_invalid([&] { ni::relu(S(x), O(out)); }, "relu", "length mismatch");
  expect_invalid([&] { ni::elu(S(x), O(out)); }, "elu", "length mismatch");
  std::vector<float> xf(1), of(2);
  expect_invalid([&] { ni::sigmoid(std::span<const float>(xf), std::span<float>(of)); },
                 "sigmoid", "length mismatch");
  EXPECT_EQ(out, V(2, 7.0));  // nothing written
}

TEST(BadInput, SoftplusBeta) {
  V x(1), out(1);
  expect_invalid([&] { ni::softplus(S(x), O(out), 0.0); }, "softplus", "beta");
  expect_invalid([&] { ni::softplus(S(x), O(out), -1.0); }, "softplus", "beta");
  expect_invalid([&] { ni::softplus(S(x), O(out), std::numeric_limits<double>::infinity()); },
                 "softplus", "beta");
}

TEST(BadInput, RowShapes) {
  V z(6), out(6, 7.0), lse(2);
  expect_invalid([&] { ni::softmax(S(z), {2, 4}, O(out)); }, "softmax", "2 x 4");
  expect_invalid([&] { ni::softmax(S(z), {6, 0}, O(out)); }, "softmax", "C = 0");
  expect_invalid([&] { ni::log_softmax(S(z), {3, 3}, O(out)); }, "log_softmax", "3 x 3");
  V short_out(5);
  expect_invalid([&] { ni::softmax(S(z), {2, 3}, O(short_out)); }, "softmax", "out has 5");
  expect_invalid([&] { ni::logsumexp(S(z), {2, 3}, O(out)); }, "logsumexp", "length mismatch");
  expect_invalid([&] { ni::logsumexp(S(z), {0, 0}, O(lse)); }, "logsumexp", "C = 0");
  const std::size_t huge = std::numeric_limits<std::size_t>::max() / 2;
  expect_invalid([&] { ni::softmax(S(z), {huge, 3}, O(out)); }, "softmax", "overflows");
  EXPECT_EQ(out, V(6, 7.0));
}

TEST(BadInput, CrossEntropyClassIndices) {
  V z(6), out(2, 7.0), one(1);
  const std::vector<std::int64_t> too_big{0, 3}, negative{-1, 0}, short_t{0};
  expect_invalid([&] { ni::cross_entropy(S(z), too_big, {2, 3}, O(out), Reduction::none); },
                 "cross_entropy", "t[1] = 3 is out of range [0, 3)");
  expect_invalid([&] { ni::cross_entropy(S(z), negative, {2, 3}, O(one)); }, "cross_entropy",
                 "t[0] = -1");
  expect_invalid([&] { ni::cross_entropy(S(z), short_t, {2, 3}, O(one)); }, "cross_entropy",
                 "length mismatch");
  EXPECT_EQ(out, V(2, 7.0));
}

TEST(BadInput, ReductionOutputsAndEmptyMean) {
  V z(6), p(6), out3(3), one(1), empty;
  const std::vector<std::int64_t> t{0, 1};
  expect_invalid([&] { ni::cross_entropy(S(z), t, {2, 3}, O(out3), Reduction::none); },
                 "cross_entropy", "reduction none needs out of length 2");
  expect_invalid([&] { ni::cross_entropy(S(z), t, {2, 3}, O(out3), Reduction::sum); },
                 "cross_entropy", "reduction sum needs out of length 1");
  expect_invalid([&] { ni::entropy(S(p), {2, 3}, O(out3)); }, "entropy",
                 "reduction mean needs out of length 1");
  expect_invalid([&] { ni::mse(S(empty), S(empty), O(one)); }, "mse", "empty batch");
  expect_invalid([&] { ni::binary_cross_entropy(S(empty), S(empty), O(one), Reduction::mean); },
                 "binary_cross_entropy", "empty batch");
  const std::vector<std::int64_t> no_t;
  expect_invalid([&] { ni::cross_entropy(S(empty), no_t, {0, 3}, O(one)); }, "cross_entropy",
                 "empty batch");
  expect_invalid([&] { ni::entropy(S(empty), {0, 3}, O(one), Reduction::mean); }, "entropy",
                 "empty batch");
}

TEST(BadInput, DistributionAndElementwiseLossShapes) {
  V p(6), q(4), one(1), y(3), yhat(2);
  expect_invalid([&] { ni::kl_divergence(S(p), S(q), {2, 3}, O(one)); }, "kl_divergence",
                 "q has 4 elements");
  expect_invalid([&] { ni::cross_entropy_dist(S(q), S(p), {2, 3}, O(one)); },
                 "cross_entropy_dist", "p has 4 elements");
  expect_invalid([&] { ni::entropy(S(p), {2, 0}, O(one)); }, "entropy", "C = 0");
  expect_invalid([&] { ni::mse(S(y), S(yhat), O(one)); }, "mse", "length mismatch");
  expect_invalid([&] { ni::binary_cross_entropy(S(y), S(yhat), O(one)); },
                 "binary_cross_entropy", "length mismatch");
}

}  // namespace
