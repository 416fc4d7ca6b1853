"""What the CNN recipes share: Adam with a decaying learning rate, a timed line per epoch,
subsets of the data, test accuracy, learning-curve plots and checkpoints.   notes §2.4, §4.2
"""

from __future__ import annotations

import time

import numpy as np

from ..io import save as save_checkpoint
from ..optim import Adam, exponential
from ..train import Callback, LearningRateScheduler, evaluate, fit
from .plots import check_plot, pyplot

__all__ = ["EpochLine", "accuracy", "check_epochs", "check_plot", "epoch_summary",
           "mnist_to_8x8", "plot_curves", "save_model", "subset", "train_classifier"]


class EpochLine(Callback):
    """Times each epoch (training and the dev evaluation) and prints a line every ``every``
    epochs (and after the last)."""

    def __init__(self, name: str, quiet: bool = False, every: int = 1):
        self.name, self.quiet, self.every = name, quiet, every
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, state):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs, state):
        self.seconds.append(time.perf_counter() - self.start)
        if not self.quiet and ((epoch + 1) % self.every == 0 or epoch + 1 == state.epochs):
            dev = (f"  dev loss {logs['val_loss']:.4f} accuracy {100 * logs['val_accuracy']:.2f}%"
                   if "val_accuracy" in logs else "")
            print(f"{self.name} epoch {epoch + 1:>2}/{state.epochs}  lr {logs['lr']:.2e}  "
                  f"loss {logs['loss']:.4f}  accuracy {100 * logs['accuracy']:.2f}%{dev}  "
                  f"{self.seconds[-1]:.1f} s", flush=True)


def train_classifier(name: str, model, train, dev, *, epochs: int, batch_size: int,
                     learning_rate: float, decay: float, seed, quiet: bool, augment=None,
                     report_every: int = 1):
    """Adam (notes §2.4.5) on the softmax cross-entropy of ``model``'s logits, learning rate
    decay^epoch * learning_rate (§2.4.7), mini-batches of ``batch_size`` reshuffled each
    epoch; ``dev`` (X, y) is evaluated after each epoch, for monitoring only. Unless
    ``quiet``: a line every ``report_every`` epochs, and a progress bar per epoch when that
    is 1.

    Returns (history, seconds per epoch).
    """
    if not learning_rate > 0 or not 0 < decay <= 1:
        raise ValueError(f"{name}: learning_rate should be > 0 and decay in (0, 1], got "
                         f"{learning_rate} and {decay}")
    if batch_size < 1:
        raise ValueError(f"{name}: batch_size should be >= 1, got {batch_size}")
    timer = EpochLine(name, quiet, report_every)
    history = fit(model, *train, loss="softmax_cross_entropy",
                  optimizer=Adam(model.parameters(), learning_rate=learning_rate),
                  epochs=epochs, batch_size=batch_size, validation_data=dev,
                  metrics=["accuracy"], seed=seed, augment=augment,
                  verbose=0 if quiet or report_every > 1 else 1,
                  callbacks=[LearningRateScheduler(exponential(learning_rate, decay)), timer])
    return history, timer.seconds


def accuracy(model, X, y) -> float:
    """The fraction of ``X`` that ``model`` (logits, eval mode) classifies as ``y``."""
    return evaluate(model, X, y, loss="softmax_cross_entropy", metrics=["accuracy"])["accuracy"]


def subset(name: str, X, y, n: int | None, seed):
    """``n`` examples of (X, y) drawn at random (all of them, in order, when n is None)."""
    if n is None or n == len(X):
        return X, y
    if not 1 <= n <= len(X):
        raise ValueError(f"{name}: the number of examples should be in [1, {len(X)}], got {n}")
    keep = np.sort(np.random.default_rng(seed).choice(len(X), n, replace=False))
    return X[keep], y[keep]


def check_epochs(name: str, epochs: int) -> int:
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"{name}: epochs should be an int >= 1, got {epochs!r}")
    return epochs


def epoch_summary(history, seconds: list[float]) -> dict:
    """The JSON-friendly per-epoch record every CNN recipe returns."""
    h = history.history
    return {
        "epochs": len(history),
        "seconds_per_epoch": round(float(np.mean(seconds)), 2),
        "train_accuracy_curve": [round(a, 4) for a in h["accuracy"]],
        "dev_accuracy_curve": [round(a, 4) for a in h["val_accuracy"]],
    }


def plot_curves(path, title: str, panels: dict[str, dict[str, list[float]]]) -> None:
    """One panel per entry of ``panels`` (y label -> {curve label: values per epoch})."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (ylabel, curves) in zip(axes[0], panels.items()):
        for label, values in curves.items():
            ax.plot(np.arange(1, len(values) + 1), values, marker=".", label=label)
        ax.set(xlabel="epoch", ylabel=ylabel)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def save_model(model, path, name: str, results: dict) -> None:
    """The trained model as a checkpoint, its recipe and results in the metadata."""
    save_checkpoint(model, path, metadata={"recipe": name, **results})


# ---------------------------------------------------------------------------- 28x28 -> 8x8
def _box_sampling(lo, hi, n_out: int, n_in: int) -> np.ndarray:
    """Linear-interpolation matrices (m, n_out, n_in) resampling pixels lo_k..hi_k (floats,
    inclusive) of example k to n_out pixels: row i samples the centre of the i-th of n_out
    equal cells of that span; samples outside the n_in pixels read 0."""
    centre, size = (lo + hi) / 2, hi - lo + 1
    at = centre[:, None] + size[:, None] * ((np.arange(n_out) + 0.5) / n_out - 0.5)
    # the tent kernel max(0, 1 - |s - j|) is linear interpolation between pixels j, j + 1
    R = at.astype(np.float32)[..., None] - np.arange(n_in, dtype=np.float32)
    np.abs(R, out=R)
    np.subtract(1, R, out=R)
    return np.maximum(R, 0, out=R)


def mnist_to_8x8(X, *, threshold: float = 0.3, chunk: int = 10000) -> np.ndarray:
    """MNIST images (m, 28, 28, 1) in [0, 1] made the way scikit-learn's 8x8 digits were.

    Those (the UCI "optdigits") are 32x32 binary bitmaps of size-normalized digits (the
    digit's larger side fills the box), cut into 4x4 blocks whose "on" pixels are counted
    (0..16; ``load_digits`` divides by 16). So, per image: the square around the bounding
    box of its ink (side: the box's larger side, centred on it), resampled to 32x32 by linear
    interpolation, thresholded, and counted by 4x4 blocks / 16. ``threshold`` 0.3 gives the
    converted MNIST training images the digits' mean ink (0.31 of the pixels' range; 0.5
    gives thinner strokes, 0.25). Returns float32 (m, 8, 8, 1) in [0, 1].
    """
    X = np.asarray(X)
    if X.ndim != 4 or X.shape[1:] != (28, 28, 1):
        raise ValueError(f"mnist_to_8x8: images should have shape (m, 28, 28, 1), got {X.shape}")
    parts = []
    for start in range(0, len(X), chunk):  # bounded memory: 2 matrices of 32x28 per image
        A = X[start:start + chunk, :, :, 0].astype(np.float32)
        rows, cols = A.max(axis=2) > 0.1, A.max(axis=1) > 0.1  # (m, 28): holds ink
        top, bottom = rows.argmax(axis=1), 27 - rows[:, ::-1].argmax(axis=1)
        left, right = cols.argmax(axis=1), 27 - cols[:, ::-1].argmax(axis=1)
        half = np.maximum(bottom - top, right - left) / 2  # a square box, centred on the ink
        mid_r, mid_c = (top + bottom) / 2, (left + right) / 2
        R_rows = _box_sampling(mid_r - half, mid_r + half, 32, 28)
        R_cols = _box_sampling(mid_c - half, mid_c + half, 32, 28)
        on = np.einsum("mij,mjk,mlk->mil", R_rows, A, R_cols, optimize=True) >= threshold
        counts = on.reshape(len(A), 8, 4, 8, 4).sum(axis=(2, 4), dtype=np.float32)
        parts.append(counts[..., None] / np.float32(16))
    return np.concatenate(parts) if parts else np.zeros((0, 8, 8, 1), np.float32)
