"""ops/recurrent.py: rnn, lstm, gru (whole-sequence BPTT) and their single-step cells.

float64 central differences of every op (all inputs, initial states included; losses on the
outputs, on the final states alone, and with masks); a masked batch against each sequence run
alone; cells composed over time against the sequence op; the LSTM's stacked step operands and
its gradients when only some inputs want one; shape errors; float32.
PyTorch parity is in test_recurrent_torch.py.
"""

import subprocess
import sys

import numpy as np
import pytest

import deepspec as ds
from conftest import GRADCHECK_TOL, close, draw
from deepspec import F
from deepspec.gradcheck import gradcheck
from deepspec.ops import recurrent as recurrent_module
from deepspec.ops.recurrent import gru, gru_cell, lstm, lstm_cell, rnn, rnn_cell

M, T, N_X, N_A = 2, 4, 3, 5
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3, "gru_reset_after": 3}
HOLES = np.array([[True, False, True, False], [False, True, True, True]])  # any pattern works


def seq(name):
    """The sequence op of a case: (x, W_x, W_a, b, a0[, c0], **kw) -> (a, a_T[, c_T])."""
    if name.startswith("rnn"):
        return lambda *args, **kw: rnn(*args, activation=name[4:], **kw)
    if name == "lstm":
        return lstm
    return lambda *args, **kw: gru(*args, reset_after=name == "gru_reset_after", **kw)


def cell(name, x_t, states, W_x, W_a, b) -> tuple:
    """One step of the case's cell: the new states (a,) or (a, c)."""
    if name.startswith("rnn"):
        return (rnn_cell(x_t, states[0], W_x, W_a, b, activation=name[4:]),)
    if name == "lstm":
        return lstm_cell(x_t, *states, W_x, W_a, b)
    return (gru_cell(x_t, states[0], W_x, W_a, b, reset_after=name == "gru_reset_after"),)


def make(name, *, m=M, steps=T, seed=0):
    """float64 [x, W_x, W_a, b, a0] (+ c0 for lstm); weights scaled to keep gates unsaturated."""
    width = GATES[name] * N_A
    b_shape = (2, width) if name == "gru_reset_after" else (width,)
    shapes = [(m, steps, N_X), (N_X, width), (N_A, width), b_shape, (m, N_A)]
    arrays = draw(shapes + [(m, N_A)] * (name == "lstm"), seed)
    arrays[1:4] = [0.5 * a for a in arrays[1:4]]
    return arrays


def flat(outputs) -> ds.Tensor:
    """All outputs as one (m, *) tensor, so one gradcheck covers them together."""
    return F.concat([o.reshape(o.shape[0], -1) for o in outputs], axis=1)


# ---- numerical gradients --------------------------------------------------------------------
@pytest.mark.parametrize("name", GATES)
def test_gradcheck_all_outputs_and_initial_states(name):
    assert gradcheck(lambda *a: flat(seq(name)(*a)), make(name)) < GRADCHECK_TOL


@pytest.mark.parametrize("name", GATES)
def test_gradcheck_loss_on_final_states_only(name):
    # only a_T (and c_T) reach the loss: the per-step outputs' slice is not in the graph
    assert gradcheck(lambda *a: flat(seq(name)(*a)[1:]), make(name, seed=1)) < GRADCHECK_TOL


@pytest.mark.parametrize("how", ["mask", "lengths"])
@pytest.mark.parametrize("name", GATES)
def test_gradcheck_masked(name, how):
    kw = {"mask": HOLES} if how == "mask" else {"lengths": np.array([3, 1])}
    assert gradcheck(lambda *a: flat(seq(name)(*a, **kw)), make(name, seed=2)) < GRADCHECK_TOL


@pytest.mark.parametrize("name", GATES)
def test_gradcheck_cells(name):
    arrays = make(name, steps=1, seed=3)
    x, W_x, W_a, b, *states = arrays

    def fn(x_t, W_x, W_a, b, *states):
        return flat(cell(name, x_t, states, W_x, W_a, b))

    assert gradcheck(fn, [x[:, 0], W_x, W_a, b, *states]) < GRADCHECK_TOL


@pytest.mark.parametrize("name", GATES)
def test_gradcheck_batch_of_one_and_an_empty_batch(name):
    assert gradcheck(lambda *a: flat(seq(name)(*a)), make(name, m=1, seed=19)) < GRADCHECK_TOL
    tensors, outs = run_with_loss(name, make(name, m=0, seed=20), 21)
    assert [o.shape for o in outs] == [(0, T, N_A)] + [(0, N_A)] * (len(outs) - 1)
    assert [t.grad.shape for t in tensors] == [t.shape for t in tensors]


# ---- masks: a padded batch equals each sequence run alone ------------------------------------
def run_with_loss(name, arrays, seed, **kw):
    """Tensors of arrays, the op's outputs, and backward of a random projection of them all."""
    tensors = [ds.Tensor(a, requires_grad=True) for a in arrays]
    outs = seq(name)(*tensors, **kw)
    rng = np.random.default_rng(seed)
    sum(((o * rng.standard_normal(o.shape)).sum() for o in outs), ds.tensor(0.0)).backward()
    return tensors, outs


@pytest.mark.parametrize("name", GATES)
def test_masked_batch_equals_each_sequence_alone(name):
    lengths = np.array([4, 1, 3])
    arrays = make(name, m=3, seed=4)  # x holds random values at padded steps too: ignored
    rng = np.random.default_rng(5)
    d_out = rng.standard_normal((3, T, N_A))
    d_final = rng.standard_normal((3, 2, N_A))
    tensors = [ds.Tensor(a, requires_grad=True) for a in arrays]
    outs = seq(name)(*tensors, lengths=lengths)
    loss = (outs[0] * d_out).sum()
    for k, o in enumerate(outs[1:]):
        loss = loss + (o * d_final[:, k]).sum()
    loss.backward()

    weight_grads = [0.0, 0.0, 0.0]
    for i, L in enumerate(lengths):
        x, W_x, W_a, b, *states = arrays
        alone = [ds.Tensor(a, requires_grad=True)
                 for a in [x[i:i + 1, :L], W_x, W_a, b] + [s[i:i + 1] for s in states]]
        outs_i = seq(name)(*alone)
        loss_i = (outs_i[0] * d_out[i:i + 1, :L]).sum()
        for k, o in enumerate(outs_i[1:]):
            loss_i = loss_i + (o * d_final[i:i + 1, k]).sum()
        loss_i.backward()
        close(outs[0].data[i, :L], outs_i[0].data[0])
        np.testing.assert_array_equal(outs[0].data[i, L:], 0.0)  # padded outputs are 0
        for o, o_i in zip(outs[1:], outs_i[1:]):  # final states: after the last valid step
            close(o.data[i], o_i.data[0])
        close(tensors[0].grad[i, :L], alone[0].grad[0])
        np.testing.assert_array_equal(tensors[0].grad[i, L:], 0.0)
        for s, s_i in zip(tensors[4:], alone[4:]):
            close(s.grad[i], s_i.grad[0])
        weight_grads = [g + t.grad for g, t in zip(weight_grads, alone[1:4])]
    for t, g in zip(tensors[1:4], weight_grads):
        close(t.grad, g)


@pytest.mark.parametrize("name", GATES)
def test_mask_lengths_and_integer_mask_agree(name):
    arrays = make(name, m=2, seed=6)
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]])
    by_lengths = run_with_loss(name, arrays, 7, lengths=np.array([3, 2]))
    by_mask = run_with_loss(name, arrays, 7, mask=mask.astype(bool))
    by_ints = run_with_loss(name, arrays, 7, mask=mask)
    for other in (by_mask, by_ints):
        for o, p in zip(by_lengths[1], other[1]):
            close(o, p)
        for t, u in zip(by_lengths[0], other[0]):
            close(t.grad, u.grad)


@pytest.mark.parametrize("name", GATES)
def test_length_zero_keeps_the_initial_state(name):
    arrays = make(name, m=2, seed=8)
    tensors, outs = run_with_loss(name, arrays, 9, lengths=np.array([0, 4]))
    np.testing.assert_array_equal(outs[0].data[0], 0.0)
    for o, s in zip(outs[1:], arrays[4:]):
        np.testing.assert_array_equal(o.data[0], s[0])
    np.testing.assert_array_equal(tensors[0].grad[0], 0.0)


@pytest.mark.parametrize("name", GATES)
def test_empty_sequence_returns_the_initial_states(name):
    arrays = make(name, steps=0, seed=10)
    tensors, outs = run_with_loss(name, arrays, 11)
    assert outs[0].shape == (M, 0, N_A)
    for o, s, t in zip(outs[1:], arrays[4:], tensors[4:]):
        np.testing.assert_array_equal(o.data, s)
        assert t.grad.shape == (M, N_A)
    np.testing.assert_array_equal(tensors[1].grad, 0.0)


# ---- cells: stepping through time by hand equals the fused sequence op -----------------------
@pytest.mark.parametrize("name", GATES)
def test_cells_composed_over_time_equal_the_sequence_op(name):
    arrays = make(name, seed=12)
    fused, fused_outs = run_with_loss(name, arrays, 13)

    stepped = [ds.Tensor(a, requires_grad=True) for a in arrays]
    x, W_x, W_a, b, *states = stepped
    outputs = []
    for t in range(T):
        states = cell(name, x[:, t], states, W_x, W_a, b)
        outputs.append(states[0])
    outs = (F.stack(outputs, axis=1), *states)
    rng = np.random.default_rng(13)  # the same projection as run_with_loss draws
    sum(((o * rng.standard_normal(o.shape)).sum() for o in outs), ds.tensor(0.0)).backward()

    for o, p in zip(fused_outs, outs):
        close(o, p)
    for t, u in zip(fused, stepped):
        close(t.grad, u.grad)


@pytest.mark.parametrize("name", GATES)
def test_inputs_are_untouched_and_memory_order_does_not_matter(name):
    arrays = make(name, seed=22)
    fortran = [np.asfortranarray(a) for a in arrays]  # W.T contiguous: no copy made by .T
    c_order, f_order = (run_with_loss(name, a, 23, lengths=np.array([4, 2]))
                        for a in (arrays, fortran))
    for a, f in zip(arrays, fortran):
        np.testing.assert_array_equal(f, a)
    for o, p in zip(c_order[1], f_order[1]):
        close(o, p)
    for t, u in zip(c_order[0], f_order[0]):
        close(t.grad, u.grad)


def test_default_initial_states_are_zeros():
    x, W_x, W_a, b, a0, c0 = make("lstm", seed=14)
    zeros = np.zeros((M, N_A))
    for o, p in zip(lstm(x, W_x, W_a, b), lstm(x, W_x, W_a, b, zeros, zeros)):
        close(o, p)
    for o, p in zip(gru(x, W_x[:, :15], W_a[:, :15], b[:15]),
                    gru(x, W_x[:, :15], W_a[:, :15], b[:15], zeros)):
        close(o, p)


def test_backward_twice_with_retain_graph_doubles_the_gradients():
    tensors = [ds.Tensor(a, requires_grad=True) for a in make("lstm", seed=15)]
    a, a_T, c_T = lstm(*tensors)
    loss = a.sum() + (c_T * c_T).sum()
    loss.backward(retain_graph=True)
    first = [t.grad.copy() for t in tensors]
    loss.backward()
    for t, g in zip(tensors, first):
        close(t.grad, 2 * g)


def test_no_grad_gives_the_same_values():
    arrays = make("gru", seed=16)
    with ds.no_grad():
        quiet = gru(*arrays)
    for o, p in zip(quiet, gru(*[ds.Tensor(a, requires_grad=True) for a in arrays])):
        assert not o.requires_grad
        close(o, p)


# ---- the LSTM's stacked step: Z<t> = [W_a.T | W_x.T | b] [a<t-1>; x<t>; 1] ------------------
@pytest.mark.parametrize("shape", [(13, 7), (8, 24), (3, 1), (0, 5)])
def test_transpose_into_writes_the_transpose_into_a_strided_target(shape):
    src = draw([shape], seed=30)[0]
    big = np.full((shape[1], shape[0] + 3), -1.0)
    recurrent_module._transpose_into(big[:, 1:1 + shape[0]], src)
    np.testing.assert_array_equal(big[:, 1:1 + shape[0]], src.T)
    np.testing.assert_array_equal(big[:, 0], -1.0)  # nothing written outside the target
    np.testing.assert_array_equal(big[:, 1 + shape[0]:], -1.0)


def test_stacked_operands_hold_the_notes_stacked_weight_and_inputs():
    x, W_x, W_a, b, a0 = draw([(M, T, N_X), (N_X, 4 * N_A), (N_A, 4 * N_A), (4 * N_A,),
                               (M, N_A)], seed=31)
    W, XS = recurrent_module._stacked(x, W_x, W_a, b, a0, 3 * N_A, np.float64)
    K = N_A + N_X + 1
    want = np.concatenate([W_a.T, W_x.T, b[:, None]], axis=1)
    want[:3 * N_A] /= 2  # the σ gates' rows, for σ(z) = (1 + tanh(z/2)) / 2
    np.testing.assert_array_equal(W, want)
    assert XS.shape == (K, T + 1, M)  # the columns [a<t-1>; x<t>; 1] of every step
    np.testing.assert_array_equal(XS[:N_A, 0], a0.T)
    np.testing.assert_array_equal(XS[N_A:K - 1, :T], x.transpose(2, 1, 0))
    np.testing.assert_array_equal(XS[N_A:K - 1, T], 0.0)
    np.testing.assert_array_equal(XS[K - 1], 1.0)


@pytest.mark.parametrize("wanted", [(0,), (1,), (2,), (3,), (1, 3), (2, 3), (1, 2), (4, 5)])
def test_lstm_gradients_when_only_some_inputs_want_one(wanted):
    # the weights' gradients come from one GEMM over the columns of [a | x | 1] that some
    # wanted gradient needs, and the last step's recurrent product only when a0 wants one
    arrays = make("lstm", m=3, seed=32)
    lengths = np.array([4, 2, 3])
    everything, _ = run_with_loss("lstm", arrays, 33, lengths=lengths)
    some = [ds.Tensor(a, requires_grad=i in wanted) for i, a in enumerate(arrays)]
    outs = lstm(*some, lengths=lengths)
    rng = np.random.default_rng(33)  # the same projection as run_with_loss draws
    sum(((o * rng.standard_normal(o.shape)).sum() for o in outs), ds.tensor(0.0)).backward()
    for i, (t, full) in enumerate(zip(some, everything)):
        if i in wanted:
            close(t.grad, full.grad)
        else:
            assert t.grad is None


def test_two_lstm_forwards_before_one_backward():
    # each call keeps its own buffers: the first call's backward is not disturbed by the second
    first, second = make("lstm", seed=34), make("lstm", seed=35)
    alone = [run_with_loss("lstm", arrays, 36)[0] for arrays in (first, second)]
    tensors = [[ds.Tensor(a, requires_grad=True) for a in arrays] for arrays in (first, second)]
    outs = [lstm(*ts) for ts in tensors]  # both forwards, then one backward through both
    loss = ds.tensor(0.0)
    for o in outs:
        rng = np.random.default_rng(36)
        loss = loss + sum(((p * rng.standard_normal(p.shape)).sum() for p in o), ds.tensor(0.0))
    loss.backward()
    for ts, ref in zip(tensors, alone):
        for t, r in zip(ts, ref):
            close(t.grad, r.grad)


# ---- errors ---------------------------------------------------------------------------------
X, WX4, WA4, B4, S0 = draw([(2, 4, 3), (3, 20), (5, 20), (20,), (2, 5)], seed=17)
ERRORS = {
    "x_2d": (lambda: lstm(X[:, 0], WX4, WA4, B4),
             r"lstm: x should have shape \(m, T, n_x\), got \(2, 3\)"),
    "W_a": (lambda: lstm(X, WX4, WA4[:, :15], B4),
            r"lstm: W_a should have shape \(n_a, 4\*n_a\), got \(5, 15\)"),
    "W_x": (lambda: lstm(X, np.zeros((4, 20)), WA4, B4),
            r"lstm: W_x should have shape \(3, 20\) to match x \(2, 4, 3\) and W_a \(5, 20\), "
            r"got \(4, 20\)"),
    "b": (lambda: lstm(X, WX4, WA4, B4[:15]),
          r"lstm: b should have shape \(20,\) to match W_a \(5, 20\), got \(15,\)"),
    "a0": (lambda: lstm(X, WX4, WA4, B4, S0[:1]),
           r"lstm: a0 should have shape \(2, 5\) to match x \(2, 4, 3\) and W_a \(5, 20\), "
           r"got \(1, 5\)"),
    "c0": (lambda: lstm(X, WX4, WA4, B4, S0, S0[:, :4]),
           r"lstm: c0 should have shape \(2, 5\) .* got \(2, 4\)"),
    "rnn_W_a": (lambda: rnn(X, WX4[:, :5], WA4[:, :4], B4[:5]),
                r"rnn: W_a should have shape \(n_a, 1\*n_a\), got \(5, 4\)"),
    "gru_reset_after_b": (lambda: gru(X, WX4[:, :15], WA4[:, :15], B4[:15], reset_after=True),
                          r"gru: b should have shape \(2, 15\) to match W_a \(5, 15\), "
                          r"got \(15,\)"),
    "activation": (lambda: rnn(X, WX4[:, :5], WA4[:, :5], B4[:5], activation="sigmoid"),
                   r"rnn: activation should be one of \('tanh', 'relu'\), got 'sigmoid'"),
    "mask_shape": (lambda: lstm(X, WX4, WA4, B4, mask=np.ones((2, 3), bool)),
                   r"lstm: mask should have shape \(2, 4\) to match x \(2, 4, 3\), got \(2, 3\)"),
    "lengths_range": (lambda: gru(X, WX4[:, :15], WA4[:, :15], B4[:15], lengths=[5, 1]),
                      r"gru: lengths should be in \[0, 4\], got values in \[1, 5\]"),
    "lengths_shape": (lambda: rnn(X, WX4[:, :5], WA4[:, :5], B4[:5], lengths=[4]),
                      r"rnn: lengths should have shape \(2,\) to match x \(2, 4, 3\), got \(1,\)"),
    "mask_and_lengths": (lambda: lstm(X, WX4, WA4, B4, mask=np.ones((2, 4), bool), lengths=[4, 4]),
                         r"lstm: give mask or lengths, not both"),
    "cell_x_t": (lambda: lstm_cell(X, S0, S0, WX4, WA4, B4),
                 r"lstm_cell: x_t should have shape \(m, n_x\), got \(2, 4, 3\)"),
    "cell_W_x": (lambda: gru_cell(X[:, 0], S0, WX4[:2, :15], WA4[:, :15], B4[:15]),
                 r"gru_cell: W_x should have shape \(3, 15\) to match x \(2, 1, 3\) and W_a "
                 r"\(5, 15\), got \(2, 15\)"),
    "rnn_cell_a_prev": (lambda: rnn_cell(X[:, 0], S0[:, :4], WX4[:, :5], WA4[:, :5], B4[:5]),
                        r"rnn_cell: a0 should have shape \(2, 5\) .* got \(2, 4\)"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_bad_shapes_raise_naming_the_op_and_shapes(name):
    fn, match = ERRORS[name]
    with pytest.raises(ValueError, match=match):
        fn()


def test_bad_mask_values_and_lengths_dtype_raise_type_errors():
    with pytest.raises(TypeError, match=r"lstm: mask should be booleans \(or 0/1\)"):
        lstm(X, WX4, WA4, B4, mask=np.full((2, 4), 2))
    with pytest.raises(TypeError, match=r"lstm: lengths should be integers, got dtype float64"):
        lstm(X, WX4, WA4, B4, lengths=np.array([1.0, 2.0]))


# ---- float32 ----------------------------------------------------------------------------------
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("name", GATES)
def test_float32_keeps_dtype(name, masked):
    tensors = [ds.Tensor(a.astype(np.float32), requires_grad=True) for a in make(name, seed=18)]
    outs = seq(name)(*tensors, mask=HOLES if masked else None)
    loss = sum((o.sum() for o in outs), ds.tensor(0.0))
    assert all(o.dtype == np.float32 and np.all(np.isfinite(o.data)) for o in outs)
    loss.backward()
    for i, t in enumerate(tensors):
        assert t.grad.dtype == np.float32, f"input {i} grad dtype {t.grad.dtype}"
        assert np.all(np.isfinite(t.grad))
    float64 = seq(name)(*make(name, seed=18), mask=HOLES if masked else None)
    for o, p in zip(outs, float64):
        close(o, p.data.astype(np.float32), rtol=1e-5, atol=1e-6)


def test_the_library_never_imports_torch():  # torch is a test-only dependency
    code = "import sys, deepspec.ops.recurrent; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
