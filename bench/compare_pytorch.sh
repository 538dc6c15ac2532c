#!/usr/bin/env bash
# The MNIST example next to PyTorch: the identical model, data, batch,
# learning rate and epochs trained by examples/mnist_mlp (--metrics-json) and
# by bench/compare_pytorch.py (Debian's python3-torch; data preloaded as
# tensors, no DataLoader workers), one after the other, never at once.
#
#   bench/compare_pytorch.sh                        # speed, from the repository root
#   ROUNDS=5 EPOCHS=5 DATASET=fashion bench/compare_pytorch.sh
#   MODE=accuracy SEEDS="0 1 2 3 4 5 6 7" DATASET=fashion bench/compare_pytorch.sh
#
# MODE=speed (default). For ROUNDS rounds, each configuration below trains
# EPOCHS epochs on each side. An epoch's time is the training pass (forward,
# loss, backward, step, running loss and accuracy per batch) plus the test-set
# evaluation under no_grad in chunks of 1000, on both sides (mnist_mlp's
# `seconds + eval_seconds`). Per run the median over its epochs; the table
# shows the median over rounds, and the median of the per-round ratios
# tapegrad / PyTorch (< 1: tapegrad is faster). Peak RSS is each process's
# maximum resident set (/usr/bin/time -f %M), median over rounds.
#
# Threads, as bench/train_step.md:
#   1        both: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1, torch threads 1, --threads 1
#   2        both: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1, torch threads 2, --threads 2
#   2 blas   PyTorch's best use of two cores: Debian's torch does its GEMMs in
#            OpenBLAS, so OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=2 with torch
#            threads 1 (never 2 + 2, which oversubscribes); against tapegrad's 2.
#   2p       as 2, with OMP_WAIT_POLICY=passive on both sides: OpenMP workers
#            sleep instead of spinning between parallel regions. On a loaded
#            machine spinning threads wait for partners that are not running
#            (bench/mnist.md); on an idle one passive costs wake-up latency.
#            Since commit bd20937 tapegrad does not use OpenMP (its own pool,
#            Note [Thread pool]), so this only changes PyTorch's side.
#
# MODE=accuracy: trains both sides once per seed in SEEDS with one thread and
# prints each side's final test accuracy per seed and their distribution:
# the d2l recipe's final accuracy moves by about a point from seed to seed.
#
# OpenBLAS's kernel: Debian's torch does its GEMMs in OpenBLAS, which picks
# its kernel for the CPU unless OPENBLAS_CORETYPE names one. Machines here
# set OPENBLAS_CORETYPE=Haswell (AVX2) and OPENBLAS_L2_SIZE in the
# environment, which on an AVX-512 CPU is not PyTorch at its best, so the
# PyTorch side runs with both removed (OPENBLAS_ENV=best, the default) and
# the header prints the kernel OpenBLAS chose; OPENBLAS_ENV=keep leaves them.
#
# Environment: DATA_DIR (data/mnist or data/fashion-mnist), EXAMPLE (mnist_mlp; bench/compare_pytorch_cnn.sh sets mnist_cnn), PY_SCRIPT
# (bench/compare_pytorch.py, the PyTorch side of EXAMPLE), BUILD_DIR (build/release), MODE, OPENBLAS_ENV (best), PRESET (d2l), DATASET (mnist),
# EPOCHS (speed: 5; accuracy: the preset's), ROUNDS (3), THREADS ("1 2 2blas 2p"),
# SEEDS ("0 1 2 3 4"), PYTHON (/usr/bin/python3), OUT_DIR (keep each run's log,
# metrics JSON and peak RSS there; default a temporary directory).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build/release}
MODE=${MODE:-speed}
EXAMPLE=${EXAMPLE:-mnist_mlp}
PY_SCRIPT=${PY_SCRIPT:-bench/compare_pytorch.py}
PRESET=${PRESET:-d2l}
DATASET=${DATASET:-mnist}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-1 2 2blas 2p}
SEEDS=${SEEDS:-0 1 2 3 4}
PYTHON=${PYTHON:-/usr/bin/python3}
OPENBLAS_ENV=${OPENBLAS_ENV:-best}
case "$OPENBLAS_ENV" in
  best) openblas_env=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE) ;;
  keep) openblas_env=() ;;
  *) echo "compare_pytorch.sh: OPENBLAS_ENV must be best or keep, got '$OPENBLAS_ENV'" >&2; exit 2 ;;
esac
case "$MODE" in
  speed) EPOCHS=${EPOCHS:-5} ;;
  accuracy) EPOCHS=${EPOCHS:-} ;;
  *) echo "compare_pytorch.sh: MODE must be speed or accuracy, got '$MODE'" >&2; exit 2 ;;
esac

if ! "$PYTHON" -c "import torch, numpy" 2>/dev/null; then
  echo "compare_pytorch.sh: $PYTHON has no torch (Debian: apt-get install python3-torch); skipping the comparison"
  exit 0
fi
data_dir=data/mnist
[[ $DATASET == fashion ]] && data_dir=data/fashion-mnist
[[ -n ${DATA_DIR:-} ]] && data_dir=$DATA_DIR  # e.g. the main checkout's data/mnist
if [[ ! -d $data_dir ]]; then
  echo "compare_pytorch.sh: no $data_dir; run tools/fetch-data.sh first" >&2
  exit 1
fi
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_TESTS=OFF \
        -DTAPEGRAD_BUILD_BENCH=OFF -DTAPEGRAD_BUILD_EXAMPLES=ON >/dev/null
fi
cmake --build "$BUILD_DIR" --target "$EXAMPLE" -j2 >/dev/null
TG="$BUILD_DIR/examples/$EXAMPLE"

if [[ -n ${OUT_DIR:-} ]]; then  # keep the runs' logs and metrics there
  OUT=$OUT_DIR
  mkdir -p "$OUT"
else
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi

echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(getconf _NPROCESSORS_ONLN) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before the run"
echo "torch:   $("$PYTHON" -c 'import torch; print(torch.__version__)')"
corename=$(env "${openblas_env[@]}" "$PYTHON" -c '
import ctypes, ctypes.util
lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())' 2>/dev/null || echo unknown)
echo "openblas: core $corename for PyTorch (OPENBLAS_ENV=$OPENBLAS_ENV; machine's OPENBLAS_CORETYPE: ${OPENBLAS_CORETYPE:-unset})"
epochs_text=${EPOCHS:-default}
echo "setup:   $EXAMPLE, preset $PRESET, $DATASET, epochs $epochs_text, mode $MODE"

epoch_flag=()
[[ -n ${EPOCHS:-} ]] && epoch_flag=(--epochs "$EPOCHS")

# run SIDE CONFIG ROUND SEED: one training run; metrics in $OUT/SIDE_CONFIG_ROUND_SEED.json,
# peak RSS (KB) in the matching .rss.
run() {
  local side=$1 cfg=$2 round=$3 seed=$4 omp blas n
  case $cfg in
    1) omp=1 blas=1 n=1 ;;
    2) omp=2 blas=1 n=2 ;;
    2blas) omp=1 blas=2 n=1 ;;
    2p) omp=2 blas=1 n=2 ;;
  esac
  local wait=${OMP_WAIT_POLICY:-}
  [[ $cfg == 2p ]] && wait=passive
  local base="$OUT/${side}_${cfg}_${round}_${seed}"
  if [[ $side == tapegrad ]]; then
    if [[ $cfg == 2blas ]]; then  # tapegrad's two-thread run is config 2
      [[ " $THREADS " == *" 2 "* ]] && return 0
      cfg=2 omp=2 base="$OUT/${side}_2_${round}_${seed}"
    fi
    env ${wait:+OMP_WAIT_POLICY=$wait} OMP_NUM_THREADS=$omp OPENBLAS_NUM_THREADS=$blas /usr/bin/time -f %M -o "$base.rss" \
      "$TG" --preset "$PRESET" --dataset "$DATASET" --data "$data_dir" "${epoch_flag[@]}" --seed "$seed" \
      --threads "$omp" --metrics-json "$base.json" >"$base.log" 2>&1
  else
    env "${openblas_env[@]}" ${wait:+OMP_WAIT_POLICY=$wait} OMP_NUM_THREADS=$omp OPENBLAS_NUM_THREADS=$blas \
      /usr/bin/time -f %M -o "$base.rss" "$PYTHON" "$PY_SCRIPT" --preset "$PRESET" --dataset "$DATASET" --data "$data_dir" \
      "${epoch_flag[@]}" --seed "$seed" --threads "$n" --quiet --metrics-json "$base.json" >"$base.log" 2>&1
  fi
}

if [[ $MODE == speed ]]; then
  for ((r = 1; r <= ROUNDS; ++r)); do
    for cfg in $THREADS; do
      # alternate which side goes first, so a drift in load hits both alike
      if (( r % 2 )); then run tapegrad "$cfg" "$r" 42; run pytorch "$cfg" "$r" 42
      else run pytorch "$cfg" "$r" 42; run tapegrad "$cfg" "$r" 42; fi
    done
    echo "round $r/$ROUNDS done, load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
else
  for seed in $SEEDS; do
    run tapegrad 1 1 "$seed"
    run pytorch 1 1 "$seed"
  done
fi
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) after the run"
echo

"$PYTHON" - "$OUT" "$MODE" "$THREADS" <<'EOF'
import glob, json, os, statistics as st, sys
out, mode, threads = sys.argv[1], sys.argv[2], sys.argv[3].split()

def runs(side, cfg):
    res = {}
    for f in glob.glob(f"{out}/{side}_{cfg}_*.json"):
        _, _, rnd, seed = os.path.basename(f)[:-5].rsplit("_", 3)
        j = json.load(open(f))
        ep = [e["seconds"] + e.get("eval_seconds", 0) for e in j["epochs"]]
        rss = int(open(f[:-5] + ".rss").read().split()[-1]) / 1024
        res[(int(rnd), int(seed))] = dict(epoch=st.median(ep) if ep else float("nan"), rss=rss,
                                          acc=j["final_test_acc"])
    return res

if mode == "speed":
    print(f"{'threads':8} {'tapegrad s/epoch':>17} {'PyTorch s/epoch':>16} {'tapegrad/PyTorch':>17} "
          f"{'(min..max)':>13} {'tapegrad RSS MB':>16} {'PyTorch RSS MB':>15}")
    for cfg in threads:
        tg, pt = runs("tapegrad", "2" if cfg == "2blas" else cfg), runs("pytorch", cfg)
        keys = sorted(set(tg) & set(pt))
        if not keys:
            continue
        ratios = [tg[k]["epoch"] / pt[k]["epoch"] for k in keys]
        label = {"2blas": "2 blas", "2p": "2 passive"}.get(cfg, cfg)
        print(f"{label:8} {st.median(tg[k]['epoch'] for k in keys):17.3f} "
              f"{st.median(pt[k]['epoch'] for k in keys):16.3f} {st.median(ratios):16.2f}x "
              f"{'(%.2f..%.2f)' % (min(ratios), max(ratios)):>13} "
              f"{st.median(tg[k]['rss'] for k in keys):16.0f} {st.median(pt[k]['rss'] for k in keys):15.0f}")
else:
    tg, pt = runs("tapegrad", "1"), runs("pytorch", "1")
    seeds = sorted(k[1] for k in tg)
    print(f"{'seed':>5} {'tapegrad':>9} {'PyTorch':>9}")
    for s in seeds:
        print(f"{s:5d} {tg[(1, s)]['acc']:9.4f} {pt.get((1, s), {}).get('acc', float('nan')):9.4f}")
    for name, r in (("tapegrad", tg), ("PyTorch", pt)):
        a = [v["acc"] for v in r.values()]
        if len(a) > 1:
            print(f"{name}: mean {st.mean(a):.4f}, sd {st.stdev(a):.4f}, median {st.median(a):.4f}, "
                  f"min {min(a):.4f}, max {max(a):.4f} over {len(a)} seeds")
EOF
