#include "nnconform/ref/vectors.hpp"

#include <mpfr.h>
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

namespace nnconform::ref {
namespace {

namespace fs = std::filesystem;

const char* const kFirstLine = "# nnconform golden vectors ";
const char* const kEndOfHeader = "# end-of-header";
constexpr std::size_t kPayloadBytes = kExhaustiveEntries * 3;

std::string_view kind_name(VectorFileKind k) { return k == VectorFileKind::cases ? "cases" : "exhaustive"; }

std::string input_text(const VectorInput& in) {
  return in.name + ":" + (in.type == InputType::index ? "index" : "real") + ":" +
         (in.shape == Shape::vector ? "vector" : "scalar") + (in.optional ? ":optional" : "");
}

std::string header_text(const VectorHeader& h) {
  std::string s = kFirstLine + std::to_string(kVectorFormatVersion) + "\n";
  auto field = [&s](const std::string& key, const std::string& value) { s += "# " + key + ": " + value + "\n"; };
  field("kind", std::string(kind_name(h.kind)));
  field("function", h.function);
  field("family", h.family);
  field("format", std::string(name(h.format)));
  if (!h.gradient.empty()) field("gradient", h.gradient);
  std::string inputs;
  for (const auto& in : h.inputs) inputs += (inputs.empty() ? "" : " ") + input_text(in);
  field("inputs", inputs);
  std::string params;
  for (const auto& k : h.params) {
    auto it = h.defaults.find(k);
    params += (params.empty() ? "" : " ") + k + (it == h.defaults.end() ? "" : "=" + it->second);
  }
  field("params", params.empty() ? "-" : params);
  field("spec", h.spec_file);
  field("spec-sha256", h.spec_sha256);
  field("generator", h.generator);
  field("mpfr", h.mpfr);
  field("command", h.command);
  if (h.kind == VectorFileKind::cases) {
    field("cases", std::to_string(h.count));
    field("line", "<family> <input>... [<param>=<value>...] -> <output> <offset>");
    field("offset", "(exact - golden) / ulp(golden), 3 places; 0 = exact; nan = none (NaN or infinite golden)");
  } else {
    field("entries", std::to_string(h.count));
    field("payload",
          "65536 uint16 little-endian output bit patterns (entry i: input bit pattern i), then 65536 int8 "
          "offsets (exact - golden) / ulp in units of 1/256, saturated at +-127, -128 = none (NaN or "
          "infinite golden)");
    s += std::string(kEndOfHeader) + "\n";
  }
  return s;
}

VectorHeader header_for(const FunctionSpec& fn, Format format, VectorFileKind kind, const Provenance& p) {
  VectorHeader h;
  h.kind = kind;
  h.function = fn.name;
  h.family = fn.family;
  h.format = format;
  for (const auto& in : fn.inputs) h.inputs.push_back({in.name, in.type, in.shape, in.optional});
  for (const auto& ps : fn.params) {
    h.params.push_back(ps.name);
    if (ps.default_value) h.defaults[ps.name] = *ps.default_value;
  }
  h.spec_file = p.spec_file;
  h.spec_sha256 = p.spec_sha256;
  h.generator = generator_version();
  h.mpfr = mpfr_runtime_version();
  h.command = p.command;
  return h;
}

[[noreturn]] void fail(const std::string& where, std::size_t line, const std::string& message) {
  throw VectorFormatError(where + ":" + std::to_string(line) + ": " + message);
}

// Parses the "# key: value" lines; `lines` are the header lines in order (first one included).
VectorHeader parse_header(const std::vector<std::string>& lines, const std::string& where) {
  if (lines.empty() || lines[0].rfind(kFirstLine, 0) != 0)
    fail(where, 1, "not a nnconform vector file (the first line must be '" + std::string(kFirstLine) + "1')");
  std::string version = lines[0].substr(std::string(kFirstLine).size());
  if (version != std::to_string(kVectorFormatVersion))
    fail(where, 1, "vector format version " + version + " is not supported (this reader reads version " +
                       std::to_string(kVectorFormatVersion) + ")");
  std::map<std::string, std::pair<std::string, std::size_t>> fields;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l == kEndOfHeader) break;
    auto colon = l.find(": ");
    if (l.rfind("# ", 0) != 0 || colon == std::string::npos) fail(where, i + 1, "malformed header line '" + l + "'");
    fields[l.substr(2, colon - 2)] = {l.substr(colon + 2), i + 1};
  }
  auto get = [&](const std::string& key) -> const std::string& {
    auto it = fields.find(key);
    if (it == fields.end()) fail(where, 0, "header field '" + key + "' is missing");
    return it->second.first;
  };
  auto line_of = [&](const std::string& key) { return fields.at(key).second; };
  VectorHeader h;
  const std::string& kind = get("kind");
  if (kind == "cases") h.kind = VectorFileKind::cases;
  else if (kind == "exhaustive") h.kind = VectorFileKind::exhaustive;
  else fail(where, line_of("kind"), "unknown kind '" + kind + "' (cases, exhaustive)");
  h.function = get("function");
  h.family = get("family");
  auto format = parse_format(get("format"));
  if (!format) fail(where, line_of("format"), "unknown format '" + get("format") + "'");
  h.format = *format;
  if (auto it = fields.find("gradient"); it != fields.end()) {
    h.gradient = it->second.first;
    if (h.gradient.empty() || h.gradient.find(' ') != std::string::npos)
      fail(where, it->second.second, "malformed gradient field '" + h.gradient + "'");
  }
  std::istringstream inputs(get("inputs"));
  for (std::string tok; inputs >> tok;) {
    VectorInput in;
    const std::string kOptional = ":optional";
    if (tok.size() > kOptional.size() && tok.compare(tok.size() - kOptional.size(), kOptional.size(), kOptional) == 0) {
      in.optional = true;
      tok.resize(tok.size() - kOptional.size());
    }
    auto a = tok.find(':'), b = tok.rfind(':');
    if (a == std::string::npos || a == b) fail(where, line_of("inputs"), "malformed input '" + tok + "'");
    in.name = tok.substr(0, a);
    std::string type = tok.substr(a + 1, b - a - 1), shape = tok.substr(b + 1);
    if (type != "real" && type != "index") fail(where, line_of("inputs"), "input type '" + type + "'");
    if (shape != "scalar" && shape != "vector") fail(where, line_of("inputs"), "input shape '" + shape + "'");
    in.type = type == "index" ? InputType::index : InputType::real;
    in.shape = shape == "vector" ? Shape::vector : Shape::scalar;
    h.inputs.push_back(in);
  }
  if (h.inputs.empty()) fail(where, line_of("inputs"), "no inputs");
  if (get("params") != "-") {
    std::istringstream params(get("params"));
    for (std::string tok; params >> tok;) {
      auto eq = tok.find('=');
      if (eq == 0) fail(where, line_of("params"), "malformed parameter '" + tok + "'");
      h.params.push_back(tok.substr(0, eq));
      if (eq != std::string::npos) h.defaults[tok.substr(0, eq)] = tok.substr(eq + 1);
    }
  }
  h.spec_file = get("spec");
  h.spec_sha256 = get("spec-sha256");
  h.generator = get("generator");
  h.mpfr = get("mpfr");
  h.command = get("command");
  const std::string& count_key = h.kind == VectorFileKind::cases ? "cases" : "entries";
  const std::string& count = get(count_key);
  auto r = std::from_chars(count.data(), count.data() + count.size(), h.count);
  if (r.ec != std::errc() || r.ptr != count.data() + count.size())
    fail(where, line_of(count_key), count_key + " '" + count + "' is not a number");
  if (h.kind == VectorFileKind::exhaustive && h.count != kExhaustiveEntries)
    fail(where, line_of(count_key), "an exhaustive table has 65536 entries, not " + count);
  return h;
}

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw VectorFormatError(file.string() + ":0: cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw VectorFormatError(file.string() + ":0: read error");
  return s.str();
}

// --- Tensor text. ---

std::string element_text(const Tensor& t, std::size_t i) {
  if (!t.indices.empty()) return std::to_string(t.indices[i]);
  return to_hex(t.values[i]);
}

// Formats [a,b,c], [a,b;c,d], or a repeated block [a,b]*k, with `text(i)` for element i.
std::string tensor_text(const std::vector<std::size_t>& shape, std::size_t n,
                        const std::function<std::string(std::size_t)>& text,
                        const std::function<bool(std::size_t, std::size_t)>& equal, std::size_t period) {
  if (shape.empty()) return text(0);
  std::string s = "[";
  if (shape.size() == 1 && period > 0 && n > period && n % period == 0) {
    bool periodic = true;
    for (std::size_t i = period; i < n && periodic; ++i) periodic = equal(i, i % period);
    if (periodic) {
      for (std::size_t i = 0; i < period; ++i) s += (i ? "," : "") + text(i);
      return s + "]*" + std::to_string(n / period);
    }
  }
  std::size_t row = shape.back();
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += i % row == 0 ? ";" : ",";
    s += text(i);
  }
  return s + "]";
}

std::string input_tensor_text(const Tensor& t, std::size_t period) {
  std::size_t n = t.indices.empty() ? t.values.size() : t.indices.size();
  return tensor_text(
      t.shape, n, [&t](std::size_t i) { return element_text(t, i); },
      [&t](std::size_t a, std::size_t b) {
        return t.indices.empty() ? t.values[a] == t.values[b] : t.indices[a] == t.indices[b];
      },
      period);
}

// Splits a tensor token into its shape and element texts.
struct TensorToken {
  std::vector<std::size_t> shape;
  std::vector<std::string_view> elements;
};

TensorToken split_tensor(std::string_view tok, const std::string& where, std::size_t line) {
  TensorToken t;
  if (tok.empty()) fail(where, line, "empty value");
  if (tok.front() != '[') {
    t.elements.push_back(tok);
    return t;
  }
  std::size_t repeat = 1;
  auto close = tok.rfind(']');
  if (close == std::string_view::npos) fail(where, line, "unterminated '[' in '" + std::string(tok.substr(0, 40)) + "'");
  std::string_view tail = tok.substr(close + 1);
  if (!tail.empty()) {
    if (tail.size() < 2 || tail[0] != '*') fail(where, line, "unexpected '" + std::string(tail) + "' after ']'");
    auto r = std::from_chars(tail.data() + 1, tail.data() + tail.size(), repeat);
    if (r.ec != std::errc() || r.ptr != tail.data() + tail.size() || repeat == 0)
      fail(where, line, "bad repeat count '" + std::string(tail) + "'");
  }
  std::string_view body = tok.substr(1, close - 1);
  if (body.empty()) fail(where, line, "empty tensor []");
  std::size_t rows = 0, width = 0;
  std::size_t start = 0;
  while (true) {
    auto semi = body.find(';', start);
    std::string_view row = body.substr(start, semi == std::string_view::npos ? std::string_view::npos : semi - start);
    std::size_t count = 0, s = 0;
    while (true) {
      auto comma = row.find(',', s);
      std::string_view e = row.substr(s, comma == std::string_view::npos ? std::string_view::npos : comma - s);
      if (e.empty()) fail(where, line, "empty element in '" + std::string(tok.substr(0, 60)) + "'");
      t.elements.push_back(e);
      ++count;
      if (comma == std::string_view::npos) break;
      s = comma + 1;
    }
    if (rows == 0) width = count;
    else if (count != width)
      fail(where, line, "row " + std::to_string(rows) + " has " + std::to_string(count) + " values, row 0 has " +
                            std::to_string(width));
    ++rows;
    if (semi == std::string_view::npos) break;
    start = semi + 1;
  }
  if (repeat > 1 && rows > 1) fail(where, line, "a repeated block must be one row");
  if (rows > 1) {
    t.shape = {rows, width};
  } else {
    t.shape = {width * repeat};
    std::size_t block = t.elements.size();
    for (std::size_t k = 1; k < repeat; ++k)
      for (std::size_t i = 0; i < block; ++i) t.elements.push_back(t.elements[i]);
  }
  return t;
}

FloatBits parse_exact(std::string_view text, Format format, const std::string& where, std::size_t line) {
  auto v = parse_value(text, format);
  if (!v) fail(where, line, "'" + std::string(text) + "' is not a number");
  if (to_hex(*v) != text)
    fail(where, line, "'" + std::string(text) + "' is not a normalized hex float exactly representable in " +
                          std::string(name(format)));
  return *v;
}

Tensor parse_real_tensor(std::string_view tok, Format format, const std::string& where, std::size_t line) {
  TensorToken t = split_tensor(tok, where, line);
  Tensor out;
  out.shape = t.shape;
  // Repeated blocks repeat the same text: parse each distinct view once.
  std::map<std::string_view, FloatBits> cache;
  for (auto e : t.elements) {
    auto it = cache.find(e);
    if (it == cache.end()) it = cache.emplace(e, parse_exact(e, format, where, line)).first;
    out.values.push_back(it->second);
  }
  return out;
}

Tensor parse_index_tensor(std::string_view tok, const std::string& where, std::size_t line) {
  TensorToken t = split_tensor(tok, where, line);
  Tensor out;
  out.shape = t.shape;
  for (auto e : t.elements) {
    long v = 0;
    auto r = std::from_chars(e.data(), e.data() + e.size(), v);
    if (r.ec != std::errc() || r.ptr != e.data() + e.size())
      fail(where, line, "'" + std::string(e) + "' is not an integer index");
    out.indices.push_back(v);
  }
  return out;
}

double parse_offset(std::string_view e, const std::string& where, std::size_t line) {
  if (e == "nan") return std::nan("");
  if (e == "0") return 0;
  std::string_view digits = e;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  } else {
    fail(where, line, "offset '" + std::string(e) + "' must start with + or - (or be 0 or nan)");
  }
  double v = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v, std::chars_format::fixed);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size() || !(v <= 0.5))
    fail(where, line, "offset '" + std::string(e) + "' is not a number in [-0.5, 0.5]");
  return negative ? -v : v;
}

}  // namespace

constexpr std::size_t kLongOutputLimit = 4096;

// --- Reading. ---

VectorCase parse_case_line(const VectorHeader& h, std::string_view line, std::size_t line_number,
                           const std::string& where) {
  std::vector<std::string_view> tokens;
  std::size_t s = 0;
  while (s <= line.size()) {
    auto sp = line.find(' ', s);
    std::string_view tok = line.substr(s, sp == std::string_view::npos ? std::string_view::npos : sp - s);
    if (tok.empty()) fail(where, line_number, "empty token (tokens are separated by single spaces)");
    tokens.push_back(tok);
    if (sp == std::string_view::npos) break;
    s = sp + 1;
  }
  auto arrow = std::find(tokens.begin(), tokens.end(), std::string_view("->"));
  if (arrow == tokens.end()) fail(where, line_number, "no '->' between the inputs and the outputs");
  std::size_t before = static_cast<std::size_t>(arrow - tokens.begin());
  if (tokens.size() - before - 1 != 2)
    fail(where, line_number, "after '->' come exactly two tokens: the outputs and their offsets");
  if (before < 1 + h.inputs.size())
    fail(where, line_number, "expected the family and " + std::to_string(h.inputs.size()) + " inputs before '->'");
  VectorCase c;
  c.line = line_number;
  c.family = std::string(tokens[0]);
  for (std::size_t i = 0; i < h.inputs.size(); ++i) {
    const VectorInput& in = h.inputs[i];
    if (tokens[1 + i] == "-") {
      if (!in.optional) fail(where, line_number, "input '" + in.name + "' is not optional, '-' is not a value for it");
      continue;
    }
    Tensor t = in.type == InputType::index ? parse_index_tensor(tokens[1 + i], where, line_number)
                                           : parse_real_tensor(tokens[1 + i], h.format, where, line_number);
    c.args.inputs[in.name] = std::move(t);
  }
  for (std::size_t i = 1 + h.inputs.size(); i < before; ++i) {
    auto eq = tokens[i].find('=');
    if (eq == std::string_view::npos || eq == 0)
      fail(where, line_number, "'" + std::string(tokens[i]) + "' is neither an input nor name=value");
    std::string key(tokens[i].substr(0, eq));
    if (std::find(h.params.begin(), h.params.end(), key) == h.params.end())
      fail(where, line_number, "unknown parameter '" + key + "' (not in the params header)");
    c.args.params[key] = std::string(tokens[i].substr(eq + 1));
  }
  c.expected = parse_real_tensor(tokens[before + 1], h.format, where, line_number);
  TensorToken offsets = split_tensor(tokens[before + 2], where, line_number);
  if (offsets.shape != c.expected.shape)
    fail(where, line_number, "the offsets do not have the shape of the outputs");
  for (auto e : offsets.elements) c.offsets_ulps.push_back(parse_offset(e, where, line_number));
  return c;
}

VectorHeader read_vector_header(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw VectorFormatError(file.string() + ":0: cannot open");
  std::vector<std::string> lines;
  for (std::string l; lines.size() < 64 && std::getline(in, l);) {
    if (l.empty() || l[0] != '#') break;
    lines.push_back(l);
    if (l == kEndOfHeader) break;
  }
  return parse_header(lines, file.string());
}

VectorFile read_vector_file(const fs::path& file) {
  std::string where = file.string();
  std::string bytes = read_bytes(file);
  VectorFile out;
  out.path = file;
  if (bytes.empty()) fail(where, 0, "empty file");
  if (bytes.back() != '\n') fail(where, 0, "truncated: the last line does not end in a newline");
  std::vector<std::string> header_lines;
  std::size_t pos = 0, line_number = 0;
  bool header_done = false;
  while (pos < bytes.size()) {
    std::size_t nl = bytes.find('\n', pos);
    std::string_view line(bytes.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_number;
    if (!header_done) {
      if (!line.empty() && line[0] == '#') {
        header_lines.emplace_back(line);
        continue;
      }
      out.header = parse_header(header_lines, where);
      if (out.header.kind != VectorFileKind::cases) fail(where, 0, "an exhaustive table, not a case file");
      header_done = true;
    }
    out.cases.push_back(parse_case_line(out.header, line, line_number, where));
  }
  if (!header_done) out.header = parse_header(header_lines, where);
  if (out.cases.size() != out.header.count)
    fail(where, line_number, "truncated or edited: " + std::to_string(out.cases.size()) + " cases, the header says " +
                                 std::to_string(out.header.count));
  return out;
}

ExhaustiveTable read_exhaustive_table(const fs::path& file) {
  std::string where = file.string();
  std::string bytes = read_bytes(file);
  std::vector<std::string> lines;
  std::size_t pos = 0;
  bool ended = false;
  while (pos < bytes.size() && lines.size() < 64) {
    std::size_t nl = bytes.find('\n', pos);
    if (nl == std::string::npos) break;
    lines.emplace_back(bytes.substr(pos, nl - pos));
    pos = nl + 1;
    if (lines.back() == kEndOfHeader) {
      ended = true;
      break;
    }
  }
  if (!ended) fail(where, lines.size(), "no '# end-of-header' line: not an exhaustive table, or truncated");
  ExhaustiveTable t;
  t.path = file;
  t.header = parse_header(lines, where);
  if (t.header.kind != VectorFileKind::exhaustive) fail(where, 0, "a case file, not an exhaustive table");
  if (info(t.header.format).storage_bits != 16) fail(where, 0, "exhaustive tables are for 16-bit formats");
  std::size_t payload = bytes.size() - pos;
  if (payload != kPayloadBytes)
    fail(where, 0, std::string(payload < kPayloadBytes ? "truncated" : "too long") + ": the payload has " +
                       std::to_string(payload) + " bytes, expected " + std::to_string(kPayloadBytes));
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + pos);
  t.outputs.reserve(kExhaustiveEntries);
  t.offsets_ulps.reserve(kExhaustiveEntries);
  for (std::size_t i = 0; i < kExhaustiveEntries; ++i)
    t.outputs.push_back({t.header.format, static_cast<std::uint64_t>(p[2 * i] | (p[2 * i + 1] << 8))});
  for (std::size_t i = 0; i < kExhaustiveEntries; ++i) {
    auto b = static_cast<std::int8_t>(p[2 * kExhaustiveEntries + i]);
    t.offsets_ulps.push_back(b == -128 ? std::nan("") : b / 256.0);
  }
  return t;
}

std::vector<std::string> list_tree_files(const fs::path& dir) {
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory()) continue;
    std::string rel = fs::relative(it->path(), dir).generic_string();
    if (rel == kManifestName || rel == "README.md") continue;
    files.push_back(rel);
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string gradient_file_path(const FunctionSpec& fn, const std::string& wrt, Format format) {
  return fn.family + "/" + fn.name + "/grad_" + wrt + "/" + std::string(name(format)) + ".txt";
}

std::string vector_file_path(const FunctionSpec& fn, Format format, VectorFileKind kind) {
  return fn.family + "/" + fn.name + "/" + std::string(name(format)) +
         (kind == VectorFileKind::cases ? ".txt" : ".exhaustive");
}

// --- Writing. ---

std::string generator_version() { return std::string("nnconform ") + NNCONFORM_GENERATOR_VERSION; }
std::string mpfr_runtime_version() { return mpfr_get_version(); }

std::string format_offset(double offset) {
  if (std::isnan(offset)) return "nan";
  if (offset == 0) return "0";
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, offset, std::chars_format::fixed, 3);
  std::string s(buf, r.ptr);
  return s[0] == '-' ? s : "+" + s;
}

std::int8_t offset_byte(double offset) {
  if (std::isnan(offset)) return -128;
  double q = std::nearbyint(std::ldexp(offset, 8));  // exact scaling; ties to even
  return static_cast<std::int8_t>(std::clamp(q, -127.0, 127.0));
}

namespace {

// The number of tiles of a case whose vector inputs repeat a block (TestCase::period), 0 if none.
std::size_t tiles_of(const TestCase& c) {
  if (c.period == 0) return 0;
  for (const auto& [k, t] : c.args.inputs)
    if (t.shape.size() == 1 && t.shape[0] > c.period && t.shape[0] % c.period == 0) return t.shape[0] / c.period;
  return 0;
}

// The period of the outputs of a tiled case (as many tiles as the inputs), 0 if they do not
// repeat.
std::size_t output_period(const TestCase& c, const EvalResult& r) {
  std::size_t tiles = tiles_of(c);
  std::size_t n = r.values.size();
  if (tiles < 2 || r.shape.size() != 1 || n % tiles != 0) return 0;
  std::size_t p = n / tiles;
  for (std::size_t i = p; i < n; ++i)
    if (!(r.values[i].value == r.values[i % p].value) ||
        format_offset(r.values[i].offset_ulps) != format_offset(r.values[i % p].offset_ulps))
      return 0;
  return p;
}

}  // namespace

std::string format_case_line(const FunctionSpec& fn, const TestCase& c, const EvalResult& result,
                             const Tensor* upstream, bool has_upstream_column) {
  std::string s = c.family;
  for (const auto& in : fn.inputs) {
    auto it = c.args.inputs.find(in.name);
    s += " " + (it == c.args.inputs.end() ? std::string("-") : input_tensor_text(it->second, c.period));
  }
  if (has_upstream_column) s += " " + (upstream ? input_tensor_text(*upstream, 0) : std::string("-"));
  for (const auto& [k, v] : c.args.params) {
    if (v.empty() || v.find_first_of(" \t\n[];,") != std::string::npos)
      throw EvalError(fn.name + ": parameter " + k + " = '" + v + "' cannot be written in a vector file");
    s += " " + k + "=" + v;
  }
  const auto& values = result.values;
  const std::size_t out_period = output_period(c, result);
  auto same = [&values](std::size_t a, std::size_t b) {
    return values[a].value == values[b].value &&
           format_offset(values[a].offset_ulps) == format_offset(values[b].offset_ulps);
  };
  s += " -> " +
       tensor_text(
           result.shape, values.size(), [&values](std::size_t i) { return to_hex(values[i].value); }, same, out_period);
  s += " " + tensor_text(
                 result.shape, values.size(), [&values](std::size_t i) { return format_offset(values[i].offset_ulps); },
                 same, out_period);
  return s + "\n";
}

std::string generate_case_file(const Reference& reference, const FunctionSpec& fn, Format format,
                               const Provenance& provenance, const ProgressFn& progress, CaseFileStats* stats) {
  std::vector<TestCase> cases = generate_cases(reference, fn, format);
  CaseFileStats local;
  CaseFileStats& st = stats ? *stats : local;
  st = {};
  std::string body;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const TestCase& c = cases[i];
    EvalResult r;
    try {
      r = reference.evaluate(fn, format, c.args);
    } catch (const EvalError& e) {
      if (c.family != "case") {
        if (st.first_refusal.empty()) st.first_refusal = e.what();
        ++st.refused[c.family];
        continue;
      }
      throw EvalError(std::string(e.what()) + " (" + std::string(name(format)) + ", hand-picked case)");
    } catch (const UndecidedError& e) {
      throw UndecidedError(std::string(e.what()) + " (family " + c.family + ")");
    }
    if (c.period && r.values.size() > kLongOutputLimit && output_period(c, r) == 0) {
      ++st.long_skipped;  // too large to store: its outputs do not repeat like its inputs
      continue;
    }
    body += format_case_line(fn, c, r);
    ++st.cases;
    if (progress && (i % 16 == 15 || i + 1 == cases.size())) progress(i + 1, cases.size());
  }
  VectorHeader h = header_for(fn, format, VectorFileKind::cases, provenance);
  h.count = st.cases;
  return header_text(h) + body;
}

namespace {

// The seeded upstream gradient of one case: the shape of the forward output, multiples of 1/8
// in [-2, 2] (exact in every format; never all equal, so that a softmax VJP is not trivially 0).
Tensor upstream_for(const EvalResult& forward, Format format, std::uint64_t seed) {
  SplitMix64 rng(seed);
  Tensor g;
  g.shape = forward.shape;
  for (std::size_t i = 0; i < forward.values.size(); ++i) {
    long eighths = static_cast<long>(rng.below(33)) - 16;
    // Exact in every format: parse the binary64 value's hex text in the target format.
    g.values.push_back(*parse_value(to_hex(FloatBits::from_double(static_cast<double>(eighths) / 8.0)), format));
  }
  return g;
}

std::uint64_t name_seed(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (char ch : text) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
  return h;
}

std::size_t element_count(const Arguments& args) {
  std::size_t n = 0;
  for (const auto& [k, t] : args.inputs) n += t.values.size() + t.indices.size();
  return n;
}

bool all_finite(const Arguments& args) {
  for (const auto& [k, t] : args.inputs)
    for (const auto& v : t.values)
      if (v.is_nan() || v.is_inf()) return false;
  return true;
}

bool one_sample(const Arguments& args) {
  for (const auto& [k, t] : args.inputs)
    if (t.shape.size() > 1) return false;
  return true;
}

}  // namespace

std::string generate_gradient_file(const Reference& reference, const FunctionSpec& fn, const std::string& wrt,
                                   Format format, const Provenance& provenance, const ProgressFn& progress,
                                   CaseFileStats* stats) {
  if (!fn.gradients.count(wrt)) throw EvalError(fn.name + ": the spec gives no gradient with respect to '" + wrt + "'");
  std::vector<TestCase> cases = generate_cases(reference, fn, format);
  CaseFileStats local;
  CaseFileStats& st = stats ? *stats : local;
  st = {};
  const bool vector_output = fn.output == Shape::vector;
  const std::uint64_t seed = name_seed(fn.name + "/" + wrt + "/" + std::string(name(format)));
  // Proofs of the formula: binary64 cases of moderate size with finite inputs (the formula is
  // the same in every format; long rows add cost and no new derivative).
  constexpr std::size_t kProofElements = 64;
  std::string body;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    TestCase c = cases[i];
    std::optional<Tensor> g;
    EvalResult r;
    try {
      if (vector_output) {
        EvalResult forward = reference.evaluate(fn, format, c.args);
        g = upstream_for(forward, format, seed + i);
      }
      Arguments with_g = c.args;
      if (g) with_g.inputs["g"] = *g;
      r = reference.evaluate_gradient(fn, wrt, format, with_g);
    } catch (const EvalError& e) {
      if (c.family != "case") {
        if (st.first_refusal.empty()) st.first_refusal = e.what();
        ++st.refused[c.family];
        continue;
      }
      throw EvalError(std::string(e.what()) + " (" + std::string(name(format)) + ", gradient " + wrt +
                      ", hand-picked case)");
    } catch (const UndecidedError& e) {
      throw UndecidedError(std::string(e.what()) + " (gradient " + wrt + ", family " + c.family + ")");
    }
    if (format == Format::binary64 && element_count(c.args) <= kProofElements && all_finite(c.args) &&
        one_sample(c.args)) {
      Reference::GradientCheck check;
      try {
        check = reference.check_gradient(fn, wrt, c.args, seed + i);
      } catch (const EvalError&) {
        check.checked = false;  // outside the formula's domain along the direction
      }
      if (check.checked && !check.agrees)
        throw EvalError(fn.name + ": the gradient formula for '" + wrt + "' disagrees with the derivative of the "
                        "forward formula at " + format_case_line(fn, c, r).substr(0, 400) +
                        "  formula " + check.formula + ", derivative " + check.derivative);
      if (check.checked) ++st.gradient_proved;
    }
    if (c.period && r.values.size() > kLongOutputLimit && output_period(c, r) == 0) {
      ++st.long_skipped;
      continue;
    }
    body += format_case_line(fn, c, r, g ? &*g : nullptr, vector_output);
    ++st.cases;
    if (progress && (i % 16 == 15 || i + 1 == cases.size())) progress(i + 1, cases.size());
  }
  VectorHeader h = header_for(fn, format, VectorFileKind::cases, provenance);
  h.gradient = wrt;
  if (vector_output) h.inputs.push_back({"g", InputType::real, Shape::vector, true});
  h.count = st.cases;
  return header_text(h) + body;
}

std::string generate_exhaustive_table(const Reference& reference, const FunctionSpec& fn, Format format,
                                      const Provenance& provenance, const ProgressFn& progress) {
  if (info(format).storage_bits != 16)
    throw EvalError(fn.name + ": exhaustive tables are for binary16 and bfloat16, not " + std::string(name(format)));
  if (!wants_exhaustive_tables(fn)) throw EvalError(fn.name + ": the spec does not ask for exhaustive tables");
  const InputSpec* input = nullptr;
  for (const auto& i : fn.inputs)
    if (!i.optional) input = &i;
  const InputSpec& in = *input;
  std::string outputs(2 * kExhaustiveEntries, '\0'), offsets(kExhaustiveEntries, '\0');
  for (std::size_t i = 0; i < kExhaustiveEntries; ++i) {
    FloatBits x{format, static_cast<std::uint64_t>(i)};
    bool valid = x.is_nan() ? in.nan_allowed : (!in.domain || in.domain->contains(x.to_double()));
    GoldenValue g{FloatBits::quiet_nan(format), std::nan("")};
    if (valid) {
      Arguments args;
      args.inputs[in.name].values = {x};
      g = reference.evaluate(fn, format, args).values.at(0);
    }
    outputs[2 * i] = static_cast<char>(g.value.bits & 0xff);
    outputs[2 * i + 1] = static_cast<char>((g.value.bits >> 8) & 0xff);
    offsets[i] = static_cast<char>(offset_byte(g.offset_ulps));
    if (progress && (i % 1024 == 1023)) progress(i + 1, kExhaustiveEntries);
  }
  VectorHeader h = header_for(fn, format, VectorFileKind::exhaustive, provenance);
  h.count = kExhaustiveEntries;
  return header_text(h) + outputs + offsets;
}

// --- Checksums and the manifest. ---

namespace {
std::string hex_digest(const unsigned char* md, unsigned int len) {
  static const char* const kHex = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < len; ++i) {
    s += kHex[md[i] >> 4];
    s += kHex[md[i] & 0xf];
  }
  return s;
}
}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return hex_digest(md, len);
}

std::string sha256_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot open");
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) throw std::runtime_error("SHA-256 failed");
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw std::runtime_error(file.string() + ": read error");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return hex_digest(md, len);
}

Manifest read_manifest(const fs::path& file) {
  std::string where = file.string();
  std::string bytes = read_bytes(file);
  Manifest m;
  std::istringstream in(bytes);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (n == 1) {
      if (line != "# nnconform vectors manifest " + std::to_string(kVectorFormatVersion))
        fail(where, 1, "not a nnconform vectors manifest (version " + std::to_string(kVectorFormatVersion) + ")");
      continue;
    }
    if (line.rfind("# ", 0) == 0) {
      std::istringstream f(line.substr(2));
      std::string key;
      f >> key;
      if (key == "generator:") std::getline(f >> std::ws, m.generator);
      else if (key == "mpfr:") std::getline(f >> std::ws, m.mpfr);
      else if (key == "spec:") {
        std::string path, sha;
        if (!(f >> path >> sha)) fail(where, n, "malformed spec line");
        m.specs[path] = sha;
      }
      continue;
    }
    std::istringstream f(line);
    std::string sha, size, path, extra;
    if (!(f >> sha >> size >> path) || (f >> extra) || sha.size() != 64)
      fail(where, n, "expected '<sha256> <size> <path>'");
    ManifestEntry e;
    e.sha256 = sha;
    auto r = std::from_chars(size.data(), size.data() + size.size(), e.size);
    if (r.ec != std::errc() || r.ptr != size.data() + size.size()) fail(where, n, "bad size '" + size + "'");
    if (!m.files.emplace(path, e).second) fail(where, n, "'" + path + "' is listed twice");
  }
  if (n == 0) fail(where, 0, "empty manifest");
  if (!bytes.empty() && bytes.back() != '\n') fail(where, n, "truncated: the last line does not end in a newline");
  return m;
}

std::string format_manifest(const Manifest& m) {
  std::string s = "# nnconform vectors manifest " + std::to_string(kVectorFormatVersion) + "\n";
  s += "# lines: <sha256> <size in bytes> <path>; checked by nnconform verify\n";
  s += "# generator: " + m.generator + "\n";
  s += "# mpfr: " + m.mpfr + "\n";
  for (const auto& [path, sha] : m.specs) s += "# spec: " + path + " " + sha + "\n";
  for (const auto& [path, e] : m.files) s += e.sha256 + " " + std::to_string(e.size) + " " + path + "\n";
  return s;
}

}  // namespace nnconform::ref
