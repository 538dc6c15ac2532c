#!/usr/bin/env -S /usr/bin/python3
"""gather and scatter_add of bench/indexing_bench.cpp next to PyTorch 1.13 in
CPU time (process time, not wall time), one thread, on 1e3..1e6 elements: on
a shared, oversubscribed machine the wall-time comparison of
bench/indexing_compare.sh mostly measures the other processes. Each round
runs, per op and size, every given indexing_bench binary (median of 5
repetitions) and then PyTorch (median of 5); prints the medians over the
rounds and each binary's ratio to PyTorch.

    /usr/bin/python3 bench/indexing_cpu_compare.py new=build/release/bench/indexing_bench [ROUNDS]
    /usr/bin/python3 bench/indexing_cpu_compare.py old=/tmp/old_bench,new=build/release/bench/indexing_bench 3
"""
import json, subprocess, sys, statistics, os, time, timeit
import torch
torch.set_num_threads(1)
bins = sys.argv[1].split(",")  # label=path/to/indexing_bench,...
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
sizes = [1000, 10000, 100000, 1000000]
env = dict(os.environ, OMP_NUM_THREADS="1")
res = {}
COLS = 64
def pt_time(op, n):
    torch.manual_seed(7)
    r = max(n // COLS, 1)
    x, src = torch.rand(r, COLS), torch.rand(r, COLS)
    idx = torch.randint(0, COLS, (r, COLS)); z = torch.zeros(r, COLS)
    fn = (lambda: x.gather(1, idx)) if op == "gather" else (lambda: z.scatter_add(1, idx, src))
    t = timeit.Timer(fn, timer=time.process_time)
    number = max(1, int(0.05 / max(t.timeit(3) / 3, 1e-9)))
    runs = t.repeat(repeat=5, number=number)
    return sorted(runs)[2] / number * 1e6
for r in range(rounds):
    for op in ("gather", "scatter_add"):
        for n in sizes:
            key = "%s/%d" % (op, n)
            for spec in bins:
                label, path = spec.split("=")
                out = subprocess.run([path, "--benchmark_filter=BM_%s/%d$" % (op, n), "--benchmark_repetitions=5",
                                      "--benchmark_min_time=0.05",
                                      "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                                     capture_output=True, text=True, env=env).stdout
                for b in json.loads(out)["benchmarks"]:
                    if b.get("aggregate_name") != "median": continue
                    unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b["time_unit"]]
                    res.setdefault((label, key), []).append(b["cpu_time"] * unit)
            res.setdefault(("pytorch", key), []).append(pt_time(op, n))
    print("round", r, "load", open("/proc/loadavg").read().split()[:3], file=sys.stderr)
labels = [s.split("=")[0] for s in bins]
print("CPU time per call [us], medians over %d rounds of medians of 5" % rounds)
print("%-20s" % "op/n" + "".join("%12s" % l for l in labels) + "%12s" % "pytorch" + "".join("%12s" % ("ratio " + l) for l in labels))
for op in ("gather", "scatter_add"):
    for n in sizes:
        k = "%s/%d" % (op, n)
        pt = statistics.median(res[("pytorch", k)])
        row = [statistics.median(res[(l, k)]) for l in labels]
        print("%-20s" % k + "".join("%12.2f" % v for v in row) + "%12.2f" % pt + "".join("%12.3f" % (v / pt) for v in row))
