#!/usr/bin/python3
"""Replays a handgrad run in PyTorch: same initial weights, same batches.

Loads the initial weights from a handgrad safetensors file with
load_state_dict, follows a batch-order file (one line per step, the 0-based
training-sample indices of that step's batch), trains with the torch.optim
optimizer, loss and learning-rate scheduler handgrad's flags name (settings
not given keep torch's defaults; sgd's lr and momentum default to handgrad's
0.01 and 0.9), and writes into --out:
  losses.txt          one line per step: the mean loss of that step's batch
  grads0.safetensors  the gradients at step 0 (before any update)
  params.safetensors  the parameters and buffers (batch-norm running statistics) after the
                      last step
  logits.safetensors  "init" and "final": logits on the first --test-batch test samples, in
                      evaluation mode (running statistics, no dropout)
Training steps run in training mode; dropout (hg.Dropout) draws handgrad's masks for
run seed --seed and each step's index.
`handgrad replay` writes the same files from the same inputs.
"""
import argparse
import inspect
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import arch as archmod  # noqa: E402
import data_np  # noqa: E402
import hg_modules  # noqa: E402
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


# --optimizer -> (torch class, the handgrad flags it takes besides --lr).
OPTIMIZERS = {
    "sgd": (torch.optim.SGD, ["momentum", "weight_decay", "nesterov"]),
    "adam": (torch.optim.Adam, ["beta1", "beta2", "eps", "weight_decay"]),
    "adamw": (torch.optim.AdamW, ["beta1", "beta2", "eps", "weight_decay"]),
    "rmsprop": (torch.optim.RMSprop, ["alpha", "eps", "momentum", "weight_decay"]),
}


def make_optimizer(a, params):
    """The torch optimizer with the given settings; the others keep torch's defaults."""
    cls, takes = OPTIMIZERS[a.optimizer]
    for name in ["momentum", "weight_decay", "beta1", "beta2", "eps", "alpha"]:
        if getattr(a, name) is not None and name not in takes:
            sys.exit(f"replay.py: --{name.replace('_', '-')} is not a setting of {a.optimizer}")
    if a.nesterov and a.optimizer != "sgd":
        sys.exit("replay.py: --nesterov is a setting of sgd")
    kw = {}
    if a.optimizer == "sgd":  # handgrad's sgd defaults (the seed's); torch's SGD has no lr
        kw = {"lr": 0.01, "momentum": 0.9, "nesterov": a.nesterov}
    if a.lr is not None:
        kw["lr"] = a.lr
    for name in ["momentum", "weight_decay", "eps", "alpha"]:
        if getattr(a, name) is not None:
            kw[name] = getattr(a, name)
    if a.beta1 is not None or a.beta2 is not None:
        b1, b2 = inspect.signature(cls).parameters["betas"].default
        kw["betas"] = (b1 if a.beta1 is None else a.beta1, b2 if a.beta2 is None else a.beta2)
    return cls(params, **kw)


def make_scheduler(a, opt, total_steps, steps_per_epoch):
    """torch's scheduler, stepped after every optimizer step (None: a constant rate)."""
    if a.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps, eta_min=0)
    if a.lr_schedule == "step":
        step_size = max(1, int(math.floor(a.lr_step_epochs * steps_per_epoch + 0.5)))
        return torch.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=a.lr_gamma)
    return None


def mse_one_hot(out, y):
    return F.mse_loss(out, F.one_hot(y, out.shape[1]).to(out.dtype))


LOSSES = {"ce": F.cross_entropy, "mse": mse_one_hot}


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
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="sgd")
    p.add_argument("--lr", type=float)
    p.add_argument("--momentum", type=float)
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--nesterov", action="store_true")
    p.add_argument("--seed", type=int, default=0, help="the run seed (dropout masks)")
    p.add_argument("--beta1", type=float)
    p.add_argument("--beta2", type=float)
    p.add_argument("--eps", type=float)
    p.add_argument("--alpha", type=float)
    p.add_argument("--loss", choices=["ce", "mse"], default="ce")
    p.add_argument("--lr-schedule", choices=["constant", "cosine", "step"], default="constant")
    p.add_argument("--lr-gamma", type=float, default=0.1)
    p.add_argument("--lr-step-epochs", type=float, default=1.0,
                   help="epochs between decays; an epoch is the batch-order file, as in handgrad "
                        "replay")
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
    steps_per_epoch = len(batches)
    if a.steps:
        if a.steps > len(batches):
            sys.exit(f"replay.py: --steps {a.steps} but {a.batch_order} has {len(batches)} lines")
        batches = batches[:a.steps]

    opt = make_optimizer(a, model.parameters())
    sched = make_scheduler(a, opt, len(batches), steps_per_epoch)
    loss_fn = LOSSES[a.loss]
    model.eval()
    with torch.no_grad():
        logits0 = model(xt).numpy().copy()
    model.train()
    losses, grads0 = [], None
    for step, idx in enumerate(batches):
        it = torch.from_numpy(idx)
        hg_modules.set_step(model, a.seed, step)
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(model(xtr[it].to(dtype)), ytr[it])
        loss.backward()
        if step == 0:
            grads0 = {n: q.grad.detach().numpy().copy() for n, q in model.named_parameters()}
        opt.step()
        if sched is not None:
            sched.step()
        losses.append(loss.item())
    model.eval()
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
