// The golden-vector suite: every (function, format) the built-in implementation provides is run
// over its golden vectors (case files, and the exhaustive 16-bit tables), each result measured
// in ULPs against the exact value, and held to the spec's `strict` tolerance. Each row of the
// measured table is printed and written to NNCONFORM_ULP_TABLE (Markdown) for the docs.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>

#include "nnconform/conformance/check.hpp"
#include "nnconform/conformance/implementation.hpp"
#include "nnconform/conformance/measure.hpp"
#include "nnconform/ref/vectors.hpp"
#include "table_merge.hpp"
#include "test_support.hpp"

namespace nnconform::conformance {
namespace {

namespace fs = std::filesystem;
using ref::Format;

using testing::describe_case;
using testing::specs;

struct Row {
  std::string function, format, implementation;
  Score score;
  std::size_t skipped = 0;
  double tolerance = 0;
};

std::mutex rows_mutex;
std::vector<Row>& rows() {
  static std::vector<Row> r;
  return r;
}


struct Target {
  std::string function;
  Format format;
};

// How gtest prints a parameter (instead of a dump of its bytes): "sigmoid_binary64".
void PrintTo(const Target& target, std::ostream* os) {
  *os << target.function << "_" << ref::name(target.format);
}

std::vector<Target> targets() {
  std::vector<Target> out;
  auto impl = make_builtin();
  for (const auto& fn : specs().functions())
    for (Format f : ref::kAllFormats)
      if (impl->supports(fn, f)) out.push_back({fn.name, f});
  return out;
}

class GoldenVectors : public ::testing::TestWithParam<Target> {};

TEST_P(GoldenVectors, BuiltinMeetsStrict) {
  const Target& target = GetParam();
  const ref::FunctionSpec& fn = *specs().find(target.function);
  auto impl = make_builtin();
  auto strict = fn.tolerance.find("strict");
  ASSERT_TRUE(strict != fn.tolerance.end() && strict->second.count(target.format))
      << fn.name << " declares no strict tolerance for " << ref::name(target.format);
  double tolerance = strict->second.at(target.format);

  // The case file and, in 16-bit formats, the exhaustive table, read as nnconform check reads them.
  std::vector<GoldenCase> cases;
  const std::string error = load_cases(fn, target.format, NNCONFORM_VECTOR_DIR, cases);
  ASSERT_TRUE(error.empty()) << error;
  Row row{fn.name, std::string(ref::name(target.format)), impl->name(), {}, 0, tolerance};
  for (const auto& c : cases) {
    std::vector<ref::FloatBits> got;
    try {
      got = impl->compute(fn, target.format, c.args);
    } catch (const Unsupported& e) {
      // A case may set a parameter the implementation does not take; the exhaustive tables
      // hold default parameters only, so refusing one of their inputs is a failure.
      if (c.family == "exhaustive16") ADD_FAILURE() << c.location << ": the implementation refused: " << e.what();
      else ++row.skipped;
      continue;
    } catch (const std::exception& e) {
      ADD_FAILURE() << c.location << ": the implementation threw: " << e.what();
      continue;
    }
    ASSERT_EQ(got.size(), c.expected.size()) << c.location << ": wrong number of outputs";
    for (std::size_t i = 0; i < got.size(); ++i) {
      ElementError e = measure(got[i], c.expected[i], c.offsets[i]);
      row.score.add(e, tolerance, fn.signed_zero_significant, [&] {
        return c.location + " " + describe_case(fn, c.args, i, got[i], c.expected[i], c.offsets[i]);
      });
    }
  }

  EXPECT_GT(row.score.count, 0u) << fn.name << " " << ref::name(target.format) << ": no case was run";
  EXPECT_TRUE(row.score.passes()) << fn.name << " in " << ref::name(target.format) << ": " << row.score.over_tolerance
                                  << " results over " << tolerance << " ulp, " << row.score.nan_mismatches << " NaN, "
                                  << row.score.inf_mismatches << " inf, " << row.score.zero_sign_mismatches
                                  << " signed-zero mismatches; first failures:\n"
                                  << row.score.first_failures;
  std::lock_guard<std::mutex> lock(rows_mutex);
  rows().push_back(row);
}

std::string target_name(const ::testing::TestParamInfo<Target>& info) {
  return info.param.function + "_" + std::string(ref::name(info.param.format));
}

INSTANTIATE_TEST_SUITE_P(Builtin, GoldenVectors, ::testing::ValuesIn(targets()), target_name);

// Prints the measured rows and merges them into the Markdown table NNCONFORM_ULP_TABLE when the
// suite ends, a row per function and format (table_merge.hpp: ctest runs each test in its own
// process).
class TableWriter : public ::testing::Environment {
 public:
  void TearDown() override {
    if (rows().empty()) return;
    std::vector<std::string> lines;
    std::ostringstream printed;
    for (const Row& r : rows()) {
      std::ostringstream ulps, line;
      ulps << std::fixed << std::setprecision(3) << r.score.max_ulps;
      line << "| " << r.function << " | " << r.format << " | " << r.score.count << " | " << ulps.str() << " | "
           << r.score.not_correctly_rounded << " | " << r.tolerance << " | " << (r.score.passes() ? "yes" : "**no**")
           << " | " << r.skipped << " | " << (r.score.max_ulps > 0.5 ? r.score.worst.substr(0, 160) : "") << " |";
      printed << line.str() << "\n";
      lines.push_back(line.str());
    }
    const std::string header =
        "| function | format | values | max ULP | not correctly rounded | strict | meets | cases refused | worst input |\n"
        "|---|---|---:|---:|---:|---:|---|---:|---|\n";
    std::cout << "\nBuilt-in implementation against the golden vectors (error in ULPs of the exact value):\n"
              << header << printed.str();
    testing::merge_table_rows(NNCONFORM_ULP_TABLE, header, lines, 2);
  }
};

const auto* const table_writer = ::testing::AddGlobalTestEnvironment(new TableWriter);

}  // namespace
}  // namespace nnconform::conformance
