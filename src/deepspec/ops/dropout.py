"""Inverted dropout.   notes §2.2.3"""

from __future__ import annotations

from ..backend import rng as make_rng
from ..tensor import Function, Tensor


class Dropout(Function):
    """D = (rand < keep_prob);  A = A * D / keep_prob;  dA_prev = dA * D / keep_prob.

    Dividing by keep_prob keeps the expected value of A, so nothing changes at test time.
    """

    def forward(self, A, *, keep_prob, rng):
        D = rng.random(A.shape, dtype=A.dtype) < keep_prob
        self.mask = D * A.dtype.type(1.0 / keep_prob)  # D / keep_prob, in A's dtype
        return A * self.mask

    def backward(self, dA):
        return dA * self.mask


def dropout(A: Tensor, keep_prob: float = 0.5, *, training: bool = True, seed=None) -> Tensor:
    """Inverted dropout keeping each unit with probability ``keep_prob`` (identity if not training).

    ``seed`` is an int or a ``numpy.random.Generator`` (pass the same Generator across calls
    to draw fresh masks reproducibly).
    """
    if not 0 < keep_prob <= 1:
        raise ValueError(f"dropout: keep_prob should be in (0, 1], got {keep_prob}")
    if not isinstance(A, Tensor):
        A = Tensor(A)
    if not training or keep_prob == 1:
        return A
    if A.dtype.kind != "f":
        raise TypeError(f"dropout: A should be a float tensor, got dtype {A.dtype}")
    return Dropout.apply(A, keep_prob=keep_prob, rng=make_rng(seed))
