// Exhaustive sweeps of a unary function: every input bit pattern of a format (or of a range of
// them), an implementation's result compared with the correctly rounded reference.
//
// The input space [lo, hi] is cut into chunks of `chunk_size` consecutive bit patterns; shard
// i of N takes the chunks floor((i-1) C / N) .. floor(i C / N) - 1 (C chunks in all), a
// contiguous block, so that shards are deterministic and their results merge in input order.
// Everything a result holds is order-independent or ordered by input (counts add, the worst
// input is the largest error with ties to the lowest bit pattern, failing inputs coalesce
// into contiguous bit-pattern ranges across chunk and shard boundaries), so merging the shards'
// results gives exactly the result of an unsharded sweep (only the times differ).
//
// A shard with a checkpoint file saves its result after each run of completed chunks (atomic
// rename), so an interrupted shard resumes from its last completed chunk.
//
// This library knows nothing of implementations or of how an error is scored: the caller
// gives a SweepSubject factory (the implementation under test) and a Measure (the conformance
// harness's measure()), so that the reference never depends on what it judges.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnconform/ref/fast/fast_reference.hpp"

namespace nnconform::ref::fast {

// Bad input to a sweep or a merge (the message names the place); `nnconform sweep` exits 2.
class SweepError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The implementation under test on a chunk of inputs: out[i] = f(in[i]), as bit patterns of
// the sweep's format. One subject per worker thread (see SubjectFactory).
class SweepSubject {
 public:
  virtual ~SweepSubject() = default;
  virtual void compute(std::span<const std::uint32_t> in, std::span<std::uint32_t> out) = 0;
};
using SubjectFactory = std::function<std::unique_ptr<SweepSubject>()>;

// How one computed value scores against the golden value (conformance::measure's verdict).
struct Verdict {
  double ulps = 0;  // +inf for an infinity or NaN where a number was due
  bool correctly_rounded = true;
  bool nan_mismatch = false;
  bool inf_mismatch = false;
  bool zero_sign_mismatch = false;
};
using Measure = std::function<Verdict(const FloatBits& computed, const FloatBits& golden, double offset_ulps)>;

// What a sweep is: two results can merge only when these agree.
struct SweepSpec {
  std::string function;  // the spec's canonical name
  Format format = Format::binary32;
  std::string implementation;                // "builtin", ...
  std::map<std::string, std::string> params;  // as given
  std::uint32_t lo = 0, hi = 0;               // the whole range, inclusive
  std::uint32_t shard = 1, shards = 1;        // 1 <= shard <= shards
  std::uint32_t chunk_size = 1u << 16;
  std::string profile = "strict";
  double tolerance = 1;  // ULP
  bool signed_zero_significant = false;

  std::uint64_t chunk_count() const;
  // The chunks [first, last) and the inputs [lo, hi] of this shard (empty: first == last).
  std::uint64_t first_chunk() const;
  std::uint64_t end_chunk() const;
  std::uint32_t chunk_lo(std::uint64_t chunk) const;
  std::uint32_t chunk_hi(std::uint64_t chunk) const;
};

// A contiguous run of failing inputs (over the tolerance, or a NaN/inf/significant signed-zero
// mismatch) and its worst element.
struct FailRange {
  std::uint32_t lo = 0, hi = 0;
  double max_ulps = 0;  // +inf when a NaN or inf mismatch is among them
  std::uint32_t worst = 0;
};

// Failing ranges in input order: the first kKeep, the last, and how many there are.
struct RangeList {
  static constexpr std::size_t kKeep = 1000;
  std::vector<FailRange> head;
  std::optional<FailRange> tail;  // the last range, when count > head.size()
  std::uint64_t count = 0;
  // `r` (resp. every range of `next`) lies after every range held.
  void append(const FailRange& r);
  void append(const RangeList& next);
  const FailRange* last() const;
};

// The tally of a run of consecutive inputs.
struct Tally {
  std::uint64_t inputs = 0;
  std::uint64_t correctly_rounded = 0;
  std::uint64_t over_one_ulp = 0;
  std::uint64_t over_tolerance = 0;
  std::uint64_t nan_mismatches = 0;
  std::uint64_t inf_mismatches = 0;
  std::uint64_t zero_sign_mismatches = 0;  // counted whether significant or not
  double max_ulps = 0;  // over the finite errors
  bool has_worst = false;
  std::uint32_t worst_input = 0, worst_output = 0, worst_expected = 0;
  double worst_offset = 0;
  FastStats reference;
  RangeList failing;

  // `next` tallies the inputs right after these.
  void append(const Tally& next);
};

struct SweepResult {
  SweepSpec spec;
  std::uint32_t covers_lo = 0, covers_hi = 0;  // the inputs this result covers (a shard's part)
  bool empty = false;                          // a shard with no inputs (more shards than chunks)
  bool merged = false;                         // made by merge_results
  std::uint64_t next_chunk = 0;                // a checkpoint: the first chunk not yet done
  bool complete = false;
  std::string method;  // the reference path: kernel name or "mpfr"
  Tally tally;
  double seconds = 0;         // wall time (sum over the merged results)
  double thread_seconds = 0;  // wall time the worker threads spent on chunks, summed
  double cpu_seconds = 0;     // CPU time of the worker threads, summed (what a quiet machine's
                              // cores would need: the wall time on K free cores is about this / K)
  int threads = 0;
  std::vector<std::string> warnings;

  bool passed() const;
  std::string to_json() const;
  // Throws SweepError naming `where` for anything that is not a well-formed sweep result.
  static SweepResult from_json(const std::string& text, const std::string& where);
};

struct RunOptions {
  int threads = 1;
  std::string checkpoint;  // file to save progress to and resume from ("" = none)
  bool resume = false;     // continue from `checkpoint` when it matches the sweep
  bool progress = false;   // progress and ETA on stderr (a terminal)
  std::string label;       // for the progress line
  // Stop (leaving the checkpoint) after this many chunks have completed in this run (tests of
  // resumption; 0 = no limit). The result is then incomplete.
  std::uint64_t max_chunks = 0;
};

// Runs the shard `spec` describes. Throws SweepError for bad input (a checkpoint of another
// sweep when resuming...), and rethrows what the subject or the reference throws.
SweepResult run_sweep(const FastReference& reference, const SubjectFactory& subjects,
                      const Measure& measure, const SweepSpec& spec, const RunOptions& options);

// Combines complete results of one sweep whose parts tile a contiguous range (typically
// shards 1..N of N). Throws SweepError naming the file of any that does not fit.
SweepResult merge_results(const std::vector<std::pair<std::string, SweepResult>>& results);

// The human-readable report.
std::string format_report(const SweepResult& result);

// "0x3f800000"-style bit patterns, with the format's width.
std::string hex_bits(std::uint32_t bits, Format format);
// Parses "LO:HI" (hex bit patterns, inclusive); throws SweepError when malformed, reversed, or
// outside the format's bit patterns.
std::pair<std::uint32_t, std::uint32_t> parse_range(const std::string& text, Format format);
// Parses "I/N" (1 <= I <= N); throws SweepError otherwise.
std::pair<std::uint32_t, std::uint32_t> parse_shard(const std::string& text);

}  // namespace nnconform::ref::fast
