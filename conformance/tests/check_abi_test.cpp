// The built-in implementation checked through the C ABI (libnnconform_builtin_abi.so, served by
// nnconform-abi-runner in a child process) gets exactly the verdict it gets in process: the ABI
// and the protocol change how values travel, never what is measured. Over every function and
// format of the built-in implementation that the test vectors cover, 16-bit exhaustive tables
// included (the runner converts binary16 and bfloat16 itself).
#include <gtest/gtest.h>

#include "check_support.hpp"

namespace nnconform::conformance {
namespace {

using namespace testing;
using ref::Format;

void expect_same_sample(const std::optional<Sample>& a, const std::optional<Sample>& b, const std::string& what) {
  ASSERT_EQ(a.has_value(), b.has_value()) << what;
  if (!a) return;
  EXPECT_EQ(a->location, b->location) << what;
  EXPECT_EQ(a->element, b->element) << what;
  EXPECT_EQ(a->got.bits, b->got.bits) << what;
  EXPECT_EQ(a->expected.bits, b->expected.bits) << what;
}

TEST(CheckAbi, BuiltinThroughTheAbiEqualsInProcess) {
  std::vector<std::string> functions;
  auto builtin = in_process(make_builtin());
  for (const auto& name : test_functions())
    if (builtin->supports(*specs().find(name), Format::binary64)) functions.push_back(name);
  ASSERT_FALSE(functions.empty());
  const std::vector<Format> formats(std::begin(ref::kAllFormats), std::end(ref::kAllFormats));

  CheckResult direct = check(*builtin, functions, formats);
  auto lib = open_implementation(std::string("lib:") + NNCONFORM_BUILTIN_ABI, fast_options(30));
  EXPECT_NE(lib->description().find("through the C ABI"), std::string::npos);
  CheckResult abi = check(*lib, functions, formats);

  std::size_t compared = 0, exhaustive = 0;
  ASSERT_EQ(direct.results.size(), abi.results.size());
  for (std::size_t i = 0; i < direct.results.size(); ++i) {
    const FunctionResult& a = direct.results[i];
    const FunctionResult& b = abi.results[i];
    std::string what = a.function + " " + a.format;
    ASSERT_EQ(a.function, b.function);
    ASSERT_EQ(a.format, b.format);
    if (a.status == "error") continue;  // no vectors for it in the test tree
    ++compared;
    exhaustive += a.format == "binary16" || a.format == "bfloat16";
    EXPECT_EQ(a.status, b.status) << what << ": " << a.summary << " | " << b.summary;
    EXPECT_EQ(a.summary, b.summary) << what;
    EXPECT_EQ(a.cases, b.cases) << what;
    EXPECT_EQ(a.values, b.values) << what;
    EXPECT_EQ(a.skipped, b.skipped) << what;
    EXPECT_EQ(a.case_errors, b.case_errors) << what;
    EXPECT_EQ(a.not_correctly_rounded, b.not_correctly_rounded) << what;
    EXPECT_EQ(a.over_tolerance, b.over_tolerance) << what;
    EXPECT_EQ(a.nan_mismatches, b.nan_mismatches) << what;
    EXPECT_EQ(a.inf_mismatches, b.inf_mismatches) << what;
    EXPECT_EQ(a.zero_sign_mismatches, b.zero_sign_mismatches) << what;
    EXPECT_EQ(a.max_ulps, b.max_ulps) << what;
    EXPECT_TRUE(b.incidents.empty()) << what << ": " << b.incidents.front().message;
    expect_same_sample(a.worst, b.worst, what);
  }
  EXPECT_GE(compared, 10u);
  EXPECT_GE(exhaustive, 2u) << "no 16-bit exhaustive table went through the runner";
  EXPECT_EQ(direct.passed(), abi.passed());
}

}  // namespace
}  // namespace nnconform::conformance
