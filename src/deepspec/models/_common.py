"""Argument checks and output-size arithmetic shared by the model zoo's builders."""

from __future__ import annotations


def image_shape(name: str, input_shape) -> tuple[int, int, int]:
    """(n_H, n_W, n_C) as positive ints, or a ValueError naming the builder."""
    shape = tuple(input_shape) if isinstance(input_shape, (list, tuple)) else ()
    if len(shape) != 3 or not all(isinstance(n, int) and n >= 1 for n in shape):
        raise ValueError(f"{name}: input_shape should be (n_H, n_W, n_C), positive ints, "
                         f"got {input_shape!r}")
    return shape


def positive(name: str, arg: str, value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name}: {arg} should be a positive int, got {value!r}")
    return value


def out_size(n: int, f: int, s: int = 1, padding="valid") -> int:
    """floor((n + 2p - f) / s) + 1 (notes §4.1), ceil(n / s) for "same"; 0 if the window
    does not fit (so a chain of layers can be followed and checked once at the end)."""
    if n < 1:
        return 0
    if padding == "same":
        return -(-n // s)
    p = 0 if padding == "valid" else padding
    return 0 if n + 2 * p < f else (n + 2 * p - f) // s + 1


def check_fits(name: str, input_shape, sizes, what: str) -> None:
    if min(sizes) < 1:
        raise ValueError(f"{name}: input_shape {tuple(input_shape)} is too small for {what}")
