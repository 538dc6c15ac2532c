#!/usr/bin/env python3
"""The MNIST example's training in PyTorch, for bench/compare_pytorch.sh.

Trains the same model on the same data with the same batch, learning rate and
epochs as `mnist_mlp --preset d2l` (or fc500, best), with the data preloaded as
tensors (no DataLoader, no workers): every epoch draws torch.randperm, gathers
each batch with one index_select (a copy, as tapegrad's DataLoader), runs
forward, CrossEntropyLoss (mean), zero_grad, backward, step, and accumulates
the running loss and train accuracy per batch; then evaluates the test set
under no_grad in chunks of 1000. An epoch's time covers both, as
mnist_mlp's `seconds + eval_seconds`.

  /usr/bin/python3 bench/compare_pytorch.py --dataset fashion --seed 1 --threads 1
  ... --metrics-json out.json    # mnist_mlp's format, plus peak_rss_mb

Threads: --threads N calls torch.set_num_threads(N); OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS must be set by the caller before Python starts (the .sh
does), since OpenBLAS reads them at load time.
"""
import argparse
import gzip
import json
import os
import resource
import sys
import time

import numpy as np
import torch
from torch import nn

PRESETS = {
    # d2l (shared/seeds/001): normal(0, 0.01) weights, zero bias, SGD lr 0.1
    "d2l": dict(hidden=[256], optimizer="sgd", lr=0.1, batch_size=256, epochs=10, init="tutorial"),
    # fc500 (shared/seeds/002): PyTorch's default init, Adam lr 1e-3
    "fc500": dict(hidden=[500], optimizer="adam", lr=1e-3, batch_size=100, epochs=5, init="default"),
    # best: dropout 0.2 after each hidden ReLU, AdamW, cosine schedule stepped per epoch
    "best": dict(hidden=[1024, 1024], optimizer="adamw", lr=1e-3, weight_decay=1e-2, batch_size=128, epochs=20,
                 init="default", dropout=0.2, schedule="cosine"),
}


def read_idx(path):
    """An IDX file (raw, or path + '.gz') as a numpy array."""
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[:2] != b"\0\0" or raw[2] != 0x08:
        sys.exit(f"{path}: not a uint8 IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(dims)


def load(root, train):
    prefix = "train" if train else "t10k"
    images = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte"))
    # torchvision's ToTensor: float32 pixel / 255, flattened as nn.Flatten does
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / np.float32(255))
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def build(hidden, init, dropout=0.0):
    layers, width = [nn.Flatten()], 784
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, 10))
    net = nn.Sequential(*layers)
    if init == "tutorial":
        def init_weights(m):
            if type(m) == nn.Linear:
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)
        net.apply(init_weights)
    return net


def accuracy(net, x, y, chunk=1000):
    net.eval()
    correct = 0
    with torch.no_grad():
        for s in range(0, len(x), chunk):
            correct += int((net(x[s:s + chunk]).argmax(1) == y[s:s + chunk]).sum())
    net.train()
    return correct / len(x)


def parse_args(doc, presets, default):
    """The command line shared with compare_pytorch_cnn.py: (args, the preset's
    settings with --epochs applied, the data directory)."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted(presets), default=default)
    p.add_argument("--dataset", choices=["mnist", "fashion"], default="mnist")
    p.add_argument("--data", help="directory with the IDX files (default data/mnist or data/fashion-mnist)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--metrics-json")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args()
    cfg = dict(presets[a.preset])
    if a.epochs is not None:
        cfg["epochs"] = a.epochs
    root = a.data or ("data/mnist" if a.dataset == "mnist" else "data/fashion-mnist")
    return a, cfg, root


def main():
    a, cfg, root = parse_args(__doc__, PRESETS, "d2l")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xtr, ytr = load(root, True)
    xte, yte = load(root, False)
    net = build(cfg["hidden"], cfg["init"], cfg.get("dropout", 0.0))
    if cfg["optimizer"] == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=cfg["lr"])
    elif cfg["optimizer"] == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=cfg["lr"])
    else:
        opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    sched = None
    if cfg.get("schedule") == "cosine":  # as mnist_mlp: T_max = the epochs run
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(cfg["epochs"], 1))
    train_and_report(a, cfg, net, opt, sched, (xtr, ytr), (xte, yte))


def train_and_report(a, cfg, net, opt, sched, train, test):
    """Trains net for cfg["epochs"] epochs (stepping sched, if any, after each),
    prints the final accuracy and writes a.metrics_json (mnist_mlp's format)."""
    (xtr, ytr), (xte, yte) = train, test
    loss_fn = nn.CrossEntropyLoss()
    n, bs = len(xtr), cfg["batch_size"]

    epochs, t_start = [], time.perf_counter()
    for epoch in range(1, cfg["epochs"] + 1):
        t0 = time.perf_counter()
        order = torch.randperm(n)
        loss_sum, correct = 0.0, 0
        for s in range(0, n, bs):
            idx = order[s:s + bs]
            xb, yb = xtr.index_select(0, idx), ytr.index_select(0, idx)
            logits = net(xb)
            loss = loss_fn(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            with torch.no_grad():
                correct += int((logits.argmax(1) == yb).sum())
        if sched is not None:
            sched.step()
        t1 = time.perf_counter()
        test_acc = accuracy(net, xte, yte)
        t2 = time.perf_counter()
        e = dict(epoch=epoch, train_loss=loss_sum / n, train_acc=correct / n, test_acc=test_acc,
                 seconds=t1 - t0, eval_seconds=t2 - t1)
        epochs.append(e)
        if not a.quiet:
            print(f"{epoch:5d} {e['train_loss']:11.4f} {e['train_acc']:10.4f} {test_acc:9.4f} "
                  f"{t1 - t0:8.2f} {t2 - t1:6.2f}", flush=True)
    total = time.perf_counter() - t_start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    final = epochs[-1]["test_acc"] if epochs else accuracy(net, xte, yte)
    print(f"final test accuracy {final:.4f} after {cfg['epochs']} epochs in {total:.1f} s, peak RSS {rss_mb:.0f} MB")
    if a.metrics_json:
        with open(a.metrics_json, "w") as f:
            json.dump(dict(epochs=epochs, final_test_acc=final, total_seconds=total, peak_rss_mb=rss_mb,
                           torch=torch.__version__, threads=a.threads), f)


if __name__ == "__main__":
    main()
