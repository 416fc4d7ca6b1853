"""Learning-rate decay schedules.   notes §2.4.7

Each returns a plain function ``epoch -> learning_rate`` (``epoch`` counts from 0, as the
assignments' ``for i in range(num_epochs)``). Use one with any optimizer by setting
``optimizer.learning_rate = schedule(epoch)``, or with ``fit`` through the
``LearningRateScheduler`` callback.
"""

from __future__ import annotations

import math


def _check_alpha0(name: str, alpha0: float) -> None:
    if not alpha0 > 0:
        raise ValueError(f"{name}: alpha0 should be > 0, got {alpha0}")


def _check_epoch(name: str, epoch) -> None:
    if epoch < 0:
        raise ValueError(f"{name}: epoch should be >= 0, got {epoch}")


def inverse_time(alpha0: float, decay_rate: float):
    """alpha = alpha0 / (1 + decay_rate * epoch)."""
    _check_alpha0("inverse_time", alpha0)
    if not decay_rate >= 0:  # written so NaN fails too
        raise ValueError(f"inverse_time: decay_rate should be >= 0, got {decay_rate}")

    def schedule(epoch: int) -> float:
        _check_epoch("inverse_time", epoch)
        return alpha0 / (1 + decay_rate * epoch)

    return schedule


def staircase(alpha0: float, decay_rate: float, interval: int = 1000):
    """alpha = alpha0 / (1 + decay_rate * floor(epoch / interval)) (the scheduled form)."""
    _check_alpha0("staircase", alpha0)
    if not (decay_rate >= 0 and interval >= 1):
        raise ValueError(f"staircase: decay_rate should be >= 0 and interval >= 1, got "
                         f"{decay_rate}, {interval}")

    def schedule(epoch: int) -> float:
        _check_epoch("staircase", epoch)
        return alpha0 / (1 + decay_rate * (epoch // interval))

    return schedule


def exponential(alpha0: float, base: float = 0.95):
    """alpha = base^epoch * alpha0 (the notes' 0.95^epoch_num * alpha0)."""
    _check_alpha0("exponential", alpha0)
    if not 0 < base <= 1:
        raise ValueError(f"exponential: base should be in (0, 1], got {base}")

    def schedule(epoch: int) -> float:
        _check_epoch("exponential", epoch)
        return base**epoch * alpha0

    return schedule


def inverse_sqrt(alpha0: float, k: float = 1.0):
    """alpha = k / sqrt(epoch_num) * alpha0, epoch_num = epoch + 1 (so the first is k alpha0)."""
    _check_alpha0("inverse_sqrt", alpha0)
    if not k > 0:
        raise ValueError(f"inverse_sqrt: k should be > 0, got {k}")

    def schedule(epoch: int) -> float:
        _check_epoch("inverse_sqrt", epoch)
        return k / math.sqrt(epoch + 1) * alpha0

    return schedule


def piecewise_constant(boundaries, values):
    """values[i] while boundaries[i-1] <= epoch < boundaries[i] (the 'manual' decay)."""
    boundaries, values = list(boundaries), [float(v) for v in values]
    if len(values) != len(boundaries) + 1:
        raise ValueError(f"piecewise_constant: values should have len(boundaries) + 1 = "
                         f"{len(boundaries) + 1} entries, got {len(values)}")
    if any(b2 <= b1 for b1, b2 in zip(boundaries, boundaries[1:])):
        raise ValueError(f"piecewise_constant: boundaries should increase, got {boundaries}")
    if not all(v > 0 for v in values):
        raise ValueError(f"piecewise_constant: values should be > 0, got {values}")

    def schedule(epoch: int) -> float:
        _check_epoch("piecewise_constant", epoch)
        for boundary, value in zip(boundaries, values):
            if epoch < boundary:
                return value
        return values[-1]

    return schedule
