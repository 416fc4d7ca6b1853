"""The assignment's convolutional network, step by step, channels last.   notes §4.1

Course 4, week 1, "Convolution model - Step by Step", in its layout: A_prev (m, n_H_prev,
n_W_prev, n_C_prev), W (f, f, n_C_prev, n_C), b (1, 1, 1, n_C), ``hparameters`` dicts
{"stride", "pad"} (convolution) and {"f", "stride"} (pooling), and its caches. They are thin
wrappers: the math is the ``ZeroPad``, ``Conv2D``, ``MaxPool2D`` and ``AvgPool2D`` Functions
of ``deepspec.ops`` (im2col + GEMM; pooling loops over window offsets only), run on arrays.
Every output size is the notes' n_H = floor((n_H_prev + 2 pad - f) / stride) + 1.

Floating arrays keep their dtype (the assignment's is float64); integers become float64.
Gradients are sums over the m examples (no 1/m), as in the assignment. Caches are the
assignment's tuples, (A_prev, W, b, hparameters) and (A_prev, hparameters); their ``.fn`` is
the Function that ran the forward pass (a plain tuple works too: backward runs the forward
pass again from its items). One difference: where a pooling window holds several equal
maxima, max pooling's backward routes the gradient to the first of them in row-major order
(as PyTorch), the assignment's mask ``x == np.max(x)`` to all of them.
"""

from __future__ import annotations

from ..backend import xp
from ..ops.conv import Conv2D, ZeroPad, _pads
from ..ops.pool import AvgPool2D, MaxPool2D
from .recurrent import Cache, _expect

POOL_MODES = {"max": MaxPool2D, "average": AvgPool2D}
CONV_HPARAMETERS = {"stride": 1, "pad": 0}   # each one's smallest value
POOL_HPARAMETERS = {"f": 1, "stride": 1}


# ---- checks ---------------------------------------------------------------------------------
def _float(op: str, name: str, x):
    """x as an array: floating dtypes kept, integers and booleans as float64."""
    x = xp.asarray(x)
    if x.dtype.kind == "f":
        return x
    if x.dtype.kind in "biu":
        return x.astype(xp.float64)
    raise TypeError(f"{op}: {name} should be a real array, got dtype {x.dtype}")


def _hparameters(op: str, hparameters, smallest: dict) -> tuple[int, ...]:
    """The values of ``hparameters`` for the keys of ``smallest``, ints >= their minimum."""
    if not isinstance(hparameters, dict):
        raise TypeError(f"{op}: hparameters should be a dict with keys {sorted(smallest)}, "
                        f"got {type(hparameters).__name__}")
    missing = [k for k in smallest if k not in hparameters]
    if missing:
        raise ValueError(f"{op}: hparameters should hold {sorted(smallest)}, missing {missing}")
    values = []
    for key, low in smallest.items():
        v = hparameters[key]
        if not isinstance(v, (int, xp.integer)) or isinstance(v, bool) or v < low:
            raise ValueError(f"{op}: hparameters[{key!r}] should be an int >= {low}, got {v!r}")
        values.append(int(v))
    return tuple(values)


def _fits(op: str, A_prev, f_h: int, f_w: int, pad: int, what: str) -> None:
    """ValueError unless an f_h x f_w window fits in A_prev's padded height and width."""
    H, W = A_prev.shape[1] + 2 * pad, A_prev.shape[2] + 2 * pad
    if f_h > H or f_w > W:
        raise ValueError(f"{op}: the {what} {f_h}x{f_w} is bigger than the input "
                         f"{A_prev.shape[1]}x{A_prev.shape[2]} padded by {pad} ({H}x{W})")


def _cache_items(op: str, cache, n: int, names: str) -> tuple:
    if not isinstance(cache, tuple) or len(cache) != n:
        raise TypeError(f"{op}: cache should be the tuple ({names}) that the forward function "
                        f"returned, got {type(cache).__name__}"
                        + (f" of length {len(cache)}" if isinstance(cache, tuple) else ""))
    return tuple(cache)


def _pool_kind(op: str, mode) -> type:
    if mode not in POOL_MODES:
        raise ValueError(f"{op}: mode should be one of {sorted(POOL_MODES)}, got {mode!r}")
    return POOL_MODES[mode]


# ---- padding and one step -------------------------------------------------------------------
def zero_pad(X, pad):
    """X (m, n_H, n_W, n_C) with ``pad`` zeros around each image: (m, n_H + 2 pad, n_W + 2 pad,
    n_C), the dtype kept.   notes §4.1 (padding)

    ``pad``: an int, as the assignment, or (p_h, p_w), or ((top, bottom), (left, right)).
    """
    return ZeroPad().forward(xp.asarray(X), pads=_pads("zero_pad", pad))


def conv_single_step(a_slice_prev, W, b):
    """Z = sum(a_slice_prev * W) + b, one filter on one window: a scalar.   notes §4.1

    Shapes: a_slice_prev (f, f, n_C_prev), W (f, f, n_C_prev), b (1, 1, 1).
    """
    op = "conv_single_step"
    a_slice_prev, W, b = (_float(op, n, v) for n, v in
                          (("a_slice_prev", a_slice_prev), ("W", W), ("b", b)))
    _expect(op, "a_slice_prev", a_slice_prev, (None, None, None))
    _expect(op, "W", W, a_slice_prev.shape, f"a_slice_prev {a_slice_prev.shape}")
    if b.size != 1:
        raise ValueError(f"{op}: b should hold one number, shape (1, 1, 1), got {b.shape}")
    Z = Conv2D().forward(a_slice_prev[None], W[..., None], b.reshape(1), stride=1, padding=0,
                         groups=1)
    return Z[0, 0, 0, 0]


# ---- the convolution layer ------------------------------------------------------------------
def conv_forward(A_prev, W, b, hparameters: dict):
    """Z = W * A_prev + b, every filter over every window.   notes §4.1 (one layer of a CNN)

    Shapes: A_prev (m, n_H_prev, n_W_prev, n_C_prev), W (f, f, n_C_prev, n_C), b (1, 1, 1,
    n_C) -> Z (m, n_H, n_W, n_C), n_H = floor((n_H_prev + 2 pad - f) / stride) + 1.
    Returns (Z, cache = (A_prev, W, b, hparameters)).
    """
    op = "conv_forward"
    A_prev, W, b = (_float(op, n, v) for n, v in (("A_prev", A_prev), ("W", W), ("b", b)))
    _expect(op, "A_prev", A_prev, (None, None, None, None))
    _expect(op, "W", W, (None, None, A_prev.shape[3], None), f"A_prev {A_prev.shape}")
    _expect(op, "b", b, (1, 1, 1, W.shape[3]), f"W {W.shape}")
    stride, pad = _hparameters(op, hparameters, CONV_HPARAMETERS)
    _fits(op, A_prev, W.shape[0], W.shape[1], pad, "filter")
    fn = Conv2D()
    fn.needs_grad = (True, True, True)
    Z = fn.forward(A_prev, W, b.reshape(-1), stride=stride, padding=pad, groups=1)
    return Z, Cache((A_prev, W, b, hparameters), fn)


def conv_backward(dZ, cache):
    """dA_prev, dW, db of a convolution layer from dZ.   notes §4.1

    dW = sum over windows of a_slice dZ, db = sum of dZ (1, 1, 1, n_C), dA_prev = the
    windows' W dZ added back onto the pixels they read (padding cropped). Shapes: dZ (m, n_H,
    n_W, n_C) as conv_forward's Z; ``cache`` is what conv_forward returned.
    """
    op = "conv_backward"
    A_prev, W, b, hparameters = _cache_items(op, cache, 4, "A_prev, W, b, hparameters")
    fn = getattr(cache, "fn", None)
    if not isinstance(fn, Conv2D):
        _, cache = conv_forward(A_prev, W, b, hparameters)
        fn = cache.fn
    m, n_C = fn.A_prev.shape[0], fn.W.shape[3]
    dZ = _float(op, "dZ", dZ)
    _expect(op, "dZ", dZ, (m, fn.n_H, fn.n_W, n_C), "conv_forward's Z")
    dA_prev, dW, db = fn.backward(dZ)
    return dA_prev, dW, db.reshape(1, 1, 1, n_C)


# ---- the pooling layer ----------------------------------------------------------------------
def pool_forward(A_prev, hparameters: dict, mode: str = "max"):
    """The max (or mean) of every f x f window, each channel on its own.   notes §4.1 (pooling)

    Shapes: A_prev (m, n_H_prev, n_W_prev, n_C) -> A (m, n_H, n_W, n_C), n_H = floor((n_H_prev
    - f) / stride) + 1; no padding, nothing to learn. ``mode``: "max" or "average".
    Returns (A, cache = (A_prev, hparameters)).
    """
    op = "pool_forward"
    kind = _pool_kind(op, mode)
    A_prev = _float(op, "A_prev", A_prev)
    _expect(op, "A_prev", A_prev, (None, None, None, None))
    f, stride = _hparameters(op, hparameters, POOL_HPARAMETERS)
    _fits(op, A_prev, f, f, 0, "window")
    fn = kind()
    A = fn.forward(A_prev, f=f, stride=stride, padding=0)
    return A, Cache((A_prev, hparameters), fn)


def pool_backward(dA, cache, mode: str = "max"):
    """dA_prev of a pooling layer from dA.   notes §4.1 (pooling)

    "max": each window's dA goes to its maximum (the assignment's create_mask_from_window);
    "average": dA / f^2 to each of its pixels (distribute_value); overlapping windows add.
    Shapes: dA (m, n_H, n_W, n_C) as pool_forward's A -> dA_prev (m, n_H_prev, n_W_prev, n_C).
    """
    op = "pool_backward"
    kind = _pool_kind(op, mode)
    A_prev, hparameters = _cache_items(op, cache, 2, "A_prev, hparameters")
    fn = getattr(cache, "fn", None)
    if type(fn) is not kind:  # a hand-made cache, or one from the other mode
        _, cache = pool_forward(A_prev, hparameters, mode)
        fn = cache.fn
    dA = _float(op, "dA", dA)
    _expect(op, "dA", dA, fn.out_shape, "pool_forward's A")
    return fn.backward(dA)


def create_mask_from_window(x):
    """True at the maximum of x (f_h, f_w), False elsewhere: where max pooling routes dA.
    notes §4.1 (pooling). On ties only the first maximum (row-major) is True."""
    x = _float("create_mask_from_window", "x", x)
    _expect("create_mask_from_window", "x", x, (None, None))
    fn = MaxPool2D()
    out = fn.forward(x[None, :, :, None], f=x.shape, stride=None, padding=0)
    return fn.backward(xp.ones_like(out))[0, :, :, 0] == 1


def distribute_value(dz, shape):
    """dz / (n_H n_W) in every cell of an (n_H, n_W) array: where average pooling routes dz.
    notes §4.1 (pooling)"""
    if not (isinstance(shape, (tuple, list)) and len(shape) == 2
            and all(isinstance(n, (int, xp.integer)) and n >= 1 for n in shape)):
        raise ValueError(f"distribute_value: shape should be a pair (n_H, n_W) of positive "
                         f"ints, got {shape!r}")
    dz = _float("distribute_value", "dz", dz)
    if dz.size != 1:
        raise ValueError(f"distribute_value: dz should be one number, got shape {dz.shape}")
    fn = AvgPool2D()
    fn.forward(xp.zeros((1, *shape, 1), dtype=dz.dtype), f=tuple(shape), stride=None,
               padding=0)
    return fn.backward(dz.reshape(1, 1, 1, 1))[0, :, :, 0]
