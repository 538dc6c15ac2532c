#!/usr/bin/env bash
# Elementwise ops against Eigen (bench/elementwise_bench.cpp) on one thread,
# the figures of bench/README.md's "Elementwise" table.
#
#   bench/elementwise.sh            5 repetitions, randomly interleaved
#   REPS=3 FILTER='/(1000|10000)$' bench/elementwise.sh   the small sizes only
#
# Google Benchmark's JSON (median aggregates; CPU time, the steadier figure
# on a shared machine) goes to bench/results/elementwise.json with the CPU
# model, the load and this command added. Environment: BUILD_DIR
# (build/bench), REPS (5), FILTER (a --benchmark_filter regex), RESULT
# (bench/results/elementwise.json).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BUILD_DIR=${BUILD_DIR:-build/bench}
REPS=${REPS:-5}
RESULT=${RESULT:-bench/results/elementwise.json}
bench_build "$BUILD_DIR" elementwise_bench -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF
bench_header
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$(dirname "$RESULT")"
args=(--benchmark_repetitions="$REPS" --benchmark_report_aggregates_only=true
      --benchmark_enable_random_interleaving=true --benchmark_out="$RESULT" --benchmark_out_format=json)
[[ -z ${FILTER:-} ]] || args+=(--benchmark_filter="$FILTER")
OMP_NUM_THREADS=1 "$BUILD_DIR/bench/elementwise_bench" "${args[@]}"
python3 - "$RESULT" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" "$load_before" \
  "REPS=$REPS${FILTER:+ FILTER='$FILTER'} bench/elementwise.sh" <<'PY'
import json, sys
path, cpu, load, command = sys.argv[1:]
doc = json.load(open(path))
doc["context"].update(cpu=cpu, load_before=load, command=command)
json.dump(doc, open(path, "w"), indent=1)
print("wrote", path)
PY
