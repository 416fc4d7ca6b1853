"""Loaders for the real data sets, and readers for the formats they come in (IDX, pickle).

A loader reads ``cache_dir() / NAME`` (filled by ``deepspec data fetch NAME``) or a path you
give; it never downloads, and never runs code from a data file: MNIST's pickle goes through
``ArrayUnpickler``, which builds NumPy arrays and nothing else.

Images are batch-first: ``(m, 784)`` flattened, or ``(m, 28, 28, 1)`` (channels-last) with
``flatten=False``. Labels are int64 class ids.
"""

from __future__ import annotations

import gzip
import os
import pickle
import re
import struct
import tempfile
from pathlib import Path

import numpy as np

from .cache import cache_dir, get_source, is_fetched

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

# IDX type byte -> big-endian dtype   (http://yann.lecun.com/exdb/mnist/, "IDX file format")
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_IDX_CODES = {np.dtype(d).newbyteorder("="): code for code, d in _IDX_DTYPES.items()}


# ---------------------------------------------------------------------------- file formats

def _read_bytes(path: Path, who: str) -> bytes:
    """The file's bytes, gunzipped when it starts with gzip's magic number."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise ValueError(f"{who}: {path} is a damaged or truncated gzip file ({e})") from None
    return data


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """An IDX file (the MNIST format), gzipped or plain, as an array in native byte order.

    Layout: 2 zero bytes, a type byte (0x08 uint8 ... 0x0E float64), the number of dims, one
    big-endian uint32 per dim, then the data in C order.
    """
    path = Path(path)
    data = _read_bytes(path, "read_idx")
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in _IDX_DTYPES:
        raise ValueError(f"read_idx: {path} should start with the IDX magic 00 00 <type> <ndim>"
                         f" (type one of 08 09 0b 0c 0d 0e), got {data[:4].hex(' ') or 'nothing'}")
    ndim, header = data[3], 4 + 4 * data[3]
    if len(data) < header:
        raise ValueError(f"read_idx: {path} is truncated: {ndim} dims need a {header}-byte "
                         f"header, the file has {len(data)} bytes")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    size = int(np.prod(shape, dtype=np.int64))
    if len(data) - header != size * dtype.itemsize:
        raise ValueError(f"read_idx: {path}: the header says shape {shape}, i.e. "
                         f"{size * dtype.itemsize} bytes of data, but the file has "
                         f"{len(data) - header}")
    array = np.frombuffer(data, dtype, count=size, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable, native-order copy


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzipped if ``path`` ends in .gz), atomically."""
    path, array = Path(path), np.asarray(array)
    code = _IDX_CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"write_idx: array dtype should be one of uint8, int8, int16, int32, "
                        f"float32, float64, got {array.dtype}")
    if array.ndim > 255 or any(n >= 2**32 for n in array.shape):
        raise ValueError(f"write_idx: IDX holds up to 255 dims of < 2**32, got {array.shape}")
    body = struct.pack(f">BBBB{array.ndim}I", 0, 0, code, array.ndim, *array.shape)
    body += np.ascontiguousarray(array, dtype=_IDX_DTYPES[code]).tobytes()
    if path.suffix == ".gz":
        body = gzip.compress(body, mtime=0)
    _write_atomic(path, body)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o644)  # mkstemp's 0600 would make it private
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _array_from_buffer(buffer, dtype, shape, order="C"):
    """What numpy's ``_frombuffer`` does for pickle protocol 5, for plain arrays only."""
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order)


def _empty_array(subtype, shape, dtype):
    """What numpy's ``_reconstruct`` does: an array that the pickle's BUILD then fills in."""
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"ArrayUnpickler: only numpy.ndarray, got {subtype!r}")
    return np.ndarray(shape, dtype)


def _latin1_bytes(text, encoding="latin1", errors="strict"):
    """What ``_codecs.encode`` does for bytes in a protocol-2 pickle, and nothing else."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(
            f"ArrayUnpickler: _codecs.encode only with latin1 text, got {encoding!r}")
    return text.encode("latin1")


class ArrayUnpickler(pickle.Unpickler):
    """A pickle reader that can build NumPy arrays (and tuples, lists, numbers) and nothing else.

    ``find_class`` admits only the globals an array's pickle names, each mapped to a small
    function here; any other global (``os.system``, ``builtins.eval``, ...) is refused with
    ``pickle.UnpicklingError`` naming it, before anything is called.
    """

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _empty_array,  # numpy < 2 pickles
        ("numpy._core.multiarray", "_reconstruct"): _empty_array,
        ("numpy.core.numeric", "_frombuffer"): _array_from_buffer,
        ("numpy._core.numeric", "_frombuffer"): _array_from_buffer,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_bytes,
    }

    def find_class(self, module: str, name: str):
        try:
            return self.ALLOWED[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"ArrayUnpickler: refusing global {module}.{name}; only NumPy arrays are "
                "allowed in this pickle") from None


def read_array_pickle(path: str | os.PathLike):
    """Load a (gzipped) pickle of NumPy arrays with ``ArrayUnpickler``; runs no code from it.

    Python 2 pickles (like mnist.pkl.gz) are read with ``encoding="latin1"``.
    """
    path = Path(path)
    opener = gzip.open if _read_head(path) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        try:
            return ArrayUnpickler(f, encoding="latin1").load()
        except (EOFError, gzip.BadGzipFile) as e:
            raise ValueError(f"read_array_pickle: {path} is damaged or truncated ({e})") from None


def _read_head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(2)


# ---------------------------------------------------------------------------- data sets

def _dataset_dir(name: str, path) -> Path:
    """``path`` if given, else the cache folder of ``name``, which must have been fetched."""
    if path is not None:
        path = Path(path).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"load {name}: {path} does not exist")
        return path
    get_source(name)
    folder = cache_dir() / name
    if not is_fetched(name):
        raise FileNotFoundError(f"load {name}: the data set is not in the cache ({folder}); "
                                f"run `deepspec data fetch {name}` first, or pass path=")
    return folder


def _images(X: np.ndarray, *, flatten: bool, dtype, scale: float, who: str) -> np.ndarray:
    """Raw 0..255 pixels ``(m, 28, 28)`` -> ``(m, 784)`` or ``(m, 28, 28, 1)`` in ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        X = X.astype(dtype)
        X *= dtype.type(1 / scale)
    elif dtype == np.uint8:
        X = X.astype(np.uint8)
    else:
        raise TypeError(f"{who}: dtype should be a float dtype or uint8, got {dtype}")
    return X.reshape(len(X), -1) if flatten else X.reshape(len(X), 28, 28, 1)


def _idx_pair(folder: Path, prefix: str, who: str) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels ``{prefix}-images-idx3-ubyte[.gz]``, ``{prefix}-labels-idx1-ubyte``."""
    arrays = []
    for stem in (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"):
        candidates = [folder / stem, folder / f"{stem}.gz"]
        found = [p for p in candidates if p.is_file()]
        if not found:
            raise FileNotFoundError(f"{who}: {folder} should hold {stem} or {stem}.gz")
        arrays.append(read_idx(found[0]))
    X, y = arrays
    if X.dtype != np.uint8 or X.shape[1:] != (28, 28) or y.shape != (len(X),):
        raise ValueError(f"{who}: {prefix} files should hold uint8 images (m, 28, 28) and "
                         f"labels (m,), got {X.dtype} {X.shape} and {y.shape}")
    return X, y.astype(np.int64)


def load_mnist(path=None, *, flatten: bool = True, dtype=np.float32) -> dict:
    """MNIST digits: ``{"train": (X, y), "valid": (X, y), "test": (X, y)}``, 50000/10000/10000.

    Reads ``mnist.pkl.gz`` from the cache (``deepspec data fetch mnist``), or ``path``: that
    pickle, or a folder with it or with the 4 standard IDX files (``train-images-idx3-ubyte``
    ..., gzipped or not; the first 50000 training images are "train", the last 10000 "valid",
    as in the pickle). X is ``(m, 784)``, or ``(m, 28, 28, 1)`` with ``flatten=False``, with
    pixels k/256 in [0, 1) as the classic pickle stores them (so both sources give the same
    arrays), or the raw 0..255 with ``dtype=np.uint8``; y is int64.
    """
    folder = _dataset_dir("mnist", path)
    if folder.is_file() or (folder / "mnist.pkl.gz").is_file():
        pkl = folder if folder.is_file() else folder / "mnist.pkl.gz"
        parts = _check_mnist_pickle(read_array_pickle(pkl), pkl)
        if np.dtype(dtype).kind == "f":  # already k/256; skip the round trip through uint8
            shape = (-1, 784) if flatten else (-1, 28, 28, 1)
            parts = [(X.astype(dtype, copy=False).reshape(shape), y) for X, y in parts]
            return dict(zip(("train", "valid", "test"), parts))
        raw = [(np.rint(X.reshape(-1, 28, 28) * 256), y) for X, y in parts]
    else:
        X, y = _idx_pair(folder, "train", "load_mnist")
        raw = [(X[:-10000], y[:-10000]), (X[-10000:], y[-10000:]),
               _idx_pair(folder, "t10k", "load_mnist")]
    return {split: (_images(X, flatten=flatten, dtype=dtype, scale=256, who="load_mnist"), y)
            for split, (X, y) in zip(("train", "valid", "test"), raw)}


def _check_mnist_pickle(obj, path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    ok = isinstance(obj, tuple) and len(obj) == 3
    parts = []
    for part in obj if ok else ():
        X, y = part if isinstance(part, tuple) and len(part) == 2 else (None, None)
        ok = ok and isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
        ok = ok and X.dtype.kind == "f" and X.ndim == 2 and X.shape[1] == 784
        ok = ok and y.dtype.kind in "iu" and y.shape == (len(X),)
        if not ok:
            break
        parts.append((X, y.astype(np.int64)))
    if not ok:
        raise ValueError(f"load_mnist: {path} should hold a tuple (train, valid, test) of "
                         "(X float (m, 784), y int (m,)) pairs")
    return parts


def load_fashion_mnist(path=None, *, flatten: bool = True, dtype=np.float32) -> dict:
    """Fashion-MNIST: ``{"train": (X, y), "test": (X, y), "classes": FASHION_MNIST_CLASSES}``.

    60000 training and 10000 test images of 10 clothing classes (y int64 indexes ``classes``).
    Reads the 4 IDX files from the cache (``deepspec data fetch fashion-mnist``) or from the
    folder ``path``. X is ``(m, 784)``, or ``(m, 28, 28, 1)`` with ``flatten=False``, pixels
    scaled by 1/255 to [0, 1], or the raw 0..255 with ``dtype=np.uint8``.
    """
    folder = _dataset_dir("fashion-mnist", path)
    data = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        X, y = _idx_pair(folder, prefix, "load_fashion_mnist")
        data[split] = (_images(X, flatten=flatten, dtype=dtype, scale=255,
                               who="load_fashion_mnist"), y)
    data["classes"] = FASHION_MNIST_CLASSES
    return data


_NAME_FILES = {"male": "dist.male.first", "female": "dist.female.first", "last": "dist.all.last"}


def load_names(path=None, *, which=("male", "female")) -> list[str]:
    """Lowercase names from the 1990 US census lists, each once, in order of frequency per list.

    ``which`` picks lists among "male", "female" (first names) and "last". Reads the cache
    (``deepspec data fetch names``), a folder ``path`` holding ``dist.male.first`` etc., or
    one file ``path`` in that format: whitespace columns NAME, freq %, cumulative %, rank.
    """
    if isinstance(which, str):
        which = (which,)
    unknown = [w for w in which if w not in _NAME_FILES]
    if unknown or not which:
        raise ValueError(f"load_names: which should be some of {tuple(_NAME_FILES)}, "
                         f"got {which!r}")
    where = _dataset_dir("names", path)
    files = [where] if where.is_file() else [where / _NAME_FILES[w] for w in which]
    names = {}  # a dict keeps first-seen order and drops repeats (JAMES is in both lists)
    for file in files:
        for name in _read_census_names(file):
            names.setdefault(name, None)
    return list(names)


def _read_census_names(file: Path) -> list[str]:
    names = []
    with open(file, encoding="ascii") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4 or not _is_census_row(parts):
                raise ValueError(f"load_names: {file} line {lineno} should be "
                                 f"'NAME freq cumulative rank', got {line.rstrip()!r}")
            names.append(parts[0].lower())
    return names


def _is_census_row(parts: list[str]) -> bool:
    try:
        float(parts[1]), float(parts[2]), int(parts[3])
    except ValueError:
        return False
    return True


_GUTENBERG_START = re.compile(
    r"^(\*\*\*\s*START OF (THE|THIS) PROJECT GUTENBERG.*|\*END\*THE SMALL PRINT!.*)$",
    re.IGNORECASE | re.MULTILINE)
_GUTENBERG_END = re.compile(
    r"^(\*\*\*\s*END OF (THE|THIS) PROJECT GUTENBERG.*|End of (the )?Project Gutenberg.*)$",
    re.IGNORECASE | re.MULTILINE)


def strip_gutenberg(text: str) -> str:
    """``text`` without a Project Gutenberg header (up to its "*** START OF ..." line) and
    footer (from "*** END OF ..." or "End of the Project Gutenberg ..."); unchanged if
    neither marker is present."""
    start = _GUTENBERG_START.search(text)
    end = _GUTENBERG_END.search(text, start.end() if start else 0)
    if start is None and end is None:
        return text
    body = text[start.end() if start else 0: end.start() if end else len(text)]
    return body.strip() + "\n"


def load_shakespeare(path=None, *, works=None, strip_header: bool = True) -> str:
    """Shakespeare's works as one text, works separated by a blank line.

    ``works``: None for all 42 (in name order), or names such as ``["hamlet", "sonnets"]``
    (file names ``hamlet_gut.txt`` without ``_gut.txt``). Reads the cache (``deepspec data
    fetch shakespeare``), a folder ``path`` of ``*_gut.txt`` files, or a single text file.
    With ``strip_header``, any Project Gutenberg header and footer is removed (the packaged
    files have none left, so this matters for files you bring).
    """
    where = _dataset_dir("shakespeare", path)
    if where.is_file():
        files = [where]
    else:
        available = {p.name.removesuffix("_gut.txt"): p for p in sorted(where.glob("*_gut.txt"))}
        if works is None:
            files = list(available.values())
        else:
            wanted = [w.removesuffix(".txt").removesuffix("_gut") for w in
                      ([works] if isinstance(works, str) else works)]
            unknown = [w for w in wanted if w not in available]
            if unknown:
                raise ValueError(f"load_shakespeare: unknown works {unknown}; valid names: "
                                 f"{', '.join(available)}")
            files = [available[w] for w in wanted]
        if not files:
            raise FileNotFoundError(f"load_shakespeare: no *_gut.txt files in {where}")
    texts = [f.read_text(encoding="utf-8") for f in files]
    if strip_header:
        texts = [strip_gutenberg(t) for t in texts]
    return "\n\n".join(t.strip("\n") for t in texts) + "\n"


def load_digits(*, flatten: bool = True, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits: X ``(1797, 64)`` (or ``(1797, 8, 8, 1)``) in [0, 1], y int64.

    Needs scikit-learn, which ships the data: ``pip install deepspec[data]``.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn: pip install deepspec[data] "
                          "(or pip install scikit-learn)") from None
    bunch = sklearn_load_digits()
    X = np.asarray(bunch.data, dtype=dtype) / np.dtype(dtype).type(16)  # pixels are 0..16
    X = X.reshape(len(X), -1) if flatten else X.reshape(len(X), 8, 8, 1)
    return X, np.asarray(bunch.target, dtype=np.int64)
