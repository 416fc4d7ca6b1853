"""Optimizers, learning-rate schedules, gradient clipping and L2 regularization.   notes §2.4"""

from .adam import Adam, adam_update
from .clip import clip_grad_norm, clip_grad_value
from .gd import GD, gd_update
from .momentum import Momentum, momentum_update
from .optimizer import Optimizer
from .regularization import l2_penalty
from .rmsprop import RMSprop, rmsprop_update
from .schedules import exponential, inverse_sqrt, inverse_time, piecewise_constant, staircase

__all__ = [
    "GD", "Adam", "Momentum", "Optimizer", "RMSprop", "adam_update", "clip_grad_norm",
    "clip_grad_value", "exponential", "gd_update", "inverse_sqrt", "inverse_time",
    "l2_penalty", "momentum_update", "piecewise_constant", "rmsprop_update", "staircase",
]
