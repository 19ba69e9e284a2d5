// `nnconform sweep` from the command line: bad input exits 2 with a message naming the
// problem; shards merged equal the unsharded run; a shard killed half-way resumes to the same
// result; 16-bit sweeps of the built-in implementation run in the normal test run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;

struct ToolRun {
  int code = -1;
  std::string out;
};

ToolRun sweep(const std::string& args) {
  std::string cmd = std::string("'") + NNCONFORM_TOOL + "' sweep " + args + " --no-progress 2>&1";
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

fs::path scratch() {
  fs::path d = fs::temp_directory_path() / ("nnconform_sweep_cli_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json comparable(const fs::path& p) {
  auto j = nlohmann::json::parse(read(p));
  for (const char* k : {"seconds", "thread_seconds", "cpu_seconds", "threads", "shard", "shards", "next_chunk"}) j.erase(k);
  return j;
}

TEST(SweepCommand, BadInputExitsTwoWithAMessage) {
  fs::path d = scratch();
  struct Case {
    std::string args, message;
  } cases[] = {
      {"softmax", "not a unary function"},
      {"cross_entropy --format binary16", "not a unary function"},
      {"no_such_function", "unknown function"},
      {"sigmoid --shard 3/2", "shard 3 of 2 does not exist"},
      {"sigmoid --shard 0/2", "between 1 and N"},
      {"sigmoid --shard two", "expected I/N"},
      {"sigmoid --format binary16 --range 0x0000:0x10000", "outside the binary16 bit patterns"},
      {"sigmoid --range 0x3f800000:0x3f000000", "LO is above HI"},
      {"sigmoid --range 1:2", "hex bit patterns"},
      {"sigmoid --format binary64", "binary32, binary16 or bfloat16"},
      {"srelu --format binary16", "missing required parameter 't_l'"},
      {"softplus --format binary16 --param beta=-2", "outside its range"},
      {"sigmoid --impl lib:nothing.so --format binary16", "--impl"},
      {"sigmoid --resume", "--resume needs --out"},
  };
  for (const auto& c : cases) {
    ToolRun r = sweep(c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << c.args << "\n" << r.out;
  }
  // Corrupt result files given to --merge: each named in the message.
  ToolRun good = sweep("relu --format bfloat16 --out " + (d / "good.json").string());
  ASSERT_EQ(good.code, 0) << good.out;
  std::string text = read(d / "good.json");
  std::ofstream(d / "cut.json") << text.substr(0, text.size() / 3);
  std::ofstream(d / "notjson.json") << "hello";
  auto j = nlohmann::json::parse(text);
  j["over_tolerance"] = 70000;
  std::ofstream(d / "counts.json") << j.dump();
  for (const char* bad : {"cut.json", "notjson.json", "counts.json", "missing.json"}) {
    ToolRun r = sweep("--merge " + (d / "good.json").string() + " " + (d / bad).string());
    EXPECT_EQ(r.code, 2) << bad << "\n" << r.out;
    EXPECT_NE(r.out.find(bad), std::string::npos) << r.out;
  }
  // Two copies of one shard overlap.
  ToolRun r = sweep("--merge " + (d / "good.json").string() + " " + (d / "good.json").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("overlap"), std::string::npos) << r.out;
  fs::remove_all(d);
}

TEST(SweepCommand, ShardsMergeIntoTheUnshardedResult) {
  fs::path d = scratch();
  std::string common = "tanh --range 0x3d000000:0x3d0fffff --chunk-size 16384 --threads 2";
  ToolRun whole = sweep(common + " --out " + (d / "whole.json").string());
  ASSERT_LE(whole.code, 1) << whole.out;
  std::string files;
  for (int i = 1; i <= 4; ++i) {
    fs::path f = d / ("shard" + std::to_string(i) + ".json");
    ToolRun s = sweep(common + " --shard " + std::to_string(i) + "/4 --out " + f.string());
    ASSERT_LE(s.code, 1) << s.out;
    files += " " + f.string();
  }
  ToolRun merged = sweep("--merge" + files + " --out " + (d / "merged.json").string());
  EXPECT_EQ(merged.code, whole.code) << merged.out;
  EXPECT_EQ(comparable(d / "merged.json"), comparable(d / "whole.json"));
  // The reports agree except on the lines about time and sharding.
  auto strip = [](const std::string& s) {
    std::istringstream in(s);
    std::string line, out;
    while (std::getline(in, line))
      if (line.find("time ") == std::string::npos && line.find("inputs ") == std::string::npos) out += line + "\n";
    return out;
  };
  EXPECT_EQ(strip(merged.out), strip(whole.out));
  fs::remove_all(d);
}

TEST(SweepCommand, AKilledShardResumesToTheSameResult) {
  fs::path d = scratch();
  std::string args = "sigmoid --range 0x00000000:0x01ffffff --chunk-size 65536 --threads 1 --no-progress";
  ToolRun straight = sweep(args + " --out " + (d / "straight.json").string());
  ASSERT_EQ(straight.code, 0) << straight.out;

  // Interrupt a run for real (SIGKILL: no chance to tidy up), then resume it.
  fs::path out = d / "killed.json";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string a = std::string(NNCONFORM_TOOL) + " sweep " + args + " --out " + out.string() + " > /dev/null 2>&1";
    ::execl("/bin/sh", "sh", "-c", ("exec " + a).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Kill it once its first checkpoint is on disk (or when it is done, on a fast machine).
  fs::path partial = out.string() + ".partial";
  for (int i = 0; i < 600 && !fs::exists(partial) && !fs::exists(out); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ToolRun resumed = sweep(args + " --resume --out " + out.string());
  EXPECT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_EQ(comparable(out), comparable(d / "straight.json"));
  EXPECT_FALSE(fs::exists(partial));

  // --max-chunks stops early on purpose; --resume finishes.
  fs::path staged = d / "staged.json";
  ToolRun part = sweep(args + " --max-chunks 5 --out " + staged.string());
  EXPECT_NE(part.out.find("INCOMPLETE"), std::string::npos) << part.out;
  EXPECT_TRUE(fs::exists(staged.string() + ".partial"));
  EXPECT_FALSE(fs::exists(staged));
  ToolRun rest = sweep(args + " --resume --out " + staged.string());
  EXPECT_EQ(rest.code, 0) << rest.out;
  EXPECT_EQ(comparable(staged), comparable(d / "straight.json"));
  fs::remove_all(d);
}

// The chunk-at-a-time call of impl/'s kernels gives what the per-case conformance adapter of
// the built-in implementation gives, input for input.
TEST(SweepCommand, DirectKernelsEqualTheConformanceAdapter) {
  fs::path d = scratch();
  for (const char* fn : {"sigmoid", "softplus", "elu"}) {
    for (const char* format : {"binary16", "bfloat16"}) {
      std::string base = std::string(fn) + " --format " + format + " --out ";
      ToolRun direct = sweep(base + (d / "direct.json").string());
      ToolRun adapter = sweep(base + (d / "adapter.json").string() + " --impl builtin/adapter");
      ASSERT_LE(direct.code, 1) << direct.out;
      ASSERT_EQ(adapter.code, direct.code) << adapter.out;
      auto a = comparable(d / "direct.json"), b = comparable(d / "adapter.json");
      a.erase("implementation");
      b.erase("implementation");
      EXPECT_EQ(a, b) << fn << " " << format;
    }
  }
  fs::remove_all(d);
}

// The normal test run's exhaustive tier: binary16 and bfloat16, every input, a few functions
// of the built-in implementation (the golden reference from the fast path and MPFR).
TEST(SweepCommand, Exhaustive16BitSweepsOfTheBuiltinImplementation) {
  for (const char* fn : {"sigmoid", "gelu", "hardswish", "relu"}) {
    for (const char* format : {"binary16", "bfloat16"}) {
      ToolRun r = sweep(std::string(fn) + " --format " + format);
      EXPECT_EQ(r.code, 0) << fn << " " << format << "\n" << r.out;
      EXPECT_NE(r.out.find("65536 bit patterns"), std::string::npos) << r.out;
      EXPECT_NE(r.out.find("verdict           PASS"), std::string::npos) << r.out;
    }
  }
}

}  // namespace
