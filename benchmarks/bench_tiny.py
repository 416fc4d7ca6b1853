"""Workload "tiny": the notes' planar 2-layer net (per-op overhead decides it).

X (400, 2), 4 tanh hidden units, sigmoid output, binary cross-entropy, full-batch gradient
descent with learning rate 1.2 for 10000 iterations: deepspec, PyTorch and the notes'
hand-written NumPy, in one process, on the same data and initial weights.
"""

from __future__ import annotations

import numpy as np
import torch

import deepspec as ds
from common import cli, pin_threads, report, timed
from deepspec import F


def planar_flower(m: int = 400, seed: int = 1):
    """The notes' 'flower' data set: two classes of petals (course 1, week 3)."""
    rng = np.random.default_rng(seed)
    n, a = m // 2, 4
    X, Y = np.zeros((m, 2)), np.zeros((m, 1))
    for j in range(2):
        ix = range(n * j, n * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, n) + rng.standard_normal(n) * 0.2
        r = a * np.sin(4 * t) + rng.standard_normal(n) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.astype(np.float32), Y.astype(np.float32)


def initial_weights(seed: int = 2):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((4, 2)) * 0.01).astype(np.float32), np.zeros(4, np.float32),
            (rng.standard_normal((1, 4)) * 0.01).astype(np.float32), np.zeros(1, np.float32)]


def run_deepspec(X, Y, weights, iterations):
    model = ds.models.mlp([2, 4, 1], hidden="tanh", output="sigmoid")
    for p, w in zip(model.parameters(), weights):
        p.data[...] = w
    opt = ds.optim.GD(model, learning_rate=1.2)
    X_t = ds.tensor(X)
    for _ in range(iterations):
        opt.zero_grad()
        cost = F.binary_cross_entropy(model(X_t), Y)
        cost.backward()
        opt.step()
    return float(cost.data), [p.data for p in model.parameters()]


def run_torch(X, Y, weights, iterations):
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1),
                                torch.nn.Sigmoid())
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.from_numpy(w))
    opt = torch.optim.SGD(model.parameters(), lr=1.2)
    X_t, Y_t = torch.from_numpy(X), torch.from_numpy(Y)
    for _ in range(iterations):
        opt.zero_grad()
        cost = torch.nn.functional.binary_cross_entropy(model(X_t), Y_t)
        cost.backward()
        opt.step()
    return float(cost.detach()), [p.detach().numpy() for p in model.parameters()]


def run_numpy(X, Y, weights, iterations):
    """The notes' hand-written forward/backward (course 1 week 3), batch-first."""
    W1, b1, W2, b2 = (w.copy() for w in weights)
    m = X.shape[0]
    for _ in range(iterations):
        A1 = np.tanh(X @ W1.T + b1)
        A2 = 1 / (1 + np.exp(-(A1 @ W2.T + b2)))
        dZ2 = (A2 - Y) / m
        dW2, db2 = dZ2.T @ A1, dZ2.sum(0)
        dZ1 = (dZ2 @ W2) * (1 - A1 * A1)
        dW1, db1 = dZ1.T @ X, dZ1.sum(0)
        W1 -= 1.2 * dW1
        b1 -= 1.2 * db1
        W2 -= 1.2 * dW2
        b2 -= 1.2 * db2
    return None, [W1, b1, W2, b2]


def main(argv=None) -> dict:
    parser = cli(__doc__, 5)
    parser.add_argument("--iterations", type=int, default=10000, help="GD steps (10000)")
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    X, Y = planar_flower()
    weights = initial_weights()
    cost_o, params_o = run_deepspec(X, Y, weights, args.iterations)
    cost_t, params_t = run_torch(X, Y, weights, args.iterations)
    for a, b in zip(params_o, params_t):  # same data, same start: same end (float32)
        np.testing.assert_allclose(a, b, rtol=1e-2, atol=1e-2)
    ours = timed(lambda: run_deepspec(X, Y, weights, args.iterations), repeats=args.repeats)
    theirs = timed(lambda: run_torch(X, Y, weights, args.iterations), repeats=args.repeats)
    numpy_times = timed(lambda: run_numpy(X, Y, weights, args.iterations), repeats=args.repeats)
    numpy_ratio = np.median(numpy_times) / np.median(theirs)
    return report("tiny", ours, theirs, target=0.3,
                  extra=f"   (hand-written NumPy {numpy_ratio:.2f}x; cost {cost_o:.4f} vs "
                        f"{cost_t:.4f})")


if __name__ == "__main__":
    main()
