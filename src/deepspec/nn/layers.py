"""Dense, activation, shape and dropout layers.   notes §1.3 (deep networks), §2.2.3 (dropout)"""

from __future__ import annotations

from .. import init as initializers
from ..backend import rng as make_rng
from ..backend import xp
from ..ops import activations as act
from ..ops import basic
from ..ops.dropout import dropout
from ..tensor import Tensor
from .module import Module, Parameter


class Dense(Module):
    """Z = A_prev @ W.T + b, with W of the notes' shape (n, n_prev).   notes §1.3.1

    Args:
        n_prev: input features n[l-1].
        n: units n[l].
        init: "he" (ReLU), "xavier" (tanh), "glorot_uniform", "random", "zeros", or a
            callable ``(shape, seed=...) -> array``. Biases start at zero.
        seed: int or ``numpy.random.Generator`` for the weights.
    """

    def __init__(self, n_prev: int, n: int, *, init="he", bias: bool = True, seed=None):
        if int(n_prev) <= 0 or int(n) <= 0:
            raise ValueError(f"Dense: n_prev and n should be positive, got {n_prev}, {n}")
        self.n_prev, self.n, self.init_name = int(n_prev), int(n), init
        self.W = Parameter(initializers.get(init)((self.n, self.n_prev), seed=seed))
        self.b = Parameter(initializers.zeros((self.n,))) if bias else None

    def forward(self, A_prev: Tensor) -> Tensor:
        try:  # Linear checks the shapes (and apply lifts arrays); the message gains the layer
            if self.b is None:
                return basic.Linear.apply(A_prev, self.W)
            return basic.Linear.apply(A_prev, self.W, self.b)
        except ValueError as error:
            raise ValueError(f"Dense({self.n_prev} -> {self.n}): input should have shape "
                             f"(*, {self.n_prev}), got {xp.shape(A_prev)} ({error})") from None

    def config(self) -> dict:
        return {"n_prev": self.n_prev, "n": self.n, "bias": self.b is not None,
                "init": self.init_name if isinstance(self.init_name, str) else "he"}

    def extra_repr(self) -> str:
        bias = "" if self.b is not None else ", bias=False"
        return f"{self.n_prev} -> {self.n}{bias}"


class _Activation(Module):
    function: type = None  # the op's Function class

    def forward(self, Z: Tensor) -> Tensor:
        return self.function.apply(Z)  # Function.apply lifts arrays to constant tensors

    def config(self) -> dict:
        return {}


class ReLU(_Activation):
    """A = max(0, Z)"""

    function = act.ReLU


class Sigmoid(_Activation):
    """A = 1 / (1 + e^-Z)"""

    function = act.Sigmoid


class Tanh(_Activation):
    """A = tanh(Z)"""

    function = act.Tanh


class LeakyReLU(Module):
    """A = max(alpha Z, Z)"""

    def __init__(self, alpha: float = 0.01):
        if not alpha >= 0:
            raise ValueError(f"LeakyReLU: alpha should be >= 0, got {alpha}")
        self.alpha = float(alpha)

    def forward(self, Z: Tensor) -> Tensor:
        return act.leaky_relu(Z, self.alpha)

    def config(self) -> dict:
        return {"alpha": self.alpha}

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softmax(Module):
    """A = softmax(Z) along ``axis``"""

    def __init__(self, axis: int = -1):
        self.axis = int(axis)

    def forward(self, Z: Tensor) -> Tensor:
        return act.softmax(Z, self.axis)

    def config(self) -> dict:
        return {"axis": self.axis}


class Flatten(Module):
    """(m, d1, d2, ...) -> (m, d1 * d2 * ...)"""

    def forward(self, A: Tensor) -> Tensor:
        if A.ndim < 1:
            raise ValueError(f"Flatten: input should have a batch axis, got shape {A.shape}")
        return basic.reshape(A, (A.shape[0], -1))

    def config(self) -> dict:
        return {}


class Dropout(Module):
    """Inverted dropout keeping each unit with probability ``keep_prob``.   notes §2.2.3

    Active only in training mode; the identity after ``eval()``.
    """

    def __init__(self, keep_prob: float = 0.5, *, seed=None):
        if not 0 < keep_prob <= 1:
            raise ValueError(f"Dropout: keep_prob should be in (0, 1], got {keep_prob}")
        self.keep_prob = float(keep_prob)
        self.rng = make_rng(seed)

    def forward(self, A: Tensor) -> Tensor:
        return dropout(A, self.keep_prob, training=self.training, seed=self.rng)

    def config(self) -> dict:
        return {"keep_prob": self.keep_prob}

    def extra_repr(self) -> str:
        return f"keep_prob={self.keep_prob}"
