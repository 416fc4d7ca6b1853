"""Learning-rate schedules (notes §2.4.7): exact values at several epochs, bad arguments."""

import math

import pytest

from deepspec import optim

EPOCHS = [0, 1, 2, 5, 9, 10, 11, 99, 1000]


def test_inverse_time():
    schedule = optim.inverse_time(0.2, decay_rate=1.0)
    assert [schedule(e) for e in (0, 1, 3)] == [0.2, 0.1, 0.05]
    schedule = optim.inverse_time(0.5, decay_rate=0.3)
    for e in EPOCHS:
        assert schedule(e) == pytest.approx(0.5 / (1 + 0.3 * e), rel=1e-15)
    assert optim.inverse_time(0.5, 0.0)(1000) == 0.5  # no decay


def test_staircase():
    schedule = optim.staircase(0.1, decay_rate=1.0, interval=10)
    values = {e: schedule(e) for e in EPOCHS}
    assert values[0] == values[9] == 0.1  # flat within an interval
    assert values[10] == values[11] == 0.05
    assert values[99] == pytest.approx(0.1 / 10, rel=1e-15)
    assert values[1000] == pytest.approx(0.1 / 101, rel=1e-15)
    default = optim.staircase(0.3, decay_rate=0.5)  # interval 1000
    assert default(999) == 0.3
    assert default(1000) == pytest.approx(0.3 / 1.5, rel=1e-15)
    for e in EPOCHS:
        assert schedule(e) == pytest.approx(0.1 / (1 + 1.0 * math.floor(e / 10)), rel=1e-15)


def test_exponential():
    schedule = optim.exponential(0.2)  # base 0.95, the notes' 0.95^epoch_num * alpha0
    assert schedule(0) == 0.2
    assert schedule(1) == pytest.approx(0.19, rel=1e-15)
    assert schedule(2) == pytest.approx(0.1805, rel=1e-15)
    for e in EPOCHS:
        assert schedule(e) == pytest.approx(0.95**e * 0.2, rel=1e-14)
    assert optim.exponential(0.2, base=0.5)(3) == 0.025
    assert optim.exponential(0.2, base=1.0)(50) == 0.2


def test_inverse_sqrt():
    schedule = optim.inverse_sqrt(0.1, k=2.0)  # k / sqrt(epoch_num) * alpha0, epoch_num = e + 1
    assert schedule(0) == pytest.approx(0.2, rel=1e-15)
    assert schedule(3) == pytest.approx(0.1, rel=1e-15)
    assert schedule(15) == pytest.approx(0.05, rel=1e-15)
    for e in EPOCHS:
        assert schedule(e) == pytest.approx(2.0 / math.sqrt(e + 1) * 0.1, rel=1e-15)
    assert optim.inverse_sqrt(0.3)(0) == 0.3


def test_piecewise_constant():
    schedule = optim.piecewise_constant([10, 20], [0.1, 0.01, 0.001])
    expected = {0: 0.1, 9: 0.1, 10: 0.01, 19: 0.01, 20: 0.001, 1000: 0.001}
    assert {e: schedule(e) for e in expected} == expected
    assert optim.piecewise_constant([], [0.5])(123) == 0.5
    assert isinstance(optim.piecewise_constant([1], [1, 2])(0), float)


def test_schedule_sets_optimizer_learning_rate():
    from deepspec.nn import Parameter

    opt = optim.GD([Parameter([1.0])], learning_rate=1.0)
    schedule = optim.inverse_time(1.0, decay_rate=1.0)
    for epoch in range(3):
        opt.learning_rate = schedule(epoch)
    assert opt.learning_rate == pytest.approx(1 / 3, rel=1e-15)


BAD = [
    (lambda: optim.inverse_time(0.0, 1.0), "inverse_time: alpha0 should be > 0, got 0.0"),
    (lambda: optim.inverse_time(-0.1, 1.0), "inverse_time: alpha0"),
    (lambda: optim.inverse_time(0.1, -1.0), "inverse_time: decay_rate should be >= 0"),
    (lambda: optim.inverse_time(float("nan"), 1.0), "inverse_time: alpha0"),
    (lambda: optim.inverse_time(0.1, float("nan")), "inverse_time: decay_rate"),
    (lambda: optim.inverse_time(0.1, 1.0)(-1), "inverse_time: epoch should be >= 0, got -1"),
    (lambda: optim.staircase(0.0, 1.0), "staircase: alpha0"),
    (lambda: optim.staircase(0.1, -1.0), "staircase: decay_rate should be >= 0"),
    (lambda: optim.staircase(0.1, 1.0, interval=0), "interval >= 1"),
    (lambda: optim.staircase(0.1, float("nan")), "staircase: decay_rate"),
    (lambda: optim.staircase(0.1, 1.0)(-3), "staircase: epoch"),
    (lambda: optim.exponential(0.0), "exponential: alpha0"),
    (lambda: optim.exponential(0.1, base=0.0), r"exponential: base should be in \(0, 1\]"),
    (lambda: optim.exponential(0.1, base=1.5), "exponential: base"),
    (lambda: optim.exponential(0.1)(-1), "exponential: epoch"),
    (lambda: optim.inverse_sqrt(-1.0), "inverse_sqrt: alpha0"),
    (lambda: optim.inverse_sqrt(0.1, k=0.0), "inverse_sqrt: k should be > 0"),
    (lambda: optim.inverse_sqrt(0.1)(-1), "inverse_sqrt: epoch"),
    (lambda: optim.piecewise_constant([10], [0.1]), "values should have len"),
    (lambda: optim.piecewise_constant([10, 10], [0.1, 0.2, 0.3]), "boundaries should increase"),
    (lambda: optim.piecewise_constant([10, 5], [0.1, 0.2, 0.3]), "boundaries should increase"),
    (lambda: optim.piecewise_constant([10], [0.1, 0.0]), "values should be > 0"),
    (lambda: optim.piecewise_constant([10], [0.1, float("nan")]), "values should be > 0"),
    (lambda: optim.piecewise_constant([10], [0.1, 0.2])(-1), "piecewise_constant: epoch"),
]


@pytest.mark.parametrize("make, match", BAD)
def test_bad_arguments_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()
