/* nnconform_abi.h: the C ABI of an implementation under test, version 1.
 *
 * A shared library that exports the functions below can be checked with
 *
 *     nnconform check --impl lib:path/to/libmine.so
 *
 * nnconform never loads the library into its own process: it starts `nnconform-abi-runner`,
 * which dlopen()s the library and calls it, one test case at a time, while nnconform watches
 * from outside. A crash, an abort, an exit or a hang (no answer within --timeout seconds) in the
 * library is then reported as a failure of the function being checked, and the run goes on with
 * a fresh runner for the next function. See abi/README.md for a complete example.
 *
 * The contract
 * ------------
 * - The library declares what it implements (nnconform_functions) and computes one test case
 *   per call (nnconform_compute). Function, input and parameter names are those of the YAML
 *   specs under spec/ (`nnconform list` prints them): "sigmoid", "cross_entropy" with inputs
 *   "z" and "t", parameter "reduction", and so on.
 * - Calls come from one thread, one at a time. The library may keep state between calls.
 * - Real values are passed and returned in the target format itself (no widening): binary64 as
 *   double, binary32 as float, binary16 and bfloat16 as their uint16_t bit patterns. Index
 *   inputs (class labels) are int64_t. Everything is in the host's native byte order.
 * - Tensors are dense and row-major: rank 0 is one scalar, rank 1 a vector [n], rank 2 a batch
 *   of rows [rows, n] (vector functions such as softmax work along the last axis unless the
 *   spec's `axis` parameter says otherwise).
 * - The number and order of outputs are the spec's: an elementwise function returns one value
 *   per input element; a function with a `reduction` parameter returns one value per sample for
 *   reduction=none and a single value for mean and sum; a function of rows returns one value
 *   (or one row, for softmax-like functions) per row. Returning another count is reported as
 *   "wrong number of outputs".
 * - Writing to stdout is harmless: the runner moves the library's stdout to its stderr before
 *   loading it, so stray prints never corrupt the conversation with nnconform.
 */
#ifndef NNCONFORM_ABI_H
#define NNCONFORM_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The exported functions below keep default visibility even when the library is built with
 * -fvisibility=hidden. */
#if defined(__GNUC__)
#define NNCONFORM_ABI_EXPORT __attribute__((visibility("default")))
#else
#define NNCONFORM_ABI_EXPORT
#endif

/* The version of this header. nnconform_abi_version() must return the value the library was
 * compiled with; the runner refuses a library of another major version. */
#define NNCONFORM_ABI_VERSION 1

/* Target formats (IEEE 754 binary64, binary32, binary16, and bfloat16). */
typedef enum nnconform_format {
  NNCONFORM_BINARY64 = 0, /* double */
  NNCONFORM_BINARY32 = 1, /* float */
  NNCONFORM_BINARY16 = 2, /* uint16_t bit pattern */
  NNCONFORM_BFLOAT16 = 3  /* uint16_t bit pattern (the upper half of a binary32) */
} nnconform_format;

/* Bit masks of formats, for nnconform_function_info.formats. */
#define NNCONFORM_FORMAT_BIT(f) (1u << (unsigned)(f))
#define NNCONFORM_FLOAT_AND_DOUBLE (NNCONFORM_FORMAT_BIT(NNCONFORM_BINARY64) | NNCONFORM_FORMAT_BIT(NNCONFORM_BINARY32))

typedef enum nnconform_kind {
  NNCONFORM_REAL = 0,  /* values in the call's format */
  NNCONFORM_INDEX = 1  /* int64_t: class indices */
} nnconform_kind;

/* What nnconform_compute returns. */
typedef enum nnconform_status {
  NNCONFORM_OK = 0,          /* outputs written, result->count set */
  NNCONFORM_UNSUPPORTED = 1, /* this case uses something the library does not provide (a
                                parameter value, an optional input, a shape): skipped, not a
                                failure; say what in result->message */
  NNCONFORM_ERROR = 2        /* the library failed on this case: a failure; say why in
                                result->message */
} nnconform_status;

/* One named input. */
typedef struct nnconform_tensor {
  const char* name;     /* the spec's input name: "x", "z", "t", "y", "yhat", "p", "q", "w"... */
  int kind;             /* nnconform_kind */
  int rank;             /* 0 (scalar), 1 ([n]) or 2 ([rows, n]) */
  const size_t* shape;  /* `rank` extents; NULL when rank is 0 */
  size_t count;         /* number of values: the product of the extents (1 for a scalar) */
  const void* data;     /* `count` values: the format's type (REAL) or int64_t (INDEX) */
} nnconform_tensor;

/* One parameter, as text exactly as the spec and the golden vectors write it: "1", "0.5",
 * "1e-07", "inf", "mean", "pytorch", "true"... Reals are decimal or C99 hex floats; read them
 * with strtod (or strtof for binary32, rounding directly into the format). */
typedef struct nnconform_param {
  const char* name;
  const char* value;
} nnconform_param;

/* One test case. */
typedef struct nnconform_call {
  const char* function;           /* the spec's function name */
  int format;                     /* nnconform_format */
  size_t input_count;
  const nnconform_tensor* inputs; /* in the spec's order; an optional input that the case
                                     leaves out is absent (its spec default applies) */
  size_t param_count;
  const nnconform_param* params;  /* every parameter of the spec, defaults filled in, in the
                                     spec's order */
} nnconform_call;

/* Where the outputs go. */
typedef struct nnconform_result {
  void* data;              /* room for `capacity` values of the call's format */
  size_t capacity;         /* at least twice the largest input's count, plus 16 */
  size_t count;            /* out: the number of values written (set it also on failure if
                              the library knows it needed more than `capacity`) */
  char* message;           /* out, optional: a NUL-terminated reason for UNSUPPORTED or ERROR */
  size_t message_capacity; /* bytes available at `message`, including the NUL */
} nnconform_result;

/* What the library implements: an array ending with {NULL, 0}. */
typedef struct nnconform_function_info {
  const char* function;  /* the spec's function name (aliases are accepted too) */
  unsigned formats;      /* NNCONFORM_FORMAT_BIT(...) of each supported format */
} nnconform_function_info;

/* --- Exported by the library under test (extern "C", default visibility). --- */

/* Required: NNCONFORM_ABI_VERSION as compiled. */
NNCONFORM_ABI_EXPORT int nnconform_abi_version(void);

/* Required: the functions and formats the library provides. Called once, after loading. */
NNCONFORM_ABI_EXPORT const nnconform_function_info* nnconform_functions(void);

/* Required: computes one case. Returns an nnconform_status. */
NNCONFORM_ABI_EXPORT int nnconform_compute(const nnconform_call* call, nnconform_result* result);

/* Optional: a one-line description shown in reports ("mylib 2.3, AVX2 kernels"). */
NNCONFORM_ABI_EXPORT const char* nnconform_implementation_name(void);

/* Function-pointer types, for loaders. */
typedef int (*nnconform_abi_version_fn)(void);
typedef const nnconform_function_info* (*nnconform_functions_fn)(void);
typedef int (*nnconform_compute_fn)(const nnconform_call*, nnconform_result*);
typedef const char* (*nnconform_implementation_name_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* NNCONFORM_ABI_H */
