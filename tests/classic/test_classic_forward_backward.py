"""deepspec.classic forward/backward: PyTorch parity, costs, gradient checking, mlp equivalence.

The notes' scaling: classic dW, db are gradients of the mean cost J (torch's .grad), while
classic dA, dZ are per-example gradients, m times torch's .grad of J.
"""

import copy

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import close, draw
from deepspec import classic
from deepspec.models import mlp

TORCH_G = {"sigmoid": torch.sigmoid, "relu": torch.relu, "tanh": torch.tanh}
DIMS = [5, 4, 3, 1]  # a 3-layer net
M = 7


def t(a, grad=True):
    return torch.tensor(np.array(a, dtype=np.float64), requires_grad=grad)


def labels(shape, seed):
    return (np.random.default_rng(seed).random(shape) > 0.5).astype(np.float64)


def deep_parameters(dims=DIMS, seed=0, bias=0.0):
    """He weights; ``bias`` > 0 draws b ~ N(0, bias^2) so no Z sits exactly at ReLU's kink."""
    parameters = classic.initialize_parameters_deep(dims, init="he", seed=seed,
                                                    dtype=np.float64)
    rng = np.random.default_rng(seed + 100)
    for l in range(1, len(dims)):
        parameters[f"b{l}"] += bias * rng.standard_normal(parameters[f"b{l}"].shape)
    return parameters


def torch_forward(X, parameters, masks=None):
    """[LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID in torch, keeping every activation."""
    L = len(parameters) // 2
    tp = {k: t(v) for k, v in parameters.items()}
    A, As = X, [X]
    for l in range(1, L + 1):
        Z = tp[f"W{l}"] @ A + tp[f"b{l}"]
        A = torch.relu(Z) if l < L else torch.sigmoid(Z)
        if masks is not None and l < L:
            A = A * torch.from_numpy(masks[l - 1])
        A.retain_grad()
        As.append(A)
    return As, tp


def torch_cost(AL, Y, tp, lambd, m):
    J = torch.nn.functional.binary_cross_entropy(AL, torch.from_numpy(Y))
    if lambd:
        J = J + lambd / (2 * m) * sum((w * w).sum() for k, w in tp.items() if k[0] == "W")
    return J


# ---- single layers ------------------------------------------------------------------------
def test_linear_forward_backward_matches_torch():
    A, W, b, dZ = draw([(4, M), (3, 4), (3, 1), (3, M)], seed=0)
    Z, cache = classic.linear_forward(A, W, b)
    dA_prev, dW, db = classic.linear_backward(dZ, cache)

    tA, tW, tb = t(A), t(W), t(b)
    tZ = tW @ tA + tb
    tZ.backward(torch.from_numpy(dZ))
    close(Z, tZ)
    close(dA_prev, tA.grad)
    close(dW, tW.grad / M)  # the notes' 1/m
    close(db, tb.grad / M)
    assert cache[0] is A and cache[1] is W and cache[2] is b  # the assignments' (A, W, b)


def test_linear_backward_takes_a_hand_made_cache():
    A, W, b, dZ = draw([(4, M), (3, 4), (3, 1), (3, M)], seed=1)
    _, cache = classic.linear_forward(A, W, b)
    for ours, theirs in zip(classic.linear_backward(dZ, (A, W, b)),
                            classic.linear_backward(dZ, cache)):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
def test_activation_forward_backward_matches_torch(activation):
    Z, dA = draw([(3, M), (3, M)], seed=2)
    A, cache = getattr(classic, activation)(Z)
    assert cache is Z
    dZ = getattr(classic, f"{activation}_backward")(dA, cache)

    tZ = t(Z)
    tA = TORCH_G[activation](tZ)
    tA.backward(torch.from_numpy(dA))
    close(A, tA)
    close(dZ, tZ.grad)


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
def test_linear_activation_forward_backward_matches_torch(activation):
    A_prev, W, b, dA = draw([(4, M), (3, 4), (3, 1), (3, M)], seed=3)
    A, cache = classic.linear_activation_forward(A_prev, W, b, activation)
    dA_prev, dW, db = classic.linear_activation_backward(dA, cache, activation)
    # the activation cache also works with the standalone backward
    dZ = getattr(classic, f"{activation}_backward")(dA, cache[1])

    tA_prev, tW, tb = t(A_prev), t(W), t(b)
    tZ = tW @ tA_prev + tb
    tZ.retain_grad()
    tA = TORCH_G[activation](tZ)
    tA.backward(torch.from_numpy(dA))
    close(A, tA)
    close(dZ, tZ.grad)
    close(dA_prev, tA_prev.grad)
    close(dW, tW.grad / M)
    close(db, tb.grad / M)


# ---- the L-layer model ------------------------------------------------------------------
@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_L_model_forward_backward_matches_torch(lambd):
    parameters = deep_parameters(bias=0.5)
    X = draw([(DIMS[0], M)], seed=4)[0]
    Y = labels((1, M), seed=5)
    AL, caches = classic.L_model_forward(X, parameters)
    cost = classic.compute_cost(AL, Y, parameters, lambd)
    grads = classic.L_model_backward(AL, Y, caches, lambd)

    tX = t(X)
    As, tp = torch_forward(tX, parameters)
    J = torch_cost(As[-1], Y, tp, lambd, M)
    J.backward()
    close(AL, As[-1])
    assert isinstance(cost, float) and abs(cost - J.item()) < 1e-12
    L = len(DIMS) - 1
    for l in range(1, L + 1):
        close(grads[f"dW{l}"], tp[f"W{l}"].grad)
        close(grads[f"db{l}"], tp[f"b{l}"].grad)
        close(grads[f"dA{l - 1}"], M * (tX.grad if l == 1 else As[l - 1].grad))
    assert sorted(grads) == sorted([f"d{p}{l}" for l in range(1, L + 1) for p in "Wb"]
                                   + [f"dA{l}" for l in range(L)])


def test_L_model_with_dropout_draws_the_notes_masks_and_matches_torch():
    parameters, keep_prob = deep_parameters(seed=1), 0.8
    X = draw([(DIMS[0], M)], seed=6)[0]
    Y = labels((1, M), seed=7)
    AL, caches = classic.L_model_forward(X, parameters, keep_prob, seed=3)
    grads = classic.L_model_backward(AL, Y, caches)
    assert [len(c) for c in caches] == [3, 3, 2]  # hidden layers only

    rng = np.random.default_rng(3)  # notes §2.2.3: D = rand(A.shape) < keep_prob
    masks = [(rng.random((n, M)) < keep_prob) / keep_prob for n in DIMS[1:-1]]
    for cache, mask in zip(caches, masks):
        np.testing.assert_array_equal(cache[2].mask, mask)

    tX = t(X)
    As, tp = torch_forward(tX, parameters, masks)
    torch_cost(As[-1], Y, tp, 0.0, M).backward()
    close(AL, As[-1])
    for l in range(1, len(DIMS)):
        close(grads[f"dW{l}"], tp[f"W{l}"].grad)
        close(grads[f"db{l}"], tp[f"b{l}"].grad)
    close(grads["dA0"], M * tX.grad)


def test_L_model_backward_follows_each_cache_activation():
    """Caches from linear_activation_forward with tanh hidden layers backprop through tanh."""
    parameters = deep_parameters(bias=0.5)
    X = draw([(DIMS[0], M)], seed=15)[0]
    Y = labels((1, M), seed=16)
    A, caches, L = X, [], len(DIMS) - 1
    for l in range(1, L + 1):
        A, cache = classic.linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"],
                                                     "tanh" if l < L else "sigmoid")
        caches.append(cache)
    grads = classic.L_model_backward(A, Y, copy.deepcopy(caches))

    tp = {k: t(v) for k, v in parameters.items()}
    tA = torch.from_numpy(X)
    for l in range(1, L + 1):
        tZ = tp[f"W{l}"] @ tA + tp[f"b{l}"]
        tA = torch.tanh(tZ) if l < L else torch.sigmoid(tZ)
    torch_cost(tA, Y, tp, 0.0, M).backward()
    for l in range(1, L + 1):
        close(grads[f"dW{l}"], tp[f"W{l}"].grad)
        close(grads[f"db{l}"], tp[f"b{l}"].grad)


def test_float32_stays_float32():
    parameters = classic.initialize_parameters_deep(DIMS, init="he", seed=0, dtype=np.float32)
    X = draw([(DIMS[0], M)], seed=17)[0].astype(np.float32)
    Y = labels((1, M), seed=18)
    AL, caches = classic.L_model_forward(X, parameters, keep_prob=0.8, seed=0)
    grads = classic.L_model_backward(AL, Y, caches, lambd=0.1)
    assert AL.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    assert np.isfinite(classic.compute_cost(AL, Y, parameters, lambd=0.1))


def test_L_model_forward_without_dropout_is_deterministic():
    parameters = deep_parameters()
    X = draw([(DIMS[0], M)], seed=8)[0]
    AL1, caches = classic.L_model_forward(X, parameters)
    AL2, _ = classic.L_model_forward(X, parameters, 1.0, seed=99)
    np.testing.assert_array_equal(AL1, AL2)
    assert all(len(c) == 2 for c in caches)


def test_L_model_forward_matches_mlp_with_the_same_weights(float64_default):
    dims = [6, 5, 4, 1]
    model = mlp(dims, hidden="relu", output="sigmoid", init="he", seed=0)
    dense = [layer for layer in model if isinstance(layer, ds.nn.Dense)]
    # the same seed draws the same weights
    same = classic.initialize_parameters_deep(dims, init="he", seed=0)
    for l, layer in enumerate(dense, start=1):
        np.testing.assert_array_equal(same[f"W{l}"], layer.W.data)
    # and any weights, copied over (b (n, 1) -> (n,)), give the same AL
    parameters = classic.initialize_parameters_deep(dims, init="xavier", seed=5)
    for l, layer in enumerate(dense, start=1):
        layer.W.data[...] = parameters[f"W{l}"]
        layer.b.data[...] = parameters[f"b{l}"].ravel() + 0.1 * l
        parameters[f"b{l}"] = parameters[f"b{l}"] + 0.1 * l
    X = draw([(dims[0], 9)], seed=9)[0]
    AL, _ = classic.L_model_forward(X, parameters)
    with ds.no_grad():
        out = model(ds.Tensor(X.T)).data  # batch-first: (m, n_y)
    np.testing.assert_allclose(AL, out.T, rtol=1e-12, atol=1e-14)


# ---- cost ----------------------------------------------------------------------------------
def test_compute_cost_values():
    Y, AL = np.array([[1, 1, 0]]), np.array([[0.8, 0.9, 0.4]])
    cost = classic.compute_cost(AL, Y)
    assert isinstance(cost, float)
    assert cost == pytest.approx(-(np.log(0.8) + np.log(0.9) + np.log(0.6)) / 3, rel=1e-14)
    assert cost == pytest.approx(0.2797765635793422, rel=1e-12)  # the assignment's value

    parameters = deep_parameters()
    l2 = sum(np.sum(parameters[f"W{l}"] ** 2) for l in range(1, len(DIMS)))
    assert classic.compute_cost(AL, Y, parameters, lambd=0.1) == pytest.approx(
        cost + 0.1 / (2 * 3) * l2, rel=1e-13)
    assert classic.compute_cost(AL, Y, parameters) == cost  # lambd = 0: no L2 term


def test_compute_cost_is_finite_at_saturated_outputs():
    cost = classic.compute_cost(np.array([[1.0, 0.0]]), np.array([[0, 1]]))
    assert np.isfinite(cost) and cost > 20


# ---- gradient checking ----------------------------------------------------------------------
@pytest.mark.parametrize("lambd", [0.0, 0.5])
def test_gradient_check_n_passes_on_a_deep_net(lambd):
    dims = [4, 5, 3, 2, 1]
    parameters = deep_parameters(dims, seed=2, bias=0.5)
    X = draw([(dims[0], 6)], seed=10)[0]
    Y = labels((1, 6), seed=11)
    AL, caches = classic.L_model_forward(X, parameters)
    grads = classic.L_model_backward(AL, Y, caches, lambd)
    assert classic.gradient_check_n(parameters, grads, X, Y, lambd=lambd) < 2e-7


def test_gradient_check_n_flags_a_corrupted_gradient(capsys):
    parameters = deep_parameters(seed=3, bias=0.5)
    X = draw([(DIMS[0], 6)], seed=12)[0]
    Y = labels((1, 6), seed=13)
    AL, caches = classic.L_model_forward(X, parameters)
    grads = classic.L_model_backward(AL, Y, caches)
    assert classic.gradient_check_n(parameters, grads, X, Y, print_msg=True) < 2e-7
    assert "works perfectly fine" in capsys.readouterr().out
    grads["dW2"] = grads["dW2"].copy()
    grads["dW2"][1, 2] += 0.05
    assert classic.gradient_check_n(parameters, grads, X, Y, print_msg=True) > 1e-3
    assert "There is a mistake" in capsys.readouterr().out


def test_dictionary_vector_round_trip():
    parameters = deep_parameters()
    theta, keys = classic.dictionary_to_vector(parameters)
    n = sum(v.size for v in parameters.values())
    assert theta.shape == (n, 1) and len(keys) == n
    assert keys[:DIMS[1] * DIMS[0]] == ["W1"] * (DIMS[1] * DIMS[0])
    assert keys[DIMS[1] * DIMS[0]] == "b1"
    for back in (classic.vector_to_dictionary(theta, DIMS),
                 classic.vector_to_dictionary(theta, {k: v.shape for k, v in parameters.items()})):
        assert list(back) == list(parameters)
        for k in parameters:
            np.testing.assert_array_equal(back[k], parameters[k])
    grads = {"d" + k: v for k, v in parameters.items()} | {"dA0": np.ones((5, 2))}
    np.testing.assert_array_equal(classic.gradients_to_vector(grads), theta)


# ---- initialization ---------------------------------------------------------------------------
def test_initialize_parameters_shapes_scale_and_seed():
    p = classic.initialize_parameters(3, 200, 100, seed=0, dtype=np.float64)
    assert p["W1"].shape == (200, 3) and p["b1"].shape == (200, 1)
    assert p["W2"].shape == (100, 200) and p["b2"].shape == (100, 1)
    assert np.std(p["W2"]) == pytest.approx(0.01, rel=0.05)
    assert not p["b1"].any() and not p["b2"].any()
    again = classic.initialize_parameters(3, 200, 100, seed=0, dtype=np.float64)
    np.testing.assert_array_equal(p["W2"], again["W2"])


@pytest.mark.parametrize(("init", "scale"), [("random", lambda n: 0.01),
                                             ("he", lambda n: np.sqrt(2 / n)),
                                             ("xavier", lambda n: np.sqrt(1 / n)),
                                             ("zeros", lambda n: 0.0)])
def test_initialize_parameters_deep_scales(init, scale):
    p = classic.initialize_parameters_deep([300, 200, 1], init=init, seed=0)
    assert p["W1"].dtype == ds.get_default_dtype()
    assert np.std(p["W1"]) == pytest.approx(scale(300), rel=0.05, abs=1e-12)
    assert p["b1"].shape == (200, 1) and not p["b1"].any()


# ---- errors ---------------------------------------------------------------------------------
def test_errors_name_the_function_and_the_shapes():
    A, W, b = draw([(4, M), (3, 4), (3, 1)], seed=14)
    with pytest.raises(ValueError, match=r"linear_forward: .*W \(3, 5\).*A \(4, 7\)"):
        classic.linear_forward(A, np.zeros((3, 5)), b)
    with pytest.raises(ValueError, match=r"linear_forward: .*b \(3,\)"):
        classic.linear_forward(A, W, b.ravel())
    with pytest.raises(ValueError, match=r"activation should be one of \['relu', 'sigmoid', "
                                         r"'tanh'\], got 'softplus'"):
        classic.linear_activation_forward(A, W, b, "softplus")
    _, cache = classic.linear_forward(A, W, b)
    with pytest.raises(ValueError,
                       match=r"linear_backward: dZ should have shape .*\(3, 7\).*got \(3, 6\)"):
        classic.linear_backward(np.zeros((3, 6)), cache)
    with pytest.raises(ValueError, match=r"relu_backward: dA should have the shape of Z"):
        classic.relu_backward(np.zeros((2, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"compute_cost: .*AL \(1, 3\) and Y \(3,\)"):
        classic.compute_cost(np.full((1, 3), 0.5), np.ones(3))
    with pytest.raises(ValueError, match="compute_cost: lambd > 0 needs the parameters"):
        classic.compute_cost(np.full((1, 3), 0.5), np.ones((1, 3)), lambd=0.1)
    parameters = deep_parameters()
    with pytest.raises(ValueError, match=r"L_model_forward: layer 1: W1 \(4, 5\) needs A0"):
        classic.L_model_forward(np.zeros((3, 2)), parameters)
    with pytest.raises(ValueError, match="L_model_forward: parameters should hold W1, b1"):
        classic.L_model_forward(np.zeros((5, 2)), {"W1": W})
    with pytest.raises(ValueError, match=r"keep_prob should be in \(0, 1\]"):
        classic.L_model_forward(np.zeros((5, 2)), parameters, keep_prob=0.0)
    AL, caches = classic.L_model_forward(np.zeros((5, 2)), parameters)
    with pytest.raises(ValueError, match=r"L_model_backward: .*AL \(1, 2\) and Y \(1, 3\)"):
        classic.L_model_backward(AL, np.zeros((1, 3)), caches)
    with pytest.raises(ValueError, match=r"initialize_parameters_deep: init should be one of"):
        classic.initialize_parameters_deep([2, 1], init="glorot")
    with pytest.raises(ValueError, match=r"vector_to_dictionary: theta should hold 3 values"):
        classic.vector_to_dictionary(np.zeros((4, 1)), [2, 1])
