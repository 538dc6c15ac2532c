#!/usr/bin/env bash
# One training step of the 784-256-10 MLP at batch 256 (forward, cross-entropy,
# backward, SGD step) in tapegrad (bench/train_step_bench) and in PyTorch
# (bench/train_step_pytorch.py), in one script run, for N = 1 and 2 threads.
#
#   bench/train_step_compare.sh                    # from the repository root
#   ROUNDS=5 BUILD_DIR=build/bench bench/train_step_compare.sh
#
# Threads. For each N both sides get OMP_NUM_THREADS=N and
# OPENBLAS_NUM_THREADS=1, and PyTorch torch.set_num_threads(N): tapegrad's
# Eigen GEMM runs on OpenMP, PyTorch's intra-op pool too. Debian's PyTorch
# does its GEMMs in OpenBLAS (the pthread build), so with
# OPENBLAS_NUM_THREADS=1 its matrix products stay on one thread whatever N is;
# PyTorch's best use of two cores is therefore measured as well, as the row
# "2 blas": torch.set_num_threads(1), OMP_NUM_THREADS=1 and
# OPENBLAS_NUM_THREADS=2 (never 2 + 2, which oversubscribes). Its ratio is
# against tapegrad's N = 2.
#
# Malloc. Each configuration runs under glibc's default malloc and "pinned"
# (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=32M:trim_threshold=256M). With
# the defaults, the step's large buffers (800 KB gradients, GEMM workspace)
# go back to the kernel and are faulted in again every step; with two threads
# each release also costs a TLB shootdown on the other core
# (bench/train_step.md).
#
# The two sides run one after the other, never at the same time, and take
# turns for ROUNDS rounds; the table shows the median over the rounds of each
# side's median, and the median of the per-round ratios PyTorch/tapegrad
# (> 1: tapegrad is faster), for wall time and for process CPU time (all
# threads; with one thread the steadier measure on a loaded machine).
#
# Environment: BUILD_DIR (build/bench), ROUNDS (3), REPS (5 repetitions per
# round), MIN_TIME (0.5 s per repetition), MALLOC_MODES ("default pinned"),
# PYTHON (/usr/bin/python3, which has torch).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BUILD_DIR=${BUILD_DIR:-build/bench}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-5}
MIN_TIME=${MIN_TIME:-0.5}
MALLOC_MODES=${MALLOC_MODES:-default pinned}
PYTHON=${PYTHON:-/usr/bin/python3}
PINNED_MALLOC="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"

bench_build "$BUILD_DIR" train_step_bench -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF
BENCH="$BUILD_DIR/bench/train_step_bench"
"$PYTHON" -c "import torch" 2>/dev/null || { echo "$PYTHON has no torch" >&2; exit 1; }

bench_tmpdir
OUT=$bench_tmp

bench_header
echo "torch:   $("$PYTHON" -c 'import torch; print(torch.__version__)')"
echo "rounds:  $ROUNDS x ($REPS repetitions of >= ${MIN_TIME}s per benchmark), malloc modes: $MALLOC_MODES"
echo

tapegrad() {  # mode n round
  env ${tunables[@]+"${tunables[@]}"} OMP_NUM_THREADS="$2" OPENBLAS_NUM_THREADS=1 "$BENCH" \
    --benchmark_repetitions="$REPS" --benchmark_min_time="$MIN_TIME" \
    --benchmark_report_aggregates_only=true --benchmark_format=json >"$OUT/tapegrad_$1_$2_$3.json" 2>/dev/null
}
pytorch() {  # mode config torch_threads omp openblas round
  env ${tunables[@]+"${tunables[@]}"} OMP_NUM_THREADS="$4" OPENBLAS_NUM_THREADS="$5" "$PYTHON" \
    bench/train_step_pytorch.py --threads "$3" --repeats "$REPS" --min-time "$MIN_TIME" \
    --json >"$OUT/pytorch_$1_$2_$6.json"
}

for ((r = 1; r <= ROUNDS; ++r)); do
  for mode in $MALLOC_MODES; do
    tunables=()
    [[ $mode == pinned ]] && tunables=("GLIBC_TUNABLES=$PINNED_MALLOC")
    tapegrad "$mode" 1 "$r"
    pytorch "$mode" 1 1 1 1 "$r"
    tapegrad "$mode" 2 "$r"
    pytorch "$mode" 2 2 2 1 "$r"
    pytorch "$mode" 2blas 1 1 2 "$r"
  done
  echo "round $r/$ROUNDS done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) after the run"
echo

"$PYTHON" - "$OUT" "$ROUNDS" $MALLOC_MODES <<'EOF'
import json, statistics, sys
out, rounds, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
med = statistics.median
scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}

def tapegrad(mode, n, r):
    d = json.load(open(f"{out}/tapegrad_{mode}_{n}_{r}.json"))
    res = {}
    for b in d["benchmarks"]:
        # the median aggregate; with REPS=1 there is only the run itself
        if b.get("aggregate_name") == "median" or (b.get("run_type") == "iteration" and "aggregate_name" not in b):
            f = scale[b["time_unit"]]
            name = b["run_name"].removeprefix("BM_").removesuffix("/real_time").removesuffix("/process_time")
            res[name] = (b["real_time"] * f, b["cpu_time"] * f)
    return res

def pytorch(mode, config, r):
    d = json.load(open(f"{out}/pytorch_{mode}_{config}_{r}.json"))
    return {k: (v["median_us"], v["median_cpu_us"]) for k, v in d["results"].items()}

rng = lambda xs: f"{med(xs):8.1f} ({min(xs):.0f}..{max(xs):.0f})"
print("median over the rounds of each round's median (min..max over the rounds); CPU = all threads")
print("threads: N = OMP_NUM_THREADS = torch.set_num_threads, OPENBLAS_NUM_THREADS=1;")
print("         '2 blas' = PyTorch with 1 thread and OPENBLAS_NUM_THREADS=2, against tapegrad's N = 2")
for mode in modes:
    print(f"\n== malloc: {mode}")
    print(f"{'benchmark':20} {'threads':>7} {'time':>5} {'tapegrad us':>22} {'PyTorch us':>22} {'PyTorch/tapegrad':>20}")
    for name in ("train_step/256", "forward_loss/256", "forward_no_grad/256"):
        for config, n in (("1", "1"), ("2", "2"), ("2blas", "2")):
            for kind, i in (("wall", 0), ("CPU", 1)):
                t = [tapegrad(mode, n, r)[name][i] for r in range(1, rounds + 1)]
                p = [pytorch(mode, config, r)[name][i] for r in range(1, rounds + 1)]
                ratio = [b / a for a, b in zip(t, p)]
                label = "2 blas" if config == "2blas" else config
                print(f"{name:20} {label:>7} {kind:>5} {rng(t):>22} {rng(p):>22} "
                      f"{med(ratio):8.2f}x ({min(ratio):.2f}..{max(ratio):.2f})")
EOF
