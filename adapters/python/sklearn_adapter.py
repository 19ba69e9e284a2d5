#!/usr/bin/env python3
"""nnconform adapter for scikit-learn's metrics (Debian's python3-sklearn).

    nnconform check --impl cmd:"python3 adapters/python/sklearn_adapter.py" --profile framework:sklearn

scikit-learn's metrics return one number for a whole batch (the mean over samples), so only
reduction=mean cases are provided. They take float32 inputs but return a Python float
(binary64); for binary32 the result is rounded to float32, as a caller storing it would.
Where scikit-learn documents a convention of its own (log_loss clipping probabilities at the
dtype's machine epsilon, mean_absolute_percentage_error returning a fraction and flooring |y|
at float64 epsilon), the case's spec defaults are not forced on it: nnconform labels the
difference with the spec's `sklearn` convention.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from debian_python import require  # noqa: E402

require("numpy", "sklearn")

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import sklearn.metrics as m  # noqa: E402

from nnconform_adapter import Adapter, Unsupported  # noqa: E402

adapter = Adapter(f"scikit-learn {sklearn.__version__}, NumPy {np.__version__}")


def mean_only(params):
    if params.get("reduction", "mean") != "mean":
        raise Unsupported(f"scikit-learn's metrics average over samples; no reduction={params['reduction']}")


def finite(*arrays):
    # scikit-learn validates its inputs (check_array) and refuses NaN and infinities by design.
    for a in arrays:
        if not np.isfinite(a).all():
            raise Unsupported("scikit-learn refuses NaN and infinite inputs (input validation)")
    return arrays


def flat(a):
    return np.atleast_1d(a).ravel()


def regression(metric):
    def compute(inputs, params, dtype):
        mean_only(params)
        y, yhat = finite(flat(inputs["y"]), flat(inputs["yhat"]))
        return metric(y, yhat)

    return compute


for name, metric in [("mse", m.mean_squared_error), ("mae", m.mean_absolute_error)]:
    adapter.function(name, cast=True)(regression(metric))


@adapter.function("msle", cast=True)
def msle(inputs, params, dtype):
    mean_only(params)
    y, yhat = finite(flat(inputs["y"]), flat(inputs["yhat"]))
    if (y < 0).any() or (yhat < 0).any():  # documented: it refuses negative values
        raise Unsupported("mean_squared_log_error takes no negative values")
    return m.mean_squared_log_error(y, yhat)


@adapter.function("mape", cast=True)
def mape(inputs, params, dtype):
    mean_only(params)
    # scikit-learn returns the fraction (scale 1) with |y| floored at float64 epsilon: its own
    # convention, left for nnconform to label. Other settings have no counterpart.
    if params.get("epsilon", "0") != "0":
        raise Unsupported("mean_absolute_percentage_error has no epsilon parameter")
    if params.get("scale", "100") not in ("100", "1"):
        raise Unsupported("mean_absolute_percentage_error has no scale parameter")
    y, yhat = finite(flat(inputs["y"]), flat(inputs["yhat"]))
    return m.mean_absolute_percentage_error(y, yhat)


@adapter.function("hinge", cast=True)
def hinge(inputs, params, dtype):
    mean_only(params)
    y, s = finite(flat(inputs["y"]), flat(inputs["s"]))
    # The label set is given, as the documentation advises: inferred from y alone, a batch of
    # one class would be encoded as all negative.
    labels = [-1, 1] if params.get("label_encoding", "pm1") == "pm1" else [0, 1]
    return m.hinge_loss(y, s, labels=labels)


@adapter.function("log_loss", cast=True)
def log_loss(inputs, params, dtype):
    mean_only(params)
    y, q = finite(np.atleast_2d(inputs["y"]), np.atleast_2d(inputs["q"]))
    # log_loss takes class labels: one-hot rows only (soft targets have no counterpart).
    if not ((y == 0) | (y == 1)).all() or not (y.sum(axis=1) == 1).all():
        raise Unsupported("log_loss takes class labels, not soft targets")
    if q.shape[1] < 2:
        raise Unsupported("log_loss needs at least two classes")
    kwargs = {}
    if params.get("eps", "0") != "0":
        kwargs["eps"] = float(params["eps"])
    return m.log_loss(y.argmax(axis=1), q, labels=list(range(q.shape[1])), **kwargs)


if __name__ == "__main__":
    sys.exit(adapter.run())
