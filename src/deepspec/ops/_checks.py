"""Shape and value checks shared by the ops: plain ifs that raise messages naming the op."""

from __future__ import annotations


def expect_shape(op: str, name: str, shape: tuple, expected: tuple) -> None:
    """Raise ``ValueError`` unless ``shape`` matches ``expected`` (``None`` = any size)."""
    if len(shape) != len(expected) or any(
        e is not None and s != e for s, e in zip(shape, expected)
    ):
        want = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ")"
        raise ValueError(f"{op}: {name} should have shape {want}, got {tuple(shape)}")


def expect_ndim(op: str, name: str, shape: tuple, ndims: tuple) -> None:
    if len(shape) not in ndims:
        allowed = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"{op}: {name} should be {allowed}, got shape {tuple(shape)}")


def expect_range(op: str, name: str, value, low, high, *, low_open=False, high_open=False):
    bad_low = value <= low if low_open else value < low
    bad_high = value >= high if high_open else value > high
    if bad_low or bad_high:
        lb, hb = "(" if low_open else "[", ")" if high_open else "]"
        raise ValueError(f"{op}: {name} should be in {lb}{low}, {high}{hb}, got {value}")
