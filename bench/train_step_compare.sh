#!/usr/bin/env bash
# One training step of the 784-256-10 MLP at batch 256 (forward, cross-entropy,
# backward, SGD step) in tapegrad (bench/train_step_bench) and in PyTorch
# (bench/train_step_pytorch.py), in one script run, for N = 1 and 2 threads.
#
#   bench/train_step_compare.sh                    # from the repository root
#   ROUNDS=5 THREADS="1 2" BUILD_DIR=build/bench bench/train_step_compare.sh
#
# Threads: for each N, both sides get OMP_NUM_THREADS=N (tapegrad's Eigen GEMM
# runs on OpenMP; PyTorch's intra-op pool too) and OPENBLAS_NUM_THREADS=1 (a
# BLAS pool of its own on top would oversubscribe), and PyTorch
# torch.set_num_threads(N). The two sides run one after the other, never at
# the same time, and take turns for ROUNDS rounds; the table shows the median
# over the rounds of each side's median, and the median of the per-round
# ratios PyTorch/tapegrad (> 1: tapegrad is faster), for wall time and for
# process CPU time (all threads; with 1 thread the steadier measure on a
# loaded machine, as other processes' time does not count).
#
# Environment: BUILD_DIR (build/bench), ROUNDS (3), REPS (5 repetitions per
# round), MIN_TIME (0.5 s per repetition), THREADS ("1 2"),
# PYTHON (/usr/bin/python3, which has torch).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build/bench}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-5}
MIN_TIME=${MIN_TIME:-0.5}
THREADS=${THREADS:-1 2}
PYTHON=${PYTHON:-/usr/bin/python3}

if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_TESTS=OFF \
        -DTAPEGRAD_BUILD_EXAMPLES=OFF >/dev/null
fi
cmake --build "$BUILD_DIR" --target train_step_bench -j2 >/dev/null
BENCH="$BUILD_DIR/bench/train_step_bench"
"$PYTHON" -c "import torch" 2>/dev/null || { echo "$PYTHON has no torch" >&2; exit 1; }

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(getconf _NPROCESSORS_ONLN) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before the run"
echo "torch:   $("$PYTHON" -c 'import torch; print(torch.__version__)')"
echo "rounds:  $ROUNDS x ($REPS repetitions of >= ${MIN_TIME}s per benchmark), threads: $THREADS"
echo

for ((r = 1; r <= ROUNDS; ++r)); do
  for n in $THREADS; do
    OMP_NUM_THREADS=$n OPENBLAS_NUM_THREADS=1 "$BENCH" --benchmark_repetitions="$REPS" \
      --benchmark_min_time="$MIN_TIME" --benchmark_report_aggregates_only=true \
      --benchmark_format=json >"$OUT/tapegrad_${n}_$r.json" 2>/dev/null
    OMP_NUM_THREADS=$n OPENBLAS_NUM_THREADS=1 "$PYTHON" bench/train_step_pytorch.py --threads "$n" \
      --repeats "$REPS" --min-time "$MIN_TIME" --json >"$OUT/pytorch_${n}_$r.json"
  done
  echo "round $r/$ROUNDS done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) after the run"
echo

"$PYTHON" - "$OUT" "$ROUNDS" $THREADS <<'EOF'
import json, statistics, sys
out, rounds, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
med = statistics.median
scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}

def tapegrad(n, r):
    d = json.load(open(f"{out}/tapegrad_{n}_{r}.json"))
    res = {}
    for b in d["benchmarks"]:
        if b.get("aggregate_name") == "median":
            f = scale[b["time_unit"]]
            name = b["run_name"].removeprefix("BM_").removesuffix("/real_time").removesuffix("/process_time")
            res[name] = (b["real_time"] * f, b["cpu_time"] * f)
    return res

def pytorch(n, r):
    d = json.load(open(f"{out}/pytorch_{n}_{r}.json"))
    return {k: (v["median_us"], v["median_cpu_us"]) for k, v in d["results"].items()}

rng = lambda xs: f"{med(xs):8.1f} ({min(xs):.0f}..{max(xs):.0f})"
print("median over the rounds of each round's median (min..max over the rounds); CPU = all threads")
print(f"{'benchmark':20} {'threads':>7} {'time':>5} {'tapegrad us':>22} {'PyTorch us':>22} {'PyTorch/tapegrad':>20}")
for name in ("train_step/256", "forward_loss/256", "forward_no_grad/256"):
    for n in threads:
        for kind, i in (("wall", 0), ("CPU", 1)):
            t = [tapegrad(n, r)[name][i] for r in range(1, rounds + 1)]
            p = [pytorch(n, r)[name][i] for r in range(1, rounds + 1)]
            ratio = [b / a for a, b in zip(t, p)]
            print(f"{name:20} {n:>7} {kind:>5} {rng(t):>22} {rng(p):>22} "
                  f"{med(ratio):8.2f}x ({min(ratio):.2f}..{max(ratio):.2f})")
EOF
