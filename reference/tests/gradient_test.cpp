// Gradients: every gradient formula of every spec is proved against interval automatic
// differentiation of its forward formula on seeded inputs; a wrong formula is refuted;
// evaluate_gradient gives correctly rounded values (checked against mpmath) and scales the
// gradient of a reduced loss.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "nnconform/ref/evaluator.hpp"

namespace nnconform::ref {
namespace {

const SpecSet& repo_specs() {
  static const SpecSet specs = SpecSet::load(NNCONFORM_SPEC_DIR);
  return specs;
}

// A small deterministic generator (splitmix64), seeded by the function's name (FNV-1a).
struct Rng {
  std::uint64_t state;
  explicit Rng(const std::string& seed) : state(1469598103934665603ULL) {
    for (char c : seed) state = (state ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  }
  std::uint64_t below(std::uint64_t n) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (z ^ (z >> 31)) % n;
  }
};

// Seeded values of moderate size (where the functions are differentiable and finite), and
// probabilities for [0, 1] domains and p/q/y inputs of losses.
double draw(Rng& rng, bool probability) {
  if (probability) return static_cast<double>(1 + rng.below(999)) / 1000.0;
  return (static_cast<double>(rng.below(4001)) - 2000.0) / 100.0;
}

TEST(Gradients, EveryFormulaAgreesWithTheDerivativeOfItsForwardFormula) {
  Reference reference(repo_specs());
  std::size_t functions = 0;
  for (const auto& fn : repo_specs().functions()) {
    if (fn.gradients.empty()) continue;
    ++functions;
    Rng rng(fn.name);
    for (const auto& [wrt, formula] : fn.gradients) {
      std::size_t checked = 0;
      for (int trial = 0; trial < 40; ++trial) {
        std::size_t length = 1 + rng.below(6);
        Arguments args;
        for (const auto& in : fn.inputs) {
          if (in.optional) continue;
          Tensor t;
          if (in.type == InputType::index) {
            t.indices.push_back(static_cast<long>(rng.below(length)));
            args.inputs[in.name] = t;
            continue;
          }
          bool probability = (in.domain && in.domain->lo >= 0 && in.domain->hi <= 1) ||
                             (fn.family != "activation" && (in.name == "p" || in.name == "q" || in.name == "y"));
          // Labels that a requirement restricts ({-1, +1} or {0, 1} for the margin losses)
          // are drawn from those values; the others are refused as invalid input below.
          bool label = false;
          for (const auto& r : fn.requires_)
            label = label || r.check.text.find(in.name + " == -1") != std::string::npos;
          std::size_t n = in.shape == Shape::vector ? length : 1;
          if (in.shape == Shape::vector) t.shape = {n};
          for (std::size_t i = 0; i < n; ++i) {
            double v = label ? static_cast<double>(rng.below(3)) - 1.0 : draw(rng, probability);
            t.values.push_back(FloatBits::from_double(v));
          }
          args.inputs[in.name] = t;
        }
        // Required parameters (srelu's thresholds) come from the spec's first hand-picked case.
        for (const auto& ps : fn.params)
          if (!ps.default_value && !fn.cases.empty() && fn.cases[0].values.count(ps.name))
            args.params[ps.name] = fn.cases[0].values.at(ps.name);
        Reference::GradientCheck c;
        try {
          c = reference.check_gradient(fn, wrt, args, trial + 1);
        } catch (const EvalError&) {
          continue;  // not valid input for this function (labels, requirements)
        }
        if (!c.checked) continue;
        ++checked;
        EXPECT_TRUE(c.agrees) << fn.name << " d/d" << wrt << " at trial " << trial << ": formula " << c.formula
                              << ", derivative of the forward formula " << c.derivative;
      }
      EXPECT_GT(checked, 10u) << fn.name << " d/d" << wrt << ": too few points were checked";
    }
  }
  EXPECT_GT(functions, 5u);
}

// A missing required parameter is bad input, named, not a crash.
TEST(Gradients, AMissingRequiredParameterIsAnError) {
  Reference reference(repo_specs());
  const FunctionSpec* fn = repo_specs().find("srelu");
  ASSERT_NE(fn, nullptr);
  Arguments args;
  args.inputs["x"] = Tensor{{}, {FloatBits::from_double(0.75)}, {}};
  try {
    reference.check_gradient(*fn, "x", args);
    ADD_FAILURE() << "srelu without its thresholds must be refused";
  } catch (const EvalError& e) {
    EXPECT_NE(std::string(e.what()).find("missing required parameter 't_r'"), std::string::npos) << e.what();
  }
}

TEST(Gradients, AWrongFormulaIsRefuted) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("nnconform-grad-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "activations");
  // The derivative of x e^x is (1 + x) e^x; the spec claims x e^x.
  std::ofstream(dir / "activations/xexp.yaml")
      << "name: xexp\nfamily: activation\ninputs:\n  x: {}\nformula: x * exp(x)\ngradients:\n  x: x * exp(x)\n";
  std::ofstream(dir / "activations/good.yaml")
      << "name: good\nfamily: activation\ninputs:\n  x: {}\nformula: x * exp(x)\ngradients:\n  x: (1 + x) * exp(x)\n";
  SpecSet specs = SpecSet::load(dir);
  Reference reference(specs);
  Arguments args;
  args.inputs["x"] = Tensor{{}, {FloatBits::from_double(0.75)}, {}};
  auto bad = reference.check_gradient(*specs.find("xexp"), "x", args);
  EXPECT_TRUE(bad.checked);
  EXPECT_FALSE(bad.agrees) << bad.formula << " vs " << bad.derivative;
  auto good = reference.check_gradient(*specs.find("good"), "x", args);
  EXPECT_TRUE(good.checked && good.agrees) << good.formula << " vs " << good.derivative;
  fs::remove_all(dir);
}

TEST(Gradients, KinksAreNotChecked) {
  Reference reference(repo_specs());
  Arguments args;
  args.inputs["x"] = Tensor{{}, {FloatBits::from_double(0.0)}, {}};
  EXPECT_FALSE(reference.check_gradient(*repo_specs().find("relu"), "x", args).checked);
  args.inputs["x"] = Tensor{{}, {FloatBits::from_double(0.5)}, {}};
  EXPECT_TRUE(reference.check_gradient(*repo_specs().find("relu"), "x", args).checked);
}

std::vector<std::string> grad_hex(const std::string& function, const std::string& wrt, Format format,
                                  const Arguments& args) {
  Reference reference(repo_specs());
  std::vector<std::string> out;
  for (const auto& v : reference.evaluate_gradient(*repo_specs().find(function), wrt, format, args).values)
    out.push_back(to_hex(v.value));
  return out;
}

TEST(Gradients, CorrectlyRoundedValues) {
  using V = std::vector<std::string>;
  Arguments a;
  a.inputs["x"] = parse_tensor("-100", Format::binary32, InputType::real);
  // sigma'(-100) = e^-100 / (1 + e^-100)^2, a binary32 subnormal (mpmath: 3.7200759760208e-44).
  EXPECT_EQ(grad_hex("sigmoid", "x", Format::binary32, a), V{"0x1.bp-145"});
  Arguments ce;
  ce.inputs["z"] = parse_tensor("1,2,3", Format::binary64, InputType::real);
  ce.inputs["t"] = parse_tensor("0", Format::binary64, InputType::index);
  // softmax(z) - onehot(0): mpmath at 300 bits, e/(e+e^2+e^3) - 1 = -0.9099694268296195..., 0.2447284710547976...,
  // 0.6652409557748218...
  EXPECT_EQ(grad_hex("cross_entropy", "z", Format::binary64, ce),
            (V{"-0x1.d1e783412fa85p-1", "0x1.f534335ca4bcfp-3", "0x1.549a766a06791p-1"}));
  Arguments m;
  m.inputs["y"] = parse_tensor("1,2,3", Format::binary64, InputType::real);
  m.inputs["yhat"] = parse_tensor("0,0,0", Format::binary64, InputType::real);
  // d mean((y - yhat)^2) / dy = 2 (y - yhat) / 3, rounded once.
  EXPECT_EQ(grad_hex("mse", "y", Format::binary64, m), (V{"0x1.5555555555555p-1", "0x1.5555555555555p+0", "0x1p+1"}));
  m.params["reduction"] = "sum";
  EXPECT_EQ(grad_hex("mse", "y", Format::binary64, m), (V{"0x1p+1", "0x1p+2", "0x1.8p+2"}));
  EXPECT_THROW(grad_hex("mse", "w", Format::binary64, m), EvalError);
}

}  // namespace
}  // namespace nnconform::ref
