#!/usr/bin/env python3
"""The CNN example's training in PyTorch, for bench/compare_pytorch_cnn.sh.

Trains the network of `mnist_cnn --preset lenet5` (or pytorch-example, best) on the
same data with the same optimizer, batch, learning rate, schedule and epochs,
as bench/compare_pytorch.py does for the MLP (data preloaded as [N, 1, 28, 28]
tensors, one index_select per batch, the test set under no_grad in chunks of
1000; an epoch's time covers both). Debian's torch 1.13 runs the convolutions
and pooling in oneDNN (mkldnn), whose threads are OpenMP's (OMP_NUM_THREADS,
torch.set_num_threads), and the Linear layers in OpenBLAS.

  /usr/bin/python3 bench/compare_pytorch_cnn.py --preset lenet5 --epochs 1 --threads 1
  ... --metrics-json out.json    # mnist_cnn's format, plus peak_rss_mb
"""
import os

import numpy as np
import torch
from torch import nn

from compare_pytorch import parse_args, read_idx, train_and_report

# As examples/mnist_cnn.cpp's presets (pytorch-example: PyTorch's examples/mnist
# recipe, Adadelta lr 1.0 with StepLR gamma 0.7); schedules step after every epoch.
PRESETS = {
    "lenet5": dict(optimizer="adam", lr=2e-3, batch_size=64, epochs=10, schedule="cosine"),
    "pytorch-example": dict(optimizer="adadelta", lr=1.0, batch_size=64, epochs=14, schedule="step", gamma=0.7),
    "best": dict(optimizer="adamw", lr=1e-3, weight_decay=1e-2, batch_size=128, epochs=15, schedule="cosine"),
}


def load(root, train):
    prefix = "train" if train else "t10k"
    images = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte"))
    x = torch.from_numpy(images.reshape(len(images), 1, 28, 28).astype(np.float32) / np.float32(255))
    return x, torch.from_numpy(labels.astype(np.int64))


def build(preset):
    if preset == "best":
        layers = []
        for cin, cout in ((1, 32), (32, 64)):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                       nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                       nn.MaxPool2d(2), nn.Dropout(0.25)]
        return nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5),
                             nn.Linear(128, 10))
    if preset == "lenet5":
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                             nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(128, 10))


def main():
    a, cfg, root = parse_args(__doc__, PRESETS, "lenet5")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    train, test = load(root, True), load(root, False)
    net = build(a.preset)
    if cfg["optimizer"] == "adamw":
        opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    else:
        make = {"adam": torch.optim.Adam, "adadelta": torch.optim.Adadelta}[cfg["optimizer"]]
        opt = make(net.parameters(), lr=cfg["lr"])
    # stepped after every epoch, as mnist_cnn's --schedule
    sched = None
    if cfg["schedule"] == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, 1, cfg["gamma"])
    elif cfg["schedule"] == "cosine":  # T_max = the epochs run
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(cfg["epochs"], 1))
    train_and_report(a, cfg, net, opt, sched, train, test)


if __name__ == "__main__":
    main()
