#!/usr/bin/env python3
"""The FCN (or ResNet) training step in PyTorch (CPU): the anchor of `seqtool bench conv`.

The networks of Wang et al. 2017 as seqtool's `--model fcn` and `--model resnet` build them.
FCN: Conv1d(C, 128, 8) - BatchNorm1d - ReLU - Conv1d(128, 256, 5) - BatchNorm1d - ReLU -
Conv1d(256, 128, 3) - BatchNorm1d - ReLU ("same" padding), the mean over time, Linear(128, K).
ResNet: three residual blocks of Conv1d-BatchNorm1d(-ReLU) with kernels 8, 5, 3 and 64, 128, 128
filters, the shortcut a 1x1 Conv1d and BatchNorm1d where the channels change (BatchNorm1d alone
where not), ReLU after the sum; the mean over time, Linear(128, K).
Softmax cross-entropy, Adam (lr 1e-3). One step = zero the gradients, forward, loss, backward,
Adam's update, on a fixed random batch (B, C, L). Each whole step is timed after --warmup steps;
the figure is the median.

Setup: pip install torch==2.13.0+cpu --index-url https://download.pytorch.org/whl/cpu
Usage: python3 scripts/torch_conv_step.py --model fcn --batch 16 --length 150 --threads 2
Last line of stdout: one JSON object (ms_per_step, series_per_s, threads, torch).
"""
import argparse
import json
import os
import time

p = argparse.ArgumentParser()
p.add_argument("--model", choices=["fcn", "resnet"], default="fcn")
p.add_argument("--batch", type=int, default=16)
p.add_argument("--length", type=int, default=150)
p.add_argument("--channels", type=int, default=1)
p.add_argument("--classes", type=int, default=2)
p.add_argument("--steps", type=int, default=60, help="timed steps")
p.add_argument("--warmup", type=int, default=10)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=1)
args = p.parse_args()

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import warnings  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# padding="same" with an even kernel pads one step more after than before, as intended here.
warnings.filterwarnings("ignore", message="Using padding='same'")
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)


class FCN(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        widths, kernels = [channels, 128, 256, 128], [8, 5, 3]
        self.conv = nn.ModuleList(
            nn.Conv1d(widths[i], widths[i + 1], kernels[i], padding="same") for i in range(3))
        self.norm = nn.ModuleList(nn.BatchNorm1d(widths[i + 1]) for i in range(3))
        self.head = nn.Linear(128, classes)

    def forward(self, x):
        for conv, norm in zip(self.conv, self.norm):
            x = F.relu(norm(conv(x)))
        return self.head(x.mean(dim=2))


class Block(nn.Module):
    def __init__(self, channels, filters):
        super().__init__()
        widths = [channels, filters, filters]
        self.conv = nn.ModuleList(nn.Conv1d(widths[i], filters, k, padding="same") for i, k in enumerate([8, 5, 3]))
        self.norm = nn.ModuleList(nn.BatchNorm1d(filters) for _ in range(3))
        self.shortcut_conv = nn.Conv1d(channels, filters, 1) if channels != filters else None
        self.shortcut_norm = nn.BatchNorm1d(filters)

    def forward(self, x):
        y = x
        for i, (conv, norm) in enumerate(zip(self.conv, self.norm)):
            y = norm(conv(y))
            if i < 2:
                y = F.relu(y)
        s = self.shortcut_conv(x) if self.shortcut_conv is not None else x
        return F.relu(y + self.shortcut_norm(s))


class ResNet(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        self.blocks = nn.ModuleList([Block(channels, 64), Block(64, 128), Block(128, 128)])
        self.head = nn.Linear(128, classes)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(x.mean(dim=2))


model = (FCN if args.model == "fcn" else ResNet)(args.channels, args.classes)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(args.batch, args.channels, args.length)
y = torch.randint(0, args.classes, (args.batch,))
model.train()
times = []
for step in range(args.warmup + args.steps):
    t0 = time.perf_counter()
    optimizer.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    dt = time.perf_counter() - t0
    if step >= args.warmup:
        times.append(dt)
median = sorted(times)[len(times) // 2]
print(json.dumps({
    "benchmark": "torch_conv_step", "model": args.model, "batch": args.batch, "length": args.length, "channels": args.channels,
    "threads": args.threads, "steps": args.steps, "ms_per_step": median * 1e3,
    "series_per_s": args.batch / median, "final_loss": loss.item(), "torch": torch.__version__,
}))
