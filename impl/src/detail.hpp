// Private building blocks of nnconform_impl: the wide evaluation type, error-free
// transformations, compensated summation, 0·log 0 primitives and argument validation.
// Not installed, not part of the API (see include/nnconform/impl/nn.hpp for the contracts).
//
// Plain C++20 and the standard library only: nothing here may include MPFR or anything from
// reference/ (a judge that shares code with the judged proves nothing).
#pragma once

#ifdef __FAST_MATH__
#error "nnconform_impl relies on IEEE 754 semantics (NaN, inf, subnormals, signed zero, exact \
error-free transformations): do not compile it with -ffast-math"
#endif
// The error-free transformations below also need each operation rounded as written: the
// library is compiled with -ffp-contract=off (impl/CMakeLists.txt), since contracting
// c·a - a into an FMA would break Veltkamp's splitting.

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "nnconform/impl/nn.hpp"

namespace nnconform::impl::detail {

// Every kernel evaluates in binary64 and rounds once to the output type. For binary32 this
// makes the result correctly rounded except within ~2^-25 ulp of a rounding boundary (the binary64
// evaluation errs by a few 2^-53 relative); for binary64 it is the working precision.
using Wide = double;

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// a - b = hi + lo exactly (Knuth's TwoSum, branch-free, 6 flops; exact for any finite
// operands barring overflow of hi: Knuth TAOCP vol. 2 §4.2.2, Theorem B). When hi is not
// finite, lo is 0 so that callers can add it unconditionally.
struct Difference {
  double hi;
  double lo;
};

inline Difference two_diff(double a, double b) {
  const double hi = a - b;
  if (!std::isfinite(hi)) return {hi, 0.0};
  const double nb = -b;
  const double bv = hi - a;
  const double av = hi - bv;
  const double lo = (a - av) + (nb - bv);
  return {hi, lo};
}

// a·b = hi + lo exactly (Dekker's product with Veltkamp's splitting, 17 flops, no FMA needed:
// Dekker 1971, Numer. Math. 18; exact barring overflow or underflow of the partial products).
// Above 2^995 in magnitude the splitting would overflow; there, and where a·b overflows or is
// not finite, lo = 0.
struct Product {
  double hi;
  double lo;
};

struct Split {
  double h;
  double l;
};

inline Split veltkamp_split(double a) {
  const double t = (0x1p27 + 1.0) * a;  // a = h + l, each with <= 26 significant bits
  const double h = t - (t - a);
  return {h, a - h};
}

inline Product two_prod(double a, double b) {
  const double hi = a * b;
  if (!(std::fabs(a) < 0x1p995 && std::fabs(b) < 0x1p995) || !std::isfinite(hi)) return {hi, 0.0};
  const Split x = veltkamp_split(a);
  const Split y = veltkamp_split(b);
  const double lo = (((x.h * y.h - hi) + x.h * y.l) + x.l * y.h) + x.l * y.l;
  return {hi, lo};
}

// exp(a - b) with the rounding error of the subtraction compensated:
// exp(hi + lo) = exp(hi)·(1 + lo + O(lo²)), and |lo| <= 2^-53·|hi|. Without this, a shift
// a - b of magnitude ~700 would put up to 2^-44 absolute error in the argument, i.e. ~250 ulp
// of relative error in the exponential. The error is therefore that of std::exp plus < 2^-80.
inline double exp_diff(double a, double b) {
  const Difference d = two_diff(a, b);
  const double e = std::exp(d.hi);
  return e + e * d.lo;
}

// Neumaier's compensated summation (Neumaier 1974, the Kahan–Babuška variant that also
// handles summands larger than the running sum). It computes the same result as Sum2 of
// Ogita, Rump & Oishi ("Accurate sum and dot product", SIAM J. Sci. Comput. 26(6), 2005),
// for which |result - s| <= u·|s| + γ²_{n-1}·Σ|x_i|, u = 2^-53, γ_k = k·u/(1 - k·u), absent
// overflow. For summands of one sign (every loss below) this is <= (1 + 2^-50·n²)·u·|s|,
// i.e. about one rounding, independently of n for n < 2^20.
// Infinities and NaN propagate as in plain IEEE summation (once the running sum is not
// finite it stays so, and the compensation term is then ignored).
class CompensatedSum {
 public:
  void add(double x) {
    const double t = s_ + x;
    if (std::fabs(s_) >= std::fabs(x)) {
      c_ += (s_ - t) + x;
    } else {
      c_ += (x - t) + s_;
    }
    s_ = t;
  }
  double value() const { return std::isfinite(s_) ? s_ + c_ : s_; }

 private:
  double s_ = 0.0;
  double c_ = 0.0;
};

// x·log(y) with 0·log(y) = 0 for every y that is not NaN (y = 0 included), as in
// scipy.special.xlogy and torch.xlogy. A NaN in either argument gives NaN.
inline double xlogy(double x, double y) {
  if (std::isnan(y)) return kNaN;
  if (x == 0.0) return 0.0;
  return x * std::log(y);
}

// log(1 - p): for p >= 1/2, 1 - p is exact (Sterbenz) and log is glibc's most accurate
// logarithm (observed 2.3 ulp with log1p(-p) near p = 1, 1.2 ulp this way); below, log1p(-p).
inline double log1m(double p) { return p >= 0.5 ? std::log(1.0 - p) : std::log1p(-p); }

// x·log(1 - p) with 0·log(1 - p) = 0 for every p that is not NaN (scipy's xlog1py(x, -p)).
inline double xlog1mp(double x, double p) {
  if (std::isnan(p)) return kNaN;
  if (x == 0.0) return 0.0;
  return x * log1m(p);
}

// The maximum of a row and the index of its first occurrence, NaN noted apart (a plain
// `z > m` scan would skip NaN silently).
struct RowMax {
  double m = -kInf;
  std::size_t k = 0;
  bool has_nan = false;
};

template <class T>
RowMax row_max(std::span<const T> row) {
  RowMax r;
  for (std::size_t j = 0; j < row.size(); ++j) {
    const double v = static_cast<double>(row[j]);
    if (std::isnan(v)) {
      r.has_nan = true;
    } else if (v > r.m) {
      r.m = v;
      r.k = j;
    }
  }
  return r;
}

// Σ_{j != k} exp(z_j - m) for a row whose maximum m (finite) sits at index k. The sum of
// the whole row is 1 + this; keeping the 1 apart lets log-sum-exp use log1p, which matters
// when one logit dominates (lse - m tiny: log(1 + s) would lose it entirely).
template <class T>
double sum_exp_others(std::span<const T> row, const RowMax& r) {
  CompensatedSum s;
  for (std::size_t j = 0; j < row.size(); ++j) {
    if (j != r.k) s.add(exp_diff(static_cast<double>(row[j]), r.m));
  }
  return s.value();
}

// ---- validation: every failure is std::invalid_argument naming the function ----

[[noreturn]] void fail(std::string_view function, const std::string& problem);

// Elementwise operands must all have the same length.
void check_same_length(std::string_view function, std::string_view a_name, std::size_t a_size,
                       std::string_view b_name, std::size_t b_size);

// A batch operand named `name` with `size` elements must hold shape.n rows of shape.c > 0.
void check_shape(std::string_view function, std::string_view name, std::size_t size,
                 Shape shape);

// The output of a reduction: n values for none, one value for mean or sum; mean needs n > 0.
void check_reduction_output(std::string_view function, Reduction reduction, std::size_t n,
                            std::size_t out_size);

// Maps the binary64 kernel f over x into out (lengths checked first), rounding once to T.
template <class T, class F>
void apply(std::string_view function, std::span<const T> x, std::span<T> out, F f) {
  check_same_length(function, "x", x.size(), "out", out.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    out[i] = static_cast<T>(f(static_cast<Wide>(x[i])));
  }
}

// A real parameter whose spec range is (-inf, inf) must be finite (NaN and ±inf rejected).
void check_finite_param(std::string_view function, std::string_view name, double value);

// Writes term(i) for i < n (reduction none), or their compensated sum, or that sum / n.
// The division by n (exact in binary64 for n < 2^53) adds one rounding.
template <class T, class Term>
void reduce_into(Reduction reduction, std::size_t n, std::span<T> out, Term term) {
  if (reduction == Reduction::none) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(term(i));
    return;
  }
  CompensatedSum s;
  for (std::size_t i = 0; i < n; ++i) s.add(term(i));
  double v = s.value();
  if (reduction == Reduction::mean) v /= static_cast<double>(n);
  out[0] = static_cast<T>(v);
}

}  // namespace nnconform::impl::detail
