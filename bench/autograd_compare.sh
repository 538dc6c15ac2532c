#!/usr/bin/env bash
# tapegrad's autograd against PyTorch's on the same graphs, in one run:
# bench/autograd_bench (Google Benchmark) and bench/autograd_pytorch.py take
# turns for ROUNDS rounds, and the table shows the medians over the rounds.
#
#   bench/autograd_compare.sh                  # from the repository root
#   ROUNDS=5 BUILD_DIR=build/bench bench/autograd_compare.sh
#
# Targets (issue 3): the tiny forward+backward takes at least 5x less time
# per iteration in tapegrad than in PyTorch, and recording (inputs requiring
# grad) adds less than 5% to a 1e6-element forward. The verdict on the second
# uses the paired benchmark (both forwards timed in turn in one loop).
#
# Both sides run single-threaded: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# and torch.set_num_threads(1). Each round runs both once per malloc mode:
# "default" (glibc as it comes) and "pinned"
# (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=...:trim_threshold=...). With
# the default settings, whether a 4 MB buffer comes from the heap or from
# fresh mmap'd pages (1000 page faults each) depends on the order of the frees
# and on what small blocks sit above it, and that swamps the cost of recording
# in the separate no_grad / requires_grad benchmarks (bench/autograd.md).
#
# Environment: BUILD_DIR (build/bench), ROUNDS (3), REPS (5, Google Benchmark
# repetitions and Python repeats per round), MIN_TIME (0.3 s per repetition),
# MALLOC_MODES ("default pinned"), PYTHON (/usr/bin/python3, which has torch).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BUILD_DIR=${BUILD_DIR:-build/bench}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-5}
MIN_TIME=${MIN_TIME:-0.3}
MALLOC_MODES=${MALLOC_MODES:-default pinned}
PYTHON=${PYTHON:-/usr/bin/python3}
PINNED_MALLOC="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

bench_build "$BUILD_DIR" autograd_bench -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF
BENCH="$BUILD_DIR/bench/autograd_bench"
"$PYTHON" -c "import torch" 2>/dev/null || { echo "$PYTHON has no torch" >&2; exit 1; }

bench_tmpdir
OUT=$bench_tmp

bench_header
echo "threads: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1)"
echo "rounds:  $ROUNDS x ($REPS repetitions of >= ${MIN_TIME}s per benchmark), malloc modes: $MALLOC_MODES"
echo

for ((r = 1; r <= ROUNDS; ++r)); do
  for mode in $MALLOC_MODES; do
    tunables=()
    [[ $mode == pinned ]] && tunables=(env "GLIBC_TUNABLES=$PINNED_MALLOC")
    "${tunables[@]}" "$BENCH" --benchmark_repetitions="$REPS" --benchmark_min_time="$MIN_TIME" \
      --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
      --benchmark_format=json >"$OUT/tapegrad_${mode}_$r.json" 2>/dev/null
    "${tunables[@]}" "$PYTHON" bench/autograd_pytorch.py --repeats "$REPS" --min-time "$MIN_TIME" \
      --json >"$OUT/pytorch_${mode}_$r.json"
  done
  echo "round $r/$ROUNDS done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done

"$PYTHON" - "$OUT" "$ROUNDS" $MALLOC_MODES <<'EOF'
import json, statistics, sys
out, rounds, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
med = statistics.median
scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}

PAIRED = ("no_grad_us", "requires_grad_us", "overhead_pct", "wall_overhead_pct")

def tapegrad(mode, r):
    d = json.load(open(f"{out}/tapegrad_{mode}_{r}.json"))
    res = {}
    for b in d["benchmarks"]:
        if b.get("aggregate_name") == "median":
            name = b["run_name"].removeprefix("BM_")
            if name == "forward_1e6/paired":
                res["paired"] = tuple(b[k] for k in PAIRED)
            else:
                f = scale[b["time_unit"]]
                res[name] = (b["real_time"] * f, b["cpu_time"] * f)
    return res

def pytorch(mode, r):
    d = json.load(open(f"{out}/pytorch_{mode}_{r}.json"))
    res = {k: (v["wall_us"], v["cpu_us"]) for k, v in d["results"].items()}
    res["paired"] = tuple(d["paired"][k] for k in PAIRED)
    return res

def collect(load, mode):
    runs = [load(mode, r) for r in range(1, rounds + 1)]
    return runs

def series(runs, name, i):
    return [run[name][i] for run in runs]

def fmt_range(xs, spec):
    return f"{med(xs):{spec}} ({min(xs):{spec}}..{max(xs):{spec}})"

kinds = (("wall", 0), ("cpu", 1))
for mode in modes:
    tg, pt = collect(tapegrad, mode), collect(pytorch, mode)
    print(f"== malloc: {mode}; median over {rounds} rounds (min..max of the round medians)")
    print(f"{'benchmark':30} {'':5} {'tapegrad us/iter':>26} {'PyTorch us/iter':>26} {'PyTorch/tapegrad':>18}")
    rows = (("tiny_graph fwd+bwd", "tiny_graph/tapegrad", "tiny_graph/pytorch"),
            ("tiny_graph fwd recorded", "tiny_graph/forward_recorded", "tiny_graph/forward_recorded"),
            ("tiny_graph fwd no grad", "tiny_graph/forward_no_grad", "tiny_graph/forward_no_grad"),
            ("forward_1e6 no grad", "forward_1e6/no_grad", "forward_1e6/no_grad"),
            ("forward_1e6 requires grad", "forward_1e6/requires_grad", "forward_1e6/requires_grad"))
    for label, tname, pname in rows:
        for kind, i in kinds:
            t, p = series(tg, tname, i), series(pt, pname, i)
            ratio = [b / a for a, b in zip(t, p)]
            print(f"{label:30} {kind:5} {fmt_range(t, '8.2f'):>26} {fmt_range(p, '8.2f'):>26} "
                  f"{med(ratio):7.1f}x ({min(ratio):.1f}..{max(ratio):.1f})")
    for kind, i in kinds:
        t = series(tg, "tiny_graph/tapegrad", i)
        p = series(pt, "tiny_graph/pytorch", i)
        ratio = med([b / a for a, b in zip(t, p)])
        print(f"target tiny graph >= 5x faster than PyTorch ({kind}): {ratio:.1f}x -> "
              f"{'MET' if ratio >= 5 else 'MISSED'}")
    for who, runs in (("tapegrad", tg), ("PyTorch", pt)):
        for kind, i in kinds:
            ov = [100 * (a / b - 1) for a, b in zip(series(runs, "forward_1e6/requires_grad", i),
                                                    series(runs, "forward_1e6/no_grad", i))]
            print(f"recording overhead, 1e6 forward, separate benchmarks, {who:8} ({kind}): "
                  f"{med(ov):+6.1f}% ({min(ov):+.1f}..{max(ov):+.1f})")
    for who, runs in (("tapegrad", tg), ("PyTorch", pt)):
        rounds_ = [run["paired"] for run in runs]
        ov, wov = [p[2] for p in rounds_], [p[3] for p in rounds_]
        verdict = f" -> {'MET' if med(ov) < 5 else 'MISSED'} (target < 5%)" if who == "tapegrad" else ""
        detail = ", ".join(f"{a:.0f}/{b:.0f} us" for a, b, _, _ in rounds_)
        print(f"recording overhead, 1e6 forward, paired, {who:8} (cpu): {med(ov):+6.1f}% "
              f"({min(ov):+.1f}..{max(ov):+.1f}){verdict}; wall {med(wov):+.1f}% "
              f"({min(wov):+.1f}..{max(wov):+.1f}); no_grad/requires_grad per round: {detail}")
    print()
EOF
