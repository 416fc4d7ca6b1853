"""Bias, variance and data mismatch from the error levels.   notes course 3, weeks 1-2

The notes' key quantities, top to bottom: human-level error (the proxy for Bayes error),
training error, training-dev error (same distribution as training, not trained on), dev
error, test error. The gap between each pair names a problem and its knobs
(orthogonalization: one knob per problem):

    avoidable bias     = training - human-level
    variance           = training-dev - training   (dev - training without a training-dev set)
    data mismatch      = dev - training-dev
    overfitting to dev = test - dev
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ._table import format_table, percent

GAPS = ("avoidable_bias", "variance", "data_mismatch", "dev_overfitting")

LABELS = {
    "avoidable_bias": "avoidable bias",
    "variance": "variance",
    "data_mismatch": "data mismatch",
    "dev_overfitting": "overfitting to dev",
}

# The notes' knobs for each gap ("Improving your model performance", "Addressing data
# mismatch", and the orthogonalization chain for the test set).
NEXT_STEPS = {
    "avoidable_bias": (
        "Train bigger model",
        "Train longer / better optimization algorithms (momentum, RMSprop, Adam)",
        "NN architecture / hyperparameters search (RNN, CNN, ...)",
    ),
    "variance": (
        "More data",
        "Regularization (L2, dropout, data augmentation)",
        "NN architecture / hyperparameters search",
    ),
    "data_mismatch": (
        "Carry out manual error analysis to understand differences between training and "
        "dev/test sets (e.g. noisy data)",
        "Make training data more similar, or collect more data similar to dev/test sets "
        "(e.g. simulate noisy in-car data)",
        "Artificial data synthesis (careful: synthesizing from a tiny subset of all "
        "possibilities, e.g. one hour of car noise, can overfit to it)",
    ),
    "dev_overfitting": (
        "Get a bigger dev set: the dev set was overtuned to",
    ),
}


@dataclass(frozen=True)
class Diagnosis:
    """The error levels, the gaps between them, the largest gap and the notes' next steps.

    A gap is None when a level it needs was not given. ``largest`` names the largest
    positive gap (one of ``GAPS``), or is None when no gap is positive.
    """

    human_error: float
    train_error: float
    dev_error: float
    train_dev_error: float | None
    test_error: float | None
    avoidable_bias: float
    variance: float
    data_mismatch: float | None
    dev_overfitting: float | None
    largest: str | None
    human_level: str | None = None       # which human level was taken, when several were given
    remarks: tuple[str, ...] = field(default=())

    @property
    def gaps(self) -> dict[str, float]:
        """The measured gaps, in the notes' order: name -> value."""
        values = {name: getattr(self, name) for name in GAPS}
        return {name: value for name, value in values.items() if value is not None}

    @property
    def next_steps(self) -> tuple[str, ...]:
        """The notes' next steps for the largest gap (empty when no gap is positive)."""
        return NEXT_STEPS[self.largest] if self.largest else ()

    def advice(self) -> dict[str, tuple[str, ...]]:
        """The notes' next steps for every positive gap, largest first."""
        positive = sorted((v, -GAPS.index(n), n) for n, v in self.gaps.items() if v > 0)
        return {name: NEXT_STEPS[name] for _, _, name in reversed(positive)}

    def __str__(self) -> str:
        human = "human-level (Bayes proxy)"
        if self.human_level:
            human = f"human-level: {self.human_level}"
        levels = [
            [human, percent(self.human_error, 2)],
            ["training", percent(self.train_error, 2)],
            ["training-dev", percent(self.train_dev_error, 2)],
            ["dev", percent(self.dev_error, 2)],
            ["test", percent(self.test_error, 2)],
        ]
        variance_from = "training-dev" if self.train_dev_error is not None else "dev"
        measured = {
            "avoidable_bias": "training - human-level",
            "variance": f"{variance_from} - training",
            "data_mismatch": "dev - training-dev",
            "dev_overfitting": "test - dev",
        }
        gaps = [[LABELS[name], percent(getattr(self, name), 2), measured[name],
                 "<- largest" if name == self.largest else ""] for name in GAPS]
        lines = [format_table(["error", "value"], levels), "",
                 format_table(["gap", "value", "measured as", ""], gaps, align="lrll"), ""]
        if self.largest:
            lines.append(f"Largest gap: {LABELS[self.largest]}. Next steps (notes):")
            lines += [f"  - {step}" for step in self.next_steps]
        else:
            lines.append("No positive gap: nothing left to close on these numbers.")
        lines += [f"Note: {remark}" for remark in self.remarks]
        return "\n".join(lines)


def _fraction(name: str, value, *, required: bool = True) -> float | None:
    if value is None:
        if required:
            raise ValueError(f"diagnose: {name} is required")
        return None
    numeric = isinstance(value, (int, float)) or hasattr(value, "__float__")
    if isinstance(value, bool) or not numeric:
        raise TypeError(f"diagnose: {name} should be a number (a fraction such as 0.08 for "
                        f"8%), got {type(value).__name__}")
    value = float(value)
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"diagnose: {name} should be a fraction in [0, 1] (0.08 for 8%), "
                         f"got {value}")
    return value


def _human_error(human_error) -> tuple[float, str | None, str | None]:
    """One number, or several human levels (name -> error) of which the best is taken."""
    if not isinstance(human_error, Mapping):
        return _fraction("human_error", human_error), None, None
    if not human_error:
        raise ValueError("diagnose: human_error should be a number or a non-empty mapping "
                         "name -> error, got an empty mapping")
    levels = {str(k): _fraction(f"human_error[{k!r}]", v) for k, v in human_error.items()}
    best = min(levels, key=levels.get)
    remark = (f"human-level error is the best of {len(levels)} human levels ({best}, "
              f"{percent(levels[best], 2)}): Bayes error is at most that")
    return levels[best], best, remark


def diagnose(*, human_error, train_error, dev_error, train_dev_error=None,
             test_error=None) -> Diagnosis:
    """Avoidable bias, variance, data mismatch and overfitting to dev, with next steps.

    notes course 3 week 1 ("Avoidable bias", "Improving your model performance") and week 2
    ("Bias and variance with mismatched data distributions"). Errors are fractions in
    [0, 1]. ``human_error`` is a number or a mapping of human levels (e.g. typical doctor,
    team of experienced doctors): the best (lowest) is the proxy for Bayes error, as in the
    notes' medical example. ``print(diagnose(human_error=0.01, train_error=0.08,
    dev_error=0.10))`` shows a report whose largest gap is avoidable bias (7%).
    """
    human, human_level, human_remark = _human_error(human_error)
    train = _fraction("train_error", train_error)
    dev = _fraction("dev_error", dev_error)
    train_dev = _fraction("train_dev_error", train_dev_error, required=False)
    test = _fraction("test_error", test_error, required=False)

    avoidable_bias = train - human
    variance = (train_dev if train_dev is not None else dev) - train
    data_mismatch = dev - train_dev if train_dev is not None else None
    dev_overfitting = test - dev if test is not None else None
    gaps = {"avoidable_bias": avoidable_bias, "variance": variance,
            "data_mismatch": data_mismatch, "dev_overfitting": dev_overfitting}
    measured = {name: value for name, value in gaps.items() if value is not None}
    largest = max(measured, key=measured.get)  # ties go to the earlier knob in the chain
    if measured[largest] <= 0:
        largest = None

    remarks = [human_remark] if human_remark else []
    if avoidable_bias < 0:
        remarks.append("training error is below human-level error: past human-level "
                       "performance the human proxy for Bayes error no longer says how much "
                       "bias is avoidable, and progress gets harder")
    if data_mismatch is not None and data_mismatch < 0:
        remarks.append("dev error is below training-dev error: the dev/test data may be "
                       "easier than the training distribution")
    if variance < 0:
        remarks.append(f"{'training-dev' if train_dev is not None else 'dev'} error is below "
                       "training error: the training set is the harder one")
    return Diagnosis(human, train, dev, train_dev, test, avoidable_bias, variance,
                     data_mismatch, dev_overfitting, largest, human_level, tuple(remarks))
