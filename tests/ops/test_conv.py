"""ops/conv.py: conv_output_size, zero_pad and conv2d (channels last, the notes' filters).

Torch mapping: our images are (m, n_H, n_W, n_C) and filters (f_h, f_w, n_C_prev / groups,
n_C); torch wants NCHW and (n_C, n_C_prev / groups, f_h, f_w). The torch references take
our layouts and permute inside, so gradients come back in our layouts. Torch's own
padding="same" exists only at stride 1; elsewhere the reference pads explicitly with
TensorFlow's rule (computed here independently of the library): total = max((ceil(n / s) -
1) s + f - n, 0), the odd pixel at the bottom/right.
"""

import itertools
import math

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import GRADCHECK_TOL, check_float32, check_torch, draw
from deepspec.gradcheck import gradcheck
from deepspec.ops import conv as conv_module
from deepspec.ops.conv import conv2d, conv_output_size, zero_pad

TF = torch.nn.functional
NHWC_TO_NCHW, NCHW_TO_NHWC = (0, 3, 1, 2), (0, 2, 3, 1)
FILTER_TO_TORCH = (3, 2, 0, 1)  # (f_h, f_w, n_C_prev, n_C) -> (n_C, n_C_prev, f_h, f_w)


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def explicit_pads(padding, size, kernel, stride):
    """((top, bottom), (left, right)) for our padding argument, TensorFlow's rule for 'same'."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        pads = []
        for n, f, s in zip(size, kernel, stride):
            total = max((math.ceil(n / s) - 1) * s + f - n, 0)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    p_h, p_w = pair(padding)
    if not isinstance(p_h, int):  # already ((top, bottom), (left, right))
        return tuple(p_h), tuple(p_w)
    return (p_h, p_h), (p_w, p_w)


def torch_conv(stride=1, padding="valid", groups=1):
    """torch's conv2d on our layouts: explicit zero padding, then NCHW conv2d."""
    def fn(x, W, b=None):
        (top, bottom), (left, right) = explicit_pads(padding, x.shape[1:3], W.shape[:2],
                                                     pair(stride))
        x = TF.pad(x.permute(*NHWC_TO_NCHW), (left, right, top, bottom))
        Z = TF.conv2d(x, W.permute(*FILTER_TO_TORCH), b, stride=pair(stride), groups=groups)
        return Z.permute(*NCHW_TO_NHWC)
    return fn


def ours_conv(stride=1, padding="valid", groups=1):
    return lambda x, W, b=None: conv2d(x, W, b, stride=stride, padding=padding, groups=groups)


def conv_inputs(x_shape, f, n_C, groups=1, bias=True, seed=0):
    f_h, f_w = pair(f)
    shapes = [x_shape, (f_h, f_w, x_shape[3] // groups, n_C)] + ([(n_C,)] if bias else [])
    return draw(shapes, seed)


# ---- conv_output_size: floor((n + 2p - f) / s) + 1 -------------------------------------------
@pytest.mark.parametrize("n, f, stride, pad, expected", [
    (6, 3, 1, 0, 4),        # valid: n - f + 1
    (6, 3, 1, 1, 6),        # same for f = 3
    (7, 3, 2, 0, 3),        # strided, exact
    (8, 3, 2, 0, 3),        # strided, rounded down
    (6, 3, 2, 1, 3),
    (39, 3, 1, 0, 37),      # the notes' 4-layer example: 39 -> 37 -> 17 -> 7
    (37, 5, 2, 0, 17),
    (17, 5, 2, 0, 7),
    (5, 5, 1, 0, 1),        # filter as big as the input
    (0, 1, 1, 1, 2),        # all padding
    (5, 2, 1, (0, 1), 5),   # asymmetric (before, after)
])
def test_conv_output_size_table(n, f, stride, pad, expected):
    assert conv_output_size(n, f, stride, pad) == expected


@pytest.mark.parametrize("args, error, message", [
    ((3, 5, 1, 0), ValueError, r"conv_output_size: the filter \(f=5\) is bigger than the padded "
                               r"input \(n=3 \+ padding 0 = 3\), stride=1"),
    ((3, 6, 1, 1), ValueError, r"f=6.*n=3 \+ padding 1 = 5"),
    ((5, 3, 0, 0), ValueError, r"conv_output_size: need .*stride=0"),
    ((5, 0, 1, 0), ValueError, r"conv_output_size: need .*f=0"),
    ((5, 3, 1, -1), ValueError, r"conv_output_size: need .*padding=-1"),
    ((5.0, 3, 1, 0), TypeError, r"conv_output_size: n should be an int, got 5.0"),
    ((5, 3, 1, (1, 2, 3)), TypeError, r"conv_output_size: pad should be an int or a pair "
                                      r"\(before, after\), got \(1, 2, 3\)"),
])
def test_conv_output_size_rejects_impossible_configurations(args, error, message):
    with pytest.raises(error, match=message):
        conv_output_size(*args)


@pytest.mark.parametrize("f", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_same_padding_gives_ceil_n_over_s(f, stride):
    for n in range(max(f - 2, 1), 10):  # "same" pads enough for any filter
        (x,) = draw([(1, n, n + 1, 1)], seed=n)
        W = np.ones((f, f, 1, 1))
        Z = conv2d(ds.Tensor(x), ds.Tensor(W), stride=stride, padding="same")
        assert Z.shape == (1, math.ceil(n / stride), math.ceil((n + 1) / stride), 1)


# ---- conv2d against PyTorch: the grid --------------------------------------------------------
X_SHAPE = (2, 7, 8, 4)  # odd height, even width
GRID = list(itertools.product([1, 2, 3, 5], [1, 2, (1, 2)], ["valid", "same", 0, 1, (1, 2)],
                              [1, 2, 4]))  # f, stride, padding, groups (4 = depthwise)


@pytest.mark.parametrize("f, stride, padding, groups", GRID)
def test_conv2d_matches_torch_grid(f, stride, padding, groups):
    n_C = 4 if groups == 4 else 6
    check_torch(ours_conv(stride, padding, groups), torch_conv(stride, padding, groups),
                conv_inputs(X_SHAPE, f, n_C, groups, seed=f + groups))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("f", [1, 2, 3, 4, 5])
def test_conv2d_same_matches_torch_own_same_padding(f):
    """At stride 1 torch has padding='same' (extra pixel bottom/right for even f, like ours)."""
    def theirs(x, W, b):
        Z = TF.conv2d(x.permute(*NHWC_TO_NCHW), W.permute(*FILTER_TO_TORCH), b, padding="same")
        return Z.permute(*NCHW_TO_NHWC)
    check_torch(ours_conv(1, "same"), theirs, conv_inputs((2, 6, 7, 3), f, 5))


@pytest.mark.parametrize("name, x_shape, f, n_C, kwargs", [
    ("rectangular_filter", (2, 7, 8, 4), (3, 2), 6, {"stride": (2, 1), "padding": "same"}),
    ("explicit_asymmetric_pads", (2, 6, 6, 3), 3, 4, {"padding": ((2, 0), (0, 1))}),
    ("padding_beyond_the_filter", (2, 4, 5, 3), 2, 4, {"padding": 3, "stride": 2}),
    ("depthwise_multiplier_2", (2, 7, 8, 4), 3, 8, {"groups": 4, "padding": "same"}),
    ("depthwise_multiplier_2_strided", (2, 7, 8, 4), 3, 8,
     {"groups": 4, "stride": 2, "padding": 1}),
    ("depthwise_even_f_same", (2, 7, 8, 4), 2, 4, {"groups": 4, "padding": "same"}),
    ("depthwise_1x1_big_padding", (2, 3, 4, 4), 1, 4, {"groups": 4, "padding": (2, 1)}),
    ("groups_3", (2, 6, 7, 6), 3, 9, {"groups": 3, "stride": 2, "padding": "same"}),
    ("1x1_fast_path_strided", (2, 7, 8, 5), 1, 3, {"stride": 3}),
    ("batch_of_1", (1, 5, 6, 3), 3, 4, {"padding": "same"}),
    ("filter_fills_the_input", (2, 5, 5, 3), 5, 2, {}),
])
def test_conv2d_matches_torch_cases(name, x_shape, f, n_C, kwargs):
    groups = kwargs.get("groups", 1)
    check_torch(ours_conv(**kwargs), torch_conv(**kwargs),
                conv_inputs(x_shape, f, n_C, groups))


@pytest.mark.parametrize("groups", [1, 4])
def test_conv2d_without_bias_matches_torch(groups):
    check_torch(ours_conv(2, "same", groups), torch_conv(2, "same", groups),
                conv_inputs(X_SHAPE, 3, 4, groups, bias=False))


@pytest.mark.parametrize("groups, n_C", [(1, 6), (2, 6), (4, 8)])
@pytest.mark.parametrize("stride, padding", [(1, "same"), (2, 1), ((1, 2), "valid")])
def test_conv2d_in_row_band_tiles_matches_torch(monkeypatch, groups, n_C, stride, padding):
    """Tiny tiles force the big-image layout (bands of output rows) and many tiles."""
    monkeypatch.setattr(conv_module, "TILE_ELEMS", 40)
    check_torch(ours_conv(stride, padding, groups), torch_conv(stride, padding, groups),
                conv_inputs((3, 9, 8, 4), 3, n_C, groups))


def test_conv2d_gradient_for_the_filters_only():
    """With a constant input (as in a first layer) only dW and db are computed."""
    x, W, b = conv_inputs(X_SHAPE, 3, 6)
    W_t, b_t = ds.Tensor(W, requires_grad=True), ds.Tensor(b, requires_grad=True)
    Z = conv2d(ds.Tensor(x), W_t, b_t, padding="same")
    (dZ,) = draw([Z.shape], seed=5)
    Z.backward(dZ)
    W_torch = torch.tensor(W, requires_grad=True)
    Z_torch = torch_conv(padding="same")(torch.tensor(x), W_torch, torch.tensor(b))
    Z_torch.backward(torch.from_numpy(dZ))
    np.testing.assert_allclose(W_t.grad, W_torch.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b_t.grad, dZ.sum(axis=(0, 1, 2)), rtol=1e-12)


# ---- the layouts and the two input-gradient paths, forced both ways --------------------------
LAYOUT_CASES = [  # x shape, f, n_C, stride, padding, groups
    ((2, 7, 8, 1), 5, 3, 1, "same", 1),        # a first layer: one channel
    ((2, 7, 8, 3), 3, 4, 1, (1, 2), 1),        # RGB-like, padding wider than the filter's
    ((2, 9, 8, 2), 3, 4, 2, "same", 1),        # strided: s_w does not divide f_w
    ((2, 7, 8, 4), (2, 3), 6, (1, 3), 1, 2),   # grouped, rectangular filter, s_w = f_w
    ((2, 6, 7, 4), 3, 4, 1, ((2, 0), (0, 1)), 1),  # asymmetric pads
]


@pytest.mark.parametrize("offset_major", [True, False])
@pytest.mark.parametrize("x_shape, f, n_C, stride, padding, groups", LAYOUT_CASES)
def test_conv2d_both_column_layouts_match_torch(monkeypatch, offset_major, x_shape, f, n_C,
                                                stride, padding, groups):
    """im2col into the row-major or the offset-major column matrix: same results."""
    monkeypatch.setattr(conv_module.Conv2D, "offset_major", property(lambda self: offset_major))
    check_torch(ours_conv(stride, padding, groups), torch_conv(stride, padding, groups),
                conv_inputs(x_shape, f, n_C, groups))


@pytest.mark.parametrize("tile_elems", [None, 40])  # default tiles, and bands of rows
@pytest.mark.parametrize("x_shape, f, n_C, stride, padding, groups", LAYOUT_CASES)
def test_conv2d_scatter_add_input_gradient_matches_torch(monkeypatch, tile_elems, x_shape, f,
                                                         n_C, stride, padding, groups):
    """dA_prev by col2im's scatter-add even where the convolution of dZ would be used."""
    monkeypatch.setattr(conv_module.Conv2D, "_gather_pads", lambda self: None)
    if tile_elems:
        monkeypatch.setattr(conv_module, "TILE_ELEMS", tile_elems)
    check_torch(ours_conv(stride, padding, groups), torch_conv(stride, padding, groups),
                conv_inputs(x_shape, f, n_C, groups))


@pytest.mark.parametrize("x_shape, f, n_C, padding, gathers", [
    ((2, 7, 8, 4), 3, 4, "same", True),
    ((2, 7, 8, 4), 3, 16, 1, True),                 # n_C = 4 n_C_prev: still a convolution
    ((2, 7, 8, 4), 3, 17, "same", False),           # more filters: scatter-add is cheaper
    ((2, 7, 8, 4), 3, 4, "valid", False),           # 2.3x the pixels: scatter-add too
    ((2, 7, 8, 4), 2, 4, "same", True),             # even f: pads (0, 1) -> dZ pads (1, 0)
    ((2, 7, 8, 4), 3, 4, 3, False),                 # padding beyond f - 1
    ((2, 7, 8, 4), 3, 4, ((2, 0), (0, 1)), True),
    ((2, 9, 9, 4), 5, 4, 2, True),
])
def test_conv2d_input_gradient_as_a_convolution_of_dZ(monkeypatch, x_shape, f, n_C, padding,
                                                      gathers):
    """At stride 1 dA_prev is the convolution of dZ padded by f - 1 - p with the flipped
    filters; the op picks it where it applies and costs less, and matches torch."""
    used = []
    gather = conv_module.Conv2D._dA_by_gather
    monkeypatch.setattr(conv_module.Conv2D, "_dA_by_gather",
                        lambda self, dZ, pads: used.append(pads) or gather(self, dZ, pads))
    check_torch(ours_conv(1, padding), torch_conv(1, padding), conv_inputs(x_shape, f, n_C))
    assert bool(used) == gathers
    if gathers:
        pads = explicit_pads(padding, x_shape[1:3], (f, f), (1, 1))
        assert used[0] == tuple((f - 1 - a, f - 1 - b) for a, b in pads)


def test_conv2d_bias_gradient_sums_in_float32_as_well_as_float64():
    """db of a big float32 batch: two-stage sums stay within float32 rounding of float64."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 12, 12, 2)).astype(np.float32)
    W, b = ds.Tensor(np.ones((1, 1, 2, 5), np.float32)), ds.Tensor(np.zeros(5, np.float32),
                                                                 requires_grad=True)
    dZ = (rng.standard_normal((64, 12, 12, 5)) + 3.0).astype(np.float32)
    conv2d(ds.Tensor(x), W, b, padding=1).backward(np.pad(dZ, ((0, 0), (1, 1), (1, 1), (0, 0))))
    expected = np.pad(dZ, ((0, 0), (1, 1), (1, 1), (0, 0))).astype(np.float64).sum((0, 1, 2))
    assert b.grad.dtype == np.float32
    np.testing.assert_allclose(b.grad, expected, rtol=1e-6)  # one running sum: ~2e-6


# ---- conv2d against central differences ------------------------------------------------------
GRADCHECK_CASES = {
    "3x3_same": ((2, 5, 6, 3), 3, 4, {"padding": "same"}),
    "2x2_same_strided": ((2, 5, 6, 3), 2, 4, {"padding": "same", "stride": 2}),
    "5x5_valid_stride_1_2": ((1, 6, 7, 2), 5, 3, {"stride": (1, 2)}),
    "3x3_pad_1_2": ((2, 4, 5, 2), 3, 3, {"padding": (1, 2), "stride": 2}),
    "1x1": ((2, 4, 5, 3), 1, 4, {}),
    "1x1_strided": ((2, 5, 5, 3), 1, 2, {"stride": 2}),
    "groups_2": ((2, 5, 5, 4), 3, 6, {"groups": 2, "padding": 1}),
    "depthwise": ((2, 5, 6, 3), 3, 3, {"groups": 3, "padding": "same"}),
    "depthwise_multiplier_strided": ((2, 5, 6, 2), 3, 4, {"groups": 2, "stride": 2,
                                                          "padding": "same"}),
}


@pytest.mark.parametrize("name", GRADCHECK_CASES)
def test_conv2d_backward_matches_finite_differences(name):
    x_shape, f, n_C, kwargs = GRADCHECK_CASES[name]
    arrays = conv_inputs(x_shape, f, n_C, kwargs.get("groups", 1))
    assert gradcheck(ours_conv(**kwargs), arrays) < GRADCHECK_TOL


def test_conv2d_in_tiles_matches_finite_differences(monkeypatch):
    monkeypatch.setattr(conv_module, "TILE_ELEMS", 30)
    arrays = conv_inputs((2, 6, 5, 2), 3, 3)
    assert gradcheck(ours_conv(2, "same"), arrays) < GRADCHECK_TOL


# ---- float32, edge sizes ---------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, n_C", [({"padding": "same"}, 4), ({"stride": 2}, 4),
                                         ({"groups": 4, "padding": 1}, 4),
                                         ({"groups": 2}, 6)])
def test_conv2d_float32_keeps_dtype(kwargs, n_C):
    f = 1 if kwargs == {"stride": 2} else 3  # the 1x1 fast path too
    check_float32(ours_conv(**kwargs), conv_inputs(X_SHAPE, f, n_C, kwargs.get("groups", 1)))


def test_conv2d_float32_is_close_to_float64():
    x, W, b = conv_inputs((2, 9, 9, 8), 3, 16)
    Z32 = conv2d(ds.Tensor(x.astype(np.float32)), ds.Tensor(W.astype(np.float32)),
                 ds.Tensor(b.astype(np.float32)), padding="same")
    Z64 = conv2d(ds.Tensor(x), ds.Tensor(W), ds.Tensor(b), padding="same")
    assert Z32.dtype == np.float32
    np.testing.assert_allclose(Z32.data, Z64.data, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("f, groups", [(3, 1), (1, 1), (3, 4)])
def test_conv2d_empty_batch(f, groups):
    x, W, b = [ds.Tensor(a, requires_grad=True)
               for a in conv_inputs((0, 5, 5, 4), f, 4, groups)]
    Z = conv2d(x, W, b, padding="same", groups=groups)
    assert Z.shape == (0, 5, 5, 4)
    Z.backward(np.zeros(Z.shape))
    assert x.grad.shape == (0, 5, 5, 4)
    assert not W.grad.any() and not b.grad.any()


# ---- conv2d errors: the op and both shapes ---------------------------------------------------
def conv_call(x_shape, W_shape, b_shape=None, **kwargs):
    arrays = [np.zeros(x_shape), np.zeros(W_shape)] + ([np.zeros(b_shape)] if b_shape else [])
    return lambda: conv2d(*[ds.Tensor(a) for a in arrays], **kwargs)


ERRORS = {
    "channel_mismatch": (conv_call((2, 5, 5, 3), (3, 3, 4, 8)),
                         r"conv2d: x has n_C_prev=3 channels but W expects 4 .*"
                         r"x \(2, 5, 5, 3\), W \(3, 3, 4, 8\)"),
    "groups_do_not_divide": (conv_call((2, 5, 5, 4), (3, 3, 1, 6), groups=4),
                             r"conv2d: groups=4 should divide both n_C_prev=4 and n_C=6: "
                             r"x \(2, 5, 5, 4\), W \(3, 3, 1, 6\)"),
    "groups_channel_mismatch": (conv_call((2, 5, 5, 4), (3, 3, 4, 6), groups=2),
                                r"conv2d: x has n_C_prev=4 .* W expects 4 per group x "
                                r"groups=2 = 8: x \(2, 5, 5, 4\), W \(3, 3, 4, 6\)"),
    "filter_bigger_than_input": (conv_call((2, 3, 3, 1), (5, 5, 1, 2)),
                                 r"conv2d: the filter 5x5 is bigger than the padded input "
                                 r"3x3 .*x \(2, 3, 3, 1\), W \(5, 5, 1, 2\)"),
    "filter_bigger_than_padded_input": (conv_call((2, 3, 3, 1), (6, 6, 1, 2), padding=1),
                                        r"conv2d: the filter 6x6 is bigger than the padded "
                                        r"input 5x5"),
    "bad_padding_string": (conv_call((2, 5, 5, 1), (3, 3, 1, 2), padding="full"),
                           r"conv2d: padding should be 'valid', 'same', .*got 'full'"),
    "negative_padding": (conv_call((2, 5, 5, 1), (3, 3, 1, 2), padding=-1),
                         r"conv2d: padding should be .*got -1"),
    "bad_stride": (conv_call((2, 5, 5, 1), (3, 3, 1, 2), stride=0),
                   r"conv2d: stride should be a positive int or a pair of them, got 0"),
    "bias_shape": (conv_call((2, 5, 5, 1), (3, 3, 1, 2), (3,)),
                   r"conv2d: b should have shape \(2,\), got \(3,\) \(x \(2, 5, 5, 1\), W"),
    "x_not_4d": (conv_call((5, 5, 1), (3, 3, 1, 2)),
                 r"conv2d: x should be 4-D \(m, n_H_prev, n_W_prev, n_C_prev\), got shape "
                 r"\(5, 5, 1\)"),
    "W_not_4d": (conv_call((2, 5, 5, 1), (3, 3, 2)), r"conv2d: W should be 4-D"),
    "groups_zero": (conv_call((2, 5, 5, 1), (3, 3, 1, 2), groups=0),
                    r"conv2d: groups should be a positive int, got 0"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_conv2d_bad_input_raises_a_clear_error(name):
    fn, message = ERRORS[name]
    with pytest.raises(ValueError, match=message):
        fn()


# ---- zero_pad ----------------------------------------------------------------------------------
@pytest.mark.parametrize("pad, np_pad", [
    (2, ((2, 2), (2, 2))),
    ((1, 3), ((1, 1), (3, 3))),
    (((0, 2), (1, 0)), ((0, 2), (1, 0))),
    (0, ((0, 0), (0, 0))),
])
def test_zero_pad_matches_numpy_and_torch(pad, np_pad):
    (x,) = draw([(2, 3, 4, 2)], seed=3)
    out = zero_pad(ds.Tensor(x), pad)
    np.testing.assert_array_equal(out.data, np.pad(x, ((0, 0), *np_pad, (0, 0))))
    (top, bottom), (left, right) = np_pad
    check_torch(lambda a: zero_pad(a, pad),
                lambda a: TF.pad(a, (0, 0, left, right, top, bottom)), [x])


def test_zero_pad_backward_matches_finite_differences():
    (x,) = draw([(2, 3, 4, 2)], seed=4)
    assert gradcheck(lambda a: zero_pad(a, ((1, 0), (2, 1))), [x]) < GRADCHECK_TOL


def test_zero_pad_float32_keeps_dtype():
    check_float32(lambda a: zero_pad(a, 1), draw([(2, 3, 4, 2)], seed=5))


@pytest.mark.parametrize("x_shape, pad, message", [
    ((2, 3, 4, 2), -1, r"zero_pad: padding should be .*got -1"),
    ((2, 3, 4, 2), (1, 2, 3), r"zero_pad: padding should be .*got \(1, 2, 3\)"),
    ((3, 4, 2), 1, r"zero_pad: x should be 4-D \(m, n_H, n_W, n_C\), got shape \(3, 4, 2\)"),
])
def test_zero_pad_bad_input_raises_a_clear_error(x_shape, pad, message):
    with pytest.raises(ValueError, match=message):
        zero_pad(ds.Tensor(np.zeros(x_shape)), pad)
