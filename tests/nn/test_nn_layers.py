"""Dense, activation, Flatten, Dropout and Sequential layers: PyTorch parity, dropout, errors."""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import close, draw
from deepspec import nn


def run_both(layer, t_layer, x, seed=1):
    """Forward both on x, backward a random upstream grad; return (ours, theirs) outputs/grads."""
    A = ds.Tensor(x, requires_grad=True)
    out = layer(A)
    dout = draw([out.shape], seed)[0]
    out.backward(dout)
    t_A = torch.tensor(x, requires_grad=True)
    t_out = t_layer(t_A)
    t_out.backward(torch.from_numpy(dout))
    return (out, A), (t_out, t_A)


# ---- Dense vs torch.nn.Linear ------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(6, 3), (1, 3), (2, 5, 3)])
def test_dense_matches_torch_linear(bias, shape):
    with ds.default_dtype("float64"):
        layer = nn.Dense(3, 4, bias=bias, seed=0)
    t_layer = torch.nn.Linear(3, 4, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        t_layer.weight.copy_(torch.from_numpy(layer.W.data))  # our W (n, n_prev) is torch's
        if bias:
            layer.b.data[...] = draw([(4,)], seed=2)[0]
            t_layer.bias.copy_(torch.from_numpy(layer.b.data))
    (out, A), (t_out, t_A) = run_both(layer, t_layer, draw([shape], seed=3)[0])
    close(out.data, t_out)
    close(A.grad, t_A.grad)
    close(layer.W.grad, t_layer.weight.grad)
    if bias:
        close(layer.b.grad, t_layer.bias.grad)
    else:
        assert layer.b is None and [n for n, _ in layer.named_parameters()] == ["W"]


def test_dense_shapes_and_default_init():
    layer = nn.Dense(300, 200, seed=0)
    assert layer.W.shape == (200, 300) and layer.b.shape == (200,)
    assert layer.W.dtype == np.float32 and layer.b.dtype == np.float32
    assert np.all(layer.b.data == 0)
    assert abs(layer.W.data.std() - np.sqrt(2 / 300)) < 0.05 * np.sqrt(2 / 300)  # He
    assert layer(ds.Tensor(np.ones((7, 300), dtype=np.float32))).shape == (7, 200)


def test_dense_seed_reproducible_and_init_names():
    assert np.array_equal(nn.Dense(4, 3, seed=5).W.data, nn.Dense(4, 3, seed=5).W.data)
    assert not np.array_equal(nn.Dense(4, 3, seed=5).W.data, nn.Dense(4, 3, seed=6).W.data)
    assert np.all(nn.Dense(4, 3, init="zeros").W.data == 0)
    with pytest.raises(ValueError, match="unknown initializer 'bogus'.*he"):
        nn.Dense(4, 3, init="bogus")


# ---- activations and Flatten ---------------------------------------------------------------
ACTIVATIONS = {  # name: (ours, torch's, input shape)
    "relu": (lambda: nn.ReLU(), lambda: torch.nn.ReLU(), (5, 4)),
    "sigmoid": (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid(), (5, 4)),
    "tanh": (lambda: nn.Tanh(), lambda: torch.nn.Tanh(), (2, 3, 4)),
    "leaky_relu": (lambda: nn.LeakyReLU(), lambda: torch.nn.LeakyReLU(0.01), (5, 4)),
    "leaky_relu_0.2": (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2), (5, 4)),
    "softmax": (lambda: nn.Softmax(), lambda: torch.nn.Softmax(dim=-1), (5, 4)),
    "softmax_axis1": (lambda: nn.Softmax(axis=1), lambda: torch.nn.Softmax(dim=1), (2, 3, 4)),
    "flatten": (lambda: nn.Flatten(), lambda: torch.nn.Flatten(), (2, 3, 4, 5)),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_layer_matches_torch(name):
    make, make_torch, shape = ACTIVATIONS[name]
    x = draw([shape], seed=0)[0] * 3
    (out, A), (t_out, t_A) = run_both(make(), make_torch(), x)
    close(out.data, t_out)
    close(A.grad, t_A.grad)
    assert make().parameters() == []


def test_flatten_shapes():
    assert nn.Flatten()(ds.Tensor(np.zeros((4, 2, 3, 5)))).shape == (4, 30)
    assert nn.Flatten()(ds.Tensor(np.zeros((4, 6)))).shape == (4, 6)
    assert nn.Flatten()(ds.Tensor(np.zeros((1, 7, 1)))).shape == (1, 7)


def test_float32_layers_keep_dtype():
    x = ds.Tensor(draw([(4, 3)], seed=0)[0].astype(np.float32))
    model = nn.Sequential(nn.Dense(3, 5, seed=0), nn.LeakyReLU(), nn.Dense(5, 2, seed=1),
                          nn.Softmax())
    out = model(x)
    assert out.dtype == np.float32 and np.all(np.isfinite(out.data))
    np.testing.assert_allclose(out.data.sum(axis=1), 1.0, rtol=1e-5)


# ---- Sequential vs torch.nn.Sequential -----------------------------------------------------
def test_sequential_matches_torch_sequential():
    with ds.default_dtype("float64"):
        model = nn.Sequential(nn.Flatten(), nn.Dense(6, 5, seed=0), nn.LeakyReLU(0.1),
                              nn.Dense(5, 4, seed=1), nn.Tanh(), nn.Dense(4, 3, seed=2),
                              nn.Sigmoid(), nn.Dense(3, 3, seed=3), nn.Softmax())
    t_model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(6, 5), torch.nn.LeakyReLU(0.1),
        torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3), torch.nn.Sigmoid(),
        torch.nn.Linear(3, 3), torch.nn.Softmax(dim=1),
    ).double()
    biases = draw([(5,), (4,), (3,), (3,)], seed=7)
    dense = [layer for layer in model if isinstance(layer, nn.Dense)]
    linear = [layer for layer in t_model if isinstance(layer, torch.nn.Linear)]
    with torch.no_grad():
        for ours, theirs, b in zip(dense, linear, biases):
            ours.b.data[...] = b
            theirs.weight.copy_(torch.from_numpy(ours.W.data))
            theirs.bias.copy_(torch.from_numpy(b))
    (out, A), (t_out, t_A) = run_both(model, t_model, draw([(7, 2, 3)], seed=4)[0])
    close(out.data, t_out)
    close(A.grad, t_A.grad)
    t_grads = dict(t_model.named_parameters())
    for name, p in model.named_parameters():  # "1.W" <-> "1.weight", "1.b" <-> "1.bias"
        index, kind = name.split(".")
        close(p.grad, t_grads[f"{index}.{'weight' if kind == 'W' else 'bias'}"].grad)


def test_sequential_container_protocol():
    a, b, c = nn.Dense(2, 3, seed=0), nn.ReLU(), nn.Dense(3, 1, seed=1)
    model = nn.Sequential([a, b])
    assert len(model) == 2 and model[0] is a and list(model) == [a, b]
    assert model.append(c) is model and model[-1] is c
    head = model[1:]
    assert isinstance(head, nn.Sequential) and head.layers == [b, c]
    model[1] = nn.Tanh()
    assert isinstance(model[1], nn.Tanh)


# ---- Dropout ---------------------------------------------------------------------------------
def test_dropout_is_identity_in_eval():
    layer = nn.Dropout(0.5, seed=0).eval()
    x = ds.Tensor(draw([(20, 10)], seed=0)[0], requires_grad=True)
    out = layer(x)
    assert np.array_equal(out.data, x.data)
    out.backward(np.ones((20, 10)))
    assert np.array_equal(x.grad, np.ones((20, 10)))


def test_dropout_keeps_the_mean_in_training():
    layer = nn.Dropout(0.8, seed=0)
    out = layer(ds.Tensor(np.ones((1000, 1000))))
    kept = out.data != 0
    assert abs(out.data.mean() - 1.0) < 0.01
    assert abs(kept.mean() - 0.8) < 0.01
    np.testing.assert_allclose(out.data[kept], 1 / 0.8, rtol=1e-12)  # inverted: scaled up


def test_dropout_gradient_is_the_mask():
    layer = nn.Dropout(0.6, seed=3)
    x = ds.Tensor(np.ones((50, 40)), requires_grad=True)
    out = layer(x)
    out.backward(np.full((50, 40), 2.0))
    np.testing.assert_allclose(x.grad, 2.0 * out.data, rtol=1e-12)  # dA * D / keep_prob


def test_dropout_seeds_and_fresh_masks():
    x = ds.Tensor(np.ones((30, 30)))
    first, second = nn.Dropout(0.5, seed=11), nn.Dropout(0.5, seed=11)
    a1, a2 = first(x).data, first(x).data
    b1, b2 = second(x).data, second(x).data
    assert np.array_equal(a1, b1) and np.array_equal(a2, b2)  # same seed, same masks
    assert not np.array_equal(a1, a2)  # consecutive calls draw fresh masks
    assert not np.array_equal(a1, nn.Dropout(0.5, seed=12)(x).data)


def test_dropout_keep_prob_one_and_float32():
    x = ds.Tensor(draw([(5, 4)], seed=0)[0].astype(np.float32))
    assert np.array_equal(nn.Dropout(1.0, seed=0)(x).data, x.data)
    out = nn.Dropout(0.5, seed=0)(x)
    assert out.dtype == np.float32 and np.all(np.isfinite(out.data))


@pytest.mark.parametrize("keep_prob", [0.0, -0.1, 1.5])
def test_dropout_rejects_bad_keep_prob(keep_prob):
    with pytest.raises(ValueError, match=r"Dropout: keep_prob should be in \(0, 1\]"):
        nn.Dropout(keep_prob)


# ---- bad input -------------------------------------------------------------------------------
def test_dense_wrong_width_names_layer_and_both_sizes():
    layer = nn.Dense(3, 4, seed=0)
    with pytest.raises(ValueError, match=r"Dense\(3 -> 4\).*\(\*, 3\).*\(2, 5\)"):
        layer(ds.Tensor(np.ones((2, 5))))
    with pytest.raises(ValueError, match=r"Dense\(3 -> 4\).*got \(\)"):
        layer(ds.Tensor(1.0))


@pytest.mark.parametrize("n_prev, n", [(0, 3), (3, 0), (-2, 3)])
def test_dense_rejects_non_positive_sizes(n_prev, n):
    with pytest.raises(ValueError, match=f"Dense: n_prev and n should be positive, got {n_prev}"):
        nn.Dense(n_prev, n)


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="Sequential: layer 1 should be a Module, got int"):
        nn.Sequential(nn.ReLU(), 3)
    with pytest.raises(TypeError, match="Sequential.append: expected a Module, got function"):
        nn.Sequential().append(lambda z: z)
    with pytest.raises(TypeError, match="Sequential: expected a Module, got str"):
        nn.Sequential(nn.ReLU())[0] = "relu"


def test_leaky_relu_rejects_negative_alpha():
    with pytest.raises(ValueError, match="LeakyReLU: alpha should be >= 0, got -0.1"):
        nn.LeakyReLU(-0.1)
