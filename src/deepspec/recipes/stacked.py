"""Several small networks of one shape, trained side by side on the same data.   notes §2.4

The course's comparisons train variants of one tiny network: three initializations and
three regularizations (course 2, week 1), three optimizers with and without learning-rate
decay (week 2), seven hidden-layer sizes (course 1, week 3). Trained one at a time, such a
network spends its time in Python, not in arithmetic: it is a few units wide. ``Nets``
stacks k variants on a leading axis (W[l]: (k, n[l], n[l-1])), so one batched product per
layer runs all of them, and ``train`` steps each with its own optimizer (``GD``,
``Momentum``, ``Adam`` of ``deepspec.optim``), learning-rate schedule, L2 ``lambd``,
``keep_prob`` and number of epochs. Every variant takes exactly the steps it would take
alone (a test holds them to the notes' functions in ``deepspec.classic``).

The networks are [LINEAR -> g] x (L-1) -> LINEAR -> SIGMOID with one output unit (binary
classification), g = ReLU or tanh. Variants with fewer hidden units are padded with zero
units: g(0) = 0, so a zero unit outputs 0, gets zero gradients and stays zero.

The math is the library's ``Function`` classes, forward and backward, on the stacked
arrays: ``MatMul`` (batched), ``ReLU``/``Tanh``, ``Dropout`` and
``BinaryCrossEntropyWithLogits`` (dZ[L] = A[L] - Y, per example).
"""

from __future__ import annotations

import sys

import numpy as np
from tqdm import tqdm

from ..classic.forward import num_layers
from ..io import save as save_checkpoint
from ..nn.module import Parameter
from ..ops.activations import ReLU, Tanh, sigmoid_array
from ..ops.basic import MatMul
from ..ops.dropout import Dropout
from ..ops.losses import BinaryCrossEntropyWithLogits

HIDDEN = {"relu": ReLU, "tanh": Tanh}


def assignment_parameters(layer_dims, scale, seed: int) -> dict:
    """W[l] = randn(n[l], n[l-1]) * scale(n[l-1]) and b[l] = 0, drawn as the assignments do.

    ``np.random.seed(seed)`` then one ``randn`` per layer, in order (a fresh legacy
    ``RandomState(seed)`` draws the same numbers), so the assignments' seeds give their
    exact initial weights. ``scale`` is a number or a function of n[l-1] (He:
    ``lambda n: sqrt(2 / n)``). Returns the notes' dict {"W1": ..., "b1": ..., ...}, float64.
    """
    dims = [int(d) for d in layer_dims]
    if len(dims) < 2 or min(dims) < 1:
        raise ValueError(f"assignment_parameters: layer_dims should list >= 2 positive sizes, "
                         f"got {list(layer_dims)}")
    random_state = np.random.RandomState(seed)
    parameters = {}
    for l in range(1, len(dims)):
        factor = scale(dims[l - 1]) if callable(scale) else scale
        parameters[f"W{l}"] = random_state.randn(dims[l], dims[l - 1]) * factor
        parameters[f"b{l}"] = np.zeros((dims[l], 1))
    return parameters


def assignment_shuffles(m: int, batch_size: int, seed: int = 10):
    """``epoch -> [index arrays]``: the assignments' ``random_mini_batches``.

    Epoch e (from 0) permutes the m examples with ``np.random.seed(seed + e + 1)`` (the
    optimization assignment starts from seed = 10 and adds 1 before each epoch) and cuts
    the permutation into batches of ``batch_size``, the last one smaller.   notes §2.4.1
    """
    if batch_size < 1:
        raise ValueError(f"assignment_shuffles: batch_size should be >= 1, got {batch_size}")

    random_state = np.random.RandomState()  # reseeded each epoch: building one costs more

    def batches(epoch: int) -> list:
        random_state.seed(seed + epoch + 1)
        order = random_state.permutation(m)
        return [order[k:k + batch_size] for k in range(0, m, batch_size)]

    return batches


class Nets:
    """k binary classifiers [n_x, n[1], ..., n[L-1], 1] with their parameters stacked.

    ``parameters`` holds one notes' dict per variant (W[l] (n[l], n[l-1]), b[l] (n[l], 1)),
    all with the same L, n_x and a single output unit; hidden sizes may differ (padded with
    zero units). All parameters live in one float64 array ``theta`` (k, P); ``W[l]``
    (k, n[l], n[l-1]) and ``b[l]`` (k, 1, n[l]) are views into it, as are the rows of
    ``grads`` that ``backward`` fills.
    """

    def __init__(self, parameters: list, hidden: str = "relu"):
        if hidden not in HIDDEN:
            raise ValueError(f"Nets: hidden should be one of {sorted(HIDDEN)}, got {hidden!r}")
        parameters = list(parameters)
        if not parameters:
            raise ValueError("Nets: parameters should hold at least one variant's dict")
        Ls = {num_layers("Nets", p) for p in parameters}
        if len(Ls) != 1:
            raise ValueError(f"Nets: every variant should have the same number of layers, "
                             f"got {sorted(Ls)}")
        self.L, self.k, self.hidden = Ls.pop(), len(parameters), hidden
        shapes = [[np.shape(p[f"W{l}"]) for l in range(1, self.L + 1)] for p in parameters]
        for j, (p, variant) in enumerate(zip(parameters, shapes)):
            ok = all(len(shape) == 2 for shape in variant)
            if ok:
                dims = [variant[0][1]] + [shape[0] for shape in variant]
                ok = (all(variant[l][1] == dims[l] for l in range(self.L)) and dims[-1] == 1
                      and dims[0] == shapes[0][0][-1]
                      and all(np.size(p[f"b{l + 1}"]) == dims[l + 1] for l in range(self.L)))
            if not ok:
                raise ValueError(f"Nets: variant {j} should have W[l] (n[l], n[l-1]) and b[l] "
                                 f"(n[l], 1), the same n_x as variant 0 and one output unit, "
                                 f"got W shapes {variant} and b shapes "
                                 f"{[np.shape(p[f'b{l + 1}']) for l in range(self.L)]}")
        self.dims = [shapes[0][0][1]] + [max(s[l][0] for s in shapes) for l in range(self.L)]
        self.shapes = shapes
        sizes = [(self.dims[l + 1], self.dims[l]) for l in range(self.L)]
        total = sum(n * n_prev + n for n, n_prev in sizes)
        self.theta = np.zeros((self.k, total))
        self.grads = np.zeros((self.k, total))
        self.W, self.b, self.dW, self.db = self._views(self.theta) + self._views(self.grads)
        for j, p in enumerate(parameters):
            for l in range(self.L):
                n, n_prev = shapes[j][l]
                self.W[l][j, :n, :n_prev] = p[f"W{l + 1}"]
                self.b[l][j, 0, :n] = np.ravel(p[f"b{l + 1}"])

    def _views(self, flat) -> tuple[list, list]:
        W, b, start = [], [], 0
        for l in range(self.L):
            n, n_prev = self.dims[l + 1], self.dims[l]
            W.append(flat[:, start:start + n * n_prev].reshape(self.k, n, n_prev))
            start += n * n_prev
            b.append(flat[:, start:start + n].reshape(self.k, 1, n))
            start += n
        for view in W + b:
            if not np.shares_memory(view, flat):  # reshape copies only if it must
                raise RuntimeError("Nets: a parameter view does not share theta's memory")
        return W, b

    def parameters(self, j: int) -> dict:
        """Variant j's parameters as the notes' dict (unpadded copies)."""
        out = {}
        for l in range(self.L):
            n, n_prev = self.shapes[j][l]
            out[f"W{l + 1}"] = self.W[l][j, :n, :n_prev].copy()
            out[f"b{l + 1}"] = self.b[l][j, 0, :n].reshape(n, 1).copy()
        return out

    def forward(self, X, keep_prob=None, rng=None):
        """Z[L] (k, m) of every variant on X (m, n_x), and the Functions for ``backward``.

        ``keep_prob`` (k,) applies inverted dropout after each hidden layer (notes §2.2.3),
        its masks drawn from the Generator ``rng``.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.dims[0]:
            raise ValueError(f"Nets: X should have shape (m, {self.dims[0]}), got {X.shape}")
        keep = None if keep_prob is None else np.asarray(keep_prob, float).reshape(-1, 1, 1)
        A, steps = X, []
        for l in range(self.L):
            product = MatMul()
            product.needs_grad = (l > 0, True)
            Z = product.forward(A, self.W[l].transpose(0, 2, 1))  # A_prev W^T: (k, m, n)
            Z += self.b[l]
            step = [product]
            if l < self.L - 1:
                activation = HIDDEN[self.hidden]()
                A = activation.forward(Z)
                step.append(activation)
                if keep is not None:  # (k, 1, 1): each variant's; 1 keeps every unit
                    dropout = Dropout()
                    A = dropout.forward(A, keep_prob=keep, rng=rng)
                    step.append(dropout)
            steps.append(step)
        return Z[..., 0], steps

    def backward(self, dZ, steps, lambd=None) -> None:
        """Fill ``grads`` from dZ[L] (k, m) = dJ/dZ[L]: dW[l], db[l] for every variant.

        ``lambd`` (k,) adds the L2 term's (lambd / m) W[l] (notes §2.2.1).
        """
        m = dZ.shape[1]
        dZ = dZ[..., None]
        for l in range(self.L - 1, -1, -1):
            product, *after = steps[l]
            if l < self.L - 1:
                for fn in reversed(after):  # dropout, then the activation
                    dZ = fn.backward(dZ)
            dA_prev, dWT = product.backward(dZ)
            self.dW[l][...] = dWT.transpose(0, 2, 1)
            np.add.reduce(dZ, axis=1, keepdims=True, out=self.db[l])  # sum over examples
            if lambd is not None:
                self.dW[l] += (np.asarray(lambd, float) / m).reshape(-1, 1, 1) * self.W[l]
            dZ = dA_prev

    def cost(self, Z, y, lambd=None):
        """J per variant (k,): the mean cross-entropy of sigmoid(Z) against y (m,), plus
        lambd / (2m) sum_l ||W[l]||_F^2 (notes §1.3.1, §2.2.1); and the loss Function."""
        loss = BinaryCrossEntropyWithLogits()
        m = Z.shape[1]
        J = loss.forward(Z, Y=y, reduction="none").sum(axis=1) / m
        if lambd is not None:
            squares = sum(np.einsum("kij,kij->k", W, W) for W in self.W)
            J = J + np.asarray(lambd, float) / (2 * m) * squares
        return J, loss

    def predict(self, X):
        """0/1 predictions (k, m): sigmoid(Z[L]) > 0.5, no dropout."""
        Z, _ = self.forward(X)
        return (sigmoid_array(Z) > 0.5).astype(np.int64)

    def accuracy(self, X, y) -> list[float]:
        """Each variant's fraction of correct predictions on (X, y)."""
        return [float(a) for a in np.mean(self.predict(X) == np.ravel(y), axis=1)]

    def predictor(self, j: int):
        """``X -> 0/1 predictions (m,)`` of variant j alone (for decision boundaries)."""
        alone = Nets([self.parameters(j)], self.hidden)
        return lambda X: alone.predict(X)[0]

    def save(self, path, names, metadata: dict | None = None) -> None:
        """Every variant's parameters, as "NAME/W1", "NAME/b1", ... arrays, in one checkpoint
        (``deepspec.io.save``: an .npz written atomically; read back with ``deepspec.load``,
        whose ``.state`` holds them)."""
        names = list(names)
        if len(names) != self.k or len(set(names)) != self.k:
            raise ValueError(f"Nets.save: names should be {self.k} distinct names, got {names}")
        arrays = {f"{name}/{key}": value for j, name in enumerate(names)
                  for key, value in self.parameters(j).items()}
        save_checkpoint(arrays, path, metadata=metadata)


def print_table(header: list, rows: list) -> None:
    """A plain aligned table: ``header`` names, ``rows`` of values (floats as percents if
    the column's header ends with "%")."""
    cells = [[str(h) for h in header]]
    for row in rows:
        cells.append([f"{100 * v:.2f}" if isinstance(v, float) and h.endswith("%") else
                      f"{v:.4g}" if isinstance(v, float) else str(v)
                      for h, v in zip(header, row)])
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for r in cells:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))


def train(nets: Nets, X, y, optimizers, *, epochs, batches=None, schedules=None, lambd=None,
          keep_prob=None, seed=0, quiet: bool = False, desc: str = "Training") -> list:
    """Train every variant of ``nets`` on (X (m, n_x), y (m,)) side by side.

    ``optimizers``: one factory per variant, ``params -> Optimizer`` (e.g.
    ``lambda p: Adam(p, learning_rate=0.0007)``), given the variant's row of theta as one
    Parameter. ``epochs``: an int, or one per variant (a variant stops stepping after its
    own). ``batches``: ``epoch -> [index arrays]`` (``assignment_shuffles``), or None for
    one full-batch step per epoch. ``schedules``: per variant None or ``epoch -> learning
    rate`` (``deepspec.optim.staircase`` ...). ``lambd``, ``keep_prob``: per variant (k,),
    or None. Dropout masks come from ``numpy.random.default_rng(seed)``.

    Returns each variant's cost per epoch (the example-weighted mean over its batches).
    """
    k = nets.k
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64).reshape(-1)
    if len(X) != len(y):
        raise ValueError(f"train: X and y should hold the same number of examples, got "
                         f"{len(X)} and {len(y)}")
    per_variant = {"optimizers": optimizers, "schedules": schedules, "lambd": lambd,
                   "keep_prob": keep_prob}
    epochs = [epochs] * k if isinstance(epochs, (int, np.integer)) else list(epochs)
    for name, values in [("epochs", epochs), *per_variant.items()]:
        if values is not None and len(values) != k:
            raise ValueError(f"train: {name} should hold one entry per variant ({k}), "
                             f"got {len(values)}")
    if min(epochs) < 0:
        raise ValueError(f"train: epochs should be >= 0, got {epochs}")
    params = [Parameter(nets.theta[j], dtype=np.float64) for j in range(k)]
    if not all(np.shares_memory(p.data, nets.theta) for p in params):
        raise RuntimeError("train: the optimizers' parameters should be views into theta")
    steppers = [make(p) for make, p in zip(optimizers, params)]
    grads = list(nets.grads)  # each variant's row, a view that backward refills
    rng = np.random.default_rng(seed)
    m, costs = len(X), [[] for _ in range(k)]
    for epoch in tqdm(range(max(epochs, default=0)), desc=desc, unit="epoch", file=sys.stderr,
                      disable=quiet, leave=False, mininterval=0.5):
        active = [j for j in range(k) if epoch < epochs[j]]
        for j in active:
            if schedules is not None and schedules[j] is not None:
                steppers[j].learning_rate = schedules[j](epoch)
        total = np.zeros(k)
        for index in ([slice(None)] if batches is None else batches(epoch)):
            X_t, y_t = X[index], y[index]
            Z, steps = nets.forward(X_t, keep_prob, rng)
            J, loss = nets.cost(Z, y_t, lambd)
            nets.backward(loss.backward(1.0 / len(X_t)), steps, lambd)
            total += J * len(X_t)
            for j in active:
                params[j].grad = grads[j]
                steppers[j].step()
        for j in active:
            costs[j].append(float(total[j] / m))
    return costs
