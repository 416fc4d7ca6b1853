"""Layers: Modules holding parameters and state, built on ``deepspec.ops``."""

from .containers import Sequential
from .layers import Dense, Dropout, Flatten, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .module import Module, Parameter
from .norm import BatchNorm, BatchNorm1d

__all__ = [
    "BatchNorm", "BatchNorm1d", "Dense", "Dropout", "Flatten", "LeakyReLU", "Module",
    "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
]
