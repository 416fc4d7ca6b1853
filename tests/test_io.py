"""Checkpoints: bit-exact round trips, rebuilding, and refusing unsafe or broken files."""

import json
import pickle
import zipfile

import numpy as np
import pytest

import deepspec as ds
from deepspec import nn
from deepspec.io import Checkpoint, load, load_into, save


def trained_mlp(dtype="float32", keep_prob=0.8, steps=5, seed=0):
    """An mlp with batch norm (+ dropout) after a few Adam steps: buffers and moments set."""
    with ds.default_dtype(dtype):
        model = ds.models.mlp([4, 8, 6, 3], batch_norm=True, keep_prob=keep_prob, seed=seed)
    optimizer = ds.optim.Adam(model, 0.01)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        X, y = rng.standard_normal((16, 4)).astype(dtype), rng.integers(0, 3, 16)
        optimizer.zero_grad()
        ds.F.softmax_cross_entropy(model(ds.tensor(X)), y).backward()
        optimizer.step()
    return model, optimizer


def assert_same_state(a, b):
    assert list(a) == list(b)
    for key in a:
        a_k, b_k = np.asarray(a[key]), np.asarray(b[key])
        assert a_k.dtype == b_k.dtype and np.array_equal(a_k, b_k), key


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_is_bit_exact(tmp_path, dtype):
    model, optimizer = trained_mlp(dtype)
    path = tmp_path / "model.npz"
    save(model, path, optimizer=optimizer, metadata={"epoch": 3, "note": "é"})
    checkpoint = load(path)  # under the float32 default, whatever was saved
    assert isinstance(checkpoint, Checkpoint) and checkpoint.dtype == dtype
    assert checkpoint.metadata == {"epoch": 3, "note": "é"}
    rebuilt = checkpoint.model
    assert repr(rebuilt) == repr(model) and checkpoint.class_name == "Sequential"
    assert_same_state(rebuilt.state_dict(), model.state_dict())
    assert rebuilt[1].steps == model[1].steps == 5 and isinstance(rebuilt[1].steps, int)
    assert all(p.dtype == dtype for p in rebuilt.parameters())

    fresh = ds.optim.Adam(rebuilt, 0.5)
    fresh.load_state_dict(checkpoint.optimizer_state)
    assert fresh.t == optimizer.t == 5 and fresh.learning_rate == 0.01
    for name in ("v", "s"):
        for ours, theirs in zip(getattr(fresh, name), getattr(optimizer, name)):
            assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)

    X = np.random.default_rng(9).standard_normal((5, 4)).astype(dtype)
    with ds.no_grad():
        expected = model.eval()(ds.tensor(X)).data
        got = rebuilt.eval()(ds.tensor(X)).data
    assert np.array_equal(expected, got)


def test_resumed_training_matches_uninterrupted_training(tmp_path):
    model, optimizer = trained_mlp("float64", keep_prob=1.0, steps=3)
    save(model, tmp_path / "ckpt.npz", optimizer=optimizer)
    checkpoint = load(tmp_path / "ckpt.npz")
    resumed = checkpoint.model
    resumed_opt = ds.optim.Adam(resumed)
    resumed_opt.load_state_dict(checkpoint.optimizer_state)
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((16, 4)), rng.integers(0, 3, 16)
    for m, opt in ((model, optimizer), (resumed, resumed_opt)):
        for _ in range(3):
            opt.zero_grad()
            ds.F.softmax_cross_entropy(m(ds.tensor(X)), y).backward()
            opt.step()
    assert_same_state(resumed.state_dict(), model.state_dict())


def test_every_table_layer_and_nested_sequential_rebuild(tmp_path):
    model = nn.Sequential(
        nn.Flatten(), nn.Dense(6, 5, init="xavier", seed=0), nn.LeakyReLU(0.2),
        nn.Sequential(nn.Dense(5, 4, bias=False, seed=1), nn.Tanh(), nn.Dropout(0.7)),
        nn.Sigmoid(), nn.ReLU(), nn.Dense(4, 3, seed=2), nn.Softmax(axis=-1))
    save(model, tmp_path / "m.npz")
    rebuilt = load(tmp_path / "m.npz").model
    assert repr(rebuilt) == repr(model)
    assert rebuilt[2].alpha == 0.2 and rebuilt[3][2].keep_prob == 0.7
    X = np.random.default_rng(0).standard_normal((2, 3, 2)).astype(np.float32)
    with ds.no_grad():
        assert np.array_equal(model.eval()(ds.tensor(X)).data, rebuilt.eval()(ds.tensor(X)).data)


def test_dict_of_arrays_and_unrebuildable_module(tmp_path):
    arrays = {"W": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.int64(4)}
    save(arrays, tmp_path / "d.npz")
    checkpoint = load(tmp_path / "d.npz")
    assert checkpoint.model is None and checkpoint.optimizer_state is None
    assert_same_state(checkpoint.state, {"W": arrays["W"], "n": np.asarray(arrays["n"])})

    class Custom(nn.Module):  # no config(): saved as state only
        def __init__(self, seed):
            self.dense = nn.Dense(2, 2, seed=seed)

    save(Custom(0), tmp_path / "c.npz")
    checkpoint = load(tmp_path / "c.npz")
    assert checkpoint.model is None and checkpoint.class_name == "Custom"
    other = Custom(1)
    load_into(other, tmp_path / "c.npz")
    assert_same_state(other.state_dict(), checkpoint.state)


def test_load_into_model_and_optimizer(tmp_path):
    model, optimizer = trained_mlp()
    save(model, tmp_path / "a.npz", optimizer=optimizer)
    target, target_opt = trained_mlp(seed=1)
    checkpoint = load_into(target, tmp_path / "a.npz", optimizer=target_opt)
    assert checkpoint.model is target
    assert_same_state(target.state_dict(), model.state_dict())
    assert target_opt.t == optimizer.t and np.array_equal(target_opt.v[0], optimizer.v[0])
    save(model, tmp_path / "b.npz")
    with pytest.raises(ValueError, match="holds no optimizer state"):
        load_into(target, tmp_path / "b.npz", optimizer=target_opt)
    with pytest.raises(ValueError, match="missing keys"):
        load_into(ds.models.mlp([4, 8, 3]), tmp_path / "b.npz")


class WritesMarker:
    """Unpickling this calls open(marker, "w"): it creates the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickled_object_array_is_refused_and_never_run(tmp_path):
    proof, marker = tmp_path / "proof", tmp_path / "marker"
    live = np.empty(1, dtype=object)
    live[0] = WritesMarker(proof)
    np.savez(tmp_path / "live.npz", payload=live, allow_pickle=True)
    with np.load(tmp_path / "live.npz", allow_pickle=True) as npz:
        npz["payload"][0].close()  # the payload is live: unpickling it opened a file
    assert proof.exists()

    model, _ = trained_mlp()
    save(model, tmp_path / "good.npz")
    with np.load(tmp_path / "good.npz") as npz:
        arrays = dict(npz)  # a valid checkpoint...
    evil = np.empty(1, dtype=object)
    evil[0] = WritesMarker(marker)
    np.savez(tmp_path / "evil.npz", **arrays, **{"state/evil": evil}, allow_pickle=True)
    with pytest.raises(ValueError, match=r"evil\.npz.*contains object arrays; refusing to "
                                         r"unpickle"):
        load(tmp_path / "evil.npz")
    with pytest.raises(ValueError, match="refusing to unpickle"):
        load_into(model, tmp_path / "evil.npz")
    assert not marker.exists()

    (tmp_path / "raw.pkl").write_bytes(pickle.dumps(WritesMarker(marker)))
    with pytest.raises(ValueError, match=r"raw\.pkl.*not an \.npz archive.*unpickling"):
        load(tmp_path / "raw.pkl")
    np.save(tmp_path / "single.npy", evil, allow_pickle=True)
    with pytest.raises(ValueError, match="single.npy"):
        load(tmp_path / "single.npy")
    assert not marker.exists()


def write_npz(path, meta, **arrays):
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


@pytest.mark.parametrize("change, message", [
    ({"version": 2}, "version 2 is not supported"),
    ({"version": "1"}, "version '1' is not supported"),
    ({"format": "keras"}, "format should be 'deepspec-checkpoint', got 'keras'"),
    ({"dtype": "object"}, "'dtype' should name a float dtype"),
    ({"config": {"layers": [{"class": "Dense", "config": {"n_prev": 4, "n": 8, "x": 1}}]}},
     "cannot be rebuilt"),
])
def test_bad_metadata_is_refused(tmp_path, change, message):
    model = nn.Sequential(nn.Dense(4, 8, seed=0))
    save(model, tmp_path / "ok.npz")
    with np.load(tmp_path / "ok.npz") as npz:
        arrays = dict(npz)
    meta = json.loads(arrays.pop("__meta__").tobytes())
    write_npz(tmp_path / "bad.npz", {**meta, **change}, **arrays)
    with pytest.raises(ValueError, match=r"bad\.npz.*" + message):
        load(tmp_path / "bad.npz")


def test_unknown_class_loads_state_only(tmp_path):
    save(nn.Sequential(nn.Dense(2, 2, seed=0)), tmp_path / "ok.npz")
    with np.load(tmp_path / "ok.npz") as npz:
        arrays = dict(npz)
    meta = json.loads(arrays.pop("__meta__").tobytes())
    meta["config"]["layers"][0]["class"] = "os.system"
    write_npz(tmp_path / "odd.npz", meta, **arrays)
    checkpoint = load(tmp_path / "odd.npz")
    assert checkpoint.model is None and set(checkpoint.state) == {"0.W", "0.b"}


def test_missing_or_broken_meta_and_stray_arrays_are_refused(tmp_path):
    np.savez(tmp_path / "plain.npz", W=np.ones(3))
    with pytest.raises(ValueError, match="no '__meta__'"):
        load(tmp_path / "plain.npz")
    np.savez(tmp_path / "text.npz", __meta__=np.frombuffer(b"{not json", dtype=np.uint8))
    with pytest.raises(ValueError, match="not valid UTF-8 JSON"):
        load(tmp_path / "text.npz")
    np.savez(tmp_path / "wide.npz", __meta__=np.arange(3.0))
    with pytest.raises(ValueError, match="1-D uint8"):
        load(tmp_path / "wide.npz")
    write_npz(tmp_path / "stray.npz", {"format": "deepspec-checkpoint", "version": 1},
              extra=np.ones(2))
    with pytest.raises(ValueError, match="unexpected array 'extra'"):
        load(tmp_path / "stray.npz")


def test_truncated_and_corrupted_files_are_refused(tmp_path):
    model, optimizer = trained_mlp()
    path = tmp_path / "model.npz"
    save(model, path, optimizer=optimizer)
    data = path.read_bytes()
    for name, payload in [("empty", b""), ("text", b"hello, not a checkpoint"),
                          ("half", data[: len(data) // 2]), ("tail", data[:-30])]:
        (tmp_path / name).write_bytes(payload)
        with pytest.raises(ValueError, match=f"refusing '.*{name}'"):
            load(tmp_path / name)
    W = model[0].W.data  # flip bytes inside the first weight matrix's stored data
    flipped = bytearray(data)
    start = flipped.index(W.tobytes())
    flipped[start:start + 8] = bytes(b ^ 0xFF for b in flipped[start:start + 8])
    (tmp_path / "flipped").write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="truncated or corrupted.*CRC"):
        load(tmp_path / "flipped")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.npz")


def test_atomic_write_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    old, _ = trained_mlp(seed=0)
    save(old, path, metadata={"version": "old"})
    before = path.read_bytes()

    def half_written(file, *args, **kwds):
        file.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", half_written)
    new, _ = trained_mlp(seed=1)
    with pytest.raises(OSError, match="disk full"):
        save(new, path, metadata={"version": "new"})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary file left
    checkpoint = load(path)
    assert checkpoint.metadata == {"version": "old"}
    assert_same_state(checkpoint.state, old.state_dict())


def test_save_rejects_bad_arguments_before_writing(tmp_path):
    model, _ = trained_mlp()
    with pytest.raises(TypeError, match="JSON"):
        save(model, tmp_path / "m.npz", metadata={"when": object()})
    with pytest.raises(TypeError, match="metadata should be a dict"):
        save(model, tmp_path / "m.npz", metadata=[1])
    with pytest.raises(TypeError, match="Module or a dict"):
        save([np.ones(2)], tmp_path / "m.npz")
    with pytest.raises(TypeError, match="only numeric arrays"):
        save({"x": np.array([object()])}, tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []
    save({"x": np.ones(2)}, tmp_path / "m.npz", metadata={"step": np.int64(3)})
    assert load(tmp_path / "m.npz").metadata == {"step": 3}
    with zipfile.ZipFile(tmp_path / "m.npz") as archive:  # numpy.savez layout, no pickle
        assert sorted(archive.namelist()) == ["__meta__.npy", "state/x.npy"]
        assert archive.read("state/x.npy").startswith(b"\x93NUMPY")


def test_hostile_archive_members_are_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "odd.npz", "w") as archive:
        archive.writestr("__meta__.npy", b"not an npy header")
    with pytest.raises(ValueError, match="'__meta__' is not a .npy array"):
        load(tmp_path / "odd.npz")
    deep = "[" * 100_000 + "]" * 100_000
    np.savez(tmp_path / "deep.npz", __meta__=np.frombuffer(deep.encode(), dtype=np.uint8))
    with pytest.raises(ValueError, match="not valid UTF-8 JSON"):
        load(tmp_path / "deep.npz")


def test_doctored_config_asking_for_huge_layers_is_refused_before_allocating(tmp_path):
    model = ds.models.mlp([3, 4, 2], seed=0)
    path = tmp_path / "model.npz"
    ds.save(model, path)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(arrays["__meta__"].tobytes())
    meta["config"]["layers"][0]["config"].update(n_prev=10**6, n=10**6)  # 4 TB of float32
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=r"refusing .*config implies 0.W of shape"):
        ds.load(path)
