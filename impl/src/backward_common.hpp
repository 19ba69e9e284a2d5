// Shared machinery of the backward kernels (include/nnconform/impl/backward.hpp): double-double
// evaluation helpers, rounding once to the output type, upstream gradients and reduction scales,
// and argument validation. Private to nnconform_impl; plain C++20 and the standard library.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "detail.hpp"
#include "dw_math.hpp"
#include "nnconform/impl/backward.hpp"

namespace nnconform::impl::bw {

using dw::DD;

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline DD mk(double x) { return {x, 0.0}; }
inline bool is_nan(DD x) { return std::isnan(x.hi); }

// The value rounded once to T (the DD value's nearest double; for float, that double rounded
// again, within 2^-29 ulp of a float tie: see backward.hpp).
template <class T>
T round_to(DD v) {
  const double d = dw::to_double(v);
  if constexpr (std::is_same_v<T, float>) {
    // A double that is exactly a float tie while the DD value is not: nudge toward it.
    const float f = static_cast<float>(d);
    if (std::isfinite(d) && v.lo != 0.0 && static_cast<double>(f) != d) {
      const float other = std::nextafter(f, d > static_cast<double>(f) ? kInf : -kInf);
      const double mid = (static_cast<double>(f) + static_cast<double>(other)) / 2.0;
      if (mid == d) return (v.lo > 0.0) == (other > f) ? other : f;
    }
    return f;
  } else {
    return d;
  }
}

// sigmoid(x) in DD, x a double (NaN -> NaN, +-inf -> 1, 0).
inline DD sigmoid(double x) {
  if (std::isnan(x)) return mk(kNaN);
  if (x == kInf) return mk(1.0);
  if (x == -kInf) return mk(0.0);
  return dw::sigmoid(mk(x));
}
inline DD sigmoid(DD x) {
  if (std::isnan(x.hi)) return mk(kNaN);
  if (std::isinf(x.hi)) return mk(x.hi > 0 ? 1.0 : 0.0);
  return dw::sigmoid(x);
}
// softplus(x) = log(1 + e^x) in DD.
inline DD softplus(DD x) { return dw::softplus(x); }
// tanh(x) in DD from expm1: tanh(x) = expm1(2x) / (expm1(2x) + 2), odd, |x| > 40 -> +-1 to 2^-115.
inline DD tanh(DD x) {
  if (std::isnan(x.hi)) return x;
  const bool neg = x.hi < 0;
  const DD a = neg ? -x : x;
  if (a.hi > 40.0) return mk(neg ? -1.0 : 1.0);
  const DD e = dw::expm1(a * 2.0);
  const DD t = e / (e + 2.0);
  return neg ? -t : t;
}

// log(a / b) for positive a, b: of the ratio where it lies in [1/2, 2] (no cancellation, the
// ratio exact to 2^-104), else log a - log b (no cancellation either, and no under/overflow of
// a ratio of extreme values).
inline DD log_ratio(DD a, DD b) {
  const DD r = a / b;
  if (r.hi >= 0.5 && r.hi <= 2.0) return dw::log(r);
  return dw::log(a) - dw::log(b);
}

// Multiplies a DD by the upstream g and a scale (both doubles; scale is 1 or 1/N as a DD).
inline DD times(DD v, double g, DD scale) {
  if (g != 1.0) v = v * g;
  if (!(scale.hi == 1.0 && scale.lo == 0.0)) v = v * scale;
  return v;
}

// ---- validation ----

inline std::string name_of(std::string_view fn) { return std::string(fn) + "_backward"; }

inline void check_len(std::string_view fn, std::string_view name, std::size_t size, std::size_t n) {
  if (size != n)
    detail::fail(fn, std::string(name) + " has " + std::to_string(size) + " elements, expected " +
                         std::to_string(n));
}
// An output span: empty (not wanted) or of length n.
inline void check_out(std::string_view fn, std::string_view name, std::size_t size, std::size_t n) {
  if (size != 0 && size != n)
    detail::fail(fn, std::string(name) + " has " + std::to_string(size) + " elements, expected " +
                         std::to_string(n) + " (or 0: not computed)");
}
// Upstream g of an elementwise function or of an unreduced loss: empty (ones) or n values; of a
// reduced loss: empty (1) or one value.
inline void check_upstream(std::string_view fn, std::size_t size, std::size_t n) {
  if (size != 0 && size != n)
    detail::fail(fn, "g has " + std::to_string(size) + " elements, expected " + std::to_string(n) +
                         " (or 0: ones)");
}
inline void check_upstream_reduced(std::string_view fn, Reduction r, std::size_t size, std::size_t n) {
  if (r == Reduction::none) {
    check_upstream(fn, size, n);
  } else if (size > 1) {
    detail::fail(fn, "g has " + std::to_string(size) +
                         " elements, expected 1 (the gradient of the reduced loss) or 0");
  }
  if (r == Reduction::mean && n == 0) detail::fail(fn, "reduction mean over an empty batch");
}
// g for sample i.
template <class T>
double upstream(std::span<const T> g, Reduction r, std::size_t i) {
  if (g.empty()) return 1.0;
  return static_cast<double>(r == Reduction::none ? g[i] : g[0]);
}
template <class T>
double upstream(std::span<const T> g, std::size_t i) {
  return g.empty() ? 1.0 : static_cast<double>(g[i]);
}
// 1/N for mean (N a count or a total weight), 1 otherwise.
inline DD scale_of(Reduction r, DD total) {
  if (r != Reduction::mean) return mk(1.0);
  return mk(1.0) / total;
}

// A row of logits shifted by its maximum m, as the specs' formulas evaluate it: e_j = e^(z_j - m)
// in DD (exactly 1 at the k maxima, z_j - m carried exactly), also as a mantissa and exponent
// (es, so that a product with e_j that lands in the subnormal range is rounded once), rest = the
// sum over the non-maxima, sum = k + rest. With m = +inf (a +inf logit) the finite and -inf
// entries have e = 0 and the +inf ones NaN; with m = -inf (all -inf) every e is NaN. nan: the
// row holds NaN or its maximum is infinite (softmax-type results are NaN there).
struct RowExp {
  std::vector<DD> e;
  std::vector<dw::Scaled> es;
  DD rest{0.0, 0.0};
  DD sum{0.0, 0.0};
  double m = 0.0;
  std::size_t argmax = 0;  // first maximum
  std::size_t k = 0;
  bool nan = false;
};
// e_j factor g scale, rounded once even in the subnormal range.
inline DD e_times(const RowExp& r, std::size_t j, DD factor) {
  const dw::Scaled& s = r.es[j];
  const DD v = s.m * factor;
  if (s.k == 0 || !std::isfinite(v.hi) || v.hi == 0.0) return v;
  return dw::ldexp(v, s.k);
}
RowExp row_exp(std::span<const double> z);

void check_param(std::string_view fn, std::string_view name, double v, double lo, bool lo_open,
                 double hi, bool hi_open);

template <class T>
void check_unit(std::string_view fn, std::string_view name, std::span<const T> v) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] < T(0) || v[i] > T(1))
      detail::fail(fn, std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(v[i]) +
                           " is outside [0, 1]");
}
template <class T>
void check_weights(std::string_view fn, std::string_view name, std::span<const T> v) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] < T(0) || std::isinf(v[i]))
      detail::fail(fn, std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(v[i]) +
                           " is outside [0, inf)");
}
template <class T>
void check_labels(std::string_view fn, std::span<const T> y, bool zero_one) {
  for (std::size_t i = 0; i < y.size(); ++i) {
    const T v = y[i];
    if (std::isnan(v)) continue;
    const bool ok = zero_one ? (v == T(0) || v == T(1)) : (v == T(-1) || v == T(1));
    if (!ok)
      detail::fail(fn, "y[" + std::to_string(i) + "] = " + std::to_string(v) +
                           (zero_one ? " is not a label 0 or 1" : " is not a label -1 or +1"));
  }
}

}  // namespace nnconform::impl::bw
