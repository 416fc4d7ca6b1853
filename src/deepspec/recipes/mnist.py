"""A deep MLP on MNIST, the courses 1-2 tools put together.   notes §1.4, §2.1-2.4

``deepspec run mnist-mlp``: [784, 512, 256, 10] with ReLU, He initialization, inverted
dropout (keep_prob 0.8), mini-batches of 128, Adam with exponential learning-rate decay;
trained on the 50000 training images with the 10000 validation images as the dev set, and
scored once on the 10000 test images.
"""

from __future__ import annotations

import time

import numpy as np

from .. import data, models
from ..io import save as save_checkpoint
from ..optim import Adam, exponential
from ..train import Callback, LearningRateScheduler, fit, predict
from .base import Option, Recipe, percent
from .plots import check_plot, plot_curves


class EpochTimer(Callback):
    """Seconds per epoch, for the results."""

    def __init__(self):
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, state):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs, state):
        self.seconds.append(time.perf_counter() - self._start)


def run(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None, plot=None, *,
        hidden_sizes: str = "512,256", keep_prob: float = 0.8, batch_size: int = 128,
        learning_rate: float = 1e-3, decay: float = 0.75, path=None) -> dict:
    """Train the MLP and report dev and test accuracy. ``hidden_sizes``: comma-separated hidden
    layer sizes; ``path``: an MNIST file or folder instead of the cache."""
    check_plot(plot)
    epochs = 8 if epochs is None else epochs
    try:
        sizes = [int(n) for n in str(hidden_sizes).split(",") if n.strip()]
    except ValueError:
        sizes = []
    if batch_size < 1 or not 0 < keep_prob <= 1 or learning_rate <= 0:
        raise ValueError(f"mnist-mlp: batch_size should be >= 1, keep_prob in (0, 1] and "
                         f"learning_rate > 0; got {batch_size}, {keep_prob}, {learning_rate}")
    if not sizes or min(sizes) < 1:
        raise ValueError(f"mnist-mlp: hidden_sizes should be comma-separated sizes >= 1, "
                         f"got {hidden_sizes!r}")
    mnist = data.load_mnist(path)
    (X, y), (X_dev, y_dev), (X_test, y_test) = mnist["train"], mnist["valid"], mnist["test"]
    model = models.mlp([784, *sizes, 10], keep_prob=keep_prob, seed=seed)
    optimizer = Adam(model.parameters(), learning_rate=learning_rate)
    timer = EpochTimer()
    if not quiet:
        print(f"mnist-mlp: {model.num_parameters():,} parameters; {len(X)} training, "
              f"{len(X_dev)} dev, {len(X_test)} test images")
    history = fit(model, X, y, loss="softmax_cross_entropy", optimizer=optimizer,
                  epochs=epochs, batch_size=batch_size, validation_data=(X_dev, y_dev),
                  metrics=["accuracy"], verbose=0 if quiet else 2,
                  seed=np.random.default_rng([seed, 1]),
                  callbacks=[LearningRateScheduler(exponential(learning_rate, decay)), timer])
    test_accuracy = float(np.mean(predict(model, X_test).argmax(axis=1) == y_test))
    results = {
        "test_accuracy": round(test_accuracy, 4),
        "dev_accuracy": round(float(history.history["val_accuracy"][-1]), 4),
        "train_accuracy": round(float(history.history["accuracy"][-1]), 4),
        "epochs": epochs,
        "seconds_per_epoch": round(float(np.median(timer.seconds)), 2) if timer.seconds else 0,
        "parameters": model.num_parameters(),
    }
    if save is not None:
        save_checkpoint(model, save, metadata={"recipe": "mnist-mlp", **results})
    if plot is not None:
        h = history.history
        plot_curves({"training accuracy (dropout on)": h["accuracy"],
                     "dev accuracy": h["val_accuracy"]}, plot,
                    title="mnist-mlp", xlabel="epoch", ylabel="accuracy")
    return results


RECIPES = (
    Recipe(
        name="mnist-mlp",
        run=run,
        summary="[784, 512, 256, 10] ReLU MLP with dropout and Adam on MNIST",
        metric="test_accuracy",
        course="no course number; course 2's tools (He init, dropout, mini-batch Adam, "
               "learning-rate decay) on real data: expect about 98%",
        fast=True,
        data=("mnist",),
        headline=lambda r: f"{percent(r['test_accuracy'])} test",
        options=(
            Option("hidden-sizes", str, "512,256", "comma-separated hidden layer sizes"),
            Option("keep-prob", float, 0.8, "dropout keep probability (1: no dropout)"),
            Option("batch-size", int, 128, "mini-batch size"),
            Option("learning-rate", float, 1e-3, "Adam's initial learning rate alpha"),
        ),
    ),
)
