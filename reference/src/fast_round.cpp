// Ziv's rounding test and exact rounding for the fast reference path (enclosure.hpp).
//
// Notation: u = 2^-53. The target formats have precision p <= 24 and their rounding
// boundaries (midpoints between neighbours, the overflow threshold) have at most p + 1 <= 25
// significant bits, so every boundary is a binary64 number and every comparison below is
// between binary64 quantities.
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "fast_arith.hpp"
#include "nnconform/ref/fast/enclosure.hpp"

namespace nnconform::ref::fast {
namespace {

struct Fmt {
  int p;           // precision
  int emin;        // exponent of the smallest normal
  double max;      // largest finite
  double overflow; // the overflow threshold max + ulp(max)/2: from here on RN gives inf
};

Fmt fmt(Format format) {
  const FormatInfo& f = info(format);
  Fmt r;
  r.p = f.precision;
  r.emin = 1 - f.bias;
  int emax = f.bias;
  r.max = std::ldexp(2.0 - std::ldexp(1.0, 1 - r.p), emax);
  r.overflow = r.max + std::ldexp(1.0, emax - r.p);
  return r;
}

const Fmt& fmt_cached(Format format) {
  static const Fmt table[] = {fmt(Format::binary64), fmt(Format::binary32), fmt(Format::binary16),
                              fmt(Format::bfloat16)};
  return table[static_cast<int>(format)];
}

// 2^e for a normal binary64 exponent e (exact; no library call on the hot path).
inline double pow2(int e) { return std::bit_cast<double>(static_cast<std::uint64_t>(e + 1023) << 52); }

// The binary64 exponent of a nonzero finite a whose magnitude is >= 2^-1022 (every nonzero
// value of the sweep formats is).
inline int exponent_of(double a) {
  return static_cast<int>((std::bit_cast<std::uint64_t>(a) >> 52) & 0x7ff) - 1023;
}
inline bool is_pow2(double a) { return (std::bit_cast<std::uint64_t>(a) & ((std::uint64_t{1} << 52) - 1)) == 0; }

// Exponent of the quantum (ulp) of the binade of a representable r != 0 (subnormal quantum
// below the normal range), and of 0.
int quantum_exponent(double r, const Fmt& f) {
  if (r == 0) return f.emin - (f.p - 1);
  return std::max(exponent_of(r), f.emin) - (f.p - 1);
}

// Gaps to the neighbours of a representable finite r: above and below in magnitude. Below a
// power of two (above the normal minimum) the gap is half the quantum.
inline double gap_up(double a, const Fmt& f) { return pow2(quantum_exponent(a, f)); }
inline double gap_down(double a, const Fmt& f) {
  if (a == 0) return pow2(quantum_exponent(a, f));
  int q = quantum_exponent(a, f);
  return (is_pow2(a) && exponent_of(a) > f.emin) ? pow2(q - 1) : pow2(q);
}

// The neighbours of a representable finite r: succ(r) > r > pred(r) (inf past max).
double succ(double r, const Fmt& f) {
  if (r < 0) return -(-r - gap_down(-r, f));
  double s = r + gap_up(r, f);
  return s > f.max ? std::numeric_limits<double>::infinity() : s;
}
double pred(double r, const Fmt& f) { return -succ(-r, f); }

// Midpoints around a representable finite r: (pred(r) + r)/2 and (r + succ(r))/2, the upper
// one being the overflow threshold max + quantum/2 at r = max (and the lower one -threshold at
// r = -max). Exact: r has at most 24 bits and the half-gaps are powers of two within 2 binades.
double mid_up(double r, const Fmt& f) {
  if (r < 0) return r + gap_down(-r, f) / 2;
  return r + gap_up(r, f) / 2;
}
double mid_down(double r, const Fmt& f) { return -mid_up(-r, f); }

// Proves hi + lo + c - m > 0. The three roundings of the evaluation are each at most u times
// the magnitude of their result (plus 2^-1075 for an underflow), so the computed t3 is within
// 4u(|d| + |e| + |lo| + |c|) + 2^-1072 of the exact quantity; requiring more than that margin
// makes the test sound.
bool surely_positive(double hi, double lo, double c, double m) {
  auto [d, e] = two_sum(hi, -m);
  double t1 = e + lo;
  double t2 = t1 + c;
  double t3 = d + t2;
  double margin = 0x1p-51 * (std::fabs(d) + std::fabs(e) + std::fabs(lo) + std::fabs(c)) + 0x1p-1072;
  return t3 > margin;
}

std::uint32_t quiet_nan_bits(Format format) {
  return static_cast<std::uint32_t>(FloatBits::quiet_nan(format).bits);
}

}  // namespace

bool sweep_format(Format format) { return format != Format::binary64; }

double decode(std::uint32_t bits, Format format) {
  switch (format) {
    case Format::binary32:
      return std::bit_cast<float>(bits);
    case Format::bfloat16:
      return std::bit_cast<float>(bits << 16);
    case Format::binary16: {
      std::uint32_t e = (bits >> 10) & 31, m = bits & 1023;
      bool neg = (bits >> 15) & 1;
      double v;
      if (e == 31) v = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
      else if (e == 0) v = std::ldexp(static_cast<double>(m), -24);
      else v = std::ldexp(static_cast<double>(m | 1024), static_cast<int>(e) - 25);
      return neg ? -v : v;
    }
    case Format::binary64:
      break;
  }
  return FloatBits{format, bits}.to_double();
}

std::uint32_t encode(double v, Format format) {
  if (std::isnan(v)) return quiet_nan_bits(format);
  switch (format) {
    case Format::binary32:
      return std::bit_cast<std::uint32_t>(static_cast<float>(v));
    case Format::bfloat16:
      return std::bit_cast<std::uint32_t>(static_cast<float>(v)) >> 16;
    case Format::binary16: {
      std::uint32_t sign = std::signbit(v) ? 0x8000u : 0u;
      double a = std::fabs(v);
      if (std::isinf(a)) return sign | 0x7c00u;
      if (a == 0) return sign;
      if (a < 0x1p-14) return sign | static_cast<std::uint32_t>(std::ldexp(a, 24));
      int e = std::ilogb(a);
      auto m = static_cast<std::uint32_t>(std::ldexp(a, 10 - e)) - 1024u;
      return sign | (static_cast<std::uint32_t>(e + 15) << 10) | m;
    }
    case Format::binary64:
      break;
  }
  return 0;
}

double round_to(double v, Format format) {
  if (format == Format::binary32) return static_cast<float>(v);  // IEEE conversion: RN-even
  if (v == 0 || !std::isfinite(v)) return v;
  const Fmt& f = fmt_cached(format);
  double a = std::fabs(v);
  int q = std::max(std::ilogb(a), f.emin) - (f.p - 1);
  // a / 2^q < 2^p: nearbyint (ties to even in the default rounding mode) is exact RN.
  double r = std::ldexp(std::nearbyint(std::ldexp(a, -q)), q);
  if (r > f.max) r = std::numeric_limits<double>::infinity();
  return std::copysign(r, v);
}

int exact_sign(const double* a, int n) {
  // Grow-Expansion with zero elimination (Shewchuk 1997, Discrete Comput. Geom. 18): the
  // components stay non-overlapping and increasing in magnitude and their sum is exactly the
  // sum of the inputs, so the sign is that of the largest (last) component.
  double e[16];
  int m = 0;
  for (int i = 0; i < n; ++i) {
    double q = a[i];
    int k = 0;
    for (int j = 0; j < m; ++j) {
      auto [s, err] = two_sum(q, e[j]);
      q = s;
      if (err != 0) e[k++] = err;
    }
    if (q != 0) e[k++] = q;
    m = k;
  }
  return m == 0 ? 0 : (e[m - 1] > 0 ? 1 : -1);
}

namespace {

std::optional<Rounded> decide_approx(const Enclosure& en, Format format) {
  const Fmt& f = fmt_cached(format);
  if (!std::isfinite(en.hi) || !std::isfinite(en.lo) || !(en.bound >= 0) || !std::isfinite(en.bound)) return std::nullopt;
  // hi + lo exactly as a normalized pair (|lo| <= ulp(hi)/2).
  const auto [hi, lo] = two_sum(en.hi, en.lo);
  const double b = en.bound;
  // Whether the enclosure lies within the rounding interval of the candidate r.
  auto within = [&](double r) -> std::optional<Rounded> {
    if (std::isinf(r)) {
      // y - B >= threshold (resp. y + B <= -threshold): RN gives inf (a tie at the threshold too).
      bool ok = r > 0 ? surely_positive(hi, lo, -b, f.overflow) : surely_positive(-hi, -lo, -b, f.overflow);
      if (!ok) return std::nullopt;
      return Rounded{encode(r, format), std::numeric_limits<double>::quiet_NaN(), 0};
    }
    // The exact value lies strictly between the midpoints around r: it rounds to r.
    if (!surely_positive(hi, lo, -b, mid_down(r, f))) return std::nullopt;
    if (!surely_positive(-hi, -lo, -b, -mid_up(r, f))) return std::nullopt;
    if (r == 0) {
      int sign = en.sign;
      if (sign == 0) {
        if (surely_positive(hi, lo, -b, 0)) sign = 1;
        else if (surely_positive(-hi, -lo, -b, 0)) sign = -1;
        else return std::nullopt;  // might be an exact zero, or of either sign
      }
      r = sign > 0 ? 0.0 : -0.0;
    }
    const double scale = pow2(-quantum_exponent(std::fabs(r), f));
    auto [d, e] = two_sum(hi, -r);
    double off = (d + (e + lo)) * scale;
    double err = (b + 0x1p-51 * (std::fabs(d) + std::fabs(e) + std::fabs(lo)) + 0x1p-1072) * scale;
    return Rounded{encode(r, format), off, err};
  };
  double r = round_to(hi, format);
  if (auto d = within(r)) return d;
  // hi on (or next to) a midpoint with lo pushing across it: the neighbour on lo's side.
  if (lo != 0 && std::isfinite(r)) return within(lo > 0 ? succ(r, f) : pred(r, f));
  return std::nullopt;
}

std::optional<Rounded> decide_exact(const Enclosure& en, Format format) {
  const Fmt& f = fmt_cached(format);
  const double D = en.divisor;
  // S = sum of the terms, approximately sh + sl (error <= n u^2 sum|t|, far below what matters).
  double sh = 0, sl = 0, abs_sum = 0;
  for (int i = 0; i < en.n; ++i) {
    auto [s, err] = two_sum(sh, en.t[i]);
    sh = s;
    sl += err;
    abs_sum += std::fabs(en.t[i]);
  }
  auto [sh2, sl2] = fast_two_sum(sh, sl);
  double yh = sh2 / D;
  // Single term, no division, representable: the value itself (relu, linear with k = 1...).
  if (en.n == 1 && D == 1) {
    double r = round_to(yh, format);
    if (r == yh) {
      if (r == 0) r = 0.0;  // an exact zero is +0
      return Rounded{encode(r, format), 0, 0};
    }
  }
  // Compares S/D with a boundary m (a binary64 number): the sign of S - D m, exactly.
  auto compare = [&](double m) {
    double terms[8];
    int n = 0;
    for (int i = 0; i < en.n; ++i) terms[n++] = en.t[i];
    auto [ph, pl] = two_prod(D, m);
    terms[n++] = -ph;
    terms[n++] = -pl;
    return exact_sign(terms, n);
  };
  int value_sign = compare(0);
  if (value_sign == 0) return Rounded{encode(0.0, format), 0, 0};  // an exact zero is +0
  double r = round_to(yh, format);
  auto even = [&](double v) { return (encode(v, format) & 1u) == 0; };
  for (int guard = 0; guard < 4; ++guard) {
    if (std::isinf(r)) {
      // inf: S/D >= threshold (or <= -threshold); else step back to +-max.
      int c = r > 0 ? compare(f.overflow) : -compare(-f.overflow);
      if (c >= 0) return Rounded{encode(r, format), std::numeric_limits<double>::quiet_NaN(), 0};
      r = r > 0 ? f.max : -f.max;
      continue;
    }
    int up = compare(mid_up(r, f));
    if (up > 0) {
      r = succ(r, f);
      continue;
    }
    if (up == 0) {  // a tie: to the even neighbour (inf counts as even past max)
      double s = succ(r, f);
      if (std::isinf(s) || !even(r)) r = s;
      break;
    }
    int down = compare(mid_down(r, f));
    if (down < 0) {
      r = pred(r, f);
      continue;
    }
    if (down == 0) {
      double s = pred(r, f);
      if (std::isinf(s) || !even(r)) r = s;
      break;
    }
    break;
  }
  if (std::isinf(r)) return Rounded{encode(r, format), std::numeric_limits<double>::quiet_NaN(), 0};
  if (r == 0) r = value_sign > 0 ? 0.0 : -0.0;  // underflow keeps the sign of the value
  int q = quantum_exponent(std::fabs(r), f);
  // (S/D - r) / 2^q from S - D r computed nearly exactly.
  auto [ph, pl] = two_prod(D, r);
  auto [a, b] = two_sum(sh2, -ph);
  double num = a + ((b + sl2) - pl);
  double off = std::ldexp(num / D, -q);
  double err = std::ldexp((0x1p-50 * (std::fabs(a) + std::fabs(b) + std::fabs(sl2) + std::fabs(pl)) +
                           0x1p-100 * abs_sum) / D + 0x1p-1072, -q);
  return Rounded{encode(r, format), off, err};
}

}  // namespace

std::optional<Rounded> decide(const Enclosure& e, Format format) {
  switch (e.kind) {
    case Enclosure::Kind::approx:
      return decide_approx(e, format);
    case Enclosure::Kind::exact:
      return decide_exact(e, format);
    case Enclosure::Kind::fallback:
      break;
  }
  return std::nullopt;
}

}  // namespace nnconform::ref::fast
