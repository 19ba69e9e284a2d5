// Shared by the check_*_test.cpp suites: golden vectors for them, the nnconform tool, and a
// one-call way to run a check.
//
// The vectors are generated once per build tree with `nnconform gen` (a few functions, binary32
// and binary64, plus the 16-bit exhaustive tables of three activations) into
// NNCONFORM_CHECK_TEST_VECTORS, under a file lock (ctest runs test processes in parallel), and
// regenerated when a spec file or the generator changes. The tests do not depend on the
// checked-in vectors/ being complete, and what they assert is computed from the same files.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "nnconform/conformance/batch.hpp"
#include "nnconform/conformance/check.hpp"
#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/spec.hpp"
#include "nnconform/ref/vectors.hpp"

namespace nnconform::conformance::testing {

namespace fs = std::filesystem;

// Functions with vectors in the test tree (binary32 and binary64).
inline const std::vector<std::string>& test_functions() {
  static const std::vector<std::string> f = {
      "relu", "relu6", "linear", "sigmoid", "tanh", "elu", "silu", "gelu", "softplus", "softmax", "logsumexp",
      "entropy", "kl_divergence", "cross_entropy_dist", "binary_cross_entropy", "mse"};
  return f;
}
// Unary functions that also get binary16/bfloat16 vectors and exhaustive tables.
inline const std::vector<std::string>& test_functions_16() {
  static const std::vector<std::string> f = {"relu", "sigmoid", "tanh"};
  return f;
}

inline const ref::SpecSet& specs() {
  static const ref::SpecSet s = ref::SpecSet::load(NNCONFORM_SPEC_DIR);
  return s;
}

inline const ref::Reference& reference() {
  static const ref::Reference r(specs());
  return r;
}

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// Runs a shell command line, capturing its output.
inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>&1").c_str(), "r"), pclose);
  if (!pipe) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) r.out.append(buf.data(), n);
  int status = pclose(pipe.release());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The test vector tree, generated on first use (see the top of this file).
inline fs::path test_vectors() {
  static const fs::path dir = [] {
    fs::path d = NNCONFORM_CHECK_TEST_VECTORS;
    fs::create_directories(d.parent_path());
    std::string stamp = ref::generator_version() + "\n";
    for (const auto& name : test_functions()) stamp += name + " " + ref::sha256_file(specs().find(name)->file) + "\n";
    int lock = open((d.string() + ".lock").c_str(), O_CREAT | O_RDWR, 0644);
    flock(lock, LOCK_EX);
    std::string existing;
    if (std::ifstream in{d / "STAMP"}) existing.assign(std::istreambuf_iterator<char>(in), {});
    if (existing != stamp) {
      fs::remove_all(d);
      std::string functions;
      for (const auto& f : test_functions()) functions += " " + f;
      std::string functions16;
      for (const auto& f : test_functions_16()) functions16 += " " + f;
      std::string gen = std::string(quote(NNCONFORM_TOOL)) + " gen -q --out " + quote(d.string());
      // A function whose reference cannot be generated at the moment is left out (its tests
      // skip); the others still get their vectors.
      CommandResult a = run_command(gen + " --format binary32 binary64 --function" + functions);
      CommandResult b = run_command(gen + " --format binary16 bfloat16 --function" + functions16);
      if (a.exit_code != 0 || b.exit_code != 0) std::fprintf(stderr, "check tests: nnconform gen: %s%s\n", a.out.c_str(), b.out.c_str());
      std::ofstream(d / "STAMP") << stamp;
    }
    flock(lock, LOCK_UN);
    close(lock);
    return d;
  }();
  return dir;
}

inline bool has_vectors(const std::string& function, ref::Format format) {
  return fs::exists(test_vectors() / ref::vector_file_path(*specs().find(function), format, ref::VectorFileKind::cases));
}

inline ref::VectorFile vector_file(const std::string& function, ref::Format format) {
  return ref::read_vector_file(test_vectors() / ref::vector_file_path(*specs().find(function), format, ref::VectorFileKind::cases));
}

inline ProcessOptions fast_options(double timeout_seconds = 1.5) {
  ProcessOptions o;
  o.timeout = std::chrono::milliseconds(static_cast<long>(timeout_seconds * 1000));
  o.startup_timeout = std::chrono::seconds(20);  // generous: a loaded machine may start slowly
  o.runner = NNCONFORM_ABI_RUNNER;
  return o;
}

inline CheckResult check(BatchImplementation& impl, const std::vector<std::string>& functions,
                         const std::vector<ref::Format>& formats, const std::string& profile = "strict",
                         const std::vector<std::string>& accept = {}) {
  CheckOptions o;
  o.functions = functions;
  o.formats = formats;
  o.profile = parse_profile(profile, specs(), accept);
  o.vector_dir = test_vectors();
  return run_check(specs(), reference(), impl, o);
}

inline const FunctionResult* find(const CheckResult& r, const std::string& function, ref::Format format) {
  for (const auto& f : r.results)
    if (f.function == function && f.format == ref::name(format)) return &f;
  return nullptr;
}

#define NNCONFORM_REQUIRE_VECTORS(function, format)                                                      \
  if (!::nnconform::conformance::testing::has_vectors(function, format))                                  \
  GTEST_SKIP() << "no test vectors for " << function << " " << ::nnconform::ref::name(format)             \
               << " (nnconform gen failed for it: see the reference)"

}  // namespace nnconform::conformance::testing
