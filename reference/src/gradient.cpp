// Proving gradient formulas: forward-mode interval AD of the forward formula against the
// spec's gradient formula (see Reference::check_gradient in evaluator.hpp).
#include <sstream>

#include "dual.hpp"
#include "machine.hpp"
#include "nnconform/ref/evaluator.hpp"

namespace nnconform::ref {
namespace {

using detail::Dual;
using detail::exact_interval;
using IntervalMachine = detail::MachineT<Interval>;
using DualMachine = detail::MachineT<Dual>;

// Direction and upstream entries: small dyadic numbers, distinct and never zero, so that the
// contractions are exact-friendly and no component is ignored.
Interval direction_entry(std::uint64_t seed, std::size_t i, mpfr_prec_t p) {
  std::uint64_t h = (seed + 0x9e3779b97f4a7c15ULL * (i + 1)) * 0xbf58476d1ce4e5b9ULL;
  long k = static_cast<long>((h >> 40) % 15) - 7;  // -7..7
  if (k == 0) k = 8;
  return Interval::from_long(k, p) / Interval::from_long(4, p);
}

std::string text(const Interval& v) {
  if (v.nan) return "nan";
  std::ostringstream os;
  os << "[" << mpfr_get_d(v.lo, MPFR_RNDD) << ", " << mpfr_get_d(v.hi, MPFR_RNDU) << "]";
  return os.str();
}

bool finite(const Interval& v) { return !v.nan && !v.maybe_nan && mpfr_number_p(v.lo) && mpfr_number_p(v.hi); }

}  // namespace

Reference::GradientCheck Reference::check_gradient(const FunctionSpec& fn, const std::string& wrt, const Arguments& args,
                                                   std::uint64_t direction_seed, long precision) const {
  use_widest_mpfr_exponent_range();
  auto formula = fn.gradients.find(wrt);
  if (formula == fn.gradients.end()) throw EvalError(fn.name + ": no gradient formula for '" + wrt + "'");
  const mpfr_prec_t p = precision;
  DualMachine dm(specs_, p);
  IntervalMachine im(specs_, p);

  // Forward formula on Duals: the seeded direction on `wrt`, zero derivatives elsewhere.
  std::map<std::string, DualMachine::Value> denv = dm.bind_params(fn, args.params, Format::binary64);
  std::map<std::string, IntervalMachine::Value> ienv = im.bind_params(fn, args.params, Format::binary64);
  std::vector<Interval> direction;
  for (const auto& [name, t] : args.inputs) {
    const InputSpec* in = fn.input(name);
    if (!in) throw EvalError(fn.name + ": unknown input '" + name + "'");
    DualMachine::Value dv;
    IntervalMachine::Value iv;
    dv.vector = iv.vector = in->shape == Shape::vector;
    if (!dv.vector && t.size() != 1) throw EvalError(fn.name + ": gradients are checked on one sample");
    for (std::size_t i = 0; i < t.size(); ++i) {
      Interval x = t.indices.empty() ? exact_interval(t.values[i], p) : Interval::from_long(t.indices[i], p);
      Interval d = Interval::from_long(0, p);
      if (name == wrt) {
        d = dv.vector ? direction_entry(direction_seed, i, p) : Interval::from_long(1, p);
        direction.push_back(d);
      }
      iv.reals.push_back(x);
      dv.reals.push_back({x, d});
    }
    denv[name] = std::move(dv);
    ienv[name] = std::move(iv);
  }
  if (const ParamSpec* ps = fn.param(wrt)) {
    if (ps->type != ParamType::real) throw EvalError(fn.name + ": '" + wrt + "' is not a real parameter");
    auto& v = denv.at(wrt).reals.at(0);
    v.d = Interval::from_long(1, p);
    direction.push_back(v.d);
  }
  if (direction.empty()) throw EvalError(fn.name + ": '" + wrt + "' is not given");

  detail::reset_kinks();
  DualMachine::Value out = dm.call(fn, denv);
  GradientCheck check;
  if (detail::kink_seen()) return check;  // not differentiable along this direction

  // Contract with the upstream gradient g (ones for a scalar output: J v itself).
  IntervalMachine::Value g;
  g.vector = fn.output == Shape::vector;
  Interval jv = Interval::from_long(0, p);
  for (std::size_t j = 0; j < out.reals.size(); ++j) {
    Interval gj = g.vector ? direction_entry(direction_seed ^ 0x5555, j, p) : Interval::from_long(1, p);
    jv = jv + gj * out.reals[j].d;
    g.reals.push_back(gj);
  }
  ienv["g"] = g;

  // The gradient formula, contracted with the direction.
  IntervalMachine::Value grad = im.call_with(fn, ienv, formula->second.expr.get());
  if (grad.reals.size() != direction.size())
    throw EvalError(fn.name + ": gradient '" + wrt + "' has " + std::to_string(grad.reals.size()) +
                    " entries, the input has " + std::to_string(direction.size()));
  Interval gv = Interval::from_long(0, p);
  for (std::size_t i = 0; i < direction.size(); ++i) gv = gv + grad.reals[i] * direction[i];

  check.formula = text(gv);
  check.derivative = text(jv);
  if (!finite(gv) || !finite(jv)) return check;
  check.checked = true;
  check.agrees = !(mpfr_less_p(gv.hi, jv.lo) || mpfr_less_p(jv.hi, gv.lo));
  return check;
}

}  // namespace nnconform::ref
