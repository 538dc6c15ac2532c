#!/usr/bin/env bash
# The main command: from a fresh Debian machine to a trained MNIST model.
#   tools/train-mnist.sh [mnist_mlp flags...]     e.g. --preset fc500 --dataset fashion
# 1. installs missing Debian packages (as root; else prints the command),
# 2. fetches and checksums the data set (tools/fetch-data.sh),
# 3. builds examples/mnist_mlp in Release (-O3 -march=native, OpenMP),
# 4. runs it with the given flags (defaults: the d2l tutorial on MNIST).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

dataset=mnist
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
  case "${args[i]}" in
    --help|-h) dataset=none ;;
    --dataset) dataset=${args[i + 1]:-mnist} ;;
    --data) dataset=none ;;  # the user names the directory
  esac
done

tools/setup-deps.sh g++ cmake make libeigen3-dev zlib1g-dev libomp-dev
case "$dataset" in
  mnist) tools/fetch-data.sh --mnist-only ;;
  fashion) tools/fetch-data.sh --fashion-only ;;
esac

build_dir=build/release
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_TESTS=OFF \
  -DTAPEGRAD_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j "$jobs" --target mnist_mlp
exec "$build_dir/examples/mnist_mlp" "$@"
