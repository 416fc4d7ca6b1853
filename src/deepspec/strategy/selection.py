"""Choosing a model by one optimizing metric under satisficing constraints.
notes course 3 week 1 ("Satisficing and optimizing metrics")

With N metrics, pick 1 to optimize and make the other N - 1 satisficing: they only need to
be good enough. The notes' example: maximize accuracy subject to running time <= 100 ms
(A: 90%, 80 ms; B: 92%, 95 ms; C: 95%, 150 ms -> B).
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ._table import format_table, number

OPERATORS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt,
             "==": operator.eq}


@dataclass(frozen=True)
class Candidate:
    """One model's metrics and the satisficing constraints it fails (empty: it qualifies)."""

    name: str
    metrics: dict
    failures: tuple[str, ...]

    @property
    def qualifies(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class Selection:
    """The winner (``best``: its name; ``metrics``: its metrics) and every candidate."""

    best: str
    metrics: dict
    candidates: tuple[Candidate, ...]
    optimize: str
    maximize: bool
    satisficing: dict

    def table(self) -> str:
        columns = [self.optimize, *[m for m in self.satisficing if m != self.optimize]]
        header = ["model", *columns, "satisficing"]
        rows = []
        for c in self.candidates:
            status = "ok" if c.qualifies else "fails " + "; ".join(c.failures)
            mark = " *" if c.name == self.best else ""
            rows.append([c.name + mark, *[number(c.metrics[m]) for m in columns], status])
        goal = "maximize" if self.maximize else "minimize"
        limits = ", ".join(f"{m} {op} {number(t)}" for m, (op, t) in self.satisficing.items())
        title = f"{goal} {self.optimize}" + (f" subject to {limits}" if limits else "")
        return "\n".join([title, format_table(header, rows, align="l" + "r" * len(columns) + "l"),
                          f"* selected: {self.best}"])

    __str__ = table


def _named(candidates) -> list[tuple[str, dict]]:
    if isinstance(candidates, Mapping):
        items = [(str(name), metrics) for name, metrics in candidates.items()]
    elif isinstance(candidates, Sequence) and not isinstance(candidates, (str, bytes)):
        items = []
        for i, metrics in enumerate(candidates):
            name = metrics.get("name", str(i)) if isinstance(metrics, Mapping) else str(i)
            items.append((str(name), metrics))
    else:
        raise TypeError("select_model: candidates should be a list of metric dicts or a mapping "
                        f"name -> metrics, got {type(candidates).__name__}")
    if not items:
        raise ValueError("select_model: candidates is empty")
    for name, metrics in items:
        if not isinstance(metrics, Mapping):
            raise TypeError(f"select_model: the metrics of candidate {name!r} should be a dict, "
                            f"got {type(metrics).__name__}")
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"select_model: candidate names should be unique, got {names}")
    return [(name, dict(metrics)) for name, metrics in items]


def _constraints(satisficing) -> dict:
    if satisficing is None:
        return {}
    if not isinstance(satisficing, Mapping):
        raise TypeError("select_model: satisficing should be a dict metric -> (operator, "
                        f"threshold), got {type(satisficing).__name__}")
    checked = {}
    for metric, rule in satisficing.items():
        if (not isinstance(rule, (tuple, list)) or len(rule) != 2
                or rule[0] not in OPERATORS):
            raise ValueError(f"select_model: satisficing[{metric!r}] should be (operator, "
                             f"threshold) with operator in {list(OPERATORS)}, got {rule!r}")
        checked[metric] = (rule[0], rule[1])
    return checked


def _value(name: str, metrics: dict, metric: str, role: str) -> float:
    if metric not in metrics:
        raise ValueError(f"select_model: candidate {name!r} has no {role} metric {metric!r}; "
                         f"its metrics are {sorted(metrics)}")
    return metrics[metric]


def select_model(candidates, optimize: str = "accuracy", maximize: bool = True,
                 satisficing: dict | None = None) -> Selection:
    """The best candidate by the one optimizing metric among those meeting every constraint.

    ``candidates``: a list of metric dicts (a ``"name"`` key names one, else its index) or a
    mapping name -> metrics. ``satisficing``: metric -> (operator, threshold), operators
    ``<=, <, >=, >, ==``, e.g. ``{"running_time_ms": ("<=", 100)}``. Ties go to the first.
    Raises ValueError naming the missing metric, or, when no candidate qualifies, which
    constraint each one fails.
    """
    named = _named(candidates)
    rules = _constraints(satisficing)
    rows = []
    for name, metrics in named:
        score = _value(name, metrics, optimize, "optimizing")
        if not isinstance(score, numbers.Real) or isinstance(score, bool) or math.isnan(score):
            raise ValueError(f"select_model: {optimize} of candidate {name!r} should be a "
                             f"number, got {score!r}")
        failures = []
        for metric, (op, threshold) in rules.items():
            value = _value(name, metrics, metric, "satisficing")
            try:
                ok = bool(OPERATORS[op](value, threshold))
            except TypeError:
                raise TypeError(f"select_model: cannot compare {metric} of candidate {name!r} "
                                f"({value!r}) with {threshold!r}") from None
            if not ok:
                failures.append(f"{metric} {op} {number(threshold)} (has {number(value)})")
        rows.append(Candidate(name, metrics, tuple(failures)))
    qualified = [c for c in rows if c.qualifies]
    if not qualified:
        detail = "; ".join(f"{c.name} fails {', '.join(c.failures)}" for c in rows)
        raise ValueError(f"select_model: no candidate meets every satisficing constraint: "
                         f"{detail}")
    sign = 1 if maximize else -1
    best = max(qualified, key=lambda c: sign * float(c.metrics[optimize]))
    return Selection(best.name, best.metrics, tuple(rows), optimize, bool(maximize), rules)
