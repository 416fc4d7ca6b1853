"""No regularization, L2 or dropout, on a small noisy set the plain network overfits.
course 2, week 1 (the "Regularization" assignment; notes §2.1 bias/variance, §2.2.1 L2,
§2.2.3 inverted dropout)

The assignment's data (a goalkeeper's kicks on a football field, 211 training and 200 test
points) does not ship in any package, so ``deepspec run regularization`` makes a set with
the same trouble: 150 training points uniform in [-1, 1]^2, the class is whether
x2 > 0.5 sin(3 x1), and 10% of the labels are flipped (noise a flexible network learns by
heart); a test set of 1000 points is drawn the same way. The assignment's [2, 20, 3, 1]
network (LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID, W ~ randn / sqrt(n[l-1])
from ``np.random.seed(3)``) trains three ways, side by side (``stacked.Nets``):

- no regularization: the training accuracy climbs, the test accuracy falls (high variance);
- L2, lambd = 0.7: J + lambd / (2m) sum ||W[l]||_F^2, dW[l] += (lambd / m) W[l];
- inverted dropout after both hidden layers, keep_prob = 0.86 (none at test time).

To keep the recipe to seconds, it trains with Adam (learning rate 0.01, 4000 full-batch
iterations) rather than the assignment's 30000 iterations of gradient descent at 0.3, which
show the same pattern more slowly. The course's numbers (train / test): none 94.8% / 91.5%,
L2 93.8% / 93%, dropout 92.9% / 95%: regularization gives up a little training accuracy
for more test accuracy. ``seed`` shifts the weight seed (seed 0 is the assignment's) and
draws the dropout masks; the data are fixed. ``save=PATH`` writes the three networks'
parameters (``Nets.save``), ``plot=PATH`` their decision boundaries on the training set.
"""

from __future__ import annotations

import math

import numpy as np

from ..optim import Adam
from .base import Option, Recipe, percent
from .plots import check_plot, plot_boundaries
from .stacked import Nets, assignment_parameters, print_table, train

LAYER_DIMS = (2, 20, 3, 1)
WEIGHT_SEED = 3                    # the assignment's np.random.seed(3)
TRAIN_SEED, TEST_SEED = 0, 1       # the data's, whatever the run's seed


def noisy_wave(m: int, *, seed: int, flip: float = 0.1):
    """m points uniform in [-1, 1]^2, y = [x2 > 0.5 sin(3 x1)], a fraction ``flip`` of the
    labels flipped at random. Returns X (m, 2) float64, y (m,) int64."""
    if m < 1 or not 0 <= flip < 0.5:
        raise ValueError(f"noisy_wave: m should be >= 1 and flip in [0, 0.5), got {m}, {flip}")
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (m, 2))
    y = (X[:, 1] > 0.5 * np.sin(3 * X[:, 0])).astype(np.int64)
    flipped = rng.random(m) < flip
    y[flipped] = 1 - y[flipped]
    return X, y


def run_regularization(seed: int = 0, epochs: int | None = None, quiet: bool = False,
                       save=None, plot=None, *, lambd: float = 0.7, keep_prob: float = 0.86,
                       learning_rate: float = 0.01) -> dict:
    """None / L2 / dropout, otherwise identical training; train and test accuracy of each.

    ``epochs``: full-batch Adam iterations (default 4000).
    """
    check_plot(plot)
    if not lambd > 0 or not 0 < keep_prob < 1:
        raise ValueError(f"regularization: lambd should be > 0 and keep_prob in (0, 1), got "
                         f"{lambd} and {keep_prob}")
    epochs = 4000 if epochs is None else epochs
    X, y = noisy_wave(150, seed=TRAIN_SEED)
    X_test, y_test = noisy_wave(1000, seed=TEST_SEED)
    names = ["none", "l2", "dropout"]
    parameters = assignment_parameters(LAYER_DIMS, lambda n: 1 / math.sqrt(n),
                                       WEIGHT_SEED + seed)
    nets = Nets([parameters] * len(names))
    costs = train(nets, X, y, [lambda p: Adam(p, learning_rate)] * len(names), epochs=epochs,
                  lambd=[0.0, lambd, 0.0], keep_prob=[1.0, 1.0, keep_prob], seed=seed,
                  quiet=quiet, desc="regularization")
    train_accuracy, test_accuracy = nets.accuracy(X, y), nets.accuracy(X_test, y_test)
    results = {
        "test_accuracy": dict(zip(names, test_accuracy)),
        "train_accuracy": dict(zip(names, train_accuracy)),
        "final_cost": {name: c[-1] if c else None for name, c in zip(names, costs)},
        "iterations": epochs,
        "lambd": lambd,
        "keep_prob": keep_prob,
    }
    labels = {"none": "no regularization", "l2": f"L2, lambd = {lambd:g}",
              "dropout": f"dropout, keep_prob = {keep_prob:g}"}
    if not quiet:
        print(f"regularization: [2, 20, 3, 1] ReLU network, 150 noisy training points, 1000 "
              f"test points, {epochs} iterations of Adam")
        print_table(["network", "train %", "test %", "final cost"],
                    [[labels[name], train_accuracy[j], test_accuracy[j],
                      costs[j][-1] if costs[j] else None] for j, name in enumerate(names)])
    if save is not None:
        nets.save(save, names, metadata={"recipe": "regularization", **results})
    if plot is not None:
        plot_boundaries({f"{labels[name]}: train {percent(train_accuracy[j])}, test "
                         f"{percent(test_accuracy[j])}": nets.predictor(j)
                         for j, name in enumerate(names)}, X, y, plot, columns=3, margin=0.25,
                        title="regularization: decision boundaries (training set)")
    return results


def regularization_headline(results: dict) -> str:
    train, test = results["train_accuracy"], results["test_accuracy"]
    return "train / test: " + ", ".join(f"{name} {100 * train[name]:.1f} / {100 * test[name]:.1f}"
                                        for name in test)


RECIPES = (
    Recipe(
        name="regularization",
        run=run_regularization,
        summary="no regularization / L2 / dropout on a small noisy set (train / test accuracy)",
        metric="test_accuracy",
        course="train / test: none 94.8% / 91.5%, L2 93.8% / 93%, dropout 92.9% / 95% (on "
               "the assignment's football data; ours is a generated noisy set)",
        fast=True,
        headline=regularization_headline,
        options=(
            Option("lambd", float, 0.7, "L2 regularization strength"),
            Option("keep-prob", float, 0.86, "dropout keep probability"),
            Option("learning-rate", float, 0.01, "Adam's learning rate"),
        ),
    ),
)
