"""Layers: Modules holding parameters and state, built on ``deepspec.ops``."""

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
from .module import Module, Parameter
from .norm import BatchNorm, BatchNorm1d
from .recurrent import GRU, LSTM, Bidirectional, SimpleRNN, TimeDistributed

__all__ = [
    "GRU", "LSTM", "AvgPool2D", "BatchNorm", "BatchNorm1d", "BatchNorm2d", "Bidirectional",
    "Conv2D", "ConvBlock", "Dense", "DepthwiseConv2D", "Dropout", "Embedding", "Flatten",
    "GlobalAvgPool2D", "IdentityBlock", "InceptionModule", "LeakyReLU", "MaxPool2D", "Module",
    "Parameter", "ReLU", "SeparableConv2D", "Sequential", "Sigmoid", "SimpleRNN", "Softmax",
    "Tanh", "TimeDistributed", "ZeroPadding2D",
]
