#!/usr/bin/env bash
# Test accuracy of examples/mnist_mlp's presets on MNIST and Fashion-MNIST,
# next to PyTorch 1.13 trained with the identical recipe
# (bench/compare_pytorch.py, for the presets it has): the figures of
# README.md's "MNIST accuracy" table.
#
#   bench/mnist_accuracy.sh                      every preset on both data sets, seed 42
#   PRESETS="d2l fc500" SEEDS="0 1 2 3 4 5 6 7" bench/mnist_accuracy.sh
#
# Each run is `mnist_mlp --preset P --dataset D --seed S --threads 1` for the
# preset's epochs; one thread makes a run deterministic on a given CPU model
# (another CPU may pick other GEMM kernels, which add in another order). The
# result is the final epoch's test accuracy, per run and as the mean over the
# seeds (the accuracy targets are read as that mean: issue 24). PyTorch runs
# with the same seed number: since manual_seed gives PyTorch's stream, that
# gives the same initial weights, but compare_pytorch.py shuffles with
# torch.randperm instead of a DataLoader, so its batches differ (the
# batch-for-batch comparison is bench/seed_equivalence.py: bench/mnist.md).
#
# Environment: BUILD_DIR (build/release), PRESETS ("d2l fc500 best"),
# DATASETS ("mnist fashion"), SEEDS ("42"), DATA (data; holds mnist/ and
# fashion-mnist/ from tools/fetch-data.sh), RESULT (bench/results/mnist_accuracy.json;
# empty for none), PYTHON (/usr/bin/python3, which has torch; PYTHON= skips
# PyTorch). Needs python3 for the JSON.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BUILD_DIR=${BUILD_DIR:-build/release}
PRESETS=${PRESETS:-d2l fc500 best}
DATASETS=${DATASETS:-mnist fashion}
SEEDS=${SEEDS:-42}
DATA=${DATA:-data}
RESULT=${RESULT-bench/results/mnist_accuracy.json}
PYTHON=${PYTHON-/usr/bin/python3}
pt_presets=""  # the presets bench/compare_pytorch.py has
if [[ -n $PYTHON ]]; then
  pt_presets=$("$PYTHON" bench/compare_pytorch.py --help | grep -o -m1 '{[a-z0-9,]*}' | tr '{,}' '   ')
fi

bench_build "$BUILD_DIR" mnist_mlp -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_BENCH=OFF
bin="$BUILD_DIR/examples/mnist_mlp"
bench_tmpdir
bench_header
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo

printf '%-6s %-8s %5s %9s %9s %11s\n' preset dataset seed test_acc seconds pytorch_acc
for preset in $PRESETS; do
  for dataset in $DATASETS; do
    dir="$DATA/mnist"
    [[ $dataset == fashion ]] && dir="$DATA/fashion-mnist"
    for seed in $SEEDS; do
      out="$bench_tmp/${preset}_${dataset}_${seed}.json"
      "$bin" --preset "$preset" --dataset "$dataset" --data "$dir" --seed "$seed" --threads 1 \
        --metrics-json "$out" >"$bench_tmp/run.log" 2>&1 || { cat "$bench_tmp/run.log" >&2; exit 1; }
      pt="$bench_tmp/pytorch_${preset}_${dataset}_${seed}.json"
      if [[ " $pt_presets " == *" $preset "* ]]; then
        OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PYTHON" bench/compare_pytorch.py --preset "$preset" \
          --dataset "$dataset" --data "$dir" --seed "$seed" --threads 1 --quiet --metrics-json "$pt" \
          >"$bench_tmp/run.log" 2>&1 || { cat "$bench_tmp/run.log" >&2; exit 1; }
      fi
      python3 -c 'import json, os, sys; j = json.load(open(sys.argv[1]))
p = json.load(open(sys.argv[2]))["final_test_acc"] if os.path.exists(sys.argv[2]) else float("nan")
print("%-6s %-8s %5s %9.4f %9.1f %11.4f" % (*sys.argv[3:6], j["final_test_acc"], j["total_seconds"], p))' \
        "$out" "$pt" "$preset" "$dataset" "$seed"
    done
  done
done

[[ -n $RESULT ]] || exit 0
mkdir -p "$(dirname "$RESULT")"
torch_version=""
[[ -z $pt_presets ]] || torch_version=$("$PYTHON" -c 'import torch; print(torch.__version__)')
python3 - "$bench_tmp" "$RESULT" "$cpu" "$load_before" "$PRESETS" "$DATASETS" "$SEEDS" "$torch_version" <<'PY'
import datetime, json, os, statistics as st, sys
tmp, path, cpu, load, presets, datasets, seeds, torch_version = sys.argv[1:]
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
        rows.append(row)
doc = dict(name="mnist_accuracy",
           what="final-epoch test accuracy of examples/mnist_mlp --preset P --dataset D --seed S --threads 1, "
                "mean over the seeds",
           command="PRESETS='%s' %sSEEDS='%s' bench/mnist_accuracy.sh" % (
               presets, "" if datasets == "mnist fashion" else "DATASETS='%s' " % datasets, seeds),
           date=datetime.datetime.utcnow().strftime("%Y-%m-%d"), cpu=cpu, cpus=os.cpu_count(), load_before=load,
           torch=torch_version or None, rows=rows)
with open(path, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
print("wrote", path)
PY
