#include "nnconform/ref/fast/fast_reference.hpp"

#include <algorithm>
#include <cmath>

namespace nnconform::ref::fast {
namespace {

// Inputs on which a kernel is compared with MPFR when a FastReference is made: a few per
// binade region that every kernel branches on (tiny, near 0, the polynomial/exp switch points,
// large, saturation), both signs. Values are rounded into the format.
constexpr double kProbe[] = {0x1p-140, 1e-30, 1e-7, 0.01, 0.2, 0.25, 0.3, 0.5, 0.75, 1.0, 1.5, 2.5, 2.9,
                             3.0, 4.2, 6.0, 9.0, 13.0, 15.0, 25.0, 41.0, 90.0, 101.0, 1e4, 1e30};

}  // namespace

FastReference::FastReference(const Reference& reference, const FunctionSpec& fn, Format format,
                             std::map<std::string, std::string> params)
    : reference_(reference), fn_(fn), format_(format), params_(std::move(params)) {
  if (!fn.unary())
    throw EvalError(fn.name + " is not a unary function (one real scalar input, no reduction): it cannot be swept");
  if (!sweep_format(format))
    throw EvalError(std::string("a sweep covers binary32, binary16 and bfloat16, not ") + std::string(name(format)));
  // Parameter values as the reference holds them (evaluator.cpp): real ones rounded to the
  // format unless the spec marks them exact.
  std::map<std::string, double> values;
  for (const auto& [n, text] : params_)
    if (!fn.param(n)) throw EvalError(fn.name + ": unknown parameter '" + n + "'");
  for (const auto& p : fn.params) {
    auto it = params_.find(p.name);
    std::optional<std::string> text;
    if (it != params_.end()) text = it->second;
    else text = p.default_value;
    if (!text) {
      if (p.required) throw EvalError(fn.name + ": missing required parameter '" + p.name + "' (give it with --param " + p.name + "=VALUE)");
      continue;
    }
    if (p.type == ParamType::enumeration) continue;
    if (p.per_channel && text->find(',') != std::string::npos)
      throw EvalError(fn.name + ": a sweep takes one value of '" + p.name + "', not one per channel");
    auto v = parse_value(*text, p.type == ParamType::real && !p.exact ? format : Format::binary64);
    if (!v) throw EvalError(fn.name + ": parameter '" + p.name + "' = '" + *text + "' is not a number");
    values[p.name] = v->to_double();
  }
  // The reference validates everything else (ranges, required parameters) on one input, and
  // gives the special inputs' values.
  const std::uint32_t nan_bits = static_cast<std::uint32_t>(FloatBits::quiet_nan(format).bits);
  nan_ = reference_value(nan_bits);
  nan_.source = Golden::Source::special;
  std::vector<std::uint32_t> special_bits = {
      encode(0.0, format), encode(-0.0, format), encode(HUGE_VAL, format), encode(-HUGE_VAL, format)};
  for (const auto& sv : fn.special_values) {
    for (const auto& [input, text] : sv.inputs) {
      if (input != fn.inputs[0].name) continue;
      auto v = parse_value(text, format);
      if (v && !v->is_nan()) special_bits.push_back(static_cast<std::uint32_t>(v->bits));
    }
  }
  std::sort(special_bits.begin(), special_bits.end());
  special_bits.erase(std::unique(special_bits.begin(), special_bits.end()), special_bits.end());
  for (std::uint32_t b : special_bits) {
    Golden g = reference_value(b);
    g.source = Golden::Source::special;
    specials_.push_back({b, g});
  }

  kernel_ = find_kernel(fn, format, values);
  if (kernel_) {
    // The guard: the kernel must agree with MPFR wherever it decides on the probe inputs.
    for (double probe : kProbe) {
      for (double s : {1.0, -1.0}) {
        double x = round_to(s * probe, format);
        if (x == 0 || std::isinf(x)) continue;
        std::uint32_t bits = encode(x, format);
        auto d = decide(kernel_->fn(x, kernel_->params), format);
        if (!d) continue;
        Golden ref;
        try {
          ref = reference_value(bits);
        } catch (const UndecidedError&) {
          continue;  // the reference cannot tell there (an MPFR exponent underflow): nothing to compare
        }
        bool same = d->bits == ref.bits &&
                    (std::isnan(ref.offset_ulps) ? std::isnan(d->offset_ulps)
                                                 : std::fabs(d->offset_ulps - ref.offset_ulps) <= d->offset_error + 1e-9);
        if (!same) {
          warnings_.push_back(fn.name + ": the fast kernel " + kernel_->name + " disagrees with the MPFR reference at x = " +
                              to_hex(FloatBits{format, bits}) + " (kernel " + to_hex(FloatBits{format, d->bits}) +
                              ", reference " + to_hex(FloatBits{format, ref.bits}) +
                              "); the spec and the kernel differ: every input goes to MPFR");
          kernel_.reset();
          return;
        }
      }
    }
  }
}

Golden FastReference::reference_value(std::uint32_t bits) const {
  Arguments args;
  Tensor t;
  t.values.push_back(FloatBits{format_, bits});
  args.inputs[fn_.inputs[0].name] = t;
  args.params = params_;
  EvalResult r = reference_.evaluate(fn_, format_, args);
  const GoldenValue& g = r.values.at(0);
  Golden out;
  out.bits = static_cast<std::uint32_t>(g.value.bits);
  out.offset_ulps = g.offset_ulps;
  out.offset_error = 0;
  out.source = Golden::Source::fallback;
  return out;
}

Enclosure FastReference::enclose(std::uint32_t bits) const {
  if (!kernel_) return Enclosure::unknown();
  double x = decode(bits, format_);
  if (x == 0 || !std::isfinite(x)) return Enclosure::unknown();
  return kernel_->fn(x, kernel_->params);
}

Golden FastReference::evaluate_one(std::uint32_t bits, FastStats& stats) const {
  double x = decode(bits, format_);
  if (std::isnan(x)) {
    ++stats.special;
    return nan_;
  }
  if (x == 0 || std::isinf(x) || specials_.size() > 4) {
    for (const auto& [b, g] : specials_)
      if (b == bits) {
        ++stats.special;
        return g;
      }
  }
  if (kernel_) {
    if (auto d = decide(kernel_->fn(x, kernel_->params), format_)) {
      ++stats.fast;
      return Golden{d->bits, d->offset_ulps, d->offset_error, Golden::Source::fast};
    }
  }
  ++stats.fallback;
  return reference_value(bits);
}

void FastReference::evaluate(std::span<const std::uint32_t> inputs, std::span<Golden> out, FastStats& stats) const {
  for (std::size_t i = 0; i < inputs.size(); ++i) out[i] = evaluate_one(inputs[i], stats);
}

}  // namespace nnconform::ref::fast
