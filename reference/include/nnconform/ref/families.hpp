// Input families: the deterministic test inputs of a function in a format.
//
// A spec names the families its function is tested on (`input_families`, validated by the
// spec loader against kInputFamilies); generate_cases() draws each of them for one target
// format and appends the spec's hand-picked `cases`. The result depends only on the spec, the
// format and the generator version: every pseudo-random draw comes from a splitmix64 stream
// seeded by a stable hash of (function, format, family), every value is built from integers
// and rounded into the format by MPFR (no libm, no host floating-point arithmetic, no
// std:: distributions, whose output is implementation-defined), and the cases come out in a
// fixed order with duplicates removed. So the golden vectors are the same bytes on any machine.
//
// Families (see spec/README.md for the names):
//   special        +-0, +-inf, NaN, smallest and largest subnormal, smallest normal, +-max, +-1
//   thresholds     unary functions: inputs a few ulps either side of every point where the
//                  correctly rounded output changes regime (zero / subnormal / normal / exactly
//                  +-1 / equal to the input / infinite / NaN), found by bisection over the
//                  ordered bit patterns of the format with the reference itself
//   huge           +-1e30, +-1e38, +-1e300, +-max and its neighbours (what rounds to a finite value)
//   log_uniform    every binade (subnormal binades included), both signs
//   random         seeded draws: uniform in [-10, 10] and [-100, 100], random bit patterns
//   large_logits   spreads of 1e2, 1e4, 1e30; one dominant logit; all equal; +-max together;
//                  rows of log-probabilities (logsumexp near 0)
//   masks          -inf entries, all -inf rows, +inf logits
//   probabilities  inputs with domain [0, 1]: 0, 1, 1 - ulp, smallest subnormal, 1e-45,
//                  1e-300, near-degenerate and random distributions with zeros
//   lengths        vector lengths 1, 2, 3, 7, 8, 9, 10, 15, 16, 17, 1000 and 32000 (the last a
//                  random block of 1000 tiled 32 times, see TestCase::period) and batches
//   exhaustive16   not a case family: every input of a unary function in binary16 and
//                  bfloat16, written as a table by the vector writer (vectors.hpp)
// Inputs always satisfy each input's domain and NaN rule; index inputs are in range.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/format.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::ref {

// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and the same sequence on every platform.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  std::uint64_t below(std::uint64_t n);  // uniform in [0, n), unbiased (rejection); n > 0
  bool chance(std::uint64_t numerator, std::uint64_t denominator) { return below(denominator) < numerator; }

 private:
  std::uint64_t state_;
};

// FNV-1a, 64 bits: a stable hash for seeds (std::hash is not stable across implementations).
std::uint64_t stable_hash(std::string_view text);

// One test case: the arguments of one call of the function.
struct TestCase {
  std::string family;  // input family ("special", "thresholds"...) or "case" for hand-picked
  Arguments args;      // real inputs already in the target format; params only when not default
  // When non-zero, every vector input is a block of `period` values repeated (length is a
  // multiple of it); the writer stores such vectors (and outputs that repeat alike) compactly.
  std::size_t period = 0;
};

struct GenerateOptions {
  std::uint64_t seed = 0x6e6e636f6e666f72;  // "nnconfor"; part of the generator version
};

// The cases of fn in format from the families its spec names, family by family in the spec's
// order, then the hand-picked cases; duplicates are dropped (first occurrence kept). The
// reference is only consulted by `thresholds`. Throws EvalError for a family it does not know
// or a hand-picked case that is not valid input.
std::vector<TestCase> generate_cases(const Reference& reference, const FunctionSpec& fn, Format format,
                                     const GenerateOptions& options = {});

// Whether the spec asks for exhaustive 16-bit tables (unary functions only); throws EvalError
// when it names exhaustive16 for a function that is not unary or has a parameter without default.
bool wants_exhaustive_tables(const FunctionSpec& fn);

// One required input, real and scalar (optional inputs aside), and no reduction: the functions
// that get regime thresholds and exhaustive tables.
bool is_unary_like(const FunctionSpec& fn);

// Parameters without a default (srelu's thresholds) take, in every generated case, the values
// of the first hand-picked case that gives them all. Throws EvalError when no case does.
std::map<std::string, std::string> required_param_values(const FunctionSpec& fn);

// --- Values of a format, by bit pattern. ---
FloatBits min_subnormal(Format format, bool negative = false);
FloatBits max_subnormal(Format format, bool negative = false);
FloatBits min_normal(Format format, bool negative = false);
FloatBits max_finite(Format format, bool negative = false);
// The finite values in order: ordinal 0 is +0, k > 0 the k-th value above it, -k its negation
// (-0 has no ordinal of its own: ordinal(-0) = 0).
std::int64_t max_ordinal(Format format);
std::int64_t ordinal(const FloatBits& v);  // v finite
FloatBits from_ordinal(Format format, std::int64_t k);

// --- Regimes of the correctly rounded output of a unary function. ---
enum class Regime {
  nan, neg_inf, neg_normal, neg_subnormal, neg_zero, pos_zero, pos_subnormal, pos_normal, pos_inf,
  minus_one, plus_one, identity, invalid
};
std::string_view regime_name(Regime r);
Regime classify_regime(const FloatBits& input, const FloatBits& output);

struct Transition {
  FloatBits last_before;  // the largest input (in the walk's order) still in `before`
  FloatBits first_after;  // its successor, in `after`
  Regime before, after;
};

// Walks the finite inputs of a unary(-like) function from -max to +max on a grid of ordinals and
// bisects every grid step whose ends are in different regimes down to adjacent values.
// Regimes narrower than a grid step may be missed (the grid has `grid_points` points; all the
// values when the format has fewer).
std::vector<Transition> find_transitions(const Reference& reference, const FunctionSpec& fn, Format format,
                                         const std::map<std::string, std::string>& params = {},
                                         std::int64_t grid_points = 4097);

}  // namespace nnconform::ref
