// XNNPACK (Debian's 2022-02 snapshot): f32 sigmoid, ELU, leaky ReLU, clamp (relu6) and softmax
// operators, one thread (a null threadpool). An operator is created once (softmax: once per row
// length); setup and run are timed.
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

// An elementwise operator, created once on the first call (create), then set up and run.
template <class Create>
UnaryFn elementwise(const char* what, Create create,
                    xnn_status (*setup)(xnn_operator_t, size_t, const float*, float*, pthreadpool_t)) {
  return [what, create, setup, op = std::shared_ptr<xnn_operator>()](const float* x, float* y, std::size_t n) mutable {
    if (!op) {
      xnn_operator_t o;
      check(create(&o), what);
      op.reset(o, xnn_delete_operator);
    }
    check(setup(op.get(), n, x, y, nullptr), what);
    check(xnn_run_operator(op.get(), nullptr), what);
  };
}
}  // namespace

void register_xnnpack(Registry& r) {
  check(xnn_initialize(nullptr), "xnn_initialize");
  r.unary("sigmoid", "xnnpack",
          elementwise("sigmoid", [](xnn_operator_t* o) { return xnn_create_sigmoid_nc_f32(1, 1, 1, 0, o); },
                      xnn_setup_sigmoid_nc_f32));
  r.unary("elu", "xnnpack",
          elementwise("elu", [](xnn_operator_t* o) { return xnn_create_elu_nc_f32(1, 1, 1, 1.0f, 0, o); },
                      xnn_setup_elu_nc_f32));
  r.unary("leaky_relu", "xnnpack",
          elementwise("leaky_relu", [](xnn_operator_t* o) { return xnn_create_leaky_relu_nc_f32(1, 1, 1, 0.01f, 0, o); },
                      xnn_setup_leaky_relu_nc_f32));
  r.unary("relu6", "xnnpack",
          elementwise("clamp", [](xnn_operator_t* o) { return xnn_create_clamp_nc_f32(1, 1, 1, 0.0f, 6.0f, 0, o); },
                      xnn_setup_clamp_nc_f32));
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
