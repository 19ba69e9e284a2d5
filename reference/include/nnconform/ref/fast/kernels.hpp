// The fast reference kernels: one per unary activation, each an enclosure of f(x) in binary64
// with a proven error bound (fast_kernels.cpp states each method and its bound, and how the
// bound was proven; the polynomial approximation errors are certified by Sollya in
// reference/src/fast_poly.sollya).
//
// A kernel takes a finite, nonzero input x of a sweep format (at most 24 significant bits: the
// kernels use that x*x, 2x, 3x and a float times x are exact in binary64) and returns an
// Enclosure (enclosure.hpp). Zeros, infinities and NaN never reach a kernel: the fast
// reference serves them from MPFR (there are five of them per format).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nnconform/ref/fast/enclosure.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::ref::fast {

// Parameter values as the reference holds them for one format (real parameters rounded to the
// format unless the spec marks them exact), and constants read from the spec (selu's).
struct KernelParams {
  double v[4] = {0, 0, 0, 0};
  double c_hi[2] = {0, 0}, c_lo[2] = {0, 0};  // double-double constants
};

using KernelFn = Enclosure (*)(double x, const KernelParams& params);

struct Kernel {
  std::string name;  // e.g. "sigmoid/exp64-div", for reports
  KernelFn fn = nullptr;
  KernelParams params;
};

// The kernel for fn with these parameter values (name -> value in the format, as resolved by
// the caller; every parameter of fn present), or nothing when there is none for this function
// or these parameters (the caller then uses MPFR for every input).
std::optional<Kernel> find_kernel(const FunctionSpec& fn, Format format,
                                  const std::map<std::string, double>& params);

// The functions that have a kernel (for docs and tests).
std::vector<std::string> kernel_functions();

}  // namespace nnconform::ref::fast
