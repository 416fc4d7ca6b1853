"""Generated data sets that need no download."""

from __future__ import annotations

import numpy as np

from ..backend import get_default_dtype


def planar_flower(m: int = 400, *, seed: int = 1, petals: int = 4, noise: float = 0.2):
    """The course's planar "flower": two classes of interleaved petals.   course 1, week 3

    With the defaults it reproduces the assignment's exact 400 points (it draws from NumPy's
    legacy ``RandomState(seed)`` in the assignment's order, where the rest of deepspec uses
    ``numpy.random.Generator``), so the course's numbers apply: logistic regression ~47%,
    a 4-unit tanh hidden layer ~90% training accuracy.

    Returns ``X (m, 2)`` in the default float dtype and ``Y (m, 1)`` of 0/1 labels (same dtype),
    batch-first; ``X.T, Y.T`` is the notes' column-major layout.
    """
    if m < 2 or m % 2:
        raise ValueError(f"planar_flower: m should be an even number >= 2, got {m}")
    rng = np.random.RandomState(seed)
    n = m // 2
    X, Y = np.zeros((m, 2)), np.zeros((m, 1))
    for j in range(2):
        ix = slice(n * j, n * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, n) + rng.randn(n) * noise  # angle
        r = petals * np.sin(4 * t) + rng.randn(n) * noise  # radius
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    dtype = get_default_dtype()
    return X.astype(dtype), Y.astype(dtype)
