// The spec model: one YAML file per function, validated field by field.
//
// Every problem found while loading is reported as file:line:column: message, all problems of
// all files together, and nothing is returned: a caller that catches SpecError has no partial
// spec set to write from. The schema is documented in spec/README.md; the key lists below
// are its single source of truth.
#pragma once

#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnconform/ref/expr.hpp"
#include "nnconform/ref/format.hpp"

namespace nnconform::ref {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string str() const;
};

struct Diagnostic {
  SourceLocation where;
  std::string message;
  std::string str() const { return where.str() + ": " + message; }
};

class SpecError : public std::runtime_error {
 public:
  explicit SpecError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// A set of reals: [lo, hi], (lo, hi), mixed; bounds may be infinite.
struct RealRange {
  double lo = -HUGE_VAL, hi = HUGE_VAL;
  bool lo_open = false, hi_open = false;
  bool contains(double v) const;
  std::string str() const;
  static std::optional<RealRange> parse(const std::string& text);
};

enum class InputType { real, index };
enum class Shape { scalar, vector };

struct InputSpec {
  std::string name;
  InputType type = InputType::real;
  Shape shape = Shape::scalar;
  std::optional<RealRange> domain;  // values outside are bad input
  bool nan_allowed = true;
  bool optional = false;  // needed only by some parameter settings (rrelu's given slopes)
  ExprPtr default_expr;   // an optional input's value when absent (cross_entropy's w: ones(len(z)))
  std::string default_text;
  std::string doc;
  SourceLocation where;
};

enum class ParamType { real, integer, enumeration };

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::real;
  std::optional<std::string> default_value;  // text; absent when required
  bool required = false;
  std::optional<RealRange> range;
  std::vector<std::string> values;  // enumeration
  bool exact = false;               // real: used as written, not rounded to the format
  // Elementwise functions: the value may be a vector with one entry per channel (the last
  // axis of the inputs), as PReLU's learned slope.
  bool per_channel = false;
  std::string doc;
  SourceLocation where;
};

struct Definition {
  std::string name;
  std::string text;
  ExprPtr expr;
  SourceLocation where;
};

// A value the spec declares at given inputs (overriding the formula there), e.g. silu(-inf) = -0.
struct SpecialValue {
  std::map<std::string, std::string> inputs;
  std::string result;
  std::string note;
};

// A framework's convention expressed as parameter settings.
struct Convention {
  std::string name;
  std::string description;
  std::map<std::string, std::string> params;
  std::string source;
};

struct Identity {
  std::string text;
  ExprPtr expr;
  SourceLocation where;
};

// A condition valid inputs must meet (beyond an input's domain), e.g. that q holds
// probabilities unless the log-input convention is chosen. Violations are bad input.
struct Requirement {
  Definition check;  // a condition, or a vector of conditions that must all hold
  std::string message;
};

struct ReductionSpec {
  enum class Over { elements, rows } over = Over::elements;
  std::optional<Definition> weight;  // weighted mean: sum(loss) / sum(weight)
};

struct HandPickedCase {
  std::map<std::string, std::string> values;  // inputs and parameters, as text
  SourceLocation where;
};

struct FunctionSpec {
  std::string name;
  std::string family;
  std::string summary;
  std::vector<std::string> aliases;
  std::vector<std::string> references;
  std::vector<InputSpec> inputs;
  std::vector<ParamSpec> params;
  std::vector<Definition> definitions;
  std::vector<Requirement> requires_;
  std::string formula_text;
  ExprPtr formula;
  SourceLocation formula_where;
  Shape output = Shape::scalar;  // per sample (per element of an elementwise function)
  std::optional<ReductionSpec> reduction;
  std::vector<SpecialValue> special_values;
  std::vector<Convention> conventions;
  std::vector<Identity> identities;
  std::vector<std::string> input_families;
  std::vector<HandPickedCase> cases;
  std::map<std::string, std::map<Format, double>> tolerance;  // profile -> format -> ULP
  bool signed_zero_significant = false;
  std::map<std::string, Definition> gradients;  // input name -> formula
  std::filesystem::path file;

  // Elementwise: every input is a scalar, and the function maps over tensors of any shape.
  bool elementwise() const;
  const InputSpec* input(std::string_view n) const;
  const ParamSpec* param(std::string_view n) const;
  bool unary() const;  // one real scalar input, no reduction
};

// Names the schema accepts; the loader refuses anything else.
extern const std::vector<std::string> kFamilies;
extern const std::vector<std::string> kInputFamilies;
extern const std::vector<std::string> kProfiles;

class SpecSet {
 public:
  // Loads every *.yaml under dir (recursively). Throws SpecError with all diagnostics.
  static SpecSet load(const std::filesystem::path& dir);

  const FunctionSpec* find(std::string_view name_or_alias) const;
  const std::vector<FunctionSpec>& functions() const { return functions_; }
  const std::filesystem::path& directory() const { return dir_; }

 private:
  std::vector<FunctionSpec> functions_;  // sorted by name
  std::map<std::string, std::size_t, std::less<>> by_name_;  // names and aliases
  std::filesystem::path dir_;
};

// Builtin functions of the formula language: name -> allowed argument counts.
struct BuiltinInfo {
  std::string_view name;
  int min_args, max_args;
};
const BuiltinInfo* find_builtin(std::string_view name);

}  // namespace nnconform::ref
