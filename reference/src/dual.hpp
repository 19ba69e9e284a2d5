// Forward-mode automatic differentiation in interval arithmetic: a Dual holds an enclosure of
// a value and an enclosure of its directional derivative. Evaluating a spec's forward formula
// on Duals encloses J v (the derivative along a direction v), which proves or refutes the
// spec's gradient formula at that point without any step size.
//
// Where the function is not differentiable along v (a comparison decided between equal values
// whose derivatives differ: relu at 0, a tie of maxima, |x| at 0), the evaluation records a
// kink; such points are not checked: the spec states its subgradient convention instead.
#pragma once

#include "nnconform/ref/interval.hpp"

namespace nnconform::ref::detail {

struct Dual {
  Interval v;  // value
  Interval d;  // derivative along the seeded direction
};

// Kinks met since the last reset (per thread).
void reset_kinks();
bool kink_seen();

inline const Interval& value(const Dual& x) { return x.v; }
Dual lift(Interval v, const Dual*);  // a constant: derivative exactly 0

Dual operator-(const Dual& a);
Dual operator+(const Dual& a, const Dual& b);
Dual operator-(const Dual& a, const Dual& b);
Dual operator*(const Dual& a, const Dual& b);
Dual operator/(const Dual& a, const Dual& b);
Dual abs(const Dual& a);
Dual min(const Dual& a, const Dual& b);
Dual max(const Dual& a, const Dual& b);
Dual exp(const Dual& a);
Dual expm1(const Dual& a);
Dual log(const Dual& a);
Dual log1p(const Dual& a);
Dual sqrt(const Dual& a);
Dual tanh(const Dual& a);
Dual erf(const Dual& a);
Dual erfc(const Dual& a);
Dual pow(const Dual& a, const Dual& b);
Dual xlogy(const Dual& x, const Dual& y);
Dual xlog1py(const Dual& x, const Dual& y);
Dual hull(const Dual& a, const Dual& b);

Truth less(const Dual& a, const Dual& b);
Truth less_equal(const Dual& a, const Dual& b);
Truth equal(const Dual& a, const Dual& b);

}  // namespace nnconform::ref::detail
