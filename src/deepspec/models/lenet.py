"""LeNet-5 (LeCun et al. 1998).   notes §4.2 (classic networks)"""

from __future__ import annotations

from ..backend import rng as make_rng
from ..nn.containers import Sequential
from ..nn.conv import AvgPool2D, Conv2D, MaxPool2D
from ..nn.layers import Dense, Flatten, ReLU, Sigmoid, Tanh
from ._common import check_fits, image_shape, out_size, positive

_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
_POOLS = {"max": MaxPool2D, "avg": AvgPool2D}


def lenet5(input_shape=(28, 28, 1), n_classes: int = 10, *, activation: str = "relu",
           pool: str = "max", padding: str | None = None, seed=None) -> Sequential:
    """CONV 6@5x5 -> act -> POOL 2 -> CONV 16@5x5 -> act -> POOL 2 -> FC 120 -> FC 84 -> FC.

    The notes' LeNet-5 (~60K parameters: 61,706 for 10 classes). The original used tanh or
    sigmoid and average pooling (``activation="tanh", pool="avg"``); ReLU and max pooling
    are the modern default. Returns logits: pair them with ``softmax_cross_entropy``.

    Args:
        input_shape: (n_H, n_W, n_C), e.g. (28, 28, 1) for MNIST or the classic (32, 32, 1).
        n_classes: output units.
        activation: "relu" (He init), "tanh" or "sigmoid" (Xavier init).
        pool: "max" or "avg".
        padding: of the first convolution; None picks "same" for inputs smaller than 32x32
            (MNIST: 28 -> 28 -> 14 -> 10 -> 5, the benchmark workload) and "valid" otherwise
            (the classic 32 -> 28 -> 14 -> 10 -> 5): both give 5 x 5 x 16 = 400 features.
        seed: int or Generator: the same seed builds the same weights.
    """
    n_H, n_W, n_C = image_shape("lenet5", input_shape)
    if activation not in _ACTIVATIONS:
        raise ValueError(f"lenet5: activation should be one of {sorted(_ACTIVATIONS)}, "
                         f"got {activation!r}")
    if pool not in _POOLS:
        raise ValueError(f"lenet5: pool should be one of {sorted(_POOLS)}, got {pool!r}")
    if padding is None:
        padding = "same" if min(n_H, n_W) < 32 else "valid"
    if padding not in ("same", "valid"):
        raise ValueError(f"lenet5: padding should be 'same', 'valid' or None, got {padding!r}")
    positive("lenet5", "n_classes", n_classes)
    sizes = [out_size(out_size(out_size(out_size(n, 5, 1, padding), 2, 2), 5), 2, 2)
             for n in (n_H, n_W)]
    check_fits("lenet5", input_shape, sizes, "two 5x5 convolutions and two 2x2 pools")
    rng, act, Pool = make_rng(seed), _ACTIVATIONS[activation], _POOLS[pool]
    init = "he" if activation == "relu" else "xavier"
    return Sequential(
        Conv2D(n_C, 6, 5, padding=padding, init=init, seed=rng), act(), Pool(2),
        Conv2D(6, 16, 5, init=init, seed=rng), act(), Pool(2),
        Flatten(),
        Dense(sizes[0] * sizes[1] * 16, 120, init=init, seed=rng), act(),
        Dense(120, 84, init=init, seed=rng), act(),
        Dense(84, n_classes, init=init, seed=rng),
    )
