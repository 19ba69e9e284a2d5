// nn.hpp's losses with their default conventions: cross_entropy, kl_divergence, entropy,
// cross_entropy_dist, binary_cross_entropy, mse. Each is the full spec'd function of
// losses.hpp with its defaults (no weights, ignore_index -100, no label smoothing, base e,
// probabilities, no clamp); the kernels live in losses_categorical.cpp, divergences.cpp,
// losses_binary.cpp and losses_regression.cpp.
#include "loss_common.hpp"

namespace nnconform::impl {

void cross_entropy(std::span<const float> z, std::span<const std::int64_t> t, Shape shape,
                   std::span<float> out, Reduction reduction) {
  cross_entropy(z, t, std::span<const float>{}, shape, out, reduction, CrossEntropyOptions{});
}
void cross_entropy(std::span<const double> z, std::span<const std::int64_t> t, Shape shape,
                   std::span<double> out, Reduction reduction) {
  cross_entropy(z, t, std::span<const double>{}, shape, out, reduction, CrossEntropyOptions{});
}

void kl_divergence(std::span<const float> p, std::span<const float> q, Shape shape,
                   std::span<float> out, Reduction reduction) {
  kl_divergence(p, q, shape, out, reduction, KlDivergenceOptions{});
}
void kl_divergence(std::span<const double> p, std::span<const double> q, Shape shape,
                   std::span<double> out, Reduction reduction) {
  kl_divergence(p, q, shape, out, reduction, KlDivergenceOptions{});
}

void entropy(std::span<const float> p, Shape shape, std::span<float> out, Reduction reduction) {
  entropy(p, shape, out, reduction, LogBase::e);
}
void entropy(std::span<const double> p, Shape shape, std::span<double> out,
             Reduction reduction) {
  entropy(p, shape, out, reduction, LogBase::e);
}

void cross_entropy_dist(std::span<const float> p, std::span<const float> q, Shape shape,
                        std::span<float> out, Reduction reduction) {
  cross_entropy_dist(p, q, shape, out, reduction, LogBase::e);
}
void cross_entropy_dist(std::span<const double> p, std::span<const double> q, Shape shape,
                        std::span<double> out, Reduction reduction) {
  cross_entropy_dist(p, q, shape, out, reduction, LogBase::e);
}

void binary_cross_entropy(std::span<const float> y, std::span<const float> p,
                          std::span<float> out, Reduction reduction) {
  binary_cross_entropy(y, p, std::span<const float>{}, out, reduction,
                       BinaryCrossEntropyOptions{});
}
void binary_cross_entropy(std::span<const double> y, std::span<const double> p,
                          std::span<double> out, Reduction reduction) {
  binary_cross_entropy(y, p, std::span<const double>{}, out, reduction,
                       BinaryCrossEntropyOptions{});
}

void mse(std::span<const float> y, std::span<const float> yhat, std::span<float> out,
         Reduction reduction) {
  lc::mse_kernel(y, yhat, out, reduction);
}
void mse(std::span<const double> y, std::span<const double> yhat, std::span<double> out,
         Reduction reduction) {
  lc::mse_kernel(y, yhat, out, reduction);
}

}  // namespace nnconform::impl
