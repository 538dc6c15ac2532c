#!/usr/bin/python3
"""The graphs of bench/autograd_bench.cpp in PyTorch, for the ratios that
bench/autograd_compare.sh prints.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/autograd_pytorch.py

  tiny_graph/pytorch          w.grad = b.grad = None
                              y = (w * x + b).sigmoid().sum(); y.backward()
                              on 10 floats, w and b requiring grad
  tiny_graph/forward_recorded the same forward, recorded, no backward
  tiny_graph/forward_no_grad  the same forward, no input requiring grad
  forward_1e6/no_grad         (w * x + b).sigmoid() on 1e6 floats
  forward_1e6/requires_grad   the same with w and b requiring grad
  forward_1e6/paired          both forwards in each iteration, in turn (which
                              goes first alternates), each timed: medians of
                              the per-call thread CPU times (time.thread_time)
                              and the overhead in %, also from the wall clock

Each benchmark is calibrated to about --min-time seconds per repeat, then run
--repeats times; it prints the median over the repeats of the time per
iteration in microseconds, both wall (time.perf_counter) and process CPU
(time.process_time; on a loaded machine the CPU time is the steadier one).
torch.set_num_threads(1): tapegrad's kernels here are single-threaded.
"""
import argparse
import json
import os
import statistics
import time

import torch


def tiny_inputs(requires_grad):
    torch.manual_seed(0)
    w, x, b = torch.randn(10), torch.randn(10), torch.randn(10)
    if requires_grad:
        w.requires_grad_()
        b.requires_grad_()
    return w, x, b


def make_tiny_graph():
    w, x, b = tiny_inputs(True)

    def step():
        w.grad = None
        b.grad = None
        y = (w * x + b).sigmoid().sum()
        y.backward()

    def check():
        s = (w.detach() * x + b.detach()).sigmoid()
        ds = s * (1 - s)
        assert torch.allclose(b.grad, ds) and torch.allclose(w.grad, x * ds), "wrong gradients"

    return step, check


def make_tiny_forward(requires_grad):
    w, x, b = tiny_inputs(requires_grad)

    def step():
        (w * x + b).sigmoid().sum()

    return step, None


def make_forward_1e6(requires_grad):
    torch.manual_seed(0)
    n = 1_000_000
    w, x, b = torch.randn(n), torch.randn(n), torch.randn(n)
    if requires_grad:
        w.requires_grad_()
        b.requires_grad_()

    def step():
        (w * x + b).sigmoid()

    def check():
        assert (w * x + b).sigmoid().requires_grad == requires_grad

    return step, check


BENCHMARKS = {
    "tiny_graph/pytorch": lambda: make_tiny_graph(),
    "tiny_graph/forward_recorded": lambda: make_tiny_forward(True),
    "tiny_graph/forward_no_grad": lambda: make_tiny_forward(False),
    "forward_1e6/no_grad": lambda: make_forward_1e6(False),
    "forward_1e6/requires_grad": lambda: make_forward_1e6(True),
}


def measure_paired(repeats, min_time):
    plain, _ = make_forward_1e6(False)
    recorded, _ = make_forward_1e6(True)
    for _ in range(3):  # warm up
        plain(), recorded()
    w0 = time.perf_counter()
    for _ in range(3):
        plain(), recorded()
    pair = (time.perf_counter() - w0) / 3
    pairs = max(50, int(repeats * min_time / max(pair, 1e-9)))
    cpu, wall = ([], []), ([], [])  # [0]: no grad, [1]: requires grad
    for i in range(pairs):
        for rec in ((1, 0) if i % 2 else (0, 1)):
            step = recorded if rec else plain
            c0, w0 = time.thread_time(), time.perf_counter()
            step()
            cpu[rec].append((time.thread_time() - c0) * 1e6)
            wall[rec].append((time.perf_counter() - w0) * 1e6)
    a, b = statistics.median(cpu[0]), statistics.median(cpu[1])
    wa, wb = statistics.median(wall[0]), statistics.median(wall[1])
    return {"pairs": pairs, "no_grad_us": a, "requires_grad_us": b, "overhead_pct": 100 * (b / a - 1),
            "wall_overhead_pct": 100 * (wb / wa - 1)}


def run_loop(step, iters):
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(iters):
        step()
    return time.perf_counter() - w0, time.process_time() - c0


def measure(step, repeats, min_time):
    for _ in range(3):
        step()  # warm up (first-call dispatch, allocator)
    iters = 1
    while True:  # calibrate: double until one repeat takes min_time / 4
        wall, _ = run_loop(step, iters)
        if wall >= min_time / 4:
            break
        iters *= 2
    iters = max(1, int(iters * min_time / max(wall, 1e-9)))
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = run_loop(step, iters)
        walls.append(wall / iters * 1e6)
        cpus.append(cpu / iters * 1e6)
    return {"iterations": iters, "repeats": repeats,
            "wall_us": statistics.median(walls), "cpu_us": statistics.median(cpus),
            "wall_us_all": walls, "cpu_us_all": cpus}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds per repeat")
    ap.add_argument("--filter", default="", help="run the benchmarks whose name contains this")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args()

    torch.set_num_threads(1)
    meta = {"torch": torch.__version__, "num_threads": torch.get_num_threads(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
            "GLIBC_TUNABLES": os.environ.get("GLIBC_TUNABLES")}
    results = {}
    for name, make in BENCHMARKS.items():
        if args.filter not in name:
            continue
        step, check = make()
        results[name] = measure(step, args.repeats, args.min_time)
        if check:
            check()
    paired = measure_paired(args.repeats, args.min_time) if args.filter in "forward_1e6/paired" else None
    if args.json:
        print(json.dumps({"meta": meta, "results": results, "paired": paired}))
        return
    print(" ".join(f"{k}={v}" for k, v in meta.items()))
    print(f"{'benchmark':32} {'wall us/iter':>14} {'cpu us/iter':>14} {'iters x repeats':>16}")
    for name, r in results.items():
        print(f"{name:32} {r['wall_us']:14.3f} {r['cpu_us']:14.3f} {r['iterations']:>9} x {r['repeats']}")
    if paired:
        print(f"forward_1e6/paired: no_grad {paired['no_grad_us']:.1f} us, requires_grad "
              f"{paired['requires_grad_us']:.1f} us (cpu, medians of {paired['pairs']} pairs): "
              f"recording overhead {paired['overhead_pct']:+.2f}% (wall: {paired['wall_overhead_pct']:+.2f}%)")


if __name__ == "__main__":
    main()
