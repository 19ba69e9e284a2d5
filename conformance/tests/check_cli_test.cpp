// nnconform check and nnconform report as a user runs them: exit statuses, messages, the files
// they write, the baseline gate, and a Python adapter when NumPy/SciPy are installed.
#include <gtest/gtest.h>

#include "check_support.hpp"

namespace nnconform::conformance {
namespace {

using namespace testing;
using ref::Format;

std::string tool() { return quote(NNCONFORM_TOOL) + " --vectors " + quote(test_vectors().string()); }

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class CheckCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nnconform-check-cli-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(CheckCli, BadUsageExitsWithTwoAndSaysWhy) {
  CommandResult r = run_command(tool() + " check --impl builtin --profile framework:caffe");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("unknown profile 'framework:caffe'"), std::string::npos) << r.out;
  r = run_command(tool() + " check --impl cmd:/nonexistent/adapter");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("cannot run '/nonexistent/adapter'"), std::string::npos) << r.out;
  r = run_command(tool() + " check --impl builtin --function no_such_function");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("unknown function 'no_such_function'"), std::string::npos) << r.out;
  r = run_command(tool() + " check --impl builtin --baseline " + quote((dir_ / "missing.json").string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("cannot read the baseline"), std::string::npos) << r.out;
  r = run_command(quote(NNCONFORM_TOOL) + " report " + quote((dir_ / "missing.json").string()));
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(CheckCli, ABrokenLibraryFailsWithReportsAndTheBaselineGate) {
  if (!has_vectors("relu", Format::binary32) || !has_vectors("sigmoid", Format::binary32)) GTEST_SKIP() << "no test vectors";
  std::string lib = std::string("lib:") + NNCONFORM_FIXTURE_BROKEN;
  fs::path json = dir_ / "results.json", html = dir_ / "report.html", md = dir_ / "report.md", xml = dir_ / "junit.xml",
           baseline = dir_ / "baseline.json";
  std::string common = tool() + " check --impl " + quote(lib) + " --function relu6 sigmoid --format binary32 --timeout 2";
  CommandResult r = run_command(common + " --out " + quote(json.string()) + " --report-html " + quote(html.string()) +
                                " --report-md " + quote(md.string()) + " --junit " + quote(xml.string()) +
                                " --write-baseline " + quote(baseline.string()));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("sigmoid binary32: fail: crashed: killed by signal 11 (SIGSEGV)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 of 2 function/format pairs pass"), std::string::npos) << r.out;  // relu6
  for (const auto& p : {json, html, md, xml, baseline}) EXPECT_GT(fs::file_size(p), 100u) << p;
  EXPECT_NE(read(html).find("<svg"), std::string::npos);

  // The same run against its own baseline: no regression, the same verdict.
  r = run_command(common + " --baseline " + quote(baseline.string()));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(r.out.find("worse than the baseline"), std::string::npos) << r.out;

  // report renders the saved run as check did.
  fs::path md2 = dir_ / "again.md";
  r = run_command(quote(NNCONFORM_TOOL) + " report " + quote(json.string()) + " --md " + quote(md2.string()));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(read(md2), read(md));
}

TEST_F(CheckCli, APassingRunExitsZeroAndARegressionExitsOne) {
  if (!has_vectors("relu", Format::binary64)) GTEST_SKIP() << "no test vectors";
  fs::path baseline = dir_ / "baseline.json";
  std::string good = tool() + " check -q --impl " + quote(std::string("cmd:") + NNCONFORM_FAKE_ADAPTER + " good") +
                     " --function relu --format binary64";
  CommandResult r = run_command(good + " --write-baseline " + quote(baseline.string()));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  // The broken library gets relu wrong in [1, 2): worse than the fake adapter's baseline.
  r = run_command(tool() + " check --impl " + quote(std::string("lib:") + NNCONFORM_FIXTURE_BROKEN) +
                  " --function relu --format binary64 --baseline " + quote(baseline.string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("worse than the baseline"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("relu binary64: passed in the baseline, now fails"), std::string::npos) << r.out;
}

// The Python adapters need Debian's python3-numpy and python3-scipy; skipped without them.
std::string python_with(const std::string& module) {
  for (std::string py : {"/usr/bin/python3", "python3"})
    if (run_command(py + " -c 'import " + module + "'").exit_code == 0) return py;
  return "";
}

TEST_F(CheckCli, TheScipyAdapterIsChecked) {
  std::string py = python_with("scipy");
  if (py.empty()) GTEST_SKIP() << "python3 with SciPy is not installed (apt-get install python3-scipy)";
  if (!has_vectors("sigmoid", Format::binary64)) GTEST_SKIP() << "no test vectors";
  fs::path json = dir_ / "scipy.json";
  std::string adapter = std::string(NNCONFORM_ADAPTERS_DIR) + "/python/scipy_adapter.py";
  CommandResult r = run_command(tool() + " check -q --impl " + quote("cmd:" + py + " " + adapter) +
                                " --function sigmoid relu --format binary32 binary64 --out " + quote(json.string()));
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.out;
  CheckResult result = result_from_json(read(json), json.string());
  EXPECT_NE(result.description.find("SciPy"), std::string::npos);
  ASSERT_EQ(result.results.size(), 2u);  // sigmoid in both formats; SciPy has no relu
  for (const auto& f : result.results) {
    EXPECT_EQ(f.function, "sigmoid");
    EXPECT_EQ(f.values, f.cases) << f.format;  // every case answered and compared
    EXPECT_TRUE(f.incidents.empty()) << f.incidents.front().message;
  }
  EXPECT_EQ(result.not_implemented, std::vector<std::string>{"relu"});
}

}  // namespace
}  // namespace nnconform::conformance
