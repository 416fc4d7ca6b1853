"""The generated data sets: the planar flower and scikit-learn's circles and moons."""

import sys

import numpy as np
import pytest
import sklearn.datasets

import deepspec as ds
from deepspec.data import make_circles, make_moons, planar_flower


@pytest.fixture
def global_seed():
    """np.random.seed(s) as the assignments call it, with the global state restored after."""
    saved = np.random.get_state()
    yield np.random.seed
    np.random.set_state(saved)


@pytest.mark.parametrize("ours, theirs, seed, n", [
    (lambda: make_circles(), lambda: sklearn.datasets.make_circles(n_samples=300, noise=.05),
     1, 300),                                                      # initialization: training
    (lambda: make_circles(100, seed=2),
     lambda: sklearn.datasets.make_circles(n_samples=100, noise=.05), 2, 100),   # its test set
    (lambda: make_moons(), lambda: sklearn.datasets.make_moons(n_samples=300, noise=.2),
     3, 300),                                                      # optimization
])
def test_generators_reproduce_the_assignments_data(global_seed, ours, theirs, seed, n):
    with ds.default_dtype("float64"):
        X, y = ours()
    global_seed(seed)                     # the assignment: np.random.seed(seed); make_*(...)
    X_course, y_course = theirs()
    assert X.shape == (n, 2) and y.shape == (n,) and y.dtype == np.int64
    np.testing.assert_array_equal(X, X_course)
    np.testing.assert_array_equal(y, y_course)
    assert set(np.unique(y)) == {0, 1}


def test_generators_leave_the_global_random_state_alone(global_seed):
    global_seed(123)
    before = np.random.get_state()[1].copy()
    make_moons()
    make_circles(50, seed=7)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_layouts_and_dtypes():
    X, y = make_moons(40, seed=0)
    assert X.dtype == ds.get_default_dtype() and y.dtype == np.int64
    X_notes, Y_notes = make_moons(40, seed=0, layout="notes")   # the assignment's layout
    assert X_notes.shape == (2, 40) and Y_notes.shape == (1, 40)
    np.testing.assert_array_equal(X_notes, X.T)
    np.testing.assert_array_equal(Y_notes[0], y)
    assert Y_notes.dtype == X_notes.dtype
    # different seeds, different points; the same seed, the same points
    assert not np.array_equal(make_circles(40, seed=0)[0], make_circles(40, seed=1)[0])
    np.testing.assert_array_equal(make_circles(40, seed=5)[0], make_circles(40, seed=5)[0])
    # noise = 0 puts the circles' points exactly on radius 1 and factor
    X0, y0 = make_circles(40, noise=0.0, seed=0, factor=0.5)
    radius = np.hypot(X0[:, 0], X0[:, 1])
    np.testing.assert_allclose(radius, np.where(y0 == 0, 1.0, 0.5), rtol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda: make_moons(1), r"make_moons: n_samples should be an integer >= 2, got 1"),
    (lambda: make_circles(10.5), r"make_circles: n_samples should be an integer >= 2"),
    (lambda: make_moons(10, noise=-0.1), r"make_moons: noise should be >= 0, got -0.1"),
    (lambda: make_circles(10, layout="columns"), r"make_circles: layout should be one of"),
])
def test_bad_arguments_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_seed_must_be_an_int():
    with pytest.raises(TypeError, match="make_moons: seed should be an int"):
        make_moons(10, seed=np.random.default_rng(0))


def test_without_scikit_learn_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)   # import sklearn -> ImportError
    with pytest.raises(ImportError, match=r"make_circles needs scikit-learn: pip install "
                                          r"deepspec\[data\]"):
        make_circles()


def test_planar_flower_shapes_and_classes():
    X, Y = planar_flower()
    assert X.shape == (400, 2) and Y.shape == (400, 1)
    assert Y[:200].sum() == 0 and Y[200:].sum() == 200       # two classes of 200 petals' points
