#!/usr/bin/env bash
# Compile time and compiler memory of a small tapegrad program against the
# same program written with <Eigen/Dense> alone (bench/compile_time/*.cpp).
#
#   bench/compile_time.sh [N]              N runs per program and level (default 3)
#   bench/compile_time.sh --breakdown [N]  also time TUs that include one header each
#
# Each run is a full compile + link `$CXX -std=c++20 -O0|-O2` measured with
# GNU time (`/usr/bin/time -v`: wall clock, user + system CPU time, and peak
# RSS, which covers cc1plus). Prints the medians of each program and the ratio
# tapegrad / Eigen, then the tapegrad program once more as one translation
# unit of a program built with TAPEGRAD_EXTERN_GEMM. CPU seconds are the
# steadier number on a busy machine (wall time also counts waiting for a
# core). CXX defaults to g++. Runs from any directory. TAPEGRAD_INCLUDE=<dir>
# measures another include/ tree.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/.." && pwd)
cxx=${CXX:-g++}
eigen_include=${EIGEN_INCLUDE:-/usr/include/eigen3}
tapegrad_include=${TAPEGRAD_INCLUDE:-$repo/include}  # another tree of headers to measure

breakdown=0
if [[ "${1:-}" == "--breakdown" ]]; then
  breakdown=1
  shift
fi
runs=${1:-3}
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [--breakdown] [N]   (N >= 1 runs per measurement, default 3)" >&2
  exit 2
fi

if [[ ! -x /usr/bin/time ]]; then
  "$repo/tools/setup-deps.sh" time
fi
if [[ ! -f "$eigen_include/Eigen/Dense" ]]; then
  echo "compile_time: no Eigen at $eigen_include (set EIGEN_INCLUDE)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# median of the numbers on stdin (mean of the middle two for an even count)
median() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) printf "%.3f", v[(NR + 1) / 2];
    else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure SRC OPT [extra flags...]: runs the compile $runs times and sets the
# medians med_wall (s), med_cpu (user + system s) and med_rss (MiB).
measure() {
  local src=$1 opt=$2
  shift 2
  local walls=() cpus=() rsss=() i log="$work/time.log"
  for ((i = 0; i < runs; i++)); do
    if ! /usr/bin/time -v -o "$log" "$cxx" -std=c++20 "$opt" -I"$tapegrad_include" -I"$eigen_include" \
        "$@" "$src" -o "$work/a.out" 2>"$work/cc.err"; then
      echo "compile_time: compiling $src failed:" >&2
      cat "$work/cc.err" >&2
      exit 1
    fi
    # "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:01.23"
    walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
                for (j = 1; j <= n; j++) s = s * 60 + p[j]; print s }' "$log")")
    cpus+=("$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$log")")
    rsss+=("$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$log")")
  done
  med_wall=$(printf '%s\n' "${walls[@]}" | median)
  med_cpu=$(printf '%s\n' "${cpus[@]}" | median)
  med_rss=$(printf '%s\n' "${rsss[@]}" | median)
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
row() { printf '%-34s %10s %10s %16s\n' "$@"; }

echo "compile_time: $("$cxx" --version | head -n1), $runs run(s) each, medians"
echo "  load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "full compile + link of bench/compile_time/{tapegrad,eigen}_program.cpp"
row "opt / program" "wall [s]" "CPU [s]" "peak RSS [MiB]"
declare -A eigen_meds  # opt -> "wall cpu rss" of the Eigen program
for opt in -O0 -O2; do
  measure "$script_dir/compile_time/tapegrad_program.cpp" "$opt"
  tg=("$med_wall" "$med_cpu" "$med_rss")
  measure "$script_dir/compile_time/eigen_program.cpp" "$opt"
  eg=("$med_wall" "$med_cpu" "$med_rss")
  eigen_meds[$opt]="${eg[*]}"
  row "$opt tapegrad" "${tg[@]}"
  row "$opt eigen" "${eg[@]}"
  row "$opt ratio tapegrad/eigen" "$(ratio "${tg[0]}" "${eg[0]}")" "$(ratio "${tg[1]}" "${eg[1]}")" \
    "$(ratio "${tg[2]}" "${eg[2]}")"
done

# The same program as one translation unit of a program built with
# TAPEGRAD_EXTERN_GEMM (Note [Extern GEMM] in kernels/gemm.hpp): kernels::gemm
# is compiled once, in another translation unit (built here before timing),
# and linked in.
echo
echo "the tapegrad program with -DTAPEGRAD_EXTERN_GEMM, linked against a prebuilt kernels::gemm"
row "opt / program" "wall [s]" "CPU [s]" "peak RSS [MiB]"
printf '#include <tapegrad/kernels/gemm_instantiate.hpp>\n' >"$work/gemm_instances.cpp"
for opt in -O0 -O2; do
  if ! "$cxx" -std=c++20 "$opt" -I"$tapegrad_include" -I"$eigen_include" -c "$work/gemm_instances.cpp" \
      -o "$work/gemm_instances.o" 2>"$work/cc.err"; then
    echo "compile_time: compiling the gemm instantiations failed:" >&2
    cat "$work/cc.err" >&2
    exit 1
  fi
  measure "$script_dir/compile_time/tapegrad_program.cpp" "$opt" -DTAPEGRAD_EXTERN_GEMM "$work/gemm_instances.o"
  row "$opt tapegrad, extern gemm" "$med_wall" "$med_cpu" "$med_rss"
  read -r -a eg <<<"${eigen_meds[$opt]}"
  row "$opt ratio to eigen (above)" "$(ratio "$med_wall" "${eg[0]}")" "$(ratio "$med_cpu" "${eg[1]}")" \
    "$(ratio "$med_rss" "${eg[2]}")"
done

if ((breakdown)); then
  echo
  echo "breakdown at -O0: a TU including one header (+ <iostream>) with an empty main, -c"
  row "header" "wall [s]" "CPU [s]" "peak RSS [MiB]"
  headers=(
    "<iostream>"
    "<Eigen/Core>"
    "<Eigen/Dense>"
    "<tapegrad/core/shape.hpp>"
    "<tapegrad/core/generator.hpp>"
    "<tapegrad/tensor/tensor.hpp>"
    "<tapegrad/tensor/factory.hpp>"
    "<tapegrad/tensor/map.hpp>"
    "<tapegrad/ops/elementwise.hpp>"
    "<tapegrad/ops/reduce.hpp>"
    "<tapegrad/ops/matmul.hpp>"
    "<tapegrad/autograd/engine.hpp>"
    "<tapegrad/gradcheck.hpp>"
    "<tapegrad/nn/layers.hpp>"
    "<tapegrad/optim/adam.hpp>"
    "<tapegrad/tapegrad.hpp>"
  )
  for h in "${headers[@]}"; do
    printf '#include <iostream>\n#include %s\nint main() { return 0; }\n' "$h" >"$work/tu.cpp"
    measure "$work/tu.cpp" -O0 -c
    row "$h" "$med_wall" "$med_cpu" "$med_rss"
  done

  # Both programs with their matrix product swapped for an elementwise one:
  # what instantiating the matmul family (tapegrad) or Eigen's GEMM costs, and
  # what is left for the rest (views, elementwise ops, autograd, sum).
  echo
  echo "breakdown: both programs with and without their matrix product, compile only (-c)"
  sed 's/tapegrad::matmul(a, b)/a * b/' "$script_dir/compile_time/tapegrad_program.cpp" \
    >"$work/no_matmul.cpp"
  sed 's/Matrix c = a \* b;/Matrix c = a.cwiseProduct(b);/' "$script_dir/compile_time/eigen_program.cpp" \
    >"$work/eigen_no_product.cpp"
  if cmp -s "$work/no_matmul.cpp" "$script_dir/compile_time/tapegrad_program.cpp" ||
     cmp -s "$work/eigen_no_product.cpp" "$script_dir/compile_time/eigen_program.cpp"; then
    echo "compile_time: could not remove the matrix product from the programs" >&2
    exit 1
  fi
  row "program" "wall [s]" "CPU [s]" "peak RSS [MiB]"
  for opt in -O0 -O2; do
    measure "$script_dir/compile_time/tapegrad_program.cpp" "$opt" -c
    row "$opt tapegrad with matmul" "$med_wall" "$med_cpu" "$med_rss"
    measure "$work/no_matmul.cpp" "$opt" -c
    tg=("$med_wall" "$med_cpu" "$med_rss")
    row "$opt tapegrad without matmul" "${tg[@]}"
    measure "$script_dir/compile_time/eigen_program.cpp" "$opt" -c
    row "$opt eigen with product" "$med_wall" "$med_cpu" "$med_rss"
    measure "$work/eigen_no_product.cpp" "$opt" -c
    eg=("$med_wall" "$med_cpu" "$med_rss")
    row "$opt eigen without product" "${eg[@]}"
    row "$opt ratio without products" "$(ratio "${tg[0]}" "${eg[0]}")" "$(ratio "${tg[1]}" "${eg[1]}")" \
      "$(ratio "${tg[2]}" "${eg[2]}")"
  done
fi
