"""Initialization, forward propagation, cost and prediction, column-major.   notes §1.3.1

The notes' layout: X (n_x, m), W[l] (n[l], n[l-1]), b[l] (n[l], 1), Z[l] = W[l] A[l-1] + b[l].
The math is the library's: ``Linear`` (batch-first) runs on the transposed arrays,
``Z = Linear.forward(A_prev.T, W, b.ravel()).T``; the activations, inverted dropout, the
cross-entropy and the L2 term are the ``Function`` classes of ``deepspec.ops`` and
``deepspec.optim``, called on arrays.
"""

from __future__ import annotations

from .. import init as initializers
from ..backend import rng as make_rng
from ..backend import xp
from ..ops.basic import Linear
from ..ops.dropout import Dropout
from ..ops.losses import BinaryCrossEntropy
from ..optim.regularization import L2Penalty
from .activations import activation_forward

INITS = ("random", "he", "xavier", "zeros")


class LinearCache(tuple):
    """The assignments' linear cache ``(A_prev, W, b)``; ``.fn`` is the Linear that made Z."""

    def __new__(cls, A_prev, W, b, fn: Linear):
        cache = super().__new__(cls, (A_prev, W, b))
        cache.fn = fn
        return cache

    def __getnewargs__(self):  # so copy.deepcopy and pickle rebuild it
        return (*self, self.fn)


# ---- initialization ---------------------------------------------------------------------
def initialize_parameters(n_x: int, n_h: int, n_y: int, *, seed=None, dtype=None) -> dict:
    """W1 (n_h, n_x), W2 (n_y, n_h) ~ randn * 0.01; b1, b2 zeros.   notes §1.3.4 (2-layer net)"""
    return initialize_parameters_deep([n_x, n_h, n_y], init="random", seed=seed, dtype=dtype)


def initialize_parameters_deep(layer_dims, init: str = "random", *, seed=None,
                               dtype=None) -> dict:
    """W[l] (n[l], n[l-1]) from ``init``, b[l] (n[l], 1) zeros, for l = 1..L.   notes §2.3.2

    ``init``: "random" (randn * 0.01, the notes' first version), "he" (randn *
    sqrt(2 / n[l-1]), for ReLU), "xavier" (randn * sqrt(1 / n[l-1]), for tanh) or "zeros"
    (fails to break symmetry; for the notes' demonstration). The draws are those of
    ``deepspec.models.mlp(layer_dims, init=init, seed=seed)``: same seed, same weights.
    ``dtype`` defaults to the library's default dtype.
    """
    dims = list(layer_dims)
    if len(dims) < 2 or any(int(d) != d or d <= 0 for d in dims):
        raise ValueError(f"initialize_parameters_deep: layer_dims should list >= 2 positive "
                         f"integers [n_x, n[1], ..., n[L]], got {dims}")
    if init not in INITS:
        raise ValueError(f"initialize_parameters_deep: init should be one of {list(INITS)}, "
                         f"got {init!r}")
    rng = make_rng(seed)
    make_W = initializers.get(init)
    parameters = {}
    for l in range(1, len(dims)):
        n, n_prev = int(dims[l]), int(dims[l - 1])
        parameters[f"W{l}"] = make_W((n, n_prev), seed=rng, dtype=dtype)
        parameters[f"b{l}"] = initializers.zeros((n, 1), dtype=dtype)
    return parameters


def num_layers(op: str, parameters: dict) -> int:
    """L, after checking that ``parameters`` holds W1, b1, ..., WL, bL and nothing else."""
    L = len(parameters) // 2
    expected = [f"{p}{l}" for l in range(1, L + 1) for p in ("W", "b")]
    if L == 0 or sorted(parameters) != sorted(expected):
        raise ValueError(f"{op}: parameters should hold W1, b1, ..., WL, bL, "
                         f"got keys {sorted(parameters)}")
    return L


# ---- forward propagation ----------------------------------------------------------------
def linear_forward(A, W, b):
    """Z = W A + b;  returns (Z, cache = (A, W, b)).   notes §1.3.1

    Shapes: A (n_prev, m), W (n, n_prev), b (n, 1) -> Z (n, m).
    """
    A, W, b = xp.asarray(A), xp.asarray(W), xp.asarray(b)
    if W.ndim != 2 or A.ndim != 2 or A.shape[0] != W.shape[1] or b.shape != (W.shape[0], 1):
        raise ValueError(f"linear_forward: W (n, n_prev) needs A (n_prev, m) and b (n, 1); "
                         f"got W {W.shape}, A {A.shape}, b {b.shape}")
    fn = Linear()
    fn.needs_grad = (True, True, True)
    Z = fn.forward(A.T, W, b.reshape(-1)).T
    return Z, LinearCache(A, W, b, fn)


def linear_activation_forward(A_prev, W, b, activation: str):
    """A = g(W A_prev + b), g = "sigmoid", "relu" or "tanh".   notes §1.3.1

    Returns (A, cache = (linear_cache, activation_cache)); the activation cache is the
    activation ``Function`` (it keeps Z or A for backward).
    """
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = activation_forward("linear_activation_forward", Z, activation)
    return A, (linear_cache, activation_cache)


def L_model_forward(X, parameters: dict, keep_prob: float = 1.0, *, seed=None):
    """[LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID.   notes §1.3.1; dropout §2.2.3

    Returns (AL, caches), one cache per layer. With ``keep_prob`` < 1, inverted dropout
    (D = rand(A.shape) < keep_prob; A = A * D / keep_prob) follows every hidden layer, its
    masks drawn from ``seed`` (an int or a Generator), and that layer's cache gains a third
    item, the Dropout Function (which holds D / keep_prob). Train-time only: predict with
    keep_prob = 1.
    """
    L = num_layers("L_model_forward", parameters)
    if not 0 < keep_prob <= 1:
        raise ValueError(f"L_model_forward: keep_prob should be in (0, 1], got {keep_prob}")
    rng = make_rng(seed) if keep_prob < 1 else None
    A, caches = xp.asarray(X), []
    for l in range(1, L + 1):
        activation = "relu" if l < L else "sigmoid"
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        if xp.ndim(W) == 2 and xp.ndim(A) == 2 and A.shape[0] != W.shape[1]:
            raise ValueError(f"L_model_forward: layer {l}: W{l} {xp.shape(W)} needs A{l - 1} "
                             f"({xp.shape(W)[1]}, m), got {A.shape}")
        A, cache = linear_activation_forward(A, W, b, activation)
        if rng is not None and l < L:
            dropout = Dropout()
            A = dropout.forward(A, keep_prob=keep_prob, rng=rng)
            cache = (*cache, dropout)
        caches.append(cache)
    return A, caches


# ---- cost -------------------------------------------------------------------------------
def check_targets(op: str, AL, Y):
    """Y as an array of AL's dtype, after checking that it has AL's shape (n_y, m)."""
    AL, Y = xp.asarray(AL), xp.asarray(Y)
    if AL.ndim != 2 or Y.shape != AL.shape:
        raise ValueError(f"{op}: AL and Y should both have shape (n_y, m), "
                         f"got AL {AL.shape} and Y {Y.shape}")
    return AL, Y.astype(AL.dtype, copy=False)


def cross_entropy(AL, Y, epsilon: float = 1e-12):
    """(sum of the losses over all entries, the BinaryCrossEntropy Function that made it)."""
    fn = BinaryCrossEntropy()
    return fn.forward(AL, Y=Y, reduction="sum", epsilon=epsilon), fn


def l2_term(weights, lambd: float, m: int):
    """(lambd/(2m) sum ||W||_F^2, the L2Penalty Function that made it)."""
    fn = L2Penalty()
    fn.needs_grad = (True,) * len(weights)
    return fn.forward(*weights, coefficient=float(lambd) / m), fn


def compute_cost(AL, Y, parameters: dict | None = None, lambd: float = 0.0) -> float:
    """J = -(1/m) sum [Y log AL + (1 - Y) log(1 - AL)] (+ lambd/(2m) sum_l ||W[l]||_F^2).

    notes §1.3.1 (cross-entropy cost), §2.2.1 (L2 term, when ``lambd`` > 0; it needs
    ``parameters``). AL is clipped to [1e-12, 1 - 1e-12] so log never sees 0.
    Shapes: AL, Y (n_y, m). Returns a Python float.
    """
    AL, Y = check_targets("compute_cost", AL, Y)
    m = AL.shape[1]
    if m == 0:
        raise ValueError(f"compute_cost: AL should hold at least one example, got {AL.shape}")
    if not lambd >= 0:  # NaN fails too
        raise ValueError(f"compute_cost: lambd should be >= 0, got {lambd}")
    cost = float(cross_entropy(AL, Y)[0]) / m
    if lambd > 0:
        if parameters is None:
            raise ValueError("compute_cost: lambd > 0 needs the parameters (their W's)")
        L = num_layers("compute_cost", parameters)
        weights = [parameters[f"W{l}"] for l in range(1, L + 1)]
        cost += float(l2_term(weights, lambd, m)[0])
    return cost


# ---- prediction -------------------------------------------------------------------------
def predict(X, y, parameters: dict, *, verbose: bool = True, return_accuracy: bool = False):
    """p = [AL > 0.5] (0/1, shape (n_y, m)) from L_model_forward without dropout.

    With labels ``y`` (shape (n_y, m), or None), prints "Accuracy: ..." when ``verbose``
    (as the assignments), and returns (p, accuracy) when ``return_accuracy``.
    """
    AL, _ = L_model_forward(X, parameters)
    p = (AL > 0.5).astype(xp.int64)
    accuracy = None
    if y is not None:
        y = xp.asarray(y)
        if y.shape != p.shape:
            raise ValueError(f"predict: y should have the predictions' shape {p.shape}, "
                             f"got {y.shape}")
        accuracy = float(xp.mean(p == y))
        if verbose:
            print(f"Accuracy: {accuracy}")
    return (p, accuracy) if return_accuracy else p
