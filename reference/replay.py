#!/usr/bin/python3
"""Replays a handgrad run in PyTorch: same initial weights, same batches.

Loads the initial weights from a handgrad safetensors file with
load_state_dict, follows a batch-order file (one line per step, the 0-based
training-sample indices of that step's batch), trains with torch.optim.SGD and
F.cross_entropy, and writes into --out:
  losses.txt          one line per step: the mean loss of that step's batch
  grads0.safetensors  the gradients at step 0 (before any update)
  params.safetensors  the parameters after the last step
  logits.safetensors  "init" and "final": logits on the first --test-batch test samples
`handgrad replay` writes the same files from the same inputs.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import arch as archmod  # noqa: E402
import data_np  # noqa: E402
import safetensors_np  # noqa: E402


def read_batch_order(path, n_train):
    batches = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            idx = np.array([int(v) for v in line.split()], dtype=np.int64)
            if idx.min() < 0 or idx.max() >= n_train:
                raise ValueError(f"{path}:{lineno}: index outside [0, {n_train})")
            batches.append(idx)
    return batches


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--init", required=True, help="handgrad safetensors with the initial weights")
    p.add_argument("--arch", help="architecture string or preset (default: the init file's)")
    p.add_argument("--input", help="input shape, e.g. 1x28x28 (default: the init file's)")
    p.add_argument("--data", default="mnist")
    p.add_argument("--data-dir")
    p.add_argument("--test-data")
    p.add_argument("--batch-order", required=True)
    p.add_argument("--steps", type=int, default=0, help="0 = every line of the batch order")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--nesterov", action="store_true")
    p.add_argument("--test-batch", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="float64: the same run in double precision, to measure how far "
                        "float32 rounding alone moves the result")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    init, meta = safetensors_np.load(a.init)
    arch = a.arch or meta.get("arch")
    dims = archmod.parse_dims(a.input or meta["input"]) if (a.input or "input" in meta) else None
    if not arch:
        sys.exit("replay.py: give --arch, the init file has no 'arch' metadata")
    arch, dims = archmod.resolve(arch, dims)
    model = archmod.build(arch, dims)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in init.items()}, strict=True)
    dtype = getattr(torch, a.dtype)
    model.to(dtype)

    xtr, ytr, xte, yte = data_np.load(a.data, a.data_dir, a.test_data)
    # Flat rows (a CSV) feed an image network in row-major (C, H, W) order, as in handgrad.
    xtr, xte = xtr.reshape((len(xtr),) + tuple(dims)), xte.reshape((len(xte),) + tuple(dims))
    xtr, ytr = torch.from_numpy(xtr), torch.from_numpy(ytr)
    xt = torch.from_numpy(xte[:a.test_batch]).to(dtype)
    batches = read_batch_order(a.batch_order, len(ytr))
    if a.steps:
        if a.steps > len(batches):
            sys.exit(f"replay.py: --steps {a.steps} but {a.batch_order} has {len(batches)} lines")
        batches = batches[:a.steps]

    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum,
                          weight_decay=a.weight_decay, nesterov=a.nesterov)
    with torch.no_grad():
        logits0 = model(xt).numpy().copy()
    losses, grads0 = [], None
    for step, idx in enumerate(batches):
        it = torch.from_numpy(idx)
        opt.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(xtr[it].to(dtype)), ytr[it])
        loss.backward()
        if step == 0:
            grads0 = {n: q.grad.detach().numpy().copy() for n, q in model.named_parameters()}
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        logits1 = model(xt).numpy().copy()

    os.makedirs(a.out, exist_ok=True)
    meta_out = {"arch": arch, "input": "x".join(map(str, dims)), "framework": "torch " +
                torch.__version__}
    with open(os.path.join(a.out, "losses.txt"), "w") as f:
        f.write("".join(f"{v:.9e}\n" for v in losses))
    if grads0 is not None:
        safetensors_np.save(os.path.join(a.out, "grads0.safetensors"), grads0, meta_out)
    params = {n: q.detach().numpy() for n, q in model.state_dict().items()}
    safetensors_np.save(os.path.join(a.out, "params.safetensors"), params, meta_out)
    safetensors_np.save(os.path.join(a.out, "logits.safetensors"),
                        {"init": logits0, "final": logits1}, meta_out)
    print(f"replay.py: {len(losses)} steps of {arch} on {a.data}; "
          f"loss {losses[0] if losses else float('nan'):.6f} -> "
          f"{losses[-1] if losses else float('nan'):.6f}; wrote {a.out}")


if __name__ == "__main__":
    main()
