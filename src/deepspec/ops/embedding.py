"""Word embeddings and one-hot vectors.   notes §5.2.1 (E o_j = e_j)

Looking up e_j = E[j] is the notes' E · o_j without building the one-hot o_j; the gradient
scatters each example's dA row back into the rows of E it came from.
"""

from __future__ import annotations

from ..backend import get_default_dtype, xp
from ..tensor import Function, Tensor


def _ids(op: str, ids, vocab_size: int):
    ids = ids.data if isinstance(ids, Tensor) else xp.asarray(ids)
    if ids.dtype.kind not in "iu":
        if ids.dtype.kind == "f" and ids.size and xp.all(ids == xp.round(ids)):
            ids = ids.astype(xp.int64)
        elif ids.size:
            raise TypeError(f"{op}: ids should be integers, got dtype {ids.dtype}")
        else:
            ids = ids.astype(xp.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"{op}: ids should be in [0, {vocab_size - 1}], "
                         f"got values in [{ids.min()}, {ids.max()}]")
    return ids


class Embedding(Function):
    """A = E[ids];  dE[j] = sum of dA over the positions holding id j.   notes §5.2.1

    Shapes: E (V, n), ids (...) integers -> A (..., n). Rows at ``padding_idx`` get no
    gradient (their vectors stay as they are, usually zero).
    """

    def forward(self, E, *, ids, padding_idx):
        self.ids, self.V, self.padding_idx = ids, E.shape[0], padding_idx
        return E[ids]

    def backward(self, dA):
        n = dA.shape[-1]
        flat_ids, flat_dA = self.ids.reshape(-1), dA.reshape(-1, n)
        if self.padding_idx is not None:
            keep = flat_ids != self.padding_idx
            flat_ids, flat_dA = flat_ids[keep], flat_dA[keep]
        dE = xp.zeros((self.V, n), dtype=dA.dtype)
        xp.add.at(dE, flat_ids, flat_dA)  # repeated ids accumulate
        return dE


def embedding(ids, E: Tensor, *, padding_idx: int | None = None) -> Tensor:
    """Rows of the embedding matrix E (V, n) for integer ``ids`` of any shape -> (..., n)."""
    if E.ndim != 2:
        raise ValueError(f"embedding: E should have shape (V, n), got {E.shape}")
    V = E.shape[0]
    if padding_idx is not None and not -V <= padding_idx < V:
        raise ValueError(f"embedding: padding_idx should be in [0, {V - 1}], got {padding_idx}")
    ids = _ids("embedding", ids, V)
    if padding_idx is not None:
        padding_idx %= V
    return Embedding.apply(E, ids=ids, padding_idx=padding_idx)


def one_hot(ids, n_classes: int, *, dtype=None):
    """The one-hot array o (..., n_classes) of integer ``ids`` (...) (a plain array, no grad)."""
    if int(n_classes) <= 0:
        raise ValueError(f"one_hot: n_classes should be positive, got {n_classes}")
    ids = _ids("one_hot", ids, int(n_classes))
    out = xp.zeros((*ids.shape, int(n_classes)), dtype=dtype or get_default_dtype())
    xp.put_along_axis(out, ids[..., None], 1, axis=-1)
    return out
