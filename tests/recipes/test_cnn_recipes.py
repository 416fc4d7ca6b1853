"""CNN recipes (lenet5-mnist, cnn-fashion, transfer-digits) on the real data sets, fetched into
the cache if needed, and the 28x28 -> 8x8 bridge between MNIST and scikit-learn's digits."""

import json

import numpy as np
import pytest

import deepspec as ds
from conftest import real_data
from deepspec.recipes import RECIPES, get
from deepspec.recipes.cnn import digits_split, fashion_cnn
from deepspec.recipes.cnn_common import mnist_to_8x8


@pytest.fixture(scope="module")
def mnist():
    return real_data("mnist")


@pytest.fixture(scope="module")
def fashion():
    return real_data("fashion-mnist")


def bar_image(top=4, left=12, height=20, width=4):
    """A (1, 28, 28, 1) image: a white bar, like a handwritten 1."""
    X = np.zeros((1, 28, 28, 1), np.float32)
    X[0, top:top + height, left:left + width] = 1.0
    return X


# ---------------------------------------------------------------------------- MNIST -> 8x8
def test_mnist_to_8x8_fills_the_height_like_the_digits_and_counts_blocks():
    [E] = mnist_to_8x8(bar_image())[..., 0]
    # a 20-high bar fills all 8 rows (the larger side fills the box); 4 of 20 pixels wide,
    # centred, is bitmap columns 12-19 once interpolated and thresholded at 0.3: cells 3 and 4
    # on (but a corner pixel of each, where the interpolated edge falls below 0.3), others off
    np.testing.assert_array_equal(E[1:7, 3:5], 1.0)
    np.testing.assert_array_equal(E[[0, 7], 3:5], 15 / 16)
    np.testing.assert_array_equal(E[:, :3], 0.0)
    np.testing.assert_array_equal(E[:, 5:], 0.0)
    assert np.all(E * 16 == np.round(E * 16))  # counts of on pixels out of 16


def test_mnist_to_8x8_ignores_where_and_how_big_the_digit_is():
    reference = mnist_to_8x8(bar_image())
    np.testing.assert_array_equal(mnist_to_8x8(bar_image(top=1, left=3)), reference)
    # a bar twice as small in both directions normalizes to the same box
    half = np.zeros((1, 28, 28, 1), np.float32)
    half[0, 10:20, 14:16] = 1.0
    np.testing.assert_array_equal(mnist_to_8x8(half), reference)


def test_mnist_to_8x8_checks_its_input():
    with pytest.raises(ValueError, match=r"mnist_to_8x8: images should have shape "
                                         r"\(m, 28, 28, 1\), got \(2, 784\)"):
        mnist_to_8x8(np.zeros((2, 784)))
    assert mnist_to_8x8(np.zeros((0, 28, 28, 1))).shape == (0, 8, 8, 1)


def test_converted_mnist_looks_like_the_digits(mnist):
    X, _ = ds.data.load_mnist(flatten=False)["valid"]
    E = mnist_to_8x8(X[:2000])
    D, _ = ds.data.load_digits(flatten=False)
    assert E.shape == (2000, 8, 8, 1) and E.dtype == np.float32
    assert abs(E.mean() - D.mean()) < 0.02  # the same amount of ink
    # the digits fill the height of the box: every row holds ink as often as in the digits
    np.testing.assert_allclose((E > 0.2).mean(axis=(0, 2, 3)), (D > 0.2).mean(axis=(0, 2, 3)),
                               atol=0.1)


# ---------------------------------------------------------------------------- recipes
def test_recipes_are_registered_with_their_metrics_and_data():
    assert RECIPES["lenet5-mnist"].metric == "test_accuracy"
    assert RECIPES["cnn-fashion"].data == ("fashion-mnist",)
    transfer = RECIPES["transfer-digits"]
    assert transfer.metric == "transfer_accuracy" and transfer.fast and transfer.data == ("mnist",)
    assert transfer.format({"transfer_accuracy": 0.9397, "scratch_accuracy": 0.9028}) == (
        "transfer 94.0% vs scratch 90.3%")


def test_lenet5_mnist_reaches_99_percent(mnist):
    results = get("lenet5-mnist").run(quiet=True)  # about a minute on two cores
    assert results["test_accuracy"] >= 0.99, results
    assert results["epochs"] == 4 and results["train_examples"] == 50000
    assert len(results["dev_accuracy_curve"]) == 4 and results["dev_accuracy"] >= 0.985


def test_lenet5_mnist_learns_on_a_subset_saves_and_plots(mnist, tmp_path):
    # 1 epoch on 10000 images reaches 96.2% (seeds 1, 2: 95.4%, 96.2%)
    path, plot = tmp_path / "lenet.npz", tmp_path / "curves.png"
    results = get("lenet5-mnist").run(quiet=True, epochs=1, max_train=10000, save=str(path),
                                      plot=str(plot))
    assert results["test_accuracy"] >= 0.94, results
    assert results["train_examples"] == 10000 and results["epochs"] == 1
    assert len(results["dev_accuracy_curve"]) == 1 and results["seconds_per_epoch"] > 0
    assert json.loads(json.dumps(results)) == results
    loaded = ds.load(path)
    X, y = ds.data.load_mnist(flatten=False)["test"]
    accuracy = float(np.mean(ds.predict(loaded.model, X).argmax(axis=1) == y))
    assert accuracy == pytest.approx(results["test_accuracy"], abs=1e-4)
    assert loaded.metadata["recipe"] == "lenet5-mnist"
    assert loaded.metadata["test_accuracy"] == results["test_accuracy"]
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_cnn_fashion_learns_with_augmentation_on_a_subset(fashion, tmp_path):
    # the full default run (12 epochs on 55000 images, 91.6%) takes 8 minutes or more on two
    # cores: here 2 epochs on 10000 images, which reach 83.2% (seeds 1 and 2: 80.2%, 81.4%)
    path, plot = tmp_path / "fashion.npz", tmp_path / "curves.png"
    results = get("cnn-fashion").run(quiet=True, epochs=2, max_train=10000, save=str(path),
                                     plot=str(plot))
    assert results["test_accuracy"] >= 0.78, results
    assert results["train_examples"] == 10000 and len(results["train_accuracy_curve"]) == 2
    loaded = ds.load(path)
    X, y = ds.data.load_fashion_mnist(flatten=False)["test"]
    accuracy = float(np.mean(ds.predict(loaded.model, X).argmax(axis=1) == y))
    assert accuracy == pytest.approx(results["test_accuracy"], abs=1e-4)
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_fashion_cnn_shapes_and_batch_norm_convolutions_have_no_bias():
    model = fashion_cnn(seed=0)
    out = model(ds.Tensor(np.zeros((2, 28, 28, 1), np.float32)))
    assert out.shape == (2, 10)
    convs = [layer for layer in model.layers if isinstance(layer, ds.nn.Conv2D)]
    assert len(convs) == 3 and all(conv.b is None for conv in convs)
    assert fashion_cnn(seed=0, channels=(4,), hidden=8).num_parameters() == (
        9 * 4 + 2 * 4 + 14 * 14 * 4 * 8 + 8 + 8 * 10 + 10)


def test_transfer_digits_beats_training_from_scratch(mnist, tmp_path):
    path, plot = tmp_path / "transfer.npz", tmp_path / "curves.png"
    results = get("transfer-digits").run(quiet=True, save=str(path), plot=str(plot))
    assert results["transfer_accuracy"] >= 0.92, results
    assert results["transfer_accuracy"] >= results["scratch_accuracy"] + 0.02, results
    assert results["train_examples"] == 100 and results["test_examples"] == 597
    assert len(results["transfer_dev_curve"]) == len(results["scratch_dev_curve"]) == 40
    # the saved model is the frozen trunk with the new head: it scores the transfer result
    loaded = ds.load(path)
    _, _, (X_test, y_test) = digits_split(100, 0)
    accuracy = float(np.mean(ds.predict(loaded.model, X_test).argmax(axis=1) == y_test))
    assert accuracy == pytest.approx(results["transfer_accuracy"], abs=1e-4)
    assert loaded.metadata["scratch_accuracy"] == results["scratch_accuracy"]
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_digits_split_holds_out_the_same_test_set_whatever_the_seed():
    (X0, y0), (_, y_dev), (X_test, y_test) = digits_split(100, 0)
    (X1, _), _, (X_test1, _) = digits_split(100, 1)
    np.testing.assert_array_equal(X_test, X_test1)
    assert len(X0) == len(X1) == 100 and len(y_dev) == 1797 - 597 - 100
    assert not np.array_equal(X0, X1)
    # the three parts share out the 1797 digits: each class's count adds up
    _, y = ds.data.load_digits()
    np.testing.assert_array_equal(np.bincount(np.concatenate([y0, y_dev, y_test])),
                                  np.bincount(y))
    with pytest.raises(ValueError, match=r"transfer-digits: n_train should be in \[10, 1199\]"):
        digits_split(5, 0)


def test_bad_options_fail_before_training(mnist):
    with pytest.raises(ValueError, match="lenet5-mnist: epochs should be an int >= 1, got 0"):
        get("lenet5-mnist").run(quiet=True, epochs=0)
    with pytest.raises(ValueError, match=r"lenet5-mnist: the number of examples should be in "
                                         r"\[1, 50000\], got 0"):
        get("lenet5-mnist").run(quiet=True, max_train=0)
    with pytest.raises(ValueError, match="cnn-fashion: padding should be >= 0, got -1"):
        get("cnn-fashion").run(quiet=True, padding=-1)
