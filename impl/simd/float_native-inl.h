// The float32 fast tier on float lanes (16 per vector on AVX-512, 8 on AVX2), for targets with
// a fused multiply-add. A fragment of kernels.cpp: included inside its per-target namespace
// (once per Highway target, hence no include guard), after the binary64 kernels it falls back to.
//
// Why float-float: `strict` is 1 ulp for sigmoid, tanh and elu. A float evaluation rounds at
// every step (2^-24 each), and sums like 1 + e^-x lose the low bits of e^-x; the plain formula
// errs by 1.5-3 ulp. Here each quantity that is later divided or cancelled is carried as an
// unevaluated sum hi + lo of two floats, and the result is rounded once at the end.
//
// e^z (Exp): z = k·ln2 + r, k = round(z·log2e) by the 1.5·2^23 trick (the FMA rounds z·log2e
// + 1.5·2^23 to an integer; its low bits also give 2^k by a shift). h = z - k·LN2_HI is exact
// (LN2_HI has 15 significant bits, |k| <= 151, Sterbenz), c = k·LN2_LO - zl (zl: an optional low
// part of z), r = fl(h - c), and
//     e^z = 2^k·(1 + h + t),  t = r²·Q(r) - c,
// Q the degree-5 binary32 minimax of (e^r - 1 - r)/r² on [-0.3467, 0.3467] (impl/simd/
// exp_poly.sollya; supnorm of r²·Q - (e^r - 1 - r): 2^-32.2). t errs by <= 2^-28 (its own
// rounding) + 2^-28 (Q's Horner roundings times r²) + 2^-27.8 (r's rounding times d(r²Q)/dr) +
// 2^-32.2: |error of h + t| < 2^-26.2, i.e. < 2^-25.7 relative to 1 + h + t >= 0.7.
//
// DivFF (nh + nl)/(dh + dl): q = nh·fl(1/dh), the residual nh - q·dh exact (FMA), corrected by
// nl - q·dl and one more multiplication by 1/dh: the quotient of the pairs up to 3·2^-28 of the
// numerator's size, then one rounding.
//
// Resulting bounds (first order, worst cases added, not machine-checked): sigmoid, tanh, elu
// <= 0.5 + 0.3 (exp) + 0.25 (pairs) = 1.05 ulp, silu one exact product more: the sum alone
// does not prove 1 ulp. For these unary functions the proof is exhaustive instead: every one
// of the 2^32 binary32 inputs, in the AVX3 and AVX2 targets (docs/sweeps/binary32-simd*): max
// 0.65 (sigmoid), 0.75 (tanh), 0.68 (silu), 0.82 (elu) ulp; rerun `scripts/sweep-all.sh --impl
// simd` after any change here. Rows: softmax < 1.7 ulp, log_softmax < 1.7 ulp (strict: 2;
// see the rows' section below).
//
// Lanes whose result would be subnormal (sigmoid, silu: x < -87) are rare in practice; a vector
// holding one goes to the binary64 kernel of the same function (0.5 ulp, nothing flushed).
namespace fnative {

using DF32 = hn::ScalableTag<float>;
using VF32 = hn::Vec<DF32>;
using DI32 = hn::RebindToSigned<DF32>;

constexpr float kLog2eF = 0x1.715476p+0f;
constexpr float kShifter = 0x1.8p23f;      // 1.5·2^23: adding it rounds to an integer
constexpr float kLn2HiF = 0x1.62e4p-1f;    // 15 significant bits: k·kLn2HiF is exact
constexpr float kLn2LoF = 0x1.7f7d1cp-20f;  // ln2 - kLn2HiF, rounded (its error ·151 < 2^-36)

struct ExpSplit {
  VF32 k;  // k as a float
  VF32 s;  // 2^k
  VF32 h;  // exact part of the reduced argument
  VF32 t;  // e^(h + small) - 1 - h
};

// e^(z + zl) = s·(1 + h + t), for z in [-87.3, 88.7] (2^k normal). NaN in z gives NaN in h, t.
HWY_INLINE ExpSplit Exp(DF32 d, VF32 z, VF32 zl) {
  const VF32 shifter = hn::Set(d, kShifter);
  const VF32 km = hn::MulAdd(z, hn::Set(d, kLog2eF), shifter);  // 1.5·2^23 + k
  const VF32 k = hn::Sub(km, shifter);
  const DI32 di;
  // km's significand holds 2^22 + k: adding 127 - 2^22 and shifting the low 9 bits into the
  // exponent field gives 2^k for k in [-126, 127].
  const VF32 s = hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(hn::BitCast(di, km), hn::Set(di, 127 - (1 << 22)))));
  const VF32 h = hn::NegMulAdd(k, hn::Set(d, kLn2HiF), z);
  const VF32 c = hn::MulSub(k, hn::Set(d, kLn2LoF), zl);
  const VF32 r = hn::Sub(h, c);
  VF32 q = hn::Set(d, 0x1.a262bp-13f);
  q = hn::MulAdd(q, r, hn::Set(d, 0x1.6d2e0ep-10f));
  q = hn::MulAdd(q, r, hn::Set(d, 0x1.110ff4p-7f));
  q = hn::MulAdd(q, r, hn::Set(d, 0x1.555502p-5f));
  q = hn::MulAdd(q, r, hn::Set(d, 0x1.555556p-3f));
  q = hn::MulAdd(q, r, hn::Set(d, 0.5f));
  return {k, s, h, hn::MulSub(hn::Mul(r, r), q, c)};
}

// (nh + nl)/(dh + dl), rounded about once; dh > 0 normal.
HWY_INLINE VF32 DivFF(DF32 d, VF32 nh, VF32 nl, VF32 dh, VF32 dl) {
  const VF32 inv = hn::Div(hn::Set(d, 1.0f), dh);
  const VF32 q = hn::Mul(nh, inv);
  VF32 rho = hn::NegMulAdd(q, dh, nh);  // exact: q is within 2 ulp of nh/dh
  rho = hn::NegMulAdd(q, dl, hn::Add(rho, nl));
  return hn::MulAdd(rho, inv, q);
}

// 1 + h + t as a normalized pair w + wl (w = fl(1 + h + t), |wl| <= ulp(w)/2 + 2^-28): 1 + h
// split exactly (Fast2Sum), its error plus t added, and that sum split again. DivFF's first-order
// correction needs |wl| << w: with t left in the low part (up to 0.07) it would err by 2^-11.
struct OnePlus {
  VF32 w, wl;
};
HWY_INLINE OnePlus OnePlusHT(DF32 d, const ExpSplit& e) {
  const VF32 one = hn::Set(d, 1.0f);
  const VF32 w0 = hn::Add(one, e.h);
  const VF32 e0 = hn::Add(hn::Sub(e.h, hn::Sub(w0, one)), e.t);
  const VF32 w = hn::Add(w0, e0);
  return {w, hn::Sub(e0, hn::Sub(w, w0))};
}

// 1 + s·(w + wl) as Dh + Dl: Dh = fl(1 + s·w), whose error the FMA recovers exactly (1 - Dh is
// exact for Dh in [1, 2]).
struct Pair32 {
  VF32 h, l;
};
// (nh + nl)/(dh + dl) as an unrounded pair q + c: DivFF without its last rounding, for results
// that are multiplied or checked before they are rounded (mish, the correctly rounded tier).
HWY_INLINE Pair32 DivPair(DF32 d, VF32 nh, VF32 nl, VF32 dh, VF32 dl) {
  const VF32 inv = hn::Div(hn::Set(d, 1.0f), dh);
  const VF32 q = hn::Mul(nh, inv);
  VF32 rho = hn::NegMulAdd(q, dh, nh);  // exact
  rho = hn::NegMulAdd(q, dl, hn::Add(rho, nl));
  return {q, hn::Mul(rho, inv)};
}

// -|x| clamped to -87, where e^z is still normal (e^-87 is below half an ulp of 1); NaN stays NaN
// (x86 max returns its second operand when one is NaN). The argument of both tiers' exp for the
// functions of e^-|x|.
HWY_INLINE VF32 NegAbsClamped(DF32 d, VF32 x) { return hn::Max(hn::Set(d, -87.0f), hn::Or(x, hn::SignBit(d))); }

HWY_INLINE Pair32 OnePlusScaled(DF32 d, VF32 s, const OnePlus& p) {
  const VF32 one = hn::Set(d, 1.0f);
  const VF32 dh = hn::MulAdd(s, p.w, one);
  return {dh, hn::MulAdd(s, p.wl, hn::MulAdd(s, p.w, hn::Sub(one, dh)))};
}

// What sigmoid and silu share: e = e^-|x| = s·(w + wl) and D = 1 + e as pairs, for x >= -87
// (below, sigmoid(x) is subnormal: the loop sends such vectors to the binary64 kernel).
struct Logistic {
  static constexpr float kSlowBelow = -87.0f;
  ExpSplit e;
  OnePlus p;
  Pair32 D;
  hn::Mask<DF32> neg;  // x < 0
  HWY_INLINE Logistic(DF32 d, VF32 x)
      : e(Exp(d, NegAbsClamped(d, x), hn::Zero(d))),
        p(OnePlusHT(d, e)),
        D(OnePlusScaled(d, e.s, p)),
        neg(hn::Lt(x, hn::Zero(d))) {}
};

// sigmoid: x >= 0: 1/D;   x < 0: e/D = s·(w + wl)/D  (s scales exactly: the result is normal).
struct Sigmoid {
  static constexpr float kSlowBelow = Logistic::kSlowBelow;
  HWY_INLINE VF32 operator()(DF32 d, VF32 x) const {
    const Logistic l(d, x);
    const VF32 v = DivFF(d, hn::IfThenElse(l.neg, l.p.w, hn::Set(d, 1.0f)), hn::IfThenElseZero(l.neg, l.p.wl), l.D.h, l.D.l);
    return hn::IfThenElse(l.neg, hn::Mul(v, l.e.s), v);
  }
};

// silu = x·sigmoid(x): x >= 0: x/D; x < 0: s·x·(w + wl)/D, x·w split exactly by the FMA.
struct Silu {
  static constexpr float kSlowBelow = Logistic::kSlowBelow;
  HWY_INLINE VF32 operator()(DF32 d, VF32 x) const {
    const Logistic l(d, x);
    const VF32 xw = hn::Mul(x, l.p.w);
    const VF32 xwl = hn::MulAdd(x, l.p.wl, hn::MulSub(x, l.p.w, xw));
    const VF32 v = DivFF(d, hn::IfThenElse(l.neg, xw, x), hn::IfThenElseZero(l.neg, xwl), l.D.h, l.D.l);
    // silu(x) rounds to x from 88 on (and x/D would make inf - inf at +inf); its sign is x's,
    // -0 included.
    const VF32 y = hn::IfThenElse(l.neg, hn::Mul(v, l.e.s), hn::IfThenElse(hn::Gt(x, hn::Set(d, 88.0f)), x, v));
    return hn::CopySign(y, x);
  }
};

// tanh|x| = (1 - e)/(1 + e), e = e^-2|x| = s·(w + wl), |x| clamped to 9.5 (tanh rounds to 1
// from 9.01). 1 - e = 2 - D exactly in its high part (D in [1, 2]); but where k = 0 (|x| <=
// 0.173) the cancellation would cost relative accuracy, and there 1 - e = -(h + t) directly
// (h = -2|x| exact).
struct Tanh {
  static constexpr float kSlowBelow = -std::numeric_limits<float>::infinity();  // never slow
  HWY_INLINE VF32 operator()(DF32 d, VF32 x) const {
    const VF32 a = hn::Min(hn::Abs(x), hn::Set(d, 9.5f));
    const VF32 z = hn::Mul(a, hn::Set(d, -2.0f));
    const ExpSplit e = Exp(d, z, hn::Zero(d));
    const OnePlus p = OnePlusHT(d, e);
    const Pair32 D = OnePlusScaled(d, e.s, p);
    // k = 0: N = -h - t by Fast2Sum (|h| >= |t|: t ~ h²/2 there).
    const VF32 a2 = hn::Neg(e.h);
    const VF32 n0h = hn::Sub(a2, e.t);
    const VF32 n0l = hn::Sub(hn::Sub(a2, n0h), e.t);
    const auto k0 = hn::Eq(e.s, hn::Set(d, 1.0f));
    const VF32 nh = hn::IfThenElse(k0, n0h, hn::Sub(hn::Set(d, 2.0f), D.h));
    const VF32 nl = hn::IfThenElse(k0, n0l, hn::Neg(D.l));
    const VF32 y = DivFF(d, nh, nl, D.h, D.l);
    return hn::CopySign(hn::IfThenElse(hn::IsNaN(x), x, y), x);
  }
};

// e^z - 1 for e^z = s·(w + wl) (|s·w| <= 1, s·w exact), as a pair: s·w - 1 by Fast2Sum with -1,
// or, where `small` (no reduction happened: e^z = 1 + h + t, h exact), h + t by Fast2Sum, with
// no cancellation to undo. Shared by both tiers' elu.
HWY_INLINE Pair32 Expm1Pair(DF32 d, VF32 s, VF32 w, VF32 wl, VF32 h, VF32 t, hn::Mask<DF32> small) {
  const VF32 one = hn::Set(d, 1.0f);
  const VF32 sw = hn::Mul(s, w);
  const VF32 mh = hn::Sub(sw, one);
  const VF32 ml = hn::MulAdd(s, wl, hn::Sub(sw, hn::Add(mh, one)));
  const VF32 m0h = hn::Add(h, t);
  const VF32 m0l = hn::Sub(t, hn::Sub(m0h, h));
  return {hn::IfThenElse(small, m0h, mh), hn::IfThenElse(small, m0l, ml)};
}

// elu = x > 0 ? x : alpha·(e^x - 1), alpha > 0. e^x - 1 = s·(w + wl) - 1: s·w - 1 by Fast2Sum
// (|s·w| <= 1; s·w exact), or h + t where k = 0 (no cancellation to undo). x clamped to -25
// (e^-25 < 2^-36: alpha·(e^x - 1) rounds as alpha·(-1) does, to within 2^-36).
struct Elu {
  static constexpr float kSlowBelow = -std::numeric_limits<float>::infinity();
  float alpha;
  HWY_INLINE VF32 operator()(DF32 d, VF32 x) const {
    const VF32 one = hn::Set(d, 1.0f);
    const VF32 z = hn::Max(hn::Set(d, -25.0f), hn::Min(hn::Zero(d), x));  // NaN kept (second operand)
    const ExpSplit e = Exp(d, z, hn::Zero(d));
    const OnePlus p = OnePlusHT(d, e);
    const Pair32 m = Expm1Pair(d, e.s, p.w, p.wl, e.h, e.t, hn::Eq(e.s, one));
    const VF32 va = hn::Set(d, alpha);
    const VF32 y = hn::MulAdd(va, m.h, hn::Mul(va, m.l));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, y);
  }
};

// mish = x·tanh(softplus(x)) = x·N/D without a logarithm (tanh(log(1 + e^x)) = ((1 + e^x)² - 1)/
// ((1 + e^x)² + 1)), from u = e^-|x| = s·(w + wl) (u = s·w exact, ul = s·wl):
//   x <= 0: N = 2u + u², D = 2 + N;   x > 0 (divided through by e^2x): N = 1 + 2u, D = N + 2u².
// Each sum by Fast2Sum in its case's order (2u >= u²; 1 >= 2u and 2 >= N <= 3 in exponent;
// N >= 2u²), u² = u2 + u2e exactly (FMA), the low parts (2ul, u2e, 2u·ul, the Fast2Sum errors)
// summed in float. N/D as an unrounded pair (DivPair), times x as an exact product, rounded once.
// The quotient's sensitivity to u is at most 1 (u·d(N/D)/du / (N/D)), so u's 2^-25.7 costs
// <= 0.3 ulp; with the pairs' roundings and the last one, < 1 ulp (strict: 2). Lanes below -80
// go to binary64 (near the subnormal range ul = s·wl loses bits); from 20 on mish(x) rounds to x
// (1 - N/D ~ 2e^-2x), which also keeps inf out of the products. The sign is x's (-0 included).
// |mish(x)| as an unrounded pair (ph, pl), from |x|, x <= 0 and u = e^-|x| = s·(w + wl). Shared
// with the correctly rounded tier (float_cr-inl.h), which takes u from its own, finer exp.
HWY_INLINE Pair32 MishMagnitude(DF32 d, VF32 ax, hn::Mask<DF32> neg, VF32 s, VF32 w, VF32 wl) {
  const VF32 one = hn::Set(d, 1.0f), two = hn::Set(d, 2.0f);
  const VF32 u = hn::Mul(s, w), ul = hn::Mul(s, wl);
  const VF32 u2 = hn::Mul(u, u), u2e = hn::MulSub(u, u, u2);
  const VF32 tu = hn::Add(u, u), tul = hn::Add(ul, ul);
  // N = a + b + nl
  const VF32 a = hn::IfThenElse(neg, tu, one), b = hn::IfThenElse(neg, u2, tu);
  const VF32 nh = hn::Add(a, b);
  const VF32 nl = hn::Add(hn::Sub(b, hn::Sub(nh, a)), hn::Add(tul, hn::IfThenElseZero(neg, hn::MulAdd(tu, ul, u2e))));
  // D = N + (x <= 0 ? 2 : 2u² + 2u2e + 4u·ul)
  const VF32 c = hn::IfThenElse(neg, two, hn::Add(u2, u2));
  const VF32 cl = hn::IfThenZeroElse(neg, hn::MulAdd(hn::Add(tu, tu), ul, hn::Add(u2e, u2e)));
  const VF32 da = hn::IfThenElse(neg, two, nh), db = hn::IfThenElse(neg, nh, c);
  const VF32 dh = hn::Add(da, db);
  const VF32 dl = hn::Add(hn::Sub(db, hn::Sub(dh, da)), hn::Add(nl, cl));
  const Pair32 q = DivPair(d, nh, nl, dh, dl);
  const VF32 ph = hn::Mul(ax, q.h);
  return {ph, hn::MulAdd(ax, q.l, hn::MulSub(ax, q.h, ph))};
}

struct Mish {
  static constexpr float kSlowBelow = -80.0f;
  HWY_INLINE VF32 operator()(DF32 d, VF32 x) const {
    const ExpSplit e = Exp(d, NegAbsClamped(d, x), hn::Zero(d));
    const OnePlus p = OnePlusHT(d, e);
    const Pair32 m = MishMagnitude(d, hn::Abs(x), hn::Le(x, hn::Zero(d)), e.s, p.w, p.wl);
    return hn::CopySign(hn::IfThenElse(hn::Gt(x, hn::Set(d, 20.0f)), x, hn::Add(m.h, m.l)), x);
  }
};

// softplus = max(x, 0) + L, L = log(1 + u), u = e^-|x| = s·(w + wl), 1 + u = dh + dl (a pair,
// OnePlusScaled; dh in [1, 2]). log(dh): dh = 2 gives ln2 (u rounds 1 + u up to 2; m = 1);
// otherwise m = dh, i = its top 4 fraction bits, and with kLogInv[i] ~ 1/(1 + (i + 1/2)/16):
//   m·kLogInv[i] = ph + pe exactly (FMA), r = ph - 1 exactly (Sterbenz), |r| <= 0.0286,
//   log(dh + dl) = -log(kLogInv[i]) + log1p(r) + (pe + dl·kLogInv[i])/(1 + r),
// -log(kLogInv[i]) a float pair (Sollya, err < 2^-48). Where i = 0 (u < 0.0625) r is u = s·w
// itself and pe its low part s·wl (r in [0, 0.0625]): through dh + dl, whose rounding is 2^-48,
// a small u would lose its relative accuracy. log1p(r) = r - r²/2 + r³·P(r), r² = r2 + r2e
// exactly, P the degree-4 binary32 minimax of (log1p(r) - r + r²/2)/r³ on [-0.029, 0.0626]
// (sup |r³P - (log1p(r) - r + r²/2)| = 2^-40.1; Sollya), 1/(1 + r) = 1 - r + r² (to r³).
// T + r - r2/2 by two Fast2Sums, the small rest (< 2^-17 but the pe terms, < 2^-23) summed in
// float: the logarithm errs by < 2^-36 of L. x + L by Fast2Sum in order of magnitude, one
// rounding. u's error (2^-25.7 here) reaches L weighted by u/((1 + u)·L) <= 1: < 0.8 ulp
// (strict: 1). Lanes below -87 (u, the result, subnormal) go to binary64; from 20 on softplus
// rounds to x (L < 2^-28.8 < ulp(x)/4), which also keeps inf out.
alignas(64) constexpr float kLogInv[16] = {
    0x1p0f,        0x1.d41d42p-1f, 0x1.bacf92p-1f, 0x1.a41a42p-1f, 0x1.8f9c18p-1f, 0x1.7d05f4p-1f,
    0x1.6c16c2p-1f, 0x1.5c9882p-1f, 0x1.4e5e0ap-1f, 0x1.414142p-1f, 0x1.3521dp-1f,  0x1.29e412p-1f,
    0x1.1f7048p-1f, 0x1.15b1e6p-1f, 0x1.0c9714p-1f, 0x1.041042p-1f};
alignas(64) constexpr float kLogTHi[16] = {  // -log(kLogInv[i]) = kLogTHi[i] + kLogTLo[i]
    0.0f,          0x1.6f0d28p-4f, 0x1.29552cp-3f, 0x1.9525a8p-3f, 0x1.fb918cp-3f, 0x1.2e8e2cp-2f,
    0x1.5d1bdap-2f, 0x1.89a33ap-2f, 0x1.b44f7ap-2f, 0x1.dd469ep-2f, 0x1.02552ap-1f, 0x1.154c3ep-1f,
    0x1.2795ep-1f,  0x1.393e0ep-1f, 0x1.4a4f88p-1f, 0x1.5ad402p-1f};
alignas(64) constexpr float kLogTLo[16] = {
    0.0f,             -0x1.a35296p-29f, 0x1.07fd4cp-29f,  0x1.e8ad7p-32f,   -0x1.50e0dep-30f, -0x1.1ee2dp-30f,
    0x1.560274p-28f,  0x1.18284cp-27f,  -0x1.c66e14p-27f, -0x1.3e3b54p-30f, -0x1.2d178p-28f,  0x1.fa6af8p-28f,
    0x1.d13624p-26f,  -0x1.b53abcp-26f, -0x1.13f04ep-27f, 0x1.a6b3e8p-26f};

// 2^(i/16) = kExp2Hi[i] + kExp2Lo[i], i = 0..15 (each the nearest float; Sollya; the pair errs
// by < 2^-49 relative).
alignas(64) constexpr float kExp2Hi[16] = {
    0x1p0f,        0x1.0b5586p0f, 0x1.172b84p0f, 0x1.2387a6p0f, 0x1.306fep0f,  0x1.3dea64p0f,
    0x1.4bfdaep0f, 0x1.5ab07ep0f, 0x1.6a09e6p0f, 0x1.7a1148p0f, 0x1.8ace54p0f, 0x1.9c4918p0f,
    0x1.ae89fap0f, 0x1.c199bep0f, 0x1.d5818ep0f, 0x1.ea4afap0f};
alignas(64) constexpr float kExp2Lo[16] = {
    0.0f,             0x1.9f3122p-25f,  -0x1.c15742p-27f, 0x1.ceac48p-25f, 0x1.4636e2p-25f, 0x1.824684p-25f,
    -0x1.593abcp-25f, -0x1.5bd5ecp-27f, 0x1.9fcef4p-26f,  -0x1.829fdp-25f, 0x1.15506ep-27f, 0x1.51f848p-27f,
    -0x1.a94b14p-26f, -0x1.3d56b2p-27f, -0x1.822dbcp-27f, 0x1.52486cp-27f};

// A 16-entry float table held in registers (one vector of 16 lanes, or two of 8), looked up at
// idx & 15: one permute on 16 lanes, two and a select on 8.
struct Lut16 {
  static constexpr size_t kLanes = hn::MaxLanes(DF32());
  static_assert(kLanes == 16 || kLanes == 8, "float_native-inl.h: 8 or 16 float lanes");
  VF32 lo, hi;  // hi: entries 8..15 on 8 lanes (unused on 16)
  HWY_INLINE Lut16(DF32 d, const float* table) : lo(hn::Load(d, table)), hi(kLanes == 8 ? hn::Load(d, table + 8) : lo) {}
  HWY_INLINE VF32 operator()(DF32 d, hn::Vec<DI32> idx) const {
    const DI32 di;
    if constexpr (kLanes == 16) {
      return hn::TableLookupLanes(lo, hn::IndicesFromVec(d, hn::And(idx, hn::Set(di, 15))));
    } else {
      const auto low3 = hn::IndicesFromVec(d, hn::And(idx, hn::Set(di, 7)));
      const VF32 a = hn::TableLookupLanes(lo, low3), b = hn::TableLookupLanes(hi, low3);
      return hn::IfThenElse(hn::RebindMask(d, hn::Ne(hn::And(idx, hn::Set(di, 8)), hn::Zero(di))), b, a);
    }
  }
};
HWY_INLINE VF32 Table16(DF32 d, const float* table, hn::Vec<DI32> idx) { return Lut16(d, table)(d, idx); }

// softplus(x) as an unrounded pair, from u = e^-|x| = s·(w + wl) (see above). Shared with the
// correctly rounded tier, which takes u from its own, finer exp.
HWY_INLINE Pair32 SoftplusFromExp(DF32 d, VF32 x, VF32 s, VF32 w, VF32 wl) {
  const DI32 di;
  const VF32 one = hn::Set(d, 1.0f), two = hn::Set(d, 2.0f);
  const Pair32 D = OnePlusScaled(d, s, OnePlus{w, wl});
  const auto at2 = hn::Eq(D.h, two);
  const VF32 m = hn::IfThenElse(at2, one, D.h);
  const auto idx = hn::ShiftRight<19>(hn::BitCast(di, m));  // low 4 bits: m's top fraction bits
  // i = 0 (u < 0.0625): r = u = s·w exactly and its low part s·wl, not via dh + dl, whose
  // rounding (2^-48) would be too coarse next to a small u.
  const auto i0 = hn::AndNot(at2, hn::RebindMask(d, hn::Eq(hn::And(idx, hn::Set(di, 15)), hn::Zero(di))));
  const VF32 inv = Table16(d, kLogInv, idx);
  const VF32 ph = hn::Mul(m, inv);
  const VF32 pe = hn::IfThenElse(i0, hn::Mul(s, wl), hn::MulSub(m, inv, ph));
  const VF32 r = hn::IfThenElse(i0, hn::Mul(s, w), hn::Sub(ph, one));
  // log1p(r) = r - r²/2 + r³·P(r), r² = r2 + r2e exactly.
  const VF32 r2 = hn::Mul(r, r);
  const VF32 r2e = hn::MulSub(r, r, r2);
  const VF32 h2 = hn::Mul(r2, hn::Set(d, -0.5f));
  VF32 P = hn::Set(d, 0x1.11a06ep-3f);
  P = hn::MulAdd(P, r, hn::Set(d, -0x1.54f082p-3f));
  P = hn::MulAdd(P, r, hn::Set(d, 0x1.9996fp-3f));
  P = hn::MulAdd(P, r, hn::Set(d, -0x1.000006p-2f));
  P = hn::MulAdd(P, r, hn::Set(d, 0x1.555556p-2f));
  // The big terms T + r - r2/2 by two Fast2Sums (|T + r| >= |r| >= r2/2 or T >= 0.089).
  const VF32 thi = hn::Add(Table16(d, kLogTHi, idx), hn::IfThenElseZero(at2, hn::Set(d, kLn2HiF)));
  const VF32 a1 = hn::Add(thi, r);
  const VF32 e1 = hn::Sub(r, hn::Sub(a1, thi));
  const VF32 lh = hn::Add(a1, h2);
  const VF32 e2 = hn::Sub(h2, hn::Sub(lh, a1));
  // The small ones: T's low part (+ ln2's at 2), r³P - r2e/2, (pe + dl/m·(1 + r)) / (1 + r) with
  // 1/(1 + r) = 1 - r + r² (to r³).
  const VF32 tlo = hn::Add(Table16(d, kLogTLo, idx), hn::IfThenElseZero(at2, hn::Set(d, kLn2LoF)));
  const VF32 dlm = hn::IfThenZeroElse(i0, hn::Mul(D.l, hn::IfThenElse(at2, hn::Set(d, 0.5f), inv)));
  const VF32 f = hn::Add(hn::Sub(one, r), r2);
  const VF32 cubic = hn::MulAdd(hn::Mul(r2, r), P, hn::Mul(r2e, hn::Set(d, -0.5f)));
  const VF32 small = hn::Add(hn::Add(hn::Add(e1, e2), tlo), hn::MulAdd(hn::Add(pe, dlm), f, cubic));
  // x + L where x > 0: Fast2Sum of the larger and the smaller.
  const VF32 xp = hn::Max(x, hn::Zero(d));
  const VF32 big = hn::Max(xp, lh), lit = hn::Min(xp, lh);
  const VF32 sh = hn::Add(big, lit);
  return {sh, hn::Add(hn::Sub(lit, hn::Sub(sh, big)), small)};
}

struct Softplus {
  static constexpr float kSlowBelow = -87.0f;
  HWY_INLINE VF32 operator()(DF32 d, VF32 x) const {
    const ExpSplit e = Exp(d, NegAbsClamped(d, x), hn::Zero(d));
    const OnePlus p = OnePlusHT(d, e);
    const Pair32 y = SoftplusFromExp(d, x, e.s, p.w, p.wl);
    return hn::IfThenElse(hn::Gt(x, hn::Set(d, 20.0f)), x, hn::Add(y.h, y.l));
  }
};

// From this many elements (kStreamBytes, 16 MiB) on, the output goes out with non-temporal
// stores: it cannot stay in the caches anyway (32 MiB of L3 here), and streaming skips reading
// each output line before writing it, a third of the memory traffic.
constexpr size_t kStreamFrom = kStreamBytes / sizeof(float);

// Runs op over x; a vector with a lane below Op::kSlowBelow goes to `slow` (the binary64 kernel).
template <class Op, class Slow>
HWY_INLINE void Loop(const float* x, float* y, size_t n, const Op& op, const Slow& slow) {
  const DF32 d;
  const size_t N = hn::Lanes(d);
  const VF32 below = hn::Set(d, Op::kSlowBelow);
  // Whether a vector goes to `slow`; never for the ops that have no slow range (-inf).
  auto is_slow = [&](VF32 v) {
    if constexpr (Op::kSlowBelow == -std::numeric_limits<float>::infinity()) return false;
    return !hn::AllFalse(d, hn::Lt(v, below));
  };
  // Fewer than N elements, through a buffer.
  auto partial = [&](size_t i, size_t m) {
    HWY_ALIGN float buf[kMaxLanes] = {};
    std::memcpy(buf, x + i, m * sizeof(float));
    const VF32 v = hn::Load(d, buf);
    if (is_slow(v)) {
      slow(x + i, y + i, m);
      return;
    }
    hn::Store(op(d, v), d, buf);
    std::memcpy(y + i, buf, m * sizeof(float));
  };
  auto run = [&](size_t i, size_t end, auto stream) {
    for (; i + N <= end; i += N) {
      const VF32 v = hn::LoadU(d, x + i);
      if (HWY_UNLIKELY(is_slow(v))) {
        slow(x + i, y + i, N);
        continue;
      }
      if constexpr (decltype(stream)::value) {
        hn::Stream(op(d, v), d, y + i);
      } else {
        hn::StoreU(op(d, v), d, y + i);
      }
    }
    return i;
  };
  size_t i = 0;
  if (n >= kStreamFrom) {
    // Peel up to y's vector alignment, stream the aligned middle.
    const size_t peel = ((N * sizeof(float) - reinterpret_cast<uintptr_t>(y) % (N * sizeof(float))) % (N * sizeof(float))) / sizeof(float);
    if (reinterpret_cast<uintptr_t>(y) % sizeof(float) == 0) {
      if (peel > 0) partial(0, peel);
      i = run(peel, n, std::true_type());
      hwy::FlushStream();
    }
  }
  i = run(i, n, std::false_type());
  if (i < n) partial(i, n - i);
}

// ---------------------------------------------------------------------------------------------
// Rows (softmax, log_softmax, logsumexp, cross_entropy) on float lanes. Per row:
//   1. the maximum m (rows with a NaN, an infinity or |z| >= 2^100 go to the scalar kernel);
//   2. z - m = dh + dl exactly (Fast2Sum or TwoSum), e = e^(dh + dl) rounded to float and its
//      rounding error err (ExpRowNormal: e + err within 2^-27.5 relative); S = sum of e in
//      binary64 plus sum of err (each < 2^-24 of its term) in float: S errs by < 2^-27.5
//      relative (the exp error; the sums add < n·2^-53);
//   3. softmax: e_i rounded to float and stored in pass 2, then out_i = e_i·(1/S) with 1/S as a
//      float pair: e_i's rounding (relative 2^-24: up to 1 ulp of out_i, where e_i is at the
//      bottom of its binade and out_i at the top of its own), its exp error and S's (2^-27.5
//      each: 0.18 ulp together), and the last rounding: < 1.7 ulp (rows whose e·il would
//      underflow are scaled, see there). log_softmax: (z - W) - Wl, W = fl(m + L) and Wl =
//      L - (W - m) (binary64, W - m exact where it matters: Sterbenz when L is small beside m),
//      L = log S in binary64 (as log(count of maxima) + log1p(rest/count), so that a dominant
//      logit keeps L's relative accuracy). z - W is exact where it cancels (Sterbenz); where not,
//      |z - W| >= |W|/2 >> |Wl| and its rounding costs <= 0.5 ulp, 1 where z - W sits just above a
//      power of 2 and the result just below it; L's error (2^-27.5 relative to min(1, rest))
//      <= 0.13 ulp: < 1.7 ulp. logsumexp: m + L (< 0.7 ulp; rows where it cancels go to the
//      scalar kernel). cross_entropy: (m - z[t]) + L in binary64, rounded by the caller.
// Lanes with dh < -87 (e below the normal range) take a two-step scaling 2^k1·2^k2 so that the
// stored e is rounded about once (< 0.75 ulp of the subnormal result).

// e^(dh + dl) rounded to float (for softmax's store), and what the row sum needs.
struct ExpRounded {
  VF32 e;             // rounded to float (subnormals rounded about once)
  VF32 err;           // normal lanes: the rest of the value (e + err is within 2^-27.5 of it)
  bool deep;         // a lane below the normal range: the sum takes (wh + wlo)·2^k instead
  VF32 wh, wlo, k;    // deep only; wh = wlo = 0 where the value is below 2^-150
};

// The rows' exp on the normal range, dh in [-87, 0], |dl| <= ulp(dh)/2, by Tang's table method:
//   dh + dl = M·ln2/16 + t,  M = round(dh·16/ln2) = 16k + j (|M| <= 2008),  |t| <= 0.0217,
//   e^(dh + dl) = 2^k·T_j·e^t,  T_j = 2^(j/16) = kExp2Hi[j]·(1 + R_j),  R_j = kExp2Lo[j]/kExp2Hi[j],
//   e^t ~ 1 + t + t²·(kE2 + kE3·t)  (Sollya, absolute minimax on [-0.0217, 0.0217]: 2^-29.2),
// evaluated as s + s·pR with s = 2^k·kExp2Hi[j] (exact, from M's bits and a table whose
// entries are pre-shifted by j) and pR = (t + R_j) + t²·(kE2 + kE3·t) (R_j·t, < 2^-30.5, left
// out). t0 = dh - M·kLn2d16C1 is exact (a 13-bit constant times an 11-bit M is exact, and t0 is
// a multiple of ulp(dh) or 2^-17 below 2^-5); t = t0 - (M·kLn2d16C2 - dl) rounds twice (2^-30,
// 2^-32). s·(1 + pR) errs by < 2^-29.2 (polynomial) + 2^-30 (t) + 2^-30 (t + R_j) + 2^-30
// (pR) + 2^-30.5 (R_j·t) + 2^-32 < 2^-27.5 relative. e = fl(s + s·pR) and its rounding error
// err = s·pR - (e - s) (e - s is exact by Sterbenz; the FMA rounds a 2^-24-small value).
// Against the plain Exp + OnePlusHT this is 5 vector operations fewer and 4 times as accurate.
constexpr float kLog2e16 = 0x1.715476p+4f;   // 16/ln2
constexpr float kLn2d16C1 = 0x1.62ep-5f;      // ln2/16 to 13 bits
constexpr float kLn2d16C2 = 0x1.0bfbe8p-19f;  // ln2/16 - kLn2d16C1, rounded (err < 2^-43)
constexpr float kE2 = 0x1.000222p-1f, kE3 = 0x1.555764p-3f;
// kExp2Hi[j] with j·2^19 subtracted from its bits: adding M·2^19 (mod 2^32) then adds k to the
// exponent and cancels j.
alignas(64) constexpr std::array<float, 16> kExp2HiLessJ = [] {
  std::array<float, 16> t{};
  for (uint32_t j = 0; j < 16; ++j) t[j] = std::bit_cast<float>(std::bit_cast<uint32_t>(kExp2Hi[j]) - (j << 19));
  return t;
}();
alignas(64) constexpr std::array<float, 16> kExp2Rel = [] {
  std::array<float, 16> t{};
  for (size_t j = 0; j < 16; ++j) t[j] = kExp2Lo[j] / kExp2Hi[j];
  return t;
}();

// The tables of ExpRowNormal, with 2^-K (a row's shift, below) folded into the first.
struct ExpRowTables {
  Lut16 s, rel;
  HWY_INLINE ExpRowTables(DF32 d, int shift) : s(d, kExp2HiLessJ.data()), rel(d, kExp2Rel.data()) {
    const DI32 di;
    const auto k = hn::Set(di, shift * (1 << 23));
    s.lo = hn::BitCast(d, hn::Sub(hn::BitCast(di, s.lo), k));
    s.hi = hn::BitCast(d, hn::Sub(hn::BitCast(di, s.hi), k));
  }
};

// 2^-K·e^(a + dl) (a + dl: z - m as an exact pair, K = 0; or z itself, dl = 0, with the row's
// shift K in the tables), for a in [-87, 87] with a result in [2^-126, 2].
HWY_INLINE ExpRounded ExpRowNormal(DF32 d, VF32 a, VF32 dl, const ExpRowTables& tab) {
  const DI32 di;
  const VF32 shifter = hn::Set(d, kShifter);
  const VF32 mm = hn::MulAdd(a, hn::Set(d, kLog2e16), shifter);  // 1.5·2^23 + M: bits 0x4B400000 + M
  const VF32 m = hn::Sub(mm, shifter);
  const VF32 t0 = hn::NegMulAdd(m, hn::Set(d, kLn2d16C1), a);
  const VF32 t = hn::Sub(t0, hn::MulSub(m, hn::Set(d, kLn2d16C2), dl));
  const auto bits = hn::BitCast(di, mm);
  const VF32 s = hn::BitCast(d, hn::Add(hn::BitCast(di, tab.s(d, bits)), hn::ShiftLeft<19>(bits)));
  const VF32 q = hn::MulAdd(hn::Set(d, kE3), t, hn::Set(d, kE2));
  const VF32 pr = hn::MulAdd(hn::Mul(t, t), q, hn::Add(t, tab.rel(d, bits)));
  const VF32 e = hn::MulAdd(s, pr, s);
  return {e, hn::MulAdd(s, pr, hn::Sub(s, e)), false, e, e, e};
}

HWY_INLINE ExpRounded ExpRow(DF32 d, VF32 dh, VF32 dl, const ExpRowTables& tab) {
  const auto deep = hn::Lt(dh, hn::Set(d, -87.0f));
  if (HWY_LIKELY(hn::AllFalse(d, deep))) return ExpRowNormal(d, dh, dl, tab);
  // e^-104 < 2^-150 rounds to 0 either way; below -104, dl (up to 2^-24·|dh|) is dropped.
  const auto gone = hn::Lt(dh, hn::Set(d, -104.0f));
  const ExpSplit x = Exp(d, hn::IfThenElse(gone, hn::Set(d, -104.0f), dh), hn::IfThenZeroElse(gone, dl));
  const OnePlus p = OnePlusHT(d, x);
  // 2^k = 2^k1·2^k2, k1 = max(k, -100): w·2^k1 is normal (exact), ·2^k2 rounds once.
  const DI32 di;
  const VF32 k1 = hn::Max(x.k, hn::Set(d, -100.0f));
  auto pow2 = [&](VF32 k) {
    return hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(hn::ConvertTo(di, k), hn::Set(di, 127))));
  };
  const VF32 deep_e = hn::Mul(hn::Mul(p.w, pow2(k1)), pow2(hn::Sub(x.k, k1)));
  return {hn::IfThenElse(deep, deep_e, hn::Mul(x.s, p.w)), hn::Zero(d), true, hn::IfThenZeroElse(gone, p.w),
          hn::IfThenZeroElse(gone, p.wl), x.k};
}

// Adds the kept lanes of e to a binary64 sum (the float vector's halves widened) and their
// small parts to a float sum.
// masked = false: every lane is kept (a whole vector of softmax), no select needed.
HWY_INLINE void Accumulate(DF32 d, const ExpRounded& e, hn::Mask<DF32> keep, bool masked, V& sum, VF32& err) {
  const DD dd;
  const hn::Half<DF32> dhalf;  // as many float lanes as one binary64 vector holds
  if (HWY_LIKELY(!e.deep)) {
    const VF32 ek = masked ? hn::IfThenElseZero(keep, e.e) : e.e;
    sum = hn::Add(sum, hn::PromoteTo(dd, hn::LowerHalf(dhalf, ek)));
    sum = hn::Add(sum, hn::PromoteTo(dd, hn::UpperHalf(dhalf, ek)));
    err = hn::Add(err, masked ? hn::IfThenElseZero(keep, e.err) : e.err);
    return;
  }
  const VF32 w = hn::IfThenElseZero(keep, e.wh), wl = hn::IfThenElseZero(keep, e.wlo);
  auto add = [&](auto half) {
    const V v = hn::Add(hn::PromoteTo(dd, half(w)), hn::PromoteTo(dd, half(wl)));
    sum = hn::MulAdd(v, Pow2(dd, hn::PromoteTo(dd, half(e.k))), sum);
  };
  add([&](VF32 v) { return hn::LowerHalf(dhalf, v); });
  add([&](VF32 v) { return hn::UpperHalf(dhalf, v); });
}

HWY_INLINE void TwoSum32(VF32 a, VF32 b, VF32& s, VF32& e) {
  s = hn::Add(a, b);
  const VF32 bb = hn::Sub(s, a);
  e = hn::Add(hn::Sub(a, hn::Sub(s, bb)), hn::Sub(b, bb));
}

// z - m = dh + dl exactly: Fast2Sum where |m| >= |z| for the whole row (`ordered`: m >= 0 and
// min >= -m, the usual case), else TwoSum.
HWY_INLINE void Diff(VF32 v, VF32 vm, VF32 nm, bool ordered, VF32& dh, VF32& dl) {
  if (ordered) {
    dh = hn::Add(v, nm);
    dl = hn::Sub(v, hn::Add(dh, vm));
  } else {
    TwoSum32(v, nm, dh, dl);
  }
}

// Calls f(i, v, live, full) for each vector of the row: full (std::true_type) vectors have every
// lane live; the tail is padded with z[0] and `live` masks it.
template <class F>
HWY_INLINE void ForEachVector(DF32 d, const float* z, size_t c, const F& f) {
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= c; i += N) f(i, hn::LoadU(d, z + i), hn::FirstN(d, N), std::true_type());
  if (i < c) {
    const auto live = hn::FirstN(d, c - i);  // masked-off lanes are not read (no fault)
    f(i, hn::IfThenElse(live, hn::MaskedLoad(live, d, z + i), hn::Set(d, z[0])), live, std::false_type());
  }
}
template <class F>
HWY_INLINE void MapRow(DF32 d, const float* z, float* out, size_t c, const F& f) {
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= c; i += N) hn::StoreU(f(hn::LoadU(d, z + i)), d, out + i);
  if (i < c) {
    const auto live = hn::FirstN(d, c - i);
    hn::BlendedStore(f(hn::MaskedLoad(live, d, z + i)), live, d, out + i);
  }
}

// Rows with a NaN, an infinity or a magnitude >= 2^100 go to the scalar kernel. cross_entropy
// (fused: the probabilities are never formed) writes one double per row to ce.
HWY_INLINE bool Rows(int mode, const float* z, const int64_t* t, size_t n, size_t c, float* out, double* ce) {
  const DF32 d;
  const DD dd;
  for (size_t row = 0; row < n; ++row) {
    const float* zr = z + row * c;
    VF32 mx = hn::Set(d, -std::numeric_limits<float>::infinity());
    VF32 mn = hn::Neg(mx);
    auto nan = hn::Lt(mx, mx);  // infinities and huge values show in m and least
    ForEachVector(d, zr, c, [&](size_t, VF32 v, auto, auto) {
      nan = hn::Or(nan, hn::IsNaN(v));
      mx = hn::Max(mx, v);
      mn = hn::Min(mn, v);
    });
    const float m = hn::GetLane(hn::MaxOfLanes(d, mx));
    const float least = hn::GetLane(hn::MinOfLanes(d, mn));
    // (m and least are meaningless where a NaN is; the row goes to the scalar kernel then.)
    if (!(m < 0x1p100f && least > -0x1p100f) || !hn::AllFalse(d, nan)) {
      if (mode == kCrossEntropy) {
        ce[row] = ScalarCrossEntropy(zr, c, t[row]);
      } else {
        ScalarRowFallback(mode, zr, c, mode == kLogsumexp ? out + row : out + row * c);
      }
      continue;
    }
    const bool ordered = m >= 0 && -least <= m;
    const VF32 vm = hn::Set(d, m), nm = hn::Set(d, -m);
    // Moderate rows (the usual logits: |z| <= 87, spread < 86) skip the subtraction z - m and the
    // check for deep lanes: they sum 2^-K·e^z = e^(z - m)·e^(m - K·ln2), K = ceil(m/ln2), with
    // e^z reduced from z itself and 2^-K folded into the table. Every such value lies in
    // [e^(least - m - ln2), 1], normal; the common factor e^(m - K·ln2) in (1/2, 1] cancels in
    // softmax's quotient and is divided out of the sum, in binary64, for the logarithm.
    const bool moderate = m <= 87.0f && least >= -87.0f && m - least < 86.0f;
    const int shift = moderate ? static_cast<int>(std::ceil(m / std::numbers::ln2)) : 0;
    const ExpRowTables tables(d, shift);
    V sum = hn::Zero(dd);
    VF32 err = hn::Zero(d), cnt = hn::Zero(d);
    const bool store = mode == kSoftmax;
    float* yr = mode == kSoftmax || mode == kLogSoftmax ? out + row * c : nullptr;  // one value per row otherwise
    const bool split_top = mode != kSoftmax;
    auto pass2 = [&](auto moderate_row) {
      ForEachVector(d, zr, c, [&](size_t i, VF32 v, auto live, auto full) {
        ExpRounded e;
        if constexpr (decltype(moderate_row)::value) {
          e = ExpRowNormal(d, v, hn::Zero(d), tables);
        } else {
          VF32 dh, dl;
          Diff(v, vm, nm, ordered, dh, dl);
          e = ExpRow(d, dh, dl, tables);
        }
        auto keep = live;
        if (split_top) {
          const auto top = hn::And(live, hn::Eq(v, vm));
          cnt = hn::Add(cnt, hn::IfThenElseZero(top, hn::Set(d, 1.0f)));
          keep = hn::AndNot(top, live);
        }
        Accumulate(d, e, keep, !decltype(full)::value || split_top, sum, err);
        if (store) {
          if (decltype(full)::value) {
            hn::StoreU(e.e, d, yr + i);
          } else {
            hn::BlendedStore(e.e, live, d, yr + i);
          }
        }
      });
    };
    if (moderate) {
      pass2(std::true_type());
    } else {
      pass2(std::false_type());
    }
    double rest = hn::GetLane(hn::SumOfLanes(dd, sum)) + static_cast<double>(hn::GetLane(hn::SumOfLanes(d, err)));
    if (store) {
      const double inv = 1.0 / rest;
      const float ih = static_cast<float>(inv), il = static_cast<float>(inv - ih);
      const VF32 vih = hn::Set(d, ih), vil = hn::Set(d, il);
      // Every result is at least e^(least - m - ln2)/c: where that is above 2^-100, e·il is normal.
      if (m - least + std::log(static_cast<double>(c)) < 68.0) {
        MapRow(d, yr, yr, c, [&](VF32 e) { return hn::MulAdd(e, vih, hn::Mul(e, vil)); });
      } else {
        // e·il below the normal range would be rounded to the subnormal grid, up to half an ulp
        // of a result near 2^-126: scale e by 2^64 (exact) and the product back (a second
        // rounding only where the result is subnormal: < 0.5 + 0.5 ulp from the two).
        const VF32 up = hn::Set(d, 0x1p64f), down = hn::Set(d, 0x1p-64f);
        MapRow(d, yr, yr, c, [&](VF32 e) {
          const VF32 eu = hn::Mul(e, up);
          return hn::Mul(hn::MulAdd(eu, vih, hn::Mul(eu, vil)), down);
        });
      }
      continue;
    }
    if (moderate) rest *= std::exp(shift * std::numbers::ln2 - m);  // error 2^-46 relative
    const double k = hn::GetLane(hn::SumOfLanes(d, cnt));
    const double L = std::log(k) + std::log1p(rest / k);
    if (mode == kCrossEntropy) {
      // (m - z[t]) + L, both >= 0 (m - z[t] exact in binary64 but where z[t] is negligible):
      // L's error (2^-27.5 relative to min(1, rest)) is below 2^-27 of the sum, which is L
      // itself where z[t] = m and >= log 2 elsewhere.
      ce[row] = (static_cast<double>(m) - zr[t[row]]) + L;
      continue;
    }
    if (mode == kLogsumexp) {
      // L's absolute error (< 2^-27.5) would be billions of ulps of a result near 2^-40 where
      // m + L cancels; LogsumexpF32 sends those rows to the scalar kernel. Elsewhere < 0.7 ulp.
      LogsumexpF32(zr, c, m, L, out + row);
      continue;
    }
    const float w = static_cast<float>(m + L);
    const float wl = static_cast<float>(L - (static_cast<double>(w) - m));
    const VF32 vw = hn::Set(d, w), vwl = hn::Set(d, wl);
    MapRow(d, zr, yr, c, [&](VF32 v) { return hn::Sub(hn::Sub(v, vw), vwl); });
  }
  return true;
}

// binary_cross_entropy_with_logits (w = pos_weight = 1) for |s| <= 87 (the caller sends other
// vectors to the double-word kernel): L + T with L = log1p(e^-|s|) = softplus(-|s|) as an
// unrounded pair (SoftplusFromExp: within 2^-25.7 of L, relative) and T = (s > 0 ? 1 - y : -y)·s
// as an exact pair (1 - y by Fast2Sum, y in [0, 1]; the products split by the FMA; T = 0 where
// y = 1, s > 0 or y = 0, s <= 0, as the spec's guards say). Both are >= 0: TwoSum of the high
// parts, the low parts added, one rounding: < 0.5 + 0.31 ulp (strict: 2).
HWY_INLINE VF32 BceLogits(DF32 d, VF32 y, VF32 s) {
  const VF32 z = NegAbsClamped(d, s);
  const ExpSplit e = Exp(d, z, hn::Zero(d));
  const OnePlus p = OnePlusHT(d, e);
  const Pair32 L = SoftplusFromExp(d, z, e.s, p.w, p.wl);
  const auto pos = hn::Gt(s, hn::Zero(d));
  const VF32 one = hn::Set(d, 1.0f);
  const VF32 omy = hn::Sub(one, y), omyl = hn::Sub(hn::Sub(one, omy), y);
  const VF32 fh = hn::IfThenElse(pos, omy, hn::Neg(y)), fl = hn::IfThenElseZero(pos, omyl);
  const VF32 th = hn::Mul(fh, s);
  const VF32 tl = hn::MulAdd(fl, s, hn::MulSub(fh, s, th));
  VF32 hi, lo;
  TwoSum32(L.h, th, hi, lo);
  return hn::Add(hi, hn::Add(lo, hn::Add(L.l, tl)));
}

}  // namespace fnative
