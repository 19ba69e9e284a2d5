// nnconform::impl — the built-in optimized implementation of nnconform's activation and loss
// functions in binary32 (float) and binary64 (double).
//
// It is the first implementation under test, not a privileged one: the conformance suite
// scores it against the MPFR reference exactly as it scores any third-party library, and it
// shares no code with that reference (plain C++20 and the standard library; never MPFR, never
// anything from reference/). The mathematics of each function is in spec/<family>/<name>.yaml
// and /work/shared/FUNCTIONS.md; this header states what this implementation computes.
//
// ---------------------------------------------------------------------------------------------
// Conventions shared by every function
// ---------------------------------------------------------------------------------------------
// * Spans in, spans out. Every function has one overload for float and one for double; the
//   parameters are (inputs..., [shape], out, [parameters...]).
// * Elementwise functions take `in` and `out` of the same length. `out` may be the same span as
//   `in` (in place); any other overlap is undefined.
// * Row functions take a batch of `shape.n` rows of `shape.c` entries, contiguous and
//   row-major (entry (i, j) at index i·c + j). softmax and log_softmax may run in place
//   (out.data() == z.data()); for every other function the output must not overlap an input.
// * Losses take `Reduction reduction` (default mean, as FUNCTIONS.md):
//     none — `out` has one value per row (row losses) or per element (elementwise losses);
//     sum  — `out` has exactly one element, the sum;
//     mean — `out` has exactly one element, the sum divided by the number of rows (row losses)
//            or of elements (elementwise losses), as PyTorch does.
//   A function of distributions (entropy, cross_entropy_dist, kl_divergence) and
//   cross_entropy always sum over the class axis first; the reduction is over the batch.
// * Precision: every kernel evaluates in binary64 and rounds once to the output type. The
//   float overloads are therefore correctly rounded except within a few 2^-53 (relative) of a
//   rounding boundary: error <= 0.5 ulp + 2^-25 ulp (bound: the binary64 evaluation errs by at
//   most 9·2^-53 relative, by the binary64 bounds stated beside each function, and
//   9·2^-53 / 2^-24 < 2^-25; for logsumexp and kl_divergence read that bound in their absolute
//   form). Observed: 0.500 ulp for every float kernel on every sample below. The double
//   overloads carry the bounds stated per function. Reductions and row sums accumulate in
//   binary64 with Neumaier's compensated summation (see `Reduction`).
// * IEEE 754 special values: NaN in gives NaN out (never swallowed by a max or a comparison);
//   infinities follow the limits stated per function; subnormal results are produced, never
//   flushed (no -ffast-math, no FTZ/DAZ: the library refuses to compile under -ffast-math).
// * Error bounds (binary64, in ulp of the exact result): "bound" is a first-order error
//   analysis that assumes glibc's binary64 exp, log, log1p and expm1 err by <= 1 ulp (relative
//   error <= 2u, u = 2^-53) and counts each rounding as u; relative error k·u is <= k ulp.
//   It is not a machine-checked proof. "Observed" is the largest error seen while developing
//   (glibc 2.36, x86-64), on 10^6 log-uniform inputs per elementwise function, 60000 random
//   rows of 1..40 logits per softmax-family function and 200000 rows of 1..20 entries per
//   distribution loss, against the same formulas in x87 extended precision (64-bit
//   significand); for float additionally every 16th bit pattern of the four activations.
//   The authoritative figures are the conformance suite's (conformance/, against the correctly
//   rounded MPFR reference); where they disagree, the suite wins and this header is corrected.
//
// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------
// Every function validates its arguments before writing anything and throws
// std::invalid_argument whose what() begins with "nnconform::impl::<function>: " followed by
// the problem, for:
//   * operands of different lengths (elementwise in/out, y/p, y/yhat, out);
//   * shape.c == 0, or an operand whose length is not shape.n · shape.c (or overflows);
//   * a class index t[i] < 0 or >= shape.c, or t.size() != shape.n;
//   * an output of the wrong length for the reduction (n for none, 1 for mean and sum);
//   * reduction mean over an empty batch (nothing to average);
//   * softplus with beta not finite and > 0.
// Values are not validated otherwise: probabilities outside [0, 1] or rows that do not sum to 1
// are evaluated by the formula as given (often giving NaN), as the frameworks do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

namespace nnconform::impl {

// How a loss reduces over the batch. The sum (for mean, the sum then one division by the
// count, exact in binary64 below 2^53) is accumulated in binary64 with Neumaier's compensated
// summation: |computed - exact| <= u·|S| + γ²_{n-1}·Σ|x_i| (u = 2^-53, γ_k = k·u/(1 - k·u);
// Ogita, Rump & Oishi, SIAM J. Sci. Comput. 26(6), 2005, for the equivalent algorithm Sum2).
// Every loss here has terms of one sign, so the reduction adds about one rounding (<= 1 ulp of
// binary64, before the final rounding to float) to the per-term error, whatever n.
enum class Reduction { none, mean, sum };

// A batch of n rows of c entries (row-major). Write it {n, c}.
struct Shape {
  std::size_t n = 0;
  std::size_t c = 0;
};

// =============================================================================================
// Activations (elementwise: out[i] = f(in[i]))
// =============================================================================================

// sigmoid(x) = 1 / (1 + e^-x), aka logistic, expit.
// Method: e = exp(-|x|) (never overflows); x >= 0: 1/(1 + e); x < 0: e/(1 + e). The small
//   tail is e/(1 + e) directly, so it is not flushed early: sigmoid(-100.0f) is the float
//   subnormal 27·2^-149 ≈ 3.78e-44 (exact 3.7200759760208e-44), sigmoid(-745.0) the double
//   subnormal 2^-1074. The rounding of 1 + e is compensated (Fast2Sum: 1 + e = d + dl
//   exactly, then a/(d + dl) = q·(1 - dl/d), q = a/d), so it does not enter the error.
// Range: all x. sigmoid(+inf) = 1, sigmoid(-inf) = +0, NaN -> NaN.
// Error (double): bound 4 ulp (exp 2u with weight 1/(1 + e) <= 1, the division, the
//   correction); observed 1.69 ulp.
void sigmoid(std::span<const float> x, std::span<float> out);
void sigmoid(std::span<const double> x, std::span<double> out);

// tanh(x).
// Method: std::tanh in binary64.
// Range: all x. tanh(±inf) = ±1, tanh(±0) = ±0, NaN -> NaN.
// Error (double): that of glibc's tanh, which glibc states as 2 ulp; observed 2.11 ulp (at
//   x = -0x1.0505a288d3c08p-2, confirmed at 50 digits: glibc's own bound is exceeded).
void tanh(std::span<const float> x, std::span<float> out);
void tanh(std::span<const double> x, std::span<double> out);

// softplus(x) = (1/beta)·log(1 + e^(beta·x)); out = x where beta·x > threshold (PyTorch's
// linearization; the default threshold +inf never linearizes, i.e. the exact function).
// Method: with b = beta·x: b > 0: x + log1p(e^-b)/beta; otherwise log1p(e^b)/beta. No
//   intermediate overflows (softplus(1e300) = 1e300) and the left tail is e^x, not 0
//   (softplus(-100) ≈ 3.7e-44). beta == 1 skips the multiplication and division; otherwise
//   beta·x is carried exactly (Dekker's product) and its low part folded into the exponential,
//   so that its rounding is not amplified by the condition (~|b| in the left tail).
// Range: all x; beta finite and > 0 (else std::invalid_argument); a NaN threshold never
//   linearizes. softplus(-inf) = +0, softplus(+inf) = +inf, NaN -> NaN.
// Error (double): beta = 1: bound 5 ulp (exp 2u with weight <= 1 through log1p, log1p 2u,
//   and for x > 0 the addition); observed 1.44 ulp. beta != 1: one rounding more for the
//   correction and one for the division by beta, bound 7 ulp; observed 2.27 ulp (beta = 0.75).
void softplus(std::span<const float> x, std::span<float> out, float beta = 1.0f,
              float threshold = std::numeric_limits<float>::infinity());
void softplus(std::span<const double> x, std::span<double> out, double beta = 1.0,
              double threshold = std::numeric_limits<double>::infinity());

// relu(x) = max(0, x).
// Method: x > 0 ? x : +0, with NaN passed through (payload kept).
// Range: all x. relu(-0) = +0 (the convention FUNCTIONS.md records), NaN -> NaN. Exact.
void relu(std::span<const float> x, std::span<float> out);
void relu(std::span<const double> x, std::span<double> out);

// elu(x) = x if x > 0, else alpha·(e^x - 1).
// Method: x > 0 ? x : alpha·expm1(x) (expm1 keeps full relative accuracy near 0).
// Range: all x, any alpha. elu(-inf) = -alpha, elu(±0) = ±0·alpha (expm1(-0) = -0, so
//   elu(-0) = -0 for alpha > 0), NaN -> NaN.
// Error (double): exact for x > 0; for x <= 0 bound 2 ulp with alpha = 1 (expm1; the product
//   is exact), 3 ulp otherwise (one product more); observed 0.76 ulp (alpha = 1).
void elu(std::span<const float> x, std::span<float> out, float alpha = 1.0f);
void elu(std::span<const double> x, std::span<double> out, double alpha = 1.0);

// =============================================================================================
// Row functions over a batch (z: shape.n rows of shape.c logits)
// =============================================================================================
//
// Shared method: per row, m = max_j z_j at its first index k; e_j = exp(z_j - m) with the
// rounding of z_j - m compensated (TwoSum: the difference is carried exactly as hi + lo and
// exp(hi + lo) = exp(hi)·(1 + lo)); s = Σ_{j != k} e_j by compensated summation, so that the
// row sum is 1 + s and log Σ e_j = log1p(s) keeps its accuracy when one logit dominates.
// Non-finite rows: a NaN anywhere in a row makes the whole row's result NaN; a row all -inf
// and a row containing +inf are indeterminate (inf - inf in the shift) and give NaN for
// softmax and log_softmax, as the max-shifted formula does in PyTorch and NumPy.

// softmax: out_ij = e^(z_ij) / Σ_k e^(z_ik).
// Method: e_j / (1 + s), with 1 + s carried exactly (TwoSum) and its low part folded into the
//   quotient (q·(1 - lo/hi)). The double overload stores e_j in `out` and divides in place;
//   the float overload recomputes e_j in binary64 in the division pass rather than storing a
//   rounded one (one exp more per entry). Logits any distance apart are fine
//   ([1e4, 0, -1e4] -> [1, 0, 0]); a -inf entry gives exactly +0; an all-equal row gives
//   exactly 1/c (s = c - 1 exactly). In place allowed.
// Error (double): bound 9 ulp (e_j: exp 2u plus the rounding of the shift correction; s: the
//   same 3u, weighted, plus the summation's u; the division and its correction 2u); observed
//   2.73 ulp. The row sums to 1 within a few ulp.
void softmax(std::span<const float> z, Shape shape, std::span<float> out);
void softmax(std::span<const double> z, Shape shape, std::span<double> out);

// log_softmax: out_ij = z_ij - log Σ_k e^(z_ik).
// Method: (z_j - m) - log1p(s), the difference z_j - m carried exactly (hi + lo). Both terms
//   are <= 0, so the subtraction does not cancel. log_softmax([0, -1e4]) = [-0, -1e4] (no NaN
//   or inf); a -inf entry gives -inf. In place allowed.
// Error (double): bound 8 ulp (log1p(s): log1p 2u plus the 4u of s with weight
//   s/((1+s)·log1p(s)) <= 1; no cancellation; two roundings); observed 2.25 ulp.
void log_softmax(std::span<const float> z, Shape shape, std::span<float> out);
void log_softmax(std::span<const double> z, Shape shape, std::span<double> out);

// logsumexp: out_i = log Σ_j e^(z_ij), one value per row (out.size() == shape.n).
// Method: m + log1p(s). A row all -inf gives -inf; a row containing +inf (and no NaN) gives
//   +inf; NaN -> NaN.
// Error (double): absolute error <= 7·2^-53·(|m| + log1p(s)) (bound: log1p(s) within 6u as for
//   log_softmax, one addition); observed 1.34 ulp in that scale. Relative to the result this is
//   amplified where m and log1p(s) cancel (m < 0 and the result near 0), which is the
//   function's own condition number Σ_j softmax_j·|z_j| / |lse|.
void logsumexp(std::span<const float> z, Shape shape, std::span<float> out);
void logsumexp(std::span<const double> z, Shape shape, std::span<double> out);

// =============================================================================================
// Losses
// =============================================================================================

// cross_entropy (softmax cross-entropy from logits): loss_i = log Σ_j e^(z_ij) - z_i,t_i,
// never forming probabilities. t holds shape.n class indices in [0, shape.c).
// Method: (m - z_t) + log1p(s), m - z_t carried exactly (hi + lo): both terms >= 0, no
//   cancellation, and a confident correct prediction keeps full relative accuracy
//   (cross_entropy([0, -40], t = 0) = 4.248e-18, not 0). z_t = -inf gives +inf; a row with
//   +inf gives lse - z_t (+inf, or NaN when z_t = +inf); a row all -inf gives NaN.
// Error (double, per row): bound 8 ulp (as log_softmax: log1p(s) within 6u, terms of one
//   sign, two roundings); observed 1.74 ulp. The reduction adds <= 1 ulp (see Reduction).
void cross_entropy(std::span<const float> z, std::span<const std::int64_t> t, Shape shape,
                   std::span<float> out, Reduction reduction = Reduction::mean);
void cross_entropy(std::span<const double> z, std::span<const std::int64_t> t, Shape shape,
                   std::span<double> out, Reduction reduction = Reduction::mean);

// kl_divergence: D_KL(p‖q)_i = Σ_j p_ij·log(p_ij / q_ij), natural log; 0·log(0/q) = 0 for every
// q (q = 0 included); p > 0, q = 0 gives +inf; NaN -> NaN.
// Method: per term, r = p/q; r in [1/2, 2]: p·log1p((p - q)/q) (p - q is exact there, by
//   Sterbenz's lemma, so a term near 0 keeps its relative accuracy and KL(p, p) = 0 exactly);
//   r normal elsewhere: p·log(r); r overflowed or underflowed: p·(log p - log q). Terms summed
//   with compensated summation.
// Error (double, per row): each term within 4.5·2^-53 of itself (bound: the division weighted
//   by at most 1/log 2 or the log1p condition <= 1.45, log or log1p 2u, the product); the terms
//   have mixed signs, so the row's absolute error is <= 5.5·2^-53·Σ_j |p_j log(p_j/q_j)|,
//   large relative to a divergence near 0 (p ≈ q): the function's own condition there.
//   Observed 2.24 ulp in that scale (11.8 ulp of the result on random rows with KL > 0.1).
void kl_divergence(std::span<const float> p, std::span<const float> q, Shape shape,
                   std::span<float> out, Reduction reduction = Reduction::mean);
void kl_divergence(std::span<const double> p, std::span<const double> q, Shape shape,
                   std::span<double> out, Reduction reduction = Reduction::mean);

// entropy: H(p)_i = -Σ_j p_ij·log p_ij, natural log, 0·log 0 = 0; NaN -> NaN.
// Method: compensated sum of p·log p (terms of one sign for p in [0, 1]).
// Error (double, per row): bound 4 ulp (log 2u, the product, the sum of terms of one sign);
//   observed 1.83 ulp. A one-hot row gives exactly +0.
void entropy(std::span<const float> p, Shape shape, std::span<float> out,
             Reduction reduction = Reduction::mean);
void entropy(std::span<const double> p, Shape shape, std::span<double> out,
             Reduction reduction = Reduction::mean);

// cross_entropy_dist: H(p, q)_i = -Σ_j p_ij·log q_ij, natural log, 0·log q = 0 for every q
// (q = 0 included); p > 0, q = 0 gives +inf; NaN -> NaN.
// Method: compensated sum of xlogy(p, q) (terms of one sign for q in [0, 1]).
// Error (double, per row): bound 4 ulp (as entropy); observed 1.81 ulp.
void cross_entropy_dist(std::span<const float> p, std::span<const float> q, Shape shape,
                        std::span<float> out, Reduction reduction = Reduction::mean);
void cross_entropy_dist(std::span<const double> p, std::span<const double> q, Shape shape,
                        std::span<double> out, Reduction reduction = Reduction::mean);

// binary_cross_entropy: l_i = -[y_i·log p_i + (1 - y_i)·log(1 - p_i)], elementwise, y and p
// of equal length; mean averages over all elements.
// Method: -(y·log p + (1 - y)·log(1 - p)) with 0·log(anything but NaN) = 0 (xlogy). For
//   p >= 1/2, 1 - p is exact (Sterbenz) and log(1 - p) is evaluated as written; below, as
//   log1p(-p). So p within an ulp of 1 is fine. y = 0, p = 0 gives +0 and y = 1, p = 1 gives
//   +0; y = 1, p = 0 (or y = 0, p = 1) gives +inf; NaN -> NaN. No clamping: PyTorch's clamp of
//   each log at -100 and Keras' clip to [1e-7, 1 - 1e-7] are framework conventions, not done
//   here.
// Error (double): bound 5 ulp (log or log1p 2u, a product, 1 - y exact for y >= 1/2 and one
//   rounding otherwise, one addition of terms of one sign); observed 2.37 ulp (p near 1).
void binary_cross_entropy(std::span<const float> y, std::span<const float> p,
                          std::span<float> out, Reduction reduction = Reduction::mean);
void binary_cross_entropy(std::span<const double> y, std::span<const double> p,
                          std::span<double> out, Reduction reduction = Reduction::mean);

// mse: l_i = (y_i - yhat_i)², elementwise; mean averages over all elements.
// Method: d = y - yhat carried exactly as hi + lo (TwoSum), hi² = sh + sl exactly (Dekker's
//   product, Veltkamp splitting, no FMA needed); d² = sh + (sl + 2·hi·lo).
// Error (double): bound 0.5 ulp + 2^-50 ulp (the bracket is at most ~1.5 ulp(sh) and accurate
//   to ~2^-52 of itself; lo² < 2^-106·d² is neglected), i.e. correctly rounded except within
//   2^-50 ulp of a rounding boundary (and in the subnormal range, where the exact products
//   underflow); observed 0.500 ulp. An overflow of d or d² gives +inf.
void mse(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
         Reduction reduction = Reduction::mean);
void mse(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
         Reduction reduction = Reduction::mean);

}  // namespace nnconform::impl
