"""Callbacks: code that ``fit`` runs at the start and end of training and of each epoch.

A callback overrides any of four hooks; each gets the ``FitState`` (the model, the
optimizer, the history so far). To stop training, ``on_epoch_end`` returns True or sets
``state.stop_training = True``. ``epoch`` counts from 0, as the learning-rate schedules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..io import save
from .history import History


@dataclass
class FitState:
    """What ``fit`` shares with its callbacks."""

    model: object
    optimizer: object
    history: History
    epochs: int
    steps_per_epoch: int
    epoch: int = 0
    stop_training: bool = False
    params: dict = field(default_factory=dict)  # batch_size, m, shuffle, ...


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, state: FitState) -> None:
        pass

    def on_epoch_begin(self, epoch: int, state: FitState) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict, state: FitState) -> bool | None:
        """``logs``: this epoch's loss, metrics, val_* and lr. Return True to stop."""
        return None

    def on_train_end(self, state: FitState) -> None:
        pass


_MODES = ("min", "max", "auto")


def _resolve_mode(owner: str, monitor: str, mode: str) -> str:
    """'auto' watches accuracies for a maximum and everything else for a minimum."""
    if mode not in _MODES:
        raise ValueError(f"{owner}: mode should be one of {_MODES}, got {mode!r}")
    if mode != "auto":
        return mode
    return "max" if "acc" in monitor else "min"


def _monitored(owner: str, monitor: str, logs: dict) -> float:
    if monitor not in logs:
        hint = " (pass validation_data to fit, or monitor 'loss')" if monitor.startswith(
            "val_") else ""
        raise ValueError(f"{owner}: monitor {monitor!r} is not in the epoch logs "
                         f"{sorted(logs)}{hint}")
    return float(logs[monitor])


def _improved(value: float, best: float, mode: str, min_delta: float) -> bool:
    """Better than best by more than min_delta (NaN never improves)."""
    if mode == "min":
        return value < best - min_delta
    return value > best + min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Early stopping, notes §2.2 (regularization). With ``restore_best_weights`` the model
    ends training with the parameters and buffers of its best epoch. ``mode="auto"`` maximizes
    names containing "acc" and minimizes the rest. After training, ``stopped_epoch`` is the
    epoch (from 0) at which it stopped (None if it did not) and ``best_epoch`` the best one.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience should be an int >= 0, got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta should be >= 0, got {min_delta}")
        self.monitor, self.patience, self.min_delta = monitor, patience, float(min_delta)
        self.mode = _resolve_mode("EarlyStopping", monitor, mode)
        self.restore_best_weights = bool(restore_best_weights)
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = self.stopped_epoch = None
        self.best_state, self.wait = None, 0

    def on_train_begin(self, state: FitState) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict, state: FitState) -> bool:
        value = _monitored("EarlyStopping", self.monitor, logs)
        if _improved(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_state = state.model.state_dict()
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, state: FitState) -> None:
        if self.restore_best_weights and self.best_state is not None:
            state.model.load_state_dict(self.best_state)

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta}, mode={self.mode!r})")


class ModelCheckpoint(Callback):
    """Save the model (and the optimizer) with ``deepspec.save`` after an epoch.

    With ``save_best_only`` (default) it writes only when ``monitor`` improves on every
    earlier epoch, so ``path`` always holds the best model so far; otherwise it writes after
    every epoch. Each write is atomic. The checkpoint's metadata records the epoch (from 0)
    and the monitored value.
    """

    def __init__(self, path, monitor: str = "val_loss", save_best_only: bool = True,
                 mode: str = "auto", save_optimizer: bool = True):
        self.path, self.monitor = path, monitor
        self.save_best_only, self.save_optimizer = bool(save_best_only), bool(save_optimizer)
        self.mode = _resolve_mode("ModelCheckpoint", monitor, mode)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None

    def on_train_begin(self, state: FitState) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None

    def on_epoch_end(self, epoch: int, logs: dict, state: FitState) -> None:
        if self.save_best_only:
            value = _monitored("ModelCheckpoint", self.monitor, logs)
            if not _improved(value, self.best, self.mode, 0.0):
                return
            self.best, self.best_epoch = value, epoch
        metadata = {"epoch": epoch, "logs": {k: float(v) for k, v in logs.items()}}
        optimizer = state.optimizer if self.save_optimizer else None
        save(state.model, self.path, optimizer=optimizer, metadata=metadata)

    def __repr__(self) -> str:
        return (f"ModelCheckpoint({str(self.path)!r}, monitor={self.monitor!r}, "
                f"save_best_only={self.save_best_only})")


class LearningRateScheduler(Callback):
    """Set ``optimizer.learning_rate = schedule(epoch)`` before each epoch.   notes §2.4.7

    ``schedule``: a plain function epoch -> learning rate, epoch counting from 0 (as those
    in ``deepspec.optim.schedules``). ``fit`` records the rate of each epoch in
    ``history.history["lr"]``.
    """

    def __init__(self, schedule):
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule should be a function epoch -> "
                            f"learning rate, got {type(schedule).__name__}")
        self.schedule = schedule

    def on_epoch_begin(self, epoch: int, state: FitState) -> None:
        learning_rate = float(self.schedule(epoch))
        if not (math.isfinite(learning_rate) and learning_rate > 0):
            raise ValueError(f"LearningRateScheduler: schedule({epoch}) should be a finite "
                             f"learning rate > 0, got {learning_rate}")
        state.optimizer.learning_rate = learning_rate

    def __repr__(self) -> str:
        return f"LearningRateScheduler({getattr(self.schedule, '__name__', self.schedule)})"
