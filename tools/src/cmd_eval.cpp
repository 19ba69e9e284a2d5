#include <cmath>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::tool {
namespace {

struct EvalOptions {
  std::string function;
  std::string format = "binary64";
  std::vector<std::string> bindings;
  long max_precision = 1L << 15;
  bool verbose = false;
  std::string grad;  // print the gradient with respect to this input or parameter
};

int run_eval(const GlobalOptions& g, const EvalOptions& o) {
  auto specs = ref::SpecSet::load(g.spec_dir);
  const ref::FunctionSpec* fn = specs.find(o.function);
  if (!fn) throw ref::EvalError("unknown function '" + o.function + "' (see nnconform list)");
  auto format = ref::parse_format(o.format);
  if (!format) throw ref::EvalError("unknown format '" + o.format + "' (binary64, binary32, binary16, bfloat16)");

  ref::Arguments args;
  for (const auto& b : o.bindings) {
    auto eq = b.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ref::EvalError("'" + b + "' is not NAME=VALUE");
    std::string name = b.substr(0, eq), value = b.substr(eq + 1);
    if (args.inputs.count(name) || args.params.count(name)) throw ref::EvalError("'" + name + "' is given twice");
    if (const ref::InputSpec* in = fn->input(name)) {
      try {
        args.inputs[name] = ref::parse_tensor(value, *format, in->type);
      } catch (const ref::EvalError& e) {
        throw ref::EvalError(fn->name + ": input '" + name + "': " + e.what());
      }
      if (fn->elementwise() == false && in->shape == ref::Shape::scalar && args.inputs[name].shape.size() > 1)
        throw ref::EvalError(fn->name + ": input '" + name + "' is a scalar per sample, not a matrix");
    } else if (fn->param(name)) {
      args.params[name] = value;
    } else if (name == "g" && !o.grad.empty()) {
      args.inputs[name] = ref::parse_tensor(value, *format, ref::InputType::real);  // upstream gradient
    } else {
      std::string known;
      for (const auto& in : fn->inputs) known += (known.empty() ? "" : ", ") + in.name;
      for (const auto& p : fn->params) known += ", " + p.name;
      throw ref::EvalError(fn->name + ": unknown name '" + name + "' (inputs and parameters: " + known + ")");
    }
  }
  ref::EvalOptions eo;
  eo.max_precision = o.max_precision;
  ref::Reference reference(specs, eo);
  ref::EvalResult r = o.grad.empty() ? reference.evaluate(*fn, *format, args)
                                     : reference.evaluate_gradient(*fn, o.grad, *format, args);
  for (const auto& v : r.values) {
    std::cout << ref::to_hex(v.value) << " " << ref::to_shortest_decimal(v.value);
    if (o.verbose) std::cout << "  offset " << v.offset_ulps << " ulp";
    std::cout << "\n";
  }
  if (o.verbose) std::cerr << "max precision used: " << r.max_precision_used << " bits\n";
  return kExitOk;
}

}  // namespace

void add_eval_command(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto o = std::make_shared<EvalOptions>();
  auto* cmd = app.add_subcommand("eval", "Print the correctly rounded value of a function (a calculator)");
  cmd->add_option("function", o->function, "Function name or alias")->required();
  cmd->add_option("bindings", o->bindings, "NAME=VALUE: x=-100, z=1,2,1e4, y=0,0,1;0,1,0, reduction=sum");
  cmd->add_option("--format", o->format, "binary64, binary32, binary16 or bfloat16")->capture_default_str();
  cmd->add_option("--max-precision", o->max_precision, "Precision cap in bits for the enclosure")
      ->capture_default_str()
      ->check(CLI::Range(64L, 1L << 24));
  cmd->add_flag("--verbose,-v", o->verbose, "Also print where the exact value lies, in ULPs");
  cmd->add_option("--grad", o->grad,
                  "Print the gradient with respect to this input or parameter (of the reduced loss for a "
                  "reduction; vector outputs take the upstream gradient as g=..., default ones)");
  cmd->callback([&g, &run, o] { run = [&g, o] { return run_eval(g, *o); }; });
}

}  // namespace nnconform::tool
