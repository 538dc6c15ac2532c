#!/usr/bin/env -S /usr/bin/python3
"""The ops of bench/indexing_bench.cpp next to PyTorch 1.13 in CPU time, one
thread, on 1e3..1e6 elements, in rounds: each round runs, per op and size,
every given indexing_bench binary (median of 5 repetitions) and then PyTorch
(median of 5); prints the medians over the rounds and each binary's ratio to
PyTorch. For comparing builds (old against new); bench/indexing_compare.sh
writes the results file.

    /usr/bin/python3 bench/indexing_cpu_compare.py new=build/release/bench/indexing_bench [ROUNDS [OPS]]
    /usr/bin/python3 bench/indexing_cpu_compare.py old=/tmp/old_bench,new=build/release/bench/indexing_bench 5 gather,scatter_add
"""
import json, subprocess, sys, statistics, os
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from indexing_pytorch import ops, cpu_time

torch.set_num_threads(1)
bins = sys.argv[1].split(",")  # label=path/to/indexing_bench,...
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
names = sys.argv[3].split(",") if len(sys.argv) > 3 else list(ops(1000))
sizes = [1000, 10000, 100000, 1000000]
env = dict(os.environ, OMP_NUM_THREADS="1")
res = {}
for r in range(rounds):
    for n in sizes:
        pt_ops = ops(n)
        for op in names:
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
            res.setdefault(("pytorch", key), []).append(cpu_time(pt_ops[op], 5) * 1e6)
    print("round", r, "load", open("/proc/loadavg").read().split()[:3], file=sys.stderr)
labels = [s.split("=")[0] for s in bins]
print("CPU time per call [us], medians over %d rounds of medians of 5" % rounds)
print("%-20s" % "op/n" + "".join("%12s" % l for l in labels) + "%12s" % "pytorch" + "".join("%12s" % ("ratio " + l) for l in labels))
for op in names:
    for n in sizes:
        k = "%s/%d" % (op, n)
        pt = statistics.median(res[("pytorch", k)])
        row = [statistics.median(res[(l, k)]) for l in labels]
        print("%-20s" % k + "".join("%12.2f" % v for v in row) + "%12.2f" % pt + "".join("%12.3f" % (v / pt) for v in row))
