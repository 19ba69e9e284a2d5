// Binary classification losses: binary_cross_entropy (every convention; nn.hpp's overload is
// in losses.cpp), binary_cross_entropy_with_logits, logistic_loss, exponential_loss, hinge,
// squared_hinge, balanced_cross_entropy, focal_loss, multilabel_bce (contracts in losses.hpp).
//
// Terms are evaluated in lc::Wide<T> (double-double for binary64, binary64 for binary32) except
// where noted (hinge: exact arithmetic; focal_loss: double-double for both), and rounded once.
#include "loss_common.hpp"

namespace nnconform::impl {
namespace {

using lc::DD;
using lc::Term;
using dw::kNaN;
namespace wm = lc::wm;

inline bool below(double x, double bound) { return x < bound; }
inline bool below(DD x, double bound) { return dw::less(x, bound); }

// Keeps a log term >= -100 (PyTorch); NaN passes.
template <class W>
W clamp_log(W l) {
  return below(l, -100.0) ? wm::lift<W>(-100.0) : l;
}

// -w·[where(y = 0, 0, y·lp) + where(y = 1, 0, (1 - y)·lq)] (binary_cross_entropy.yaml).
template <class W>
Term bce_term(double y, double p, double w, BceClamp clamp, double eps) {
  W lp;
  W lq;
  if (clamp == BceClamp::keras && p < eps) {  // pc = eps
    lp = wm::log(wm::lift<W>(eps));
    lq = wm::log1m(wm::lift<W>(eps));
  } else if (clamp == BceClamp::keras && p > 0.5 && 1.0 - p < eps) {  // pc = 1 - eps (exact)
    lp = wm::log1m(wm::lift<W>(eps));
    lq = wm::log(wm::lift<W>(eps));
  } else {
    lp = wm::log(wm::lift<W>(p));
    lq = wm::log1m(wm::lift<W>(p));
  }
  if (clamp == BceClamp::pytorch) {
    lp = clamp_log(lp);
    lq = clamp_log(lq);
  }
  const Term a = y == 0.0 ? Term{} : lc::times(lp, y);
  const Term b = y == 1.0 ? Term{} : lc::times(lq, wm::lift<W>(1.0) - y);
  const Term v = lc::neg(lc::add(a, b));
  if (v.m.hi == 0.0 && !std::isnan(w)) return Term{};  // an exact zero loss is +0 (w finite)
  return lc::mul(v, w);  // scaled: w·745 may exceed DBL_MAX alone, not in a mean
}

// w·[pos_weight·where(y = 0, 0, y·softplus(-s)) + where(y = 1, 0, (1 - y)·softplus(s))],
// as a Term: a softplus tail below e^-700 stays scaled, so a subnormal loss is rounded once.
template <class W>
Term bce_logits_term(double y, double s, double w, double pos_weight) {
  if constexpr (std::is_same_v<W, double>) {
    // float inputs: binary64's range and precision cover every float result (e^-103 is far
    // above binary64's subnormals): plain binary64, rounded once at the end.
    const double a = y == 0.0 ? 0.0 : y * wm::softplus(-s);
    const double b = y == 1.0 ? 0.0 : (1.0 - y) * wm::softplus(s);
    return lc::term(w * (pos_weight * a + b));
  }
  // softplus(±s) = max(±s, 0) + L, L = log1p(e^-|s|): one exponential and one logarithm for
  // both terms, and no cancellation (both parts >= 0). L stays scaled below e^-700.
  if (std::isnan(s)) return lc::term(dw::kNaN);
  const DD one_minus_y = dw::two_sum(1.0, -y);
  const Term l = std::isinf(s) ? Term{} : lc::term(wm::softplus_scaled(DD{-std::fabs(s), 0.0}));
  auto softplus_of = [&](double v) { return v > 0.0 ? lc::add(lc::term(v), l) : l; };
  const Term a = y == 0.0 ? Term{} : lc::mul(softplus_of(-s), y);
  const Term b = y == 1.0 ? Term{} : lc::mul(softplus_of(s), one_minus_y);
  return lc::mul(lc::add(lc::mul(a, pos_weight), b), w);
}

// -(alpha·xlogy(y, p) + (1 - alpha)·xlog1py(1 - y, -p)).
// Products as Terms (lc::times): a subnormal-sized y·log p is rounded once, at the end.
template <class W>
Term balanced_term(double y, double p, double alpha) {
  if (std::isnan(y) || std::isnan(p)) return lc::term(kNaN);
  const Term a = y == 0.0 ? Term{} : lc::times(wm::log(wm::lift<W>(p)), y);
  const Term b = y == 1.0 ? Term{} : lc::times(wm::log1m(wm::lift<W>(p)), wm::lift<W>(1.0) - y);
  const Term v = lc::neg(lc::add(lc::mul(a, alpha), lc::mul(b, dw::two_sum(1.0, -alpha))));
  return v.m.hi == 0.0 ? Term{} : v;
}

// The same in binary64, for float inputs with gamma <= 2^16: 1 - p_t is accurate to a few
// 2^-53 (1 - p exact, products of floats exact), so (1 - p_t)^gamma errs by < 2^-36 relative,
// and nothing a float result needs leaves binary64's range.
double focal_term_binary64(double y, double p, double alpha, double gamma, bool from_logits) {
  double ce;
  double x;
  if (from_logits) {
    const double a = y == 0.0 ? 0.0 : y * wm::softplus(-p);
    const double b = y == 1.0 ? 0.0 : (1.0 - y) * wm::softplus(p);
    ce = a + b;
    x = y * wm::sigmoid(-p) + (1.0 - y) * wm::sigmoid(p);
  } else {
    const double a = y == 0.0 ? 0.0 : y * std::log(p);
    const double b = y == 1.0 ? 0.0 : (1.0 - y) * wm::log1m(p);
    ce = -(a + b);
    x = y * (1.0 - p) + (1.0 - y) * p;
  }
  const double alpha_t = alpha * y + (1.0 - alpha) * (1.0 - y);
  double f = std::isnan(x) ? x : (gamma == 0.0 ? 1.0 : std::pow(x, gamma));
  // x > 0 whose power underflows binary64 stays positive: times an infinite ce it is inf, as the
  // mathematics (and the reference) give, not 0·inf = NaN; times a finite ce (<= 2^128) it is
  // below 2^-946, 0 in float.
  if (f == 0.0 && x > 0.0) f = std::numeric_limits<double>::denorm_min();
  const double v = alpha_t * f * ce;
  return v == 0.0 ? 0.0 : v;
}

// (alpha·y + (1 - alpha)(1 - y))·(1 - p_t)^gamma·ce, in DD; (1 - p_t)^gamma stays scaled
// (m·2^k) until the final rounding.
Term focal_term(double y, double p, double alpha, double gamma, bool from_logits) {
  const DD one_minus_y = dw::two_sum(1.0, -y);
  DD ce;
  DD x;  // 1 - p_t
  if (from_logits) {
    const DD s{p, 0.0};
    const DD a = y == 0.0 ? DD{} : dw::softplus(-s) * y;          // -y·log sigmoid(s)
    const DD b = y == 1.0 ? DD{} : dw::softplus(s) * one_minus_y;  // -(1-y)·log(1 - sigmoid(s))
    ce = a + b;
    x = dw::sigmoid(-s) * y + dw::sigmoid(s) * one_minus_y;
  } else {
    const DD pd{p, 0.0};
    const DD a = y == 0.0 ? DD{} : dw::log(pd) * y;
    const DD b = y == 1.0 ? DD{} : dw::log(1.0 - pd) * one_minus_y;
    ce = -(a + b);
    x = (1.0 - pd) * y + pd * one_minus_y;  // non-negative terms: no cancellation
  }
  const DD alpha_t = DD{alpha, 0.0} * y + dw::two_sum(1.0, -alpha) * one_minus_y;
  const Term v = lc::mul(lc::mul(lc::term(dw::pow_scaled(x, gamma)), alpha_t), ce);
  if (v.m.hi == 0.0) return {DD{}, 0};
  return v;
}

// ---- validation helpers ----

template <class T>
void check_labels_pm1(std::string_view fn, std::span<const T> y) {
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (!std::isnan(y[i]) && y[i] != T(-1) && y[i] != T(1)) {
      detail::fail(fn, "labels y must be -1 or +1: y[" + std::to_string(i) + "] = " +
                           lc::show(y[i]));
    }
  }
}

template <class T>
void check_hinge_labels(std::string_view fn, std::span<const T> y, LabelEncoding enc) {
  if (enc == LabelEncoding::pm1) {
    for (std::size_t i = 0; i < y.size(); ++i) {
      if (!std::isnan(y[i]) && y[i] != T(-1) && y[i] != T(1)) {
        detail::fail(fn, "labels must be -1 or +1 (or 0 and 1 with label_encoding=zero_one): y[" +
                             std::to_string(i) + "] = " + lc::show(y[i]));
      }
    }
  } else if (enc == LabelEncoding::zero_one) {
    for (std::size_t i = 0; i < y.size(); ++i) {
      if (!std::isnan(y[i]) && y[i] != T(0) && y[i] != T(1)) {
        detail::fail(fn, "labels must be 0 or 1 with label_encoding=zero_one: y[" +
                             std::to_string(i) + "] = " + lc::show(y[i]));
      }
    }
  } else {
    detail::fail(fn, "unknown label_encoding value " + std::to_string(static_cast<int>(enc)));
  }
}

// ---- kernels ----

template <class T>
void bce_impl(std::span<const T> y, std::span<const T> p, std::span<const T> w, std::span<T> out,
              Reduction reduction, const BinaryCrossEntropyOptions& options) {
  constexpr std::string_view fn = "binary_cross_entropy";
  const BceClamp clamp = options.clamp;
  if (clamp != BceClamp::none && clamp != BceClamp::pytorch && clamp != BceClamp::keras) {
    detail::fail(fn, "unknown clamp value " + std::to_string(static_cast<int>(clamp)));
  }
  const double eps = static_cast<T>(options.epsilon);
  lc::check_param(fn, "epsilon", eps, 0.0, false, 0.5, true);
  lc::check_optional_length(fn, "w", w.size(), y.size(), "the number of elements");
  lc::check_unit_interval(fn, "y", y);
  lc::check_unit_interval(fn, "p", p);
  lc::check_weights(fn, "w", w);
  lc::elementwise(fn, "y", y, "p", p, out, reduction, [&](std::size_t i) {
    const double wi = w.empty() ? 1.0 : static_cast<double>(w[i]);
    return bce_term<lc::Wide<T>>(y[i], p[i], wi, clamp, eps);
  });
}

template <class T>
void bce_logits_impl(std::span<const T> y, std::span<const T> s, std::span<const T> w,
                     std::span<T> out, Reduction reduction, T pos_weight) {
  constexpr std::string_view fn = "binary_cross_entropy_with_logits";
  lc::check_param(fn, "pos_weight", pos_weight, 0.0, false, dw::kInf, true);
  lc::check_optional_length(fn, "w", w.size(), y.size(), "the number of elements");
  lc::check_unit_interval(fn, "y", y);
  lc::check_weights(fn, "w", w);
  lc::elementwise(fn, "y", y, "s", s, out, reduction, [&](std::size_t i) {
    const double wi = w.empty() ? 1.0 : static_cast<double>(w[i]);
    return bce_logits_term<lc::Wide<T>>(y[i], s[i], wi, pos_weight);
  });
}

template <class T>
void logistic_impl(std::span<const T> y, std::span<const T> s, std::span<T> out,
                   Reduction reduction) {
  constexpr std::string_view fn = "logistic_loss";
  check_labels_pm1(fn, y);
  lc::elementwise(fn, "y", y, "s", s, out, reduction, [&](std::size_t i) {
    const double m = -(static_cast<double>(y[i]) * static_cast<double>(s[i]));  // exact: y = ±1
    return lc::term(wm::softplus_scaled(wm::lift<lc::Wide<T>>(m)));
  });
}

template <class T>
void exponential_impl(std::span<const T> y, std::span<const T> s, std::span<T> out,
                      Reduction reduction) {
  constexpr std::string_view fn = "exponential_loss";
  check_labels_pm1(fn, y);
  lc::elementwise(fn, "y", y, "s", s, out, reduction, [&](std::size_t i) -> Term {
    const double m = -(static_cast<double>(y[i]) * static_cast<double>(s[i]));  // exact
    if constexpr (std::is_same_v<T, double>) {
      return lc::term(dw::exp_scaled(DD{m, 0.0}));  // scaled: e^800 can still enter a mean
    } else {
      return lc::term(std::exp(m));  // binary64's range covers every float result
    }
  });
}

// max(1 - label·s, 0) exactly (DD), label = ±1.
DD hinge_value(double y, double s, LabelEncoding enc) {
  const double label = enc == LabelEncoding::zero_one ? 2.0 * y - 1.0 : y;
  const DD h = dw::two_sum(1.0, -(label * s));  // label·s exact
  if (std::isnan(h.hi)) return h;
  return h.hi > 0.0 ? h : DD{};
}

template <class T>
void hinge_impl(std::string_view fn, std::span<const T> y, std::span<const T> s,
                std::span<T> out, Reduction reduction, LabelEncoding enc, bool squared) {
  check_hinge_labels(fn, y, enc);
  lc::elementwise(fn, "y", y, "s", s, out, reduction, [&](std::size_t i) {
    const DD h = hinge_value(y[i], s[i], enc);
    if (!squared) return lc::term(h);
    const Term n = lc::normalize(lc::term(h));  // (2e154)² overflows alone, not in a mean of 4
    return Term{n.m * n.m, 2 * n.k};
  });
}

template <class T>
void balanced_impl(std::span<const T> y, std::span<const T> p, std::span<T> out,
                   Reduction reduction, T alpha) {
  constexpr std::string_view fn = "balanced_cross_entropy";
  lc::check_param(fn, "alpha", alpha, 0.0, false, 1.0, false);
  lc::check_unit_interval(fn, "y", y);
  lc::check_unit_interval(fn, "p", p);
  lc::elementwise(fn, "y", y, "p", p, out, reduction, [&](std::size_t i) {
    return balanced_term<lc::Wide<T>>(y[i], p[i], alpha);
  });
}

template <class T>
void focal_impl(std::span<const T> y, std::span<const T> p, std::span<T> out,
                Reduction reduction, const FocalLossOptions& options) {
  constexpr std::string_view fn = "focal_loss";
  const double alpha = static_cast<T>(options.alpha);
  const double gamma = static_cast<T>(options.gamma);
  lc::check_param(fn, "alpha", alpha, 0.0, false, 1.0, false);
  lc::check_param(fn, "gamma", gamma, 0.0, false, dw::kInf, true);
  lc::check_unit_interval(fn, "y", y);
  if (!options.from_logits) {
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] < T(0) || p[i] > T(1)) {
        detail::fail(fn, "p must be a probability in [0, 1] (or pass from_logits=true): p[" +
                             std::to_string(i) + "] = " + lc::show(p[i]));
      }
    }
  }
  const bool binary64 = std::is_same_v<T, float> && gamma <= 0x1p16;
  lc::elementwise(fn, "y", y, "p", p, out, reduction, [&](std::size_t i) {
    if (binary64) {
      return lc::term(focal_term_binary64(y[i], p[i], alpha, gamma, options.from_logits));
    }
    return focal_term(y[i], p[i], alpha, gamma, options.from_logits);
  });
}

template <class T>
void multilabel_impl(std::span<const T> y, std::span<const T> s, Shape shape, std::span<T> out,
                     Reduction reduction) {
  constexpr std::string_view fn = "multilabel_bce";
  detail::check_shape(fn, "y", y.size(), shape);
  detail::check_shape(fn, "s", s.size(), shape);
  detail::check_reduction_output(fn, reduction, shape.n, out.size());
  lc::check_unit_interval(fn, "y", y);
  const std::size_t c = shape.c;
  lc::reduce(reduction, shape.n, out, [&](std::size_t i) {
    lc::Accumulator row;
    for (std::size_t j = i * c; j < (i + 1) * c; ++j) {
      row.add(bce_logits_term<lc::Wide<T>>(y[j], s[j], 1.0, 1.0));
    }
    return lc::divide(row.value(), lc::term(static_cast<double>(c)));
  });
}

}  // namespace

// ---- entry points ----

void binary_cross_entropy(std::span<const float> y, std::span<const float> p,
                          std::span<const float> w, std::span<float> out, Reduction reduction,
                          const BinaryCrossEntropyOptions& options) {
  bce_impl(y, p, w, out, reduction, options);
}
void binary_cross_entropy(std::span<const double> y, std::span<const double> p,
                          std::span<const double> w, std::span<double> out, Reduction reduction,
                          const BinaryCrossEntropyOptions& options) {
  bce_impl(y, p, w, out, reduction, options);
}

void binary_cross_entropy_with_logits(std::span<const float> y, std::span<const float> s,
                                      std::span<const float> w, std::span<float> out,
                                      Reduction reduction, float pos_weight) {
  bce_logits_impl(y, s, w, out, reduction, pos_weight);
}
void binary_cross_entropy_with_logits(std::span<const double> y, std::span<const double> s,
                                      std::span<const double> w, std::span<double> out,
                                      Reduction reduction, double pos_weight) {
  bce_logits_impl(y, s, w, out, reduction, pos_weight);
}
void binary_cross_entropy_with_logits(std::span<const float> y, std::span<const float> s,
                                      std::span<float> out, Reduction reduction,
                                      float pos_weight) {
  bce_logits_impl(y, s, {}, out, reduction, pos_weight);
}
void binary_cross_entropy_with_logits(std::span<const double> y, std::span<const double> s,
                                      std::span<double> out, Reduction reduction,
                                      double pos_weight) {
  bce_logits_impl(y, s, {}, out, reduction, pos_weight);
}

void logistic_loss(std::span<const float> y, std::span<const float> s, std::span<float> out,
                   Reduction reduction) {
  logistic_impl(y, s, out, reduction);
}
void logistic_loss(std::span<const double> y, std::span<const double> s, std::span<double> out,
                   Reduction reduction) {
  logistic_impl(y, s, out, reduction);
}

void exponential_loss(std::span<const float> y, std::span<const float> s, std::span<float> out,
                      Reduction reduction) {
  exponential_impl(y, s, out, reduction);
}
void exponential_loss(std::span<const double> y, std::span<const double> s,
                      std::span<double> out, Reduction reduction) {
  exponential_impl(y, s, out, reduction);
}

void hinge(std::span<const float> y, std::span<const float> s, std::span<float> out,
           Reduction reduction, LabelEncoding label_encoding) {
  hinge_impl("hinge", y, s, out, reduction, label_encoding, false);
}
void hinge(std::span<const double> y, std::span<const double> s, std::span<double> out,
           Reduction reduction, LabelEncoding label_encoding) {
  hinge_impl("hinge", y, s, out, reduction, label_encoding, false);
}

void squared_hinge(std::span<const float> y, std::span<const float> s, std::span<float> out,
                   Reduction reduction, LabelEncoding label_encoding) {
  hinge_impl("squared_hinge", y, s, out, reduction, label_encoding, true);
}
void squared_hinge(std::span<const double> y, std::span<const double> s, std::span<double> out,
                   Reduction reduction, LabelEncoding label_encoding) {
  hinge_impl("squared_hinge", y, s, out, reduction, label_encoding, true);
}

void balanced_cross_entropy(std::span<const float> y, std::span<const float> p,
                            std::span<float> out, Reduction reduction, float alpha) {
  balanced_impl(y, p, out, reduction, alpha);
}
void balanced_cross_entropy(std::span<const double> y, std::span<const double> p,
                            std::span<double> out, Reduction reduction, double alpha) {
  balanced_impl(y, p, out, reduction, alpha);
}

void focal_loss(std::span<const float> y, std::span<const float> p, std::span<float> out,
                Reduction reduction, const FocalLossOptions& options) {
  focal_impl(y, p, out, reduction, options);
}
void focal_loss(std::span<const double> y, std::span<const double> p, std::span<double> out,
                Reduction reduction, const FocalLossOptions& options) {
  focal_impl(y, p, out, reduction, options);
}

void multilabel_bce(std::span<const float> y, std::span<const float> s, Shape shape,
                    std::span<float> out, Reduction reduction) {
  multilabel_impl(y, s, shape, out, reduction);
}
void multilabel_bce(std::span<const double> y, std::span<const double> s, Shape shape,
                    std::span<double> out, Reduction reduction) {
  multilabel_impl(y, s, shape, out, reduction);
}

}  // namespace nnconform::impl
