"""mlp: the notes' L-layer network from layer_dims; structure, seeds, errors, PyTorch parity."""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import close, draw
from deepspec import nn
from deepspec.models import mlp

DIMS = [5, 4, 3, 1]
HIDDEN = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU}
OUTPUT = {"sigmoid": [nn.Sigmoid], "softmax": [nn.Softmax], "linear": [], None: []}
TORCH_HIDDEN = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid,
                "leaky_relu": lambda: torch.nn.LeakyReLU(0.01)}
TORCH_OUTPUT = {"sigmoid": [torch.nn.Sigmoid], "softmax": [lambda: torch.nn.Softmax(dim=1)],
                None: []}


def kinds(model):
    return [type(layer) for layer in model]


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output", OUTPUT)
def test_structure_for_each_hidden_and_output(hidden, output):
    model = mlp(DIMS, hidden=hidden, output=output, seed=0)
    act = HIDDEN[hidden]
    assert kinds(model) == [nn.Dense, act, nn.Dense, act, nn.Dense] + OUTPUT[output]
    dense = [layer for layer in model if isinstance(layer, nn.Dense)]
    assert [(d.n_prev, d.n) for d in dense] == [(5, 4), (4, 3), (3, 1)]
    assert [d.W.shape for d in dense] == [(4, 5), (3, 4), (1, 3)]  # the notes' W[l] (n[l], n[l-1])
    assert all(d.b is not None for d in dense)
    out = model(ds.Tensor(np.ones((2, 5), dtype=np.float32)))
    assert out.shape == (2, 1)


def test_two_layer_dims_is_logistic_regression():
    model = mlp([3, 1], output="sigmoid", seed=0)
    assert kinds(model) == [nn.Dense, nn.Sigmoid]


def test_batch_norm_variant():
    model = mlp(DIMS, batch_norm=True, seed=0)
    assert kinds(model) == [nn.Dense, nn.BatchNorm1d, nn.ReLU,
                            nn.Dense, nn.BatchNorm1d, nn.ReLU, nn.Dense]
    assert model[0].b is None and model[3].b is None  # beta replaces b (notes §2.6.1)
    assert model[6].b is not None
    assert (model[1].n, model[4].n) == (4, 3)


def test_keep_prob_variant():
    model = mlp(DIMS, hidden="tanh", keep_prob=0.8, seed=0)
    assert kinds(model) == [nn.Dense, nn.Tanh, nn.Dropout, nn.Dense, nn.Tanh, nn.Dropout,
                            nn.Dense]
    assert all(layer.keep_prob == 0.8 for layer in model if isinstance(layer, nn.Dropout))
    both = mlp(DIMS, batch_norm=True, keep_prob=0.5, output="sigmoid", seed=0)
    assert kinds(both) == [nn.Dense, nn.BatchNorm1d, nn.ReLU, nn.Dropout,
                           nn.Dense, nn.BatchNorm1d, nn.ReLU, nn.Dropout, nn.Dense, nn.Sigmoid]
    assert mlp(DIMS, keep_prob=1.0, seed=0).config() == mlp(DIMS, seed=0).config()


def test_same_seed_same_model():
    a, b, c = (mlp(DIMS, keep_prob=0.5, seed=s) for s in (3, 3, 4))
    for (name, p), (_, q), (_, r) in zip(a.named_parameters(), b.named_parameters(),
                                         c.named_parameters()):
        assert np.array_equal(p.data, q.data), name
        if name.endswith("W"):
            assert not np.array_equal(p.data, r.data), name
    x = ds.Tensor(np.ones((6, 5), dtype=np.float32))
    assert np.array_equal(a(x).data, b(x).data)  # same dropout masks too
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    assert np.array_equal(mlp(DIMS, seed=g1)[0].W.data, mlp(DIMS, seed=g2)[0].W.data)


def test_init_reaches_every_dense():
    model = mlp(DIMS, init="zeros", seed=0)
    assert all(not np.any(p.data) for p in model.parameters())
    xavier = mlp([400, 300, 1], init="xavier", seed=0)[0].W.data
    assert abs(xavier.std() - np.sqrt(1 / 400)) < 0.02 * np.sqrt(1 / 400)
    with pytest.raises(ValueError, match="unknown initializer 'bogus'"):
        mlp(DIMS, init="bogus")


@pytest.mark.parametrize("layer_dims", [[5], [], [5, 0, 1], [5, -3, 1], [0, 1]])
def test_bad_layer_dims(layer_dims):
    with pytest.raises(ValueError, match=r"mlp: layer_dims should list >= 2 positive sizes, "
                                         rf"got {layer_dims}".replace("[", r"\[")):
        mlp(layer_dims)


@pytest.mark.parametrize("hidden", ["softmax", "ReLU", None])
def test_bad_hidden(hidden):
    with pytest.raises(ValueError, match=f"mlp: hidden should be one of .*'relu'.*got {hidden!r}"):
        mlp(DIMS, hidden=hidden)


@pytest.mark.parametrize("output", ["relu", "tanh", "Sigmoid"])
def test_bad_output(output):
    with pytest.raises(ValueError, match=f"mlp: output should be .*got {output!r}"):
        mlp(DIMS, output=output)


@pytest.mark.parametrize("keep_prob", [0.0, -0.5, 1.5])
def test_bad_keep_prob(keep_prob):
    with pytest.raises(ValueError, match=rf"mlp: keep_prob should be in \(0, 1\], "
                                         rf"got {keep_prob}"):
        mlp(DIMS, keep_prob=keep_prob)


# ---- PyTorch parity --------------------------------------------------------------------------
def torch_mlp(dims, hidden, output, batch_norm):
    """The same network written in torch from the notes' recipe (float64)."""
    layers = []
    for n_prev, n in zip(dims[:-2], dims[1:-1]):
        layers.append(torch.nn.Linear(n_prev, n, bias=not batch_norm))
        if batch_norm:
            layers.append(torch.nn.BatchNorm1d(n, momentum=0.1))  # torch 0.1 == ours 0.9
        layers.append(TORCH_HIDDEN[hidden]())
    layers.append(torch.nn.Linear(dims[-2], dims[-1]))
    layers += [make() for make in TORCH_OUTPUT[output]]
    return torch.nn.Sequential(*layers).double()


@pytest.mark.parametrize("hidden, output, batch_norm", [
    ("relu", None, False), ("tanh", "sigmoid", False), ("leaky_relu", "softmax", False),
    ("sigmoid", None, True), ("relu", "sigmoid", True),
])
def test_mlp_matches_torch_sequential(hidden, output, batch_norm):
    dims = [5, 4, 3, 2] if output == "softmax" else DIMS
    with ds.default_dtype("float64"):
        model = mlp(dims, hidden=hidden, output=output, batch_norm=batch_norm, seed=0)
    for p, value in zip(model.parameters(), draw([p.shape for p in model.parameters()], 1)):
        p.data[...] = value  # random biases, gammas and betas, not just the initial ones
    t_model = torch_mlp(dims, hidden, output, batch_norm)
    ours_params, theirs_params = model.parameters(), list(t_model.parameters())
    assert [p.shape for p in ours_params] == [tuple(t.shape) for t in theirs_params]
    with torch.no_grad():  # same order: W, b (our W is torch's weight) or gamma, beta
        for p, t in zip(ours_params, theirs_params):
            t.copy_(torch.from_numpy(p.data))

    x = draw([(8, 5)], seed=2)[0]
    A = ds.Tensor(x, requires_grad=True)
    out = model(A)
    dout = draw([out.shape], seed=3)[0]
    out.backward(dout)
    t_A = torch.tensor(x, requires_grad=True)
    t_out = t_model(t_A)
    t_out.backward(torch.from_numpy(dout))
    close(out.data, t_out)
    close(A.grad, t_A.grad)
    for p, t in zip(ours_params, theirs_params):
        close(p.grad, t.grad)
