// A child process on the other end of three pipes, watched with an idle deadline.
//
// This is how nnconform keeps a misbehaving implementation at arm's length: the program runs in
// its own process group, nnconform writes its stdin and reads its stdout and stderr without
// ever blocking (poll), so a child that hangs, stops reading or floods stderr cannot hang the
// checker, and one that dies is seen as an exit status, never as a crash of nnconform.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace nnconform::conformance {

// The program could not be started (not found, not executable...). The message names it.
class SpawnError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How a child ended.
struct ExitStatus {
  bool exited = false;  // exited normally with `code`
  int code = 0;
  bool signaled = false;  // killed by `signal`
  int signal = 0;
  std::string describe() const;  // "exited with status 3", "killed by signal 11 (SIGSEGV)"
};

class ChildProcess {
 public:
  // Starts argv[0] (looked up in PATH when it has no '/') with argv. Throws SpawnError.
  static std::unique_ptr<ChildProcess> start(const std::vector<std::string>& argv);
  ~ChildProcess();  // kills the process group if it is still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Queues bytes for the child's stdin; they are written while read_line() waits.
  void send(const std::string& bytes);
  // Closes the child's stdin once everything queued is written (the child then sees EOF).
  void close_stdin();

  enum class Read { line, end, timeout, overlong };
  // Waits for one line of stdout (returned without its "\n"), for the end of stdout (the child
  // exited or closed it), or until `idle` passes without progress: no line read and no byte of
  // stdin accepted. Stderr is collected meanwhile (stderr_tail). A line longer than kMaxLine
  // (a runaway writer) is `overlong`.
  static constexpr std::size_t kMaxLine = std::size_t{64} << 20;
  Read read_line(std::string& line, std::chrono::milliseconds idle);

  // Kills the process group (SIGKILL) and reaps the child.
  void kill();
  // Reaps the child: waits up to `grace` for it to exit, then kills it. Idempotent.
  ExitStatus wait(std::chrono::milliseconds grace);

  // The last lines the child wrote to stderr (at most about 4 KiB); with a mark (from
  // stderr_mark()), only what it wrote since then.
  std::string stderr_tail(std::size_t since_mark = 0) const;
  std::size_t stderr_mark() const { return err_total_; }
  pid_t pid() const { return pid_; }

 private:
  ChildProcess() = default;
  void pump(int timeout_ms, bool& progress);
  void drain_stderr();

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string pending_;      // for stdin
  std::size_t pending_pos_ = 0;
  bool close_when_sent_ = false;
  std::string out_buffer_;   // stdout read; the lines before out_pos_ were returned already
  std::size_t out_pos_ = 0;
  bool out_eof_ = false;
  std::string err_tail_;
  std::size_t err_total_ = 0;  // bytes of stderr seen, for marks
  bool reaped_ = false;
  ExitStatus status_;
};

// Kills the process groups of every live ChildProcess when the process gets SIGINT, SIGTERM or
// SIGHUP, then dies of that signal as it would have: an interrupted check leaves no orphan
// behind (a hung library would otherwise outlive nnconform in its own process group).
void kill_children_on_termination_signals();

}  // namespace nnconform::conformance
