"""Networks trained side by side (recipes.stacked): each variant takes exactly the steps it
would take alone, checked against the notes' functions, central differences and PyTorch."""

import math

import numpy as np
import pytest
import torch

from conftest import GRADCHECK_TOL, close
from deepspec import classic
from deepspec.gradcheck import relative_difference
from deepspec.optim import GD, Adam, Momentum, staircase
from deepspec.recipes.stacked import (
    Nets,
    assignment_parameters,
    assignment_shuffles,
    print_table,
    train,
)


def he(n_prev):
    return math.sqrt(2 / n_prev)


def toy_data(m=50, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(np.int64)


def notes_run(parameters, X, y, kind, learning_rate, epochs, batches, *, lambd=0.0,
              schedule=None):
    """The notes' loop with deepspec.classic: L_model_forward, L_model_backward, update."""
    p = {k: v.copy() for k, v in parameters.items()}
    v, s = classic.initialize_adam(p)
    t = 0
    for epoch in range(epochs):
        alpha = learning_rate if schedule is None else schedule(epoch)
        for index in batches(epoch):
            AL, caches = classic.L_model_forward(X[index].T, p)
            grads = classic.L_model_backward(AL, y[index].reshape(1, -1).astype(float), caches,
                                             lambd)
            t += 1
            if kind == "gd":
                p = classic.update_parameters(p, grads, alpha)
            elif kind == "momentum":
                p, v = classic.update_parameters_with_momentum(p, grads, v, 0.9, alpha)
            else:
                p, v, s = classic.update_parameters_with_adam(p, grads, v, s, t, alpha)
    return p


def test_each_variant_takes_the_steps_it_would_take_alone():
    X, y = toy_data()
    small = assignment_parameters([2, 3, 2, 1], he, 3)     # padded to the widest variant
    wide = assignment_parameters([2, 6, 4, 1], he, 4)
    batches = assignment_shuffles(len(X), 16, seed=10)
    decay = staircase(0.2, 1.0, interval=4)
    nets = Nets([small, wide, small, wide])
    assert nets.dims == [2, 6, 4, 1]
    train(nets, X, y, [lambda p: GD(p, 0.1), lambda p: Adam(p, 0.01),
                       lambda p: Momentum(p, 0.05, beta=0.9), lambda p: GD(p, 0.2)],
          epochs=[12, 12, 7, 12], batches=batches, lambd=[0.0, 0.0, 0.3, 0.0],
          schedules=[None, None, None, decay], quiet=True)
    expected = [notes_run(small, X, y, "gd", 0.1, 12, batches),
                notes_run(wide, X, y, "adam", 0.01, 12, batches),
                notes_run(small, X, y, "momentum", 0.05, 7, batches, lambd=0.3),
                notes_run(wide, X, y, "gd", 0.2, 12, batches, schedule=decay)]
    for j, reference in enumerate(expected):
        ours = nets.parameters(j)
        assert ours.keys() == reference.keys()
        for key in reference:
            np.testing.assert_allclose(ours[key], reference[key], rtol=1e-12, atol=1e-14)
    # the padding units of the small variants stayed exactly zero
    for j in (0, 2):
        assert not nets.W[0][j, 3:].any() and not nets.W[1][j, :, 3:].any()
        assert not nets.W[1][j, 2:].any() and not nets.W[2][j, :, 2:].any()
        assert not nets.b[0][j, 0, 3:].any() and not nets.b[1][j, 0, 2:].any()


def test_tanh_variants_match_the_notes_two_layer_network():
    X, y = toy_data(40, seed=1)
    parameters = assignment_parameters([2, 4, 1], 0.5, 2)
    nets = Nets([parameters], hidden="tanh")
    Z, steps = nets.forward(X)
    J, loss = nets.cost(Z, y)
    nets.backward(loss.backward(1 / len(X)), steps)
    A1, cache1 = classic.linear_activation_forward(X.T, parameters["W1"], parameters["b1"], "tanh")
    A2, cache2 = classic.linear_activation_forward(A1, parameters["W2"], parameters["b2"],
                                                   "sigmoid")
    Y = y.reshape(1, -1).astype(float)
    grads = classic.L_model_backward(A2, Y, [cache1, cache2])
    assert J[0] == pytest.approx(classic.compute_cost(A2, Y), rel=1e-12)
    np.testing.assert_allclose(nets.dW[0][0], grads["dW1"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(nets.db[0][0, 0], grads["db1"].ravel(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(nets.dW[1][0], grads["dW2"], rtol=1e-10, atol=1e-14)


def stacked_cost(nets, X, y, *, lambd, keep_prob, seed):
    Z, steps = nets.forward(X, keep_prob, np.random.default_rng(seed))
    J, loss = nets.cost(Z, y, lambd)
    return J, loss, steps


def test_gradients_match_central_differences_with_l2_and_dropout():
    X, y = toy_data(20, seed=2)
    variants = [assignment_parameters([2, 5, 3, 1], he, s) for s in (1, 2, 3)]
    rng = np.random.default_rng(0)
    for p in variants:  # b = 0 would put Z[2] exactly at ReLU's kink where all of A[1] is 0
        for key in ("b1", "b2", "b3"):
            p[key] = rng.standard_normal(p[key].shape) * 0.1
    nets = Nets(variants)
    lambd, keep_prob = [0.0, 0.7, 0.2], [1.0, 1.0, 0.6]    # the same masks every evaluation
    J, loss, steps = stacked_cost(nets, X, y, lambd=lambd, keep_prob=keep_prob, seed=5)
    nets.backward(loss.backward(1 / len(X)), steps, lambd)
    analytic = nets.grads.copy()
    numeric = np.zeros_like(nets.theta)
    eps = 1e-6
    for index in np.ndindex(nets.theta.shape):
        saved = nets.theta[index]
        nets.theta[index] = saved + eps
        plus = stacked_cost(nets, X, y, lambd=lambd, keep_prob=keep_prob, seed=5)[0].sum()
        nets.theta[index] = saved - eps
        minus = stacked_cost(nets, X, y, lambd=lambd, keep_prob=keep_prob, seed=5)[0].sum()
        nets.theta[index] = saved
        numeric[index] = (plus - minus) / (2 * eps)
    for j in range(3):
        assert relative_difference(analytic[j], numeric[j]) < GRADCHECK_TOL


def test_forward_backward_match_pytorch():
    X, y = toy_data(30, seed=3)
    variants = [assignment_parameters([2, 4, 3, 1], he, s) for s in (5, 6)]
    lambd = [0.0, 0.4]
    nets = Nets(variants)
    Z, steps = nets.forward(X)
    J, loss = nets.cost(Z, y, lambd)
    nets.backward(loss.backward(1 / len(X)), steps, lambd)
    for j, p in enumerate(variants):
        W = [torch.tensor(p[f"W{l}"], requires_grad=True) for l in (1, 2, 3)]
        b = [torch.tensor(p[f"b{l}"].ravel(), requires_grad=True) for l in (1, 2, 3)]
        A = torch.tensor(X)
        for l in range(3):
            A = A @ W[l].T + b[l]
            if l < 2:
                A = torch.relu(A)
        target = torch.tensor(y, dtype=torch.float64)
        cost = torch.nn.functional.binary_cross_entropy_with_logits(A[:, 0], target)
        cost = cost + lambd[j] / (2 * len(X)) * sum((w ** 2).sum() for w in W)
        cost.backward()
        close(Z[j], A[:, 0].detach())
        assert J[j] == pytest.approx(cost.item(), rel=1e-12)
        for l in range(3):
            close(nets.dW[l][j], W[l].grad)
            close(nets.db[l][j, 0], b[l].grad)


def test_keep_prob_one_is_no_dropout_and_finished_variants_stop():
    X, y = toy_data(30, seed=4)
    p = assignment_parameters([2, 4, 2, 1], he, 3)
    plain, dropped = Nets([p, p]), Nets([p, p])
    costs = train(plain, X, y, [lambda q: GD(q, 0.1)] * 2, epochs=[5, 2], quiet=True)
    train(dropped, X, y, [lambda q: GD(q, 0.1)] * 2, epochs=[5, 2], keep_prob=[1.0, 1.0],
          quiet=True)
    np.testing.assert_array_equal(plain.theta, dropped.theta)
    assert [len(c) for c in costs] == [5, 2]
    two = Nets([p])
    train(two, X, y, [lambda q: GD(q, 0.1)], epochs=2, quiet=True)
    np.testing.assert_array_equal(plain.theta[1], two.theta[0])   # stopped after its 2 epochs


def test_assignment_draws_and_shuffles():
    p = assignment_parameters([2, 3, 1], he, 3)
    random_state = np.random.RandomState(3)           # np.random.seed(3), then randn per layer
    np.testing.assert_array_equal(p["W1"], random_state.randn(3, 2) * math.sqrt(2 / 2))
    np.testing.assert_array_equal(p["W2"], random_state.randn(1, 3) * math.sqrt(2 / 3))
    assert not p["b1"].any() and p["b1"].shape == (3, 1)
    batches = assignment_shuffles(10, 4, seed=10)(0)
    np.testing.assert_array_equal(np.concatenate(batches), np.random.RandomState(11)
                                  .permutation(10))
    assert [len(b) for b in batches] == [4, 4, 2]


def test_bad_inputs_are_refused():
    p = assignment_parameters([2, 3, 1], 0.1, 0)
    with pytest.raises(ValueError, match="Nets: hidden should be one of"):
        Nets([p], hidden="gelu")
    with pytest.raises(ValueError, match="Nets: every variant should have the same number"):
        Nets([p, assignment_parameters([2, 3, 3, 1], 0.1, 0)])
    with pytest.raises(ValueError, match="Nets: variant 1 should have W"):
        Nets([p, assignment_parameters([3, 3, 1], 0.1, 0)])
    with pytest.raises(ValueError, match="one output unit"):
        Nets([assignment_parameters([2, 3, 2], 0.1, 0)])
    with pytest.raises(ValueError, match=r"b shapes \[\(2, 1\), \(1, 1\)\]"):
        Nets([{**p, "b1": np.zeros((2, 1))}])
    nets = Nets([p, p])
    with pytest.raises(ValueError, match=r"Nets: X should have shape \(m, 2\), got \(4, 3\)"):
        nets.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="train: epochs should hold one entry per variant"):
        train(nets, np.zeros((4, 2)), np.zeros(4), [lambda q: GD(q)] * 2, epochs=[1],
              quiet=True)
    with pytest.raises(ValueError, match="train: X and y should hold the same number"):
        train(nets, np.zeros((4, 2)), np.zeros(3), [lambda q: GD(q)] * 2, epochs=1,
              quiet=True)
    with pytest.raises(ValueError, match="Nets.save: names should be 2 distinct names"):
        nets.save("unused.npz", ["a", "a"])


def test_print_table(capsys):
    print_table(["name", "accuracy %", "cost"], [["he", 0.96, 0.0648], ["zeros", 0.5, None]])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "accuracy", "%", "cost"]
    assert lines[1].split() == ["he", "96.00", "0.0648"]
    assert lines[2].split() == ["zeros", "50.00", "None"]
