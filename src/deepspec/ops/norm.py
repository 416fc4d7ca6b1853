"""Batch normalization.   notes §2.6.1 (algorithm), §2.6.3 (test time)"""

from __future__ import annotations

from ..backend import xp
from ..tensor import Function, Tensor
from ._checks import expect_shape


class BatchNorm(Function):
    """Z_norm = (Z - mu) / sqrt(var + eps);  Z~ = gamma Z_norm + beta, over all axes but the last.

    With ``batch_stats`` (training), mu and var are the batch's own statistics and the
    gradient flows through them (closed form, N = examples per feature):
        dZ = (gamma / (N sqrt(var + eps))) (N dZ~ - sum dZ~ - Z_norm sum(dZ~ Z_norm)).
    Otherwise mu and var are constants (the running averages) and dZ = dZ~ gamma / sqrt(var + eps).
    """

    def forward(self, Z, gamma, beta, *, mean, var, eps, batch_stats):
        n = Z.shape[-1]
        expect_shape("batch_norm", "gamma", gamma.shape, (n,))
        expect_shape("batch_norm", "beta", beta.shape, (n,))
        self.inv_std = 1.0 / xp.sqrt(var + eps)
        self.Z_norm = (Z - mean) * self.inv_std
        self.gamma, self.batch_stats = gamma, batch_stats
        return self.Z_norm * gamma + beta

    def backward(self, dout):
        need_Z, need_gamma, need_beta = self.needs_grad
        axes = tuple(range(dout.ndim - 1))
        Z_norm = self.Z_norm
        dbeta = dout.sum(axis=axes)
        dgamma = (dout * Z_norm).sum(axis=axes)
        dZ = None
        if need_Z:
            scale = self.gamma * self.inv_std
            if self.batch_stats:
                N = dout.size // dout.shape[-1]
                dZ = (scale / N) * (N * dout - dbeta - Z_norm * dgamma)
            else:
                dZ = dout * scale
        return dZ, (dgamma if need_gamma else None), (dbeta if need_beta else None)


def batch_norm(Z: Tensor, gamma: Tensor, beta: Tensor, *, mean=None, var=None,
               eps: float = 1e-5, batch_stats: bool | None = None) -> Tensor:
    """Batch norm over every axis but the last (features, or channels n_C).

    With no ``mean``/``var``, the batch's statistics are used and differentiated through.
    Given ``mean``/``var`` (e.g. running averages at test time), they are constants unless
    ``batch_stats=True`` says they are this batch's (a layer that computed them already).
    """
    if Z.ndim < 2:
        raise ValueError(f"batch_norm: Z should be (m, n) or (m, ..., n_C), got shape {Z.shape}")
    if (mean is None) != (var is None):
        raise ValueError("batch_norm: give both mean and var, or neither")
    if mean is None:
        axes = tuple(range(Z.ndim - 1))
        mean, var = Z.data.mean(axis=axes), Z.data.var(axis=axes)
        batch_stats = True
    elif batch_stats is None:
        batch_stats = False
    mean = xp.asarray(mean, dtype=Z.dtype)
    var = xp.asarray(var, dtype=Z.dtype)
    expect_shape("batch_norm", "mean", mean.shape, (Z.shape[-1],))
    expect_shape("batch_norm", "var", var.shape, (Z.shape[-1],))
    return BatchNorm.apply(Z, gamma, beta, mean=mean, var=var, eps=eps, batch_stats=batch_stats)
