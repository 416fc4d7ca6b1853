"""strategy/transfer.py: course 3 finds the transfer-learning helpers (the same objects)."""

import numpy as np

import deepspec as ds
from deepspec import strategy as st
from deepspec.models import transfer


def test_reexports_are_the_model_zoo_helpers():
    assert st.split is transfer.split
    assert st.replace_head is transfer.replace_head
    assert st.precompute_features is transfer.precompute_features
    assert st.freeze is ds.nn.Module.freeze and st.unfreeze is ds.nn.Module.unfreeze


def test_docstring_states_when_transfer_learning_makes_sense():
    doc = st.transfer.__doc__
    assert "same input x" in doc and "a lot more data for task A" in doc
    assert "low-level features" in doc


def test_freeze_a_trunk_and_train_a_new_head():
    model = ds.models.mlp([4, 8, 3], seed=0)
    new = st.replace_head(model, ds.nn.Dense(8, 2, seed=1), n_replaced=1)
    trunk, head = st.split(new, len(new) - 1)
    assert all(not p.requires_grad for p in trunk.parameters())
    assert all(p.requires_grad for p in head.parameters())
    st.unfreeze(trunk)
    assert all(p.requires_grad for p in trunk.parameters())
    st.freeze(trunk)
    features = st.precompute_features(trunk, np.ones((5, 4), dtype=np.float32))
    assert features.shape == (5, 8)


def test_every_public_name_is_exported():
    assert len(set(st.__all__)) == len(st.__all__)
    for name in st.__all__:
        assert getattr(st, name) is not None, name
