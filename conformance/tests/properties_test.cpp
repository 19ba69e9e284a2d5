// Properties of the mathematics, checked with RapidCheck on random inputs that lean on the
// extremes, with shrinking to a minimal counterexample:
//  - on the reference, at 256 bits in interval arithmetic, every identity every spec states
//    (an identity fails only when its two sides' enclosures are disjoint);
//  - on the built-in implementation, the identities of the first functions within bounds
//    stated in the form the floating-point arithmetic allows (absolute where a side cancels).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "nnconform/impl/nn.hpp"
#include "nnconform/ref/evaluator.hpp"

namespace nnconform {
namespace {

const ref::SpecSet& specs() {
  static const ref::SpecSet s = ref::SpecSet::load(NNCONFORM_SPEC_DIR);
  return s;
}

// Doubles that lean on the extremes: tiny, huge, subnormal, near 0 and 1, exact integers.
rc::Gen<double> extreme_double() {
  return rc::gen::weightedOneOf<double>({
      {4, rc::gen::map(rc::gen::inRange(-40000, 40000), [](int v) { return v / 1000.0; })},
      {2, rc::gen::map(rc::gen::arbitrary<double>(), [](double v) { return std::isfinite(v) ? v : 0.0; })},
      {1, rc::gen::element(0.0, -0.0, 1e-300, -1e-300, 4.9e-324, 1e300, -1e300, 1.7976931348623157e308,
                           -1.7976931348623157e308, 700.0, -745.0, 36.7, -36.7, 1e4, -1e4)},
  });
}

rc::Gen<double> probability() {
  return rc::gen::weightedOneOf<double>({
      {4, rc::gen::map(rc::gen::inRange(0, 1000001), [](int v) { return v / 1e6; })},
      {1, rc::gen::element(0.0, 1.0, 1e-300, 4.9e-324, 1e-45, 1.0 - 1.1102230246251565e-16)},
  });
}

// A real input value for the reference, by domain: probabilities for [0, 1], else extremes
// (within a finite domain's bounds).
rc::Gen<double> value_for(const ref::FunctionSpec& fn, const ref::InputSpec& in) {
  if (in.domain && in.domain->lo >= 0 && in.domain->hi <= 1) return probability();
  // Probabilities checked by a `requires` rather than a domain (they may hold logs or logits
  // under some parameter settings).
  bool probability_name = in.name == "p" || in.name == "q" || in.name == "y";
  if (fn.family != "activation" && probability_name && !fn.requires_.empty()) return probability();
  if (in.domain && in.domain->lo > -1 && in.domain->lo <= 0)
    return rc::gen::map(rc::gen::inRange(0, 1000000), [](int v) { return v / 1000.0; });
  return extreme_double();
}

ref::Tensor tensor_of(const std::vector<double>& v, bool vector) {
  ref::Tensor t;
  if (vector) t.shape = {v.size()};
  for (double x : v) t.values.push_back(ref::FloatBits::from_double(x));
  return t;
}

// Every identity of every spec holds on the reference at 256 bits. Labels for the losses
// that take +-1 or 0/1 labels are drawn from their label sets.
TEST(ReferenceIdentities, HoldOnRandomInputs) {
  ref::Reference reference(specs());
  std::size_t checked = 0;
  for (const auto& fn : specs().functions()) {
    for (const auto& identity : fn.identities) {
      bool ok = rc::check(fn.name + ": " + identity.text, [&] {
        std::size_t length = *rc::gen::inRange<std::size_t>(1, 7);
        ref::Arguments args;
        bool labels_pm1 = fn.name == "logistic_loss" || fn.name == "exponential_loss" || fn.name == "hinge" ||
                          fn.name == "squared_hinge";
        for (const auto& in : fn.inputs) {
          if (in.optional) continue;
          if (in.type == ref::InputType::index) {
            args.inputs[in.name] = ref::Tensor{{}, {}, {static_cast<long>(*rc::gen::inRange<std::size_t>(0, length))}};
            continue;
          }
          bool vec = in.shape == ref::Shape::vector;
          std::vector<double> v;
          for (std::size_t i = 0; i < (vec ? length : 1); ++i) {
            if (labels_pm1 && in.name == "y") v.push_back(*rc::gen::element(-1.0, 1.0));
            else v.push_back(*value_for(fn, in));
          }
          args.inputs[in.name] = tensor_of(v, vec);
        }
        RC_PRE(fn.name != "maxout" || length > 0);
        ref::Truth t = ref::Truth::True;
        try {
          t = reference.check_identity(fn, identity, args, 256);
        } catch (const ref::EvalError&) {
          RC_DISCARD("not valid input for this function");
        }
        RC_ASSERT(t != ref::Truth::False);
      });
      EXPECT_TRUE(ok) << fn.name << ": " << identity.text;
      ++checked;
    }
  }
  EXPECT_GT(checked, 20u);
}

// ---- The built-in implementation. ----

template <typename T>
T one_sigmoid(T x) {
  T y;
  impl::sigmoid(std::span<const T>(&x, 1), std::span<T>(&y, 1));
  return y;
}

// sigma(-x) = 1 - sigma(x) holds only absolutely where 1 - sigma(x) cancels: each side is
// within 1 ulp (<= 2^-24 absolute for sigma <= 1), and 1 - s rounds once more: |diff| <= 3 ulp(1)/2.
RC_GTEST_PROP(BuiltinProperties, SigmoidSymmetryFloat, ()) {
  float x = static_cast<float>(*extreme_double());
  RC_PRE(std::isfinite(x));
  float lhs = one_sigmoid(-x), rhs = 1.0f - one_sigmoid(x);
  RC_ASSERT(std::fabs(lhs - rhs) <= 1.5f * std::numeric_limits<float>::epsilon());
}

RC_GTEST_PROP(BuiltinProperties, SigmoidSymmetryDouble, ()) {
  double x = *extreme_double();
  double lhs = one_sigmoid(-x), rhs = 1.0 - one_sigmoid(x);
  RC_ASSERT(std::fabs(lhs - rhs) <= 1.5 * std::numeric_limits<double>::epsilon());
}

// tanh(x) = 2 sigma(2x) - 1: tanh within 1 ulp (<= eps/2 absolute, |tanh| <= 1), sigma(2x)
// within 1 ulp (eps/2), doubled (eps), minus 1 rounded (eps/2): |diff| <= 2 eps.
RC_GTEST_PROP(BuiltinProperties, TanhFromSigmoid, ()) {
  double x = *extreme_double();
  RC_PRE(std::isfinite(2 * x));
  double t;
  impl::tanh(std::span<const double>(&x, 1), std::span<double>(&t, 1));
  double rhs = 2 * one_sigmoid(2 * x) - 1;
  RC_ASSERT(std::fabs(t - rhs) <= 2 * std::numeric_limits<double>::epsilon());
}

std::vector<double> logits(std::size_t n) {
  return *rc::gen::container<std::vector<double>>(n, extreme_double());
}

// softmax sums to 1: each entry within 2 ulp (the spec's strict), so the sum of n entries in
// exact arithmetic is within 2 n eps/2 of 1 (relative errors of entries summing to 1), plus the
// rounding of a compensated sum.
RC_GTEST_PROP(BuiltinProperties, SoftmaxSumsToOne, ()) {
  std::size_t n = *rc::gen::inRange<std::size_t>(1, 40);
  auto z = logits(n);
  std::vector<double> y(n);
  impl::softmax(std::span<const double>(z), impl::Shape{1, n}, std::span<double>(y));
  long double sum = 0;
  for (double v : y) {
    RC_ASSERT(std::isfinite(v));
    sum += v;
  }
  RC_ASSERT(std::fabs(static_cast<double>(sum) - 1.0) <= (n + 1) * std::numeric_limits<double>::epsilon());
}

// Adding a constant c to every logit changes nothing when z + c is exact: the shifted logits
// z - max(z) are the same numbers, so the outputs are the same bits.
RC_GTEST_PROP(BuiltinProperties, SoftmaxShiftInvariant, ()) {
  std::size_t n = *rc::gen::inRange<std::size_t>(1, 20);
  std::vector<double> z;
  for (std::size_t i = 0; i < n; ++i) z.push_back(*rc::gen::inRange(-4096, 4096) / 64.0);
  double c = *rc::gen::inRange(-1000000, 1000000);
  std::vector<double> zc(z), a(n), b(n);
  for (double& v : zc) v += c;  // exact: |v| < 2^21 with 6 fractional bits
  impl::softmax(std::span<const double>(z), impl::Shape{1, n}, std::span<double>(a));
  impl::softmax(std::span<const double>(zc), impl::Shape{1, n}, std::span<double>(b));
  RC_ASSERT(a == b);
}

// log_softmax(z) = z - logsumexp(z): both sides are within 2 ulp of exact; their difference is
// bounded by the ulps of the larger of |z_i| and |logsumexp|, where the subtraction cancels.
RC_GTEST_PROP(BuiltinProperties, LogSoftmaxIsShiftedLogits, ()) {
  std::size_t n = *rc::gen::inRange<std::size_t>(1, 20);
  auto z = logits(n);
  std::vector<double> ls(n);
  double lse;
  impl::log_softmax(std::span<const double>(z), impl::Shape{1, n}, std::span<double>(ls));
  impl::logsumexp(std::span<const double>(z), impl::Shape{1, n}, std::span<double>(&lse, 1));
  RC_PRE(std::isfinite(lse));
  for (std::size_t i = 0; i < n; ++i) {
    double rhs = z[i] - lse;
    if (std::isinf(rhs)) {  // the exact value is beyond -max: both sides round to -inf
      RC_ASSERT(ls[i] == rhs);
      continue;
    }
    double scale = std::max({std::fabs(z[i]), std::fabs(lse), std::numeric_limits<double>::min()});
    RC_ASSERT(std::fabs(ls[i] - (z[i] - lse)) <= 4 * std::numeric_limits<double>::epsilon() * scale);
  }
}

// cross_entropy(z, t) = -log_softmax(z)[t]: both within 2 ulp of the same exact value. That value
// (logsumexp(z) - z[t], here in 64-bit long double, whose range holds it) can exceed the double
// range, as for z[t] = -1e300 beside DBL_MAX: then both must overflow, to +inf and -inf.
RC_GTEST_PROP(BuiltinProperties, CrossEntropyIsNegativeLogSoftmax, ()) {
  std::size_t n = *rc::gen::inRange<std::size_t>(1, 20);
  auto z = logits(n);
  std::int64_t t = *rc::gen::inRange<std::int64_t>(0, static_cast<std::int64_t>(n));
  std::vector<double> ls(n);
  double ce;
  impl::log_softmax(std::span<const double>(z), impl::Shape{1, n}, std::span<double>(ls));
  impl::cross_entropy(std::span<const double>(z), std::span<const std::int64_t>(&t, 1), impl::Shape{1, n},
                      std::span<double>(&ce, 1), impl::Reduction::none);
  const long double m = *std::max_element(z.begin(), z.end());
  long double sum = 0;
  for (double v : z) sum += std::exp(static_cast<long double>(v) - m);
  const long double exact = m + std::log(sum) - static_cast<long double>(z[t]);
  // Values from 2^1024·(1 - 2^-54) up round to +inf; the long double estimate errs by ~2^-60.
  const long double overflow = std::ldexp(1.0L, 1024) * (1.0L - std::ldexp(1.0L, -54));
  RC_PRE(std::fabs(exact - overflow) > std::ldexp(overflow, -58));
  if (exact > overflow) {
    RC_ASSERT(ce == std::numeric_limits<double>::infinity());
    RC_ASSERT(ls[t] == -std::numeric_limits<double>::infinity());
    return;
  }
  RC_ASSERT(std::isfinite(ce));
  RC_ASSERT(std::fabs(ce + ls[t]) <= 4 * std::numeric_limits<double>::epsilon() * std::max(std::fabs(ce), 1e-300));
}

// H(p, q) = D_KL(p || q) + H(p) on distributions with zeros: each of the three within 2 ulp of
// its exact value, KL and H(p) both non-negative, so |lhs - rhs| <= 4 eps (|H(p,q)| + ...).
RC_GTEST_PROP(BuiltinProperties, CrossEntropyIsKlPlusEntropy, ()) {
  std::size_t n = *rc::gen::inRange<std::size_t>(1, 12);
  std::vector<double> p(n), q(n);
  double sp = 0, sq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = *rc::gen::weightedOneOf<int>({{1, rc::gen::just(0)}, {3, rc::gen::inRange(1, 1000)}});
    q[i] = *rc::gen::inRange(1, 1000);
    sp += p[i];
    sq += q[i];
  }
  RC_PRE(sp > 0);
  for (std::size_t i = 0; i < n; ++i) {
    p[i] /= sp;
    q[i] /= sq;
  }
  double h, kl, hpq;
  impl::Shape s{1, n};
  impl::entropy(std::span<const double>(p), s, std::span<double>(&h, 1), impl::Reduction::none);
  impl::kl_divergence(std::span<const double>(p), std::span<const double>(q), s, std::span<double>(&kl, 1),
                      impl::Reduction::none);
  impl::cross_entropy_dist(std::span<const double>(p), std::span<const double>(q), s, std::span<double>(&hpq, 1),
                           impl::Reduction::none);
  RC_ASSERT(std::fabs(hpq - (kl + h)) <= 4 * std::numeric_limits<double>::epsilon() * (hpq + kl + h + 1e-300));
}

// No NaN or inf where the mathematics is finite: logits 1e4 apart and beyond, p = 1e-45.
RC_GTEST_PROP(BuiltinProperties, FiniteAtTheExtremes, ()) {
  std::size_t n = *rc::gen::inRange<std::size_t>(2, 10);
  std::vector<float> z;
  for (std::size_t i = 0; i < n; ++i) z.push_back(*rc::gen::element(1e4f, -1e4f, 0.0f, 1e30f, -1e30f, 1e-45f));  // z - lse stays finite
  std::vector<float> y(n);
  impl::softmax(std::span<const float>(z), impl::Shape{1, n}, std::span<float>(y));
  for (float v : y) RC_ASSERT(std::isfinite(v));
  impl::log_softmax(std::span<const float>(z), impl::Shape{1, n}, std::span<float>(y));
  for (float v : y) RC_ASSERT(std::isfinite(v));
  float label = *rc::gen::element(0.0f, 1.0f, 0.5f), p = *rc::gen::element(1e-45f, 1.0f - 5.96e-8f, 0.5f);
  float out;
  impl::binary_cross_entropy(std::span<const float>(&label, 1), std::span<const float>(&p, 1),
                             std::span<float>(&out, 1), impl::Reduction::none);
  RC_ASSERT(std::isfinite(out));
}

}  // namespace
}  // namespace nnconform
