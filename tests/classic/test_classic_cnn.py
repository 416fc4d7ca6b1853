"""deepspec.classic CNN step by step: the assignment's loops, its published values, the notes'
worked examples, central differences and PyTorch.

The reference is the assignment's own code, explicit loops over examples, pixels and filters
(float64), written out below; gradients are sums over the m examples.
"""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

from conftest import FILTER_TO_TORCH, GRADCHECK_TOL, NCHW_TO_NHWC, NHWC_TO_NCHW, close, draw
from deepspec import classic
from deepspec.gradcheck import relative_difference


# ---- the assignment's loops ------------------------------------------------------------------
def naive_zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def naive_conv_forward(A_prev, W, b, hp):
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    s, pad = hp["stride"], hp["pad"]
    n_H, n_W = (n_H_prev + 2 * pad - f) // s + 1, (n_W_prev + 2 * pad - f) // s + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_pad = naive_zero_pad(A_prev, pad)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    a_slice = A_pad[i, h * s:h * s + f, w * s:w * s + f, :]
                    Z[i, h, w, c] = np.sum(a_slice * W[..., c]) + float(b[0, 0, 0, c])
    return Z


def naive_conv_backward(dZ, A_prev, W, hp):
    f, s, pad = W.shape[0], hp["stride"], hp["pad"]
    m, n_H, n_W, n_C = dZ.shape
    A_pad = naive_zero_pad(A_prev, pad)
    dA_pad, dW, db = np.zeros_like(A_pad), np.zeros_like(W), np.zeros((1, 1, 1, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    rows, cols = slice(h * s, h * s + f), slice(w * s, w * s + f)
                    dA_pad[i, rows, cols, :] += W[..., c] * dZ[i, h, w, c]
                    dW[..., c] += A_pad[i, rows, cols, :] * dZ[i, h, w, c]
                    db[..., c] += dZ[i, h, w, c]
    H, W_ = A_prev.shape[1:3]
    return dA_pad[:, pad:pad + H, pad:pad + W_, :], dW, db


def naive_pool_forward(A_prev, hp, mode):
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    f, s = hp["f"], hp["stride"]
    n_H, n_W = (n_H_prev - f) // s + 1, (n_W_prev - f) // s + 1
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    window = A_prev[i, h * s:h * s + f, w * s:w * s + f, c]
                    A[i, h, w, c] = np.max(window) if mode == "max" else np.mean(window)
    return A


def naive_pool_backward(dA, A_prev, hp, mode):
    f, s = hp["f"], hp["stride"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros_like(A_prev)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    rows, cols = slice(h * s, h * s + f), slice(w * s, w * s + f)
                    if mode == "max":
                        window = A_prev[i, rows, cols, c]
                        dA_prev[i, rows, cols, c] += (window == np.max(window)) * dA[i, h, w, c]
                    else:
                        dA_prev[i, rows, cols, c] += dA[i, h, w, c] / (f * f)
    return dA_prev


CONV_CASES = [  # (m, n_H_prev, n_W_prev, n_C_prev, f, n_C, stride, pad)
    (2, 5, 7, 3, 3, 4, 1, 0),
    (3, 6, 5, 2, 3, 2, 1, 1),
    (2, 7, 6, 3, 2, 3, 2, 2),
    (1, 8, 9, 1, 3, 2, 3, 1),
    (2, 4, 4, 2, 4, 3, 1, 0),
    (2, 4, 5, 3, 1, 2, 2, 0),  # 1x1 filters: conv2d's plain-GEMM path
]


# ---- zero_pad and conv_single_step -----------------------------------------------------------
def test_zero_pad_shape_values_and_dtype():
    [X] = draw([(3, 4, 5, 2)], 0)
    X_pad = classic.zero_pad(X, 2)
    assert X_pad.shape == (3, 8, 9, 2) and X_pad.dtype == np.float64
    np.testing.assert_array_equal(X_pad[:, 2:6, 2:7], X)
    interior = np.zeros(X_pad.shape, dtype=bool)
    interior[:, 2:6, 2:7] = True
    assert not X_pad[~interior].any()
    np.testing.assert_array_equal(X_pad, naive_zero_pad(X, 2))
    np.testing.assert_array_equal(classic.zero_pad(X, 0), X)
    assert classic.zero_pad(X.astype(np.float32), 1).dtype == np.float32
    assert classic.zero_pad(X, (1, 0)).shape == (3, 6, 5, 2)


def test_conv_single_step_is_the_sum_of_the_products_plus_b():
    a_slice, W, b = draw([(3, 3, 4), (3, 3, 4), (1, 1, 1)], 1)
    Z = classic.conv_single_step(a_slice, W, b)
    assert np.ndim(Z) == 0
    assert Z == pytest.approx(np.sum(a_slice * W) + b.item(), rel=1e-13)


# ---- the assignment's published check values (np.random.seed(1), as in the notebook) -------
def test_assignment_values_zero_pad_and_conv_single_step():
    np.random.seed(1)
    x = np.random.randn(4, 3, 3, 2)
    x_pad = classic.zero_pad(x, 2)
    assert x_pad.shape == (4, 7, 7, 2)
    np.testing.assert_allclose(x[1, 1], [[0.90085595, -0.68372786], [-0.12289023, -0.93576943],
                                         [-0.26788808, 0.53035547]], atol=1e-8)
    assert not x_pad[1, 1].any()
    np.random.seed(1)
    a_slice_prev = np.random.randn(4, 4, 3)
    W = np.random.randn(4, 4, 3)
    b = np.random.randn(1, 1, 1)
    assert classic.conv_single_step(a_slice_prev, W, b) == pytest.approx(-6.99908945068,
                                                                         abs=1e-10)


def test_assignment_values_conv_forward_and_backward():
    np.random.seed(1)
    A_prev = np.random.randn(10, 4, 4, 3)
    W = np.random.randn(2, 2, 3, 8)
    b = np.random.randn(1, 1, 1, 8)
    Z, cache = classic.conv_forward(A_prev, W, b, {"pad": 2, "stride": 2})
    assert np.mean(Z) == pytest.approx(0.0489952035289, abs=1e-12)
    np.testing.assert_allclose(Z[3, 2, 1], [-0.61490741, -6.7439236, -2.55153897, 1.75698377,
                                            3.56208902, 0.53036437, 5.18531798, 8.75898442],
                               atol=1e-8)
    np.testing.assert_allclose(cache[0][1][2][3], [-0.20075807, 0.18656139, 0.41005165],
                               atol=1e-8)
    dA, dW, db = classic.conv_backward(Z, cache)
    assert np.mean(dA) == pytest.approx(1.45243777754, abs=1e-10)
    assert np.mean(dW) == pytest.approx(1.72699145831, abs=1e-10)
    assert np.mean(db) == pytest.approx(7.83923256462, abs=1e-10)


def test_assignment_values_pool_forward_and_backward():
    np.random.seed(1)
    A_prev = np.random.randn(2, 4, 4, 3)
    hp = {"stride": 2, "f": 3}
    A, _ = classic.pool_forward(A_prev, hp, mode="max")
    np.testing.assert_allclose(A.reshape(2, 3), [[1.74481176, 0.86540763, 1.13376944],
                                                 [1.13162939, 1.51981682, 2.18557541]],
                               atol=1e-8)
    A, _ = classic.pool_forward(A_prev, hp, mode="average")
    np.testing.assert_allclose(A.reshape(2, 3), [[0.02105773, -0.20328806, -0.40389855],
                                                 [-0.22154621, 0.51716526, 0.48155844]],
                               atol=1e-8)
    np.random.seed(1)
    A_prev = np.random.randn(5, 5, 3, 2)
    _, cache = classic.pool_forward(A_prev, {"stride": 1, "f": 2})
    dA = np.random.randn(5, 4, 2, 2)
    np.testing.assert_allclose(classic.pool_backward(dA, cache, mode="max")[1, 1],
                               [[0, 0], [5.05844394, -1.68282702], [0, 0]], atol=1e-8)
    np.testing.assert_allclose(classic.pool_backward(dA, cache, mode="average")[1, 1],
                               [[0.08485462, 0.2787552], [1.26461098, -0.25749373],
                                [1.17975636, -0.53624893]], atol=1e-8)


# ---- the notes' worked examples (course 4, week 1) ---------------------------------------------
VERTICAL = np.array([[1, 0, -1]] * 3)


def test_notes_vertical_edge_examples():
    numbers = np.array([[3, 0, 1, 2, 7, 4], [1, 5, 8, 9, 3, 1], [2, 7, 2, 5, 1, 3],
                        [0, 1, 3, 1, 7, 8], [4, 2, 1, 6, 2, 8], [2, 4, 5, 2, 3, 9]])
    W, b = VERTICAL[:, :, None, None], np.zeros((1, 1, 1, 1))
    Z, _ = classic.conv_forward(numbers[None, :, :, None], W, b, {"stride": 1, "pad": 0})
    # the lecture's 4x4; the notes' text prints 4 and 3 at (2, 2) and (3, 2), minus signs lost
    np.testing.assert_array_equal(Z[0, :, :, 0], [[-5, -4, 0, 8], [-10, -2, 2, 3],
                                                  [0, -2, -4, -7], [-3, -2, -3, -16]])
    step = np.array([[10, 10, 10, 0, 0, 0]] * 6)
    Z, _ = classic.conv_forward(step[None, :, :, None], W, b, {"stride": 1, "pad": 0})
    np.testing.assert_array_equal(Z[0, :, :, 0], [[0, 30, 30, 0]] * 4)
    Z, _ = classic.conv_forward(step[None, :, ::-1, None], W, b, {"stride": 1, "pad": 0})
    np.testing.assert_array_equal(Z[0, :, :, 0], [[0, -30, -30, 0]] * 4)


def test_notes_max_pooling_examples():
    X = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]])
    A, _ = classic.pool_forward(X[None, :, :, None], {"f": 2, "stride": 2})
    np.testing.assert_array_equal(A[0, :, :, 0], [[9, 2], [6, 3]])
    X = np.array([[1, 3, 2, 1, 3], [2, 9, 1, 1, 5], [1, 3, 2, 3, 2], [8, 3, 5, 1, 0],
                  [5, 6, 1, 2, 9]])
    A, _ = classic.pool_forward(X[None, :, :, None], {"f": 3, "stride": 1})
    np.testing.assert_array_equal(A[0, :, :, 0], [[9, 9, 5], [9, 9, 5], [8, 6, 9]])


# ---- against the loops -----------------------------------------------------------------------
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_forward_backward_match_the_assignment_loops(case):
    m, n_H_prev, n_W_prev, n_C_prev, f, n_C, stride, pad = case
    A_prev, W, b = draw([(m, n_H_prev, n_W_prev, n_C_prev), (f, f, n_C_prev, n_C),
                         (1, 1, 1, n_C)], sum(case))
    hp = {"stride": stride, "pad": pad}
    Z, cache = classic.conv_forward(A_prev, W, b, hp)
    close(Z, naive_conv_forward(A_prev, W, b, hp))
    assert cache[:3] == (A_prev, W, b) and cache[3] is hp
    [dZ] = draw([Z.shape], 7)
    for got, want in zip(classic.conv_backward(dZ, cache),
                         naive_conv_backward(dZ, A_prev, W, hp)):
        assert got.dtype == np.float64
        close(got, want)


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("f, stride", [(2, 2), (3, 1), (3, 2), (2, 3)])
def test_pool_forward_backward_match_the_assignment_loops(mode, f, stride):
    A_prev, = draw([(3, 7, 8, 2)], f * 10 + stride)
    hp = {"f": f, "stride": stride}
    A, cache = classic.pool_forward(A_prev, hp, mode)
    close(A, naive_pool_forward(A_prev, hp, mode))
    [dA] = draw([A.shape], 3)
    close(classic.pool_backward(dA, cache, mode), naive_pool_backward(dA, A_prev, hp, mode))


def test_backward_from_a_hand_made_cache_and_twice_from_one():
    A_prev, W, b = draw([(2, 5, 5, 3), (3, 3, 3, 2), (1, 1, 1, 2)], 3)
    hp = {"stride": 2, "pad": 1}
    Z, cache = classic.conv_forward(A_prev, W, b, hp)
    [dZ] = draw([Z.shape], 4)
    first = classic.conv_backward(dZ, cache)
    for again in (classic.conv_backward(dZ, cache), classic.conv_backward(dZ, (A_prev, W, b, hp))):
        for got, want in zip(again, first):
            np.testing.assert_array_equal(got, want)
    A, cache = classic.pool_forward(A_prev, {"f": 2, "stride": 1}, "max")
    [dA] = draw([A.shape], 5)
    want = naive_pool_backward(dA, A_prev, {"f": 2, "stride": 1}, "average")
    # a max cache used with mode="average" (the assignment's backward takes the mode)
    close(classic.pool_backward(dA, cache, "average"), want)
    close(classic.pool_backward(dA, tuple(cache), "average"), want)


# ---- central differences and PyTorch --------------------------------------------------------
def numerical_gradient(J, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = J()
        x[i] = old - eps
        minus = J()
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


@pytest.mark.parametrize("stride, pad", [(1, 1), (2, 2)])
def test_conv_gradients_match_central_differences(stride, pad):
    A_prev, W, b = draw([(2, 5, 4, 2), (3, 3, 2, 3), (1, 1, 1, 3)], 11)
    hp = {"stride": stride, "pad": pad}
    Z, cache = classic.conv_forward(A_prev, W, b, hp)
    [D] = draw([Z.shape], 12)  # J = sum(Z * D), so dZ = D

    def J():
        return float(np.sum(classic.conv_forward(A_prev, W, b, hp)[0] * D))

    for grad, x in zip(classic.conv_backward(D, cache), (A_prev, W, b)):
        assert relative_difference(grad, numerical_gradient(J, x)) < GRADCHECK_TOL


@pytest.mark.parametrize("mode", ["max", "average"])
def test_pool_gradients_match_central_differences(mode):
    [A_prev] = draw([(2, 6, 5, 2)], 13)
    hp = {"f": 3, "stride": 2}
    A, cache = classic.pool_forward(A_prev, hp, mode)
    [D] = draw([A.shape], 14)

    def J():
        return float(np.sum(classic.pool_forward(A_prev, hp, mode)[0] * D))

    assert relative_difference(classic.pool_backward(D, cache, mode),
                               numerical_gradient(J, A_prev)) < GRADCHECK_TOL


def test_conv_and_pool_match_pytorch():
    A_prev, W, b = draw([(2, 7, 6, 3), (3, 3, 3, 4), (1, 1, 1, 4)], 21)
    hp = {"stride": 2, "pad": 1}
    Z, cache = classic.conv_forward(A_prev, W, b, hp)
    [dZ] = draw([Z.shape], 22)
    tA = torch.tensor(A_prev.transpose(NHWC_TO_NCHW), requires_grad=True)
    tW = torch.tensor(W.transpose(FILTER_TO_TORCH), requires_grad=True)
    tb = torch.tensor(b.ravel(), requires_grad=True)
    tZ = torch.nn.functional.conv2d(tA, tW, tb, stride=2, padding=1)
    tZ.backward(torch.tensor(dZ.transpose(NHWC_TO_NCHW)))
    close(Z, tZ.detach().numpy().transpose(NCHW_TO_NHWC))
    dA_prev, dW, db = classic.conv_backward(dZ, cache)
    close(dA_prev, tA.grad.numpy().transpose(NCHW_TO_NHWC))
    close(dW, tW.grad.numpy().transpose(2, 3, 1, 0))
    close(db, tb.grad.numpy().reshape(1, 1, 1, -1))
    for mode, torch_pool in (("max", torch.nn.functional.max_pool2d),
                             ("average", torch.nn.functional.avg_pool2d)):
        A, cache = classic.pool_forward(A_prev, {"f": 3, "stride": 2}, mode)
        [dA] = draw([A.shape], 23)
        tA = torch.tensor(A_prev.transpose(NHWC_TO_NCHW), requires_grad=True)
        tOut = torch_pool(tA, 3, stride=2)
        tOut.backward(torch.tensor(dA.transpose(NHWC_TO_NCHW)))
        close(A, tOut.detach().numpy().transpose(NCHW_TO_NHWC))
        close(classic.pool_backward(dA, cache, mode), tA.grad.numpy().transpose(NCHW_TO_NHWC))


# ---- the pooling helpers, dtypes, errors -------------------------------------------------------
def test_create_mask_from_window_and_distribute_value():
    x = np.array([[1.0, 3.0], [4.0, 2.0]])
    np.testing.assert_array_equal(classic.create_mask_from_window(x),
                                  [[False, False], [True, False]])
    # ties: only the first maximum, row-major (the assignment's mask would mark both)
    np.testing.assert_array_equal(classic.create_mask_from_window([[5, 1, 5]]),
                                  [[True, False, False]])
    np.testing.assert_array_equal(classic.distribute_value(2.0, (2, 2)), np.full((2, 2), 0.5))
    assert classic.distribute_value(3, (1, 3)).dtype == np.float64


def test_dtypes_are_kept_and_integers_become_float64():
    A_prev, W, b = (a.astype(np.float32) for a in draw([(1, 4, 4, 2), (2, 2, 2, 3),
                                                        (1, 1, 1, 3)], 31))
    Z, cache = classic.conv_forward(A_prev, W, b, {"stride": 1, "pad": 0})
    assert Z.dtype == np.float32
    assert all(g.dtype == np.float32 for g in classic.conv_backward(np.ones_like(Z), cache))
    A, cache = classic.pool_forward(A_prev, {"f": 2, "stride": 2})
    assert A.dtype == np.float32
    assert classic.pool_backward(np.ones_like(A), cache).dtype == np.float32
    Z, _ = classic.conv_forward(np.ones((1, 3, 3, 1), dtype=int), np.ones((3, 3, 1, 1), int),
                                np.zeros((1, 1, 1, 1), int), {"stride": 1, "pad": 0})
    assert Z.dtype == np.float64 and Z.item() == 9.0


@pytest.mark.parametrize("call, message", [
    (lambda: classic.conv_forward(np.ones((4, 4, 3)), np.ones((2, 2, 3, 1)),
                                  np.ones((1, 1, 1, 1)), {"stride": 1, "pad": 0}),
     r"conv_forward: A_prev should have shape \(\*, \*, \*, \*\), got \(4, 4, 3\)"),
    (lambda: classic.conv_forward(np.ones((1, 4, 4, 3)), np.ones((2, 2, 2, 1)),
                                  np.ones((1, 1, 1, 1)), {"stride": 1, "pad": 0}),
     r"conv_forward: W should have shape \(\*, \*, 3, \*\) to match A_prev"),
    (lambda: classic.conv_forward(np.ones((1, 4, 4, 3)), np.ones((2, 2, 3, 5)),
                                  np.ones((5,)), {"stride": 1, "pad": 0}),
     r"conv_forward: b should have shape \(1, 1, 1, 5\) to match W \(2, 2, 3, 5\), got \(5,\)"),
    (lambda: classic.conv_forward(np.ones((1, 4, 4, 3)), np.ones((2, 2, 3, 1)),
                                  np.ones((1, 1, 1, 1)), {"stride": 1}),
     r"conv_forward: hparameters should hold \['pad', 'stride'\], missing \['pad'\]"),
    (lambda: classic.conv_forward(np.ones((1, 4, 4, 3)), np.ones((2, 2, 3, 1)),
                                  np.ones((1, 1, 1, 1)), {"stride": 0, "pad": 0}),
     r"conv_forward: hparameters\['stride'\] should be an int >= 1, got 0"),
    (lambda: classic.conv_forward(np.ones((1, 4, 4, 3)), np.ones((2, 2, 3, 1)),
                                  np.ones((1, 1, 1, 1)), {"stride": 1, "pad": 1.5}),
     r"conv_forward: hparameters\['pad'\] should be an int >= 0, got 1.5"),
    (lambda: classic.conv_forward(np.ones((1, 2, 4, 3)), np.ones((5, 5, 3, 1)),
                                  np.ones((1, 1, 1, 1)), {"stride": 1, "pad": 1}),
     r"conv_forward: the filter 5x5 is bigger than the input 2x4 padded by 1 \(4x6\)"),
    (lambda: classic.conv_backward(np.ones((1, 2, 2, 1)), (1, 2)),
     r"conv_backward: cache should be the tuple \(A_prev, W, b, hparameters\)"),
    (lambda: classic.conv_single_step(np.ones((3, 3, 2)), np.ones((3, 3, 1)), np.ones((1, 1, 1))),
     r"conv_single_step: W should have shape \(3, 3, 2\) to match a_slice_prev"),
    (lambda: classic.pool_forward(np.ones((1, 4, 4, 1)), {"f": 2, "stride": 2}, mode="min"),
     r"pool_forward: mode should be one of \['average', 'max'\], got 'min'"),
    (lambda: classic.pool_forward(np.ones((1, 2, 4, 1)), {"f": 3, "stride": 1}),
     r"pool_forward: the window 3x3 is bigger than the input 2x4"),
    (lambda: classic.pool_forward(np.ones((1, 4, 4, 1)), [2, 2]),
     r"pool_forward: hparameters should be a dict with keys \['f', 'stride'\], got list"),
    (lambda: classic.zero_pad(np.ones((4, 4)), 1),
     r"zero_pad: x should be 4-D"),
    (lambda: classic.zero_pad(np.ones((1, 4, 4, 1)), -1),
     r"zero_pad: padding should be"),
    (lambda: classic.distribute_value(1.0, (2, 0)),
     r"distribute_value: shape should be a pair \(n_H, n_W\) of positive ints"),
])
def test_bad_input_names_the_function(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_backward_checks_the_upstream_gradient_shape():
    A_prev, W, b = draw([(2, 5, 5, 3), (3, 3, 3, 2), (1, 1, 1, 2)], 41)
    _, cache = classic.conv_forward(A_prev, W, b, {"stride": 1, "pad": 0})
    with pytest.raises(ValueError, match=r"conv_backward: dZ should have shape \(2, 3, 3, 2\) "
                                         r"to match conv_forward's Z, got \(2, 3, 3, 3\)"):
        classic.conv_backward(np.ones((2, 3, 3, 3)), cache)
    _, cache = classic.pool_forward(A_prev, {"f": 2, "stride": 2})
    with pytest.raises(ValueError, match=r"pool_backward: dA should have shape \(2, 2, 2, 3\)"):
        classic.pool_backward(np.ones((2, 3, 3, 3)), cache)
    with pytest.raises(TypeError, match=r"pool_backward: cache should be the tuple"):
        classic.pool_backward(np.ones((2, 2, 2, 3)), [A_prev, {"f": 2, "stride": 2}])
