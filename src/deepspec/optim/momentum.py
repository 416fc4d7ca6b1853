"""Gradient descent with momentum.   notes §2.4.3"""

from __future__ import annotations

from .optimizer import Optimizer


def momentum_update(param, grad, v, *, beta: float, learning_rate: float) -> None:
    """v := beta v + (1 - beta) dW;  W := W - learning_rate v, in place."""
    v *= beta
    v += (1 - beta) * grad
    param -= learning_rate * v


class Momentum(Optimizer):
    """v_dW = beta v_dW + (1 - beta) dW;  W := W - alpha v_dW (v starts at zero).   notes §2.4.3

    The notes' form keeps the (1 - beta) factor. ``torch.optim.SGD(lr=alpha * (1 - beta),
    momentum=beta)`` takes the same steps: its buffer, seeded with the raw first dW, is
    v / (1 - beta). ``SGD(lr=alpha, momentum=beta, dampening=beta)`` differs (its seed dW is
    not damped to (1 - beta) dW).
    """

    state_names = ("v",)
    hyper_names = ("learning_rate", "beta", "weight_decay")

    def __init__(self, params, learning_rate: float = 0.01, beta: float = 0.9, *,
                 weight_decay: float = 0.0):
        super().__init__(params, learning_rate, weight_decay=weight_decay)
        if not 0 <= beta < 1:
            raise ValueError(f"Momentum: beta should be in [0, 1), got {beta}")
        self.beta = float(beta)
        self.v = self._zeros()

    def step(self) -> None:
        self.t += 1
        for p, v in zip(self.params, self.v):
            if p.grad is None:
                continue
            self._decay(p)
            momentum_update(p.data, p.grad, v, beta=self.beta, learning_rate=self.learning_rate)
