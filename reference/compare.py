#!/usr/bin/python3
"""Compares two replay folders (handgrad's and PyTorch's) number by number.

Prints, per parameter tensor, ||a-b|| / ||b|| of the step-0 gradients and of
the parameters after the last step; the max relative difference of the
per-step losses; the max absolute difference of the logits on the test batch
(at the initial weights, and after the last step). Exits 1 when a figure is
over its tolerance, 2 when the folders cannot be compared.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_np  # noqa: E402


def rel(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    nb = np.linalg.norm(b)
    d = np.linalg.norm(a - b)
    return 0.0 if d == 0 else d / max(nb, 1e-30)


def load_dir(d):
    out = {}
    for key in ("grads0", "params", "logits"):
        out[key] = safetensors_np.load(os.path.join(d, key + ".safetensors"))[0]
    out["losses"] = np.loadtxt(os.path.join(d, "losses.txt"), ndmin=1)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("handgrad_dir")
    p.add_argument("torch_dir")
    p.add_argument("--tol-grad", type=float, default=1e-4)
    p.add_argument("--tol-params", type=float, default=1e-4)
    p.add_argument("--tol-loss", type=float, default=1e-4)
    p.add_argument("--tol-logits", type=float, default=1e-5)
    p.add_argument("--tol-logits-final", type=float, default=1e-4)
    p.add_argument("--label", default="")
    p.add_argument("--json", help="also write the figures to this JSON file")
    a = p.parse_args()
    try:
        A, B = load_dir(a.handgrad_dir), load_dir(a.torch_dir)
    except (OSError, ValueError, KeyError) as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2
    for key in ("grads0", "params"):
        if set(A[key]) != set(B[key]):
            print(f"compare.py: {key}: tensor names differ: {sorted(A[key])} vs {sorted(B[key])}",
                  file=sys.stderr)
            return 2
        for n in A[key]:
            if A[key][n].shape != B[key][n].shape:
                print(f"compare.py: {key} {n}: shapes {A[key][n].shape} vs {B[key][n].shape}",
                      file=sys.stderr)
                return 2
    if A["losses"].shape != B["losses"].shape:
        print(f"compare.py: {len(A['losses'])} vs {len(B['losses'])} steps", file=sys.stderr)
        return 2

    fails = []
    rows = []

    def check(what, value, tol):
        ok = value <= tol
        if not ok:
            fails.append(what)
        return "ok" if ok else "OVER"

    steps = len(A["losses"])
    print(f"parity {a.label}: handgrad {a.handgrad_dir} vs torch {a.torch_dir}, {steps} steps")
    print(f"{'tensor':<12} {'shape':<16} {'grad@0 rel':>12}      {'params@' + str(steps) + ' rel':>14}")
    names = sorted(A["params"], key=lambda s: (int(s.split(".")[0]), s.split(".")[1] != "weight"))
    for n in names:
        g = rel(A["grads0"][n], B["grads0"][n])
        q = rel(A["params"][n], B["params"][n])
        sg = check(f"grad {n}", g, a.tol_grad)
        sq = check(f"params {n}", q, a.tol_params)
        shape = "x".join(map(str, B["params"][n].shape))
        print(f"{n:<12} {shape:<16} {g:12.3e} {sg:<4} {q:14.3e} {sq:<4}")
        rows.append({"tensor": n, "shape": shape, "grad0_rel": g, "params_rel": q})
    la, lb = A["losses"], B["losses"]
    loss_rel = float(np.max(np.abs(la - lb) / np.maximum(np.abs(lb), 1e-30)))
    lo0 = float(np.max(np.abs(A["logits"]["init"].astype(np.float64) - B["logits"]["init"])))
    lo1 = float(np.max(np.abs(A["logits"]["final"].astype(np.float64) - B["logits"]["final"])))
    print(f"{'per-step loss, max rel diff':<40} {loss_rel:10.3e} "
          f"{check('loss', loss_rel, a.tol_loss)} (tol {a.tol_loss:g})")
    print(f"{'logits at init, max abs diff':<40} {lo0:10.3e} "
          f"{check('logits@init', lo0, a.tol_logits)} (tol {a.tol_logits:g})")
    print(f"{'logits after ' + str(steps) + ' steps, max abs diff':<40} {lo1:10.3e} "
          f"{check('logits@final', lo1, a.tol_logits_final)} (tol {a.tol_logits_final:g})")
    worst_g = max(r["grad0_rel"] for r in rows) if rows else 0.0
    worst_p = max(r["params_rel"] for r in rows) if rows else 0.0
    print(f"loss {la[0]:.6f} -> {la[-1]:.6f} (handgrad), {lb[0]:.6f} -> {lb[-1]:.6f} (torch)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"label": a.label, "steps": steps, "tensors": rows, "loss_rel": loss_rel,
                       "logits_init_abs": lo0, "logits_final_abs": lo1, "worst_grad0_rel": worst_g,
                       "worst_params_rel": worst_p, "pass": not fails}, f, indent=1)
    if fails:
        print("FAIL: over tolerance: " + ", ".join(fails))
        return 1
    print(f"PASS: worst grad@0 {worst_g:.2e}, params {worst_p:.2e}, loss {loss_rel:.2e}, "
          f"logits {lo0:.2e} / {lo1:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
