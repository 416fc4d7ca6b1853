"""L2 regularization as a cost term.   notes §2.2.1"""

from __future__ import annotations

from ..backend import xp
from ..tensor import Function, Tensor
from .optimizer import as_parameter_list


class L2Penalty(Function):
    """lambd / (2 m) * sum_l ||W[l]||_F^2;  dW[l] = (lambd / m) W[l].   notes §2.2.1"""

    def forward(self, *weights, coefficient):
        self.weights, self.coefficient = weights, coefficient  # coefficient = lambd / m
        total = sum(float(xp.vdot(W, W)) for W in weights)
        return xp.asarray(0.5 * coefficient * total, dtype=weights[0].dtype)

    def backward(self, dJ):
        return tuple(W * (dJ * self.coefficient) if need else None
                     for W, need in zip(self.weights, self.needs_grad))


def l2_penalty(params, lambd: float, m: int) -> Tensor:
    """The notes' L2 cost term lambd/(2m) sum ||W||_F^2 over weight matrices (not biases).

    ``params``: a Module or parameters; only those with >= 2 axes (weights) count.
    Add it to the cost before ``backward()``: ``J = cross_entropy + l2_penalty(model, 0.7, m)``.
    """
    if not lambd >= 0:  # written so NaN fails too
        raise ValueError(f"l2_penalty: lambd should be >= 0, got {lambd}")
    if int(m) <= 0:
        raise ValueError(f"l2_penalty: m (examples) should be > 0, got {m}")
    weights = [p for p in as_parameter_list(params, "l2_penalty") if p.data.ndim >= 2]
    if not weights:
        raise ValueError("l2_penalty: no weight matrices (parameters with >= 2 axes) given")
    return L2Penalty.apply(*weights, coefficient=float(lambd) / int(m))
