"""Mini-batch gradient descent, momentum and Adam, with and without learning-rate decay.
course 2, week 2 (the "Optimization Methods" assignment; notes §2.4.1 mini-batches, §2.4.3
momentum, §2.4.5 Adam, §2.4.7 learning-rate decay)

``deepspec run optim-moons`` trains the assignment's [2, 5, 2, 1] network
(LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID, W ~ randn * sqrt(2 / n[l-1]) from
``np.random.seed(3)``) on its moons (``make_moons``: 300 points, seed 3) with mini-batches
of 64, reshuffled each epoch as the assignment does (``np.random.seed(10 + epoch + 1)``):

- 10000 epochs at learning rate 0.0007 with gradient descent, momentum (beta = 0.9) and
  Adam (beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8): 79.7% / 79.7% / 94% training
  accuracy, as the course's. At this small rate momentum barely differs from plain GD.
- 5000 epochs with the scheduled decay alpha = alpha0 / (1 + floor(epoch / 1000))
  (``deepspec.optim.staircase``; decay rate 1), alpha0 = 0.1 for GD and momentum, 0.01 for
  Adam, as in the assignment's later edition: the decay lets GD and momentum catch up with
  Adam (ours: 94.3% / 95.3% / 94.0%; the course reports about 94.6% / 95.6% / 94%).

All six train side by side (``stacked.Nets``), exactly as if alone. ``seed`` shifts the
assignment's weight and shuffle seeds (seed 0 is its run); the moons are always the
assignment's. ``save=PATH`` writes the six networks' parameters (``Nets.save``),
``plot=PATH`` their decision boundaries.
"""

from __future__ import annotations

import math

from ..backend import default_dtype
from ..data import make_moons
from ..optim import GD, Adam, Momentum, staircase
from .base import Option, Recipe, percent
from .plots import check_plot, plot_boundaries
from .stacked import Nets, assignment_parameters, assignment_shuffles, print_table, train

LAYER_DIMS = (2, 5, 2, 1)
WEIGHT_SEED, SHUFFLE_SEED = 3, 10    # the assignment's np.random.seed(3) and seed = 10
OPTIMIZERS = {
    "gd": lambda params, alpha: GD(params, alpha),
    "momentum": lambda params, alpha: Momentum(params, alpha, beta=0.9),
    "adam": lambda params, alpha: Adam(params, alpha, beta1=0.9, beta2=0.999, epsilon=1e-8),
}
LEARNING_RATE = 0.0007                                    # the comparison's, all three
DECAY_ALPHA0 = {"gd": 0.1, "momentum": 0.1, "adam": 0.01}   # alpha0 with decay


def moons():
    """The assignment's 300 moons, float64: X (300, 2), y (300,)."""
    with default_dtype("float64"):
        return make_moons(300, noise=0.2, seed=3)


def variants(decay_interval: int = 1000) -> dict:
    """name -> (optimizer factory, learning-rate schedule or None): the course's six runs."""
    out = {name: (lambda p, make=make: make(p, LEARNING_RATE), None)
           for name, make in OPTIMIZERS.items()}
    for name, make in OPTIMIZERS.items():
        alpha0 = DECAY_ALPHA0[name]
        out[f"{name}+decay"] = (lambda p, make=make, a=alpha0: make(p, a),
                                staircase(alpha0, decay_rate=1.0, interval=decay_interval))
    return out


def run_optim(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None,
              plot=None, *, batch_size: int = 64) -> dict:
    """GD / momentum / Adam on mini-batches, then the same with scheduled decay.

    ``epochs``: every run's epochs (default: the course's, 10000 without decay and 5000
    with).
    """
    check_plot(plot)
    if batch_size < 1:
        raise ValueError(f"optim-moons: batch_size should be >= 1, got {batch_size}")
    X, y = moons()
    runs = variants()
    names = list(runs)
    run_epochs = [(10000 if "decay" not in name else 5000) if epochs is None else epochs
                  for name in names]
    nets = Nets([assignment_parameters(LAYER_DIMS, lambda n: math.sqrt(2 / n),
                                       WEIGHT_SEED + seed)] * len(names))
    costs = train(nets, X, y, [runs[name][0] for name in names], epochs=run_epochs,
                  batches=assignment_shuffles(len(X), batch_size, SHUFFLE_SEED + seed),
                  schedules=[runs[name][1] for name in names], quiet=quiet,
                  desc="optim-moons")
    accuracy = nets.accuracy(X, y)
    results = {
        "accuracy": accuracy[names.index("adam")],
        "by_optimizer": dict(zip(names, accuracy)),
        "final_cost": {name: c[-1] if c else None for name, c in zip(names, costs)},
        "epochs": dict(zip(names, run_epochs)),
        "batch_size": batch_size,
    }
    if not quiet:
        print(f"optim-moons: [2, 5, 2, 1] ReLU network on the assignment's moons, mini-batches "
              f"of {batch_size}")
        print_table(["optimizer", "epochs", "learning rate", "training accuracy %",
                     "final cost"],
                    [[name, n, "0.0007" if runs[name][1] is None else
                      f"{DECAY_ALPHA0[name.split('+')[0]]:g} / (1 + floor(epoch / 1000))",
                      a, c[-1] if c else None]
                     for name, n, a, c in zip(names, run_epochs, accuracy, costs)])
    if save is not None:
        nets.save(save, names, metadata={"recipe": "optim-moons", **results})
    if plot is not None:
        plot_boundaries({f"{name}, {n} epochs: {percent(a)}": nets.predictor(j)
                         for j, (name, n, a) in enumerate(zip(names, run_epochs, accuracy))},
                        X, y, plot, columns=3, title="optim-moons: decision boundaries")
    return results


def optim_headline(results: dict) -> str:
    accuracy = results["by_optimizer"]
    plain = " / ".join(percent(accuracy[name]) for name in OPTIMIZERS)
    decayed = " / ".join(percent(accuracy[f"{name}+decay"]) for name in OPTIMIZERS)
    return f"{plain}; with decay {decayed}"


RECIPES = (
    Recipe(
        name="optim-moons",
        run=run_optim,
        summary="mini-batch GD / momentum / Adam on moons, with and without learning-rate "
                "decay",
        metric="accuracy",
        course="79.7% / 79.7% / 94% (GD / momentum / Adam, 10000 epochs); with scheduled "
               "learning-rate decay (5000 epochs): ~94.6% / 95.6% / 94%",
        fast=True,
        headline=optim_headline,
        options=(Option("batch-size", int, 64, "mini-batch size"),),
    ),
)
