#!/usr/bin/env bash
# The MNIST example on a busy machine: seconds per epoch of `mnist_mlp` (d2l,
# MNIST) on 1 and 2 threads while 0, 1 or 2 busy loops ("hogs", other
# processes wanting a core each) run next to it. Shows whether the threaded
# kernels degrade gracefully when another process holds a core (Note [Thread
# pool] in include/tapegrad/core/parallel.hpp): two threads should never be
# much slower than one.
#
#   bench/busy_machine.sh                                  # from the repository root
#   ROUNDS=3 HOGS="0 1 2" bench/busy_machine.sh
#   OTHER=/tmp/old/build/examples/mnist_mlp bench/busy_machine.sh   # A/B against another build
#
# Environment: BUILD_DIR (build/release), OTHER (a second mnist_mlp binary to
# run alternately with this tree's, e.g. one built from an older commit),
# ROUNDS (2), EPOCHS (3), HOGS ("0 1 2"), THREADS ("1 2").
# Per run the median over its epochs (training pass + test evaluation), then
# the median over rounds. Needs python3 for the JSON.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BUILD_DIR=${BUILD_DIR:-build/release}
ROUNDS=${ROUNDS:-2}
EPOCHS=${EPOCHS:-3}
HOGS=${HOGS:-0 1 2}
THREADS=${THREADS:-1 2}
this_bin="$BUILD_DIR/examples/mnist_mlp"
bench_build "$BUILD_DIR" mnist_mlp -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_BENCH=OFF
bins=("$this_bin")
if [[ -n "${OTHER:-}" ]]; then
  [[ -x "$OTHER" ]] || { echo "busy_machine: OTHER=$OTHER is not an executable" >&2; exit 1; }
  bins+=("$OTHER")
fi

bench_tmpdir
tmp=$bench_tmp
hog_pids=()
bench_at_exit 'for p in "${hog_pids[@]}"; do kill "$p" 2>/dev/null || true; done'

bench_header
echo "setup:   mnist_mlp --epochs $EPOCHS (d2l, MNIST), $ROUNDS rounds"
for i in "${!bins[@]}"; do echo "binary $i: ${bins[$i]}"; done

results="$tmp/results"
: >"$results"
for hogs in $HOGS; do
  hog_pids=()
  for ((h = 0; h < hogs; h++)); do
    (while :; do :; done) &
    hog_pids+=($!)
  done
  for ((r = 1; r <= ROUNDS; r++)); do
    for i in "${!bins[@]}"; do
      for t in $THREADS; do
        json="$tmp/run.json"
        "${bins[$i]}" --epochs "$EPOCHS" --threads "$t" --metrics-json "$json" >/dev/null
        python3 - "$json" "$hogs" "$i" "$t" >>"$results" <<'EOF'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
s = [e["seconds"] + e.get("eval_seconds", 0) for e in d["epochs"]]
print(sys.argv[2], sys.argv[3], sys.argv[4], statistics.median(s))
EOF
      done
    done
  done
  for p in "${hog_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  hog_pids=()
done

python3 - "$results" "${#bins[@]}" <<'EOF'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    hogs, b, t, s = line.split()
    runs[(int(hogs), int(b), int(t))].append(float(s))
nb = int(sys.argv[2])
head = "hogs  threads" + "".join(f"  binary {b} s/epoch (min..max)" for b in range(nb))
print(); print(head)
for hogs in sorted({k[0] for k in runs}):
    for t in sorted({k[2] for k in runs}):
        cells = []
        for b in range(nb):
            v = runs[(hogs, b, t)]
            cells.append(f"  {statistics.median(v):8.3f} ({min(v):.3f}..{max(v):.3f})   ")
        print(f"{hogs:4d}  {t:7d}" + "".join(cells))
EOF
