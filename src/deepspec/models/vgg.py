"""VGG-16 (Simonyan & Zisserman 2014).   notes §4.2 (classic networks)"""

from __future__ import annotations

from ..backend import rng as make_rng
from ..nn.containers import Sequential
from ..nn.conv import Conv2D, MaxPool2D
from ..nn.layers import Dense, Dropout, Flatten, ReLU
from ._common import check_fits, image_shape, positive

STAGES = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))  # (filters, convolutions) per stage


def vgg16(input_shape=(224, 224, 3), n_classes: int = 1000, *, keep_prob: float = 0.5,
          seed=None) -> Sequential:
    """[CONV 3x3 s1 same] x k -> MAXPOOL 2 s2, five times (64, 128, 256, 512, 512 filters;
    k = 2, 2, 3, 3, 3), then FC 4096 -> FC 4096 -> FC n_classes.   notes §4.2

    ReLU everywhere; inverted dropout (``keep_prob``) after the two hidden FC layers.
    224 -> 7 after the five pools: 7 x 7 x 512 = 25088 features; 138,357,544 parameters
    at 224x224x3 with 1000 classes. Any input of at least 32x32 works. Returns logits:
    pair them with ``softmax_cross_entropy``.
    """
    n_H, n_W, n_C = image_shape("vgg16", input_shape)
    positive("vgg16", "n_classes", n_classes)
    sizes = (n_H // 32, n_W // 32)  # "same" convolutions keep n; each 2x2 pool halves it
    check_fits("vgg16", input_shape, sizes, "five 2x2 pools (at least 32x32)")
    rng = make_rng(seed)
    layers, n_prev = [], n_C
    for filters, n_convs in STAGES:
        for _ in range(n_convs):
            layers += [Conv2D(n_prev, filters, 3, padding="same", seed=rng), ReLU()]
            n_prev = filters
        layers.append(MaxPool2D(2))
    return Sequential(
        *layers, Flatten(),
        Dense(sizes[0] * sizes[1] * 512, 4096, seed=rng), ReLU(), Dropout(keep_prob, seed=rng),
        Dense(4096, 4096, seed=rng), ReLU(), Dropout(keep_prob, seed=rng),
        Dense(4096, n_classes, seed=rng),
    )
