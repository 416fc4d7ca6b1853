"""Conv, pooling, padding and BatchNorm2d layers: PyTorch parity (forward, input and parameter
gradients, float64), a numerical gradient check of a small CNN, configs, errors and reprs.

Layouts: ours is channels last (m, n_H, n_W, n_C) with filters (f_h, f_w, n_C_prev, n_C);
torch is (m, n_C, n_H, n_W) with filters (n_C, n_C_prev, f_h, f_w). TensorFlow-style "same"
(the odd padding pixel at the bottom/right) is torch's F.pad then a valid convolution.
"""

import json

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip
import torch.nn.functional as TF

import deepspec as ds
from conftest import FILTER_FROM_TORCH, FILTER_TO_TORCH, NCHW_TO_NHWC, NHWC_TO_NCHW, close, draw
from deepspec.nn.containers import Sequential
from deepspec.nn.conv import (
    AvgPool2D,
    BatchNorm2d,
    Conv2D,
    DepthwiseConv2D,
    GlobalAvgPool2D,
    MaxPool2D,
    SeparableConv2D,
    ZeroPadding2D,
)
from deepspec.nn.layers import Dense, Flatten, ReLU


def to_torch(a, requires_grad=True):
    """Our float64 array (image or filter) as a torch leaf in torch's layout."""
    perm = {4: NHWC_TO_NCHW}.get(a.ndim)
    return torch.tensor(a if perm is None else a.transpose(perm), requires_grad=requires_grad)


def filter_to_torch(W):
    return torch.tensor(W.transpose(FILTER_TO_TORCH), requires_grad=True)


def run_both(layer, torch_fn, x_shape, seed=0):
    """Our layer and ``torch_fn(x)`` on the same float64 input and upstream gradient;
    compares the output and the input gradient, returns (ours, x) for parameter checks."""
    x = draw([x_shape], seed)[0]
    ours = ds.Tensor(x, requires_grad=True)
    out = layer(ours)
    dout = draw([out.shape], seed + 1)[0]
    out.backward(dout)
    theirs = to_torch(x)
    t_out = torch_fn(theirs)
    t_out.backward(to_torch(dout, requires_grad=False))
    t_np = t_out.detach().numpy()
    close(out.data, t_np.transpose(NCHW_TO_NHWC) if t_np.ndim == 4 else t_np)
    close(ours.grad, theirs.grad.numpy().transpose(NCHW_TO_NHWC))
    return out


def f64(build):
    with ds.default_dtype("float64"):
        return build()


# (n_C_prev, n_C, f, stride, padding, groups, bias, x shape, torch pads (left, right, top, bottom))
CONV_CASES = {
    "valid": (3, 4, 3, 1, "valid", 1, True, (2, 7, 7, 3), (0, 0, 0, 0)),
    "same_odd": (3, 4, 3, 2, "same", 1, True, (2, 7, 7, 3), (1, 1, 1, 1)),
    "same_even_s2": (3, 4, 3, 2, "same", 1, True, (2, 8, 8, 3), (0, 1, 0, 1)),
    "same_f4": (2, 3, 4, 1, "same", 1, False, (2, 6, 5, 2), (1, 2, 1, 2)),
    "int_pad": (3, 5, 5, 3, 2, 1, True, (2, 11, 10, 3), (2, 2, 2, 2)),
    "asym_rect": (4, 6, (2, 3), (2, 1), ((1, 0), (2, 1)), 2, True, (2, 8, 9, 4), (2, 1, 1, 0)),
    "1x1_s2": (3, 5, 1, 2, "valid", 1, True, (2, 7, 7, 3), (0, 0, 0, 0)),
    "1x1_no_bias": (6, 4, 1, 1, "valid", 1, False, (3, 4, 5, 6), (0, 0, 0, 0)),
}


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_torch(case):
    n_C_prev, n_C, f, stride, padding, groups, bias, x_shape, pads = CONV_CASES[case]
    layer = f64(lambda: Conv2D(n_C_prev, n_C, f, stride=stride, padding=padding,
                               groups=groups, bias=bias, seed=0))
    if bias:  # a non-zero bias, so its effect on the output is checked too
        layer.b.data[...] = draw([(n_C,)], 9)[0]
    W = filter_to_torch(layer.W.data)
    b = torch.tensor(layer.b.data, requires_grad=True) if bias else None
    run_both(layer, lambda x: TF.conv2d(TF.pad(x, pads), W, b, stride=stride, groups=groups),
             x_shape)
    close(layer.W.grad, W.grad.numpy().transpose(FILTER_FROM_TORCH))
    if bias:
        close(layer.b.grad, b.grad)


@pytest.mark.parametrize("multiplier, stride", [(1, 1), (1, 2), (2, 2)])
def test_depthwise_conv2d_matches_torch_grouped_conv(multiplier, stride):
    layer = f64(lambda: DepthwiseConv2D(3, 3, depth_multiplier=multiplier, stride=stride,
                                        seed=1))
    layer.b.data[...] = draw([(3 * multiplier,)], 9)[0]
    W, b = filter_to_torch(layer.W.data), torch.tensor(layer.b.data, requires_grad=True)
    pads = (1, 1, 1, 1) if stride == 1 else (0, 1, 0, 1)  # "same" on 8x8
    run_both(layer, lambda x: TF.conv2d(TF.pad(x, pads), W, b, stride=stride, groups=3),
             (2, 8, 8, 3))
    assert layer.W.shape == (3, 3, 1, 3 * multiplier)
    close(layer.W.grad, W.grad.numpy().transpose(FILTER_FROM_TORCH))
    close(layer.b.grad, b.grad)


def test_separable_conv2d_matches_torch_depthwise_then_pointwise():
    layer = f64(lambda: SeparableConv2D(4, 5, 3, stride=2, seed=2))
    assert layer.depthwise.b is None and layer.pointwise.b is not None
    layer.pointwise.b.data[...] = draw([(5,)], 9)[0]
    Wd, Wp = filter_to_torch(layer.depthwise.W.data), filter_to_torch(layer.pointwise.W.data)
    b = torch.tensor(layer.pointwise.b.data, requires_grad=True)

    def torch_fn(x):
        return TF.conv2d(TF.conv2d(TF.pad(x, (1, 1, 1, 1)), Wd, stride=2, groups=4), Wp, b)

    run_both(layer, torch_fn, (2, 7, 7, 4))
    close(layer.depthwise.W.grad, Wd.grad.numpy().transpose(FILTER_FROM_TORCH))
    close(layer.pointwise.W.grad, Wp.grad.numpy().transpose(FILTER_FROM_TORCH))
    close(layer.pointwise.b.grad, b.grad)
    assert layer.num_parameters() == 3 * 3 * 4 + 4 * 5 + 5


POOL_CASES = {  # f, stride, padding, x shape
    "tiled": (2, None, 0, (2, 8, 8, 3)),
    "untiled_odd": (2, None, 0, (2, 7, 7, 3)),
    "overlap_pad": (3, 2, 1, (2, 7, 7, 3)),
    "stride1_same": (3, 1, 1, (2, 5, 6, 2)),
    "rect": ((2, 3), (1, 2), (1, 1), (2, 6, 8, 2)),
}


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pools_match_torch(kind, case):
    f, stride, padding, x_shape = POOL_CASES[case]
    layer = (MaxPool2D if kind == "max" else AvgPool2D)(f, stride=stride, padding=padding)
    t_pool = TF.max_pool2d if kind == "max" else TF.avg_pool2d
    run_both(layer, lambda x: t_pool(x, f, stride=stride or f, padding=padding), x_shape)


def test_global_avg_pool_matches_torch_mean():
    out = run_both(GlobalAvgPool2D(), lambda x: x.mean(dim=(2, 3)), (3, 4, 5, 6))
    assert out.shape == (3, 6)


@pytest.mark.parametrize("pad, torch_pads", [(2, (2, 2, 2, 2)), ((1, 3), (3, 3, 1, 1)),
                                             (((0, 2), (1, 0)), (1, 0, 0, 2))])
def test_zero_padding_matches_torch_pad(pad, torch_pads):
    run_both(ZeroPadding2D(pad), lambda x: TF.pad(x, torch_pads), (2, 3, 4, 2))


def test_batchnorm2d_training_matches_torch_and_eval_uses_corrected_averages():
    layer = f64(lambda: BatchNorm2d(3))
    gamma, beta = draw([(3,), (3,)], 5)
    layer.gamma.data[...], layer.beta.data[...] = gamma + 1, beta
    t_layer = torch.nn.BatchNorm2d(3, momentum=0.1, dtype=torch.float64)
    with torch.no_grad():
        t_layer.weight.copy_(torch.from_numpy(gamma + 1))
        t_layer.bias.copy_(torch.from_numpy(beta))
    batches = [draw([(4, 3, 5, 3)], 10 + k)[0] * (k + 1) + k for k in range(3)]
    for k, Z in enumerate(batches):
        layer.zero_grad()
        t_layer.zero_grad()
        ours = ds.Tensor(Z, requires_grad=True)
        out = layer(ours)
        dout = draw([out.shape], 20 + k)[0]
        out.backward(dout)
        theirs = to_torch(Z)
        t_out = t_layer(theirs)
        t_out.backward(to_torch(dout, requires_grad=False))
        close(out.data, t_out.detach().numpy().transpose(NCHW_TO_NHWC))
        close(ours.grad, theirs.grad.numpy().transpose(NCHW_TO_NHWC))
        close(layer.gamma.grad, t_layer.weight.grad)
        close(layer.beta.grad, t_layer.bias.grad)
    close(layer.running_mean, t_layer.running_mean)  # same update; torch 0.1 == ours 0.9
    # eval: the notes' averages of the biased variance, bias-corrected by 1 - 0.9^3
    mean = sum(0.9 ** (2 - k) * 0.1 * Z.mean(axis=(0, 1, 2)) for k, Z in enumerate(batches))
    var = sum(0.9 ** (2 - k) * 0.1 * Z.var(axis=(0, 1, 2)) for k, Z in enumerate(batches))
    mean, var = mean / (1 - 0.9**3), var / (1 - 0.9**3)
    X = draw([(2, 2, 2, 3)], 30)[0]
    expected = (X - mean) / np.sqrt(var + 1e-5) * (gamma + 1) + beta
    close(layer.eval()(X).data, expected)


def test_small_cnn_parameter_gradients_match_finite_differences():
    """Every layer kind in one model; the notes' gradient check over all its parameters."""
    model = Sequential(
        ZeroPadding2D(1), Conv2D(2, 3, 3, stride=2, seed=0), BatchNorm2d(3), ReLU(),
        SeparableConv2D(3, 4, 3, seed=1), MaxPool2D(2, stride=1), AvgPool2D(2, padding=1),
        DepthwiseConv2D(4, 2, depth_multiplier=2, padding="valid", seed=2),
        Conv2D(8, 4, 1, groups=2, seed=3), GlobalAvgPool2D(), Dense(4, 2, seed=4),
    )
    X = draw([(3, 6, 6, 2)], 0)[0]
    assert model(X).shape == (3, 2)
    assert ds.gradient_check(model, X, draw([(3, 2)], 1)[0], "mse") < 1e-7
    model2 = Sequential(Conv2D(2, 3, 3, padding="same", seed=0), Flatten(), Dense(48, 2, seed=1))
    assert ds.gradient_check(model2, draw([(2, 4, 4, 2)], 2)[0], np.array([0, 1]),
                             "softmax_cross_entropy") < 1e-7


def test_float32_in_float32_out_and_arrays_accepted():
    x = draw([(2, 6, 6, 3)], 0)[0].astype(np.float32)
    layers = [Conv2D(3, 4, 3, padding="same", seed=0), DepthwiseConv2D(3, 3, seed=0),
              SeparableConv2D(3, 4, 3, seed=0), MaxPool2D(2), AvgPool2D(3, stride=1, padding=1),
              GlobalAvgPool2D(), ZeroPadding2D(1), BatchNorm2d(3)]
    for layer in layers:
        out = layer(x)  # a plain array is lifted to a constant Tensor
        assert out.dtype == np.float32 and np.all(np.isfinite(out.data)), layer
        X = ds.Tensor(x, requires_grad=True)
        layer(X).sum().backward()
        assert X.grad.dtype == np.float32 and all(p.grad.dtype == np.float32
                                                  for p in layer.parameters())


def test_conv2d_init_seed_and_shapes():
    a, b = Conv2D(3, 8, 5, seed=7), Conv2D(3, 8, 5, seed=7)
    assert np.array_equal(a.W.data, b.W.data) and a.W.shape == (5, 5, 3, 8)
    assert not np.array_equal(a.W.data, Conv2D(3, 8, 5, seed=8).W.data)
    assert np.all(a.b.data == 0) and a.W.dtype == np.float32
    big = Conv2D(16, 64, 3, seed=0)  # He: std sqrt(2 / (f f n_C_prev)) = sqrt(2 / 144)
    assert abs(big.W.data.std() - np.sqrt(2 / 144)) < 0.01
    assert Conv2D(4, 6, 3, groups=2, seed=0).W.shape == (3, 3, 2, 6)
    assert Conv2D(3, 4, 3, init="zeros").W.data.sum() == 0


CONFIG_LAYERS = [
    lambda: Conv2D(4, 6, (2, 3), stride=(2, 1), padding=((1, 0), (2, 1)), groups=2,
                   bias=False, init="xavier", seed=0),
    lambda: Conv2D(3, 4, 3, padding="same", seed=0),
    lambda: Conv2D(3, 4, 5, padding=2, seed=0),
    lambda: DepthwiseConv2D(3, 3, depth_multiplier=2, stride=2, padding="valid", seed=0),
    lambda: SeparableConv2D(3, 5, 3, stride=2, bias=False, seed=0),
    lambda: MaxPool2D(3, stride=2, padding=(1, 0)),
    lambda: AvgPool2D((2, 3)),
    lambda: GlobalAvgPool2D(),
    lambda: ZeroPadding2D(((1, 2), (0, 3))),
    lambda: BatchNorm2d(3, momentum=0.8, eps=1e-3),
]


@pytest.mark.parametrize("build", CONFIG_LAYERS)
def test_config_survives_json_and_rebuilds_the_same_layer(build):
    layer = build()
    config = json.loads(json.dumps(layer.config()))  # what a checkpoint stores
    twin = type(layer)(**config)
    assert twin.config() == layer.config() and repr(twin) == repr(layer)
    assert [(n, p.shape) for n, p in twin.named_parameters()] == \
        [(n, p.shape) for n, p in layer.named_parameters()]
    x = draw([(2, 8, 9, layer.config().get("n_C_prev", 3))], 0)[0]
    twin.load_state_dict(layer.state_dict())
    assert np.array_equal(twin(x).data, layer(x).data)


def test_reprs():
    assert repr(Conv2D(3, 4, 3, stride=2, padding="same")) == \
        "Conv2D(3 -> 4, f=(3, 3), stride=(2, 2), padding='same')"
    assert repr(Conv2D(4, 6, 1, groups=2, bias=False)) == \
        "Conv2D(4 -> 6, f=(1, 1), stride=(1, 1), padding='valid', groups=2, bias=False)"
    assert repr(DepthwiseConv2D(3, 3)).startswith("DepthwiseConv2D(3 -> 3, f=(3, 3)")
    assert repr(MaxPool2D(3, stride=2, padding=1)) == \
        "MaxPool2D(f=(3, 3), stride=(2, 2), padding=1)"
    assert repr(AvgPool2D(2)) == "AvgPool2D(f=(2, 2), stride=(2, 2))"
    assert repr(GlobalAvgPool2D()) == "GlobalAvgPool2D()"
    assert repr(ZeroPadding2D(3)) == "ZeroPadding2D(pad=3)"
    assert repr(BatchNorm2d(8)) == "BatchNorm2d(8, momentum=0.9, eps=1e-05)"
    text = repr(SeparableConv2D(3, 5, 3))
    assert text.startswith("SeparableConv2D(\n  (depthwise): DepthwiseConv2D(3 -> 3")
    assert "(pointwise): Conv2D(3 -> 5" in text and text.endswith("# 47 params")


FORWARD_ERRORS = [  # layer, input shape, message pattern (the layer's name and both shapes)
    (lambda: Conv2D(4, 2, 3), (2, 5, 5, 3),
     r"Conv2D\(4 -> 2, f=\(3, 3\)\): conv2d: x has n_C_prev=3 channels .*x \(2, 5, 5, 3\), "
     r"W \(3, 3, 4, 2\)"),
    (lambda: Conv2D(3, 2, 7), (2, 5, 5, 3), r"Conv2D\(3 -> 2, f=\(7, 7\)\): .*filter 7x7 is "
     r"bigger than the padded input 5x5"),
    (lambda: Conv2D(3, 2, 3), (5, 5, 3), r"Conv2D\(3 -> 2.*should be 4-D.*\(5, 5, 3\)"),
    (lambda: DepthwiseConv2D(4, 3), (2, 5, 5, 3), r"DepthwiseConv2D\(4 -> 4, f=\(3, 3\)\)"),
    (lambda: SeparableConv2D(4, 8, 3), (2, 5, 5, 3),
     r"SeparableConv2D\(4 -> 8, f=\(3, 3\)\): DepthwiseConv2D.*x \(2, 5, 5, 3\)"),
    (lambda: MaxPool2D(7), (2, 5, 5, 3), r"MaxPool2D\(f=\(7, 7\)\): .*window 7x7 is bigger "
     r"than the padded input 5x5: x \(2, 5, 5, 3\)"),
    (lambda: AvgPool2D(2), (2, 5, 3), r"AvgPool2D\(f=\(2, 2\)\): .*4-D.*\(2, 5, 3\)"),
    (lambda: GlobalAvgPool2D(), (5, 3), r"GlobalAvgPool2D: .*4-D.*\(5, 3\)"),
    (lambda: ZeroPadding2D(1), (5, 5, 3), r"ZeroPadding2D\(pad=1\): .*4-D.*\(5, 5, 3\)"),
    (lambda: BatchNorm2d(4), (2, 5, 5, 3), r"BatchNorm2d\(4\): .*\(m, \.\.\., 4\), got "
     r"\(2, 5, 5, 3\)"),
    (lambda: BatchNorm2d(3), (2, 3), r"BatchNorm2d\(3\): input should be 4-D, got shape \(2, 3\)"),
]


@pytest.mark.parametrize("build, shape, match", FORWARD_ERRORS)
def test_wrong_input_names_the_layer_and_the_shapes(build, shape, match):
    with pytest.raises(ValueError, match=match):
        build()(np.zeros(shape, dtype=np.float32))


BUILD_ERRORS = [
    (lambda: Conv2D(0, 4, 3), r"Conv2D: n_C_prev and n_C should be positive, got 0, 4"),
    (lambda: Conv2D(3, 4, 3, groups=2), r"Conv2D: groups \(2\) should divide n_C_prev \(3\)"),
    (lambda: Conv2D(3, 4, 0), r"Conv2D: f should be a positive int or a pair"),
    (lambda: Conv2D(3, 4, 3, stride=(1, 2, 3)), r"Conv2D: stride should be"),
    (lambda: Conv2D(3, 4, 3, padding="sam"), r"Conv2D: padding should be 'valid', 'same'.*'sam'"),
    (lambda: Conv2D(3, 4, 3, padding=-1), r"Conv2D: padding should be .*got -1"),
    (lambda: Conv2D(3, 4, 3, init="bogus"), r"unknown initializer 'bogus'"),
    (lambda: DepthwiseConv2D(3, 3, depth_multiplier=0), r"DepthwiseConv2D: depth_multiplier"),
    (lambda: MaxPool2D(2, padding=2), r"MaxPool2D: padding should be at most half the window"),
    (lambda: AvgPool2D(3, padding="same"), r"AvgPool2D: padding should be an int"),
    (lambda: MaxPool2D(0), r"MaxPool2D: f should be a positive int"),
    (lambda: ZeroPadding2D(-1), r"ZeroPadding2D: padding should be an int >= 0.*got -1"),
    (lambda: BatchNorm2d(0), r"BatchNorm2d: n should be positive"),
]


@pytest.mark.parametrize("build, match", BUILD_ERRORS)
def test_bad_arguments_fail_at_construction(build, match):
    with pytest.raises(ValueError, match=match):
        build()
