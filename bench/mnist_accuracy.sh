#!/usr/bin/env bash
# Test accuracy of examples/mnist_mlp's presets (or examples/mnist_cnn's, with
# EXAMPLE=mnist_cnn) on MNIST and Fashion-MNIST, next to PyTorch 1.13 trained
# with the identical recipe (bench/compare_pytorch.py, or
# bench/compare_pytorch_cnn.py for the CNN, for the presets it has): the
# figures of README.md's "MNIST accuracy" table and of the CNN's table
# (bench/results/mnist_cnn_accuracy.json).
#
#   bench/mnist_accuracy.sh                      every preset on both data sets, seed 42
#   PRESETS="d2l fc500" SEEDS="0 1 2 3 4 5 6 7" bench/mnist_accuracy.sh
#   EXAMPLE=mnist_cnn PRESETS=lenet5 SEEDS="0 1 2" JOBS=2 OUT_DIR=build/cnnacc bench/mnist_accuracy.sh
#
# Each run is `EXAMPLE --preset P --dataset D --seed S --threads 1` for the
# preset's epochs; one thread makes a run deterministic on a given CPU model
# (another CPU may pick other GEMM kernels, which add in another order). The
# result is the final epoch's test accuracy, per run and as the mean over the
# seeds (the accuracy targets are read as that mean: issues 24 and 28). PyTorch runs
# with the same seed number: since manual_seed gives PyTorch's stream, that
# gives the same initial weights, but compare_pytorch.py shuffles with
# torch.randperm instead of a DataLoader, so its batches differ (the
# batch-for-batch comparison is bench/seed_equivalence.py: bench/mnist.md).
#
# Environment: EXAMPLE (mnist_mlp or mnist_cnn), BUILD_DIR (build/release),
# PRESETS ("d2l fc500 best"; mnist_cnn: "lenet5 pytorch-example"),
# DATASETS ("mnist fashion"), SEEDS ("42"), DATA (data; holds mnist/ and
# fashion-mnist/ from tools/fetch-data.sh), RESULT (bench/results/mnist_accuracy.json,
# mnist_cnn_accuracy.json for mnist_cnn; empty for none), PYTHON (/usr/bin/python3,
# which has torch; PYTHON= skips PyTorch), TORCH_LIB_DIR (put first on PyTorch's
# LD_LIBRARY_PATH, e.g. an unpacked OpenBLAS: bench/compare_pytorch.sh),
# JOBS (1: trainings at a time, one thread each; their seconds then share the
# cores), OUT_DIR (keep each run's metrics JSON and log there and skip the runs
# whose JSON is already there, so an interrupted run resumes; default a
# temporary directory). Needs python3 for the JSON.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

EXAMPLE=${EXAMPLE:-mnist_mlp}
case $EXAMPLE in
  mnist_mlp) py_script=bench/compare_pytorch.py default_presets="d2l fc500 best" ;;
  mnist_cnn) py_script=bench/compare_pytorch_cnn.py default_presets="lenet5 pytorch-example" ;;
  *) echo "mnist_accuracy.sh: EXAMPLE must be mnist_mlp or mnist_cnn, got '$EXAMPLE'" >&2; exit 2 ;;
esac
BUILD_DIR=${BUILD_DIR:-build/release}
PRESETS=${PRESETS:-$default_presets}
DATASETS=${DATASETS:-mnist fashion}
SEEDS=${SEEDS:-42}
DATA=${DATA:-data}
RESULT=${RESULT-bench/results/${EXAMPLE%_mlp}_accuracy.json}
PYTHON=${PYTHON-/usr/bin/python3}
JOBS=${JOBS:-1}
pt_env=()
[[ -z ${TORCH_LIB_DIR:-} ]] || pt_env=(LD_LIBRARY_PATH="$TORCH_LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
pt_presets=""  # the presets $py_script has
if [[ -n $PYTHON ]]; then
  pt_presets=$("$PYTHON" "$py_script" --help | grep -o -m1 '{[a-z0-9,-]*}' | tr '{,}' '   ')
fi

bench_build "$BUILD_DIR" "$EXAMPLE" -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_BENCH=OFF
bin="$BUILD_DIR/examples/$EXAMPLE"
bench_tmpdir "${OUT_DIR:-}"
bench_header
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo

# train SIDE PRESET DATASET SEED: one run, metrics in $bench_tmp/[pytorch_]P_D_S.json
# (written under another name until the run succeeds), its output in the .log beside it.
train() {
  local side=$1 preset=$2 dataset=$3 seed=$4 dir="$DATA/mnist" base
  [[ $dataset == fashion ]] && dir="$DATA/fashion-mnist"
  base="$bench_tmp/${preset}_${dataset}_${seed}"
  [[ $side == pytorch ]] && base="$bench_tmp/pytorch_${preset}_${dataset}_${seed}"
  [[ -f $base.json ]] && return 0
  if [[ $side == tapegrad ]]; then
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$bin" --preset "$preset" --dataset "$dataset" --data "$dir" \
      --seed "$seed" --threads 1 --metrics-json "$base.part" >"$base.log" 2>&1
  else
    env "${pt_env[@]}" OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PYTHON" "$py_script" --preset "$preset" \
      --dataset "$dataset" --data "$dir" --seed "$seed" --threads 1 --quiet --metrics-json "$base.part" \
      >"$base.log" 2>&1
  fi || { echo "mnist_accuracy.sh: $side $preset $dataset seed $seed failed:" >&2; tail "$base.log" >&2; return 1; }
  mv "$base.part" "$base.json"
}

for preset in $PRESETS; do
  for dataset in $DATASETS; do
    for seed in $SEEDS; do
      sides=tapegrad
      [[ " $pt_presets " == *" $preset "* ]] && sides="tapegrad pytorch"
      for side in $sides; do
        while (( $(jobs -rp | wc -l) >= JOBS )); do wait -n; done
        train "$side" "$preset" "$dataset" "$seed" &
      done
    done
  done
done
while (( $(jobs -rp | wc -l) > 0 )); do wait -n; done
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) after the runs"
echo

printf '%-15s %-8s %5s %9s %9s %11s\n' preset dataset seed test_acc seconds pytorch_acc
for preset in $PRESETS; do
  for dataset in $DATASETS; do
    for seed in $SEEDS; do
      python3 -c 'import json, os, sys; j = json.load(open(sys.argv[1]))
p = json.load(open(sys.argv[2]))["final_test_acc"] if os.path.exists(sys.argv[2]) else float("nan")
print("%-15s %-8s %5s %9.4f %9.1f %11.4f" % (*sys.argv[3:6], j["final_test_acc"], j["total_seconds"], p))' \
        "$bench_tmp/${preset}_${dataset}_${seed}.json" "$bench_tmp/pytorch_${preset}_${dataset}_${seed}.json" \
        "$preset" "$dataset" "$seed"
    done
  done
done

[[ -n $RESULT ]] || exit 0
mkdir -p "$(dirname "$RESULT")"
torch_version=""
[[ -z $pt_presets ]] || torch_version=$("$PYTHON" -c 'import torch; print(torch.__version__)')
# Rows of other presets or data sets already in RESULT are kept (each row has its own
# command, date and load), so presets run with different seeds share one file.
command="EXAMPLE=$EXAMPLE PRESETS='$PRESETS' DATASETS='$DATASETS' SEEDS='$SEEDS'"
command+="${TORCH_LIB_DIR:+ TORCH_LIB_DIR=...}$([[ -n $PYTHON ]] || echo ' PYTHON=') JOBS=$JOBS bench/mnist_accuracy.sh"
python3 - "$bench_tmp" "$RESULT" "$cpu" "$load_before" "$PRESETS" "$DATASETS" "$SEEDS" "$torch_version" \
  "$EXAMPLE" "$command" "$JOBS" <<'PY'
import datetime, json, os, statistics as st, sys
tmp, path, cpu, load, presets, datasets, seeds, torch_version, example, command, jobs = sys.argv[1:]
date = datetime.datetime.utcnow().strftime("%Y-%m-%d")
rows = []
for p in presets.split():
    for d in datasets.split():
        runs = []
        for s in seeds.split():
            j = json.load(open(f"{tmp}/{p}_{d}_{s}.json"))
            r = dict(seed=int(s), test_acc=j["final_test_acc"], epochs=len(j["epochs"]),
                     seconds=round(j["total_seconds"], 1))
            pt = f"{tmp}/pytorch_{p}_{d}_{s}.json"
            if os.path.exists(pt):
                r["pytorch_test_acc"] = json.load(open(pt))["final_test_acc"]
            runs.append(r)
        row = dict(preset=p, dataset=d, epochs=runs[0]["epochs"],
                   mean_test_acc=round(st.mean(r["test_acc"] for r in runs), 5), runs=runs)
        if all("pytorch_test_acc" in r for r in runs):
            row["pytorch_mean_test_acc"] = round(st.mean(r["pytorch_test_acc"] for r in runs), 5)
        row.update(command=command, date=date, load_before=load, jobs=int(jobs))
        rows.append(row)
new = {(r["preset"], r["dataset"]): r for r in rows}
old = json.load(open(path)) if os.path.exists(path) else {}
for r in old.get("rows", []):  # a file written before rows had their own command, date and load
    for k in ("command", "date", "load_before"):
        r.setdefault(k, old.get(k))
# this run's rows replace the old ones in place; rows new to the file go last
merged = [new.pop((r["preset"], r["dataset"]), r) for r in old.get("rows", [])]
rows = merged + [r for r in rows if (r["preset"], r["dataset"]) in new]
doc = dict(name=os.path.basename(path)[:-5],
           what="final-epoch test accuracy of examples/%s --preset P --dataset D --seed S --threads 1, "
                "mean over the seeds; seconds are per run, JOBS runs at a time" % example,
           command="`, `".join(dict.fromkeys(r.get("command", "bench/mnist_accuracy.sh") for r in rows)),
           date=date, cpu=cpu, cpus=os.cpu_count(), load_before=load,
           torch=torch_version or None, rows=rows)
with open(path, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
print("wrote", path)
PY
