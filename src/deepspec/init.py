"""Weight initializers.   notes §2.1.6 (vanishing/exploding gradients), §2.3.2 (He / Xavier)

Each takes a shape and a ``seed`` (an int, a ``numpy.random.Generator`` or None) and returns
an array in the default dtype. Draws are made in float64 and then cast, so the same seed
gives the same weights in float32 and float64.

Fan-in ``n[l-1]``: for dense weights ``W (n, n_prev)`` it is ``n_prev``; for conv filters
``(f, f, n_C_prev, n_C)`` it is ``f * f * n_C_prev``.
"""

from __future__ import annotations

import math

from .backend import get_default_dtype, rng, xp


def fans(shape: tuple) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of this shape."""
    shape = tuple(shape)
    if len(shape) == 0:
        raise ValueError("init: a weight should have at least one axis, got shape ()")
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:  # dense W (n, n_prev)
        return shape[1], shape[0]
    receptive = math.prod(shape[:-2])  # conv filters (f, f, n_C_prev, n_C)
    return receptive * shape[-2], receptive * shape[-1]


def _cast(a, dtype):
    return a.astype(dtype or get_default_dtype(), copy=False)


def zeros(shape, *, seed=None, dtype=None):
    """All zeros (fine for biases; for weights it fails to break symmetry, notes §1.3.4)."""
    return xp.zeros(tuple(shape), dtype=dtype or get_default_dtype())


def random(shape, *, scale: float = 0.01, seed=None, dtype=None):
    """W = randn(shape) * scale (the notes' 0.01; ×10 shows exploding activations)."""
    return _cast(rng(seed).standard_normal(tuple(shape)) * scale, dtype)


def _fan_in(name: str, shape) -> int:
    fan_in, _ = fans(shape)
    if fan_in <= 0:
        raise ValueError(f"init.{name}: fan_in should be positive, got {fan_in} "
                         f"for shape {tuple(shape)}")
    return fan_in


def xavier(shape, *, seed=None, dtype=None):
    """W = randn(shape) * sqrt(1 / n[l-1]), for tanh.   notes §2.3.2"""
    fan_in = _fan_in("xavier", shape)
    return _cast(rng(seed).standard_normal(tuple(shape)) * math.sqrt(1.0 / fan_in), dtype)


def he(shape, *, seed=None, dtype=None):
    """W = randn(shape) * sqrt(2 / n[l-1]), for ReLU.   notes §2.3.2"""
    fan_in = _fan_in("he", shape)
    return _cast(rng(seed).standard_normal(tuple(shape)) * math.sqrt(2.0 / fan_in), dtype)


def glorot_uniform(shape, *, seed=None, dtype=None):
    """W ~ U(-r, r), r = sqrt(6 / (n[l-1] + n[l])) (Glorot & Bengio 2010; Keras' default)."""
    fan_in, fan_out = fans(shape)
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return _cast(rng(seed).uniform(-limit, limit, tuple(shape)), dtype)


INITIALIZERS = {
    "zeros": zeros,
    "random": random,
    "xavier": xavier,
    "he": he,
    "glorot_uniform": glorot_uniform,
}


def get(init):
    """An initializer from its name (or a callable, returned as is)."""
    if callable(init):
        return init
    if init not in INITIALIZERS:
        raise ValueError(f"init: unknown initializer {init!r}; choose one of "
                         f"{sorted(INITIALIZERS)} or pass a callable(shape, seed=...)")
    return INITIALIZERS[init]
