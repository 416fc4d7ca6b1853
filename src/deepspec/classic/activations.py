"""The assignments' activation helpers, column-major.   notes §1.3.3 (g and g')

``sigmoid(Z) -> (A, cache)`` keeps ``cache = Z`` as the assignments do, so
``sigmoid_backward(dA, Z)`` works. The ``*_backward`` functions also take the activation
``Function`` that ``linear_activation_forward`` keeps in its cache, which already holds what
its backward needs. Activations are elementwise, so the ``Function`` classes of
``deepspec.ops.activations`` run on column-major arrays as they are: no transposes.
"""

from __future__ import annotations

from ..backend import get_default_dtype, xp
from ..ops.activations import ReLU, Sigmoid, Tanh

ACTIVATIONS = {"sigmoid": Sigmoid, "relu": ReLU, "tanh": Tanh}


def check_activation(op: str, activation) -> type:
    """The Function class of ``activation``, or a ValueError that lists the valid names."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"{op}: activation should be one of {sorted(ACTIVATIONS)}, "
                         f"got {activation!r}")
    return ACTIVATIONS[activation]


def as_float(Z):
    """Z as an array; integers and booleans become the default float dtype."""
    Z = xp.asarray(Z)
    return Z if Z.dtype.kind == "f" else Z.astype(get_default_dtype())


def activation_forward(op: str, Z, activation: str):
    """A = g(Z) and the Function that computed it (its backward gives dZ from dA)."""
    fn = check_activation(op, activation)()
    return fn.forward(as_float(Z)), fn


def activation_backward(op: str, dA, cache, activation: str):
    """dZ = dA * g'(Z), from ``cache`` = Z or the activation Function of the forward pass."""
    kind = check_activation(op, activation)
    dA = xp.asarray(dA)
    if isinstance(cache, kind):
        fn = cache
        shape = getattr(fn, "A", getattr(fn, "Z", dA)).shape  # Sigmoid, Tanh keep A; ReLU Z
    else:
        if not hasattr(cache, "shape"):
            raise TypeError(f"{op}: cache should be Z (an array) or a {kind.__name__} "
                            f"Function, got {type(cache).__name__}")
        fn = kind()
        fn.forward(as_float(cache))  # recompute what backward needs from Z, as the assignments do
        shape = cache.shape
    if dA.shape != shape:
        raise ValueError(f"{op}: dA should have the shape of Z {tuple(shape)}, "
                         f"got {tuple(dA.shape)}")
    return fn.backward(dA)


def sigmoid(Z):
    """A = 1 / (1 + e^-Z);  returns (A, cache = Z).   notes §1.3.3"""
    A, _ = activation_forward("sigmoid", Z, "sigmoid")
    return A, Z


def relu(Z):
    """A = max(0, Z);  returns (A, cache = Z).   notes §1.3.3"""
    A, _ = activation_forward("relu", Z, "relu")
    return A, Z


def tanh(Z):
    """A = tanh(Z);  returns (A, cache = Z).   notes §1.3.3"""
    A, _ = activation_forward("tanh", Z, "tanh")
    return A, Z


def sigmoid_backward(dA, cache):
    """dZ = dA * s (1 - s), s = sigmoid(Z).   notes §1.3.3"""
    return activation_backward("sigmoid_backward", dA, cache, "sigmoid")


def relu_backward(dA, cache):
    """dZ = dA * [Z > 0].   notes §1.3.3"""
    return activation_backward("relu_backward", dA, cache, "relu")


def tanh_backward(dA, cache):
    """dZ = dA * (1 - tanh(Z)^2).   notes §1.3.3"""
    return activation_backward("tanh_backward", dA, cache, "tanh")
