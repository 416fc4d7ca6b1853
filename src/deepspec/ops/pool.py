"""Pooling, channels last: max, average, global average.   notes §4.1 (pooling layers)

A pooling layer slides an f_h x f_w window with stride s over each channel on its own; it has
hyperparameters (f, s, padding) and nothing to learn. Output size as for a convolution:
n_H = floor((n_H_prev + 2p - f) / s) + 1. Every op loops over the f_h * f_w window offsets
only, each step a whole-array operation; when the windows tile the input exactly (stride = f,
no padding, sizes divisible) the input is viewed as (m, n_H, f_h, n_W, f_w, n_C) instead.
"""

from __future__ import annotations

from .. import kernels
from ..backend import xp
from ..tensor import Function, Tensor
from .conv import _hit, _is_int, _pads, _pair

# outputs per block of examples: the few passes each window offset makes over the outputs
# then hit L2 instead of memory (about twice as fast as whole-batch passes)
TILE_ELEMS = 1 << 18


def _geometry(op: str, A_prev, f, stride, padding):
    """Kernel, strides, pads ((top, bottom), (left, right)) and output size, all checked."""
    if A_prev.ndim != 4:
        raise ValueError(f"{op}: x should be 4-D (m, n_H_prev, n_W_prev, n_C), got shape "
                         f"{A_prev.shape}")
    f_h, f_w = _pair(op, "f", f)
    s_h, s_w = (f_h, f_w) if stride is None else _pair(op, "stride", stride)
    if isinstance(padding, str) or not (_is_int(padding) or isinstance(padding, (tuple, list))):
        raise ValueError(f"{op}: padding should be an int >= 0 or a pair (p_h, p_w), got "
                         f"{padding!r}")
    pads = _pads(op, padding)
    if any(p > f_h // 2 for p in pads[0]) or any(p > f_w // 2 for p in pads[1]):
        raise ValueError(f"{op}: padding should be at most half the window (f_h // 2, "
                         f"f_w // 2) = ({f_h // 2}, {f_w // 2}), got {padding!r}")
    H_pad = A_prev.shape[1] + sum(pads[0])
    W_pad = A_prev.shape[2] + sum(pads[1])
    if f_h > H_pad or f_w > W_pad:
        raise ValueError(f"{op}: the window {f_h}x{f_w} is bigger than the padded input "
                         f"{H_pad}x{W_pad}: x {A_prev.shape}")
    out = ((H_pad - f_h) // s_h + 1, (W_pad - f_w) // s_w + 1)
    return (f_h, f_w), (s_h, s_w), pads, out


class _Pool(Function):
    """What max and average pooling share: the window geometry and where each offset lands."""

    op = "pool"

    def setup(self, A_prev, f, stride, padding):
        kernel, strides, pads, (n_H, n_W) = _geometry(self.op, A_prev, f, stride, padding)
        self.kernel, self.strides, self.pads = kernel, strides, pads
        self.shape, self.out_shape = A_prev.shape, (len(A_prev), n_H, n_W, A_prev.shape[3])
        H, W = A_prev.shape[1:3]
        # windows that tile the input exactly: view it as (m, n_H, f_h, n_W, f_w, n_C)
        self.tiled = (strides == kernel and pads == ((0, 0), (0, 0))
                      and H % kernel[0] == 0 and W % kernel[1] == 0)
        self.view_shape = (len(A_prev), n_H, kernel[0], n_W, kernel[1], A_prev.shape[3])

    def regions(self):
        """For each window offset k = (i, j), in row-major order: the outputs it reaches and
        the input pixels it reads there, A[n, h s_h + i - top, w s_w + j - left, c], as
        (k, output index, input index); the input index is into A.reshape(view_shape) when
        tiled. Offsets landing only on padding are left out: padding never wins or counts."""
        f_h, f_w = self.kernel
        (s_h, s_w), ((top, _), (left, _)) = self.strides, self.pads
        _, H, W, _ = self.shape
        _, n_H, n_W, _ = self.out_shape
        every = slice(None)
        for k in range(f_h * f_w):
            i, j = divmod(k, f_w)
            if self.tiled:
                yield k, (), (every, every, i, every, j)
                continue
            hit_h, hit_w = _hit(i, top, H, s_h, 0, n_H), _hit(j, left, W, s_w, 0, n_W)
            if hit_h and hit_w:
                yield k, (every, hit_h[0], hit_w[0]), (every, hit_h[1], hit_w[1])

    def as_windows(self, A):
        return A.reshape(self.view_shape) if self.tiled else A

    def blocks(self):
        """Slices of whole examples with about TILE_ELEMS outputs each."""
        m, n_H, n_W, n_C = self.out_shape
        step = max(1, TILE_ELEMS // max(n_H * n_W * n_C, 1))
        return [slice(n0, n0 + step) for n0 in range(0, m, step)]


class MaxPool2D(_Pool):
    """Z[n,h,w,c] = max over the window of A_pad[n, h s_h + i, w s_w + j, c].   notes §4.1

    Padding is -inf: it never wins. Backward routes each dZ to its window's maximum, the
    first one in row-major window order on ties (as PyTorch). A NaN in a window makes Z NaN
    (as PyTorch); its gradient still goes to the window's largest number.
    Shapes: A_prev (m, n_H_prev, n_W_prev, n_C) -> Z (m, n_H, n_W, n_C).
    """

    op = "max_pool2d"

    def forward(self, A_prev, *, f, stride, padding):
        self.setup(A_prev, f, stride, padding)
        index = xp.min_scalar_type(self.kernel[0] * self.kernel[1] - 1)
        if index == xp.uint8 and kernels.usable(A_prev):  # one compiled pass, same result
            Z = xp.empty(self.out_shape, dtype=A_prev.dtype)
            self.argmax = xp.empty(self.out_shape, dtype=index)
            kernels.maxpool_forward(A_prev, Z, self.argmax, self.kernel, self.strides, self.pads)
            return Z
        A = self.as_windows(A_prev)
        Z = xp.full(self.out_shape, -xp.inf, dtype=A_prev.dtype)
        # argmax = the offset k of each window's max. Offsets come in increasing k, so where
        # offset k beats the max so far (strictly: the first max wins ties), k is larger than
        # the stored offset and argmax = maximum(argmax, k [S > Z]) records it
        self.argmax = argmax = xp.zeros(self.out_shape, dtype=index)
        beats = xp.empty(self.out_shape, dtype=index)
        regions = list(self.regions())
        for n in self.blocks():
            A_n, Z_n, beats_n, argmax_n = A[n], Z[n], beats[n], argmax[n]
            for k, out, inp in regions:
                S, Z_k, beats_k, argmax_k = A_n[inp], Z_n[out], beats_n[out], argmax_n[out]
                xp.greater(S, Z_k, out=beats_k)
                xp.maximum(Z_k, S, out=Z_k)
                beats_k *= index.type(k)
                xp.maximum(argmax_k, beats_k, out=argmax_k)
        return Z

    def backward(self, dZ):
        if self.argmax.dtype == xp.uint8 and kernels.usable(dZ):
            dA = xp.empty(self.shape, dtype=dZ.dtype)
            kernels.maxpool_backward(dZ, self.argmax, dA, self.kernel, self.strides, self.pads)
            return dA
        # each input pixel is in one window when tiled: plain writes, no zeros, no adds
        dA = xp.empty(self.shape, dtype=dZ.dtype) if self.tiled else xp.zeros(self.shape,
                                                                             dtype=dZ.dtype)
        dA_w, g = self.as_windows(dA), xp.empty(dZ.shape, dtype=dZ.dtype)
        regions = list(self.regions())
        for n in self.blocks():
            dA_n, dZ_n, g_n, argmax_n = dA_w[n], dZ[n], g[n], self.argmax[n]
            for k, out, inp in regions:
                g_k = dA_n[inp] if self.tiled else g_n[out]
                xp.multiply(dZ_n[out], argmax_n[out] == k, out=g_k)
                if not self.tiled:
                    dA_n[inp] += g_k
        return dA


class AvgPool2D(_Pool):
    """Z[n,h,w,c] = mean over the window of A_pad[n, h s_h + i, w s_w + j, c].   notes §4.1

    Padding counts as zeros in the mean (PyTorch's count_include_pad=True): every window
    divides by f_h f_w. Backward spreads dZ / (f_h f_w) over each window.
    Shapes: A_prev (m, n_H_prev, n_W_prev, n_C) -> Z (m, n_H, n_W, n_C).
    """

    op = "avg_pool2d"

    def forward(self, A_prev, *, f, stride, padding):
        self.setup(A_prev, f, stride, padding)
        A = self.as_windows(A_prev)
        Z = xp.zeros(self.out_shape, dtype=A_prev.dtype)
        regions = list(self.regions())
        for n in self.blocks():
            A_n, Z_n = A[n], Z[n]
            for _, out, inp in regions:
                Z_k = Z_n[out]
                Z_k += A_n[inp]
        Z *= 1.0 / (self.kernel[0] * self.kernel[1])
        return Z

    def backward(self, dZ):
        g = dZ * (1.0 / (self.kernel[0] * self.kernel[1]))
        if self.tiled:  # one write per input pixel: dZ / (f_h f_w) broadcast over each window
            dA = xp.empty(self.shape, dtype=dZ.dtype)
            dA.reshape(self.view_shape)[...] = g[:, :, None, :, None, :]
            return dA
        dA = xp.zeros(self.shape, dtype=dZ.dtype)
        regions = list(self.regions())
        for n in self.blocks():
            dA_n, g_n = dA[n], g[n]
            for _, out, inp in regions:
                dA_k = dA_n[inp]
                dA_k += g_n[out]
        return dA


class GlobalAvgPool2D(Function):
    """Z[n, c] = mean over (h, w) of A_prev[n, h, w, c];  dA = dZ / (n_H n_W) everywhere.

    Shapes: A_prev (m, n_H, n_W, n_C) -> Z (m, n_C).
    """

    def forward(self, A_prev):
        if A_prev.ndim != 4:
            raise ValueError(f"global_avg_pool2d: x should be 4-D (m, n_H, n_W, n_C), got "
                             f"shape {A_prev.shape}")
        self.shape = A_prev.shape
        return A_prev.mean(axis=(1, 2))

    def backward(self, dZ):
        m, n_H, n_W, n_C = self.shape
        dA = xp.empty(self.shape, dtype=dZ.dtype)
        dA[...] = (dZ * (1.0 / (n_H * n_W)))[:, None, None, :]
        return dA


def max_pool2d(x: Tensor, f, *, stride=None, padding=0) -> Tensor:
    """Max pooling over f x f windows (f or (f_h, f_w)), channels last.   notes §4.1

    ``stride`` defaults to f (non-overlapping windows); ``padding`` (an int or (p_h, p_w),
    at most half the window, as PyTorch) is -inf. Ties route the gradient to the first
    maximum, as PyTorch. Shapes: x (m, n_H_prev, n_W_prev, n_C) -> (m, n_H, n_W, n_C).
    """
    return MaxPool2D.apply(x, f=f, stride=stride, padding=padding)


def avg_pool2d(x: Tensor, f, *, stride=None, padding=0) -> Tensor:
    """Average pooling over f x f windows (f or (f_h, f_w)), channels last.   notes §4.1

    ``stride`` defaults to f. ``padding`` (an int or (p_h, p_w), at most half the window)
    adds zeros that count in the mean: every window divides by f_h f_w (PyTorch's
    ``count_include_pad=True``). Shapes: x (m, n_H_prev, n_W_prev, n_C) -> (m, n_H, n_W, n_C).
    """
    return AvgPool2D.apply(x, f=f, stride=stride, padding=padding)


def global_avg_pool2d(x: Tensor) -> Tensor:
    """The mean of each channel over the whole image: (m, n_H, n_W, n_C) -> (m, n_C)."""
    return GlobalAvgPool2D.apply(x)
