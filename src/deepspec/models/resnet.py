"""ResNet-50 (He et al. 2015) from the course's identity and convolutional blocks.
notes §4.2 (ResNets)"""

from __future__ import annotations

from ..backend import rng as make_rng
from ..nn.blocks import ConvBlock, IdentityBlock
from ..nn.containers import Sequential
from ..nn.conv import BatchNorm2d, Conv2D, GlobalAvgPool2D, MaxPool2D, ZeroPadding2D
from ..nn.layers import Dense, ReLU
from ._common import check_fits, image_shape, out_size, positive

FILTERS = ((64, 64, 256), (128, 128, 512), (256, 256, 1024), (512, 512, 2048))


def resnet50(input_shape=(224, 224, 3), n_classes: int = 1000, *, stages=(3, 4, 6, 3),
             seed=None) -> Sequential:
    """ZEROPAD 3 -> CONV 64@7x7 s2 -> BN -> ReLU -> MAXPOOL 3 s2 -> stages 1-4 -> global
    average pool -> FC n_classes, as the course's ResNet-50 assignment.

    Stage k is a ConvBlock (stride 1 in stage 1, 2 in stages 2-4; filters (64, 64, 256),
    (128, 128, 512), (256, 256, 1024), (512, 512, 2048)) followed by ``stages[k] - 1``
    IdentityBlocks; ``stages=(3, 4, 6, 3)`` is ResNet-50 (16 blocks x 3 convolutions + the
    stem + the FC = 50 layers), fewer blocks build a shallower net of the same shape.
    Convolutions before a BN have no bias, so the count equals torchvision's resnet50:
    25,557,032 parameters at 224x224x3 with 1000 classes (BN running statistics are
    buffers). 224 -> 112 -> 55 -> 55 -> 28 -> 14 -> 7 -> pooled; the course pools 2x2 and
    flattens, the paper (here) averages over the whole 7x7 map. Returns logits: pair them
    with ``softmax_cross_entropy``.
    """
    n_H, n_W, n_C = image_shape("resnet50", input_shape)
    positive("resnet50", "n_classes", n_classes)
    stages = tuple(stages) if isinstance(stages, (list, tuple)) else ()
    if len(stages) != 4:
        raise ValueError(f"resnet50: stages should list 4 block counts, got {stages!r}")
    for k, n_blocks in enumerate(stages):
        positive("resnet50", f"stages[{k}]", n_blocks)
    sizes = [out_size(out_size(n + 6, 7, 2), 3, 2) for n in (n_H, n_W)]
    check_fits("resnet50", input_shape, sizes, "the 7x7/2 convolution and the 3x3/2 pool")
    rng = make_rng(seed)
    layers = [ZeroPadding2D(3), Conv2D(n_C, 64, 7, stride=2, bias=False, seed=rng),
              BatchNorm2d(64), ReLU(), MaxPool2D(3, stride=2)]
    n_prev = 64
    for k, (filters, n_blocks) in enumerate(zip(FILTERS, stages)):
        layers.append(ConvBlock(n_prev, 3, filters, stride=1 if k == 0 else 2, seed=rng))
        n_prev = filters[2]
        layers += [IdentityBlock(n_prev, 3, filters, seed=rng) for _ in range(n_blocks - 1)]
    return Sequential(*layers, GlobalAvgPool2D(), Dense(n_prev, n_classes, seed=rng))
