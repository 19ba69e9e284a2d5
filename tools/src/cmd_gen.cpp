// nnconform gen: writes the golden vectors (vectors.hpp describes the files).
//
// Three phases, so that a failure never leaves a half-written tree:
//   1. generate every file in memory (threads over (function, format) jobs; each job's bytes
//      depend only on its inputs, so the output is the same whatever the scheduling);
//   2. write every file of every function that succeeded to a temporary file beside its
//      target (".<name>.<pid>.tmp", fsync'ed); on any error, remove them all and stop;
//   3. rename them over their targets, then write the MANIFEST the same way.
// A function whose generation fails keeps its previous files and manifest entries.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/families.hpp"
#include "nnconform/ref/spec.hpp"
#include "nnconform/ref/vectors.hpp"

namespace nnconform::tool {
namespace {

namespace fs = std::filesystem;

struct GenOptions {
  std::string spec_dir, out_dir;  // empty: the global defaults
  std::vector<std::string> functions;
  std::vector<std::string> formats;
  unsigned jobs = 0;
  bool quiet = false;
  bool verbose = false;
};

struct Job {
  std::size_t function = 0;  // index into the selected functions
  ref::Format format = ref::Format::binary64;
  ref::VectorFileKind kind = ref::VectorFileKind::cases;
  std::string wrt;   // a gradient file: the input or parameter; empty for the forward pass
  std::string path;  // relative
  // Results.
  std::string bytes;
  std::string error;
  bool failed = false;
  ref::CaseFileStats stats;
};

// Progress on a terminal: one line, rewritten in place, at most 5 times a second.
class Progress {
 public:
  Progress(bool enabled, std::size_t jobs) : enabled_(enabled), total_(jobs), start_(Clock::now()) {}
  void update(const std::string& what, std::size_t done, std::size_t total) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    current_ = what + " " + std::to_string(total ? 100 * done / total : 0) + "%";
    draw(now);
  }
  void job_done() {
    std::lock_guard<std::mutex> lock(mu_);
    ++finished_;
    if (enabled_) draw(Clock::now());
  }
  void clear() {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mu_);
    std::cerr << "\r\033[K" << std::flush;
  }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  using Clock = std::chrono::steady_clock;
  void draw(Clock::time_point now) {
    auto s = std::chrono::duration_cast<std::chrono::seconds>(now - start_).count();
    std::cerr << "\r\033[Kgen: " << finished_ << "/" << total_ << " files, " << s << "s  " << current_ << std::flush;
  }
  bool enabled_;
  std::size_t total_, finished_ = 0;
  Clock::time_point start_, last_{};
  std::string current_;
  std::mutex mu_;
};

std::string errno_text() { return std::strerror(errno); }

// Writes bytes to a new file (fails if it exists) and syncs it to disk.
bool write_file_synced(const fs::path& path, const std::string& bytes, std::string& error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot create " + path.string() + ": " + errno_text();
    return false;
  }
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = "cannot write " + path.string() + ": " + errno_text();
      ::close(fd);
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    error = "cannot sync " + path.string() + ": " + errno_text();
    ::close(fd);
    return false;
  }
  if (::close(fd) != 0) {
    error = "cannot close " + path.string() + ": " + errno_text();
    return false;
  }
  return true;
}

std::optional<std::string> read_if_exists(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path temp_beside(const fs::path& target) {
  return target.parent_path() / ("." + target.filename().string() + "." + std::to_string(::getpid()) + ".tmp");
}

// Staged writes: temporaries first, renames once all of them are written.
class Stager {
 public:
  ~Stager() { abort(); }
  // Stages bytes for target; returns false with `error` set on failure.
  bool stage(const fs::path& target, const std::string& bytes, std::string& error) {
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      error = "cannot create directory " + target.parent_path().string() + ": " + ec.message();
      return false;
    }
    if (fs::exists(target, ec) && !fs::is_regular_file(target, ec)) {
      error = "cannot replace " + target.string() + ": it is not a regular file";
      return false;
    }
    remove_stale_temporaries(target.parent_path());
    fs::path tmp = temp_beside(target);
    fs::remove(tmp, ec);
    if (!write_file_synced(tmp, bytes, error)) {
      fs::remove(tmp, ec);
      return false;
    }
    staged_.push_back({tmp, target});
    return true;
  }
  // Renames every staged file over its target, in order.
  bool commit(std::string& error) {
    for (std::size_t i = 0; i < staged_.size(); ++i) {
      std::error_code ec;
      fs::rename(staged_[i].first, staged_[i].second, ec);
      if (ec) {
        error = "cannot rename " + staged_[i].first.string() + " to " + staged_[i].second.string() + ": " + ec.message();
        staged_.erase(staged_.begin(), staged_.begin() + static_cast<std::ptrdiff_t>(i));
        abort();
        return false;
      }
    }
    staged_.clear();
    sync_directories();
    return true;
  }
  void abort() {
    for (const auto& [tmp, target] : staged_) {
      std::error_code ec;
      fs::remove(tmp, ec);
    }
    staged_.clear();
  }

 private:
  std::vector<std::pair<fs::path, fs::path>> staged_;
  std::vector<fs::path> dirs_;

  // Leftovers of an interrupted gen: ".<name>.<pid>.tmp" files in a directory gen writes to.
  void remove_stale_temporaries(const fs::path& dir) {
    if (std::find(dirs_.begin(), dirs_.end(), dir) != dirs_.end()) return;
    dirs_.push_back(dir);
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      std::string n = e.path().filename().string();
      if (n.size() > 5 && n[0] == '.' && n.ends_with(".tmp") && e.is_regular_file(ec)) {
        bool ours_now = false;
        for (const auto& [tmp, target] : staged_) ours_now |= tmp == e.path();
        if (!ours_now) fs::remove(e.path(), ec);
      }
    }
  }
  void sync_directories() {
    for (const auto& d : dirs_) {
      int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
      }
    }
  }
};

std::string command_for(const ref::FunctionSpec& fn, ref::Format format) {
  return "nnconform gen --function " + fn.name + " --format " + std::string(ref::name(format));
}

int run_gen(const GlobalOptions& g, const GenOptions& o) {
  const std::string spec_dir = o.spec_dir.empty() ? g.spec_dir : o.spec_dir;
  const fs::path out = o.out_dir.empty() ? g.vector_dir : o.out_dir;
  auto specs = ref::SpecSet::load(spec_dir);

  // --- Select functions and formats. ---
  std::vector<const ref::FunctionSpec*> fns;
  for (const auto& name : o.functions) {
    const ref::FunctionSpec* fn = specs.find(name);
    if (!fn) {
      std::cerr << "nnconform gen: unknown function '" << name << "' (see nnconform list)\n";
      return kExitBadInput;
    }
    if (std::find(fns.begin(), fns.end(), fn) == fns.end()) fns.push_back(fn);
  }
  if (o.functions.empty())
    for (const auto& fn : specs.functions()) fns.push_back(&fn);
  std::sort(fns.begin(), fns.end(), [](auto* a, auto* b) { return a->name < b->name; });
  std::vector<ref::Format> formats;
  for (const auto& text : o.formats) {
    auto f = ref::parse_format(text);
    if (!f) {
      std::cerr << "nnconform gen: unknown format '" << text << "' (binary64, binary32, binary16, bfloat16)\n";
      return kExitBadInput;
    }
    if (std::find(formats.begin(), formats.end(), *f) == formats.end()) formats.push_back(*f);
  }
  if (formats.empty()) formats.assign(std::begin(ref::kAllFormats), std::end(ref::kAllFormats));
  std::sort(formats.begin(), formats.end());
  const bool full_run = o.functions.empty() && o.formats.empty();

  // --- Jobs. ---
  std::vector<std::string> function_error(fns.size());
  std::vector<ref::Provenance> provenance(fns.size());
  std::vector<Job> jobs;
  for (std::size_t i = 0; i < fns.size(); ++i) {
    const auto& fn = *fns[i];
    try {
      provenance[i].spec_file = fs::relative(fn.file, specs.directory()).generic_string();
      provenance[i].spec_sha256 = ref::sha256_file(fn.file);
      bool tables = ref::wants_exhaustive_tables(fn);
      for (ref::Format f : formats) {
        auto add = [&](ref::VectorFileKind kind, const std::string& wrt) {
          Job job;
          job.function = i;
          job.format = f;
          job.kind = kind;
          job.wrt = wrt;
          job.path = wrt.empty() ? ref::vector_file_path(fn, f, kind) : ref::gradient_file_path(fn, wrt, f);
          jobs.push_back(std::move(job));
        };
        add(ref::VectorFileKind::cases, "");
        if (tables && ref::info(f).storage_bits == 16) add(ref::VectorFileKind::exhaustive, "");
        for (const auto& [wrt, formula] : fn.gradients) add(ref::VectorFileKind::cases, wrt);
      }
    } catch (const std::exception& e) {
      function_error[i] = e.what();
    }
  }
  // Longest first (tables, then binary64), for an even load; results stay in job order.
  std::vector<std::size_t> order(jobs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    auto weight = [&](const Job& j) { return j.kind == ref::VectorFileKind::exhaustive ? 2 : j.format == ref::Format::binary64 ? 1 : 0; };
    return weight(jobs[a]) > weight(jobs[b]);
  });

  unsigned threads = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, std::max<std::size_t>(jobs.size(), 1));
  Progress progress(!o.quiet && ::isatty(STDERR_FILENO), jobs.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    ref::Reference reference(specs);  // per thread: MPFR's exponent range is thread-local
    for (;;) {
      std::size_t k = next.fetch_add(1);
      if (k >= order.size()) break;
      Job& job = jobs[order[k]];
      const auto& fn = *fns[job.function];
      std::string label = job.path;
      auto report = [&](std::size_t done, std::size_t total) { progress.update(label, done, total); };
      ref::Provenance prov = provenance[job.function];
      prov.command = command_for(fn, job.format);
      try {
        if (!job.wrt.empty())
          job.bytes = ref::generate_gradient_file(reference, fn, job.wrt, job.format, prov, report, &job.stats);
        else if (job.kind == ref::VectorFileKind::cases)
          job.bytes = ref::generate_case_file(reference, fn, job.format, prov, report, &job.stats);
        else
          job.bytes = ref::generate_exhaustive_table(reference, fn, job.format, prov, report);
      } catch (const std::exception& e) {
        job.failed = true;
        job.error = e.what();
      }
      progress.job_done();
    }
    mpfr_free_cache();
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  progress.clear();

  for (const auto& job : jobs)
    if (job.failed && function_error[job.function].empty())
      function_error[job.function] = job.path + ": " + job.error;

  // --- Stage and commit the files of the functions that succeeded. ---
  ref::Manifest manifest;
  fs::path manifest_path = out / ref::kManifestName;
  std::error_code ec;
  if (fs::exists(manifest_path, ec)) {
    try {
      manifest = ref::read_manifest(manifest_path);
    } catch (const std::exception& e) {
      std::cerr << "nnconform gen: warning: " << e.what() << "; the manifest is rebuilt from this run's files\n";
      manifest = {};
    }
  }
  if (full_run) {
    manifest.files.clear();
    manifest.specs.clear();
  }
  manifest.generator = ref::generator_version();
  manifest.mpfr = ref::mpfr_runtime_version();

  Stager stager;
  std::size_t written = 0, unchanged = 0;
  std::uintmax_t total_bytes = 0;
  std::string error;
  std::vector<std::string> produced;
  for (const auto& job : jobs) {
    if (!function_error[job.function].empty()) continue;
    fs::path target = out / job.path;
    total_bytes += job.bytes.size();
    produced.push_back(job.path);
    manifest.files[job.path] = {ref::sha256_hex(job.bytes), job.bytes.size()};
    manifest.specs[provenance[job.function].spec_file] = provenance[job.function].spec_sha256;
    auto existing = read_if_exists(target);
    if (existing && *existing == job.bytes) {
      ++unchanged;
      continue;
    }
    if (!stager.stage(target, job.bytes, error)) {
      stager.abort();
      std::cerr << "nnconform gen: " << error << "\nnnconform gen: nothing was written; " << out.string()
                << " is as it was\n";
      return kExitBadInput;
    }
    ++written;
  }
  // Functions that failed keep their previous files and manifest entries; a full run drops
  // entries of files it no longer produces (their files are reported as stale below).
  if (full_run) {
    ref::Manifest previous;
    try {
      if (fs::exists(manifest_path, ec)) previous = ref::read_manifest(manifest_path);
    } catch (const std::exception&) {
    }
    for (std::size_t i = 0; i < fns.size(); ++i) {
      if (function_error[i].empty()) continue;
      std::string prefix = fns[i]->family + "/" + fns[i]->name + "/";
      for (const auto& [path, e] : previous.files)
        if (path.rfind(prefix, 0) == 0) manifest.files[path] = e;
      for (const auto& [path, sha] : previous.specs)
        if (path == provenance[i].spec_file) manifest.specs[path] = sha;
    }
  }
  std::string manifest_text = ref::format_manifest(manifest);
  auto existing_manifest = read_if_exists(manifest_path);
  bool manifest_changed = !existing_manifest || *existing_manifest != manifest_text;
  if (manifest_changed && !stager.stage(manifest_path, manifest_text, error)) {
    stager.abort();
    std::cerr << "nnconform gen: " << error << "\nnnconform gen: nothing was written; " << out.string()
              << " is as it was\n";
    return kExitBadInput;
  }
  if (!stager.commit(error)) {
    std::cerr << "nnconform gen: " << error << "\n";
    return kExitBadInput;
  }

  // --- Report. ---
  bool any_failed = false;
  for (std::size_t i = 0; i < fns.size(); ++i) {
    const auto& fn = *fns[i];
    if (!function_error[i].empty()) {
      any_failed = true;
      std::cerr << "nnconform gen: FAILED " << fn.name << ": " << function_error[i]
                << "\n  (its vectors were left as they were)\n";
      continue;
    }
    if (o.quiet) continue;
    std::cout << fn.family << "/" << fn.name << ":";
    for (const auto& job : jobs) {
      if (job.function != i) continue;
      if (job.kind == ref::VectorFileKind::exhaustive) {
        std::cout << " +table";
        continue;
      }
      if (!job.wrt.empty()) continue;  // summarized below
      std::cout << " " << ref::name(job.format) << " " << job.stats.cases;
      std::size_t refused = 0;
      for (const auto& [family, n] : job.stats.refused) refused += n;
      if (refused) std::cout << " (" << refused << " refused)";
      if (job.stats.long_skipped) std::cout << " (" << job.stats.long_skipped << " long skipped)";
    }
    std::cout << "\n";
    std::map<std::string, std::pair<std::size_t, std::size_t>> gradients;  // wrt -> cases, proved
    for (const auto& job : jobs)
      if (job.function == i && !job.wrt.empty()) {
        gradients[job.wrt].first += job.stats.cases;
        gradients[job.wrt].second += job.stats.gradient_proved;
      }
    for (const auto& [wrt, n] : gradients)
      std::cout << "  d/d" << wrt << ": " << n.first << " cases, formula proved at " << n.second << " points\n";
    if (o.verbose)
      for (const auto& job : jobs)
        if (job.function == i && !job.stats.first_refusal.empty())
          std::cout << "  " << job.path << ": first refused: " << job.stats.first_refusal << "\n";
  }
  if (full_run) {
    std::error_code dir_ec;
    if (fs::is_directory(out, dir_ec)) {
      for (const auto& f : ref::list_tree_files(out))
        if (!manifest.files.count(f))
          std::cerr << "nnconform gen: stale: " << f << " is not generated from the current specs (remove it)\n";
    }
  }
  if (!o.quiet)
    std::cout << "gen: " << produced.size() << " files (" << written << " written, " << unchanged << " unchanged), "
              << total_bytes << " bytes, " << fns.size() << " functions, " << threads << " threads, "
              << static_cast<long>(progress.seconds() * 10) / 10.0 << "s\n";
  return any_failed ? kExitFailures : kExitOk;
}

}  // namespace

void add_gen_command(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto o = std::make_shared<GenOptions>();
  auto* cmd = app.add_subcommand("gen", "Write the golden vectors (vectors/<family>/<function>/<format>.txt, MANIFEST)");
  cmd->add_option("--spec", o->spec_dir, "Directory of the YAML specs (default: the global --spec)");
  cmd->add_option("--out", o->out_dir, "Vector directory to write (default: the global --vectors)");
  cmd->add_option("--function", o->functions, "Functions to generate (default: all)");
  cmd->add_option("--format", o->formats, "Formats to generate (default: all four)");
  cmd->add_option("--jobs,-j", o->jobs, "Threads (default: the number of cores)")->check(CLI::Range(1u, 256u));
  cmd->add_flag("--quiet,-q", o->quiet, "No progress and no summary");
  cmd->add_flag("--verbose,-v", o->verbose, "Also say why generated cases were refused by the spec");
  cmd->callback([&g, &run, o] { run = [&g, o] { return run_gen(g, *o); }; });
}

}  // namespace nnconform::tool
