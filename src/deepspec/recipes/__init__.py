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


from .char_lm import RECIPES as _CHAR_LM  # noqa: E402

_add(*_CHAR_LM)
from .edge_detection import RECIPES as _EDGES  # noqa: E402

_add(*_EDGES)


def get(name: str) -> Recipe:
    """The recipe called ``name``, or a ValueError listing the known ones."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose one of: {', '.join(sorted(RECIPES))}")
    return RECIPES[name]


__all__ = ["RECIPES", "Option", "Recipe", "format_value", "get", "percent", "timed_run"]
