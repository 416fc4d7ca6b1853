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
from .conv import conv2d, conv_output_size, zero_pad
from .dropout import dropout
from .embedding import embedding, one_hot
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    mse,
    multi_task_binary_cross_entropy,
    softmax_cross_entropy,
)
from .norm import batch_norm
from .pool import avg_pool2d, global_avg_pool2d, max_pool2d
from .recurrent import gru, gru_cell, lstm, lstm_cell, rnn, rnn_cell

__all__ = [
    "abs", "add", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "clip", "concat", "conv2d", "conv_output_size", "div",
    "dropout", "embedding", "exp", "getitem", "global_avg_pool2d", "gru", "gru_cell",
    "leaky_relu", "linear", "log", "log_softmax", "lstm", "lstm_cell", "matmul", "max",
    "max_pool2d", "mean", "mse", "mul", "multi_task_binary_cross_entropy", "neg", "one_hot",
    "pow", "relu", "reshape", "rnn", "rnn_cell", "sigmoid", "softmax", "softmax_cross_entropy",
    "sqrt", "stack", "sub", "sum", "tanh", "transpose", "where", "zero_pad",
]
