"""Gradient checking: backprop against two-sided differences.   course 2, week 1
(the "Gradient Checking" assignment; notes §2.3.3-2.3.4)

``deepspec run gradcheck`` runs the notes' check

    difference = ||d(theta) - d(theta)_approx||_2 / (||d(theta)||_2 + ||d(theta)_approx||_2),
    d(theta)_approx[i] = (J(theta + epsilon e_i) - J(theta - epsilon e_i)) / (2 epsilon),

with epsilon = 1e-7 and the assignment's threshold 2e-7:

1. on the assignment's own case (X (4, 3), Y = [1, 1, 0], a [4, 5, 3, 1] ReLU network,
   every array drawn by ``randn`` after ``np.random.seed(1)``) with ``deepspec.classic``'s
   ``L_model_backward``: below 2e-7;
2. on the same case with the assignment's two planted bugs (dW2 twice too large, db1 four
   times): 0.285, as the course's ("There is a mistake in the backward propagation!");
3. on a deeper [4, 8, 6, 5, 3, 1] network with the L2 term (lambd = 0.7; notes: "remember
   regularization"): below 2e-7;
4. with ``deepspec.gradient_check`` on the same deeper network built from layers
   (``deepspec.models.mlp``), once as it is and once with one layer whose backward doubles
   dW: the per-parameter differences name the broken parameter, the only one above the
   notes' "~1e-3: worry" (notes: "look at components to try to identify the bug"; a
   parameter with tiny gradients can sit above 2e-7 from rounding alone).

Nothing is trained: ``epochs`` does not apply and ``save`` has no model to write (both raise
a ValueError). ``plot=PATH`` draws the per-parameter differences of step 4.
"""

from __future__ import annotations

import numpy as np

from .. import classic, models
from ..gradcheck import gradient_check
from ..nn import Dense, Sequential
from ..ops.basic import Linear
from .base import Recipe
from .plots import check_plot, plot_bars

THRESHOLD = 2e-7              # the assignment's: above it, "There is a mistake"
WORRY = 1e-3                  # the notes' "~1e-3: worry", for one parameter's components
EPSILON = 1e-7
DEEP_DIMS = (4, 8, 6, 5, 3, 1)
LAMBD = 0.7


def assignment_case():
    """The assignment's gradient_check_n test case: X (4, 3), Y (1, 3) and a [4, 5, 3, 1]
    network, every array from ``randn`` after ``np.random.seed(1)`` in its order."""
    random_state = np.random.RandomState(1)
    X = random_state.randn(4, 3)
    Y = np.array([[1.0, 1.0, 0.0]])
    parameters = {}
    for l, (n, n_prev) in enumerate([(5, 4), (3, 5), (1, 3)], start=1):
        parameters[f"W{l}"] = random_state.randn(n, n_prev)
        parameters[f"b{l}"] = random_state.randn(n, 1)
    return X, Y, parameters


def planted_bugs(grads: dict) -> dict:
    """The assignment's two bugs in backward propagation: dW2 * 2 and db1 * 4."""
    return {**grads, "dW2": grads["dW2"] * 2, "db1": grads["db1"] * 4}


def notes_check(X, Y, parameters, *, lambd: float = 0.0, broken: bool = False) -> float:
    """The notes' difference for L_model_backward's gradients (bugs planted if ``broken``)."""
    AL, caches = classic.L_model_forward(X, parameters)
    grads = classic.L_model_backward(AL, Y, caches, lambd)
    if broken:
        grads = planted_bugs(grads)
    return classic.gradient_check_n(parameters, grads, X, Y, epsilon=EPSILON, lambd=lambd)


class DoubledWeightGradient(Linear):
    """Z = A_prev W^T + b with a planted bug in backward: dW twice too large."""

    def backward(self, dZ):
        dA_prev, dW, *db = super().backward(dZ)
        return (dA_prev, None if dW is None else 2 * dW, *db)


class BrokenDense(Dense):
    """A Dense layer whose backward is wrong (``DoubledWeightGradient``)."""

    def forward(self, A_prev):
        return DoubledWeightGradient.apply(A_prev, self.W, self.b)


def break_layer(model: Sequential, index: int) -> Sequential:
    """A copy of ``model`` with its ``index``-th layer (a Dense) replaced by a BrokenDense
    holding the same parameters."""
    layers = list(model.layers)
    dense = layers[index]
    broken = BrokenDense(dense.n_prev, dense.n)
    broken.W, broken.b = dense.W, dense.b
    layers[index] = broken
    return Sequential(*layers)


def per_parameter(model, X, Y) -> dict:
    """{parameter name: the notes' difference for it alone} from ``deepspec.gradient_check``,
    on the cross-entropy of the model's logits."""
    result = gradient_check(model, X, Y, "binary_cross_entropy_with_logits", eps=EPSILON)
    names = [name for name, p in model.named_parameters() if p.requires_grad]
    return {"difference": result.difference, **dict(zip(names, result.per_input))}


def run_gradcheck(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None,
                  plot=None) -> dict:
    """The notes' gradient check, passing and failing.   notes §2.3.4

    ``seed`` draws the deeper network's weights and data (the assignment's case is fixed).
    """
    if epochs is not None:
        raise ValueError("gradcheck: nothing is trained, so --epochs does not apply")
    if save is not None:
        raise ValueError("gradcheck: there is no trained model to save")
    check_plot(plot)
    X, Y, parameters = assignment_case()
    difference = notes_check(X, Y, parameters)
    broken_difference = notes_check(X, Y, parameters, broken=True)

    rng = np.random.default_rng(seed)
    X_deep = rng.standard_normal((DEEP_DIMS[0], 10))
    Y_deep = (rng.random((1, 10)) < 0.5).astype(np.float64)
    deep = classic.initialize_parameters_deep(DEEP_DIMS, "he", seed=rng, dtype=np.float64)
    l2_difference = notes_check(X_deep, Y_deep, deep, lambd=LAMBD)

    model = models.mlp(DEEP_DIMS, output=None, seed=rng).astype(np.float64)
    broken_index = 2  # the second Dense layer (layers: Dense, ReLU, Dense, ...)
    checks = {"backprop": per_parameter(model, X_deep.T, Y_deep.T),
              "one broken layer": per_parameter(break_layer(model, broken_index), X_deep.T,
                                                Y_deep.T)}
    flagged = [name for name, value in checks["one broken layer"].items()
               if name != "difference" and value > WORRY]
    results = {
        "difference": difference,
        "broken_difference": broken_difference,
        "l2_difference": l2_difference,
        "layers_difference": checks["backprop"]["difference"],
        "layers_broken_difference": checks["one broken layer"]["difference"],
        "flagged": flagged,
        "broken_parameter": f"{broken_index}.W",
        "detected": bool(difference < THRESHOLD < broken_difference
                         and checks["backprop"]["difference"] < THRESHOLD
                         and flagged == [f"{broken_index}.W"]),
    }
    if not quiet:
        print(f"gradcheck: epsilon = {EPSILON:g}; a difference above {THRESHOLD:g} means a "
              f"mistake in backward propagation")
        rows = [("the assignment's case, L_model_backward", difference),
                ("the same with its two planted bugs", broken_difference),
                (f"{list(DEEP_DIMS)}, L2 lambd = {LAMBD}", l2_difference),
                (f"{list(DEEP_DIMS)} from layers", checks["backprop"]["difference"]),
                ("the same, one layer's dW doubled", checks["one broken layer"]["difference"])]
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            verdict = "ok" if value < THRESHOLD else "MISTAKE"
            print(f"{name:<{width}}  {value:.3e}  {verdict}")
        print(f"parameters above {WORRY:g} with the broken layer: {', '.join(flagged)}")
    if plot is not None:
        groups = {label: {name: max(value, 1e-16) for name, value in check.items()
                          if name != "difference"} for label, check in checks.items()}
        plot_bars(groups, plot, title="gradcheck: per-parameter difference", logy=True,
                  ylabel="relative difference", hline=WORRY)
    return results


def gradcheck_headline(results: dict) -> str:
    flagged = ", ".join(results["flagged"]) or "none"
    return (f"{results['difference']:.2g}; {results['broken_difference']:.3g} with the bugs; "
            f"flags {flagged}")


RECIPES = (
    Recipe(
        name="gradcheck",
        run=run_gradcheck,
        summary="the notes' gradient check: passes on backprop, catches planted bugs",
        metric="difference",
        course="difference < 2e-7 when backprop is right; 0.285 with the assignment's two "
               "planted bugs (dW2 x 2, db1 x 4)",
        fast=True,
        headline=gradcheck_headline,
    ),
)
