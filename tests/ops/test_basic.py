"""ops/basic.py: arithmetic, matmul, linear, elementwise math, reductions, shapes, indexing.

One table drives three checks per case: float64 central differences, forward and backward
parity with PyTorch, and a float32 smoke test. A new op or case is one line.
"""

from pathlib import Path

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import GRADCHECK_TOL, check_float32, check_torch, close, draw, make_inputs
from deepspec import F
from deepspec.gradcheck import gradcheck

TF = torch.nn.functional
MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
ROWS = np.array([True, False, True])
IDX = np.array([0, 2, 0])                      # repeats: their gradients must add up
COLS = np.array([1, 1, 3])


def t(a):
    return torch.from_numpy(a)


def case(ours, theirs, shapes, positive=()):
    """ours and theirs take the same inputs; ``positive`` lists inputs drawn in [0.5, 2)."""
    return ours, theirs, shapes, positive


CASES = {
    # arithmetic, with NumPy broadcasting (the engine sums gradients back to each shape)
    "add": case(F.add, torch.add, [(3, 4), (3, 4)]),
    "add_row": case(F.add, torch.add, [(3, 4), (4,)]),
    "add_outer": case(lambda a, b: a + b, torch.add, [(3, 1), (1, 4)]),
    "add_0d_tensor": case(F.add, torch.add, [(3, 4), ()]),
    "add_0d_0d": case(F.add, torch.add, [(), ()]),
    "add_python_scalar": case(lambda a: a + 2.5, lambda a: a + 2.5, [(3, 4)]),
    "add_empty": case(F.add, torch.add, [(0, 3), (3,)]),
    "sub": case(F.sub, torch.sub, [(2, 3, 4), (3, 1)]),
    "rsub_scalar": case(lambda a: 1.5 - a, lambda a: 1.5 - a, [(3, 4)]),
    "mul_outer": case(F.mul, torch.mul, [(3, 1), (1, 4)]),
    "mul_0d_tensor": case(lambda a, b: a * b, torch.mul, [(), (3, 4)]),
    "rmul_scalar": case(lambda a: 3.0 * a, lambda a: 3.0 * a, [(3, 4)]),
    "div": case(F.div, torch.div, [(3, 4), (4,)], positive=(1,)),
    "rdiv_scalar": case(lambda b: 2.0 / b, lambda b: 2.0 / b, [(3, 4)], positive=(0,)),
    "pow_tensor_exponent": case(F.pow, torch.pow, [(3, 4), (4,)], positive=(0,)),
    "pow_int": case(lambda a: a**3, lambda a: a**3, [(3, 4)]),
    "pow_float": case(lambda a: a**2.5, lambda a: a**2.5, [(3, 4)], positive=(0,)),
    "rpow": case(lambda b: 2.0**b, lambda b: 2.0**b, [(3, 4)]),
    "neg": case(F.neg, torch.neg, [(3, 4)]),
    "neg_operator": case(lambda a: -a, lambda a: -a, [(2, 3)]),
    # matmul: NumPy's rules for 1-D and batched (broadcast) operands
    "matmul_1d_1d": case(F.matmul, torch.matmul, [(4,), (4,)]),
    "matmul_2d_1d": case(F.matmul, torch.matmul, [(3, 4), (4,)]),
    "matmul_1d_2d": case(F.matmul, torch.matmul, [(4,), (4, 5)]),
    "matmul_2d_2d": case(lambda a, b: a @ b, torch.matmul, [(3, 4), (4, 5)]),
    "matmul_3d_2d": case(F.matmul, torch.matmul, [(2, 3, 4), (4, 5)]),
    "matmul_batched_broadcast": case(F.matmul, torch.matmul, [(2, 1, 3, 4), (3, 4, 2)]),
    "matmul_1d_3d": case(F.matmul, torch.matmul, [(4,), (2, 4, 3)]),
    "matmul_3d_1d": case(F.matmul, torch.matmul, [(2, 3, 4), (4,)]),
    "matmul_batch_of_1": case(F.matmul, torch.matmul, [(1, 4), (4, 1)]),
    "matmul_empty": case(F.matmul, torch.matmul, [(0, 3), (3, 2)]),
    # linear: Z = A_prev @ W.T + b
    "linear": case(F.linear, TF.linear, [(5, 3), (4, 3), (4,)]),
    "linear_no_bias": case(F.linear, TF.linear, [(5, 3), (4, 3)]),
    "linear_batch_of_1": case(F.linear, TF.linear, [(1, 3), (4, 3), (4,)]),
    "linear_3d": case(F.linear, TF.linear, [(2, 5, 3), (4, 3), (4,)]),
    "linear_1d": case(F.linear, TF.linear, [(3,), (4, 3), (4,)]),
    # elementwise math
    "exp": case(F.exp, torch.exp, [(3, 4)]),
    "exp_0d": case(lambda a: a.exp(), torch.exp, [()]),
    "log": case(F.log, torch.log, [(3, 4)], positive=(0,)),
    "sqrt": case(lambda a: a.sqrt(), torch.sqrt, [(3, 4)], positive=(0,)),
    "abs": case(F.abs, torch.abs, [(3, 4)]),
    "clip": case(lambda a: F.clip(a, -0.5, 0.7), lambda a: a.clamp(-0.5, 0.7), [(3, 4)]),
    "clip_low": case(lambda a: F.clip(a, low=0.0), lambda a: a.clamp(min=0.0), [(3, 4)]),
    "clip_high": case(lambda a: a.clip(high=0.3), lambda a: a.clamp(max=0.3), [(3, 4)]),
    "where": case(lambda a, b: F.where(MASK, a, b), lambda a, b: torch.where(t(MASK), a, b),
                  [(3, 4), (3, 4)]),
    "where_broadcast": case(lambda a, b: F.where(MASK, a, b),
                            lambda a, b: torch.where(t(MASK), a, b), [(3, 4), (4,)]),
    "where_scalar": case(lambda a: F.where(MASK, a, 0.0), lambda a: torch.where(t(MASK), a, 0.0),
                         [(3, 4)]),
    # shapes
    "reshape": case(lambda a: F.reshape(a, (4, 3)), lambda a: a.reshape(4, 3), [(3, 4)]),
    "reshape_infer": case(lambda a: a.reshape(2, -1), lambda a: a.reshape(2, -1), [(2, 3, 4)]),
    "transpose": case(F.transpose, lambda a: a.permute(2, 1, 0), [(2, 3, 4)]),
    "transpose_axes": case(lambda a: a.transpose(1, 0, 2), lambda a: a.permute(1, 0, 2),
                           [(2, 3, 4)]),
    "transpose_negative": case(lambda a: F.transpose(a, (-1, 0, 1)), lambda a: a.permute(2, 0, 1),
                               [(2, 3, 4)]),
    "T": case(lambda a: a.T, lambda a: a.T, [(3, 4)]),
    # indexing: basic, integer arrays (with repeats), boolean masks
    "getitem_slices": case(lambda a: a[1:, ::2], lambda a: a[1:, ::2], [(3, 4)]),
    "getitem_int": case(lambda a: a[1], lambda a: a[1], [(3, 4)]),
    "getitem_reversed": case(lambda a: a[::-1, 1:3], lambda a: a.flip(0)[:, 1:3], [(3, 4)]),
    "getitem_empty_slice": case(lambda a: a[3:], lambda a: a[3:], [(3, 4)]),
    "getitem_int_array": case(lambda a: a[IDX], lambda a: a[t(IDX)], [(3, 4)]),
    "getitem_list_cols": case(lambda a: a[:, [1, 1, 3]], lambda a: a[:, [1, 1, 3]], [(3, 4)]),
    "getitem_two_arrays": case(lambda a: a[IDX, COLS], lambda a: a[t(IDX), t(COLS)], [(3, 4)]),
    "getitem_mask": case(lambda a: a[MASK], lambda a: a[t(MASK)], [(3, 4)]),
    "getitem_row_mask": case(lambda a: F.getitem(a, ROWS), lambda a: a[t(ROWS)], [(3, 4)]),
    "getitem_none_ellipsis": case(lambda a: a[..., None, 2], lambda a: a[..., None, 2],
                                  [(2, 3, 4)]),
    # concat and stack
    "concat": case(lambda a, b, c: F.concat([a, b, c]), lambda a, b, c: torch.cat([a, b, c]),
                   [(2, 3), (1, 3), (4, 3)]),
    "concat_last_axis": case(lambda a, b: F.concat([a, b], axis=-1),
                             lambda a, b: torch.cat([a, b], dim=-1), [(2, 3), (2, 1)]),
    "concat_with_empty": case(lambda a, b: F.concat([a, b]), lambda a, b: torch.cat([a, b]),
                              [(2, 3), (0, 3)]),
    "stack": case(lambda a, b, c: F.stack([a, b, c]), lambda a, b, c: torch.stack([a, b, c]),
                  [(2, 3)] * 3),
    "stack_last_axis": case(lambda a, b: F.stack([a, b], axis=-1),
                            lambda a, b: torch.stack([a, b], dim=-1), [(2, 3)] * 2),
}


@pytest.mark.parametrize("name", CASES)
def test_backward_matches_finite_differences(name):
    ours, _, shapes, positive = CASES[name]
    assert gradcheck(ours, make_inputs(shapes, 0, positive)) < GRADCHECK_TOL


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name):
    ours, theirs, shapes, positive = CASES[name]
    check_torch(ours, theirs, make_inputs(shapes, 0, positive))


@pytest.mark.parametrize("name", CASES)
def test_float32_keeps_dtype(name):
    ours, _, shapes, positive = CASES[name]
    check_float32(ours, make_inputs(shapes, 0, positive))


# ---- reductions: every axis form, keepdims both ways --------------------------------------
REDUCTIONS = {
    "sum": (F.sum, lambda a, axis, keepdims: torch.sum(a, dim=axis, keepdim=keepdims)),
    "mean": (F.mean, lambda a, axis, keepdims: torch.mean(a, dim=axis, keepdim=keepdims)),
    "max": (F.max, lambda a, axis, keepdims: torch.amax(a, dim=() if axis is None else axis,
                                                        keepdim=keepdims)),
}
AXES = [None, 0, -1, (0, 2), (1,), (0, 1, 2)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_gradcheck_and_torch(name, axis, keepdims):
    ours, theirs = REDUCTIONS[name]
    x = draw([(2, 3, 4)], seed=0)
    assert gradcheck(lambda a: ours(a, axis=axis, keepdims=keepdims), x) < GRADCHECK_TOL
    check_torch(lambda a: ours(a, axis, keepdims), lambda a: theirs(a, axis, keepdims), x)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_methods_0d_and_float32(name):
    method = {"sum": ds.Tensor.sum, "mean": ds.Tensor.mean, "max": ds.Tensor.max}[name]
    assert gradcheck(lambda a: method(a), draw([()], seed=0)) < GRADCHECK_TOL
    check_float32(lambda a: method(a, axis=1, keepdims=True), draw([(3, 4)], seed=0))


def test_max_ties_share_the_gradient_like_torch_amax():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [5.0, 5.0, 5.0]])
    check_torch(lambda a: F.max(a, axis=1), lambda a: torch.amax(a, dim=1), [x])
    check_torch(lambda a: a.max(), lambda a: torch.amax(a), [x])


def test_kinks_use_torch_subgradients():
    x = np.array([[0.0, -0.5, 0.7, 1.0], [0.3, -0.2, 0.0, -2.0]])   # values on the kinks
    check_torch(F.abs, torch.abs, [x])
    check_torch(lambda a: F.clip(a, -0.5, 0.7), lambda a: a.clamp(-0.5, 0.7), [x])


def test_sum_of_empty_axis_gives_zeros_and_empty_gradient():
    x = ds.tensor(np.zeros((0, 3)), requires_grad=True)
    out = x.sum(axis=0)
    np.testing.assert_array_equal(out.data, np.zeros(3))
    out.backward(np.ones(3))
    assert x.grad.shape == (0, 3)


def test_getitem_repeated_indices_accumulate():
    x = ds.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad[:, 0], [3.0, 0.0, 1.0])


def test_getitem_accepts_tensor_indices():
    x = ds.tensor(np.arange(6.0), requires_grad=True)
    out = x[ds.Tensor(np.array([5, 1]), dtype=np.int64)]
    np.testing.assert_array_equal(out.data, [5.0, 1.0])
    out.backward(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad, [0, 2, 0, 0, 0, 1])


def test_constants_get_no_gradient_and_results_match_numpy():
    a, b = draw([(3, 4), (3, 4)], seed=3)
    x = ds.tensor(a, requires_grad=True)
    out = F.concat([x, b], axis=1) * 2.0
    close(out, np.concatenate([a, b], axis=1) * 2.0)
    out.backward(np.ones((3, 8)))
    close(x.grad, np.full((3, 4), 2.0))


# ---- bad input: the message names the op and the shapes ----------------------------------
def rand(*shape):
    return ds.tensor(np.ones(shape), requires_grad=True)


ERRORS = {
    "linear_W": (lambda: F.linear(rand(5, 3), rand(4, 2), rand(4)),
                 ValueError, r"linear: A_prev .*\(4, 2\).*got \(5, 3\)"),
    "linear_W_1d": (lambda: F.linear(rand(5, 3), rand(3)), ValueError, r"linear: W .*got \(3,\)"),
    "linear_b": (lambda: F.linear(rand(5, 3), rand(4, 3), rand(3)), ValueError,
                 r"linear: b should have shape \(4\), got \(3,\)"),
    "matmul_inner": (lambda: rand(3, 4) @ rand(5, 2), ValueError,
                     r"matmul: inner sizes differ: a has shape \(3, 4\), b has shape \(5, 2\)"),
    "matmul_0d": (lambda: F.matmul(rand(), rand(3)), ValueError, r"matmul: .*\(\) and \(3,\)"),
    "clip_low_high": (lambda: F.clip(rand(3), 1.0, 0.0), ValueError,
                      r"clip: low should be <= high, got low=1.0, high=0.0"),
    "clip_no_bounds": (lambda: F.clip(rand(3)), ValueError, "clip: give at least one"),
    "reshape": (lambda: rand(3, 4).reshape(5, 2), ValueError,
                r"reshape: cannot reshape a tensor of shape \(3, 4\) \(12 elements\) "
                r"into \(5, 2\)"),
    "transpose": (lambda: rand(2, 3).transpose(0, 0), ValueError,
                  r"transpose: axes \(0, 0\) are not a permutation"),
    "concat": (lambda: F.concat([rand(2, 3), rand(2, 4)]), ValueError,
               r"concat: shapes \[\(2, 3\), \(2, 4\)\] should agree except on axis 0"),
    "concat_empty_list": (lambda: F.concat([]), ValueError, "concat: needs at least one"),
    "stack": (lambda: F.stack([rand(2, 3), rand(3, 2)]), ValueError,
              r"stack: .*same shape, got \[\(2, 3\), \(3, 2\)\]"),
    "sum_axis": (lambda: rand(2, 3).sum(axis=2), ValueError, "sum: axis 2 is out of range"),
    "mean_empty": (lambda: rand(0, 3).mean(), ValueError, r"mean: .*empty .*\(0, 3\)"),
    "max_empty": (lambda: rand(0, 3).max(axis=0), ValueError, r"max: .*empty .*\(0, 3\)"),
    "getitem": (lambda: rand(2, 3)[5], IndexError, r"getitem: .*\(2, 3\)"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_bad_input_raises_a_clear_error(name):
    fn, error, message = ERRORS[name]
    with pytest.raises(error, match=message):
        fn()


def test_ops_reach_arrays_only_through_the_backend():
    ops_dir = Path(ds.ops.__file__).parent
    offenders = [p.name for p in ops_dir.glob("*.py") if "import numpy" in p.read_text()]
    assert offenders == []
