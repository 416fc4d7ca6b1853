"""Module and Parameter: the base of every layer.

A ``Parameter`` is a Tensor that optimizers update. A *buffer* (running statistics, step
counts) is named in the class's ``buffers`` tuple: saved in ``state_dict`` but never
optimized. ``Module.parameters()`` walks ``vars(self)`` in order: Parameters, sub-Modules,
and lists or tuples of them. ``training`` is the only mode switch (``train()``/``eval()``).
"""

from __future__ import annotations

from ..backend import get_default_dtype, xp
from ..tensor import Tensor


class Parameter(Tensor):
    """A trainable tensor (``requires_grad=True``), stored in the default dtype unless given."""

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True, dtype=None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype or get_default_dtype())

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of layers and models: ``forward`` does the work, ``__call__`` calls it."""

    buffers: tuple = ()  # names of attributes saved in state_dict but never optimized
    training: bool = True

    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    def __call__(self, *inputs, **kwargs):
        return self.forward(*inputs, **kwargs)

    # ---- structure -------------------------------------------------------------------------
    def named_children(self):
        """(name, Module) for each direct sub-module, lists giving ``name.i``."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def modules(self):
        """This module and every sub-module, depth first."""
        yield self
        for _, child in self.named_children():
            yield from child.modules()

    def named_parameters(self, prefix: str = ""):
        """(dotted name, Parameter) for every parameter, in definition order."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
            elif isinstance(value, Module):
                yield from value.named_parameters(f"{prefix}{name}.")
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Parameter):
                        yield f"{prefix}{name}.{i}", item
                    elif isinstance(item, Module):
                        yield from item.named_parameters(f"{prefix}{name}.{i}.")

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix: str = ""):
        for name in self.buffers:
            yield prefix + name, getattr(self, name)
        for child_name, child in self.named_children():
            yield from child.named_buffers(f"{prefix}{child_name}.")

    def num_parameters(self, trainable_only: bool = False) -> int:
        return sum(p.data.size for p in self.parameters()
                   if p.requires_grad or not trainable_only)

    # ---- modes -------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch statistics) for this module and its children."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Inference mode (dropout off, running statistics)."""
        return self.train(False)

    def freeze(self) -> Module:
        """Stop gradients to every parameter (transfer learning: a frozen trunk)."""
        for p in self.parameters():
            p.requires_grad = False
            p.grad = None
        return self

    def unfreeze(self) -> Module:
        for p in self.parameters():
            p.requires_grad = True
        return self

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def astype(self, dtype) -> Module:
        """Convert every parameter and float buffer to ``dtype`` in place (float64 to check)."""
        dtype = xp.dtype(dtype)
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = None
        for module in self.modules():
            for name in module.buffers:
                value = getattr(module, name)
                if isinstance(value, xp.ndarray) and value.dtype.kind == "f":
                    setattr(module, name, value.astype(dtype))
        return self

    # ---- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Name -> array copy, for every parameter and buffer."""
        state = {name: p.data.copy() for name, p in self.named_parameters()}
        for name, value in self.named_buffers():
            state[name] = xp.array(value)
        return state

    def load_state_dict(self, state: dict, strict: bool = True) -> None:
        """Copy arrays into parameters and buffers; name every missing, extra or mis-shaped key."""
        own_params = dict(self.named_parameters())
        own_buffers = dict(self.named_buffers())
        expected = set(own_params) | set(own_buffers)
        missing = sorted(expected - set(state))
        extra = sorted(set(state) - expected)
        wrong = []
        for name in sorted(expected & set(state)):
            target = own_params[name].data if name in own_params else xp.asarray(own_buffers[name])
            value = xp.asarray(state[name])
            if value.shape != target.shape:
                wrong.append(f"{name}: expected {target.shape}, got {value.shape}")
        problems = []
        if wrong:
            problems.append("mis-shaped: " + "; ".join(wrong))
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and extra:
            problems.append(f"unexpected keys: {extra}")
        if problems:
            raise ValueError(f"{type(self).__name__}.load_state_dict: " + " | ".join(problems))
        for name, p in own_params.items():
            if name in state:
                p.data[...] = xp.asarray(state[name], dtype=p.data.dtype)
        for name in own_buffers:
            if name in state:
                owner, attr = self._resolve(name)
                current = getattr(owner, attr)
                value = xp.asarray(state[name])
                if isinstance(current, xp.ndarray):
                    setattr(owner, attr, value.astype(current.dtype))
                else:  # a Python scalar buffer, e.g. a step count
                    setattr(owner, attr, type(current)(value.item()))

    def _resolve(self, dotted: str):
        """(owning module, attribute name) for a dotted state_dict key."""
        head, _, rest = dotted.partition(".")
        if not rest:
            return self, head
        child = getattr(self, head)
        if isinstance(child, (list, tuple)):
            index, _, rest = rest.partition(".")
            child = child[int(index)]
        return child._resolve(rest)

    def config(self) -> dict:
        """The constructor arguments that rebuild this layer (used by ``deepspec.save``)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be rebuilt from a config; "
                                  f"save its state_dict and rebuild it in code")

    # ---- display ---------------------------------------------------------------------------------
    def summary(self, input_shape, *, print_fn=print):
        """Print (and return) each layer's output shape and parameter count for inputs of
        ``input_shape`` (without the batch axis), Keras-style. See ``deepspec.nn.summary``."""
        from .summary import summary

        return summary(self, input_shape, print_fn=print_fn)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        head = f"{type(self).__name__}({self.extra_repr()})"
        if not children:
            return head
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            count = child.num_parameters()
            body = repr(child).replace("\n", "\n  ")
            if count and "\n" not in body:  # a container's repr already ends with its count
                body += f"  # {count:,} params"
            lines.append(f"  ({name}): {body}")
        lines.append(f")  # {self.num_parameters():,} params")
        return "\n".join(lines)
