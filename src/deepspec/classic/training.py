"""Mini-batches and the notes' training loop, column-major.   notes §2.4.1; Algorithms 1-4"""

from __future__ import annotations

from ..backend import rng as make_rng
from ..backend import xp
from .backward import L_model_backward
from .forward import L_model_forward, compute_cost, initialize_parameters_deep
from .update import (
    initialize_adam,
    initialize_velocity,
    update_parameters,
    update_parameters_with_adam,
    update_parameters_with_momentum,
)

OPTIMIZERS = ("gd", "momentum", "adam")


def random_mini_batches(X, Y, mini_batch_size: int = 64, seed=0) -> list:
    """Shuffle the columns of (X, Y) with one permutation, then cut them into mini-batches.

    notes §2.4.1: every mini-batch has ``mini_batch_size`` examples except the last, which
    keeps the remaining m % mini_batch_size. ``seed``: an int or a Generator (the same seed
    gives the same batches). Shapes: X (n_x, m), Y (n_y, m) -> [(X{t}, Y{t}), ...].
    """
    X, Y = xp.asarray(X), xp.asarray(Y)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"random_mini_batches: X (n_x, m) and Y (n_y, m) should have the "
                         f"same number of columns m, got X {X.shape} and Y {Y.shape}")
    if int(mini_batch_size) != mini_batch_size or mini_batch_size < 1:
        raise ValueError(f"random_mini_batches: mini_batch_size should be a positive integer, "
                         f"got {mini_batch_size}")
    m, size = X.shape[1], int(mini_batch_size)
    permutation = make_rng(seed).permutation(m)
    shuffled_X, shuffled_Y = X[:, permutation], Y[:, permutation]
    return [(shuffled_X[:, k:k + size], shuffled_Y[:, k:k + size]) for k in range(0, m, size)]


def model(X, Y, layer_dims, optimizer: str = "adam", learning_rate: float = 0.0007,
          num_epochs: int = 1000, mini_batch_size: int = 64, *, beta: float = 0.9,
          beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8, lambd: float = 0.0,
          keep_prob: float = 1.0, init: str = "he", seed: int = 0, print_cost: bool = False,
          print_every: int = 100):
    """Train [LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID with mini-batches.   notes §2.4

    Each epoch reshuffles (``random_mini_batches`` with seed + epoch + 1, as the
    assignments) and, for each mini-batch, runs L_model_forward, compute_cost,
    L_model_backward and one update: "gd", "momentum" (``beta``) or "adam" (``beta1``,
    ``beta2``, ``epsilon``; t counts steps). ``lambd`` adds the L2 term, ``keep_prob`` < 1
    inverted dropout. Returns (parameters, costs), costs holding each epoch's mean cost.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"model: optimizer should be one of {list(OPTIMIZERS)}, "
                         f"got {optimizer!r}")
    if int(num_epochs) != num_epochs or num_epochs < 0:
        raise ValueError(f"model: num_epochs should be an integer >= 0, got {num_epochs}")
    X, Y = xp.asarray(X), xp.asarray(Y)
    layer_dims = list(layer_dims)
    if X.ndim != 2 or len(layer_dims) < 2 or X.shape[0] != layer_dims[0]:
        raise ValueError(f"model: X should have shape (layer_dims[0], m) = "
                         f"({layer_dims[0] if layer_dims else '?'}, m), got {X.shape}")
    if not isinstance(seed, int):
        raise TypeError(f"model: seed should be an int, got {type(seed).__name__}")
    dtype = X.dtype if X.dtype.kind == "f" else None  # the data's float dtype, else the default
    parameters = initialize_parameters_deep(layer_dims, init, seed=seed, dtype=dtype)
    if optimizer == "momentum":
        v = initialize_velocity(parameters)
    elif optimizer == "adam":
        v, s = initialize_adam(parameters)
    dropout_rng = make_rng(seed + 1) if keep_prob < 1 else None
    m, t, costs = X.shape[1], 0, []
    for epoch in range(int(num_epochs)):
        cost_total = 0.0
        for X_t, Y_t in random_mini_batches(X, Y, mini_batch_size, seed=seed + epoch + 1):
            AL, caches = L_model_forward(X_t, parameters, keep_prob, seed=dropout_rng)
            cost_total += compute_cost(AL, Y_t, parameters, lambd) * X_t.shape[1]
            grads = L_model_backward(AL, Y_t, caches, lambd)
            if optimizer == "gd":
                parameters = update_parameters(parameters, grads, learning_rate)
            elif optimizer == "momentum":
                parameters, v = update_parameters_with_momentum(parameters, grads, v, beta,
                                                                learning_rate)
            else:
                t += 1
                parameters, v, s = update_parameters_with_adam(
                    parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon)
        costs.append(cost_total / m)
        if print_cost and (epoch % print_every == 0 or epoch == num_epochs - 1):
            print(f"Cost after epoch {epoch}: {costs[-1]:.6f}")
    return parameters, costs
