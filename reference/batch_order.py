#!/usr/bin/python3
"""Writes a seeded random batch-order file for `handgrad train/replay --batch-order`.

One line per step, the 0-based training-sample indices of that step's batch,
separated by spaces. Batches are consecutive slices of a fresh permutation
each epoch (the last slice of an epoch may be short, as DataLoader with
drop_last=False).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data_np  # noqa: E402


def train_size(data, data_dir):
    if data in ("mnist", "fashion-mnist"):
        d = data_np.find_dir(data, data_dir)
        return len(data_np._idx(os.path.join(d, "train-labels-idx1-ubyte"), 2049))
    return len(data_np.load_csv(data)[1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="mnist")
    p.add_argument("--data-dir")
    p.add_argument("--n", type=int, default=0, help="training-set size (default: count --data)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    n = a.n or train_size(a.data, a.data_dir)
    if a.batch_size < 1 or a.steps < 1 or n < 1:
        sys.exit("batch_order.py: --batch-size, --steps and the data size must be >= 1")
    rng = np.random.default_rng(a.seed)
    lines = []
    while len(lines) < a.steps:
        perm = rng.permutation(n)
        for b in range(0, n, a.batch_size):
            lines.append(" ".join(map(str, perm[b:b + a.batch_size])))
            if len(lines) == a.steps:
                break
    tmp = f"{a.out}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
