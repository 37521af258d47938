"""torch modules for the handgrad layers that torch.nn has no exact twin of.

`hg.Dropout(p)`: PyTorch's inverted dropout, but with handgrad's masks instead of
torch's generator, so that the two frameworks drop the same elements and a run can
be compared number by number (reference/replay.py). The masks are a pure function
of (run seed, optimizer step, layer index, sample index in the batch, element
index in the sample); this is a port of include/handgrad/core/rng.h:

    step key    = mix64(mix64(run seed) ^ step)
    layer key   = mix64(step key ^ (0x632be59bd9b4e019 * (layer + 1)))
    sample key  = mix64(layer key + sample)
    bits(e)     = mix32(mix32(e ^ low32(sample key)) + high32(sample key))
    keep e      iff bits(e) >> 8 >= ceil(p * 2^24); kept values are scaled by 1/(1-p)

Porting the generator (instead of having handgrad write its masks to files) keeps
the check independent: a mask is computed twice, by two implementations, from the
definition alone, and the replay needs no file per step.

arch.py gives each module its layer index (set_layer_index); replay.py calls
set_step(model, seed, step) before every training step.
"""
import math

import numpy as np
import torch
import torch.nn as nn

M64 = (1 << 64) - 1


def mix64(x):
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def mix32(x):
    """x: np.uint32 array (wrapping arithmetic)."""
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x7FEB352D)
    x = x ^ (x >> np.uint32(15))
    x = x * np.uint32(0x846CA68B)
    return x ^ (x >> np.uint32(16))


def step_key(run_seed, step):
    return mix64(mix64(run_seed & M64) ^ (step & M64))


def layer_key(step, layer):
    return mix64(step ^ ((0x632BE59BD9B4E019 * (layer + 1)) & M64))


def sample_key(layer, sample):
    return mix64((layer + sample) & M64)


def element_bits(sample, count):
    e = np.arange(count, dtype=np.uint32)
    with np.errstate(over="ignore"):
        h = mix32(e ^ np.uint32(sample & 0xFFFFFFFF))
        return mix32(h + np.uint32(sample >> 32))


def dropout_mask(key, n, shape, p, dtype=np.float32):
    """(n, *shape): 1/(1-p) where kept, 0 where dropped (key: this layer's key)."""
    count = int(np.prod(shape))
    threshold = np.uint32(math.ceil(p * 16777216.0))
    scale = np.array(1.0 / (1.0 - p)).astype(dtype)
    rows = [np.where((element_bits(sample_key(key, b), count) >> np.uint32(8)) >= threshold,
                     scale, dtype(0)) for b in range(n)]
    return np.stack(rows).reshape((n,) + tuple(shape)).astype(dtype)


class Dropout(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p
        self.layer_index = None
        self.key = None

    def set_layer_index(self, i):
        self.layer_index = i

    def forward(self, x):
        if not self.training:
            return x
        if self.layer_index is None or self.key is None:
            raise RuntimeError("hg.Dropout: set_layer_index() and set_step() come first")
        dtype = np.float64 if x.dtype == torch.float64 else np.float32
        m = dropout_mask(layer_key(self.key, self.layer_index), x.shape[0], x.shape[1:], self.p,
                         dtype)
        return x * torch.from_numpy(m)

    def extra_repr(self):
        return f"p={self.p}"


def set_step(model, run_seed, step):
    """Every hg module of the model draws the masks of this optimizer step."""
    key = step_key(run_seed, step)
    for m in model.modules():
        if isinstance(m, Dropout):
            m.key = key
