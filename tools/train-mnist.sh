#!/usr/bin/env bash
# The main command: from a fresh Debian machine to a trained MNIST model.
#   tools/train-mnist.sh [mnist_mlp flags...]     e.g. --preset fc500 --dataset fashion
# 1. installs missing Debian packages (as root; else prints the command),
# 2. fetches and checksums the data set (tools/fetch-data.sh),
# 3. builds examples/mnist_mlp in Release (-O3 -march=native),
# 4. runs it with the given flags (defaults: the d2l tutorial on MNIST).
# Paths given to --data, --save, --load, --plot and --metrics-json are taken
# relative to the directory the command is run from, as any command's are
# (the script itself works from the repository root).
set -euo pipefail
caller_dir=$PWD
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# abs PATH: PATH relative to the caller's directory, unless already absolute
abs() {
  if [[ $1 == /* ]]; then printf '%s' "$1"; else printf '%s' "$caller_dir/$1"; fi
}
is_path_flag() {
  case "$1" in --data|--save|--load|--plot|--metrics-json) return 0 ;; *) return 1 ;; esac
}

dataset=mnist
args=()
in=("$@")
for ((i = 0; i < ${#in[@]}; ++i)); do
  a=${in[i]}
  if [[ $a == --*=* ]]; then  # --flag=value
    flag=${a%%=*} value=${a#*=}
  else
    flag=$a value=${in[i + 1]-}
  fi
  case "$flag" in
    --help|-h) dataset=none ;;
    --dataset) dataset=${value:-mnist} ;;
    --data) dataset=none ;;  # the user names the directory
  esac
  if is_path_flag "$flag" && [[ -n $value ]]; then
    args+=("$flag" "$(abs "$value")")
    [[ $a == --*=* ]] || ((++i))
  else
    args+=("$a")
  fi
done

tools/setup-deps.sh g++ cmake make libeigen3-dev zlib1g-dev
case "$dataset" in
  mnist) tools/fetch-data.sh --mnist-only ;;
  fashion) tools/fetch-data.sh --fashion-only ;;
esac

build_dir=build/release
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_TESTS=OFF \
  -DTAPEGRAD_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j "$jobs" --target mnist_mlp
exec "$build_dir/examples/mnist_mlp" ${args[@]+"${args[@]}"}
