"""History: what ``fit`` measured after each epoch."""

from __future__ import annotations

import math


class History:
    """Per-epoch logs: ``history.history["loss"]``, ``["val_loss"]``, metric names, ``["lr"]``.

    ``history.epoch`` lists the epoch indices, counted from 0 like the schedules and the
    callbacks' ``epoch`` argument (displays count from 1). Every list in ``history.history``
    has one entry per epoch; a value missing in some epoch is NaN.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def record(self, epoch: int, logs: dict) -> None:
        """Append one epoch's logs (name -> number)."""
        for name in logs:
            if name not in self.history:
                self.history[name] = [math.nan] * len(self.epoch)
        self.epoch.append(int(epoch))
        for name, values in self.history.items():
            values.append(float(logs.get(name, math.nan)))

    def __getitem__(self, name: str) -> list[float]:
        return self.history[name]

    def __len__(self) -> int:
        return len(self.epoch)

    def as_table(self, precision: int = 4) -> str:
        """One row per epoch (counted from 1), one column per logged name."""
        names = list(self.history)
        rows = [["epoch", *names]]
        for i, epoch in enumerate(self.epoch):
            rows.append([str(epoch + 1), *(f"{self.history[n][i]:.{precision}g}" for n in names)])
        widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
        return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(row, widths)).rstrip()
                         for row in rows)

    def __repr__(self) -> str:
        if not self.epoch:
            return "History(epochs=0)"
        last = ", ".join(f"{n}={v[-1]:.4g}" for n, v in self.history.items())
        return f"History(epochs={len(self.epoch)}, last: {last})"
