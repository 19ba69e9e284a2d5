#include "nnconform/conformance/measure.hpp"

#include <cmath>

#include "nnconform/ref/mpfr_value.hpp"

namespace nnconform::conformance {
namespace {

// The quantum of v's binade in its format, as a power-of-two exponent.
long quantum_exponent(const ref::FloatBits& v) {
  const ref::FormatInfo& f = ref::info(v.format);
  long min_quantum = (1 - f.bias) - (f.precision - 1);
  if (v.is_zero() || v.is_subnormal()) return min_quantum;
  int e = 0;
  std::frexp(v.to_double(), &e);  // v = m 2^e, 1/2 <= m < 1: exact for every format
  return std::max<long>((e - 1) - (f.precision - 1), min_quantum);
}

}  // namespace

ElementError measure(const ref::FloatBits& computed, const ref::FloatBits& golden, double offset_ulps) {
  ElementError e;
  if (golden.is_nan() || computed.is_nan()) {
    e.nan_mismatch = golden.is_nan() != computed.is_nan();
    e.correctly_rounded = !e.nan_mismatch;
    e.ulps = e.nan_mismatch ? HUGE_VAL : 0;
    return e;
  }
  if (golden.is_inf() || computed.is_inf()) {
    bool same = golden.is_inf() && computed.is_inf() && golden.sign() == computed.sign();
    e.inf_mismatch = !same;
    e.correctly_rounded = same;
    e.ulps = same ? 0 : HUGE_VAL;
    return e;
  }
  if (golden.is_zero() && computed.is_zero()) {
    e.zero_sign_mismatch = golden.sign() != computed.sign();
    e.correctly_rounded = !e.zero_sign_mismatch;
    e.ulps = std::fabs(offset_ulps);
    return e;
  }
  e.correctly_rounded = computed == golden;
  // (c - golden) / 2^q exactly: both are multiples of their own quanta, and long double holds
  // the difference of two binary64 values scaled by a power of two with 64 significant bits,
  // ample for an error measured to a few decimal places.
  long q = quantum_exponent(golden);
  long double diff = static_cast<long double>(computed.to_double()) - static_cast<long double>(golden.to_double());
  long double steps = std::ldexp(diff, static_cast<int>(-q));
  double off = std::isnan(offset_ulps) ? 0 : offset_ulps;
  e.ulps = static_cast<double>(std::fabs(steps - off));
  return e;
}

ref::FloatBits from_double(double v) { return ref::FloatBits::from_double(v); }

ref::FloatBits from_float(float v, ref::Format format) {
  if (format == ref::Format::binary32) return ref::FloatBits::from_float(v);
  if (format == ref::Format::binary64) return ref::FloatBits::from_double(v);
  ref::MpfrValue x(24);
  mpfr_set_flt(x, v, MPFR_RNDN);  // exact
  return ref::round_to_format(x, format);
}

ref::FloatBits from_double(double v, ref::Format format) {
  if (format == ref::Format::binary64) return ref::FloatBits::from_double(v);
  ref::MpfrValue x(53);
  mpfr_set_d(x, v, MPFR_RNDN);  // exact
  return ref::round_to_format(x, format);
}

}  // namespace nnconform::conformance
