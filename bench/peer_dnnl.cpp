// oneDNN 2.6 (v2 API): eltwise, softmax and logsoftmax primitives on f32, one thread
// (OMP_NUM_THREADS=1 is set by main before oneDNN starts). A primitive is created once per
// (algorithm, shape); execution is timed.
#include <dnnl.hpp>

#include <map>
#include <memory>
#include <tuple>

#include "peers.hpp"

namespace nnc_bench {
namespace {

struct Dnnl {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  std::map<std::tuple<int, std::size_t, std::size_t>, std::pair<dnnl::primitive, dnnl::memory::desc>> cache;
};

std::shared_ptr<Dnnl> state() {
  static auto s = std::make_shared<Dnnl>();
  return s;
}

UnaryFn eltwise(dnnl::algorithm alg, float alpha, float beta) {
  auto s = state();
  return [s, alg, alpha, beta](const float* x, float* y, std::size_t n) {
    auto key = std::make_tuple(static_cast<int>(alg), n, std::size_t(0));
    auto it = s->cache.find(key);
    if (it == s->cache.end()) {
      dnnl::memory::desc md({static_cast<dnnl::memory::dim>(n)}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::a);
      dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, alg, md, alpha, beta);
      dnnl::eltwise_forward::primitive_desc pd(d, s->eng);
      it = s->cache.emplace(key, std::make_pair(dnnl::primitive(dnnl::eltwise_forward(pd)), md)).first;
    }
    dnnl::memory src(it->second.second, s->eng, const_cast<float*>(x)), dst(it->second.second, s->eng, y);
    it->second.first.execute(s->strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
    s->strm.wait();
  };
}

RowsFn softmax(bool log) {
  auto s = state();
  return [s, log](const float* z, float* y, std::size_t n, std::size_t c) {
    auto key = std::make_tuple(log ? -2 : -1, n, c);
    auto it = s->cache.find(key);
    if (it == s->cache.end()) {
      dnnl::memory::desc md({static_cast<dnnl::memory::dim>(n), static_cast<dnnl::memory::dim>(c)},
                            dnnl::memory::data_type::f32, dnnl::memory::format_tag::ab);
      dnnl::primitive p;
      if (log) {
        dnnl::logsoftmax_forward::primitive_desc pd({dnnl::prop_kind::forward_inference, md, 1}, s->eng);
        p = dnnl::logsoftmax_forward(pd);
      } else {
        dnnl::softmax_forward::primitive_desc pd({dnnl::prop_kind::forward_inference, md, 1}, s->eng);
        p = dnnl::softmax_forward(pd);
      }
      it = s->cache.emplace(key, std::make_pair(p, md)).first;
    }
    dnnl::memory src(it->second.second, s->eng, const_cast<float*>(z)), dst(it->second.second, s->eng, y);
    it->second.first.execute(s->strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
    s->strm.wait();
  };
}

}  // namespace

void register_dnnl(Registry& r) {
  using A = dnnl::algorithm;
  r.unary("sigmoid", "onednn", eltwise(A::eltwise_logistic, 0, 0));
  r.unary("tanh", "onednn", eltwise(A::eltwise_tanh, 0, 0));
  r.unary("silu", "onednn", eltwise(A::eltwise_swish, 1, 0));
  r.unary("elu", "onednn", eltwise(A::eltwise_elu, 1, 0));
  r.unary("softplus", "onednn", eltwise(A::eltwise_soft_relu, 1, 0));
  r.unary("mish", "onednn", eltwise(A::eltwise_mish, 0, 0));
  r.unary("relu", "onednn", eltwise(A::eltwise_relu, 0, 0));
  r.unary("leaky_relu", "onednn", eltwise(A::eltwise_relu, 0.01f, 0));
  r.unary("relu6", "onednn", eltwise(A::eltwise_clip_v2, 0, 6));
  r.rows("softmax", "onednn", softmax(false));
  r.rows("log_softmax", "onednn", softmax(true));
}

}  // namespace nnc_bench
