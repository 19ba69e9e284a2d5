// The built-in backward pass (impl/include/nnconform/impl/backward.hpp) as the conformance
// harness sees it: given a spec'd function, the input (or learned parameter) the gradient is
// taken with respect to, a format and one case of a gradient file (vectors/README.md,
// "Gradient files"), it returns impl's gradient in that format, flattened row-major in the
// golden file's order and shape (the shape of that input; a scalar for a scalar parameter).
//
// binary32 runs impl's float kernels; binary64, binary16 and bfloat16 its double kernels (16-bit
// inputs widen exactly; results round once to nearest even, as the forward built-in does).
// Parameters are read and rounded as conformance/src/builtin.cpp's forward entries read them
// (to the case's format unless the spec marks them exact). The case's upstream gradient g (vector
// outputs) is passed through; losses get no g (ones: the gradient of the reduced loss for mean
// and sum, of each sample's loss for none), as the golden files hold them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "nnconform/conformance/implementation.hpp"
#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/format.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::conformance {

// Whether impl has a backward for d fn / d wrt.
bool builtin_has_gradient(const std::string& function, const std::string& wrt);

// impl's gradient of `fn` with respect to `wrt` at one case. Throws Unsupported when impl has
// no such backward, std::exception (impl's std::invalid_argument) for an error of impl.
std::vector<ref::FloatBits> builtin_gradient(const ref::FunctionSpec& fn, const std::string& wrt,
                                             ref::Format format, const ref::Arguments& args);

// Every (function, wrt) impl's backward provides (for docs and coverage checks).
std::vector<std::pair<std::string, std::string>> builtin_gradients();

}  // namespace nnconform::conformance
