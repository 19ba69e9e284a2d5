// Regression losses: mse (declared in nn.hpp), sse, msle, mae, mape, smooth_l1, huber,
// variance, quadratic_cost, cosine_proximity (contracts in losses.hpp).
//
// Every kernel here but msle is plain arithmetic (no libm call but sqrt): it runs in
// double-double for both formats, and the differences y - yhat are exact (two_sum), scaled by a
// power of two when they leave [2^-500, 2^500] (lc::scaled_diff) so that squares and quotients
// neither overflow nor underflow before the final rounding.
#include <algorithm>

#include "loss_common.hpp"

namespace nnconform::impl {
namespace {

using lc::DD;
using lc::Term;
using dw::kNaN;

constexpr DD kNaNDD{kNaN, 0.0};

// (a - b)², as d²·2^(-2k).
Term squared_diff(double a, double b) {
  const lc::ScaledDiff s = lc::scaled_diff(a, b);
  return {s.d * s.d, -2 * s.k};
}

Term abs_diff(double a, double b) {
  const lc::ScaledDiff s = lc::scaled_diff(a, b);
  return {dw::abs(s.d), -s.k};
}

// scale·|y - yhat| / max(|y|, eps), as m·2^k with the numerator, the denominator and scale each
// normalized into [1, 2) first: a single term may exceed DBL_MAX (|y| tiny) while a mean of
// terms does not, and no quotient or product under- or overflows before the final rounding.
Term mape_term(double y, double yhat, double eps, double scale) {
  if (std::isnan(y) || std::isnan(yhat)) return lc::term(kNaN);
  const double den = std::max(std::fabs(y), eps);
  const lc::ScaledDiff s = lc::scaled_diff(y, yhat);
  const DD d = dw::abs(s.d);
  if (d.hi == 0.0 || den == 0.0 || !std::isfinite(d.hi) || !std::isfinite(den)) {
    return {(d / den) * scale, -s.k};  // 0, inf or NaN as IEEE arithmetic gives them
  }
  const int ed = dw::exponent_of(d.hi);
  const int en = dw::exponent_of(den);
  const int es = dw::exponent_of(scale);
  const DD q = (dw::ldexp(d, -ed) / dw::scale2(den, -en)) * dw::scale2(scale, -es);
  return {q, ed - s.k - en + es};
}

// |a - b| = dn·2^e with dn in [1, 2) (exact), so that the squares and products below neither
// overflow nor leave the normal range before the final rounding. Returns false for a - b = 0
// (then both losses are 0).
struct Magnitude {
  DD dn;
  int e = 0;
};
inline bool magnitude(double a, double b, Magnitude& m) {
  const lc::ScaledDiff s = lc::scaled_diff(a, b);
  if (s.d.hi == 0.0) return false;
  const DD d = dw::abs(s.d);
  const int e = dw::exponent_of(d.hi);
  m = {dw::ldexp(d, -e), e - s.k};
  return true;
}

// smooth_l1: 0.5·d²/beta if d < beta, else d - beta/2 (d >= beta: no cancellation). beta·2^-e
// saturates to inf or 0 where it leaves the double range, which keeps the comparison and the
// second branch right (beta far below d is then negligible; far above, the first branch).
Term smooth_l1_term(double a, double b, double beta) {
  if (std::isnan(a) || std::isnan(b)) return lc::term(kNaN);
  if (std::isinf(a) || std::isinf(b)) return lc::term(std::fabs(a - b));  // inf or NaN
  Magnitude m;
  if (!magnitude(a, b, m)) return lc::term(0.0);
  const double bs = dw::scale2(beta, -m.e);
  if (dw::less(m.dn, bs)) {
    const int eb = dw::exponent_of(beta);
    return {0.5 * (m.dn * m.dn) / dw::scale2(beta, -eb), 2 * m.e - eb};
  }
  return {m.dn - 0.5 * bs, m.e};
}

// huber: 0.5·d² if d <= delta, else delta·(d - delta/2).
Term huber_term(double a, double b, double delta) {
  if (std::isnan(a) || std::isnan(b)) return lc::term(kNaN);
  if (std::isinf(a) || std::isinf(b)) return lc::term(std::fabs(a - b) * delta);
  Magnitude m;
  if (!magnitude(a, b, m)) return lc::term(0.0);
  const double ds = dw::scale2(delta, -m.e);
  if (!dw::greater(m.dn, ds)) return {0.5 * (m.dn * m.dn), 2 * m.e};
  const int ed = dw::exponent_of(delta);
  return {dw::scale2(delta, -ed) * (m.dn - 0.5 * ds), ed + m.e};
}

// log1p((y - yhat)/(1 + yhat))², see losses.hpp. W = DD (double) or double (float).
template <class W>
Term msle_term(double y, double yhat) {
  const W num = lc::wm::lift<W>(y) - yhat;
  const W den = lc::wm::lift<W>(1.0) + yhat;
  const W r = num / den;
  W l;
  if (std::fabs(lc::wm::hi(r)) <= 0.5) {
    l = lc::wm::log1p(r);
  } else {
    l = lc::wm::log(lc::wm::lift<W>(1.0) + y) - lc::wm::log(lc::wm::lift<W>(1.0) + yhat);
  }
  // The square of the normalized l (as squared_diff): a square below 2^-1022 (l ~ 2^-517) is
  // rounded once, at the end, instead of losing its low part (1.1 ulp before).
  const Term n = lc::normalize(lc::term(l));
  return {n.m * n.m, 2 * n.k};
}

// sigmoid(s) - y without structural cancellation (losses.hpp, quadratic_cost).
DD sigmoid_minus(double s, double y) {
  if (std::isnan(s) || std::isnan(y)) return kNaNDD;
  if (std::fabs(s) < 1.0) {
    const DD e = dw::expm1(DD{s, 0.0});
    const DD h = e / (2.0 * (e + 2.0));  // sigmoid(s) - 1/2 = tanh(s/2)/2
    return h + dw::two_sum(0.5, -y);
  }
  if (s > 0.0) return dw::two_sum(1.0, -y) - dw::sigmoid(DD{-s, 0.0});
  return dw::sigmoid(DD{s, 0.0}) - y;
}

// ---- kernels ----

template <class T>
void mse_impl(std::string_view fn, std::span<const T> y, std::span<const T> yhat,
              std::span<T> out, Reduction reduction) {
  lc::elementwise(fn, "y", y, "yhat", yhat, out, reduction, [&](std::size_t i) {
    return squared_diff(static_cast<double>(y[i]), static_cast<double>(yhat[i]));
  });
}

template <class T>
void msle_impl(std::span<const T> y, std::span<const T> yhat, std::span<T> out,
               Reduction reduction) {
  constexpr std::string_view fn = "msle";
  for (auto [name, v] : {std::pair{"y", y}, std::pair{"yhat", yhat}}) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] <= T(-1) || std::isinf(v[i])) lc::fail_domain(fn, name, i, v[i], "(-1, inf)");
    }
  }
  lc::elementwise(fn, "y", y, "yhat", yhat, out, reduction, [&](std::size_t i) {
    return msle_term<lc::Wide<T>>(static_cast<double>(y[i]), static_cast<double>(yhat[i]));
  });
}

template <class T>
void mae_impl(std::span<const T> y, std::span<const T> yhat, std::span<T> out,
              Reduction reduction) {
  lc::elementwise("mae", "y", y, "yhat", yhat, out, reduction, [&](std::size_t i) {
    return abs_diff(static_cast<double>(y[i]), static_cast<double>(yhat[i]));
  });
}

template <class T>
void mape_impl(std::span<const T> y, std::span<const T> yhat, std::span<T> out,
               Reduction reduction, const MapeOptions& options) {
  constexpr std::string_view fn = "mape";
  const double eps = static_cast<T>(options.epsilon);
  lc::check_param(fn, "epsilon", eps, 0.0, false, dw::kInf, true);
  lc::check_param(fn, "scale", options.scale, 0.0, true, dw::kInf, true);
  lc::elementwise(fn, "y", y, "yhat", yhat, out, reduction, [&](std::size_t i) {
    return mape_term(static_cast<double>(y[i]), static_cast<double>(yhat[i]), eps, options.scale);
  });
}

template <class T>
void smooth_l1_impl(std::span<const T> y, std::span<const T> yhat, std::span<T> out,
                    Reduction reduction, T beta) {
  constexpr std::string_view fn = "smooth_l1";
  lc::check_param(fn, "beta", beta, 0.0, false, dw::kInf, true);
  lc::elementwise(fn, "y", y, "yhat", yhat, out, reduction, [&](std::size_t i) {
    return smooth_l1_term(static_cast<double>(y[i]), static_cast<double>(yhat[i]), beta);
  });
}

template <class T>
void huber_impl(std::span<const T> y, std::span<const T> yhat, std::span<T> out,
                Reduction reduction, T delta) {
  constexpr std::string_view fn = "huber";
  lc::check_param(fn, "delta", delta, 0.0, true, dw::kInf, true);
  lc::elementwise(fn, "y", y, "yhat", yhat, out, reduction, [&](std::size_t i) {
    return huber_term(static_cast<double>(y[i]), static_cast<double>(yhat[i]), delta);
  });
}

template <class T>
void variance_impl(std::span<const T> x, Shape shape, std::span<T> out, int ddof) {
  constexpr std::string_view fn = "variance";
  detail::check_shape(fn, "x", x.size(), shape);
  detail::check_same_length(fn, "out", out.size(), "the number of rows N", shape.n);
  if (ddof != 0 && ddof != 1) {
    detail::fail(fn, "parameter ddof = " + std::to_string(ddof) + " is outside its range [0, 1]");
  }
  const std::size_t c = shape.c;
  const double count = static_cast<double>(c);
  const double divisor = static_cast<double>(c) - ddof;
  for (std::size_t i = 0; i < shape.n; ++i) {
    const std::span<const T> row = x.subspan(i * c, c);
    bool finite = true;
    double big = 0.0;
    for (const T v : row) {
      if (!std::isfinite(v)) finite = false;
      big = std::max(big, std::fabs(static_cast<double>(v)));
    }
    if (!finite) {
      out[i] = static_cast<T>(kNaN);
      continue;
    }
    // Scale into [1, 2) (exact, but for bits below 2^-1074 of entries far below the largest),
    // shift by the first entry (exact), then mean and sum of squared deviations in DD.
    const int k = big == 0.0 ? 0 : -dw::exponent_of(big);
    const double shift = dw::scale2(static_cast<double>(row[0]), k);
    auto centered = [&](std::size_t j) {
      return dw::two_sum(dw::scale2(static_cast<double>(row[j]), k), -shift);
    };
    DD sum{};
    for (std::size_t j = 0; j < c; ++j) sum = sum + centered(j);
    const DD mean = sum / count;
    DD ss{};
    for (std::size_t j = 0; j < c; ++j) {
      const DD dev = centered(j) - mean;
      ss = ss + dev * dev;
    }
    out[i] = lc::round_to<T>(Term{ss / divisor, -2 * k});
  }
}

template <class T>
void quadratic_cost_impl(std::span<const T> s, std::span<const T> y, std::span<T> out,
                         Reduction reduction) {
  constexpr std::string_view fn = "quadratic_cost";
  lc::check_unit_interval(fn, "y", y);
  lc::elementwise(fn, "s", s, "y", y, out, reduction, [&](std::size_t i) {
    const DD d = sigmoid_minus(static_cast<double>(s[i]), static_cast<double>(y[i]));
    const Term n = lc::normalize(lc::term(d));  // the square may be subnormal: round it once
    return Term{0.5 * (n.m * n.m), 2 * n.k};
  });
}

template <class T>
void cosine_proximity_impl(std::span<const T> y, std::span<const T> yhat, Shape shape,
                           std::span<T> out, Reduction reduction, T epsilon) {
  constexpr std::string_view fn = "cosine_proximity";
  detail::check_shape(fn, "y", y.size(), shape);
  detail::check_shape(fn, "yhat", yhat.size(), shape);
  lc::check_param(fn, "epsilon", epsilon, 0.0, false, dw::kInf, true);
  detail::check_reduction_output(fn, reduction, shape.n, out.size());
  const std::size_t c = shape.c;
  const double eps = epsilon;
  lc::reduce(reduction, shape.n, out, [&](std::size_t i) -> Term {
    const std::span<const T> a = y.subspan(i * c, c);
    const std::span<const T> b = yhat.subspan(i * c, c);
    double ma = 0.0;
    double mb = 0.0;
    for (std::size_t j = 0; j < c; ++j) {
      const double u = a[j];
      const double v = b[j];
      if (!std::isfinite(u) || !std::isfinite(v)) return lc::term(kNaN);  // NaN, or inf/inf
      ma = std::max(ma, std::fabs(u));
      mb = std::max(mb, std::fabs(v));
    }
    const int ka = ma == 0.0 ? 0 : -dw::exponent_of(ma);
    const int kb = mb == 0.0 ? 0 : -dw::exponent_of(mb);
    DD saa{}, sbb{}, sab{};
    for (std::size_t j = 0; j < c; ++j) {
      const double u = dw::scale2(static_cast<double>(a[j]), ka);
      const double v = dw::scale2(static_cast<double>(b[j]), kb);
      saa = saa + dw::two_prod(u, u);
      sbb = sbb + dw::two_prod(v, v);
      sab = sab + dw::two_prod(u, v);
    }
    // Norm = sqrt(max(Σ x², eps)) as m·2^e; Σ x² = s·2^(-2k), so it is floored where
    // s < eps·2^(2k) (ldexp saturates to inf or 0, which keeps the comparison right).
    auto norm = [eps](DD s, int k) -> Term {
      if (dw::less(s, dw::scale2(eps, 2 * k))) return {dw::sqrt(DD{eps, 0.0}), 0};
      return {dw::sqrt(s), -k};
    };
    const Term na = norm(saa, ka);
    const Term nb = norm(sbb, kb);
    return {-(sab / (na.m * nb.m)), -(ka + kb) - na.k - nb.k};
  });
}

}  // namespace

// ---- entry points (mse's declaration is in nn.hpp; its definition is in losses.cpp) ----

namespace lc {
void mse_kernel(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
                Reduction reduction) {
  mse_impl("mse", y, yhat, out, reduction);
}
void mse_kernel(std::span<const double> y, std::span<const double> yhat,
                std::span<double> out, Reduction reduction) {
  mse_impl("mse", y, yhat, out, reduction);
}
}  // namespace lc

void sse(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
         Reduction reduction) {
  lc::check_reduction_allowed("sse", reduction, true, false, true);
  mse_impl("sse", y, yhat, out, reduction);
}
void sse(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
         Reduction reduction) {
  lc::check_reduction_allowed("sse", reduction, true, false, true);
  mse_impl("sse", y, yhat, out, reduction);
}

void msle(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
          Reduction reduction) {
  msle_impl(y, yhat, out, reduction);
}
void msle(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
          Reduction reduction) {
  msle_impl(y, yhat, out, reduction);
}

void mae(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
         Reduction reduction) {
  mae_impl(y, yhat, out, reduction);
}
void mae(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
         Reduction reduction) {
  mae_impl(y, yhat, out, reduction);
}

void mape(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
          Reduction reduction, const MapeOptions& options) {
  mape_impl(y, yhat, out, reduction, options);
}
void mape(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
          Reduction reduction, const MapeOptions& options) {
  mape_impl(y, yhat, out, reduction, options);
}

void smooth_l1(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
               Reduction reduction, float beta) {
  smooth_l1_impl(y, yhat, out, reduction, beta);
}
void smooth_l1(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
               Reduction reduction, double beta) {
  smooth_l1_impl(y, yhat, out, reduction, beta);
}

void huber(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
           Reduction reduction, float delta) {
  huber_impl(y, yhat, out, reduction, delta);
}
void huber(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
           Reduction reduction, double delta) {
  huber_impl(y, yhat, out, reduction, delta);
}

void variance(std::span<const float> x, Shape shape, std::span<float> out, int ddof) {
  variance_impl(x, shape, out, ddof);
}
void variance(std::span<const double> x, Shape shape, std::span<double> out, int ddof) {
  variance_impl(x, shape, out, ddof);
}

void quadratic_cost(std::span<const float> s, std::span<const float> y, std::span<float> out,
                    Reduction reduction) {
  quadratic_cost_impl(s, y, out, reduction);
}
void quadratic_cost(std::span<const double> s, std::span<const double> y, std::span<double> out,
                    Reduction reduction) {
  quadratic_cost_impl(s, y, out, reduction);
}

void cosine_proximity(std::span<const float> y, std::span<const float> yhat, Shape shape,
                      std::span<float> out, Reduction reduction, float epsilon) {
  cosine_proximity_impl(y, yhat, shape, out, reduction, epsilon);
}
void cosine_proximity(std::span<const double> y, std::span<const double> yhat, Shape shape,
                      std::span<double> out, Reduction reduction, double epsilon) {
  cosine_proximity_impl(y, yhat, shape, out, reduction, epsilon);
}

}  // namespace nnconform::impl
