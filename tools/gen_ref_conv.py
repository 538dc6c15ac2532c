#!/usr/bin/env -S /usr/bin/python3
"""Golden values for tapegrad's convolution, pooling and normalization ops and
modules (tests/reference/conv.txt, tests/reference/lenet.safetensors).

    /usr/bin/python3 tools/gen_ref_conv.py            # writes tests/reference/
    /usr/bin/python3 tools/gen_ref_conv.py --out DIR

Same format and writer as tools/gen_reference.py. Inputs are float32 values
written to the file; every output and gradient is computed by PyTorch in
float64 from them, so one record serves both dtypes' tests (at their own
tolerances). Each op case <case> records its inputs (.x .w .b ...), the
upstream gradient .gout, the output .out and the gradients .gx .gw .gb.
"""

import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_reference import F32, F64, I64, RefFile, rounded_randn, safetensors_bytes  # noqa: E402

torch.set_num_threads(1)


def leaf(shape, scale=1.0):
    """A float32-exact random input as a float64 leaf."""
    return rounded_randn(shape, scale).to(F64).requires_grad_()


def distinct(shape):
    """Distinct values (no ties in max pooling), float32-exact."""
    n = 1
    for d in shape:
        n *= d
    return (torch.randperm(n).to(F64) / 8 - n / 16).reshape(shape).requires_grad_()


def record_op(r, name, fn, inputs, extra_outputs=None):
    """inputs: list of (suffix, tensor or None); records them, the output, a
    random upstream gradient and every input's gradient."""
    for suffix, t in inputs:
        if t is not None:
            r.t("%s.%s" % (name, suffix), t.to(F32))
    out = fn(*[t for _, t in inputs])
    extra = None
    if isinstance(out, tuple):
        out, extra = out[0], out[1:]
    gout = rounded_randn(out.shape).to(F64)
    r.t(name + ".gout", gout.to(F32))
    r.t(name + ".out", out)
    if extra is not None:
        for i, e in enumerate(extra):
            r.t("%s.out%d" % (name, i + 1), e)
    if out.numel() > 0 or any(t is not None and t.requires_grad for _, t in inputs):
        grads = torch.autograd.grad(out, [t for _, t in inputs if t is not None and t.requires_grad], gout,
                                    allow_unused=True)
        k = 0
        for suffix, t in inputs:
            if t is not None and t.requires_grad:
                g = grads[k] if grads[k] is not None else torch.zeros_like(t)
                r.t("%s.g%s" % (name, suffix), g)
                k += 1


def gen_conv(r):
    r.comment("conv2d.<case>: F.conv2d(x, w, b, stride, padding, dilation, groups); the case's arguments\n"
              "are in the test. Records .x .w .b (if bias) .gout .out .gx .gw .gb.")
    cases = [
        ("basic", (1, 1, 5, 5), 1, (3, 3), 1, 0, 1, 1, True),
        ("batch_pad", (2, 3, 7, 6), 4, (3, 3), 1, 1, 1, 1, True),
        ("stride", (2, 3, 9, 8), 5, (3, 2), (2, 3), (1, 0), 1, 1, True),
        ("dilation", (2, 2, 9, 9), 3, (3, 3), 1, 2, (2, 1), 1, False),
        ("groups", (2, 4, 6, 5), 6, (3, 3), 1, 1, 1, 2, True),
        ("depthwise", (2, 3, 6, 6), 6, (3, 3), 2, 1, 1, 3, True),
        ("same_even", (1, 2, 6, 5), 3, (4, 3), 1, "same", (2, 1), 1, True),
        ("valid", (2, 2, 5, 5), 2, (2, 2), 1, "valid", 1, 1, True),
        ("pointwise", (2, 4, 5, 5), 3, (1, 1), 1, 0, 1, 1, True),
        ("lenet", (3, 1, 12, 12), 6, (5, 5), 1, 2, 1, 1, True),
        ("empty_batch", (0, 3, 5, 5), 2, (3, 3), 1, 1, 1, 1, True),
        ("unbatched", (3, 6, 5), 2, (2, 3), (1, 2), (1, 1), 1, 1, True),
    ]
    for name, xs, o, k, s, p, d, g, bias in cases:
        c = xs[-3]
        x = leaf(xs)
        w = leaf((o, c // g) + k, 0.5)
        b = leaf((o,)) if bias else None
        record_op(r, "conv2d." + name, lambda x, w, b: F.conv2d(x, w, b, s, p, d, g), [("x", x), ("w", w), ("b", b)])

    r.comment("conv2d_mode.<mode>: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=<mode>) with weights .w .b\n"
              "on .x [2,2,4,5]; conv2d_mode.same_circular: nn.Conv2d(2, 3, (2, 3), padding='same',\n"
              "padding_mode='circular', dilation=(2, 1)).")
    for mode in ("reflect", "replicate", "circular", "same_circular"):
        if mode == "same_circular":
            m = nn.Conv2d(2, 3, (2, 3), padding="same", padding_mode="circular", dilation=(2, 1)).double()
        else:
            m = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode).double()
        with torch.no_grad():
            m.weight.copy_(rounded_randn(m.weight.shape, 0.5).to(F64))
            m.bias.copy_(rounded_randn(m.bias.shape).to(F64))
        record_op(r, "conv2d_mode." + mode, lambda x, w, b: m._conv_forward(x, w, b),
                  [("x", leaf((2, 2, 4, 5))), ("w", m.weight), ("b", m.bias)])

    r.comment("conv1d.<case>: F.conv1d(x, w, b, stride, padding, dilation, groups).")
    for name, xs, o, k, s, p, d, g in [
        ("basic", (2, 3, 10), 4, 3, 2, 1, 1, 1),
        ("same_dil", (2, 2, 9), 4, 4, 1, "same", 2, 2),
        ("unbatched", (3, 7), 2, 3, 1, 0, 1, 1),
    ]:
        x = leaf(xs)
        w = leaf((o, xs[-2] // g, k), 0.5)
        b = leaf((o,))
        record_op(r, "conv1d." + name, lambda x, w, b: F.conv1d(x, w, b, s, p, d, g), [("x", x), ("w", w), ("b", b)])

    r.comment("conv_transpose2d.<case>: F.conv_transpose2d(x, w, b, stride, padding, output_padding,\n"
              "groups, dilation).")
    for name, xs, co, k, s, p, op, g, d in [
        ("basic", (2, 3, 4, 5), 2, (3, 3), 2, 1, 1, 1, 1),
        ("groups_dil", (2, 4, 3, 3), 6, (3, 2), (1, 2), (1, 0), (0, 1), 2, 2),
        ("unbatched", (2, 3, 3), 3, (2, 2), 1, 0, 0, 1, 1),
    ]:
        x = leaf(xs)
        w = leaf((xs[-3], co // g) + k, 0.5)
        b = leaf((co,))
        record_op(r, "conv_transpose2d." + name, lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, g, d),
                  [("x", x), ("w", w), ("b", b)])

    r.comment("unfold.x [2,3,5,6]: F.unfold(x, (2,3), dilation=(1,2), padding=1, stride=(2,1)).\n"
              "fold.x [2,12,9]: F.fold(x, (4,5), 2, dilation=1, padding=1, stride=2).")
    record_op(r, "unfold", lambda x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
              [("x", leaf((2, 3, 5, 6)))])
    record_op(r, "fold", lambda x: F.fold(x, (4, 5), 2, dilation=1, padding=1, stride=2), [("x", leaf((2, 12, 9)))])


def gen_pool(r):
    r.comment("max_pool2d.<case>: F.max_pool2d(x, k, stride, padding, dilation, ceil_mode, return_indices=True);\n"
              ".out1 the indices. x has distinct values.")
    for name, xs, k, s, p, d, ceil in [
        ("k2", (2, 3, 6, 5), 2, None, 0, 1, False),
        ("k3s2p1_ceil", (2, 2, 7, 8), 3, 2, 1, 1, True),
        ("rect_dil", (1, 2, 9, 7), (3, 2), (2, 1), (1, 0), 2, False),
        ("unbatched_ceil", (2, 5, 5), 2, 2, 0, 1, True),
    ]:
        record_op(r, "max_pool2d." + name,
                  lambda x: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True), [("x", distinct(xs))])
    r.comment("avg_pool2d.<case>: F.avg_pool2d(x, k, stride, padding, ceil_mode, count_include_pad, divisor_override).")
    for name, xs, k, s, p, ceil, cip, div in [
        ("k2", (2, 3, 6, 5), 2, None, 0, False, True, None),
        ("k3s2p1_ceil_nopad", (2, 2, 7, 8), 3, 2, 1, True, False, None),
        ("k3s2p1_ceil_pad", (2, 2, 7, 8), 3, 2, 1, True, True, None),
        ("divisor", (1, 2, 5, 6), (3, 2), (2, 1), (1, 1), False, True, 5),
    ]:
        record_op(r, "avg_pool2d." + name, lambda x: F.avg_pool2d(x, k, s, p, ceil, cip, div), [("x", leaf(xs))])
    r.comment("adaptive_<avg|max>_pool2d.<case>: output sizes (3,2) from 7x6 and (4,4) from 5x5 (overlapping).")
    for name, xs, o in [("a", (2, 3, 7, 6), (3, 2)), ("b", (1, 2, 5, 5), 4)]:
        record_op(r, "adaptive_avg_pool2d." + name, lambda x: F.adaptive_avg_pool2d(x, o), [("x", leaf(xs))])
        record_op(r, "adaptive_max_pool2d." + name, lambda x: F.adaptive_max_pool2d(x, o, return_indices=True),
                  [("x", distinct(xs))])
    r.comment("max_pool1d.a: F.max_pool1d(x [2,3,11], 3, 2, 1, ceil_mode=True, return_indices=True);\n"
              "avg_pool1d.a: F.avg_pool1d(x [2,3,11], 3, 2, 1, ceil_mode=True, count_include_pad=False).")
    record_op(r, "max_pool1d.a", lambda x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True, return_indices=True),
              [("x", distinct((2, 3, 11)))])
    record_op(r, "avg_pool1d.a", lambda x: F.avg_pool1d(x, 3, 2, 1, True, False), [("x", leaf((2, 3, 11)))])
    r.comment("max_unpool2d.a: values/indices of F.max_pool2d(distinct [2,2,6,4], 2, return_indices=True),\n"
              "unpooled with kernel 2 (.out), and with output_size (7, 5) (.out_size).")
    v, i = F.max_pool2d(distinct((2, 2, 6, 4)).detach(), 2, return_indices=True)
    r.t("max_unpool2d.a.indices", i)
    x = v.clone().requires_grad_()
    record_op(r, "max_unpool2d.a", lambda x: F.max_unpool2d(x, i, 2), [("x", x)])
    r.t("max_unpool2d.a.out_size", F.max_unpool2d(x, i, 2, output_size=(7, 5)))


def gen_norm(r):
    r.comment("batch_norm.train.<case>: F.batch_norm(x, rm, rv, w, b, training=True, momentum 0.1, eps 1e-5)\n"
              "on .x; .rm0/.rv0 running stats before, .rm/.rv after. cases: 4d [3,2,4,5], 2d [5,3], 3d [4,3,6].\n"
              "batch_norm.eval.<case>: training=False with the same running stats (.rm0, .rv0).")
    for name, xs in [("4d", (3, 2, 4, 5)), ("2d", (5, 3)), ("3d", (4, 3, 6))]:
        c = xs[1]
        rm0 = rounded_randn((c,)).to(F64)
        rv0 = (rounded_randn((c,)).abs() + 0.5).to(F64)
        for mode in ("train", "eval"):
            rm, rv = rm0.clone(), rv0.clone()
            base = "batch_norm.%s.%s" % (mode, name)
            r.t(base + ".rm0", rm0.to(F32))
            r.t(base + ".rv0", rv0.to(F32))
            record_op(r, base, lambda x, w, b: F.batch_norm(x, rm, rv, w, b, mode == "train", 0.1, 1e-5),
                      [("x", leaf(xs, 2.0)), ("w", leaf((c,))), ("b", leaf((c,)))])
            r.t(base + ".rm", rm)
            r.t(base + ".rv", rv)
    r.comment("group_norm.a: F.group_norm(x [2,6,3,4], 3, w, b, 1e-5); group_norm.noaffine: [3,4,5] 2 groups.")
    record_op(r, "group_norm.a", lambda x, w, b: F.group_norm(x, 3, w, b, 1e-5),
              [("x", leaf((2, 6, 3, 4), 2.0)), ("w", leaf((6,))), ("b", leaf((6,)))])
    record_op(r, "group_norm.noaffine", lambda x: F.group_norm(x, 2), [("x", leaf((3, 4, 5)))])
    r.comment("instance_norm.a: F.instance_norm(x [2,3,4,5], rm, rv, w, b, use_input_stats=True, 0.1, 1e-5);\n"
              ".rm0 .rv0 before, .rm .rv after.")
    rm0 = rounded_randn((3,)).to(F64)
    rv0 = (rounded_randn((3,)).abs() + 0.5).to(F64)
    rm, rv = rm0.clone(), rv0.clone()
    r.t("instance_norm.a.rm0", rm0.to(F32))
    r.t("instance_norm.a.rv0", rv0.to(F32))
    record_op(r, "instance_norm.a", lambda x, w, b: F.instance_norm(x, rm, rv, w, b, True, 0.1, 1e-5),
              [("x", leaf((2, 3, 4, 5), 2.0)), ("w", leaf((3,))), ("b", leaf((3,)))])
    r.t("instance_norm.a.rm", rm)
    r.t("instance_norm.a.rv", rv)

    r.comment("bn_steps.<momentum>: BatchNorm2d(3, momentum=0.1 | None) in float64, trained on .x0 .x1 .x2\n"
              "([4,3,2,3], weight/bias at their defaults), then eval on .x3: .step<k>.out, .step<k>.rm, .rv,\n"
              ".nbt (num_batches_tracked) after each training step; .eval.out.")
    xs = [rounded_randn((4, 3, 2, 3), 2.0).to(F64) for _ in range(4)]
    for i, x in enumerate(xs):
        r.t("bn_steps.x%d" % i, x.to(F32))
    for tag, mom in (("m01", 0.1), ("none", None)):
        bn = nn.BatchNorm2d(3, momentum=mom).double()
        for k in range(3):
            out = bn(xs[k])
            r.t("bn_steps.%s.step%d.out" % (tag, k), out)
            r.t("bn_steps.%s.step%d.rm" % (tag, k), bn.running_mean)
            r.t("bn_steps.%s.step%d.rv" % (tag, k), bn.running_var)
            r.t("bn_steps.%s.step%d.nbt" % (tag, k), bn.num_batches_tracked)
        bn.eval()
        r.t("bn_steps.%s.eval.out" % tag, bn(xs[3]))


def gen_reprs(r):
    r.comment("repr.<name>: str(module) in PyTorch.")
    mods = {
        "conv2d": nn.Conv2d(1, 6, 5, padding=2),
        "conv2d_full": nn.Conv2d(4, 8, (3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1), groups=2,
                                 bias=False, padding_mode="reflect"),
        "conv2d_same": nn.Conv2d(3, 3, 3, padding="same", padding_mode="circular"),
        "conv2d_plain": nn.Conv2d(16, 33, 3),
        "conv1d": nn.Conv1d(16, 33, 3, stride=2),
        "conv_transpose2d": nn.ConvTranspose2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), output_padding=(1, 0)),
        "maxpool2d": nn.MaxPool2d(2),
        "maxpool2d_full": nn.MaxPool2d((3, 2), stride=(2, 1), padding=1, dilation=2, ceil_mode=True),
        "maxunpool2d": nn.MaxUnpool2d(2),
        "avgpool2d": nn.AvgPool2d(3, stride=2),
        "avgpool2d_full": nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False, divisor_override=4),
        "adaptiveavg": nn.AdaptiveAvgPool2d((5, 7)),
        "adaptiveavg1": nn.AdaptiveAvgPool2d(1),
        "adaptivemax": nn.AdaptiveMaxPool2d(3),
        "maxpool1d": nn.MaxPool1d(3, stride=2),
        "avgpool1d": nn.AvgPool1d(3),
        "batchnorm2d": nn.BatchNorm2d(6),
        "batchnorm1d": nn.BatchNorm1d(10, eps=1e-3, momentum=None, affine=False, track_running_stats=False),
        "groupnorm": nn.GroupNorm(2, 6),
        "instancenorm2d": nn.InstanceNorm2d(3),
        "instancenorm2d_full": nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
        "dropout2d": nn.Dropout2d(0.25),
    }
    for name, m in mods.items():
        r.s("repr." + name, str(m))
    r.comment("state.<name>: the state_dict names of a module, one a line.")
    for name in ("batchnorm2d", "batchnorm1d", "instancenorm2d_full", "conv2d_full", "groupnorm"):
        r.s("state." + name, "\n".join(mods[name].state_dict().keys()))


class LeNet(nn.Module):
    """LeNet-5 with ReLU and max pooling, and a BatchNorm2d to carry buffers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def gen_lenet(r, outdir):
    r.comment("lenet.*: tests/reference/lenet.safetensors is LeNet's state_dict after two training steps\n"
              "(so the BatchNorm buffers are not at their defaults); lenet.x [2,1,28,28] and lenet.logits\n"
              "(eval mode); lenet.names: the state_dict names.")
    net = LeNet()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(2):
        x = torch.rand(4, 1, 28, 28)
        loss = F.cross_entropy(net(x), torch.randint(0, 10, (4,)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    x = rounded_randn((2, 1, 28, 28))
    r.t("lenet.x", x)
    with torch.no_grad():
        r.t("lenet.logits", net(x))
    r.s("lenet.names", "\n".join(net.state_dict().keys()))
    with open(os.path.join(outdir, "lenet.safetensors"), "wb") as f:
        f.write(safetensors_bytes(dict(net.state_dict())))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                                  "reference"))
    args = ap.parse_args()
    r = RefFile("conv.txt", 2801)
    r.lines[0] = "# generated by tools/gen_ref_conv.py with torch %s -- do not edit" % torch.__version__
    r.lines[1] = "# regenerate with: /usr/bin/python3 tools/gen_ref_conv.py"
    gen_conv(r)
    gen_pool(r)
    gen_norm(r)
    gen_reprs(r)
    gen_lenet(r, args.out)
    print(r.write(args.out))


if __name__ == "__main__":
    main()
