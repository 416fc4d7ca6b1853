"""Gradient clipping (exploding gradients).   notes §5.1 (RNNs), §2.1.6"""

from __future__ import annotations

import math

from ..backend import xp
from .optimizer import as_parameter_list


def clip_grad_value(params, clip_value: float) -> None:
    """Clip every gradient entry into [-clip_value, clip_value] (the assignments' ``clip``)."""
    if not clip_value > 0:
        raise ValueError(f"clip_grad_value: clip_value should be > 0, got {clip_value}")
    for p in as_parameter_list(params, "clip_grad_value"):
        if p.grad is not None:
            p.grad = xp.clip(p.grad, -clip_value, clip_value)


def clip_grad_norm(params, max_norm: float) -> float:
    """Rescale all gradients together so their global L2 norm is at most ``max_norm``.

    Returns the norm before clipping (as ``torch.nn.utils.clip_grad_norm_``).
    """
    if not max_norm > 0:
        raise ValueError(f"clip_grad_norm: max_norm should be > 0, got {max_norm}")
    grads = [p for p in as_parameter_list(params, "clip_grad_norm") if p.grad is not None]
    total = math.sqrt(sum(float(xp.vdot(p.grad, p.grad)) for p in grads))
    if total > max_norm:
        scale = max_norm / (total + 1e-6)
        for p in grads:
            p.grad = p.grad * p.grad.dtype.type(scale)
    return total
