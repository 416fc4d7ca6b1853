"""Data augmentation for images (m, n_H, n_W, n_C), applied on the fly.   notes §4.2 (course 4)

Each augmentation is a callable ``aug(X, rng) -> X`` on a batch (NumPy arrays, channels
last) that draws its randomness from the Generator it is given, per example and vectorized
(no loop over examples). ``Compose([...], seed=...)`` chains them and owns the Generator,
so ``fit(..., augment=Compose([...], seed=0))`` gives the same augmented batches each run.
"""

from __future__ import annotations

import numpy as np

from ..backend import rng as make_rng


def _check_images(name: str, X) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 4:
        raise ValueError(f"{name}: images should have shape (m, n_H, n_W, n_C), got {X.shape}")
    return X


class RandomFlip:
    """Mirror each image left-right (and/or top-bottom) with probability p."""

    def __init__(self, *, horizontal: bool = True, vertical: bool = False, p: float = 0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomFlip: p should be in [0, 1], got {p}")
        self.horizontal, self.vertical, self.p = horizontal, vertical, p

    def __call__(self, X, rng):
        X = _check_images("RandomFlip", X)
        out = X.copy()
        for axis, on in ((2, self.horizontal), (1, self.vertical)):
            if on:
                flip = rng.random(len(X)) < self.p
                out[flip] = np.flip(out[flip], axis=axis)
        return out

    def __repr__(self) -> str:
        return f"RandomFlip(horizontal={self.horizontal}, vertical={self.vertical}, p={self.p})"


class RandomCrop:
    """Zero-pad by ``padding`` then cut a random ``size`` window from each image."""

    def __init__(self, size, *, padding: int = 0):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        if len(self.size) != 2 or min(self.size) < 1 or padding < 0:
            raise ValueError(f"RandomCrop: size should be 1 or 2 positive ints and padding >= 0, "
                             f"got size={size}, padding={padding}")
        self.padding = int(padding)

    def __call__(self, X, rng):
        X = _check_images("RandomCrop", X)
        p, (h, w) = self.padding, self.size
        if p:
            X = np.pad(X, ((0, 0), (p, p), (p, p), (0, 0)))
        m, H, W, _ = X.shape
        if h > H or w > W:
            raise ValueError(f"RandomCrop: crop {self.size} is larger than the padded images "
                             f"({H}, {W})")
        top = rng.integers(0, H - h + 1, m)
        left = rng.integers(0, W - w + 1, m)
        rows = (top[:, None] + np.arange(h))[:, :, None]  # (m, h, 1)
        cols = (left[:, None] + np.arange(w))[:, None, :]  # (m, 1, w)
        return X[np.arange(m)[:, None, None], rows, cols]

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class ColorShift:
    """Add a random offset in [-max_shift, max_shift] to each channel of each image."""

    def __init__(self, max_shift: float):
        if not max_shift >= 0:
            raise ValueError(f"ColorShift: max_shift should be >= 0, got {max_shift}")
        self.max_shift = float(max_shift)

    def __call__(self, X, rng):
        X = _check_images("ColorShift", X)
        shift = rng.uniform(-self.max_shift, self.max_shift, (len(X), 1, 1, X.shape[-1]))
        return (X + shift).astype(X.dtype if X.dtype.kind == "f" else np.float32)

    def __repr__(self) -> str:
        return f"ColorShift(max_shift={self.max_shift})"


class PCAColor:
    """AlexNet's colour augmentation: add sum_i alpha_i lambda_i p_i to every pixel, with
    (lambda_i, p_i) the eigenpairs of the pixel colours' covariance and alpha_i ~ N(0, std^2)
    drawn per image (Krizhevsky et al. 2012, §4.1). Call ``fit(X)`` on training images first.
    """

    def __init__(self, std: float = 0.1):
        if not std >= 0:
            raise ValueError(f"PCAColor: std should be >= 0, got {std}")
        self.std = float(std)
        self.eigenvalues = self.eigenvectors = None

    def fit(self, X) -> PCAColor:
        X = _check_images("PCAColor.fit", X)
        pixels = X.reshape(-1, X.shape[-1]).astype(np.float64)
        self.eigenvalues, self.eigenvectors = np.linalg.eigh(np.cov(pixels, rowvar=False))
        self.eigenvalues = np.clip(self.eigenvalues, 0, None)
        return self

    def __call__(self, X, rng):
        X = _check_images("PCAColor", X)
        if self.eigenvalues is None:
            raise RuntimeError("PCAColor: call fit(training images) before augmenting")
        if X.shape[-1] != len(self.eigenvalues):
            raise ValueError(f"PCAColor: fitted on {len(self.eigenvalues)} channels, "
                             f"got images with {X.shape[-1]}")
        alpha = rng.normal(0, self.std, (len(X), len(self.eigenvalues)))
        shift = (alpha * self.eigenvalues) @ self.eigenvectors.T  # (m, n_C)
        return (X + shift[:, None, None, :]).astype(X.dtype if X.dtype.kind == "f"
                                                    else np.float32)

    def __repr__(self) -> str:
        return f"PCAColor(std={self.std}, fitted={self.eigenvalues is not None})"


class Compose:
    """Apply augmentations in order with one seeded Generator: ``Compose([...], seed=0)(X)``."""

    def __init__(self, augmentations, *, seed=None):
        self.augmentations = list(augmentations)
        for a in self.augmentations:
            if not callable(a):
                raise TypeError(f"Compose: augmentations should be callables (X, rng) -> X, "
                                f"got {type(a).__name__}")
        self.rng = make_rng(seed)

    def __call__(self, X, rng=None):
        rng = self.rng if rng is None else rng
        for augmentation in self.augmentations:
            X = augmentation(X, rng)
        return X

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(map(repr, self.augmentations)) + "])"
