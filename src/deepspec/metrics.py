"""Evaluation metrics on label arrays: the single-number metrics of course 3.   notes §3.1.3

Accuracy, the confusion matrix, precision = TP / (TP + FP), recall = TP / (TP + FN),
F1 = 2 / (1/P + 1/R) (their harmonic mean), specificity = TN / (TN + FP), the weighted error
of notes §3.1.7, top-k accuracy and a per-class report.

Plain NumPy, no autograd. Labels are 1-D arrays ``(m,)`` (a column or row vector ``(m, 1)`` /
``(1, m)`` from the notes' column-major API is flattened) of ints, integral floats, bools or
strings. Keyword names and results follow ``sklearn.metrics``: ``average`` in
{"binary", "micro", "macro", "weighted", None}, ``pos_label``, ``labels`` and
``zero_division`` (0.0, 1.0 or nan: the value given where a denominator is zero).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "accuracy", "classification_report", "confusion_matrix", "f1_score", "precision",
    "recall", "specificity", "to_labels", "top_k_accuracy", "weighted_error",
]

AVERAGES = ("binary", "micro", "macro", "weighted", None)


# ---- input checks -------------------------------------------------------------------------------
def _as_labels(fn: str, name: str, y) -> np.ndarray:
    """``y`` as a 1-D array of class labels, or a ValueError/TypeError naming ``fn``."""
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1:
        raise ValueError(f"{fn}: {name} should be 1-D labels (m,) or a column/row vector "
                         f"(m, 1)/(1, m), got shape {y.shape}")
    if y.size == 0:
        raise ValueError(f"{fn}: {name} is empty; need at least one example")
    if y.dtype.kind == "O":
        if all(isinstance(v, str) for v in y.tolist()):
            y = y.astype(str)
        else:
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"{fn}: {name} should hold numbers or strings, got a mix of "
                                f"{sorted({type(v).__name__ for v in y.tolist()})}") from None
    if y.dtype.kind == "S":
        y = y.astype(str)
    if y.dtype.kind not in "biufU":
        raise TypeError(f"{fn}: {name} should hold class labels (ints, bools or strings), "
                        f"got dtype {y.dtype}")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            raise ValueError(f"{fn}: {name} should hold class labels, got NaN or inf")
        fractional = y != np.round(y)
        if np.any(fractional):
            raise ValueError(f"{fn}: {name} should hold class labels, got non-integer values "
                             f"(e.g. {y[fractional][0]}); for scores use to_labels() first")
    return y


def _as_pair(fn: str, y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    yt, yp = _as_labels(fn, "y_true", y_true), _as_labels(fn, "y_pred", y_pred)
    if len(yt) != len(yp):
        raise ValueError(f"{fn}: y_true and y_pred should have the same length, "
                         f"got {len(yt)} and {len(yp)}")
    if (yt.dtype.kind == "U") != (yp.dtype.kind == "U"):
        raise TypeError(f"{fn}: y_true and y_pred should both be numbers or both be strings, "
                        f"got dtypes {yt.dtype} and {yp.dtype}")
    return yt, yp


def _as_label_list(fn: str, labels) -> np.ndarray:
    labels = np.asarray(labels).reshape(-1) if np.ndim(labels) <= 1 else np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"{fn}: labels should be a non-empty 1-D list, got shape "
                         f"{labels.shape}")
    values = labels.tolist()
    if any(isinstance(v, float) and math.isnan(v) for v in values):
        raise ValueError(f"{fn}: labels should not contain NaN")
    if len(set(values)) != len(values):
        raise ValueError(f"{fn}: labels should be unique, got {values}")
    return labels


def _positions(keys: np.ndarray, within) -> np.ndarray:
    """For each entry of ``keys``, its index in the list ``within``, or -1 (one dict lookup per
    class, never per example)."""
    index = {value: i for i, value in enumerate(np.asarray(within).tolist())}
    return np.array([index.get(value, -1) for value in keys.tolist()], dtype=np.int64)


def _encode(yt, yp, labels) -> tuple[np.ndarray, np.ndarray]:
    """y_true and y_pred as indices into ``labels``, -1 where a label is not listed."""
    present = np.union1d(yt, yp)
    where = _positions(present, labels)
    return where[np.searchsorted(present, yt)], where[np.searchsorted(present, yp)]


def _check_zero_division(fn: str, zero_division) -> float:
    ok = isinstance(zero_division, (int, float, np.number)) and not isinstance(zero_division, bool)
    if ok and (zero_division in (0, 1) or math.isnan(zero_division)):
        return float(zero_division)
    raise ValueError(f"{fn}: zero_division should be 0.0, 1.0 or nan, got {zero_division!r}")


# ---- simple metrics ----------------------------------------------------------------------------
def accuracy(y_true, y_pred) -> float:
    """The fraction of examples with y_pred == y_true (1 - classification error)."""
    yt, yp = _as_pair("accuracy", y_true, y_pred)
    return float(np.mean(yt == yp))


def to_labels(scores, threshold: float = 0.5) -> np.ndarray:
    """Predicted labels from a model's outputs.   notes §1.2 (yhat = 1 if a > 0.5)

    Shapes: binary probabilities (m,) or (m, 1) -> int labels 1{score > threshold} (m,);
    scores (m, C), C > 1 -> argmax over classes (m,). A column-major output A (1, m) is passed
    as ``A.T`` ((1, m) itself is refused: it could be either). Use ``threshold=0`` for logits.
    """
    scores = np.asarray(scores)
    if scores.dtype.kind not in "biuf":
        raise TypeError(f"to_labels: scores should be numeric, got dtype {scores.dtype}")
    if scores.ndim not in (1, 2) or scores.shape[0] == 0 or scores.size == 0:
        raise ValueError(f"to_labels: scores should have shape (m,), (m, 1) or (m, C) with "
                         f"m > 0, got {scores.shape}")
    if np.any(np.isnan(scores)):
        raise ValueError("to_labels: scores contain NaN")
    if scores.ndim == 2 and scores.shape[0] == 1 < scores.shape[1]:
        raise ValueError(f"to_labels: scores of shape {scores.shape} are ambiguous: pass the "
                         f"notes' column-major output A (1, m) as A.T (m, 1); for one "
                         f"example's class scores use scores.argmax()")
    if scores.ndim == 2 and scores.shape[1] > 1:
        return np.argmax(scores, axis=1)
    if not isinstance(threshold, (int, float, np.number)) or not np.isfinite(threshold):
        raise ValueError(f"to_labels: threshold should be a finite number, got {threshold!r}")
    return (scores.reshape(-1) > threshold).astype(np.int64)


def weighted_error(y_true, y_pred, weights) -> float:
    """Error = 1 / sum_i w(i) * sum_i w(i) 1{yhat(i) != y(i)}.   notes §3.1.7

    ``weights`` (m,): e.g. 10 for examples whose mistakes are unacceptable, 1 otherwise.
    """
    yt, yp = _as_pair("weighted_error", y_true, y_pred)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 2 and 1 in w.shape:
        w = w.reshape(-1)
    if w.shape != yt.shape:
        raise ValueError(f"weighted_error: weights should have shape {yt.shape}, got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weighted_error: weights should be finite and >= 0")
    total = w.sum()
    if total <= 0:
        raise ValueError("weighted_error: weights sum to 0; need at least one positive weight")
    return float(np.dot(w, yt != yp) / total)


def confusion_matrix(y_true, y_pred, labels=None) -> np.ndarray:
    """C[i, j] = number of examples of true class labels[i] predicted as labels[j].

    Rows are true classes, columns predicted ones (as sklearn). ``labels`` (default: the sorted
    labels of y_true and y_pred) picks and orders the classes; examples whose true or
    predicted label is not listed are left out. One ``bincount`` of ``t * n + p``.
    Shapes: y_true (m,), y_pred (m,) -> (n, n) int64.
    """
    yt, yp = _as_pair("confusion_matrix", y_true, y_pred)
    if labels is None:
        labels = np.union1d(yt, yp)
    else:
        labels = _as_label_list("confusion_matrix", labels)
        if not np.any(_positions(labels, np.unique(yt)) >= 0):
            raise ValueError(f"confusion_matrix: none of labels {labels.tolist()} occurs in "
                             f"y_true")
    n = len(labels)
    t, p = _encode(yt, yp, labels)
    kept = (t >= 0) & (p >= 0)
    return np.bincount(t[kept] * n + p[kept], minlength=n * n).reshape(n, n)


# ---- precision, recall, F1, specificity --------------------------------------------------------
def _counts(fn, y_true, y_pred, average, pos_label, labels):
    """Per-label TP, predicted count, true count (one-vs-rest), m, and the labels used."""
    if average not in AVERAGES:
        raise ValueError(f"{fn}: average should be one of {AVERAGES}, got {average!r}")
    yt, yp = _as_pair(fn, y_true, y_pred)
    present = np.union1d(yt, yp)
    if average == "binary":
        if len(present) > 2:
            raise ValueError(f"{fn}: the labels are multiclass ({len(present)} classes), but "
                             f"average='binary'; choose one of 'micro', 'macro', 'weighted' "
                             f"or None")
        if len(present) == 2 and pos_label not in present.tolist():
            raise ValueError(f"{fn}: pos_label={pos_label!r} is not a valid label; it should "
                             f"be one of {present.tolist()}")
        labels = np.asarray([pos_label])
    elif labels is None:
        labels = present
    else:
        labels = _as_label_list(fn, labels)
    n = len(labels)
    t, p = _encode(yt, yp, labels)
    tp = np.bincount(t[(t == p) & (t >= 0)], minlength=n)
    predicted = np.bincount(p[p >= 0], minlength=n)
    true = np.bincount(t[t >= 0], minlength=n)
    return tp, predicted, true, len(yt), labels


def _divide(num, den, zero_division: float) -> np.ndarray:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(num.shape, zero_division)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _nanaverage(score: np.ndarray, weights=None) -> float:
    """Mean over labels ignoring NaN (zero_division=nan); unweighted if all weights are 0."""
    kept = ~np.isnan(score)
    if not np.any(kept):
        return math.nan
    if weights is None or np.sum(weights[kept]) == 0:
        return float(np.mean(score[kept]))
    return float(np.average(score[kept], weights=weights[kept]))


def _summarize(num, den, true, average, zero_division):
    """Per-label num/den, averaged as asked: micro sums first, macro and weighted after."""
    if average == "micro":
        num, den = num.sum(keepdims=True), den.sum(keepdims=True)
    score = _divide(num, den, zero_division)
    if average is None:
        return score
    if average in ("binary", "micro"):
        return float(score[0])
    return _nanaverage(score, true if average == "weighted" else None)


def _metric(fn, which, y_true, y_pred, average, pos_label, labels, zero_division):
    z = _check_zero_division(fn, zero_division)
    tp, predicted, true, m, _ = _counts(fn, y_true, y_pred, average, pos_label, labels)
    num, den = {
        "precision": lambda: (tp, predicted),
        "recall": lambda: (tp, true),
        "f1": lambda: (2 * tp, predicted + true),
        "specificity": lambda: (m - predicted - true + tp, m - true),  # TN, TN + FP
    }[which]()
    return _summarize(num, den, true, average, z)


def precision(y_true, y_pred, *, average: str | None = "binary", pos_label=1, labels=None,
              zero_division: float = 0.0):
    """Precision = TP / (TP + FP): of the examples predicted positive, the fraction that is.
    notes §3.1.3

    ``average``: "binary" (pos_label's score), "micro" (pooled counts), "macro" (mean over
    labels), "weighted" (mean weighted by each label's support), None (one score per label,
    an array). As ``sklearn.metrics.precision_score``.
    """
    return _metric("precision", "precision", y_true, y_pred, average, pos_label, labels,
                   zero_division)


def recall(y_true, y_pred, *, average: str | None = "binary", pos_label=1, labels=None,
           zero_division: float = 0.0):
    """Recall (sensitivity) = TP / (TP + FN): of the positive examples, the fraction found.
    notes §3.1.3. ``average`` as in ``precision``; as ``sklearn.metrics.recall_score``.
    """
    return _metric("recall", "recall", y_true, y_pred, average, pos_label, labels,
                   zero_division)


def f1_score(y_true, y_pred, *, average: str | None = "binary", pos_label=1, labels=None,
             zero_division: float = 0.0):
    """F1 = 2 / (1/P + 1/R) = 2 TP / (2 TP + FP + FN), the harmonic mean.   notes §3.1.3

    ``average`` as in ``precision``; as ``sklearn.metrics.f1_score`` (zero_division applies
    only where TP + FP + FN = 0).
    """
    return _metric("f1_score", "f1", y_true, y_pred, average, pos_label, labels, zero_division)


def specificity(y_true, y_pred, *, average: str | None = "binary", pos_label=1, labels=None,
                zero_division: float = 0.0):
    """Specificity = TN / (TN + FP): of the negative examples, the fraction called negative.

    One-vs-rest per label; ``average`` as in ``precision`` ("weighted" by each label's
    support, "micro" pools TN and FP over labels).
    """
    return _metric("specificity", "specificity", y_true, y_pred, average, pos_label, labels,
                   zero_division)


# ---- top-k accuracy ----------------------------------------------------------------------------
def top_k_accuracy(y_true, scores, k: int = 5, labels=None) -> float:
    """The fraction of examples whose true class is among the k highest scores.

    Shapes: y_true (m,); scores (m, C), column j scoring class labels[j] (default: the sorted
    classes of y_true, which must then number C), or (m,) / (m, 1) for a binary problem (the
    positive class's score, thresholded at 0.5 for probabilities, 0 otherwise, when k = 1).
    Ties rank the higher column first, as ``sklearn.metrics.top_k_accuracy_score``.
    """
    fn = "top_k_accuracy"
    yt = _as_labels(fn, "y_true", y_true)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{fn}: k should be an int >= 1, got {k!r}")
    scores = np.asarray(scores)
    if scores.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: scores should be numeric, got dtype {scores.dtype}")
    binary = scores.ndim == 1 or (scores.ndim == 2 and scores.shape[1] == 1)
    if scores.ndim not in (1, 2) or scores.shape[0] != len(yt):
        raise ValueError(f"{fn}: scores should have shape ({len(yt)}, C) or ({len(yt)},), "
                         f"got {scores.shape}")
    if np.any(np.isnan(scores)):
        raise ValueError(f"{fn}: scores contain NaN")
    n_columns = 2 if binary else scores.shape[1]
    if labels is None:
        classes = np.unique(yt)
        if len(classes) != n_columns:
            raise ValueError(f"{fn}: y_true has {len(classes)} classes but scores have "
                             f"{n_columns}; pass labels= listing all {n_columns} classes")
    else:
        classes = _as_label_list(fn, labels)
        if len(classes) != n_columns:
            raise ValueError(f"{fn}: labels should list {n_columns} classes (the score "
                             f"columns), got {len(classes)}")
    seen = np.unique(yt)
    t = _positions(seen, classes)[np.searchsorted(seen, yt)]  # column of each true class
    if np.any(t < 0):
        raise ValueError(f"{fn}: y_true contains labels not in labels: "
                         f"{sorted(set(yt[t < 0].tolist()))}")
    if binary:
        s = scores.reshape(-1)
        if k > 1:
            return 1.0
        threshold = 0.5 if s.min() >= 0 and s.max() <= 1 else 0.0
        return float(np.mean((s > threshold) == (t == 1)))
    true_score = scores[np.arange(len(t)), t][:, None]
    column = np.arange(n_columns)
    rank = np.sum((scores > true_score) | ((scores == true_score) & (column > t[:, None])), 1)
    return float(np.mean(rank < k))


# ---- report ------------------------------------------------------------------------------------
def classification_report(y_true, y_pred, *, labels=None, target_names=None, digits: int = 2,
                          output_dict: bool = False, zero_division: float = 0.0):
    """Precision, recall, F1 and support per class, then accuracy, macro and weighted averages.

    A text table laid out as ``sklearn.metrics.classification_report``, or (``output_dict``)
    {name: {"precision", "recall", "f1-score", "support"}, "accuracy": float, "macro avg":
    {...}, "weighted avg": {...}}. When ``labels`` leaves out a present class, the accuracy
    row becomes "micro avg".
    """
    fn = "classification_report"
    z = _check_zero_division(fn, zero_division)
    yt, yp = _as_pair(fn, y_true, y_pred)
    present = np.union1d(yt, yp)
    labels = present if labels is None else _as_label_list(fn, labels)
    micro_is_accuracy = np.all(_positions(present, labels) >= 0)
    if target_names is None:
        target_names = [str(label) for label in labels.tolist()]
    elif len(target_names) != len(labels):
        raise ValueError(f"{fn}: target_names should name the {len(labels)} classes, "
                         f"got {len(target_names)} names")
    tp, predicted, true, _, _ = _counts(fn, yt, yp, None, 1, labels)
    fractions = [(tp, predicted), (tp, true), (2 * tp, predicted + true)]
    per_class = [_summarize(n, d, true, None, z) for n, d in fractions]
    classes = [(str(name), [s[i] for s in per_class] + [true[i]])
               for i, name in enumerate(target_names)]
    averages = [(heading, [_summarize(n, d, true, average, z) for n, d in fractions]
                 + [true.sum()])
                for heading, average in [("accuracy" if micro_is_accuracy else "micro avg",
                                          "micro"), ("macro avg", "macro"),
                                         ("weighted avg", "weighted")]]
    headers = ["precision", "recall", "f1-score", "support"]
    if output_dict:
        report = {name: dict(zip(headers, map(float, row))) for name, row in classes + averages}
        if "accuracy" in report:
            report["accuracy"] = report["accuracy"]["precision"]
        return report
    width = max(max(len(name) for name, _ in classes), len("weighted avg"), digits)
    line = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    text = " " * (width + 1) + "".join(f" {h:>9}" for h in headers) + "\n\n"
    text += "".join(line.format(name, *row, width=width, digits=digits) for name, row in classes)
    text += "\n"
    for name, row in averages:
        if name == "accuracy":  # only the F1 column (= accuracy) and the support
            text += f"{name:>{width}s} " + " " * 20 + f" {row[2]:>9.{digits}f} {row[3]:>9}\n"
        else:
            text += line.format(name, *row, width=width, digits=digits)
    return text
