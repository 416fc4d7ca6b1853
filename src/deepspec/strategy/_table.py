"""Plain-text tables and percentages for the strategy reports."""

from __future__ import annotations

import math


def percent(value: float | None, digits: int = 1) -> str:
    """0.0812 -> '8.1%'; None -> '-' (a quantity that was not measured)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{100 * value:.{digits}f}%"


def number(value) -> str:
    """A compact cell: ints as they are, floats with 4 significant digits, others by str."""
    if isinstance(value, bool) or value is None:
        return "-" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_table(header: list[str], rows: list[list[str]], *, align: str | None = None) -> str:
    """Columns padded to their widest cell; ``align`` is one letter per column, 'l' or 'r'
    (default: the first column left, the others right)."""
    align = align or "l" + "r" * (len(header) - 1)
    table = [list(header), *[list(row) for row in rows]]
    widths = [max(len(row[j]) for row in table) for j in range(len(header))]

    def line(row):
        cells = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align)]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(table[0]), rule, *(line(row) for row in table[1:])])
