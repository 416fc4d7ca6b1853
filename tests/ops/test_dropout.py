"""ops/dropout.py: inverted dropout, A * D / keep_prob with D = (rand < keep_prob).

torch has no seeded-mask API to match, so the parity test reads our mask D off the output
and checks against the torch computation x * D / keep_prob. An int seed draws the same mask
on every call, which is what makes the gradient check possible.
"""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import GRADCHECK_TOL, check_float32, check_torch, close, draw
from deepspec import F
from deepspec.gradcheck import gradcheck


def mask_of(shape, keep_prob, seed):
    """Our D for this shape and seed: dropout of ones, times keep_prob."""
    ones = ds.tensor(np.ones(shape))
    return np.asarray(F.dropout(ones, keep_prob, seed=seed).data * keep_prob)


# name: (input shape, keep_prob)
CASES = {
    "2d": ((6, 5), 0.8),
    "3d": ((2, 3, 4), 0.5),
    "batch_of_1": ((1, 7), 0.3),
    "0d": ((), 0.6),
    "empty": ((0, 4), 0.5),
}


@pytest.mark.parametrize("name", CASES)
def test_backward_matches_finite_differences(name):
    shape, keep_prob = CASES[name]
    fn = lambda A: F.dropout(A, keep_prob, seed=3)          # noqa: E731  same mask every call
    assert gradcheck(fn, draw([shape], seed=0)) < GRADCHECK_TOL


@pytest.mark.parametrize("name", CASES)
def test_matches_torch_with_the_same_mask(name):
    shape, keep_prob = CASES[name]
    D = mask_of(shape, keep_prob, seed=3)
    assert set(np.unique(D)) <= {0.0, 1.0}
    check_torch(lambda A: F.dropout(A, keep_prob, seed=3),
                lambda A: A * torch.from_numpy(D) / keep_prob, draw([shape], seed=0))


@pytest.mark.parametrize("name", CASES)
def test_float32_keeps_dtype(name):
    shape, keep_prob = CASES[name]
    check_float32(lambda A: F.dropout(A, keep_prob, seed=3), draw([shape], seed=0))


def test_same_int_seed_same_mask_and_different_seeds_differ():
    assert np.array_equal(mask_of((20, 20), 0.5, seed=1), mask_of((20, 20), 0.5, seed=1))
    assert not np.array_equal(mask_of((20, 20), 0.5, seed=1), mask_of((20, 20), 0.5, seed=2))


def test_a_shared_generator_draws_fresh_masks_reproducibly():
    def two_masks(seed):
        rng = np.random.default_rng(seed)
        A = ds.tensor(np.ones((10, 10)))
        return [F.dropout(A, 0.5, seed=rng).data for _ in range(2)]

    first, second = two_masks(0)
    assert not np.array_equal(first, second)
    for ours, again in zip(two_masks(0), (first, second)):
        np.testing.assert_array_equal(ours, again)


@pytest.mark.parametrize("keep_prob", [0.2, 0.5, 0.9])
def test_keeps_about_keep_prob_and_preserves_the_mean(keep_prob):
    A = ds.tensor(np.ones((200, 100)))
    out = F.dropout(A, keep_prob, seed=0).data
    kept = (out != 0).mean()
    assert abs(kept - keep_prob) < 0.02
    close(out[out != 0], np.full((out != 0).sum(), 1 / keep_prob))
    assert abs(out.mean() - 1.0) < 0.05


def test_identity_when_not_training_or_keeping_everything():
    A = ds.tensor(draw([(3, 4)], seed=0)[0], requires_grad=True)
    assert F.dropout(A, 0.5, training=False) is A
    assert F.dropout(A, 1.0, seed=0) is A


def test_backward_uses_the_forward_mask():
    A = ds.tensor(draw([(5, 6)], seed=0)[0], requires_grad=True)
    out = F.dropout(A, 0.5, seed=4)
    out.backward(np.ones((5, 6)))
    close(A.grad, mask_of((5, 6), 0.5, seed=4) / 0.5)


# ---- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("keep_prob", [0.0, -0.1, 1.5, float("nan")])
def test_keep_prob_out_of_range_is_named(keep_prob):
    with pytest.raises(ValueError, match=r"dropout: keep_prob should be in \(0, 1\], got"):
        F.dropout(ds.tensor(np.ones(3)), keep_prob, seed=0)


def test_bad_seed_is_named():
    with pytest.raises(TypeError, match="seed should be an int, a numpy Generator or None"):
        F.dropout(ds.tensor(np.ones(3)), 0.5, seed="0")
