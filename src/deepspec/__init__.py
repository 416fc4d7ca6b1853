"""deepspec: the Deep Learning Specialization as one library, on NumPy.

    import deepspec as ds
    model = ds.models.mlp([2, 4, 1], hidden="tanh", output="sigmoid", seed=0)
"""

from . import functional, init, models, nn, ops, optim
from . import functional as F
from .backend import default_dtype, get_default_dtype, set_default_dtype
from .gradcheck import gradcheck, gradient_check
from .tensor import Tensor, enable_grad, is_grad_enabled, no_grad, tensor

__version__ = "0.1.0"

__all__ = [
    "F", "Tensor", "default_dtype", "enable_grad", "functional", "get_default_dtype",
    "gradcheck", "gradient_check", "init", "is_grad_enabled", "models", "nn", "no_grad", "ops",
    "optim", "set_default_dtype", "tensor",
]
