#include "nnconform/conformance/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace nnconform::conformance {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kStderrKeep = 4096;

// Live children's process groups, for the termination-signal handler (async-signal-safe reads).
constexpr int kMaxTracked = 64;
std::atomic<pid_t> tracked[kMaxTracked];

void track(pid_t pgid) {
  for (auto& slot : tracked) {
    pid_t expected = 0;
    if (slot.compare_exchange_strong(expected, pgid)) return;
  }
}
void untrack(pid_t pgid) {
  for (auto& slot : tracked) {
    pid_t expected = pgid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

void on_termination(int sig) {
  for (auto& slot : tracked) {
    pid_t p = slot.load();
    if (p > 0) ::kill(-p, SIGKILL);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

// write() that reports a closed pipe as EPIPE without delivering SIGPIPE to the process (which
// would kill nnconform by default): SIGPIPE is blocked for this thread during the write, and a
// SIGPIPE that the write itself raised is consumed before unblocking.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t n) {
  sigset_t pipe_set, old_mask, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  bool already_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
  ssize_t r = ::write(fd, data, n);
  int saved = errno;
  if (r < 0 && saved == EPIPE && !already_pending) {
    timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  errno = saved;
  return r;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

const char* signal_abbreviation(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGPIPE: return "SIGPIPE";
    case SIGINT: return "SIGINT";
    case SIGTRAP: return "SIGTRAP";
    default: return nullptr;
  }
}

}  // namespace

std::string ExitStatus::describe() const {
  if (exited) return "exited with status " + std::to_string(code);
  if (signaled) {
    std::string s = "killed by signal " + std::to_string(signal);
    if (const char* a = signal_abbreviation(signal)) s += std::string(" (") + a + ")";
    return s;
  }
  return "ended";
}

std::unique_ptr<ChildProcess> ChildProcess::start(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0].empty()) throw SpawnError("no program to run");
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) throw SpawnError(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]), ::close(in[1]);
    throw SpawnError(std::string("pipe: ") + std::strerror(errno));
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    ::close(in[0]), ::close(in[1]), ::close(out[0]), ::close(out[1]);
    throw SpawnError(std::string("pipe: ") + std::strerror(errno));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);

  // Its own process group (so that a hang is ended by killing the whole group, helpers
  // included), default signal dispositions (an ignored SIGPIPE would be inherited otherwise)
  // and an empty signal mask.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, s);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  // glibc's posix_spawnp reports a failed exec (ENOENT, EACCES...) as its return value.
  int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]), ::close(out[1]), ::close(err[1]);
  if (rc != 0) {
    ::close(in[1]), ::close(out[0]), ::close(err[0]);
    throw SpawnError("cannot run '" + argv[0] + "': " + std::strerror(rc));
  }

  std::unique_ptr<ChildProcess> child(new ChildProcess);
  child->pid_ = pid;
  child->in_ = in[1];
  child->out_ = out[0];
  child->err_ = err[0];
  for (int fd : {child->in_, child->out_, child->err_}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  track(pid);
  return child;
}

ChildProcess::~ChildProcess() {
  if (!reaped_) kill();
  close_fd(in_);
  close_fd(out_);
  close_fd(err_);
}

void ChildProcess::send(const std::string& bytes) {
  if (in_ < 0) return;  // the child closed its stdin: nothing will be read anyway
  if (pending_pos_ == pending_.size()) {
    pending_.clear();
    pending_pos_ = 0;
  }
  pending_ += bytes;
}

void ChildProcess::close_stdin() {
  close_when_sent_ = true;
  if (pending_pos_ == pending_.size()) close_fd(in_);
}

void ChildProcess::drain_stderr() {
  char buf[16384];
  for (;;) {
    ssize_t r = ::read(err_, buf, sizeof buf);
    if (r > 0) {
      err_tail_.append(buf, static_cast<std::size_t>(r));
      err_total_ += static_cast<std::size_t>(r);
      if (err_tail_.size() > 4 * kStderrKeep) err_tail_.erase(0, err_tail_.size() - kStderrKeep);
      continue;
    }
    if (r == 0) close_fd(err_);
    return;  // EAGAIN or an error: nothing more for now
  }
}

// One poll round: writes what stdin accepts, reads what stdout and stderr have.
void ChildProcess::pump(int timeout_ms, bool& progress) {
  pollfd fds[3];
  int n = 0;
  int in_index = -1, out_index = -1, err_index = -1;
  bool want_write = in_ >= 0 && pending_pos_ < pending_.size();
  if (want_write) fds[in_index = n++] = {in_, POLLOUT, 0};
  if (out_ >= 0 && !out_eof_) fds[out_index = n++] = {out_, POLLIN, 0};
  if (err_ >= 0) fds[err_index = n++] = {err_, POLLIN, 0};
  if (n == 0) {  // nothing open: just let the time pass
    ::poll(nullptr, 0, timeout_ms);
    return;
  }
  int r = ::poll(fds, static_cast<nfds_t>(n), timeout_ms);
  if (r <= 0) return;  // timeout, or EINTR: the caller loops on its deadline

  if (in_index >= 0 && fds[in_index].revents) {
    while (pending_pos_ < pending_.size()) {
      ssize_t w = write_without_sigpipe(in_, pending_.data() + pending_pos_,
                                        std::min<std::size_t>(pending_.size() - pending_pos_, 1 << 16));
      if (w > 0) {
        pending_pos_ += static_cast<std::size_t>(w);
        progress = true;
        continue;
      }
      if (w < 0 && (errno == EAGAIN || errno == EINTR)) break;
      // EPIPE: the child no longer reads its stdin (it exited or closed it). Stop sending; its
      // stdout tells the rest.
      pending_.clear();
      pending_pos_ = 0;
      close_fd(in_);
      break;
    }
    if (in_ >= 0 && close_when_sent_ && pending_pos_ == pending_.size()) close_fd(in_);
  }
  if (out_index >= 0 && fds[out_index].revents) {
    char buf[1 << 16];
    for (;;) {
      ssize_t got = ::read(out_, buf, sizeof buf);
      if (got > 0) {
        out_buffer_.append(buf, static_cast<std::size_t>(got));
        continue;
      }
      if (got == 0) out_eof_ = true;
      break;
    }
  }
  if (err_index >= 0 && fds[err_index].revents) drain_stderr();
}

ChildProcess::Read ChildProcess::read_line(std::string& line, std::chrono::milliseconds idle) {
  auto deadline = Clock::now() + idle;
  std::size_t scanned = out_pos_;
  for (;;) {
    std::size_t nl = out_buffer_.find('\n', scanned);
    if (nl != std::string::npos) {
      line.assign(out_buffer_, out_pos_, nl - out_pos_);
      out_pos_ = nl + 1;
      // Consumed lines are dropped in bulk, not one erase per line (a fast child sends
      // thousands of short lines per read).
      if (out_pos_ > (std::size_t{1} << 20) || out_pos_ == out_buffer_.size()) {
        out_buffer_.erase(0, out_pos_);
        out_pos_ = 0;
      }
      return Read::line;
    }
    scanned = out_buffer_.size();
    if (scanned - out_pos_ > kMaxLine) return Read::overlong;
    if (out_eof_) {
      if (out_pos_ < out_buffer_.size()) {  // a last line without its newline
        line.assign(out_buffer_, out_pos_);
        out_buffer_.clear();
        out_pos_ = 0;
        return Read::line;
      }
      return Read::end;
    }
    auto now = Clock::now();
    if (now >= deadline) return Read::timeout;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    bool progress = false;
    std::size_t before = out_buffer_.size();
    pump(static_cast<int>(std::clamp<long long>(left, 1, 1000)), progress);
    if (progress || out_buffer_.size() != before) deadline = Clock::now() + idle;
  }
}

void ChildProcess::kill() {
  if (reaped_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);  // in case it left its group
  wait(std::chrono::milliseconds(0));
}

ExitStatus ChildProcess::wait(std::chrono::milliseconds grace) {
  if (reaped_) return status_;
  auto deadline = Clock::now() + grace;
  // Wait for the exit without reaping (WNOWAIT): while the leader is a zombie its process group
  // id cannot be reused, so killing the group below never hits an unrelated process.
  for (;;) {
    siginfo_t info{};
    int r = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
    if (r == 0 && info.si_pid == pid_) break;
    if (r < 0 && errno != EINTR) {  // not our child any more: nothing to tell
      reaped_ = true;
      untrack(pid_);
      return status_;
    }
    if (Clock::now() >= deadline) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      grace = std::chrono::milliseconds(0);
      deadline = Clock::now() + std::chrono::seconds(10);  // SIGKILL cannot be refused
    }
    bool progress = false;
    pump(5, progress);  // keep draining stdout and stderr: the child may be blocked writing them
  }
  ::kill(-pid_, SIGKILL);  // whatever else its process group left running goes too
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  untrack(pid_);
  if (WIFEXITED(st)) {
    status_.exited = true;
    status_.code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    status_.signaled = true;
    status_.signal = WTERMSIG(st);
  }
  if (err_ >= 0) drain_stderr();
  return status_;
}

std::string ChildProcess::stderr_tail(std::size_t since_mark) const {
  std::size_t fresh = std::min(err_total_ - std::min(since_mark, err_total_), err_tail_.size());
  std::string tail = err_tail_.substr(err_tail_.size() - fresh);
  if (tail.size() <= kStderrKeep) return tail;
  tail.erase(0, tail.size() - kStderrKeep);
  std::size_t nl = tail.find('\n');  // start at a line
  if (nl != std::string::npos && nl + 1 < tail.size()) tail.erase(0, nl + 1);
  return "...\n" + tail;
}

void kill_children_on_termination_signals() {
  for (int s : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction sa {};
    sa.sa_handler = on_termination;
    sigemptyset(&sa.sa_mask);
    sigaction(s, &sa, nullptr);
  }
}

}  // namespace nnconform::conformance
