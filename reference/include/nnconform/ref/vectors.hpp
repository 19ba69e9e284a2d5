// Golden-vector files: writing them (nnconform gen), reading them (nnconform verify, the
// conformance harness, anyone), their SHA-256 manifest.
//
// A vector tree holds, per function and format (paths relative to the tree):
//   <family>/<function>/<format>.txt         cases: one test case a line, exact hex floats
//   <family>/<function>/<format>.exhaustive  binary16/bfloat16 only, unary functions: the
//                                            output of every one of the 65536 inputs
//   <family>/<function>/grad_<input>/<format>.txt
//                                            cases of the gradient with respect to <input>
//                                            (an input or a learned parameter): a case file
//                                            whose header says "gradient: <input>"; functions
//                                            with vector outputs take the upstream gradient as
//                                            one more input, g
//   MANIFEST                                 SHA-256 and size of every file, provenance
// vectors/README.md documents both formats for readers in other languages.
//
// Case files (<format>.txt), UTF-8 text without byte-order mark, lines end in "\n":
//   # nnconform golden vectors 1              first line; the number is the format version
//   # key: value                              header fields (see VectorHeader), then
//   <family> <input>... [<param>=<value>...] -> <output> <offset>
// One case a line, single spaces between tokens:
//   <family>   the input family it was drawn from (special, thresholds, ..., case)
//   <input>    one token per input, in the order of the `inputs` header field: a scalar
//              (0x1.8p+3, -0x0p+0, inf, -inf, nan; an index input is a decimal integer),
//              a vector [a,b,c], a batch of rows [a,b;c,d], or a vector that repeats a block
//              k times [a,b,c]*k (length 3k); "-" for an optional input left out
//   param      only parameters that differ from their defaults (the `params` header field)
//   <output>   the golden outputs, correctly rounded, in the same tensor notation
//   <offset>   per output, where the exact value lies: (exact - golden) / ulp(golden) in
//              [-0.5, 0.5] (ulp of the golden value's binade; the subnormal quantum below the
//              normal range), as a decimal with 3 places ("+0.123", "-0.500"; "+0.000" is
//              a non-zero offset below 0.0005), "0" when the golden value is exact, "nan"
//              when there is none (NaN or infinite golden value); same tensor shape as <output>
// Values are C99 hex floats as printed by to_hex() (normalized, also for subnormals), exactly
// representable in the file's format.
//
// Exhaustive tables (<format>.exhaustive): the same kind of text header, ending with the line
// "# end-of-header", then exactly 196608 bytes: 65536 uint16 little-endian output bit patterns
// (entry i is the output for the input whose bit pattern is i), then 65536 int8 offsets in units
// of 1/256 ulp (rounded, saturated at +-127; -128 when there is none: a NaN or infinite output).
// Inputs outside the input's domain, or NaN where the spec forbids it, hold the quiet NaN with
// offset -128.
//
// MANIFEST: text, "# " comment lines (format version, generator, MPFR version, and one
// "# spec: <path> <sha256>" per spec file), then one line per data file, sorted by path:
//   <sha256 hex> <size in bytes> <path relative to the tree, '/'-separated>
//
// Reading, in short:
//   VectorFile f = read_vector_file(dir / vector_file_path(fn, format, VectorFileKind::cases));
//   for (const VectorCase& c : f.cases)   // c.args: inputs as Tensors + non-default params,
//     ...                                 // c.expected: golden Tensor, c.offsets_ulps, c.line
//   ExhaustiveTable t = read_exhaustive_table(...);  // t.outputs[i] = f(t.input(i))
// Both check the whole file (header fields, token syntax, exact representability, the case
// count, the payload size) and throw VectorFormatError("path:line: what") on any damage.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/families.hpp"
#include "nnconform/ref/format.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::ref {

inline constexpr int kVectorFormatVersion = 1;
inline constexpr std::size_t kExhaustiveEntries = 65536;
inline constexpr const char* kManifestName = "MANIFEST";

// A malformed, truncated or inconsistent vector or manifest file; the message starts with
// "path:line: " (line 0 for the binary payload or the file as a whole).
class VectorFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class VectorFileKind { cases, exhaustive };

struct VectorInput {
  std::string name;
  InputType type = InputType::real;
  Shape shape = Shape::scalar;
  bool optional = false;  // "-" in a case line: absent (the spec's default applies)
};

// The header of a vector file, both kinds. Text form: "# key: value", in this order.
struct VectorHeader {
  VectorFileKind kind = VectorFileKind::cases;  // kind: cases | exhaustive
  std::string function;                         // function: sigmoid
  std::string family;                           // family: activation
  Format format = Format::binary64;             // format: binary32
  std::string gradient;                         // gradient: x  (gradient files only; then the
                                                //   outputs are the correctly rounded gradient of
                                                //   the reduced output, contracted with g)
  std::vector<VectorInput> inputs;              // inputs: z:real:vector t:index:scalar w:real:vector:optional
  std::vector<std::string> params;              // params: reduction=mean base=e k  (or "-"):
  std::map<std::string, std::string> defaults;  //   every parameter, with its default if it has one
  std::string spec_file;                        // spec: activations/sigmoid.yaml (relative)
  std::string spec_sha256;                      // spec-sha256: <hex>
  std::string generator;                        // generator: nnconform 0.1.0
  std::string mpfr;                             // mpfr: 4.2.0
  std::string command;                          // command: nnconform gen --function ... --format ...
  std::size_t count = 0;                        // cases: N  |  entries: 65536
};

// One case of a case file.
struct VectorCase {
  std::size_t line = 0;  // 1-based line in the file
  std::string family;    // input family tag
  Arguments args;        // inputs (real: FloatBits in the file's format; index: integers) and
                         // the non-default parameters, ready for Reference::evaluate
  Tensor expected;       // golden outputs: shape [] (one value), [n] or [rows, n]
  std::vector<double> offsets_ulps;  // one per expected value; NaN where there is none
};

struct VectorFile {
  std::filesystem::path path;
  VectorHeader header;
  std::vector<VectorCase> cases;
};

struct ExhaustiveTable {
  std::filesystem::path path;
  VectorHeader header;
  std::vector<FloatBits> outputs;     // 65536, indexed by the input's bit pattern
  std::vector<double> offsets_ulps;   // 65536, multiples of 1/256; NaN where there is none
  FloatBits input(std::size_t i) const { return {header.format, static_cast<std::uint64_t>(i)}; }
};

// --- Reading (throws VectorFormatError naming the file and line). ---
VectorHeader read_vector_header(const std::filesystem::path& file);
VectorFile read_vector_file(const std::filesystem::path& file);             // kind cases
ExhaustiveTable read_exhaustive_table(const std::filesystem::path& file);  // kind exhaustive
// Parses one case line (without its "\n") of a file with this header.
VectorCase parse_case_line(const VectorHeader& header, std::string_view line, std::size_t line_number,
                           const std::string& where = "");

// The data files below a vector tree (relative, sorted): every regular file except MANIFEST
// and README.md, whatever its name, so that foreign files are seen too.
std::vector<std::string> list_tree_files(const std::filesystem::path& dir);
// Where a function's file goes: "activation/sigmoid/binary32.txt".
std::string vector_file_path(const FunctionSpec& fn, Format format, VectorFileKind kind);
// Where its gradient file goes: "activation/sigmoid/grad_x/binary32.txt".
std::string gradient_file_path(const FunctionSpec& fn, const std::string& wrt, Format format);

// --- Writing. ---
struct Provenance {
  std::string spec_file;    // relative to the spec directory, '/'-separated
  std::string spec_sha256;
  std::string command;      // the command that regenerates the file (no paths, no dates)
};
using ProgressFn = std::function<void(std::size_t done, std::size_t total)>;

std::string generator_version();  // "nnconform <NNCONFORM_GENERATOR_VERSION>"
std::string mpfr_runtime_version();  // MPFR's run-time version (mpfr_get_version)

struct CaseFileStats {
  std::size_t cases = 0;
  // Generated cases the reference refused as bad input (a spec requirement beyond the input
  // domains, a length that is not a multiple of a group size...): left out of the file.
  std::map<std::string, std::size_t> refused;  // family -> count
  std::string first_refusal;                   // the reference's message for the first one
  // Long tiled cases (TestCase::period) whose outputs do not repeat like their inputs (crelu's
  // concatenation, hardmax's one-hot) and exceed 4096 values: too large to store, left out.
  std::size_t long_skipped = 0;
  std::size_t gradient_proved = 0;  // gradient files: points where the formula was proved
};

// The text of a case file: generate_cases() evaluated with the reference. Generated cases the
// reference refuses as bad input are left out (and counted in stats); a refused hand-picked
// case, or any undecided one, throws EvalError or UndecidedError naming the case.
std::string generate_case_file(const Reference& reference, const FunctionSpec& fn, Format format,
                               const Provenance& provenance, const ProgressFn& progress = {},
                               CaseFileStats* stats = nullptr);
// The text of a gradient file: the gradient with respect to `wrt` at the same generated cases
// (functions with a vector output also get a seeded upstream gradient g, multiples of 1/8 in
// [-2, 2], exact in every format). On binary64 cases of moderate size, the gradient formula is
// first proved against interval automatic differentiation of the forward formula
// (Reference::check_gradient): a formula that disagrees throws EvalError naming the function,
// the input and both enclosures. stats->gradient_proved counts the points proved.
std::string generate_gradient_file(const Reference& reference, const FunctionSpec& fn, const std::string& wrt,
                                   Format format, const Provenance& provenance, const ProgressFn& progress = {},
                                   CaseFileStats* stats = nullptr);
// The bytes of an exhaustive table (format binary16 or bfloat16, unary fn).
std::string generate_exhaustive_table(const Reference& reference, const FunctionSpec& fn, Format format,
                                      const Provenance& provenance, const ProgressFn& progress = {});

// Pieces of the text format, shared by writer, reader and verify.
std::string format_offset(double offset_ulps);  // "0", "+0.123", "nan"
std::int8_t offset_byte(double offset_ulps);    // exhaustive tables: 1/256 ulp, -128 for none
// `upstream`: the g token of a gradient file's case (null: none, or a forward file).
std::string format_case_line(const FunctionSpec& fn, const TestCase& c, const EvalResult& result,
                             const Tensor* upstream = nullptr, bool has_upstream_column = false);

// --- Checksums and the manifest. ---
std::string sha256_hex(std::string_view bytes);
std::string sha256_file(const std::filesystem::path& file);  // throws std::runtime_error

struct ManifestEntry {
  std::string sha256;
  std::uintmax_t size = 0;
};
struct Manifest {
  std::string generator;                       // of the last gen that wrote it
  std::string mpfr;
  std::map<std::string, std::string> specs;    // spec file (relative) -> sha256
  std::map<std::string, ManifestEntry> files;  // data file (relative, '/') -> checksum
};
Manifest read_manifest(const std::filesystem::path& file);  // throws VectorFormatError
std::string format_manifest(const Manifest& manifest);

}  // namespace nnconform::ref
