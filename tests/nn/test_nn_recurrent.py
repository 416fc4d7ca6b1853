"""nn/recurrent.py: SimpleRNN, GRU, LSTM (stacked), Bidirectional and TimeDistributed vs
torch.nn.RNN/GRU/LSTM with the weights mapped, masks, states and errors."""

import numpy as np
import pytest
import torch

import deepspec as ds
from conftest import close, draw
from deepspec import nn

M, T, N_X, N_A = 3, 4, 3, 5
# torch gate blocks -> ours (order, signs): LSTM (i, f, g, o) -> (u, f, o, c~);
# GRU (r, z, n) -> (r, u, c~) with z = 1 - u, so the z block changes sign
REGATE = {"SimpleRNN": ([0], [1]), "LSTM": ([0, 1, 3, 2], [1, 1, 1, 1]),
          "GRU": ([0, 1, 2], [1, -1, 1])}


def regate(kind, a):
    order, signs = REGATE[kind]
    blocks = np.split(np.asarray(a), len(order))
    return np.concatenate([signs[i] * blocks[i] for i in order])


def build_pair(kind, num_layers=1, bidirectional=False, seed=0):
    """Our layer (float64) and torch's with the same weights (ours copied into torch).

    torch's deep bidirectional RNN feeds both directions of layer l into layer l + 1: here
    that is a Sequential of Bidirectional layers (a Bidirectional wraps one whole layer).
    """
    kwargs = {"reset_after": True} if kind == "GRU" else {}
    cls = getattr(nn, kind)
    with ds.default_dtype("float64"):
        if bidirectional:
            ours = nn.Sequential(*[
                nn.Bidirectional(cls(N_X if l == 0 else 2 * N_A, N_A, seed=seed + l, **kwargs),
                                 seed=seed + 10 + l) for l in range(num_layers)])
            directions = [(d, 0, f"_l{l}{suffix}") for l, bi in enumerate(ours)
                          for d, suffix in ((bi.forward_layer, ""),
                                            (bi.backward_layer, "_reverse"))]
        else:
            ours = cls(N_X, N_A, num_layers=num_layers, seed=seed, **kwargs)
            directions = [(ours, l, f"_l{l}") for l in range(num_layers)]
    torch_cls = {"SimpleRNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[kind]
    theirs = torch_cls(N_X, N_A, num_layers=num_layers, batch_first=True,
                       bidirectional=bidirectional).double()
    with torch.no_grad():
        for layer, l, name in directions:
            getattr(theirs, "weight_ih" + name).copy_(
                torch.from_numpy(regate(kind, layer.W_x[l].data.T)))
            getattr(theirs, "weight_hh" + name).copy_(
                torch.from_numpy(regate(kind, layer.W_a[l].data.T)))
            b = layer.b[l].data
            b_ih, b_hh = (b[0], b[1]) if kind == "GRU" else (b, np.zeros_like(b))
            getattr(theirs, "bias_ih" + name).copy_(torch.from_numpy(regate(kind, b_ih)))
            getattr(theirs, "bias_hh" + name).copy_(torch.from_numpy(regate(kind, b_hh)))
    return ours, theirs, directions


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("kind", ["SimpleRNN", "GRU", "LSTM"])
def test_layers_match_torch_modules(kind, num_layers, bidirectional):
    ours, theirs, directions = build_pair(kind, num_layers, bidirectional)
    (x,) = draw([(M, T, N_X)], 0)
    x_ours = ds.Tensor(x, requires_grad=True)
    out = ours(x_ours)
    (dout,) = draw([out.shape], 1)
    out.backward(dout)
    x_theirs = torch.tensor(x, requires_grad=True)
    t_out = theirs(x_theirs)[0]
    t_out.backward(torch.from_numpy(dout))
    close(out.data, t_out)
    close(x_ours.grad, x_theirs.grad)
    for layer, l, name in directions:  # every weight gradient, both directions
        close(regate(kind, layer.W_x[l].grad.T), theirs.get_parameter("weight_ih" + name).grad)
        close(regate(kind, layer.W_a[l].grad.T), theirs.get_parameter("weight_hh" + name).grad)


def test_lstm_return_state_and_initial_state_match_torch():
    ours, theirs, _ = build_pair("LSTM")
    ours.return_sequences, ours.return_state = False, True
    x, a0, c0 = draw([(M, T, N_X), (M, N_A), (M, N_A)], 0)
    a_T, a_T2, c_T = ours(ds.Tensor(x), (ds.Tensor(a0), ds.Tensor(c0)))
    _, (h, c) = theirs(torch.from_numpy(x), (torch.from_numpy(a0)[None],
                                             torch.from_numpy(c0)[None]))
    close(a_T.data, h[0])
    close(c_T.data, c[0])
    assert np.array_equal(a_T.data, a_T2.data)


@pytest.mark.parametrize("kind", ["SimpleRNN", "GRU", "LSTM"])
def test_masked_batch_equals_each_sequence_alone(kind):
    with ds.default_dtype("float64"):
        layer = nn.Bidirectional(getattr(nn, kind)(N_X, N_A, seed=0), seed=1)
    (x,) = draw([(M, T, N_X)], 0)
    lengths = np.array([4, 2, 3])
    padded = layer(ds.Tensor(x), lengths=lengths).data
    for i, L in enumerate(lengths):
        alone = layer(ds.Tensor(x[i:i + 1, :L])).data[0]
        close(padded[i, :L], alone)
        assert np.all(padded[i, L:] == 0)


def test_time_distributed_applies_the_layer_at_every_step():
    with ds.default_dtype("float64"):
        dense = nn.Dense(N_X, 2, seed=0)
    (x,) = draw([(M, T, N_X)], 0)
    out = nn.TimeDistributed(dense)(ds.Tensor(x))
    assert out.shape == (M, T, 2)
    close(out.data[:, 2], dense(ds.Tensor(x[:, 2])).data)


def test_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"LSTM\(3, 5\): input should have shape \(m, T, 3\), "
                                         r"got \(2, 4, 7\)"):
        nn.LSTM(3, 5)(np.zeros((2, 4, 7)))
    with pytest.raises(ValueError, match="SimpleRNN: activation should be"):
        nn.SimpleRNN(3, 5, activation="sigmoid")
    with pytest.raises(ValueError, match="Bidirectional: the wrapped layer should have "
                                         "return_sequences=True"):
        nn.Bidirectional(nn.GRU(3, 5, return_sequences=False))
    with pytest.raises(ValueError, match="Bidirectional: masks should mark a prefix"):
        nn.Bidirectional(nn.GRU(3, 5))(np.zeros((1, 3, 3)), mask=np.array([[1, 0, 1]]) > 0)
    with pytest.raises(ValueError, match="keep_prob should be in"):
        nn.LSTM(3, 5, keep_prob=0)


def test_lstm_forget_bias_starts_open_and_same_seed_same_weights():
    lstm = nn.LSTM(2, 3, seed=4)
    np.testing.assert_array_equal(lstm.b[0].data, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    assert np.array_equal(nn.LSTM(2, 3, seed=4).W_x[0].data, lstm.W_x[0].data)
