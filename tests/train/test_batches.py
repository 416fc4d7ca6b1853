"""Mini-batches: partition sizes, shuffling, determinism, the notes' column-major form, errors."""

import numpy as np
import pytest

import deepspec as ds
from deepspec.train import iter_mini_batches, num_batches, random_mini_batches


def data(m, n_x=3, seed=0):
    """X (m, n_x) whose first column is the example index; Y (m,) the same index."""
    X = np.random.default_rng(seed).standard_normal((m, n_x))
    X[:, 0] = np.arange(m)
    return X, np.arange(m)


def notes_random_mini_batches(X, Y, mini_batch_size, permutation):
    """The assignment's column-major version (X: (n_x, m), Y: (1, m)), notes §2.4.1."""
    m = X.shape[1]
    shuffled_X, shuffled_Y = X[:, permutation], Y[:, permutation].reshape((1, m))
    mini_batches = []
    num_complete = m // mini_batch_size
    for k in range(num_complete):
        cols = slice(k * mini_batch_size, (k + 1) * mini_batch_size)
        mini_batches.append((shuffled_X[:, cols], shuffled_Y[:, cols]))
    if m % mini_batch_size != 0:
        cols = slice(num_complete * mini_batch_size, m)
        mini_batches.append((shuffled_X[:, cols], shuffled_Y[:, cols]))
    return mini_batches


@pytest.mark.parametrize("m, batch_size, sizes", [
    (148, 64, [64, 64, 20]), (128, 64, [64, 64]), (5, 1, [1] * 5), (3, 10, [3]),
])
def test_partition_sizes(m, batch_size, sizes):
    X, Y = data(m)
    batches = random_mini_batches(X, Y, batch_size, seed=1)
    assert [len(X_b) for X_b, _ in batches] == sizes
    assert [len(Y_b) for _, Y_b in batches] == sizes
    assert num_batches(m, batch_size) == len(sizes)


def test_batches_are_a_shuffled_partition_with_pairs_kept():
    X, Y = data(100)
    batches = random_mini_batches(X, Y, 16, seed=3)
    rows = np.concatenate([X_b[:, 0] for X_b, _ in batches]).astype(int)
    labels = np.concatenate([Y_b for _, Y_b in batches])
    assert sorted(rows) == list(range(100))  # every example exactly once
    assert not np.array_equal(rows, np.arange(100))  # shuffled
    np.testing.assert_array_equal(rows, labels)  # X and Y rows stay paired
    np.testing.assert_array_equal(np.concatenate([X_b for X_b, _ in batches]), X[rows])


def test_permutation_is_default_rng_of_the_seed():
    X, Y = data(50)
    expected = np.random.default_rng(7).permutation(50)
    got = np.concatenate([Y_b for _, Y_b in random_mini_batches(X, Y, 8, seed=7)])
    np.testing.assert_array_equal(got, expected)


def test_same_seed_same_batches_and_generators_accepted():
    X, Y = data(40)
    a = random_mini_batches(X, Y, 6, seed=11)
    b = random_mini_batches(X, Y, 6, seed=11)
    c = random_mini_batches(X, Y, 6, seed=np.random.default_rng(11))
    d = random_mini_batches(X, Y, 6, seed=12)
    for (Xa, Ya), (Xb, Yb), (Xc, Yc) in zip(a, b, c):
        np.testing.assert_array_equal(Xa, Xb)
        np.testing.assert_array_equal(Xa, Xc)
        np.testing.assert_array_equal(Ya, Yb)
        np.testing.assert_array_equal(Ya, Yc)
    assert not all(np.array_equal(Ya, Yd) for (_, Ya), (_, Yd) in zip(a, d))


def test_matches_the_notes_column_major_version_transposed():
    X, Y = data(148, n_x=5, seed=2)
    permutation = np.random.default_rng(4).permutation(148)
    notes = notes_random_mini_batches(X.T, Y[None, :], 64, permutation)
    ours = random_mini_batches(X, Y[:, None], 64, seed=4)
    assert len(ours) == len(notes) == 3
    for (X_b, Y_b), (X_t, Y_t) in zip(ours, notes):
        np.testing.assert_array_equal(X_b, X_t.T)
        np.testing.assert_array_equal(Y_b, Y_t.T)


def test_images_and_one_hot_labels_keep_their_trailing_shapes():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((10, 4, 4, 3)), np.eye(5)[rng.integers(0, 5, 10)]
    batches = random_mini_batches(X, Y, 4, seed=0)
    assert [X_b.shape for X_b, _ in batches] == [(4, 4, 4, 3), (4, 4, 4, 3), (2, 4, 4, 3)]
    assert [Y_b.shape for _, Y_b in batches] == [(4, 5), (4, 5), (2, 5)]


def test_iterator_is_lazy_and_unshuffled_batches_are_views():
    X, Y = data(10)
    batches = iter_mini_batches(X, Y, 4, shuffle=False)
    assert not isinstance(batches, list)
    X_b, Y_b = next(batches)
    assert np.shares_memory(X_b, X) and np.shares_memory(Y_b, Y)
    np.testing.assert_array_equal(Y_b, [0, 1, 2, 3])
    shuffled = list(iter_mini_batches(X, Y, 4, seed=5))
    for (Xs, Ys), (Xr, Yr) in zip(shuffled, random_mini_batches(X, Y, 4, seed=5)):
        np.testing.assert_array_equal(Xs, Xr)
        np.testing.assert_array_equal(Ys, Yr)


def test_x_alone_and_tensor_inputs():
    X, _ = data(7)
    batches = list(iter_mini_batches(ds.tensor(X), None, 3, shuffle=False))
    assert [b.shape for b in batches] == [(3, 3), (3, 3), (1, 3)]
    assert random_mini_batches(X[:0], np.arange(0), 4) == []


def test_length_mismatch_names_both_shapes():
    X, Y = data(10)
    with pytest.raises(ValueError, match=r"X \(10, 3\) and Y \(9,\)"):
        random_mini_batches(X, Y[:9], 4)
    with pytest.raises(ValueError, match="same number of examples"):
        iter_mini_batches(X, Y[:9], 4)  # checked at the call, before any batch


@pytest.mark.parametrize("batch_size, error", [(0, ValueError), (-3, ValueError),
                                               (2.5, TypeError), (True, TypeError)])
def test_bad_batch_size(batch_size, error):
    X, Y = data(10)
    with pytest.raises(error, match="batch_size"):
        random_mini_batches(X, Y, batch_size)


def test_bad_seed_and_scalar_inputs():
    X, Y = data(10)
    with pytest.raises(TypeError, match="seed"):
        random_mini_batches(X, Y, 4, seed="zero")
    with pytest.raises(ValueError, match="batch axis"):
        random_mini_batches(np.float64(1.0), Y, 4)
    with pytest.raises(ValueError, match="Y should be an array"):
        random_mini_batches(X, None, 4)
