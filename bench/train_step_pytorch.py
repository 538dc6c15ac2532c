#!/usr/bin/python3
"""PyTorch's side of bench/train_step_bench.cpp: one training step of
Flatten -> Linear(784, 256) -> ReLU -> Linear(256, 10), CrossEntropyLoss,
SGD lr 0.1, batch 256 (the d2l tutorial, shared/seeds/001):

    optimizer.zero_grad(); loss = loss_fn(net(x), y); loss.backward(); optimizer.step()

and, as the C++ file, the recorded forward + loss alone and the forward + loss
under torch.no_grad().

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/train_step_pytorch.py --threads 1

Each benchmark is calibrated to about --min-time seconds per repeat and run
--repeats times; it prints the median wall time (time.perf_counter) and
process CPU time (time.process_time: all threads; on a loaded machine the
steadier one with 1 thread) per step in microseconds (and, with --json, every
repeat). bench/train_step_compare.sh runs it.
"""
import argparse
import json
import os
import statistics
import time

import torch


def make_problem(batch):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(),
                              torch.nn.Linear(256, 10))

    def init_weights(m):
        if type(m) == torch.nn.Linear:
            torch.nn.init.normal_(m.weight, std=0.01)
            torch.nn.init.zeros_(m.bias)

    net.apply(init_weights)
    x = torch.rand(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    return net, x, y


def benchmarks(batch):
    net, x, y = make_problem(batch)
    loss_fn = torch.nn.CrossEntropyLoss()
    # set_to_none=False: zero in place, as tapegrad's zero_grad() (and torch 1.13's default)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    last = {}

    def train_step():
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        last["loss"] = loss.item()

    def forward_loss():
        loss_fn(net(x), y)

    def forward_no_grad():
        with torch.no_grad():
            loss_fn(net(x), y)

    return {"train_step/%d" % batch: train_step,
            "forward_loss/%d" % batch: forward_loss,
            "forward_no_grad/%d" % batch: forward_no_grad}, last


def time_per_iter(fn, iters):
    """(wall, process CPU) seconds per call."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - wall) / iters, (time.process_time() - cpu) / iters


def measure(fn, min_time, repeats):
    for _ in range(3):
        fn()  # warm up (allocator, thread pool)
    iters = 1
    while True:
        t = time_per_iter(fn, iters)[0]
        if t * iters >= min_time / 4 or iters >= 1 << 20:
            break
        iters *= 2
    iters = max(1, int(min_time / max(t, 1e-9)))
    runs = [time_per_iter(fn, iters) for _ in range(repeats)]
    return [w * 1e6 for w, _ in runs], [c * 1e6 for _, c in runs], iters


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per repeat (default 0.5)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    benches, last = benchmarks(args.batch)
    results = {}
    for name, fn in benches.items():
        wall, cpu, iters = measure(fn, args.min_time, args.repeats)
        results[name] = {"median_us": statistics.median(wall), "median_cpu_us": statistics.median(cpu),
                         "us": wall, "cpu_us": cpu, "iterations": iters}
    info = {"torch": torch.__version__, "threads": torch.get_num_threads(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
            "final_loss": last.get("loss")}
    if args.json:
        print(json.dumps({"info": info, "results": results}))
    else:
        print("torch %s, %d threads" % (info["torch"], info["threads"]))
        for name, r in results.items():
            print("%-22s %10.1f us wall %10.1f us CPU (medians of %d x %d iterations)" % (
                name, r["median_us"], r["median_cpu_us"], len(r["us"]), r["iterations"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
