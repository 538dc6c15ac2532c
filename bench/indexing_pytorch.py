#!/usr/bin/env -S /usr/bin/python3
"""PyTorch side of bench/indexing_bench.cpp: the same ops, shapes and sizes,
timed in CPU time (process time: on a shared machine wall time mostly
measures the other processes).

    /usr/bin/python3 bench/indexing_pytorch.py [--threads N] [--repeats R]

Prints JSON {"<op>/<n>": CPU seconds per call (median of R timing runs)}.
bench/indexing_cpu_compare.py imports ops() and cpu_time().
"""
import argparse
import json
import time
import timeit

import torch

COLS = 64
SIZES = [10 ** e for e in range(3, 8)]


def ops(n):
    """The ops of indexing_bench.cpp on n elements, as {name: callable}."""
    torch.manual_seed(7)
    r = max(n // COLS, 1)
    x, src = torch.rand(r, COLS), torch.rand(r, COLS)
    idx = torch.randint(0, COLS, (r, COLS))
    rows = torch.randint(0, r, (r,))
    mask = torch.rand(r, COLS) < 0.5
    z = torch.zeros(r, COLS)
    return {
        "gather": lambda: x.gather(1, idx),
        "scatter_add": lambda: z.scatter_add(1, idx, src),
        "index_select": lambda: x.index_select(0, rows),
        "masked_fill": lambda: x.masked_fill(mask, 0.0),
        "sort": lambda: x.sort(1),
        "topk": lambda: x.topk(5, 1),
        "cumsum": lambda: x.cumsum(1),
    }


def cpu_time(fn, repeats):
    """CPU seconds per call of fn: the median of `repeats` runs of about 0.05 s."""
    t = timeit.Timer(fn, timer=time.process_time)
    number = max(1, int(0.05 / max(t.timeit(3) / 3, 1e-9)))
    runs = sorted(t.repeat(repeat=repeats, number=number))
    return runs[len(runs) // 2] / number


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out = {}
    for n in SIZES:
        for name, fn in ops(n).items():
            out["%s/%d" % (name, n)] = cpu_time(fn, args.repeats)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
