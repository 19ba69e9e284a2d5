// nnconform-bench: the built-in kernels against the peer libraries, in one run, one thread.
//
// Timing: Google Benchmark, every competitor of every function registered as one benchmark
// ("sigmoid/4MiB/simd"), run with repetitions in random interleaved order (so that competitors
// share the machine's conditions), summarized by the median. Elements per nanosecond are
// items/s / 1e9 of wall time; CPU time is recorded beside it (one thread: they should agree).
// Error: each competitor runs over the golden binary32 inputs of its function (vectors/) and its
// results are measured in ULPs of the exact value, as the conformance suite does.
// Output: the Google Benchmark console lines, then a table of medians and ratios (built-in fast
// tier over the best peer; for unary functions on 256 MiB arrays also over the non-temporal
// copy: the losses read two arrays, 12 bytes per element against the copy's 8), the error table,
// and everything as JSON (--nnc_json=PATH, default nnconform-bench.json).
//
// Extra flags (before Google Benchmark's own, which all work: --benchmark_filter=...):
//   --nnc_json=PATH     where to write the JSON summary
//   --nnc_small_only    skip the 256 MiB arrays
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "nnconform/conformance/measure.hpp"
#include "nnconform/impl/simd.hpp"
#include "nnconform/ref/spec.hpp"
#include "nnconform/ref/vectors.hpp"
#include "peers.hpp"

namespace nnc_bench {
namespace {

namespace fs = std::filesystem;
namespace ref = nnconform::ref;
namespace conf = nnconform::conformance;

constexpr std::size_t kSmall = std::size_t(4) << 20;    // bytes
constexpr std::size_t kLarge = std::size_t(256) << 20;  // bytes
const std::vector<std::size_t> kRowLengths = {1000, 32000};

// A float array starting `offset` bytes past a 4 KiB boundary. Inputs sit at offset 0 and
// outputs at 2 KiB: where an input and an output stream start at the same offset in their pages
// (which aligned_alloc leaves to the address layout of each process), loads and stores alias
// in the 4 KiB store-forwarding check and some kernels run at half speed in one process and full
// speed in the next (measured: oneDNN's swish at 1.4 or 3.6 el/ns).
struct Buffer {
  float* p = nullptr;
  std::size_t n = 0;
  void* base = nullptr;
  explicit Buffer(std::size_t count, std::size_t offset = 0) : n(count) {
    base = std::aligned_alloc(4096, (count * sizeof(float) + offset + 4095) / 4096 * 4096);
    if (!base) throw std::bad_alloc();
    p = reinterpret_cast<float*>(static_cast<char*>(base) + offset);
  }
  ~Buffer() { std::free(base); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

void fill_uniform(float* p, std::size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  for (std::size_t i = 0; i < n; ++i) p[i] = u(rng);
}

struct Median {
  double elements_per_ns = 0, real_ns = 0, cpu_ns = 0;
};

class Collector : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, Median> medians;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      const bool single = run.run_type == Run::RT_Iteration && run.repetitions <= 1;  // no repetitions asked
      if (!median && !single) continue;
      Median m;
      auto it = run.counters.find("items_per_second");
      if (it != run.counters.end()) m.elements_per_ns = it->second.value / 1e9;
      m.real_ns = run.GetAdjustedRealTime();
      m.cpu_ns = run.GetAdjustedCPUTime();
      medians[run.run_name.function_name] = m;
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

std::string size_label(std::size_t bytes) { return std::to_string(bytes >> 20) + "MiB"; }

// ---------------------------------------------------------------------------------------------
// Error against the golden vectors.

struct ErrorRow {
  std::size_t values = 0, over_tolerance = 0, specials_wrong = 0, flushed = 0;
  double max_ulps = 0;  // over results whose golden value is finite
  double tolerance = 0;
  std::string worst;
};

const ref::SpecSet& specs() {
  static const ref::SpecSet s = ref::SpecSet::load(NNCONFORM_SPEC_DIR);
  return s;
}

void score(ErrorRow& row, const ref::FloatBits& got, const ref::FloatBits& want, double offset, const std::string& where) {
  conf::ElementError e = conf::measure(got, want, offset);
  ++row.values;
  bool special = e.nan_mismatch || e.inf_mismatch;
  if (special) {
    ++row.specials_wrong;
    return;
  }
  if (std::isfinite(e.ulps) && e.ulps > row.max_ulps) {
    row.max_ulps = e.ulps;
    row.worst = where + ": got " + ref::to_hex(got) + ", golden " + ref::to_hex(want);
  }
  if (!(e.ulps <= row.tolerance)) ++row.over_tolerance;
  double w = want.to_double();
  if (w != 0 && std::fabs(w) < 1.1754943508222875e-38 && got.to_double() == 0) ++row.flushed;
}

ErrorRow errors_of(const Competitor& c) {
  ErrorRow row;
  const ref::FunctionSpec* fn = specs().find(c.function);
  if (!fn) return row;
  row.tolerance = fn->tolerance.at("strict").at(ref::Format::binary32);
  fs::path path = fs::path(NNCONFORM_VECTOR_DIR) / ref::vector_file_path(*fn, ref::Format::binary32, ref::VectorFileKind::cases);
  ref::VectorFile file = ref::read_vector_file(path);
  auto f32 = [](const ref::FloatBits& v) { return static_cast<float>(v.to_double()); };
  auto bits = [](float v) { return conf::from_float(v, ref::Format::binary32); };
  if (c.unary) {
    std::vector<float> x;
    std::vector<const ref::VectorCase*> cases;
    for (const auto& vc : file.cases)
      if (vc.args.params.empty() && vc.args.inputs.count("x")) {
        x.push_back(f32(vc.args.inputs.at("x").values.at(0)));
        cases.push_back(&vc);
      }
    std::vector<float> y(x.size());
    c.unary(x.data(), y.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
      score(row, bits(y[i]), cases[i]->expected.values[0], cases[i]->offsets_ulps[0],
            "x=" + ref::to_hex(cases[i]->args.inputs.at("x").values[0]));
  } else if (c.pair) {
    // The cases of one element (their mean is the element's loss) or with reduction = none, no
    // other parameter and no optional input; inputs y and the prediction (yhat, or the logit s).
    std::vector<float> yv, pv;
    std::vector<const ref::VectorCase*> cases;
    for (const auto& vc : file.cases) {
      const auto& ps = vc.args.params;
      const bool none = ps.size() == 1 && ps.count("reduction") && ps.at("reduction") == "none";
      if ((!ps.empty() && !none) || vc.args.inputs.size() != 2 || !vc.args.inputs.count("y")) continue;
      bool scalars = true;
      for (const auto& [name, tensor] : vc.args.inputs) scalars = scalars && tensor.values.size() == 1;
      if (!scalars) continue;
      for (const auto& [name, tensor] : vc.args.inputs)
        if (name != "y") pv.push_back(f32(tensor.values.at(0)));
      yv.push_back(f32(vc.args.inputs.at("y").values.at(0)));
      cases.push_back(&vc);
    }
    std::vector<float> out(yv.size());
    c.pair(yv.data(), pv.data(), out.data(), yv.size());
    for (std::size_t i = 0; i < yv.size(); ++i)
      score(row, bits(out[i]), cases[i]->expected.values[0], cases[i]->offsets_ulps[0],
            "line " + std::to_string(cases[i]->line));
  } else if (c.rows) {
    for (const auto& vc : file.cases) {
      if (!vc.args.params.empty()) continue;
      const ref::Tensor& z = vc.args.inputs.at("z");
      std::size_t n = z.shape.size() == 2 ? z.shape[0] : 1, cc = z.shape.size() == 2 ? z.shape[1] : z.values.size();
      std::vector<float> zv, y(c.per_row ? n : z.values.size());
      for (const auto& v : z.values) zv.push_back(f32(v));
      c.rows(zv.data(), y.data(), n, cc);
      for (std::size_t i = 0; i < y.size(); ++i)
        score(row, bits(y[i]), vc.expected.values[i], vc.offsets_ulps[i], "line " + std::to_string(vc.line));
    }
  } else if (c.ce) {
    for (const auto& vc : file.cases) {
      if (vc.args.params.size() != 1 || vc.args.params.count("reduction") == 0 ||
          vc.args.params.at("reduction") != "none" || vc.args.inputs.count("w"))
        continue;
      const ref::Tensor& z = vc.args.inputs.at("z");
      const ref::Tensor& t = vc.args.inputs.at("t");
      std::size_t n = z.shape.size() == 2 ? z.shape[0] : 1, cc = z.shape.size() == 2 ? z.shape[1] : z.values.size();
      std::vector<float> zv, y(n);
      for (const auto& v : z.values) zv.push_back(f32(v));
      std::vector<std::int64_t> tv(t.indices.begin(), t.indices.end());
      c.ce(zv.data(), tv.data(), y.data(), n, cc);
      for (std::size_t i = 0; i < n; ++i)
        score(row, bits(y[i]), vc.expected.values[i], vc.offsets_ulps[i], "line " + std::to_string(vc.line));
    }
  }
  return row;
}

bool is_builtin(const std::string& peer) {
  return peer == "simd" || peer == "simd-cr" || peer == "builtin-scalar";
}

}  // namespace
}  // namespace nnc_bench

int main(int argc, char** argv) {
  using namespace nnc_bench;
  setenv("OMP_NUM_THREADS", "1", 1);  // oneDNN's OpenMP runtime reads it when it starts

  std::string json_path = "nnconform-bench.json";
  bool small_only = false;
  std::vector<char*> args = {argv[0]};
  // Defaults first, so that the user's own --benchmark_* flags (later) override them.
  static std::string defaults[] = {"--benchmark_repetitions=5", "--benchmark_enable_random_interleaving=true",
                                   "--benchmark_min_time=0.2", "--benchmark_report_aggregates_only=true"};
  for (auto& d : defaults) args.push_back(d.data());
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--nnc_json=", 0) == 0)
      json_path = a.substr(11);
    else if (a == "--nnc_small_only")
      small_only = true;
    else
      args.push_back(argv[i]);
  }
  int bargc = static_cast<int>(args.size());
  benchmark::Initialize(&bargc, args.data());

  Registry reg;
  std::vector<std::string> peers_present = {"builtin", "std-loop", "memcpy"};
  register_builtin(reg);
#ifdef NNCONFORM_BENCH_SLEEF
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {  // its file is compiled for AVX2
    register_sleef(reg);
    peers_present.push_back("sleef");
  }
#endif
#ifdef NNCONFORM_BENCH_EIGEN
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) register_eigen(reg);
  peers_present.push_back("eigen");
#endif
#ifdef NNCONFORM_BENCH_XNNPACK
  register_xnnpack(reg);
  peers_present.push_back("xnnpack");
#endif
#ifdef NNCONFORM_BENCH_DNNL
  register_dnnl(reg);
  peers_present.push_back("onednn");
#endif
#ifdef NNCONFORM_BENCH_TORCH
  register_torch(reg);
  peers_present.push_back("libtorch");
#endif

  std::vector<std::size_t> sizes = {kSmall};
  if (!small_only) sizes.push_back(kLarge);
  // Elementwise inputs x uniform in [-12, 12] (the losses' prediction or logit), the losses'
  // targets uniform in [0, 1] (at 1 KiB past a page: a third stream, apart from the other two).
  bool any_pair = false;
  for (const Competitor& c : reg.all) any_pair = any_pair || static_cast<bool>(c.pair);
  std::map<std::size_t, std::unique_ptr<Buffer>> xs, ys, ts;
  for (std::size_t bytes : sizes) {
    std::size_t n = bytes / sizeof(float);
    xs[bytes] = std::make_unique<Buffer>(n);
    ys[bytes] = std::make_unique<Buffer>(n, 2048);
    fill_uniform(xs[bytes]->p, n, -12.0f, 12.0f, 42);
    std::fill(ys[bytes]->p, ys[bytes]->p + n, 0.0f);  // touch every page before timing
    if (any_pair) {
      ts[bytes] = std::make_unique<Buffer>(n, 1024);
      fill_uniform(ts[bytes]->p, n, 0.0f, 1.0f, 5);
    }
  }
  const std::size_t row_total = kSmall / sizeof(float);
  Buffer z(row_total), zy(row_total, 2048);
  fill_uniform(z.p, row_total, -10.0f, 10.0f, 7);
  std::vector<std::int64_t> targets(row_total);
  {
    std::mt19937 rng(3);
    for (auto& t : targets) t = static_cast<std::int64_t>(rng() % 1000);
  }

  std::set<std::string> unary_functions;  // their 256 MiB figures are compared with the copy
  for (const Competitor& c : reg.all) {
    if (c.unary) unary_functions.insert(c.function);
    if (c.unary || c.pair) {
      for (std::size_t bytes : sizes) {
        std::string name = c.function + "/" + size_label(bytes) + "/" + c.peer;
        const float* x = xs[bytes]->p;
        const float* t = c.pair ? ts[bytes]->p : nullptr;
        float* y = ys[bytes]->p;
        std::size_t n = bytes / sizeof(float);
        benchmark::RegisterBenchmark(name.c_str(), [&c, x, t, y, n](benchmark::State& st) {
          for (auto _ : st) {
            if (c.unary)
              c.unary(x, y, n);
            else
              c.pair(t, x, y, n);
            benchmark::ClobberMemory();
          }
          st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * n));
        })->UseRealTime()->Unit(benchmark::kMillisecond);
      }
    } else {
      for (std::size_t len : kRowLengths) {
        std::string name = c.function + "/rows" + std::to_string(len) + "/" + c.peer;
        std::size_t rows = row_total / len;
        const float* zp = z.p;
        float* yp = zy.p;
        const std::int64_t* tp = targets.data();
        benchmark::RegisterBenchmark(name.c_str(), [&c, zp, yp, tp, rows, len](benchmark::State& st) {
          std::vector<std::int64_t> t(tp, tp + rows);
          for (auto& v : t) v %= static_cast<std::int64_t>(len);
          for (auto _ : st) {
            if (c.rows)
              c.rows(zp, yp, rows, len);
            else
              c.ce(zp, t.data(), yp, rows, len);
            benchmark::ClobberMemory();
          }
          st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * rows * len));
        })->UseRealTime()->Unit(benchmark::kMillisecond);
      }
    }
  }

  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();

  // ---- Ratio table ----
  nlohmann::json out;
  out["machine"] = {{"simd_target", nnconform::simd::current_target()}, {"peers", peers_present}};
  std::map<std::string, std::map<std::string, Median>> by_case;  // "sigmoid/4MiB" -> peer -> median
  for (const auto& [name, m] : collector.medians) {
    auto slash = name.rfind('/');
    by_case[name.substr(0, slash)][name.substr(slash + 1)] = m;
    out["medians"][name] = {{"elements_per_ns", m.elements_per_ns}, {"real_ms", m.real_ns}, {"cpu_ms", m.cpu_ns}};
  }
  std::ostringstream md;
  md << "| function / size | simd (fast) el/ns | simd-cr el/ns | best peer | best peer el/ns | fast / best peer | "
        "cr / fast | fast / copy-nt | all peers (el/ns) |\n|---|---:|---:|---|---:|---:|---:|---:|---|\n";
  double copy_nt_large = 0;
  if (by_case.count("copy/256MiB") && by_case["copy/256MiB"].count("memcpy-nt"))
    copy_nt_large = by_case["copy/256MiB"]["memcpy-nt"].elements_per_ns;
  for (const auto& [cs, peers] : by_case) {
    if (cs.rfind("copy/", 0) == 0) continue;
    double fast = peers.count("simd") ? peers.at("simd").elements_per_ns : 0;
    double cr = peers.count("simd-cr") ? peers.at("simd-cr").elements_per_ns : 0;
    std::string best;
    double best_v = 0;
    std::ostringstream all;
    for (const auto& [p, m] : peers) {
      if (is_builtin(p)) continue;
      all << p << " " << std::fixed << std::setprecision(3) << m.elements_per_ns << "; ";
      if (m.elements_per_ns > best_v) {
        best_v = m.elements_per_ns;
        best = p;
      }
    }
    double ratio = best_v > 0 ? fast / best_v : 0;
    md << "| " << cs << " | " << std::fixed << std::setprecision(3) << fast << " | ";
    if (cr > 0) md << cr; else md << "-";
    md << " | " << best << " | " << best_v << " | " << std::setprecision(2) << ratio << " | ";
    if (cr > 0) md << cr / fast; else md << "-";
    md << " | ";
    const bool vs_copy = cs.find("/256MiB") != std::string::npos && copy_nt_large > 0 &&
                         unary_functions.count(cs.substr(0, cs.find('/')));
    if (vs_copy) md << fast / copy_nt_large; else md << "-";
    md << " | " << all.str() << " |\n";
    out["ratios"][cs] = {{"simd", fast}, {"simd_cr", cr}, {"best_peer", best}, {"best_peer_elements_per_ns", best_v},
                         {"simd_over_best_peer", ratio}};
    if (cr > 0) out["ratios"][cs]["cr_over_fast"] = cr / fast;
    if (vs_copy) out["ratios"][cs]["simd_over_copy_nt"] = fast / copy_nt_large;
  }
  for (const auto& [cs, peers] : by_case)
    if (cs.rfind("copy/", 0) == 0)
      for (const auto& [p, m] : peers) md << "\n" << cs << " " << p << ": " << m.elements_per_ns << " el/ns";
  md << "\n";
  // CPU time against wall time: one thread should show ~1.
  double worst_cpu_ratio = 1;
  for (const auto& [name, m] : collector.medians)
    if (m.real_ns > 0 && std::fabs(m.cpu_ns / m.real_ns - 1) > std::fabs(worst_cpu_ratio - 1)) worst_cpu_ratio = m.cpu_ns / m.real_ns;
  md << "\nlargest CPU/wall time ratio of a median: " << std::setprecision(3) << worst_cpu_ratio << "\n";
  out["worst_cpu_over_wall"] = worst_cpu_ratio;

  // ---- Error table ----
  std::ostringstream err;
  err << "\n| function | competitor | golden values | max ULP (finite) | over strict | strict | NaN/inf wrong | "
         "subnormals flushed | worst |\n|---|---|---:|---:|---:|---:|---:|---:|---|\n";
  for (const Competitor& c : reg.all) {
    if (c.function == "copy") continue;
    ErrorRow e;
    try {
      e = errors_of(c);
    } catch (const std::exception& ex) {
      std::cerr << "error table: " << c.function << " " << c.peer << ": " << ex.what() << "\n";
      continue;
    }
    err << "| " << c.function << " | " << c.peer << " | " << e.values << " | " << std::setprecision(3) << std::fixed
        << e.max_ulps << " | " << e.over_tolerance << " | " << std::setprecision(1) << e.tolerance << " | "
        << e.specials_wrong << " | " << e.flushed << " | " << (e.max_ulps > e.tolerance ? e.worst : "") << " |\n";
    out["errors"][c.function][c.peer] = {{"values", e.values}, {"max_ulps", e.max_ulps},
                                         {"over_strict", e.over_tolerance}, {"strict", e.tolerance},
                                         {"nan_inf_wrong", e.specials_wrong}, {"subnormals_flushed", e.flushed},
                                         {"worst", e.worst}};
  }
  std::cout << "\nMedians of interleaved repetitions, elements per nanosecond (wall), one thread:\n"
            << md.str() << "\nError on the golden binary32 vectors (ULPs of the exact value):\n"
            << err.str();
  out["table_markdown"] = md.str();
  out["errors_markdown"] = err.str();
  std::ofstream(json_path) << out.dump(2) << "\n";
  std::cout << "\nwrote " << json_path << "\n";
  return 0;
}
