// Golden-vector files: nnconform gen is reproducible and atomic, nnconform verify catches every
// kind of damage by name, and the reader API returns what the reference computes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "nnconform/ref/vectors.hpp"

namespace nnconform::ref {
namespace {

namespace fs = std::filesystem;

struct ToolRun {
  int code = -1;
  std::string out;
};

std::string quote(const std::string& s) { return "'" + s + "'"; }

ToolRun run(const std::string& args) {
  std::string cmd = quote(NNCONFORM_TOOL) + " " + args + " 2>&1";
  ToolRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
void write(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Every file below dir (relative path -> bytes).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> m;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) m[fs::relative(e.path(), dir).generic_string()] = read(e.path());
  return m;
}

const std::string kSpec = NNCONFORM_SPEC_DIR;
const std::string kSelection = "--function sigmoid softmax kl_divergence --format binary32 bfloat16";

class Vectors : public ::testing::Test {
 protected:
  static fs::path root_;
  static fs::path fresh_;  // generated once, never modified
  static ToolRun first_run_;

  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("nnconform-vectors-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    fresh_ = root_ / "fresh";
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  // The fresh tree is generated once per process, by the first test that needs it (ctest runs
  // each test in a process of its own).
  void SetUp() override {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    if (test == "VerifyBadUsage" || test == "GenBadUsage" || test == "GenRefusesASpecNamingAnUnknownFamily") return;
    if (first_run_.code == -1)
      first_run_ = run("gen -q -j 2 --spec " + quote(kSpec) + " --out " + quote(fresh_.string()) + " " + kSelection);
    ASSERT_EQ(first_run_.code, 0) << first_run_.out;
  }

  // A private copy of the fresh tree.
  fs::path copy(const std::string& name) {
    fs::path d = root_ / name;
    fs::remove_all(d);
    fs::copy(fresh_, d, fs::copy_options::recursive);
    return d;
  }
  ToolRun verify(const fs::path& dir, const std::string& extra = "") {
    return run("verify --spec " + quote(kSpec) + " --vectors " + quote(dir.string()) + " " + extra);
  }
};
fs::path Vectors::root_;
fs::path Vectors::fresh_;
ToolRun Vectors::first_run_;

TEST_F(Vectors, GenWritesTheLayout) {
  auto files = snapshot(fresh_);
  for (const char* f : {"MANIFEST", "activation/sigmoid/binary32.txt", "activation/sigmoid/bfloat16.txt",
                        "activation/sigmoid/bfloat16.exhaustive", "activation/softmax/binary32.txt",
                        "divergence/kl_divergence/bfloat16.txt"})
    EXPECT_TRUE(files.count(f)) << f;
  EXPECT_FALSE(files.count("activation/sigmoid/binary32.exhaustive"));  // tables are 16-bit only
  EXPECT_FALSE(files.count("activation/softmax/bfloat16.exhaustive"));  // and unary only
  // Gradient files: one per input (or learned parameter) the spec gives a gradient for.
  auto specs = SpecSet::load(kSpec);
  std::size_t gradient_files = 0;
  for (const char* name : {"sigmoid", "softmax", "kl_divergence"}) {
    const FunctionSpec* fn = specs.find(name);
    ASSERT_FALSE(fn->gradients.empty()) << name;
    for (const auto& [wrt, formula] : fn->gradients)
      for (Format f : {Format::binary32, Format::bfloat16}) {
        EXPECT_TRUE(files.count(gradient_file_path(*fn, wrt, f))) << gradient_file_path(*fn, wrt, f);
        ++gradient_files;
      }
  }
  EXPECT_TRUE(files.count("activation/sigmoid/grad_x/binary32.txt"));
  EXPECT_EQ(files.size(), 8u + gradient_files);
}

// Gradient files hold what evaluate_gradient computes, with the upstream gradient g of a vector
// output as an input of the file.
TEST_F(Vectors, GradientFilesGiveWhatTheReferenceComputes) {
  auto specs = SpecSet::load(kSpec);
  Reference reference(specs);
  VectorFile f = read_vector_file(fresh_ / "activation/softmax/grad_z/binary32.txt");
  EXPECT_EQ(f.header.gradient, "z");
  ASSERT_EQ(f.header.inputs.size(), 2u);
  EXPECT_EQ(f.header.inputs[1].name, "g");
  std::size_t checked = 0, nonzero = 0;
  for (const auto& c : f.cases) {
    if (c.expected.values.size() > 64) continue;
    ASSERT_TRUE(c.args.inputs.count("g")) << "line " << c.line;
    auto r = reference.evaluate_gradient(*specs.find("softmax"), "z", Format::binary32, c.args);
    ASSERT_EQ(r.values.size(), c.expected.values.size()) << "line " << c.line;
    for (std::size_t i = 0; i < r.values.size(); ++i) {
      EXPECT_EQ(r.values[i].value, c.expected.values[i]) << "line " << c.line;
      nonzero += !c.expected.values[i].is_zero() && !c.expected.values[i].is_nan();
    }
    if (++checked == 40) break;
  }
  EXPECT_EQ(checked, 40u);
  EXPECT_GT(nonzero, 20u);  // a seeded g, not ones (whose softmax VJP is 0)
  VectorFile s = read_vector_file(fresh_ / "activation/sigmoid/grad_x/bfloat16.txt");
  EXPECT_EQ(s.header.gradient, "x");
  EXPECT_EQ(s.header.inputs.size(), 1u);  // elementwise: no upstream column
}

// A spec whose gradient formula is wrong fails generation, naming the function, the input and
// both values; nothing is written for it.
TEST_F(Vectors, GenRejectsAWrongGradientFormula) {
  fs::path specs = root_ / "wrong-gradient";
  fs::create_directories(specs);
  // The derivative of x e^x is (1 + x) e^x; the spec claims x e^x.
  write(specs / "xexp.yaml",
        "name: xexp\nfamily: activation\nsummary: x\ninputs:\n  x: {type: real, shape: scalar}\n"
        "formula: x * exp(x)\ngradients:\n  x: x * exp(x)\ninput_families: [random]\n"
        "tolerance:\n  strict: {binary64: 1, binary32: 1, binary16: 1, bfloat16: 1}\n");
  fs::path out = root_ / "wrong-gradient-out";
  ToolRun r = run("gen --spec " + quote(specs.string()) + " --out " + quote(out.string()) + " --format binary64");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("FAILED xexp"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gradient formula for 'x' disagrees with the derivative of the forward formula at"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("derivative ["), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out / "activation/xexp/binary64.txt"));
}

TEST_F(Vectors, GenTwiceGivesIdenticalBytes) {
  // One thread this time: the scheduling must not matter.
  fs::path again = root_ / "again";
  ToolRun r = run("gen -q -j 1 --spec " + quote(kSpec) + " --out " + quote(again.string()) + " " + kSelection);
  ASSERT_EQ(r.code, 0) << r.out;
  auto a = snapshot(fresh_), b = snapshot(again);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [path, bytes] : a) EXPECT_TRUE(b.count(path) && b[path] == bytes) << path << " differs";
  // Regenerating in place changes nothing.
  r = run("gen --spec " + quote(kSpec) + " --out " + quote(again.string()) + " " + kSelection);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("0 written"), std::string::npos) << r.out;
  EXPECT_EQ(snapshot(again), a);
}

TEST_F(Vectors, VerifyPassesOnFreshOutput) {
  ToolRun r = verify(fresh_, "--sample 300 --seed 7");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("verify: OK"), std::string::npos) << r.out;
}

TEST_F(Vectors, VerifyCatchesATamperedValue) {
  fs::path d = copy("tampered");
  fs::path f = d / "activation/sigmoid/binary32.txt";
  std::string text = read(f);
  // Change the last hex digit of the golden output of the first "random" case that has a
  // fraction (0x1.764d5p-1 -> 0x1.764d2p-1: still a binary32 value, a wrong one).
  std::size_t line = 0, digit = std::string::npos;
  while ((line = text.find("\nrandom ", line + 1)) != std::string::npos) {
    std::size_t arrow = text.find(" -> ", line);
    std::size_t end = text.find(' ', arrow + 4);
    std::string out = text.substr(arrow + 4, end - arrow - 4);
    if (out.find('.') == std::string::npos) continue;
    digit = text.rfind('p', end) - 1;
    break;
  }
  ASSERT_NE(digit, std::string::npos);
  text[digit] = text[digit] == '2' ? '4' : '2';
  write(f, text);
  ToolRun r = verify(d);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("modified: activation/sigmoid/binary32.txt"), std::string::npos) << r.out;

  // With the manifest forged to match, the regenerated sample still catches it.
  ref::Manifest m = read_manifest(d / "MANIFEST");
  m.files["activation/sigmoid/binary32.txt"] = {sha256_hex(text), text.size()};
  write(d / "MANIFEST", format_manifest(m));
  r = verify(d, "--sample 100000");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_EQ(r.out.find("modified:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("activation/sigmoid/binary32.txt:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the reference gives"), std::string::npos) << r.out;
}

TEST_F(Vectors, VerifyCatchesATruncatedFile) {
  fs::path d = copy("truncated");
  fs::path f = d / "activation/softmax/binary32.txt";
  std::string text = read(f);
  write(f, text.substr(0, text.size() / 2));
  fs::path t = d / "activation/sigmoid/bfloat16.exhaustive";
  std::string table = read(t);
  write(t, table.substr(0, table.size() - 100));
  ToolRun r = verify(d);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("truncated: activation/softmax/binary32.txt"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("truncated: activation/sigmoid/bfloat16.exhaustive"), std::string::npos) << r.out;
  // The reader refuses them on its own too, naming the file.
  EXPECT_THROW(read_vector_file(f), VectorFormatError);
  try {
    read_exhaustive_table(t);
    ADD_FAILURE() << "a truncated table was read";
  } catch (const VectorFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("bfloat16.exhaustive"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

TEST_F(Vectors, VerifyCatchesADeletedAndAnExtraFile) {
  fs::path d = copy("deleted");
  fs::remove(d / "divergence/kl_divergence/binary32.txt");
  write(d / "activation/sigmoid/notes.txt", "not a vector file\n");
  ToolRun r = verify(d);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("missing: divergence/kl_divergence/binary32.txt"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("foreign: activation/sigmoid/notes.txt"), std::string::npos) << r.out;
  fs::remove(d / "MANIFEST");
  r = verify(d);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("missing: MANIFEST"), std::string::npos) << r.out;
}

TEST_F(Vectors, VerifyBadUsage) {
  EXPECT_EQ(verify(root_ / "no-such-dir").code, 2);
  EXPECT_EQ(run("verify --sample -3").code, 2);
}

TEST_F(Vectors, GenIntoAnUnwritablePlaceFailsCleanly) {
  // A path whose parent is a regular file: no directory can be made there, root or not.
  fs::path blocker = root_ / "blocker";
  write(blocker, "a file\n");
  ToolRun r = run("gen --spec " + quote(kSpec) + " --out " + quote((blocker / "vectors").string()) +
              " --function sigmoid --format binary32");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("cannot create directory"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nothing was written"), std::string::npos) << r.out;
  EXPECT_EQ(read(blocker), "a file\n");

  // An existing tree where one function's directory cannot be made: the other function's
  // (changed) file is not replaced either, no temporary file is left, the manifest is as it was.
  fs::path d = copy("blocked");
  fs::path sig = d / "activation/sigmoid/binary32.txt";
  write(sig, read(sig) + "edited\n");
  write(d / "activation/tanh", "in the way\n");
  auto before = snapshot(d);
  r = run("gen --spec " + quote(kSpec) + " --out " + quote(d.string()) + " --function sigmoid tanh --format binary32");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("activation/tanh"), std::string::npos) << r.out;
  EXPECT_EQ(snapshot(d), before);

  // A read-only directory, where permissions apply (not to root).
  if (::geteuid() != 0) {
    fs::path ro = copy("readonly");
    write(ro / "activation/sigmoid/binary32.txt", "stale\n");
    auto ro_before = snapshot(ro);
    fs::permissions(ro / "activation/sigmoid", fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    r = run("gen --spec " + quote(kSpec) + " --out " + quote(ro.string()) + " --function sigmoid --format binary32");
    fs::permissions(ro / "activation/sigmoid", fs::perms::owner_write, fs::perm_options::add);
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.out.find("cannot create"), std::string::npos) << r.out;
    EXPECT_EQ(snapshot(ro), ro_before);
  }
}

TEST_F(Vectors, GenRefusesASpecNamingAnUnknownFamily) {
  fs::path specs = root_ / "bad-spec";
  fs::create_directories(specs);
  write(specs / "f.yaml",
        "name: f\nfamily: activation\nsummary: x\ninputs:\n  x: {type: real, shape: scalar}\nformula: x\n"
        "input_families: [special, extremes]\ntolerance:\n  strict: {binary64: 1, binary32: 1, binary16: 1, bfloat16: 1}\n");
  fs::path out = root_ / "bad-spec-out";
  ToolRun r = run("gen --spec " + quote(specs.string()) + " --out " + quote(out.string()));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("f.yaml:7"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unknown input family 'extremes'"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Vectors, GenBadUsage) {
  EXPECT_EQ(run("gen --spec " + quote(kSpec) + " --out " + quote((root_ / "x").string()) + " --function no_such").code, 2);
  EXPECT_EQ(run("gen --spec " + quote(kSpec) + " --out " + quote((root_ / "x").string()) + " --format binary8").code, 2);
  EXPECT_FALSE(fs::exists(root_ / "x"));
}

TEST_F(Vectors, ReaderGivesWhatTheReferenceComputes) {
  auto specs = SpecSet::load(kSpec);
  Reference reference(specs);
  VectorFile f = read_vector_file(fresh_ / "activation/sigmoid/binary32.txt");
  EXPECT_EQ(f.header.function, "sigmoid");
  EXPECT_EQ(f.header.family, "activation");
  EXPECT_EQ(f.header.format, Format::binary32);
  EXPECT_EQ(f.header.kind, VectorFileKind::cases);
  EXPECT_EQ(f.header.command, "nnconform gen --function sigmoid --format binary32");
  EXPECT_EQ(f.header.spec_sha256, sha256_file(specs.find("sigmoid")->file));
  ASSERT_EQ(f.cases.size(), f.header.count);
  for (const auto& c : f.cases) {
    auto r = reference.evaluate(*specs.find("sigmoid"), Format::binary32, c.args);
    ASSERT_EQ(r.values.size(), 1u);
    EXPECT_EQ(r.values[0].value, c.expected.values[0]) << "line " << c.line;
    if (std::isnan(r.values[0].offset_ulps)) {
      EXPECT_TRUE(std::isnan(c.offsets_ulps[0]));
    } else {
      EXPECT_NEAR(r.values[0].offset_ulps, c.offsets_ulps[0], 0.0005) << "line " << c.line;
    }
  }

  // Long vectors come back whole; a case with reduction gives one value.
  VectorFile sm = read_vector_file(fresh_ / "activation/softmax/binary32.txt");
  bool long_case = false;
  for (const auto& c : sm.cases) {
    const Tensor& z = c.args.inputs.at("z");
    if (z.shape == std::vector<std::size_t>{32000}) {
      long_case = true;
      EXPECT_EQ(z.values.size(), 32000u);
      EXPECT_EQ(c.expected.shape, z.shape);
      EXPECT_EQ(c.offsets_ulps.size(), 32000u);
      EXPECT_EQ(z.values[5], z.values[1005]);
    }
  }
  EXPECT_TRUE(long_case);

  ExhaustiveTable t = read_exhaustive_table(fresh_ / "activation/sigmoid/bfloat16.exhaustive");
  ASSERT_EQ(t.outputs.size(), 65536u);
  for (std::uint64_t bits : {0x0000u, 0x8000u, 0x3f80u, 0xbf80u, 0x7f80u, 0xff80u, 0x7fc0u, 0x0001u, 0xc2c8u}) {
    Arguments a;
    a.inputs["x"].values = {t.input(bits)};
    GoldenValue g = reference.evaluate(*specs.find("sigmoid"), Format::bfloat16, a).values[0];
    EXPECT_EQ(g.value, t.outputs[bits]) << std::hex << bits;
    if (!std::isnan(g.offset_ulps)) {
      EXPECT_NEAR(g.offset_ulps, t.offsets_ulps[bits], 1.0 / 256) << std::hex << bits;
    }
  }
}

TEST(VectorFormat, LinesRoundTrip) {
  VectorHeader h;
  h.function = "f";
  h.format = Format::binary16;
  h.inputs = {{"z", InputType::real, Shape::vector, false}, {"t", InputType::index, Shape::scalar, false},
              {"w", InputType::real, Shape::vector, true}};
  h.params = {"reduction"};
  h.defaults = {{"reduction", "mean"}};
  VectorCase c = parse_case_line(h, "lengths [0x1p+0,-inf]*3 2 - reduction=sum -> [0x1.8p-2,0x0p+0;0x1p+0,nan] [+0.125,0;-0.500,nan]", 9, "x.txt");
  EXPECT_EQ(c.family, "lengths");
  EXPECT_EQ(c.line, 9u);
  EXPECT_EQ(c.args.inputs.at("z").shape, std::vector<std::size_t>{6});
  EXPECT_TRUE(c.args.inputs.at("z").values[5].is_inf());
  EXPECT_EQ(c.args.inputs.at("z").values[4].bits, 0x3c00u);
  EXPECT_EQ(c.args.inputs.at("t").indices, std::vector<long>{2});
  EXPECT_FALSE(c.args.inputs.count("w"));
  EXPECT_EQ(c.args.params.at("reduction"), "sum");
  EXPECT_EQ(c.expected.shape, (std::vector<std::size_t>{2, 2}));
  EXPECT_EQ(c.expected.values[0].bits, 0x3600u);  // 0.375 in binary16
  EXPECT_DOUBLE_EQ(c.offsets_ulps[2], -0.5);
  EXPECT_TRUE(std::isnan(c.offsets_ulps[3]));

  EXPECT_EQ(format_offset(0), "0");
  EXPECT_EQ(format_offset(0.1234), "+0.123");
  EXPECT_EQ(format_offset(-0.0001), "-0.000");
  EXPECT_EQ(format_offset(std::nan("")), "nan");
  EXPECT_EQ(offset_byte(0.5), 127);
  EXPECT_EQ(offset_byte(-0.25), -64);
  EXPECT_EQ(offset_byte(std::nan("")), -128);

  for (const char* bad : {"lengths [0x1p+0] 2 - -> 0x1p+0",                // no offsets
                          "lengths [0x1p+0] 2 - -> 0x1p+0 0 0",            // one too many
                          "lengths [0x1.0001p+0] 2 - -> 0x1p+0 0",         // not a binary16 value
                          "lengths [0x1p+0] 2 - bogus=1 -> 0x1p+0 0",      // unknown parameter
                          "lengths [0x1p+0] 2.5 - -> 0x1p+0 0",            // index not an integer
                          "lengths 0x1p+0 - - -> 0x1p+0 0",                // t is not optional
                          "lengths [0x1p+0] 2 - -> [0x1p+0] 0",            // offsets of another shape
                          "lengths [0x1p+0] 2 - -> 0x1p+0 +0.7",           // offset beyond 1/2
                          "lengths [0x1p+0]] 2 - -> 0x1p+0 0"}) {
    try {
      parse_case_line(h, bad, 12, "x.txt");
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const VectorFormatError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("x.txt:12: ", 0), 0u) << e.what();
    }
  }
}

TEST(VectorFormat, Sha256) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace nnconform::ref
