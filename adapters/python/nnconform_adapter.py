"""The nnconform batch protocol (adapters/README.md) for Python adapters.

An adapter creates an Adapter, registers one Python function per spec function with
@adapter.function(...), and calls adapter.run(). This module reads the batches nnconform sends
on stdin, hands each case's inputs to the registered function as NumPy arrays of the requested
dtype, and writes the outputs back as exact hex floats. It depends on NumPy only.

Elementwise functions (elementwise=True) are called once per run of scalar cases with the same
parameters, on whole arrays: that is the code path users hit (SIMD loops), where calling on one
scalar at a time could test another one.
"""

import sys
import time
import warnings

import numpy as np

PROTOCOL_VERSION = 1
DTYPES = {"binary32": np.float32, "binary64": np.float64}


class Unsupported(Exception):
    """Raised by an adapter function for a case its library does not provide."""


class Function:
    def __init__(self, name, compute, formats, elementwise, cast):
        self.name = name
        self.compute = compute
        self.formats = tuple(formats)
        self.elementwise = elementwise
        self.cast = cast


class Adapter:
    def __init__(self, description):
        self.description = description
        self.functions = {}

    def function(self, name, formats=("binary32", "binary64"), elementwise=False, cast=False):
        """Registers fn(inputs, params, dtype) -> array for the spec function `name`.

        inputs: {name: np.ndarray or None}, reals of `dtype`, index inputs int64, absent
        optional inputs None. params: {name: text}, every spec parameter. Return an array or
        scalar of `dtype` holding the outputs in row-major order. cast=True rounds a result of
        another floating type to `dtype` (for libraries that always return float64, such as
        scikit-learn's metrics); otherwise such a result is reported as an error.
        """
        for f in formats:
            if f not in DTYPES:
                raise ValueError(f"{name}: unknown format {f}")

        def register(compute):
            self.functions[name] = Function(name, compute, formats, elementwise, cast)
            return compute

        return register

    # --- Protocol. ------------------------------------------------------------------------

    def run(self, argv=None):
        argv = sys.argv[1:] if argv is None else argv
        if "--list" in argv:
            print(self.description)
            for f in sorted(self.functions):
                print(f"  {f}: {' '.join(self.functions[f].formats)}")
            return 0
        # Libraries must not write on the protocol's stdout: keep it for answers, and send
        # anything else printed to stderr.
        out = sys.stdout
        sys.stdout = sys.stderr
        warnings.simplefilter("ignore")
        np.seterr(all="ignore")
        out.write(f"nnconform-protocol {PROTOCOL_VERSION}\n")
        out.write(f"implementation {self.description}\n")
        for f in sorted(self.functions):
            out.write(f"supports {f} {' '.join(self.functions[f].formats)}\n")
        out.write("ready\n")
        out.flush()
        stdin = sys.stdin
        while True:
            line = stdin.readline()
            if not line:
                return 0
            words = line.split()
            if not words:
                continue
            if words[0] != "batch" or len(words) != 4:
                print(f"nnconform_adapter: unexpected request: {line[:80]!r}", file=sys.stderr)
                return 3
            name, fmt, count = words[1], words[2], int(words[3])
            decls = stdin.readline().split()[1:]
            cases = [stdin.readline() for _ in range(count)]
            stdin.readline()  # end
            # Answers go out as they are computed (flushed at least every 0.2 s): nnconform
            # takes a long silence for a hang (--timeout).
            last = time.monotonic()
            for answer in self._batch(name, fmt, decls, cases):
                out.write(answer + "\n")
                if time.monotonic() - last > 0.2:
                    out.flush()
                    last = time.monotonic()
            out.flush()

    def _batch(self, name, fmt, decls, case_lines):
        """Yields one answer per case, in order."""
        fn = self.functions.get(name)
        if fn is None or fmt not in fn.formats:
            yield from [f"unsupported {name} {fmt} is not provided by this adapter"] * len(case_lines)
            return
        dtype = DTYPES[fmt]
        inputs_decl = [d.split(":") for d in decls]  # name, type, shape[, optional]
        parsed = []
        for line in case_lines:
            try:
                parsed.append(_parse_case(line, inputs_decl, dtype))
            except Exception as e:  # a malformed request: answer, do not die
                parsed.append(e)
        answers = [None] * len(parsed)
        if fn.elementwise:
            self._grouped(fn, dtype, parsed, answers)
        for i, case in enumerate(parsed):
            yield answers[i] if answers[i] is not None else self._one(fn, dtype, case)

    def _one(self, fn, dtype, case):
        if isinstance(case, Exception):
            return f"error bad request: {case}"
        inputs, params = case
        try:
            result = fn.compute(inputs, params, dtype)
            return "ok " + _format_outputs(result, dtype, fn)
        except Unsupported as e:
            return "unsupported " + _one_line(str(e) or "unsupported")
        except Exception as e:
            return "error " + _one_line(f"{type(e).__name__}: {e}")

    def _grouped(self, fn, dtype, parsed, answers):
        """Runs the scalar cases sharing the same parameters as one array call."""
        groups = {}
        for i, case in enumerate(parsed):
            if isinstance(case, Exception):
                continue
            inputs, params = case
            if any(v is not None and v.ndim != 0 for v in inputs.values()):
                continue
            key = (tuple(sorted(params.items())), tuple(k for k, v in inputs.items() if v is None))
            groups.setdefault(key, []).append(i)
        for indices in groups.values():
            if len(indices) < 2:
                continue
            first_inputs, params = parsed[indices[0]]
            stacked = {}
            for k, v in first_inputs.items():
                stacked[k] = None if v is None else np.array([parsed[i][0][k] for i in indices], dtype=v.dtype)
            try:
                result = np.asarray(fn.compute(stacked, params, dtype))
                result = _checked_dtype(result, dtype, fn)
                if result.shape != (len(indices),):
                    continue  # let each case answer (and explain) on its own
            except Exception:
                continue  # some case in the group fails: answer them one by one
            texts = _hex_list(result)
            for j, i in enumerate(indices):
                answers[i] = "ok " + texts[j]


def _one_line(s):
    return " ".join(str(s).split())[:500]


def _parse_value(text, dtype, index):
    if index:
        return int(text)
    return float.fromhex(text) if "0x" in text else float(text)


def _parse_tensor(token, dtype, index):
    if token == "-":
        return None
    target = np.int64 if index else dtype
    if token[0] != "[":
        return np.array(_parse_value(token, dtype, index), dtype=target)
    body = token[1:-1]
    if not body:
        return np.zeros((0,), dtype=target)
    rows = body.split(";")
    values = [[_parse_value(t, dtype, index) for t in row.split(",")] for row in rows]
    # Hex floats are exact in float64, and exactly representable in dtype: the cast is exact.
    arr = np.array(values, dtype=np.float64 if not index else np.int64).astype(target)
    return arr if len(rows) > 1 else arr[0]


def _parse_case(line, decls, dtype):
    words = line.split()
    if not words or words[0] != "case":
        raise ValueError(f"not a case line: {line[:60]!r}")
    tokens = words[1 : 1 + len(decls)]
    inputs = {}
    for d, tok in zip(decls, tokens):
        inputs[d[0]] = _parse_tensor(tok, dtype, d[1] == "index")
    params = {}
    for w in words[1 + len(decls) :]:
        k, _, v = w.partition("=")
        params[k] = v
    return inputs, params


def _checked_dtype(result, dtype, fn):
    if result.dtype != dtype:
        if fn.cast and np.issubdtype(result.dtype, np.floating):
            return result.astype(dtype)
        raise TypeError(f"{fn.name} returned {result.dtype} for a {np.dtype(dtype).name} request")
    return result


def _hex_list(arr):
    return [float.hex(v) for v in arr.ravel().tolist()]


def _format_outputs(result, dtype, fn):
    arr = _checked_dtype(np.asarray(result), dtype, fn)
    values = _hex_list(arr)
    if arr.ndim == 0:
        return values[0]
    return "[" + ",".join(values) + "]"


def library_version(module):
    return getattr(module, "__version__", "?")


if __name__ == "__main__":
    print("This module is imported by the adapters (scipy_adapter.py, sklearn_adapter.py, torch_adapter.py).",
          file=sys.stderr)
    sys.exit(2)
