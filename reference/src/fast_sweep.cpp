// The sweep engine (sweep.hpp): chunks, shards, worker threads, checkpoints, result files,
// merging and the report.
#include "nnconform/ref/fast/sweep.hpp"

#include <time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>

namespace nnconform::ref::fast {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kResultVersion = 1;

// CPU time of the calling thread.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::uint32_t max_bits(Format format) { return info(format).storage_bits == 32 ? 0xffffffffu : 0xffffu; }

// Worse: a larger error, or an equal one at a lower bit pattern (so that the choice does not
// depend on the order in which parts are combined).
bool worse(double a_ulps, std::uint32_t a_input, double b_ulps, std::uint32_t b_input) {
  return a_ulps > b_ulps || (a_ulps == b_ulps && a_input < b_input);
}

void merge_range(FailRange& into, const FailRange& next) {
  into.hi = next.hi;
  if (worse(next.max_ulps, next.worst, into.max_ulps, into.worst)) {
    into.max_ulps = next.max_ulps;
    into.worst = next.worst;
  }
}

std::string fixed(double v, int digits) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

std::string ulps_text(double v) {
  if (std::isinf(v)) return "inf";
  std::ostringstream os;
  os << std::setprecision(10) << v;
  return os.str();
}

std::string duration_text(double s) {
  if (!(s >= 0) || std::isinf(s)) return "?";
  long t = std::lround(s);
  std::ostringstream os;
  if (t >= 3600) os << t / 3600 << "h" << std::setw(2) << std::setfill('0') << (t % 3600) / 60 << "m";
  else if (t >= 60) os << t / 60 << "m" << std::setw(2) << std::setfill('0') << t % 60 << "s";
  else os << fixed(s, s < 10 ? 2 : 1) << "s";
  return os.str();
}

}  // namespace

// ----------------------------------------------------------------------------- spec, ranges

std::uint64_t SweepSpec::chunk_count() const {
  std::uint64_t total = std::uint64_t{hi} - lo + 1;
  return (total + chunk_size - 1) / chunk_size;
}
std::uint64_t SweepSpec::first_chunk() const { return (shard - 1) * chunk_count() / shards; }
std::uint64_t SweepSpec::end_chunk() const { return shard * chunk_count() / shards; }
std::uint32_t SweepSpec::chunk_lo(std::uint64_t chunk) const {
  return static_cast<std::uint32_t>(lo + chunk * chunk_size);
}
std::uint32_t SweepSpec::chunk_hi(std::uint64_t chunk) const {
  std::uint64_t h = lo + (chunk + 1) * chunk_size - 1;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(h, hi));
}

std::string hex_bits(std::uint32_t bits, Format format) {
  char buf[16];
  std::snprintf(buf, sizeof buf, info(format).storage_bits == 32 ? "0x%08x" : "0x%04x", bits);
  return buf;
}

namespace {

std::optional<std::uint32_t> parse_hex(const std::string& s) {
  if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || s.size() > 10) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 2; i < s.size(); ++i) {
    char c = s[i];
    int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
            : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
            : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                        : -1;
    if (d < 0) return std::nullopt;
    v = v * 16 + d;
  }
  return static_cast<std::uint32_t>(v);
}

}  // namespace

std::pair<std::uint32_t, std::uint32_t> parse_range(const std::string& text, Format format) {
  auto colon = text.find(':');
  if (colon == std::string::npos)
    throw SweepError("--range '" + text + "': expected LO:HI, two hex bit patterns such as 0x00000000:0x7f800000");
  auto lo = parse_hex(text.substr(0, colon));
  auto hi = parse_hex(text.substr(colon + 1));
  if (!lo || !hi)
    throw SweepError("--range '" + text + "': LO and HI must be hex bit patterns such as 0x3f800000");
  std::uint32_t top = max_bits(format);
  if (*lo > top || *hi > top)
    throw SweepError("--range '" + text + "' is outside the " + std::string(name(format)) + " bit patterns " +
                     hex_bits(0, format) + ".." + hex_bits(top, format));
  if (*lo > *hi) throw SweepError("--range '" + text + "': LO is above HI");
  return {*lo, *hi};
}

std::pair<std::uint32_t, std::uint32_t> parse_shard(const std::string& text) {
  auto slash = text.find('/');
  auto number = [](const std::string& s) -> std::optional<std::uint32_t> {
    if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      return std::nullopt;
    return static_cast<std::uint32_t>(std::stoul(s));
  };
  if (slash == std::string::npos) throw SweepError("--shard '" + text + "': expected I/N, e.g. 2/4");
  auto i = number(text.substr(0, slash));
  auto n = number(text.substr(slash + 1));
  if (!i || !n) throw SweepError("--shard '" + text + "': expected I/N with whole numbers, e.g. 2/4");
  if (*n < 1 || *i < 1 || *i > *n)
    throw SweepError("--shard '" + text + "': I must be between 1 and N (shard " + std::to_string(*i) + " of " +
                     std::to_string(*n) + " does not exist)");
  return {*i, *n};
}

// ----------------------------------------------------------------------------- ranges, tally

const FailRange* RangeList::last() const {
  if (tail) return &*tail;
  return head.empty() ? nullptr : &head.back();
}

void RangeList::append(const FailRange& r) {
  if (count > 0) {
    FailRange& l = tail ? *tail : head.back();
    if (std::uint64_t{l.hi} + 1 == r.lo) {
      merge_range(l, r);
      return;
    }
  }
  ++count;
  if (head.size() < kKeep && !tail) head.push_back(r);
  else tail = r;
}

void RangeList::append(const RangeList& next) {
  if (next.count == 0) return;
  for (const auto& r : next.head) append(r);
  if (!next.tail) return;
  // The ranges `next` did not keep lie strictly between its head and its tail: none of them
  // is adjacent to anything held here, and when there are any, `next` kept kKeep of its own
  // first, so the head here is full and the tail appended below becomes `tail`.
  count += next.count - next.head.size() - 1;
  append(*next.tail);
}

void Tally::append(const Tally& next) {
  inputs += next.inputs;
  correctly_rounded += next.correctly_rounded;
  over_one_ulp += next.over_one_ulp;
  over_tolerance += next.over_tolerance;
  nan_mismatches += next.nan_mismatches;
  inf_mismatches += next.inf_mismatches;
  zero_sign_mismatches += next.zero_sign_mismatches;
  if (next.has_worst && (!has_worst || worse(next.max_ulps, next.worst_input, max_ulps, worst_input))) {
    has_worst = true;
    max_ulps = next.max_ulps;
    worst_input = next.worst_input;
    worst_output = next.worst_output;
    worst_expected = next.worst_expected;
    worst_offset = next.worst_offset;
  }
  reference.add(next.reference);
  failing.append(next.failing);
}

bool SweepResult::passed() const {
  return tally.over_tolerance == 0 && tally.nan_mismatches == 0 && tally.inf_mismatches == 0 &&
         (!spec.signed_zero_significant || tally.zero_sign_mismatches == 0);
}

// ----------------------------------------------------------------------------- one chunk

namespace {

struct ChunkBuffers {
  std::vector<std::uint32_t> in, out;
  std::vector<Golden> golden;
};

// The MPFR reference's value where the fast path's is already decided but its offset is only
// known approximately; nothing where MPFR itself cannot decide (the fast value stands).
std::optional<Golden> reference_or_nothing(const FastReference& ref, std::uint32_t x) {
  try {
    return ref.reference_value(x);
  } catch (const UndecidedError&) {
    return std::nullopt;
  }
}

Tally process_chunk(const FastReference& ref, SweepSubject& subject, const Measure& measure,
                    const SweepSpec& spec, std::uint32_t lo, std::uint32_t hi, ChunkBuffers& buf) {
  const std::size_t n = std::size_t{hi} - lo + 1;
  buf.in.resize(n);
  buf.out.resize(n);
  buf.golden.resize(n);
  for (std::size_t i = 0; i < n; ++i) buf.in[i] = static_cast<std::uint32_t>(lo + i);
  subject.compute(buf.in, buf.out);
  Tally t;
  ref.evaluate(buf.in, buf.golden, t.reference);
  const Format format = spec.format;
  const double tol = spec.tolerance;
  std::optional<FailRange> open;
  auto verdict = [&](std::uint32_t c, const Golden& g) { return measure(FloatBits{format, c}, FloatBits{format, g.bits}, g.offset_ulps); };
  bool worst_is_fast = false;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t x = buf.in[i], c = buf.out[i];
    const Golden& g = buf.golden[i];
    double ulps;
    bool fails = false;
    bool from_fast = g.offset_error > 0;
    if (c == g.bits) {
      ++t.correctly_rounded;
      ulps = std::isnan(g.offset_ulps) ? 0 : std::fabs(g.offset_ulps);
    } else {
      Verdict v = verdict(c, g);
      // The fast path knows the offset within offset_error: where that could move the error
      // across 1 ulp or the tolerance, the MPFR reference decides.
      if (from_fast && std::isfinite(v.ulps) &&
          (std::fabs(v.ulps - 1) <= 2 * g.offset_error || std::fabs(v.ulps - tol) <= 2 * g.offset_error)) {
        if (auto exact = reference_or_nothing(ref, x)) {
          v = verdict(c, *exact);
          buf.golden[i] = *exact;
          from_fast = false;
        }
      }
      bool zero_sign = v.zero_sign_mismatch && spec.signed_zero_significant;
      if (v.correctly_rounded || (v.zero_sign_mismatch && !spec.signed_zero_significant)) ++t.correctly_rounded;
      if (v.ulps > 1) ++t.over_one_ulp;
      if (v.ulps > tol) ++t.over_tolerance;
      if (v.nan_mismatch) ++t.nan_mismatches;
      if (v.inf_mismatch) ++t.inf_mismatches;
      if (v.zero_sign_mismatch) ++t.zero_sign_mismatches;
      fails = v.ulps > tol || v.nan_mismatch || v.inf_mismatch || zero_sign;
      ulps = v.ulps;
    }
    if (std::isfinite(ulps) && (!t.has_worst || worse(ulps, x, t.max_ulps, t.worst_input))) {
      t.has_worst = true;
      t.max_ulps = ulps;
      t.worst_input = x;
      t.worst_output = c;
      t.worst_expected = buf.golden[i].bits;
      t.worst_offset = buf.golden[i].offset_ulps;
      worst_is_fast = from_fast;
    }
    if (fails) {
      FailRange r{x, x, ulps, x};
      if (open && open->hi + 1 == x) merge_range(*open, r);
      else {
        if (open) t.failing.append(*open);
        open = r;
      }
    }
  }
  if (open) t.failing.append(*open);
  t.inputs = n;
  // The worst error to the reference's full accuracy (the fast offset is good to ~1e-7 ulp).
  if (t.has_worst && worst_is_fast) {
    if (auto exact = reference_or_nothing(ref, t.worst_input)) {
      Verdict v = verdict(t.worst_output, *exact);
      t.max_ulps = t.worst_output == exact->bits ? (std::isnan(exact->offset_ulps) ? 0 : std::fabs(exact->offset_ulps)) : v.ulps;
      t.worst_offset = exact->offset_ulps;
    }
  }
  return t;
}

// ----------------------------------------------------------------------------- JSON

json range_json(const FailRange& r, Format f) {
  json j;
  j["lo"] = hex_bits(r.lo, f);
  j["hi"] = hex_bits(r.hi, f);
  j["max_ulps"] = std::isinf(r.max_ulps) ? json("inf") : json(r.max_ulps);
  j["worst"] = hex_bits(r.worst, f);
  return j;
}

// Field access that names the file and the field on any problem.
class Reader {
 public:
  Reader(const json& j, std::string where) : j_(j), where_(std::move(where)) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw SweepError(where_ + ": not a valid sweep result: " + what);
  }
  const json& at(const std::string& key) const {
    if (!j_.is_object() || !j_.contains(key)) fail("missing field '" + key + "'");
    return j_.at(key);
  }
  std::string str(const std::string& key) const {
    const json& v = at(key);
    if (!v.is_string()) fail("field '" + key + "' must be a string");
    return v.get<std::string>();
  }
  std::uint64_t count(const std::string& key) const {
    const json& v = at(key);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<long long>() >= 0))
      fail("field '" + key + "' must be a non-negative integer");
    return v.get<std::uint64_t>();
  }
  double number(const std::string& key) const {
    const json& v = at(key);
    if (v.is_string() && v.get<std::string>() == "inf") return HUGE_VAL;
    if (!v.is_number()) fail("field '" + key + "' must be a number");
    return v.get<double>();
  }
  bool boolean(const std::string& key) const {
    const json& v = at(key);
    if (!v.is_boolean()) fail("field '" + key + "' must be true or false");
    return v.get<bool>();
  }
  std::uint32_t bits(const std::string& key, Format f) const {
    auto v = parse_hex(str(key));
    if (!v || *v > max_bits(f)) fail("field '" + key + "' must be a " + std::string(name(f)) + " bit pattern like " + hex_bits(0, f));
    return *v;
  }
  Reader sub(const std::string& key) const { return Reader(at(key), where_); }
  const json& raw() const { return j_; }
  const std::string& where() const { return where_; }

 private:
  const json& j_;
  std::string where_;
};

FailRange read_range(const Reader& r, Format f) {
  FailRange out;
  out.lo = r.bits("lo", f);
  out.hi = r.bits("hi", f);
  out.max_ulps = r.number("max_ulps");
  out.worst = r.bits("worst", f);
  if (out.lo > out.hi || out.worst < out.lo || out.worst > out.hi) r.fail("a failing range is malformed");
  return out;
}

}  // namespace

std::string SweepResult::to_json() const {
  const Format f = spec.format;
  json j;
  j["nnconform_sweep"] = kResultVersion;
  j["function"] = spec.function;
  j["format"] = std::string(name(f));
  j["implementation"] = spec.implementation;
  j["params"] = json::object();
  for (const auto& [k, v] : spec.params) j["params"][k] = v;
  j["profile"] = spec.profile;
  j["tolerance"] = spec.tolerance;
  j["signed_zero_significant"] = spec.signed_zero_significant;
  j["range"] = json::array({hex_bits(spec.lo, f), hex_bits(spec.hi, f)});
  j["shard"] = merged ? json(nullptr) : json::array({spec.shard, spec.shards});
  j["shards"] = spec.shards;
  j["chunk_size"] = spec.chunk_size;
  j["covers"] = empty ? json(nullptr) : json::array({hex_bits(covers_lo, f), hex_bits(covers_hi, f)});
  j["complete"] = complete;
  j["next_chunk"] = next_chunk;
  j["method"] = method;
  j["inputs"] = tally.inputs;
  j["correctly_rounded"] = tally.correctly_rounded;
  j["over_1_ulp"] = tally.over_one_ulp;
  j["over_tolerance"] = tally.over_tolerance;
  j["nan_mismatches"] = tally.nan_mismatches;
  j["inf_mismatches"] = tally.inf_mismatches;
  j["zero_sign_mismatches"] = tally.zero_sign_mismatches;
  j["max_ulps"] = tally.max_ulps;
  if (tally.has_worst) {
    j["worst"] = {{"input", hex_bits(tally.worst_input, f)},
                  {"output", hex_bits(tally.worst_output, f)},
                  {"expected", hex_bits(tally.worst_expected, f)},
                  {"offset_ulps", std::isnan(tally.worst_offset) ? json(nullptr) : json(tally.worst_offset)}};
  } else {
    j["worst"] = nullptr;
  }
  j["reference"] = {{"fast", tally.reference.fast}, {"special", tally.reference.special}, {"fallback", tally.reference.fallback}};
  json ranges;
  ranges["count"] = tally.failing.count;
  ranges["first"] = json::array();
  for (const auto& r : tally.failing.head) ranges["first"].push_back(range_json(r, f));
  ranges["last"] = tally.failing.tail ? range_json(*tally.failing.tail, f) : json(nullptr);
  j["failing_ranges"] = ranges;
  j["seconds"] = seconds;
  j["thread_seconds"] = thread_seconds;
  j["cpu_seconds"] = cpu_seconds;
  j["threads"] = threads;
  j["warnings"] = warnings;
  return j.dump(1) + "\n";
}

SweepResult SweepResult::from_json(const std::string& text, const std::string& where) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw SweepError(where + ": not a valid sweep result: not JSON (" + std::string(e.what()) + ")");
  }
  Reader r(j, where);
  if (!j.is_object() || !j.contains("nnconform_sweep")) r.fail("not an nnconform sweep result file (no 'nnconform_sweep' field)");
  if (r.count("nnconform_sweep") != kResultVersion)
    r.fail("version " + std::to_string(r.count("nnconform_sweep")) + " (this nnconform reads version " + std::to_string(kResultVersion) + ")");
  SweepResult s;
  s.spec.function = r.str("function");
  auto f = parse_format(r.str("format"));
  if (!f || !sweep_format(*f)) r.fail("unknown sweep format '" + r.str("format") + "'");
  const Format fmt = *f;
  s.spec.format = fmt;
  s.spec.implementation = r.str("implementation");
  const json& params = r.at("params");
  if (!params.is_object()) r.fail("field 'params' must be an object");
  for (const auto& [k, v] : params.items()) {
    if (!v.is_string()) r.fail("parameter '" + k + "' must be a string");
    s.spec.params[k] = v.get<std::string>();
  }
  s.spec.profile = r.str("profile");
  s.spec.tolerance = r.number("tolerance");
  s.spec.signed_zero_significant = r.boolean("signed_zero_significant");
  const json& range = r.at("range");
  if (!range.is_array() || range.size() != 2 || !range[0].is_string() || !range[1].is_string()) r.fail("field 'range' must be [LO, HI]");
  try {
    auto [lo, hi] = parse_range(range[0].get<std::string>() + ":" + range[1].get<std::string>(), fmt);
    s.spec.lo = lo;
    s.spec.hi = hi;
  } catch (const SweepError& e) {
    r.fail(std::string("field 'range': ") + e.what());
  }
  const json& shard = r.at("shard");
  s.spec.shards = static_cast<std::uint32_t>(r.count("shards"));
  if (shard.is_null()) {
    s.merged = true;
    s.spec.shard = 1;
  } else {
    if (!shard.is_array() || shard.size() != 2 || !shard[0].is_number_unsigned() || !shard[1].is_number_unsigned())
      r.fail("field 'shard' must be [I, N] or null");
    s.spec.shard = shard[0].get<std::uint32_t>();
    if (shard[1].get<std::uint32_t>() != s.spec.shards || s.spec.shard < 1 || s.spec.shard > s.spec.shards)
      r.fail("field 'shard' is not a shard I/N with 1 <= I <= N");
  }
  if (s.spec.shards < 1) r.fail("field 'shards' must be at least 1");
  s.spec.chunk_size = static_cast<std::uint32_t>(r.count("chunk_size"));
  if (s.spec.chunk_size < 1) r.fail("field 'chunk_size' must be positive");
  const json& covers = r.at("covers");
  if (covers.is_null()) {
    s.empty = true;
  } else {
    if (!covers.is_array() || covers.size() != 2 || !covers[0].is_string() || !covers[1].is_string())
      r.fail("field 'covers' must be [LO, HI] or null");
    auto lo = parse_hex(covers[0].get<std::string>());
    auto hi = parse_hex(covers[1].get<std::string>());
    if (!lo || !hi || *lo > *hi || *lo < s.spec.lo || *hi > s.spec.hi) r.fail("field 'covers' is not a part of 'range'");
    s.covers_lo = *lo;
    s.covers_hi = *hi;
  }
  s.complete = r.boolean("complete");
  s.next_chunk = r.count("next_chunk");
  s.method = r.str("method");
  Tally& t = s.tally;
  t.inputs = r.count("inputs");
  t.correctly_rounded = r.count("correctly_rounded");
  t.over_one_ulp = r.count("over_1_ulp");
  t.over_tolerance = r.count("over_tolerance");
  t.nan_mismatches = r.count("nan_mismatches");
  t.inf_mismatches = r.count("inf_mismatches");
  t.zero_sign_mismatches = r.count("zero_sign_mismatches");
  t.max_ulps = r.number("max_ulps");
  const json& worst = r.at("worst");
  if (!worst.is_null()) {
    Reader w = r.sub("worst");
    t.has_worst = true;
    t.worst_input = w.bits("input", fmt);
    t.worst_output = w.bits("output", fmt);
    t.worst_expected = w.bits("expected", fmt);
    t.worst_offset = w.at("offset_ulps").is_null() ? std::nan("") : w.number("offset_ulps");
  }
  Reader ref = r.sub("reference");
  t.reference.fast = ref.count("fast");
  t.reference.special = ref.count("special");
  t.reference.fallback = ref.count("fallback");
  Reader ranges = r.sub("failing_ranges");
  t.failing.count = ranges.count("count");
  const json& first = ranges.at("first");
  if (!first.is_array()) r.fail("field 'failing_ranges.first' must be a list");
  for (const auto& e : first) t.failing.head.push_back(read_range(Reader(e, where), fmt));
  if (!ranges.at("last").is_null()) t.failing.tail = read_range(ranges.sub("last"), fmt);
  s.seconds = r.number("seconds");
  s.thread_seconds = r.number("thread_seconds");
  s.cpu_seconds = r.number("cpu_seconds");
  s.threads = static_cast<int>(r.count("threads"));
  const json& warnings = r.at("warnings");
  if (!warnings.is_array()) r.fail("field 'warnings' must be a list");
  for (const auto& w : warnings) {
    if (!w.is_string()) r.fail("field 'warnings' must hold strings");
    s.warnings.push_back(w.get<std::string>());
  }

  // Consistency: the numbers must add up, or the file was edited or truncated.
  std::uint64_t covered = s.empty ? 0 : std::uint64_t{s.covers_hi} - s.covers_lo + 1;
  if (s.complete && t.inputs != covered)
    r.fail("'inputs' (" + std::to_string(t.inputs) + ") is not the size of 'covers' (" + std::to_string(covered) + ")");
  if (t.inputs > covered) r.fail("'inputs' exceeds the size of 'covers'");
  if (t.correctly_rounded > t.inputs || t.over_one_ulp > t.inputs || t.over_tolerance > t.inputs ||
      t.nan_mismatches > t.inputs || t.inf_mismatches > t.inputs || t.zero_sign_mismatches > t.inputs)
    r.fail("a count exceeds 'inputs'");
  if (t.reference.fast + t.reference.special + t.reference.fallback != t.inputs)
    r.fail("'reference' counts do not add up to 'inputs'");
  if (t.failing.head.size() > RangeList::kKeep || t.failing.count < t.failing.head.size() + (t.failing.tail ? 1 : 0) ||
      (t.failing.tail && t.failing.head.size() != RangeList::kKeep) ||
      (!t.failing.tail && t.failing.count != t.failing.head.size()))
    r.fail("'failing_ranges' is inconsistent");
  std::optional<std::uint32_t> prev;
  auto check_range = [&](const FailRange& fr) {
    if (s.empty || fr.lo < s.covers_lo || fr.hi > s.covers_hi) r.fail("a failing range lies outside 'covers'");
    if (prev && fr.lo <= std::uint64_t{*prev} + 1) r.fail("failing ranges overlap or are out of order");
    prev = fr.hi;
  };
  for (const auto& fr : t.failing.head) check_range(fr);
  if (t.failing.tail) check_range(*t.failing.tail);
  if (t.has_worst && (s.empty || t.worst_input < s.covers_lo || t.worst_input > s.covers_hi))
    r.fail("the worst input lies outside 'covers'");
  if (!(t.max_ulps >= 0) || std::isinf(t.max_ulps)) r.fail("'max_ulps' must be a finite non-negative number");
  if (!(s.spec.tolerance > 0)) r.fail("'tolerance' must be positive");
  return s;
}

// ----------------------------------------------------------------------------- running

namespace {

bool same_sweep(const SweepSpec& a, const SweepSpec& b) {
  return a.function == b.function && a.format == b.format && a.implementation == b.implementation &&
         a.params == b.params && a.lo == b.lo && a.hi == b.hi && a.shard == b.shard && a.shards == b.shards &&
         a.chunk_size == b.chunk_size && a.profile == b.profile && a.tolerance == b.tolerance &&
         a.signed_zero_significant == b.signed_zero_significant;
}

void write_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw SweepError("cannot write " + tmp);
    out << text;
    out.flush();
    if (!out) throw SweepError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw SweepError("cannot rename " + tmp + " to " + path + ": " + ec.message());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SweepError(path + ": cannot read");
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

}  // namespace

SweepResult run_sweep(const FastReference& reference, const SubjectFactory& subjects, const Measure& measure,
                      const SweepSpec& spec, const RunOptions& options) {
  if (spec.shard < 1 || spec.shard > spec.shards) throw SweepError("shard " + std::to_string(spec.shard) + "/" + std::to_string(spec.shards) + " does not exist");
  if (spec.lo > spec.hi || spec.hi > max_bits(spec.format)) throw SweepError("the range is outside the format's bit patterns");
  SweepResult result;
  result.spec = spec;
  result.method = reference.method();
  result.warnings = reference.warnings();
  const std::uint64_t first = spec.first_chunk(), end = spec.end_chunk();
  result.empty = first == end;
  if (!result.empty) {
    result.covers_lo = spec.chunk_lo(first);
    result.covers_hi = spec.chunk_hi(end - 1);
  }
  result.next_chunk = first;
  int threads = std::max(1, options.threads);
  result.threads = threads;

  if (options.resume && !options.checkpoint.empty() && std::filesystem::exists(options.checkpoint)) {
    SweepResult saved = SweepResult::from_json(read_file(options.checkpoint), options.checkpoint);
    if (!same_sweep(saved.spec, spec))
      throw SweepError(options.checkpoint + ": a checkpoint of another sweep (function, format, implementation, "
                       "parameters, range, shard or tolerance differ); remove it or drop --resume");
    if (saved.next_chunk < first || saved.next_chunk > end) throw SweepError(options.checkpoint + ": its next chunk is outside this shard");
    result.tally = saved.tally;
    result.next_chunk = saved.next_chunk;
    result.seconds = saved.seconds;
    result.thread_seconds = saved.thread_seconds;
    result.cpu_seconds = saved.cpu_seconds;
  }

  const auto start = Clock::now();
  const double previous_seconds = result.seconds;
  std::uint64_t limit = end;
  if (options.max_chunks > 0) limit = std::min<std::uint64_t>(end, result.next_chunk + options.max_chunks);

  std::mutex mu;
  std::condition_variable cv;
  std::map<std::uint64_t, Tally> done;  // completed, not yet folded
  std::atomic<std::uint64_t> next{result.next_chunk};
  std::atomic<bool> stop{false};
  std::exception_ptr error;
  double busy = 0, cpu = 0;

  auto worker = [&] {
    std::unique_ptr<SweepSubject> subject;
    try {
      subject = subjects();
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
      stop = true;
      cv.notify_all();
      return;
    }
    ChunkBuffers buf;
    while (!stop) {
      std::uint64_t k = next.fetch_add(1);
      if (k >= limit) break;
      auto t0 = Clock::now();
      double c0 = thread_cpu_seconds();
      try {
        Tally t = process_chunk(reference, *subject, measure, spec, spec.chunk_lo(k), spec.chunk_hi(k), buf);
        double dt = seconds_since(t0);
        double dc = thread_cpu_seconds() - c0;
        std::lock_guard<std::mutex> lock(mu);
        done.emplace(k, std::move(t));
        busy += dt;
        cpu += dc;
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        stop = true;
      }
      cv.notify_all();
    }
  };

  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(worker);

  const std::uint64_t todo = limit - result.next_chunk;
  const std::uint64_t run_first = result.next_chunk;
  auto last_save = Clock::now();
  auto last_progress = Clock::now() - std::chrono::seconds(10);
  bool progress_shown = false;
  auto save = [&](bool final_save) {
    result.seconds = previous_seconds + seconds_since(start);
    if (!options.checkpoint.empty() && (!result.complete || final_save)) write_atomically(options.checkpoint, result.to_json());
    last_save = Clock::now();
  };
  {
    std::unique_lock<std::mutex> lock(mu);
    while (result.next_chunk < limit) {
      cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return done.count(result.next_chunk) || error; });
      if (error) break;
      bool folded = false;
      while (done.count(result.next_chunk)) {
        result.tally.append(done.at(result.next_chunk));
        done.erase(result.next_chunk);
        ++result.next_chunk;
        folded = true;
      }
      result.thread_seconds += busy;
      result.cpu_seconds += cpu;
      busy = cpu = 0;
      if (folded && seconds_since(last_save) > 2.0 && result.next_chunk < limit) {
        lock.unlock();
        save(false);
        lock.lock();
      }
      if (options.progress && seconds_since(last_progress) > 0.5) {
        double frac = todo ? static_cast<double>(result.next_chunk - run_first) / todo : 1;
        double el = seconds_since(start);
        double eta = frac > 0 ? el * (1 - frac) / frac : NAN;
        std::uint64_t total_chunks = end - first;
        double overall = total_chunks ? static_cast<double>(result.next_chunk - first) / total_chunks : 1;
        std::fprintf(stderr, "\r%s: %5.1f%% (%llu/%llu chunks) %.1f Minputs/s, elapsed %s, ETA %s   ", options.label.c_str(),
                     100 * overall, static_cast<unsigned long long>(result.next_chunk - first),
                     static_cast<unsigned long long>(total_chunks),
                     el > 0 ? static_cast<double>(result.next_chunk - run_first) * spec.chunk_size / el / 1e6 : 0.0,
                     duration_text(el).c_str(), duration_text(eta).c_str());
        std::fflush(stderr);
        last_progress = Clock::now();
        progress_shown = true;
      }
    }
    stop = true;
  }
  for (auto& t : pool) t.join();
  result.thread_seconds += busy;
  result.cpu_seconds += cpu;
  if (progress_shown) std::fprintf(stderr, "\r%*s\r", 110, "");
  if (error) {
    save(false);
    std::rethrow_exception(error);
  }
  result.complete = result.next_chunk == end;
  result.seconds = previous_seconds + seconds_since(start);
  if (!options.checkpoint.empty()) {
    if (result.complete) {
      std::error_code ec;
      std::filesystem::remove(options.checkpoint, ec);
    } else {
      save(false);
    }
  }
  return result;
}

// ----------------------------------------------------------------------------- merging

SweepResult merge_results(const std::vector<std::pair<std::string, SweepResult>>& results) {
  if (results.empty()) throw SweepError("--merge needs at least one result file");
  std::vector<const std::pair<std::string, SweepResult>*> parts;
  for (const auto& r : results) {
    if (!r.second.complete)
      throw SweepError(r.first + ": an incomplete sweep (a checkpoint): finish it with --resume before merging");
    parts.push_back(&r);
  }
  const SweepSpec& s0 = parts[0]->second.spec;
  for (const auto* p : parts) {
    const SweepSpec& s = p->second.spec;
    std::string what;
    if (s.function != s0.function) what = "function " + s.function + " vs " + s0.function;
    else if (s.format != s0.format) what = "format";
    else if (s.implementation != s0.implementation) what = "implementation " + s.implementation + " vs " + s0.implementation;
    else if (s.params != s0.params) what = "parameters";
    else if (s.lo != s0.lo || s.hi != s0.hi) what = "range";
    else if (s.profile != s0.profile || s.tolerance != s0.tolerance || s.signed_zero_significant != s0.signed_zero_significant) what = "tolerance";
    if (!what.empty())
      throw SweepError(p->first + ": a result of another sweep than " + parts[0]->first + " (" + what + " differ)");
  }
  // Non-empty parts in input order; they must tile the range without gaps or overlaps.
  std::vector<const std::pair<std::string, SweepResult>*> filled;
  for (const auto* p : parts)
    if (!p->second.empty) filled.push_back(p);
  std::sort(filled.begin(), filled.end(), [](auto a, auto b) { return a->second.covers_lo < b->second.covers_lo; });
  SweepResult m;
  m.spec = s0;
  m.spec.shard = 1;
  m.merged = true;
  m.complete = true;
  m.method = parts[0]->second.method;
  if (filled.empty()) throw SweepError("the result files cover no inputs");
  m.covers_lo = filled.front()->second.covers_lo;
  for (std::size_t i = 0; i < filled.size(); ++i) {
    const SweepResult& r = filled[i]->second;
    if (i > 0) {
      const SweepResult& prev = filled[i - 1]->second;
      if (r.covers_lo <= prev.covers_hi)
        throw SweepError(filled[i]->first + " and " + filled[i - 1]->first + " overlap (both cover " +
                         hex_bits(r.covers_lo, s0.format) + ")");
      if (std::uint64_t{prev.covers_hi} + 1 != r.covers_lo)
        throw SweepError("no result covers the inputs " + hex_bits(prev.covers_hi + 1, s0.format) + ".." +
                         hex_bits(r.covers_lo - 1, s0.format) + " (a missing shard?)");
    }
    m.tally.append(r.tally);
    m.seconds += r.seconds;
    m.thread_seconds += r.thread_seconds;
    m.cpu_seconds += r.cpu_seconds;
    m.threads = std::max(m.threads, r.threads);
    for (const auto& w : r.warnings)
      if (std::find(m.warnings.begin(), m.warnings.end(), w) == m.warnings.end()) m.warnings.push_back(w);
  }
  m.covers_hi = filled.back()->second.covers_hi;
  m.next_chunk = m.spec.chunk_count();
  return m;
}

// ----------------------------------------------------------------------------- report

std::string format_report(const SweepResult& r) {
  const Format f = r.spec.format;
  const Tally& t = r.tally;
  std::ostringstream os;
  auto pct = [&](std::uint64_t n) {
    if (t.inputs == 0) return std::string("-");
    double p = 100.0 * static_cast<double>(n) / static_cast<double>(t.inputs);
    std::ostringstream o;
    if (n != 0 && n != t.inputs && (p < 0.0001 || p > 99.9999)) o << std::setprecision(10) << p << "%";
    else o << std::fixed << std::setprecision(4) << p << "%";
    return o.str();
  };
  auto value = [&](std::uint32_t bits) {
    FloatBits v{f, bits};
    return hex_bits(bits, f) + " (" + to_shortest_decimal(v) + ")";
  };
  std::string params;
  for (const auto& [k, v] : r.spec.params) params += " " + k + "=" + v;
  os << "sweep " << r.spec.function << params << " " << name(f) << " implementation " << r.spec.implementation << "\n";
  os << "  inputs            " << t.inputs << " bit patterns";
  if (!r.empty) os << " " << hex_bits(r.covers_lo, f) << ".." << hex_bits(r.covers_hi, f);
  if (r.merged) os << " (merged)";
  else if (r.spec.shards > 1) os << " (shard " << r.spec.shard << "/" << r.spec.shards << ")";
  if (!r.complete) os << " — INCOMPLETE: resume with --resume";
  os << "\n";
  os << "  correctly rounded " << t.correctly_rounded << " (" << pct(t.correctly_rounded) << ")\n";
  os << "  not correctly rounded " << t.inputs - t.correctly_rounded << ", over 1 ulp " << t.over_one_ulp
     << ", over the tolerance (" << r.spec.profile << ", " << ulps_text(r.spec.tolerance) << " ulp) " << t.over_tolerance << "\n";
  os << "  NaN mismatches " << t.nan_mismatches << ", inf mismatches " << t.inf_mismatches << ", signed-zero mismatches "
     << t.zero_sign_mismatches << (r.spec.signed_zero_significant ? "" : " (not significant for this function)") << "\n";
  os << "  max error         " << ulps_text(t.max_ulps) << " ulp";
  if (t.has_worst)
    os << " at x = " << value(t.worst_input) << ": computed " << value(t.worst_output) << ", correctly rounded "
       << value(t.worst_expected);
  os << "\n";
  std::uint64_t refs = t.reference.fast + t.reference.special + t.reference.fallback;
  os << "  reference         " << r.method << ": fast " << t.reference.fast << ", MPFR fallback " << t.reference.fallback;
  if (refs) os << " (rate " << std::setprecision(3) << static_cast<double>(t.reference.fallback) / static_cast<double>(refs) << ")";
  os << ", special inputs " << t.reference.special << "\n";
  os << "  time              " << duration_text(r.seconds) << " wall";
  if (r.merged) os << " (summed over the merged results)";
  os << ", " << duration_text(r.thread_seconds) << " in " << r.threads << " worker thread" << (r.threads == 1 ? "" : "s")
     << ", " << duration_text(r.cpu_seconds) << " CPU\n";
  for (const auto& w : r.warnings) os << "  warning: " << w << "\n";
  if (t.failing.count == 0) {
    os << "  failing inputs    none\n";
  } else {
    os << "  failing inputs    " << t.failing.count << " range" << (t.failing.count == 1 ? "" : "s")
       << " of contiguous bit patterns (over the tolerance or a NaN/inf" << (r.spec.signed_zero_significant ? "/signed-zero" : "")
       << " mismatch):\n";
    auto line = [&](const FailRange& fr) {
      os << "    " << hex_bits(fr.lo, f) << ".." << hex_bits(fr.hi, f) << "  " << (std::uint64_t{fr.hi} - fr.lo + 1)
         << " input" << (fr.hi == fr.lo ? "" : "s") << ", max " << ulps_text(fr.max_ulps) << " ulp at " << value(fr.worst) << "\n";
    };
    std::size_t shown = 0;
    for (const auto& fr : t.failing.head) {
      if (shown++ == 20) break;
      line(fr);
    }
    if (t.failing.count > shown) {
      os << "    ... " << t.failing.count - shown << " more";
      if (t.failing.tail || t.failing.head.size() > shown) os << " (the result file lists the first " << t.failing.head.size() << " and the last)";
      os << "\n";
      if (const FailRange* l = t.failing.last(); l && shown < t.failing.count) line(*l);
    }
  }
  os << "  verdict           " << (r.passed() ? "PASS" : "FAIL") << (r.complete ? "" : " (so far)") << "\n";
  return os.str();
}

}  // namespace nnconform::ref::fast
