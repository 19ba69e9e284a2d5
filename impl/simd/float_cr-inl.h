// The float32 correctly rounded tier of sigmoid, tanh, silu and elu on float lanes (AVX2,
// AVX-512). A fragment of kernels.cpp, included after float_native-inl.h inside the per-target
// namespace (once per Highway target, hence no include guard).
//
// Ziv's strategy in two steps. Step 1 evaluates each lane as an unrounded float pair hi + lo
// with a stated error bound (below), rounds it, and checks that every value within the bound
// rounds the same way (RoundChecked). Step 2 takes the lanes that fail the check (and the
// ranges step 1 does not cover) to the binary64 kernel with its own rounding test and, behind
// that, the binary128 scalar (LoopF32 with cr_fallback.cpp). The failing lanes are gathered
// into batches, so a vector with one hard lane does not cost sixteen slow ones. Step 2 takes
// 0.6-0.9% of the lanes of uniform inputs in [-12, 12], 0.8% (sigmoid, silu) to 2.4% (tanh) of
// normal(0, 1) ones.
//
// Step 1's exp (ExpAccurate) is accurate to 2^-32 rather than the fast tier's 2^-25.7, by a
// second range reduction through a 16-entry table:
//   z = k·ln2 + j·ln2/16 + r,  k = round(z·log2e), j = round(h1·16/ln2) in [-8, 8],
//   e^z = 2^(M >> 4)·T[M & 15]·e^r,  M = 16k + j,  T[i] = 2^(i/16) as a float pair (err 2^-49).
// h1 = z - k·LN2_HI and h = h1 - j·LN2D16_HI are exact (15- and 19-bit constants, Sterbenz);
// ct = k·LN2_LO + j·LN2D16_LO (|ct| < 2^-12.2) and r = h - ct, |r| <= 0.0219, and
//   e^r = 1 + h + t,  t = r²·P(r) - ct,  P the degree-2 binary32 minimax of (e^r - 1 - r)/r²
// (sup |r²P - (e^r - 1 - r)| = 2^-36.4; Sollya, printed in the comment of kP1). Because t is
// tiny (|t| < 2^-11.2), its float roundings cost little: absolute errors in t, with
// k <= 126: LN2_LO's representation 2^-37, c and ct roundings 2^-37 each, r's rounding through
// r² 2^-35.5, P 2^-36.4, P's and r²'s roundings 2^-36 and 2^-37, t's own 2^-36; sum 2^-33.4.
// T·(1 + h + t) is then summed as Thi + Thi·h (exact product, Fast2Sum) + one rounded low
// part (2^-35; Tlo·t, < 2^-35.2, left out), and normalized: e^z = s·(w + wl) with |error| <
// 2^-32.4·Thi <= 2^-32.3·(w + wl) (e^r >= 0.978).
//
// Error bounds of the pairs (what RoundChecked is given; first order, with margin):
//   sigmoid, silu: relative 2^-31.5 (exp's 2^-32.3, weighted by <= 1; division 2^-43).
//   tanh where M != 0: absolute 2^-32 (e's absolute error times 2/(1 + e)² <= 1/2); elu there:
//     alpha·2^-31.5. 1 - e cancels here (|x| in [0.011, 0.35] for tanh), so these lanes fail
//     the check more often (up to a third near |x| = 0.02, 2% near 0.3).
//   tanh, elu where M = 0 (|z| < 0.0217): e^z - 1 = h + t with h = z exact and t's error
//     below 2^-21·|t|, a bound relative to t (~z²/2), so small arguments pass.
// The proof that matters is exhaustive: every binary32 input, in each FMA target
// (docs/sweeps/binary32-simd-cr*); rerun `scripts/sweep-all.sh --impl simd-cr` after a change.
namespace fcr {

// Lambdas do not take HWY_INLINE; step 1, used in several places, must not become a call.
#ifndef NNC_ALWAYS_INLINE
#define NNC_ALWAYS_INLINE __attribute__((always_inline))
#endif

using fnative::DF32;
using fnative::DI32;
using fnative::Pair32;
using fnative::VF32;

constexpr float kLog2e16F = 0x1.715476p+4f;   // 16/ln2
constexpr float kLn2d16HiF = 0x1.62e44p-5f;   // ln2/16 to 19 bits: j·kLn2d16HiF is exact, |j| <= 8
constexpr float kLn2d16LoF = -0x1.0105c6p-25f;  // ln2/16 - kLn2d16HiF, rounded (err < 2^-49)
// P(r) = 1/2 + kP1·r + kP2·r²: Sollya, fpminimax((exp(x)-1-x)/x^2, 2, [|single...|],
// [-0.0222; 0.0222], relative); sup |r²P - (e^r - 1 - r)| = 1.14e-11 = 2^-36.4.
constexpr float kP1 = 0x1.5556f2p-3f;
constexpr float kP2 = 0x1.55562ap-5f;

struct ExpAcc {
  VF32 s;             // 2^(M >> 4), normal
  VF32 w, wl;         // e^z = s·(w + wl), |wl| <= ulp(w)/2
  VF32 h, t;          // where M = 0: e^z - 1 = h + t, h = z exactly
  hn::Mask<DF32> m0;  // k = j = 0 (then h = z; otherwise h != z)
};

// e^z for z in [-87.3, 0] (see the top of the file). NaN in z gives NaN in w, h, t.
HWY_INLINE ExpAcc ExpAccurate(DF32 d, VF32 z) {
  const DI32 di;
  const VF32 shifter = hn::Set(d, fnative::kShifter);
  const VF32 km = hn::MulAdd(z, hn::Set(d, fnative::kLog2eF), shifter);  // 1.5·2^23 + k
  const VF32 k = hn::Sub(km, shifter);
  const VF32 h1 = hn::NegMulAdd(k, hn::Set(d, fnative::kLn2HiF), z);
  const VF32 c = hn::Mul(k, hn::Set(d, fnative::kLn2LoF));
  const VF32 jm = hn::MulAdd(h1, hn::Set(d, kLog2e16F), shifter);  // 1.5·2^23 + j
  const VF32 j = hn::Sub(jm, shifter);
  const VF32 h = hn::NegMulAdd(j, hn::Set(d, kLn2d16HiF), h1);
  const VF32 ct = hn::MulAdd(j, hn::Set(d, kLn2d16LoF), c);
  const VF32 r = hn::Sub(h, ct);
  const VF32 P = hn::MulAdd(hn::MulAdd(hn::Set(d, kP2), r, hn::Set(d, kP1)), r, hn::Set(d, 0.5f));
  const VF32 t = hn::MulSub(hn::Mul(r, r), P, ct);
  // M = 16k + j: M & 15 = j & 15 (the low 4 bits of jm's pattern 0x4B400000 + j), M >> 4 = k + (j >> 4),
  // so s = 2^(k + (j >> 4)) from km's pattern 0x4B400000 + k as in fnative::Exp.
  const auto idx = hn::BitCast(di, jm);
  const auto jneg = hn::ShiftRight<4>(hn::Sub(idx, hn::Set(di, 0x4B400000)));  // j >> 4: -1 or 0
  const VF32 s = hn::BitCast(
      d, hn::ShiftLeft<23>(hn::Add(hn::Add(hn::BitCast(di, km), jneg), hn::Set(di, 127 - (1 << 22)))));
  const VF32 thi = fnative::Table16(d, fnative::kExp2Hi, idx);
  const VF32 tlo = fnative::Table16(d, fnative::kExp2Lo, idx);
  // T·(1 + h + t) = thi + thi·h + [thi·t + tlo·(1 + h)] (tlo·t < 2^-35.2 dropped): thi·h = p + pe
  // exactly, thi + p = w0 + e1 exactly (Fast2Sum, |p| < thi), the bracket rounded once.
  const VF32 p = hn::Mul(thi, h);
  const VF32 pe = hn::MulSub(thi, h, p);
  const VF32 w0 = hn::Add(thi, p);
  const VF32 e1 = hn::Add(hn::Sub(thi, w0), p);
  const VF32 low = hn::MulAdd(thi, t, hn::Add(hn::Add(e1, pe), hn::MulAdd(tlo, h, tlo)));
  const VF32 w = hn::Add(w0, low);
  return {s, w, hn::Sub(low, hn::Sub(w, w0)), h, t, hn::Eq(h, z)};
}

// What step 1 gives per lane: the value (hi + lo)·scale with |error of hi + lo| <= bound; scale
// is ± a power of two that keeps the result normal (so scaling the rounded hi + lo is exact),
// and carries the sign where a zero result must keep it. defer: lanes for step 2 whatever the
// check says (ranges step 1 does not cover).
struct Unrounded {
  VF32 hi, lo, scale, bound;
  hn::Mask<DF32> defer;
};

constexpr float kRelBound = 0x1.6a09e6p-32f;  // 2^-31.5: sigmoid, silu (relative); elu/alpha (absolute)
constexpr float kAbsBound = 0x1p-32f;          // tanh where M != 0 (absolute)
constexpr float kTBound = 0x1p-21f;            // tanh, elu/alpha where M = 0 (times |t|)
constexpr float kFloor = 0x1p-140f;            // absolute: t's underflow, subnormal steps in the division

// Logistic pieces shared by sigmoid and silu: e = e^-|x| = s·(w + wl), D = 1 + e as a pair.
// |x| is clamped to 87; lanes below -87 (subnormal results) are deferred.
struct Logistic {
  ExpAcc e;
  Pair32 D;
  hn::Mask<DF32> neg, deep;
  HWY_INLINE Logistic(DF32 d, VF32 x)
      : e(ExpAccurate(d, fnative::NegAbsClamped(d, x))),
        D(fnative::OnePlusScaled(d, e.s, {e.w, e.wl})),
        neg(hn::Lt(x, hn::Zero(d))),
        deep(hn::Lt(x, hn::Set(d, -87.0f))) {}
};

// sigmoid: x >= 0: 1/D; x < 0: s·(w + wl)/D.
struct Sigmoid {
  HWY_INLINE Unrounded operator()(DF32 d, VF32 x) const {
    const Logistic l(d, x);
    const Pair32 q = fnative::DivPair(d, hn::IfThenElse(l.neg, l.e.w, hn::Set(d, 1.0f)), hn::IfThenElseZero(l.neg, l.e.wl),
                             l.D.h, l.D.l);
    return {q.h, q.l, hn::IfThenElse(l.neg, l.e.s, hn::Set(d, 1.0f)), hn::Mul(q.h, hn::Set(d, kRelBound)), l.deep};
  }
};

// silu = sign(x)·|x|·sigmoid(x): x >= 0: |x|/D (|x| itself from 88 on); x < 0: s·|x|·(w + wl)/D,
// |x|·w split exactly. The sign goes on with the scale, after the rounding (which would turn a
// -0 pair into +0).
struct Silu {
  HWY_INLINE Unrounded operator()(DF32 d, VF32 x) const {
    const Logistic l(d, x);
    const VF32 ax = hn::Abs(x);
    const VF32 xw = hn::Mul(ax, l.e.w);
    const VF32 xwl = hn::MulAdd(ax, l.e.wl, hn::MulSub(ax, l.e.w, xw));
    Pair32 q = fnative::DivPair(d, hn::IfThenElse(l.neg, xw, ax), hn::IfThenElseZero(l.neg, xwl), l.D.h, l.D.l);
    const auto big = hn::Gt(x, hn::Set(d, 88.0f));  // silu(x) rounds to x; x/D would make inf - inf at +inf
    q.h = hn::IfThenElse(big, x, q.h);
    q.l = hn::IfThenZeroElse(big, q.l);
    const VF32 scale = hn::Or(hn::IfThenElse(l.neg, l.e.s, hn::Set(d, 1.0f)), hn::And(x, hn::SignBit(d)));
    // Tiny x: x/D is tiny, and the floor (min(|x|, 2^-140), 0 for ±0 whose results are exact)
    // sends what the division cannot round exactly to step 2.
    return {q.h, q.l, scale, hn::MulAdd(q.h, hn::Set(d, kRelBound), hn::Min(ax, hn::Set(d, kFloor))), l.deep};
  }
};

// tanh|x| = (1 - e)/(1 + e), e = e^-2|x| = s·(w + wl), |x| clamped to 9.5 (tanh rounds to 1 from
// 9.01). M != 0: 1 - e = 2 - D exactly in its high part; M = 0: 1 - e = -(h + t) (Fast2Sum).
struct Tanh {
  HWY_INLINE Unrounded operator()(DF32 d, VF32 x) const {
    const VF32 a = hn::Min(hn::Abs(x), hn::Set(d, 9.5f));
    const ExpAcc e = ExpAccurate(d, hn::Mul(a, hn::Set(d, -2.0f)));
    const Pair32 D = fnative::OnePlusScaled(d, e.s, {e.w, e.wl});
    const VF32 a2 = hn::Neg(e.h);
    const VF32 n0h = hn::Sub(a2, e.t);
    const VF32 n0l = hn::Sub(hn::Sub(a2, n0h), e.t);
    const VF32 nh = hn::IfThenElse(e.m0, n0h, hn::Sub(hn::Set(d, 2.0f), D.h));
    const VF32 nl = hn::IfThenElse(e.m0, n0l, hn::Neg(D.l));
    const Pair32 q = fnative::DivPair(d, nh, nl, D.h, D.l);
    const VF32 bound =
        hn::IfThenElse(e.m0, hn::MulAdd(hn::Abs(e.t), hn::Set(d, kTBound), hn::Min(a, hn::Set(d, kFloor))),
                       hn::Set(d, kAbsBound));
    // The sign of x goes on with the scale; NaN (which the clamp dropped) goes to step 2.
    const VF32 scale = hn::Or(hn::Set(d, 1.0f), hn::And(x, hn::SignBit(d)));
    return {q.h, q.l, scale, bound, hn::IsNaN(x)};
  }
};

// elu = x > 0 ? x : alpha·(e^x - 1), alpha > 0 a float. e^x - 1 = s·(w + wl) - 1 (Fast2Sum with
// -1, s·w exact) where M != 0, h + t where M = 0; x clamped to -30 (e^-30 < 2^-43: the
// result's rounding is that of -alpha either way). ±0 pass as x > 0 does (exact; +0 out, as in the
// other tiers).
template <bool kUnitAlpha>  // alpha = 1 (the usual one) skips the product
struct Elu {
  float alpha;
  HWY_INLINE Unrounded operator()(DF32 d, VF32 x) const {
    const VF32 one = hn::Set(d, 1.0f);
    const VF32 z = hn::Max(hn::Set(d, -30.0f), hn::Min(hn::Zero(d), x));  // NaN kept (second operand)
    const ExpAcc e = ExpAccurate(d, z);
    const Pair32 m = fnative::Expm1Pair(d, e.s, e.w, e.wl, e.h, e.t, e.m0);
    VF32 ph = m.h, pl = m.l;
    if constexpr (!kUnitAlpha) {
      const VF32 va = hn::Set(d, alpha);
      ph = hn::Mul(va, m.h);
      pl = hn::MulAdd(va, m.l, hn::MulSub(va, m.h, ph));
    }
    const auto pass = hn::Ge(x, hn::Zero(d));
    const VF32 bound = hn::IfThenElse(e.m0, hn::MulAdd(hn::Abs(e.t), hn::Set(d, alpha * kTBound), hn::Set(d, kFloor)),
                                      hn::Set(d, alpha * kRelBound));
    return {hn::IfThenElse(pass, x, ph), hn::IfThenZeroElse(pass, pl), one, hn::IfThenZeroElse(pass, bound),
            hn::FirstN(d, 0)};
  }
};

// softplus: fnative::SoftplusFromExp on ExpAccurate's u. u's 2^-32.3 reaches L weighted by
// u/((1 + u)·L) <= 1; the logarithm's own errors (P 2^-40.1, the float sums of terms below
// 2^-17, 1/(1 + r) to r³) stay below 2^-36 of L; adding x >= 0 only lowers the relative error:
// relative 2^-31.5 with margin. Lanes below -80 are deferred (there u's low part s·wl rounds in
// the subnormal range, by up to 2^-150, more than 2^-33 of u); from 20 on the result is x (L <
// 2^-28.8 < a quarter ulp of x).
struct Softplus {
  HWY_INLINE Unrounded operator()(DF32 d, VF32 x) const {
    const ExpAcc e = ExpAccurate(d, fnative::NegAbsClamped(d, x));
    Pair32 y = fnative::SoftplusFromExp(d, x, e.s, e.w, e.wl);
    const auto big = hn::Gt(x, hn::Set(d, 20.0f));
    y.h = hn::IfThenElse(big, x, y.h);
    y.l = hn::IfThenZeroElse(big, y.l);
    return {y.h, y.l, hn::Set(d, 1.0f), hn::Mul(y.h, hn::Set(d, kRelBound)), hn::Lt(x, hn::Set(d, -80.0f))};
  }
};

// mish: |x|·N/D from fnative::MishMagnitude on ExpAccurate's u (the quotient's sensitivity to u
// is at most 1; u·ul's subnormal rounding for x in [-80, -70] adds < 2^-34.6): relative 2^-31.5.
// The sign goes on with the scale; below -80 deferred; from 20 on x (1 - N/D ~ 2e^-2x); tiny x
// as in silu (the floor).
struct Mish {
  HWY_INLINE Unrounded operator()(DF32 d, VF32 x) const {
    const VF32 ax = hn::Abs(x);
    const ExpAcc e = ExpAccurate(d, fnative::NegAbsClamped(d, x));
    Pair32 y = fnative::MishMagnitude(d, ax, hn::Le(x, hn::Zero(d)), e.s, e.w, e.wl);
    const auto big = hn::Gt(x, hn::Set(d, 20.0f));
    y.h = hn::IfThenElse(big, x, y.h);
    y.l = hn::IfThenZeroElse(big, y.l);
    const VF32 scale = hn::Or(hn::Set(d, 1.0f), hn::And(x, hn::SignBit(d)));
    return {y.h, y.l, scale, hn::MulAdd(y.h, hn::Set(d, kRelBound), hn::Min(ax, hn::Set(d, kFloor))),
            hn::Lt(x, hn::Set(d, -80.0f))};
  }
};

// fl(hi + lo), and in `unsure` the lanes where some value within `bound` of hi + lo could round
// otherwise. Rounding is monotonic: if hi + (lo + bound) and hi + (lo - bound) round to the same
// float, so does everything between them. (lo ± bound rounds first, narrowing the interval by
// 2^-24·|lo ± bound| < 2^-45·|hi|, which the bounds' margins cover.) NaN and ±inf in hi + lo come
// out unsure (NaN != NaN, inf - inf): step 2 gives them their values.
HWY_INLINE VF32 RoundChecked(VF32 hi, VF32 lo, VF32 bound, hn::Mask<DF32>& unsure) {
  const VF32 up = hn::Add(hi, hn::Add(lo, bound));
  unsure = hn::Ne(up, hn::Add(hi, hn::Sub(lo, bound)));
  return up;
}

// Runs step 1 over x in blocks; the lanes it leaves (a bit each per block, stored without a
// branch: a branch on them would be mispredicted at the end of a long dependency chain) are
// then gathered, with their positions, into batches for `step2(xs, ys, m)` (the binary64
// kernel, the scalar behind it). Where x and y overlap, a block of x is copied first so that
// step 2 sees the inputs. Unlike the fast tier, the output is never streamed (non-temporal
// stores): step 2's patches would then land on lines already evicted, each fetched back from
// memory (at ~1% of lanes, a good part of the lines). With ordinary stores the 256 MiB arrays
// ran 27% faster (sigmoid 1.07 -> 1.35 el/ns, elu 1.15 -> 1.45); the write-allocate traffic
// costs this compute-bound loop nothing measurable. (Staging the output in the cache for step 2
// before streaming it was 9-28% slower.)
template <class Op, class Step2>
HWY_INLINE void Loop(const float* x, float* y, size_t n, const Op& op, const Step2& step2) {
  const DF32 d;
  const size_t N = hn::Lanes(d);
  constexpr size_t kBlock = 1024;  // a multiple of 64 and of N
  constexpr size_t kBatch = 256;
  HWY_ALIGN float px[kBatch];
  HWY_ALIGN float py[kBatch];
  size_t where[kBatch];
  size_t np = 0;
  HWY_ALIGN uint8_t bits[kBlock / 8];
  HWY_ALIGN float xcopy[kBlock];
  const auto xa = reinterpret_cast<uintptr_t>(x), ya = reinterpret_cast<uintptr_t>(y);
  const bool overlap = xa < ya + n * sizeof(float) && ya < xa + n * sizeof(float);
  auto flush = [&] {
    step2(px, py, np);
    for (size_t k = 0; k < np; ++k) y[where[k]] = py[k];
    np = 0;
  };
  auto step1 = [&](VF32 v, hn::Mask<DF32>& unsure) NNC_ALWAYS_INLINE {
    const Unrounded u = op(d, v);
    const VF32 r = hn::Mul(RoundChecked(u.hi, u.lo, u.bound, unsure), u.scale);
    unsure = hn::Or(unsure, u.defer);
    return r;
  };
  // Elements [i0, i0 + m), m <= kBlock.
  auto block = [&](size_t i0, size_t m) {
    const float* xs = x + i0;
    if (overlap) {
      std::memcpy(xcopy, xs, m * sizeof(float));
      xs = xcopy;
    }
    std::memset(bits, 0, sizeof(bits));
    size_t v = 0;
    for (; v + N <= m; v += N) {
      hn::Mask<DF32> unsure;
      const VF32 r = step1(hn::LoadU(d, xs + v), unsure);
      hn::StoreMaskBits(d, unsure, bits + v / 8);
      hn::StoreU(r, d, y + i0 + v);
    }
    if (v < m) {  // fewer than N, through a buffer
      HWY_ALIGN float buf[kMaxLanes] = {};
      std::memcpy(buf, xs + v, (m - v) * sizeof(float));
      hn::Mask<DF32> unsure;
      hn::Store(step1(hn::Load(d, buf), unsure), d, buf);
      hn::StoreMaskBits(d, hn::And(unsure, hn::FirstN(d, m - v)), bits + v / 8);
      std::memcpy(y + i0 + v, buf, (m - v) * sizeof(float));
    }
    for (size_t b = 0; b < (m + 63) / 64; ++b) {
      uint64_t word;
      std::memcpy(&word, bits + 8 * b, sizeof(word));
      for (; word != 0; word &= word - 1) {
        const size_t at = 64 * b + static_cast<size_t>(hwy::Num0BitsBelowLS1Bit_Nonzero64(word));
        px[np] = xs[at];
        where[np] = i0 + at;
        if (++np == kBatch) flush();
      }
    }
  };
  for (size_t i = 0; i < n; i += kBlock) block(i, n - i < kBlock ? n - i : kBlock);
  if (np > 0) flush();
}

}  // namespace fcr
