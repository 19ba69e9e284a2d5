// libtorch 1.13 (CPU, one thread: at::set_num_threads(1)); the _out variants write into the
// caller's buffer (from_blob), so no allocation is timed except cross_entropy's result.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstring>

#include "peers.hpp"

namespace nnc_bench {
namespace {
at::Tensor wrap(const float* p, std::size_t n) {
  return at::from_blob(const_cast<float*>(p), {static_cast<int64_t>(n)}, at::kFloat);
}
at::Tensor wrap2(const float* p, std::size_t n, std::size_t c) {
  return at::from_blob(const_cast<float*>(p), {static_cast<int64_t>(n), static_cast<int64_t>(c)}, at::kFloat);
}
template <class F>
UnaryFn unary(F f) {
  return [f](const float* x, float* y, std::size_t n) {
    at::Tensor out = wrap(y, n);
    f(out, wrap(x, n));
  };
}
}  // namespace

void register_torch(Registry& r) {
  at::set_num_threads(1);
  r.unary("sigmoid", "libtorch", unary([](at::Tensor& o, const at::Tensor& x) { at::sigmoid_out(o, x); }));
  r.unary("tanh", "libtorch", unary([](at::Tensor& o, const at::Tensor& x) { at::tanh_out(o, x); }));
  r.unary("silu", "libtorch", unary([](at::Tensor& o, const at::Tensor& x) { at::silu_out(o, x); }));
  r.unary("elu", "libtorch", unary([](at::Tensor& o, const at::Tensor& x) { at::elu_out(o, x); }));
  // PyTorch's default threshold 20 (linearizes above it): its documented convention.
  r.unary("softplus", "libtorch", unary([](at::Tensor& o, const at::Tensor& x) { at::softplus_out(o, x); }));
  r.unary("mish", "libtorch", unary([](at::Tensor& o, const at::Tensor& x) { at::mish_out(o, x); }));
  r.unary("relu", "libtorch", unary([](at::Tensor& o, const at::Tensor& x) { at::clamp_min_out(o, x, 0); }));
  r.unary("leaky_relu", "libtorch", unary([](at::Tensor& o, const at::Tensor& x) { at::leaky_relu_out(o, x, 0.01); }));
  r.unary("relu6", "libtorch", unary([](at::Tensor& o, const at::Tensor& x) { at::hardtanh_out(o, x, 0, 6); }));
  // The losses have no _out form with reduction none: the result is allocated and copied (4 of
  // the 12 bytes per element these calls move).
  auto loss = [](auto f) {
    return [f](const float* y, const float* p, float* o, std::size_t n) {
      at::Tensor l = f(wrap(y, n), wrap(p, n));
      std::memcpy(o, l.data_ptr<float>(), n * sizeof(float));
    };
  };
  r.pair("mse", "libtorch", loss([](const at::Tensor& y, const at::Tensor& p) { return at::mse_loss(p, y, at::Reduction::None); }));
  r.pair("mae", "libtorch", loss([](const at::Tensor& y, const at::Tensor& p) { return at::l1_loss(p, y, at::Reduction::None); }));
  r.pair("huber", "libtorch",
         loss([](const at::Tensor& y, const at::Tensor& p) { return at::huber_loss(p, y, at::Reduction::None, 1.0); }));
  r.pair("binary_cross_entropy_with_logits", "libtorch", loss([](const at::Tensor& y, const at::Tensor& s) {
           return at::binary_cross_entropy_with_logits(s, y, {}, {}, at::Reduction::None);
         }));
  r.row_reduce("logsumexp", "libtorch", [](const float* z, float* y, std::size_t n, std::size_t c) {
    at::Tensor out = wrap(y, n);
    at::logsumexp_out(out, wrap2(z, n, c), {1}, false);
  });
  r.rows("softmax", "libtorch", [](const float* z, float* y, std::size_t n, std::size_t c) {
    at::Tensor out = wrap2(y, n, c);
    at::_softmax_out(out, wrap2(z, n, c), 1, false);
  });
  r.rows("log_softmax", "libtorch", [](const float* z, float* y, std::size_t n, std::size_t c) {
    at::Tensor out = wrap2(y, n, c);
    at::_log_softmax_out(out, wrap2(z, n, c), 1, false);
  });
  r.ce("libtorch", [](const float* z, const std::int64_t* t, float* y, std::size_t n, std::size_t c) {
    at::Tensor tt = at::from_blob(const_cast<std::int64_t*>(t), {static_cast<int64_t>(n)}, at::kLong);
    at::Tensor loss = at::cross_entropy_loss(wrap2(z, n, c), tt, {}, at::Reduction::None);
    std::memcpy(y, loss.data_ptr<float>(), n * sizeof(float));
  });
}

}  // namespace nnc_bench
