#include "cr_fallback.hpp"

#include <quadmath.h>

#include <algorithm>
#include <cmath>

namespace nnconform::simd::cr {
namespace {
using Q = __float128;
Q sigmoid_q(Q x) {
  Q e = expq(-fabsq(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}
Q softplus_q(Q x) { return (x > 0 ? x : Q(0)) + log1pq(expq(-fabsq(x))); }
}  // namespace

float sigmoid_cr(float x, double) { return static_cast<float>(sigmoid_q(x)); }
float tanh_cr(float x, double) { return static_cast<float>(tanhq(Q(x))); }
// Near 0, silu(x) = x/2 + x^2/4 - ...: below |x| = 2^-40 the exact value is x/2 plus a positive
// amount under 2^-41 of it, which binary128 loses for subnormal x (2^-300 next to 2^-150) and
// which matters only where x/2 is itself a midpoint between two floats (subnormal results):
// there the exact value lies above it, so it rounds up.
float silu_cr(float x, double) {
  if (std::fabs(x) < 0x1p-40f) {
    const double h = 0.5 * static_cast<double>(x);  // exact
    const float r = static_cast<float>(h);          // nearest, ties to even
    if (static_cast<double>(r) == h) return r;
    const float other = std::nextafter(r, static_cast<double>(r) < h ? INFINITY : -INFINITY);
    const bool tie = std::fabs(h - static_cast<double>(r)) == std::fabs(static_cast<double>(other) - h);
    return tie ? std::max(r, other) : r;
  }
  return static_cast<float>(Q(x) * sigmoid_q(x));
}
float softplus_cr(float x, double) { return static_cast<float>(softplus_q(x)); }
float elu_cr(float x, double alpha) { return x > 0 ? x : static_cast<float>(Q(alpha) * expm1q(Q(x))); }
float mish_cr(float x, double) { return static_cast<float>(Q(x) * tanhq(softplus_q(x))); }
}  // namespace nnconform::simd::cr
