#!/usr/bin/env -S /usr/bin/python3
"""Golden values for SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, NAdam and
RAdam (issue 26), from PyTorch 1.13's torch.optim (the default single-tensor
loops).

    /usr/bin/python3 tools/gen_ref_optim2.py    # writes tests/reference/optim2.txt

Same format and writer as tools/gen_reference.py. The gradients of every step
are recorded rather than computed from a loss, so that the C++ test feeds the
optimizer exactly PyTorch's gradients and the updates can be compared bit for
bit (Note [Optimizer rounding] in include/tapegrad/optim/common.hpp).
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_reference import F64, FLOAT_TAGS, RefFile, error_text  # noqa: E402

STEPS = 8  # RAdam's default betas rectify from step 6 on (rho_t > 5)
SHAPES = [(3, 4), (5,)]
# SGD, Adam and AdamW also step a third parameter of 75 elements: long enough
# for PyTorch's vectorised kernel loops (2 x 16 floats a pass with AVX-512) and
# tapegrad's vector loops, with a scalar tail on both sides. Drawn after the
# others, so that adding it left their values unchanged.
WIDE_SHAPE = (3, 25)
WIDE_KINDS = ("sgd", "adam", "adamw")
# "lr_gamma" is not a PyTorch option: after every step the case multiplies the
# group's lr by it, as ExponentialLR does (1: lr constant).

# Each optimizer: its class, the option names in the order of <case>.opts, and the cases.
OPTIMIZERS = {
    "sgd": (torch.optim.SGD, ["lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "lr_gamma"], [
        ("lr0.1", dict(lr=0.1)),
        ("lr0.05_wd0.1_max", dict(lr=0.05, weight_decay=0.1, maximize=True)),
        ("momentum0.9", dict(lr=0.1, momentum=0.9)),
        ("momentum0.9_dampening0.5_wd0.01", dict(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01)),
        ("momentum0.5_dampening0.1_max", dict(lr=0.03, momentum=0.5, dampening=0.1, maximize=True)),
        ("nesterov0.9", dict(lr=0.1, momentum=0.9, nesterov=True)),
        ("nesterov0.8_wd0.1_max", dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.1, maximize=True)),
        ("momentum0.9_lr_gamma0.7", dict(lr=0.1, momentum=0.9, lr_gamma=0.7)),
    ]),
    "adam": (torch.optim.Adam, ["lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "maximize", "lr_gamma"], [
        ("default", {}),
        ("lr0.01_wd0.1", dict(lr=0.01, weight_decay=0.1)),
        ("amsgrad", dict(amsgrad=True)),
        ("amsgrad_wd0.05_max", dict(amsgrad=True, weight_decay=0.05, maximize=True)),
        ("eps0.001_betas0.8_0.5", dict(eps=1e-3, betas=(0.8, 0.5))),
        ("max", dict(maximize=True)),
        ("lr0.05_lr_gamma0.5", dict(lr=0.05, lr_gamma=0.5)),
    ]),
    "adamw": (torch.optim.AdamW, ["lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "maximize",
                                  "lr_gamma"], [
        ("default", {}),
        ("wd0", dict(weight_decay=0)),
        ("lr0.01_wd0.1_amsgrad", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
        ("max_betas0.5_0.9", dict(maximize=True, betas=(0.5, 0.9))),
        ("eps0.1_amsgrad_max", dict(eps=0.1, amsgrad=True, maximize=True)),
        ("lr0.05_wd0.5_lr_gamma0.8", dict(lr=0.05, weight_decay=0.5, lr_gamma=0.8)),
    ]),
    "rmsprop": (torch.optim.RMSprop, ["lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize"], [
        ("default", {}),
        ("lr0.05_alpha0.9", dict(lr=0.05, alpha=0.9)),
        ("momentum0.9_wd0.1", dict(momentum=0.9, weight_decay=0.1)),
        ("centered", dict(centered=True)),
        ("centered_momentum0.5_max", dict(centered=True, momentum=0.5, maximize=True)),
        ("eps0.001_alpha0.5_wd0.01", dict(eps=1e-3, alpha=0.5, weight_decay=0.01)),
    ]),
    "adagrad": (torch.optim.Adagrad, ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps",
                                      "maximize"], [
        ("default", {}),
        ("lr0.1_lr_decay0.1", dict(lr=0.1, lr_decay=0.1)),
        ("wd0.1_init0.5", dict(weight_decay=0.1, initial_accumulator_value=0.5)),
        ("eps0.001_max", dict(eps=1e-3, maximize=True)),
    ]),
    "adadelta": (torch.optim.Adadelta, ["lr", "rho", "eps", "weight_decay", "maximize"], [
        ("default", {}),
        ("lr0.5_rho0.5", dict(lr=0.5, rho=0.5)),
        ("wd0.1_max", dict(weight_decay=0.1, maximize=True)),
        ("eps0.001_rho0.95", dict(eps=1e-3, rho=0.95)),
    ]),
    "nadam": (torch.optim.NAdam, ["lr", "beta1", "beta2", "eps", "weight_decay", "momentum_decay"], [
        ("default", {}),
        ("lr0.05_betas0.8_0.5", dict(lr=0.05, betas=(0.8, 0.5))),
        ("wd0.1_momentum_decay0.05", dict(weight_decay=0.1, momentum_decay=0.05)),
        ("eps0.001", dict(eps=1e-3)),
    ]),
    "radam": (torch.optim.RAdam, ["lr", "beta1", "beta2", "eps", "weight_decay"], [
        ("default", {}),
        ("lr0.05_betas0.8_0.9", dict(lr=0.05, betas=(0.8, 0.9))),
        ("wd0.1", dict(weight_decay=0.1)),
        ("eps0.1_betas0.5_0.99", dict(eps=0.1, betas=(0.5, 0.99))),
    ]),
}


def option_values(names, group, lr_gamma=1.0):
    out = []
    for n in names:
        if n == "lr_gamma":
            out.append(float(lr_gamma))
        elif n in ("beta1", "beta2"):
            out.append(float(group["betas"][0 if n == "beta1" else 1]))
        else:
            out.append(float(group[n]))
    return out


def gen(r):
    r.comment(
        "Parameters p0 [3, 4] and p1 [5] (params.p0/.p1, float32, exact in float64), and for sgd, adam and\n"
        "adamw also p2 [3, 25], get %d steps of\n"
        "  p.grad = grads.s<k>.p<i>; optimizer.step(); group['lr'] *= lr_gamma\n"
        "with the recorded gradients (float32 values, exact in float64), in float32 and float64.\n"
        "<opt>.<case>.opts (float64): the options in the order of <opt>.names (str, one per line;\n"
        "  betas as beta1, beta2; booleans 0/1; lr_gamma, not a PyTorch option, 1 unless given).\n"
        "<opt>.<case>.<f32|f64>.s<k>.p<i>: parameter i after step k (1-based).\n"
        "<opt>.<case>.<f32|f64>.state.<i>.<key>: optimizer.state_dict()['state'][i][key] after the\n"
        "  last step (python numbers as 0-d float64).\n"
        "<opt>.defaults: the constructor's defaults, in the order of <opt>.names (not for sgd, adam, adamw).\n"
        "<opt>.state_keys (str): the state keys of parameter 0 in the default case (sgd: momentum 0.9,\n"
        "  adam: amsgrad).\n"
        "<opt>.group_keys (str): the keys of param_groups[0] of all eight optimizers, without foreach,\n"
        "  capturable, differentiable and fused.\n"
        "error.<case> (str): PyTorch's message for a bad option." % STEPS)
    p0 = [r.t("params.p%d" % i, torch.randn(s)) for i, s in enumerate(SHAPES)]
    grads = []
    for k in range(1, STEPS + 1):
        # one step's gradients are small, to reach eps's and the centered variance's ranges
        scale = 1e-3 if k == 4 else 1.0
        grads.append([r.t("grads.s%d.p%d" % (k, i), torch.randn(s) * scale) for i, s in enumerate(SHAPES)])
    wide = len(SHAPES)
    p0_wide = p0 + [r.t("params.p%d" % wide, torch.randn(WIDE_SHAPE))]
    for k in range(1, STEPS + 1):
        scale = 1e-3 if k == 4 else 1.0
        grads[k - 1].append(r.t("grads.s%d.p%d" % (k, wide), torch.randn(WIDE_SHAPE) * scale))

    for kind, (cls, names, cases) in OPTIMIZERS.items():
        r.s(kind + ".names", "\n".join(names))
        if kind not in WIDE_KINDS:  # their defaults are checked against tests/reference/optim.txt
            defaults = cls([torch.zeros(1, requires_grad=True)]).defaults
            r.t(kind + ".defaults", torch.tensor(option_values(names, defaults), dtype=F64))
        for case, kw in cases:
            name = "%s.%s" % (kind, case)
            kw = dict(kw)
            lr_gamma = kw.pop("lr_gamma", 1.0)
            for tag, dt in FLOAT_TAGS:
                ps = [p.to(dt).clone().requires_grad_() for p in (p0_wide if kind in WIDE_KINDS else p0)]
                opt = cls(ps, **kw)
                if tag == "f32":
                    r.t(name + ".opts", torch.tensor(option_values(names, opt.param_groups[0], lr_gamma), dtype=F64))
                for k in range(STEPS):
                    for p, g in zip(ps, grads[k]):
                        p.grad = g.to(dt).clone()
                    opt.step()
                    opt.param_groups[0]["lr"] *= lr_gamma
                    for i, p in enumerate(ps):
                        r.t("%s.%s.s%d.p%d" % (name, tag, k + 1, i), p)
                sd = opt.state_dict()
                for i, st in sorted(sd["state"].items()):
                    for key, v in sorted(st.items()):
                        if v is None:  # SGD without momentum: tapegrad's state has no entry
                            continue
                        v = v if isinstance(v, torch.Tensor) else torch.tensor(float(v), dtype=F64)
                        r.t("%s.%s.state.%d.%s" % (name, tag, i, key), v)
                if case == "default" and tag == "f32" and kind not in WIDE_KINDS:
                    r.s(kind + ".state_keys", "\n".join(sorted(sd["state"][0].keys())))

    # The param group keys of all eight optimizers, without the implementation switches
    # tapegrad has no counterpart of; and the state keys of SGD (momentum) and Adam (amsgrad).
    switches = {"foreach", "capturable", "differentiable", "fused"}
    for kind, cls, kw in [("sgd", torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
                          ("adam", torch.optim.Adam, dict(amsgrad=True)), ("adamw", torch.optim.AdamW, {}),
                          ("rmsprop", torch.optim.RMSprop, {}), ("adagrad", torch.optim.Adagrad, {}),
                          ("adadelta", torch.optim.Adadelta, {}), ("nadam", torch.optim.NAdam, {}),
                          ("radam", torch.optim.RAdam, {})]:
        p = torch.zeros(2, requires_grad=True)
        opt = cls([p], **kw)
        r.s(kind + ".group_keys", "\n".join(sorted(set(opt.param_groups[0].keys()) - switches)))
        if kind in ("sgd", "adam"):
            p.grad = torch.ones(2)
            opt.step()
            r.s(kind + ".state_keys", "\n".join(sorted(opt.state_dict()["state"][0].keys())))

    def err(name, fn):  # the message of the ValueError fn raises
        text = error_text(fn)
        assert text is not None and text.startswith("ValueError: "), (name, text)
        r.s("error." + name, text[len("ValueError: "):])

    p = [torch.zeros(2, requires_grad=True)]
    err("rmsprop_lr", lambda: torch.optim.RMSprop(p, lr=-1))
    err("rmsprop_eps", lambda: torch.optim.RMSprop(p, eps=-0.5))
    err("rmsprop_momentum", lambda: torch.optim.RMSprop(p, momentum=-0.9))
    err("rmsprop_weight_decay", lambda: torch.optim.RMSprop(p, weight_decay=-0.01))
    err("rmsprop_alpha", lambda: torch.optim.RMSprop(p, alpha=-0.99))
    err("adagrad_lr", lambda: torch.optim.Adagrad(p, lr=-0.01))
    err("adagrad_lr_decay", lambda: torch.optim.Adagrad(p, lr_decay=-0.1))
    err("adagrad_weight_decay", lambda: torch.optim.Adagrad(p, weight_decay=-1))
    err("adagrad_initial_accumulator_value", lambda: torch.optim.Adagrad(p, initial_accumulator_value=-0.5))
    err("adagrad_eps", lambda: torch.optim.Adagrad(p, eps=-1e-10))
    err("adadelta_lr", lambda: torch.optim.Adadelta(p, lr=-1))
    err("adadelta_rho", lambda: torch.optim.Adadelta(p, rho=1.5))
    err("adadelta_eps", lambda: torch.optim.Adadelta(p, eps=-1e-06))
    err("adadelta_weight_decay", lambda: torch.optim.Adadelta(p, weight_decay=-0.1))
    err("nadam_lr", lambda: torch.optim.NAdam(p, lr=-0.002))
    err("nadam_beta0", lambda: torch.optim.NAdam(p, betas=(1.5, 0.999)))
    err("nadam_momentum_decay", lambda: torch.optim.NAdam(p, momentum_decay=-0.004))
    err("radam_eps", lambda: torch.optim.RAdam(p, eps=-1e-08))
    err("radam_beta1", lambda: torch.optim.RAdam(p, betas=(0.9, 1.5)))
    err("radam_weight_decay", lambda: torch.optim.RAdam(p, weight_decay=-0.5))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                                  "reference"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    r = RefFile("optim2.txt", 2613)
    r.lines[0] = "# generated by tools/gen_ref_optim2.py with torch %s -- do not edit" % torch.__version__
    r.lines[1] = "# regenerate with: /usr/bin/python3 tools/gen_ref_optim2.py"
    gen(r)
    print(r.write(args.out), len(r.names), "records")


if __name__ == "__main__":
    main()
