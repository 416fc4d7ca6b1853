"""What a recipe is: one course experiment as a function, with the course's number beside it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..strategy._table import percent  # noqa: F401 - one home for 0.961 -> "96.1%"


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
    number for the same experiment, in words; ``fast`` recipes belong in the tour (a few
    seconds to a minute on two cores, with their default options). ``headline(results)`` is
    the short text the tour's table shows for our result, e.g. "50.0% / 86.0% / 96.0%" for a
    recipe that compares three variants; by default it is ``results[metric]``, formatted (a
    recipe whose metric is a dict of variants needs a headline).
    ``data`` names the data sets (``deepspec data fetch NAME``) the recipe reads.
    """

    name: str
    run: Callable[..., dict]
    summary: str
    metric: str
    course: str
    fast: bool = False
    options: tuple[Option, ...] = field(default_factory=tuple)
    headline: Callable[[dict], str] | None = None
    data: tuple[str, ...] = ()

    def format(self, results: dict) -> str:
        """Our result as the tour shows it."""
        if self.headline is not None:
            return self.headline(results)
        return format_value(results[self.metric])


def format_value(value) -> str:
    """A result for a table: fractions in [0, 1] of a metric as they are, floats to 4 digits."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def timed_run(recipe: Recipe, **kwargs) -> dict:
    """Run a recipe and add its name, the course's number and the wall time to the results."""
    start = time.perf_counter()
    results = recipe.run(**kwargs)
    if recipe.metric not in results:
        raise RuntimeError(f"recipe {recipe.name}: its results lack their metric "
                           f"{recipe.metric!r}")
    return {"recipe": recipe.name, **results, "course": recipe.course,
            "seconds": round(time.perf_counter() - start, 2)}
