// Built-in kernels, the plain std:: loops (what a user writes without a library) and memcpy.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>

#include "nnconform/impl/losses.hpp"
#include "nnconform/impl/nn.hpp"
#include "nnconform/impl/simd.hpp"
#include "peers.hpp"

namespace nnc_bench {
namespace simd = nnconform::simd;
namespace impl = nnconform::impl;

namespace {
template <class F>
UnaryFn span_fn(F f) {
  return [f](const float* x, float* y, std::size_t n) { f(std::span<const float>(x, n), std::span<float>(y, n)); };
}
template <class F>
RowsFn rows_fn(F f) {
  return [f](const float* z, float* y, std::size_t n, std::size_t c) {
    f(std::span<const float>(z, n * c), impl::Shape{n, c}, std::span<float>(y, n * c));
  };
}
// Plain loops over the textbook formulas in float with <cmath>.
// Non-temporal (streaming) stores: no read-for-ownership of the destination (SSE2, so that it
// runs on any x86-64).
void copy_nt(const float* x, float* y, std::size_t n) {
  std::size_t i = 0;
  while (i < n && (reinterpret_cast<std::uintptr_t>(y + i) & 15) != 0) {
    y[i] = x[i];
    ++i;
  }
  for (; i + 16 <= n; i += 16) {
    __m128 a = _mm_loadu_ps(x + i), b = _mm_loadu_ps(x + i + 4), c = _mm_loadu_ps(x + i + 8), d = _mm_loadu_ps(x + i + 12);
    _mm_stream_ps(y + i, a);
    _mm_stream_ps(y + i + 4, b);
    _mm_stream_ps(y + i + 8, c);
    _mm_stream_ps(y + i + 12, d);
  }
  for (; i < n; ++i) y[i] = x[i];
  _mm_sfence();
}
float sig(float x) { return x >= 0 ? 1.0f / (1.0f + std::exp(-x)) : std::exp(x) / (1.0f + std::exp(x)); }
// The plain loops' row maximum m and sum of e^(z - m).
float sum_exp_shifted(const float* zr, std::size_t c, float& m) {
  m = *std::max_element(zr, zr + c);
  float s = 0;
  for (std::size_t j = 0; j < c; ++j) s += std::exp(zr[j] - m);
  return s;
}
}  // namespace

void register_builtin(Registry& r) {
  using T = simd::Tier;
  r.unary("sigmoid", "simd", span_fn([](auto x, auto y) { simd::sigmoid(x, y); }));
  r.unary("sigmoid", "simd-cr", span_fn([](auto x, auto y) { simd::sigmoid(x, y, T::correctly_rounded); }));
  r.unary("sigmoid", "builtin-scalar", span_fn([](auto x, auto y) { impl::sigmoid(x, y); }));
  r.unary("sigmoid", "std-loop", [](const float* x, float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = sig(x[i]);
  });
  r.unary("tanh", "simd", span_fn([](auto x, auto y) { simd::tanh(x, y); }));
  r.unary("tanh", "simd-cr", span_fn([](auto x, auto y) { simd::tanh(x, y, T::correctly_rounded); }));
  r.unary("tanh", "builtin-scalar", span_fn([](auto x, auto y) { impl::tanh(x, y); }));
  r.unary("tanh", "std-loop", [](const float* x, float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
  });
  r.unary("silu", "simd", span_fn([](auto x, auto y) { simd::silu(x, y); }));
  r.unary("silu", "simd-cr", span_fn([](auto x, auto y) { simd::silu(x, y, T::correctly_rounded); }));
  r.unary("silu", "std-loop", [](const float* x, float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = x[i] * sig(x[i]);
  });
  r.unary("softplus", "simd", span_fn([](auto x, auto y) { simd::softplus(x, y); }));
  r.unary("softplus", "simd-cr", span_fn([](auto x, auto y) { simd::softplus(x, y, T::correctly_rounded); }));
  r.unary("softplus", "builtin-scalar", span_fn([](auto x, auto y) { impl::softplus(x, y); }));
  r.unary("softplus", "std-loop", [](const float* x, float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = std::max(x[i], 0.0f) + std::log1p(std::exp(-std::fabs(x[i])));
  });
  r.unary("elu", "simd", span_fn([](auto x, auto y) { simd::elu(x, y, 1.0f); }));
  r.unary("elu", "simd-cr", span_fn([](auto x, auto y) { simd::elu(x, y, 1.0f, T::correctly_rounded); }));
  r.unary("elu", "builtin-scalar", span_fn([](auto x, auto y) { impl::elu(x, y, 1.0f); }));
  r.unary("elu", "std-loop", [](const float* x, float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = x[i] > 0 ? x[i] : std::expm1(x[i]);
  });
  r.unary("mish", "simd", span_fn([](auto x, auto y) { simd::mish(x, y); }));
  r.unary("mish", "simd-cr", span_fn([](auto x, auto y) { simd::mish(x, y, T::correctly_rounded); }));
  r.unary("mish", "std-loop", [](const float* x, float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      y[i] = x[i] * std::tanh(std::max(x[i], 0.0f) + std::log1p(std::exp(-std::fabs(x[i]))));
  });
  r.unary("relu", "simd", span_fn([](auto x, auto y) { simd::relu(x, y); }));
  r.unary("relu", "std-loop", [](const float* x, float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = x[i] > 0 ? x[i] : 0.0f;
  });

  r.unary("leaky_relu", "simd", span_fn([](auto x, auto y) { simd::leaky_relu(x, y, 0.01f); }));
  r.unary("leaky_relu", "std-loop", [](const float* x, float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = x[i] >= 0 ? x[i] : 0.01f * x[i];
  });
  r.unary("relu6", "simd", span_fn([](auto x, auto y) { simd::relu6(x, y); }));
  r.unary("relu6", "std-loop", [](const float* x, float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = std::min(std::max(x[i], 0.0f), 6.0f);
  });

  r.rows("softmax", "simd", rows_fn([](auto z, auto s, auto y) { simd::softmax(z, s, y); }));
  r.rows("softmax", "builtin-scalar", rows_fn([](auto z, auto s, auto y) { impl::softmax(z, s, y); }));
  r.rows("softmax", "std-loop", [](const float* z, float* y, std::size_t n, std::size_t c) {
    for (std::size_t i = 0; i < n; ++i) {
      const float* zr = z + i * c;
      float* yr = y + i * c;
      float m = *std::max_element(zr, zr + c), s = 0;
      for (std::size_t j = 0; j < c; ++j) s += (yr[j] = std::exp(zr[j] - m));
      for (std::size_t j = 0; j < c; ++j) yr[j] /= s;
    }
  });
  r.rows("log_softmax", "simd", rows_fn([](auto z, auto s, auto y) { simd::log_softmax(z, s, y); }));
  r.rows("log_softmax", "builtin-scalar", rows_fn([](auto z, auto s, auto y) { impl::log_softmax(z, s, y); }));
  r.rows("log_softmax", "std-loop", [](const float* z, float* y, std::size_t n, std::size_t c) {
    for (std::size_t i = 0; i < n; ++i) {
      const float* zr = z + i * c;
      float m;
      const float l = std::log(sum_exp_shifted(zr, c, m));
      for (std::size_t j = 0; j < c; ++j) y[i * c + j] = (zr[j] - m) - l;
    }
  });
  auto lse_fn = [](auto f) {
    return [f](const float* z, float* y, std::size_t n, std::size_t c) {
      f(std::span<const float>(z, n * c), impl::Shape{n, c}, std::span<float>(y, n));
    };
  };
  r.row_reduce("logsumexp", "simd", lse_fn([](auto z, auto s, auto y) { simd::logsumexp(z, s, y); }));
  r.row_reduce("logsumexp", "builtin-scalar", lse_fn([](auto z, auto s, auto y) { impl::logsumexp(z, s, y); }));
  r.row_reduce("logsumexp", "std-loop", [](const float* z, float* y, std::size_t n, std::size_t c) {
    for (std::size_t i = 0; i < n; ++i) {
      float m;
      const float s = sum_exp_shifted(z + i * c, c, m);
      y[i] = m + std::log(s);
    }
  });
  r.ce("simd", [](const float* z, const std::int64_t* t, float* y, std::size_t n, std::size_t c) {
    simd::cross_entropy(std::span<const float>(z, n * c), std::span<const std::int64_t>(t, n), simd::Shape{n, c},
                        std::span<float>(y, n), simd::Reduction::none);
  });
  r.ce("builtin-scalar", [](const float* z, const std::int64_t* t, float* y, std::size_t n, std::size_t c) {
    impl::cross_entropy(std::span<const float>(z, n * c), std::span<const std::int64_t>(t, n), impl::Shape{n, c},
                        std::span<float>(y, n), impl::Reduction::none);
  });
  r.ce("std-loop", [](const float* z, const std::int64_t* t, float* y, std::size_t n, std::size_t c) {
    for (std::size_t i = 0; i < n; ++i) {
      const float* zr = z + i * c;
      float m;
      const float s = sum_exp_shifted(zr, c, m);
      y[i] = std::log(s) - (zr[t[i]] - m);
    }
  });

  // Elementwise losses, reduction none.
  auto pair_fn = [](auto f) {
    return [f](const float* y, const float* p, float* out, std::size_t n) {
      f(std::span<const float>(y, n), std::span<const float>(p, n), std::span<float>(out, n));
    };
  };
  const auto none = simd::Reduction::none;
  r.pair("mse", "simd", pair_fn([none](auto y, auto p, auto o) { simd::mse(y, p, o, none); }));
  r.pair("mse", "builtin-scalar", pair_fn([none](auto y, auto p, auto o) { impl::mse(y, p, o, none); }));
  r.pair("mse", "std-loop", [](const float* y, const float* p, float* o, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) o[i] = (y[i] - p[i]) * (y[i] - p[i]);
  });
  r.pair("mae", "simd", pair_fn([none](auto y, auto p, auto o) { simd::mae(y, p, o, none); }));
  r.pair("mae", "builtin-scalar", pair_fn([none](auto y, auto p, auto o) { impl::mae(y, p, o, none); }));
  r.pair("mae", "std-loop", [](const float* y, const float* p, float* o, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) o[i] = std::fabs(y[i] - p[i]);
  });
  r.pair("huber", "simd", pair_fn([none](auto y, auto p, auto o) { simd::huber(y, p, o, 1.0f, none); }));
  r.pair("huber", "builtin-scalar", pair_fn([none](auto y, auto p, auto o) { impl::huber(y, p, o, none); }));
  r.pair("huber", "std-loop", [](const float* y, const float* p, float* o, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      const float a = std::fabs(y[i] - p[i]);
      o[i] = a <= 1.0f ? 0.5f * a * a : a - 0.5f;
    }
  });
  r.pair("binary_cross_entropy_with_logits", "simd",
         pair_fn([none](auto y, auto s, auto o) { simd::binary_cross_entropy_with_logits(y, s, o, none); }));
  r.pair("binary_cross_entropy_with_logits", "builtin-scalar",
         pair_fn([none](auto y, auto s, auto o) { impl::binary_cross_entropy_with_logits(y, s, o, none); }));
  r.pair("binary_cross_entropy_with_logits", "std-loop", [](const float* y, const float* s, float* o, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) o[i] = std::max(s[i], 0.0f) - s[i] * y[i] + std::log1p(std::exp(-std::fabs(s[i])));
  });

  // The bandwidth limit: the same bytes read and written by a copy.
  r.unary("copy", "memcpy", [](const float* x, float* y, std::size_t n) { std::memcpy(y, x, n * sizeof(float)); });
  r.unary("copy", "memcpy-nt", copy_nt);
}

}  // namespace nnc_bench
