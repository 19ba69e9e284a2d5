// An implementation under test, seen by the conformance harness: given a spec'd function, a
// format and one case's arguments (exactly as the golden vectors hold them), it returns its
// outputs in that format. The built-in implementation (impl/) is one; shared libraries and
// adapters for other libraries are others.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/format.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::conformance {

// The implementation does not provide this function or format (not a failure of it).
class Unsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Implementation {
 public:
  virtual ~Implementation() = default;
  virtual std::string name() const = 0;
  virtual bool supports(const ref::FunctionSpec& fn, ref::Format format) const = 0;
  // The outputs, flattened in row-major order (the reference's order). Throws Unsupported,
  // or std::exception for an error of the implementation (reported as a failure).
  virtual std::vector<ref::FloatBits> compute(const ref::FunctionSpec& fn, ref::Format format,
                                              const ref::Arguments& args) = 0;
};

// The built-in implementation of impl/, in float for binary32 and in double for binary64,
// binary16 and bfloat16 (16-bit inputs widen exactly; results round once to nearest even).
std::unique_ptr<Implementation> make_builtin();

// The function names the built-in implementation provides (for docs and tables).
std::vector<std::string> builtin_functions();

}  // namespace nnconform::conformance
