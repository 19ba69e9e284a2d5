// The sweep engine (reference/include/nnconform/ref/fast/sweep.hpp) driving implementations:
// sharding and merging give the unsharded result, an interrupted shard resumes to the same
// result, a deliberately broken implementation is reported with exactly its broken range, bad
// input is refused, and binary16/bfloat16 sweeps of the built-in implementation agree with an
// element-by-element check against the MPFR reference.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nnconform/conformance/implementation.hpp"
#include "nnconform/conformance/measure.hpp"
#include "nnconform/conformance/simd_implementation.hpp"
#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/fast/sweep.hpp"

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

Verdict measure(const FloatBits& c, const FloatBits& g, double offset) {
  conformance::ElementError e = conformance::measure(c, g, offset);
  return {e.ulps, e.correctly_rounded, e.nan_mismatch, e.inf_mismatch, e.zero_sign_mismatch};
}

// A conformance implementation (the built-in one unless told), a chunk per call.
class ImplementationSubject : public SweepSubject {
 public:
  ImplementationSubject(const FunctionSpec& fn, Format f, std::unique_ptr<conformance::Implementation> impl = conformance::make_builtin())
      : impl_(std::move(impl)), fn_(fn), format_(f) {}
  void compute(std::span<const std::uint32_t> in, std::span<std::uint32_t> out) override {
    Arguments args;
    Tensor t;
    t.shape = {in.size()};
    for (auto b : in) t.values.push_back(FloatBits{format_, b});
    args.inputs["x"] = t;
    auto y = impl_->compute(fn_, format_, args);
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = static_cast<std::uint32_t>(y[i].bits);
  }

 private:
  std::unique_ptr<conformance::Implementation> impl_;
  const FunctionSpec& fn_;
  Format format_;
};

// The built-in implementation, wrong (its result plus 3 ulp, or NaN) on [bad_lo, bad_hi].
class Broken : public ImplementationSubject {
 public:
  Broken(const FunctionSpec& fn, Format f, std::uint32_t lo, std::uint32_t hi, bool nan) : ImplementationSubject(fn, f), lo_(lo), hi_(hi), nan_(nan) {}
  void compute(std::span<const std::uint32_t> in, std::span<std::uint32_t> out) override {
    ImplementationSubject::compute(in, out);
    for (std::size_t i = 0; i < in.size(); ++i)
      if (in[i] >= lo_ && in[i] <= hi_) out[i] = nan_ ? 0x7fc00000u : out[i] + 3;
  }

 private:
  std::uint32_t lo_, hi_;
  bool nan_;
};

SweepSpec spec_for(const FunctionSpec& fn, Format f, std::uint32_t lo, std::uint32_t hi, std::uint32_t chunk) {
  SweepSpec s;
  s.function = fn.name;
  s.format = f;
  s.implementation = "builtin";
  s.lo = lo;
  s.hi = hi;
  s.chunk_size = chunk;
  s.tolerance = fn.tolerance.at("strict").at(f);
  s.signed_zero_significant = fn.signed_zero_significant;
  return s;
}

// The JSON of a result without what legitimately differs between runs (times, threads, and
// the shard's own identity).
nlohmann::json comparable(const SweepResult& r) {
  auto j = nlohmann::json::parse(r.to_json());
  for (const char* k : {"seconds", "thread_seconds", "cpu_seconds", "threads", "shard", "shards", "next_chunk"}) j.erase(k);
  return j;
}

std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("nnconform_sweep_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

TEST(Sweep, ShardedAndMergedEqualsUnsharded) {
  const FunctionSpec& fn = *specs().find("tanh");
  FastReference fr(reference(), fn, Format::binary32);
  // A sub-range with plenty of non-correctly-rounded results, and a broken stretch that
  // straddles the boundary between shards 2 and 3 (chunk 6 of 12 starts at lo + 6 * 8192).
  const std::uint32_t lo = 0x3e800000, hi = lo + 12 * 8192 - 1 - 100;
  const std::uint32_t bad_lo = lo + 6 * 8192 - 5, bad_hi = lo + 6 * 8192 + 9;
  SubjectFactory subjects = [&] { return std::make_unique<Broken>(fn, Format::binary32, bad_lo, bad_hi, false); };
  SweepSpec whole = spec_for(fn, Format::binary32, lo, hi, 8192);
  RunOptions ro;
  ro.threads = 2;
  SweepResult unsharded = run_sweep(fr, subjects, measure, whole, ro);
  ASSERT_TRUE(unsharded.complete);
  EXPECT_EQ(unsharded.tally.inputs, std::uint64_t{hi} - lo + 1);

  std::vector<std::pair<std::string, SweepResult>> parts;
  for (std::uint32_t i = 4; i >= 1; --i) {  // any order
    SweepSpec s = whole;
    s.shard = i;
    s.shards = 4;
    SweepResult r = run_sweep(fr, subjects, measure, s, ro);
    // through the file format, as shards on other machines would hand them over
    parts.emplace_back("shard" + std::to_string(i) + ".json", SweepResult::from_json(r.to_json(), "shard"));
  }
  SweepResult merged = merge_results(parts);
  EXPECT_EQ(comparable(merged), comparable(unsharded));
  EXPECT_EQ(format_report(merged).substr(0, 40), format_report(unsharded).substr(0, 40));
  ASSERT_EQ(merged.tally.failing.count, 1u);
  EXPECT_EQ(merged.tally.failing.head[0].lo, bad_lo);
  EXPECT_EQ(merged.tally.failing.head[0].hi, bad_hi);

  // More shards than chunks: empty shards merge too.
  std::vector<std::pair<std::string, SweepResult>> many;
  SweepSpec tiny = spec_for(fn, Format::binary32, lo, lo + 3 * 8192 - 1, 8192);
  SweepResult tiny_whole = run_sweep(fr, subjects, measure, tiny, ro);
  for (std::uint32_t i = 1; i <= 5; ++i) {
    SweepSpec s = tiny;
    s.shard = i;
    s.shards = 5;
    many.emplace_back("s" + std::to_string(i), SweepResult::from_json(run_sweep(fr, subjects, measure, s, ro).to_json(), "s"));
  }
  EXPECT_EQ(comparable(merge_results(many)), comparable(tiny_whole));

  // A missing shard is an error naming the gap; so is an overlap.
  parts.erase(parts.begin() + 1);
  EXPECT_THROW(merge_results(parts), SweepError);
}

// The correctly rounded SIMD tier (impl/simd/float_cr-inl.h: float lanes with a rounding check,
// then binary64, then binary128) over windows where its first step is weakest or changes form,
// in the targets with the float-lane step (AVX-512, AVX2) and one without (SSE4): every result
// correctly rounded. The whole binary32 range is swept by `scripts/sweep-all.sh --impl simd-cr`
// (docs/sweeps/binary32-simd-cr); this keeps the test command honest between sweeps.
TEST(Sweep, CorrectlyRoundedSimdTierOverItsHardWindows) {
  struct Window {
    std::uint32_t lo, hi;
    const char* why;
  };
  const Window windows[] = {
      {0x00000000u, 0x000fffffu, "+0 and subnormal x: tiny results, the division's subnormal steps"},
      {0x0c000000u, 0x0c0fffffu, "x near 2^-103: the 2^-140 floor of the bounds"},
      {0x3c200000u, 0x3c3fffffu, "x in [0.0098, 0.0117): tanh's e^-2x leaves M = 0 (0.0108), 1 - e cancels"},
      {0xbca00000u, 0xbcbfffffu, "x in (-0.0234, -0.0195]: elu's e^x leaves M = 0 (-0.0217), e - 1 cancels"},
      {0x40000000u, 0x400fffffu, "x in [2, 2.06): the common range"},
      {0xc2a00000u, 0xc2b0ffffu, "x in (-88.5, -80]: the subnormal boundary, the deferred range"},
      {0x40300000u, 0x403fffffu, "x in [2.75, 3): softplus's u = e^-x crosses 1/16, its log's table edge"},
  };
  std::vector<std::string> targets;
  for (const auto& t : conformance::simd_targets())
    if (t == "AVX3" || t == "AVX2" || t == "SSE4") targets.push_back(t);
  ASSERT_FALSE(targets.empty());
  for (const char* name : {"sigmoid", "tanh", "silu", "elu", "softplus", "mish"}) {
    const FunctionSpec& fn = *specs().find(name);
    FastReference fr(reference(), fn, Format::binary32);
    for (const auto& target : targets) {
      const std::string impl = "simd-cr@" + target;
      SubjectFactory subjects = [&] { return std::make_unique<ImplementationSubject>(fn, Format::binary32, conformance::make_simd(impl)); };
      for (const Window& w : windows) {
        SweepSpec s = spec_for(fn, Format::binary32, w.lo, w.hi, 1 << 16);
        s.implementation = impl;
        RunOptions ro;
        ro.threads = 2;
        const SweepResult r = run_sweep(fr, subjects, measure, s, ro);
        ASSERT_TRUE(r.complete);
        EXPECT_EQ(r.tally.correctly_rounded, r.tally.inputs)
            << impl << " " << name << " on " << w.why << ": max " << r.tally.max_ulps << " ulp at input bits 0x"
            << std::hex << r.tally.worst_input << std::dec;
        EXPECT_EQ(r.tally.nan_mismatches + r.tally.inf_mismatches + r.tally.zero_sign_mismatches, 0u)
            << impl << " " << name << " on " << w.why;
      }
    }
  }
}

TEST(Sweep, ResumesFromItsLastCompletedChunk) {
  const FunctionSpec& fn = *specs().find("sigmoid");
  FastReference fr(reference(), fn, Format::binary32);
  SubjectFactory subjects = [&] { return std::make_unique<ImplementationSubject>(fn, Format::binary32); };
  SweepSpec s = spec_for(fn, Format::binary32, 0xc2c00000, 0xc2c00000 + 10 * 4096 - 1, 4096);
  RunOptions ro;
  ro.threads = 2;
  SweepResult straight = run_sweep(fr, subjects, measure, s, ro);

  std::string cp = temp_path("resume.partial");
  std::filesystem::remove(cp);
  ro.checkpoint = cp;
  ro.max_chunks = 3;
  SweepResult first = run_sweep(fr, subjects, measure, s, ro);
  EXPECT_FALSE(first.complete);
  EXPECT_EQ(first.next_chunk, 3u);
  ASSERT_TRUE(std::filesystem::exists(cp));
  // What the checkpoint holds is exactly the first three chunks.
  std::ifstream in(cp);
  std::stringstream text;
  text << in.rdbuf();
  SweepResult saved = SweepResult::from_json(text.str(), cp);
  EXPECT_EQ(saved.next_chunk, 3u);
  EXPECT_EQ(saved.tally.inputs, 3u * 4096);

  ro.resume = true;
  ro.max_chunks = 4;
  SweepResult second = run_sweep(fr, subjects, measure, s, ro);
  EXPECT_EQ(second.next_chunk, 7u);
  ro.max_chunks = 0;
  SweepResult done = run_sweep(fr, subjects, measure, s, ro);
  EXPECT_TRUE(done.complete);
  EXPECT_FALSE(std::filesystem::exists(cp));  // removed once complete
  EXPECT_EQ(comparable(done), comparable(straight));

  // A checkpoint of another sweep is refused.
  ro.max_chunks = 1;
  ro.resume = false;
  run_sweep(fr, subjects, measure, s, ro);
  SweepSpec other = s;
  other.lo += 1;
  ro.resume = true;
  EXPECT_THROW(run_sweep(fr, subjects, measure, other, ro), SweepError);
  std::filesystem::remove(cp);
}

TEST(Sweep, ReportsABrokenRangeExactly) {
  const FunctionSpec& fn = *specs().find("sigmoid");
  FastReference fr(reference(), fn, Format::binary32);
  const std::uint32_t lo = 0x3f000000, hi = 0x3f03ffff;
  for (bool nan : {false, true}) {
    const std::uint32_t bad_lo = 0x3f012345, bad_hi = 0x3f0123ff;
    SubjectFactory subjects = [&] { return std::make_unique<Broken>(fn, Format::binary32, bad_lo, bad_hi, nan); };
    RunOptions ro;
    ro.threads = 2;
    SweepResult r = run_sweep(fr, subjects, measure, spec_for(fn, Format::binary32, lo, hi, 4096), ro);
    EXPECT_FALSE(r.passed());
    ASSERT_EQ(r.tally.failing.count, 1u);
    EXPECT_EQ(r.tally.failing.head[0].lo, bad_lo);
    EXPECT_EQ(r.tally.failing.head[0].hi, bad_hi);
    std::uint64_t n = bad_hi - bad_lo + 1;
    if (nan) {
      EXPECT_EQ(r.tally.nan_mismatches, n);
      EXPECT_TRUE(std::isinf(r.tally.failing.head[0].max_ulps));
    } else {
      EXPECT_EQ(r.tally.over_tolerance, n);
      EXPECT_GE(r.tally.max_ulps, 2.5);
      EXPECT_GE(r.tally.worst_input, bad_lo);
      EXPECT_LE(r.tally.worst_input, bad_hi);
    }
    std::string report = format_report(r);
    EXPECT_NE(report.find("0x3f012345..0x3f0123ff"), std::string::npos) << report;
    EXPECT_NE(report.find("FAIL"), std::string::npos);
  }
  // The unbroken implementation passes there.
  SubjectFactory good = [&] { return std::make_unique<ImplementationSubject>(fn, Format::binary32); };
  RunOptions ro;
  EXPECT_TRUE(run_sweep(fr, good, measure, spec_for(fn, Format::binary32, lo, hi, 4096), ro).passed());
}

TEST(Sweep, RefusesBadInput) {
  EXPECT_THROW(parse_shard("3/2"), SweepError);
  EXPECT_THROW(parse_shard("0/2"), SweepError);
  EXPECT_THROW(parse_shard("1/0"), SweepError);
  EXPECT_THROW(parse_shard("a/b"), SweepError);
  EXPECT_EQ(parse_shard("2/4"), std::make_pair(2u, 4u));
  EXPECT_THROW(parse_range("0x0000:0x10000", Format::binary16), SweepError);
  EXPECT_THROW(parse_range("0x3f800000:0x3f000000", Format::binary32), SweepError);
  EXPECT_THROW(parse_range("0:100", Format::binary32), SweepError);
  EXPECT_EQ(parse_range("0x00000000:0x7f800000", Format::binary32), std::make_pair(0u, 0x7f800000u));
  EXPECT_THROW(FastReference(reference(), *specs().find("cross_entropy"), Format::binary32), EvalError);

  // Corrupt result files.
  const FunctionSpec& fn = *specs().find("relu");
  FastReference fr(reference(), fn, Format::bfloat16);
  SubjectFactory subjects = [&] { return std::make_unique<ImplementationSubject>(fn, Format::bfloat16); };
  RunOptions ro;
  std::string good = run_sweep(fr, subjects, measure, spec_for(fn, Format::bfloat16, 0, 0xffff, 4096), ro).to_json();
  EXPECT_NO_THROW(SweepResult::from_json(good, "good.json"));
  EXPECT_THROW(SweepResult::from_json(good.substr(0, good.size() / 2), "cut.json"), SweepError);
  EXPECT_THROW(SweepResult::from_json("{}", "empty.json"), SweepError);
  EXPECT_THROW(SweepResult::from_json("[1, 2]", "list.json"), SweepError);
  auto edited = [&](const std::string& key, const nlohmann::json& v) {
    auto j = nlohmann::json::parse(good);
    j[key] = v;
    return j.dump();
  };
  EXPECT_THROW(SweepResult::from_json(edited("inputs", 12), "inputs.json"), SweepError);
  EXPECT_THROW(SweepResult::from_json(edited("correctly_rounded", 1u << 20), "cr.json"), SweepError);
  EXPECT_THROW(SweepResult::from_json(edited("format", "binary64"), "format.json"), SweepError);
  EXPECT_THROW(SweepResult::from_json(edited("covers", {"0x0000", "0x1ffff"}), "covers.json"), SweepError);
  try {
    SweepResult::from_json(edited("max_ulps", "lots"), "ulps.json");
    FAIL();
  } catch (const SweepError& e) {
    EXPECT_NE(std::string(e.what()).find("ulps.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("max_ulps"), std::string::npos);
  }
}

// binary16 and bfloat16, all 65536 inputs, the built-in implementation: the sweep's counts are
// those of an element-by-element check with the MPFR reference and measure().
TEST(Sweep, Exhaustive16BitSweepsAgreeWithMpfr) {
  for (const char* name : {"tanh", "elu"}) {
    const FunctionSpec& fn = *specs().find(name);
    for (Format f : {Format::binary16, Format::bfloat16}) {
      FastReference fr(reference(), fn, f);
      SubjectFactory subjects = [&] { return std::make_unique<ImplementationSubject>(fn, f); };
      RunOptions ro;
      ro.threads = 2;
      SweepSpec s = spec_for(fn, f, 0, 0xffff, 8192);
      SweepResult r = run_sweep(fr, subjects, measure, s, ro);

      Arguments args;
      Tensor t;
      t.shape = {65536};
      for (std::uint32_t b = 0; b < 65536; ++b) t.values.push_back(FloatBits{f, b});
      args.inputs["x"] = t;
      EvalResult golden = reference().evaluate(fn, f, args);
      auto computed = conformance::make_builtin()->compute(fn, f, args);
      conformance::Score score;
      for (std::size_t i = 0; i < 65536; ++i) {
        auto e = conformance::measure(computed[i], golden.values[i].value, golden.values[i].offset_ulps);
        score.add(e, s.tolerance, fn.signed_zero_significant, [] { return std::string(); });
      }
      EXPECT_EQ(r.tally.inputs, score.count);
      EXPECT_EQ(r.tally.inputs - r.tally.correctly_rounded, score.not_correctly_rounded) << name << " " << ref::name(f);
      EXPECT_EQ(r.tally.over_one_ulp, score.over_one_ulp);
      EXPECT_EQ(r.tally.over_tolerance, score.over_tolerance);
      EXPECT_EQ(r.tally.nan_mismatches, score.nan_mismatches);
      EXPECT_EQ(r.tally.inf_mismatches, score.inf_mismatches);
      double finite_max = 0;
      for (std::size_t i = 0; i < 65536; ++i) {
        auto e = conformance::measure(computed[i], golden.values[i].value, golden.values[i].offset_ulps);
        if (std::isfinite(e.ulps)) finite_max = std::max(finite_max, e.ulps);
      }
      EXPECT_DOUBLE_EQ(r.tally.max_ulps, finite_max) << name << " " << ref::name(f);
    }
  }
}

}  // namespace
}  // namespace nnconform::ref::fast
