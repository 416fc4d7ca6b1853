"""GD, Momentum, RMSprop, Adam: first steps by hand, 20-step parity with torch.optim, state."""

import copy

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from deepspec import optim
from deepspec.nn import Parameter

LR = 0.05
N_STEPS = 20


def draw(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def data(seed=0, m=8):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, 4)), rng.integers(0, 3, size=m)


def our_net():
    with ds.default_dtype("float64"):
        return ds.models.mlp([4, 6, 3], seed=0)  # Dense(4, 6), ReLU, Dense(6, 3)


def torch_copy(model):
    """The same net in torch; Dense.W already has torch's (n_out, n_in) weight layout."""
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    net = net.double()
    with torch.no_grad():
        for t_p, p in zip(net.parameters(), model.parameters(), strict=True):
            t_p.copy_(torch.from_numpy(p.data))
    return net


def train_ours(model, opt, steps, seed=0):
    X, y = data(seed)
    for _ in range(steps):
        opt.zero_grad()
        ds.ops.softmax_cross_entropy(model(ds.Tensor(X)), y).backward()
        opt.step()


def torch_grads(net, X, y):
    net.zero_grad()
    torch.nn.functional.cross_entropy(net(torch.from_numpy(X)), torch.from_numpy(y)).backward()


def train_torch(net, opt, steps, seed=0):
    X, y = data(seed)
    for _ in range(steps):
        opt.zero_grad()
        torch_grads(net, X, y)
        opt.step()


def max_diff(model, net):
    return max(np.max(np.abs(p.data - t_p.detach().numpy()))
               for p, t_p in zip(model.parameters(), net.parameters(), strict=True))


def weights_and_biases(net, weight_decay):
    return [{"params": [p for p in net.parameters() if p.ndim >= 2],
             "weight_decay": weight_decay},
            {"params": [p for p in net.parameters() if p.ndim < 2], "weight_decay": 0.0}]


# ---- one step by hand ------------------------------------------------------------------------
G = np.array([[0.5, -2.0, 1e-3], [-0.25, 3.0, -4.0]])
W0 = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 0.5]])

FIRST_STEP = {  # optimizer, expected W0 - W1 after one step from zero state
    "GD": (lambda p: optim.GD(p, learning_rate=0.1), 0.1 * G),
    "Momentum": (lambda p: optim.Momentum(p, learning_rate=0.1, beta=0.9), 0.1 * 0.1 * G),
    "RMSprop": (lambda p: optim.RMSprop(p, learning_rate=0.1, beta2=0.9, epsilon=1e-8),
                0.1 * G / (np.sqrt(0.1 * G**2) + 1e-8)),
    "Adam": (lambda p: optim.Adam(p, learning_rate=0.1, epsilon=1e-8),
             0.1 * G / (np.abs(G) + 1e-8)),  # bias-corrected v = g, s = g^2
}


@pytest.mark.parametrize("name", FIRST_STEP)
def test_first_step_by_hand(name):
    make, expected = FIRST_STEP[name]
    with ds.default_dtype("float64"):
        p = Parameter(W0.copy())
    opt = make([p])
    p.grad = G.copy()
    opt.step()
    np.testing.assert_allclose(W0 - p.data, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(p.grad, G)  # the step never touches the gradient
    assert opt.t == 1


@pytest.mark.parametrize("name", ["GD", "Momentum", "RMSprop", "Adam"])
def test_decoupled_weight_decay_shrinks_weight_matrices_only(name):
    with ds.default_dtype("float64"):
        W, b = Parameter(W0.copy()), Parameter(W0[0].copy())
    opt = getattr(optim, name)([W, b], learning_rate=0.1, weight_decay=0.5)
    W.grad, b.grad = np.zeros_like(W0), np.zeros_like(W0[0])  # the update itself is zero
    opt.step()
    np.testing.assert_allclose(W.data, (1 - 0.1 * 0.5) * W0, rtol=1e-15)
    np.testing.assert_array_equal(b.data, W0[0])


def test_adam_first_step_is_learning_rate_times_sign():
    with ds.default_dtype("float64"):
        p = Parameter(W0.copy())
    p.grad = G.copy()
    optim.Adam([p], learning_rate=0.01).step()
    np.testing.assert_allclose(W0 - p.data, 0.01 * np.sign(G), rtol=1e-5)


def test_array_kernels_by_hand():
    W, v, s = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    optim.gd_update(W, G, learning_rate=0.1)
    np.testing.assert_allclose(W, W0 - 0.1 * G, rtol=1e-15)

    W = W0.copy()
    optim.momentum_update(W, G, v, beta=0.9, learning_rate=0.1)
    optim.momentum_update(W, G, v, beta=0.9, learning_rate=0.1)
    np.testing.assert_allclose(v, 0.1 * G + 0.9 * 0.1 * G, rtol=1e-14)
    np.testing.assert_allclose(W, W0 - 0.1 * (0.1 * G) - 0.1 * v, rtol=1e-14)

    W = W0.copy()
    optim.rmsprop_update(W, G, s, beta2=0.9, epsilon=1e-8, learning_rate=0.1)
    np.testing.assert_allclose(s, 0.1 * G**2, rtol=1e-14)
    np.testing.assert_allclose(W, W0 - 0.1 * G / (np.sqrt(s) + 1e-8), rtol=1e-14)


@pytest.mark.parametrize("scratch", [False, True])
def test_adam_update_kernel_two_steps(scratch):
    W, v, s = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    G2 = G[::-1] * 0.5
    buf = np.full_like(W0, np.nan) if scratch else None  # stale scratch must not leak in
    hyper = dict(beta1=0.9, beta2=0.999, epsilon=1e-8, learning_rate=0.01, scratch=buf)
    optim.adam_update(W, G, v, s, t=1, **hyper)
    optim.adam_update(W, G2, v, s, t=2, **hyper)
    v_ref = 0.9 * 0.1 * G + 0.1 * G2
    s_ref = 0.999 * 0.001 * G**2 + 0.001 * G2**2
    step1 = 0.01 * G / (np.abs(G) + 1e-8)
    step2 = 0.01 * (v_ref / (1 - 0.9**2)) / (np.sqrt(s_ref / (1 - 0.999**2)) + 1e-8)
    np.testing.assert_allclose(v, v_ref, rtol=1e-14)
    np.testing.assert_allclose(s, s_ref, rtol=1e-14)
    np.testing.assert_allclose(W, W0 - step1 - step2, rtol=1e-13)


# ---- 20 steps against torch.optim, float64 ---------------------------------------------------
PARITY = {  # ours, torch on the copied net
    "GD": (lambda m: optim.GD(m, learning_rate=LR),
           lambda n: torch.optim.SGD(n.parameters(), lr=LR)),
    "GD weight_decay": (lambda m: optim.GD(m, learning_rate=LR, weight_decay=0.1),
                        lambda n: torch.optim.SGD(weights_and_biases(n, 0.1), lr=LR)),
    "RMSprop": (lambda m: optim.RMSprop(m, learning_rate=0.01, beta2=0.9, epsilon=1e-6),
                lambda n: torch.optim.RMSprop(n.parameters(), lr=0.01, alpha=0.9, eps=1e-6)),
    "Adam": (lambda m: optim.Adam(m, learning_rate=0.01, beta1=0.8, beta2=0.99, epsilon=1e-7),
             lambda n: torch.optim.Adam(n.parameters(), lr=0.01, betas=(0.8, 0.99), eps=1e-7)),
    "Adam defaults": (lambda m: optim.Adam(m),
                      lambda n: torch.optim.Adam(n.parameters(), lr=1e-3)),
    # decoupled decay on weight matrices only (the docstring), so biases go in a 0-decay group
    "AdamW": (lambda m: optim.Adam(m, learning_rate=0.01, weight_decay=0.5),
              lambda n: torch.optim.AdamW(weights_and_biases(n, 0.5), lr=0.01)),
}


@pytest.mark.parametrize("name", PARITY)
def test_20_steps_match_torch(name):
    make_ours, make_theirs = PARITY[name]
    model = our_net()
    net = torch_copy(model)
    assert max_diff(model, net) == 0.0
    train_ours(model, make_ours(model), N_STEPS)
    train_torch(net, make_theirs(net), N_STEPS)
    moved = max(np.max(np.abs(p.data - p0.data))
                for p, p0 in zip(model.parameters(), our_net().parameters()))
    assert moved > 1e-3  # the comparison is not vacuous
    assert max_diff(model, net) < 1e-12


def test_momentum_20_steps_match_notes_formula():
    """v = beta v + (1 - beta) dW, W -= alpha v, by hand in NumPy on torch autograd's dW.

    Note: torch.optim.SGD(lr=alpha * (1 - beta), momentum=beta) (dampening 0) seeds its buffer
    with the raw first gradient; with v starting at zero that is the same path up to the
    factor (1 - beta) folded into lr, so it matches too (next test). The seeding does make a
    difference for SGD(lr=alpha, momentum=beta, dampening=beta), torch's dampened form.
    """
    alpha, beta = 0.1, 0.9
    model = our_net()
    net = torch_copy(model)
    train_ours(model, optim.Momentum(model, learning_rate=alpha, beta=beta), N_STEPS)
    X, y = data()
    v = [np.zeros(tuple(p.shape)) for p in net.parameters()]
    for _ in range(N_STEPS):
        torch_grads(net, X, y)
        with torch.no_grad():
            for p, v_p in zip(net.parameters(), v):
                v_p[...] = beta * v_p + (1 - beta) * p.grad.numpy()
                p -= torch.from_numpy(alpha * v_p)
    assert max_diff(model, net) < 1e-12


def test_momentum_equals_torch_sgd_with_scaled_learning_rate():
    alpha, beta = 0.1, 0.9
    model = our_net()
    net = torch_copy(model)
    train_ours(model, optim.Momentum(model, learning_rate=alpha, beta=beta), N_STEPS)
    train_torch(net, torch.optim.SGD(net.parameters(), lr=alpha * (1 - beta), momentum=beta),
                N_STEPS)
    assert max_diff(model, net) < 1e-12
    # torch's dampened form differs: its buffer starts at dW, the notes' v at (1 - beta) dW
    net = torch_copy(our_net())
    train_torch(net, torch.optim.SGD(net.parameters(), lr=alpha, momentum=beta,
                                     dampening=beta), N_STEPS)
    assert max_diff(model, net) > 1e-3


# ---- frozen parameters, zero_grad, construction, errors --------------------------------------
MAKERS = {
    "GD": lambda p: optim.GD(p, learning_rate=0.1, weight_decay=0.1),
    "Momentum": lambda p: optim.Momentum(p, learning_rate=0.1, weight_decay=0.1),
    "RMSprop": lambda p: optim.RMSprop(p, learning_rate=0.1, weight_decay=0.1),
    "Adam": lambda p: optim.Adam(p, learning_rate=0.1, weight_decay=0.1),
}


@pytest.mark.parametrize("name", MAKERS)
def test_parameters_without_grad_are_skipped(name):
    model = our_net()
    first = model.parameters()[0]
    before = [p.data.copy() for p in model.parameters()]
    opt = MAKERS[name](model)
    X, y = data()
    ds.ops.softmax_cross_entropy(model(ds.Tensor(X)), y).backward()
    first.grad = None  # frozen: not even weight decay may touch it
    opt.step()
    np.testing.assert_array_equal(first.data, before[0])
    for key in type(opt).state_names:
        assert not np.any(getattr(opt, key)[0])
    for p, p0 in zip(model.parameters()[1:], before[1:]):
        assert not np.array_equal(p.data, p0)


def test_zero_grad_sets_grads_to_none():
    model = our_net()
    opt = optim.Adam(model)
    X, y = data()
    ds.ops.softmax_cross_entropy(model(ds.Tensor(X)), y).backward()
    assert all(p.grad is not None for p in model.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_params_from_module_list_generator_or_single_tensor():
    model = our_net()
    params = model.parameters()
    for source in (model, params, iter(params), (p for p in params)):
        opt = optim.RMSprop(source)
        assert len(opt.params) == 4
        assert all(a is b for a, b in zip(opt.params, params))
    W = params[0]  # one Tensor is one parameter, not its rows
    assert optim.GD(W).params[0] is W
    assert "4 params" in repr(optim.Adam(model))


BAD = [
    (optim.GD, {"learning_rate": 0.0}, ValueError, "GD: learning_rate should be > 0"),
    (optim.GD, {"learning_rate": -1.0}, ValueError, "GD: learning_rate"),
    (optim.GD, {"learning_rate": float("nan")}, ValueError, "GD: learning_rate"),
    (optim.GD, {"weight_decay": -0.1}, ValueError, "GD: weight_decay should be >= 0"),
    (optim.Momentum, {"beta": 1.0}, ValueError, r"Momentum: beta should be in \[0, 1\)"),
    (optim.Momentum, {"beta": -0.1}, ValueError, "Momentum: beta"),
    (optim.RMSprop, {"beta2": 1.0}, ValueError, "RMSprop: beta2"),
    (optim.RMSprop, {"epsilon": 0.0}, ValueError, "RMSprop: epsilon should be > 0"),
    (optim.RMSprop, {"learning_rate": 0}, ValueError, "RMSprop: learning_rate"),
    (optim.Adam, {"beta1": 1.0}, ValueError, "Adam: beta1, beta2"),
    (optim.Adam, {"beta2": -0.5}, ValueError, "Adam: beta1, beta2"),
    (optim.Adam, {"epsilon": -1e-8}, ValueError, "Adam: epsilon should be > 0"),
    (optim.Adam, {"learning_rate": -0.001}, ValueError, "Adam: learning_rate"),
]


@pytest.mark.parametrize("cls, kwargs, error, match", BAD)
def test_bad_hyperparameters_raise(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(our_net(), **kwargs)


@pytest.mark.parametrize("cls", [optim.GD, optim.Momentum, optim.RMSprop, optim.Adam])
def test_bad_params_raise(cls):
    name = cls.__name__
    W = our_net().parameters()[0]
    with pytest.raises(ValueError, match=f"{name}: the same parameter appears twice"):
        cls([W, W])
    with pytest.raises(TypeError, match=rf"{name}: params\[1\] should be a Tensor/Parameter, "
                                        r"got ndarray"):
        cls([W, np.ones(3)])


# ---- state_dict / load_state_dict ------------------------------------------------------------
@pytest.mark.parametrize("name", MAKERS)
def test_state_dict_resumes_exactly(name):
    model = our_net()
    opt = MAKERS[name](model)
    train_ours(model, opt, 5)
    state = opt.state_dict()
    twin = copy.deepcopy(model)
    twin_opt = MAKERS[name](twin)
    twin_opt.load_state_dict(state)
    assert twin_opt.t == opt.t == 5
    train_ours(model, opt, 5, seed=1)
    train_ours(twin, twin_opt, 5, seed=1)
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    for key in type(opt).state_names:  # the saved dict holds copies, not the live arrays
        assert not any(np.array_equal(a, b) for a, b in zip(state["state"][key],
                                                              getattr(opt, key)))


def test_state_dict_restores_hyperparameters():
    opt = optim.Adam(our_net(), learning_rate=0.02, beta1=0.8, weight_decay=0.01)
    other = optim.Adam(our_net())
    other.load_state_dict(opt.state_dict())
    assert (other.learning_rate, other.beta1, other.weight_decay) == (0.02, 0.8, 0.01)


def test_load_state_dict_refuses_mismatches():
    model = our_net()
    opt = optim.Adam(model)
    train_ours(model, opt, 1)
    with pytest.raises(ValueError, match="Adam.load_state_dict: state should be for 'Adam', "
                                         "got 'Momentum'"):
        opt.load_state_dict(optim.Momentum(model).state_dict())
    with pytest.raises(TypeError, match="Adam.load_state_dict: state should be a dict"):
        opt.load_state_dict([1, 2])
    with pytest.raises(ValueError, match="Adam.load_state_dict: state is missing"):
        opt.load_state_dict({"type": "Adam"})
    bigger = ds.models.mlp([4, 7, 3], seed=0)
    with pytest.raises(ValueError, match=r"Adam.load_state_dict: v\[0\] should have shape "
                                         r"\(6, 4\), got \(7, 4\)"):
        opt.load_state_dict(optim.Adam(bigger).state_dict())
    with pytest.raises(ValueError, match="'v' should hold 4 arrays, got 2"):
        opt.load_state_dict(optim.Adam(model.parameters()[:2]).state_dict())
    state = opt.state_dict()
    state["state"]["s"][3] = np.zeros(4)
    with pytest.raises(ValueError, match=r"s\[3\] should have shape \(3,\), got \(4,\)"):
        opt.load_state_dict(state)
    assert opt.t == 1  # a refused load changes nothing


# ---- float32 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", MAKERS)
def test_float32_step_keeps_dtype(name):
    model = ds.models.mlp([4, 6, 3], seed=0)  # float32 by default
    assert all(p.dtype == np.float32 for p in model.parameters())
    opt = MAKERS[name](model)
    train_ours(model, opt, 3)
    for p in model.parameters():
        assert p.data.dtype == np.float32 and np.all(np.isfinite(p.data))
    for key in type(opt).state_names:
        assert all(a.dtype == np.float32 for a in getattr(opt, key))


def test_float32_adam_matches_float64():
    ours32 = ds.models.mlp([4, 6, 3], seed=0)
    ours64 = our_net()
    train_ours(ours32, optim.Adam(ours32, learning_rate=0.01), 5)
    train_ours(ours64, optim.Adam(ours64, learning_rate=0.01), 5)
    for p, q in zip(ours32.parameters(), ours64.parameters()):
        assert p.data.dtype == np.float32
        np.testing.assert_allclose(p.data, q.data, rtol=1e-5, atol=1e-6)
