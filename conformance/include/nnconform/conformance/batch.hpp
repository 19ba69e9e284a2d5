// Implementations under test as `nnconform check` drives them: a batch of cases of one function
// and format at a time, with what happened to each case and anything that stopped the
// implementation half-way (a crash, a hang, an early exit, a protocol error).
//
// Three kinds, chosen by a specification string:
//   builtin          the built-in implementation (impl/), in this process
//   lib:PATH.so      a shared library implementing abi/include/nnconform_abi.h, run in a child
//                    process by nnconform-abi-runner
//   cmd:COMMAND      any program speaking the batch protocol of adapters/README.md
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnconform/conformance/implementation.hpp"
#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::conformance {

// The implementation cannot be used at all (bad specification, program not found, no hello).
// The message says which and why; `nnconform check` exits with status 2.
class ImplementationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CaseOutcome {
  enum class Status { ok, unsupported, error, not_run };
  Status status = Status::not_run;
  std::vector<ref::FloatBits> outputs;  // ok
  std::string message;                  // unsupported, error
};

// Something that stopped the implementation before it answered every case of a batch.
struct Incident {
  enum class Kind { crash, hang, exit, protocol };
  Kind kind = Kind::crash;
  std::string message;      // "killed by signal 11 (SIGSEGV)", "no answer within 2 s", ...
  std::size_t answered = 0;  // cases answered before it; the case after them is the one it was on
  std::string stderr_tail;   // the end of what the implementation wrote to stderr
};
std::string kind_name(Incident::Kind kind);  // "crash", "hang", "exit", "protocol"

struct BatchOutcome {
  std::vector<CaseOutcome> cases;  // one per case asked, in order
  std::optional<Incident> incident;
};

class BatchImplementation {
 public:
  virtual ~BatchImplementation() = default;
  virtual std::string name() const = 0;         // the specification it was opened with
  virtual std::string description() const = 0;  // its own words: "scipy 1.10.1, numpy 1.24.2"
  virtual bool supports(const ref::FunctionSpec& fn, ref::Format format) const = 0;
  // Computes every case. Never throws for a fault of the implementation: that is reported in
  // the outcome (and the implementation is restarted for the next batch when it runs apart).
  virtual BatchOutcome run(const ref::FunctionSpec& fn, ref::Format format,
                           const std::vector<const ref::Arguments*>& cases) = 0;
};

struct ProcessOptions {
  // The longest an implementation may go without answering (or reading) before it is taken
  // for hung and killed.
  std::chrono::milliseconds timeout{10000};
  // How long it may take to start and say `ready` (interpreters importing big libraries).
  std::chrono::milliseconds startup_timeout{60000};
  // nnconform-abi-runner, for lib: (see default_runner_path()).
  std::string runner;
};

// Opens "builtin", "lib:PATH" or "cmd:COMMAND"; child processes are started and must have said
// hello before this returns. Throws ImplementationError.
std::unique_ptr<BatchImplementation> open_implementation(const std::string& spec, const ProcessOptions& options);

// An in-process Implementation as a batch one (exceptions become case errors).
std::unique_ptr<BatchImplementation> in_process(std::unique_ptr<Implementation> impl);

// Any program speaking the batch protocol, started with argv.
std::unique_ptr<BatchImplementation> start_protocol_program(const std::vector<std::string>& argv,
                                                            const std::string& name,
                                                            const ProcessOptions& options);

// Splits a command line into words the way a shell does for quotes and backslashes ("a b" 'c'
// d\ e), without expansions or redirections. Throws ImplementationError for an open quote.
std::vector<std::string> split_command(const std::string& command);

// Where nnconform-abi-runner is: $NNCONFORM_ABI_RUNNER, else beside the running executable.
std::string default_runner_path();

}  // namespace nnconform::conformance
