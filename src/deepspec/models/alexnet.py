"""AlexNet (Krizhevsky, Sutskever & Hinton 2012), as the course draws it.   notes §4.2"""

from __future__ import annotations

from ..backend import rng as make_rng
from ..nn.containers import Sequential
from ..nn.conv import Conv2D, MaxPool2D
from ..nn.layers import Dense, Dropout, Flatten, ReLU
from ._common import check_fits, image_shape, out_size, positive


def alexnet(input_shape=(227, 227, 3), n_classes: int = 1000, *, keep_prob: float = 0.5,
            seed=None) -> Sequential:
    """CONV 96@11x11 s4 -> MAXPOOL 3 s2 -> CONV 256@5x5 same -> MAXPOOL 3 s2 -> CONV 384@3x3
    same -> CONV 384@3x3 same -> CONV 256@3x3 same -> MAXPOOL 3 s2 -> FC 4096 -> FC 4096 -> FC.

    ReLU after every convolution and hidden FC layer; inverted dropout (``keep_prob``) after
    the two hidden FC layers, as in the paper. The course's single-tower version: no local
    response normalization, no two-GPU split. 227 -> 55 -> 27 -> 27 -> 13 -> 13 -> 6:
    6 x 6 x 256 = 9216 features; 62,378,344 parameters at 227x227x3 with 1000 classes.
    The smallest input that fits is 67x67 (1 x 1 x 256 features). Returns logits: pair
    them with ``softmax_cross_entropy``.
    """
    n_H, n_W, n_C = image_shape("alexnet", input_shape)
    positive("alexnet", "n_classes", n_classes)
    sizes = []
    for n in (n_H, n_W):
        n = out_size(out_size(n, 11, 4), 3, 2)       # conv1, pool1
        n = out_size(out_size(n, 3, 2), 3, 2)        # conv2 (same), pool2; conv3-5 (same), pool3
        sizes.append(n)
    check_fits("alexnet", input_shape, sizes, "AlexNet's 11x11/4 convolution and three 3x3/2 "
               "pools (at least 67x67)")
    rng = make_rng(seed)
    return Sequential(
        Conv2D(n_C, 96, 11, stride=4, seed=rng), ReLU(), MaxPool2D(3, stride=2),
        Conv2D(96, 256, 5, padding="same", seed=rng), ReLU(), MaxPool2D(3, stride=2),
        Conv2D(256, 384, 3, padding="same", seed=rng), ReLU(),
        Conv2D(384, 384, 3, padding="same", seed=rng), ReLU(),
        Conv2D(384, 256, 3, padding="same", seed=rng), ReLU(), MaxPool2D(3, stride=2),
        Flatten(),
        Dense(sizes[0] * sizes[1] * 256, 4096, seed=rng), ReLU(), Dropout(keep_prob, seed=rng),
        Dense(4096, 4096, seed=rng), ReLU(), Dropout(keep_prob, seed=rng),
        Dense(4096, n_classes, seed=rng),
    )
