"""Train / dev / test splits, and the train-dev set.   notes §2.1.1, §3.1.6, §3.2.5

The notes' sizes: 60/20/20 for small data sets (m up to ~10,000), 98/1/1 for big ones
(m ~ 1,000,000): dev and test only need to be big enough to compare models and to give a
confident final estimate. The train-dev set (notes §3.2.5) is carved from the training
distribution and not trained on: train error vs train-dev error measures variance, train-dev
vs dev error measures data mismatch.

Every array is split along axis 0 (batch-first), with the same example indices for all.
"""

from __future__ import annotations

import numpy as np

from ..backend import rng as make_rng

__all__ = ["PRESETS", "split_sizes", "train_dev_split", "train_dev_test_split"]

PRESETS = {"60/20/20": (0.6, 0.2, 0.2), "98/1/1": (0.98, 0.01, 0.01)}


def _parse_ratios(fn: str, ratios, n_parts: int | None = None) -> np.ndarray:
    """Ratios from a sequence or an "a/b/c" percentage string: positive, summing to 1."""
    if isinstance(ratios, str):
        try:
            ratios = [float(part) / 100 for part in ratios.split("/")]
        except ValueError:
            raise ValueError(f"{fn}: ratios should be numbers or a string like "
                             f"{' or '.join(map(repr, PRESETS))}, got {ratios!r}") from None
    try:
        r = np.asarray(ratios, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{fn}: ratios should be numbers, got {ratios!r}") from None
    wanted = f"{n_parts}" if n_parts else "at least 2"
    if r.ndim != 1 or (len(r) != n_parts if n_parts else len(r) < 2) \
            or not np.all(np.isfinite(r)) or np.any(r <= 0):
        raise ValueError(f"{fn}: ratios should be {wanted} positive numbers, got {ratios!r}")
    if abs(r.sum() - 1.0) > 1e-6:
        raise ValueError(f"{fn}: ratios should sum to 1 (or 100%), got {ratios!r} "
                         f"(sum {r.sum():g})")
    return r / r.sum()


def _largest_remainder(total: int, weights: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``total``: floors first, then one more
    for the largest remainders (ties by ``tiebreak``, smaller first)."""
    exact = np.round(total * weights / weights.sum(), 9)  # 100 * 0.29 is 28.999999999999996
    sizes = np.floor(exact).astype(np.int64)
    short = total - int(sizes.sum())
    order = np.lexsort((tiebreak, -(exact - sizes)))
    sizes[order[:short]] += 1
    return sizes


def split_sizes(m: int, ratios) -> list[int]:
    """Part sizes for ``m`` examples: largest-remainder rounding of ``m * ratios`` (sum is
    exactly m), then every empty part takes one example from the largest part.

    >>> split_sizes(10_000, "98/1/1")
    [9800, 100, 100]
    """
    fn = "split_sizes"
    r = _parse_ratios(fn, ratios)
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < len(r):
        raise ValueError(f"{fn}: need at least {len(r)} examples for {len(r)} non-empty "
                         f"parts, got m={m!r}")
    sizes = _largest_remainder(int(m), r, np.arange(len(r)))
    for k in np.flatnonzero(sizes == 0):
        sizes[np.argmax(sizes)] -= 1
        sizes[k] = 1
    return sizes.tolist()


def _check_arrays(fn: str, arrays) -> tuple[list, int]:
    if not arrays:
        raise ValueError(f"{fn}: give at least one array to split")
    arrays = [a if isinstance(a, np.ndarray) else np.asarray(a) for a in arrays]
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise ValueError(f"{fn}: array {i} is a scalar; arrays should be batch-first "
                             f"(m, ...)")
    m = len(arrays[0])
    for i, a in enumerate(arrays[1:], start=1):
        if len(a) != m:
            raise ValueError(f"{fn}: every array should have the same number of examples "
                             f"(axis 0); array 0 has {m}, array {i} has {len(a)}")
    return arrays, m


def _stratified_parts(fn: str, stratify, m: int, sizes: list[int], shuffle: bool, rng):
    """Example indices per part, each class spread over the parts in proportion: the last
    part's share of each class first (largest remainder over classes), then the one before
    from what is left, and so on; the first part takes the rest."""
    y = np.asarray(stratify)
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.shape != (m,):
        raise ValueError(f"{fn}: stratify should be labels of shape ({m},), got {y.shape}")
    classes, cls = np.unique(y, return_inverse=True)
    remaining = np.bincount(cls, minlength=len(classes))
    per_part = np.zeros((len(sizes), len(classes)), dtype=np.int64)
    for k in range(len(sizes) - 1, 0, -1):
        tiebreak = rng.random(len(classes)) if shuffle else np.arange(len(classes))
        per_part[k] = _largest_remainder(sizes[k], remaining.astype(np.float64), tiebreak)
        remaining = remaining - per_part[k]
    per_part[0] = remaining
    # examples grouped by class (in random or original order within a class), then each
    # example's rank inside its class decides its part
    key = rng.random(m) if shuffle else np.arange(m)
    order = np.lexsort((key, cls))
    starts = np.concatenate([[0], np.cumsum(np.bincount(cls, minlength=len(classes)))[:-1]])
    rank = np.arange(m) - starts[cls[order]]
    bounds = np.cumsum(per_part, axis=0)[:, cls[order]]  # (parts, m): each example's class
    part = np.sum(rank >= bounds, axis=0)
    parts = [order[part == k] for k in range(len(sizes))]
    return [rng.permutation(p) if shuffle else np.sort(p) for p in parts]


def _split(fn, arrays, sizes, stratify, shuffle, seed):
    arrays, m = _check_arrays(fn, arrays)
    rng = make_rng(seed)
    if stratify is not None:
        parts = _stratified_parts(fn, stratify, m, sizes, shuffle, rng)
    else:
        order = rng.permutation(m) if shuffle else np.arange(m)
        parts = np.split(order, np.cumsum(sizes)[:-1])
    out = [tuple(a[idx] for a in arrays) for idx in parts]
    return tuple(p[0] if len(arrays) == 1 else p for p in out)


def train_dev_test_split(*arrays, ratios="60/20/20", stratify=None, shuffle: bool = True,
                         seed=0):
    """Split examples into train, dev and test sets.   notes §2.1.1

    Args:
        *arrays: batch-first arrays with the same m (e.g. X (m, ...) and y (m,)).
        ratios: three positive fractions summing to 1, or "60/20/20" (small data, the
            default), "98/1/1" (big data), or any "a/b/c" of percentages.
        stratify: labels (m,) whose class proportions each part keeps (largest-remainder
            allocation, so each class is off by less than one or two examples).
        shuffle: shuffle before splitting (False: each part keeps the original order).
        seed: an int, a ``numpy.random.Generator`` or None.

    Sizes come from ``split_sizes``: they sum to m and no part is empty. Returns
    ``(train, dev, test)``; each is a tuple of arrays in the order given, or the array
    itself when one array was given.
    """
    fn = "train_dev_test_split"
    _, m = _check_arrays(fn, arrays)
    sizes = _sizes(fn, m, _parse_ratios(fn, ratios, 3))
    return _split(fn, arrays, sizes, stratify, shuffle, seed)


def _sizes(fn: str, m: int, r: np.ndarray) -> list[int]:
    if m < len(r):
        raise ValueError(f"{fn}: need at least {len(r)} examples for {len(r)} non-empty "
                         f"parts, got m={m}")
    return split_sizes(m, r)


def train_dev_split(*arrays, dev_fraction: float | None = None, dev_size: int | None = None,
                    stratify=None, shuffle: bool = True, seed=0):
    """Carve a train-dev set out of the training set.   notes §3.2.5

    The train-dev set has the training distribution but is not trained on; compare errors:
    train vs train-dev = variance, train-dev vs dev = data mismatch.

    Args:
        *arrays: batch-first arrays with the same m.
        dev_fraction: the train-dev share in (0, 1) (default 0.1), or
        dev_size: its number of examples in [1, m - 1] (give one of the two).
        stratify, shuffle, seed: as in ``train_dev_test_split``.

    Returns ``(train, train_dev)``, each a tuple of arrays (or the array when one was given).
    """
    fn = "train_dev_split"
    _, m = _check_arrays(fn, arrays)
    if dev_fraction is not None and dev_size is not None:
        raise ValueError(f"{fn}: give dev_fraction or dev_size, not both")
    if dev_size is not None:
        if isinstance(dev_size, bool) or not isinstance(dev_size, (int, np.integer)) \
                or not 1 <= dev_size <= m - 1:
            raise ValueError(f"{fn}: dev_size should be an int in [1, {m - 1}] for m={m} "
                             f"examples, got {dev_size!r}")
        sizes = [m - int(dev_size), int(dev_size)]
    else:
        fraction = 0.1 if dev_fraction is None else dev_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.floating)) \
                or not 0 < fraction < 1:
            raise ValueError(f"{fn}: dev_fraction should be in (0, 1), got {fraction!r}")
        sizes = _sizes(fn, m, np.array([1 - fraction, fraction]))
    return _split(fn, arrays, sizes, stratify, shuffle, seed)
