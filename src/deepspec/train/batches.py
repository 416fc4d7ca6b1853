"""Mini-batches: shuffle the examples, then partition them.   notes §2.4.1

The notes' ``random_mini_batches`` works on columns (X: (n_x, m)); here examples are rows
(batch-first, X: (m, ...)), so batch k holds rows ``permutation[k * batch_size:
(k + 1) * batch_size]`` and the last batch is smaller when m is not a multiple of
``batch_size``.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import rng as make_rng
from ..tensor import Tensor


def as_array(data, owner: str, name: str):
    """``data`` as an array without copying (a Tensor's data, an ndarray as is)."""
    if isinstance(data, Tensor):
        return data.data
    array = np.asarray(data)
    if array.ndim == 0:
        raise ValueError(f"{owner}: {name} should have a batch axis (m, ...), got a scalar")
    return array


def check_batches(X, Y, batch_size, owner: str) -> int:
    """The number of examples m, after checking that X and Y agree and batch_size >= 1."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"{owner}: batch_size should be an int, got {type(batch_size).__name__}")
    if batch_size < 1:
        raise ValueError(f"{owner}: batch_size should be >= 1, got {batch_size}")
    if Y is not None and X.shape[0] != Y.shape[0]:
        raise ValueError(f"{owner}: X and Y should hold the same number of examples m "
                         f"(first axis), got X {X.shape} and Y {Y.shape}")
    return X.shape[0]


def num_batches(m: int, batch_size: int) -> int:
    """ceil(m / batch_size): the complete batches plus the smaller last one, if any."""
    return math.ceil(m / batch_size)


def iter_mini_batches(X, Y=None, batch_size: int = 64, *, shuffle: bool = True, seed=0,
                      owner: str = "iter_mini_batches"):
    """Yield (X_batch, Y_batch) lazily; one permutation index, fancy-indexed per batch.

    Without shuffling the batches are views of X and Y (no copy at all). With ``Y=None``
    it yields X batches alone. ``seed``: int, ``numpy.random.Generator`` or None. The
    arguments are checked at the call, not at the first batch.
    """
    X = as_array(X, owner, "X")
    Y = None if Y is None else as_array(Y, owner, "Y")
    m = check_batches(X, Y, batch_size, owner)
    index = make_rng(seed).permutation(m) if shuffle else None
    return _batches(X, Y, m, batch_size, index)


def _batches(X, Y, m, batch_size, index):
    for start in range(0, m, batch_size):
        stop = start + batch_size
        rows = slice(start, stop) if index is None else index[start:stop]
        yield X[rows] if Y is None else (X[rows], Y[rows])


def random_mini_batches(X, Y, batch_size: int = 64, seed=0) -> list:
    """Shuffle (X, Y) together and partition into mini-batches.   notes §2.4.1

    Shapes: X (m, ...), Y (m, ...) or (m,) -> [(X_batch, Y_batch), ...], ceil(m /
    batch_size) batches, each of ``batch_size`` examples except perhaps the last.
    The permutation is ``numpy.random.default_rng(seed).permutation(m)`` (``seed`` may be
    a Generator), so the same seed gives the same batches.
    """
    if Y is None:
        raise ValueError("random_mini_batches: Y should be an array of labels, got None")
    return list(iter_mini_batches(X, Y, batch_size, shuffle=True, seed=seed,
                                  owner="random_mini_batches"))
