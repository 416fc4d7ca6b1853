"""Convolution, channels last: output size, zero padding, conv2d.   notes §4.1

Output size (notes §4.1, "strided convolution"): n_out = floor((n + 2p - f) / s) + 1.
Images are (m, n_H, n_W, n_C_prev); filters keep the notes' layout (f_h, f_w, n_C_prev, n_C).

conv2d is im2col + one GEMM: the (f_h, f_w, n_C_prev) patch under every output pixel is copied
(stride tricks) into a row of a column matrix, and Z = cols @ W.reshape(-1, n_C) + b. Backward
is closed form: dW = cols^T dZ, db = sum dZ, and dA_prev is col2im of dcols = dZ W^T, a
scatter-add with one Python step per kernel offset (f_h * f_w of them). The work runs in
tiles of examples (or of output rows) so each column matrix stays in cache and is never kept
for backward (backward rebuilds it: cheaper than holding f_h*f_w copies of the input).
"""

from __future__ import annotations

from ..backend import xp
from ..tensor import Function, Tensor

# elements per column-matrix tile: 2**20 (4 MiB in float32) stays in L2/L3 while the GEMM and
# the scatter-add run on it, and far below glibc's 32 MiB mmap threshold, so the buffer is
# recycled from the heap instead of page-faulted afresh on every call
TILE_ELEMS = 1 << 20


# ---- shapes and padding -------------------------------------------------------------------
def _is_int(v) -> bool:
    return isinstance(v, (int, xp.integer)) and not isinstance(v, bool)


def conv_output_size(n: int, f: int, stride: int = 1, pad: int | tuple[int, int] = 0) -> int:
    """floor((n + 2p - f) / s) + 1, the output size along one axis.   notes §4.1

    ``pad`` is the padding on each side, or a pair (before, after) for asymmetric padding
    (then n + before + after replaces n + 2p).
    """
    before, after = (pad, pad) if _is_int(pad) else tuple(pad)
    for name, v in (("n", n), ("f", f), ("stride", stride), ("padding", before),
                    ("padding", after)):
        if not _is_int(v):
            raise TypeError(f"conv_output_size: {name} should be an int, got {v!r}")
    if f < 1 or stride < 1 or n < 0 or before < 0 or after < 0:
        raise ValueError(f"conv_output_size: need f >= 1, stride >= 1, n >= 0 and padding >= "
                         f"0, got n={n}, f={f}, stride={stride}, padding={pad}")
    padded = n + before + after
    if f > padded:
        raise ValueError(f"conv_output_size: the filter (f={f}) is bigger than the padded "
                         f"input (n={n} + padding {pad} = {padded}), stride={stride}")
    return (padded - f) // stride + 1


def _pair(op: str, name: str, v) -> tuple[int, int]:
    """An int, or a pair of ints, as a pair of positive ints (kernel sizes, strides)."""
    pair = (v, v) if _is_int(v) else tuple(v) if isinstance(v, (tuple, list)) else None
    if pair is None or len(pair) != 2 or not all(_is_int(p) and p >= 1 for p in pair):
        raise ValueError(f"{op}: {name} should be a positive int or a pair of them, got {v!r}")
    return int(pair[0]), int(pair[1])


def _pads(op: str, padding) -> tuple[tuple[int, int], tuple[int, int]]:
    """int p, (p_h, p_w) or ((top, bottom), (left, right)) -> ((top, bottom), (left, right))."""
    if _is_int(padding):
        pads = ((padding, padding), (padding, padding))
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        pads = tuple((p, p) if _is_int(p) else tuple(p) if isinstance(p, (tuple, list)) else ()
                     for p in padding)
    else:
        pads = ()
    if len(pads) != 2 or not all(len(p) == 2 and all(_is_int(v) and v >= 0 for v in p)
                                 for p in pads):
        raise ValueError(f"{op}: padding should be 'valid', 'same', an int >= 0, a pair "
                         f"(p_h, p_w) or ((top, bottom), (left, right)), got {padding!r}")
    return tuple((int(a), int(b)) for a, b in pads)


def _same_pads(n: int, f: int, s: int) -> tuple[int, int]:
    """TensorFlow's 'same': n_out = ceil(n / s); the odd pixel of padding goes bottom/right."""
    total = max((-(-n // s) - 1) * s + f - n, 0)
    return total // 2, total - total // 2


def resolve_padding(op: str, padding, size: tuple[int, int], kernel: tuple[int, int],
                    stride: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """'valid' | 'same' | int | (p_h, p_w) | ((top, bottom), (left, right)) -> explicit pads."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            return tuple(_same_pads(n, f, s) for n, f, s in zip(size, kernel, stride))
        raise ValueError(f"{op}: padding should be 'valid', 'same', an int or a pair, "
                         f"got {padding!r}")
    return _pads(op, padding)


def _padded(x, pads, fill=0.0):
    """x (m, n_H, n_W, n_C) with pads rows/columns of ``fill`` around n_H and n_W."""
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    m, n_H, n_W, n_C = x.shape
    out = xp.empty((m, n_H + top + bottom, n_W + left + right, n_C), dtype=x.dtype)
    out[:, :top], out[:, top + n_H:] = fill, fill  # only the border: the interior is copied
    out[:, top:top + n_H, :left], out[:, top:top + n_H, left + n_W:] = fill, fill
    out[:, top:top + n_H, left:left + n_W] = x
    return out


# ---- zero padding ---------------------------------------------------------------------------
class ZeroPad(Function):
    """Pad n_H and n_W with zeros (the notes' zero_pad); backward crops.   notes §4.1

    Shapes: x (m, n_H, n_W, n_C) -> (m, n_H + top + bottom, n_W + left + right, n_C).
    """

    def forward(self, x, *, pads):
        if x.ndim != 4:
            raise ValueError(f"zero_pad: x should be 4-D (m, n_H, n_W, n_C), got shape "
                             f"{x.shape}")
        self.pads, self.n_H, self.n_W = pads, x.shape[1], x.shape[2]
        out = _padded(x, pads)
        return out.copy() if out is x else out

    def backward(self, dout):
        (top, _), (left, _) = self.pads
        return dout[:, top:top + self.n_H, left:left + self.n_W]


def zero_pad(x: Tensor, pad) -> Tensor:
    """Zero-pad the height and width of x (m, n_H, n_W, n_C).   notes §4.1

    ``pad``: an int (all four sides), (p_h, p_w), or ((top, bottom), (left, right)).
    """
    return ZeroPad.apply(x, pads=_pads("zero_pad", pad))
