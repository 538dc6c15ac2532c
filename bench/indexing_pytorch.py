#!/usr/bin/env -S /usr/bin/python3
"""PyTorch side of bench/indexing_bench.cpp: the same ops, shapes and sizes.

    /usr/bin/python3 bench/indexing_pytorch.py [--threads N] [--repeats R]

Prints JSON {"<op>/<n>": seconds per call (median of R timing runs)}.
"""
import argparse
import json
import timeit

import torch

COLS = 64


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(7)
    out = {}
    n = 1000
    while n <= 10_000_000:
        r = max(n // COLS, 1)
        x, src = torch.rand(r, COLS), torch.rand(r, COLS)
        idx = torch.randint(0, COLS, (r, COLS))
        rows = torch.randint(0, r, (r,))
        mask = torch.rand(r, COLS) < 0.5
        z = torch.zeros(r, COLS)
        ops = {
            "gather": lambda: x.gather(1, idx),
            "scatter_add": lambda: z.scatter_add(1, idx, src),
            "index_select": lambda: x.index_select(0, rows),
            "masked_fill": lambda: x.masked_fill(mask, 0.0),
        }
        for name, fn in ops.items():
            t = timeit.Timer(fn)
            number, _ = t.autorange()
            runs = t.repeat(repeat=args.repeats, number=number)
            out["%s/%d" % (name, n)] = sorted(runs)[len(runs) // 2] / number
        n *= 10
    print(json.dumps(out))


if __name__ == "__main__":
    main()
