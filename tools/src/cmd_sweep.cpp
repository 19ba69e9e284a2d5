// nnconform sweep: every input of binary32/binary16/bfloat16 (or a bit-pattern range) of a unary
// function through an implementation, compared with the correctly rounded reference (the fast
// path of reference/include/nnconform/ref/fast/, MPFR where it cannot decide). Sharded with
// --shard I/N, merged with --merge, resumable with --resume (see sweep.hpp).
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "nnconform/conformance/implementation.hpp"
#include "nnconform/conformance/measure.hpp"
#include "nnconform/impl/nn.hpp"
#include "nnconform/impl/simd.hpp"
#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/fast/sweep.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::tool {
namespace {

using ref::Format;
using ref::fast::SweepError;

struct SweepOptions {
  std::string function;
  std::string format = "binary32";
  std::string impl = "builtin";
  std::string range;
  std::string shard = "1/1";
  int threads = 0;
  std::string out;
  std::vector<std::string> merge;
  std::vector<std::string> table;
  bool resume = false;
  std::vector<std::string> params;
  double tolerance = 0;  // 0: the spec's strict tolerance
  std::uint32_t chunk_size = 1u << 16;
  std::uint64_t max_chunks = 0;
  bool progress = false, no_progress = false;
};

// ---------------------------------------------------------------------------------------------
// The built-in implementation in binary32, called on whole chunks: impl/'s float kernels
// directly (the per-case adapter of conformance/ builds a Tensor of FloatBits per call; this does
// not). The 16-bit formats (65536 inputs) go through that adapter, which serves them from the
// binary64 kernels rounded once (conformance/implementation.hpp). `nnconform sweep --impl
// builtin/adapter` takes the adapter in binary32 too (same results, slower): a cross-check.

using Values = std::map<std::string, float>;
using FloatKernel = std::function<void(std::span<const float>, std::span<float>, const Values&)>;

const std::map<std::string, FloatKernel>& builtin_kernels() {
  static const std::map<std::string, FloatKernel> table = {
      {"sigmoid", [](auto x, auto y, const Values&) { impl::sigmoid(x, y); }},
      {"tanh", [](auto x, auto y, const Values&) { impl::tanh(x, y); }},
      {"softplus", [](auto x, auto y, const Values& p) { impl::softplus(x, y, p.at("beta"), p.at("threshold")); }},
      {"relu", [](auto x, auto y, const Values&) { impl::relu(x, y); }},
      {"relu6", [](auto x, auto y, const Values&) { impl::relu6(x, y); }},
      {"elu", [](auto x, auto y, const Values& p) { impl::elu(x, y, p.at("alpha")); }},
      {"linear", [](auto x, auto y, const Values& p) { impl::linear(x, y, p.at("k")); }},
      {"leaky_relu", [](auto x, auto y, const Values& p) { impl::leaky_relu(x, y, p.at("a")); }},
      {"prelu", [](auto x, auto y, const Values& p) { impl::prelu(x, y, p.at("a")); }},
      {"srelu", [](auto x, auto y, const Values& p) { impl::srelu(x, y, p.at("t_l"), p.at("a_l"), p.at("t_r"), p.at("a_r")); }},
      {"hardsigmoid", [](auto x, auto y, const Values&) { impl::hardsigmoid(x, y); }},
      {"hardswish", [](auto x, auto y, const Values&) { impl::hardswish(x, y); }},
      {"silu", [](auto x, auto y, const Values&) { impl::silu(x, y); }},
      {"swish", [](auto x, auto y, const Values& p) { impl::swish(x, y, p.at("beta")); }},
      {"mish", [](auto x, auto y, const Values&) { impl::mish(x, y); }},
      {"gelu", [](auto x, auto y, const Values&) { impl::gelu(x, y); }},
      {"gelu_tanh", [](auto x, auto y, const Values&) { impl::gelu_tanh(x, y); }},
      {"selu", [](auto x, auto y, const Values&) { impl::selu(x, y); }},
      {"logsigmoid", [](auto x, auto y, const Values&) { impl::logsigmoid(x, y); }},
  };
  return table;
}

// The SIMD kernels (nnconform/impl/simd.hpp) of one float32 tier, on whole chunks.
const std::map<std::string, FloatKernel>& simd_kernels(nnconform::simd::Tier tier) {
  using nnconform::simd::Tier;
  namespace simd = nnconform::simd;
  static auto make = [](Tier t) {
    return std::map<std::string, FloatKernel>{
        {"sigmoid", [t](auto x, auto y, const Values&) { simd::sigmoid(x, y, t); }},
        {"tanh", [t](auto x, auto y, const Values&) { simd::tanh(x, y, t); }},
        {"silu", [t](auto x, auto y, const Values&) { simd::silu(x, y, t); }},
        {"softplus", [t](auto x, auto y, const Values&) { simd::softplus(x, y, t); }},
        {"elu", [t](auto x, auto y, const Values& p) { simd::elu(x, y, p.at("alpha"), t); }},
        {"mish", [t](auto x, auto y, const Values&) { simd::mish(x, y, t); }},
        {"relu", [](auto x, auto y, const Values&) { simd::relu(x, y); }},
        {"leaky_relu", [](auto x, auto y, const Values& p) { simd::leaky_relu(x, y, p.at("a")); }},
        {"relu6", [](auto x, auto y, const Values&) { simd::relu6(x, y); }},
    };
  };
  static const std::map<std::string, FloatKernel> fast = make(Tier::fast), cr = make(Tier::correctly_rounded);
  return tier == Tier::fast ? fast : cr;
}

class BuiltinSubject : public ref::fast::SweepSubject {
 public:
  BuiltinSubject(FloatKernel kernel, Values params) : kernel_(std::move(kernel)), params_(std::move(params)) {}
  void compute(std::span<const std::uint32_t> in, std::span<std::uint32_t> out) override {
    x_.resize(in.size());
    y_.resize(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) x_[i] = std::bit_cast<float>(in[i]);
    kernel_(x_, y_, params_);
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = std::bit_cast<std::uint32_t>(y_[i]);
  }

 private:
  FloatKernel kernel_;
  Values params_;
  std::vector<float> x_, y_;
};

// Any conformance::Implementation, a chunk at a time as one case whose input is a vector
// (every unary spec function is elementwise).
class ImplementationSubject : public ref::fast::SweepSubject {
 public:
  ImplementationSubject(std::unique_ptr<conformance::Implementation> impl, const ref::FunctionSpec& fn, Format format,
                        std::map<std::string, std::string> params)
      : impl_(std::move(impl)), fn_(fn), format_(format), params_(std::move(params)) {}
  void compute(std::span<const std::uint32_t> in, std::span<std::uint32_t> out) override {
    ref::Arguments args;
    ref::Tensor t;
    t.shape = {in.size()};
    t.values.reserve(in.size());
    for (std::uint32_t b : in) t.values.push_back(ref::FloatBits{format_, b});
    args.inputs[fn_.inputs[0].name] = std::move(t);
    args.params = params_;
    std::vector<ref::FloatBits> y = impl_->compute(fn_, format_, args);
    if (y.size() != in.size())
      throw std::runtime_error(impl_->name() + " returned " + std::to_string(y.size()) + " values for " +
                               std::to_string(in.size()) + " inputs");
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = static_cast<std::uint32_t>(y[i].bits);
  }

 private:
  std::unique_ptr<conformance::Implementation> impl_;
  const ref::FunctionSpec& fn_;
  Format format_;
  std::map<std::string, std::string> params_;
};

// Parameter values as a float caller holds them: rounded to the format (spec defaults for the
// absent ones).
Values float_params(const ref::FunctionSpec& fn, Format format, const std::map<std::string, std::string>& given) {
  Values v;
  for (const auto& p : fn.params) {
    if (p.type == ref::ParamType::enumeration) continue;
    auto it = given.find(p.name);
    std::optional<std::string> text = it != given.end() ? std::optional(it->second) : p.default_value;
    if (!text) continue;
    auto value = ref::parse_value(*text, p.exact ? Format::binary32 : format);
    if (value) v[p.name] = static_cast<float>(value->to_double());
  }
  return v;
}

ref::fast::SubjectFactory make_subjects(const std::string& impl, const ref::FunctionSpec& fn, Format format,
                                        const std::map<std::string, std::string>& params) {
  if (impl == "builtin" && format == Format::binary32) {
    auto it = builtin_kernels().find(fn.name);
    if (it != builtin_kernels().end()) {
      FloatKernel k = it->second;
      Values v = float_params(fn, format, params);
      return [k, v] { return std::make_unique<BuiltinSubject>(k, v); };
    }
  }
  // simd, simd-cr, simd@TARGET, simd-cr@TARGET: the SIMD kernels of a tier, optionally forced
  // onto one Highway target (process-wide, set here before the sweep's threads start).
  if (impl.rfind("simd", 0) == 0) {
    const auto at = impl.find('@');
    const std::string tier = impl.substr(0, at);
    if (tier != "simd" && tier != "simd-cr")
      throw SweepError("--impl '" + impl + "': the SIMD kernels are 'simd', 'simd-cr', 'simd@TARGET' or 'simd-cr@TARGET'");
    if (at != std::string::npos) {
      try {
        nnconform::simd::force_target(impl.substr(at + 1));
      } catch (const std::invalid_argument& e) {
        throw SweepError("--impl '" + impl + "': " + e.what());
      }
    }
    const auto& table = simd_kernels(tier == "simd" ? nnconform::simd::Tier::fast : nnconform::simd::Tier::correctly_rounded);
    auto it = table.find(fn.name);
    if (it == table.end()) throw SweepError("the SIMD kernels have no " + fn.name);
    if (format != Format::binary32) throw SweepError("the SIMD kernels are swept in binary32 only");
    FloatKernel k = it->second;
    Values v = float_params(fn, format, params);
    return [k, v] { return std::make_unique<BuiltinSubject>(k, v); };
  }
  if (impl == "builtin" || impl == "builtin/adapter") {
    auto probe = conformance::make_builtin();
    if (!probe->supports(fn, format))
      throw SweepError("the built-in implementation has no " + fn.name + " in " + std::string(ref::name(format)));
    return [&fn, format, params] {
      return std::make_unique<ImplementationSubject>(conformance::make_builtin(), fn, format, params);
    };
  }
  throw SweepError("--impl '" + impl + "': sweep takes 'builtin' (impl/'s kernels on whole chunks), 'builtin/adapter' "
                   "(the same through the per-case conformance adapter) or simd, simd-cr, simd@TARGET, simd-cr@TARGET "
                   "(the SIMD kernels); shared libraries and programs come with nnconform check's implementations");
}

ref::fast::Verdict measure(const ref::FloatBits& computed, const ref::FloatBits& golden, double offset) {
  conformance::ElementError e = conformance::measure(computed, golden, offset);
  return {e.ulps, e.correctly_rounded, e.nan_mismatch, e.inf_mismatch, e.zero_sign_mismatch};
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SweepError(path + ": cannot read");
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw SweepError("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw SweepError("cannot write " + path);
}

int finish(const ref::fast::SweepResult& r, const std::string& out) {
  if (!out.empty() && r.complete) write_text(out, r.to_json());
  std::cout << ref::fast::format_report(r);
  if (!out.empty() && !r.complete) std::cout << "  checkpoint        " << out << ".partial (resume with --resume)\n";
  return r.passed() ? kExitOk : kExitFailures;
}

int run_merge(const SweepOptions& o) {
  std::vector<std::pair<std::string, ref::fast::SweepResult>> parts;
  for (const auto& path : o.merge) parts.emplace_back(path, ref::fast::SweepResult::from_json(read_text(path), path));
  return finish(ref::fast::merge_results(parts), o.out);
}

// One Markdown row per complete result file (docs/sweeps/).
int run_table(const SweepOptions& o) {
  std::cout << "| function | format | implementation | inputs | max error (ulp) | at x | correctly rounded | "
               "over 1 ulp | over tolerance | NaN / inf / ±0 mismatches | reference fallback rate | time (wall) | "
               "CPU time | verdict |\n";
  std::cout << "|---|---|---|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---|\n";
  for (const auto& path : o.table) {
    auto r = ref::fast::SweepResult::from_json(read_text(path), path);
    if (!r.complete) throw SweepError(path + ": an incomplete sweep (a checkpoint)");
    const auto& t = r.tally;
    std::string fn = r.spec.function;
    for (const auto& [k, v] : r.spec.params) fn += " " + k + "=" + v;
    auto fmt = [](double v, int prec) {
      std::ostringstream os;
      os << std::setprecision(prec) << v;
      return os.str();
    };
    double n = static_cast<double>(t.inputs);
    std::ostringstream pct;
    pct << std::fixed << std::setprecision(t.correctly_rounded == t.inputs ? 0 : 6) << 100.0 * t.correctly_rounded / n << "%";
    std::uint64_t refs = t.reference.fast + t.reference.special + t.reference.fallback;
    std::string x = t.has_worst ? "`" + ref::fast::hex_bits(t.worst_input, r.spec.format) + "` (" +
                                      ref::to_shortest_decimal(ref::FloatBits{r.spec.format, t.worst_input}) + ")"
                                : "-";
    auto secs = [](double s) {
      std::ostringstream os;
      os << std::fixed << std::setprecision(s < 100 ? 1 : 0) << s << " s";
      return os.str();
    };
    std::cout << "| " << fn << " | " << ref::name(r.spec.format) << " | " << r.spec.implementation << " | " << t.inputs
              << " | " << fmt(t.max_ulps, 6) << " | " << x << " | " << pct.str() << " | " << t.over_one_ulp << " | "
              << t.over_tolerance << " (tol " << fmt(r.spec.tolerance, 3) << ") | " << t.nan_mismatches << " / "
              << t.inf_mismatches << " / " << t.zero_sign_mismatches << " | "
              << fmt(refs ? static_cast<double>(t.reference.fallback) / static_cast<double>(refs) : 0, 3) << " ("
              << t.reference.fallback << ") | " << secs(r.seconds) << " | " << secs(r.cpu_seconds) << " | "
              << (r.passed() ? "pass" : "**FAIL**") << " |\n";
  }
  return kExitOk;
}

int run_sweep(const GlobalOptions& g, const SweepOptions& o) {
  if (!o.table.empty()) return run_table(o);
  if (!o.merge.empty()) {
    if (!o.function.empty()) throw SweepError("--merge takes result files, not a function ('" + o.function + "')");
    return run_merge(o);
  }
  if (o.function.empty()) throw SweepError("sweep needs a FUNCTION (or --merge FILES...)");
  auto specs = ref::SpecSet::load(g.spec_dir);
  const ref::FunctionSpec* fn = specs.find(o.function);
  if (!fn) throw ref::EvalError("unknown function '" + o.function + "' (see nnconform list)");
  if (!fn->unary())
    throw SweepError(fn->name + " is not a unary function (sweep takes one real scalar input and no reduction)");
  auto format = ref::parse_format(o.format);
  if (!format || !ref::fast::sweep_format(*format))
    throw SweepError("--format '" + o.format + "': a sweep covers binary32, binary16 or bfloat16");
  if (o.resume && o.out.empty()) throw SweepError("--resume needs --out FILE (the checkpoint is FILE.partial)");

  ref::fast::SweepSpec spec;
  spec.function = fn->name;
  spec.format = *format;
  spec.implementation = o.impl;
  for (const auto& b : o.params) {
    auto eq = b.find('=');
    if (eq == std::string::npos || eq == 0) throw SweepError("--param '" + b + "' is not NAME=VALUE");
    spec.params[b.substr(0, eq)] = b.substr(eq + 1);
  }
  std::uint32_t top = ref::info(*format).storage_bits == 32 ? 0xffffffffu : 0xffffu;
  spec.lo = 0;
  spec.hi = top;
  if (!o.range.empty()) std::tie(spec.lo, spec.hi) = ref::fast::parse_range(o.range, *format);
  std::tie(spec.shard, spec.shards) = ref::fast::parse_shard(o.shard);
  if (o.chunk_size < 1) throw SweepError("--chunk-size must be positive");
  spec.chunk_size = o.chunk_size;
  spec.signed_zero_significant = fn->signed_zero_significant;
  if (o.tolerance > 0) {
    spec.profile = "given";
    spec.tolerance = o.tolerance;
  } else {
    auto p = fn->tolerance.find("strict");
    if (p == fn->tolerance.end() || !p->second.count(*format))
      throw SweepError(fn->name + " has no strict tolerance for " + std::string(ref::name(*format)) + " in its spec: give --tolerance ULP");
    spec.tolerance = p->second.at(*format);
  }

  // A finished result of this very sweep: nothing to do.
  if (o.resume && std::ifstream(o.out)) {
    auto done = ref::fast::SweepResult::from_json(read_text(o.out), o.out);
    if (done.complete && !done.merged && done.spec.function == spec.function && done.spec.format == spec.format &&
        done.spec.implementation == spec.implementation && done.spec.params == spec.params && done.spec.lo == spec.lo &&
        done.spec.hi == spec.hi && done.spec.shard == spec.shard && done.spec.shards == spec.shards)
      return finish(done, "");
  }

  ref::Reference reference(specs);
  ref::fast::FastReference fast(reference, *fn, *format, spec.params);
  auto subjects = make_subjects(o.impl, *fn, *format, spec.params);

  ref::fast::RunOptions run;
  run.threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  run.checkpoint = o.out.empty() ? "" : o.out + ".partial";
  run.resume = o.resume;
  run.progress = !o.no_progress && (o.progress || isatty(STDERR_FILENO));
  run.label = "sweep " + fn->name + " " + std::string(ref::name(*format)) +
              (spec.shards > 1 ? " shard " + o.shard : "");
  run.max_chunks = o.max_chunks;
  if (!run.resume && !run.checkpoint.empty()) std::remove(run.checkpoint.c_str());
  ref::fast::SweepResult r = ref::fast::run_sweep(fast, subjects, measure, spec, run);
  return finish(r, o.out);
}

}  // namespace

void add_sweep_command(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto o = std::make_shared<SweepOptions>();
  auto* cmd = app.add_subcommand(
      "sweep", "Check an implementation on every input of a format (exhaustive, sharded, mergeable, resumable)");
  cmd->add_option("function", o->function, "Unary function (name or alias)");
  cmd->add_option("--format", o->format, "binary32, binary16 or bfloat16")->capture_default_str();
  cmd->add_option("--impl", o->impl, "Implementation under test: builtin (or builtin/adapter), or the SIMD kernels: simd, simd-cr, simd@TARGET, simd-cr@TARGET")->capture_default_str();
  cmd->add_option("--range", o->range, "Bit patterns LO:HI (hex, inclusive), e.g. 0x00000000:0x7f800000");
  cmd->add_option("--shard", o->shard, "Shard I/N of the range (contiguous blocks of chunks)")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  cmd->add_option("--out", o->out, "Write the result (JSON) here; FILE.partial is the checkpoint meanwhile");
  cmd->add_option("--merge", o->merge, "Combine result files (shards of one sweep) into one report")->expected(1, -1);
  cmd->add_option("--table", o->table, "Print a Markdown table row per (merged) result file")->expected(1, -1);
  cmd->add_flag("--resume", o->resume, "Continue an interrupted shard from FILE.partial (with --out FILE)");
  cmd->add_option("--param", o->params, "Parameter NAME=VALUE (repeatable); spec defaults otherwise");
  cmd->add_option("--tolerance", o->tolerance, "Tolerance in ULP (default: the spec's strict tolerance)");
  cmd->add_option("--chunk-size", o->chunk_size, "Inputs per chunk (the unit of work and of checkpoints)")
      ->capture_default_str();
  cmd->add_option("--max-chunks", o->max_chunks, "Stop after this many chunks, leaving the checkpoint (testing)");
  cmd->add_flag("--progress", o->progress, "Show progress and ETA even when stderr is not a terminal");
  cmd->add_flag("--no-progress", o->no_progress, "Never show progress");
  cmd->callback([o, &g, &run] {
    run = [o, &g] {
      try {
        return run_sweep(g, *o);
      } catch (const SweepError& e) {
        std::cerr << "nnconform sweep: " << e.what() << "\n";
        return kExitBadInput;
      } catch (const conformance::Unsupported& e) {
        std::cerr << "nnconform sweep: " << e.what() << "\n";
        return kExitBadInput;
      }
    };
  });
}

}  // namespace nnconform::tool
