"""The notes' L-layer network from a ``layer_dims`` list.   notes §1.3 (deep networks)"""

from __future__ import annotations

from ..backend import rng as make_rng
from ..nn import BatchNorm1d, Dense, Dropout, LeakyReLU, ReLU, Sequential, Sigmoid, Softmax, Tanh

_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "leaky_relu": LeakyReLU}
_OUTPUTS = {"sigmoid": Sigmoid, "softmax": Softmax, "linear": None, None: None}


def mlp(layer_dims, *, hidden: str = "relu", output: str | None = None, init: str = "he",
        batch_norm: bool = False, keep_prob: float = 1.0, seed=None) -> Sequential:
    """[LINEAR -> hidden] x (L-1) -> LINEAR -> output, from ``layer_dims = [n_x, n1, ..., n_y]``.

    Args:
        layer_dims: sizes of every layer, input first (the notes' ``layer_dims``).
        hidden: "relu", "tanh", "sigmoid" or "leaky_relu".
        output: "sigmoid", "softmax", or None / "linear" for logits (pair logits with the
            ``*_with_logits`` / ``softmax_cross_entropy`` losses: they are fused and stable).
        init: weight initializer name (see ``deepspec.init``).
        batch_norm: BatchNorm1d after each hidden Dense (before the activation, as the notes).
        keep_prob: < 1 adds inverted Dropout after each hidden activation.
        seed: int or Generator: the same seed builds the same weights.
    """
    dims = [int(d) for d in layer_dims]
    if len(dims) < 2 or min(dims) <= 0:
        raise ValueError(f"mlp: layer_dims should list >= 2 positive sizes, got {list(layer_dims)}")
    if hidden not in _ACTIVATIONS:
        raise ValueError(f"mlp: hidden should be one of {sorted(_ACTIVATIONS)}, got {hidden!r}")
    if output not in _OUTPUTS:
        raise ValueError(f"mlp: output should be 'sigmoid', 'softmax', 'linear' or None, "
                         f"got {output!r}")
    if not 0 < keep_prob <= 1:
        raise ValueError(f"mlp: keep_prob should be in (0, 1], got {keep_prob}")
    rng = make_rng(seed)
    layers = []
    for n_prev, n in zip(dims[:-2], dims[1:-1]):
        layers.append(Dense(n_prev, n, init=init, bias=not batch_norm, seed=rng))
        if batch_norm:
            layers.append(BatchNorm1d(n))
        layers.append(_ACTIVATIONS[hidden]())
        if keep_prob < 1:
            layers.append(Dropout(keep_prob, seed=rng))
    layers.append(Dense(dims[-2], dims[-1], init=init, seed=rng))
    if _OUTPUTS[output] is not None:
        layers.append(_OUTPUTS[output]())
    return Sequential(*layers)
