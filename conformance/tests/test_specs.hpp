// The spec set of the source tree, loaded once per test process and shared by the suites that
// iterate over the spec'd functions (golden vectors, gradient vectors, SIMD kernels).
#pragma once

#include "nnconform/ref/spec.hpp"

namespace nnconform::conformance::testing {

inline const ref::SpecSet& specs() {
  static const ref::SpecSet s = ref::SpecSet::load(NNCONFORM_SPEC_DIR);
  return s;
}

}  // namespace nnconform::conformance::testing
