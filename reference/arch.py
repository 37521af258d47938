"""A handgrad architecture string -> the same torch nn.Sequential.

There is no second list of layers here: `handgrad layers --json --arch A --input D`
describes the configured network, each layer with its torch.nn module as a Python
expression over `nn` (the layer's own `torch()` in src/layers/<name>.cpp), and this
builds nn.Sequential from exactly those. Parameter names equal handgrad's because
both are nn.Sequential state_dict names: "<layer index>.weight", "<layer index>.bias".
A layer torch.nn has no exact twin of names a module of hg_modules.py ("hg.Dropout(0.5)":
PyTorch's dropout with handgrad's masks), which learns its index in the Sequential here.

The handgrad binary is $HANDGRAD_BIN, else build/handgrad beside this folder.
"""
import json
import os
import subprocess

import sys

import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hg_modules as hg  # noqa: E402

_HERE = os.path.dirname(os.path.abspath(__file__))


def handgrad_bin():
    return os.environ.get("HANDGRAD_BIN") or os.path.join(_HERE, "..", "build", "handgrad")


def parse_dims(s):
    """ "1x28x28" -> (1, 28, 28); "2" -> (2,)."""
    return tuple(int(p) for p in str(s).lower().split("x"))


def describe(arch_or_preset, input_dims=None):
    """handgrad's own description of the network: {"arch", "input", "layers": [...]}."""
    cmd = [handgrad_bin(), "layers", "--json"]
    presets = [p for p in ("seed-cnn", "seed-mlp", "seed-2d") if p == arch_or_preset]
    cmd += ["--preset", arch_or_preset] if presets else ["--arch", arch_or_preset]
    if input_dims is not None:
        cmd += ["--input", "x".join(str(d) for d in input_dims)]
    elif not presets:
        raise ValueError("an architecture string needs its input shape")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise ValueError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def resolve(arch_or_preset, input_dims=None):
    """A preset name or an architecture string -> (canonical arch, input dims)."""
    d = describe(arch_or_preset, input_dims)
    return d["arch"], tuple(d["input"])


def build(arch, input_dims):
    """nn.Sequential of the layers handgrad builds for `arch` on `input_dims`."""
    d = describe(arch, input_dims)
    seq = nn.Sequential(*[eval(layer["torch"], {"nn": nn, "hg": hg})  # noqa: S307
                          for layer in d["layers"]])
    for i, m in enumerate(seq):
        if hasattr(m, "set_layer_index"):
            m.set_layer_index(i)
    return seq
