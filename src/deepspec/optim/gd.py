"""Gradient descent.   notes §1.2.4 (W := W - alpha dW), §2.4.1 (mini-batch)"""

from __future__ import annotations

from .optimizer import Optimizer


def gd_update(param, grad, *, learning_rate: float) -> None:
    """W := W - learning_rate * dW, in place."""
    param -= learning_rate * grad


class GD(Optimizer):
    """Plain (mini-batch or stochastic) gradient descent: W := W - alpha dW.

    Same as ``torch.optim.SGD(lr=learning_rate)`` without momentum.
    """

    def __init__(self, params, learning_rate: float = 0.01, *, weight_decay: float = 0.0):
        super().__init__(params, learning_rate, weight_decay=weight_decay)

    def step(self) -> None:
        self.t += 1
        learning_rate = self.learning_rate
        for p in self.params:
            if p.grad is not None:
                if self.weight_decay:
                    self._decay(p)
                p.data -= learning_rate * p.grad  # gd_update, inlined: this loop is hot
