// What a fast kernel knows about f(x), and how that becomes a correctly rounded value.
//
// The fast reference path (fast_reference.hpp) evaluates a unary function in binary64 with a
// proven error bound instead of MPFR. A kernel answers with an Enclosure:
//   approx    the exact value lies in [y - bound, y + bound], y = hi + lo (two doubles);
//   exact     the exact value is (t[0] + ... + t[n-1]) / divisor, every t[i] and the divisor
//             doubles (rational functions: relu, hardswish, a float times a float...);
//   fallback  the kernel cannot say (the caller asks MPFR).
// decide() is Ziv's rounding test: an approx enclosure whose two ends provably round to the
// same value of the target format gives that value, correctly rounded; otherwise nothing (the
// caller falls back to MPFR). An exact enclosure is always decided, exactly (comparisons with
// the rounding boundaries are exact expansion arithmetic, ties to even), so it never falls back.
//
// Every comparison in decide() is conservative: the floating-point roundings of the test
// itself are bounded and subtracted, so a decided value is the correctly rounded one whenever
// the kernel's enclosure is right. Target formats: binary32, binary16, bfloat16 (decide() needs
// their rounding boundaries to be binary64 numbers: they have at most 26 significant bits).
#pragma once

#include <cstdint>
#include <optional>

#include "nnconform/ref/format.hpp"

namespace nnconform::ref::fast {

struct Enclosure {
  enum class Kind : std::uint8_t { fallback, approx, exact };
  Kind kind = Kind::fallback;
  // approx
  double hi = 0, lo = 0;  // y = hi + lo, |lo| <= ulp(hi)
  double bound = 0;       // |f(x) - y| <= bound (absolute)
  int sign = 0;           // sign of f(x) when the kernel knows it (+1, -1), else 0: decides
                          // the sign of a result that underflows to zero
  // exact
  double t[4] = {0, 0, 0, 0};
  int n = 0;
  double divisor = 1;  // > 0

  static Enclosure approximate(double hi, double lo, double bound, int sign) {
    Enclosure e;
    e.kind = Kind::approx;
    e.hi = hi;
    e.lo = lo;
    e.bound = bound;
    e.sign = sign;
    return e;
  }
  static Enclosure exactly(double a) { return exact_sum({a}, 1); }
  static Enclosure exact_sum(std::initializer_list<double> terms, double divisor) {
    Enclosure e;
    e.kind = Kind::exact;
    for (double v : terms) e.t[e.n++] = v;
    e.divisor = divisor;
    return e;
  }
  static Enclosure unknown() { return {}; }
};

// A correctly rounded value of a sweep format and where the exact value lies.
struct Rounded {
  std::uint32_t bits = 0;  // the format's bit pattern
  // (exact - value) / ulp as the reference defines it (evaluator.hpp: GoldenValue), NaN for a
  // NaN or an overflow to infinity; known within offset_error.
  double offset_ulps = 0;
  double offset_error = 0;
};

// The formats a sweep covers: binary32, binary16 and bfloat16 (inputs fit in 32 bits).
bool sweep_format(Format format);

// Exact conversions between a sweep format's bit patterns and binary64.
double decode(std::uint32_t bits, Format format);
// v must be representable in the format (or +-inf, NaN).
std::uint32_t encode(double v, Format format);

// v rounded to the nearest value of the format, ties to even, with subnormals and overflow to
// +-inf as IEEE 754 has them; the result is a binary64 number (exact).
double round_to(double v, Format format);

// Ziv's test on an enclosure (see above). Nothing when undecided.
std::optional<Rounded> decide(const Enclosure& e, Format format);

// The sign (-1, 0, +1) of a[0] + ... + a[n-1], exactly (Shewchuk's expansion arithmetic;
// no overflow assumed). n <= 8.
int exact_sign(const double* a, int n);

}  // namespace nnconform::ref::fast
