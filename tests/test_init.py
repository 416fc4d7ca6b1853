"""Weight initializers: shapes, dtypes, scales, bounds, seeds, fans and names."""

import math

import numpy as np
import pytest

import deepspec as ds
from deepspec import init

NAMES = ["zeros", "random", "xavier", "he", "glorot_uniform"]
SHAPES = [(4, 3), (3, 3, 2, 5), (7,)]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", SHAPES)
def test_shape_and_default_dtype(name, shape):
    W = init.get(name)(shape, seed=0)
    assert W.shape == shape and W.dtype == np.float32
    assert np.all(np.isfinite(W))


@pytest.mark.parametrize("name", NAMES)
def test_dtype_follows_the_default_and_the_argument(name):
    fn = init.get(name)
    with ds.default_dtype("float64"):
        assert fn((4, 3), seed=0).dtype == np.float64
    assert fn((4, 3), seed=0).dtype == np.float32  # restored after the context
    assert fn((4, 3), seed=0, dtype="float64").dtype == np.float64


@pytest.mark.parametrize("name", ["random", "xavier", "he", "glorot_uniform"])
def test_same_draws_in_float32_and_float64(name):
    fn = init.get(name)
    W64 = fn((6, 5), seed=3, dtype=np.float64)
    np.testing.assert_array_equal(fn((6, 5), seed=3), W64.astype(np.float32))


@pytest.mark.parametrize("name, gain", [("he", 2.0), ("xavier", 1.0)])
def test_std_of_he_and_xavier(name, gain):
    fan_in = 500
    W = init.get(name)((400, fan_in), seed=0, dtype=np.float64)
    expected = math.sqrt(gain / fan_in)  # notes §2.3.2: sqrt(2 / n[l-1]), sqrt(1 / n[l-1])
    assert abs(W.std() - expected) < 0.01 * expected
    assert abs(W.mean()) < 0.01 * expected


def test_std_of_conv_filters_uses_f_f_n_c_prev():
    W = init.he((3, 3, 64, 256), seed=0, dtype=np.float64)
    expected = math.sqrt(2 / (3 * 3 * 64))
    assert abs(W.std() - expected) < 0.01 * expected


def test_random_is_the_notes_times_0_01():
    W = init.random((300, 300), seed=0, dtype=np.float64)
    assert abs(W.std() - 0.01) < 0.0002
    np.testing.assert_allclose(init.random((300, 300), scale=10.0, seed=0, dtype=np.float64),
                               W * 1000, rtol=1e-12)


def test_glorot_uniform_bounds():
    n, n_prev = 60, 40
    limit = math.sqrt(6 / (n + n_prev))
    W = init.glorot_uniform((n, n_prev), seed=0, dtype=np.float64)
    assert W.min() >= -limit and W.max() <= limit
    assert W.min() < -0.95 * limit and W.max() > 0.95 * limit  # fills the whole interval
    np.testing.assert_allclose(W.var(), limit**2 / 3, rtol=0.05)  # U(-r, r): r^2 / 3


def test_zeros_are_zeros():
    assert not np.any(init.zeros((3, 4)))
    assert init.zeros([2]).shape == (2,)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_weights(name):
    fn = init.get(name)
    np.testing.assert_array_equal(fn((5, 4), seed=7), fn((5, 4), seed=7))
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    np.testing.assert_array_equal(fn((5, 4), seed=g1), fn((5, 4), seed=g2))
    np.testing.assert_array_equal(fn((5, 4), seed=np.random.default_rng(7)), fn((5, 4), seed=7))
    if name != "zeros":
        assert not np.array_equal(fn((5, 4), seed=7), fn((5, 4), seed=8))


def test_a_generator_advances_between_draws():
    g = np.random.default_rng(0)
    first, second = init.he((5, 4), seed=g), init.he((5, 4), seed=g)
    assert not np.array_equal(first, second)
    g = np.random.default_rng(0)
    np.testing.assert_array_equal(init.he((5, 4), seed=g), first)


def test_bad_seed_is_a_type_error():
    with pytest.raises(TypeError, match="seed should be an int, a numpy Generator or None"):
        init.he((3, 3), seed=1.5)


@pytest.mark.parametrize("shape, expected", [
    ((4, 3), (3, 4)),  # dense W (n, n_prev): fan_in n_prev, fan_out n
    ((1, 10), (10, 1)),
    ((3, 3, 16, 32), (3 * 3 * 16, 3 * 3 * 32)),  # conv (f, f, n_C_prev, n_C)
    ((5, 5, 1, 6), (25, 150)),
    ((7,), (7, 7)),
])
def test_fans(shape, expected):
    assert init.fans(shape) == expected
    assert init.fans(list(shape)) == expected


def test_fans_reject_a_scalar_shape():
    with pytest.raises(ValueError, match=r"at least one axis, got shape \(\)"):
        init.fans(())


@pytest.mark.parametrize("name", ["he", "xavier"])
def test_zero_fan_in_is_a_value_error(name):
    with pytest.raises(ValueError, match=rf"init.{name}: fan_in should be positive, got 0 "
                                         r"for shape \(3, 0\)"):
        init.get(name)((3, 0))


def test_get_returns_functions_and_callables():
    for name in NAMES:
        assert init.get(name) is getattr(init, name)

    def custom(shape, seed=None):
        return np.full(shape, 0.5)

    assert init.get(custom) is custom


@pytest.mark.parametrize("bad", ["bogus", "He", None])
def test_unknown_name_lists_the_valid_ones(bad):
    with pytest.raises(ValueError, match=f"unknown initializer {bad!r}") as info:
        init.get(bad)
    for name in NAMES:
        assert repr(name) in str(info.value)
