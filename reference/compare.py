#!/usr/bin/python3
"""Compares two replay folders (handgrad's and PyTorch's) number by number.

Prints, per parameter tensor, ||a-b|| / ||b|| of the step-0 gradients (for a
gradient that is zero up to float32 noise in both, ||a-b|| over the largest
tensor's gradient norm) and of the parameters
after the last step; per buffer (batch norm's running mean and variance: the
tensors of params.safetensors without a gradient) ||a-b|| / ||b|| after the
last step, and counts (num_batches_tracked) exactly; the max relative
difference of the per-step losses; the max absolute difference of the logits on the test batch
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


def rel(a, b, floor=1e-30):
    """||a - b|| / max(||b||, floor)."""  # floor: see the zero gradients below
    a, b = a.astype(np.float64), b.astype(np.float64)
    nb = np.linalg.norm(b)
    d = np.linalg.norm(a - b)
    return 0.0 if d == 0 else d / max(nb, floor)


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
    p.add_argument("--tol-logits-final", type=float, default=1e-5)
    p.add_argument("--exact", help="a float64 torch replay of the same run: a trajectory figure "
                   "(params, losses, final logits) over tolerance against torch float32 passes if "
                   "handgrad is within tolerance of this one")
    p.add_argument("--label", default="")
    p.add_argument("--json", help="also write the figures to this JSON file")
    a = p.parse_args()
    try:
        A, B = load_dir(a.handgrad_dir), load_dir(a.torch_dir)
    except (OSError, ValueError, KeyError) as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2
    for key in ("grads0", "params"):  # params holds the buffers too
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

    E = None
    if a.exact:
        try:
            E = load_dir(a.exact)
        except (OSError, ValueError, KeyError) as e:
            print(f"compare.py: {e}", file=sys.stderr)
            return 2
    fails, arbitrated, rows = [], [], []

    def check(what, value, tol, exact_value=None):
        if value <= tol:
            return "ok"
        if exact_value is not None and exact_value <= tol:
            arbitrated.append(what)
            return "ok64"
        fails.append(what)
        return "OVER"

    def loss_rel(x, y):
        return float(np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-30)))

    def logit_abs(x, y, key):
        return float(np.max(np.abs(x["logits"][key].astype(np.float64) - y["logits"][key])))

    steps = len(A["losses"])
    print(f"parity {a.label}: handgrad {a.handgrad_dir} vs torch {a.torch_dir}, {steps} steps")
    head = f"{'tensor':<12} {'shape':<16} {'grad@0 rel':>12}      {'params@' + str(steps) + ' rel':>14}"
    if E:
        head += f"      {'hg vs f64':>10} {'torch vs f64':>12}"
    print(head)
    order = lambda s: (int(s.split(".")[0]), s.split(".")[1] != "weight", s)  # noqa: E731
    names = sorted(A["grads0"], key=order)
    buffers = sorted(set(A["params"]) - set(A["grads0"]), key=order)
    # A gradient that is zero in exact arithmetic (a bias right before a batch
    # norm, whose mean subtraction cancels it) is float32 rounding noise in both
    # frameworks: where both norms are below 1e-5 of the largest tensor's, the
    # difference is measured against that largest norm ("zero" in the table).
    largest = max([np.linalg.norm(B["grads0"][n].astype(np.float64)) for n in names] + [1e-30])
    for n in names:
        ga, gb = A["grads0"][n], B["grads0"][n]
        zero = max(np.linalg.norm(ga.astype(np.float64)),
                   np.linalg.norm(gb.astype(np.float64))) < 1e-5 * largest
        g = rel(ga, gb, largest) if zero else rel(ga, gb)
        q = rel(A["params"][n], B["params"][n])
        qe = rel(A["params"][n], E["params"][n]) if E else None
        sg = check(f"grad {n}", g, a.tol_grad)
        sg = "zero" if zero and sg == "ok" else sg
        sq = check(f"params {n}", q, a.tol_params, qe)
        shape = "x".join(map(str, B["params"][n].shape))
        line = f"{n:<12} {shape:<16} {g:12.3e} {sg:<4} {q:14.3e} {sq:<4}"
        row = {"tensor": n, "shape": shape, "grad0_rel": g, "params_rel": q}
        if E:
            qt = rel(B["params"][n], E["params"][n])
            line += f" {qe:10.3e} {qt:12.3e}"
            row.update(params_rel_vs_f64=qe, torch_params_rel_vs_f64=qt)
        print(line)
        rows.append(row)
    for n in buffers:
        a_b, b_b = A["params"][n], B["params"][n]
        shape = "x".join(map(str, b_b.shape)) or "()"
        if np.issubdtype(b_b.dtype, np.integer):
            same = a_b.dtype == b_b.dtype and np.array_equal(a_b, b_b)
            st = "ok" if same else "OVER"
            if not same:
                fails.append(f"buffer {n}")
            print(f"{n:<24} {shape:<8} count {int(a_b.sum())} vs {int(b_b.sum())} {st}")
            rows.append({"tensor": n, "shape": shape, "buffer_equal": bool(same)})
            continue
        q = rel(a_b, b_b)
        qe = rel(a_b, E["params"][n]) if E else None
        sq = check(f"buffer {n}", q, a.tol_params, qe)
        print(f"{n:<24} {shape:<8} buffer@{steps} rel {q:10.3e} {sq}")
        rows.append({"tensor": n, "shape": shape, "buffer_rel": q})
    la, lb = A["losses"], B["losses"]
    lrel = loss_rel(la, lb)
    lrel_e = loss_rel(la, E["losses"]) if E else None
    lo0 = logit_abs(A, B, "init")
    lo1 = logit_abs(A, B, "final")
    lo1_e = logit_abs(A, E, "final") if E else None

    def also(v):
        return f", handgrad vs float64 {v:.3e}" if v is not None else ""

    print(f"{'per-step loss, max rel diff':<40} {lrel:10.3e} "
          f"{check('loss', lrel, a.tol_loss, lrel_e)} (tol {a.tol_loss:g}{also(lrel_e)})")
    print(f"{'logits at init, max abs diff':<40} {lo0:10.3e} "
          f"{check('logits@init', lo0, a.tol_logits)} (tol {a.tol_logits:g})")
    print(f"{'logits after ' + str(steps) + ' steps, max abs diff':<40} {lo1:10.3e} "
          f"{check('logits@final', lo1, a.tol_logits_final, lo1_e)} "
          f"(tol {a.tol_logits_final:g}{also(lo1_e)})")
    worst_g = max((r["grad0_rel"] for r in rows if "grad0_rel" in r), default=0.0)
    worst_p = max((r.get("params_rel", r.get("buffer_rel", 0.0)) for r in rows), default=0.0)
    print(f"loss {la[0]:.6f} -> {la[-1]:.6f} (handgrad), {lb[0]:.6f} -> {lb[-1]:.6f} (torch)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"label": a.label, "steps": steps, "tensors": rows, "loss_rel": lrel,
                       "logits_init_abs": lo0, "logits_final_abs": lo1, "worst_grad0_rel": worst_g,
                       "worst_params_rel": worst_p, "arbitrated_by_float64": arbitrated,
                       "pass": not fails}, f, indent=1)
    if fails:
        print("FAIL: over tolerance: " + ", ".join(fails))
        return 1
    if arbitrated:
        print("PASS (float64 arbiter): torch float32 left the exact trajectory (a max-pool or "
              "ReLU near-tie decided differently), handgrad is within tolerance of torch "
              "float64 for: " + ", ".join(arbitrated))
        return 0
    print(f"PASS: worst grad@0 {worst_g:.2e}, params {worst_p:.2e}, loss {lrel:.2e}, "
          f"logits {lo0:.2e} / {lo1:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
