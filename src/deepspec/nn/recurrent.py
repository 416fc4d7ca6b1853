"""Recurrent layers: SimpleRNN, GRU, LSTM (deep and bidirectional), TimeDistributed.
notes §5.1 (course 5, week 1)

Batch-first: inputs (m, T, n_x). Each layer runs the whole-sequence fused op of
``deepspec.ops.recurrent`` (hand-written backpropagation through time) once per stacked layer.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import get_default_dtype
from ..backend import rng as make_rng
from ..ops import basic
from ..ops import recurrent as rec
from ..ops.dropout import dropout
from ..tensor import Tensor
from .module import Module, Parameter

_GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}


class _Recurrent(Module):
    """Shared by SimpleRNN, GRU and LSTM: parameters per stacked layer, masks, outputs.

    Layer l has W_x.l (n_in, G n_a), W_a.l (n_a, G n_a) and b.l, drawn from
    U(-1/sqrt(n_a), 1/sqrt(n_a)) as PyTorch does (LSTM forget-gate biases start at 1).
    """

    def __init__(self, n_x: int, n_a: int, *, num_layers: int = 1, return_sequences: bool = True,
                 return_state: bool = False, keep_prob: float = 1.0, seed=None):
        name = type(self).__name__
        if int(n_x) <= 0 or int(n_a) <= 0 or int(num_layers) <= 0:
            raise ValueError(f"{name}: n_x, n_a and num_layers should be positive, got "
                             f"{n_x}, {n_a}, {num_layers}")
        if not 0 < keep_prob <= 1:
            raise ValueError(f"{name}: keep_prob should be in (0, 1], got {keep_prob}")
        self.n_x, self.n_a, self.num_layers = int(n_x), int(n_a), int(num_layers)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.keep_prob = float(keep_prob)
        rng = make_rng(seed)
        G, limit = _GATES[name], 1 / math.sqrt(self.n_a)
        self.W_x, self.W_a, self.b = [], [], []
        for layer in range(self.num_layers):
            n_in = self.n_x if layer == 0 else self.n_a
            self.W_x.append(Parameter(rng.uniform(-limit, limit, (n_in, G * self.n_a))))
            self.W_a.append(Parameter(rng.uniform(-limit, limit, (self.n_a, G * self.n_a))))
            self.b.append(Parameter(self._initial_bias()))
        self.rng = rng  # dropout between stacked layers

    def _initial_bias(self):
        return np.zeros(_GATES[type(self).__name__] * self.n_a, dtype=get_default_dtype())

    def _run(self, layer: int, x, state, mask):
        raise NotImplementedError(f"{type(self).__name__} defines no _run")

    def forward(self, x, initial_state=None, *, mask=None, lengths=None):
        """x (m, T, n_x) -> a (m, T, n_a) if return_sequences else a_T (m, n_a); with
        return_state, also the final states of the last layer (a_T, and c_T for an LSTM).

        ``initial_state``: a0 (or (a0, c0) for an LSTM), (m, n_a), used by every layer.
        ``mask`` (m, T) / ``lengths`` (m,): padded steps carry the state and output zeros.
        """
        name = type(self).__name__
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim != 3 or x.shape[-1] != self.n_x:
            raise ValueError(f"{name}({self.n_x}, {self.n_a}): input should have shape "
                             f"(m, T, {self.n_x}), got {x.shape}")
        if mask is None and lengths is not None:
            mask = rec._steps_mask(name, x, None, lengths)
        out, states = x, None
        for layer in range(self.num_layers):
            if layer and self.keep_prob < 1:
                out = dropout(out, self.keep_prob, training=self.training, seed=self.rng)
            out, *states = self._run(layer, out, initial_state, mask)
        result = out if self.return_sequences else states[0]
        return (result, *states) if self.return_state else result

    def config(self) -> dict:
        return {"n_x": self.n_x, "n_a": self.n_a, "num_layers": self.num_layers,
                "return_sequences": self.return_sequences, "return_state": self.return_state,
                "keep_prob": self.keep_prob}

    def extra_repr(self) -> str:
        layers = f", num_layers={self.num_layers}" if self.num_layers > 1 else ""
        return f"{self.n_x}, {self.n_a}{layers}, return_sequences={self.return_sequences}"


class SimpleRNN(_Recurrent):
    """a<t> = g(x<t> W_x + a<t-1> W_a + b), g = tanh or relu.   notes §5.1.2"""

    def __init__(self, n_x: int, n_a: int, *, activation: str = "tanh", **kwargs):
        if activation not in ("tanh", "relu"):
            raise ValueError(f"SimpleRNN: activation should be 'tanh' or 'relu', "
                             f"got {activation!r}")
        self.activation = activation
        super().__init__(n_x, n_a, **kwargs)

    def _run(self, layer, x, state, mask):
        return rec.rnn(x, self.W_x[layer], self.W_a[layer], self.b[layer], state,
                       activation=self.activation, mask=mask)

    def config(self) -> dict:
        return {**super().config(), "activation": self.activation}


class GRU(_Recurrent):
    """The notes' full GRU (reset gate before the recurrent matmul); ``reset_after=True`` is
    PyTorch's/cuDNN's variant (its biases then have shape (2, 3 n_a)).   notes §5.1.4"""

    def __init__(self, n_x: int, n_a: int, *, reset_after: bool = False, **kwargs):
        self.reset_after = bool(reset_after)
        super().__init__(n_x, n_a, **kwargs)

    def _initial_bias(self):
        shape = (2, 3 * self.n_a) if self.reset_after else (3 * self.n_a,)
        return np.zeros(shape, dtype=get_default_dtype())

    def _run(self, layer, x, state, mask):
        return rec.gru(x, self.W_x[layer], self.W_a[layer], self.b[layer], state, mask=mask,
                       reset_after=self.reset_after)

    def config(self) -> dict:
        return {**super().config(), "reset_after": self.reset_after}


class LSTM(_Recurrent):
    """The notes' LSTM: update, forget and output gates and a memory cell.   notes §5.1.5

    Gate blocks (u, f, o, c~) along the last axis of W_x, W_a and b.
    """

    def _initial_bias(self):
        b = np.zeros(4 * self.n_a, dtype=get_default_dtype())
        b[self.n_a:2 * self.n_a] = 1.0  # forget gate open at the start: remember by default
        return b

    def _run(self, layer, x, state, mask):
        a0, c0 = (None, None) if state is None else state
        return rec.lstm(x, self.W_x[layer], self.W_a[layer], self.b[layer], a0, c0, mask=mask)


def _reverse_index(mask, m: int, T: int):
    """Time indices that reverse each example's valid prefix and leave its padding in place."""
    if mask is None:
        return None
    lengths = mask.sum(axis=1)
    if not np.array_equal(mask, np.arange(T) < lengths[:, None]):
        raise ValueError("Bidirectional: masks should mark a prefix of each sequence "
                         "(padding at the end)")
    t = np.arange(T)
    return np.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)


class Bidirectional(Module):
    """Run ``layer`` forwards and a twin backwards in time; concatenate (or sum) the outputs.
    notes §5.1.3 (BRNN). The wrapped layer must return sequences and no states.
    """

    def __init__(self, layer: _Recurrent, *, merge: str = "concat", seed=None):
        if not isinstance(layer, _Recurrent):
            raise TypeError(f"Bidirectional: layer should be a SimpleRNN, GRU or LSTM, got "
                            f"{type(layer).__name__}")
        if not layer.return_sequences or layer.return_state:
            raise ValueError("Bidirectional: the wrapped layer should have "
                             "return_sequences=True and return_state=False")
        if merge not in ("concat", "sum"):
            raise ValueError(f"Bidirectional: merge should be 'concat' or 'sum', got {merge!r}")
        self.forward_layer = layer
        self.backward_layer = type(layer)(**layer.config(), seed=seed)
        self.merge = merge

    def forward(self, x, *, mask=None, lengths=None):
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim != 3:
            raise ValueError(f"Bidirectional: input should have shape (m, T, n_x), got {x.shape}")
        m, T = x.shape[:2]
        if mask is None and lengths is not None:
            mask = rec._steps_mask("Bidirectional", x, None, lengths)
        mask = None if mask is None else np.asarray(mask, dtype=bool)
        forwards = self.forward_layer(x, mask=mask)
        index = _reverse_index(mask, m, T)
        if index is None:
            backwards = self.backward_layer(x[:, ::-1], mask=mask)[:, ::-1]
        else:
            rows = np.arange(m)[:, None]
            backwards = self.backward_layer(x[rows, index], mask=mask)[rows, index]
        if self.merge == "sum":
            return forwards + backwards
        return basic.concat([forwards, backwards], axis=-1)

    def config(self) -> dict:
        return {"layer": {"class": type(self.forward_layer).__name__,
                          "config": self.forward_layer.config()}, "merge": self.merge}

    def extra_repr(self) -> str:
        return f"merge={self.merge!r}"


class TimeDistributed(Module):
    """Apply ``layer`` to every time step: (m, T, ...) -> (m*T, ...) -> layer -> (m, T, ...)."""

    def __init__(self, layer: Module):
        if not isinstance(layer, Module):
            raise TypeError(f"TimeDistributed: layer should be a Module, got "
                            f"{type(layer).__name__}")
        self.layer = layer

    def forward(self, x):
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim < 3:
            raise ValueError(f"TimeDistributed: input should have shape (m, T, ...), "
                             f"got {x.shape}")
        m, T = x.shape[:2]
        out = self.layer(basic.reshape(x, (m * T, *x.shape[2:])))
        return basic.reshape(out, (m, T, *out.shape[1:]))

    def config(self) -> dict:
        return {"layer": {"class": type(self.layer).__name__, "config": self.layer.config()}}
