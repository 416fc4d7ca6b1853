"""Layers rebuilt from their configs: the explicit table of classes a checkpoint may name.

A layer's ``config()`` holds its constructor arguments; a nested layer appears as a spec
``{"class": name, "config": {...}}`` (Sequential's ``layers`` is a list of them). ``build``
rebuilds only classes listed here, so a saved file can never name arbitrary code.
"""

from __future__ import annotations

from .blocks import ConvBlock, IdentityBlock, InceptionModule
from .containers import Sequential
from .conv import (
    AvgPool2D,
    BatchNorm2d,
    Conv2D,
    DepthwiseConv2D,
    GlobalAvgPool2D,
    MaxPool2D,
    SeparableConv2D,
    ZeroPadding2D,
)
from .embedding import Embedding
from .layers import Dense, Dropout, Flatten, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .norm import BatchNorm, BatchNorm1d
from .recurrent import GRU, LSTM, Bidirectional, SimpleRNN, TimeDistributed

LAYER_CLASSES: dict[str, type] = {cls.__name__: cls for cls in (
    Dense, ReLU, Sigmoid, Tanh, LeakyReLU, Softmax, Flatten, Dropout, BatchNorm, BatchNorm1d,
    Embedding, SimpleRNN, GRU, LSTM, Bidirectional, TimeDistributed, Conv2D, DepthwiseConv2D,
    SeparableConv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, ZeroPadding2D, BatchNorm2d,
    IdentityBlock, ConvBlock, InceptionModule, Sequential,
)}


def _is_spec(value) -> bool:
    return isinstance(value, dict) and set(value) == {"class", "config"}


def is_buildable(spec) -> bool:
    """Whether ``spec`` names only classes of the table (recursively)."""
    if not _is_spec(spec) or spec["class"] not in LAYER_CLASSES or \
            not isinstance(spec["config"], dict):
        return False
    for value in spec["config"].values():
        nested = value if isinstance(value, list) else [value]
        if any(isinstance(v, dict) and not is_buildable(v) for v in nested):
            return False
    return True


def build(spec: dict):
    """The layer a spec describes: ``cls(**config)``, nested specs built first."""
    if not is_buildable(spec):
        raise ValueError(f"build: not a spec of known layer classes: {spec!r}")
    config = {}
    for key, value in spec["config"].items():
        if _is_spec(value):
            value = build(value)
        elif isinstance(value, list) and value and all(_is_spec(v) for v in value):
            value = [build(v) for v in value]
        config[key] = value
    cls = LAYER_CLASSES[spec["class"]]
    if cls is Sequential:
        return Sequential(*config["layers"])
    return cls(**config)


def spec_of(layer) -> dict:
    """``{"class": ..., "config": ...}`` of a layer."""
    return {"class": type(layer).__name__, "config": layer.config()}
