#!/usr/bin/env bash
# rand/randn throughput next to PyTorch's, one thread each, in one run:
# bench/random_bench (tapegrad) and Debian's torch 1.13 (/usr/bin/python3)
# time the same calls on 2^20 elements, ROUNDS times, one after the other.
# Per call: the median CPU time per iteration over the rounds (CPU time, not
# wall: on a shared machine a process waits for a core between its slices),
# and tapegrad / PyTorch (< 1: tapegrad is faster).
#
#   cmake --build build-bench --target random_bench
#   BENCH=build-bench/bench/random_bench ROUNDS=5 bench/random_compare.sh
set -euo pipefail
BENCH=${BENCH:-build/bench/random_bench}
ROUNDS=${ROUNDS:-5}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for r in $(seq "$ROUNDS"); do
  "$BENCH" --benchmark_filter='BM_rand|BM_normal_' --benchmark_format=json >"$tmp/tg$r.json" 2>/dev/null
  /usr/bin/python3 - "$tmp/pt$r.json" <<'PY'
import json, sys, time
import torch
torch.set_num_threads(1)
n = 1 << 20
x = torch.empty(n)
calls = {
    "BM_rand<float>": lambda: torch.rand(n),
    "BM_rand<double>": lambda: torch.rand(n, dtype=torch.float64),
    "BM_randn<float>": lambda: torch.randn(n),
    "BM_randn<double>": lambda: torch.randn(n, dtype=torch.float64),
    "BM_normal_<float>": lambda: x.normal_(),
}
out = {}
for name, f in calls.items():
    f()
    number = 20
    t = time.process_time()
    for _ in range(number):
        f()
    out[name] = (time.process_time() - t) / number * 1e3
json.dump(out, open(sys.argv[1], "w"))
PY
done
/usr/bin/python3 - "$tmp" "$ROUNDS" <<'PY'
import json, statistics, sys
d, rounds = sys.argv[1], int(sys.argv[2])
tg, pt = {}, {}
for r in range(1, rounds + 1):
    for b in json.load(open(f"{d}/tg{r}.json"))["benchmarks"]:
        tg.setdefault(b["name"].split("/")[0], []).append(b["cpu_time"])  # ms (kMillisecond)
    for k, v in json.load(open(f"{d}/pt{r}.json")).items():
        pt.setdefault(k, []).append(v)
print(f"| call (2^20 elements) | tapegrad ms | PyTorch ms | tapegrad / PyTorch |")
print(f"|---|---:|---:|---:|")
for k in pt:
    a, b = statistics.median(tg[k]), statistics.median(pt[k])
    print(f"| {k[3:]} | {a:.2f} | {b:.2f} | {a / b:.2f} |")
PY
