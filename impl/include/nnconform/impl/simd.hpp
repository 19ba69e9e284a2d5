// nnconform::simd — SIMD kernels of the built-in implementation, with runtime CPU dispatch
// (Highway dynamic dispatch: AVX-512, AVX2+FMA, SSE4, SSSE3 and the portable EMU128 fallback
// are compiled; the best one the CPU supports is chosen at the first call).
//
// Same conventions as nnconform/impl/nn.hpp: spans in, spans out, `out` may alias `in` for the
// elementwise functions, rows are {n, c} row-major, losses take a Reduction (none: one value per
// element or row; sum, mean: out.size() == 1). Bad shapes throw std::invalid_argument whose
// what() begins with "nnconform::simd::<function>: ".
//
// Accuracy (the authority is the conformance suite, conformance/tests/simd_vectors_test.cpp,
// which holds every kernel in every dispatch target to the spec's `strict` tolerance):
// * float, Tier::fast: on targets with an FMA (AVX-512, AVX2) sigmoid, tanh, silu, elu, softplus,
//   mish, softmax, log_softmax and logsumexp run on float lanes (impl/simd/float_native-inl.h):
//   e^x as 2^k·(1 + h + t) with h exact and a degree-5 minimax for t, every quantity that is
//   divided or cancelled carried as a pair of floats (softplus's logarithm through a 16-entry
//   table), one rounding at the end. Measured over all 2^32 inputs (docs/sweeps/binary32-simd,
//   -simd@AVX2): max 0.65 (sigmoid), 0.75 (tanh), 0.68 (silu), 0.82 (elu), softplus and mish in
//   docs/sweeps/binary32-simd/table.md. A vector with a result near or below the subnormal
//   range (sigmoid, silu, softplus below x = -87, mish below -80) takes the binary64 form below
//   for that vector. Without an FMA (SSE4, SSSE3, EMU128) the fast tier promotes to binary64
//   and evaluates the plain formula with an exp polynomial of degree 8 (e^x = 2^k·(1 + q),
//   truncation <= 2^-30.8 relative to q): the float result errs by <= 0.52 ulp; softplus and
//   mish there, cross_entropy and the losses evaluate the double-word formulation of the double
//   kernels (degree 11 for float), < 2^-45 relative.
//   Subnormal float outputs are kept: nothing is flushed, no FTZ/DAZ is set or relied on.
//   Outputs of 16 MiB and more are written with non-temporal stores.
// * float, Tier::correctly_rounded (sigmoid, tanh, silu, softplus, elu, mish): on targets with
//   an FMA, all six (elu: alpha a float in (0, 2^100]) first run on float lanes
//   (impl/simd/float_cr-inl.h): an unrounded float pair with an error bound of about 2^-32
//   (a table-driven exp), rounded, and kept where every value within the bound rounds alike;
//   the lanes it cannot decide (about 1% of random inputs) go on to the binary64 form. That form
//   (all six functions, all targets) is a binary64 value that errs by < 2^-46 (degree 11, or the
//   double-word formulation), then a rounding test: where it lies within 2^-41 (relative) of a
//   midpoint between two floats, that element is recomputed in binary128 (__float128,
//   libquadmath) and rounded once (silu below |x| = 2^-40 by its series). Every one of the 2^32
//   results is correctly rounded (docs/sweeps/binary32-simd-cr, -simd-cr@AVX2).
// * double: the double-word ("dd-lite") formulation with an exp polynomial of degree 13
//   (truncation 2^-57.8) and double-word corrections at each cancellation; bounds per function
//   in impl/simd/kernels.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nnconform/impl/nn.hpp"  // Reduction, Shape

namespace nnconform::simd {

using impl::Reduction;
using impl::Shape;

enum class Tier { fast, correctly_rounded };

// Elementwise activations. swish with beta = 1 is silu.
void sigmoid(std::span<const float> x, std::span<float> out, Tier tier = Tier::fast);
void sigmoid(std::span<const double> x, std::span<double> out);
void tanh(std::span<const float> x, std::span<float> out, Tier tier = Tier::fast);
void tanh(std::span<const double> x, std::span<double> out);
void silu(std::span<const float> x, std::span<float> out, Tier tier = Tier::fast);
void silu(std::span<const double> x, std::span<double> out);
// softplus(x) = log(1 + e^x) (beta = 1, no linearization threshold).
void softplus(std::span<const float> x, std::span<float> out, Tier tier = Tier::fast);
void softplus(std::span<const double> x, std::span<double> out);
void elu(std::span<const float> x, std::span<float> out, float alpha = 1.0f, Tier tier = Tier::fast);
void elu(std::span<const double> x, std::span<double> out, double alpha = 1.0);
// mish(x) = x·tanh(softplus(x)).
void mish(std::span<const float> x, std::span<float> out, Tier tier = Tier::fast);
void mish(std::span<const double> x, std::span<double> out);
void relu(std::span<const float> x, std::span<float> out);
void relu(std::span<const double> x, std::span<double> out);
void leaky_relu(std::span<const float> x, std::span<float> out, float a = 0.01f);
void leaky_relu(std::span<const double> x, std::span<double> out, double a = 0.01);
void relu6(std::span<const float> x, std::span<float> out);
void relu6(std::span<const double> x, std::span<double> out);

// Row functions over {n, c}. softmax and log_softmax may run in place.
void softmax(std::span<const float> z, Shape shape, std::span<float> out);
void softmax(std::span<const double> z, Shape shape, std::span<double> out);
void log_softmax(std::span<const float> z, Shape shape, std::span<float> out);
void log_softmax(std::span<const double> z, Shape shape, std::span<double> out);
void logsumexp(std::span<const float> z, Shape shape, std::span<float> out);     // out: n
void logsumexp(std::span<const double> z, Shape shape, std::span<double> out);

// Losses. cross_entropy is fused: logsumexp(z_i) - z_i[t_i] per row, no probabilities written.
void cross_entropy(std::span<const float> z, std::span<const std::int64_t> t, Shape shape, std::span<float> out,
                   Reduction reduction = Reduction::mean);
void cross_entropy(std::span<const double> z, std::span<const std::int64_t> t, Shape shape, std::span<double> out,
                   Reduction reduction = Reduction::mean);
// y targets in [0, 1], s logits; w = 1, pos_weight = 1.
void binary_cross_entropy_with_logits(std::span<const float> y, std::span<const float> s, std::span<float> out,
                                      Reduction reduction = Reduction::mean);
void binary_cross_entropy_with_logits(std::span<const double> y, std::span<const double> s, std::span<double> out,
                                      Reduction reduction = Reduction::mean);
void mse(std::span<const float> y, std::span<const float> yhat, std::span<float> out, Reduction r = Reduction::mean);
void mse(std::span<const double> y, std::span<const double> yhat, std::span<double> out, Reduction r = Reduction::mean);
void mae(std::span<const float> y, std::span<const float> yhat, std::span<float> out, Reduction r = Reduction::mean);
void mae(std::span<const double> y, std::span<const double> yhat, std::span<double> out, Reduction r = Reduction::mean);
void huber(std::span<const float> y, std::span<const float> yhat, std::span<float> out, float delta = 1.0f,
           Reduction r = Reduction::mean);
void huber(std::span<const double> y, std::span<const double> yhat, std::span<double> out, double delta = 1.0,
           Reduction r = Reduction::mean);

// Dispatch targets. available_targets() lists the compiled targets this CPU supports, best
// first, by Highway's names ("AVX3", "AVX2", "SSE4", "SSSE3", "SCALAR" — the portable scalar
// fallback). force_target(name) makes every later call use that target (process-wide, not
// thread-safe; for tests and benchmarks); force_target("") returns to the best one.
std::vector<std::string> available_targets();
void force_target(const std::string& name);
std::string current_target();

}  // namespace nnconform::simd
