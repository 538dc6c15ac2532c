#!/usr/bin/env bash
# The CNN example next to PyTorch: examples/mnist_cnn against
# bench/compare_pytorch_cnn.py (the identical network, data, optimizer, batch,
# schedule and epochs), run by bench/compare_pytorch.sh, whose header explains
# the rounds, timing, peak RSS and the MODE=accuracy variant.
#
#   bench/compare_pytorch_cnn.sh                                   # lenet5, 1 and 2 threads
#   PRESET=pytorch-example EPOCHS=1 ROUNDS=3 bench/compare_pytorch_cnn.sh
#
# Threads: PyTorch 1.13 runs the convolutions and pooling in oneDNN on
# OpenMP's threads (OMP_NUM_THREADS, torch.set_num_threads) and only the
# Linear layers in OpenBLAS, so its best use of two cores is config 2
# (OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1), or 2p (the same with
# OMP_WAIT_POLICY=passive) on a loaded machine, where spinning OpenMP workers
# wait for partners that are not running (bench/conv.md). "2blas"
# (OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=2) leaves the convolutions on one
# thread; it is not in the default THREADS.
set -euo pipefail
cd "$(dirname "$0")/.."
export EXAMPLE=mnist_cnn PY_SCRIPT=bench/compare_pytorch_cnn.py
export PRESET=${PRESET:-lenet5} THREADS=${THREADS:-1 2 2p}
# Speed: PRESET (or a list in PRESETS) on DATASET (or DATASETS), results in
# bench/results/compare_pytorch_cnn.json (JSON= for none).
export PRESETS=${PRESETS:-$PRESET} DATASETS=${DATASETS:-${DATASET:-mnist}}
export JSON=${JSON-bench/results/compare_pytorch_cnn.json}
exec bench/compare_pytorch.sh "$@"
