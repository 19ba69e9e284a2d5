// The reference: correctly rounded values of any spec'd function, proven by enclosure.
//
// Each output is evaluated in interval arithmetic (interval.hpp) at a working precision; when
// both ends of the enclosure round to the same value of the target format, that value is the
// correctly rounded result (the exact value lies between the ends). Otherwise the precision
// is doubled (Ziv's strategy) up to a cap, beyond which the evaluation fails naming the
// function and the input: never a guess.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnconform/ref/format.hpp"
#include "nnconform/ref/interval.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::ref {

// Argument values, already held in the target format (real inputs) or as integers (index
// inputs). Shape [] is a scalar, [n] a vector (or a batch of scalars), [rows, n] a batch.
struct Tensor {
  std::vector<std::size_t> shape;
  std::vector<FloatBits> values;  // real inputs
  std::vector<long> indices;      // index inputs
  std::size_t size() const;
};

struct Arguments {
  std::map<std::string, Tensor> inputs;
  std::map<std::string, std::string> params;  // as text; rounded per the spec
};

struct GoldenValue {
  FloatBits value;
  // Where the exact value lies: (exact - value) / ulp, in (-1/2, 1/2] for a finite result
  // (ulp of the value's binade; subnormal quantum below the normal range). 0 when exact;
  // NaN for NaN and for a result that overflowed to infinity.
  double offset_ulps = 0;
};

struct EvalResult {
  std::vector<std::size_t> shape;
  std::vector<GoldenValue> values;
  long max_precision_used = 0;  // bits
};

// Bad input: unknown name, missing input, wrong shape, value outside the domain...
class EvalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The enclosure did not narrow to one target value below the precision cap.
class UndecidedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct EvalOptions {
  long start_precision = 128;        // bits
  long max_precision = 1L << 15;     // bits
};

class Reference {
 public:
  explicit Reference(const SpecSet& specs, EvalOptions options = {});

  EvalResult evaluate(const FunctionSpec& fn, Format format, const Arguments& args) const;

  // Evaluates one of fn's identities (or any condition over fn's inputs) on a single sample in
  // interval arithmetic at `precision` bits. False: violated beyond the enclosures' width (a
  // true counterexample); True or Unknown: holds as far as that precision can tell; NaN: a
  // side is NaN. Vector conditions combine: any False is False.
  Truth check_identity(const FunctionSpec& fn, const Identity& identity, const Arguments& args,
                       long precision = 256) const;

  // Proves or refutes fn's gradient formula for `wrt` (an input, or a real parameter) on one
  // sample: the forward formula is differentiated along a direction v by automatic
  // differentiation in interval arithmetic (enclosing J v, contracted with an upstream g for
  // vector outputs), the gradient formula G is evaluated in intervals, and <G, v> is compared
  // with it. Disjoint enclosures are a proof that the formula is wrong there.
  struct GradientCheck {
    bool checked = false;  // false at a kink along v, or where a side is not finite
    bool agrees = true;
    std::string formula, derivative;  // the two enclosures, for messages
  };
  GradientCheck check_gradient(const FunctionSpec& fn, const std::string& wrt, const Arguments& args,
                               std::uint64_t direction_seed = 1, long precision = 256) const;

  // Correctly rounded values of fn's gradient formula for `wrt`, per sample, with the shape of
  // `wrt`; for a reduced loss, of the reduced loss (mean divides by n, or by the total weight).
  // Vector outputs take the upstream gradient as the input "g" (default: ones).
  EvalResult evaluate_gradient(const FunctionSpec& fn, const std::string& wrt, Format format,
                               const Arguments& args) const;

  const SpecSet& specs() const { return specs_; }

 private:
  struct GradientRequest;
  EvalResult evaluate_impl(const FunctionSpec& fn, Format format, const Arguments& args,
                           const GradientRequest* gradient) const;

  const SpecSet& specs_;
  EvalOptions options_;
};

// Parses a command-line value: "1.5", "1,2,1e4" (vector), "0,0,1;0,1,0" (batch of rows).
// Real values are rounded directly into the format; index values must be integers.
Tensor parse_tensor(const std::string& text, Format format, InputType type);

std::string describe(const Tensor& t);  // for messages: hex values in brackets

}  // namespace nnconform::ref
