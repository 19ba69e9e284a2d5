// The formula language's evaluator, generic over its number type (private to the reference).
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/interval.hpp"

namespace nnconform::ref::detail {

// Interval is its own enclosure.
inline const Interval& value(const Interval& v) { return v; }
inline Interval lift(Interval v, const Interval*) { return v; }

// A value during evaluation: numbers (enclosures), conditions or an enum string; scalar or
// vector.
template <class Num>
struct ValueT {
  enum class Kind { real, condition, string } kind = Kind::real;
  bool vector = false;
  std::vector<Num> reals;
  std::vector<Truth> conditions;
  std::string text;

  std::size_t size() const { return kind == Kind::real ? reals.size() : conditions.size(); }
  static ValueT scalar(Num v) {
    ValueT r;
    r.reals.push_back(std::move(v));
    return r;
  }
};

inline Interval decimal_interval(const std::string& text, mpfr_prec_t p) {
  if (text == "inf") {
    Interval r(p);
    mpfr_set_inf(r.lo, 1);
    mpfr_set_inf(r.hi, 1);
    r.nonzero = true;
    return r;
  }
  Interval r(p);
  // Base 0: decimals and C99 hex floats (a parameter given as 0x1p-3) alike.
  mpfr_strtofr(r.lo, text.c_str(), nullptr, 0, MPFR_RNDD);
  mpfr_strtofr(r.hi, text.c_str(), nullptr, 0, MPFR_RNDU);
  r.nonzero = !mpfr_zero_p(r.hi) || !mpfr_zero_p(r.lo);
  return r;
}

inline Interval exact_interval(const FloatBits& v, mpfr_prec_t p) {
  MpfrValue x(std::max<mpfr_prec_t>(p, 64));
  to_mpfr(v, x);
  return Interval::point(x, p);
}

// The value a special_values entry declares, if the arguments match it exactly.
inline std::optional<std::string> special_value(const FunctionSpec& fn, const std::map<std::string, Interval>& args) {
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

// The evaluator of the formula language over a number type: Interval (enclosures) or Dual
// (enclosures with a directional derivative, for checking gradient formulas). A Num provides
// the arithmetic, the elementary functions, comparisons returning Truth and hull() as free
// functions, lift(Interval, Num-tag) for constants and value(Num) for its enclosure.
template <class Num>
class MachineT {
 public:
  using Value = ValueT<Num>;
  MachineT(const SpecSet& specs, mpfr_prec_t precision) : specs_(specs), p_(precision) {}

  Num num(Interval v) const { return lift(std::move(v), static_cast<const Num*>(nullptr)); }

  // Binds a function's parameters (text) into values.
  std::map<std::string, Value> bind_params(const FunctionSpec& fn, const std::map<std::string, std::string>& params,
                                           Format format) const {
    std::map<std::string, Value> env;
    for (const auto& ps : fn.params) {
      auto it = params.find(ps.name);
      if (it == params.end() && !ps.default_value) continue;  // an error where a formula uses it
      std::string text = it != params.end() ? it->second : *ps.default_value;
      Value v;
      if (ps.type == ParamType::enumeration) {
        v.kind = Value::Kind::string;
        v.text = text;
      } else if (ps.per_channel && text.find(',') != std::string::npos) {
        continue;  // one value per channel: bound per sample by the caller
      } else if (ps.type == ParamType::integer || ps.exact) {
        v.reals.push_back(num(decimal_interval(text, p_)));
      } else {
        auto rounded = parse_value(text, format);
        if (!rounded) throw EvalError(fn.name + ": parameter '" + ps.name + "' = '" + text + "' is not a number");
        v.reals.push_back(num(exact_interval(*rounded, p_)));
      }
      env[ps.name] = std::move(v);
    }
    return env;
  }

  // Evaluates fn on one sample. `env` holds its inputs and parameters.
  Value call(const FunctionSpec& fn, std::map<std::string, Value> env) { return call_with(fn, std::move(env), nullptr); }

  // Evaluates `body` (fn's formula when null, else e.g. one of its gradient formulas) in fn's
  // frame: input defaults, requirements and definitions first.
  Value call_with(const FunctionSpec& fn, std::map<std::string, Value> env, const Expr* body) {
    // Scalar arguments of an elementwise callee may match a declared special value.
    if (!body && !fn.special_values.empty()) {
      std::map<std::string, Interval> scalars;
      for (const auto& in : fn.inputs) {
        const Value& v = env.at(in.name);
        if (!v.vector && v.kind == Value::Kind::real) scalars.emplace(in.name, value(v.reals[0]));
      }
      if (auto sv = special_value(fn, scalars)) {
        MpfrValue x(64);
        mpfr_strtofr(x, sv->c_str(), nullptr, 10, MPFR_RNDN);
        return Value::scalar(num(Interval::point(x, p_)));
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
    return eval(body ? *body : *fn.formula, fn, env);
  }

  Value eval(const Expr& e, const FunctionSpec& fn, const std::map<std::string, Value>& env) {
    switch (e.kind) {
      case Expr::Kind::Number: return Value::scalar(num(decimal_interval(e.text, p_)));
      case Expr::Kind::String: {
        Value v;
        v.kind = Value::Kind::string;
        v.text = e.text;
        return v;
      }
      case Expr::Kind::Name: {
        auto it = env.find(e.text);
        if (it != env.end()) return it->second;
        if (e.text == "inf") return Value::scalar(num(decimal_interval("inf", p_)));
        if (e.text == "pi") {
          Interval r(p_);
          mpfr_const_pi(r.lo, MPFR_RNDD);
          mpfr_const_pi(r.hi, MPFR_RNDU);
          r.nonzero = true;
          return Value::scalar(num(std::move(r)));
        }
        if (fn.input(e.text)) throw EvalError("input '" + e.text + "' is needed with these parameters but was not given");
        if (fn.param(e.text)) throw EvalError(fn.name + ": missing required parameter '" + e.text + "'");
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
        const Interval& index = value(i.reals.at(0));
        if (index.nan) return Value::scalar(num(Interval::nan_value(p_)));
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
      const Num& u = x.reals[i];
      const Num& v = y.reals[j];
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

  template <typename F>
  Value unary_map(const Value& a, F f) {
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
      if (name == "exp") return unary_map(a[0], [](const Num& x) { return exp(x); });
      if (name == "expm1") return unary_map(a[0], [](const Num& x) { return expm1(x); });
      if (name == "log") return unary_map(a[0], [](const Num& x) { return log(x); });
      if (name == "log1p") return unary_map(a[0], [](const Num& x) { return log1p(x); });
      if (name == "sqrt") return unary_map(a[0], [](const Num& x) { return sqrt(x); });
      if (name == "tanh") return unary_map(a[0], [](const Num& x) { return tanh(x); });
      if (name == "erf") return unary_map(a[0], [](const Num& x) { return erf(x); });
      if (name == "erfc") return unary_map(a[0], [](const Num& x) { return erfc(x); });
      if (name == "concat") {
        Value r = a[0];
        r.vector = true;
        r.reals.insert(r.reals.end(), a[1].reals.begin(), a[1].reals.end());
        return r;
      }
      if (name == "groupmax") return groupmax(a[0], a[1]);
      if (name == "slice") {
        std::size_t start = count(a[1], "slice: start"), length = count(a[2], "slice: length");
        if (start + length > a[0].reals.size())
          throw EvalError("slice: [" + std::to_string(start) + ", " + std::to_string(start + length) +
                          ") is outside a vector of length " + std::to_string(a[0].reals.size()));
        Value r;
        r.vector = true;
        r.reals.assign(a[0].reals.begin() + static_cast<std::ptrdiff_t>(start),
                       a[0].reals.begin() + static_cast<std::ptrdiff_t>(start + length));
        return r;
      }
      if (name == "repeat") {
        std::size_t k = count(a[1], "repeat: count");
        Value r;
        r.vector = true;
        for (const auto& x : a[0].reals) r.reals.insert(r.reals.end(), k, x);
        return r;
      }
      if (name == "groupfirst") return groupfirst(a[0], a[1]);
      if (name == "ones") {
        const Interval& n = value(a[0].reals.at(0));
        if (!n.is_integer_point() || n.as_long() < 0) throw EvalError("ones: length is not a non-negative integer");
        Value r;
        r.vector = true;
        for (long i = 0; i < n.as_long(); ++i) r.reals.push_back(num(Interval::from_long(1, p_)));
        return r;
      }
      if (name == "abs") return unary_map(a[0], [](const Num& x) { return abs(x); });
      if (a.size() == 2 && (name == "min" || name == "max" || name == "pow" || name == "xlogy" || name == "xlog1py")) {
        return map2(a[0], a[1], [&name](Value& r, const Value& x, std::size_t i, const Value& y, std::size_t j) {
          const Num& u = x.reals[i];
          const Num& v = y.reals[j];
          r.reals.push_back(name == "min"   ? min(u, v)
                            : name == "max" ? max(u, v)
                            : name == "pow" ? pow(u, v)
                            : name == "xlogy" ? xlogy(u, v)
                                              : xlog1py(u, v));
        });
      }
      if (name == "len") return Value::scalar(num(Interval::from_long(static_cast<long>(a[0].size()), p_)));
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
    // A NaN condition selects neither branch, but the result still has the branches' shape
    // (a scalar NaN condition over vector branches is a vector of NaN): evaluate an unselected
    // branch for its length only, and let one that is invalid there count as a scalar.
    bool any_nan = std::any_of(c.conditions.begin(), c.conditions.end(), [](Truth t) { return t == Truth::NaN; });
    if (any_nan) {
      try {
        if (!need_a) a = eval(*e.args[1], fn, env);
      } catch (const EvalError&) {
      }
      try {
        if (!need_b) b = eval(*e.args[2], fn, env);
      } catch (const EvalError&) {
      }
    }
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
        case Truth::NaN: r.reals.push_back(num(Interval::nan_value(p_))); break;
        case Truth::Unknown: r.reals.push_back(hull(a.reals[a.vector ? i : 0], b.reals[b.vector ? i : 0])); break;
      }
    }
    return r;
  }

  // Maximum over each group of k consecutive entries (maxout).
  Value groupmax(const Value& v, const Value& group) {
    const Interval& k = value(group.reals.at(0));
    if (!k.is_integer_point() || k.as_long() < 1) throw EvalError("group size is not a positive integer");
    std::size_t size = static_cast<std::size_t>(k.as_long());
    if (v.reals.size() % size != 0)
      throw EvalError("length " + std::to_string(v.reals.size()) + " is not a multiple of the group size " +
                      std::to_string(size));
    Value r;
    r.vector = true;
    for (std::size_t g = 0; g < v.reals.size(); g += size) {
      Num m = v.reals[g];
      for (std::size_t i = 1; i < size; ++i) m = max(m, v.reals[g + i]);
      r.reals.push_back(std::move(m));
    }
    return r;
  }

  // A non-negative integer argument (a length, a start, a count).
  std::size_t count(const Value& v, const std::string& what) {
    const Interval& n = value(v.reals.at(0));
    if (!n.is_integer_point() || n.as_long() < 0) throw EvalError(what + " is not a non-negative integer");
    return static_cast<std::size_t>(n.as_long());
  }

  // In each group of k consecutive conditions, true at the first true one only (maxout's
  // gradient goes to the first maximum of its group). An undecided condition before it makes
  // the later ones undecided; NaN stays NaN.
  Value groupfirst(const Value& c, const Value& group) {
    std::size_t k = count(group, "group size");
    if (k == 0 || c.conditions.size() % k != 0)
      throw EvalError("length " + std::to_string(c.conditions.size()) + " is not a multiple of the group size " +
                      std::to_string(k));
    Value r;
    r.kind = Value::Kind::condition;
    r.vector = true;
    for (std::size_t g = 0; g < c.conditions.size(); g += k) {
      Truth seen = Truth::False;  // whether a true one came before
      for (std::size_t i = 0; i < k; ++i) {
        Truth t = c.conditions[g + i];
        r.conditions.push_back(logical_and(t, logical_not(seen)));
        seen = logical_or(seen, t);
      }
    }
    return r;
  }

  Value onehot(const Value& index, const Value& length) {
    const Interval& n = value(length.reals.at(0));
    const Interval& k = value(index.reals.at(0));
    if (!n.is_integer_point() || n.as_long() < 0) throw EvalError("onehot: length is not a non-negative integer");
    Value r;
    r.vector = true;
    for (long i = 0; i < n.as_long(); ++i) {
      if (k.nan) {
        r.reals.push_back(num(Interval::nan_value(p_)));
      } else if (!k.is_integer_point()) {
        throw EvalError("onehot: index is not an integer");
      } else {
        r.reals.push_back(num(Interval::from_long(i == k.as_long() ? 1 : 0, p_)));
      }
    }
    return r;
  }

  Value reduce(const std::string& name, const Value& v) {
    if (v.reals.empty()) {
      if (name == "sum") return Value::scalar(num(Interval::from_long(0, p_)));
      throw EvalError(name + " of an empty vector");
    }
    if (name == "argmax") {
      // Lowest index among the maxima; NaN anywhere gives NaN.
      std::size_t best = 0;
      for (std::size_t i = 0; i < v.reals.size(); ++i) {
        if (value(v.reals[i]).nan) return Value::scalar(num(Interval::nan_value(p_)));
        Truth t = less(v.reals[best], v.reals[i]);
        if (t == Truth::Unknown) throw EvalError("argmax: cannot order two entries at this precision");
        if (t == Truth::True) best = i;
      }
      return Value::scalar(num(Interval::from_long(static_cast<long>(best), p_)));
    }
    Num acc = v.reals[0];
    for (std::size_t i = 1; i < v.reals.size(); ++i) {
      if (name == "max") acc = max(acc, v.reals[i]);
      else if (name == "min") acc = min(acc, v.reals[i]);
      else acc = acc + v.reals[i];
    }
    if (name == "mean") acc = acc / num(Interval::from_long(static_cast<long>(v.reals.size()), p_));
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
        params[ps.name] = Value::scalar(num(decimal_interval(*ps.default_value, p_)));
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

}  // namespace nnconform::ref::detail
