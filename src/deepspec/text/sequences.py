"""Padding and batching variable-length sequences."""

from __future__ import annotations

import numpy as np

from ..backend import rng as make_rng


def pad_sequences(sequences, *, pad_id: int = 0, max_len: int | None = None,
                  truncate: str = "post") -> tuple[np.ndarray, np.ndarray]:
    """Stack int sequences into ``ids (m, T)`` padded with ``pad_id``, and their ``lengths (m,)``.

    ``max_len`` cuts longer sequences (``truncate="post"`` keeps the start, "pre" the end).
    """
    if truncate not in ("post", "pre"):
        raise ValueError(f"pad_sequences: truncate should be 'post' or 'pre', got {truncate!r}")
    sequences = [np.asarray(s, dtype=np.int64).reshape(-1) for s in sequences]
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    T = int(lengths.max(initial=0)) if max_len is None else int(max_len)
    if T < 0:
        raise ValueError(f"pad_sequences: max_len should be >= 0, got {max_len}")
    ids = np.full((len(sequences), T), pad_id, dtype=np.int64)
    for i, s in enumerate(sequences):  # one copy per sequence; the data are ragged
        s = s[:T] if truncate == "post" else s[max(0, len(s) - T):]
        ids[i, :len(s)] = s
    return ids, np.minimum(lengths, T)


def lengths_to_mask(lengths, T: int | None = None) -> np.ndarray:
    """Boolean mask (m, T): True at the first ``lengths[i]`` steps of sequence i."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.ndim != 1 or (lengths.size and lengths.min() < 0):
        raise ValueError(f"lengths_to_mask: lengths should be a 1-D array of counts >= 0, "
                         f"got {lengths!r}")
    T = int(lengths.max(initial=0)) if T is None else int(T)
    return np.arange(T) < lengths[:, None]


def sequence_batches(sequences, batch_size: int, *, pad_id: int = 0, shuffle: bool = True,
                     seed=0, sort_by_length: bool = False):
    """Yield ``(ids, lengths)`` padded batches; ``sort_by_length`` groups similar lengths
    (less padding), with the batches themselves still shuffled."""
    if batch_size < 1:
        raise ValueError(f"sequence_batches: batch_size should be >= 1, got {batch_size}")
    sequences = list(sequences)
    order = np.arange(len(sequences))
    rng = make_rng(seed)
    if shuffle:
        order = rng.permutation(len(sequences))
    if sort_by_length:
        order = order[np.argsort([len(sequences[i]) for i in order], kind="stable")]
    starts = list(range(0, len(order), batch_size))
    if shuffle and sort_by_length:
        starts = [starts[i] for i in rng.permutation(len(starts))]
    for start in starts:
        yield pad_sequences([sequences[i] for i in order[start:start + batch_size]],
                            pad_id=pad_id)
