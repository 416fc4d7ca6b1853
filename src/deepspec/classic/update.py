"""Parameter updates: gradient descent, momentum, Adam.   notes §1.3.3, §2.4.3, §2.4.5

Thin wrappers over the array kernels of ``deepspec.optim`` (``gd_update``,
``momentum_update``, ``adam_update``), applied to every "W{l}" / "b{l}" with its "dW{l}" /
"db{l}". They return new dictionaries and leave the ones passed in (and their arrays)
untouched, so ``parameters = update_parameters(parameters, grads, 0.1)`` reads as the notes.
"""

from __future__ import annotations

from ..backend import xp
from ..optim.adam import adam_update
from ..optim.gd import gd_update
from ..optim.momentum import momentum_update
from .forward import num_layers


def _pairs(op: str, parameters: dict, grads: dict, state: dict | None = None,
           state_name: str = "v"):
    """[(parameter key, gradient key)] for l = 1..L, after checking every shape."""
    L = num_layers(op, parameters)
    pairs = []
    for l in range(1, L + 1):
        for p in ("W", "b"):
            key, dkey = f"{p}{l}", f"d{p}{l}"
            shape = xp.shape(parameters[key])
            if dkey not in grads:
                raise ValueError(f"{op}: grads should hold {dkey!r} for {key}, "
                                 f"got keys {sorted(grads)}")
            if xp.shape(grads[dkey]) != shape:
                raise ValueError(f"{op}: grads[{dkey!r}] should have {key}'s shape {shape}, "
                                 f"got {xp.shape(grads[dkey])}")
            if state is not None and xp.shape(state.get(dkey)) != shape:
                got = xp.shape(state[dkey]) if dkey in state else "no such key"
                raise ValueError(f"{op}: {state_name}[{dkey!r}] should have {key}'s shape "
                                 f"{shape}, got {got}")
            pairs.append((key, dkey))
    return pairs


def _copy(arrays: dict) -> dict:
    return {k: xp.array(a, copy=True) for k, a in arrays.items()}


def _check_learning_rate(op: str, learning_rate: float) -> None:
    if not learning_rate > 0:
        raise ValueError(f"{op}: learning_rate should be > 0, got {learning_rate}")


def update_parameters(parameters: dict, grads: dict, learning_rate: float) -> dict:
    """W[l] := W[l] - learning_rate dW[l];  b[l] := b[l] - learning_rate db[l].   notes §1.3.3"""
    _check_learning_rate("update_parameters", learning_rate)
    pairs = _pairs("update_parameters", parameters, grads)
    parameters = _copy(parameters)
    for key, dkey in pairs:
        gd_update(parameters[key], grads[dkey], learning_rate=learning_rate)
    return parameters


def _zeros_like_parameters(op: str, parameters: dict) -> dict:
    L = num_layers(op, parameters)
    return {f"d{p}{l}": xp.zeros_like(parameters[f"{p}{l}"])
            for l in range(1, L + 1) for p in ("W", "b")}


def initialize_velocity(parameters: dict) -> dict:
    """v["dW{l}"], v["db{l}"] = zeros like W[l], b[l].   notes §2.4.3"""
    return _zeros_like_parameters("initialize_velocity", parameters)


def update_parameters_with_momentum(parameters: dict, grads: dict, v: dict, beta: float,
                                    learning_rate: float):
    """v = beta v + (1 - beta) dW;  W := W - learning_rate v (same for b).   notes §2.4.3

    Returns (parameters, v).
    """
    op = "update_parameters_with_momentum"
    _check_learning_rate(op, learning_rate)
    if not 0 <= beta < 1:
        raise ValueError(f"{op}: beta should be in [0, 1), got {beta}")
    pairs = _pairs(op, parameters, grads, v, "v")
    parameters, v = _copy(parameters), _copy(v)
    for key, dkey in pairs:
        momentum_update(parameters[key], grads[dkey], v[dkey], beta=beta,
                        learning_rate=learning_rate)
    return parameters, v


def initialize_adam(parameters: dict):
    """(v, s): first and second moments, zeros like every W[l], b[l].   notes §2.4.5"""
    return (_zeros_like_parameters("initialize_adam", parameters),
            _zeros_like_parameters("initialize_adam", parameters))


def update_parameters_with_adam(parameters: dict, grads: dict, v: dict, s: dict, t: int,
                                learning_rate: float = 0.01, beta1: float = 0.9,
                                beta2: float = 0.999, epsilon: float = 1e-8):
    """Adam with bias correction (t counts steps from 1).   notes §2.4.5

        v = beta1 v + (1 - beta1) dW,      v_corrected = v / (1 - beta1^t)
        s = beta2 s + (1 - beta2) dW^2,    s_corrected = s / (1 - beta2^t)
        W := W - learning_rate v_corrected / (sqrt(s_corrected) + epsilon)

    Returns (parameters, v, s). Equal to ``torch.optim.Adam(lr=learning_rate,
    betas=(beta1, beta2), eps=epsilon)``.
    """
    op = "update_parameters_with_adam"
    _check_learning_rate(op, learning_rate)
    if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
        raise ValueError(f"{op}: beta1, beta2 should be in [0, 1), got {beta1}, {beta2}")
    if not epsilon > 0:
        raise ValueError(f"{op}: epsilon should be > 0, got {epsilon}")
    if int(t) != t or t < 1:
        raise ValueError(f"{op}: t (the Adam step, counted from 1) should be an integer "
                         f">= 1, got {t}")
    pairs = _pairs(op, parameters, grads, v, "v")
    _pairs(op, parameters, grads, s, "s")
    parameters, v, s = _copy(parameters), _copy(v), _copy(s)
    for key, dkey in pairs:
        adam_update(parameters[key], grads[dkey], v[dkey], s[dkey], t=int(t), beta1=beta1,
                    beta2=beta2, epsilon=epsilon, learning_rate=learning_rate)
    return parameters, v, s
