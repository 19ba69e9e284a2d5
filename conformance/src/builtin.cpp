// The built-in implementation (impl/) as an Implementation: one registry entry per function,
// each a few lines that unpack a case's arguments into impl's span API. Adding a function to
// impl/ is adding its entry here.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "builtin_call.hpp"
#include "nnconform/conformance/implementation.hpp"
#include "nnconform/conformance/measure.hpp"
#include "nnconform/impl/losses.hpp"

namespace nnconform::conformance {
namespace {

using ref::Format;
using ref::FunctionSpec;

// A case's arguments, typed for a kernel, and the registry's scaffolding (builtin_call.hpp,
// shared with the backward).
using builtin::Call;
using builtin::In;
using builtin::transpose;
using Entry = builtin::Entry<Call>;

template <typename Kernel>
Entry entry(Kernel k) {
  return builtin::entry<Call>(k);
}

// An elementwise activation f(x, out, params...).
template <typename F>
Entry unary(F f) {
  return entry([f](auto zero, const Call& c) {
    using T = decltype(zero);
    auto x = c.real<T>("x");
    std::vector<T> y(x.size());
    f(In<T>(x), std::span<T>(y), c);
    return y;
  });
}

// An elementwise loss f(a, b, out, reduction, c) of inputs named a and b.
template <typename F>
Entry pairwise(const char* a_name, const char* b_name, F f) {
  return entry([=](auto zero, const Call& c) {
    using T = decltype(zero);
    auto a = c.real<T>(a_name);
    auto b = c.real<T>(b_name);
    std::vector<T> out(c.reduced_size(a.size()));
    f(In<T>(a), In<T>(b), std::span<T>(out), c.reduction(), c);
    return out;
  });
}

// A row function of one vector input `name` whose output has the input's shape, honouring the
// spec's `axis` (0 or -2: the columns of a 2-D batch, as the reference transposes them).
template <typename F>
Entry rowwise(const char* name, F f) {
  return entry([=](auto zero, const Call& c) {
    using T = decltype(zero);
    auto z = c.real<T>(name);
    impl::Shape s = c.rows(name);
    bool transposed = c.columns(name);
    if (transposed) z = transpose(z, s), s = {s.c, s.n};
    std::vector<T> y(z.size());
    f(In<T>(z), s, std::span<T>(y));
    if (transposed) y = transpose(y, s);
    return y;
  });
}

const std::map<std::string, Entry>& registry() {
  static const std::map<std::string, Entry> table = {
      // ---- activations ----
      {"sigmoid", unary([](auto x, auto y, const Call&) { impl::sigmoid(x, y); })},
      {"tanh", unary([](auto x, auto y, const Call&) { impl::tanh(x, y); })},
      {"relu", unary([](auto x, auto y, const Call&) { impl::relu(x, y); })},
      {"relu6", unary([](auto x, auto y, const Call&) { impl::relu6(x, y); })},
      {"hardsigmoid", unary([](auto x, auto y, const Call&) { impl::hardsigmoid(x, y); })},
      {"hardswish", unary([](auto x, auto y, const Call&) { impl::hardswish(x, y); })},
      {"silu", unary([](auto x, auto y, const Call&) { impl::silu(x, y); })},
      {"mish", unary([](auto x, auto y, const Call&) { impl::mish(x, y); })},
      {"gelu", unary([](auto x, auto y, const Call&) { impl::gelu(x, y); })},
      {"gelu_tanh", unary([](auto x, auto y, const Call&) { impl::gelu_tanh(x, y); })},
      {"selu", unary([](auto x, auto y, const Call&) { impl::selu(x, y); })},
      {"logsigmoid", unary([](auto x, auto y, const Call&) { impl::logsigmoid(x, y); })},
      {"linear", unary([](auto x, auto y, const Call& c) {
         using T = typename decltype(y)::value_type;
         impl::linear(x, y, c.param<T>("k"));
       })},
      {"leaky_relu", unary([](auto x, auto y, const Call& c) {
         using T = typename decltype(y)::value_type;
         impl::leaky_relu(x, y, c.param<T>("a"));
       })},
      {"softplus", unary([](auto x, auto y, const Call& c) {
         using T = typename decltype(y)::value_type;
         impl::softplus(x, y, c.param<T>("beta"), c.param<T>("threshold"));
       })},
      {"elu", unary([](auto x, auto y, const Call& c) {
         using T = typename decltype(y)::value_type;
         impl::elu(x, y, c.param<T>("alpha"));
       })},
      {"swish", unary([](auto x, auto y, const Call& c) {
         using T = typename decltype(y)::value_type;
         impl::swish(x, y, c.param<T>("beta"));
       })},
      {"srelu", unary([](auto x, auto y, const Call& c) {
         using T = typename decltype(y)::value_type;
         impl::srelu(x, y, c.param<T>("t_l"), c.param<T>("a_l"), c.param<T>("t_r"), c.param<T>("a_r"));
       })},
      // prelu: one shared slope, or one per channel (the inputs' last axis).
      {"prelu", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto x = c.real<T>("x");
         std::vector<T> y(x.size());
         std::vector<T> a = c.param_list<T>("a");
         if (a.size() == 1) {
           impl::prelu(In<T>(x), std::span<T>(y), a[0]);
         } else {
           impl::Shape s = c.rows("x");
           impl::prelu(In<T>(x), s, std::span<T>(y), In<T>(a));
         }
         return y;
       })},
      // rrelu: eval mode from (lower + upper)/2; given mode with the slopes as the input a.
      {"rrelu", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto x = c.real<T>("x");
         std::vector<T> y(x.size());
         if (c.text("mode") == "given") {
           // The slopes only enter where x < 0: a case may leave `a` out when no x is negative
           // (the spec's where() never evaluates it); NaN slopes then stand for "not given".
           std::vector<T> a;
           if (c.has("a")) {
             a = c.real<T>("a");
           } else if (std::any_of(x.begin(), x.end(), [](T v) { return v < T(0); })) {
             throw std::invalid_argument("rrelu: mode 'given' needs the slopes a where x < 0");
           } else {
             a.assign(x.size(), std::numeric_limits<T>::quiet_NaN());
           }
           if (a.size() == 1 && x.size() != 1) a.assign(x.size(), a[0]);
           impl::rrelu(In<T>(x), In<T>(a), std::span<T>(y));
         } else {
           impl::rrelu(In<T>(x), std::span<T>(y), c.param<T>("lower"), c.param<T>("upper"));
         }
         return y;
       })},
      {"crelu", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto x = c.real<T>("x");
         std::vector<T> y(2 * x.size());
         impl::crelu(In<T>(x), c.rows("x"), std::span<T>(y));
         return y;
       })},
      {"maxout", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto x = c.real<T>("x");
         const auto k = c.param<std::int64_t>("k");
         if (k < 1) throw std::invalid_argument("maxout: k must be >= 1");
         std::vector<T> y(x.size() / static_cast<std::size_t>(k));
         impl::maxout(In<T>(x), c.rows("x"), std::span<T>(y), k);
         return y;
       })},
      {"hardmax", rowwise("z", [](auto z, impl::Shape s, auto y) { impl::hardmax(z, s, y); })},
      {"softmax", rowwise("z", [](auto z, impl::Shape s, auto y) { impl::softmax(z, s, y); })},
      {"log_softmax", rowwise("z", [](auto z, impl::Shape s, auto y) { impl::log_softmax(z, s, y); })},
      {"logsumexp", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto z = c.real<T>("z");
         impl::Shape s = c.rows("z");
         if (c.columns("z")) z = transpose(z, s), s = {s.c, s.n};
         std::vector<T> y(s.n);
         impl::logsumexp(In<T>(z), s, std::span<T>(y));
         return y;
       })},

      // ---- regression losses ----
      {"mse", pairwise("y", "yhat", [](auto y, auto yhat, auto out, impl::Reduction r, const Call&) {
         impl::mse(y, yhat, out, r);
       })},
      {"sse", pairwise("y", "yhat", [](auto y, auto yhat, auto out, impl::Reduction r, const Call&) {
         impl::sse(y, yhat, out, r);
       })},
      {"msle", pairwise("y", "yhat", [](auto y, auto yhat, auto out, impl::Reduction r, const Call&) {
         impl::msle(y, yhat, out, r);
       })},
      {"mae", pairwise("y", "yhat", [](auto y, auto yhat, auto out, impl::Reduction r, const Call&) {
         impl::mae(y, yhat, out, r);
       })},
      {"mape", pairwise("y", "yhat", [](auto y, auto yhat, auto out, impl::Reduction r, const Call& c) {
         impl::mape(y, yhat, out, r, {.epsilon = c.param<double>("epsilon"), .scale = c.param<double>("scale")});
       })},
      {"smooth_l1", pairwise("y", "yhat", [](auto y, auto yhat, auto out, impl::Reduction r, const Call& c) {
         using T = typename decltype(out)::value_type;
         impl::smooth_l1(y, yhat, out, r, c.param<T>("beta"));
       })},
      {"huber", pairwise("y", "yhat", [](auto y, auto yhat, auto out, impl::Reduction r, const Call& c) {
         using T = typename decltype(out)::value_type;
         impl::huber(y, yhat, out, r, c.param<T>("delta"));
       })},
      {"quadratic_cost", pairwise("s", "y", [](auto s, auto y, auto out, impl::Reduction r, const Call&) {
         impl::quadratic_cost(s, y, out, r);
       })},
      {"variance", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto x = c.real<T>("x");
         impl::Shape s = c.rows("x");
         std::vector<T> out(s.n);
         impl::variance(In<T>(x), s, std::span<T>(out), static_cast<int>(c.param<std::int64_t>("ddof")));
         return out;
       })},
      {"cosine_proximity", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto y = c.real<T>("y");
         auto yhat = c.real<T>("yhat");
         impl::Shape s = c.rows("y");
         std::vector<T> out(c.reduced_size(s.n));
         impl::cosine_proximity(In<T>(y), In<T>(yhat), s, std::span<T>(out), c.reduction(), c.param<T>("epsilon"));
         return out;
       })},

      // ---- binary classification losses ----
      {"binary_cross_entropy", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto y = c.real<T>("y");
         auto p = c.real<T>("p");
         auto w = c.optional_real<T>("w", y.size());
         impl::BinaryCrossEntropyOptions o;
         o.clamp = c.bce_clamp();
         o.epsilon = c.param<double>("epsilon");
         std::vector<T> out(c.reduced_size(y.size()));
         impl::binary_cross_entropy(In<T>(y), In<T>(p), In<T>(w), std::span<T>(out), c.reduction(), o);
         return out;
       })},
      {"binary_cross_entropy_with_logits", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto y = c.real<T>("y");
         auto s = c.real<T>("s");
         auto w = c.optional_real<T>("w", y.size());
         std::vector<T> out(c.reduced_size(y.size()));
         impl::binary_cross_entropy_with_logits(In<T>(y), In<T>(s), In<T>(w), std::span<T>(out), c.reduction(),
                                                c.param<T>("pos_weight"));
         return out;
       })},
      {"logistic_loss", pairwise("y", "s", [](auto y, auto s, auto out, impl::Reduction r, const Call&) {
         impl::logistic_loss(y, s, out, r);
       })},
      {"exponential_loss", pairwise("y", "s", [](auto y, auto s, auto out, impl::Reduction r, const Call&) {
         impl::exponential_loss(y, s, out, r);
       })},
      {"hinge", pairwise("y", "s", [](auto y, auto s, auto out, impl::Reduction r, const Call& c) {
         impl::hinge(y, s, out, r, c.label_encoding());
       })},
      {"squared_hinge", pairwise("y", "s", [](auto y, auto s, auto out, impl::Reduction r, const Call& c) {
         impl::squared_hinge(y, s, out, r, c.label_encoding());
       })},
      {"balanced_cross_entropy", pairwise("y", "p", [](auto y, auto p, auto out, impl::Reduction r, const Call& c) {
         using T = typename decltype(out)::value_type;
         impl::balanced_cross_entropy(y, p, out, r, c.param<T>("alpha"));
       })},
      {"focal_loss", pairwise("y", "p", [](auto y, auto p, auto out, impl::Reduction r, const Call& c) {
         impl::focal_loss(y, p, out, r,
                          {.alpha = c.param<double>("alpha"), .gamma = c.param<double>("gamma"),
                           .from_logits = c.flag("from_logits")});
       })},
      {"multilabel_bce", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto y = c.real<T>("y");
         auto s = c.real<T>("s");
         impl::Shape sh = c.rows("y");
         std::vector<T> out(c.reduced_size(sh.n));
         impl::multilabel_bce(In<T>(y), In<T>(s), sh, std::span<T>(out), c.reduction());
         return out;
       })},

      // ---- categorical losses ----
      {"cross_entropy", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto z = c.real<T>("z");
         auto t = c.indices("t");
         impl::Shape s = c.rows("z");
         auto w = c.optional_real<T>("w", 0);
         std::vector<T> y(c.reduced_size(s.n));
         impl::cross_entropy(In<T>(z), std::span<const std::int64_t>(t), In<T>(w), s, std::span<T>(y), c.reduction(),
                             {.ignore_index = c.param<std::int64_t>("ignore_index"),
                              .label_smoothing = c.param<double>("label_smoothing")});
         return y;
       })},
      {"nll_loss", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto z = c.real<T>("z");
         auto t = c.indices("t");
         impl::Shape s = c.rows("z");
         auto w = c.optional_real<T>("w", 0);
         std::vector<T> y(c.reduced_size(s.n));
         impl::nll_loss(In<T>(z), std::span<const std::int64_t>(t), In<T>(w), s, std::span<T>(y), c.reduction(),
                        c.param<std::int64_t>("ignore_index"));
         return y;
       })},
      {"categorical_cross_entropy", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto y = c.real<T>("y");
         auto q = c.real<T>("q");
         impl::Shape s = c.rows("y");
         std::vector<T> out(c.reduced_size(s.n));
         impl::categorical_cross_entropy(
             In<T>(y), In<T>(q), s, std::span<T>(out), c.reduction(),
             {.from_logits = c.flag("from_logits"),
              .clip = c.text("clip") == "keras" ? impl::ProbabilityClip::keras : impl::ProbabilityClip::none,
              .epsilon = c.param<double>("epsilon")});
         return out;
       })},
      {"sparse_categorical_cross_entropy", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto t = c.indices("t");
         auto q = c.real<T>("q");
         impl::Shape s = c.rows("q");
         std::vector<T> out(c.reduced_size(s.n));
         impl::sparse_categorical_cross_entropy(std::span<const std::int64_t>(t), In<T>(q), s, std::span<T>(out),
                                                c.reduction(), c.flag("from_logits"));
         return out;
       })},
      {"log_loss", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto y = c.real<T>("y");
         auto q = c.real<T>("q");
         impl::Shape s = c.rows("y");
         std::vector<T> out(c.reduced_size(s.n));
         impl::log_loss(In<T>(y), In<T>(q), s, std::span<T>(out), c.reduction(), c.param<double>("eps"));
         return out;
       })},

      // ---- divergences ----
      {"entropy", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto p = c.real<T>("p");
         impl::Shape s = c.rows("p");
         std::vector<T> y(c.reduced_size(s.n));
         impl::entropy(In<T>(p), s, std::span<T>(y), c.reduction(), c.log_base());
         return y;
       })},
      {"cross_entropy_dist", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto p = c.real<T>("p");
         auto q = c.real<T>("q");
         impl::Shape s = c.rows("p");
         std::vector<T> y(c.reduced_size(s.n));
         impl::cross_entropy_dist(In<T>(p), In<T>(q), s, std::span<T>(y), c.reduction(), c.log_base());
         return y;
       })},
      {"kl_divergence", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto p = c.real<T>("p");
         auto q = c.real<T>("q");
         impl::Shape s = c.rows("p");
         std::vector<T> y(c.reduced_size(s.n));
         impl::kl_divergence(In<T>(p), In<T>(q), s, std::span<T>(y), c.reduction(),
                             {.base = c.log_base(), .q_is_log = c.flag("q_is_log"), .p_is_log = c.flag("p_is_log"),
                              .elementwise_mean = c.flag("elementwise_mean")});
         return y;
       })},
  };
  return table;
}

class Builtin : public Implementation {
 public:
  std::string name() const override { return "builtin"; }
  bool supports(const FunctionSpec& fn, Format) const override { return registry().count(fn.name) != 0; }
  std::vector<ref::FloatBits> compute(const FunctionSpec& fn, Format format, const ref::Arguments& args) override {
    auto it = registry().find(fn.name);
    if (it == registry().end()) throw Unsupported("the built-in implementation has no " + fn.name);
    Call call(fn, format, args);
    std::vector<ref::FloatBits> out;
    if (format == Format::binary32) {
      for (float v : it->second.f32(call)) out.push_back(from_float(v, format));
    } else {
      // binary16 and bfloat16 through the binary64 kernels, rounded once: through float they
      // would round twice (0.504 ulp at worst).
      for (double v : it->second.f64(call)) out.push_back(from_double(v, format));
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<Implementation> make_builtin() { return std::make_unique<Builtin>(); }

std::vector<std::string> builtin_functions() {
  std::vector<std::string> names;
  for (const auto& [name, e] : registry()) names.push_back(name);
  return names;
}

}  // namespace nnconform::conformance
