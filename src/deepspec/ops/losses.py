"""Cost functions with closed-form gradients.   notes §1.2.2 (cross-entropy), §2.7.2 (softmax)

Each takes ``reduction="mean"`` (the notes' cost J, averaged over examples), ``"sum"`` or
``"none"`` (one loss per example).
"""

from __future__ import annotations

from ..backend import xp
from ..tensor import Function, Tensor
from .activations import sigmoid_array

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses, reduction):
    if reduction == "mean":  # sum / m: ndarray.mean() costs several microseconds more
        return losses.sum() * (1.0 / max(1, losses.size))
    if reduction == "sum":
        return losses.sum()
    return losses


def _scale(dJ, shape, count, reduction):
    """The upstream gradient per example: dJ / m for the mean, dJ for the sum or none."""
    if reduction == "none":
        return dJ
    return dJ / count if reduction == "mean" else dJ


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction should be one of {_REDUCTIONS}, got {reduction!r}")


def _labels(op: str, labels, Z_shape: tuple, dtype):
    """Integer class ids of shape Z.shape[:-1], or one-hot / soft targets of shape Z.shape."""
    Y = labels.data if isinstance(labels, Tensor) else xp.asarray(labels)
    if Y.shape == Z_shape:
        return Y.astype(dtype, copy=False), True
    if Y.shape != Z_shape[:-1]:
        raise ValueError(f"{op}: labels should have shape {Z_shape[:-1]} (class ids) or "
                         f"{Z_shape} (one-hot), got {Y.shape}")
    if Y.dtype.kind not in "iub":
        if Y.dtype.kind == "f" and Y.size and xp.all(Y == xp.round(Y)):
            Y = Y.astype(xp.int64)
        else:
            raise TypeError(f"{op}: class-id labels should be integers, got dtype {Y.dtype}")
    n_classes = Z_shape[-1]
    if Y.size and (Y.min() < 0 or Y.max() >= n_classes):
        raise ValueError(f"{op}: labels should be in [0, {n_classes - 1}], "
                         f"got values in [{Y.min()}, {Y.max()}]")
    return Y, False


class SoftmaxCrossEntropy(Function):
    """J = -(1/m) sum_i sum_k Y_ik log softmax(Z_i)_k;  dZ = (A - Y) / m.   notes §2.7.2

    Shapes: Z (..., C) logits; labels (...) class ids or (..., C) one-hot -> J ().
    A ``mask`` (...) of 0/1 weights (many-to-many sequences with padding) keeps only the
    masked-in positions: J = -sum_i w_i log A_i[y_i] / sum_i w_i, dZ_i = w_i (A_i - Y_i) / sum w.
    """

    def forward(self, Z, *, labels, reduction, mask=None):
        Y, one_hot = _labels("softmax_cross_entropy", labels, Z.shape, Z.dtype)
        shifted = Z - Z.max(axis=-1, keepdims=True)  # log-sum-exp trick
        A = xp.exp(shifted)
        total = A.sum(axis=-1, keepdims=True)
        A /= total
        log_A = shifted
        log_A -= xp.log(total)
        if one_hot:
            losses = xp.asarray((Y * log_A).sum(axis=-1))
        else:  # pick log A[i, y_i] with flat indices: cheaper than take_along_axis
            C = Z.shape[-1]
            self.flat = xp.arange(0, Y.size * C, C) + Y.reshape(-1)
            losses = log_A.reshape(-1)[self.flat].reshape(Y.shape)
        xp.negative(losses, out=losses)
        self.A, self.Y, self.one_hot, self.reduction = A, Y, one_hot, reduction
        self.mask = mask
        if mask is None:
            self.count = max(1, losses.size)
            return _reduce(losses, reduction)
        losses *= mask
        self.count = max(1.0, float(mask.sum()))  # the mean is over the masked-in positions
        if reduction == "none":
            return losses
        total = losses.sum()
        return total / self.count if reduction == "mean" else total

    def backward(self, dJ):
        dZ = self.A.copy()
        if self.one_hot:  # A * sum_k Y_k - Y: soft targets need not sum to 1
            dZ *= self.Y.sum(axis=-1, keepdims=True)
            dZ -= self.Y
        else:  # A - Y with Y one-hot: subtract 1 at each example's class
            dZ.reshape(-1)[self.flat] -= 1
        g = _scale(dJ, dZ.shape, self.count, self.reduction)
        if self.reduction == "none":
            dZ *= g[..., None]
        else:
            dZ *= g
        if self.mask is not None:
            dZ *= self.mask[..., None]
        return dZ


class BinaryCrossEntropy(Function):
    """J = -(1/m) sum [Y log A + (1 - Y) log(1 - A)] on probabilities A.   notes §1.2.2

    A is clipped to [epsilon, 1 - epsilon] so log never sees 0; the gradient is the
    closed form dA = (A - Y) / (A (1 - A)) at the clipped A.
    """

    def forward(self, A, *, Y, reduction, epsilon):
        self.shape = A.shape
        if A.ndim == 0:  # work on (1,) so every step below can write in place
            A, Y = A.reshape(1), Y.reshape(1)
        high = _upper_clip(A.dtype, epsilon)
        A_c = xp.maximum(A, epsilon)
        xp.minimum(A_c, high, out=A_c)
        self.A_c, self.Y, self.reduction, self.count = A_c, Y, reduction, max(1, A.size)
        log_1mA = 1 - A_c  # log(1 - A): NumPy's float32 log is vectorized, log1p is not,
        xp.log(log_1mA, out=log_1mA)  # and 1 - A is exact enough inside the clip
        log_odds = xp.log(A_c)
        log_odds -= log_1mA  # Y log A + (1 - Y) log(1 - A) = Y log(A / (1 - A)) + log(1 - A)
        if reduction == "none":
            log_odds *= Y
            log_odds += log_1mA
            return xp.negative(log_odds, out=log_odds).reshape(self.shape)
        total = -(float(xp.vdot(Y, log_odds)) + float(log_1mA.sum()))
        return xp.asarray(total / self.count if reduction == "mean" else total, dtype=A.dtype)

    def backward(self, dJ):
        A = self.A_c
        dA = A - self.Y
        denominator = 1 - A
        denominator *= A
        dA /= denominator
        dA *= _scale(dJ, A.shape, self.count, self.reduction)
        return dA.reshape(self.shape)


_UPPER_CLIP: dict = {}


def _upper_clip(dtype, epsilon: float) -> float:
    """1 - epsilon, or the largest value below 1 where 1 - epsilon rounds to 1 (float32)."""
    key = (dtype, epsilon)
    high = _UPPER_CLIP.get(key)
    if high is None:
        high = _UPPER_CLIP[key] = min(1 - epsilon, 1 - float(xp.finfo(dtype).epsneg))
    return high


class BinaryCrossEntropyWithLogits(Function):
    """J = mean[max(Z, 0) - Z Y + log(1 + e^-|Z|)] = BCE(sigmoid(Z), Y).   notes §1.2.2

    dZ = (sigmoid(Z) - Y) / m.
    """

    def forward(self, Z, *, Y, reduction):
        losses = xp.maximum(Z, 0) - Z * Y + xp.log1p(xp.exp(-xp.abs(Z)))
        self.Z, self.Y, self.reduction, self.count = Z, Y, reduction, max(1, Z.size)
        return _reduce(losses, reduction)

    def backward(self, dJ):
        A = sigmoid_array(self.Z)
        return (A - self.Y) * _scale(dJ, A.shape, self.count, self.reduction)


class MeanSquaredError(Function):
    """J = (1/N) sum (A - Y)^2 over all N elements;  dA = 2 (A - Y) / N."""

    def forward(self, A, *, Y, reduction):
        self.diff, self.reduction, self.count = A - Y, reduction, max(1, A.size)
        return _reduce(self.diff * self.diff, reduction)

    def backward(self, dJ):
        return 2 * self.diff * _scale(dJ, self.diff.shape, self.count, self.reduction)


def _targets(op: str, Y, A: Tensor):
    Y = Y.data if isinstance(Y, Tensor) else xp.asarray(Y)
    if Y.shape != A.shape:
        raise ValueError(f"{op}: targets Y should have the predictions' shape {A.shape}, "
                         f"got {Y.shape} (reshape one of them; nothing is broadcast)")
    return Y.astype(A.dtype, copy=False)


def softmax_cross_entropy(Z: Tensor, labels, *, reduction: str = "mean", mask=None) -> Tensor:
    """Cross-entropy of softmax(Z) against class ids or one-hot labels (fused, stable).

    ``mask`` (Z.shape[:-1], bool or 0/1 weights): only masked-in positions count, and the
    mean is over them (padded time steps of a batch of sequences); labels at masked-out
    positions are ignored (any value, e.g. -1, may stand there).
    """
    _check_reduction("softmax_cross_entropy", reduction)
    if Z.ndim == 0:
        raise ValueError("softmax_cross_entropy: Z should be (m, C) logits, got a scalar")
    if mask is not None:
        mask = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
        if mask.shape != Z.shape[:-1]:
            raise ValueError(f"softmax_cross_entropy: mask should have shape {Z.shape[:-1]}, "
                             f"got {mask.shape}")
        labels = labels.data if isinstance(labels, Tensor) else xp.asarray(labels)
        if labels.shape == mask.shape:  # class ids: ignore whatever stands at padding
            labels = xp.where(mask.astype(bool), labels, 0)
        mask = mask.astype(Z.dtype)
    return SoftmaxCrossEntropy.apply(Z, labels=labels, reduction=reduction, mask=mask)


def binary_cross_entropy(A: Tensor, Y, *, reduction: str = "mean",
                         epsilon: float = 1e-12) -> Tensor:
    """Binary cross-entropy of probabilities A (after a sigmoid) against 0/1 targets Y."""
    _check_reduction("binary_cross_entropy", reduction)
    Y = _targets("binary_cross_entropy", Y, A)
    return BinaryCrossEntropy.apply(A, Y=Y, reduction=reduction, epsilon=epsilon)


def binary_cross_entropy_with_logits(Z: Tensor, Y, *, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(Z) against Y, computed from the logits Z (stable)."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    Y = _targets("binary_cross_entropy_with_logits", Y, Z)
    return BinaryCrossEntropyWithLogits.apply(Z, Y=Y, reduction=reduction)


def mse(A: Tensor, Y, *, reduction: str = "mean") -> Tensor:
    """Mean squared error over all elements."""
    _check_reduction("mse", reduction)
    Y = _targets("mse", Y, A)
    return MeanSquaredError.apply(A, Y=Y, reduction=reduction)


LOSSES = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "mse": mse,
}


def get(loss):
    """A loss function from its name (or a callable ``(output, Y) -> cost``, returned as is)."""
    if callable(loss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"loss: unknown loss {loss!r}; choose one of {sorted(LOSSES)} "
                         f"or pass a callable(output, Y) -> scalar Tensor")
    return LOSSES[loss]


class MultiTaskBinaryCrossEntropy(Function):
    """J = (1/m) sum_i sum_j w_ij L(z_ij, y_ij), L the logistic loss from the logits.

    notes course 3 week 2 (multi-task learning): each example i carries one 0/1 label per
    task j (several can be 1, unlike softmax), and a label left "?" (w_ij = 0) drops out of
    the sum. L(z, y) = max(z, 0) - z y + log(1 + e^-|z|) (stable), the cost is divided by m,
    the number of examples (not the number of labels), and dZ = w (sigmoid(Z) - Y) / m.
    """

    def forward(self, Z, *, Y, weight, reduction):
        losses = xp.maximum(Z, 0) - Z * Y + xp.log1p(xp.exp(-xp.abs(Z)))
        losses *= weight
        self.Z, self.Y, self.weight, self.reduction = Z, Y, weight, reduction
        self.count = max(1, Z.shape[0])
        if reduction == "none":
            return losses
        total = losses.sum()
        return total / self.count if reduction == "mean" else total

    def backward(self, dJ):
        dZ = sigmoid_array(self.Z)
        dZ -= self.Y
        dZ *= self.weight
        dZ *= _scale(dJ, dZ.shape, self.count, self.reduction)
        return dZ


def multi_task_binary_cross_entropy(Z: Tensor, Y, *, mask=None,
                                    reduction: str = "mean") -> Tensor:
    """The notes' multi-task cost from logits Z (m, n_tasks) and labels Y (m, n_tasks).

    Missing labels (the notes' "?") are NaN in Y, or 0 in ``mask`` (same shape; bool or 0/1
    weights), or both; they add nothing to the cost and get zero gradient. ``reduction``:
    ``"mean"`` is the notes' J, summed over tasks and labeled entries and divided by m, the
    number of examples (an example with every label missing still counts in m); ``"sum"``
    drops the 1/m; ``"none"`` gives the (m, n_tasks) masked losses (0 where missing).
    """
    op = "multi_task_binary_cross_entropy"
    _check_reduction(op, reduction)
    if not isinstance(Z, Tensor):
        Z = Tensor(Z)
    if Z.ndim == 0:
        raise ValueError(f"{op}: Z should be (m, n_tasks) logits, got a scalar")
    Y = Y.data if isinstance(Y, Tensor) else xp.asarray(Y)
    if Y.shape != Z.shape:
        raise ValueError(f"{op}: labels Y should have the logits' shape {Z.shape}, "
                         f"got {Y.shape}")
    if Y.dtype.kind not in "biuf":
        raise TypeError(f"{op}: labels Y should be numbers (NaN for missing), got dtype {Y.dtype}")
    labeled = ~xp.isnan(Y) if Y.dtype.kind == "f" else xp.ones(Y.shape, dtype=bool)
    if mask is None:
        weight = labeled.astype(Z.dtype)
    else:
        mask = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
        if mask.shape != Z.shape:
            raise ValueError(f"{op}: mask should have the logits' shape {Z.shape}, "
                             f"got {mask.shape}")
        weight = mask.astype(Z.dtype)
        if xp.any(weight < 0) or xp.any(xp.isnan(weight)):
            raise ValueError(f"{op}: mask should hold weights >= 0 (1 counts a label, 0 "
                             f"leaves it out), got values down to {float(xp.nanmin(weight))}"
                             + (" and NaN" if xp.any(xp.isnan(weight)) else ""))
        missing = ~labeled & (weight != 0)
        if missing.any():
            where = tuple(int(i) for i in xp.argwhere(missing)[0])
            raise ValueError(f"{op}: Y is NaN at {where}, where mask counts the label; "
                             f"set the mask to 0 there or give a 0/1 label")
    Y = xp.where(labeled, Y, 0).astype(Z.dtype)
    used = weight != 0
    if used.any() and (Y[used].min() < 0 or Y[used].max() > 1):
        raise ValueError(f"{op}: labels Y should be in [0, 1] (or NaN for missing), got values "
                         f"in [{Y[used].min()}, {Y[used].max()}]")
    return MultiTaskBinaryCrossEntropy.apply(Z, Y=Y, weight=weight, reduction=reduction)


LOSSES["multi_task_binary_cross_entropy"] = multi_task_binary_cross_entropy
