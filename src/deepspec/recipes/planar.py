"""The planar "flower": logistic regression, then one hidden layer.   course 1, weeks 2-3
(the "Planar data classification with one hidden layer" assignment; notes §1.2 logistic
regression, §1.3 shallow networks)

``deepspec run logreg-planar`` fits logistic regression (w = 0, b = 0, full-batch gradient
descent on the cross-entropy): a straight line cannot separate the petals, 47% training
accuracy, as the course's. ``deepspec run planar-2layer`` trains the assignment's
2 -> n_h tanh -> 1 sigmoid network (W ~ randn * 0.01 from ``np.random.seed(2)``, full-batch
gradient descent, learning rate 1.2) for 10000 iterations with n_h = 4, and the course's
sweep of n_h = 1, 2, 3, 4, 5, 20, 50 for 5000 iterations, all side by side
(``stacked.Nets``): the same numbers as the assignment, in a few seconds.

``seed`` shifts the assignment's weight seed (seed 0 is the assignment's draw); the flower
itself is always the assignment's 400 points. ``save=PATH`` writes every network's
parameters (the notes' W1, b1, ...; ``Nets.save``), ``plot=PATH`` their decision boundaries.
"""

from __future__ import annotations

import numpy as np

from ..backend import default_dtype
from ..data import planar_flower
from ..optim import GD
from .base import Option, Recipe, percent
from .plots import check_plot, plot_boundaries
from .stacked import Nets, assignment_parameters, print_table, train

SWEEP = (1, 2, 3, 4, 5, 20, 50)    # the course's hidden-layer sizes
WEIGHT_SEED = 2                    # the assignment's np.random.seed(2) in initialize_parameters


def flower():
    """The assignment's 400 flower points, float64: X (400, 2), y (400,)."""
    with default_dtype("float64"):
        X, Y = planar_flower()
    return X, Y.reshape(-1)


def run_logreg(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None,
               plot=None, *, learning_rate: float = 1.2) -> dict:
    """Logistic regression on the flower: sigmoid(w x + b), w = 0, b = 0, full-batch GD.

    notes §1.2 (course 1, week 2). No randomness (zero initialization, full batches), so
    ``seed`` changes nothing. ``epochs``: gradient-descent iterations (default 1000; the
    cost has converged long before).
    """
    check_plot(plot)
    epochs = 1000 if epochs is None else epochs
    X, y = flower()
    nets = Nets([{"W1": np.zeros((1, 2)), "b1": np.zeros((1, 1))}])
    costs = train(nets, X, y, [lambda p: GD(p, learning_rate)], epochs=epochs, quiet=quiet,
                  desc="logreg-planar")[0]
    results = {"accuracy": nets.accuracy(X, y)[0], "cost": costs[-1] if costs else None,
               "iterations": epochs}
    if not quiet:
        print(f"logreg-planar: logistic regression on the 400 flower points, {epochs} "
              f"iterations, learning rate {learning_rate}")
        print_table(["model", "training accuracy %", "final cost"],
                    [["logistic regression", results["accuracy"], results["cost"]]])
    if save is not None:
        nets.save(save, ["logreg"], metadata={"recipe": "logreg-planar", **results})
    if plot is not None:
        plot_boundaries({f"logistic regression: {percent(results['accuracy'])}":
                         nets.predictor(0)}, X, y, plot, columns=1)
    return results


def parse_sizes(sizes) -> tuple[int, ...]:
    """"1,2,3" (or a sequence) -> (1, 2, 3), every size a positive integer."""
    try:
        values = tuple(int(s) for s in (sizes.split(",") if isinstance(sizes, str) else sizes))
    except ValueError:
        values = ()
    if not values or min(values) < 1 or len(set(values)) != len(values):
        raise ValueError(f"planar-2layer: sizes should be distinct positive integers such as "
                         f"'1,2,3,4,5,20,50', got {sizes!r}")
    return values


def width_groups(units) -> list[list[int]]:
    """Indices of ``units`` grouped by width, 1-8, 9-16, 17-32, ... hidden units: each group
    trains as one stack padded to its widest, so padding at most doubles a network's width
    (all seven sweep sizes padded to 50 units would be 4.5 times the work)."""
    groups: dict[int, list[int]] = {}
    for j, n_h in enumerate(units):
        groups.setdefault(max(8, 1 << (int(n_h) - 1).bit_length()), []).append(j)
    return [groups[width] for width in sorted(groups)]


def run_planar(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None,
               plot=None, *, hidden: int = 4, learning_rate: float = 1.2,
               sizes: str = "1,2,3,4,5,20,50") -> dict:
    """One tanh hidden layer of ``hidden`` units, and the hidden-size sweep.   notes §1.3

    ``epochs``: gradient-descent iterations of every network (default: the course's, 10000
    for the main network and 5000 for the sweep).
    """
    check_plot(plot)
    sizes = parse_sizes(sizes)
    if hidden < 1:
        raise ValueError(f"planar-2layer: hidden should be >= 1, got {hidden}")
    main_epochs, sweep_epochs = (10000, 5000) if epochs is None else (epochs, epochs)
    X, y = flower()
    units = [hidden, *sizes]
    iterations = [main_epochs] + [sweep_epochs] * len(sizes)
    accuracy, costs, parameters = [None] * len(units), [None] * len(units), [None] * len(units)
    for group in width_groups(units):
        nets = Nets([assignment_parameters([2, units[j], 1], 0.01, WEIGHT_SEED + seed)
                     for j in group], hidden="tanh")
        group_costs = train(nets, X, y, [lambda p: GD(p, learning_rate)] * len(group),
                            epochs=[iterations[j] for j in group], quiet=quiet,
                            desc="planar-2layer")
        group_accuracy = nets.accuracy(X, y)
        for i, j in enumerate(group):
            accuracy[j], costs[j] = group_accuracy[i], group_costs[i]
            parameters[j] = nets.parameters(i)
    nets = Nets(parameters, hidden="tanh")  # all of them, for saving and plotting
    results = {
        "accuracy": accuracy[0],
        "cost": costs[0][-1] if costs[0] else None,
        "hidden": hidden,
        "iterations": main_epochs,
        "costs_every_1000": [round(c, 6) for c in costs[0][::1000]],
        "sweep": {str(n_h): a for n_h, a in zip(sizes, accuracy[1:])},
        "sweep_iterations": sweep_epochs,
    }
    if not quiet:
        print(f"planar-2layer: 2 -> n_h tanh -> 1 sigmoid on the 400 flower points, "
              f"learning rate {learning_rate}")
        print_table(["hidden units", "iterations", "training accuracy %", "final cost"],
                    [[n_h, n, a, c[-1] if c else None] for n_h, n, a, c in
                     zip(units, iterations, accuracy, costs)])
    names = [f"main_{hidden}"] + [f"sweep_{n_h}" for n_h in sizes]
    if save is not None:
        nets.save(save, names, metadata={"recipe": "planar-2layer", **results})
    if plot is not None:
        panels = {f"{n_h} units, {n} it.: {percent(a)}": nets.predictor(j)
                  for j, (n_h, n, a) in enumerate(zip(units, iterations, accuracy))}
        plot_boundaries(panels, X, y, plot, title="planar-2layer: decision boundaries")
    return results


def planar_headline(results: dict) -> str:
    sweep = " ".join(f"{100 * a:.1f}" for a in results["sweep"].values())
    return f"{percent(results['accuracy'])}; sweep {sweep}"


RECIPES = (
    Recipe(
        name="logreg-planar",
        run=run_logreg,
        summary="logistic regression on the planar flower (a linear boundary fails)",
        metric="accuracy",
        course="47% training accuracy (sklearn's LogisticRegressionCV)",
        fast=True,
        headline=lambda results: percent(results["accuracy"]),
        options=(Option("learning-rate", float, 1.2, "gradient-descent learning rate"),),
    ),
    Recipe(
        name="planar-2layer",
        run=run_planar,
        summary="one tanh hidden layer on the planar flower, and the hidden-size sweep",
        metric="accuracy",
        course="90% (4 tanh units, 10000 iterations); sweep of 1, 2, 3, 4, 5, 20, 50 units "
               "(5000 iterations): 67.5, 67.25, 90.75, 90.5, 91.25, 90, 90.75%",
        fast=True,
        headline=planar_headline,
        options=(
            Option("hidden", int, 4, "hidden units of the main network"),
            Option("learning-rate", float, 1.2, "gradient-descent learning rate"),
            Option("sizes", str, "1,2,3,4,5,20,50", "hidden-layer sizes of the sweep"),
        ),
    ),
)
