#include "nnconform/ref/format.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>

#include "nnconform/ref/mpfr_value.hpp"

namespace nnconform::ref {
namespace {

// MPFR exponents: min subnormal = 2^(mpfr_emin - 1), max finite < 2^mpfr_emax.
constexpr FormatInfo kInfo[] = {
    {"binary64", 53, 11, 1023, 64, -1073, 1024},
    {"binary32", 24, 8, 127, 32, -148, 128},
    {"binary16", 11, 5, 15, 16, -23, 16},
    {"bfloat16", 8, 8, 127, 16, -132, 128},
};

std::uint64_t sign_mask(const FormatInfo& f) { return std::uint64_t{1} << (f.storage_bits - 1); }
std::uint64_t exponent_field(const FormatInfo& f, std::uint64_t bits) {
  return (bits >> (f.precision - 1)) & ((std::uint64_t{1} << f.exponent_bits) - 1);
}
std::uint64_t fraction_field(const FormatInfo& f, std::uint64_t bits) {
  return bits & ((std::uint64_t{1} << (f.precision - 1)) - 1);
}
std::uint64_t max_exponent_field(const FormatInfo& f) {
  return (std::uint64_t{1} << f.exponent_bits) - 1;
}
// The unbiased exponent of the smallest normal number, e.g. -126 for binary32.
int min_normal_exponent(const FormatInfo& f) { return 1 - f.bias; }

// |v| = significand * 2^exponent2, for finite v.
struct Decoded {
  bool negative;
  std::uint64_t significand;
  long exponent2;
};

Decoded decode(const FloatBits& v) {
  const FormatInfo& f = info(v.format);
  std::uint64_t e = exponent_field(f, v.bits), m = fraction_field(f, v.bits);
  Decoded d{v.sign(), m, 0};
  if (e == 0) {
    d.exponent2 = min_normal_exponent(f) - (f.precision - 1);
  } else {
    d.significand = m | (std::uint64_t{1} << (f.precision - 1));
    d.exponent2 = static_cast<long>(e) - f.bias - (f.precision - 1);
  }
  return d;
}

// Encodes v, which must already be exactly representable in the format (or inf/zero/NaN).
FloatBits encode(mpfr_srcptr v, Format format) {
  const FormatInfo& f = info(format);
  if (mpfr_nan_p(v)) return FloatBits::quiet_nan(format);
  bool negative = mpfr_signbit(v) != 0;
  if (mpfr_inf_p(v)) return FloatBits::infinity(format, negative);
  if (mpfr_zero_p(v)) return FloatBits::zero(format, negative);
  long exponent = mpfr_get_exp(v) - 1;  // v = 1.f * 2^exponent
  MpfrValue scaled(f.precision + 2);
  mpfr_abs(scaled, v, MPFR_RNDN);
  std::uint64_t bits = negative ? sign_mask(f) : 0;
  if (exponent >= min_normal_exponent(f)) {
    mpfr_mul_2si(scaled, scaled, f.precision - 1 - exponent, MPFR_RNDN);
    std::uint64_t m = mpfr_get_ui(scaled, MPFR_RNDN);
    bits |= static_cast<std::uint64_t>(exponent + f.bias) << (f.precision - 1);
    bits |= m & ((std::uint64_t{1} << (f.precision - 1)) - 1);
  } else {
    mpfr_mul_2si(scaled, scaled, -(min_normal_exponent(f) - (f.precision - 1)), MPFR_RNDN);
    bits |= mpfr_get_ui(scaled, MPFR_RNDN);
  }
  return FloatBits{format, bits};
}

// Rounds to the format given the exact value's MPFR exponent e (x = m * 2^e, 1/2 <= m < 1):
// the significand keeps min(p, e - (emin - 1)) bits, the subnormal quantum being 2^(emin-1).
// `set` performs one correctly rounded assignment at a given precision and returns its
// ternary value, so that the value is rounded once, from its exact form.
FloatBits round_with_exponent(mpfr_exp_t e, bool negative, Format format,
                              const std::function<int(mpfr_ptr)>& set,
                              const std::function<int()>& compare_abs_to_half_min_subnormal) {
  const FormatInfo& f = info(format);
  long effective_precision = std::min<long>(f.precision, e - (f.mpfr_emin - 1));
  if (effective_precision >= 1) {
    MpfrValue r(effective_precision);
    set(r.get());
    if (mpfr_get_exp(r) > f.mpfr_emax) return FloatBits::infinity(format, negative);
    return encode(r, format);
  }
  // |x| < min subnormal: nearest is 0 or the smallest subnormal; the midpoint ties to 0 (even).
  int cmp = compare_abs_to_half_min_subnormal();
  std::uint64_t bits = cmp > 0 ? 1 : 0;
  if (negative) bits |= sign_mask(f);
  return FloatBits{format, bits};
}

}  // namespace

const FormatInfo& info(Format format) { return kInfo[static_cast<int>(format)]; }

std::string_view name(Format format) { return info(format).name; }

std::optional<Format> parse_format(std::string_view text) {
  for (Format f : kAllFormats)
    if (info(f).name == text) return f;
  if (text == "float64" || text == "double" || text == "f64") return Format::binary64;
  if (text == "float32" || text == "float" || text == "f32") return Format::binary32;
  if (text == "float16" || text == "half" || text == "f16") return Format::binary16;
  if (text == "bf16") return Format::bfloat16;
  return std::nullopt;
}

bool FloatBits::sign() const { return (bits & sign_mask(info(format))) != 0; }
bool FloatBits::is_nan() const {
  const FormatInfo& f = info(format);
  return exponent_field(f, bits) == max_exponent_field(f) && fraction_field(f, bits) != 0;
}
bool FloatBits::is_inf() const {
  const FormatInfo& f = info(format);
  return exponent_field(f, bits) == max_exponent_field(f) && fraction_field(f, bits) == 0;
}
bool FloatBits::is_zero() const { return (bits & ~sign_mask(info(format))) == 0; }
bool FloatBits::is_subnormal() const {
  const FormatInfo& f = info(format);
  return exponent_field(f, bits) == 0 && fraction_field(f, bits) != 0;
}

FloatBits FloatBits::quiet_nan(Format format) {
  const FormatInfo& f = info(format);
  return {format, (max_exponent_field(f) << (f.precision - 1)) |
                      (std::uint64_t{1} << (f.precision - 2))};
}
FloatBits FloatBits::zero(Format format, bool negative) {
  return {format, negative ? sign_mask(info(format)) : 0};
}
FloatBits FloatBits::infinity(Format format, bool negative) {
  const FormatInfo& f = info(format);
  return {format, (negative ? sign_mask(f) : 0) | (max_exponent_field(f) << (f.precision - 1))};
}
FloatBits FloatBits::from_double(double v) {
  return {Format::binary64, std::bit_cast<std::uint64_t>(v)};
}
FloatBits FloatBits::from_float(float v) {
  return {Format::binary32, std::bit_cast<std::uint32_t>(v)};
}

double FloatBits::to_double() const {
  if (format == Format::binary64) return std::bit_cast<double>(bits);
  if (format == Format::binary32) return std::bit_cast<float>(static_cast<std::uint32_t>(bits));
  if (is_nan()) return std::nan("");
  if (is_inf()) return sign() ? -HUGE_VAL : HUGE_VAL;
  Decoded d = decode(*this);
  double magnitude = std::ldexp(static_cast<double>(d.significand), static_cast<int>(d.exponent2));
  return d.negative ? -magnitude : magnitude;
}

FloatBits round_to_format(mpfr_srcptr x, Format format) {
  if (mpfr_nan_p(x)) return FloatBits::quiet_nan(format);
  bool negative = mpfr_signbit(x) != 0;
  if (mpfr_inf_p(x)) return FloatBits::infinity(format, negative);
  if (mpfr_zero_p(x)) return FloatBits::zero(format, negative);
  const FormatInfo& f = info(format);
  auto set = [x](mpfr_ptr r) { return mpfr_set(r, x, MPFR_RNDN); };
  // The midpoint between 0 and the smallest subnormal is 2^(emin - 2).
  auto compare = [x, &f] {
    MpfrValue half(2);
    mpfr_set_ui_2exp(half, 1, f.mpfr_emin - 2, MPFR_RNDN);
    return mpfr_cmpabs(x, half);
  };
  return round_with_exponent(mpfr_get_exp(x), negative, format, set, compare);
}

void to_mpfr(const FloatBits& v, mpfr_ptr out) {
  if (v.is_nan()) {
    mpfr_set_nan(out);
    return;
  }
  if (v.is_inf()) {
    mpfr_set_inf(out, v.sign() ? -1 : 1);
    return;
  }
  Decoded d = decode(v);
  mpfr_set_ui_2exp(out, d.significand, d.exponent2, MPFR_RNDN);  // exact: <= 53 bits
  if (d.negative) mpfr_neg(out, out, MPFR_RNDN);
  if (d.significand == 0 && d.negative) mpfr_setsign(out, out, 1, MPFR_RNDN);
}

std::optional<FloatBits> parse_value(std::string_view text, Format format) {
  std::string s(text);
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front())) ||
      std::isspace(static_cast<unsigned char>(s.back())))
    return std::nullopt;
  // Truncation toward zero never crosses a power of two upward, so its exponent is the exact
  // value's; its ternary value tells an exact midpoint from a value just above it.
  MpfrValue truncated(64);
  char* end = nullptr;
  int ternary = mpfr_strtofr(truncated, s.c_str(), &end, 0, MPFR_RNDZ);
  if (end == s.c_str() || *end != '\0') return std::nullopt;
  if (mpfr_nan_p(truncated)) return FloatBits::quiet_nan(format);
  bool negative = mpfr_signbit(truncated) != 0;
  if (mpfr_inf_p(truncated)) return FloatBits::infinity(format, negative);
  if (mpfr_zero_p(truncated)) return FloatBits::zero(format, negative);  // or below 2^-(2^62)
  const FormatInfo& f = info(format);
  auto set = [&s](mpfr_ptr r) { return mpfr_strtofr(r, s.c_str(), nullptr, 0, MPFR_RNDN); };
  auto compare = [&] {
    MpfrValue half(2);
    mpfr_set_ui_2exp(half, 1, f.mpfr_emin - 2, MPFR_RNDN);
    int cmp = mpfr_cmpabs(truncated, half);
    return cmp != 0 ? cmp : (ternary != 0 ? 1 : 0);
  };
  return round_with_exponent(mpfr_get_exp(truncated), negative, format, set, compare);
}

std::string to_hex(const FloatBits& v) {
  if (v.is_nan()) return "nan";
  if (v.is_inf()) return v.sign() ? "-inf" : "inf";
  std::string sign = v.sign() ? "-" : "";
  if (v.is_zero()) return sign + "0x0p+0";
  Decoded d = decode(v);
  int width = std::bit_width(d.significand);  // leading 1 at bit width-1
  long exponent = d.exponent2 + width - 1;
  int fraction_bits = width - 1;
  std::uint64_t fraction = d.significand & ((std::uint64_t{1} << fraction_bits) - 1);
  int pad = (4 - fraction_bits % 4) % 4;
  fraction <<= pad;
  int digits = (fraction_bits + pad) / 4;
  std::string hex;
  for (int i = digits - 1; i >= 0; --i) hex += "0123456789abcdef"[(fraction >> (4 * i)) & 0xf];
  while (!hex.empty() && hex.back() == '0') hex.pop_back();
  std::string out = sign + "0x1";
  if (!hex.empty()) out += "." + hex;
  out += "p";
  out += exponent >= 0 ? "+" : "-";
  out += std::to_string(exponent >= 0 ? exponent : -exponent);
  return out;
}

namespace {

// Formats significant digits d1d2...dn times 10^exponent10 (of d1) the way printf's %g does
// with precision n.
std::string format_like_g(const std::string& digits, int exponent10, bool negative) {
  std::string out = negative ? "-" : "";
  int n = static_cast<int>(digits.size());
  if (exponent10 < -4 || exponent10 >= n) {
    out += digits[0];
    if (n > 1) out += "." + digits.substr(1);
    char buf[16];
    std::snprintf(buf, sizeof buf, "e%c%02d", exponent10 < 0 ? '-' : '+', std::abs(exponent10));
    return out + buf;
  }
  if (exponent10 < 0) return out + "0." + std::string(-exponent10 - 1, '0') + digits;
  std::string integer = digits.substr(0, exponent10 + 1);
  std::string fraction = digits.substr(exponent10 + 1);
  return out + integer + (fraction.empty() ? "" : "." + fraction);
}

// Splits "d.ddde[+-]xx" (as printed by %.*e or to_chars scientific) into digits and exponent.
void split_scientific(const std::string& s, std::string& digits, int& exponent10) {
  auto e = s.find('e');
  digits.clear();
  for (std::size_t i = 0; i < e; ++i)
    if (std::isdigit(static_cast<unsigned char>(s[i]))) digits += s[i];
  exponent10 = std::stoi(s.substr(e + 1));
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
}

}  // namespace

std::string to_shortest_decimal(const FloatBits& v) {
  if (v.is_nan()) return "nan";
  if (v.is_inf()) return v.sign() ? "-inf" : "inf";
  if (v.is_zero()) return v.sign() ? "-0" : "0";
  std::string digits;
  int exponent10 = 0;
  double magnitude = std::fabs(v.to_double());
  char buf[64];
  if (v.format == Format::binary64 || v.format == Format::binary32) {
    // std::to_chars gives the shortest round-trip digits for its own type (Ryu-style).
    auto r = v.format == Format::binary64
                 ? std::to_chars(buf, buf + sizeof buf, magnitude, std::chars_format::scientific)
                 : std::to_chars(buf, buf + sizeof buf, static_cast<float>(magnitude),
                                 std::chars_format::scientific);
    split_scientific(std::string(buf, r.ptr), digits, exponent10);
    return format_like_g(digits, exponent10, v.sign());
  }
  // 16-bit formats: try n = 1, 2, ... significant digits. For each n, the correctly rounded
  // n-digit decimal and its two neighbours are candidates (a neighbour can round-trip when the
  // nearest does not, at a binade boundary where the rounding interval is lopsided).
  FloatBits target = v;
  target.bits &= ~(std::uint64_t{1} << (info(v.format).storage_bits - 1));
  for (int n = 1; n <= 17; ++n) {
    std::snprintf(buf, sizeof buf, "%.*e", n - 1, magnitude);
    split_scientific(buf, digits, exponent10);
    std::string full = buf;
    std::string mantissa;
    for (char c : full.substr(0, full.find('e')))
      if (std::isdigit(static_cast<unsigned char>(c))) mantissa += c;
    long long m = std::stoll(mantissa);
    for (long long candidate : {m, m - 1, m + 1}) {
      if (candidate <= 0) continue;
      std::string text = std::to_string(candidate) + "e" + std::to_string(exponent10 - (n - 1));
      auto parsed = parse_value(text, v.format);
      if (parsed && *parsed == target) {
        std::string cd = std::to_string(candidate);
        int e10 = exponent10 + static_cast<int>(cd.size()) - n;
        while (cd.size() > 1 && cd.back() == '0') cd.pop_back();
        return format_like_g(cd, e10, v.sign());
      }
    }
  }
  throw std::logic_error("to_shortest_decimal: no round-trip representation");
}

double ulp_distance(const FloatBits& a, const FloatBits& b) {
  const FormatInfo& f = info(a.format);
  auto ordinal = [&f](const FloatBits& v) {
    auto magnitude = static_cast<long double>(v.bits & ~sign_mask(f));
    return v.sign() ? -magnitude : magnitude;
  };
  return static_cast<double>(std::fabs(ordinal(a) - ordinal(b)));
}

void use_widest_mpfr_exponent_range() {
  mpfr_set_emin(mpfr_get_emin_min());
  mpfr_set_emax(mpfr_get_emax_max());
}

}  // namespace nnconform::ref
