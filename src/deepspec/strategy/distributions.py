"""Sampling distributions for hyperparameter search.   notes §2.5.1-2.5.2 (course 2 week 3)

"Try random values: don't use a grid", each on its appropriate scale:
- ``Uniform`` / ``IntUniform``: true random sampling on a linear scale works for ranges
  like n[l] = 50, ..., 100 hidden units or L = 2, 3, 4 layers;
- ``LogUniform``: the learning rate alpha = 0.0001, ..., 1 on a log scale:
  r = uniform(log10 a, log10 b), alpha = 10^r;
- ``OneMinusLogUniform``: beta = 0.9, ..., 0.999 for exponentially weighted averages, whose
  window 1 / (1 - beta) is what matters: sample 1 - beta on a log scale,
  r = uniform(log10(1 - high), log10(1 - low)), beta = 1 - 10^r;
- ``Choice``: one of a few values (mini-batch size 64, 128, 256, 512; an activation).
Each draws n values at once with ``sample(rng, n)`` and narrows with ``refine(values)`` to
the region the given (best) values span in its own scale: the coarse-to-fine scheme.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from ..backend import rng as as_generator


def _count(name: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"{name}.sample: n should be an int >= 0, got {n!r}")
    return int(n)


def _margin(name: str, margin) -> float:
    if not isinstance(margin, numbers.Real) or not 0 <= margin <= 1:
        raise ValueError(f"{name}.refine: margin should be in [0, 1], got {margin!r}")
    return float(margin)


def _real(name: str, what: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise TypeError(f"{name}: {what} should be a real number, got {value!r}")
    return float(value)


class Distribution(ABC):
    """A hyperparameter's search range: ``sample(rng, n)`` and ``refine(values, margin)``.

    An abstract base (it cannot be instantiated): ``Uniform``, ``LogUniform``,
    ``OneMinusLogUniform``, ``IntUniform`` and ``Choice`` define both methods."""

    @abstractmethod
    def sample(self, rng, n: int) -> np.ndarray:
        """n values drawn at random, in this distribution's own scale."""

    @abstractmethod
    def refine(self, values, *, margin: float = 0.1) -> Distribution:
        """The same kind of distribution over the region ``values`` span."""


class _Scaled(Distribution):
    """Uniform in a scale r = to_scale(value) between the bounds' images."""

    low: float
    high: float

    def _check(self) -> None:
        name = type(self).__name__
        object.__setattr__(self, "low", _real(name, "low", self.low))
        object.__setattr__(self, "high", _real(name, "high", self.high))
        if not self.low <= self.high:
            raise ValueError(f"{name}: low should be <= high, got low={self.low}, "
                             f"high={self.high}")

    def to_scale(self, values):
        return np.asarray(values, dtype=np.float64)

    def from_scale(self, r):
        return np.asarray(r, dtype=np.float64)

    def _scale_bounds(self) -> tuple[float, float]:
        a, b = self.to_scale([self.low, self.high])
        return (float(a), float(b)) if a <= b else (float(b), float(a))

    def sample(self, rng, n: int) -> np.ndarray:
        """n values, uniform in this distribution's scale."""
        n = _count(type(self).__name__, n)
        a, b = self._scale_bounds()
        return self.from_scale(as_generator(rng).uniform(a, b, n))

    def refine(self, values, *, margin: float = 0.1):
        """The same distribution over the span of ``values`` in its scale, widened on each
        side by ``margin`` times the current span, and kept inside the current range."""
        name = type(self).__name__
        margin = _margin(name, margin)
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if values.size == 0:
            raise ValueError(f"{name}.refine: values should not be empty")
        slack = 1e-9 * max(1.0, abs(self.low), abs(self.high))
        if values.min() < self.low - slack or values.max() > self.high + slack:
            raise ValueError(f"{name}.refine: values should lie in [{self.low}, {self.high}], "
                             f"got values in [{values.min()}, {values.max()}]")
        a, b = self._scale_bounds()
        r = self.to_scale(np.clip(values, self.low, self.high))
        pad = margin * (b - a)
        ends = self.from_scale([max(a, r.min() - pad), min(b, r.max() + pad)])
        low, high = np.clip(np.sort(ends), self.low, self.high)
        return type(self)(float(low), float(high))


@dataclass(frozen=True)
class Uniform(_Scaled):
    """A value uniform in [low, high] (linear scale)."""

    low: float
    high: float

    def __post_init__(self) -> None:
        self._check()


@dataclass(frozen=True)
class LogUniform(_Scaled):
    """alpha = 10^r with r uniform in [log10 low, log10 high].   notes §2.5.1"""

    low: float
    high: float

    def __post_init__(self) -> None:
        self._check()
        if self.low <= 0:
            raise ValueError(f"LogUniform: low should be > 0 for a log scale, got {self.low}")

    def to_scale(self, values):
        return np.log10(np.asarray(values, dtype=np.float64))

    def from_scale(self, r):
        return 10.0 ** np.asarray(r, dtype=np.float64)


@dataclass(frozen=True)
class OneMinusLogUniform(_Scaled):
    """beta = 1 - 10^r with r uniform in [log10(1 - high), log10(1 - low)].   notes §2.5.2

    For beta in [0.9, 0.999], r is uniform in [-3, -1]: as many samples between 0.99 and
    0.999 as between 0.9 and 0.99, where 1 / (1 - beta) is as sensitive.
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        self._check()
        if not (0 <= self.low and self.high < 1):
            raise ValueError(f"OneMinusLogUniform: bounds should satisfy 0 <= low <= high < 1, "
                             f"got low={self.low}, high={self.high}")

    def to_scale(self, values):
        return np.log10(1.0 - np.asarray(values, dtype=np.float64))

    def from_scale(self, r):
        return 1.0 - 10.0 ** np.asarray(r, dtype=np.float64)


@dataclass(frozen=True)
class IntUniform(Distribution):
    """An integer uniform in {low, ..., high}, both included (number of layers, units)."""

    low: int
    high: int

    def __post_init__(self) -> None:
        for what, value in (("low", self.low), ("high", self.high)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"IntUniform: {what} should be an int, got {value!r}")
        object.__setattr__(self, "low", int(self.low))
        object.__setattr__(self, "high", int(self.high))
        if self.low > self.high:
            raise ValueError(f"IntUniform: low should be <= high, got low={self.low}, "
                             f"high={self.high}")

    def sample(self, rng, n: int) -> np.ndarray:
        n = _count("IntUniform", n)
        return as_generator(rng).integers(self.low, self.high + 1, n)

    def refine(self, values, *, margin: float = 0.1) -> IntUniform:
        """{min - pad, ..., max + pad} inside the current range, pad = margin * (high - low)
        rounded outwards."""
        margin = _margin("IntUniform", margin)
        values = np.asarray(values).reshape(-1)
        if values.size == 0:
            raise ValueError("IntUniform.refine: values should not be empty")
        if values.min() < self.low or values.max() > self.high:
            raise ValueError(f"IntUniform.refine: values should lie in [{self.low}, "
                             f"{self.high}], got values in [{values.min()}, {values.max()}]")
        pad = margin * (self.high - self.low)
        low = max(self.low, math.floor(values.min() - pad))
        high = min(self.high, math.ceil(values.max() + pad))
        return IntUniform(int(low), int(high))


@dataclass(frozen=True)
class Choice(Distribution):
    """One of ``options``, each equally likely (mini-batch size, activation, optimizer)."""

    options: tuple

    def __post_init__(self) -> None:
        if isinstance(self.options, (str, bytes)):
            raise TypeError(f"Choice: options should be a list of values, got the string "
                            f"{self.options!r}")
        object.__setattr__(self, "options", tuple(self.options))
        if not self.options:
            raise ValueError("Choice: options should not be empty")

    def sample(self, rng, n: int) -> np.ndarray:
        n = _count("Choice", n)
        options = np.empty(len(self.options), dtype=object)
        for i, option in enumerate(self.options):  # element by element: tuples stay whole
            options[i] = option
        return options[as_generator(rng).integers(0, len(options), n)]

    def refine(self, values, *, margin: float = 0.1) -> Choice:
        """The options that appear among ``values``, in their original order (``margin`` is
        accepted for a uniform interface and unused: options have no between)."""
        _margin("Choice", margin)
        values = list(values)
        if not values:
            raise ValueError("Choice.refine: values should not be empty")
        unknown = [v for v in values if v not in self.options]
        if unknown:
            raise ValueError(f"Choice.refine: values should be among {list(self.options)}, "
                             f"got {unknown[0]!r}")
        return Choice(tuple(option for option in self.options if option in values))
