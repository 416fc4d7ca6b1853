"""Transfer learning: reuse a trained trunk, train a new head.   notes §3.2.7 (course 3), §4.2

The notes' recipe with little data: freeze every layer but the last, replace the softmax
head with one for your classes, and, since the frozen trunk never changes, run it over the
training set once and train the head on those saved features.
"""

from __future__ import annotations

import numpy as np

from ..nn import Module, Sequential
from ..tensor import Tensor, no_grad


def split(model: Sequential, at: int) -> tuple[Sequential, Sequential]:
    """(trunk, head) = (model[:at], model[at:]), sharing the layers (not copies)."""
    if not isinstance(model, Sequential):
        raise TypeError(f"split: model should be a Sequential, got {type(model).__name__}")
    if not -len(model) < at < len(model) or at == 0:
        raise ValueError(f"split: at should cut the {len(model)} layers into two non-empty "
                         f"parts, got {at}")
    return Sequential(*model.layers[:at]), Sequential(*model.layers[at:])


def replace_head(model: Sequential, head: Module, *, n_replaced: int = 1,
                 freeze_trunk: bool = True) -> Sequential:
    """A new Sequential: ``model``'s layers but the last ``n_replaced``, then ``head``.

    With ``freeze_trunk`` (the default) the kept layers stop receiving gradients.
    """
    trunk, _ = split(model, len(model) - n_replaced)
    if freeze_trunk:
        trunk.freeze()
    return Sequential(*trunk.layers, head)


def precompute_features(trunk: Module, X, *, batch_size: int = 256) -> np.ndarray:
    """The trunk's outputs on X, in eval mode and without a graph: compute them once, then
    train only the head on them (each epoch then costs the head alone)."""
    X = np.asarray(X)
    if batch_size < 1:
        raise ValueError(f"precompute_features: batch_size should be >= 1, got {batch_size}")
    was_training = trunk.training
    trunk.eval()
    try:
        with no_grad():
            parts = [trunk(Tensor(X[i:i + batch_size])).data
                     for i in range(0, len(X), batch_size)]
    finally:
        trunk.train(was_training)
    return np.concatenate(parts) if parts else np.zeros((0,))
