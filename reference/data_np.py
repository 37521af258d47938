"""The datasets handgrad reads, loaded with numpy only.

mnist / fashion-mnist: IDX files (raw or .gz) from --data-dir, else
$HANDGRAD_DATA/<name>; images become float32 x / 255 in [0, 1], (N, 1, 28, 28).
A CSV file: rows "x1,...,xF,label" (an optional header line is skipped),
(N, F) float32 and int64 labels.
"""
import gzip
import os
import struct

import numpy as np

_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _open(path):
    for p in (path, path + ".gz"):
        if os.path.exists(p):
            with (gzip.open(p, "rb") if p.endswith(".gz") else open(p, "rb")) as f:
                return f.read()
    raise FileNotFoundError(f"{path}[.gz] not found")


def _idx(path, magic):
    raw = _open(path)
    m, n = struct.unpack(">II", raw[:8])
    if m != magic:
        raise ValueError(f"{path}: magic {m}, expected {magic}")
    if magic == 2051:
        h, w = struct.unpack(">II", raw[8:16])
        return np.frombuffer(raw, dtype=np.uint8, count=n * h * w, offset=16).reshape(n, 1, h, w)
    return np.frombuffer(raw, dtype=np.uint8, count=n, offset=8)


def find_dir(name, data_dir=None):
    if data_dir:
        return data_dir
    root = os.environ.get("HANDGRAD_DATA")
    if not root:
        raise FileNotFoundError("set HANDGRAD_DATA to the folder that contains mnist/")
    return os.path.join(root, name)


def load_idx_split(name, split, data_dir=None):
    d = find_dir(name, data_dir)
    img, lab = _FILES[split]
    x = _idx(os.path.join(d, img), 2051).astype(np.float32) / np.float32(255)
    y = _idx(os.path.join(d, lab), 2049).astype(np.int64)
    return x, y


def load_csv(path):
    rows = []
    with open(path) as f:
        for i, line in enumerate(f):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append([float(v) for v in line.split(",")])
            except ValueError:
                if i == 0:
                    continue  # a header line
                raise
    a = np.array(rows, dtype=np.float64)
    return a[:, :-1].astype(np.float32), a[:, -1].astype(np.int64)


def load(data, data_dir=None, test_data=None):
    """Returns (x_train, y_train, x_test, y_test)."""
    if data in ("mnist", "fashion-mnist"):
        xtr, ytr = load_idx_split(data, "train", data_dir)
        xte, yte = load_idx_split(data, "test", data_dir)
        return xtr, ytr, xte, yte
    if data.endswith(".csv"):
        if not test_data:
            raise ValueError("a CSV needs --test-data (handgrad's split is not reproduced here)")
        xtr, ytr = load_csv(data)
        xte, yte = load_csv(test_data)
        return xtr, ytr, xte, yte
    raise ValueError(f"--data: '{data}' is not mnist, fashion-mnist or a .csv file")


def input_dims(data):
    """The per-sample shape handgrad infers for a dataset name or CSV."""
    if data in ("mnist", "fashion-mnist"):
        return (1, 28, 28)
    x, _ = load_csv(data)
    return (x.shape[1],)
