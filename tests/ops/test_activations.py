"""ops/activations.py: sigmoid, tanh, relu, leaky_relu, softmax, log_softmax.

One table drives the float64 gradient check, forward/backward parity with PyTorch and the
float32 smoke test. A new activation is one line.
"""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import GRADCHECK_TOL, check_float32, check_torch, close, draw
from deepspec import F
from deepspec.gradcheck import gradcheck

TF = torch.nn.functional

# name: (ours, torch, input shape)
CASES = {
    "sigmoid": (F.sigmoid, torch.sigmoid, (4, 3)),
    "tanh": (F.tanh, torch.tanh, (2, 3, 5)),
    "relu": (F.relu, torch.relu, (4, 3)),
    "leaky_relu": (F.leaky_relu, TF.leaky_relu, (4, 3)),        # both default to 0.01
    "leaky_relu_0.2": (lambda Z: F.leaky_relu(Z, alpha=0.2),
                       lambda Z: TF.leaky_relu(Z, negative_slope=0.2), (4, 3)),
    "softmax": (F.softmax, lambda Z: torch.softmax(Z, dim=-1), (4, 5)),
    "softmax_axis0": (lambda Z: F.softmax(Z, axis=0), lambda Z: torch.softmax(Z, dim=0), (4, 5)),
    "softmax_3d": (lambda Z: F.softmax(Z, axis=1), lambda Z: torch.softmax(Z, dim=1), (2, 3, 4)),
    "log_softmax": (F.log_softmax, lambda Z: torch.log_softmax(Z, dim=-1), (4, 5)),
    "log_softmax_3d": (lambda Z: F.log_softmax(Z, axis=-2),
                       lambda Z: torch.log_softmax(Z, dim=-2), (2, 3, 4)),
    # edge shapes: batch of 1, one class, 0-d, size 0
    "sigmoid_0d": (F.sigmoid, torch.sigmoid, ()),
    "tanh_0d": (F.tanh, torch.tanh, ()),
    "relu_0d": (F.relu, torch.relu, ()),
    "leaky_relu_1d": (F.leaky_relu, TF.leaky_relu, (5,)),
    "softmax_batch_of_1": (F.softmax, lambda Z: torch.softmax(Z, dim=-1), (1, 5)),
    "softmax_one_class": (F.softmax, lambda Z: torch.softmax(Z, dim=-1), (3, 1)),
    "log_softmax_1d": (F.log_softmax, lambda Z: torch.log_softmax(Z, dim=-1), (5,)),
    "sigmoid_empty": (F.sigmoid, torch.sigmoid, (0, 3)),
    "relu_empty": (F.relu, torch.relu, (0, 3)),
    "softmax_empty_batch": (F.softmax, lambda Z: torch.softmax(Z, dim=-1), (0, 3)),
}


@pytest.mark.parametrize("name", CASES)
def test_backward_matches_finite_differences(name):
    ours, _, shape = CASES[name]
    assert gradcheck(ours, draw([shape], seed=0)) < GRADCHECK_TOL


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name):
    ours, theirs, shape = CASES[name]
    check_torch(ours, theirs, draw([shape], seed=0))


@pytest.mark.parametrize("name", CASES)
def test_float32_keeps_dtype(name):
    ours, _, shape = CASES[name]
    check_float32(ours, draw([shape], seed=0))


def test_kinks_at_zero_use_torch_subgradients():
    Z = np.array([[0.0, -1.0, 2.0], [0.0, 0.5, -0.0]])
    check_torch(F.relu, torch.relu, [Z])
    check_torch(lambda a: F.leaky_relu(a, 0.1), lambda a: TF.leaky_relu(a, 0.1), [Z])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_inputs_stay_finite_and_silent(name, dtype):
    ours, theirs, _ = CASES[name]
    Z = np.array([[-1000.0, -90.0, 0.0, 90.0, 1000.0]], dtype=dtype)
    x = ds.tensor(Z, requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # no warnings escape
        out = ours(x)
        out.backward(np.ones(out.shape, dtype=dtype))
    assert out.dtype == dtype and x.grad.dtype == dtype
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad))
    expected = theirs(torch.from_numpy(Z.astype(np.float64))).numpy()
    close(out.data.astype(np.float64), expected, rtol=1e-6, atol=1e-30)


def test_softmax_rows_sum_to_one_and_log_softmax_is_its_log():
    Z = draw([(3, 6)], seed=4)[0] * 10
    A = F.softmax(ds.tensor(Z)).data
    close(A.sum(axis=-1), np.ones(3))
    close(F.log_softmax(ds.tensor(Z)).data, np.log(A))


def test_softmax_is_shift_invariant():
    Z = draw([(2, 4)], seed=5)[0]
    close(F.softmax(ds.tensor(Z + 1e3)).data, F.softmax(ds.tensor(Z)).data)


def test_composed_with_a_loss_matches_torch():
    Z, W = draw([(4, 3), (2, 3)], seed=6)
    check_torch(lambda z, w: (F.tanh(F.linear(z, w)) * F.sigmoid(z @ w.T)).sum(),
                lambda z, w: (torch.tanh(TF.linear(z, w)) * torch.sigmoid(z @ w.T)).sum(),
                [Z, W])


# ---- bad input -----------------------------------------------------------------------------
def test_leaky_relu_rejects_a_negative_alpha():
    with pytest.raises(ValueError, match="leaky_relu: alpha should be >= 0, got -0.1"):
        F.leaky_relu(ds.tensor([1.0]), alpha=-0.1)


@pytest.mark.parametrize("op", [F.softmax, F.log_softmax])
def test_softmax_axis_out_of_range_is_named(op):
    name = op.__name__
    with pytest.raises(ValueError, match=rf"{name}: axis 2 is out of range .*\(3, 4\)"):
        op(ds.tensor(np.ones((3, 4))), axis=2)
    with pytest.raises(ValueError, match=rf"{name}: axis -1 is out of range .*\(\)"):
        op(ds.tensor(1.0))
