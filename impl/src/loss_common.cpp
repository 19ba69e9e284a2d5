// Value validation of the loss kernels (loss_common.hpp): one message format,
// "nnconform::impl::<function>: <problem>", always std::invalid_argument.
#include "loss_common.hpp"

#include <cstdio>
#include <cstdlib>

namespace nnconform::impl::lc {

std::string show(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

void fail_domain(std::string_view fn, std::string_view name, std::size_t i, double v,
                 std::string_view domain) {
  detail::fail(fn, std::string(name) + "[" + std::to_string(i) + "] = " + show(v) +
                       " is outside its domain " + std::string(domain));
}

void check_param(std::string_view fn, std::string_view name, double v, double lo, bool lo_open,
                 double hi, bool hi_open) {
  const bool ok = !std::isnan(v) && (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  if (!ok) {
    detail::fail(fn, "parameter " + std::string(name) + " = " + show(v) + " is outside its range " +
                         (lo_open ? "(" : "[") + show(lo) + ", " + show(hi) + (hi_open ? ")" : "]"));
  }
}

void check_reduction_allowed(std::string_view fn, Reduction r, bool none_ok, bool mean_ok,
                             bool sum_ok) {
  const bool ok = (r == Reduction::none && none_ok) || (r == Reduction::mean && mean_ok) ||
                  (r == Reduction::sum && sum_ok);
  if (ok) return;
  std::string allowed;
  for (auto [flag, name] : {std::pair{none_ok, "none"}, std::pair{mean_ok, "mean"},
                            std::pair{sum_ok, "sum"}}) {
    if (flag) allowed += (allowed.empty() ? "" : ", ") + std::string(name);
  }
  const char* got = r == Reduction::none ? "none" : r == Reduction::mean ? "mean"
                    : r == Reduction::sum ? "sum" : "an unknown value";
  detail::fail(fn, std::string("reduction ") + got + " is not supported (allowed: " + allowed + ")");
}

void check_optional_length(std::string_view fn, std::string_view name, std::size_t size,
                           std::size_t n, std::string_view what) {
  if (size != 0 && size != n) {
    detail::fail(fn, "length mismatch: " + std::string(name) + " has " + std::to_string(size) +
                         " elements but " + std::string(what) + " is " + std::to_string(n) +
                         " (pass an empty " + std::string(name) + " for the default)");
  }
}

void check_indices(std::string_view fn, std::span<const std::int64_t> t, std::size_t c,
                   bool ignore, std::int64_t ignore_index) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (ignore && t[i] == ignore_index) continue;
    if (t[i] < 0 || static_cast<std::uint64_t>(t[i]) >= c) {
      detail::fail(fn, "class index t[" + std::to_string(i) + "] = " + std::to_string(t[i]) +
                           " is out of range [0, " + std::to_string(c) + ")" +
                           (ignore ? " and is not ignore_index = " + std::to_string(ignore_index)
                                   : std::string()));
    }
  }
}

}  // namespace nnconform::impl::lc
