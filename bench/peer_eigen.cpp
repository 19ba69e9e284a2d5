// Eigen 3.4 array expressions (vectorized logistic, tanh, exp; select is not).
#include <Eigen/Core>
#include <cmath>

#include "peers.hpp"

namespace nnc_bench {
namespace {
using A = Eigen::Array<float, Eigen::Dynamic, 1>;
using CMap = Eigen::Map<const A>;
using Map = Eigen::Map<A>;
using RowMajor = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
}  // namespace

void register_eigen(Registry& r) {
  r.unary("sigmoid", "eigen", [](const float* x, float* y, std::size_t n) { Map(y, n) = CMap(x, n).logistic(); });
  r.unary("tanh", "eigen", [](const float* x, float* y, std::size_t n) { Map(y, n) = CMap(x, n).tanh(); });
  r.unary("silu", "eigen", [](const float* x, float* y, std::size_t n) {
    Map(y, n) = CMap(x, n) * CMap(x, n).logistic();
  });
  r.unary("elu", "eigen", [](const float* x, float* y, std::size_t n) {
    Map(y, n) = (CMap(x, n) > 0.0f).select(CMap(x, n), CMap(x, n).exp() - 1.0f);
  });
  r.unary("softplus", "eigen", [](const float* x, float* y, std::size_t n) {
    Map(y, n) = CMap(x, n).max(0.0f) + (-CMap(x, n).abs()).exp().log1p();
  });
  r.unary("mish", "eigen", [](const float* x, float* y, std::size_t n) {
    Map(y, n) = CMap(x, n) * (CMap(x, n).max(0.0f) + (-CMap(x, n).abs()).exp().log1p()).tanh();
  });
  r.unary("relu", "eigen", [](const float* x, float* y, std::size_t n) { Map(y, n) = CMap(x, n).max(0.0f); });
  r.unary("leaky_relu", "eigen", [](const float* x, float* y, std::size_t n) {
    Map(y, n) = (CMap(x, n) >= 0.0f).select(CMap(x, n), 0.01f * CMap(x, n));
  });
  r.unary("relu6", "eigen", [](const float* x, float* y, std::size_t n) { Map(y, n) = CMap(x, n).max(0.0f).min(6.0f); });
  r.pair("mse", "eigen", [](const float* y, const float* p, float* o, std::size_t n) {
    Map(o, n) = (CMap(y, n) - CMap(p, n)).square();
  });
  r.pair("mae", "eigen", [](const float* y, const float* p, float* o, std::size_t n) {
    Map(o, n) = (CMap(y, n) - CMap(p, n)).abs();
  });
  r.pair("huber", "eigen", [](const float* y, const float* p, float* o, std::size_t n) {
    const auto a = (CMap(y, n) - CMap(p, n)).abs();
    Map(o, n) = (a <= 1.0f).select(0.5f * a.square(), a - 0.5f);
  });
  r.pair("binary_cross_entropy_with_logits", "eigen", [](const float* y, const float* s, float* o, std::size_t n) {
    Map(o, n) = CMap(s, n).max(0.0f) - CMap(s, n) * CMap(y, n) + (-CMap(s, n).abs()).exp().log1p();
  });
  r.row_reduce("logsumexp", "eigen", [](const float* z, float* y, std::size_t n, std::size_t c) {
    Eigen::Map<const RowMajor> Z(z, n, c);
    for (std::size_t i = 0; i < n; ++i) {
      const float m = Z.row(i).maxCoeff();
      y[i] = m + std::log((Z.row(i) - m).exp().sum());
    }
  });
  r.rows("softmax", "eigen", [](const float* z, float* y, std::size_t n, std::size_t c) {
    Eigen::Map<const RowMajor> Z(z, n, c);
    Eigen::Map<RowMajor> Y(y, n, c);
    for (std::size_t i = 0; i < n; ++i) {
      Y.row(i) = (Z.row(i) - Z.row(i).maxCoeff()).exp();
      Y.row(i) /= Y.row(i).sum();
    }
  });
  r.rows("log_softmax", "eigen", [](const float* z, float* y, std::size_t n, std::size_t c) {
    Eigen::Map<const RowMajor> Z(z, n, c);
    Eigen::Map<RowMajor> Y(y, n, c);
    for (std::size_t i = 0; i < n; ++i) {
      float m = Z.row(i).maxCoeff();
      float l = std::log((Z.row(i) - m).exp().sum());
      Y.row(i) = (Z.row(i) - m) - l;
    }
  });
}

}  // namespace nnc_bench
