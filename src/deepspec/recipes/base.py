"""What a recipe is: one course experiment as a function, with the course's number beside it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Option:
    """An extra command-line option of one recipe (``--prompt TEXT`` ...)."""

    name: str
    type: type
    default: object
    help: str


@dataclass(frozen=True)
class Recipe:
    """A course experiment.

    ``run(seed=0, epochs=None, quiet=False, save=None, plot=None, **options) -> dict`` trains
    and evaluates, printing progress unless ``quiet``; it returns a results dict that holds
    ``metric`` (our number), JSON-friendly values only. ``course`` is the course's published
    number for the same experiment, in words; ``fast`` recipes belong in the tour.
    """

    name: str
    run: Callable[..., dict]
    summary: str
    metric: str
    course: str
    fast: bool = False
    options: tuple[Option, ...] = field(default_factory=tuple)


def timed_run(recipe: Recipe, **kwargs) -> dict:
    """Run a recipe and add its name, the course's number and the wall time to the results."""
    start = time.perf_counter()
    results = recipe.run(**kwargs)
    if recipe.metric not in results:
        raise RuntimeError(f"recipe {recipe.name}: its results lack their metric "
                           f"{recipe.metric!r}")
    return {"recipe": recipe.name, **results, "course": recipe.course,
            "seconds": round(time.perf_counter() - start, 2)}
