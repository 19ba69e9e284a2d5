// Finite-difference agreement of every backward (include/nnconform/impl/backward.hpp) with its
// forward function (nn.hpp, losses.hpp), in double: the central difference
// (f(x + h) - f(x - h)) / 2h, h = 2^-20 max(1, |x|), against the analytic gradient, on seeded
// random inputs away from kinks (at least 1e-3 from a corner of a piecewise function).
//
// Tolerance: |fd - grad| <= 1e-6 (1 + |grad| + |f(x)|). Bound: the truncation error is
// h^2 |f'''| / 6 <= 1.5e-13 |f'''| for |x| <= 8, and the rounding error of the difference is
// <= 2 u |f| / 2h ~ 1.2e-10 |f| (the forward's few-ulp errors included), both far below 1e-6
// for the inputs drawn here (|f'''| < 100). A wrong gradient (a missing factor, a sign, a wrong
// branch) is off by far more than that.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "nnconform/impl/backward.hpp"

namespace {

namespace ni = nnconform::impl;
using ni::Reduction;
using ni::Shape;
using Vd = std::vector<double>;
using Fn = std::function<double(const Vd&)>;  // a scalar function of a vector of reals

std::span<const double> S(const Vd& v) { return std::span<const double>(v); }
std::span<double> O(Vd& v) { return std::span<double>(v); }

// Checks grad against central differences of f at x, coordinate by coordinate.
void expect_fd(const std::string& what, const Fn& f, const Vd& x, const Vd& grad) {
  ASSERT_EQ(grad.size(), x.size()) << what;
  const double fx = f(x);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double h = std::ldexp(std::max(1.0, std::fabs(x[i])), -20);
    Vd a = x, b = x;
    a[i] += h;
    b[i] -= h;
    const double fd = (f(a) - f(b)) / (a[i] - b[i]);
    EXPECT_NEAR(fd, grad[i], 1e-6 * (1 + std::fabs(grad[i]) + std::fabs(fx)))
        << what << " d/dx[" << i << "] at x[i] = " << x[i];
  }
}

std::mt19937_64 rng(20261121);
double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }
// A draw in [a, b] at least `gap` away from each kink.
double away(double a, double b, std::initializer_list<double> kinks, double gap = 1e-3) {
  for (;;) {
    const double v = uniform(a, b);
    bool ok = true;
    for (double k : kinks) ok &= std::fabs(v - k) > gap;
    if (ok) return v;
  }
}

constexpr int kTrials = 40;

// ---- elementwise activations: d/dx and the parameter gradients ----

using Fwd = std::function<void(std::span<const double>, std::span<double>)>;
double at(const Fwd& f, double x) {
  double o = 0;
  f(std::span<const double>(&x, 1), std::span<double>(&o, 1));
  return o;
}

struct Act {
  std::string name;
  Fwd forward;
  Fwd backward;  // dx
  std::initializer_list<double> kinks;
};

TEST(BackwardFiniteDifferences, Activations) {
  auto bw = [](auto fn) {
    return [fn](std::span<const double> x, std::span<double> dx) { fn(x, std::span<const double>{}, dx); };
  };
  std::vector<Act> acts = {
      {"sigmoid", [](auto x, auto o) { ni::sigmoid(x, o); }, bw([](auto x, auto g, auto d) { ni::sigmoid_backward(x, g, d); }), {}},
      {"tanh", [](auto x, auto o) { ni::tanh(x, o); }, bw([](auto x, auto g, auto d) { ni::tanh_backward(x, g, d); }), {}},
      {"relu", [](auto x, auto o) { ni::relu(x, o); }, bw([](auto x, auto g, auto d) { ni::relu_backward(x, g, d); }), {0.0}},
      {"relu6", [](auto x, auto o) { ni::relu6(x, o); }, bw([](auto x, auto g, auto d) { ni::relu6_backward(x, g, d); }), {0.0, 6.0}},
      {"selu", [](auto x, auto o) { ni::selu(x, o); }, bw([](auto x, auto g, auto d) { ni::selu_backward(x, g, d); }), {0.0}},
      {"silu", [](auto x, auto o) { ni::silu(x, o); }, bw([](auto x, auto g, auto d) { ni::silu_backward(x, g, d); }), {}},
      {"mish", [](auto x, auto o) { ni::mish(x, o); }, bw([](auto x, auto g, auto d) { ni::mish_backward(x, g, d); }), {}},
      {"gelu", [](auto x, auto o) { ni::gelu(x, o); }, bw([](auto x, auto g, auto d) { ni::gelu_backward(x, g, d); }), {}},
      {"gelu_tanh", [](auto x, auto o) { ni::gelu_tanh(x, o); }, bw([](auto x, auto g, auto d) { ni::gelu_tanh_backward(x, g, d); }), {}},
      {"logsigmoid", [](auto x, auto o) { ni::logsigmoid(x, o); }, bw([](auto x, auto g, auto d) { ni::logsigmoid_backward(x, g, d); }), {}},
      {"hardsigmoid", [](auto x, auto o) { ni::hardsigmoid(x, o); }, bw([](auto x, auto g, auto d) { ni::hardsigmoid_backward(x, g, d); }), {-3.0, 3.0}},
      {"hardswish", [](auto x, auto o) { ni::hardswish(x, o); }, bw([](auto x, auto g, auto d) { ni::hardswish_backward(x, g, d); }), {-3.0, 3.0}},
      {"elu", [](auto x, auto o) { ni::elu(x, o, 1.5); }, [](auto x, auto d) { ni::elu_backward(x, {}, d, {}, 1.5); }, {0.0}},
      {"swish", [](auto x, auto o) { ni::swish(x, o, 0.75); }, [](auto x, auto d) { ni::swish_backward(x, {}, d, {}, 0.75); }, {}},
      {"softplus", [](auto x, auto o) { ni::softplus(x, o, 1.5); }, [](auto x, auto d) { ni::softplus_backward(x, {}, d, {}, 1.5); }, {}},
      {"leaky_relu", [](auto x, auto o) { ni::leaky_relu(x, o, 0.2); }, [](auto x, auto d) { ni::leaky_relu_backward(x, {}, d, {}, 0.2); }, {0.0}},
      {"prelu", [](auto x, auto o) { ni::prelu(x, o, -0.3); }, [](auto x, auto d) { ni::prelu_backward(x, {}, d, {}, -0.3); }, {0.0}},
      {"linear", [](auto x, auto o) { ni::linear(x, o, 2.5); }, [](auto x, auto d) { ni::linear_backward(x, {}, d, {}, 2.5); }, {}},
      {"rrelu", [](auto x, auto o) { ni::rrelu(x, o); }, [](auto x, auto d) { ni::rrelu_backward(x, {}, d); }, {0.0}},
      {"srelu", [](auto x, auto o) { ni::srelu(x, o, -1.0, 0.1, 2.0, 0.5); },
       [](auto x, auto d) { ni::srelu_backward(x, {}, ni::SreluGrads<double>{d, {}, {}, {}, {}}, -1.0, 0.1, 2.0, 0.5); },
       {-1.0, 2.0}},
  };
  for (const auto& a : acts) {
    for (int t = 0; t < kTrials; ++t) {
      const double x = away(-6, 6, a.kinks);
      double d = 0;
      a.backward(std::span<const double>(&x, 1), std::span<double>(&d, 1));
      expect_fd(a.name, [&](const Vd& v) { return at(a.forward, v[0]); }, {x}, {d});
    }
  }
}

TEST(BackwardFiniteDifferences, ActivationParameters) {
  for (int t = 0; t < kTrials; ++t) {
    const double x = away(-6, 6, {0.0, -1.0, 2.0});
    double d = 0;
    auto one = [&](auto call) { call(std::span<const double>(&x, 1), std::span<double>(&d, 1)); return d; };
    auto f_of = [&](auto fwd) {
      return [x, fwd](const Vd& p) {
        double o = 0;
        fwd(std::span<const double>(&x, 1), std::span<double>(&o, 1), p[0]);
        return o;
      };
    };
    expect_fd("elu d/dalpha", f_of([](auto xs, auto o, double p) { ni::elu(xs, o, p); }), {1.5},
              {one([](auto xs, auto o) { ni::elu_backward(xs, {}, {}, o, 1.5); })});
    expect_fd("swish d/dbeta", f_of([](auto xs, auto o, double p) { ni::swish(xs, o, p); }), {0.75},
              {one([](auto xs, auto o) { ni::swish_backward(xs, {}, {}, o, 0.75); })});
    expect_fd("softplus d/dbeta", f_of([](auto xs, auto o, double p) { ni::softplus(xs, o, p); }), {1.5},
              {one([](auto xs, auto o) { ni::softplus_backward(xs, {}, {}, o, 1.5); })});
    expect_fd("prelu d/da", f_of([](auto xs, auto o, double p) { ni::prelu(xs, o, p); }), {-0.3},
              {one([](auto xs, auto o) { ni::prelu_backward(xs, {}, {}, o, -0.3); })});
    expect_fd("leaky_relu d/da", f_of([](auto xs, auto o, double p) { ni::leaky_relu(xs, o, p); }), {0.2},
              {one([](auto xs, auto o) { ni::leaky_relu_backward(xs, {}, {}, o, 0.2); })});
    expect_fd("linear d/dk", f_of([](auto xs, auto o, double p) { ni::linear(xs, o, p); }), {2.5},
              {one([](auto xs, auto o) { ni::linear_backward(xs, {}, {}, o, 2.5); })});
    // srelu's four parameters
    Vd g4(4);
    ni::SreluGrads<double> sg{{}, std::span<double>(&g4[0], 1), std::span<double>(&g4[1], 1),
                              std::span<double>(&g4[2], 1), std::span<double>(&g4[3], 1)};
    ni::srelu_backward(std::span<const double>(&x, 1), {}, sg, -1.0, 0.1, 2.0, 0.5);
    expect_fd("srelu d/d(t_l, a_l, t_r, a_r)",
              [x](const Vd& p) {
                double o = 0;
                ni::srelu(std::span<const double>(&x, 1), std::span<double>(&o, 1), p[0], p[1], p[2], p[3]);
                return o;
              },
              {-1.0, 0.1, 2.0, 0.5}, g4);
  }
}

// ---- row functions: the VJP is the gradient of <g, f(z)> ----
TEST(BackwardFiniteDifferences, RowFunctions) {
  for (int t = 0; t < kTrials; ++t) {
    const std::size_t c = 1 + rng() % 6;
    Vd z(c), g(c), d(c);
    for (auto& v : z) v = uniform(-5, 5);
    for (auto& v : g) v = uniform(-2, 2);
    const Shape sh{1, c};
    auto dot = [&](auto fwd, const Vd& gg) {
      return [fwd, gg, sh](const Vd& zz) {
        Vd o(gg.size());
        fwd(S(zz), sh, O(o));
        double s = 0;
        for (std::size_t j = 0; j < o.size(); ++j) s += gg[j] * o[j];
        return s;
      };
    };
    ni::softmax_backward(S(z), sh, S(g), O(d));
    expect_fd("softmax VJP", dot([](auto a, auto s, auto o) { ni::softmax(a, s, o); }, g), z, d);
    ni::log_softmax_backward(S(z), sh, S(g), O(d));
    expect_fd("log_softmax VJP", dot([](auto a, auto s, auto o) { ni::log_softmax(a, s, o); }, g), z, d);
    Vd g1{g[0]};
    ni::logsumexp_backward(S(z), sh, S(g1), O(d));
    expect_fd("logsumexp", dot([](auto a, auto s, auto o) { ni::logsumexp(a, s, o); }, g1), z, d);
    // crelu (2c outputs) and maxout (groups of k), away from their kinks
    Vd x(c), g2(2 * c);
    for (auto& v : x) v = away(-5, 5, {0.0});
    for (auto& v : g2) v = uniform(-2, 2);
    ni::crelu_backward(S(x), sh, S(g2), O(d));
    expect_fd("crelu VJP", dot([](auto a, auto s, auto o) { ni::crelu(a, s, o); }, g2), x, d);
    const std::int64_t k = (c % 2 == 0) ? 2 : 1;
    Vd gk(c / static_cast<std::size_t>(k));
    for (auto& v : gk) v = uniform(-2, 2);
    ni::maxout_backward(S(x), sh, S(gk), O(d), k);
    expect_fd("maxout VJP", dot([k](auto a, auto s, auto o) { ni::maxout(a, s, o, k); }, gk), x, d);
  }
}

TEST(BackwardFiniteDifferences, SoftmaxFromOutputMatchesFromInput) {
  for (int t = 0; t < kTrials; ++t) {
    const std::size_t c = 1 + rng() % 6;
    Vd z(c), g(c), s(c), d1(c), d2(c);
    for (auto& v : z) v = uniform(-5, 5);
    for (auto& v : g) v = uniform(-2, 2);
    ni::softmax(S(z), Shape{1, c}, O(s));
    ni::softmax_backward(S(z), Shape{1, c}, S(g), O(d1));
    ni::softmax_backward_from_output(S(s), Shape{1, c}, S(g), O(d2));
    for (std::size_t j = 0; j < c; ++j) EXPECT_NEAR(d1[j], d2[j], 1e-14 * (1 + std::fabs(g[j])));
  }
}

// ---- losses (reduction none, per element or per row) ----

// Elementwise loss L(u, v) -> per-element values; backward gives du, dv.
using Loss2 = std::function<void(std::span<const double>, std::span<const double>, std::span<double>)>;
using Back2 = std::function<void(std::span<const double>, std::span<const double>, std::span<double>, std::span<double>)>;

void check_loss2(const std::string& name, const Loss2& f, const Back2& b, const std::function<double()>& du_draw,
                 const std::function<double()>& dv_draw, bool grad_u = true, bool grad_v = true) {
  for (int t = 0; t < kTrials; ++t) {
    const double u = du_draw(), v = dv_draw();
    double gu = 0, gv = 0;
    b(std::span<const double>(&u, 1), std::span<const double>(&v, 1), grad_u ? std::span<double>(&gu, 1) : std::span<double>(),
      grad_v ? std::span<double>(&gv, 1) : std::span<double>());
    auto val = [&](double a, double c) {
      double o = 0;
      f(std::span<const double>(&a, 1), std::span<const double>(&c, 1), std::span<double>(&o, 1));
      return o;
    };
    if (grad_u) expect_fd(name + " d/d(first)", [&](const Vd& p) { return val(p[0], v); }, {u}, {gu});
    if (grad_v) expect_fd(name + " d/d(second)", [&](const Vd& p) { return val(u, p[0]); }, {v}, {gv});
  }
}

TEST(BackwardFiniteDifferences, ElementwiseLosses) {
  const auto N = Reduction::none;
  auto real = [] { return uniform(-5, 5); };
  auto prob = [] { return uniform(0.02, 0.98); };
  auto pos = [] { return uniform(0.1, 5); };
  auto pm1 = [] { return (rng() & 1) ? 1.0 : -1.0; };
  check_loss2("mse", [&](auto a, auto b, auto o) { ni::mse(a, b, o, N); },
              [&](auto a, auto b, auto da, auto db) { ni::mse_backward(a, b, {}, da, db, N); }, real, real);
  check_loss2("sse", [&](auto a, auto b, auto o) { ni::sse(a, b, o, N); },
              [&](auto a, auto b, auto da, auto db) { ni::sse_backward(a, b, {}, da, db, N); }, real, real);
  check_loss2("msle", [&](auto a, auto b, auto o) { ni::msle(a, b, o, N); },
              [&](auto a, auto b, auto da, auto db) { ni::msle_backward(a, b, {}, da, db, N); }, pos, pos);
  check_loss2("mae", [&](auto a, auto b, auto o) { ni::mae(a, b, o, N); },
              [&](auto a, auto b, auto da, auto db) { ni::mae_backward(a, b, {}, da, db, N); }, real, real);
  check_loss2("mape", [&](auto a, auto b, auto o) { ni::mape(a, b, o, N); },
              [&](auto a, auto b, auto da, auto db) { ni::mape_backward(a, b, {}, da, db, N); },
              [] { return away(0.5, 5, {}) * ((rng() & 1) ? 1 : -1); }, real);
  check_loss2("smooth_l1", [&](auto a, auto b, auto o) { ni::smooth_l1(a, b, o, N, 0.75); },
              [&](auto a, auto b, auto da, auto db) { ni::smooth_l1_backward(a, b, {}, da, db, N, 0.75); }, real, real);
  check_loss2("huber", [&](auto a, auto b, auto o) { ni::huber(a, b, o, N, 1.5); },
              [&](auto a, auto b, auto da, auto db) { ni::huber_backward(a, b, {}, da, db, N, 1.5); }, real, real);
  check_loss2("quadratic_cost", [&](auto a, auto b, auto o) { ni::quadratic_cost(a, b, o, N); },
              [&](auto a, auto b, auto da, auto db) { ni::quadratic_cost_backward(a, b, {}, da, db, N); }, real, prob);
  check_loss2("binary_cross_entropy", [&](auto a, auto b, auto o) { ni::binary_cross_entropy(a, b, o, N); },
              [&](auto a, auto b, auto da, auto db) { ni::binary_cross_entropy_backward(a, b, {}, {}, da, db, N); }, prob,
              prob);
  check_loss2("binary_cross_entropy_with_logits",
              [&](auto a, auto b, auto o) { ni::binary_cross_entropy_with_logits(a, b, o, N, 2.5); },
              [&](auto a, auto b, auto da, auto db) {
                ni::binary_cross_entropy_with_logits_backward(a, b, {}, {}, da, db, N, 2.5);
              },
              prob, real);
  check_loss2("balanced_cross_entropy", [&](auto a, auto b, auto o) { ni::balanced_cross_entropy(a, b, o, N, 0.3); },
              [&](auto a, auto b, auto da, auto db) { ni::balanced_cross_entropy_backward(a, b, {}, da, db, N, 0.3); },
              prob, prob);
  check_loss2("focal_loss", [&](auto a, auto b, auto o) { ni::focal_loss(a, b, o, N); },
              [&](auto a, auto b, auto da, auto db) { ni::focal_loss_backward(a, b, {}, da, db, N); }, prob, prob);
  const ni::FocalLossOptions logits{.alpha = 0.25, .gamma = 1.5, .from_logits = true};
  check_loss2("focal_loss from logits", [&](auto a, auto b, auto o) { ni::focal_loss(a, b, o, N, logits); },
              [&](auto a, auto b, auto da, auto db) { ni::focal_loss_backward(a, b, {}, da, db, N, logits); }, prob, real);
  // labels +-1: only d/ds
  check_loss2("logistic_loss", [&](auto a, auto b, auto o) { ni::logistic_loss(a, b, o, N); },
              [&](auto a, auto b, auto, auto db) { ni::logistic_loss_backward(a, b, {}, db, N); }, pm1, real, false);
  check_loss2("exponential_loss", [&](auto a, auto b, auto o) { ni::exponential_loss(a, b, o, N); },
              [&](auto a, auto b, auto, auto db) { ni::exponential_loss_backward(a, b, {}, db, N); }, pm1,
              [] { return uniform(-3, 3); }, false);
  check_loss2("hinge", [&](auto a, auto b, auto o) { ni::hinge(a, b, o, N); },
              [&](auto a, auto b, auto, auto db) { ni::hinge_backward(a, b, {}, db, N); }, pm1,
              [] { return away(-5, 5, {1.0, -1.0}); }, false);
  check_loss2("squared_hinge", [&](auto a, auto b, auto o) { ni::squared_hinge(a, b, o, N); },
              [&](auto a, auto b, auto, auto db) { ni::squared_hinge_backward(a, b, {}, db, N); }, pm1, real, false);
}

// Row losses: f(u row, v row) per row; gradients by coordinate.
TEST(BackwardFiniteDifferences, RowLosses) {
  const auto N = Reduction::none;
  for (int t = 0; t < kTrials; ++t) {
    const std::size_t c = 1 + rng() % 6;
    const Shape sh{1, c};
    Vd z(c), p(c), q(c), y(c), d(c), d2(c);
    for (auto& v : z) v = uniform(-5, 5);
    for (auto& v : p) v = uniform(0.02, 0.98);
    for (auto& v : q) v = uniform(0.02, 0.98);
    for (auto& v : y) v = uniform(0, 1);
    const std::int64_t tt = static_cast<std::int64_t>(rng() % c);
    const std::span<const std::int64_t> ts(&tt, 1);
    auto row = [&](auto fwd) {
      return [fwd](const Vd& a) {
        double o = 0;
        fwd(a, std::span<double>(&o, 1));
        return o;
      };
    };
    const ni::CrossEntropyOptions smooth{.ignore_index = -100, .label_smoothing = 0.2};
    Vd w(c);
    for (auto& v : w) v = uniform(0.5, 2);
    ni::cross_entropy_backward(S(z), ts, S(w), sh, {}, O(d), N, smooth);
    expect_fd("cross_entropy (weights, smoothing)",
              row([&](const Vd& a, std::span<double> o) { ni::cross_entropy(S(a), ts, S(w), sh, o, N, smooth); }), z, d);
    ni::nll_loss_backward(S(z), ts, S(w), sh, {}, O(d), N);
    expect_fd("nll_loss", row([&](const Vd& a, std::span<double> o) { ni::nll_loss(S(a), ts, S(w), sh, o, N); }), z, d);
    ni::sparse_categorical_cross_entropy_backward(ts, S(z), sh, {}, O(d), N, true);
    expect_fd("sparse_categorical_cross_entropy from logits",
              row([&](const Vd& a, std::span<double> o) { ni::sparse_categorical_cross_entropy(ts, S(a), sh, o, N, true); }),
              z, d);
    ni::sparse_categorical_cross_entropy_backward(ts, S(q), sh, {}, O(d), N, false);
    expect_fd("sparse_categorical_cross_entropy",
              row([&](const Vd& a, std::span<double> o) { ni::sparse_categorical_cross_entropy(ts, S(a), sh, o, N, false); }),
              q, d);
    for (bool logits : {true, false}) {
      const ni::CategoricalCrossEntropyOptions co{.from_logits = logits};
      const Vd& qq = logits ? z : q;
      ni::categorical_cross_entropy_backward(S(y), S(qq), sh, {}, O(d2), O(d), N, co);
      expect_fd(logits ? "categorical_cross_entropy d/dq (logits)" : "categorical_cross_entropy d/dq",
                row([&](const Vd& a, std::span<double> o) { ni::categorical_cross_entropy(S(y), S(a), sh, o, N, co); }), qq,
                d);
      expect_fd("categorical_cross_entropy d/dy",
                row([&](const Vd& a, std::span<double> o) { ni::categorical_cross_entropy(S(a), S(qq), sh, o, N, co); }), y,
                d2);
    }
    ni::log_loss_backward(S(y), S(q), sh, {}, O(d2), O(d), Reduction::sum);
    expect_fd("log_loss d/dq", row([&](const Vd& a, std::span<double> o) { ni::log_loss(S(y), S(a), sh, o, Reduction::sum); }),
              q, d);
    expect_fd("log_loss d/dy", row([&](const Vd& a, std::span<double> o) { ni::log_loss(S(a), S(q), sh, o, Reduction::sum); }),
              y, d2);
    ni::entropy_backward(S(p), sh, {}, O(d), N);
    expect_fd("entropy", row([&](const Vd& a, std::span<double> o) { ni::entropy(S(a), sh, o, N, ni::LogBase::e); }), p, d);
    ni::cross_entropy_dist_backward(S(p), S(q), sh, {}, O(d), O(d2), N, ni::LogBase::two);
    expect_fd("cross_entropy_dist d/dp",
              row([&](const Vd& a, std::span<double> o) { ni::cross_entropy_dist(S(a), S(q), sh, o, N, ni::LogBase::two); }), p,
              d);
    expect_fd("cross_entropy_dist d/dq",
              row([&](const Vd& a, std::span<double> o) { ni::cross_entropy_dist(S(p), S(a), sh, o, N, ni::LogBase::two); }), q,
              d2);
    for (int mode = 0; mode < 3; ++mode) {
      ni::KlDivergenceOptions ko{};
      Vd pp = p, qq = q;
      if (mode == 1) {
        ko.q_is_log = true;
        for (auto& v : qq) v = std::log(v);
      }
      if (mode == 2) {
        ko.p_is_log = true;
        for (auto& v : pp) v = std::log(v);
      }
      ni::kl_divergence_backward(S(pp), S(qq), sh, {}, O(d), O(d2), N, ko);
      expect_fd("kl_divergence d/dp mode " + std::to_string(mode),
                row([&](const Vd& a, std::span<double> o) { ni::kl_divergence(S(a), S(qq), sh, o, N, ko); }), pp, d);
      expect_fd("kl_divergence d/dq mode " + std::to_string(mode),
                row([&](const Vd& a, std::span<double> o) { ni::kl_divergence(S(pp), S(a), sh, o, N, ko); }), qq, d2);
    }
    Vd a(c), b(c);
    for (auto& v : a) v = uniform(-3, 3);
    for (auto& v : b) v = uniform(-3, 3);
    ni::cosine_proximity_backward(S(a), S(b), sh, {}, O(d), O(d2), N);
    expect_fd("cosine_proximity d/dy", row([&](const Vd& u, std::span<double> o) { ni::cosine_proximity(S(u), S(b), sh, o, N); }),
              a, d);
    expect_fd("cosine_proximity d/dyhat",
              row([&](const Vd& u, std::span<double> o) { ni::cosine_proximity(S(a), S(u), sh, o, N); }), b, d2);
    ni::multilabel_bce_backward(S(y), S(z), sh, {}, O(d2), O(d), N);
    expect_fd("multilabel_bce d/ds", row([&](const Vd& u, std::span<double> o) { ni::multilabel_bce(S(y), S(u), sh, o, N); }), z,
              d);
    expect_fd("multilabel_bce d/dy", row([&](const Vd& u, std::span<double> o) { ni::multilabel_bce(S(u), S(z), sh, o, N); }), y,
              d2);
    if (c >= 2) {
      Vd g1{1.0};
      ni::variance_backward(S(z), sh, S(g1), O(d), 1);
      expect_fd("variance", row([&](const Vd& u, std::span<double> o) { ni::variance(S(u), sh, o, 1); }), z, d);
    }
  }
}

}  // namespace
