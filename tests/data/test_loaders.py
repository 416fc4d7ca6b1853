"""Loaders and file formats, on small files written here (nothing is fetched)."""

import gzip
import os
import pickle
import sys
import types

import numpy as np
import pytest

from deepspec.data import (
    FASHION_MNIST_CLASSES,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    load_names,
    load_shakespeare,
    read_array_pickle,
    read_idx,
    strip_gutenberg,
    write_idx,
)


def images(m, seed):
    return np.random.default_rng(seed).integers(0, 256, (m, 28, 28), dtype=np.uint8)


def labels(m, seed):
    return np.random.default_rng(seed).integers(0, 10, m).astype(np.uint8)


# ---------------------------------------------------------------------------- IDX

@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32,
                                   np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(dtype, suffix, tmp_path):
    array = (np.random.default_rng(0).standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = tmp_path / f"a-idx3-ubyte{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == (3, 4, 5)
    np.testing.assert_array_equal(back, array)
    back[0] = 0  # a writable copy
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")


def test_idx_header_is_the_standard_one(tmp_path):
    write_idx(tmp_path / "x", np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert (tmp_path / "x").read_bytes() == bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3,
                                                    0, 1, 2, 3, 4, 5])
    write_idx(tmp_path / "y", np.array([1.5], dtype=">f4"))  # big-endian input is fine too
    assert read_idx(tmp_path / "y").tolist() == [1.5]


@pytest.mark.parametrize("head", [b"", b"\x00", b"PK\x03\x04", b"\x00\x01\x08\x01",
                                  b"\x00\x00\x07\x01"])
def test_idx_with_a_bad_magic_is_refused(head, tmp_path):
    (tmp_path / "bad").write_bytes(head + bytes(8))
    with pytest.raises(ValueError, match="should start with the IDX magic 00 00"):
        read_idx(tmp_path / "bad")


def test_truncated_idx_is_refused(tmp_path):
    write_idx(tmp_path / "x", images(2, 0))
    data = (tmp_path / "x").read_bytes()
    (tmp_path / "short").write_bytes(data[:-1])
    with pytest.raises(ValueError, match=r"header says shape \(2, 28, 28\), i.e. 1568 bytes "
                                         r"of data, but the file has 1567"):
        read_idx(tmp_path / "short")
    (tmp_path / "header").write_bytes(data[:10])
    with pytest.raises(ValueError, match="truncated: 3 dims need a 16-byte header"):
        read_idx(tmp_path / "header")
    (tmp_path / "long").write_bytes(data + b"\0")
    with pytest.raises(ValueError, match="the file has 1569"):
        read_idx(tmp_path / "long")


def test_truncated_gzip_is_refused(tmp_path):
    write_idx(tmp_path / "x.gz", images(2, 0))
    data = (tmp_path / "x.gz").read_bytes()
    (tmp_path / "cut.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="damaged or truncated gzip"):
        read_idx(tmp_path / "cut.gz")


def test_write_idx_refuses_types_idx_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="dtype should be one of uint8.*got int64"):
        write_idx(tmp_path / "x", np.arange(3, dtype=np.int64))
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- pickles

def mnist_like(seed=0, sizes=(7, 3, 2)):
    """A (train, valid, test) tuple like mnist.pkl.gz: X float32 k/256, y int64."""
    return tuple((images(m, seed + i).reshape(m, 784).astype(np.float32) / 256,
                  labels(m, seed + i).astype(np.int64)) for i, m in enumerate(sizes))


def write_pickle(path, obj, protocol):
    with gzip.open(path, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_array_unpickler_loads_a_tuple_of_arrays(protocol, tmp_path):
    parts = mnist_like()
    write_pickle(tmp_path / "d.pkl.gz", parts, protocol)
    loaded = read_array_pickle(tmp_path / "d.pkl.gz")
    assert isinstance(loaded, tuple) and len(loaded) == 3
    for (X, y), (X0, y0) in zip(loaded, parts):
        assert X.dtype == np.float32 and y.dtype == np.int64
        np.testing.assert_array_equal(X, X0)
        np.testing.assert_array_equal(y, y0)


class RunsACommand:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class CallsEval:
    def __reduce__(self):
        return eval, ("__import__('os').getcwd()",)


def test_array_unpickler_refuses_a_pickle_that_would_run_a_command(tmp_path):
    marker = tmp_path / "pwned"
    payload = (np.zeros(3), RunsACommand(f"touch {marker}"))
    write_pickle(tmp_path / "evil.pkl.gz", payload, 2)
    with pytest.raises(pickle.UnpicklingError, match=r"refusing global (posix|nt|os)\.system"):
        read_array_pickle(tmp_path / "evil.pkl.gz")
    assert not marker.exists()
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(CallsEval()))  # not gzipped
    with pytest.raises(pickle.UnpicklingError, match=r"refusing global builtins\.eval"):
        read_array_pickle(tmp_path / "evil.pkl")


def test_array_unpickler_refuses_codecs_beyond_latin1(tmp_path):
    evil = b"\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00abcX\x04\x00\x00\x00zlib\x86R."
    (tmp_path / "codec.pkl").write_bytes(evil)
    with pytest.raises(pickle.UnpicklingError, match="only with latin1 text, got 'zlib'"):
        read_array_pickle(tmp_path / "codec.pkl")


# ---------------------------------------------------------------------------- MNIST

def test_load_mnist_from_a_pickle_file_or_folder(tmp_path):
    parts = mnist_like()
    write_pickle(tmp_path / "mnist.pkl.gz", parts, 2)
    for path in (tmp_path / "mnist.pkl.gz", tmp_path):
        data = load_mnist(path)
        assert list(data) == ["train", "valid", "test"]
        for (X, y), (X0, y0) in zip(data.values(), parts):
            assert X.dtype == np.float32 and y.dtype == np.int64
            np.testing.assert_array_equal(X, X0)
            np.testing.assert_array_equal(y, y0)
    X, _ = load_mnist(tmp_path, flatten=False, dtype=np.uint8)["train"]
    assert X.shape == (7, 28, 28, 1) and X.dtype == np.uint8
    np.testing.assert_array_equal(X[..., 0], images(7, 0))


def test_load_mnist_refuses_a_pickle_of_something_else(tmp_path):
    write_pickle(tmp_path / "mnist.pkl.gz", (np.zeros((2, 784)), np.zeros(2)), 2)
    with pytest.raises(ValueError, match=r"should hold a tuple \(train, valid, test\)"):
        load_mnist(tmp_path)


def test_load_mnist_from_idx_files_matches_the_pickle_layout(tmp_path):
    train_X, train_y = images(10_005, 1), labels(10_005, 1)  # 5 train + 10000 valid
    test_X, test_y = images(4, 2), labels(4, 2)
    write_idx(tmp_path / "train-images-idx3-ubyte", train_X)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", train_y)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", test_X)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", test_y)

    data = load_mnist(tmp_path)
    (X, y), (X_valid, y_valid), (X_test, y_test) = data.values()
    assert X.shape == (5, 784) and X_valid.shape == (10_000, 784) and X_test.shape == (4, 784)
    assert X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(X, train_X[:5].reshape(5, 784) / np.float32(256))
    np.testing.assert_array_equal(y_valid, train_y[5:])
    np.testing.assert_array_equal(y_test, test_y)
    X_img, _ = load_mnist(tmp_path, flatten=False)["test"]
    assert X_img.shape == (4, 28, 28, 1)


def test_load_mnist_names_a_missing_idx_file(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", images(2, 0))
    with pytest.raises(FileNotFoundError, match="should hold train-labels-idx1-ubyte or "):
        load_mnist(tmp_path)


def test_loaders_say_how_to_fetch_when_the_cache_is_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPSPEC_DATA", str(tmp_path))
    for loader, name in [(load_mnist, "mnist"), (load_fashion_mnist, "fashion-mnist"),
                         (load_names, "names"), (load_shakespeare, "shakespeare")]:
        with pytest.raises(FileNotFoundError, match=f"run `deepspec data fetch {name}` first"):
            loader()
    assert list(tmp_path.iterdir()) == []  # nothing was downloaded
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")


def test_load_fashion_mnist_from_idx_files(tmp_path):
    arrays = {"train": (images(6, 3), labels(6, 3)), "t10k": (images(4, 4), labels(4, 4))}
    for prefix, (X, y) in arrays.items():
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", X)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", y)
    data = load_fashion_mnist(tmp_path)
    assert data["classes"] == FASHION_MNIST_CLASSES and len(data["classes"]) == 10
    X, y = data["train"]
    assert X.shape == (6, 784) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X, arrays["train"][0].reshape(6, 784) / 255, rtol=1e-6)
    assert X.max() <= 1.0
    X, y = load_fashion_mnist(tmp_path, flatten=False, dtype=np.uint8)["test"]
    assert X.shape == (4, 28, 28, 1)
    np.testing.assert_array_equal(X[..., 0], arrays["t10k"][0])
    np.testing.assert_array_equal(y, arrays["t10k"][1])
    with pytest.raises(TypeError, match="dtype should be a float dtype or uint8, got int32"):
        load_fashion_mnist(tmp_path, dtype=np.int32)


def test_load_fashion_mnist_checks_shapes(tmp_path):
    for prefix in ("train", "t10k"):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte", images(3, 0))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", labels(2, 0))
    with pytest.raises(ValueError, match=r"labels \(m,\), got uint8 \(3, 28, 28\) and \(2,\)"):
        load_fashion_mnist(tmp_path)


# ---------------------------------------------------------------------------- names

MALE = "JAMES          3.318  3.318      1\nJOHN           3.271  6.589      2\n\n"
FEMALE = "MARY           2.629  2.629      1\nJAMES          0.100  2.729      2\n"


def test_load_names_reads_the_census_format(tmp_path):
    (tmp_path / "dist.male.first").write_text(MALE)
    (tmp_path / "dist.female.first").write_text(FEMALE)
    (tmp_path / "dist.all.last").write_text("SMITH          1.006  1.006      1\n")
    assert load_names(tmp_path) == ["james", "john", "mary"]  # JAMES once
    assert load_names(tmp_path, which="female") == ["mary", "james"]
    assert load_names(tmp_path, which=("last",)) == ["smith"]
    assert load_names(tmp_path / "dist.male.first") == ["james", "john"]


def test_load_names_refuses_bad_rows_and_lists(tmp_path):
    (tmp_path / "dist.male.first").write_text(MALE + "NOT A ROW\n")
    with pytest.raises(ValueError, match=r"dist.male.first line 4 should be 'NAME freq "
                                         r"cumulative rank', got 'NOT A ROW'"):
        load_names(tmp_path, which="male")
    with pytest.raises(ValueError, match=r"which should be some of \('male', 'female', "):
        load_names(tmp_path, which=("boys",))


# ---------------------------------------------------------------------------- Shakespeare

HEADER = ("The Project Gutenberg EBook of Hamlet\n\nThis eBook is for the use of anyone.\n\n"
          "*** START OF THIS PROJECT GUTENBERG EBOOK HAMLET ***\n\n\n")
BODY = "HAMLET\n\nby William Shakespeare\n\nTo be, or not to be, that is the question:\n"
FOOTER = ("\n\nEnd of the Project Gutenberg EBook of Hamlet\n\n"
          "*** END OF THIS PROJECT GUTENBERG EBOOK HAMLET ***\nUpdated editions will replace\n")


def test_strip_gutenberg_removes_header_and_footer():
    assert strip_gutenberg(HEADER + BODY + FOOTER) == BODY
    old_style = "legal text\n*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n"
    assert strip_gutenberg(old_style + BODY) == BODY
    assert strip_gutenberg(BODY) == BODY  # no markers: unchanged


def test_load_shakespeare_joins_the_chosen_works(tmp_path):
    (tmp_path / "hamlet_gut.txt").write_text(HEADER + BODY + FOOTER)
    (tmp_path / "sonnets_gut.txt").write_text("THE SONNETS\n\nFrom fairest creatures\n")
    (tmp_path / "hamlet_gut_f.txt").write_text("First Folio: not a *_gut.txt work\n")
    text = load_shakespeare(tmp_path)
    assert text == BODY + "\nTHE SONNETS\n\nFrom fairest creatures\n"
    assert "Gutenberg" not in text and "Folio" not in text
    sonnets = load_shakespeare(tmp_path, works=["sonnets"])
    assert sonnets == "THE SONNETS\n\nFrom fairest creatures\n"
    assert load_shakespeare(tmp_path, works="hamlet_gut.txt") == BODY
    raw = load_shakespeare(tmp_path, works=["hamlet"], strip_header=False)
    assert raw.startswith("The Project Gutenberg EBook") and "START OF THIS" in raw
    assert load_shakespeare(tmp_path / "sonnets_gut.txt").startswith("THE SONNETS")
    with pytest.raises(ValueError, match=r"unknown works \['macbeth'\]; valid names: hamlet, "):
        load_shakespeare(tmp_path, works=["macbeth"])


# ---------------------------------------------------------------------------- digits

def test_load_digits_scales_sklearn_digits(monkeypatch):
    fake = types.ModuleType("sklearn.datasets")
    data = np.arange(3 * 64, dtype=np.float64).reshape(3, 64) % 17  # pixels 0..16
    fake.load_digits = lambda: types.SimpleNamespace(data=data, target=np.array([0, 5, 9]))
    monkeypatch.setitem(sys.modules, "sklearn", types.ModuleType("sklearn"))
    monkeypatch.setitem(sys.modules, "sklearn.datasets", fake)
    X, y = load_digits()
    assert X.shape == (3, 64) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X, data / 16, rtol=1e-6)
    assert load_digits(flatten=False)[0].shape == (3, 8, 8, 1)


def test_load_digits_says_how_to_install_scikit_learn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn fails
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install deepspec\[data\]"):
        load_digits()
