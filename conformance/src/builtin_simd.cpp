// The SIMD kernels (impl/simd, nnconform/impl/simd.hpp) as Implementations under test:
//   "simd"            the fast tier on the best dispatch target of this CPU;
//   "simd-cr"         the correctly rounded tier (float unary activations; the rest as "simd");
//   "simd@TARGET"     the fast tier forced onto one Highway target ("simd@AVX2", "simd@SCALAR"
//   "simd-cr@TARGET"  — the portable scalar fallback —, any of simd_targets()).
// binary32 and binary64 only. A case with a parameter or optional input the kernels do not take
// (softplus's beta and threshold, swish's beta other than 1, cross_entropy's weights...) is
// Unsupported, not a failure.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <span>

#include "nnconform/conformance/implementation.hpp"
#include "nnconform/conformance/measure.hpp"
#include "nnconform/conformance/simd_implementation.hpp"
#include "nnconform/impl/simd.hpp"
#include "builtin_call.hpp"

namespace nnconform::conformance {
namespace {

using ref::Format;
using ref::FunctionSpec;
namespace simd = nnconform::simd;

// One case as the SIMD entries read it: builtin::Call (inputs, parameters rounded as a caller
// of the format holds them, reduction) plus the tier, and refusals of what the kernels lack.
class Args : public builtin::Call {
 public:
  Args(const FunctionSpec& fn, Format format, const ref::Arguments& args, simd::Tier tier)
      : Call(fn, format, args), tier(tier), fn_(fn), args_(args) {}
  simd::Tier tier;

  // The kernels implement only this value of a parameter.
  void require(const std::string& name, double value) const {
    if (!(param<double>(name) == value)) throw Unsupported(fn_.name + ": the SIMD kernels have no parameter " + name);
  }
  void no_input(const std::string& name) const {
    if (has(name)) throw Unsupported(fn_.name + ": the SIMD kernels have no input '" + name + "'");
  }
  void default_text(const std::string& name) const {
    if (args_.params.count(name) && args_.params.at(name) != fn_.param(name)->default_value.value_or(""))
      throw Unsupported(fn_.name + ": the SIMD kernels have no parameter " + name);
  }

 private:
  const FunctionSpec& fn_;
  const ref::Arguments& args_;
};

using Entry = builtin::Entry<Args>;
template <typename K>
Entry entry(K k) {
  return builtin::entry<Args>(k);
}
using builtin::In;

// Elementwise activation f(x, out, [param], [tier]) for float and double.
#define NNC_UNARY(NAME, CALL)                       \
  entry([](auto z, const Args& a) {                 \
    using T = decltype(z);                          \
    auto x = a.real<T>("x");                        \
    std::vector<T> y(x.size());                     \
    In<T> in(x);                                    \
    std::span<T> out(y);                            \
    CALL;                                           \
    return y;                                       \
  })

const std::map<std::string, Entry>& registry() {
  static const std::map<std::string, Entry> table = {
      {"sigmoid", NNC_UNARY(sigmoid, if constexpr (sizeof(T) == 4) simd::sigmoid(in, out, a.tier); else simd::sigmoid(in, out))},
      {"tanh", NNC_UNARY(tanh, if constexpr (sizeof(T) == 4) simd::tanh(in, out, a.tier); else simd::tanh(in, out))},
      {"silu", NNC_UNARY(silu, if constexpr (sizeof(T) == 4) simd::silu(in, out, a.tier); else simd::silu(in, out))},
      {"swish", NNC_UNARY(swish, a.require("beta", 1); if constexpr (sizeof(T) == 4) simd::silu(in, out, a.tier);
                          else simd::silu(in, out))},
      {"softplus", NNC_UNARY(softplus, a.require("beta", 1); a.require("threshold", INFINITY);
                             if constexpr (sizeof(T) == 4) simd::softplus(in, out, a.tier); else simd::softplus(in, out))},
      {"elu", NNC_UNARY(elu, T alpha = a.param<T>("alpha");
                        if constexpr (sizeof(T) == 4) simd::elu(in, out, alpha, a.tier); else simd::elu(in, out, alpha))},
      {"mish", NNC_UNARY(mish, if constexpr (sizeof(T) == 4) simd::mish(in, out, a.tier); else simd::mish(in, out))},
      {"relu", NNC_UNARY(relu, simd::relu(in, out))},
      {"leaky_relu", NNC_UNARY(leaky_relu, simd::leaky_relu(in, out, a.param<T>("a")))},
      {"relu6", NNC_UNARY(relu6, simd::relu6(in, out))},
      {"softmax", entry([](auto zero, const Args& a) {
         using T = decltype(zero);
         a.default_text("axis");
         auto z = a.real<T>("z");
         std::vector<T> y(z.size());
         simd::softmax(In<T>(z), a.rows("z"), std::span<T>(y));
         return y;
       })},
      {"log_softmax", entry([](auto zero, const Args& a) {
         using T = decltype(zero);
         a.default_text("axis");
         auto z = a.real<T>("z");
         std::vector<T> y(z.size());
         simd::log_softmax(In<T>(z), a.rows("z"), std::span<T>(y));
         return y;
       })},
      {"logsumexp", entry([](auto zero, const Args& a) {
         using T = decltype(zero);
         a.default_text("axis");
         auto z = a.real<T>("z");
         std::vector<T> y(a.rows("z").n);
         simd::logsumexp(In<T>(z), a.rows("z"), std::span<T>(y));
         return y;
       })},
      {"cross_entropy", entry([](auto zero, const Args& a) {
         using T = decltype(zero);
         a.no_input("w");
         a.default_text("ignore_index");
         a.require("label_smoothing", 0);
         auto z = a.real<T>("z");
         std::vector<std::int64_t> t = a.indices("t");
         simd::Shape s = a.rows("z");
         std::vector<T> y(a.reduced_size(s.n));
         simd::cross_entropy(In<T>(z), std::span<const std::int64_t>(t), s, std::span<T>(y), a.reduction());
         return y;
       })},
      {"binary_cross_entropy_with_logits", entry([](auto zero, const Args& a) {
         using T = decltype(zero);
         a.no_input("w");
         a.require("pos_weight", 1);
         auto y = a.real<T>("y");
         auto s = a.real<T>("s");
         std::vector<T> out(a.reduced_size(y.size()));
         simd::binary_cross_entropy_with_logits(In<T>(y), In<T>(s), std::span<T>(out), a.reduction());
         return out;
       })},
      {"mse", entry([](auto zero, const Args& a) {
         using T = decltype(zero);
         auto y = a.real<T>("y");
         auto yh = a.real<T>("yhat");
         std::vector<T> out(a.reduced_size(y.size()));
         simd::mse(In<T>(y), In<T>(yh), std::span<T>(out), a.reduction());
         return out;
       })},
      {"mae", entry([](auto zero, const Args& a) {
         using T = decltype(zero);
         auto y = a.real<T>("y");
         auto yh = a.real<T>("yhat");
         std::vector<T> out(a.reduced_size(y.size()));
         simd::mae(In<T>(y), In<T>(yh), std::span<T>(out), a.reduction());
         return out;
       })},
      {"huber", entry([](auto zero, const Args& a) {
         using T = decltype(zero);
         auto y = a.real<T>("y");
         auto yh = a.real<T>("yhat");
         std::vector<T> out(a.reduced_size(y.size()));
         simd::huber(In<T>(y), In<T>(yh), std::span<T>(out), a.param<T>("delta"), a.reduction());
         return out;
       })},
  };
  return table;
}
#undef NNC_UNARY

class Simd : public Implementation {
 public:
  Simd(simd::Tier tier, std::string target) : tier_(tier), target_(std::move(target)) {}
  std::string name() const override {
    return std::string(tier_ == simd::Tier::fast ? "simd" : "simd-cr") + (target_.empty() ? "" : "@" + target_);
  }
  bool supports(const FunctionSpec& fn, Format format) const override {
    return (format == Format::binary32 || format == Format::binary64) && registry().count(fn.name) != 0;
  }
  std::vector<ref::FloatBits> compute(const FunctionSpec& fn, Format format, const ref::Arguments& args) override {
    auto it = registry().find(fn.name);
    if (it == registry().end() || !supports(fn, format))
      throw Unsupported("the SIMD kernels have no " + fn.name + " in " + std::string(ref::name(format)));
    // Process-wide: the target is set for this call and restored after it.
    struct Scope {
      bool set;
      explicit Scope(const std::string& t) : set(!t.empty()) {
        if (set) simd::force_target(t);
      }
      ~Scope() {
        if (set) simd::force_target("");
      }
    } scope(target_);
    Args a{fn, format, args, tier_};
    std::vector<ref::FloatBits> out;
    if (format == Format::binary64) {
      for (double v : it->second.f64(a)) out.push_back(from_double(v));
    } else {
      for (float v : it->second.f32(a)) out.push_back(from_float(v, format));
    }
    return out;
  }

 private:
  simd::Tier tier_;
  std::string target_;
};

}  // namespace

std::vector<std::string> simd_targets() { return simd::available_targets(); }

std::vector<std::string> simd_functions() {
  std::vector<std::string> names;
  for (const auto& [name, e] : registry()) names.push_back(name);
  return names;
}

std::unique_ptr<Implementation> make_simd(const std::string& name) {
  std::string base = name, target;
  if (auto at = name.find('@'); at != std::string::npos) {
    base = name.substr(0, at);
    target = name.substr(at + 1);
  }
  simd::Tier tier;
  if (base == "simd")
    tier = simd::Tier::fast;
  else if (base == "simd-cr")
    tier = simd::Tier::correctly_rounded;
  else
    return nullptr;
  if (!target.empty()) {
    auto all = simd::available_targets();
    if (std::find(all.begin(), all.end(), target) == all.end()) return nullptr;
  }
  return std::make_unique<Simd>(tier, target);
}

}  // namespace nnconform::conformance
