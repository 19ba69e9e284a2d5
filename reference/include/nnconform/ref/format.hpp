// Target floating-point formats and exact conversions between them and MPFR.
//
// A value of a target format is held as its bit pattern (FloatBits), so that binary16 and
// bfloat16 need no native type and comparisons are bit-exact. Every conversion here is exact
// or correctly rounded (round to nearest, ties to even) with IEEE 754 subnormals and overflow.
#pragma once

#include <mpfr.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace nnconform::ref {

enum class Format { binary64, binary32, binary16, bfloat16 };

inline constexpr Format kAllFormats[] = {Format::binary64, Format::binary32, Format::binary16,
                                         Format::bfloat16};

struct FormatInfo {
  std::string_view name;
  int precision;       // significand bits, implicit bit included
  int exponent_bits;
  int bias;
  int storage_bits;    // 64, 32 or 16
  // MPFR's exponent convention (x = m * 2^e, 1/2 <= |m| < 1): the range that, with
  // mpfr_subnormalize, reproduces the format's subnormals and overflow.
  mpfr_exp_t mpfr_emin;
  mpfr_exp_t mpfr_emax;
};

const FormatInfo& info(Format format);
std::optional<Format> parse_format(std::string_view name);
std::string_view name(Format format);

// A value of a target format, as its bit pattern (low storage_bits bits used).
struct FloatBits {
  Format format = Format::binary64;
  std::uint64_t bits = 0;

  bool sign() const;
  bool is_nan() const;
  bool is_inf() const;
  bool is_zero() const;
  bool is_subnormal() const;
  bool operator==(const FloatBits&) const = default;

  static FloatBits quiet_nan(Format format);
  static FloatBits zero(Format format, bool negative);
  static FloatBits infinity(Format format, bool negative);
  static FloatBits from_double(double v);  // binary64, exact
  static FloatBits from_float(float v);    // binary32, exact
  double to_double() const;                // exact for every format except NaN payloads
};

// Correctly rounds x (any precision, any exponent) to the format, ties to even. The sign of a
// zero result is the sign of x (an underflow keeps the sign of the value).
FloatBits round_to_format(mpfr_srcptr x, Format format);

// Sets out (whose precision must be >= the format's) to the exact value of v. NaN gives NaN.
void to_mpfr(const FloatBits& v, mpfr_ptr out);

// Parses a decimal, C99 hex float, "inf", "-inf" or "nan" and rounds it directly into the
// format (no intermediate binary64 rounding). Returns nothing when the text is not a number.
std::optional<FloatBits> parse_value(std::string_view text, Format format);

// Normalized C99 hex float: 0x1.bp-145 (subnormals normalized too), -0x0p+0, inf, -inf, nan.
std::string to_hex(const FloatBits& v);

// Shortest decimal (fewest significant digits) that reads back to the same value in the
// value's own format, in printf %g style: 3.8e-44, 0.5, 1e+30, nan, inf, -inf.
std::string to_shortest_decimal(const FloatBits& v);

// Distance between two values of one format measured in units in the last place of the format,
// as the number of representable values between them (0 when equal, 1 for neighbours).
// Both must be finite or the same infinity; NaNs are the caller's business.
double ulp_distance(const FloatBits& a, const FloatBits& b);

// Scoped MPFR exponent range: the widest one MPFR allows, so that the reference overflows or
// underflows only where the value's exponent is beyond +-2^62.
void use_widest_mpfr_exponent_range();

}  // namespace nnconform::ref
