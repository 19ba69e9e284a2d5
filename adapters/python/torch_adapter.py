#!/usr/bin/env python3
"""nnconform adapter for PyTorch (Debian's python3-torch), CPU, float32 and float64.

    nnconform check --impl cmd:"python3 adapters/python/torch_adapter.py" --profile framework:pytorch

Each spec function maps to torch.nn.functional (or torch) as users call it. A spec parameter at
its default is not forced on PyTorch, whose own defaults then apply: that is how PyTorch's
documented conventions show up in the report, labeled (softplus linearizing where beta*x > 20,
binary_cross_entropy clamping each log at -100, kl_div's reduction='mean' averaging over every
element). A parameter set to another value is passed through where PyTorch has it.

One thread (torch.set_num_threads(1)), so that reductions are reproducible run to run.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from debian_python import require  # noqa: E402

require("numpy", "torch")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from nnconform_adapter import Adapter, Unsupported  # noqa: E402

torch.set_num_threads(1)
adapter = Adapter(f"PyTorch {torch.__version__} (CPU, 1 thread), NumPy {np.__version__}")


def t(a):
    return None if a is None else torch.from_numpy(np.ascontiguousarray(a))


def out(x):
    return x.detach().numpy()


def real(params, name):
    v = params[name]
    return float.fromhex(v) if "0x" in v else float(v)


def changed(params, name, default):
    """The parameter's value when the case sets it to something else than the spec default."""
    v = params.get(name, default)
    return None if v == default else v


def only(params, **defaults):
    for k, v in defaults.items():
        if params.get(k, v) != v:
            raise Unsupported(f"{k}={params[k]} has no counterpart in PyTorch")


def reduction(params, default="mean"):
    """The case's reduction, or None when it is the spec default (PyTorch's default applies)."""
    return changed(params, "reduction", default)


def kw(**kwargs):
    return {k: v for k, v in kwargs.items() if v is not None}


def elementwise(name, fn):
    adapter.function(name, elementwise=True)(lambda i, p, d: out(fn(t(i["x"]))))


for _name, _fn in [("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", F.relu), ("relu6", F.relu6),
                   ("selu", F.selu), ("silu", F.silu), ("mish", F.mish), ("gelu", F.gelu),
                   ("logsigmoid", F.logsigmoid), ("hardsigmoid", F.hardsigmoid), ("hardswish", F.hardswish)]:
    elementwise(_name, _fn)


@adapter.function("gelu_tanh", elementwise=True)
def gelu_tanh(i, p, d):
    return out(F.gelu(t(i["x"]), approximate="tanh"))


@adapter.function("leaky_relu", elementwise=True)
def leaky_relu(i, p, d):
    a = changed(p, "a", "0.01")
    return out(F.leaky_relu(t(i["x"]), **kw(negative_slope=None if a is None else real(p, "a"))))


@adapter.function("elu", elementwise=True)
def elu(i, p, d):
    a = changed(p, "alpha", "1")
    return out(F.elu(t(i["x"]), **kw(alpha=None if a is None else real(p, "alpha"))))


@adapter.function("softplus", elementwise=True)
def softplus(i, p, d):
    beta = changed(p, "beta", "1")
    threshold = changed(p, "threshold", "inf")
    return out(F.softplus(t(i["x"]), **kw(beta=None if beta is None else real(p, "beta"),
                                         threshold=None if threshold is None else real(p, "threshold"))))


def along(fn):
    return lambda i, p, d: out(fn(t(i["z"]), dim=int(p["axis"])))


adapter.function("softmax")(along(F.softmax))
adapter.function("log_softmax")(along(F.log_softmax))
adapter.function("logsumexp")(along(torch.logsumexp))


def logits_and_targets(i):
    """z and t as PyTorch takes them: a single sample is z [C] with t [], or a batch of one."""
    z, target = t(i["z"]), t(i["t"])
    if z.dim() == 1 and target.dim() == 1:
        z = z.unsqueeze(0)
    return z, target


@adapter.function("cross_entropy")
def cross_entropy(i, p, d):
    ignore = changed(p, "ignore_index", "-100")
    smoothing = changed(p, "label_smoothing", "0")
    z, target = logits_and_targets(i)
    return out(F.cross_entropy(z, target, **kw(
        weight=t(i.get("w")), reduction=reduction(p), ignore_index=None if ignore is None else int(ignore),
        label_smoothing=None if smoothing is None else real(p, "label_smoothing"))))


@adapter.function("nll_loss")
def nll_loss(i, p, d):
    ignore = changed(p, "ignore_index", "-100")
    z, target = logits_and_targets(i)
    return out(F.nll_loss(z, target, **kw(weight=t(i.get("w")), reduction=reduction(p),
                                                     ignore_index=None if ignore is None else int(ignore))))


@adapter.function("categorical_cross_entropy")
def categorical_cross_entropy(i, p, d):
    # F.cross_entropy with class probabilities as the target: logits only.
    if p.get("from_logits") != "true":
        raise Unsupported("PyTorch's cross_entropy takes logits (from_logits=true)")
    only(p, clip="none")
    return out(F.cross_entropy(t(i["q"]), t(i["y"]), **kw(reduction=reduction(p))))


@adapter.function("binary_cross_entropy")
def binary_cross_entropy(i, p, d):
    # PyTorch clamps each log at -100 whatever is asked: clamp=none (the spec default) is left
    # to that convention; Keras's clip has no counterpart.
    if p.get("clamp", "none") == "keras":
        raise Unsupported("PyTorch has no Keras-style clip of p")
    if np.isnan(i["p"]).any():
        raise Unsupported("PyTorch refuses NaN probabilities (RuntimeError: all elements of input should be between 0 and 1)")
    return out(F.binary_cross_entropy(t(i["p"]), t(i["y"]), **kw(weight=t(i.get("w")), reduction=reduction(p))))


@adapter.function("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(i, p, d):
    pw = changed(p, "pos_weight", "1")
    pos_weight = None if pw is None else torch.tensor(real(p, "pos_weight"), dtype=torch.float32 if d == np.float32 else torch.float64)
    return out(F.binary_cross_entropy_with_logits(t(i["s"]), t(i["y"]), **kw(
        weight=t(i.get("w")), pos_weight=pos_weight, reduction=reduction(p))))


@adapter.function("multilabel_bce")
def multilabel_bce(i, p, d):
    return out(F.multilabel_soft_margin_loss(t(i["s"]), t(i["y"]), **kw(reduction=reduction(p))))


@adapter.function("logistic_loss")
def logistic_loss(i, p, d):
    return out(F.soft_margin_loss(t(i["s"]), t(i["y"]), **kw(reduction=reduction(p))))


@adapter.function("kl_divergence")
def kl_divergence(i, p, d):
    only(p, base="e")
    q, target = t(i["q"]), t(i["p"])
    if p.get("q_is_log") != "true":
        q = torch.log(q)  # kl_div takes log q: the user's log, in the format
    # At the spec's default reduction (mean) PyTorch's default applies: 'mean' over every element,
    # which is the spec's elementwise_mean=true, its pytorch_mean convention.
    red = reduction(p)
    if red == "none":
        # 'none' is per element in PyTorch; the spec's is per sample: sum each row.
        return out(F.kl_div(q, target, reduction="none", log_target=p.get("p_is_log") == "true").sum(dim=-1))
    return out(F.kl_div(q, target, **kw(reduction=red, log_target=p.get("p_is_log") == "true")))


def regression(name, fn, extra=None):
    def compute(i, p, d):
        args = {} if extra is None else extra(p)
        return out(fn(t(i["yhat"]), t(i["y"]), **kw(reduction=reduction(p), **args)))

    adapter.function(name)(compute)


regression("mse", F.mse_loss)
regression("mae", F.l1_loss)
regression("smooth_l1", F.smooth_l1_loss, lambda p: {"beta": None if changed(p, "beta", "1") is None else real(p, "beta")})
regression("huber", F.huber_loss, lambda p: {"delta": None if changed(p, "delta", "1") is None else real(p, "delta")})


@adapter.function("variance")
def variance(i, p, d):
    return out(torch.var(t(i["x"]), dim=-1, unbiased=p.get("ddof", "0") == "1"))


if __name__ == "__main__":
    sys.exit(adapter.run())
