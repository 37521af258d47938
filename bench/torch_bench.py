#!/usr/bin/python3
"""PyTorch baseline for `handgrad bench`: the same network as an nn.Sequential,
the same batch size and thread count, SGD with momentum, F.cross_entropy,
random data already in memory; warm-up, then the median of --reps timed
repetitions of --steps training steps (forward, loss, backward, SGD step).
Used by bench/compare_torch.sh when reference/torch_train.py is absent."""
import argparse
import json
import re
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    "seed-cnn": ("conv(4,5) relu maxpool(2) conv(8,5) relu maxpool(2) flatten linear(128) relu "
                 "linear(10)", (1, 28, 28)),
    "seed-mlp": ("flatten linear(128) relu linear(10)", (1, 28, 28)),
    "seed-2d": ("linear(8) relu linear(16) relu linear(32) relu linear(16) relu linear(8) relu "
                "linear(2)", (2,)),
}


def build(arch, dims):
    layers = []
    shape = (1,) + tuple(dims)
    for name, args in re.findall(r"([a-z_]+)(?:\(([^)]*)\))?", arch):
        a = [int(v) for v in args.split(",")] if args else []
        if name == "conv":
            stride = a[2] if len(a) > 2 else 1
            pad = a[3] if len(a) > 3 else 0
            layers.append(nn.Conv2d(shape[1], a[0], a[1], stride, pad))
        elif name == "maxpool":
            layers.append(nn.MaxPool2d(a[0], a[1] if len(a) > 1 else a[0]))
        elif name == "linear":
            layers.append(nn.Linear(shape[1], a[0]))
        elif name == "relu":
            layers.append(nn.ReLU())
        elif name == "flatten":
            layers.append(nn.Flatten())
        elif name == "identity":
            layers.append(nn.Identity())
        else:
            raise SystemExit(f"torch_bench.py: unknown layer '{name}'")
        with torch.no_grad():
            shape = tuple(layers[-1](torch.zeros(shape)).shape)
    return nn.Sequential(*layers), shape[1]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="seed-cnn")
    p.add_argument("--arch")
    p.add_argument("--input", help="e.g. 1x28x28, with --arch")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    arch, dims = (a.arch, tuple(int(v) for v in a.input.split("x"))) if a.arch else PRESETS[a.preset]
    model, classes = build(arch, dims)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    nb = 32
    xb = [torch.rand((a.batch_size,) + tuple(dims)) for _ in range(nb)]
    yb = [torch.randint(0, classes, (a.batch_size,)) for _ in range(nb)]

    def run(k):
        for i in range(k):
            opt.zero_grad()
            F.cross_entropy(model(xb[i % nb]), yb[i % nb]).backward()
            opt.step()

    run(a.warmup)
    times = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        run(a.steps)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    r = {"framework": "torch " + torch.__version__, "arch": arch, "batch_size": a.batch_size,
         "threads": torch.get_num_threads(), "steps": a.steps, "reps": a.reps,
         "samples_per_second": a.batch_size * a.steps / med}
    print(json.dumps(r) if a.json else
          f"torch {torch.__version__}, {r['threads']} thread(s), batch {a.batch_size}: "
          f"{r['samples_per_second']:.0f} samples/s")


if __name__ == "__main__":
    main()
