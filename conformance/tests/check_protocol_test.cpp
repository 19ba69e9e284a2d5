// Programs speaking the batch protocol (adapters/README.md), well and badly: the fake adapter
// of abi/tests/fixtures/fake_adapter.c provides relu and relu6 and misbehaves on relu as told;
// relu6 is always right, so each test also sees the run go on after the fault.
#include <gtest/gtest.h>

#include <chrono>

#include "check_support.hpp"

namespace nnconform::conformance {
namespace {

using namespace testing;
using ref::Format;

std::unique_ptr<BatchImplementation> fake(const std::string& mode, double timeout = 1.5) {
  return open_implementation(std::string("cmd:") + NNCONFORM_FAKE_ADAPTER + " " + mode, fast_options(timeout));
}

// Checks relu then relu6 in binary32 and returns the result.
CheckResult check_fake(const std::string& mode) {
  auto impl = fake(mode);
  return check(*impl, {"relu", "relu6"}, {Format::binary32});
}

void expect_relu6_passes(const CheckResult& r) {
  const FunctionResult* f = find(r, "relu6", Format::binary32);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, "pass") << f->summary;
  EXPECT_EQ(f->values, f->cases);
}

class CheckProtocol : public ::testing::Test {
 protected:
  void SetUp() override {
    NNCONFORM_REQUIRE_VECTORS("relu", Format::binary32);
    NNCONFORM_REQUIRE_VECTORS("relu6", Format::binary32);
  }
};

TEST_F(CheckProtocol, AWellBehavedProgramPasses) {
  auto impl = fake("good");
  EXPECT_EQ(impl->description(), "fake adapter (good)");
  EXPECT_TRUE(impl->supports(*specs().find("relu"), Format::binary64));
  EXPECT_FALSE(impl->supports(*specs().find("relu"), Format::binary16));
  EXPECT_FALSE(impl->supports(*specs().find("sigmoid"), Format::binary32));
  CheckResult r = check(*impl, {"relu", "relu6"}, {Format::binary32, Format::binary64});
  EXPECT_TRUE(r.passed());
  ASSERT_EQ(r.results.size(), 4u);
  for (const auto& f : r.results) EXPECT_EQ(f.status, "pass") << f.function << " " << f.format << ": " << f.summary;
}

TEST_F(CheckProtocol, GarbageIsAProtocolErrorQuotingTheLine) {
  CheckResult r = check_fake("garbage");
  const FunctionResult* f = find(r, "relu", Format::binary32);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, "fail");
  ASSERT_EQ(f->incidents.size(), 1u);
  EXPECT_EQ(f->incidents[0].kind, "protocol");
  EXPECT_NE(f->incidents[0].message.find("Traceback (most recent call last):"), std::string::npos) << f->incidents[0].message;
  EXPECT_EQ(f->incidents[0].answered, 1u);
  EXPECT_EQ(f->values, 1u);  // the answer before the garbage was scored
  expect_relu6_passes(r);
}

TEST_F(CheckProtocol, AnEarlyExitIsReported) {
  CheckResult r = check_fake("exit-early");
  const FunctionResult* f = find(r, "relu", Format::binary32);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->incidents.size(), 1u);
  EXPECT_EQ(f->incidents[0].kind, "exit");
  EXPECT_NE(f->incidents[0].message.find("exited with status 0"), std::string::npos);
  EXPECT_EQ(f->incidents[0].answered, 2u);
  EXPECT_EQ(f->not_run, f->cases - 2);
  expect_relu6_passes(r);
}

TEST_F(CheckProtocol, TheWrongNumberOfValuesFailsEachCase) {
  CheckResult r = check_fake("wrong-count");
  const FunctionResult* f = find(r, "relu", Format::binary32);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->case_errors, f->cases);
  ASSERT_FALSE(f->errors.empty());
  EXPECT_NE(f->errors[0].find("wrong number of outputs: got 2, expected 1"), std::string::npos) << f->errors[0];
  expect_relu6_passes(r);
}

TEST_F(CheckProtocol, AValueNotInTheFormatIsRefused) {
  CheckResult r = check_fake("wide");
  const FunctionResult* f = find(r, "relu", Format::binary32);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, "fail");
  EXPECT_GT(f->case_errors, 0u);
  ASSERT_FALSE(f->errors.empty());
  EXPECT_NE(f->errors[0].find("is not a binary32 value"), std::string::npos) << f->errors[0];
  expect_relu6_passes(r);
}

TEST_F(CheckProtocol, AFloodOfStderrDoesNotDeadlock) {
  CheckResult r = check_fake("stderr-flood");
  EXPECT_TRUE(r.passed());
}

TEST_F(CheckProtocol, AProgramThatIsNotAnAdapterIsRefusedWithWhatItSaid) {
  try {
    fake("no-hello");
    FAIL() << "accepted a program without the hello";
  } catch (const ImplementationError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("does not speak the nnconform protocol"), std::string::npos) << m;
    EXPECT_NE(m.find("Hello! I am not an nnconform adapter."), std::string::npos) << m;
    EXPECT_NE(m.find("refusing to start"), std::string::npos) << m;  // its stderr
  }
}

TEST_F(CheckProtocol, ASilentProgramTimesOutAtStartup) {
  ProcessOptions o = fast_options(1.0);
  o.startup_timeout = std::chrono::milliseconds(1000);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(open_implementation(std::string("cmd:") + NNCONFORM_FAKE_ADAPTER + " silent", o), ImplementationError);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10.0);
}

TEST_F(CheckProtocol, AMissingCommandIsNamed) {
  try {
    open_implementation("cmd:/nonexistent/adapter --flag", fast_options());
    FAIL();
  } catch (const ImplementationError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("cannot run '/nonexistent/adapter'"), std::string::npos) << m;
    EXPECT_NE(m.find("No such file or directory"), std::string::npos) << m;
  }
  EXPECT_THROW(open_implementation("cmd:", fast_options()), ImplementationError);
  EXPECT_THROW(open_implementation("python:x", fast_options()), ImplementationError);
}

TEST(CheckCommandLine, IsSplitLikeAShellWithoutExpansions) {
  EXPECT_EQ(split_command("python3 adapters/python/scipy_adapter.py"),
            (std::vector<std::string>{"python3", "adapters/python/scipy_adapter.py"}));
  EXPECT_EQ(split_command("  a  'b c' \"d \\\"e\\\"\" f\\ g $HOME "),
            (std::vector<std::string>{"a", "b c", "d \"e\"", "f g", "$HOME"}));
  EXPECT_EQ(split_command("''"), (std::vector<std::string>{""}));
  EXPECT_THROW(split_command("a 'b"), ImplementationError);
}

}  // namespace
}  // namespace nnconform::conformance
