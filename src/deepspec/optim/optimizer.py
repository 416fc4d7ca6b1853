"""The optimizer base: parameters, learning rate, decoupled weight decay, state."""

from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor


def as_parameter_list(params, owner: str) -> list:
    """A list of Tensors from a Module, a list of Tensors, a generator of them or one Tensor."""
    if isinstance(params, Tensor):  # one parameter; list(tensor) would iterate over its rows
        params = [params]
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{owner}: params[{i}] should be a Tensor/Parameter, "
                            f"got {type(p).__name__}")
    if len({id(p) for p in params}) != len(params):
        raise ValueError(f"{owner}: the same parameter appears twice in params")
    return params


class Optimizer:
    """Holds ``params`` and ``learning_rate``; subclasses write their whole update in ``step()``.

    ``weight_decay`` > 0 adds decoupled weight decay (W -= learning_rate * weight_decay * W,
    Loshchilov & Hutter) to every weight matrix (parameters with >= 2 axes; biases and
    batch-norm scales are left alone, as the notes leave b out of the L2 term). For the
    notes' L2 cost term lambd/(2m) ||W||_F^2, see ``deepspec.optim.l2_penalty``.
    State arrays live in lists aligned with ``params``; parameters without a gradient
    (frozen, or unused this step) are skipped.
    """

    state_names: tuple = ()  # names of the per-parameter state lists, for state_dict
    hyper_names: tuple = ("learning_rate", "weight_decay")

    def __init__(self, params, learning_rate: float, *, weight_decay: float = 0.0):
        name = type(self).__name__
        self.params = as_parameter_list(params, name)
        if not learning_rate > 0:
            raise ValueError(f"{name}: learning_rate should be > 0, got {learning_rate}")
        if not weight_decay >= 0:
            raise ValueError(f"{name}: weight_decay should be >= 0, got {weight_decay}")
        self.learning_rate = float(learning_rate)
        self.weight_decay = float(weight_decay)
        self.t = 0  # steps taken

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} defines no step")

    def _decay(self, p) -> None:
        if self.weight_decay and p.data.ndim >= 2:
            p.data -= (self.learning_rate * self.weight_decay) * p.data

    def _zeros(self):
        return [xp.zeros_like(p.data) for p in self.params]

    # ---- state -----------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Hyperparameters, the step count and every state array (copies)."""
        return {
            "type": type(self).__name__,
            "hyper": {k: getattr(self, k) for k in self.hyper_names},
            "t": self.t,
            "state": {k: [a.copy() for a in getattr(self, k)] for k in self.state_names},
        }

    def load_state_dict(self, state: dict) -> None:
        name = type(self).__name__
        if not isinstance(state, dict):
            raise TypeError(f"{name}.load_state_dict: state should be a dict from "
                            f"state_dict(), got {type(state).__name__}")
        missing = [k for k in ("type", "hyper", "t", "state") if k not in state]
        if missing:
            raise ValueError(f"{name}.load_state_dict: state is missing {missing}")
        if state["type"] != name:
            raise ValueError(f"{name}.load_state_dict: state should be for {name!r}, "
                             f"got {state['type']!r}")
        for key in self.state_names:
            arrays = state["state"].get(key)
            if arrays is None or len(arrays) != len(self.params):
                got = None if arrays is None else len(arrays)
                raise ValueError(f"{name}.load_state_dict: '{key}' should hold "
                                 f"{len(self.params)} arrays, got {got}")
            for i, (a, p) in enumerate(zip(arrays, self.params)):
                if xp.shape(a) != p.data.shape:
                    raise ValueError(f"{name}.load_state_dict: {key}[{i}] should have shape "
                                     f"{p.data.shape}, got {xp.shape(a)}")
        for key, value in state["hyper"].items():
            if key in self.hyper_names:
                setattr(self, key, value)
        self.t = int(state["t"])
        for key in self.state_names:
            setattr(self, key, [xp.array(a, dtype=p.data.dtype)
                                for a, p in zip(state["state"][key], self.params)])

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={getattr(self, k)}" for k in self.hyper_names)
        return f"{type(self).__name__}({len(self.params)} params, {hyper})"
