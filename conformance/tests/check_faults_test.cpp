// A deliberately broken library (abi/tests/fixtures/broken_library.c), checked through the C ABI:
// each fault gets its own verdict naming the function, and never stops the other functions
// from being scored.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "check_support.hpp"

namespace nnconform::conformance {
namespace {

using namespace testing;
using ref::Format;

std::unique_ptr<BatchImplementation> broken(double timeout = 1.5) {
  return open_implementation(std::string("lib:") + NNCONFORM_FIXTURE_BROKEN, fast_options(timeout));
}

TEST(CheckFaults, OffByOneUlpOnARangeIsCountedExactly) {
  for (Format format : {Format::binary32, Format::binary64}) {
    NNCONFORM_REQUIRE_VECTORS("relu", format);
    // The library adds one ulp to every result in [1, 2): count those in the vectors.
    std::size_t in_range = 0;
    for (const auto& c : vector_file("relu", format).cases)
      for (const auto& v : c.args.inputs.at("x").values) in_range += v.to_double() >= 1 && v.to_double() < 2;
    ASSERT_GT(in_range, 0u);
    auto impl = broken();
    CheckResult r = check(*impl, {"relu"}, {format});
    const FunctionResult* f = find(r, "relu", format);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->status, "fail");
    EXPECT_EQ(f->over_tolerance, in_range);
    EXPECT_EQ(f->not_correctly_rounded, in_range);
    EXPECT_EQ(f->over_one_ulp, 0u);  // exactly one ulp off: not more
    EXPECT_DOUBLE_EQ(f->max_ulps, 1.0);
    ASSERT_TRUE(f->worst.has_value());
    double worst_x = ref::parse_value(f->worst->inputs.at(0).hex, format)->to_double();
    EXPECT_GE(worst_x, 1.0);
    EXPECT_LT(worst_x, 2.0);
    EXPECT_EQ(f->worst->problem, "over tolerance");
    EXPECT_EQ(f->nan_mismatches + f->inf_mismatches + f->zero_sign_mismatches, 0u);
  }
}

TEST(CheckFaults, CrashIsPinnedToItsCaseAndTheRunGoesOn) {
  NNCONFORM_REQUIRE_VECTORS("sigmoid", Format::binary32);
  NNCONFORM_REQUIRE_VECTORS("relu6", Format::binary32);
  // sigmoid dies of SIGSEGV on its first NaN input; relu6 (checked after it, in a fresh runner)
  // is right and prints junk to stdout, which must not reach the protocol.
  std::size_t first_nan = 0;
  ref::VectorFile file = vector_file("sigmoid", Format::binary32);
  while (first_nan < file.cases.size() && !file.cases[first_nan].args.inputs.at("x").values.at(0).is_nan()) ++first_nan;
  ASSERT_LT(first_nan, file.cases.size()) << "the vectors hold no NaN input";

  auto impl = broken();
  CheckResult r = check(*impl, {"sigmoid", "relu6"}, {Format::binary32});
  const FunctionResult* s = find(r, "sigmoid", Format::binary32);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->status, "fail");
  ASSERT_EQ(s->incidents.size(), 1u);
  EXPECT_EQ(s->incidents[0].kind, "crash");
  EXPECT_NE(s->incidents[0].message.find("SIGSEGV"), std::string::npos) << s->incidents[0].message;
  EXPECT_EQ(s->incidents[0].answered, first_nan);
  EXPECT_NE(s->incidents[0].next_case.find("x=nan"), std::string::npos) << s->incidents[0].next_case;
  EXPECT_EQ(s->answered, first_nan);  // the cases before the crash were scored
  EXPECT_EQ(s->values, first_nan);
  EXPECT_EQ(s->not_run, file.cases.size() - first_nan);
  EXPECT_NE(s->summary.find("SIGSEGV"), std::string::npos);

  const FunctionResult* after = find(r, "relu6", Format::binary32);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->status, "pass") << after->summary;
  EXPECT_EQ(after->values, after->cases);
}

TEST(CheckFaults, AbortIsACrash) {
  NNCONFORM_REQUIRE_VECTORS("elu", Format::binary64);
  auto impl = broken();
  CheckResult r = check(*impl, {"elu"}, {Format::binary64});
  const FunctionResult* f = find(r, "elu", Format::binary64);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->incidents.size(), 1u);
  EXPECT_EQ(f->incidents[0].kind, "crash");
  EXPECT_NE(f->incidents[0].message.find("SIGABRT"), std::string::npos) << f->incidents[0].message;
  EXPECT_EQ(f->incidents[0].answered, 0u);
}

TEST(CheckFaults, HangIsKilledAfterTheTimeoutAndTheRunGoesOn) {
  NNCONFORM_REQUIRE_VECTORS("tanh", Format::binary64);
  NNCONFORM_REQUIRE_VECTORS("relu6", Format::binary64);
  auto impl = broken(1.0);
  auto start = std::chrono::steady_clock::now();
  CheckResult r = check(*impl, {"tanh", "relu6"}, {Format::binary64});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const FunctionResult* f = find(r, "tanh", Format::binary64);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->incidents.size(), 1u);
  EXPECT_EQ(f->incidents[0].kind, "hang");
  EXPECT_NE(f->incidents[0].message.find("no answer within 1 s"), std::string::npos) << f->incidents[0].message;
  EXPECT_EQ(f->status, "fail");
  EXPECT_LT(seconds, 15.0);  // one timeout, not one per case
  const FunctionResult* after = find(r, "relu6", Format::binary64);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->status, "pass") << after->summary;
}

TEST(CheckFaults, EarlyExitIsReportedWithItsStatus) {
  NNCONFORM_REQUIRE_VECTORS("silu", Format::binary32);
  auto impl = broken();
  CheckResult r = check(*impl, {"silu"}, {Format::binary32});
  const FunctionResult* f = find(r, "silu", Format::binary32);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->incidents.size(), 1u);
  EXPECT_EQ(f->incidents[0].kind, "exit");
  EXPECT_NE(f->incidents[0].message.find("exited with status 3"), std::string::npos) << f->incidents[0].message;
}

TEST(CheckFaults, NanEverywhereCountsEveryNumberAsANanMismatch) {
  NNCONFORM_REQUIRE_VECTORS("softplus", Format::binary64);
  std::size_t numbers = 0;
  for (const auto& c : vector_file("softplus", Format::binary64).cases)
    for (const auto& v : c.expected.values) numbers += !v.is_nan();
  auto impl = broken();
  CheckResult r = check(*impl, {"softplus"}, {Format::binary64});
  const FunctionResult* f = find(r, "softplus", Format::binary64);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, "fail");
  EXPECT_EQ(f->nan_mismatches, numbers);
  EXPECT_EQ(f->over_tolerance, 0u);  // mismatches are counted apart from numeric errors
  ASSERT_FALSE(f->findings.empty());
  EXPECT_EQ(f->findings[0].problem, "NaN mismatch");
  EXPECT_NE(f->summary.find("NaN mismatches"), std::string::npos);
}

TEST(CheckFaults, WrongNumberOfOutputsIsACaseError) {
  NNCONFORM_REQUIRE_VECTORS("softmax", Format::binary32);
  auto impl = broken();
  CheckResult r = check(*impl, {"softmax"}, {Format::binary32});
  const FunctionResult* f = find(r, "softmax", Format::binary32);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, "fail");
  EXPECT_EQ(f->case_errors, f->cases);
  EXPECT_EQ(f->values, 0u);
  ASSERT_FALSE(f->errors.empty());
  EXPECT_NE(f->errors[0].find("wrong number of outputs"), std::string::npos) << f->errors[0];
}

TEST(CheckFaults, ErrorAnswersCarryTheLibrarysMessage) {
  NNCONFORM_REQUIRE_VECTORS("linear", Format::binary64);
  auto impl = broken();
  CheckResult r = check(*impl, {"linear"}, {Format::binary64});
  const FunctionResult* f = find(r, "linear", Format::binary64);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, "fail");
  EXPECT_EQ(f->case_errors, f->cases);
  ASSERT_FALSE(f->errors.empty());
  EXPECT_NE(f->errors[0].find("deliberately failing"), std::string::npos) << f->errors[0];
}

TEST(CheckFaults, UnsupportedCasesAreSkippedNotFailed) {
  NNCONFORM_REQUIRE_VECTORS("gelu", Format::binary32);
  auto impl = broken();
  CheckResult r = check(*impl, {"gelu"}, {Format::binary32});
  const FunctionResult* f = find(r, "gelu", Format::binary32);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, "skip");
  EXPECT_EQ(f->skipped, f->cases);
  EXPECT_TRUE(r.passed());
}

TEST(CheckFaults, FunctionsAndFormatsTheLibraryLacksAreListedNotRun) {
  auto impl = broken();
  CheckResult r = check(*impl, {"relu", "mish"}, {Format::binary32, Format::binary16});
  EXPECT_EQ(find(r, "relu", Format::binary16), nullptr);
  EXPECT_EQ(find(r, "mish", Format::binary32), nullptr);
  ASSERT_EQ(r.not_implemented.size(), 2u);
  EXPECT_EQ(r.not_implemented[0], "relu (binary16)");
  EXPECT_EQ(r.not_implemented[1], "mish");
}

TEST(CheckFaults, ALibraryWithoutTheAbiIsRefusedByName) {
  try {
    open_implementation(std::string("lib:") + NNCONFORM_FIXTURE_MISSING, fast_options());
    FAIL() << "opened a library without the ABI";
  } catch (const ImplementationError& e) {
    EXPECT_NE(std::string(e.what()).find("does not export nnconform_abi_version"), std::string::npos) << e.what();
  }
  EXPECT_THROW(open_implementation("lib:/nonexistent/libnothing.so", fast_options()), ImplementationError);
}

}  // namespace
}  // namespace nnconform::conformance
