// SIMD kernels of nnconform::simd (impl/include/nnconform/impl/simd.hpp), compiled once per
// Highway target (foreach_target.h re-includes this file) and dispatched at run time.
//
// Kernel names: <Op>Op is the per-lane formula on binary64 lanes (float inputs are promoted to
// binary64 and the result demoted once); Unary/Rows/Loss<F32|F64> are the loops.
//
// Building blocks (every bound is relative, u = 2^-53, first-order analysis — not a machine
// checked proof; the conformance suite measures the result against the MPFR reference):
//
// * ExpCore(x): e^x = (uh + ul)·2^k1·2^k2, k = k1 + k2 = round(x/ln2).
//   Range reduction (Cody-Waite, fdlibm's split of ln2): r = x - k·LN2_HI exactly (LN2_HI has
//   32 significant bits, |k| < 2^11, so k·LN2_HI is exact and the subtraction is exact by
//   Sterbenz), then r + k·LN2_LO is kept as a double-word (rh, rl) (FastTwoSum), |rh| <= 0.3466.
//   expm1(rh + rl) = rh + rh²·P(rh) + rl·(1 + rh) with P the Taylor polynomial of
//   (e^r - 1 - r)/r² of degree kDeg - 2 (Horner): truncation |r|^(kDeg+1)/(kDeg+1)! <= 2^-47.4
//   for kDeg = 11 (float softplus and mish) and 2^-57.8 for kDeg = 13 (double kernels). Taylor rather
//   than minimax so that anyone can regenerate the coefficients (they are 1/n!); the price is
//   one or two extra terms. uh + ul = 1 + rh + t by FastTwoSum, with t's rounding <= u·|t|,
//   |t| <= 0.06: e^x errs by <= 2^-47 (kDeg 11) / 2^-57 (kDeg 13) relative, plus 2u·|t|.
//   2^k is built from the exponent bits in two halves, so that a subnormal e^x is rounded once
//   (the first product is exact) and e^709.9 overflows as it should. x is clamped to
//   [-1100, 710] (e^x beyond underflows to 0 or overflows to inf alike).
// * LogParts(wh, wl), wh >= 1: log(wh + wl) = A + B + C with A = kk·LN2_HI (exact), B = f = m - 1
//   (exact, m = wh·2^-kk in [sqrt(1/2), sqrt(2)), Sterbenz), C = fdlibm's __kernel_log terms
//   (-f²/2 + s·(f²/2 + R(s²)), s = f/(2 + f), Lg1..Lg7 minimax, |error of R| < 2^-58.45)
//   + kk·LN2_LO + c - c²/2, c = wl/wh. |C| <= 0.1, its rounding adds <= 2^-55 of the result.
// * Double-word helpers: TwoSum, FastTwoSum, TwoProd (FMA where the target has it, Dekker's
//   product otherwise — SSE4 and EMU128 have no FMA and Highway's MulAdd there rounds twice),
//   DivDD (nh + nl)/(dh + dl) = q + (exact residual + nl - q·dl)/dh.
// The float tiers of sigmoid, tanh, silu, elu and the float rows use the plain binary64 forms
// further down (ExpQ, "The float tiers"). Per-function bounds of the double-word forms
// (binary64; float results add their final rounding to a value that errs by < 2^-45 relative,
// i.e. <= 0.5 + 2^-21 ulp):
//   sigmoid, tanh, elu: 0.5 ulp (final rounding) + 2^-57·(condition <= 1) + O(u²): < 0.52 ulp.
//   silu, mish: one more exact product folded into the final rounding: < 0.53 ulp.
//   softplus: the three-way sum A + B + max(x, 0) by TwoSum, C and the exp error weighted
//   by <= 1: < 0.6 ulp.
//   softmax: exp(z - m) with z - m a double-word, the row sum in per-lane Neumaier double-words,
//   one DivDD: < 0.6 ulp (subnormal outputs: a second rounding, < 1 ulp).
//   log_softmax, logsumexp, cross_entropy: (z - m) - log(S) summed by TwoSums: < 0.6 ulp
//   unless the result is tiny next to the terms, where the absolute error is u·2^-4·|log S|.
//   mse, mae, huber, binary_cross_entropy_with_logits: each term as a double-word, reductions
//   in per-lane Neumaier double-words, the mean one division: < 1 ulp.
// Special values: NaN in gives NaN out (a final select, never a comparison that swallows it);
// rows with a NaN or an infinity are computed by the scalar impl:: kernel (same conventions).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/cache_control.h"
#include "hwy/highway.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <type_traits>

#include "cr_fallback.hpp"
#include "nnconform/impl/nn.hpp"

#ifndef NNCONFORM_SIMD_SHARED_ONCE
#define NNCONFORM_SIMD_SHARED_ONCE
namespace nnconform::simd::detail {
enum UnaryOp { kSigmoid, kTanh, kSilu, kSoftplus, kElu, kMish, kRelu, kLeakyRelu, kRelu6 };
enum RowMode { kSoftmax, kLogSoftmax, kLogsumexp, kCrossEntropy };
enum LossOp { kMse, kMae, kHuber, kBceLogits };
// Reduction as an int: 0 none, 1 mean, 2 sum.
}  // namespace nnconform::simd::detail
#endif

HWY_BEFORE_NAMESPACE();
namespace nnconform::simd::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DD = hn::ScalableTag<double>;
using V = hn::Vec<DD>;
using DF = hn::Rebind<float, DD>;  // float lanes, as many as DD has
using VF = hn::Vec<DF>;

constexpr double kLog2e = 0x1.71547652b82fep+0;
constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000: 32 significant bits
constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln2 - kLn2Hi
constexpr int kMaxLanes = 16;
// From this output size on, elementwise loops use non-temporal stores (float_native-inl.h).
constexpr size_t kStreamBytes = size_t{16} << 20;

struct Pair {
  V h, l;
};

HWY_INLINE Pair TwoSum(V a, V b) {
  V s = hn::Add(a, b);
  V bb = hn::Sub(s, a);
  V err = hn::Add(hn::Sub(a, hn::Sub(s, bb)), hn::Sub(b, bb));
  return {s, err};
}
// |a| >= |b| (or a = 0).
HWY_INLINE Pair FastTwoSum(V a, V b) {
  V s = hn::Add(a, b);
  return {s, hn::Sub(b, hn::Sub(s, a))};
}
HWY_INLINE Pair TwoProd(DD d, V a, V b) {
  V p = hn::Mul(a, b);
#if HWY_NATIVE_FMA
  (void)d;
  return {p, hn::MulSub(a, b, p)};
#else
  // Dekker: split each factor into 26 + 27 bits (Veltkamp, C = 2^27 + 1).
  const V split = hn::Set(d, 134217729.0);
  V ca = hn::Mul(a, split), cb = hn::Mul(b, split);
  V ah = hn::Sub(ca, hn::Sub(ca, a)), al = hn::Sub(a, ah);
  V bh = hn::Sub(cb, hn::Sub(cb, b)), bl = hn::Sub(b, bh);
  V err = hn::Add(hn::Add(hn::Add(hn::Sub(hn::Mul(ah, bh), p), hn::Mul(ah, bl)), hn::Mul(al, bh)), hn::Mul(al, bl));
  // The split overflows above 2^996: there the error term is dropped (relative error <= u).
  return {p, hn::IfThenElseZero(hn::IsFinite(err), err)};
#endif
}
// a·(h + l), rounded once (up to O(u²)).
HWY_INLINE V MulDD(DD d, V a, V h, V l) {
  Pair p = TwoProd(d, a, h);
  return hn::Add(p.h, hn::MulAdd(a, l, p.l));
}
// (nh + nl) / (dh + dl) as q + c; both pairs normalized (|l| <= ulp(h)), or the first-order
// correction is not enough.
HWY_INLINE Pair DivDD(DD d, V nh, V nl, V dh, V dl) {
  V q = hn::Div(nh, dh);
  Pair p = TwoProd(d, q, dh);
  V r = hn::Sub(hn::Sub(nh, p.h), p.l);  // exact residual nh - q·dh
  r = hn::Sub(hn::Add(r, nl), hn::Mul(q, dl));
  return {q, hn::Div(r, dh)};
}

// 2^k for integral k in [-1022, 1023] held as a double.
HWY_INLINE V Pow2(DD d, V k) {
  const hn::RebindToUnsigned<DD> du;
  V biased = hn::Add(k, hn::Set(d, 0x1.8p52 + 1023.0));
  return hn::BitCast(d, hn::ShiftLeft<52>(hn::BitCast(du, biased)));
}

struct ExpParts {
  V uh, ul;  // e^x / 2^k = uh + ul
  V rh, t;   // e^x / 2^k - 1 = rh + t (for expm1)
  V e1, e2;  // 2^k = e1·e2, each normal
  V k;
};

// 1/n! for n = 0..kDeg, each the binary64 rounding of a double division of exact integers
// (n! <= 15! < 2^53 is exact).
template <int kDeg>
constexpr std::array<double, kDeg + 1> InverseFactorials() {
  std::array<double, kDeg + 1> c{};
  double fact = 1;
  for (int n = 0; n <= kDeg; ++n) {
    if (n > 0) fact *= n;
    c[n] = 1.0 / fact;
  }
  return c;
}

template <int kDeg>
HWY_INLINE ExpParts ExpCore(DD d, V x) {
  x = hn::Min(hn::Max(x, hn::Set(d, -1100.0)), hn::Set(d, 710.0));
  V k = hn::Round(hn::Mul(x, hn::Set(d, kLog2e)));
  V r0 = hn::Sub(x, hn::Mul(k, hn::Set(d, kLn2Hi)));  // exact
  Pair r = FastTwoSum(r0, hn::Mul(k, hn::Set(d, -kLn2Lo)));
  // P(r) = sum_{n=2..kDeg} r^(n-2)/n! (coefficients folded at compile time)
  constexpr auto coef = InverseFactorials<kDeg>();
  V p = hn::Set(d, coef[kDeg]);
#pragma GCC unroll 16
  for (int n = kDeg - 1; n >= 2; --n) p = hn::MulAdd(p, r.h, hn::Set(d, coef[n]));
  V t = hn::MulAdd(hn::Mul(r.h, r.h), p, hn::MulAdd(r.l, r.h, r.l));
  Pair u = FastTwoSum(hn::Set(d, 1.0), r.h);
  u = FastTwoSum(u.h, hn::Add(u.l, t));  // normalized: |ul| <= ulp(uh)/2 (DivDD needs it)
  ExpParts e;
  e.uh = u.h;
  e.ul = u.l;
  e.rh = r.h;
  e.t = t;
  V k1 = hn::Floor(hn::Mul(k, hn::Set(d, 0.5)));
  e.e1 = Pow2(d, k1);
  e.e2 = Pow2(d, hn::Sub(k, k1));
  e.k = k;
  return e;
}

struct LogParts {
  V a, b, c;  // log(wh + wl) = a + b + c, a and b exact
};

HWY_INLINE LogParts LogCore(DD d, V wh, V wl) {
  const hn::RebindToUnsigned<DD> du;
  auto bits = hn::BitCast(du, wh);
  V kk = hn::Sub(hn::BitCast(d, hn::Or(hn::ShiftRight<52>(bits), hn::Set(du, 0x4330000000000000ull))),
                 hn::Set(d, 0x1p52 + 1023.0));
  V m = hn::BitCast(d, hn::Or(hn::And(bits, hn::Set(du, 0x000fffffffffffffull)), hn::Set(du, 0x3ff0000000000000ull)));
  auto big = hn::Gt(m, hn::Set(d, 0x1.6a09e667f3bcdp+0));  // sqrt(2)
  m = hn::IfThenElse(big, hn::Mul(m, hn::Set(d, 0.5)), m);
  kk = hn::IfThenElse(big, hn::Add(kk, hn::Set(d, 1.0)), kk);
  V f = hn::Sub(m, hn::Set(d, 1.0));
  V s = hn::Div(f, hn::Add(hn::Set(d, 2.0), f));
  V z = hn::Mul(s, s);
  V w = hn::Mul(z, z);
  V t1 = hn::Mul(w, hn::MulAdd(w, hn::MulAdd(w, hn::Set(d, 1.531383769920937332e-01), hn::Set(d, 2.222219843214978396e-01)),
                               hn::Set(d, 3.999999999940941908e-01)));
  V t2 = hn::Mul(z, hn::MulAdd(w, hn::MulAdd(w, hn::MulAdd(w, hn::Set(d, 1.479819860511658591e-01),
                                                          hn::Set(d, 1.818357216161805012e-01)),
                                             hn::Set(d, 2.857142874366239149e-01)),
                               hn::Set(d, 6.666666666666735130e-01)));
  V R = hn::Add(t1, t2);
  V hfsq = hn::Mul(hn::Set(d, 0.5), hn::Mul(f, f));
  V cw = hn::Div(wl, wh);
  V corr = hn::Sub(hn::MulAdd(s, hn::Add(hfsq, R), hn::Mul(kk, hn::Set(d, kLn2Lo))), hfsq);
  corr = hn::Add(corr, hn::NegMulAdd(hn::Set(d, 0.5), hn::Mul(cw, cw), cw));
  return {hn::Mul(kk, hn::Set(d, kLn2Hi)), f, corr};
}

// ---------------------------------------------------------------------------------------------
// Elementwise formulas on binary64 lanes.

// sigmoid as q + c, plus the tiny-tail value; see the file comment.
template <int kDeg>
struct SigmoidParts {
  Pair y;
  V tiny_u;  // x < 0 and e^x below 2^-1000: sigmoid = e^x·(1 - e^x) = tiny_u·e1·e2 (to u²)
  ExpParts e;
  hn::Mask<DD> tiny;
};

template <int kDeg>
HWY_INLINE SigmoidParts<kDeg> SigmoidCore(DD d, V x) {
  SigmoidParts<kDeg> s;
  V t = hn::Neg(hn::Abs(x));
  s.e = ExpCore<kDeg>(d, t);
  V E = hn::Mul(s.e.e1, s.e.e2);
  V eh = hn::Mul(s.e.uh, E), el = hn::Mul(s.e.ul, E);
  Pair den = FastTwoSum(hn::Set(d, 1.0), eh);
  den.l = hn::Add(den.l, el);
  auto pos = hn::Ge(x, hn::Zero(d));
  V nh = hn::IfThenElse(pos, hn::Set(d, 1.0), eh);
  V nl = hn::IfThenZeroElse(pos, el);
  s.y = DivDD(d, nh, nl, den.h, den.l);
  s.tiny = hn::And(hn::Not(pos), hn::Lt(s.e.k, hn::Set(d, -1000.0)));
  s.tiny_u = hn::Add(s.e.uh, s.e.ul);
  return s;
}

HWY_INLINE V KeepNaN(V x, V y) { return hn::IfThenElse(hn::IsNaN(x), x, y); }

template <int kDeg>
struct SigmoidOp {
  HWY_INLINE V operator()(DD d, V x) const {
    auto s = SigmoidCore<kDeg>(d, x);
    V tiny = hn::Mul(hn::Mul(s.tiny_u, s.e.e1), s.e.e2);
    return KeepNaN(x, hn::IfThenElse(s.tiny, tiny, hn::Add(s.y.h, s.y.l)));
  }
};

template <int kDeg>
struct SiluOp {
  HWY_INLINE V operator()(DD d, V x) const {
    auto s = SigmoidCore<kDeg>(d, x);
    // Below -1100 the exponential is clamped there, so x is too (x·e^x underflows to -0 alike).
    V xm = hn::Max(x, hn::Set(d, -1100.0));
    V tiny = hn::Mul(hn::Mul(hn::Mul(xm, s.tiny_u), s.e.e1), s.e.e2);
    V y = hn::IfThenElse(s.tiny, tiny, MulDD(d, x, s.y.h, s.y.l));
    // x > 40: sigmoid(x) > 1 - 2^-57, x·sigmoid(x) rounds to x (and silu(inf) = inf).
    return KeepNaN(x, hn::IfThenElse(hn::Gt(x, hn::Set(d, 40.0)), x, y));
  }
};

// e^x - 1 = (E - 1) + E·rh + E·t, as a double-word (k <= 58 here, E = 2^k normal).
template <int kDeg>
HWY_INLINE Pair Expm1DD(DD d, const ExpParts& e) {
  V E = hn::Mul(e.e1, e.e2);
  Pair m = TwoSum(hn::Sub(E, hn::Set(d, 1.0)), hn::Mul(E, e.rh));
  m.l = hn::MulAdd(E, e.t, m.l);
  return TwoSum(m.h, m.l);  // normalized
}

template <int kDeg>
struct TanhOp {
  // tanh|x| = M/(M + 2), M = expm1(2|x|), |x| clamped to 20 (tanh 20 rounds to 1 in binary64).
  HWY_INLINE V operator()(DD d, V x) const {
    V a = hn::Min(hn::Abs(x), hn::Set(d, 20.0));
    auto e = ExpCore<kDeg>(d, hn::Add(a, a));
    Pair m = Expm1DD<kDeg>(d, e);
    Pair den = TwoSum(m.h, hn::Set(d, 2.0));
    den.l = hn::Add(den.l, m.l);
    Pair q = DivDD(d, m.h, m.l, den.h, den.l);
    return KeepNaN(x, hn::CopySign(hn::Add(q.h, q.l), x));
  }
};

template <int kDeg>
struct EluOp {
  double alpha;
  HWY_INLINE V operator()(DD d, V x) const {
    auto e = ExpCore<kDeg>(d, hn::Min(x, hn::Zero(d)));
    Pair m = Expm1DD<kDeg>(d, e);
    V neg = MulDD(d, hn::Set(d, alpha), m.h, m.l);
    return KeepNaN(x, hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, neg));
  }
};

// log(1 + e^-|x|) as LogParts, from e = ExpCore(-|x|): e^-|x| as a double-word, 1 + it by
// FastTwoSum (1 >= e^-|x|). Shared by softplus and binary_cross_entropy_with_logits.
HWY_INLINE LogParts Log1pOfExp(DD d, const ExpParts& e) {
  V E = hn::Mul(e.e1, e.e2);
  V eh = hn::Mul(e.uh, E), el = hn::Mul(e.ul, E);
  Pair w = FastTwoSum(hn::Set(d, 1.0), eh);
  w.l = hn::Add(w.l, el);
  return LogCore(d, w.h, w.l);
}

// softplus(x) = max(x, 0) + log(1 + e^-|x|).
template <int kDeg>
struct SoftplusOp {
  HWY_INLINE V operator()(DD d, V x) const {
    auto e = ExpCore<kDeg>(d, hn::Neg(hn::Abs(x)));
    LogParts L = Log1pOfExp(d, e);
    V xp = hn::Max(x, hn::Zero(d));
    Pair s1 = TwoSum(xp, L.a);
    Pair s2 = TwoSum(s1.h, L.b);
    V y = hn::Add(s2.h, hn::Add(hn::Add(s1.l, s2.l), L.c));
    // Tails: x > 0 with e^-x below 2^-1000 is x; x < 0 there is e^x (to u²), rounded once.
    auto tiny = hn::Lt(e.k, hn::Set(d, -1000.0));
    V tail = hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, hn::Mul(hn::Mul(hn::Add(e.uh, e.ul), e.e1), e.e2));
    return KeepNaN(x, hn::IfThenElse(tiny, tail, y));
  }
};

// mish(x) = x·tanh(log(1 + e^x)) = x·n/(n + 2), n = e^x·(e^x + 2); x > 20: x (rounds to it).
template <int kDeg>
struct MishOp {
  HWY_INLINE V operator()(DD d, V x) const {
    auto e = ExpCore<kDeg>(d, hn::Min(x, hn::Set(d, 20.0)));
    V E = hn::Mul(e.e1, e.e2);
    V eh = hn::Mul(e.uh, E), el = hn::Mul(e.ul, E);
    Pair a = TwoSum(eh, hn::Set(d, 2.0));
    a.l = hn::Add(a.l, el);
    Pair n = TwoProd(d, eh, a.h);
    n.l = hn::Add(n.l, hn::MulAdd(eh, a.l, hn::Mul(el, a.h)));
    Pair den = TwoSum(n.h, hn::Set(d, 2.0));
    den.l = hn::Add(den.l, n.l);
    Pair q = DivDD(d, n.h, n.l, den.h, den.l);
    V y = MulDD(d, x, q.h, q.l);
    V xm = hn::Max(x, hn::Set(d, -1100.0));  // as in silu: mish(-inf) = -0
    V tiny = hn::Mul(hn::Mul(hn::Mul(xm, hn::Add(e.uh, e.ul)), e.e1), e.e2);
    y = hn::IfThenElse(hn::Lt(e.k, hn::Set(d, -1000.0)), tiny, y);
    return KeepNaN(x, hn::IfThenElse(hn::Gt(x, hn::Set(d, 20.0)), x, y));
  }
};

// ---------------------------------------------------------------------------------------------
// The float tiers: plain binary64 formulas, no double-word corrections.
//
// ExpQ<kDeg>: e^x = E·(1 + q), E = 2^k, for x clamped to [-200, 200] (e^-200 ~ 1e-87 is far
// below every float result it feeds, e^200 above every float overflow). Cody-Waite reduction as
// ExpCore; q = e^r - 1 = r·P(r), P the Taylor polynomial sum_{n=1..kDeg} r^(n-1)/n! (Horner),
// so that q keeps its relative accuracy as r -> 0 (e^x - 1 for tanh and elu needs no
// small-argument branch). Truncation |r|^kDeg/(kDeg+1)! relative to q: 2^-30.8 for kDeg = 8
// (fast tier), 2^-45.5 for kDeg = 11 (correctly rounded tier), at |r| = ln2/2; roundings add
// a few u (u = 2^-53). A float result needs its binary64 value to ~2^-30 for <= 0.52 ulp.
struct ExpQ {
  V E, q;
};
template <int kDeg>
HWY_INLINE ExpQ ExpFastQ(DD d, V x) {
  x = hn::Min(hn::Max(x, hn::Set(d, -200.0)), hn::Set(d, 200.0));
  V k = hn::Round(hn::Mul(x, hn::Set(d, kLog2e)));
  V r = hn::Sub(x, hn::Mul(k, hn::Set(d, kLn2Hi)));  // exact (32-bit kLn2Hi)
  r = hn::NegMulAdd(k, hn::Set(d, kLn2Lo), r);
  constexpr auto c = InverseFactorials<kDeg>();
  V p = hn::Set(d, c[kDeg]);
#pragma GCC unroll 16
  for (int n = kDeg - 1; n >= 1; --n) p = hn::MulAdd(p, r, hn::Set(d, c[n]));
  return {Pow2(d, k), hn::Mul(r, p)};
}
template <int kDeg>
HWY_INLINE V ExpFast(DD d, V x) {
  ExpQ e = ExpFastQ<kDeg>(d, x);
  return hn::MulAdd(e.E, e.q, e.E);
}
// e^x - 1 = (E - 1) + E·q; E - 1 is exact for k >= -53 and errs by <= 2^-54 relative below.
HWY_INLINE V Expm1FromQ(DD d, const ExpQ& e) { return hn::MulAdd(e.E, e.q, hn::Sub(e.E, hn::Set(d, 1.0))); }

// sigmoid = (x >= 0 ? 1 : e)/(1 + e), e = e^-|x|: relative error <= exp's + 2u.
template <int kDeg>
HWY_INLINE V SigmoidFast(DD d, V x) {
  V e = ExpFast<kDeg>(d, hn::Neg(hn::Abs(x)));
  V num = hn::IfThenElse(hn::Ge(x, hn::Zero(d)), hn::Set(d, 1.0), e);
  return hn::Div(num, hn::Add(hn::Set(d, 1.0), e));
}
template <int kDeg>
struct SigmoidFastOp {
  HWY_INLINE V operator()(DD d, V x) const { return KeepNaN(x, SigmoidFast<kDeg>(d, x)); }
};
// silu = max(x, -200)·sigmoid(x): below -200 the result is -0 in float either way, and
// silu(-inf) = -0 instead of -inf·0.
template <int kDeg>
struct SiluFastOp {
  HWY_INLINE V operator()(DD d, V x) const {
    return KeepNaN(x, hn::Mul(hn::Max(x, hn::Set(d, -200.0)), SigmoidFast<kDeg>(d, x)));
  }
};
// tanh|x| = M/(M + 2), M = e^(2|x|) - 1, |x| clamped to 10 (tanh 10 rounds to 1 in float).
template <int kDeg>
struct TanhFastOp {
  HWY_INLINE V operator()(DD d, V x) const {
    V a = hn::Min(hn::Abs(x), hn::Set(d, 10.0));
    V m = Expm1FromQ(d, ExpFastQ<kDeg>(d, hn::Add(a, a)));
    return KeepNaN(x, hn::CopySign(hn::Div(m, hn::Add(m, hn::Set(d, 2.0))), x));
  }
};
// elu = x > 0 ? x : alpha·(e^x - 1).
template <int kDeg>
struct EluFastOp {
  double alpha;
  HWY_INLINE V operator()(DD d, V x) const {
    V m = Expm1FromQ(d, ExpFastQ<kDeg>(d, hn::Min(x, hn::Zero(d))));
    return KeepNaN(x, hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, hn::Mul(hn::Set(d, alpha), m)));
  }
};

// ---------------------------------------------------------------------------------------------
// Loops.

template <class Op>
HWY_INLINE void LoopF64(const double* x, double* y, size_t n, const Op& op) {
  const DD d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(op(d, hn::LoadU(d, x + i)), d, y + i);
  if (i < n) {
    HWY_ALIGN double buf[kMaxLanes] = {};
    std::memcpy(buf, x + i, (n - i) * sizeof(double));
    hn::Store(op(d, hn::Load(d, buf)), d, buf);
    std::memcpy(y + i, buf, (n - i) * sizeof(double));
  }
}

// binary64 -> float rounding to nearest, overflow to inf included (Highway's EMU128/SCALAR
// DemoteTo saturates at FLT_MAX instead).
HWY_INLINE VF ToFloat(DD d, V v) {
#if HWY_TARGET == HWY_SCALAR || HWY_TARGET == HWY_EMU128
  HWY_ALIGN double in[kMaxLanes];
  HWY_ALIGN float out[kMaxLanes];
  hn::Store(v, d, in);
  for (size_t j = 0; j < hn::Lanes(d); ++j) out[j] = static_cast<float>(in[j]);
  return hn::Load(DF(), out);
#else
  (void)d;
  return hn::DemoteTo(DF(), v);
#endif
}

// Whether a binary64 value y lies within 2^-41·|y| of a midpoint between two floats (where
// rounding it to float could differ from rounding the exact value).
//
// Fast form, for |y| in the float normal range [2^-126, 2^128): the 29 low significand bits of
// y below a float's 24 are its offset from a float; the midpoint is 2^28 there, and 2^-41·|y|
// is at least 2^11 of those units (|y|'s significand >= 1): near when |low29 - 2^28| <= 2^11.
// Elsewhere (0, subnormal float range, overflow, NaN) the exact form below decides.
HWY_INLINE hn::Mask<DD> NearFloatMidpointExact(DD d, V y);
HWY_INLINE hn::Mask<DD> NearFloatMidpoint(DD d, V y) {
  const hn::RebindToUnsigned<DD> du;
  V a = hn::Abs(y);
  auto normal = hn::And(hn::Ge(a, hn::Set(d, 0x1p-126)), hn::Lt(a, hn::Set(d, 0x1p128)));
  if (HWY_UNLIKELY(!hn::AllTrue(d, normal))) return NearFloatMidpointExact(d, y);
  auto low = hn::And(hn::BitCast(du, y), hn::Set(du, (uint64_t{1} << 29) - 1));
  // |low - 2^28| <= 2^11  <=>  low - (2^28 - 2^11) <= 2^12 (unsigned, wrapping below)
  auto off = hn::Sub(low, hn::Set(du, (uint64_t{1} << 28) - (uint64_t{1} << 11)));
  auto near = hn::Not(hn::Gt(hn::BitCast(hn::RebindToSigned<DD>(), off),
                             hn::Set(hn::RebindToSigned<DD>(), int64_t{1} << 12)));
  auto nonneg = hn::Not(hn::Lt(hn::BitCast(hn::RebindToSigned<DD>(), off), hn::Zero(hn::RebindToSigned<DD>())));
  return hn::RebindMask(d, hn::And(near, nonneg));
}
HWY_INLINE hn::Mask<DD> NearFloatMidpointExact(DD d, V y) {
  const DF df;
  const hn::RebindToUnsigned<DF> du;
  VF f = hn::Abs(hn::DemoteTo(df, y));
  auto fb = hn::BitCast(du, f);
  V fd = hn::PromoteTo(d, f);
  V up = hn::Sub(hn::PromoteTo(d, hn::BitCast(df, hn::Add(fb, hn::Set(du, 1u)))), fd);
  V down = hn::Sub(fd, hn::PromoteTo(d, hn::BitCast(df, hn::Sub(fb, hn::Set(du, 1u)))));
  V dist = hn::Abs(hn::Sub(hn::Abs(y), fd));
  V tol = hn::Mul(hn::Abs(y), hn::Set(d, 0x1p-41));
  auto near_up = hn::Le(hn::Abs(hn::NegMulAdd(hn::Set(d, 0.5), up, dist)), tol);
  auto near_down = hn::Le(hn::Abs(hn::NegMulAdd(hn::Set(d, 0.5), down, dist)), tol);
  return hn::Or(near_up, near_down);
}

template <class Op>
HWY_INLINE void LoopF32(const float* x, float* y, size_t n, const Op& op, float (*cr)(float, double), double param) {
  const DD d;
  const DF df;
  const size_t N = hn::Lanes(d);
  HWY_ALIGN double yd[kMaxLanes];
  HWY_ALIGN float buf[kMaxLanes] = {};
  for (size_t i = 0; i < n; i += N) {
    const size_t m = n - i < N ? n - i : N;
    VF xf;
    if (m == N) {
      xf = hn::LoadU(df, x + i);
    } else {
      std::memcpy(buf, x + i, m * sizeof(float));
      xf = hn::Load(df, buf);
    }
    V r = op(d, hn::PromoteTo(d, xf));
    VF rf = ToFloat(d, r);
    if (cr != nullptr) {
      auto near = NearFloatMidpoint(d, r);
      if (HWY_UNLIKELY(!hn::AllFalse(d, near))) {
        hn::Store(hn::IfThenElseZero(near, hn::Set(d, 1.0)), d, yd);
        HWY_ALIGN float out[kMaxLanes];
        hn::Store(rf, df, out);
        for (size_t j = 0; j < m; ++j)
          if (yd[j] != 0) out[j] = cr(x[i + j], param);
        std::memcpy(y + i, out, m * sizeof(float));
        continue;
      }
    }
    if (m == N) {
      hn::StoreU(rf, df, y + i);
    } else {
      hn::Store(rf, df, buf);
      std::memcpy(y + i, buf, m * sizeof(float));
    }
  }
}

// relu family in the native type (exact: no promotion needed). Outputs of kStreamBytes and more
// go out with non-temporal stores (see float_native-inl.h), peeled to the output's alignment.
template <class T, class F>
HWY_INLINE void LoopNative(const T* x, T* y, size_t n, const F& f) {
  const hn::ScalableTag<T> d;
  const size_t N = hn::Lanes(d);
  auto partial = [&](size_t i, size_t m) {
    HWY_ALIGN T buf[2 * kMaxLanes] = {};
    std::memcpy(buf, x + i, m * sizeof(T));
    hn::Store(f(d, hn::Load(d, buf)), d, buf);
    std::memcpy(y + i, buf, m * sizeof(T));
  };
  size_t i = 0;
  const size_t vb = N * sizeof(T);
  if (n * sizeof(T) >= kStreamBytes && reinterpret_cast<uintptr_t>(y) % sizeof(T) == 0) {
    const size_t peel = ((vb - reinterpret_cast<uintptr_t>(y) % vb) % vb) / sizeof(T);
    if (peel > 0) partial(0, peel);
    for (i = peel; i + N <= n; i += N) hn::Stream(f(d, hn::LoadU(d, x + i)), d, y + i);
    hwy::FlushStream();
  }
  for (; i + N <= n; i += N) hn::StoreU(f(d, hn::LoadU(d, x + i)), d, y + i);
  if (i < n) partial(i, n - i);
}

template <class T>
void ReluFamily(int op, const T* x, T* y, size_t n, double param) {
  switch (op) {
    case kRelu:  // x <= 0 (incl. -0) gives +0; NaN fails the comparison and passes through
      LoopNative(x, y, n, [](auto d, auto v) { return hn::IfThenZeroElse(hn::Le(v, hn::Zero(d)), v); });
      break;
    case kLeakyRelu: {
      const T a = static_cast<T>(param);
      LoopNative(x, y, n, [a](auto d, auto v) { return hn::IfThenElse(hn::Ge(v, hn::Zero(d)), v, hn::Mul(v, hn::Set(d, a))); });
      break;
    }
    case kRelu6:
      LoopNative(x, y, n, [](auto d, auto v) {
        v = hn::IfThenZeroElse(hn::Le(v, hn::Zero(d)), v);
        return hn::IfThenElse(hn::Gt(v, hn::Set(d, T(6))), hn::Set(d, T(6)), v);
      });
      break;
  }
}

void UnaryF64(int op, const double* x, double* y, size_t n, double param) {
  switch (op) {
    case kSigmoid: LoopF64(x, y, n, SigmoidOp<13>{}); break;
    case kTanh: LoopF64(x, y, n, TanhOp<13>{}); break;
    case kSilu: LoopF64(x, y, n, SiluOp<13>{}); break;
    case kSoftplus: LoopF64(x, y, n, SoftplusOp<13>{}); break;
    case kElu: LoopF64(x, y, n, EluOp<13>{param}); break;
    case kMish: LoopF64(x, y, n, MishOp<13>{}); break;
    default: ReluFamily<double>(op, x, y, n, param);
  }
}

// ---------------------------------------------------------------------------------------------
// Rows.

template <class T>
HWY_INLINE V LoadAsDouble(DD d, const T* p) {
  if constexpr (sizeof(T) == sizeof(double)) {
    return hn::LoadU(d, p);
  } else {
    return hn::PromoteTo(d, hn::LoadU(DF(), p));
  }
}
template <class T>
HWY_INLINE void StoreFromDouble(DD d, V v, T* p) {
  if constexpr (sizeof(T) == sizeof(double)) {
    hn::StoreU(v, d, p);
  } else {
    hn::StoreU(ToFloat(d, v), DF(), p);
  }
}

// A row's tail padded to a whole vector: loads read `pad` where the row ends.
template <class T>
struct Tail {
  HWY_ALIGN T buf[kMaxLanes];
  V load(DD d, const T* p, size_t m, T pad) {
    for (size_t j = 0; j < hn::Lanes(d); ++j) buf[j] = j < m ? p[j] : pad;
    return LoadAsDouble(d, buf);
  }
  void store(DD d, V v, T* p, size_t m) {
    StoreFromDouble(d, v, buf);
    std::memcpy(p, buf, m * sizeof(T));
  }
};

struct Scalar2 {
  double h, l;
};
HWY_INLINE Scalar2 ReduceDD(DD d, V h, V l) {
  HWY_ALIGN double hs[kMaxLanes], ls[kMaxLanes];
  hn::Store(h, d, hs);
  hn::Store(l, d, ls);
  double s = 0, c = 0;
  for (size_t j = 0; j < hn::Lanes(d); ++j) {
    double t = s + hs[j];
    double bb = t - s;
    c += (s - (t - bb)) + (hs[j] - bb) + ls[j];
    s = t;
  }
  double h2 = s + c;
  return {h2, c - (h2 - s)};
}

// One row: the maximum m and S = sum e^(z - m) as a double-word (S >= 1). Returns false if
// the row has a NaN, an infinity or an entry of magnitude >= 2^1000.
template <class T>
bool RowSum(DD d, const T* z, size_t c, double& m_out, Scalar2& S) {
  const size_t N = hn::Lanes(d);
  Tail<T> tail;
  V mx = hn::Set(d, -std::numeric_limits<double>::infinity());
  auto bad = hn::Lt(mx, mx);  // all false
  // NaN, infinities and |z| >= 2^1000 (where z - m could overflow) go to the scalar kernel.
  const V big = hn::Set(d, 0x1p1000);
  size_t i = 0;
  for (; i + N <= c; i += N) {
    V v = LoadAsDouble(d, z + i);
    bad = hn::Or(bad, hn::Not(hn::Lt(hn::Abs(v), big)));
    mx = hn::Max(mx, v);
  }
  if (i < c) {
    V v = tail.load(d, z + i, c - i, z[i]);
    bad = hn::Or(bad, hn::Not(hn::Lt(hn::Abs(v), big)));
    mx = hn::Max(mx, v);
  }
  if (!hn::AllFalse(d, bad)) return false;
  const double m = hn::GetLane(hn::MaxOfLanes(d, mx));
  const V vm = hn::Set(d, -m);
  V sh = hn::Zero(d), sl = hn::Zero(d);
  auto add = [&](V v, hn::Mask<DD> live) {
    Pair dz = TwoSum(v, vm);
    auto e = ExpCore<13>(d, dz.h);
    V E = hn::Mul(e.e1, e.e2);
    V eh = hn::IfThenElseZero(live, hn::Mul(e.uh, E));
    V el = hn::IfThenElseZero(live, hn::Mul(hn::MulAdd(e.uh, dz.l, e.ul), E));
    Pair s = TwoSum(sh, eh);
    sh = s.h;
    sl = hn::Add(sl, hn::Add(s.l, el));
  };
  for (i = 0; i + N <= c; i += N) add(LoadAsDouble(d, z + i), hn::FirstN(d, N));
  if (i < c) add(tail.load(d, z + i, c - i, z[i]), hn::FirstN(d, c - i));
  m_out = m;
  S = ReduceDD(d, sh, sl);
  return true;
}

// log S as three scalars (a + b exact, c small).
HWY_INLINE void LogScalar(DD d, Scalar2 S, double& a, double& b, double& c) {
  LogParts L = LogCore(d, hn::Set(d, S.h), hn::Set(d, S.l));
  a = hn::GetLane(L.a);
  b = hn::GetLane(L.b);
  c = hn::GetLane(L.c);
}
HWY_INLINE void TwoSumS(double a, double b, double& s, double& e) {
  s = a + b;
  double bb = s - a;
  e = (a - (s - bb)) + (b - bb);
}
// x + a + b + c (x, a, b exact inputs; c small), rounded about once.
HWY_INLINE double Sum4(double x, double a, double b, double c) {
  double s1, r1, s2, r2;
  TwoSumS(x, a, s1, r1);
  TwoSumS(s1, b, s2, r2);
  return s2 + ((r1 + r2) + c);
}

// cross_entropy of one row by the scalar kernel (rows with a NaN, an infinity or huge logits).
template <class T>
double ScalarCrossEntropy(const T* z, size_t c, int64_t target) {
  T v;
  impl::cross_entropy(std::span<const T>(z, c), std::span<const int64_t>(&target, 1), impl::Shape{1, c},
                      std::span<T>(&v, 1), impl::Reduction::none);
  return v;
}

template <class T>
void ScalarRowFallback(int mode, const T* z, size_t c, T* y) {
  std::span<const T> in(z, c);
  if (mode == kSoftmax) impl::softmax(in, impl::Shape{1, c}, std::span<T>(y, c));
  if (mode == kLogSoftmax) impl::log_softmax(in, impl::Shape{1, c}, std::span<T>(y, c));
  if (mode == kLogsumexp) impl::logsumexp(in, impl::Shape{1, c}, std::span<T>(y, 1));
}

// A float row's logsumexp m + log S, from a sum accurate to float precision (both float row
// paths). Where it cancels (m < 0 and the result near 0: rows of log-probabilities), log S's
// absolute error would be many ulps of the result; the row goes to the scalar kernel. Elsewhere
// |m + log S| >= 0.5 or m >= 0 (then m + log S >= log S): no cancellation.
HWY_INLINE void LogsumexpF32(const float* zr, size_t c, double m, double log_s, float* out) {
  const double r = m + log_s;
  if (m < 0 && std::abs(r) < 0.5) {
    ScalarRowFallback(kLogsumexp, zr, c, out);
  } else {
    *out = static_cast<float>(r);
  }
}

#if HWY_NATIVE_FMA && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
// The float32 fast tier on float lanes (targets with an FMA: AVX2, AVX-512).
#undef NNCONFORM_SIMD_FLOAT_NATIVE
#define NNCONFORM_SIMD_FLOAT_NATIVE 1
#include "float_native-inl.h"
#include "float_cr-inl.h"
#else
#undef NNCONFORM_SIMD_FLOAT_NATIVE
#define NNCONFORM_SIMD_FLOAT_NATIVE 0
#endif

#undef NNC_FAST_F32
#undef NNC_CR_F32
#if NNCONFORM_SIMD_FLOAT_NATIVE
// Runs the float-lane kernel; the vectors it leaves take the binary64 one.
template <class Native, class Wide>
HWY_INLINE void FastNativeF32(const float* x, float* y, size_t n, const Native& native, const Wide& wide, double param) {
  fnative::Loop(x, y, n, native, [&](const float* xs, float* ys, size_t m) { LoopF32(xs, ys, m, wide, nullptr, param); });
}
#define NNC_FAST_F32(native, wide) FastNativeF32(x, y, n, native, wide, param)
// The correctly rounded tier: float-lane step 1 (float_cr-inl.h), the lanes it leaves to the
// binary64 kernel with the scalar binary128 behind it.
template <class Native, class Wide>
HWY_INLINE void CrNativeF32(const float* x, float* y, size_t n, const Native& native, const Wide& wide,
                            float (*cr)(float, double), double param) {
  fcr::Loop(x, y, n, native, [&](const float* xs, float* ys, size_t m) { LoopF32(xs, ys, m, wide, cr, param); });
}
#define NNC_CR_F32(native, wide, cr) CrNativeF32(x, y, n, native, wide, cr, param)
#else
#define NNC_FAST_F32(native, wide) LoopF32(x, y, n, wide, nullptr, param)
#define NNC_CR_F32(native, wide, cr) LoopF32(x, y, n, wide, cr, param)
#endif

void UnaryF32(int op, const float* x, float* y, size_t n, double param, bool cr) {
  using namespace nnconform::simd::cr;
  switch (op) {
    // sigmoid, tanh, silu, elu: plain binary64 (above), the exp polynomial of degree 8 in the
    // fast tier; degree 11 in the correctly rounded tier, whose binary64 value then errs by
    // < 2^-46 relative (truncation 2^-45.5·|q|/(1 + q) plus a few u), 32 times inside the
    // rounding test's 2^-41.
    // Where the target has an FMA, both tiers start on float lanes: the fast tier in
    // float_native-inl.h (a vector it leaves, with subnormal results, goes to the binary64 form),
    // the correctly rounded one in float_cr-inl.h (the lanes its rounding check leaves go to the
    // binary64 form with its own check, and on to the binary128 scalar).
    case kSigmoid:
      if (cr) NNC_CR_F32(fcr::Sigmoid{}, SigmoidFastOp<11>{}, &sigmoid_cr);
      else NNC_FAST_F32(fnative::Sigmoid{}, SigmoidFastOp<8>{});
      break;
    case kTanh:
      if (cr) NNC_CR_F32(fcr::Tanh{}, TanhFastOp<11>{}, &tanh_cr);
      else NNC_FAST_F32(fnative::Tanh{}, TanhFastOp<8>{});
      break;
    case kSilu:
      if (cr) NNC_CR_F32(fcr::Silu{}, SiluFastOp<11>{}, &silu_cr);
      else NNC_FAST_F32(fnative::Silu{}, SiluFastOp<8>{});
      break;
    case kSoftplus:
      if (cr) NNC_CR_F32(fcr::Softplus{}, SoftplusOp<11>{}, &softplus_cr);
      else NNC_FAST_F32(fnative::Softplus{}, SoftplusOp<11>{});
      break;
    case kElu: {
      // The float-lane forms take alpha in (0, 2^100] as a float; the correctly rounded one
      // needs it to be one exactly.
      const float alpha = static_cast<float>(param);
      const bool float_alpha = param > 0 && param <= 0x1p100;
      if (cr && float_alpha && static_cast<double>(alpha) == param) {
        if (param == 1.0) NNC_CR_F32(fcr::Elu<true>{alpha}, EluFastOp<11>{param}, &elu_cr);
        else NNC_CR_F32(fcr::Elu<false>{alpha}, EluFastOp<11>{param}, &elu_cr);
      } else if (cr) {
        LoopF32(x, y, n, EluFastOp<11>{param}, &elu_cr, param);
      } else if (float_alpha) {
        NNC_FAST_F32(fnative::Elu{alpha}, EluFastOp<8>{param});
      } else {
        LoopF32(x, y, n, EluFastOp<8>{param}, nullptr, param);
      }
      break;
    }
    case kMish:
      if (cr) NNC_CR_F32(fcr::Mish{}, MishOp<11>{}, &mish_cr);
      else NNC_FAST_F32(fnative::Mish{}, MishOp<11>{});
      break;
    default: ReluFamily<float>(op, x, y, n, param);
  }
}


// softmax, log_softmax and logsumexp of float rows, fast: binary64 sums of ExpFast(z - m)
// (z - m is exact in binary64 for float z and m whose exponents differ by < 29, and errs by
// < 2^-53·|m| otherwise, where e^(z - m) is far below any float result), one division or one
// log per row, one rounding to float per element (error <= 0.5 + 2^-6 ulp, subnormals kept).
bool RowsFloatFast(int mode, const float* z, size_t n, size_t c, float* out) {
  if (mode == kCrossEntropy) return false;
  const DD d;
  const size_t N = hn::Lanes(d);
  Tail<float> tail;
  for (size_t row = 0; row < n; ++row) {
    const float* zr = z + row * c;
    V mx = hn::Set(d, -std::numeric_limits<double>::infinity());
    auto bad = hn::Lt(mx, mx);
    size_t i = 0;
    for (; i + N <= c; i += N) {
      V v = LoadAsDouble(d, zr + i);
      bad = hn::Or(bad, hn::Not(hn::IsFinite(v)));
      mx = hn::Max(mx, v);
    }
    if (i < c) {
      V v = tail.load(d, zr + i, c - i, zr[i]);
      bad = hn::Or(bad, hn::Not(hn::IsFinite(v)));
      mx = hn::Max(mx, v);
    }
    if (!hn::AllFalse(d, bad)) {
      ScalarRowFallback(mode, zr, c, mode == kLogsumexp ? out + row : out + row * c);
      continue;
    }
    const double m = hn::GetLane(hn::MaxOfLanes(d, mx));
    const V vm = hn::Set(d, m);
    // S = cnt + rest: the entries equal to the maximum (each e^0 = 1) counted apart, so that
    // log S = log(cnt) + log1p(rest/cnt) keeps a small log S (one dominant logit) accurate.
    V rest = hn::Zero(d), cnt = hn::Zero(d);
    auto add = [&](V v, hn::Mask<DD> live) {
      auto top = hn::And(live, hn::Eq(v, vm));
      auto other = hn::AndNot(top, live);
      rest = hn::Add(rest, hn::IfThenElseZero(other, ExpFast<8>(d, hn::Sub(v, vm))));
      cnt = hn::Add(cnt, hn::IfThenElseZero(top, hn::Set(d, 1.0)));
    };
    for (i = 0; i + N <= c; i += N) add(LoadAsDouble(d, zr + i), hn::FirstN(d, N));
    if (i < c) add(tail.load(d, zr + i, c - i, zr[i]), hn::FirstN(d, c - i));
    const double k = hn::GetLane(hn::SumOfLanes(d, cnt)), r = hn::GetLane(hn::SumOfLanes(d, rest));
    const double s = k + r;
    const double log_s = std::log(k) + std::log1p(r / k);
    if (mode == kLogsumexp) {
      LogsumexpF32(zr, c, m, log_s, out + row);
      continue;
    }
    float* yr = out + row * c;
    if (mode == kSoftmax) {
      const V inv = hn::Set(d, 1.0 / s);
      auto f = [&](V v) { return hn::Mul(ExpFast<8>(d, hn::Sub(v, vm)), inv); };
      for (i = 0; i + N <= c; i += N) StoreFromDouble(d, f(LoadAsDouble(d, zr + i)), yr + i);
      if (i < c) tail.store(d, f(tail.load(d, zr + i, c - i, zr[i])), yr + i, c - i);
    } else {
      const V ls = hn::Set(d, log_s);
      auto f = [&](V v) { return hn::Sub(hn::Sub(v, vm), ls); };
      for (i = 0; i + N <= c; i += N) StoreFromDouble(d, f(LoadAsDouble(d, zr + i)), yr + i);
      if (i < c) tail.store(d, f(tail.load(d, zr + i, c - i, zr[i])), yr + i, c - i);
    }
  }
  return true;
}

// Row functions; for cross_entropy `out` receives one double per row (`ce`), reduced by the caller.
template <class T>
void Rows(int mode, const T* z, const int64_t* t, size_t n, size_t c, T* out, double* ce) {
  if constexpr (sizeof(T) == sizeof(float)) {
#if NNCONFORM_SIMD_FLOAT_NATIVE
    if (fnative::Rows(mode, z, t, n, c, out, ce)) return;
#endif
    if (RowsFloatFast(mode, z, n, c, out)) return;
  }
  const DD d;
  const size_t N = hn::Lanes(d);
  Tail<T> tail;
  for (size_t row = 0; row < n; ++row) {
    const T* zr = z + row * c;
    double m;
    Scalar2 S;
    if (!RowSum(d, zr, c, m, S)) {
      if (mode == kCrossEntropy) {
        ce[row] = ScalarCrossEntropy(zr, c, t[row]);
      } else {
        ScalarRowFallback(mode, zr, c, mode == kLogsumexp ? out + row : out + row * c);
      }
      continue;
    }
    double a, b, cc;
    LogScalar(d, S, a, b, cc);
    if (mode == kLogsumexp) {
      const double r = Sum4(m, a, b, cc);
      // Cancellation between m and log S (|r| far below |m|) magnifies the 2^-57 relative
      // error of S; binary64 rows of that kind go to the scalar double-double kernel.
      if (sizeof(T) == sizeof(double) && std::abs(r) < 0.125 * std::abs(m))
        ScalarRowFallback(mode, zr, c, out + row);
      else
        out[row] = static_cast<T>(r);
      continue;
    }
    if (mode == kCrossEntropy) {
      double dh, dl;
      TwoSumS(static_cast<double>(zr[t[row]]), -m, dh, dl);
      ce[row] = Sum4(-dh, a, b, cc - dl);
      continue;
    }
    T* yr = out + row * c;
    const V vm = hn::Set(d, -m);
    if (mode == kSoftmax) {
      const V Sh = hn::Set(d, S.h), Sl = hn::Set(d, S.l);
      auto f = [&](V v) {
        Pair dz = TwoSum(v, vm);
        auto e = ExpCore<13>(d, dz.h);
        Pair q = DivDD(d, e.uh, hn::MulAdd(e.uh, dz.l, e.ul), Sh, Sl);
        return hn::Mul(hn::Mul(hn::Add(q.h, q.l), e.e1), e.e2);
      };
      size_t i = 0;
      for (; i + N <= c; i += N) StoreFromDouble(d, f(LoadAsDouble(d, zr + i)), yr + i);
      if (i < c) tail.store(d, f(tail.load(d, zr + i, c - i, zr[i])), yr + i, c - i);
    } else {  // log_softmax: (z - m) - log S
      const V A = hn::Set(d, -a), B = hn::Set(d, -b), C = hn::Set(d, -cc);
      auto f = [&](V v) {
        Pair dz = TwoSum(v, vm);
        Pair s1 = TwoSum(dz.h, A);
        Pair s2 = TwoSum(s1.h, B);
        return hn::Add(s2.h, hn::Add(hn::Add(s1.l, s2.l), hn::Add(C, dz.l)));
      };
      size_t i = 0;
      for (; i + N <= c; i += N) StoreFromDouble(d, f(LoadAsDouble(d, zr + i)), yr + i);
      if (i < c) tail.store(d, f(tail.load(d, zr + i, c - i, zr[i])), yr + i, c - i);
    }
  }
}

void RowsF32(int mode, const float* z, const int64_t* t, size_t n, size_t c, float* out, double* ce) {
  Rows<float>(mode, z, t, n, c, out, ce);
}
void RowsF64(int mode, const double* z, const int64_t* t, size_t n, size_t c, double* out, double* ce) {
  Rows<double>(mode, z, t, n, c, out, ce);
}

// ---------------------------------------------------------------------------------------------
// Elementwise losses: each term as a double-word (h, l).

struct MseTerm {
  HWY_INLINE Pair operator()(DD d, V y, V yh) const {
    Pair df = TwoSum(y, hn::Neg(yh));
    Pair p = TwoProd(d, df.h, df.h);
    p.l = hn::MulAdd(hn::Add(df.h, df.h), df.l, p.l);
    return p;
  }
};
struct MaeTerm {
  HWY_INLINE Pair operator()(DD d, V y, V yh) const {
    Pair df = TwoSum(y, hn::Neg(yh));
    auto neg = hn::Lt(df.h, hn::Zero(d));
    return {hn::Abs(df.h), hn::IfThenElse(neg, hn::Neg(df.l), df.l)};
  }
};
struct HuberTerm {
  double delta;
  HWY_INLINE Pair operator()(DD d, V y, V yh) const {
    Pair df = TwoSum(y, hn::Neg(yh));
    auto neg = hn::Lt(df.h, hn::Zero(d));
    V ah = hn::Abs(df.h), al = hn::IfThenElse(neg, hn::Neg(df.l), df.l);
    const V dl = hn::Set(d, delta);
    Pair sq = TwoProd(d, ah, ah);  // 0.5·a² (exact halving)
    sq.l = hn::MulAdd(hn::Add(ah, ah), al, sq.l);
    sq.h = hn::Mul(sq.h, hn::Set(d, 0.5));
    sq.l = hn::Mul(sq.l, hn::Set(d, 0.5));
    Pair lin = TwoSum(ah, hn::Set(d, -0.5 * delta));  // delta·(a - delta/2)
    lin.l = hn::Add(lin.l, al);
    Pair lp = TwoProd(d, dl, lin.h);
    lp.l = hn::MulAdd(dl, lin.l, lp.l);
    auto quad = hn::Le(ah, dl);
    return {hn::IfThenElse(quad, sq.h, lp.h), hn::IfThenElse(quad, sq.l, lp.l)};
  }
};
// w = pos_weight = 1: log(1 + e^-|s|) + (s > 0 ? (1 - y)·s : -y·s), the where(y == 0 / 1)
// guards of the spec keeping 0·inf out.
struct BceLogitsTerm {
  HWY_INLINE Pair operator()(DD d, V y, V s) const {
    LogParts L = Log1pOfExp(d, ExpCore<13>(d, hn::Neg(hn::Abs(s))));
    auto pos = hn::Gt(s, hn::Zero(d));
    Pair omy = TwoSum(hn::Set(d, 1.0), hn::Neg(y));
    V fh = hn::IfThenElse(pos, omy.h, hn::Neg(y));
    V fl = hn::IfThenElseZero(pos, omy.l);
    auto zero_factor = hn::IfThenElse(pos, hn::VecFromMask(d, hn::Eq(y, hn::Set(d, 1.0))),
                                      hn::VecFromMask(d, hn::Eq(y, hn::Zero(d))));
    Pair p = TwoProd(d, fh, s);
    p.l = hn::MulAdd(fl, s, p.l);
    auto zf = hn::MaskFromVec(zero_factor);
    p.h = hn::IfThenZeroElse(zf, p.h);
    p.l = hn::IfThenZeroElse(zf, p.l);
    Pair s1 = TwoSum(p.h, L.a);
    Pair s2 = TwoSum(s1.h, L.b);
    V l = hn::Add(hn::Add(s1.l, s2.l), hn::Add(L.c, p.l));
    return {KeepNaN(s, s2.h), l};  // the y-guards must not swallow a NaN logit
  }
};

template <class T, class Term>
void LossLoop(const T* y, const T* yh, size_t n, T* out, int red, const Term& term, double scale = 1.0) {
  const DD d;
  const size_t N = hn::Lanes(d);
  Tail<T> ty, th;
  V sh = hn::Zero(d), sl = hn::Zero(d);
  auto value = [&](V y0, V y1, size_t live) -> V {
    Pair p = term(d, y0, y1);
    if (red == 0) return hn::IfThenElse(hn::IsFinite(p.h), hn::Add(p.h, p.l), p.h);
    auto mask = hn::FirstN(d, live);
    const V sc = hn::Set(d, scale);
    Pair s = TwoSum(sh, hn::IfThenElseZero(mask, hn::Mul(p.h, sc)));
    sh = s.h;
    sl = hn::Add(sl, hn::Add(s.l, hn::IfThenElseZero(mask, hn::Mul(p.l, sc))));
    return p.h;
  };
  size_t i = 0;
  for (; i + N <= n; i += N) {
    V v = value(LoadAsDouble(d, y + i), LoadAsDouble(d, yh + i), N);
    if (red == 0) StoreFromDouble(d, v, out + i);
  }
  if (i < n) {
    V v = value(ty.load(d, y + i, n - i, T(0)), th.load(d, yh + i, n - i, T(0)), n - i);
    if (red == 0) ty.store(d, v, out + i, n - i);
  }
  if (red == 0) return;
  // Non-finite lane sums: their high part is the answer (inf, or NaN).
  HWY_ALIGN double hs[kMaxLanes];
  hn::Store(sh, d, hs);
  double special = 0;
  bool any_special = false;
  for (size_t j = 0; j < N; ++j)
    if (!std::isfinite(hs[j])) {
      special += hs[j];
      any_special = true;
    }
  Scalar2 S = ReduceDD(d, sh, sl);
  if (any_special || !std::isfinite(S.h)) {
    // A sum of finite terms may overflow where the mean does not: once more, scaled by 2^-128
    // (exact for every term that matters at that magnitude).
    if (scale == 1.0 && !std::isnan(special)) return LossLoop(y, yh, n, out, red, term, 0x1p-128);
    out[0] = static_cast<T>(any_special ? special / scale : S.h / scale);
    return;
  }
  if (red == 2) {
    out[0] = static_cast<T>((S.h + S.l) / scale);
    return;
  }
  const double cnt = static_cast<double>(n);
  double q = S.h / cnt;
  double p = q * cnt, pe = std::fma(q, cnt, -p);
  out[0] = static_cast<T>((q + ((S.h - p) - pe + S.l) / cnt) / scale);
}

// Float mse, mae and huber with reduction none, one value per element. mae: |fl(y - yh)| on
// float lanes, correctly rounded. mse, huber on binary64 lanes: y - yh is exact in binary64 (or
// within 2^-53 relative where the exponents differ by more than 29), the term rounds once in
// binary64 (huber's a - delta/2 with a >= delta: no cancellation) and once to float: <= 0.5 +
// 2^-28 ulp, subnormal and overflowing results rounded by the conversion as IEEE 754 says.
// (The reductions keep the double-word terms: their sum needs them.)
bool LossNoneF32(int op, const float* y, const float* yh, size_t n, float* out, double delta) {
  if (op == kMae) {
    const hn::ScalableTag<float> df;  // every float lane of the target
    const size_t N = hn::Lanes(df);
    size_t i = 0;
    for (; i + N <= n; i += N) hn::StoreU(hn::Abs(hn::Sub(hn::LoadU(df, y + i), hn::LoadU(df, yh + i))), df, out + i);
    for (; i < n; ++i) out[i] = std::fabs(y[i] - yh[i]);
    return true;
  }
  if (op != kMse && op != kHuber) return false;
  const DD d;
  const size_t N = hn::Lanes(d);
  const V dl = hn::Set(d, delta), half = hn::Set(d, 0.5), lin0 = hn::Set(d, -0.5 * delta);
  auto term = [&](V a, V b) {
    const V df = hn::Sub(a, b);
    if (op == kMse) return hn::Mul(df, df);
    const V ad = hn::Abs(df);
    return hn::IfThenElse(hn::Le(ad, dl), hn::Mul(hn::Mul(ad, ad), half), hn::Mul(dl, hn::Add(ad, lin0)));
  };
  Tail<float> ty, th;
  size_t i = 0;
  for (; i + N <= n; i += N) StoreFromDouble(d, term(LoadAsDouble(d, y + i), LoadAsDouble(d, yh + i)), out + i);
  if (i < n) ty.store(d, term(ty.load(d, y + i, n - i, 0.0f), th.load(d, yh + i, n - i, 0.0f)), out + i, n - i);
  return true;
}

#if NNCONFORM_SIMD_FLOAT_NATIVE
// Float binary_cross_entropy_with_logits with reduction none on float lanes (fnative::BceLogits);
// a vector holding a logit beyond +-87 (or a NaN) takes the double-word kernel.
void BceLogitsNoneF32(const float* y, const float* s, size_t n, float* out) {
  const fnative::DF32 d;
  const size_t N = hn::Lanes(d);
  auto slow = [&](size_t i, size_t m) { LossLoop(y + i, s + i, m, out + i, 0, BceLogitsTerm{}); };
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const fnative::VF32 sv = hn::LoadU(d, s + i);
    if (HWY_UNLIKELY(!hn::AllTrue(d, hn::Le(hn::Abs(sv), hn::Set(d, 87.0f))))) {
      slow(i, N);
      continue;
    }
    hn::StoreU(fnative::BceLogits(d, hn::LoadU(d, y + i), sv), d, out + i);
  }
  if (i < n) slow(i, n - i);
}
#endif

template <class T>
void Loss(int op, const T* y, const T* yh, size_t n, T* out, double param, int red) {
  if constexpr (sizeof(T) == sizeof(float)) {
    if (red == 0 && LossNoneF32(op, y, yh, n, out, param)) return;
#if NNCONFORM_SIMD_FLOAT_NATIVE
    if (red == 0 && op == kBceLogits) return BceLogitsNoneF32(y, yh, n, out);
#endif
  }
  switch (op) {
    case kMse: LossLoop(y, yh, n, out, red, MseTerm{}); break;
    case kMae: LossLoop(y, yh, n, out, red, MaeTerm{}); break;
    case kHuber: LossLoop(y, yh, n, out, red, HuberTerm{param}); break;
    case kBceLogits: LossLoop(y, yh, n, out, red, BceLogitsTerm{}); break;
  }
}
void LossF32(int op, const float* y, const float* yh, size_t n, float* out, double param, int red) {
  Loss<float>(op, y, yh, n, out, param, red);
}
void LossF64(int op, const double* y, const double* yh, size_t n, double* out, double param, int red) {
  Loss<double>(op, y, yh, n, out, param, red);
}

}  // namespace HWY_NAMESPACE
}  // namespace nnconform::simd::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nnconform::simd::detail {
HWY_EXPORT(UnaryF32);
HWY_EXPORT(UnaryF64);
HWY_EXPORT(RowsF32);
HWY_EXPORT(RowsF64);
HWY_EXPORT(LossF32);
HWY_EXPORT(LossF64);

void unary_f32(int op, const float* x, float* y, size_t n, double param, bool cr) {
  HWY_DYNAMIC_DISPATCH(UnaryF32)(op, x, y, n, param, cr);
}
void unary_f64(int op, const double* x, double* y, size_t n, double param) {
  HWY_DYNAMIC_DISPATCH(UnaryF64)(op, x, y, n, param);
}
void rows_f32(int mode, const float* z, const int64_t* t, size_t n, size_t c, float* out, double* ce) {
  HWY_DYNAMIC_DISPATCH(RowsF32)(mode, z, t, n, c, out, ce);
}
void rows_f64(int mode, const double* z, const int64_t* t, size_t n, size_t c, double* out, double* ce) {
  HWY_DYNAMIC_DISPATCH(RowsF64)(mode, z, t, n, c, out, ce);
}
void loss_f32(int op, const float* y, const float* yh, size_t n, float* out, double param, int red) {
  HWY_DYNAMIC_DISPATCH(LossF32)(op, y, yh, n, out, param, red);
}
void loss_f64(int op, const double* y, const double* yh, size_t n, double* out, double param, int red) {
  HWY_DYNAMIC_DISPATCH(LossF64)(op, y, yh, n, out, param, red);
}
}  // namespace nnconform::simd::detail
#endif
