// The built-in implementation (impl/) as an Implementation: one registry entry per function,
// each a few lines that unpack a case's arguments into impl's span API. Adding a function to
// impl/ is adding its entry here.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <span>

#include "nnconform/conformance/implementation.hpp"
#include "nnconform/conformance/measure.hpp"
#include "nnconform/impl/nn.hpp"

namespace nnconform::conformance {
namespace {

using ref::Format;
using ref::FunctionSpec;

// One case's arguments, typed for a kernel.
class Call {
 public:
  Call(const FunctionSpec& fn, Format format, const ref::Arguments& args) : fn_(fn), format_(format), args_(args) {}

  bool has(const std::string& name) const { return args_.inputs.count(name) != 0; }
  const ref::Tensor& tensor(const std::string& name) const {
    auto it = args_.inputs.find(name);
    if (it == args_.inputs.end()) throw Unsupported(fn_.name + ": input '" + name + "' not given");
    return it->second;
  }
  template <typename T>
  std::vector<T> real(const std::string& name) const {
    const ref::Tensor& t = tensor(name);
    std::vector<T> out;
    out.reserve(t.values.size());
    for (const auto& v : t.values) out.push_back(static_cast<T>(v.to_double()));  // exact
    return out;
  }
  std::vector<std::int64_t> indices(const std::string& name) const {
    const ref::Tensor& t = tensor(name);
    return {t.indices.begin(), t.indices.end()};
  }
  // A vector input as rows: [c] is one row, [n, c] n rows.
  impl::Shape rows(const std::string& name) const {
    const ref::Tensor& t = tensor(name);
    if (t.shape.size() == 2) return {t.shape[0], t.shape[1]};
    return {1, t.shape.empty() ? 1 : t.shape[0]};
  }
  std::string text(const std::string& name) const {
    auto it = args_.params.find(name);
    if (it != args_.params.end()) return it->second;
    const ref::ParamSpec* p = fn_.param(name);
    if (!p || !p->default_value) throw Unsupported(fn_.name + ": parameter '" + name + "' has no value");
    return *p->default_value;
  }
  // A real or integer parameter, held as a caller of this format would (rounded to it, unless
  // the spec marks it exact).
  template <typename T>
  T param(const std::string& name) const {
    const ref::ParamSpec* p = fn_.param(name);
    Format f = p && p->type == ref::ParamType::real && !p->exact ? format_ : Format::binary64;
    auto v = ref::parse_value(text(name), f);
    if (!v) throw Unsupported(fn_.name + ": parameter '" + name + "' is not a number");
    return static_cast<T>(v->to_double());
  }
  impl::Reduction reduction() const {
    std::string r = text("reduction");
    return r == "none" ? impl::Reduction::none : r == "sum" ? impl::Reduction::sum : impl::Reduction::mean;
  }
  // Refuses a case that sets a parameter or optional input this entry does not implement.
  void only_defaults(std::initializer_list<const char*> names) const {
    for (const char* n : names) {
      if (args_.params.count(n) && args_.params.at(n) != fn_.param(n)->default_value.value_or(""))
        throw Unsupported(fn_.name + ": the built-in implementation has no parameter '" + std::string(n) + "'");
      if (args_.inputs.count(n)) throw Unsupported(fn_.name + ": the built-in implementation has no input '" + std::string(n) + "'");
    }
  }
  std::size_t reduced_size(std::size_t unreduced) const {
    return reduction() == impl::Reduction::none ? unreduced : 1;
  }

 private:
  const FunctionSpec& fn_;
  Format format_;
  const ref::Arguments& args_;
};

struct Entry {
  std::function<std::vector<float>(const Call&)> f32;
  std::function<std::vector<double>(const Call&)> f64;
};

// Wraps a generic kernel `[](auto zero, const Call&) -> std::vector<decltype(zero)>`.
template <typename Kernel>
Entry entry(Kernel k) {
  return {[k](const Call& c) { return k(0.0f, c); }, [k](const Call& c) { return k(0.0, c); }};
}

template <typename T>
using In = std::span<const T>;

const std::map<std::string, Entry>& registry() {
  static const std::map<std::string, Entry> table = {
      {"sigmoid", entry([](auto z, const Call& c) {
         using T = decltype(z);
         auto x = c.real<T>("x");
         std::vector<T> y(x.size());
         impl::sigmoid(In<T>(x), std::span<T>(y));
         return y;
       })},
      {"tanh", entry([](auto z, const Call& c) {
         using T = decltype(z);
         auto x = c.real<T>("x");
         std::vector<T> y(x.size());
         impl::tanh(In<T>(x), std::span<T>(y));
         return y;
       })},
      {"relu", entry([](auto z, const Call& c) {
         using T = decltype(z);
         auto x = c.real<T>("x");
         std::vector<T> y(x.size());
         impl::relu(In<T>(x), std::span<T>(y));
         return y;
       })},
      {"softplus", entry([](auto z, const Call& c) {
         using T = decltype(z);
         auto x = c.real<T>("x");
         std::vector<T> y(x.size());
         impl::softplus(In<T>(x), std::span<T>(y), c.param<T>("beta"), c.param<T>("threshold"));
         return y;
       })},
      {"elu", entry([](auto z, const Call& c) {
         using T = decltype(z);
         auto x = c.real<T>("x");
         std::vector<T> y(x.size());
         impl::elu(In<T>(x), std::span<T>(y), c.param<T>("alpha"));
         return y;
       })},
      {"softmax", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         c.only_defaults({"axis"});
         auto z = c.real<T>("z");
         std::vector<T> y(z.size());
         impl::softmax(In<T>(z), c.rows("z"), std::span<T>(y));
         return y;
       })},
      {"log_softmax", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         c.only_defaults({"axis"});
         auto z = c.real<T>("z");
         std::vector<T> y(z.size());
         impl::log_softmax(In<T>(z), c.rows("z"), std::span<T>(y));
         return y;
       })},
      {"logsumexp", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         c.only_defaults({"axis"});
         auto z = c.real<T>("z");
         std::vector<T> y(c.rows("z").n);
         impl::logsumexp(In<T>(z), c.rows("z"), std::span<T>(y));
         return y;
       })},
      {"cross_entropy", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         c.only_defaults({"w", "ignore_index", "label_smoothing"});
         auto z = c.real<T>("z");
         auto t = c.indices("t");
         impl::Shape s = c.rows("z");
         std::vector<T> y(c.reduced_size(s.n));
         impl::cross_entropy(In<T>(z), std::span<const std::int64_t>(t), s, std::span<T>(y), c.reduction());
         return y;
       })},
      {"kl_divergence", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         c.only_defaults({"base", "q_is_log", "p_is_log", "elementwise_mean"});
         auto p = c.real<T>("p");
         auto q = c.real<T>("q");
         impl::Shape s = c.rows("p");
         std::vector<T> y(c.reduced_size(s.n));
         impl::kl_divergence(In<T>(p), In<T>(q), s, std::span<T>(y), c.reduction());
         return y;
       })},
      {"entropy", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         c.only_defaults({"base"});
         auto p = c.real<T>("p");
         impl::Shape s = c.rows("p");
         std::vector<T> y(c.reduced_size(s.n));
         impl::entropy(In<T>(p), s, std::span<T>(y), c.reduction());
         return y;
       })},
      {"cross_entropy_dist", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         c.only_defaults({"base"});
         auto p = c.real<T>("p");
         auto q = c.real<T>("q");
         impl::Shape s = c.rows("p");
         std::vector<T> y(c.reduced_size(s.n));
         impl::cross_entropy_dist(In<T>(p), In<T>(q), s, std::span<T>(y), c.reduction());
         return y;
       })},
      {"binary_cross_entropy", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         c.only_defaults({"w", "clamp", "epsilon"});
         auto yv = c.real<T>("y");
         auto p = c.real<T>("p");
         std::vector<T> out(c.reduced_size(yv.size()));
         impl::binary_cross_entropy(In<T>(yv), In<T>(p), std::span<T>(out), c.reduction());
         return out;
       })},
      {"mse", entry([](auto zero, const Call& c) {
         using T = decltype(zero);
         auto yv = c.real<T>("y");
         auto yhat = c.real<T>("yhat");
         std::vector<T> out(c.reduced_size(yv.size()));
         impl::mse(In<T>(yv), In<T>(yhat), std::span<T>(out), c.reduction());
         return out;
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
    if (format == Format::binary64) {
      for (double v : it->second.f64(call)) out.push_back(from_double(v));
    } else {
      for (float v : it->second.f32(call)) out.push_back(from_float(v, format));
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
