// The reference at hard points, against values computed independently (mpmath at 400 bits,
// rounded by exact rational arithmetic: data/hard_points.py prints the table below), plus
// exact ties, special values and every bad-input path of evaluation.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nnconform/ref/evaluator.hpp"

namespace nnconform::ref {
namespace {

const SpecSet& repo_specs() {
  static const SpecSet specs = SpecSet::load(NNCONFORM_SPEC_DIR);
  return specs;
}

// Binds "x=1 z=1,2;3,4 reduction=sum" the way the command line does.
Arguments bind(const FunctionSpec& fn, Format format, const std::string& text) {
  Arguments args;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    start = end + 1;
    auto eq = item.find('=');
    std::string name = item.substr(0, eq), value = item.substr(eq + 1);
    if (const InputSpec* in = fn.input(name)) args.inputs[name] = parse_tensor(value, format, in->type);
    else args.params[name] = value;
  }
  return args;
}

std::vector<std::string> eval_hex(const std::string& function, Format format, const std::string& args) {
  const FunctionSpec* fn = repo_specs().find(function);
  EXPECT_NE(fn, nullptr) << function;
  Reference reference(repo_specs());
  EvalResult r = reference.evaluate(*fn, format, bind(*fn, format, args));
  std::vector<std::string> out;
  for (const auto& v : r.values) out.push_back(to_hex(v.value));
  return out;
}

struct HardPoint {
  const char* function;
  Format format;
  const char* args;
  std::vector<std::string> expected;
};

const HardPoint kHardPoints[] = {
    {"sigmoid", Format::binary32, "x=-100", {"0x1.bp-145"}},
    {"sigmoid", Format::binary64, "x=-100", {"0x1.a8c1f14e2af5dp-145"}},
    {"sigmoid", Format::binary64, "x=-744.5", {"0x1p-1074"}},
    {"sigmoid", Format::binary64, "x=-746", {"0x0p+0"}},
    {"sigmoid", Format::binary16, "x=-10", {"0x1.7dp-15"}},
    {"sigmoid", Format::bfloat16, "x=-88", {"0x1.08p-127"}},
    {"sigmoid", Format::binary64, "x=37", {"0x1.fffffffffffffp-1"}},
    {"softplus", Format::binary64, "x=36.7", {"0x1.259999999999ap+5"}},
    {"softplus", Format::binary64, "x=37.5", {"0x1.2cp+5"}},
    {"softplus", Format::binary64, "x=-700", {"0x1.14f2b0fb9307fp-1010"}},
    {"softplus", Format::binary32, "x=16.6", {"0x1.09999ap+4"}},
    {"softplus", Format::binary32, "x=17.4", {"0x1.166666p+4"}},
    {"softplus", Format::binary32, "x=-103", {"0x1p-149"}},
    {"tanh", Format::binary32, "x=9.01", {"0x1.fffffep-1"}},
    {"tanh", Format::binary16, "x=0.0001", {"0x1.a38p-14"}},
    {"elu", Format::binary32, "x=-1e-30", {"-0x1.4484cp-100"}},
    {"logsumexp", Format::binary32, "z=1e4,1e4", {"0x1.38858cp+13"}},
    {"log_softmax", Format::binary64, "z=0,-1e4", {"-0x0p+0", "-0x1.388p+13"}},
    {"log_softmax", Format::binary32, "z=1e4,0,-1e4", {"-0x0p+0", "-0x1.388p+13", "-0x1.388p+14"}},
    {"softmax", Format::binary16, "z=1,2,3", {"0x1.70cp-4", "0x1.f54p-3", "0x1.548p-1"}},
    {"kl_divergence", Format::binary64, "p=0.5,0.5,0 q=0.25,0.75,0", {"0x1.269621134db92p-3"}},
    {"kl_divergence", Format::binary32, "p=0,1 q=0.5,0.5", {"0x1.62e43p-1"}},
    {"entropy", Format::binary64, "p=0.2,0.3,0.5", {"0x1.07975705a29a9p+0"}},
    {"cross_entropy_dist", Format::binary64, "p=1,0,0 q=0.7,0.1,0.2", {"0x1.6d3c324e13f5p-2"}},
    {"cross_entropy", Format::binary64, "z=1,2,3 t=0", {"0x1.342c6ea778b93p+1"}},
    {"binary_cross_entropy", Format::binary32, "y=0 p=1e-45", {"0x1p-149"}},
    {"binary_cross_entropy", Format::binary64, "y=0.25 p=0.75", {"0x1.1c948604ef92dp+0"}},
};

TEST(Reference, HardPointsMatchAnIndependentComputation) {
  for (const auto& h : kHardPoints) {
    EXPECT_EQ(eval_hex(h.function, h.format, h.args), h.expected)
        << h.function << " " << name(h.format) << " " << h.args;
  }
}

TEST(Reference, ExactTiesRoundToEven) {
  // sum of squares 1 + 2^-12 + 2^-12 = 1 + 2^-11: the binary16 midpoint between 1 and
  // 1 + 2^-10, exactly; ties to the even neighbour 1.
  EXPECT_EQ(eval_hex("mse", Format::binary16, "y=1,0.015625,0.015625 yhat=0,0,0 reduction=sum"),
            std::vector<std::string>{"0x1p+0"});
  // 1 + 2^-10 + 2^-11: midpoint between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
  EXPECT_EQ(eval_hex("mse", Format::binary16, "y=1,0.03125,0.015625,0.015625 yhat=0,0,0,0 reduction=sum"),
            std::vector<std::string>{"0x1.008p+0"});
  // The same sums are exact (no tie) in binary32.
  EXPECT_EQ(eval_hex("mse", Format::binary32, "y=1,0.015625,0.015625 yhat=0,0,0 reduction=sum"),
            std::vector<std::string>{"0x1.002p+0"});
}

TEST(Reference, ExactSpecialPoints) {
  EXPECT_EQ(eval_hex("sigmoid", Format::bfloat16, "x=0"), std::vector<std::string>{"0x1p-1"});
  EXPECT_EQ(eval_hex("softmax", Format::binary32, "z=3,3,3,3"),
            (std::vector<std::string>{"0x1p-2", "0x1p-2", "0x1p-2", "0x1p-2"}));
  EXPECT_EQ(eval_hex("entropy", Format::binary64, "p=0,1,0"), std::vector<std::string>{"0x0p+0"});
  EXPECT_EQ(eval_hex("kl_divergence", Format::binary64, "p=0.25,0.75 q=0.25,0.75"), std::vector<std::string>{"0x0p+0"});
  EXPECT_EQ(eval_hex("entropy", Format::binary32, "p=0.5,0.5 base=2"), std::vector<std::string>{"0x1p+0"});
  // The seed 002 example: q = (0.5, 0.2, 0.3) gives CE = -log 0.5 = log 2.
  EXPECT_EQ(eval_hex("cross_entropy_dist", Format::binary64, "p=1,0,0 q=0.5,0.2,0.3"),
            std::vector<std::string>{"0x1.62e42fefa39efp-1"});
}

TEST(Reference, InfinitiesNaNAndSignedZero) {
  using V = std::vector<std::string>;
  EXPECT_EQ(eval_hex("sigmoid", Format::binary32, "x=inf"), V{"0x1p+0"});
  EXPECT_EQ(eval_hex("sigmoid", Format::binary32, "x=-inf"), V{"0x0p+0"});
  EXPECT_EQ(eval_hex("sigmoid", Format::binary32, "x=nan"), V{"nan"});
  EXPECT_EQ(eval_hex("relu", Format::binary64, "x=nan"), V{"nan"});  // not MPFR's max(NaN, 0) = 0
  EXPECT_EQ(eval_hex("relu", Format::binary64, "x=-0"), V{"0x0p+0"});
  EXPECT_EQ(eval_hex("softplus", Format::binary64, "x=inf"), V{"inf"});
  EXPECT_EQ(eval_hex("softplus", Format::binary64, "x=-inf"), V{"0x0p+0"});
  EXPECT_EQ(eval_hex("softplus", Format::binary64, "x=1.7976931348623157e308"), V{"0x1.fffffffffffffp+1023"});
  EXPECT_EQ(eval_hex("tanh", Format::binary64, "x=-1.7976931348623157e308"), V{"-0x1p+0"});
  EXPECT_EQ(eval_hex("elu", Format::binary32, "x=-inf"), V{"-0x1p+0"});
  EXPECT_EQ(eval_hex("logsumexp", Format::binary32, "z=-inf,-inf"), V{"-inf"});
  EXPECT_EQ(eval_hex("softmax", Format::binary32, "z=-inf,-inf"), (V{"nan", "nan"}));
  EXPECT_EQ(eval_hex("softmax", Format::binary32, "z=0,-inf"), (V{"0x1p+0", "0x0p+0"}));
  EXPECT_EQ(eval_hex("kl_divergence", Format::binary32, "p=1,0 q=0,1"), V{"inf"});
  EXPECT_EQ(eval_hex("binary_cross_entropy", Format::binary64, "y=1 p=0"), V{"inf"});
  EXPECT_EQ(eval_hex("binary_cross_entropy", Format::binary64, "y=0 p=0"), V{"0x0p+0"});
  // The exact value is positive: overflow to +inf is IEEE rounding, not an MPFR overflow.
  EXPECT_EQ(eval_hex("mse", Format::binary16, "y=60000 yhat=-60000"), V{"inf"});
  // An underflowed result keeps the sign of the exact value.
  EXPECT_EQ(eval_hex("elu", Format::binary32, "x=-1e-45 alpha=1e-30"), V{"-0x0p+0"});
}

TEST(Reference, EveryFiniteExtremeOfEveryFormatIsDecided) {
  // Exponent-safe formulas: +-max and the smallest subnormal of each format never leave an
  // MPFR overflow in the final enclosure.
  for (Format f : kAllFormats) {
    for (const char* fn : {"sigmoid", "tanh", "softplus", "elu", "relu"}) {
      for (FloatBits x : {FloatBits{f, 1}, FloatBits::infinity(f, false), FloatBits::infinity(f, true)}) {
        if (x.is_inf()) x.bits -= 1;  // largest finite of each sign
        const FunctionSpec* spec = repo_specs().find(fn);
        Arguments args;
        args.inputs["x"] = Tensor{{}, {x}, {}};
        Reference reference(repo_specs());
        EXPECT_NO_THROW(reference.evaluate(*spec, f, args)) << fn << " " << to_hex(x);
      }
    }
  }
}

TEST(Reference, OffsetLocatesTheExactValue) {
  const FunctionSpec* fn = repo_specs().find("sigmoid");
  Reference reference(repo_specs());
  Arguments args;
  args.inputs["x"] = parse_tensor("-100", Format::binary32, InputType::real);
  EvalResult r = reference.evaluate(*fn, Format::binary32, args);
  // exact = 26.547349267333... * 2^-149 (mpmath): 0x1.bp-145 = 27 * 2^-149.
  EXPECT_NEAR(r.values[0].offset_ulps, -0.452650732666951, 1e-12);
  args.inputs["x"] = parse_tensor("0", Format::binary32, InputType::real);
  EXPECT_EQ(reference.evaluate(*fn, Format::binary32, args).values[0].offset_ulps, 0.0);
}

TEST(Reference, BatchesAndReductions) {
  using V = std::vector<std::string>;
  EXPECT_EQ(eval_hex("mse", Format::binary64, "y=1,2;3,4 yhat=0,0;0,0"), V{"0x1.ep+2"});  // 30/4
  EXPECT_EQ(eval_hex("mse", Format::binary64, "y=1,2 yhat=0,0 reduction=none"), (V{"0x1p+0", "0x1p+2"}));
  EXPECT_EQ(eval_hex("cross_entropy", Format::binary64, "z=0,0;0,0 t=0,1 reduction=sum"), V{"0x1.62e42fefa39efp+0"});
  EXPECT_EQ(eval_hex("softmax", Format::binary64, "z=0,0;0,0"), (V{"0x1p-1", "0x1p-1", "0x1p-1", "0x1p-1"}));
  // axis 0 normalizes columns.
  EXPECT_EQ(eval_hex("softmax", Format::binary64, "z=0,1;0,1 axis=0"), (V{"0x1p-1", "0x1p-1", "0x1p-1", "0x1p-1"}));
}

void expect_eval_error(const std::string& function, const std::string& args, const std::string& fragment) {
  const FunctionSpec* fn = repo_specs().find(function);
  ASSERT_NE(fn, nullptr);
  Reference reference(repo_specs());
  try {
    reference.evaluate(*fn, Format::binary64, bind(*fn, Format::binary64, args));
    ADD_FAILURE() << function << " " << args << ": no error";
  } catch (const EvalError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Reference, BadInputIsAnErrorNamingThePlace) {
  expect_eval_error("sigmoid", "", "missing input 'x'");
  expect_eval_error("sigmoid", "x=1 y=2", "unknown parameter 'y'");
  expect_eval_error("softplus", "x=1 gamma=2", "unknown parameter 'gamma'");
  expect_eval_error("softplus", "x=1 beta=-1", "outside its range");
  expect_eval_error("softplus", "x=1 beta=nan", "must not be NaN");
  expect_eval_error("cross_entropy", "z=1,2 t=2", "out of range");
  expect_eval_error("cross_entropy", "z=1,2 t=0 reduction=avg", "must be one of");
  expect_eval_error("softmax", "z=1", "must be a vector");
  expect_eval_error("binary_cross_entropy", "y=0.5 p=1.5", "outside its domain");
  expect_eval_error("mse", "y=1,2 yhat=1,2,3", "different shapes");
  expect_eval_error("kl_divergence", "p=0.5,0.5;0.5,0.5 q=0.5,0.5;0.5,0.5;0.5,0.5", "rows");
  EXPECT_THROW(parse_tensor("1,2;3", Format::binary64, InputType::real), EvalError);
  EXPECT_THROW(parse_tensor("1,x", Format::binary64, InputType::real), EvalError);
  EXPECT_THROW(parse_tensor("1.5", Format::binary64, InputType::index), EvalError);
}

TEST(Reference, UndecidableBelowTheCapIsAnErrorNotAGuess) {
  // (1 - 2^-80)^2 + 2^-54 + 2^-54 + 2^-80 = (1 + 2^-53) - 2^-80 + 2^-160 lies just below the
  // binary64 midpoint 1 + 2^-53. At 64 bits 1 - 2^-80 is inexact, and the enclosure reaches
  // both sides of the midpoint, so a 64-bit cap must fail naming the function and input; at
  // 128 bits everything is exact and it rounds down.
  const FunctionSpec* fn = repo_specs().find("mse");
  const std::string near_tie = "y=1,0x1p-27,0x1p-27,0x1p-40 yhat=0x1p-80,0,0,0 reduction=sum";
  EvalOptions low;
  low.start_precision = 64;
  low.max_precision = 64;
  Reference capped(repo_specs(), low);
  try {
    capped.evaluate(*fn, Format::binary64, bind(*fn, Format::binary64, near_tie));
    ADD_FAILURE() << "a 64-bit enclosure cannot decide this sum";
  } catch (const UndecidedError& e) {
    EXPECT_NE(std::string(e.what()).find("mse in binary64"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("64 bits"), std::string::npos) << e.what();
  }
  EXPECT_EQ(eval_hex("mse", Format::binary64, near_tie), std::vector<std::string>{"0x1p+0"});
}

// An end the enclosure excludes decides what a closed one could not: 1 + 2^-53 + 2^-200 at 64
// bits encloses as (1 + 2^-53, 1 + 2^-53 + 2^-63], which lies wholly above the midpoint.
TEST(Reference, AnExcludedEndDecidesATieFromOneSide) {
  const FunctionSpec* fn = repo_specs().find("mse");
  EvalOptions low;
  low.start_precision = 64;
  low.max_precision = 64;
  Reference capped(repo_specs(), low);
  auto above = capped.evaluate(*fn, Format::binary64,
                               bind(*fn, Format::binary64, "y=1,0x1p-27,0x1p-27,0x1p-100 yhat=0,0,0,0 reduction=sum"));
  EXPECT_EQ(to_hex(above.values.at(0).value), "0x1.0000000000001p+0");
  // Logits 2^99 + 2^46 apart, a binary64 midpoint: log_softmax of the smaller is minus that
  // midpoint minus a term far below MPFR's exponent range, so it rounds away from the even
  // neighbour -2^99, which only the excluded end proves.
  EXPECT_EQ(eval_hex("log_softmax", Format::binary64, "z=0x1p+99,-0x1p+46"),
            (std::vector<std::string>{"-0x0p+0", "-0x1.0000000000001p+99"}));
}

// The vector builtins of the gradient formulas: slice, repeat, groupfirst (through crelu's and
// maxout's gradients), and their bad arguments.
TEST(Reference, VectorBuiltinsOfGradientFormulas) {
  Reference reference(repo_specs());
  // The upstream gradient g is an input of the gradient only, not of the function.
  auto grad = [&](const std::string& fn_name, const std::string& args, const std::string& g) {
    const FunctionSpec* fn = repo_specs().find(fn_name);
    Arguments a = bind(*fn, Format::binary64, args);
    a.inputs["g"] = parse_tensor(g, Format::binary64, InputType::real);
    std::vector<std::string> out;
    for (const auto& v : reference.evaluate_gradient(*fn, "x", Format::binary64, a).values)
      out.push_back(to_hex(v.value));
    return out;
  };
  using V = std::vector<std::string>;
  // crelu: the first half of g where x > 0, minus the second half where x < 0, 0 at 0.
  EXPECT_EQ(grad("crelu", "x=1,-2,0", "1,2,3,4,5,6"), (V{"0x1p+0", "-0x1.4p+2", "0x0p+0"}));
  // maxout: each group's g goes to its first maximum (the tie 5, 5 to the first).
  EXPECT_EQ(grad("maxout", "x=1,5,5,2,3,0 k=3", "10,20"), (V{"0x0p+0", "0x1.4p+3", "0x0p+0", "0x0p+0", "0x1.4p+4", "0x0p+0"}));
  // A NaN in a group makes the whole group's gradient NaN (its maximum is NaN).
  EXPECT_EQ(grad("maxout", "x=1,nan,2,3 k=2", "1,1"), (V{"nan", "nan", "0x0p+0", "0x1p+0"}));
  // The upstream gradient of crelu must have 2n entries.
  EXPECT_THROW(grad("crelu", "x=1,2", "1,2,3"), EvalError);
}

}  // namespace
}  // namespace nnconform::ref
