#!/usr/bin/env bash
# The MNIST example next to PyTorch: the identical model, data, batch,
# learning rate and epochs trained by examples/mnist_mlp (--metrics-json) and
# by bench/compare_pytorch.py (Debian's python3-torch; data preloaded as
# tensors, no DataLoader workers), one after the other, never at once.
#
#   bench/compare_pytorch.sh                        # speed: every preset on both data sets
#   ROUNDS=5 EPOCHS=5 PRESETS=fc500 DATASETS=fashion bench/compare_pytorch.sh
#   MODE=accuracy SEEDS="0 1 2 3 4 5 6 7" DATASET=fashion bench/compare_pytorch.sh
#
# MODE=speed runs every preset of PRESETS (d2l fc500 best) on every data set
# of DATASETS (mnist fashion) and writes a summary to JSON
# (bench/results/compare_pytorch.json, by bench/compare_pytorch_json.py;
# JSON= for none): date, CPU, load, versions, and per preset, data set and
# thread count both sides' figures from this run, PyTorch at its fastest
# setting for that thread count (see Threads).
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
# Threads, as bench/train_step.md (default THREADS="1 2 2blas"; the JSON
# puts tapegrad's 2 against the fastest of PyTorch's 2, 2blas and 2p run):
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
# Which BLAS: Debian's torch links libblas.so.3, which is whatever provides
# it (update-alternatives): OpenBLAS when libopenblas0 is installed, else the
# reference (netlib) BLAS, tens of times slower, which is not PyTorch at its
# best. TORCH_LIB_DIR=DIR puts DIR first on the PyTorch side's
# LD_LIBRARY_PATH, e.g. an OpenBLAS unpacked without installing it:
#   apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb build/openblas
#   TORCH_LIB_DIR=$PWD/build/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread bench/compare_pytorch.sh
# The header prints the BLAS library and OpenBLAS core PyTorch gets.
#
# OpenBLAS's kernel: Debian's torch does its GEMMs in OpenBLAS, which picks
# its kernel for the CPU unless OPENBLAS_CORETYPE names one. Machines here
# set OPENBLAS_CORETYPE=Haswell (AVX2) and OPENBLAS_L2_SIZE in the
# environment, which on an AVX-512 CPU is not PyTorch at its best, so the
# PyTorch side runs with both removed (OPENBLAS_ENV=best, the default) and
# the header prints the kernel OpenBLAS chose; OPENBLAS_ENV=keep leaves them.
#
# Environment: BUILD_DIR (build/release), MODE, OPENBLAS_ENV (best), PRESETS ("d2l fc500 best"),
# DATASETS ("mnist fashion"), PRESET and DATASET (the accuracy mode's; d2l, mnist), DATA_ROOT (data),
# EPOCHS (speed: 3; accuracy: the preset's), ROUNDS (3), THREADS ("1 2 2blas"), JSON,
# SEEDS ("0 1 2 3 4"), PYTHON (/usr/bin/python3), TORCH_LIB_DIR, OUT_DIR (keep each run's log,
# metrics JSON and peak RSS there; default a temporary directory). EXAMPLE (mnist_mlp;
# bench/compare_pytorch_cnn.sh sets mnist_cnn), PY_SCRIPT (bench/compare_pytorch.py, the PyTorch
# side of EXAMPLE), DATA_DIR (one data set's directory, in place of DATA_ROOT's).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build/release}
MODE=${MODE:-speed}
PRESET=${PRESET:-d2l}
DATASET=${DATASET:-mnist}
EXAMPLE=${EXAMPLE:-mnist_mlp}
PY_SCRIPT=${PY_SCRIPT:-bench/compare_pytorch.py}
if [[ $MODE == accuracy ]]; then
  PRESETS=$PRESET DATASETS=$DATASET JSON=
else
  PRESETS=${PRESETS:-d2l fc500 best}
  DATASETS=${DATASETS:-mnist fashion}
  JSON=${JSON-bench/results/compare_pytorch.json}
fi
DATA_ROOT=${DATA_ROOT:-data}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-1 2 2blas}
SEEDS=${SEEDS:-0 1 2 3 4}
PYTHON=${PYTHON:-/usr/bin/python3}
OPENBLAS_ENV=${OPENBLAS_ENV:-best}
case "$OPENBLAS_ENV" in
  best) openblas_env=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE) ;;
  keep) openblas_env=() ;;
  *) echo "compare_pytorch.sh: OPENBLAS_ENV must be best or keep, got '$OPENBLAS_ENV'" >&2; exit 2 ;;
esac
case "$MODE" in
  speed) EPOCHS=${EPOCHS:-3} ;;
  accuracy) EPOCHS=${EPOCHS:-} ;;
  *) echo "compare_pytorch.sh: MODE must be speed or accuracy, got '$MODE'" >&2; exit 2 ;;
esac

if ! "$PYTHON" -c "import torch, numpy" 2>/dev/null; then
  echo "compare_pytorch.sh: $PYTHON has no torch (Debian: apt-get install python3-torch); skipping the comparison"
  exit 0
fi
data_dir_of() { if [[ -n ${DATA_DIR:-} ]]; then echo "$DATA_DIR"; elif [[ $1 == fashion ]]; then echo "$DATA_ROOT/fashion-mnist"; else echo "$DATA_ROOT/mnist"; fi; }
for dataset in $DATASETS; do
  if [[ ! -d $(data_dir_of "$dataset") ]]; then
    echo "compare_pytorch.sh: no $(data_dir_of "$dataset"); run tools/fetch-data.sh first (or set DATA_ROOT)" >&2
    exit 1
  fi
done
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_TESTS=OFF \
        -DTAPEGRAD_BUILD_BENCH=OFF >/dev/null
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

date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cpu_model="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), model $(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' '))"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
torch_version=$("$PYTHON" -c 'import torch; print(torch.__version__)')
echo "date:    $date_utc"
echo "machine: $(getconf _NPROCESSORS_ONLN) cpus, $cpu_model"
echo "load:    $load_before (1, 5, 15 min) before the run"
echo "torch:   $torch_version"
if [[ -n ${TORCH_LIB_DIR:-} ]]; then
  openblas_env+=(LD_LIBRARY_PATH="$TORCH_LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
fi
# the libblas.so.3 torch loads, and its OpenBLAS core ("none" if it is not OpenBLAS)
read -r blas_lib corename < <(env "${openblas_env[@]}" "$PYTHON" -c '
import ctypes, torch
path = next((l.split()[-1] for l in open("/proc/self/maps") if "libblas.so" in l), "unknown")
try:
    lib = ctypes.CDLL("libblas.so.3")
    lib.openblas_get_corename.restype = ctypes.c_char_p
    core = lib.openblas_get_corename().decode()
except (OSError, AttributeError):
    core = "none"
print(path, core)' 2>/dev/null || echo unknown unknown)
echo "blas:    PyTorch's libblas.so.3 is $blas_lib"
[[ $corename == none ]] && echo "warning: PyTorch's BLAS is not OpenBLAS (reference BLAS?); see TORCH_LIB_DIR above" >&2
echo "openblas: core $corename for PyTorch (OPENBLAS_ENV=$OPENBLAS_ENV; machine's OPENBLAS_CORETYPE: ${OPENBLAS_CORETYPE:-unset})"
epochs_text=${EPOCHS:-default}
echo "setup:   $EXAMPLE, presets $PRESETS, data sets $DATASETS, epochs $epochs_text, mode $MODE"

epoch_flag=()
[[ -n ${EPOCHS:-} ]] && epoch_flag=(--epochs "$EPOCHS")

# run SIDE CONFIG ROUND SEED: one training run of $preset on $dataset; metrics in
# $OUT/SIDE_PRESET_DATASET_CONFIG_ROUND_SEED.json, peak RSS (KB) in the matching .rss.
run() {
  local side=$1 cfg=$2 round=$3 seed=$4 omp blas n data_dir
  data_dir=$(data_dir_of "$dataset")
  case $cfg in
    1) omp=1 blas=1 n=1 ;;
    2) omp=2 blas=1 n=2 ;;
    2blas) omp=1 blas=2 n=1 ;;
    2p) omp=2 blas=1 n=2 ;;
  esac
  local wait=${OMP_WAIT_POLICY:-}
  [[ $cfg == 2p ]] && wait=passive
  local base="$OUT/${side}_${preset}_${dataset}_${cfg}_${round}_${seed}"
  if [[ $side == tapegrad ]]; then
    if [[ $cfg == 2blas ]]; then  # tapegrad's two-thread run is config 2
      [[ " $THREADS " == *" 2 "* ]] && return 0
      cfg=2 omp=2 base="$OUT/${side}_${preset}_${dataset}_2_${round}_${seed}"
    fi
    env ${wait:+OMP_WAIT_POLICY=$wait} OMP_NUM_THREADS=$omp OPENBLAS_NUM_THREADS=$blas /usr/bin/time -f %M -o "$base.rss" \
      "$TG" --preset "$preset" --dataset "$dataset" --data "$data_dir" "${epoch_flag[@]}" --seed "$seed" \
      --threads "$omp" --metrics-json "$base.json" >"$base.log" 2>&1
  else
    env "${openblas_env[@]}" ${wait:+OMP_WAIT_POLICY=$wait} OMP_NUM_THREADS=$omp OPENBLAS_NUM_THREADS=$blas \
      /usr/bin/time -f %M -o "$base.rss" "$PYTHON" "$PY_SCRIPT" --preset "$preset" --dataset "$dataset" --data "$data_dir" \
      "${epoch_flag[@]}" --seed "$seed" --threads "$n" --quiet --metrics-json "$base.json" >"$base.log" 2>&1
  fi
}

case_loads=()
if [[ $MODE == speed ]]; then
  for ((r = 1; r <= ROUNDS; ++r)); do
    for preset in $PRESETS; do
      for dataset in $DATASETS; do
        for cfg in $THREADS; do
          # alternate which side goes first, so a drift in load hits both alike
          if (( r % 2 )); then run tapegrad "$cfg" "$r" 42; run pytorch "$cfg" "$r" 42
          else run pytorch "$cfg" "$r" 42; run tapegrad "$cfg" "$r" 42; fi
        done
        case_loads+=("$(cut -d' ' -f1 /proc/loadavg)")
      done
    done
    echo "round $r/$ROUNDS done, load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
else
  preset=$PRESET dataset=$DATASET
  for seed in $SEEDS; do
    run tapegrad 1 1 "$seed"
    run pytorch 1 1 "$seed"
  done
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load:    $load_after after the run"
echo

for preset in $PRESETS; do
  for dataset in $DATASETS; do
    [[ $MODE == speed ]] && echo "$preset on $dataset:"
    "$PYTHON" - "$OUT" "$MODE" "$THREADS" "${preset}_${dataset}" <<'EOF'
import glob, json, os, statistics as st, sys
out, mode, threads, case = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4]

def runs(side, cfg):
    res = {}
    for f in glob.glob(f"{out}/{side}_{case}_{cfg}_*.json"):
        rnd, seed = os.path.basename(f)[:-5].rsplit("_", 2)[1:]
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
  done
done

if [[ -n $JSON ]]; then
  "$PYTHON" bench/compare_pytorch_json.py "$OUT" "$JSON" "date=$date_utc" "cpu=$cpu_model" \
    "cpus=$(getconf _NPROCESSORS_ONLN)" "load_before=$load_before" "load_after=$load_after" \
    "case_loads=${case_loads[*]}" "torch=$torch_version" "torch_blas=$blas_lib" "openblas_core=$corename" \
    "tapegrad_commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$( [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]] && echo +dirty)" \
    "build_dir=$BUILD_DIR" "example=$EXAMPLE" "py_script=$PY_SCRIPT" "epochs=$epochs_text" "rounds=$ROUNDS" "seed=42" \
    "presets=$PRESETS" "datasets=$DATASETS" "threads=$THREADS"
fi
