"""ml-strategy: the phone-like degradation, and the course-3 story on the real MNIST."""

import numpy as np
import pytest

from conftest import real_data
from deepspec.recipes import get, ml_strategy


def test_degrade_is_seeded_per_image_and_stays_in_range():
    X = np.random.default_rng(0).random((50, 784)).astype(np.float32)
    a, tags = ml_strategy.degrade(X, np.random.default_rng(1))
    b, _ = ml_strategy.degrade(X, np.random.default_rng(1))
    assert a.shape == X.shape and a.dtype == np.float32 and np.array_equal(a, b)
    assert 0 <= a.min() and a.max() <= 1
    assert tags["blur"].shape == (50,) and np.all((0.5 <= tags["blur"]) & (tags["blur"] <= 1.6))
    assert np.all((0.5 <= tags["contrast"]) & (tags["contrast"] <= 1.0))


def test_the_blur_is_a_normalized_gaussian_per_image(monkeypatch):
    monkeypatch.setattr(ml_strategy, "NOISE", 0.0)
    monkeypatch.setattr(ml_strategy, "CONTRAST", (1.0, 1.0))
    dot = np.zeros((2, 28, 28), dtype=np.float32)
    dot[:, 14, 14] = 1.0
    out, tags = ml_strategy.degrade(dot.reshape(2, 784), np.random.default_rng(3))
    out = out.reshape(2, 28, 28)
    for image, sigma in zip(out, tags["blur"]):
        offsets = np.arange(-4, 5)
        k = np.exp(-0.5 * (offsets / sigma) ** 2)
        k /= k.sum()
        expected = np.zeros((28, 28))
        expected[10:19, 10:19] = np.outer(k, k)
        np.testing.assert_allclose(image, expected, atol=1e-6)


def test_ml_strategy_finds_the_mismatch_and_synthesis_closes_it():
    real_data("mnist")
    results = get("ml-strategy").run(quiet=True)
    assert results["largest_gap_before"] == "data_mismatch"
    assert results["mismatch_before"] > 0.10, results
    assert results["mismatch_after"] < 0.03, results
    assert results["dev_error_after"] < results["dev_error_before"] / 2, results
    shares = results["error_categories"]
    assert {"heavy blur", "low contrast"} <= set(shares)
    assert all(0 < row["ceiling"] <= results["dev_error_after"] for row in shares.values())


def test_ml_strategy_refuses_save():
    with pytest.raises(ValueError, match="saves neither"):
        get("ml-strategy").run(quiet=True, save="model.npz")
