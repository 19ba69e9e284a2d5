// One case's arguments, typed for a built-in kernel: shared by the forward built-in (builtin.cpp)
// and the built-in backward (builtin_backward.cpp), so that both read and round a case the same
// way. Private to nnconform_conformance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "nnconform/conformance/implementation.hpp"
#include "nnconform/impl/losses.hpp"
#include "nnconform/impl/nn.hpp"
#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/format.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::conformance::builtin {

// Inputs widen exactly; real parameters round to the case's format unless the spec marks them
// exact.
class Call {
 public:
  Call(const ref::FunctionSpec& fn, ref::Format format, const ref::Arguments& args)
      : fn_(fn), format_(format), args_(args) {}

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
    ref::Format f = p && p->type == ref::ParamType::real && !p->exact ? format_ : ref::Format::binary64;
    auto v = ref::parse_value(text(name), f);
    if (!v) throw Unsupported(fn_.name + ": parameter '" + name + "' is not a number");
    return static_cast<T>(v->to_double());
  }
  // An optional input, or empty (the kernel's "no weights") when the case leaves it out.
  // A scalar given for a batch of `n` elements is broadcast.
  template <typename T>
  std::vector<T> optional_real(const std::string& name, std::size_t n) const {
    if (!has(name)) return {};
    std::vector<T> v = real<T>(name);
    if (n > 1 && v.size() == 1) v.assign(n, v[0]);
    return v;
  }
  // A per-channel real parameter: one value, or a comma-separated list (one per channel).
  template <typename T>
  std::vector<T> param_list(const std::string& name) const {
    const std::string s = text(name);
    if (s.find(',') == std::string::npos) return {param<T>(name)};
    const ref::ParamSpec* p = fn_.param(name);
    ref::Format f = p && !p->exact ? format_ : ref::Format::binary64;
    std::vector<T> out;
    std::size_t start = 0;
    while (start <= s.size()) {
      std::size_t end = s.find(',', start);
      if (end == std::string::npos) end = s.size();
      auto v = ref::parse_value(s.substr(start, end - start), f);
      if (!v) throw Unsupported(fn_.name + ": parameter '" + name + "' is not a list of numbers");
      out.push_back(static_cast<T>(v->to_double()));
      start = end + 1;
    }
    return out;
  }
  // An enum parameter "true"/"false".
  bool flag(const std::string& name) const { return text(name) == "true"; }
  // Whether a row function runs over the columns of a 2-D input (axis 0 or -2).
  bool columns(const std::string& input) const {
    auto it = args_.params.find("axis");
    if (it == args_.params.end() || (it->second != "0" && it->second != "-2")) return false;
    return tensor(input).shape.size() == 2;
  }
  // The enum parameters of several functions, as impl's enums.
  impl::Reduction reduction() const {
    std::string r = text("reduction");
    return r == "none" ? impl::Reduction::none : r == "sum" ? impl::Reduction::sum : impl::Reduction::mean;
  }
  impl::LogBase log_base() const { return text("base") == "2" ? impl::LogBase::two : impl::LogBase::e; }
  impl::LabelEncoding label_encoding() const {
    return text("label_encoding") == "zero_one" ? impl::LabelEncoding::zero_one : impl::LabelEncoding::pm1;
  }
  impl::BceClamp bce_clamp() const {
    std::string clamp = text("clamp");
    return clamp == "pytorch" ? impl::BceClamp::pytorch
           : clamp == "keras" ? impl::BceClamp::keras
                              : impl::BceClamp::none;
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
  const ref::FunctionSpec& fn_;
  ref::Format format_;
  const ref::Arguments& args_;
};

// A registry entry: a kernel for float and one for double, reading the case through C (Call, or
// a class derived from it).
template <class C>
struct Entry {
  std::function<std::vector<float>(const C&)> f32;
  std::function<std::vector<double>(const C&)> f64;
};

// Wraps a generic kernel `[](auto zero, const C&) -> std::vector<decltype(zero)>`.
template <class C, typename Kernel>
Entry<C> entry(Kernel k) {
  return {[k](const C& c) { return k(0.0f, c); }, [k](const C& c) { return k(0.0, c); }};
}

template <typename T>
using In = std::span<const T>;
template <typename T>
using Out = std::span<T>;

// The transpose of a row-major n x c matrix (c x n).
template <typename T>
std::vector<T> transpose(const std::vector<T>& v, impl::Shape s) {
  std::vector<T> t(v.size());
  for (std::size_t i = 0; i < s.n; ++i)
    for (std::size_t j = 0; j < s.c; ++j) t[j * s.n + i] = v[i * s.c + j];
  return t;
}

}  // namespace nnconform::conformance::builtin
