"""A handgrad architecture string -> the same torch nn.Sequential.

Grammar (as src/model/arch.cpp): layers separated by spaces,
  conv(out,k[,stride[,pad]])  relu  maxpool(k[,stride])  flatten  linear(out)  identity
Parameter names equal handgrad's because both are nn.Sequential state_dict
names: "<layer index>.weight", "<layer index>.bias".
"""
import re

import torch.nn as nn

PRESETS = {
    "seed-cnn": ("conv(4,5) relu maxpool(2) conv(8,5) relu maxpool(2) flatten linear(128) relu "
                 "linear(10)", (1, 28, 28)),
    "seed-mlp": ("flatten linear(128) relu linear(10)", (1, 28, 28)),
    "seed-2d": ("linear(8) relu linear(16) relu linear(32) relu linear(16) relu linear(8) relu "
                "linear(2)", (2,)),
}

_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^)]*)\))?")


def parse_dims(s):
    """ "1x28x28" -> (1, 28, 28); "2" -> (2,)."""
    return tuple(int(p) for p in str(s).lower().split("x"))


def parse_arch(arch):
    """ "conv(4,5) relu" -> [("conv", [4, 5]), ("relu", [])]."""
    out, pos = [], 0
    arch = arch.strip()
    while pos < len(arch):
        m = _TOKEN.match(arch, pos)
        if not m or m.end() == pos:
            raise ValueError(f"architecture '{arch}': cannot parse at character {pos + 1}")
        args = [int(a) for a in m.group(2).split(",") if a.strip()] if m.group(2) else []
        out.append((m.group(1).lower(), args))
        pos = m.end()
        while pos < len(arch) and arch[pos].isspace():
            pos += 1
    if not out:
        raise ValueError("architecture is empty")
    return out


def resolve(arch_or_preset, input_dims=None):
    """A preset name or an architecture string -> (arch, input dims)."""
    if arch_or_preset in PRESETS:
        arch, dims = PRESETS[arch_or_preset]
        return arch, tuple(input_dims) if input_dims else dims
    if input_dims is None:
        raise ValueError("an architecture string needs its input shape")
    return arch_or_preset, tuple(input_dims)


def build(arch, input_dims):
    """Returns nn.Sequential; in_channels / in_features follow from input_dims."""
    dims = tuple(input_dims)
    layers = []
    for name, a in parse_arch(arch):
        if name == "conv":
            out, k = a[0], a[1]
            stride = a[2] if len(a) > 2 else 1
            pad = a[3] if len(a) > 3 else 0
            c, h, w = dims
            layers.append(nn.Conv2d(c, out, k, stride=stride, padding=pad))
            dims = (out, (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1)
        elif name == "maxpool":
            k = a[0]
            stride = a[1] if len(a) > 1 else k
            c, h, w = dims
            layers.append(nn.MaxPool2d(k, stride=stride))
            dims = (c, (h - k) // stride + 1, (w - k) // stride + 1)
        elif name == "linear":
            if len(dims) != 1:
                raise ValueError(f"linear needs a flat input, got {dims}")
            layers.append(nn.Linear(dims[0], a[0]))
            dims = (a[0],)
        elif name == "flatten":
            layers.append(nn.Flatten())
            n = 1
            for d in dims:
                n *= d
            dims = (n,)
        elif name == "relu":
            layers.append(nn.ReLU())
        elif name == "identity":
            layers.append(nn.Identity())
        else:
            raise ValueError(f"unknown layer '{name}'")
    return nn.Sequential(*layers)
