// Helpers shared by the loss and divergence tests (losses_*_test.cpp, divergences_test.cpp):
// error in ulps against a high-precision value, calls on vectors, and bad-input checks.
//
// Exact values in the tests come from mpmath at 300 bits (python3, mpmath 1.3; the script is
// quoted where a value is not obvious) and are written as long double literals: x87 extended
// precision (64 bits) holds them to ~2^-64 relative, so an error is measured to ~0.001 ulp of a
// double. (Where long double is binary64, the measure is only good to ~0.5 ulp.)
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnconform/impl/losses.hpp"

namespace losstest {

namespace ni = nnconform::impl;
using ni::Reduction;

template <class T>
constexpr T kInf = std::numeric_limits<T>::infinity();
template <class T>
constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();

using Types = ::testing::Types<float, double>;

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

// ulp of the format T at the magnitude of x (subnormal spacing below the normal range).
template <class T>
long double ulp_of(long double x) {
  constexpr int p = std::numeric_limits<T>::digits;
  constexpr int emin = std::numeric_limits<T>::min_exponent - 1;
  if (x == 0) return std::ldexp(1.0L, emin - p + 1);
  int e = std::ilogb(x);
  if (e < emin) e = emin;
  return std::ldexp(1.0L, e - p + 1);
}

// |got - exact| in ulps of exact (T's format).
template <class T>
double ulps(T got, long double exact) {
  if (std::isnan(got) || std::isnan(exact)) return std::isnan(got) && std::isnan(exact) ? 0 : 1e9;
  if (std::isinf(exact) || std::isinf(got)) return got == exact ? 0 : 1e9;
  return static_cast<double>(std::fabs(static_cast<long double>(got) - exact) / ulp_of<T>(exact));
}

#define EXPECT_ULPS(T, got, exact, tol) \
  EXPECT_LE(::losstest::ulps<T>((got), (exact)), (tol)) << "got " << (got) << ", exact " << (exact)

// Runs f, expects std::invalid_argument whose message starts with
// "nnconform::impl::<function>: " and contains `what`.
inline void expect_invalid(const std::function<void()>& f, const std::string& function,
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

}  // namespace losstest
