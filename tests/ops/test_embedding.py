"""ops/embedding.py (embedding, one_hot) and the masked softmax cross-entropy of sequences."""

import numpy as np
import pytest
import torch

import deepspec as ds
from conftest import GRADCHECK_TOL, close, draw
from deepspec import F
from deepspec.gradcheck import gradcheck
from deepspec.ops.embedding import embedding, one_hot

IDS = np.array([[1, 2, 1, 0], [6, 0, 1, 1]])  # repeats and the padding id 0


@pytest.mark.parametrize("padding_idx", [None, 0])
def test_embedding_matches_torch(padding_idx):
    (E,) = draw([(7, 3)], 0)
    ours = ds.tensor(E, requires_grad=True)
    out = embedding(IDS, ours, padding_idx=padding_idx)
    (dout,) = draw([out.shape], 1)
    out.backward(dout)
    theirs = torch.tensor(E, requires_grad=True)
    t_out = torch.nn.functional.embedding(torch.from_numpy(IDS), theirs, padding_idx=padding_idx)
    t_out.backward(torch.from_numpy(dout))
    close(out.data, t_out)
    close(ours.grad, theirs.grad)


def test_embedding_gradcheck_and_repeated_ids_accumulate():
    assert gradcheck(lambda E: embedding(IDS, E), draw([(7, 3)], 0)) < GRADCHECK_TOL
    E = ds.tensor(np.zeros((3, 2)), requires_grad=True)
    embedding([1, 1, 1], E).sum().backward()
    np.testing.assert_array_equal(E.grad, [[0, 0], [3, 3], [0, 0]])


def test_embedding_errors_and_dtype():
    E = ds.tensor(np.zeros((5, 2), dtype=np.float32), requires_grad=True)
    with pytest.raises(ValueError, match=r"embedding: ids should be in \[0, 4\], got .*\[0, 5\]"):
        embedding([0, 5], E)
    with pytest.raises(TypeError, match="embedding: ids should be integers"):
        embedding(np.array([0.5]), E)
    with pytest.raises(ValueError, match=r"embedding: E should have shape \(V, n\)"):
        embedding([0], ds.tensor(np.zeros(5)))
    out = embedding(np.array([[0, 1]]), E)
    assert out.shape == (1, 2, 2) and out.dtype == np.float32


def test_one_hot():
    o = one_hot([[0, 2], [1, 1]], 3)
    assert o.shape == (2, 2, 3) and o.dtype == ds.get_default_dtype()
    np.testing.assert_array_equal(o.argmax(-1), [[0, 2], [1, 1]])
    np.testing.assert_array_equal(o.sum(-1), 1)
    with pytest.raises(ValueError, match=r"one_hot: ids should be in \[0, 2\]"):
        one_hot([3], 3)


# masked many-to-many cross-entropy: -1 marks padding, the mask keeps the real steps
Y_SEQ = np.array([[1, 2, 3, -1], [0, 4, -1, -1]])
MASK = Y_SEQ >= 0


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_masked_cross_entropy_matches_torch_ignore_index(reduction):
    (Z,) = draw([(2, 4, 5)], 0)
    ours = ds.tensor(Z, requires_grad=True)
    J = F.softmax_cross_entropy(ours, Y_SEQ, mask=MASK, reduction=reduction)
    J.backward()
    theirs = torch.tensor(Z, requires_grad=True)
    t_J = torch.nn.functional.cross_entropy(theirs.reshape(-1, 5),
                                            torch.from_numpy(Y_SEQ.reshape(-1)),
                                            ignore_index=-1, reduction=reduction)
    t_J.backward()
    close(J.data, t_J)
    close(ours.grad, theirs.grad)


def test_masked_cross_entropy_gradcheck_and_equals_unpadded():
    (Z,) = draw([(2, 4, 5)], 0)
    fn = lambda z: F.softmax_cross_entropy(z, Y_SEQ, mask=MASK)  # noqa: E731
    assert gradcheck(fn, [Z]) < GRADCHECK_TOL
    # the padded batch's cost is the cost of the real steps alone
    real = np.concatenate([Z[0, :3], Z[1, :2]])
    expected = F.softmax_cross_entropy(ds.tensor(real), np.array([1, 2, 3, 0, 4]))
    close(fn(ds.tensor(Z)).data, expected.data)
    per_step = F.softmax_cross_entropy(ds.tensor(Z), Y_SEQ, mask=MASK, reduction="none")
    assert per_step.shape == (2, 4) and np.all(per_step.data[~MASK] == 0)


def test_masked_cross_entropy_bad_mask_shape():
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: mask should have shape "
                                         r"\(2, 4\), got \(2, 3\)"):
        F.softmax_cross_entropy(ds.tensor(np.zeros((2, 4, 5))), Y_SEQ, mask=MASK[:, :3])
