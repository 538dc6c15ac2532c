"""The fuzzed ops: one table that the differential fuzz generators take their op
lists from, and that the C++ replays' registries are checked against.

Each row says, for one op: its name (PyTorch's; a suffix names a variant,
e.g. `lerp_scalar`), which fuzz file replays it (`fuzz=`), its group inside
that generator, its arity, the dtypes it is fuzzed in, the input domain the
gradient cases keep to, whether PyTorch has a gradient, the PyTorch expression
and the tapegrad call.

Two kinds of rows:

* rows of fuzz="ops" are complete: tools/gen_fuzz_ops.py generates their cases
  from the row alone (shapes, layouts, params, values, gradients), and
  tests/ops/fuzz_ops_test.cpp runs each case through the entry of the same
  name in the registry of tests/support/fuzz_ops.hpp, whose lambda is the
  row's `cpp` call. Adding such an op is one row here and one line there.
* rows of the other fuzzers (fuzz="elementwise", "reductions", "autograd",
  "views", "optim", "indexing") give the op lists those generators draw from;
  their argument rules live in the generators (gen_fuzz_elementwise.py, ...),
  which import the lists from here instead of repeating them, and their C++
  replays look each name up in a registry (REGISTRY_FILES below; Note [Fuzz
  registries] in tests/support/fuzz_replay.hpp).

Checks that the two sides agree: `tools/fuzz_ops.py --check` (no build: every
registry block's names against the rows of its groups), `gen_fuzz_ops.py
--check` (that, and each fuzz="ops" row's `grad` against what PyTorch does,
and the golden against what the table generates), and the C++ test "fuzz ops:
the registry holds exactly the table's ops", which compares the registry with
the `table.names` record the generator writes into tests/reference/fuzz_ops.txt.

Params: a row's `params` maps a key to the values a case picks from; the keys
`dim` (one dim of the input) and `dims` (a list of dims, possibly empty) are
chosen from the input's rank, `k` (topk) from the size along `dim`. A number
`inf`/`-inf` is written as such. The PyTorch expression gets the inputs as a
list `x` and the params as a dict `p`.
"""

import math
import os
import re
import sys
from dataclasses import dataclass, field

import torch

INF = math.inf


@dataclass
class Op:
    name: str
    fuzz: tuple              # the fuzz files that replay it ("ops", "elementwise", "reductions", "autograd")
    group: str = ""          # the generator's list it belongs to (older fuzzers) or its kind (fuzz="ops")
    arity: int = 1           # tensor inputs (broadcast together for elementwise kinds)
    dtypes: tuple = ("float32", "float64")
    domain: str = "any"      # "any", "nonzero<i>" (input i away from 0; integer cases: mostly), "distinct" (no ties), "nan" (NaNs in)
    grad: bool = False       # PyTorch has a gradient for the floating inputs
    params: dict = field(default_factory=dict)
    outs: tuple = ("out",)   # the outputs compared, in order; the gradient flows into the first
    torch: object = None     # lambda x, p: ... (fuzz="ops")
    cpp: str = ""            # the tapegrad call of the registry entry (the C++ side's text, for readers)
    also: tuple = ()         # the replay's other registries that hold it (elementwise: "scalar", the tensor-scalar forms)
    # cases not generated, because PyTorch 1.13's behaviour there is a quirk tapegrad does not copy (the
    # differences from PyTorch in docs/pending/fuzzops.md): lambda rank, params, grad, inputs -> bool
    avoid: object = None


def _cum_0d_dim(rank, p, grad, xs):
    # cummax/cummin of a 0-d tensor return it before checking dim (any dim is accepted); tapegrad checks the
    # dim as cumsum, sort and every other op along a dim do
    return rank == 0 and p["dim"] not in (0, -1)


def _empty_dims(rank, p, grad, xs):
    # logsumexp with dims=[] fails in PyTorch 1.13 with an internal error ("output with shape [] doesn't match
    # the broadcast shape [1]") for rank >= 1; tapegrad reduces over all dims, as amax and later PyTorch do
    return rank >= 1 and not p["dims"]


def _var_mean_quirks(rank, p, grad, xs):
    # the mean of var_mean/std_mean comes from PyTorch's one-pass (Welford) update, whose mean of a slice
    # holding an infinity is NaN or the infinity depending on where it stands; tapegrad's is mean()'s
    # (and the gradient of a 0-d var with N - correction <= 0 is g * 2 / (N - correction) in PyTorch, without
    # the factor x - mean = 0: +-inf where tapegrad's is inf * 0 = NaN)
    return _empty_dims_grad(rank, p, grad, xs) or any(bool(x.isinf().any()) for x in xs) or \
        (grad and rank == 0 and p["correction"] >= 1)


def _empty_dims_grad(rank, p, grad, xs):
    # var_mean/std_mean with dims=[]: the forward reduces over all dims, but PyTorch 1.13's backward divides
    # by (1 - correction) instead of (N - correction) (inf for correction 1); tapegrad's gradient is that of
    # the forward
    return grad and rank >= 1 and not p["dims"]


NUM = ("float32", "float64", "int64")
ALL = ("bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64")
FLT = ("float32", "float64")
ORDS = (2.0, 1.0, INF, -INF, 0.0, 3.0, 0.5, -1.0)


def _dims(p):
    return list(p["dims"])


OPS = [
    # ---- older fuzzers: the op lists they draw from (order matters: it is the generators' random stream) ----
    *[Op(n, ("elementwise",), "unary_float") for n in ["exp", "log", "log1p", "sqrt", "rsqrt", "sigmoid", "tanh"]],
    *[Op(n, ("elementwise",), "unary_other") for n in ["abs", "neg", "relu", "logical_not", "clamp"]],
    *[Op(n, ("elementwise",), "bin_arith", 2, also=("scalar",)) for n in ["add", "sub", "mul", "div"]],
    *[Op(n, ("elementwise",), "bin_cmp", 2, also=("scalar",)) for n in ["eq", "ne", "lt", "le", "gt", "ge"]],
    *[Op(n, ("elementwise",), "bin_logic", 2) for n in ["logical_and", "logical_or", "logical_xor"]],
    Op("pow", ("elementwise",), "bin_other", 2, also=("scalar",)),
    *[Op(n, ("elementwise",), "bin_other", 2) for n in ["maximum", "minimum"]],
    *[Op(n, ("reductions",), "red_any") for n in ["sum", "prod", "max", "min", "argmax", "argmin"]],
    *[Op(n, ("reductions",), "red_float") for n in ["mean", "var", "std", "logsumexp", "softmax", "log_softmax"]],
    *[Op(n, ("autograd",), "unary", grad=True) for n in ["neg", "exp", "log", "log1p", "sqrt", "rsqrt", "abs",
                                                          "sigmoid", "tanh", "relu", "clamp", "contiguous",
                                                          "clone", "to"]],
    # the rest of the autograd program language (tools/gen_fuzz_autograd.py documents each op's keys; its
    # random choices weight these names, and every op it writes must be a row here)
    *[Op(n, ("autograd",), "scalar", grad=True) for n in ["sadd", "ssub", "smul", "sdiv", "rsub", "rdiv", "spow"]],
    *[Op(n, ("autograd",), "binary", 2, grad=True) for n in ["add", "sub", "mul", "div", "pow", "maximum",
                                                             "minimum"]],
    *[Op(n, ("autograd",), "compare", 2) for n in ["gt", "lt", "ge", "le"]],
    Op("where", ("autograd",), "where", 3, grad=True),
    Op("wheres", ("autograd",), "where", 2, grad=True),
    *[Op(n, ("autograd",), "reduce", grad=True) for n in ["sum", "mean", "prod", "max", "min", "var", "std",
                                                          "logsumexp", "softmax", "log_softmax"]],
    *[Op(n, ("autograd",), "matmul", 2, grad=True) for n in ["matmul", "mm", "mv", "dot", "bmm", "outer"]],
    Op("addmm", ("autograd",), "matmul", 3, grad=True),
    *[Op(n, ("autograd",), "view", grad=True) for n in ["view", "reshape", "expand", "flatten", "unsqueeze",
                                                        "squeeze", "transpose", "t", "permute", "narrow",
                                                        "select", "slice", "cat", "stack"]],
    *[Op(n, ("autograd",), "nn", 2, grad=True) for n in ["ce", "nll", "mse", "bce", "bcel", "linear"]],
    Op("dropout", ("autograd",), "nn", grad=True),
    Op("detach", ("autograd",), "other"),
    Op("iadd", ("autograd",), "other"),

    # ---- the other replays' "ops": view chain steps (gen_fuzz_reductions.py), optimizers and lr schedulers
    # (gen_fuzz_autograd.py's optim cases); names only, as above
    *[Op(n, ("views",), "view", dtypes=ALL) for n in ["view", "reshape", "flatten", "unsqueeze", "squeeze",
                                                       "transpose", "t", "permute", "expand", "expand_as",
                                                       "narrow", "select", "slice", "index", "contiguous",
                                                       "clone", "resize", "cat", "stack", "catb", "stackb"]],
    *[Op(n, ("optim",), "optimizer") for n in ["sgd", "adam", "adamw"]],
    *[Op(n, ("optim",), "scheduler") for n in ["step", "cosine"]],
    # the entries of an index (gen_fuzz_indexing.py: ix=<letter>:<fields>;...): an integer, a slice, None,
    # Ellipsis, an int64 index tensor, a bool mask
    *[Op(n, ("indexing",), "entry", dtypes=("float32",)) for n in ["i", "s", "n", "e", "t", "m"]],
    # elementwise in-place ops (gen_fuzz_elementwise.py's kind ip/ips, and clamp_/relu_ among them)
    *[Op(n, ("elementwise",), "inplace", 2) for n in ["add_", "sub_", "mul_", "div_"]],
    *[Op(n, ("elementwise",), "unary_inplace") for n in ["clamp_", "relu_"]],

    # ---- fuzz="ops": complete rows (tools/gen_fuzz_ops.py, tests/support/fuzz_ops.hpp) ----
    # elementwise binary, broadcast; integer division by zero raises in PyTorch and throws in tapegrad
    Op("div_rounding", ("ops",), "binary", 2, NUM, "nonzero1", True, {"mode": ["trunc", "floor"]},
       torch=lambda x, p: torch.div(x[0], x[1], rounding_mode=p["mode"]), cpp="tg::div(a, b, mode)"),
    Op("floor_divide", ("ops",), "binary", 2, NUM, "nonzero1", False,  # PyTorch 1.13: "derivative not implemented"
       torch=lambda x, p: torch.floor_divide(x[0], x[1]), cpp="tg::floor_divide(a, b)"),
    Op("remainder", ("ops",), "binary", 2, NUM, "nonzero1", True,
       torch=lambda x, p: torch.remainder(x[0], x[1]), cpp="tg::remainder(a, b)"),
    Op("fmod", ("ops",), "binary", 2, NUM, "nonzero1", True,
       torch=lambda x, p: torch.fmod(x[0], x[1]), cpp="tg::fmod(a, b)"),
    Op("copysign", ("ops",), "binary", 2, FLT, "nonzero1", True,
       torch=lambda x, p: torch.copysign(x[0], x[1]), cpp="tg::copysign(a, b)"),
    Op("lerp_scalar", ("ops",), "binary", 2, FLT, "any", True, {"weight": [0.25, 0.5, 1.5, -0.5, -1.25]},
       torch=lambda x, p: torch.lerp(x[0], x[1], p["weight"]), cpp="tg::lerp(a, b, weight)"),
    # elementwise ternary, broadcast
    Op("lerp", ("ops",), "ternary", 3, FLT, "any", True,
       torch=lambda x, p: torch.lerp(x[0], x[1], x[2]), cpp="tg::lerp(a, b, c)"),
    Op("addcmul", ("ops",), "ternary", 3, FLT, "any", True, {"value": [1.0, 0.5, -2.0]},
       torch=lambda x, p: torch.addcmul(x[0], x[1], x[2], value=p["value"]), cpp="tg::addcmul(a, b, c, value)"),
    Op("addcdiv", ("ops",), "ternary", 3, FLT, "nonzero2", True, {"value": [1.0, 0.5, -2.0]},
       torch=lambda x, p: torch.addcdiv(x[0], x[1], x[2], value=p["value"]), cpp="tg::addcdiv(a, b, c, value)"),
    # elementwise unary
    Op("floor", ("ops",), "unary", 1, NUM, "any", True, torch=lambda x, p: torch.floor(x[0]), cpp="tg::floor(a)"),
    Op("ceil", ("ops",), "unary", 1, NUM, "any", True, torch=lambda x, p: torch.ceil(x[0]), cpp="tg::ceil(a)"),
    Op("trunc", ("ops",), "unary", 1, NUM, "any", True, torch=lambda x, p: torch.trunc(x[0]), cpp="tg::trunc(a)"),
    Op("frac", ("ops",), "unary", 1, FLT, "any", True, torch=lambda x, p: torch.frac(x[0]), cpp="tg::frac(a)"),
    Op("round", ("ops",), "unary", 1, FLT, "any", True, {"decimals": [0, 0, 1, 2, -1]},
       torch=lambda x, p: torch.round(x[0], decimals=p["decimals"]), cpp="tg::round(a, decimals)"),
    Op("sign", ("ops",), "unary", 1, NUM, "any", True, torch=lambda x, p: torch.sign(x[0]), cpp="tg::sign(a)"),
    Op("nan_to_num", ("ops",), "unary", 1, FLT, "nan", True,
       {"nan": [0.0, 1.5], "posinf": [None, 100.0], "neginf": [None, -100.0]},
       torch=lambda x, p: torch.nan_to_num(x[0], p["nan"], p["posinf"], p["neginf"]),
       cpp="tg::nan_to_num(a, nan, posinf, neginf)"),
    # along one dim
    Op("sort", ("ops",), "dim", 1, NUM, "any", True, {"dim": None, "descending": [False, True]},
       outs=("values", "indices"),
       torch=lambda x, p: tuple(torch.sort(x[0], dim=p["dim"], descending=p["descending"], stable=True)),
       cpp="tg::sort(a, dim, descending, /*stable=*/true)"),
    Op("argsort", ("ops",), "dim", 1, NUM, "any", False, {"dim": None, "descending": [False, True]},
       torch=lambda x, p: torch.sort(x[0], dim=p["dim"], descending=p["descending"], stable=True).indices,
       cpp="tg::argsort(a, dim, descending, /*stable=*/true)"),
    # values only: which of tied elements topk returns is unspecified (gradient cases have no ties)
    Op("topk", ("ops",), "dim", 1, NUM, "distinct", True, {"dim": None, "k": None, "largest": [True, False]},
       torch=lambda x, p: torch.topk(x[0], p["k"], dim=p["dim"], largest=p["largest"]).values,
       cpp="tg::topk(a, k, dim, largest).values"),
    Op("cumsum", ("ops",), "dim", 1, NUM, "any", True, {"dim": None},
       torch=lambda x, p: torch.cumsum(x[0], p["dim"]), cpp="tg::cumsum(a, dim)"),
    Op("cumprod", ("ops",), "dim", 1, NUM, "any", True, {"dim": None},
       torch=lambda x, p: torch.cumprod(x[0], p["dim"]), cpp="tg::cumprod(a, dim)"),
    Op("cummax", ("ops",), "dim", 1, NUM, "any", True, {"dim": None}, outs=("values", "indices"), avoid=_cum_0d_dim,
       torch=lambda x, p: tuple(torch.cummax(x[0], p["dim"])), cpp="tg::cummax(a, dim)"),
    Op("cummin", ("ops",), "dim", 1, NUM, "any", True, {"dim": None}, outs=("values", "indices"), avoid=_cum_0d_dim,
       torch=lambda x, p: tuple(torch.cummin(x[0], p["dim"])), cpp="tg::cummin(a, dim)"),
    Op("logcumsumexp", ("ops",), "dim", 1, FLT, "any", True, {"dim": None},
       torch=lambda x, p: torch.logcumsumexp(x[0], p["dim"]), cpp="tg::logcumsumexp(a, dim)"),
    # over a list of dims (empty: PyTorch's meaning, which differs between ops)
    Op("amax", ("ops",), "dims", 1, NUM, "any", True, {"dims": None, "keepdim": [False, True]},
       torch=lambda x, p: torch.amax(x[0], _dims(p), p["keepdim"]), cpp="tg::amax(a, dims, keepdim)"),
    Op("amin", ("ops",), "dims", 1, NUM, "any", True, {"dims": None, "keepdim": [False, True]},
       torch=lambda x, p: torch.amin(x[0], _dims(p), p["keepdim"]), cpp="tg::amin(a, dims, keepdim)"),
    Op("logsumexp_dims", ("ops",), "dims", 1, FLT, "any", True, {"dims": None, "keepdim": [False, True]},
       avoid=_empty_dims,
       torch=lambda x, p: torch.logsumexp(x[0], _dims(p), p["keepdim"]), cpp="tg::logsumexp(a, dims, keepdim)"),
    Op("nansum", ("ops",), "dims", 1, NUM, "nan", True, {"dims": None, "keepdim": [False, True]},
       torch=lambda x, p: torch.nansum(x[0], _dims(p), p["keepdim"]), cpp="tg::nansum(a, dims, keepdim)"),
    Op("nanmean", ("ops",), "dims", 1, FLT, "nan", True, {"dims": None, "keepdim": [False, True]},
       torch=lambda x, p: torch.nanmean(x[0], _dims(p), p["keepdim"]), cpp="tg::nanmean(a, dims, keepdim)"),
    Op("var_mean", ("ops",), "dims", 1, FLT, "any", True,
       {"dims": None, "correction": [0, 1, 2], "keepdim": [False, True]}, outs=("var", "mean"), avoid=_var_mean_quirks,
       torch=lambda x, p: tuple(torch.var_mean(x[0], _dims(p), correction=p["correction"], keepdim=p["keepdim"])),
       cpp="tg::var_mean(a, dims, correction, keepdim)"),
    Op("std_mean", ("ops",), "dims", 1, FLT, "any", True,
       {"dims": None, "correction": [0, 1, 2], "keepdim": [False, True]}, outs=("std", "mean"), avoid=_var_mean_quirks,
       torch=lambda x, p: tuple(torch.std_mean(x[0], _dims(p), correction=p["correction"], keepdim=p["keepdim"])),
       cpp="tg::std_mean(a, dims, correction, keepdim)"),
    Op("vector_norm", ("ops",), "dims", 1, FLT, "any", True,
       {"ord": list(ORDS), "dims": None, "keepdim": [False, True]},
       torch=lambda x, p: torch.linalg.vector_norm(x[0], p["ord"], _dims(p), p["keepdim"]),
       cpp="tg::linalg::vector_norm(a, ord, dims, keepdim)"),
    Op("norm", ("ops",), "dims", 1, FLT, "any", True, {"p": [2.0, 1.0, INF, 3.0], "dims": None,
                                                      "keepdim": [False, True]},
       torch=lambda x, p: torch.norm(x[0], p["p"], _dims(p), p["keepdim"]), cpp="tg::norm(a, p, dims, keepdim)"),
]

_seen = set()
for _op in OPS:
    for _f in _op.fuzz:
        assert (_f, _op.name) not in _seen, "op %s listed twice for fuzz=%s" % (_op.name, _f)
        _seen.add((_f, _op.name))


def ops(fuzz, group=None):
    """The rows replayed by fuzz file `fuzz` (and of `group`, or holding `group` in `also`), in table order."""
    return [o for o in OPS if fuzz in o.fuzz and (group is None or o.group == group or group in o.also)]


def names(fuzz, group=None):
    """Their names: the op lists of the generators."""
    return [o.name for o in ops(fuzz, group)]


def op(name, fuzz="ops"):
    for o in OPS:
        if o.name == name and fuzz in o.fuzz:
            return o
    raise KeyError(name)


# ---- the C++ registries (Note [Fuzz registries] in tests/support/fuzz_replay.hpp) ----
# The files holding each replay's registries; a registry's block starts with a line
# `// [fuzz registry <fuzz>: <group> ...]` (no groups: every row of <fuzz>) and ends with
# `// [end fuzz registry]`, and holds one entry `{"<name>", ...` per row of those groups.
REGISTRY_FILES = ["tests/support/fuzz_ops.hpp", "tests/ops/fuzz_elementwise_test.cpp",
                  "tests/ops/fuzz_reductions_test.cpp", "tests/autograd/fuzz_autograd_test.cpp",
                  "tests/ops/fuzz_views_test.cpp", "tests/optim/fuzz_optim_test.cpp",
                  "tests/ops/fuzz_indexing_test.cpp"]
REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def registries():
    """[(file, fuzz, groups, [entry names])] of every registry block of REGISTRY_FILES."""
    out = []
    for rel in REGISTRY_FILES:
        with open(os.path.join(REPO, rel), encoding="utf-8") as f:
            lines = f.read().split("\n")
        cur = None
        for line in lines:
            m = re.match(r"\s*// \[fuzz registry (\w+)(?::([\w ]*))?\]", line)
            if m:
                cur = (rel, m.group(1), tuple((m.group(2) or "").split()), [])
                continue
            if cur and re.match(r"\s*// \[end fuzz registry\]", line):
                out.append(cur)
                cur = None
                continue
            e = re.match(r'\s*\{"([A-Za-z0-9_.]+)",', line)
            if cur and e:
                cur[3].append(e.group(1))
        if cur:
            raise ValueError("%s: a registry block without its end line" % rel)
    return out


def check_registries():
    """What differs between the table and the C++ registries (empty: nothing)."""
    bad = []
    seen = set()
    for rel, fuzz, groups, names_ in registries():
        want = [o.name for o in OPS if fuzz in o.fuzz and (not groups or o.group in groups or set(groups) & set(o.also))]
        where = "%s (registry %s: %s)" % (rel, fuzz, " ".join(groups) or "all")
        for n in want:
            if n not in names_:
                bad.append("%s: a row of tools/fuzz_ops.py without an entry in %s" % (n, where))
        for n in names_:
            if n not in want:
                bad.append("%s: an entry of %s without a row in tools/fuzz_ops.py" % (n, where))
        if len(set(names_)) != len(names_):
            bad.append("%s names an op twice" % where)
        seen.add(fuzz)
    for f in sorted({f for o in OPS for f in o.fuzz} - seen):
        bad.append("fuzz=%s: no registry block in %s" % (f, ", ".join(REGISTRY_FILES)))
    return bad


if __name__ == "__main__":
    # /usr/bin/python3 tools/fuzz_ops.py --check: the table against every C++ registry, no build
    problems = check_registries()
    for b in problems:
        print("fuzz table check: " + b, file=sys.stderr)
    print("fuzz table check: %d rows, %d registries, %s" % (len(OPS), len(registries()),
                                                           "FAILED" if problems else "ok"))
    sys.exit(1 if problems else 0)
