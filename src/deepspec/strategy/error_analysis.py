"""Error analysis: the notes' spreadsheet of misclassified dev examples.   notes course 3 wk 2

Look at (a sample of) the misclassified dev examples, tag each with the categories that
apply ("dog", "great cat", "blurry", "incorrectly labeled", ...; one example can have
several), and count. A category's share of the errors is the ceiling on what fixing it can
buy: if 5% of the errors are dogs and the dev error is 10%, solving dogs perfectly brings
the dev error down to 9.5% at best. Evaluate multiple ideas in parallel this way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ._table import format_table, percent


@dataclass(frozen=True)
class CategoryRow:
    """One column of the notes' spreadsheet: how many errors carry the tag.

    ``share`` is the fraction of the examined errors with this tag; ``ceiling`` the most the
    overall dev error can drop if the category is fully fixed (dev_error * share), and
    ``error_if_fixed`` what the dev error would then be (None without a dev error).
    """

    category: str
    count: int
    share: float
    ceiling: float | None
    error_if_fixed: float | None


@dataclass(frozen=True)
class ErrorAnalysis:
    """Rows sorted by count (most frequent first), with the totals they come from."""

    rows: tuple[CategoryRow, ...]
    n_errors: int                 # examined misclassified examples
    n_untagged: int               # of which no category applied
    dev_error: float | None

    def __getitem__(self, category: str) -> CategoryRow:
        for row in self.rows:
            if row.category == category:
                return row
        raise KeyError(f"error_analysis: no category {category!r}; the categories are "
                       f"{[row.category for row in self.rows]}")

    @property
    def categories(self) -> list[str]:
        return [row.category for row in self.rows]

    def table(self) -> str:
        header = ["category", "errors", "% of errors"]
        if self.dev_error is not None:
            header += ["ceiling", "dev error if fixed"]
        rows = []
        for row in self.rows:
            cells = [row.category, str(row.count), percent(row.share)]
            if self.dev_error is not None:
                cells += [percent(row.ceiling, 2), percent(row.error_if_fixed, 2)]
            rows.append(cells)
        title = f"Error analysis of {self.n_errors} misclassified examples"
        if self.dev_error is not None:
            title += f" (dev error {percent(self.dev_error, 2)})"
        lines = [title, format_table(header, rows)]
        if self.n_untagged:
            share = percent(self.n_untagged / self.n_errors)
            lines.append(f"untagged: {self.n_untagged} ({share})")
        if sum(row.count for row in self.rows) > self.n_errors - self.n_untagged:
            lines.append("(an example can carry several tags: the shares need not sum to 100%)")
        return "\n".join(lines)

    __str__ = table


def _tag_set(tags, index: int) -> frozenset:
    """One example's categories: a string is one category; None, empty and "" are none (a
    blank spreadsheet cell)."""
    if tags is None:
        return frozenset()
    if isinstance(tags, str):
        tags = (tags,)
    elif not isinstance(tags, Iterable):
        raise TypeError(f"error_analysis: tags[{index}] should be a category string or an "
                        f"iterable of them, got {type(tags).__name__}")
    tags = frozenset(tags)
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"error_analysis: categories should be strings, got {tag!r} "
                            f"({type(tag).__name__}) in tags[{index}]")
    return tags - {""}


def error_analysis(tags: Sequence, *, dev_error: float | None = None,
                   n_dev: int | None = None) -> ErrorAnalysis:
    """Tally the categories of the misclassified dev examples (the notes' spreadsheet).

    ``tags`` has one entry per examined misclassified example: a set (or any iterable) of
    category strings, one string, or None / empty when no category applies. The ceilings
    need the overall dev error: give ``dev_error`` (a fraction; needed when the tags cover a
    sample of the errors) or ``n_dev`` (the dev set size, when the tags cover every error:
    then dev_error = len(tags) / n_dev), not both.
    """
    if isinstance(tags, (str, bytes)) or not isinstance(tags, Iterable):
        raise TypeError("error_analysis: tags should be a list with one set of categories per "
                        f"misclassified example, got {type(tags).__name__}")
    sets = [_tag_set(t, i) for i, t in enumerate(tags)]
    n_errors = len(sets)
    if n_errors == 0:
        raise ValueError("error_analysis: tags is empty; pass one entry per misclassified "
                         "example")
    if dev_error is not None and n_dev is not None:
        raise ValueError("error_analysis: give dev_error or n_dev, not both (n_dev means the "
                         "tags cover every dev error: dev_error = len(tags) / n_dev)")
    if n_dev is not None:
        if isinstance(n_dev, bool) or not isinstance(n_dev, (int, np.integer)) or n_dev < n_errors:
            raise ValueError(f"error_analysis: n_dev should be an int >= the {n_errors} tagged "
                             f"errors, got {n_dev!r}")
        dev_error = n_errors / int(n_dev)
    elif dev_error is not None:
        dev_error = float(dev_error)
        if not 0.0 <= dev_error <= 1.0:
            raise ValueError(f"error_analysis: dev_error should be a fraction in [0, 1], "
                             f"got {dev_error}")

    counts = Counter(tag for s in sets for tag in s)
    rows = []
    for category, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        share = count / n_errors
        ceiling = None if dev_error is None else dev_error * share
        fixed = None if dev_error is None else dev_error - ceiling
        rows.append(CategoryRow(category, count, share, ceiling, fixed))
    n_untagged = sum(1 for s in sets if not s)
    return ErrorAnalysis(tuple(rows), n_errors, n_untagged, dev_error)


def error_tags(misclassified, tags, *, categories: Sequence[str] | None = None) -> list:
    """The tags list for ``error_analysis`` from a mask of misclassified examples.

    ``misclassified``: a boolean array (n,) (e.g. ``y_pred != y_true``). ``tags`` is one of
      - a function ``tags(i) -> categories`` of the example's index, called for the
        misclassified examples only (e.g. reading the notes someone took while looking);
      - an array (n,) with one entry per example: a category string, a set of them, or None;
      - a boolean array (n, k) with ``categories`` naming its k columns (an example has the
        category where its row is True).
    Returns one frozenset per misclassified example, in index order.
    """
    mask = np.asarray(misclassified)
    if mask.ndim != 1 or mask.dtype != bool:
        raise ValueError(f"error_tags: misclassified should be a 1-D boolean array (n,), got "
                         f"shape {mask.shape} dtype {mask.dtype}")
    index = np.flatnonzero(mask)
    if callable(tags):
        return [_tag_set(tags(int(i)), int(i)) for i in index]
    if categories is not None:
        table = np.asarray(tags)
        names = list(categories)
        if table.shape != (len(mask), len(names)) or table.dtype != bool:
            raise ValueError(f"error_tags: with categories, tags should be a boolean array of "
                             f"shape ({len(mask)}, {len(names)}), got shape {table.shape} "
                             f"dtype {table.dtype}")
        rows = table[index]
        names = np.asarray(names, dtype=object)
        return [frozenset(names[row]) for row in rows]
    if not isinstance(tags, Sequence) and not isinstance(tags, np.ndarray):
        raise TypeError("error_tags: tags should be a function of the index, a sequence with "
                        f"one entry per example, or a boolean array; got {type(tags).__name__}")
    if len(tags) != len(mask):
        raise ValueError(f"error_tags: tags should have one entry per example ({len(mask)}), "
                         f"got {len(tags)}")
    return [_tag_set(_plain(tags[i]), int(i)) for i in index]


def _plain(entry):
    """NumPy string scalars are str already; 0-d object arrays unwrap to their element."""
    return entry.item() if isinstance(entry, np.ndarray) and entry.ndim == 0 else entry

