"""Checkpoints: one ``.npz`` of arrays plus JSON, written atomically, read without pickle.

Inside the file (``numpy.savez``, never pickle):
    param/<name>          each parameter of ``model.state_dict()``
    state/<name>          each buffer (running statistics, step counts), or each entry of a
                          plain dict of arrays
    optim/<state>/<i>     the optimizer's state arrays (Adam's v and s, ...), i = param index
    __meta__              uint8 bytes of UTF-8 JSON: {"format": "deepspec-checkpoint",
                          "version": 1, "dtype", "class", "config", "rebuildable",
                          "optimizer": {"type", "hyper", "t", "state_names", "n_params"}
                          or null, "metadata": the user's dict}
Loading reads arrays with ``allow_pickle=False`` and rebuilds models only from the fixed table
of layer classes in ``deepspec.nn.catalog``, so a checkpoint can never run code.
"""

from __future__ import annotations

import json
import os
import secrets
import zipfile
from dataclasses import dataclass, field

import numpy as np

from .nn import Module
from .nn.catalog import build, is_buildable

FORMAT, VERSION = "deepspec-checkpoint", 1
META = "__meta__"

@dataclass
class Checkpoint:
    """What ``load`` read: the rebuilt model (or None), its state, the optimizer's, metadata."""

    model: Module | None
    state: dict
    optimizer_state: dict | None = None
    metadata: dict = field(default_factory=dict)
    class_name: str | None = None
    config: dict | None = None
    dtype: str | None = None


# ---- save ---------------------------------------------------------------------------------------
def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"save: metadata and hyperparameters should be JSON values, "
                    f"got {type(value).__name__}")


def _array(owner: str, name: str, value):
    array = np.asarray(value)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"{owner}: {name!r} has dtype {array.dtype}; only numeric arrays can be "
                        f"saved (no pickled objects)")
    return array


def _module_arrays(model: Module) -> tuple[dict, dict]:
    arrays = {f"param/{name}": p.data for name, p in model.named_parameters()}
    for name, value in model.named_buffers():
        arrays[f"state/{name}"] = _array("save", name, value)
    dtypes = [p.data.dtype for p in model.parameters()]
    try:
        config, rebuildable = model.config(), True
    except NotImplementedError:
        config, rebuildable = None, False
    meta = {"dtype": dtypes[0].name if dtypes else None, "class": type(model).__name__,
            "config": config, "rebuildable": rebuildable}
    return arrays, meta


def _optimizer_arrays(optimizer) -> tuple[dict, dict]:
    state = optimizer.state_dict()
    arrays = {f"optim/{key}/{i}": _array("save", f"{key}[{i}]", a)
              for key, values in state["state"].items() for i, a in enumerate(values)}
    meta = {"type": state["type"], "hyper": state["hyper"], "t": int(state["t"]),
            "state_names": list(state["state"]), "n_params": len(optimizer.params)}
    return arrays, meta


def save(obj, path, *, optimizer=None, metadata: dict | None = None) -> None:
    """Write a Module (its state and config) or a dict of arrays to ``path``, atomically.

    ``optimizer``: also save its step count, hyperparameters and state arrays.
    ``metadata``: a JSON-serializable dict stored beside (epoch, scores, notes...).
    The file is written to a temporary file in the same directory and moved over ``path``
    with ``os.replace``, so ``path`` holds either the old or the new checkpoint, never half.
    ``path`` is used as given (no ``.npz`` is appended).
    """
    if isinstance(obj, Module):
        arrays, meta = _module_arrays(obj)
    elif isinstance(obj, dict):
        for key in obj:
            if not isinstance(key, str):
                raise TypeError(f"save: dict keys should be strings, got {key!r}")
        arrays = {f"state/{key}": _array("save", key, value) for key, value in obj.items()}
        meta = {"dtype": None, "class": None, "config": None, "rebuildable": False}
    else:
        raise TypeError(f"save: obj should be a deepspec Module or a dict of arrays, "
                        f"got {type(obj).__name__}")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"save: metadata should be a dict, got {type(metadata).__name__}")
    meta = {"format": FORMAT, "version": VERSION, **meta, "optimizer": None,
            "metadata": metadata or {}}
    if optimizer is not None:
        optim_arrays, meta["optimizer"] = _optimizer_arrays(optimizer)
        arrays.update(optim_arrays)
    text = json.dumps(meta, default=_jsonable)
    arrays[META] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    _write_atomic(os.fspath(path), arrays)


def _write_atomic(path: str, arrays: dict) -> None:
    directory, name = os.path.split(os.path.abspath(path))
    # a fresh name beside the target (same file system, so os.replace is atomic); opened
    # with "xb" it never clobbers anything and gets the usual umask permissions
    tmp = os.path.join(directory, f".{name}.{secrets.token_hex(8)}.tmp")
    try:
        with open(tmp, "xb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# ---- load ---------------------------------------------------------------------------------------
def _refuse(path, reason: str) -> ValueError:
    return ValueError(f"load: refusing {os.fspath(path)!r}: {reason}")


def _read_arrays(path) -> dict:
    """Every array in the archive, or ValueError; nothing is unpickled."""
    # the file is opened here, not by numpy, so it is closed however numpy fails
    with open(path, "rb") as f:
        try:
            npz = np.load(f, allow_pickle=False)
        except ValueError as e:
            if "pickle" in str(e):
                raise _refuse(path, "it is not an .npz archive (numpy could only read it by "
                                    "unpickling it)") from None
            raise _refuse(path, f"it is not a readable .npz archive ({e})") from None
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise _refuse(path, f"it is not a readable .npz archive "
                                f"({type(e).__name__}: {e})") from None
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise _refuse(path, "it holds a single .npy array, not a checkpoint archive")
        with npz:
            return {key: _read_member(path, npz, key) for key in npz.files}


def _read_member(path, npz, key: str):
    try:
        array = npz[key]
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise _refuse(path, f"array {key!r} contains object arrays; refusing to "
                                f"unpickle") from None
        raise _refuse(path, f"array {key!r} is corrupted ({e})") from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as e:
        raise _refuse(path, f"array {key!r} is truncated or corrupted "
                            f"({type(e).__name__}: {e})") from None
    if not isinstance(array, np.ndarray):
        raise _refuse(path, f"member {key!r} is not a .npy array")
    if array.dtype.kind not in "biufc":
        raise _refuse(path, f"array {key!r} has dtype {array.dtype}")
    return array


def _read_meta(path, arrays: dict) -> dict:
    raw = arrays.pop(META, None)
    if raw is None:
        raise _refuse(path, f"it has no {META!r} entry (not a deepspec checkpoint)")
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _refuse(path, f"{META!r} should be 1-D uint8 JSON bytes, got {raw.dtype} {raw.shape}")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise _refuse(path, f"{META!r} is not valid UTF-8 JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise _refuse(path, f"format should be {FORMAT!r}, got {got!r}")
    version = meta.get("version")
    if type(version) is not int or version != VERSION:
        raise _refuse(path, f"format version {version!r} is not supported (this deepspec "
                            f"reads version {VERSION})")
    if not isinstance(meta.get("metadata", {}), dict):
        raise _refuse(path, "'metadata' should be a JSON object")
    return meta


def _split(path, arrays: dict, meta: dict) -> tuple[dict, dict | None]:
    """The state dict, and the optimizer state (as ``Optimizer.load_state_dict`` takes it)."""
    state, optim = {}, {}
    for key, value in arrays.items():
        kind, _, name = key.partition("/")
        if kind in ("param", "state") and name:
            if name in state:
                raise _refuse(path, f"{name!r} is stored twice")
            state[name] = value
        elif kind == "optim" and name:
            optim[name] = value
        else:
            raise _refuse(path, f"unexpected array {key!r}")
    info = meta.get("optimizer")
    if info is None:
        if optim:
            raise _refuse(path, "it holds optimizer arrays but no optimizer description")
        return state, None
    try:
        names, n = [str(s) for s in info["state_names"]], int(info["n_params"])
        lists = {s: [optim.pop(f"{s}/{i}") for i in range(n)] for s in names}
        optimizer_state = {"type": str(info["type"]), "hyper": dict(info["hyper"]),
                           "t": int(info["t"]), "state": lists}
    except (KeyError, TypeError, ValueError) as e:
        raise _refuse(path, f"the optimizer state is incomplete or invalid ({e!r})") from None
    if optim:
        raise _refuse(path, f"unexpected optimizer arrays {sorted(optim)}")
    return state, optimizer_state


def _rebuildable(class_name, config) -> bool:
    """Whether every class in the config is one of the table's (else: state only)."""
    return is_buildable({"class": class_name, "config": config})


def _check_sizes(class_name: str, config: dict, state: dict, prefix: str = "") -> None:
    """Refuse a config whose layers disagree with the stored arrays *before* allocating them
    (a doctored config could otherwise ask for terabytes of weights)."""
    if class_name == "Sequential":
        for i, layer in enumerate(config.get("layers", [])):
            _check_sizes(layer["class"], layer["config"], state, f"{prefix}{i}.")
        return
    expected = {}
    if class_name == "Dense":
        expected[f"{prefix}W"] = (config.get("n"), config.get("n_prev"))
    elif class_name in ("BatchNorm", "BatchNorm1d"):
        expected[f"{prefix}gamma"] = (config.get("n"),)
    elif class_name == "Embedding":
        expected[f"{prefix}E"] = (config.get("V"), config.get("n"))
    elif class_name == "Conv2D":
        f, groups = config.get("f"), config.get("groups", 1)
        f = (f, f) if isinstance(f, int) else tuple(f or ())
        n_C_prev = config.get("n_C_prev")
        if len(f) != 2 or not isinstance(n_C_prev, int) or not isinstance(groups, int) \
                or groups < 1:
            raise ValueError(f"Conv2D at {prefix or 'the top'}: invalid config {config!r}")
        expected[f"{prefix}W"] = (*f, n_C_prev // groups, config.get("n_C"))
    elif class_name in ("SimpleRNN", "GRU", "LSTM"):
        expected[f"{prefix}W_x.0"] = (config.get("n_x"),
                                      {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}[class_name]
                                      * (config.get("n_a") or 0))
    for key, shape in expected.items():
        stored = state.get(key)
        if stored is None or tuple(stored.shape) != shape:
            got = None if stored is None else tuple(stored.shape)
            raise ValueError(f"{class_name} at {prefix or 'the top'}: its config implies "
                             f"{key} of shape {shape}, the file holds {got}")


def _float_dtype(path, dtype):
    if dtype is None:
        return None
    try:
        dtype = np.dtype(dtype)
    except (TypeError, ValueError, KeyError):
        dtype = None
    if dtype is None or dtype.kind != "f":
        raise _refuse(path, "'dtype' should name a float dtype")
    return dtype


def _read(path) -> tuple[dict, dict | None, dict]:
    arrays = _read_arrays(path)
    meta = _read_meta(path, arrays)
    state, optimizer_state = _split(path, arrays, meta)
    return state, optimizer_state, meta


def load(path) -> Checkpoint:
    """Read a checkpoint written by ``save``; rebuild the model when it can.

    Refuses (``ValueError`` naming the file and the reason) anything that is not an intact
    deepspec checkpoint of a supported version, and any array that would need unpickling.
    ``.model`` is a rebuilt ``Sequential`` (or layer) of known classes with the saved
    parameters, buffers and dtype, in training mode; it is None when the saved module had no
    config or a class outside the table (use ``.state`` with ``load_into``).
    """
    state, optimizer_state, meta = _read(path)
    dtype, class_name, config = meta.get("dtype"), meta.get("class"), meta.get("config")
    model = None
    try:
        rebuildable = meta.get("rebuildable") is True and _rebuildable(class_name, config)
    except RecursionError:
        raise _refuse(path, "the model config is nested too deeply") from None
    if rebuildable:
        float_dtype = _float_dtype(path, dtype)
        try:
            _check_sizes(class_name, config, state)
            model = build({"class": class_name, "config": config})
            if float_dtype is not None:
                model.astype(float_dtype)
            model.load_state_dict(state)
        except (TypeError, ValueError, RuntimeError, KeyError, MemoryError) as e:
            raise _refuse(path, f"the model cannot be rebuilt from its config ({e})") from None
    return Checkpoint(model=model, state=state, optimizer_state=optimizer_state,
                      metadata=meta.get("metadata", {}), class_name=class_name, config=config,
                      dtype=dtype)


def load_into(model: Module, path, optimizer=None) -> Checkpoint:
    """Load a checkpoint's state into an existing ``model`` (and ``optimizer``), strictly.

    Returns the ``Checkpoint`` with ``.model`` set to ``model``.
    """
    if not isinstance(model, Module):
        raise TypeError(f"load_into: model should be a deepspec Module, got "
                        f"{type(model).__name__}")
    state, optimizer_state, meta = _read(path)
    if optimizer is not None and optimizer_state is None:
        raise ValueError(f"load_into: {os.fspath(path)!r} holds no optimizer state")
    model.load_state_dict(state)
    if optimizer is not None:
        optimizer.load_state_dict(optimizer_state)
    return Checkpoint(model=model, state=state, optimizer_state=optimizer_state,
                      metadata=meta.get("metadata", {}), class_name=meta.get("class"),
                      config=meta.get("config"), dtype=meta.get("dtype"))
