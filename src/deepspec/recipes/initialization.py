"""Zeros, large random or He initialization of one network.   course 2, week 1
(the "Initialization" assignment; notes §1.3.4 symmetry, §2.3.2 weight initialization)

``deepspec run init-circles`` trains the assignment's [2, 10, 5, 1] network
(LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID) on its circles (300 training points,
100 test points: ``make_circles`` with the assignment's seeds 1 and 2) for 15000 full-batch
gradient-descent iterations at learning rate 0.01, from three initializations drawn as the
assignment draws them (``np.random.seed(3)``, one ``randn`` per layer):

- zeros: every unit of a layer computes the same thing; the net predicts one class (50%);
- large random, randn * 10: the sigmoid saturates, the first cost is huge (the assignment
  prints inf, its log(0); the cost from the logits here is finite, about 1774) and learning
  is slow (83% training, 86% test accuracy);
- He, randn * sqrt(2 / n[l-1]): 99.3% training, 96% test accuracy.

The three train side by side (``stacked.Nets``), exactly as if alone. ``seed`` shifts the
assignment's weight seed (seed 0 is its draw); the circles are always the assignment's.
``save=PATH`` writes the three networks' parameters (``Nets.save``), ``plot=PATH`` their
decision boundaries on the training set.
"""

from __future__ import annotations

import math

from ..backend import default_dtype
from ..data import make_circles
from ..optim import GD
from .base import Option, Recipe, percent
from .plots import check_plot, plot_boundaries
from .stacked import Nets, assignment_parameters, print_table, train

LAYER_DIMS = (2, 10, 5, 1)
WEIGHT_SEED = 3     # the assignment's np.random.seed(3) in initialize_parameters_*
INITS = {           # the assignment's scale of randn(n[l], n[l-1]) for each initialization
    "zeros": 0.0,
    "random": 10.0,
    "he": lambda n_prev: math.sqrt(2.0 / n_prev),
}


def circles():
    """The assignment's circles, float64: (X_train (300, 2), y_train, X_test (100, 2), y_test)."""
    with default_dtype("float64"):
        return (*make_circles(300, noise=0.05, seed=1), *make_circles(100, noise=0.05, seed=2))


def run_init(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None,
             plot=None, *, learning_rate: float = 0.01) -> dict:
    """Zeros / random (x10) / He initialization, otherwise identical training.   notes §2.3.2

    ``epochs``: full-batch gradient-descent iterations (default 15000, the assignment's).
    """
    check_plot(plot)
    epochs = 15000 if epochs is None else epochs
    X, y, X_test, y_test = circles()
    nets = Nets([assignment_parameters(LAYER_DIMS, scale, WEIGHT_SEED + seed)
                 for scale in INITS.values()])
    costs = train(nets, X, y, [lambda p: GD(p, learning_rate)] * len(INITS), epochs=epochs,
                  quiet=quiet, desc="init-circles")
    train_accuracy, test_accuracy = nets.accuracy(X, y), nets.accuracy(X_test, y_test)
    names = list(INITS)
    results = {
        "test_accuracy": test_accuracy[names.index("he")],
        "train": dict(zip(names, train_accuracy)),
        "test": dict(zip(names, test_accuracy)),
        "cost_first": {name: c[0] if c else None for name, c in zip(names, costs)},
        "cost_last": {name: c[-1] if c else None for name, c in zip(names, costs)},
        "iterations": epochs,
    }
    if not quiet:
        print(f"init-circles: [2, 10, 5, 1] ReLU network on the assignment's circles, {epochs} "
              f"iterations of gradient descent, learning rate {learning_rate}")
        print_table(["initialization", "train %", "test %", "first cost", "last cost"],
                    [[name, train_accuracy[j], test_accuracy[j], costs[j][0] if costs[j] else
                      None, costs[j][-1] if costs[j] else None]
                     for j, name in enumerate(names)])
    if save is not None:
        nets.save(save, names, metadata={"recipe": "init-circles", **results})
    if plot is not None:
        labels = {"zeros": "zeros", "random": "random x 10", "he": "He"}
        plot_boundaries({f"{labels[name]}: train {percent(train_accuracy[j])}, test "
                         f"{percent(test_accuracy[j])}": nets.predictor(j)
                         for j, name in enumerate(names)}, X, y, plot, columns=3,
                        title="init-circles: decision boundaries (training set)")
    return results


RECIPES = (
    Recipe(
        name="init-circles",
        run=run_init,
        summary="zeros / large random / He initialization of a [2, 10, 5, 1] net on circles",
        metric="test_accuracy",
        course="test 50% / 86% / 96% (train 50% / 83% / 99%): zeros / random x10 / He",
        fast=True,
        headline=lambda results: " / ".join(percent(a) for a in results["test"].values()),
        options=(Option("learning-rate", float, 0.01, "gradient-descent learning rate"),),
    ),
)
