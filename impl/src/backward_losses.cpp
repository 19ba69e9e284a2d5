// Backward of the regression and binary classification losses
// (include/nnconform/impl/backward.hpp): each sample's gradient in double-double, in its spec's
// cancellation-free form, times g and the reduction's 1/N, rounded once.
#include <cmath>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "backward_common.hpp"

namespace nnconform::impl {

namespace bw {
void check_param(std::string_view fn, std::string_view name, double v, double lo, bool lo_open, double hi,
                 bool hi_open) {
  const bool ok = !std::isnan(v) && (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  if (!ok) {
    std::ostringstream os;
    os.precision(17);
    os << "parameter " << name << " = " << v << " is outside its range " << (lo_open ? "(" : "[") << lo << ", "
       << hi << (hi_open ? ")" : "]");
    detail::fail(fn, os.str());
  }
}
}  // namespace bw

namespace {

using bw::DD;
using bw::mk;
constexpr double kInf = bw::kInf;
constexpr double kNaN = bw::kNaN;
const DD kOne{1.0, 0.0};

struct Pair {
  DD a, b;  // gradients with respect to the first and second differentiable input
};

// Elementwise loss of (u, v): out_u[i] = g_i·f(u_i, v_i).a / N, out_v likewise.
template <class T, class F>
void elementwise(std::string_view fn, std::string_view un, std::span<const T> u, std::string_view vn,
                 std::span<const T> v, std::span<const T> g, std::span<T> du, std::span<T> dv, Reduction r, F f) {
  detail::check_same_length(fn, un, u.size(), vn, v.size());
  bw::check_out(fn, std::string("d") + std::string(un), du.size(), u.size());
  bw::check_out(fn, std::string("d") + std::string(vn), dv.size(), u.size());
  bw::check_upstream_reduced(fn, r, g.size(), u.size());
  const DD scale = bw::scale_of(r, mk(static_cast<double>(u.size())));
  for (std::size_t i = 0; i < u.size(); ++i) {
    const Pair p = f(static_cast<double>(u[i]), static_cast<double>(v[i]), i);
    const double gi = bw::upstream(g, r, i);
    if (!du.empty()) du[i] = bw::round_to<T>(bw::times(p.a, gi, scale));
    if (!dv.empty()) dv[i] = bw::round_to<T>(bw::times(p.b, gi, scale));
  }
}

DD sign_diff(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return mk(kNaN);
  return mk(a > b ? 1.0 : (a < b ? -1.0 : 0.0));
}
DD sigmoid(double x) { return bw::sigmoid(x); }
}  // namespace

// ---------------------------------------------------------------------------------------------
// Regression
// ---------------------------------------------------------------------------------------------
namespace {

template <class T>
void mse_like(std::string_view fn, std::span<const T> y, std::span<const T> yhat, std::span<const T> g,
              std::span<T> dy, std::span<T> dyhat, Reduction r) {
  elementwise<T>(fn, "y", y, "yhat", yhat, g, dy, dyhat, r, [](double a, double b, std::size_t) {
    // 2 (y - yhat), the difference exact (by halves where it would overflow).
    DD d = dw::two_sum(a, -b);
    if (std::isinf(d.hi) && std::isfinite(a) && std::isfinite(b)) d = dw::two_sum(a * 0.5, -(b * 0.5)) * 2.0;
    const DD two_d = d * 2.0;
    return Pair{two_d, -two_d};
  });
}

template <class T>
void msle_impl(std::span<const T> y, std::span<const T> yhat, std::span<const T> g, std::span<T> dy,
               std::span<T> dyhat, Reduction r) {
  constexpr std::string_view fn = "msle_backward";
  for (std::size_t i = 0; i < y.size() && i < yhat.size(); ++i)
    if (y[i] <= T(-1) || yhat[i] <= T(-1)) detail::fail(fn, "y and yhat must lie in (-1, inf)");
  elementwise<T>(fn, "y", y, "yhat", yhat, g, dy, dyhat, r, [](double a, double b, std::size_t) {
    // L = log1p((y - yhat)/(1 + yhat)) where that ratio is at most 1/2 in magnitude (no
    // cancellation when y ~ yhat), else log(1 + y) - log(1 + yhat) (terms apart by >= log 1.5;
    // no overflow of the ratio).
    const DD ratio = dw::two_sum(a, -b) / dw::two_sum(b, 1.0);
    const DD L = (std::fabs(ratio.hi) <= 0.5 ? dw::log1p(ratio)
                                             : dw::log(dw::two_sum(a, 1.0)) - dw::log(dw::two_sum(b, 1.0))) * 2.0;
    return Pair{L / dw::two_sum(a, 1.0), -(L / dw::two_sum(b, 1.0))};
  });
}

template <class T>
void mae_impl(std::span<const T> y, std::span<const T> yhat, std::span<const T> g, std::span<T> dy,
              std::span<T> dyhat, Reduction r) {
  elementwise<T>("mae_backward", "y", y, "yhat", yhat, g, dy, dyhat, r, [](double a, double b, std::size_t) {
    return Pair{sign_diff(a, b), sign_diff(b, a)};
  });
}

template <class T>
void mape_impl(std::span<const T> y, std::span<const T> yhat, std::span<const T> g, std::span<T> dy,
               std::span<T> dyhat, Reduction r, const MapeOptions& o) {
  constexpr std::string_view fn = "mape_backward";
  bw::check_param(fn, "epsilon", o.epsilon, 0, false, kInf, true);
  bw::check_param(fn, "scale", o.scale, 0, true, kInf, true);
  const double eps = static_cast<T>(o.epsilon), sc = o.scale;
  detail::check_same_length(fn, "y", y.size(), "yhat", yhat.size());
  bw::check_out(fn, "dy", dy.size(), y.size());
  bw::check_out(fn, "dyhat", dyhat.size(), y.size());
  bw::check_upstream_reduced(fn, r, g.size(), y.size());
  const DD reduction_scale = bw::scale_of(r, mk(static_cast<double>(y.size())));
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double a = y[i], b = yhat[i];
    const double ay = std::fabs(a);
    // scale times g and the reduction's 1/N, applied before the division by |y| (and y |y|), so
    // that a gradient in range does not overflow on the way (1/|y| of a tiny y, over a mean).
    const DD f = bw::times(mk(sc), bw::upstream(g, r, i), reduction_scale);
    const DD s = sign_diff(a, b) * f;
    // d/dy: scale sign(y - yhat) (|y| >= eps ? yhat / (y |y|) : 1 / eps)
    // yhat / (y |y|), with y = ys 2^e (ys in [1, 2)) so that y^2 neither overflows nor
    // underflows, scaled back at the end (rounded once); y |y| at y = 0 is +0 (the reference has
    // no signed zero).
    DD dya;
    if (ay < eps) dya = s / eps;
    else if (a == 0 || !std::isfinite(a)) dya = s * (mk(b) / (a == 0 ? 0.0 : a * ay));
    else if (b == 0 || !std::isfinite(b)) dya = s * (mk(b) / a / ay);
    else {
      const int e = dw::exponent_of(a), eb = dw::exponent_of(b);
      const double as = std::ldexp(a, -e), bs = std::ldexp(b, -eb);
      dya = dw::ldexp(s * (mk(bs) / as / std::fabs(as)), eb - 2 * e);
    }
    const DD dyh = sign_diff(b, a) * f / std::max(ay, eps);
    if (!dy.empty()) dy[i] = bw::round_to<T>(std::isnan(a) ? mk(kNaN) : dya);
    if (!dyhat.empty()) dyhat[i] = bw::round_to<T>(std::isnan(a) ? mk(kNaN) : dyh);
  }
}

template <class T>
void smooth_l1_impl(std::span<const T> y, std::span<const T> yhat, std::span<const T> g, std::span<T> dy,
                    std::span<T> dyhat, Reduction r, T beta) {
  constexpr std::string_view fn = "smooth_l1_backward";
  bw::check_param(fn, "beta", beta, 0, false, kInf, true);
  const double b = beta;
  elementwise<T>(fn, "y", y, "yhat", yhat, g, dy, dyhat, r, [&](double a, double c, std::size_t) {
    const DD d = dw::two_sum(a, -c);
    if (std::isnan(d.hi)) return Pair{mk(kNaN), mk(kNaN)};
    const DD v = dw::less(dw::abs(d), b) ? d / b : sign_diff(a, c);
    return Pair{v, -v};
  });
}

template <class T>
void huber_impl(std::span<const T> y, std::span<const T> yhat, std::span<const T> g, std::span<T> dy,
                std::span<T> dyhat, Reduction r, T delta) {
  constexpr std::string_view fn = "huber_backward";
  bw::check_param(fn, "delta", delta, 0, true, kInf, true);
  const double dl = delta;
  elementwise<T>(fn, "y", y, "yhat", yhat, g, dy, dyhat, r, [&](double a, double c, std::size_t) {
    const DD d = dw::two_sum(a, -c);
    if (std::isnan(d.hi)) return Pair{mk(kNaN), mk(kNaN)};
    // |d| <= delta exactly (d = hi + lo): compare the DD with delta
    const DD ad = dw::abs(d);
    const bool inside = ad.hi < dl || (ad.hi == dl && ad.lo <= 0);
    const DD v = inside ? d : mk(a > c ? dl : -dl);
    return Pair{v, -v};
  });
}

template <class T>
void quadratic_impl(std::span<const T> s, std::span<const T> y, std::span<const T> g, std::span<T> ds,
                    std::span<T> dy, Reduction r) {
  constexpr std::string_view fn = "quadratic_cost_backward";
  bw::check_unit(fn, "y", y);
  elementwise<T>(fn, "s", s, "y", y, g, ds, dy, r, [](double sv, double yv, std::size_t) {
    if (std::isnan(sv) || std::isnan(yv)) return Pair{mk(kNaN), mk(kNaN)};
    // a - y, a = sigmoid(s): (1 - y) - sigmoid(-s) for s >= 0
    const DD amy = sv >= 0 ? dw::two_sum(1.0, -yv) - sigmoid(-sv) : sigmoid(sv) - yv;
    // (a - y) e / (1 + e)^2, e = e^-|s| scaled: rounded once in the subnormal range
    const dw::Scaled e = dw::exp_scaled(mk(-std::fabs(sv)));
    const DD ev = dw::ldexp(e.m, e.k);
    const DD dd1 = ev + 1.0;
    const DD v = amy * e.m / (dd1 * dd1);
    return Pair{e.k == 0 || v.hi == 0 ? v : dw::ldexp(v, e.k), -amy};
  });
}

template <class T>
void variance_impl(std::span<const T> x, Shape shape, std::span<const T> g, std::span<T> dx, int ddof) {
  constexpr std::string_view fn = "variance_backward";
  detail::check_shape(fn, "x", x.size(), shape);
  if (ddof != 0 && ddof != 1) detail::fail(fn, "ddof must be 0 or 1");
  bw::check_upstream(fn, g.size(), shape.n);
  bw::check_len(fn, "dx", dx.size(), x.size());
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i) {
    // Scale the row into [1, 2) by a power of two (exact), so that n x and sum(x) cannot overflow.
    double mx = 0;
    bool bad = false;
    for (std::size_t j = 0; j < c; ++j) {
      const double v = x[i * c + j];
      if (!std::isfinite(v)) bad = true;
      else mx = std::max(mx, std::fabs(v));
    }
    // scale down only as far as n x and the sum need to stay finite (so that small entries keep
    // their bits)
    int e = 0;
    if (mx > 0) {
      const int need = dw::exponent_of(mx) + static_cast<int>(std::ceil(std::log2(static_cast<double>(c) + 1))) + 2 - 1023;
      e = need > 0 ? need : 0;
    }
    DD sum{0.0, 0.0};
    for (std::size_t j = 0; j < c; ++j) sum = sum + dw::ldexp(mk(static_cast<double>(x[i * c + j])), -e);
    const double gi = bw::upstream(g, i);
    const DD denom = mk(static_cast<double>(c)) * static_cast<double>(c - ddof);
    for (std::size_t j = 0; j < c; ++j) {
      if (bad) {
        dx[i * c + j] = std::numeric_limits<T>::quiet_NaN();
        continue;
      }
      const DD num = dw::two_prod(std::ldexp(static_cast<double>(x[i * c + j]), -e), static_cast<double>(c)) - sum;
      DD v = num * 2.0 / denom;
      if (gi != 1.0) v = v * gi;
      dx[i * c + j] = bw::round_to<T>(dw::ldexp(v, e));
    }
  }
}

template <class T>
void cosine_impl(std::span<const T> y, std::span<const T> yhat, Shape shape, std::span<const T> g,
                 std::span<T> dy, std::span<T> dyhat, Reduction r, T epsilon) {
  constexpr std::string_view fn = "cosine_proximity_backward";
  detail::check_shape(fn, "y", y.size(), shape);
  detail::check_shape(fn, "yhat", yhat.size(), shape);
  bw::check_param(fn, "epsilon", epsilon, 0, false, kInf, true);
  bw::check_out(fn, "dy", dy.size(), y.size());
  bw::check_out(fn, "dyhat", dyhat.size(), y.size());
  bw::check_upstream_reduced(fn, r, g.size(), shape.n);
  const DD scale = bw::scale_of(r, mk(static_cast<double>(shape.n)));
  const std::size_t c = shape.c;
  const double eps = epsilon;
  for (std::size_t i = 0; i < shape.n; ++i) {
    // Each row is scaled into [1, 2) (exact): y = 2^ey a, yhat = 2^eh b. Where a squared norm is
    // at least epsilon (compared on the scaled sum against epsilon 2^-2e, exact unless far from
    // the boundary), its norm is 2^e sqrt(sum), else sqrt(epsilon); the gradients are then the
    // scaled rows' formulas times a power of two (applied once, when rounding), so that neither
    // the squares of huge entries overflow nor products of tiny ones underflow.
    auto exp_of = [&](std::span<const T> v) {
      double mx = 0;
      for (std::size_t j = 0; j < c; ++j) mx = std::max(mx, std::fabs(static_cast<double>(v[i * c + j])));
      return (mx > 0 && std::isfinite(mx)) ? dw::exponent_of(mx) : 0;
    };
    const int ey = exp_of(y), eh = exp_of(yhat);
    std::vector<double> a(c), b(c);
    for (std::size_t j = 0; j < c; ++j) {
      a[j] = std::ldexp(static_cast<double>(y[i * c + j]), -ey);
      b[j] = std::ldexp(static_cast<double>(yhat[i * c + j]), -eh);
    }
    DD Y2{0.0, 0.0}, H2{0.0, 0.0};
    for (std::size_t j = 0; j < c; ++j) {
      Y2 = Y2 + dw::two_prod(a[j], a[j]);
      H2 = H2 + dw::two_prod(b[j], b[j]);
    }
    // sum >= eps: the sum's gradient
    const bool ay = !dw::less(Y2, std::ldexp(eps, -2 * ey)), ah = !dw::less(H2, std::ldexp(eps, -2 * eh));
    const DD sY = ay ? dw::sqrt(Y2) : dw::sqrt(mk(eps)), sH = ah ? dw::sqrt(H2) : dw::sqrt(mk(eps));
    const int kY = ay ? ey : 0, kH = ah ? eh : 0;  // the true norms are 2^k sY, 2^k sH
    const DD norm = sY * sH;
    const double gi = bw::upstream(g, r, i);
    for (std::size_t j = 0; j < c; ++j) {
      // y_j H2 - A yhat_j = sum_l yhat_l (y_j yhat_l - yhat_j y_l) and yhat_j Y2 - A y_j =
      // -sum_l y_l (y_j yhat_l - yhat_j y_l): 2x2 determinants of exact products, so that
      // parallel vectors (every determinant 0) give exactly 0.
      DD sh{0.0, 0.0}, sy{0.0, 0.0};
      for (std::size_t l = 0; l < c; ++l) {
        const DD det = dw::two_prod(a[j], b[l]) - dw::two_prod(b[j], a[l]);
        if (det.hi == 0.0) continue;
        sh = sh + det * b[l];
        sy = sy - det * a[l];
      }
      if (!dy.empty()) {
        const DD v = ay ? -(sy / (Y2 * norm)) : -(mk(b[j]) / norm);
        const int e = ay ? eh - ey - kH : eh - kH;
        dy[i * c + j] = bw::round_to<T>(dw::ldexp(bw::times(v, gi, scale), e));
      }
      if (!dyhat.empty()) {
        const DD v = ah ? -(sh / (H2 * norm)) : -(mk(a[j]) / norm);
        const int e = ah ? ey - eh - kY : ey - kY;
        dyhat[i * c + j] = bw::round_to<T>(dw::ldexp(bw::times(v, gi, scale), e));
      }
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Binary classification
// ---------------------------------------------------------------------------------------------
namespace {

// log(e^-100) as a DD, for PyTorch's clamp of log p at -100.
const DD kExpMinus100{0x1.a8c1f14e2af5dp-145, -0x1.43089bb228e2cp-199};

template <class T>
void bce_impl(std::span<const T> y, std::span<const T> p, std::span<const T> w, std::span<const T> g,
              std::span<T> dy, std::span<T> dp, Reduction r, BceClamp clamp, T epsilon) {
  constexpr std::string_view fn = "binary_cross_entropy_backward";
  bw::check_unit(fn, "y", y);
  bw::check_unit(fn, "p", p);
  if (!w.empty()) bw::check_len(fn, "w", w.size(), y.size());
  bw::check_weights(fn, "w", w);
  bw::check_param(fn, "epsilon", epsilon, 0, false, 0.5, true);
  const double eps = epsilon;
  const DD one_m_eps = kOne - mk(eps);
  elementwise<T>(fn, "y", y, "p", p, g, dy, dp, r, [&](double yv, double pv, std::size_t i) {
    pv += 0.0;  // a -0 probability is 0: the gradient there is the limit from inside [0, 1]
    const double wi = w.empty() ? 1.0 : static_cast<double>(w[i]);
    if (std::isnan(yv) || std::isnan(pv) || std::isnan(wi)) return Pair{mk(kNaN), mk(kNaN)};
    DD pc = mk(pv);
    bool clipped = false;
    if (clamp == BceClamp::keras) {  // clip to [eps, 1 - eps]; the gradient passes at the bounds
      if (pv < eps) {
        pc = mk(eps);
        clipped = true;
      } else if ((mk(pv) - one_m_eps).hi > 0) {
        pc = one_m_eps;
        clipped = true;
      }
    }
    const DD qc = kOne - pc;  // 1 - pc, exact
    const bool py = clamp == BceClamp::pytorch;
    const bool lp_clamped = py && pc.hi < kExpMinus100.hi;  // log(pc) < -100
    const bool lq_clamped = py && qc.hi == 0.0;
    // d/dp
    DD d;
    if (clipped) d = mk(0.0);
    else {
      // y / pc of two tiny values: scaled alike first (exact), so that neither is subnormal
      const int es = yv > 0 && yv < 0x1p-900 && pc.hi > 0 && pc.hi < 0x1p-900 ? 1000 : 0;
      const DD t1 = (yv == 0 || lp_clamped) ? mk(0.0) : mk(std::ldexp(yv, es)) / dw::ldexp(pc, es);
      const DD t2 = (yv == 1 || lq_clamped) ? mk(0.0) : dw::two_sum(1.0, -yv) / qc;
      if (yv != 0 && yv != 1 && !lp_clamped && !lq_clamped && pc.hi > 0 && qc.hi > 0) {
        // y/pc - (1 - y)/(1 - pc) over one denominator; a tiny pc (and y) scaled by 2^1000 in
        // numerator and denominator alike (exact), so that pc (1 - pc) is not subnormal
        const int es = pc.hi < 0x1p-900 ? 1000 : 0;
        d = (mk(std::ldexp(yv, es)) - dw::ldexp(pc, es)) / (dw::ldexp(pc, es) * qc);
      }
      else
        d = t1 - t2;
    }
    // d/dy = -(lp - lq)
    DD ly;
    const DD lp = py && (lp_clamped || pc.hi == 0) ? mk(-100.0) : dw::log(pc);
    const DD lq = lq_clamped ? mk(-100.0) : dw::log(qc);
    if (pc.hi > 0 && qc.hi > 0 && !lp_clamped && !lq_clamped) ly = -bw::log_ratio(pc, qc);
    else ly = lq - lp;
    return Pair{ly * wi, -(d * wi)};
  });
}

template <class T>
void bce_logits_impl(std::span<const T> y, std::span<const T> s, std::span<const T> w, std::span<const T> g,
                     std::span<T> dy, std::span<T> ds, Reduction r, T pos_weight) {
  constexpr std::string_view fn = "binary_cross_entropy_with_logits_backward";
  bw::check_unit(fn, "y", y);
  if (!w.empty()) bw::check_len(fn, "w", w.size(), y.size());
  bw::check_weights(fn, "w", w);
  bw::check_param(fn, "pos_weight", pos_weight, 0, false, kInf, true);
  const double pw = pos_weight;
  elementwise<T>(fn, "y", y, "s", s, g, dy, ds, r, [&](double yv, double sv, std::size_t i) {
    const double wi = w.empty() ? 1.0 : static_cast<double>(w[i]);
    if (std::isnan(yv) || std::isnan(sv) || std::isnan(wi)) return Pair{mk(kNaN), mk(kNaN)};
    DD d;
    auto sig_times = [](double x, double f) {  // sigma(x) f, rounded once in the subnormal range
      if (std::isnan(x)) return mk(kNaN);
      if (x >= 0) return bw::sigmoid(x) * f;
      const dw::Scaled e = dw::exp_scaled(mk(x));
      const DD v = e.m * f / (dw::ldexp(e.m, e.k) + 1.0);
      return e.k == 0 || v.hi == 0 ? v : dw::ldexp(v, e.k);
    };
    if (yv == 1) d = -sig_times(-sv, pw);
    else if (yv == 0) d = sig_times(sv, 1.0);
    else if (sv >= 0) d = dw::two_sum(1.0, -yv) - (dw::two_sum(1.0, -yv) + dw::two_prod(pw, yv)) * sigmoid(-sv);
    else d = (dw::two_sum(1.0, -yv) + dw::two_prod(pw, yv)) * sigmoid(sv) - dw::two_prod(pw, yv);
    DD dyv;
    if (std::isinf(sv)) dyv = sv > 0 ? mk(-kInf) : (pw > 0 ? mk(kInf) : mk(kNaN));
    else dyv = bw::softplus(mk(-sv)) * (pw - 1.0) - sv;
    return Pair{dyv * wi, d * wi};
  });
}

template <class T>
void label_loss(std::string_view fn, std::span<const T> y, std::span<const T> s, std::span<const T> g,
                std::span<T> ds, Reduction r, bool zero_one, DD (*f)(double label, double s)) {
  bw::check_labels(fn, y, zero_one);
  elementwise<T>(fn, "y", y, "s", s, g, std::span<T>{}, ds, r, [&](double yv, double sv, std::size_t) {
    if (std::isnan(yv) || std::isnan(sv)) return Pair{mk(kNaN), mk(kNaN)};
    const double label = zero_one ? 2 * yv - 1 : yv;
    return Pair{mk(0.0), f(label, sv)};
  });
}

DD logistic_ds(double l, double s) { return -(sigmoid(-(l * s)) * l); }
DD exponential_ds(double l, double s) {
  const DD e = dw::exp(mk(-(l * s)));
  return -(e * l);
}
DD hinge_ds(double l, double s) { return mk(l * s <= 1 ? -l : 0.0); }
DD squared_hinge_ds(double l, double s) {
  const DD h = dw::two_sum(1.0, -(l * s));
  return h.hi > 0 ? h * (-2.0 * l) : mk(0.0);
}

template <class T>
void balanced_impl(std::span<const T> y, std::span<const T> p, std::span<const T> g, std::span<T> dy,
                   std::span<T> dp, Reduction r, T alpha) {
  constexpr std::string_view fn = "balanced_cross_entropy_backward";
  bw::check_unit(fn, "y", y);
  bw::check_unit(fn, "p", p);
  bw::check_param(fn, "alpha", alpha, 0, false, 1, false);
  const double a = alpha;
  const DD oma = dw::two_sum(1.0, -a);
  elementwise<T>(fn, "y", y, "p", p, g, dy, dp, r, [&](double yv, double pv, std::size_t) {
    pv += 0.0;  // a -0 probability is 0: the gradient there is the limit from inside [0, 1]
    if (std::isnan(yv) || std::isnan(pv)) return Pair{mk(kNaN), mk(kNaN)};
    const DD omy = dw::two_sum(1.0, -yv), omp = dw::two_sum(1.0, -pv);
    // d/dp = (1 - a)(1 - y)/(1 - p) - a y / p, one denominator when both terms are present
    DD d;
    const bool t1 = !(yv == 1 || a == 1), t2 = !(yv == 0 || a == 0);
    if (t1 && t2 && pv > 0x1p-900 && pv < 1 && yv > 0x1p-900)  // no product underflows
      d = (oma * omy * pv - omp * dw::two_prod(a, yv)) / (omp * pv);
    else
      // y / p of two tiny values: scaled alike first (exact), so that neither is subnormal
      d = (t1 ? oma * omy / omp : mk(0.0)) -
          (t2 ? (yv < 0x1p-900 && pv > 0 && pv < 0x1p-900 ? mk(std::ldexp(yv, 1000)) / std::ldexp(pv, 1000)
                                                            : mk(yv) / pv) * a
              : mk(0.0));
    // d/dy = (1 - a) log(1 - p) - a log p = a log((1 - p)/p) + (1 - 2a) log1p(-p) inside (0, 1)
    DD l;
    if (pv == 0) l = a > 0 ? mk(kInf) : mk(0.0);
    else if (pv == 1) l = a < 1 ? mk(-kInf) : mk(0.0);
    else l = bw::log_ratio(omp, mk(pv)) * a + dw::log(omp) * (oma - a);
    return Pair{l, d};
  });
}

template <class T>
void focal_impl(std::span<const T> y, std::span<const T> p, std::span<const T> g, std::span<T> dy, std::span<T> dp,
                Reduction r, const FocalLossOptions& o) {
  constexpr std::string_view fn = "focal_loss_backward";
  bw::check_unit(fn, "y", y);
  if (!o.from_logits) bw::check_unit(fn, "p", p);
  bw::check_param(fn, "alpha", o.alpha, 0, false, 1, false);
  bw::check_param(fn, "gamma", o.gamma, 0, false, kInf, true);
  const double al = static_cast<T>(o.alpha), ga = static_cast<T>(o.gamma);
  const bool logits = o.from_logits;
  elementwise<T>(fn, "y", y, "p", p, g, dy, dp, r, [&](double yv, double pv, std::size_t) {
    pv += 0.0;  // a -0 probability is 0: the gradient there is the limit from inside [0, 1]
    if (std::isnan(yv) || std::isnan(pv)) return Pair{mk(kNaN), mk(kNaN)};
    const DD omy = dw::two_sum(1.0, -yv);
    const DD prob = logits ? sigmoid(pv) : mk(pv);
    const DD om = logits ? sigmoid(-pv) : dw::two_sum(1.0, -pv);
    const DD lp = logits ? -bw::softplus(mk(-pv)) : dw::log(mk(pv));
    const DD lq = logits ? -bw::softplus(mk(pv)) : dw::log(dw::two_sum(1.0, -pv));
    const DD ce = -((yv == 0 ? mk(0.0) : lp * yv) + (yv == 1 ? mk(0.0) : omy * lq));
    const DD M = om * yv + omy * prob;  // 1 - p_t
    const DD A = dw::two_prod(al, yv) + dw::two_sum(1.0, -al) * omy;
    const bool m0 = M.hi == 0.0;
    // Powers of M as m·2^k (pow_scaled), multiplied by the other factors before the exponent is
    // applied, so that M^gamma or M^(gamma - 1) of a tiny M does not underflow (or overflow) a
    // product that is itself in range.
    auto times_scaled = [](dw::Scaled p, DD x) -> DD {
      if (x.hi == 0.0 || !std::isfinite(x.hi) || p.m.hi == 0.0 || !std::isfinite(p.m.hi)) return p.m * x;
      const int ex = dw::exponent_of(x.hi);
      return dw::ldexp(p.m * dw::ldexp(x, -ex), p.k + ex);
    };
    const dw::Scaled mg = ga == 0 ? dw::Scaled{kOne, 0} : (m0 ? dw::Scaled{mk(0.0), 0} : dw::pow_scaled(M, ga));
    const dw::Scaled mg1 = m0 || ga == 0 ? dw::Scaled{mk(0.0), 0} : dw::pow_scaled(M, ga - 1.0);
    // d/dp
    DD r1 = mk(0.0);
    if (!(ga == 0 || m0)) {
      if (logits && yv == 1) r1 = -times_scaled(mg, ce * sigmoid(pv) * ga);
      else if (logits && yv == 0) r1 = times_scaled(mg, ce * sigmoid(-pv) * ga);
      else if (logits) r1 = times_scaled(mg1, ce * dw::two_sum(1.0, -2 * yv) * sigmoid(pv) * sigmoid(-pv) * ga);
      else r1 = times_scaled(mg1, ce * dw::two_sum(1.0, -2 * yv) * ga);
    }
    // d ce / dp, for a tiny p held as dce·2^dce_k (y/p may exceed DBL_MAX while M^gamma y/p,
    // the gradient, does not).
    DD dce;
    int dce_k = 0;
    if (logits) dce = omy * sigmoid(pv) - sigmoid(-pv) * yv;
    else {
      dce_k = pv > 0 && pv < 0x1p-900 && yv != 0 ? 200 : 0;
      dce = (yv == 1 ? mk(0.0) : dw::ldexp(omy / dw::two_sum(1.0, -pv), -dce_k)) -
            (yv == 0 ? mk(0.0) : mk(yv) / std::ldexp(pv, dce_k));
    }
    const DD gp = A * (r1 + (dce_k == 0 ? times_scaled(mg, dce) : dw::ldexp(times_scaled(mg, dce), dce_k)));
    // d/dy
    DD r2 = mk(0.0);
    if (!(ga == 0 || m0)) r2 = times_scaled(mg1, ce * (om - prob) * ga);
    const DD lqlp = logits ? mk(-pv) : (pv == 0 ? mk(kInf) : (pv == 1 ? mk(-kInf) : bw::log_ratio(dw::two_sum(1.0, -pv), mk(pv))));
    const DD Mg = dw::ldexp(mg.m, mg.k);
    const DD gy = times_scaled(mg, ce * dw::two_sum(2 * al, -1.0)) + A * (r2 + times_scaled(mg, lqlp));
    (void)Mg;
    return Pair{gy, gp};
  });
}

template <class T>
void multilabel_impl(std::span<const T> y, std::span<const T> s, Shape shape, std::span<const T> g,
                     std::span<T> dy, std::span<T> ds, Reduction r) {
  constexpr std::string_view fn = "multilabel_bce_backward";
  detail::check_shape(fn, "y", y.size(), shape);
  detail::check_shape(fn, "s", s.size(), shape);
  bw::check_unit(fn, "y", y);
  bw::check_out(fn, "dy", dy.size(), y.size());
  bw::check_out(fn, "ds", ds.size(), y.size());
  bw::check_upstream_reduced(fn, r, g.size(), shape.n);
  const DD scale = bw::scale_of(r, mk(static_cast<double>(shape.n))) / static_cast<double>(shape.c);
  for (std::size_t i = 0; i < shape.n; ++i) {
    const double gi = bw::upstream(g, r, i);
    for (std::size_t j = 0; j < shape.c; ++j) {
      const double yv = y[i * shape.c + j], sv = s[i * shape.c + j];
      DD d;
      if (std::isnan(yv) || std::isnan(sv)) d = mk(kNaN);
      else if (yv == 1) d = -sigmoid(-sv);
      else if (yv == 0) d = sigmoid(sv);
      else if (sv >= 0) d = dw::two_sum(1.0, -yv) - sigmoid(-sv);
      else d = sigmoid(sv) - yv;
      if (!ds.empty()) ds[i * shape.c + j] = bw::round_to<T>(bw::times(d, gi, scale));
      if (!dy.empty()) dy[i * shape.c + j] = bw::round_to<T>(bw::times(mk(-sv), gi, scale));  // -s/C: y is not read
    }
  }
}

}  // namespace

#define NNCONFORM_LOSSES(T)                                                                                     \
  void mse_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g, std::span<T> dy,       \
                    std::span<T> dyhat, Reduction r) {                                                          \
    mse_like<T>("mse_backward", y, yhat, g, dy, dyhat, r);                                                      \
  }                                                                                                             \
  void sse_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g, std::span<T> dy,       \
                    std::span<T> dyhat, Reduction r) {                                                          \
    if (r == Reduction::mean) detail::fail("sse_backward", "reduction mean is not offered (sse: none or sum)"); \
    mse_like<T>("sse_backward", y, yhat, g, dy, dyhat, r);                                                      \
  }                                                                                                             \
  void msle_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g, std::span<T> dy,      \
                     std::span<T> dyhat, Reduction r) {                                                         \
    msle_impl<T>(y, yhat, g, dy, dyhat, r);                                                                     \
  }                                                                                                             \
  void mae_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g, std::span<T> dy,       \
                    std::span<T> dyhat, Reduction r) {                                                          \
    mae_impl<T>(y, yhat, g, dy, dyhat, r);                                                                      \
  }                                                                                                             \
  void mape_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g, std::span<T> dy,      \
                     std::span<T> dyhat, Reduction r, const MapeOptions& o) {                                   \
    mape_impl<T>(y, yhat, g, dy, dyhat, r, o);                                                                  \
  }                                                                                                             \
  void smooth_l1_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g, std::span<T> dy, \
                          std::span<T> dyhat, Reduction r, T beta) {                                            \
    smooth_l1_impl<T>(y, yhat, g, dy, dyhat, r, beta);                                                          \
  }                                                                                                             \
  void huber_backward(std::span<const T> y, std::span<const T> yhat, std::span<const T> g, std::span<T> dy,     \
                      std::span<T> dyhat, Reduction r, T delta) {                                               \
    huber_impl<T>(y, yhat, g, dy, dyhat, r, delta);                                                             \
  }                                                                                                             \
  void quadratic_cost_backward(std::span<const T> s, std::span<const T> y, std::span<const T> g,                \
                               std::span<T> ds, std::span<T> dy, Reduction r) {                                 \
    quadratic_impl<T>(s, y, g, ds, dy, r);                                                                      \
  }                                                                                                             \
  void variance_backward(std::span<const T> x, Shape shape, std::span<const T> g, std::span<T> dx, int ddof) {  \
    variance_impl<T>(x, shape, g, dx, ddof);                                                                    \
  }                                                                                                             \
  void cosine_proximity_backward(std::span<const T> y, std::span<const T> yhat, Shape shape,                    \
                                 std::span<const T> g, std::span<T> dy, std::span<T> dyhat, Reduction r,        \
                                 T epsilon) {                                                                   \
    cosine_impl<T>(y, yhat, shape, g, dy, dyhat, r, epsilon);                                                   \
  }                                                                                                             \
  void binary_cross_entropy_backward(std::span<const T> y, std::span<const T> p, std::span<const T> w,          \
                                     std::span<const T> g, std::span<T> dy, std::span<T> dp, Reduction r,       \
                                     BceClamp clamp, T epsilon) {                                               \
    bce_impl<T>(y, p, w, g, dy, dp, r, clamp, epsilon);                                                         \
  }                                                                                                             \
  void binary_cross_entropy_with_logits_backward(std::span<const T> y, std::span<const T> s,                    \
                                                 std::span<const T> w, std::span<const T> g, std::span<T> dy,   \
                                                 std::span<T> ds, Reduction r, T pos_weight) {                  \
    bce_logits_impl<T>(y, s, w, g, dy, ds, r, pos_weight);                                                      \
  }                                                                                                             \
  void logistic_loss_backward(std::span<const T> y, std::span<const T> s, std::span<const T> g,                 \
                              std::span<T> ds, Reduction r) {                                                   \
    label_loss<T>("logistic_loss_backward", y, s, g, ds, r, false, logistic_ds);                                \
  }                                                                                                             \
  void exponential_loss_backward(std::span<const T> y, std::span<const T> s, std::span<const T> g,              \
                                 std::span<T> ds, Reduction r) {                                                \
    label_loss<T>("exponential_loss_backward", y, s, g, ds, r, false, exponential_ds);                          \
  }                                                                                                             \
  void hinge_backward(std::span<const T> y, std::span<const T> s, std::span<const T> g, std::span<T> ds,        \
                      Reduction r, LabelEncoding e) {                                                           \
    label_loss<T>("hinge_backward", y, s, g, ds, r, e == LabelEncoding::zero_one, hinge_ds);                    \
  }                                                                                                             \
  void squared_hinge_backward(std::span<const T> y, std::span<const T> s, std::span<const T> g,                 \
                              std::span<T> ds, Reduction r, LabelEncoding e) {                                  \
    label_loss<T>("squared_hinge_backward", y, s, g, ds, r, e == LabelEncoding::zero_one, squared_hinge_ds);    \
  }                                                                                                             \
  void balanced_cross_entropy_backward(std::span<const T> y, std::span<const T> p, std::span<const T> g,        \
                                       std::span<T> dy, std::span<T> dp, Reduction r, T alpha) {                \
    balanced_impl<T>(y, p, g, dy, dp, r, alpha);                                                                \
  }                                                                                                             \
  void focal_loss_backward(std::span<const T> y, std::span<const T> p, std::span<const T> g, std::span<T> dy,   \
                           std::span<T> dp, Reduction r, const FocalLossOptions& o) {                           \
    focal_impl<T>(y, p, g, dy, dp, r, o);                                                                       \
  }                                                                                                             \
  void multilabel_bce_backward(std::span<const T> y, std::span<const T> s, Shape shape, std::span<const T> g,   \
                               std::span<T> dy, std::span<T> ds, Reduction r) {                                 \
    multilabel_impl<T>(y, s, shape, g, dy, ds, r);                                                              \
  }
NNCONFORM_LOSSES(float)
NNCONFORM_LOSSES(double)
#undef NNCONFORM_LOSSES

}  // namespace nnconform::impl
