"""ops/norm.py: batch_norm over every axis but the last, with batch or given statistics.

Torch mapping: batch_norm(training=True) normalizes with the biased batch variance, like
ours with no mean/var; batch_norm(training=False, running_mean, running_var) is ours with
mean/var given. Torch wants channels on axis 1: (m, n) goes in as is, (m, H, W, C) as NCHW.
"""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import GRADCHECK_TOL, check_float32, check_torch, close, draw, draw_positive
from deepspec import F
from deepspec.gradcheck import gradcheck

TF = torch.nn.functional
NHWC_TO_NCHW, NCHW_TO_NHWC = (0, 3, 1, 2), (0, 2, 3, 1)
EPS = 1e-5


def torch_bn(Z, gamma, beta, *, mean=None, var=None, eps=EPS):
    """torch's batch_norm on our channels-last layout."""
    to, back = (NHWC_TO_NCHW, NCHW_TO_NHWC) if Z.ndim == 4 else (None, None)
    x = Z.permute(*to) if to else Z
    stats = [None, None] if mean is None else [torch.from_numpy(mean), torch.from_numpy(var)]
    out = TF.batch_norm(x, *stats, gamma, beta, training=mean is None, eps=eps)
    return out.permute(*back) if back else out


def inputs(shape, seed=0):
    """Z, gamma, beta for features on the last axis; Z off-centre so the mean matters."""
    n = shape[-1]
    Z, beta = draw([shape, (n,)], seed)
    (gamma,) = draw_positive([(n,)], seed + 1)
    return [2 * Z + 1, gamma, beta]


def running_stats(n, seed=7):
    mean = draw([(n,)], seed)[0]
    (var,) = draw_positive([(n,)], seed)
    return mean, var


MEAN, VAR = running_stats(3)

# name: (ours, torch, Z shape); features / channels last
CASES = {
    "batch_stats_2d": (F.batch_norm, torch_bn, (6, 3)),
    "batch_stats_4d": (F.batch_norm, torch_bn, (2, 3, 2, 3)),
    "batch_stats_eps": (lambda *a: F.batch_norm(*a, eps=0.1),
                        lambda *a: torch_bn(*a, eps=0.1), (5, 3)),
    "running_stats_2d": (lambda *a: F.batch_norm(*a, mean=MEAN, var=VAR),
                         lambda *a: torch_bn(*a, mean=MEAN, var=VAR), (6, 3)),
    "running_stats_4d": (lambda *a: F.batch_norm(*a, mean=MEAN, var=VAR),
                         lambda *a: torch_bn(*a, mean=MEAN, var=VAR), (2, 2, 3, 3)),
    "running_stats_batch_of_1": (lambda *a: F.batch_norm(*a, mean=MEAN, var=VAR),
                                 lambda *a: torch_bn(*a, mean=MEAN, var=VAR), (1, 3)),
}


@pytest.mark.parametrize("name", CASES)
def test_backward_matches_finite_differences(name):
    ours, _, shape = CASES[name]
    assert gradcheck(ours, inputs(shape)) < GRADCHECK_TOL


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name):
    ours, theirs, shape = CASES[name]
    check_torch(ours, theirs, inputs(shape))


@pytest.mark.parametrize("name", CASES)
def test_float32_keeps_dtype(name):
    ours, _, shape = CASES[name]
    check_float32(ours, inputs(shape))


def test_batch_stats_output_is_normalized_per_feature():
    Z, _, _ = inputs((8, 4))
    out = F.batch_norm(ds.tensor(Z), ds.tensor(np.ones(4)), ds.tensor(np.zeros(4))).data
    close(out.mean(axis=0), np.zeros(4), atol=1e-12)
    close(out.var(axis=0), Z.var(axis=0) / (Z.var(axis=0) + EPS))


def test_given_batch_stats_with_batch_stats_flag_equal_the_default():
    Z, gamma, beta = inputs((6, 3))
    dout = draw([(6, 3)], seed=9)[0]
    grads = []
    for kwargs in ({}, {"mean": Z.mean(axis=0), "var": Z.var(axis=0), "batch_stats": True}):
        leaves = [ds.tensor(a, requires_grad=True) for a in (Z, gamma, beta)]
        out = F.batch_norm(*leaves, **kwargs)
        out.backward(dout)
        grads.append([out.data] + [t.grad for t in leaves])
    for ours, theirs in zip(*grads):
        close(ours, theirs)


def test_running_stats_are_constants():
    Z, gamma, beta = inputs((4, 3))
    x = ds.tensor(Z, requires_grad=True)
    F.batch_norm(x, ds.tensor(gamma), ds.tensor(beta), mean=MEAN, var=VAR).sum().backward()
    close(x.grad, np.broadcast_to(gamma / np.sqrt(VAR + EPS), (4, 3)))


def test_batch_of_one_with_batch_stats_gives_beta_and_no_gradient():
    # torch refuses training-mode statistics of one value per channel; ours normalizes to 0
    Z, gamma, beta = inputs((1, 3))
    leaves = [ds.tensor(a, requires_grad=True) for a in (Z, gamma, beta)]
    out = F.batch_norm(*leaves)
    out.backward(np.ones((1, 3)))
    close(out.data, beta[None])
    close(leaves[0].grad, np.zeros((1, 3)))
    assert gradcheck(F.batch_norm, [Z, gamma, beta]) < GRADCHECK_TOL


def test_empty_batch_with_running_stats():
    Z, gamma, beta = inputs((0, 3))
    check_torch(lambda *a: F.batch_norm(*a, mean=MEAN, var=VAR),
                lambda *a: torch_bn(*a, mean=MEAN, var=VAR), [Z, gamma, beta])


# ---- bad input -----------------------------------------------------------------------------
def call(Z_shape=(4, 3), gamma_shape=(3,), beta_shape=(3,), **kwargs):
    Z, gamma, beta = (ds.tensor(np.ones(s)) for s in (Z_shape, gamma_shape, beta_shape))
    return F.batch_norm(Z, gamma, beta, **kwargs)


ERRORS = {
    "gamma": (dict(gamma_shape=(4,)), r"batch_norm: gamma should have shape \(3\), got \(4,\)"),
    "beta": (dict(beta_shape=(3, 1)), r"batch_norm: beta should have shape \(3\), got \(3, 1\)"),
    "Z_1d": (dict(Z_shape=(3,)), r"batch_norm: Z should be .*got shape \(3,\)"),
    "mean_only": (dict(mean=np.zeros(3)), "batch_norm: give both mean and var, or neither"),
    "mean_shape": (dict(mean=np.zeros(2), var=np.ones(2)),
                   r"batch_norm: mean should have shape \(3\), got \(2,\)"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_bad_input_raises_a_clear_error(name):
    kwargs, message = ERRORS[name]
    with pytest.raises(ValueError, match=message):
        call(**kwargs)
