// Spec validation: every malformed field is refused with file:line:column, all problems of a
// load are reported together, and the command line exits 2 on them.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "nnconform/ref/spec.hpp"

namespace nnconform::ref {
namespace {

namespace fs = std::filesystem;

// A scratch spec directory holding one valid function plus whatever a test adds.
class ScratchSpecs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nnconform-spec-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "activations");
    write("activations/square.yaml",
          "name: square\nfamily: activation\ninputs:\n  x: {type: real}\nformula: x * x\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& relative, const std::string& text) {
    fs::path p = dir_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }

  // Loads and returns the joined diagnostics ("" when the load succeeds).
  std::string load_errors() {
    try {
      SpecSet::load(dir_);
      return "";
    } catch (const SpecError& e) {
      return e.what();
    }
  }

  void expect_error(const std::string& file, const std::string& text, const std::string& location_and_message) {
    write(file, text);
    std::string errors = load_errors();
    EXPECT_NE(errors.find((dir_ / file).string() + ":" + location_and_message), std::string::npos)
        << "expected " << location_and_message << "\ngot:\n" << errors;
  }

  fs::path dir_;
};

TEST_F(ScratchSpecs, ValidSpecLoadsAndCallsResolve) {
  write("activations/cube.yaml",
        "name: cube\nfamily: activation\naliases: [third_power]\ninputs:\n  x: {type: real}\nformula: square(x) * x\n");
  SpecSet specs = SpecSet::load(dir_);
  ASSERT_NE(specs.find("third_power"), nullptr);
  EXPECT_EQ(specs.find("third_power")->name, "cube");
  EXPECT_EQ(specs.functions().size(), 2u);
}

TEST_F(ScratchSpecs, UnknownKey) {
  expect_error("activations/f.yaml", "name: f\nfamily: activation\ninputs:\n  x: {}\nformula: x\nformla: x\n",
               "6:1: unknown key 'formla'");
}

TEST_F(ScratchSpecs, MissingFormula) {
  expect_error("activations/f.yaml", "name: f\nfamily: activation\ninputs:\n  x: {}\n",
               "1:1: the spec is missing required key 'formula'");
}

TEST_F(ScratchSpecs, ParameterDefaultOutOfRange) {
  expect_error("activations/f.yaml",
               "name: f\nfamily: activation\ninputs:\n  x: {}\nparams:\n  a: {type: real, default: 2, range: \"[0, 1]\"}\n"
               "formula: a * x\n",
               "6:28: parameter 'a' = 2 is outside its range [0, 1]");
}

TEST_F(ScratchSpecs, FormulaSyntaxErrorPointsAtTheCharacter) {
  expect_error("activations/f.yaml", "name: f\nfamily: activation\ninputs:\n  x: {}\nformula: exp(x +* 2)\n",
               "5:17: formula: unexpected '*'");
}

TEST_F(ScratchSpecs, QuotedAndBlockFormulasToo) {
  expect_error("activations/f.yaml", "name: f\nfamily: activation\ninputs:\n  x: {}\nformula: \"exp(x))\"\n",
               "5:17: formula: unexpected ')'");
  fs::remove(dir_ / "activations/f.yaml");
  expect_error("activations/g.yaml", "name: g\nfamily: activation\ninputs:\n  x: {}\nformula: |\n  exp(x)\n    + (x\n",
               "7:9: formula: expected ')' at end");
}

TEST_F(ScratchSpecs, FormulaNamingAnUnknownInput) {
  expect_error("activations/f.yaml", "name: f\nfamily: activation\ninputs:\n  x: {}\nformula: exp(y) + x\n",
               "5:14: formula: unknown name 'y'");
}

TEST_F(ScratchSpecs, UnknownFunctionAndWrongArity) {
  expect_error("activations/f.yaml", "name: f\nfamily: activation\ninputs:\n  x: {}\nformula: cosh(x)\n",
               "5:10: formula: unknown function 'cosh'");
  fs::remove(dir_ / "activations/f.yaml");
  expect_error("activations/g.yaml", "name: g\nfamily: activation\ninputs:\n  x: {}\nformula: exp(x, 2)\n",
               "5:10: formula: 'exp' takes 1 argument(s), not 2");
}

TEST_F(ScratchSpecs, ShapeErrors) {
  expect_error("activations/f.yaml", "name: f\nfamily: activation\ninputs:\n  x: {}\nformula: sum(x)\n",
               "5:10: formula: 'sum' reduces a vector, not a scalar");
  fs::remove(dir_ / "activations/f.yaml");
  expect_error("activations/g.yaml", "name: g\nfamily: activation\ninputs:\n  z: {shape: vector}\nformula: z[0.5 > 0]\n",
               "5:16: formula: an index must be a scalar");
}

TEST_F(ScratchSpecs, UnknownFamilyAndInputFamily) {
  expect_error("activations/f.yaml", "name: f\nfamily: activations\ninputs:\n  x: {}\nformula: x\n",
               "2:9: unknown family 'activations'");
  fs::remove(dir_ / "activations/f.yaml");
  expect_error("activations/g.yaml",
               "name: g\nfamily: activation\ninputs:\n  x: {}\nformula: x\ninput_families: [special, tiny]\n",
               "6:17: unknown input family 'tiny'");
}

TEST_F(ScratchSpecs, EnumComparedWithAnUnknownValue) {
  expect_error("activations/f.yaml",
               "name: f\nfamily: activation\ninputs:\n  x: {}\nparams:\n  mode: {type: enum, values: [a, b], default: a}\n"
               "formula: where(mode == 'c', x, 0)\n",
               "7:24: formula: 'c' is not a value of 'mode'");
}

TEST_F(ScratchSpecs, CycleOfCalls) {
  write("activations/p.yaml", "name: p\nfamily: activation\ninputs:\n  x: {}\nformula: q(x)\n");
  write("activations/q.yaml", "name: q\nfamily: activation\ninputs:\n  x: {}\nformula: p(x)\n");
  EXPECT_NE(load_errors().find("calls itself"), std::string::npos);
}

TEST_F(ScratchSpecs, YamlSyntaxErrorAndNameMismatch) {
  expect_error("activations/f.yaml", "name: f\nfamily: [activation\n", "3:1: YAML syntax");
  fs::remove(dir_ / "activations/f.yaml");
  expect_error("activations/g.yaml", "name: h\nfamily: activation\ninputs:\n  x: {}\nformula: x\n",
               "1:7: name 'h' does not match the file name 'g.yaml'");
}

TEST_F(ScratchSpecs, AllProblemsAreReportedTogether) {
  write("activations/a.yaml", "name: a\nfamily: activation\ninputs:\n  x: {}\nformula: x +\n");
  write("activations/b.yaml", "name: b\nfamily: nope\ninputs:\n  x: {}\nformula: x\n");
  try {
    SpecSet::load(dir_);
    FAIL() << "expected errors";
  } catch (const SpecError& e) {
    EXPECT_GE(e.diagnostics().size(), 2u);
  }
}

TEST(RepoSpecs, LoadWithoutErrors) {
  SpecSet specs = SpecSet::load(NNCONFORM_SPEC_DIR);
  for (const char* required : {"sigmoid", "tanh", "softplus", "relu", "elu", "softmax", "log_softmax", "logsumexp",
                               "cross_entropy", "kl_divergence", "entropy", "cross_entropy_dist",
                               "binary_cross_entropy", "mse", "logistic", "expit"})
    EXPECT_NE(specs.find(required), nullptr) << required;
}

// --- The command line: exit codes and messages. ---

struct ToolRun {
  int status;
  std::string out;
};

ToolRun run(const std::string& args) {
  std::string cmd = std::string(NNCONFORM_TOOL) + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  while (fgets(buf.data(), buf.size(), pipe.get())) out += buf.data();
  int status = pclose(pipe.release());
  return {WEXITSTATUS(status), out};
}

TEST(CommandLine, EvalPrintsHexAndShortestDecimal) {
  ToolRun r = run("eval sigmoid --format binary32 x=-100");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "0x1.bp-145 3.8e-44\n");
  r = run("eval log_softmax z=0,-1e4");
  EXPECT_EQ(r.out, "-0x0p+0 -0\n-0x1.388p+13 -1e+04\n");
  r = run("eval expit --format bfloat16 x=0x1p-3");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "0x1.1p-1 0.53\n");
}

TEST(CommandLine, BadCommandLinesExitTwoWithOneClearLine) {
  struct Case {
    const char* args;
    const char* message;
  } cases[] = {
      {"eval nosuchfn x=1", "unknown function 'nosuchfn'"},
      {"eval sigmoid y=1", "unknown name 'y'"},
      {"eval sigmoid", "missing input 'x'"},
      {"eval sigmoid x=abc", "'abc' is not a number"},
      {"eval sigmoid x=1,2,3", ""},  // elementwise: a vector of x is fine (checked below)
      {"eval softmax z=1 ", "must be a vector"},
      {"eval sigmoid --format binary8 x=1", "unknown format 'binary8'"},
      {"eval cross_entropy z=1,2 t=5", "out of range"},
      {"eval cross_entropy z=1,2 t=0 reduction=median", "must be one of none, mean, sum"},
      {"eval softplus x=1 beta=0", "outside its range"},
      {"eval sigmoid x", "is not NAME=VALUE"},
  };
  for (const auto& c : cases) {
    ToolRun r = run(c.args);
    if (std::string(c.message).empty()) {
      EXPECT_EQ(r.status, 0) << c.args << "\n" << r.out;
      continue;
    }
    EXPECT_EQ(r.status, 2) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << c.args << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << c.args << "\n" << r.out;
  }
}

TEST_F(ScratchSpecs, CommandLineRefusesABadSpecDirectory) {
  write("activations/f.yaml", "name: f\nfamily: activation\ninputs:\n  x: {}\nformula: exp(x +* 2)\n");
  ToolRun r = run("--spec " + dir_.string() + " list");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("f.yaml:5:17: formula: unexpected '*'"), std::string::npos) << r.out;
  r = run("--spec " + (dir_ / "missing").string() + " eval square x=1");
  EXPECT_EQ(r.status, 2);
}

TEST_F(ScratchSpecs, CommandLineUsesTheGivenSpecDirectory) {
  ToolRun r = run("--spec " + dir_.string() + " eval square --format binary16 x=3");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "0x1.2p+3 9\n");
}

}  // namespace
}  // namespace nnconform::ref
