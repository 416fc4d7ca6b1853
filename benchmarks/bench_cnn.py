"""Workload "cnn": one epoch of LeNet-5 with Adam on 10000 images 28 x 28 x 1.

deepspec.models.lenet5(): conv 6@5x5 "same" -> ReLU -> max pool 2 -> conv 16@5x5 valid ->
ReLU -> max pool 2 -> 120 -> 84 -> 10, softmax cross-entropy, Adam lr 1e-3, batch 128, one
epoch (79 steps). Synthetic MNIST-like data (seeded), the same batches in the same order and
the same initial weights for both engines, in one process: deepspec channels last, PyTorch
NCHW with the weights transposed to its layouts (and the first dense layer's columns
permuted from (h, w, c) to (c, h, w) order, so both flatten the same features). The two
engines alternate epoch by epoch, so machine noise hits both.
"""

from __future__ import annotations

import numpy as np
import torch

import deepspec as ds
from common import alternating, cli, pin_threads, report
from deepspec import F

INPUT_SHAPE = (28, 28, 1)
FILTER_TO_TORCH = (3, 2, 0, 1)  # (f, f, n_C_prev, n_C) -> (n_C, n_C_prev, f, f)


def make_data(m: int = 10000, seed: int = 0):
    """Synthetic 10-class images in [0, 1] with class-dependent mean images, channels last."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, m)
    templates = rng.random((10, *INPUT_SHAPE), dtype=np.float32)
    X = 0.7 * rng.random((m, *INPUT_SHAPE), dtype=np.float32) + 0.3 * templates[y]
    return X.astype(np.float32), y.astype(np.int64)


def initial_weights(seed: int = 1):
    return [p.data.copy() for p in ds.models.lenet5(INPUT_SHAPE, seed=seed).parameters()]


def torch_weights(weights):
    """Our parameters in PyTorch's layouts, in the order of torch_model().parameters()."""
    W1, b1, W2, b2, D1, c1, D2, c2, D3, c3 = weights
    n_H, n_W, n_C = 5, 5, W2.shape[3]  # the 5 x 5 x 16 features Flatten sees
    D1_t = D1.reshape(len(D1), n_H, n_W, n_C).transpose(0, 3, 1, 2).reshape(len(D1), -1)
    out = [W1.transpose(FILTER_TO_TORCH), b1, W2.transpose(FILTER_TO_TORCH), b2,
           D1_t, c1, D2, c2, D3, c3]
    return [np.ascontiguousarray(w) for w in out]


def torch_model():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def run_deepspec(X, y, weights, batch_size=128):
    model = ds.models.lenet5(INPUT_SHAPE)
    for p, w in zip(model.parameters(), weights):
        p.data[...] = w
    opt = ds.optim.Adam(model, learning_rate=1e-3)
    for start in range(0, len(X), batch_size):
        X_b, y_b = X[start:start + batch_size], y[start:start + batch_size]
        opt.zero_grad()
        cost = F.softmax_cross_entropy(model(ds.tensor(X_b)), y_b)
        cost.backward()
        opt.step()
    return float(cost.data), [p.data for p in model.parameters()]


def run_torch(X_t, y_t, weights_t, batch_size=128):
    """X_t: the images already NCHW (converted once, outside the timed region)."""
    model = torch_model()
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights_t):
            p.copy_(torch.from_numpy(w))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for start in range(0, len(X_t), batch_size):
        opt.zero_grad()
        cost = torch.nn.functional.cross_entropy(model(X_t[start:start + batch_size]),
                                                 y_t[start:start + batch_size])
        cost.backward()
        opt.step()
    return float(cost.detach()), [p.detach().numpy() for p in model.parameters()]


def main(argv=None) -> dict:
    parser = cli(__doc__, 5, "epochs")
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    X, y = make_data()
    weights = initial_weights()
    weights_t = torch_weights(weights)
    X_t = torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2)))
    y_t = torch.from_numpy(y)
    # same data, same start: the same weights after a few steps (float32 rounding then
    # makes the trajectories drift apart, as any two float32 engines do over an epoch)
    _, params_o = run_deepspec(X[:1280], y[:1280], weights)
    _, params_t = run_torch(X_t[:1280], y_t[:1280], weights_t)
    for a, b in zip(torch_weights(params_o), params_t):
        np.testing.assert_allclose(a, b, atol=1e-4)
    costs = {}
    times_ours, times_theirs = alternating(
        lambda: costs.update(ours=run_deepspec(X, y, weights)[0]),
        lambda: costs.update(theirs=run_torch(X_t, y_t, weights_t)[0]), repeats=args.repeats)
    return report("cnn", times_ours, times_theirs, target=1.5,
                  extra=f"   (last-batch cost {costs['ours']:.3f} vs {costs['theirs']:.3f})")


if __name__ == "__main__":
    main()
