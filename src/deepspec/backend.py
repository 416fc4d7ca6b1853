"""The array namespace, the default dtype and random-number helpers.

Every op reaches arrays through ``xp`` from this module, so an array library with NumPy's
API can be swapped in at one place.
"""

from __future__ import annotations

import numpy

xp = numpy

_FLOAT_DTYPES = {"float32": numpy.float32, "float64": numpy.float64}
_default_dtype = numpy.dtype(numpy.float32)


def set_default_dtype(dtype) -> None:
    """Set the dtype new tensors and parameters get: ``"float32"`` (default) or ``"float64"``."""
    global _default_dtype
    name = numpy.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in _FLOAT_DTYPES:
        raise ValueError(
            f"set_default_dtype: dtype should be 'float32' or 'float64', got {dtype!r}"
        )
    _default_dtype = numpy.dtype(_FLOAT_DTYPES[name])


def get_default_dtype() -> numpy.dtype:
    """The dtype new tensors and parameters get."""
    return _default_dtype


class default_dtype:
    """Context manager: ``with default_dtype("float64"): ...`` restores the old dtype on exit."""

    def __init__(self, dtype) -> None:
        self.dtype = dtype

    def __enter__(self) -> None:
        self.saved = _default_dtype
        set_default_dtype(self.dtype)

    def __exit__(self, *exc) -> None:
        global _default_dtype
        _default_dtype = self.saved


def rng(seed=None) -> numpy.random.Generator:
    """A ``numpy.random.Generator`` from a seed, an existing Generator (returned as is) or None."""
    if isinstance(seed, numpy.random.Generator):
        return seed
    if seed is not None and not isinstance(seed, (int, numpy.integer)):
        raise TypeError(
            f"seed should be an int, a numpy Generator or None, got {type(seed).__name__}"
        )
    return numpy.random.default_rng(seed)
