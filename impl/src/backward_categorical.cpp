// Backward of the categorical losses and divergences (include/nnconform/impl/backward.hpp):
// per row in double-double, the specs' cancellation-free forms, times g and the reduction's
// 1/N (or 1/total weight), rounded once.
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "backward_common.hpp"

namespace nnconform::impl {
namespace {

using bw::DD;
using bw::mk;
constexpr double kInf = bw::kInf;
constexpr double kNaN = bw::kNaN;
const DD kOne{1.0, 0.0};
const DD kLn2{0x1.62e42fefa39efp-1, 0x1.abc9e3b39803fp-56};

template <class T>
std::vector<double> row_of(std::span<const T> v, std::size_t i, std::size_t c) {
  std::vector<double> r(c);
  // + 0.0: a -0 entry is the number 0 (a probability's gradient at 0 is the limit from inside
  // [0, 1], not the one a signed zero's 1/-0 would give).
  for (std::size_t j = 0; j < c; ++j) r[j] = static_cast<double>(v[i * c + j]) + 0.0;
  return r;
}

// softmax(z) - onehot(t) for one row, as the spec: the target's entry is e_t/S - 1 when z_t < m,
// else -((k - 1) + R)/S; the others e_j / S.
DD ce_entry(const bw::RowExp& r, const std::vector<double>& z, std::size_t j, std::size_t t) {
  if (j != t) return r.e[j] / r.sum;
  if (z[t] < r.m) return r.e[t] / r.sum - 1.0;
  return -((r.rest + static_cast<double>(r.k - 1)) / r.sum);
}

template <class T>
void check_indices(std::string_view fn, std::span<const std::int64_t> t, Shape shape, bool ignore,
                   std::int64_t ignore_index) {
  bw::check_len(fn, "t", t.size(), shape.n);
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (ignore && t[i] == ignore_index) continue;
    if (t[i] < 0 || static_cast<std::size_t>(t[i]) >= shape.c)
      detail::fail(fn, "t[" + std::to_string(i) + "] = " + std::to_string(t[i]) + " is not a class index in [0, " +
                           std::to_string(shape.c) + ")");
  }
}

template <class T>
void cross_entropy_impl(std::span<const T> z, std::span<const std::int64_t> t, std::span<const T> w, Shape shape,
                        std::span<const T> g, std::span<T> dz, Reduction red, const CrossEntropyOptions& o) {
  constexpr std::string_view fn = "cross_entropy_backward";
  detail::check_shape(fn, "z", z.size(), shape);
  check_indices<T>(fn, t, shape, true, o.ignore_index);
  if (!w.empty()) bw::check_len(fn, "w", w.size(), shape.c);
  bw::check_weights(fn, "w", w);
  bw::check_param(fn, "label_smoothing", o.label_smoothing, 0, false, 1, false);
  bw::check_len(fn, "dz", dz.size(), z.size());
  bw::check_upstream_reduced(fn, red, g.size(), shape.n);
  const std::size_t c = shape.c;
  const double ls = static_cast<T>(o.label_smoothing);
  auto wt = [&](std::size_t j) { return w.empty() ? 1.0 : static_cast<double>(w[j]); };
  DD W{0.0, 0.0};
  for (std::size_t j = 0; j < c; ++j) W = W + wt(j);
  // mean: divide by the sum of w[t] over the rows not ignored
  DD total{0.0, 0.0};
  for (std::size_t i = 0; i < shape.n; ++i)
    if (t[i] != o.ignore_index) total = total + wt(static_cast<std::size_t>(t[i]));
  const DD scale = bw::scale_of(red, total);
  for (std::size_t i = 0; i < shape.n; ++i) {
    if (t[i] == o.ignore_index) {
      for (std::size_t j = 0; j < c; ++j) dz[i * c + j] = bw::round_to<T>(bw::times(mk(0.0), 1.0, scale));
      continue;
    }
    const auto row = row_of(z, i, c);
    const bw::RowExp r = bw::row_exp(row);
    const std::size_t ti = static_cast<std::size_t>(t[i]);
    const double gi = bw::upstream(g, red, i);
    for (std::size_t j = 0; j < c; ++j) {
      if (r.nan) {
        dz[i * c + j] = std::numeric_limits<T>::quiet_NaN();
        continue;
      }
      if (ls == 0 && j != ti) {  // e_j w[t] g / S, rounded once even when subnormal
        dz[i * c + j] = bw::round_to<T>(bw::e_times(r, j, bw::times(mk(wt(ti)) / r.sum, gi, scale)));
        continue;
      }
      DD v = ce_entry(r, row, j, ti) * wt(ti);
      if (ls != 0) {
        const DD smooth = row[j] == r.m ? ((W - wt(j) * static_cast<double>(r.k)) - r.rest * wt(j)) / r.sum
                                        : W * r.e[j] / r.sum - wt(j);
        v = v * (kOne - mk(ls)) + smooth * (mk(ls) / static_cast<double>(c));
      }
      dz[i * c + j] = bw::round_to<T>(bw::times(v, gi, scale));
    }
  }
}

template <class T>
void nll_impl(std::span<const T> z, std::span<const std::int64_t> t, std::span<const T> w, Shape shape,
              std::span<const T> g, std::span<T> dz, Reduction red, std::int64_t ignore_index) {
  constexpr std::string_view fn = "nll_loss_backward";
  detail::check_shape(fn, "z", z.size(), shape);
  check_indices<T>(fn, t, shape, true, ignore_index);
  if (!w.empty()) bw::check_len(fn, "w", w.size(), shape.c);
  bw::check_weights(fn, "w", w);
  bw::check_len(fn, "dz", dz.size(), z.size());
  bw::check_upstream_reduced(fn, red, g.size(), shape.n);
  auto wt = [&](std::size_t j) { return w.empty() ? 1.0 : static_cast<double>(w[j]); };
  DD total{0.0, 0.0};
  for (std::size_t i = 0; i < shape.n; ++i)
    if (t[i] != ignore_index) total = total + wt(static_cast<std::size_t>(t[i]));
  const DD scale = bw::scale_of(red, total);
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i) {
    const double gi = bw::upstream(g, red, i);
    for (std::size_t j = 0; j < c; ++j) {
      const bool target = t[i] != ignore_index && static_cast<std::size_t>(t[i]) == j;
      dz[i * c + j] = bw::round_to<T>(bw::times(target ? mk(-wt(j)) : mk(0.0), gi, scale));
    }
  }
}

template <class T>
void categorical_impl(std::span<const T> y, std::span<const T> q, Shape shape, std::span<const T> g,
                      std::span<T> dy, std::span<T> dq, Reduction red, const CategoricalCrossEntropyOptions& o) {
  constexpr std::string_view fn = "categorical_cross_entropy_backward";
  detail::check_shape(fn, "y", y.size(), shape);
  detail::check_shape(fn, "q", q.size(), shape);
  bw::check_unit(fn, "y", y);
  if (!o.from_logits) bw::check_unit(fn, "q", q);
  bw::check_param(fn, "epsilon", o.epsilon, 0, false, 0.5, true);
  bw::check_out(fn, "dy", dy.size(), y.size());
  bw::check_out(fn, "dq", dq.size(), y.size());
  bw::check_upstream_reduced(fn, red, g.size(), shape.n);
  const DD scale = bw::scale_of(red, mk(static_cast<double>(shape.n)));
  const std::size_t c = shape.c;
  const double eps = static_cast<T>(o.epsilon);
  const DD one_m_eps = kOne - mk(eps);
  for (std::size_t i = 0; i < shape.n; ++i) {
    const auto yr = row_of(y, i, c), qr = row_of(q, i, c);
    const double gi = bw::upstream(g, red, i);
    DD Y{0.0, 0.0};
    for (double v : yr) Y = Y + v;
    std::vector<DD> gq(c), gy(c);
    if (o.from_logits) {
      const bw::RowExp r = bw::row_exp(qr);
      // -log_softmax = (m - q) + log(k) + log1p(rest / k), as the spec's log_softmax evaluates it
      // (+inf at a -inf logit of a row whose maximum is +inf, NaN where q - m is inf - inf).
      const DD lse = dw::log(mk(static_cast<double>(r.k))) + dw::log1p(r.rest / static_cast<double>(r.k));
      for (std::size_t j = 0; j < c; ++j) {
        const DD mq = dw::two_sum(r.m, -qr[j]);
        gy[j] = std::isfinite(mq.hi) ? mq + lse : mq;
        if (std::isnan(r.rest.hi)) gy[j] = mk(kNaN);  // a NaN logit: max(q) is NaN
        if (r.nan || std::isnan(Y.hi)) {
          gq[j] = mk(kNaN);
          continue;
        }
        if (qr[j] == r.m) gq[j] = ((Y - yr[j] * static_cast<double>(r.k)) - r.rest * yr[j]) / r.sum;
        else if (yr[j] == 0) gq[j] = bw::e_times(r, j, Y / r.sum);
        else gq[j] = Y * r.e[j] / r.sum - yr[j];
      }
    } else if (o.clip == ProbabilityClip::keras) {
      DD Q{0.0, 0.0};
      for (double v : qr) Q = Q + v;
      std::vector<bool> clipped(c);
      std::vector<DD> qk(c);
      DD B{0.0, 0.0};
      for (std::size_t j = 0; j < c; ++j) {
        const DD u = mk(qr[j]) / Q;
        clipped[j] = dw::less(u, eps) || (u - one_m_eps).hi > 0;
        qk[j] = dw::less(u, eps) ? mk(eps) : ((u - one_m_eps).hi > 0 ? one_m_eps : u);
        if (!clipped[j]) B = B + yr[j];
      }
      // d/dq is homogeneous of degree -1 in q: evaluated on the row scaled by 2^-e (its largest
      // entry in [1, 2), exact) so that products of tiny entries do not underflow (0/0), and
      // scaled back; a NaN label makes the row's gradient NaN (the spec's sums over y).
      double qmax = 0;
      for (double v : qr) qmax = std::max(qmax, std::fabs(v));
      const int e = qmax > 0 && std::isfinite(qmax) ? dw::exponent_of(qmax) : 0;
      // B q_j - Q y_j = (B q_j - Q_kept y_j) - Q_clipped y_j: the first difference vanishes
      // exactly where the kept entries are proportional to their labels, so that the clipped
      // entries' share (possibly 2^-1000 of the terms) is not lost in it.
      DD Qkept{0.0, 0.0}, Qclip{0.0, 0.0};
      for (std::size_t j = 0; j < c; ++j) (clipped[j] ? Qclip : Qkept) = (clipped[j] ? Qclip : Qkept) + std::ldexp(qr[j], -e);
      const DD Qs = dw::ldexp(Q, -e);
      for (std::size_t j = 0; j < c; ++j) {
        const double qs = std::ldexp(qr[j], -e);
        if (std::isnan(Y.hi)) gq[j] = mk(kNaN);
        else if (yr[j] == 0 || clipped[j]) gq[j] = dw::ldexp(B / Qs, -e);
        else gq[j] = dw::ldexp(((B * qs - Qkept * yr[j]) - Qclip * yr[j]) / (Qs * qs), -e);
        gy[j] = -dw::log(qk[j]);
      }
    } else {
      for (std::size_t j = 0; j < c; ++j) {
        gq[j] = yr[j] == 0 ? (std::isnan(qr[j]) ? mk(kNaN) : mk(0.0)) : -(mk(yr[j]) / qr[j]);
        gy[j] = -dw::log(mk(qr[j]));
      }
    }
    for (std::size_t j = 0; j < c; ++j) {
      if (!dq.empty()) dq[i * c + j] = bw::round_to<T>(bw::times(gq[j], gi, scale));
      if (!dy.empty()) dy[i * c + j] = bw::round_to<T>(bw::times(gy[j], gi, scale));
    }
  }
}

template <class T>
void sparse_impl(std::span<const std::int64_t> t, std::span<const T> q, Shape shape, std::span<const T> g,
                 std::span<T> dq, Reduction red, bool from_logits) {
  constexpr std::string_view fn = "sparse_categorical_cross_entropy_backward";
  detail::check_shape(fn, "q", q.size(), shape);
  check_indices<T>(fn, t, shape, false, 0);
  if (!from_logits) bw::check_unit(fn, "q", q);
  bw::check_len(fn, "dq", dq.size(), q.size());
  bw::check_upstream_reduced(fn, red, g.size(), shape.n);
  const DD scale = bw::scale_of(red, mk(static_cast<double>(shape.n)));
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i) {
    const auto row = row_of(q, i, c);
    const std::size_t ti = static_cast<std::size_t>(t[i]);
    const double gi = bw::upstream(g, red, i);
    if (from_logits) {
      const bw::RowExp r = bw::row_exp(row);
      for (std::size_t j = 0; j < c; ++j) {
        if (r.nan) dq[i * c + j] = std::numeric_limits<T>::quiet_NaN();
        else if (j != ti) dq[i * c + j] = bw::round_to<T>(bw::e_times(r, j, bw::times(kOne / r.sum, gi, scale)));
        else dq[i * c + j] = bw::round_to<T>(bw::times(ce_entry(r, row, j, ti), gi, scale));
      }
    } else {
      for (std::size_t j = 0; j < c; ++j) {
        const DD v = j == ti ? -(kOne / row[ti]) : mk(0.0);  // the row's other entries: 0, as the formula
        dq[i * c + j] = bw::round_to<T>(bw::times(v, gi, scale));
      }
    }
  }
}

template <class T>
void log_loss_impl(std::span<const T> y, std::span<const T> q, Shape shape, std::span<const T> g, std::span<T> dy,
                   std::span<T> dq, Reduction red, double eps) {
  constexpr std::string_view fn = "log_loss_backward";
  detail::check_shape(fn, "y", y.size(), shape);
  detail::check_shape(fn, "q", q.size(), shape);
  bw::check_unit(fn, "y", y);
  bw::check_unit(fn, "q", q);
  bw::check_param(fn, "eps", eps, 0, false, 0.5, true);
  if (red == Reduction::none) detail::fail(fn, "reduction none is not offered (log_loss: mean or sum)");
  bw::check_out(fn, "dy", dy.size(), y.size());
  bw::check_out(fn, "dq", dq.size(), y.size());
  bw::check_upstream_reduced(fn, red, g.size(), shape.n);
  const DD scale = bw::scale_of(red, mk(static_cast<double>(shape.n)));
  const DD one_m_eps = kOne - mk(eps);
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i) {
    const auto yr = row_of(y, i, c), qr = row_of(q, i, c);
    const double gi = bw::upstream(g, red, i);
    std::vector<DD> qc(c);
    std::vector<bool> clipped(c);
    DD Qc{0.0, 0.0}, Y{0.0, 0.0};
    for (std::size_t j = 0; j < c; ++j) {
      clipped[j] = qr[j] < eps || (mk(qr[j]) - one_m_eps).hi > 0;
      qc[j] = qr[j] < eps ? mk(eps) : ((mk(qr[j]) - one_m_eps).hi > 0 ? one_m_eps : mk(qr[j]));
      if (std::isnan(qr[j])) qc[j] = mk(kNaN);
      Qc = Qc + qc[j];
      Y = Y + yr[j];
    }
    // d/dq is homogeneous of degree -1 in the clipped row: evaluate it on the row scaled by
    // 2^-e (its largest entry in [1, 2), exact), so that products of tiny (subnormal) entries
    // neither underflow nor give 0/0, and scale back by 2^-e when rounding.
    double qmax = 0;
    for (std::size_t j = 0; j < c; ++j) qmax = std::max(qmax, std::fabs(qc[j].hi));
    const int e = qmax > 0 && std::isfinite(qmax) ? dw::exponent_of(qmax) : 0;
    const DD Qs = dw::ldexp(Qc, -e);
    for (std::size_t j = 0; j < c; ++j) {
      DD vq;
      const DD qs = dw::ldexp(qc[j], -e);
      if (clipped[j]) vq = mk(0.0);
      else if (yr[j] == 0) vq = Y / Qs;
      else vq = (Y * qs - Qs * yr[j]) / (Qs * qs);
      if (!dq.empty()) dq[i * c + j] = bw::round_to<T>(dw::ldexp(bw::times(vq, gi, scale), -e));
      if (!dy.empty()) dy[i * c + j] = bw::round_to<T>(bw::times(-bw::log_ratio(qc[j], Qc), gi, scale));
    }
  }
}

DD base_div(DD v, LogBase b) { return b == LogBase::two ? v / kLn2 : v; }

template <class T>
void entropy_impl(std::span<const T> p, Shape shape, std::span<const T> g, std::span<T> dp, Reduction red,
                  LogBase base) {
  constexpr std::string_view fn = "entropy_backward";
  detail::check_shape(fn, "p", p.size(), shape);
  bw::check_unit(fn, "p", p);
  bw::check_len(fn, "dp", dp.size(), p.size());
  bw::check_upstream_reduced(fn, red, g.size(), shape.n);
  const DD scale = bw::scale_of(red, mk(static_cast<double>(shape.n)));
  for (std::size_t i = 0; i < shape.n; ++i) {
    const double gi = bw::upstream(g, red, i);
    for (std::size_t j = 0; j < shape.c; ++j) {
      const double pv = p[i * shape.c + j];
      const DD v = base_div(-(dw::log(mk(pv)) + 1.0), base);
      dp[i * shape.c + j] = bw::round_to<T>(bw::times(v, gi, scale));
    }
  }
}

template <class T>
void cross_entropy_dist_impl(std::span<const T> p, std::span<const T> q, Shape shape, std::span<const T> g,
                             std::span<T> dp, std::span<T> dq, Reduction red, LogBase base) {
  constexpr std::string_view fn = "cross_entropy_dist_backward";
  detail::check_shape(fn, "p", p.size(), shape);
  detail::check_shape(fn, "q", q.size(), shape);
  bw::check_unit(fn, "p", p);
  bw::check_unit(fn, "q", q);
  bw::check_out(fn, "dp", dp.size(), p.size());
  bw::check_out(fn, "dq", dq.size(), p.size());
  bw::check_upstream_reduced(fn, red, g.size(), shape.n);
  const DD scale = bw::scale_of(red, mk(static_cast<double>(shape.n)));
  for (std::size_t i = 0; i < shape.n; ++i) {
    const double gi = bw::upstream(g, red, i);
    for (std::size_t j = 0; j < shape.c; ++j) {
      const double pv = static_cast<double>(p[i * shape.c + j]) + 0.0, qv = static_cast<double>(q[i * shape.c + j]) + 0.0;  // -0 is 0
      if (!dp.empty()) dp[i * shape.c + j] = bw::round_to<T>(bw::times(base_div(-dw::log(mk(qv)), base), gi, scale));
      if (!dq.empty()) {
        const DD v = pv == 0 ? (std::isnan(qv) ? mk(kNaN) : mk(0.0)) : -(mk(pv) / qv);
        dq[i * shape.c + j] = bw::round_to<T>(bw::times(base_div(v, base), gi, scale));
      }
    }
  }
}

template <class T>
void kl_impl(std::span<const T> p, std::span<const T> q, Shape shape, std::span<const T> g, std::span<T> dp,
             std::span<T> dq, Reduction red, const KlDivergenceOptions& o) {
  constexpr std::string_view fn = "kl_divergence_backward";
  detail::check_shape(fn, "p", p.size(), shape);
  detail::check_shape(fn, "q", q.size(), shape);
  if (!o.p_is_log) bw::check_unit(fn, "p", p);
  if (!o.q_is_log) bw::check_unit(fn, "q", q);
  bw::check_out(fn, "dp", dp.size(), p.size());
  bw::check_out(fn, "dq", dq.size(), p.size());
  bw::check_upstream_reduced(fn, red, g.size(), shape.n);
  const double count = static_cast<double>(shape.n) * (o.elementwise_mean ? static_cast<double>(shape.c) : 1.0);
  const DD scale = bw::scale_of(red, mk(count));
  for (std::size_t i = 0; i < shape.n; ++i) {
    const double gi = bw::upstream(g, red, i);
    for (std::size_t j = 0; j < shape.c; ++j) {
      const double pv = static_cast<double>(p[i * shape.c + j]) + 0.0, qv = static_cast<double>(q[i * shape.c + j]) + 0.0;  // -0 is 0
      DD vp, vq;
      if (o.p_is_log) {
        const DD pp = dw::exp(mk(pv));
        vp = pp * ((o.q_is_log ? dw::two_sum(pv, -qv) : mk(pv) - dw::log(mk(qv))) + 1.0);
        vq = o.q_is_log ? -pp : -(pp / qv);
      } else if (o.q_is_log) {
        vp = (dw::log(mk(pv)) - qv) + 1.0;
        vq = pv == 0 ? (std::isnan(qv) ? mk(kNaN) : mk(0.0)) : mk(-pv);
      } else {
        vp = (pv == 0 || qv == 0 ? dw::log(mk(pv) / qv) : bw::log_ratio(mk(pv), mk(qv))) + 1.0;
        vq = pv == 0 ? (std::isnan(qv) ? mk(kNaN) : mk(0.0)) : -(mk(pv) / qv);
      }
      if (!dp.empty()) dp[i * shape.c + j] = bw::round_to<T>(bw::times(base_div(vp, o.base), gi, scale));
      if (!dq.empty()) dq[i * shape.c + j] = bw::round_to<T>(bw::times(base_div(vq, o.base), gi, scale));
    }
  }
}

}  // namespace

#define NNCONFORM_CATEGORICAL(T)                                                                                 \
  void cross_entropy_backward(std::span<const T> z, std::span<const std::int64_t> t, std::span<const T> w,       \
                              Shape shape, std::span<const T> g, std::span<T> dz, Reduction r,                   \
                              const CrossEntropyOptions& o) {                                                    \
    cross_entropy_impl<T>(z, t, w, shape, g, dz, r, o);                                                          \
  }                                                                                                              \
  void nll_loss_backward(std::span<const T> z, std::span<const std::int64_t> t, std::span<const T> w,            \
                         Shape shape, std::span<const T> g, std::span<T> dz, Reduction r,                        \
                         std::int64_t ignore_index) {                                                            \
    nll_impl<T>(z, t, w, shape, g, dz, r, ignore_index);                                                         \
  }                                                                                                              \
  void categorical_cross_entropy_backward(std::span<const T> y, std::span<const T> q, Shape shape,               \
                                          std::span<const T> g, std::span<T> dy, std::span<T> dq, Reduction r,   \
                                          const CategoricalCrossEntropyOptions& o) {                             \
    categorical_impl<T>(y, q, shape, g, dy, dq, r, o);                                                           \
  }                                                                                                              \
  void sparse_categorical_cross_entropy_backward(std::span<const std::int64_t> t, std::span<const T> q,          \
                                                 Shape shape, std::span<const T> g, std::span<T> dq,             \
                                                 Reduction r, bool from_logits) {                                \
    sparse_impl<T>(t, q, shape, g, dq, r, from_logits);                                                          \
  }                                                                                                              \
  void log_loss_backward(std::span<const T> y, std::span<const T> q, Shape shape, std::span<const T> g,          \
                         std::span<T> dy, std::span<T> dq, Reduction r, double eps) {                            \
    log_loss_impl<T>(y, q, shape, g, dy, dq, r, eps);                                                            \
  }                                                                                                              \
  void entropy_backward(std::span<const T> p, Shape shape, std::span<const T> g, std::span<T> dp, Reduction r,   \
                        LogBase base) {                                                                          \
    entropy_impl<T>(p, shape, g, dp, r, base);                                                                   \
  }                                                                                                              \
  void cross_entropy_dist_backward(std::span<const T> p, std::span<const T> q, Shape shape,                      \
                                   std::span<const T> g, std::span<T> dp, std::span<T> dq, Reduction r,          \
                                   LogBase base) {                                                               \
    cross_entropy_dist_impl<T>(p, q, shape, g, dp, dq, r, base);                                                 \
  }                                                                                                              \
  void kl_divergence_backward(std::span<const T> p, std::span<const T> q, Shape shape, std::span<const T> g,     \
                              std::span<T> dp, std::span<T> dq, Reduction r, const KlDivergenceOptions& o) {     \
    kl_impl<T>(p, q, shape, g, dp, dq, r, o);                                                                    \
  }
NNCONFORM_CATEGORICAL(float)
NNCONFORM_CATEGORICAL(double)
#undef NNCONFORM_CATEGORICAL

}  // namespace nnconform::impl
