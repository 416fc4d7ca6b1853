"""deepspec.classic RNN/LSTM step by step, clip and sample: PyTorch parity, gradient checks.

The reference is the assignment's code written in torch (float64, column-major), its
gradients from autograd: da (n_a, m, T_x) is the upstream gradient on every hidden state, so
rnn_backward / lstm_backward are the gradients of J = sum(a * da); the cells' are those of
sum(a_next * da_next) (+ sum(c_next * dc_next)). Gradients are sums over the m examples.
"""

import copy

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

from conftest import GRADCHECK_TOL, close, draw
from deepspec import classic, gradcheck
from deepspec.tensor import Function

M, T_X, N_X, N_A, N_Y = 3, 4, 3, 5, 2
GATES = "fico"


def t(a, grad=True):
    return torch.tensor(np.array(a, dtype=np.float64), requires_grad=grad)


def rnn_parameters(seed=0):
    Wax, Waa, Wya, ba, by = draw([(N_A, N_X), (N_A, N_A), (N_Y, N_A), (N_A, 1), (N_Y, 1)], seed)
    return {"Wax": Wax, "Waa": 0.5 * Waa, "Wya": Wya, "ba": ba, "by": by}


def lstm_parameters(seed=0):
    arrays = draw([(N_A, N_A + N_X)] * 4 + [(N_A, 1)] * 4 + [(N_Y, N_A), (N_Y, 1)], seed)
    parameters = {f"W{g}": 0.5 * W for g, W in zip(GATES, arrays[:4])}
    parameters.update({f"b{g}": b for g, b in zip(GATES, arrays[4:8])})
    parameters["Wy"], parameters["by"] = arrays[8], arrays[9]
    return parameters


# ---- the assignment's equations in torch ------------------------------------------------------
def torch_rnn_cell(xt, a_prev, P):
    a_next = torch.tanh(P["Waa"] @ a_prev + P["Wax"] @ xt + P["ba"])
    return a_next, torch.softmax(P["Wya"] @ a_next + P["by"], dim=0)


def torch_lstm_cell(xt, a_prev, c_prev, P):
    concat = torch.cat([a_prev, xt], dim=0)
    ft = torch.sigmoid(P["Wf"] @ concat + P["bf"])
    it = torch.sigmoid(P["Wi"] @ concat + P["bi"])
    cct = torch.tanh(P["Wc"] @ concat + P["bc"])
    c_next = ft * c_prev + it * cct
    ot = torch.sigmoid(P["Wo"] @ concat + P["bo"])
    a_next = ot * torch.tanh(c_next)
    yt = torch.softmax(P["Wy"] @ a_next + P["by"], dim=0)
    return a_next, c_next, yt, (ft, it, cct, ot)


def torch_sequence(x, a0, P, lstm):
    """(a, y, c) (n, m, T_x) by looping the torch cell, c<0> = 0."""
    a_prev, c_prev, a, y, c = a0, torch.zeros_like(a0), [], [], []
    for step in range(x.shape[2]):
        if lstm:
            a_prev, c_prev, yt, _ = torch_lstm_cell(x[:, :, step], a_prev, c_prev, P)
        else:
            a_prev, yt = torch_rnn_cell(x[:, :, step], a_prev, P)
        a.append(a_prev), y.append(yt), c.append(c_prev)
    return torch.stack(a, 2), torch.stack(y, 2), torch.stack(c, 2)


def torch_gradients(P, loss):
    loss.backward()
    return {f"d{k}": v.grad for k, v in P.items() if v.grad is not None}


# ---- RNN ------------------------------------------------------------------------------------
def test_rnn_cell_forward_backward_match_torch():
    parameters = rnn_parameters(seed=0)
    xt, a_prev, da_next = draw([(N_X, M), (N_A, M), (N_A, M)], seed=1)
    a_next, yt_pred, cache = classic.rnn_cell_forward(xt, a_prev, parameters)
    grads = classic.rnn_cell_backward(da_next, cache)

    P, txt, ta_prev = {k: t(v) for k, v in parameters.items()}, t(xt), t(a_prev)
    ta_next, tyt = torch_rnn_cell(txt, ta_prev, P)
    expected = torch_gradients(P, (ta_next * torch.from_numpy(da_next)).sum())
    close(a_next, ta_next)
    close(yt_pred, tyt)
    assert list(grads) == ["dxt", "da_prev", "dWax", "dWaa", "dba"]
    close(grads["dxt"], txt.grad)
    close(grads["da_prev"], ta_prev.grad)
    for key in ("dWax", "dWaa", "dba"):
        close(grads[key], expected[key])
    assert len(cache) == 4 and cache[1] is a_prev and cache[2] is xt and cache[3] is parameters
    close(cache[0], a_next)


@pytest.mark.parametrize("m, T_x", [(M, T_X), (1, 1)])
def test_rnn_forward_backward_match_torch(m, T_x):
    parameters = rnn_parameters(seed=2)
    x, a0, da = draw([(N_X, m, T_x), (N_A, m), (N_A, m, T_x)], seed=3)
    a, y_pred, caches = classic.rnn_forward(x, a0, parameters)
    grads = classic.rnn_backward(da, caches)

    P, tx, ta0 = {k: t(v) for k, v in parameters.items()}, t(x), t(a0)
    ta, ty, _ = torch_sequence(tx, ta0, P, lstm=False)
    expected = torch_gradients(P, (ta * torch.from_numpy(da)).sum())
    close(a, ta)
    close(y_pred, ty)
    assert list(grads) == ["dx", "da0", "dWax", "dWaa", "dba"]
    close(grads["dx"], tx.grad)
    close(grads["da0"], ta0.grad)
    for key in ("dWax", "dWaa", "dba"):
        close(grads[key], expected[key])

    steps, cached_x = caches
    assert cached_x is x and len(steps) == T_x
    for step, cache in enumerate(steps):  # the assignment's (a_next, a_prev, xt, parameters)
        close(cache[0], a[:, :, step])
        close(cache[1], a[:, :, step - 1] if step else a0)
        close(cache[2], x[:, :, step])
        assert cache[3] is parameters


def test_rnn_forward_is_the_assignments_loop_of_cells():
    parameters = rnn_parameters(seed=4)
    x, a0, da = draw([(N_X, M, T_X), (N_A, M), (N_A, M, T_X)], seed=5)
    a, y_pred, caches = classic.rnn_forward(x, a0, parameters)
    a_next, cell_caches = a0, []
    for step in range(T_X):
        a_next, yt, cache = classic.rnn_cell_forward(x[:, :, step], a_next, parameters)
        close(a[:, :, step], a_next)
        close(y_pred[:, :, step], yt)
        cell_caches.append(cache)
    # a hand-made (caches, x), and the step caches of rnn_forward, both work in backward
    by_hand = classic.rnn_backward(da, (cell_caches, x))
    for key, value in classic.rnn_backward(da, caches).items():
        close(by_hand[key], value)
    da_next = da[:, :, 1]
    ours, theirs = (classic.rnn_cell_backward(da_next, c) for c in (caches[0][1], cell_caches[1]))
    for key in ours:
        close(ours[key], theirs[key])


# ---- LSTM -----------------------------------------------------------------------------------
def test_lstm_cell_forward_backward_match_torch():
    parameters = lstm_parameters(seed=6)
    xt, a_prev, c_prev, da_next, dc_next = draw([(N_X, M)] + [(N_A, M)] * 4, seed=7)
    a_next, c_next, yt_pred, cache = classic.lstm_cell_forward(xt, a_prev, c_prev, parameters)
    grads = classic.lstm_cell_backward(da_next, dc_next, cache)

    P = {k: t(v) for k, v in parameters.items()}
    txt, ta_prev, tc_prev = t(xt), t(a_prev), t(c_prev)
    ta, tc, tyt, gates = torch_lstm_cell(txt, ta_prev, tc_prev, P)
    loss = (ta * torch.from_numpy(da_next)).sum() + (tc * torch.from_numpy(dc_next)).sum()
    expected = torch_gradients(P, loss)
    close(a_next, ta)
    close(c_next, tc)
    close(yt_pred, tyt)
    assert list(grads) == ["dxt", "da_prev", "dc_prev", "dWf", "dbf", "dWi", "dbi", "dWc",
                           "dbc", "dWo", "dbo"]
    close(grads["dxt"], txt.grad)
    close(grads["da_prev"], ta_prev.grad)
    close(grads["dc_prev"], tc_prev.grad)
    for g in GATES:
        close(grads[f"dW{g}"], expected[f"dW{g}"])
        close(grads[f"db{g}"], expected[f"db{g}"])
    # the assignment's (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    assert len(cache) == 10 and cache[2] is a_prev and cache[3] is c_prev
    assert cache[8] is xt and cache[9] is parameters
    for ours, theirs in zip(cache[4:8], gates):
        close(ours, theirs)


@pytest.mark.parametrize("m, T_x", [(M, T_X), (1, 1)])
def test_lstm_forward_backward_match_torch(m, T_x):
    parameters = lstm_parameters(seed=8)
    x, a0, da = draw([(N_X, m, T_x), (N_A, m), (N_A, m, T_x)], seed=9)
    a, y, c, caches = classic.lstm_forward(x, a0, parameters)
    grads = classic.lstm_backward(da, caches)

    P, tx, ta0 = {k: t(v) for k, v in parameters.items()}, t(x), t(a0)
    ta, ty, tc = torch_sequence(tx, ta0, P, lstm=True)
    expected = torch_gradients(P, (ta * torch.from_numpy(da)).sum())
    close(a, ta)
    close(y, ty)
    close(c, tc)
    assert list(grads) == ["dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"]
    close(grads["dx"], tx.grad)
    close(grads["da0"], ta0.grad)
    for g in GATES:
        close(grads[f"dW{g}"], expected[f"dW{g}"])
        close(grads[f"db{g}"], expected[f"db{g}"])

    steps, cached_x = caches
    assert cached_x is x and len(steps) == T_x
    for step, cache in enumerate(steps):
        close(cache[0], a[:, :, step])
        close(cache[1], c[:, :, step])
        close(cache[2], a[:, :, step - 1] if step else a0)
        close(cache[3], c[:, :, step - 1] if step else np.zeros_like(a0))
        close(cache[8], x[:, :, step])
        assert cache[9] is parameters


def test_lstm_forward_is_the_assignments_loop_of_cells():
    parameters = lstm_parameters(seed=10)
    x, a0, da, dc = draw([(N_X, M, T_X), (N_A, M), (N_A, M, T_X), (N_A, M)], seed=11)
    a, y, c, caches = classic.lstm_forward(x, a0, parameters)
    a_next, c_next, cell_caches = a0, np.zeros_like(a0), []
    for step in range(T_X):
        a_next, c_next, yt, cache = classic.lstm_cell_forward(x[:, :, step], a_next, c_next,
                                                              parameters)
        close(a[:, :, step], a_next)
        close(c[:, :, step], c_next)
        close(y[:, :, step], yt)
        cell_caches.append(cache)
        for ours, theirs in zip(caches[0][step][4:8], cache[4:8]):  # ft, it, cct, ot
            close(ours, theirs)
    by_hand = classic.lstm_backward(da, (cell_caches, x))
    for key, value in classic.lstm_backward(da, caches).items():
        close(by_hand[key], value)
    ours, theirs = (classic.lstm_cell_backward(da[:, :, 2], dc, c)
                    for c in (caches[0][2], cell_caches[2]))
    for key in ours:
        close(ours[key], theirs[key])


# ---- gradient checks: the backward functions against central differences ---------------------
class RNNSequence(Function):
    """rnn_forward's a, with rnn_backward as its backward (so gradcheck can drive both)."""

    def forward(self, x, a0, Wax, Waa, ba, *, rest):
        parameters = {"Wax": Wax, "Waa": Waa, "ba": ba, **rest}
        a, _, self.caches = classic.rnn_forward(x, a0, parameters)
        return a

    def backward(self, da):
        g = classic.rnn_backward(da, self.caches)
        return g["dx"], g["da0"], g["dWax"], g["dWaa"], g["dba"]


class LSTMSequence(Function):
    """lstm_forward's a, with lstm_backward as its backward."""

    def forward(self, x, a0, *weights, rest):
        names = [f"W{g}" for g in GATES] + [f"b{g}" for g in GATES]
        a, _, _, self.caches = classic.lstm_forward(x, a0, {**dict(zip(names, weights)), **rest})
        return a

    def backward(self, da):
        g = classic.lstm_backward(da, self.caches)
        return (g["dx"], g["da0"], *[g[f"dW{k}"] for k in GATES], *[g[f"db{k}"] for k in GATES])


class LSTMCell(Function):
    """lstm_cell_forward's [a_next, c_next] stacked, with lstm_cell_backward as its backward."""

    def forward(self, xt, a_prev, c_prev, *weights, rest):
        names = [f"W{g}" for g in GATES] + [f"b{g}" for g in GATES]
        parameters = {**dict(zip(names, weights)), **rest}
        a_next, c_next, _, self.cache = classic.lstm_cell_forward(xt, a_prev, c_prev, parameters)
        return np.stack([a_next, c_next])

    def backward(self, dout):
        g = classic.lstm_cell_backward(dout[0], dout[1], self.cache)
        return (g["dxt"], g["da_prev"], g["dc_prev"], *[g[f"dW{k}"] for k in GATES],
                *[g[f"db{k}"] for k in GATES])


def test_rnn_backward_matches_central_differences():
    p = rnn_parameters(seed=12)
    x, a0 = draw([(N_X, M, T_X), (N_A, M)], seed=13)
    rest = {"Wya": p["Wya"], "by": p["by"]}
    result = gradcheck(lambda *ts: RNNSequence.apply(*ts, rest=rest),
                       [x, a0, p["Wax"], p["Waa"], p["ba"]])
    assert result < GRADCHECK_TOL


def test_lstm_backward_matches_central_differences():
    p = lstm_parameters(seed=14)
    x, a0 = draw([(N_X, M, T_X), (N_A, M)], seed=15)
    weights = [p[f"W{g}"] for g in GATES] + [p[f"b{g}"] for g in GATES]
    rest = {"Wy": p["Wy"], "by": p["by"]}
    result = gradcheck(lambda *ts: LSTMSequence.apply(*ts, rest=rest), [x, a0, *weights])
    assert result < GRADCHECK_TOL


def test_lstm_cell_backward_matches_central_differences():
    p = lstm_parameters(seed=16)
    xt, a_prev, c_prev = draw([(N_X, M), (N_A, M), (N_A, M)], seed=17)
    weights = [p[f"W{g}"] for g in GATES] + [p[f"b{g}"] for g in GATES]
    rest = {"Wy": p["Wy"], "by": p["by"]}
    result = gradcheck(lambda *ts: LSTMCell.apply(*ts, rest=rest),
                       [xt, a_prev, c_prev, *weights])
    assert result < GRADCHECK_TOL


# ---- caches ----------------------------------------------------------------------------------
def test_backward_is_repeatable_and_caches_deepcopy():
    parameters = lstm_parameters(seed=18)
    x, a0, da = draw([(N_X, M, T_X), (N_A, M), (N_A, M, T_X)], seed=19)
    *_, caches = classic.lstm_forward(x, a0, parameters)
    first = classic.lstm_backward(da, caches)
    second = classic.lstm_backward(da, copy.deepcopy(caches))
    third = classic.lstm_backward(da, caches)
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])
        np.testing.assert_array_equal(first[key], third[key])


def test_float32_inputs_stay_float32():
    p = {k: v.astype(np.float32) for k, v in rnn_parameters(seed=20).items()}
    x, a0 = (v.astype(np.float32) for v in draw([(N_X, M, T_X), (N_A, M)], seed=21))
    a, y_pred, caches = classic.rnn_forward(x, a0, p)
    grads = classic.rnn_backward(np.ones_like(a), caches)
    assert a.dtype == y_pred.dtype == np.float32
    assert all(g.dtype == np.float32 and np.all(np.isfinite(g)) for g in grads.values())


# ---- clip ------------------------------------------------------------------------------------
def test_clip_returns_a_new_bounded_dict_and_leaves_the_input_alone():
    keys = ("dWaa", "dWax", "dWya", "db", "dby")
    gradients = {k: 10 * g for k, g in zip(keys, draw([(5, 5), (5, 3), (2, 5), (5, 1), (2, 1)],
                                                      seed=22))}
    saved = copy.deepcopy(gradients)
    clipped = classic.clip(gradients, 5)
    assert clipped is not gradients and list(clipped) == list(keys)
    for k in keys:
        assert clipped[k] is not gradients[k]
        np.testing.assert_array_equal(gradients[k], saved[k])  # untouched
        np.testing.assert_array_equal(clipped[k], np.clip(saved[k], -5, 5))
        assert clipped[k].dtype == saved[k].dtype
    assert max(np.abs(g).max() for g in clipped.values()) == 5
    with pytest.raises(ValueError, match=r"clip: maxValue should be > 0, got -1"):
        classic.clip(gradients, -1)


# ---- sample ----------------------------------------------------------------------------------
CHARS = "\nabcdefghijklmnopqrstuvwxyz"
CHAR_TO_IX = {ch: i for i, ch in enumerate(CHARS)}
VOCAB, NEWLINE = len(CHARS), CHAR_TO_IX["\n"]


def sample_parameters(seed=23, newline_logit=0.0):
    Wax, Waa, Wya, b, by = draw([(N_A, VOCAB), (N_A, N_A), (VOCAB, N_A), (N_A, 1), (VOCAB, 1)],
                                seed)
    by[NEWLINE] = newline_logit
    return {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": b, "by": by}


def test_sample_is_reproducible_and_ends_at_the_newline():
    parameters = sample_parameters()
    runs = [classic.sample(parameters, CHAR_TO_IX, seed) for seed in range(8)]
    assert runs == [classic.sample(parameters, CHAR_TO_IX, seed) for seed in range(8)]
    assert classic.sample(parameters, CHAR_TO_IX, np.random.default_rng(3)) == runs[3]
    assert len({tuple(r) for r in runs}) > 1  # the seed matters
    for indices in runs:
        assert all(isinstance(i, int) and 0 <= i < VOCAB for i in indices)
        assert indices[-1] == NEWLINE and NEWLINE not in indices[:-1]
        assert len(indices) <= 51  # at most 50 sampled characters, then the newline


def test_sample_stops_at_once_on_a_sure_newline_and_caps_at_50_characters():
    assert classic.sample(sample_parameters(newline_logit=1e3), CHAR_TO_IX, 0) == [NEWLINE]
    never = sample_parameters(newline_logit=-1e3)
    indices = classic.sample(never, CHAR_TO_IX, 0)
    assert len(indices) == 51 and indices[-1] == NEWLINE and NEWLINE not in indices[:-1]
    never["ba"] = never.pop("b")  # rnn_forward's name for the bias works too
    assert classic.sample(never, CHAR_TO_IX, 0) == indices


def test_sample_follows_the_rnn_distribution():
    """With Wya = 0, y<t> = softmax(by) at every step: the first draws follow it."""
    parameters = sample_parameters(seed=24)
    parameters["Wya"][:] = 0
    by = parameters["by"]
    by[NEWLINE] = np.log(np.exp(np.delete(by, NEWLINE)).sum())  # P(newline) = 1/2: short runs
    p = np.exp(by.ravel()) / np.exp(by).sum()
    n = 4000
    firsts = [classic.sample(parameters, CHAR_TO_IX, seed)[0] for seed in range(n)]
    assert np.abs(np.bincount(firsts, minlength=VOCAB) / n - p).max() < 0.03


# ---- bad shapes and arguments ----------------------------------------------------------------
def test_bad_shapes_name_the_function_and_both_shapes():
    rnn_p, lstm_p = rnn_parameters(), lstm_parameters()
    x, a0 = draw([(N_X, M, T_X), (N_A, M)], seed=25)
    with pytest.raises(ValueError, match=r"rnn_cell_forward: xt should have shape \(3, \*\) "
                                         r"to match Wax \(5, 3\), got \(4, 3\)"):
        classic.rnn_cell_forward(np.zeros((4, M)), a0, rnn_p)
    with pytest.raises(ValueError, match=r"rnn_forward: a0 should have shape \(5, 3\) to match "
                                         r"Wax \(5, 3\) and x \(3, 3, 4\), got \(5, 2\)"):
        classic.rnn_forward(x, a0[:, :2], rnn_p)
    with pytest.raises(ValueError, match=r"rnn_forward: x should have shape \(3, \*, \*\) "
                                         r"to match Wax \(5, 3\), got \(3, 3\)"):
        classic.rnn_forward(x[:, :, 0], a0, rnn_p)
    bad = dict(rnn_p, ba=np.zeros((N_A,)))
    with pytest.raises(ValueError, match=r"rnn_forward: ba should have shape \(5, 1\) to match "
                                         r"Waa \(5, 5\), got \(5,\)"):
        classic.rnn_forward(x, a0, bad)
    bad = dict(lstm_p, Wo=np.zeros((N_A, N_A + N_X + 1)))
    with pytest.raises(ValueError, match=r"lstm_forward: Wo should have shape \(5, 8\) to match "
                                         r"Wy \(2, 5\) and x \(3, 3, 4\), got \(5, 9\)"):
        classic.lstm_forward(x, a0, bad)
    with pytest.raises(ValueError, match=r"lstm_cell_forward: c_prev should have shape \(5, 3\) "
                                         r"to match Wy \(2, 5\) and xt \(3, 3\), got \(4, 3\)"):
        classic.lstm_cell_forward(x[:, :, 0], a0, np.zeros((4, M)), lstm_p)
    *_, caches = classic.lstm_forward(x, a0, lstm_p)
    with pytest.raises(ValueError, match=r"lstm_backward: da should have shape \(5, 3, 4\) to "
                                         r"match the cache's a \(5, 3, 4\), got \(5, 3, 3\)"):
        classic.lstm_backward(np.zeros((N_A, M, T_X - 1)), caches)
    _, _, cache = classic.rnn_cell_forward(x[:, :, 0], a0, rnn_p)
    with pytest.raises(ValueError, match=r"rnn_cell_backward: da_next should have shape "
                                         r"\(5, 3\) to match the cache's a \(5, 3\), got \(3, 5\)"):
        classic.rnn_cell_backward(np.zeros((M, N_A)), cache)
    with pytest.raises(ValueError, match=r"sample: Wax should have shape \(5, 27\) to match "
                                         r"by \(27, 1\) and Waa \(5, 5\), got \(5, 26\)"):
        classic.sample(dict(sample_parameters(), Wax=np.zeros((N_A, VOCAB - 1))), CHAR_TO_IX, 0)


def test_bad_arguments_fail_early():
    x, a0 = draw([(N_X, M, T_X), (N_A, M)], seed=26)
    no_by = {k: v for k, v in rnn_parameters().items() if k != "by"}
    with pytest.raises(ValueError, match=r"rnn_forward: parameters should hold .* "
                                         r"missing \['by'\]"):
        classic.rnn_forward(x, a0, no_by)
    with pytest.raises(ValueError, match=r"rnn_backward: caches should be the pair"):
        classic.rnn_backward(np.zeros((N_A, M, T_X)), [])
    with pytest.raises(ValueError, match=r"lstm_cell_backward: cache should be the 10-tuple"):
        classic.lstm_cell_backward(a0, a0, (1, 2, 3))
    with pytest.raises(ValueError, match=r"sample: char_to_ix should map the newline"):
        classic.sample(sample_parameters(), {"a": 0}, 0)
    with pytest.raises(TypeError, match=r"clip: gradients should be a dict"):
        classic.clip([np.zeros(3)], 5)
