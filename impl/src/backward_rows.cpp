// Backward of the row functions (include/nnconform/impl/backward.hpp): vector-Jacobian products
// of softmax, log_softmax, logsumexp, crelu, maxout and hardmax, in double-double.
#include <cmath>
#include <span>
#include <vector>

#include "backward_common.hpp"

namespace nnconform::impl {

namespace bw {

RowExp row_exp(std::span<const double> z) {
  RowExp r;
  const std::size_t c = z.size();
  r.e.assign(c, DD{0.0, 0.0});
  r.es.assign(c, dw::Scaled{DD{0.0, 0.0}, 0});
  bool nan = false;
  double m = -kInf;
  for (std::size_t j = 0; j < c; ++j) {
    if (std::isnan(z[j])) nan = true;
    else if (z[j] > m) m = z[j];
  }
  for (std::size_t j = 0; j < c; ++j)
    if (z[j] == m) {
      r.argmax = j;
      break;
    }
  r.m = m;
  r.nan = nan || std::isinf(m);
  for (std::size_t j = 0; j < c; ++j) {
    if (std::isnan(z[j])) {
      r.e[j] = DD{kNaN, 0.0};
      r.es[j] = {DD{kNaN, 0.0}, 0};
    } else if (z[j] == m) {
      ++r.k;
      const double one = std::isinf(m) ? kNaN : 1.0;  // e^(inf - inf)
      r.e[j] = DD{one, 0.0};
      r.es[j] = {DD{one, 0.0}, 0};
    } else {
      r.es[j] = dw::exp_scaled(dw::two_sum(z[j], -m));  // m = +inf: e^-inf = 0
      r.e[j] = dw::ldexp(r.es[j].m, r.es[j].k);
      r.rest = r.rest + r.e[j];
    }
  }
  if (nan) r.rest = DD{kNaN, 0.0};
  r.sum = r.rest + static_cast<double>(r.k);
  return r;
}

}  // namespace bw

namespace {

using bw::DD;
using bw::mk;
constexpr double kNaN = bw::kNaN;

template <class T>
void check_rows(std::string_view fn, std::span<const T> z, Shape shape, std::size_t g_size, std::size_t g_width,
                std::size_t out_size) {
  detail::check_shape(fn, "z", z.size(), shape);
  if (g_size != 0 && g_size != shape.n * g_width)
    detail::fail(fn, "g has " + std::to_string(g_size) + " elements, expected " + std::to_string(shape.n * g_width) +
                         " (or 0: ones)");
  bw::check_len(fn, "dz", out_size, z.size());
}

template <class T>
std::vector<double> row_of(std::span<const T> z, std::size_t i, std::size_t c) {
  std::vector<double> r(c);
  for (std::size_t j = 0; j < c; ++j) r[j] = static_cast<double>(z[i * c + j]);
  return r;
}

// softmax VJP: e_j ((g_j - c) S - sum_l e_l (g_l - c)) / S^2, c = g at the first maximum.
template <class T>
void softmax_impl(std::span<const T> z, Shape shape, std::span<const T> g, std::span<T> dz) {
  constexpr std::string_view fn = "softmax_backward";
  check_rows(fn, z, shape, g.size(), shape.c, dz.size());
  const std::size_t c = shape.c;
  std::vector<DD> gs(c);
  for (std::size_t i = 0; i < shape.n; ++i) {
    const auto row = row_of(z, i, c);
    const bw::RowExp r = bw::row_exp(row);
    const double g0 = g.empty() ? 1.0 : static_cast<double>(g[i * c + r.argmax]);
    DD acc{0.0, 0.0};
    bool gnan = false;
    for (std::size_t j = 0; j < c; ++j) {
      const double gj = g.empty() ? 1.0 : static_cast<double>(g[i * c + j]);
      gnan |= std::isnan(gj);
      gs[j] = dw::two_sum(gj, -g0);
      if (r.e[j].hi != 0.0) acc = acc + r.e[j] * gs[j];
    }
    const DD s2 = r.sum * r.sum;
    for (std::size_t j = 0; j < c; ++j) {
      if (r.nan || gnan) {
        dz[i * c + j] = static_cast<T>(kNaN);
        continue;
      }
      const DD b = gs[j] * r.sum - acc;
      dz[i * c + j] = r.e[j].hi == 0.0 && r.es[j].m.hi == 0.0 ? T(0) : bw::round_to<T>(bw::e_times(r, j, b / s2));
    }
  }
}

template <class T>
void softmax_output_impl(std::span<const T> s, Shape shape, std::span<const T> g, std::span<T> dz) {
  constexpr std::string_view fn = "softmax_backward_from_output";
  check_rows(fn, s, shape, g.size(), shape.c, dz.size());
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i) {
    DD gbar{0.0, 0.0};
    for (std::size_t j = 0; j < c; ++j) {
      const double gj = g.empty() ? 1.0 : static_cast<double>(g[i * c + j]);
      gbar = gbar + dw::two_prod(gj, static_cast<double>(s[i * c + j]));
    }
    for (std::size_t j = 0; j < c; ++j) {
      const double gj = g.empty() ? 1.0 : static_cast<double>(g[i * c + j]);
      dz[i * c + j] = bw::round_to<T>((mk(gj) - gbar) * static_cast<double>(s[i * c + j]));
    }
  }
}

// log_softmax VJP: g - e sum(g) / S.
template <class T>
void log_softmax_impl(std::span<const T> z, Shape shape, std::span<const T> g, std::span<T> dz) {
  constexpr std::string_view fn = "log_softmax_backward";
  check_rows(fn, z, shape, g.size(), shape.c, dz.size());
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i) {
    const bw::RowExp r = bw::row_exp(row_of(z, i, c));
    DD gsum{0.0, 0.0};
    for (std::size_t j = 0; j < c; ++j) gsum = gsum + (g.empty() ? 1.0 : static_cast<double>(g[i * c + j]));
    for (std::size_t j = 0; j < c; ++j) {
      const double gj = g.empty() ? 1.0 : static_cast<double>(g[i * c + j]);
      if (r.nan || std::isnan(gsum.hi)) {
        dz[i * c + j] = static_cast<T>(kNaN);
        continue;
      }
      dz[i * c + j] = gj == 0 ? bw::round_to<T>(-bw::e_times(r, j, gsum / r.sum))
                              : bw::round_to<T>(mk(gj) - r.e[j] * gsum / r.sum);
    }
  }
}

// logsumexp VJP: g_row softmax(z).
template <class T>
void logsumexp_impl(std::span<const T> z, Shape shape, std::span<const T> g, std::span<T> dz) {
  constexpr std::string_view fn = "logsumexp_backward";
  check_rows(fn, z, shape, g.size(), 1, dz.size());
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i) {
    const bw::RowExp r = bw::row_exp(row_of(z, i, c));
    const double gi = g.empty() ? 1.0 : static_cast<double>(g[i]);
    for (std::size_t j = 0; j < c; ++j)
      dz[i * c + j] = r.nan ? static_cast<T>(kNaN) : bw::round_to<T>(bw::e_times(r, j, mk(gi) / r.sum));
  }
}

// crelu: dx = g[:c] (x > 0) - g[c:] (x < 0); 0 at x = 0 in both halves.
template <class T>
void crelu_impl(std::span<const T> x, Shape shape, std::span<const T> g, std::span<T> dx) {
  constexpr std::string_view fn = "crelu_backward";
  detail::check_shape(fn, "x", x.size(), shape);
  if (g.size() != 0 && g.size() != 2 * x.size())
    detail::fail(fn, "g has " + std::to_string(g.size()) + " elements, expected " + std::to_string(2 * x.size()) +
                         " (2c per row, or 0: ones)");
  bw::check_len(fn, "dx", dx.size(), x.size());
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i)
    for (std::size_t j = 0; j < c; ++j) {
      const T v = x[i * c + j];
      const T gp = g.empty() ? T(1) : g[i * 2 * c + j];
      const T gn = g.empty() ? T(1) : g[i * 2 * c + c + j];
      if (std::isnan(v)) dx[i * c + j] = v;
      else if (v > T(0)) dx[i * c + j] = gp;
      else if (v < T(0)) dx[i * c + j] = -gn;
      else dx[i * c + j] = T(0) * gp * gn;
    }
}

// maxout: each group's g goes to its first maximum.
template <class T>
void maxout_impl(std::span<const T> x, Shape shape, std::span<const T> g, std::span<T> dx, std::int64_t k) {
  constexpr std::string_view fn = "maxout_backward";
  detail::check_shape(fn, "x", x.size(), shape);
  if (k < 1 || shape.c % static_cast<std::size_t>(k) != 0)
    detail::fail(fn, "k = " + std::to_string(k) + " does not divide the row length " + std::to_string(shape.c));
  const std::size_t kk = static_cast<std::size_t>(k), groups = shape.c / kk;
  if (g.size() != 0 && g.size() != shape.n * groups)
    detail::fail(fn, "g has " + std::to_string(g.size()) + " elements, expected " + std::to_string(shape.n * groups) +
                         " (c/k per row, or 0: ones)");
  bw::check_len(fn, "dx", dx.size(), x.size());
  for (std::size_t i = 0; i < shape.n; ++i)
    for (std::size_t q = 0; q < groups; ++q) {
      const std::size_t base = i * shape.c + q * kk;
      const T gq = g.empty() ? T(1) : g[i * groups + q];
      bool nan = false;
      std::size_t best = 0;
      for (std::size_t l = 0; l < kk; ++l) {
        if (std::isnan(x[base + l])) nan = true;
        else if (x[base + l] > x[base + best] || std::isnan(x[base + best])) best = l;
      }
      for (std::size_t l = 0; l < kk; ++l)
        dx[base + l] = nan ? std::numeric_limits<T>::quiet_NaN() : (l == best ? gq : T(0));
    }
}

// hardmax: 0 (NaN where a row of z, or g, holds NaN).
template <class T>
void hardmax_impl(std::span<const T> z, Shape shape, std::span<const T> g, std::span<T> dz) {
  constexpr std::string_view fn = "hardmax_backward";
  check_rows(fn, z, shape, g.size(), shape.c, dz.size());
  const std::size_t c = shape.c;
  for (std::size_t i = 0; i < shape.n; ++i) {
    bool nan = false;
    for (std::size_t j = 0; j < c; ++j) nan |= std::isnan(z[i * c + j]);
    for (std::size_t j = 0; j < c; ++j) {
      const bool gnan = !g.empty() && std::isnan(g[i * c + j]);
      dz[i * c + j] = nan || gnan ? std::numeric_limits<T>::quiet_NaN() : T(0);
    }
  }
}

}  // namespace

#define NNCONFORM_ROWS(T)                                                                                    \
  void softmax_backward(std::span<const T> z, Shape shape, std::span<const T> g, std::span<T> dz) {         \
    softmax_impl<T>(z, shape, g, dz);                                                                        \
  }                                                                                                          \
  void softmax_backward_from_output(std::span<const T> s, Shape shape, std::span<const T> g,                \
                                    std::span<T> dz) {                                                       \
    softmax_output_impl<T>(s, shape, g, dz);                                                                 \
  }                                                                                                          \
  void log_softmax_backward(std::span<const T> z, Shape shape, std::span<const T> g, std::span<T> dz) {     \
    log_softmax_impl<T>(z, shape, g, dz);                                                                    \
  }                                                                                                          \
  void logsumexp_backward(std::span<const T> z, Shape shape, std::span<const T> g, std::span<T> dz) {       \
    logsumexp_impl<T>(z, shape, g, dz);                                                                      \
  }                                                                                                          \
  void crelu_backward(std::span<const T> x, Shape shape, std::span<const T> g, std::span<T> dx) {           \
    crelu_impl<T>(x, shape, g, dx);                                                                          \
  }                                                                                                          \
  void maxout_backward(std::span<const T> x, Shape shape, std::span<const T> g, std::span<T> dx,            \
                       std::int64_t k) {                                                                     \
    maxout_impl<T>(x, shape, g, dx, k);                                                                      \
  }                                                                                                          \
  void hardmax_backward(std::span<const T> z, Shape shape, std::span<const T> g, std::span<T> dz) {         \
    hardmax_impl<T>(z, shape, g, dz);                                                                        \
  }
NNCONFORM_ROWS(float)
NNCONFORM_ROWS(double)
#undef NNCONFORM_ROWS

}  // namespace nnconform::impl
