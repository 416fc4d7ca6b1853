"""Gradient checking on the vectorized parameters theta.   notes §2.3.3-2.3.4

    d(theta)_approx[i] = (J(theta + epsilon e_i) - J(theta - epsilon e_i)) / (2 epsilon)
    difference = ||d(theta) - d(theta)_approx||_2 / (||d(theta)||_2 + ||d(theta)_approx||_2)

J is ``compute_cost(L_model_forward(X, parameters)[0], Y, parameters, lambd)``; the
difference is ``deepspec.gradcheck.relative_difference``.
"""

from __future__ import annotations

import math

import numpy as np

from ..gradcheck import relative_difference
from .forward import L_model_forward, compute_cost, num_layers


def _layer_keys(L: int, prefix: str = "") -> list:
    return [f"{prefix}{p}{l}" for l in range(1, L + 1) for p in ("W", "b")]


def dictionary_to_vector(parameters: dict):
    """theta (n, 1): W1, b1, ..., WL, bL flattened (row-major) and stacked.   notes §2.3.4

    Returns (theta, keys), ``keys`` naming the parameter of each entry of theta.
    """
    L = num_layers("dictionary_to_vector", parameters)
    names = _layer_keys(L)
    theta = np.concatenate([np.ravel(parameters[k]) for k in names]).reshape(-1, 1)
    keys = [k for k in names for _ in range(np.size(parameters[k]))]
    return theta, keys


def gradients_to_vector(gradients: dict):
    """d(theta) (n, 1): dW1, db1, ..., dWL, dbL flattened and stacked (dA* are left out)."""
    L = sum(1 for k in gradients if k.startswith("dW"))
    names = _layer_keys(L, "d")
    missing = [k for k in names if k not in gradients]
    if L == 0 or missing:
        raise ValueError(f"gradients_to_vector: gradients should hold dW1, db1, ..., dWL, dbL, "
                         f"got keys {sorted(gradients)}")
    return np.concatenate([np.ravel(gradients[k]) for k in names]).reshape(-1, 1)


def _shapes(layer_dims_or_shapes) -> dict:
    if isinstance(layer_dims_or_shapes, dict):
        return {k: tuple(shape) for k, shape in layer_dims_or_shapes.items()}
    dims = [int(d) for d in layer_dims_or_shapes]
    if len(dims) < 2 or min(dims) <= 0:
        raise ValueError(f"vector_to_dictionary: layer_dims should list >= 2 positive sizes, "
                         f"got {dims}")
    shapes = {}
    for l in range(1, len(dims)):
        shapes[f"W{l}"], shapes[f"b{l}"] = (dims[l], dims[l - 1]), (dims[l], 1)
    return shapes


def vector_to_dictionary(theta, layer_dims_or_shapes) -> dict:
    """Undo dictionary_to_vector: {"W1": (n[1], n[0]), "b1": (n[1], 1), ...} from theta.

    ``layer_dims_or_shapes``: the layer_dims list, or a dict {key: shape} in theta's order.
    The arrays are views into theta when theta is contiguous (as dictionary_to_vector's).
    """
    shapes = _shapes(layer_dims_or_shapes)
    flat = np.reshape(theta, -1)
    total = sum(math.prod(shape) for shape in shapes.values())
    if flat.size != total:
        raise ValueError(f"vector_to_dictionary: theta should hold {total} values for shapes "
                         f"{shapes}, got {flat.size} (theta shape {np.shape(theta)})")
    parameters, start = {}, 0
    for key, shape in shapes.items():
        size = math.prod(shape)
        parameters[key] = flat[start:start + size].reshape(shape)
        start += size
    return parameters


def gradient_check_n(parameters: dict, gradients: dict, X, Y, epsilon: float = 1e-7,
                     print_msg: bool = False, *, lambd: float = 0.0) -> float:
    """The notes' difference between backprop's gradients and two-sided differences.

    notes §2.3.4. Runs in float64 on a copy of the parameters; ``gradients`` should come
    from L_model_backward (no dropout: its random masks change J on every evaluation) with
    the same ``lambd``. Below ~1e-7 is fine; above ~1e-3 there is a bug.
    """
    L = num_layers("gradient_check_n", parameters)
    if not epsilon > 0:
        raise ValueError(f"gradient_check_n: epsilon should be > 0, got {epsilon}")
    shapes = {k: np.shape(parameters[k]) for k in _layer_keys(L)}
    theta = np.array(dictionary_to_vector(parameters)[0], dtype=np.float64)  # a fresh copy
    grad = gradients_to_vector(gradients)
    if grad.size != theta.size:
        raise ValueError(f"gradient_check_n: gradients hold {grad.size} values, parameters "
                         f"{theta.size}: they should be the same network's")
    for key, shape in shapes.items():
        if np.shape(gradients["d" + key]) != shape:
            raise ValueError(f"gradient_check_n: gradients['d{key}'] should have {key}'s shape "
                             f"{shape}, got {np.shape(gradients['d' + key])}")
    checked = vector_to_dictionary(theta, shapes)  # views: nudging theta nudges them
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)

    def J() -> float:
        AL, _ = L_model_forward(X, checked)
        return compute_cost(AL, Y, checked, lambd)

    flat = theta.reshape(-1)
    approx = np.zeros_like(flat)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + epsilon
        J_plus = J()
        flat[i] = saved - epsilon
        J_minus = J()
        flat[i] = saved
        approx[i] = (J_plus - J_minus) / (2 * epsilon)
    difference = relative_difference(grad, approx)
    if print_msg:
        if difference > 2e-7:
            print(f"There is a mistake in the backward propagation! difference = {difference}")
        else:
            print(f"Your backward propagation works perfectly fine! difference = {difference}")
    return difference
