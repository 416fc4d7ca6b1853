"""Sampling from a model's distribution, and perplexity.   notes §5.1.5"""

from __future__ import annotations

import math

import numpy as np

from ..backend import rng as make_rng
from ..tensor import Tensor


def sample(logits, *, temperature: float = 1.0, top_k: int | None = None, seed=None):
    """Draw one id from softmax(logits / temperature) along the last axis, for every row.

    ``temperature`` < 1 sharpens the distribution (towards greedy argmax at 0), > 1 flattens
    it; ``top_k`` keeps only the k most likely ids. ``seed``: int or Generator (pass one
    Generator across steps for a reproducible sequence). Returns int64 ids of shape (...).
    """
    z = np.asarray(logits.data if isinstance(logits, Tensor) else logits, dtype=np.float64)
    if z.ndim == 0:
        raise ValueError("sample: logits should have a class axis, got a scalar")
    if not temperature >= 0:
        raise ValueError(f"sample: temperature should be >= 0, got {temperature}")
    V = z.shape[-1]
    if top_k is not None and not 1 <= top_k <= V:
        raise ValueError(f"sample: top_k should be in [1, {V}], got {top_k}")
    if temperature == 0:
        return z.argmax(axis=-1)
    z = z / temperature
    if top_k is not None and top_k < V:
        keep = np.argpartition(-z, top_k - 1, axis=-1)[..., :top_k]  # exactly k, ties too
        kept = np.full_like(z, -np.inf)
        np.put_along_axis(kept, keep, np.take_along_axis(z, keep, axis=-1), axis=-1)
        z = kept
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    cumulative = np.cumsum(p, axis=-1)
    u = make_rng(seed).random((*z.shape[:-1], 1)) * cumulative[..., -1:]
    return np.minimum((cumulative <= u).sum(axis=-1), V - 1).astype(np.int64)


def sample_from_probabilities(p, *, seed=None):
    """Draw one id per row from probabilities p (..., V) (rows are renormalized)."""
    p = np.asarray(p.data if isinstance(p, Tensor) else p, dtype=np.float64)
    if p.ndim == 0 or np.any(p < 0):
        raise ValueError("sample_from_probabilities: p should be (..., V) non-negative")
    with np.errstate(divide="ignore"):
        return sample(np.log(p), seed=seed)


def perplexity(cost: float) -> float:
    """exp(J): the perplexity of a mean per-token cross-entropy J (natural log)."""
    cost = float(cost.data if isinstance(cost, Tensor) else cost)
    return math.exp(cost)
