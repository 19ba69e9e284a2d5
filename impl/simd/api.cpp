// nnconform::simd's public functions: argument checks, then the dispatched kernels of kernels.cpp.
#include <hwy/targets.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnconform/impl/simd.hpp"

namespace nnconform::simd {
namespace detail {
enum UnaryOp { kSigmoid, kTanh, kSilu, kSoftplus, kElu, kMish, kRelu, kLeakyRelu, kRelu6 };
enum RowMode { kSoftmax, kLogSoftmax, kLogsumexp, kCrossEntropy };
enum LossOp { kMse, kMae, kHuber, kBceLogits };
void unary_f32(int op, const float* x, float* y, size_t n, double param, bool cr);
void unary_f64(int op, const double* x, double* y, size_t n, double param);
void rows_f32(int mode, const float* z, const int64_t* t, size_t n, size_t c, float* out, double* ce);
void rows_f64(int mode, const double* z, const int64_t* t, size_t n, size_t c, double* out, double* ce);
void loss_f32(int op, const float* y, const float* yh, size_t n, float* out, double param, int red);
void loss_f64(int op, const double* y, const double* yh, size_t n, double* out, double param, int red);
}  // namespace detail

namespace {
using namespace detail;

[[noreturn]] void fail(const char* fn, const std::string& what) {
  throw std::invalid_argument(std::string("nnconform::simd::") + fn + ": " + what);
}

template <class T>
void unary(const char* fn, int op, std::span<const T> x, std::span<T> out, double param, Tier tier) {
  if (x.size() != out.size())
    fail(fn, "in has " + std::to_string(x.size()) + " elements, out " + std::to_string(out.size()));
  if constexpr (sizeof(T) == sizeof(float)) {
    unary_f32(op, x.data(), out.data(), x.size(), param, tier == Tier::correctly_rounded);
  } else {
    unary_f64(op, x.data(), out.data(), x.size(), param);
  }
}

void check_shape(const char* fn, std::size_t size, Shape s) {
  if (s.c == 0) fail(fn, "shape.c is 0");
  if (s.n > size / s.c || s.n * s.c != size)
    fail(fn, "the input has " + std::to_string(size) + " elements, not shape.n·shape.c = " + std::to_string(s.n) +
                 "·" + std::to_string(s.c));
}

template <class T>
void rows(const char* fn, int mode, std::span<const T> z, Shape s, std::span<T> out) {
  check_shape(fn, z.size(), s);
  std::size_t want = mode == kLogsumexp ? s.n : s.n * s.c;
  if (out.size() != want) fail(fn, "out has " + std::to_string(out.size()) + " elements, not " + std::to_string(want));
  if constexpr (sizeof(T) == sizeof(float)) {
    rows_f32(mode, z.data(), nullptr, s.n, s.c, out.data(), nullptr);
  } else {
    rows_f64(mode, z.data(), nullptr, s.n, s.c, out.data(), nullptr);
  }
}

int reduction_code(Reduction r) { return r == Reduction::none ? 0 : r == Reduction::mean ? 1 : 2; }

void check_out(const char* fn, std::size_t out, std::size_t unreduced, Reduction r) {
  std::size_t want = r == Reduction::none ? unreduced : 1;
  if (out != want) fail(fn, "out has " + std::to_string(out) + " elements, not " + std::to_string(want));
  if (r == Reduction::mean && unreduced == 0) fail(fn, "reduction mean over an empty batch");
}

template <class T>
void loss(const char* fn, int op, std::span<const T> y, std::span<const T> yh, std::span<T> out, double param,
          Reduction r) {
  if (y.size() != yh.size())
    fail(fn, "the inputs have " + std::to_string(y.size()) + " and " + std::to_string(yh.size()) + " elements");
  check_out(fn, out.size(), y.size(), r);
  if constexpr (sizeof(T) == sizeof(float)) {
    loss_f32(op, y.data(), yh.data(), y.size(), out.data(), param, reduction_code(r));
  } else {
    loss_f64(op, y.data(), yh.data(), y.size(), out.data(), param, reduction_code(r));
  }
}

template <class T>
void ce(std::span<const T> z, std::span<const std::int64_t> t, Shape s, std::span<T> out, Reduction r) {
  const char* fn = "cross_entropy";
  check_shape(fn, z.size(), s);
  if (t.size() != s.n) fail(fn, "t has " + std::to_string(t.size()) + " elements, not shape.n = " + std::to_string(s.n));
  for (std::size_t i = 0; i < t.size(); ++i)
    if (t[i] < 0 || static_cast<std::size_t>(t[i]) >= s.c)
      fail(fn, "t[" + std::to_string(i) + "] = " + std::to_string(t[i]) + " is not a class in [0, " + std::to_string(s.c) + ")");
  check_out(fn, out.size(), s.n, r);
  std::vector<double> per_row(s.n);
  if constexpr (sizeof(T) == sizeof(float)) {
    rows_f32(kCrossEntropy, z.data(), t.data(), s.n, s.c, nullptr, per_row.data());
  } else {
    rows_f64(kCrossEntropy, z.data(), t.data(), s.n, s.c, nullptr, per_row.data());
  }
  if (r == Reduction::none) {
    for (std::size_t i = 0; i < s.n; ++i) out[i] = static_cast<T>(per_row[i]);
    return;
  }
  // Neumaier sum of the row losses (each nonnegative), then one division.
  double sum = 0, comp = 0;
  for (double v : per_row) {
    double t2 = sum + v;
    comp += std::abs(sum) >= std::abs(v) ? (sum - t2) + v : (v - t2) + sum;
    sum = t2;
  }
  if (!std::isfinite(sum)) {
    out[0] = static_cast<T>(sum);
    return;
  }
  if (r == Reduction::sum) {
    out[0] = static_cast<T>(sum + comp);
    return;
  }
  double cnt = static_cast<double>(s.n);
  double q = sum / cnt;
  double p = q * cnt, pe = std::fma(q, cnt, -p);
  out[0] = static_cast<T>(q + ((sum - p) - pe + comp) / cnt);
}

}  // namespace

void sigmoid(std::span<const float> x, std::span<float> out, Tier t) { unary("sigmoid", kSigmoid, x, out, 0, t); }
void sigmoid(std::span<const double> x, std::span<double> out) { unary("sigmoid", kSigmoid, x, out, 0, Tier::fast); }
void tanh(std::span<const float> x, std::span<float> out, Tier t) { unary("tanh", kTanh, x, out, 0, t); }
void tanh(std::span<const double> x, std::span<double> out) { unary("tanh", kTanh, x, out, 0, Tier::fast); }
void silu(std::span<const float> x, std::span<float> out, Tier t) { unary("silu", kSilu, x, out, 0, t); }
void silu(std::span<const double> x, std::span<double> out) { unary("silu", kSilu, x, out, 0, Tier::fast); }
void softplus(std::span<const float> x, std::span<float> out, Tier t) { unary("softplus", kSoftplus, x, out, 0, t); }
void softplus(std::span<const double> x, std::span<double> out) {
  unary("softplus", kSoftplus, x, out, 0, Tier::fast);
}
void elu(std::span<const float> x, std::span<float> out, float alpha, Tier t) {
  if (!(alpha >= 0) || std::isinf(alpha)) fail("elu", "alpha must be finite and >= 0");
  unary("elu", kElu, x, out, alpha, t);
}
void elu(std::span<const double> x, std::span<double> out, double alpha) {
  if (!(alpha >= 0) || std::isinf(alpha)) fail("elu", "alpha must be finite and >= 0");
  unary("elu", kElu, x, out, alpha, Tier::fast);
}
void mish(std::span<const float> x, std::span<float> out, Tier t) { unary("mish", kMish, x, out, 0, t); }
void mish(std::span<const double> x, std::span<double> out) { unary("mish", kMish, x, out, 0, Tier::fast); }
void relu(std::span<const float> x, std::span<float> out) { unary("relu", kRelu, x, out, 0, Tier::fast); }
void relu(std::span<const double> x, std::span<double> out) { unary("relu", kRelu, x, out, 0, Tier::fast); }
void leaky_relu(std::span<const float> x, std::span<float> out, float a) {
  if (!std::isfinite(a)) fail("leaky_relu", "a must be finite");
  unary("leaky_relu", kLeakyRelu, x, out, a, Tier::fast);
}
void leaky_relu(std::span<const double> x, std::span<double> out, double a) {
  if (!std::isfinite(a)) fail("leaky_relu", "a must be finite");
  unary("leaky_relu", kLeakyRelu, x, out, a, Tier::fast);
}
void relu6(std::span<const float> x, std::span<float> out) { unary("relu6", kRelu6, x, out, 0, Tier::fast); }
void relu6(std::span<const double> x, std::span<double> out) { unary("relu6", kRelu6, x, out, 0, Tier::fast); }

void softmax(std::span<const float> z, Shape s, std::span<float> out) { rows("softmax", kSoftmax, z, s, out); }
void softmax(std::span<const double> z, Shape s, std::span<double> out) { rows("softmax", kSoftmax, z, s, out); }
void log_softmax(std::span<const float> z, Shape s, std::span<float> out) { rows("log_softmax", kLogSoftmax, z, s, out); }
void log_softmax(std::span<const double> z, Shape s, std::span<double> out) {
  rows("log_softmax", kLogSoftmax, z, s, out);
}
void logsumexp(std::span<const float> z, Shape s, std::span<float> out) { rows("logsumexp", kLogsumexp, z, s, out); }
void logsumexp(std::span<const double> z, Shape s, std::span<double> out) { rows("logsumexp", kLogsumexp, z, s, out); }

void cross_entropy(std::span<const float> z, std::span<const std::int64_t> t, Shape s, std::span<float> out,
                   Reduction r) {
  ce(z, t, s, out, r);
}
void cross_entropy(std::span<const double> z, std::span<const std::int64_t> t, Shape s, std::span<double> out,
                   Reduction r) {
  ce(z, t, s, out, r);
}
void binary_cross_entropy_with_logits(std::span<const float> y, std::span<const float> s, std::span<float> out,
                                      Reduction r) {
  loss("binary_cross_entropy_with_logits", kBceLogits, y, s, out, 0, r);
}
void binary_cross_entropy_with_logits(std::span<const double> y, std::span<const double> s, std::span<double> out,
                                      Reduction r) {
  loss("binary_cross_entropy_with_logits", kBceLogits, y, s, out, 0, r);
}
void mse(std::span<const float> y, std::span<const float> yh, std::span<float> out, Reduction r) {
  loss("mse", kMse, y, yh, out, 0, r);
}
void mse(std::span<const double> y, std::span<const double> yh, std::span<double> out, Reduction r) {
  loss("mse", kMse, y, yh, out, 0, r);
}
void mae(std::span<const float> y, std::span<const float> yh, std::span<float> out, Reduction r) {
  loss("mae", kMae, y, yh, out, 0, r);
}
void mae(std::span<const double> y, std::span<const double> yh, std::span<double> out, Reduction r) {
  loss("mae", kMae, y, yh, out, 0, r);
}
void huber(std::span<const float> y, std::span<const float> yh, std::span<float> out, float delta, Reduction r) {
  if (!(delta > 0) || std::isinf(delta)) fail("huber", "delta must be finite and > 0");
  loss("huber", kHuber, y, yh, out, delta, r);
}
void huber(std::span<const double> y, std::span<const double> yh, std::span<double> out, double delta, Reduction r) {
  if (!(delta > 0) || std::isinf(delta)) fail("huber", "delta must be finite and > 0");
  loss("huber", kHuber, y, yh, out, delta, r);
}

std::vector<std::string> available_targets() {
  std::vector<std::string> names;
  for (int64_t t : hwy::SupportedAndGeneratedTargets()) names.push_back(hwy::TargetName(t));
  return names;
}

namespace {
std::string& forced() {
  static std::string f;
  return f;
}
}  // namespace

void force_target(const std::string& name) {
  hwy::SetSupportedTargetsForTest(0);
  if (!name.empty()) {
    int64_t chosen = 0;
    for (int64_t t : hwy::SupportedAndGeneratedTargets())
      if (name == hwy::TargetName(t)) chosen = t;
    if (chosen == 0) fail("force_target", "target '" + name + "' is not available on this CPU");
    hwy::SetSupportedTargetsForTest(chosen);
  }
  forced() = name;
  hwy::GetChosenTarget().DeInit();
}

std::string current_target() {
  if (!forced().empty()) return forced();
  auto t = available_targets();
  return t.empty() ? "" : t.front();
}

}  // namespace nnconform::simd
