#include "nnconform/ref/spec.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace nnconform::ref {

const std::vector<std::string> kFamilies = {"activation", "loss", "divergence"};
const std::vector<std::string> kInputFamilies = {
    "special",        // +-0, +-inf, NaN, smallest subnormal, largest finite
    "thresholds",     // where the formula changes regime, per format
    "huge",           // +-1e30, +-max: range reductions overflow there
    "log_uniform",    // every binade
    "random",         // seeded draws
    "large_logits",   // spreads of 1e2, 1e4, 1e30; one dominant logit; all equal; log-probabilities
    "masks",          // -inf entries, an all -inf row, an inf logit
    "probabilities",  // near 0 and 1: 1e-45, 1e-300, 1 - ulp
    "lengths",        // vector lengths 1, 2, 3, 10, 1000, 32000 and SIMD edges 7..17
    "exhaustive16",   // all 65536 inputs in binary16 and bfloat16
};
const std::vector<std::string> kProfiles = {"strict"};

namespace {

const BuiltinInfo kBuiltins[] = {
    {"exp", 1, 1},  {"expm1", 1, 1}, {"log", 1, 1},     {"log1p", 1, 1},   {"sqrt", 1, 1},
    {"tanh", 1, 1}, {"erf", 1, 1},   {"erfc", 1, 1},   {"abs", 1, 1},     {"min", 1, 2},     {"max", 1, 2},
    {"pow", 2, 2},  {"xlogy", 2, 2}, {"xlog1py", 2, 2}, {"where", 3, 3},   {"sum", 1, 1},
    {"mean", 1, 1}, {"len", 1, 1},   {"argmax", 1, 1},  {"onehot", 2, 2},  {"concat", 2, 2},
    {"ones", 1, 1},
    {"groupmax", 2, 2}, {"slice", 3, 3}, {"repeat", 2, 2}, {"groupfirst", 2, 2},
};
const std::set<std::string, std::less<>> kConstants = {"pi", "inf"};

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// Reads one YAML file, recording every problem with its position.
class FileReader {
 public:
  FileReader(std::filesystem::path file, std::vector<Diagnostic>& diagnostics)
      : file_(std::move(file)), diagnostics_(diagnostics) {
    std::ifstream in(file_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    text_ = ss.str();
  }

  const std::string& text() const { return text_; }

  SourceLocation at(const YAML::Node& node) const {
    const YAML::Mark m = node.Mark();
    return {file_.string(), m.line + 1, m.column + 1};
  }
  void error(const YAML::Node& node, const std::string& message) {
    diagnostics_.push_back({at(node), message});
  }
  void error(const SourceLocation& where, const std::string& message) {
    diagnostics_.push_back({where, message});
  }

  // The location of character `offset` of a scalar's value, for plain, quoted and literal
  // block scalars; other styles point at the scalar's start.
  SourceLocation at_offset(const YAML::Node& node, int offset) const {
    SourceLocation where = at(node);
    std::size_t pos = node.Mark().pos;
    if (pos >= text_.size()) return where;
    char c = text_[pos];
    if (c == '"' || c == '\'') {
      where.column += 1 + offset;
    } else if (c == '|') {
      std::string value = node.as<std::string>();
      int line = 0, column = offset;
      for (int i = 0; i < offset && i < static_cast<int>(value.size()); ++i) {
        if (value[i] == '\n') {
          ++line;
          column = offset - i - 1;
        }
      }
      // The block's indentation is that of its first content line.
      std::size_t start = text_.find('\n', pos);
      std::size_t indent = 0;
      if (start != std::string::npos) {
        while (start + 1 + indent < text_.size() && text_[start + 1 + indent] == ' ') ++indent;
      }
      where.line += 1 + line;
      where.column = static_cast<int>(indent) + column + 1;
    } else if (c != '>') {
      where.column += offset;
    }
    return where;
  }

  std::optional<std::string> scalar(const YAML::Node& node, const std::string& what) {
    if (!node.IsScalar()) {
      error(node, what + " must be a scalar");
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<bool> boolean(const YAML::Node& node, const std::string& what) {
    auto s = scalar(node, what);
    if (!s) return std::nullopt;
    if (*s == "true") return true;
    if (*s == "false") return false;
    error(node, what + " must be true or false, not '" + *s + "'");
    return std::nullopt;
  }

  std::vector<std::string> string_list(const YAML::Node& node, const std::string& what) {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      out.push_back(node.Scalar());
      return out;
    }
    if (!node.IsSequence()) {
      error(node, what + " must be a list");
      return out;
    }
    for (const auto& item : node)
      if (auto s = scalar(item, what + " entry")) out.push_back(*s);
    return out;
  }

  // Checks that a mapping has only the allowed keys and the required ones.
  bool check_keys(const YAML::Node& node, const std::string& what,
                  const std::vector<std::string>& allowed,
                  const std::vector<std::string>& required) {
    if (!node.IsMap()) {
      error(node, what + " must be a mapping");
      return false;
    }
    bool ok = true;
    for (const auto& kv : node) {
      std::string key = kv.first.Scalar();
      if (!contains(allowed, key)) {
        error(kv.first, "unknown key '" + key + "' in " + what + " (allowed: " + join(allowed) + ")");
        ok = false;
      }
    }
    for (const auto& key : required) {
      if (!node[key]) {
        error(node, what + " is missing required key '" + key + "'");
        ok = false;
      }
    }
    return ok;
  }

  ExprPtr formula(const YAML::Node& node, const std::string& what, std::string& text_out) {
    auto s = scalar(node, what);
    if (!s) return nullptr;
    text_out = *s;
    try {
      return parse_formula(*s);
    } catch (const FormulaError& e) {
      error(at_offset(node, e.offset()), what + ": " + e.what());
      return nullptr;
    }
  }

 private:
  std::filesystem::path file_;
  std::string text_;
  std::vector<Diagnostic>& diagnostics_;
};

std::optional<double> parse_number_text(const std::string& s) {
  if (s == "inf" || s == "+inf") return HUGE_VAL;
  if (s == "-inf") return -HUGE_VAL;
  if (s == "nan") return std::nan("");
  try {
    std::size_t used = 0;
    double v = std::stod(s, &used);
    if (used != s.size()) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

const std::vector<std::string> kTopKeys = {
    "name",           "family",     "aliases",    "summary",        "references",
    "inputs",         "params",     "definitions", "formula",       "output",
    "reduction",      "special_values", "conventions", "identities", "input_families",
    "cases",          "tolerance",  "signed_zero", "gradients",     "notes",
    "requires"};

// Validates a parameter value given as text against the parameter's type and range.
std::optional<std::string> check_param_value(const ParamSpec& p, const std::string& value) {
  switch (p.type) {
    case ParamType::enumeration:
      if (!contains(p.values, value))
        return "parameter '" + p.name + "' must be one of " + join(p.values) + ", not '" + value + "'";
      return std::nullopt;
    case ParamType::integer: {
      auto v = parse_number_text(value);
      if (!v || std::floor(*v) != *v)
        return "parameter '" + p.name + "' must be an integer, not '" + value + "'";
      if (p.range && !p.range->contains(*v))
        return "parameter '" + p.name + "' = " + value + " is outside its range " + p.range->str();
      return std::nullopt;
    }
    case ParamType::real: {
      auto v = parse_number_text(value);
      if (!v) return "parameter '" + p.name + "' must be a number, not '" + value + "'";
      if (std::isnan(*v)) return "parameter '" + p.name + "' must not be NaN";
      if (p.range && !p.range->contains(*v))
        return "parameter '" + p.name + "' = " + value + " is outside its range " + p.range->str();
      return std::nullopt;
    }
  }
  return std::nullopt;
}

FunctionSpec read_spec(FileReader& r, const YAML::Node& root, const std::filesystem::path& file) {
  FunctionSpec fn;
  fn.file = file;
  if (!r.check_keys(root, "the spec", kTopKeys, {"name", "family", "inputs", "formula"})) {
    if (!root.IsMap()) return fn;
  }
  if (root["name"]) {
    if (auto s = r.scalar(root["name"], "name")) {
      fn.name = *s;
      if (!is_identifier(fn.name)) r.error(root["name"], "name '" + fn.name + "' is not an identifier");
      if (file.stem().string() != fn.name)
        r.error(root["name"], "name '" + fn.name + "' does not match the file name '" +
                                  file.filename().string() + "'");
    }
  }
  if (root["family"]) {
    if (auto s = r.scalar(root["family"], "family")) {
      fn.family = *s;
      if (!contains(kFamilies, fn.family))
        r.error(root["family"], "unknown family '" + fn.family + "' (known: " + join(kFamilies) + ")");
    }
  }
  if (root["summary"]) fn.summary = r.scalar(root["summary"], "summary").value_or("");
  if (root["aliases"]) {
    fn.aliases = r.string_list(root["aliases"], "aliases");
    for (const auto& a : fn.aliases)
      if (!is_identifier(a)) r.error(root["aliases"], "alias '" + a + "' is not an identifier");
  }
  if (root["references"]) fn.references = r.string_list(root["references"], "references");
  if (root["notes"]) r.scalar(root["notes"], "notes");

  std::set<std::string> names;  // inputs, params and definitions share one namespace
  auto declare = [&](const YAML::Node& key, const std::string& n, const std::string& what) {
    if (!is_identifier(n)) r.error(key, what + " name '" + n + "' is not an identifier");
    if (kConstants.count(n) || find_builtin(n))
      r.error(key, what + " name '" + n + "' shadows a builtin");
    if (!names.insert(n).second) r.error(key, "'" + n + "' is declared twice");
  };

  if (const YAML::Node inputs = root["inputs"]) {
    if (!inputs.IsMap() || inputs.size() == 0) {
      r.error(inputs, "inputs must be a non-empty mapping of name -> {type, shape, ...}");
    } else {
      for (const auto& kv : inputs) {
        InputSpec in;
        in.name = kv.first.Scalar();
        in.where = r.at(kv.first);
        declare(kv.first, in.name, "input");
        const YAML::Node& d = kv.second;
        if (!r.check_keys(d, "input '" + in.name + "'", {"type", "shape", "domain", "nan", "optional", "default", "doc"}, {}))
          continue;
        if (d["type"]) {
          auto t = r.scalar(d["type"], "type").value_or("");
          if (t == "real") in.type = InputType::real;
          else if (t == "index") in.type = InputType::index;
          else r.error(d["type"], "input type must be real or index, not '" + t + "'");
        }
        if (d["shape"]) {
          auto s = r.scalar(d["shape"], "shape").value_or("");
          if (s == "scalar") in.shape = Shape::scalar;
          else if (s == "vector") in.shape = Shape::vector;
          else r.error(d["shape"], "input shape must be scalar or vector, not '" + s + "'");
        }
        if (d["domain"]) {
          auto s = r.scalar(d["domain"], "domain").value_or("");
          in.domain = RealRange::parse(s);
          if (!in.domain) r.error(d["domain"], "domain '" + s + "' is not an interval like [0, 1] or (0, inf)");
        }
        if (d["nan"]) {
          auto s = r.scalar(d["nan"], "nan").value_or("");
          if (s == "allowed") in.nan_allowed = true;
          else if (s == "forbidden") in.nan_allowed = false;
          else r.error(d["nan"], "nan must be allowed or forbidden, not '" + s + "'");
        }
        if (d["doc"]) in.doc = r.scalar(d["doc"], "doc").value_or("");
        if (d["optional"]) in.optional = r.boolean(d["optional"], "optional").value_or(false);
        if (d["default"]) {
          if (!in.optional) r.error(d["default"], "only an optional input has a default");
          in.default_expr = r.formula(d["default"], "default of input '" + in.name + "'", in.default_text);
        }
        fn.inputs.push_back(in);
      }
    }
  }

  if (const YAML::Node params = root["params"]) {
    if (!params.IsMap()) {
      r.error(params, "params must be a mapping of name -> {type, default, range, ...}");
    } else {
      for (const auto& kv : params) {
        ParamSpec p;
        p.name = kv.first.Scalar();
        p.where = r.at(kv.first);
        declare(kv.first, p.name, "parameter");
        const YAML::Node& d = kv.second;
        if (!r.check_keys(d, "parameter '" + p.name + "'",
                          {"type", "default", "required", "range", "values", "exact", "per_channel", "doc"}, {"type"}))
          continue;
        auto t = r.scalar(d["type"], "type").value_or("");
        if (t == "real") p.type = ParamType::real;
        else if (t == "integer") p.type = ParamType::integer;
        else if (t == "enum") p.type = ParamType::enumeration;
        else r.error(d["type"], "parameter type must be real, integer or enum, not '" + t + "'");
        if (d["required"]) p.required = r.boolean(d["required"], "required").value_or(false);
        if (d["exact"]) p.exact = r.boolean(d["exact"], "exact").value_or(false);
        if (d["per_channel"]) {
          p.per_channel = r.boolean(d["per_channel"], "per_channel").value_or(false);
          if (p.type != ParamType::real) r.error(d["per_channel"], "only a real parameter can be per channel");
        }
        if (d["doc"]) p.doc = r.scalar(d["doc"], "doc").value_or("");
        if (d["range"]) {
          auto s = r.scalar(d["range"], "range").value_or("");
          p.range = RealRange::parse(s);
          if (!p.range) r.error(d["range"], "range '" + s + "' is not an interval like [0, 1] or (0, inf)");
          if (p.type == ParamType::enumeration) r.error(d["range"], "an enum parameter has values, not a range");
        }
        if (d["values"]) {
          p.values = r.string_list(d["values"], "values");
          if (p.type != ParamType::enumeration) r.error(d["values"], "only an enum parameter has values");
        } else if (p.type == ParamType::enumeration) {
          r.error(kv.first, "enum parameter '" + p.name + "' needs a list of values");
        }
        if (d["default"]) {
          p.default_value = r.scalar(d["default"], "default");
          if (p.default_value)
            if (auto problem = check_param_value(p, *p.default_value)) r.error(d["default"], *problem);
          if (p.required) r.error(d["default"], "a required parameter has no default");
        } else if (!p.required) {
          r.error(kv.first, "parameter '" + p.name + "' needs a default or required: true");
        }
        if (p.per_channel && !fn.elementwise())
          r.error(d["per_channel"], "a per-channel parameter belongs to an elementwise function");
        fn.params.push_back(p);
      }
    }
  }

  if (const YAML::Node defs = root["definitions"]) {
    if (!defs.IsMap()) {
      r.error(defs, "definitions must be a mapping of name -> formula");
    } else {
      for (const auto& kv : defs) {
        Definition def;
        def.name = kv.first.Scalar();
        def.where = r.at_offset(kv.second, 0);
        declare(kv.first, def.name, "definition");
        def.expr = r.formula(kv.second, "definition '" + def.name + "'", def.text);
        fn.definitions.push_back(def);
      }
    }
  }

  if (const YAML::Node reqs = root["requires"]) {
    if (!reqs.IsSequence()) {
      r.error(reqs, "requires must be a list of {check: condition, message: text}");
    } else {
      for (const auto& item : reqs) {
        if (!r.check_keys(item, "requirement", {"check", "message"}, {"check", "message"})) continue;
        Requirement q;
        q.check.name = "requirement";
        q.check.where = r.at_offset(item["check"], 0);
        q.check.expr = r.formula(item["check"], "requirement", q.check.text);
        q.message = r.scalar(item["message"], "message").value_or("");
        fn.requires_.push_back(q);
      }
    }
  }

  if (root["formula"]) {
    fn.formula = r.formula(root["formula"], "formula", fn.formula_text);
    fn.formula_where = r.at_offset(root["formula"], 0);
  }

  if (root["output"]) {
    auto s = r.scalar(root["output"], "output").value_or("");
    if (s == "scalar") fn.output = Shape::scalar;
    else if (s == "vector") fn.output = Shape::vector;
    else r.error(root["output"], "output must be scalar or vector, not '" + s + "'");
  }

  if (const YAML::Node red = root["reduction"]) {
    if (r.check_keys(red, "reduction", {"over", "weight"}, {"over"})) {
      ReductionSpec rs;
      auto over = r.scalar(red["over"], "over").value_or("");
      if (over == "elements") rs.over = ReductionSpec::Over::elements;
      else if (over == "rows") rs.over = ReductionSpec::Over::rows;
      else r.error(red["over"], "reduction over must be elements or rows, not '" + over + "'");
      if (red["weight"]) {
        Definition w;
        w.name = "weight";
        w.where = r.at(red["weight"]);
        w.expr = r.formula(red["weight"], "reduction weight", w.text);
        rs.weight = w;
      }
      fn.reduction = rs;
      const ParamSpec* p = fn.param("reduction");
      if (!p || p->type != ParamType::enumeration)
        r.error(red, "a reduction needs an enum parameter 'reduction' (values among none, mean, sum)");
      else
        for (const auto& v : p->values)
          if (v != "none" && v != "mean" && v != "sum")
            r.error(red, "reduction value '" + v + "' is not one of none, mean, sum");
    }
  } else if (fn.param("reduction")) {
    r.error(root, "parameter 'reduction' needs a 'reduction:' section saying what it reduces over");
  }

  if (const YAML::Node sv = root["special_values"]) {
    if (!sv.IsSequence()) {
      r.error(sv, "special_values must be a list of {input: value, ..., result: value}");
    } else {
      for (const auto& item : sv) {
        if (!item.IsMap()) {
          r.error(item, "a special value must be a mapping");
          continue;
        }
        SpecialValue v;
        for (const auto& kv : item) {
          std::string key = kv.first.Scalar();
          auto val = r.scalar(kv.second, key).value_or("");
          if (key == "result") v.result = val;
          else if (key == "note") v.note = val;
          else if (const InputSpec* in = fn.input(key)) {
            if (in->shape != Shape::scalar) r.error(kv.first, "special values are for scalar inputs");
            if (!parse_number_text(val)) r.error(kv.second, "'" + val + "' is not a number");
            v.inputs[key] = val;
          } else {
            r.error(kv.first, "special value names '" + key + "', which is not an input");
          }
        }
        if (v.result.empty()) r.error(item, "special value without a result");
        else if (!parse_number_text(v.result)) r.error(item, "result '" + v.result + "' is not a number");
        fn.special_values.push_back(v);
      }
    }
  }

  if (const YAML::Node cv = root["conventions"]) {
    if (!cv.IsSequence()) {
      r.error(cv, "conventions must be a list");
    } else {
      for (const auto& item : cv) {
        if (!r.check_keys(item, "convention", {"name", "description", "params", "source"}, {"name", "description"}))
          continue;
        Convention c;
        c.name = r.scalar(item["name"], "name").value_or("");
        c.description = r.scalar(item["description"], "description").value_or("");
        if (item["source"]) c.source = r.scalar(item["source"], "source").value_or("");
        if (const YAML::Node ps = item["params"]) {
          if (!ps.IsMap()) {
            r.error(ps, "convention params must be a mapping");
          } else {
            for (const auto& kv : ps) {
              std::string key = kv.first.Scalar();
              auto val = r.scalar(kv.second, key).value_or("");
              const ParamSpec* p = fn.param(key);
              if (!p) r.error(kv.first, "convention '" + c.name + "' sets unknown parameter '" + key + "'");
              else if (auto problem = check_param_value(*p, val)) r.error(kv.second, *problem);
              c.params[key] = val;
            }
          }
        }
        fn.conventions.push_back(c);
      }
    }
  }

  if (const YAML::Node ids = root["identities"]) {
    if (!ids.IsSequence()) {
      r.error(ids, "identities must be a list of formulas");
    } else {
      for (const auto& item : ids) {
        Identity id;
        id.where = r.at(item);
        id.expr = r.formula(item, "identity", id.text);
        fn.identities.push_back(id);
      }
    }
  }

  if (root["input_families"]) {
    fn.input_families = r.string_list(root["input_families"], "input_families");
    for (const auto& f : fn.input_families)
      if (!contains(kInputFamilies, f))
        r.error(root["input_families"], "unknown input family '" + f + "' (known: " + join(kInputFamilies) + ")");
  }

  if (const YAML::Node cases = root["cases"]) {
    if (!cases.IsSequence()) {
      r.error(cases, "cases must be a list of {name: value} mappings");
    } else {
      for (const auto& item : cases) {
        if (!item.IsMap()) {
          r.error(item, "a case must be a mapping of input and parameter values");
          continue;
        }
        HandPickedCase c;
        c.where = r.at(item);
        for (const auto& kv : item) {
          std::string key = kv.first.Scalar();
          if (!fn.input(key) && !fn.param(key))
            r.error(kv.first, "case names '" + key + "', which is neither an input nor a parameter");
          if (auto v = r.scalar(kv.second, key)) c.values[key] = *v;
        }
        for (const auto& in : fn.inputs)
          if (!c.values.count(in.name) && !in.optional) r.error(item, "case is missing input '" + in.name + "'");
        fn.cases.push_back(c);
      }
    }
  }

  if (const YAML::Node tol = root["tolerance"]) {
    if (r.check_keys(tol, "tolerance", kProfiles, {})) {
      for (const auto& kv : tol) {
        std::string profile = kv.first.Scalar();
        if (!kv.second.IsMap()) {
          r.error(kv.second, "tolerance '" + profile + "' must map formats to ULPs");
          continue;
        }
        for (const auto& fk : kv.second) {
          std::string format_name = fk.first.Scalar();
          auto format = parse_format(format_name);
          if (!format || info(*format).name != format_name) {
            r.error(fk.first, "unknown format '" + format_name + "' (binary64, binary32, binary16, bfloat16)");
            continue;
          }
          auto v = parse_number_text(fk.second.IsScalar() ? fk.second.Scalar() : "");
          if (!v || !(*v >= 0.5) || std::isinf(*v))
            r.error(fk.second, "a tolerance is a number of ULPs >= 0.5 (0.5 = correctly rounded)");
          else
            fn.tolerance[profile][*format] = *v;
        }
      }
    }
  }

  if (root["signed_zero"]) {
    auto s = r.scalar(root["signed_zero"], "signed_zero").value_or("");
    if (s == "significant") fn.signed_zero_significant = true;
    else if (s != "ignored") r.error(root["signed_zero"], "signed_zero must be significant or ignored");
  }

  if (const YAML::Node grads = root["gradients"]) {
    if (!grads.IsMap()) {
      r.error(grads, "gradients must map an input or parameter name to a formula");
    } else {
      for (const auto& kv : grads) {
        Definition g;
        g.name = kv.first.Scalar();
        g.where = r.at(kv.second);
        if (!fn.input(g.name) && !fn.param(g.name))
          r.error(kv.first, "gradient with respect to '" + g.name + "', which is neither an input nor a parameter");
        g.expr = r.formula(kv.second, "gradient '" + g.name + "'", g.text);
        fn.gradients[g.name] = g;
      }
    }
  }
  return fn;
}

// ---- Static checking of formulas: names resolve, arities match, shapes agree. ----

enum class Type { scalar, vector, boolean, boolean_vector, string };

std::string type_name(Type t) {
  switch (t) {
    case Type::scalar: return "a scalar";
    case Type::vector: return "a vector";
    case Type::boolean: return "a condition";
    case Type::boolean_vector: return "a vector of conditions";
    case Type::string: return "a string";
  }
  return "?";
}

bool is_real(Type t) { return t == Type::scalar || t == Type::vector; }
bool is_bool(Type t) { return t == Type::boolean || t == Type::boolean_vector; }
bool is_vec(Type t) { return t == Type::vector || t == Type::boolean_vector; }

class Checker {
 public:
  Checker(const std::vector<FunctionSpec>& all,
          const std::map<std::string, std::size_t, std::less<>>& by_name,
          std::vector<Diagnostic>& diagnostics)
      : all_(all), by_name_(by_name), diagnostics_(diagnostics), state_(all.size(), 0) {}

  void check_all() {
    for (std::size_t i = 0; i < all_.size(); ++i) check_function(i);
  }

 private:
  struct Scope {
    const FunctionSpec* fn;
    std::map<std::string, Type> names;
    SourceLocation where;
    std::string what;
  };

  const std::vector<FunctionSpec>& all_;
  const std::map<std::string, std::size_t, std::less<>>& by_name_;
  std::vector<Diagnostic>& diagnostics_;
  std::vector<int> state_;  // 0 unvisited, 1 in progress, 2 done
  std::vector<std::optional<Shape>> output_;

  struct Failure {
    int offset;
    std::string message;
  };

  // Positions inside a formula are approximated by the formula's start plus the offset on its
  // first line; multi-line formulas point at the line (the loader maps precisely for syntax).
  void report(const Scope& s, const Failure& f) {
    SourceLocation where = s.where;
    where.column += f.offset;
    diagnostics_.push_back({where, s.what + ": " + f.message});
  }

  void check_function(std::size_t i) {
    if (state_[i] == 2) return;
    const FunctionSpec& fn = all_[i];
    if (state_[i] == 1) {
      diagnostics_.push_back({fn.formula_where, "function '" + fn.name + "' calls itself (a cycle of spec calls)"});
      return;
    }
    state_[i] = 1;
    std::map<std::string, Type> names;
    for (const auto& in : fn.inputs) names[in.name] = in.shape == Shape::vector ? Type::vector : Type::scalar;
    for (const auto& p : fn.params) names[p.name] = p.type == ParamType::enumeration ? Type::string : Type::scalar;
    auto run = [&](const ExprPtr& e, const SourceLocation& where, const std::string& what) -> std::optional<Type> {
      if (!e) return std::nullopt;
      Scope scope{&fn, names, where, what};
      try {
        return type_of(*e, scope);
      } catch (const Failure& f) {
        report(scope, f);
        return std::nullopt;
      }
    };
    for (const auto& in : fn.inputs) {
      if (!in.default_expr) continue;
      auto t = run(in.default_expr, in.where, "default of input '" + in.name + "'");
      if (t && (*t == Type::vector) != (in.shape == Shape::vector))
        diagnostics_.push_back({in.where, "the default of input '" + in.name + "' has the wrong shape"});
    }
    for (const auto& d : fn.definitions) {
      auto t = run(d.expr, d.where, "definition '" + d.name + "'");
      names[d.name] = t.value_or(Type::scalar);
    }
    if (auto t = run(fn.formula, fn.formula_where, "formula")) {
      if (!is_real(*t)) {
        diagnostics_.push_back({fn.formula_where, "formula: the result is " + type_name(*t) + ", not a number"});
      } else {
        bool any_vector_input = std::any_of(fn.inputs.begin(), fn.inputs.end(),
                                            [](const InputSpec& in) { return in.shape == Shape::vector; });
        Shape inferred = *t == Type::vector ? Shape::vector : Shape::scalar;
        if (!any_vector_input && inferred == Shape::vector)
          diagnostics_.push_back({fn.formula_where, "formula: an elementwise function must give a scalar"});
        const_cast<FunctionSpec&>(fn).output = inferred;
      }
    }
    for (const auto& q : fn.requires_) {
      auto t = run(q.check.expr, q.check.where, "requirement");
      if (t && !is_bool(*t)) diagnostics_.push_back({q.check.where, "a requirement must be a condition"});
    }
    if (fn.reduction && fn.reduction->weight) {
      auto t = run(fn.reduction->weight->expr, fn.reduction->weight->where, "reduction weight");
      if (t && *t != Type::scalar)
        diagnostics_.push_back({fn.reduction->weight->where, "reduction weight must be a scalar per sample"});
    }
    if (fn.reduction && fn.output != Shape::scalar)
      diagnostics_.push_back({fn.formula_where, "a reduced loss must give a scalar per sample"});
    state_[i] = 2;  // identities and gradients may call the function itself
    for (const auto& id : fn.identities) {
      auto t = run(id.expr, id.where, "identity");
      if (t && !is_bool(*t)) diagnostics_.push_back({id.where, "identity must be a comparison, e.g. a == b"});
    }
    // A gradient formula may read the upstream gradient g (a vector for vector outputs).
    names["g"] = fn.output == Shape::vector ? Type::vector : Type::scalar;
    for (const auto& [name, g] : fn.gradients) {
      auto t = run(g.expr, g.where, "gradient '" + name + "'");
      const InputSpec* in = fn.input(name);
      bool want_vector = in && in->shape == Shape::vector;
      if (t && is_real(*t) && (*t == Type::vector) != want_vector)
        diagnostics_.push_back({g.where, "gradient '" + name + "' must have the shape of '" + name + "' (" +
                                             (want_vector ? "a vector" : "a scalar") + ")"});
    }
  }

  [[noreturn]] static void fail(const Expr& e, const std::string& message) { throw Failure{e.offset, message}; }

  Type broadcast(const Expr& e, Type a, Type b, bool boolean) {
    bool vec = is_vec(a) || is_vec(b);
    if (boolean) return vec ? Type::boolean_vector : Type::boolean;
    (void)e;
    return vec ? Type::vector : Type::scalar;
  }

  Type expect_real(const Expr& e, Type t, const std::string& what) {
    if (!is_real(t)) fail(e, what + " must be a number, not " + type_name(t));
    return t;
  }

  Type type_of(const Expr& e, Scope& s) {
    switch (e.kind) {
      case Expr::Kind::Number: return Type::scalar;
      case Expr::Kind::String: return Type::string;
      case Expr::Kind::Name: {
        auto it = s.names.find(e.text);
        if (it != s.names.end()) return it->second;
        if (kConstants.count(e.text)) return Type::scalar;
        std::vector<std::string> known;
        for (const auto& [n, t] : s.names) known.push_back(n);
        fail(e, "unknown name '" + e.text + "' (inputs, parameters and definitions here: " + join(known) + ")");
      }
      case Expr::Kind::Unary: {
        Type t = type_of(*e.args[0], s);
        if (e.op == Op::Not) {
          if (!is_bool(t)) fail(e, "'!' needs a condition");
          return t;
        }
        return expect_real(*e.args[0], t, "operand of '-'");
      }
      case Expr::Kind::Binary: {
        Type a = type_of(*e.args[0], s), b = type_of(*e.args[1], s);
        switch (e.op) {
          case Op::And:
          case Op::Or:
            if (!is_bool(a) || !is_bool(b)) fail(e, "'&&' and '||' join conditions");
            return broadcast(e, a, b, true);
          case Op::Eq:
          case Op::Ne:
            if (a == Type::string || b == Type::string) {
              if (a != Type::string || b != Type::string)
                fail(e, "an enum parameter compares only with a string such as 'mean'");
              check_enum_comparison(e, s);
              return Type::boolean;
            }
            [[fallthrough]];
          case Op::Lt:
          case Op::Le:
          case Op::Gt:
          case Op::Ge:
            expect_real(*e.args[0], a, "left side of a comparison");
            expect_real(*e.args[1], b, "right side of a comparison");
            return broadcast(e, a, b, true);
          default:
            expect_real(*e.args[0], a, "left operand");
            expect_real(*e.args[1], b, "right operand");
            return broadcast(e, a, b, false);
        }
      }
      case Expr::Kind::Index: {
        Type v = type_of(*e.args[0], s), i = type_of(*e.args[1], s);
        if (v != Type::vector) fail(e, "only a vector can be indexed, not " + type_name(v));
        if (i != Type::scalar) fail(*e.args[1], "an index must be a scalar");
        return Type::scalar;
      }
      case Expr::Kind::Call: return call_type(e, s);
    }
    fail(e, "unexpected expression");
  }

  void check_enum_comparison(const Expr& e, const Scope& s) {
    const Expr* name = e.args[0]->kind == Expr::Kind::Name ? e.args[0].get() : e.args[1].get();
    const Expr* literal = e.args[0]->kind == Expr::Kind::String ? e.args[0].get() : e.args[1].get();
    if (name->kind != Expr::Kind::Name || literal->kind != Expr::Kind::String)
      fail(e, "compare an enum parameter with a string literal");
    const ParamSpec* p = s.fn->param(name->text);
    if (p && !contains(p->values, literal->text))
      fail(*literal, "'" + literal->text + "' is not a value of '" + p->name + "' (" + join(p->values) + ")");
  }

  Type call_type(const Expr& e, Scope& s) {
    std::vector<Type> args;
    for (const auto& a : e.args) args.push_back(type_of(*a, s));
    if (const BuiltinInfo* b = find_builtin(e.text)) {
      for (const auto& k : e.keywords)
        if (!k.empty()) fail(e, "builtin '" + e.text + "' takes no keyword arguments");
      int n = static_cast<int>(args.size());
      if (n < b->min_args || n > b->max_args)
        fail(e, "'" + e.text + "' takes " + std::to_string(b->min_args) +
                    (b->max_args != b->min_args ? " or " + std::to_string(b->max_args) : "") +
                    " argument(s), not " + std::to_string(n));
      std::string name = e.text;
      if (name == "where") {
        if (!is_bool(args[0])) fail(*e.args[0], "the first argument of where must be a condition");
        expect_real(*e.args[1], args[1], "where's second argument");
        expect_real(*e.args[2], args[2], "where's third argument");
        bool vec = is_vec(args[0]) || is_vec(args[1]) || is_vec(args[2]);
        return vec ? Type::vector : Type::scalar;
      }
      if (name == "groupfirst") {
        if (args[0] != Type::boolean_vector || args[1] != Type::scalar)
          fail(e, "groupfirst(conditions, group size) takes a vector of conditions and a scalar");
        return Type::boolean_vector;
      }
      for (std::size_t i = 0; i < args.size(); ++i)
        expect_real(*e.args[i], args[i], "argument of " + name);
      bool reduction = name == "sum" || name == "mean" || name == "len" || name == "argmax" ||
                       ((name == "max" || name == "min") && n == 1);
      if (reduction) {
        if (args[0] != Type::vector) fail(e, "'" + name + "' reduces a vector, not " + type_name(args[0]));
        return Type::scalar;
      }
      if (name == "concat") return Type::vector;
      if (name == "slice") {
        if (args[0] != Type::vector || args[1] != Type::scalar || args[2] != Type::scalar)
          fail(e, "slice(vector, start, length) takes a vector and two scalars");
        return Type::vector;
      }
      if (name == "repeat") {
        if (args[0] != Type::vector || args[1] != Type::scalar) fail(e, "repeat(vector, k) takes a vector and a scalar");
        return Type::vector;
      }
      if (name == "ones") {
        if (args[0] != Type::scalar) fail(e, "ones(length) takes a scalar");
        return Type::vector;
      }
      if (name == "groupmax") {
        if (args[0] != Type::vector || args[1] != Type::scalar) fail(e, "groupmax(vector, group size) takes a vector and a scalar");
        return Type::vector;
      }
      if (name == "onehot") {
        if (args[0] != Type::scalar || args[1] != Type::scalar) fail(e, "onehot(index, length) takes scalars");
        return Type::vector;
      }
      bool vec = std::any_of(args.begin(), args.end(), is_vec);
      return vec ? Type::vector : Type::scalar;
    }
    auto it = by_name_.find(e.text);
    if (it == by_name_.end()) fail(e, "unknown function '" + e.text + "'");
    check_function(it->second);
    const FunctionSpec& callee = all_[it->second];
    if (callee.reduction) {
      bool unreduced = false;
      for (std::size_t i = 0; i < e.args.size(); ++i)
        unreduced |= e.keywords[i] == "reduction" && e.args[i]->kind == Expr::Kind::String && e.args[i]->text == "none";
      if (!unreduced)
        fail(e, "'" + callee.name + "' reduces a batch: call it with reduction='none' for one sample's value");
    }
    // Positional arguments bind the callee's inputs, then its parameters, in order.
    std::set<std::string> bound;
    bool mapped = false;
    for (std::size_t i = 0; i < e.args.size(); ++i) {
      std::string target = e.keywords[i];
      if (target.empty()) {
        if (i < callee.inputs.size()) target = callee.inputs[i].name;
        else if (i - callee.inputs.size() < callee.params.size()) target = callee.params[i - callee.inputs.size()].name;
        else fail(*e.args[i], "too many arguments for '" + callee.name + "'");
      }
      if (!bound.insert(target).second) fail(*e.args[i], "argument '" + target + "' given twice");
      if (const InputSpec* in = callee.input(target)) {
        expect_real(*e.args[i], args[i], "input '" + target + "'");
        if (in->shape == Shape::vector && args[i] != Type::vector)
          fail(*e.args[i], "input '" + target + "' of '" + callee.name + "' is a vector");
        if (in->shape == Shape::scalar && args[i] == Type::vector) mapped = true;
      } else if (const ParamSpec* p = callee.param(target)) {
        Type want = p->type == ParamType::enumeration ? Type::string : Type::scalar;
        if (args[i] != want) fail(*e.args[i], "parameter '" + target + "' takes " + type_name(want));
        if (p->type == ParamType::enumeration && e.args[i]->kind == Expr::Kind::String &&
            !contains(p->values, e.args[i]->text))
          fail(*e.args[i], "'" + e.args[i]->text + "' is not a value of '" + target + "'");
      } else {
        fail(*e.args[i], "'" + callee.name + "' has no input or parameter '" + target + "'");
      }
    }
    for (const auto& in : callee.inputs)
      if (!bound.count(in.name) && !in.optional) fail(e, "'" + callee.name + "' needs input '" + in.name + "'");
    for (const auto& p : callee.params)
      if (p.required && !bound.count(p.name)) fail(e, "'" + callee.name + "' needs parameter '" + p.name + "'");
    if (mapped) {
      if (!callee.elementwise()) fail(e, "only an elementwise function maps over a vector argument");
      return Type::vector;
    }
    return callee.output == Shape::vector ? Type::vector : Type::scalar;
  }
};

}  // namespace

std::string SourceLocation::str() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

static std::string join_diagnostics(const std::vector<Diagnostic>& ds) {
  std::string s;
  for (const auto& d : ds) s += (s.empty() ? "" : "\n") + d.str();
  return s;
}

SpecError::SpecError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join_diagnostics(diagnostics)), diagnostics_(std::move(diagnostics)) {}

bool RealRange::contains(double v) const {
  if (std::isnan(v)) return false;
  if (lo_open ? !(v > lo) : !(v >= lo)) return false;
  if (hi_open ? !(v < hi) : !(v <= hi)) return false;
  return true;
}

std::string RealRange::str() const {
  auto num = [](double v) {
    if (std::isinf(v)) return std::string(v < 0 ? "-inf" : "inf");
    std::ostringstream os;
    os << v;
    return os.str();
  };
  return std::string(lo_open ? "(" : "[") + num(lo) + ", " + num(hi) + (hi_open ? ")" : "]");
}

std::optional<RealRange> RealRange::parse(const std::string& text) {
  std::string s;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) s += c;
  if (s.size() < 5) return std::nullopt;
  RealRange r;
  if (s.front() == '(') r.lo_open = true;
  else if (s.front() != '[') return std::nullopt;
  if (s.back() == ')') r.hi_open = true;
  else if (s.back() != ']') return std::nullopt;
  auto comma = s.find(',');
  if (comma == std::string::npos) return std::nullopt;
  auto lo = parse_number_text(s.substr(1, comma - 1));
  auto hi = parse_number_text(s.substr(comma + 1, s.size() - comma - 2));
  if (!lo || !hi || std::isnan(*lo) || std::isnan(*hi) || *lo > *hi) return std::nullopt;
  r.lo = *lo;
  r.hi = *hi;
  return r;
}

bool FunctionSpec::elementwise() const {
  return std::all_of(inputs.begin(), inputs.end(), [](const InputSpec& in) { return in.shape == Shape::scalar; });
}
bool FunctionSpec::unary() const {
  return inputs.size() == 1 && inputs[0].type == InputType::real && inputs[0].shape == Shape::scalar &&
         !reduction;
}
const InputSpec* FunctionSpec::input(std::string_view n) const {
  for (const auto& in : inputs)
    if (in.name == n) return &in;
  return nullptr;
}
const ParamSpec* FunctionSpec::param(std::string_view n) const {
  for (const auto& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

const BuiltinInfo* find_builtin(std::string_view name) {
  for (const auto& b : kBuiltins)
    if (b.name == name) return &b;
  return nullptr;
}

SpecSet SpecSet::load(const std::filesystem::path& dir) {
  std::vector<Diagnostic> diagnostics;
  SpecSet set;
  set.dir_ = dir;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw SpecError({{{dir.string(), 0, 0}, "spec directory does not exist"}});
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    if (entry.is_regular_file() && (entry.path().extension() == ".yaml" || entry.path().extension() == ".yml"))
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw SpecError({{{dir.string(), 0, 0}, "no *.yaml spec files here"}});

  std::map<std::string, SourceLocation> seen;
  for (const auto& file : files) {
    FileReader reader(file, diagnostics);
    YAML::Node root;
    try {
      root = YAML::Load(reader.text());
    } catch (const YAML::Exception& e) {
      diagnostics.push_back({{file.string(), e.mark.line + 1, e.mark.column + 1}, "YAML syntax: " + e.msg});
      continue;
    }
    if (!root || root.IsNull()) {
      diagnostics.push_back({{file.string(), 1, 1}, "empty spec file"});
      continue;
    }
    FunctionSpec fn = read_spec(reader, root, file);
    if (fn.name.empty()) continue;
    for (const auto& n : [&] {
           std::vector<std::string> all{fn.name};
           all.insert(all.end(), fn.aliases.begin(), fn.aliases.end());
           return all;
         }()) {
      auto [it, inserted] = seen.emplace(n, SourceLocation{file.string(), 1, 1});
      if (!inserted)
        diagnostics.push_back({{file.string(), 1, 1}, "'" + n + "' is already defined in " + it->second.file});
    }
    set.functions_.push_back(std::move(fn));
  }
  std::sort(set.functions_.begin(), set.functions_.end(),
            [](const FunctionSpec& a, const FunctionSpec& b) { return a.name < b.name; });
  for (std::size_t i = 0; i < set.functions_.size(); ++i) {
    set.by_name_[set.functions_[i].name] = i;
    for (const auto& a : set.functions_[i].aliases) set.by_name_[a] = i;
  }
  if (diagnostics.empty()) Checker(set.functions_, set.by_name_, diagnostics).check_all();
  if (!diagnostics.empty()) throw SpecError(std::move(diagnostics));
  return set;
}

const FunctionSpec* SpecSet::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &functions_[it->second];
}

}  // namespace nnconform::ref
