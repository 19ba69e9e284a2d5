// The built-in backward pass (impl/ backward.hpp) for the gradient golden vectors: one registry
// entry per (function, wrt), each a few lines that unpack a case's arguments into impl's span
// API and return the gradient with respect to `wrt` in the golden file's order and shape.
#include "nnconform/conformance/builtin_backward.hpp"

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "builtin_call.hpp"
#include "nnconform/conformance/measure.hpp"
#include "nnconform/impl/backward.hpp"

namespace nnconform::conformance {
namespace {

using ref::Format;
using ref::FunctionSpec;

// A case's arguments, typed for a kernel: the forward built-in's reading and rounding
// (builtin_call.hpp), plus the upstream gradient of a vector output.
class GradCall : public builtin::Call {
 public:
  using Call::Call;
  // The case's g, or empty (the kernels' all-ones) when the case gives none.
  template <typename T>
  std::vector<T> upstream() const {
    return has("g") ? real<T>("g") : std::vector<T>{};
  }
};

using builtin::In;
using builtin::Out;
using builtin::transpose;
using Entry = builtin::Entry<GradCall>;

template <typename Kernel>
Entry entry(Kernel k) {
  return builtin::entry<GradCall>(k);
}

// --- Summing per-element parameter gradients (a parameter shared by several elements). ---
// Double-double accumulation (Knuth's TwoSum) of double terms, rounded once at the end.
struct DdSum {
  double hi = 0, lo = 0;
  void add(double v) {
    double s = hi + v;
    double bb = s - hi;
    double err = (hi - (s - bb)) + (v - bb);
    hi = s;
    lo += err;
  }
  double value() const { return hi + lo; }
};

// A parameter gradient: impl gives d out[i] / d param per element (backward.hpp); the spec's
// gradient with respect to a scalar parameter is their sum. With one element (every case of
// the golden files holds a scalar x) that is the element itself. With more, the terms come from
// impl's double kernel (the float case's inputs and parameters are exact in double) and are
// summed in double-double, then rounded once to T: the sum adds 2^-100 relative error to the
// terms' own (0.5 ulp of double each, far below a float ulp; in binary64 at most 0.5 ulp of each
// term, which is within the tolerance unless the sum cancels).
template <typename PerElement>
Entry parameter_gradient(PerElement per_element) {
  auto run = [per_element](auto zero, const GradCall& c) {
    using T = decltype(zero);
    std::vector<T> d = per_element(T(0), c);
    if (d.size() == 1) return d;
    std::vector<double> wide = per_element(0.0, c);
    DdSum s;
    for (double v : wide) s.add(v);
    return std::vector<T>{static_cast<T>(s.value())};
  };
  return entry(run);
}

// An elementwise activation without parameters: f(x, g, dx).
template <typename F>
Entry unary(F f) {
  return entry([f](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto x = c.real<T>("x");
    std::vector<T> dx(x.size());
    f(In<T>(x), In<T>(), Out<T>(dx));
    return dx;
  });
}

// An activation with parameters: f(x, dx, dparam, c) computes either span (the other empty).
template <typename F>
Entry activation_x(F f) {
  return entry([f](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto x = c.real<T>("x");
    std::vector<T> dx(x.size());
    f(In<T>(x), Out<T>(dx), Out<T>(), c);
    return dx;
  });
}
template <typename F>
Entry activation_param(F f) {
  return parameter_gradient([f](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto x = c.real<T>("x");
    std::vector<T> dp(x.size());
    f(In<T>(x), Out<T>(), Out<T>(dp), c);
    return dp;
  });
}

// An elementwise loss of inputs a and b: f(a, b, da, db, reduction, c); returns d/da (first)
// or d/db.
template <typename F>
std::pair<Entry, Entry> pairwise(const char* a_name, const char* b_name, F f) {
  auto run = [=](bool first) {
    return entry([=](auto zero, const GradCall& c) {
      using T = decltype(zero);
      auto a = c.real<T>(a_name);
      auto b = c.real<T>(b_name);
      std::vector<T> d(first ? a.size() : b.size());
      if (first)
        f(In<T>(a), In<T>(b), Out<T>(d), Out<T>(), c.reduction(), c);
      else
        f(In<T>(a), In<T>(b), Out<T>(), Out<T>(d), c.reduction(), c);
      return d;
    });
  };
  return {run(true), run(false)};
}

// A row loss of inputs a and b (rows of a's shape): f(a, b, shape, da, db, reduction, c).
template <typename F>
std::pair<Entry, Entry> rowpair(const char* a_name, const char* b_name, F f) {
  auto run = [=](bool first) {
    return entry([=](auto zero, const GradCall& c) {
      using T = decltype(zero);
      auto a = c.real<T>(a_name);
      auto b = c.real<T>(b_name);
      impl::Shape s = c.rows(a_name);
      std::vector<T> d(first ? a.size() : b.size());
      if (first)
        f(In<T>(a), In<T>(b), s, Out<T>(d), Out<T>(), c.reduction(), c);
      else
        f(In<T>(a), In<T>(b), s, Out<T>(), Out<T>(d), c.reduction(), c);
      return d;
    });
  };
  return {run(true), run(false)};
}

// A row function of z with the case's upstream gradient g (output shaped like z), honouring
// `axis` 0/-2 as the forward built-in does: f(z, shape, g, dz).
template <typename F>
Entry row_vjp(F f) {
  return entry([f](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto z = c.real<T>("z");
    impl::Shape s = c.rows("z");
    std::vector<T> g = c.upstream<T>();
    bool transposed = c.columns("z");
    if (transposed) {
      z = transpose(z, s);
      if (!g.empty()) g = transpose(g, s);
      s = {s.c, s.n};
    }
    std::vector<T> dz(z.size());
    f(In<T>(z), s, In<T>(g), Out<T>(dz));
    if (transposed) dz = transpose(dz, s);
    return dz;
  });
}

using Key = std::pair<std::string, std::string>;
using Table = std::map<Key, Entry>;

void add_pair(Table& t, const std::string& fn, const char* a, const char* b, std::pair<Entry, Entry> e) {
  t[{fn, a}] = std::move(e.first);
  t[{fn, b}] = std::move(e.second);
}

#define NNCONFORM_UNARY(NAME) \
  t[{#NAME, "x"}] = unary([](auto x, auto g, auto dx) { impl::NAME##_backward(x, g, dx); })

Table make_table() {
  Table t;
  // ---- activations without parameters ----
  NNCONFORM_UNARY(sigmoid);
  NNCONFORM_UNARY(tanh);
  NNCONFORM_UNARY(relu);
  NNCONFORM_UNARY(relu6);
  NNCONFORM_UNARY(selu);
  NNCONFORM_UNARY(silu);
  NNCONFORM_UNARY(mish);
  NNCONFORM_UNARY(gelu);
  NNCONFORM_UNARY(gelu_tanh);
  NNCONFORM_UNARY(logsigmoid);
  NNCONFORM_UNARY(hardsigmoid);
  NNCONFORM_UNARY(hardswish);

  // ---- activations with a learned parameter: d/dx and d/dparam ----
  auto linear = [](auto x, auto dx, auto dk, const GradCall& c) {
    using T = typename decltype(dx)::value_type;
    impl::linear_backward(x, In<T>(), dx, dk, c.param<T>("k"));
  };
  t[{"linear", "x"}] = activation_x(linear);
  t[{"linear", "k"}] = activation_param(linear);
  auto leaky = [](auto x, auto dx, auto da, const GradCall& c) {
    using T = typename decltype(dx)::value_type;
    impl::leaky_relu_backward(x, In<T>(), dx, da, c.param<T>("a"));
  };
  t[{"leaky_relu", "x"}] = activation_x(leaky);
  t[{"leaky_relu", "a"}] = activation_param(leaky);
  auto elu = [](auto x, auto dx, auto da, const GradCall& c) {
    using T = typename decltype(dx)::value_type;
    impl::elu_backward(x, In<T>(), dx, da, c.param<T>("alpha"));
  };
  t[{"elu", "x"}] = activation_x(elu);
  t[{"elu", "alpha"}] = activation_param(elu);
  auto swish = [](auto x, auto dx, auto db, const GradCall& c) {
    using T = typename decltype(dx)::value_type;
    impl::swish_backward(x, In<T>(), dx, db, c.param<T>("beta"));
  };
  t[{"swish", "x"}] = activation_x(swish);
  t[{"swish", "beta"}] = activation_param(swish);
  auto softplus = [](auto x, auto dx, auto db, const GradCall& c) {
    using T = typename decltype(dx)::value_type;
    impl::softplus_backward(x, In<T>(), dx, db, c.param<T>("beta"), c.param<T>("threshold"));
  };
  t[{"softplus", "x"}] = activation_x(softplus);
  t[{"softplus", "beta"}] = activation_param(softplus);
  // prelu: one shared slope, or one per channel (the last axis). d/da per channel sums the
  // elements of that channel (below: a shared slope sums all of them).
  t[{"prelu", "x"}] = entry([](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto x = c.real<T>("x");
    std::vector<T> dx(x.size());
    std::vector<T> a = c.param_list<T>("a");
    if (a.size() == 1)
      impl::prelu_backward(In<T>(x), In<T>(), Out<T>(dx), Out<T>(), a[0]);
    else
      impl::prelu_backward(In<T>(x), c.rows("x"), In<T>(), Out<T>(dx), Out<T>(), In<T>(a));
    return dx;
  });
  t[{"prelu", "a"}] = entry([](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto per_element = [](auto z, const GradCall& c) {
      using U = decltype(z);
      auto x = c.real<U>("x");
      std::vector<U> da(x.size());
      std::vector<U> a = c.param_list<U>("a");
      if (a.size() == 1)
        impl::prelu_backward(In<U>(x), In<U>(), Out<U>(), Out<U>(da), a[0]);
      else
        impl::prelu_backward(In<U>(x), c.rows("x"), In<U>(), Out<U>(), Out<U>(da), In<U>(a));
      return std::make_pair(da, a.size());
    };
    auto [d, channels] = per_element(T(0), c);
    if (d.size() == channels) return d;  // one element per slope: nothing to sum
    auto [wide, ch] = per_element(0.0, c);
    std::vector<DdSum> sums(ch);
    for (std::size_t i = 0; i < wide.size(); ++i) sums[i % ch].add(wide[i]);
    std::vector<T> out;
    for (const DdSum& s : sums) out.push_back(static_cast<T>(s.value()));
    return out;
  });
  // rrelu: eval mode from (lower + upper)/2; given mode with the sampled slopes as input a.
  t[{"rrelu", "x"}] = entry([](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto x = c.real<T>("x");
    std::vector<T> dx(x.size());
    if (c.text("mode") == "given") {
      // No slopes given: they are unknown (NaN); impl reads them only where x <= 0, which is
      // NaN then, as the spec's formula is without a.
      auto a = c.has("a") ? c.real<T>("a") : std::vector<T>(x.size(), std::numeric_limits<T>::quiet_NaN());
      if (a.size() == 1 && x.size() != 1) a.assign(x.size(), a[0]);
      impl::rrelu_backward(In<T>(x), In<T>(a), In<T>(), Out<T>(dx));
    } else {
      impl::rrelu_backward(In<T>(x), In<T>(), Out<T>(dx), c.param<T>("lower"), c.param<T>("upper"));
    }
    return dx;
  });
  // srelu: d/dx and its four parameters.
  auto srelu = [](const char* wrt) {
    std::string w = wrt;
    auto per_element = [w](auto zero, const GradCall& c) {
      using T = decltype(zero);
      auto x = c.real<T>("x");
      std::vector<T> d(x.size());
      impl::SreluGrads<T> out;
      if (w == "x") out.dx = d;
      if (w == "t_l") out.dt_l = d;
      if (w == "a_l") out.da_l = d;
      if (w == "t_r") out.dt_r = d;
      if (w == "a_r") out.da_r = d;
      impl::srelu_backward(In<T>(x), In<T>(), out, c.param<T>("t_l"), c.param<T>("a_l"), c.param<T>("t_r"),
                           c.param<T>("a_r"));
      return d;
    };
    return w == "x" ? entry(per_element) : parameter_gradient(per_element);
  };
  for (const char* w : {"x", "t_l", "a_l", "t_r", "a_r"}) t[{"srelu", w}] = srelu(w);

  // ---- row functions: vector-Jacobian products with the case's g ----
  t[{"softmax", "z"}] = row_vjp([](auto z, impl::Shape s, auto g, auto dz) { impl::softmax_backward(z, s, g, dz); });
  t[{"log_softmax", "z"}] =
      row_vjp([](auto z, impl::Shape s, auto g, auto dz) { impl::log_softmax_backward(z, s, g, dz); });
  t[{"logsumexp", "z"}] = row_vjp([](auto z, impl::Shape s, auto g, auto dz) { impl::logsumexp_backward(z, s, g, dz); });
  t[{"hardmax", "z"}] = row_vjp([](auto z, impl::Shape s, auto g, auto dz) { impl::hardmax_backward(z, s, g, dz); });

  // crelu: g has 2c per row; maxout: g has c/k per row (k from the case).
  t[{"crelu", "x"}] = entry([](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto x = c.real<T>("x");
    auto g = c.upstream<T>();
    std::vector<T> dx(x.size());
    impl::crelu_backward(In<T>(x), c.rows("x"), In<T>(g), Out<T>(dx));
    return dx;
  });
  t[{"maxout", "x"}] = entry([](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto x = c.real<T>("x");
    auto g = c.upstream<T>();
    std::vector<T> dx(x.size());
    impl::maxout_backward(In<T>(x), c.rows("x"), In<T>(g), Out<T>(dx), c.param<std::int64_t>("k"));
    return dx;
  });

  // ---- regression losses ----
  using R = impl::Reduction;
  add_pair(t, "mse", "y", "yhat", pairwise("y", "yhat", [](auto y, auto yh, auto dy, auto dyh, R r, const GradCall&) {
             using T = typename decltype(dy)::value_type;
             impl::mse_backward(y, yh, In<T>(), dy, dyh, r);
           }));
  add_pair(t, "sse", "y", "yhat", pairwise("y", "yhat", [](auto y, auto yh, auto dy, auto dyh, R r, const GradCall&) {
             using T = typename decltype(dy)::value_type;
             impl::sse_backward(y, yh, In<T>(), dy, dyh, r);
           }));
  add_pair(t, "msle", "y", "yhat", pairwise("y", "yhat", [](auto y, auto yh, auto dy, auto dyh, R r, const GradCall&) {
             using T = typename decltype(dy)::value_type;
             impl::msle_backward(y, yh, In<T>(), dy, dyh, r);
           }));
  add_pair(t, "mae", "y", "yhat", pairwise("y", "yhat", [](auto y, auto yh, auto dy, auto dyh, R r, const GradCall&) {
             using T = typename decltype(dy)::value_type;
             impl::mae_backward(y, yh, In<T>(), dy, dyh, r);
           }));
  add_pair(t, "mape", "y", "yhat", pairwise("y", "yhat", [](auto y, auto yh, auto dy, auto dyh, R r, const GradCall& c) {
             using T = typename decltype(dy)::value_type;
             impl::mape_backward(y, yh, In<T>(), dy, dyh, r,
                                 {.epsilon = c.param<double>("epsilon"), .scale = c.param<double>("scale")});
           }));
  add_pair(t, "smooth_l1", "y", "yhat",
           pairwise("y", "yhat", [](auto y, auto yh, auto dy, auto dyh, R r, const GradCall& c) {
             using T = typename decltype(dy)::value_type;
             impl::smooth_l1_backward(y, yh, In<T>(), dy, dyh, r, c.param<T>("beta"));
           }));
  add_pair(t, "huber", "y", "yhat", pairwise("y", "yhat", [](auto y, auto yh, auto dy, auto dyh, R r, const GradCall& c) {
             using T = typename decltype(dy)::value_type;
             impl::huber_backward(y, yh, In<T>(), dy, dyh, r, c.param<T>("delta"));
           }));
  add_pair(t, "quadratic_cost", "s", "y", pairwise("s", "y", [](auto s, auto y, auto ds, auto dy, R r, const GradCall&) {
             using T = typename decltype(ds)::value_type;
             impl::quadratic_cost_backward(s, y, In<T>(), ds, dy, r);
           }));
  t[{"variance", "x"}] = entry([](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto x = c.real<T>("x");
    std::vector<T> dx(x.size());
    impl::variance_backward(In<T>(x), c.rows("x"), In<T>(), Out<T>(dx),
                            static_cast<int>(c.param<std::int64_t>("ddof")));
    return dx;
  });
  add_pair(t, "cosine_proximity", "y", "yhat",
           rowpair("y", "yhat", [](auto y, auto yh, impl::Shape s, auto dy, auto dyh, R r, const GradCall& c) {
             using T = typename decltype(dy)::value_type;
             impl::cosine_proximity_backward(y, yh, s, In<T>(), dy, dyh, r, c.param<T>("epsilon"));
           }));

  // ---- binary classification losses ----
  // binary_cross_entropy(_with_logits): optional per-element weights w (a scalar broadcast).
  for (bool first : {true, false}) {
    t[{"binary_cross_entropy", first ? "y" : "p"}] = entry([first](auto zero, const GradCall& c) {
      using T = decltype(zero);
      auto y = c.real<T>("y");
      auto p = c.real<T>("p");
      auto w = c.optional_real<T>("w", y.size());
      std::vector<T> d(first ? y.size() : p.size());
      impl::binary_cross_entropy_backward(In<T>(y), In<T>(p), In<T>(w), In<T>(), first ? Out<T>(d) : Out<T>(),
                                          first ? Out<T>() : Out<T>(d), c.reduction(), c.bce_clamp(),
                                          c.param<T>("epsilon"));
      return d;
    });
    t[{"binary_cross_entropy_with_logits", first ? "y" : "s"}] = entry([first](auto zero, const GradCall& c) {
      using T = decltype(zero);
      auto y = c.real<T>("y");
      auto s = c.real<T>("s");
      auto w = c.optional_real<T>("w", y.size());
      std::vector<T> d(first ? y.size() : s.size());
      impl::binary_cross_entropy_with_logits_backward(In<T>(y), In<T>(s), In<T>(w), In<T>(),
                                                      first ? Out<T>(d) : Out<T>(), first ? Out<T>() : Out<T>(d),
                                                      c.reduction(), c.param<T>("pos_weight"));
      return d;
    });
  }
  t[{"logistic_loss", "s"}] = pairwise("y", "s", [](auto y, auto s, auto, auto ds, R r, const GradCall&) {
                                using T = typename decltype(ds)::value_type;
                                impl::logistic_loss_backward(y, s, In<T>(), ds, r);
                              }).second;
  t[{"exponential_loss", "s"}] = pairwise("y", "s", [](auto y, auto s, auto, auto ds, R r, const GradCall&) {
                                   using T = typename decltype(ds)::value_type;
                                   impl::exponential_loss_backward(y, s, In<T>(), ds, r);
                                 }).second;
  t[{"hinge", "s"}] = pairwise("y", "s", [](auto y, auto s, auto, auto ds, R r, const GradCall& c) {
                        using T = typename decltype(ds)::value_type;
                        impl::hinge_backward(y, s, In<T>(), ds, r, c.label_encoding());
                      }).second;
  t[{"squared_hinge", "s"}] = pairwise("y", "s", [](auto y, auto s, auto, auto ds, R r, const GradCall& c) {
                                using T = typename decltype(ds)::value_type;
                                impl::squared_hinge_backward(y, s, In<T>(), ds, r, c.label_encoding());
                              }).second;
  add_pair(t, "balanced_cross_entropy", "y", "p",
           pairwise("y", "p", [](auto y, auto p, auto dy, auto dp, R r, const GradCall& c) {
             using T = typename decltype(dy)::value_type;
             impl::balanced_cross_entropy_backward(y, p, In<T>(), dy, dp, r, c.param<T>("alpha"));
           }));
  add_pair(t, "focal_loss", "y", "p", pairwise("y", "p", [](auto y, auto p, auto dy, auto dp, R r, const GradCall& c) {
             using T = typename decltype(dy)::value_type;
             impl::focal_loss_backward(y, p, In<T>(), dy, dp, r,
                                       {.alpha = c.param<double>("alpha"), .gamma = c.param<double>("gamma"),
                                        .from_logits = c.flag("from_logits")});
           }));
  add_pair(t, "multilabel_bce", "y", "s",
           rowpair("y", "s", [](auto y, auto s, impl::Shape sh, auto dy, auto ds, R r, const GradCall&) {
             using T = typename decltype(dy)::value_type;
             impl::multilabel_bce_backward(y, s, sh, In<T>(), dy, ds, r);
           }));

  // ---- categorical losses ----
  t[{"cross_entropy", "z"}] = entry([](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto z = c.real<T>("z");
    auto tt = c.indices("t");
    auto w = c.optional_real<T>("w", 0);
    std::vector<T> dz(z.size());
    impl::cross_entropy_backward(In<T>(z), std::span<const std::int64_t>(tt), In<T>(w), c.rows("z"), In<T>(),
                                 Out<T>(dz), c.reduction(),
                                 {.ignore_index = c.param<std::int64_t>("ignore_index"),
                                  .label_smoothing = c.param<double>("label_smoothing")});
    return dz;
  });
  t[{"nll_loss", "z"}] = entry([](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto z = c.real<T>("z");
    auto tt = c.indices("t");
    auto w = c.optional_real<T>("w", 0);
    std::vector<T> dz(z.size());
    impl::nll_loss_backward(In<T>(z), std::span<const std::int64_t>(tt), In<T>(w), c.rows("z"), In<T>(), Out<T>(dz),
                            c.reduction(), c.param<std::int64_t>("ignore_index"));
    return dz;
  });
  add_pair(t, "categorical_cross_entropy", "y", "q",
           rowpair("y", "q", [](auto y, auto q, impl::Shape s, auto dy, auto dq, R r, const GradCall& c) {
             using T = typename decltype(dy)::value_type;
             impl::categorical_cross_entropy_backward(
                 y, q, s, In<T>(), dy, dq, r,
                 {.from_logits = c.flag("from_logits"),
                  .clip = c.text("clip") == "keras" ? impl::ProbabilityClip::keras : impl::ProbabilityClip::none,
                  .epsilon = c.param<double>("epsilon")});
           }));
  t[{"sparse_categorical_cross_entropy", "q"}] = entry([](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto tt = c.indices("t");
    auto q = c.real<T>("q");
    std::vector<T> dq(q.size());
    impl::sparse_categorical_cross_entropy_backward(std::span<const std::int64_t>(tt), In<T>(q), c.rows("q"), In<T>(),
                                                    Out<T>(dq), c.reduction(), c.flag("from_logits"));
    return dq;
  });
  add_pair(t, "log_loss", "y", "q",
           rowpair("y", "q", [](auto y, auto q, impl::Shape s, auto dy, auto dq, R r, const GradCall& c) {
             using T = typename decltype(dy)::value_type;
             impl::log_loss_backward(y, q, s, In<T>(), dy, dq, r, c.param<double>("eps"));
           }));

  // ---- divergences ----
  t[{"entropy", "p"}] = entry([](auto zero, const GradCall& c) {
    using T = decltype(zero);
    auto p = c.real<T>("p");
    std::vector<T> dp(p.size());
    impl::entropy_backward(In<T>(p), c.rows("p"), In<T>(), Out<T>(dp), c.reduction(), c.log_base());
    return dp;
  });
  add_pair(t, "cross_entropy_dist", "p", "q",
           rowpair("p", "q", [](auto p, auto q, impl::Shape s, auto dp, auto dq, R r, const GradCall& c) {
             using T = typename decltype(dp)::value_type;
             impl::cross_entropy_dist_backward(p, q, s, In<T>(), dp, dq, r, c.log_base());
           }));
  add_pair(t, "kl_divergence", "p", "q",
           rowpair("p", "q", [](auto p, auto q, impl::Shape s, auto dp, auto dq, R r, const GradCall& c) {
             using T = typename decltype(dp)::value_type;
             impl::kl_divergence_backward(p, q, s, In<T>(), dp, dq, r,
                                          {.base = c.log_base(), .q_is_log = c.flag("q_is_log"),
                                           .p_is_log = c.flag("p_is_log"),
                                           .elementwise_mean = c.flag("elementwise_mean")});
           }));
  return t;
}
#undef NNCONFORM_UNARY

const Table& registry() {
  static const Table table = make_table();
  return table;
}

}  // namespace

bool builtin_has_gradient(const std::string& function, const std::string& wrt) {
  return registry().count({function, wrt}) != 0;
}

std::vector<ref::FloatBits> builtin_gradient(const ref::FunctionSpec& fn, const std::string& wrt, Format format,
                                             const ref::Arguments& args) {
  auto it = registry().find({fn.name, wrt});
  if (it == registry().end())
    throw Unsupported("the built-in backward has no d" + fn.name + "/d" + wrt);
  GradCall call(fn, format, args);
  std::vector<ref::FloatBits> out;
  if (format == Format::binary32) {
    for (float v : it->second.f32(call)) out.push_back(from_float(v, format));
  } else {  // binary64, and the 16-bit formats rounded once from binary64 (as the forward does)
    for (double v : it->second.f64(call)) out.push_back(from_double(v, format));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> builtin_gradients() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, e] : registry()) out.push_back(key);
  return out;
}

}  // namespace nnconform::conformance
