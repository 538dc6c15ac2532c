#!/usr/bin/env -S /usr/bin/python3
"""Golden values for the nn surface of issue 26: activations, layers, losses,
clip_grad_norm_, calculate_gain and module reprs, from PyTorch 1.13.

    /usr/bin/python3 tools/gen_ref_nn_surface.py    # writes tests/reference/nn_surface.txt

Same format and writer as tools/gen_reference.py. Every input is written to
the file; each case records the output and the gradients of sum(out * up) for
a recorded upstream `up`, in float32 and float64.
"""

import argparse
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_reference import F32, F64, FLOAT_TAGS, I64, RefFile, rounded_randn  # noqa: E402

# Inputs include the kinks: 0 (relu-like), +-3 (hard*), 6 (relu6), +-1
# (hardtanh), 0.5 (threshold), 25 (beyond softplus's threshold) and large
# magnitudes where a naive formula overflows.
KINKS = [0.0, -3.0, 3.0, 6.0, 1.0, -1.0, 0.5, 25.0, -30.0, 90.0, -90.0, 1e-3]


def activations():
    return [
        ("leaky_relu", lambda x: F.leaky_relu(x), nn.LeakyReLU()),
        ("leaky_relu_0.2", lambda x: F.leaky_relu(x, 0.2), nn.LeakyReLU(0.2)),
        ("elu", lambda x: F.elu(x), nn.ELU()),
        ("elu_0.5", lambda x: F.elu(x, 0.5), nn.ELU(0.5)),
        ("selu", F.selu, nn.SELU()),
        ("celu", lambda x: F.celu(x), nn.CELU()),
        ("celu_2", lambda x: F.celu(x, 2.0), nn.CELU(2.0)),
        ("gelu", lambda x: F.gelu(x), nn.GELU()),
        ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), nn.GELU("tanh")),
        ("silu", F.silu, nn.SiLU()),
        ("mish", F.mish, nn.Mish()),
        ("softplus", lambda x: F.softplus(x), nn.Softplus()),
        ("softplus_2_5", lambda x: F.softplus(x, 2, 5), nn.Softplus(2, 5)),
        ("softsign", F.softsign, nn.Softsign()),
        ("hardtanh", lambda x: F.hardtanh(x), nn.Hardtanh()),
        ("hardtanh_m2_3", lambda x: F.hardtanh(x, -2.0, 3.0), nn.Hardtanh(-2.0, 3.0)),
        ("relu6", F.relu6, nn.ReLU6()),
        ("hardsigmoid", F.hardsigmoid, nn.Hardsigmoid()),
        ("hardswish", F.hardswish, nn.Hardswish()),
        ("logsigmoid", F.logsigmoid, nn.LogSigmoid()),
        ("threshold", lambda x: F.threshold(x, 0.5, 20.0), nn.Threshold(0.5, 20.0)),
        ("softmin", lambda x: F.softmin(x, 1), nn.Softmin(1)),
    ]


def backward_case(r, case, fn, inputs, up=None):
    """Records fn(*inputs) and its gradients in f32 and f64. inputs: f64
    tensors (already recorded) or non-float tensors passed as they are."""
    for tag, dt in FLOAT_TAGS:
        xs = [x.detach().clone().to(dt).requires_grad_() if x.is_floating_point() else x for x in inputs]
        y = fn(*xs)
        r.t("%s.%s.out" % (case, tag), y)
        if up is None:
            up = rounded_randn(y.shape, dtype=F64)
            r.t(case + ".up", up)
        (y * up.to(dt)).sum().backward()
        for i, x in enumerate(xs):
            if x.is_floating_point() and x.grad is not None:
                r.t("%s.%s.grad%d" % (case, tag, i), x.grad)


def gen(r):
    torch.manual_seed(0)
    # ---- activations
    x = torch.cat([rounded_randn((24,), scale=3.0, dtype=F64), torch.tensor(KINKS, dtype=F64)]).view(4, 9)
    r.t("act.x", x)
    for name, fn, mod in activations():
        backward_case(r, "act." + name, fn, [x])
        r.s("repr." + name, repr(mod))
    for name, mod in [("identity", nn.Identity()), ("prelu", nn.PReLU()), ("prelu3", nn.PReLU(3)),
                      ("embedding", nn.Embedding(10, 3)), ("embedding_pad", nn.Embedding(10, 3, padding_idx=-1)),
                      ("layernorm", nn.LayerNorm(4)),
                      ("layernorm2", nn.LayerNorm([3, 4], eps=1e-6, elementwise_affine=False)),
                      ("unflatten", nn.Unflatten(1, (2, 3))), ("bilinear", nn.Bilinear(2, 3, 4)),
                      ("bilinear_nobias", nn.Bilinear(2, 3, 4, bias=False)),
                      ("modulelist", nn.ModuleList([nn.Linear(2, 2), nn.ReLU(), nn.Dropout(0.1)])),
                      ("moduledict", nn.ModuleDict({"act": nn.GELU(), "out": nn.Linear(4, 1)})),
                      ("parameterlist", nn.ParameterList([nn.Parameter(torch.ones(3)),
                                                          nn.Parameter(torch.ones(2, 2))]))]:
        r.s("repr." + name, repr(mod))
    r.s("repr.parameter", str(nn.Parameter(torch.tensor([1.0, 2.5]))))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 8)
            self.act = nn.GELU()
            self.drop = nn.Dropout(0.25)
            self.fc2 = nn.Linear(8, 3)
            self.norm = nn.LayerNorm(8)
            self.scale = nn.Parameter(torch.ones(3))

        def forward(self, x):
            return self.fc2(self.drop(self.act(self.norm(self.fc1(x))))) * self.scale

    net = Net()
    r.s("repr.net", repr(net))
    r.s("net.state_dict_keys", "\n".join(net.state_dict().keys()))
    r.s("net.named_modules", "\n".join(n for n, _ in net.named_modules()))
    # load_state_dict's messages: a missing, an unexpected and a mis-shaped key
    bad = dict(net.state_dict())
    del bad["fc2.bias"]
    bad["extra"] = torch.zeros(1)
    bad["fc1.weight"] = torch.zeros(8, 5)
    for strict in (True, False):
        try:
            net.load_state_dict(bad, strict=strict)
            raise AssertionError("load_state_dict accepted a bad state_dict")
        except RuntimeError as e:
            r.s("net.load_error.%s" % ("strict" if strict else "loose"), str(e))

    # prelu: shared and per-channel weights
    xp = rounded_randn((2, 3, 4), dtype=F64)
    xp[0, 0, 0] = 0.0
    r.t("prelu.x", xp)
    wp = torch.tensor([0.25, -0.5, 1.5], dtype=F64)
    r.t("prelu.w3", wp)
    backward_case(r, "prelu.c3", F.prelu, [xp, wp])
    w1 = torch.tensor([0.25], dtype=F64)
    r.t("prelu.w1", w1)
    backward_case(r, "prelu.c1", F.prelu, [xp, w1])

    # ---- layers
    emb_w = rounded_randn((6, 3), dtype=F64)
    r.t("embedding.w", emb_w)
    idx = torch.tensor([[1, 5, 0], [2, 1, 1]], dtype=I64)
    r.t("embedding.idx", idx)
    backward_case(r, "embedding.plain", lambda w: F.embedding(idx, w), [emb_w])
    backward_case(r, "embedding.pad", lambda w: F.embedding(idx, w, padding_idx=1), [emb_w])

    ln_x = rounded_randn((2, 3, 4), dtype=F64)
    ln_w = rounded_randn((3, 4), dtype=F64)
    ln_b = rounded_randn((3, 4), dtype=F64)
    for n, t in [("x", ln_x), ("w", ln_w), ("b", ln_b)]:
        r.t("layernorm." + n, t)
    backward_case(r, "layernorm.last", lambda x, w, b: F.layer_norm(x, (4,), w[0], b[0]), [ln_x, ln_w, ln_b])
    backward_case(r, "layernorm.two", lambda x, w, b: F.layer_norm(x, (3, 4), w, b, eps=1e-3), [ln_x, ln_w, ln_b])
    backward_case(r, "layernorm.noaffine", lambda x: F.layer_norm(x, (4,)), [ln_x])

    b1, b2 = rounded_randn((5, 2), dtype=F64), rounded_randn((5, 3), dtype=F64)
    bw, bb = rounded_randn((4, 2, 3), dtype=F64), rounded_randn((4,), dtype=F64)
    for n, t in [("x1", b1), ("x2", b2), ("w", bw), ("b", bb)]:
        r.t("bilinear." + n, t)
    backward_case(r, "bilinear.out", F.bilinear, [b1, b2, bw, bb])

    # ---- losses
    inp, tgt = rounded_randn((3, 4), scale=2.0, dtype=F64), rounded_randn((3, 4), scale=2.0, dtype=F64)
    tgt[0, 0] = inp[0, 0]  # d = 0
    tgt[0, 1] = inp[0, 1] - 1.0  # d = beta = delta = 1
    r.t("loss.input", inp)
    r.t("loss.target", tgt)
    for red in ("none", "mean", "sum"):
        backward_case(r, "l1." + red, lambda a, b: F.l1_loss(a, b, reduction=red), [inp, tgt])
        backward_case(r, "smooth_l1." + red, lambda a, b: F.smooth_l1_loss(a, b, reduction=red), [inp, tgt])
        backward_case(r, "huber." + red, lambda a, b: F.huber_loss(a, b, reduction=red), [inp, tgt])
    backward_case(r, "smooth_l1.beta0.5", lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), [inp, tgt])
    backward_case(r, "huber.delta2", lambda a, b: F.huber_loss(a, b, delta=2.0), [inp, tgt])

    logp = F.log_softmax(rounded_randn((3, 4), dtype=F64), 1)
    probs = F.softmax(rounded_randn((3, 4), dtype=F64), 1)
    probs[1, 2] = 0.0
    probs = probs / probs.sum(1, keepdim=True)
    r.t("kl.input", logp)
    r.t("kl.target", probs)
    r.t("kl.logtarget", torch.log(probs.clamp_min(1e-3)))
    for red in ("none", "mean", "sum", "batchmean"):
        backward_case(r, "kl." + red, lambda a, b: F.kl_div(a, b, reduction=red), [logp, probs])
        backward_case(r, "kl_log." + red, lambda a, b: F.kl_div(a, b, reduction=red, log_target=True),
                      [logp, torch.log(probs.clamp_min(1e-3))])

    # cross_entropy / nll_loss over [N, C, d1, d2]
    ce_x = rounded_randn((2, 3, 2, 2), dtype=F64)
    ce_t = torch.tensor([[[0, 2], [1, 1]], [[2, 0], [-100, 1]]], dtype=I64)
    ce_w = torch.tensor([0.5, 2.0, 1.0], dtype=F64)
    r.t("ce4d.x", ce_x)
    r.t("ce4d.t", ce_t)
    r.t("ce4d.w", ce_w)
    for red in ("none", "mean", "sum"):
        backward_case(r, "ce4d." + red, lambda a: F.cross_entropy(a, ce_t, reduction=red), [ce_x])
        backward_case(r, "nll4d." + red, lambda a: F.nll_loss(a, ce_t, reduction=red), [ce_x])
    backward_case(r, "ce4d.weighted_smooth",
                  lambda a: F.cross_entropy(a, ce_t, weight=ce_w.to(a.dtype), label_smoothing=0.2), [ce_x])
    ce1_x = rounded_randn((4,), dtype=F64)
    r.t("ce1d.x", ce1_x)
    backward_case(r, "ce1d.mean", lambda a: F.cross_entropy(a, torch.tensor(2)), [ce1_x])
    # probability targets
    cp_x = rounded_randn((3, 4), dtype=F64)
    cp_t = F.softmax(rounded_randn((3, 4), dtype=F64), 1)
    r.t("ceprob.x", cp_x)
    r.t("ceprob.t", cp_t)
    for red in ("none", "mean", "sum"):
        backward_case(r, "ceprob." + red, lambda a, b: F.cross_entropy(a, b, reduction=red), [cp_x, cp_t])
    backward_case(r, "ceprob.smooth", lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1), [cp_x, cp_t])
    cp4_x, cp4_t = rounded_randn((2, 3, 2), dtype=F64), F.softmax(rounded_randn((2, 3, 2), dtype=F64), 1)
    r.t("ceprob4.x", cp4_x)
    r.t("ceprob4.t", cp4_t)
    backward_case(r, "ceprob4.mean", lambda a, b: F.cross_entropy(a, b, weight=ce_w.to(a.dtype)), [cp4_x, cp4_t])

    # BCE with logits and a per-class pos_weight
    bx, by = rounded_randn((3, 4), scale=3.0, dtype=F64), torch.tensor([[1, 0, 1, 0.5]] * 3, dtype=F64)
    pw = torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=F64)
    r.t("bcel.x", bx)
    r.t("bcel.y", by)
    r.t("bcel.pw", pw)
    backward_case(r, "bcel.pos_weight",
                  lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw.to(a.dtype)), [bx, by])

    # ranking / embedding losses
    m1, m2 = rounded_randn((5,), dtype=F64), rounded_randn((5,), dtype=F64)
    my = torch.tensor([1, -1, 1, -1, 1], dtype=F64)
    m2[0] = m1[0]  # at the hinge for margin 0
    r.t("mrl.x1", m1)
    r.t("mrl.x2", m2)
    r.t("mrl.y", my)
    for red in ("none", "mean"):
        backward_case(r, "mrl.%s" % red, lambda a, b, c: F.margin_ranking_loss(a, b, c, margin=0.5, reduction=red),
                      [m1, m2, my])
    c1, c2 = rounded_randn((4, 3), dtype=F64), rounded_randn((4, 3), dtype=F64)
    cy = torch.tensor([1, -1, -1, 1], dtype=F64)
    r.t("cel.x1", c1)
    r.t("cel.x2", c2)
    r.t("cel.y", cy)
    for red in ("none", "mean"):
        backward_case(r, "cel.%s" % red,
                      lambda a, b, c: F.cosine_embedding_loss(a, b, c, margin=-0.2, reduction=red), [c1, c2, cy])
    ta, tp, tn = (rounded_randn((4, 3), dtype=F64) for _ in range(3))
    for n, t in [("a", ta), ("p", tp), ("n", tn)]:
        r.t("tml." + n, t)
    backward_case(r, "tml.default", lambda a, p, n: F.triplet_margin_loss(a, p, n, reduction="none"), [ta, tp, tn])
    backward_case(r, "tml.p1_swap", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True),
                  [ta, tp, tn])
    backward_case(r, "tml.p3", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=1.5, p=3), [ta, tp, tn])

    # ---- utils
    g1, g2 = rounded_randn((3, 2), scale=2.0, dtype=F64), rounded_randn((4,), scale=2.0, dtype=F64)
    r.t("clip.g1", g1)
    r.t("clip.g2", g2)
    for case, max_norm, norm_type in [("l2", 1.0, 2.0), ("l2_big", 100.0, 2.0), ("inf", 0.5, math.inf),
                                      ("l1", 2.0, 1.0), ("l3", 1.5, 3.0)]:
        for tag, dt in FLOAT_TAGS:
            p1, p2 = torch.zeros(3, 2, dtype=dt, requires_grad=True), torch.zeros(4, dtype=dt, requires_grad=True)
            p1.grad, p2.grad = g1.to(dt).clone(), g2.to(dt).clone()
            total = torch.nn.utils.clip_grad_norm_([p1, p2], max_norm, norm_type)
            r.t("clip.%s.%s.total" % (case, tag), total)
            r.t("clip.%s.%s.g1" % (case, tag), p1.grad)
            r.t("clip.%s.%s.g2" % (case, tag), p2.grad)
    names = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
             "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
    r.s("gain.names", "\n".join(names))
    r.t("gain.values", torch.tensor([nn.init.calculate_gain(n) for n in names], dtype=F64))
    r.t("gain.leaky_0.2", nn.init.calculate_gain("leaky_relu", 0.2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                                  "reference"))
    args = ap.parse_args()
    r = RefFile("nn_surface.txt", 26)
    r.lines[0] = "# generated by tools/gen_ref_nn_surface.py with torch %s -- do not edit" % torch.__version__
    r.lines[1] = "# regenerate with: /usr/bin/python3 tools/gen_ref_nn_surface.py"
    gen(r)
    print(r.write(args.out))


if __name__ == "__main__":
    main()
