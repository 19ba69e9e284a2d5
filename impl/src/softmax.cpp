// Row functions: softmax, log_softmax, logsumexp (contracts in nn.hpp).
//
// Per row: m = max z_j at its first index k (detail::row_max), s = Σ_{j != k} exp(z_j - m)
// with the subtraction compensated and the sum compensated (detail::sum_exp_others). The row
// sum is 1 + s and log Σ e^(z_j) = m + log1p(s).
#include <cmath>
#include <type_traits>

#include "detail.hpp"

namespace nnconform::impl {
namespace {

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
      // Store e_j (read z_j first: in place is fine), then divide: no exp is computed twice.
      detail::CompensatedSum s;
      for (std::size_t j = 0; j < c; ++j) {
        const double e = detail::exp_diff(row[j], r.m);
        if (j != r.k) s.add(e);
        orow[j] = e;
      }
      const Total total = row_total(s.value());
      for (std::size_t j = 0; j < c; ++j) orow[j] = total.divide(orow[j]);
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
    if (!regular(r)) {
      fill_nan(orow);
      continue;
    }
    const double l = std::log1p(detail::sum_exp_others(row, r));  // >= 0
    for (std::size_t j = 0; j < c; ++j) {
      // (z_j - m) - l with z_j - m = hi + lo exactly; hi <= 0 and -l <= 0 do not cancel.
      const detail::Difference d = detail::two_diff(static_cast<double>(row[j]), r.m);
      orow[j] = static_cast<T>((d.hi - l) + d.lo);
    }
  }
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
    } else {
      v = r.m + std::log1p(detail::sum_exp_others(row, r));
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
