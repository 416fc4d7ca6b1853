"""deepspec.kernels: the compiled loops give what the NumPy paths give.

Every other test of max pooling, conv2d and lstm runs whichever path is switched on (the
compiled one where it is built); these run both on the same inputs and compare, so the
NumPy paths stay checked too. Max pooling and the LSTM's forward must agree exactly (the
same comparisons and products, in the same order); col2im and the LSTM's backward to
rounding (the compiled loops add and multiply in another order).
"""

import itertools

import numpy as np
import pytest

import deepspec as ds
from deepspec import kernels
from deepspec.info import info
from deepspec.ops import conv as conv_module
from deepspec.ops.conv import Conv2D
from deepspec.ops.pool import MaxPool2D
from deepspec.ops.recurrent import lstm

if kernels._compiled is None:  # a failed build must not pass unseen
    raise ImportError("deepspec's compiled loops are not built: reinstall with a C compiler "
                      "(pip install -e .)")


@pytest.fixture(autouse=True)
def compiled_loops_on(monkeypatch):
    """These tests compare the two paths, so the compiled one is on even where
    DEEPSPEC_NO_KERNELS switched it off for the rest of the suite."""
    monkeypatch.setattr(kernels, "_enabled", True)


def both(fn):
    """fn() with the compiled loops, then with the NumPy paths."""
    fast = fn()
    with kernels.disabled():
        assert not kernels.usable(np.zeros(1))
        slow = fn()
    return fast, slow


def test_disabled_switches_back_on_after_the_block():
    assert kernels.usable(np.zeros(3))
    with kernels.disabled():
        assert not kernels.available()
    assert kernels.available()


def test_status_says_whether_the_loops_run():
    assert kernels.status().startswith("on")
    with kernels.disabled():
        assert "switched off" in kernels.status()
    assert info()["compiled_loops"] == kernels.status()


def test_usable_wants_one_float_dtype_and_c_order():
    a = np.zeros((4, 4), np.float32)
    assert kernels.usable(a, a.copy())
    assert not kernels.usable(a, a.astype(np.float64))  # mixed dtypes
    assert not kernels.usable(a.T, a)  # not C-contiguous
    assert not kernels.usable(a.astype(np.int32))
    assert not kernels.usable(memoryview(a))  # not a NumPy array


# ---- max pooling -------------------------------------------------------------------------------
POOL_GRID = [(f, stride, padding) for f, stride, padding in itertools.product(
    [1, 2, 3, (2, 3)], [None, 1, 2, (1, 2)], [0, 1, (0, 1)])
    if all(p <= k // 2 for p, k in zip(np.broadcast_to(padding, 2), np.broadcast_to(f, 2)))]


def pool_both(x, dZ_seed, f, stride, padding):
    def run():
        op = MaxPool2D()
        Z = op.forward(x, f=f, stride=stride, padding=padding)
        dZ = np.random.default_rng(dZ_seed).standard_normal(Z.shape).astype(x.dtype)
        return Z, op.argmax.copy(), op.backward(dZ)
    return both(run)


@pytest.mark.parametrize("n_C", [1, 2, 3, 4, 6, 8, 5, 16])  # the unrolled counts, and others
@pytest.mark.parametrize("f, stride, padding", POOL_GRID)
def test_max_pool_compiled_equals_numpy(f, stride, padding, n_C):
    x = np.random.default_rng(n_C).standard_normal((2, 7, 6, n_C)).astype(np.float32)
    (Z, am, dA), (Z0, am0, dA0) = pool_both(x, 1, f, stride, padding)
    np.testing.assert_array_equal(Z, Z0)
    np.testing.assert_array_equal(am, am0)
    # where windows overlap, a pixel's gradient sums several windows' in another order
    np.testing.assert_allclose(dA, dA0, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_compiled_equals_numpy_on_ties_nan_and_inf(dtype):
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, (3, 8, 8, 6)).astype(dtype)  # many ties
    x[0, 1, 1, 0] = x[1, 4, 5, 2] = np.nan
    x[2, :4, :4, :] = -np.inf  # whole windows of -inf
    x[2, 5, 5, 3] = np.inf
    for f, stride, padding in [(2, None, 0), (3, 1, 1), (3, 2, 1), ((2, 3), (1, 2), (1, 0))]:
        (Z, am, dA), (Z0, am0, dA0) = pool_both(x, 2, f, stride, padding)
        np.testing.assert_array_equal(Z, Z0)  # NaN where NumPy has NaN
        np.testing.assert_array_equal(am, am0)
        np.testing.assert_allclose(dA, dA0, rtol=1e-6, atol=1e-6)


def test_max_pool_on_a_non_contiguous_input_takes_the_numpy_path_and_agrees():
    x = np.random.default_rng(4).standard_normal((2, 6, 6, 8)).astype(np.float32)[..., ::2]
    (Z, am, dA), (Z0, am0, dA0) = pool_both(x, 5, 2, None, 0)
    np.testing.assert_array_equal(Z, Z0)
    np.testing.assert_array_equal(dA, dA0)


# ---- col2im (conv2d's input gradient by scatter-add) -------------------------------------------
COL2IM_CASES = [  # x shape, f, n_C, stride, padding
    ((2, 9, 9, 1), 5, 6, 1, 2), ((2, 9, 9, 1), 5, 6, 2, 2), ((2, 8, 7, 3), 3, 4, 2, 1),
    ((2, 10, 10, 6), 5, 16, 1, 0), ((1, 11, 9, 4), (3, 2), 5, (2, 3), ((1, 0), (2, 1))),
    ((3, 7, 7, 2), 4, 3, 3, "same"), ((2, 6, 6, 8), 3, 8, (1, 2), "valid"),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, f, n_C, stride, padding", COL2IM_CASES)
@pytest.mark.parametrize("tile_elems", [1 << 20, 200])  # whole examples, and row bands
def test_conv2d_scatter_add_compiled_equals_numpy(monkeypatch, x_shape, f, n_C, stride, padding,
                                                  dtype, tile_elems):
    monkeypatch.setattr(conv_module, "TILE_ELEMS", tile_elems)
    monkeypatch.setattr(Conv2D, "_gather_pads", lambda self: None)  # always the scatter-add
    rng = np.random.default_rng(5)
    f_h, f_w = (f, f) if isinstance(f, int) else f
    x = rng.standard_normal(x_shape).astype(dtype)
    W = rng.standard_normal((f_h, f_w, x_shape[3], n_C)).astype(dtype)

    def run():
        op = Conv2D()
        op.needs_grad = (True, True)
        Z = op.forward(x, W, stride=stride, padding=padding, groups=1)
        return op.backward(np.random.default_rng(6).standard_normal(Z.shape).astype(dtype))[0]
    fast, slow = both(run)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(fast, slow, rtol=tol, atol=tol)


def test_col2im_refuses_a_tile_that_reaches_past_its_buffer():
    dcols = np.zeros((2 * 3 * 3, 2 * 2 * 1), np.float32)
    dA = np.zeros((1, 4, 4, 1), np.float32)  # one example; the tile claims two
    with pytest.raises(ValueError, match="col2im"):
        kernels.col2im(dcols, dA, (0, 2, 0, 3), 3, (2, 2), (1, 1))


def test_compiled_loops_check_their_buffers_sizes():
    compiled = kernels._compiled  # below the wrappers, which take sizes from the arrays
    A, Z, am = np.zeros(9, np.float32), np.zeros(4, np.float32), np.zeros(4, np.uint8)
    with pytest.raises(ValueError, match="maxpool_forward: A holds 36 bytes, needs 64"):
        compiled.maxpool_forward(False, A, Z, am, 1, 4, 4, 1, 2, 2, 2, 2, 2, 2, 0, 0)
    with pytest.raises(ValueError, match="maxpool_backward: dA holds"):
        compiled.maxpool_backward(False, Z, am, A, 1, 4, 4, 1, 2, 2, 2, 2, 2, 0, 0)
    with pytest.raises(ValueError, match="lstm_cell: Z holds"):
        compiled.lstm_cell(False, Z, A, A, 2)
    with pytest.raises(ValueError, match="col2im: argument 1 is negative"):
        compiled.col2im(False, Z, Z, -1, -1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0)
    with pytest.raises(ValueError, match="need t < T and t < T_y"):
        compiled.lstm_backward(False, Z, Z, Z, Z, Z, Z, Z, 1, 1, 3, 3, 4)
    with pytest.raises(ValueError, match="lstm_output: Y holds 16 bytes, needs 24"):
        compiled.lstm_output(False, Z, Z, A, Z, 1, 2, 0, 2, 3)
    with pytest.raises(TypeError, match="read-write"):  # a read-only buffer where it writes
        A.flags.writeable = False
        compiled.lstm_cell(False, np.zeros(8, np.float32), A, A, 2)


# ---- LSTM ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, T, n_x, n_a", [(3, 5, 4, 6), (1, 1, 2, 3), (32, 7, 10, 16)])
def test_lstm_compiled_equals_numpy(dtype, m, T, n_x, n_a):
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s).astype(dtype) * 0.5 for s in
              [(m, T, n_x), (n_x, 4 * n_a), (n_a, 4 * n_a), (4 * n_a,), (m, n_a), (m, n_a)]]
    weights = [rng.standard_normal((m, T + 2, n_a)).astype(dtype)]

    def run():
        ts = [ds.Tensor(a, requires_grad=True) for a in arrays]
        a, a_T, c_T = lstm(*ts)
        w = weights[0]
        loss = ((a * ds.tensor(w[:, :T])).sum() + (a_T * ds.tensor(w[:, T])).sum()
                + (c_T * ds.tensor(w[:, T + 1])).sum())
        loss.backward()
        return [a.data, a_T.data, c_T.data] + [t.grad for t in ts]
    fast, slow = both(run)
    for got, want in zip(fast[:3], slow[:3]):
        np.testing.assert_array_equal(got, want)  # forward: the same operations, in order
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for got, want in zip(fast[3:], slow[3:]):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_lstm_with_a_mask_takes_the_numpy_path_and_agrees():
    rng = np.random.default_rng(8)
    arrays = [rng.standard_normal(s) * 0.5 for s in [(3, 4, 2), (2, 12), (3, 12), (12,)]]
    lengths = np.array([4, 2, 3])

    def run():
        ts = [ds.Tensor(a, requires_grad=True) for a in arrays]
        a, a_T, c_T = lstm(*ts, lengths=lengths)
        (a.sum() + (a_T * a_T).sum() + c_T.sum()).backward()
        return [a.data] + [t.grad for t in ts]
    fast, slow = both(run)
    for got, want in zip(fast, slow):
        np.testing.assert_array_equal(got, want)
