#!/usr/bin/env -S /usr/bin/python3
"""Randomised differential golden file for the ops of the op table
(tools/fuzz_ops.py, rows of fuzz="ops"), from PyTorch (Debian's
/usr/bin/python3, torch 1.13). Every case comes from a table row alone.

    /usr/bin/python3 tools/gen_fuzz_ops.py           # writes tests/reference/fuzz_ops.txt
    /usr/bin/python3 tools/gen_fuzz_ops.py --out DIR
    /usr/bin/python3 tools/gen_fuzz_ops.py --seed 7 --scale 10 --out /tmp/x   # a campaign
    /usr/bin/python3 tools/gen_fuzz_ops.py --check   # fails (exit 1) when the table, the C++ registry
                                                     # (tests/support/fuzz_ops.hpp) and the golden file disagree

Replayed by tests/ops/fuzz_ops_test.cpp through the registry of
tests/support/fuzz_ops.hpp (one entry per row, by name).

Case layout (cases `<op>.<NN>`, format of tools/gen_reference.py):

  table.names (str)       the rows' names, one per line (the C++ test holds its registry to it)
  <case>.op (str)         op=<name> dt=<dtype> grad=0|1 outs=<out>,.. v<i>=<layout of input i> <param>=<value> ...
                          (layouts: c contiguous, o offset, s stepped, t transposed, e:<shape> expanded
                          from the record; params: 0/1 for bools, `none`, `inf`, numbers, dims as d,d,..)
  <case>.x<i>             input i, the record the layout is applied to
  <case>.<out>            each output the row names (values, indices, out, var, mean, ...), or
  <case>.error (str)      PyTorch raised: "<ExceptionType>: <message>"; tapegrad must throw a tapegrad::Error
  <case>.g                grad=1 cases: the gradient flowing into the first output
  <case>.grad<i>          PyTorch's gradient of (floating) input i, absent when PyTorch has none (None)

Cases `min.<label>` are hand-minimised reproductions of the mismatches the
random cases found, fixed since (their .op has bug=<label>; minimised() says
what each shows).

Forward cases are float32, float64 or int64 (as the row allows), with NaN,
infinities, signed zeros, empty and 0-d inputs, broadcast and non-contiguous
layouts. Gradient cases are float64, with values on the kinks (integers,
halves, zeros, ties) in part of them, since PyTorch's conventions there are
what tapegrad must match; the row's `domain` keeps divisors away from zero
("nonzero1"/"nonzero2": input 1/2), ties away for topk ("distinct"), and puts
NaN into the inputs of the nan-aware ops ("nan").
"""

import argparse
import filecmp
import os
import random
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_fuzz_elementwise as E  # noqa: E402  (rand_shape, bcast_from, pick_view, layout, values)
import gen_reference as G  # noqa: E402  (RefFile; sets torch to one thread)
import fuzz_ops as T  # noqa: E402  (the op table)
import torch  # noqa: E402

SEED = 20261207
FILENAME = "fuzz_ops.txt"
N_FORWARD = 14  # per row
N_GRAD = 9      # per row with a gradient
MAX_NUMEL = 12
HERE = os.path.dirname(os.path.abspath(__file__))
REGISTRY = os.path.join(HERE, "..", "tests", "support", "fuzz_ops.hpp")
KINKS = [-2.0, -1.5, -1.0, -0.5, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0]
DT = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}


def fmt(v):
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (list, tuple)):
        return ",".join(str(d) for d in v)
    if isinstance(v, float) and v in (T.INF, -T.INF):
        return "inf" if v > 0 else "-inf"
    return repr(v) if isinstance(v, float) else str(v)


def err_text(e):
    msg = str(e).strip().replace("\n", " ")
    return "%s: %s" % (type(e).__name__, msg[:200])


def shapes(rng, row):
    """The inputs' shapes: broadcast together for the elementwise kinds."""
    if row.group in ("binary", "ternary"):
        out = E.rand_shape(rng, MAX_NUMEL)
        ins = [E.bcast_from(rng, out) for _ in range(row.arity)]
        ins[rng.randrange(row.arity)] = list(out)
        if rng.random() < 0.04 and out:  # not broadcastable
            ins[0] = list(out[:-1]) + [out[-1] + 1]
        return ins
    return [E.rand_shape(rng, MAX_NUMEL)]


def params(rng, row, shape):
    p = {}
    r = len(shape)
    n = max(r, 1)
    for k, choices in row.params.items():
        if k == "dim":
            p[k] = rng.randint(-n, n - 1) if rng.random() > 0.04 else rng.choice([n, -n - 1])
        elif k == "dims":
            dims = rng.sample(range(r), rng.randint(0, r)) if r else rng.choice([[], [0], [-1]])
            p[k] = [d - r if d >= 0 and rng.random() < 0.3 else d for d in dims]
        elif k == "k":
            size = shape[p["dim"]] if -n <= p["dim"] < n and r else 1
            p[k] = rng.randint(0, size) if rng.random() > 0.05 else size + 1
        else:
            p[k] = rng.choice(choices)
    return p


def int_values(rng, shape, nonzero):
    vals = [rng.randint(-6, 6) for _ in range(E.prod(shape))]
    if nonzero:
        vals = [v if v or rng.random() < 0.1 else rng.choice([-3, 2]) for v in vals]  # a zero divisor now and then
    return torch.tensor(vals, dtype=torch.int64).reshape(shape)


def grad_values(rng, shape, kinky, nonzero, distinct, nan):
    n = E.prod(shape)
    if distinct:
        vals = rng.sample(range(-40, 40), n) if n <= 80 else [rng.random() for _ in range(n)]
        vals = [v / 8.0 + rng.choice([0.0, 0.01]) for v in vals]
    elif kinky:
        vals = [rng.choice(KINKS) for _ in range(n)]
    else:
        vals = [round(rng.gauss(0, 1.5), 3) for _ in range(n)]
    if nonzero:
        vals = [v if abs(v) > 0.2 else rng.choice([-1.5, 0.75, 2.0]) for v in vals]
    if nan:
        vals = [float("nan") if rng.random() < 0.3 else v for v in vals]
    return torch.tensor(vals, dtype=torch.float64).reshape(shape)


def draw_inputs(rng, row, shp, dt, grad):
    """The inputs' records, layouts and laid-out tensors."""
    kinky = rng.random() < 0.4
    bases, views, xs = [], [], []
    for i, s in enumerate(shp):
        view, base_shape = E.pick_view(rng, s, allow_expand=row.group in ("binary", "ternary"))
        nonzero = row.domain == "nonzero%d" % i
        if grad:
            base = grad_values(rng, base_shape, kinky, nonzero, row.domain == "distinct", row.domain == "nan")
        elif dt == "int64":
            base = int_values(rng, base_shape, nonzero)
        else:
            base = E.values(rng, dt, base_shape, "general")
            if row.domain == "nan" and base.numel() and rng.random() < 0.6:
                base.view(-1)[rng.randrange(base.numel())] = float("nan")
        bases.append(base)
        views.append(view)
        xs.append(E.layout(base, view))
    return bases, views, xs


def run(row, xs, p):
    res = row.torch(xs, p)
    return res if isinstance(res, tuple) else (res,)


def case(r, rng, row, name, grad):
    dt = "float64" if grad else rng.choice(row.dtypes)
    while True:
        shp = shapes(rng, row)
        p = params(rng, row, shp[0])
        bases, views, xs = draw_inputs(rng, row, shp, dt, grad)
        if not (row.avoid and row.avoid(len(shp[0]), p, grad, bases)):
            break
    return emit(r, row, name, grad, bases, views, p, lambda shape: grad_values(rng, shape, False, False, False, False))


def emit(r, row, name, grad, bases, views, p, draw_g, bug=None):
    """Writes one case: its inputs, PyTorch's outputs (or error) and gradients."""
    dt = str(bases[0].dtype).replace("torch.", "")
    xs = [E.layout(b, v) for b, v in zip(bases, views)]
    leaves = [x.detach().requires_grad_() for x in xs] if grad else xs
    kv = ["op=" + row.name, "dt=" + dt, "grad=%d" % int(grad), "outs=" + ",".join(row.outs)]
    if bug:
        kv.append("bug=" + bug)
    kv += ["v%d=%s" % (i, v) for i, v in enumerate(views)]
    kv += ["%s=%s" % (k, fmt(v)) for k, v in p.items()]
    for i, b in enumerate(bases):
        r.t("%s.x%d" % (name, i), b)
    try:
        outs = run(row, leaves, p)
    except Exception as e:  # noqa: BLE001 - whatever PyTorch says is the expectation
        r.s(name + ".op", " ".join(kv).replace("grad=1", "grad=0"))
        r.s(name + ".error", err_text(e))
        return "error"
    assert len(outs) == len(row.outs), row.name
    for o, out in zip(row.outs, outs):
        r.t("%s.%s" % (name, o), out)
    if grad:
        y = outs[0]
        if not y.requires_grad:
            raise SystemExit("table: %s has grad=True but PyTorch's result has no grad_fn" % row.name)
        g = draw_g(list(y.shape))
        try:
            grads = torch.autograd.grad(y, leaves, g, allow_unused=True)
        except RuntimeError as e:
            raise SystemExit("table: %s has grad=True but PyTorch's backward raised %s" % (row.name, e))
        r.t(name + ".g", g)
        for i, gi in enumerate(grads):
            if gi is not None:
                r.t("%s.grad%d" % (name, i), gi)
    r.s(name + ".op", " ".join(kv))
    return "grad" if grad else "ok"


def minimised(r):
    """Hand-minimised cases of the mismatches the random cases found, fixed since (bug=<label>)."""
    f32, f64 = torch.float32, torch.float64
    nan = float("nan")
    ones = lambda shape: torch.ones(shape, dtype=f64)  # noqa: E731
    cases = [
        # float32 var/std squared the deviations in float: inf from |x - mean| > 1.8e19 on (PyTorch: double)
        ("var_mean", "var_f32_overflow", False, [torch.tensor([2e19, -2e19, 0.0], dtype=f32)],
         {"dims": [0], "correction": 0, "keepdim": False}),
        ("std_mean", "std_f32_overflow", False, [torch.tensor([1e30, -1e30, 3.0], dtype=f32)],
         {"dims": [0], "correction": 0, "keepdim": False}),
        # var's gradient for N < correction: PyTorch's factor 2 / (N - correction) is finite (-0 at N = 1), not NaN
        ("var_mean", "var_grad_n_below_correction", True, [torch.tensor([[1.5]], dtype=f64)],
         {"dims": [1], "correction": 2, "keepdim": False}),
        # nanmean of an all-NaN slice: PyTorch's gradient is NaN there (g / 0 * 0), tapegrad's was 0
        ("nanmean", "nanmean_grad_all_nan", True, [torch.tensor([[nan, nan], [1.0, 2.0]], dtype=f64)],
         {"dims": [1], "keepdim": False}),
        # topk of a 0-d tensor with k = 0 gives the element (PyTorch); tapegrad returned an unwritten one
        ("topk", "topk_0d_k0", False, [torch.tensor(5)], {"dim": 0, "k": 0, "largest": True}),
        # a negative or infinite ord over an empty dim raises; over non-empty dims of an empty tensor it does not
        ("vector_norm", "norm_neg_ord_empty_dim", False, [torch.zeros(0, 3, dtype=f64)],
         {"ord": -1.0, "dims": [0], "keepdim": False}),
        ("vector_norm", "norm_inf_nonempty_dims_of_empty", False, [torch.zeros(0, 3, dtype=f64)],
         {"ord": T.INF, "dims": [1], "keepdim": False}),
        # torch.norm (unlike linalg.vector_norm) of an empty reduction is 0 for an infinite p too
        ("norm", "torch_norm_inf_of_empty", False, [torch.zeros(0, 3, dtype=f64)],
         {"p": T.INF, "dims": [0], "keepdim": False}),
        # lerp picks its formula by w < 0.5 (PyTorch 1.13), not |w| < 0.5: differs for w <= -0.5
        ("lerp_scalar", "lerp_negative_weight_range", False,
         [torch.tensor([3.4e-6], dtype=f32), torch.tensor([3.4e38], dtype=f32)], {"weight": -0.5}),
        ("lerp", "lerp_negative_weight_inf", False, [torch.tensor([0.25], dtype=f64),
                                                     torch.tensor([-T.INF], dtype=f64),
                                                     torch.tensor([-1.25], dtype=f64)], {}),
    ]
    for opname, bug, grad, bases, p in cases:
        emit(r, T.op(opname), "min.%s" % bug, grad, bases, ["c"] * len(bases), p, ones, bug=bug)
    return len(cases)


def generate(outdir, seed=SEED, scale=1):
    rng = random.Random(seed)
    r = G.RefFile(FILENAME, seed)
    r.lines[0] = "# generated by tools/gen_fuzz_ops.py with torch %s -- do not edit" % torch.__version__
    r.lines[1] = "# regenerate with: /usr/bin/python3 tools/gen_fuzz_ops.py"
    r.comment("Cases of the op table's fuzz=\"ops\" rows (tools/fuzz_ops.py); tools/gen_fuzz_ops.py has the format.")
    rows = T.ops("ops")
    r.s("table.names", "\n".join(row.name for row in rows))
    counts = {}
    for row in rows:
        if not row.grad:
            x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
            y = run(row, [x] * row.arity, params(random.Random(0), row, [2]))[0]
            try:
                torch.autograd.grad(y.sum(), [x])
            except RuntimeError:
                pass  # no grad_fn, or one that raises: no gradient, as the row says
            else:
                raise SystemExit("table: %s has grad=False but PyTorch differentiates it" % row.name)
        for k in range(scale * (N_FORWARD + (N_GRAD if row.grad else 0))):
            what = case(r, rng, row, "%s.%02d" % (row.name, k), grad=k >= scale * N_FORWARD)
            counts[what] = counts.get(what, 0) + 1
    counts["minimised"] = minimised(r)
    path = r.write(outdir)
    return path, counts


def registry_names():
    with open(REGISTRY, encoding="utf-8") as f:
        text = f.read()
    return re.findall(r'^\s*\{"([A-Za-z0-9_.]+)",', text, flags=re.M)


def check():
    bad = []
    table = T.names("ops")
    cpp = registry_names()
    for n in table:
        if n not in cpp:
            bad.append("%s: in tools/fuzz_ops.py but not in the registry of tests/support/fuzz_ops.hpp" % n)
    for n in cpp:
        if n not in table:
            bad.append("%s: in the registry of tests/support/fuzz_ops.hpp but not in tools/fuzz_ops.py" % n)
    if len(set(cpp)) != len(cpp):
        bad.append("the registry names an op twice")
    bad += T.check_registries()  # the other replays' registries against their rows
    with tempfile.TemporaryDirectory() as tmp:
        path, _ = generate(tmp)
        golden = os.path.join(HERE, "..", "tests", "reference", FILENAME)
        if not filecmp.cmp(path, golden, shallow=False):
            bad.append("tests/reference/%s is not what the table generates: rerun tools/gen_fuzz_ops.py" % FILENAME)
    for b in bad:
        print("fuzz table check: " + b, file=sys.stderr)
    print("fuzz table check: %d rows, %d registry entries, %s" % (len(table), len(cpp), "FAILED" if bad else "ok"))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "tests", "reference"))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--seed", type=int, default=SEED, help="a fuzzing campaign's seed (the file uses the default)")
    ap.add_argument("--scale", type=int, default=1, help="a campaign's cases per row, as a multiple of the file's")
    args = ap.parse_args()
    if args.check:
        return check()
    path, counts = generate(args.out, args.seed, args.scale)
    print("%s: %s, %d bytes" % (path, ", ".join("%s %d" % kv for kv in sorted(counts.items())),
                                os.path.getsize(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
