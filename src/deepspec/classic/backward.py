"""Backward propagation, column-major.   notes §1.3.2; L2 §2.2.1; dropout §2.2.3

The notes' scaling: dA and dZ are per-example gradients (dZ = A - Y at a sigmoid output,
no 1/m), and the 1/m enters at each layer's weights:

    dW[l] = (1/m) dZ[l] A[l-1]^T,   db[l] = (1/m) sum_i dZ[l](i),   dA[l-1] = W[l]^T dZ[l].

``Linear.backward`` (batch-first, no 1/m) runs on the transposed dZ; dW and db are then
divided by m. dAL comes from ``BinaryCrossEntropy.backward``, the L2 term's + (lambd/m) W
from ``L2Penalty.backward``, the dropout masks from ``Dropout.backward``.
"""

from __future__ import annotations

from ..backend import xp
from ..ops.basic import Linear
from .activations import ACTIVATIONS, activation_backward
from .forward import check_targets, cross_entropy, l2_term


def linear_backward(dZ, cache):
    """(dA_prev, dW, db) = (W^T dZ, (1/m) dZ A_prev^T, (1/m) sum(dZ, axis=1)).   notes §1.3.2

    ``cache`` = (A_prev, W, b) from ``linear_forward`` (or built by hand).
    Shapes: dZ (n, m), A_prev (n_prev, m), W (n, n_prev), b (n, 1).
    """
    if not isinstance(cache, tuple) or len(cache) != 3:
        raise ValueError("linear_backward: cache should be the tuple (A_prev, W, b) "
                         "from linear_forward")
    A_prev, W, b = cache
    dZ = xp.asarray(dZ)
    n, m = xp.shape(W)[0], xp.shape(A_prev)[1]
    if dZ.shape != (n, m):
        raise ValueError(f"linear_backward: dZ should have shape (n, m) = ({n}, {m}) to match "
                         f"W {xp.shape(W)} and A_prev {xp.shape(A_prev)}, got {dZ.shape}")
    fn = getattr(cache, "fn", None)
    if fn is None:  # a hand-made cache: run Linear forward once so it holds A_prev and W
        fn = Linear()
        fn.needs_grad = (True, True, True)
        fn.forward(xp.asarray(A_prev).T, xp.asarray(W), xp.asarray(b).reshape(-1))
    dA_prev, dW, db = fn.backward(dZ.T)
    return dA_prev.T, dW / m, db.reshape(-1, 1) / m


def linear_activation_backward(dA, cache, activation: str):
    """dZ = dA * g'(Z), then linear_backward: returns (dA_prev, dW, db).   notes §1.3.2

    ``cache`` = (linear_cache, activation_cache) from ``linear_activation_forward``;
    ``activation`` = "sigmoid", "relu" or "tanh" (that of the forward pass).
    """
    if not isinstance(cache, tuple) or len(cache) != 2:
        raise ValueError("linear_activation_backward: cache should be the pair "
                         "(linear_cache, activation_cache) from linear_activation_forward")
    linear_cache, activation_cache = cache
    dZ = activation_backward("linear_activation_backward", dA, activation_cache, activation)
    return linear_backward(dZ, linear_cache)


def _activation_of(cache, default: str) -> str:
    """The activation whose Function is in the cache; ``default`` for a cache holding Z."""
    for name, kind in ACTIVATIONS.items():
        if isinstance(cache[1], kind):
            return name
    return default


def L_model_backward(AL, Y, caches, lambd: float = 0.0) -> dict:
    """Gradients of compute_cost(AL, Y, parameters, lambd) for L_model_forward's caches.

    notes §1.3.2: dAL = -(Y / AL - (1 - Y) / (1 - AL)), then linear_activation_backward
    from layer L (sigmoid) down to layer 1 (relu); a layer whose forward pass used another
    activation (a cache from linear_activation_forward) is differentiated through it.
    notes §2.2.1: with ``lambd`` > 0, dW[l] += (lambd / m) W[l].
    notes §2.2.3: where the forward pass dropped units, dA[l] = dA[l] * D[l] / keep_prob.

    Returns grads with "dA{l-1}", "dW{l}", "db{l}" for l = L..1 (dA as in the notes, per
    example; dW and db averaged over the m examples).
    """
    AL, Y = check_targets("L_model_backward", AL, Y)
    if not lambd >= 0:  # NaN fails too
        raise ValueError(f"L_model_backward: lambd should be >= 0, got {lambd}")
    caches = list(caches)
    L, m = len(caches), AL.shape[1]
    for l, cache in enumerate(caches, start=1):
        if not isinstance(cache, tuple) or len(cache) not in (2, 3):
            raise ValueError(f"L_model_backward: caches[{l - 1}] should be a cache from "
                             f"L_model_forward ((linear_cache, activation_cache[, dropout]))")
    if L == 0:
        raise ValueError("L_model_backward: caches is empty (one cache per layer expected)")

    _, bce = cross_entropy(AL, Y)
    dA = bce.backward(1.0)  # (AL - Y) / (AL (1 - AL)), the notes' dAL
    grads = {}
    for l in range(L, 0, -1):
        cache = caches[l - 1]
        if len(cache) == 3:  # inverted dropout after this layer's activation
            cache, dropout = cache[:2], cache[2]
            dA = dropout.backward(dA)
            if l < L:
                grads[f"dA{l}"] = dA
        activation = _activation_of(cache, "sigmoid" if l == L else "relu")
        dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, cache, activation)
        grads[f"dA{l - 1}"] = dA

    if lambd > 0:
        weights = [caches[l - 1][0][1] for l in range(1, L + 1)]
        _, l2 = l2_term(weights, lambd, m)
        for l, dW_l2 in enumerate(l2.backward(1.0), start=1):
            grads[f"dW{l}"] = grads[f"dW{l}"] + dW_l2
    return grads
