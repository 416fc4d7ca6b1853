"""One conformance battery over every layer class (sklearn check_estimator, Keras run_layer_test).

Each row builds a layer (float32) with a seed, names its input shape and the documented
output shape. Adding a layer to ``deepspec.nn`` without a row here fails the coverage test.
Layers that take integer ids (Embedding) are listed in INTEGER_INPUTS with their vocabulary.
"""

import numpy as np
import pytest

import deepspec as ds
from deepspec import nn
from deepspec.gradcheck import gradcheck
from deepspec.nn.blocks import ConvBlock, IdentityBlock, InceptionModule
from deepspec.nn.catalog import build, spec_of
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

LAYERS = {  # name: (build(seed), input shape, output shape)
    "Dense": (lambda s: nn.Dense(3, 4, seed=s), (5, 3), (5, 4)),
    "Dense_no_bias": (lambda s: nn.Dense(3, 4, bias=False, init="xavier", seed=s), (5, 3),
                      (5, 4)),
    "Dense_3d": (lambda s: nn.Dense(3, 2, init="glorot_uniform", seed=s), (2, 4, 3), (2, 4, 2)),
    "ReLU": (lambda s: nn.ReLU(), (5, 3), (5, 3)),
    "Sigmoid": (lambda s: nn.Sigmoid(), (5, 3), (5, 3)),
    "Tanh": (lambda s: nn.Tanh(), (2, 3, 4), (2, 3, 4)),
    "LeakyReLU": (lambda s: nn.LeakyReLU(0.2), (5, 3), (5, 3)),
    "Softmax": (lambda s: nn.Softmax(axis=1), (2, 3, 4), (2, 3, 4)),
    "Flatten": (lambda s: nn.Flatten(), (5, 2, 3, 4), (5, 24)),
    "Dropout": (lambda s: nn.Dropout(0.7, seed=s), (5, 3), (5, 3)),
    "BatchNorm1d": (lambda s: nn.BatchNorm1d(3, momentum=0.8, eps=1e-3), (5, 3), (5, 3)),
    "BatchNorm": (lambda s: nn.BatchNorm(4), (5, 2, 2, 4), (5, 2, 2, 4)),
    "Sequential": (lambda s: nn.Sequential(nn.Dense(3, 4, seed=s), nn.BatchNorm1d(4), nn.ReLU(),
                                           nn.Dropout(0.5, seed=s), nn.Dense(4, 2, seed=s + 1)),
                   (5, 3), (5, 2)),
    "Embedding": (lambda s: nn.Embedding(6, 3, padding_idx=0, seed=s), (2, 5), (2, 5, 3)),
    "SimpleRNN": (lambda s: nn.SimpleRNN(3, 4, seed=s), (2, 5, 3), (2, 5, 4)),
    "SimpleRNN_relu_last": (lambda s: nn.SimpleRNN(3, 4, activation="relu",
                                                   return_sequences=False, seed=s),
                            (2, 5, 3), (2, 4)),
    "GRU": (lambda s: nn.GRU(3, 4, num_layers=2, seed=s), (2, 5, 3), (2, 5, 4)),
    "GRU_reset_after": (lambda s: nn.GRU(3, 4, reset_after=True, seed=s), (2, 5, 3), (2, 5, 4)),
    "LSTM": (lambda s: nn.LSTM(3, 4, num_layers=2, keep_prob=0.8, seed=s), (2, 5, 3),
             (2, 5, 4)),
    "Bidirectional": (lambda s: nn.Bidirectional(nn.LSTM(3, 4, seed=s), seed=s + 1), (2, 5, 3),
                      (2, 5, 8)),
    "Bidirectional_sum": (lambda s: nn.Bidirectional(nn.GRU(3, 4, seed=s), merge="sum",
                                                     seed=s + 1), (2, 5, 3), (2, 5, 4)),
    "TimeDistributed": (lambda s: nn.TimeDistributed(nn.Dense(3, 2, seed=s)), (2, 5, 3),
                        (2, 5, 2)),
    "Conv2D": (lambda s: Conv2D(3, 4, 3, stride=2, padding="same", seed=s), (2, 7, 7, 3),
               (2, 4, 4, 4)),
    "Conv2D_grouped": (lambda s: Conv2D(4, 6, (2, 3), padding=((1, 0), (2, 1)), groups=2,
                                        bias=False, init="xavier", seed=s), (2, 5, 6, 4),
                       (2, 5, 7, 6)),
    "DepthwiseConv2D": (lambda s: DepthwiseConv2D(3, 3, depth_multiplier=2, stride=2, seed=s),
                        (2, 7, 7, 3), (2, 4, 4, 6)),
    "SeparableConv2D": (lambda s: SeparableConv2D(3, 5, 3, seed=s), (2, 6, 6, 3), (2, 6, 6, 5)),
    "MaxPool2D": (lambda s: MaxPool2D(3, stride=2, padding=1), (2, 7, 7, 3), (2, 4, 4, 3)),
    "AvgPool2D": (lambda s: AvgPool2D(2), (2, 6, 6, 3), (2, 3, 3, 3)),
    "GlobalAvgPool2D": (lambda s: GlobalAvgPool2D(), (2, 5, 5, 3), (2, 3)),
    "ZeroPadding2D": (lambda s: ZeroPadding2D(((1, 2), (0, 1))), (2, 4, 4, 3), (2, 7, 5, 3)),
    "BatchNorm2d": (lambda s: BatchNorm2d(3), (4, 3, 3, 3), (4, 3, 3, 3)),
    "IdentityBlock": (lambda s: IdentityBlock(4, 3, (2, 3, 4), seed=s), (2, 4, 4, 4),
                      (2, 4, 4, 4)),
    "ConvBlock": (lambda s: ConvBlock(3, 3, (2, 2, 4), stride=2, seed=s), (2, 5, 5, 3),
                  (2, 3, 3, 4)),
    "InceptionModule": (lambda s: InceptionModule(3, 2, 2, 3, 1, 2, 2, seed=s), (2, 4, 4, 3),
                        (2, 4, 4, 9)),
}
INTEGER_INPUTS = {"Embedding": 6}  # name: vocabulary size; these get integer ids


def draw(shape, seed, dtype=np.float32, vocab=None):
    rng = np.random.default_rng(seed)
    if vocab is not None:
        return rng.integers(0, vocab, shape)
    return rng.standard_normal(shape).astype(dtype)


def draw_input(name, shape, seed, dtype=np.float32):
    return draw(shape, seed, dtype, vocab=INTEGER_INPUTS.get(name))


def warmed(name, seed=0):
    """The layer after two training steps (BatchNorm needs them before eval)."""
    build, in_shape, _ = LAYERS[name]
    layer = build(seed)
    for k in range(2):
        layer(draw_input(name, in_shape, seed=100 + k))
    return layer


def rebuild(layer):
    """A new layer from its config, through the checkpoint catalog (nested specs included)."""
    return build(spec_of(layer))


def test_every_layer_class_has_a_row():
    classes = {getattr(nn, name) for name in nn.__all__}
    layers = {c for c in classes if isinstance(c, type) and issubclass(c, nn.Module)}
    covered = {type(build(0)) for build, _, _ in LAYERS.values()}
    assert layers - {nn.Module} <= covered, layers - {nn.Module} - covered


@pytest.mark.parametrize("name", LAYERS)
def test_no_buffer_is_a_parameter(name):
    layer = warmed(name)
    params = dict(layer.named_parameters())
    assert all(isinstance(p, nn.Parameter) for p in params.values())
    assert len({id(p) for p in params.values()}) == len(params)
    for buffer_name, value in layer.named_buffers():
        assert buffer_name not in params
        assert all(value is not p and value is not p.data for p in params.values())
    assert set(layer.state_dict()) == set(params) | {n for n, _ in layer.named_buffers()}


@pytest.mark.parametrize("name", LAYERS)
def test_output_shape_and_dtype(name):
    _, in_shape, out_shape = LAYERS[name]
    layer = warmed(name)
    for mode in (layer.train, layer.eval):
        out = mode()(draw_input(name, in_shape, seed=1))
        assert out.shape == out_shape
        assert out.dtype == np.float32 and np.all(np.isfinite(out.data))


@pytest.mark.parametrize("name", LAYERS)
def test_eval_is_deterministic(name):
    _, in_shape, _ = LAYERS[name]
    layer = warmed(name).eval()
    x = draw_input(name, in_shape, seed=2)
    first = layer(x).data.copy()
    assert np.array_equal(layer(x).data, first)
    assert np.array_equal(warmed(name).eval()(x).data, first)  # same seed, same layer


@pytest.mark.parametrize("name", LAYERS)
def test_state_dict_round_trip_is_exact(name):
    _, in_shape, _ = LAYERS[name]
    source, target = warmed(name, seed=0), LAYERS[name][0](7)
    state = source.state_dict()
    target.load_state_dict(state)
    for key, value in target.state_dict().items():
        assert value.dtype == state[key].dtype and np.array_equal(value, state[key]), key
    x = draw_input(name, in_shape, seed=3)
    assert np.array_equal(source.eval()(x).data, target.eval()(x).data)


@pytest.mark.parametrize("name", LAYERS)
def test_repr_names_the_class(name):
    layer = warmed(name)
    text = repr(layer)
    assert text.startswith(type(layer).__name__ + "(")
    if layer.parameters():
        assert f"{layer.num_parameters():,} params" in text or "\n" not in text


@pytest.mark.parametrize("name", LAYERS)
def test_config_rebuilds_an_equivalent_layer(name):
    _, in_shape, out_shape = LAYERS[name]
    layer = warmed(name)
    config = layer.config()
    assert isinstance(config, dict)
    twin = rebuild(layer)
    assert type(twin) is type(layer) and twin.config() == config
    assert [(n, p.shape) for n, p in twin.named_parameters()] == \
        [(n, p.shape) for n, p in layer.named_parameters()]
    assert repr(twin).splitlines()[0] == repr(layer).splitlines()[0]
    twin.load_state_dict(layer.state_dict())
    x = draw_input(name, in_shape, seed=4)
    assert np.array_equal(twin.eval()(x).data, layer.eval()(x).data)
    assert twin(x).shape == out_shape


@pytest.mark.parametrize("name", LAYERS)
def test_input_gradient_matches_finite_differences(name):
    _, in_shape, _ = LAYERS[name]
    layer = warmed(name).astype("float64").eval()
    x = draw_input(name, in_shape, seed=5, dtype=np.float64)
    if name in INTEGER_INPUTS:  # no input gradient: check the parameters' instead
        target = np.zeros(LAYERS[name][2])
        assert ds.gradient_check(layer, x, target, "mse") < 1e-7
    else:
        assert gradcheck(layer, [x]) < 1e-7
