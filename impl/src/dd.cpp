// Double-double elementary functions for the smooth activations (contracts in dd.hpp).
//
// Error bounds below are first-order analyses in units of 2^-k relative, checked against
// __float128 (libquadmath) and mpmath during development (numbers in nn.hpp). u = 2^-53.
#include "dd.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace nnconform::impl::dd {

double round_scaled(DD v, int e) {
  v = fast_two_sum(v.hi, v.lo);  // hi = fl(hi + lo)
  if (v.hi == 0.0 || !std::isfinite(v.hi)) return v.hi;
  if (std::ilogb(v.hi) + e >= -1022) return ldexp_fast(v.hi, e);  // normal: exact, or ±inf
  // Subnormal (or zero) result: the grid 2^-1074 is 2^g in the units of v. ulp(hi) < 2^g, so
  // n·2^g is a multiple of ulp(hi) and d = hi - n·2^g is exact and a multiple of ulp(hi) too;
  // |lo| <= ulp(hi)/2 can then only decide an exact tie |d| = 2^g/2 (hi alone on a midpoint).
  const int g = -1074 - e;
  double n = std::nearbyint(std::ldexp(v.hi, -g));
  const double d = v.hi - std::ldexp(n, g);
  const double half = std::ldexp(0.5, g);
  const bool odd = std::fmod(n, 2.0) != 0.0;
  if (d > half || (d == half && (v.lo > 0.0 || (v.lo == 0.0 && odd)))) {
    n += 1.0;
  } else if (d < -half || (d == -half && (v.lo < 0.0 || (v.lo == 0.0 && odd)))) {
    n -= 1.0;
  }
  if (n == 0.0) return std::copysign(0.0, v.hi);
  return std::ldexp(n, -1074);  // |n| <= 2^52: exact
}

float round_scaled_float(DD v, int e) {
  v = fast_two_sum(v.hi, v.lo);
  const double hi = ldexp_fast(v.hi, e);  // exact while |hi| >= 2^-1022
  // Below 2^-1000 the float result is a zero of hi's sign (half the least subnormal is 2^-150).
  if (!std::isfinite(hi) || std::fabs(hi) < 0x1p-1000) return static_cast<float>(hi);
  const float f = static_cast<float>(hi);
  const double back = f;
  if (back == hi || !std::isfinite(back) || v.lo == 0.0) return f;
  // hi is not a float: is it exactly the midpoint of f and its neighbour on hi's side? (The
  // sum of two floats is exact in binary64.) Then the low part decides.
  const float g = std::nextafter(f, hi > back ? std::numeric_limits<float>::infinity()
                                              : -std::numeric_limits<float>::infinity());
  if (back + static_cast<double>(g) != 2.0 * hi) return f;
  const bool up = v.lo > 0.0;  // the exact value lies above hi
  return (static_cast<double>(g) > back) == up ? g : f;
}

// e^x = 2^m · 2^(j/64) · e^r with k = 64m + j = round(x·64/ln2) and r = x - k·ln2/64,
// |r| <= ln2/128 (+ |x.lo|).
// Reduction: k·kLn2Over64Hi is exact (|k| < 2^18, 35-bit constant) and x.hi minus it is exact
// (Sterbenz); k·kLn2Over64Mid is split exactly (Dekker); the rest (k·Lo, x.lo) is below 2^-38
// and rounds with error < 2^-90. ln2/64 is carried to 2^-141, i.e. < 2^-123 absolute over
// |k| < 2^18.
// e^r - 1 = r + r²/2 + r³ P(r): r²/2 from the exact square of r.hi plus r.hi·r.lo; the tail
// r³(1/6 + ... + r^5/40320) in binary64 (|r³/6| < 2^-25: its rounding errors < 2^-76
// absolute, < 2^-69 relative to r); truncation r^9/9! < 2^-86 (< 2^-78 relative to r).
// Product with the table entry (2^-106) in DD.
// Bound: exp relative error < 2^-74 (measured 2^-75.7 on 10^6 points in [-800, 0]); the
// reduced e^r - 1 (p below) relative error < 2^-68.
namespace {

struct Reduced {
  DD p;  // e^r - 1
  int j = 0;
  int m = 0;
};

Reduced reduce_exp(DD x) {
  const double kf = std::nearbyint(x.hi * k64OverLn2);
  const auto k = static_cast<std::int64_t>(kf);
  const int j = static_cast<int>(k & 63);
  const int m = static_cast<int>((k - j) / 64);
  const double r0 = x.hi - kf * kLn2Over64Hi;  // exact
  const DD km = two_prod(kf, kLn2Over64Mid);    // exact
  DD r = two_sum(r0, -km.hi);
  r.lo += (x.lo - km.lo) - kf * kLn2Over64Lo;
  r = two_sum(r.hi, r.lo);
  const double rh = r.hi;
  const double rl = r.lo;
  const DD sq = two_prod(rh, rh);
  const double tail =
      sq.hi * rh *
      (1.0 / 6 +
       rh * (1.0 / 24 + rh * (1.0 / 120 + rh * (1.0 / 720 + rh * (1.0 / 5040 + rh / 40320)))));
  DD p = fast_two_sum(rh, 0.5 * sq.hi);  // |rh| >= rh²/2
  p.lo += rl + (0.5 * sq.lo + rh * rl + tail);
  p = fast_two_sum(p.hi, p.lo);
  return {p, j, m};
}

// 2^(j/64)·(1 + p) in DD: relative error < 2^-104 beyond that of p.
DD table_times_one_plus(int j, DD p) {
  const DD t = kExp2Table[j];
  const DD q = two_prod(t.hi, p.hi);
  DD s = fast_two_sum(t.hi, q.hi);  // |p| < 0.006
  s.lo += t.lo + (q.lo + t.hi * p.lo + t.lo * p.hi);
  return fast_two_sum(s.hi, s.lo);
}

}  // namespace

Scaled exp(DD x) {
  const Reduced red = reduce_exp(x);
  return {table_times_one_plus(red.j, red.p), red.m};
}

// k = 0 (|x| < ln2/128): e^x - 1 is the reduced polynomial itself, relative error < 2^-68.
// Otherwise |e^x - 1| >= 0.0054 and e^x·(1 ± 2^-74) - 1 loses at most log2(e^x/|e^x - 1|)
// <= log2(186) < 7.6 bits: relative error < 2^-66 (measured 2^-68.5 on 2·10^6 points in
// [-40, 40], a third log-uniform in |x| from 2^-60 to 1).
DD expm1(DD x) {
  const Reduced red = reduce_exp(x);
  if (red.j == 0 && red.m == 0) return red.p;
  const DD e = scale(table_times_one_plus(red.j, red.p), red.m);  // 2^-58 <= e <= 2^58
  DD d = two_sum(e.hi, -1.0);
  d.lo += e.lo;
  return fast_two_sum(d.hi, d.lo);
}

// y0 = log1p(a.hi) (glibc, within 1 ulp), then one Newton step for log(1 + a) = y:
// y = y0 + log1p(δ), δ = (a - expm1(y0)) / (1 + expm1(y0)). a.hi - M.hi is exact (Sterbenz:
// they agree to ~2 ulp), |δ| < 2^-51·y0 so log1p(δ) = δ to 2^-103·y0, and δ needs only a few
// bits. The error is that of expm1 (< 2^-66 relative to M ≈ a), weighted by
// a / ((1 + a)·log1p(a)) <= 1: relative error < 2^-65.9 (measured 2^-68.5 on 2·10^6 points
// in [0, 1], half log-uniform from 2^-60).
DD log1p(DD a) {
  if (a.hi == 0.0) return a;
  const double y0 = std::log1p(a.hi);
  const DD m = expm1(DD{y0, 0.0});
  const double delta = ((a.hi - m.hi) + (a.lo - m.lo)) / (1.0 + m.hi);
  return fast_two_sum(y0, delta);
}

// erfc(t), t >= 0.
//
// t < 4: Taylor expansion about the nearest t0 = k/16 (|h| <= 1/32, h = t - t0 exact):
//   erfc(t0 + h) = erfc(t0) + erfc'(t0)·P(h),
//   P(h) = Σ_{n>=0} (-1)^n H_n(t0) h^(n+1) / (n+1)!   (H_n the physicists' Hermite polynomials:
//   the (n+1)-th derivative of erfc is -(2/√π)(-1)^n H_n e^{-t²}),
// with erfc(t0) and erfc'(t0) tabulated in DD. P = h(1 + S), S = -t0·h + H_2 h²/6 - H_3 h³/24
// + h^4·r4: the first three terms in DD (Horner), r4 = Σ_{n>=4} (-h)^(n-4) H_n/(n+1)! (n <= 16,
// Hermite recurrence, stable forwards) in binary64. |h^4·r4| < 2^-15 (t0 = 4), so r4's rounding
// errors (~3u) are < 2^-66 of P; the truncation after n = 16 is < 2^-74 (terms
// ~(2t0·h)^n/(n+1)!). The correction erfc'(t0)·P is at most 0.34 of the result (t0 = 4), so
// the result's relative error is < 2^-67 (measured against libquadmath's erfcq: 2^-68.0 at
// worst, near t = 4; 2^-75 below t = 2).
//
// t >= 4: erfc(t) = t·e^{-t²}/(√π·F), F the even part of Laplace's continued fraction,
//   F = t² + 1/2 - (1·2/4)/(t² + 5/2 - (3·4/4)/(t² + 9/2 - ...)),
// truncated after N levels with N chosen per range (19 at t = 4 down to 5 above 20) so that the
// truncation is < 2^-80 (measured with mpmath at 300 bits at each range's left end; N
// decreases with t). Levels 3..N in binary64, levels 1 and 2 in DD: level 2 damps the relative
// error of F_3 by (3/F_3)/F_2 < 0.0083 and level 1 that of F_2 by (0.5/F_2)/F_1 < 0.0017
// (t = 4; less above), so the binary64 part's few u reach the result below 2^-66. e^{-t²} from
// the DD t² (exp above, 2^-74).
// Bound: relative error < 2^-66 (t < 4: 2^-67; t >= 4: 2^-66 at t = 4, falling with t), plus
// the DD operations' 2^-100. Measured against libquadmath's erfcq on 200,000 points per range:
// 2^-68.0 (t in [3.9, 4)), 2^-68.5 ([4, 4.5]), 2^-70 ([4.5, 6]), 2^-72.8 ([6, 12]).
Scaled erfc(DD t) {
  if (t.hi < 4.0) {
    const int k = static_cast<int>(std::nearbyint(t.hi * 16.0));
    const double t0 = k / 16.0;
    const DD h = two_sum(t.hi - t0, t.lo);  // t.hi - t0 exact
    // H_1..H_3 are exact (t0 = k/16, k <= 64: at most 25 bits); from n = 4 on, binary64.
    const double h1 = 2.0 * t0;
    const double h2 = 2.0 * t0 * h1 - 2.0;
    const double h3 = 2.0 * t0 * h2 - 4.0 * h1;
    // r4 = Σ_{n=4..16} (-h)^(n-4) H_n / (n+1)!, by the Hermite recurrence.
    double hm1 = h2;
    double hn = h3;
    double pw = 1.0;
    double fact = 24.0;  // 4!
    double r4 = 0.0;
    for (int n = 3; n < 16; ++n) {
      const double next = 2.0 * t0 * hn - 2.0 * n * hm1;  // H_{n+1}
      hm1 = hn;
      hn = next;
      fact *= n + 2;
      r4 += hn * pw / fact;
      pw *= -h.hi;
    }
    // S = h·(-t0 + h·(H_2/6 + h·(-H_3/24 + h·r4))), Horner in DD.
    DD inner = add(mul(kOneSixth, -0.25 * h3), mul(h, r4));
    inner = add(mul(kOneSixth, h2), mul(h, inner));
    inner = add(mul(h, inner), -t0);
    const DD p = add(h, mul(h, mul(h, inner)));
    const ErfcNode& node = kErfcTable[k];
    return {add(node.value, mul(node.slope, p)), 0};
  }
  const DD z2 = mul(t, t);
  const int levels = t.hi < 5.0 ? 19 : t.hi < 6.0 ? 15 : t.hi < 8.0 ? 12 : t.hi < 12.0 ? 9
                   : t.hi < 20.0 ? 7 : 5;
  double f = z2.hi + (4.0 * levels + 1.0) / 2.0;
  for (int kk = levels; kk >= 3; --kk) {
    const double ak = (2.0 * kk - 1.0) * (2.0 * kk) / 4.0;
    f = z2.hi + (4.0 * kk - 3.0) / 2.0 - ak / f;
  }
  const DD f2 = sub(add(z2, 2.5), div(DD{3.0, 0.0}, DD{f, 0.0}));
  const DD f1 = sub(add(z2, 0.5), div(DD{0.5, 0.0}, f2));
  const Scaled e = exp(neg(z2));
  const DD ratio = div(mul(t, kInvSqrtPi), f1);
  return {mul(e.m, ratio), e.e};
}

namespace {

// Whether the last bit of y's significand (on its own binade's grid, 2^-1074 below the
// normal range) is 1.
bool odd_last_bit(double y) {
  const int q = std::max(std::ilogb(y) - 52, -1074);
  return std::fmod(std::ldexp(y, -q), 2.0) != 0.0;
}

}  // namespace

// Exact sum of n finite doubles, rounded once to nearest.
// Shewchuk's Grow-Expansion (Discrete Comput. Geom. 18, 1997) makes a nonoverlapping
// expansion whose components sum exactly to the total; Compress (ibid.) makes its largest
// component approximate the sum within one ulp of it; the remainder (summed from the smallest
// component, accurate to a few ulp of itself since the components do not overlap) then
// decides whether the correctly rounded sum is that component or its neighbour.
DD round_sum(const double* v, int n) {
  std::array<double, 16> e{};
  int m = 0;
  for (int i = 0; i < n; ++i) {
    double q = v[i];
    int k = 0;
    for (int c = 0; c < m; ++c) {
      const DD s = two_sum(q, e[c]);
      if (s.lo != 0.0) e[k++] = s.lo;
      q = s.hi;
    }
    if (q != 0.0) e[k++] = q;
    m = k;
  }
  if (m == 0) return {0.0, 0.0};
  // Compress: bottom-up then top-down (Shewchuk, Figure 15).
  std::array<double, 16> g{};
  int bottom = m - 1;
  double qq = e[m - 1];
  for (int i = m - 2; i >= 0; --i) {
    const DD s = fast_two_sum(qq, e[i]);
    if (s.lo != 0.0) {
      g[bottom--] = s.hi;
      qq = s.lo;
    } else {
      qq = s.hi;
    }
  }
  g[bottom] = qq;
  std::array<double, 16> hcomp{};
  int top = 0;
  for (int i = bottom + 1; i < m; ++i) {
    const DD s = fast_two_sum(g[i], qq);
    if (s.lo != 0.0) hcomp[top++] = s.lo;
    qq = s.hi;
  }
  hcomp[top] = qq;  // hcomp[0..top]: increasing magnitude, hcomp[top] the largest
  double best = hcomp[top];
  double rem = 0.0;
  for (int i = 0; i < top; ++i) rem += hcomp[i];
  // Step to the neighbour while the remainder exceeds half the gap towards it (at most twice).
  for (int step = 0; step < 2 && rem != 0.0; ++step) {
    const double next = std::nextafter(best, rem > 0.0 ? detail::kInf : -detail::kInf);
    const double gap = next - best;  // exact (neighbours), ±inf past the largest finite
    if (!std::isfinite(gap)) break;
    const double half = 0.5 * gap;
    const bool beyond = rem > 0.0 ? rem > half : rem < half;
    const bool tie = rem == half;
    if (beyond || (tie && !odd_last_bit(next))) {
      rem -= gap;
      best = next;
    } else {
      break;
    }
  }
  return {best, rem};
}

}  // namespace nnconform::impl::dd
