"""ops/losses.py multi_task_binary_cross_entropy and strategy/multitask.py task_accuracy.

The notes' multi-task cost J = (1/m) sum_i sum_j L(yhat_j(i), y_j(i)) over labeled entries.
Torch mapping: binary_cross_entropy_with_logits(reduction="none") * mask, summed, / m.
"""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import GRADCHECK_TOL, check_float32, check_torch, close, draw
from deepspec import F
from deepspec import strategy as st
from deepspec.gradcheck import gradcheck

TF = torch.nn.functional
M, TASKS = 6, 4                     # the notes' example: 4 tasks (pedestrian, car, sign, light)


def labels_with_missing(shape, seed, missing=0.3, soft=False):
    """0/1 (or soft) labels with a fraction set to NaN (the notes' "?")."""
    rng = np.random.default_rng(seed)
    Y = rng.uniform(0, 1, shape) if soft else rng.integers(0, 2, shape).astype(float)
    Y[rng.uniform(size=shape) < missing] = np.nan
    return Y


def torch_multi_task(Z, Y, reduction):
    """BCE with logits per entry, zeroed where the label is missing, / m for the mean."""
    labeled = torch.from_numpy(~np.isnan(Y)).to(Z.dtype)
    target = torch.from_numpy(np.nan_to_num(Y, nan=0.0))
    losses = TF.binary_cross_entropy_with_logits(Z, target, reduction="none") * labeled
    if reduction == "none":
        return losses
    return losses.sum() / Z.shape[0] if reduction == "mean" else losses.sum()


CASES = {
    "hard_labels": ((M, TASKS), dict()),
    "soft_labels": ((M, TASKS), dict(soft=True)),
    "one_example": ((1, TASKS), dict()),
    "one_task": ((M, 1), dict()),
    "no_missing": ((M, TASKS), dict(missing=0.0)),
    "all_missing": ((3, 2), dict(missing=1.0)),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", CASES)
def test_backward_matches_finite_differences(name, reduction):
    shape, kind = CASES[name]
    Z, Y = 3 * draw([shape], 0)[0], labels_with_missing(shape, 1, **kind)
    fn = lambda z: F.multi_task_binary_cross_entropy(z, Y, reduction=reduction)  # noqa: E731
    assert gradcheck(fn, [Z]) < GRADCHECK_TOL


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name, reduction):
    shape, kind = CASES[name]
    Z, Y = 3 * draw([shape], 0)[0], labels_with_missing(shape, 1, **kind)
    check_torch(lambda z: F.multi_task_binary_cross_entropy(z, Y, reduction=reduction),
                lambda z: torch_multi_task(z, Y, reduction), [Z])


def test_cost_is_the_notes_sum_over_labeled_entries_divided_by_m():
    Z, Y = draw([(M, TASKS)], 0)[0], labels_with_missing((M, TASKS), 1)
    A = 1 / (1 + np.exp(-Z))
    L = -(Y * np.log(A) + (1 - Y) * np.log(1 - A))          # NaN where the label is "?"
    expected = np.nansum(L) / M                              # m examples, not #labels
    x = ds.tensor(Z, requires_grad=True)
    J = F.multi_task_binary_cross_entropy(x, Y)
    J.backward()
    close(J.data, expected)
    labeled = ~np.isnan(Y)
    close(x.grad, np.where(labeled, A - np.nan_to_num(Y), 0.0) / M)   # dZ = w (A - Y) / m
    assert np.all(x.grad[~labeled] == 0)


def test_mask_and_nan_are_the_same_missing_labels():
    Z, Y = draw([(M, TASKS)], 0)[0], labels_with_missing((M, TASKS), 1)
    labeled = ~np.isnan(Y)
    filled = np.where(labeled, Y, 0.0)        # any 0/1 value in the missing places
    by_nan = F.multi_task_binary_cross_entropy(ds.tensor(Z), Y).data
    by_mask = F.multi_task_binary_cross_entropy(ds.tensor(Z), filled, mask=labeled).data
    both = F.multi_task_binary_cross_entropy(ds.tensor(Z), Y, mask=labeled).data
    close(by_mask, by_nan)
    close(both, by_nan)


def test_mask_weights_scale_each_entry():
    Z, Y = draw([(M, TASKS)], 0)[0], labels_with_missing((M, TASKS), 1, missing=0.0)
    W = np.random.default_rng(2).uniform(0, 2, (M, TASKS))
    check_torch(lambda z: F.multi_task_binary_cross_entropy(z, Y, mask=W),
                lambda z: (TF.binary_cross_entropy_with_logits(
                    z, torch.from_numpy(Y), reduction="none") * torch.from_numpy(W)).sum() / M,
                [Z])


def test_without_missing_labels_it_is_tasks_times_the_elementwise_mean():
    Z, Y = draw([(M, TASKS)], 0)[0], labels_with_missing((M, TASKS), 1, missing=0.0)
    close(F.multi_task_binary_cross_entropy(ds.tensor(Z), Y).data,
          TASKS * F.binary_cross_entropy_with_logits(ds.tensor(Z), Y).data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_for_large_logits(dtype):
    Z = np.array([[-1000.0, -50.0, 0.0], [50.0, 1000.0, 3.0]], dtype=dtype)
    Y = np.array([[0.0, 1.0, np.nan], [0.0, 1.0, 1.0]])
    x = ds.tensor(Z, requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = F.multi_task_binary_cross_entropy(x, Y, reduction="none")
        out.backward(np.ones(Z.shape, dtype=dtype))
    assert out.dtype == dtype and x.grad.dtype == dtype
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad))
    close(out.data.astype(np.float64),
          torch_multi_task(torch.from_numpy(Z.astype(np.float64)), Y, "none"),
          rtol=1e-6, atol=1e-6)


def test_float32_keeps_dtype():
    Y = labels_with_missing((M, TASKS), 1)
    check_float32(lambda z: F.multi_task_binary_cross_entropy(z, Y), draw([(M, TASKS)], 0))
    check_float32(lambda z: F.multi_task_binary_cross_entropy(z, Y, reduction="none"),
                  draw([(M, TASKS)], 0))


def test_exposed_in_strategy_functional_and_losses():
    from deepspec.ops import losses

    assert st.multi_task_binary_cross_entropy is F.multi_task_binary_cross_entropy
    assert "multi_task_binary_cross_entropy" in F.__all__
    assert losses.get("multi_task_binary_cross_entropy") is F.multi_task_binary_cross_entropy


def Z24():
    return ds.tensor(np.zeros((2, 4)), requires_grad=True)


ERRORS = {
    "shape": (lambda: F.multi_task_binary_cross_entropy(Z24(), np.zeros((4, 2))), ValueError,
              r"multi_task_binary_cross_entropy: labels Y should have the logits' shape "
              r"\(2, 4\), got \(4, 2\)"),
    "mask_shape": (lambda: F.multi_task_binary_cross_entropy(Z24(), np.zeros((2, 4)),
                                                             mask=np.ones(4)),
                   ValueError, r"mask should have the logits' shape \(2, 4\), got \(4,\)"),
    "nan_counted_by_mask": (lambda: F.multi_task_binary_cross_entropy(
        Z24(), np.array([[0, 1, np.nan, 0], [1, 1, 1, 1]]), mask=np.ones((2, 4))),
        ValueError, r"Y is NaN at \(0, 2\), where mask counts the label"),
    "label_range": (lambda: F.multi_task_binary_cross_entropy(Z24(), np.full((2, 4), 2.0)),
                    ValueError, r"labels Y should be in \[0, 1\].*got values in \[2.0, 2.0\]"),
    "label_type": (lambda: F.multi_task_binary_cross_entropy(Z24(), np.full((2, 4), "a")),
                   TypeError, "labels Y should be numbers"),
    "scalar": (lambda: F.multi_task_binary_cross_entropy(ds.tensor(1.0), np.array(1.0)),
               ValueError, "Z should be \\(m, n_tasks\\) logits, got a scalar"),
    "reduction": (lambda: F.multi_task_binary_cross_entropy(Z24(), np.zeros((2, 4)),
                                                            reduction="avg"),
                  ValueError, "reduction should be one of"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_bad_input_names_the_loss(name):
    fn, error, message = ERRORS[name]
    with pytest.raises(error, match=message):
        fn()


# ---- task_accuracy and a model trained on partially labeled data ----------------------------
def test_task_accuracy_ignores_missing_labels():
    Z = np.array([[2.0, -1.0, 0.5], [-3.0, 1.0, -0.5], [1.0, 1.0, 1.0]])
    Y = np.array([[1.0, np.nan, 0.0], [0.0, 0.0, np.nan], [np.nan, np.nan, np.nan]])
    acc = st.task_accuracy(Z, Y)
    np.testing.assert_array_equal(acc[:1], [1.0])          # 2 of 2 labeled right
    assert acc[1] == 0.0                                    # its only label is wrong
    assert acc[2] == 0.0                                    # 0.5 > 0 predicts 1, label 0
    acc = st.task_accuracy(Z, np.nan_to_num(Y), mask=~np.isnan(Y))
    np.testing.assert_array_equal(acc, [1.0, 0.0, 0.0])
    assert np.isnan(st.task_accuracy(Z, np.full((3, 3), np.nan)))[0]
    assert st.multi_task_accuracy(Z, Y) == 2 / 4            # 4 labeled entries, 2 right
    assert st.multi_task_accuracy(Z, Y, mask=[[1, 0, 0]] * 3) == 1.0
    assert np.isnan(st.multi_task_accuracy(Z, np.full((3, 3), np.nan)))
    with pytest.raises(ValueError, match=r"task_accuracy: Z and Y should both have shape"):
        st.task_accuracy(Z, Y[:2])
    with pytest.raises(ValueError, match=r"multi_task_accuracy: mask should have shape"):
        st.multi_task_accuracy(Z, Y, mask=np.ones(3))


def test_one_network_learns_four_tasks_from_partial_labels():
    # four tasks sharing one hidden layer; 40% of the labels are "?". Leaving them out of the
    # cost learns every task; reading them as 0 (no label = negative) biases every task
    rng = np.random.default_rng(0)
    X, X_test = rng.standard_normal((400, 6)), rng.standard_normal((400, 6))
    W = rng.standard_normal((TASKS, 6))
    Y_full, Y_test = (X @ W.T > 0).astype(float), (X_test @ W.T > 0).astype(float)
    Y = Y_full.copy()
    Y[rng.uniform(size=Y.shape) < 0.4] = np.nan

    def test_accuracy(labels):
        with ds.default_dtype("float64"):
            model = ds.models.mlp([6, 16, TASKS], hidden="tanh", seed=0)
            ds.fit(model, X, labels, loss="multi_task_binary_cross_entropy",
                   optimizer=ds.optim.Adam(model.parameters(), learning_rate=0.01),
                   epochs=60, batch_size=64, verbose=0)
            scores = ds.evaluate(model, X_test, Y_test, loss="multi_task_binary_cross_entropy",
                                 metrics=[st.multi_task_accuracy])
            per_task = st.task_accuracy(ds.predict(model, X_test), Y_test)
            assert scores["multi_task_accuracy"] == pytest.approx(per_task.mean())
            return per_task

    left_out, read_as_zero = test_accuracy(Y), test_accuracy(np.nan_to_num(Y))
    assert np.all(left_out > 0.95), left_out
    assert np.all(read_as_zero < left_out - 0.05), (read_as_zero, left_out)


def test_fit_accuracy_for_the_multi_task_loss_counts_labeled_entries():
    from deepspec.train.fit import make_accuracy

    Z = np.array([[2.0, -1.0, 0.5], [-3.0, 1.0, -0.2]])
    Y = np.array([[1.0, np.nan, 0.0], [0.0, 1.0, np.nan]])
    # labeled: (0,0) right, (0,2) wrong, (1,0) right, (1,1) right
    assert make_accuracy("multi_task_binary_cross_entropy")(Z, Y) == 0.75


def test_multi_task_loss_refuses_negative_mask_weights():
    Z = np.zeros((2, 2))
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="mask should hold weights >= 0"):
        F.multi_task_binary_cross_entropy(ds.tensor(Z), Y, mask=np.array([[2, 0], [1, -1]]))
