// The SIMD kernels (impl/simd) against the golden vectors, in every dispatch target this CPU
// supports (the portable EMU128 fallback included), in both tiers: each (implementation,
// function, format) is held to the spec's `strict` tolerance, and the correctly rounded tier's
// float activations to 0.5 ulp (exact).
//
// Each case runs as the vectors give it (one element: the kernels' tail path), and the
// unary activations run a second time with all their cases in one array starting at an odd
// offset (every length from 1 to past a vector's width, so the full-vector path, unaligned
// loads and the tail are all exercised), and once more in place.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>

#include "nnconform/conformance/implementation.hpp"
#include "nnconform/conformance/measure.hpp"
#include "nnconform/conformance/simd_implementation.hpp"
#include "nnconform/impl/simd.hpp"
#include "nnconform/ref/vectors.hpp"
#include "test_support.hpp"

namespace nnconform::conformance {
namespace {

namespace fs = std::filesystem;
using ref::Format;

using testing::specs;

// Parsed once per file: every implementation reads the same vectors.
const ref::VectorFile& vectors(const ref::FunctionSpec& fn, Format f) {
  static std::map<std::string, ref::VectorFile> cache;
  fs::path p = fs::path(NNCONFORM_VECTOR_DIR) / ref::vector_file_path(fn, f, ref::VectorFileKind::cases);
  auto it = cache.find(p.string());
  if (it == cache.end()) it = cache.emplace(p.string(), ref::read_vector_file(p)).first;
  return it->second;
}

// The functions whose float results the correctly rounded tier rounds correctly.
bool cr_function(const std::string& f) {
  return f == "sigmoid" || f == "tanh" || f == "silu" || f == "swish" || f == "softplus" || f == "elu" || f == "mish";
}

struct Target {
  std::string implementation, function;
  Format format;
};

// How gtest prints a parameter (instead of a dump of its bytes): "simd-cr@AVX2_sigmoid_binary32".
void PrintTo(const Target& target, std::ostream* os) {
  *os << target.implementation << "_" << target.function << "_" << ref::name(target.format);
}

std::vector<Target> targets() {
  std::vector<std::string> impls = {"simd", "simd-cr"};
  for (const auto& t : simd_targets()) {
    impls.push_back("simd@" + t);
    impls.push_back("simd-cr@" + t);
  }
  std::vector<Target> out;
  for (const auto& name : impls) {
    auto impl = make_simd(name);
    bool cr = name.rfind("simd-cr", 0) == 0;
    for (const auto& fname : simd_functions()) {
      const ref::FunctionSpec* fn = specs().find(fname);
      if (!fn) continue;
      for (Format f : {Format::binary32, Format::binary64}) {
        if (cr && !(f == Format::binary32 && cr_function(fname))) continue;  // same code as the fast tier
        if (impl->supports(*fn, f)) out.push_back({name, fname, f});
      }
    }
  }
  return out;
}

std::string describe(const ref::Arguments& args, std::size_t element, const ref::FloatBits& got,
                     const ref::FloatBits& want, double offset) {
  std::ostringstream os;
  for (const auto& [name, t] : args.inputs)
    if (t.values.size() == 1 || element < t.values.size())
      os << name << "=" << ref::describe(t.values.size() == 1 ? t : ref::Tensor{{}, {t.values[element]}, {}}) << " ";
  for (const auto& [k, v] : args.params) os << k << "=" << v << " ";
  os << "[" << element << "]: got " << ref::to_hex(got) << ", golden " << ref::to_hex(want) << " (exact " << std::showpos
     << std::setprecision(3) << offset << std::noshowpos << " ulp from it)";
  return os.str();
}

class SimdVectors : public ::testing::TestWithParam<Target> {};

TEST_P(SimdVectors, MeetsStrict) {
  const Target& target = GetParam();
  const ref::FunctionSpec& fn = *specs().find(target.function);
  auto impl = make_simd(target.implementation);
  ASSERT_TRUE(impl) << target.implementation;
  auto strict = fn.tolerance.find("strict");
  ASSERT_TRUE(strict != fn.tolerance.end() && strict->second.count(target.format));
  const bool exact = target.implementation.rfind("simd-cr", 0) == 0;
  const double tolerance = exact ? 0.5 : strict->second.at(target.format);
  const ref::VectorFile& file = vectors(fn, target.format);

  Score score;
  std::size_t run = 0, skipped = 0;
  // Unary activations, batched: cases grouped by their parameters.
  const bool unary = fn.inputs.size() == 1 && fn.inputs[0].name == "x";
  std::map<std::map<std::string, std::string>, std::vector<const ref::VectorCase*>> groups;
  for (const auto& c : file.cases) {
    std::vector<ref::FloatBits> got;
    try {
      got = impl->compute(fn, target.format, c.args);
    } catch (const Unsupported&) {
      ++skipped;
      continue;
    } catch (const std::exception& e) {
      ADD_FAILURE() << file.path << ":" << c.line << ": threw " << e.what();
      continue;
    }
    ++run;
    if (unary) groups[c.args.params].push_back(&c);
    ASSERT_EQ(got.size(), c.expected.values.size()) << file.path << ":" << c.line;
    for (std::size_t i = 0; i < got.size(); ++i) {
      ElementError e = measure(got[i], c.expected.values[i], c.offsets_ulps[i]);
      score.add(e, tolerance, fn.signed_zero_significant, [&] {
        return std::to_string(c.line) + " " + describe(c.args, i, got[i], c.expected.values[i], c.offsets_ulps[i]);
      });
    }
  }
  for (const auto& [params, cases] : groups) {
    // One array: a junk first element (odd offset), then every case.
    ref::Arguments batch;
    batch.params = params;
    ref::Tensor& x = batch.inputs["x"];
    x.values.push_back(cases.front()->args.inputs.at("x").values.at(0));
    for (const auto* c : cases) x.values.push_back(c->args.inputs.at("x").values.at(0));
    x.shape = {x.values.size()};
    auto got = impl->compute(fn, target.format, batch);
    ASSERT_EQ(got.size(), x.values.size());
    for (std::size_t j = 0; j < cases.size(); ++j) {
      const auto* c = cases[j];
      ElementError e = measure(got[j + 1], c->expected.values[0], c->offsets_ulps[0]);
      score.add(e, tolerance, fn.signed_zero_significant, [&] {
        return "batched " + std::to_string(c->line) + " " +
               describe(c->args, 0, got[j + 1], c->expected.values[0], c->offsets_ulps[0]);
      });
    }
  }
  EXPECT_GT(run, 0u) << "no case was run (" << skipped << " unsupported)";
  EXPECT_TRUE(score.passes()) << target.implementation << " " << fn.name << " " << ref::name(target.format) << ": "
                              << score.over_tolerance << " of " << score.count << " results over " << tolerance
                              << " ulp (max " << score.max_ulps << "), " << score.nan_mismatches << " NaN, "
                              << score.inf_mismatches << " inf, " << score.zero_sign_mismatches
                              << " signed-zero mismatches; first failures:\n"
                              << score.first_failures;
  std::cout << "[simd] " << target.implementation << " " << fn.name << " " << ref::name(target.format) << ": "
            << score.count << " values, max " << std::fixed << std::setprecision(3) << score.max_ulps << " ulp, "
            << score.not_correctly_rounded << " not correctly rounded, " << skipped << " cases unsupported\n";
}

std::string target_name(const ::testing::TestParamInfo<Target>& info) {
  std::string s = info.param.implementation + "_" + info.param.function + "_" + std::string(ref::name(info.param.format));
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Simd, SimdVectors, ::testing::ValuesIn(targets()), target_name);

// In place and every length around the vector width: the result of element i must not depend
// on where it sits in the array (bitwise), in every target.
TEST(SimdKernels, LengthsOffsetsAndInPlaceAgreeBitwise) {
  std::vector<std::string> ts = simd_targets();
  ASSERT_FALSE(ts.empty());
  std::vector<float> base;
  for (int i = 0; i < 64; ++i) base.push_back(static_cast<float>((i * 7919 % 257) - 128) / 9.0f);
  for (const auto& t : ts) {
    simd::force_target(t);
    for (std::size_t len = 1; len <= 40; ++len)
      for (std::size_t off = 0; off < 3; ++off) {
        std::span<const float> in(base.data() + off, len);
        std::vector<float> whole(len), one(1), inplace(in.begin(), in.end());
        simd::sigmoid(in, std::span<float>(whole));
        simd::sigmoid(std::span<const float>(inplace), std::span<float>(inplace));
        for (std::size_t i = 0; i < len; ++i) {
          simd::sigmoid(in.subspan(i, 1), std::span<float>(one));
          ASSERT_EQ(whole[i], one[0]) << t << " len " << len << " off " << off << " i " << i;
          ASSERT_EQ(inplace[i], one[0]) << t << " in place, len " << len;
        }
        std::vector<double> ind(in.begin(), in.end()), outd(len);
        simd::softmax(std::span<const double>(ind), simd::Shape{1, len}, std::span<double>(outd));
        double sum = 0;
        for (double v : outd) sum += v;
        ASSERT_NEAR(sum, 1.0, 1e-14) << t << " softmax row of " << len;
      }
  }
  simd::force_target("");
}

// Every dispatch target of this CPU, then "" (force_target's name for the best one).
std::vector<std::string> targets_and_best() {
  std::vector<std::string> ts = simd_targets();
  ts.push_back("");
  return ts;
}

// ULPs of a float result from an exact value (long double here), the subnormal grid included.
double float_ulps(float got, long double exact) {
  if (!std::isfinite(got)) return got == exact ? 0 : INFINITY;
  int e = 0;
  std::frexp(static_cast<double>(std::fabs(exact)), &e);  // |exact| in [2^(e-1), 2^e)
  return static_cast<double>(std::fabs(static_cast<long double>(got) - exact) / std::ldexp(1.0L, std::max(e - 24, -149)));
}

// The float rows at their extremes, against long double (2^-64 relative here, far below the
// 1/100 ulp that matters): rows around 0, +-40 and +-80 (both row paths of the kernels: the
// shifted one for |z| <= 87, and the one through z - max); logits spread up to 100 apart
// (softmax results down to 2^-144: the subnormal range, and the normal range's bottom where
// e·(1/S)'s low product underflows; before e was scaled there, such rows reached 1.8 ulp);
// repeated maxima; long rows; rows of log-probabilities, whose logsumexp cancels to near 0 and
// goes to the scalar kernel (before, the SIMD kernels erred there by 10^9 ulp). In every target,
// held to the bounds the kernels state (impl/simd/float_native-inl.h): softmax and log_softmax
// < 1.7 ulp, logsumexp < 0.7 ulp, cross_entropy < 0.63 ulp (strict: 2).
TEST(SimdKernels, FloatRowsWithinTheirStatedBoundsAtTheExtremes) {
  std::mt19937 rng(20261122);
  struct Row {
    std::vector<float> z;
    std::size_t c;
  };
  std::vector<Row> rows;
  for (int trial = 0; trial < 1500; ++trial) {
    const std::size_t c = 1 + rng() % (trial % 50 == 0 ? 5000 : 200);
    const float spread = std::array<float, 4>{10.0f, 100.0f, 3.0f, 30.0f}[trial % 4];
    std::uniform_real_distribution<float> u(-spread, 0.0f);
    Row r{std::vector<float>(c), c};
    const float offset = std::array<float, 7>{0.0f, 3.0f, 6.0f, -40.0f, 40.0f, 80.0f, -80.0f}[trial % 7];
    for (auto& v : r.z) v = u(rng) + offset;
    if (trial % 4 == 2)
      for (auto& v : r.z)
        if (rng() % 3 == 0) v = r.z[0];  // several maxima
    rows.push_back(std::move(r));
  }
  // Results at the normal range's bottom: logits 84 to 89 below the maximum, beside a few
  // within 2 of it (1/S anywhere in (1/4, 1]).
  for (int trial = 0; trial < 200; ++trial) {
    std::uniform_real_distribution<float> deep(-89.0f, -84.0f), near(-2.0f, 0.0f);
    Row r{std::vector<float>(1000), 1000};
    for (auto& v : r.z) v = deep(rng);
    r.z[0] = 0.0f;
    for (int j = 1; j <= trial % 4; ++j) r.z[j] = near(rng);
    rows.push_back(std::move(r));
  }
  // Rows of log-probabilities: logsumexp near 0 by cancellation (max < 0).
  for (int trial = 0; trial < 200; ++trial) {
    const std::size_t c = 2 + rng() % 30;
    std::vector<double> q(c);
    double total = 0;
    for (auto& v : q) total += v = 1 + rng() % 1000;
    Row r{std::vector<float>(c), c};
    for (std::size_t j = 0; j < c; ++j) r.z[j] = static_cast<float>(std::log(q[j] / total));
    rows.push_back(std::move(r));
  }
  for (const auto& t : targets_and_best()) {
    simd::force_target(t);
    double worst_softmax = 0, worst_log = 0, worst_lse = 0, worst_ce = 0;
    for (const Row& r : rows) {
      std::vector<float> out(r.c), lout(r.c);
      float lse = 0, ce = 0;
      const std::int64_t target = static_cast<std::int64_t>(r.c / 2);
      simd::softmax(std::span<const float>(r.z), simd::Shape{1, r.c}, std::span<float>(out));
      simd::log_softmax(std::span<const float>(r.z), simd::Shape{1, r.c}, std::span<float>(lout));
      simd::logsumexp(std::span<const float>(r.z), simd::Shape{1, r.c}, std::span<float>(&lse, 1));
      simd::cross_entropy(std::span<const float>(r.z), std::span<const std::int64_t>(&target, 1), simd::Shape{1, r.c},
                          std::span<float>(&ce, 1), simd::Reduction::none);
      long double m = -INFINITY;
      for (float v : r.z) m = std::max<long double>(m, v);
      long double rest = 0;
      int top = 0;
      for (float v : r.z) (v == m ? (void)++top : (void)(rest += std::exp(static_cast<long double>(v) - m)));
      const long double S = top + rest, L = std::log(static_cast<long double>(top)) + std::log1p(rest / top);
      worst_lse = std::max(worst_lse, float_ulps(lse, m + L));
      worst_ce = std::max(worst_ce, float_ulps(ce, (m - r.z[target]) + L));
      ASSERT_LT(float_ulps(lse, m + L), 0.7) << t << " logsumexp row of " << r.c << ", max " << static_cast<double>(m);
      ASSERT_LT(float_ulps(ce, (m - r.z[target]) + L), 0.63) << t << " cross_entropy row of " << r.c;
      for (std::size_t i = 0; i < r.c; ++i) {
        const long double d = static_cast<long double>(r.z[i]) - m;
        worst_softmax = std::max(worst_softmax, float_ulps(out[i], std::exp(d) / S));
        worst_log = std::max(worst_log, float_ulps(lout[i], d - L));
        ASSERT_LT(float_ulps(out[i], std::exp(d) / S), 1.7) << t << " softmax row of " << r.c << ", z = " << r.z[i]
                                                              << ", max " << static_cast<double>(m);
        ASSERT_LT(float_ulps(lout[i], d - L), 1.7) << t << " log_softmax row of " << r.c << ", z = " << r.z[i];
      }
    }
    std::cout << "[ target " << (t.empty() ? "best" : t) << " ] softmax max " << worst_softmax << " ulp, log_softmax max "
              << worst_log << ", logsumexp " << worst_lse << ", cross_entropy " << worst_ce << " ulp\n";
  }
  simd::force_target("");
}

// mse, mae and huber of floats with reduction none take their own loops (impl/simd/kernels.cpp,
// LossNoneF32: binary64 lanes, float lanes for mae), apart from the double-word terms the
// golden vectors' reduced cases exercise. Against long double, in every target: inputs across
// all binades, pairs a few ulps apart (subnormal squares), pairs whose difference or square
// overflows, and the specials; every result within 0.5 + 2^-20 ulp, NaN and infinities exact.
TEST(SimdKernels, FloatLossesWithReductionNoneAreCorrectlyRoundedNearly) {
  std::mt19937 rng(11);
  std::vector<float> a, b;
  auto any_float = [&] {
    std::uniform_int_distribution<int> e(-149, 127);
    return std::ldexp(std::uniform_real_distribution<float>(1.0f, 2.0f)(rng), e(rng)) * (rng() % 2 ? 1.0f : -1.0f);
  };
  for (int i = 0; i < 20000; ++i) {
    const float x = any_float();
    a.push_back(x);
    b.push_back(i % 3 == 0 ? any_float() : i % 3 == 1 ? std::nextafter(x, INFINITY) : x * (1.0f + 1e-3f * (rng() % 7)));
  }
  const float inf = INFINITY, nan = NAN, big = 3e38f;
  for (float x : {0.0f, -0.0f, 1e-45f, -1e-45f, 1.0f, big, -big, inf, -inf, nan})
    for (float y : {0.0f, -0.0f, 1e-45f, 1.0f, -big, inf, -inf, nan}) {
      a.push_back(x);
      b.push_back(y);
    }
  for (const auto& t : targets_and_best()) {
    simd::force_target(t);
    for (const char* fn : {"mse", "mae", "huber"}) {
      std::vector<float> out(a.size());
      const std::string f = fn;
      if (f == "mse") simd::mse(a, b, out, simd::Reduction::none);
      if (f == "mae") simd::mae(a, b, out, simd::Reduction::none);
      if (f == "huber") simd::huber(a, b, out, 1.0f, simd::Reduction::none);
      for (std::size_t i = 0; i < a.size(); ++i) {
        const long double d = static_cast<long double>(a[i]) - b[i], ad = std::fabs(d);
        const long double want = f == "mse" ? d * d : f == "mae" ? ad : ad <= 1 ? 0.5L * d * d : ad - 0.5L;
        const float rounded = static_cast<float>(want);
        if (std::isnan(want) || std::isinf(rounded)) {
          ASSERT_EQ(std::isnan(out[i]), std::isnan(want)) << t << " " << f << "(" << a[i] << ", " << b[i] << ")";
          if (!std::isnan(want)) {
            ASSERT_EQ(out[i], rounded) << t << " " << f << "(" << a[i] << ", " << b[i] << ")";
          }
          continue;
        }
        ASSERT_LE(float_ulps(out[i], want), 0.5 + 0x1p-20) << t << " " << f << "(" << std::hexfloat << a[i] << ", "
                                                          << b[i] << "): got " << out[i];
      }
    }
  }
  simd::force_target("");
}

// binary_cross_entropy_with_logits of floats with reduction none runs on float lanes where the
// target has an FMA (fnative::BceLogits: stated < 0.82 ulp), vectors with |s| > 87 or a NaN on
// the double-word kernel. Against long double in every target: targets y in [0, 1] (0, 1, tiny,
// random), logits across the binades up to +-100 (both paths, subnormal losses), +-inf, NaN.
TEST(SimdKernels, FloatBceWithLogitsWithinItsStatedBound) {
  std::mt19937 rng(12);
  std::vector<float> y, s;
  for (int i = 0; i < 20000; ++i) {
    const int kind = i % 5;
    y.push_back(kind == 0 ? 0.0f : kind == 1 ? 1.0f : kind == 2 ? std::ldexp(1.0f, -static_cast<int>(rng() % 60))
                                                               : std::uniform_real_distribution<float>(0, 1)(rng));
    const float mag = i % 7 == 0 ? std::uniform_real_distribution<float>(80, 100)(rng)
                                 : std::ldexp(std::uniform_real_distribution<float>(1, 2)(rng), static_cast<int>(rng() % 40) - 33);
    s.push_back(rng() % 2 ? mag : -mag);
  }
  for (float v : {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 87.0f, -87.0f, 88.0f})
    for (float t : {0.0f, 1.0f, 0.5f}) {
      y.push_back(t);
      s.push_back(v);
    }
  for (const auto& t : targets_and_best()) {
    simd::force_target(t);
    std::vector<float> out(y.size());
    simd::binary_cross_entropy_with_logits(y, s, out, simd::Reduction::none);
    double worst = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      const long double sl = s[i], yl = y[i];
      const long double prod = sl > 0 ? (y[i] == 1 ? 0 : (1 - yl) * sl) : (y[i] == 0 ? 0 : -yl * sl);
      const long double want = std::log1p(std::exp(-std::fabs(sl))) + prod;
      if (std::isnan(want) || std::isinf(want)) {
        ASSERT_EQ(std::isnan(out[i]), std::isnan(want)) << t << " y " << y[i] << " s " << s[i];
        if (!std::isnan(want)) {
          ASSERT_EQ(out[i], static_cast<float>(want)) << t << " y " << y[i] << " s " << s[i];
        }
        continue;
      }
      worst = std::max(worst, float_ulps(out[i], want));
      ASSERT_LT(float_ulps(out[i], want), 0.82) << t << " y " << std::hexfloat << y[i] << " s " << s[i] << ": got "
                                                << out[i];
    }
    std::cout << "[ target " << (t.empty() ? "best" : t) << " ] bce_with_logits max " << worst << " ulp\n";
  }
  simd::force_target("");
}

// Arrays of 16 MiB and more take the fast tier's streaming-store loops (kernels.cpp,
// kStreamBytes), peeled to the output's alignment: its results must equal those of short calls
// bit for bit, at any misalignment of the output, in place or not, in both tiers (the correctly
// rounded one, which does not stream, sends some lanes to its second step, in batches across
// blocks). (Inputs stay in (-64, 64): a fast-tier
// vector holding one below -87 (-80 for mish) takes the binary64 kernel, whose results are as
// accurate but not the same bits, and which vectors hold it depends on the alignment.)
TEST(SimdKernels, StreamingLoopAgreesWithShortCalls) {
  const std::size_t n = (std::size_t{1} << 22) + 37;
  std::vector<float> x(n + 16);
  std::uint32_t state = 12345;
  for (auto& v : x) {
    state = state * 1664525u + 1013904223u;
    v = std::ldexp(static_cast<float>(state >> 8) / 16777216.0f - 0.5f, 1 + static_cast<int>(state % 7));
  }
  x[5] = std::numeric_limits<float>::infinity();
  x[1000] = std::numeric_limits<float>::quiet_NaN();
  x[n - 3] = 1e-40f;
  using Fn = void (*)(std::span<const float>, std::span<float>, simd::Tier);
  const std::pair<const char*, Fn> fns[] = {
      {"sigmoid", [](std::span<const float> a, std::span<float> b, simd::Tier t) { simd::sigmoid(a, b, t); }},
      {"tanh", [](std::span<const float> a, std::span<float> b, simd::Tier t) { simd::tanh(a, b, t); }},
      {"silu", [](std::span<const float> a, std::span<float> b, simd::Tier t) { simd::silu(a, b, t); }},
      {"elu", [](std::span<const float> a, std::span<float> b, simd::Tier t) { simd::elu(a, b, 1.0f, t); }},
      {"mish", [](std::span<const float> a, std::span<float> b, simd::Tier t) { simd::mish(a, b, t); }},
      {"softplus", [](std::span<const float> a, std::span<float> b, simd::Tier t) { simd::softplus(a, b, t); }},
      {"relu", [](std::span<const float> a, std::span<float> b, simd::Tier) { simd::relu(a, b); }},
      {"leaky_relu", [](std::span<const float> a, std::span<float> b, simd::Tier) { simd::leaky_relu(a, b, 0.1f); }},
      {"relu6", [](std::span<const float> a, std::span<float> b, simd::Tier) { simd::relu6(a, b); }}};
  for (const auto& [name, f] : fns)
    for (simd::Tier tier : {simd::Tier::fast, simd::Tier::correctly_rounded}) {
      const std::string what = std::string(name) + (tier == simd::Tier::fast ? "" : " (correctly rounded)");
      std::vector<float> want(n), out(n + 16), inplace;
      const std::span<const float> in(x.data() + 3, n);
      for (std::size_t i = 0; i < n; i += 4096) {
        const std::size_t m = std::min<std::size_t>(4096, n - i);
        f(in.subspan(i, m), std::span<float>(want).subspan(i, m), tier);
      }
      for (std::size_t off : {0, 1, 7}) {
        f(in, std::span<float>(out.data() + off, n), tier);
        EXPECT_EQ(std::memcmp(out.data() + off, want.data(), n * sizeof(float)), 0) << what << " output offset " << off;
      }
      inplace.assign(in.begin(), in.end());
      f(inplace, inplace, tier);
      EXPECT_EQ(std::memcmp(inplace.data(), want.data(), n * sizeof(float)), 0) << what << " in place";
    }
}

TEST(SimdKernels, ForcedTargetIsReported) {
  for (const auto& t : simd_targets()) {
    simd::force_target(t);
    EXPECT_EQ(simd::current_target(), t);
  }
  simd::force_target("");
  EXPECT_THROW(simd::force_target("NO_SUCH_TARGET"), std::invalid_argument);
  simd::force_target("");
  auto all = simd_targets();
  EXPECT_TRUE(std::find(all.begin(), all.end(), "EMU128") != all.end() || std::find(all.begin(), all.end(), "SCALAR") != all.end())
      << "the scalar fallback is not compiled";
}

TEST(SimdKernels, BadShapesThrowNamingTheFunction) {
  std::vector<float> x(6), y(5);
  EXPECT_THROW(simd::sigmoid(std::span<const float>(x), std::span<float>(y)), std::invalid_argument);
  try {
    simd::softmax(std::span<const float>(x), simd::Shape{4, 2}, std::span<float>(x));
    ADD_FAILURE() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("nnconform::simd::softmax: ", 0), 0u) << e.what();
  }
  std::vector<std::int64_t> t = {0, 5};
  std::vector<float> out(1);
  EXPECT_THROW(simd::cross_entropy(std::span<const float>(x), std::span<const std::int64_t>(t), simd::Shape{2, 3},
                                   std::span<float>(out)),
               std::invalid_argument);
}

}  // namespace
}  // namespace nnconform::conformance
