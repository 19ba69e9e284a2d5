// nnconform-abi-runner LIBRARY.so: loads a library implementing nnconform_abi.h and serves it
// over the batch protocol of adapters/README.md on stdin/stdout.
//
// nnconform starts this program in a child process, so that whatever the library does (crash,
// abort, exit, hang) happens here and is seen from outside. It answers one case at a time and
// flushes after each answer: when the library dies on a case, the answers already given tell
// nnconform exactly which case it died on.
//
// Deliberately standalone (libc and the C++ standard library only): it must not share code or
// state with the checker, and a bug in the library must not be able to corrupt the checker.
#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "nnconform_abi.h"

namespace {

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "nnconform-abi-runner: %s\n", message.c_str());
  std::exit(3);
}

// --- Formats: text <-> the storage of each format. -------------------------------------------

struct SmallFormat {
  int precision;  // significand bits, implicit bit included
  int bias;
  int exponent_bits;
};
constexpr SmallFormat kBinary16{11, 15, 5};
constexpr SmallFormat kBfloat16{8, 127, 8};

// Rounds v to a 16-bit format, ties to even (the values nnconform sends are exact already; the
// rounding only matters for a library that answers a wider value, which we pass on as is).
std::uint16_t to_small(double v, SmallFormat f) {
  const int mant_bits = f.precision - 1;
  const std::uint16_t exp_all_ones = static_cast<std::uint16_t>(((1u << f.exponent_bits) - 1) << mant_bits);
  const std::uint16_t sign = std::signbit(v) ? 0x8000 : 0;
  if (std::isnan(v)) return exp_all_ones | static_cast<std::uint16_t>(1u << (mant_bits - 1));
  double a = std::fabs(v);
  if (std::isinf(a)) return sign | exp_all_ones;
  if (a == 0) return sign;
  const int emin = 1 - f.bias, emax = f.bias;
  int e = 0;
  std::frexp(a, &e);
  int exponent = e - 1;  // of the leading bit
  if (exponent < emin) exponent = emin;  // subnormal: the quantum of the lowest binade
  double n = std::nearbyint(std::ldexp(a, mant_bits - exponent));  // exact scaling, then RNE
  if (n >= std::ldexp(1.0, f.precision)) {
    n /= 2;
    ++exponent;
  }
  if (exponent > emax) return sign | exp_all_ones;
  auto m = static_cast<std::uint32_t>(n);
  if (m < (1u << mant_bits)) return sign | static_cast<std::uint16_t>(m);  // subnormal
  return sign | static_cast<std::uint16_t>(((exponent + f.bias) << mant_bits) | (m - (1u << mant_bits)));
}

double from_small(std::uint16_t bits, SmallFormat f) {
  const int mant_bits = f.precision - 1;
  const unsigned exp_max = (1u << f.exponent_bits) - 1;
  unsigned exp = (bits >> mant_bits) & exp_max;
  unsigned mant = bits & ((1u << mant_bits) - 1);
  double sign = (bits & 0x8000) ? -1.0 : 1.0;
  if (exp == exp_max) return mant ? std::nan("") : sign * HUGE_VAL;
  if (exp == 0) return sign * std::ldexp(mant, 1 - f.bias - mant_bits);
  return sign * std::ldexp(mant | (1u << mant_bits), static_cast<int>(exp) - f.bias - mant_bits);
}

std::size_t storage_size(int format) { return format == NNCONFORM_BINARY64 ? 8 : format == NNCONFORM_BINARY32 ? 4 : 2; }

bool parse_format(const std::string& s, int& format) {
  static const char* names[] = {"binary64", "binary32", "binary16", "bfloat16"};
  for (int i = 0; i < 4; ++i)
    if (s == names[i]) {
      format = i;
      return true;
    }
  return false;
}

// Appends the value of `text` in `format` to `out` (raw storage bytes). False if not a number.
bool append_real(const std::string& text, int format, std::vector<unsigned char>& out) {
  if (text.empty()) return false;
  const char* s = text.c_str();
  char* end = nullptr;
  errno = 0;
  unsigned char bytes[8];
  if (format == NNCONFORM_BINARY32) {
    float v = std::strtof(s, &end);  // rounds directly into binary32
    std::memcpy(bytes, &v, 4);
  } else {
    double v = std::strtod(s, &end);
    if (format == NNCONFORM_BINARY64) {
      std::memcpy(bytes, &v, 8);
    } else {
      std::uint16_t h = to_small(v, format == NNCONFORM_BINARY16 ? kBinary16 : kBfloat16);
      std::memcpy(bytes, &h, 2);
    }
  }
  if (end == s || *end != '\0') return false;
  out.insert(out.end(), bytes, bytes + storage_size(format));
  return true;
}

std::string real_text(const unsigned char* p, int format) {
  double v;
  if (format == NNCONFORM_BINARY64) {
    std::memcpy(&v, p, 8);
  } else if (format == NNCONFORM_BINARY32) {
    float f;
    std::memcpy(&f, p, 4);
    v = f;  // exact
  } else {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    v = from_small(h, format == NNCONFORM_BINARY16 ? kBinary16 : kBfloat16);
  }
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);  // exact
  return buf;
}

// --- Requests. ---------------------------------------------------------------------------------

struct InputDecl {
  std::string name;
  int kind = NNCONFORM_REAL;
};

struct Input {
  bool present = false;
  int rank = 0;
  std::vector<std::size_t> shape;
  std::size_t count = 0;
  std::vector<unsigned char> data;  // reals in the format's storage, or int64 indices
};

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    std::size_t j = line.find(' ', i);
    if (j == std::string::npos) j = line.size();
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// Parses "-", a scalar, "[a,b]" or "[a,b;c,d]". Returns an empty string on success, else why not.
std::string parse_input(const std::string& token, const InputDecl& decl, int format, Input& in) {
  in = Input{};
  if (token == "-") return "";
  in.present = true;
  auto add = [&](const std::string& cell) -> bool {
    ++in.count;
    if (decl.kind == NNCONFORM_INDEX) {
      char* end = nullptr;
      long long v = std::strtoll(cell.c_str(), &end, 10);
      if (cell.empty() || *end != '\0') return false;
      auto i64 = static_cast<std::int64_t>(v);
      auto* b = reinterpret_cast<unsigned char*>(&i64);
      in.data.insert(in.data.end(), b, b + 8);
      return true;
    }
    return append_real(cell, format, in.data);
  };
  if (token.front() != '[') {
    in.rank = 0;
    return add(token) ? "" : "'" + token + "' is not a number";
  }
  if (token.back() != ']') return "'" + token + "' lacks its closing ]";
  std::string body = token.substr(1, token.size() - 2);
  std::size_t rows = 0, width = 0;
  std::size_t start = 0;
  while (start <= body.size() && !body.empty()) {
    std::size_t end = body.find(';', start);
    if (end == std::string::npos) end = body.size();
    std::string row = body.substr(start, end - start);
    std::size_t cells = 0, cs = 0;
    while (cs <= row.size()) {
      std::size_t ce = row.find(',', cs);
      if (ce == std::string::npos) ce = row.size();
      std::string cell = row.substr(cs, ce - cs);
      if (!add(cell)) return "'" + cell + "' in input " + decl.name + " is not a number";
      ++cells;
      cs = ce + 1;
    }
    if (rows > 0 && cells != width) return "rows of different lengths in input " + decl.name;
    width = cells;
    ++rows;
    start = end + 1;
  }
  bool batch = body.find(';') != std::string::npos;
  in.rank = batch ? 2 : 1;
  in.shape = batch ? std::vector<std::size_t>{rows, width} : std::vector<std::size_t>{in.count};
  return "";
}

// --- The library. -----------------------------------------------------------------------------

struct Library {
  nnconform_compute_fn compute = nullptr;
  const nnconform_function_info* functions = nullptr;
  std::string name;
};

Library load(const char* path) {
  void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) die(std::string("cannot load the library: ") + dlerror());
  auto symbol = [&](const char* name, bool required) {
    dlerror();
    void* p = dlsym(handle, name);
    if (!p && required)
      die(std::string(path) + " does not export " + name + " (see nnconform_abi.h: extern \"C\", default visibility)");
    return p;
  };
  auto version = reinterpret_cast<nnconform_abi_version_fn>(symbol("nnconform_abi_version", true));
  Library lib;
  lib.compute = reinterpret_cast<nnconform_compute_fn>(symbol("nnconform_compute", true));
  auto functions = reinterpret_cast<nnconform_functions_fn>(symbol("nnconform_functions", true));
  auto name = reinterpret_cast<nnconform_implementation_name_fn>(symbol("nnconform_implementation_name", false));
  int v = version();
  if (v != NNCONFORM_ABI_VERSION)
    die(std::string(path) + " implements nnconform ABI version " + std::to_string(v) + ", this runner version " +
        std::to_string(NNCONFORM_ABI_VERSION));
  lib.functions = functions();
  if (!lib.functions) die(std::string(path) + ": nnconform_functions() returned NULL");
  const char* n = name ? name() : nullptr;
  lib.name = n && *n ? n : path;
  for (char& c : lib.name)
    if (c == '\n' || c == '\r') c = ' ';
  return lib;
}

// --- The conversation. ------------------------------------------------------------------------

class Server {
 public:
  Server(const Library& lib, std::FILE* out) : lib_(lib), out_(out) {}

  void hello() {
    std::fprintf(out_, "nnconform-protocol 1\nimplementation %s\n", lib_.name.c_str());
    static const char* names[] = {"binary64", "binary32", "binary16", "bfloat16"};
    for (const nnconform_function_info* f = lib_.functions; f->function; ++f) {
      std::string line = std::string("supports ") + f->function;
      for (int i = 0; i < 4; ++i)
        if (f->formats & NNCONFORM_FORMAT_BIT(i)) line += std::string(" ") + names[i];
      std::fprintf(out_, "%s\n", line.c_str());
    }
    std::fprintf(out_, "ready\n");
    std::fflush(out_);
  }

  // Serves requests until end of input.
  void serve() {
    std::string line;
    while (std::getline(std::cin, line)) {
      auto t = split(line);
      if (t.empty()) continue;
      if (t[0] == "batch") {
        if (t.size() != 4 || !parse_format(t[2], format_)) die("bad batch line: " + line);
        function_ = t[1];
        in_batch_ = true;
      } else if (t[0] == "inputs") {
        decls_.clear();
        for (std::size_t i = 1; i < t.size(); ++i) {
          InputDecl d;
          std::size_t colon = t[i].find(':');
          d.name = t[i].substr(0, colon);
          d.kind = t[i].compare(colon + 1, 5, "index") == 0 ? NNCONFORM_INDEX : NNCONFORM_REAL;
          decls_.push_back(d);
        }
      } else if (t[0] == "case") {
        if (!in_batch_) die("case outside a batch");
        answer(t);
      } else if (t[0] == "end") {
        in_batch_ = false;
      } else {
        die("unknown request: " + line.substr(0, 80));
      }
    }
  }

 private:
  void answer(const std::vector<std::string>& t) {
    if (t.size() < 1 + decls_.size()) return reply("error", "case line with fewer inputs than declared");
    std::vector<Input> inputs(decls_.size());
    std::size_t largest = 0;
    for (std::size_t i = 0; i < decls_.size(); ++i) {
      std::string why = parse_input(t[1 + i], decls_[i], format_, inputs[i]);
      if (!why.empty()) return reply("error", "bad request: " + why);
      largest = std::max(largest, inputs[i].count);
    }
    std::vector<std::string> param_names, param_values;
    for (std::size_t i = 1 + decls_.size(); i < t.size(); ++i) {
      std::size_t eq = t[i].find('=');
      if (eq == std::string::npos) return reply("error", "bad request: parameter without '=': " + t[i]);
      param_names.push_back(t[i].substr(0, eq));
      param_values.push_back(t[i].substr(eq + 1));
    }
    std::vector<nnconform_tensor> tensors;
    for (std::size_t i = 0; i < decls_.size(); ++i) {
      if (!inputs[i].present) continue;
      nnconform_tensor x{};
      x.name = decls_[i].name.c_str();
      x.kind = decls_[i].kind;
      x.rank = inputs[i].rank;
      x.shape = inputs[i].shape.empty() ? nullptr : inputs[i].shape.data();
      x.count = inputs[i].count;
      x.data = inputs[i].data.data();
      tensors.push_back(x);
    }
    std::vector<nnconform_param> params;
    for (std::size_t i = 0; i < param_names.size(); ++i) params.push_back({param_names[i].c_str(), param_values[i].c_str()});

    nnconform_call call{};
    call.function = function_.c_str();
    call.format = format_;
    call.input_count = tensors.size();
    call.inputs = tensors.data();
    call.param_count = params.size();
    call.params = params.data();

    std::size_t capacity = 2 * largest + 16;
    std::vector<unsigned char> buffer(capacity * storage_size(format_));
    char message[1024] = "";
    nnconform_result result{};
    result.data = buffer.data();
    result.capacity = capacity;
    result.message = message;
    result.message_capacity = sizeof message;

    int status = lib_.compute(&call, &result);
    message[sizeof message - 1] = '\0';
    std::string why = one_line(message);
    if (status == NNCONFORM_UNSUPPORTED) return reply("unsupported", why.empty() ? "unsupported" : why);
    if (status != NNCONFORM_OK)
      return reply("error", why.empty() ? "nnconform_compute returned " + std::to_string(status) : why);
    if (result.count > capacity)
      return reply("error", "claims " + std::to_string(result.count) + " outputs, more than the buffer of " +
                                std::to_string(capacity) + " values");
    std::string text;
    if (result.count == 1) {
      text = real_text(buffer.data(), format_);
    } else {
      text = "[";
      for (std::size_t i = 0; i < result.count; ++i) {
        if (i) text += ",";
        text += real_text(buffer.data() + i * storage_size(format_), format_);
      }
      text += "]";
    }
    reply("ok", text);
  }

  static std::string one_line(const char* s) {
    std::string out(s);
    for (char& c : out)
      if (c == '\n' || c == '\r') c = ' ';
    return out;
  }

  void reply(const char* status, const std::string& text) {
    std::fprintf(out_, "%s %s\n", status, text.c_str());
    std::fflush(out_);  // one answer at a time: a crash on the next case is then pinned to it
  }

  const Library& lib_;
  std::FILE* out_;
  std::string function_;
  int format_ = NNCONFORM_BINARY64;
  bool in_batch_ = false;
  std::vector<InputDecl> decls_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: nnconform-abi-runner LIBRARY.so\n"
                 "Serves a library implementing nnconform_abi.h over the nnconform batch protocol\n"
                 "(stdin/stdout); nnconform check --impl lib:LIBRARY.so starts it.\n");
    return 2;
  }
  // The protocol gets a private copy of stdout, and fd 1 becomes stderr: whatever the library
  // prints cannot be mistaken for an answer.
  int protocol_fd = dup(STDOUT_FILENO);
  if (protocol_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) die(std::string("dup: ") + std::strerror(errno));
  std::FILE* out = fdopen(protocol_fd, "w");
  if (!out) die(std::string("fdopen: ") + std::strerror(errno));
  std::ios::sync_with_stdio(false);

  Library lib = load(argv[1]);
  Server server(lib, out);
  server.hello();
  server.serve();
  return 0;
}
