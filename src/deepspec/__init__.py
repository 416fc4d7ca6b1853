"""deepspec: the Deep Learning Specialization as one library, on NumPy.

    import deepspec as ds
    model = ds.models.mlp([2, 4, 1], hidden="tanh", output="sigmoid", seed=0)
"""

from . import (
    classic,
    data,
    functional,
    init,
    io,
    kernels,
    metrics,
    models,
    nn,
    ops,
    optim,
    strategy,
    text,
    train,
)
from . import functional as F
from .backend import default_dtype, get_default_dtype, set_default_dtype
from .gradcheck import gradcheck, gradient_check
from .io import load, save
from .tensor import Tensor, enable_grad, is_grad_enabled, no_grad, tensor
from .train import evaluate, fit, predict

__version__ = "0.1.0"

__all__ = [
    "F", "Tensor", "classic", "data", "default_dtype", "enable_grad", "evaluate", "fit",
    "functional", "get_default_dtype", "gradcheck", "gradient_check", "init", "io",
    "is_grad_enabled", "kernels", "load", "metrics", "models", "nn", "no_grad", "ops", "optim",
    "predict", "save", "set_default_dtype", "strategy", "tensor", "text", "train",
]
