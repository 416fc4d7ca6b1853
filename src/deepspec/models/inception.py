"""GoogLeNet, the Inception network (Szegedy et al. 2014).   notes §4.2 (Inception network)"""

from __future__ import annotations

from ..backend import rng as make_rng
from ..nn.blocks import InceptionModule
from ..nn.containers import Sequential
from ..nn.conv import Conv2D, GlobalAvgPool2D, MaxPool2D
from ..nn.layers import Dense, Dropout, ReLU
from ._common import image_shape, positive

# (n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj) of each module; "pool" = MAXPOOL 3 s2
MODULES = (
    ("3a", (64, 96, 128, 16, 32, 32)), ("3b", (128, 128, 192, 32, 96, 64)), ("pool", None),
    ("4a", (192, 96, 208, 16, 48, 64)), ("4b", (160, 112, 224, 24, 64, 64)),
    ("4c", (128, 128, 256, 24, 64, 64)), ("4d", (112, 144, 288, 32, 64, 64)),
    ("4e", (256, 160, 320, 32, 128, 128)), ("pool", None),
    ("5a", (256, 160, 320, 32, 128, 128)), ("5b", (384, 192, 384, 48, 128, 128)),
)


def inception_net(input_shape=(224, 224, 3), n_classes: int = 1000, *, keep_prob: float = 0.6,
                  seed=None) -> Sequential:
    """GoogLeNet without its two auxiliary classifiers (and without local response norm):
    CONV 64@7x7 s2 -> MAXPOOL 3 s2 -> CONV 64@1x1 -> CONV 192@3x3 -> MAXPOOL 3 s2 -> 3a, 3b
    -> MAXPOOL -> 4a-4e -> MAXPOOL -> 5a, 5b -> global average pool -> dropout -> FC.

    Convolutions are "same" with a bias and a ReLU; the 3x3/2 max pools pad 1 (224 -> 112 ->
    56 -> 28 -> 14 -> 7), the module table is the paper's (``MODULES``). 5b outputs 1024
    channels; dropout keeps 60% (the paper drops 40%). Parameters at 224x224x3 with 1000
    classes: 6,998,552 (5,973,552 in the convolutions and modules, 1,025,000 in the
    classifier). Every layer is "same" (each stride-2 step maps n to ceil(n / 2)), so any
    input size works; at 32x32 and below the last modules see a 1x1 map. Returns logits:
    pair them with ``softmax_cross_entropy``.
    """
    _, _, n_C = image_shape("inception_net", input_shape)
    positive("inception_net", "n_classes", n_classes)
    rng = make_rng(seed)
    layers = [Conv2D(n_C, 64, 7, stride=2, padding="same", seed=rng), ReLU(),
              MaxPool2D(3, stride=2, padding=1),
              Conv2D(64, 64, 1, seed=rng), ReLU(),
              Conv2D(64, 192, 3, padding="same", seed=rng), ReLU(),
              MaxPool2D(3, stride=2, padding=1)]
    n_prev = 192
    for _, sizes in MODULES:
        if sizes is None:
            layers.append(MaxPool2D(3, stride=2, padding=1))
            continue
        module = InceptionModule(n_prev, *sizes, seed=rng)
        layers.append(module)
        n_prev = module.n_C
    return Sequential(*layers, GlobalAvgPool2D(), Dropout(keep_prob, seed=rng),
                      Dense(n_prev, n_classes, seed=rng))
