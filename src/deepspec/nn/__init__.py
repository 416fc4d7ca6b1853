"""Layers: Modules holding parameters and state, built on ``deepspec.ops``."""

from .containers import Sequential
from .embedding import Embedding
from .layers import Dense, Dropout, Flatten, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .module import Module, Parameter
from .norm import BatchNorm, BatchNorm1d

__all__ = [
    "BatchNorm", "BatchNorm1d", "Dense", "Dropout", "Embedding", "Flatten", "LeakyReLU",
    "Module",
    "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
]
