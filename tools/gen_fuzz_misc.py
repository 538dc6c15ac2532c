#!/usr/bin/env -S /usr/bin/python3
"""Randomized differential test data for tapegrad's printing, creation,
indexing and comparison utilities (PyTorch 1.13).

Writes tests/reference/fuzz_printing.txt (replayed by
tests/tensor/fuzz_printing_test.cpp) and tests/reference/fuzz_creation.txt
(replayed by tests/tensor/fuzz_creation_test.cpp). Runs with Debian's
/usr/bin/python3 (which has torch); deterministic (fixed seeds, Python's own
RNG for every choice and value, torch single-threaded).

    /usr/bin/python3 tools/gen_fuzz_misc.py            # writes tests/reference/
    /usr/bin/python3 tools/gen_fuzz_misc.py --out DIR

File format: that of tools/gen_reference.py (RefFile), with the conventions of
tools/gen_fuzz_elementwise.py: every case <c> has a string record

    @ <c>.op str      one line of key=value tokens saying what to run
                      (kind= first); bug=<label> on the cases that hit a
                      mismatch this fuzzer found (see known bugs below), named
                      by the test when they fail
    @ <c>.<letter>    input tensors (records of the base values; v<letter>=
                      says how the C++ test lays them out: c, t, s, o, e:<shape>
                      exactly as in tools/gen_fuzz_elementwise.py)
    @ <c>.out         PyTorch's result, or
    @ <c>.err str     PyTorch raised (its message, for information)

fuzz_printing.txt, cases p<NNNN> (random) and k<NNNN> (curated):
    kind=print dt=<dtype> va=<view> fill=rec|pool:<a>:<b>|range:<start>:<step> base=<shape>
      grad=none|leaf|mul
      fill=rec:  the base tensor is record <c>.a
      fill=pool: the base tensor of shape `base` (an 'x'-separated list) has
                 element i (row-major) = <c>.pool[(a * i + b) % len(pool)]
                 (keeps the 1000+ element tensors of the summarised cases small)
      fill=range: element i = start + step * i (in double, then cast to dt)
      grad=leaf: x.requires_grad_() before printing; grad=mul: print x * 1 of
                 such a leaf (PyTorch adds requires_grad=True / grad_fn=<...>)
    <c>.out (str): str(tensor) in PyTorch with the default print options.

fuzz_creation.txt, cases <kind prefix><NNNN>:
    kind=arange    dt= n=1|2|3 start= end= step=  tol=exact|vec
    kind=linspace  dt= start= end= steps=          tol=exact|vec
        tol=ulp: PyTorch's values differ in the last bits from the plain
        formula (start + i * step in the accumulate type; linspace filled from
        both ends, in the dtype, as tapegrad computes them): its AVX2 kernel
        (cpu_serial_kernel_vec runs chunks of two vectors, each from a base
        value) and Debian's build (GCC contracts a * b + c into an FMA there:
        float64 linspace matches the FMA form of the formula exactly) round
        differently. Kernel paths and contraction depend on the machine and
        the build, so those bits are not semantics: the test allows 4 ulps of
        the larger bound (+-1 for an integer dtype) there, and wants the exact
        values of every tol=exact case.
    kind=eye       dt= n= m=<m|none>
    kind=zeros|ones|full|empty  dt= shape=<s> [value=]   (shape may hold negatives)
    kind=zeros_like|ones_like|full_like|empty_like  dt= va= [value=]
        <c>.strides: PyTorch's strides of the result (preserve_format)
    kind=nested    id=<k>   tg::tensor<T>(nested braces): the C++ test has the
                   same lists as NESTED below (keep the two tables equal)
    kind=elem      va= idx=<i,j,..> form=call|at    x(i, j, ..) / x.at({i, j, ..})
    kind=item      va=                               x.item()
    kind=index     va= idx=<i,j,..>                  x[i][j]..
    kind=select    va= dim= i=
    kind=narrow    va= dim= start= len=
    kind=slice     va= dim= start=<s|none> end=<e|none> step=
        (index/select/narrow/slice also give <c>.strides and <c>.offset)
    kind=cat|stack dt= k=<n> dim= v0= v1= ..         inputs <c>.x0, <c>.x1, ..
    kind=isclose|allclose  rtol= atol= equal_nan=0|1 va= vb=
    kind=equal     va= vb=
    Results: <c>.out (allclose/equal: a 0-d bool; elem/item: a 0-d tensor of
    the element's dtype), or <c>.err.

Bug labels (mismatches this fuzzer found, fixed since; the expected values stay PyTorch's):
  BUG-print-no-requires-grad-suffix  operator<< omits ", requires_grad=True"
  BUG-print-no-grad-fn-suffix        operator<< omits ", grad_fn=<MulBackward0>"
  BUG-arange-int-step-truncates-to-0 arange<int>(0, 3, 0.5): PyTorch "step must be
                                     nonzero" (the step in the integer dtype is 0)
  BUG-arange-int-out-of-range        arange<int8_t>(120, 130): PyTorch wraps in the
                                     dtype; tapegrad casts out-of-range doubles (UB)
  BUG-arange-size-overflow           arange<float>(0, 1e20, 1e-20): PyTorch "invalid
                                     size"; tapegrad casts 1e40 to int64 (UB)
  BUG-linspace-bound-out-of-range    a bound the dtype cannot hold: PyTorch raises
                                     (or, steps <= 1, ignores `end`); tapegrad casts (UB)
  BUG-like-not-preserve-format       zeros_like(x.t()) and friends: PyTorch keeps a
                                     dense input's strides (preserve_format)
  BUG-narrow-length-overflow         narrow(0, 1, INT64_MAX): PyTorch raises;
                                     start + length overflows in tapegrad (a view past
                                     the storage)
  BUG-isclose-computed-in-double     at the tolerance's edge: PyTorch computes in the
                                     dtype (float32, and float32 for integer tensors)

Not generated (tapegrad refuses them at compile time, as PyTorch raises):
isclose/allclose of two dtypes, cat/stack of two dtypes (tapegrad's cat takes
one Tensor<T> type; PyTorch promotes: an API limit, not a run-time behaviour).
Not generated, PyTorch kernel gaps: arange and linspace of bool ("not
implemented for 'Bool'"; tapegrad returns values). Not generated, ill-defined
or quirks of PyTorch 1.13: arange of an integer dtype with fractional bounds
or step (PyTorch truncates start/end/step to int64 first and, for int64 only,
computes the length from the truncated values: a known PyTorch bug, issues
#95934 and #149097; NumPy differs again) -- except a fractional step that
truncates to 0, where PyTorch's "step must be nonzero" is intended (later
versions add a dedicated check); linspace of uint8 with negative bounds
(PyTorch wraps an integral bound and raises for a fractional one); integers
beyond 2**53 (tapegrad's arange/linspace take doubles); narrow with a negative
start on a size-0 dim (PyTorch 1.13 wraps it, later versions raise);
isclose of integers beyond 2**24 (PyTorch rounds them to float32 first);
isclose(equal_nan=True) where a is smaller than the broadcast shape (1.13
computes a != a in place in a's shape and raises: a 1.13 bug); slice bounds
below -2**62 (1.13's SymInt reserves them: "Expected !is_symbolic()"); a slice
step near 2**63 (PyTorch's (len + step - 1) / step overflows, as tapegrad's);
arange/linspace cases whose PyTorch values differ from the formula by
non-finite values (the vector path's base is inf - inf).
"""

import argparse
import math
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_reference as G  # noqa: E402  (sets torch to one thread, float32 default)
import gen_fuzz_elementwise as E  # noqa: E402  (layouts and value helpers, shared)
import fuzz_thin  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

SEED_PRINT = 20261207
N_PRINT = 600  # random printing cases
N_CREATE = {"arange": 160, "linspace": 140, "fill": 140, "like": 70, "elem": 100, "item": 40, "index": 70,
            "views": 150, "cat": 160, "compare": 240}
# The golden files keep the curated cases and, of the random ones, those that cover a feature class no
# earlier case has, then others up to this size (tools/fuzz_thin.py: a case is dropped only when it
# repeats the op, dtype and shape classes of kept ones).
BUDGET = 290_000
SEED_CREATE = 20261208
PRINT_FILE = "fuzz_printing.txt"
CREATE_FILE = "fuzz_creation.txt"

DT = E.DT
NAMES = E.NAMES
INTS = E.INTS
FLOATS = E.FLOATS
INT_RANGE = E.INT_RANGE
nan, inf = float("nan"), float("inf")
I64_MAX = 2 ** 63 - 1
I64_MIN = -2 ** 63
# PyTorch 1.13's SymInt takes the int64 values below -2**62 for symbolic ints:
# a slice bound there raises "Expected !is_symbolic()" (a 1.13 quirk), so the
# most negative bound generated is this one
SYM_MIN = -2 ** 62

# AVX2 vector lengths (elements) of PyTorch 1.13's CPU kernels on this machine
# ("CPU capability usage: AVX2"); cpu_serial_kernel_vec runs chunks of 2 vectors.
VEC = {"uint8": 32, "int8": 32, "int16": 16, "int32": 8, "int64": 4, "float32": 8, "float64": 4}

prod = E.prod
stag = E.stag


def err_text(e):
    msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
    if len(msg) > 200:
        msg = msg[:200] + "..."
    return "%s: %s" % (type(e).__name__, msg)


def fnum(v):
    """A double as the C++ test parses it (strtod): repr round-trips."""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(float(v))


def ints_tok(seq):
    return ",".join(str(int(v)) for v in seq)


class Out:
    """One golden file: records, statistics, bug labels."""

    def __init__(self, filename, seed, script_comment):
        self.r = G.RefFile(filename, seed)
        self.r.lines[0] = "# generated by tools/gen_fuzz_misc.py with torch %s -- do not edit" % torch.__version__
        self.r.lines[1] = "# regenerate with: /usr/bin/python3 tools/gen_fuzz_misc.py"
        self.r.comment(script_comment)
        self.n = 0
        self.kinds = {}
        self.bugs = {}
        self.errors = 0

    def name(self, prefix):
        self.n += 1
        return "%s%04d" % (prefix, self.n)

    def op(self, name, tokens, bug=None):
        if bug:
            tokens = tokens + ["bug=" + bug]
            self.bugs[bug] = self.bugs.get(bug, 0) + 1
        self.r.s(name + ".op", " ".join(tokens))
        k = tokens[0].split("=")[1]
        self.kinds[k] = self.kinds.get(k, 0) + 1

    def result(self, name, fn):
        """Runs fn(); records <name>.out (a tensor or a Python bool) or <name>.err.
        Returns the result or None."""
        try:
            out = fn()
        except Exception as e:  # noqa: BLE001 - whatever torch raises
            self.r.s(name + ".err", err_text(e))
            self.errors += 1
            return None
        if isinstance(out, bool):
            out = torch.tensor(out)
        if not isinstance(out, torch.Tensor) or out.dtype not in G.ALL_DTYPES:
            raise AssertionError("unexpected torch result %r for %s" % (out, name))
        self.r.t(name + ".out", out.detach())
        return out


# ============================================================================
# printing

def p_int_values(rng, dt, n):
    lo, hi = INT_RANGE[dt]
    mode = rng.choice(["small", "small", "mixed", "wide", "extreme", "neg", "zero"])
    out = []
    for _ in range(n):
        if mode == "small":
            v = rng.randint(-9, 9)
        elif mode == "mixed":
            v = rng.choice([rng.randint(-9, 9), rng.randint(-999, 999), rng.randint(-99999, 99999)])
        elif mode == "wide":
            v = rng.randint(lo, hi)
        elif mode == "extreme":
            v = rng.choice([lo, hi, 0, -1, 1, lo + 1, hi - 1])
        elif mode == "neg":
            v = -rng.randint(0, 300)
        else:
            v = 0 if rng.random() < 0.8 else rng.randint(-2, 2)
        out.append(max(lo, min(hi, v)))
    return out


FLOAT_STYLES = ["int_small", "int_small", "int_big", "fixed", "fixed", "fixed", "unit", "sci_small", "sci_big",
                "mixed", "boundary", "boundary", "round", "narrow", "special_only", "tiny"]


def p_float_values(rng, dt, n, style=None):
    f32 = dt == "float32"
    style = style or rng.choice(FLOAT_STYLES)
    special_p = rng.choice([0.0, 0.0, 0.0, 0.05, 0.15, 0.4])
    specials = [nan, inf, -inf, 0.0, -0.0]
    sub = None
    if style == "boundary":
        sub = rng.choice(["lo", "hi", "ratio", "ratio_int", "hi_int"])
    scale = 10 ** rng.uniform(-3, 4)
    ndig = rng.randint(1, 6)
    center = rng.choice([1.0, 1000.5, 12345.678, 0.001, 99.99])
    out = []
    for _ in range(n):
        if rng.random() < special_p:
            out.append(rng.choice(specials))
            continue
        sg = rng.choice([-1, 1])
        if style == "int_small":
            v = float(rng.choice([rng.randint(-9, 9), rng.randint(-999, 999)]))
        elif style == "int_big":
            v = float(sg * rng.randint(1, 10 ** rng.randint(3, 12)))
        elif style == "fixed":
            v = round(rng.uniform(-scale, scale), ndig)
        elif style == "unit":
            v = round(rng.gauss(0, 1), rng.randint(2, 8))
        elif style == "sci_small":
            v = sg * 10 ** rng.uniform(-44 if f32 else -320, -4)
        elif style == "sci_big":
            v = sg * 10 ** rng.uniform(8, 38 if f32 else 305)
        elif style == "mixed":
            v = sg * 10 ** rng.uniform(-12, 12)
        elif style == "round":
            k = rng.randint(0, 99999)
            v = sg * (k / 10000 + rng.choice([0.00005, 0.000049999, 0.000050001, 0.0]))
            if rng.random() < 0.2:
                v = sg * rng.choice([9.99995, 99.99995, 0.99995, 999.99995, 9999.99995, 0.00015, 0.00025])
        elif style == "narrow":
            v = center + rng.uniform(-1, 1) * center * 1e-3
        elif style == "special_only":
            v = rng.choice(specials)
        elif style == "tiny":
            v = sg * rng.choice([1e-40, 1e-45, 1.17549435e-38, 1e-39, 5e-324, 1e-310, 2.2250738585072014e-308])
        else:  # boundary
            if sub == "lo":  # the smallest magnitude around 1e-4 (fixed vs sci)
                v = sg * rng.choice([1e-4, 1.0001e-4, 9.9999e-5, 1e-4 * (1 + 2 ** -20), 1e-4 * (1 - 2 ** -20),
                                     round(rng.uniform(1e-4, 0.05), 6)])
            elif sub == "hi":  # the largest magnitude around 1e8
                v = sg * rng.choice([1e8, 1e8 + 1, 99999999.0, 1e8 - 0.5, 100000000.5, 1e8 + 8,
                                     round(rng.uniform(2e5, 1e8), 2)])
            elif sub == "hi_int":
                v = sg * rng.choice([1e8, 1e8 + 1, 99999999.0, 1e8 + 8, 1e8 - 8, float(rng.randint(100000, 99999999))])
            elif sub == "ratio":  # max / min around 1000
                v = sg * rng.choice([0.5, 500.0, 500.0001, 499.9999, 0.5 * 1000 * (1 + 2 ** -22), 12.25, 1.5])
            else:
                v = sg * rng.choice([1.0, 1000.0, 1001.0, 999.0, 2.0, 2000.0, 2001.0, 37.0])
        out.append(v)
    return out


def p_values(rng, dt, n):
    if dt == "bool":
        p = rng.choice([0.5, 0.5, 0.0, 1.0, 0.1])
        return [rng.random() < p for _ in range(n)]
    if dt in INTS:
        return p_int_values(rng, dt, n)
    return p_float_values(rng, dt, n)


def p_shape(rng):
    u = rng.random()
    if u < 0.55:  # small, any rank
        while True:
            r = rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4])
            s = [rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 7]) for _ in range(r)]
            if r and rng.random() < 0.08:
                s[rng.randrange(r)] = 0
            if prod(s) <= 60:
                return s
    if u < 0.82:  # rows that wrap at 80 columns
        while True:
            r = rng.choice([1, 1, 2, 2, 3, 4])
            s = [rng.choice([1, 2, 3]) for _ in range(r - 1)] + [rng.randint(6, 45)]
            if prod(s) <= 200:
                return s
    # summarised (more than 1000 elements), or just at the threshold
    choices = [[1001], [1000], [2000], [3, 400], [400, 3], [7, 150], [6, 200], [1, 1001], [1001, 1],
               [10, 10, 11], [11, 11, 11], [2, 2, 2, 130], [2, 5, 5, 41], [2, 3, 200], [4, 251],
               [0, 2000], [1000, 0], [32, 32], [6, 6, 30], [13, 80], [3, 3, 3, 38], [1, 7, 1, 150]]
    s = list(rng.choice(choices))
    if rng.random() < 0.3:
        rng.shuffle(s)
    return s


def p_view(rng, shape):
    view, base = E.pick_view(rng, shape, allow_expand=True)
    return view, base


class PrintGen:
    def __init__(self):
        self.o = Out(PRINT_FILE, SEED_PRINT,
                     "Randomized printing cases (tools/gen_fuzz_misc.py has the format).\n"
                     "p<NNNN>: random cases; k<NNNN>: curated corner cases.")

    def case(self, prefix, dt, base, view, fill, grad="none"):
        """The printed tensor: a base of shape `base` filled by `fill`, laid out by
        `view`, then (grad) made to require grad or multiplied by 1.
        fill: ("rec", values) | ("pool", pool, a, b) | ("range", start, step)."""
        base = list(base)
        n = prod(base)
        name = self.o.name(prefix)
        tokens = ["kind=print", "dt=" + dt, "va=" + view]
        if fill[0] == "pool":
            _, pool, a, b = fill
            k = len(pool)
            x = torch.tensor([pool[(a * i + b) % k] for i in range(n)], dtype=DT[dt]).reshape(base)
            tokens.append("fill=pool:%d:%d" % (a, b))
            self.o.r.t(name + ".pool", torch.tensor(pool, dtype=DT[dt]))
        elif fill[0] == "range":
            _, st, sp = fill
            x = torch.tensor([st + sp * i for i in range(n)], dtype=torch.float64).to(DT[dt]).reshape(base)
            tokens.append("fill=range:%s:%s" % (fnum(st), fnum(sp)))
        else:
            x = torch.tensor(fill[1], dtype=DT[dt]).reshape(base)
            tokens.append("fill=rec")
            self.o.r.t(name + ".a", x)
        tokens += ["base=" + stag(base), "grad=" + grad]
        y = E.layout(x, view)
        if grad != "none":
            y = y.detach().requires_grad_()
            if grad == "mul":
                y = y * 1
        self.o.op(name, tokens, self.known_bug(grad))
        self.o.r.s(name + ".out", str(y))
        return len(str(y))

    @staticmethod
    def known_bug(grad):
        if grad == "leaf":
            return "BUG-print-no-requires-grad-suffix"
        if grad == "mul":
            return "BUG-print-no-grad-fn-suffix"
        return None

    def random_case(self, rng):
        dt = rng.choice(["float32"] * 5 + ["float64"] * 3 + ["int64"] * 2 + NAMES)
        shape = p_shape(rng)
        grad = "none"
        if dt in FLOATS and prod(shape) <= 60 and rng.random() < 0.06:
            grad = rng.choice(["leaf", "mul"])
        if grad != "none":
            view, base = "c", shape
        else:
            view, base = p_view(rng, shape)
        n = prod(base)
        if n > 60:
            # one value style for the whole pool, so that the style decision is not always "mixed"
            style = rng.choice(FLOAT_STYLES) if dt in FLOATS else None
            k = rng.randint(5, 40)
            pool = p_float_values(rng, dt, k, style) if style else p_values(rng, dt, k)
            fill = ("pool", pool, rng.randint(1, 997), rng.randint(0, 997))
        else:
            fill = ("rec", p_values(rng, dt, n))
        if fill[0] == "pool":
            y = E.layout(torch.tensor([pool[(fill[2] * i + fill[3]) % k] for i in range(n)],
                                      dtype=DT[dt]).reshape(base), view)
            if len(str(y)) > 2500:
                self.skipped = getattr(self, "skipped", 0) + 1  # keep the file small
                return
        self.case("p", dt, base, view, fill, grad)

    def curated(self):
        T = torch.tensor

        def fixed(dt, vals, shape=None, view="c", grad="none"):
            x = T(vals, dtype=DT[dt])
            shape = list(x.shape) if shape is None else shape
            self.case("k", dt, shape, view, ("rec", x.reshape(-1).tolist()), grad)

        # the style thresholds, in both float dtypes
        for dt in FLOATS:
            for vals in ([1e-4, 1.0], [9.9999e-5, 1.0], [1.0001e-4, 0.05], [1e8, 1.0], [1e8 + 1, 1e6],
                         [99999999.0, 1e6], [100000000.5, 1e6], [0.5, 500.0], [0.5, 500.5], [1.0, 1000.0],
                         [1.0, 1001.0], [2.0, 2000.0], [1.0, 1000.5], [1e8, 1e6], [1e9, 1e7], [-0.0, 1.5],
                         [-0.0, 2.0], [-0.0, 1e-5], [-0.0], [0.0], [-0.0, 0.0], [nan], [-inf, nan],
                         [nan, 1e-5], [inf, 1e10], [nan, 2.5], [inf, 3.0], [0.0, 0.0, 1.0],
                         [9.99995, 1.0], [0.99995, 0.5], [99999.99995, 1.0], [1.23456789e-5, 1.0],
                         [1e-45 if dt == "float32" else 5e-324, 1.0], [3.4e38 if dt == "float32" else 1.7e308],
                         [1e-300 if dt == "float64" else 1e-30, 1e300 if dt == "float64" else 1e30],
                         [123456789.0], [-123456789.0, 1.0], [0.1, 0.2, 0.3], [1e-8], [-1e-8, 2e-8]):
                fixed(dt, vals)
        # 0-d tensors of every dtype
        for dt, v in (("float32", 3.5), ("float32", -0.0), ("float32", 1e-5), ("float32", 1e10), ("float32", nan),
                      ("float64", 2.5), ("float64", -inf), ("float64", 123456789.0), ("int64", -7), ("int32", 5),
                      ("int16", -32768), ("int8", 127), ("uint8", 255), ("bool", True), ("bool", False)):
            fixed(dt, v, [])
        # empty tensors of every dtype and several shapes
        for dt in NAMES:
            for shape in ([0], [2, 0], [0, 3], [0, 0], [1, 0, 2], [2, 3, 0, 1]):
                fixed(dt, [], shape)
        # requires_grad and grad_fn suffixes (0-d, empty, long rows: the suffix wraps)
        for grad in ("leaf", "mul"):
            fixed("float32", [1.5, -2.0], grad=grad)
            fixed("float32", 3.0, [], grad=grad)
            fixed("float64", [1.0, 2.0], grad=grad)
            fixed("float32", [], [0], grad=grad)
            fixed("float64", [], [0, 2], grad=grad)
            fixed("float32", [float(i) + 0.5 for i in range(14)], grad=grad)
            fixed("float64", [float(i) for i in range(25)], grad=grad)
        # a dtype suffix that no longer fits the last line
        for dt, n in (("int32", 24), ("int32", 25), ("int16", 26), ("float64", 14), ("float64", 12), ("uint8", 26),
                      ("int8", 23), ("float64", 13)):
            vals = [float(i) + 0.25 for i in range(n)] if dt == "float64" else list(range(n))
            fixed(dt, vals)
        # summarised: only the edge items decide the style and the width
        fixed("float32", [0.5] * 3 + [1e10] * 995 + [1.5] * 3, [1001])
        fixed("float32", [0.5] * 3 + [1e10] * 994 + [1.5] * 3, [1000])
        fixed("float64", [1.0, 2.0, 3.0] + [1e-9] * 1000 + [2.0, 5.0, 8.0], [1006])
        fixed("int64", [1, 2, 3] + [-1000000] * 1000 + [4, 5, 6], [2, 503])
        # summarised, non-contiguous, from ranges
        for dt, base, view, st, sp in (("int64", [3000], "c", -1500, 1), ("int64", [30, 100], "t", -1500, 1),
                                       ("float32", [12, 100], "s", 0, 0.125), ("float64", [11, 11, 11], "t", 0, 1),
                                       ("float32", [2, 1001], "c", -1, 1e-3),
                                       ("float64", [1001], "o", 1e-6, 1e-6), ("float32", [1, 1001], "e:7x1001", 1, 1),
                                       ("int16", [5, 5, 5, 9], "t", -500, 1),
                                       ("float64", [40, 40], "c", 1e7, 3e4)):
            self.case("k", dt, base, view, ("range", float(st), float(sp)))
        self.case("k", "bool", [2, 1001], "c", ("pool", [True, False, False], 1, 0))
        self.case("k", "int8", [4, 4, 4, 16], "o", ("pool", [-128, 0, 127, 5, -7], 3, 1))
        self.case("k", "uint8", [1024], "s", ("pool", [0, 255, 17, 3], 1, 2))


# ============================================================================
# creation: arange and linspace

def f32(v):
    return float(np.float32(v))


def arange_formula(dt, start, end, step):
    """PyTorch's scalar formula: start + step * i in the accumulate type (double,
    or int64 for an integer dtype), then cast to dt."""
    n = math.ceil((end - start) / step)
    if dt in FLOATS:
        vals = [start + step * i for i in range(n)]
        return [f32(v) for v in vals] if dt == "float32" else vals
    s, st = int(start), int(step)
    return [s + st * i for i in range(n)]  # wrapped by torch.tensor(..., dtype) below


def linspace_formula(dt, start, end, steps):
    if steps == 0:
        return []
    if dt in FLOATS:
        F = np.float32 if dt == "float32" else np.float64
        s0, s1 = F(start), F(end)
        if steps == 1:
            return [float(s0)]
        step = (s1 - s0) / F(steps - 1)
        half = steps // 2
        with np.errstate(all="ignore"):
            return [float(s0 + step * F(i)) if i < half else float(s1 - step * F(steps - i - 1))
                    for i in range(steps)]
    s0, s1 = int(start), int(end)
    if steps == 1:
        return [s0]
    step = (float(s1) - float(s0)) / (steps - 1)
    half = steps // 2
    return [int(s0 + step * i) if i < half else int(s1 - step * (steps - i - 1)) for i in range(steps)]


def same_values(out, vals, dt):
    ref = torch.tensor(vals, dtype=torch.float64 if dt in FLOATS else torch.int64)
    if dt not in FLOATS:
        ref = ref.to(DT[dt])  # wraps as PyTorch's int64 -> dtype conversion
    if ref.shape != out.shape:
        return False
    if dt in FLOATS:
        ref = ref.to(DT[dt])
        return bool(((ref == out) | (torch.isnan(ref) & torch.isnan(out))).all())
    return bool((ref == out).all())


class CreateGen:
    def __init__(self):
        self.o = Out(CREATE_FILE, SEED_CREATE,
                     "Randomized creation, indexing and comparison cases (tools/gen_fuzz_misc.py has the format).\n"
                     "ar/ls/eye/fill/like/nest/el/item/ix/sel/nar/sl/cat/st/cmp<NNNN>: one prefix per kind.")
        self.skipped = {}

    def skip(self, why):
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def input(self, name, letter, rng, dt, shape, mode="general", view=None):
        """Records <name>.<letter> and returns (view token, laid-out torch tensor)."""
        if view is None:
            view, base = E.pick_view(rng, shape, True)
        else:
            base = list(shape) if not view.startswith("e:") else E.bcast_from(rng, shape)
        x = E.values(rng, dt, base, mode)
        self.o.r.t("%s.%s" % (name, letter), x)
        return view, E.layout(x, view)

    # -- arange ---------------------------------------------------------------
    def arange(self, dt, nargs, start, end, step, bug=None):
        name = self.o.name("ar")
        tokens = ["kind=arange", "dt=" + dt, "n=%d" % nargs, "start=" + fnum(start), "end=" + fnum(end),
                  "step=" + fnum(step)]
        if nargs == 1:
            fn = lambda: torch.arange(end, dtype=DT[dt])  # noqa: E731
        elif nargs == 2:
            fn = lambda: torch.arange(start, end, dtype=DT[dt])  # noqa: E731
        else:
            fn = lambda: torch.arange(start, end, step, dtype=DT[dt])  # noqa: E731
        try:
            out = fn()
        except Exception:  # noqa: BLE001
            out = None
        tol = "exact"
        if out is not None and not same_values(out, arange_formula(dt, start, end, step), dt):
            tol = "ulp"
            if dt in FLOATS and not bool(torch.isfinite(out).all()):
                return self.skip("arange: non-finite values from PyTorch's vector path")
        tokens.append("tol=" + tol)
        if bug is None and dt in INTS:
            lo, hi = INT_RANGE[dt]
            if out is None and step != 0 and int(step) == 0 and math.isfinite(start) and math.isfinite(end) and \
                    ((step > 0 and end >= start) or (step < 0 and end <= start)):
                bug = "BUG-arange-int-step-truncates-to-0"
            elif out is not None and out.numel() and dt != "int64":
                first, last = int(start), int(start) + int(step) * (out.numel() - 1)
                if not (lo <= first <= hi and lo <= last <= hi):
                    bug = "BUG-arange-int-out-of-range"
        if bug is None and out is None and math.isfinite(start) and math.isfinite(end) and step != 0 and \
                ((step > 0 and end >= start) or (step < 0 and end <= start)):
            bug = "BUG-arange-size-overflow"
        self.o.op(name, tokens, bug)
        self.o.result(name, fn)

    def random_arange(self, rng):
        dt = rng.choice(["float32"] * 4 + ["float64"] * 3 + ["int64"] * 3 + INTS)
        nargs = rng.choice([1, 2, 3, 3, 3, 3])
        u = rng.random()
        if dt in INTS:
            lo, hi = INT_RANGE[dt]
            span = min(hi - lo, 200)
            start = rng.randint(max(lo, -span // 2), min(hi, span // 2)) if nargs > 1 else 0
            if u < 0.08 and nargs == 3:  # a fractional step that truncates to 0
                step = rng.choice([0.5, -0.5, 0.25, 0.99])
                end = start + rng.randint(0, 5) * (1 if step > 0 else -1)
                return self.arange(dt, nargs, float(start), float(end), step)
            step = rng.choice([1, 1, 2, 3, 7, -1, -2, -5, 13]) if nargs == 3 else 1
            if rng.random() < 0.06:
                step = 0
            cnt = rng.randint(0, 40)
            end = start + step * cnt + (rng.randint(-abs(step) + 1, 0) * (1 if step > 0 else -1) if step else 3)
            if rng.random() < 0.05:
                end = start - step * rng.randint(1, 3) if step else end  # wrong sign: raises
            if nargs == 1:
                end = abs(end) if rng.random() < 0.9 else -abs(end) - 1
            if rng.random() < 0.06 and dt != "int64":  # values beyond the dtype: PyTorch wraps
                start = rng.choice([hi - 3, lo + 2])
                step = 1 if start > 0 else -1
                end = start + step * 6
                nargs = 3
            if nargs != 3:
                step = 1
            return self.arange(dt, nargs, float(start), float(end), float(step))
        # floating dtypes
        if u < 0.3:  # decimal steps: the length is a rounding edge
            k = rng.choice([1, 2, 3, 5])
            step = rng.choice([0.1, 0.05, 0.2, 0.3, 0.01, 0.7, 1.1, 0.125, 0.25]) * rng.choice([1, 1, -1])
            start = round(rng.randint(-20, 20) * abs(step), 10)
            cnt = rng.randint(0, 40)
            end = round(start + step * cnt, 10) if rng.random() < 0.7 else round(start + step * cnt + step / k, 10)
        elif u < 0.6:
            start = round(rng.uniform(-50, 50), rng.randint(0, 3))
            step = round(rng.choice([1, -1]) * 10 ** rng.uniform(-2, 1.5), rng.randint(1, 4)) or 0.5
            end = round(start + step * rng.uniform(0, 40), rng.randint(0, 3))
        elif u < 0.75:  # large magnitudes, few elements
            start = rng.choice([1, -1]) * 10 ** rng.uniform(3, 15)
            step = rng.choice([1, -1]) * 10 ** rng.uniform(0, 12)
            end = start + step * rng.uniform(0, 30)
        elif u < 0.85:  # integral
            start = float(rng.randint(-30, 30))
            step = float(rng.choice([1, 2, 3, -1, -4]))
            end = start + step * rng.randint(0, 35)
        else:  # errors and degenerate ranges
            c = rng.choice(["zero", "sign", "inf", "nan", "empty", "tiny"])
            start, end, step = 0.0, 5.0, 1.0
            if c == "zero":
                step = rng.choice([0.0, -0.0])
            elif c == "sign":
                start, end, step = rng.choice([(0.0, 5.0, -1.0), (5.0, 0.0, 0.5), (-1.0, -2.0, 1e-3)])
            elif c == "inf":
                start, end = rng.choice([(0.0, inf), (-inf, 0.0), (inf, inf)])
            elif c == "nan":
                start, end, step = rng.choice([(0.0, nan, 1.0), (nan, 1.0, 1.0), (0.0, 1.0, nan)])
            elif c == "empty":
                start = end = round(rng.uniform(-5, 5), 2)
                step = rng.choice([1.0, -0.5, 3.0])
            else:
                start, end, step = 0.0, rng.choice([1e-300, 5e-324, 1e-10]), rng.choice([1.0, 1e-10, 2.0])
            nargs = 3
        if nargs == 1:
            end = abs(end)
        elif nargs == 2:
            step = 1.0
            if end < start and rng.random() < 0.8:
                start, end = end, start
        if nargs != 3:
            step = 1.0
        if nargs == 1:
            start = 0.0
        n = math.ceil((end - start) / step) if (math.isfinite(start) and math.isfinite(end) and step == step
                                                 and step != 0) else 0
        if n > 2000:
            return self.skip("arange longer than 2000")
        return self.arange(dt, nargs, float(start), float(end), float(step))

    def curated_arange(self):
        for dt in FLOATS:
            for s, e, st in ((0, 1, 0.1), (0.1, 0.5, 0.05), (0.6, 0.9, 0.1), (0, 1.2, 0.1), (1, 2.5, 0.5),
                             (10, 0, -3), (0, 1.3, 0.1), (-1, 1, 0.2), (1, 0, -0.1), (0, 1, 1 / 3), (0, 10, 1e-1),
                             (0, 40, 1), (0, 17, 1), (0.5, 16.5, 1), (1e15, 1e15 + 3, 1), (0, 1e-300, 1e-301),
                             (0, 100, 1.1), (-3, 3, 0.375)):
                self.arange(dt, 3, float(s), float(e), float(st))
            self.arange(dt, 1, 0.0, 5.5, 1.0)
            self.arange(dt, 2, -2.5, 2.0, 1.0)
        # sizes PyTorch refuses as overflowing
        self.arange("float32", 3, 0.0, 1e20, 1e-20)
        self.arange("float64", 3, 0.0, -1e300, -1e-300)
        self.arange("int64", 3, 0.0, 1e18, 1e-18)
        for dt in INTS:
            lo, hi = INT_RANGE[dt]
            self.arange(dt, 3, 0.0, 3.0, 0.5)
            self.arange(dt, 3, 3.0, 0.0, -0.9)
            self.arange(dt, 3, 0.0, 0.0, 0.5)
            self.arange(dt, 3, 0.0, 5.0, 1.0)
            self.arange(dt, 3, float(max(lo, -5)), 7.0, 3.0)
            self.arange(dt, 3, 0.0, 0.0, 0.0)
            if dt != "int64":
                self.arange(dt, 3, float(hi - 2), float(hi + 3), 1.0)
                self.arange(dt, 3, float(lo + 1), float(lo - 4), -1.0)
        self.arange("uint8", 2, -3.0, 3.0, 1.0)
        self.arange("int8", 2, 120.0, 130.0, 1.0)
        self.arange("int64", 3, float(2 ** 52), float(2 ** 52 + 5), 1.0)

    # -- linspace ---------------------------------------------------------------
    def linspace(self, dt, start, end, steps, bug=None):
        name = self.o.name("ls")
        tokens = ["kind=linspace", "dt=" + dt, "start=" + fnum(start), "end=" + fnum(end), "steps=%d" % steps]
        fn = lambda: torch.linspace(start, end, steps, dtype=DT[dt])  # noqa: E731
        try:
            out = fn()
        except Exception:  # noqa: BLE001
            out = None
        tol = "exact"
        if out is not None and not same_values(out, linspace_formula(dt, start, end, steps), dt):
            tol = "ulp"
            if dt in FLOATS and not bool(torch.isfinite(out).all()):
                # (the vector path's base value is inf - inf where the formula's is not: no tolerance applies)
                return self.skip("linspace: non-finite values from PyTorch's vector path")
        tokens.append("tol=" + tol)
        if bug is None and steps >= 0 and (out is None or self.bound_out_of_range(dt, start, end)):
            # PyTorch raised for a bound the dtype cannot hold (or, for steps <= 1, did not look at
            # `end`); tapegrad converts both bounds to the dtype unchecked (undefined behaviour)
            bug = "BUG-linspace-bound-out-of-range"
        self.o.op(name, tokens, bug)
        self.o.result(name, fn)

    @staticmethod
    def bound_out_of_range(dt, start, end):
        for v in (start, end):
            if not math.isfinite(v):
                continue
            if dt in INTS and not (INT_RANGE[dt][0] <= math.trunc(v) <= INT_RANGE[dt][1]):
                return True
            if dt == "float32" and abs(v) > 3.4028234663852886e38:
                return True
        return False

    def random_linspace(self, rng):
        dt = rng.choice(["float32"] * 5 + ["float64"] * 3 + INTS)
        steps = rng.choice([0, 1, 2, 2, 3, 4, 5, 7, 8, 9, 10, 15, 16, 17, 20, 31, 32, 33, 50, 64, 100])
        if rng.random() < 0.03:
            steps = -rng.randint(1, 3)
        if dt in INTS:
            lo, hi = INT_RANGE[dt] if dt != "int64" else (-2 ** 53, 2 ** 53)  # (doubles hold them)
            lo2 = 0 if dt == "uint8" else max(lo, -1000)
            hi2 = min(hi, 1000)
            start = rng.randint(lo2, hi2)
            end = rng.randint(lo2, hi2)
            if rng.random() < 0.3:
                start = start + rng.choice([0.25, 0.5, 0.75]) if start + 1 <= hi2 else start
                end = end + rng.choice([0.25, 0.5, 0.75]) if end + 1 <= hi2 else end
            if rng.random() < 0.1:
                start, end = rng.choice([lo, lo2]), hi
            if rng.random() < 0.04:  # a bound the dtype cannot hold: PyTorch raises
                end = hi + rng.choice([1, 100]) if dt != "int64" else rng.choice([1e19, -1e19, 1e30])
            return self.linspace(dt, float(start), float(end), steps)
        u = rng.random()
        if u < 0.4:
            start, end = round(rng.uniform(-10, 10), rng.randint(0, 4)), round(rng.uniform(-10, 10), rng.randint(0, 4))
        elif u < 0.6:
            start = rng.choice([1, -1]) * 10 ** rng.uniform(-5, 10)
            end = rng.choice([1, -1]) * 10 ** rng.uniform(-5, 10)
        elif u < 0.75:
            start = float(rng.randint(-100, 100))
            end = start
        elif u < 0.9:
            start, end = float(rng.randint(-50, 50)), float(rng.randint(-50, 50))
        else:
            start, end = rng.choice([(nan, 1.0), (0.0, inf), (-inf, inf), (0.0, 1e39), (1e-46, 1.0), (-3e38, 3e38),
                                     (1e308, -1e308), (0.0, 1e-320)])
        return self.linspace(dt, float(start), float(end), steps)

    def curated_linspace(self):
        for dt in FLOATS:
            for s, e, n in ((0, 1, 5), (0, 1, 7), (-1, 1, 1), (0, 1, 0), (0, 1, 2), (3, 3, 4), (1, 0, 6),
                            (0, 1, 15), (0, 1, 16), (0, 1, 17), (0, 1, 100), (-5.5, 2.25, 11), (0.1, 0.7, 13),
                            (1e-3, 1e3, 9), (0, 1, -1)):
                self.linspace(dt, float(s), float(e), n)
        self.linspace("float32", 0.0, 1e39, 3)
        self.linspace("float32", -1e39, 0.0, 1)
        for dt in INTS:
            lo, hi = INT_RANGE[dt] if dt != "int64" else (-2 ** 53, 2 ** 53)
            self.linspace(dt, 0.0, 10.0, 4)
            self.linspace(dt, 0.0, 10.0, 7)
            self.linspace(dt, 10.0, 0.0, 6)
            self.linspace(dt, 0.7, 5.9, 5)
            self.linspace(dt, 0.7, 5.9, 1)
            self.linspace(dt, float(max(lo, -100)), float(hi), 9)
            self.linspace(dt, 0.0, float(hi + 1) if dt != "int64" else 1e19, 3)
            if lo:
                self.linspace(dt, float(lo - 1), 0.0, 3)

    # -- eye, fills ---------------------------------------------------------------
    def eye(self, dt, n, m):
        name = self.o.name("eye")
        self.o.op(name, ["kind=eye", "dt=" + dt, "n=%d" % n, "m=" + ("none" if m is None else str(m))])
        self.o.result(name, lambda: torch.eye(n, dtype=DT[dt]) if m is None else torch.eye(n, m, dtype=DT[dt]))

    def fill(self, kind, dt, shape, value=None):
        name = self.o.name("fill")
        tokens = ["kind=" + kind, "dt=" + dt, "shape=" + ("x".join(str(d) for d in shape) if shape else "")]
        if kind == "full":
            tokens.append("value=" + fnum(value))
        self.o.op(name, tokens)
        if kind == "zeros":
            fn = lambda: torch.zeros(shape, dtype=DT[dt])  # noqa: E731
        elif kind == "ones":
            fn = lambda: torch.ones(shape, dtype=DT[dt])  # noqa: E731
        elif kind == "empty":  # (values not compared; zeros keep the file deterministic)
            fn = lambda: torch.empty(shape, dtype=DT[dt]).zero_()  # noqa: E731
        else:
            fn = lambda: torch.full(shape, value, dtype=DT[dt])  # noqa: E731
        self.o.result(name, fn)

    def rand_value(self, rng, dt):
        if dt == "bool":
            return rng.random() < 0.5
        if dt in INTS:
            lo, hi = INT_RANGE[dt]
            return rng.choice([lo, hi, 0, rng.randint(lo, hi), rng.randint(-3, 3) if lo < 0 else 3])
        v = rng.choice([nan, inf, -inf, -0.0, 0.1, 1e-40, 3.25, rng.uniform(-1e6, 1e6), 1e300, 1e-310])
        if dt == "float32":
            v = f32(v) if not (isinstance(v, float) and abs(v) > 3.4e38) else inf
        return v

    def random_fill(self, rng):
        kind = rng.choice(["zeros", "ones", "full", "full", "empty", "eye"])
        dt = rng.choice(NAMES)
        if kind == "eye":
            n = rng.choice([0, 1, 2, 3, 4, 5, 6, -1]) if rng.random() < 0.97 else -2
            m = rng.choice([None, None, 0, 1, 2, 3, 5, 7, -1])
            return self.eye(dt, n, m)
        r = rng.choice([0, 1, 2, 2, 3, 4])
        shape = [rng.choice([0, 1, 2, 3, 4]) for _ in range(r)]
        if r and rng.random() < 0.08:
            shape[rng.randrange(r)] = rng.choice([-1, -3])
        value = self.rand_value(rng, dt) if kind == "full" else None
        return self.fill(kind, dt, shape, value)

    # -- *_like ----------------------------------------------------------------
    def like(self, rng):
        kind = rng.choice(["zeros_like", "ones_like", "full_like", "empty_like"])
        dt = rng.choice(NAMES)
        shape = E.rand_shape(rng)
        name = self.o.name("like")
        view, x = self.input(name, "a", rng, dt, shape)
        tokens = ["kind=" + kind, "dt=" + dt, "va=" + view]
        value = None
        if kind == "full_like":
            value = self.rand_value(rng, dt)
            tokens.append("value=" + fnum(value))
        # (empty_like: values not compared; zeroed to keep the file deterministic)
        fn = {"zeros_like": lambda: torch.zeros_like(x), "ones_like": lambda: torch.ones_like(x),
              "full_like": lambda: torch.full_like(x, value),
              "empty_like": lambda: torch.empty_like(x).zero_()}[kind]
        out = fn()
        bug = None if out.is_contiguous() else "BUG-like-not-preserve-format"
        self.o.op(name, tokens, bug)
        self.o.result(name, fn)
        self.o.r.ints(name + ".strides", out.stride())

    # -- nested lists ---------------------------------------------------------------
    # (dtype, list): the C++ test builds tg::tensor<T>(the same braces) for id k;
    # keep equal to kNested in tests/tensor/fuzz_creation_test.cpp.
    NESTED = [
        ("float32", [1.0, 2.5, -3.0]),
        ("float32", [[1.0, 0.0], [0.0, 1.0]]),
        ("float64", [[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]]),
        ("int64", [[[[1, 2]], [[3, 4]]], [[[5, 6]], [[7, 8]]]]),
        ("int32", [[1, -2, 3]]),
        ("bool", [[True, False], [False, True], [True, True]]),
        ("uint8", [0, 255, 7]),
        ("int8", [[-128], [127]]),
        ("int16", [[[-3]]]),
        ("float32", []),
        ("float32", [[], []]),
        ("int64", [[[]]]),
        ("float64", [[[], []], [[], []]]),
        ("float32", [[1.5]]),
        ("float32", [[1.0, 2.0], [3.0]]),
        ("int64", [[[1, 2], [3, 4]], [[5, 6], [7]]]),
        ("float64", [[1.0], [2.0, 3.0]]),
        ("float32", [[[[1.0, 2.0]]], [[[3.0, 4.0, 5.0]]]]),
    ]

    def nested(self):
        for k, (dt, lst) in enumerate(self.NESTED):
            name = "nest%04d" % k
            self.o.op(name, ["kind=nested", "dt=" + dt, "id=%d" % k])
            self.o.result(name, lambda lst=lst, dt=dt: torch.tensor(lst, dtype=DT[dt]))

    # -- element access, item, indexing views ----------------------------------------
    def strides_offset(self, name, out):
        if out is not None:
            self.o.r.ints(name + ".strides", out.stride())
            self.o.r.t(name + ".offset", int(out.storage_offset()))

    def elem(self, rng):
        dt = rng.choice(NAMES)
        shape = E.rand_shape(rng)
        name = self.o.name("el")
        view, x = self.input(name, "a", rng, dt, shape)
        idx = []
        for s in shape:
            if rng.random() < 0.07:
                idx.append(rng.choice([s, -s - 1, s + 3, I64_MAX, I64_MIN]))
            else:
                idx.append(rng.randint(-s, s - 1) if s else 0)
        form = rng.choice(["call", "at"])
        self.o.op(name, ["kind=elem", "dt=" + dt, "va=" + view, "idx=" + ints_tok(idx), "form=" + form])
        self.o.result(name, lambda: x[tuple(idx)].clone())

    def item(self, rng):
        dt = rng.choice(NAMES)
        shape = rng.choice([[], [1], [1, 1], [1, 1, 1], [1, 1, 1, 1], [2], [0], [1, 2], [3, 1], [1, 0]])
        name = self.o.name("item")
        view, x = self.input(name, "a", rng, dt, shape)
        self.o.op(name, ["kind=item", "dt=" + dt, "va=" + view])
        self.o.result(name, lambda: torch.tensor(x.item(), dtype=x.dtype))

    def index(self, rng):
        dt = rng.choice(NAMES)
        shape = E.rand_shape(rng)
        name = self.o.name("ix")
        view, x = self.input(name, "a", rng, dt, shape)
        k = rng.randint(1, max(1, min(3, len(shape) + (1 if rng.random() < 0.1 else 0))))
        idx = []
        for j in range(k):
            s = shape[j] if j < len(shape) else 1
            idx.append(rng.randint(-s, s - 1) if s and rng.random() < 0.92 else rng.choice([s, -s - 1]))
        self.o.op(name, ["kind=index", "dt=" + dt, "va=" + view, "idx=" + ints_tok(idx)])

        def run():
            y = x
            for i in idx:
                y = y[i]
            return y
        out = self.o.result(name, run)
        self.strides_offset(name, out)

    def sel_nar_sl(self, rng, kind, dt=None, shape=None, args=None, view=None, bug=None):
        dt = dt or rng.choice(NAMES)
        shape = shape if shape is not None else E.rand_shape(rng)
        prefix = {"select": "sel", "narrow": "nar", "slice": "sl"}[kind]
        name = self.o.name(prefix)
        view, x = self.input(name, "a", rng, dt, shape, view=view)
        r = len(shape)
        if args is None:
            d = rng.randint(-r, r - 1) if r else 0
            if rng.random() < 0.04:
                d = rng.choice([r, -r - 1])
            s = shape[d] if -r <= d < r else 1

            def anyidx(extra=2):
                return rng.randint(-s - extra, s + extra)
            if kind == "select":
                args = [d, rng.randint(-s, s - 1) if s and rng.random() < 0.85 else anyidx()]
            elif kind == "narrow":
                start = rng.randint(-s, s) if rng.random() < 0.85 else anyidx()
                if s == 0 and start < 0:
                    start = 0  # PyTorch 1.13 quirk (not generated)
                ws = start + s if start < 0 else start
                ln = rng.randint(0, max(0, s - ws)) if rng.random() < 0.85 else rng.choice([s - ws + 1, -1, s + 2])
                args = [d, start, ln]
            else:
                def bound():
                    u = rng.random()
                    if u < 0.25:
                        return None
                    if u < 0.9:
                        return anyidx(3)
                    return rng.choice([I64_MAX, SYM_MIN, -2 ** 40, 2 ** 40])
                step = rng.choice([1, 1, 2, 3, s + 1 if s else 4, 7])
                if rng.random() < 0.05:
                    step = rng.choice([0, -1])
                args = [d, bound(), bound(), step]
        tokens = ["kind=" + kind, "dt=" + dt, "va=" + view, "dim=%d" % args[0]]
        if kind == "select":
            tokens.append("i=%d" % args[1])
            fn = lambda: x.select(args[0], args[1])  # noqa: E731
        elif kind == "narrow":
            tokens += ["start=%d" % args[1], "len=%d" % args[2]]
            fn = lambda: x.narrow(args[0], args[1], args[2])  # noqa: E731
        else:
            tokens += ["start=" + ("none" if args[1] is None else str(args[1])),
                       "end=" + ("none" if args[2] is None else str(args[2])), "step=%d" % args[3]]
            fn = lambda: torch.ops.aten.slice(x, args[0], args[1], args[2], args[3])  # noqa: E731
        if bug is None:
            bug = self.view_bug(kind, shape, args, fn)
        self.o.op(name, tokens, bug)
        out = self.o.result(name, fn)
        self.strides_offset(name, out)

    @staticmethod
    def view_bug(kind, shape, args, fn):
        r = len(shape)
        if not r or not (-r <= args[0] < r):
            return None
        s = shape[args[0]]
        if kind == "narrow":
            start = args[1] + s if args[1] < 0 else args[1]
            if start + args[2] > I64_MAX or start + args[2] < I64_MIN:
                return "BUG-narrow-length-overflow"
        return None

    def curated_views(self):
        rng = random.Random(SEED_CREATE + 3)
        # every start/end/step of a few 1-D sizes
        for s in (0, 3):
            for start in (None, -s - 2, -s, -1, 0, 1, s, s + 2):
                for end in (None, -s - 1, -1, 0, 2, s, s + 3):
                    for step in (1, 2, s + 1):
                        if start is not None and end is not None and (start + end + step) % 2:
                            continue  # thin the sweep
                        self.sel_nar_sl(rng, "slice", "float32", [s], [0, start, end, step], view="c")
        for s in (0, 1, 4):
            for start in range(-s - 1, s + 2):
                for ln in (-1, 0, 1, s, s + 1):
                    if s == 0 and start < 0:
                        continue
                    self.sel_nar_sl(rng, "narrow", "int64", [s], [0, start, ln], view="c")
            for i in range(-s - 1, s + 1):
                self.sel_nar_sl(rng, "select", "int32", [s], [0, i], view="c")
        # 64-bit extremes
        self.sel_nar_sl(rng, "narrow", "float32", [4], [0, 1, I64_MAX], view="c")
        self.sel_nar_sl(rng, "narrow", "float32", [4, 2], [0, -1, I64_MAX], view="c")
        # (not a step near 2**63: PyTorch's (len + step - 1) / step overflows as tapegrad's does)
        self.sel_nar_sl(rng, "slice", "int64", [5], [0, None, None, 2 ** 62], view="c")
        self.sel_nar_sl(rng, "slice", "int64", [3, 4], [1, SYM_MIN, I64_MAX, 1], view="t")
        self.sel_nar_sl(rng, "select", "int64", [3], [0, I64_MIN], view="c")
        # 0-d inputs
        for kind, args in (("select", [0, 0]), ("narrow", [0, 0, 1]), ("slice", [0, 0, 1, 1])):
            self.sel_nar_sl(rng, kind, "float32", [], args, view="c")

    # -- cat and stack ------------------------------------------------------------------
    def cat_stack(self, rng, kind=None):
        kind = kind or rng.choice(["cat", "cat", "stack"])
        dt = rng.choice(NAMES)
        k = rng.choice([1, 2, 2, 3, 3, 4, 5]) if rng.random() < 0.98 else 0
        base = E.rand_shape(rng, 24)
        if kind == "cat" and not base:
            base = [rng.randint(0, 3)] if rng.random() < 0.9 else []
        r = len(base)
        nd = r + (1 if kind == "stack" else 0)
        d = rng.randint(-nd, nd - 1) if nd else 0
        if rng.random() < 0.04:
            d = rng.choice([nd, -nd - 1])
        bad = rng.random() < 0.1
        shapes = []
        for i in range(k):
            s = list(base)
            if kind == "cat" and r and -r <= d < r:
                s[d] = rng.choice([0, 1, 1, 2, 3])
            if kind == "cat" and rng.random() < 0.1:
                s = [0]  # a 1-D empty tensor: left out by cat
            shapes.append(s)
        if bad and k:
            i = rng.randrange(k)
            c = rng.random()
            if c < 0.4 and shapes[i]:
                j = rng.randrange(len(shapes[i]))
                shapes[i][j] += 1
            elif c < 0.7:
                shapes[i] = shapes[i] + [2]
            else:
                shapes[i] = []  # a 0-d tensor
        name = self.o.name("cat" if kind == "cat" else "st")
        xs, views = [], []
        for i, s in enumerate(shapes):
            v, x = self.input(name, "x%d" % i, rng, dt, s)
            xs.append(x)
            views.append(v)
        tokens = ["kind=" + kind, "dt=" + dt, "k=%d" % k, "dim=%d" % d] + ["v%d=%s" % (i, v) for i, v in enumerate(views)]
        self.o.op(name, tokens)
        self.o.result(name, lambda: (torch.cat if kind == "cat" else torch.stack)(xs, d))

    def curated_cat(self):
        z = torch.zeros
        cases = [("cat", 5, [[0]]), ("cat", -2, [[0], [0]]), ("cat", 1, [[0], [2, 3]]), ("cat", -1, [[2, 3], [0]]),
                 ("cat", 0, [[2, 0], [0]]), ("cat", 1, [[0, 2], [0, 3]]), ("cat", 0, [[0, 2], [0, 3]]),
                 ("cat", 2, [[0], [2, 3]]), ("cat", 2, [[2, 3], [0]]), ("cat", 0, [[1, 0], [0]]),
                 ("cat", 1, [[0], [0, 0]]), ("cat", 0, []), ("cat", 0, [[]]), ("cat", 0, [[0], []]),
                 ("cat", -3, [[2, 1, 3], [2, 1, 3], [2, 1, 3]]), ("cat", 1, [[2, 0, 3], [2, 4, 3], [2, 0, 3]]),
                 ("stack", -1, [[], []]), ("stack", 1, [[]]), ("stack", 0, []), ("stack", 1, [[0], [0]]),
                 ("stack", 2, [[2, 0], [2, 0], [2, 0]]), ("stack", -4, [[2, 3], [2, 3]]), ("stack", 3, [[2, 3]]),
                 ("stack", 0, [[2, 3], [3, 2]])]
        for kind, d, shapes in cases:
            name = self.o.name("cat" if kind == "cat" else "st")
            xs = []
            for i, sh in enumerate(shapes):
                x = (torch.arange(prod(sh), dtype=torch.float32) + 10 * i).reshape(sh) if prod(sh) else z(sh)
                xs.append(self.o.r.t("%s.x%d" % (name, i), x))
            self.o.op(name, ["kind=" + kind, "dt=float32", "k=%d" % len(shapes), "dim=%d" % d] +
                      ["v%d=c" % i for i in range(len(shapes))])
            self.o.result(name, lambda xs=xs, kind=kind, d=d: (torch.cat if kind == "cat" else torch.stack)(xs, d))

    # -- isclose, allclose, equal --------------------------------------------------------
    def compare(self, rng, kind=None):
        kind = kind or rng.choice(["isclose", "isclose", "allclose", "equal"])
        if kind == "equal" and rng.random() < 0.3:
            da, db = rng.choice(EQUAL_MIXED)
        else:
            da = db = rng.choice(NAMES + FLOATS * 2)
        if kind == "equal":
            sa = E.rand_shape(rng)
            sb = list(sa) if rng.random() < 0.7 else E.bcast_from(rng, sa) if rng.random() < 0.5 else E.rand_shape(rng)
        else:
            sa, sb = E.bcast_pair(rng)
        rtol, atol = rng.choice([(1e-5, 1e-8), (1e-5, 1e-8), (0.0, 0.0), (1e-3, 0.0), (0.0, 1e-2), (0.1, 0.5),
                                 (1.0, 0.0), (0.0, 1.0), (1e-7, 1e-7), (2.0, 3.0), (1e-12, 0.0), (0.0, 1e-300)])
        if rng.random() < 0.03:
            rtol, atol = rng.choice([(-1e-5, 1e-8), (1e-5, -1.0)])
        equal_nan = rng.random() < 0.3
        # b's values (small integers for integer dtypes), then a = b nudged by a multiple of the
        # tolerance (in double, rounded to a's dtype), or independent values
        vb, bbase = E.pick_view(rng, sb, True)
        rb = E.values(rng, db, bbase, "small")
        xb = E.layout(rb, vb)
        va, abase = E.pick_view(rng, sa, True)
        if abase == list(sa) and list(xb.shape) == list(sa) and da == db and rng.random() < 0.8:
            bvals = xb.double()
            tol = atol + rtol * bvals.abs()
            k = torch.tensor([rng.choice([0, 0, 0.5, 0.999, 1.0, 1.0, 1.001, 2, -1, -1.0, -0.999, -1.001, 100])
                              for _ in range(bvals.numel())], dtype=torch.float64).reshape(bvals.shape)
            with np.errstate(all="ignore"):
                av = bvals + k * tol
            if da in INTS:
                lo, hi = INT_RANGE[da]
                av = torch.nan_to_num(torch.round(av), nan=0.0).clamp(lo, hi)
            if da == "bool":
                av = av != 0
            ra = av.to(DT[da]).contiguous()
            if rng.random() < 0.2 and ra.numel() and da in FLOATS:
                ra.view(-1)[rng.randrange(ra.numel())] = rng.choice([nan, inf, -inf])
        else:
            ra = E.values(rng, da, abase, "small")
        xa = E.layout(ra, va)
        bug = None
        if kind == "equal":
            fn = lambda: torch.equal(xa, xb)  # noqa: E731
        else:
            if equal_nan and xa.dtype.is_floating_point and E._bcast_ok(xa, xb) and \
                    list(torch.broadcast_shapes(xa.shape, xb.shape)) != list(xa.shape):
                # PyTorch 1.13 computes equal_nan's (a != a) & (b != b) in place, in a's shape: it raises
                # "output with shape ... doesn't match the broadcast shape" (a 1.13 bug, not semantics)
                return self.skip("isclose(equal_nan=True), a smaller than the broadcast shape (PyTorch 1.13 bug)")
            bug = self.isclose_bug(xa, xb, rtol, atol, equal_nan)
            if bug == "skip":
                return self.skip("isclose of integers beyond float32's exact range")
            if kind == "isclose":
                fn = lambda: torch.isclose(xa, xb, rtol=rtol, atol=atol, equal_nan=equal_nan)  # noqa: E731
            else:
                fn = lambda: torch.allclose(xa, xb, rtol=rtol, atol=atol, equal_nan=equal_nan)  # noqa: E731
        name = self.o.name("cmp")
        self.o.r.t(name + ".a", ra)
        self.o.r.t(name + ".b", rb)
        tokens = ["kind=" + kind, "da=" + da, "db=" + db, "va=" + va, "vb=" + vb]
        if kind != "equal":
            tokens += ["rtol=" + fnum(rtol), "atol=" + fnum(atol), "equal_nan=%d" % equal_nan]
        self.o.op(name, tokens, bug)
        self.o.result(name, fn)

    @staticmethod
    def isclose_bug(a, b, rtol, atol, equal_nan):
        """The label of a known mismatch: PyTorch computes the tolerance test in
        the tensors' dtype (float32 for float32, and for integer and bool
        tensors too: they are converted to the default dtype); tapegrad in
        double. None when the two give the same answer here."""
        if rtol < 0 or atol < 0:
            return None
        try:
            A, B = torch.broadcast_tensors(a, b)
        except RuntimeError:
            return None
        if not a.dtype.is_floating_point and A.numel():
            big = max(A.abs().max().item() if a.dtype != torch.bool else 1,
                      B.abs().max().item() if b.dtype != torch.bool else 1)
            if big > 2 ** 24:
                return "skip"
        A64, B64 = A.double(), B.double()
        with np.errstate(all="ignore"):
            close = (A64 == B64)
            if equal_nan:
                close |= torch.isnan(A64) & torch.isnan(B64)
            if not (rtol == 0 and atol == 0):
                fin = torch.isfinite(A64) & torch.isfinite(B64)
                close |= fin & ((A64 - B64).abs() <= atol + rtol * B64.abs())
        if A.numel() == 0:
            return None
        try:
            want = torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
        except RuntimeError:
            return None
        if bool((want != close).any()):
            return "BUG-isclose-computed-in-double"
        return None

    def curated_compare(self):
        T = torch.tensor

        def fixed(kind, a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
            name = self.o.name("cmp")
            self.o.r.t(name + ".a", a)
            self.o.r.t(name + ".b", b)
            tokens = ["kind=" + kind, "da=" + G.dname(a.dtype), "db=" + G.dname(b.dtype), "va=c", "vb=c"]
            if kind != "equal":
                tokens += ["rtol=" + fnum(rtol), "atol=" + fnum(atol), "equal_nan=%d" % equal_nan]
            bug = self.isclose_bug(a, b, rtol, atol, equal_nan) if kind != "equal" else None
            assert bug != "skip"
            self.o.op(name, tokens, bug)
            if kind == "equal":
                self.o.result(name, lambda: torch.equal(a, b))
            elif kind == "isclose":
                self.o.result(name, lambda: torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
            else:
                self.o.result(name, lambda: torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))

        # float32 arithmetic at the edge of the tolerance (found by the random cases; minimised)
        fixed("isclose", T([1.0]), T([1.00001]), 1e-5, 0.0)
        fixed("isclose", T([0.0]), T([1e-8]), 0.0, 1e-8)
        fixed("isclose", T([100.0, 1.0]), T([100.001, 1.0]), 1e-5, 0.0)
        fixed("allclose", T([1e-3]), T([1.001e-3]), 1e-3, 0.0)
        fixed("isclose", T([3], dtype=torch.int32), T([2], dtype=torch.int32), 0.0, 1.0)
        fixed("isclose", T([True, False]), T([False, False]), 0.0, 1.0)
        # integers (PyTorch: in float32) at the tolerance's edge
        fixed("isclose", T([87], dtype=torch.uint8), T([51], dtype=torch.uint8), 0.7, 0.3)
        fixed("isclose", T([67], dtype=torch.int32), T([51], dtype=torch.int32), 0.3, 0.7)
        fixed("allclose", T([11, 5], dtype=torch.int16), T([39, 5], dtype=torch.int16), 0.7, 0.7)
        # float32 pairs at the tolerance's edge, where float32 and double arithmetic disagree
        rng = random.Random(SEED_CREATE + 5)
        found = 0
        while found < 8:
            rtol, atol = rng.choice([(1e-5, 1e-8), (1e-3, 0.0), (0.0, 1e-2), (0.1, 0.5), (0.0, 0.3), (0.3, 0.0)])
            b = np.float32(rng.choice([1, -1]) * 10 ** rng.uniform(-3, 3))
            a = np.float32(float(b) + rng.choice([1, -1]) * (atol + rtol * abs(float(b))))
            for _ in range(rng.randint(0, 2)):
                a = np.nextafter(a, np.float32(rng.choice([inf, -inf])))
            ta, tb = T([float(a)]), T([float(b)])
            if self.isclose_bug(ta, tb, rtol, atol, False):
                fixed("isclose" if found % 2 else "allclose", ta, tb, rtol, atol)
                found += 1
        # inf, nan, -0., zero tolerances
        for kind in ("isclose", "allclose"):
            for eqn in (False, True):
                fixed(kind, T([inf, -inf, inf, nan, nan, 0.0, -0.0, 1.0]), T([inf, -inf, -inf, nan, 1.0, -0.0, 0.0, inf]),
                      1e-5, 1e-8, eqn)
                fixed(kind, T([nan, 2.0], dtype=torch.float64), T([nan, 2.0], dtype=torch.float64), 0.0, 0.0, eqn)
                fixed(kind, T([inf], dtype=torch.float64), T([1e308], dtype=torch.float64), 1.0, inf, eqn)
        fixed("isclose", T([1.0, 2.0]), T([1.0, 2.0]), inf, 0.0)
        fixed("isclose", T([1.0, 2.0]), T([3.0, 4.0]), nan, 0.0)
        fixed("isclose", T([1.0, 2.0]), T([3.0, 4.0]), 0.0, nan)
        # empty and broadcasting
        fixed("allclose", torch.zeros(0, 3), torch.zeros(3))
        fixed("allclose", torch.zeros(2, 1), torch.zeros(3))
        fixed("allclose", torch.zeros(2), torch.zeros(3))
        fixed("isclose", torch.zeros(0), torch.zeros(2, 1))
        fixed("equal", torch.zeros(0), torch.zeros(0, 1))
        fixed("equal", torch.zeros(2, 3), torch.zeros(3))
        fixed("equal", T([nan]), T([nan]))
        fixed("equal", T([-0.0]), T([0.0]))
        fixed("equal", T(1.0), T([1.0]))
        fixed("equal", T([1]), T([1.5]))
        fixed("equal", T([1], dtype=torch.uint8), T([1.0]))
        fixed("equal", T([True]), T([2], dtype=torch.int64))
        fixed("equal", T([-1], dtype=torch.int8), T([255], dtype=torch.uint8))


# mixed dtype pairs of equal(); keep equal to kEqualPair in tests/tensor/fuzz_creation_test.cpp
EQUAL_MIXED = [("int64", "float32"), ("float32", "int64"), ("uint8", "int8"), ("int8", "uint8"), ("bool", "int64"),
               ("uint8", "float32"), ("float32", "float64"), ("int32", "int64"), ("bool", "uint8")]


class Curated:
    """The names of the cases written inside `with curated:` (kept by the thinning)."""

    def __init__(self, o):
        self.o, self.numbers = o, set()

    def __enter__(self):
        self.start = self.o.n

    def __exit__(self, *exc):
        self.numbers.update(range(self.start + 1, self.o.n + 1))

    def __call__(self, case):
        return int(re.search(r"\d+$", case).group()) in self.numbers


def thinned(o, curated):
    kept, total, classes = fuzz_thin.thin(o.r, BUDGET, curated)
    return {"random cases repeating the feature classes of kept ones (%d of %d cases kept, %d classes)"
            % (kept, total, classes): total - kept}


def gen_printing(n_random):
    g = PrintGen()
    curated = Curated(g.o)
    rng = random.Random(SEED_PRINT)
    for _ in range(n_random):
        g.random_case(rng)
    with curated:
        g.curated()
    skipped = {"printed text over 2500 characters (keeps the file small)": getattr(g, "skipped", 0)}
    skipped.update(thinned(g.o, curated))
    return g.o, skipped


def gen_creation(counts):
    g = CreateGen()
    curated = Curated(g.o)
    rng = random.Random(SEED_CREATE)
    for _ in range(counts["arange"]):
        g.random_arange(rng)
    with curated:
        g.curated_arange()
    for _ in range(counts["linspace"]):
        g.random_linspace(rng)
    with curated:
        g.curated_linspace()
    for _ in range(counts["fill"]):
        g.random_fill(rng)
    for _ in range(counts["like"]):
        g.like(rng)
    with curated:
        g.nested()
    for _ in range(counts["elem"]):
        g.elem(rng)
    for _ in range(counts["item"]):
        g.item(rng)
    for _ in range(counts["index"]):
        g.index(rng)
    for _ in range(counts["views"]):
        g.sel_nar_sl(rng, rng.choice(["select", "narrow", "slice", "slice"]))
    with curated:
        g.curated_views()
    for _ in range(counts["cat"]):
        g.cat_stack(rng)
    with curated:
        g.curated_cat()
    for _ in range(counts["compare"]):
        g.compare(rng)
    with curated:
        g.curated_compare()
    g.skipped.update(thinned(g.o, curated))
    return g.o, g.skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference")
    ap.add_argument("--out", default=default_out)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for o, skipped in (gen_printing(N_PRINT), gen_creation(N_CREATE)):
        path = o.r.write(args.out)
        print("%s: %d cases (%d PyTorch errors), %d bytes" % (path, o.n, o.errors, os.path.getsize(path)))
        print("  by kind: %s" % ", ".join("%s %d" % kv for kv in sorted(o.kinds.items())))
        print("  known-bug cases: %s" % (", ".join("%s %d" % kv for kv in sorted(o.bugs.items())) or "none"))
        for why, n in sorted(skipped.items()):
            print("  skipped %4d  %s" % (n, why))
    return 0


if __name__ == "__main__":
    sys.exit(main())
