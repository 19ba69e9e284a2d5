// SLEEF 3.5 loops: AVX2 8-lane entry points (1.0-ulp variants), the textbook formula around them.
#include <immintrin.h>
#include <sleef.h>

#include <algorithm>
#include <cstring>

#include "peers.hpp"

namespace nnc_bench {
namespace {
// Runs f over x in 8-lane blocks, the tail through a padded buffer.
template <class F>
void blocks(const float* x, float* y, std::size_t n, F f) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float buf[8] = {};
    std::memcpy(buf, x + i, (n - i) * sizeof(float));
    _mm256_store_ps(buf, f(_mm256_load_ps(buf)));
    std::memcpy(y + i, buf, (n - i) * sizeof(float));
  }
}
const __m256 kOne = _mm256_set1_ps(1.0f);
const __m256 kZero = _mm256_setzero_ps();
__m256 sigmoid8(__m256 x) { return _mm256_div_ps(kOne, _mm256_add_ps(kOne, Sleef_expf8_u10(_mm256_sub_ps(kZero, x)))); }
}  // namespace

void register_sleef(Registry& r) {
  r.unary("sigmoid", "sleef", [](const float* x, float* y, std::size_t n) { blocks(x, y, n, sigmoid8); });
  r.unary("tanh", "sleef", [](const float* x, float* y, std::size_t n) { blocks(x, y, n, [](__m256 v) { return Sleef_tanhf8_u10(v); }); });
  r.unary("silu", "sleef", [](const float* x, float* y, std::size_t n) {
    blocks(x, y, n, [](__m256 v) { return _mm256_mul_ps(v, sigmoid8(v)); });
  });
  r.unary("elu", "sleef", [](const float* x, float* y, std::size_t n) {
    blocks(x, y, n, [](__m256 v) {
      return _mm256_blendv_ps(Sleef_expm1f8_u10(v), v, _mm256_cmp_ps(v, kZero, _CMP_GT_OQ));
    });
  });
  r.unary("softplus", "sleef", [](const float* x, float* y, std::size_t n) {
    blocks(x, y, n, [](__m256 v) {
      __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
      return _mm256_add_ps(_mm256_max_ps(v, kZero), Sleef_log1pf8_u10(Sleef_expf8_u10(_mm256_sub_ps(kZero, a))));
    });
  });
  r.unary("mish", "sleef", [](const float* x, float* y, std::size_t n) {
    blocks(x, y, n, [](__m256 v) {
      __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
      __m256 sp = _mm256_add_ps(_mm256_max_ps(v, kZero), Sleef_log1pf8_u10(Sleef_expf8_u10(_mm256_sub_ps(kZero, a))));
      return _mm256_mul_ps(v, Sleef_tanhf8_u10(sp));
    });
  });
  r.rows("softmax", "sleef", [](const float* z, float* y, std::size_t n, std::size_t c) {
    for (std::size_t i = 0; i < n; ++i) {
      const float* zr = z + i * c;
      float* yr = y + i * c;
      const __m256 m = _mm256_set1_ps(*std::max_element(zr, zr + c));
      __m256 acc = kZero;
      std::size_t j = 0;
      for (; j + 8 <= c; j += 8) {
        __m256 e = Sleef_expf8_u10(_mm256_sub_ps(_mm256_loadu_ps(zr + j), m));
        _mm256_storeu_ps(yr + j, e);
        acc = _mm256_add_ps(acc, e);
      }
      alignas(32) float lanes[8];
      _mm256_store_ps(lanes, acc);
      float s = 0;
      for (float v : lanes) s += v;
      for (; j < c; ++j) s += (yr[j] = Sleef_expf_u10(zr[j] - _mm256_cvtss_f32(m)));
      const __m256 inv = _mm256_set1_ps(1.0f / s);
      for (j = 0; j + 8 <= c; j += 8) _mm256_storeu_ps(yr + j, _mm256_mul_ps(_mm256_loadu_ps(yr + j), inv));
      for (; j < c; ++j) yr[j] /= s;
    }
  });
}

}  // namespace nnc_bench
