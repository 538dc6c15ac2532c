#!/usr/bin/env bash
# Fuzzes tapegrad's file readers with libFuzzer + ASan + UBSan for a bounded
# time each. The fuzz stage of tools/run-tests.sh runs it with 60 s a target;
# run it by hand for longer:
#   tools/fuzz.sh                     every target, 60 s each
#   tools/fuzz.sh 300                 every target, 5 minutes each (the local run)
#   tools/fuzz.sh 300 npy idx         some targets
# Targets (tests/fuzz/<target>_fuzz.cpp):
#   idx          data::read_idx_bytes: IDX headers, raw and gzip
#   npy          io::load_npy_any: .npy header dict, Fortran order, data size
#   safetensors  io::load_safetensors and nn::load: JSON header, offsets, names
# Each starts from its committed seed corpus, tests/fuzz/corpus/<target>/
# (written by tools/gen_fuzz_corpus.py; the repro-* files are issue 31's
# reproducers, so they run first as regression inputs), and keeps what it
# finds in $FUZZ_DIR/<target>/corpus (not committed).
# Env: CXX (default clang++), FUZZ_DIR (default build/fuzz), FUZZ_PARALLEL
# (targets built and fuzzed at once, default: the number of cores), FUZZ_JOBS
# (parallel fuzzing processes per target, default 1; not JOBS, which
# run-tests.sh's callers set for the compiler). Needs clang with libFuzzer
# (Debian: clang, libclang-rt-14-dev) and zlib1g-dev. Exits non-zero when a
# crash, leak, sanitizer report, timeout or oversized allocation is found;
# the reproducer is left in $FUZZ_DIR/<target>/artifacts/. Prints each
# target's figures (executions, coverage) at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

seconds=${1:-60}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: tools/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2; }
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then targets=(idx npy safetensors); fi
cxx=${CXX:-clang++}
fuzz_dir=${FUZZ_DIR:-build/fuzz}
jobs=${FUZZ_JOBS:-1}
# the io targets include the tensor headers, hence Eigen
read -r -a eigen_flags <<<"$(pkg-config --cflags eigen3 2>/dev/null || echo -I/usr/include/eigen3)"

# Targets build and fuzz side by side, FUZZ_PARALLEL at a time (default: the
# number of cores): on the CI's 2 cores, 60 s a target costs 2 minutes of
# fuzzing, not 3. Each target's output goes to its own log, printed in order.
parallel_targets=${FUZZ_PARALLEL:-$(nproc 2>/dev/null || echo 1)}
[[ "$parallel_targets" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: FUZZ_PARALLEL must be a positive integer" >&2; exit 2; }
for target in "${targets[@]}"; do
  [[ -f tests/fuzz/${target}_fuzz.cpp ]] || { echo "fuzz: no target '$target' (tests/fuzz/${target}_fuzz.cpp)" >&2; exit 2; }
done

# fuzz_one TARGET: builds and fuzzes one target; its messages go to
# $fuzz_dir/TARGET/stage.txt, its summary line to $fuzz_dir/TARGET/summary.txt.
fuzz_one() {
  local target=$1
  local src=tests/fuzz/${target}_fuzz.cpp dir=$fuzz_dir/$target
  mkdir -p "$dir/corpus" "$dir/artifacts"
  rm -f "$dir"/fuzz-*.log "$dir/summary.txt"
  local abs
  abs=$(cd "$dir" && pwd)
  echo "fuzz: building $dir/${target}_fuzz with $cxx"
  "$cxx" -std=c++20 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -Iinclude "${eigen_flags[@]}" "$src" -lz -pthread -o "$dir/${target}_fuzz" || return 1
  local dict=()
  if [[ -f tests/fuzz/$target.dict ]]; then dict=(-dict="$root/tests/fuzz/$target.dict"); fi
  local parallel=()
  if ((jobs > 1)); then parallel=(-jobs="$jobs" -workers="$jobs"); fi
  echo "fuzz: $target for ${seconds} s (corpus $dir/corpus + tests/fuzz/corpus/$target)"
  # malloc_limit_mb: a parse that allocates far more than its input is a bug
  # (inputs are at most 64 KiB; gzip output at most ~66 MB of it).
  # Run in $dir: with FUZZ_JOBS > 1 libFuzzer writes its workers' logs
  # (fuzz-N.log) to the working directory.
  local rc=0
  (cd "$abs" && "$abs/${target}_fuzz" "$abs/corpus" "$root/tests/fuzz/corpus/$target" "${dict[@]}" \
    -max_total_time="$seconds" -max_len=65536 -malloc_limit_mb=256 -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$abs/artifacts/" "${parallel[@]}") \
    >"$dir/log.txt" 2>&1 || rc=$?
  local logs=("$dir/log.txt")
  if ((jobs > 1)); then logs=("$dir"/fuzz-*.log); fi
  grep -hE "^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::(number_of_executed_units|peak_rss_mb))" "${logs[@]}" || true
  if ((rc != 0)); then
    echo "fuzz: $target FAILED (exit $rc); log $dir/log.txt, reproducer in $dir/artifacts/"
    tail -40 "$dir/log.txt"
    return 1
  fi
  # executions summed over the workers; coverage: the largest a worker reached
  local execs cov ft
  execs=$(grep -ho 'stat::number_of_executed_units: *[0-9]*' "${logs[@]}" | awk '{n += $2} END {print n + 0}')
  cov=$(grep -hE '^#[0-9]+[[:space:]]+DONE' "${logs[@]}" | grep -o 'cov: [0-9]*' | sort -k2 -n | tail -1 || true)
  ft=$(grep -hE '^#[0-9]+[[:space:]]+DONE' "${logs[@]}" | grep -o 'ft: [0-9]*' | sort -k2 -n | tail -1 || true)
  echo "  $target: ${seconds} s, $execs executions, $cov edges, $ft features, $(ls "$dir/corpus" | wc -l) corpus files found" \
    >"$dir/summary.txt"
}

declare -A pid_of=()
running=0
failed=0
for target in "${targets[@]}"; do
  if ((running >= parallel_targets)); then
    wait -n || failed=1
    running=$((running - 1))
  fi
  mkdir -p "$fuzz_dir/$target"
  fuzz_one "$target" >"$fuzz_dir/$target/stage.txt" 2>&1 &
  pid_of[$target]=$!
  running=$((running + 1))
done
for target in "${targets[@]}"; do
  wait "${pid_of[$target]}" || failed=1
  cat "$fuzz_dir/$target/stage.txt"
done
if ((failed)); then
  for target in "${targets[@]}"; do
    [[ -f "$fuzz_dir/$target/summary.txt" ]] || echo "fuzz: $target FAILED (see above)" >&2
  done
  exit 1
fi
echo "fuzz: no crash"
for target in "${targets[@]}"; do cat "$fuzz_dir/$target/summary.txt"; done
