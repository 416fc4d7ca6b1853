"""Convolution, pooling and padding layers, channels last.   notes §4.1 (course 4, week 1)"""

from __future__ import annotations

import numpy as np

from .. import init as initializers
from ..backend import rng as make_rng
from ..ops import conv as conv_ops
from ..ops import pool as pool_ops
from ..tensor import Tensor
from .module import Module, Parameter
from .norm import BatchNorm


def _is_int(k) -> bool:
    return isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))


def _pair(name: str, v) -> tuple[int, int]:
    pair = (v, v) if _is_int(v) else tuple(v) if isinstance(v, (list, tuple)) else ()
    if len(pair) != 2 or not all(_is_int(k) and k >= 1 for k in pair):
        raise ValueError(f"{name} should be a positive int or a pair of them, got {v!r}")
    return tuple(int(k) for k in pair)


def _explicit_pads(name: str, padding):
    """int p, (p_h, p_w) or ((top, bottom), (left, right)), checked, as a hashable value; the
    op's own parser does the checking so layer and op accept exactly the same forms."""
    try:
        if isinstance(padding, (str, bool)) or not isinstance(padding, (int, list, tuple)):
            raise ValueError
        conv_ops.resolve_padding(name, padding, (1, 1), (1, 1), (1, 1))  # raises on a bad form
    except ValueError:
        raise ValueError(f"{name}: padding should be an int >= 0, a pair (p_h, p_w) or "
                         f"((top, bottom), (left, right)), got {padding!r}") from None
    if isinstance(padding, int):
        return padding
    return tuple(tuple(p) if isinstance(p, (list, tuple)) else p for p in padding)


def _jsonable_pads(padding):
    if isinstance(padding, (str, int)):
        return padding
    return [list(p) if isinstance(p, tuple) else p for p in padding]


def _lift(x):
    return x if isinstance(x, Tensor) else Tensor(x)


class Conv2D(Module):
    """Z = W * A_prev + b with n_C filters of f x f x (n_C_prev / groups).   notes §4.1.4-4.1.6

    Args:
        n_C_prev: input channels.
        n_C: filters (output channels).
        f: filter size, int or (f_h, f_w).
        stride: s or (s_h, s_w).
        padding: "valid", "same", an int p, (p_h, p_w) or ((top, bottom), (left, right)).
        groups: channel groups (n_C_prev and n_C both divisible); groups = n_C_prev is a
            depthwise convolution.
        bias: False drops b (a conv followed by batch norm: beta plays its role).
        init: weight initializer ("he", "xavier", "glorot_uniform", ...); fan-in f*f*n_C_prev.
    """

    def __init__(self, n_C_prev: int, n_C: int, f, *, stride=1, padding="valid",
                 groups: int = 1, bias: bool = True, init="he", seed=None):
        name = type(self).__name__
        if int(n_C_prev) <= 0 or int(n_C) <= 0:
            raise ValueError(f"{name}: n_C_prev and n_C should be positive, got {n_C_prev}, "
                             f"{n_C}")
        if groups < 1 or n_C_prev % groups or n_C % groups:
            raise ValueError(f"{name}: groups ({groups}) should divide n_C_prev ({n_C_prev}) "
                             f"and n_C ({n_C})")
        self.n_C_prev, self.n_C, self.groups = int(n_C_prev), int(n_C), int(groups)
        self.f, self.stride = _pair(f"{name}: f", f), _pair(f"{name}: stride", stride)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{name}: padding should be 'valid', 'same', an int or a "
                                 f"pair, got {padding!r}")
            self.padding = padding
        else:
            self.padding = _explicit_pads(name, padding)
        self.init_name = init if isinstance(init, str) else "he"
        shape = (*self.f, self.n_C_prev // self.groups, self.n_C)
        self.W = Parameter(initializers.get(init)(shape, seed=seed))
        self.b = Parameter(initializers.zeros((self.n_C,))) if bias else None

    def forward(self, A_prev: Tensor) -> Tensor:
        try:
            return conv_ops.conv2d(_lift(A_prev), self.W, self.b, stride=self.stride,
                                   padding=self.padding, groups=self.groups)
        except ValueError as error:
            raise ValueError(f"{self._name()}: {error}") from None

    def _name(self) -> str:
        return f"{type(self).__name__}({self.n_C_prev} -> {self.n_C}, f={self.f})"

    def config(self) -> dict:
        return {"n_C_prev": self.n_C_prev, "n_C": self.n_C, "f": list(self.f),
                "stride": list(self.stride), "padding": _jsonable_pads(self.padding),
                "groups": self.groups, "bias": self.b is not None, "init": self.init_name}

    def extra_repr(self) -> str:
        extra = f", groups={self.groups}" if self.groups > 1 else ""
        extra += "" if self.b is not None else ", bias=False"
        return (f"{self.n_C_prev} -> {self.n_C}, f={self.f}, stride={self.stride}, "
                f"padding={self.padding!r}{extra}")


class DepthwiseConv2D(Conv2D):
    """One f x f filter per input channel (``depth_multiplier`` of them): Conv2D with
    groups = n_C_prev. Output channel c k + q comes from input channel c.   notes §4.2.6
    (MobileNet)"""

    def __init__(self, n_C_prev: int, f, *, depth_multiplier: int = 1, stride=1,
                 padding="same", bias: bool = True, init="he", seed=None):
        if not isinstance(depth_multiplier, int) or depth_multiplier < 1:
            raise ValueError(f"DepthwiseConv2D: depth_multiplier should be a positive int, "
                             f"got {depth_multiplier!r}")
        super().__init__(n_C_prev, n_C_prev * depth_multiplier, f, stride=stride,
                         padding=padding, groups=n_C_prev, bias=bias, init=init, seed=seed)
        self.depth_multiplier = depth_multiplier

    def config(self) -> dict:
        config = super().config()
        del config["n_C"], config["groups"]
        return {**config, "depth_multiplier": self.depth_multiplier}


class SeparableConv2D(Module):
    """Depthwise f x f convolution then a pointwise 1 x 1 convolution to n_C channels.
    notes §4.2.6: the cost falls from f^2 n_C_prev n_C to f^2 n_C_prev + n_C_prev n_C per pixel.
    As Keras' SeparableConv2D: the depthwise step has no bias, the pointwise one has ``bias``."""

    def __init__(self, n_C_prev: int, n_C: int, f, *, stride=1, padding="same",
                 bias: bool = True, init="he", seed=None):
        rng = make_rng(seed)
        self.depthwise = DepthwiseConv2D(n_C_prev, f, stride=stride, padding=padding,
                                         bias=False, init=init, seed=rng)
        self.pointwise = Conv2D(n_C_prev, n_C, 1, bias=bias, init=init, seed=rng)

    def forward(self, A_prev: Tensor) -> Tensor:
        try:
            return self.pointwise(self.depthwise(A_prev))
        except ValueError as error:
            d = self.depthwise
            raise ValueError(f"SeparableConv2D({d.n_C_prev} -> {self.pointwise.n_C}, "
                             f"f={d.f}): {error}") from None

    def config(self) -> dict:
        d, p = self.depthwise.config(), self.pointwise.config()
        return {"n_C_prev": d["n_C_prev"], "n_C": p["n_C"], "f": d["f"], "stride": d["stride"],
                "padding": d["padding"], "bias": p["bias"], "init": d["init"]}


class _Pool(Module):
    pool = None

    def __init__(self, f, *, stride=None, padding=0):
        name = type(self).__name__
        self.f = _pair(f"{name}: f", f)
        self.stride = self.f if stride is None else _pair(f"{name}: stride", stride)
        self.padding = _explicit_pads(name, padding)
        (top, bottom), (left, right) = conv_ops.resolve_padding(name, self.padding, (1, 1),
                                                                (1, 1), (1, 1))
        if max(top, bottom) > self.f[0] // 2 or max(left, right) > self.f[1] // 2:
            raise ValueError(f"{name}: padding should be at most half the window "
                             f"({self.f[0] // 2}, {self.f[1] // 2}), got {padding!r}")

    def forward(self, A_prev: Tensor) -> Tensor:
        try:
            return type(self).pool(_lift(A_prev), self.f, stride=self.stride,
                                   padding=self.padding)
        except ValueError as error:
            raise ValueError(f"{type(self).__name__}(f={self.f}): {error}") from None

    def config(self) -> dict:
        return {"f": list(self.f), "stride": list(self.stride),
                "padding": _jsonable_pads(self.padding)}

    def extra_repr(self) -> str:
        padding = f", padding={self.padding!r}" if self.padding else ""
        return f"f={self.f}, stride={self.stride}{padding}"


class MaxPool2D(_Pool):
    """The largest value of each f x f window, per channel.   notes §4.1.8

    ``stride`` defaults to f; ``padding`` (at most f // 2) pads with -inf.
    """

    pool = staticmethod(pool_ops.max_pool2d)


class AvgPool2D(_Pool):
    """The mean of each f x f window, per channel.   notes §4.1.8

    ``stride`` defaults to f; zero ``padding`` counts in the mean (PyTorch's default).
    """

    pool = staticmethod(pool_ops.avg_pool2d)


class GlobalAvgPool2D(Module):
    """(m, n_H, n_W, n_C) -> (m, n_C): the mean over all positions (ResNet, Inception heads)."""

    def forward(self, A_prev: Tensor) -> Tensor:
        try:
            return pool_ops.global_avg_pool2d(_lift(A_prev))
        except ValueError as error:
            raise ValueError(f"GlobalAvgPool2D: {error}") from None

    def config(self) -> dict:
        return {}


class ZeroPadding2D(Module):
    """Pad height and width with zeros (the notes' zero_pad).   notes §4.1

    ``pad``: p (all four sides), (p_h, p_w), or ((top, bottom), (left, right)).
    """

    def __init__(self, pad):
        self.pad = _explicit_pads("ZeroPadding2D", pad)

    def forward(self, A_prev: Tensor) -> Tensor:
        try:
            return conv_ops.zero_pad(_lift(A_prev), self.pad)
        except ValueError as error:
            raise ValueError(f"ZeroPadding2D(pad={self.pad}): {error}") from None

    def config(self) -> dict:
        return {"pad": _jsonable_pads(self.pad)}

    def extra_repr(self) -> str:
        return f"pad={self.pad}"


class BatchNorm2d(BatchNorm):
    """Batch norm per channel of images (m, n_H, n_W, n_C): statistics over m, n_H, n_W.
    notes §2.6 (a conv layer's n_C channels play the role of a dense layer's n units)"""

    expected_ndim = (4,)
