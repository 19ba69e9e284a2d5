// The implementations under test behind BatchImplementation: in-process, and programs speaking
// the batch protocol (adapters/README.md), of which nnconform-abi-runner serving a library is
// one.
#include "nnconform/conformance/batch.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "nnconform/conformance/simd_implementation.hpp"
#include "nnconform/conformance/subprocess.hpp"
#include "nnconform/ref/mpfr_value.hpp"

namespace nnconform::conformance {
namespace {

namespace fs = std::filesystem;
using ref::Format;
using ref::FunctionSpec;

constexpr int kProtocolVersion = 1;

std::string seconds_text(std::chrono::milliseconds ms) {
  std::ostringstream os;
  os << static_cast<double>(ms.count()) / 1000 << " s";
  return os.str();
}

std::string quote_tail(const std::string& tail) {
  if (tail.empty()) return "";
  std::string t = tail;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t.empty() ? "" : "; its stderr ends with:\n" + t;
}

std::string clip(const std::string& s, std::size_t n = 120) {
  return s.size() <= n ? s : s.substr(0, n) + "...";
}

// --- In process. -------------------------------------------------------------------------------

class InProcess : public BatchImplementation {
 public:
  explicit InProcess(std::unique_ptr<Implementation> impl) : impl_(std::move(impl)) {}
  std::string name() const override { return impl_->name(); }
  std::string description() const override { return "nnconform " + impl_->name() + " implementation (impl/), in process"; }
  bool supports(const FunctionSpec& fn, Format format) const override { return impl_->supports(fn, format); }
  BatchOutcome run(const FunctionSpec& fn, Format format, const std::vector<const ref::Arguments*>& cases) override {
    BatchOutcome out;
    out.cases.resize(cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
      CaseOutcome& c = out.cases[i];
      try {
        c.outputs = impl_->compute(fn, format, *cases[i]);
        c.status = CaseOutcome::Status::ok;
      } catch (const Unsupported& e) {
        c.status = CaseOutcome::Status::unsupported;
        c.message = e.what();
      } catch (const std::exception& e) {
        c.status = CaseOutcome::Status::error;
        c.message = e.what();
      }
    }
    return out;
  }

 private:
  std::unique_ptr<Implementation> impl_;
};

// --- The protocol's text. ----------------------------------------------------------------------

std::string value_text(const ref::Tensor& t, std::size_t i, bool index) {
  return index ? std::to_string(t.indices.at(i)) : ref::to_hex(t.values.at(i));
}

// A scalar, [a,b,c] or [a,b;c,d].
std::string tensor_text(const ref::Tensor& t, bool index) {
  std::size_t n = index ? t.indices.size() : t.values.size();
  if (t.shape.empty() && n == 1) return value_text(t, 0, index);
  std::size_t row = t.shape.size() == 2 ? t.shape[1] : n;
  std::string s = "[";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += (row && i % row == 0) ? ";" : ",";
    s += value_text(t, i, index);
  }
  return s + "]";
}

std::string param_value(const ref::ParamSpec& p, const ref::Arguments& args) {
  auto it = args.params.find(p.name);
  if (it != args.params.end()) return it->second;
  return p.default_value.value_or("");
}

std::string batch_text(const std::string& declared_name, const FunctionSpec& fn, Format format,
                       const std::vector<const ref::Arguments*>& cases) {
  std::string s = "batch " + declared_name + " " + std::string(ref::name(format)) + " " + std::to_string(cases.size()) + "\ninputs";
  for (const auto& in : fn.inputs) {
    s += " " + in.name + (in.type == ref::InputType::index ? ":index" : ":real") +
         (in.shape == ref::Shape::vector ? ":vector" : ":scalar") + (in.optional ? ":optional" : "");
  }
  s += "\n";
  for (const auto* args : cases) {
    s += "case";
    for (const auto& in : fn.inputs) {
      auto it = args->inputs.find(in.name);
      s += " " + (it == args->inputs.end() ? std::string("-") : tensor_text(it->second, in.type == ref::InputType::index));
    }
    for (const auto& p : fn.params) {
      std::string v = param_value(p, *args);
      if (!v.empty()) s += " " + p.name + "=" + v;
    }
    s += "\n";
  }
  return s + "end\n";
}

// One output value: a hex float must be exactly a value of the format; a decimal is read as
// the nearest value of the format (shortest round-trip decimals are what most languages print).
std::optional<ref::FloatBits> output_value(const std::string& text, Format format, std::string& why) {
  std::string body = text;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.erase(0, 1);
  bool hex = body.size() > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
  auto v = ref::parse_value(text, format);
  if (!v) {
    why = "'" + clip(text, 40) + "' is not a number";
    return std::nullopt;
  }
  if (hex && !v->is_nan() && !v->is_inf()) {
    ref::MpfrValue exact(4096), back(ref::info(format).precision);
    char* end = nullptr;
    int ternary = mpfr_strtofr(exact, text.c_str(), &end, 0, MPFR_RNDN);
    ref::to_mpfr(*v, back);
    if (ternary != 0 || mpfr_cmp(exact, back) != 0) {
      why = "output " + clip(text, 40) + " is not a " + std::string(ref::name(format)) +
            " value (computed in a wider format?)";
      return std::nullopt;
    }
  }
  return v;
}

// "ok" answers: a scalar, [a,b], [a,b;c,d] or [].
bool parse_outputs(const std::string& text, Format format, std::vector<ref::FloatBits>& out, std::string& why) {
  out.clear();
  std::string body = text;
  if (body.empty()) {
    why = "'ok' without outputs";
    return false;
  }
  if (body.front() == '[') {
    if (body.back() != ']') {
      why = "'" + clip(text, 40) + "' lacks its closing ]";
      return false;
    }
    body = body.substr(1, body.size() - 2);
    if (body.empty()) return true;
  }
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find_first_of(",;", start);
    if (end == std::string::npos) end = body.size();
    auto v = output_value(body.substr(start, end - start), format, why);
    if (!v) return false;
    out.push_back(*v);
    start = end + 1;
  }
  return true;
}

// --- A program speaking the protocol. ----------------------------------------------------------

class ProtocolProgram : public BatchImplementation {
 public:
  ProtocolProgram(std::vector<std::string> argv, std::string name, ProcessOptions options)
      : argv_(std::move(argv)), name_(std::move(name)), options_(std::move(options)) {
    start();
  }
  ~ProtocolProgram() override { stop(); }

  std::string name() const override { return name_; }
  std::string description() const override { return description_; }

  bool supports(const FunctionSpec& fn, Format format) const override { return !declared_name(fn, format).empty(); }

  BatchOutcome run(const FunctionSpec& fn, Format format, const std::vector<const ref::Arguments*>& cases) override {
    BatchOutcome out;
    out.cases.resize(cases.size());
    if (!child_) {
      try {
        start();
      } catch (const ImplementationError& e) {
        out.incident = Incident{Incident::Kind::exit, std::string("could not be restarted: ") + e.what(), 0, ""};
        return out;
      }
    }
    const std::size_t mark = child_->stderr_mark();  // report what this batch wrote, not earlier ones
    child_->send(batch_text(declared_name(fn, format), fn, format, cases));
    std::size_t answered = 0;
    std::string line;
    while (answered < cases.size()) {
      auto r = child_->read_line(line, options_.timeout);
      if (r == ChildProcess::Read::timeout) {
        std::string tail = child_->stderr_tail(mark);
        child_->kill();
        child_.reset();
        out.incident = Incident{Incident::Kind::hang, "no answer within " + seconds_text(options_.timeout) + " (hung?); killed",
                                answered, tail};
        return out;
      }
      if (r == ChildProcess::Read::overlong) {
        std::string tail = child_->stderr_tail(mark);
        child_->kill();
        child_.reset();
        out.incident = Incident{Incident::Kind::protocol, "protocol error: a line of more than 64 MiB without a newline",
                                answered, tail};
        return out;
      }
      if (r == ChildProcess::Read::end) {
        ExitStatus st = child_->wait(std::chrono::seconds(2));
        std::string tail = child_->stderr_tail(mark);
        child_.reset();
        out.incident = Incident{st.signaled ? Incident::Kind::crash : Incident::Kind::exit,
                                st.signaled ? "crashed: " + st.describe() : st.describe(), answered, tail};
        return out;
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      std::string why;
      if (!parse_answer(line, format, out.cases[answered], why)) {
        std::string tail = child_->stderr_tail(mark);
        child_->kill();
        child_.reset();
        out.incident = Incident{Incident::Kind::protocol, "protocol error: " + why, answered, tail};
        return out;
      }
      ++answered;
    }
    return out;
  }

 private:
  // The name under which the program declared fn (its name or an alias), "" if not for format.
  std::string declared_name(const FunctionSpec& fn, Format format) const {
    auto has = [&](const std::string& n) {
      auto it = supports_.find(n);
      return it != supports_.end() && it->second.count(format) != 0;
    };
    if (has(fn.name)) return fn.name;
    for (const auto& a : fn.aliases)
      if (has(a)) return a;
    return "";
  }

  static bool parse_answer(const std::string& line, Format format, CaseOutcome& c, std::string& why) {
    std::size_t sp = line.find(' ');
    std::string word = line.substr(0, sp);
    std::string rest = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (word == "ok") {
      std::string bad;
      if (!parse_outputs(rest, format, c.outputs, bad)) {
        // A well-formed answer whose values are wrong is that case's error, not a broken
        // conversation: the program said "ok" for this case and will answer the next one.
        c.status = CaseOutcome::Status::error;
        c.message = bad;
        c.outputs.clear();
        return true;
      }
      c.status = CaseOutcome::Status::ok;
      return true;
    }
    if (word == "unsupported" || word == "error") {
      c.status = word == "error" ? CaseOutcome::Status::error : CaseOutcome::Status::unsupported;
      c.message = rest.empty() ? word : rest;
      return true;
    }
    why = "expected 'ok', 'unsupported' or 'error', got '" + clip(line) + "'";
    return false;
  }

  void start() {
    std::unique_ptr<ChildProcess> child;
    try {
      child = ChildProcess::start(argv_);
    } catch (const SpawnError& e) {
      throw ImplementationError(name_ + ": " + e.what());
    }
    supports_.clear();
    std::string line;
    bool first = true;
    const auto patience = std::max(options_.startup_timeout, options_.timeout);
    for (;;) {
      auto r = child->read_line(line, patience);
      if (r == ChildProcess::Read::timeout) {
        std::string tail = child->stderr_tail();
        child->kill();
        throw ImplementationError(name_ + ": did not complete its hello within " + seconds_text(patience) +
                                  " of starting (expected the protocol's hello)" + quote_tail(tail));
      }
      if (r == ChildProcess::Read::end) {
        ExitStatus st = child->wait(std::chrono::seconds(2));
        std::string tail = child->stderr_tail();
        throw ImplementationError(name_ + ": " + st.describe() + " before its hello was complete" + quote_tail(tail));
      }
      if (r == ChildProcess::Read::overlong) {
        child->kill();
        throw ImplementationError(name_ + ": does not speak the nnconform protocol (a first line of more than 64 MiB)");
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      std::istringstream words(line);
      std::string word;
      words >> word;
      if (first) {
        int version = 0;
        if (word != "nnconform-protocol" || !(words >> version)) {
          std::string tail = child->stderr_tail();
          child->kill();
          throw ImplementationError(name_ + ": does not speak the nnconform protocol (its first line was '" + clip(line) +
                                    "', expected 'nnconform-protocol 1')" + quote_tail(tail));
        }
        if (version != kProtocolVersion) {
          child->kill();
          throw ImplementationError(name_ + ": speaks protocol version " + std::to_string(version) +
                                    ", this nnconform speaks version " + std::to_string(kProtocolVersion));
        }
        first = false;
      } else if (word == "implementation") {
        std::getline(words >> std::ws, description_);
      } else if (word == "supports") {
        std::string function, format;
        words >> function;
        auto& formats = supports_[function];
        while (words >> format) {
          auto f = ref::parse_format(format);
          if (!f) {
            child->kill();
            throw ImplementationError(name_ + ": unknown format '" + format + "' in '" + clip(line) + "'");
          }
          formats.insert(*f);
        }
      } else if (word == "ready") {
        break;
      } else {
        std::string tail = child->stderr_tail();
        child->kill();
        throw ImplementationError(name_ + ": unexpected line in its hello: '" + clip(line) + "'" + quote_tail(tail));
      }
    }
    if (description_.empty()) description_ = name_;
    child_ = std::move(child);
  }

  void stop() {
    if (!child_) return;
    child_->close_stdin();
    child_->wait(std::chrono::seconds(2));
    child_.reset();
  }

  std::vector<std::string> argv_;
  std::string name_;
  ProcessOptions options_;
  std::unique_ptr<ChildProcess> child_;
  std::string description_;
  std::map<std::string, std::set<Format>> supports_;
};

}  // namespace

std::string kind_name(Incident::Kind kind) {
  switch (kind) {
    case Incident::Kind::crash: return "crash";
    case Incident::Kind::hang: return "hang";
    case Incident::Kind::exit: return "exit";
    case Incident::Kind::protocol: return "protocol";
  }
  return "?";
}

std::unique_ptr<BatchImplementation> in_process(std::unique_ptr<Implementation> impl) {
  return std::make_unique<InProcess>(std::move(impl));
}

std::unique_ptr<BatchImplementation> start_protocol_program(const std::vector<std::string>& argv, const std::string& name,
                                                            const ProcessOptions& options) {
  return std::make_unique<ProtocolProgram>(argv, name, options);
}

std::vector<std::string> split_command(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0;
      else word += c;
    } else if (quote == '"') {
      if (c == '"') quote = 0;
      else if (c == '\\' && i + 1 < command.size() && std::string("\"\\$`").find(command[i + 1]) != std::string::npos) word += command[++i];
      else word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < command.size()) {
      word += command[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) throw ImplementationError(std::string("unterminated ") + quote + " quote in the command: " + command);
  if (in_word) words.push_back(word);
  return words;
}

std::string default_runner_path() {
  if (const char* env = std::getenv("NNCONFORM_ABI_RUNNER"); env && *env) return env;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "nnconform-abi-runner";  // from PATH
  return (self.parent_path() / "nnconform-abi-runner").string();
}

std::unique_ptr<BatchImplementation> open_implementation(const std::string& spec, const ProcessOptions& options) {
  if (spec == "builtin") return in_process(make_builtin());
  if (auto simd = make_simd(spec)) return in_process(std::move(simd));  // simd, simd-cr, simd@TARGET
  if (spec.rfind("lib:", 0) == 0) {
    std::string path = spec.substr(4);
    std::error_code ec;
    if (path.empty() || !fs::is_regular_file(path, ec))
      throw ImplementationError(spec + ": no such library file '" + path + "'");
    std::string runner = options.runner.empty() ? default_runner_path() : options.runner;
    if (runner.find('/') != std::string::npos && !fs::exists(runner, ec))
      throw ImplementationError(spec + ": nnconform-abi-runner is not at " + runner +
                                " (build it, or set NNCONFORM_ABI_RUNNER to its path)");
    return start_protocol_program({runner, fs::absolute(path).string()}, spec, options);
  }
  if (spec.rfind("cmd:", 0) == 0) {
    std::vector<std::string> argv = split_command(spec.substr(4));
    if (argv.empty()) throw ImplementationError(spec + ": no command after 'cmd:'");
    return start_protocol_program(argv, spec, options);
  }
  throw ImplementationError("unknown implementation '" + spec + "': use builtin, lib:PATH.so or cmd:\"COMMAND ARGS\"");
}

}  // namespace nnconform::conformance
