// Shared machinery of the loss and divergence kernels (include/nnconform/impl/losses.hpp):
// the working precision per output format, overflow-safe reductions, and value validation.
// Private to nnconform_impl; plain C++20 and the standard library.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "dw_math.hpp"
#include "detail.hpp"
#include "nnconform/impl/losses.hpp"

namespace nnconform::impl::lc {

using dw::DD;

// ---------------------------------------------------------------------------------------------
// Working precision. A binary64 kernel evaluates in double-double (about 106 bits, dw_math.hpp);
// a binary32 kernel in binary64 (its inputs are exact there, and the binary64 libm functions'
// few 2^-53 of relative error are ~2^-29 ulp of a float), except where a kernel says otherwise.
// ---------------------------------------------------------------------------------------------
template <class T>
using Wide = std::conditional_t<std::is_same_v<T, double>, DD, double>;

// Elementary functions on either working type, with the same special values.
namespace wm {

inline double hi(double x) { return x; }
inline double hi(DD x) { return x.hi; }
inline DD to_dd(double x) { return {x, 0.0}; }
inline DD to_dd(DD x) { return x; }

template <class W>
W lift(double x) {
  if constexpr (std::is_same_v<W, DD>) {
    return DD{x, 0.0};
  } else {
    return x;
  }
}

inline double log(double x) { return std::log(x); }
inline DD log(DD x) { return dw::log(x); }
inline double log1p(double x) { return std::log1p(x); }
inline DD log1p(DD x) { return dw::log1p(x); }
inline double exp(double x) { return std::exp(x); }
inline DD exp(DD x) { return dw::exp(x); }
inline double expm1(double x) { return std::expm1(x); }
inline DD expm1(DD x) { return dw::expm1(x); }
inline double sqrt(double x) { return std::sqrt(x); }
inline DD sqrt(DD x) { return dw::sqrt(x); }
inline double abs(double x) { return std::fabs(x); }
inline DD abs(DD x) { return dw::abs(x); }

// log(1 - p). DD: 1 - p is exact in DD. double: for p >= 1/2, 1 - p is exact (Sterbenz) and
// log is more accurate than log1p there; below, log1p(-p).
inline double log1m(double p) { return p >= 0.5 ? std::log(1.0 - p) : std::log1p(-p); }
inline DD log1m(DD p) { return dw::log(1.0 - p); }

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, e^x tail kept.
inline double softplus(double x) {
  if (std::isnan(x)) return x;
  if (x > 0.0) return std::isinf(x) ? x : x + std::log1p(std::exp(-x));
  return std::log1p(std::exp(x));
}
inline DD softplus(DD x) { return dw::softplus(x); }

// softplus as a Term. DD, x < -700: log1p(e^x) = e^x·(1 - e^x/2 + ...) is e^x to 2^-1000
// relative, so the scaled exponential is returned and a subnormal result is rounded once.
inline dw::Scaled softplus_scaled(DD x) {
  if (x.hi < -700.0) return dw::exp_scaled(x);
  return {dw::softplus(x), 0};
}
inline dw::Scaled softplus_scaled(double x) { return {{softplus(x), 0.0}, 0}; }

// sigmoid(x) = 1/(1 + e^-x), as e^x/(1 + e^x) for x < 0.
inline double sigmoid(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}
inline DD sigmoid(DD x) { return dw::sigmoid(x); }

}  // namespace wm

// A term of a reduction, possibly scaled: value m·2^k (k = 0 for most terms). Lets a term whose
// value leaves the double range (|y - yhat| > DBL_MAX, a square of 1e200) still enter a mean
// that does not.
struct Term {
  DD m;
  int k = 0;
};
inline Term term(double x) { return {{x, 0.0}, 0}; }
inline Term term(DD x) { return {x, 0}; }
inline Term term(dw::Scaled s) { return {s.m, s.k}; }
inline Term term(Term t) { return t; }

// m moved into [1, 2) (its exponent into k); 0, inf and NaN unchanged.
inline Term normalize(Term t) {
  if (t.m.hi == 0.0 || !std::isfinite(t.m.hi)) return t;
  const int e = dw::exponent_of(t.m.hi);
  return {dw::ldexp(t.m, -e), t.k + e};
}

// Products and sums of terms with normalized mantissas, so that no intermediate leaves the
// normal range (a product of a subnormal-sized value by a weight would round twice).
inline Term mul(Term t, DD f) {
  if (f.hi == 0.0 || !std::isfinite(f.hi) || t.m.hi == 0.0 || !std::isfinite(t.m.hi)) {
    return {t.m * f, t.k};
  }
  t = normalize(t);
  const int e = dw::exponent_of(f.hi);
  return {t.m * dw::ldexp(f, -e), t.k + e};
}
inline Term mul(Term t, double f) { return mul(t, DD{f, 0.0}); }
inline Term add(Term a, Term b) {
  if (!std::isfinite(a.m.hi) || !std::isfinite(b.m.hi)) return {a.m + b.m, 0};
  if (b.m.hi == 0.0) return a;
  if (a.m.hi == 0.0) return b;
  a = normalize(a);
  b = normalize(b);
  if (a.k < b.k) std::swap(a, b);
  return {a.m + dw::ldexp(b.m, b.k - a.k), a.k};
}

// l·f as a Term. In DD the product is formed on normalized mantissas (mul above), so that a
// subnormal-sized product (a probability of 2^-1074 times its log, ~744·2^-1074) keeps its
// full precision until the final rounding instead of being rounded to the subnormal grid, and
// then weighted, summed or averaged (which turned 0.47 ulp into 29 ulp for a weighted BCE).
// binary64 (the float kernels): float operands leave nothing near binary64's subnormals.
template <class W, class F>
Term times(W l, F f) {
  if constexpr (std::is_same_v<W, double>) {
    return term(l * f);
  } else {
    return mul(term(l), wm::to_dd(f));
  }
}
inline Term neg(Term t) { return {-t.m, t.k}; }

// The value of a term, rounded once to T: a normal result is the mantissa rounded to double
// then scaled exactly (scaling the DD first would round its low part into the subnormal range
// for results near DBL_MIN); a subnormal result is rounded once from the full DD value.
template <class T>
T round_to(Term t) {
  const double v = dw::to_double(t.m);
  if (t.k == 0) return static_cast<T>(v);
  const double r = dw::scale2(v, t.k);
  if (!std::isfinite(r) || std::fabs(r) >= std::numeric_limits<double>::min()) {
    return static_cast<T>(r);
  }
  return static_cast<T>(dw::to_double(dw::ldexp(t.m, t.k)));
}
template <class T>
T round_to(DD v) {
  return static_cast<T>(dw::to_double(v));
}
template <class T>
T round_to(double v) {
  return static_cast<T>(v);
}

// Sum of terms in DD, with a binary exponent so that a sum of finite terms beyond DBL_MAX (or a
// term beyond it) does not overflow: the running sum is kept below 2^1000 by rescaling it by
// powers of two (terms far below the sum then lose bits under 2^-1074 of the scaled sum:
// nothing at the sum's precision). The first nonzero term sets the exponent, so a sum of
// scaled tiny terms (squares of 1e-200) stays exact too. Each addition errs by <= 3u²
// relative (DD addition). Non-finite terms propagate as in IEEE arithmetic.
class Accumulator {
 public:
  void add(Term t) {
    if (t.k == e_ && !(std::fabs(t.m.hi) >= 0x1p1000)) {  // the common case (or NaN)
      s_ = s_ + t.m;
      if (std::fabs(s_.hi) > 0x1p1000) rescale();
      return;
    }
    if (!std::isfinite(t.m.hi) || !std::isfinite(s_.hi)) {
      s_ = s_ + t.m;
      return;
    }
    if (t.m.hi == 0.0) return;
    if (s_.hi == 0.0) {  // the first nonzero term sets the scale (a tiny scaled term keeps it)
      s_ = t.m;
      e_ = t.k;
      return;
    }
    const int te = dw::exponent_of(t.m.hi) + t.k;
    if (te - e_ > 1000) {  // keep every scaled term below 2^1001
      const int ne = te - 960;
      s_ = dw::ldexp(s_, e_ - ne);
      e_ = ne;
    }
    s_ = s_ + (t.k == e_ ? t.m : dw::ldexp(t.m, t.k - e_));
    if (std::fabs(s_.hi) > 0x1p1000) rescale();
  }
  void add(DD x) { add(term(x)); }
  void add(double x) { add(term(x)); }

  // The sum, as DD·2^exponent.
  Term value() const { return {s_, e_}; }

 private:
  void rescale() {
    if (!std::isfinite(s_.hi)) return;
    s_ = dw::ldexp(s_, -64);
    e_ += 64;
  }

  DD s_{};
  int e_ = 0;
};

// A Term in the working type W (its exponent applied; beyond the double range: ±inf or the
// subnormal rounding).
template <class W>
W to_wide(Term t) {
  const DD v = t.k == 0 ? t.m : dw::ldexp(t.m, t.k);
  if constexpr (std::is_same_v<W, DD>) {
    return v;
  } else {
    return dw::to_double(v);
  }
}

// sum / weight as a Term (weights: a count, or a sum of per-sample weights).
inline Term divide(Term sum, Term weight) {
  if (weight.k == 0) return {sum.m / weight.m, sum.k};
  return {sum.m / weight.m, sum.k - weight.k};
}

// Writes the reduction of terms: none -> out[i] = term(i); sum -> out[0] = Σ; mean -> Σ divided
// by divisor() (a Term: a count, or a sum of weights; called for mean only). The output length
// was validated by detail::check_reduction_output.
template <class T, class TermFn, class DivisorFn>
void reduce(Reduction reduction, std::size_t n, std::span<T> out, TermFn&& fn,
            DivisorFn&& divisor) {
  if (reduction == Reduction::none) {
    for (std::size_t i = 0; i < n; ++i) out[i] = round_to<T>(term(fn(i)));
    return;
  }
  Accumulator acc;
  for (std::size_t i = 0; i < n; ++i) acc.add(term(fn(i)));
  Term v = acc.value();
  if (reduction == Reduction::mean) v = divide(v, divisor());
  out[0] = round_to<T>(v);
}

// The same with mean -> Σ / n.
template <class T, class TermFn>
void reduce(Reduction reduction, std::size_t n, std::span<T> out, TermFn&& fn) {
  reduce(reduction, n, out, fn, [n] { return term(static_cast<double>(n)); });
}

// a - b = d·2^-k exactly (barring bits below 2^-1074 of a huge difference's scaled low part):
// k = 0, unless |a - b| is beyond 2^±500 or overflows binary64; then d is in [1, 2), so that
// its square, or its quotient by a large number, neither overflows nor underflows.
struct ScaledDiff {
  DD d;
  int k = 0;
};
inline ScaledDiff scaled_diff(double a, double b) {
  DD d = dw::two_sum(a, -b);
  if (std::isnan(d.hi) || d.hi == 0.0) return {d, 0};
  if (std::isinf(d.hi)) {
    if (std::isinf(a) || std::isinf(b)) return {d, 0};
    d = dw::two_sum(a * 0.25, -(b * 0.25));  // exact (the operands are huge)
    const int e = dw::exponent_of(d.hi);
    return {dw::ldexp(d, -e), -(e + 2)};
  }
  const int e = dw::exponent_of(d.hi);
  if (e > 500 || e < -500) return {dw::ldexp(d, -e), -e};
  return {d, 0};
}

// Drives an elementwise loss of two equal-length operands a, b: validates the lengths and the
// output, then reduces term(i) (a double, DD or Term).
template <class T, class F>
void elementwise(std::string_view fn, std::string_view a_name, std::span<const T> a,
                 std::string_view b_name, std::span<const T> b, std::span<T> out,
                 Reduction reduction, F&& term_of) {
  detail::check_same_length(fn, a_name, a.size(), b_name, b.size());
  detail::check_reduction_output(fn, reduction, a.size(), out.size());
  reduce(reduction, a.size(), out, term_of);
}

// ---------------------------------------------------------------------------------------------
// Validation: std::invalid_argument "nnconform::impl::<fn>: <problem>" (detail::fail).
// A NaN input passes every domain check (NaN in gives NaN out, as the reference); a NaN
// parameter does not (the reference rejects it).
// ---------------------------------------------------------------------------------------------

// The shortest decimal that reads back as v.
std::string show(double v);

[[noreturn]] void fail_domain(std::string_view fn, std::string_view name, std::size_t i, double v,
                              std::string_view domain);

// Every element in [0, 1].
template <class T>
void check_unit_interval(std::string_view fn, std::string_view name, std::span<const T> v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] < T(0) || v[i] > T(1)) fail_domain(fn, name, i, v[i], "[0, 1]");
  }
}

// Every element in [0, inf) (weights).
template <class T>
void check_weights(std::string_view fn, std::string_view name, std::span<const T> v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] < T(0) || std::isinf(v[i])) fail_domain(fn, name, i, v[i], "[0, inf)");
  }
}

// A real parameter in the range lo..hi (open or closed ends); NaN fails.
void check_param(std::string_view fn, std::string_view name, double v, double lo, bool lo_open,
                 double hi, bool hi_open);

// Only the reductions in `allowed` (none/mean/sum).
void check_reduction_allowed(std::string_view fn, Reduction r, bool none_ok, bool mean_ok,
                             bool sum_ok);

// An optional per-element (or per-class) weight operand: empty, or of length n.
void check_optional_length(std::string_view fn, std::string_view name, std::size_t size,
                           std::size_t n, std::string_view what);

// Class indices in [0, c), except those equal to ignore_index (when `ignore` is true).
void check_indices(std::string_view fn, std::span<const std::int64_t> t, std::size_t c,
                   bool ignore, std::int64_t ignore_index);

// The kernel of nn.hpp's mse (defined in losses_regression.cpp, called from losses.cpp).
void mse_kernel(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
                Reduction reduction);
void mse_kernel(std::span<const double> y, std::span<const double> yhat,
                std::span<double> out, Reduction reduction);

}  // namespace nnconform::impl::lc
