"""Compiled loops, optional: max pooling, col2im's scatter-add and the LSTM's gate arithmetic.

NumPy runs these as many small whole-array passes (one per window offset or per gate), and
there its per-call cost and the passes' memory traffic dominate: the compiled loops make one
pass in the order the data lie. Measured on LeNet-5's layers (batch 128, float32): max
pooling 3x faster forward (1.4 -> 0.47 ms) and 2x backward; col2im 4x (0.98 -> 0.25 ms a
tile); the LSTM's backward step one pass instead of about fifteen. They are built from
``_kernels.c`` when deepspec is installed and a C compiler is found; without one every op
runs its NumPy path, which gives the same numbers (tests/test_kernels.py checks both). Set
the environment variable ``DEEPSPEC_NO_KERNELS=1`` before importing deepspec, or use
``with kernels.disabled():``, to run the NumPy paths."""

from __future__ import annotations

import contextlib
import os

import numpy as np

try:
    from . import _kernels as _compiled
except ImportError:  # built without a C compiler: the NumPy paths run
    _compiled = None

_enabled = _compiled is not None and not os.environ.get("DEEPSPEC_NO_KERNELS")
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def available() -> bool:
    """Whether the compiled loops are built and switched on."""
    return _enabled


@contextlib.contextmanager
def disabled():
    """Run the NumPy paths inside the block (for comparisons and tests)."""
    global _enabled
    saved, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = saved


def status() -> str:
    """One line: whether the compiled loops run, and why not where they don't."""
    if _compiled is None:
        return "not built (no C compiler at install): the NumPy paths run"
    if not _enabled:
        return ("built, switched off (DEEPSPEC_NO_KERNELS or kernels.disabled()): the NumPy "
                "paths run")
    return "on (max pooling, col2im, LSTM steps; DEEPSPEC_NO_KERNELS=1 switches them off)"


def usable(*arrays) -> bool:
    """Whether the compiled loops can take these arrays: switched on, NumPy arrays (not
    another array library's, should ``backend.xp`` be swapped) of one float dtype (float32
    or float64), every one C-contiguous."""
    if not _enabled or not all(isinstance(a, np.ndarray) for a in arrays):
        return False
    dtype = arrays[0].dtype
    return dtype in _FLOATS and all(a.dtype == dtype and a.flags.c_contiguous for a in arrays)


def maxpool_forward(A, Z, argmax, kernel, strides, pads) -> None:
    """Z = the max over each window, argmax = its offset i f_w + j (the first on ties; a NaN
    makes Z NaN), as MaxPool2D's NumPy path. A (m, H, W, C); Z, argmax (uint8) (m, n_H, n_W, C)."""
    m, H, W, C = A.shape
    _compiled.maxpool_forward(A.dtype == np.float64, A, Z, argmax, m, H, W, C, Z.shape[1],
                              Z.shape[2], *kernel, *strides, pads[0][0], pads[1][0])


def maxpool_backward(dZ, argmax, dA, kernel, strides, pads) -> None:
    """dA = 0, then each dZ added at its window's argmax pixel."""
    m, H, W, C = dA.shape
    _compiled.maxpool_backward(dA.dtype == np.float64, dZ, argmax, dA, m, H, W, C, dZ.shape[1],
                               dZ.shape[2], kernel[1], *strides, pads[0][0], pads[1][0])


def col2im(dcols, dA_pad, tile, n_W, kernel, strides) -> None:
    """dA_pad[n, h s_h + i, w s_w + j, :] += dcols[(n, h, w), (i, j, :)] over one tile
    (n0, n1, h0, h1) of examples and output rows; dA_pad (N, H_p, W_d, C)."""
    n0, n1, h0, h1 = tile
    N, H_p, W_d, C = dA_pad.shape
    _compiled.col2im(dA_pad.dtype == np.float64, dcols, dA_pad, n1 - n0, h1 - h0, n_W,
                     *kernel, C, *strides, N, H_p, W_d, n0, h0)


def lstm_cell(Z, c_prev, c) -> None:
    """Z (4 n, m) holds tanh of the gates' pre-activations, σ rows halved: make the σ gates
    (1 + tanh) / 2 in place, and c = Γu c~ + Γf c_prev."""
    _compiled.lstm_cell(Z.dtype == np.float64, Z, c_prev, c, c.size)


def lstm_output(O, tc, XS, Y, t) -> None:
    """a<t> = O tc (n, m), the new state Γo tanh(c), into the next step's operand columns
    XS[:n, t + 1] of XS (K, T + 1, m) and into the output's rows Y[:, t] of Y (m, T_y, n)."""
    n, m = O.shape
    _compiled.lstm_output(O.dtype == np.float64, O, tc, XS, Y, n, m, t, XS.shape[1] - 1,
                          Y.shape[1])


def lstm_backward(dh, dY, dc, Z, tc, c_prev, dZ, t) -> None:
    """One BPTT step's gate gradients, into the columns dZ[:, t] of dZ (4 n, T, m); dc
    becomes dc_prev. da<t> is dh plus the output's gradient dY[:, t] of dY (m, T_y, n).
    LSTM._lstm_step_grads' arithmetic (the C source has the formulas). dZ may have spare
    steps (dZ.shape[1] >= T): its rows are dZ.shape[1] m apart."""
    n, m = dh.shape
    _compiled.lstm_backward(Z.dtype == np.float64, dh, dY, dc, Z, tc, c_prev, dZ, n, m, t,
                            dZ.shape[1], dY.shape[1])
