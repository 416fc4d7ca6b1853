"""deepspec.data.splits: sizes, disjoint covering parts, stratification, seeding, errors."""

import numpy as np
import pytest

from deepspec.data import split_sizes, train_dev_split, train_dev_test_split


def indexed(m, n_features=3):
    """X whose first column is the example index, y its class, so a split can be traced."""
    X = np.zeros((m, n_features))
    X[:, 0] = np.arange(m)
    return X, np.arange(m) % 4


def check_partition(parts, m):
    """The parts' example indices are disjoint and cover 0..m-1."""
    idx = np.concatenate([X[:, 0].astype(int) for X, _ in parts])
    np.testing.assert_array_equal(np.sort(idx), np.arange(m))


def test_split_sizes_round_deterministically_sum_to_m_and_leave_no_part_empty():
    assert split_sizes(10, "60/20/20") == [6, 2, 2]
    assert split_sizes(7, "60/20/20") == [4, 2, 1]
    assert split_sizes(1_000_000, "98/1/1") == [980_000, 10_000, 10_000]
    assert split_sizes(50, "98/1/1") == [48, 1, 1]
    assert split_sizes(3, "98/1/1") == [1, 1, 1]
    assert split_sizes(100, (0.29, 0.36, 0.35)) == [29, 36, 35]
    assert split_sizes(10, "70/30") == [7, 3]
    for m in range(3, 300):
        for ratios in ("60/20/20", "98/1/1", (0.5, 0.3, 0.2), (1 / 3, 1 / 3, 1 / 3)):
            sizes = split_sizes(m, ratios)
            assert sum(sizes) == m and min(sizes) >= 1
            r = np.array([float(p) / 100 for p in ratios.split("/")] if isinstance(ratios, str)
                         else ratios)
            if min(m * r) >= 1:  # nothing had to be moved to fill an empty part
                assert np.all(np.abs(np.array(sizes) - m * r) < 1)


@pytest.mark.parametrize("ratios", ["60/20/20", "98/1/1", (0.5, 0.25, 0.25)])
def test_parts_partition_the_examples_with_the_sizes_and_aligned_arrays(ratios):
    X, y = indexed(257)
    parts = train_dev_test_split(X, y, ratios=ratios, seed=3)
    assert [len(p[0]) for p in parts] == split_sizes(257, ratios)
    check_partition(parts, 257)
    for Xp, yp in parts:
        np.testing.assert_array_equal(yp, Xp[:, 0].astype(int) % 4)  # rows stay aligned
        assert Xp.shape[1:] == (3,) and Xp.dtype == X.dtype


def test_one_array_gives_arrays_and_images_split_along_the_batch_axis():
    images = np.random.default_rng(0).random((20, 4, 4, 3)).astype(np.float32)
    train, dev, test = train_dev_test_split(images, seed=0)
    assert [a.shape for a in (train, dev, test)] == [(12, 4, 4, 3), (4, 4, 4, 3),
                                                     (4, 4, 4, 3)]
    assert train.dtype == np.float32
    rows = {a.tobytes() for a in np.concatenate([train, dev, test])}
    assert rows == {a.tobytes() for a in images}


def test_seed_makes_it_reproducible_and_shuffle_false_keeps_order():
    X, y = indexed(100)
    a = train_dev_test_split(X, y, seed=7)
    b = train_dev_test_split(X, y, seed=np.random.default_rng(7))
    c = train_dev_test_split(X, y, seed=8)
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa[0], pb[0])
    assert not np.array_equal(a[0][0], c[0][0])
    assert not np.all(np.diff(a[0][0][:, 0]) > 0)  # shuffled
    train, dev, test = train_dev_test_split(X, y, shuffle=False)
    np.testing.assert_array_equal(train[0][:, 0], np.arange(60))
    np.testing.assert_array_equal(dev[0][:, 0], np.arange(60, 80))
    np.testing.assert_array_equal(test[0][:, 0], np.arange(80, 100))


@pytest.mark.parametrize("shuffle", [True, False])
def test_stratified_split_keeps_each_class_proportion(shuffle):
    rng = np.random.default_rng(0)
    m = 1000
    y = rng.choice(5, size=m, p=[0.5, 0.2, 0.15, 0.1, 0.05])
    X = np.arange(m)[:, None].astype(float)
    parts = train_dev_test_split(X, y, stratify=y, ratios="60/20/20", shuffle=shuffle,
                                 seed=1)
    assert [len(p[1]) for p in parts] == split_sizes(m, "60/20/20")
    check_partition(parts, m)
    counts = np.bincount(y, minlength=5)
    for (Xp, yp), r in zip(parts, (0.6, 0.2, 0.2)):
        np.testing.assert_array_equal(yp, y[Xp[:, 0].astype(int)])
        assert np.all(np.abs(np.bincount(yp, minlength=5) - r * counts) < 2)
        if not shuffle:
            assert np.all(np.diff(Xp[:, 0]) > 0)
    # an unstratified split of the same data drifts further for the rare class
    drift = max(abs(np.sum(yp == 4) - 0.2 * counts[4])
                for seed in range(10) for _, yp in train_dev_test_split(X, y, seed=seed)[1:])
    assert drift >= 2


def test_stratified_split_of_small_classes_fills_every_part():
    y = np.array([0] * 6 + [1] * 4)
    X = np.arange(10)[:, None]
    train, dev, test = train_dev_test_split(X, y, stratify=y, seed=0)
    assert [len(p[1]) for p in (train, dev, test)] == [6, 2, 2]
    for (_, yp), r in zip((train, dev, test), (0.6, 0.2, 0.2)):
        assert abs(np.sum(yp == 0) - 6 * r) < 1 and abs(np.sum(yp == 1) - 4 * r) < 1
    big = np.array(["cat"] * 980 + ["dog"] * 20)
    _, (dev_labels,), (test_labels,) = [(p,) for p in train_dev_test_split(
        big, ratios="98/1/1", stratify=big, seed=0)]
    assert sorted(dev_labels.tolist()) == ["cat"] * 10 and len(test_labels) == 10


def test_train_dev_split_carves_a_train_dev_set():
    X, y = indexed(200)
    train, train_dev = train_dev_split(X, y, dev_fraction=0.05, seed=0)
    assert len(train[0]) == 190 and len(train_dev[0]) == 10
    check_partition([train, train_dev], 200)
    train, train_dev = train_dev_split(X, y, dev_size=33, stratify=y, seed=0)
    assert len(train_dev[0]) == 33
    assert np.all(np.abs(np.bincount(train_dev[1], minlength=4) - 33 / 4) < 1)
    default_train, default_dev = train_dev_split(X, seed=0)
    assert len(default_dev) == 20 and len(default_train) == 180
    assert train_dev_split(np.arange(2), dev_fraction=0.01, seed=0)[1].shape == (1,)


def test_bad_arguments_are_refused_with_clear_messages():
    X, y = indexed(10)
    with pytest.raises(ValueError, match=r"train_dev_test_split: ratios should sum to 1"):
        train_dev_test_split(X, ratios=(0.6, 0.2, 0.1))
    with pytest.raises(ValueError, match=r"train_dev_test_split: ratios should be 3 positive "
                                         r"numbers, got \(0.8, 0.2\)"):
        train_dev_test_split(X, ratios=(0.8, 0.2))
    with pytest.raises(ValueError, match=r"train_dev_test_split: ratios should be 3 positive"):
        train_dev_test_split(X, ratios=(1.0, 0.0, 0.0))
    with pytest.raises(ValueError, match=r"ratios should be numbers or a string like "
                                         r"'60/20/20' or '98/1/1', got '60-20-20'"):
        train_dev_test_split(X, ratios="60-20-20")
    with pytest.raises(ValueError, match=r"train_dev_test_split: need at least 3 examples for "
                                         r"3 non-empty parts, got m=2"):
        train_dev_test_split(X[:2])
    with pytest.raises(ValueError, match=r"array 0 has 10, array 1 has 9"):
        train_dev_test_split(X, y[:9])
    with pytest.raises(ValueError, match=r"train_dev_test_split: give at least one array"):
        train_dev_test_split()
    with pytest.raises(ValueError, match=r"stratify should be labels of shape \(10,\), got "
                                         r"\(9,\)"):
        train_dev_test_split(X, stratify=y[:9])
    with pytest.raises(TypeError, match=r"seed should be an int"):
        train_dev_test_split(X, seed="zero")
    with pytest.raises(ValueError, match=r"train_dev_split: give dev_fraction or dev_size, "
                                         r"not both"):
        train_dev_split(X, dev_fraction=0.1, dev_size=2)
    with pytest.raises(ValueError, match=r"train_dev_split: dev_size should be an int in "
                                         r"\[1, 9\] for m=10 examples, got 10"):
        train_dev_split(X, dev_size=10)
    with pytest.raises(ValueError, match=r"train_dev_split: dev_fraction should be in \(0, 1\)"):
        train_dev_split(X, dev_fraction=1.5)
    with pytest.raises(ValueError, match=r"split_sizes: need at least 2 examples"):
        split_sizes(1, "70/30")
