// The correctly rounded tier's slow path: one float element in binary128 (__float128,
// libquadmath, <= 1 ulp of 2^-113 per operation, a few operations), rounded once to float.
// A float result is misrounded only if the exact value lies within ~2^-110 (relative) of a
// midpoint between two floats; the closest approach of these functions over all 2^32 float
// inputs is far larger (for a transcendental function of a 24-bit input, ~2^-(24+32+a few)),
// so the rounding is correct. Called only on the ~2^-16 of elements whose binary64 value lies
// within 2^-41 of a midpoint (kernels.cpp, NearFloatMidpoint).
#pragma once

namespace nnconform::simd::cr {
float sigmoid_cr(float x, double);
float tanh_cr(float x, double);
float silu_cr(float x, double);
float softplus_cr(float x, double);
float elu_cr(float x, double alpha);
float mish_cr(float x, double);
}  // namespace nnconform::simd::cr
