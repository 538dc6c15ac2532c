#!/usr/bin/env bash
# bench/indexing_bench (tapegrad) next to bench/indexing_pytorch.py (Debian's
# PyTorch 1.13): gather, scatter_add, index_select, masked_fill, sort, topk and
# cumsum on 1e3..1e7 elements, one thread each, one after the other, in CPU
# time (on a shared machine wall time mostly measures the other processes).
# Prints per op and size both times (median of REPEATS runs) and the ratio
# tapegrad / PyTorch (< 1: tapegrad is faster), and writes the table as JSON
# (date, CPU, load, figures) to $OUT (default bench/results/indexing.json,
# which tools/results-table renders).
#
#   bench/indexing_compare.sh          (BUILD_DIR=build/release, REPEATS=7, THREADS=1, MIN_TIME=0.05 s a run)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build/release}
REPEATS=${REPEATS:-7}
THREADS=${THREADS:-1}
MIN_TIME=${MIN_TIME:-0.05}
OUT=${OUT:-bench/results/indexing.json}
PYTHON=${PYTHON:-/usr/bin/python3}
bin="$BUILD_DIR/bench/indexing_bench"
[[ -x "$bin" ]] || { echo "indexing_compare: build $bin first (cmake --build $BUILD_DIR --target indexing_bench)" >&2; exit 1; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
OMP_NUM_THREADS=$THREADS "$bin" --benchmark_repetitions="$REPEATS" --benchmark_min_time="$MIN_TIME" \
  --benchmark_report_aggregates_only=true --benchmark_format=json > "$tmp/tg.json"
OMP_NUM_THREADS=$THREADS "$PYTHON" bench/indexing_pytorch.py --threads "$THREADS" --repeats "$REPEATS" > "$tmp/pt.json"
"$PYTHON" - "$tmp/tg.json" "$tmp/pt.json" "$OUT" "$THREADS" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$REPEATS" "$BUILD_DIR" <<'PY'
import json, os, sys, datetime, platform, torch
tg = json.load(open(sys.argv[1])); pt = json.load(open(sys.argv[2]))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
rows = []
for b in tg["benchmarks"]:
    if b.get("aggregate_name") != "median": continue
    op, n = b["run_name"].split("/")[0][3:], b["run_name"].split("/")[1]
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
    t = b["cpu_time"] * unit; p = pt["%s/%s" % (op, n)]
    rows.append({"op": op, "n": int(n), "tapegrad_s": t, "pytorch_s": p, "ratio": t / p})
print("CPU time per call, medians of %s runs" % sys.argv[7])
print("%-14s %10s %14s %14s %8s" % ("op", "n", "tapegrad [us]", "pytorch [us]", "ratio"))
for r in rows:
    print("%-14s %10d %14.2f %14.2f %8.3f" % (r["op"], r["n"], r["tapegrad_s"] * 1e6, r["pytorch_s"] * 1e6, r["ratio"]))
json.dump({"date": datetime.datetime.utcnow().isoformat() + "Z", "cpu": cpu, "cpus": os.cpu_count(),
           "threads": int(sys.argv[4]), "load_before": sys.argv[5], "load_after": sys.argv[6],
           "repeats": int(sys.argv[7]), "time": "cpu", "torch": torch.__version__,
           "command": "BUILD_DIR=%s REPEATS=%s bench/indexing_compare.sh" % (sys.argv[8], sys.argv[7]), "rows": rows},
          open(sys.argv[3], "w"), indent=1)
PY
