// Argument validation shared by every kernel: one message format,
// "nnconform::impl::<function>: <problem>", always std::invalid_argument.
#include <stdexcept>
#include <string>

#include "detail.hpp"

namespace nnconform::impl::detail {

void fail(std::string_view function, const std::string& problem) {
  throw std::invalid_argument("nnconform::impl::" + std::string(function) + ": " + problem);
}

void check_same_length(std::string_view function, std::string_view a_name, std::size_t a_size,
                       std::string_view b_name, std::size_t b_size) {
  if (a_size != b_size) {
    fail(function, "length mismatch: " + std::string(a_name) + " has " + std::to_string(a_size) +
                       " elements but " + std::string(b_name) + " has " + std::to_string(b_size));
  }
}

void check_shape(std::string_view function, std::string_view name, std::size_t size,
                 Shape shape) {
  if (shape.c == 0) fail(function, "shape has C = 0 classes (a row must not be empty)");
  if (shape.n > std::numeric_limits<std::size_t>::max() / shape.c) {
    fail(function, "shape " + std::to_string(shape.n) + " x " + std::to_string(shape.c) +
                       " overflows the size type");
  }
  if (size != shape.n * shape.c) {
    fail(function, std::string(name) + " has " + std::to_string(size) +
                       " elements but the shape N x C is " + std::to_string(shape.n) + " x " +
                       std::to_string(shape.c) + " = " + std::to_string(shape.n * shape.c));
  }
}

void check_reduction_output(std::string_view function, Reduction reduction, std::size_t n,
                            std::size_t out_size) {
  if (reduction == Reduction::none) {
    if (out_size != n) {
      fail(function, "reduction none needs out of length " + std::to_string(n) + ", got " +
                         std::to_string(out_size));
    }
    return;
  }
  if (reduction != Reduction::mean && reduction != Reduction::sum) {
    fail(function, "unknown reduction value " + std::to_string(static_cast<int>(reduction)));
  }
  const char* name = reduction == Reduction::mean ? "mean" : "sum";
  if (out_size != 1) {
    fail(function, std::string("reduction ") + name + " needs out of length 1, got " +
                       std::to_string(out_size));
  }
  if (reduction == Reduction::mean && n == 0) {
    fail(function, "reduction mean over an empty batch (nothing to average)");
  }
}

void check_finite_param(std::string_view function, std::string_view name, double value) {
  if (!std::isfinite(value)) {
    fail(function, "parameter " + std::string(name) + " must be finite, got " +
                       std::to_string(value));
  }
}

}  // namespace nnconform::impl::detail
