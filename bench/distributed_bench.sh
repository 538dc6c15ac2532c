#!/usr/bin/env bash
# tapegrad::distributed on one machine (bench/distributed.md has a run and the
# scaling model):
#  1. all_reduce (float SUM) of 1 KiB .. MAX_MIB MiB with 2 ranks: tapegrad's
#     dist::all_reduce beside a raw MPI_Allreduce loop in the same run (ratio
#     tapegrad / raw: 1.00 is parity).
#  2. SGD step time of the MNIST MLP (784-256-10) and of 784-4096-4096-10,
#     global batch 256: 1 rank x 1 thread, 1 rank x 2 threads, and 2 ranks x 1
#     thread with DDP (bucketed, overlapped) and with one all_reduce after
#     backward ("after"), and 2 ranks without communication ("local": the
#     compute alone, the bound for the other two).
#
#   bench/distributed_bench.sh                  # from the repository root
#   BUILD_DIR=build MAX_MIB=256 ROUNDS=5 STEPS=10 bench/distributed_bench.sh
#
# Needs the target distributed_step (configure with -DTAPEGRAD_BUILD_BENCH=ON
# and MPI found). Run as root it passes --allow-run-as-root; --oversubscribe
# always (Open MPI's mpirun).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${BUILD_DIR:-build}
max_mib=${MAX_MIB:-256}
rounds=${ROUNDS:-5}
steps=${STEPS:-10}
cmake --build "$build" -j 2 --target distributed_step >/dev/null
prog="$build/bench/distributed_step"
mpi=(mpirun --oversubscribe)
if [[ "$(id -u)" == 0 ]]; then mpi+=(--allow-run-as-root); fi

echo "# $(date -u +%FT%TZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "## all_reduce, 2 ranks"
"${mpi[@]}" -np 2 "$prog" allreduce "$max_mib" "$rounds"
echo "## SGD steps, global batch 256"
for hidden in 256 4096,4096; do
  "${mpi[@]}" -np 1 "$prog" ddp "$hidden" 256 "$steps" local 1
  "${mpi[@]}" -np 1 "$prog" ddp "$hidden" 256 "$steps" local 2
  for mode in ddp after local; do
    "${mpi[@]}" -np 2 "$prog" ddp "$hidden" 256 "$steps" "$mode" 1
  done
done
