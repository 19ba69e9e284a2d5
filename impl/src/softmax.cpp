// Row functions: softmax, log_softmax, logsumexp (contracts in nn.hpp).
//
// Per row: m = max z_j at its first index k (detail::row_max), s = Σ_{j != k} exp(z_j - m)
// with the subtraction compensated and the sum compensated (detail::sum_exp_others). The row
// sum is 1 + s and log Σ e^(z_j) = m + log1p(s).
//
// float: that evaluation in binary64 (a few 2^-53 relative: ~2^-28 ulp of a float), but for
// logsumexp near 0 with m < 0 (cancellation), which takes the double-double form.
// double: the same formulas in double-double (dw_math.hpp: z_j - m exact as a DD, exp to
// 2^-103, log1p to 2^-92, sums and quotient to ~2^-104 per operation), rounded once: error
// <= 0.5 ulp + 2^-38 ulp for softmax and log_softmax (terms without cancellation), and for
// logsumexp 0.5 ulp + 2^-92·(|m| + log1p(s))/|lse| ulp·2^53 (the m + log1p(s) cancellation
// where lse is near 0, the function's own condition): within 1 ulp unless |lse| <
// 2^-38·(|m| + log1p(s)); rows with |lse| < 2^-36·|m| take floating-point expansions instead
// (expansion.hpp: the sum to 2^-190, enough down to |lse| ~ 2^-130). The binary64 evaluation erred by up to 2.7 ulp (softmax), 2.3
// (log_softmax) and 2.2 (logsumexp) on the golden vectors, against strict tolerances of 2.
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "detail.hpp"
#include "expansion.hpp"
#include "loss_common.hpp"

namespace nnconform::impl {
namespace {

using detail::kInf;
using detail::kNaN;

template <class T>
void fill_nan(std::span<T> row) {
  for (T& v : row) v = std::numeric_limits<T>::quiet_NaN();
}

// The row sum 1 + s carried exactly as hi + lo (TwoSum), so that its rounding does not enter
// the quotient: e/(hi + lo) = q·(1 - lo/hi) to within 2^-106, q = e/hi.
struct Total {
  double hi;
  double lo;
  // e_j / total for a stored e_j.
  double divide(double e) const {
    const double q = e / hi;
    return q - q * (lo / hi);
  }
  // exp(d.hi + d.lo) / total, both first-order corrections folded into one rounding:
  // q·(1 + d.lo - lo/hi), q = exp(d.hi)/hi. (Observed 2.2 instead of 2.6 ulp in binary64, at
  // the price of a second exp per entry: used where the entry must be recomputed anyway.)
  double divide_exp(detail::Difference d) const {
    const double q = std::exp(d.hi) / hi;
    return q + q * (d.lo - lo / hi);
  }
};

Total row_total(double s) {
  const detail::Difference d = detail::two_diff(1.0, -s);
  return {d.hi, d.lo};
}

// A row whose max-shifted formula is defined: no NaN, max finite (not all -inf, no +inf).
bool regular(const detail::RowMax& r) { return !r.has_nan && std::isfinite(r.m); }

using lc::DD;

// The DD pieces of a regular row (m finite): s = Σ_{j != k} e^(z_j - m) with z_j - m exact
// (dw::two_sum; a difference beyond DBL_MAX is -inf and its exponential 0), each exponential
// kept as DD·2^e and summed by lc::Accumulator (nothing is lost to underflow before the sum),
// the row sum 1 + s, and l = log1p(s) (the DD 1 + s would keep only 106 bits of 1 + s, and a
// tiny s matters to log_softmax's largest entry).
struct RowDD {
  DD total;  // 1 + s
  DD l;      // log1p(s)
};

// e^(a - b) as DD·2^e, a - b exact.
lc::Term exp_diff_dd(double a, double b) {
  const dw::Scaled e = dw::exp_scaled(dw::two_sum(a, -b));
  return {e.m, e.k};
}

// Whether s > 0 exactly: an entry other than the first maximum is not -inf (its exponential is
// positive even where it underflows). Then a zero log_softmax is the rounding of a negative
// value: -0.
template <class T>
bool others_positive(std::span<const T> row, const detail::RowMax& r) {
  for (std::size_t j = 0; j < row.size(); ++j) {
    if (j != r.k && row[j] != -std::numeric_limits<T>::infinity()) return true;
  }
  return false;
}

template <class T>
RowDD row_dd(std::span<const T> row, const detail::RowMax& r) {
  lc::Accumulator acc;
  RowDD out;
  for (std::size_t j = 0; j < row.size(); ++j) {
    if (j == r.k) continue;
    const double v = static_cast<double>(row[j]);
    acc.add(exp_diff_dd(v, r.m));
  }
  const DD s = lc::to_wide<DD>(acc.value());
  out.total = s + 1.0;
  out.l = dw::log1p(s);
  return out;
}

template <class T>
void softmax_impl(std::span<const T> z, Shape shape, std::span<T> out) {
  detail::check_shape("softmax", "z", z.size(), shape);
  detail::check_shape("softmax", "out", out.size(), shape);
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i) {
    const std::span<const T> row = z.subspan(i * c, c);
    const std::span<T> orow = out.subspan(i * c, c);
    const detail::RowMax r = detail::row_max(row);
    if (!regular(r)) {
      fill_nan(orow);
      continue;
    }
    if constexpr (std::is_same_v<T, double>) {
      // e_j / (1 + s) in DD, each e_j scaled, rounded once (subnormal results included).
      // Every e_j is computed before anything is written (in place is allowed).
      const RowDD d = row_dd(row, r);
      std::vector<lc::Term> e(c);
      for (std::size_t j = 0; j < c; ++j) e[j] = exp_diff_dd(row[j], r.m);
      for (std::size_t j = 0; j < c; ++j) orow[j] = lc::round_to<T>(lc::Term{e[j].m / d.total, e[j].k});
    } else {
      // A float cannot hold e_j without a second rounding; recompute it in binary64 instead.
      const Total total = row_total(detail::sum_exp_others(row, r));
      for (std::size_t j = 0; j < c; ++j) {
        orow[j] = static_cast<T>(
            total.divide_exp(detail::two_diff(static_cast<double>(row[j]), r.m)));
      }
    }
  }
}

template <class T>
void log_softmax_impl(std::span<const T> z, Shape shape, std::span<T> out) {
  detail::check_shape("log_softmax", "z", z.size(), shape);
  detail::check_shape("log_softmax", "out", out.size(), shape);
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i) {
    const std::span<const T> row = z.subspan(i * c, c);
    const std::span<T> orow = out.subspan(i * c, c);
    const detail::RowMax r = detail::row_max(row);
    if (r.has_nan || r.m == -kInf) {  // NaN, or all -inf (z - m = -inf + inf): NaN
      fill_nan(orow);
      continue;
    }
    if (r.m == kInf) {
      // The spec's (z - m) - log(k) - log1p(s / k) with m = +inf: -inf for every entry
      // below +inf, NaN (inf - inf) for the +inf entries.
      for (std::size_t j = 0; j < c; ++j) orow[j] = row[j] == T(kInf) ? T(kNaN) : T(-kInf);
      continue;
    }
    if constexpr (std::is_same_v<T, double>) {
      // (z_j - m) - l in DD: z_j - m exact (<= 0; -inf beyond -DBL_MAX), l = log1p(s) >= 0,
      // no cancellation, one rounding. The largest entry's value is -l: a -0 when l
      // underflows but s > 0 (the exact value is negative), +0 when it is exactly 0.
      const RowDD d = row_dd(row, r);
      for (std::size_t j = 0; j < c; ++j) {
        const DD v = dw::two_sum(row[j], -r.m) - d.l;
        double y = dw::to_double(v);
        if (y == 0.0) y = others_positive(row, r) ? -0.0 : 0.0;
        orow[j] = y;
      }
      continue;
    }
    const double l = std::log1p(detail::sum_exp_others(row, r));  // >= 0
    for (std::size_t j = 0; j < c; ++j) {
      // (z_j - m) - l with z_j - m = hi + lo exactly; hi <= 0 and -l <= 0 do not cancel.
      const detail::Difference d = detail::two_diff(static_cast<double>(row[j]), r.m);
      T y = static_cast<T>((d.hi - l) + d.lo);
      if (y == T(0)) y = others_positive(row, r) ? T(-0.0) : T(0);
      orow[j] = y;
    }
  }
}

// logsumexp of a binary64 row whose result is near 0: T = sum of e^z_j (each z_j < 0) as an
// expansion (xp::exp: 2^-190 relative), x = T - 1 exactly (|x| < 2^-28: the caller's condition
// with |m| < 745, plus DD's error), log1p(x) = x - x²/2 + x³/3 (the rest x⁴/4 is below 2^-112
// relative to x; the x², x³ terms need only double precision beside x).
inline double logsumexp_near_zero(std::span<const double> row) {
  xp::X total = xp::from(0.0);
  for (double zj : row)
    if (zj >= -745.0) total = xp::add(total, xp::exp(zj));  // below, e^zj < 2^-1074
  const xp::X x = xp::add(total, -1.0);
  const double xh = xp::to_double(x), xl = xp::to_double(xp::add(x, -xh));
  return xh + (xl - 0.5 * xh * xh + xh * xh * xh / 3.0);
}

template <class T>
void logsumexp_impl(std::span<const T> z, Shape shape, std::span<T> out) {
  detail::check_shape("logsumexp", "z", z.size(), shape);
  detail::check_same_length("logsumexp", "out", out.size(), "the number of rows N", shape.n);
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i) {
    const std::span<const T> row = z.subspan(i * c, c);
    const detail::RowMax r = detail::row_max(row);
    double v;
    if (r.has_nan) {
      v = kNaN;
    } else if (!std::isfinite(r.m)) {
      v = r.m;  // all -inf: -inf; any +inf: +inf
    } else if constexpr (std::is_same_v<T, double>) {
      // m + log1p(s) in DD (m exact), rounded once: the only error is the DD evaluation's,
      // relative to |m| + l, which the cancellation m + l (m < 0, lse near 0) amplifies.
      v = dw::to_double(row_dd(row, r).l + r.m);
      // Where that cancellation exceeds DD (|lse| < 2^-36·|m|: rows of log-probabilities, whose
      // lse is near 2^-57), the sum of the e^z_j to ~2^-190 by expansions instead.
      if (r.m < 0 && std::abs(v) < 0x1p-36 * std::abs(r.m)) v = logsumexp_near_zero(row);
    } else {
      v = r.m + std::log1p(detail::sum_exp_others(row, r));
      // m + log1p(s) cancels where m < 0 and the result is near 0 (a row of log-probabilities):
      // binary64's 2^-53·|m| would be 2^-53/|lse| relative, 100 ulp of a float near 2^-40.
      // There the double-double form instead (2^-92·|m|).
      if (r.m < 0 && std::abs(v) < 0.5) v = dw::to_double(row_dd(row, r).l + r.m);
    }
    out[i] = static_cast<T>(v);
  }
}

}  // namespace

void softmax(std::span<const float> z, Shape shape, std::span<float> out) {
  softmax_impl(z, shape, out);
}
void softmax(std::span<const double> z, Shape shape, std::span<double> out) {
  softmax_impl(z, shape, out);
}

void log_softmax(std::span<const float> z, Shape shape, std::span<float> out) {
  log_softmax_impl(z, shape, out);
}
void log_softmax(std::span<const double> z, Shape shape, std::span<double> out) {
  log_softmax_impl(z, shape, out);
}

void logsumexp(std::span<const float> z, Shape shape, std::span<float> out) {
  logsumexp_impl(z, shape, out);
}
void logsumexp(std::span<const double> z, Shape shape, std::span<double> out) {
  logsumexp_impl(z, shape, out);
}

}  // namespace nnconform::impl
