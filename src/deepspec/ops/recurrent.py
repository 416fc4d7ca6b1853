"""Whole-sequence recurrent ops with backpropagation through time.   notes §5.1.2-5.1.5

Batch-first: x (m, T, n_x); a0, c0 (m, n_a). A cell with G gate blocks has W_x (n_x, G*n_a),
W_a (n_a, G*n_a) and b (G*n_a,), the blocks side by side on the last axis. rnn and gru project
the inputs of all T steps with one matmul call before the loop (x<t> W_x + b for every t) and
do one recurrent GEMM per step (two in the notes' GRU, whose reset gate acts before its
matmul); lstm does one GEMM per step on the notes' stacked [a<t-1>, x<t>] (see LSTM). The
gate math runs in place on preallocated buffers. Backward is the hand-derived BPTT: one
reverse loop for dZ (the gates' pre-activation gradients), then dx, dW_x, dW_a and db from one
GEMM (or sum) each over all steps (lstm: the three weights from one). No per-step graph is
recorded.

    rnn   G = 1            a<t> = g(x<t> W_x + a<t-1> W_a + b),  g = tanh or relu     §5.1.2
    lstm  G = 4 (u f o c~) see LSTM                                                  §5.1.5
    gru   G = 3 (r u c~)   see GRU                                                   §5.1.4

The notes' W_a [a<t-1>, x<t>] + b_a, with W_a (n_a, n_a + n_x), is here a<t-1> W_a + x<t> W_x
+ b per gate block: the notes' matrix of a gate is concat([W_a[:, block], W_x[:, block]]).T.

One output. ``Function.apply`` makes one Tensor, so each Function returns the per-step outputs
and the final states packed along the time axis: rnn and gru (m, T + 1, n_a) = [a<1> .. a<T>,
a_T], lstm (m, T + 2, n_a) = [a<1> .. a<T>, a_T, c_T]. The public functions slice it with the
differentiable getitem; the engine sums the slices' gradients into one dY, so a loss on any
mix of a, a_T and c_T reaches the one BPTT pass (an unused slice adds nothing, and a0, c0 get
their gradients as inputs). This is plain autograd: no side channel outside the graph.

Masks. ``mask`` (m, T) booleans, or ``lengths`` (m,) (mask[i, t] = t < lengths[i]): at a
padded step the state is carried over unchanged (a<t> = a<t-1>, c<t> = c<t-1>) and the output
a<t> is 0. So a_T (and c_T) is each example's state after its own last valid step, and a
padded batch gives exactly what each sequence gives run alone, gradients included.
"""

from __future__ import annotations

from .. import kernels
from ..backend import xp
from ..tensor import Function, Tensor
from .basic import lift, reshape

_ACTIVATIONS = ("tanh", "relu")


# ---- shared pieces ------------------------------------------------------------------------------
def _halve_sigmoid_rows(W, rows: int):
    """W[:rows] *= 1/2 in place: the σ gates' rows of a weight (or bias), so the products give
    z/2 for _sigmoid_of_half_. Exact: 1/2 is a power of two."""
    W[:rows] *= 0.5
    return W


def _sigmoid_of_half_(Z):
    """Z := σ(2 Z) = (1 + tanh(Z)) / 2 in place, from the halved pre-activation: one tanh
    instead of 1 / (1 + e^-z)'s four passes, and no overflow.   notes §1.3.3"""
    xp.tanh(Z, out=Z)
    Z *= 0.5
    Z += 0.5


def _dsigmoid_(dZ, A, scratch):
    """dZ *= A (1 - A): sigmoid's derivative from its output A.   notes §1.3.3"""
    xp.subtract(1, A, out=scratch)
    scratch *= A
    dZ *= scratch


def _dtanh_(dZ, A, scratch):
    """dZ *= 1 - A^2: tanh's derivative from its output A.   notes §1.3.3"""
    xp.multiply(A, A, out=scratch)
    xp.subtract(1, scratch, out=scratch)
    dZ *= scratch


def _check(op, G, x, W_x, W_a, b, a0, c0=None, b_rows=None):
    """Validate the shapes; return (m, T, n_x, n_a)."""
    if x.ndim != 3:
        raise ValueError(f"{op}: x should have shape (m, T, n_x), got {x.shape}")
    m, T, n_x = x.shape
    if W_a.ndim != 2 or W_a.shape[1] != G * W_a.shape[0]:
        raise ValueError(f"{op}: W_a should have shape (n_a, {G}*n_a), got {W_a.shape}")
    n_a = W_a.shape[0]
    if W_x.shape != (n_x, G * n_a):
        raise ValueError(f"{op}: W_x should have shape {(n_x, G * n_a)} to match x {x.shape} "
                         f"and W_a {W_a.shape}, got {W_x.shape}")
    want_b = (G * n_a,) if b_rows is None else (b_rows, G * n_a)
    if b.shape != want_b:
        raise ValueError(f"{op}: b should have shape {want_b} to match W_a {W_a.shape}, "
                         f"got {b.shape}")
    for name, s in (("a0", a0), ("c0", c0)):
        if s is not None and s.shape != (m, n_a):
            raise ValueError(f"{op}: {name} should have shape {(m, n_a)} to match x {x.shape} "
                             f"and W_a {W_a.shape}, got {s.shape}")
    return m, T, n_x, n_a


def _T(W):
    """A C-ordered copy of W.T (the notes' (G*n_a, n) orientation of a weight); always a copy,
    so it can be scaled in place even when W.T happens to be contiguous already."""
    return xp.array(W.T, order="C")


def _rows(A):
    """(T, m, k) -> (T*m, k): every step's rows as one matrix."""
    return A.reshape(A.shape[0] * A.shape[1], A.shape[2])


def _transpose_into(dst, src, block: int = 8):
    """dst[...] = src.T, copied a few rows of src at a time so that each block's columns stay
    in cache: 0.2 ms against 0.8 ms for NumPy's one strided pass on a (256, 1024) float32
    weight."""
    for i in range(0, src.shape[0], block):
        dst[:, i:i + block] = src[i:i + block].T


def _steps_first(x):
    """x (m, T, n_x) as (T, m, n_x), copied: the first half of the transposition to the
    columns (n_x, T, m) or (T, n_x, m) the loops read. Moving whole n_x rows first, and then
    each step's (m, n_x) block, is 3x faster than one strided copy (whose inner loop over m
    jumps T n_x values in x)."""
    return xp.ascontiguousarray(x.transpose(1, 0, 2))


def _stacked(x, W_x, W_a, b, a0, sigmoid_rows: int, dtype):
    """The notes' stacked operands of every step, Z<t> = W [a<t-1>; x<t>; 1]   notes §5.1.5

    W = [W_a.T | W_x.T | b] (G*n_a, K), K = n_a + n_x + 1, its first sigmoid_rows rows halved
    (the σ gates, see _sigmoid_of_half_); XS (K, T + 1, m) holds the columns [a<t-1>; x<t>; 1]
    of every step: a<0>, x and the ones written here, a<t> by step t into XS[:n_a, t + 1] (the
    x part of XS[:, T] is zero: no step reads it). XS[:, t] is then step t's right operand as
    it stands (a strided view BLAS reads directly), and XS[:, :T] viewed as (K, T m) the left
    one of the weights' gradients, [dW_a; dW_x; db] = XS[:, :T] dZ.T: no step transposes.
    """
    m, T, n_x = x.shape
    n = W_a.shape[0]
    K = n + n_x + 1
    W = xp.empty((W_a.shape[1], K), dtype=dtype)
    _transpose_into(W[:, :n], W_a)
    _transpose_into(W[:, n:K - 1], W_x)
    W[:, K - 1] = b
    _halve_sigmoid_rows(W, sigmoid_rows)
    XS = xp.empty((K, T + 1, m), dtype=dtype)
    XS[:n, 0] = a0.T
    XS[n:K - 1, :T] = _steps_first(x).transpose(2, 0, 1)
    XS[n:K - 1, T] = 0
    XS[K - 1] = 1
    return W, XS


class _Recurrent(Function):
    """What the three sequence ops share.

    Inside, every step works in the notes' column convention: a<t> is (n_a, m) and
    Z<t> = W_a.T a<t-1> + W_x.T x<t> + b, so the time loop runs on (T, G*n_a, m) buffers whose
    per-step slices and gate blocks are contiguous; with BLAS at small m, W_a.T @ a<t-1> is
    also the fast orientation (OpenBLAS, m = 32, n_a = 256: 180 us against 260 us for
    a<t-1> @ W_a). The gradients of the weights are one GEMM each over all steps, in the
    batch-major (T*m, .) layout, which the backward loop fills as it goes (dZ row by row; the
    LSTM keeps its states in that layout from the start, see _stacked).
    """

    def _start(self, x, W_x, W_a, b, a0, mask, sigmoid_rows=0):
        """The input projection of all steps, W_x.T x<t> + b (T, G*n_a, m), by one matmul
        call (T GEMMs: one 2-D GEMM would need an 8 MB transposition into this layout at
        m = 32, T = 64, n_a = 256), halved in the first sigmoid_rows rows (the σ gates, see
        _sigmoid_of_half_), and the states buffer (T + 1, n_a, m) holding a<0>. The bias rides
        along as one more column of W_x.T against a row of ones (cheaper than a pass adding
        it)."""
        self.x, self.W_x, self.mask = x, W_x, mask
        self.valid = None if mask is None else xp.ascontiguousarray(mask.T)[:, None, :]
        m, T, n_x = x.shape
        dtype = xp.result_type(x, W_x, W_a, b)
        W = xp.empty((W_x.shape[1], n_x + 1), dtype=dtype)  # [W_x.T | b]
        W[:, :n_x], W[:, n_x] = W_x.T, b
        _halve_sigmoid_rows(W, sigmoid_rows)
        X = xp.empty((T, n_x + 1, m), dtype=dtype)  # [x<t>.T ; 1] for every t
        X[:, :n_x], X[:, n_x] = _steps_first(x).transpose(0, 2, 1), 1
        P = xp.matmul(W, X)
        S = xp.empty((T + 1, W_a.shape[0], m), dtype=dtype)  # a<0> .. a<T>, as columns
        S[0] = a0.T
        return P, S

    def _pack(self, S, extra=()):
        """[a<1> .. a<T>, a_T, *extra] along the time axis; zeros at padded steps."""
        T, n_a, m = S.shape[0] - 1, S.shape[1], S.shape[2]
        Y = xp.empty((m, T + 1 + len(extra), n_a), dtype=S.dtype)
        Y[:, :T] = S[1:].transpose(2, 0, 1)
        if self.mask is not None:
            xp.copyto(Y[:, :T], 0, where=~self.mask[:, :, None])
        Y[:, T] = S[T].T
        for i, s in enumerate(extra):
            Y[:, T + 1 + i] = s.T
        return Y

    @staticmethod
    def _output_grads(dY, T, dtype):
        """From dY (m, T + k, n_a): da_T as a column (n_a, m), and the outputs' gradients as
        columns (T, n_a, m)."""
        dh = dY[:, T].T.astype(dtype, order="C")
        dY_t = xp.ascontiguousarray(dY[:, :T].transpose(1, 2, 0), dtype=dtype)
        return dh, dY_t

    def _gradient_buffers(self, dY, T, width):
        """da_T as a column (n_a, m), the outputs' gradients as columns (T, n_a, m), and the
        batch-major buffers of dZ (T, m, width) and of the states a<0> .. a<T-1> (T, m, n_a)
        that the backward loop fills for the weight gradients."""
        S = self.S
        dh, dY_t = self._output_grads(dY, T, S.dtype)
        dZ = xp.empty((T, S.shape[2], width), dtype=S.dtype)
        S_rows = xp.empty((T, S.shape[2], S.shape[1]), dtype=S.dtype)
        return dh, dY_t, dZ, S_rows

    def _step_grads(self, t, dh, dY_t, carry):
        """Add the output's gradient at step t to dh; at padded steps split dh first into the
        carried part (in carry) and the new state's part (in dh)."""
        if self.valid is None:
            dh += dY_t
            return
        keep = self.valid[t]
        xp.multiply(dh, ~keep, out=carry)
        dh += dY_t
        dh *= keep

    def _input_grads(self, dZ, S_rows=None):
        """dx, dW_x, dW_a and db from dZ (T, m, G*n_a), the gradient of the projection
        x<t> W_x + a<t-1> W_a + b, and the states a<0> .. a<T-1> (T, m, n_a): one GEMM each
        (dW_a: None without S_rows)."""
        need_x, need_W_x, need_W_a = self.needs_grad[:3]
        T, m, width = dZ.shape
        n_x = self.x.shape[2]
        dZ2 = dZ.reshape(T * m, width)
        dx = dW_x = dW_a = None
        if need_x:
            dx = (dZ2 @ self.W_x.T).reshape(T, m, n_x).transpose(1, 0, 2)
        if need_W_x:
            X = xp.ascontiguousarray(self.x.transpose(1, 0, 2)).reshape(T * m, n_x)
            dW_x = X.T @ dZ2
        if need_W_a and S_rows is not None:
            dW_a = _rows(S_rows).T @ dZ2
        return dx, dW_x, dW_a, dZ2.sum(axis=0)


# ---- RNN -----------------------------------------------------------------------------------------
class RNN(_Recurrent):
    """a<t> = g(x<t> W_x + a<t-1> W_a + b), g = tanh or relu.   notes §5.1.2

    Backward: dZ<t> = (da<t> + dY<t>) g'(Z<t>), da<t-1> = dZ<t> W_a.T.
    Shapes: x (m, T, n_x), W_x (n_x, n_a), W_a (n_a, n_a), b (n_a,), a0 (m, n_a)
    -> (m, T + 1, n_a) = [a<1> .. a<T>, a_T].
    """

    def forward(self, x, W_x, W_a, b, a0, *, activation, mask, op="rnn"):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"{op}: activation should be one of {_ACTIVATIONS}, "
                             f"got {activation!r}")
        m, T, n_x, n = _check(op, 1, x, W_x, W_a, b, a0)
        P, S = self._start(x, W_x, W_a, b, a0, mask)
        W_aT, valid = _T(W_a), self.valid
        act = xp.tanh if activation == "tanh" else _relu
        rec = xp.empty((n, m), dtype=S.dtype)
        for t in range(T):
            Z = P[t]
            xp.matmul(W_aT, S[t], out=rec)
            Z += rec
            act(Z, out=S[t + 1])
            if valid is not None:
                xp.copyto(S[t + 1], S[t], where=~valid[t])
        self.S, self.W_a, self.activation = S, W_a, activation
        return self._pack(S)

    def backward(self, dY):
        S, W_a = self.S, self.W_a
        T, n = S.shape[0] - 1, S.shape[1]
        dh, dY_t, dZ, S_rows = self._gradient_buffers(dY, T, n)
        dZ_t, carry = xp.empty_like(dh), xp.empty_like(dh)
        for t in range(T - 1, -1, -1):
            self._step_grads(t, dh, dY_t[t], carry)
            A = S[t + 1]  # at a padded step A is the carried state, and dh is 0 there
            if self.activation == "tanh":
                xp.multiply(A, A, out=dZ_t)
                xp.subtract(1, dZ_t, out=dZ_t)
                dZ_t *= dh
            else:
                xp.multiply(dh, A > 0, out=dZ_t)
            xp.matmul(W_a, dZ_t, out=dh)
            if self.valid is not None:
                dh += carry
            dZ[t] = dZ_t.T
            S_rows[t] = S[t].T
        dx, dW_x, dW_a, db = self._input_grads(dZ, S_rows)
        return dx, dW_x, dW_a, db, dh.T if self.needs_grad[4] else None


def _relu(Z, out):
    return xp.maximum(Z, 0, out=out)


# ---- LSTM ----------------------------------------------------------------------------------------
def _lstm_cell(Z, C_prev, C_new, tmp):
    """From Z (4 n, m) holding tanh of the gates' pre-activations (σ rows halved): the σ gates
    (1 + tanh) / 2 in place, and C_new = Γu c~ + Γf C_prev (kernels.lstm_cell, in NumPy)."""
    n = C_prev.shape[0]
    gates = Z[:3 * n]
    gates *= 0.5
    gates += 0.5
    xp.multiply(Z[:n], Z[3 * n:], out=C_new)  # c<t> = Γu c~ + Γf c<t-1>
    xp.multiply(Z[n:2 * n], C_prev, out=tmp)
    C_new += tmp


class LSTM(_Recurrent):
    """The notes' LSTM.   notes §5.1.5

        [Γu, Γf, Γo] = σ(x<t> W_x + a<t-1> W_a + b)[u, f, o],  c~ = tanh(...)[c~]
        c<t> = Γu * c~ + Γf * c<t-1>,   a<t> = Γo * tanh(c<t>)

    Gate blocks (u, f, o, c~): PyTorch's (i, f, o, g), i.e. torch.nn.LSTM's weight_ih.T with
    its last two blocks (g, o) swapped; b = b_ih + b_hh, reordered the same way.
    Shapes: x (m, T, n_x), W_x (n_x, 4 n_a), W_a (n_a, 4 n_a), b (4 n_a,), a0, c0 (m, n_a)
    -> (m, T + 2, n_a) = [a<1> .. a<T>, a_T, c_T].

    Each step is one GEMM in the notes' stacked form, Z<t> = [W_a.T | W_x.T | b] [a<t-1>;
    x<t>; 1] (see _stacked): the input projection rides in the recurrent product (the same
    flops as one projection of all steps before the loop, without a pass adding it to every
    step's product), a<t> goes straight into the next step's operand, and backward gets dW_a,
    dW_x and db from one GEMM over all steps. Kept for backward (and for the notes' API in
    deepspec.classic): Gam (T, 4 n_a, m), the gates of every step; C (T + 1, n_a, m), the cells
    c<0> .. c<T>; TC (T, n_a, m), tanh(c<t>); XS (K, T + 1, m), whose first n_a rows are the
    states a<0> .. a<T>. Backward writes each step's dZ into the columns of one (4 n_a, T, m)
    buffer, the operand of its recurrent GEMM and, whole, of the weights' gradients.
    """

    def forward(self, x, W_x, W_a, b, a0, c0, *, mask, op="lstm"):
        m, T, n_x, n = _check(op, 4, x, W_x, W_a, b, a0, c0)
        self.x, self.W_x, self.W_a, self.mask = x, W_x, W_a, mask
        self.valid = valid = None if mask is None else xp.ascontiguousarray(mask.T)[:, None, :]
        dtype = xp.result_type(x, W_x, W_a, b)
        W, XS = _stacked(x, W_x, W_a, b, a0, 3 * n, dtype)
        Gam = xp.empty((T, 4 * n, m), dtype=dtype)  # Z<t>, then the gates, in place
        C = xp.empty((T + 1, n, m), dtype=dtype)  # cells c<0> .. c<T>
        C[0] = c0.T
        TC = xp.empty((T, n, m), dtype=dtype)  # tanh(c<t>) of each step's new cell
        Y = xp.empty((m, T + 2, n), dtype=dtype)  # the output [a<1> .. a<T>, a_T, c_T]
        fused = valid is None and kernels.usable(Gam, C, XS, Y)
        tmp = None if fused else xp.empty((n, m), dtype=dtype)
        for t in range(T):
            Z = Gam[t]
            xp.matmul(W, XS[:, t], out=Z)
            xp.tanh(Z, out=Z)  # c~, and tanh(z/2) for the σ gates: one call for all four
            if fused:  # the σ gates and c<t> in one compiled pass (five NumPy passes)
                kernels.lstm_cell(Z, C[t], C[t + 1])
            else:
                _lstm_cell(Z, C[t], C[t + 1], tmp)
            xp.tanh(C[t + 1], out=TC[t])
            O = Z[2 * n:3 * n]
            if fused:  # a<t> into the next step's operand and the output's rows at once
                kernels.lstm_output(O, TC[t], XS, Y, t)
                continue
            a = XS[:n, t + 1]  # a<t> = Γo tanh(c<t>), written as the next step's operand
            xp.multiply(O, TC[t], out=a)
            if valid is not None:
                xp.copyto(a, XS[:n, t], where=~valid[t])
                xp.copyto(C[t + 1], C[t], where=~valid[t])
        self.Gam, self.XS, self.C, self.TC = Gam, XS, C, TC
        S = XS[:n]  # a<0> .. a<T> (n, T + 1, m)
        if not fused:
            Y[:, :T] = S[:, 1:].transpose(2, 1, 0)
        if mask is not None:
            xp.copyto(Y[:, :T], 0, where=~mask[:, :, None])
        Y[:, T] = S[:, T].T
        Y[:, T + 1] = C[T].T
        return Y

    def backward(self, dY):
        Gam, C, TC, W_a, valid = self.Gam, self.C, self.TC, self.W_a, self.valid
        T, n, m = TC.shape
        need_a0, need_c0 = self.needs_grad[4:6]
        dtype = TC.dtype
        dY = dY.astype(dtype, copy=False)
        fused = valid is None and kernels.usable(dY, Gam, TC, C)
        if fused:  # the kernel reads the outputs' gradients from dY's rows as they stand
            dh, dY_t = dY[:, T].T.copy(), None  # dh: da_T, then da<t>
        else:
            dh, dY_t = self._output_grads(dY, T, dtype)
        dc = dY[:, T + 1].T.astype(dtype, order="C")  # dc_T, then dc<t>
        # every step's dZ as columns dZ[:, t]; one spare step keeps the rows' stride (T + 1) m
        # off a power of two (rows 8 KiB apart share cache sets: 15-30% slower GEMMs)
        dZ = xp.empty((4 * n, T + 1, m), dtype=dtype)
        if not fused:  # the NumPy path's buffers
            scratch = xp.empty((3 * n, m), dtype=dtype)
            carry_h, carry_c, tmp = xp.empty_like(dh), xp.empty_like(dh), xp.empty_like(dh)
        for t in range(T - 1, -1, -1):
            dZ_t = dZ[:, t]  # (4 n, m), rows T m apart
            if fused:  # _lstm_step_grads' arithmetic, compiled: one pass instead of about 15
                kernels.lstm_backward(dh, dY, dc, Gam[t], TC[t], C[t], dZ, t)
            else:
                self._lstm_step_grads(t, dh, dY_t[t], dc, dZ_t, scratch, carry_h, carry_c, tmp)
            if t or need_a0:  # da<0> = dZ<1> W_a.T is wanted only as a0's gradient
                xp.matmul(W_a, dZ_t, out=dh)
            if valid is not None:
                dh += carry_h
                dc += carry_c
        dx, dW_x, dW_a, db = self._stacked_grads(dZ[:, :T], self.XS)
        return dx, dW_x, dW_a, db, dh.T if need_a0 else None, dc.T if need_c0 else None

    def _lstm_step_grads(self, t, dh, dY_t, dc, dZ_t, scratch, carry_h, carry_c, tmp):
        """dZ<t> (4 n, m) from da<t> (dh, with the output's gradient dY_t) and dc<t>; dc
        becomes dc<t-1> (the part through Γf; at padded steps carry_h and carry_c hold what
        passes the step unchanged)."""
        n, valid = dh.shape[0], self.valid
        self._step_grads(t, dh, dY_t, carry_h)
        if valid is not None:
            xp.multiply(dc, ~valid[t], out=carry_c)
            dc *= valid[t]
        Z, C_prev, TC = self.Gam[t], self.C[t], self.TC[t]
        U, F, O, G = Z[:n], Z[n:2 * n], Z[2 * n:3 * n], Z[3 * n:]
        dU, dF, dO, dG = dZ_t[:n], dZ_t[n:2 * n], dZ_t[2 * n:3 * n], dZ_t[3 * n:]
        xp.multiply(dh, TC, out=dO)  # dΓo = da tanh(c)
        xp.multiply(dh, O, out=tmp)  # dc += da Γo (1 - tanh^2 c)
        _dtanh_(tmp, TC, scratch[:n])
        dc += tmp
        xp.multiply(dc, G, out=dU)
        xp.multiply(dc, U, out=dG)
        xp.multiply(dc, C_prev, out=dF)
        dc *= F  # dc<t-1> = dc<t> Γf
        _dsigmoid_(dZ_t[:3 * n], Z[:3 * n], scratch)
        _dtanh_(dG, G, scratch[:n])

    def _stacked_grads(self, dZ, XS):
        """dx = (W_x dZ).T, and [dW_a; dW_x; db] = XS[:, :T] dZ.T by one GEMM over all steps
        (on the rows of XS that a wanted gradient needs), dZ (4 n_a, T, m) viewed as
        (4 n_a, T m) (its rows may be further apart: a view, no copy)."""
        need_x, need_W_x, need_W_a, need_b = self.needs_grad[:4]
        width, T, m = dZ.shape
        n_x = self.x.shape[2]
        n = XS.shape[0] - n_x - 1
        dZ2 = dZ.reshape(width, T * m)
        dx = dW_x = dW_a = db = None
        if need_x:
            dx = (self.W_x @ dZ2).reshape(n_x, T, m).transpose(2, 1, 0)
        lo = 0 if need_W_a else n if need_W_x else n + n_x
        hi = n + n_x + 1 if need_b else n + n_x if need_W_x else n
        if lo < hi:
            dW = XS[lo:hi, :T].reshape(hi - lo, T * m) @ dZ2.T
            if need_W_a:
                dW_a = dW[:n]
            if need_W_x:
                dW_x = dW[n - lo:n + n_x - lo]
            if need_b:
                db = dW[n + n_x - lo]
        return dx, dW_x, dW_a, db


# ---- GRU -----------------------------------------------------------------------------------------
class GRU(_Recurrent):
    """The notes' full GRU (default), or PyTorch's (reset_after=True).   notes §5.1.4

    Gate blocks (r, u, c~), a<t> = c<t>:
        [Γr, Γu] = σ(x<t> W_x + a<t-1> W_a + b)[r, u]
        c~ = tanh(x<t> W_x[:, c~] + (Γr * a<t-1>) W_a[:, c~] + b[c~])      (notes: reset first)
        a<t> = Γu * c~ + (1 - Γu) * a<t-1>
    reset_after=True (PyTorch, cuDNN) takes b (2, 3 n_a) = [input bias, recurrent bias] and
        c~ = tanh(x<t> W_x[:, c~] + b[0, c~] + Γr * (a<t-1> W_a[:, c~] + b[1, c~]))
    (b[0] + b[1] for the r and u blocks). PyTorch's z is the keep gate, h = (1 - z) n + z h_prev,
    so z = 1 - Γu = σ(-s_u): W_x = torch.nn.GRU's weight_ih.T with the z block negated (blocks
    r, z, n -> r, u, c~), W_a = weight_hh.T likewise, b = [bias_ih, bias_hh], z blocks negated.
    Shapes: x (m, T, n_x), W_x (n_x, 3 n_a), W_a (n_a, 3 n_a), b (3 n_a,) or (2, 3 n_a),
    a0 (m, n_a) -> (m, T + 1, n_a) = [a<1> .. a<T>, a_T].
    """

    def forward(self, x, W_x, W_a, b, a0, *, mask, reset_after, op="gru"):
        m, T, n_x, n = _check(op, 3, x, W_x, W_a, b, a0, b_rows=2 if reset_after else None)
        Gam, S = self._start(x, W_x, W_a, b[0] if reset_after else b, a0, mask, 2 * n)
        # what backward needs of the reset: Γr * a<t-1> (notes) or W_a[:, c~].T a<t-1> + b[1, c~]
        RH = xp.empty((T, n, m), dtype=S.dtype)
        W_aT, valid = _halve_sigmoid_rows(_T(W_a), 2 * n), self.valid
        W_ruT, W_cT = W_aT[:2 * n], W_aT[2 * n:]  # row blocks: contiguous
        rec, rec_c = xp.empty((3 * n, m), dtype=S.dtype), xp.empty((n, m), dtype=S.dtype)
        if reset_after:
            b_h = _halve_sigmoid_rows(b[1].astype(S.dtype), 2 * n)[:, None]
        for t in range(T):
            Z, h = Gam[t], S[t]
            R, U, G = Z[:n], Z[n:2 * n], Z[2 * n:]
            if reset_after:
                xp.matmul(W_aT, h, out=rec)
                rec += b_h
                Z[:2 * n] += rec[:2 * n]
                _sigmoid_of_half_(Z[:2 * n])
                RH[t] = rec[2 * n:]
                xp.multiply(R, RH[t], out=rec_c)
            else:
                xp.matmul(W_ruT, h, out=rec[:2 * n])
                Z[:2 * n] += rec[:2 * n]
                _sigmoid_of_half_(Z[:2 * n])
                xp.multiply(R, h, out=RH[t])
                xp.matmul(W_cT, RH[t], out=rec_c)
            G += rec_c
            xp.tanh(G, out=G)
            a = S[t + 1]  # a<t> = a<t-1> + Γu (c~ - a<t-1>)
            xp.subtract(G, h, out=a)
            a *= U
            a += h
            if valid is not None:
                xp.copyto(a, h, where=~valid[t])
        self.Gam, self.S, self.RH, self.W_a = Gam, S, RH, W_a
        self.reset_after = reset_after
        return self._pack(S)

    def backward(self, dY):
        Gam, S, RH, valid, reset_after = self.Gam, self.S, self.RH, self.valid, self.reset_after
        T, n, m = RH.shape
        dh, dY_t, dZ, S_rows = self._gradient_buffers(dY, T, 3 * n)  # dh: da_T, then da<t>
        dZ_t = xp.empty((3 * n, m), dtype=S.dtype)  # of x<t> W_x + b[0] (+ a<t-1> W_a)
        dR, dU, dG = dZ_t[:n], dZ_t[n:2 * n], dZ_t[2 * n:]
        if reset_after:  # the recurrent product's gradient differs in the c~ block
            dZh_t, dZh = xp.empty_like(dZ_t), xp.empty_like(dZ)
        else:  # the c~ block's recurrent product takes Γr * a<t-1>
            RH_rows = xp.empty((T, m, n), dtype=S.dtype)
            W_ru, W_c = xp.ascontiguousarray(self.W_a[:, :2 * n]), self.W_a[:, 2 * n:]
        carry, tmp, d_rh = xp.empty_like(dh), xp.empty_like(dh), xp.empty_like(dh)
        scratch = xp.empty((2 * n, m), dtype=S.dtype)
        for t in range(T - 1, -1, -1):
            self._step_grads(t, dh, dY_t[t], carry)
            Z, h = Gam[t], S[t]
            R, U, G = Z[:n], Z[n:2 * n], Z[2 * n:]
            xp.subtract(G, h, out=dU)  # dΓu = da (c~ - a<t-1>)
            dU *= dh
            xp.multiply(dh, U, out=dG)  # dc~ = da Γu, then through tanh
            _dtanh_(dG, G, tmp)
            xp.subtract(1, U, out=tmp)  # the direct path: da<t-1> = da (1 - Γu) + ...
            dh *= tmp
            if reset_after:
                xp.multiply(dG, R, out=dZh_t[2 * n:])
                xp.multiply(dG, RH[t], out=dR)  # dΓr = dc~ (W_a[:, c~].T a<t-1> + b[1, c~])
                _dsigmoid_(dZ_t[:2 * n], Z[:2 * n], scratch)
                dZh_t[:2 * n] = dZ_t[:2 * n]
                xp.matmul(self.W_a, dZh_t, out=d_rh)
                dh += d_rh
                dZh[t] = dZh_t.T
            else:
                xp.matmul(W_c, dG, out=d_rh)  # d(Γr * a<t-1>)
                xp.multiply(d_rh, h, out=dR)
                d_rh *= R
                dh += d_rh
                _dsigmoid_(dZ_t[:2 * n], Z[:2 * n], scratch)
                xp.matmul(W_ru, dZ_t[:2 * n], out=d_rh)
                dh += d_rh
                RH_rows[t] = RH[t].T
            if valid is not None:
                dh += carry
            dZ[t] = dZ_t.T
            S_rows[t] = h.T
        dx, dW_x, _, db = self._input_grads(dZ)
        dW_a = None
        if reset_after:
            dZh = _rows(dZh)
            db = xp.stack([db, dZh.sum(axis=0)])
            if self.needs_grad[2]:
                dW_a = _rows(S_rows).T @ dZh
        elif self.needs_grad[2]:
            dZ = _rows(dZ)
            dW_a = xp.concatenate([_rows(S_rows).T @ dZ[:, :2 * n],
                                   _rows(RH_rows).T @ dZ[:, 2 * n:]], axis=1)
        return dx, dW_x, dW_a, db, dh.T if self.needs_grad[4] else None


# ---- the public functions --------------------------------------------------------------------
def _steps_mask(op: str, x: Tensor, mask, lengths):
    """An (m, T) boolean mask from ``mask`` or ``lengths`` (at most one), or None."""
    if mask is None and lengths is None:
        return None
    if mask is not None and lengths is not None:
        raise ValueError(f"{op}: give mask or lengths, not both")
    if x.ndim != 3:
        return None  # the op itself reports x's shape
    m, T = x.shape[:2]
    if lengths is not None:
        L = xp.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
        if L.shape != (m,):
            raise ValueError(f"{op}: lengths should have shape ({m},) to match x {x.shape}, "
                             f"got {L.shape}")
        if L.dtype.kind not in "iu":
            raise TypeError(f"{op}: lengths should be integers, got dtype {L.dtype}")
        if m and (L.min() < 0 or L.max() > T):
            raise ValueError(f"{op}: lengths should be in [0, {T}], "
                             f"got values in [{L.min()}, {L.max()}]")
        return xp.arange(T) < L[:, None]
    M = xp.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if M.shape != (m, T):
        raise ValueError(f"{op}: mask should have shape {(m, T)} to match x {x.shape}, "
                         f"got {M.shape}")
    if M.dtype != bool:
        if M.dtype.kind not in "iuf" or not xp.all((M == 0) | (M == 1)):
            raise TypeError(f"{op}: mask should be booleans (or 0/1), got dtype {M.dtype}")
        M = M != 0
    return M


def _state(s, x: Tensor, W_a: Tensor) -> Tensor:
    """The initial state as a Tensor: zeros (m, n_a) when None."""
    if s is not None:
        return lift(s)
    m = x.shape[0] if x.ndim == 3 else 0  # a bad x is reported by the op
    n_a = W_a.shape[0] if W_a.ndim == 2 else 0
    zeros = xp.zeros((m, n_a), dtype=xp.result_type(x.dtype, W_a.dtype))
    return Tensor._from_op(zeros, None)


def rnn(x, W_x, W_a, b, a0=None, *, activation: str = "tanh", mask=None,
        lengths=None) -> tuple[Tensor, Tensor]:
    """a<t> = g(x<t> W_x + a<t-1> W_a + b) for t = 1..T, g = tanh or relu.   notes §5.1.2

    Shapes: x (m, T, n_x), W_x (n_x, n_a), W_a (n_a, n_a), b (n_a,), a0 (m, n_a) (default 0);
    mask (m, T) booleans or lengths (m,) -> (a (m, T, n_a), a_T (m, n_a)).
    """
    x = lift(x)
    a0 = _state(a0, x, W_a)
    mask = _steps_mask("rnn", x, mask, lengths)
    Y = RNN.apply(x, W_x, W_a, b, a0, activation=activation, mask=mask)
    T = Y.shape[1] - 1
    return Y[:, :T], Y[:, T]


def lstm(x, W_x, W_a, b, a0=None, c0=None, *, mask=None,
         lengths=None) -> tuple[Tensor, Tensor, Tensor]:
    """The notes' LSTM over a whole sequence (gate blocks u, f, o, c~; see ``LSTM``).   §5.1.5

    Shapes: x (m, T, n_x), W_x (n_x, 4 n_a), W_a (n_a, 4 n_a), b (4 n_a,), a0, c0 (m, n_a)
    (default 0); mask (m, T) booleans or lengths (m,)
    -> (a (m, T, n_a), a_T (m, n_a), c_T (m, n_a)).
    """
    x = lift(x)
    a0, c0 = _state(a0, x, W_a), _state(c0, x, W_a)
    mask = _steps_mask("lstm", x, mask, lengths)
    Y = LSTM.apply(x, W_x, W_a, b, a0, c0, mask=mask)
    T = Y.shape[1] - 2
    return Y[:, :T], Y[:, T], Y[:, T + 1]


def gru(x, W_x, W_a, b, a0=None, *, mask=None, lengths=None,
        reset_after: bool = False) -> tuple[Tensor, Tensor]:
    """The notes' full GRU over a whole sequence, or PyTorch's with reset_after=True (b then
    (2, 3 n_a); see ``GRU`` for the mapping to torch.nn.GRU).   notes §5.1.4

    Shapes: x (m, T, n_x), W_x (n_x, 3 n_a), W_a (n_a, 3 n_a), b (3 n_a,), a0 (m, n_a)
    (default 0); mask (m, T) booleans or lengths (m,) -> (a (m, T, n_a), a_T (m, n_a)).
    """
    x = lift(x)
    a0 = _state(a0, x, W_a)
    mask = _steps_mask("gru", x, mask, lengths)
    Y = GRU.apply(x, W_x, W_a, b, a0, mask=mask, reset_after=bool(reset_after))
    T = Y.shape[1] - 1
    return Y[:, :T], Y[:, T]


def _one_step(op: str, x_t) -> Tensor:
    """x_t (m, n_x) as a sequence of one step, (m, 1, n_x)."""
    x_t = lift(x_t)
    if x_t.ndim != 2:
        raise ValueError(f"{op}: x_t should have shape (m, n_x), got {x_t.shape}")
    return reshape(x_t, (x_t.shape[0], 1, x_t.shape[1]))


def rnn_cell(x_t, a_prev, W_x, W_a, b, *, activation: str = "tanh") -> Tensor:
    """One step of ``rnn``: a<t> = g(x<t> W_x + a<t-1> W_a + b).   notes §5.1.2

    Shapes: x_t (m, n_x), a_prev (m, n_a), W_x (n_x, n_a), W_a (n_a, n_a), b (n_a,) -> (m, n_a).
    """
    Y = RNN.apply(_one_step("rnn_cell", x_t), W_x, W_a, b, lift(a_prev), activation=activation,
                  mask=None, op="rnn_cell")
    return Y[:, 1]


def lstm_cell(x_t, a_prev, c_prev, W_x, W_a, b) -> tuple[Tensor, Tensor]:
    """One step of ``lstm``, for step-by-step decoding.   notes §5.1.5

    Shapes: x_t (m, n_x), a_prev, c_prev (m, n_a), W_x (n_x, 4 n_a), W_a (n_a, 4 n_a),
    b (4 n_a,) -> (a_next (m, n_a), c_next (m, n_a)).
    """
    Y = LSTM.apply(_one_step("lstm_cell", x_t), W_x, W_a, b, lift(a_prev), lift(c_prev),
                   mask=None, op="lstm_cell")
    return Y[:, 1], Y[:, 2]


def gru_cell(x_t, a_prev, W_x, W_a, b, *, reset_after: bool = False) -> Tensor:
    """One step of ``gru`` (the notes' GRU, or PyTorch's with reset_after=True).   notes §5.1.4

    Shapes: x_t (m, n_x), a_prev (m, n_a), W_x (n_x, 3 n_a), W_a (n_a, 3 n_a),
    b (3 n_a,) or (2, 3 n_a) with reset_after -> (m, n_a).
    """
    Y = GRU.apply(_one_step("gru_cell", x_t), W_x, W_a, b, lift(a_prev), mask=None,
                  reset_after=bool(reset_after), op="gru_cell")
    return Y[:, 1]
