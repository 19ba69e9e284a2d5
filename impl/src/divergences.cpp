// Divergences with every parameter of their specs: entropy and cross_entropy_dist (base e or
// 2), kl_divergence (base, q_is_log, p_is_log, elementwise_mean). nn.hpp's overloads (base e,
// defaults) forward here from losses.cpp. Contracts in losses.hpp.
#include <array>

#include "loss_common.hpp"

namespace nnconform::impl {
namespace {

using lc::DD;
using lc::Term;
using dw::kInf;
using dw::kNaN;
namespace wm = lc::wm;

// -xlogy(a, b): 0 for a = 0 (b not NaN), else -a·log b, as a Term (lc::times: a subnormal a
// times its log is rounded once, at the end).
template <class W>
Term neg_xlogy(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return lc::term(kNaN);
  if (a == 0.0) return Term{};
  return lc::neg(lc::times(wm::log(wm::lift<W>(b)), a));
}

// φ(d) = (1 + d)·log1p(d) - d = d²·Σ_{j>=0} (-d)^j / ((j + 1)(j + 2)), for |d| < 2^-10:
// DD: 11 terms (the first omitted one < 2^-110 relative); binary64: 6 terms (< 2^-60).
// The DD coefficients 1/((j + 1)(j + 2)) are computed once (DD divisions, <= 15u²).
const std::array<DD, 11>& phi_coefficients() {
  static const std::array<DD, 11> c = [] {
    std::array<DD, 11> r{};
    for (std::size_t j = 0; j < r.size(); ++j) {
      r[j] = DD{1.0, 0.0} / static_cast<double>((j + 1) * (j + 2));
    }
    return r;
  }();
  return c;
}

inline DD phi(DD d) {
  const auto& c = phi_coefficients();
  DD s = c[c.size() - 1];
  for (std::size_t j = c.size() - 1; j-- > 0;) s = c[j] - d * s;
  return (d * d) * s;
}

inline double phi(double d) {
  double s = 1.0 / 42.0;
  for (int j = 4; j >= 0; --j) s = 1.0 / ((j + 1) * (j + 2)) - d * s;
  return d * d * s;
}

// The KL term of probabilities p, q: where(p = 0, 0, p·log(p/q)) (p > 0, q = 0: +inf).
// Near p = q (|d| < 2^-10, d = (p - q)/q) as (p - q) + q·φ(d), the exact difference plus a
// non-negative Bregman term, so that a row of nearly equal distributions keeps its relative
// accuracy (and KL(p, p) = 0 exactly); elsewhere p·log(p/q), which cannot cancel by more than
// 2^11 against that Bregman term. A ratio that overflows or underflows takes log p - log q.
template <class W>
Term kl_prob_term(double p, double q) {
  if (std::isnan(q) || std::isnan(p)) return lc::term(p == 0.0 ? 0.0 : kNaN);
  if (p == 0.0) return Term{};  // the spec's where(p == 0, 0, ...), whatever q
  if (q == 0.0) return lc::term(kInf);
  const W diff = [&] {
    if constexpr (std::is_same_v<W, DD>) {
      return dw::two_sum(p, -q);  // exact
    } else {
      return p - q;  // float inputs: exact, or rounded where p and q are far apart
    }
  }();
  const W d = diff / q;
  if (std::fabs(wm::hi(d)) < 0x1p-10) return lc::term(diff + phi(d) * q);
  const W ratio = wm::lift<W>(p) / q;
  const double r = wm::hi(ratio);
  if (std::isinf(r) || r < 0x1p-969) {  // beyond DD precision: log p - log q, no cancellation
    return lc::times(wm::log(wm::lift<W>(p)) - wm::log(wm::lift<W>(q)), p);
  }
  return lc::times(wm::log(ratio), p);
}

// The spec's log-input terms. e^p is kept positive below the double range (scaled in DD, the
// smallest subnormal for the float path's binary64, whose finite products then still round to
// 0 in float), so that e^p·(p - log q) with q = 0 is +inf as in the mathematics, not 0·inf.
template <class W>
Term kl_log_term(double p, double q, bool p_is_log, bool q_is_log) {
  if (p_is_log) {
    const W diff = q_is_log ? wm::lift<W>(p) - q                             // e^p·(p - q)
                            : wm::lift<W>(p) - wm::log(wm::lift<W>(q));     // e^p·(p - log q)
    if constexpr (std::is_same_v<W, DD>) {
      return lc::mul(lc::term(dw::exp_scaled(DD{p, 0.0})), diff);
    } else {
      double pp = std::exp(p);
      if (pp == 0.0 && p > -kInf) pp = std::numeric_limits<double>::denorm_min();
      return lc::term(pp * diff);
    }
  }
  if (std::isnan(p) || std::isnan(q)) return lc::term(p == 0.0 ? 0.0 : kNaN);
  if (p == 0.0) return Term{};
  return lc::times(wm::log(wm::lift<W>(p)) - q, p);  // p·(log p - q)
}

// Divides a row sum by ln 2 for base 2.
Term in_base(Term t, LogBase base) {
  if (base == LogBase::e) return t;
  return {t.m / dw::kLn2, t.k};
}

void check_base(std::string_view fn, LogBase base) {
  if (base != LogBase::e && base != LogBase::two) {
    detail::fail(fn, "unknown base value " + std::to_string(static_cast<int>(base)));
  }
}

template <class T, class TermFn>
void row_divergence(std::string_view fn, std::span<const T> p, std::span<const T> q, Shape shape,
                    std::span<T> out, Reduction reduction, LogBase base, double row_weight,
                    TermFn term_of) {
  check_base(fn, base);
  detail::check_shape(fn, "p", p.size(), shape);
  detail::check_shape(fn, "q", q.size(), shape);
  detail::check_reduction_output(fn, reduction, shape.n, out.size());
  const std::size_t c = shape.c;
  auto row = [&](std::size_t i) {
    lc::Accumulator acc;
    for (std::size_t j = i * c; j < (i + 1) * c; ++j) {
      acc.add(term_of(static_cast<double>(p[j]), static_cast<double>(q[j])));
    }
    return in_base(acc.value(), base);
  };
  lc::reduce(reduction, shape.n, out, row,
             [&] { return lc::term(static_cast<double>(shape.n) * row_weight); });
}

template <class T>
void entropy_impl(std::span<const T> p, Shape shape, std::span<T> out, Reduction reduction,
                  LogBase base) {
  constexpr std::string_view fn = "entropy";
  detail::check_shape(fn, "p", p.size(), shape);
  lc::check_unit_interval(fn, "p", p);
  row_divergence(fn, p, p, shape, out, reduction, base, 1.0, [](double a, double) {
    return neg_xlogy<lc::Wide<T>>(a, a);
  });
}

template <class T>
void cross_entropy_dist_impl(std::span<const T> p, std::span<const T> q, Shape shape,
                             std::span<T> out, Reduction reduction, LogBase base) {
  constexpr std::string_view fn = "cross_entropy_dist";
  detail::check_shape(fn, "p", p.size(), shape);
  detail::check_shape(fn, "q", q.size(), shape);
  lc::check_unit_interval(fn, "p", p);
  lc::check_unit_interval(fn, "q", q);
  row_divergence(fn, p, q, shape, out, reduction, base, 1.0, [](double a, double b) {
    return neg_xlogy<lc::Wide<T>>(a, b);
  });
}

template <class T>
void kl_impl(std::span<const T> p, std::span<const T> q, Shape shape, std::span<T> out,
             Reduction reduction, const KlDivergenceOptions& o) {
  using W = lc::Wide<T>;
  constexpr std::string_view fn = "kl_divergence";
  detail::check_shape(fn, "p", p.size(), shape);
  detail::check_shape(fn, "q", q.size(), shape);
  auto check = [&](std::span<const T> v, const std::string& name, bool is_log) {
    if (is_log) return;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] < T(0) || v[i] > T(1)) {
        detail::fail(fn, name + " must hold probabilities in [0, 1] (or pass " + name +
                             "_is_log=true): " + name + "[" + std::to_string(i) + "] = " +
                             lc::show(v[i]));
      }
    }
  };
  check(p, "p", o.p_is_log);
  check(q, "q", o.q_is_log);
  const double row_weight = o.elementwise_mean ? static_cast<double>(shape.c) : 1.0;
  if (!o.p_is_log && !o.q_is_log) {
    row_divergence(fn, p, q, shape, out, reduction, o.base, row_weight,
                   [](double a, double b) { return kl_prob_term<W>(a, b); });
  } else {
    row_divergence(fn, p, q, shape, out, reduction, o.base, row_weight,
                   [&o](double a, double b) { return kl_log_term<W>(a, b, o.p_is_log, o.q_is_log); });
  }
}

}  // namespace

// ---- entry points ----

void entropy(std::span<const float> p, Shape shape, std::span<float> out, Reduction reduction,
             LogBase base) {
  entropy_impl(p, shape, out, reduction, base);
}
void entropy(std::span<const double> p, Shape shape, std::span<double> out, Reduction reduction,
             LogBase base) {
  entropy_impl(p, shape, out, reduction, base);
}

void cross_entropy_dist(std::span<const float> p, std::span<const float> q, Shape shape,
                        std::span<float> out, Reduction reduction, LogBase base) {
  cross_entropy_dist_impl(p, q, shape, out, reduction, base);
}
void cross_entropy_dist(std::span<const double> p, std::span<const double> q, Shape shape,
                        std::span<double> out, Reduction reduction, LogBase base) {
  cross_entropy_dist_impl(p, q, shape, out, reduction, base);
}

void kl_divergence(std::span<const float> p, std::span<const float> q, Shape shape,
                   std::span<float> out, Reduction reduction, const KlDivergenceOptions& options) {
  kl_impl(p, q, shape, out, reduction, options);
}
void kl_divergence(std::span<const double> p, std::span<const double> q, Shape shape,
                   std::span<double> out, Reduction reduction,
                   const KlDivergenceOptions& options) {
  kl_impl(p, q, shape, out, reduction, options);
}

}  // namespace nnconform::impl
