"""Adam.   notes §2.4.5"""

from __future__ import annotations

import math

from ..backend import xp
from .optimizer import Optimizer


def adam_update(param, grad, v, s, *, t: int, beta1: float, beta2: float, epsilon: float,
                learning_rate: float, scratch=None) -> None:
    """One Adam step on arrays, in place.   notes §2.4.5

        v = beta1 v + (1 - beta1) dW           s = beta2 s + (1 - beta2) dW^2
        v_corrected = v / (1 - beta1^t)         s_corrected = s / (1 - beta2^t)
        W := W - learning_rate v_corrected / (sqrt(s_corrected) + epsilon)

    ``scratch`` (an array like ``param``) avoids allocating temporaries.
    """
    buf = xp.empty_like(param) if scratch is None else scratch
    xp.subtract(grad, v, out=buf)  # v += (1 - beta1)(dW - v)  ==  beta1 v + (1 - beta1) dW
    buf *= 1 - beta1
    v += buf
    xp.multiply(grad, grad, out=buf)
    buf -= s
    buf *= 1 - beta2
    s += buf
    # v_hat / (sqrt(s_hat) + epsilon) = sqrt(c2) / c1 * v / (sqrt(s) + epsilon sqrt(c2)),
    # with c1 = 1 - beta1^t and c2 = 1 - beta2^t: the corrections fold into two scalars
    root_c2 = math.sqrt(1 - beta2**t)
    xp.sqrt(s, out=buf)
    buf += epsilon * root_c2
    xp.divide(v, buf, out=buf)
    buf *= learning_rate * root_c2 / (1 - beta1**t)
    param -= buf


class Adam(Optimizer):
    """Adam with bias correction (momentum + RMSprop).   notes §2.4.5

    Equal to ``torch.optim.Adam(lr=learning_rate, betas=(beta1, beta2), eps=epsilon)``;
    with ``weight_decay`` it is AdamW (decoupled), applied to weight matrices only.
    """

    state_names = ("v", "s")
    hyper_names = ("learning_rate", "beta1", "beta2", "epsilon", "weight_decay")

    def __init__(self, params, learning_rate: float = 0.001, beta1: float = 0.9,
                 beta2: float = 0.999, epsilon: float = 1e-8, *, weight_decay: float = 0.0):
        super().__init__(params, learning_rate, weight_decay=weight_decay)
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"Adam: beta1, beta2 should be in [0, 1), got {beta1}, {beta2}")
        if not epsilon > 0:
            raise ValueError(f"Adam: epsilon should be > 0, got {epsilon}")
        self.beta1, self.beta2, self.epsilon = float(beta1), float(beta2), float(epsilon)
        self.v = self._zeros()  # first moments
        self.s = self._zeros()  # second moments
        largest = max((p.data.size for p in self.params), default=0)
        dtype = self.params[0].data.dtype if self.params else None
        self._scratch = xp.empty(largest, dtype=dtype)  # one temporary, shared by all params

    def step(self) -> None:
        self.t += 1
        for p, v, s in zip(self.params, self.v, self.s):
            if p.grad is None:
                continue
            self._decay(p)
            buf = self._scratch[: p.data.size].reshape(p.data.shape)
            if buf.dtype != p.data.dtype:
                buf = None
            adam_update(p.data, p.grad, v, s, t=self.t, beta1=self.beta1, beta2=self.beta2,
                        epsilon=self.epsilon, learning_rate=self.learning_rate, scratch=buf)
