#!/usr/bin/env -S /usr/bin/python3
"""PyTorch 1.13's side of bench/interpolate_bench.cpp: F.interpolate of a
[1, 3, 224, 224] float32 image to 112x112 (bilinear and bicubic with
antialias=True, plain bilinear), forward only. Prints JSON {name: median
CPU seconds of one call over --repeats rounds}; each round times a loop of
calls lasting at least --min-time CPU seconds, as Google Benchmark does (CPU
time: less disturbed than wall time on a shared machine).

    /usr/bin/python3 bench/interpolate_pytorch.py --threads 1 --repeats 5
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

CASES = {"bilinear_aa": ("bilinear", True), "bicubic_aa": ("bicubic", True), "bilinear": ("bilinear", False)}


def one_round(fn, min_time):
    n = 1
    while True:
        t0 = time.process_time()
        for _ in range(n):
            fn()
        dt = time.process_time() - t0
        if dt >= min_time:
            return dt / n
        n *= 2 if dt < min_time / 4 else 1 + int(min_time / max(dt, 1e-9))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(3)
    x = torch.rand(1, 3, 224, 224)
    out = {}
    with torch.no_grad():
        for name, (mode, aa) in CASES.items():
            fn = lambda: F.interpolate(x, size=(112, 112), mode=mode, align_corners=False, antialias=aa)  # noqa: E731
            fn()
            out[name] = statistics.median(one_round(fn, args.min_time) for _ in range(args.repeats))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
