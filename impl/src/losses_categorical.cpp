// Categorical losses over rows of C classes: cross_entropy with weights, ignore_index and label
// smoothing (nn.hpp's overload forwards here from losses.cpp), nll_loss,
// categorical_cross_entropy, sparse_categorical_cross_entropy, log_loss (contracts in
// losses.hpp). Terms in lc::Wide<T>; nll_loss's products in DD for both formats.
#include <vector>

#include "loss_common.hpp"

namespace nnconform::impl {
namespace {

using lc::DD;
using lc::Term;
using dw::kInf;
using dw::kNaN;
namespace wm = lc::wm;

// -log_softmax(z)_c = (m - z_c) + L for one row, m = max z, L = log(k + s), k the number of
// entries equal to m, s = Σ_{z_j < m} e^(z_j - m) (the spec's definitions; L = log(k) +
// log1p(s/k)). No probability is formed: every term is >= 0.
template <class W>
class NegLogSoftmax {
 public:
  template <class T>
  explicit NegLogSoftmax(std::span<const T> z) {
    double m = -kInf;
    for (const T v : z) {
      if (std::isnan(v)) {
        nan_ = true;
      } else if (v > m) {
        m = v;
      }
    }
    m_ = m;
    if (nan_ || m == -kInf) {  // a NaN, or every entry -inf (z - m = NaN)
      nan_ = true;
      return;
    }
    double k = 0.0;
    lc::Accumulator s;
    for (const T v : z) {
      if (static_cast<double>(v) == m) {
        k += 1.0;
      } else if (m != kInf) {  // a +inf maximum: every other e^(z - m) is 0
        if constexpr (std::is_same_v<W, DD>) {
          s.add(dw::exp(dw::two_sum(v, -m)));  // z - m exact
        } else {
          s.add(detail::exp_diff(v, m));  // z - m compensated (detail.hpp)
        }
      }
    }
    const DD sum = lc::to_wide<DD>(s.value());
    if constexpr (std::is_same_v<W, DD>) {
      // log(k) + log1p(s/k): log1p of the DD s keeps all of a tiny s (a confident row), which
      // the DD 1 + s would round to 53 bits.
      l_ = k == 1.0 ? dw::log1p(sum) : dw::log(DD{k, 0.0}) + dw::log1p(sum / k);
    } else {
      const double sd = dw::to_double(sum);
      l_ = k == 1.0 ? std::log1p(sd) : std::log(k) + std::log1p(sd / k);
    }
  }

  bool nan() const { return nan_; }

  // -log_softmax(z)_c for the entry z_c of this row, as a Term: m - z_c is exact (DD), scaled
  // when it overflows (logits ±1e308 apart), so that weights and means stay finite where the
  // mathematics is. +inf - +inf gives NaN.
  Term at(double zc) const {
    if (nan_) return lc::term(kNaN);
    if constexpr (std::is_same_v<W, DD>) {
      const lc::ScaledDiff d = lc::scaled_diff(m_, zc);
      if (d.k == 0) return lc::term(d.d + l_);
      return lc::add(Term{d.d, -d.k}, lc::term(l_));
    } else {
      // float logits: m - z_c is exact or nearly in binary64, and far from overflow.
      const detail::Difference d = detail::two_diff(m_, zc);
      return lc::term((d.hi + l_) + d.lo);
    }
  }

 private:
  double m_ = 0.0;
  W l_{};
  bool nan_ = false;
};

// log(v_c / S) for a row of non-negative values v, S = Σ v, without cancellation: for the
// largest entry (the only one that can exceed S/2) as -log1p(O/v_k), O = Σ_{j != k} v_j.
// Values are given as DD (exact inputs, or 1 - eps) and the working type is W.
template <class W>
class LogRatio {
 public:
  explicit LogRatio(const std::vector<DD>& v) : v_(v) {
    lc::Accumulator s;
    for (std::size_t j = 0; j < v.size(); ++j) {
      s.add(v[j]);
      if (std::isnan(v[j].hi)) nan_ = true;
      if (v[j].hi > v[k_].hi) k_ = j;
    }
    lc::Accumulator o;
    for (std::size_t j = 0; j < v.size(); ++j) {
      if (j != k_) o.add(v[j]);
    }
    sum_ = lc::to_wide<W>(s.value());
    others_ = lc::to_wide<W>(o.value());
  }

  // q / sum(q) is NaN for the whole row: a NaN entry, or a row of zeros (0/0).
  bool nan() const { return nan_ || !(wm::hi(sum_) > 0.0); }

  W ratio(std::size_t c) const { return to_w(v_[c]) / sum_; }

  // (S - v_c) / S for the largest entry: 1 - ratio without cancellation.
  W complement_of_largest() const { return others_ / sum_; }
  std::size_t largest() const { return k_; }

  // A ratio below 2^-969 (2^-1074 / (2/3), say) would lose its DD low part or be rounded to
  // the subnormal grid (its log then off by up to log 2: 3.4e12 ulp of a log_loss row):
  // there log v_c - log S instead, two logs at least 969·log 2 > 670 apart (no cancellation).
  W log_ratio(std::size_t c) const {
    if (c == k_) return -wm::log1p(others_ / to_w(v_[k_]));
    const W r = ratio(c);
    if (v_[c].hi > 0.0 && wm::hi(r) < 0x1p-969) return wm::log(to_w(v_[c])) - wm::log(sum_);
    return wm::log(r);
  }

 private:
  static W to_w(DD x) {
    if constexpr (std::is_same_v<W, DD>) {
      return x;
    } else {
      return dw::to_double(x);
    }
  }

  const std::vector<DD>& v_;
  std::size_t k_ = 0;
  W sum_{};
  W others_{};
  bool nan_ = false;
};

inline bool below(double x, double b) { return x < b; }
inline bool below(DD x, double b) { return dw::less(x, b); }

// Σ w[t_i] over the rows not ignored: the divisor of cross_entropy's and nll_loss's mean
// (PyTorch's weighted mean).
template <class WeightFn>
Term target_weights(std::span<const std::int64_t> t, std::size_t n, std::int64_t ignore_index,
                    WeightFn weight) {
  lc::Accumulator weights;
  for (std::size_t i = 0; i < n; ++i) {
    if (t[i] != ignore_index) weights.add(weight(static_cast<std::size_t>(t[i])));
  }
  return weights.value();
}

// ---- kernels ----

template <class T>
void cross_entropy_impl(std::span<const T> z, std::span<const std::int64_t> t,
                        std::span<const T> w, Shape shape, std::span<T> out, Reduction reduction,
                        const CrossEntropyOptions& options) {
  using W = lc::Wide<T>;
  constexpr std::string_view fn = "cross_entropy";
  detail::check_shape(fn, "z", z.size(), shape);
  detail::check_same_length(fn, "t", t.size(), "the number of rows N", shape.n);
  detail::check_reduction_output(fn, reduction, shape.n, out.size());
  lc::check_optional_length(fn, "w", w.size(), shape.c, "the number of classes C");
  lc::check_weights(fn, "w", w);
  const double ls = static_cast<T>(options.label_smoothing);
  lc::check_param(fn, "label_smoothing", ls, 0.0, false, 1.0, false);
  lc::check_indices(fn, t, shape.c, true, options.ignore_index);

  const std::size_t c = shape.c;
  auto weight = [&](std::size_t cls) { return w.empty() ? 1.0 : static_cast<double>(w[cls]); };
  const DD one_minus_ls = dw::two_sum(1.0, -ls);  // exact
  auto row_loss = [&](std::size_t i) -> Term {
    if (t[i] == options.ignore_index) return Term{};
    const std::span<const T> row = z.subspan(i * c, c);
    const auto tc = static_cast<std::size_t>(t[i]);
    const NegLogSoftmax<W> nls(row);
    const Term nll = lc::mul(nls.at(row[tc]), weight(tc));
    if (ls == 0.0) return nll;
    lc::Accumulator smooth;  // Σ_c w_c·(-log_softmax(z)_c), terms of one sign
    for (std::size_t j = 0; j < c; ++j) smooth.add(lc::mul(nls.at(row[j]), weight(j)));
    const Term uniform = lc::divide(lc::mul(smooth.value(), ls), lc::term(static_cast<double>(c)));
    return lc::add(lc::mul(nll, one_minus_ls), uniform);
  };
  lc::reduce(reduction, shape.n, out, row_loss,
             [&] { return target_weights(t, shape.n, options.ignore_index, weight); });
}

template <class T>
void nll_impl(std::span<const T> z, std::span<const std::int64_t> t, std::span<const T> w,
              Shape shape, std::span<T> out, Reduction reduction, std::int64_t ignore_index) {
  constexpr std::string_view fn = "nll_loss";
  detail::check_shape(fn, "z", z.size(), shape);
  detail::check_same_length(fn, "t", t.size(), "the number of rows N", shape.n);
  detail::check_reduction_output(fn, reduction, shape.n, out.size());
  lc::check_optional_length(fn, "w", w.size(), shape.c, "the number of classes C");
  lc::check_weights(fn, "w", w);
  lc::check_indices(fn, t, shape.c, true, ignore_index);
  const std::size_t c = shape.c;
  auto weight = [&](std::size_t cls) { return w.empty() ? 1.0 : static_cast<double>(w[cls]); };
  auto row_loss = [&](std::size_t i) -> Term {
    if (t[i] == ignore_index) return Term{};
    const auto tc = static_cast<std::size_t>(t[i]);
    // -(w·z) exactly (a DD product of normalized factors: no overflow of w·z).
    return lc::mul(lc::term(-static_cast<double>(z[i * c + tc])), weight(tc));
  };
  lc::reduce(reduction, shape.n, out, row_loss,
             [&] { return target_weights(t, shape.n, ignore_index, weight); });
}

template <class T>
void check_probabilities_unless_logits(std::string_view fn, std::span<const T> q,
                                       bool from_logits) {
  if (from_logits) return;
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (q[i] < T(0) || q[i] > T(1)) {
      detail::fail(fn, "q must hold probabilities in [0, 1] (or pass from_logits=true): q[" +
                           std::to_string(i) + "] = " + lc::show(q[i]));
    }
  }
}

template <class T>
void categorical_impl(std::span<const T> y, std::span<const T> q, Shape shape, std::span<T> out,
                      Reduction reduction, const CategoricalCrossEntropyOptions& options) {
  using W = lc::Wide<T>;
  constexpr std::string_view fn = "categorical_cross_entropy";
  detail::check_shape(fn, "y", y.size(), shape);
  detail::check_shape(fn, "q", q.size(), shape);
  detail::check_reduction_output(fn, reduction, shape.n, out.size());
  if (options.clip != ProbabilityClip::none && options.clip != ProbabilityClip::keras) {
    detail::fail(fn, "unknown clip value " + std::to_string(static_cast<int>(options.clip)));
  }
  const double eps = static_cast<T>(options.epsilon);
  lc::check_param(fn, "epsilon", eps, 0.0, false, 0.5, true);
  lc::check_unit_interval(fn, "y", y);
  check_probabilities_unless_logits(fn, q, options.from_logits);
  const std::size_t c = shape.c;
  std::vector<DD> v(c);
  lc::reduce(reduction, shape.n, out, [&](std::size_t i) -> Term {
    const std::span<const T> yr = y.subspan(i * c, c);
    const std::span<const T> qr = q.subspan(i * c, c);
    lc::Accumulator acc;
    if (options.from_logits) {
      const NegLogSoftmax<W> nls(qr);
      for (std::size_t j = 0; j < c; ++j) {
        if (yr[j] != T(0)) acc.add(lc::mul(nls.at(qr[j]), static_cast<double>(yr[j])));
      }
    } else if (options.clip == ProbabilityClip::none) {
      for (std::size_t j = 0; j < c; ++j) {  // -xlogy(y, q)
        if (std::isnan(qr[j])) return lc::term(kNaN);
        if (yr[j] != T(0)) acc.add(lc::neg(lc::times(wm::log(wm::lift<W>(qr[j])), static_cast<double>(yr[j]))));
      }
    } else {  // keras: qk = min(max(q/S, eps), 1 - eps)
      for (std::size_t j = 0; j < c; ++j) v[j] = DD{static_cast<double>(qr[j]), 0.0};
      const LogRatio<W> lr(v);
      if (lr.nan()) return lc::term(kNaN);
      for (std::size_t j = 0; j < c; ++j) {
        if (yr[j] == T(0)) continue;
        W l;
        if (below(lr.ratio(j), eps)) {
          l = wm::log(wm::lift<W>(eps));
        } else if (j == lr.largest() && below(lr.complement_of_largest(), eps)) {
          l = wm::log1m(wm::lift<W>(eps));  // q/S > 1 - eps
        } else {
          l = lr.log_ratio(j);
        }
        acc.add(lc::neg(lc::times(l, static_cast<double>(yr[j]))));
      }
    }
    return acc.value();
  });
}

template <class T>
void sparse_impl(std::span<const std::int64_t> t, std::span<const T> q, Shape shape,
                 std::span<T> out, Reduction reduction, bool from_logits) {
  using W = lc::Wide<T>;
  constexpr std::string_view fn = "sparse_categorical_cross_entropy";
  detail::check_shape(fn, "q", q.size(), shape);
  detail::check_same_length(fn, "t", t.size(), "the number of rows N", shape.n);
  detail::check_reduction_output(fn, reduction, shape.n, out.size());
  lc::check_indices(fn, t, shape.c, false, 0);
  check_probabilities_unless_logits(fn, q, from_logits);
  const std::size_t c = shape.c;
  lc::reduce(reduction, shape.n, out, [&](std::size_t i) -> Term {
    const std::span<const T> row = q.subspan(i * c, c);
    const auto tc = static_cast<std::size_t>(t[i]);
    if (from_logits) return NegLogSoftmax<W>(row).at(row[tc]);
    return lc::term(-wm::log(wm::lift<W>(row[tc])));
  });
}

template <class T>
void log_loss_impl(std::span<const T> y, std::span<const T> q, Shape shape, std::span<T> out,
                   Reduction reduction, double eps) {
  using W = lc::Wide<T>;
  constexpr std::string_view fn = "log_loss";
  lc::check_reduction_allowed(fn, reduction, false, true, true);
  detail::check_shape(fn, "y", y.size(), shape);
  detail::check_shape(fn, "q", q.size(), shape);
  detail::check_reduction_output(fn, reduction, shape.n, out.size());
  lc::check_param(fn, "eps", eps, 0.0, false, 0.5, true);
  lc::check_unit_interval(fn, "y", y);
  lc::check_unit_interval(fn, "q", q);
  const std::size_t c = shape.c;
  const DD one_minus_eps = dw::two_sum(1.0, -eps);  // exact
  std::vector<DD> v(c);
  lc::reduce(reduction, shape.n, out, [&](std::size_t i) -> Term {
    const std::span<const T> yr = y.subspan(i * c, c);
    const std::span<const T> qr = q.subspan(i * c, c);
    for (std::size_t j = 0; j < c; ++j) {  // qc = min(max(q, eps), 1 - eps)
      const double qj = qr[j];
      if (qj < eps) {
        v[j] = DD{eps, 0.0};
      } else if (qj > 0.5 && 1.0 - qj < eps) {  // 1 - q exact (Sterbenz)
        v[j] = one_minus_eps;
      } else {
        v[j] = DD{qj, 0.0};
      }
    }
    const LogRatio<W> lr(v);
    if (lr.nan()) return lc::term(kNaN);  // xlogy(y, NaN) is NaN even for y = 0
    lc::Accumulator acc;
    for (std::size_t j = 0; j < c; ++j) {
      if (yr[j] != T(0)) acc.add(lc::neg(lc::times(lr.log_ratio(j), static_cast<double>(yr[j]))));
    }
    return acc.value();
  });
}

}  // namespace

// ---- entry points ----

void cross_entropy(std::span<const float> z, std::span<const std::int64_t> t,
                   std::span<const float> w, Shape shape, std::span<float> out,
                   Reduction reduction, const CrossEntropyOptions& options) {
  cross_entropy_impl(z, t, w, shape, out, reduction, options);
}
void cross_entropy(std::span<const double> z, std::span<const std::int64_t> t,
                   std::span<const double> w, Shape shape, std::span<double> out,
                   Reduction reduction, const CrossEntropyOptions& options) {
  cross_entropy_impl(z, t, w, shape, out, reduction, options);
}

void nll_loss(std::span<const float> z, std::span<const std::int64_t> t, Shape shape,
              std::span<float> out, Reduction reduction, std::int64_t ignore_index) {
  nll_impl<float>(z, t, {}, shape, out, reduction, ignore_index);
}
void nll_loss(std::span<const double> z, std::span<const std::int64_t> t, Shape shape,
              std::span<double> out, Reduction reduction, std::int64_t ignore_index) {
  nll_impl<double>(z, t, {}, shape, out, reduction, ignore_index);
}
void nll_loss(std::span<const float> z, std::span<const std::int64_t> t, std::span<const float> w,
              Shape shape, std::span<float> out, Reduction reduction, std::int64_t ignore_index) {
  nll_impl(z, t, w, shape, out, reduction, ignore_index);
}
void nll_loss(std::span<const double> z, std::span<const std::int64_t> t,
              std::span<const double> w, Shape shape, std::span<double> out,
              Reduction reduction, std::int64_t ignore_index) {
  nll_impl(z, t, w, shape, out, reduction, ignore_index);
}

void categorical_cross_entropy(std::span<const float> y, std::span<const float> q, Shape shape,
                               std::span<float> out, Reduction reduction,
                               const CategoricalCrossEntropyOptions& options) {
  categorical_impl(y, q, shape, out, reduction, options);
}
void categorical_cross_entropy(std::span<const double> y, std::span<const double> q, Shape shape,
                               std::span<double> out, Reduction reduction,
                               const CategoricalCrossEntropyOptions& options) {
  categorical_impl(y, q, shape, out, reduction, options);
}

void sparse_categorical_cross_entropy(std::span<const std::int64_t> t, std::span<const float> q,
                                      Shape shape, std::span<float> out, Reduction reduction,
                                      bool from_logits) {
  sparse_impl(t, q, shape, out, reduction, from_logits);
}
void sparse_categorical_cross_entropy(std::span<const std::int64_t> t,
                                      std::span<const double> q, Shape shape,
                                      std::span<double> out, Reduction reduction,
                                      bool from_logits) {
  sparse_impl(t, q, shape, out, reduction, from_logits);
}

void log_loss(std::span<const float> y, std::span<const float> q, Shape shape,
              std::span<float> out, Reduction reduction, double eps) {
  log_loss_impl(y, q, shape, out, reduction, eps);
}
void log_loss(std::span<const double> y, std::span<const double> q, Shape shape,
              std::span<double> out, Reduction reduction, double eps) {
  log_loss_impl(y, q, shape, out, reduction, eps);
}

}  // namespace nnconform::impl
