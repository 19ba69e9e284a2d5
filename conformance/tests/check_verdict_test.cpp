// Verdict rules: profiles, conventions (a framework's documented convention is labeled and
// scored against, accepted only by that framework's profile), flush-to-zero and its refutation,
// baselines, and the round trip through results.json. The implementations here are the
// built-in one with a deliberate twist, so that each rule is seen to fire, and not to fire.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "check_support.hpp"
#include "nnconform/conformance/report.hpp"

namespace nnconform::conformance {
namespace {

using namespace testing;
using ref::Format;

// The built-in implementation with its outputs (or its inputs) changed by `twist`.
class Twisted : public Implementation {
 public:
  // (input x, the built-in's output y, the case) -> the output to return
  using Twist = std::function<ref::FloatBits(const ref::FloatBits& x, const ref::FloatBits& y, const ref::Arguments& args)>;
  Twisted(std::string function, Twist twist) : function_(std::move(function)), twist_(std::move(twist)) {}
  std::string name() const override { return "twisted"; }
  bool supports(const ref::FunctionSpec& fn, Format format) const override { return builtin_->supports(fn, format); }
  std::vector<ref::FloatBits> compute(const ref::FunctionSpec& fn, Format format, const ref::Arguments& args) override {
    auto out = builtin_->compute(fn, format, args);
    if (fn.name == function_) out[0] = twist_(args.inputs.at("x").values.at(0), out[0], args);
    return out;
  }

 private:
  std::unique_ptr<Implementation> builtin_ = make_builtin();
  std::string function_;
  Twist twist_;
};

std::size_t convention_values(const FunctionResult& f, const std::string& name) {
  for (const auto& c : f.conventions)
    if (c.name == name) return c.values;
  return 0;
}

// softplus linearized where beta*x > 20, as torch.nn.functional.softplus does by default (for
// beta = 1 here, to keep the twist simple).
std::unique_ptr<BatchImplementation> torch_like_softplus() {
  return in_process(std::make_unique<Twisted>("softplus", [](const ref::FloatBits& x, const ref::FloatBits& y, const ref::Arguments& a) {
    bool unit_beta = !a.params.count("beta") || a.params.at("beta") == "1";
    return unit_beta && x.to_double() > 20 ? x : y;
  }));
}

TEST(CheckVerdict, AFrameworkConventionIsLabeledAndAcceptedOnlyByItsProfile) {
  NNCONFORM_REQUIRE_VECTORS("softplus", Format::binary64);
  auto impl = torch_like_softplus();
  CheckResult strict = check(*impl, {"softplus"}, {Format::binary64}, "strict");
  const FunctionResult* s = find(strict, "softplus", Format::binary64);
  ASSERT_NE(s, nullptr);
  std::size_t explained = convention_values(*s, "pytorch");
  EXPECT_GT(explained, 0u) << "no value above 20 deviates? " << s->summary;
  EXPECT_EQ(s->status, "fail");
  EXPECT_EQ(s->unaccepted_convention_values, explained);
  EXPECT_NE(s->summary.find("follow the pytorch convention, which profile strict does not accept"), std::string::npos) << s->summary;
  for (const auto& f : s->findings) EXPECT_TRUE(f.convention.empty());
  // Scored against the convention, the deviations are within tolerance: none is a finding.
  for (const auto& f : s->findings) EXPECT_LE(ref::parse_value(f.inputs[0].hex, Format::binary64)->to_double(), 20.0) << f.location;

  CheckResult pytorch = check(*impl, {"softplus"}, {Format::binary64}, "framework:pytorch");
  const FunctionResult* p = find(pytorch, "softplus", Format::binary64);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(convention_values(*p, "pytorch"), explained);
  EXPECT_EQ(p->unaccepted_convention_values, 0u);
  EXPECT_TRUE(p->conventions.at(0).accepted);
  EXPECT_EQ(p->conventions.at(0).example.convention, "");
  EXPECT_GT(p->conventions.at(0).example.ulps, p->tolerance);  // measured against the default semantics
  // Whatever else the built-in softplus does, the convention no longer fails it.
  EXPECT_EQ(p->over_tolerance, s->over_tolerance);
}

TEST(CheckVerdict, ADeviationNoConventionExplainsIsAFinding) {
  NNCONFORM_REQUIRE_VECTORS("softplus", Format::binary64);
  // Linearizing above 10 is nobody's convention.
  auto impl = in_process(std::make_unique<Twisted>("softplus", [](const ref::FloatBits& x, const ref::FloatBits& y, const ref::Arguments&) {
    return x.to_double() > 10 && x.to_double() < 15 ? x : y;
  }));
  CheckResult r = check(*impl, {"softplus"}, {Format::binary64}, "framework:pytorch");
  const FunctionResult* f = find(r, "softplus", Format::binary64);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, "fail");
  EXPECT_EQ(convention_values(*f, "pytorch"), 0u);
  EXPECT_GT(f->over_tolerance, 0u);
  ASSERT_FALSE(f->findings.empty());
  EXPECT_EQ(f->findings[0].problem, "over tolerance");
}

// sigmoid with every subnormal result flushed to zero (FTZ), or only some.
std::unique_ptr<BatchImplementation> flushing_sigmoid(bool consistently) {
  return in_process(std::make_unique<Twisted>("sigmoid", [consistently](const ref::FloatBits& x, const ref::FloatBits& y,
                                                                        const ref::Arguments&) {
    // Inconsistently: only below -90 (sigmoid is subnormal in binary32 from about -87.3 to -104).
    if (y.is_subnormal() && (consistently || x.to_double() < -90)) return ref::FloatBits::zero(y.format, y.sign());
    return y;
  }));
}

TEST(CheckVerdict, FlushToZeroIsLabeledWhenConsistentAndAcceptedOnRequest) {
  NNCONFORM_REQUIRE_VECTORS("sigmoid", Format::binary32);
  auto impl = flushing_sigmoid(true);
  CheckResult plain = check(*impl, {"sigmoid"}, {Format::binary32});
  const FunctionResult* f = find(plain, "sigmoid", Format::binary32);
  ASSERT_NE(f, nullptr);
  std::size_t flushed = convention_values(*f, "ftz");
  EXPECT_GT(flushed, 0u) << f->summary;
  EXPECT_EQ(f->status, "fail");
  CheckResult accepted = check(*impl, {"sigmoid"}, {Format::binary32}, "strict", {"ftz"});
  const FunctionResult* a = find(accepted, "sigmoid", Format::binary32);
  EXPECT_EQ(convention_values(*a, "ftz"), flushed);
  EXPECT_EQ(a->unaccepted_convention_values, 0u);
  EXPECT_EQ(a->over_tolerance, 0u) << a->summary;
}

TEST(CheckVerdict, FlushToZeroIsNotAssumedWhenSubnormalsAreReturnedElsewhere) {
  NNCONFORM_REQUIRE_VECTORS("sigmoid", Format::binary32);
  auto impl = flushing_sigmoid(false);
  CheckResult r = check(*impl, {"sigmoid"}, {Format::binary32}, "strict", {"ftz"});
  const FunctionResult* f = find(r, "sigmoid", Format::binary32);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(convention_values(*f, "ftz"), 0u);
  EXPECT_GT(f->over_tolerance, 0u);
  EXPECT_EQ(f->status, "fail");
}

TEST(CheckVerdict, TheExactProfileWantsEveryValueCorrectlyRounded) {
  NNCONFORM_REQUIRE_VECTORS("relu", Format::binary32);
  NNCONFORM_REQUIRE_VECTORS("sigmoid", Format::binary64);
  auto impl = in_process(make_builtin());
  CheckResult r = check(*impl, {"relu", "sigmoid"}, {Format::binary32, Format::binary64}, "exact");
  const FunctionResult* relu = find(r, "relu", Format::binary32);
  ASSERT_NE(relu, nullptr);
  EXPECT_EQ(relu->status, "pass");
  EXPECT_EQ(relu->tolerance, 0.5);
  const FunctionResult* sigmoid = find(r, "sigmoid", Format::binary64);
  ASSERT_NE(sigmoid, nullptr);
  EXPECT_EQ(sigmoid->status == "pass", sigmoid->not_correctly_rounded == 0) << sigmoid->summary;
}

TEST(CheckVerdict, ProfilesAndConventionsAreValidated) {
  EXPECT_NO_THROW(parse_profile("strict", specs()));
  EXPECT_NO_THROW(parse_profile("exact", specs()));
  Profile p = parse_profile("framework:pytorch", specs());
  EXPECT_TRUE(p.accepts("pytorch"));
  EXPECT_TRUE(p.accepts("pytorch_mean"));
  EXPECT_FALSE(p.accepts("keras"));
  EXPECT_FALSE(p.accepts("ftz"));
  EXPECT_TRUE(parse_profile("framework:pytorch", specs(), {"ftz"}).accepts("ftz"));
  try {
    parse_profile("lenient", specs());
    FAIL();
  } catch (const CheckUsageError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("unknown profile 'lenient'"), std::string::npos) << m;
    EXPECT_NE(m.find("framework:pytorch"), std::string::npos) << m;
  }
  EXPECT_THROW(parse_profile("framework:caffe", specs()), CheckUsageError);
  EXPECT_THROW(parse_profile("strict", specs(), {"nonsense"}), CheckUsageError);
  auto impl = in_process(make_builtin());
  EXPECT_THROW(check(*impl, {"no_such_function"}, {Format::binary32}), CheckUsageError);
}

TEST(CheckVerdict, MissingVectorsAreAnErrorOfThatFunction) {
  auto impl = in_process(make_builtin());
  CheckOptions o;
  o.functions = {"relu"};
  o.formats = {Format::binary32};
  o.vector_dir = "/nonexistent/vectors";
  CheckResult r = run_check(specs(), reference(), *impl, o);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].status, "error");
  EXPECT_NE(r.results[0].summary.find("no golden vectors"), std::string::npos);
  EXPECT_FALSE(r.passed());
}

CheckResult sample_result() {
  auto impl = open_implementation(std::string("lib:") + NNCONFORM_FIXTURE_BROKEN, fast_options());
  return check(*impl, {"relu", "relu6", "softplus", "sigmoid", "gelu"}, {Format::binary32});
}

TEST(CheckResults, SurviveTheRoundTripThroughJson) {
  NNCONFORM_REQUIRE_VECTORS("sigmoid", Format::binary32);
  CheckResult r = sample_result();
  std::string json = to_json(r);
  CheckResult back = result_from_json(json, "results.json");
  EXPECT_EQ(to_json(back), json);
  EXPECT_EQ(render_markdown(back), render_markdown(r));
  EXPECT_EQ(render_html(back), render_html(r));
  EXPECT_THROW(result_from_json("{\"nnconform_results\": 99}", "x.json"), std::runtime_error);
  EXPECT_THROW(result_from_json("not json", "x.json"), std::runtime_error);
}

TEST(CheckResults, ABaselineCatchesAnyFunctionThatGotWorse) {
  NNCONFORM_REQUIRE_VECTORS("sigmoid", Format::binary32);
  CheckResult r = sample_result();
  std::string baseline = baseline_json(r);
  EXPECT_TRUE(compare_with_baseline(r, baseline, "b.json").empty());
  EXPECT_TRUE(compare_with_baseline(r, to_json(r), "results.json").empty());  // a results file works too

  CheckResult worse = r;
  for (auto& f : worse.results) {
    if (f.function == "relu6") {  // passed: now fails, one more value over tolerance
      f.status = "fail";
      f.over_tolerance += 1;
      f.max_ulps = 3;
    }
  }
  auto regressions = compare_with_baseline(worse, baseline, "b.json");
  ASSERT_FALSE(regressions.empty());
  for (const auto& g : regressions) EXPECT_EQ(g.function, "relu6");
  EXPECT_THROW(compare_with_baseline(r, "{}", "b.json"), std::runtime_error);
}

TEST(CheckReports, AreSelfContainedAndComplete) {
  NNCONFORM_REQUIRE_VECTORS("sigmoid", Format::binary32);
  CheckResult r = sample_result();
  std::string html = render_html(r);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  std::size_t plots = 0;
  for (std::size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) ++plots;
  std::size_t with_points = 0;
  for (const auto& f : r.results) with_points += !f.plot.empty();
  EXPECT_EQ(plots, with_points);
  EXPECT_GE(with_points, 3u);
  EXPECT_NE(html.find("SIGSEGV"), std::string::npos);  // the crash is in the page

  std::string junit = render_junit(r);
  std::size_t testcases = 0;
  for (std::size_t at = junit.find("<testcase "); at != std::string::npos; at = junit.find("<testcase ", at + 1)) ++testcases;
  EXPECT_EQ(testcases, r.results.size());
  EXPECT_NE(junit.find("failures=\"" + std::to_string(r.failed()) + "\""), std::string::npos);
  EXPECT_NE(junit.find("<skipped"), std::string::npos);  // gelu

  std::string md = render_markdown(r);
  EXPECT_NE(md.find("| relu | binary32 |"), std::string::npos);
  std::string term = render_terminal(r);
  EXPECT_NE(term.find("sigmoid binary32: fail: crashed: killed by signal 11 (SIGSEGV)"), std::string::npos) << term;
}

TEST(CheckReports, PlotsUseALogScaleOnlyWhenTheInputsSpanBinades) {
  FunctionResult f;
  f.function = "f";
  f.format = "binary64";
  f.tolerance = 1;
  f.plot_x = "x";
  f.plot = {{1e-300, 0.2, 0}, {1e300, 0.4, 0}, {-1e-5, 3, 1}, {HUGE_VAL, HUGE_VAL, 2}};
  EXPECT_NE(render_plot_svg(f).find("(log scale)"), std::string::npos);
  // The extremes of binary64: 10^floor(log10(5e-324)) underflows, max / min overflows.
  f.plot = {{4.9406564584124654e-324, 0.1, 0}, {-1.7976931348623157e308, 0.3, 0}, {0, 0, 0}, {-HUGE_VAL, 1, 0}};
  std::string svg = render_plot_svg(f);
  EXPECT_LT(svg.size(), 20000u);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  f.plot = {{1, 0.2, 0}, {2, 0.4, 0}, {3, 0.1, 0}};
  EXPECT_EQ(render_plot_svg(f).find("(log scale)"), std::string::npos);
}

}  // namespace
}  // namespace nnconform::conformance
