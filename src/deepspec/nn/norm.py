"""Batch normalization layers.   notes §2.6.1 (training), §2.6.3 (test time)"""

from __future__ import annotations

from ..backend import get_default_dtype, xp
from ..ops.norm import batch_norm
from ..tensor import Tensor
from .module import Module, Parameter


class BatchNorm(Module):
    """Batch norm over the last axis (features n, or channels n_C).   notes §2.6

    Training uses the batch's mean and variance (and backpropagates through them) and updates
    the notes' exponentially weighted averages v = momentum v + (1 - momentum) stat; eval
    uses those averages, bias-corrected by 1 - momentum^t (notes §2.4.2).
    PyTorch's ``momentum=0.1`` is ``momentum=0.9`` here; its running variance is unbiased,
    the notes' (and this one's) is the batch's biased variance.
    """

    buffers = ("running_mean", "running_var", "steps")
    expected_ndim: tuple = ()

    def __init__(self, n: int, *, momentum: float = 0.9, eps: float = 1e-5):
        if int(n) <= 0:
            raise ValueError(f"{type(self).__name__}: n should be positive, got {n}")
        if not 0 <= momentum < 1:
            raise ValueError(f"{type(self).__name__}: momentum should be in [0, 1), got {momentum}")
        self.n, self.momentum, self.eps = int(n), float(momentum), float(eps)
        dtype = get_default_dtype()
        self.gamma = Parameter(xp.ones(self.n, dtype=dtype))
        self.beta = Parameter(xp.zeros(self.n, dtype=dtype))
        self.running_mean = xp.zeros(self.n, dtype=dtype)
        self.running_var = xp.zeros(self.n, dtype=dtype)
        self.steps = 0

    def forward(self, Z: Tensor) -> Tensor:
        if not isinstance(Z, Tensor):
            Z = Tensor(Z)
        name = type(self).__name__
        if self.expected_ndim and Z.ndim not in self.expected_ndim:
            raise ValueError(f"{name}({self.n}): input should be {self.expected_ndim[0]}-D, "
                             f"got shape {Z.shape}")
        if Z.ndim < 2 or Z.shape[-1] != self.n:
            raise ValueError(f"{name}({self.n}): input should have shape (m, ..., {self.n}), "
                             f"got {Z.shape}")
        if self.training:
            axes = tuple(range(Z.ndim - 1))
            mu, var = Z.data.mean(axis=axes), Z.data.var(axis=axes)
            beta, dtype = self.momentum, self.running_mean.dtype  # buffers keep the layer's dtype
            self.running_mean = (beta * self.running_mean + (1 - beta) * mu).astype(dtype)
            self.running_var = (beta * self.running_var + (1 - beta) * var).astype(dtype)
            self.steps += 1
            return batch_norm(Z, self.gamma, self.beta, mean=mu, var=var, eps=self.eps,
                              batch_stats=True)
        if self.steps == 0:
            raise RuntimeError(f"{name}: no running statistics yet; train before eval()")
        correction = 1 - self.momentum**self.steps
        mu, var = self.running_mean / correction, self.running_var / correction
        return batch_norm(Z, self.gamma, self.beta, mean=mu, var=var, eps=self.eps)

    def config(self) -> dict:
        return {"n": self.n, "momentum": self.momentum, "eps": self.eps}

    def extra_repr(self) -> str:
        return f"{self.n}, momentum={self.momentum}, eps={self.eps}"


class BatchNorm1d(BatchNorm):
    """Batch norm of dense activations (m, n)."""

    expected_ndim = (2,)
