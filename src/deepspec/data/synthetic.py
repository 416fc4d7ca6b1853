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


LAYOUTS = ("batch", "notes")


def _sklearn_datasets(op: str):
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError(f"{op} needs scikit-learn: pip install deepspec[data]") from None
    return datasets


def _two_class_set(op: str, maker: str, n_samples: int, noise: float, seed: int, layout: str,
                   **extra):
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
            or n_samples < 2:
        raise ValueError(f"{op}: n_samples should be an integer >= 2, got {n_samples!r}")
    if not noise >= 0:  # NaN fails too
        raise ValueError(f"{op}: noise should be >= 0, got {noise}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{op}: seed should be an int (the assignment's np.random.seed), "
                        f"got {type(seed).__name__}")
    if layout not in LAYOUTS:
        raise ValueError(f"{op}: layout should be one of {LAYOUTS}, got {layout!r}")
    make = getattr(_sklearn_datasets(op), maker)
    # np.random.seed(seed) followed by make_*(random_state=None) draws from the global
    # RandomState seeded with ``seed``: a fresh RandomState(seed) draws the same numbers
    # without touching the global state
    X, y = make(n_samples=int(n_samples), noise=noise,
                random_state=np.random.RandomState(seed), **extra)
    X = X.astype(get_default_dtype())
    if layout == "notes":
        return X.T, y.reshape(1, -1).astype(get_default_dtype())
    return X, y.astype(np.int64)


def make_circles(n_samples: int = 300, *, noise: float = 0.05, seed: int = 1,
                 factor: float = 0.8, layout: str = "batch"):
    """Two noisy concentric circles (scikit-learn's ``make_circles``).   course 2, week 1

    The defaults are the initialization assignment's training set, exactly:
    ``np.random.seed(1); sklearn.datasets.make_circles(n_samples=300, noise=.05)``; its test
    set is ``make_circles(100, seed=2)``. Without regularization, zero weights reach 50%,
    large random weights ~86% and He initialization ~96% test accuracy on them.

    Returns ``X (m, 2)`` in the default float dtype and ``y (m,)`` of int64 0/1 labels
    (batch-first); ``layout="notes"`` gives the assignment's ``X (2, m)`` and ``Y (1, m)``
    (float). Needs scikit-learn (``pip install deepspec[data]``).
    """
    return _two_class_set("make_circles", "make_circles", n_samples, noise, seed, layout,
                          factor=factor)


def make_moons(n_samples: int = 300, *, noise: float = 0.2, seed: int = 3,
               layout: str = "batch"):
    """Two interleaving noisy half-moons (scikit-learn's ``make_moons``).   course 2, week 2

    The defaults are the optimization assignment's training set, exactly:
    ``np.random.seed(3); sklearn.datasets.make_moons(n_samples=300, noise=.2)``, on which
    the [2, 5, 2, 1] network reaches ~79.7% (mini-batch GD, momentum) and ~94% (Adam).

    Returns ``X (m, 2)`` in the default float dtype and ``y (m,)`` of int64 0/1 labels
    (batch-first); ``layout="notes"`` gives the assignment's ``X (2, m)`` and ``Y (1, m)``
    (float). Needs scikit-learn (``pip install deepspec[data]``).
    """
    return _two_class_set("make_moons", "make_moons", n_samples, noise, seed, layout)
