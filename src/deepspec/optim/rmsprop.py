"""RMSprop.   notes §2.4.4"""

from __future__ import annotations

from ..backend import xp
from .optimizer import Optimizer


def rmsprop_update(param, grad, s, *, beta2: float, epsilon: float,
                   learning_rate: float) -> None:
    """s := beta2 s + (1 - beta2) dW^2;  W := W - learning_rate dW / (sqrt(s) + epsilon)."""
    s *= beta2
    s += (1 - beta2) * grad * grad
    param -= learning_rate * grad / (xp.sqrt(s) + epsilon)


class RMSprop(Optimizer):
    """S_dW = beta2 S_dW + (1 - beta2) dW^2;  W := W - alpha dW / (sqrt(S_dW) + epsilon).

    notes §2.4.4. Equal to ``torch.optim.RMSprop(lr=alpha, alpha=beta2, eps=epsilon)``.
    """

    state_names = ("s",)
    hyper_names = ("learning_rate", "beta2", "epsilon", "weight_decay")

    def __init__(self, params, learning_rate: float = 0.001, beta2: float = 0.999,
                 epsilon: float = 1e-8, *, weight_decay: float = 0.0):
        super().__init__(params, learning_rate, weight_decay=weight_decay)
        if not 0 <= beta2 < 1:
            raise ValueError(f"RMSprop: beta2 should be in [0, 1), got {beta2}")
        if not epsilon > 0:
            raise ValueError(f"RMSprop: epsilon should be > 0, got {epsilon}")
        self.beta2, self.epsilon = float(beta2), float(epsilon)
        self.s = self._zeros()

    def step(self) -> None:
        self.t += 1
        for p, s in zip(self.params, self.s):
            if p.grad is None:
                continue
            self._decay(p)
            rmsprop_update(p.data, p.grad, s, beta2=self.beta2, epsilon=self.epsilon,
                           learning_rate=self.learning_rate)
