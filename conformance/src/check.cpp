#include "nnconform/conformance/check.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <sstream>

#include "nnconform/conformance/measure.hpp"
#include "nnconform/ref/vectors.hpp"

namespace nnconform::conformance {
namespace {

namespace fs = std::filesystem;
using ref::Format;
using ref::FunctionSpec;

}  // namespace

// --- Golden cases. -----------------------------------------------------------------------------

std::string load_cases(const FunctionSpec& fn, Format format, const fs::path& dir, std::vector<GoldenCase>& out) {
  std::string rel = ref::vector_file_path(fn, format, ref::VectorFileKind::cases);
  fs::path cases = dir / rel;
  std::error_code ec;
  if (!fs::exists(cases, ec)) return "no golden vectors: " + rel + " is not in the vector directory (run nnconform gen)";
  try {
    ref::VectorFile file = ref::read_vector_file(cases);
    for (auto& c : file.cases) {
      GoldenCase g;
      g.args = std::move(c.args);
      g.expected = std::move(c.expected.values);
      g.offsets = std::move(c.offsets_ulps);
      g.location = rel + ":" + std::to_string(c.line);
      g.family = c.family;
      out.push_back(std::move(g));
    }
    std::string trel = ref::vector_file_path(fn, format, ref::VectorFileKind::exhaustive);
    fs::path table = dir / trel;
    if (fs::exists(table, ec)) {
      ref::ExhaustiveTable t = ref::read_exhaustive_table(table);
      const ref::InputSpec& in = fn.inputs.at(0);
      for (std::size_t i = 0; i < ref::kExhaustiveEntries; ++i) {
        ref::FloatBits x = t.input(i);
        // Entries outside the input's domain hold no golden value (vectors.hpp).
        if (!x.is_nan() && in.domain && !in.domain->contains(x.to_double())) continue;
        if (x.is_nan() && !in.nan_allowed) continue;
        GoldenCase g;
        g.args.inputs[in.name] = ref::Tensor{{}, {x}, {}};
        g.expected = {t.outputs[i]};
        g.offsets = {t.offsets_ulps[i]};
        char where[16];
        std::snprintf(where, sizeof where, "[0x%04zx]", i);
        g.location = trel + where;
        g.family = "exhaustive16";
        out.push_back(std::move(g));
      }
    }
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

namespace {

// --- Describing values. ------------------------------------------------------------------------

ValueText value_text(const ref::FloatBits& v) {
  char bits[32];
  std::snprintf(bits, sizeof bits, "0x%0*llx", ref::info(v.format).storage_bits / 4, static_cast<unsigned long long>(v.bits));
  return {ref::to_hex(v), ref::to_shortest_decimal(v), bits};
}

NamedValue tensor_value(const std::string& name, const ref::Tensor& t) {
  constexpr std::size_t kShown = 6;
  bool index = !t.indices.empty() || t.values.empty();
  std::size_t n = index ? t.indices.size() : t.values.size();
  auto hex = [&](std::size_t i) { return index ? std::to_string(t.indices[i]) : ref::to_hex(t.values[i]); };
  auto dec = [&](std::size_t i) { return index ? std::to_string(t.indices[i]) : ref::to_shortest_decimal(t.values[i]); };
  if (t.shape.empty() && n == 1) return {name, hex(0), dec(0)};
  std::size_t row = t.shape.size() == 2 ? t.shape[1] : n;
  std::string h = "[", d = "[";
  for (std::size_t i = 0; i < n && i < kShown; ++i) {
    std::string sep = i == 0 ? "" : (row && i % row == 0) ? "; " : ", ";
    h += sep + hex(i);
    d += sep + dec(i);
  }
  if (n > kShown) {
    std::string more = ", ... (" + std::to_string(n) + " values" +
                       (t.shape.size() == 2 ? ", " + std::to_string(t.shape[0]) + " rows" : std::string()) + ")";
    h += more;
    d += more;
  }
  return {name, h + "]", d + "]"};
}

std::string case_text(const FunctionSpec& fn, const GoldenCase& c) {
  std::string s = c.location + " (" + c.family + "):";
  for (const auto& in : fn.inputs) {
    auto it = c.args.inputs.find(in.name);
    if (it != c.args.inputs.end()) s += " " + in.name + "=" + tensor_value(in.name, it->second).hex;
  }
  for (const auto& [k, v] : c.args.params) s += " " + k + "=" + v;
  return s;
}

// The first required real input: what the plot's x axis and a value's "input" refer to.
const ref::InputSpec* primary_input(const FunctionSpec& fn) {
  for (const auto& in : fn.inputs)
    if (in.type == ref::InputType::real && !in.optional) return &in;
  return nullptr;
}

// --- Scoring. ----------------------------------------------------------------------------------

// A convention that may explain a deviation.
struct Candidate {
  std::string name, description;
  std::map<std::string, std::string> params;
  bool ftz = false;
  bool accepted = false;
  std::size_t hits = 0, misses = 0;
  std::size_t idle = 0;  // failing values the convention does not change
  std::size_t use = SIZE_MAX;  // index into FunctionResult::conventions once used
};

// Gives up on a convention that has explained nothing after this many values it changed but
// did not explain (or this many failing values it did not even change): a library that is
// simply wrong everywhere should not cost a reference evaluation per case per convention.
constexpr std::size_t kMissLimit = 20;
constexpr std::size_t kIdleLimit = 200;
// How much closer a convention must bring a value that it does not bring within tolerance for
// the value to be scored against it (the implementation follows it, inaccurately).
constexpr double kCloser = 16;
constexpr std::size_t kFindingsPerKind = 3;
constexpr std::size_t kMaxErrors = 8;

std::vector<Candidate> candidates_for(const FunctionSpec& fn, const Profile& profile) {
  std::vector<Candidate> out;
  for (const auto& c : fn.conventions) {
    if (c.params.empty()) continue;  // descriptive only: nothing to re-evaluate
    out.push_back({c.name, c.description, c.params, false, profile.accepts(c.name)});
  }
  out.push_back({kFlushToZero, "flush-to-zero (FTZ/DAZ): subnormal results returned as zero, subnormal inputs read as zero; assumed only where "
                 "the implementation returns no subnormal at all and never reads a subnormal input as nonzero",
                 {}, true, profile.accepts(kFlushToZero)});
  // An accepted convention is tried first: when two explain a value, the profile's wins.
  std::stable_partition(out.begin(), out.end(), [](const Candidate& c) { return c.accepted; });
  return out;
}

class Scorer {
 public:
  Scorer(const FunctionSpec& fn, Format format, const Profile& profile, const ref::Reference& reference,
         double tolerance, FunctionResult& r)
      : fn_(fn), format_(format), profile_(profile), reference_(reference), tolerance_(tolerance), r_(r),
        candidates_(candidates_for(fn, profile)), primary_(primary_input(fn)) {}

  void score(const GoldenCase& c, const std::vector<ref::FloatBits>& got) {
    if (got.size() != c.expected.size()) {
      error(c.location + ": wrong number of outputs: got " + std::to_string(got.size()) + ", expected " +
            std::to_string(c.expected.size()));
      return;
    }
    alternatives_.assign(candidates_.size(), {});
    const bool subnormal_inputs = has_subnormal_input(c);
    for (std::size_t i = 0; i < got.size(); ++i) {
      // Flushing changes only subnormals: a subnormal result, or a zero where the value is a
      // normal number, is not flush-to-zero at work (but, say, an underflow in a cancellation).
      if (got[i].is_subnormal() || (got[i].is_zero() && !c.expected[i].is_zero() && !c.expected[i].is_subnormal() &&
                                    !c.expected[i].is_nan() && !c.expected[i].is_inf()))
        ftz_refuted_ = true;
      ElementError e = measure(got[i], c.expected[i], c.offsets[i]);
      if (!fails(e)) {
        if (subnormal_inputs && !ftz_refuted_) refute_daz(c, i, got[i]);
        account(c, i, got[i], got.size(), e, c.expected[i], c.offsets[i], nullptr);
        continue;
      }
      bool done = false;
      // A convention that brings the value much closer without bringing it within tolerance:
      // the implementation follows it, inaccurately. Scored against it, as a finding.
      std::size_t closest = SIZE_MAX;
      ElementError closest_e;
      std::optional<ref::GoldenValue> closest_alt;
      for (std::size_t k = 0; k < candidates_.size() && !done; ++k) {
        Candidate& cand = candidates_[k];
        if (cand.hits == 0 && (cand.misses >= kMissLimit || cand.idle >= kIdleLimit)) continue;
        auto alt = alternative(k, c, i);
        if (!alt) continue;
        ElementError e2 = measure(got[i], alt->value, alt->offset_ulps);
        if (cand.ftz && got[i].is_zero() && alt->value.is_zero()) e2 = ElementError{};  // either zero
        if (fails(e2)) {
          bool numeric = !e2.nan_mismatch && !e2.inf_mismatch;
          if (!cand.ftz && numeric && e2.ulps * kCloser < e.ulps && (closest == SIZE_MAX || e2.ulps < closest_e.ulps)) {
            closest = k;
            closest_e = e2;
            closest_alt = alt;
            continue;
          }
          // Evidence against the convention only where it changes the value; where it does not,
          // the deviation has another cause and says nothing about it.
          ++(alt->value == c.expected[i] ? cand.idle : cand.misses);
          continue;
        }
        ++cand.hits;
        done = true;
        if (cand.ftz) {  // decided at the end: the rest of the results may refute flushing
          pending_ftz_.push_back({&c, i, got[i], got.size(), e, e2, alt->value, alt->offset_ulps, &cand});
        } else {
          note_convention(cand, c, i, got[i], e);
          account(c, i, got[i], got.size(), e2, alt->value, alt->offset_ulps, &cand);
        }
      }
      if (!done && closest != SIZE_MAX) {
        Candidate& cand = candidates_[closest];
        ++cand.hits;
        done = true;
        note_convention(cand, c, i, got[i], e);
        account(c, i, got[i], got.size(), closest_e, closest_alt->value, closest_alt->offset_ulps, &cand);
      }
      if (!done) account(c, i, got[i], got.size(), e, c.expected[i], c.offsets[i], nullptr);
    }
  }

  void error(const std::string& message) {
    ++r_.case_errors;
    if (r_.errors.size() < kMaxErrors) r_.errors.push_back(message);
  }

  // Settles the values flush-to-zero would explain: only if nothing refuted flushing (a subnormal
  // result, or a subnormal input that was not read as zero where that mattered), else they are
  // findings like any other.
  void finish() {
    for (const auto& p : pending_ftz_) {
      if (ftz_refuted_) {
        account(*p.c, p.i, p.got, p.outputs, p.e, p.c->expected[p.i], p.c->offsets[p.i], nullptr);
      } else {
        note_convention(*p.cand, *p.c, p.i, p.got, p.e);
        account(*p.c, p.i, p.got, p.outputs, p.e_ftz, p.against, p.against_offset, p.cand);
      }
    }
    pending_ftz_.clear();
    reduce_plot();
  }

 private:
  bool fails(const ElementError& e) const {
    bool zero_sign = e.zero_sign_mismatch && fn_.signed_zero_significant;
    bool not_cr = !e.correctly_rounded && !(e.zero_sign_mismatch && !fn_.signed_zero_significant);
    return e.ulps > tolerance_ || e.nan_mismatch || e.inf_mismatch || zero_sign || (profile_.correctly_rounded && not_cr);
  }

  static bool has_subnormal_input(const GoldenCase& c) {
    for (const auto& [name, t] : c.args.inputs)
      for (const auto& v : t.values)
        if (v.is_subnormal()) return true;
    return false;
  }

  // An output that is right although reading its subnormal inputs as zero would have made it
  // wrong: the implementation does not flush inputs (DAZ).
  void refute_daz(const GoldenCase& c, std::size_t i, const ref::FloatBits& got) {
    for (std::size_t k = 0; k < candidates_.size(); ++k) {
      if (!candidates_[k].ftz) continue;
      auto alt = alternative(k, c, i);
      if (alt && alternatives_[k].inputs_flushed && fails(measure(got, alt->value, alt->offset_ulps))) ftz_refuted_ = true;
    }
  }

  // The golden value of output i of case c under candidate k, or nothing when it does not apply.
  std::optional<ref::GoldenValue> alternative(std::size_t k, const GoldenCase& c, std::size_t i) {
    Alternative& a = alternatives_[k];
    if (!a.tried) {
      a.tried = true;
      a.result = evaluate_under(candidates_[k], c);
    }
    if (!a.result || i >= a.result->size()) return std::nullopt;
    ref::GoldenValue v = (*a.result)[i];
    if (candidates_[k].ftz) {
      if (v.value.is_subnormal()) v = {ref::FloatBits::zero(format_, v.value.sign()), 0};
      else if (!a.inputs_flushed) return std::nullopt;  // nothing to flush for this output
    }
    return v;
  }

  std::optional<std::vector<ref::GoldenValue>> evaluate_under(const Candidate& cand, const GoldenCase& c) {
    ref::Arguments args = c.args;
    bool changed = false;
    if (cand.ftz) {
      for (auto& [name, t] : args.inputs)
        for (auto& v : t.values)
          if (v.is_subnormal()) {
            v = ref::FloatBits::zero(format_, v.sign());
            changed = true;
          }
      alternatives_.at(&cand - candidates_.data()).inputs_flushed = changed;
      if (!changed) {  // the golden values themselves; only subnormal results get flushed
        std::vector<ref::GoldenValue> same;
        for (std::size_t i = 0; i < c.expected.size(); ++i) same.push_back({c.expected[i], c.offsets[i]});
        return same;
      }
    } else {
      for (const auto& [k, v] : cand.params) {
        auto it = args.params.find(k);
        const ref::ParamSpec* p = fn_.param(k);
        std::string current = it != args.params.end() ? it->second : p && p->default_value ? *p->default_value : "";
        if (current != v) changed = true;
        args.params[k] = v;
      }
      if (!changed) return std::nullopt;  // the case already is under this convention
    }
    try {
      ref::EvalResult e = reference_.evaluate(fn_, format_, args);
      return std::move(e.values);
    } catch (const std::exception&) {
      return std::nullopt;  // not valid input under the convention: it does not apply
    }
  }

  void note_convention(Candidate& cand, const GoldenCase& c, std::size_t i, const ref::FloatBits& got, const ElementError& e) {
    if (cand.use == SIZE_MAX) {
      cand.use = r_.conventions.size();
      ConventionUse u;
      u.name = cand.name;
      u.description = cand.description;
      u.accepted = cand.accepted;
      u.example = sample(c, i, got, c.expected[i], c.offsets[i], e, problem(e));
      r_.conventions.push_back(std::move(u));
    }
    ++r_.conventions[cand.use].values;
    if (!cand.accepted) ++r_.unaccepted_convention_values;
  }

  std::string problem(const ElementError& e) const {
    if (e.nan_mismatch) return "NaN mismatch";
    if (e.inf_mismatch) return "inf mismatch";
    if (e.zero_sign_mismatch && fn_.signed_zero_significant) return "signed-zero mismatch";
    if (e.ulps > tolerance_) return "over tolerance";
    if (profile_.correctly_rounded && !e.correctly_rounded && !e.zero_sign_mismatch) return "not correctly rounded";
    return "";
  }

  Sample sample(const GoldenCase& c, std::size_t i, const ref::FloatBits& got, const ref::FloatBits& expected,
                double offset, const ElementError& e, std::string problem_text) const {
    Sample s;
    s.location = c.location;
    s.family = c.family;
    for (const auto& in : fn_.inputs) {
      auto it = c.args.inputs.find(in.name);
      if (it == c.args.inputs.end()) continue;
      s.inputs.push_back(tensor_value(in.name, it->second));
      const ref::Tensor& t = it->second;
      std::size_t n = t.values.size() + t.indices.size();
      if (n > 1 && n == c.expected.size()) {  // the element behind this output
        ref::Tensor one;
        if (!t.values.empty()) one.values = {t.values[i]};
        else one.indices = {t.indices[i]};
        NamedValue v = tensor_value(in.name, one);
        v.name = in.name + "[" + std::to_string(i) + "]";
        s.inputs.push_back(v);
      }
    }
    for (const auto& [k, v] : c.args.params) s.params.push_back({k, v, v});
    s.element = i;
    s.outputs = c.expected.size();
    s.got = value_text(got);
    s.expected = value_text(expected);
    s.offset_ulps = offset;
    s.ulps = e.ulps;
    s.problem = std::move(problem_text);
    return s;
  }

  void account(const GoldenCase& c, std::size_t i, const ref::FloatBits& got, std::size_t outputs, const ElementError& e,
               const ref::FloatBits& against, double against_offset, const Candidate* convention) {
    FunctionResult& r = r_;
    ++r.values;
    bool zero_sign = e.zero_sign_mismatch && fn_.signed_zero_significant;
    bool numeric = !e.nan_mismatch && !e.inf_mismatch;
    if (!e.correctly_rounded && !(e.zero_sign_mismatch && !fn_.signed_zero_significant)) ++r.not_correctly_rounded;
    if (numeric && e.ulps > 1) ++r.over_one_ulp;
    if (numeric && e.ulps > tolerance_) ++r.over_tolerance;
    if (e.nan_mismatch) ++r.nan_mismatches;
    if (e.inf_mismatch) ++r.inf_mismatches;
    if (zero_sign) ++r.zero_sign_mismatches;

    std::string what = problem(e);
    if (numeric && (e.ulps > r.max_ulps || (!r.worst && e.ulps > 0))) {
      r.max_ulps = std::max(r.max_ulps, e.ulps);
      r.worst = sample(c, i, got, against, against_offset, e, what);
      if (convention) r.worst->convention = convention->name;
    }
    if (!what.empty() && findings_of_kind_[what]++ < kFindingsPerKind) {
      r.findings.push_back(sample(c, i, got, against, against_offset, e, what));
      if (convention) r.findings.back().convention = convention->name;
    }

    int kind = !numeric || zero_sign ? 2 : e.ulps > tolerance_ ? 1 : convention ? 3 : 0;
    if (auto x = plot_x(c, i, outputs)) points_.push_back({*x, e.ulps, kind});
  }

  // The x of output i: the input element behind it (elementwise, softmax rows), else the
  // largest magnitude of the primary input in its row (row losses) or case (reductions).
  std::optional<double> plot_x(const GoldenCase& c, std::size_t i, std::size_t outputs) {
    if (!primary_) return std::nullopt;
    auto it = c.args.inputs.find(primary_->name);
    if (it == c.args.inputs.end() || it->second.values.empty()) return std::nullopt;
    const ref::Tensor& t = it->second;
    double x;
    int mode;
    if (t.values.size() == outputs) {
      x = t.values[i].to_double();
      mode = 0;
    } else {
      std::size_t lo = 0, hi = t.values.size();
      mode = 2;
      if (t.shape.size() == 2 && t.shape[0] == outputs) {
        lo = i * t.shape[1];
        hi = lo + t.shape[1];
        mode = 1;
      }
      x = 0;
      bool any = false;
      for (std::size_t k = lo; k < hi; ++k) {
        double v = std::fabs(t.values[k].to_double());
        if (std::isnan(v)) continue;
        x = any ? std::max(x, v) : v;
        any = true;
      }
      if (!any) return std::nullopt;
    }
    if (std::isnan(x)) return std::nullopt;
    ++modes_[mode];
    return x;
  }

  void reduce_plot() {
    const std::string n = primary_ ? primary_->name : "input";
    int used = (modes_[0] > 0) + (modes_[1] > 0) + (modes_[2] > 0);
    if (used == 1 && modes_[0]) r_.plot_x = fn_.unary() ? n : n + "[i]";
    else if (used == 1 && modes_[1]) r_.plot_x = "max |" + n + "| of the row";
    else if (used == 1 && modes_[2]) r_.plot_x = "max |" + n + "| of the case";
    else r_.plot_x = n + "[i], or max |" + n + "| of a reduced case";

    // Keep, per x bucket (on a signed log scale) and kind, the point with the largest error.
    double lo = HUGE_VAL;
    for (const auto& p : points_)
      if (p.x != 0 && std::isfinite(p.x)) lo = std::min(lo, std::fabs(p.x));
    auto position = [lo](double x) {
      if (!std::isfinite(x)) return x > 0 ? 1e9 : -1e9;
      double a = std::fabs(x);
      double t = (lo == HUGE_VAL || a < lo) ? a / (lo == HUGE_VAL ? 1 : lo) : 1 + (std::log2(a) - std::log2(lo));
      return x < 0 ? -t : t;
    };
    constexpr int kBuckets = 400;
    double tmin = HUGE_VAL, tmax = -HUGE_VAL;
    for (const auto& p : points_)
      if (std::isfinite(p.x)) {
        tmin = std::min(tmin, position(p.x));
        tmax = std::max(tmax, position(p.x));
      }
    double width = tmax > tmin ? (tmax - tmin) / kBuckets : 1;
    std::map<std::pair<long, int>, PlotPoint> best;
    for (const auto& p : points_) {
      double t = position(p.x);
      long bucket = std::isfinite(p.x) ? static_cast<long>((t - tmin) / width) : (p.x > 0 ? kBuckets + 1 : -2);
      auto key = std::make_pair(bucket, p.kind);
      auto it = best.find(key);
      if (it == best.end() || p.ulps > it->second.ulps) best[key] = p;
    }
    r_.plot.clear();
    for (const auto& [key, p] : best) r_.plot.push_back(p);
    std::sort(r_.plot.begin(), r_.plot.end(), [](const PlotPoint& a, const PlotPoint& b) { return a.x < b.x; });
    points_.clear();
  }

  struct Alternative {
    bool tried = false;
    bool inputs_flushed = false;
    std::optional<std::vector<ref::GoldenValue>> result;
  };

  const FunctionSpec& fn_;
  Format format_;
  const Profile& profile_;
  const ref::Reference& reference_;
  double tolerance_;
  FunctionResult& r_;
  std::vector<Candidate> candidates_;
  std::vector<Alternative> alternatives_;  // per candidate, for the current case
  const ref::InputSpec* primary_;
  std::map<std::string, std::size_t> findings_of_kind_;
  std::vector<PlotPoint> points_;
  std::size_t modes_[3] = {0, 0, 0};
  struct PendingFtz {
    const GoldenCase* c;
    std::size_t i;
    ref::FloatBits got;
    std::size_t outputs;
    ElementError e, e_ftz;
    ref::FloatBits against;
    double against_offset;
    Candidate* cand;
  };
  std::vector<PendingFtz> pending_ftz_;
  bool ftz_refuted_ = false;
};

std::string ulps_text(double u) {
  char buf[32];
  if (std::isinf(u)) return "inf";
  std::snprintf(buf, sizeof buf, u >= 1e6 ? "%.3g" : "%.3f", u);
  return buf;
}

FunctionResult check_one(const FunctionSpec& fn, Format format, const ref::Reference& reference, BatchImplementation& impl,
                         const CheckOptions& options) {
  FunctionResult r;
  r.function = fn.name;
  r.format = std::string(ref::name(format));
  const Profile& profile = options.profile;
  if (profile.correctly_rounded) {
    r.tolerance = 0.5;
  } else {
    auto strict = fn.tolerance.find("strict");
    if (strict == fn.tolerance.end() || !strict->second.count(format)) {
      r.status = "error";
      r.summary = fn.name + " declares no strict tolerance for " + r.format + " in " + fn.file.string();
      return r;
    }
    r.tolerance = strict->second.at(format);
  }

  std::vector<GoldenCase> cases;
  std::string problem = load_cases(fn, format, options.vector_dir, cases);
  if (!problem.empty() || cases.empty()) {
    r.status = "error";
    r.summary = problem.empty() ? "the golden vectors of " + fn.name + " " + r.format + " hold no case" : problem;
    return r;
  }
  r.cases = cases.size();
  std::vector<const ref::Arguments*> args;
  for (const auto& c : cases) args.push_back(&c.args);
  BatchOutcome outcome = impl.run(fn, format, args);

  Scorer scorer(fn, format, profile, reference, r.tolerance, r);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const CaseOutcome& o = i < outcome.cases.size() ? outcome.cases[i] : CaseOutcome{};
    switch (o.status) {
      case CaseOutcome::Status::ok:
        ++r.answered;
        scorer.score(cases[i], o.outputs);
        break;
      case CaseOutcome::Status::unsupported:
        ++r.answered;
        ++r.skipped;
        break;
      case CaseOutcome::Status::error:
        ++r.answered;
        scorer.error(cases[i].location + ": " + o.message);
        break;
      case CaseOutcome::Status::not_run:
        ++r.not_run;
        break;
    }
  }
  if (outcome.incident) {
    const Incident& in = *outcome.incident;
    IncidentRecord rec;
    rec.kind = kind_name(in.kind);
    rec.message = in.message;
    rec.answered = in.answered;
    rec.cases = cases.size();
    if (in.answered < cases.size()) rec.next_case = case_text(fn, cases[in.answered]);
    rec.stderr_tail = in.stderr_tail;
    r.incidents.push_back(std::move(rec));
  }
  scorer.finish();
  decide_verdict(r, profile);
  return r;
}

}  // namespace

bool Profile::accepts(const std::string& convention) const {
  if (accepted.count(convention)) return true;
  if (framework.empty()) return false;
  return convention == framework || convention.rfind(framework + "_", 0) == 0;
}

std::vector<std::string> Profile::accepted_list() const {
  std::vector<std::string> out;
  if (!framework.empty()) out.push_back(framework + ", " + framework + "_*");
  for (const auto& a : accepted) out.push_back(a);
  return out;
}

namespace {

// Framework names: the spec conventions with parameters, up to their first '_'.
std::set<std::string> frameworks(const ref::SpecSet& specs) {
  std::set<std::string> out;
  for (const auto& fn : specs.functions())
    for (const auto& c : fn.conventions)
      if (!c.params.empty()) out.insert(c.name.substr(0, c.name.find('_')));
  return out;
}

std::set<std::string> convention_names(const ref::SpecSet& specs) {
  std::set<std::string> out{kFlushToZero};
  for (const auto& fn : specs.functions())
    for (const auto& c : fn.conventions)
      if (!c.params.empty()) out.insert(c.name);
  return out;
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

}  // namespace

std::vector<std::string> known_profiles(const ref::SpecSet& specs) {
  std::vector<std::string> out{"strict", "exact"};
  for (const auto& f : frameworks(specs)) out.push_back("framework:" + f);
  return out;
}

Profile parse_profile(const std::string& text, const ref::SpecSet& specs, const std::vector<std::string>& accept) {
  Profile p;
  p.name = text;
  auto known = [&] {
    std::string s;
    for (const auto& k : known_profiles(specs)) s += (s.empty() ? "" : ", ") + k;
    return s;
  };
  if (text == "exact") {
    p.correctly_rounded = true;
  } else if (text.rfind("framework:", 0) == 0) {
    p.framework = text.substr(10);
    if (!frameworks(specs).count(p.framework))
      throw CheckUsageError("unknown profile '" + text + "': no spec has a convention of '" + p.framework + "' (known profiles: " +
                            known() + ")");
  } else if (text != "strict") {
    throw CheckUsageError("unknown profile '" + text + "' (known profiles: " + known() + ")");
  }
  auto names = convention_names(specs);
  for (const auto& a : accept) {
    if (!names.count(a)) throw CheckUsageError("unknown convention '" + a + "' (known: " + join(names) + ")");
    p.accepted.insert(a);
  }
  return p;
}

void decide_verdict(FunctionResult& r, const Profile& profile) {
  if (r.status == "error") return;
  std::vector<std::string> why;
  for (const auto& in : r.incidents) {
    std::string s = in.message + " after answering " + std::to_string(in.answered) + " of " + std::to_string(in.cases) + " cases";
    why.push_back(s);
  }
  if (r.case_errors) {
    std::string first = r.errors.empty() ? "" : ": " + r.errors.front();
    why.push_back(std::to_string(r.case_errors) + (r.case_errors == 1 ? " case failed" : " cases failed") + first);
  }
  if (r.over_tolerance)
    why.push_back(std::to_string(r.over_tolerance) + " values over " + ulps_text(r.tolerance) + " ulp (max " + ulps_text(r.max_ulps) + ")");
  if (r.nan_mismatches) why.push_back(std::to_string(r.nan_mismatches) + " NaN mismatches");
  if (r.inf_mismatches) why.push_back(std::to_string(r.inf_mismatches) + " inf mismatches");
  if (r.zero_sign_mismatches) why.push_back(std::to_string(r.zero_sign_mismatches) + " signed-zero mismatches");
  if (profile.correctly_rounded && r.not_correctly_rounded)
    why.push_back(std::to_string(r.not_correctly_rounded) + " values not correctly rounded");
  for (const auto& c : r.conventions)
    if (!c.accepted)
      why.push_back(std::to_string(c.values) + " values follow the " + c.name + " convention, which profile " + profile.name +
                    " does not accept");
  if (!why.empty()) {
    r.status = "fail";
    std::string s;
    for (const auto& w : why) s += (s.empty() ? "" : "; ") + w;
    r.summary = s;
    return;
  }
  if (r.values == 0) {
    r.status = "skip";
    r.summary = "no case compared: the implementation skipped all " + std::to_string(r.skipped) + " cases as unsupported";
    return;
  }
  r.status = "pass";
  std::string s = "max " + ulps_text(r.max_ulps) + " ulp over " + std::to_string(r.values) + " values";
  if (r.not_correctly_rounded) s += ", " + std::to_string(r.not_correctly_rounded) + " not correctly rounded";
  else s += ", all correctly rounded";
  std::size_t explained = 0;
  for (const auto& c : r.conventions) explained += c.values;
  if (explained) s += "; " + std::to_string(explained) + " values scored against conventions";
  if (r.skipped) s += "; " + std::to_string(r.skipped) + " cases unsupported";
  r.summary = s;
}

CheckResult run_check(const ref::SpecSet& specs, const ref::Reference& reference, BatchImplementation& impl,
                      const CheckOptions& options) {
  std::vector<const FunctionSpec*> fns;
  if (options.functions.empty()) {
    for (const auto& fn : specs.functions()) fns.push_back(&fn);
  } else {
    for (const auto& name : options.functions) {
      const FunctionSpec* fn = specs.find(name);
      if (!fn) throw CheckUsageError("unknown function '" + name + "' (nnconform list shows the functions)");
      if (std::find(fns.begin(), fns.end(), fn) == fns.end()) fns.push_back(fn);
    }
  }
  std::vector<Format> formats = options.formats;
  if (formats.empty()) formats.assign(std::begin(ref::kAllFormats), std::end(ref::kAllFormats));

  CheckResult result;
  result.implementation = impl.name();
  result.description = impl.description();
  result.profile = options.profile.name;
  result.accepted_conventions = options.profile.accepted_list();
  for (const FunctionSpec* fn : fns) {
    std::vector<std::string> missing;
    for (Format f : formats) {
      if (!impl.supports(*fn, f)) {
        missing.emplace_back(ref::name(f));
        continue;
      }
      if (options.on_start) options.on_start(fn->name, f);
      auto t0 = std::chrono::steady_clock::now();
      result.results.push_back(check_one(*fn, f, reference, impl, options));
      result.results.back().seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (options.on_result) options.on_result(result.results.back());
    }
    if (missing.size() == formats.size()) {
      result.not_implemented.push_back(fn->name);
    } else if (!missing.empty() && !options.formats.empty()) {  // formats asked for by name
      std::string s = fn->name + " (";
      for (std::size_t i = 0; i < missing.size(); ++i) s += (i ? ", " : "") + missing[i];
      result.not_implemented.push_back(s + ")");
    }
  }
  return result;
}

}  // namespace nnconform::conformance
