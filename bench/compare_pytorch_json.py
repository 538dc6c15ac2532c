#!/usr/bin/env python3
"""The summary of a bench/compare_pytorch.sh speed run as JSON.

  compare_pytorch_json.py OUT_DIR RESULT.json KEY=VALUE...

OUT_DIR holds the run's files SIDE_PRESET_DATASET_CONFIG_ROUND_SEED.json
(mnist_mlp's --metrics-json format) and .rss (peak RSS in KB). The KEY=VALUE
pairs (date, cpu, load_before, ..., presets, datasets, threads) describe the
run and go into the JSON as they are; presets, datasets, threads and
case_loads are space-separated lists.

Per preset, data set and thread count (1 or 2) the result has both sides'
median epoch time (training pass + test evaluation: per run the median over
its epochs, then the median over rounds), every epoch's time, peak RSS and
final accuracy, and the ratio tapegrad / PyTorch (the median of the rounds'
ratios; < 1: tapegrad faster). PyTorch's side is its fastest setting for
that thread count among those run (1; or 2, 2blas, 2p), named with its
environment; the others are kept under pytorch_settings.
"""
import glob
import json
import os
import statistics as st
import sys

PT_ENV = {
    "1": "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1)",
    "2": "OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1, torch.set_num_threads(2)",
    "2blas": "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=2, torch.set_num_threads(1)",
    "2p": "OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=passive, torch.set_num_threads(2)",
}


def number(v):
    """v as an int when it is one (cpus, rounds, seed), else the string."""
    try:
        return int(v)
    except ValueError:
        return v


def side(out, name, case, cfg):
    """Round -> that run's figures."""
    res = {}
    for f in glob.glob(f"{out}/{name}_{case}_{cfg}_*.json"):
        rnd = int(os.path.basename(f)[:-5].rsplit("_", 2)[1])
        j = json.load(open(f))
        ep = [e["seconds"] + e.get("eval_seconds", 0) for e in j["epochs"]]
        if not ep:
            continue
        rss = int(open(f[:-5] + ".rss").read().split()[-1]) / 1024
        res[rnd] = dict(epoch_s=round(st.median(ep), 4), epochs_s=[round(e, 4) for e in ep],
                        peak_rss_mb=round(rss, 1), final_test_acc=j["final_test_acc"])
    return res


def summary(r):
    return dict(epoch_s=round(st.median(v["epoch_s"] for v in r.values()), 4),
                peak_rss_mb=round(st.median(v["peak_rss_mb"] for v in r.values()), 1),
                final_test_acc=st.median(v["final_test_acc"] for v in r.values()),
                rounds=[r[k] for k in sorted(r)])


def main():
    out, path = sys.argv[1], sys.argv[2]
    meta = {k: number(v) for k, v in (a.split("=", 1) for a in sys.argv[3:])}
    threads = str(meta["threads"]).split()
    rows = []
    for preset in str(meta["presets"]).split():
        for dataset in str(meta["datasets"]).split():
            case = f"{preset}_{dataset}"
            for n in sorted({"1" if c == "1" else "2" for c in threads}):
                tg = side(out, "tapegrad", case, n)
                pts = {c: side(out, "pytorch", case, c) for c in threads if (c == "1") == (n == "1")}
                pts = {c: r for c, r in pts.items() if r}
                if not tg or not pts:
                    continue
                best = min(pts, key=lambda c: st.median(v["epoch_s"] for v in pts[c].values()))
                keys = sorted(set(tg) & set(pts[best]))
                ratios = [tg[k]["epoch_s"] / pts[best][k]["epoch_s"] for k in keys]
                rows.append(dict(
                    preset=preset, dataset=dataset, threads=int(n),
                    ratio=round(st.median(ratios), 3), ratio_min=round(min(ratios), 3),
                    ratio_max=round(max(ratios), 3),
                    rss_ratio=round(summary(tg)["peak_rss_mb"] / summary(pts[best])["peak_rss_mb"], 3),
                    tapegrad=summary(tg), pytorch=dict(summary(pts[best]), setting=best, env=PT_ENV[best]),
                    pytorch_settings={c: dict(summary(r), env=PT_ENV[c]) for c, r in pts.items()}))
    doc = dict(
        what=f"examples/{meta.get('example', 'mnist_mlp')} (tapegrad) against "
             f"{meta.get('py_script', 'bench/compare_pytorch.py')} (PyTorch), same model, data, batch, "
             "optimizer and epochs, one after the other; epoch_s = training pass + test-set evaluation, median over "
             "a run's epochs, then over rounds; ratio = median over rounds of tapegrad / PyTorch at PyTorch's "
             "fastest setting for that thread count (< 1: tapegrad faster); peak RSS from /usr/bin/time",
        **{k: v for k, v in meta.items() if k not in ("presets", "datasets", "threads", "case_loads")},
        presets=str(meta["presets"]).split(), datasets=str(meta["datasets"]).split(), threads=threads,
        load_1min_after_each_case=[float(x) for x in str(meta.get("case_loads", "")).split()],
        results=rows)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(rows)} rows")
    for r in rows:
        print(f"  {r['preset']:6} {r['dataset']:8} {r['threads']} thread(s): tapegrad {r['tapegrad']['epoch_s']:.3f} s, "
              f"PyTorch {r['pytorch']['epoch_s']:.3f} s ({r['pytorch']['setting']}), ratio {r['ratio']:.2f} "
              f"({r['ratio_min']:.2f}..{r['ratio_max']:.2f}), RSS {r['tapegrad']['peak_rss_mb']:.0f} / "
              f"{r['pytorch']['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
