// XNNPACK (Debian's 2022-02 snapshot): f32 sigmoid, ELU, leaky ReLU, clamp (relu6) and softmax
// operators, one thread (a null threadpool). The operator is created once per batch size; setup
// and run are timed.
#include <xnnpack.h>

#include <map>
#include <memory>
#include <stdexcept>

#include "peers.hpp"

namespace nnc_bench {
namespace {
void check(xnn_status s, const char* what) {
  if (s != xnn_status_success) throw std::runtime_error(std::string("XNNPACK: ") + what + " failed");
}
}  // namespace

void register_xnnpack(Registry& r) {
  check(xnn_initialize(nullptr), "xnn_initialize");
  r.unary("sigmoid", "xnnpack", [op = std::shared_ptr<xnn_operator>()](const float* x, float* y, std::size_t n) mutable {
    if (!op) {
      xnn_operator_t o;
      check(xnn_create_sigmoid_nc_f32(1, 1, 1, 0, &o), "create sigmoid");
      op.reset(o, xnn_delete_operator);
    }
    check(xnn_setup_sigmoid_nc_f32(op.get(), n, x, y, nullptr), "setup sigmoid");
    check(xnn_run_operator(op.get(), nullptr), "run sigmoid");
  });
  r.unary("elu", "xnnpack", [op = std::shared_ptr<xnn_operator>()](const float* x, float* y, std::size_t n) mutable {
    if (!op) {
      xnn_operator_t o;
      check(xnn_create_elu_nc_f32(1, 1, 1, 1.0f, 0, &o), "create elu");
      op.reset(o, xnn_delete_operator);
    }
    check(xnn_setup_elu_nc_f32(op.get(), n, x, y, nullptr), "setup elu");
    check(xnn_run_operator(op.get(), nullptr), "run elu");
  });
  r.unary("leaky_relu", "xnnpack", [op = std::shared_ptr<xnn_operator>()](const float* x, float* y, std::size_t n) mutable {
    if (!op) {
      xnn_operator_t o;
      check(xnn_create_leaky_relu_nc_f32(1, 1, 1, 0.01f, 0, &o), "create leaky_relu");
      op.reset(o, xnn_delete_operator);
    }
    check(xnn_setup_leaky_relu_nc_f32(op.get(), n, x, y, nullptr), "setup leaky_relu");
    check(xnn_run_operator(op.get(), nullptr), "run leaky_relu");
  });
  r.unary("relu6", "xnnpack", [op = std::shared_ptr<xnn_operator>()](const float* x, float* y, std::size_t n) mutable {
    if (!op) {
      xnn_operator_t o;
      check(xnn_create_clamp_nc_f32(1, 1, 1, 0.0f, 6.0f, 0, &o), "create clamp");
      op.reset(o, xnn_delete_operator);
    }
    check(xnn_setup_clamp_nc_f32(op.get(), n, x, y, nullptr), "setup clamp");
    check(xnn_run_operator(op.get(), nullptr), "run clamp");
  });
  r.rows("softmax", "xnnpack", [ops = std::make_shared<std::map<std::size_t, std::shared_ptr<xnn_operator>>>()](
                                   const float* z, float* y, std::size_t n, std::size_t c) {
    auto& op = (*ops)[c];
    if (!op) {
      xnn_operator_t o;
      check(xnn_create_softmax_nc_f32(c, c, c, 0, &o), "create softmax");
      op.reset(o, xnn_delete_operator);
    }
    check(xnn_setup_softmax_nc_f32(op.get(), n, z, y, nullptr), "setup softmax");
    check(xnn_run_operator(op.get(), nullptr), "run softmax");
  });
}

}  // namespace nnc_bench
