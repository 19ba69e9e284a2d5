// Losses: cross_entropy (from logits), kl_divergence, entropy, cross_entropy_dist,
// binary_cross_entropy, mse (contracts in nn.hpp). Each computes one binary64 term per row or
// element; detail::reduce_into writes the terms or their compensated sum / mean.
#include <cmath>
#include <string>

#include "detail.hpp"

namespace nnconform::impl {
namespace {

using detail::kInf;
using detail::kNaN;

// ---- per-row and per-element terms (binary64) ----

// log Σ e^(z_j) - z_t = (m - z_t) + log1p(s), m - z_t = hi + lo exactly; both terms >= 0.
template <class T>
double cross_entropy_row(std::span<const T> row, std::size_t t) {
  const detail::RowMax r = detail::row_max(row);
  const double zt = static_cast<double>(row[t]);
  if (r.has_nan) return kNaN;
  if (!std::isfinite(r.m)) return r.m - zt;  // lse = ±inf: +inf, or NaN for inf - inf
  const double l = std::log1p(detail::sum_exp_others(row, r));
  const detail::Difference d = detail::two_diff(r.m, zt);  // z_t = -inf: hi = +inf
  return (d.hi + l) + d.lo;
}

// p·log(p/q) with 0·log(0/q) = 0 (q = 0 included) and p > 0, q = 0 -> +inf.
double kl_term(double p, double q) {
  if (std::isnan(p) || std::isnan(q)) return kNaN;
  if (p == 0.0) return 0.0;
  if (q == 0.0) return p > 0.0 ? kInf : kNaN;
  const double r = p / q;
  if (r >= 0.5 && r <= 2.0) {
    // p - q is exact here (Sterbenz), so log(p/q) = log1p((p - q)/q) has the relative accuracy
    // of one division and log1p even when p ≈ q, and is exactly 0 when p == q.
    return p * std::log1p((p - q) / q);
  }
  if (std::isnormal(r)) return p * std::log(r);  // |log r| > log 2: the rounding of r is harmless
  // p/q overflowed or lost precision to underflow (or is negative/NaN: invalid input, the logs
  // give NaN). log p and log q then differ by more than 700: no cancellation.
  return p * (std::log(p) - std::log(q));
}

// ---- kernels ----

template <class T>
void cross_entropy_impl(std::span<const T> z, std::span<const std::int64_t> t, Shape shape,
                        std::span<T> out, Reduction reduction) {
  constexpr std::string_view fn = "cross_entropy";
  detail::check_shape(fn, "z", z.size(), shape);
  detail::check_same_length(fn, "t", t.size(), "the number of rows N", shape.n);
  detail::check_reduction_output(fn, reduction, shape.n, out.size());
  for (std::size_t i = 0; i < shape.n; ++i) {
    if (t[i] < 0 || static_cast<std::uint64_t>(t[i]) >= shape.c) {
      detail::fail(fn, "class index t[" + std::to_string(i) + "] = " + std::to_string(t[i]) +
                           " is out of range [0, " + std::to_string(shape.c) + ")");
    }
  }
  const std::size_t c = shape.c;
  detail::reduce_into(reduction, shape.n, out, [&](std::size_t i) {
    return cross_entropy_row(z.subspan(i * c, c), static_cast<std::size_t>(t[i]));
  });
}

// Row losses of two distributions (or one, with q = p unused): Σ_j term(p_ij, q_ij).
template <class T, class Term>
void distribution_loss(std::string_view fn, std::span<const T> p, std::span<const T> q,
                       Shape shape, std::span<T> out, Reduction reduction, Term term) {
  detail::check_shape(fn, "p", p.size(), shape);
  detail::check_shape(fn, "q", q.size(), shape);
  detail::check_reduction_output(fn, reduction, shape.n, out.size());
  const std::size_t c = shape.c;
  detail::reduce_into(reduction, shape.n, out, [&](std::size_t i) {
    detail::CompensatedSum s;
    for (std::size_t j = i * c; j < (i + 1) * c; ++j) {
      s.add(term(static_cast<double>(p[j]), static_cast<double>(q[j])));
    }
    return s.value();
  });
}

template <class T>
void kl_divergence_impl(std::span<const T> p, std::span<const T> q, Shape shape,
                        std::span<T> out, Reduction reduction) {
  distribution_loss("kl_divergence", p, q, shape, out, reduction, kl_term);
}

template <class T>
void entropy_impl(std::span<const T> p, Shape shape, std::span<T> out, Reduction reduction) {
  distribution_loss("entropy", p, p, shape, out, reduction,
                    [](double pj, double) { return -detail::xlogy(pj, pj); });
}

template <class T>
void cross_entropy_dist_impl(std::span<const T> p, std::span<const T> q, Shape shape,
                             std::span<T> out, Reduction reduction) {
  distribution_loss("cross_entropy_dist", p, q, shape, out, reduction,
                    [](double pj, double qj) { return -detail::xlogy(pj, qj); });
}

// Elementwise losses of two equal-length operands.
template <class T, class Term>
void elementwise_loss(std::string_view fn, std::string_view a_name, std::span<const T> a,
                      std::string_view b_name, std::span<const T> b, std::span<T> out,
                      Reduction reduction, Term term) {
  detail::check_same_length(fn, a_name, a.size(), b_name, b.size());
  detail::check_reduction_output(fn, reduction, a.size(), out.size());
  detail::reduce_into(reduction, a.size(), out, [&](std::size_t i) {
    return term(static_cast<double>(a[i]), static_cast<double>(b[i]));
  });
}

// -[y log p + (1 - y) log(1 - p)]; both products are <= 0 for y, p in [0, 1].
// An exact zero loss is +0 (-(0 + -0) would be -0).
double bce_term(double y, double p) {
  const double v = -(detail::xlogy(y, p) + detail::xlog1mp(1.0 - y, p));
  return v == 0.0 ? 0.0 : v;
}

// (y - yhat)² with y - yhat = hi + lo and hi² = sq.hi + sq.lo exactly:
// sq.hi + (sq.lo + 2·hi·lo), neglecting lo² < 2^-106·d². The bracket is below ulp(sq.hi) and
// carries a relative error ~2^-52, so the sum is the correctly rounded d² unless d² lies within
// ~2^-50 ulp of a rounding boundary: error <= 0.5 ulp + 2^-50 ulp.
double mse_term(double y, double yhat) {
  const detail::Difference d = detail::two_diff(y, yhat);
  if (!std::isfinite(d.hi)) return d.hi * d.hi;  // +inf or NaN (lo is 0 there: inf·0 = NaN)
  const detail::Product sq = detail::two_prod(d.hi, d.hi);
  if (!std::isfinite(sq.hi)) return sq.hi;
  return sq.hi + (sq.lo + 2.0 * d.hi * d.lo);
}

template <class T>
void binary_cross_entropy_impl(std::span<const T> y, std::span<const T> p, std::span<T> out,
                               Reduction reduction) {
  elementwise_loss("binary_cross_entropy", "y", y, "p", p, out, reduction, bce_term);
}

template <class T>
void mse_impl(std::span<const T> y, std::span<const T> yhat, std::span<T> out,
              Reduction reduction) {
  elementwise_loss("mse", "y", y, "yhat", yhat, out, reduction, mse_term);
}

}  // namespace

void cross_entropy(std::span<const float> z, std::span<const std::int64_t> t, Shape shape,
                   std::span<float> out, Reduction reduction) {
  cross_entropy_impl(z, t, shape, out, reduction);
}
void cross_entropy(std::span<const double> z, std::span<const std::int64_t> t, Shape shape,
                   std::span<double> out, Reduction reduction) {
  cross_entropy_impl(z, t, shape, out, reduction);
}

void kl_divergence(std::span<const float> p, std::span<const float> q, Shape shape,
                   std::span<float> out, Reduction reduction) {
  kl_divergence_impl(p, q, shape, out, reduction);
}
void kl_divergence(std::span<const double> p, std::span<const double> q, Shape shape,
                   std::span<double> out, Reduction reduction) {
  kl_divergence_impl(p, q, shape, out, reduction);
}

void entropy(std::span<const float> p, Shape shape, std::span<float> out, Reduction reduction) {
  entropy_impl(p, shape, out, reduction);
}
void entropy(std::span<const double> p, Shape shape, std::span<double> out,
             Reduction reduction) {
  entropy_impl(p, shape, out, reduction);
}

void cross_entropy_dist(std::span<const float> p, std::span<const float> q, Shape shape,
                        std::span<float> out, Reduction reduction) {
  cross_entropy_dist_impl(p, q, shape, out, reduction);
}
void cross_entropy_dist(std::span<const double> p, std::span<const double> q, Shape shape,
                        std::span<double> out, Reduction reduction) {
  cross_entropy_dist_impl(p, q, shape, out, reduction);
}

void binary_cross_entropy(std::span<const float> y, std::span<const float> p,
                          std::span<float> out, Reduction reduction) {
  binary_cross_entropy_impl(y, p, out, reduction);
}
void binary_cross_entropy(std::span<const double> y, std::span<const double> p,
                          std::span<double> out, Reduction reduction) {
  binary_cross_entropy_impl(y, p, out, reduction);
}

void mse(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
         Reduction reduction) {
  mse_impl(y, yhat, out, reduction);
}
void mse(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
         Reduction reduction) {
  mse_impl(y, yhat, out, reduction);
}

}  // namespace nnconform::impl
