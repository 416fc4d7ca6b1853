"""The model zoo: exact parameter counts, one forward and backward pass per model on a small
input, summary tables, builder errors. Models come from their defining modules."""

import functools
import json

import numpy as np
import pytest

import deepspec as ds
from conftest import draw
from deepspec.models.alexnet import alexnet
from deepspec.models.inception import inception_net
from deepspec.models.lenet import lenet5
from deepspec.models.mobilenet import mobilenet_v1
from deepspec.models.resnet import resnet50
from deepspec.models.vgg import vgg16
from deepspec.nn import blocks, conv, layers
from deepspec.nn.containers import Sequential
from deepspec.nn.summary import summary
from deepspec.ops.losses import softmax_cross_entropy

CLASSES = {name: getattr(module, name) for module in (blocks, conv, layers)
           for name in dir(module) if isinstance(getattr(module, name), type)}


def conv_params(f, n_C_prev, n_C, bias=True):
    return f * f * n_C_prev * n_C + (n_C if bias else 0)


def dense_params(n_prev, n):
    return n_prev * n + n


@functools.cache
def small_alexnet():
    """The smallest AlexNet (67x67 input: 1x1x256 features), built once for two tests: its
    two 4096-wide FC layers take most of a second to draw."""
    return alexnet((67, 67, 3), n_classes=10, seed=0)


@functools.cache
def small_vgg16():
    return vgg16((32, 32, 3), n_classes=10, seed=0)  # 1x1x512 features


@pytest.fixture(autouse=True, scope="module")
def release_cached_models():
    yield
    small_alexnet.cache_clear()
    small_vgg16.cache_clear()


def array_buffers(model):
    """Running means and variances (Keras' "non-trainable" BN weights), not step counts."""
    return sum(np.asarray(v).size for _, v in model.named_buffers() if np.ndim(v))


# ---- parameter counts ----------------------------------------------------------------------
def test_lenet5_has_the_notes_61706_parameters_at_28_and_32_pixels():
    same, valid = lenet5(seed=0), lenet5((32, 32, 1), seed=0)
    assert same.num_parameters() == valid.num_parameters() == 61_706
    assert same[0].padding == "same" and valid[0].padding == "valid"
    assert lenet5((28, 28, 1), padding="valid").num_parameters() == 61_706 - 400 * 120 + 256 * 120


def test_resnet50_and_mobilenet_built_at_full_size_have_the_published_counts():
    model = resnet50(seed=0)
    assert model.num_parameters() == 25_557_032  # torchvision's resnet50
    n_convs = sum(isinstance(m, conv.Conv2D) for m in model.modules())
    assert n_convs == 1 + 16 * 3 + 4  # stem, 16 blocks of 3, 4 shortcuts: 50 layers with the FC
    assert all(m.b is None for m in model.modules() if isinstance(m, conv.Conv2D))
    mobile = mobilenet_v1(seed=0)
    assert mobile.num_parameters() == mobile.num_parameters(trainable_only=True) == 4_231_976
    assert mobile.num_parameters() + array_buffers(mobile) == 4_253_864  # Keras' total


GOOGLENET = [  # the paper's table 1, typed here independently of the library's table
    (192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64),
    (480, 192, 96, 208, 16, 48, 64), (512, 160, 112, 224, 24, 64, 64),
    (512, 128, 128, 256, 24, 64, 64), (512, 112, 144, 288, 32, 64, 64),
    (528, 256, 160, 320, 32, 128, 128), (832, 256, 160, 320, 32, 128, 128),
    (832, 384, 192, 384, 48, 128, 128),
]


def test_inception_count_matches_an_independent_count_from_the_module_table():
    stem = conv_params(7, 3, 64) + conv_params(1, 64, 64) + conv_params(3, 64, 192)
    modules = 0
    for n_prev, n1, r3, n3, r5, n5, pool in GOOGLENET:
        modules += conv_params(1, n_prev, n1) + conv_params(1, n_prev, r3)
        modules += conv_params(3, r3, n3) + conv_params(1, n_prev, r5)
        modules += conv_params(5, r5, n5) + conv_params(1, n_prev, pool)
    expected = stem + modules + dense_params(1024, 1000)
    model = inception_net(seed=0)
    assert model.num_parameters() == expected == 6_998_552
    assert "6,998,552" in inception_net.__doc__
    outputs = [m.n_C for m in model if isinstance(m, blocks.InceptionModule)]
    assert outputs == [row[0] for row in GOOGLENET[1:]] + [1024]


def test_alexnet_and_vgg16_counts_from_small_builds_plus_the_analytic_rest():
    """Building them at full size allocates 62M and 138M weights: build at the smallest input
    and with 10 classes, then add what the full input and 1000 classes change (the first FC
    layer's fan-in and the classifier). A second, fully analytic count agrees."""
    small = small_alexnet().num_parameters()
    assert small + (9216 - 256) * 4096 + 990 * 4097 == 62_378_344
    analytic = (conv_params(11, 3, 96) + conv_params(5, 96, 256) + conv_params(3, 256, 384)
                + conv_params(3, 384, 384) + conv_params(3, 384, 256) + dense_params(9216, 4096)
                + dense_params(4096, 4096) + dense_params(4096, 1000))
    assert analytic == 62_378_344
    small = small_vgg16().num_parameters()
    assert small + (25088 - 512) * 4096 + 990 * 4097 == 138_357_544
    channels = [3, 64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    analytic = sum(conv_params(3, a, b) for a, b in zip(channels, channels[1:]))
    analytic += dense_params(25088, 4096) + dense_params(4096, 4096) + dense_params(4096, 1000)
    assert analytic == 138_357_544


@pytest.mark.parametrize("builder, count", [
    (lenet5, "61,706"), (alexnet, "62,378,344"), (vgg16, "138,357,544"),
    (resnet50, "25,557,032"), (inception_net, "6,998,552"), (mobilenet_v1, "4,231,976"),
])
def test_docstrings_state_the_counts(builder, count):
    assert count in builder.__doc__ and "softmax_cross_entropy" in builder.__doc__


# ---- one training step each ------------------------------------------------------------------
FORWARD_CASES = {
    "lenet5": (lambda: lenet5(seed=0), (28, 28, 1), 10),
    "lenet5_classic": (lambda: lenet5((32, 32, 1), activation="tanh", pool="avg", seed=0),
                       (32, 32, 1), 10),
    "alexnet": (small_alexnet, (67, 67, 3), 10),
    "vgg16": (small_vgg16, (32, 32, 3), 10),
    "resnet_shallow": (lambda: resnet50((64, 64, 3), 6, stages=(1, 1, 1, 1), seed=0),
                       (64, 64, 3), 6),
    "resnet50": (lambda: resnet50((32, 32, 3), 6, seed=0), (32, 32, 3), 6),
    "inception": (lambda: inception_net((64, 64, 3), 5, seed=0), (64, 64, 3), 5),
    "mobilenet": (lambda: mobilenet_v1((32, 32, 3), 5, alpha=0.25, seed=0), (32, 32, 3), 5),
}


@pytest.mark.parametrize("name", FORWARD_CASES)
def test_forward_and_backward_on_a_small_batch(name):
    build, shape, n_classes = FORWARD_CASES[name]
    model = build()
    model.zero_grad()
    X = draw([(2, *shape)], 0)[0].astype(np.float32)
    Z = model(ds.Tensor(X))
    assert Z.shape == (2, n_classes) and Z.dtype == np.float32
    J = softmax_cross_entropy(Z, np.array([0, 1]))
    assert np.isfinite(float(J.data))
    J.backward()
    for param_name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, param_name
        assert np.all(np.isfinite(p.grad)), param_name
    assert any(np.any(p.grad != 0) for p in model.parameters())
    model.zero_grad()  # the cached models keep their weights, not their gradients


def test_same_seed_same_model():
    a, b = mobilenet_v1((32, 32, 3), 4, alpha=0.25, seed=3), \
        mobilenet_v1((32, 32, 3), 4, alpha=0.25, seed=3)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))
    c = mobilenet_v1((32, 32, 3), 4, alpha=0.25, seed=4)
    assert not np.array_equal(a[0].W.data, c[0].W.data)


def rebuild(config):
    return Sequential(*[CLASSES[entry["class"]](**entry["config"]) for entry in config["layers"]])


@pytest.mark.parametrize("build, shape", [
    (lambda: resnet50((16, 16, 3), 3, stages=(2, 1, 1, 1), seed=0), (16, 16, 3)),
    (lambda: inception_net((16, 16, 3), 3, seed=0), (16, 16, 3)),
    (lambda: mobilenet_v1((16, 16, 3), 3, alpha=0.25, seed=0), (16, 16, 3)),
    (lambda: lenet5(seed=0), (28, 28, 1)),
])
def test_config_rebuilds_the_model(build, shape):
    model = build()
    config = json.loads(json.dumps(model.config()))  # what a checkpoint stores
    twin = rebuild(config)
    assert twin.config() == model.config()
    twin.load_state_dict(model.state_dict())
    X = draw([(2, *shape)], 0)[0].astype(np.float32)
    model(X), twin(X)  # one training pass each: the same batch statistics for both
    assert np.array_equal(twin.eval()(X).data, model.eval()(X).data)


# ---- summary -----------------------------------------------------------------------------------
def test_lenet5_summary_prints_each_output_shape_and_the_totals():
    lines = []
    rows = lenet5(seed=0).summary((28, 28, 1), print_fn=lines.append)
    assert [row["output_shape"] for row in rows] == [
        (28, 28, 6), (28, 28, 6), (14, 14, 6), (10, 10, 16), (10, 10, 16), (5, 5, 16), (400,),
        (120,), (120,), (84,), (84,), (10,)]
    assert [row["params"] for row in rows if row["params"]] == [156, 2416, 48120, 10164, 850]
    assert rows[0]["layer"] == "Conv2D" and rows[6]["layer"] == "Flatten"
    text = "\n".join(lines)
    assert "0 (Conv2D)" in text and "(None, 28, 28, 6)" in text and "(None, 5, 5, 16)" in text
    assert "Total params: 61,706" in text and "Trainable params: 61,706" in text
    assert "Non-trainable params: 0" in text and "Buffers" not in text
    assert lines[-4].startswith("=")


def test_summary_shows_blocks_as_rows_frozen_params_and_buffers():
    model = resnet50((64, 64, 3), 10, stages=(2, 1, 1, 1), seed=0)
    model[1].freeze()
    lines = []
    rows = summary(model, (64, 64, 3), print_fn=lines.append)
    assert [row["layer"] for row in rows[5:9]] == ["ConvBlock", "IdentityBlock", "ConvBlock",
                                                   "ConvBlock"]
    assert rows[4]["output_shape"] == (15, 15, 64) and rows[-2]["output_shape"] == (2048,)
    assert rows[1]["trainable"] == 0 and rows[1]["params"] == 7 * 7 * 3 * 64
    total = model.num_parameters()
    assert f"Total params: {total:,}" in lines
    assert f"Non-trainable params: {7 * 7 * 3 * 64:,}" in lines
    assert f"Buffers (running statistics, not parameters): {array_buffers(model):,}" in lines


def test_summary_indents_nested_sequentials_and_runs_any_module():
    inner = Sequential(conv.Conv2D(3, 4, 3, seed=0), layers.ReLU())
    rows = Sequential(inner, conv.GlobalAvgPool2D()).summary((5, 5, 3), print_fn=None)
    assert [(r["name"], r["depth"], r["output_shape"]) for r in rows] == [
        ("0.0", 2, (3, 3, 4)), ("0.1", 2, (3, 3, 4)), ("1", 1, (4,))]
    lines = []
    rows = blocks.IdentityBlock(4, 3, (2, 2, 4)).summary((6, 6, 4), print_fn=lines.append)
    assert len(rows) == 1 and rows[0]["output_shape"] == (6, 6, 4)
    assert rows[0]["params"] == blocks.IdentityBlock(4, 3, (2, 2, 4)).num_parameters()
    assert lines[0] == "IdentityBlock: input (None, 6, 6, 4)"


def test_summary_leaves_the_model_exactly_as_it_was():
    model = Sequential(conv.Conv2D(3, 4, 3, seed=0), conv.BatchNorm2d(4), layers.ReLU(),
                       layers.Flatten(), layers.Dropout(0.5, seed=1), layers.Dense(36, 2, seed=2))
    X = draw([(4, 5, 5, 3)], 0)[0].astype(np.float32)
    model(X)  # one training step: running statistics now non-trivial
    before = model.state_dict()
    rng_state = model[4].rng.bit_generator.state
    model.eval()
    model.summary((5, 5, 3), print_fn=None)
    assert all(not m.training for m in model.modules())
    after = model.state_dict()
    assert set(after) == set(before)
    assert all(np.array_equal(after[k], before[k]) for k in before)
    assert model[1].steps == 1 and model[4].rng.bit_generator.state == rng_state
    model.train().summary((5, 5, 3), print_fn=None)
    assert all(m.training for m in model.modules())


def test_summary_names_the_failing_layer():
    with pytest.raises(ValueError, match=r"summary: layer 0 \(Conv2D\) failed on input of "
                                         r"shape \(1, 28, 28, 3\): Conv2D\(1 -> 6"):
        lenet5(seed=0).summary((28, 28, 3), print_fn=None)
    with pytest.raises(ValueError, match=r"summary: input_shape should be a tuple of ints"):
        lenet5().summary("28x28", print_fn=None)


# ---- builder errors ----------------------------------------------------------------------------
@pytest.mark.parametrize("build, match", [
    (lambda: lenet5((28, 28)), r"lenet5: input_shape should be \(n_H, n_W, n_C\)"),
    (lambda: lenet5((8, 8, 1)), r"lenet5: input_shape \(8, 8, 1\) is too small"),
    (lambda: lenet5(activation="elu"), r"lenet5: activation should be one of"),
    (lambda: lenet5(pool="min"), r"lenet5: pool should be one of \['avg', 'max'\]"),
    (lambda: lenet5(padding="full"), r"lenet5: padding should be"),
    (lambda: lenet5(n_classes=0), r"lenet5: n_classes should be a positive int, got 0"),
    (lambda: alexnet((64, 64, 3)), r"alexnet: input_shape \(64, 64, 3\) is too small.*67x67"),
    (lambda: vgg16((31, 64, 3)), r"vgg16: input_shape \(31, 64, 3\) is too small.*32x32"),
    (lambda: resnet50(stages=(3, 4, 6)), r"resnet50: stages should list 4 block counts"),
    (lambda: resnet50(stages=(3, 0, 6, 3)), r"resnet50: stages\[1\] should be a positive"),
    (lambda: resnet50((2, 2, 3)), r"resnet50: input_shape \(2, 2, 3\) is too small"),
    (lambda: mobilenet_v1(alpha=0.01), r"mobilenet_v1: alpha should be"),
    (lambda: inception_net(n_classes=2.5), r"inception_net: n_classes should be a positive"),
])
def test_builders_reject_bad_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()
