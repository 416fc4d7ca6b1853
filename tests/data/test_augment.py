"""deepspec.data.augment: each augmentation's effect, determinism, composition, use in fit."""

import numpy as np
import pytest

import deepspec as ds
from deepspec.data.augment import ColorShift, Compose, PCAColor, RandomCrop, RandomFlip


def images(m=6, h=5, w=4, c=3, seed=0):
    return np.random.default_rng(seed).random((m, h, w, c)).astype(np.float32)


def test_flip_mirrors_a_random_subset_and_p_bounds():
    X = images()
    out = RandomFlip(p=0.5)(X, np.random.default_rng(1))
    flipped = [np.array_equal(o, x[:, ::-1]) for o, x in zip(out, X)]
    kept = [np.array_equal(o, x) for o, x in zip(out, X)]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)
    assert np.array_equal(RandomFlip(p=1.0)(X, np.random.default_rng(0)), X[:, :, ::-1])
    assert np.array_equal(RandomFlip(horizontal=False, vertical=True, p=1.0)(
        X, np.random.default_rng(0)), X[:, ::-1])
    assert np.array_equal(RandomFlip(p=0.0)(X, np.random.default_rng(0)), X)
    with pytest.raises(ValueError, match=r"RandomFlip: p should be in \[0, 1\]"):
        RandomFlip(p=2)


def test_random_crop_takes_windows_of_the_padded_image():
    X = images(m=50)
    out = RandomCrop((3, 2))(X, np.random.default_rng(0))
    assert out.shape == (50, 3, 2, 3)
    for o, x in zip(out, X):  # every crop is some window of its own image
        assert any(np.array_equal(o, x[i:i + 3, j:j + 2]) for i in range(3) for j in range(3))
    padded = RandomCrop(5, padding=2)(images(m=200, h=5, w=5), np.random.default_rng(0))
    assert padded.shape == (200, 5, 5, 3) and (padded == 0).any()  # some zero border came in
    with pytest.raises(ValueError, match="RandomCrop: crop .* is larger than"):
        RandomCrop(9)(X, np.random.default_rng(0))


def test_color_shift_adds_one_offset_per_channel_per_image():
    X = images()
    out = ColorShift(0.2)(X, np.random.default_rng(0))
    shift = out - X
    assert np.allclose(shift, shift[:, :1, :1, :], atol=1e-6)
    assert np.abs(shift).max() <= 0.2 + 1e-6 and out.dtype == np.float32


def test_pca_color_moves_pixels_along_the_principal_colours():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((2000, 1))  # colours vary along (1, 1, 1) only
    X = (base[:, None, None, :] * np.ones(3) + 0.01 * rng.standard_normal((2000, 1, 1, 3)))
    aug = PCAColor(std=0.5).fit(X.reshape(20, 10, 10, 3))
    out = aug(X[:8].reshape(2, 2, 2, 3), np.random.default_rng(1))
    shift = (out - X[:8].reshape(2, 2, 2, 3)).reshape(-1, 3)
    direction = shift / np.linalg.norm(shift, axis=1, keepdims=True)
    assert np.allclose(np.abs(direction @ np.ones(3) / np.sqrt(3)), 1, atol=1e-2)
    with pytest.raises(RuntimeError, match="PCAColor: call fit"):
        PCAColor()(X.reshape(20, 10, 10, 3), np.random.default_rng(0))


def test_compose_is_seeded_and_checks_shapes():
    X = images()
    make = lambda: Compose([RandomFlip(), RandomCrop(4, padding=1), ColorShift(0.1)],  # noqa: E731
                           seed=3)
    np.testing.assert_array_equal(make()(X), make()(X))
    assert not np.array_equal(make()(X), Compose(make().augmentations, seed=4)(X))
    with pytest.raises(ValueError, match=r"RandomFlip: images should have shape \(m, n_H, n_W"):
        make()(X[0])
    with pytest.raises(TypeError, match="Compose: augmentations should be callables"):
        Compose([3])


def test_fit_applies_augmentation_to_training_batches_only_and_repeats_exactly():
    X, y = images(m=40, h=4, w=4, c=1), np.arange(40) % 2
    seen = []

    def spy(X_b, rng):
        seen.append(X_b.shape)
        return RandomFlip()(X_b, rng)

    def run():
        model = ds.nn.Sequential(ds.nn.Flatten(), ds.nn.Dense(16, 2, seed=0))
        ds.fit(model, X, y, loss="softmax_cross_entropy", optimizer="adam", epochs=2,
               batch_size=8, augment=spy, validation_data=(X, y), verbose=0, seed=1)
        return model[1].W.data.copy()

    first = run()
    assert len(seen) == 10  # 5 batches x 2 epochs; validation is not augmented
    np.testing.assert_array_equal(first, run())
    with pytest.raises(TypeError, match="fit: augment should be a callable"):
        ds.fit(ds.nn.Sequential(ds.nn.Flatten()), X, y, loss="mse", optimizer="gd",
               augment=3)
