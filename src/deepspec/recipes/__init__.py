"""The course experiments, each a function returning its results (``deepspec run NAME``).

``RECIPES`` is the explicit table of them: a recipe module defines ``RECIPE`` (or a tuple
``RECIPES``) and is listed here.
"""

from __future__ import annotations

from .base import Option, Recipe, format_value, percent, timed_run

RECIPES: dict[str, Recipe] = {}


def _add(*recipes: Recipe) -> None:
    for recipe in recipes:
        if recipe.name in RECIPES:
            raise RuntimeError(f"recipes: {recipe.name!r} is defined twice")
        RECIPES[recipe.name] = recipe


# The recipe modules in course order (the tour runs the fast ones in this order); a module
# defines RECIPES, a tuple of Recipe.
from . import (  # noqa: E402
    batchnorm,
    char_lm,
    cnn,
    edge_detection,
    gradient_checking,
    hparam_search,
    initialization,
    ml_strategy,
    mnist,
    optimization,
    planar,
    regularization,
)

MODULES = (
    planar, initialization, regularization, gradient_checking, optimization, batchnorm,
    hparam_search, mnist, ml_strategy,                      # courses 1-3
    edge_detection, cnn,                                    # course 4
    char_lm,                                                # course 5
)
for _module in MODULES:
    _add(*_module.RECIPES)


def get(name: str) -> Recipe:
    """The recipe called ``name``, or a ValueError listing the known ones."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose one of: {', '.join(sorted(RECIPES))}")
    return RECIPES[name]


__all__ = ["RECIPES", "Option", "Recipe", "format_value", "get", "percent", "timed_run"]
