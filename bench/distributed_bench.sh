#!/usr/bin/env bash
# tapegrad::distributed on one machine (bench/distributed.md has a run and the
# scaling model):
#  1. all_reduce (float SUM) of 1 KiB .. MAX_MIB MiB with 2 ranks: tapegrad's
#     dist::all_reduce and DDP's ring all-reduce beside a raw MPI_Allreduce
#     loop in the same run, taking turns (ratios to raw: 1.00 is parity).
#  2. SGD step time of the MNIST MLP (784-256-10) and of 784-4096-4096-10,
#     global batch 256: 1 rank x 1 thread, 1 rank x 2 threads, and 2 ranks x 1
#     thread with DDP (bucketed, overlapped) and with one all_reduce after
#     backward ("after"), and 2 ranks without communication ("local": the
#     compute alone, the bound for the other two).
#  3. MNIST, 1 rank vs 2 ranks: examples/mnist_mlp (d2l preset, seed SEED,
#     one thread a rank) for MNIST_EPOCHS epochs with a global batch of 256,
#     as 1 rank --distributed --batch-size 256 and as 2 ranks --distributed
#     --batch-size 128 (DistributedSampler + DDP), and the two runs' train
#     loss, train and test accuracy epoch by epoch with their relative
#     difference. (1 rank goes through --distributed too, so that both runs
#     draw the DistributedSampler's permutation: the 2 ranks' batches b
#     together are then exactly the 1 rank's batch b.)
#
#   bench/distributed_bench.sh                  # from the repository root
#   BUILD_DIR=build MAX_MIB=256 ROUNDS=5 STEPS=10 bench/distributed_bench.sh
#   PARTS=mnist MNIST_EPOCHS=5 bench/distributed_bench.sh   # only part 3
#
# Needs the targets distributed_step and mnist_mlp (configure with
# -DTAPEGRAD_BUILD_BENCH=ON -DTAPEGRAD_BUILD_EXAMPLES=ON and MPI found) and,
# for part 3, the MNIST files in data/ (tools/fetch-data.sh). Run as root it
# passes --allow-run-as-root; --oversubscribe always (Open MPI's mpirun).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${BUILD_DIR:-build}
max_mib=${MAX_MIB:-256}
rounds=${ROUNDS:-5}
steps=${STEPS:-10}
parts=${PARTS:-allreduce steps mnist}
mnist_epochs=${MNIST_EPOCHS:-3}
seed=${SEED:-0}
prog="$build/bench/distributed_step"
mpi=(mpirun --oversubscribe)
if [[ "$(id -u)" == 0 ]]; then mpi+=(--allow-run-as-root); fi
has() { [[ " $parts " == *" $1 "* ]]; }

echo "# $(date -u +%FT%TZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
if has allreduce || has steps; then cmake --build "$build" -j 2 --target distributed_step >/dev/null; fi
if has allreduce; then
  echo "## all_reduce, 2 ranks"
  "${mpi[@]}" -np 2 "$prog" allreduce "$max_mib" "$rounds"
fi
if has steps; then
  echo "## SGD steps, global batch 256"
  for hidden in 256 4096,4096; do
    "${mpi[@]}" -np 1 "$prog" ddp "$hidden" 256 "$steps" local 1
    "${mpi[@]}" -np 1 "$prog" ddp "$hidden" 256 "$steps" local 2
    for mode in ddp after local; do
      "${mpi[@]}" -np 2 "$prog" ddp "$hidden" 256 "$steps" "$mode" 1
    done
  done
fi
if has mnist; then
  cmake --build "$build" -j 2 --target mnist_mlp >/dev/null
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  common=(--epochs "$mnist_epochs" --seed "$seed" --threads 1)
  echo "## MNIST MLP (d2l preset, seed $seed), global batch 256: 1 rank x 256 vs 2 ranks x 128"
  "${mpi[@]}" -np 1 "$build/examples/mnist_mlp" --distributed --batch-size 256 "${common[@]}" \
    --metrics-json "$out/np1.json" >"$out/np1.txt"
  "${mpi[@]}" -np 2 "$build/examples/mnist_mlp" --distributed --batch-size 128 "${common[@]}" \
    --metrics-json "$out/np2.json" >"$out/np2.txt"
  python3 - "$out/np1.json" "$out/np2.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["epochs"] for p in sys.argv[1:3])
print("%5s %-10s %14s %14s %10s" % ("epoch", "metric", "1 rank", "2 ranks", "rel diff"))
worst = 0.0
for ea, eb in zip(a, b):
    for k in ("train_loss", "train_acc", "test_acc"):
        d = abs(ea[k] - eb[k]) / max(abs(ea[k]), 1e-30)
        worst = max(worst, d)
        print("%5d %-10s %14.9f %14.9f %10.2e" % (ea["epoch"], k, ea[k], eb[k], d))
print("largest relative difference: %.2e; seconds per epoch: 1 rank %.1f, 2 ranks %.1f"
      % (worst, sum(e["seconds"] for e in a) / len(a), sum(e["seconds"] for e in b) / len(b)))
PY
fi
