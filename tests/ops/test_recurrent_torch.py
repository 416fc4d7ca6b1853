"""ops/recurrent.py against PyTorch, float64, forward and backward.

torch.nn.RNN (tanh, relu), torch.nn.LSTM and torch.nn.GRU, with their weights mapped to ours
explicitly: single layer, bidirectional (ours run on the reversed sequence), two layers
(two calls composed), and variable lengths (torch's packed sequences against our lengths).
The notes' GRU (reset gate before the matmul) and LSTM against their equations written out in
torch, in the notes' own [a<t-1>, x<t>] layout. The LSTM as a language model trains it
(float32, inputs and initial states wanting no gradient), against torch.nn.LSTM.
"""

import numpy as np
import pytest
import torch  # test-only dependency; no importorskip

import deepspec as ds
from conftest import ATOL32, RTOL32, close
from deepspec import F
from deepspec.ops.recurrent import gru, lstm, rnn

T, N_X, N_A = 4, 3, 5
PACK = torch.nn.utils.rnn
# torch's gate blocks -> ours, as (block order, block signs); both maps are their own inverse
#   LSTM (i, f, g, o) -> (u, f, o, c~): swap the last two blocks
#   GRU (r, z, n) -> (r, u, c~): z = 1 - Γu = σ(-s_u), so the z block changes sign
REGATE = {"rnn_tanh": ([0], [1]), "rnn_relu": ([0], [1]),
          "lstm": ([0, 1, 3, 2], [1, 1, 1, 1]), "gru": ([0, 1, 2], [1, -1, 1])}
MODULES = {"rnn_tanh": lambda *a, **kw: torch.nn.RNN(*a, nonlinearity="tanh", **kw),
           "rnn_relu": lambda *a, **kw: torch.nn.RNN(*a, nonlinearity="relu", **kw),
           "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def regate(kind, a):
    """Reorder and re-sign the gate blocks on axis 0 (torch's (G*n_a, ...) layout)."""
    order, signs = REGATE[kind]
    blocks = np.split(np.asarray(a), len(order))
    return np.concatenate([signs[i] * blocks[i] for i in order])


def ours_weights(kind, module, suffix):
    """[W_x, W_a, b] Tensors from torch's weight_ih, weight_hh, bias_ih, bias_hh."""
    W_ih, W_hh, b_ih, b_hh = (getattr(module, f"{name}_{suffix}").detach().numpy()
                              for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    if kind == "gru":  # reset_after: the input and recurrent biases stay apart
        b = np.stack([regate(kind, b_ih), regate(kind, b_hh)])
    else:
        b = regate(kind, b_ih + b_hh)
    return [ds.Tensor(a, requires_grad=True)
            for a in (regate(kind, W_ih).T.copy(), regate(kind, W_hh).T.copy(), b)]


def check_weight_grads(kind, module, suffix, W_x, W_a, b):
    def grad(name):
        return getattr(module, f"{name}_{suffix}").grad
    close(regate(kind, W_x.grad.T), grad("weight_ih"))
    close(regate(kind, W_a.grad.T), grad("weight_hh"))
    db_ih, db_hh = (b.grad[0], b.grad[1]) if kind == "gru" else (b.grad, b.grad)
    close(regate(kind, db_ih), grad("bias_ih"))
    close(regate(kind, db_hh), grad("bias_hh"))


def seq(kind):
    if kind.startswith("rnn"):
        return lambda *a, **kw: rnn(*a, activation=kind[4:], **kw)
    return lstm if kind == "lstm" else lambda *a, **kw: gru(*a, reset_after=True, **kw)


def reverse(x, lengths):
    """Each example's valid steps in reverse order (padding stays at the end)."""
    if lengths is None:
        return x[:, ::-1]
    steps = np.arange(x.shape[1])
    index = np.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)
    return x[np.arange(x.shape[0])[:, None], index]


CONFIGS = {  # (num_layers, bidirectional, lengths)
    "one_layer": (1, False, None),
    "bidirectional": (1, True, None),
    "two_layers": (2, False, None),
    "packed": (1, False, np.array([4, 2, 1])),
    "packed_bidirectional_two_layers": (2, True, np.array([2, 4, 3])),
}


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("kind", MODULES)
def test_matches_torch_module(kind, config):
    num_layers, bidirectional, lengths = CONFIGS[config]
    D, m, has_c = 2 if bidirectional else 1, 3, kind == "lstm"
    torch.manual_seed(0)
    module = MODULES[kind](N_X, N_A, num_layers=num_layers, bidirectional=bidirectional,
                           batch_first=True, dtype=torch.float64)
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.from_numpy(0.5 * rng.standard_normal(tuple(p.shape))))
    x = rng.standard_normal((m, T, N_X))
    initial = [rng.standard_normal((num_layers * D, m, N_A)) for _ in range(1 + has_c)]
    d_out = rng.standard_normal((m, T, D * N_A))
    d_final = [rng.standard_normal((num_layers * D, m, N_A)) for _ in range(1 + has_c)]

    # torch
    x_t = torch.tensor(x, requires_grad=True)
    init_t = [torch.tensor(s, requires_grad=True) for s in initial]
    inp = x_t if lengths is None else PACK.pack_padded_sequence(
        x_t, torch.from_numpy(lengths), batch_first=True, enforce_sorted=False)
    out_t, final_t = module(inp, tuple(init_t) if has_c else init_t[0])
    if lengths is not None:
        out_t = PACK.pad_packed_sequence(out_t, batch_first=True, total_length=T)[0]
    final_t = list(final_t) if has_c else [final_t]
    loss_t = (out_t * torch.from_numpy(d_out)).sum()
    loss_t = loss_t + sum((f * torch.from_numpy(d)).sum() for f, d in zip(final_t, d_final))
    loss_t.backward()

    # ours: one call per layer and direction, composed
    x_o = ds.Tensor(x, requires_grad=True)
    init_o = [ds.Tensor(s, requires_grad=True) for s in initial]
    weights, finals, layer_in = {}, [[] for _ in initial], x_o
    for layer in range(num_layers):
        outputs = []
        for d in range(D):
            suffix = f"l{layer}" + ("_reverse" if d else "")
            weights[suffix] = ours_weights(kind, module, suffix)
            states = [s[layer * D + d] for s in init_o]
            inp = layer_in if d == 0 else reverse(layer_in, lengths)
            a, *final = seq(kind)(inp, *weights[suffix], *states, lengths=lengths)
            outputs.append(a if d == 0 else reverse(a, lengths))
            for acc, f in zip(finals, final):
                acc.append(f)
        layer_in = outputs[0] if D == 1 else F.concat(outputs, axis=-1)
    finals = [F.stack(f) for f in finals]
    loss = (layer_in * d_out).sum()
    for f, d in zip(finals, d_final):
        loss = loss + (f * d).sum()
    loss.backward()

    close(layer_in, out_t)
    for f, f_t in zip(finals, final_t):
        close(f, f_t)
    close(x_o.grad, x_t.grad)
    for s, s_t in zip(init_o, init_t):
        close(s.grad, s_t.grad)
    for suffix, (W_x, W_a, b) in weights.items():
        check_weight_grads(kind, module, suffix, W_x, W_a, b)


# ---- the notes' equations, written out in torch in the notes' layout --------------------------
def notes_gru_torch(x, a, W_u, W_r, W_c, b_u, b_r, b_c, mask=None):
    """notes §5.1.4, full GRU: Γ = σ(W [c<t-1>, x<t>] + b), reset before the W_c product."""
    outputs = []
    for t in range(x.shape[1]):
        x_t = x[:, t]
        both = torch.cat([a, x_t], dim=1)
        gamma_u = torch.sigmoid(both @ W_u.T + b_u)
        gamma_r = torch.sigmoid(both @ W_r.T + b_r)
        c_tilde = torch.tanh(torch.cat([gamma_r * a, x_t], dim=1) @ W_c.T + b_c)
        new = gamma_u * c_tilde + (1 - gamma_u) * a
        keep = torch.ones(len(a), 1, dtype=torch.bool) if mask is None else mask[:, t, None]
        outputs.append(torch.where(keep, new, 0.0))
        a = torch.where(keep, new, a)
    return torch.stack(outputs, dim=1), a


def notes_lstm_torch(x, a, c, W_u, W_f, W_o, W_c, b_u, b_f, b_o, b_c, mask=None):
    """notes §5.1.5: c = Γu * c~ + Γf * c<t-1>, a = Γo * tanh(c)."""
    outputs = []
    for t in range(x.shape[1]):
        both = torch.cat([a, x[:, t]], dim=1)
        gamma_u, gamma_f, gamma_o = (torch.sigmoid(both @ W.T + b_)
                                     for W, b_ in ((W_u, b_u), (W_f, b_f), (W_o, b_o)))
        c_new = gamma_u * torch.tanh(both @ W_c.T + b_c) + gamma_f * c
        new = gamma_o * torch.tanh(c_new)
        keep = torch.ones(len(a), 1, dtype=torch.bool) if mask is None else mask[:, t, None]
        outputs.append(torch.where(keep, new, 0.0))
        a, c = torch.where(keep, new, a), torch.where(keep, c_new, c)
    return torch.stack(outputs, dim=1), a, c


NOTES = {  # name: (torch function, gate order as in our blocks, number of initial states)
    "gru": (notes_gru_torch, ("r", "u", "c"), 1),
    "lstm": (notes_lstm_torch, ("u", "f", "o", "c"), 2),
}


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("name", NOTES)
def test_notes_equations_written_in_torch(name, masked):
    torch_fn, gates, n_states = NOTES[name]
    rng = np.random.default_rng(1)
    m = 3
    # the notes' per-gate W (n_a, n_a + n_x) acting on [a<t-1>, x<t>], and b (n_a,)
    W = {g: 0.5 * rng.standard_normal((N_A, N_A + N_X)) for g in gates}
    b = {g: 0.5 * rng.standard_normal(N_A) for g in gates}
    x = rng.standard_normal((m, T, N_X))
    states = [rng.standard_normal((m, N_A)) for _ in range(n_states)]
    lengths = np.array([4, 1, 3]) if masked else None
    rng_out = np.random.default_rng(2)
    d_outs = [rng_out.standard_normal((m, T, N_A))] + [rng_out.standard_normal((m, N_A))
                                                       for _ in range(n_states)]

    # ours: the same weights in our layout, W_a[:, g] = W_g[:, :n_a].T, W_x[:, g] = W_g[:, n_a:].T
    W_x = ds.Tensor(np.concatenate([W[g][:, N_A:].T for g in gates], axis=1), requires_grad=True)
    W_a = ds.Tensor(np.concatenate([W[g][:, :N_A].T for g in gates], axis=1), requires_grad=True)
    b_o = ds.Tensor(np.concatenate([b[g] for g in gates]), requires_grad=True)
    x_o = ds.Tensor(x, requires_grad=True)
    states_o = [ds.Tensor(s, requires_grad=True) for s in states]
    outs = (lstm if name == "lstm" else gru)(x_o, W_x, W_a, b_o, *states_o, lengths=lengths)
    sum(((o * d).sum() for o, d in zip(outs, d_outs)), ds.tensor(0.0)).backward()

    W_t = {g: torch.tensor(W[g], requires_grad=True) for g in gates}
    b_t = {g: torch.tensor(b[g], requires_grad=True) for g in gates}
    x_t = torch.tensor(x, requires_grad=True)
    states_t = [torch.tensor(s, requires_grad=True) for s in states]
    order = ("u", "r", "c") if name == "gru" else ("u", "f", "o", "c")  # the functions' order
    mask = None if lengths is None else torch.from_numpy(np.arange(T) < lengths[:, None])
    outs_t = torch_fn(x_t, *states_t, *[W_t[g] for g in order], *[b_t[g] for g in order],
                      mask=mask)
    sum((o * torch.from_numpy(d)).sum() for o, d in zip(outs_t, d_outs)).backward()

    for o, o_t in zip(outs, outs_t):
        close(o, o_t)
    close(x_o.grad, x_t.grad)
    for s, s_t in zip(states_o, states_t):
        close(s.grad, s_t.grad)
    for i, g in enumerate(gates):
        block = slice(i * N_A, (i + 1) * N_A)
        close(np.concatenate([W_a.grad[:, block].T, W_x.grad[:, block].T], axis=1), W_t[g].grad)
        close(b_o.grad[block], b_t[g].grad)


# ---- the training configuration: float32, only the weights want gradients ---------------------
@pytest.mark.parametrize("masked", [False, True])
def test_lstm_float32_training_configuration_matches_torch(masked):
    # sizes that are not multiples of the 8-row blocks in which the weights are transposed
    m, steps, n_x, n_a = 6, 7, 11, 20
    torch.manual_seed(1)
    module = torch.nn.LSTM(n_x, n_a, batch_first=True)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((m, steps, n_x)).astype(np.float32)
    d_out = rng.standard_normal((m, steps, n_a)).astype(np.float32)
    lengths = np.array([7, 3, 5, 1, 7, 6]) if masked else None

    x_t = torch.from_numpy(x)
    inp = x_t if lengths is None else PACK.pack_padded_sequence(
        x_t, torch.from_numpy(lengths), batch_first=True, enforce_sorted=False)
    out_t = module(inp)[0]
    if lengths is not None:
        out_t = PACK.pad_packed_sequence(out_t, batch_first=True, total_length=steps)[0]
    (out_t * torch.from_numpy(d_out)).sum().backward()

    W_x, W_a, b = ours_weights("lstm", module, "l0")
    a = lstm(x, W_x, W_a, b, lengths=lengths)[0]  # x and the zero states want no gradient
    (a * d_out).sum().backward()

    assert a.dtype == np.float32 and W_a.grad.dtype == np.float32
    close(a, out_t, rtol=RTOL32, atol=ATOL32)
    for ours, name in ((W_x.grad.T, "weight_ih"), (W_a.grad.T, "weight_hh"), (b.grad, "bias_ih")):
        close(regate("lstm", ours), getattr(module, f"{name}_l0").grad, rtol=1e-4, atol=1e-5)
