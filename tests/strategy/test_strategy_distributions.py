"""strategy/distributions.py: each scale samples as the notes say, and refine narrows."""

import math

import numpy as np
import pytest

from deepspec import strategy as st

N = 20_000


def ks_uniform(u, a, b):
    """Kolmogorov-Smirnov distance between the samples u and uniform(a, b)."""
    u = np.sort((np.asarray(u) - a) / (b - a))
    i = np.arange(1, len(u) + 1)
    return max(np.max(i / len(u) - u), np.max(u - (i - 1) / len(u)))


KS_CRITICAL = 1.63 / math.sqrt(N)    # the 1% level of the KS test


def test_log_uniform_is_uniform_in_log_space():
    # the notes: alpha = 0.0001 ... 1, r = -4 * rand(), alpha = 10^r
    alpha = st.LogUniform(1e-4, 1.0).sample(np.random.default_rng(0), N)
    assert alpha.shape == (N,) and alpha.min() >= 1e-4 and alpha.max() <= 1.0
    r = np.log10(alpha)
    assert ks_uniform(r, -4, 0) < KS_CRITICAL
    per_decade = np.histogram(r, bins=[-4, -3, -2, -1, 0])[0] / N
    np.testing.assert_allclose(per_decade, 0.25, atol=0.015)     # each decade 1/4
    assert ks_uniform(alpha, 1e-4, 1.0) > 0.5                    # far from uniform in alpha


def test_one_minus_log_uniform_samples_one_minus_beta_on_a_log_scale():
    # beta = 0.9 ... 0.999: 1 - beta = 10^r with r in [-3, -1]
    beta = st.OneMinusLogUniform(0.9, 0.999).sample(np.random.default_rng(1), N)
    assert beta.min() >= 0.9 and beta.max() <= 0.999
    assert ks_uniform(np.log10(1 - beta), -3, -1) < KS_CRITICAL
    assert np.mean(beta > 0.99) == pytest.approx(0.5, abs=0.015)   # as many in [0.99, 0.999]


def test_uniform_and_int_uniform_are_linear():
    x = st.Uniform(50.0, 100.0).sample(np.random.default_rng(2), N)
    assert ks_uniform(x, 50, 100) < KS_CRITICAL
    layers = st.IntUniform(2, 4).sample(np.random.default_rng(3), N)   # L = 2, 3, 4
    assert layers.dtype.kind == "i"
    values, counts = np.unique(layers, return_counts=True)
    assert values.tolist() == [2, 3, 4]
    np.testing.assert_allclose(counts / N, 1 / 3, atol=0.015)


def test_choice_keeps_options_whole():
    c = st.Choice([64, 128, (3, 3), "relu"])
    drawn = c.sample(np.random.default_rng(4), 4000)
    assert drawn.shape == (4000,)
    assert set(map(repr, drawn.tolist())) == {"64", "128", "(3, 3)", "'relu'"}
    counts = [sum(1 for d in drawn.tolist() if d == o) for o in c.options]
    np.testing.assert_allclose(np.array(counts) / 4000, 0.25, atol=0.03)


@pytest.mark.parametrize("dist", [st.LogUniform(1e-4, 1), st.OneMinusLogUniform(0.9, 0.999),
                                  st.Uniform(-1, 1), st.IntUniform(1, 100),
                                  st.Choice(["a", "b", "c"])])
def test_same_generator_state_same_samples(dist):
    a = dist.sample(np.random.default_rng(7), 50)
    b = dist.sample(np.random.default_rng(7), 50)
    assert a.tolist() == b.tolist()
    assert dist.sample(np.random.default_rng(7), 0).shape == (0,)
    assert dist.sample(7, 50).tolist() == a.tolist()         # an int seed works too


def test_log_uniform_refine_spans_the_values_in_log_space():
    d = st.LogUniform(1e-4, 1.0)
    narrowed = d.refine([1e-3, 1e-2], margin=0.1)           # span -3..-2, pad 0.4 decades
    assert math.log10(narrowed.low) == pytest.approx(-3.4)
    assert math.log10(narrowed.high) == pytest.approx(-1.6)
    assert d.refine([1e-4, 1.0]) == d                       # cannot grow past the range
    assert d.refine([1e-2], margin=0.0) == st.LogUniform(1e-2, 1e-2)


def test_one_minus_log_uniform_refine_works_in_one_minus_beta():
    d = st.OneMinusLogUniform(0.9, 0.999)                     # r = log10(1 - beta) in [-3, -1]
    narrowed = d.refine([0.99, 0.995], margin=0.1)           # r in [-2.3, -2] -> pad 0.2
    assert math.log10(1 - narrowed.high) == pytest.approx(-2.30103 - 0.2, abs=1e-5)
    assert math.log10(1 - narrowed.low) == pytest.approx(-2.0 + 0.2)
    assert narrowed.low < 0.99 < 0.995 < narrowed.high


def test_uniform_int_and_choice_refine():
    assert st.Uniform(0, 10).refine([4, 6], margin=0.1) == st.Uniform(3, 7)
    assert st.Uniform(0, 10).refine([0.5], margin=0.1) == st.Uniform(0, 1.5)
    assert st.IntUniform(50, 100).refine([60, 70], margin=0.1) == st.IntUniform(55, 75)
    assert st.IntUniform(2, 4).refine([3, 3], margin=0.0) == st.IntUniform(3, 3)
    assert st.Choice([32, 64, 128, 256]).refine([256, 64, 64]) == st.Choice([64, 256])


@pytest.mark.parametrize("call, error, message", [
    (lambda: st.LogUniform(0, 1), ValueError, "LogUniform: low should be > 0"),
    (lambda: st.LogUniform(1, 0.1), ValueError,
     "LogUniform: low should be <= high, got low=1.0, high=0.1"),
    (lambda: st.OneMinusLogUniform(0.9, 1.0), ValueError,
     r"OneMinusLogUniform: bounds should satisfy 0 <= low <= high < 1"),
    (lambda: st.Uniform("a", 1), TypeError, "Uniform: low should be a real number"),
    (lambda: st.IntUniform(1.5, 3), TypeError, "IntUniform: low should be an int, got 1.5"),
    (lambda: st.IntUniform(5, 3), ValueError, "IntUniform: low should be <= high"),
    (lambda: st.Choice([]), ValueError, "Choice: options should not be empty"),
    (lambda: st.Choice("abc"), TypeError, "Choice: options should be a list of values"),
    (lambda: st.Uniform(0, 1).sample(0, -1), ValueError,
     r"Uniform.sample: n should be an int >= 0, got -1"),
    (lambda: st.LogUniform(1e-3, 1).refine([10.0]), ValueError,
     r"LogUniform.refine: values should lie in \[0.001, 1.0\], got values in \[10.0, 10.0\]"),
    (lambda: st.Uniform(0, 1).refine([]), ValueError, "Uniform.refine: values should not be"),
    (lambda: st.Uniform(0, 1).refine([0.5], margin=2), ValueError,
     r"Uniform.refine: margin should be in \[0, 1\]"),
    (lambda: st.IntUniform(1, 3).refine([7]), ValueError, r"values should lie in \[1, 3\]"),
    (lambda: st.Choice([1, 2]).refine([3]), ValueError,
     r"Choice.refine: values should be among \[1, 2\], got 3"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
