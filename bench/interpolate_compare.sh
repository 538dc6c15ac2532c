#!/usr/bin/env bash
# bench/interpolate_bench (tapegrad) next to bench/interpolate_pytorch.py
# (Debian's PyTorch 1.13): [1, 3, 224, 224] -> 112x112 float32, antialiased
# bilinear and bicubic and plain bilinear, THREADS threads (default 1), the
# median of REPEATS rounds (default 5) each; the two run one after the other
# in the same invocation. Prints the header (date, CPU, load), both times and
# the ratio tapegrad / PyTorch (< 1: tapegrad is faster). Both sides measure
# CPU time (one thread: what the call costs, less the waits of a shared machine).
#
#   bench/interpolate_compare.sh          (BUILD_DIR=build/release, REPEATS=5, THREADS=1)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BUILD_DIR=${BUILD_DIR:-build/release}
REPEATS=${REPEATS:-5}
THREADS=${THREADS:-1}
PYTHON=${PYTHON:-/usr/bin/python3}
bench_build "$BUILD_DIR" interpolate_bench -DTAPEGRAD_BUILD_BENCH=ON -DTAPEGRAD_BUILD_EXAMPLES=OFF \
  -DTAPEGRAD_BUILD_TESTS=OFF
bench_header
bench_tmpdir
OMP_NUM_THREADS=$THREADS "$BUILD_DIR/bench/interpolate_bench" --benchmark_repetitions="$REPEATS" \
  --benchmark_report_aggregates_only=true --benchmark_format=json > "$bench_tmp/tg.json"
OMP_NUM_THREADS=$THREADS "$PYTHON" bench/interpolate_pytorch.py --threads "$THREADS" --repeats "$REPEATS" \
  > "$bench_tmp/pt.json"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) after the run"
"$PYTHON" - "$bench_tmp/tg.json" "$bench_tmp/pt.json" "$THREADS" "$REPEATS" <<'PY'
import json, sys
tg = json.load(open(sys.argv[1])); pt = json.load(open(sys.argv[2]))
print("[1, 3, 224, 224] -> 112x112 float32, %s thread(s), CPU time, median of %s rounds" % (sys.argv[3], sys.argv[4]))
print("%-12s %14s %14s %8s" % ("case", "tapegrad [us]", "pytorch [us]", "ratio"))
for b in tg["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    name = b["run_name"].split("/")[0][3:]
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
    t, p = b["cpu_time"] * unit, pt[name]
    print("%-12s %14.1f %14.1f %8.2f" % (name, t * 1e6, p * 1e6, t / p))
PY
