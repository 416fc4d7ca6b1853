"""tensor.py: the engine. Broadcast gradients, accumulation, graph order and freeing,
no_grad, detach, dtypes, and the errors of backward()."""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import check_torch, close, draw
from deepspec import F
from deepspec.tensor import Function


def leaf(a):
    return ds.tensor(np.array(a, dtype=np.float64), requires_grad=True)


# ---- broadcasting: each gradient is summed back to its input's shape -----------------------
def sum_to(g, shape):
    """NumPy reference: sum a broadcast gradient back to ``shape``."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True)


@pytest.mark.parametrize("shapes", [[(3, 4), (4,)], [(3, 1), (1, 4)], [(2, 3, 4), ()],
                                    [(4,), (2, 3, 4)], [(1, 1), (3, 4)]])
def test_broadcast_gradients_are_reduced_to_each_input_shape(shapes):
    a, b = draw(shapes, seed=0)
    x, y = leaf(a), leaf(b)
    out = x * y + y
    dout = draw([out.shape], seed=1)[0]
    out.backward(dout)
    assert x.grad.shape == a.shape and y.grad.shape == b.shape
    close(x.grad, sum_to(dout * b, a.shape))
    close(y.grad, sum_to(dout * a + dout, b.shape))
    check_torch(lambda p, q: p * q + q, lambda p, q: p * q + q, [a, b])


def test_python_scalar_operands_get_no_gradient_and_keep_shape():
    x = leaf([1.0, 2.0, 3.0])
    (2.0 * x + 1 - x / 4.0).sum().backward()
    close(x.grad, np.full(3, 1.75))


def test_ndarray_on_the_left_defers_to_the_tensor():
    x = leaf([1.0, 2.0])
    for out in (np.array([3.0, 4.0]) * x, np.float64(2.0) - x, np.ones(2) @ x):
        assert isinstance(out, ds.Tensor) and out.requires_grad


# ---- accumulation and graph order ----------------------------------------------------------
def test_gradients_accumulate_across_backward_calls_on_separate_graphs():
    x = leaf([1.0, -2.0])
    (x * x).sum().backward()
    (3 * x).sum().backward()
    close(x.grad, 2 * np.array([1.0, -2.0]) + 3)
    x.zero_grad()
    assert x.grad is None


def test_a_tensor_used_twice_gets_the_summed_gradient():
    x = leaf([0.5, 1.5])
    (x * x + x).sum().backward()
    close(x.grad, 2 * np.array([0.5, 1.5]) + 1)


def test_diamond_through_an_intermediate_is_ordered_correctly():
    # r = a + 3a with a = 2x: a is reached from r directly and through b = 3a, so a's own
    # backward must wait for b's contribution (d r / d x = 2 + 6 = 8)
    x = leaf([1.0, 2.0])
    a = x * 2
    r = a + a * 3
    r.backward(np.ones(2))
    close(x.grad, [8.0, 8.0])


def test_deep_graph_with_shared_nodes_matches_torch():
    def fn(x, w, lib):
        h = lib.tanh(x @ w)
        g = h * h + h
        return (g @ w.T + x) * lib.sigmoid(h @ w.T) - g.sum() * x

    x, w = draw([(3, 4), (4, 4)], seed=2)
    check_torch(lambda a, b: fn(a, b, F), lambda a, b: fn(a, b, torch), [x, w])


# ---- graph freeing -------------------------------------------------------------------------
def test_second_backward_raises_after_the_graph_is_freed():
    x = leaf([1.0, 2.0])
    out = (x * x).sum()
    out.backward()
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        out.backward()


def test_backward_through_a_partly_freed_graph_raises():
    x = leaf([1.0, 2.0])
    h = x * x
    (h * 2).sum().backward()
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        (h * 3).sum().backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    out = (x * x).sum()
    out.backward(retain_graph=True)
    out.backward()
    close(x.grad, 4 * np.array([1.0, 2.0]))


# ---- no_grad, enable_grad, detach, numpy -----------------------------------------------------
def test_no_grad_records_nothing():
    x = leaf([1.0, 2.0])
    with ds.no_grad():
        y = x * 2 + 1
        assert not ds.is_grad_enabled()
    assert ds.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_no_grad_as_decorator_nests_and_restores():
    @ds.no_grad()
    def countdown(n):
        assert not ds.is_grad_enabled()
        return (leaf([1.0]) * 2).requires_grad or (n > 0 and countdown(n - 1))

    assert countdown(3) is False
    assert ds.is_grad_enabled()


def test_enable_grad_records_inside_no_grad():
    x = leaf([1.0])
    with ds.no_grad():
        with ds.enable_grad():
            y = x * 3
        z = x * 3
    assert y.requires_grad and not z.requires_grad
    y.sum().backward()
    close(x.grad, [3.0])


def test_no_grad_restores_after_an_exception():
    with pytest.raises(KeyError):
        with ds.no_grad():
            raise KeyError("inside no_grad")
    assert ds.is_grad_enabled()


def test_detach_shares_data_and_cuts_the_graph():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    out = (x * d).sum()
    out.backward()
    close(x.grad, [2.0, 4.0])                          # d is a constant
    assert x.detach().data is x.data


def test_numpy_returns_the_array_without_copying():
    a = np.array([1.0, 2.0])
    x = ds.tensor(a)
    assert isinstance(x.numpy(), np.ndarray) and x.numpy() is x.data
    np.testing.assert_array_equal(x.numpy(), a)
    assert x.item() == 1.0 if x.size == 1 else float(x.sum()) == 3.0


# ---- dtypes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [1.5, 3, [1, 2], [[0.5, 1.0]], np.arange(3), True])
def test_python_numbers_and_integer_arrays_become_float32(data):
    assert ds.tensor(data).dtype == np.float32


def test_float_arrays_keep_their_dtype():
    assert ds.tensor(np.ones(2)).dtype == np.float64
    assert ds.tensor(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert ds.tensor([1, 2], dtype=np.float64).dtype == np.float64


def test_float32_is_kept_through_ops_and_gradients():
    x = ds.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    out = (F.sigmoid(x @ x.T * 2.0 + 1) ** 2 / 3.0).sum() - x.exp().mean() + x.abs().max()
    assert out.dtype == np.float32
    out.backward()
    assert x.grad.dtype == np.float32 and np.all(np.isfinite(x.grad))


def test_a_leaf_grad_keeps_the_leaf_dtype_when_a_float64_array_joins():
    x = ds.tensor([1.0, 2.0], requires_grad=True)
    y = x * np.array([2.0, 3.0])                  # NumPy promotion: the product is float64
    y.sum().backward()
    assert y.dtype == np.float64 and x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 3.0])


def test_float64_default_via_context_manager_is_restored():
    with ds.default_dtype("float64"):
        x = ds.tensor([1.0, 2.0], requires_grad=True)
        assert ds.get_default_dtype() == np.float64
    assert ds.get_default_dtype() == np.float32
    (x * 2).sum().backward()
    assert x.dtype == np.float64 and x.grad.dtype == np.float64


def test_set_default_dtype(float64_default):
    ds.set_default_dtype("float32")
    assert ds.tensor(1).dtype == np.float32
    ds.set_default_dtype(np.float64)
    assert ds.tensor(1).dtype == np.float64        # the fixture restores the old default
    with pytest.raises(ValueError, match="set_default_dtype: dtype should be"):
        ds.set_default_dtype("int32")


def test_strings_are_not_tensors():
    with pytest.raises(TypeError, match="tensor: cannot make a tensor from dtype"):
        ds.tensor(np.array(["a"]))


# ---- backward's arguments ------------------------------------------------------------------
def test_backward_on_non_scalar_needs_a_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"one-element tensor, got shape \(2,\)"):
        (x * 2).backward()


def test_backward_with_a_wrong_shaped_gradient_names_both_shapes():
    x = leaf([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match=r"grad should have shape \(1, 3\), got \(3,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_of_a_constant_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ds.tensor([1.0]).backward()


def test_backward_on_a_leaf_and_on_a_0d_tensor():
    x = leaf(2.0)
    x.backward()
    assert x.grad.shape == () and x.grad == 1.0
    y = leaf(3.0)
    (y * y).backward()
    (y * y).backward()
    assert isinstance(y.grad, np.ndarray) and y.grad.flags.writeable and y.grad == 12.0


def test_requires_grad_can_change_only_on_leaves():
    x = ds.tensor([1.0]).requires_grad_()
    assert x.requires_grad
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        (x * 2).requires_grad_(False)


# ---- leaf gradients are the leaf's own, writeable arrays -----------------------------------
def test_leaf_grad_from_a_broadcast_is_writeable():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    x.sum().backward()                         # Sum's backward is a read-only broadcast view
    assert x.grad.flags.writeable
    x.grad += 1.0
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 2.0))


def test_leaf_grads_are_not_shared_between_leaves_or_with_the_caller():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    dout = np.array([1.0, 1.0])
    (x + y).backward(dout)                     # Add hands the same array to both inputs
    assert x.grad is not y.grad and x.grad is not dout
    x.grad *= 10.0
    dout[:] = 7.0
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [10.0, 10.0])


def test_leaf_grad_of_a_view_op_is_not_a_view():
    x = leaf(np.arange(6.0))
    x.reshape(2, 3).T.backward(np.ones((3, 2)))
    assert x.grad.base is None and x.grad.flags.writeable


# ---- Function subclasses -------------------------------------------------------------------
class Cube(Function):
    """a ** 3 as a custom Function."""

    def forward(self, a):
        self.a = a
        return a**3

    def backward(self, dout):
        return 3 * self.a**2 * dout


def test_custom_function_and_needs_grad():
    x, c = leaf([1.0, 2.0]), ds.tensor(np.array([5.0, 6.0]))
    out = Cube.apply(x) * c
    out.backward(np.ones(2))
    close(x.grad, 3 * np.array([1.0, 4.0]) * [5.0, 6.0])
    assert not Cube.apply(c).requires_grad


def test_a_backward_returning_the_wrong_shape_is_named():
    class Broken(Function):
        def forward(self, a):
            return a * 2

        def backward(self, dout):
            return dout[0]

    x = leaf([[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"Broken: backward gave a gradient of shape \(2,\) "
                                         r"for an input of shape \(1, 2\)"):
        Broken.apply(x).backward(np.ones((1, 2)))


# ---- odds and ends -------------------------------------------------------------------------
def test_comparisons_give_boolean_arrays_and_repr_names_the_dtype():
    x = ds.tensor([1.0, 2.0, 3.0], requires_grad=True)
    np.testing.assert_array_equal(x > 1.5, [False, True, True])
    np.testing.assert_array_equal(x <= ds.tensor([1.0, 0.0, 3.0]), [True, False, True])
    assert "float32" in repr(x) and "requires_grad=True" in repr(x)
    assert len(x) == 3 and x.ndim == 1 and x.size == 3 and x.shape == (3,)
    assert float(x[1]) == 2.0 and x[2].item() == 3.0
