"""BatchNorm layers: PyTorch parity in training, the notes' running averages in eval, errors.

Mapping to PyTorch: torch's ``momentum=0.1`` is ``momentum=0.9`` here (torch weights the new
statistic by its momentum, the notes weight the old average by theirs). torch's running
variance is the *unbiased* batch variance and starts at 1; the notes' (ours) is the biased
batch variance, starts at 0 and is bias-corrected by 1 - momentum^steps at eval time.
"""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import close, draw
from deepspec import nn
from deepspec.gradcheck import gradcheck

NHWC_TO_NCHW, NCHW_TO_NHWC = (0, 3, 1, 2), (0, 2, 3, 1)


def pair(n, seed=0):
    """Our float64 BatchNorm1d and torch's, with the same random gamma and beta."""
    with ds.default_dtype("float64"):
        layer = nn.BatchNorm1d(n)
    t_layer = torch.nn.BatchNorm1d(n, eps=1e-5, momentum=0.1, dtype=torch.float64)
    gamma, beta = draw([(n,), (n,)], seed)
    layer.gamma.data[...], layer.beta.data[...] = gamma + 1, beta
    with torch.no_grad():
        t_layer.weight.copy_(torch.from_numpy(gamma + 1))
        t_layer.bias.copy_(torch.from_numpy(beta))
    return layer, t_layer


def step_both(layer, t_layer, Z, seed):
    ours = ds.Tensor(Z, requires_grad=True)
    out = layer(ours)
    dout = draw([out.shape], seed)[0]
    out.backward(dout)
    theirs = torch.tensor(Z, requires_grad=True)
    t_out = t_layer(theirs)
    t_out.backward(torch.from_numpy(dout))
    close(out.data, t_out)
    close(ours.grad, theirs.grad)
    close(layer.gamma.grad, t_layer.weight.grad)
    close(layer.beta.grad, t_layer.bias.grad)


@pytest.mark.parametrize("m", [2, 16])
def test_batchnorm1d_training_matches_torch(m):
    layer, t_layer = pair(5)
    for k in range(3):  # several steps: grads accumulate in both
        Z = draw([(m, 5)], seed=10 + k)[0] * 2 + 3
        step_both(layer, t_layer, Z, seed=20 + k)
    # both running means start at 0 with the same update (torch 0.1 == ours 0.9)
    close(layer.running_mean, t_layer.running_mean)
    assert layer.steps == 3 and int(t_layer.num_batches_tracked) == 3


def test_batchnorm_over_channels_matches_torch_batchnorm2d():
    with ds.default_dtype("float64"):
        layer = nn.BatchNorm(3)
    t_layer = torch.nn.BatchNorm2d(3, momentum=0.1, dtype=torch.float64)
    Z = draw([(4, 5, 6, 3)], seed=0)[0]  # (m, n_H, n_W, n_C)
    ours = ds.Tensor(Z, requires_grad=True)
    out = layer(ours)
    dout = draw([out.shape], seed=1)[0]
    out.backward(dout)
    theirs = torch.tensor(Z.transpose(NHWC_TO_NCHW), requires_grad=True)
    t_out = t_layer(theirs)
    t_out.backward(torch.from_numpy(dout.transpose(NHWC_TO_NCHW)))
    close(out.data, t_out.detach().numpy().transpose(NCHW_TO_NHWC))
    close(ours.grad, theirs.grad.numpy().transpose(NCHW_TO_NHWC))
    close(layer.gamma.grad, t_layer.weight.grad)
    close(layer.beta.grad, t_layer.bias.grad)


def train_steps(layer, k, m=8, n=4):
    """k training steps on fixed batches; returns the batches."""
    batches = [draw([(m, n)], seed=100 + i)[0] * (i + 1) + i for i in range(k)]
    for Z in batches:
        layer(ds.Tensor(Z))
    return batches


@pytest.mark.parametrize("k", [1, 2, 5])
def test_running_stats_are_the_notes_bias_corrected_averages(k):
    with ds.default_dtype("float64"):
        layer = nn.BatchNorm1d(4)
    batches = train_steps(layer, k)
    v_mean, v_var = np.zeros(4), np.zeros(4)
    for Z in batches:  # notes §2.4.1: v = beta v + (1 - beta) theta, beta = 0.9
        v_mean = 0.9 * v_mean + 0.1 * Z.mean(axis=0)
        v_var = 0.9 * v_var + 0.1 * Z.var(axis=0)  # biased (divides by m), unlike torch's
    close(layer.running_mean, v_mean)
    close(layer.running_var, v_var)
    assert layer.steps == k

    gamma, beta = draw([(4,), (4,)], seed=3)
    layer.gamma.data[...], layer.beta.data[...] = gamma, beta
    mu, var = v_mean / (1 - 0.9**k), v_var / (1 - 0.9**k)  # bias correction, notes §2.4.2
    Z = draw([(6, 4)], seed=9)[0]
    expected = (Z - mu) / np.sqrt(var + 1e-5) * gamma + beta
    layer.eval()
    ours = ds.Tensor(Z, requires_grad=True)
    out = layer(ours)
    close(out.data, expected)
    assert layer.steps == k  # eval leaves the averages alone
    close(layer.running_mean, v_mean)

    # eval backward treats mu and var as constants; torch's eval does too, given our stats
    dout = draw([(6, 4)], seed=4)[0]
    out.backward(dout)
    t_layer = torch.nn.BatchNorm1d(4, dtype=torch.float64).eval()
    with torch.no_grad():
        t_layer.weight.copy_(torch.from_numpy(gamma))
        t_layer.bias.copy_(torch.from_numpy(beta))
        t_layer.running_mean.copy_(torch.from_numpy(mu))
        t_layer.running_var.copy_(torch.from_numpy(var))
    theirs = torch.tensor(Z, requires_grad=True)
    t_out = t_layer(theirs)
    t_out.backward(torch.from_numpy(dout))
    close(out.data, t_out)
    close(ours.grad, theirs.grad)
    close(layer.gamma.grad, t_layer.weight.grad)
    close(layer.beta.grad, t_layer.bias.grad)


def test_momentum_zero_uses_the_last_batch():
    with ds.default_dtype("float64"):
        layer = nn.BatchNorm1d(4, momentum=0.0)
    last = train_steps(layer, 3)[-1]
    close(layer.running_mean, last.mean(axis=0))
    close(layer.running_var, last.var(axis=0))
    Z = draw([(5, 4)], seed=1)[0]
    expected = (Z - last.mean(axis=0)) / np.sqrt(last.var(axis=0) + 1e-5)
    close(layer.eval()(ds.Tensor(Z)).data, expected)


def test_eval_before_training_is_an_error():
    layer = nn.BatchNorm1d(3).eval()
    with pytest.raises(RuntimeError, match="BatchNorm1d: no running statistics yet"):
        layer(ds.Tensor(np.ones((2, 3))))


def test_gradcheck_training_and_eval():
    with ds.default_dtype("float64"):
        layer = nn.BatchNorm1d(3)
    layer.gamma.data[...], layer.beta.data[...] = draw([(3,), (3,)], seed=0)
    Z = draw([(5, 3)], seed=1)[0]
    assert gradcheck(layer, [Z]) < 1e-7  # through the batch statistics
    layer.eval()
    assert gradcheck(layer, [Z]) < 1e-7


def test_buffers_keep_the_layer_dtype():
    layer = nn.BatchNorm1d(3)  # float32 by default
    layer(ds.Tensor(draw([(6, 3)], seed=0)[0]))  # a float64 batch
    assert layer.running_mean.dtype == np.float32 and layer.running_var.dtype == np.float32
    assert isinstance(layer.steps, int)
    out = layer(ds.Tensor(draw([(6, 3)], seed=1)[0].astype(np.float32)))
    assert out.dtype == np.float32 and np.all(np.isfinite(out.data))


def test_buffers_are_not_parameters():
    layer = nn.BatchNorm1d(3)
    assert [name for name, _ in layer.named_parameters()] == ["gamma", "beta"]
    assert [name for name, _ in layer.named_buffers()] == ["running_mean", "running_var",
                                                           "steps"]
    assert np.all(layer.gamma.data == 1) and np.all(layer.beta.data == 0)


# ---- bad input -------------------------------------------------------------------------------
def test_batchnorm1d_rejects_3d_input():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\): input should be 2-D, "
                                         r"got shape \(2, 3, 4\)"):
        nn.BatchNorm1d(4)(ds.Tensor(np.ones((2, 3, 4))))


def test_batchnorm1d_rejects_wrong_width():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\): .*4\), got \(2, 3\)"):
        nn.BatchNorm1d(4)(ds.Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"BatchNorm\(4\): .*4\), got \(5,\)"):
        nn.BatchNorm(4)(ds.Tensor(np.ones(5)))


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 0}, "BatchNorm1d: n should be positive, got 0"),
    ({"n": 3, "momentum": 1.0}, r"BatchNorm1d: momentum should be in \[0, 1\), got 1.0"),
    ({"n": 3, "momentum": -0.1}, r"BatchNorm1d: momentum should be in \[0, 1\), got -0.1"),
])
def test_batchnorm1d_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.BatchNorm1d(**kwargs)
