"""models/transfer.py: split, replace_head (frozen trunk), precompute_features."""

import numpy as np
import pytest

import deepspec as ds
from deepspec.models import precompute_features, replace_head, split


def trained_net():
    model = ds.models.mlp([4, 8, 6, 3], batch_norm=True, keep_prob=0.8, seed=0)
    X = np.random.default_rng(0).standard_normal((64, 4))
    ds.fit(model, X, np.arange(64) % 3, loss="softmax_cross_entropy", optimizer="adam",
           epochs=2, batch_size=16, verbose=0)
    return model, X


def test_replace_head_freezes_the_trunk_and_trains_only_the_head():
    model, X = trained_net()
    trunk_before = [p.data.copy() for p in model.parameters()[:-2]]
    new = replace_head(model, ds.nn.Dense(6, 2, seed=1))
    assert new[-1].n == 2 and len(new) == len(model)
    assert all(not p.requires_grad for p in new.parameters()[:-2])
    ds.fit(new, X, np.arange(64) % 2, loss="softmax_cross_entropy", optimizer="adam",
           epochs=2, batch_size=16, verbose=0)
    for before, p in zip(trunk_before, new.parameters()[:-2]):
        np.testing.assert_array_equal(before, p.data)  # the trunk never moved


def test_precomputed_features_are_the_frozen_trunk_outputs_and_train_a_head():
    model, X = trained_net()
    trunk, _ = split(model, len(model) - 1)
    trunk.freeze()
    features = precompute_features(trunk, X, batch_size=10)
    assert features.shape == (64, 6) and trunk.training  # mode restored
    np.testing.assert_allclose(features, ds.predict(trunk, X), rtol=1e-5, atol=1e-6)
    head = ds.nn.Dense(6, 2, seed=5)
    history = ds.fit(head, features, np.arange(64) % 2, loss="softmax_cross_entropy",
                     optimizer="adam", epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_split_errors():
    model, _ = trained_net()
    with pytest.raises(ValueError, match="split: at should cut the"):
        split(model, 0)
    with pytest.raises(TypeError, match="split: model should be a Sequential"):
        split(ds.nn.Dense(2, 2), 1)
