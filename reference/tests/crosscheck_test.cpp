// The reference against the independent cross-check (crosscheck.hpp): for every function of
// the repo's spec/ and every target format, a seeded set of inputs is evaluated by both, and
// every output must agree bit for bit unless the cross-check flags it near a rounding boundary
// (its point value's error bound straddles one), which must stay rare.
#include "nnconform/ref/crosscheck.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "nnconform/ref/evaluator.hpp"

namespace nnconform::ref {
namespace {

const SpecSet& specs() {
  static const SpecSet set = SpecSet::load(NNCONFORM_SPEC_DIR);
  return set;
}

// Seeded values of one format, by bit pattern so that every binade is reachable.
class Draw {
 public:
  Draw(Format format, std::uint64_t seed) : format_(format), f_(info(format)), rng_(seed) {}

  std::uint64_t below(std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_); }
  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
  bool chance(double p) { return uniform(0, 1) < p; }

  FloatBits make(bool negative, std::uint64_t exp_field, std::uint64_t frac) const {
    std::uint64_t bits = (negative ? std::uint64_t{1} << (f_.storage_bits - 1) : 0) |
                         (exp_field << (f_.precision - 1)) | (frac & frac_mask());
    return {format_, bits};
  }
  std::uint64_t frac_mask() const { return (std::uint64_t{1} << (f_.precision - 1)) - 1; }
  std::uint64_t max_exp_field() const { return (std::uint64_t{1} << f_.exponent_bits) - 1; }
  FloatBits random_frac(bool negative, std::uint64_t exp_field) { return make(negative, exp_field, rng_()); }

  // A double rounded into the format (correctly, through the exact hex text).
  FloatBits from_double(double v) const { return *parse_value(to_hex(FloatBits::from_double(v)), format_); }

  FloatBits special() {
    const std::uint64_t one = static_cast<std::uint64_t>(f_.bias);
    const FloatBits list[] = {
        FloatBits::zero(format_, false),
        FloatBits::zero(format_, true),
        FloatBits::infinity(format_, false),
        FloatBits::infinity(format_, true),
        FloatBits::quiet_nan(format_),
        make(false, 0, 1),
        make(true, 0, 1),
        make(false, 0, frac_mask()),
        make(false, 1, 0),
        make(true, 1, 0),
        make(false, max_exp_field() - 1, frac_mask()),
        make(true, max_exp_field() - 1, frac_mask()),
        make(false, one, 0),
        make(true, one, 0),
        make(false, one - 1, 0),
        make(false, one - 1, frac_mask()),
    };
    return list[below(std::size(list))];
  }

  // Any value: special values, every binade, the moderate range and small exact fractions.
  FloatBits any() {
    double r = uniform(0, 100);
    if (r < 12) return special();
    if (r < 45) return random_frac(chance(0.5), below(max_exp_field()));  // finite, incl. subnormals
    if (r < 85) {  // 2^-10 .. 2^7
      std::uint64_t e = static_cast<std::uint64_t>(f_.bias) - 10 + below(18);
      return random_frac(chance(0.5), e);
    }
    return from_double(static_cast<double>(static_cast<int>(below(161)) - 80) / 4);
  }

  // A probability in [0, 1]: the ends, 1 - ulp, the smallest subnormal, every binade below 1.
  FloatBits probability() {
    double r = uniform(0, 100);
    const std::uint64_t one = static_cast<std::uint64_t>(f_.bias);
    if (r < 8) return chance(0.5) ? FloatBits::zero(format_, false) : make(false, one, 0);
    if (r < 14) {
      const FloatBits list[] = {make(false, 0, 1), make(false, one - 1, frac_mask()), make(false, one - 1, 0),
                                make(false, 1, 0)};
      return list[below(std::size(list))];
    }
    if (r < 50) return random_frac(false, below(one));  // log-uniform over the binades below 1
    if (r < 90) return random_frac(false, one - 1 - below(4));  // 1/16 .. 1
    return from_double(static_cast<double>(below(17)) / 16);
  }

  // A logit of a vector with the given spread; masks (-inf), duplicates and extremes mixed in.
  FloatBits logit(double spread, const std::vector<FloatBits>& so_far) {
    double r = uniform(0, 100);
    if (r < 8) return FloatBits::infinity(format_, true);
    if (r < 9) return FloatBits::infinity(format_, false);
    if (r < 10) return FloatBits::quiet_nan(format_);
    if (r < 22 && !so_far.empty()) return so_far[below(so_far.size())];
    if (r < 30) return any();
    return from_double(uniform(-spread, spread));
  }

 private:
  Format format_;
  const FormatInfo& f_;
  std::mt19937_64 rng_;
};

// What a spec's `requires` conditions say about one input: the literals it must equal
// (labels: y == -1 || y == 1) and the bounds it must respect (q >= 0 && q <= 1).
struct Hints {
  std::vector<double> equals;
  bool probability = false;
};

std::optional<double> literal(const Expr& e) {
  if (e.kind == Expr::Kind::Number) return std::stod(e.text);
  if (e.kind == Expr::Kind::Unary && e.op == Op::Neg && e.args[0]->kind == Expr::Kind::Number)
    return -std::stod(e.args[0]->text);
  return std::nullopt;
}

void collect_hints(const Expr& e, const std::string& input, Hints& h, bool& lo0, bool& hi1) {
  if (e.kind == Expr::Kind::Binary && e.args.size() == 2) {
    const Expr& a = *e.args[0];
    const Expr& b = *e.args[1];
    if (a.kind == Expr::Kind::Name && a.text == input) {
      if (auto v = literal(b)) {
        if (e.op == Op::Eq) h.equals.push_back(*v);
        if ((e.op == Op::Ge || e.op == Op::Gt) && *v == 0) lo0 = true;
        if ((e.op == Op::Le || e.op == Op::Lt) && *v == 1) hi1 = true;
      }
    }
  }
  for (const auto& arg : e.args)
    if (arg) collect_hints(*arg, input, h, lo0, hi1);
}

Hints hints_for(const FunctionSpec& fn, const InputSpec& in) {
  Hints h;
  bool lo0 = false, hi1 = false;
  for (const auto& q : fn.requires_) collect_hints(*q.check.expr, in.name, h, lo0, hi1);
  h.probability = (lo0 && hi1) || (in.domain && in.domain->lo == 0 && in.domain->hi == 1);
  return h;
}

// The values of one input for `rows` samples (rows = 0: a single sample, no batch dimension):
// vectors of `length` entries, class indices below `length`.
Tensor draw_input(Draw& d, const FunctionSpec& fn, const InputSpec& in, std::size_t length, std::size_t rows) {
  Tensor t;
  std::size_t n = std::max<std::size_t>(rows, 1);
  Hints hints = hints_for(fn, in);
  bool as_probabilities = hints.probability && d.chance(0.9);
  auto draw_real = [&](std::vector<FloatBits>& row_so_far, double spread) -> FloatBits {
    if (!hints.equals.empty() && d.chance(0.9)) return d.from_double(hints.equals[d.below(hints.equals.size())]);
    if (as_probabilities) return d.probability();
    if (in.shape == Shape::vector) return d.logit(spread, row_so_far);
    FloatBits v = d.any();
    for (int tries = 0; in.domain && !(v.is_nan() || in.domain->contains(v.to_double())) && tries < 100; ++tries)
      v = d.any();
    return v;
  };
  const double spreads[] = {1, 10, 100, 1e4, 1e30};
  for (std::size_t r = 0; r < n; ++r) {
    if (in.type == InputType::index) {
      t.indices.push_back(static_cast<long>(d.below(length)));
      continue;
    }
    std::vector<FloatBits> row;
    double spread = spreads[d.below(std::size(spreads))];
    std::size_t width = in.shape == Shape::vector ? length : 1;
    for (std::size_t i = 0; i < width; ++i) row.push_back(draw_real(row, spread));
    t.values.insert(t.values.end(), row.begin(), row.end());
  }
  if (in.shape == Shape::vector)
    t.shape = rows ? std::vector<std::size_t>{rows, length} : std::vector<std::size_t>{length};
  else if (rows) t.shape = {n};
  return t;
}

// Parameters: defaults mostly, otherwise values from the parameter's range; a per-channel
// parameter of a tensor input sometimes gets one value per channel.
void draw_params(Draw& d, const FunctionSpec& fn, bool batched, std::size_t channels, Arguments& args) {
  for (const auto& ps : fn.params) {
    if (ps.name == "reduction") {
      if (d.chance(0.3)) args.params["reduction"] = d.chance(0.5) ? "mean" : "sum";
      else args.params["reduction"] = "none";
      continue;
    }
    if (ps.name == "axis") {
      if (batched && d.chance(0.5)) args.params["axis"] = d.chance(0.5) ? "0" : "-2";
      continue;
    }
    if (!ps.required && !d.chance(0.3)) continue;
    if (ps.type == ParamType::enumeration) {
      args.params[ps.name] = ps.values[d.below(ps.values.size())];
      continue;
    }
    std::vector<std::string> candidates;
    const char* reals[] = {"0", "0.1", "0.5", "1.5", "2", "3", "20", "1e-3", "inf"};
    const char* integers[] = {"0", "1", "2", "3", "-1"};
    if (ps.type == ParamType::integer) candidates.assign(std::begin(integers), std::end(integers));
    else candidates.assign(std::begin(reals), std::end(reals));
    std::erase_if(candidates, [&](const std::string& c) { return ps.range && !ps.range->contains(std::stod(c)); });
    if (candidates.empty()) continue;
    if (ps.per_channel && channels > 0 && d.chance(0.5)) {
      std::string list;
      for (std::size_t c = 0; c < channels; ++c) list += (c ? "," : "") + candidates[d.below(candidates.size())];
      args.params[ps.name] = list;
    } else {
      args.params[ps.name] = candidates[d.below(candidates.size())];
    }
  }
}

std::string show(const Arguments& args) {
  std::ostringstream os;
  for (const auto& [name, t] : args.inputs) os << name << "=" << describe(t) << " ";
  for (const auto& [name, v] : args.params) os << name << "=" << v << " ";
  return os.str();
}

struct Tally {
  long cases = 0, outputs = 0, finite = 0, agree = 0, boundary = 0, boundary_differ = 0, undecided = 0,
       undecided_sure = 0, rejected = 0;
  std::vector<std::string> failures, undecided_examples;
};

// The reference's outcome for one case: its values, or the error it raised.
struct Outcome {
  std::optional<EvalResult> result;
  std::string undecided, rejected;  // the messages of UndecidedError and EvalError
};

Outcome run_reference(const Reference& reference, const FunctionSpec& fn, Format format, const Arguments& args) {
  Outcome o;
  try {
    o.result = reference.evaluate(fn, format, args);
  } catch (const UndecidedError& e) {
    o.undecided = e.what();
  } catch (const EvalError& e) {
    o.rejected = e.what();
  }
  return o;
}

void compare(const SpecSet& set, const FunctionSpec& fn, Format format, const Arguments& args, const Outcome& ref,
             Tally& t) {
  ++t.cases;
  const CrossCheck cross(set);
  if (!ref.rejected.empty()) {
    ++t.rejected;
    try {
      cross.evaluate(fn, format, args);
      t.failures.push_back(std::string(name(format)) + " " + show(args) + ": the reference rejects (" + ref.rejected +
                           "), the cross-check accepts");
    } catch (const EvalError&) {
    }
    return;
  }
  if (!ref.result) {
    // The reference refuses to guess (an MPFR overflow, or an enclosure that stays too wide):
    // not a wrong value, but listed, since the cross-check may well have been sure.
    ++t.undecided;
    bool sure = false;
    try {
      CrossCheckResult got = cross.evaluate(fn, format, args);
      sure = std::none_of(got.near_boundary.begin(), got.near_boundary.end(), [](bool b) { return b; });
      if (t.undecided_examples.size() < 3) {
        std::string values;
        for (std::size_t i = 0; i < got.values.size(); ++i)
          values += (i ? ", " : "") + to_hex(got.values[i]) + (got.near_boundary[i] ? " (near boundary)" : "");
        t.undecided_examples.push_back(std::string(name(format)) + " " + show(args) + "-> cross-check [" + values +
                                       "]");
      }
    } catch (const EvalError&) {
    }
    t.undecided_sure += sure;
    return;
  }
  const EvalResult& want = *ref.result;
  CrossCheckResult got = cross.evaluate(fn, format, args);
  if (got.values.size() != want.values.size() || got.shape != want.shape) {
    t.failures.push_back(std::string(name(format)) + " " + show(args) + ": shapes differ");
    return;
  }
  for (std::size_t i = 0; i < got.values.size(); ++i) {
    ++t.outputs;
    const FloatBits& a = want.values[i].value;
    const FloatBits& b = got.values[i];
    bool same = a == b || (a.is_nan() && b.is_nan());
    t.finite += !a.is_nan() && !a.is_inf() && !a.is_zero();
    if (got.near_boundary[i]) {
      ++t.boundary;
      if (!same) ++t.boundary_differ;
      if (std::getenv("NNCONFORM_CROSSCHECK_VERBOSE"))  // to study the boundary cases
        std::printf("  near boundary: %s %s %s output %zu: reference %s, cross-check %s\n", fn.name.c_str(),
                    std::string(name(format)).c_str(), show(args).c_str(), i, to_hex(a).c_str(), to_hex(b).c_str());
      continue;
    }
    if (same) {
      ++t.agree;
      continue;
    }
    t.failures.push_back(std::string(name(format)) + " " + show(args) + "output " + std::to_string(i) + ": reference " +
                         to_hex(a) + ", cross-check " + to_hex(b));
  }
}

class CrossCheckSpec : public ::testing::TestWithParam<std::string> {};

TEST_P(CrossCheckSpec, AgreesWithTheReference) {
  const SpecSet& set = specs();
  const FunctionSpec* fn = set.find(GetParam());
  ASSERT_NE(fn, nullptr);
  constexpr int kCasesPerFormat = 300;
  auto start = std::chrono::steady_clock::now();
  Tally all;
  std::ostringstream line;
  line << "[crosscheck] " << fn->name << ":";
  for (Format format : kAllFormats) {
    Tally t;
    std::uint64_t seed = 0xcbf29ce484222325ULL;  // FNV-1a of the name and the format: the same on every platform
    for (char c : fn->name + "/" + std::string(name(format)))
      seed = (seed ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    Draw d(format, seed);
    bool elementwise = fn->elementwise();
    const Reference reference(set);
    for (int c = 0; c < kCasesPerFormat; ++c) {
      Arguments args;
      Outcome outcome;
      // Inputs that the spec refuses (its `requires`, a length that is not a multiple of a
      // group size...) are drawn again, a few times; the refusals themselves are compared too.
      for (int attempt = 0; attempt < 8; ++attempt) {
        args = Arguments{};
        // One case in ten is a batch (several elements or rows); row lengths run from 1 to 10.
        bool batched = d.chance(0.1);
        std::size_t rows = batched ? 2 + d.below(3) : 0;
        std::size_t length = 1 + d.below(10);
        for (const auto& in : fn->inputs) {
          if (in.optional && d.chance(0.5)) continue;
          // An elementwise batch is a tensor of `length` elements; a row batch has `rows` rows.
          args.inputs[in.name] = draw_input(d, *fn, in, length, elementwise ? (batched ? length : 0) : rows);
        }
        draw_params(d, *fn, batched, elementwise && batched ? length : 0, args);
        outcome = run_reference(reference, *fn, format, args);
        if (outcome.rejected.empty()) break;
      }
      compare(set, *fn, format, args, outcome, t);
    }
    line << "  " << name(format) << " " << t.agree << "/" << t.outputs << " agree (" << t.finite
         << " finite non-zero), " << t.boundary << " near boundary";
    if (t.undecided)
      line << ", " << t.undecided << " undecided by the reference (" << t.undecided_sure << " sure here)";
    if (t.rejected) line << ", " << t.rejected << " rejected";
    all.cases += t.cases;
    all.outputs += t.outputs;
    all.agree += t.agree;
    all.boundary += t.boundary;
    all.boundary_differ += t.boundary_differ;
    all.failures.insert(all.failures.end(), t.failures.begin(), t.failures.end());
    all.undecided_examples.insert(all.undecided_examples.end(), t.undecided_examples.begin(),
                                  t.undecided_examples.end());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  line << "  (" << all.cases << " cases, " << all.boundary_differ << " boundary cases differ, " << seconds << " s)";
  std::printf("%s\n", line.str().c_str());
  for (std::size_t i = 0; i < all.undecided_examples.size() && i < 3; ++i)
    std::printf("  undecided by the reference: %s\n", all.undecided_examples[i].c_str());
  for (std::size_t i = 0; i < all.failures.size() && i < 12; ++i) ADD_FAILURE() << fn->name << " " << all.failures[i];
  EXPECT_EQ(all.failures.size(), 0u) << fn->name << ": outputs that disagree without being near a boundary";
  EXPECT_LE(all.boundary * 100, all.outputs) << fn->name << ": more than 1% of outputs near a rounding boundary";
  EXPECT_GE(all.cases, 4 * kCasesPerFormat);
}

std::vector<std::string> function_names() {
  std::vector<std::string> names;
  for (const auto& fn : specs().functions()) names.push_back(fn.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(CrossCheck, CrossCheckSpec, ::testing::ValuesIn(function_names()),
                         [](const auto& info) { return info.param; });

// The cross-check's own arithmetic at points whose values are known exactly or by hand.
TEST(CrossCheck, ExactAndSpecialPoints) {
  const SpecSet& set = specs();
  auto eval = [&](const char* fn, Format f, const char* input, const std::string& text) {
    Arguments args;
    const FunctionSpec* spec = set.find(fn);
    EXPECT_NE(spec, nullptr) << fn;
    args.inputs[input] = parse_tensor(text, f, InputType::real);
    if (spec->param("reduction")) args.params["reduction"] = "none";
    CrossCheckResult r = cross_check(set, *spec, f, args);
    std::vector<std::string> out;
    for (const auto& v : r.values) out.push_back(to_hex(v));
    return out;
  };
  using V = std::vector<std::string>;
  if (set.find("sigmoid")) {
    EXPECT_EQ(eval("sigmoid", Format::binary32, "x", "0"), V{"0x1p-1"});
    EXPECT_EQ(eval("sigmoid", Format::binary32, "x", "-100"), V{"0x1.bp-145"});  // 3.8e-44, subnormal
    EXPECT_EQ(eval("sigmoid", Format::binary64, "x", "-inf"), V{"0x0p+0"});
    EXPECT_EQ(eval("sigmoid", Format::binary64, "x", "-1e308"), V{"0x0p+0"});  // underflow, positive
    EXPECT_EQ(eval("sigmoid", Format::binary16, "x", "nan"), V{"nan"});
  }
  if (set.find("tanh")) {
    EXPECT_EQ(eval("tanh", Format::binary64, "x", "-inf"), V{"-0x1p+0"});
    EXPECT_EQ(eval("tanh", Format::binary64, "x", "-0"), V{"0x0p+0"});  // an exact zero is +0
  }
  if (set.find("relu")) {
    EXPECT_EQ(eval("relu", Format::bfloat16, "x", "-0"), V{"0x0p+0"});
  }
  if (set.find("softmax")) {
    EXPECT_EQ(eval("softmax", Format::binary32, "z", "0,-inf"), (V{"0x1p+0", "0x0p+0"}));
    EXPECT_EQ(eval("softmax", Format::binary32, "z", "-inf,-inf"), (V{"nan", "nan"}));
  }
  if (set.find("logsumexp")) {
    EXPECT_EQ(eval("logsumexp", Format::binary64, "z", "-inf,-inf"), V{"-inf"});
  }
  // Values that sit a tiny term away from a midpoint of binary64, decided by the double word:
  // silu(2^-1074) = 2^-1075 (1 + 2^-1076 + ...) rounds up; hardswish(-2^-1074) =
  // -2^-1075 (1 - 2^-1074 / 3) rounds to -0; log_softmax's largest entry, -log1p(e^-3000),
  // underflows to -0.
  if (set.find("silu")) {
    EXPECT_EQ(eval("silu", Format::binary64, "x", "0x1p-1074"), V{"0x1p-1074"});
  }
  if (set.find("hardswish")) {
    EXPECT_EQ(eval("hardswish", Format::binary64, "x", "-0x1p-1074"), V{"-0x0p+0"});
  }
  if (set.find("log_softmax")) {
    EXPECT_EQ(eval("log_softmax", Format::binary64, "z", "0,-3000"), (V{"-0x0p+0", "-0x1.77p+11"}));
  }
}

// Beyond cpp_bin_float's exponent range (and MPFR's): a huge value still rounds to infinity,
// and a value of unknown magnitude is flagged rather than guessed.
TEST(CrossCheck, BeyondItsExponentRange) {
  const SpecSet& set = specs();
  const FunctionSpec* fn = set.find("exponential_loss");
  if (!fn) GTEST_SKIP() << "no exponential_loss spec";
  Arguments args;
  args.inputs["s"] = parse_tensor("-1e19", Format::binary64, InputType::real);  // exp(1e19) = 2^(1.4e19)
  args.inputs["y"] = parse_tensor("1", Format::binary64, InputType::real);
  args.params["reduction"] = "mean";
  CrossCheckResult r = cross_check(set, *fn, Format::binary64, args);
  ASSERT_EQ(r.values.size(), 1u);
  EXPECT_EQ(to_hex(r.values[0]), "inf");
  EXPECT_FALSE(r.near_boundary[0]);
}

// Where the point evaluation cannot tell, it says so rather than guess: mape with the exact
// decimal scale 0.1, which no binary number holds, is 0.1 * (20 + 5/64) / 2 = 1 + 2^-8, exactly
// a bfloat16 midpoint; the point evaluation knows it only to +-2^-250 (the reference, an
// interval evaluation, cannot decide it either and says so).
TEST(CrossCheck, NearBoundaryWhenItCannotTell) {
  const SpecSet& set = specs();
  const FunctionSpec* fn = set.find("mape");
  Arguments args;
  args.inputs["y"] = parse_tensor("1,1", Format::bfloat16, InputType::real);
  args.inputs["yhat"] = parse_tensor("-19,0.921875", Format::bfloat16, InputType::real);
  args.params["scale"] = "0.1";
  CrossCheckResult r = cross_check(set, *fn, Format::bfloat16, args);
  ASSERT_EQ(r.near_boundary.size(), 1u);
  EXPECT_TRUE(r.near_boundary[0]);
}

// Bad input is refused with EvalError, as by the reference.
TEST(CrossCheck, RejectsBadInput) {
  const SpecSet& set = specs();
  const FunctionSpec* fn = set.find("softmax");
  if (!fn) GTEST_SKIP() << "no softmax spec";
  Arguments args;
  args.inputs["z"] = parse_tensor("1", Format::binary64, InputType::real);  // a scalar, not a vector
  EXPECT_THROW(cross_check(set, *fn, Format::binary64, args), EvalError);
  args.inputs["z"] = parse_tensor("1,2", Format::binary64, InputType::real);
  args.params["nonsense"] = "1";
  EXPECT_THROW(cross_check(set, *fn, Format::binary64, args), EvalError);
}

// An exact value on a midpoint rounds to even and is not flagged.
TEST(CrossCheck, ExactMidpointsAreDecided) {
  const SpecSet& set = specs();
  const FunctionSpec* mse = set.find("mse");
  if (!mse) GTEST_SKIP() << "no mse spec";
  Arguments args;
  // (1 + 2^-4)^2 = 1 + 2^-3 + 2^-8: in bfloat16 (8 bits, ulp 2^-7 in [1, 2)) exactly halfway
  // between 1 + 2^-3 and 1 + 2^-3 + 2^-7; ties to even give 1 + 2^-3.
  args.inputs["y"] = parse_tensor("1.0625", Format::bfloat16, InputType::real);
  args.inputs["yhat"] = parse_tensor("0", Format::bfloat16, InputType::real);
  args.params["reduction"] = "none";
  CrossCheckResult r = cross_check(set, *mse, Format::bfloat16, args);
  ASSERT_EQ(r.values.size(), 1u);
  EXPECT_EQ(to_hex(r.values[0]), "0x1.2p+0");
  EXPECT_FALSE(r.near_boundary[0]);
  EXPECT_EQ(Reference(set).evaluate(*mse, Format::bfloat16, args).values.at(0).value, r.values[0]);
}

}  // namespace
}  // namespace nnconform::ref
