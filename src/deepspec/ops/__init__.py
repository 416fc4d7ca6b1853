"""Differentiable primitives, forward and backward side by side (``deepspec.functional``)."""

from .activations import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .basic import (
    abs,
    add,
    clip,
    concat,
    div,
    exp,
    getitem,
    linear,
    log,
    matmul,
    max,
    mean,
    mul,
    neg,
    pow,
    reshape,
    sqrt,
    stack,
    sub,
    sum,
    transpose,
    where,
)
from .dropout import dropout
from .embedding import embedding, one_hot
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    mse,
    softmax_cross_entropy,
)
from .norm import batch_norm
from .recurrent import gru, gru_cell, lstm, lstm_cell, rnn, rnn_cell

__all__ = [
    "abs", "add", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "clip", "concat", "div", "dropout", "embedding", "exp", "getitem", "gru", "gru_cell",
    "leaky_relu", "linear", "log", "log_softmax", "lstm", "lstm_cell", "matmul", "max", "mean",
    "mse", "mul", "neg", "one_hot", "pow", "relu", "reshape", "rnn", "rnn_cell", "sigmoid",
    "softmax", "softmax_cross_entropy", "sqrt", "stack", "sub", "sum", "tanh", "transpose",
    "where",
]
