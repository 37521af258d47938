#!/usr/bin/python3
"""The seed report's Part 1 Q4 in PyTorch: the seed CNN on MNIST with the seed's
settings (2 epochs, batch 8, SGD lr 0.01 momentum 0.9, PyTorch's default
init, reshuffled every epoch). Prints test accuracy, wall time and samples/s.

--bench times only training steps (forward, loss, backward, SGD step) on
batches already in memory: --warmup steps, then --reps repetitions of
--steps steps; reports the median. bench/ reuses it as the PyTorch baseline.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import arch as archmod  # noqa: E402
import data_np  # noqa: E402


def make_model(a, dims=None):
    spec = a.arch or a.preset
    if a.arch and not dims and not a.input:
        raise SystemExit("torch_train.py: --arch needs --input (e.g. 1x28x28)")
    arch, dims = archmod.resolve(spec, archmod.parse_dims(a.input) if a.input else dims)
    return arch, dims, archmod.build(arch, dims)


def accuracy(model, x, y, chunk=1000):
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), chunk):
            correct += (model(x[i:i + chunk]).argmax(1) == y[i:i + chunk]).sum().item()
    return correct / len(y)


def train(a):
    xtr, ytr, xte, yte = data_np.load(a.data, a.data_dir, a.test_data)
    xtr, ytr = torch.from_numpy(xtr), torch.from_numpy(ytr)
    xte, yte = torch.from_numpy(xte), torch.from_numpy(yte)
    torch.manual_seed(a.seed)  # the default init draws from the global generator
    arch, dims, model = make_model(a, tuple(xtr.shape[1:]))
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum,
                          weight_decay=a.weight_decay, nesterov=a.nesterov)
    g = torch.Generator().manual_seed(a.seed)
    n, steps, last_loss = len(ytr), 0, float("nan")
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        perm = torch.randperm(n, generator=g)
        for b in range(0, n, a.batch_size):
            idx = perm[b:b + a.batch_size]
            opt.zero_grad()
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            steps += 1
            last_loss = loss.item()
    wall = time.perf_counter() - t0
    acc = accuracy(model, xte, yte)
    r = {"framework": "torch " + torch.__version__, "arch": arch, "input": "x".join(map(str, dims)),
         "data": a.data, "epochs": a.epochs, "batch_size": a.batch_size, "lr": a.lr,
         "momentum": a.momentum, "seed": a.seed, "threads": torch.get_num_threads(),
         "steps": steps, "last_loss": last_loss, "test_accuracy": acc, "train_seconds": wall,
         "samples_per_second": a.epochs * n / wall}
    if a.json:
        print(json.dumps(r))
    else:
        print(f"torch {torch.__version__}, {r['threads']} thread(s): {arch} on {a.data}, "
              f"{a.epochs} epochs, batch {a.batch_size}, lr {a.lr}, momentum {a.momentum}, "
              f"seed {a.seed}")
        print(f"test accuracy {acc:.4f}, train time {wall:.1f} s, "
              f"{r['samples_per_second']:.0f} samples/s")


def bench(a):
    torch.manual_seed(a.seed)
    dims = None
    source = "random"
    if not a.synthetic:
        try:
            x, y = data_np.load_idx_split(a.data, "train", a.data_dir)
            need = a.batch_size * a.steps
            x, y = torch.from_numpy(x[:need]), torch.from_numpy(y[:need])
            source = a.data
        except (OSError, ValueError, KeyError):
            x = None
    arch, dims, model = make_model(a, (1, 28, 28))
    classes = model(torch.zeros((1,) + tuple(dims))).shape[1]
    if source == "random":
        need = a.batch_size * a.steps
        x = torch.rand((need,) + tuple(dims))
        y = torch.randint(0, classes, (need,))
    if len(y) < a.batch_size * a.steps:
        raise SystemExit("torch_train.py: not enough samples for --steps x --batch-size")
    xb = [x[i * a.batch_size:(i + 1) * a.batch_size].contiguous() for i in range(a.steps)]
    yb = [y[i * a.batch_size:(i + 1) * a.batch_size].contiguous() for i in range(a.steps)]
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum)

    def run(k):
        for i in range(k):
            opt.zero_grad()
            F.cross_entropy(model(xb[i % a.steps]), yb[i % a.steps]).backward()
            opt.step()

    run(a.warmup)
    times = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        run(a.steps)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    r = {"framework": "torch " + torch.__version__, "arch": arch, "input": "x".join(map(str, dims)),
         "data": source, "batch_size": a.batch_size, "steps": a.steps, "warmup": a.warmup,
         "reps": a.reps, "threads": torch.get_num_threads(), "median_seconds": med,
         "times": times, "ms_per_step": 1e3 * med / a.steps,
         "samples_per_second": a.batch_size * a.steps / med}
    if a.json:
        print(json.dumps(r))
    else:
        print(f"torch {torch.__version__}, {r['threads']} thread(s): {arch}, batch {a.batch_size}, "
              f"{a.steps} steps x {a.reps} reps ({source} data): median {med:.3f} s, "
              f"{r['ms_per_step']:.3f} ms/step, {r['samples_per_second']:.0f} samples/s")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="seed-cnn")
    p.add_argument("--arch", help="architecture string (overrides --preset)")
    p.add_argument("--input", help="input shape for --arch, e.g. 1x28x28")
    p.add_argument("--data", default="mnist")
    p.add_argument("--data-dir")
    p.add_argument("--test-data")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--nesterov", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's own)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--bench", action="store_true", help="time training steps only")
    p.add_argument("--steps", type=int, default=200, help="--bench: steps per repetition")
    p.add_argument("--warmup", type=int, default=20, help="--bench: untimed steps first")
    p.add_argument("--reps", type=int, default=5, help="--bench: timed repetitions")
    p.add_argument("--synthetic", action="store_true", help="--bench: random inputs, not MNIST")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.batch_size < 1 or a.epochs < 0 or a.steps < 1 or a.reps < 1 or a.warmup < 0:
        raise SystemExit("torch_train.py: sizes and counts must be positive")
    bench(a) if a.bench else train(a)


if __name__ == "__main__":
    main()
