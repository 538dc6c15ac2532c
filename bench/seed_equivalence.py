#!/usr/bin/env python3
"""examples/mnist_mlp's training written as a plain PyTorch 1.13 program, to
show that `mnist_mlp --preset P --seed S --threads 1` follows it epoch by
epoch (issue 27; bench/mnist.md, "Same seed, same numbers").

Unlike bench/compare_pytorch.py (preloaded tensors, torch.randperm per epoch:
a speed comparison), this draws from the default generator exactly as a
tutorial does and as mnist_mlp does since manual_seed gives PyTorch's stream:

  torch.manual_seed(S)
  net = Sequential(Flatten, Linear(784, h), ReLU, Linear(h, 10))   # d2l; default init draws
  net = NeuralNet(784, h, 10)     # fc500: the tutorial's class (fc1, relu, fc2), the same draws
  d2l only: net.apply(normal_(weight, std=0.01), zeros_(bias))       # more draws
  DataLoader(TensorDataset(x / 255, y), batch_size, shuffle=True)    # per epoch: base seed,
                                                                     # RandomSampler's seed
  CrossEntropyLoss (mean), SGD lr 0.1 (d2l) or Adam lr 1e-3 (fc500)
  test accuracy after each epoch under no_grad in chunks of 1000 (no draws)

  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/seed_equivalence.py \\
      --preset d2l --epochs 5 --seed 42 [--init-from init.safetensors] [--metrics-json out.json]

--init-from FILE compares the initial parameters bit for bit with a
safetensors file written by `mnist_mlp ... --epochs 0 --save FILE` (same
preset and seed) and exits non-zero if any differs. The first batch's first
row numbers of every epoch are printed, to compare with tapegrad's DataLoader.
"""
import argparse
import json
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_pytorch import accuracy, load  # noqa: E402  (the test evaluation; the IDX reader and the /255 scaling)

PRESETS = {
    "d2l": dict(hidden=256, optimizer="sgd", lr=0.1, batch_size=256, epochs=10, init="tutorial"),
    "fc500": dict(hidden=500, optimizer="adam", lr=1e-3, batch_size=100, epochs=5, init="default"),
}


class NeuralNet(nn.Module):
    """The fc500 tutorial's network (shared/seeds/002), as mnist_mlp builds it."""

    def __init__(self, input_size, hidden_size, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x.reshape(-1, 28 * 28))))


def read_safetensors(path):
    """{name: numpy array} of a float32 safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + b: 8 + n + e], dtype=np.float32).reshape(info["shape"])
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted(PRESETS), default="d2l")
    p.add_argument("--dataset", choices=["mnist", "fashion"], default="mnist")
    p.add_argument("--data", help="directory with the IDX files (default data/mnist or data/fashion-mnist)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--init-from", help="mnist_mlp --epochs 0 --save file to compare the initial weights with")
    p.add_argument("--metrics-json")
    a = p.parse_args()
    cfg = dict(PRESETS[a.preset])
    if a.epochs is not None:
        cfg["epochs"] = a.epochs
    root = a.data or ("data/mnist" if a.dataset == "mnist" else "data/fashion-mnist")

    torch.set_num_threads(1)
    torch.manual_seed(a.seed)  # mnist_mlp seeds before loading the data; loading draws nothing
    xtr, ytr = load(root, True)
    xte, yte = load(root, False)
    if a.preset == "fc500":
        net = NeuralNet(784, cfg["hidden"], 10)
    else:
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, cfg["hidden"]), nn.ReLU(), nn.Linear(cfg["hidden"], 10))
    if cfg["init"] == "tutorial":
        def init_weights(m):
            if type(m) == nn.Linear:
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)
        net.apply(init_weights)

    name, w = next(iter(net.state_dict().items()))
    w = w.numpy()
    print(f"initial {name}: sum {w.astype(np.float64).sum():.17g}, first {w.flat[0]:.9g}, last {w.flat[-1]:.9g}")
    if a.init_from:
        theirs = read_safetensors(a.init_from)
        ours = {k: v.detach().numpy() for k, v in net.state_dict().items()}
        if sorted(theirs) != sorted(ours):
            sys.exit(f"parameter names differ: {sorted(theirs)} vs {sorted(ours)}")
        bad = [k for k in ours if theirs[k].shape != ours[k].shape
               or not np.array_equal(theirs[k].view(np.uint32), ours[k].view(np.uint32))]
        for k in sorted(ours):
            print(f"  {k:9s} {list(ours[k].shape)}: {'DIFFERS' if k in bad else 'bit-identical'}")
        if bad:
            sys.exit(1)

    # The row numbers ride along as a third tensor: it changes no draw.
    rows = torch.arange(len(xtr))
    loader = DataLoader(TensorDataset(xtr, ytr, rows), batch_size=cfg["batch_size"], shuffle=True)
    if cfg["optimizer"] == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=cfg["lr"])
    else:
        opt = torch.optim.Adam(net.parameters(), lr=cfg["lr"])
    loss_fn = nn.CrossEntropyLoss()

    print(f"{'epoch':>5} {'train_loss':>11} {'train_acc':>10} {'test_acc':>9} {'seconds':>8}  first batch's rows")
    epochs, t_start = [], time.perf_counter()
    for epoch in range(1, cfg["epochs"] + 1):
        t0 = time.perf_counter()
        loss_sum, correct, seen, first = 0.0, 0, 0, None
        for xb, yb, rb in loader:
            if first is None:
                first = rb[:10].tolist()
            logits = net(xb)
            loss = loss_fn(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(yb)
            seen += len(yb)
            with torch.no_grad():
                correct += int((logits.argmax(1) == yb).sum())
        secs = time.perf_counter() - t0
        e = dict(epoch=epoch, train_loss=loss_sum / seen, train_acc=correct / seen, test_acc=accuracy(net, xte, yte),
                 seconds=secs, first_rows=first)
        epochs.append(e)
        print(f"{epoch:5d} {e['train_loss']:11.6f} {e['train_acc']:10.4f} {e['test_acc']:9.4f} {secs:8.2f}  {first}",
              flush=True)
    if a.metrics_json:
        with open(a.metrics_json, "w") as f:
            json.dump(dict(epochs=epochs, final_test_acc=epochs[-1]["test_acc"] if epochs else None,
                           total_seconds=time.perf_counter() - t_start, torch=torch.__version__, threads=1), f)


if __name__ == "__main__":
    main()
