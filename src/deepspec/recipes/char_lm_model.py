"""A character-level language model, its smoothed-bigram baseline, and sampling from it.
notes §5.1 (course 5, week 1: "Language model and sequence generation", "Sampling novel
sequences", "Character-level language model")

A sequence is a list of character ids. Its model reads ids[:-1] and predicts ids[1:] at every
step, the notes' y<t> = x<t+1>: P(y<1> ... y<T>) = prod_t P(y<t> | y<1> ... y<t-1>). A name is
``[<pad>, c1 ... cn, <eos>]``: the <pad> row of the embedding is the zero vector, so the first
input is the notes' x<1> = 0, and <eos> (the dinosaur assignment's "\\n") ends the name.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import rng as make_rng
from ..nn import LSTM, Dense, Embedding, Module, TimeDistributed
from ..ops.embedding import one_hot
from ..ops.losses import softmax_cross_entropy
from ..tensor import Tensor, no_grad
from ..text import lengths_to_mask, pad_sequences
from ..text import sample as sample_ids


class CharLM(Module):
    """ids (m, T) -> Embedding (or one-hot) -> LSTM x num_layers -> Dense -> logits (m, T, V).
    notes §5.1.5 (LSTM), §5.1.2 (language model: a softmax over the vocabulary at every step)

    Args:
        V: vocabulary size; id ``pad_id`` is the zero input vector (and is never a target).
        n_a: LSTM units per layer.
        n_e: embedding size, or None for the notes' one-hot x<t> (with x = 0 for ``pad_id``).
        num_layers: stacked LSTMs, each fed the one below's sequence of a<t>.
        seed: int or Generator for every initial weight.
    """

    def __init__(self, V: int, n_a: int = 128, *, n_e: int | None = 32, num_layers: int = 1,
                 pad_id: int = 0, seed=0):
        if int(V) <= 1 or int(n_a) <= 0 or int(num_layers) <= 0:
            raise ValueError(f"CharLM: V should be > 1 and n_a, num_layers positive, got "
                             f"{V}, {n_a}, {num_layers}")
        if n_e is not None and int(n_e) <= 0:
            raise ValueError(f"CharLM: n_e should be positive or None (one-hot), got {n_e}")
        rng = make_rng(seed)
        self.V, self.n_a, self.num_layers, self.pad_id = int(V), int(n_a), int(num_layers), pad_id
        self.n_e = None if n_e is None else int(n_e)
        self.embedding = (None if n_e is None
                          else Embedding(self.V, self.n_e, padding_idx=pad_id, seed=rng))
        n_x = self.V if n_e is None else self.n_e
        # one single-layer LSTM per level, so sampling can carry every level's (a, c)
        self.rnns = [LSTM(n_x if l == 0 else self.n_a, self.n_a, return_state=True, seed=rng)
                     for l in range(self.num_layers)]
        self.head = TimeDistributed(Dense(self.n_a, self.V, init="xavier", seed=rng))

    def inputs(self, ids):
        """x<t> for ids (m, T): embedding rows, or one-hot vectors (zero for <pad>)."""
        if self.embedding is not None:
            return self.embedding(ids)
        x = one_hot(ids, self.V, dtype=self.head.layer.W.data.dtype)
        x[..., self.pad_id] = 0
        return Tensor(x)

    def forward(self, ids, states=None, *, mask=None, return_states: bool = False):
        """Logits (m, T, V) for ids (m, T); ``states``: one (a, c) per layer (default zeros).

        ``mask`` (m, T): padded steps carry the state. With ``return_states``, also the final
        [(a_T, c_T) per layer], to continue the sequence (sampling, a prompt).
        """
        ids = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
        if ids.ndim != 2:
            raise ValueError(f"CharLM: ids should have shape (m, T), got {ids.shape}")
        out, finals = self.inputs(ids), []
        for l, rnn in enumerate(self.rnns):
            out, a_T, c_T = rnn(out, None if states is None else states[l], mask=mask)
            finals.append((a_T, c_T))
        logits = self.head(out)
        return (logits, finals) if return_states else logits

    def config(self) -> dict:
        return {"V": self.V, "n_a": self.n_a, "n_e": self.n_e, "num_layers": self.num_layers,
                "pad_id": self.pad_id}

    def extra_repr(self) -> str:
        x = "one-hot" if self.n_e is None else f"n_e={self.n_e}"
        return f"V={self.V}, n_a={self.n_a}, {x}, num_layers={self.num_layers}"


def batch(sequences, pad_id: int = 0):
    """Inputs ids[:-1], targets ids[1:] (m, T) and the mask (m, T) of real targets."""
    ids, lengths = pad_sequences(sequences, pad_id=pad_id)
    return ids[:, :-1], ids[:, 1:], lengths_to_mask(lengths - 1, ids.shape[1] - 1)


def sequence_loss(model: CharLM, inputs, targets, mask) -> Tensor:
    """J = mean over the real (masked-in) steps of -log P(y<t> | y<1..t-1>).   notes §5.1.2"""
    return softmax_cross_entropy(model(inputs, mask=mask), targets, mask=mask)


def cross_entropy(model: CharLM, sequences, *, batch_size: int = 256):
    """(mean per-character cross-entropy in nats, number of characters) over ``sequences``."""
    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    with no_grad():
        for start in range(0, len(sequences), batch_size):
            inputs, targets, mask = batch(sequences[start:start + batch_size], model.pad_id)
            n = int(mask.sum())
            total += float(sequence_loss(model, inputs, targets, mask).data) * n
            count += n
    model.train(was_training)
    return total / max(count, 1), count


class Bigram:
    """Add-k smoothed character bigram: P(y | x) = (N(x, y) + k) / (N(x) + k |Y|).

    Counts come from the (input, target) pairs of the training sequences, the same pairs the
    LSTM learns from (the start <pad> -> first char, ..., last char -> <eos>). ``support``
    lists the ids that can be targets (|Y| of them), every id but <pad> by default.
    """

    def __init__(self, sequences, V: int, *, k: float = 0.1, support=None, pad_id: int = 0):
        if not k > 0:
            raise ValueError(f"Bigram: k should be > 0, got {k}")
        self.V, self.k = int(V), float(k)
        support = [i for i in range(self.V) if i != pad_id] if support is None else support
        self.support = np.zeros(self.V, dtype=bool)
        self.support[np.asarray(support, dtype=np.int64)] = True
        x, y = _pairs(sequences)
        self.counts = np.zeros((self.V, self.V))
        np.add.at(self.counts, (x, y), 1.0)

    def log_probs(self) -> np.ndarray:
        """log P(y | x) as a (V, V) table (-inf outside the support)."""
        smoothed = np.where(self.support, self.counts + self.k, 0.0)
        with np.errstate(divide="ignore"):
            return np.log(smoothed / smoothed.sum(axis=1, keepdims=True))

    def cross_entropy(self, sequences) -> tuple[float, int]:
        """(mean -log P(y | x) over every (input, target) pair, number of pairs)."""
        x, y = _pairs(sequences)
        return -float(self.log_probs()[x, y].sum()) / max(len(x), 1), len(x)


def _pairs(sequences) -> tuple[np.ndarray, np.ndarray]:
    """Every (x<t>, y<t>) = (s[t], s[t+1]) of every sequence, as two flat id arrays."""
    sequences = [np.asarray(s, dtype=np.int64).reshape(-1) for s in sequences]
    x = [s[:-1] for s in sequences]
    y = [s[1:] for s in sequences]
    empty = np.zeros(0, dtype=np.int64)
    return np.concatenate(x or [empty]), np.concatenate(y or [empty])


def tune_bigram(train, held_out, V: int, *, ks=(0.01, 0.03, 0.1, 0.3, 1.0), pad_id: int = 0):
    """The Bigram whose k gives the lowest held-out cross-entropy: the baseline's best case."""
    best = None
    for k in ks:
        bigram = Bigram(train, V, k=k, pad_id=pad_id)
        J = bigram.cross_entropy(held_out)[0]
        if best is None or J < best[0]:
            best = (J, bigram)
    return best[1]


def perplexity(J: float) -> float:
    """exp(J) of a mean per-character cross-entropy J in nats."""
    return math.exp(J)


def generate(model: CharLM, prefix, n: int = 1, *, max_len: int = 20, end_id: int | None = None,
             temperature: float = 1.0, seed=0) -> list[list[int]]:
    """Sample ``n`` continuations of the ids ``prefix``, one character at a time.   notes §5.1.3

    The prefix runs through the model to set every layer's (a, c); then each drawn y<t> is fed
    back as x<t+1>. A row stops after drawing ``end_id`` (not included) or ``max_len`` ids.
    All rows decode together as one batch; the same seed gives the same samples.
    """
    if len(prefix) == 0:
        raise ValueError("generate: prefix should hold at least one id (e.g. the start id)")
    if n < 1 or max_len < 0:
        raise ValueError(f"generate: n should be >= 1 and max_len >= 0, got {n}, {max_len}")
    rng = make_rng(seed)
    was_training = model.training
    model.eval()
    out = np.zeros((n, max_len), dtype=np.int64)
    lengths = np.full(n, max_len)
    done = np.zeros(n, dtype=bool)
    with no_grad():
        ids = np.tile(np.asarray(prefix, dtype=np.int64), (n, 1))
        logits, states = model(ids, return_states=True)
        for t in range(max_len):
            drawn = sample_ids(logits.data[:, -1], temperature=temperature, seed=rng)
            out[:, t] = drawn
            if end_id is not None:
                ended = ~done & (drawn == end_id)
                lengths[ended] = t
                done |= ended
                if done.all():
                    break
            logits, states = model(drawn[:, None], states, return_states=True)
    model.train(was_training)
    return [row[:length].tolist() for row, length in zip(out, lengths)]
