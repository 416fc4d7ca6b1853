"""Normalizing inputs: x := (x - mu) / sigma, with the training set's mu and sigma^2.
notes §2.3.1

mu = (1/m) sum_i x(i) and sigma^2 = (1/m) sum_i (x(i) - mu)^2, element-wise over the
training examples. The notes' warning: normalize the dev and test sets with the SAME mu and
sigma^2 (fit once on train, then only transform).
"""

from __future__ import annotations

import numpy as np

from ..backend import get_default_dtype

__all__ = ["Standardizer"]


BLOCK = 1 << 22  # elements per block of examples when computing the statistics


def _check_eps(eps) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) \
            or not 0 < eps < np.inf:
        raise ValueError(f"Standardizer: eps should be a positive number, got {eps!r}")
    return float(eps)


def _check_axis(axis) -> tuple[int, ...] | None:
    if axis is None:
        return None
    axis = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if not axis or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                           for a in axis):
        raise TypeError(f"Standardizer: axis should be an int or a tuple of ints, got {axis!r}")
    return tuple(int(a) for a in axis)


def _moments(X: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """float64 mean and (1/m) variance over ``axes`` (0 among them), two passes over blocks
    of examples so no float64 copy of a large X is ever made."""
    step = max(1, BLOCK // max(1, X[0].size))
    count = np.prod([X.shape[a] for a in axes], dtype=np.float64)
    blocks = range(0, X.shape[0], step)
    mu = sum(X[i:i + step].sum(axis=axes, dtype=np.float64) for i in blocks) / count
    mu_b = np.expand_dims(mu, axes)
    var = sum(np.square(X[i:i + step] - mu_b).sum(axis=axes) for i in blocks) / count
    return np.asarray(mu), np.asarray(var)


class Standardizer:
    """Per-feature standardization, fit on the training set.   notes §2.3.1

    ``fit(X_train)`` computes mu and var (sigma^2) over ``axis``; ``transform(X)`` returns
    (X - mu) / sqrt(var + eps) with those statistics, for train, dev and test alike.

    Args:
        axis: the axes averaged over; must include 0, the example axis. Default: every axis
            but the last, so dense inputs (m, n) get one mu per feature, images
            (m, n_H, n_W, n_C) one per channel, sequences (m, T, n) one per feature; 1-D
            inputs (m,) are one feature. ``axis=0`` on images gives one mu per pixel and
            channel (the notes' flattened-image normalization).
        eps: added to var, so a constant feature maps to 0 instead of NaN.

    Float inputs keep their dtype; integer inputs (uint8 images) become the default float
    dtype. The statistics are kept in float64.
    """

    def __init__(self, *, axis: int | tuple[int, ...] | None = None, eps: float = 1e-8):
        self.axis, self.eps = _check_axis(axis), _check_eps(eps)
        self.mu: np.ndarray | None = None   # (feature_shape): mean of the training set
        self.var: np.ndarray | None = None  # sigma^2, the population (1/m) variance
        self.ndim: int | None = None        # the fitted inputs' number of dimensions

    def __repr__(self) -> str:
        fitted = "unfitted" if self.mu is None else f"features={self.mu.shape}"
        return f"Standardizer(axis={self.axis}, eps={self.eps:g}, {fitted})"

    # ---- axes and shapes ------------------------------------------------------------------
    def _axes(self, ndim: int) -> tuple[int, ...]:
        if self.axis is None:
            return (0,) if ndim == 1 else tuple(range(ndim - 1))
        axes = []
        for a in self.axis:
            if not -ndim <= a < ndim:
                raise ValueError(f"Standardizer: axis {a} is out of range for inputs with "
                                 f"{ndim} dimensions")
            axes.append(int(a) % ndim)
        if 0 not in axes or len(set(axes)) != len(axes):
            raise ValueError(f"Standardizer: axis should list distinct axes including 0 (the "
                             f"examples), got {self.axis}")
        return tuple(sorted(axes))

    def _kept_shape(self, shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(n for i, n in enumerate(shape) if i not in axes)

    @staticmethod
    def _as_array(X, what: str) -> np.ndarray:
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise TypeError(f"Standardizer.{what}: X should be numeric, got dtype {X.dtype}")
        if X.ndim == 0:
            raise ValueError(f"Standardizer.{what}: X should be batch-first (m, ...), got a "
                             f"scalar")
        return X

    def _out_dtype(self, X: np.ndarray) -> np.dtype:
        return X.dtype if X.dtype.kind == "f" else get_default_dtype()

    def _check_fitted(self, X: np.ndarray, what: str) -> tuple[int, ...]:
        if self.mu is None:
            raise RuntimeError(f"Standardizer.{what}: called before fit; fit on the training "
                               f"set first")
        if X.ndim != self.ndim:
            raise ValueError(f"Standardizer.{what}: X should have {self.ndim} dimensions like "
                             f"the fitted data, got shape {X.shape}")
        axes = self._axes(X.ndim)
        if self._kept_shape(X.shape, axes) != self.mu.shape:
            expected = list(X.shape)
            for i, n in zip([i for i in range(X.ndim) if i not in axes], self.mu.shape):
                expected[i] = n
            shown = tuple("*" if i in axes else n for i, n in enumerate(expected))
            raise ValueError(f"Standardizer.{what}: X should have shape "
                             f"{shown} (the fitted features), got {X.shape}")
        return axes

    # ---- fit and transform ----------------------------------------------------------------
    def fit(self, X) -> Standardizer:
        """mu = (1/m) sum x(i), sigma^2 = (1/m) sum (x(i) - mu)^2 over ``axis``. Returns self."""
        X = self._as_array(X, "fit")
        axes = self._axes(X.ndim)
        if X.shape[0] == 0:
            raise ValueError(f"Standardizer.fit: X has no examples, shape {X.shape}")
        if X.dtype.kind == "f" and not np.all(np.isfinite(X)):
            raise ValueError("Standardizer.fit: X contains NaN or inf")
        self.mu, self.var = _moments(X, axes)
        self.ndim = X.ndim
        return self

    def transform(self, X) -> np.ndarray:
        """(X - mu) / sqrt(var + eps) with the fitted statistics (never refit on X)."""
        X = self._as_array(X, "transform")
        axes = self._check_fitted(X, "transform")
        dtype = self._out_dtype(X)
        mu = np.expand_dims(self.mu, axes).astype(dtype)
        sigma = np.expand_dims(self.scale(), axes).astype(dtype)
        return (X.astype(dtype, copy=False) - mu) / sigma

    def scale(self) -> np.ndarray:
        """sqrt(var + eps) per feature, and 1 for a feature that was constant in training
        (var no larger than the rounding error of its mean): it maps to 0 there, and dev/test
        values that differ from the constant keep their difference instead of being blown up
        by 1/sqrt(eps)."""
        rounding = 64 * np.finfo(np.float64).eps * np.abs(self.mu)
        return np.where(self.var > rounding ** 2, np.sqrt(self.var + self.eps), 1.0)

    def fit_transform(self, X) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``: for the training set only."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """Z * sqrt(var + eps) + mu: back to the original scale."""
        Z = self._as_array(Z, "inverse_transform")
        axes = self._check_fitted(Z, "inverse_transform")
        dtype = self._out_dtype(Z)
        mu = np.expand_dims(self.mu, axes).astype(dtype)
        sigma = np.expand_dims(self.scale(), axes).astype(dtype)
        return Z.astype(dtype, copy=False) * sigma + mu

    # ---- saving ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """The fitted statistics as plain arrays: mu, var, eps, axis, ndim (``ds.save`` it)."""
        if self.mu is None:
            raise RuntimeError("Standardizer.state_dict: nothing to save before fit")
        return {"mu": self.mu.copy(), "var": self.var.copy(), "eps": np.array(self.eps),
                "axis": np.array(self._axes(self.ndim), dtype=np.int64),
                "ndim": np.array(self.ndim, dtype=np.int64)}

    def load_state_dict(self, state: dict) -> Standardizer:
        """Restore statistics saved by ``state_dict`` (replacing axis and eps). Returns self."""
        missing = {"mu", "var", "eps", "axis", "ndim"} - set(state)
        if missing:
            raise KeyError(f"Standardizer.load_state_dict: missing {sorted(missing)}")
        mu = np.asarray(state["mu"], dtype=np.float64)
        var = np.asarray(state["var"], dtype=np.float64)
        axis = tuple(int(a) for a in np.asarray(state["axis"]).reshape(-1))
        ndim = int(np.asarray(state["ndim"]))
        if mu.shape != var.shape or mu.ndim != ndim - len(axis):
            raise ValueError(f"Standardizer.load_state_dict: mu {mu.shape} and var "
                             f"{var.shape} do not fit {ndim}-D inputs averaged over "
                             f"axes {axis}")
        if np.any(var < 0) or not np.all(np.isfinite(mu)) or not np.all(np.isfinite(var)):
            raise ValueError("Standardizer.load_state_dict: mu and var should be finite, "
                             "var >= 0")
        restored = Standardizer(axis=axis, eps=float(np.asarray(state["eps"])))
        restored._axes(ndim)  # validates axis against ndim before anything is replaced
        self.axis, self.eps = restored.axis, restored.eps
        self.mu, self.var, self.ndim = mu, var, ndim
        return self
