"""deepspec.classic updates, mini-batches and training: torch.optim parity, the notes' loops."""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

from conftest import close, draw
from deepspec import classic

DIMS = [3, 4, 2, 1]


def parameters_and_grads(seed=0):
    parameters = classic.initialize_parameters_deep(DIMS, init="he", seed=seed, dtype=np.float64)
    grads = {"d" + k: g for k, g in zip(parameters, draw([v.shape for v in parameters.values()],
                                                        seed=seed + 1))}
    return parameters, grads


def rings(m, seed):
    """Two classes, a disk (r < 1) inside a ring (1.6 < r < 2.5): separable, not linearly."""
    rng = np.random.default_rng(seed)
    r = np.concatenate([rng.uniform(0, 1, m // 2), rng.uniform(1.6, 2.5, m - m // 2)])
    theta = rng.uniform(0, 2 * np.pi, m)
    X = np.stack([r * np.cos(theta), r * np.sin(theta)])
    return X, (r > 1.3).astype(np.float64).reshape(1, m)


# ---- update rules ----------------------------------------------------------------------------
def test_update_parameters_is_the_notes_step_and_leaves_its_inputs_alone():
    parameters, grads = parameters_and_grads()
    saved = {k: v.copy() for k, v in parameters.items()}
    new = classic.update_parameters(parameters, grads, learning_rate=0.1)
    for k in parameters:
        np.testing.assert_array_equal(new[k], saved[k] - 0.1 * grads["d" + k])
        np.testing.assert_array_equal(parameters[k], saved[k])


def test_momentum_follows_the_notes_formula():
    parameters, _ = parameters_and_grads()
    v = classic.initialize_velocity(parameters)
    assert sorted(v) == sorted("d" + k for k in parameters) and not any(a.any() for a in v.values())
    beta, learning_rate = 0.9, 0.05
    W, v_W = parameters["W2"].copy(), np.zeros_like(parameters["W2"])
    for step in range(3):
        _, grads = parameters_and_grads(seed=10 * step)
        parameters, v = classic.update_parameters_with_momentum(parameters, grads, v, beta,
                                                                learning_rate)
        v_W = beta * v_W + (1 - beta) * grads["dW2"]  # notes §2.4.3
        W = W - learning_rate * v_W
        np.testing.assert_allclose(v["dW2"], v_W, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(parameters["W2"], W, rtol=1e-14, atol=1e-15)


def test_adam_first_step_moves_each_weight_by_about_the_learning_rate():
    parameters, grads = parameters_and_grads()
    v, s = classic.initialize_adam(parameters)
    new, v, s = classic.update_parameters_with_adam(parameters, grads, v, s, t=1,
                                                    learning_rate=0.01)
    for k in parameters:
        np.testing.assert_allclose(new[k] - parameters[k], -0.01 * np.sign(grads["d" + k]),
                                   rtol=1e-5)
        np.testing.assert_allclose(v["d" + k], 0.1 * grads["d" + k], rtol=1e-14)


def test_adam_20_training_steps_match_torch_optim_adam():
    X = draw([(DIMS[0], 16)], seed=3)[0]
    Y = (np.random.default_rng(4).random((1, 16)) > 0.5).astype(np.float64)
    parameters, _ = parameters_and_grads(seed=5)
    params_t = {k: torch.tensor(a.copy(), requires_grad=True) for k, a in parameters.items()}
    opt = torch.optim.Adam(params_t.values(), lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    v, s = classic.initialize_adam(parameters)
    L = len(DIMS) - 1
    for t in range(1, 21):
        AL, caches = classic.L_model_forward(X, parameters)
        grads = classic.L_model_backward(AL, Y, caches)
        parameters, v, s = classic.update_parameters_with_adam(parameters, grads, v, s, t,
                                                               learning_rate=0.01)
        A = torch.from_numpy(X)
        for l in range(1, L + 1):
            Z = params_t[f"W{l}"] @ A + params_t[f"b{l}"]
            A = torch.relu(Z) if l < L else torch.sigmoid(Z)
        opt.zero_grad()
        torch.nn.functional.binary_cross_entropy(A, torch.from_numpy(Y)).backward()
        opt.step()
    for k in parameters:
        close(parameters[k], params_t[k])


def test_update_errors_name_the_function_and_the_key():
    parameters, grads = parameters_and_grads()
    bad = dict(grads, dW2=np.zeros((1, 1)))
    with pytest.raises(ValueError, match=r"update_parameters: grads\['dW2'\] should have "
                                         r"W2's shape \(2, 4\), got \(1, 1\)"):
        classic.update_parameters(parameters, bad, 0.1)
    with pytest.raises(ValueError, match=r"update_parameters: grads should hold 'db3'"):
        classic.update_parameters(parameters, {k: g for k, g in grads.items() if k != "db3"}, 1)
    v, s = classic.initialize_adam(parameters)
    with pytest.raises(ValueError, match=r"update_parameters_with_adam: t .* got 0"):
        classic.update_parameters_with_adam(parameters, grads, v, s, 0)
    with pytest.raises(ValueError, match=r"update_parameters_with_momentum: beta should be"):
        classic.update_parameters_with_momentum(parameters, grads, v, 1.0, 0.1)


# ---- mini-batches ------------------------------------------------------------------------------
def test_random_mini_batches_sizes_pairing_and_determinism():
    m = 148
    X = np.arange(2 * m, dtype=np.float64).reshape(2, m)
    Y = np.arange(m).reshape(1, m)
    batches = classic.random_mini_batches(X, Y, mini_batch_size=64, seed=0)
    assert [b[0].shape for b in batches] == [(2, 64), (2, 64), (2, 20)]
    assert [b[1].shape for b in batches] == [(1, 64), (1, 64), (1, 20)]
    columns = np.concatenate([b[1] for b in batches], axis=1).ravel()
    assert sorted(columns) == list(range(m)) and list(columns) != list(range(m))
    for X_t, Y_t in batches:  # columns stay paired with their labels
        np.testing.assert_array_equal(X_t[1], X[1, Y_t[0]])
    again = classic.random_mini_batches(X, Y, mini_batch_size=64, seed=0)
    other = classic.random_mini_batches(X, Y, mini_batch_size=64, seed=1)
    for (a, b), (c, d) in zip(batches, again):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    assert not np.array_equal(batches[0][1], other[0][1])
    # the notes' permutation: X[:, permutation] with a seeded permutation
    permutation = np.random.default_rng(0).permutation(m)
    np.testing.assert_array_equal(columns, permutation)
    whole = classic.random_mini_batches(X, Y, mini_batch_size=64 * 3, seed=0)
    assert len(whole) == 1 and whole[0][0].shape == (2, m)


def test_random_mini_batches_errors():
    with pytest.raises(ValueError, match=r"random_mini_batches: .*X \(2, 5\) and Y \(1, 4\)"):
        classic.random_mini_batches(np.zeros((2, 5)), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="mini_batch_size should be a positive integer"):
        classic.random_mini_batches(np.zeros((2, 5)), np.zeros((1, 5)), mini_batch_size=0)


# ---- end to end ---------------------------------------------------------------------------------
def test_the_notes_loop_learns_a_two_class_problem(capsys):
    """The notes' batch gradient-descent loop: forward, cost, backward, update (course 1)."""
    X, Y = rings(300, seed=0)
    X_test, Y_test = rings(200, seed=1)
    parameters = classic.initialize_parameters_deep([2, 4, 1], init="he", seed=3,
                                                    dtype=np.float64)
    costs = []
    for _ in range(1500):
        AL, caches = classic.L_model_forward(X, parameters)
        costs.append(classic.compute_cost(AL, Y))
        grads = classic.L_model_backward(AL, Y, caches)
        parameters = classic.update_parameters(parameters, grads, learning_rate=0.5)
    assert costs[-1] < 0.05 < 0.5 < costs[0]
    p = classic.predict(X_test, Y_test, parameters)
    assert p.shape == (1, 200) and set(np.unique(p)) <= {0, 1}
    accuracy = float(capsys.readouterr().out.split("Accuracy:")[1])
    assert accuracy >= 0.97


@pytest.mark.parametrize(("optimizer", "learning_rate"),
                         [("gd", 0.3), ("momentum", 0.3), ("adam", 0.01)])
def test_model_trains_with_each_optimizer(optimizer, learning_rate):
    X, Y = rings(300, seed=2)
    X_test, Y_test = rings(200, seed=3)
    parameters, costs = classic.model(X, Y, [2, 8, 1], optimizer=optimizer,
                                      learning_rate=learning_rate, num_epochs=200,
                                      mini_batch_size=64, seed=1)
    assert len(costs) == 200 and costs[-1] < 0.1 < costs[0]
    _, accuracy = classic.predict(X_test, Y_test, parameters, verbose=False,
                                  return_accuracy=True)
    assert accuracy >= 0.97
    again, _ = classic.model(X, Y, [2, 8, 1], optimizer=optimizer, learning_rate=learning_rate,
                             num_epochs=3, mini_batch_size=64, seed=1)
    twice, _ = classic.model(X, Y, [2, 8, 1], optimizer=optimizer, learning_rate=learning_rate,
                             num_epochs=3, mini_batch_size=64, seed=1)
    np.testing.assert_array_equal(again["W1"], twice["W1"])  # seeded: reproducible


def test_model_with_l2_and_dropout_still_learns():
    X, Y = rings(300, seed=4)
    parameters, costs = classic.model(X, Y, [2, 16, 8, 1], optimizer="adam",
                                      learning_rate=0.01, num_epochs=150, lambd=0.1,
                                      keep_prob=0.9, seed=2)
    _, accuracy = classic.predict(X, Y, parameters, verbose=False, return_accuracy=True)
    assert accuracy >= 0.95 and costs[-1] < costs[0]


def test_model_rejects_an_unknown_optimizer():
    with pytest.raises(ValueError, match=r"model: optimizer should be one of \['gd', "
                                         r"'momentum', 'adam'\], got 'sgd'"):
        classic.model(np.zeros((2, 4)), np.zeros((1, 4)), [2, 1], optimizer="sgd")
