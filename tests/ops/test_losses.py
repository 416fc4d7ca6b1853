"""ops/losses.py: softmax_cross_entropy, binary_cross_entropy (+ with_logits), mse.

One table of (loss, inputs) cases, each checked with every reduction: float64 gradient
check, forward/backward parity with PyTorch, float32 smoke test. Torch mappings:
softmax_cross_entropy -> cross_entropy (class ids, or probability targets for one-hot/soft;
torch wants the classes on axis 1, so (m, T, C) logits go in as (m, C, T)),
binary_cross_entropy -> binary_cross_entropy (inputs kept away from 0 and 1),
binary_cross_entropy_with_logits -> the same, mse -> mse_loss.
"""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import GRADCHECK_TOL, check_float32, check_torch, close, draw
from deepspec import F
from deepspec.gradcheck import gradcheck

TF = torch.nn.functional
REDUCTIONS = ["mean", "sum", "none"]
CLASSES_LAST_TO_1 = (0, 2, 1)        # (m, T, C) <-> torch's (m, C, T)


def class_ids(shape, seed):
    return np.random.default_rng(seed).integers(0, shape[-1], shape[:-1])


def one_hot(shape, seed):
    return np.eye(shape[-1])[class_ids(shape, seed)]


def uniform(shape, seed, low=0.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def to_torch_classes(a):
    """Our (m, T, C) or (m, T) to torch's class axis 1 (2-D and 1-D pass through)."""
    a = torch.from_numpy(np.asarray(a))
    return a.permute(*CLASSES_LAST_TO_1) if a.ndim == 3 else a


def sce_torch(Z, Y, reduction):
    return TF.cross_entropy(Z.permute(*CLASSES_LAST_TO_1) if Z.ndim == 3 else Z,
                            to_torch_classes(Y), reduction=reduction)


def bce_torch(A, Y, reduction):
    return TF.binary_cross_entropy(A, torch.from_numpy(Y), reduction=reduction)


def bce_logits_torch(Z, Y, reduction):
    return TF.binary_cross_entropy_with_logits(Z, torch.from_numpy(Y), reduction=reduction)


def mse_torch(A, Y, reduction):
    return TF.mse_loss(A, torch.from_numpy(Y), reduction=reduction)


# name: (ours, torch, (prediction, target)) with float64 predictions
CASES = {
    "sce_ids": (F.softmax_cross_entropy, sce_torch, (draw([(5, 4)], 0)[0], class_ids((5, 4), 1))),
    "sce_ids_3d": (F.softmax_cross_entropy, sce_torch,
                   (draw([(2, 3, 4)], 0)[0], class_ids((2, 3, 4), 1))),
    "sce_ids_batch_of_1": (F.softmax_cross_entropy, sce_torch,
                           (draw([(1, 4)], 0)[0], class_ids((1, 4), 1))),
    "sce_ids_unbatched": (F.softmax_cross_entropy, sce_torch, (draw([(4,)], 0)[0], np.array(2))),
    "sce_one_hot": (F.softmax_cross_entropy, sce_torch, (draw([(5, 4)], 0)[0], one_hot((5, 4), 1))),
    "sce_one_hot_3d": (F.softmax_cross_entropy, sce_torch,
                       (draw([(2, 3, 4)], 0)[0], one_hot((2, 3, 4), 1))),
    "sce_soft_unnormalized": (F.softmax_cross_entropy, sce_torch,
                              (draw([(5, 4)], 0)[0], uniform((5, 4), 1))),
    "bce": (F.binary_cross_entropy, bce_torch,
            (uniform((6, 1), 0, 0.05, 0.95), class_ids((6, 2), 1)[..., None].astype(float))),
    "bce_soft_targets": (F.binary_cross_entropy, bce_torch,
                         (uniform((3, 4), 0, 0.05, 0.95), uniform((3, 4), 1))),
    "bce_scalar": (F.binary_cross_entropy, bce_torch, (np.array(0.3), np.array(1.0))),
    "bce_logits_scalar": (F.binary_cross_entropy_with_logits, bce_logits_torch,
                          (np.array(-0.7), np.array(0.0))),
    "mse_scalar": (F.mse, mse_torch, (np.array(0.3), np.array(-1.2))),
    "bce_logits": (F.binary_cross_entropy_with_logits, bce_logits_torch,
                   (3 * draw([(6, 1)], 0)[0], class_ids((6, 2), 1)[..., None].astype(float))),
    "bce_logits_soft_3d": (F.binary_cross_entropy_with_logits, bce_logits_torch,
                           (3 * draw([(2, 3, 4)], 0)[0], uniform((2, 3, 4), 1))),
    "mse": (F.mse, mse_torch, tuple(draw([(5, 3), (5, 3)], 0))),
    "mse_1d": (F.mse, mse_torch, tuple(draw([(7,), (7,)], 0))),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", CASES)
def test_backward_matches_finite_differences(name, reduction):
    ours, _, (Z, Y) = CASES[name]
    assert gradcheck(lambda z: ours(z, Y, reduction=reduction), [Z]) < GRADCHECK_TOL


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name, reduction):
    ours, theirs, (Z, Y) = CASES[name]
    check_torch(lambda z: ours(z, Y, reduction=reduction),
                lambda z: theirs(z, Y, reduction), [Z])


@pytest.mark.parametrize("name", CASES)
def test_float32_keeps_dtype(name):
    ours, _, (Z, Y) = CASES[name]
    check_float32(lambda z: ours(z, Y), [Z])
    check_float32(lambda z: ours(z, Y, reduction="none"), [Z])


@pytest.mark.parametrize("reduction", ["sum", "none"])
@pytest.mark.parametrize("name", ["sce_ids", "sce_one_hot", "bce", "bce_logits", "mse"])
def test_empty_batch(name, reduction):
    ours, theirs, (Z, Y) = CASES[name]
    check_torch(lambda z: ours(z, Y[:0], reduction=reduction),
                lambda z: theirs(z, Y[:0], reduction), [Z[:0]])


def test_sce_gradient_is_the_notes_closed_form():
    Z, y = draw([(5, 4)], 0)[0], class_ids((5, 4), 1)
    x = ds.tensor(Z, requires_grad=True)
    F.softmax_cross_entropy(x, y).backward()
    A = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    close(x.grad, (A - np.eye(4)[y]) / 5)                       # dZ = (A - Y) / m


def test_sce_whole_float_labels_and_label_tensors_act_as_class_ids():
    Z, y = draw([(5, 4)], 0)[0], class_ids((5, 4), 1)
    expected = F.softmax_cross_entropy(ds.tensor(Z), y).data
    close(F.softmax_cross_entropy(ds.tensor(Z), y.astype(np.float64)).data, expected)
    close(F.softmax_cross_entropy(ds.tensor(Z), ds.Tensor(y, dtype=np.int64)).data, expected)


def test_sce_ids_and_one_hot_agree():
    Z = draw([(2, 3, 4)], 0)[0]
    ids, Y = class_ids((2, 3, 4), 1), one_hot((2, 3, 4), 1)
    for reduction in REDUCTIONS:
        close(F.softmax_cross_entropy(ds.tensor(Z), ids, reduction=reduction).data,
              F.softmax_cross_entropy(ds.tensor(Z), Y, reduction=reduction).data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_at_exactly_0_and_1_stays_finite(dtype):
    # a float32 sigmoid saturates to exactly 1.0; the clip must stay below 1 in float32 too
    A = ds.tensor(np.array([1.0, 0.0, 1.0, 0.0], dtype=dtype), requires_grad=True)
    Y = np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype)
    losses = F.binary_cross_entropy(A, Y, reduction="none")
    losses.sum().backward()
    assert losses.dtype == dtype and np.all(np.isfinite(losses.data))
    assert np.all(np.isfinite(A.grad))
    assert losses.data[0] < 1e-6 and losses.data[1] < 1e-6       # right and certain: ~0
    assert np.all(losses.data[2:] > 15)                           # wrong and certain: large


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_stable_for_large_logits(dtype):
    Z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=dtype)
    Y = np.array([0.0, 1.0, 0.5, 0.0, 1.0], dtype=dtype)
    x = ds.tensor(Z, requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = F.binary_cross_entropy_with_logits(x, Y, reduction="none")
        out.backward(np.ones(5, dtype=dtype))
    expected = TF.binary_cross_entropy_with_logits(torch.from_numpy(Z.astype(np.float64)),
                                                   torch.from_numpy(Y.astype(np.float64)),
                                                   reduction="none")
    close(out.data.astype(np.float64), expected, rtol=1e-6, atol=1e-6)
    assert x.grad.dtype == dtype and np.all(np.isfinite(x.grad))


def test_bce_with_logits_equals_bce_of_sigmoid():
    Z, Y = draw([(4, 3)], 0)[0], uniform((4, 3), 1)
    close(F.binary_cross_entropy_with_logits(ds.tensor(Z), Y).data,
          F.binary_cross_entropy(F.sigmoid(ds.tensor(Z)), Y).data)


# ---- bad input: the message names the loss and both shapes ---------------------------------
def Z34():
    return ds.tensor(np.zeros((4, 3)), requires_grad=True)


ERRORS = {
    "sce_label_shape": (lambda: F.softmax_cross_entropy(Z34(), np.zeros(3, dtype=int)),
                        ValueError, r"softmax_cross_entropy: labels should have shape \(4,\) "
                                    r"\(class ids\) or \(4, 3\) \(one-hot\), got \(3,\)"),
    "sce_label_too_big": (lambda: F.softmax_cross_entropy(Z34(), np.array([0, 1, 2, 3])),
                          ValueError, r"softmax_cross_entropy: labels should be in \[0, 2\], "
                                      r"got values in \[0, 3\]"),
    "sce_label_negative": (lambda: F.softmax_cross_entropy(Z34(), np.array([0, -1, 2, 1])),
                           ValueError, r"labels should be in \[0, 2\], got values in \[-1, 2\]"),
    "sce_label_float": (lambda: F.softmax_cross_entropy(Z34(), np.array([0, 1.5, 2, 1])),
                        TypeError, "softmax_cross_entropy: class-id labels should be integers"),
    "sce_reduction": (lambda: F.softmax_cross_entropy(Z34(), np.zeros(4, int), reduction="avg"),
                      ValueError, r"softmax_cross_entropy: reduction should be one of .*'avg'"),
    "sce_scalar_logits": (lambda: F.softmax_cross_entropy(ds.tensor(1.0), np.array(0)),
                          ValueError, "softmax_cross_entropy: Z should be"),
    "bce_shape": (lambda: F.binary_cross_entropy(ds.tensor(np.full((4, 1), 0.5)), np.ones(4)),
                  ValueError, r"binary_cross_entropy: targets Y should have the predictions' "
                              r"shape \(4, 1\), got \(4,\)"),
    "bce_logits_shape": (lambda: F.binary_cross_entropy_with_logits(Z34(), np.ones((3, 4))),
                         ValueError, r"binary_cross_entropy_with_logits: .*\(4, 3\), got \(3, 4\)"),
    "bce_reduction": (lambda: F.binary_cross_entropy(Z34(), np.ones((4, 3)), reduction=None),
                      ValueError, "binary_cross_entropy: reduction should be one of"),
    "mse_shape": (lambda: F.mse(Z34(), np.ones(3)), ValueError,
                  r"mse: targets Y should have the predictions' shape \(4, 3\), got \(3,\)"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_bad_input_raises_a_clear_error(name):
    fn, error, message = ERRORS[name]
    with pytest.raises(error, match=message):
        fn()
