#!/usr/bin/env -S /usr/bin/python3
"""Randomized differential test data for tapegrad's elementwise ops (PyTorch 1.13).

Writes tests/reference/fuzz_elementwise.txt, replayed by
tests/ops/fuzz_elementwise_test.cpp. Runs with Debian's /usr/bin/python3
(which has torch); deterministic (fixed seed, Python's own RNG for every
choice and value, torch single-threaded).

    /usr/bin/python3 tools/gen_fuzz_elementwise.py            # writes tests/reference/
    /usr/bin/python3 tools/gen_fuzz_elementwise.py --out DIR

File format: that of tools/gen_reference.py (RefFile). Every case <c> has

    @ <c>.op str      one line of key=value tokens saying what to run:
        kind=   tt   binary op, tensor a, tensor b          (op=add|sub|...)
                ts   tensor a op scalar                      (s=, st=)
                st   scalar op tensor b                      (s=, st=)
                u    unary op of tensor a                    (op=exp|...|clamp)
                w    where(c, a, b); ws = where(c, a, s); sw = where(c, s, b)
                ip   in place, a.<op>(b) or a <op>= b;  ips = a.<op>(s)
        op=     PyTorch's name (add, sub, mul, div, pow, maximum, minimum, eq,
                ne, lt, le, gt, ge, logical_and, logical_or, logical_xor,
                logical_not, exp, log, log1p, sqrt, rsqrt, sigmoid, tanh, abs,
                neg, relu, clamp, add_, sub_, mul_, div_, clamp_, relu_)
        form=   fn (tg::add(a, b)), op (a + b, a += b, -a, ~a, a & b),
                method (a.pow(b), a.exp(), a.add_(b))
        st=     C++ type of the scalar: bool, int (int64_t), float (double)
        s=      the scalar (repr; bool as 0/1)
        lo= hi= clamp bounds (a number or 'none'; Python ints for integer tensors)
        va= vb= vc=   how the input is laid out:
                c contiguous, t reversed strides (permute/contiguous/permute),
                s every other element of a buffer twice as long in the last dim,
                o at storage offset 1 of a longer buffer,
                e:<d0>x<d1>... the record is expanded (stride 0) to that shape
        bug=    (only on cases that hit a bug this fuzzer found when it was
                written, fixed since) the bug's label, named by the test
                should the case fail again
    @ <c>.a, <c>.b, <c>.c    the inputs (for e: views, before expanding)
    @ <c>.out                PyTorch's result (for in-place ops: a afterwards)
    or @ <c>.err str         PyTorch raised (its message, for information)

Not generated (tapegrad refuses them at compile time, and PyTorch raises too):
bool - bool (tensor or scalar; but bool.sub_(bool) and `bool -= bool` compile in
tapegrad and are generated), neg/abs/relu of bool, in-place ops whose result
dtype can't be cast to the destination (int.div_, int.add_(float), bool.add_(int)).
Not generated, documented deviations (README "Where tapegrad differs"):
a 0-d tensor taking part in promotion (cases where torch.result_type differs
from torch.promote_types of the dtypes), clamp of an integer tensor with float
bounds, clamp of a bool tensor (a compile error; PyTorch gives int64).
"""

import argparse
import math
import operator
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_reference as G  # noqa: E402  (sets torch to one thread, float32 default)
import torch  # noqa: E402
from fuzz_ops import names as table_names  # noqa: E402  (the op table)

SEED = 20261205
FILENAME = "fuzz_elementwise.txt"
N_RANDOM = 1300

DT = {"bool": torch.bool, "uint8": torch.uint8, "int8": torch.int8, "int16": torch.int16,
      "int32": torch.int32, "int64": torch.int64, "float32": torch.float32, "float64": torch.float64}
NAMES = list(DT)
INTS = ["uint8", "int8", "int16", "int32", "int64"]
FLOATS = ["float32", "float64"]

# The mixed dtype pairs the C++ test dispatches (kMixedPair in
# tests/ops/fuzz_elementwise_test.cpp; keep the two lists equal). Every
# same-dtype pair is dispatched as well. The list covers the promotion rules
# (uint8 + int8 -> int16, across categories, within one) and the pairs the
# tensor-scalar forms need (int tensor * 2.5: (int, float32); bool + 2: (bool, int64)).
MIXED_PAIRS = [
    ("uint8", "int8"), ("int8", "uint8"), ("int16", "int64"), ("int8", "int32"),
    ("float32", "float64"), ("int32", "float64"),
    ("bool", "int64"), ("int64", "bool"), ("bool", "float32"), ("float32", "bool"),
    ("uint8", "float32"), ("float32", "uint8"), ("int32", "float32"), ("float32", "int32"),
    ("int64", "float32"), ("float32", "int64"),
]
# Mixed pairs (dest, other) the in-place ops are dispatched for (castable ones).
INPLACE_MIXED = [("uint8", "int8"), ("int8", "uint8"), ("float32", "float64"), ("float32", "int32"),
                 ("int64", "bool"), ("float32", "bool")]

# the op lists: rows of tools/fuzz_ops.py (fuzz="elementwise"); how each is called is below
BIN_ARITH = table_names("elementwise", "bin_arith")
BIN_CMP = table_names("elementwise", "bin_cmp")
BIN_LOGIC = table_names("elementwise", "bin_logic")
BIN_OTHER = table_names("elementwise", "bin_other")
BIN_ALL = BIN_ARITH + BIN_CMP + BIN_LOGIC + BIN_OTHER
# the Python operator of each op (what the C++ test's form=op spells the same way)
OPSYM = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
         "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
         "ge": operator.ge, "logical_and": operator.and_, "logical_or": operator.or_,
         "logical_xor": operator.xor}
IOPSYM = {"add_": operator.iadd, "sub_": operator.isub, "mul_": operator.imul, "div_": operator.itruediv}
UNARY_FLOAT = table_names("elementwise", "unary_float")
UNARY_ALL = UNARY_FLOAT + table_names("elementwise", "unary_other")
INPLACE = table_names("elementwise", "inplace")
UNARY_INPLACE = table_names("elementwise", "unary_inplace")
SCALAR = table_names("elementwise", "scalar")  # the ops of the tensor-scalar forms (rows with also="scalar")

nan, inf = float("nan"), float("inf")
F32_SPECIAL = [nan, inf, -inf, 0.0, -0.0, 1e-40, -1e-40, 1e-45, 1.1754944e-38, 1e-30, -1e-30, 1e30, -1e30,
               3.4e38, 88.5, 88.75, 89.0, -87.5, -88.5, -100.0, -103.5, 20.0, -20.0, 1.0, -1.0]
F64_SPECIAL = [nan, inf, -inf, 0.0, -0.0, 1e-310, -1e-310, 5e-324, 2.2250738585072014e-308, 1e-300, -1e-300,
               1e300, -1e300, 1.7e308, 709.5, 709.78, 710.0, -708.5, -709.5, -745.0, -746.0, 40.0, -40.0,
               1.0, -1.0]
INT_RANGE = {"uint8": (0, 255), "int8": (-128, 127), "int16": (-2 ** 15, 2 ** 15 - 1),
             "int32": (-2 ** 31, 2 ** 31 - 1), "int64": (-2 ** 63, 2 ** 63 - 1)}


def pair_ok(a, b):
    return a == b or (a, b) in MIXED_PAIRS


def category(dt):
    return 0 if dt == "bool" else (2 if dt in FLOATS else 1)


def scalar_promote(dt, st):
    """tapegrad::scalar_promote_t: a scalar only widens across categories."""
    cs = {"bool": 0, "int": 1, "float": 2}[st]
    if cs <= category(dt):
        return dt
    return "float32" if cs == 2 else "int64"


def can_cast(frm, to):
    return not (frm in FLOATS and to not in FLOATS) and not (frm != "bool" and to == "bool")


def prod(s):
    p = 1
    for d in s:
        p *= d
    return p


def stag(shape):
    return "x".join(str(d) for d in shape)


# ----------------------------------------------------------------------------
# random shapes, values, layouts

def rand_shape(rng, max_numel=36):
    """Rank 0 to 4, dims in {0, 1, 2, 3, 5}, at most max_numel elements."""
    while True:
        r = rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4])
        s = [rng.choice([0, 1, 1, 2, 2, 3, 3, 5, 5]) if rng.random() < 0.95 else 0 for _ in range(r)]
        if r and rng.random() < 0.85:  # size-0 dims in a minority of cases
            s = [d if d else rng.choice([1, 2, 3, 5]) for d in s]
        if prod(s) <= max_numel:
            return s


def bcast_from(rng, out):
    """A shape that broadcasts to `out`: leading dims dropped, some dims 1."""
    k = len(out)
    if k and rng.random() < 0.3:
        k = rng.randint(0, len(out))
    s = list(out[len(out) - k:])
    return [1 if (d != 1 and rng.random() < 0.3) else d for d in s]


def bcast_pair(rng, allow_bad=True):
    out = rand_shape(rng)
    a, b = bcast_from(rng, out), bcast_from(rng, out)
    if rng.random() < 0.5:
        a = list(out)
    elif rng.random() < 0.5:
        b = list(out)
    if allow_bad and rng.random() < 0.05:
        # not broadcastable: one trailing dim pair that differs and has no 1
        r = max(len(a), len(b), 1)
        a = [1] * (r - len(a)) + a
        b = [1] * (r - len(b)) + b
        i = rng.randrange(r)
        x = rng.choice([0, 2, 3, 5])
        a[i] = x
        b[i] = rng.choice([d for d in (0, 2, 3, 5) if d != x])
    return a, b


def int_values(rng, dt, n, mode):
    lo, hi = INT_RANGE[dt]
    out = []
    for _ in range(n):
        if mode == "wide":
            v = rng.choice([lo, hi, lo + 1, hi - 1, 0, -1 if lo < 0 else 1]) if rng.random() < 0.3 \
                else rng.randint(lo, hi)
        elif mode == "powbase":
            v = rng.randint(-4, 4) if lo < 0 else rng.randint(0, 5)
        elif mode == "powexp":
            v = rng.randint(0, 6) if rng.random() < 0.85 else rng.randint(-3, -1)
            if lo == 0:
                v = abs(v)
        else:
            v = rng.randint(-10, 10) if lo < 0 else rng.randint(0, 20)
        out.append(max(lo, min(hi, v)))
    return out


def float_values(rng, dt, n, mode, special_p):
    special = F32_SPECIAL if dt == "float32" else F64_SPECIAL
    out = []
    for _ in range(n):
        if rng.random() < special_p:
            out.append(rng.choice(special))
            continue
        u = rng.random()
        if mode == "pos":
            v = round(rng.uniform(0, 5), 3) if u < 0.8 else rng.choice([0.0, -1.0, 1e-3, 100.0, -0.5])
        elif mode == "powexp":
            v = rng.choice([0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 1.5, 2.5, -1.5]) if u < 0.7 \
                else round(rng.uniform(-3, 3), 2)
        elif u < 0.4:
            v = rng.randint(-16, 16) / 4.0
        elif u < 0.8:
            v = round(rng.gauss(0, 2), 3)
        else:
            v = rng.choice([-1, 1]) * 10 ** rng.uniform(-6, 6)
        out.append(v)
    return out


def values(rng, dt, shape, mode="general"):
    n = prod(shape)
    if dt == "bool":
        vals = [rng.random() < 0.5 for _ in range(n)]
    elif dt in INTS:
        if mode == "general" and rng.random() < 0.2:
            mode = "wide"
        vals = int_values(rng, dt, n, mode)
    else:
        special_p = rng.choice([0.0, 0.0, 0.1, 0.3]) if mode != "powexp" else rng.choice([0.0, 0.1])
        vals = float_values(rng, dt, n, mode, special_p)
    return torch.tensor(vals, dtype=DT[dt]).reshape(shape)


def pick_view(rng, shape, allow_expand=True):
    """(view token, record shape): the record holds the values of the base."""
    if allow_expand and len(shape) and rng.random() < 0.15:
        base = bcast_from(rng, shape)
        if base != list(shape):
            return "e:" + stag(shape), base
    opts = ["c", "c", "o"]
    if len(shape) >= 1:
        opts.append("s")
    if len(shape) >= 2:
        opts += ["t", "t"]
    return rng.choice(opts), list(shape)


def layout(x, view):
    """x laid out as the C++ test lays it out (same values, never x's memory:
    an in-place op must not change the record)."""
    x = x.clone()
    if view == "c":
        return x
    if view.startswith("e:"):
        shape = [int(d) for d in view[2:].split("x")] if view[2:] else []
        return x.expand(shape)
    if view == "t":
        perm = list(range(x.dim()))[::-1]
        return x.permute(perm).contiguous().permute(perm)
    if view == "s":
        big = list(x.shape)
        big[-1] *= 2
        v = torch.zeros(big, dtype=x.dtype)[..., ::2]
        v.copy_(x)
        return v
    if view == "o":
        v = torch.zeros(x.numel() + 1, dtype=x.dtype)[1:].view(x.shape)
        v.copy_(x)
        return v
    raise ValueError(view)


def fmt_scalar(s):
    if isinstance(s, bool):
        return "1" if s else "0"
    if isinstance(s, int):
        return str(s)
    return repr(float(s))


def stype(s):
    return "bool" if isinstance(s, bool) else ("int" if isinstance(s, int) else "float")


def rand_scalar(rng, dt, op):
    """A Python scalar for a tensor of dtype dt: mostly of its own category."""
    u = rng.random()
    if u < 0.15:
        return rng.random() < 0.5
    if u < 0.6 or (dt in FLOATS and u < 0.7):
        if op == "pow":
            return rng.choice([-2, -1, 0, 1, 2, 3, 5])
        if rng.random() < 0.1:
            return rng.choice([1000, -1, 300, 2 ** 40, -129, 65537])  # wraps in a small int dtype
        return rng.randint(-5, 5)
    if op == "pow":
        return rng.choice([0.5, -0.5, 2.0, 3.0, -1.0, 1.5, 0.0, -2.0])
    return rng.choice([2.5, -0.5, 0.1, 0.0, -0.0, 3.0, 1e10, nan, inf, -inf, 1e-3])


# ----------------------------------------------------------------------------
# running ops in torch

def torch_binary(op, form, a, b):
    if form == "op" and op in OPSYM:
        return OPSYM[op](a, b)
    return getattr(torch, op)(a, b)


def torch_unary(op, form, a, lo=None, hi=None):
    if op == "clamp":
        return torch.clamp(a, min=lo, max=hi)
    if op == "logical_not" and form == "op":
        return ~a
    if op == "neg" and form == "op":
        return -a
    return getattr(torch, op)(a)


def torch_inplace(op, form, a, b):
    if form == "op":
        return IOPSYM[op](a, b)  # a += b: in place, returns a
    return getattr(a, op)(b)


def deviation_0d(x, y):
    """The documented 0-d promotion deviation applies (PyTorch lets a 0-d
    tensor of the same category act like a scalar)."""
    return torch.result_type(x, y) != torch.promote_types(x.dtype, y.dtype)


# ----------------------------------------------------------------------------
# the bugs this fuzzer found, fixed since (labels only: the expected values
# are PyTorch's)

def scalar_overflows(dt, v):
    """PyTorch's checked conversion of a Python scalar to dtype dt fails
    (c10::checked_convert: a negative value may wrap into an unsigned dtype
    when its magnitude fits; infinities and NaN fit a floating dtype)."""
    if isinstance(v, bool) or dt == "bool":
        return False
    if dt in FLOATS:
        return not (math.isinf(v) or math.isnan(v)) and abs(v) > torch.finfo(DT[dt]).max
    if isinstance(v, float):
        return False
    lo, hi = INT_RANGE[dt]
    if lo == 0:
        return v > hi or (v < 0 and -v > hi)
    return v < lo or v > hi


def known_bug(kind, op, dts, tensors, s=None, lo=None, hi=None, views=None):
    """The label of a bug that made this case fail when it was found, or None."""
    a = tensors.get("a")
    b = tensors.get("b")
    views = views or {}
    if op == "pow":
        if kind == "tt":
            if dts["a"] == "bool" and dts["b"] == "bool":
                return "BUG-pow-bool"
            R = torch.promote_types(a.dtype, b.dtype)
            if not R.is_floating_point and R != torch.bool and _bcast_ok(a, b):
                ab, bb = torch.broadcast_tensors(a.to(torch.int64), b.to(torch.int64))
                if bool(((bb < 0) & (ab != 1) & (ab != -1)).any()):
                    return "BUG-pow-int-negative-exponent"
        if kind == "ts":
            if s is True and dts["a"] != "bool":
                return "BUG-pow-scalar-true"
            if isinstance(s, bool) and dts["a"] == "bool":
                return "BUG-pow-bool"
            if isinstance(s, int) and not isinstance(s, bool) and s < 0 and dts["a"] in INTS:
                # tapegrad throws only for a signed dtype and a base other than 1 and -1
                av = a.to(torch.int64)
                if dts["a"] == "uint8" or not bool(((av != 1) & (av != -1)).any()):
                    return "BUG-pow-int-negative-scalar"
            if s is not None and scalar_overflows(scalar_promote(dts["a"], stype(s)), s):
                return "BUG-scalar-out-of-range-not-refused"
    if op in ("sub", "sub_"):
        bools = [d == "bool" for d in dts.values()]
        if s is not None:
            bools.append(isinstance(s, bool))
        if any(bools):
            return "BUG-sub-bool-operand"
    if op == "div" and kind in ("ts", "st") and isinstance(s, int) and not isinstance(s, bool):
        dt = list(dts.values())[0]
        if dt in INTS and not (INT_RANGE[dt][0] <= s <= INT_RANGE[dt][1]):
            return "BUG-div-int-scalar-wrapped"
    if op == "where" and kind in ("ws", "sw") and s is not None:
        dt = list(dts.values())[0]
        if scalar_overflows(scalar_promote(dt, stype(s)), s):
            return "BUG-scalar-out-of-range-not-refused"
    if op == "log" and a is not None and a.dtype.is_floating_point and a.numel() > 0:
        tiny = torch.finfo(a.dtype).tiny
        if bool(((a > 0) & (a < tiny)).any()):
            return "BUG-log-denormal"
    if op in ("clamp", "clamp_") and a is not None:
        for v in (lo, hi):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            if a.dtype.is_floating_point:
                if scalar_overflows(dname(a.dtype), v):
                    return "BUG-clamp-bound-out-of-range"
            elif a.dtype != torch.bool:
                lo_, hi_ = INT_RANGE[dname(a.dtype)]
                if not (lo_ <= v <= hi_):  # PyTorch raises or wraps; tapegrad's cast is undefined
                    return "BUG-clamp-bound-out-of-range"
        if a.dtype.is_floating_point and a.numel() > 0:
            # clamp at a bound equal to x keeps x (its sign of zero) in PyTorch
            for v in (lo, hi):
                if v == 0 and bool(((a == 0) & (torch.signbit(a) != (math.copysign(1.0, v) < 0))).any()):
                    return "BUG-clamp-signed-zero"
    if kind in ("ip", "ips") and views.get("a", "").startswith("e:") and a is not None and a.numel() == 0:
        return "BUG-inplace-expanded-empty"
    return None


def _bcast_ok(a, b):
    try:
        torch.broadcast_shapes(a.shape, b.shape)
        return True
    except RuntimeError:
        return False


def dname(dt):
    return str(dt).replace("torch.", "")


# ----------------------------------------------------------------------------

class Gen:
    def __init__(self):
        self.r = G.RefFile(FILENAME, SEED)
        self.r.lines[0] = "# generated by tools/gen_fuzz_elementwise.py with torch %s -- do not edit" % torch.__version__
        self.r.lines[1] = "# regenerate with: /usr/bin/python3 tools/gen_fuzz_elementwise.py"
        self.n = 0
        self.skipped = {}
        self.bugs = {}
        self.kinds = {}

    def skip(self, why):
        self.skipped[why] = self.skipped.get(why, 0) + 1
        return False

    def emit(self, prefix, tokens, inputs, fn, bug=None):
        """inputs: list of (letter, record tensor, view token, laid-out torch tensor).
        fn() runs the op in torch on the laid-out inputs."""
        try:
            out = fn()
            err = None
        except Exception as e:  # noqa: BLE001 - whatever torch raises
            out, err = None, "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
        if out is not None and (not isinstance(out, torch.Tensor) or out.dtype not in G.ALL_DTYPES):
            raise AssertionError("unexpected torch result %r for %s" % (out, tokens))
        self.n += 1
        name = "%s%04d" % (prefix, self.n)
        if bug:
            tokens = tokens + ["bug=" + bug]
            self.bugs[bug] = self.bugs.get(bug, 0) + 1
        self.r.s(name + ".op", " ".join(tokens))
        for letter, rec, _view, _x in inputs:
            self.r.t("%s.%s" % (name, letter), rec)
        if err is None:
            self.r.t(name + ".out", out)
        else:
            self.r.s(name + ".err", err)
        k = tokens[0].split("=")[1]
        self.kinds[k] = self.kinds.get(k, 0) + 1
        return True

    # -- input helper
    def input(self, rng, letter, dt, shape, mode="general", allow_expand=True, view=None):
        if view is None:
            view, base = pick_view(rng, shape, allow_expand)
        else:
            base = list(shape) if not view.startswith("e:") else bcast_from(rng, shape)
        rec = values(rng, dt, base, mode)
        return (letter, rec, view, layout(rec, view))

    # -- case kinds ------------------------------------------------------------
    def binary_tt(self, rng, op=None, da=None, db=None, prefix="c"):
        op = op or rng.choice(BIN_ALL)
        if da is None:
            if rng.random() < 0.55:
                da = db = rng.choice(NAMES)
            else:
                da, db = rng.choice(MIXED_PAIRS)
        if op == "sub" and da == "bool" and db == "bool":
            return self.skip("sub bool-bool (compile error in tapegrad, PyTorch raises)")
        sa, sb = bcast_pair(rng)
        ma = mb = "general"
        if op == "pow":
            ma, mb = "powbase", "powexp"
        if op == "pow" and da in FLOATS:
            ma = "general"
        ia = self.input(rng, "a", da, sa, ma)
        ib = self.input(rng, "b", db, sb, mb)
        if deviation_0d(ia[3], ib[3]):
            return self.skip("0-d tensor promotion (documented deviation)")
        form = "fn"
        if op in OPSYM and (op not in BIN_LOGIC or (da == "bool" and db == "bool")):
            form = rng.choice(["fn", "op"])
        elif op in BIN_OTHER:
            form = rng.choice(["fn", "method"])
        tokens = ["kind=tt", "op=" + op, "form=" + form, "va=" + ia[2], "vb=" + ib[2]]
        bug = known_bug("tt", op, {"a": da, "b": db}, {"a": ia[3], "b": ib[3]})
        return self.emit(prefix, tokens, [ia, ib], lambda: torch_binary(op, form, ia[3], ib[3]), bug)

    def binary_scalar(self, rng, reverse=False, op=None, dt=None, s=None, prefix="c"):
        ops = [o for o in SCALAR if not (reverse and o == "pow")]  # scalar ** tensor is not in tapegrad
        op = op or rng.choice(ops)
        dt = dt or rng.choice(NAMES)
        if s is None:
            s = rand_scalar(rng, dt, op)
        st = stype(s)
        R = scalar_promote(dt, st)
        if not pair_ok(dt, R):
            return self.skip("tensor-scalar dtype pair not dispatched")
        if op == "sub" and dt == "bool" and st == "bool":
            return self.skip("sub bool-bool (compile error in tapegrad, PyTorch raises)")
        shape = rand_shape(rng)
        mode = "powbase" if (op == "pow" and dt in INTS) else "general"
        ia = self.input(rng, "b" if reverse else "a", dt, shape, mode)
        x = ia[3]
        kind = "st" if reverse else "ts"
        form = "op"
        if op == "pow":
            form = rng.choice(["fn", "method"])
        tokens = ["kind=" + kind, "op=" + op, "form=" + form, "st=" + st, "s=" + fmt_scalar(s),
                  ("vb=" if reverse else "va=") + ia[2]]

        def run():
            if op == "pow":
                return torch.pow(x, s)
            return OPSYM[op](s, x) if reverse else OPSYM[op](x, s)

        bug = known_bug(kind, op, {"b" if reverse else "a": dt}, {"b" if reverse else "a": x}, s=s)
        return self.emit(prefix, tokens, [ia], run, bug)

    def unary(self, rng, op=None, dt=None, prefix="c"):
        op = op or rng.choice(UNARY_ALL)
        dt = dt or rng.choice(FLOATS * 3 + NAMES)
        if op in ("abs", "neg", "relu", "clamp") and dt == "bool":
            return self.skip("%s of bool (compile error in tapegrad)" % op)
        shape = rand_shape(rng)
        mode = "pos" if op in ("log", "sqrt", "rsqrt", "log1p") and rng.random() < 0.6 else "general"
        ia = self.input(rng, "a", dt, shape, mode)
        form = rng.choice(["fn", "method"])
        if op in ("neg", "logical_not") and rng.random() < 0.5 and (op == "neg" or dt == "bool"):
            form = "op"
        if op == "clamp":
            form = rng.choice(["fn", "method"])
        tokens = ["kind=u", "op=" + op, "form=" + form, "va=" + ia[2]]
        lo = hi = None
        if op == "clamp":
            lo, hi = self.clamp_bounds(rng, dt)
            tokens += ["lo=" + ("none" if lo is None else fmt_scalar(lo)),
                       "hi=" + ("none" if hi is None else fmt_scalar(hi))]
        bug = known_bug("u", op, {"a": dt}, {"a": ia[3]}, lo=lo, hi=hi)
        return self.emit(prefix, tokens, [ia], lambda: torch_unary(op, form, ia[3], lo, hi), bug)

    def clamp_bounds(self, rng, dt):
        def one():
            if dt in FLOATS:
                return rng.choice([-1.0, 0.0, 0.5, 2.25, -0.25, inf, -inf, 1e-3, -3.0, 1e30])
            lo_, hi_ = INT_RANGE[dt]
            if rng.random() < 0.1:
                return rng.choice([lo_, hi_])
            return max(lo_, min(hi_, rng.randint(-6, 12)))
        u = rng.random()
        lo = one() if u < 0.75 else None
        hi = one() if u > 0.35 else None
        if lo is None and hi is None and rng.random() < 0.7:
            lo = one()
        return lo, hi

    def where(self, rng, prefix="c"):
        u = rng.random()
        if u < 0.6:
            if rng.random() < 0.5:
                da = db = rng.choice(NAMES)
            else:
                da, db = rng.choice(MIXED_PAIRS)
            out = rand_shape(rng)
            sc, sa, sb = bcast_from(rng, out), bcast_from(rng, out), bcast_from(rng, out)
            if rng.random() < 0.5:
                sc = list(out)
            if rng.random() < 0.04:
                sa = sa + [7]  # not broadcastable
            ic = self.input(rng, "c", "bool", sc)
            ia = self.input(rng, "a", da, sa)
            ib = self.input(rng, "b", db, sb)
            if deviation_0d(ia[3], ib[3]):
                return self.skip("0-d tensor promotion (documented deviation)")
            tokens = ["kind=w", "op=where", "form=fn", "vc=" + ic[2], "va=" + ia[2], "vb=" + ib[2]]
            return self.emit(prefix, tokens, [ic, ia, ib], lambda: torch.where(ic[3], ia[3], ib[3]))
        reverse = u > 0.8
        dt = rng.choice(NAMES)
        s = rand_scalar(rng, dt, "where")
        if not pair_ok(dt, scalar_promote(dt, stype(s))):
            return self.skip("tensor-scalar dtype pair not dispatched")
        out = rand_shape(rng)
        ic = self.input(rng, "c", "bool", bcast_from(rng, out) if rng.random() < 0.5 else out)
        it = self.input(rng, "b" if reverse else "a", dt, bcast_from(rng, out) if rng.random() < 0.5 else out)
        kind = "sw" if reverse else "ws"
        tokens = ["kind=" + kind, "op=where", "form=fn", "st=" + stype(s), "s=" + fmt_scalar(s),
                  "vc=" + ic[2], ("vb=" if reverse else "va=") + it[2]]
        fn = (lambda: torch.where(ic[3], s, it[3])) if reverse else (lambda: torch.where(ic[3], it[3], s))
        bug = known_bug(kind, "where", {it[0]: dt}, {it[0]: it[3]}, s=s)
        return self.emit(prefix, tokens, [ic, it], fn, bug)

    def inplace(self, rng, prefix="c"):
        op = rng.choice(INPLACE + UNARY_INPLACE if rng.random() < 0.25 else INPLACE)
        if rng.random() < 0.6:
            da = db = rng.choice(NAMES)
        else:
            da, db = rng.choice(INPLACE_MIXED)
        if op in ("clamp_", "relu_"):
            if da == "bool":
                return self.skip("%s of bool (compile error in tapegrad)" % op)
            shape = rand_shape(rng)
            ia = self.input(rng, "a", da, shape)
            tokens = ["kind=u", "op=" + op, "form=method", "va=" + ia[2]]
            lo = hi = None
            if op == "clamp_":
                lo, hi = self.clamp_bounds(rng, da)
                tokens += ["lo=" + ("none" if lo is None else fmt_scalar(lo)),
                           "hi=" + ("none" if hi is None else fmt_scalar(hi))]

            def run_u():
                x = ia[3]
                if op == "clamp_":
                    x.clamp_(min=lo, max=hi)
                else:
                    x.relu_()
                return x
            bug = known_bug("u", op, {"a": da}, {"a": ia[3]}, lo=lo, hi=hi)
            return self.emit(prefix, tokens, [ia], run_u, bug)

        scalar = rng.random() < 0.3
        form = rng.choice(["method", "op"])
        out = rand_shape(rng)
        sb = bcast_from(rng, out)
        sa = list(out)
        if rng.random() < 0.08:
            sa, sb = sb, sa  # the broadcast shape is not the destination's: PyTorch raises
        if scalar:
            s = rand_scalar(rng, da, op)
            st = stype(s)
            R = scalar_promote(da, st)
            C = "float32" if (op == "div_" and R not in FLOATS) else R
            if not can_cast(C, da):
                return self.skip("in-place result dtype can't be cast (compile error in tapegrad)")
            if not (da == R or (da, R) in INPLACE_MIXED):
                return self.skip("tensor-scalar dtype pair not dispatched")
            ia = self.input(rng, "a", da, sa)
            tokens = ["kind=ips", "op=" + op, "form=" + form, "st=" + st, "s=" + fmt_scalar(s), "va=" + ia[2]]
            bug = known_bug("ips", op, {"a": da}, {"a": ia[3]}, s=s, views={"a": ia[2]})
            return self.emit(prefix, tokens, [ia], lambda: torch_inplace(op, form, ia[3], s), bug)
        R = dname(torch.promote_types(DT[da], DT[db]))
        C = "float32" if (op == "div_" and R not in FLOATS) else R
        if not can_cast(C, da):
            return self.skip("in-place result dtype can't be cast (compile error in tapegrad)")
        ia = self.input(rng, "a", da, sa)
        ib = self.input(rng, "b", db, sb)
        if deviation_0d(ia[3], ib[3]):
            return self.skip("0-d tensor promotion (documented deviation)")
        tokens = ["kind=ip", "op=" + op, "form=" + form, "va=" + ia[2], "vb=" + ib[2]]
        bug = known_bug("ip", op, {"a": da, "b": db}, {"a": ia[3], "b": ib[3]}, views={"a": ia[2]})
        return self.emit(prefix, tokens, [ia, ib], lambda: torch_inplace(op, form, ia[3], ib[3]), bug)

    # -- curated cases: deterministic inputs for the corners -------------------
    def fixed(self, tokens, inputs, fn, bug=None):
        """inputs: list of (letter, torch tensor, view)."""
        ins = [(l, x, v, layout(x, v)) for l, x, v in inputs]
        return self.emit("k", tokens, ins, lambda: fn(*[i[3] for i in ins]), bug)

    def curated(self):
        T = torch.tensor
        i16, i32, i64, u8, i8, f32, f64 = (torch.int16, torch.int32, torch.int64, torch.uint8, torch.int8,
                                          torch.float32, torch.float64)
        # integer true division by zero, every integer dtype
        for dt in INTS:
            a = T([[1, 0, -1 if dt != "uint8" else 2], [7, 0, 3]], dtype=DT[dt])
            b = T([[0, 0, 0], [2, 5, -2 if dt != "uint8" else 7]], dtype=DT[dt])
            self.fixed(["kind=tt", "op=div", "form=op", "va=c", "vb=t"], [("a", a, "c"), ("b", b, "t")],
                       lambda x, y: x / y)
            self.fixed(["kind=ts", "op=div", "form=op", "st=int", "s=0", "va=c"], [("a", a, "c")],
                       lambda x: x / 0)
            self.fixed(["kind=st", "op=div", "form=op", "st=int", "s=0", "vb=s"], [("b", b, "s")],
                       lambda y: 0 / y)
        # wraparound of + - * and abs/neg at the dtype limits
        for dt in INTS:
            lo, hi = INT_RANGE[dt]
            a = T([lo, hi, lo, hi, 0, lo + 1], dtype=DT[dt])
            b = T([lo, hi, -1 if lo < 0 else 1, 1, lo, hi], dtype=DT[dt])
            for op in ("add", "sub", "mul"):
                self.fixed(["kind=tt", "op=%s" % op, "form=fn", "va=o", "vb=s"], [("a", a, "o"), ("b", b, "s")],
                           lambda x, y, op=op: getattr(torch, op)(x, y))
            for op in ("abs", "neg"):
                self.fixed(["kind=u", "op=%s" % op, "form=fn", "va=s"], [("a", a, "s")],
                           lambda x, op=op: getattr(torch, op)(x))
            self.fixed(["kind=ts", "op=add", "form=op", "st=int", "s=1000", "va=c"], [("a", a, "c")],
                       lambda x: x + 1000)
            self.fixed(["kind=ts", "op=lt", "form=op", "st=int", "s=-1", "va=c"], [("a", a, "c")],
                       lambda x: x < -1)
        # integer pow: overflow wraps; negative exponents (PyTorch: tensor exponent gives
        # 0 (1 and -1 for bases 1 and -1); a scalar exponent raises for every base)
        for dt in ["int8", "int16", "int32", "int64"]:
            a = T([3, -3, 2, 7, -2, 0], dtype=DT[dt])
            b = T([7, 9, 40, 5, 63, 0], dtype=DT[dt])
            self.fixed(["kind=tt", "op=pow", "form=fn", "va=c", "vb=c"], [("a", a, "c"), ("b", b, "c")],
                       lambda x, y: torch.pow(x, y))
        a = T([2, 0, 1, -1, -1, 3, -2], dtype=i32)
        b = T([-1, -1, -3, -3, -2, -2, -1], dtype=i32)
        self.fixed(["kind=tt", "op=pow", "form=fn", "va=c", "vb=c"], [("a", a, "c"), ("b", b, "c")],
                   lambda x, y: torch.pow(x, y), "BUG-pow-int-negative-exponent")
        self.fixed(["kind=tt", "op=pow", "form=method", "va=c", "vb=c"],
                   [("a", T([2, 1], dtype=i64), "c"), ("b", T(-1, dtype=i64), "c")],
                   lambda x, y: x.pow(y), "BUG-pow-int-negative-exponent")
        self.fixed(["kind=ts", "op=pow", "form=fn", "st=int", "s=-1", "va=c"], [("a", T([1, -1], dtype=i32), "c")],
                   lambda x: torch.pow(x, -1), "BUG-pow-int-negative-scalar")
        self.fixed(["kind=ts", "op=pow", "form=fn", "st=int", "s=-2", "va=c"], [("a", T([], dtype=i64), "c")],
                   lambda x: torch.pow(x, -2), "BUG-pow-int-negative-scalar")
        self.fixed(["kind=ts", "op=pow", "form=fn", "st=int", "s=-1", "va=c"], [("a", T([2, 1], dtype=i32), "c")],
                   lambda x: torch.pow(x, -1))
        # pow with bool operands, and True as an exponent
        bb = T([True, False, True, False])
        self.fixed(["kind=tt", "op=pow", "form=fn", "va=c", "vb=c"],
                   [("a", bb, "c"), ("b", T([True, True, False, False]), "c")],
                   lambda x, y: torch.pow(x, y), "BUG-pow-bool")
        self.fixed(["kind=ts", "op=pow", "form=fn", "st=bool", "s=1", "va=c"], [("a", bb, "c")],
                   lambda x: torch.pow(x, True), "BUG-pow-bool")
        self.fixed(["kind=ts", "op=pow", "form=fn", "st=int", "s=2", "va=c"], [("a", bb, "c")],
                   lambda x: torch.pow(x, 2))
        self.fixed(["kind=ts", "op=pow", "form=method", "st=bool", "s=1", "va=c"],
                   [("a", T([3.0, -2.0, 0.5], dtype=f32), "c")], lambda x: x.pow(True), "BUG-pow-scalar-true")
        self.fixed(["kind=ts", "op=pow", "form=fn", "st=bool", "s=1", "va=c"],
                   [("a", T([3, -2, 5], dtype=i32), "c")], lambda x: torch.pow(x, True), "BUG-pow-scalar-true")
        self.fixed(["kind=ts", "op=pow", "form=fn", "st=bool", "s=0", "va=c"],
                   [("a", T([3, -2, 5], dtype=i32), "c")], lambda x: torch.pow(x, False))
        # subtraction with one bool operand: PyTorch raises
        self.fixed(["kind=tt", "op=sub", "form=op", "va=c", "vb=c"],
                   [("a", T([3, 4], dtype=i64), "c"), ("b", T([True, False]), "c")], lambda x, y: x - y,
                   "BUG-sub-bool-operand")
        self.fixed(["kind=ts", "op=sub", "form=op", "st=int", "s=1", "va=c"], [("a", T([True, False]), "c")],
                   lambda x: x - 1, "BUG-sub-bool-operand")
        self.fixed(["kind=ts", "op=sub", "form=op", "st=bool", "s=1", "va=c"],
                   [("a", T([1.5, 2.0], dtype=f32), "c")], lambda x: x - True, "BUG-sub-bool-operand")
        self.fixed(["kind=ip", "op=sub_", "form=method", "va=c", "vb=c"],
                   [("a", T([3, 4], dtype=i64), "c"), ("b", T([True, False]), "c")], lambda x, y: x.sub_(y),
                   "BUG-sub-bool-operand")
        # log of subnormal numbers (contiguous rows long enough for SIMD packets)
        for dt, vals in (("float32", [1e-40, 1e-45, 1e-39, 5e-42, 1.0, 2.0, 1e-38, 3e-39]),
                         ("float64", [1e-310, 5e-324, 1e-320, 2e-308, 1.0, 2.0, 3e-315, 1e-300])):
            self.fixed(["kind=u", "op=log", "form=fn", "va=c"], [("a", T(vals, dtype=DT[dt]), "c")],
                       lambda x: torch.log(x), "BUG-log-denormal")
        # exp near over- and underflow, for both float dtypes
        self.fixed(["kind=u", "op=exp", "form=fn", "va=c"],
                   [("a", T([88.5, 88.72, 88.73, 89.0, -87.0, -87.5, -88.5, -100.0, -103.9, -104.0, 1e-8, 0.0],
                            dtype=f32), "c")], lambda x: torch.exp(x))
        self.fixed(["kind=u", "op=exp", "form=fn", "va=c"],
                   [("a", T([709.5, 709.78, 709.79, 710.0, -708.0, -708.5, -709.5, -720.0, -744.4, -745.2, 1e-17,
                             0.0], dtype=f64), "c")], lambda x: torch.exp(x))
        for dt in FLOATS:
            sv = [nan, inf, -inf, 0.0, -0.0, 1e-30, -1e-30, 1e30, -1e30, 1.0, -1.0, 0.5, 20.0, -20.0, 100.0, -100.0]
            x = T(sv, dtype=DT[dt])
            for op in UNARY_FLOAT + ["abs", "neg", "relu"]:
                self.fixed(["kind=u", "op=%s" % op, "form=fn", "va=c"], [("a", x, "c")],
                           lambda t, op=op: getattr(torch, op)(t), known_bug("u", op, {"a": dt}, {"a": x}))
        # in place: the destination's shape and layout
        z = torch.zeros(1, 3)
        self.fixed(["kind=ips", "op=add_", "form=method", "st=int", "s=1", "va=e:2x3"], [("a", z, "e:2x3")],
                   lambda x: x.add_(1))
        self.fixed(["kind=ip", "op=add_", "form=method", "va=c", "vb=c"],
                   [("a", torch.zeros(3), "c"), ("b", torch.ones(2, 3), "c")], lambda x, y: x.add_(y))
        self.fixed(["kind=ip", "op=mul_", "form=op", "va=c", "vb=c"],
                   [("a", torch.zeros([], dtype=f64), "c"), ("b", torch.ones(1, dtype=f64), "c")],
                   lambda x, y: torch_inplace("mul_", "op", x, y))
        self.fixed(["kind=ip", "op=add_", "form=method", "va=e:0x3", "vb=c"],
                   [("a", torch.zeros(1, 3), "e:0x3"), ("b", torch.ones(3), "c")], lambda x, y: x.add_(y))
        self.fixed(["kind=ip", "op=add_", "form=method", "va=c", "vb=c"],
                   [("a", torch.zeros(0, 3), "c"), ("b", torch.ones(1, 3), "c")], lambda x, y: x.add_(y))
        self.fixed(["kind=ip", "op=add_", "form=method", "va=e:2x0", "vb=c"],
                   [("a", torch.zeros(1, 0), "e:2x0"), ("b", torch.ones(0), "c")], lambda x, y: x.add_(y),
                   "BUG-inplace-expanded-empty")
        self.fixed(["kind=ip", "op=add_", "form=method", "va=c", "vb=c"],
                   [("a", T([1, 2], dtype=u8), "c"), ("b", T([-3, 5], dtype=i8), "c")], lambda x, y: x.add_(y))
        # clamp: bounds outside the tensor's dtype (PyTorch raises)
        self.fixed(["kind=u", "op=clamp", "form=fn", "lo=-1000", "hi=none", "va=c"],
                   [("a", T([1, -5], dtype=i8), "c")], lambda x: torch.clamp(x, min=-1000),
                   "BUG-clamp-bound-out-of-range")
        self.fixed(["kind=u", "op=clamp", "form=fn", "lo=none", "hi=1e+40", "va=c"],
                   [("a", T([1.0, 5.0], dtype=f32), "c")], lambda x: torch.clamp(x, max=1e40),
                   "BUG-clamp-bound-out-of-range")
        self.fixed(["kind=u", "op=clamp", "form=fn", "lo=none", "hi=none", "va=c"],
                   [("a", T([1.0, 5.0], dtype=f32), "c")], lambda x: torch.clamp(x))
        self.fixed(["kind=u", "op=clamp", "form=fn", "lo=2", "hi=0", "va=c"],
                   [("a", T([1, 5, -3], dtype=i16), "c")], lambda x: torch.clamp(x, min=2, max=0))
        # true division by an integer scalar the tensor's dtype cannot hold
        self.fixed(["kind=ts", "op=div", "form=op", "st=int", "s=1000", "va=c"],
                   [("a", T([2, 3, -1], dtype=i8), "c")], lambda x: x / 1000, "BUG-div-int-scalar-wrapped")
        self.fixed(["kind=st", "op=div", "form=op", "st=int", "s=300", "vb=c"],
                   [("b", T([2, 3, 0], dtype=u8), "c")], lambda y: 300 / y, "BUG-div-int-scalar-wrapped")
        self.fixed(["kind=ts", "op=div", "form=op", "st=int", "s=-1", "va=c"],
                   [("a", T([2, 3], dtype=u8), "c")], lambda x: x / -1, "BUG-div-int-scalar-wrapped")
        self.fixed(["kind=ts", "op=mul", "form=op", "st=int", "s=1000", "va=c"],
                   [("a", T([2, 3, -1], dtype=i8), "c")], lambda x: x * 1000)
        # scalars PyTorch converts with an overflow check (pow's exponent, where's value)
        self.fixed(["kind=ts", "op=pow", "form=fn", "st=int", "s=256", "va=c"],
                   [("a", T([2, 3, 1], dtype=i8), "c")], lambda x: torch.pow(x, 256),
                   "BUG-scalar-out-of-range-not-refused")
        self.fixed(["kind=ts", "op=pow", "form=fn", "st=int", "s=-1", "va=c"],
                   [("a", T([2, 3], dtype=u8), "c")], lambda x: torch.pow(x, -1), "BUG-pow-int-negative-scalar")
        cw = T([True, False, True])
        self.fixed(["kind=ws", "op=where", "form=fn", "st=int", "s=1000", "vc=c", "va=c"],
                   [("c", cw, "c"), ("a", T([1, 2, 3], dtype=i8), "c")], lambda c, x: torch.where(c, x, 1000),
                   "BUG-scalar-out-of-range-not-refused")
        self.fixed(["kind=sw", "op=where", "form=fn", "st=float", "s=1e+300", "vc=c", "vb=c"],
                   [("c", cw, "c"), ("b", T([1.0, 2.0, 3.0], dtype=f32), "c")],
                   lambda c, y: torch.where(c, 1e300, y), "BUG-scalar-out-of-range-not-refused")
        self.fixed(["kind=ws", "op=where", "form=fn", "st=int", "s=-1", "vc=c", "va=c"],
                   [("c", cw, "c"), ("a", T([1, 2, 3], dtype=u8), "c")], lambda c, x: torch.where(c, x, -1))
        self.fixed(["kind=u", "op=clamp", "form=fn", "lo=-1", "hi=none", "va=c"],
                   [("a", T([1, 5], dtype=u8), "c")], lambda x: torch.clamp(x, min=-1),
                   "BUG-clamp-bound-out-of-range")
        # clamp at a zero bound: PyTorch keeps x's zero (and its sign)
        zz = T([-0.0, 0.0, -1.0, 1.0, -0.0, 0.0, 2.0, -2.0, -0.0])
        self.fixed(["kind=u", "op=clamp", "form=fn", "lo=0.0", "hi=none", "va=c"], [("a", zz, "c")],
                   lambda x: torch.clamp(x, min=0.0), "BUG-clamp-signed-zero")
        self.fixed(["kind=u", "op=clamp", "form=method", "lo=none", "hi=-0.0", "va=c"], [("a", zz.double(), "c")],
                   lambda x: torch.clamp(x, max=-0.0), "BUG-clamp-signed-zero")
        self.fixed(["kind=u", "op=relu", "form=fn", "va=c"], [("a", zz, "c")], lambda x: torch.relu(x))
        # 0-d with 0-d, and size-0 with 0-d
        self.fixed(["kind=tt", "op=add", "form=op", "va=c", "vb=c"],
                   [("a", T(1, dtype=i8), "c"), ("b", T(200, dtype=u8), "c")], lambda x, y: x + y)
        self.fixed(["kind=tt", "op=div", "form=fn", "va=c", "vb=c"],
                   [("a", T(3, dtype=i64), "c"), ("b", T(2, dtype=i64), "c")], lambda x, y: torch.div(x, y))
        self.fixed(["kind=tt", "op=maximum", "form=fn", "va=c", "vb=c"],
                   [("a", torch.zeros(0, 2, dtype=i32), "c"), ("b", T(5, dtype=i32), "c")],
                   lambda x, y: torch.maximum(x, y))

    def random_cases(self, count):
        rng = random.Random(SEED)
        kinds = [(self.binary_tt, 30), (lambda r: self.binary_scalar(r, False), 14),
                 (lambda r: self.binary_scalar(r, True), 8), (self.unary, 22), (self.where, 9),
                 (self.inplace, 14)]
        total = sum(w for _, w in kinds)
        made = 0
        while made < count:
            u = rng.random() * total
            for fn, w in kinds:
                if u < w:
                    break
                u -= w
            if fn(rng):
                made += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference")
    ap.add_argument("--out", default=default_out)
    args = ap.parse_args()
    g = Gen()
    g.r.comment("Randomized elementwise cases (tools/gen_fuzz_elementwise.py has the format).\n"
                "c<NNNN>: random cases; k<NNNN>: curated corner cases.")
    g.random_cases(N_RANDOM)
    g.curated()
    path = g.r.write(args.out)
    print("%s: %d cases, %d bytes" % (path, g.n, os.path.getsize(path)))
    print("by kind: %s" % ", ".join("%s %d" % kv for kv in sorted(g.kinds.items())))
    print("known-bug cases: %s" % ", ".join("%s %d" % kv for kv in sorted(g.bugs.items())))
    for why, n in sorted(g.skipped.items()):
        print("skipped %4d  %s" % (n, why))
    return 0


if __name__ == "__main__":
    sys.exit(main())
