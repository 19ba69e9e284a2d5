// Error-free transformations of binary64 arithmetic for the fast reference path.
//
// two_sum (Knuth) and fast_two_sum (Dekker, |a| >= |b| or a == 0) return s = fl(a + b) and the
// exact error e with a + b = s + e; two_prod returns p = fl(a b) and e = a b - p exactly through
// a fused multiply-add (std::fma is correctly rounded whether or not the hardware has FMA).
// All are exact barring overflow; two_prod also needs |e| above the subnormal range, i.e.
// |a b| >= 2^-969, which the callers' operands (binary32 values and constants near 1) meet.
//
// These rely on each + and * being rounded once as written: no -ffast-math, and no contraction
// of a * b + c into an FMA in two_sum (it has no product) — the kernels' error analyses assume
// separate roundings, and an FMA only removes roundings, which never invalidates a bound.
#pragma once

#include <cmath>
#include <utility>

#if defined(__FAST_MATH__)
#error "the fast reference path needs IEEE 754 arithmetic: do not build it with -ffast-math"
#endif

namespace nnconform::ref::fast {

struct DD {
  double hi = 0, lo = 0;
};

inline std::pair<double, double> two_sum(double a, double b) {
  double s = a + b;
  double bb = s - a;
  double e = (a - (s - bb)) + (b - bb);
  return {s, e};
}

inline std::pair<double, double> fast_two_sum(double a, double b) {
  double s = a + b;
  double e = b - (s - a);
  return {s, e};
}

inline std::pair<double, double> two_prod(double a, double b) {
  double p = a * b;
  double e = std::fma(a, b, -p);
  return {p, e};
}

}  // namespace nnconform::ref::fast
