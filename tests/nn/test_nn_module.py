"""Module and Parameter: structure, modes, freezing, dtype, checkpoints and repr."""

import numpy as np
import pytest

import deepspec as ds
from deepspec import nn
from deepspec.models import mlp


def draw(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


class Net(nn.Module):
    """A hand-written model: a sub-Module, a list of Modules and a bare Parameter."""

    def __init__(self, seed=0):
        self.body = nn.Sequential(nn.Dense(2, 3, seed=seed), nn.BatchNorm1d(3), nn.ReLU())
        self.heads = [nn.Dense(3, 1, seed=seed + 1), nn.Dense(3, 2, seed=seed + 2)]
        self.scale = nn.Parameter(np.ones(1))

    def forward(self, A):
        return self.heads[0](self.body(A)) * self.scale


def trained(model, steps=2, n_x=5):
    """A model whose buffers moved away from their initial values."""
    for k in range(steps):
        model(ds.Tensor(draw([(8, n_x)], seed=50 + k)[0].astype(np.float32)))
    return model


# ---- structure -------------------------------------------------------------------------------
def test_parameter_names_follow_definition_order():
    model = nn.Sequential(nn.Dense(3, 4, seed=0), nn.ReLU(), nn.Dense(4, 2, seed=1))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.W", "0.b", "2.W", "2.b"]
    assert model.parameters() == [model[0].W, model[0].b, model[2].W, model[2].b]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())


def test_nested_names_for_attributes_lists_and_containers():
    net = Net()
    assert [name for name, _ in net.named_parameters()] == [
        "body.0.W", "body.0.b", "body.1.gamma", "body.1.beta",
        "heads.0.W", "heads.0.b", "heads.1.W", "heads.1.b", "scale",
    ]
    assert [name for name, _ in net.named_buffers()] == [
        "body.1.running_mean", "body.1.running_var", "body.1.steps",
    ]
    assert [name for name, _ in net.named_children()] == ["body", "heads.0", "heads.1"]
    kinds = [type(m).__name__ for m in net.modules()]
    assert kinds == ["Net", "Sequential", "Dense", "BatchNorm1d", "ReLU", "Dense", "Dense"]


def test_buffers_are_never_parameters():
    net = Net()
    param_ids = {id(p.data) for p in net.parameters()} | {id(p) for p in net.parameters()}
    for name, value in net.named_buffers():
        assert id(value) not in param_ids and not isinstance(value, nn.Parameter), name
    assert net.num_parameters() == 9 + 6 + 4 + 8 + 1


def test_parameter_is_a_trainable_tensor_in_the_default_dtype():
    p = nn.Parameter([1, 2, 3])
    assert p.requires_grad and p.dtype == np.float32 and p.is_leaf
    assert repr(p) == "Parameter(shape=(3,), dtype=float32)"
    with ds.default_dtype("float64"):
        assert nn.Parameter(np.zeros(2, dtype=np.float32)).dtype == np.float64
    assert nn.Parameter(np.zeros(2), dtype=np.float64).dtype == np.float64


# ---- modes ---------------------------------------------------------------------------------------
def test_train_and_eval_reach_every_submodule():
    net = Net()
    assert net.eval() is net
    assert all(not m.training for m in net.modules())
    assert net.train() is net
    assert all(m.training for m in net.modules())
    net.body.eval()
    assert not net.body[1].training and net.heads[0].training and net.training


def test_freeze_stops_gradients_and_unfreeze_restores_them():
    net = Net()
    net.body.freeze()
    assert all(not p.requires_grad for p in net.body.parameters())
    assert net.num_parameters(trainable_only=True) == 4 + 8 + 1
    x = ds.Tensor(draw([(6, 2)], seed=0)[0], requires_grad=True)
    net(x).sum().backward()
    assert all(p.grad is None for p in net.body.parameters())
    assert net.heads[0].W.grad is not None and net.scale.grad is not None
    assert x.grad is not None and x.grad.shape == (6, 2)  # gradients still flow to the input

    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.freeze()
    x2 = ds.Tensor(draw([(6, 2)], seed=1)[0], requires_grad=True)
    net(x2).sum().backward()
    assert all(p.grad is None for p in net.parameters()) and x2.grad is not None

    net.unfreeze()
    net(ds.Tensor(draw([(6, 2)], seed=2)[0])).sum().backward()
    assert all(p.requires_grad and p.grad is not None for p in net.heads[0].parameters())
    assert all(p.grad is not None for p in net.body.parameters())


def test_astype_float64_converts_parameters_and_float_buffers():
    model = trained(mlp([5, 4, 1], batch_norm=True, seed=0))
    model(ds.Tensor(np.ones((3, 5), dtype=np.float32))).sum().backward()
    before = model.state_dict()
    assert model.astype("float64") is model
    assert all(p.dtype == np.float64 and p.grad is None for p in model.parameters())
    assert model[1].running_mean.dtype == np.float64 and isinstance(model[1].steps, int)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])  # float32 -> float64 is exact
    out = model.eval()(ds.Tensor(np.ones((3, 5))))
    assert out.dtype == np.float64


# ---- state_dict --------------------------------------------------------------------------------
def test_state_dict_round_trip_is_bit_exact():
    source = trained(mlp([5, 4, 3, 1], batch_norm=True, keep_prob=0.8, seed=0))
    target = mlp([5, 4, 3, 1], batch_norm=True, keep_prob=0.8, seed=1)
    state = source.state_dict()
    assert not np.array_equal(state["0.W"], target.state_dict()["0.W"])
    target.load_state_dict(state)
    loaded = target.state_dict()
    assert list(loaded) == list(state)
    for name, value in state.items():
        assert loaded[name].dtype == value.dtype, name
        np.testing.assert_array_equal(loaded[name], value)
    assert target[1].steps == 2 and isinstance(target[1].steps, int)
    x = ds.Tensor(draw([(7, 5)], seed=3)[0].astype(np.float32))
    assert np.array_equal(source.eval()(x).data, target.eval()(x).data)


def test_state_dict_holds_copies():
    model = nn.Sequential(nn.Dense(2, 2, seed=0), nn.BatchNorm1d(2))
    state = model.state_dict()
    state["0.W"][...] = 7.0
    state["1.running_mean"][...] = 7.0
    assert not np.any(model[0].W.data == 7.0) and not np.any(model[1].running_mean == 7.0)
    model.load_state_dict(state)
    state["0.W"][...] = 8.0
    assert np.all(model[0].W.data == 7.0)


def fresh_pair():
    model = nn.Sequential(nn.Dense(3, 4, seed=0), nn.ReLU(), nn.Dense(4, 2, seed=1))
    return model, nn.Sequential(nn.Dense(3, 4, seed=5), nn.ReLU(), nn.Dense(4, 2, seed=6))


def test_load_state_dict_names_missing_keys():
    source, target = fresh_pair()
    state = source.state_dict()
    del state["2.b"]
    with pytest.raises(ValueError, match=r"Sequential.load_state_dict: missing keys: \['2.b'\]"):
        target.load_state_dict(state)


def test_load_state_dict_names_unexpected_keys():
    source, target = fresh_pair()
    state = source.state_dict()
    state["3.W"] = np.zeros((2, 2), dtype=np.float32)
    with pytest.raises(ValueError, match=r"unexpected keys: \['3.W'\]"):
        target.load_state_dict(state)


def test_load_state_dict_names_mis_shaped_keys_and_both_shapes():
    source, target = fresh_pair()
    state = source.state_dict()
    state["0.W"] = state["0.W"].T
    with pytest.raises(ValueError, match=r"mis-shaped: 0.W: expected \(4, 3\), got \(3, 4\)"):
        target.load_state_dict(state)


def test_failed_load_changes_nothing():
    source, target = fresh_pair()
    before = target.state_dict()
    state = source.state_dict()
    state["2.W"] = np.zeros((5, 5))
    for strict in (True, False):
        with pytest.raises(ValueError, match=r"2.W: expected \(2, 4\), got \(5, 5\)"):
            target.load_state_dict(state, strict=strict)
    for name, value in target.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_non_strict_load_tolerates_missing_and_extra_keys():
    source, target = fresh_pair()
    state = source.state_dict()
    del state["2.b"]
    state["extra"] = np.zeros(3)
    old_b = target[2].b.data.copy()
    target.load_state_dict(state, strict=False)
    np.testing.assert_array_equal(target[0].W.data, source[0].W.data)
    np.testing.assert_array_equal(target[2].W.data, source[2].W.data)
    np.testing.assert_array_equal(target[2].b.data, old_b)  # missing: left as it was
    with pytest.raises(ValueError, match="missing keys.*unexpected keys"):
        target.load_state_dict(state)


def test_load_state_dict_into_hand_written_model():
    source, target = trained(Net(seed=0), n_x=2), Net(seed=10)
    target.load_state_dict(source.state_dict())
    for name, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[name], value)
    assert target.body[1].steps == 2


# ---- repr and config ---------------------------------------------------------------------------
def test_repr_shows_each_layer_and_total_counts():
    model = mlp([5, 4, 3, 1], seed=0)
    text = repr(model)
    assert text.splitlines() == [
        "Sequential(",
        "  (0): Dense(5 -> 4)  # 24 params",
        "  (1): ReLU()",
        "  (2): Dense(4 -> 3)  # 15 params",
        "  (3): ReLU()",
        "  (4): Dense(3 -> 1)  # 4 params",
        ")  # 43 params",
    ]


def test_repr_of_nested_containers_counts_once():
    text = repr(Net())
    assert text.count("# 15 params") == 1  # the body's count, not repeated by its parent
    assert "(heads.1): Dense(3 -> 2)  # 8 params" in text
    assert text.endswith(")  # 28 params")
    big = nn.Sequential(nn.Dense(1000, 1000, seed=0))
    assert repr(big).endswith(")  # 1,001,000 params")


def test_sequential_config_lists_layers():
    model = mlp([4, 3, 2], hidden="tanh", output="softmax", keep_prob=0.5, seed=0)
    assert model.config() == {"layers": [
        {"class": "Dense", "config": {"n_prev": 4, "n": 3, "bias": True, "init": "he"}},
        {"class": "Tanh", "config": {}},
        {"class": "Dropout", "config": {"keep_prob": 0.5}},
        {"class": "Dense", "config": {"n_prev": 3, "n": 2, "bias": True, "init": "he"}},
        {"class": "Softmax", "config": {"axis": -1}},
    ]}
