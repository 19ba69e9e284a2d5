// Floating-point expansions (Shewchuk, "Adaptive precision floating-point arithmetic", 1997): a
// value held as an unevaluated sum of doubles, every step exact (TwoSum, TwoProd) but the
// truncation to the largest kKeep components after each operation (about 4·53 = 212 bits). Slow
// (a few microseconds per exp) and used only where double-double (~2^-104) is not enough: the
// logsumexp of binary64 rows of log-probabilities, whose result near 2^-57 needs the row's sum
// to 2^-112 (impl/src/softmax.cpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace nnconform::impl::xp {

inline constexpr std::size_t kKeep = 4;

struct X {
  std::vector<double> c;  // components, largest magnitude first, nonzero
};

// The same value with components that barely overlap: three passes of distillation (sort by
// magnitude, accumulate with TwoSum keeping each error: exact), then the largest kKeep kept.
inline X normalize(std::vector<double> t) {
  for (int pass = 0; pass < 3; ++pass) {
    std::sort(t.begin(), t.end(), [](double a, double b) { return std::fabs(a) < std::fabs(b); });
    std::vector<double> out;
    double q = 0;
    for (double v : t) {
      const double s = q + v, bb = s - q, err = (q - (s - bb)) + (v - bb);
      if (err != 0) out.push_back(err);
      q = s;
    }
    if (q != 0) out.push_back(q);
    t = std::move(out);
  }
  std::sort(t.begin(), t.end(), [](double a, double b) { return std::fabs(a) > std::fabs(b); });
  if (t.size() > kKeep) t.resize(kKeep);
  return {t};
}

inline X from(double v) { return normalize({v}); }
inline X add(const X& a, const X& b) {
  std::vector<double> t = a.c;
  t.insert(t.end(), b.c.begin(), b.c.end());
  return normalize(std::move(t));
}
inline X add(const X& a, double b) { return add(a, X{{b}}); }
inline X mul(const X& a, const X& b) {
  std::vector<double> t;
  for (double x : a.c)
    for (double y : b.c) {
      const double p = x * y;
      t.push_back(p);
      t.push_back(std::fma(x, y, -p));
    }
  return normalize(std::move(t));
}
inline X mul(const X& a, double b) { return mul(a, X{{b}}); }
// Power-of-two scaling: exact (components far below the normal range may be lost, < 2^-1074).
inline X ldexp(const X& a, int k) {
  X r = a;
  for (double& v : r.c) v = std::ldexp(v, k);
  return normalize(std::move(r.c));
}
inline double to_double(const X& a) {
  double s = 0;
  for (auto it = a.c.rbegin(); it != a.c.rend(); ++it) s += *it;
  return s;
}
// a/d for a double d != 0, by long division: each quotient digit's remainder is exact.
inline X div(const X& a, double d) {
  std::vector<double> q;
  X r = a;
  for (std::size_t i = 0; i < kKeep + 1 && !r.c.empty(); ++i) {
    const double qi = to_double(r) / d;
    q.push_back(qi);
    r = add(r, mul(X{{qi}}, -d));
  }
  return normalize(std::move(q));
}

// e^z for a double z in [-745, 709], relative error below 2^-190: z = k·ln2 + r (ln2 to 4
// doubles, 2^-218), e^(r/2^12) - 1 by its Taylor series to degree 9 (|r/2^12| < 2^-13.5: the
// rest < 2^-140), as P/9! with integer coefficients 9!/i! (exact doubles) and one division, then
// squared 12 times as y -> y·(y + 2) (the e^x - 1 form keeps the small part's precision; each
// squaring doubles the relative error: 2^12·2^-205).
inline X exp(double z) {
  static const X kLn2{{0x1.62e42fefa39efp-1, 0x1.abc9e3b39803fp-56, 0x1.7b57a079a1934p-111, -0x1.ace93a4ebe5d1p-165}};
  const double k = std::nearbyint(z / 0x1.62e42fefa39efp-1);
  const X r = ldexp(add(mul(kLn2, -k), z), -12);
  static constexpr double kCoef[9] = {362880, 181440, 60480, 15120, 3024, 504, 72, 9, 1};  // 9!/i!, i = 1..9
  X h = from(kCoef[8]);
  for (int i = 7; i >= 0; --i) h = add(mul(h, r), kCoef[i]);
  X y = div(mul(h, r), 362880.0);  // e^(r/2^12) - 1
  for (int i = 0; i < 12; ++i) y = mul(y, add(y, 2.0));
  return ldexp(add(y, 1.0), static_cast<int>(k));
}

}  // namespace nnconform::impl::xp
