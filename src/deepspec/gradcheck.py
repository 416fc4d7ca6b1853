"""Numerical gradient checking.   notes §2.3.3-2.3.4

The notes' two-sided difference
    d(theta)_approx[i] = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps),
compared with backprop's gradient by
    difference = ||grad - approx||_2 / (||grad||_2 + ||approx||_2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .tensor import Tensor, no_grad


@dataclass
class GradcheckResult:
    """The notes' difference over all inputs, and per input."""

    difference: float
    per_input: list = field(default_factory=list)
    worst: list = field(default_factory=list)  # (input index, element index, |grad - approx|)

    def __float__(self) -> float:
        return self.difference

    def __lt__(self, other) -> bool:
        return self.difference < other

    def __le__(self, other) -> bool:
        return self.difference <= other

    def __gt__(self, other) -> bool:
        return self.difference > other

    def __ge__(self, other) -> bool:
        return self.difference >= other


def relative_difference(grad, approx) -> float:
    """||grad - approx|| / (||grad|| + ||approx||), 0 when both are zero.   notes §2.3.3"""
    grad, approx = np.ravel(grad), np.ravel(approx)
    denominator = np.linalg.norm(grad) + np.linalg.norm(approx)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(grad - approx) / denominator)


def gradcheck(fn, inputs, *, eps: float = 1e-6, seed: int = 0, wrt=None,
              n_worst: int = 5) -> GradcheckResult:
    """Compare backprop with central differences for ``fn(*tensors)``, in float64.

    ``inputs`` are arrays (or Tensors, whose data is used); each floating one becomes a
    float64 Tensor, and integer or boolean ones (class ids, masks) are passed to ``fn`` as
    they are unless ``wrt`` names them. The output of any shape is projected on a fixed random
    direction, so the checked scalar is J = sum(fn(...) * direction). ``wrt`` lists the input
    indices to check (default: all floating inputs). Returns a ``GradcheckResult`` that
    compares like a float: ``assert gradcheck(f, [x]) < 1e-7``.
    """
    if isinstance(inputs, (np.ndarray, Tensor)):
        inputs = [inputs]
    arrays = [np.asarray(x.data if isinstance(x, Tensor) else x) for x in inputs]
    floating = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    wrt = floating if wrt is None else list(wrt)
    tensors = [Tensor(np.array(a, dtype=np.float64), requires_grad=(i in wrt))
               if i in wrt or i in floating else a for i, a in enumerate(arrays)]
    out = fn(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn should return a Tensor, got {type(out).__name__}")
    direction = np.random.default_rng(seed).standard_normal(out.shape)
    (out * direction).sum().backward()

    def J() -> float:
        with no_grad():
            return float((fn(*tensors).data * direction).sum())

    per_input, worst, all_grad, all_approx = [], [], [], []
    for i in wrt:
        x = tensors[i]
        approx = np.zeros_like(x.data)
        for idx in np.ndindex(x.data.shape):
            saved = x.data[idx]
            x.data[idx] = saved + eps
            j_plus = J()
            x.data[idx] = saved - eps
            j_minus = J()
            x.data[idx] = saved
            approx[idx] = (j_plus - j_minus) / (2 * eps)
        grad = np.zeros_like(x.data) if x.grad is None else x.grad
        per_input.append(relative_difference(grad, approx))
        err = np.abs(grad - approx)
        for flat in np.argsort(err, axis=None)[::-1][:n_worst]:
            worst.append((i, np.unravel_index(flat, err.shape), float(err.flat[flat])))
        all_grad.append(grad.ravel())
        all_approx.append(approx.ravel())
    worst.sort(key=lambda w: -w[2])
    difference = relative_difference(np.concatenate(all_grad or [np.zeros(0)]),
                                      np.concatenate(all_approx or [np.zeros(0)]))
    return GradcheckResult(difference, per_input, worst[:n_worst])


def gradient_check(model, X, Y, loss, *, lambd: float = 0.0, eps: float = 1e-7,
                   n_worst: int = 5) -> GradcheckResult:
    """The notes' gradient check of a whole model on (X, Y).   notes §2.3.4

    Every parameter is nudged by +-eps in turn (the vectorized theta) and the two-sided
    difference of the cost J = loss(model(X), Y) (+ the L2 term lambd/(2m) ||W||^2 if
    ``lambd``) is compared with backprop's d(theta). It runs in float64 on a copy of the
    model (the model itself is untouched). It refuses a model with active dropout: the
    random masks make J a different function on every evaluation (the notes: turn dropout
    off, check, turn it back on). ``worst`` names the parameters that disagree most.
    """
    import copy

    from .nn.layers import Dropout
    from .ops.losses import get as get_loss
    from .optim.regularization import l2_penalty

    for module in model.modules():
        if isinstance(module, Dropout) and module.training and module.keep_prob < 1:
            raise RuntimeError(
                "gradient_check: the model has active dropout (keep_prob="
                f"{module.keep_prob}); its random masks change J on every evaluation, so "
                "the check cannot work. Call model.eval() or use keep_prob=1 for the check"
            )
    loss_fn = get_loss(loss)
    checked = copy.deepcopy(model).astype(np.float64)
    X = Tensor(np.asarray(X.data if isinstance(X, Tensor) else X, dtype=np.float64))
    Y = Y.data if isinstance(Y, Tensor) else np.asarray(Y)
    if Y.dtype.kind == "f":
        Y = Y.astype(np.float64)
    m = X.shape[0]
    named = [(n, p) for n, p in checked.named_parameters() if p.requires_grad]

    def cost() -> Tensor:
        J = loss_fn(checked(X), Y)
        if lambd:
            J = J + l2_penalty(checked, lambd, m)
        return J

    checked.zero_grad()
    cost().backward()
    grads = [np.zeros_like(p.data) if p.grad is None else p.grad.copy() for _, p in named]
    approx = [np.zeros_like(p.data) for _, p in named]
    with no_grad():
        for (_, p), a in zip(named, approx):
            flat, out = p.data.reshape(-1), a.reshape(-1)
            for i in range(flat.size):
                saved = flat[i]
                flat[i] = saved + eps
                j_plus = float(cost().data)
                flat[i] = saved - eps
                j_minus = float(cost().data)
                flat[i] = saved
                out[i] = (j_plus - j_minus) / (2 * eps)
    per_param = [relative_difference(g, a) for g, a in zip(grads, approx)]
    worst = []
    for (name, _), g, a in zip(named, grads, approx):
        err = np.abs(g - a)
        for flat in np.argsort(err, axis=None)[::-1][:n_worst]:
            worst.append((name, np.unravel_index(flat, err.shape), float(err.flat[flat])))
    worst.sort(key=lambda w: -w[2])
    difference = relative_difference(np.concatenate([g.ravel() for g in grads]),
                                     np.concatenate([a.ravel() for a in approx]))
    return GradcheckResult(difference, per_param, worst[:n_worst])
