"""ResNet's identity and convolutional blocks and the Inception module: PyTorch
re-implementations with copied weights (float64, forward and every gradient), numerical
gradient checks, shapes, configs, errors and reprs."""

import json

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip
import torch.nn.functional as TF

import deepspec as ds
from conftest import FILTER_FROM_TORCH, FILTER_TO_TORCH, NCHW_TO_NHWC, NHWC_TO_NCHW, close, draw
from deepspec.gradcheck import gradcheck
from deepspec.nn.blocks import ConvBlock, IdentityBlock, InceptionModule


def torch_params(block):
    """Each of our parameters as a torch leaf in torch's layout (filters transposed)."""
    return {name: torch.tensor(p.data.transpose(FILTER_TO_TORCH) if p.ndim == 4 else p.data,
                               requires_grad=True)
            for name, p in block.named_parameters()}


def randomize(block, seed):
    """Non-trivial gammas, betas and biases, so each one's effect is visible."""
    rng = np.random.default_rng(seed)
    for name, p in block.named_parameters():
        if p.ndim == 1:
            p.data[...] = rng.standard_normal(p.shape) * 0.5 + (1.0 if "gamma" in name else 0.0)


def bn(t, P, name, training=True, stats=None):
    mean, var = stats if stats else (None, None)
    return TF.batch_norm(t, mean, var, P[f"{name}.gamma"], P[f"{name}.beta"],
                         training=training, eps=1e-5)


def torch_bottleneck(x, P, f, stride, shortcut, training=True, stats=None):
    """The course's main path and shortcut, written from the definition in torch."""
    stats = stats or {}
    s = dict(training=training)
    Z = TF.relu(bn(TF.conv2d(x, P["conv1.W"], stride=stride), P, "bn1", stats=stats.get("bn1"),
                   **s))
    Z = TF.relu(bn(TF.conv2d(Z, P["conv2.W"], padding=f // 2), P, "bn2",
                   stats=stats.get("bn2"), **s))
    Z = bn(TF.conv2d(Z, P["conv3.W"]), P, "bn3", stats=stats.get("bn3"), **s)
    if shortcut:
        x = bn(TF.conv2d(x, P["conv_shortcut.W"], stride=stride), P, "bn_shortcut",
               stats=stats.get("bn_shortcut"), **s)
    return TF.relu(Z + x)


def torch_inception(x, P):
    def conv(t, name, pad=0):
        return TF.relu(TF.conv2d(t, P[f"{name}.W"], P[f"{name}.b"], padding=pad))

    return torch.cat([conv(x, "branch1"),
                      conv(conv(x, "branch2_reduce"), "branch2", 1),
                      conv(conv(x, "branch3_reduce"), "branch3", 2),
                      conv(TF.max_pool2d(x, 3, stride=1, padding=1), "branch4")], dim=1)


def compare(block, torch_fn, x_shape, seed=0):
    """Forward and backward both on one input and upstream gradient; compare everything."""
    P = torch_params(block)
    x = draw([x_shape], seed)[0]
    ours = ds.Tensor(x, requires_grad=True)
    out = block(ours)
    dout = draw([out.shape], seed + 1)[0]
    out.backward(dout)
    theirs = torch.tensor(x.transpose(NHWC_TO_NCHW), requires_grad=True)
    t_out = torch_fn(theirs, P)
    t_out.backward(torch.from_numpy(dout.transpose(NHWC_TO_NCHW)))
    close(out.data, t_out.detach().numpy().transpose(NCHW_TO_NHWC))
    close(ours.grad, theirs.grad.numpy().transpose(NCHW_TO_NHWC))
    for name, p in block.named_parameters():
        g = P[name].grad.numpy()
        close(p.grad, g.transpose(FILTER_FROM_TORCH) if g.ndim == 4 else g)
    return out


def f64(build):
    with ds.default_dtype("float64"):
        return build()


@pytest.mark.parametrize("f", [3, 5])
def test_identity_block_matches_torch(f):
    block = f64(lambda: IdentityBlock(6, f, (3, 4, 6), seed=0))
    randomize(block, 1)
    out = compare(block, lambda x, P: torch_bottleneck(x, P, f, 1, False), (2, 5, 6, 6))
    assert out.shape == (2, 5, 6, 6) and np.all(out.data >= 0)


@pytest.mark.parametrize("stride, x_shape, out_hw", [(2, (2, 7, 6, 3), (4, 3)),
                                                      (1, (3, 4, 4, 3), (4, 4))])
def test_conv_block_matches_torch(stride, x_shape, out_hw):
    block = f64(lambda: ConvBlock(3, 3, (2, 4, 5), stride=stride, seed=0))
    randomize(block, 2)
    out = compare(block, lambda x, P: torch_bottleneck(x, P, 3, stride, True), x_shape)
    assert out.shape == (x_shape[0], *out_hw, 5)


def test_blocks_in_eval_use_running_averages_like_torch_given_the_same_statistics():
    block = f64(lambda: ConvBlock(3, 3, (2, 3, 4), stride=2, seed=3))
    randomize(block, 4)
    for k in range(3):  # some training steps to fill the running averages
        block(draw([(4, 6, 6, 3)], 10 + k)[0] * (k + 1))
    stats = {}
    for name in ("bn1", "bn2", "bn3", "bn_shortcut"):
        layer = getattr(block, name)
        correction = 1 - layer.momentum**layer.steps  # the notes' bias correction
        stats[name] = (torch.from_numpy(layer.running_mean / correction),
                       torch.from_numpy(layer.running_var / correction))
    block.eval()
    compare(block, lambda x, P: torch_bottleneck(x, P, 3, 2, True, False, stats), (2, 6, 6, 3))


def test_inception_module_matches_torch():
    block = f64(lambda: InceptionModule(5, 2, 3, 4, 2, 3, 2, seed=0))
    randomize(block, 5)
    out = compare(block, torch_inception, (2, 6, 5, 5))
    assert out.shape == (2, 6, 5, 2 + 4 + 3 + 2) and block.n_C == 11


@pytest.mark.parametrize("build, x_shape", [
    (lambda: IdentityBlock(3, 3, (2, 2, 3), seed=0), (2, 3, 3, 3)),
    (lambda: ConvBlock(2, 3, (2, 2, 3), stride=2, seed=0), (2, 4, 3, 2)),
    (lambda: InceptionModule(2, 1, 2, 2, 1, 2, 1, seed=0), (2, 3, 3, 2)),
])
def test_block_gradients_match_finite_differences(build, x_shape):
    """Training mode: the gradient also flows through BN's batch statistics."""
    block = f64(build)
    randomize(block, 6)
    x = draw([x_shape], 7)[0]
    assert gradcheck(block, [x]) < 1e-7
    targets = draw([block(x).shape], 8)[0]
    assert ds.gradient_check(block, x, targets, "mse") < 1e-7  # every parameter


def test_parameter_counts_and_bias_free_convolutions():
    block = IdentityBlock(256, 3, (64, 64, 256))
    assert block.num_parameters() == 256 * 64 + 9 * 64 * 64 + 64 * 256 + 2 * (64 + 64 + 256)
    assert all(conv.b is None for conv in (block.conv1, block.conv2, block.conv3))
    block = ConvBlock(64, 3, (64, 64, 256), stride=1)
    assert block.num_parameters() == 75_008  # torchvision's layer1[0], downsample included
    inception = InceptionModule(192, 64, 96, 128, 16, 32, 32)  # GoogLeNet's 3a
    assert inception.num_parameters() == (192 * 64 + 64) + (192 * 96 + 96) + \
        (9 * 96 * 128 + 128) + (192 * 16 + 16) + (25 * 16 * 32 + 32) + (192 * 32 + 32)
    assert inception.n_C == 256


def test_seeds_make_blocks_reproducible():
    a, b = ConvBlock(3, 3, (2, 2, 4), seed=5), ConvBlock(3, 3, (2, 2, 4), seed=5)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))
    c = ConvBlock(3, 3, (2, 2, 4), seed=6)
    assert not np.array_equal(a.conv1.W.data, c.conv1.W.data)
    assert not np.array_equal(a.conv1.W.data[..., :2], a.conv_shortcut.W.data[..., :2])


@pytest.mark.parametrize("build", [
    lambda: IdentityBlock(4, 3, (2, 3, 4), init="xavier", seed=0),
    lambda: ConvBlock(3, 5, [2, 3, 4], stride=3, seed=0),
    lambda: InceptionModule(3, 1, 2, 3, 1, 2, 2, init="glorot_uniform", seed=0),
])
def test_config_rebuilds_the_block(build):
    block = build()
    config = json.loads(json.dumps(block.config()))
    twin = type(block)(**config)
    assert twin.config() == block.config() and repr(twin) == repr(block)
    twin.load_state_dict(block.state_dict())
    in_channels = config.get("n_C", config.get("n_C_prev"))
    x = draw([(2, 6, 6, in_channels)], 0)[0].astype(np.float32)
    assert np.array_equal(twin(x).data, block(x).data)


def test_reprs_name_the_block_and_its_sizes():
    text = repr(IdentityBlock(4, 3, (2, 3, 4)))
    assert text.startswith("IdentityBlock(\n  (conv1): Conv2D(4 -> 2, f=(1, 1)")
    assert text.endswith(f"# {IdentityBlock(4, 3, (2, 3, 4)).num_parameters():,} params")
    assert "(conv_shortcut): Conv2D(3 -> 4, f=(1, 1), stride=(2, 2)" in \
        repr(ConvBlock(3, 3, (2, 3, 4)))
    assert InceptionModule(3, 1, 2, 3, 1, 2, 2).extra_repr() == \
        "3 -> 8: 1x1 1, 3x3 2->3, 5x5 1->2, pool 2"


@pytest.mark.parametrize("build, shape, match", [
    (lambda: IdentityBlock(4, 3, (2, 3, 4)), (2, 5, 5, 3),
     r"IdentityBlock\(n_C=4, f=3, filters=\(2, 3, 4\)\): input should have shape "
     r"\(m, n_H, n_W, 4\), got \(2, 5, 5, 3\)"),
    (lambda: ConvBlock(3, 3, (2, 3, 4)), (5, 5, 3),
     r"ConvBlock\(n_C_prev=3, f=3, filters=\(2, 3, 4\), stride=2\): input should have shape "
     r"\(m, n_H, n_W, 3\), got \(5, 5, 3\)"),
    (lambda: InceptionModule(3, 1, 2, 3, 1, 2, 2), (2, 4, 4, 5),
     r"InceptionModule\(3 -> 8: .*\): input should have shape \(m, n_H, n_W, 3\), got "
     r"\(2, 4, 4, 5\)"),
])
def test_wrong_input_names_the_block_and_the_shapes(build, shape, match):
    with pytest.raises(ValueError, match=match):
        build()(np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("build, match", [
    (lambda: IdentityBlock(4, 3, (2, 3, 5)), r"IdentityBlock: filters\[2\] \(F3=5\) should "
     r"equal n_C \(4\)"),
    (lambda: IdentityBlock(4, 3, (2, 3)), r"IdentityBlock: filters should be three positive "
     r"ints \(F1, F2, F3\), got \(2, 3\)"),
    (lambda: IdentityBlock(4, 0, (2, 3, 4)), r"IdentityBlock: n_C and f should be positive"),
    (lambda: ConvBlock(3, 3, (2, 0, 4)), r"ConvBlock: filters should be three positive"),
    (lambda: ConvBlock(3, 3, (2, 3, 4), stride=0), r"ConvBlock: stride should be a positive "
     r"int, got 0"),
    (lambda: InceptionModule(3, 1, 2, 3, 1, 2, 0), r"InceptionModule: pool_proj should be a "
     r"positive int, got 0"),
])
def test_bad_block_arguments_fail_at_construction(build, match):
    with pytest.raises(ValueError, match=match):
        build()
