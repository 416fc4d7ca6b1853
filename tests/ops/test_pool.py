"""ops/pool.py: max_pool2d, avg_pool2d and global_avg_pool2d, channels last.

Torch mapping: max_pool2d/avg_pool2d on NCHW with the same kernel, stride and padding
(avg_pool2d's count_include_pad=True, its default, is ours); global_avg_pool2d is
adaptive_avg_pool2d(x, 1) flattened. The references take our layout and permute inside.
"""

import itertools

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import GRADCHECK_TOL, check_float32, check_torch, draw
from deepspec.gradcheck import gradcheck
from deepspec.ops import pool as pool_module
from deepspec.ops.pool import avg_pool2d, global_avg_pool2d, max_pool2d

TF = torch.nn.functional
NHWC_TO_NCHW, NCHW_TO_NHWC = (0, 3, 1, 2), (0, 2, 3, 1)
OURS = {"max": max_pool2d, "avg": avg_pool2d}
THEIRS = {"max": TF.max_pool2d, "avg": TF.avg_pool2d}


def pool_pair(kind, f, stride=None, padding=0):
    """Ours and torch's pooling with the same settings, both on our layout."""
    def ours(x):
        return OURS[kind](x, f, stride=stride, padding=padding)

    def theirs(x):
        Z = THEIRS[kind](x.permute(*NHWC_TO_NCHW), f, stride=stride, padding=padding)
        return Z.permute(*NCHW_TO_NHWC)
    return ours, theirs


def valid(f, padding):
    """torch's rule (ours too): padding at most half the window."""
    f_h, f_w = (f, f) if isinstance(f, int) else f
    p_h, p_w = (padding, padding) if isinstance(padding, int) else padding
    return p_h <= f_h // 2 and p_w <= f_w // 2


GRID = [(kind, f, stride, padding) for kind, f, stride, padding in itertools.product(
    ["max", "avg"], [1, 2, 3, (2, 3)], [None, 1, 2, (1, 2)], [0, 1, (0, 1)]) if valid(f, padding)]


@pytest.mark.parametrize("x_shape", [(2, 6, 6, 3), (2, 7, 5, 3)])  # divisible, and not
@pytest.mark.parametrize("kind, f, stride, padding", GRID)
def test_pool_matches_torch_grid(kind, f, stride, padding, x_shape):
    ours, theirs = pool_pair(kind, f, stride, padding)
    check_torch(ours, theirs, draw([x_shape], seed=len(x_shape) + x_shape[1]))


@pytest.mark.parametrize("f, stride, padding", [(2, None, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0)])
def test_max_pool_ties_route_to_the_first_max_as_torch(f, stride, padding):
    """Rounded values (and ReLU-like zeros) make many windows tie."""
    (x,) = draw([(2, 6, 6, 3)], seed=7)
    x = np.maximum(np.round(x), 0.0)
    check_torch(*pool_pair("max", f, stride, padding), [x])


def test_max_pool_all_equal_window_sends_the_gradient_to_its_top_left():
    x = ds.Tensor(np.zeros((1, 4, 4, 1)), requires_grad=True)
    max_pool2d(x, 2).backward(np.ones((1, 2, 2, 1)))
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1.0
    np.testing.assert_array_equal(x.grad[0, :, :, 0], expected)


def test_max_pool_propagates_nan_as_torch():
    x = np.arange(32.0).reshape(2, 4, 4, 1)
    x[0, 1, 2, 0] = np.nan
    ours = max_pool2d(ds.Tensor(x), 2, stride=1).data
    theirs = TF.max_pool2d(torch.tensor(x).permute(*NHWC_TO_NCHW), 2, stride=1)
    np.testing.assert_array_equal(ours, theirs.permute(*NCHW_TO_NHWC).numpy())
    assert np.isnan(ours).sum() == 4


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("f, stride, padding", [(2, None, 0), (3, 2, 1)])
def test_pool_in_small_blocks_matches_torch(monkeypatch, kind, f, stride, padding):
    monkeypatch.setattr(pool_module, "TILE_ELEMS", 1)  # one example per block
    check_torch(*pool_pair(kind, f, stride, padding), draw([(3, 6, 7, 2)], seed=9))


def test_global_avg_pool_matches_torch_adaptive_avg_pool():
    check_torch(global_avg_pool2d,
                lambda x: TF.adaptive_avg_pool2d(x.permute(*NHWC_TO_NCHW), 1).flatten(1),
                draw([(3, 5, 4, 6)], seed=2))


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_batch_of_1_matches_torch(kind):
    check_torch(*pool_pair(kind, 3, 2, 1), draw([(1, 7, 7, 2)], seed=4))


# ---- central differences -------------------------------------------------------------------
GRADCHECK_CASES = {
    "max_2x2": lambda x: max_pool2d(x, 2),
    "max_3x3_s2_p1": lambda x: max_pool2d(x, 3, stride=2, padding=1),
    "max_2x3_stride_1_2": lambda x: max_pool2d(x, (2, 3), stride=(1, 2), padding=(1, 0)),
    "avg_2x2": lambda x: avg_pool2d(x, 2),
    "avg_3x3_s1_p1": lambda x: avg_pool2d(x, 3, stride=1, padding=1),
    "avg_2x3_stride_2_1": lambda x: avg_pool2d(x, (2, 3), stride=(2, 1), padding=(0, 1)),
    "global_avg": global_avg_pool2d,
}


@pytest.mark.parametrize("name", GRADCHECK_CASES)
def test_pool_backward_matches_finite_differences(name):
    # distinct values spread well apart: a max never changes under the eps nudges
    x = np.random.default_rng(0).permutation(2 * 6 * 6 * 3).reshape(2, 6, 6, 3) * 0.1
    assert gradcheck(GRADCHECK_CASES[name], [x]) < GRADCHECK_TOL


@pytest.mark.parametrize("name", GRADCHECK_CASES)
def test_pool_float32_keeps_dtype(name):
    check_float32(GRADCHECK_CASES[name], draw([(2, 6, 6, 3)], seed=6))


# ---- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("x_shape, kwargs, message", [
    ((2, 6, 6, 3), {"f": 2, "padding": 2},
     r"{op}: padding should be at most half the window \(f_h // 2, f_w // 2\) = \(1, 1\), "
     r"got 2"),
    ((2, 3, 3, 1), {"f": 5}, r"{op}: the window 5x5 is bigger than the padded input 3x3: "
                             r"x \(2, 3, 3, 1\)"),
    ((6, 6, 3), {"f": 2}, r"{op}: x should be 4-D \(m, n_H_prev, n_W_prev, n_C\), got shape "
                          r"\(6, 6, 3\)"),
    ((2, 6, 6, 3), {"f": 2, "padding": "same"},
     r"{op}: padding should be an int >= 0 or a pair \(p_h, p_w\), got 'same'"),
    ((2, 6, 6, 3), {"f": 0}, r"{op}: f should be a positive int or a pair of them, got 0"),
    ((2, 6, 6, 3), {"f": 2, "stride": (1, 0)},
     r"{op}: stride should be a positive int or a pair of them, got \(1, 0\)"),
])
def test_pool_bad_input_raises_a_clear_error(kind, x_shape, kwargs, message):
    fn = OURS[kind]
    with pytest.raises(ValueError, match=message.format(op=fn.__name__)):
        fn(ds.Tensor(np.zeros(x_shape)), **kwargs)


def test_global_avg_pool_rejects_a_3d_input():
    with pytest.raises(ValueError, match=r"global_avg_pool2d: x should be 4-D .*\(6, 6, 3\)"):
        global_avg_pool2d(ds.Tensor(np.zeros((6, 6, 3))))
