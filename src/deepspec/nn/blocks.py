"""Building blocks of the classic CNNs: ResNet-50's bottleneck blocks and the Inception module.
notes §4.2 (course 4, week 2: ResNets, 1x1 convolutions, Inception)

Residual block (notes §4.2, "Why ResNets work"): a[l+2] = g(z[l+2] + a[l]); when the
shapes differ the shortcut multiplies a[l] by a matrix, here a strided 1x1 convolution + BN.
Images are channels last, (m, n_H, n_W, n_C).
"""

from __future__ import annotations

from ..backend import rng as make_rng
from ..ops.activations import relu
from ..ops.basic import concat
from ..tensor import Tensor
from .conv import BatchNorm2d, Conv2D, MaxPool2D
from .module import Module


def _filters(name: str, filters) -> tuple[int, int, int]:
    triple = tuple(filters) if isinstance(filters, (list, tuple)) else ()
    if len(triple) != 3 or not all(isinstance(F, int) and F >= 1 for F in triple):
        raise ValueError(f"{name}: filters should be three positive ints (F1, F2, F3), "
                         f"got {filters!r}")
    return triple


def _init_name(init) -> str:
    return init if isinstance(init, str) else "he"  # a callable cannot go in a config


def _check_input(name: str, A_prev, n_C: int) -> Tensor:
    A_prev = A_prev if isinstance(A_prev, Tensor) else Tensor(A_prev)
    if A_prev.ndim != 4 or A_prev.shape[-1] != n_C:
        raise ValueError(f"{name}: input should have shape (m, n_H, n_W, {n_C}), "
                         f"got {A_prev.shape}")
    return A_prev


class _Bottleneck(Module):
    """The main path shared by both blocks: 1x1 (stride s) -> BN -> ReLU -> f x f same -> BN
    -> ReLU -> 1x1 -> BN. The convolutions have no bias: the BN's beta takes its place."""

    def _main_path(self, n_C_prev: int, f: int, stride: int, init, rng) -> None:
        F1, F2, F3 = self.filters
        self.conv1 = Conv2D(n_C_prev, F1, 1, stride=stride, bias=False, init=init, seed=rng)
        self.bn1 = BatchNorm2d(F1)
        self.conv2 = Conv2D(F1, F2, f, padding="same", bias=False, init=init, seed=rng)
        self.bn2 = BatchNorm2d(F2)
        self.conv3 = Conv2D(F2, F3, 1, bias=False, init=init, seed=rng)
        self.bn3 = BatchNorm2d(F3)

    def _main(self, A_prev: Tensor) -> Tensor:
        Z = relu(self.bn1(self.conv1(A_prev)))
        Z = relu(self.bn2(self.conv2(Z)))
        return self.bn3(self.conv3(Z))


class IdentityBlock(_Bottleneck):
    """ResNet-50's identity block: A = ReLU(main(A_prev) + A_prev).   notes §4.2 (ResNets)

    main = 1x1 conv F1 -> BN -> ReLU -> f x f "same" conv F2 -> BN -> ReLU -> 1x1 conv F3 ->
    BN, as in the course assignment. The shortcut is the input itself, so F3 must equal n_C.
    Shapes: A_prev (m, n_H, n_W, n_C) -> A (m, n_H, n_W, n_C).

    Args:
        n_C: input (and output) channels.
        f: the middle convolution's filter size.
        filters: (F1, F2, F3), the three convolutions' channels.
        init: initializer of the filters; seed: int or Generator.
    """

    def __init__(self, n_C: int, f: int, filters, *, init: str = "he", seed=None):
        name = "IdentityBlock"
        self.filters = _filters(name, filters)
        if not isinstance(n_C, int) or n_C < 1 or not isinstance(f, int) or f < 1:
            raise ValueError(f"{name}: n_C and f should be positive ints, got {n_C!r}, {f!r}")
        if self.filters[2] != n_C:
            raise ValueError(f"{name}: filters[2] (F3={self.filters[2]}) should equal n_C "
                             f"({n_C}): the shortcut adds the input to the main path")
        self.n_C, self.f, self.init_name = n_C, f, _init_name(init)
        self._main_path(n_C, f, 1, init, make_rng(seed))

    def forward(self, A_prev: Tensor) -> Tensor:
        A_prev = _check_input(self._name(), A_prev, self.n_C)
        return relu(self._main(A_prev) + A_prev)

    def _name(self) -> str:
        return f"IdentityBlock(n_C={self.n_C}, f={self.f}, filters={self.filters})"

    def config(self) -> dict:
        return {"n_C": self.n_C, "f": self.f, "filters": list(self.filters),
                "init": self.init_name}

    def extra_repr(self) -> str:
        return f"n_C={self.n_C}, f={self.f}, filters={self.filters}"


class ConvBlock(_Bottleneck):
    """ResNet-50's convolutional block: A = ReLU(main(A_prev) + BN(W_s * A_prev)).
    notes §4.2 (ResNets: "if not the same dimensions, multiply a[l] by a matrix")

    The main path is IdentityBlock's with the first 1x1 convolution strided by s; the shortcut
    is a 1x1 convolution to F3 channels with stride s, then BN (the course assignment's
    layout). Shapes: A_prev (m, n_H_prev, n_W_prev, n_C_prev) -> A (m, n_H, n_W, F3),
    n_H = floor((n_H_prev - 1) / s) + 1.

    Args:
        n_C_prev: input channels.
        f: the middle convolution's filter size.
        filters: (F1, F2, F3); the block outputs F3 channels.
        stride: s, of the first 1x1 convolution and of the shortcut.
    """

    def __init__(self, n_C_prev: int, f: int, filters, *, stride: int = 2, init: str = "he",
                 seed=None):
        name = "ConvBlock"
        self.filters = _filters(name, filters)
        for arg, value in (("n_C_prev", n_C_prev), ("f", f), ("stride", stride)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: {arg} should be a positive int, got {value!r}")
        self.n_C_prev, self.f, self.stride = n_C_prev, f, stride
        self.init_name = _init_name(init)
        rng = make_rng(seed)
        self._main_path(n_C_prev, f, stride, init, rng)
        self.conv_shortcut = Conv2D(n_C_prev, self.filters[2], 1, stride=stride, bias=False,
                                    init=init, seed=rng)
        self.bn_shortcut = BatchNorm2d(self.filters[2])

    def forward(self, A_prev: Tensor) -> Tensor:
        A_prev = _check_input(self._name(), A_prev, self.n_C_prev)
        shortcut = self.bn_shortcut(self.conv_shortcut(A_prev))
        return relu(self._main(A_prev) + shortcut)

    def _name(self) -> str:
        return (f"ConvBlock(n_C_prev={self.n_C_prev}, f={self.f}, filters={self.filters}, "
                f"stride={self.stride})")

    def config(self) -> dict:
        return {"n_C_prev": self.n_C_prev, "f": self.f, "filters": list(self.filters),
                "stride": self.stride, "init": self.init_name}

    def extra_repr(self) -> str:
        return (f"n_C_prev={self.n_C_prev}, f={self.f}, filters={self.filters}, "
                f"stride={self.stride}")


class InceptionModule(Module):
    """GoogLeNet's inception module: four branches side by side, concatenated on channels.
    notes §4.2 (Inception network; 1x1 "bottleneck" convolutions cut the cost ~10x)

    Branches (each conv has a bias and is followed by ReLU, all "same", stride 1):
        1x1 conv n1x1;  1x1 conv n3x3_reduce -> 3x3 conv n3x3;
        1x1 conv n5x5_reduce -> 5x5 conv n5x5;  3x3 max pool (stride 1, pad 1) -> 1x1 pool_proj.
    Shapes: A_prev (m, n_H, n_W, n_C_prev) -> (m, n_H, n_W, n1x1 + n3x3 + n5x5 + pool_proj).
    """

    def __init__(self, n_C_prev: int, n1x1: int, n3x3_reduce: int, n3x3: int,
                 n5x5_reduce: int, n5x5: int, pool_proj: int, *, init: str = "he", seed=None):
        sizes = {"n_C_prev": n_C_prev, "n1x1": n1x1, "n3x3_reduce": n3x3_reduce, "n3x3": n3x3,
                 "n5x5_reduce": n5x5_reduce, "n5x5": n5x5, "pool_proj": pool_proj}
        for arg, value in sizes.items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"InceptionModule: {arg} should be a positive int, "
                                 f"got {value!r}")
        self.sizes, self.init_name = sizes, _init_name(init)
        self.n_C = n1x1 + n3x3 + n5x5 + pool_proj
        rng = make_rng(seed)
        self.branch1 = Conv2D(n_C_prev, n1x1, 1, init=init, seed=rng)
        self.branch2_reduce = Conv2D(n_C_prev, n3x3_reduce, 1, init=init, seed=rng)
        self.branch2 = Conv2D(n3x3_reduce, n3x3, 3, padding="same", init=init, seed=rng)
        self.branch3_reduce = Conv2D(n_C_prev, n5x5_reduce, 1, init=init, seed=rng)
        self.branch3 = Conv2D(n5x5_reduce, n5x5, 5, padding="same", init=init, seed=rng)
        self.branch4_pool = MaxPool2D(3, stride=1, padding=1)
        self.branch4 = Conv2D(n_C_prev, pool_proj, 1, init=init, seed=rng)

    def forward(self, A_prev: Tensor) -> Tensor:
        A_prev = _check_input(self._name(), A_prev, self.sizes["n_C_prev"])
        A1 = relu(self.branch1(A_prev))
        A2 = relu(self.branch2(relu(self.branch2_reduce(A_prev))))
        A3 = relu(self.branch3(relu(self.branch3_reduce(A_prev))))
        A4 = relu(self.branch4(self.branch4_pool(A_prev)))
        return concat([A1, A2, A3, A4], axis=-1)

    def _name(self) -> str:
        return f"InceptionModule({self.extra_repr()})"

    def config(self) -> dict:
        return {**self.sizes, "init": self.init_name}

    def extra_repr(self) -> str:
        s = self.sizes
        return (f"{s['n_C_prev']} -> {self.n_C}: 1x1 {s['n1x1']}, "
                f"3x3 {s['n3x3_reduce']}->{s['n3x3']}, 5x5 {s['n5x5_reduce']}->{s['n5x5']}, "
                f"pool {s['pool_proj']}")
