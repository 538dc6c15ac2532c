#!/usr/bin/env -S /usr/bin/python3
"""Randomised differential golden files for tapegrad's gradients, nn
functional losses/layers and optimizers, from PyTorch 1.13 (Debian's
/usr/bin/python3; the `python3` on PATH may lack torch).

    /usr/bin/python3 tools/gen_fuzz_autograd.py            # writes tests/reference/
    /usr/bin/python3 tools/gen_fuzz_autograd.py --out DIR

Writes (format of tools/gen_reference.py, parsed by tests/support/reference.hpp):

  fuzz_autograd.txt  random expression graphs (g<NNNN>) and curated corner
                     cases (k<NNNN>)                 } replayed by
  fuzz_nn.txt        nn functional losses and layers  } tests/autograd/fuzz_autograd_test.cpp
                     (n<NNNN>, curated m<NNNN>)
  fuzz_optim.txt     optimizers and lr schedulers (o<NNNN>), replayed by
                     tests/optim/fuzz_optim_test.cpp

Deterministic: every choice comes from random.Random(SEED), every input is
written to the file, torch runs single-threaded. Fuzzing campaigns write
elsewhere with more cases, another seed and optionally bigger tensors:

    /usr/bin/python3 tools/gen_fuzz_autograd.py --out /tmp/x --graphs 6000 --nn 4000 \
        --optim 3000 --seed 7 --budget 0 [--big]

(--budget 0: every graph; the committed fuzz_autograd.txt keeps the curated
and bug-labelled cases and thins the random graphs to 290 KB, tools/fuzz_thin.py)

and the tests replay them when built with -DTAPEGRAD_REFERENCE_DIR=\"/tmp/x\".

Graph cases (fuzz_autograd.txt and fuzz_nn.txt)
-----------------------------------------------
@ <c>.prog str: a program, one statement a line. The first line is

    graph mode=<m> prec=<f32|f64> [bug=<label>]

(prec=f32: some tensor of the case is float32, so every comparison uses
float32's tolerance; bug=: the case hits a bug this fuzzer found, named by
the test when it fails)

then statements, each defining the next value %0, %1, ... in order:

    leaf <name> <view> <rg>   record <c>.<name> laid out as <view> (the views of
                              tools/gen_fuzz_elementwise.py: c, t, s, o,
                              e:<shape>); rg=1: requires_grad_() (a leaf)
    <op> %i %j ... key=value ... [retain=1]
                              an op of earlier values; retain=1: retain_grad()

The last value is the output `out`. Then, by mode:

    sumw           (out * w1).sum().backward()
    gradarg        out.backward(w1)
    twice_retain   (out * w1).sum().backward(retain_graph=True), then
                   (out * w2).sum().backward(): gradients accumulate
    twice_rebuild  the program runs twice from the same leaves, each graph
                   backpropagating its own (out * w1).sum(), then (out * w2).sum()
    twice_noretain loss = (out * w1).sum(); loss.backward() twice, without
                   retain_graph: PyTorch raises (only such cases are generated)

Records: <c>.<leaf> (inputs), <c>.w1, <c>.w2 (loss weights, out's shape and
dtype), <c>.out (out's value, of the last run), <c>.g.<leaf> (each rg leaf's
grad; absent where PyTorch's .grad is None), <c>.r<k> (the grad of retained
value %k; absent where None), or <c>.err (str: PyTorch raised, its message;
tapegrad must throw a tapegrad::Error). Expected values are written rounded
to 12 (float64) / 8 (float32) significant digits. Between two backward
passes the generator replaces each leaf's .grad by a copy: PyTorch 1.13 may
keep one buffer as the .grad of several leaves (torch.stack of 0-d leaves,
then sum) and the second pass then adds into all of them (-1.75 instead of
-1.0), a PyTorch bug.

Ops (keys in brackets; `_` is None; lists are comma separated):
  unary      neg exp log log1p sqrt rsqrt abs sigmoid tanh relu contiguous clone
             detach  clamp [lo hi: a number or none]  to [dt=f32|f64]
             iadd [s] (x.add_(s), in place, on a leaf that needs no grad: a
             tensor an op saved for backward, changed, makes backward raise)
  scalar     sadd ssub smul sdiv (x op s) rsub rdiv (s op x) spow (x ** s)
             [s, st=int|float: the C++ scalar type int64_t or double]
  binary     add sub mul div pow maximum minimum (broadcasting; operands may be
             float32 and float64, never 0-d then)
  compare    gt lt ge le (bool results, for where)
  where      where %c %a %b; wheres %c %a [s, side=l: where(c, a, s); r: where(c, s, a)]
  reduce     sum mean [dims keep | dim keep | none: all]  prod max min [dim keep | all]
             var std [corr; dims keep | dim keep | all]  logsumexp [dim keep]
             softmax log_softmax [dim]
  matmul     matmul mm mv dot bmm outer  addmm %bias %a %b [beta alpha]
  views      view reshape expand [shape]  flatten [start end]  unsqueeze [dim]
             squeeze [dim | all]  transpose [d0 d1]  t  permute [dims]
             narrow [dim start len]  select [dim index]  slice [dim start end step]
             cat stack %a %b ... [dim]
  nn         ce %x %t [%w] [red ignore ls w=0|1]   nll %x %t [%w] [red ignore w]
             mse %a %b [red]   bce %p %y [%w] [red w]   bcel %x %y [%w] [%pw] [red w pw]
             linear %x %w [%b]   dropout %x [p train]
             (red = mean|sum|none; t is an int64 leaf)

What the generator avoids (so that a mismatch is tapegrad's, not rounding's):
a value computed by an inexact op (anything but a view, neg, abs, relu, clamp,
maximum/minimum, max/min, where, cat, to, + - * /) never sits within a small
margin of a kink or of a domain edge of the op it feeds (relu/abs at 0, clamp
bounds, maximum/compare ties, max/min ties, std of a constant group, log/sqrt/
rsqrt/div at 0, ...). Every case is also evaluated with all floating
tensors in the other precision: a float32 case whose float32 results differ
from the float64 ones by more than 1e-5 (scaled), or a float64 case whose
float32 re-run differs by more than 1e-3 (ill-conditioned: float64 rounding
could reach the test's 1e-10), is dropped.

Optimizer cases (fuzz_optim.txt)
--------------------------------
@ <c>.prog str: first line `optim <sgd|adam|adamw> dtype=<f32|f64> lr= ...
options...`, optionally `scheduler step step_size= gamma=` or `scheduler
cosine T_max= eta_min=`, then statements:

    param <name> <view>  record <c>.<name> as a leaf parameter (requires grad)
    setgrad <i> <rec>    params[i].grad = record <c>.<rec> (a fresh tensor)
    bwd <i> <rec>        (params[i] * <c>.<rec>).sum().backward() (accumulates)
    zero_grad <0|1>      optimizer.zero_grad(set_to_none)
    step                 optimizer.step()
    sched                scheduler.step()

Records: <c>.<name>.out (each parameter at the end), <c>.lr (the lr after
each sched, float64 exactly), <c>.<name>.buf / .exp_avg / .exp_avg_sq /
.max_exp_avg_sq (optimizer state at the end; absent where there is none),
<c>.<name>.steps (Adam's step count).

Known deviations not generated (README "Where tapegrad differs from
PyTorch"): cross_entropy/nll_loss inputs other than [N, C] with [N] class
indices; 0-d tensors in mixed float32/float64 promotion; in-place ops on
tensors that require grad; memory formats (Note [Layouts] below: PyTorch's
elementwise results keep their inputs' strides, tapegrad's are row-major, so
view() of one may work in one library only and contiguous() of one may be a
copy in one and the tensor itself in the other: view is only generated on
values whose strides agree, retain_grad never on such a contiguous()).
Also not generated: maximum/minimum/max/min of -0. and +0. together (which
one PyTorch returns depends on its SIMD path), a second backward without
retain_graph through a graph that saved no tensor (PyTorch lets it run,
tapegrad refuses), and a class weight that requires grad for the binary
cross-entropies (PyTorch refuses, tapegrad differentiates it).

PyTorch 1.13 quirks not generated (artefacts of its composite formulas, not
semantics tapegrad should copy): cross_entropy gives a row it ignores
(target == ignore_index) a NaN gradient when the row's logits are not all
finite (log_softmax's backward computes 0 - exp(NaN) * 0), tapegrad's fused
form gives 0; var/std with a correction larger than the group's size divide
the gradient by the negative N - correction while the forward divides by 0;
prod's gradient with an infinite factor is result / x = NaN for that factor
(tapegrad: the product of the others), and prod() (no dim) of a tensor with
two or more zeros returns zeros for any incoming gradient, NaN included,
where prod(dim) and tapegrad multiply it by the products of the others.
"""

import argparse
import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_reference as G  # noqa: E402  (sets torch to one thread, float32 default)
import gen_fuzz_elementwise as E  # noqa: E402  (pick_view, layout, bcast_from)
import torch  # noqa: E402
import fuzz_thin  # noqa: E402
from fuzz_ops import names as table_names  # noqa: E402  (the op table)
import torch.nn.functional as F  # noqa: E402

SEED = 20261206
DT = {"f32": torch.float32, "f64": torch.float64}
TAG = {torch.float32: "f32", torch.float64: "f64"}
NAN, INF = float("nan"), float("inf")

KINK_VALUES = [-2.0, -1.5, -1.0, -0.5, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0]
# margins around kinks and domain edges for values computed by inexact ops
KINK_M = {"f64": 1e-6, "f32": 1e-3}
DOM_M = {"f64": 1e-3, "f32": 1e-2}


def prod(s):
    p = 1
    for d in s:
        p *= d
    return p


def lst(seq):
    return ",".join(str(int(v)) for v in seq)


def parse_list(text):
    return [int(v) for v in text.split(",")] if text else []


def fmt_num(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    return repr(float(v))


# ----------------------------------------------------------------------------
# writing records

def write_approx(r, name, x, digits=None):
    """A float record written with 12 (float64) / 8 (float32) significant digits."""
    r._claim(name)
    x = x.detach()
    shape = list(x.shape)
    dt = x.dtype
    if dt not in (torch.float32, torch.float64):
        raise ValueError(name)
    d = digits or (12 if dt == torch.float64 else 8)
    r.lines.append(" ".join(["@", name, G.dname(dt), str(len(shape))] + [str(s) for s in shape]))
    vals = []
    for v in x.reshape(-1).tolist():
        if math.isnan(v):
            vals.append("nan")
        elif math.isinf(v):
            vals.append("inf" if v > 0 else "-inf")
        else:
            vals.append("%.*g" % (d, v))
    row = shape[-1] if shape and shape[-1] > 0 else 16
    row = min(row, 16)
    for i in range(0, len(vals), row):
        r.lines.append(" ".join(vals[i:i + row]))


# ----------------------------------------------------------------------------
# the interpreter: one op line in torch (the C++ test's twin)

def parse_line(line):
    tok = line.split()
    op = tok[0]
    args, kv = [], {}
    for t in tok[1:]:
        if t.startswith("%"):
            args.append(int(t[1:]))
        elif "=" in t:
            k, v = t.split("=", 1)
            kv[k] = v
        else:
            args.append(t)  # leaf name / view / rg
    return op, args, kv


def opt_int(v):
    return None if v == "_" else int(v)


def num(v):
    return None if v == "none" else float(v)


def scalar_of(kv):
    return int(kv["s"]) if kv["st"] == "int" else float(kv["s"])


def apply_op(op, a, kv, override=None):
    """Op `op` on torch values a (list) with keys kv; override: every float
    result in this dtype (the conditioning check)."""
    x = a[0] if a else None
    if op in ("neg", "exp", "log", "log1p", "sqrt", "rsqrt", "abs", "sigmoid", "tanh", "relu"):
        return getattr(torch, op)(x)
    if op == "detach":
        return x.detach()
    if op == "iadd":
        return x.add_(float(kv["s"]))
    if op == "contiguous":
        return x.contiguous()
    if op == "clone":
        return x.clone()
    if op == "clamp":
        return torch.clamp(x, min=num(kv["lo"]), max=num(kv["hi"]))
    if op == "to":
        return x.to(override or DT[kv["dt"]])
    if op in ("sadd", "ssub", "smul", "sdiv", "rsub", "rdiv", "spow"):
        s = scalar_of(kv)
        return {"sadd": lambda: x + s, "ssub": lambda: x - s, "smul": lambda: x * s, "sdiv": lambda: x / s,
                "rsub": lambda: s - x, "rdiv": lambda: s / x, "spow": lambda: x ** s}[op]()
    if op in ("add", "sub", "mul", "div", "pow", "maximum", "minimum"):
        return getattr(torch, op)(a[0], a[1])
    if op in ("gt", "lt", "ge", "le"):
        return getattr(torch, op)(a[0], a[1])
    if op == "where":
        return torch.where(a[0], a[1], a[2])
    if op == "wheres":
        s = scalar_of(kv)
        return torch.where(a[0], a[1], s) if kv["side"] == "l" else torch.where(a[0], s, a[1])
    if op in ("sum", "mean"):
        if "dims" in kv:
            return getattr(torch, op)(x, dim=parse_list(kv["dims"]), keepdim=kv["keep"] == "1")
        if "dim" in kv:
            return getattr(torch, op)(x, int(kv["dim"]), keepdim=kv["keep"] == "1")
        return getattr(torch, op)(x)
    if op in ("prod", "max", "min"):
        if "dim" in kv:
            r = getattr(torch, op)(x, int(kv["dim"]), keepdim=kv["keep"] == "1")
            return r if op == "prod" else r[0]
        return getattr(torch, op)(x)
    if op in ("var", "std"):
        c = int(kv["corr"])
        if "dims" in kv:
            return getattr(torch, op)(x, dim=parse_list(kv["dims"]), correction=c, keepdim=kv["keep"] == "1")
        if "dim" in kv:
            return getattr(torch, op)(x, dim=int(kv["dim"]), correction=c, keepdim=kv["keep"] == "1")
        return getattr(torch, op)(x, dim=None, correction=c)
    if op == "logsumexp":
        return torch.logsumexp(x, int(kv["dim"]), keepdim=kv["keep"] == "1")
    if op in ("softmax", "log_softmax"):
        return getattr(torch, op)(x, int(kv["dim"]))
    if op in ("matmul", "mm", "mv", "dot", "bmm", "outer"):
        return getattr(torch, op)(a[0], a[1])
    if op == "addmm":
        return torch.addmm(a[0], a[1], a[2], beta=float(kv["beta"]), alpha=float(kv["alpha"]))
    if op == "view":
        return x.view(parse_list(kv["shape"]))
    if op == "reshape":
        return x.reshape(parse_list(kv["shape"]))
    if op == "expand":
        return x.expand(parse_list(kv["shape"]))
    if op == "flatten":
        return x.flatten(int(kv["start"]), int(kv["end"]))
    if op == "unsqueeze":
        return x.unsqueeze(int(kv["dim"]))
    if op == "squeeze":
        return x.squeeze(int(kv["dim"])) if "dim" in kv else x.squeeze()
    if op == "transpose":
        return x.transpose(int(kv["d0"]), int(kv["d1"]))
    if op == "t":
        return x.t()
    if op == "permute":
        return x.permute(parse_list(kv["dims"]))
    if op == "narrow":
        return x.narrow(int(kv["dim"]), int(kv["start"]), int(kv["len"]))
    if op == "select":
        return x.select(int(kv["dim"]), int(kv["index"]))
    if op == "slice":
        d = int(kv["dim"])
        idx = [slice(None)] * x.dim()
        idx[d] = slice(opt_int(kv["start"]), opt_int(kv["end"]), int(kv["step"]))
        return x[tuple(idx)]
    if op == "cat":
        return torch.cat(a, int(kv["dim"]))
    if op == "stack":
        return torch.stack(a, int(kv["dim"]))
    if op in ("ce", "nll"):
        w = a[2] if kv.get("w") == "1" else None
        if op == "ce":
            return F.cross_entropy(a[0], a[1], weight=w, ignore_index=int(kv["ignore"]), reduction=kv["red"],
                                   label_smoothing=float(kv["ls"]))
        return F.nll_loss(a[0], a[1], weight=w, ignore_index=int(kv["ignore"]), reduction=kv["red"])
    if op == "mse":
        return F.mse_loss(a[0], a[1], reduction=kv["red"])
    if op == "bce":
        w = a[2] if kv.get("w") == "1" else None
        return F.binary_cross_entropy(a[0], a[1], weight=w, reduction=kv["red"])
    if op == "bcel":
        rest = list(a[2:])
        w = rest.pop(0) if kv.get("w") == "1" else None
        pw = rest.pop(0) if kv.get("pw") == "1" else None
        return F.binary_cross_entropy_with_logits(a[0], a[1], weight=w, pos_weight=pw, reduction=kv["red"])
    if op == "linear":
        return F.linear(a[0], a[1], a[2] if len(a) > 2 else None)
    if op == "dropout":
        return F.dropout(x, float(kv["p"]), training=kv["train"] == "1")
    raise ValueError("unknown op " + op)


# ----------------------------------------------------------------------------
# running a program with autograd

def make_leaf(rec, view, rg, override=None):
    t = E.layout(rec, view)
    if override is not None and t.dtype.is_floating_point:
        t = E.layout(rec.to(override), view)
    if rg:
        t.requires_grad_(True)
    return t


def evaluate(lines, recs, mode, ws, override=None):
    """Runs the program as the C++ test does; returns (out, {leaf: grad},
    {k: retained grad}, leaves)."""
    leaves = {}
    runs = 2 if mode == "twice_rebuild" else 1

    def build():
        vals, retained = [], {}
        for line in lines[1:]:
            op, args, kv = parse_line(line)
            if op == "leaf":
                name, view, rg = args[0], args[1], args[2] == "1"
                if name not in leaves:
                    leaves[name] = (make_leaf(recs[name], view, rg, override), rg)
                vals.append(leaves[name][0])
                continue
            v = apply_op(op, [vals[i] for i in args], kv, override)
            if kv.get("retain") == "1":
                v.retain_grad()
                retained[len(vals)] = v
            vals.append(v)
        return vals, retained

    def wt(w, out):
        return w.to(out.dtype) if override is not None else w

    def unalias():
        # PyTorch 1.13's AccumulateGrad may keep the incoming gradient itself
        # as a leaf's .grad, and the gradients of several leaves may then be
        # views of one buffer (torch.stack of 0-d leaves, then sum): the next
        # backward's in-place accumulation adds into all of them. Copies keep
        # the accumulation that autograd's semantics define.
        for t, rg in leaves.values():
            if rg and t.grad is not None:
                t.grad = t.grad.clone()

    out = retained = None
    for run in range(runs):
        vals, retained = build()
        out = vals[-1]
        w = wt(ws[run], out)
        if mode in ("sumw", "twice_rebuild"):
            (out * w).sum().backward()
            unalias()
        elif mode == "gradarg":
            out.backward(w)
        elif mode == "twice_retain":
            (out * w).sum().backward(retain_graph=True)
            unalias()
            (out * wt(ws[1], out)).sum().backward()
        elif mode == "twice_noretain":
            loss = (out * w).sum()
            loss.backward()
            unalias()
            loss.backward()
        else:
            raise ValueError(mode)
    grads = {n: t.grad for n, (t, rg) in leaves.items() if rg}
    rgrads = {k: v.grad for k, v in retained.items()}
    return out.detach(), grads, rgrads


def scaled_diff(a, b):
    """Largest |a - b| / scale over finite entries (scale: b's largest finite
    magnitude), or inf when NaN/inf positions differ or shapes differ."""
    if a is None or b is None:
        return 0.0 if a is None and b is None else INF
    if a.shape != b.shape:
        return INF
    a = a.detach().double().reshape(-1)
    b = b.detach().double().reshape(-1)
    if not bool((torch.isnan(a) == torch.isnan(b)).all()):
        return INF
    fa, fb = torch.isfinite(a), torch.isfinite(b)
    big = fb & (b.abs() > 1e30)  # float32 overflows where float64 does not
    if not bool(((fa == fb) | big).all()):
        return INF
    inf_pos = ~fa & ~torch.isnan(a) & ~big
    if not bool((a[inf_pos] == b[inf_pos]).all()):
        return INF
    keep = fa & fb & ~big
    if not bool(keep.any()):
        return 0.0
    scale = float(b[keep].abs().max())
    if scale == 0:
        return float((a[keep] - b[keep]).abs().max()) * 1e300
    return float((a[keep] - b[keep]).abs().max()) / scale


def conditioning(lines, recs, mode, ws, base, dt):
    """How far a re-run in the other precision lands from `base` (scaled)."""
    other = torch.float64 if dt == "f32" else torch.float32
    try:
        out, grads, rgrads = evaluate(lines, recs, mode, ws, override=other)
    except Exception:  # noqa: BLE001 - e.g. a dtype the other precision refuses
        return INF
    b_out, b_grads, b_rgrads = base
    worst = scaled_diff(out, b_out)
    for n in b_grads:
        worst = max(worst, scaled_diff(grads.get(n), b_grads[n]))
    for k in b_rgrads:
        worst = max(worst, scaled_diff(rgrads.get(k), b_rgrads[k]))
    return worst


# ----------------------------------------------------------------------------
# random shapes and values

# A fuzzing campaign's --big: tensors of hundreds of elements, which take
# tapegrad's SIMD rows and Eigen paths (the files keep to small tensors).
BIG = {"on": False, "limit": 36}


def rshape(rng, rank=None, max_numel=24, zero_p=0.03):
    if BIG["on"] and max_numel == 24:
        max_numel = 600
    while True:
        r = rng.choice([0, 1, 1, 2, 2, 2, 3, 3]) if rank is None else rank
        sizes = [1, 2, 2, 3, 3, 4] if not BIG["on"] else [1, 2, 3, 5, 8, 13, 17, 33]
        s = [rng.choice(sizes) for _ in range(r)]
        if r and rng.random() < zero_p:
            s[rng.randrange(r)] = 0
        if prod(s) <= max_numel:
            return s


def leaf_values(rng, shape, mode):
    n = prod(shape)
    out = []
    for _ in range(n):
        if mode == "kink":
            v = rng.choice(KINK_VALUES)
        elif mode == "pos":
            v = round(rng.uniform(0.25, 3.0), 2)
        elif mode == "unit":
            v = rng.choice([0.0, 1.0, 0.5, 0.25, round(rng.uniform(0.01, 0.99), 2)])
        elif mode == "unit_open":
            v = round(rng.uniform(0.02, 0.98), 2)
        elif mode == "special":
            v = rng.choice([NAN, INF, -INF, 0.0, -0.0]) if rng.random() < 0.25 else round(rng.gauss(0, 1.2), 2)
        elif mode == "small":
            v = rng.choice([-1.0, -0.5, -0.25, 0.25, 0.5, 1.0, 0.75, -0.75])
        else:
            v = round(rng.gauss(0, 1.2), 2)
        out.append(v)
    return torch.tensor(out, dtype=torch.float64).reshape(shape)


def fin(t):
    t = t.detach().double().reshape(-1)
    return t[torch.isfinite(t)]


def scale_of(t):
    f = fin(t)
    return float(f.abs().max()) if f.numel() else 0.0


def near(t, point, margin_rel, dt, margin_table=KINK_M):
    """Some finite element of t lies within margin of point (t broadcast with point)."""
    t = t.detach().double()
    p = point.detach().double() if isinstance(point, torch.Tensor) else torch.tensor(float(point), dtype=torch.float64)
    d = (t - p).reshape(-1)
    d = d[torch.isfinite(d)]
    if d.numel() == 0:
        return False
    scale = max(scale_of(t), scale_of(p))
    return bool((d.abs() <= margin_table[dt] * margin_rel * scale).any()) or bool((d == 0).any())


def mixed_zeros(*ts):
    """Both -0. and +0. among the tensors' elements: which one maximum/minimum
    or max/min returns differs between PyTorch's own scalar and SIMD paths."""
    neg = pos = False
    for t in ts:
        z = t.detach().double().reshape(-1)
        z = z[z == 0]
        neg = neg or bool(torch.signbit(z).any())
        pos = pos or bool((~torch.signbit(z)).any())
    return neg and pos


def ties_along(t, dim, dt):
    """max/min along dim (None: all) has an extreme within margin of another element."""
    x = t.detach().double()
    if dim is None:
        x = x.reshape(1, -1)
        dim = 1
    if x.dim() == 0 or x.numel() == 0:
        return False
    x = x.movedim(dim, -1).reshape(-1, x.shape[dim])
    m = KINK_M[dt] * max(scale_of(x), 1e-300)
    for row in x:
        if row.numel() < 2 or bool(torch.isnan(row).any()):
            continue
        for vals in (row, -row):
            best = vals.max()
            if not torch.isfinite(best):
                continue
            if int(((best - vals).abs() <= m).sum()) > 1:
                return True
    return False


# ----------------------------------------------------------------------------
# the program builder

EXACT_OPS = {"neg", "abs", "relu", "clamp", "maximum", "minimum", "where", "wheres", "max", "min", "cat",
             "stack", "to", "contiguous", "clone", "add", "sub", "mul", "div", "sadd", "ssub", "smul", "rsub",
             "view", "reshape", "expand", "flatten", "unsqueeze", "squeeze", "transpose", "t", "permute",
             "narrow", "select", "slice", "dropout", "sqrt"}


VIEW_OPS = {"view", "reshape", "expand", "flatten", "unsqueeze", "squeeze", "transpose", "t", "permute", "narrow", "select",
            "slice", "to", "dropout", "detach", "iadd"}


class Builder:
    def __init__(self, rng, dt):
        self.rng = rng
        self.dt = dt
        self.lines = []
        self.vals = []
        self.recs = {}
        self.nleaf = 0

    # values: dict(t=torch tensor, exact=bool, kind='f'|'b'|'i', dt='f32'|'f64'|None, rg=bool)
    def leaf(self, shape, dt=None, rg=True, mode="gauss", view=None, kind="f", values=None, allow_expand=True):
        dt = dt or self.dt
        name = "l%d" % self.nleaf
        self.nleaf += 1
        if view is None:
            if kind == "f":
                view, base = E.pick_view(self.rng, list(shape), allow_expand)
            else:
                view, base = "c", list(shape)
        else:
            base = list(shape) if not view.startswith("e:") else E.bcast_from(self.rng, list(shape))
        if values is not None:
            rec = values
            base = list(rec.shape)
        elif kind == "b":
            rec = torch.tensor([self.rng.random() < 0.5 for _ in range(prod(base))], dtype=torch.bool).reshape(base)
        elif kind == "i":
            raise ValueError("int leaves need values")
        else:
            rec = leaf_values(self.rng, base, mode).to(DT[dt])
        if kind != "f":
            rg = False
        self.recs[name] = rec
        t = make_leaf(rec, view, rg)
        self.lines.append("leaf %s %s %d" % (name, view, 1 if rg else 0))
        self.vals.append(dict(t=t, exact=True, kind=kind, dt=dt if kind == "f" else None, rg=rg, leaf=True,
                              same_layout=True))
        return len(self.vals) - 1

    def op(self, op, args, kv=None, exact=None, allow_error=False):
        assert op in PROGRAM_OPS, "op %s is not a row of tools/fuzz_ops.py (fuzz=autograd)" % op
        kv = kv or {}
        ins = [self.vals[i]["t"] for i in args]
        try:
            t = apply_op(op, ins, kv)
        except Exception:  # noqa: BLE001 - an invalid combination: not generated
            if not allow_error:
                return None
            t = torch.zeros((), dtype=ins[0].dtype, requires_grad=True)  # stands for a refused op
        if exact is None:
            exact = op in EXACT_OPS and all(self.vals[i]["exact"] for i in args)
        kind = "b" if t.dtype == torch.bool else ("i" if t.dtype == torch.int64 else "f")
        # Note [Layouts]: tapegrad's computed results are row-major, where
        # PyTorch's elementwise results keep their inputs' strides; a view
        # chain from a leaf has the same strides in both. Whether a value's
        # strides are the same in both decides what view() and contiguous()
        # do (README: no memory formats in tapegrad).
        if op in VIEW_OPS:
            same = self.vals[args[0]]["same_layout"]
        elif op == "clone":
            same = self.vals[args[0]]["same_layout"] or t.is_contiguous()
        else:
            same = t.is_contiguous()
        line = " ".join([op] + ["%%%d" % i for i in args] + ["%s=%s" % kv_ for kv_ in kv.items()])
        self.lines.append(line)
        self.vals.append(dict(t=t, exact=exact, kind=kind, dt=TAG.get(t.dtype), rg=t.requires_grad, leaf=False,
                              same_layout=same, contig_of=op == "contiguous" and not self.vals[args[0]]["same_layout"]))
        return len(self.vals) - 1

    def last(self):
        return len(self.vals) - 1

    def floats(self):
        return [i for i, v in enumerate(self.vals) if v["kind"] == "f"]

    def pick_float(self):
        fl = self.floats()
        if not fl:
            return None
        if self.rng.random() < 0.6 and self.vals[-1]["kind"] == "f":
            return len(self.vals) - 1
        return self.rng.choice(fl)

    def inexact(self, *idx):
        return any(not self.vals[i]["exact"] for i in idx)


# ----------------------------------------------------------------------------
# random ops

UNARY = table_names("autograd", "unary")  # rows of tools/fuzz_ops.py (fuzz="autograd")
PROGRAM_OPS = set(table_names("autograd"))  # every op a program may hold (Builder.op checks)
# the optimizer cases' kinds: rows of fuzz="optim" (SGD drawn twice as often)
OPTIMIZERS = [k for k in table_names("optim", "optimizer") for _ in range(2 if k == "sgd" else 1)]
SCHEDULERS = table_names("optim", "scheduler")


def gen_unary(b, rng, i):
    v = b.vals[i]
    x, dt = v["t"], v["dt"]
    op = rng.choice(UNARY)
    if rng.random() < 0.08:
        # an in-place add to a constant leaf (maybe saved by an op already: then
        # backward must refuse), or a detach
        consts = [k for k, c in enumerate(b.vals) if c["leaf"] and c["kind"] == "f" and not c["rg"]
                  and " e:" not in b.lines[k]]
        if consts and rng.random() < 0.6:
            return b.op("iadd", [rng.choice(consts)], {"s": fmt_num(rng.choice([1.0, -0.5, 2.0]))}, exact=True)
        return b.op("detach", [i], exact=v["exact"])
    inex = not v["exact"]
    if op in ("log", "sqrt", "rsqrt") and inex and near(x, 0.0, 1.0, dt, DOM_M):
        return None
    if op == "log1p" and inex and near(x, -1.0, 1.0, dt, DOM_M):
        return None
    if op in ("relu", "abs") and inex and near(x, 0.0, 1.0, dt):
        return None
    if op == "exp" and inex and fin(x).numel() and float(fin(x).max()) > (600 if dt == "f64" else 60):
        return None
    kv = {}
    if op == "clamp":
        lo = rng.choice([None, -1.0, -0.5, 0.0, round(rng.gauss(0, 1), 2)])
        hi = rng.choice([None, 1.0, 0.5, 0.0, round(rng.gauss(0, 1), 2)])
        if lo is None and hi is None:
            lo = 0.0
        if inex and any(bd is not None and near(x, bd, 1.0, dt) for bd in (lo, hi)):
            return None
        kv = {"lo": "none" if lo is None else fmt_num(lo), "hi": "none" if hi is None else fmt_num(hi)}
    if op == "to":
        kv = {"dt": "f64" if dt == "f32" else "f32"}
        if dt == "f64" and fin(x).numel() and float(fin(x).abs().max()) > 1e30:
            return None
    return b.op(op, [i], kv)


def gen_scalar(b, rng, i):
    v = b.vals[i]
    x, dt = v["t"], v["dt"]
    op = rng.choice(["sadd", "ssub", "smul", "sdiv", "rsub", "rdiv", "spow", "spow"])
    inex = not v["exact"]
    if op == "spow":
        st = rng.choice(["int", "float"])
        s = rng.choice([0, 1, 2, 3, -1, -2]) if st == "int" else rng.choice([0.0, 0.5, 1.5, 2.0, -0.5, 2.5, 3.0, -1.0])
        frac = st == "float" and s != int(s)
        if inex and (frac or s < 0) and near(x, 0.0, 1.0, dt, DOM_M):
            return None
        if inex and fin(x).numel() and float(fin(x).abs().max()) > 1e6:
            return None
    else:
        st = rng.choice(["int", "float", "float"])
        s = rng.choice([-2, -1, 1, 2, 3, 0]) if st == "int" else rng.choice([2.5, -0.5, 0.25, 1.5, -3.0, 0.0])
        if op == "sdiv" and s == 0:
            s = 2 if st == "int" else 0.5
        if op == "rdiv" and inex and near(x, 0.0, 1.0, dt, DOM_M):
            return None
    kv = {"s": fmt_num(s), "st": st}
    exact = None
    if op == "spow":
        exact = v["exact"] and s in (0, 1, 2)
    return b.op(op, [i], kv, exact)


def operand_for(b, rng, i, allow_mixed=True, want_shape=None):
    """A second operand broadcastable with value i: an existing value or a new leaf."""
    v = b.vals[i]
    shape = list(v["t"].shape)
    if want_shape is None:
        cands = []
        for j in b.floats():
            if j == i and rng.random() < 0.5:
                continue
            try:
                torch.broadcast_shapes(tuple(shape), tuple(b.vals[j]["t"].shape))
            except RuntimeError:
                continue
            if b.vals[j]["dt"] == v["dt"] or (allow_mixed and b.vals[j]["t"].dim() and len(shape)):
                if prod(torch.broadcast_shapes(tuple(shape), tuple(b.vals[j]["t"].shape))) <= BIG["limit"]:
                    cands.append(j)
        if cands and rng.random() < 0.35:
            return rng.choice(cands)
        if rng.random() < 0.7 or not shape:
            want_shape = E.bcast_from(rng, shape)
        else:  # a bigger operand that value i broadcasts against
            want_shape = list(shape)
            if len(want_shape) < 3 and rng.random() < 0.5:
                want_shape = [rng.choice([2, 3])] + want_shape
            want_shape = [rng.choice([2, 3]) if d == 1 and rng.random() < 0.5 else d for d in want_shape]
            if prod(want_shape) > BIG["limit"]:
                want_shape = list(shape)
    dt = v["dt"]
    if allow_mixed and len(shape) and len(want_shape) and rng.random() < 0.12:
        dt = "f64" if dt == "f32" else "f32"
    mode = rng.choice(["gauss", "gauss", "kink", "pos", "small"])
    return b.leaf(want_shape, dt=dt, rg=rng.random() < 0.75, mode=mode)


def gen_binary(b, rng, i):
    op = rng.choice(["add", "sub", "mul", "div", "pow", "maximum", "minimum", "mul", "add"])
    mixed_ok = op in ("add", "sub", "mul", "div")
    j = operand_for(b, rng, i, allow_mixed=mixed_ok)
    if b.vals[j]["dt"] != b.vals[i]["dt"] and not mixed_ok:
        return None
    if rng.random() < 0.3:
        i, j = j, i
    x, y = b.vals[i]["t"], b.vals[j]["t"]
    dt = b.vals[i]["dt"] if b.vals[i]["dt"] == b.vals[j]["dt"] else "f32"
    inex = b.inexact(i, j)
    if op == "div" and b.inexact(j) and near(y, 0.0, 1.0, dt, DOM_M):
        return None
    if op == "pow" and inex:
        if near(x, 0.0, 1.0, dt, DOM_M) or fin(x).numel() and float(fin(x).min()) <= 0:
            return None
        if fin(y).numel() and float(fin(y).abs().max()) > 4 or fin(x).numel() and float(fin(x).max()) > 50:
            return None
    if op in ("maximum", "minimum") and (inex and near(x, y, 1.0, dt) or mixed_zeros(x, y)):
        return None
    return b.op(op, [i, j])


def gen_where(b, rng, i):
    x = b.vals[i]["t"]
    dt = b.vals[i]["dt"]
    if rng.random() < 0.5:
        c = b.leaf(E.bcast_from(rng, list(x.shape)), kind="b")
    else:
        j = operand_for(b, rng, i, allow_mixed=False)
        if b.vals[j]["dt"] != dt:
            return None
        if b.inexact(i, j) and near(x, b.vals[j]["t"], 1.0, dt):
            return None
        c = b.op(rng.choice(["gt", "lt", "ge", "le"]), [i, j])
        if c is None:
            return None
    if rng.random() < 0.3:
        s = rng.choice([0.0, 1.5, -2.0])
        return b.op("wheres", [c, i], {"s": fmt_num(s), "st": "float", "side": rng.choice(["l", "r"])})
    j = operand_for(b, rng, i, allow_mixed=False)
    if b.vals[j]["dt"] != dt:
        return None
    args = [c, i, j] if rng.random() < 0.5 else [c, j, i]
    return b.op("where", args)


def rand_dims(rng, r):
    k = rng.randint(1, r)
    dims = rng.sample(range(r), k)
    return [d - r if rng.random() < 0.3 else d for d in dims]


def rdim(rng, r):
    d = rng.randrange(r)
    return d - r if rng.random() < 0.3 else d


def gen_reduce(b, rng, i):
    v = b.vals[i]
    x, dt = v["t"], v["dt"]
    r = x.dim()
    op = rng.choice(["sum", "sum", "mean", "prod", "max", "min", "var", "std", "logsumexp", "softmax",
                     "log_softmax", "mean"])
    keep = rng.choice(["0", "1"])
    kv = {}
    inex = not v["exact"]
    if op in ("sum", "mean"):
        u = rng.random()
        if not r and u < 0.3:
            kv = {"dims": rng.choice(["0", "-1"]), "keep": keep}
        elif r and u < 0.45:
            kv = {"dims": lst(rand_dims(rng, r)), "keep": keep}
        elif r and u < 0.75:
            kv = {"dim": str(rdim(rng, r)), "keep": keep}
    elif op in ("prod", "max", "min"):
        if r and rng.random() < 0.6:
            kv = {"dim": str(rdim(rng, r)), "keep": keep}
        if op != "prod":
            if x.numel() == 0 or (inex and ties_along(x, int(kv["dim"]) if kv else None, dt)) or mixed_zeros(x):
                return None
        else:
            f = fin(x)
            if f.numel() != x.numel() or (inex and near(x, 0.0, 1.0, dt)):
                return None
            if f.numel() and float(f.abs().max()) > 1e3:
                return None
    elif op in ("var", "std"):
        u = rng.random()
        if r and u < 0.4:
            kv = {"dims": lst(rand_dims(rng, r)), "keep": keep}
        elif r and u < 0.75:
            kv = {"dim": str(rdim(rng, r)), "keep": keep}
        dims = parse_list(kv["dims"]) if "dims" in kv else ([int(kv["dim"])] if "dim" in kv else list(range(r)))
        n = prod([x.shape[d] for d in dims]) if r else 1
        kv["corr"] = str(rng.choice([0, 1, 1]) if n > 1 else 0)
        if n <= int(kv["corr"]) or n == 0:
            return None
        if op == "std":
            vv = torch.var(x.detach().double(), dim=dims if r else None, correction=0, keepdim=True)
            sc = scale_of(x) ** 2
            zero = vv == 0
            if inex and bool((vv <= KINK_M[dt] * sc).any()):
                return None
            if not inex and bool(zero.any()):
                # an exactly constant group: its value must be dyadic so both
                # implementations' means are exact
                f = fin(x)
                if f.numel() and not bool(((f * 1024) == torch.round(f * 1024)).all()):
                    return None
    elif op == "logsumexp":
        if not r and rng.random() < 0.5:
            kv = {"dim": rng.choice(["0", "-1"]), "keep": keep}
        elif not r:
            return None
        else:
            kv = {"dim": str(rdim(rng, r)), "keep": keep}
    else:  # softmax, log_softmax
        kv = {"dim": str(rdim(rng, r)) if r else rng.choice(["0", "-1"])}
    return b.op(op, [i], kv)


def gen_matmul(b, rng, i):
    v = b.vals[i]
    x, dt = v["t"], v["dt"]
    r = x.dim()
    sh = list(x.shape)
    mode = rng.choice(["gauss", "gauss", "small", "kink"])
    rg = rng.random() < 0.8
    swap = rng.random() < 0.3
    m = rng.choice([1, 2, 3])

    def leaf(shape):
        return b.leaf(shape, dt=dt, rg=rg, mode=mode)

    if r == 1:
        k = sh[0]
        op = rng.choice(["dot", "outer", "matmul", "matmul", "mv"])
        if op == "dot":
            return b.op("dot", [i, leaf([k])])
        if op == "outer":
            j = leaf([m])
            return b.op("outer", [j, i] if swap else [i, j])
        if op == "mv":
            return b.op("mv", [leaf([m, k]), i])
        other, first = rng.choice([([k], True), ([k, m], True), ([2, k, m], True), ([m, k], False),
                                   ([2, m, k], False)])
        j = leaf(other)
        return b.op("matmul", [i, j] if first else [j, i])
    if r == 2:
        n, k = sh
        op = rng.choice(["mm", "mm", "mv", "matmul", "addmm", "addmm"])
        if op == "mm":
            if swap:
                return b.op("mm", [leaf([m, n]), i])
            return b.op("mm", [i, leaf([k, m])])
        if op == "mv":
            return b.op("mv", [i, leaf([k])])
        if op == "matmul":
            other = rng.choice([[k], [k, m], [2, k, m], [3, 1, k, m]])
            return b.op("matmul", [i, leaf(other)])
        # addmm: a = i [n, k], b [k, m], bias broadcastable to [n, m]
        bb = leaf([k, m])
        bias = leaf(rng.choice([[n, m], [m], [1, m], [n, 1], []]))
        beta = rng.choice(["1", "1", "0.5", "0", "-1"])
        alpha = rng.choice(["1", "1", "2", "-0.5"])
        return b.op("addmm", [bias, i, bb], {"beta": beta, "alpha": alpha})
    if r == 3 and rng.random() < 0.3:
        bt, n, k = sh
        if swap:
            return b.op("bmm", [leaf([bt, m, n]), i])
        return b.op("bmm", [i, leaf([bt, k, m])])
    if r >= 3:
        batch, n, k = sh[:-2], sh[-2], sh[-1]
        bshape = [d if rng.random() < 0.7 else 1 for d in batch]
        if rng.random() < 0.3:
            bshape = [rng.choice([1, 2])] + bshape  # more batch dims than the other operand
        if rng.random() < 0.3:
            bshape = bshape[1:]
        other = rng.choice([[k], [k, m], bshape + [k, m]])
        if swap:
            other = rng.choice([[n], [m, n], bshape + [m, n]])
            return b.op("matmul", [leaf(other), i])
        return b.op("matmul", [i, leaf(other)])
    return None


def factor_shape(rng, n):
    """A random shape with numel n (rank 0..3)."""
    if n == 0:
        return rng.choice([[0], [0, 2], [2, 0]])
    if n == 1 and rng.random() < 0.3:
        return []
    dims = []
    rest = n
    for _ in range(rng.randint(0, 2)):
        divs = [d for d in range(1, rest + 1) if rest % d == 0]
        d = rng.choice(divs)
        dims.append(d)
        rest //= d
    dims.append(rest)
    rng.shuffle(dims)
    return dims


def gen_view(b, rng, i):
    v = b.vals[i]
    x = v["t"]
    r = x.dim()
    sh = list(x.shape)
    ops = ["view", "reshape", "unsqueeze", "expand", "contiguous", "cat", "stack", "flatten", "squeeze",
           "transpose", "permute"]
    if r:
        ops += ["narrow", "select", "slice", "slice", "squeeze"]
    if r <= 2:
        ops.append("t")
    op = rng.choice(ops)
    if op == "view" and not v["same_layout"]:
        return None  # Note [Layouts]
    if op in ("view", "reshape"):
        s = factor_shape(rng, x.numel())
        if s and rng.random() < 0.3:
            s[rng.randrange(len(s))] = -1
            if x.numel() == 0:
                return None
        return b.op(op, [i], {"shape": lst(s)})
    if op == "unsqueeze":
        return b.op(op, [i], {"dim": str(rng.randint(-(r + 1), r))})
    if op == "expand":
        s = [rng.choice([2, 3]) if d == 1 and rng.random() < 0.7 else (d if rng.random() < 0.8 else -1)
             for d in sh]
        if len(s) < 3 and rng.random() < 0.4:
            s = [rng.choice([1, 2])] + s
        if prod([abs(d) for d in s]) > BIG["limit"]:
            return None
        return b.op(op, [i], {"shape": lst(s)})
    if op == "contiguous":
        return b.op(op, [i])
    if op == "flatten":
        if not r:  # a 0-d tensor flattens to [1]
            return b.op(op, [i], {"start": rng.choice(["0", "-1"]), "end": rng.choice(["0", "-1"])})
        s = rng.randint(-r, r - 1)
        e = rng.randint(-r, r - 1)
        if (s % r) > (e % r):
            s, e = e, s
        return b.op(op, [i], {"start": str(s), "end": str(e)})
    if op == "squeeze":
        if not r:
            return b.op(op, [i], {"dim": rng.choice(["0", "-1"])} if rng.random() < 0.5 else {})
        return b.op(op, [i], {"dim": str(rdim(rng, r))} if rng.random() < 0.5 else {})
    if op == "transpose":
        if not r:
            return b.op(op, [i], {"d0": rng.choice(["0", "-1"]), "d1": rng.choice(["0", "-1"])})
        return b.op(op, [i], {"d0": str(rdim(rng, r)), "d1": str(rdim(rng, r))})
    if op == "t":
        return b.op(op, [i])
    if op == "permute":
        p = list(range(r))
        rng.shuffle(p)
        return b.op(op, [i], {"dims": lst([d - r if rng.random() < 0.2 else d for d in p])})
    if op in ("narrow", "select", "slice"):
        d = rdim(rng, r)
        size = sh[d]
        if op == "narrow":
            start = rng.randint(0, size)
            ln = rng.randint(0, size - start)
            if start < size and rng.random() < 0.3:
                start -= size  # a negative start counts from the end
            return b.op(op, [i], {"dim": str(d), "start": str(start), "len": str(ln)})
        if op == "select":
            if size == 0:
                return None
            idx = rng.randint(-size, size - 1)
            return b.op(op, [i], {"dim": str(d), "index": str(idx)})
        start = rng.choice(["_", "0", "1", "-1", "-2", str(size)])
        end = rng.choice(["_", "_", "1", "2", "-1", str(size + 2)])
        step = rng.choice([1, 1, 2, 3])
        return b.op(op, [i], {"dim": str(d), "start": start, "end": end, "step": str(step)})
    if op == "cat":
        if not r:
            return None
        d = rdim(rng, r)
        parts = [i]
        for _ in range(rng.randint(1, 2)):
            if rng.random() < 0.3:
                parts.append(i)  # the same value twice
            else:
                s = list(sh)
                s[d] = rng.choice([1, 2])
                parts.append(b.leaf(s, dt=v["dt"], rg=rng.random() < 0.7, mode=rng.choice(["gauss", "kink"])))
        rng.shuffle(parts)
        return b.op(op, parts, {"dim": str(d)})
    if op == "stack":
        d = rng.randint(-(r + 1), r)
        parts = [i]
        for _ in range(rng.randint(1, 2)):
            if rng.random() < 0.3:
                parts.append(i)
            else:
                parts.append(b.leaf(sh, dt=v["dt"], rg=rng.random() < 0.7, mode="gauss"))
        rng.shuffle(parts)
        return b.op(op, parts, {"dim": str(d)})
    return None


GENS = [(gen_unary, 20), (gen_scalar, 8), (gen_binary, 20), (gen_where, 6), (gen_reduce, 16), (gen_matmul, 9),
        (gen_view, 21)]


def weighted(rng, items):
    total = sum(w for _, w in items)
    u = rng.random() * total
    for it, w in items:
        if u < w:
            return it
        u -= w
    return items[-1][0]


# ----------------------------------------------------------------------------
# emitting cases

class Out:
    def __init__(self, filename, seed, prefix_comment):
        self.r = G.RefFile(filename, seed)
        self.r.lines[0] = "# generated by tools/gen_fuzz_autograd.py with torch %s -- do not edit" % torch.__version__
        self.r.lines[1] = "# regenerate with: /usr/bin/python3 tools/gen_fuzz_autograd.py"
        self.r.comment(prefix_comment)
        self.n = 0
        self.dropped = {}
        self.bugs = {}
        self.kinds = {}

    def drop(self, why):
        self.dropped[why] = self.dropped.get(why, 0) + 1
        return False


def incoming_grads(b):
    """Every value of b's program and the gradient PyTorch sends into it for
    (out * 1).sum().backward() (None where it gets none)."""
    leaves, vals = {}, []
    for line in b.lines:
        op, args, kv = parse_line(line)
        if op == "leaf":
            name, view, rg = args[0], args[1], args[2] == "1"
            leaves.setdefault(name, make_leaf(b.recs[name], view, rg))
            vals.append(leaves[name])
            continue
        v = apply_op(op, [vals[i] for i in args], kv)
        if v.requires_grad:
            v.retain_grad()
        vals.append(v)
    out = vals[-1]
    out.sum().backward()
    return vals, [v.grad if v.requires_grad else None for v in vals]


def nonfinite(t):
    return t is not None and not bool(torch.isfinite(t).all())


def pytorch_quirk(b, grads):
    """Why PyTorch 1.13's result here is an artefact of its implementation
    rather than the semantics tapegrad should follow, or None."""
    for k, line in enumerate(b.lines):
        op, args, kv = parse_line(line)
        if op == "prod" and "dim" not in kv and nonfinite(grads[k]) and \
                int((b.vals[args[0]]["t"].detach() == 0).sum()) > 1:
            # prod()'s backward returns zeros_like(input) for two or more zeros,
            # dropping a NaN/inf gradient that prod(dim) and one zero propagate
            return "PyTorch quirk: prod() with two zeros drops a non-finite gradient"
    return None


def known_bug(b, grads):
    """The label of a tapegrad bug this case hit (found by this fuzzer, fixed since), or None."""
    for k, line in enumerate(b.lines):
        op, args, kv = parse_line(line)
        ins = [b.vals[i] for i in args if isinstance(i, int)]
        v = b.vals[k]
        if op == "std" and grads[k] is not None and bool((v["t"].detach() == 0).any()):
            return "BUG-std-backward-zero"
        if op in ("bce", "bcel") and ins[1]["rg"]:
            return "BUG-bce-target-grad"
        if op == "cat" and any(x["rg"] and list(x["t"].shape) == [0] for x in ins):
            return "BUG-cat-empty-no-grad"
        if op == "matmul" and ins[0]["t"].dim() > 2 and ins[1]["t"].dim() <= 2 and ins[0]["t"].shape[-1] == 0 \
                and ins[1]["rg"]:
            return "BUG-matmul-backward-empty-k"
        g = grads[k]
        x = ins[0]["t"].detach() if ins else None
        if op == "abs" and g is not None and bool((((x == 0) | torch.isnan(x)) & ~torch.isfinite(g)).any()):
            return "BUG-abs-backward-nonfinite-grad"
        if op in ("max", "min") and "dim" not in kv and nonfinite(g) and ins[0]["t"].numel() > 1:
            return "BUG-max-all-backward-nonfinite-grad"
        if op in ("softmax", "log_softmax") and ins[0]["t"].dim() == 0 and g is not None and \
                (nonfinite(ins[0]["t"]) or nonfinite(g)):
            return "BUG-softmax-0d-backward-nonfinite"
    return None


def finish_graph(out, prefix, b, mode=None, bug=None, retain_p=0.25, check=True, kind="graph", expect_error=None):
    """Writes builder b's program as a case (or drops it); True when written."""
    rng = b.rng
    if not b.vals or b.vals[-1]["kind"] != "f":
        return out.drop("output is not floating")
    if not b.vals[-1]["rg"]:
        return out.drop("output does not require grad")
    lines = list(b.lines)
    # retain_grad on some intermediate values that require grad
    for k, v in enumerate(b.vals[:-1]):
        if not v["leaf"] and v["kind"] == "f" and v["rg"] and not v.get("contig_of") and rng.random() < retain_p:
            lines[k] += " retain=1"
    if mode is None:
        mode = weighted(rng, [("sumw", 55), ("gradarg", 15), ("twice_retain", 15), ("twice_rebuild", 15),
                              ("twice_noretain", 3)])
    if mode == "twice_noretain":
        expect_error = True
    if any(ln.startswith("iadd ") for ln in lines) and expect_error is None:
        expect_error = "either"
    # float32 anywhere limits the whole case to float32's precision
    f32 = (any(r.dtype == torch.float32 for r in b.recs.values()) or any("dt=f32" in ln for ln in lines)
           or b.vals[-1]["dt"] == "f32")
    prec = "f32" if f32 else "f64"
    try:
        _, grads = incoming_grads(b)
    except Exception:  # noqa: BLE001
        grads = [None] * len(b.vals)
    quirk = pytorch_quirk(b, grads)
    if quirk:
        return out.drop(quirk)
    bug = bug or known_bug(b, grads)
    head = "graph mode=%s prec=%s" % (mode, prec)
    if bug:
        head += " bug=" + bug
    prog = [head] + lines
    o = b.vals[-1]["t"]
    ws = [leaf_values(rng, list(o.shape), "small").to(o.dtype) for _ in range(2)]
    try:
        res = evaluate(prog, b.recs, mode, ws)
        err = None
    except Exception as e:  # noqa: BLE001
        msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
        if expect_error is None or expect_error is False:
            return out.drop("torch raised in evaluation: %s" % type(e).__name__)
        res, err = None, "%s: %s" % (type(e).__name__, msg[:160])
    if expect_error in (True, False) and (err is None) == expect_error:
        # twice_noretain without a saved tensor succeeds in PyTorch (a quirk:
        # nothing was freed), tapegrad refuses it; an in-place add that no
        # backward notices is not what the case is for
        return out.drop("error expectation not met")
    if err is not None:
        check = False
    if check:
        worst = conditioning(prog, b.recs, mode, ws, res, prec)
        if not worst <= (1e-5 if prec == "f32" else 1e-3):
            return out.drop("ill-conditioned (%s)" % prec)
    out.n += 1
    name = "%s%04d" % (prefix, out.n)
    r = out.r
    r.s(name + ".prog", "\n".join(prog))
    for lname, rec in b.recs.items():
        r.t("%s.%s" % (name, lname), rec)
    r.t(name + ".w1", ws[0])
    if mode.startswith("twice"):
        r.t(name + ".w2", ws[1])
    if err is not None:
        r.s(name + ".err", err)
        if bug:
            out.bugs[bug] = out.bugs.get(bug, 0) + 1
        out.kinds[kind + "-error"] = out.kinds.get(kind + "-error", 0) + 1
        return True
    o_val, grads, rgrads = res
    write_approx(r, name + ".out", o_val)
    for lname, g in grads.items():
        if g is not None:
            write_approx(r, "%s.g.%s" % (name, lname), g)
    for k, g in rgrads.items():
        if g is not None:
            write_approx(r, "%s.r%d" % (name, k), g)
    if bug:
        out.bugs[bug] = out.bugs.get(bug, 0) + 1
    out.kinds[kind] = out.kinds.get(kind, 0) + 1
    return True


def random_graph(out, rng, prefix="g"):
    dt = "f64" if rng.random() < 0.72 else "f32"
    b = Builder(rng, dt)
    b.leaf(rshape(rng), rg=True, mode=rng.choice(["gauss", "gauss", "gauss", "kink", "pos", "small", "special"]))
    n_ops = rng.randint(1, 5)
    made = tries = 0
    while made < n_ops and tries < 40:
        tries += 1
        i = b.pick_float()
        gen = weighted(rng, GENS)
        if gen(b, rng, i) is not None:
            made += 1
    if b.vals[-1]["kind"] != "f" or not b.vals[-1]["rg"]:
        return out.drop("output does not require grad")
    if b.vals[-1]["t"].numel() > BIG["limit"] + 4:
        return out.drop("output too big")
    return finish_graph(out, prefix, b)


# ----------------------------------------------------------------------------
# curated autograd cases

def T(vals, dt="f64"):
    return torch.tensor(vals, dtype=DT[dt])


def curated_graphs(out, rng):
    """Hand-built programs for the corners; the expected values are PyTorch's."""

    def case(build, mode="sumw", bug=None, dt="f64", check=False):
        b = Builder(rng, dt)
        build(b)
        ok = finish_graph(out, "k", b, mode=mode, bug=bug, retain_p=0.0, check=check, kind="curated")
        if not ok:
            raise AssertionError("curated case dropped: %s" % b.lines)

    for dt in ("f64", "f32"):
        # a leaf used twice, three times
        case(lambda b: (b.leaf([3], values=T([1.5, -2.0, 0.0], dt), view="c"), b.op("mul", [0, 0])), dt=dt)
        case(lambda b: (b.leaf([2, 2], values=T([[1.0, -2.0], [0.5, 3.0]], dt), view="t"),
                        b.op("add", [0, 0]), b.op("mul", [1, 0])), dt=dt)
        # relu at 0 and -0, abs at 0, clamp at both bounds, min > max
        k = T([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5], dt)
        for op, kv in (("relu", {}), ("abs", {}), ("clamp", {"lo": "-1.0", "hi": "1.0"}),
                       ("clamp", {"lo": "0.0", "hi": "none"}), ("clamp", {"lo": "none", "hi": "-1.0"}),
                       ("clamp", {"lo": "1.0", "hi": "-1.0"})):
            case(lambda b, op=op, kv=kv: (b.leaf([7], values=k, view="c"), b.op(op, [0], kv)), dt=dt)
        # abs and relu of NaN and infinities
        s = T([NAN, INF, -INF, 0.0, 1.0], dt)
        for op in ("abs", "relu", "sigmoid", "tanh", "exp", "neg", "sqrt"):
            case(lambda b, op=op: (b.leaf([5], values=s, view="c"), b.op(op, [0])), dt=dt)
        # a non-finite gradient arriving at abs(0), abs(NaN), max()/min() of
        # several elements, softmax/log_softmax of a 0-d tensor (PyTorch:
        # grad * sgn(x), the gradient only where the extreme is, NaN)
        case(lambda b: (b.leaf([4], values=T([0.0, NAN, -1.0, 2.0], dt), view="c"), b.op("abs", [0]),
                        b.op("log", [1])), dt=dt)
        for op in ("max", "min"):
            case(lambda b, op=op: (b.leaf([3], values=T([0.0, -1.0, -2.0] if op == "max" else [0.0, 1.0, 2.0], dt),
                                          view="c"), b.op(op, [0]), b.op("log", [1])), dt=dt)
        for op in ("softmax", "log_softmax"):
            case(lambda b, op=op: (b.leaf([], values=T(2.0, dt), view="c"), b.op(op, [0], {"dim": "0"}),
                                   b.op("smul", [1], {"s": "0.0", "st": "float"}), b.op("log", [2])), dt=dt)
            case(lambda b, op=op: (b.leaf([], values=T(INF, dt), view="c"), b.op(op, [0], {"dim": "-1"})), dt=dt)
        # max/min with ties, all and along dims; NaN
        tie = T([[1.0, 3.0, 3.0, 2.0], [0.5, 0.5, 0.5, 0.5], [-1.0, -4.0, -4.0, -1.0]], dt)
        for op in ("max", "min"):
            case(lambda b, op=op: (b.leaf([3, 4], values=tie, view="c"), b.op(op, [0])), dt=dt)
            for d, keep in ((1, "0"), (0, "1"), (-1, "1")):
                case(lambda b, op=op, d=d, keep=keep: (b.leaf([3, 4], values=tie, view="t"),
                                                       b.op(op, [0], {"dim": str(d), "keep": keep})), dt=dt)
            case(lambda b, op=op: (b.leaf([4], values=T([1.0, NAN, 3.0, NAN], dt), view="c"), b.op(op, [0])),
                 dt=dt)
            case(lambda b, op=op: (b.leaf([2, 3], values=T([[1.0, NAN, 3.0], [2.0, 2.0, 1.0]], dt), view="c"),
                                   b.op(op, [0], {"dim": "1", "keep": "0"})), dt=dt)
        # maximum/minimum: ties split the gradient; NaN
        a = T([1.0, 2.0, NAN, 0.0, -1.0, 3.0], dt)
        c = T([1.0, 1.0, 1.0, NAN, -1.0, 4.0], dt)
        for op in ("maximum", "minimum"):
            case(lambda b, op=op: (b.leaf([6], values=a, view="c"), b.leaf([6], values=c, view="s"),
                                   b.op(op, [0, 1])), dt=dt)
            case(lambda b, op=op: (b.leaf([2, 3], values=T([[1.0, 2.0, 3.0], [2.0, 2.0, 0.0]], dt), view="c"),
                                   b.leaf([3], values=T([2.0, 2.0, 2.0], dt), view="c"), b.op(op, [0, 1])), dt=dt)
        # pow at base 0, negative bases, every scalar exponent form
        base = T([0.0, -0.0, 1.0, -2.0, 0.5, 3.0], dt)
        for st, s in (("int", 0), ("int", 1), ("int", 2), ("int", 3), ("int", -1), ("int", -2), ("float", 0.0),
                      ("float", 0.5), ("float", -0.5), ("float", 1.5), ("float", 2.0), ("float", 2.5),
                      ("float", -1.0), ("float", 1.0)):
            case(lambda b, st=st, s=s: (b.leaf([6], values=base, view="c"),
                                        b.op("spow", [0], {"s": fmt_num(s), "st": st})), dt=dt)
        ex = T([0.0, 2.0, -1.0, 0.5, 0.0, 1.0], dt)
        case(lambda b: (b.leaf([6], values=base, view="c"), b.leaf([6], values=ex, view="c"),
                        b.op("pow", [0, 1])), dt=dt)
        case(lambda b: (b.leaf([2, 1], values=T([[0.0], [2.0]], dt), view="c"),
                        b.leaf([3], values=T([0.0, 1.0, -1.0], dt), view="c"), b.op("pow", [0, 1])), dt=dt)
        # sqrt, rsqrt, log, log1p at their edges
        edge = T([0.0, 4.0, -1.0, 1.0], dt)
        for op in ("sqrt", "rsqrt", "log", "log1p"):
            case(lambda b, op=op: (b.leaf([4], values=edge, view="c"), b.op(op, [0])), dt=dt)
        # division by zero, 0/0
        case(lambda b: (b.leaf([4], values=T([1.0, 0.0, -2.0, 3.0], dt), view="c"),
                        b.leaf([4], values=T([0.0, 0.0, 4.0, -0.5], dt), view="c"), b.op("div", [0, 1])), dt=dt)
        # where with broadcasting of all three operands, and with a scalar
        cond = torch.tensor([[True], [False]])
        case(lambda b: (b.leaf([2, 1], kind="b", values=cond, view="c"),
                        b.leaf([3], values=T([1.0, 2.0, 3.0], dt), view="c"),
                        b.leaf([2, 3], values=T([[4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], dt), view="t"),
                        b.op("where", [0, 1, 2])), dt=dt)
        case(lambda b: (b.leaf([3], kind="b", values=torch.tensor([True, False, True]), view="c"),
                        b.leaf([2, 1], values=T([[1.5], [-2.5]], dt), view="c"),
                        b.op("wheres", [0, 1], {"s": "0.0", "st": "float", "side": "r"})), dt=dt)
        # where whose unchosen branch is NaN/inf
        case(lambda b: (b.leaf([3], values=T([0.0, 4.0, -1.0], dt), view="c"), b.op("log", [0]),
                        b.leaf([3], values=T([-1.0, 4.0, -1.0], dt), view="c"), b.op("gt", [2, 0]),
                        b.op("wheres", [3, 1], {"s": "0.0", "st": "float", "side": "r"})), dt=dt)
        # expand then sum; expand of a leaf; an expanded (stride 0) leaf
        case(lambda b: (b.leaf([3, 1], values=T([[1.0], [2.0], [3.0]], dt), view="c"),
                        b.op("expand", [0], {"shape": "2,3,4"}), b.op("sum", [1], {"dims": "0,2", "keep": "0"})),
             dt=dt)
        case(lambda b: (b.leaf([2, 3], values=T([[1.0, 2.0, 3.0]], dt), view="e:2x3"), b.op("exp", [0])), dt=dt)
        case(lambda b: (b.leaf([2, 3], values=T([1.0, -2.0, 0.5], dt), view="e:2x3"),
                        b.op("mul", [0, 0]), b.op("sum", [1], {"dim": "0", "keep": "0"})), dt=dt)
        # non-contiguous leaves of every layout feeding a matmul
        for va, vb in (("t", "s"), ("o", "t"), ("s", "o")):
            case(lambda b, va=va, vb=vb: (b.leaf([2, 3], values=T([[1.0, -1.0, 2.0], [0.5, 0.0, 3.0]], dt), view=va),
                                          b.leaf([3, 2], values=T([[2.0, 1.0], [-1.0, 0.5], [0.0, 4.0]], dt), view=vb),
                                          b.op("mm", [0, 1])), dt=dt)
        # std and var of constant groups, of one element, correction = n
        cst = T([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]], dt)
        for op in ("std", "var"):
            case(lambda b, op=op: (b.leaf([2, 3], values=cst, view="c"),
                                   b.op(op, [0], {"dim": "1", "corr": "1", "keep": "0"})), dt=dt,
                 bug="BUG-std-backward-zero" if op == "std" else None)
            case(lambda b, op=op: (b.leaf([3], values=T([0.5, 0.5, 0.5], dt), view="c"),
                                   b.op(op, [0], {"corr": "0"})), dt=dt,
                 bug="BUG-std-backward-zero" if op == "std" else None)
            case(lambda b, op=op: (b.leaf([1, 3], values=T([[1.0, 2.0, 3.0]], dt), view="c"),
                                   b.op(op, [0], {"dim": "0", "corr": "1", "keep": "1"})), dt=dt)
            case(lambda b, op=op: (b.leaf([2, 2], values=T([[1.0, 2.0], [3.0, 3.0]], dt), view="c"),
                                   b.op(op, [0], {"dim": "1", "corr": "2", "keep": "0"})), dt=dt)
        # prod with one and with two zeros per group
        pz = T([[0.0, 2.0, 3.0], [1.0, 0.0, 0.0], [1.0, 2.0, 3.0]], dt)
        case(lambda b: (b.leaf([3, 3], values=pz, view="c"), b.op("prod", [0], {"dim": "1", "keep": "0"})), dt=dt)
        case(lambda b: (b.leaf([3, 3], values=pz, view="t"), b.op("prod", [0], {"dim": "0", "keep": "1"})), dt=dt)
        case(lambda b: (b.leaf([3], values=T([0.0, 2.0, 3.0], dt), view="c"), b.op("prod", [0])), dt=dt)
        case(lambda b: (b.leaf([3], values=T([0.0, 2.0, 0.0], dt), view="c"), b.op("prod", [0])), dt=dt)
        case(lambda b: (b.leaf([2, 0], values=T([[], []], dt), view="c"),
                        b.op("prod", [0], {"dim": "1", "keep": "0"})), dt=dt)
        # logsumexp, softmax, log_softmax with -inf entries and rows
        mi = T([[-INF, 0.0, 1.0], [-INF, -INF, -INF], [1000.0, 1000.0, -1000.0]], dt)
        for op, kv in (("logsumexp", {"dim": "1", "keep": "0"}), ("softmax", {"dim": "1"}),
                       ("log_softmax", {"dim": "1"}), ("logsumexp", {"dim": "0", "keep": "1"})):
            case(lambda b, op=op, kv=kv: (b.leaf([3, 3], values=mi, view="c"), b.op(op, [0], kv)), dt=dt)
        # reductions over empty dims and of 0-d tensors
        case(lambda b: (b.leaf([0, 3], values=torch.zeros(0, 3, dtype=DT[dt]), view="c"),
                        b.op("sum", [0], {"dim": "0", "keep": "0"})), dt=dt)
        case(lambda b: (b.leaf([0, 3], values=torch.zeros(0, 3, dtype=DT[dt]), view="c"),
                        b.op("mean", [0], {"dim": "0", "keep": "1"})), dt=dt)
        for op, kv in (("sum", {"dim": "0", "keep": "1"}), ("max", {"dim": "-1", "keep": "0"}), ("softmax", {"dim": "0"}),
                       ("log_softmax", {"dim": "-1"}), ("logsumexp", {"dim": "0", "keep": "0"}), ("mean", {}),
                       ("prod", {"dim": "0", "keep": "0"}), ("std", {"corr": "0"})):
            case(lambda b, op=op, kv=kv: (b.leaf([], values=T(1.5, dt), view="c"), b.op(op, [0], kv)), dt=dt,
                 bug="BUG-std-backward-zero" if op == "std" else None)
        # sum over all dims with keepdim, mean over a list with negative dims
        case(lambda b: (b.leaf([2, 3], values=T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dt), view="t"),
                        b.op("sum", [0], {"dims": "0,1", "keep": "1"})), dt=dt)
        case(lambda b: (b.leaf([2, 3, 2], values=leaf_values(rng, [2, 3, 2], "small").to(DT[dt]), view="s"),
                        b.op("mean", [0], {"dims": "-1,0", "keep": "0"})), dt=dt)
        # the matmul shapes: 1-D operands, broadcast batches, addmm's beta 0 with a NaN bias
        x1 = T([1.0, -2.0, 0.5], dt)
        case(lambda b: (b.leaf([3], values=x1, view="c"), b.leaf([3], values=T([2.0, 1.0, -1.0], dt), view="s"),
                        b.op("matmul", [0, 1])), dt=dt)
        case(lambda b: (b.leaf([3], values=x1, view="c"),
                        b.leaf([2, 3, 2], values=leaf_values(rng, [2, 3, 2], "small").to(DT[dt]), view="t"),
                        b.op("matmul", [0, 1])), dt=dt)
        case(lambda b: (b.leaf([2, 2, 3], values=leaf_values(rng, [2, 2, 3], "small").to(DT[dt]), view="c"),
                        b.leaf([3], values=x1, view="c"), b.op("matmul", [0, 1])), dt=dt)
        case(lambda b: (b.leaf([2, 1, 2, 3], values=leaf_values(rng, [2, 1, 2, 3], "small").to(DT[dt]), view="c"),
                        b.leaf([3, 3, 2], values=leaf_values(rng, [3, 3, 2], "small").to(DT[dt]), view="c"),
                        b.op("matmul", [0, 1])), dt=dt)
        case(lambda b: (b.leaf([2, 3], values=T([NAN, 1.0, 2.0], dt), view="e:2x3"),
                        b.leaf([2, 2], values=T([[1.0, 2.0], [3.0, 4.0]], dt), view="c"),
                        b.leaf([2, 3], values=T([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]], dt), view="t"),
                        b.op("addmm", [0, 1, 2], {"beta": "0", "alpha": "1"})), dt=dt)
        case(lambda b: (b.leaf([3], values=x1, view="c"), b.leaf([2, 2], values=T([[1.0, 2.0], [3.0, 4.0]], dt), view="c"),
                        b.leaf([2, 3], values=T([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]], dt), view="c"),
                        b.op("addmm", [0, 1, 2], {"beta": "2", "alpha": "-1"})), dt=dt)
        case(lambda b: (b.leaf([2, 0], values=torch.zeros(2, 0, dtype=DT[dt]), view="c"),
                        b.leaf([0, 3], values=torch.zeros(0, 3, dtype=DT[dt]), view="c"), b.op("mm", [0, 1])), dt=dt)
        # an empty inner dimension: the gradients are empty tensors (PyTorch) and nothing crashes
        for sb in ([0], [0, 2]):
            case(lambda b, sb=sb: (b.leaf([2, 3, 0], values=torch.zeros(2, 3, 0, dtype=DT[dt]), view="c"),
                                   b.leaf(sb, values=torch.zeros(sb, dtype=DT[dt]), view="c"),
                                   b.op("matmul", [0, 1])), dt=dt)
        case(lambda b: (b.leaf([2, 3, 0], values=torch.zeros(2, 3, 0, dtype=DT[dt]), view="c"),
                        b.leaf([2, 0, 2], values=torch.zeros(2, 0, 2, dtype=DT[dt]), view="c"),
                        b.op("bmm", [0, 1])), dt=dt)
        # cat with an empty 1-D tensor (left out of the result, but PyTorch gives it an
        # empty gradient), of empty 1-D tensors only; many inputs, one value many times
        case(lambda b: (b.leaf([2, 2], values=T([[1.0, 2.0], [3.0, 4.0]], dt), view="c"),
                        b.leaf([0], values=torch.zeros(0, dtype=DT[dt]), view="c"),
                        b.op("cat", [0, 1, 0], {"dim": "1"})), dt=dt)
        case(lambda b: (b.leaf([2, 2], values=T([[1.0, 2.0], [3.0, 4.0]], dt), view="c"),
                        b.leaf([0], values=torch.zeros(0, dtype=DT[dt]), view="c", rg=False),
                        b.op("cat", [1, 0], {"dim": "0"})), dt=dt)
        case(lambda b: (b.leaf([0], values=torch.zeros(0, dtype=DT[dt]), view="c"),
                        b.op("cat", [0, 0], {"dim": "0"})), dt=dt)
        case(lambda b: (b.leaf([2, 2], values=T([[1.0, 2.0], [3.0, 4.0]], dt), view="c"),
                        b.leaf([2, 0], values=torch.zeros(2, 0, dtype=DT[dt]), view="c"),
                        b.op("cat", [1, 0, 1], {"dim": "1"})), dt=dt)
        case(lambda b: ([b.leaf([1, 2], values=T([[float(i), -float(i)]], dt), view="c") for i in range(7)],
                        b.op("cat", list(range(7)), {"dim": "0"})), dt=dt)
        case(lambda b: (b.leaf([2], values=T([1.0, 2.0], dt), view="c"),
                        b.op("stack", [0, 0, 0, 0, 0], {"dim": "1"})), dt=dt)
        # slices with steps, negative bounds, select, narrow feeding a sum
        case(lambda b: (b.leaf([5, 2], values=leaf_values(rng, [5, 2], "small").to(DT[dt]), view="t"),
                        b.op("slice", [0], {"dim": "0", "start": "-4", "end": "_", "step": "2"}),
                        b.op("select", [1], {"dim": "1", "index": "-1"}), b.op("exp", [2])), dt=dt)
        # retain_grad on an intermediate used twice; on a view; twice backward
        for mode in ("sumw", "twice_retain", "twice_rebuild", "gradarg"):
            def build(b, mode=mode):
                b.leaf([2, 3], values=T([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]], dt), view="c")
                b.op("tanh", [0])
                b.lines[-1] += " retain=1"
                b.op("transpose", [1], {"d0": "0", "d1": "1"})
                b.lines[-1] += " retain=1"
                b.op("mul", [2, 2])
                b.leaf([3, 1], values=T([[1.0], [2.0], [0.5]], dt), view="c")
                b.op("add", [3, 4])
            case(build, mode=mode, dt=dt)
        # a leaf reached only through a comparison (no gradient) and one not used at all
        case(lambda b: (b.leaf([3], values=T([1.0, 2.0, 3.0], dt), view="c"),
                        b.leaf([3], values=T([2.0, 2.0, 2.0], dt), view="c"),
                        b.leaf([2], values=T([5.0, 6.0], dt), view="c"),
                        b.op("gt", [0, 1]), b.op("where", [3, 0, 0])), dt=dt)
        # in-place changes of a constant an op saved for backward (backward must
        # refuse), of one no op saved, and before its use
        cv = T([[1.0, -2.0], [0.5, 3.0]], dt)
        for op, saved in (("mul", True), ("div", True), ("pow", True), ("add", False), ("sub", False),
                          ("matmul", True), ("maximum", True)):
            def build(b, op=op):
                b.leaf([2, 2], values=T([[0.5, 1.5], [2.0, 0.25]], dt), view="c")
                b.leaf([2, 2], values=cv, view="t", rg=False)
                b.op(op, [0, 1])
                b.op("iadd", [1], {"s": "1.0"}, exact=True)
                b.op("mul", [2, 3])
            finish = dict(mode="sumw", expect_error=saved)
            bb = Builder(rng, dt)
            build(bb)
            if not finish_graph(out, "k", bb, retain_p=0.0, check=False, kind="curated", **finish):
                raise AssertionError("curated in-place case dropped")
        case(lambda b: (b.leaf([2, 2], values=cv, view="c", rg=False), b.op("iadd", [0], {"s": "-0.5"}, exact=True),
                        b.leaf([2, 2], values=T([[0.5, 1.5], [2.0, 0.25]], dt), view="s"), b.op("mul", [2, 1])), dt=dt)
        # backward twice through freed saved tensors
        bb = Builder(rng, dt)
        bb.leaf([3], values=T([1.0, 2.0, 3.0], dt), view="c")
        bb.op("exp", [0])
        if not finish_graph(out, "k", bb, mode="twice_noretain", retain_p=0.0, check=False, kind="curated"):
            raise AssertionError("curated twice_noretain case dropped")
        # dtype conversions in the graph, and mixed float32/float64 operands
    case(lambda b: (b.leaf([3], dt="f32", values=T([1.5, -2.25, 0.1], "f32"), view="c"),
                    b.op("to", [0], {"dt": "f64"}), b.op("exp", [1])), dt="f64")
    case(lambda b: (b.leaf([3], dt="f64", values=T([1.5, -2.25, 0.1], "f64"), view="c"),
                    b.op("to", [0], {"dt": "f32"}), b.op("mul", [1, 1])), dt="f32")
    for op in ("add", "sub", "mul", "div"):
        case(lambda b, op=op: (b.leaf([2, 3], dt="f32", values=T([[1.5, -2.0, 0.5], [1.0, 2.0, 3.0]], "f32"), view="c"),
                               b.leaf([3], dt="f64", values=T([0.5, 4.0, -1.0], "f64"), view="c"),
                               b.op(op, [0, 1])), dt="f64")
        case(lambda b, op=op: (b.leaf([3], dt="f64", values=T([0.5, 4.0, -1.0], "f64"), view="c"),
                               b.leaf([2, 1], dt="f32", values=T([[1.5], [-2.0]], "f32"), view="t"),
                               b.op(op, [0, 1])), dt="f64")


# ----------------------------------------------------------------------------
# nn cases

def int_leaf(b, vals):
    return b.leaf([len(vals)], kind="i", values=torch.tensor(vals, dtype=torch.int64), view="c")


def ce_targets(rng, n, c, ignore, p_ignore=0.2):
    return [ignore if rng.random() < p_ignore else rng.randrange(c) for _ in range(n)]


def random_nn(out, rng):
    dt = "f64" if rng.random() < 0.7 else "f32"
    b = Builder(rng, dt)
    kind = weighted(rng, [("ce", 30), ("nll", 14), ("mse", 10), ("bce", 12), ("bcel", 14), ("mlp", 14),
                          ("linear", 8), ("dropout", 5)])
    red = rng.choice(["mean", "mean", "sum", "none"])
    if kind in ("ce", "nll", "mlp"):
        n, c = rng.randint(1, 5), rng.randint(2, 5)
        if kind == "mlp":
            fin_ = rng.randint(1, 4)
            x = b.leaf([n, fin_], rg=rng.random() < 0.5, mode="gauss")
            w1 = b.leaf([3, fin_], rg=True, mode="gauss")
            b1 = b.leaf([3], rg=True, mode="gauss")
            h = b.op("linear", [x, w1, b1])
            if near(b.vals[h]["t"], 0.0, 1.0, dt):
                return out.drop("mlp: hidden unit at the relu kink")
            h = b.op("relu", [h])
            w2 = b.leaf([c, 3], rg=True, mode="gauss")
            args = [h, w2] + ([b.leaf([c], rg=True, mode="gauss")] if rng.random() < 0.7 else [])
            logits = b.op("linear", args)
            kind = "ce"
        else:
            logits = b.leaf([n, c], rg=True, mode=rng.choice(["gauss", "gauss", "kink", "special"]))
            if kind == "nll" and rng.random() < 0.6:
                logits = b.op("log_softmax", [logits], {"dim": "1"})
        ignore = rng.choice([-100, -100, -1, 0, 1])
        targets = ce_targets(rng, n, c, ignore)
        lv = b.vals[logits]["t"]
        if kind == "ce" and any(t == ignore and not bool(torch.isfinite(lv[r]).all()) for r, t in enumerate(targets)):
            return out.drop("PyTorch quirk: NaN gradient for an ignored row with non-finite logits")
        tgt = int_leaf(b, targets)
        kv = {"red": red, "ignore": str(ignore)}
        args = [logits, tgt]
        if kind == "ce":
            kv["ls"] = fmt_num(rng.choice([0.0, 0.0, 0.1, 0.25, 1.0]))
        if rng.random() < 0.4:
            args.append(b.leaf([c], rg=False, mode="pos"))
            kv["w"] = "1"
        if b.op(kind, args, kv) is None:
            return out.drop("torch refused the loss")
    elif kind == "mse":
        s = rshape(rng)
        a = b.leaf(s, rg=True)
        t = b.leaf(s, rg=rng.random() < 0.4)
        b.op("mse", [a, t] if rng.random() < 0.7 else [t, a], {"red": red})
    elif kind == "bce":
        s = rshape(rng, rank=rng.choice([1, 2]))
        if rng.random() < 0.5:
            p = b.leaf(s, rg=True, mode=rng.choice(["unit", "unit_open"]))
        else:
            z = b.leaf(s, rg=True, mode="gauss")
            p = b.op("sigmoid", [z])
        y = b.leaf(s, rg=False, mode=rng.choice(["unit", "unit_open"]))
        args, kv = [p, y], {"red": red}
        if rng.random() < 0.4:
            args.append(b.leaf(E.bcast_from(rng, s), rg=False, mode="pos"))
            kv["w"] = "1"
        b.op("bce", args, kv)
    elif kind == "bcel":
        s = rshape(rng, rank=rng.choice([1, 2, 2]))
        x = b.leaf(s, rg=True, mode=rng.choice(["gauss", "gauss", "kink", "special"]))
        y = b.leaf(s, rg=False, mode=rng.choice(["unit", "unit_open"]))
        args, kv = [x, y], {"red": red}
        if rng.random() < 0.4:
            args.append(b.leaf(E.bcast_from(rng, s), rg=False, mode="pos"))
            kv["w"] = "1"
        if rng.random() < 0.4 and s:
            args.append(b.leaf([s[-1]] if rng.random() < 0.7 else [1], rg=False, mode="pos"))
            kv["pw"] = "1"
        b.op("bcel", args, kv)
    elif kind == "linear":
        lead = rshape(rng, rank=rng.choice([0, 1, 2]), max_numel=6)
        fi, fo = rng.randint(1, 4), rng.randint(1, 4)
        x = b.leaf(lead + [fi], rg=rng.random() < 0.7)
        w = b.leaf([fo, fi], rg=True)
        args = [x, w] + ([b.leaf([fo], rg=rng.random() < 0.8)] if rng.random() < 0.6 else [])
        if b.op("linear", args) is None:
            return out.drop("linear refused")
        if rng.random() < 0.5:
            if near(b.vals[-1]["t"], 0.0, 1.0, dt):
                return out.drop("linear: at the relu kink")
            b.op(rng.choice(["relu", "tanh", "sigmoid"]), [b.last()])
    elif kind == "dropout":
        x = b.leaf(rshape(rng), rg=True)
        train = rng.random() < 0.5
        p = rng.choice([0.0, 1.0]) if train else rng.choice([0.0, 0.2, 0.5, 1.0])
        b.op("dropout", [x], {"p": fmt_num(p), "train": "1" if train else "0"})
        b.op(rng.choice(["exp", "tanh", "mul"]), [b.last()] if rng.random() < 0.7 else [b.last(), b.last()])
    if b.vals[-1]["kind"] != "f":
        return out.drop("no loss")
    return finish_graph(out, "n", b, kind=kind)


def curated_nn(out, rng):
    def case(build, mode="sumw", bug=None, dt="f64", check=False):
        b = Builder(rng, dt)
        build(b)
        ok = finish_graph(out, "m", b, mode=mode, bug=bug, retain_p=0.0, check=check, kind="curated")
        if not ok:
            raise AssertionError("curated nn case dropped: %s" % b.lines)

    for dt in ("f64", "f32"):
        lg = T([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [1000.0, -1000.0, 0.0], [2.0, 2.0, 2.0]], dt)
        w = T([0.5, 2.0, 1.0], dt)
        for red in ("mean", "sum", "none"):
            for ls in ("0.0", "0.2", "1.0"):
                for use_w in (False, True):
                    def build(b, red=red, ls=ls, use_w=use_w):
                        b.leaf([4, 3], values=lg, view="t")
                        int_leaf(b, [2, -100, 0, 1])
                        args = [0, 1]
                        if use_w:
                            args.append(b.leaf([3], values=w, view="c", rg=False))
                        b.op("ce", args, {"red": red, "ignore": "-100", "ls": ls, "w": "1" if use_w else "0"})
                    case(build, dt=dt)
            # every row ignored; ignore_index a valid class
            case(lambda b, red=red: (b.leaf([2, 3], values=lg[:2], view="c"), int_leaf(b, [1, 1]),
                                     b.op("ce", [0, 1], {"red": red, "ignore": "1", "ls": "0.1"})), dt=dt)
            case(lambda b, red=red: (b.leaf([2, 3], values=lg[:2], view="c"), int_leaf(b, [1, 1]),
                                     b.leaf([3], values=w, view="c", rg=False),
                                     b.op("nll", [0, 1, 2], {"red": red, "ignore": "1", "w": "1"})), dt=dt)
            # nll on log_softmax, on raw values
            case(lambda b, red=red: (b.leaf([4, 3], values=lg, view="c"), b.op("log_softmax", [0], {"dim": "1"}),
                                     int_leaf(b, [0, 2, -100, 1]),
                                     b.op("nll", [1, 2], {"red": red, "ignore": "-100"})), dt=dt)
            # bce at p = 0 and 1 (the -100 clamp, the 1e-12 floor), weight broadcast
            p = T([[0.0, 1.0, 0.5], [1e-30, 0.999999, 0.25]], dt)
            y = T([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]], dt)
            case(lambda b, red=red: (b.leaf([2, 3], values=p, view="c"), b.leaf([2, 3], values=y, view="c", rg=False),
                                     b.op("bce", [0, 1], {"red": red})), dt=dt)
            case(lambda b, red=red: (b.leaf([2, 3], values=p, view="t"), b.leaf([2, 3], values=y, view="c", rg=False),
                                     b.leaf([3], values=T([1.0, 2.0, 0.5], dt), view="c", rg=False),
                                     b.op("bce", [0, 1, 2], {"red": red, "w": "1"})), dt=dt)
            # bce with logits: large |x|, pos_weight, weight
            xl = T([[-50.0, 50.0, 0.0], [3.0, -2.0, 800.0]], dt)
            case(lambda b, red=red: (b.leaf([2, 3], values=xl, view="c"), b.leaf([2, 3], values=y, view="c", rg=False),
                                     b.op("bcel", [0, 1], {"red": red})), dt=dt)
            case(lambda b, red=red: (b.leaf([2, 3], values=xl, view="s"), b.leaf([2, 3], values=y, view="c", rg=False),
                                     b.leaf([2, 1], values=T([[2.0], [0.5]], dt), view="c", rg=False),
                                     b.leaf([3], values=T([3.0, 1.0, 0.25], dt), view="c", rg=False),
                                     b.op("bcel", [0, 1, 2, 3], {"red": red, "w": "1", "pw": "1"})), dt=dt)
            # mse with both sides requiring grad
            case(lambda b, red=red: (b.leaf([2, 2], values=T([[1.0, 2.0], [3.0, -4.0]], dt), view="c"),
                                     b.leaf([2, 2], values=T([[0.5, 2.0], [-1.0, 0.0]], dt), view="t"),
                                     b.op("mse", [0, 1], {"red": red})), dt=dt)
        # linear: 1-D input, 3-D input, no bias
        case(lambda b: (b.leaf([3], values=T([1.0, -1.0, 2.0], dt), view="c"),
                        b.leaf([2, 3], values=T([[0.5, 1.0, -1.0], [2.0, 0.0, 1.0]], dt), view="t"),
                        b.leaf([2], values=T([0.25, -0.5], dt), view="c"), b.op("linear", [0, 1, 2])), dt=dt)
        case(lambda b: (b.leaf([2, 2, 3], values=leaf_values(rng, [2, 2, 3], "small").to(DT[dt]), view="s"),
                        b.leaf([2, 3], values=T([[0.5, 1.0, -1.0], [2.0, 0.0, 1.0]], dt), view="c"),
                        b.op("linear", [0, 1])), dt=dt)
        case(lambda b: (b.leaf([2, 2, 3], values=leaf_values(rng, [2, 2, 3], "small").to(DT[dt]), view="t"),
                        b.leaf([2, 3], values=T([[0.5, 1.0, -1.0], [2.0, 0.0, 1.0]], dt), view="c"),
                        b.leaf([2], values=T([1.0, -1.0], dt), view="c"), b.op("linear", [0, 1, 2])), dt=dt)
        # dropout: eval mode passes through; p = 0 and p = 1 in training are deterministic
        for p, train in (("0.5", "0"), ("0.0", "1"), ("1.0", "1"), ("1.0", "0")):
            case(lambda b, p=p, train=train: (b.leaf([2, 2], values=T([[1.0, 2.0], [3.0, -4.0]], dt), view="c"),
                                              b.op("dropout", [0], {"p": p, "train": train})), dt=dt)
    # a class weight that requires grad: both refuse (PyTorch: not differentiable)
    for op in ("ce", "nll"):
        bb = Builder(rng, "f64")
        bb.leaf([2, 3], values=T([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]), view="c")
        int_leaf(bb, [2, 0])
        bb.leaf([3], values=T([0.5, 2.0, 1.0]), view="c", rg=True)
        kv = {"red": "mean", "ignore": "-100", "w": "1"}
        if op == "ce":
            kv["ls"] = "0.0"
        bb.op(op, [0, 1, 2], kv, allow_error=True)
        if not finish_graph(out, "m", bb, mode="sumw", retain_p=0.0, check=False, kind="curated", expect_error=True):
            raise AssertionError("curated weight-grad case dropped")
    # gradient with respect to the target of the binary cross-entropies (PyTorch supports it)
    case(lambda b: (b.leaf([3], values=T([0.25, 0.5, 0.9]), view="c"),
                    b.leaf([3], values=T([0.0, 1.0, 0.5]), view="c", rg=True),
                    b.op("bce", [0, 1], {"red": "mean"})), bug="BUG-bce-target-grad")
    case(lambda b: (b.leaf([3], values=T([-1.0, 0.5, 2.0]), view="c"),
                    b.leaf([3], values=T([0.0, 1.0, 0.5]), view="c", rg=True),
                    b.op("bcel", [0, 1], {"red": "sum"})), bug="BUG-bce-target-grad")
    case(lambda b: (b.leaf([3], values=T([-2.0, 0.5, 3.0]), view="c"),
                    b.leaf([3], values=T([0.0, 1.0, 0.5]), view="c", rg=True),
                    b.leaf([3], values=T([2.0, 0.5, 3.0]), view="c", rg=False),
                    b.op("bcel", [0, 1, 2], {"red": "sum", "pw": "1"})), bug="BUG-bce-target-grad")


# ----------------------------------------------------------------------------
# optimizers

def run_optim(prog, recs):
    """Runs an optimizer program in torch; returns (params, opt, lrs)."""
    head = prog[0].split()
    kind = head[1]
    kv = dict(t.split("=", 1) for t in head[2:])
    params, names = [], []
    sched_kv = None
    body = []
    for line in prog[1:]:
        tok = line.split()
        if tok[0] == "scheduler":
            sched_kv = tok[1:]
        elif tok[0] == "param":
            t = E.layout(recs[tok[1]], tok[2]).requires_grad_(True)
            params.append(t)
            names.append(tok[1])
        else:
            body.append(tok)
    f = lambda k: float(kv[k])  # noqa: E731
    b = lambda k: kv[k] == "1"  # noqa: E731
    if kind == "sgd":
        opt = torch.optim.SGD(params, lr=f("lr"), momentum=f("momentum"), dampening=f("dampening"),
                              weight_decay=f("weight_decay"), nesterov=b("nesterov"), maximize=b("maximize"),
                              foreach=False)
    else:
        cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        opt = cls(params, lr=f("lr"), betas=(f("beta1"), f("beta2")), eps=f("eps"), weight_decay=f("weight_decay"),
                  amsgrad=b("amsgrad"), maximize=b("maximize"), foreach=False)
    sched = None
    if sched_kv:
        skv = dict(t.split("=", 1) for t in sched_kv[1:])
        if sched_kv[0] == "step":
            sched = torch.optim.lr_scheduler.StepLR(opt, int(skv["step_size"]), gamma=float(skv["gamma"]))
        else:
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, int(skv["T_max"]), eta_min=float(skv["eta_min"]))
    lrs = []
    for tok in body:
        if tok[0] == "setgrad":
            params[int(tok[1])].grad = recs[tok[2]].clone()
        elif tok[0] == "bwd":
            (params[int(tok[1])] * recs[tok[2]]).sum().backward()
        elif tok[0] == "zero_grad":
            opt.zero_grad(set_to_none=tok[1] == "1")
        elif tok[0] == "step":
            opt.step()
        elif tok[0] == "sched":
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        else:
            raise ValueError(tok)
    return params, names, opt, lrs


def optim_case(out, rng, forced=None):
    kind = forced.get("kind") if forced else rng.choice(OPTIMIZERS)
    dt = forced.get("dtype") if forced and "dtype" in forced else ("f64" if rng.random() < 0.6 else "f32")
    kv = {"dtype": dt}
    if kind == "sgd":
        kv["lr"] = fmt_num(rng.choice([0.1, 0.01, 0.5, 1.0, 0.05]))
        mom = rng.choice([0.0, 0.0, 0.9, 0.5, 0.99])
        kv["momentum"] = fmt_num(mom)
        nest = mom > 0 and rng.random() < 0.35
        kv["dampening"] = fmt_num(0.0 if nest else rng.choice([0.0, 0.0, 0.1, 0.5]))
        kv["weight_decay"] = fmt_num(rng.choice([0.0, 0.0, 0.01, 0.1]))
        kv["nesterov"] = "1" if nest else "0"
        kv["maximize"] = "1" if rng.random() < 0.2 else "0"
    else:
        kv["lr"] = fmt_num(rng.choice([1e-3, 1e-2, 0.1, 0.05]))
        kv["beta1"] = fmt_num(rng.choice([0.9, 0.9, 0.5, 0.0, 0.99]))
        kv["beta2"] = fmt_num(rng.choice([0.999, 0.999, 0.9, 0.99]))
        kv["eps"] = fmt_num(rng.choice([1e-8, 1e-8, 1e-6, 0.1, 0.0]))
        kv["weight_decay"] = fmt_num(rng.choice([0.0, 0.01, 0.1] if kind == "adam" else [0.01, 0.01, 0.0, 0.1]))
        kv["amsgrad"] = "1" if rng.random() < 0.35 else "0"
        kv["maximize"] = "1" if rng.random() < 0.2 else "0"
    if forced:
        kv.update({k: v for k, v in forced.items() if k not in ("kind", "dtype", "sched", "body", "nparams")})
    head = "optim %s " % kind + " ".join("%s=%s" % x for x in kv.items())
    prog = [head]
    sched = forced.get("sched") if forced else rng.choice([None, None] + SCHEDULERS)
    if sched == "step":
        prog.append("scheduler step step_size=%d gamma=%s" % (rng.choice([1, 2, 3]), fmt_num(rng.choice([0.1, 0.5, 0.9]))))
    elif sched == "cosine":
        prog.append("scheduler cosine T_max=%d eta_min=%s" % (rng.choice([1, 2, 3, 5]), fmt_num(rng.choice([0.0, 1e-3, 0.01]))))
    elif isinstance(sched, str):
        prog.append(sched)
    recs = {}
    nparams = forced["nparams"] if forced and "nparams" in forced else rng.randint(1, 3)
    for k in range(nparams):
        s = rshape(rng, rank=rng.choice([1, 2, 2]), max_numel=8, zero_p=0.0)
        name = "p%d" % k
        recs[name] = leaf_values(rng, s, "gauss").to(DT[dt])
        view = rng.choice(["c", "c", "t", "s"]) if len(s) >= 2 else rng.choice(["c", "s"])
        prog.append("param %s %s" % (name, view))
    if forced and "body" in forced:
        body = forced["body"]
    else:
        body = []
        nsteps = rng.randint(1, 4)
        for step in range(nsteps):
            if step and rng.random() < 0.3:
                body.append("zero_grad %d" % (rng.random() < 0.5))
            for k in range(nparams):
                u = rng.random()
                if u < 0.55:
                    body.append("setgrad %d g" % k)
                elif u < 0.85:
                    body.append("bwd %d g" % k)
            body.append("step")
            if sched:
                body.append("sched")
    gi = 0
    for line in body:
        tok = line.split()
        if tok[0] in ("setgrad", "bwd"):
            k = int(tok[1])
            rname = "g%d" % gi
            gi += 1
            shape = list(recs["p%d" % k].shape)
            recs[rname] = leaf_values(rng, shape, rng.choice(["gauss", "gauss", "small", "kink"])).to(DT[dt])
            prog.append("%s %d %s" % (tok[0], k, rname))
        else:
            prog.append(line)
    params, names, opt, lrs = run_optim(prog, recs)
    out.n += 1
    name = "o%04d" % out.n
    r = out.r
    r.s(name + ".prog", "\n".join(prog))
    for rn, rec in recs.items():
        r.t("%s.%s" % (name, rn), rec)
    for p, pn in zip(params, names):
        write_approx(r, "%s.%s.out" % (name, pn), p)
        st = opt.state.get(p, {})
        for key in ("momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            v = st.get(key)
            if v is not None and (key != "max_exp_avg_sq" or kv.get("amsgrad") == "1"):
                write_approx(r, "%s.%s.%s" % (name, pn, "buf" if key == "momentum_buffer" else key), v)
        if "step" in st:
            r.t("%s.%s.steps" % (name, pn), torch.tensor(int(st["step"]), dtype=torch.int64))
    if sched:
        r.t(name + ".lr", torch.tensor(lrs, dtype=torch.float64))
    out.kinds[kind] = out.kinds.get(kind, 0) + 1
    return True


def curated_optim(out, rng):
    # schedules alone, long enough to go past T_max and back up
    for sched in ("scheduler cosine T_max=3 eta_min=0.001", "scheduler cosine T_max=1 eta_min=0.0",
                  "scheduler cosine T_max=4 eta_min=0.05", "scheduler step step_size=2 gamma=0.5",
                  "scheduler step step_size=1 gamma=0.1", "scheduler step step_size=3 gamma=0.9"):
        optim_case(out, rng, {"kind": "sgd", "dtype": "f64", "sched": sched, "lr": "0.1", "momentum": "0.0",
                              "dampening": "0.0", "weight_decay": "0.0", "nesterov": "0", "maximize": "0",
                              "body": ["setgrad 0 g", "step"] + ["sched"] * 14 + ["setgrad 0 g", "step"]})
    # every option of each optimizer, a step with no gradient, zero_grad both ways
    body = ["setgrad 0 g", "bwd 1 g", "step", "zero_grad 1", "setgrad 1 g", "step", "zero_grad 0", "step",
            "bwd 0 g", "bwd 0 g", "step"]
    for dt in ("f64", "f32"):
        for mom, damp, nest, wd, mx in ((0.9, 0.0, "1", 0.1, "0"), (0.9, 0.5, "0", 0.0, "1"), (0.0, 0.0, "0", 0.1, "1"),
                                        (0.5, 0.0, "1", 0.0, "1")):
            optim_case(out, rng, {"kind": "sgd", "dtype": dt, "lr": "0.1", "momentum": fmt_num(mom),
                                  "dampening": fmt_num(damp), "nesterov": nest, "weight_decay": fmt_num(wd),
                                  "maximize": mx, "sched": None, "body": body, "nparams": 2})
        for kind in ("adam", "adamw"):
            for ams, mx, wd, eps in (("1", "0", 0.1, 1e-8), ("0", "1", 0.0, 0.0), ("1", "1", 0.01, 0.1),
                                     ("0", "0", 0.0, 1e-8)):
                optim_case(out, rng, {"kind": kind, "dtype": dt, "lr": "0.01", "beta1": "0.9", "beta2": "0.99",
                                      "eps": fmt_num(eps), "amsgrad": ams, "maximize": mx,
                                      "weight_decay": fmt_num(wd), "sched": "scheduler cosine T_max=2 eta_min=0.001",
                                      "body": body[:3] + ["sched"] + body[3:6] + ["sched"] + body[6:] + ["sched"],
                                      "nparams": 2})


# ----------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference")
    ap.add_argument("--out", default=default_out)
    ap.add_argument("--graphs", type=int, default=520)
    ap.add_argument("--nn", type=int, default=420)
    ap.add_argument("--optim", type=int, default=250)
    ap.add_argument("--seed", type=int, default=SEED, help="a fuzzing campaign's seed (the files use the default)")
    ap.add_argument("--big", action="store_true", help="a campaign over tensors of hundreds of elements")
    ap.add_argument("--budget", type=int, default=290_000,
                    help="bytes of fuzz_autograd.txt (tools/fuzz_thin.py; 0: keep every graph, for campaigns)")
    args = ap.parse_args()
    seed = args.seed
    if args.big:
        BIG.update(on=True, limit=1200)

    ag = Out("fuzz_autograd.txt", seed, "Random autograd graphs (g<NNNN>) and curated corners (k<NNNN>);\n"
             "tools/gen_fuzz_autograd.py has the format.")
    rng = random.Random(seed)
    made = 0
    while made < args.graphs:
        if random_graph(ag, rng):
            made += 1
    curated_graphs(ag, random.Random(seed + 1))
    if args.budget:
        # the curated corners, and of the random graphs those with a feature class no earlier one has, then
        # others up to the budget: a graph is dropped only when it repeats the ops, keys and modes of kept ones
        kept, total, classes = fuzz_thin.thin(ag.r, args.budget, lambda case: case.startswith("k"))
        ag.dropped["random graphs repeating the feature classes of kept ones (%d of %d cases kept, %d classes)"
                   % (kept, total, classes)] = total - kept

    nn = Out("fuzz_nn.txt", seed + 2, "nn functional cases (n<NNNN>) and curated corners (m<NNNN>);\n"
             "tools/gen_fuzz_autograd.py has the format.")
    rng = random.Random(seed + 2)
    made = 0
    while made < args.nn:
        if random_nn(nn, rng):
            made += 1
    curated_nn(nn, random.Random(seed + 3))

    op = Out("fuzz_optim.txt", seed + 4, "Optimizer and lr scheduler cases (o<NNNN>);\n"
             "tools/gen_fuzz_autograd.py has the format.")
    rng = random.Random(seed + 4)
    for _ in range(args.optim):
        optim_case(op, rng)
    curated_optim(op, random.Random(seed + 5))

    for o in (ag, nn, op):
        path = o.r.write(args.out)
        print("%s: %d cases, %d bytes" % (path, o.n, os.path.getsize(path)))
        print("  by kind: %s" % ", ".join("%s %d" % kv for kv in sorted(o.kinds.items())))
        if o.bugs:
            print("  bug-labelled: %s" % ", ".join("%s %d" % kv for kv in sorted(o.bugs.items())))
        for why, n in sorted(o.dropped.items()):
            print("  dropped %4d  %s" % (n, why))
    return 0


if __name__ == "__main__":
    sys.exit(main())
