"""mnist-mlp and hparam-search on the real MNIST (fetched into the cache if needed)."""

import numpy as np
import pytest

import deepspec as ds
from conftest import real_data
from deepspec.recipes import get, hparam_search


@pytest.fixture(scope="module")
def mnist():
    return real_data("mnist")


def test_mnist_mlp_reaches_98_percent(mnist):
    results = get("mnist-mlp").run(quiet=True)
    assert results["test_accuracy"] >= 0.98, results
    assert results["dev_accuracy"] >= 0.98 and results["epochs"] == 8
    assert results["parameters"] == 784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10


def test_mnist_mlp_saves_a_model_that_predicts_like_the_run(mnist, tmp_path):
    path, plot = tmp_path / "mlp.npz", tmp_path / "curves.png"
    results = get("mnist-mlp").run(quiet=True, epochs=1, hidden_sizes="32", save=str(path),
                                   plot=str(plot))
    loaded = ds.load(path)
    X, y = ds.data.load_mnist()["test"]
    accuracy = float(np.mean(ds.predict(loaded.model, X).argmax(axis=1) == y))
    assert accuracy == pytest.approx(results["test_accuracy"], abs=1e-4)
    assert loaded.metadata["recipe"] == "mnist-mlp"
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_mnist_mlp_refuses_bad_sizes(mnist):
    with pytest.raises(ValueError, match="hidden_sizes should be comma-separated sizes"):
        get("mnist-mlp").run(quiet=True, hidden_sizes="0")


def test_hparam_search_zooms_in_and_finds_a_good_learning_rate(mnist):
    results = get("hparam-search").run(quiet=True)
    assert results["trials"] == 16 and len(results["learning_rates"]) == 16
    assert results["best_dev_accuracy"] >= 0.93, results
    assert 1e-4 <= results["best_learning_rate"] <= 1e-1
    assert 0.5 <= results["best_beta1"] <= 0.99
    # round 1 samples inside the region of round 0's best quarter: its median is no worse
    assert results["round_median"][1] >= results["round_median"][0] - 0.005, results


def test_hparam_search_gives_the_same_trials_in_worker_processes(mnist):
    kwargs = dict(quiet=True, epochs=1, trials=2, rounds=1)
    sequential = get("hparam-search").run(**kwargs)
    parallel = get("hparam-search").run(workers=2, **kwargs)
    assert parallel == sequential


def test_hparam_search_samples_alpha_and_one_minus_beta_on_log_scales():
    rng = np.random.default_rng(0)
    alpha = hparam_search.SPACE["learning_rate"].sample(rng, 4000)
    beta = hparam_search.SPACE["beta1"].sample(rng, 4000)
    # as many samples in each decade of alpha, and of 1 - beta
    assert np.histogram(np.log10(alpha), bins=3, range=(-4, -1))[0] == pytest.approx(
        [4000 / 3] * 3, rel=0.1)
    assert np.mean(beta > 0.9) == pytest.approx(
        (np.log10(0.1) + 2) / (np.log10(0.5) + 2), abs=0.03)
