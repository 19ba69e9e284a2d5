// The competitors of the benchmark: every one is a few lines that run one function of one library
// over float32 data, registered under the function's spec name. The same callables are timed and
// scored against the golden vectors, so a peer's speed and its error come from the same code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nnc_bench {

// out[i] = f(x[i]), i < n.
using UnaryFn = std::function<void(const float* x, float* out, std::size_t n)>;
// n rows of c: softmax and log_softmax write n·c values.
using RowsFn = std::function<void(const float* z, float* out, std::size_t n, std::size_t c)>;
// cross_entropy from logits, reduction none: one loss per row.
using CeFn = std::function<void(const float* z, const std::int64_t* t, float* out, std::size_t n, std::size_t c)>;
// An elementwise loss of a target y and a prediction p (yhat, or the logit s), reduction none:
// out[i] = loss(y[i], p[i]), i < n.
using PairFn = std::function<void(const float* y, const float* p, float* out, std::size_t n)>;

struct Competitor {
  std::string function, peer;
  UnaryFn unary;
  RowsFn rows;  // softmax-like (n·c outputs), or with per_row one output per row (logsumexp)
  CeFn ce;
  PairFn pair;
  bool per_row = false;
};

struct Registry {
  std::vector<Competitor> all;
  void unary(const std::string& f, const std::string& peer, UnaryFn fn) { all.push_back({f, peer, std::move(fn)}); }
  void rows(const std::string& f, const std::string& peer, RowsFn fn) { all.push_back({f, peer, {}, std::move(fn)}); }
  // One value per row (logsumexp).
  void row_reduce(const std::string& f, const std::string& peer, RowsFn fn) {
    all.push_back({f, peer, {}, std::move(fn), {}, {}, true});
  }
  void ce(const std::string& peer, CeFn fn) { all.push_back({"cross_entropy", peer, {}, {}, std::move(fn)}); }
  void pair(const std::string& f, const std::string& peer, PairFn fn) {
    all.push_back({f, peer, {}, {}, {}, std::move(fn)});
  }
};

// Built-in (simd fast and correctly rounded tiers, the scalar impl::), plain std:: loops and
// the copy figures: always present.
void register_builtin(Registry&);
void register_sleef(Registry&);
void register_eigen(Registry&);
void register_xnnpack(Registry&);
void register_dnnl(Registry&);
void register_torch(Registry&);

}  // namespace nnc_bench
