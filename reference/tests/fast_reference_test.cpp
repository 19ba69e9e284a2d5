// The fast reference path against the MPFR reference: it must never disagree (it may only
// fall back). Random samples of every kernel (tens of thousands of binary32 inputs each,
// seeded), each function's hard cases (regime thresholds, underflow and overflow, tiny and huge
// inputs, inputs whose value lies nearest a rounding boundary), binary16 and bfloat16
// exhaustively for a few functions, and the kernels' claimed error bounds (every enclosure
// must contain the exact value).
#include <gtest/gtest.h>
#include <mpfr.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <set>

#include "../src/fast_arith.hpp"
#include "../src/fast_poly.inc"
#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/fast/fast_reference.hpp"
#include "nnconform/ref/mpfr_value.hpp"

namespace nnconform::ref::fast {
namespace {

const SpecSet& specs() {
  static const SpecSet s = SpecSet::load(NNCONFORM_SPEC_DIR);
  return s;
}
const Reference& reference() {
  static const Reference r(specs());
  return r;
}

// Parameters for the functions that need them (srelu has required ones).
std::map<std::string, std::string> params_for(const std::string& fn) {
  if (fn == "srelu") return {{"t_l", "-1"}, {"a_l", "0.1"}, {"t_r", "2"}, {"a_r", "0.5"}};
  return {};
}

struct Comparison {
  std::size_t checked = 0, fast = 0, fallback = 0, undecided = 0;
  double worst_bound_use = 0;  // max |y - exact| / bound over approx enclosures
};

// Checks one input: the fast value equals MPFR's, its offset is within its stated error, and
// (approx kernels) the enclosure holds the exact value.
void check_input(const FastReference& fr, std::uint32_t bits, Comparison& c) {
  FastStats stats;
  Golden fast = fr.evaluate_one(bits, stats);
  const Format f = fr.format();
  Golden ref;
  try {
    ref = fr.reference_value(bits);
  } catch (const UndecidedError&) {
    // MPFR's exponent range ends at 2^(2^62): e^-|x| underflows it for |x| > 3.2e18 and the
    // reference cannot tell the sign of the zero logsigmoid(x) (x > 0) and mish(x) (x < 0)
    // round to. Those are the only places; the value is plainly a zero of the exact value's
    // sign (-log1p(e^-x) < 0 and x tanh(log1p(e^x)) < 0).
    double x = decode(bits, f);
    EXPECT_GT(std::fabs(x), 3e18) << fr.function().name << " undecided at " << x;
    EXPECT_EQ(fast.bits, encode(-0.0, f)) << fr.function().name << " at " << x;
    ++c.undecided;
    return;
  }
  ++c.checked;
  c.fast += stats.fast;
  c.fallback += stats.fallback;
  std::string where = fr.function().name + " " + std::string(name(f)) + " at " + to_hex(FloatBits{f, bits}) + " (" +
                      std::to_string(bits) + ")";
  ASSERT_EQ(fast.bits, ref.bits) << where << ": fast " << to_hex(FloatBits{f, fast.bits}) << ", MPFR "
                                 << to_hex(FloatBits{f, ref.bits});
  if (std::isnan(ref.offset_ulps)) {
    EXPECT_TRUE(std::isnan(fast.offset_ulps)) << where;
  } else {
    EXPECT_LE(std::fabs(fast.offset_ulps - ref.offset_ulps), fast.offset_error + 1e-12)
        << where << ": offset " << fast.offset_ulps << " vs MPFR " << ref.offset_ulps;
  }
  Enclosure e = fr.enclose(bits);
  if (e.kind != Enclosure::Kind::approx || std::isnan(ref.offset_ulps)) return;
  // exact = g + offset * 2^q (q: the quantum exponent of g's binade), to ~2^-53 ulp.
  double g = decode(ref.bits, f);
  const FormatInfo& fi = info(f);
  int emin = 1 - fi.bias;
  int q = (g == 0 ? emin : std::max(std::ilogb(std::fabs(g)), emin)) - (fi.precision - 1);
  auto [d, err] = two_sum(e.hi, -g);
  double diff = d + (err + e.lo) - std::ldexp(ref.offset_ulps, q);  // y - exact
  double slack = std::ldexp(1e-12, q);
  EXPECT_LE(std::fabs(diff), e.bound + slack) << where << ": the exact value is outside the enclosure (y - exact = "
                                               << diff << ", bound " << e.bound << ")";
  if (e.bound > 0) c.worst_bound_use = std::max(c.worst_bound_use, (std::fabs(diff) - slack) / e.bound);
}

std::vector<std::string> unary_with_kernels() {
  std::vector<std::string> out;
  for (const auto& n : kernel_functions()) {
    const FunctionSpec* fn = specs().find(n);
    if (fn && fn->unary()) out.push_back(n);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

TEST(FastRound, RoundToMatchesMpfr) {
  std::mt19937_64 rng(7);
  for (Format f : {Format::binary32, Format::binary16, Format::bfloat16}) {
    for (int i = 0; i < 200000; ++i) {
      double v;
      switch (i % 4) {
        case 0:  // any binary64 in the format's range and below
          v = std::ldexp(std::uniform_real_distribution<double>(1, 2)(rng), std::uniform_int_distribution<int>(-180, 130)(rng));
          break;
        case 1: {  // a midpoint between two values of the format, or next to one
          std::uint32_t b = static_cast<std::uint32_t>(rng()) & (info(f).storage_bits == 32 ? 0x7f7fffffu : 0x7bffu);
          if (f == Format::bfloat16) b &= 0x7f7f;
          double a = decode(b, f), c = decode(b + 1, f);
          v = (a + c) / 2;
          if (i % 8 == 1) v = std::nextafter(v, (i % 16 == 1) ? 0.0 : 1e300);
          break;
        }
        case 2:
          v = std::ldexp(std::uniform_real_distribution<double>(1, 2)(rng), info(f).bias);  // near overflow
          break;
        default:
          v = std::ldexp(std::uniform_real_distribution<double>(0, 1)(rng), 2 - info(f).bias - info(f).precision);  // subnormal
      }
      if (rng() & 1) v = -v;
      MpfrValue m(64);
      mpfr_set_d(m, v, MPFR_RNDN);
      FloatBits want = round_to_format(m, f);
      double got = round_to(v, f);
      ASSERT_EQ(encode(got, f), want.bits) << name(f) << " " << v;
      ASSERT_EQ(decode(static_cast<std::uint32_t>(want.bits), f), got) << name(f) << " " << v;
    }
  }
}

TEST(FastRound, EncodeDecodeEvery16BitPattern) {
  for (Format f : {Format::binary16, Format::bfloat16}) {
    for (std::uint32_t b = 0; b < 65536; ++b) {
      FloatBits v{f, b};
      double d = decode(b, f);
      if (v.is_nan()) {
        ASSERT_TRUE(std::isnan(d));
        continue;
      }
      ASSERT_EQ(d, v.to_double()) << name(f) << " " << b;
      ASSERT_EQ(encode(d, f), b) << name(f) << " " << b;
    }
  }
}

TEST(FastRound, ExactSignOfSums) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 100000; ++i) {
    // a + b + c - (a + b + c computed another way) style cancellations: exact in 3 doubles
    double a = std::ldexp(static_cast<double>(rng() >> 11), std::uniform_int_distribution<int>(-60, 0)(rng));
    double b = std::ldexp(static_cast<double>(rng() >> 11), std::uniform_int_distribution<int>(-120, -60)(rng));
    auto [s, e] = two_sum(a, b);
    int tweak = static_cast<int>(rng() % 3) - 1;  // -1, 0, +1 times a tiny amount
    double t = tweak * std::ldexp(1.0, -200);
    double terms[4] = {a, b, -s, -e + t};
    // -e + t may round; compute the exact expectation with MPFR
    MpfrValue m(2000), x(2000);
    mpfr_set_d(m, 0, MPFR_RNDN);
    for (double v : terms) mpfr_add_d(m, m, v, MPFR_RNDN);
    ASSERT_EQ(exact_sign(terms, 4), mpfr_sgn(m)) << i;
  }
}

TEST(FastRound, ExpTableAndReductionConstants) {
  MpfrValue v(300), w(300);
  for (int j = 0; j < 64; ++j) {
    mpfr_set_ui(v, j, MPFR_RNDN);
    mpfr_div_ui(v, v, 64, MPFR_RNDN);
    mpfr_ui_pow(v, 2, v, MPFR_RNDN);
    EXPECT_EQ(poly::kExp2Table[j], mpfr_get_d(v, MPFR_RNDN)) << j;
  }
  mpfr_const_log2(v, MPFR_RNDN);
  mpfr_div_ui(v, v, 64, MPFR_RNDN);
  mpfr_sub_d(w, v, poly::kExpL1, MPFR_RNDN);
  mpfr_sub_d(w, w, poly::kExpL2, MPFR_RNDN);
  EXPECT_LE(std::fabs(mpfr_get_d(w, MPFR_RNDN)), poly::kExpLTail);
  EXPECT_EQ(std::ldexp(poly::kExpL1, 43), std::trunc(std::ldexp(poly::kExpL1, 43)));  // 36 bits
}

TEST(FastReference, EveryUnaryActivationHasAKernelThatAgreesOnItsProbes) {
  std::set<std::string> with_kernel;
  for (const auto& n : unary_with_kernels()) with_kernel.insert(n);
  for (const auto& fn : specs().functions()) {
    if (fn.family != "activation" || !fn.unary()) continue;
    EXPECT_TRUE(with_kernel.count(fn.name)) << fn.name << " has no fast kernel";
    for (Format f : {Format::binary32, Format::binary16, Format::bfloat16}) {
      FastReference fr(reference(), fn, f, params_for(fn.name));
      EXPECT_TRUE(fr.kernel().has_value()) << fn.name << " " << name(f);
      EXPECT_TRUE(fr.warnings().empty()) << fr.warnings().front();
    }
  }
}

TEST(FastReference, RandomSamplesMatchMpfr) {
  std::mt19937_64 rng(20240917);
  for (const auto& n : unary_with_kernels()) {
    const FunctionSpec* fn = specs().find(n);
    FastReference fr(reference(), *fn, Format::binary32, params_for(n));
    Comparison c;
    for (int i = 0; i < 24000; ++i) {
      std::uint32_t bits;
      switch (i % 3) {
        case 0:  // any bit pattern (a third of them tiny, a third huge)
          bits = static_cast<std::uint32_t>(rng());
          break;
        case 1: {  // where the functions bend: |x| < 32, uniform
          float x = std::uniform_real_distribution<float>(-32, 32)(rng);
          bits = std::bit_cast<std::uint32_t>(x);
          break;
        }
        default: {  // log-uniform over 2^-30 .. 2^8, both signs
          double x = std::exp2(std::uniform_real_distribution<double>(-30, 8)(rng));
          if (rng() & 1) x = -x;
          bits = std::bit_cast<std::uint32_t>(static_cast<float>(x));
        }
      }
      check_input(fr, bits, c);
      if (testing::Test::HasFatalFailure()) return;
    }
    EXPECT_LT(c.worst_bound_use, 1.0) << n;
    std::printf("%-12s %zu inputs, %zu fast, %zu fallback, %zu where MPFR is undecided, worst |y - exact| / bound %.3g\n",
                n.c_str(), c.checked, c.fast, c.fallback, c.undecided, c.worst_bound_use);
  }
}

// The hard cases: every branch point of every kernel and its neighbours, the ends of the
// format (smallest subnormal, largest finite), where results underflow or overflow, and the
// inputs of a scan whose exact values lie closest to a rounding boundary.
std::vector<double> hard_points(const std::string& fn) {
  std::vector<double> p = {0x1p-149, 0x1p-126, 0x1.fffffep-127, 1e-30, 1e-7, 0.25, 0.5, 1, 2, 3, 4, 5.5, 6, 7.5, 10.5,
                           14.5, 20, 40, 87.3, 88.8, 100, 103.97, 104, 700, 1e10, 3.4028234e38};
  // where each result underflows (sigmoid(x) ~ e^x, gelu(x) ~ phi(x), mish(x) ~ x e^x, ...)
  for (double x : {-103.27893, -103.972076, -103.97208, -86.65, -88.72, -14.19, -14.2, -14.5, -13.9, -108.0, -110.0, -16.6})
    p.push_back(-x);
  if (fn == "selu") p.push_back(3.4028234e38 / 1.0507009873554805);  // overflow of lambda x
  if (fn == "softplus") p.push_back(20);                            // PyTorch's threshold
  return p;
}

TEST(FastReference, HardCasesMatchMpfr) {
  for (const auto& n : unary_with_kernels()) {
    const FunctionSpec* fn = specs().find(n);
    for (Format f : {Format::binary32, Format::bfloat16, Format::binary16}) {
      FastReference fr(reference(), *fn, f, params_for(n));
      Comparison c;
      std::set<std::uint32_t> inputs;
      const std::uint32_t top = info(f).storage_bits == 32 ? 0xffffffffu : 0xffffu;
      const std::uint32_t sign = info(f).storage_bits == 32 ? 0x80000000u : 0x8000u;
      for (double v : hard_points(n)) {
        double r = round_to(v, f);
        if (std::isinf(r) || r == 0) continue;
        std::uint32_t b = encode(r, f);
        for (int d = -3; d <= 3; ++d) {
          std::uint32_t nb = b + d;
          if ((nb & ~sign) >= (encode(HUGE_VAL, f) & ~sign)) continue;
          inputs.insert(nb);
          inputs.insert(nb ^ sign);
        }
      }
      inputs.insert(1);
      inputs.insert(sign | 1);
      inputs.insert(encode(HUGE_VAL, f) - 1);
      inputs.insert((encode(HUGE_VAL, f) - 1) | sign);
      // Near a rounding boundary: scan some inputs, keep those whose |offset| is nearest 1/2
      // (the undecided ones fall back to MPFR inside evaluate_one and are compared too).
      std::vector<std::pair<double, std::uint32_t>> near;
      std::uint32_t starts[] = {encode(round_to(0.001, f), f), encode(round_to(1.3, f), f), encode(round_to(9.0, f), f),
                                encode(round_to(-0.7, f), f), encode(round_to(-5.0, f), f), encode(round_to(-60.0, f), f)};
      for (std::uint32_t s : starts) {
        for (std::uint32_t k = 0; k < (f == Format::binary32 ? 20000u : 500u) && s + k <= top; ++k) {
          FastStats st;
          Golden g = fr.evaluate_one(s + k, st);
          if (!std::isnan(g.offset_ulps)) near.push_back({0.5 - std::fabs(g.offset_ulps), s + k});
        }
      }
      std::sort(near.begin(), near.end());
      for (std::size_t i = 0; i < near.size() && i < 60; ++i) inputs.insert(near[i].second);
      for (std::uint32_t b : inputs) {
        check_input(fr, b, c);
        if (testing::Test::HasFatalFailure()) return;
      }
      EXPECT_LT(c.worst_bound_use, 1.0) << n << " " << name(f);
    }
  }
}

// Ties of the rational functions: hardsigmoid((x + 3)/6) is exactly a midpoint for x = 3 k 2^-25
// with k odd; exact decisions must round those to even as MPFR does.
TEST(FastReference, ExactTiesRoundToEven) {
  const FunctionSpec* fn = specs().find("hardsigmoid");
  FastReference fr(reference(), *fn, Format::binary32);
  Comparison c;
  for (int k = 1; k < 4000; k += 2) {
    for (double s : {1.0, -1.0}) {
      float x = static_cast<float>(s * 3 * k * 0x1p-25);
      check_input(fr, std::bit_cast<std::uint32_t>(x), c);
    }
  }
  EXPECT_EQ(c.fallback, 0u);
}

// binary16 and bfloat16, every input, for a few functions (MPFR on each: a few seconds each).
TEST(FastReference, Exhaustive16BitMatchesMpfr) {
  for (const char* n : {"sigmoid", "gelu", "hardswish"}) {
    const FunctionSpec* fn = specs().find(n);
    for (Format f : {Format::binary16, Format::bfloat16}) {
      FastReference fr(reference(), *fn, f);
      Comparison c;
      for (std::uint32_t b = 0; b < 65536; ++b) {
        if (FloatBits{f, b}.is_nan() && (b & 0xff) != 1) continue;  // NaNs: one answer (cached); a few suffice
        check_input(fr, b, c);
        if (testing::Test::HasFatalFailure()) return;
      }
      EXPECT_LT(c.worst_bound_use, 1.0);
      EXPECT_LT(c.fallback, 50u) << n << " " << name(f);
    }
  }
}

TEST(FastReference, RefusesWhatCannotBeSwept) {
  EXPECT_THROW(FastReference(reference(), *specs().find("softmax"), Format::binary32), EvalError);
  EXPECT_THROW(FastReference(reference(), *specs().find("sigmoid"), Format::binary64), EvalError);
  EXPECT_THROW(FastReference(reference(), *specs().find("softplus"), Format::binary32, {{"beta", "-1"}}), EvalError);
  EXPECT_THROW(FastReference(reference(), *specs().find("srelu"), Format::binary32), EvalError);
  EXPECT_THROW(FastReference(reference(), *specs().find("prelu"), Format::binary32, {{"a", "0.1,0.2"}}), EvalError);
}

// Parameters the kernels take, and those they leave to MPFR.
TEST(FastReference, ParametersReachTheKernels) {
  Comparison c;
  FastReference sp(reference(), *specs().find("softplus"), Format::binary32, {{"beta", "0.75"}, {"threshold", "20"}});
  ASSERT_TRUE(sp.kernel().has_value());
  FastReference lr(reference(), *specs().find("leaky_relu"), Format::binary32, {{"a", "0.2"}});
  ASSERT_TRUE(lr.kernel().has_value());
  FastReference el(reference(), *specs().find("elu"), Format::bfloat16, {{"alpha", "0.3"}});
  ASSERT_TRUE(el.kernel().has_value());
  std::mt19937_64 rng(3);
  for (int i = 0; i < 3000; ++i) {
    float x = std::uniform_real_distribution<float>(-40, 40)(rng);
    std::uint32_t b = std::bit_cast<std::uint32_t>(x);
    check_input(sp, b, c);
    check_input(lr, b, c);
    check_input(el, static_cast<std::uint32_t>(encode(round_to(x, Format::bfloat16), Format::bfloat16)), c);
    if (testing::Test::HasFatalFailure()) return;
  }
  EXPECT_LT(c.worst_bound_use, 1.0);
}

}  // namespace
}  // namespace nnconform::ref::fast
