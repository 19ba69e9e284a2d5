// nnconform::impl — the backward pass (gradients) of every differentiable function of
// spec/**/*.yaml, in binary32 (float) and binary64 (double).
//
// Each function computes what its spec's `gradients:` formula states (the derivative for a
// scalar output, the vector-Jacobian product for a vector output; the subgradient conventions at
// kinks are the specs'), scaled by an upstream gradient and by the loss's reduction. The spec is
// the authority; the conformance suite scores these against the correctly rounded reference
// (Reference::evaluate_gradient, `nnconform eval --grad`) like any other implementation.
// Include this header for the types of nn.hpp and losses.hpp (Shape, Reduction, the options
// structs).
//
// ---------------------------------------------------------------------------------------------
// Conventions
// ---------------------------------------------------------------------------------------------
// * Upstream gradient g. Elementwise activations: dx[i] = g[i]·f'(x[i]); row functions (softmax,
//   log_softmax, crelu, maxout, hardmax): the vector-Jacobian product of each row with its row
//   of g (g has the output's shape: 2c per row for crelu, c/k for maxout, one per row for
//   logsumexp). Losses: reduction none takes one g per element (elementwise losses) or per row
//   (row losses); mean and sum take a single g (the gradient of the scalar loss). An empty g
//   means ones (the derivative itself, as the spec's gradient values are).
// * Reductions: mean divides each sample's gradient by the number of elements (elementwise
//   losses) or rows, or, for a spec with a reduction weight (cross_entropy and nll_loss: the sum
//   of w[t] over the rows not ignored; kl_divergence with elementwise_mean: n·C), by the total
//   weight, as PyTorch does. sum and none do not scale.
// * Outputs: one span per differentiable input (dy, dp, ds, dz, ...) of the input's length, and
//   for the parameters frameworks learn (prelu a, elu alpha, swish and softplus beta, leaky_relu
//   a, linear k, srelu's four) a per-element span (d out[i] / d param, times g[i]; a framework
//   sums it over the elements sharing the parameter). An empty output span is not computed.
//   Outputs must not overlap inputs.
// * Parameters are rounded to the input type as the forward functions do (nn.hpp, losses.hpp);
//   the same range checks apply.
// * Bad input: std::invalid_argument "nnconform::impl::<function>_backward: <problem>", before
//   anything is written: operands of different lengths, shapes, a g or output of the wrong
//   length, class indices out of range, parameters outside their spec range, values outside a
//   spec domain (as the forward functions).
// * Special values: NaN in gives NaN out; at +-inf the specs' limits (sigmoid'(+-inf) = 0,
//   silu'(+inf) = 1, ...); a gradient that is infinite where the loss is (d/dp of
//   binary_cross_entropy at p = 0, y > 0) is +-inf. A -0 probability (p, q of the losses and
//   divergences) is the number 0: the gradient there is the limit from inside [0, 1] (-inf for
//   d/dp of binary_cross_entropy at p = -0, y > 0, not the +inf of a signed 1/-0).
//
// ---------------------------------------------------------------------------------------------
// Method and error (both formats)
// ---------------------------------------------------------------------------------------------
// Every kernel evaluates the spec's gradient formula, in the same cancellation-free form (the
// specs' comments say which), in double-double arithmetic (dw_math.hpp: about 106 bits;
// exp/log/log1p/expm1 to 2^-92 relative or better), multiplies by g and the reduction's scale in
// double-double, and rounds once to the output type. So the error is
//     0.5 ulp (the final rounding) + 2^-88 relative, times the formula's own condition,
// (bound: a first-order count of at most ~16 double-double operations of <= 15u² each and two
// elementary functions of <= 2^-92 each, u = 2^-53), i.e. correctly rounded except within
// ~2^-35 ulp of a rounding boundary, wherever the gradient is well conditioned: within every
// spec's strict tolerance (0.5 to 4 ulp). The condition exceeds 1 only where the gradient
// itself is a difference that vanishes (a loss's gradient at its minimum: soft labels with
// softmax(z) ≈ y, BCE with p ≈ y, huber/mse with y ≈ yhat are exact; focal_loss with soft
// labels near its optimum), where the relative error is 2^-88 times that cancellation, still
// below the tolerance unless the gradient is below 2^-80 of its terms. Results in the subnormal
// range (double) are rounded once from the double-double value (dw::ldexp), within 1 ulp of the
// subnormal grid. erfc (gelu) comes from dd.hpp (2^-65 relative); tanh from expm1.
// Measured against the correctly rounded reference (Reference::evaluate_gradient, exact value
// from its enclosure), every function and gradient above, float and double, reduction none:
//   * 400 random inputs each (moderate values, some log-uniform over 2^±60; rows of 1 to 6):
//     max 0.500 ulp everywhere, i.e. correctly rounded on every sample;
//   * 300 inputs each drawn mostly from hard values (+-0, subnormals, +-1e-300, +-20, +-40,
//     +-100, +-745, +-1e5, +-1e30, +-1e300, +-DBL_MAX, +-inf, NaN; p near 0 and 1): max 0.5 ulp
//     except results in the double subnormal range (softmax 1.42 ulp, sparse/categorical
//     cross-entropy 0.91 ulp: an e^(z - m) rounded into the subnormals before its product) and
//     two known limits: cosine_proximity rows whose entries lie more than ~2^1000 apart lose
//     accuracy in subnormal results (the row is scaled as a whole; with epsilon > 0 too, since
//     the gradient-vectors suite), and focal_loss from logits at |p| near DBL_MAX overflows an
//     intermediate (inf where the gradient is ~1e308).
//   * the gradient golden vectors (conformance/tests/gradient_vectors_test.cpp): every function,
//     gradient and format within the spec's strict tolerance, except where the golden value
//     differs by convention (docs/gradient-ulp-table.md lists them).
// Bad-input, NaN, limit and convention checks: impl/tests/backward_properties_test.cpp;
// finite-difference agreement of every function: impl/tests/backward_fd_test.cpp.
//
// The "from_output" variants take the forward output as frameworks do (PyTorch's
// sigmoid_backward and tanh_backward): sigma (1 - sigma) and 1 - tanh^2 of the rounded output.
// They inherit the output's rounding: relative error ~u/(1 - y) for sigmoid near 1 (0 at
// y = 1, where the true derivative e^-x is not), and are provided for comparison and for
// callers that kept only the output; the input forms are the accurate ones.
#pragma once

#include <cstdint>
#include <limits>
#include <span>

#include "nnconform/impl/losses.hpp"
#include "nnconform/impl/nn.hpp"

namespace nnconform::impl {

#define NNCONFORM_BACKWARD_BOTH(DECL) DECL(float) DECL(double)

// =============================================================================================
// Elementwise activations: dx[i] = g[i]·f'(x[i]) (g empty: ones).
// =============================================================================================
#define NNCONFORM_DECL(T)                                                                        \
  void sigmoid_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx);            \
  void sigmoid_backward_from_output(std::span<const T> y, std::span<const T> g, std::span<T> dx); \
  void tanh_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx);               \
  void tanh_backward_from_output(std::span<const T> y, std::span<const T> g, std::span<T> dx);    \
  void relu_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx);               \
  void relu6_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx);              \
  void selu_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx);               \
  void silu_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx);               \
  void mish_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx);               \
  void gelu_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx);               \
  void gelu_tanh_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx);          \
  void logsigmoid_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx);         \
  void hardsigmoid_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx);        \
  void hardswish_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx);
NNCONFORM_BACKWARD_BOTH(NNCONFORM_DECL)
#undef NNCONFORM_DECL

// With parameters: d/dx and the per-element derivative with respect to the parameter.
#define NNCONFORM_DECL(T)                                                                          \
  void linear_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx,               \
                       std::span<T> dk, T k = T(1));                                               \
  void leaky_relu_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx,           \
                           std::span<T> da, T a = T(0.01));                                        \
  void prelu_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx,                \
                      std::span<T> da, T a = T(0.25));                                             \
  /* per-channel slopes a (one per entry of the last axis, shape.c of them) */                     \
  void prelu_backward(std::span<const T> x, Shape shape, std::span<const T> g, std::span<T> dx,   \
                      std::span<T> da, std::span<const T> a);                                      \
  void elu_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx,                  \
                    std::span<T> dalpha, T alpha = T(1));                                          \
  void swish_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx,                \
                      std::span<T> dbeta, T beta = T(1));                                          \
  void softplus_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx,             \
                         std::span<T> dbeta, T beta = T(1),                                        \
                         T threshold = std::numeric_limits<T>::infinity());                        \
  /* rrelu eval mode: slope (lower + upper)/2 */                                                   \
  void rrelu_backward(std::span<const T> x, std::span<const T> g, std::span<T> dx,                \
                      T lower = T(0.125), T upper = T(1.0 / 3.0));                                 \
  /* rrelu given mode: the sampled slopes a, one per element */                                    \
  void rrelu_backward(std::span<const T> x, std::span<const T> a, std::span<const T> g,           \
                      std::span<T> dx);
NNCONFORM_BACKWARD_BOTH(NNCONFORM_DECL)
#undef NNCONFORM_DECL

// srelu: d/dx and the per-element derivatives with respect to its four learned parameters.
template <class T>
struct SreluGrads {
  std::span<T> dx, dt_l, da_l, dt_r, da_r;  // any may be empty
};
void srelu_backward(std::span<const float> x, std::span<const float> g, SreluGrads<float> out,
                    float t_l, float a_l, float t_r, float a_r);
void srelu_backward(std::span<const double> x, std::span<const double> g, SreluGrads<double> out,
                    double t_l, double a_l, double t_r, double a_r);

// =============================================================================================
// Row functions (shape.n rows of shape.c): vector-Jacobian products with g.
// =============================================================================================
#define NNCONFORM_DECL(T)                                                                           \
  /* dz = s (g - sum(g s)), s = softmax(z) recomputed from z */                                      \
  void softmax_backward(std::span<const T> z, Shape shape, std::span<const T> g, std::span<T> dz);  \
  /* the frameworks' form from the forward output s */                                               \
  void softmax_backward_from_output(std::span<const T> s, Shape shape, std::span<const T> g,        \
                                    std::span<T> dz);                                                \
  /* dz = g - softmax(z) sum(g) */                                                                   \
  void log_softmax_backward(std::span<const T> z, Shape shape, std::span<const T> g,                \
                            std::span<T> dz);                                                        \
  /* dz = g_row softmax(z); g has one value per row */                                               \
  void logsumexp_backward(std::span<const T> z, Shape shape, std::span<const T> g,                  \
                          std::span<T> dz);                                                          \
  /* g has 2c per row: dx = g[:c] (x > 0) - g[c:] (x < 0) */                                         \
  void crelu_backward(std::span<const T> x, Shape shape, std::span<const T> g, std::span<T> dx);    \
  /* g has c/k per row: each goes to the first maximum of its group */                               \
  void maxout_backward(std::span<const T> x, Shape shape, std::span<const T> g, std::span<T> dx,    \
                       std::int64_t k);                                                              \
  /* zero (hardmax is piecewise constant); NaN in z or g gives NaN */                                \
  void hardmax_backward(std::span<const T> z, Shape shape, std::span<const T> g, std::span<T> dz);
NNCONFORM_BACKWARD_BOTH(NNCONFORM_DECL)
#undef NNCONFORM_DECL

// =============================================================================================
// Regression losses (elementwise; g: n values for none, one for mean/sum, empty = ones).
// =============================================================================================
#define NNCONFORM_DECL(T)                                                                          \
  void mse_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g,          \
                    std::span<T> dy, std::span<T> dyhat, Reduction reduction = Reduction::mean);   \
  void sse_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g,          \
                    std::span<T> dy, std::span<T> dyhat, Reduction reduction = Reduction::sum);    \
  void msle_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g,         \
                     std::span<T> dy, std::span<T> dyhat, Reduction reduction = Reduction::mean);  \
  void mae_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g,          \
                    std::span<T> dy, std::span<T> dyhat, Reduction reduction = Reduction::mean);   \
  void mape_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g,         \
                     std::span<T> dy, std::span<T> dyhat, Reduction reduction = Reduction::mean,   \
                     const MapeOptions& options = {});                                             \
  void smooth_l1_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g,    \
                          std::span<T> dy, std::span<T> dyhat,                                     \
                          Reduction reduction = Reduction::mean, T beta = T(1));                   \
  void huber_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g,        \
                      std::span<T> dy, std::span<T> dyhat, Reduction reduction = Reduction::mean,  \
                      T delta = T(1));                                                             \
  /* inputs in the spec's order (s, y) */                                                          \
  void quadratic_cost_backward(std::span<const T> s, std::span<const T> y, std::span<const T> g,  \
                               std::span<T> ds, std::span<T> dy,                                   \
                               Reduction reduction = Reduction::mean);                             \
  /* per row; no reduction: g has one value per row */                                             \
  void variance_backward(std::span<const T> x, Shape shape, std::span<const T> g,                 \
                         std::span<T> dx, int ddof = 0);                                           \
  void cosine_proximity_backward(std::span<const T> y, std::span<const T> yhat, Shape shape,      \
                                 std::span<const T> g, std::span<T> dy, std::span<T> dyhat,        \
                                 Reduction reduction = Reduction::mean, T epsilon = T(0));
NNCONFORM_BACKWARD_BOTH(NNCONFORM_DECL)
#undef NNCONFORM_DECL

// =============================================================================================
// Binary classification losses (elementwise).
// =============================================================================================
#define NNCONFORM_DECL(T)                                                                           \
  /* w: per-element weights (empty: ones) */                                                        \
  void binary_cross_entropy_backward(std::span<const T> y, std::span<const T> p,                   \
                                     std::span<const T> w, std::span<const T> g, std::span<T> dy,  \
                                     std::span<T> dp, Reduction reduction = Reduction::mean,        \
                                     BceClamp clamp = BceClamp::none, T epsilon = T(1e-7));         \
  /* d/ds = w ((1 - y) sigmoid(s) - pos_weight y sigmoid(-s)) */                                    \
  void binary_cross_entropy_with_logits_backward(std::span<const T> y, std::span<const T> s,       \
                                                 std::span<const T> w, std::span<const T> g,       \
                                                 std::span<T> dy, std::span<T> ds,                 \
                                                 Reduction reduction = Reduction::mean,             \
                                                 T pos_weight = T(1));                              \
  /* labels y in {-1, +1} (discrete: only d/ds) */                                                  \
  void logistic_loss_backward(std::span<const T> y, std::span<const T> s, std::span<const T> g,    \
                              std::span<T> ds, Reduction reduction = Reduction::mean);              \
  void exponential_loss_backward(std::span<const T> y, std::span<const T> s,                       \
                                 std::span<const T> g, std::span<T> ds,                            \
                                 Reduction reduction = Reduction::mean);                            \
  void hinge_backward(std::span<const T> y, std::span<const T> s, std::span<const T> g,            \
                      std::span<T> ds, Reduction reduction = Reduction::mean,                       \
                      LabelEncoding label_encoding = LabelEncoding::pm1);                           \
  void squared_hinge_backward(std::span<const T> y, std::span<const T> s, std::span<const T> g,    \
                              std::span<T> ds, Reduction reduction = Reduction::mean,               \
                              LabelEncoding label_encoding = LabelEncoding::pm1);                   \
  void balanced_cross_entropy_backward(std::span<const T> y, std::span<const T> p,                 \
                                       std::span<const T> g, std::span<T> dy, std::span<T> dp,     \
                                       Reduction reduction = Reduction::mean, T alpha = T(0.5));    \
  void focal_loss_backward(std::span<const T> y, std::span<const T> p, std::span<const T> g,       \
                           std::span<T> dy, std::span<T> dp, Reduction reduction = Reduction::mean, \
                           const FocalLossOptions& options = {});                                   \
  /* per row of c labels: the mean over the labels of BCE-with-logits */                           \
  void multilabel_bce_backward(std::span<const T> y, std::span<const T> s, Shape shape,            \
                               std::span<const T> g, std::span<T> dy, std::span<T> ds,             \
                               Reduction reduction = Reduction::mean);
NNCONFORM_BACKWARD_BOTH(NNCONFORM_DECL)
#undef NNCONFORM_DECL

// =============================================================================================
// Categorical losses and divergences (rows of shape.c; g: one per row for none).
// =============================================================================================
#define NNCONFORM_DECL(T)                                                                           \
  /* softmax(z) - onehot(t), with class weights w (empty: ones), ignore_index, label smoothing;   \
     mean divides by the sum of w[t] over the rows not ignored */                                   \
  void cross_entropy_backward(std::span<const T> z, std::span<const std::int64_t> t,               \
                              std::span<const T> w, Shape shape, std::span<const T> g,             \
                              std::span<T> dz, Reduction reduction = Reduction::mean,               \
                              const CrossEntropyOptions& options = {});                             \
  void nll_loss_backward(std::span<const T> z, std::span<const std::int64_t> t,                    \
                         std::span<const T> w, Shape shape, std::span<const T> g, std::span<T> dz, \
                         Reduction reduction = Reduction::mean, std::int64_t ignore_index = -100);  \
  /* from logits: softmax(q) sum(y) - y (softmax(q) - y for a target distribution) */              \
  void categorical_cross_entropy_backward(std::span<const T> y, std::span<const T> q, Shape shape, \
                                          std::span<const T> g, std::span<T> dy, std::span<T> dq,  \
                                          Reduction reduction = Reduction::mean,                    \
                                          const CategoricalCrossEntropyOptions& options = {});      \
  void sparse_categorical_cross_entropy_backward(std::span<const std::int64_t> t,                  \
                                                 std::span<const T> q, Shape shape,                \
                                                 std::span<const T> g, std::span<T> dq,            \
                                                 Reduction reduction = Reduction::mean,             \
                                                 bool from_logits = false);                         \
  void log_loss_backward(std::span<const T> y, std::span<const T> q, Shape shape,                  \
                         std::span<const T> g, std::span<T> dy, std::span<T> dq,                   \
                         Reduction reduction = Reduction::mean, double eps = 0.0);                  \
  void entropy_backward(std::span<const T> p, Shape shape, std::span<const T> g, std::span<T> dp,  \
                        Reduction reduction = Reduction::mean, LogBase base = LogBase::e);          \
  void cross_entropy_dist_backward(std::span<const T> p, std::span<const T> q, Shape shape,        \
                                   std::span<const T> g, std::span<T> dp, std::span<T> dq,         \
                                   Reduction reduction = Reduction::mean,                           \
                                   LogBase base = LogBase::e);                                      \
  void kl_divergence_backward(std::span<const T> p, std::span<const T> q, Shape shape,             \
                              std::span<const T> g, std::span<T> dp, std::span<T> dq,              \
                              Reduction reduction = Reduction::mean,                                \
                              const KlDivergenceOptions& options = {});
NNCONFORM_BACKWARD_BOTH(NNCONFORM_DECL)
#undef NNCONFORM_DECL

#undef NNCONFORM_BACKWARD_BOTH

}  // namespace nnconform::impl
