// Input families: determinism, validity of every generated input, the regime thresholds, and
// the presence of the extremes the issue asks for.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "nnconform/ref/families.hpp"

namespace nnconform::ref {
namespace {

const SpecSet& specs() {
  static const SpecSet s = SpecSet::load(NNCONFORM_SPEC_DIR);
  return s;
}

const FunctionSpec& fn(const char* name) {
  const FunctionSpec* f = specs().find(name);
  if (!f) throw std::runtime_error(std::string("no spec for ") + name);
  return *f;
}

std::string key(const TestCase& c) {
  std::string s = c.family + "|" + std::to_string(c.period);
  for (const auto& [k, t] : c.args.inputs) {
    s += "|" + k + ":";
    for (auto d : t.shape) s += std::to_string(d) + "x";
    for (const auto& v : t.values) s += std::to_string(v.bits) + ",";
    for (long i : t.indices) s += std::to_string(i) + ",";
  }
  for (const auto& [k, v] : c.args.params) s += "|" + k + "=" + v;
  return s;
}

bool has_value(const std::vector<TestCase>& cases, const std::string& input, const FloatBits& v,
               const std::string& family = "") {
  for (const auto& c : cases) {
    if (!family.empty() && c.family != family) continue;
    auto it = c.args.inputs.find(input);
    if (it == c.args.inputs.end()) continue;
    if (std::find(it->second.values.begin(), it->second.values.end(), v) != it->second.values.end()) return true;
  }
  return false;
}

TEST(SplitMix64, MatchesTheReferenceSequence) {
  // splitmix64 with state 0 (Vigna's reference code): first outputs.
  SplitMix64 r(0);
  EXPECT_EQ(r.next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(r.next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(r.next(), 0x06c45d188009454fULL);
  SplitMix64 a(42), b(42);
  for (int i = 0; i < 1000; ++i) {
    std::uint64_t x = a.below(7);
    EXPECT_LT(x, 7u);
    EXPECT_EQ(x, b.below(7));
  }
  EXPECT_EQ(stable_hash(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(stable_hash("a"), 0xaf63dc4c8601ec8cULL);  // FNV-1a 64 test vector
}

TEST(FormatValues, OrdinalsWalkTheFiniteValues) {
  EXPECT_EQ(max_ordinal(Format::binary16), 0x7bff);
  EXPECT_EQ(max_ordinal(Format::bfloat16), 0x7f7f);
  EXPECT_EQ(max_ordinal(Format::binary32), 0x7f7fffff);
  EXPECT_EQ(max_finite(Format::binary16).bits, 0x7bffu);
  EXPECT_EQ(max_finite(Format::binary16, true).bits, 0xfbffu);
  EXPECT_EQ(min_normal(Format::binary32).bits, 0x00800000u);
  EXPECT_EQ(max_subnormal(Format::binary32).bits, 0x007fffffu);
  EXPECT_EQ(min_subnormal(Format::binary64, true).to_double(), -4.9406564584124654e-324);
  for (Format f : kAllFormats) {
    std::int64_t m = max_ordinal(f);
    for (std::int64_t k : {-m, -m + 1, std::int64_t{-1}, std::int64_t{0}, std::int64_t{1}, m - 1, m}) {
      FloatBits v = from_ordinal(f, k);
      EXPECT_EQ(ordinal(v), k);
      EXPECT_FALSE(v.is_inf() || v.is_nan());
    }
    EXPECT_LT(from_ordinal(f, -1).to_double(), 0);
    EXPECT_EQ(ordinal(FloatBits::zero(f, true)), 0);
  }
}

TEST(Regimes, Classify) {
  auto b = [](double d) { return FloatBits::from_double(d); };
  EXPECT_EQ(classify_regime(b(2), b(2)), Regime::identity);
  EXPECT_EQ(classify_regime(b(2), b(1)), Regime::plus_one);
  EXPECT_EQ(classify_regime(b(2), b(-1)), Regime::minus_one);
  EXPECT_EQ(classify_regime(b(2), b(-0.0)), Regime::neg_zero);
  EXPECT_EQ(classify_regime(b(2), b(5e-324)), Regime::pos_subnormal);
  EXPECT_EQ(classify_regime(b(2), b(INFINITY)), Regime::pos_inf);
  EXPECT_EQ(classify_regime(b(2), FloatBits::quiet_nan(Format::binary64)), Regime::nan);
  EXPECT_EQ(classify_regime(b(2), b(3)), Regime::pos_normal);
}

TEST(Thresholds, SigmoidBinary32) {
  Reference ref(specs());
  auto ts = find_transitions(ref, fn("sigmoid"), Format::binary32);
  // Where sigmoid(x) = e^x / (1 + e^x) stops rounding to 0, leaves the subnormals, and rounds to 1.
  auto find = [&](Regime before, Regime after) -> const Transition* {
    for (const auto& t : ts)
      if (t.before == before && t.after == after) return &t;
    return nullptr;
  };
  const Transition* zero = find(Regime::pos_zero, Regime::pos_subnormal);
  const Transition* sub = find(Regime::pos_subnormal, Regime::pos_normal);
  const Transition* one = find(Regime::pos_normal, Regime::plus_one);
  ASSERT_TRUE(zero && sub && one);
  EXPECT_NEAR(zero->first_after.to_double(), -103.97208, 1e-4);
  EXPECT_NEAR(sub->first_after.to_double(), -87.33654, 1e-4);
  EXPECT_NEAR(one->first_after.to_double(), 17.32868, 1e-4);
  for (const Transition* t : {zero, sub, one}) {
    EXPECT_EQ(ordinal(t->first_after) - ordinal(t->last_before), 1);  // adjacent values
    for (const FloatBits& x : {t->last_before, t->first_after}) {
      Arguments a;
      a.inputs["x"].values = {x};
      Regime r = classify_regime(x, ref.evaluate(fn("sigmoid"), Format::binary32, a).values[0].value);
      EXPECT_EQ(r, x == t->last_before ? t->before : t->after);
    }
  }
}

TEST(Thresholds, TanhRoundsToOneAndToX) {
  Reference ref(specs());
  for (Format f : kAllFormats) {
    auto ts = find_transitions(ref, fn("tanh"), f);
    bool to_one = false, to_x = false;
    for (const auto& t : ts) {
      to_one |= t.before == Regime::pos_normal && t.after == Regime::plus_one;
      to_x |= t.after == Regime::identity;
    }
    EXPECT_TRUE(to_one) << name(f);
    EXPECT_TRUE(to_x) << name(f);
  }
}

TEST(Families, DeterministicAndValid) {
  Reference ref(specs());
  for (const char* name_ : {"sigmoid", "softmax", "binary_cross_entropy", "kl_divergence", "entropy", "mse"}) {
    const FunctionSpec& f = fn(name_);
    for (Format format : kAllFormats) {
      auto a = generate_cases(ref, f, format);
      auto b = generate_cases(ref, f, format);
      ASSERT_EQ(a.size(), b.size()) << name_;
      std::set<std::string> keys;
      for (std::size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(key(a[i]), key(b[i])) << name_ << " case " << i;
        std::string k = key(a[i]);
        EXPECT_TRUE(keys.insert(k.substr(k.find('|'))).second) << "duplicate case in " << name_;
      }
      // A sane number of cases, from every family the spec names (exhaustive16 aside).
      EXPECT_GE(a.size(), 100u) << name_ << " " << name(format);
      EXPECT_LE(a.size(), 5000u) << name_ << " " << name(format);
      std::set<std::string> families;
      for (const auto& c : a) families.insert(c.family);
      for (const auto& fam : f.input_families)
        if (fam != "exhaustive16" && fam != "thresholds") {
          EXPECT_TRUE(families.count(fam)) << name_ << " " << fam;
        }
      // Inputs in the format, in their domains, NaN only where allowed, indices in range.
      for (const auto& c : a) {
        for (const auto& in : f.inputs) {
          auto it = c.args.inputs.find(in.name);
          if (it == c.args.inputs.end()) {
            EXPECT_TRUE(in.optional) << name_ << ": " << in.name << " missing";
            continue;
          }
          for (const auto& v : it->second.values) {
            EXPECT_EQ(v.format, format);
            if (v.is_nan()) {
              EXPECT_TRUE(in.nan_allowed);
            } else if (in.domain) {
              EXPECT_TRUE(in.domain->contains(v.to_double())) << name_ << " " << to_hex(v);
            }
          }
          std::size_t width = 0;  // row length: of the vector inputs
          for (const auto& [k, t] : c.args.inputs)
            if (f.input(k)->shape == Shape::vector) width = t.shape.back();
          for (long i : it->second.indices) {
            EXPECT_GE(i, 0);
            EXPECT_LT(static_cast<std::size_t>(i), width) << name_;
          }
        }
      }
    }
  }
}

TEST(Families, TheExtremesAreThere) {
  Reference ref(specs());
  auto sig = generate_cases(ref, fn("sigmoid"), Format::binary32);
  for (const FloatBits& v : {FloatBits::zero(Format::binary32, false), FloatBits::zero(Format::binary32, true),
                             FloatBits::infinity(Format::binary32, false), FloatBits::infinity(Format::binary32, true),
                             FloatBits::quiet_nan(Format::binary32), min_subnormal(Format::binary32),
                             max_subnormal(Format::binary32, true), min_normal(Format::binary32),
                             max_finite(Format::binary32, true)})
    EXPECT_TRUE(has_value(sig, "x", v, "special")) << to_hex(v);
  EXPECT_TRUE(has_value(sig, "x", *parse_value("1e30", Format::binary32), "huge"));
  EXPECT_TRUE(has_value(sig, "x", *parse_value("-0x1.9fe368p+6", Format::binary32), "thresholds"));
  // Every binade of binary32, both signs (the log-uniform sweep; a binade with one value, the
  // smallest subnormal, is already among the special values).
  std::set<std::pair<int, bool>> binades;
  for (const auto& c : sig) {
    const FloatBits& v = c.args.inputs.at("x").values[0];
    if (v.is_zero() || v.is_inf() || v.is_nan()) continue;
    int e = 0;
    std::frexp(v.to_double(), &e);
    binades.insert({e, v.sign()});
  }
  EXPECT_EQ(binades.size(), 2u * (254 + 23));

  // Probabilities near 0 and 1: 1e-45 (the smallest binary32 subnormal), 1 - ulp, 0 and 1.
  auto bce = generate_cases(ref, fn("binary_cross_entropy"), Format::binary32);
  for (const char* p : {"1e-45", "0x1.fffffep-1", "0", "1"})
    EXPECT_TRUE(has_value(bce, "p", *parse_value(p, Format::binary32), "probabilities")) << p;
  auto bce64 = generate_cases(ref, fn("binary_cross_entropy"), Format::binary64);
  EXPECT_TRUE(has_value(bce64, "p", *parse_value("1e-300", Format::binary64), "probabilities"));

  // Logits: an all -inf row, a +inf logit, spreads up to 1e30, every SIMD-edge length and 32000.
  auto sm = generate_cases(ref, fn("softmax"), Format::binary32);
  bool all_masked = false, inf_logit = false, spread = false;
  std::set<std::size_t> lengths;
  for (const auto& c : sm) {
    const Tensor& z = c.args.inputs.at("z");
    if (c.family == "masks") {
      all_masked |= z.shape.size() == 1 && std::all_of(z.values.begin(), z.values.end(), [](const FloatBits& v) {
                      return v.is_inf() && v.sign();
                    });
      inf_logit |= std::any_of(z.values.begin(), z.values.end(), [](const FloatBits& v) { return v.is_inf() && !v.sign(); });
    }
    if (c.family == "large_logits")
      spread |= std::any_of(z.values.begin(), z.values.end(), [](const FloatBits& v) { return std::fabs(v.to_double()) > 1e29; });
    if (c.family == "lengths" && z.shape.size() == 1) lengths.insert(z.shape[0]);
  }
  EXPECT_TRUE(all_masked);
  EXPECT_TRUE(inf_logit);
  EXPECT_TRUE(spread);
  for (std::size_t n : {1, 2, 3, 7, 8, 9, 10, 15, 16, 17, 1000, 32000}) EXPECT_TRUE(lengths.count(n)) << n;
}

TEST(Families, ExhaustiveOnlyForUnaryFunctions) {
  EXPECT_TRUE(wants_exhaustive_tables(fn("sigmoid")));
  EXPECT_FALSE(wants_exhaustive_tables(fn("softmax")));
  FunctionSpec bad = fn("softmax");
  bad.input_families.push_back("exhaustive16");
  EXPECT_THROW(wants_exhaustive_tables(bad), EvalError);
}

TEST(Families, UnknownFamilyIsRefused) {
  // By the spec loader, with the file and line...
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("nnconform-families-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream out(dir / "f.yaml");
    out << "name: f\nfamily: activation\nsummary: x\ninputs:\n  x: {type: real, shape: scalar}\nformula: x\n"
           "input_families: [special, bogus]\ntolerance:\n  strict: {binary64: 1, binary32: 1, binary16: 1, bfloat16: 1}\n";
  }
  try {
    SpecSet::load(dir);
    ADD_FAILURE() << "a spec naming an unknown family was accepted";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find("f.yaml:7"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
  // ...and by the generator, should one get past it.
  Reference ref(specs());
  FunctionSpec f = fn("sigmoid");
  f.input_families = {"special", "bogus"};
  EXPECT_THROW(generate_cases(ref, f, Format::binary32), EvalError);
}

}  // namespace
}  // namespace nnconform::ref
