"""deepspec.metrics against sklearn.metrics on many random cases, plus the error messages."""

import math

import numpy as np
import pytest
import sklearn.metrics as skm

from deepspec import metrics

AVERAGES = ["micro", "macro", "weighted", None]
ZERO_DIVISION = [0.0, 1.0, math.nan]


def same(ours, theirs):
    """Equal values (NaN equal to NaN), same kind: float for averages, array for None."""
    if isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray) and ours.shape == theirs.shape
    else:
        assert isinstance(ours, float), type(ours)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14, equal_nan=True)


def random_case(seed):
    """Multiclass labels where some classes occur only in y_true, only in y_pred, or nowhere."""
    rng = np.random.default_rng(seed)
    m, n_classes = int(rng.integers(1, 40)), int(rng.integers(2, 7))
    y_true = rng.choice(rng.permutation(n_classes)[: rng.integers(1, n_classes + 1)], m)
    y_pred = np.where(rng.random(m) < 0.5, y_true, rng.integers(0, n_classes + 1, m))
    labels = rng.choice(n_classes + 2, size=int(rng.integers(1, n_classes + 2)), replace=False)
    return y_true, y_pred, labels


def binary_case(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 30))
    y_true = (rng.random(m) < rng.random()).astype(int)
    y_pred = (rng.random(m) < rng.random()).astype(int)
    return y_true, y_pred


# ---- precision, recall, F1 ----------------------------------------------------------------------
def check_against_sklearn(y_true, y_pred, **kwargs):
    """precision, recall and f1_score against one sklearn precision_recall_fscore_support."""
    expected = skm.precision_recall_fscore_support(y_true, y_pred, **kwargs)[:3]
    for ours, theirs in zip((metrics.precision, metrics.recall, metrics.f1_score), expected):
        same(ours(y_true, y_pred, **kwargs), theirs)


def test_multiclass_scores_match_sklearn_for_every_average_and_zero_division():
    for seed in range(15):
        y_true, y_pred, labels = random_case(seed)
        for average in AVERAGES:
            for z in ZERO_DIVISION:
                for chosen in (None, labels):
                    check_against_sklearn(y_true, y_pred, average=average, labels=chosen,
                                          zero_division=z)


def test_binary_scores_match_sklearn_for_both_positive_labels():
    for seed in range(15):
        y_true, y_pred = binary_case(seed)
        present = np.union1d(y_true, y_pred)
        for pos_label in (0, 1):
            if pos_label not in present and len(present) == 2:
                continue
            for z in ZERO_DIVISION:
                check_against_sklearn(y_true, y_pred, average="binary", pos_label=pos_label,
                                      zero_division=z)
        for average in AVERAGES:
            check_against_sklearn(y_true, y_pred, average=average, zero_division=math.nan)


def test_scores_of_the_notes_table_and_hand_counts():
    # TP=3, FP=1, FN=2: P = 3/4, R = 3/5, F1 = 2 / (1/P + 1/R) = 2/3
    y_true = np.array([1, 1, 1, 1, 1, 0, 0, 0])
    y_pred = np.array([1, 1, 1, 0, 0, 1, 0, 0])
    assert metrics.precision(y_true, y_pred) == 0.75
    assert metrics.recall(y_true, y_pred) == 0.6
    assert metrics.f1_score(y_true, y_pred) == pytest.approx(2 / (1 / 0.75 + 1 / 0.6), abs=1e-15)
    assert metrics.specificity(y_true, y_pred) == pytest.approx(2 / 3, abs=1e-15)
    # the notes' classifiers A (P 95%, R 90%) and B (P 98%, R 85%): F1 92.4% and 91.0%
    for p, r, f1 in [(0.95, 0.90, 0.924), (0.98, 0.85, 0.910)]:
        assert 2 / (1 / p + 1 / r) == pytest.approx(f1, abs=5e-4)


def test_string_bool_and_float_labels_match_sklearn():
    rng = np.random.default_rng(3)
    names = np.array(["cat", "dog", "pig"])
    y_true, y_pred = names[rng.integers(0, 3, 50)], names[rng.integers(0, 3, 50)]
    for average in AVERAGES:
        same(metrics.f1_score(y_true, y_pred, average=average),
             skm.f1_score(y_true, y_pred, average=average, zero_division=0.0))
    same(metrics.precision(y_true == "cat", y_pred == "cat"),
         skm.precision_score(y_true == "cat", y_pred == "cat", zero_division=0.0))
    same(metrics.recall(y_true == "dog", y_pred == "dog", pos_label=True),
         skm.recall_score(y_true == "dog", y_pred == "dog", pos_label=True))
    two = np.where(y_true == "cat", "cat", "dog"), np.where(y_pred == "cat", "cat", "dog")
    same(metrics.precision(*two, pos_label="dog"), skm.precision_score(*two, pos_label="dog"))
    floats = rng.integers(0, 4, 30).astype(float), rng.integers(0, 4, 30).astype(float)
    same(metrics.recall(*floats, average="macro", labels=[0.0, 2.0, 5.0]),
         skm.recall_score(*floats, average="macro", labels=[0.0, 2.0, 5.0], zero_division=0.0))


def test_column_and_row_vectors_are_flattened():
    y_true, y_pred, _ = random_case(7)
    expected = skm.f1_score(y_true, y_pred, average="macro", zero_division=0.0)
    assert metrics.f1_score(y_true[:, None], y_pred[None, :], average="macro") == expected
    assert metrics.accuracy(y_true[None, :], y_pred[:, None]) == skm.accuracy_score(y_true,
                                                                                    y_pred)


def test_degenerate_cases_follow_sklearn():
    for y_true, y_pred in [([0, 0, 0], [0, 0, 0]), ([1, 1], [1, 1]), ([0, 0], [1, 1]),
                           ([2, 2, 2], [2, 2, 2])]:
        for z in ZERO_DIVISION:
            check_against_sklearn(y_true, y_pred, average="binary", zero_division=z)
    # labels that occur nowhere: every score is zero_division, weighted has no support
    for average in AVERAGES:
        for z in ZERO_DIVISION:
            check_against_sklearn([0, 1, 2], [1, 1, 2], average=average, labels=[5, 6],
                                  zero_division=z)
            check_against_sklearn([0, 1, 2], [1, 1, 2], average=average, labels=[0, 6],
                                  zero_division=z)


# ---- specificity --------------------------------------------------------------------------------
def specificity_from_confusion(mcm, average, z):
    """TN / (TN + FP) per label from sklearn's one-vs-rest confusion matrices, then averaged."""
    tn, fp, support = mcm[:, 0, 0], mcm[:, 0, 1], mcm[:, 1, 0] + mcm[:, 1, 1]
    if average == "micro":
        tn, fp = tn.sum(keepdims=True), fp.sum(keepdims=True)
    per_label = np.array([t / (t + f) if t + f else z for t, f in zip(tn, fp)])
    if average is None:
        return per_label
    if average in ("micro", "binary"):
        return float(per_label[0])
    kept = ~np.isnan(per_label)
    if not kept.any():
        return math.nan
    weights = support[kept] if average == "weighted" and support[kept].sum() else None
    return float(np.average(per_label[kept], weights=weights))


def test_specificity_matches_the_confusion_matrix_computation():
    for seed in range(40):
        y_true, y_pred, labels = random_case(seed)
        for chosen in (None, labels):
            mcm = skm.multilabel_confusion_matrix(y_true, y_pred, labels=chosen)
            for average in AVERAGES:
                for z in ZERO_DIVISION:
                    same(metrics.specificity(y_true, y_pred, average=average, labels=chosen,
                                             zero_division=z),
                         specificity_from_confusion(mcm, average, z))
    for seed in range(15):
        y_true, y_pred = binary_case(seed)
        tn, fp, _, _ = skm.confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
        expected = tn / (tn + fp) if tn + fp else 0.0
        assert metrics.specificity(y_true, y_pred) == pytest.approx(expected, abs=1e-15)
        # with 0 as the positive class, the specificity is class 1's recall
        assert metrics.specificity(y_true, y_pred, pos_label=0) == pytest.approx(
            skm.recall_score(y_true, y_pred, pos_label=1, zero_division=0.0), abs=1e-15)


# ---- accuracy, confusion matrix, weighted error -------------------------------------------------
@pytest.mark.filterwarnings("ignore:A single label was found")
def test_accuracy_and_confusion_matrix_match_sklearn():
    for seed in range(40):
        y_true, y_pred, labels = random_case(seed)
        assert metrics.accuracy(y_true, y_pred) == skm.accuracy_score(y_true, y_pred)
        cm = metrics.confusion_matrix(y_true, y_pred)
        np.testing.assert_array_equal(cm, skm.confusion_matrix(y_true, y_pred))
        assert cm.dtype == np.int64
        if np.isin(labels, y_true).any():
            np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, labels),
                                          skm.confusion_matrix(y_true, y_pred, labels=labels))
    names = np.array(["ant", "bee", "cow"])
    y_true, y_pred = names[[0, 1, 2, 2, 1]], names[[0, 2, 2, 2, 0]]
    np.testing.assert_array_equal(
        metrics.confusion_matrix(y_true, y_pred, labels=["cow", "ant", "bee"]),
        [[2, 0, 0], [0, 1, 0], [1, 1, 0]])


def test_weighted_error_is_the_notes_formula():
    y_true = np.array([0, 1, 1, 0, 1])
    y_pred = np.array([0, 0, 1, 1, 1])
    w = np.array([1, 10, 1, 1, 1])  # example 1 is an "unacceptable" image
    assert metrics.weighted_error(y_true, y_pred, w) == pytest.approx(11 / 14, abs=1e-15)
    assert metrics.weighted_error(y_true, y_pred, np.ones(5)) == pytest.approx(0.4, abs=1e-15)
    for seed in range(20):
        y_true, y_pred, _ = random_case(seed)
        w = np.random.default_rng(seed).random(len(y_true)) + 0.01
        expected = 1 - skm.accuracy_score(y_true, y_pred, sample_weight=w)
        assert metrics.weighted_error(y_true, y_pred, w[:, None]) == pytest.approx(expected,
                                                                                   abs=1e-14)


# ---- top-k accuracy, to_labels ------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:'k' .* greater than or equal to 'n_classes'")
def test_top_k_accuracy_matches_sklearn_including_ties():
    for seed in range(40):
        rng = np.random.default_rng(seed)
        m, C = int(rng.integers(5, 40)), int(rng.integers(3, 8))
        y_true = rng.integers(0, C, m)
        scores = rng.integers(0, 3, (m, C)).astype(float) if seed % 2 else rng.random((m, C))
        labels = np.arange(C)
        for k in range(1, C + 1):
            expected = skm.top_k_accuracy_score(y_true, scores, k=k, labels=labels)
            assert metrics.top_k_accuracy(y_true, scores, k=k, labels=labels) == expected
        if len(np.unique(y_true)) == C:
            assert metrics.top_k_accuracy(y_true, scores, k=2) == skm.top_k_accuracy_score(
                y_true, scores, k=2)
    words = np.array(["a", "b", "c"])
    y_true, scores = words[[0, 1, 2, 2]], np.eye(3)[[0, 2, 2, 1]]
    assert metrics.top_k_accuracy(y_true, scores, k=1) == 0.5


@pytest.mark.filterwarnings("ignore:'k' .* greater than or equal to 'n_classes'")
def test_top_k_accuracy_binary_scores_match_sklearn():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, 50)
    for scores in (rng.random(50), rng.standard_normal(50), rng.random((50, 1))):
        for k in (1, 2):
            assert metrics.top_k_accuracy(y_true, scores, k=k) == skm.top_k_accuracy_score(
                y_true, scores, k=k)


def test_to_labels_thresholds_and_argmax():
    np.testing.assert_array_equal(metrics.to_labels([0.2, 0.5, 0.51, 0.9]), [0, 0, 1, 1])
    np.testing.assert_array_equal(metrics.to_labels(np.array([[0.7], [0.1]])), [1, 0])
    np.testing.assert_array_equal(metrics.to_labels([-1.0, 2.0], threshold=0), [0, 1])
    scores = np.random.default_rng(0).random((20, 4))
    labels = metrics.to_labels(scores)
    np.testing.assert_array_equal(labels, scores.argmax(axis=1))
    assert labels.shape == (20,) and labels.dtype.kind == "i"


# ---- report -------------------------------------------------------------------------------------
@pytest.mark.parametrize("digits", [2, 4])
def test_classification_report_text_and_dict_match_sklearn(digits):
    for seed in range(8):
        y_true, y_pred, labels = random_case(seed)
        for chosen in (None, labels):
            kwargs = {"labels": chosen, "digits": digits, "zero_division": 0.0}
            assert metrics.classification_report(y_true, y_pred, **kwargs) == \
                skm.classification_report(y_true, y_pred, **kwargs)
            assert metrics.classification_report(y_true, y_pred, output_dict=True, **kwargs) \
                == skm.classification_report(y_true, y_pred, output_dict=True, **kwargs)
    y_true, y_pred = [0, 1, 2, 2, 1], [0, 2, 2, 2, 0]
    names = ["a long class name", "b", "c"]
    text = metrics.classification_report(y_true, y_pred, target_names=names)
    assert text == skm.classification_report(y_true, y_pred, target_names=names,
                                             zero_division=0.0)
    assert "a long class name" in text and "accuracy" in text and "weighted avg" in text


# ---- errors -------------------------------------------------------------------------------------
def test_bad_inputs_are_refused_with_clear_messages():
    with pytest.raises(ValueError, match=r"accuracy: y_true and y_pred should have the same "
                                         r"length, got 3 and 2"):
        metrics.accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"precision: y_true is empty"):
        metrics.precision([], [])
    with pytest.raises(ValueError, match=r"recall: y_true should be 1-D labels .* got shape "
                                         r"\(2, 3\)"):
        metrics.recall(np.zeros((2, 3)), np.zeros(6))
    with pytest.raises(ValueError, match=r"f1_score: y_pred should hold class labels, got NaN"):
        metrics.f1_score([0, 1], [0.0, math.nan])
    with pytest.raises(ValueError, match=r"accuracy: y_pred should hold class labels, got "
                                         r"non-integer values \(e.g. 0.7\).*to_labels"):
        metrics.accuracy([0, 1], [0.7, 1.0])
    with pytest.raises(TypeError, match=r"confusion_matrix: y_true and y_pred should both be "
                                        r"numbers or both be strings"):
        metrics.confusion_matrix(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match=r"precision: the labels are multiclass \(3 classes\), "
                                         r"but average='binary'"):
        metrics.precision([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match=r"recall: pos_label=1 is not a valid label; it should "
                                         r"be one of \['no', 'yes'\]"):
        metrics.recall(["yes", "no"], ["no", "no"])
    with pytest.raises(ValueError, match=r"f1_score: average should be one of .* got 'samples'"):
        metrics.f1_score([0, 1], [0, 1], average="samples")
    with pytest.raises(ValueError, match=r"specificity: zero_division should be 0.0, 1.0 or "
                                         r"nan, got 'warn'"):
        metrics.specificity([0, 1], [0, 1], zero_division="warn")
    with pytest.raises(ValueError, match=r"precision: labels should be unique"):
        metrics.precision([0, 1], [0, 1], average="macro", labels=[0, 0])
    with pytest.raises(ValueError, match=r"confusion_matrix: none of labels \[5, 6\] occurs"):
        metrics.confusion_matrix([0, 1], [0, 1], labels=[5, 6])


def test_bad_scores_weights_and_report_arguments_are_refused():
    with pytest.raises(ValueError, match=r"weighted_error: weights should have shape \(3,\), "
                                         r"got \(2,\)"):
        metrics.weighted_error([0, 1, 1], [0, 1, 0], [1, 1])
    with pytest.raises(ValueError, match=r"weighted_error: weights should be finite and >= 0"):
        metrics.weighted_error([0, 1], [0, 1], [1, -1])
    with pytest.raises(ValueError, match=r"weighted_error: weights sum to 0"):
        metrics.weighted_error([0, 1], [0, 1], [0, 0])
    with pytest.raises(ValueError, match=r"top_k_accuracy: y_true has 2 classes but scores "
                                         r"have 3; pass labels="):
        metrics.top_k_accuracy([0, 1, 1], np.eye(3), k=1)
    with pytest.raises(ValueError, match=r"top_k_accuracy: y_true contains labels not in "
                                         r"labels: \[7\]"):
        metrics.top_k_accuracy([0, 7, 1], np.eye(3), k=1, labels=[0, 1, 2])
    with pytest.raises(ValueError, match=r"top_k_accuracy: k should be an int >= 1, got 0"):
        metrics.top_k_accuracy([0, 1, 2], np.eye(3), k=0)
    with pytest.raises(ValueError, match=r"top_k_accuracy: scores should have shape \(3, C\)"):
        metrics.top_k_accuracy([0, 1, 2], np.eye(4))
    with pytest.raises(ValueError, match=r"to_labels: scores contain NaN"):
        metrics.to_labels([0.1, math.nan])
    with pytest.raises(ValueError, match=r"to_labels: scores should have shape"):
        metrics.to_labels(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"classification_report: target_names should name "
                                         r"the 2 classes, got 3 names"):
        metrics.classification_report([0, 1], [0, 1], target_names=["a", "b", "c"])


def test_to_labels_refuses_an_ambiguous_row_of_scores():
    with pytest.raises(ValueError, match=r"pass the notes' column-major output A \(1, m\) as A.T"):
        metrics.to_labels(np.array([[0.2, 0.9, 0.7, 0.1]]))
    np.testing.assert_array_equal(metrics.to_labels(np.array([[0.2, 0.9, 0.7, 0.1]]).T),
                                  [0, 1, 1, 0])
