#!/usr/bin/env bash
# Fuzzes read_idx (raw and gzip IDX parsing) with libFuzzer + ASan + UBSan for
# a bounded time. Not part of ctest; run it by hand or from CI:
#   tools/fuzz-idx.sh            60 seconds
#   tools/fuzz-idx.sh 300        300 seconds
# Env: CXX (default clang++), FUZZ_DIR (default build/fuzz), JOBS (parallel
# fuzzing processes, default 1). Needs clang with libFuzzer (Debian: clang,
# libclang-rt-14-dev) and zlib1g-dev. Exits non-zero when a crash, leak,
# sanitizer report or oversized allocation is found; the reproducer is left
# in $FUZZ_DIR/artifacts/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-60}
cxx=${CXX:-clang++}
fuzz_dir=${FUZZ_DIR:-build/fuzz}
jobs=${JOBS:-1}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: tools/fuzz-idx.sh [SECONDS]" >&2; exit 2; }

mkdir -p "$fuzz_dir/seeds" "$fuzz_dir/corpus" "$fuzz_dir/artifacts"

echo "fuzz-idx: building $fuzz_dir/idx_fuzz with $cxx"
"$cxx" -std=c++20 -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Iinclude tests/fuzz/idx_fuzz.cpp -lz -o "$fuzz_dir/idx_fuzz"

# A small seed corpus: valid files of every type, raw and gzipped, and a few
# near misses.
seeds=$fuzz_dir/seeds
seed() { printf '%b' "$2" > "$seeds/$1"; }
seed u8_1d        '\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02\x03'
seed i8_2d        '\x00\x00\x09\x02\x00\x00\x00\x02\x00\x00\x00\x02\xff\x01\x80\x7f'
seed i16_1d       '\x00\x00\x0b\x01\x00\x00\x00\x02\xff\xfe\x01\x02'
seed i32_1d       '\x00\x00\x0c\x01\x00\x00\x00\x01\x80\x00\x00\x01'
seed f32_1d       '\x00\x00\x0d\x01\x00\x00\x00\x02\x3f\xc0\x00\x00\x7f\x80\x00\x00'
seed f64_1d       '\x00\x00\x0e\x01\x00\x00\x00\x01\x3f\xf8\x00\x00\x00\x00\x00\x00'
seed u8_3d        '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02\x01\x02\x03\x04\x05\x06\x07\x08'
seed empty_dim    '\x00\x00\x08\x02\x00\x00\x00\x00\x00\x00\x10\x00'
seed huge_dims    '\x00\x00\x08\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff'
seed mnist_short  '\x00\x00\x08\x03\x00\x00\xea\x60\x00\x00\x00\x1c\x00\x00\x00\x1c\x00\x00'
seed bad_type     '\x00\x00\x0a\x01\x00\x00\x00\x01\x00'
for f in u8_1d i16_1d f64_1d u8_3d empty_dim mnist_short; do
  gzip -9 -n -c "$seeds/$f" > "$seeds/$f.gz"
done
cat "$seeds/u8_1d.gz" "$seeds/u8_1d.gz" > "$seeds/two_members.gz"
head -c 20 "$seeds/u8_3d.gz" > "$seeds/truncated.gz"

echo "fuzz-idx: fuzzing for ${seconds} s (corpus $fuzz_dir/corpus)"
# malloc_limit_mb: a parse that allocates far more than its input is a bug
# (Note [Reading untrusted IDX files]): inputs are at most 64 KiB, so at most
# ~66 MB of gzip output.
parallel=()
if ((jobs > 1)); then parallel=(-jobs="$jobs" -workers="$jobs"); fi
"$fuzz_dir/idx_fuzz" "$fuzz_dir/corpus" "$seeds" \
  -max_total_time="$seconds" -max_len=65536 -malloc_limit_mb=128 -rss_limit_mb=1024 \
  -timeout=10 -print_final_stats=1 -artifact_prefix="$fuzz_dir/artifacts/" "${parallel[@]}"
echo "fuzz-idx: no crash in ${seconds} s"
