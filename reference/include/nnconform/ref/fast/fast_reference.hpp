// The fast reference path: correctly rounded values of a unary function for every input of a
// sweep format (binary32, binary16, bfloat16), the same values the MPFR reference gives, at
// a few nanoseconds an input instead of tens of microseconds.
//
// Each input goes to the function's fast kernel (kernels.hpp): an enclosure of f(x) in binary64
// with a proven bound, rounded by Ziv's test (enclosure.hpp). Where the enclosure is too close
// to a rounding boundary to decide, the input falls back to the MPFR reference
// (Reference::evaluate); zeros, infinities, NaN and any input the spec lists a special value
// for are always the MPFR reference's (computed once). A function without a kernel, or with
// parameter values its kernel does not take, falls back everywhere: slow, never wrong.
//
// The fast path never disagrees with MPFR (it may only fall back): fast_reference_test.cpp
// checks it on random samples, on each function's hard cases, and exhaustively in binary16 and
// bfloat16. As a guard against a spec edited without its kernel, construction also compares
// the kernel with MPFR on a few fixed inputs and drops the kernel (with a warning) on any
// difference.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/fast/kernels.hpp"

namespace nnconform::ref::fast {

struct Golden {
  std::uint32_t bits = 0;  // the correctly rounded value's bit pattern
  // (exact - value) / ulp, as GoldenValue::offset_ulps (NaN for NaN and overflow), known within
  // offset_error (0 for MPFR's values, whose offsets are good to ~2^-100 ulp).
  double offset_ulps = 0;
  double offset_error = 0;
  enum class Source : std::uint8_t { fast, special, fallback };
  Source source = Source::fast;
};

struct FastStats {
  std::uint64_t fast = 0;      // decided by a kernel
  std::uint64_t special = 0;   // zeros, infinities, NaN, spec special values (MPFR, cached)
  std::uint64_t fallback = 0;  // Ziv's test undecided, or no kernel: MPFR
  void add(const FastStats& o) {
    fast += o.fast;
    special += o.special;
    fallback += o.fallback;
  }
};

class FastReference {
 public:
  // `params` as the command line gives them (name -> text); absent ones take the spec's
  // defaults. Throws EvalError for a function that is not unary, a format that is not a sweep
  // format, bad parameter values (as the reference would), or per-channel parameter vectors.
  FastReference(const Reference& reference, const FunctionSpec& fn, Format format,
                std::map<std::string, std::string> params = {});

  const FunctionSpec& function() const { return fn_; }
  Format format() const { return format_; }
  const std::map<std::string, std::string>& params() const { return params_; }
  // The kernel in use ("mpfr" when none), and why there is none.
  std::string method() const { return kernel_ ? kernel_->name : "mpfr"; }
  const std::optional<Kernel>& kernel() const { return kernel_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  // out[i] = the correctly rounded f(inputs[i]). Thread-safe (const, MPFR per call).
  void evaluate(std::span<const std::uint32_t> inputs, std::span<Golden> out, FastStats& stats) const;
  Golden evaluate_one(std::uint32_t bits, FastStats& stats) const;

  // The MPFR reference at this input (what a fallback computes).
  Golden reference_value(std::uint32_t bits) const;

  // The kernel's enclosure at a finite nonzero input (fallback kind when there is no kernel).
  Enclosure enclose(std::uint32_t bits) const;

 private:
  const Reference& reference_;
  const FunctionSpec& fn_;
  Format format_;
  std::map<std::string, std::string> params_;
  std::optional<Kernel> kernel_;
  std::vector<std::string> warnings_;
  Golden nan_;
  std::vector<std::pair<std::uint32_t, Golden>> specials_;  // zeros, infinities, spec's
};

}  // namespace nnconform::ref::fast
