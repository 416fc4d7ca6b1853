"""deepspec.data.preprocess.Standardizer: the notes' input normalization, fit on train only."""

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

import deepspec as ds
from deepspec.data import Standardizer


def features(m=200, n=5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((m, n)) * [1, 10, 100, 0.1, 5] + [0, 3, -50, 1, 7]).astype(dtype)


def test_fit_transform_matches_the_notes_formula_and_sklearn():
    X = features()
    Z = Standardizer().fit_transform(X)
    mu = X.sum(axis=0) / len(X)
    sigma2 = ((X - mu) ** 2).sum(axis=0) / len(X)  # the notes' 1/m variance
    np.testing.assert_allclose(Z, (X - mu) / np.sqrt(sigma2 + 1e-8), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Standardizer(eps=1e-300).fit_transform(X),  # eps out of play
                               StandardScaler().fit_transform(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.var(axis=0), 1, rtol=1e-5)  # var / (var + eps)


def test_dev_and_test_sets_use_the_training_statistics_not_their_own():
    X_train, X_test = features(seed=0), features(seed=1) * 2 + 5
    std = Standardizer().fit(X_train)
    mu, var = std.mu.copy(), std.var.copy()
    Z_test = std.transform(X_test)
    np.testing.assert_array_equal(std.mu, mu)  # transform never refits
    np.testing.assert_array_equal(std.var, var)
    np.testing.assert_allclose(Z_test, (X_test - X_train.mean(0)) / np.sqrt(X_train.var(0) + 1e-8),
                               rtol=1e-12, atol=1e-12)
    assert np.all(np.abs(Z_test.mean(axis=0)) > 0.5)  # not re-centred on the test set
    # normalizing one test example at a time gives the same rows as the whole set
    np.testing.assert_allclose(std.transform(X_test[:1]), Z_test[:1], rtol=1e-15, atol=0)


def test_images_get_one_mean_and_variance_per_channel_by_default():
    rng = np.random.default_rng(0)
    images = (rng.integers(0, 256, (8, 5, 4, 3)) * [1.0, 0.5, 0.25]).astype(np.float32)
    std = Standardizer().fit(images)
    assert std.mu.shape == (3,) and std.var.shape == (3,)
    flat = images.reshape(-1, 3).astype(np.float64)
    np.testing.assert_allclose(std.mu, flat.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(std.var, flat.var(axis=0), rtol=1e-10)
    Z = std.transform(images)
    assert Z.dtype == np.float32 and Z.shape == images.shape
    np.testing.assert_allclose(Z.reshape(-1, 3).mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Z.reshape(-1, 3).std(axis=0), 1, rtol=1e-5)
    per_pixel = Standardizer(axis=0).fit(images)  # the notes' flattened-image version
    assert per_pixel.mu.shape == (5, 4, 3)
    np.testing.assert_allclose(per_pixel.mu, images.mean(axis=0, dtype=np.float64), rtol=1e-12)
    sequences = rng.standard_normal((6, 7, 2))
    np.testing.assert_allclose(Standardizer().fit(sequences).mu,
                               sequences.reshape(-1, 2).mean(axis=0), rtol=1e-12)


def test_statistics_are_computed_in_blocks_without_losing_precision(monkeypatch):
    from deepspec.data import preprocess
    X = features(m=1000, dtype=np.float32) + 1e4  # large offset: float32 sums would drift
    whole = Standardizer().fit(X)
    monkeypatch.setattr(preprocess, "BLOCK", 7)  # one example per block
    blocks = Standardizer().fit(X)
    exact = X.astype(np.float64)
    for std in (whole, blocks):
        np.testing.assert_allclose(std.mu, exact.mean(axis=0), rtol=1e-13)
        np.testing.assert_allclose(std.var, exact.var(axis=0), rtol=1e-10)


def test_dtype_is_kept_and_integers_become_the_default_float():
    for dtype in (np.float32, np.float64):
        X = features(dtype=dtype)
        std = Standardizer().fit(X)
        assert std.transform(X).dtype == dtype and std.inverse_transform(X).dtype == dtype
    pixels = np.random.default_rng(0).integers(0, 256, (10, 4), dtype=np.uint8)
    Z = Standardizer().fit_transform(pixels)
    assert Z.dtype == ds.get_default_dtype()
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-5)


def test_inverse_transform_round_trips():
    X = features()
    std = Standardizer().fit(X)
    np.testing.assert_allclose(std.inverse_transform(std.transform(X)), X, rtol=1e-12,
                               atol=1e-10)


def test_constant_feature_gives_zeros_not_nan():
    X = features(m=50)
    X[:, 2] = 3.7
    Z = Standardizer().fit_transform(X)
    assert np.all(np.isfinite(Z))
    np.testing.assert_allclose(Z[:, 2], 0, atol=1e-8)
    one = Standardizer().fit_transform(X[:1])  # a single example: every feature constant
    assert np.all(np.isfinite(one))
    np.testing.assert_allclose(one, 0, atol=1e-8)
    Z32 = Standardizer().fit_transform(X.astype(np.float32))
    assert np.all(np.isfinite(Z32)) and np.abs(Z32[:, 2]).max() < 1e-2
    test = X[:3].copy()
    test[:, 2] = 4.7  # a test value off the training constant keeps its difference, unscaled
    np.testing.assert_allclose(Standardizer().fit(X).transform(test)[:, 2], 1.0, rtol=1e-6)


def test_state_dict_round_trips_through_a_checkpoint(tmp_path):
    images = np.random.default_rng(0).random((6, 3, 3, 2))
    std = Standardizer(axis=(0, 1, 2), eps=1e-5).fit(images)
    state = std.state_dict()
    assert set(state) == {"mu", "var", "eps", "axis", "ndim"}
    assert all(isinstance(v, np.ndarray) for v in state.values())
    ds.save(state, tmp_path / "standardizer.npz")
    restored = Standardizer().load_state_dict(ds.load(tmp_path / "standardizer.npz").state)
    assert restored.eps == 1e-5 and restored.axis == (0, 1, 2)
    np.testing.assert_array_equal(restored.transform(images), std.transform(images))
    state["mu"][:] = 99  # state_dict hands out copies
    assert not np.any(std.mu == 99)
    assert "features=(2,)" in repr(std) and "unfitted" in repr(Standardizer())


def test_misuse_is_refused_with_clear_messages():
    with pytest.raises(RuntimeError, match=r"Standardizer.transform: called before fit"):
        Standardizer().transform(features())
    with pytest.raises(RuntimeError, match=r"Standardizer.state_dict: nothing to save"):
        Standardizer().state_dict()
    std = Standardizer().fit(features(n=5))
    with pytest.raises(ValueError, match=r"Standardizer.transform: X should have shape "
                                         r"\('\*', 5\) \(the fitted features\), got \(3, 4\)"):
        std.transform(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"Standardizer.inverse_transform: X should have 2 "
                                         r"dimensions"):
        std.inverse_transform(np.zeros((3, 5, 1)))
    with pytest.raises(ValueError, match=r"Standardizer.fit: X contains NaN or inf"):
        Standardizer().fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match=r"Standardizer.fit: X has no examples"):
        Standardizer().fit(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"axis should list distinct axes including 0"):
        Standardizer(axis=(1, 2)).fit(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"axis 3 is out of range for inputs with 2 dim"):
        Standardizer(axis=(0, 3)).fit(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"Standardizer: eps should be a positive number"):
        Standardizer(eps=0)
    with pytest.raises(TypeError, match=r"Standardizer.fit: X should be numeric"):
        Standardizer().fit(np.array([["a"], ["b"]]))
    with pytest.raises(KeyError, match=r"missing \['ndim'\]"):
        Standardizer().load_state_dict({"mu": 0, "var": 1, "eps": 1e-8, "axis": [0]})
    with pytest.raises(ValueError, match=r"load_state_dict: mu \(3,\) and var \(2,\)"):
        Standardizer().load_state_dict({"mu": np.zeros(3), "var": np.ones(2), "eps": 1e-8,
                                        "axis": [0], "ndim": 2})
