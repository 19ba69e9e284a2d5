#include "nnconform/ref/evaluator.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <optional>
#include <sstream>

#include "nnconform/ref/interval.hpp"

namespace nnconform::ref {
namespace {

// A value during evaluation: numbers (enclosures), conditions or an enum string; scalar or
// vector.
struct Value {
  enum class Kind { real, condition, string } kind = Kind::real;
  bool vector = false;
  std::vector<Interval> reals;
  std::vector<Truth> conditions;
  std::string text;

  std::size_t size() const { return kind == Kind::real ? reals.size() : conditions.size(); }
  static Value scalar(Interval v) {
    Value r;
    r.reals.push_back(std::move(v));
    return r;
  }
};

Interval decimal_interval(const std::string& text, mpfr_prec_t p) {
  if (text == "inf") {
    Interval r(p);
    mpfr_set_inf(r.lo, 1);
    mpfr_set_inf(r.hi, 1);
    r.nonzero = true;
    return r;
  }
  Interval r(p);
  mpfr_strtofr(r.lo, text.c_str(), nullptr, 10, MPFR_RNDD);
  mpfr_strtofr(r.hi, text.c_str(), nullptr, 10, MPFR_RNDU);
  r.nonzero = !mpfr_zero_p(r.hi) || !mpfr_zero_p(r.lo);
  return r;
}

Interval exact_interval(const FloatBits& v, mpfr_prec_t p) {
  MpfrValue x(std::max<mpfr_prec_t>(p, 64));
  to_mpfr(v, x);
  return Interval::point(x, p);
}

// The value a special_values entry declares, if the arguments match it exactly.
std::optional<std::string> special_value(const FunctionSpec& fn, const std::map<std::string, Interval>& args) {
  for (const auto& sv : fn.special_values) {
    bool match = true;
    for (const auto& [name, text] : sv.inputs) {
      auto it = args.find(name);
      if (it == args.end()) {
        match = false;
        break;
      }
      const Interval& a = it->second;
      MpfrValue want(64);
      mpfr_strtofr(want, text.c_str(), nullptr, 10, MPFR_RNDN);
      if (mpfr_nan_p(want)) {
        match = a.nan;
      } else if (!a.is_point() || !mpfr_equal_p(a.lo, want)) {
        match = false;
      } else if (mpfr_zero_p(want) && text.find('-') != std::string::npos) {
        match = mpfr_signbit(a.lo) != 0;  // a special value at -0 is for -0 only
      }
      if (!match) break;
    }
    if (match) return sv.result;
  }
  return std::nullopt;
}

class Machine {
 public:
  Machine(const SpecSet& specs, mpfr_prec_t precision) : specs_(specs), p_(precision) {}

  // Binds a function's parameters (text) into values.
  std::map<std::string, Value> bind_params(const FunctionSpec& fn, const std::map<std::string, std::string>& params,
                                           Format format) const {
    std::map<std::string, Value> env;
    for (const auto& ps : fn.params) {
      auto it = params.find(ps.name);
      std::string text = it != params.end() ? it->second : ps.default_value.value_or("");
      Value v;
      if (ps.type == ParamType::enumeration) {
        v.kind = Value::Kind::string;
        v.text = text;
      } else if (ps.per_channel && text.find(',') != std::string::npos) {
        continue;  // one value per channel: bound per sample by the caller
      } else if (ps.type == ParamType::integer || ps.exact) {
        v.reals.push_back(decimal_interval(text, p_));
      } else {
        auto rounded = parse_value(text, format);
        v.reals.push_back(exact_interval(*rounded, p_));
      }
      env[ps.name] = std::move(v);
    }
    return env;
  }

  // Evaluates fn on one sample. `env` holds its inputs and parameters.
  Value call(const FunctionSpec& fn, std::map<std::string, Value> env) {
    // Scalar arguments of an elementwise callee may match a declared special value.
    if (!fn.special_values.empty()) {
      std::map<std::string, Interval> scalars;
      for (const auto& in : fn.inputs) {
        const Value& v = env.at(in.name);
        if (!v.vector && v.kind == Value::Kind::real) scalars.emplace(in.name, v.reals[0]);
      }
      if (auto sv = special_value(fn, scalars)) {
        MpfrValue x(64);
        mpfr_strtofr(x, sv->c_str(), nullptr, 10, MPFR_RNDN);
        return Value::scalar(Interval::point(x, p_));
      }
    }
    for (const auto& in : fn.inputs)
      if (in.default_expr && !env.count(in.name)) env[in.name] = eval(*in.default_expr, fn, env);
    for (const auto& q : fn.requires_) {
      Value ok = eval(*q.check.expr, fn, env);
      for (Truth t : ok.conditions)
        if (t == Truth::False) throw EvalError(q.message);  // NaN inputs propagate instead
    }
    for (const auto& def : fn.definitions) env[def.name] = eval(*def.expr, fn, env);
    return eval(*fn.formula, fn, env);
  }

  Value eval(const Expr& e, const FunctionSpec& fn, const std::map<std::string, Value>& env) {
    switch (e.kind) {
      case Expr::Kind::Number: return Value::scalar(decimal_interval(e.text, p_));
      case Expr::Kind::String: {
        Value v;
        v.kind = Value::Kind::string;
        v.text = e.text;
        return v;
      }
      case Expr::Kind::Name: {
        auto it = env.find(e.text);
        if (it != env.end()) return it->second;
        if (e.text == "inf") return Value::scalar(decimal_interval("inf", p_));
        if (e.text == "pi") {
          Interval r(p_);
          mpfr_const_pi(r.lo, MPFR_RNDD);
          mpfr_const_pi(r.hi, MPFR_RNDU);
          r.nonzero = true;
          return Value::scalar(std::move(r));
        }
        if (fn.input(e.text)) throw EvalError("input '" + e.text + "' is needed with these parameters but was not given");
        throw EvalError("unbound name '" + e.text + "'");
      }
      case Expr::Kind::Unary: {
        Value a = eval(*e.args[0], fn, env);
        if (e.op == Op::Not) {
          for (auto& c : a.conditions) c = logical_not(c);
          return a;
        }
        for (auto& x : a.reals) x = -x;
        return a;
      }
      case Expr::Kind::Binary: return binary(e, fn, env);
      case Expr::Kind::Index: {
        Value v = eval(*e.args[0], fn, env);
        Value i = eval(*e.args[1], fn, env);
        const Interval& index = i.reals.at(0);
        if (index.nan) return Value::scalar(Interval::nan_value(p_));
        if (!index.is_integer_point()) throw EvalError("index " + to_string(*e.args[1]) + " is not an integer");
        long k = index.as_long();
        if (k < 0 || k >= static_cast<long>(v.reals.size()))
          throw EvalError("index " + to_string(*e.args[1]) + " = " + std::to_string(k) + " is out of range [0, " +
                          std::to_string(v.reals.size()) + ")");
        return Value::scalar(v.reals[k]);
      }
      case Expr::Kind::Call: return call_expr(e, fn, env);
    }
    throw EvalError("unexpected expression");
  }

 private:
  const SpecSet& specs_;
  mpfr_prec_t p_;

  // Applies f to each element, broadcasting scalars over vectors.
  template <typename F>
  Value map2(const Value& a, const Value& b, F f) {
    std::size_t n = std::max(a.size(), b.size());
    if (a.vector && b.vector && a.size() != b.size())
      throw EvalError("vectors of lengths " + std::to_string(a.size()) + " and " + std::to_string(b.size()) +
                      " in one elementwise operation");
    Value r;
    r.vector = a.vector || b.vector;
    for (std::size_t i = 0; i < n; ++i) f(r, a, a.vector ? i : 0, b, b.vector ? i : 0);
    return r;
  }

  Value binary(const Expr& e, const FunctionSpec& fn, const std::map<std::string, Value>& env) {
    Value a = eval(*e.args[0], fn, env);
    Value b = eval(*e.args[1], fn, env);
    if (a.kind == Value::Kind::string) {
      Value r;
      r.kind = Value::Kind::condition;
      bool eq = a.text == b.text;
      r.conditions.push_back((e.op == Op::Eq) == eq ? Truth::True : Truth::False);
      return r;
    }
    if (e.op == Op::And || e.op == Op::Or) {
      return map2(a, b, [&](Value& r, const Value& x, std::size_t i, const Value& y, std::size_t j) {
        r.kind = Value::Kind::condition;
        r.conditions.push_back(e.op == Op::And ? logical_and(x.conditions[i], y.conditions[j])
                                               : logical_or(x.conditions[i], y.conditions[j]));
      });
    }
    return map2(a, b, [&](Value& r, const Value& x, std::size_t i, const Value& y, std::size_t j) {
      const Interval& u = x.reals[i];
      const Interval& v = y.reals[j];
      auto cond = [&](Truth t) {
        r.kind = Value::Kind::condition;
        r.conditions.push_back(t);
      };
      switch (e.op) {
        case Op::Add: r.reals.push_back(u + v); break;
        case Op::Sub: r.reals.push_back(u - v); break;
        case Op::Mul: r.reals.push_back(u * v); break;
        case Op::Div: r.reals.push_back(u / v); break;
        case Op::Pow: r.reals.push_back(pow(u, v)); break;
        case Op::Lt: cond(less(u, v)); break;
        case Op::Le: cond(less_equal(u, v)); break;
        case Op::Gt: cond(less(v, u)); break;
        case Op::Ge: cond(less_equal(v, u)); break;
        case Op::Eq: cond(equal(u, v)); break;
        case Op::Ne: cond(logical_not(equal(u, v))); break;
        default: throw EvalError("bad operator");
      }
    });
  }

  Value unary_map(const Value& a, Interval (*f)(const Interval&)) {
    Value r;
    r.vector = a.vector;
    for (const auto& x : a.reals) r.reals.push_back(f(x));
    return r;
  }

  Value call_expr(const Expr& e, const FunctionSpec& fn, const std::map<std::string, Value>& env) {
    const std::string& name = e.text;
    if (find_builtin(name)) {
      if (name == "where") return where(e, fn, env);
      std::vector<Value> a;
      for (const auto& arg : e.args) a.push_back(eval(*arg, fn, env));
      if (name == "exp") return unary_map(a[0], exp);
      if (name == "expm1") return unary_map(a[0], expm1);
      if (name == "log") return unary_map(a[0], log);
      if (name == "log1p") return unary_map(a[0], log1p);
      if (name == "sqrt") return unary_map(a[0], sqrt);
      if (name == "tanh") return unary_map(a[0], tanh);
      if (name == "erf") return unary_map(a[0], erf);
      if (name == "erfc") return unary_map(a[0], erfc);
      if (name == "concat") {
        Value r = a[0];
        r.vector = true;
        r.reals.insert(r.reals.end(), a[1].reals.begin(), a[1].reals.end());
        return r;
      }
      if (name == "groupmax") return groupmax(a[0], a[1]);
      if (name == "ones") {
        const Interval& n = a[0].reals.at(0);
        if (!n.is_integer_point() || n.as_long() < 0) throw EvalError("ones: length is not a non-negative integer");
        Value r;
        r.vector = true;
        for (long i = 0; i < n.as_long(); ++i) r.reals.push_back(Interval::from_long(1, p_));
        return r;
      }
      if (name == "abs") return unary_map(a[0], abs);
      if (a.size() == 2 && (name == "min" || name == "max" || name == "pow" || name == "xlogy" || name == "xlog1py")) {
        Interval (*f)(const Interval&, const Interval&) = name == "min"   ? min
                                                          : name == "max" ? max
                                                          : name == "pow" ? pow
                                                          : name == "xlogy" ? xlogy
                                                                            : xlog1py;
        return map2(a[0], a[1], [f](Value& r, const Value& x, std::size_t i, const Value& y, std::size_t j) {
          r.reals.push_back(f(x.reals[i], y.reals[j]));
        });
      }
      if (name == "len") return Value::scalar(Interval::from_long(static_cast<long>(a[0].size()), p_));
      if (name == "onehot") return onehot(a[0], a[1]);
      return reduce(name, a[0]);
    }
    const FunctionSpec* callee = specs_.find(name);
    if (!callee) throw EvalError("unknown function '" + name + "'");
    return call_spec(e, *callee, fn, env);
  }

  Value where(const Expr& e, const FunctionSpec& fn, const std::map<std::string, Value>& env) {
    Value c = eval(*e.args[0], fn, env);
    // Evaluate a branch only when some element selects it, so that a branch that is invalid
    // where it is not selected (log of a negative...) costs nothing and hides nothing.
    bool need_a = false, need_b = false;
    for (Truth t : c.conditions) {
      need_a |= t == Truth::True || t == Truth::Unknown;
      need_b |= t == Truth::False || t == Truth::Unknown;
    }
    Value a, b;
    if (need_a) a = eval(*e.args[1], fn, env);
    if (need_b) b = eval(*e.args[2], fn, env);
    std::size_t n = std::max({c.size(), a.size(), b.size()});
    bool vec = c.vector || a.vector || b.vector;
    for (const Value* v : {&c, &a, &b})
      if (v->vector && v->size() != n) throw EvalError("where: vectors of different lengths");
    Value r;
    r.vector = vec;
    for (std::size_t i = 0; i < n; ++i) {
      Truth t = c.conditions[c.vector ? i : 0];
      switch (t) {
        case Truth::True: r.reals.push_back(a.reals[a.vector ? i : 0]); break;
        case Truth::False: r.reals.push_back(b.reals[b.vector ? i : 0]); break;
        case Truth::NaN: r.reals.push_back(Interval::nan_value(p_)); break;
        case Truth::Unknown: r.reals.push_back(hull(a.reals[a.vector ? i : 0], b.reals[b.vector ? i : 0])); break;
      }
    }
    return r;
  }

  // Maximum over each group of k consecutive entries (maxout).
  Value groupmax(const Value& v, const Value& group) {
    const Interval& k = group.reals.at(0);
    if (!k.is_integer_point() || k.as_long() < 1) throw EvalError("group size is not a positive integer");
    std::size_t size = static_cast<std::size_t>(k.as_long());
    if (v.reals.size() % size != 0)
      throw EvalError("length " + std::to_string(v.reals.size()) + " is not a multiple of the group size " +
                      std::to_string(size));
    Value r;
    r.vector = true;
    for (std::size_t g = 0; g < v.reals.size(); g += size) {
      Interval m = v.reals[g];
      for (std::size_t i = 1; i < size; ++i) m = max(m, v.reals[g + i]);
      r.reals.push_back(std::move(m));
    }
    return r;
  }

  Value onehot(const Value& index, const Value& length) {
    const Interval& n = length.reals.at(0);
    const Interval& k = index.reals.at(0);
    if (!n.is_integer_point() || n.as_long() < 0) throw EvalError("onehot: length is not a non-negative integer");
    Value r;
    r.vector = true;
    for (long i = 0; i < n.as_long(); ++i) {
      if (k.nan) {
        r.reals.push_back(Interval::nan_value(p_));
      } else if (!k.is_integer_point()) {
        throw EvalError("onehot: index is not an integer");
      } else {
        r.reals.push_back(Interval::from_long(i == k.as_long() ? 1 : 0, p_));
      }
    }
    return r;
  }

  Value reduce(const std::string& name, const Value& v) {
    if (v.reals.empty()) {
      if (name == "sum") return Value::scalar(Interval::from_long(0, p_));
      throw EvalError(name + " of an empty vector");
    }
    if (name == "argmax") {
      // Lowest index among the maxima; NaN anywhere gives NaN.
      std::size_t best = 0;
      for (std::size_t i = 0; i < v.reals.size(); ++i) {
        if (v.reals[i].nan) return Value::scalar(Interval::nan_value(p_));
        Truth t = less(v.reals[best], v.reals[i]);
        if (t == Truth::Unknown) throw EvalError("argmax: cannot order two entries at this precision");
        if (t == Truth::True) best = i;
      }
      return Value::scalar(Interval::from_long(static_cast<long>(best), p_));
    }
    Interval acc = v.reals[0];
    for (std::size_t i = 1; i < v.reals.size(); ++i) {
      if (name == "max") acc = max(acc, v.reals[i]);
      else if (name == "min") acc = min(acc, v.reals[i]);
      else acc = acc + v.reals[i];
    }
    if (name == "mean") acc = acc / Interval::from_long(static_cast<long>(v.reals.size()), p_);
    return Value::scalar(std::move(acc));
  }

  Value call_spec(const Expr& e, const FunctionSpec& callee, const FunctionSpec& fn,
                  const std::map<std::string, Value>& env) {
    // Parameter defaults of a called function are its exact decimals (not rounded to a
    // format): the caller's formula is the mathematics; rounding happens at the caller's inputs.
    std::map<std::string, Value> args;
    std::map<std::string, Value> params;
    for (const auto& ps : callee.params) {
      if (!ps.default_value) continue;
      if (ps.type == ParamType::enumeration) {
        Value v;
        v.kind = Value::Kind::string;
        v.text = *ps.default_value;
        params[ps.name] = std::move(v);
      } else {
        params[ps.name] = Value::scalar(decimal_interval(*ps.default_value, p_));
      }
    }
    for (std::size_t i = 0; i < e.args.size(); ++i) {
      std::string target = e.keywords[i];
      if (target.empty())
        target = i < callee.inputs.size() ? callee.inputs[i].name : callee.params[i - callee.inputs.size()].name;
      Value v = eval(*e.args[i], fn, env);
      if (callee.input(target)) args[target] = std::move(v);
      else params[target] = std::move(v);
    }
    bool mapped = false;
    std::size_t n = 0;
    for (const auto& in : callee.inputs) {
      if (!args.count(in.name)) continue;  // an optional input left to its default
      const Value& v = args.at(in.name);
      if (in.shape == Shape::scalar && v.vector) {
        mapped = true;
        n = v.size();
      }
    }
    auto frame = [&](std::size_t i) {
      std::map<std::string, Value> f = params;
      for (const auto& [k, v] : args) {
        if (mapped && v.vector && callee.input(k)->shape == Shape::scalar) f[k] = Value::scalar(v.reals.at(i));
        else f[k] = v;
      }
      return f;
    };
    if (!mapped) return call(callee, frame(0));
    Value r;
    r.vector = true;
    for (std::size_t i = 0; i < n; ++i) r.reals.push_back(call(callee, frame(i)).reals.at(0));
    return r;
  }
};

// Rounds an enclosure to the format when both ends agree (see interval.hpp for the flags).
std::optional<FloatBits> decide(const Interval& v, Format format) {
  if (v.nan) return FloatBits::quiet_nan(format);
  if (v.maybe_nan) return std::nullopt;
  bool lo_inf = mpfr_inf_p(v.lo), hi_inf = mpfr_inf_p(v.hi);
  // An infinite end that is not a true infinity is an MPFR overflow: never a golden inf.
  if ((lo_inf || hi_inf) && !v.is_true_infinity()) return std::nullopt;
  FloatBits lo = round_to_format(v.lo, format), hi = round_to_format(v.hi, format);
  if (lo.is_zero() && hi.is_zero()) {
    // An exact zero is +0; an underflowed value keeps the sign of the exact value.
    if (v.is_exact_zero() || mpfr_sgn(v.lo) >= 0) return FloatBits::zero(format, false);
    if (mpfr_sgn(v.hi) <= 0 && v.nonzero) return FloatBits::zero(format, true);
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

Tensor parse_tensor(const std::string& text, Format format, InputType type) {
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
  else if (width > 1 || text.find(',') != std::string::npos) t.shape = {width};
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
};

}  // namespace

EvalResult Reference::evaluate(const FunctionSpec& fn, Format format, const Arguments& args) const {
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
      samples.push_back(std::move(s));
    }
  }

  std::string reduction = "none";
  if (fn.reduction) {
    auto it = args.params.find("reduction");
    reduction = it != args.params.end() ? it->second : fn.param("reduction")->default_value.value_or("mean");
  }

  // --- Evaluate with Ziv's strategy. ---
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

  if (reduction == "mean" || reduction == "sum") {
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
  for (const auto& s : samples) {
    if (auto sv = special_at_top(s)) {
      result.values.push_back({*sv, 0});
      out_width = 1;
      continue;
    }
    auto values = ziv(
        [&](Machine& m, mpfr_prec_t p) {
          Value v = m.call(fn, env_for(m, s, p));
          return v.reals;
        },
        s.describe_text);
    if (fn.output == Shape::vector) {
      if (out_width && values.size() != out_width) throw EvalError(fn.name + ": rows of different lengths");
      out_width = values.size();
    }
    result.values.insert(result.values.end(), values.begin(), values.end());
  }
  result.shape = sample_shape;
  if (fn.output == Shape::vector) result.shape.push_back(out_width);
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
