"""Sequential: layers applied in order."""

from __future__ import annotations

from ..tensor import Tensor
from .module import Module


class Sequential(Module):
    """Apply layers in order: ``Sequential(Dense(2, 4), Tanh(), Dense(4, 1))``."""

    def __init__(self, *layers: Module):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} should be a Module, "
                                f"got {type(layer).__name__}")
        self.layers = list(layers)

    def forward(self, A: Tensor) -> Tensor:
        for layer in self.layers:
            A = layer.forward(A)
        return A

    def append(self, layer: Module) -> Sequential:
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential.append: expected a Module, got {type(layer).__name__}")
        self.layers.append(layer)
        return self

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Sequential(*self.layers[i])
        return self.layers[i]

    def __setitem__(self, i: int, layer: Module) -> None:
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential: expected a Module, got {type(layer).__name__}")
        self.layers[i] = layer

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def named_children(self):
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def named_parameters(self, prefix: str = ""):
        for i, layer in enumerate(self.layers):
            yield from layer.named_parameters(f"{prefix}{i}.")

    def _resolve(self, dotted: str):
        head, _, rest = dotted.partition(".")
        return self.layers[int(head)]._resolve(rest)

    def config(self) -> dict:
        return {"layers": [{"class": type(layer).__name__, "config": layer.config()}
                           for layer in self.layers]}  # specs, see deepspec.nn.catalog
