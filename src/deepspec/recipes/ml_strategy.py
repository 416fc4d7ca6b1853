"""Course 3 on real data: diagnose a data mismatch, fix it by synthesis, analyse the errors.
notes course 3 week 2 ("Training and testing on different distributions", "Bias and variance
with mismatched data distributions", "Addressing data mismatch", "Carrying out error
analysis")

The notes' cat app: training images from the web, dev and test images from phones, blurrier.
Here: the training set is clean MNIST (45000 images, with 5000 more held out as the
training-dev set), and the dev and test sets are the 10000 validation and 10000 test images
as a "phone" would take them: each blurred (Gaussian, sigma 0.5-1.6 pixels), dimmed
(contrast 0.5-1) and noisy (sigma 0.15). Human-level error on such images is taken as 1%.

1. Train an MLP on the clean training set; ``diagnose`` its errors: the training-dev error
   is low, the dev error high, so the largest gap is data mismatch.
2. The notes' fix, artificial data synthesis: degrade half the training (and training-dev)
   images the same way, train again, diagnose again.
3. Error analysis of the dev errors left, tagged by what degraded each image (heavy blur, low
   contrast) and by digit: each category's share of the errors and the ceiling on what
   fixing it could gain.
"""

from __future__ import annotations

import numpy as np

from .. import data, models
from ..optim import Adam
from ..strategy import diagnose, error_analysis, error_tags
from ..train import fit, predict
from .base import Option, Recipe, percent
from .plots import check_plot, plot_bars

HUMAN_ERROR = 0.01          # assumed: people reading blurred, noisy digits
BLUR = (0.5, 1.6)           # Gaussian blur sigma, pixels
CONTRAST = (0.5, 1.0)       # the image is multiplied by this
NOISE = 0.15                # additive Gaussian noise sigma
HEAVY_BLUR, LOW_CONTRAST = 1.3, 0.65   # the error-analysis tags' thresholds
RADIUS = 4                  # blur kernel half-width (covers 2.5 sigma at the largest sigma)


def degrade(X: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A "phone" version of (m, 784) images in [0, 1]: per-image blur, contrast and noise.
    Returns the images and each one's {"blur", "contrast"} (for the error analysis). The
    blur is separable: a loop over the 2 * RADIUS + 1 kernel offsets, never over pixels."""
    m = len(X)
    sigma = rng.uniform(*BLUR, m)
    contrast = rng.uniform(*CONTRAST, m)
    offsets = np.arange(-RADIUS, RADIUS + 1)
    kernel = np.exp(-0.5 * (offsets[None, :] / sigma[:, None]) ** 2)
    kernel /= kernel.sum(axis=1, keepdims=True)          # (m, 2R + 1), one kernel per image
    images = X.reshape(m, 28, 28).astype(np.float32)
    for axis in (1, 2):
        padded = np.pad(images, [(0, 0)] + [(RADIUS, RADIUS) if a == axis else (0, 0)
                                            for a in (1, 2)])
        out = np.zeros_like(images)
        for k in range(len(offsets)):
            window = padded[:, k:k + 28, :] if axis == 1 else padded[:, :, k:k + 28]
            out += kernel[:, k, None, None].astype(np.float32) * window
        images = out
    images *= contrast[:, None, None].astype(np.float32)
    images += rng.normal(0, NOISE, images.shape).astype(np.float32)
    return np.clip(images, 0, 1).reshape(m, 784), {"blur": sigma, "contrast": contrast}


def _error(model, X, y) -> float:
    return float(np.mean(predict(model, X).argmax(axis=1) != y))


def _train(X, y, *, epochs, hidden, seed, quiet, label):
    model = models.mlp([784, hidden, 10], seed=seed)
    fit(model, X, y, loss="softmax_cross_entropy",
        optimizer=Adam(model.parameters(), learning_rate=1e-3), epochs=epochs, batch_size=128,
        verbose=0 if quiet else 1, seed=np.random.default_rng([seed, 1]))
    if not quiet:
        print(f"trained: {label}")
    return model


def run(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None, plot=None, *,
        hidden: int = 256, path=None) -> dict:
    """Diagnose, synthesize, diagnose again, analyse the errors (see the module)."""
    check_plot(plot)
    if save is not None:
        raise ValueError("ml-strategy trains two models to compare them and saves neither; "
                         "--save is not an option of this recipe")
    epochs = 4 if epochs is None else epochs
    rng = np.random.default_rng([seed, 7])
    mnist = data.load_mnist(path)
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = (mnist[k] for k in
                                                             ("train", "valid", "test"))
    (X, y), (X_td, y_td) = data.train_dev_split(X_train, y_train, dev_size=5000, seed=seed)
    X_dev, dev_tags = degrade(X_val, rng)
    X_test, _ = degrade(X_test, rng)

    def measure(model, X_fit, X_train_dev):
        return diagnose(human_error=HUMAN_ERROR, train_error=_error(model, X_fit, y),
                        train_dev_error=_error(model, X_train_dev, y_td),
                        dev_error=_error(model, X_dev, y_val),
                        test_error=_error(model, X_test, y_test))

    clean = _train(X, y, epochs=epochs, hidden=hidden, seed=seed, quiet=quiet,
                   label="on clean training images")
    before = measure(clean, X, X_td)
    if not quiet:
        print("\n1. Trained on clean images, evaluated on phone images:\n")
        print(before)

    # artificial data synthesis: half of the training distribution now looks like the phone's
    X_syn, X_td_syn = X.copy(), X_td.copy()
    half = rng.random(len(X)) < 0.5
    X_syn[half] = degrade(X[half], rng)[0]
    half_td = rng.random(len(X_td)) < 0.5
    X_td_syn[half_td] = degrade(X_td[half_td], rng)[0]
    synthesized = _train(X_syn, y, epochs=epochs, hidden=hidden, seed=seed, quiet=quiet,
                         label="with half the training images degraded (synthesis)")
    after = measure(synthesized, X_syn, X_td_syn)
    if not quiet:
        print("\n2. After artificial data synthesis:\n")
        print(after)

    predicted = predict(synthesized, X_dev).argmax(axis=1)
    wrong = predicted != y_val
    table = np.stack([dev_tags["blur"] > HEAVY_BLUR, dev_tags["contrast"] < LOW_CONTRAST], 1)
    tags = [set(t) | {f"digit {d}"} for t, d in
            zip(error_tags(wrong, table, categories=["heavy blur", "low contrast"]),
                y_val[wrong])]
    analysis = error_analysis(tags, n_dev=len(y_val))
    if not quiet:
        print("\n3. Error analysis of the dev errors left:\n")
        print(analysis.table())
    top = [row for row in analysis.rows][:6]
    results = {
        "mismatch_before": round(before.data_mismatch, 4),
        "mismatch_after": round(after.data_mismatch, 4),
        "dev_error_before": round(before.dev_error, 4),
        "dev_error_after": round(after.dev_error, 4),
        "test_error_after": round(after.test_error, 4),
        "largest_gap_before": before.largest,
        "largest_gap_after": after.largest,
        "gaps_before": {k: round(v, 4) for k, v in before.gaps.items()},
        "gaps_after": {k: round(v, 4) for k, v in after.gaps.items()},
        "error_categories": {row.category: {"share": round(row.share, 4),
                                            "ceiling": round(row.ceiling, 4)} for row in top},
        "epochs": epochs,
    }
    if plot is not None:
        plot_bars({"trained on clean images": {k: 100 * v for k, v in before.gaps.items()},
                   "after data synthesis": {k: 100 * v for k, v in after.gaps.items()}},
                  plot, title="ml-strategy: the gaps diagnose measures", ylabel="percent")
    return results


RECIPES = (
    Recipe(
        name="ml-strategy",
        run=run,
        summary="diagnose a train/dev data mismatch (clean vs phone-like MNIST), fix it by "
                "artificial data synthesis, then error analysis",
        metric="dev_error_after",
        course="a training-dev set tells variance from data mismatch; artificial data "
               "synthesis closes the mismatch (the notes' car-noise example; qualitative)",
        fast=True,
        data=("mnist",),
        headline=lambda r: (f"mismatch {percent(r['mismatch_before'])} -> "
                            f"{percent(r['mismatch_after'])}; dev error "
                            f"{percent(r['dev_error_before'])} -> "
                            f"{percent(r['dev_error_after'])}"),
        options=(Option("hidden", int, 256, "hidden units of the MLP"),),
    ),
)
