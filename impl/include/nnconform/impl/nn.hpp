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
// * Precision: the float overloads of the first functions (sigmoid ... logsumexp below)
//   evaluate in binary64 and round once to float; their double overloads evaluate in
//   double-double (sigmoid, tanh, softplus, elu with impl/src/dd.hpp; softmax, log_softmax,
//   logsumexp with impl/src/dw_math.hpp) and round once. The activations of the section "The
//   other activations" evaluate in double-double and say so there. The float overloads are
//   therefore correctly rounded except within a few 2^-53 (relative) of a rounding boundary:
//   error <= 0.5 ulp + 2^-25 ulp (bound: the binary64 evaluation errs by at most 9·2^-53
//   relative, and 9·2^-53 / 2^-24 < 2^-25; for logsumexp read that bound in its absolute
//   form). The double overloads carry the bounds stated per function. Row sums accumulate in
//   binary64 with Neumaier's compensated summation (float) or in double-double (double).
//   The authoritative measured figures are those of the golden-vector suite
//   (docs/ulp-table.md).
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
//   * softplus with beta not finite and > 0;
//   * a real parameter outside its spec range: linear's k, leaky_relu's a, prelu's slopes and
//     srelu's four parameters not finite; rrelu's lower or upper not finite and >= 0; swish's
//     beta not finite and > 0;
//   * prelu with a slope span of a length other than 1 or shape.c; rrelu (given mode) with
//     a.size() != x.size(); crelu with out.size() != 2·shape.n·shape.c; maxout with k < 1,
//     shape.c not a multiple of k, or out.size() != shape.n·shape.c/k.
// Values are not validated otherwise: probabilities outside [0, 1] or rows that do not sum to 1
// are evaluated by the formula as given (often giving NaN), as the frameworks do — except by the
// losses, which reject values outside their specs' domains (losses.hpp, "Bad input").
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

namespace nnconform::impl {

// How a loss reduces over the batch. The sum is accumulated in double-double with a binary
// exponent apart (no overflow of a sum of finite terms whose mean is finite), and the mean is
// one double-double division by the count (or by the sum of the spec's reduction weights,
// losses.hpp): the reduction adds ~3·2^-106 relative per term to the per-term error, and the
// result is rounded once.
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
//   subnormal 2^-1074. float: in binary64, the rounding of 1 + e compensated (Fast2Sum).
//   double: in double-double (exp to 2^-74), the tail below 2^-900 carried scaled and rounded
//   once into the subnormals.
// Range: all x. sigmoid(+inf) = 1, sigmoid(-inf) = +0, NaN -> NaN.
// Error (double): bound 0.5 ulp + 2^-20 ulp (the binary64 form it replaces erred by up to
//   1.69 ulp, over the spec's strict 1).
void sigmoid(std::span<const float> x, std::span<float> out);
void sigmoid(std::span<const double> x, std::span<double> out);

// tanh(x).
// Method: float: std::tanh in binary64. double: in double-double, odd in x: |x| < 2^-30: x;
//   |x| < 1/2: em/(em + 2), em = expm1(2|x|); |x| <= 20: 1 - 2f/(1 + f), f = e^-2|x|
//   (no cancellation: tanh >= 0.46 there); |x| > 20: ±1. glibc's tanh, used before, erred by
//   2.11 ulp (x = -0x1.0505a288d3c08p-2; glibc states 2), over the spec's strict 1.
// Range: all x. tanh(±inf) = ±1, tanh(±0) = ±0, NaN -> NaN.
// Error (double): bound 0.5 ulp + 2^-12 ulp (expm1's 2^-66).
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
//   double: the same forms in double-double (beta·x exact, exp 2^-74, log1p 2^-65, the
//   division by beta in DD; the tail below 2^-900 scaled and rounded once), and the threshold
//   compared with the exact beta·x, as the spec's formula does.
// Error (double): bound 0.5 ulp + 2^-11 ulp, any beta (the binary64 form it replaces erred by
//   1.44 ulp with beta = 1 and 2.27 with beta = 0.75, over the spec's strict 1).
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
// Method: x > 0 ? x : alpha·expm1(x) (expm1 keeps full relative accuracy near 0). float: in
//   binary64. double: expm1 in double-double (2^-66; x < -40: -1 + e^x), times alpha as an
//   exact significand and a power of two, rounded once (subnormal results included).
// Range: all x, any alpha >= 0. elu(-inf) = -alpha; an exact zero (elu(±0), or alpha = 0) is
//   +0, as the reference rounds exact zeros; NaN -> NaN.
// Error (double): exact for x > 0; otherwise bound 0.5 ulp + 2^-13 ulp (the binary64 form it
//   replaces erred by up to 3 ulp with alpha != 1, over the spec's strict 1).
void elu(std::span<const float> x, std::span<float> out, float alpha = 1.0f);
void elu(std::span<const double> x, std::span<double> out, double alpha = 1.0);

// =============================================================================================
// The other activations of spec/activations (issue 4)
// =============================================================================================
//
// How they are computed (common to the entries below):
// * Piecewise-linear ones (linear, relu6, leaky_relu, prelu, rrelu with given slopes, crelu,
//   maxout, hardmax) are exact or one product rounded once: correctly rounded.
// * The others evaluate their formula in double-double (an unevaluated sum hi + lo of two
//   doubles, ~2^-100 relative per operation; impl/src/dd.hpp) with their own exp, expm1,
//   log1p and erfc (relative errors < 2^-74, 2^-66, 2^-65, 2^-66: bounds in impl/src/dd.cpp;
//   measured against libquadmath 2^-75.7, 2^-68.5, 2^-68.5, 2^-68.0), and round once from the double-double value to the output
//   format. Values that may leave the normal range are carried as (double-double, exponent), so
//   that nothing underflows on the way and the rounding into the subnormal range happens once,
//   from the full value: tails are never flushed (silu(-100.0f) is the float subnormal
//   -3.72e-42, gelu(-30.0) is -1.472014178144456e-196, logsigmoid(745.0) is -denorm_min), and a
//   tie of the subnormal grid is broken by the exact value's side (silu(denorm_min) =
//   denorm_min, not 0). So "bound: 0.5 ulp + e" below means: correctly rounded except within
//   e ulp of a rounding boundary, e the double-double evaluation's relative error times 2^53
//   (binary64) or 2^24 (binary32).
// * The float overloads round the double-double value directly to binary32 (its low part
//   breaks ties: no double rounding). For silu, swish, mish, gelu, gelu_tanh, selu and
//   logsigmoid they first try a plain binary64 evaluation, accurate to < 2^-40 relative, and
//   keep it when y·(1 ± 2^-36) round to the same float (Ziv's strategy): that float is then the
//   correctly rounded value; otherwise (about one input in 2^12) the double-double kernel
//   decides. (The binary64 bound assumes libm's exp/expm1/log1p within 1 ulp and erfc within
//   4 ulp; glibc 2.36 measured 0.51/0.81/0.81/3.8.) Both paths return the same floats on every
//   64th bit pattern (67,108,864 inputs per function, compared bit for bit).
// * Zeros: an exact zero result is +0 (leaky_relu(-0) = +0, hardswish(-5) = +0, selu(-0) = +0,
//   as the reference rounds exact zeros); a nonzero value that underflows keeps its sign
//   (silu(-1000) = -0, leaky_relu(-denorm_min) = -0). NaN in gives NaN out.
// * Observed (all of them): against __float128 (libquadmath) formulas, the largest error is
//   0.500000 ulp (no result farther than 0.5 + 1e-9 ulp from the exact value) in binary64 on
//   300,000 random bit patterns (every binade, both signs), 300,000 uniform inputs in
//   [-50, 50], 300,000 in [-800, 50] and 300,000 log-uniform with |x| in [2^-40, 8] per
//   function, plus 10^5 to 4·10^5 in each regime boundary (gelu's |x| near 4·sqrt(2), ±40;
//   gelu_tanh near ±100; logsigmoid and mish near ±40 and 745; selu near -40 and 2^-60); and
//   in binary32 on every 97th bit pattern (44,105,053 inputs) and 300,000 inputs in [-100, 6].
//   Against the MPFR reference (`nnconform eval`), bit-for-bit equal on every one of ~3000
//   points (tails, thresholds, subnormals, ±0, ±inf, NaN, ±max) in both formats. The
//   conformance suite's figures are authoritative.
// * Speed (for the record; x86-64, one core, no SIMD yet): binary64 silu, mish, gelu_tanh,
//   logsigmoid ~70-130 ns per element, gelu ~170 ns, selu ~30-40 ns; the float fast paths
//   10-30 ns.

// linear(x) = k·x (alias identity). k finite (std::invalid_argument otherwise).
// Method: one product, rounded once (exact in binary64 for float operands). k·(±0) and 0·x
// (finite x) are +0; 0·inf is NaN. Bound: 0.5 ulp (correctly rounded).
void linear(std::span<const float> x, std::span<float> out, float k = 1.0f);
void linear(std::span<const double> x, std::span<double> out, double k = 1.0);

// relu6(x) = min(max(x, 0), 6). Exact. relu6(-0) = +0, relu6(±inf) = 6 / +0, NaN -> NaN.
void relu6(std::span<const float> x, std::span<float> out);
void relu6(std::span<const double> x, std::span<double> out);

// leaky_relu(x) = x if x >= 0 else a·x, a finite (the spec's default 0.01, rounded to the
// format). Method: one product rounded once: correctly rounded. leaky_relu(-0) = +0; with
// a = 0, x < 0 gives +0 (and -inf gives NaN, 0·inf).
void leaky_relu(std::span<const float> x, std::span<float> out, float a = 0.01f);
void leaky_relu(std::span<const double> x, std::span<double> out, double a = 0.01);

// prelu(x) = x if x >= 0 else a·x, with one shared slope a (first form, default 0.25) or, for a
// batch of shape.n rows of shape.c channels (the last axis), a.size() == 1 (shared) or
// shape.c (slope a[j] for channel j). Slopes finite. Correctly rounded, as leaky_relu.
// In place allowed.
void prelu(std::span<const float> x, std::span<float> out, float a = 0.25f);
void prelu(std::span<const double> x, std::span<double> out, double a = 0.25);
void prelu(std::span<const float> x, Shape shape, std::span<float> out,
           std::span<const float> a);
void prelu(std::span<const double> x, Shape shape, std::span<double> out,
           std::span<const double> a);

// rrelu, eval mode: x if x >= 0 else x·(lower + upper)/2; lower, upper finite and >= 0
// (defaults 1/8 and 1/3, rounded to the format). Method: lower + upper exactly as a
// double-double (TwoSum), times x in double-double, halved exactly, rounded once (scaled:
// subnormal results included). Bound: 0.5 ulp + 2^-47 ulp; observed 0.500000.
void rrelu(std::span<const float> x, std::span<float> out, float lower = 0.125f,
           float upper = 1.0f / 3.0f);
void rrelu(std::span<const double> x, std::span<double> out, double lower = 0.125,
           double upper = 1.0 / 3.0);
// rrelu, given mode: x if x >= 0 else a[i]·x, the slopes drawn by the caller (randomness is an
// input). a.size() == x.size(). Correctly rounded; a NaN slope matters only where x < 0.
void rrelu(std::span<const float> x, std::span<const float> a, std::span<float> out);
void rrelu(std::span<const double> x, std::span<const double> a, std::span<double> out);

// crelu: per row of shape.n x shape.c, out_row = concat(relu(x_row), relu(-x_row)), so out has
// 2·shape.n·shape.c entries (row i at out[2c·i ... 2c·i + 2c)). Exact; ±0 give +0 in both
// halves, NaN gives NaN in both. out must not overlap x.
void crelu(std::span<const float> x, Shape shape, std::span<float> out);
void crelu(std::span<const double> x, Shape shape, std::span<double> out);

// srelu(x) = t_r + a_r·(x - t_r) if x >= t_r; x if t_l < x < t_r; t_l + a_l·(x - t_l) if
// x <= t_l, tested in that order (so any t_l, t_r: with t_l > t_r, x >= t_r takes the right
// branch and t_r > x takes the left one). All four parameters required and finite (else
// std::invalid_argument).
// Method: x - t exactly as a double-double (TwoSum), a·(x - t) as four exact products
// (Dekker), and the exact sum of those and t rounded once (Shewchuk's expansion arithmetic,
// impl/src/dd.cpp round_sum), so that cancellation costs nothing: srelu(4.857142857142857)
// with t_r = 2, a_r = -0.7 is 3.9333615729576973e-16 where the plain evaluation gives
// 4.44e-16. Bound: 0.5 ulp (correctly rounded), provided |a|, |x - t| < 2^995 and the partial
// products of a·(x - t) stay above 2^-969 (beyond, within a few 2^-1074 absolute, or 2^-53
// relative of a·(x - t)'s low part). x = ±inf gives t + a·(±inf) (NaN for a = 0).
// Observed 0.500000 (t_l = -1.1, a_l = 0.3, t_r = 2.2, a_r = -0.7).
void srelu(std::span<const float> x, std::span<float> out, float t_l, float a_l, float t_r,
           float a_r);
void srelu(std::span<const double> x, std::span<double> out, double t_l, double a_l,
           double t_r, double a_r);

// maxout: the maximum of each group of k consecutive entries of each row of shape.n x shape.c;
// k >= 1 and shape.c a multiple of k (else std::invalid_argument); out has shape.n·shape.c/k
// entries. A NaN in a group gives NaN; a zero maximum is +0; k = 1 is the identity. Exact.
// In place allowed (out.data() == x.data()).
void maxout(std::span<const float> x, Shape shape, std::span<float> out, std::int64_t k);
void maxout(std::span<const double> x, Shape shape, std::span<double> out, std::int64_t k);

// hardmax: per row, the one-hot vector of the row's argmax (1 there, +0 elsewhere), ties to the
// lowest index (-0 and +0 tie; a row all -inf is one-hot at 0); a NaN anywhere in a row gives a
// row of NaN. Exact. In place allowed.
void hardmax(std::span<const float> z, Shape shape, std::span<float> out);
void hardmax(std::span<const double> z, Shape shape, std::span<double> out);

// hardsigmoid(x) = min(max(x + 3, 0), 6)/6 (PyTorch's). Method: x <= -3: +0; x >= 3: 1;
// otherwise x + 3 exactly (TwoSum) divided by 6 in double-double, rounded once.
// Bound: 0.5 ulp + 2^-47 ulp; observed 0.500000.
void hardsigmoid(std::span<const float> x, std::span<float> out);
void hardsigmoid(std::span<const double> x, std::span<double> out);

// hardswish(x) = x·min(max(x + 3, 0), 6)/6 (PyTorch's). Method: x <= -3: +0 (an exact zero);
// x >= 3: x; otherwise x·(x + 3)/6 in double-double, scaled, rounded once (hardswish of a
// subnormal is subnormal; x/2 ties are broken by the x²/6 term). hardswish(-inf) is NaN: the
// formula's -inf·0 (the reference's value; the limit would be 0). Bound: 0.5 ulp + 2^-47 ulp;
// observed 0.500000.
void hardswish(std::span<const float> x, std::span<float> out);
void hardswish(std::span<const double> x, std::span<double> out);

// silu(x) = x·sigmoid(x); swish(x) = x·sigmoid(beta·x), beta finite and > 0 (else
// std::invalid_argument); silu is swish with beta = 1, bit for bit.
// Method: w = beta·x exactly as a double-double (Dekker on the frexp significands, so any
// beta and x); w >= 0: x/(1 + e^-w); w < 0: x·e^w/(1 + e^w), all in double-double with the
// double-double exp; e^w below 2^-899: x·e^w, scaled into the subnormal range; |w| > 1500: x,
// or a zero of x's sign; |w| < 2^-60: x/2 + x·w/4. Special values: f(-inf) = -0 (the spec's),
// f(+inf) = +inf, f(±0) = +0, huge inputs (±1e30, ±max) give x or -0, never NaN.
// Bound: 0.5 ulp + 2^-20 ulp (exp's 2^-74 with weight <= 1, the operations' 2^-100);
// observed 0.500000 (beta = 1, 0.75, 3.3).
void silu(std::span<const float> x, std::span<float> out);
void silu(std::span<const double> x, std::span<double> out);
void swish(std::span<const float> x, std::span<float> out, float beta = 1.0f);
void swish(std::span<const double> x, std::span<double> out, double beta = 1.0);

// mish(x) = x·tanh(softplus(x)).
// Method: tanh(log(1 + e)) = n/(n + 2) with n = e(e + 2), e = e^x (for x > 0, with f = e^-x:
// (1 + 2f)/(1 + 2f + 2f²)), so no log, no tanh and no cancellation; double-double with the
// double-double exp. x > 40: x; e^x below 2^-899: x·e^x, scaled; mish(-1000) = -0,
// mish(-inf) = -0 (the spec's), mish(+inf) = +inf. Bound: 0.5 ulp + 2^-20 ulp (the ratio's
// condition in e is <= 1); observed 0.500000.
void mish(std::span<const float> x, std::span<float> out);
void mish(std::span<const double> x, std::span<double> out);

// gelu(x) = x·Phi(x) = x·erfc(-x/sqrt 2)/2 (PyTorch's approximate='none').
// Method: t = |x|/sqrt 2 in double-double; erfc(t) in double-double (Taylor expansion about
// the nearest k/16 with tabulated erfc and erfc' for t < 4; the even part of Laplace's
// continued fraction times e^{-t²} above), so there is no 1 + erf cancellation: x < 0:
// x·erfc(t)/2, scaled into the subnormals (gelu(-38) ~ -1.1e-314); x > 0: x·(2 - erfc(t))/2.
// |x| > 40: x or -0; |x| < 2^-60: x/2 + x²/sqrt(2 pi). gelu(-inf) = -0 (the spec's).
// Bound: 0.5 ulp + 2^-13 ulp (erfc's 2^-66 near t = 4); observed 0.500000.
void gelu(std::span<const float> x, std::span<float> out);
void gelu(std::span<const double> x, std::span<double> out);

// gelu_tanh(x) = x·(1 + tanh(sqrt(2/pi)·(x + 0.044715·x³)))/2 = x·sigmoid(w),
// w = 2 sqrt(2/pi)·(x + 0.044715·x³) (0.044715 an exact decimal; constants in double-double).
// Method: w = x·(c1 + c3·x²) in double-double (terms of one sign: no cancellation), then as
// swish. |x| > 100: x or -0, so x³ is never formed beyond 10^6 (it would overflow binary64
// past ~1e102 and binary32 past ~7e12); gelu_tanh(-inf) = -0 (the spec's).
// Bound: 0.5 ulp + 2^-20 ulp; observed 0.500000.
void gelu_tanh(std::span<const float> x, std::span<float> out);
void gelu_tanh(std::span<const double> x, std::span<double> out);

// selu(x) = lambda·x for x > 0, lambda·alpha·(e^x - 1) otherwise, with the SELU paper's
// lambda = 1.0507009873554804934193349852946 and alpha = 1.6732632423543772848170429916717
// taken as exact decimals (lambda and lambda·alpha as double-double constants).
// Method: x > 0: lambda·x in double-double, scaled (selu(max) = +inf, as the exact value
// overflows); x <= 0: lambda·alpha·expm1(x) with the double-double expm1 (x < -40:
// -1 + e^x; |x| < 2^-60: x(1 + x/2), scaled). selu(-inf) = -lambda·alpha, selu(±0) = +0.
// Bound: 0.5 ulp + 2^-13 ulp (expm1's 2^-66); observed 0.500000.
void selu(std::span<const float> x, std::span<float> out);
void selu(std::span<const double> x, std::span<double> out);

// logsigmoid(x) = log sigmoid(x) = -softplus(-x) = -(max(-x, 0) + log1p(e^-|x|)).
// Method: x < -40: x exactly (log1p(e^x) is below half an ulp of x: logsigmoid(-1e300) =
// -1e300); -40 <= x <= 0: -(|x| + log1p(e^x)), terms of one sign; 0 < x <= 40:
// -log1p(e^-x); x > 40: -e^-x·(1 - e^-x/2), scaled into the subnormals (logsigmoid(1000) = -0,
// logsigmoid(745) = -denorm_min). log1p in double-double (glibc's log1p and one Newton step
// through the double-double expm1). logsigmoid(+inf) = +0 (an exact zero), (-inf) = -inf.
// Bound: 0.5 ulp + 2^-12 ulp (log1p's 2^-65); observed 0.500000.
void logsigmoid(std::span<const float> x, std::span<float> out);
void logsigmoid(std::span<const double> x, std::span<double> out);

// =============================================================================================
// Row functions over a batch (z: shape.n rows of shape.c logits)
// =============================================================================================
//
// Shared method: per row, m = max_j z_j at its first index k; e_j = exp(z_j - m) with the
// rounding of z_j - m compensated (TwoSum: the difference is carried exactly as hi + lo and
// exp(hi + lo) = exp(hi)·(1 + lo)); s = Σ_{j != k} e_j by compensated summation, so that the
// row sum is 1 + s and log Σ e_j = log1p(s) keeps its accuracy when one logit dominates.
// Non-finite rows: a NaN anywhere in a row makes the whole row's result NaN; a row all -inf
// gives NaN (z - m = -inf + inf) for softmax and log_softmax; a row containing +inf gives NaN
// for every softmax entry (e^(z - m) is NaN at the +inf entries, and so is their sum), and for
// log_softmax the spec's (z - m) - log(k) - log1p(s/k) entry by entry: NaN at the +inf entries,
// -inf at the others (the golden vectors' values).
// double: every step in double-double (z_j - m exact, exp 2^-103, log1p 2^-92, sums and
// quotients 2^-104), rounded once; float: in binary64 as described below.

// softmax: out_ij = e^(z_ij) / Σ_k e^(z_ik).
// Method: e_j / (1 + s), with 1 + s carried exactly (TwoSum) and its low part folded into the
//   quotient (q·(1 - lo/hi)). The double overload stores e_j in `out` and divides in place;
//   the float overload recomputes e_j in binary64 in the division pass rather than storing a
//   rounded one (one exp more per entry). Logits any distance apart are fine
//   ([1e4, 0, -1e4] -> [1, 0, 0]); a -inf entry gives exactly +0; an all-equal row gives
//   exactly 1/c (s = c - 1 exactly). In place allowed.
// Error (double): bound 0.5 ulp + 2^-38 ulp (double-double; the binary64 form it replaces
//   erred by up to 2.73 ulp, over the spec's strict 2). The row sums to 1 within a few ulp.
void softmax(std::span<const float> z, Shape shape, std::span<float> out);
void softmax(std::span<const double> z, Shape shape, std::span<double> out);

// log_softmax: out_ij = z_ij - log Σ_k e^(z_ik).
// Method: (z_j - m) - log1p(s), the difference z_j - m carried exactly (hi + lo). Both terms
//   are <= 0, so the subtraction does not cancel. log_softmax([0, -1e4]) = [-0, -1e4] (no NaN
//   or inf; a zero result is -0 when s > 0, the exact value being negative); a -inf entry
//   gives -inf. In place allowed.
// Error (double): bound 0.5 ulp + 2^-38 ulp (double-double; the binary64 form it replaces
//   erred by up to 2.25 ulp).
void log_softmax(std::span<const float> z, Shape shape, std::span<float> out);
void log_softmax(std::span<const double> z, Shape shape, std::span<double> out);

// logsumexp: out_i = log Σ_j e^(z_ij), one value per row (out.size() == shape.n).
// Method: m + log1p(s). A row all -inf gives -inf; a row containing +inf (and no NaN) gives
//   +inf; NaN -> NaN.
// Error (double): m + log1p(s) in double-double, rounded once: absolute error
//   <= 2^-91·(|m| + log1p(s)) before the rounding, i.e. 0.5 ulp + 2^-38·(|m| + log1p(s))/|lse|
//   ulp; the ratio is the function's own condition number Σ_j softmax_j·|z_j| / |lse| (large
//   only where m < 0 and lse is near 0). The binary64 form it replaces erred by 2.2 ulp on the
//   golden vectors (strict 2).
void logsumexp(std::span<const float> z, Shape shape, std::span<float> out);
void logsumexp(std::span<const double> z, Shape shape, std::span<double> out);

// =============================================================================================
// Losses (default conventions). losses.hpp declares every loss and divergence of the specs, and
// overloads of these six with the rest of their specs' parameters (class weights,
// ignore_index, label smoothing, log bases, PyTorch's kl_div inputs, BCE weights and clamps).
// Each function here is that full function with the spec's defaults; the method, error bound,
// value validation (domains such as [0, 1] for probabilities) and bad input are documented
// there. Implementation: losses.cpp, losses_*.cpp, divergences.cpp.
// =============================================================================================

// cross_entropy (softmax cross-entropy from logits): loss_i = log Σ_j e^(z_ij) - z_i,t_i,
// never forming probabilities. t holds shape.n class indices in [0, shape.c), or -100 (the
// spec's default ignore_index: the row counts for nothing; mean divides by the rows kept).
// Error: <= 0.5 ulp + 2^-90 relative (binary64 in double-double; see losses.hpp).
void cross_entropy(std::span<const float> z, std::span<const std::int64_t> t, Shape shape,
                   std::span<float> out, Reduction reduction = Reduction::mean);
void cross_entropy(std::span<const double> z, std::span<const std::int64_t> t, Shape shape,
                   std::span<double> out, Reduction reduction = Reduction::mean);

// kl_divergence: D_KL(p‖q)_i = Σ_j p_ij·log(p_ij / q_ij), natural log; 0·log(0/q) = 0 for every
// q (q = 0 included); p > 0, q = 0 gives +inf; NaN -> NaN; p, q in [0, 1].
// Error: <= 0.5 ulp + 2^-90 relative, also for nearly equal distributions (losses.hpp).
void kl_divergence(std::span<const float> p, std::span<const float> q, Shape shape,
                   std::span<float> out, Reduction reduction = Reduction::mean);
void kl_divergence(std::span<const double> p, std::span<const double> q, Shape shape,
                   std::span<double> out, Reduction reduction = Reduction::mean);

// entropy: H(p)_i = -Σ_j p_ij·log p_ij, natural log, 0·log 0 = 0; NaN -> NaN; p in [0, 1].
// A one-hot row gives exactly +0. Error: <= 0.5 ulp + 2^-90 relative.
void entropy(std::span<const float> p, Shape shape, std::span<float> out,
             Reduction reduction = Reduction::mean);
void entropy(std::span<const double> p, Shape shape, std::span<double> out,
             Reduction reduction = Reduction::mean);

// cross_entropy_dist: H(p, q)_i = -Σ_j p_ij·log q_ij, natural log, 0·log q = 0 for every q
// (q = 0 included); p > 0, q = 0 gives +inf; NaN -> NaN; p, q in [0, 1].
// Error: <= 0.5 ulp + 2^-90 relative.
void cross_entropy_dist(std::span<const float> p, std::span<const float> q, Shape shape,
                        std::span<float> out, Reduction reduction = Reduction::mean);
void cross_entropy_dist(std::span<const double> p, std::span<const double> q, Shape shape,
                        std::span<double> out, Reduction reduction = Reduction::mean);

// binary_cross_entropy: l_i = -[y_i·log p_i + (1 - y_i)·log(1 - p_i)], elementwise, y and p
// in [0, 1] of equal length, 0·log 0 = 0; mean averages over all elements. No clamping (the
// spec's default; PyTorch's and Keras's clamps are in losses.hpp): y = 1, p = 0 gives +inf.
// p within an ulp of 1 is fine (1 - p exact). Error: <= 0.5 ulp + 2^-90 relative.
void binary_cross_entropy(std::span<const float> y, std::span<const float> p,
                          std::span<float> out, Reduction reduction = Reduction::mean);
void binary_cross_entropy(std::span<const double> y, std::span<const double> p,
                          std::span<double> out, Reduction reduction = Reduction::mean);

// mse: l_i = (y_i - yhat_i)², elementwise; mean averages over all elements.
// Method: y - yhat exact (TwoSum), scaled by a power of two when beyond 2^±500 or when it
//   overflows, squared in double-double: no intermediate overflow or underflow; +inf only where
//   the exact result overflows (the mean of (1.5e154)² and three zeros is 5.6e307).
// Error: <= 0.5 ulp + 2^-100 relative: correctly rounded but for a rounding boundary within
//   2^-47 ulp; subnormal results rounded once.
void mse(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
         Reduction reduction = Reduction::mean);
void mse(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
         Reduction reduction = Reduction::mean);


}  // namespace nnconform::impl
