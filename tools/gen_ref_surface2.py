#!/usr/bin/env -S /usr/bin/python3
"""Golden values for the creation defaults and printing of issue 26, from
PyTorch 1.13: the dtype torch.tensor infers from untyped literals, str() of
tensors under several torch.set_printoptions settings, str(torch.Size) and
the grad_fn names PyTorch gives the expressions tapegrad mirrors.

    /usr/bin/python3 tools/gen_ref_surface2.py    # writes tests/reference/surface2.txt

Same format and writer as tools/gen_reference.py.
"""

import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_reference import F32, F64, I32, RefFile  # noqa: E402

# tensor(<literal>) without a dtype; the C++ test spells the same literals.
LITERALS = [
    ("ints_1d", [1, 2, 3]),
    ("ints_2x2", [[1, 2], [3, 4]]),
    ("floats_1d", [1.5, -2.0]),
    ("mixed_2x2", [[1.0, 0], [1, 1.5]]),
    ("bools", [True, False, True]),
    ("bool_int", [True, 2]),
    ("bool_float", [[True], [2.5]]),
    ("ints_2x1x2", [[[1, 2]], [[3, 4]]]),
    ("floats_depth5", [[[[[0.5]]], [[[1]]]]]),
    ("big_int", [9007199254740993, -9223372036854775807 - 1]),
    ("single", [7]),
]

RAGGED = [
    ("ragged_dim1", [[1, 2], [3, 4, 5]]),
    ("ragged_dim2", [[[1], [2]], [[3], [4, 5]]]),
    ("ragged_empty", [[1.5, 2], []]),
]

# (name, print options, tensor)
def print_cases():
    g = torch.Generator().manual_seed(26)
    randn = torch.randn(4, 5, generator=g)
    cases = [
        ("precision2", dict(precision=2), torch.tensor([1.12345, -2.5, 3.0])),
        ("precision2_randn", dict(precision=2), randn),
        ("precision6", dict(precision=6), torch.tensor([[0.1, 2.0 / 3.0], [-1.0, 1.0 / 7.0]], dtype=F64)),
        ("precision0", dict(precision=0), torch.tensor([1.6, -2.4])),
        ("threshold5_ints", dict(threshold=5), torch.arange(10)),
        ("threshold5_edge1", dict(threshold=5, edgeitems=1), torch.arange(10)),
        ("threshold5_2d", dict(threshold=5, edgeitems=2), torch.arange(42.0).reshape(6, 7)),
        ("threshold10_3d", dict(threshold=10), torch.arange(-100, 60).reshape(4, 5, 8)),
        ("edge2_big", dict(edgeitems=2), torch.arange(3000.0) / 7),
        ("linewidth40", dict(linewidth=40), torch.arange(30.0) - 10.5),
        ("linewidth20_2d", dict(linewidth=20), torch.arange(24).reshape(3, 8)),
        ("linewidth200", dict(linewidth=200), randn.reshape(2, 10)),
        ("sci_true", dict(sci_mode=True), torch.tensor([1.5, -2.25, 300.0])),
        ("sci_true_ints", dict(sci_mode=True), torch.tensor([1.0, 2.0, -3.0])),
        ("sci_false_wide", dict(sci_mode=False), torch.tensor([1e-5, 1.0, 12345.678])),
        ("sci_false_int_wide", dict(sci_mode=False), torch.tensor([1.0, 1e9])),
        ("sci_auto", dict(sci_mode=None), torch.tensor([1e-5, 1.0])),
        ("sci_true_prec2", dict(sci_mode=True, precision=2), torch.tensor([[0.001, -20.0], [0.0, float("inf")]])),
        ("negative", dict(precision=3), torch.tensor([-1.0, -0.5, -1000.25])),
        ("int_sci", dict(sci_mode=True), torch.tensor([1, -20, 300])),
        ("bool_summary", dict(threshold=4, edgeitems=1), torch.tensor([True, False, False, True, True])),
        ("scalar", dict(precision=2, sci_mode=True), torch.tensor(3.14159)),
        ("scalar_int", dict(threshold=0), torch.tensor(42)),
        ("empty", dict(precision=2), torch.zeros(0, 3)),
        ("int32_linewidth", dict(linewidth=30), torch.arange(20, dtype=I32) * 1000),
        ("profile_short", dict(profile="short"), torch.arange(12.0).reshape(3, 4) / 3),
        ("profile_full", dict(profile="full"), torch.arange(1200) % 7),
        ("requires_grad", dict(precision=1, linewidth=30),
         torch.tensor([0.25, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0], requires_grad=True)),
    ]
    return cases


SIZES = [("2x3", [2, 3]), ("0d", []), ("0", [0]), ("1x1x4", [1, 1, 4])]


def grad_fn_cases():
    """(name, fn(x, w, b, m, t) -> tensor). x: [4, 3], w: [5, 3], b: [5],
    m: [3, 3], t: [4] int64 targets, all floats requiring grad. The C++ test
    writes each expression the same way."""
    return [
        ("linear_bias", lambda x, w, b, m, t: F.linear(x, w, b)),
        ("linear_nobias", lambda x, w, b, m, t: F.linear(x, w)),
        ("mm", lambda x, w, b, m, t: x.mm(m)),
        ("matmul_2d", lambda x, w, b, m, t: x.matmul(m)),
        ("t", lambda x, w, b, m, t: x.t()),
        ("transpose", lambda x, w, b, m, t: x.transpose(0, 1)),
        ("view", lambda x, w, b, m, t: x.view(12)),
        ("reshape", lambda x, w, b, m, t: x.reshape(3, 4)),
        ("flatten", lambda x, w, b, m, t: x.flatten()),
        ("permute", lambda x, w, b, m, t: x.permute(1, 0)),
        ("unsqueeze", lambda x, w, b, m, t: x.unsqueeze(0)),
        ("squeeze_dim", lambda x, w, b, m, t: x.unsqueeze(0).squeeze(0)),
        ("expand", lambda x, w, b, m, t: b.expand(2, 5)),
        ("select", lambda x, w, b, m, t: x.select(0, 1)),
        ("narrow", lambda x, w, b, m, t: x.narrow(1, 0, 2)),
        ("cross_entropy", lambda x, w, b, m, t: F.cross_entropy(x, t)),
        ("nll_loss", lambda x, w, b, m, t: F.nll_loss(x, t)),
        ("log_softmax", lambda x, w, b, m, t: F.log_softmax(x, 1)),
        ("softmax", lambda x, w, b, m, t: F.softmax(x, 1)),
        ("mse_loss", lambda x, w, b, m, t: F.mse_loss(x, m[0].expand(4, 3))),
        ("mean", lambda x, w, b, m, t: x.mean()),
        ("mean_dim", lambda x, w, b, m, t: x.mean(0)),
        ("sum", lambda x, w, b, m, t: x.sum()),
        ("sum_dim", lambda x, w, b, m, t: x.sum(1)),
        ("relu", lambda x, w, b, m, t: F.relu(x)),
        ("sigmoid", lambda x, w, b, m, t: torch.sigmoid(x)),
        ("tanh", lambda x, w, b, m, t: torch.tanh(x)),
        ("exp", lambda x, w, b, m, t: x.exp()),
        ("log", lambda x, w, b, m, t: x.log()),
        ("sqrt", lambda x, w, b, m, t: x.sqrt()),
        ("abs", lambda x, w, b, m, t: x.abs()),
        ("neg", lambda x, w, b, m, t: -x),
        ("add", lambda x, w, b, m, t: x + m[0]),
        ("add_scalar", lambda x, w, b, m, t: x + 2),
        ("sub", lambda x, w, b, m, t: x - m[0]),
        ("sub_scalar", lambda x, w, b, m, t: x - 2),
        ("mul", lambda x, w, b, m, t: x * m[0]),
        ("mul_scalar", lambda x, w, b, m, t: x * 2),
        ("div", lambda x, w, b, m, t: x / m[0]),
        ("div_scalar", lambda x, w, b, m, t: x / 2),
        ("pow_scalar", lambda x, w, b, m, t: x.pow(2)),
        ("pow_tensor", lambda x, w, b, m, t: x.pow(m[0])),
        ("max", lambda x, w, b, m, t: x.max()),
        ("amax", lambda x, w, b, m, t: x.amax(1)),
        ("clamp", lambda x, w, b, m, t: x.clamp(-1, 1)),
        ("cat", lambda x, w, b, m, t: torch.cat([x, m])),
        ("clone", lambda x, w, b, m, t: x.clone()),
        ("where", lambda x, w, b, m, t: torch.where(x > 0, x, m[0])),
        ("leaky_relu", lambda x, w, b, m, t: F.leaky_relu(x)),
        ("gelu", lambda x, w, b, m, t: F.gelu(x)),
        ("silu", lambda x, w, b, m, t: F.silu(x)),
        ("to_double", lambda x, w, b, m, t: x.to(F64)),
        ("bmm", lambda x, w, b, m, t: torch.bmm(x.unsqueeze(0), m.unsqueeze(0))),
        ("gather", lambda x, w, b, m, t: x.gather(1, t.clamp(0, 2).unsqueeze(1))),
        ("index_select", lambda x, w, b, m, t: x.index_select(0, t)),
        ("cumsum", lambda x, w, b, m, t: x.cumsum(0)),
        ("logsumexp", lambda x, w, b, m, t: x.logsumexp(1)),
        ("var", lambda x, w, b, m, t: x.var()),
        ("std", lambda x, w, b, m, t: x.std()),
        ("prod", lambda x, w, b, m, t: x.prod()),
        ("norm", lambda x, w, b, m, t: x.norm()),
        ("fmod_scalar", lambda x, w, b, m, t: x.fmod(2)),
        ("fmod_tensor", lambda x, w, b, m, t: x.fmod(m[0])),
        ("remainder_scalar", lambda x, w, b, m, t: x.remainder(2)),
        ("remainder_tensor", lambda x, w, b, m, t: x.remainder(m[0])),
        ("log1p", lambda x, w, b, m, t: x.log1p()),
        ("softsign", lambda x, w, b, m, t: F.softsign(x)),
        ("smooth_l1_loss", lambda x, w, b, m, t: F.smooth_l1_loss(x, m[0].expand(4, 3))),
        ("huber_loss", lambda x, w, b, m, t: F.huber_loss(x, m[0].expand(4, 3))),
        ("masked_fill", lambda x, w, b, m, t: x.masked_fill(x > 0.5, 0.0)),
        ("layer_norm", lambda x, w, b, m, t: F.layer_norm(x, (3,))),
        ("min", lambda x, w, b, m, t: x.min()),
        ("squeeze", lambda x, w, b, m, t: x.unsqueeze(0).squeeze()),
        ("reshape_copy", lambda x, w, b, m, t: x.t().reshape(12)),
        ("binary_cross_entropy_with_logits",
         lambda x, w, b, m, t: F.binary_cross_entropy_with_logits(x, torch.sigmoid(m[0].detach()).expand(4, 3))),
        ("pad_constant", lambda x, w, b, m, t: F.pad(x, (1, 2))),
        ("pad_reflect", lambda x, w, b, m, t: F.pad(x.unsqueeze(0), (1, 1), mode="reflect")),
        ("pad_replicate", lambda x, w, b, m, t: F.pad(x.unsqueeze(0), (1, 1, 1, 1), mode="replicate")),
        ("interpolate_nearest", lambda x, w, b, m, t: F.interpolate(x.unsqueeze(0), scale_factor=2)),
        ("interpolate_bilinear",
         lambda x, w, b, m, t: F.interpolate(x.view(1, 1, 4, 3), scale_factor=2, mode="bilinear", align_corners=False)),
        ("nansum_dim", lambda x, w, b, m, t: torch.nansum(x, 1)),
        # matmul by ranks (Note [matmul grad_fn names] in ops/matmul.hpp); mv and dot are matmul's
        ("matmul_1d_1d", lambda x, w, b, m, t: b.matmul(b)),
        ("matmul_2d_1d", lambda x, w, b, m, t: x.matmul(m[0])),
        ("matmul_1d_2d", lambda x, w, b, m, t: b.matmul(w)),
        ("matmul_3d_2d", lambda x, w, b, m, t: x.view(2, 2, 3).matmul(m)),
        ("matmul_2d_3d", lambda x, w, b, m, t: x.matmul(m.expand(2, 3, 3))),
        ("matmul_2d_3d_row", lambda x, w, b, m, t: x.narrow(0, 0, 1).matmul(m.expand(2, 3, 3))),
        ("matmul_2d_3d_col", lambda x, w, b, m, t: x.matmul(m.narrow(1, 0, 1).expand(2, 3, 1))),
        ("matmul_2d_3d_transposed", lambda x, w, b, m, t: x.matmul(m.expand(2, 3, 3).contiguous().transpose(1, 2))),
        ("matmul_2d_4d", lambda x, w, b, m, t: x.matmul(m.expand(2, 2, 3, 3))),
        ("matmul_3d_3d", lambda x, w, b, m, t: x.view(2, 2, 3).matmul(m.expand(2, 3, 3))),
        ("matmul_4d_4d_broadcast", lambda x, w, b, m, t: x.view(2, 1, 2, 3).matmul(m.expand(1, 2, 3, 3))),
        ("matmul_1d_3d", lambda x, w, b, m, t: m[0].matmul(m.expand(2, 3, 3))),
        ("matmul_3d_1d", lambda x, w, b, m, t: x.view(2, 2, 3).matmul(m[0])),
        ("mv", lambda x, w, b, m, t: x.mv(m[0])),
        ("dot", lambda x, w, b, m, t: b.dot(b)),
        ("flip", lambda x, w, b, m, t: x.flip(0)),
        ("flip_dims", lambda x, w, b, m, t: x.flip([0, 1])),
        ("flip_none", lambda x, w, b, m, t: x.flip([])),
        ("tril", lambda x, w, b, m, t: m.tril()),
        ("triu", lambda x, w, b, m, t: m.triu(1)),
        ("adaptive_avg_pool2d_1x1", lambda x, w, b, m, t: F.adaptive_avg_pool2d(x.view(1, 1, 4, 3), 1)),
        ("adaptive_avg_pool2d_2x1", lambda x, w, b, m, t: F.adaptive_avg_pool2d(x.view(1, 1, 4, 3), (2, 1))),
        ("adaptive_max_pool2d_1x1", lambda x, w, b, m, t: F.adaptive_max_pool2d(x.view(1, 1, 4, 3), 1)),
        ("avg_pool1d", lambda x, w, b, m, t: F.avg_pool1d(x.unsqueeze(0), 2)),
        ("avg_pool2d", lambda x, w, b, m, t: F.avg_pool2d(x.view(1, 1, 4, 3), 2)),
        ("max_pool1d", lambda x, w, b, m, t: F.max_pool1d(x.unsqueeze(0), 2)),
        ("max_pool2d", lambda x, w, b, m, t: F.max_pool2d(x.view(1, 1, 4, 3), 2)),
        ("div_trunc", lambda x, w, b, m, t: torch.div(x, m[0], rounding_mode="trunc")),
        ("div_floor_scalar", lambda x, w, b, m, t: torch.div(x, 2, rounding_mode="floor")),
        ("celu", lambda x, w, b, m, t: F.celu(x)),
        ("lerp_tensor", lambda x, w, b, m, t: torch.lerp(x, m[0].expand(4, 3), m[1])),
        ("lerp_scalar", lambda x, w, b, m, t: torch.lerp(x, m[0].expand(4, 3), 0.3)),
        ("addcmul", lambda x, w, b, m, t: torch.addcmul(x, m[0], m[1], value=0.5)),
        ("addcdiv", lambda x, w, b, m, t: torch.addcdiv(x, m[0], m[1], value=0.5)),
        ("stack", lambda x, w, b, m, t: torch.stack([x, x])),
        ("clamp_min", lambda x, w, b, m, t: x.clamp_min(0.5)),
        ("clamp_max", lambda x, w, b, m, t: x.clamp_max(0.5)),
        ("clamp_min_kw", lambda x, w, b, m, t: x.clamp(min=0.5)),
        ("diag_1d", lambda x, w, b, m, t: torch.diag(b, 1)),
        ("diag_2d", lambda x, w, b, m, t: torch.diag(x)),
        ("masked_select", lambda x, w, b, m, t: x.masked_select(x > 0.5)),
        ("repeat", lambda x, w, b, m, t: x.repeat(2, 1)),
        ("repeat_ones", lambda x, w, b, m, t: x.repeat(1, 1)),
        ("roll", lambda x, w, b, m, t: x.roll(1, 0)),
        ("roll_flat", lambda x, w, b, m, t: x.roll(2)),
        ("split", lambda x, w, b, m, t: x.split(3)[1]),
        ("split_sizes", lambda x, w, b, m, t: x.split([1, 3])[1]),
        ("chunk", lambda x, w, b, m, t: x.chunk(2, 1)[0]),
        ("unbind", lambda x, w, b, m, t: x.unbind(1)[2]),
        ("var_mean_var", lambda x, w, b, m, t: torch.var_mean(x)[0]),
        ("var_mean_mean", lambda x, w, b, m, t: torch.var_mean(x, 1)[1]),
        ("std_mean_std", lambda x, w, b, m, t: torch.std_mean(x, 0)[0]),
        ("std_mean_mean", lambda x, w, b, m, t: torch.std_mean(x)[1]),
        ("vector_norm", lambda x, w, b, m, t: torch.linalg.vector_norm(x)),
        ("vector_norm_dim", lambda x, w, b, m, t: torch.linalg.vector_norm(x, 1, 1)),
        ("norm_p1_dim", lambda x, w, b, m, t: x.norm(1, 1)),
        ("dist", lambda x, w, b, m, t: torch.dist(x, m[0])),
        ("cdist", lambda x, w, b, m, t: torch.cdist(x, w)),
        ("pairwise_distance", lambda x, w, b, m, t: F.pairwise_distance(x, m[0].expand(4, 3))),
        ("normalize", lambda x, w, b, m, t: F.normalize(x)),
        ("interpolate_area_1x1", lambda x, w, b, m, t: F.interpolate(x.view(1, 1, 4, 3), size=(1, 1), mode="area")),
        ("interpolate_area_1d_1", lambda x, w, b, m, t: F.interpolate(x.unsqueeze(0), size=1, mode="area")),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                                  "reference"))
    args = ap.parse_args()
    r = RefFile("surface2.txt", 2026)
    r.lines[0] = "# generated by tools/gen_ref_surface2.py with torch %s -- do not edit" % torch.__version__
    r.lines[1] = "# regenerate with: /usr/bin/python3 tools/gen_ref_surface2.py"

    r.comment("lit.<name>: torch.tensor(<literal>) with no dtype (values, dtype and shape);\n"
              "lit.<name>.err: the message of the ValueError a ragged literal raises.")
    for name, lit in LITERALS:
        r.t("lit." + name, torch.tensor(lit))
    for name, lit in RAGGED:
        try:
            torch.tensor(lit)
            raise SystemExit("ragged literal %s was accepted" % name)
        except ValueError as e:
            r.s("lit.%s.err" % name, str(e))

    r.comment("print.<name>: str(tensor) after torch.set_printoptions(**opts), opts restored to\n"
              "the defaults after each case; print.<name>.opts: the options as key=value lines;\n"
              "print.<name>.in: the tensor (dtype and shape).")
    defaults = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)
    for name, opts, x in print_cases():
        torch.set_printoptions(**opts)
        text = str(x)
        torch.set_printoptions(profile="default", sci_mode=None)
        r.s("print.%s" % name, text)
        r.s("print.%s.opts" % name, "\n".join("%s=%s" % kv for kv in opts.items()))
        r.t("print.%s.in" % name, x)
    r.s("print.defaults", str(x.new_zeros(0)) if False else "\n".join("%s=%s" % kv for kv in defaults.items()))

    r.comment("size.<name>: str(torch.Size(dims))")
    for name, dims in SIZES:
        r.s("size." + name, str(torch.Size(dims)))

    r.comment("gradfn.<name>: type(y.grad_fn).__name__ for the expression of that name\n"
              "(tools/gen_ref_surface2.py's grad_fn_cases; x [4, 3], w [5, 3], b [5], m [3, 3],\n"
              "t [4] int64, floats requiring grad)")
    x = torch.randn(4, 3).abs().add(0.1).requires_grad_()
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(5, requires_grad=True)
    m = torch.randn(3, 3).abs().add(0.5).requires_grad_()
    t = torch.tensor([0, 2, 1, 2])
    for name, fn in grad_fn_cases():
        y = fn(x, w, b, m, t)
        r.s("gradfn." + name, y.grad_fn.name())

    print("wrote", r.write(args.out))


if __name__ == "__main__":
    main()
