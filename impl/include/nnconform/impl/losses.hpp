// nnconform::impl — every loss and divergence of spec/losses/*.yaml and spec/divergences/*.yaml
// in binary32 (float) and binary64 (double), with the specs' parameters, optional inputs and
// reductions. Include this header (it includes nn.hpp, which declares the first losses:
// cross_entropy, kl_divergence, entropy, cross_entropy_dist, binary_cross_entropy and mse with
// their default conventions; the overloads below add the rest of each spec).
//
// Each function computes exactly its spec's `formula` (with its `definitions`), its parameters'
// defaults and ranges, its `requires`, and its `reduction`; where a spec writes a formula in a
// numerically careful form, this implementation may use another careful form of the same
// mathematics (stated per function). The spec is the authority; the conformance suite scores
// this implementation against the correctly rounded reference like any other.
//
// ---------------------------------------------------------------------------------------------
// Conventions (in addition to nn.hpp's)
// ---------------------------------------------------------------------------------------------
// * Parameters: (inputs..., [shape], out, reduction, parameters...). A function with one
//   parameter takes it positionally; with two or more, an options struct with the spec's
//   defaults: call as focal_loss(y, p, out, Reduction::mean, {.gamma = 3}).
//   A real parameter of a float overload is rounded to float before use, as the reference
//   rounds it to the target format (positional ones are typed float); the specs' `exact`
//   parameters (log_loss eps, mape scale) are used as given (double). Enum parameters are C++
//   enums; "true"/"false" ones are bools.
// * Optional inputs (per-element weights w of the binary cross-entropies, per-class weights w
//   of cross_entropy and nll_loss) come after the required inputs; an empty span means the
//   spec's default (all ones).
// * Reductions: `none` writes one value per element (elementwise losses) or per row (row
//   losses); `sum` and `mean` write one value. A spec with a reduction `weight` (cross_entropy,
//   nll_loss: w[t], 0 for ignored rows; kl_divergence with elementwise_mean: C) divides the
//   mean by the sum of those weights, as PyTorch does; `sum` is the plain sum. Otherwise the
//   mean divides by the number of elements or rows. A spec without `none` (log_loss) or without
//   `mean` (sse) rejects it.
// * Working precision: binary64 kernels evaluate in double-double (src/dw_math.hpp: about 106
//   bits; exp to 2^-103, log, log1p and expm1 to 2^-92 relative at worst) and round once;
//   binary32 kernels evaluate in binary64 (inputs exact, libm's error ~2^-52 relative, i.e.
//   ~2^-28 ulp of a float), or in double-double where binary64 would cancel (stated per
//   function). Reductions accumulate in double-double with a binary exponent apart, and terms
//   that may leave the double range are carried scaled (m·2^k): a term beyond DBL_MAX (the
//   square of 2e154, a weight of 1e307 times a log, logits 2e308 apart) or a sum of finite
//   terms beyond it still gives a finite mean where the exact mean is finite; +inf is returned
//   only where the exact result overflows. The mean's division is in double-double too.
//   Subnormal results are rounded once from the full value (never flushed: exp, softplus and
//   sigmoid tails are kept scaled down to e^-2048). Remaining exceptions: a sum of many terms
//   that are each subnormal-sized in a loss that does not scale them (entropies, BCE with
//   probabilities) may err by up to n/2 ulp of the subnormal grid.
// * Error (ulp of the exact result): "bound" is the final rounding (0.5 ulp) plus a
//   first-order analysis of the double-double (or, for float, binary64) evaluation, in
//   relative terms: 2^-88 relative is < 2^-35 ulp of a double. "Measured" is the largest error
//   seen against the correctly rounded reference (`nnconform eval`, MPFR, corrected by its
//   reported offset of the exact value) on the samples described at the end of this header:
//   at most 0.500 ulp for every function, format and reduction in the final run (154
//   configurations; one earlier run saw 0.571 for kl_divergence in float), against the specs'
//   strict tolerances of 1 to 4 ulp.
//   Where the mathematics itself is ill-conditioned, the bound is relative to that condition
//   and stated per function (quadratic_cost with y within 2^-47 of sigmoid(s), a cosine of
//   nearly orthogonal vectors, kl_divergence of nearly equal distributions given as a mix of
//   log and plain probabilities).
// * Special values: NaN in gives NaN out; infinities as the spec's formula gives them in IEEE
//   arithmetic (inf·0 = NaN, so a zero weight times an infinite term is NaN, as the reference
//   evaluates it); where(cond, a, b) of a spec selects without evaluating the other branch
//   (y = 0 masks log p at p = 0).
//
// ---------------------------------------------------------------------------------------------
// Bad input: std::invalid_argument, what() = "nnconform::impl::<function>: <problem>"
// ---------------------------------------------------------------------------------------------
// Checked before anything is written, in addition to nn.hpp's list (lengths, shapes, the output
// length of the reduction, mean over an empty batch):
//   * an input outside its spec domain: a probability or label outside [0, 1] (y, p, q where
//     the spec gives the domain or `requires` it: binary and categorical cross-entropies,
//     focal and balanced losses, quadratic_cost's y, entropy and cross_entropy_dist, log_loss,
//     kl_divergence unless p_is_log / q_is_log, the probabilities of the categorical losses
//     unless from_logits), msle's y or yhat not in (-1, inf), a weight not in [0, inf);
//     the message names the operand, the index and the value. NaN passes (it gives NaN);
//   * labels not -1 or +1 (logistic_loss, exponential_loss, hinge and squared_hinge with pm1),
//     or not 0 or 1 (hinge and squared_hinge with zero_one);
//   * a class index out of [0, C) that is not ignore_index (cross_entropy, nll_loss), or out of
//     [0, C) (sparse_categorical_cross_entropy);
//   * a parameter outside its spec range or NaN (huber delta in (0, inf), smooth_l1 beta in
//     [0, inf), alpha in [0, 1], gamma in [0, inf), epsilons, label_smoothing in [0, 1], ddof
//     0 or 1, pos_weight in [0, inf), mape scale in (0, inf));
//   * a reduction the spec does not offer (sse: mean; log_loss: none); an unknown enum value;
//   * a weight operand w of the wrong length (C for per-class weights, the element count for
//     per-element weights; empty means "no weights").
// An empty batch is bad input for a mean (nothing to average); a sum over it is 0 and none
// writes nothing.
#pragma once

#include <cstdint>
#include <span>

#include "nnconform/impl/nn.hpp"

namespace nnconform::impl {

// Logarithm base of the entropies and divergences: nats (e) or bits (two).
enum class LogBase { e, two };
// binary_cross_entropy's clamp: none, PyTorch's (each log term >= -100), Keras's (p clipped to
// [epsilon, 1 - epsilon]).
enum class BceClamp { none, pytorch, keras };
// hinge's labels: -1/+1, or 0/1 mapped to -1/+1 by 2y - 1.
enum class LabelEncoding { pm1, zero_one };
// categorical_cross_entropy's clip: none, or Keras's (q / sum(q), then clip to
// [epsilon, 1 - epsilon]).
enum class ProbabilityClip { none, keras };

// =============================================================================================
// Regression losses (elementwise: y and yhat of one length; mean over all elements)
// =============================================================================================

// sse: Σ (y - yhat)², the seed's "L2 loss"; reduction none or sum (default sum); mean throws.
// Method: as mse (nn.hpp, same kernel): y - yhat = d·2^-k exactly (two_sum; d scaled into
//   [1, 2) when |y - yhat| is beyond 2^±500 or overflows binary64), d² in DD, summed in DD:
//   no intermediate overflows or underflows; +inf only where the exact sum overflows.
// Error: bound 0.5 ulp + 2^-100 relative (every operation is exact or DD); measured 0.500 ulp.
void sse(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
         Reduction reduction = Reduction::sum);
void sse(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
         Reduction reduction = Reduction::sum);

// msle: (log(1 + y) - log(1 + yhat))², y and yhat in (-1, inf) (else invalid_argument).
// Method: r = (y - yhat)/(1 + yhat) (both differences exact in DD); |r| <= 1/2: log1p(r)
//   (no cancellation when y ≈ yhat; msle(y, y) = 0 exactly); otherwise log(1 + y) -
//   log(1 + yhat), which then differ by at least log(3/2) (no overflow of r when yhat is near
//   -1 or y is huge). Squared in the working precision.
// Error: double bound 0.5 ulp + 2^-80 relative (the logs' 2^-92, amplified <= 2^11 by the
//   subtraction of logs up to 745 in size differing by >= 0.4, then squared); float: binary64
//   evaluation, 0.5 ulp + 2^-13 ulp (the same amplification of binary64's 2^-52).
//   Measured 0.500 ulp (double and float).
void msle(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
          Reduction reduction = Reduction::mean);
void msle(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
          Reduction reduction = Reduction::mean);

// mae (l1_loss): |y - yhat|. Method: the exact difference (DD), scaled when it overflows;
// rounded once. Error: 0.5 ulp (none), 0.5 ulp + 2^-104 relative (sum, mean); measured 0.500.
void mae(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
         Reduction reduction = Reduction::mean);
void mae(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
         Reduction reduction = Reduction::mean);

// mape: scale·|y - yhat| / max(|y|, epsilon). The plain mathematics is epsilon 0, scale 100;
// Keras: {.epsilon = 1e-7, .scale = 100}; scikit-learn: {.epsilon = 2.220446049250313e-16,
// .scale = 1}. y = 0 with epsilon 0 gives +inf (or NaN when yhat = 0 too), as IEEE division.
// epsilon is rounded to the input type; scale is used as the double given (a scale that is not
// a double, e.g. 0.1, adds its own rounding, <= 0.5 ulp).
// Method: the exact difference, |y| (or epsilon) and scale each normalized to [1, 2) by a power
//   of two (a single term may exceed DBL_MAX, |y| tiny, while the mean does not), DD quotient
//   and product, rounded once. Error: bound 0.5 ulp + 2^-102 relative; measured 0.500 ulp.
struct MapeOptions {
  double epsilon = 0.0;  // range [0, inf)
  double scale = 100.0;  // range (0, inf), exact
};
void mape(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
          Reduction reduction = Reduction::mean, const MapeOptions& options = {});
void mape(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
          Reduction reduction = Reduction::mean, const MapeOptions& options = {});

// smooth_l1 (PyTorch SmoothL1Loss): d = |y - yhat|; 0.5 d²/beta if d < beta, else d - 0.5 beta.
// beta in [0, inf); beta = 0 is mae exactly.
// Method: d exact (DD), normalized to dn·2^e with dn in [1, 2); 0.5·dn²/beta_n·2^(2e - e_beta)
//   (no overflow of d² when beta is large, no double rounding into the subnormals);
//   d - beta/2 has no cancellation (d >= beta). Error: bound 0.5 ulp + 2^-102 relative;
//   measured 0.500 ulp.
void smooth_l1(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
               Reduction reduction = Reduction::mean, float beta = 1.0f);
void smooth_l1(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
               Reduction reduction = Reduction::mean, double beta = 1.0);

// huber: d = |y - yhat|; 0.5 d² if d <= delta, else delta·(d - 0.5 delta). delta in (0, inf).
// huber(delta) = delta·smooth_l1(beta = delta) mathematically (each is rounded once here).
// Method and error: as smooth_l1.
void huber(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
           Reduction reduction = Reduction::mean, float delta = 1.0f);
void huber(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
           Reduction reduction = Reduction::mean, double delta = 1.0);

// variance: per row of x (shape.n rows of shape.c), Σ_j (x_j - mean(x))² / (c - ddof); ddof 0
// (population) or 1 (sample). No reduction: out has shape.n values. A row of one value with
// ddof 1 is 0/0 = NaN (numpy's nan); a row with inf or NaN gives NaN.
// Method: scale the row by a power of two into [1, 2) (no overflow or underflow of squares),
//   shift by its first element (exact), mean and deviations in DD (the deviations' error only
//   enters the sum of squares at second order), sum of squares in DD. A constant row gives
//   exactly 0. Error: bound 0.5 ulp + 2^-100 relative whatever the condition of the data;
//   measured 0.500 ulp (rows from 1e-290 to 1e290 in scale, offsets up to 10^3 times the
//   spread).
void variance(std::span<const float> x, Shape shape, std::span<float> out, int ddof = 0);
void variance(std::span<const double> x, Shape shape, std::span<double> out, int ddof = 0);

// quadratic_cost: (sigmoid(s) - y)² / 2, y in [0, 1]. Inputs in the spec's order (s, y).
// Method (DD in both formats): sigmoid(s) - y without the structural cancellations:
//   |s| < 1: tanh(s/2)/2 + (1/2 - y), tanh(s/2)/2 = expm1(s)/(2(expm1(s) + 2));
//   s >= 1: (1 - y) - sigmoid(-s);  s <= -1: sigmoid(s) - y
//   (1/2 - y, 1 - y exact), then squared and halved. What remains is the function's own
//   condition where y ≈ sigmoid(s): relative error ~2^-100·sigmoid(s)/|sigmoid(s) - y|.
// Error: bound 0.5 ulp + 2^-99·sigmoid(s)/|sigmoid(s) - y| relative: within 1 ulp unless y is
//   within 2^-47 (relative) of sigmoid(s); float: within 1 ulp unless within 2^-74.
//   Measured 0.500 ulp on random (s, y); with y = sigmoid(s) rounded to the format (the worst
//   case for the condition), 0.500 ulp for float but up to ~3000 ulp for double (losses
//   ~1e-52, where |sigmoid(s) - y| ~ 2^-54·sigmoid(s): beyond double-double, as stated).
void quadratic_cost(std::span<const float> s, std::span<const float> y, std::span<float> out,
                    Reduction reduction = Reduction::mean);
void quadratic_cost(std::span<const double> s, std::span<const double> y, std::span<double> out,
                    Reduction reduction = Reduction::mean);

// cosine_proximity: per row, -(Σ y·yhat) / (sqrt(max(Σ y², epsilon))·sqrt(max(Σ yhat², epsilon))),
// epsilon in [0, inf) (Keras: 1e-12). A zero row with epsilon 0 gives NaN (0/0); inf -> NaN.
// Method (DD in both formats): each row scaled by a power of two into [1, 2) (no overflow or
//   underflow of squares), exact products (FMA), DD sums, DD square roots and quotient.
// Error: bound 0.5 ulp + 2^-100·(Σ|y·yhat|)/|Σ y·yhat| relative (the dot product's condition:
//   within 1 ulp unless the vectors are orthogonal to ~2^-47); measured 0.500 ulp on random
//   rows scaled from 2^-1000 to 2^1000.
void cosine_proximity(std::span<const float> y, std::span<const float> yhat, Shape shape,
                      std::span<float> out, Reduction reduction = Reduction::mean,
                      float epsilon = 0.0f);
void cosine_proximity(std::span<const double> y, std::span<const double> yhat, Shape shape,
                      std::span<double> out, Reduction reduction = Reduction::mean,
                      double epsilon = 0.0);

// =============================================================================================
// Binary classification losses (elementwise; mean over all elements)
// =============================================================================================

// binary_cross_entropy with every convention of the spec:
//   -w·[where(y = 0, 0, y·lp) + where(y = 1, 0, (1 - y)·lq)],
//   lp = log(pc), lq = log1p(-pc), pc = p (clamp none, pytorch) or min(max(p, eps), 1 - eps)
//   (keras, 1 - eps exact); clamp pytorch: lp = max(lp, -100), lq = max(lq, -100).
// y, p in [0, 1]; w (optional, per element) in [0, inf). epsilon in [0, 0.5), rounded to the
// input type. nn.hpp's overload is this with no weights and clamp none.
// Method: logs in the working precision, 1 - p exact (DD) or by log1p(-p) (binary64 for
//   float); terms of one sign; the weight applied to a scaled term; y = 1, p = 0 is +inf
//   (clamp none) or 100 (pytorch); keras: p < eps or 1 - p < eps (exact) select log(eps) and
//   log1p(-eps).
// Error: bound 0.5 ulp + 2^-90 relative; float 0.5 ulp + 2^-26 ulp; measured 0.500 ulp (also
//   with p and y next to 0 and 1).
struct BinaryCrossEntropyOptions {
  BceClamp clamp = BceClamp::none;
  double epsilon = 1e-7;  // Keras's clip (clamp = keras); range [0, 0.5)
};
void binary_cross_entropy(std::span<const float> y, std::span<const float> p,
                          std::span<const float> w, std::span<float> out,
                          Reduction reduction = Reduction::mean,
                          const BinaryCrossEntropyOptions& options = {});
void binary_cross_entropy(std::span<const double> y, std::span<const double> p,
                          std::span<const double> w, std::span<double> out,
                          Reduction reduction = Reduction::mean,
                          const BinaryCrossEntropyOptions& options = {});

// binary_cross_entropy_with_logits: w·[pos_weight·where(y = 0, 0, y·softplus(-s))
//   + where(y = 1, 0, (1 - y)·softplus(s))], y in [0, 1], s any, w in [0, inf) (optional),
//   pos_weight in [0, inf).
// Method: softplus(x) = max(x, 0) + log1p(e^-|x|) (never overflows; the e^x tail is kept to the
//   subnormals), terms of one sign. Exactly: s = +inf gives 0 for y = 1 and +inf for y < 1;
//   s = -inf gives 0 for y = 0 and +inf for y > 0 (the spec's where(); a zero weight times an
//   infinite term is NaN, as inf·0 in the spec's formula). Both softplus values share one
//   L = log1p(e^-|s|) (softplus(±s) = max(±s, 0) + L), kept scaled below e^-700 so that a
//   subnormal loss (y = 1, s = 740) is rounded once.
// Error: bound 0.5 ulp + 2^-90 relative; float 0.5 ulp + 2^-26 ulp; measured 0.500 ulp (also
//   for |s| in [700, 750], the subnormal tail).
void binary_cross_entropy_with_logits(std::span<const float> y, std::span<const float> s,
                                      std::span<const float> w, std::span<float> out,
                                      Reduction reduction = Reduction::mean,
                                      float pos_weight = 1.0f);
void binary_cross_entropy_with_logits(std::span<const double> y, std::span<const double> s,
                                      std::span<const double> w, std::span<double> out,
                                      Reduction reduction = Reduction::mean,
                                      double pos_weight = 1.0);
// Without per-element weights.
void binary_cross_entropy_with_logits(std::span<const float> y, std::span<const float> s,
                                      std::span<float> out,
                                      Reduction reduction = Reduction::mean,
                                      float pos_weight = 1.0f);
void binary_cross_entropy_with_logits(std::span<const double> y, std::span<const double> s,
                                      std::span<double> out,
                                      Reduction reduction = Reduction::mean,
                                      double pos_weight = 1.0);

// logistic_loss: softplus(-(y·s)), y in {-1, +1}. Equals binary_cross_entropy_with_logits with
// y' = (y + 1)/2 (here both are rounded once from the same exact value: they are equal).
// Method and error: as binary_cross_entropy_with_logits; measured 0.500 ulp.
void logistic_loss(std::span<const float> y, std::span<const float> s, std::span<float> out,
                   Reduction reduction = Reduction::mean);
void logistic_loss(std::span<const double> y, std::span<const double> s, std::span<double> out,
                   Reduction reduction = Reduction::mean);

// exponential_loss: e^(-(y·s)), y in {-1, +1} (AdaBoost). Overflows to +inf only where the
// exact value does (y·s < -709.78); subnormal results rounded once.
// Method: -(y·s) is exact; exp in the working precision, scaled (e^800 still enters a mean).
// Error: bound 0.5 ulp + 2^-102 relative; measured 0.500 ulp (also e^-745..e^-700).
void exponential_loss(std::span<const float> y, std::span<const float> s, std::span<float> out,
                      Reduction reduction = Reduction::mean);
void exponential_loss(std::span<const double> y, std::span<const double> s,
                      std::span<double> out, Reduction reduction = Reduction::mean);

// hinge: max(1 - label·s, 0), label = y (pm1: y in {-1, +1}) or 2y - 1 (zero_one: y in {0, 1}).
// Method: 1 ∓ s exact in DD, rounded once: correctly rounded (none); measured 0.500 ulp.
void hinge(std::span<const float> y, std::span<const float> s, std::span<float> out,
           Reduction reduction = Reduction::mean,
           LabelEncoding label_encoding = LabelEncoding::pm1);
void hinge(std::span<const double> y, std::span<const double> s, std::span<double> out,
           Reduction reduction = Reduction::mean,
           LabelEncoding label_encoding = LabelEncoding::pm1);

// squared_hinge: hinge². Method: the exact hinge, normalized, squared in DD, rounded once
// (none: 0.5 ulp + 2^-104 relative; measured 0.500). A square beyond DBL_MAX is +inf alone and
// stays finite in a mean where the mean is.
void squared_hinge(std::span<const float> y, std::span<const float> s, std::span<float> out,
                   Reduction reduction = Reduction::mean,
                   LabelEncoding label_encoding = LabelEncoding::pm1);
void squared_hinge(std::span<const double> y, std::span<const double> s, std::span<double> out,
                   Reduction reduction = Reduction::mean,
                   LabelEncoding label_encoding = LabelEncoding::pm1);

// balanced_cross_entropy: -(alpha·xlogy(y, p) + (1 - alpha)·xlog1py(1 - y, -p)), y, p in
// [0, 1], alpha in [0, 1] (0.5 gives binary_cross_entropy / 2). xlogy(0, q) = 0 unless q is NaN.
// Method and error: as binary_cross_entropy (1 - alpha, 1 - y exact); measured 0.500 ulp.
void balanced_cross_entropy(std::span<const float> y, std::span<const float> p,
                            std::span<float> out, Reduction reduction = Reduction::mean,
                            float alpha = 0.5f);
void balanced_cross_entropy(std::span<const double> y, std::span<const double> p,
                            std::span<double> out, Reduction reduction = Reduction::mean,
                            double alpha = 0.5);

// focal_loss (torchvision's form, soft labels interpolate):
//   (alpha·y + (1 - alpha)(1 - y))·(1 - p_t)^gamma·ce,
//   1 - p_t = y·(1 - prob) + (1 - y)·prob, ce = -(where(y = 0, 0, y·log prob) +
//   where(y = 1, 0, (1 - y)·log(1 - prob))), prob = p, or sigmoid(p) with from_logits (then
//   log prob = -softplus(-p), log(1 - prob) = -softplus(p), 1 - prob = sigmoid(-p)).
// y in [0, 1]; p in [0, 1] unless from_logits; alpha in [0, 1]; gamma in [0, inf).
// gamma = 0, alpha = 1/2 gives binary_cross_entropy / 2.
// Method (DD; binary64 for float when gamma <= 2^16): 1 - p_t as a sum of non-negative
//   products (no cancellation: 1 - p exact, or sigmoid(-s)); (1 - p_t)^gamma =
//   exp(gamma·log(1 - p_t)) kept as m·2^k (no underflow before the product with ce, and a
//   tiny power times an infinite ce is +inf, not NaN); one rounding at the end.
// Error: bound 0.5 ulp + 2^-90·(1 + gamma·|log(1 - p_t)|) relative; float 0.5 ulp + 2^-26 ulp
//   for gamma <= 2^16 (the binary64 power errs by gamma·2^-52 relative at most). Measured
//   0.500 ulp (also p within 2^-40 of 1, gamma up to 64).
struct FocalLossOptions {
  double alpha = 0.25;  // range [0, 1]
  double gamma = 2.0;   // range [0, inf)
  bool from_logits = false;
};
void focal_loss(std::span<const float> y, std::span<const float> p, std::span<float> out,
                Reduction reduction = Reduction::mean, const FocalLossOptions& options = {});
void focal_loss(std::span<const double> y, std::span<const double> p, std::span<double> out,
                Reduction reduction = Reduction::mean, const FocalLossOptions& options = {});

// multilabel_bce: per row (shape.n rows of shape.c labels), the mean over its labels of
// binary_cross_entropy_with_logits(y, s) (no weights, pos_weight 1); reduction over rows.
// Method and error: as binary_cross_entropy_with_logits, the row mean in DD; measured 0.500.
void multilabel_bce(std::span<const float> y, std::span<const float> s, Shape shape,
                    std::span<float> out, Reduction reduction = Reduction::mean);
void multilabel_bce(std::span<const double> y, std::span<const double> s, Shape shape,
                    std::span<double> out, Reduction reduction = Reduction::mean);

// =============================================================================================
// Categorical losses (rows of shape.c classes; reduction over rows)
// =============================================================================================

// cross_entropy with PyTorch's class weights, ignore_index and label smoothing: per row
//   0 if t = ignore_index, else w[t]·nll (label_smoothing = 0), else
//   (1 - eps)·w[t]·nll + eps/C·Σ_c w_c·(-log_softmax(z)_c),  nll = -log_softmax(z)_t.
// mean divides by Σ w[t_i] over the rows not ignored (all rows ignored: 0/0 = NaN);
// w (optional, per class, length C) in [0, inf); ignore_index any integer (default -100);
// label_smoothing in [0, 1] (rounded to the input type). nn.hpp's overload is this with no
// weights and the defaults.
// Method: -log_softmax(z)_c = (m - z_c) + L, m = max z, L = log(k + s) (k the number of maxima,
//   s = Σ_{z_j < m} e^(z_j - m)); m - z_c exact (DD; scaled if it overflows) or compensated
//   (float); L = log(k) + log1p(s/k), log1p of the DD s (a DD 1 + s would keep only 53 bits
//   of a tiny s). Terms of one sign: no cancellation, and a confident correct prediction
//   keeps its relative accuracy (cross_entropy([0, -40], 0) = 4.248e-18). z_t = -inf gives
//   +inf; a row with +inf gives +inf, or NaN where z_c = +inf enters; a row all -inf is NaN.
// Error: bound 0.5 ulp + 2^-90 relative; float 0.5 ulp + 2^-26 ulp; measured 0.500 ulp
//   (weights, ignored rows, label smoothing, logits up to ±2^12 with -inf masks).
struct CrossEntropyOptions {
  std::int64_t ignore_index = -100;
  double label_smoothing = 0.0;  // range [0, 1]
};
void cross_entropy(std::span<const float> z, std::span<const std::int64_t> t,
                   std::span<const float> w, Shape shape, std::span<float> out,
                   Reduction reduction = Reduction::mean, const CrossEntropyOptions& options = {});
void cross_entropy(std::span<const double> z, std::span<const std::int64_t> t,
                   std::span<const double> w, Shape shape, std::span<double> out,
                   Reduction reduction = Reduction::mean, const CrossEntropyOptions& options = {});

// nll_loss: per row 0 if t = ignore_index, else -(w[t]·z[t]) (z holds log-probabilities);
// mean divides by Σ w[t_i] over the rows not ignored. w optional (per class) in [0, inf).
// Method: exact products (w·z beyond DBL_MAX kept scaled: the weighted mean divides it by
// Σ w[t] again), DD sums and quotient. Error: 0.5 ulp (none), 0.5 ulp + 2^-100 relative
// (sum, mean): within the spec's 1 ulp; measured 0.500 ulp.
void nll_loss(std::span<const float> z, std::span<const std::int64_t> t, Shape shape,
              std::span<float> out, Reduction reduction = Reduction::mean,
              std::int64_t ignore_index = -100);
void nll_loss(std::span<const double> z, std::span<const std::int64_t> t, Shape shape,
              std::span<double> out, Reduction reduction = Reduction::mean,
              std::int64_t ignore_index = -100);
void nll_loss(std::span<const float> z, std::span<const std::int64_t> t, std::span<const float> w,
              Shape shape, std::span<float> out, Reduction reduction = Reduction::mean,
              std::int64_t ignore_index = -100);
void nll_loss(std::span<const double> z, std::span<const std::int64_t> t,
              std::span<const double> w, Shape shape, std::span<double> out,
              Reduction reduction = Reduction::mean, std::int64_t ignore_index = -100);

// categorical_cross_entropy (Keras): per row -Σ_c y_c log q_c, y a target distribution (one-hot
// or soft, y in [0, 1]); from_logits: -Σ_c where(y_c = 0, 0, y_c·log_softmax(q)_c); otherwise q
// in [0, 1] and -Σ xlogy(y, qk), qk = q (clip none) or min(max(q/Σq, eps), 1 - eps) (keras).
// Method: from logits as cross_entropy; keras: log(q_c/S) in the working precision, where for
//   the one entry that can exceed S/2 it is -log1p(O/q_c), O = Σ of the others (no
//   cancellation near 1: q = [1, 1e-30] gives 1e-30, not 0). A row of zeros with clip keras is
//   0/0 = NaN.
// Error: bound 0.5 ulp + 2^-90 relative; float 0.5 ulp + 2^-26 ulp; measured 0.500 ulp.
struct CategoricalCrossEntropyOptions {
  bool from_logits = false;
  ProbabilityClip clip = ProbabilityClip::none;
  double epsilon = 1e-7;  // range [0, 0.5), rounded to the input type
};
void categorical_cross_entropy(std::span<const float> y, std::span<const float> q, Shape shape,
                               std::span<float> out, Reduction reduction = Reduction::mean,
                               const CategoricalCrossEntropyOptions& options = {});
void categorical_cross_entropy(std::span<const double> y, std::span<const double> q, Shape shape,
                               std::span<double> out, Reduction reduction = Reduction::mean,
                               const CategoricalCrossEntropyOptions& options = {});

// sparse_categorical_cross_entropy: per row -log q[t] (q in [0, 1]), or with from_logits
// cross_entropy(q, t) (no weights, nothing ignored). t in [0, C).
// Error: as cross_entropy; -log q[t]: 0.5 ulp + 2^-92 relative; measured 0.500 ulp.
void sparse_categorical_cross_entropy(std::span<const std::int64_t> t,
                                      std::span<const float> q, Shape shape,
                                      std::span<float> out,
                                      Reduction reduction = Reduction::mean,
                                      bool from_logits = false);
void sparse_categorical_cross_entropy(std::span<const std::int64_t> t,
                                      std::span<const double> q, Shape shape,
                                      std::span<double> out,
                                      Reduction reduction = Reduction::mean,
                                      bool from_logits = false);

// log_loss (scikit-learn): per row -Σ_c xlogy(y_c, qc_c/Σqc), qc = min(max(q, eps), 1 - eps)
// (1 - eps exact); mean (default) or sum over rows; none throws. y, q in [0, 1]. eps in
// [0, 0.5), exact (scikit-learn >= 1.2: numpy's float64 epsilon 2^-52 = 2.220446049250313e-16;
// before: 1e-15; the spec's default 0 does not clip).
// Method: as categorical_cross_entropy's keras clip (DD; -log1p(O/qc_c) for a dominant entry).
// Error: bound 0.5 ulp + 2^-90 relative; measured 0.500 ulp (scikit-learn's documented
//   examples give 1.378388852247452, the correctly rounded value, and 0.6391075640678003).
void log_loss(std::span<const float> y, std::span<const float> q, Shape shape,
              std::span<float> out, Reduction reduction = Reduction::mean, double eps = 0.0);
void log_loss(std::span<const double> y, std::span<const double> q, Shape shape,
              std::span<double> out, Reduction reduction = Reduction::mean, double eps = 0.0);

// =============================================================================================
// Divergences with every parameter of their specs (nn.hpp's overloads are base e, defaults)
// =============================================================================================

// entropy: per row -Σ xlogy(p, p) / (1 or ln 2); p in [0, 1].
// Method: terms of one sign in DD, divided by ln 2 in DD for bits. Error: bound 0.5 ulp +
// 2^-90 relative; float 0.5 ulp + 2^-26 ulp; measured 0.500 ulp.
void entropy(std::span<const float> p, Shape shape, std::span<float> out, Reduction reduction,
             LogBase base);
void entropy(std::span<const double> p, Shape shape, std::span<double> out, Reduction reduction,
             LogBase base);

// cross_entropy_dist: per row -Σ xlogy(p, q) / (1 or ln 2); p, q in [0, 1]; p > 0, q = 0 gives
// +inf. Method and error: as entropy.
void cross_entropy_dist(std::span<const float> p, std::span<const float> q, Shape shape,
                        std::span<float> out, Reduction reduction, LogBase base);
void cross_entropy_dist(std::span<const double> p, std::span<const double> q, Shape shape,
                        std::span<double> out, Reduction reduction, LogBase base);

// kl_divergence: per row Σ terms / (1 or ln 2), with PyTorch kl_div's input conventions:
//   p, q probabilities:      where(p = 0, 0, xlogy(p, p/q))      (p > 0, q = 0: +inf)
//   q_is_log (q holds log q): where(p = 0, 0, p·(log p - q))
//   p_is_log (p holds log p): e^p·(p - log q);   both: e^p·(p - q).
// p (resp. q) must lie in [0, 1] unless p_is_log (q_is_log). mean divides by n, or by n·C with
// elementwise_mean (PyTorch's reduction='mean'; its 'batchmean' is the plain mean).
// Method (probabilities): each term p·log(p/q) near p = q (|d| < 2^-10, d = (p - q)/q) as
//   (p - q) + q·φ(d), the exact difference plus a non-negative Bregman term, φ(d) =
//   (1 + d)·log1p(d) - d by its series; elsewhere p·log(p/q) (log p - log q where p/q leaves
//   the range). A row of nearly equal distributions keeps its relative accuracy (KL(p, p) = 0
//   exactly; p, q 2^-50 apart: 1.578e-30 to 0.5 ulp). The log forms evaluate e^p and log in DD
//   (e^p kept scaled, so e^-3000·(+inf) is +inf).
// Error (probabilities, both-log form): bound 0.5 ulp + 2^-88 relative, measured 0.500 ulp,
//   also with q within a few ulps of p; float (binary64 evaluation): 0.5 ulp +
//   2^-28·Σ_j|p_j·log(p_j/q_j)|/KL ulp, measured 0.571 ulp. The mixed forms (exactly one of
//   p_is_log, q_is_log)
//   compute log of the plain side, whose 2^-104 absolute error is amplified by the
//   cancellation between the terms: absolute error <= 2^-100·Σ_j e^(p_j)·|log q_j| (resp.
//   Σ_j p_j·|log p_j|); within 1 ulp unless KL < 2^-47·that sum. Measured with q within
//   3 ulps of p (KL ~1e-18, terms ~0.1): up to 158 ulp (q_is_log) and 17 ulp (p_is_log) in
//   double, 1.2 ulp in float; 0.500 ulp on random rows.
struct KlDivergenceOptions {
  LogBase base = LogBase::e;
  bool q_is_log = false;
  bool p_is_log = false;
  bool elementwise_mean = false;
};
void kl_divergence(std::span<const float> p, std::span<const float> q, Shape shape,
                   std::span<float> out, Reduction reduction, const KlDivergenceOptions& options);
void kl_divergence(std::span<const double> p, std::span<const double> q, Shape shape,
                   std::span<double> out, Reduction reduction, const KlDivergenceOptions& options);

// =============================================================================================
// How the figures were measured
// =============================================================================================
// During development, a throwaway harness (not in the repository) drew inputs per function and
// format, ran these kernels, and compared each result with `nnconform eval` (the MPFR
// reference, correctly rounded, with the exact value's offset), on the specs as committed:
// per function, format and reduction, 1000-1200 elements (none) or 60 batches of 1..8 elements
// (mean, sum) for elementwise losses; 30-40 batches of 1..30 rows of 1..12 entries for row
// losses. Inputs: log-uniform magnitudes over every binade (subnormals included) with random
// signs, uniform ranges, ±0, ±max, ±min, 1; probabilities log-uniform down to the smallest
// subnormal and 1 - k·ulp; logits up to ±800 and ±max, ±inf; distributions with zeros and
// entries down to 2^-60; random weights, ignored rows, label smoothing, every enum parameter.
// Targeted runs: exp/softplus tails (|s| in [700, 750] and [80, 110]), BCE and focal with p
// and y next to 0 and 1, KL of distributions a few ulps apart (each log convention),
// quadratic_cost with y = sigmoid(s) rounded. Worst errors are quoted per function above.
// Speed (x86-64, glibc 2.36, CPU time per element): float 15-50 ns; double 15-50 ns for the
// arithmetic losses (mse, mae, hinge, nll_loss...), 200-800 ns for those with exp/log (the
// double-double exp costs ~100 ns, log ~170 ns), ~110 ns per logit for cross_entropy.

}  // namespace nnconform::impl
