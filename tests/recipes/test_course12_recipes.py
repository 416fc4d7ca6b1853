"""The course 1-2 recipes reach the course's numbers with their default seed and options.

Each recipe runs once with its defaults (the course's settings), writing its plot and, where
it has models, its checkpoint into tmp_path; the test checks the numbers against the
course's (stated beside each tolerance), the PNG, and that the checkpoint reproduces them.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import deepspec as ds
from deepspec import classic
from deepspec.recipes import (
    RECIPES,
    batchnorm,
    gradient_checking,
    initialization,
    optimization,
    planar,
    regularization,
    timed_run,
)

PNG = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    with open(path, "rb") as f:
        head = f.read(8)
    assert head == PNG and os.path.getsize(path) > 5000


def load_variant(path, name):
    """The notes' parameter dict of one network saved by Nets.save."""
    state = ds.load(path).state
    return {key.split("/")[1]: value for key, value in state.items()
            if key.startswith(name + "/")}


def notes_accuracy(parameters, X, y, hidden="relu"):
    """Accuracy of saved parameters through deepspec.classic (the notes' forward pass)."""
    A = X.T
    L = len(parameters) // 2
    for l in range(1, L + 1):
        activation = hidden if l < L else "sigmoid"
        A, _ = classic.linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"],
                                                 activation)
    return float(np.mean((A[0] > 0.5) == y))


def test_logreg_planar_is_the_course_47_percent(tmp_path):
    results = planar.run_logreg(quiet=True, plot=tmp_path / "logreg.png")
    assert results["accuracy"] == pytest.approx(0.47, abs=0.005)       # course: 47%
    assert_png(tmp_path / "logreg.png")
    assert RECIPES["logreg-planar"].format(results) == "47.0%"


def test_planar_2layer_and_its_sweep(tmp_path):
    results = planar.run_planar(quiet=True, plot=tmp_path / "planar.png",
                                save=tmp_path / "planar.npz")
    # course: "Accuracy: 90%" (4 tanh units, 10000 iterations, learning rate 1.2)
    assert 0.89 <= results["accuracy"] <= 0.92
    # the assignment's printed costs at iterations 0 and 1000
    assert results["costs_every_1000"][:2] == pytest.approx([0.693048, 0.288083], abs=2e-6)
    course = {"1": 0.675, "2": 0.6725, "3": 0.9075, "4": 0.905, "5": 0.9125, "20": 0.90,
              "50": 0.9075}
    assert results["sweep"].keys() == course.keys()
    for n_h, accuracy in course.items():           # within one point (4 of 400) of the course
        assert results["sweep"][n_h] == pytest.approx(accuracy, abs=0.01), n_h
    assert_png(tmp_path / "planar.png")
    X, y = planar.flower()
    saved = load_variant(tmp_path / "planar.npz", "main_4")
    assert saved["W1"].shape == (4, 2)
    assert notes_accuracy(saved, X, y, hidden="tanh") == results["accuracy"]
    assert json.loads(json.dumps(results)) == results


def test_init_circles_zeros_random_he(tmp_path):
    results = initialization.run_init(quiet=True, plot=tmp_path / "init.png",
                                      save=tmp_path / "init.npz")
    train, test = results["train"], results["test"]
    assert train["zeros"] == test["zeros"] == 0.5                     # course: 50% / 50%
    assert train["random"] == pytest.approx(0.83, abs=0.02)          # course: 83%
    assert test["random"] == pytest.approx(0.86, abs=0.02)           # course: 86%
    assert train["he"] >= 0.98 and test["he"] >= 0.93                 # course: 99.3% / 96%
    assert results["test_accuracy"] == test["he"]
    assert results["cost_first"]["he"] == pytest.approx(0.883054, abs=1e-6)   # the assignment's
    assert_png(tmp_path / "init.png")
    X, y, X_test, y_test = initialization.circles()
    assert notes_accuracy(load_variant(tmp_path / "init.npz", "he"), X_test, y_test) == test["he"]
    assert RECIPES["init-circles"].format(results).count("%") == 3


def test_optim_moons_gd_momentum_adam_and_decay(tmp_path):
    results = optimization.run_optim(quiet=True, plot=tmp_path / "optim.png",
                                     save=tmp_path / "optim.npz")
    accuracy = results["by_optimizer"]
    assert accuracy["gd"] == pytest.approx(0.797, abs=0.01)          # course: 79.7%
    assert accuracy["momentum"] == pytest.approx(0.797, abs=0.01)    # course: 79.7%
    assert accuracy["adam"] == pytest.approx(0.94, abs=0.01)         # course: 94%
    # course (later edition, 5000 epochs with scheduled decay): ~94.6% / 95.6% / 94%
    assert accuracy["gd+decay"] >= 0.93 and accuracy["momentum+decay"] >= 0.94
    assert accuracy["adam+decay"] == pytest.approx(0.94, abs=0.01)
    assert results["epochs"]["gd"] == 10000 and results["epochs"]["adam+decay"] == 5000
    assert_png(tmp_path / "optim.png")
    X, y = optimization.moons()
    saved = load_variant(tmp_path / "optim.npz", "adam")
    assert notes_accuracy(saved, X, y) == accuracy["adam"]


def test_regularization_closes_the_gap(tmp_path):
    results = regularization.run_regularization(quiet=True, plot=tmp_path / "reg.png",
                                                save=tmp_path / "reg.npz")
    train, test = results["train_accuracy"], results["test_accuracy"]
    # course: none 94.8% / 91.5%, L2 93.8% / 93%, dropout 92.9% / 95%: the plain network
    # fits the training set best and the test set worst; both regularizers trade a little
    # training accuracy for test accuracy
    assert train["none"] - test["none"] > 0.1
    for name in ("l2", "dropout"):
        assert train[name] < train["none"]
        assert test[name] > test["none"] + 0.02
    assert_png(tmp_path / "reg.png")
    X_test, y_test = regularization.noisy_wave(1000, seed=regularization.TEST_SEED)
    assert notes_accuracy(load_variant(tmp_path / "reg.npz", "l2"), X_test, y_test) == test["l2"]


def test_regularization_same_seed_same_results():
    a = regularization.run_regularization(seed=1, epochs=30, quiet=True)
    assert a == regularization.run_regularization(seed=1, epochs=30, quiet=True)
    assert a != regularization.run_regularization(seed=2, epochs=30, quiet=True)


def test_batchnorm_speeds_up_learning(tmp_path):
    results = batchnorm.run_batchnorm(quiet=True, plot=tmp_path / "bn.png",
                                      save=tmp_path / "bn.npz")
    reached = results["epochs_to_target"]
    # course: batch norm speeds up learning; the plain network may not reach the target
    assert reached["batch_norm"] is not None
    assert reached["plain"] is None or reached["batch_norm"] < reached["plain"]
    assert results["dev_accuracy"]["batch_norm"] > 0.85
    assert_png(tmp_path / "bn.png")
    checkpoint = ds.load(tmp_path / "bn.npz")
    assert checkpoint.metadata["recipe"] == "batchnorm"
    X, y = ds.data.load_digits()
    scores = ds.evaluate(checkpoint.model, X[batchnorm.TRAIN_SIZE:], y[batchnorm.TRAIN_SIZE:],
                         loss="softmax_cross_entropy", metrics=["accuracy"])
    assert scores["accuracy"] == pytest.approx(results["dev_accuracy"]["batch_norm"])


def test_gradcheck_passes_and_catches_the_planted_bugs(tmp_path):
    results = gradient_checking.run_gradcheck(quiet=True, plot=tmp_path / "gc.png")
    assert results["difference"] < 2e-7                  # course: < 2e-7 (1.19e-7 printed)
    assert results["broken_difference"] == pytest.approx(0.2850931567761624, rel=1e-6)
    assert results["l2_difference"] < 2e-7 and results["layers_difference"] < 2e-7
    assert results["layers_broken_difference"] > 1e-3
    assert results["flagged"] == [results["broken_parameter"]] == ["2.W"]
    assert results["detected"] is True
    assert_png(tmp_path / "gc.png")
    with pytest.raises(ValueError, match="gradcheck: there is no trained model to save"):
        gradient_checking.run_gradcheck(quiet=True, save=tmp_path / "x.npz")
    with pytest.raises(ValueError, match="gradcheck: nothing is trained"):
        gradient_checking.run_gradcheck(quiet=True, epochs=3)


def test_planted_bugs_are_the_assignments():
    X, Y, parameters = gradient_checking.assignment_case()
    AL, caches = classic.L_model_forward(X, parameters)
    grads = classic.L_model_backward(AL, Y, caches)
    broken = gradient_checking.planted_bugs(grads)
    np.testing.assert_array_equal(broken["dW2"], 2 * grads["dW2"])
    np.testing.assert_array_equal(broken["db1"], 4 * grads["db1"])
    assert all(np.array_equal(broken[k], grads[k]) for k in grads if k not in ("dW2", "db1"))


def test_tables_print_unless_quiet(capsys):
    planar.run_logreg(epochs=5)
    out = capsys.readouterr().out
    assert "logistic regression" in out and "training accuracy %" in out
    planar.run_logreg(epochs=5, quiet=True)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("call, message", [
    (lambda: planar.run_planar(sizes="0,2", quiet=True), "sizes should be distinct positive"),
    (lambda: planar.run_planar(sizes="3,3", quiet=True), "sizes should be distinct positive"),
    (lambda: planar.run_planar(hidden=0, quiet=True), "hidden should be >= 1"),
    (lambda: regularization.run_regularization(keep_prob=1.0, quiet=True),
     r"keep_prob in \(0, 1\)"),
    (lambda: batchnorm.run_batchnorm(activation="gelu", quiet=True),
     "activation should be one of"),
    (lambda: optimization.run_optim(batch_size=0, quiet=True), "batch_size should be >= 1"),
])
def test_bad_options_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_plot_without_matplotlib_fails_before_training(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ValueError, match=r"--plot needs matplotlib"):
        initialization.run_init(quiet=True, plot="boundaries.png")


def test_width_groups_pad_at_most_double():
    groups = planar.width_groups([4, 1, 2, 3, 4, 5, 20, 50])
    assert groups == [[0, 1, 2, 3, 4, 5], [6], [7]]
    assert sorted(j for g in groups for j in g) == list(range(8))


def test_recipes_are_registered_and_fast():
    names = ["logreg-planar", "planar-2layer", "init-circles", "optim-moons",
             "regularization", "batchnorm", "gradcheck"]
    for name in names:
        assert RECIPES[name].fast and RECIPES[name].course


def test_cli_runs_a_recipe(tmp_path):
    out = subprocess.run([sys.executable, "-m", "deepspec.cli", "run", "logreg-planar", "--json",
                          "--quiet", "--epochs", "50"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)
    assert results["recipe"] == "logreg-planar" and 0.4 < results["accuracy"] < 0.6
    refused = subprocess.run([sys.executable, "-m", "deepspec.cli", "run", "gradcheck",
                              "--save", str(tmp_path / "x.npz")], capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode != 0 and "no trained model to save" in refused.stderr


def test_timed_run_keeps_the_metric():
    results = timed_run(RECIPES["logreg-planar"], epochs=5, quiet=True)
    assert results["recipe"] == "logreg-planar" and "accuracy" in results


def test_plot_helpers(tmp_path):
    from deepspec.recipes import plots

    plt = plots.pyplot()
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    fig, ax = plt.subplots()
    assert plots.plot_decision_boundary(lambda P: (P[:, 1] > 0.5).astype(int), X, y, ax,
                                        title="x2 > 0.5", grid=20) is ax
    plt.close(fig)
    with pytest.raises(ValueError, match=r"plot_decision_boundary: X should have shape \(m, 2\)"):
        plots.plot_decision_boundary(lambda P: P[:, 0], np.zeros((4, 3)), y)
    with pytest.raises(ValueError, match="plot_decision_boundary: y should hold 4 labels"):
        plots.plot_decision_boundary(lambda P: P[:, 0], X, y[:3])
    plots.plot_curves({"a": [1.0, 0.5, 0.25], "b": [1.0, 0.8]}, tmp_path / "c.png", logy=True,
                      hline=0.3, every=100)
    assert_png(tmp_path / "c.png")
