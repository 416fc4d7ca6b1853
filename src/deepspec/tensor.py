"""Tensor, Function and reverse-mode differentiation.   notes §1.2 (computation graph)

A ``Tensor`` wraps an array and remembers the ``Function`` that made it. ``backward()``
orders the graph topologically and walks it in reverse, handing each Function the gradient
of its output and accumulating what it returns into its inputs (the chain rule). Gradients
of leaves that ``requires_grad`` land in ``.grad`` (a NumPy array) and accumulate across
calls; the graph itself is freed after backward.
"""

from __future__ import annotations

import contextlib
import itertools
from operator import attrgetter

from .backend import get_default_dtype, xp

_grad_enabled = True
_sequence = itertools.count()
_by_sequence = attrgetter("seq")
_ndarray = xp.ndarray


class no_grad(contextlib.ContextDecorator):
    """Record nothing inside: ``with deepspec.no_grad(): ...`` (also usable as a decorator)."""

    def _recreate_cm(self):  # a fresh instance per decorated call, so recursive calls nest
        return type(self)()

    def __enter__(self) -> None:
        global _grad_enabled
        self.saved, _grad_enabled = _grad_enabled, False

    def __exit__(self, *exc) -> None:
        global _grad_enabled
        _grad_enabled = self.saved


class enable_grad(no_grad):
    """Record again inside a ``no_grad`` block."""

    def __enter__(self) -> None:
        global _grad_enabled
        self.saved, _grad_enabled = _grad_enabled, True


def is_grad_enabled() -> bool:
    return _grad_enabled


class Function:
    """One differentiable operation: ``forward`` on arrays, ``backward`` from the output grad.

    ``forward(*arrays, **settings)`` keeps what backward needs as attributes and returns an
    array. ``backward(dout)`` returns one gradient per input (a tuple, or a bare array when
    there is one input), using ``None`` where ``self.needs_grad[i]`` is false. Gradients may
    have the broadcast shape of the output: the engine sums them back to each input's shape.
    """

    needs_grad: tuple = ()
    parents: tuple | None = ()  # None once a backward() has freed this node
    seq: int = 0
    _dout = None  # the gradient of the output, accumulated during backward()
    _seen = None

    def forward(self, *arrays, **settings):
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    def backward(self, dout):
        raise NotImplementedError(f"{type(self).__name__} defines no backward")

    @classmethod
    def apply(cls, *inputs, **settings) -> Tensor:
        for t in inputs:
            if not isinstance(t, Tensor):  # arrays and numbers become constant tensors
                inputs = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
                break
        fn = cls()
        out = fn.forward(*[t.data for t in inputs], **settings)
        if type(out) is not _ndarray:  # NumPy reductions return scalars: keep 0-d arrays
            out = xp.asarray(out)
        if _grad_enabled:
            for t in inputs:
                if t.requires_grad:
                    fn.needs_grad = tuple([t.requires_grad for t in inputs])
                    fn.parents = inputs
                    fn.seq = next(_sequence)  # creation order is a topological order
                    return Tensor._from_op(out, fn)
        return Tensor._from_op(out, None)


def _as_array(data, dtype=None):
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return xp.asarray(data, dtype=dtype)
    arr = xp.asarray(data)
    if arr.dtype.kind in "fc":
        return arr
    if arr.dtype.kind in "biu":
        # ints and bools become the default float dtype: tensors are for differentiation
        return arr.astype(get_default_dtype())
    raise TypeError(f"tensor: cannot make a tensor from dtype {arr.dtype}")


class Tensor:
    """An array with an optional gradient and the record of how it was made.

    ``Tensor(data, requires_grad=False, dtype=None)``: Python numbers and integer arrays become
    the default float dtype (float32 unless ``set_default_dtype("float64")``); float arrays
    keep their dtype unless ``dtype`` is given.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "__weakref__")
    __array_priority__ = 1000  # so ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        if dtype is None and not hasattr(data, "dtype"):
            dtype = get_default_dtype()
        self.data = _as_array(data, dtype)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None

    @staticmethod
    def _from_op(data, fn) -> Tensor:
        t = Tensor.__new__(Tensor)
        t.data, t.grad, t._ctx = data, None, fn
        t.requires_grad = fn is not None
        return t

    # ---- array-like surface --------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    dtype = property(lambda self: self.data.dtype)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        body = xp.array2string(self.data, prefix="tensor(", separator=", ", precision=4)
        return f"tensor({body}, dtype={self.data.dtype}{grad})"

    def numpy(self):
        """The data as a NumPy array (shared, not copied)."""
        return self.data

    def item(self) -> float:
        return self.data.item()

    def __float__(self) -> float:
        return float(self.data)

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._from_op(self.data, None)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        if self._ctx is not None:
            raise RuntimeError("requires_grad_: only leaf tensors can change requires_grad")
        self.requires_grad = bool(flag)
        return self

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    def zero_grad(self) -> None:
        self.grad = None

    # ---- reverse mode ----------------------------------------------------------------------
    def backward(self, grad=None, *, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every reachable leaf's ``.grad``.

        ``grad`` is the upstream gradient (same shape as self); it may be omitted only for a
        one-element tensor (a cost), where it is 1. The graph is freed afterwards unless
        ``retain_graph=True``.
        """
        if self._ctx is not None and self._ctx.parents is None:
            raise RuntimeError(_FREED_MESSAGE)
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (no input had requires_grad=True, "
                "or it was made under no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be omitted only for a one-element tensor, "
                    f"got shape {self.data.shape}; pass a gradient of that shape"
                )
            grad = xp.ones(self.data.shape, dtype=self.data.dtype)
        else:
            grad = _as_array(grad, self.data.dtype)
            if grad.shape != self.data.shape:
                raise ValueError(
                    f"backward: grad should have shape {self.data.shape}, got {grad.shape}"
                )

        owned = {id(grad)}  # arrays the caller or a leaf holds: a leaf never shares them
        fn = self._ctx
        if fn is None:  # a leaf: d(self)/d(self) = 1
            _accumulate(self, grad, owned)
            return
        fn._dout = grad
        for f in _graph(fn):
            g = f._dout
            f._dout = None
            if g is not None:
                in_grads = f.backward(g)
                if type(in_grads) is not tuple:
                    in_grads = (in_grads,)
                for parent, pg, need in zip(f.parents, in_grads, f.needs_grad):
                    if pg is None or not need:
                        continue
                    if pg.shape != parent.data.shape:
                        pg = _unbroadcast(pg, parent.data.shape, type(f).__name__)
                    pf = parent._ctx
                    if pf is None:
                        _accumulate(parent, pg, owned)
                    else:
                        d = pf._dout
                        pf._dout = pg if d is None else d + pg
            if not retain_graph:
                vars(f).clear()  # drop the arrays saved for backward
                f.parents = None

    # ---- operators (defined in ops.basic, bound here so the class stays readable) ---------
    def __neg__(self):
        return _ops.neg(self)

    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # comparisons give plain boolean arrays: they are not differentiable
    def __lt__(self, other):
        return self.data < _data(other)

    def __le__(self, other):
        return self.data <= _data(other)

    def __gt__(self, other):
        return self.data > _data(other)

    def __ge__(self, other):
        return self.data >= _data(other)

    __hash__ = object.__hash__

    def sum(self, axis=None, keepdims=False):
        return _ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return _ops.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return _ops.max(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.reshape(self, shape)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.transpose(self, axes or None)

    @property
    def T(self):
        return _ops.transpose(self, None)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def abs(self):
        return _ops.abs(self)

    def clip(self, low=None, high=None):
        return _ops.clip(self, low, high)


def _data(x):
    return x.data if isinstance(x, Tensor) else x


_FREED_MESSAGE = ("backward: the graph behind this tensor was already freed by an earlier "
                  "backward(); pass retain_graph=True to the first call to backward twice")


def _graph(root: Function, _seq=_by_sequence) -> list:
    """Every Function reachable from root, latest first (a reverse topological order)."""
    token = object()
    root._seen = token
    order, stack = [root], [root]
    while stack:
        for parent in stack.pop().parents:
            f = parent._ctx
            if f is not None and f._seen is not token:
                if f.parents is None:
                    raise RuntimeError(_FREED_MESSAGE)
                f._seen = token
                order.append(f)
                stack.append(f)
    order.sort(key=_seq, reverse=True)
    return order


def _accumulate(leaf: Tensor, g, owned: set) -> None:
    """Add g into a leaf's .grad, which is always its own writeable array of the leaf's dtype.

    ``owned`` holds the ids of arrays already given to a leaf (or the caller's ``grad``): Add
    hands the same dout to both inputs, and two leaves must not share one ``.grad``.
    """
    if g.dtype != leaf.data.dtype:
        g = g.astype(leaf.data.dtype)
    if leaf.grad is not None:
        g = leaf.grad + g
        leaf.grad = g if type(g) is _ndarray else xp.asarray(g)  # 0-d sums are scalars
    elif g.flags.writeable and g.base is None and id(g) not in owned:
        leaf.grad = g
        owned.add(id(g))
    else:  # a view, a broadcast, a scalar or an array a leaf holds: give the leaf its own
        leaf.grad = xp.array(g)


def _unbroadcast(grad, shape: tuple, op: str):
    """Sum a broadcast gradient back to ``shape`` (the input's)."""
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(f"{op}: backward gave a gradient of shape {grad.shape} for an input "
                         f"of shape {shape}")
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, (g, s) in enumerate(zip(grad.shape, shape)) if s == 1 and g != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:
        raise ValueError(f"{op}: backward gave a gradient of shape {grad.shape} for an input "
                         f"of shape {shape}")
    return grad


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Make a Tensor: ``deepspec.tensor([[1., 2.]], requires_grad=True)``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


from .ops import basic as _ops  # noqa: E402  (ops import Tensor from here)
