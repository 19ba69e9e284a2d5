#include "nnconform/ref/families.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <stdexcept>

#include "nnconform/ref/mpfr_value.hpp"

namespace nnconform::ref {

std::uint64_t SplitMix64::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t SplitMix64::below(std::uint64_t n) {
  if (n == 0) throw std::logic_error("SplitMix64::below(0)");
  // Reject the low values that would make some residues more likely than others.
  std::uint64_t threshold = (0 - n) % n;
  for (;;) {
    std::uint64_t r = next();
    if (r >= threshold) return r % n;
  }
}

std::uint64_t stable_hash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool is_unary_like(const FunctionSpec& fn) {
  int required = 0;
  bool real_scalar = true;
  for (const auto& in : fn.inputs) {
    if (in.optional) continue;
    ++required;
    real_scalar = in.type == InputType::real && in.shape == Shape::scalar;
  }
  return required == 1 && real_scalar && !fn.reduction;
}

std::map<std::string, std::string> required_param_values(const FunctionSpec& fn) {
  std::map<std::string, std::string> values;
  std::vector<std::string> required;
  for (const auto& p : fn.params)
    if (!p.default_value) required.push_back(p.name);
  if (required.empty()) return values;
  for (const auto& c : fn.cases) {
    bool all = std::all_of(required.begin(), required.end(), [&](const std::string& r) { return c.values.count(r) > 0; });
    if (!all) continue;
    for (const auto& r : required) values[r] = c.values.at(r);
    return values;
  }
  throw EvalError(fn.file.string() + ": " + fn.name + ": parameter '" + required[0] +
                  "' has no default; the input families take the values of required parameters from the first "
                  "hand-picked case that gives them all, and there is none");
}

// --- Values by bit pattern. ---

namespace {

std::uint64_t sign_bit(Format f) { return std::uint64_t{1} << (info(f).storage_bits - 1); }
FloatBits make(Format f, bool negative, std::uint64_t magnitude) {
  return {f, magnitude | (negative ? sign_bit(f) : 0)};
}

}  // namespace

FloatBits min_subnormal(Format f, bool negative) { return make(f, negative, 1); }
FloatBits max_subnormal(Format f, bool negative) {
  return make(f, negative, (std::uint64_t{1} << (info(f).precision - 1)) - 1);
}
FloatBits min_normal(Format f, bool negative) {
  return make(f, negative, std::uint64_t{1} << (info(f).precision - 1));
}
FloatBits max_finite(Format f, bool negative) {
  return make(f, negative, static_cast<std::uint64_t>(max_ordinal(f)));
}
std::int64_t max_ordinal(Format f) {
  const FormatInfo& i = info(f);
  return static_cast<std::int64_t>((((std::uint64_t{1} << i.exponent_bits) - 1) << (i.precision - 1)) - 1);
}
std::int64_t ordinal(const FloatBits& v) {
  auto magnitude = static_cast<std::int64_t>(v.bits & ~sign_bit(v.format));
  return v.sign() ? -magnitude : magnitude;
}
FloatBits from_ordinal(Format f, std::int64_t k) {
  return k >= 0 ? make(f, false, static_cast<std::uint64_t>(k)) : make(f, true, static_cast<std::uint64_t>(-k));
}

// --- Regimes. ---

std::string_view regime_name(Regime r) {
  switch (r) {
    case Regime::nan: return "nan";
    case Regime::neg_inf: return "-inf";
    case Regime::neg_normal: return "-normal";
    case Regime::neg_subnormal: return "-subnormal";
    case Regime::neg_zero: return "-0";
    case Regime::pos_zero: return "+0";
    case Regime::pos_subnormal: return "+subnormal";
    case Regime::pos_normal: return "+normal";
    case Regime::pos_inf: return "+inf";
    case Regime::minus_one: return "-1";
    case Regime::plus_one: return "+1";
    case Regime::identity: return "x";
    case Regime::invalid: return "invalid";
  }
  return "?";
}

Regime classify_regime(const FloatBits& input, const FloatBits& output) {
  if (output.is_nan()) return Regime::nan;
  bool neg = output.sign();
  if (output.is_inf()) return neg ? Regime::neg_inf : Regime::pos_inf;
  if (output == input) return Regime::identity;
  const FormatInfo& f = info(output.format);
  std::uint64_t one = static_cast<std::uint64_t>(f.bias) << (f.precision - 1);
  if ((output.bits & ~sign_bit(output.format)) == one) return neg ? Regime::minus_one : Regime::plus_one;
  if (output.is_zero()) return neg ? Regime::neg_zero : Regime::pos_zero;
  if (output.is_subnormal()) return neg ? Regime::neg_subnormal : Regime::pos_subnormal;
  return neg ? Regime::neg_normal : Regime::pos_normal;
}

std::vector<Transition> find_transitions(const Reference& reference, const FunctionSpec& fn, Format format,
                                         const std::map<std::string, std::string>& params,
                                         std::int64_t grid_points) {
  if (!is_unary_like(fn)) return {};
  const InputSpec* input = nullptr;
  for (const auto& in : fn.inputs)
    if (!in.optional) input = &in;
  const std::string& x = input->name;
  std::map<std::int64_t, Regime> memo;
  auto regime = [&](std::int64_t k) {
    auto it = memo.find(k);
    if (it != memo.end()) return it->second;
    FloatBits in = from_ordinal(format, k);
    Regime r = Regime::invalid;
    bool valid = !input->domain || input->domain->contains(in.to_double());
    if (valid) {
      Arguments args;
      args.inputs[x].values = {in};
      args.params = params;
      try {
        r = classify_regime(in, reference.evaluate(fn, format, args).values.at(0).value);
      } catch (const EvalError&) {
        r = Regime::invalid;  // refused by the spec (a requirement): its own regime
      }
    }
    memo.emplace(k, r);
    return r;
  };
  const std::int64_t m = max_ordinal(format);
  const __int128 span = static_cast<__int128>(m) * 2;  // ordinals -m .. m
  std::int64_t points = static_cast<std::int64_t>(std::min<__int128>(grid_points, span + 1));
  if (points < 2) points = 2;
  std::vector<std::int64_t> grid;
  for (std::int64_t i = 0; i < points; ++i)
    grid.push_back(static_cast<std::int64_t>(-static_cast<__int128>(m) + span * i / (points - 1)));

  std::vector<Transition> out;
  for (std::size_t i = 0; i + 1 < grid.size(); ++i) {
    // Several regimes may follow each other within one grid step (+0, +subnormal, +normal
    // within one binade of x): after each transition, go on from it to the step's end.
    std::int64_t start = grid[i];
    const std::int64_t end = grid[i + 1];
    while (regime(start) != regime(end)) {
      std::int64_t lo = start, hi = end;
      Regime a = regime(lo);
      while (hi - lo > 1) {
        std::int64_t mid = lo + (hi - lo) / 2;
        if (regime(mid) == a) lo = mid;
        else hi = mid;
      }
      out.push_back({from_ordinal(format, lo), from_ordinal(format, hi), a, regime(hi)});
      start = hi;
    }
  }
  return out;
}

namespace {

using Params = std::map<std::string, std::string>;

// Sets x (precision >= 64) to the integer v exactly, independent of the width of `long`.
void set_int64(mpfr_ptr x, std::int64_t v) {
  std::uint64_t magnitude = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  MpfrValue high(64);
  mpfr_set_ui_2exp(high, static_cast<unsigned long>(magnitude >> 32), 32, MPFR_RNDN);
  mpfr_add_ui(x, high, static_cast<unsigned long>(magnitude & 0xffffffffu), MPFR_RNDN);
  if (v < 0) mpfr_neg(x, x, MPFR_RNDN);
}

FloatBits decimal(Format f, const char* text) { return *parse_value(text, f); }

bool domain_is_probability(const InputSpec& in) {
  return in.domain && in.domain->lo >= 0 && in.domain->hi <= 1;
}

bool valid_value(const InputSpec& in, const FloatBits& v) {
  if (v.is_nan()) return in.nan_allowed;
  return !in.domain || in.domain->contains(v.to_double());
}

std::string tensor_key(const Tensor& t) {
  std::string s;
  for (auto d : t.shape) s += std::to_string(d) + "x";
  s += ":";
  for (const auto& v : t.values) s += std::to_string(v.bits) + ",";
  for (long i : t.indices) s += std::to_string(i) + ",";
  return s;
}

Tensor scalar(FloatBits v) {
  Tensor t;
  t.values = {v};
  return t;
}
Tensor index_scalar(long i) {
  Tensor t;
  t.indices = {i};
  return t;
}
Tensor vec(std::vector<FloatBits> v) {
  Tensor t;
  t.shape = {v.size()};
  t.values = std::move(v);
  return t;
}

// A row of a row function (vector inputs, scalar index and real inputs of one sample).
struct Row {
  std::map<std::string, std::vector<FloatBits>> vectors;
  std::map<std::string, long> indices;
  std::map<std::string, FloatBits> scalars;
};

class Generator {
 public:
  Generator(const Reference& reference, const FunctionSpec& fn, Format format, const GenerateOptions& options)
      : ref_(reference), fn_(fn), f_(format), opt_(options), rng_(0), base_params_(required_param_values(fn)) {
    for (const auto& in : fn.inputs) {
      if (in.shape == Shape::vector && in.type == InputType::index)
        throw EvalError(fn.name + ": vector index inputs are not supported by the input families");
      if (in.optional) {
        optional_inputs_.push_back(&in);
        continue;
      }
      required_inputs_.push_back(&in);
      if (in.shape == Shape::vector) vector_inputs_.push_back(&in);
      else if (in.type == InputType::index) index_inputs_.push_back(&in);
      else scalar_inputs_.push_back(&in);
    }
    if (is_unary_like(fn)) kind_ = Kind::unary;
    else if (vector_inputs_.empty() && index_inputs_.empty()) kind_ = Kind::elementwise;
    else kind_ = Kind::rows;
    probe_inputs();
  }

  std::vector<TestCase> run() {
    for (const auto& family : fn_.input_families) {
      begin(family);
      if (family == "special") special();
      else if (family == "thresholds") thresholds();
      else if (family == "huge") huge();
      else if (family == "log_uniform") log_uniform();
      else if (family == "random") random();
      else if (family == "large_logits") large_logits();
      else if (family == "masks") masks();
      else if (family == "probabilities") probabilities();
      else if (family == "lengths") lengths();
      else if (family == "exhaustive16") continue;  // tables, not cases
      else throw EvalError(fn_.file.string() + ": " + fn_.name + ": unknown input family '" + family + "'");
    }
    // Framework conventions that set parameters: their special values and thresholds.
    for (const auto& c : fn_.conventions) {
      Params p;
      for (const auto& [k, v] : c.params) {
        const ParamSpec* ps = fn_.param(k);
        if (ps && ps->default_value != v) p[k] = v;
      }
      if (p.empty()) continue;
      for (const auto& family : fn_.input_families) {
        if (family != "special" && family != "thresholds") continue;
        begin(family, p);
        if (family == "special") special();
        else thresholds();
      }
    }
    hand_picked();
    return std::move(out_);
  }

 private:
  enum class Kind { unary, elementwise, rows };

  const Reference& ref_;
  const FunctionSpec& fn_;
  Format f_;
  GenerateOptions opt_;
  SplitMix64 rng_;
  Kind kind_;
  Params base_params_;  // values of required parameters (from the first hand-picked case)
  std::vector<const InputSpec*> required_inputs_, optional_inputs_;
  std::vector<const InputSpec*> vector_inputs_, index_inputs_, scalar_inputs_;  // required ones
  std::set<std::string> probability_inputs_;  // domain within [0, 1], or refused outside it
  std::map<std::string, std::vector<FloatBits>> labels_;  // inputs that only take -1, 0 or 1
  std::string family_;
  Params family_params_;
  std::vector<TestCase> out_;
  std::set<std::string> seen_;

  void begin(const std::string& family, Params params = {}) {
    family_ = family;
    family_params_ = std::move(params);
    std::string key = fn_.name + "/" + std::string(name(f_)) + "/" + family;
    for (const auto& [k, v] : family_params_) key += "/" + k + "=" + v;
    rng_ = SplitMix64(opt_.seed ^ stable_hash(key));
  }

  // Adds a case if its inputs are valid and it is new. Returns whether it was added.
  bool add(Arguments args, std::size_t period = 0) {
    for (const auto& [k, v] : family_params_) args.params.emplace(k, v);
    for (const auto& [k, v] : base_params_) args.params.emplace(k, v);
    for (auto it = args.params.begin(); it != args.params.end();) {
      const ParamSpec* ps = fn_.param(it->first);
      if (ps && ps->default_value == it->second) it = args.params.erase(it);
      else ++it;
    }
    for (const auto& in : fn_.inputs) {
      auto it = args.inputs.find(in.name);
      if (it == args.inputs.end()) {
        if (in.optional) continue;
        throw std::logic_error("families: case without input " + in.name);
      }
      for (const auto& v : it->second.values)
        if (!valid_value(in, v)) return false;
    }
    std::string key;
    for (const auto& in : fn_.inputs)
      if (args.inputs.count(in.name)) key += in.name + "=" + tensor_key(args.inputs.at(in.name)) + ";";
    for (const auto& [k, v] : args.params) key += k + "=" + v + ";";
    if (!seen_.insert(key).second) return false;
    out_.push_back({family_, std::move(args), period});
    return true;
  }

  // --- Value pools. ---

  FloatBits one() const { return decimal(f_, "1"); }
  FloatBits below_one() const { return {f_, one().bits - 1}; }

  std::vector<FloatBits> specials() const {
    std::vector<FloatBits> v;
    for (bool neg : {false, true}) {
      v.push_back(FloatBits::zero(f_, neg));
      v.push_back(FloatBits::infinity(f_, neg));
      v.push_back(min_subnormal(f_, neg));
      v.push_back(max_subnormal(f_, neg));
      v.push_back(min_normal(f_, neg));
      v.push_back(max_finite(f_, neg));
      v.push_back(make(f_, neg, one().bits));
    }
    v.push_back(FloatBits::quiet_nan(f_));
    return v;
  }

  std::vector<FloatBits> huge_values() const {
    std::vector<FloatBits> v;
    std::uint64_t max_bits = max_finite(f_).bits;
    std::uint64_t binade = std::uint64_t{1} << (info(f_).precision - 1);
    for (bool neg : {false, true}) {
      for (const char* t : {"1e30", "1e38", "1e300"}) {
        FloatBits h = decimal(f_, t);
        if (!h.is_inf()) v.push_back(make(f_, neg, h.bits));
      }
      v.push_back(make(f_, neg, max_bits));
      v.push_back(make(f_, neg, max_bits - 1));
      v.push_back(make(f_, neg, max_bits - binade));  // max / 2
    }
    std::vector<FloatBits> unique;
    for (const auto& x : v)
      if (std::find(unique.begin(), unique.end(), x) == unique.end()) unique.push_back(x);
    return unique;
  }

  // Probabilities near 0 and 1.
  std::vector<FloatBits> probability_values() const {
    std::vector<FloatBits> v = {FloatBits::zero(f_, false), one(), below_one(), {f_, one().bits - 2},
                                min_subnormal(f_), {f_, 2}, max_subnormal(f_), min_normal(f_)};
    for (const char* t : {"1e-45", "1e-300", "1e-30", "1e-10", "1e-7", "1e-4", "0.1", "0.5", "0.9999", "0.9999999"}) {
      FloatBits p = decimal(f_, t);
      if (!p.is_zero() && !(p == one())) v.push_back(p);
    }
    std::vector<FloatBits> unique;
    for (const auto& x : v)
      if (std::find(unique.begin(), unique.end(), x) == unique.end()) unique.push_back(x);
    return unique;
  }

  // A binary64 value rounded into the format.
  FloatBits in_format(double d) const {
    MpfrValue x(64);
    to_mpfr(FloatBits::from_double(d), x);
    return round_to_format(x, f_);
  }

  // Uniform in [-a, a] with 53 random bits, rounded into the format (a is decimal text).
  FloatBits uniform(const char* a) { return uniform(decimal(Format::binary64, a)); }
  FloatBits uniform(FloatBits a64) {
    std::int64_t k = static_cast<std::int64_t>(rng_.below((std::uint64_t{1} << 53) + 1)) - (std::int64_t{1} << 52);
    MpfrValue x(128), scale(64);
    set_int64(x, k);
    to_mpfr(a64, scale);
    mpfr_mul(x, x, scale, MPFR_RNDN);  // exact: 53 + 53 bits
    mpfr_mul_2si(x, x, -52, MPFR_RNDN);
    return round_to_format(x, f_);
  }
  // Uniform in [lo, hi] for a bounded domain.
  FloatBits uniform_in(double lo, double hi) {
    MpfrValue a(256), b(256), u(256);
    to_mpfr(FloatBits::from_double(lo), a);
    to_mpfr(FloatBits::from_double(hi), b);
    mpfr_sub(b, b, a, MPFR_RNDN);
    set_int64(u, static_cast<std::int64_t>(rng_.below(std::uint64_t{1} << 53)));
    mpfr_mul_2si(u, u, -53, MPFR_RNDN);
    mpfr_mul(u, u, b, MPFR_RNDN);
    mpfr_add(u, u, a, MPFR_RNDN);
    return round_to_format(u, f_);
  }
  FloatBits random_bits() {
    std::int64_t m = max_ordinal(f_);
    return from_ordinal(f_, static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(m) * 2 + 1)) - m);
  }
  // A value in binade b (0 .. binade_count()-1, subnormal binades first) with a random
  // significand.
  std::size_t binade_count() const {
    const FormatInfo& i = info(f_);
    return static_cast<std::size_t>(i.precision - 1 + ((1 << i.exponent_bits) - 2));
  }
  FloatBits in_binade(std::size_t b, bool negative) {
    const FormatInfo& i = info(f_);
    std::size_t sub = static_cast<std::size_t>(i.precision - 1);
    std::uint64_t bits;
    if (b < sub) {
      std::uint64_t lead = std::uint64_t{1} << b;
      bits = lead | rng_.below(lead);
    } else {
      std::uint64_t e = b - sub + 1;
      std::uint64_t frac = std::uint64_t{1} << (i.precision - 1);
      bits = (e << (i.precision - 1)) | rng_.below(frac);
    }
    return make(f_, negative, bits);
  }

  // A random valid value for a scalar input.
  FloatBits random_value(const InputSpec& in) {
    if (const auto* set = labels(in)) return (*set)[rng_.below(set->size())];
    for (int attempt = 0; attempt < 64; ++attempt) {
      FloatBits v;
      if (in.domain && std::isfinite(in.domain->lo) && std::isfinite(in.domain->hi)) {
        switch (rng_.below(4)) {
          case 0: v = random_bits(); break;
          case 1: {  // within 1000 ulps of an end
            bool upper = rng_.chance(1, 2);
            FloatBits end = in_format(upper ? in.domain->hi : in.domain->lo);
            std::int64_t step = static_cast<std::int64_t>(rng_.below(1000));
            v = from_ordinal(f_, ordinal(end) + (upper ? -step : step));
            break;
          }
          default: v = uniform_in(in.domain->lo, in.domain->hi);
        }
      } else {
        switch (rng_.below(6)) {
          case 0: case 1: v = uniform("10"); break;
          case 2: case 3: v = uniform("100"); break;
          case 4: v = uniform("1"); break;
          default: v = random_bits();
        }
      }
      if (valid_value(in, v)) return v;
    }
    return typical_value(in, 0);
  }

  // A plain valid value (the j-th of a fixed list, or the next valid one).
  FloatBits typical_value(const InputSpec& in, std::size_t j) const {
    static const char* const kLogits[] = {"0.5", "-1.25", "2", "0", "3.5", "-2.75", "1", "-0.5"};
    static const char* const kProbs[] = {"0.25", "0.5", "0.75", "0.125"};
    if (const auto* set = labels(in)) return (*set)[j % set->size()];
    if (is_probability(in)) return decimal(f_, kProbs[j % 4]);
    for (std::size_t k = 0; k < 8; ++k) {
      FloatBits v = decimal(f_, kLogits[(j + k) % 8]);
      if (valid_value(in, v)) return v;
    }
    if (in.domain) {
      FloatBits lo = in_format(in.domain->lo);
      if (valid_value(in, lo)) return lo;
      FloatBits hi = in_format(in.domain->hi);
      if (valid_value(in, hi)) return hi;
    }
    return decimal(f_, kLogits[j % 8]);
  }

  bool is_probability(const InputSpec& in) const {
    return domain_is_probability(in) || probability_inputs_.count(in.name) > 0;
  }

  // Classifies the real inputs that have no domain by asking the reference, for the
  // requirements a spec states beyond domains: an input refused at 1.5 but accepted at 0.25 is
  // a probability (kl_divergence's p and q unless given as logs); one refused at 0.25 and 1.5
  // but accepted at some of -1, 0, 1 takes labels (hinge's y: -1 or +1).
  void probe_inputs() {
    std::vector<const InputSpec*> reals;
    for (const auto* in : required_inputs_)
      if (in->type == InputType::real) reals.push_back(in);
    if (reals.empty() || reals.size() > 4) return;
    static const char* const kProbe[] = {"0.25", "1", "-1", "0", "1.5"};
    auto accepted = [&](const std::map<std::string, const char*>& values) {
      Arguments a;
      for (const auto* in : required_inputs_) {
        if (in->type == InputType::index) {
          a.inputs[in->name] = index_scalar(0);
          continue;
        }
        FloatBits v = decimal(f_, values.at(in->name));
        if (!valid_value(*in, v)) return false;
        a.inputs[in->name] = in->shape == Shape::vector ? vec({v, v, v, v}) : scalar(v);
      }
      a.params = base_params_;
      try {
        ref_.evaluate(fn_, f_, a);
        return true;
      } catch (const EvalError&) {
        return false;
      }
    };
    // A valid base assignment from the first four probe values.
    std::map<std::string, const char*> base;
    std::size_t combos = 1;
    for (std::size_t i = 0; i < reals.size(); ++i) combos *= 4;
    bool found = false;
    for (std::size_t c = 0; c < combos && !found; ++c) {
      std::size_t k = c;
      for (const auto* in : reals) {
        base[in->name] = kProbe[k % 4];
        k /= 4;
      }
      found = accepted(base);
    }
    if (!found) return;
    for (const auto* in : reals) {
      if (in->domain) continue;
      auto with = [&](const char* v) {
        auto m = base;
        m[in->name] = v;
        return accepted(m);
      };
      bool quarter = with("0.25"), big = with("1.5");
      if (quarter && !big) {
        probability_inputs_.insert(in->name);
      } else if (!quarter && !big) {
        std::vector<FloatBits> set;
        for (const char* v : {"-1", "0", "1"})
          if (with(v)) set.push_back(decimal(f_, v));
        if (!set.empty()) labels_[in->name] = set;
      }
    }
  }

  const std::vector<FloatBits>* labels(const InputSpec& in) const {
    auto it = labels_.find(in.name);
    return it == labels_.end() ? nullptr : &it->second;
  }

  // Values for the optional inputs, each with probability 1/3 (n: row length, 0 for scalars).
  std::map<std::string, Tensor> random_optional(std::size_t n) {
    std::map<std::string, Tensor> m;
    for (const auto* in : optional_inputs_) {
      if (!rng_.chance(1, 3)) continue;
      if (in->type == InputType::index) {
        m[in->name] = index_scalar(static_cast<long>(rng_.below(std::max<std::size_t>(n, 1))));
      } else if (in->shape == Shape::vector) {
        std::vector<FloatBits> v;
        for (std::size_t j = 0; j < std::max<std::size_t>(n, 1); ++j) v.push_back(random_value(*in));
        m[in->name] = vec(v);
      } else {
        m[in->name] = scalar(random_value(*in));
      }
    }
    return m;
  }

  // A distribution over n entries (sums to about 1): integer weights with spread exponents,
  // some zero, divided by their exact sum and rounded. `tiles` > 1 divides by tiles * sum, for
  // a block repeated `tiles` times.
  std::vector<FloatBits> distribution(std::size_t n, bool zeros, int spread, std::size_t tiles = 1) {
    std::vector<std::pair<std::int64_t, long>> w(n);
    bool any = false;
    for (auto& [m, e] : w) {
      if (zeros && n > 1 && rng_.chance(1, 5)) {
        m = 0;
        e = 0;
      } else {
        m = static_cast<std::int64_t>(rng_.below(std::uint64_t{1} << 32)) + 1;
        e = -static_cast<long>(rng_.below(static_cast<std::uint64_t>(spread) + 1));
        any = true;
      }
    }
    if (!any) w[rng_.below(n)] = {1, 0};
    MpfrValue total(256), term(256);
    mpfr_set_ui(total, 0, MPFR_RNDN);
    for (const auto& [m, e] : w) {
      set_int64(term, m);
      mpfr_mul_2si(term, term, e, MPFR_RNDN);
      mpfr_add(total, total, term, MPFR_RNDN);
    }
    mpfr_mul_ui(total, total, static_cast<unsigned long>(tiles), MPFR_RNDN);
    std::vector<FloatBits> p;
    for (const auto& [m, e] : w) {
      set_int64(term, m);
      mpfr_mul_2si(term, term, e, MPFR_RNDN);
      mpfr_div(term, term, total, MPFR_RNDN);
      p.push_back(round_to_format(term, f_));
    }
    return p;
  }

  std::vector<FloatBits> random_logits(std::size_t n, const char* scale = "10") {
    std::vector<FloatBits> v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(uniform(scale));
    return v;
  }

  // A random row of n entries for a vector input.
  std::vector<FloatBits> random_row(const InputSpec& in, std::size_t n) {
    if (labels(in)) {
      std::vector<FloatBits> v;
      for (std::size_t i = 0; i < n; ++i) v.push_back(random_value(in));
      return v;
    }
    if (is_probability(in)) return distribution(n, true, static_cast<int>(rng_.below(3)) * 12);
    std::vector<FloatBits> v;
    static const char* const kScales[] = {"1", "10", "10", "100"};
    const char* scale = kScales[rng_.below(4)];
    for (std::size_t i = 0; i < n; ++i) v.push_back(in.domain ? random_value(in) : uniform(scale));
    return v;
  }

  std::vector<FloatBits> typical_row(const InputSpec& in, std::size_t n) const {
    std::vector<FloatBits> v;
    if (labels(in)) {
      for (std::size_t j = 0; j < n; ++j) v.push_back(typical_value(in, j));
      return v;
    }
    if (is_probability(in)) {
      MpfrValue p(128);
      mpfr_set_ui(p, 1, MPFR_RNDN);
      mpfr_div_ui(p, p, static_cast<unsigned long>(n), MPFR_RNDN);
      v.assign(n, round_to_format(p, f_));
      return v;
    }
    for (std::size_t j = 0; j < n; ++j) v.push_back(typical_value(in, j));
    return v;
  }

  // A row of length n with every vector input typical, indices at `index` (or n - 1).
  Row typical(std::size_t n, long index = -1) const {
    Row r;
    for (const auto* in : vector_inputs_) r.vectors[in->name] = typical_row(*in, n);
    for (const auto* in : index_inputs_) r.indices[in->name] = index >= 0 ? index : static_cast<long>(n) - 1;
    for (const auto* in : scalar_inputs_) r.scalars[in->name] = typical_value(*in, 0);
    return r;
  }
  Row random_row_all(std::size_t n) {
    Row r;
    for (const auto* in : vector_inputs_) r.vectors[in->name] = random_row(*in, n);
    for (const auto* in : index_inputs_) r.indices[in->name] = static_cast<long>(rng_.below(n));
    for (const auto* in : scalar_inputs_) r.scalars[in->name] = random_value(*in);
    return r;
  }

  bool add_row(const Row& r, Params params = {}, std::map<std::string, Tensor> extra = {}) {
    Arguments a = {std::move(extra), {}};
    std::size_t n = 0;
    for (const auto& [k, v] : r.vectors) {
      if (n && v.size() != n) throw std::logic_error("families: rows of different lengths");
      n = v.size();
      a.inputs[k] = vec(v);
    }
    for (const auto& [k, i] : r.indices) {
      if (i < 0 || static_cast<std::size_t>(i) >= n) return false;
      a.inputs[k] = index_scalar(i);
    }
    for (const auto& [k, v] : r.scalars) a.inputs[k] = scalar(v);
    a.params = std::move(params);
    return add(std::move(a));
  }

  // A batch of rows (a [rows, n] matrix per vector input, a [rows] vector per scalar input).
  bool add_batch(const std::vector<Row>& rows, Params params) {
    Arguments a;
    for (const auto* in : vector_inputs_) {
      Tensor t;
      t.shape = {rows.size(), rows[0].vectors.at(in->name).size()};
      for (const auto& r : rows) {
        const auto& v = r.vectors.at(in->name);
        t.values.insert(t.values.end(), v.begin(), v.end());
      }
      a.inputs[in->name] = t;
    }
    for (const auto* in : index_inputs_) {
      Tensor t;
      t.shape = {rows.size()};
      for (const auto& r : rows) t.indices.push_back(r.indices.at(in->name));
      a.inputs[in->name] = t;
    }
    for (const auto* in : scalar_inputs_) {
      Tensor t;
      t.shape = {rows.size()};
      for (const auto& r : rows) t.values.push_back(r.scalars.at(in->name));
      a.inputs[in->name] = t;
    }
    a.params = std::move(params);
    return add(std::move(a));
  }

  bool add_scalars(const std::vector<FloatBits>& values, Params params = {},
                   std::map<std::string, Tensor> extra = {}) {
    Arguments a = {std::move(extra), {}};
    std::size_t j = 0;
    for (const auto* in : required_inputs_) a.inputs[in->name] = scalar(values.at(j++));
    a.params = std::move(params);
    return add(std::move(a));
  }

  // Random non-default values of the function's own parameters (not reduction, axis or
  // per-channel ones, which the shape families cover), each with probability 1/4.
  Params random_params() {
    Params p;
    for (const auto& ps : fn_.params) {
      if (ps.name == "reduction" || ps.type == ParamType::integer || ps.per_channel) continue;
      if (!rng_.chance(1, 4)) continue;
      std::vector<std::string> candidates;
      if (ps.type == ParamType::enumeration) {
        candidates = ps.values;
      } else {
        for (const char* c : {"0.5", "2", "0.25", "3", "10", "0.1", "1", "20"}) {
          double d = decimal(Format::binary64, c).to_double();
          if (!ps.range || ps.range->contains(d)) candidates.push_back(c);
        }
      }
      std::erase_if(candidates, [&](const std::string& c) { return ps.default_value == c; });
      if (!candidates.empty()) p[ps.name] = candidates[rng_.below(candidates.size())];
    }
    return p;
  }

  bool has_reduction() const {
    const ParamSpec* p = fn_.param("reduction");
    return fn_.reduction && p && p->type == ParamType::enumeration;
  }

  // --- The families. ---

  // The special values of an input: its labels (and NaN) for a label input.
  std::vector<FloatBits> pool_for(const InputSpec& in) const {
    if (const auto* set = labels(in)) {
      std::vector<FloatBits> v = *set;
      v.push_back(FloatBits::quiet_nan(f_));
      return v;
    }
    return specials();
  }

  void special() {
    auto pool = specials();
    switch (kind_) {
      case Kind::unary:
        for (const auto& v : pool) add_scalars({v});
        break;
      case Kind::elementwise: {
        std::size_t k = required_inputs_.size();
        if (k <= 2) {
          std::vector<FloatBits> tuple(k);
          std::function<void(std::size_t)> rec = [&](std::size_t i) {
            if (i == k) {
              add_scalars(tuple);
              return;
            }
            for (const auto& v : pool_for(*required_inputs_[i])) {
              if (!valid_value(*required_inputs_[i], v)) continue;
              tuple[i] = v;
              rec(i + 1);
            }
          };
          rec(0);
        } else {
          for (std::size_t i = 0; i < k; ++i)
            for (const auto& v : pool_for(*required_inputs_[i])) {
              std::vector<FloatBits> tuple;
              for (std::size_t j = 0; j < k; ++j) tuple.push_back(j == i ? v : typical_value(*required_inputs_[j], j));
              add_scalars(tuple);
            }
        }
        break;
      }
      case Kind::rows: {
        for (const auto* in : vector_inputs_) {
          for (const auto& v : pool_for(*in)) {
            if (!valid_value(*in, v)) continue;
            Row one_entry = typical(1, 0);
            one_entry.vectors[in->name] = {v};
            add_row(one_entry);
            for (long idx : {1L, 0L}) {
              Row r = typical(3, idx);
              r.vectors[in->name][1] = v;
              add_row(r);
            }
            Row all = typical(3, 2);
            all.vectors[in->name].assign(3, v);
            add_row(all);
          }
        }
        for (const auto* in : scalar_inputs_)
          for (const auto& v : pool) {
            Row r = typical(3);
            r.scalars[in->name] = v;
            add_row(r);
          }
        for (std::size_t n : {1u, 2u, 5u})
          for (long idx = 0; idx < static_cast<long>(n); ++idx) add_row(typical(n, idx));
        break;
      }
    }
  }

  void thresholds() {
    if (kind_ != Kind::unary) return;
    std::int64_t m = max_ordinal(f_);
    Params params = family_params_;
    for (const auto& [k, v] : base_params_) params.emplace(k, v);
    for (const auto& t : find_transitions(ref_, fn_, f_, params)) {
      std::int64_t k = ordinal(t.first_after);
      for (std::int64_t d = -3; d <= 2; ++d) {
        std::int64_t j = k + d;
        if (j < -m || j > m) continue;
        add_scalars({from_ordinal(f_, j)});
      }
    }
  }

  void huge() {
    auto pool = huge_values();
    switch (kind_) {
      case Kind::unary:
        for (const auto& h : pool) add_scalars({h});
        break;
      case Kind::elementwise: {
        std::size_t k = required_inputs_.size();
        bool plain = std::none_of(required_inputs_.begin(), required_inputs_.end(),
                                  [&](const InputSpec* in) { return labels(*in) != nullptr; });
        for (const auto& h : pool) {
          for (std::size_t i = 0; i < k; ++i) {
            if (labels(*required_inputs_[i])) continue;
            std::vector<FloatBits> tuple;
            for (std::size_t j = 0; j < k; ++j) tuple.push_back(j == i ? h : typical_value(*required_inputs_[j], j));
            add_scalars(tuple);
            if (!plain) {  // the other inputs at each of their labels
              for (std::size_t j = 0; j < k; ++j)
                if (const auto* set = labels(*required_inputs_[j]))
                  for (const auto& l : *set) {
                    tuple[j] = l;
                    add_scalars(tuple);
                  }
            }
          }
          if (k == 2 && plain) {
            FloatBits neg = make(f_, !h.sign(), h.bits & ~sign_bit(f_));
            FloatBits inner = from_ordinal(f_, ordinal(h) + (h.sign() ? 1 : -1));
            add_scalars({h, h});
            add_scalars({h, neg});
            add_scalars({h, inner});
            add_scalars({inner, h});
          }
        }
        break;
      }
      case Kind::rows:
        for (const auto* in : vector_inputs_) {
          if (is_probability(*in) || labels(*in)) continue;
          for (const auto& h : pool) {
            FloatBits neg = make(f_, !h.sign(), h.bits & ~sign_bit(f_));
            for (const auto& row : std::vector<std::vector<FloatBits>>{
                     {h}, {h, FloatBits::zero(f_, false)}, {h, neg}, {h, h}, {FloatBits::zero(f_, false), h, one()}}) {
              Row r = typical(row.size(), static_cast<long>(rng_.below(row.size())));
              r.vectors[in->name] = row;
              add_row(r);
            }
          }
        }
        break;
    }
  }

  // The binades to sweep and the signs of each: both signs everywhere, except binary64, whose
  // 2098 binades get one value each with a random sign, and both signs in [2^-64, 2^64).
  std::vector<std::pair<std::size_t, bool>> binade_sweep() {
    std::vector<std::pair<std::size_t, bool>> v;
    const FormatInfo& i = info(f_);
    std::size_t sub = static_cast<std::size_t>(i.precision - 1);
    for (std::size_t b = 0; b < binade_count(); ++b) {
      long exponent = b < sub ? static_cast<long>(b) - (i.bias - 1) - (i.precision - 1) : static_cast<long>(b - sub + 1) - i.bias;
      if (f_ == Format::binary64 && (exponent < -64 || exponent >= 64)) {
        v.push_back({b, rng_.chance(1, 2)});
      } else {
        v.push_back({b, false});
        v.push_back({b, true});
      }
    }
    return v;
  }

  void log_uniform() {
    switch (kind_) {
      case Kind::unary:
        for (auto [b, neg] : binade_sweep()) add_scalars({in_binade(b, neg)});
        break;
      case Kind::elementwise: {
        // The first input that takes more than labels sweeps the binades; the others take a
        // nearby or a random binade (or a label).
        std::size_t sweep = 0;
        while (sweep + 1 < required_inputs_.size() && labels(*required_inputs_[sweep])) ++sweep;
        for (auto [b, neg] : binade_sweep()) {
          std::vector<FloatBits> tuple;
          for (std::size_t j = 0; j < required_inputs_.size(); ++j) {
            const InputSpec& in = *required_inputs_[j];
            if (j == sweep) {
              tuple.push_back(in_binade(b, neg));
            } else if (labels(in)) {
              tuple.push_back(random_value(in));
            } else {
              std::size_t other = b;
              if (rng_.chance(1, 2)) {
                other = rng_.below(binade_count());
              } else {
                long shifted = static_cast<long>(b) + static_cast<long>(rng_.below(5)) - 2;
                other = static_cast<std::size_t>(std::clamp<long>(shifted, 0, static_cast<long>(binade_count()) - 1));
              }
              tuple.push_back(in_binade(other, is_probability(in) ? false : rng_.chance(1, 2)));
            }
          }
          add_scalars(tuple);  // dropped when outside a domain ([0, 1] keeps the binades below 1)
        }
        break;
      }
      case Kind::rows:
        for (std::size_t n = 0; n < 200; ++n) {
          Row r = random_row_all(4);
          for (const auto* in : vector_inputs_)
            if (!is_probability(*in) && !labels(*in))
              for (auto& x : r.vectors[in->name]) x = in_binade(rng_.below(binade_count()), rng_.chance(1, 2));
          add_row(r);
        }
        break;
    }
  }

  void random() {
    switch (kind_) {
      case Kind::unary:
        for (int i = 0; i < 250; ++i) {
          FloatBits v = random_value(*required_inputs_[0]);
          add_scalars({v}, random_params(), random_optional(0));
        }
        break;
      case Kind::elementwise:
        for (int i = 0; i < 200; ++i) {
          std::vector<FloatBits> tuple;
          for (const auto* in : required_inputs_) tuple.push_back(random_value(*in));
          add_scalars(tuple, random_params(), random_optional(0));
        }
        break;
      case Kind::rows:
        for (int i = 0; i < 100; ++i) {
          std::size_t n = 1 + rng_.below(12);
          add_row(random_row_all(n), random_params(), random_optional(n));
        }
        break;
    }
  }

  std::vector<const InputSpec*> logit_inputs() const {
    std::vector<const InputSpec*> v;
    for (const auto* in : vector_inputs_)
      if (!is_probability(*in) && !labels(*in)) v.push_back(in);
    return v;
  }

  // A decimal magnitude clamped to the format's largest finite value.
  FloatBits finite_or_max(const char* text) const {
    FloatBits v = decimal(f_, text);
    return v.is_inf() ? max_finite(f_, v.sign()) : v;
  }

  // Adds the row with `values` in input `in` (others typical), once with the index inputs at
  // `hit` and once at another position.
  void add_logits(const InputSpec& in, const std::vector<FloatBits>& values, long hit = -1) {
    std::size_t n = values.size();
    long first = hit >= 0 ? hit : static_cast<long>(rng_.below(n));
    Row r = typical(n, first);
    r.vectors[in.name] = values;
    add_row(r);
    if (!index_inputs_.empty() && n > 1) {
      Row r2 = r;
      for (auto& [k, i] : r2.indices) i = (first + 1 + static_cast<long>(rng_.below(n - 1))) % static_cast<long>(n);
      add_row(r2);
    }
  }

  void large_logits() {
    for (const auto* in : logit_inputs()) {
      for (const char* spread : {"1e2", "1e4", "1e30"}) {
        FloatBits s = FloatBits::from_double(finite_or_max(spread).to_double());
        for (std::size_t n : {2u, 3u, 5u, 10u})
          for (int draw = 0; draw < 2; ++draw) {
            std::vector<FloatBits> v;
            for (std::size_t j = 0; j < n; ++j) v.push_back(uniform(s));
            add_logits(*in, v);
          }
      }
      FloatBits zero = FloatBits::zero(f_, false);
      for (const char* d : {"20", "50", "100", "1e4", "1e30"}) {
        FloatBits big = finite_or_max(d);
        FloatBits neg = make(f_, true, big.bits);
        for (std::size_t n : {2u, 5u, 10u}) {
          long at = static_cast<long>(rng_.below(n));
          std::vector<FloatBits> v(n, zero);
          v[at] = big;
          add_logits(*in, v, at);
          std::vector<FloatBits> w(n, neg);
          w[at] = big;
          add_logits(*in, w, at);
          std::vector<FloatBits> u(n, zero);
          u[at] = neg;
          add_logits(*in, u, at);
        }
      }
      for (const char* c : {"0", "1", "-1e4", "1e4", "1e30", "-1e30"})
        for (std::size_t n : {1u, 2u, 3u, 7u}) add_logits(*in, std::vector<FloatBits>(n, finite_or_max(c)));
      FloatBits mx = max_finite(f_), mn = max_finite(f_, true);
      for (std::size_t n : {1u, 2u, 3u}) {
        add_logits(*in, std::vector<FloatBits>(n, mx));
        add_logits(*in, std::vector<FloatBits>(n, mn));
      }
      add_logits(*in, {mx, mn});
      add_logits(*in, {mn, mx});
      add_logits(*in, {mx, zero, mn});
      add_logits(*in, {min_subnormal(f_), zero, min_subnormal(f_, true)});
      // Large logits with small differences: B + k/16.
      for (const char* base : {"1e4", "1e6", "-1e4"}) {
        for (int draw = 0; draw < 2; ++draw) {
          std::vector<FloatBits> v;
          MpfrValue b(128), x(128);
          to_mpfr(decimal(Format::binary64, base), b);
          for (int j = 0; j < 5; ++j) {
            mpfr_set_si(x, static_cast<long>(rng_.below(129)) - 64, MPFR_RNDN);
            mpfr_div_2ui(x, x, 4, MPFR_RNDN);
            mpfr_add(x, x, b, MPFR_RNDN);
            FloatBits r = round_to_format(x, f_);
            v.push_back(r.is_inf() ? max_finite(f_, r.sign()) : r);
          }
          add_logits(*in, v);
        }
      }
      // Rows of log-probabilities, log(p_j) rounded (p_j = q_j / sum q, q_j in [1, 1000]): their
      // logsumexp cancels to near 0 (max < 0), where an evaluation in the format's double
      // (m + log S, each correct to 2^-53·|m|) errs by many ulps of a result near 2^-30.
      // Their own generator: the draws of the other cases stay as they were.
      SplitMix64 rng(stable_hash("log-probabilities"));
      for (std::size_t n : {2u, 3u, 10u, 100u}) {
        for (int draw = 0; draw < 2; ++draw) {
          std::vector<unsigned long> q(n);
          unsigned long total = 0;
          for (auto& qj : q) total += qj = 1 + static_cast<unsigned long>(rng.below(1000));
          std::vector<FloatBits> v;
          MpfrValue x(128);
          for (unsigned long qj : q) {
            mpfr_set_ui(x, qj, MPFR_RNDN);
            mpfr_div_ui(x, x, total, MPFR_RNDN);
            mpfr_log(x, x, MPFR_RNDN);
            v.push_back(round_to_format(x, f_));
          }
          add_logits(*in, v);
        }
      }
    }
  }

  void masks() {
    FloatBits ninf = FloatBits::infinity(f_, true), pinf = FloatBits::infinity(f_, false);
    FloatBits zero = FloatBits::zero(f_, false);
    auto d = [&](const char* t) { return finite_or_max(t); };
    for (const auto* in : logit_inputs()) {
      std::vector<std::vector<FloatBits>> rows = {
          {zero, ninf, d("1")},     {ninf, d("5")},          {ninf, ninf, d("2")}, {d("2"), ninf, ninf, ninf},
          {pinf, zero, d("1")},     {pinf, ninf},            {ninf, pinf},          {pinf, pinf},
          {ninf, pinf, zero},       {pinf},                  {d("1"), pinf, pinf, ninf},
          {d("1e30"), ninf},        {d("-1e30"), ninf},      {max_finite(f_), ninf}, {max_finite(f_, true), ninf},
          {d("-1e4"), ninf, d("-1e4")}};
      for (std::size_t n : {1u, 2u, 3u, 8u}) rows.push_back(std::vector<FloatBits>(n, ninf));
      for (const auto& row : rows) {
        for (std::size_t at = 0; at < row.size() && at < 2; ++at) {
          Row r = typical(row.size(), static_cast<long>(at));
          r.vectors[in->name] = row;
          add_row(r);
          if (index_inputs_.empty()) break;
        }
      }
      for (std::size_t n : {4u, 8u, 9u, 16u, 17u}) {
        for (int draw = 0; draw < 2; ++draw) {
          std::vector<FloatBits> v = random_logits(n);
          for (auto& x : v)
            if (rng_.chance(1, 3)) x = ninf;
          add_logits(*in, v);
        }
      }
    }
  }

  void probabilities() {
    auto pool = probability_values();
    switch (kind_) {
      case Kind::unary:
        if (is_probability(*required_inputs_[0]))
          for (const auto& p : pool) add_scalars({p});
        break;
      case Kind::elementwise: {
        std::vector<std::size_t> probs;
        for (std::size_t i = 0; i < required_inputs_.size(); ++i)
          if (is_probability(*required_inputs_[i])) probs.push_back(i);
        if (probs.size() == 2 && required_inputs_.size() == 2) {
          for (const auto& a : pool)
            for (const auto& b : pool) add_scalars({a, b});
        } else {
          for (std::size_t i : probs)
            for (const auto& p : pool) {
              std::vector<FloatBits> tuple;
              for (std::size_t j = 0; j < required_inputs_.size(); ++j)
                tuple.push_back(j == i ? p : typical_value(*required_inputs_[j], j));
              add_scalars(tuple);
            }
        }
        break;
      }
      case Kind::rows: {
        std::vector<const InputSpec*> prob_inputs;
        for (const auto* in : vector_inputs_)
          if (is_probability(*in)) prob_inputs.push_back(in);
        if (prob_inputs.empty()) break;
        FloatBits zero = FloatBits::zero(f_, false), o = one();
        // Near-degenerate rows: 1 - e and e, e from the pool (1 - e rounded into the format).
        std::vector<std::vector<FloatBits>> rows = {{o, zero}, {zero, o}, {zero, zero, o}, {o}};
        for (const auto& e : pool) {
          if (e.is_zero() || e == o) continue;
          MpfrValue c(256);
          to_mpfr(e, c);
          mpfr_ui_sub(c, 1, c, MPFR_RNDN);
          FloatBits rest = round_to_format(c, f_);
          rows.push_back({rest, e});
          rows.push_back({e, rest});
          MpfrValue h(256);
          to_mpfr(e, h);
          mpfr_div_2ui(h, h, 1, MPFR_RNDN);
          FloatBits half = round_to_format(h, f_);
          rows.push_back({rest, half, half});
        }
        for (std::size_t n : {2u, 5u, 10u, 17u})
          for (int draw = 0; draw < 3; ++draw) rows.push_back(distribution(n, true, 40));
        if (prob_inputs.size() == 1) {
          for (const auto& row : rows) {
            Row r = typical(row.size(), 0);
            r.vectors[prob_inputs[0]->name] = row;
            add_row(r);
          }
        } else {
          // Pairs: the same row, a uniform one, the reversed row (zeros where the other is not),
          // and a random one, in every order of the inputs.
          for (const auto& row : rows) {
            std::size_t n = row.size();
            std::vector<FloatBits> reversed(row.rbegin(), row.rend());
            std::vector<std::vector<FloatBits>> partners = {row, typical_row(*prob_inputs[0], n), reversed,
                                                            distribution(n, true, 40)};
            for (const auto& partner : partners) {
              for (std::size_t first = 0; first < prob_inputs.size(); ++first) {
                Row r = typical(n, 0);
                for (std::size_t j = 0; j < prob_inputs.size(); ++j)
                  r.vectors[prob_inputs[j]->name] = j == first ? row : partner;
                add_row(r);
              }
            }
          }
        }
        break;
      }
    }
  }

  // Long vectors are a random block repeated (1000 = 125 x 8, 32000 = 1000 x 32): every entry
  // sits in a different SIMD lane from one tile to the next (125 is odd, 1000 = 8 mod 16),
  // sums run over the whole length, and the file stores each block once ([...]*k).
  static constexpr std::size_t kLongVectors[][2] = {{125, 8}, {1000, 32}};

  void lengths() {
    static const std::size_t kLengths[] = {1, 2, 3, 7, 8, 9, 10, 15, 16, 17};
    switch (kind_) {
      case Kind::unary: break;
      case Kind::elementwise: {
        auto add_vectors = [&](std::size_t n, const Params& p, std::size_t tiles) {
          Arguments a;
          for (const auto* in : required_inputs_) {
            std::vector<FloatBits> v;
            for (std::size_t j = 0; j < n; ++j) v.push_back(random_value(*in));
            std::vector<FloatBits> all;
            for (std::size_t t = 0; t < tiles; ++t) all.insert(all.end(), v.begin(), v.end());
            a.inputs[in->name] = vec(all);
          }
          a.params = p;
          add(std::move(a), tiles > 1 ? n : 0);
        };
        for (std::size_t n : kLengths) {
          add_vectors(n, {}, 1);
          if (has_reduction() && (n == 3 || n == 8 || n == 17)) {
            add_vectors(n, {{"reduction", "sum"}}, 1);
            add_vectors(n, {{"reduction", "none"}}, 1);
          }
        }
        for (const auto& [block, tiles] : kLongVectors) add_vectors(block, {}, tiles);
        break;
      }
      case Kind::rows: {
        for (std::size_t n : kLengths) add_row(random_row_all(n));
        for (const auto& [block, tiles] : kLongVectors) {
          Row r = random_row_all(block);
          Arguments a;
          for (const auto* in : vector_inputs_) {
            // A distribution's block is divided by the number of tiles, so that the whole sums to 1.
            std::vector<FloatBits> b = is_probability(*in) ? distribution(block, true, 12, tiles) : r.vectors.at(in->name);
            std::vector<FloatBits> all;
            for (std::size_t t = 0; t < tiles; ++t) all.insert(all.end(), b.begin(), b.end());
            a.inputs[in->name] = vec(all);
          }
          for (const auto* in : index_inputs_)
            a.inputs[in->name] = index_scalar(static_cast<long>(rng_.below(block * tiles)));
          for (const auto* in : scalar_inputs_) a.inputs[in->name] = scalar(r.scalars.at(in->name));
          add(std::move(a), block);
        }
        // Batches: rows reduced (none, mean, sum), and the axis of a batch.
        auto batch = [&](std::size_t rows, std::size_t n) {
          std::vector<Row> b;
          for (std::size_t i = 0; i < rows; ++i) b.push_back(random_row_all(n));
          return b;
        };
        if (has_reduction()) {
          auto b = batch(4, 10);
          for (const char* red : {"none", "mean", "sum"}) add_batch(b, {{"reduction", red}});
          add_batch(batch(17, 3), {});
          add_batch(batch(9, 16), {{"reduction", "none"}});
        }
        if (const ParamSpec* axis = fn_.param("axis"); axis && axis->type == ParamType::integer) {
          auto b = batch(3, 5);
          add_batch(b, {});
          if (!axis->range || axis->range->contains(0)) add_batch(b, {{"axis", "0"}});
          add_batch(batch(9, 16), {});
        }
        break;
      }
    }
  }

  void hand_picked() {
    family_ = "case";
    family_params_.clear();
    for (const auto& c : fn_.cases) {
      Arguments a;
      std::string where = c.where.str();
      for (const auto& [k, text] : c.values) {
        if (const InputSpec* in = fn_.input(k)) {
          Tensor t;
          try {
            t = parse_tensor(text, f_, in->type);
          } catch (const EvalError& e) {
            throw EvalError(where + ": case input '" + k + "': " + e.what());
          }
          if (in->shape == Shape::vector && t.shape.empty()) t.shape = {1};
          for (const auto& v : t.values)
            if (!valid_value(*in, v))
              throw EvalError(where + ": case input '" + k + "' = " + text + " is not valid input in " +
                              std::string(name(f_)));
          a.inputs[k] = t;
        } else {
          a.params[k] = text;
        }
      }
      add(std::move(a));
    }
  }
};

}  // namespace

std::vector<TestCase> generate_cases(const Reference& reference, const FunctionSpec& fn, Format format,
                                     const GenerateOptions& options) {
  return Generator(reference, fn, format, options).run();
}

bool wants_exhaustive_tables(const FunctionSpec& fn) {
  if (std::find(fn.input_families.begin(), fn.input_families.end(), "exhaustive16") == fn.input_families.end())
    return false;
  if (!is_unary_like(fn))
    throw EvalError(fn.file.string() + ": " + fn.name +
                    ": input family exhaustive16 needs a unary function (one real scalar input, no reduction)");
  for (const auto& p : fn.params)
    if (!p.default_value)
      throw EvalError(fn.file.string() + ": " + fn.name + ": input family exhaustive16 needs defaults for every parameter ('" +
                      p.name + "' has none)");
  return true;
}

}  // namespace nnconform::ref
