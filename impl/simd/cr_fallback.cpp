#include "cr_fallback.hpp"

#include <quadmath.h>

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
float silu_cr(float x, double) { return static_cast<float>(Q(x) * sigmoid_q(x)); }
float softplus_cr(float x, double) { return static_cast<float>(softplus_q(x)); }
float elu_cr(float x, double alpha) { return x > 0 ? x : static_cast<float>(Q(alpha) * expm1q(Q(x))); }
float mish_cr(float x, double) { return static_cast<float>(Q(x) * tanhq(softplus_q(x))); }
}  // namespace nnconform::simd::cr
