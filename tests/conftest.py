"""Shared test helpers: seeded draws, tolerances, and the PyTorch parity runner.

Test modules import these by name (``from conftest import draw, close``): pytest puts this
folder on ``sys.path`` when it loads this file.
"""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds

# torch's thread pool costs tens of milliseconds per tiny op on a loaded 2-core machine;
# the parity checks here are small, so one thread runs them fastest
torch.set_num_threads(1)

NHWC_TO_NCHW, NCHW_TO_NHWC = (0, 3, 1, 2), (0, 2, 3, 1)  # images: ours <-> torch
FILTER_TO_TORCH, FILTER_FROM_TORCH = (3, 2, 0, 1), (2, 3, 1, 0)  # (f, f, C_in, C_out) <-> torch

GRADCHECK_TOL = 1e-7          # gradcheck's relative difference, float64
PARITY_MAX = 1e-8             # the spec's hard limit on |ours - torch|, float64
RTOL, ATOL = 1e-10, 1e-12     # what float64 parity usually achieves
RTOL32, ATOL32 = 1e-5, 1e-6   # float32


def draw(shapes, seed):
    """Standard-normal float64 arrays, one per shape, from one seeded generator."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def draw_positive(shapes, seed, low=0.5, high=2.0):
    """Uniform float64 arrays in [low, high): for log, sqrt, pow bases and denominators."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, shape) for shape in shapes]


def make_inputs(shapes, seed, positive=()):
    """draw(shapes, seed), with the inputs whose index is in ``positive`` drawn positive."""
    normal = draw(shapes, seed)
    pos = draw_positive(shapes, seed)
    return [pos[i] if i in positive else normal[i] for i in range(len(shapes))]


def as_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, ds.Tensor):
        return np.asarray(x.data)
    return np.asarray(x)


def close(ours, theirs, rtol=RTOL, atol=ATOL):
    """Same shape, allclose, and (float64) never more than PARITY_MAX apart."""
    ours, theirs = as_numpy(ours), as_numpy(theirs)
    assert ours.shape == theirs.shape, f"shape {ours.shape} != {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)
    if ours.dtype == np.float64:
        assert np.max(np.abs(ours - theirs), initial=0.0) < PARITY_MAX


def check_torch(ours_fn, torch_fn, arrays, seed=1000):
    """Run ours and torch on the same float64 arrays, backward one random upstream gradient,
    and compare the output and the gradient of every input."""
    ours = [ds.Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = ours_fn(*ours)
    dout = draw([out.shape], seed)[0]
    out.backward(dout)

    theirs = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    t_out = torch_fn(*theirs)
    t_out.backward(torch.from_numpy(np.asarray(dout)))

    close(out, t_out)
    for i, (a, t) in enumerate(zip(ours, theirs)):
        assert a.grad is not None, f"input {i} got no gradient"
        close(a.grad, t.grad)


def check_float32(fn, arrays):
    """float32 smoke test: the output and every gradient stay float32 and finite."""
    ours = [ds.Tensor(np.asarray(a, dtype=np.float32), requires_grad=True) for a in arrays]
    out = fn(*ours)
    assert out.dtype == np.float32, f"output dtype {out.dtype}"
    assert np.all(np.isfinite(out.data))
    out.backward(np.ones(out.shape, dtype=np.float32))
    for i, a in enumerate(ours):
        assert a.grad is not None, f"input {i} got no gradient"
        assert a.grad.dtype == np.float32, f"input {i} grad dtype {a.grad.dtype}"
        assert np.all(np.isfinite(a.grad))


@pytest.fixture
def float64_default():
    """Make float64 the default dtype for one test, and restore the old default after."""
    with ds.default_dtype("float64"):
        yield


def real_data(name):
    """Make sure data set ``name`` is in the cache (fetching it through the package tools, as
    `deepspec data fetch` does) and return its folder. Tests that check a course number on
    real data call this; a failed fetch fails the test rather than skipping it."""
    from deepspec.data import fetch

    return fetch(name, quiet=True)
