#!/usr/bin/env python3
"""Independent expected values for reference_test.cpp's hard points.

Computed with mpmath at 400 bits and rounded to each format by exact rational arithmetic
(round to nearest, ties to even, IEEE subnormals and overflow), sharing no code with the C++
reference. Run it to regenerate the table printed into reference_test.cpp:
    python3 reference/tests/data/hard_points.py
"""
from fractions import Fraction
import mpmath as mp

mp.mp.prec = 400
FORMATS = {  # precision, minimum normal exponent, maximum exponent
    "binary64": (53, -1022, 1023),
    "binary32": (24, -126, 127),
    "binary16": (11, -14, 15),
    "bfloat16": (8, -126, 127),
}


def round_fraction(x, fmt):
    """Nearest value of the format (ties to even); returns a Fraction, or +-inf as float."""
    p, emin, emax = FORMATS[fmt]
    if x == 0:
        return Fraction(0)
    sign = -1 if x < 0 else 1
    a = abs(Fraction(x))
    e = a.numerator.bit_length() - a.denominator.bit_length()
    while Fraction(2) ** e > a:
        e -= 1
    while Fraction(2) ** (e + 1) <= a:
        e += 1
    quantum = Fraction(2) ** (max(e, emin) - p + 1)
    q, r = divmod(a, quantum)
    q = int(q)
    if r * 2 > quantum or (r * 2 == quantum and q % 2 == 1):
        q += 1
    v = q * quantum
    if v >= Fraction(2) ** (emax + 1):
        return float("inf") * sign
    return sign * v


def to_mpf(v):
    return mp.mpf(v.numerator) / v.denominator  # exact: a binary fraction of <= 53 bits


def hexfloat(v):
    if isinstance(v, float):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0x0p+0"
    sign = "-" if v < 0 else ""
    a = abs(v)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    while Fraction(2) ** e > a:
        e -= 1
    while Fraction(2) ** (e + 1) <= a:
        e += 1
    m = a / Fraction(2) ** e  # in [1, 2)
    frac = m - 1
    digits = ""
    while frac:
        frac *= 16
        d = int(frac)
        digits += "0123456789abcdef"[d]
        frac -= d
    return f"{sign}0x1{'.' + digits if digits else ''}p{'+' if e >= 0 else '-'}{abs(e)}"


def exact(x):
    sign, man, e, _ = mp.mpf(x)._mpf_
    return (-1 if sign else 1) * Fraction(int(man)) * Fraction(2) ** int(e)


def sigmoid(x): return 1 / (1 + mp.exp(-x))
def softplus(x): return mp.log1p(mp.exp(x)) if x < 0 else x + mp.log1p(mp.exp(-x))
def lse(z): m = max(z); return m + mp.log(mp.fsum(mp.exp(v - m) for v in z))


def log_softmax(z):
    # (z_i - m) - log1p(rest): mpmath's 400 bits cannot hold 1 + e^-10000 directly.
    m = max(z)
    rest = mp.fsum(mp.exp(v - m) for i, v in enumerate(z) if i != z.index(m))
    return [(v - m) - mp.log1p(rest) for v in z]


CASES = [
    # (function, format, inputs as text, expression over rounded inputs -> list of values)
    ("sigmoid", "binary32", "x=-100", lambda x: [sigmoid(x)]),
    ("sigmoid", "binary64", "x=-100", lambda x: [sigmoid(x)]),
    ("sigmoid", "binary64", "x=-744.5", lambda x: [sigmoid(x)]),
    ("sigmoid", "binary64", "x=-746", lambda x: [sigmoid(x)]),
    ("sigmoid", "binary16", "x=-10", lambda x: [sigmoid(x)]),
    ("sigmoid", "bfloat16", "x=-88", lambda x: [sigmoid(x)]),
    ("sigmoid", "binary64", "x=37", lambda x: [sigmoid(x)]),
    ("softplus", "binary64", "x=36.7", lambda x: [softplus(x)]),
    ("softplus", "binary64", "x=37.5", lambda x: [softplus(x)]),
    ("softplus", "binary64", "x=-700", lambda x: [softplus(x)]),
    ("softplus", "binary32", "x=16.6", lambda x: [softplus(x)]),
    ("softplus", "binary32", "x=17.4", lambda x: [softplus(x)]),
    ("softplus", "binary32", "x=-103", lambda x: [softplus(x)]),
    ("tanh", "binary32", "x=9.01", lambda x: [mp.tanh(x)]),
    ("tanh", "binary16", "x=0.0001", lambda x: [mp.tanh(x)]),
    ("elu", "binary32", "x=-1e-30", lambda x: [mp.expm1(x)]),
    ("logsumexp", "binary32", "z=1e4,1e4", lambda *z: [lse(z)]),
    ("log_softmax", "binary64", "z=0,-1e4", lambda *z: log_softmax(list(z))),
    ("log_softmax", "binary32", "z=1e4,0,-1e4", lambda *z: log_softmax(list(z))),
    ("softmax", "binary16", "z=1,2,3", lambda *z: [mp.exp(v - lse(z)) for v in z]),
    ("kl_divergence", "binary64", "p=0.5,0.5,0 q=0.25,0.75,0",
     lambda *v: [v[0] * mp.log(v[0] / v[3]) + v[1] * mp.log(v[1] / v[4])]),
    ("kl_divergence", "binary32", "p=0,1 q=0.5,0.5", lambda *v: [mp.log(v[1] / v[3])]),
    ("entropy", "binary64", "p=0.2,0.3,0.5", lambda *p: [-mp.fsum(v * mp.log(v) for v in p)]),
    ("cross_entropy_dist", "binary64", "p=1,0,0 q=0.7,0.1,0.2", lambda *v: [-mp.log(v[3])]),
    ("cross_entropy", "binary64", "z=1,2,3 t=0", lambda *v: [lse(v[:3]) - v[0]]),
    ("binary_cross_entropy", "binary32", "y=0 p=1e-45", lambda y, p: [-mp.log1p(-p)]),
    ("binary_cross_entropy", "binary64", "y=0.25 p=0.75",
     lambda y, p: [-(y * mp.log(p) + (1 - y) * mp.log1p(-p))]),
]


def main():
    for fn, fmt, args, f in CASES:
        values = []
        for assignment in args.split():
            name, text = assignment.split("=")
            values += [to_mpf(round_fraction(Fraction(t), fmt)) for t in text.split(",")]
        out = []
        for v in f(*values):
            r = round_fraction(exact(v), fmt)
            # An underflow keeps the sign of the exact value.
            out.append("-0x0p+0" if r == 0 and v < 0 else hexfloat(r))
        print(f'    {{"{fn}", Format::{fmt}, "{args}", {{{", ".join(chr(34) + o + chr(34) for o in out)}}}}},')


if __name__ == "__main__":
    main()
