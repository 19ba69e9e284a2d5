// Bad input to the activations of issue 4: each case throws std::invalid_argument whose message
// starts with "nnconform::impl::<function>: " and names the problem, and writes nothing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnconform/impl/nn.hpp"

namespace ni = nnconform::impl;

namespace {

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
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Activations2BadInput, ElementwiseLengthMismatch) {
  V x(3), out(2, 7.0);
  const std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"linear", [&] { ni::linear(S(x), O(out)); }},
      {"relu6", [&] { ni::relu6(S(x), O(out)); }},
      {"leaky_relu", [&] { ni::leaky_relu(S(x), O(out)); }},
      {"prelu", [&] { ni::prelu(S(x), O(out)); }},
      {"rrelu", [&] { ni::rrelu(S(x), O(out)); }},
      {"srelu", [&] { ni::srelu(S(x), O(out), -1, 0.1, 2, 0.5); }},
      {"silu", [&] { ni::silu(S(x), O(out)); }},
      {"swish", [&] { ni::swish(S(x), O(out)); }},
      {"mish", [&] { ni::mish(S(x), O(out)); }},
      {"gelu", [&] { ni::gelu(S(x), O(out)); }},
      {"gelu_tanh", [&] { ni::gelu_tanh(S(x), O(out)); }},
      {"selu", [&] { ni::selu(S(x), O(out)); }},
      {"logsigmoid", [&] { ni::logsigmoid(S(x), O(out)); }},
      {"hardsigmoid", [&] { ni::hardsigmoid(S(x), O(out)); }},
      {"hardswish", [&] { ni::hardswish(S(x), O(out)); }},
  };
  for (const auto& [name, call] : calls) expect_invalid(call, name, "length mismatch");
  std::vector<float> xf(1), of(2);
  expect_invalid([&] { ni::gelu(std::span<const float>(xf), std::span<float>(of)); }, "gelu",
                 "length mismatch");
  EXPECT_EQ(out, V(2, 7.0));
}

TEST(Activations2BadInput, ParametersOutsideTheirSpecRanges) {
  V x{1.0, -1.0}, out(2, 7.0);
  expect_invalid([&] { ni::linear(S(x), O(out), kNaN); }, "linear", "parameter k must be finite");
  expect_invalid([&] { ni::linear(S(x), O(out), kInf); }, "linear", "parameter k");
  expect_invalid([&] { ni::leaky_relu(S(x), O(out), kNaN); }, "leaky_relu", "parameter a");
  expect_invalid([&] { ni::prelu(S(x), O(out), -kInf); }, "prelu", "slope a[0] must be finite");
  expect_invalid([&] { ni::rrelu(S(x), O(out), -0.1, 0.3); }, "rrelu",
                 "parameter lower must be finite and >= 0");
  expect_invalid([&] { ni::rrelu(S(x), O(out), 0.1, kNaN); }, "rrelu", "parameter upper");
  expect_invalid([&] { ni::swish(S(x), O(out), 0.0); }, "swish", "beta must be finite and > 0");
  expect_invalid([&] { ni::swish(S(x), O(out), -1.0); }, "swish", "beta");
  expect_invalid([&] { ni::swish(S(x), O(out), kNaN); }, "swish", "beta");
  std::vector<float> xf(2), of(2);
  expect_invalid([&] { ni::swish(std::span<const float>(xf), std::span<float>(of), 0.0f); },
                 "swish", "beta");
  EXPECT_EQ(out, V(2, 7.0));
}

TEST(Activations2BadInput, SreluThresholds) {
  V x(2), out(2, 7.0);
  expect_invalid([&] { ni::srelu(S(x), O(out), kNaN, 0.1, 2, 0.5); }, "srelu",
                 "parameter t_l must be finite");
  expect_invalid([&] { ni::srelu(S(x), O(out), -1, 0.1, 2, kInf); }, "srelu", "parameter a_r");
  expect_invalid([&] { ni::srelu(S(x), O(out), -1, kNaN, 2, 0.5); }, "srelu", "parameter a_l");
  expect_invalid([&] { ni::srelu(S(x), O(out), -1, 0.1, kNaN, 0.5); }, "srelu",
                 "parameter t_r");
  EXPECT_EQ(out, V(2, 7.0));
}

// Thresholds in either order are the spec's formula (x >= t_r first, then x <= t_l), not bad
// input: with t_l = 2 > t_r = -1, x = 0 takes the right branch (x >= t_r) and x = -3 the left
// one (x < t_r, x <= t_l).
TEST(Activations2BadInput, SreluThresholdsInEitherOrder) {
  V x{0.0, -3.0}, out(2);
  ni::srelu(S(x), O(out), 2, 0.1, -1, 0.5);
  EXPECT_EQ(out, (V{-0.5, 1.5}));  // -1 + 0.5·1; 2 + 0.1·(-5) = 1.49999999999999997 rounded
}

TEST(Activations2BadInput, PreluSlopes) {
  V x(6), out(6, 7.0), two{0.1, 0.2}, three{0.1, kNaN, 0.3}, none;
  expect_invalid([&] { ni::prelu(S(x), {2, 3}, O(out), S(two)); }, "prelu",
                 "a has 2 slopes; it takes 1 (shared) or C = 3");
  expect_invalid([&] { ni::prelu(S(x), {2, 3}, O(out), S(none)); }, "prelu", "a has 0 slopes");
  expect_invalid([&] { ni::prelu(S(x), {2, 3}, O(out), S(three)); }, "prelu",
                 "slope a[1] must be finite");
  expect_invalid([&] { ni::prelu(S(x), {3, 3}, O(out), S(three)); }, "prelu", "3 x 3");
  expect_invalid([&] { ni::prelu(S(x), {6, 0}, O(out), S(three)); }, "prelu", "C = 0");
  V short_out(5);
  const V ok{0.1, 0.2, 0.3};
  expect_invalid([&] { ni::prelu(S(x), {2, 3}, O(short_out), S(ok)); }, "prelu",
                 "length mismatch");
  EXPECT_EQ(out, V(6, 7.0));
}

TEST(Activations2BadInput, RreluGivenSlopesLength) {
  V x(3), a(2), out(3, 7.0);
  expect_invalid([&] { ni::rrelu(S(x), S(a), O(out)); }, "rrelu", "a has 2");
  V a3(3), out2(2);
  expect_invalid([&] { ni::rrelu(S(x), S(a3), O(out2)); }, "rrelu", "out has 2");
  EXPECT_EQ(out, V(3, 7.0));
}

TEST(Activations2BadInput, CreluShapes) {
  V x(6), out(6, 7.0), out12(12);
  expect_invalid([&] { ni::crelu(S(x), {2, 3}, O(out)); }, "crelu",
                 "out has 6 elements but needs 2 x N x C = 12");
  expect_invalid([&] { ni::crelu(S(x), {2, 4}, O(out12)); }, "crelu", "2 x 4");
  expect_invalid([&] { ni::crelu(S(x), {6, 0}, O(out12)); }, "crelu", "C = 0");
  EXPECT_EQ(out, V(6, 7.0));
}

TEST(Activations2BadInput, MaxoutGroups) {
  V x(6), out3(3, 7.0), out2(2), out1(1);
  expect_invalid([&] { ni::maxout(S(x), {1, 6}, O(out3), 4); }, "maxout",
                 "row length C = 6 is not a multiple of k = 4");
  expect_invalid([&] { ni::maxout(S(x), {2, 3}, O(out3), 2); }, "maxout",
                 "C = 3 is not a multiple of k = 2");
  expect_invalid([&] { ni::maxout(S(x), {1, 6}, O(out3), 0); }, "maxout", "k must be >= 1, got 0");
  expect_invalid([&] { ni::maxout(S(x), {1, 6}, O(out3), -2); }, "maxout", "got -2");
  expect_invalid([&] { ni::maxout(S(x), {1, 6}, O(out2), 2); }, "maxout",
                 "out has 2 elements but needs N x C / k = 3");
  expect_invalid([&] { ni::maxout(S(x), {1, 5}, O(out1), 5); }, "maxout", "1 x 5");
  EXPECT_EQ(out3, V(3, 7.0));
}

TEST(Activations2BadInput, HardmaxShapes) {
  V z(6), out(6, 7.0), out5(5);
  expect_invalid([&] { ni::hardmax(S(z), {2, 2}, O(out)); }, "hardmax", "2 x 2");
  expect_invalid([&] { ni::hardmax(S(z), {2, 3}, O(out5)); }, "hardmax", "length mismatch");
  expect_invalid([&] { ni::hardmax(S(z), {1, 0}, O(out)); }, "hardmax", "C = 0");
  EXPECT_EQ(out, V(6, 7.0));
}

}  // namespace
