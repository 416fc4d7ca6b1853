"""Plots the recipes share: decision boundaries, learning curves, bar charts.

matplotlib is optional (``pip install deepspec[plot]``): it is imported inside the functions,
with the non-interactive Agg backend, so plots are written to files and never shown.
"""

from __future__ import annotations

import math

import numpy as np


def check_plot(plot) -> None:
    """Fail before training, not after, when a plot is asked for without matplotlib."""
    if plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise ValueError("--plot needs matplotlib: pip install deepspec[plot]") from None


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only)."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install deepspec[plot]") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_decision_boundary(predict_fn, X, y, ax=None, *, title: str | None = None,
                           grid: int = 250, margin: float = 1.0):
    """The course's decision-boundary plot: the classes ``predict_fn`` gives over a grid
    covering X (plus ``margin``), filled, with the points of X coloured by their label y.

    ``predict_fn``: ``(n, 2) array -> (n,) labels``; X (m, 2); y (m,) (or (m, 1)).
    Draws into ``ax`` (a new figure's axes if None) and returns it.
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X should have shape (m, 2), got {X.shape}")
    y = np.ravel(y)
    if len(y) != len(X):
        raise ValueError(f"plot_decision_boundary: y should hold {len(X)} labels, got {len(y)}")
    if ax is None:
        _, ax = pyplot().subplots(figsize=(5, 4))
    x_min, x_max = X[:, 0].min() - margin, X[:, 0].max() + margin
    y_min, y_max = X[:, 1].min() - margin, X[:, 1].max() + margin
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, grid), np.linspace(y_min, y_max, grid))
    Z = np.asarray(predict_fn(np.c_[xx.ravel(), yy.ravel()])).reshape(xx.shape)
    ax.contourf(xx, yy, Z, cmap="Spectral", alpha=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="Spectral", s=12, edgecolors="k", linewidths=0.3)
    ax.set(xlim=(x_min, x_max), ylim=(y_min, y_max), xticks=[], yticks=[])
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_boundaries(panels: dict, X, y, path, *, title: str | None = None,
                    columns: int = 4, margin: float = 1.0) -> None:
    """One decision-boundary panel per ``{title: predict_fn}`` on the same (X, y), to ``path``."""
    plt = pyplot()
    count = len(panels)
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 3.0 * rows + 0.4),
                             squeeze=False)
    for ax, (name, predict_fn) in zip(axes.flat, panels.items()):
        plot_decision_boundary(predict_fn, X, y, ax, title=name, margin=margin)
    for ax in list(axes.flat)[count:]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_curves(curves: dict, path, *, title: str | None = None, xlabel: str = "epoch",
                ylabel: str = "cost", logy: bool = False, every: int = 1,
                hline: float | None = None) -> None:
    """Learning curves ``{label: [value per epoch ...]}`` on one axes, to ``path``.

    ``every``: the x spacing of the values (values recorded every 100 iterations: 100).
    ``hline``: a dashed horizontal line (a target cost).
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1) * every, values, label=label)
    if hline is not None:
        ax.axhline(hline, color="gray", linestyle="--", linewidth=1)
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title or "")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_bars(groups: dict, path, *, title: str | None = None, ylabel: str = "",
              logy: bool = False, hline: float | None = None) -> None:
    """Grouped bars ``{group label: {bar name: value}}`` (the same names in every group)."""
    plt = pyplot()
    names = list(next(iter(groups.values())))
    width = 0.8 / max(1, len(groups))
    fig, ax = plt.subplots(figsize=(min(12, max(5, 0.45 * len(names) * len(groups) + 2)), 4))
    for i, (label, values) in enumerate(groups.items()):
        ax.bar(np.arange(len(names)) + (i - (len(groups) - 1) / 2) * width,
               [values[name] for name in names], width, label=label)
    if hline is not None:
        ax.axhline(hline, color="gray", linestyle="--", linewidth=1)
    if logy:
        ax.set_yscale("log")
    ax.set_xticks(np.arange(len(names)), names)
    ax.set(ylabel=ylabel, title=title or "")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
