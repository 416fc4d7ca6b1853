"""The assignments' RNN and LSTM, step by step, column-major.   notes §5.1.2 (RNN), §5.1.5 (LSTM)

Course 5, week 1, "Building your Recurrent Neural Network - Step by Step", in its layout:
x (n_x, m, T_x), a (n_a, m, T_x), y (n_y, m, T_x), parameter dicts, its caches and gradient
dicts. They are thin wrappers: the math is the whole-sequence ``RNN`` and ``LSTM`` Functions
of ``deepspec.ops.recurrent`` (batch-first, gate blocks side by side), run on the transposed
arrays; a cell is a sequence of one step. The output layer softmax(Wy a + by) is ``Linear``
then ``Softmax``. The notes' weights map to the library's stacked ones as

    RNN   Wax (n_a, n_x), Waa (n_a, n_a), ba  ->  W_x = Wax.T, W_a = Waa.T, b = ba.ravel()
    LSTM  Wg = [Wg_a | Wg_x] (n_a, n_a + n_x) acting on [a<t-1>; x<t>], g = i, f, o, c
          ->  W_a = [Wi_a; Wf_a; Wo_a; Wc_a].T, W_x = [Wi_x; Wf_x; Wo_x; Wc_x].T,
              b = [bi; bf; bo; bc].ravel()   (the library's gate blocks u, f, o, c~; Γu = i)

Gradients are sums over the m examples (no 1/m), as in the assignment. ``rnn_backward`` and
``lstm_backward`` take da (n_a, m, T_x), the gradient on every hidden state a<t> from outside
the recurrence (from the outputs); BPTT adds what flows back from step t+1. That is one
backward pass of the whole-sequence Function, kept in the caches as ``caches.fn``.
"""

from __future__ import annotations

from ..backend import xp
from ..ops.activations import Softmax
from ..ops.basic import Linear
from ..ops.recurrent import LSTM, RNN
from .activations import as_float

RNN_KEYS = ("Wax", "Waa", "Wya", "ba", "by")
LSTM_KEYS = ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo", "Wy", "by")
GATES = "ifoc"  # the notes' gates in the library's block order (u, f, o, c~)


class Cache(tuple):
    """An assignment's cache tuple; ``.fn`` is the recurrent Function that computed it (None:
    backward runs the forward pass again from the tuple's items, for hand-made caches)."""

    def __new__(cls, items, fn=None):
        cache = super().__new__(cls, items)
        cache.fn = fn
        return cache

    def __getnewargs__(self):  # so copy.deepcopy and pickle rebuild it
        return (tuple(self), self.fn)


# ---- checks ---------------------------------------------------------------------------------
def _shape_text(shape) -> str:
    return "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"


def _expect(op: str, name: str, array, want: tuple, why: str | None = None) -> None:
    """ValueError unless ``array`` has shape ``want`` (None = any size); ``why`` names the
    shapes it has to match."""
    got = tuple(xp.shape(array))
    if len(got) != len(want) or any(w is not None and g != w for g, w in zip(got, want)):
        match = f" to match {why}" if why else ""
        raise ValueError(f"{op}: {name} should have shape {_shape_text(want)}{match}, "
                         f"got {got}")


def _parameters(op: str, parameters, keys) -> dict:
    """The arrays of ``parameters[key]`` for every key, as floats."""
    if not isinstance(parameters, dict):
        raise TypeError(f"{op}: parameters should be a dict, got {type(parameters).__name__}")
    missing = [k for k in keys if k not in parameters]
    if missing:
        raise ValueError(f"{op}: parameters should hold {list(keys)}, missing {missing}")
    return {k: as_float(parameters[k]) for k in keys}


def _rnn_parameters(op: str, parameters) -> dict:
    p = _parameters(op, parameters, RNN_KEYS)
    Waa, Wya = p["Waa"], p["Wya"]
    if Waa.ndim != 2 or Waa.shape[0] != Waa.shape[1]:
        raise ValueError(f"{op}: Waa should have shape (n_a, n_a), got {Waa.shape}")
    n_a, why = Waa.shape[0], f"Waa {Waa.shape}"
    _expect(op, "Wax", p["Wax"], (n_a, None), why)
    _expect(op, "ba", p["ba"], (n_a, 1), why)
    _expect(op, "Wya", Wya, (None, n_a), why)
    _expect(op, "by", p["by"], (Wya.shape[0], 1), f"Wya {Wya.shape}")
    return p


def _lstm_parameters(op: str, parameters, x, name: str) -> dict:
    """The LSTM's parameters, checked against Wy (n_y, n_a) and x's n_x (x checked first)."""
    steps = name == "x"
    _expect(op, name, x, (None, None, None) if steps else (None, None))
    p = _parameters(op, parameters, LSTM_KEYS)
    Wy, n_x = p["Wy"], xp.shape(x)[0]
    if Wy.ndim != 2:
        raise ValueError(f"{op}: Wy should have shape (n_y, n_a), got {Wy.shape}")
    (n_y, n_a), why = Wy.shape, f"Wy {Wy.shape} and {name} {xp.shape(x)}"
    for g in GATES:
        _expect(op, f"W{g}", p[f"W{g}"], (n_a, n_a + n_x), why)
        _expect(op, f"b{g}", p[f"b{g}"], (n_a, 1), f"Wy {Wy.shape}")
    _expect(op, "by", p["by"], (n_y, 1), f"Wy {Wy.shape}")
    return p


def _inputs(op: str, x, states, n_x: int, n_a: int, why: str, steps: bool):
    """x (n_x, m) or (n_x, m, T_x) and every state (n_a, m), as floats, after the checks."""
    x = as_float(x)
    name = "x" if steps else "xt"
    _expect(op, name, x, (n_x, None, None) if steps else (n_x, None), why)
    out = [x]
    for state_name, s in states:
        s = as_float(s)
        _expect(op, state_name, s, (n_a, x.shape[1]), f"{why} and {name} {x.shape}")
        out.append(s)
    return out


# ---- the library's arrays -------------------------------------------------------------------
def _rnn_weights(p: dict):
    """(W_x, W_a, b) of the RNN Function."""
    return p["Wax"].T, p["Waa"].T, p["ba"].reshape(-1)


def _lstm_weights(p: dict):
    """(W_x, W_a, b) of the LSTM Function: the notes' gates stacked in block order i f o c."""
    n_a = p["Wy"].shape[1]
    W_a = xp.concatenate([p[f"W{g}"][:, :n_a] for g in GATES]).T
    W_x = xp.concatenate([p[f"W{g}"][:, n_a:] for g in GATES]).T
    return W_x, W_a, xp.concatenate([p[f"b{g}"] for g in GATES]).reshape(-1)


def _gate_gradients(dW_x, dW_a, db, n_a: int) -> dict:
    """dWg (n_a, n_a + n_x) = [dWg_a | dWg_x] and dbg (n_a, 1) from the stacked gradients."""
    grads = {}
    for k, g in enumerate(GATES):
        block = slice(k * n_a, (k + 1) * n_a)
        grads[f"dW{g}"] = xp.concatenate([dW_a[:, block].T, dW_x[:, block].T], axis=1)
        grads[f"db{g}"] = db[block].reshape(-1, 1)
    return grads


def _run(kind, x, a0, c0, weights):
    """The RNN or LSTM Function on notes-layout x (n_x, m, T) and states (n_a, m), ready for
    backward; returns (fn, Y), Y batch-first (m, T + 1 (+ 1), n_a)."""
    fn = kind()
    states = (a0.T,) if kind is RNN else (a0.T, c0.T)
    fn.needs_grad = (True,) * (4 + len(states))
    settings = {"activation": "tanh"} if kind is RNN else {}
    Y = fn.forward(x.transpose(1, 2, 0), *weights, *states, mask=None, **settings)
    return fn, Y


def _output_layer(a, Wy, by):
    """softmax(Wy a + by) over the classes, for batch-first a (..., n_a): Linear, Softmax."""
    return Softmax().forward(Linear().forward(a, Wy, by.reshape(-1)), axis=-1)


def _columns(A):
    """(m, T, n) batch-first -> (n, m, T), the notes' layout."""
    return xp.ascontiguousarray(A.transpose(2, 0, 1))


# ---- forward --------------------------------------------------------------------------------
def rnn_cell_forward(xt, a_prev, parameters: dict):
    """a<t> = tanh(Waa a<t-1> + Wax x<t> + ba),  y<t> = softmax(Wya a<t> + by).   notes §5.1.2

    Shapes: xt (n_x, m), a_prev (n_a, m), Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a),
    ba (n_a, 1), by (n_y, 1). Returns (a_next, yt_pred, cache = (a_next, a_prev, xt,
    parameters)).
    """
    op = "rnn_cell_forward"
    p = _rnn_parameters(op, parameters)
    Wax = p["Wax"]
    xt, a_prev = _inputs(op, xt, [("a_prev", a_prev)], Wax.shape[1], Wax.shape[0],
                         f"Wax {Wax.shape}", steps=False)
    fn, Y = _run(RNN, xt[:, :, None], a_prev, None, _rnn_weights(p))
    a_next = xp.ascontiguousarray(Y[:, 0].T)
    yt_pred = _output_layer(Y[:, 0], p["Wya"], p["by"]).T
    return a_next, yt_pred, Cache((a_next, a_prev, xt, parameters), fn)


def rnn_forward(x, a0, parameters: dict):
    """rnn_cell_forward over t = 1..T_x, a<0> = a0.   notes §5.1.2

    Shapes: x (n_x, m, T_x), a0 (n_a, m) -> a (n_a, m, T_x), y_pred (n_y, m, T_x).
    Returns (a, y_pred, caches = (one rnn_cell_forward cache per step, x)).
    """
    op = "rnn_forward"
    p = _rnn_parameters(op, parameters)
    Wax = p["Wax"]
    x, a0 = _inputs(op, x, [("a0", a0)], Wax.shape[1], Wax.shape[0], f"Wax {Wax.shape}",
                    steps=True)
    fn, Y = _run(RNN, x, a0, None, _rnn_weights(p))
    T_x = x.shape[2]
    a = _columns(Y[:, :T_x])
    y_pred = _columns(_output_layer(Y[:, :T_x], p["Wya"], p["by"]))
    steps = [Cache((a[:, :, t], a[:, :, t - 1] if t else a0, x[:, :, t], parameters))
             for t in range(T_x)]
    return a, y_pred, Cache((steps, x), fn)


def lstm_cell_forward(xt, a_prev, c_prev, parameters: dict):
    """One LSTM step.   notes §5.1.5

        ft, it, ot = σ(Wg [a<t-1>; x<t>] + bg),  cct = tanh(Wc [a<t-1>; x<t>] + bc)
        c_next = ft * c_prev + it * cct,  a_next = ot * tanh(c_next),  yt = softmax(Wy a + by)

    Shapes: xt (n_x, m), a_prev, c_prev (n_a, m), Wf, Wi, Wc, Wo (n_a, n_a + n_x), bf, bi,
    bc, bo (n_a, 1), Wy (n_y, n_a), by (n_y, 1). Returns (a_next, c_next, yt_pred, cache =
    (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)).
    """
    op = "lstm_cell_forward"
    p = _lstm_parameters(op, parameters, xt, "xt")
    Wy = p["Wy"]
    xt, a_prev, c_prev = _inputs(op, xt, [("a_prev", a_prev), ("c_prev", c_prev)], xt.shape[0],
                                 Wy.shape[1], f"Wy {Wy.shape}", steps=False)
    fn, Y = _run(LSTM, xt[:, :, None], a_prev, c_prev, _lstm_weights(p))
    a_next, c_next = xp.ascontiguousarray(Y[:, 0].T), xp.ascontiguousarray(Y[:, 2].T)
    it, ft, ot, cct = _gates(fn, 0)
    yt_pred = _output_layer(Y[:, 0], Wy, p["by"]).T
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, Cache(cache, fn)


def _gates(fn: LSTM, t: int):
    """(it, ft, ot, cct) of step t, copied from the gates the LSTM Function keeps (Gam)."""
    return tuple(fn.Gam[t].reshape(4, -1, fn.Gam.shape[2]).copy())


def lstm_forward(x, a0, parameters: dict):
    """lstm_cell_forward over t = 1..T_x, a<0> = a0, c<0> = 0.   notes §5.1.5

    Shapes: x (n_x, m, T_x), a0 (n_a, m) -> a, c (n_a, m, T_x), y (n_y, m, T_x).
    Returns (a, y, c, caches = (one lstm_cell_forward cache per step, x)).
    """
    op = "lstm_forward"
    p = _lstm_parameters(op, parameters, x, "x")
    Wy = p["Wy"]
    x, a0 = _inputs(op, x, [("a0", a0)], xp.shape(x)[0], Wy.shape[1], f"Wy {Wy.shape}",
                    steps=True)
    c0 = xp.zeros_like(a0)
    fn, Y = _run(LSTM, x, a0, c0, _lstm_weights(p))
    T_x = x.shape[2]
    a = _columns(Y[:, :T_x])
    c = xp.ascontiguousarray(fn.C[1:].transpose(1, 2, 0))  # every step's cell, kept by fn
    y = _columns(_output_layer(Y[:, :T_x], Wy, p["by"]))
    steps = []
    for t in range(T_x):
        it, ft, ot, cct = _gates(fn, t)
        a_prev, c_prev = (a[:, :, t - 1], c[:, :, t - 1]) if t else (a0, c0)
        steps.append(Cache((a[:, :, t], c[:, :, t], a_prev, c_prev, ft, it, cct, ot,
                            x[:, :, t], parameters)))
    return a, y, c, Cache((steps, x), fn)


# ---- backward -------------------------------------------------------------------------------
def _step_function(op: str, cache, kind):
    """The one-step Function of a cell cache: its own, or one run again from its items."""
    size = 4 if kind is RNN else 10
    if not isinstance(cache, tuple) or len(cache) != size:
        forward = "rnn_cell_forward" if kind is RNN else "lstm_cell_forward"
        raise ValueError(f"{op}: cache should be the {size}-tuple from {forward}")
    fn = getattr(cache, "fn", None)
    if fn is not None:
        return fn
    if kind is RNN:
        _, a_prev, xt, parameters = cache
        return rnn_cell_forward(xt, a_prev, parameters)[2].fn
    _, _, a_prev, c_prev, *_, xt, parameters = cache
    return lstm_cell_forward(xt, a_prev, c_prev, parameters)[3].fn


def _sequence_function(op: str, caches, kind):
    """The whole-sequence Function of ``caches = (step caches, x)``: its own, or one run again
    from the first step's a_prev (c_prev), parameters and x."""
    forward = "rnn_forward" if kind is RNN else "lstm_forward"
    if not isinstance(caches, tuple) or len(caches) != 2:
        raise ValueError(f"{op}: caches should be the pair (caches, x) from {forward}")
    fn = getattr(caches, "fn", None)
    if fn is not None:
        return fn
    steps, x = caches
    if not steps:
        raise ValueError(f"{op}: caches should hold one cache per step, got none")
    _step_function(op, steps[0], kind)  # checks the cache's form
    if kind is RNN:
        _, a0, _, parameters = steps[0]
        return rnn_forward(x, a0, parameters)[2].fn
    _, _, a0, c0, *_, parameters = steps[0]
    p = _lstm_parameters(op, parameters, x, "x")
    x, a0, c0 = _inputs(op, x, [("a0", a0), ("c0", c0)], xp.shape(x)[0], p["Wy"].shape[1],
                        f"Wy {p['Wy'].shape}", steps=True)
    return _run(LSTM, x, a0, c0, _lstm_weights(p))[0]


def _upstream(op: str, name: str, grad, fn, slots: int, where: dict, steps: bool):
    """dY (m, T + slots, n_a) for fn.backward: ``grad`` (the notes' (n_a, m[, T])) on the
    outputs a<1..T>, and ``where`` {slot: (name, (n_a, m) gradient)} on the final states."""
    T, m, n_a = fn.x.shape[1], fn.x.shape[0], fn.W_a.shape[0]
    grad = as_float(grad)
    want = (n_a, m, T) if steps else (n_a, m)
    _expect(op, name, grad, want, f"the cache's a {want}")
    dY = xp.zeros((m, T + slots, n_a), dtype=xp.result_type(grad, fn.W_a.dtype))
    dY[:, :T] = grad.transpose(1, 2, 0) if steps else grad.T[:, None]
    for slot, (state_name, g) in where.items():
        g = as_float(g)
        _expect(op, state_name, g, (n_a, m), f"the cache's a {(n_a, m)}")
        dY[:, T + slot] = g.T
    return dY


def rnn_cell_backward(da_next, cache) -> dict:
    """Gradients of one RNN step from da_next, the gradient on a_next.   notes §5.1.2

        dtanh = (1 - a_next^2) * da_next,  dxt = Wax^T dtanh,  da_prev = Waa^T dtanh,
        dWax = dtanh xt^T,  dWaa = dtanh a_prev^T,  dba = sum(dtanh, axis=1)

    Returns {"dxt", "da_prev", "dWax", "dWaa", "dba"}.
    """
    op = "rnn_cell_backward"
    fn = _step_function(op, cache, RNN)
    dx, dW_x, dW_a, db, da0 = fn.backward(_upstream(op, "da_next", da_next, fn, 1, {}, False))
    return {"dxt": dx[:, 0].T, "da_prev": da0.T, "dWax": dW_x.T, "dWaa": dW_a.T,
            "dba": db.reshape(-1, 1)}


def rnn_backward(da, caches) -> dict:
    """Backpropagation through time for rnn_forward.   notes §5.1.2

    ``da`` (n_a, m, T_x): the gradient on every a<t> from outside the recurrence; going back,
    rnn_cell_backward(da[:, :, t] + da_prev<t+1>, caches[t]), summing the weight gradients.
    Returns {"dx" (n_x, m, T_x), "da0" (n_a, m), "dWax", "dWaa", "dba"}.
    """
    op = "rnn_backward"
    fn = _sequence_function(op, caches, RNN)
    dx, dW_x, dW_a, db, da0 = fn.backward(_upstream(op, "da", da, fn, 1, {}, True))
    return {"dx": _columns(dx), "da0": da0.T, "dWax": dW_x.T, "dWaa": dW_a.T,
            "dba": db.reshape(-1, 1)}


def lstm_cell_backward(da_next, dc_next, cache) -> dict:
    """Gradients of one LSTM step from da_next and dc_next (the gradient on c_next that does
    not pass through a_next).   notes §5.1.5

    Returns {"dxt", "da_prev", "dc_prev", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo",
    "dbo"}, dWg (n_a, n_a + n_x) and dbg (n_a, 1) as the parameters.
    """
    op = "lstm_cell_backward"
    fn = _step_function(op, cache, LSTM)
    dY = _upstream(op, "da_next", da_next, fn, 2, {1: ("dc_next", dc_next)}, False)
    dx, dW_x, dW_a, db, da0, dc0 = fn.backward(dY)
    grads = {"dxt": dx[:, 0].T, "da_prev": da0.T, "dc_prev": dc0.T}
    return _ordered(grads, _gate_gradients(dW_x, dW_a, db, fn.W_a.shape[0]))


def _ordered(grads: dict, gates: dict) -> dict:
    """``grads`` then the gates' gradients in the assignment's order (f, i, c, o)."""
    for g in "fico":
        grads[f"dW{g}"], grads[f"db{g}"] = gates[f"dW{g}"], gates[f"db{g}"]
    return grads


def lstm_backward(da, caches) -> dict:
    """Backpropagation through time for lstm_forward.   notes §5.1.5

    ``da`` (n_a, m, T_x): the gradient on every a<t> from outside the recurrence; going back,
    lstm_cell_backward(da[:, :, t] + da_prev<t+1>, dc_prev<t+1>, caches[t]), summing the
    weight gradients (nothing comes from the returned c).
    Returns {"dx" (n_x, m, T_x), "da0" (n_a, m), "dWf", "dbf", "dWi", "dbi", "dWc", "dbc",
    "dWo", "dbo"}.
    """
    op = "lstm_backward"
    fn = _sequence_function(op, caches, LSTM)
    dx, dW_x, dW_a, db, da0, _ = fn.backward(_upstream(op, "da", da, fn, 2, {}, True))
    grads = {"dx": _columns(dx), "da0": da0.T}
    return _ordered(grads, _gate_gradients(dW_x, dW_a, db, fn.W_a.shape[0]))
