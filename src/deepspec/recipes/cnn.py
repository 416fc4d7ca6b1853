"""Convolutional networks on real images: LeNet-5 on MNIST, a small batch-norm CNN with data
augmentation on Fashion-MNIST, and transfer learning from MNIST to scikit-learn's 8x8 digits.
notes §4.1-4.2 (course 4, weeks 1-2: "Classic networks", "Transfer learning", "Data
augmentation"), §3.2.7 (course 3: transfer learning)

With their defaults and seed 0 (times on two cores with little else running; several times
more where other jobs share the cores):

- ``lenet5-mnist``: 4 epochs of Adam, mini-batches of 32, the learning rate halved each
  epoch: 99.2% test accuracy (dev 98.9%), about 15 s an epoch, a minute in all.
- ``cnn-fashion``: 12 epochs with mirroring and random crops: 91.6% test accuracy (dev
  92.0%), about 30 s an epoch.
- ``transfer-digits``: with 100 labelled digits, a new head on the frozen MNIST trunk reaches
  94.0% on the 597 held-out digits, the same network trained from scratch 90.3%; under 10 s
  in all.
"""

from __future__ import annotations

import numpy as np

from .. import data
from ..backend import rng as make_rng
from ..data.augment import Compose, RandomCrop, RandomFlip
from ..models import lenet5, precompute_features, replace_head, split
from ..nn import BatchNorm2d, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential
from .base import Option, Recipe, percent
from .cnn_common import (
    accuracy,
    check_epochs,
    check_plot,
    epoch_summary,
    mnist_to_8x8,
    plot_curves,
    save_model,
    subset,
    train_classifier,
)

FASHION_DEV = 5000  # the last 5000 Fashion-MNIST training images: the dev set
DIGITS_TEST = 597   # a third of scikit-learn's 1797 digits, held out whatever the seed
SPLIT_SEED = 0


# ---------------------------------------------------------------------------- LeNet-5
def run_lenet5_mnist(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None,
                     plot=None, *, batch_size: int = 32, learning_rate: float = 2e-3,
                     decay: float = 0.5, max_train: int | None = None) -> dict:
    """LeNet-5 (ReLU, max pooling, notes §4.2) on MNIST with Adam.

    Trains on the 50000 training images (or a random ``max_train`` of them), monitors the
    10000 validation images after each epoch and reports the 10000 test images at the end.
    """
    name = "lenet5-mnist"
    check_plot(plot)
    epochs = check_epochs(name, 4 if epochs is None else epochs)
    mnist = data.load_mnist(flatten=False)
    train = subset(name, *mnist["train"], max_train, seed)
    model = lenet5((28, 28, 1), 10, seed=seed)
    if not quiet:
        print(f"{name}: LeNet-5 ({model.num_parameters():,} parameters) on {len(train[0])} "
              f"MNIST training images; dev: the 10000 validation images")
    history, seconds = train_classifier(
        name, model, train, mnist["valid"], epochs=epochs, batch_size=batch_size,
        learning_rate=learning_rate, decay=decay, seed=seed, quiet=quiet)
    return _finish(name, model, history, seconds, mnist["test"], len(train[0]), quiet=quiet,
                   save=save, plot=plot, title=f"{name}: LeNet-5 on MNIST",
                   training="training (during the epoch)")


def _finish(name, model, history, seconds, test, n_train, *, quiet, save, plot, title,
            training) -> dict:
    """What the two classifiers share after training: score the test set once, print the
    result, save the model and plot the cost and accuracy curves if asked."""
    results = {"test_accuracy": round(accuracy(model, *test), 4),
               "dev_accuracy": round(history["val_accuracy"][-1], 4),
               "train_examples": n_train, **epoch_summary(history, seconds)}
    if not quiet:
        print(f"{name}: test accuracy {percent(results['test_accuracy'])} after "
              f"{len(history['val_accuracy'])} epochs, {results['seconds_per_epoch']:.1f} s "
              f"per epoch")
    if save is not None:
        save_model(model, save, name, results)
    if plot is not None:
        h = history.history
        plot_curves(plot, title, {
            "cost": {training: h["loss"], "dev": h["val_loss"]},
            "accuracy": {training: h["accuracy"], "dev": h["val_accuracy"]}})
    return results


# ---------------------------------------------------------------------------- Fashion-MNIST
def fashion_cnn(seed=None, channels=(16, 32, 64), hidden: int = 256) -> Sequential:
    """[CONV 3x3 same -> BATCH NORM -> RELU -> MAX POOL 2] per entry of ``channels`` -> FC
    ``hidden`` -> RELU -> FC 10 logits; 28x28x1 -> 14x14x16 -> 7x7x32 -> 3x3x64 -> 576 -> 256
    -> 10 by default. The convolutions have no bias: batch norm's beta plays its role
    (notes §2.6.1).
    """
    rng, layers, n_C_prev, n = make_rng(seed), [], 1, 28
    for n_C in channels:
        layers += [Conv2D(n_C_prev, n_C, 3, padding="same", bias=False, seed=rng),
                   BatchNorm2d(n_C), ReLU(), MaxPool2D(2)]
        n_C_prev, n = n_C, n // 2
    return Sequential(*layers, Flatten(), Dense(n * n * n_C_prev, hidden, seed=rng), ReLU(),
                      Dense(hidden, 10, seed=rng))


def run_cnn_fashion(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None,
                    plot=None, *, batch_size: int = 64, learning_rate: float = 2e-3,
                    decay: float = 0.8, padding: int = 2, flip: bool = True,
                    max_train: int | None = None) -> dict:
    """A small batch-norm CNN on Fashion-MNIST, trained with data augmentation (notes §4.2):
    each training image mirrored left-right with probability 1/2 and shifted by a random
    crop of the image zero-padded by ``padding`` pixels (0: no crop).

    The last 5000 of the 60000 training images are the dev set (monitoring only); the model
    trains on the other 55000 (or a random ``max_train`` of them) and is scored once on the
    10000 test images.
    """
    name = "cnn-fashion"
    check_plot(plot)
    epochs = check_epochs(name, 12 if epochs is None else epochs)
    if padding < 0:
        raise ValueError(f"{name}: padding should be >= 0, got {padding}")
    fashion = data.load_fashion_mnist(flatten=False)
    X, y = fashion["train"]
    train = subset(name, X[:-FASHION_DEV], y[:-FASHION_DEV], max_train, seed)
    dev = X[-FASHION_DEV:], y[-FASHION_DEV:]
    steps = ([RandomFlip()] if flip else []) + ([RandomCrop(28, padding=padding)]
                                               if padding else [])
    model = fashion_cnn(seed=seed)
    if not quiet:
        print(f"{name}: batch-norm CNN ({model.num_parameters():,} parameters) on "
              f"{len(train[0])} Fashion-MNIST training images, {len(dev[0])} dev; "
              f"augmentation: {', '.join(map(repr, steps)) or 'none'}")
    history, seconds = train_classifier(
        name, model, train, dev, epochs=epochs, batch_size=batch_size,
        learning_rate=learning_rate, decay=decay, seed=seed, quiet=quiet,
        augment=Compose(steps) if steps else None)
    return _finish(name, model, history, seconds, fashion["test"], len(train[0]), quiet=quiet,
                   save=save, plot=plot,
                   title=f"{name}: batch-norm CNN with augmentation on Fashion-MNIST",
                   training="training (augmented, during the epoch)")


# ---------------------------------------------------------------------------- transfer
def digits_cnn(seed=None) -> Sequential:
    """CONV 3x3 8 -> RELU -> MAX POOL 2 -> CONV 3x3 16 -> RELU -> FC 64 -> RELU -> FC 10, for
    8x8x1 digits (8x8x8 -> 4x4x8 -> 4x4x16 -> 256 -> 64 -> 10). Everything but the last layer
    is the trunk that transfer learning keeps (its output: 64 features)."""
    rng = make_rng(seed)
    return Sequential(
        Conv2D(1, 8, 3, padding="same", seed=rng), ReLU(), MaxPool2D(2),
        Conv2D(8, 16, 3, padding="same", seed=rng), ReLU(),
        Flatten(), Dense(4 * 4 * 16, 64, seed=rng), ReLU(),
        Dense(64, 10, seed=rng),
    )


def digits_split(n_train: int, seed):
    """scikit-learn's digits as (train, dev, test): a fixed held-out test set of DIGITS_TEST
    images (the same whatever the seed), ``n_train`` training images drawn at random (with
    ``seed``) from the rest, and the remaining ones as the dev set (curves only)."""
    X, y = data.load_digits(flatten=False)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(X))
    test, pool = order[:DIGITS_TEST], order[DIGITS_TEST:]
    if not 10 <= n_train < len(pool):
        raise ValueError(f"transfer-digits: n_train should be in [10, {len(pool) - 1}], "
                         f"got {n_train}")
    pool = np.random.default_rng([seed, 1]).permutation(pool)
    train, dev = np.sort(pool[:n_train]), np.sort(pool[n_train:])
    return (X[train], y[train]), (X[dev], y[dev]), (X[test], y[test])


def run_transfer_digits(seed: int = 0, epochs: int | None = None, quiet: bool = False,
                        save=None, plot=None, *, n_train: int = 100, trunk_epochs: int = 2,
                        batch_size: int = 32, learning_rate: float = 1e-2,
                        decay: float = 0.97) -> dict:
    """Transfer learning with little data (notes §4.2, §3.2.7): a small CNN trained on MNIST
    (made 8x8 the way the target digits were, see ``mnist_to_8x8``), its trunk frozen and
    run once over the digits (features precomputed, the notes' tip), a new softmax head
    trained on ``n_train`` of scikit-learn's 8x8 digits; against the same network trained
    from scratch on the same digits, for the same ``epochs``. Both are scored on the same
    fixed held-out test digits.

    Why bring MNIST down to 8x8 rather than the digits up to 28x28: the digits were made from
    binary bitmaps by counting 4x4 blocks, so the same process applied to MNIST gives source
    images like the target ones (digit filling the box, the same ink); upsampled 8x8 digits
    would be blurred blocks unlike anything the trunk saw. And a network on 8x8 inputs is
    small: the whole recipe runs in well under a minute.
    """
    name = "transfer-digits"
    check_plot(plot)
    epochs = check_epochs(name, 40 if epochs is None else epochs)
    trunk_epochs = check_epochs(name, trunk_epochs)
    train, dev, test = digits_split(n_train, seed)
    mnist = data.load_mnist(flatten=False)
    source_train = mnist_to_8x8(mnist["train"][0]), mnist["train"][1]
    source_dev = mnist_to_8x8(mnist["valid"][0]), mnist["valid"][1]
    if not quiet:
        print(f"{name}: 1. the network on {len(source_train[0])} MNIST images made 8x8")
    pretrained = digits_cnn(seed=np.random.default_rng([seed, 2]))
    source_history, source_seconds = train_classifier(
        f"{name} (MNIST)", pretrained, source_train, source_dev, epochs=trunk_epochs,
        batch_size=128, learning_rate=2e-3, decay=0.7, seed=seed, quiet=quiet)

    # the notes' recipe: a new softmax head, the rest frozen; the trunk's features computed once
    model = replace_head(pretrained, Dense(64, 10, seed=np.random.default_rng([seed, 3])))
    trunk, head = split(model, len(model) - 1)
    features = [(precompute_features(trunk, X), y) for X, y in (train, dev, test)]
    if not quiet:
        print(f"{name}: 2. a new head on the frozen trunk's features of {n_train} digits")
    transfer_history, _ = train_classifier(
        f"{name} (transfer)", head, features[0], features[1], epochs=epochs,
        batch_size=batch_size, learning_rate=learning_rate, decay=decay, seed=seed,
        quiet=quiet, report_every=10)
    if not quiet:
        print(f"{name}: 3. the same network from scratch on the same {n_train} digits")
    scratch = digits_cnn(seed=np.random.default_rng([seed, 4]))
    scratch_history, _ = train_classifier(
        f"{name} (scratch)", scratch, train, dev, epochs=epochs, batch_size=batch_size,
        learning_rate=learning_rate, decay=decay, seed=seed, quiet=quiet, report_every=10)

    results = {
        "transfer_accuracy": round(accuracy(head, *features[2]), 4),
        "scratch_accuracy": round(accuracy(scratch, *test), 4),
        "mnist_8x8_dev_accuracy": round(source_history["val_accuracy"][-1], 4),
        "train_examples": n_train, "test_examples": len(test[0]), "epochs": epochs,
        "trunk_epochs": trunk_epochs,
        "trunk_seconds_per_epoch": round(float(np.mean(source_seconds)), 2),
        "transfer_dev_curve": [round(a, 4) for a in transfer_history["val_accuracy"]],
        "scratch_dev_curve": [round(a, 4) for a in scratch_history["val_accuracy"]],
    }
    if not quiet:
        print(f"{name}: test accuracy on {len(test[0])} held-out digits: transfer "
              f"{percent(results['transfer_accuracy'])}, from scratch "
              f"{percent(results['scratch_accuracy'])}")
    if save is not None:
        save_model(model, save, name, results)
    if plot is not None:
        t, s = transfer_history.history, scratch_history.history
        plot_curves(plot, f"{name}: {n_train} training digits", {
            "training cost": {"transfer (new head)": t["loss"], "from scratch": s["loss"]},
            "dev accuracy": {"transfer (new head)": t["val_accuracy"],
                             "from scratch": s["val_accuracy"]}})
    return results


def _transfer_headline(results: dict) -> str:
    return (f"transfer {percent(results['transfer_accuracy'])} vs scratch "
            f"{percent(results['scratch_accuracy'])}")


RECIPES = (
    Recipe(
        name="lenet5-mnist",
        run=run_lenet5_mnist,
        summary="LeNet-5 (ReLU, max pooling) trained with Adam on MNIST",
        metric="test_accuracy",
        course="LeNet-5 (~60K parameters) on handwritten digits: about 99% test accuracy "
               "(LeCun et al. 1998: 99.05%)",
        data=("mnist",),
        options=(
            Option("batch-size", int, 32, "mini-batch size"),
            Option("learning-rate", float, 2e-3, "Adam's initial learning rate"),
            Option("decay", float, 0.5, "learning rate multiplier per epoch"),
            Option("max-train", int, None, "train on a random subset of this many images"),
        ),
    ),
    Recipe(
        name="cnn-fashion",
        run=run_cnn_fashion,
        summary="small CNN with batch norm, mirroring and random crops on Fashion-MNIST",
        metric="test_accuracy",
        course="data augmentation (mirroring, random cropping) and batch norm; ours: >= 91% "
               "test accuracy on Fashion-MNIST",
        data=("fashion-mnist",),
        options=(
            Option("batch-size", int, 64, "mini-batch size"),
            Option("learning-rate", float, 2e-3, "Adam's initial learning rate"),
            Option("decay", float, 0.8, "learning rate multiplier per epoch"),
            Option("padding", int, 2, "random crops of the images padded by this many pixels "
                                      "(0: no crops)"),
            Option("max-train", int, None, "train on a random subset of this many images"),
        ),
    ),
    Recipe(
        name="transfer-digits",
        run=run_transfer_digits,
        summary="CNN trunk trained on MNIST, frozen; new head on 100 of scikit-learn's 8x8 "
                "digits, against the same CNN trained from scratch",
        metric="transfer_accuracy",
        course="transfer learning with a small data set: freeze the trunk, train a new "
               "softmax head; ours: beats training from scratch on the same few examples",
        fast=True,
        data=("mnist",),
        headline=_transfer_headline,
        options=(
            Option("n-train", int, 100, "labelled digits to train on"),
            Option("trunk-epochs", int, 2, "epochs of the network on MNIST"),
            Option("batch-size", int, 32, "mini-batch size"),
            Option("learning-rate", float, 1e-2, "Adam's initial learning rate"),
            Option("decay", float, 0.97, "learning rate multiplier per epoch"),
        ),
    ),
)
