"""A deep network with and without batch normalization.   course 2, week 3
(notes §2.6.1 batch norm in a network, §2.6.2 "why does batch norm work", §2.6.3 test time)

``deepspec run batchnorm`` trains two copies of one deep MLP on scikit-learn's 8x8 digits
(1437 training and 360 dev images, 64 pixels in [0, 1], 10 classes): 10 hidden layers of 32
ReLU units, He initialization, softmax output, mini-batch gradient descent (batches of 64,
learning rate 0.05, 25 epochs), from the same seed. One normalizes Z[l] in every hidden
layer (Z_norm = (Z - mu) / sqrt(sigma^2 + epsilon), Z~ = gamma Z_norm + beta, before the
activation; no bias b[l], as the notes) and the other does not. The course says batch norm
speeds up learning (each layer's inputs keep a steady mean and variance while the earlier
layers change); the recipe counts the epochs each needs to bring its training cost (the
mean cost over the epoch's batches) below a target, and reports both dev accuracies (the
batch-norm network at test time uses the running averages of mu and sigma^2).

``activation`` = "sigmoid" shows the effect of Ioffe and Szegedy's 2015 paper more starkly:
without batch norm the deep sigmoid network barely moves. ``save=PATH`` writes the
batch-norm network (``deepspec.io.save``, with the results as metadata), ``plot=PATH`` both
training-cost curves.
"""

from __future__ import annotations

from .. import models
from ..data import load_digits
from ..io import save as save_checkpoint
from ..optim import GD
from ..train import evaluate, fit
from .base import Option, Recipe, percent
from .plots import check_plot, plot_curves

TRAIN_SIZE = 1437    # the first 80% of the 1797 digits; the rest is the dev set
INITS = {"relu": "he", "tanh": "xavier", "sigmoid": "he"}


def epochs_to(costs, target: float):
    """The first epoch (counted from 1) whose cost is <= target, or None."""
    return next((epoch for epoch, cost in enumerate(costs, start=1) if cost <= target), None)


def run_batchnorm(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None,
                  plot=None, *, depth: int = 10, width: int = 32, activation: str = "relu",
                  learning_rate: float = 0.05, batch_size: int = 64,
                  target: float = 0.2) -> dict:
    """The same deep MLP with and without batch norm: epochs to reach the target cost."""
    check_plot(plot)
    if activation not in INITS:
        raise ValueError(f"batchnorm: activation should be one of {sorted(INITS)}, got "
                         f"{activation!r}")
    if depth < 1 or width < 1 or batch_size < 1 or not target > 0:
        raise ValueError(f"batchnorm: depth, width, batch_size should be >= 1 and target > 0, "
                         f"got {depth}, {width}, {batch_size}, {target}")
    epochs = 25 if epochs is None else epochs
    X, y = load_digits()
    train, dev = (X[:TRAIN_SIZE], y[:TRAIN_SIZE]), (X[TRAIN_SIZE:], y[TRAIN_SIZE:])
    layer_dims = [X.shape[1]] + [width] * depth + [10]
    curves, accuracy, trained = {}, {}, {}
    for name, batch_norm in [("plain", False), ("batch_norm", True)]:
        model = models.mlp(layer_dims, hidden=activation, output=None, init=INITS[activation],
                           batch_norm=batch_norm, seed=seed)
        history = fit(model, *train, loss="softmax_cross_entropy",
                      optimizer=GD(model.parameters(), learning_rate), epochs=epochs,
                      batch_size=batch_size, seed=seed, verbose=0 if quiet else 1)
        curves[name] = history["loss"]
        accuracy[name] = evaluate(model, *dev, loss="softmax_cross_entropy",
                                  metrics=["accuracy"])["accuracy"]
        trained[name] = model
    results = {
        "epochs_to_target": {name: epochs_to(c, target) for name, c in curves.items()},
        "target": target,
        "final_cost": {name: c[-1] if c else None for name, c in curves.items()},
        "dev_accuracy": accuracy,
        "epochs": epochs,
        "layers": layer_dims,
    }
    if not quiet:
        print(f"batchnorm: {depth} hidden layers of {width} {activation} units on the digits, "
              f"gradient descent at {learning_rate}, batches of {batch_size}")
        for name, label in [("plain", "without batch norm"), ("batch_norm", "with batch norm")]:
            reached = results["epochs_to_target"][name]
            print(f"{label:<19} cost <= {target:g} after "
                  f"{'no' if reached is None else reached} of {epochs} epochs; final cost "
                  f"{curves[name][-1]:.4f}; dev accuracy {percent(accuracy[name])}")
    if save is not None:
        save_checkpoint(trained["batch_norm"], save,
                        metadata={"recipe": "batchnorm", **results})
    if plot is not None:
        plot_curves({"without batch norm": curves["plain"],
                     "with batch norm": curves["batch_norm"]}, plot, logy=True,
                    title=f"batchnorm: {depth} x {width} {activation} MLP on the digits",
                    ylabel="training cost (mean over the epoch)", hline=target)
    return results


def batchnorm_headline(results: dict) -> str:
    reached = results["epochs_to_target"]

    def text(n):
        return f">{results['epochs']}" if n is None else str(n)

    return (f"cost <= {results['target']:g} in {text(reached['batch_norm'])} epochs with BN, "
            f"{text(reached['plain'])} without")


RECIPES = (
    Recipe(
        name="batchnorm",
        run=run_batchnorm,
        summary="a 10-layer MLP with and without batch norm: epochs to reach a target cost",
        metric="epochs_to_target",
        course="batch norm speeds up learning (qualitative; Ioffe & Szegedy 2015: the same "
               "accuracy in far fewer steps)",
        fast=True,
        headline=batchnorm_headline,
        options=(
            Option("depth", int, 10, "hidden layers"),
            Option("width", int, 32, "units per hidden layer"),
            Option("activation", str, "relu", "hidden activation: relu, tanh or sigmoid"),
            Option("learning-rate", float, 0.05, "gradient-descent learning rate"),
            Option("batch-size", int, 64, "mini-batch size"),
            Option("target", float, 0.2, "the training cost to reach"),
        ),
    ),
)
