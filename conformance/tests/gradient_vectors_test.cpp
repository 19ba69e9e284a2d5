// The gradient golden-vector suite: every gradient file of vectors/
// (<family>/<function>/grad_<input>/<format>.txt) is run through the built-in backward pass
// (impl/ backward.hpp, through conformance/src/builtin_backward.cpp), each value measured in ULPs
// against the exact gradient and held to the spec's `strict` tolerance for that format. Every
// gradient file must be covered: a (function, input) the built-in backward lacks is a failure.
// The measured rows are printed and merged into the Markdown table NNCONFORM_GRADIENT_ULP_TABLE.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>
#include <tuple>

#include "nnconform/conformance/builtin_backward.hpp"
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

// One gradient file.
struct GradientTarget {
  std::string function;
  std::string wrt;
  Format format = Format::binary64;
  std::string path;  // relative to the vector tree
};

// How gtest prints a parameter (instead of a dump of its bytes): "sigmoid_x_binary64".
void PrintTo(const GradientTarget& target, std::ostream* os) {
  *os << target.function << "_" << target.wrt << "_" << ref::name(target.format);
}

// Every <family>/<function>/grad_<input>/<format>.txt of the tree, sorted.
std::vector<GradientTarget> gradient_targets() {
  std::vector<GradientTarget> out;
  for (const std::string& rel : ref::list_tree_files(NNCONFORM_VECTOR_DIR)) {
    fs::path p(rel);
    if (p.extension() != ".txt") continue;
    std::string dir = p.parent_path().filename().string();
    if (dir.rfind("grad_", 0) != 0) continue;
    auto format = ref::parse_format(p.stem().string());
    if (!format) continue;
    out.push_back({p.parent_path().parent_path().filename().string(), dir.substr(5), *format, rel});
  }
  return out;
}

struct Row {
  std::string function, wrt, format;
  Score score;
  double tolerance = 0;
};

std::mutex rows_mutex;
std::vector<Row>& rows() {
  static std::vector<Row> r;
  return r;
}


class GradientVectors : public ::testing::TestWithParam<GradientTarget> {};

TEST_P(GradientVectors, BuiltinBackwardMeetsStrict) {
  const GradientTarget& target = GetParam();
  const ref::FunctionSpec* found = specs().find(target.function);
  ASSERT_NE(found, nullptr) << target.path << ": no spec for " << target.function;
  const ref::FunctionSpec& fn = *found;
  ASSERT_TRUE(fn.gradients.count(target.wrt)) << target.path << ": " << fn.name << " has no gradient for " << target.wrt;
  ASSERT_TRUE(builtin_has_gradient(fn.name, target.wrt))
      << "the built-in backward has no d" << fn.name << "/d" << target.wrt << " (" << target.path << ")";
  auto strict = fn.tolerance.find("strict");
  ASSERT_TRUE(strict != fn.tolerance.end() && strict->second.count(target.format))
      << fn.name << " declares no strict tolerance for " << ref::name(target.format);
  const double tolerance = strict->second.at(target.format);

  fs::path file_path = fs::path(NNCONFORM_VECTOR_DIR) / target.path;
  ref::VectorFile file = ref::read_vector_file(file_path);
  ASSERT_EQ(file.header.gradient, target.wrt) << file_path << ": header says gradient " << file.header.gradient;
  ASSERT_EQ(file.header.function, fn.name);
  ASSERT_EQ(file.header.format, target.format);

  Row row{fn.name, target.wrt, std::string(ref::name(target.format)), {}, tolerance};
  std::size_t threw = 0;
  for (const auto& c : file.cases) {
    std::vector<ref::FloatBits> got;
    try {
      got = builtin_gradient(fn, target.wrt, target.format, c.args);
    } catch (const std::exception& e) {
      if (++threw <= 5)
        ADD_FAILURE() << file_path.string() << ":" << c.line << ": the built-in backward threw: " << e.what();
      continue;
    }
    ASSERT_EQ(got.size(), c.expected.values.size())
        << file_path.string() << ":" << c.line << ": " << got.size() << " gradient values, the golden file has "
        << c.expected.values.size();
    for (std::size_t i = 0; i < got.size(); ++i) {
      const std::size_t k = i;
      ElementError e = measure(got[i], c.expected.values[k], c.offsets_ulps[k]);
      row.score.add(e, tolerance, fn.signed_zero_significant, [&] {
        return target.path + ":" + std::to_string(c.line) + " " +
               describe_case(fn, c.args, i, got[i], c.expected.values[k], c.offsets_ulps[k], {"g"});
      });
    }
  }
  EXPECT_EQ(threw, 0u) << threw << " cases threw";
  EXPECT_GT(row.score.count, 0u) << target.path << ": no value was checked";
  EXPECT_TRUE(row.score.passes()) << "d" << fn.name << "/d" << target.wrt << " in " << ref::name(target.format)
                                  << ": " << row.score.over_tolerance << " values over " << tolerance << " ulp, "
                                  << row.score.nan_mismatches << " NaN, " << row.score.inf_mismatches << " inf, "
                                  << row.score.zero_sign_mismatches << " signed-zero mismatches; first failures:\n"
                                  << row.score.first_failures;
  std::lock_guard<std::mutex> lock(rows_mutex);
  rows().push_back(row);
}

std::string target_name(const ::testing::TestParamInfo<GradientTarget>& info) {
  return info.param.function + "_" + info.param.wrt + "_" + std::string(ref::name(info.param.format));
}

INSTANTIATE_TEST_SUITE_P(Builtin, GradientVectors, ::testing::ValuesIn(gradient_targets()), target_name);

// The suite must see the gradient files at all (an empty instantiation would pass silently).
TEST(GradientVectorsCoverage, EveryGradientFormulaHasFilesAndABackward) {
  auto targets = gradient_targets();
  ASSERT_FALSE(targets.empty()) << "no gradient file under " << NNCONFORM_VECTOR_DIR;
  for (const auto& fn : specs().functions())
    for (const auto& [wrt, formula] : fn.gradients)
      for (Format f : ref::kAllFormats) {
        bool has_file = std::any_of(targets.begin(), targets.end(), [&](const GradientTarget& t) {
          return t.function == fn.name && t.wrt == wrt && t.format == f;
        });
        if (!has_file) continue;  // formats the generator writes no file for are not scored
        EXPECT_TRUE(builtin_has_gradient(fn.name, wrt)) << "no built-in backward for d" << fn.name << "/d" << wrt;
      }
}

// Prints the measured rows and merges them into the Markdown table NNCONFORM_GRADIENT_ULP_TABLE
// when the suite ends, a row per function, input and format (table_merge.hpp: ctest runs each
// test in its own process), formats in the order binary64, binary32, binary16, bfloat16.
int format_rank(const std::string& f) { return f == "binary64" ? 0 : f == "binary32" ? 1 : f == "binary16" ? 2 : 3; }

class GradientTableWriter : public ::testing::Environment {
 public:
  void TearDown() override {
    if (rows().empty()) return;
    std::sort(rows().begin(), rows().end(), [](const Row& a, const Row& b) {
      return std::make_tuple(a.function, a.wrt, format_rank(a.format)) <
             std::make_tuple(b.function, b.wrt, format_rank(b.format));
    });
    const std::string header =
        "| function | d/d input | format | values | max ULP | not correctly rounded | strict | meets | worst input |\n"
        "|---|---|---|---:|---:|---:|---:|---|---|\n";
    std::vector<std::string> lines;
    std::ostringstream printed;
    for (const Row& r : rows()) {
      std::ostringstream ulps, line;
      if (std::isinf(r.score.max_ulps))
        ulps << "inf";
      else
        ulps << std::fixed << std::setprecision(3) << r.score.max_ulps;
      std::string worst = r.score.max_ulps > 0.5 ? r.score.worst.substr(0, 200) : "";
      std::replace(worst.begin(), worst.end(), '|', '/');
      line << "| " << r.function << " | " << r.wrt << " | " << r.format << " | " << r.score.count << " | "
           << ulps.str() << " | " << r.score.not_correctly_rounded << " | " << r.tolerance << " | "
           << (r.score.passes() ? "yes" : "**no**") << " | " << worst << " |";
      printed << line.str() << "\n";
      lines.push_back(line.str());
    }
    std::cout << "\nBuilt-in backward against the gradient golden vectors (error in ULPs of the exact value):\n"
              << header << printed.str();
    // Keys (function, input, format); the format name breaks a tie of ranks (an unknown format).
    testing::merge_table_rows(NNCONFORM_GRADIENT_ULP_TABLE, header, lines, 3,
                              [](const testing::TableKey& a, const testing::TableKey& b) {
                                return std::make_tuple(a[0], a[1], format_rank(a[2]), a[2]) <
                                       std::make_tuple(b[0], b[1], format_rank(b[2]), b[2]);
                              });
  }
};

const auto* const gradient_table_writer = ::testing::AddGlobalTestEnvironment(new GradientTableWriter);

}  // namespace
}  // namespace nnconform::conformance
