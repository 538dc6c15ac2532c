#!/usr/bin/env -S /usr/bin/python3
"""Golden values for tapegrad's interpolate and Upsample
(tests/reference/interp.txt), and for pad (F::pad) and the padding modules
(tests/reference/pad.txt).

    /usr/bin/python3 tools/gen_ref_interp.py            # writes tests/reference/
    /usr/bin/python3 tools/gen_ref_interp.py --out DIR

Same format and writer as tools/gen_reference.py, same records as
tools/gen_ref_conv.py: each case <case> records its input .x (float32 values),
the upstream gradient .gout, and PyTorch's output .out and input gradient .gx
computed in float64 from them.
"""

import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_reference import RefFile  # noqa: E402
from gen_ref_conv import leaf, record_op  # noqa: E402

torch.set_num_threads(1)

# name: (input shape, interpolate's keyword arguments)
INTERP_CASES = {
    "nearest1d.size": ((2, 3, 4), dict(size=7)),
    "nearest1d.scale2": ((1, 2, 5), dict(scale_factor=2)),
    "nearest1d.down": ((1, 2, 9), dict(scale_factor=0.5)),
    "nearest1d.scale17": ((1, 1, 6), dict(scale_factor=1.7)),
    "nearest1d.scale17r": ((1, 1, 6), dict(scale_factor=1.7, recompute_scale_factor=True)),
    "nearest2d.size": ((2, 2, 3, 4), dict(size=(5, 3))),
    "nearest2d.scale": ((1, 3, 3, 4), dict(scale_factor=(2, 1.5))),
    "nearest3d.scale": ((1, 2, 2, 3, 2), dict(scale_factor=2)),
    "exact1d.size": ((1, 2, 5), dict(size=8, mode="nearest-exact")),
    "exact2d.size": ((2, 1, 5, 4), dict(size=(3, 7), mode="nearest-exact")),
    "exact2d.scale": ((1, 2, 3, 5), dict(scale_factor=1.3, mode="nearest-exact")),
    "linear.up": ((2, 3, 4), dict(size=9, mode="linear")),
    "linear.up_ac": ((2, 3, 4), dict(size=9, mode="linear", align_corners=True)),
    "linear.down": ((1, 2, 9), dict(size=4, mode="linear")),
    "linear.down_ac": ((1, 2, 9), dict(size=4, mode="linear", align_corners=True)),
    "linear.scale17": ((1, 2, 6), dict(scale_factor=1.7, mode="linear")),
    "linear.scale17r": ((1, 2, 6), dict(scale_factor=1.7, mode="linear", recompute_scale_factor=True)),
    "linear.to1": ((1, 1, 4), dict(size=1, mode="linear")),
    "bilinear.up": ((2, 2, 3, 4), dict(size=(5, 7), mode="bilinear")),
    "bilinear.up_ac": ((2, 2, 3, 4), dict(size=(5, 7), mode="bilinear", align_corners=True)),
    "bilinear.down": ((1, 3, 5, 7), dict(size=(2, 3), mode="bilinear")),
    "bilinear.down_ac": ((1, 3, 5, 7), dict(size=(2, 3), mode="bilinear", align_corners=True)),
    "bilinear.scale": ((1, 2, 4, 3), dict(scale_factor=2.5, mode="bilinear")),
    "bilinear.scale_r": ((1, 2, 4, 3), dict(scale_factor=2.5, mode="bilinear", recompute_scale_factor=True)),
    "bilinear.empty": ((0, 2, 3, 3), dict(size=(4, 5), mode="bilinear")),
    "bicubic.up": ((2, 1, 4, 5), dict(size=(7, 9), mode="bicubic")),
    "bicubic.up_ac": ((2, 1, 4, 5), dict(size=(7, 9), mode="bicubic", align_corners=True)),
    "bicubic.down": ((1, 2, 7, 6), dict(size=(3, 4), mode="bicubic")),
    "bicubic.scale": ((1, 1, 3, 4), dict(scale_factor=(1.5, 2.2), mode="bicubic")),
    "trilinear.up": ((1, 2, 2, 3, 4), dict(size=(3, 5, 6), mode="trilinear")),
    "trilinear.up_ac": ((1, 2, 2, 3, 4), dict(size=(3, 5, 6), mode="trilinear", align_corners=True)),
    "area1d.size": ((2, 2, 7), dict(size=3, mode="area")),
    "area2d.size": ((1, 2, 7, 5), dict(size=(3, 4), mode="area")),
    "area2d.scale": ((1, 2, 6, 9), dict(scale_factor=0.5, mode="area")),
    "area3d.size": ((1, 1, 4, 5, 3), dict(size=(2, 3, 2), mode="area")),
}


def gen_interp(r):
    r.comment("interp.<case>: F.interpolate(x, **kwargs) in float64 (the case's arguments are in\n"
              "tools/gen_ref_interp.py and tests/nn/upsample_test.cpp).")
    for name, (shape, kw) in INTERP_CASES.items():
        record_op(r, "interp." + name, lambda x, kw=kw: F.interpolate(x, **kw), [("x", leaf(shape))])


# F.interpolate(..., antialias=True): bilinear and bicubic on 4-D input only
# (PyTorch 1.13's _upsample_*2d_aa); downscale factors 2, 3, 1.7 and
# upscaling, size= and scale_factor=, align_corners, mixed down/up. Mirrored in
# tests/ops/interpolate_test.cpp.
AA_CASES = {}
for _m in ("bilinear", "bicubic"):
    AA_CASES.update({
        _m + ".down2": ((2, 2, 6, 8), dict(size=(3, 4))),
        _m + ".down2_ac": ((2, 2, 6, 8), dict(size=(3, 4), align_corners=True)),
        _m + ".down3": ((1, 1, 9, 12), dict(size=(3, 4))),
        _m + ".scale3": ((1, 1, 9, 6), dict(scale_factor=1 / 3)),
        _m + ".down17": ((1, 1, 17, 5), dict(size=(10, 3))),
        _m + ".scale17": ((1, 1, 17, 5), dict(scale_factor=(1 / 1.7, 0.55))),
        _m + ".scale17r": ((1, 1, 17, 5), dict(scale_factor=1 / 1.7, recompute_scale_factor=True)),
        _m + ".up2": ((1, 2, 3, 4), dict(scale_factor=2)),
        _m + ".up2_ac": ((1, 2, 3, 4), dict(scale_factor=2, align_corners=True)),
        _m + ".mixed": ((1, 2, 8, 3), dict(size=(3, 5))),
        _m + ".mixed_ac": ((1, 2, 8, 3), dict(size=(3, 5), align_corners=True)),
        _m + ".to1": ((1, 1, 5, 6), dict(size=(1, 2))),
        _m + ".to1_ac": ((1, 1, 5, 6), dict(size=(1, 2), align_corners=True)),
    })
AA_CASES["bilinear.empty"] = ((0, 2, 6, 6), dict(size=(3, 3)))
AA_CASES["bicubic.empty"] = ((0, 1, 4, 4), dict(size=2))
# float32 forwards PyTorch computed in float32 (weights rounded as float)
AA_F32_CASES = ("bilinear.down17", "bicubic.down17", "bilinear.scale3", "bicubic.mixed_ac")


def gen_interp_aa(r):
    r.comment("aa.<mode>.<case>: F.interpolate(x, mode=<mode>, antialias=True, **kwargs) in float64 (the\n"
              "arguments are in tools/gen_ref_interp.py); aa.f32.<mode>.<case>: the same in float32;\n"
              "aa.name.<mode>: its grad_fn's name.")
    for name, (shape, kw) in AA_CASES.items():
        mode = name.split(".")[0]
        record_op(r, "aa." + name, lambda x, kw=kw, mode=mode: F.interpolate(x, mode=mode, antialias=True, **kw),
                  [("x", leaf(shape))])
    for name in AA_F32_CASES:
        shape, kw = AA_CASES[name]
        x = leaf(shape).detach().to(torch.float32)
        r.t("aa.f32.%s.x" % name, x)
        r.t("aa.f32.%s.out" % name, F.interpolate(x, mode=name.split(".")[0], antialias=True, **kw))
    for mode in ("bilinear", "bicubic"):
        y = F.interpolate(leaf((1, 1, 4, 4)), size=2, mode=mode, antialias=True)
        r.s("aa.name." + mode, y.grad_fn.name())


def gen_interp_modules(r):
    r.comment("repr.<name>: str(module) in PyTorch.")
    mods = {
        "upsample": nn.Upsample(scale_factor=2),
        "upsample_size": nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True),
        "upsample_size1": nn.Upsample(size=5, mode="linear"),
        "upsample_tuple": nn.Upsample(scale_factor=(2, 1.5)),
        "upsample_bicubic": nn.Upsample(scale_factor=2.5, mode="bicubic", recompute_scale_factor=True),
        "nearest2d": nn.UpsamplingNearest2d(scale_factor=2),
        "bilinear2d": nn.UpsamplingBilinear2d(size=3),
    }
    for name, m in mods.items():
        r.s("repr." + name, str(m))
    x = leaf((1, 2, 3, 4))
    r.t("module.x", x.detach().to(torch.float32))
    r.t("module.bilinear2d", nn.UpsamplingBilinear2d(size=(4, 6))(x).detach())
    r.t("module.nearest2d", nn.UpsamplingNearest2d(scale_factor=2)(x).detach())


# name: (input shape, pad, mode, value); mirrored in tests/ops/pad_test.cpp
PAD_CASES = {
    "constant.1d": ((2, 3, 5), (1, 2), "constant", 0.5),
    "constant.2d": ((2, 3, 4, 5), (1, 1, 2, 0), "constant", 0.0),
    "constant.neg": ((3, 5), (-1, 2), "constant", 0.0),
    "constant.mixed": ((2, 4, 5), (-2, -1, 1, -1), "constant", -1.5),
    "constant.every_dim": ((2, 3, 4), (1, 1, 1, 1, 1, 1), "constant", 2.0),
    "constant.crop": ((3, 5), (-1, -2), "constant", 0.0),
    "constant.crop_all": ((3, 5), (-2, -3), "constant", 0.0),
    "reflect.1d": ((2, 3, 5), (2, 1), "reflect", None),
    "reflect.1d_unbatched": ((3, 5), (1, 3), "reflect", None),
    "reflect.1d_neg": ((2, 3, 5), (-1, 3), "reflect", None),
    "reflect.2d": ((2, 2, 4, 5), (1, 3, 2, 0), "reflect", None),
    "reflect.2d_neg": ((1, 2, 5, 4), (-1, 2, 3, -2), "reflect", None),
    "reflect.3d": ((1, 2, 3, 4, 5), (1, 2, 0, 2, 2, 1), "reflect", None),
    "reflect.3d_unbatched": ((2, 3, 4, 5), (1, 0, 1, 2, 2, 0), "reflect", None),
    "reflect.empty_batch": ((0, 2, 3), (1, 1), "reflect", None),
    "replicate.1d": ((2, 3, 4), (2, 3), "replicate", None),
    "replicate.1d_neg": ((2, 3, 5), (-2, 1), "replicate", None),
    "replicate.2d": ((2, 2, 3, 4), (0, 1, 1, 2), "replicate", None),
    "replicate.2d_unbatched": ((2, 3, 4), (3, 1, 0, 2), "replicate", None),
    "replicate.2d_neg": ((1, 1, 4, 5), (2, -1, -2, 1), "replicate", None),
    "replicate.3d": ((1, 2, 3, 3, 4), (1, 1, 2, 0, 0, 2), "replicate", None),
    "circular.1d": ((2, 3, 5), (2, 1), "circular", None),
    "circular.1d_neg": ((2, 3, 5), (-1, 2), "circular", None),
    "circular.2d": ((2, 2, 3, 4), (1, 2, 3, 0), "circular", None),
    "circular.2d_neg": ((1, 2, 4, 5), (-2, 3, 1, -1), "circular", None),
    "circular.3d": ((1, 1, 3, 4, 5), (1, 1, 2, 1, 0, 2), "circular", None),
    "circular.empty_batch": ((0, 2, 3), (1, 1), "circular", None),
}


def gen_pad(r):
    r.comment("pad.<case>: F.pad(x, pad, mode, value) in float64 (the arguments are in tools/gen_ref_interp.py).")
    for name, (shape, pad, mode, value) in PAD_CASES.items():
        fn = (lambda x, pad=pad, value=value: F.pad(x, pad, "constant", value)) if mode == "constant" else \
            (lambda x, pad=pad, mode=mode: F.pad(x, pad, mode))
        record_op(r, "pad." + name, fn, [("x", leaf(shape))])


def gen_pad_modules(r):
    r.comment("repr.<name>: str(module) in PyTorch; module.<name>: its output on module.x.")
    mods = {
        "zeropad2d": nn.ZeroPad2d(2),
        "zeropad2d_tuple": nn.ZeroPad2d((1, 2, 3, -1)),
        "constantpad1d": nn.ConstantPad1d(2, 3.5),
        "constantpad2d": nn.ConstantPad2d((1, 0, 2, 1), -1.0),
        "constantpad3d": nn.ConstantPad3d(1, 0.0),
        "reflectionpad1d": nn.ReflectionPad1d((1, 2)),
        "reflectionpad2d": nn.ReflectionPad2d(1),
        "reflectionpad3d": nn.ReflectionPad3d(1),
        "replicationpad1d": nn.ReplicationPad1d(3),
        "replicationpad2d": nn.ReplicationPad2d((1, 1, 2, 0)),
        "replicationpad3d": nn.ReplicationPad3d(1),
    }
    x = leaf((1, 2, 3, 4, 5))
    r.t("module.x", x.detach().to(torch.float32))
    for name, m in mods.items():
        r.s("repr." + name, str(m))
        inp = x[0, 0] if name.endswith("1d") else x[0] if "2d" in name else x  # [N, C, *] of 1, 2, 3 dims
        r.t("module." + name, m(inp).detach())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                                  "reference"))
    args = ap.parse_args()
    for filename, seed, gens in (("interp.txt", 2807, (gen_interp, gen_interp_modules, gen_interp_aa)),
                                 ("pad.txt", 2808, (gen_pad, gen_pad_modules))):
        r = RefFile(filename, seed)
        r.lines[0] = "# generated by tools/gen_ref_interp.py with torch %s -- do not edit" % torch.__version__
        r.lines[1] = "# regenerate with: /usr/bin/python3 tools/gen_ref_interp.py"
        for gen in gens:
            gen(r)
        print(r.write(args.out))

if __name__ == "__main__":
    main()
