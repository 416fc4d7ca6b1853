"""Activation functions and their derivatives.   notes §1.3.3 (g and g'), §2.7.1 (softmax)"""

from __future__ import annotations

from ..backend import xp
from ..tensor import Function, Tensor


def sigmoid_array(Z):
    """1 / (1 + e^-Z) on an array, in a fresh array of Z's dtype (0-d stays an array).

    -Z is capped below exp's overflow (e^80 in float32, e^700 in float64), where A is 0 to
    within 1e-34 anyway: cheaper than silencing the overflow warning with errstate.
    """
    A = xp.negative(Z, out=xp.empty_like(Z))
    xp.minimum(A, 80.0 if A.dtype.itemsize <= 4 else 700.0, out=A)
    xp.exp(A, out=A)
    A += 1
    return xp.reciprocal(A, out=A)


class Sigmoid(Function):
    """A = 1 / (1 + e^-Z);  dZ = dA * A (1 - A).   notes §1.3.3"""

    def forward(self, Z):
        self.A = sigmoid_array(Z)
        return self.A

    def backward(self, dA):
        A = self.A
        dZ = 1 - A
        dZ *= A
        dZ *= dA
        return dZ


class Tanh(Function):
    """A = tanh(Z);  dZ = dA (1 - A^2).   notes §1.3.3"""

    def forward(self, Z):
        self.A = xp.tanh(Z)
        return self.A

    def backward(self, dA):
        return dA * (1 - self.A * self.A)


class ReLU(Function):
    """A = max(0, Z);  dZ = dA * [Z > 0].   notes §1.3.3"""

    def forward(self, Z):
        self.Z = Z
        return xp.maximum(Z, 0)

    def backward(self, dA):
        return dA * (self.Z > 0)


class LeakyReLU(Function):
    """A = max(alpha Z, Z);  dZ = dA * (1 if Z > 0 else alpha).   notes §1.3.3 (alpha = 0.01)"""

    def forward(self, Z, *, alpha):
        self.Z, self.alpha = Z, alpha
        return xp.where(Z > 0, Z, alpha * Z)

    def backward(self, dA):
        return xp.where(self.Z > 0, dA, self.alpha * dA)


class Softmax(Function):
    """A_i = e^Z_i / sum_j e^Z_j (shifted by max Z for stability).   notes §2.7.1

    Backward: dZ = A * (dA - sum(dA * A)).
    """

    def forward(self, Z, *, axis):
        e = xp.exp(Z - Z.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        self.A, self.axis = e, axis
        return e

    def backward(self, dA):
        A = self.A
        return A * (dA - (dA * A).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """log softmax(Z) = Z - max - log sum e^(Z - max);  dZ = dout - softmax * sum(dout)."""

    def forward(self, Z, *, axis):
        shifted = Z - Z.max(axis=axis, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.out, self.axis = out, axis
        return out

    def backward(self, dout):
        return dout - xp.exp(self.out) * dout.sum(axis=self.axis, keepdims=True)


def sigmoid(Z: Tensor) -> Tensor:
    return Sigmoid.apply(Z)


def tanh(Z: Tensor) -> Tensor:
    return Tanh.apply(Z)


def relu(Z: Tensor) -> Tensor:
    return ReLU.apply(Z)


def leaky_relu(Z: Tensor, alpha: float = 0.01) -> Tensor:
    if not alpha >= 0:
        raise ValueError(f"leaky_relu: alpha should be >= 0, got {alpha}")
    return LeakyReLU.apply(Z, alpha=float(alpha))


def _check_axis(op: str, Z: Tensor, axis: int) -> int:
    if not -Z.ndim <= axis < max(Z.ndim, 1) or Z.ndim == 0:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of shape {Z.shape}")
    return axis


def softmax(Z: Tensor, axis: int = -1) -> Tensor:
    return Softmax.apply(Z, axis=_check_axis("softmax", Z, axis))


def log_softmax(Z: Tensor, axis: int = -1) -> Tensor:
    return LogSoftmax.apply(Z, axis=_check_axis("log_softmax", Z, axis))
