#!/usr/bin/env python3
"""nnconform adapter for NumPy and SciPy (Debian's python3-numpy, python3-scipy).

    nnconform check --impl cmd:"python3 adapters/python/scipy_adapter.py"
    python3 adapters/python/scipy_adapter.py --list

Each spec function maps to the SciPy/NumPy function a user would call, in float32 (binary32) and
float64 (binary64). Reductions over the class axis and over the batch use NumPy's sum and mean
(pairwise summation), as a user of these functions would. A parameter that the library has no
counterpart for (softplus's beta, a base-2 entropy, PyTorch's log-input flags) makes the case
unsupported rather than being emulated here.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from debian_python import require  # noqa: E402

require("numpy", "scipy")

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.special as sp  # noqa: E402

from nnconform_adapter import Adapter, Unsupported  # noqa: E402

adapter = Adapter(f"SciPy {scipy.__version__}, NumPy {np.__version__}")


def only(params, **defaults):
    """Refuses a case whose parameters differ from the values this mapping implements."""
    for k, v in defaults.items():
        if params.get(k, v) != v:
            raise Unsupported(f"{k}={params[k]} has no counterpart here")


def reduce(values, params):
    r = params.get("reduction", "mean")
    if r == "none":
        return values
    return np.sum(values) if r == "sum" else np.mean(values)


def real(params, name, dtype):
    """A real parameter as a caller of this format would hold it (rounded to the format)."""
    return dtype(float.fromhex(params[name]) if "0x" in params[name] else float(params[name]))


@adapter.function("sigmoid", elementwise=True)
def sigmoid(inputs, params, dtype):
    return sp.expit(inputs["x"])


@adapter.function("logsigmoid", elementwise=True)
def logsigmoid(inputs, params, dtype):
    return sp.log_expit(inputs["x"])


@adapter.function("tanh", elementwise=True)
def tanh(inputs, params, dtype):
    return np.tanh(inputs["x"])


@adapter.function("softplus", elementwise=True)
def softplus(inputs, params, dtype):
    # log(1 + e^x) = logaddexp(0, x), NumPy's documented stable form.
    only(params, beta="1", threshold="inf")
    return np.logaddexp(dtype(0), inputs["x"])


@adapter.function("softmax")
def softmax(inputs, params, dtype):
    return sp.softmax(inputs["z"], axis=int(params["axis"]))


@adapter.function("log_softmax")
def log_softmax(inputs, params, dtype):
    return sp.log_softmax(inputs["z"], axis=int(params["axis"]))


@adapter.function("logsumexp")
def logsumexp(inputs, params, dtype):
    return sp.logsumexp(inputs["z"], axis=int(params["axis"]))


@adapter.function("entropy")
def entropy(inputs, params, dtype):
    only(params, base="e")
    return reduce(sp.entr(inputs["p"]).sum(axis=-1), params)


@adapter.function("kl_divergence")
def kl_divergence(inputs, params, dtype):
    only(params, base="e", q_is_log="false", p_is_log="false", elementwise_mean="false")
    return reduce(sp.rel_entr(inputs["p"], inputs["q"]).sum(axis=-1), params)


@adapter.function("cross_entropy_dist")
def cross_entropy_dist(inputs, params, dtype):
    only(params, base="e")
    return reduce(-sp.xlogy(inputs["p"], inputs["q"]).sum(axis=-1), params)


@adapter.function("huber")
def huber(inputs, params, dtype):
    # scipy.special.huber(delta, r) takes the residual: y - yhat, rounded to the format, as a
    # user computes it.
    r = inputs["y"] - inputs["yhat"]
    return reduce(sp.huber(real(params, "delta", dtype), r), params)


@adapter.function("variance")
def variance(inputs, params, dtype):
    return np.var(inputs["x"], axis=-1, ddof=int(params["ddof"]))


if __name__ == "__main__":
    sys.exit(adapter.run())
