#include "nnconform/ref/evaluator.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <optional>
#include <sstream>

#include "machine.hpp"
#include "nnconform/ref/interval.hpp"

namespace nnconform::ref {
namespace {

using detail::decimal_interval;
using detail::exact_interval;
using Machine = detail::MachineT<Interval>;
using Value = Machine::Value;

// Rounds one end of an enclosure. An excluded end stands for the values just inside it: a
// nudge by a quarter step of a finer grid than the end's own lands strictly between the end and
// the next value of its grid, where no rounding boundary of any format lies (boundaries have at
// most p + 1 bits), so it rounds as every exact value near the end does.
FloatBits round_end(mpfr_srcptr end, bool excluded, bool upward, Format format) {
  if (!excluded || mpfr_inf_p(end)) return round_to_format(end, format);
  MpfrValue nudged(std::max<mpfr_prec_t>(mpfr_get_prec(end), 128) + 2);
  mpfr_set(nudged, end, MPFR_RNDN);  // exact: more bits
  if (upward) {
    mpfr_nextabove(nudged);
  } else {
    mpfr_nextbelow(nudged);
  }
  return round_to_format(nudged, format);
}

// Rounds an enclosure to the format when both ends agree (see interval.hpp for the flags).
std::optional<FloatBits> decide(const Interval& v, Format format) {
  if (v.nan) return FloatBits::quiet_nan(format);
  if (v.maybe_nan) return std::nullopt;
  bool lo_inf = mpfr_inf_p(v.lo), hi_inf = mpfr_inf_p(v.hi);
  FloatBits lo = round_end(v.lo, v.lo_excluded(), true, format);
  FloatBits hi = round_end(v.hi, v.hi_excluded(), false, format);
  if ((lo_inf || hi_inf) && !v.is_true_infinity()) {
    // An infinite end that is not a true infinity is an MPFR overflow and never decides. The
    // finite end may: when it already rounds to the format's infinity, so does every value
    // beyond it (exp(1e308) overflows binary64 whatever MPFR's exponent range).
    if (hi_inf && !lo_inf && lo.is_inf() && !lo.sign()) return lo;
    if (lo_inf && !hi_inf && hi.is_inf() && hi.sign()) return hi;
    return std::nullopt;
  }
  if (lo.is_zero() && hi.is_zero()) {
    // An exact zero is +0; an underflowed value keeps the sign of the exact value.
    if (v.is_exact_zero() || mpfr_sgn(v.lo) >= 0) return FloatBits::zero(format, false);
    if (mpfr_sgn(v.hi) <= 0 && (v.nonzero || v.hi_excluded())) return FloatBits::zero(format, true);
    return std::nullopt;
  }
  if (lo == hi) return lo;
  return std::nullopt;
}

double offset_in_ulps(const Interval& v, const FloatBits& golden) {
  if (golden.is_nan() || golden.is_inf()) return std::nan("");
  const FormatInfo& f = info(golden.format);
  mpfr_prec_t p = v.precision() + 8;
  MpfrValue mid(p), g(p), d(p);
  mpfr_add(mid, v.lo, v.hi, MPFR_RNDN);
  mpfr_div_2ui(mid, mid, 1, MPFR_RNDN);
  to_mpfr(golden, g);
  mpfr_sub(d, mid, g, MPFR_RNDN);
  if (mpfr_zero_p(d)) return 0;
  // ulp of the golden value's binade, the subnormal quantum at the bottom.
  long min_quantum_exp = (1 - f.bias) - (f.precision - 1);
  long e = golden.is_zero() ? min_quantum_exp : std::max<long>(mpfr_get_exp(g) - 1 - (f.precision - 1), min_quantum_exp);
  mpfr_mul_2si(d, d, -e, MPFR_RNDN);
  return mpfr_get_d(d, MPFR_RNDN);
}

std::string element_text(const Tensor& t, std::size_t i) {
  if (!t.indices.empty()) return std::to_string(t.indices[i]);
  return to_hex(t.values[i]);
}

}  // namespace

std::size_t Tensor::size() const {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
}

std::string describe(const Tensor& t) {
  std::ostringstream os;
  std::size_t n = t.size();
  if (t.shape.empty()) return element_text(t, 0);
  std::size_t row = t.shape.back();
  os << "[";
  for (std::size_t i = 0; i < n && i < 24; ++i) {
    if (i) os << (i % row == 0 ? "; " : ", ");
    os << element_text(t, i);
  }
  if (n > 24) os << ", ... (" << n << " values)";
  os << "]";
  return os.str();
}

Tensor parse_tensor(const std::string& written, Format format, InputType type) {
  // "[v]" is a one-element vector, and any value may be bracketed as error messages print it.
  bool bracketed = written.size() >= 2 && written.front() == '[' && written.back() == ']';
  const std::string text = bracketed ? written.substr(1, written.size() - 2) : written;
  Tensor t;
  std::vector<std::string> rows;
  std::stringstream rs(text);
  std::string row;
  while (std::getline(rs, row, ';')) rows.push_back(row);
  if (text.empty() || rows.empty()) throw EvalError("empty value");
  std::size_t width = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::vector<std::string> cells;
    std::stringstream cs(rows[r]);
    std::string cell;
    while (std::getline(cs, cell, ',')) cells.push_back(cell);
    if (!rows[r].empty() && rows[r].back() == ',') cells.push_back("");
    if (r == 0) width = cells.size();
    else if (cells.size() != width)
      throw EvalError("row " + std::to_string(r) + " has " + std::to_string(cells.size()) + " values, row 0 has " +
                      std::to_string(width));
    for (auto& c : cells) {
      auto first = c.find_first_not_of(" \t");
      auto last = c.find_last_not_of(" \t");
      c = first == std::string::npos ? "" : c.substr(first, last - first + 1);
      if (type == InputType::index) {
        std::size_t used = 0;
        long v = 0;
        try {
          v = std::stol(c, &used);
        } catch (...) {
          used = 0;
        }
        if (c.empty() || used != c.size()) throw EvalError("'" + c + "' is not an integer class index");
        t.indices.push_back(v);
      } else {
        auto v = parse_value(c, format);
        if (!v) throw EvalError("'" + c + "' is not a number (decimal, hex float, inf, -inf or nan)");
        t.values.push_back(*v);
      }
    }
  }
  if (rows.size() > 1) t.shape = {rows.size(), width};
  else if (width > 1 || bracketed || text.find(',') != std::string::npos) t.shape = {width};
  return t;
}

Reference::Reference(const SpecSet& specs, EvalOptions options) : specs_(specs), options_(options) {
  use_widest_mpfr_exponent_range();
}

namespace {

struct Sample {
  std::map<std::string, FloatBits> scalars;           // real scalar inputs
  std::map<std::string, std::vector<FloatBits>> rows;  // real vector inputs
  std::map<std::string, long> indices;
  std::map<std::string, FloatBits> channel_params;  // per-channel parameters, this element's
  std::string describe_text;
  std::size_t index = 0;  // position in the batch
};

bool has_nan(const Sample& s) {
  for (const auto& [name, v] : s.scalars)
    if (v.is_nan()) return true;
  return false;
}

}  // namespace

// What evaluate_gradient asks of evaluate_impl: the gradient formula instead of the forward
// one, and the upstream gradient of vector outputs.
struct Reference::GradientRequest {
  std::string wrt;
  const Definition* formula = nullptr;
  std::optional<Tensor> upstream;  // "g"; ones when absent
};

EvalResult Reference::evaluate(const FunctionSpec& fn, Format format, const Arguments& args) const {
  return evaluate_impl(fn, format, args, nullptr);
}

EvalResult Reference::evaluate_gradient(const FunctionSpec& fn, const std::string& wrt, Format format,
                                        const Arguments& args) const {
  auto it = fn.gradients.find(wrt);
  if (it == fn.gradients.end()) {
    std::string known;
    for (const auto& [name, g] : fn.gradients) known += (known.empty() ? "" : ", ") + name;
    throw EvalError(fn.name + ": the spec gives no gradient with respect to '" + wrt + "'" +
                    (known.empty() ? " (it has none yet)" : " (it has: " + known + ")"));
  }
  GradientRequest request{wrt, &it->second, std::nullopt};
  Arguments forward = args;
  auto g = forward.inputs.find("g");
  if (g != forward.inputs.end() && !fn.input("g")) {
    request.upstream = g->second;
    forward.inputs.erase(g);
  }
  return evaluate_impl(fn, format, forward, &request);
}

EvalResult Reference::evaluate_impl(const FunctionSpec& fn, Format format, const Arguments& args,
                                    const GradientRequest* gradient) const {
  // MPFR's exponent range is per thread: set it in whichever thread evaluates.
  use_widest_mpfr_exponent_range();
  // --- Validate names, parameters and inputs. ---
  for (const auto& [name, t] : args.inputs)
    if (!fn.input(name)) throw EvalError(fn.name + ": unknown input '" + name + "'");
  for (const auto& [name, v] : args.params) {
    const ParamSpec* p = fn.param(name);
    if (!p) throw EvalError(fn.name + ": unknown parameter '" + name + "'");
  }
  for (const auto& ps : fn.params) {
    auto it = args.params.find(ps.name);
    if (it == args.params.end()) {
      if (ps.required) throw EvalError(fn.name + ": missing required parameter '" + ps.name + "'");
      continue;
    }
    const std::string& text = it->second;
    if (ps.type == ParamType::enumeration) {
      if (std::find(ps.values.begin(), ps.values.end(), text) == ps.values.end()) {
        std::string all;
        for (const auto& v : ps.values) all += (all.empty() ? "" : ", ") + v;
        throw EvalError(fn.name + ": parameter '" + ps.name + "' must be one of " + all + ", not '" + text + "'");
      }
      continue;
    }
    Format param_format = ps.type == ParamType::real && !ps.exact ? format : Format::binary64;
    std::vector<FloatBits> values;
    if (ps.per_channel && text.find(',') != std::string::npos) {
      try {
        values = parse_tensor(text, param_format, InputType::real).values;
      } catch (const EvalError& e) {
        throw EvalError(fn.name + ": parameter '" + ps.name + "': " + e.what());
      }
    } else if (auto v = parse_value(text, param_format)) {
      values.push_back(*v);
    } else {
      throw EvalError(fn.name + ": parameter '" + ps.name + "' = '" + text + "' is not a number" +
                      (text.find(',') != std::string::npos ? " (it is not a per-channel parameter)" : ""));
    }
    for (const FloatBits& v : values) {
      double d = v.to_double();
      if (std::isnan(d)) throw EvalError(fn.name + ": parameter '" + ps.name + "' must not be NaN");
      if (ps.type == ParamType::integer && std::floor(d) != d)
        throw EvalError(fn.name + ": parameter '" + ps.name + "' must be an integer, not '" + text + "'");
      if (ps.range && !ps.range->contains(d))
        throw EvalError(fn.name + ": parameter '" + ps.name + "' = " + to_shortest_decimal(v) +
                        " is outside its range " + ps.range->str());
    }
  }
  for (const auto& in : fn.inputs) {
    auto it = args.inputs.find(in.name);
    if (it == args.inputs.end()) {
      if (in.optional) continue;
      throw EvalError(fn.name + ": missing input '" + in.name + "'");
    }
    const Tensor& t = it->second;
    if ((in.type == InputType::index) != !t.indices.empty() && t.size() > 0)
      throw EvalError(fn.name + ": input '" + in.name + "' must hold " +
                      (in.type == InputType::index ? "integer class indices" : "real numbers"));
    if (t.shape.size() > 2) throw EvalError(fn.name + ": input '" + in.name + "' has more than 2 dimensions");
    if (in.shape == Shape::vector && t.shape.empty())
      throw EvalError(fn.name + ": input '" + in.name + "' must be a vector (comma-separated), not a scalar");
    if (in.shape == Shape::scalar && !fn.elementwise() && t.shape.size() > 1)
      throw EvalError(fn.name + ": input '" + in.name + "' is one scalar per row, not a matrix");
    if (t.size() == 0) throw EvalError(fn.name + ": input '" + in.name + "' is empty");
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      const FloatBits& v = t.values[i];
      if (v.is_nan()) {
        if (!in.nan_allowed)
          throw EvalError(fn.name + ": input '" + in.name + "' element " + std::to_string(i) +
                          " is NaN, which the spec forbids");
        continue;
      }
      if (in.domain && !in.domain->contains(v.to_double()))
        throw EvalError(fn.name + ": input '" + in.name + "' element " + std::to_string(i) + " = " +
                        to_shortest_decimal(v) + " is outside its domain " + in.domain->str());
    }
  }

  // --- Arrange the samples. ---
  std::vector<Sample> samples;
  std::vector<std::size_t> sample_shape;  // shape of the batch of samples
  bool transposed = false;
  std::map<std::string, Tensor> inputs = args.inputs;
  if (fn.elementwise()) {
    for (const auto& in : fn.inputs) {
      if (!inputs.count(in.name)) continue;
      const Tensor& t = inputs.at(in.name);
      if (t.shape.empty()) continue;
      if (sample_shape.empty()) sample_shape = t.shape;
      else if (t.shape != sample_shape)
        throw EvalError(fn.name + ": inputs have different shapes (" + in.name + " is " + describe(t) + ")");
    }
    std::size_t n = std::accumulate(sample_shape.begin(), sample_shape.end(), std::size_t{1}, std::multiplies<>());
    for (std::size_t i = 0; i < n; ++i) {
      Sample s;
      for (const auto& in : fn.inputs) {
        if (!inputs.count(in.name)) continue;
        const Tensor& t = inputs.at(in.name);
        std::size_t k = t.shape.empty() ? 0 : i;
        if (in.type == InputType::index) s.indices[in.name] = t.indices[k];
        else s.scalars[in.name] = t.values[k];
        s.describe_text += (s.describe_text.empty() ? "" : " ") + in.name + "=" + element_text(t, k);
      }
      for (const auto& ps : fn.params) {
        auto it = args.params.find(ps.name);
        if (!ps.per_channel || it == args.params.end() || it->second.find(',') == std::string::npos) continue;
        Tensor channels = parse_tensor(it->second, ps.exact ? Format::binary64 : format, InputType::real);
        std::size_t c = channels.values.size();
        if (sample_shape.empty() || sample_shape.back() != c)
          throw EvalError(fn.name + ": parameter '" + ps.name + "' has " + std::to_string(c) +
                          " values (one per channel) but the inputs have " +
                          (sample_shape.empty() ? std::string("no channel axis") :
                           std::to_string(sample_shape.back()) + " channels (last axis)"));
        s.channel_params[ps.name] = channels.values[i % c];
        s.describe_text += " " + ps.name + "=" + to_hex(channels.values[i % c]);
      }
      s.index = samples.size();
      samples.push_back(std::move(s));
    }
  } else {
    // Row functions: vector inputs are [C] (one sample) or [N, C] (a batch of N rows).
    auto axis = args.params.find("axis");
    if (axis != args.params.end() && (axis->second == "0" || axis->second == "-2")) {
      for (auto& [name, t] : inputs) {
        if (fn.input(name)->shape != Shape::vector || t.shape.size() != 2) continue;
        Tensor tt = t;
        std::size_t r = t.shape[0], c = t.shape[1];
        tt.shape = {c, r};
        for (std::size_t i = 0; i < r; ++i)
          for (std::size_t j = 0; j < c; ++j) tt.values[j * r + i] = t.values[i * c + j];
        t = tt;
        transposed = true;
      }
    }
    std::optional<std::size_t> batch;
    bool batched = false;
    for (const auto& in : fn.inputs) {
      if (!inputs.count(in.name)) continue;
      const Tensor& t = inputs.at(in.name);
      std::size_t rows = 1;
      bool is_batch = (in.shape == Shape::vector && t.shape.size() == 2) || (in.shape == Shape::scalar && t.shape.size() == 1);
      if (is_batch) {
        rows = t.shape[0];
        batched = true;
        if (batch && *batch != rows)
          throw EvalError(fn.name + ": input '" + in.name + "' has " + std::to_string(rows) + " rows, another input has " +
                          std::to_string(*batch));
        batch = rows;
      }
    }
    std::size_t n = batch.value_or(1);
    if (batched) sample_shape = {n};
    for (std::size_t r = 0; r < n; ++r) {
      Sample s;
      for (const auto& in : fn.inputs) {
        if (!inputs.count(in.name)) continue;
        const Tensor& t = inputs.at(in.name);
        bool is_batch = t.shape.size() == (in.shape == Shape::vector ? 2u : 1u);
        if (in.shape == Shape::vector) {
          std::size_t width = t.shape.back();
          std::size_t start = is_batch ? r * width : 0;
          std::vector<FloatBits> row(t.values.begin() + start, t.values.begin() + start + width);
          s.rows[in.name] = row;
          Tensor shown{{width}, row, {}};
          s.describe_text += (s.describe_text.empty() ? "" : " ") + in.name + "=" + describe(shown);
        } else {
          std::size_t k = is_batch ? r : 0;
          if (in.type == InputType::index) s.indices[in.name] = t.indices[k];
          else s.scalars[in.name] = t.values[k];
          s.describe_text += (s.describe_text.empty() ? "" : " ") + in.name + "=" + element_text(t, k);
        }
      }
      s.index = samples.size();
      samples.push_back(std::move(s));
    }
  }

  std::string reduction = "none";
  if (fn.reduction) {
    auto it = args.params.find("reduction");
    reduction = it != args.params.end() ? it->second : fn.param("reduction")->default_value.value_or("mean");
  }

  // --- Evaluate with Ziv's strategy. ---
  // The upstream gradient of one sample: its row of the given g, else ones (for a vector
  // output, as many as the forward formula gives).
  std::function<Value(Machine&, const Sample&, std::map<std::string, Value>&, mpfr_prec_t)> upstream_for =
      [&](Machine& m, const Sample& s, std::map<std::string, Value>& env, mpfr_prec_t p) {
        Value g;
        if (fn.output == Shape::scalar) {
          g = Value::scalar(Interval::from_long(1, p));
          return g;
        }
        g.vector = true;
        if (gradient->upstream) {
          const Tensor& t = *gradient->upstream;
          std::size_t width = t.shape.empty() ? 1 : t.shape.back();
          std::size_t start = t.shape.size() == 2 ? s.index * width : 0;
          if (t.shape.size() == 2 && s.index >= t.shape[0])
            throw EvalError(fn.name + ": the upstream gradient g has fewer rows than the inputs");
          // g has the forward output's shape (2n for crelu, n/k for maxout...).
          std::size_t outputs = m.call(fn, env).reals.size();
          if (width != outputs)
            throw EvalError(fn.name + ": the upstream gradient g has " + std::to_string(width) +
                            " entries per sample, the output " + std::to_string(outputs));
          for (std::size_t i = 0; i < width; ++i) g.reals.push_back(exact_interval(t.values.at(start + i), p));
          return g;
        }
        std::size_t n = m.call(fn, env).reals.size();
        for (std::size_t i = 0; i < n; ++i) g.reals.push_back(Interval::from_long(1, p));
        return g;
      };
  auto env_for = [&](Machine& m, const Sample& s, mpfr_prec_t p) {
    std::map<std::string, Value> env = m.bind_params(fn, args.params, format);
    for (const auto& [name, v] : s.channel_params) env[name] = Value::scalar(exact_interval(v, p));
    for (const auto& [name, v] : s.scalars) env[name] = Value::scalar(exact_interval(v, p));
    for (const auto& [name, v] : s.indices) env[name] = Value::scalar(Interval::from_long(v, p));
    for (const auto& [name, row] : s.rows) {
      Value val;
      val.vector = true;
      for (const auto& x : row) val.reals.push_back(exact_interval(x, p));
      env[name] = std::move(val);
    }
    if (gradient) env["g"] = upstream_for(m, s, env, p);
    return env;
  };
  auto special_at_top = [&](const Sample& s) -> std::optional<FloatBits> {
    for (const auto& sv : fn.special_values) {
      bool match = !sv.inputs.empty();
      for (const auto& [name, text] : sv.inputs) {
        auto it = s.scalars.find(name);
        auto want = parse_value(text, format);
        if (it == s.scalars.end() || !want) { match = false; break; }
        bool eq = want->is_nan() ? it->second.is_nan()
                                 : (want->is_zero() ? it->second == *want : it->second.to_double() == want->to_double());
        if (!eq) { match = false; break; }
      }
      if (match) return parse_value(sv.result, format);
    }
    return std::nullopt;
  };

  EvalResult result;
  auto ziv = [&](const std::function<std::vector<Interval>(Machine&, mpfr_prec_t)>& evaluate_at,
                 const std::string& where) {
    for (long p = options_.start_precision;; p *= 2) {
      if (p > options_.max_precision) p = options_.max_precision;
      Machine m(specs_, p);
      std::vector<Interval> enclosures;
      try {
        enclosures = evaluate_at(m, p);
      } catch (const EvalError& e) {
        throw EvalError(fn.name + " at " + where + ": " + e.what());
      }
      std::vector<GoldenValue> out;
      bool all = true;
      for (const auto& v : enclosures) {
        auto d = decide(v, format);
        if (!d) {
          all = false;
          break;
        }
        out.push_back({*d, offset_in_ulps(v, *d)});
      }
      result.max_precision_used = std::max(result.max_precision_used, p);
      if (all) return out;
      if (p >= options_.max_precision)
        throw UndecidedError(fn.name + " in " + std::string(name(format)) + " at " + where +
                             ": the enclosure does not round to one value at " + std::to_string(p) +
                             " bits (raise --max-precision, or write the formula in an exponent-safe form)");
    }
  };

  // The gradient of a reduced loss: each sample's gradient divided by n or by the total weight
  // for a mean, inside the enclosure (so that the scaled value is what is rounded). A division,
  // not a product with 1/n: x / 15 of an exact x is exact when it is representable (possibly a
  // midpoint, which ties to even), while x * [1/15] never narrows to a point.
  auto gradient_divisor = [&](Machine& m, mpfr_prec_t p) {
    if (reduction != "mean") return Interval::from_long(1, p);
    if (!fn.reduction->weight) return Interval::from_long(static_cast<long>(samples.size()), p);
    Interval weight = Interval::from_long(0, p);
    for (const auto& s : samples) {
      auto env = env_for(m, s, p);
      for (const auto& in : fn.inputs)
        if (in.default_expr && !env.count(in.name)) env[in.name] = m.eval(*in.default_expr, fn, env);
      for (const auto& def : fn.definitions) env[def.name] = m.eval(*def.expr, fn, env);
      weight = weight + m.eval(*fn.reduction->weight->expr, fn, env).reals.at(0);
    }
    return weight;
  };

  if (!gradient && (reduction == "mean" || reduction == "sum")) {
    std::string where = samples.size() == 1 ? samples[0].describe_text : std::to_string(samples.size()) + " samples";
    auto values = ziv(
        [&](Machine& m, mpfr_prec_t p) {
          Interval total = Interval::from_long(0, p);
          Interval weight = Interval::from_long(0, p);
          for (const auto& s : samples) {
            auto env = env_for(m, s, p);
            total = total + m.call(fn, env).reals.at(0);
            if (fn.reduction->weight) {
              for (const auto& in : fn.inputs)
                if (in.default_expr && !env.count(in.name)) env[in.name] = m.eval(*in.default_expr, fn, env);
              for (const auto& def : fn.definitions) env[def.name] = m.eval(*def.expr, fn, env);
              weight = weight + m.eval(*fn.reduction->weight->expr, fn, env).reals.at(0);
            }
          }
          if (reduction == "mean") {
            // PyTorch's weighted mean divides by the total weight; an unweighted one by n.
            total = total / (fn.reduction->weight ? weight : Interval::from_long(static_cast<long>(samples.size()), p));
          }
          return std::vector<Interval>{total};
        },
        where);
    result.values = values;
    return result;
  }

  std::size_t out_width = 0;
  Shape per_sample = fn.output;
  if (gradient) {
    const InputSpec* in = fn.input(gradient->wrt);
    per_sample = in && in->shape == Shape::vector ? Shape::vector : Shape::scalar;
  }
  for (const auto& s : samples) {
    if (!gradient) {
      if (auto sv = special_at_top(s)) {
        result.values.push_back({*sv, 0});
        out_width = 1;
        continue;
      }
    }
    auto values = ziv(
        [&](Machine& m, mpfr_prec_t p) {
          if (!gradient) return m.call(fn, env_for(m, s, p)).reals;
          // NaN in, NaN out, for the gradients of elementwise functions too: where the function
          // is NaN at a sample (a NaN input, by default) it has no derivative, even where the
          // formula does not read the NaN input (BCE's d/dy does not read y). Rows keep their
          // formula's entries (the gradient of a row loss at a finite entry of a row holding a
          // NaN elsewhere is what the formula gives, as in the frameworks' autograd).
          if (s.rows.empty() && has_nan(s)) {
            Value forward = m.call(fn, env_for(m, s, p));
            if (std::any_of(forward.reals.begin(), forward.reals.end(), [](const Interval& x) { return x.nan; }))
              return std::vector<Interval>(1, Interval::nan_value(p));
          }
          Value v = m.call_with(fn, env_for(m, s, p), gradient->formula->expr.get());
          if (fn.reduction && reduction != "none") {
            Interval divisor = gradient_divisor(m, p);
            for (auto& x : v.reals) x = x / divisor;
          }
          return v.reals;
        },
        s.describe_text);
    if (per_sample == Shape::vector) {
      if (out_width && values.size() != out_width) throw EvalError(fn.name + ": rows of different lengths");
      out_width = values.size();
    }
    result.values.insert(result.values.end(), values.begin(), values.end());
  }
  result.shape = sample_shape;
  if (per_sample == Shape::vector) result.shape.push_back(out_width);
  if (transposed && result.shape.size() == 2) {
    std::size_t r = result.shape[0], c = result.shape[1];
    std::vector<GoldenValue> t(result.values.size());
    for (std::size_t i = 0; i < r; ++i)
      for (std::size_t j = 0; j < c; ++j) t[j * r + i] = result.values[i * c + j];
    result.values = t;
    result.shape = {c, r};
  }
  return result;
}

Truth Reference::check_identity(const FunctionSpec& fn, const Identity& identity, const Arguments& args,
                                long precision) const {
  use_widest_mpfr_exponent_range();
  Machine m(specs_, precision);
  std::map<std::string, Value> env = m.bind_params(fn, args.params, Format::binary64);
  for (const auto& [name, t] : args.inputs) {
    const InputSpec* in = fn.input(name);
    if (!in) throw EvalError(fn.name + ": unknown input '" + name + "'");
    Value v;
    v.vector = in->shape == Shape::vector;
    if (!v.vector && t.size() != 1) throw EvalError(fn.name + ": identities take one sample");
    for (std::size_t i = 0; i < t.size(); ++i)
      v.reals.push_back(t.indices.empty() ? exact_interval(t.values[i], precision)
                                          : Interval::from_long(t.indices[i], precision));
    env[name] = std::move(v);
  }
  Value r = m.eval(*identity.expr, fn, env);
  Truth all = Truth::True;
  for (Truth t : r.conditions) {
    if (t == Truth::False) return Truth::False;
    if (t == Truth::NaN) all = Truth::NaN;
    else if (t == Truth::Unknown && all == Truth::True) all = Truth::Unknown;
  }
  return all;
}

}  // namespace nnconform::ref
