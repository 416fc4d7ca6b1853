"""MobileNet v1 (Howard et al. 2017): depthwise-separable convolutions.   notes §4.2 (MobileNet)

A depthwise-separable block replaces an f x f x n_C_prev x n_C convolution (cost
f^2 n_C_prev n_C per output pixel) by a depthwise f x f convolution (f^2 n_C_prev) and a
pointwise 1 x 1 one (n_C_prev n_C): about 1/n_C + 1/f^2 of the cost.
"""

from __future__ import annotations

from ..backend import rng as make_rng
from ..nn.containers import Sequential
from ..nn.conv import BatchNorm2d, Conv2D, DepthwiseConv2D, GlobalAvgPool2D
from ..nn.layers import Dense, ReLU
from ._common import image_shape, positive

# the paper's 13 depthwise-separable blocks: (pointwise filters, depthwise stride)
BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
          (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def mobilenet_v1(input_shape=(224, 224, 3), n_classes: int = 1000, *, alpha: float = 1.0,
                 seed=None) -> Sequential:
    """CONV 32@3x3 s2 -> BN -> ReLU -> 13 x [DEPTHWISE 3x3 -> BN -> ReLU -> POINTWISE 1x1 ->
    BN -> ReLU] -> global average pool -> FC n_classes.

    ``alpha`` (the width multiplier) scales every layer's channels to int(alpha n_C), as
    Keras. Convolutions have no bias (each is followed by BN). The paper and Keras use ReLU6
    (min(max(0, z), 6)); plain ReLU is used here: the same parameters, and the cap matters
    only for low-precision inference. Padding is "same" (TensorFlow's: 224 -> 112 -> ... -> 7).
    At 224x224x3, 1000 classes and alpha 1: 4,231,976 parameters, Keras' trainable count
    (Keras' 4,253,864 total adds the BN moving statistics, buffers here; Keras' dropout
    before the classifier is left out). Returns logits: pair them with
    ``softmax_cross_entropy``.
    """
    _, _, n_C = image_shape("mobilenet_v1", input_shape)
    positive("mobilenet_v1", "n_classes", n_classes)
    if not isinstance(alpha, (int, float)) or not 0 < alpha or int(32 * alpha) < 1:
        raise ValueError(f"mobilenet_v1: alpha should be a float with int(32 alpha) >= 1, "
                         f"got {alpha!r}")
    rng = make_rng(seed)
    n_prev = int(32 * alpha)
    layers = [Conv2D(n_C, n_prev, 3, stride=2, padding="same", bias=False, seed=rng),
              BatchNorm2d(n_prev), ReLU()]
    for filters, stride in BLOCKS:
        n = int(filters * alpha)
        layers += [DepthwiseConv2D(n_prev, 3, stride=stride, padding="same", bias=False,
                                   seed=rng), BatchNorm2d(n_prev), ReLU(),
                   Conv2D(n_prev, n, 1, bias=False, seed=rng), BatchNorm2d(n), ReLU()]
        n_prev = n
    return Sequential(*layers, GlobalAvgPool2D(), Dense(n_prev, n_classes, seed=rng))
