// The SIMD kernels of impl/simd as Implementations (conformance/src/builtin_simd.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nnconform/conformance/implementation.hpp"

namespace nnconform::conformance {

// "simd", "simd-cr", "simd@TARGET", "simd-cr@TARGET" (TARGET one of simd_targets()); nullptr
// for any other name or a target this CPU lacks.
std::unique_ptr<Implementation> make_simd(const std::string& name);

// The Highway targets compiled and supported here, best first ("AVX3", "AVX2", ..., "SCALAR": the portable fallback).
std::vector<std::string> simd_targets();

// The function names the SIMD kernels provide.
std::vector<std::string> simd_functions();

}  // namespace nnconform::conformance
