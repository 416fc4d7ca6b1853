"""Random hyperparameter search on a log scale, coarse to fine, on an MNIST subset.
notes §2.5 (course 2 week 3: "Try random values: don't use a grid", "Coarse to fine",
"Using an appropriate scale to pick hyperparameters", "Pandas vs. caviar")

``deepspec run hparam-search`` samples Adam's learning rate alpha = 10^r (r uniform in
[-4, -1]) and its beta1 = 1 - 10^r (r uniform in [-2, -0.3], beta1 in [0.5, 0.99]), trains a
[784, 64, 10] ReLU network on 10000 training images for each sample and ranks the samples by
accuracy on 2000 dev images; a second round samples again inside the region of the best
quarter. ``--workers N`` trains N models at once in separate processes (the notes' caviar).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import data, models
from ..optim import Adam
from ..strategy import LogUniform, OneMinusLogUniform, coarse_to_fine
from ..train import fit, predict
from .base import Option, Recipe, percent
from .plots import check_plot, pyplot

N_TRAIN, N_DEV = 10000, 2000
SPACE = {"learning_rate": LogUniform(1e-4, 1e-1), "beta1": OneMinusLogUniform(0.5, 0.99)}
_SUBSET: dict = {}  # per process: the subset, read once


def mnist_subset(path=None):
    """The first 10000 training and 2000 validation images (the same in every process)."""
    key = str(path)
    if key not in _SUBSET:
        mnist = data.load_mnist(path)
        (X, y), (X_dev, y_dev) = mnist["train"], mnist["valid"]
        _SUBSET.clear()
        _SUBSET[key] = (X[:N_TRAIN], y[:N_TRAIN], X_dev[:N_DEV], y_dev[:N_DEV])
    return _SUBSET[key]


def train_one(params: dict, seed: int, *, epochs: int = 3, hidden: int = 64, path=None) -> dict:
    """One trial: the network trained with these hyperparameters; its dev and train accuracy
    (a top-level function, so worker processes can run it)."""
    X, y, X_dev, y_dev = mnist_subset(path)
    model = models.mlp([784, hidden, 10], seed=seed)
    optimizer = Adam(model.parameters(), learning_rate=params["learning_rate"],
                     beta1=params["beta1"])
    history = fit(model, X, y, loss="softmax_cross_entropy", optimizer=optimizer,
                  epochs=epochs, batch_size=128, metrics=["accuracy"], verbose=0, seed=seed)
    dev = float(np.mean(predict(model, X_dev).argmax(axis=1) == y_dev))
    return {"dev_accuracy": dev, "train_accuracy": float(history.history["accuracy"][-1])}


def run(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None, plot=None, *,
        trials: int = 8, rounds: int = 2, workers: int = 1, path=None) -> dict:
    """``trials`` samples per round for ``rounds`` rounds, each trained ``epochs`` (3) epochs."""
    check_plot(plot)
    if save is not None:
        raise ValueError("hparam-search compares many small models and saves none; "
                         "run mnist-mlp with the best values to get a model to save")
    epochs = 3 if epochs is None else epochs
    mnist_subset(path)  # read (or fail) before starting workers
    objective = partial(train_one, epochs=epochs, path=path)
    result = coarse_to_fine(objective, SPACE, rounds=rounds, n_trials=trials, keep=0.25,
                            seed=seed, workers=workers, optimize="dev_accuracy", quiet=quiet)
    if not quiet:
        print(result.table(top=10))
    best = result.best
    by_round = [[t for t in result.trials if t.round == r] for r in range(rounds)]
    results = {
        "best_dev_accuracy": round(best.metrics["dev_accuracy"], 4),
        "best_learning_rate": float(f"{best.params['learning_rate']:.3g}"),
        "best_beta1": float(f"{best.params['beta1']:.4g}"),
        "round_best": [round(max(t.metrics["dev_accuracy"] for t in ts), 4) for ts in by_round],
        "round_median": [round(float(np.median([t.metrics["dev_accuracy"] for t in ts])), 4)
                         for ts in by_round],
        "trials": len(result.trials),
        "epochs": epochs,
        "learning_rates": [float(f"{t.params['learning_rate']:.3g}") for t in result.trials],
    }
    if plot is not None:
        _plot(result, plot)
    return results


def _plot(result, path) -> None:
    """Each trial's dev accuracy against its learning rate (log scale), by round."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in sorted({t.round for t in result.trials}):
        ts = [t for t in result.trials if t.round == r]
        ax.scatter([t.params["learning_rate"] for t in ts],
                   [t.metrics["dev_accuracy"] for t in ts], label=f"round {r}")
    ax.set(xscale="log", xlabel="learning rate alpha (log scale)", ylabel="dev accuracy",
           title="hparam-search: coarse to fine")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


RECIPES = (
    Recipe(
        name="hparam-search",
        run=run,
        summary="random search, coarse to fine, for Adam's alpha (log scale) and beta1 "
                "(1 - beta on a log scale) on an MNIST subset",
        metric="best_dev_accuracy",
        course="sample alpha and 1 - beta on log scales, at random, not on a grid; zoom "
               "in on the best region (qualitative)",
        fast=True,
        data=("mnist",),
        headline=lambda r: (f"{percent(r['best_dev_accuracy'])} dev at alpha "
                            f"{r['best_learning_rate']:.2g}, beta1 {r['best_beta1']:.3g}"),
        options=(
            Option("trials", int, 8, "models trained per round"),
            Option("rounds", int, 2, "coarse-to-fine rounds"),
            Option("workers", int, 1, "train this many models at once, one per process"),
        ),
    ),
)
