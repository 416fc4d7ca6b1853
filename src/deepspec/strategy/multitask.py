"""Multi-task learning with missing labels.   notes course 3 week 2 ("Multi-task learning")

One network does several things at once (the notes' autonomous-driving example: is there
a pedestrian, a car, a stop sign, a traffic light?): the output layer has one sigmoid unit
per task, an image can have several labels (unlike softmax), and the cost sums the logistic
loss over tasks, leaving out the labels marked "?":

    J = (1/m) sum_i sum_j L(yhat_j(i), y_j(i)),  over the labeled (i, j) only.

It makes sense when the tasks can share lower-level features, the amount of data for each
task is quite similar, and the network is big enough to do well on all of them (too small
a network hurts). The cost is the fused op ``multi_task_binary_cross_entropy`` (also
``deepspec.F``); ``task_accuracy`` scores each task on its labeled examples and
``multi_task_accuracy`` all of them at once.
"""

from __future__ import annotations

import numpy as np

from ..ops.losses import multi_task_binary_cross_entropy
from ..tensor import Tensor


def _labeled(op: str, Z, Y, mask):
    Z = np.asarray(Z.data if isinstance(Z, Tensor) else Z)
    Y = np.asarray(Y.data if isinstance(Y, Tensor) else Y, dtype=np.float64)
    if Z.ndim != 2 or Y.shape != Z.shape:
        raise ValueError(f"{op}: Z and Y should both have shape (m, n_tasks), got "
                         f"{Z.shape} and {Y.shape}")
    labeled = ~np.isnan(Y)
    if mask is not None:
        mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
        if mask.shape != Z.shape:
            raise ValueError(f"{op}: mask should have shape {Z.shape}, got {mask.shape}")
        labeled &= mask.astype(bool)
    correct = ((Z > 0) == (Y > 0.5)) & labeled
    return correct, labeled


def task_accuracy(Z, Y, *, mask=None) -> np.ndarray:
    """Per-task accuracy (n_tasks,) of the logits Z (m, n_tasks) against 0/1 labels Y.

    A task predicts 1 where sigmoid(Z) > 0.5, i.e. Z > 0. Missing labels (NaN in Y, or 0 in
    ``mask``) are left out; a task with no labeled example gets NaN.
    """
    correct, labeled = _labeled("task_accuracy", Z, Y, mask)
    counts = labeled.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, correct.sum(axis=0) / counts, np.nan)


def multi_task_accuracy(Z, Y, *, mask=None) -> float:
    """The fraction of labeled (example, task) entries predicted right (Z > 0 means 1).

    A metric for ``fit`` and ``evaluate`` (``metrics=[multi_task_accuracy]``): their
    "accuracy" takes the argmax over the outputs, which is for softmax, not for several
    independent tasks. NaN when nothing is labeled.
    """
    correct, labeled = _labeled("multi_task_accuracy", Z, Y, mask)
    n = int(labeled.sum())
    return float(correct.sum() / n) if n else float("nan")


__all__ = ["multi_task_accuracy", "multi_task_binary_cross_entropy", "task_accuracy"]
