"""Embedding layer.   notes §5.2.1"""

from __future__ import annotations

from .. import init as initializers
from ..ops.embedding import embedding
from ..tensor import Tensor
from .module import Module, Parameter


class Embedding(Module):
    """e_j = E[j] for integer ids: (...) -> (..., n).   notes §5.2.1 (E o_j = e_j)

    Args:
        V: vocabulary size (rows of E).
        n: embedding size.
        padding_idx: this id's row starts at zero and never receives a gradient.
        init: initializer for E (default "random" with scale 1: N(0, 1), as PyTorch).
        seed: int or Generator.
    """

    def __init__(self, V: int, n: int, *, padding_idx: int | None = None, init="random",
                 seed=None):
        if int(V) <= 0 or int(n) <= 0:
            raise ValueError(f"Embedding: V and n should be positive, got {V}, {n}")
        if padding_idx is not None and not -int(V) <= padding_idx < int(V):
            raise ValueError(f"Embedding: padding_idx should be in [0, {int(V) - 1}], "
                             f"got {padding_idx}")
        self.V, self.n = int(V), int(n)
        self.padding_idx = None if padding_idx is None else padding_idx % self.V
        self.init_name = init if isinstance(init, str) else "random"
        if init == "random":
            E = initializers.random((self.V, self.n), scale=1.0, seed=seed)
        else:
            E = initializers.get(init)((self.V, self.n), seed=seed)
        if self.padding_idx is not None:
            E[self.padding_idx] = 0
        self.E = Parameter(E)

    def forward(self, ids) -> Tensor:
        try:
            return embedding(ids, self.E, padding_idx=self.padding_idx)
        except (ValueError, TypeError) as error:
            raise type(error)(f"Embedding({self.V}, {self.n}): {error}") from None

    def config(self) -> dict:
        return {"V": self.V, "n": self.n, "padding_idx": self.padding_idx,
                "init": self.init_name}

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.V}, {self.n}{pad}"
