"""Gradient clipping against torch.nn.utils, and the notes' L2 cost term (notes §2.2.1)."""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from deepspec import optim
from deepspec.gradcheck import gradcheck
from deepspec.nn import Parameter

SHAPES = [(6, 4), (6,), (3, 6), (3,)]


def draw(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def with_grads(scale=1.0, seed=0):
    """Our float64 parameters and torch's copies, holding the same gradients."""
    values, grads = draw(SHAPES, seed), draw(SHAPES, seed + 1)
    ours, theirs = [], []
    for value, grad in zip(values, grads):
        p = Parameter(value, dtype=np.float64)
        p.grad = scale * grad
        t = torch.tensor(value, requires_grad=True)
        t.grad = torch.tensor(scale * grad)
        ours.append(p)
        theirs.append(t)
    return ours, theirs


def assert_same_grads(ours, theirs):
    for p, t in zip(ours, theirs, strict=True):
        assert p.grad.dtype == np.float64
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


# ---- clip_grad_value -------------------------------------------------------------------------
@pytest.mark.parametrize("clip_value", [0.1, 0.5, 5.0])
def test_clip_grad_value_matches_torch(clip_value):
    ours, theirs = with_grads()
    optim.clip_grad_value(ours, clip_value)
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    assert_same_grads(ours, theirs)
    assert max(np.max(np.abs(p.grad)) for p in ours) <= clip_value


def test_clip_grad_value_skips_missing_grads_and_takes_a_module():
    ours, _ = with_grads()
    ours[1].grad = None
    optim.clip_grad_value(ours, 0.2)
    assert ours[1].grad is None
    model = ds.models.mlp([4, 6, 3], seed=0)
    for p in model.parameters():
        p.grad = np.full(p.shape, 3.0, dtype=p.dtype)
    optim.clip_grad_value(model, 0.5)
    assert all(np.all(p.grad == 0.5) and p.grad.dtype == np.float32 for p in model.parameters())


# ---- clip_grad_norm --------------------------------------------------------------------------
@pytest.mark.parametrize("max_norm", [0.5, 2.0])
def test_clip_grad_norm_matches_torch(max_norm):
    ours, theirs = with_grads(scale=3.0)
    total = optim.clip_grad_norm(ours, max_norm)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    assert total > max_norm  # the clipping branch is the one checked
    assert total == pytest.approx(t_total.item(), rel=1e-12)
    assert_same_grads(ours, theirs)  # both scale by max_norm / (total + 1e-6)
    clipped = np.sqrt(sum(np.sum(p.grad**2) for p in ours))
    assert clipped == pytest.approx(max_norm * total / (total + 1e-6), rel=1e-12)


def test_clip_grad_norm_by_hand_and_no_op_under_the_norm():
    p, q = Parameter([3.0], dtype=np.float64), Parameter([[4.0]], dtype=np.float64)
    p.grad, q.grad = np.array([3.0]), np.array([[4.0]])
    grads = [p.grad, q.grad]
    assert optim.clip_grad_norm([p, q], 5.0) == 5.0  # ||(3, 4)|| = 5: not above max_norm
    assert p.grad is grads[0] and q.grad is grads[1]  # untouched
    assert optim.clip_grad_norm([p, q], 1.0) == 5.0
    np.testing.assert_allclose([p.grad[0], q.grad[0, 0]], np.array([3.0, 4.0]) / (5 + 1e-6))


def test_clip_grad_norm_ignores_missing_grads_and_keeps_float32():
    ours, theirs = with_grads(scale=3.0)
    ours[0].grad, theirs[0].grad = None, None
    total = optim.clip_grad_norm(ours, 1.0)
    assert total == pytest.approx(torch.nn.utils.clip_grad_norm_(theirs, 1.0).item(), rel=1e-12)
    assert ours[0].grad is None
    assert_same_grads(ours[1:], theirs[1:])
    assert optim.clip_grad_norm([Parameter([1.0])], 1.0) == 0.0  # no gradients at all
    p = Parameter(np.ones((2, 2), dtype=np.float32))
    p.grad = np.full((2, 2), 10.0, dtype=np.float32)
    assert optim.clip_grad_norm(p, 1.0) == pytest.approx(20.0)
    assert p.grad.dtype == np.float32
    assert np.sqrt(np.sum(p.grad**2)) == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("fn, arg", [(optim.clip_grad_value, "clip_value"),
                                     (optim.clip_grad_norm, "max_norm")])
@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_clip_bad_arguments_raise(fn, arg, bad):
    ours, _ = with_grads()
    with pytest.raises(ValueError, match=f"{fn.__name__}: {arg} should be > 0"):
        fn(ours, bad)
    with pytest.raises(TypeError, match=rf"{fn.__name__}: params\[0\] should be a Tensor"):
        fn([np.ones(3)], 1.0)


# ---- l2_penalty ------------------------------------------------------------------------------
def test_l2_penalty_value_and_gradient():
    with ds.default_dtype("float64"):
        model = ds.models.mlp([4, 6, 3], seed=0)
    W1, b1, W2, b2 = model.parameters()
    lambd, m = 0.7, 8
    J = optim.l2_penalty(model, lambd, m)
    expected = lambd / (2 * m) * (np.sum(W1.data**2) + np.sum(W2.data**2))
    assert J.shape == () and J.dtype == np.float64
    assert float(J.data) == pytest.approx(expected, rel=1e-14)
    J.backward()
    np.testing.assert_allclose(W1.grad, lambd / m * W1.data, rtol=1e-14)
    np.testing.assert_allclose(W2.grad, lambd / m * W2.data, rtol=1e-14)
    assert b1.grad is None and b2.grad is None  # the notes leave b out of the L2 term


def test_l2_penalty_matches_torch_and_adds_nothing_to_biases():
    with ds.default_dtype("float64"):
        model = ds.models.mlp([4, 6, 3], seed=0)
    X, y = draw([(8, 4)], seed=2)[0], np.random.default_rng(3).integers(0, 3, size=8)
    ds.ops.softmax_cross_entropy(model(ds.Tensor(X)), y).backward()
    plain = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    J = ds.ops.softmax_cross_entropy(model(ds.Tensor(X)), y) + optim.l2_penalty(model, 0.7, 8)
    J.backward()
    Ws = [torch.tensor(p.data, requires_grad=True) for p in model.parameters()[::2]]
    t_J = 0.7 / (2 * 8) * sum((W**2).sum() for W in Ws)
    t_J.backward()
    W1, b1, W2, b2 = model.parameters()
    np.testing.assert_allclose(b1.grad, plain[1], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(b2.grad, plain[3], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(W1.grad - plain[0], Ws[0].grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(W2.grad - plain[2], Ws[1].grad.numpy(), rtol=1e-10, atol=1e-12)


def test_l2_penalty_gradcheck():
    arrays = draw([(6, 4), (6,), (3, 6), (2, 3, 2)], seed=4)  # weights, a bias, a 3-axis kernel
    result = gradcheck(lambda *params: optim.l2_penalty(list(params), 0.7, 5), arrays)
    assert result < 1e-7
    assert result.per_input[1] == 0.0  # the bias: no gradient and none expected


def test_l2_penalty_in_the_notes_gradient_check():
    model = ds.models.mlp([4, 6, 3], seed=0)
    X, y = draw([(8, 4)], seed=2)[0], np.random.default_rng(3).integers(0, 3, size=8)
    assert ds.gradient_check(model, X, y, "softmax_cross_entropy", lambd=0.7) < 1e-7


def test_l2_penalty_float32_and_lambd_zero():
    model = ds.models.mlp([4, 6, 3], seed=0)
    J = optim.l2_penalty(model, 0.1, 4)
    assert J.dtype == np.float32 and np.isfinite(J.data)
    J.backward()
    assert model.parameters()[0].grad.dtype == np.float32
    assert float(optim.l2_penalty(model, 0.0, 4).data) == 0.0


@pytest.mark.parametrize("lambd, m, match", [
    (-0.1, 8, "l2_penalty: lambd should be >= 0, got -0.1"),
    (float("nan"), 8, "l2_penalty: lambd should be >= 0"),
    (0.7, 0, r"l2_penalty: m \(examples\) should be > 0, got 0"),
    (0.7, -3, r"l2_penalty: m \(examples\) should be > 0"),
])
def test_l2_penalty_bad_arguments_raise(lambd, m, match):
    with pytest.raises(ValueError, match=match):
        optim.l2_penalty(ds.models.mlp([4, 6, 3], seed=0), lambd, m)


def test_l2_penalty_needs_weight_matrices():
    biases = [Parameter(np.zeros(3)), Parameter(np.zeros(2))]
    with pytest.raises(ValueError, match="l2_penalty: no weight matrices"):
        optim.l2_penalty(biases, 0.7, 8)
    with pytest.raises(TypeError, match=r"l2_penalty: params\[0\] should be a Tensor"):
        optim.l2_penalty([np.ones((2, 2))], 0.7, 8)
