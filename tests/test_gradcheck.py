"""gradcheck.py: the numerical gradient check must pass right gradients, catch wrong ones,
and point at the worst elements."""

import numpy as np
import pytest

import deepspec as ds
from conftest import GRADCHECK_TOL, draw
from deepspec import F
from deepspec.gradcheck import GradcheckResult, gradcheck, gradient_check, relative_difference
from deepspec.tensor import Function


class Square(Function):
    """a ** 2, right."""

    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, dout):
        return 2 * self.a * dout


class BrokenSquare(Square):
    """a ** 2 with a wrong backward: 3a instead of 2a."""

    def backward(self, dout):
        return 3 * self.a * dout


class BrokenOnOneElement(Square):
    """Right everywhere except element (1, 2), whose gradient is off by 5."""

    def backward(self, dout):
        grad = 2 * self.a * dout
        grad[1, 2] += 5.0
        return grad


class BrokenSecondInput(Function):
    """a * b whose gradient for b is wrong (it forgets a)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, dout):
        return dout * self.b, dout


def test_a_right_backward_passes():
    result = gradcheck(Square.apply, draw([(3, 4)], seed=0))
    assert isinstance(result, GradcheckResult)
    assert result < GRADCHECK_TOL and float(result) < GRADCHECK_TOL
    assert result.per_input[0] < GRADCHECK_TOL


def test_a_wrong_backward_is_caught():
    result = gradcheck(BrokenSquare.apply, draw([(3, 4)], seed=0))
    assert result > 0.1                        # |3a - 2a| / (|3a| + |2a|) = 0.2
    assert abs(float(result) - 0.2) < 1e-6
    assert not result < GRADCHECK_TOL


def test_worst_points_at_the_wrong_element():
    result = gradcheck(BrokenOnOneElement.apply, draw([(3, 4)], seed=0))
    assert result > 1e-3
    input_index, element, error = result.worst[0]
    assert (input_index, tuple(int(i) for i in element)) == (0, (1, 2))
    assert error > 0.1
    errors = [w[2] for w in result.worst]
    assert errors == sorted(errors, reverse=True) and len(result.worst) == 5
    assert all(e < 1e-6 for e in errors[1:])


def test_worst_and_per_input_name_the_wrong_input():
    result = gradcheck(BrokenSecondInput.apply, draw([(2, 3), (2, 3)], seed=1), n_worst=3)
    assert result.per_input[0] < GRADCHECK_TOL and result.per_input[1] > 0.1
    assert len(result.worst) == 3 and all(w[0] == 1 for w in result.worst)


def test_wrt_checks_only_the_listed_inputs():
    arrays = draw([(2, 3), (2, 3)], seed=1)
    assert gradcheck(BrokenSecondInput.apply, arrays, wrt=[0]) < GRADCHECK_TOL
    assert gradcheck(BrokenSecondInput.apply, arrays, wrt=[1]) > 0.1


def test_result_compares_like_a_float():
    result = gradcheck(BrokenSquare.apply, draw([(2,)], seed=0))
    assert result >= 0.1 and result <= 0.3 and result < 1 and result > 0


def test_any_output_shape_and_single_array_or_tensor_input():
    x = draw([(2, 3, 4)], seed=2)[0]
    assert gradcheck(lambda a: a.sum(axis=1) * a.max(), x) < GRADCHECK_TOL
    assert gradcheck(lambda a: F.tanh(a).sum(), ds.tensor(x)) < GRADCHECK_TOL
    assert gradcheck(lambda a: a * 2.0, np.array(0.3)) < GRADCHECK_TOL


def test_inputs_are_float64_and_left_unchanged():
    x = draw([(3, 2)], seed=3)[0].astype(np.float32)
    before = x.copy()
    seen = []

    def fn(a):
        seen.append(a.dtype)
        return a * a

    assert gradcheck(fn, [x]) < GRADCHECK_TOL
    assert set(seen) == {np.dtype(np.float64)}
    np.testing.assert_array_equal(x, before)


def test_integer_and_boolean_inputs_are_passed_as_they_are():
    Z = draw([(4, 3)], seed=4)[0]
    labels = np.array([0, 2, 1, 2])
    assert gradcheck(F.softmax_cross_entropy, [Z, labels]) < GRADCHECK_TOL
    mask = np.array([True, False, True])
    a, b = draw([(2, 3), (3,)], seed=5)
    result = gradcheck(F.where, [mask, a, b])
    assert result < GRADCHECK_TOL and len(result.per_input) == 2


def test_fn_must_return_a_tensor():
    with pytest.raises(TypeError, match="gradcheck: fn should return a Tensor, got ndarray"):
        gradcheck(lambda a: a.data, draw([(2,)], seed=0))


def test_relative_difference():
    assert relative_difference(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_difference([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert relative_difference([1.0], [-1.0]) == 1.0
    assert abs(relative_difference([3.0], [2.0]) - 0.2) < 1e-15


# ---- gradient_check: the notes' whole-model check -----------------------------------------
def tiny_data(seed=0):
    X = draw([(6, 3)], seed)[0]
    Y = (np.random.default_rng(seed).random((6, 1)) > 0.5).astype(np.float64)
    return X, Y


def test_gradient_check_of_a_model_passes_and_leaves_the_model_alone():
    model = ds.models.mlp([3, 4, 1], hidden="tanh", seed=0)
    before = [p.data.copy() for p in model.parameters()]
    X, Y = tiny_data()
    result = gradient_check(model, X, Y, "binary_cross_entropy_with_logits", lambd=0.1)
    assert result < GRADCHECK_TOL
    assert len(result.per_input) == len(before)
    for p, b in zip(model.parameters(), before):
        assert p.data.dtype == b.dtype and p.grad is None
        np.testing.assert_array_equal(p.data, b)


def test_gradient_check_refuses_active_dropout():
    model = ds.models.mlp([3, 4, 1], keep_prob=0.5, seed=0)
    X, Y = tiny_data()
    with pytest.raises(RuntimeError, match="gradient_check: the model has active dropout"):
        gradient_check(model, X, Y, "binary_cross_entropy_with_logits")
    model.eval()
    assert gradient_check(model, X, Y, "binary_cross_entropy_with_logits") < GRADCHECK_TOL
