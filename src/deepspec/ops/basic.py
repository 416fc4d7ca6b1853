"""Elementary differentiable ops: arithmetic, matmul, reductions, shapes, indexing, linear.

Each op is a ``Function`` (forward and backward side by side) and a lower-case function.
Elementwise ops broadcast like NumPy; the engine sums gradients back to each input's shape.
"""

from __future__ import annotations

import builtins

from ..backend import xp
from ..tensor import Function, Tensor
from ._checks import expect_shape


def lift(x, like: Tensor | None = None) -> Tensor:
    """A Tensor as is; a number or array as a constant (a number takes ``like``'s dtype)."""
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (int, float, bool)):
        return Tensor._from_op(xp.asarray(x, dtype=like.data.dtype), None)
    return Tensor(x)


def _pair(a, b) -> tuple[Tensor, Tensor]:
    if isinstance(a, Tensor):
        return a, lift(b, a)
    return lift(a, b), b


# ---- arithmetic -----------------------------------------------------------------------------
class Add(Function):
    """a + b"""

    def forward(self, a, b):
        return a + b

    def backward(self, dout):
        return dout, dout


class Sub(Function):
    """a - b"""

    def forward(self, a, b):
        return a - b

    def backward(self, dout):
        return dout, (-dout if self.needs_grad[1] else None)


class Mul(Function):
    """a * b"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, dout):
        need_a, need_b = self.needs_grad
        return (dout * self.b if need_a else None), (dout * self.a if need_b else None)


class Div(Function):
    """a / b"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, dout):
        need_a, need_b = self.needs_grad
        da = dout / self.b if need_a else None
        db = -dout * self.a / (self.b * self.b) if need_b else None
        return da, db


class Pow(Function):
    """a ** b;  d/da = b a^(b-1),  d/db = a^b log a"""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def backward(self, dout):
        need_a, need_b = self.needs_grad
        da = dout * self.b * self.a ** (self.b - 1) if need_a else None
        db = dout * self.out * xp.log(self.a) if need_b else None
        return da, db


class Neg(Function):
    """-a"""

    def forward(self, a):
        return -a

    def backward(self, dout):
        return -dout


class MatMul(Function):
    """a @ b, with NumPy's rules for 1-D and batched (broadcast) operands."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: operands should be at least 1-D, got shapes "
                             f"{a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: inner sizes differ: a has shape {a.shape}, "
                             f"b has shape {b.shape}")
        self.a, self.b = a, b
        return a @ b

    def backward(self, dout):
        a, b = self.a, self.b
        need_a, need_b = self.needs_grad
        if a.ndim == 1 and b.ndim == 1:
            return (dout * b if need_a else None), (dout * a if need_b else None)
        if a.ndim == 1:  # (n) @ (..., n, p) -> (..., p)
            da = (dout[..., None, :] @ xp.swapaxes(b, -1, -2))[..., 0, :] if need_a else None
            db = a[:, None] * dout[..., None, :] if need_b else None
            return da, db
        if b.ndim == 1:  # (..., m, n) @ (n) -> (..., m)
            da = dout[..., :, None] * b if need_a else None
            db = (xp.swapaxes(a, -1, -2) @ dout[..., None])[..., 0] if need_b else None
            return da, db
        da = dout @ xp.swapaxes(b, -1, -2) if need_a else None
        db = xp.swapaxes(a, -1, -2) @ dout if need_b else None
        return da, db


class Linear(Function):
    """Z = A_prev @ W.T + b.   notes §1.3.1 (Z[l] = W[l] A[l-1] + b[l], batch-first), §1.3.2

    Shapes: A_prev (m, n_prev) or (..., n_prev), W (n, n_prev), b (n,) -> Z (m, n).
    """

    def forward(self, A_prev, W, b=None):
        if W.ndim != 2:
            raise ValueError(f"linear: W should have shape (n, n_prev), got {W.shape}")
        n, n_prev = W.shape
        if A_prev.ndim == 0 or A_prev.shape[-1] != n_prev:
            raise ValueError(f"linear: A_prev should have shape (*, {n_prev}) to match W "
                             f"{W.shape}, got {A_prev.shape}")
        self.A_prev, self.W = A_prev, W
        if A_prev.ndim > 2:  # (..., n_prev): one 2-D GEMM, not a batch of small ones
            # the 2-D view (a copy when A_prev's axes don't merge) is kept for dW
            self.A2 = A_prev.reshape(-1, n_prev)
            Z = (self.A2 @ W.T).reshape(*A_prev.shape[:-1], n)
        else:
            Z = A_prev @ W.T
        if b is not None:
            if b.shape != (n,):
                expect_shape("linear", "b", b.shape, (n,))
            Z += b
        return Z

    def backward(self, dZ):
        need_A, need_W = self.needs_grad[0], self.needs_grad[1]
        if not need_A:
            dA_prev = None
        elif dZ.ndim > 2:
            dA_prev = (dZ.reshape(-1, dZ.shape[-1]) @ self.W).reshape(self.A_prev.shape)
        else:
            dA_prev = dZ @ self.W
        if dZ.ndim != 2:  # fold leading axes (or none, for 1-D A_prev) into one batch axis
            A2 = self.A2 if self.A_prev.ndim > 2 else self.A_prev.reshape(-1, self.W.shape[1])
            dZ2 = dZ.reshape(-1, dZ.shape[-1])
        else:
            dZ2, A2 = dZ, self.A_prev
        dW = dZ2.T @ A2 if need_W else None
        if len(self.needs_grad) == 2:
            return dA_prev, dW
        db = dZ2.sum(axis=0) if self.needs_grad[2] else None
        return dA_prev, dW, db


# ---- elementwise math ----------------------------------------------------------------------
class Exp(Function):
    def forward(self, a):
        self.out = xp.exp(a)
        return self.out

    def backward(self, dout):
        return dout * self.out


class Log(Function):
    def forward(self, a):
        self.a = a
        return xp.log(a)

    def backward(self, dout):
        return dout / self.a


class Sqrt(Function):
    def forward(self, a):
        self.out = xp.sqrt(a)
        return self.out

    def backward(self, dout):
        return dout / (2 * self.out)


class Abs(Function):
    """|a|; the subgradient at 0 is 0 (as PyTorch)."""

    def forward(self, a):
        self.a = a
        return xp.abs(a)

    def backward(self, dout):
        return dout * xp.sign(self.a)


class Clip(Function):
    """clip(a, low, high); gradient 1 where low <= a <= high, else 0 (as PyTorch's clamp)."""

    def forward(self, a, *, low, high):
        self.mask = xp.ones(a.shape, dtype=bool)
        if low is not None:
            self.mask &= a >= low
        if high is not None:
            self.mask &= a <= high
        return xp.clip(a, low, high)

    def backward(self, dout):
        return dout * self.mask


class Where(Function):
    """where(condition, a, b): a where condition holds, else b."""

    def forward(self, a, b, *, condition):
        self.condition = condition
        return xp.where(condition, a, b)

    def backward(self, dout):
        need_a, need_b = self.needs_grad
        zero = xp.zeros((), dtype=dout.dtype)
        da = xp.where(self.condition, dout, zero) if need_a else None
        db = xp.where(self.condition, zero, dout) if need_b else None
        return da, db


# ---- reductions ------------------------------------------------------------------------------
def _normalize_axes(axis, ndim: int, op: str) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for ax in axes:
        if not -ndim <= ax < builtins.max(ndim, 1):
            raise ValueError(f"{op}: axis {ax} is out of range for a {ndim}-D tensor")
    return tuple(ax % builtins.max(ndim, 1) for ax in axes)


def _expand(dout, shape, axes, keepdims):
    """Give a reduced gradient back its reduced axes (size 1), ready to broadcast."""
    if not keepdims:
        dout = xp.expand_dims(dout, axes)
    return dout


class Sum(Function):
    def forward(self, a, *, axis, keepdims):
        self.shape, self.keepdims = a.shape, keepdims
        self.axes = _normalize_axes(axis, a.ndim, "sum")
        return a.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, dout):
        return xp.broadcast_to(_expand(dout, self.shape, self.axes, self.keepdims), self.shape)


class Mean(Function):
    def forward(self, a, *, axis, keepdims):
        self.shape, self.keepdims = a.shape, keepdims
        self.axes = _normalize_axes(axis, a.ndim, "mean")
        if a.size == 0:
            raise ValueError(f"mean: cannot take the mean of an empty tensor of shape {a.shape}")
        self.count = builtins.max(1, int(xp.prod([a.shape[i] for i in self.axes])))
        return a.sum(axis=self.axes, keepdims=keepdims) * (1.0 / self.count)

    def backward(self, dout):
        g = _expand(dout, self.shape, self.axes, self.keepdims) / self.count
        return xp.broadcast_to(g, self.shape)


class Max(Function):
    """max over axes; ties share the gradient equally (as PyTorch's amax)."""

    def forward(self, a, *, axis, keepdims):
        self.axes, self.keepdims = _normalize_axes(axis, a.ndim, "max"), keepdims
        if a.size == 0:
            raise ValueError(f"max: cannot take the max of an empty tensor of shape {a.shape}")
        out = a.max(axis=self.axes, keepdims=True)
        self.mask = a == out
        return out if keepdims else out.reshape([s for i, s in enumerate(a.shape)
                                                  if i not in self.axes])

    def backward(self, dout):
        g = _expand(dout, None, self.axes, self.keepdims)
        count = self.mask.sum(axis=self.axes, keepdims=True)
        return self.mask * (g / count)


# ---- shapes and indexing --------------------------------------------------------------------
class Reshape(Function):
    def forward(self, a, *, shape):
        self.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {a.shape} "
                             f"({a.size} elements) into {tuple(shape)}") from None

    def backward(self, dout):
        return dout.reshape(self.shape)


class Transpose(Function):
    def forward(self, a, *, axes):
        if axes is not None and sorted(a_ % builtins.max(a.ndim, 1) for a_ in axes) != list(
            range(a.ndim)
        ):
            raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of "
                             f"{a.ndim} axes")
        self.axes = axes
        return a.transpose(axes)

    def backward(self, dout):
        if self.axes is None:
            return dout.transpose()
        return dout.transpose(xp.argsort([ax % dout.ndim for ax in self.axes]))


def _is_basic_index(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


class GetItem(Function):
    """a[index]: basic slicing, integer arrays and boolean masks, as NumPy."""

    def forward(self, a, *, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        try:
            return a[index]
        except IndexError as e:
            raise IndexError(f"getitem: {e} (tensor shape {a.shape})") from None

    def backward(self, dout):
        da = xp.zeros(self.shape, dtype=dout.dtype)
        if _is_basic_index(self.index):
            da[self.index] = dout
        else:
            xp.add.at(da, self.index, dout)  # repeated indices accumulate
        return da


class Concat(Function):
    def forward(self, *arrays, axis):
        if not arrays:
            raise ValueError("concat: needs at least one tensor")
        self.axis = axis % arrays[0].ndim
        self.sizes = [a.shape[self.axis] for a in arrays]
        try:
            return xp.concatenate(arrays, axis=axis)
        except ValueError:
            shapes = [a.shape for a in arrays]
            raise ValueError(f"concat: shapes {shapes} should agree except on axis {axis}") \
                from None

    def backward(self, dout):
        splits = xp.cumsum(self.sizes)[:-1]
        return tuple(xp.split(dout, splits, axis=self.axis))


class Stack(Function):
    def forward(self, *arrays, axis):
        if not arrays:
            raise ValueError("stack: needs at least one tensor")
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(f"stack: all tensors should have the same shape, got "
                             f"{[a.shape for a in arrays]}")
        self.axis = axis
        return xp.stack(arrays, axis=axis)

    def backward(self, dout):
        return tuple(xp.moveaxis(dout, self.axis, 0))


# ---- the public functions -----------------------------------------------------------------
def add(a, b) -> Tensor:
    return Add.apply(*_pair(a, b))


def sub(a, b) -> Tensor:
    return Sub.apply(*_pair(a, b))


def mul(a, b) -> Tensor:
    return Mul.apply(*_pair(a, b))


def div(a, b) -> Tensor:
    return Div.apply(*_pair(a, b))


def pow(a, b) -> Tensor:  # noqa: A001 - the op's name
    return Pow.apply(*_pair(a, b))


def neg(a: Tensor) -> Tensor:
    return Neg.apply(a)


def matmul(a, b) -> Tensor:
    return MatMul.apply(*_pair(a, b))


def linear(A_prev: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    """Z = A_prev @ W.T + b.   notes §1.3.1.  Shapes: (m, n_prev), (n, n_prev), (n,) -> (m, n)."""
    if b is None:
        return Linear.apply(lift(A_prev), W)
    return Linear.apply(lift(A_prev), W, b)


def exp(a: Tensor) -> Tensor:
    return Exp.apply(a)


def log(a: Tensor) -> Tensor:
    return Log.apply(a)


def sqrt(a: Tensor) -> Tensor:
    return Sqrt.apply(a)


def abs(a: Tensor) -> Tensor:  # noqa: A001
    return Abs.apply(a)


def clip(a: Tensor, low=None, high=None) -> Tensor:
    """Clamp to [low, high] (either may be None)."""
    if low is None and high is None:
        raise ValueError("clip: give at least one of low and high")
    if low is not None and high is not None and low > high:
        raise ValueError(f"clip: low should be <= high, got low={low}, high={high}")
    return Clip.apply(a, low=low, high=high)


def where(condition, a, b) -> Tensor:
    """Elementwise ``a if condition else b``; ``condition`` is a boolean array (no gradient)."""
    cond = condition.data if isinstance(condition, Tensor) else xp.asarray(condition)
    if cond.dtype != bool:
        cond = cond.astype(bool)
    a, b = _pair(a, b)
    return Where.apply(a, b, condition=cond)


def sum(a: Tensor, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return Sum.apply(a, axis=axis, keepdims=keepdims)


def mean(a: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    return Mean.apply(a, axis=axis, keepdims=keepdims)


def max(a: Tensor, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return Max.apply(a, axis=axis, keepdims=keepdims)


def reshape(a: Tensor, shape) -> Tensor:
    return Reshape.apply(a, shape=tuple(shape))


def transpose(a: Tensor, axes=None) -> Tensor:
    return Transpose.apply(a, axes=None if axes is None else tuple(axes))


def getitem(a: Tensor, index) -> Tensor:
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetItem.apply(a, index=index)


def concat(tensors, axis: int = 0) -> Tensor:
    tensors = [lift(t) for t in tensors]
    return Concat.apply(*tensors, axis=axis)


def stack(tensors, axis: int = 0) -> Tensor:
    tensors = [lift(t) for t in tensors]
    return Stack.apply(*tensors, axis=axis)
