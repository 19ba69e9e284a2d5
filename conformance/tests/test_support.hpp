// What the suites that iterate over the spec'd functions share (golden vectors, gradient
// vectors, SIMD kernels): the spec set of the source tree, loaded once per test process, and
// the description of a failing value.
#pragma once

#include <iomanip>
#include <initializer_list>
#include <sstream>
#include <string>

#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/format.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::conformance::testing {

inline const ref::SpecSet& specs() {
  static const ref::SpecSet s = ref::SpecSet::load(NNCONFORM_SPEC_DIR);
  return s;
}

// One output value of a case, for a failure message: the inputs (each cut at 120 characters),
// extra inputs beyond the spec's (a gradient file's upstream "g"), the parameters, and the
// value against the golden one and the exact value's offset from it.
inline std::string describe_case(const ref::FunctionSpec& fn, const ref::Arguments& args, std::size_t element,
                                 const ref::FloatBits& got, const ref::FloatBits& want, double offset,
                                 std::initializer_list<const char*> extra_inputs = {}) {
  std::ostringstream os;
  auto input = [&](const std::string& name) {
    auto it = args.inputs.find(name);
    if (it == args.inputs.end()) return;
    std::string text = ref::describe(it->second);
    if (text.size() > 120) text = text.substr(0, 117) + "...";
    os << name << "=" << text << " ";
  };
  for (const auto& in : fn.inputs) input(in.name);
  for (const char* name : extra_inputs) input(name);
  for (const auto& [k, v] : args.params) os << k << "=" << v << " ";
  os << "[" << element << "]: got " << ref::to_hex(got) << " (" << ref::to_shortest_decimal(got) << "), golden "
     << ref::to_hex(want) << " with the exact value " << std::showpos << std::setprecision(3) << offset
     << std::noshowpos << " ulp from it";
  return os.str();
}

}  // namespace nnconform::conformance::testing
