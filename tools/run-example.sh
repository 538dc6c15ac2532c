#!/usr/bin/env bash
# The main command: build one example in Release and run it.
#   tools/run-example.sh [ARGS...]   (ARGS replace the default arguments)
set -euo pipefail

target=tensor_basics        # the example to build and run (examples/<target>.cpp)
default_args=()             # its arguments when none are given
build_dir=build/release

cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/setup-deps.sh

jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$jobs" --target "$target"

if (($# > 0)); then args=("$@"); else args=("${default_args[@]}"); fi
exec "$build_dir/examples/$target" "${args[@]}"
