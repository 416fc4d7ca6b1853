"""Workload "mlp": one epoch of a 784-256-128-10 ReLU network with Adam.

60000 x 784 float32 synthetic data, 10 classes, softmax cross-entropy, Adam lr 1e-3, batch
128, one epoch (469 steps), the same batches in the same order and the same initial weights
for deepspec and PyTorch, in one process. ``--memory`` instead runs each engine in its own
process and reports the peak memory each adds to its process while training.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np
import torch

import deepspec as ds
from common import cli, current_rss_mb, peak_rss_mb, pin_threads, report, reset_peak_rss, timed
from deepspec import F

LAYERS = [784, 256, 128, 10]


def make_data(m: int = 60000, seed: int = 0):
    """Synthetic 10-class data with some learnable structure (class-dependent means)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, m)
    centers = 0.05 * rng.standard_normal((10, 784)).astype(np.float32)  # overlapping classes
    X = rng.standard_normal((m, 784), dtype=np.float32) + centers[y]
    return X, y.astype(np.int64)


def initial_weights(seed: int = 1):
    model = ds.models.mlp(LAYERS, hidden="relu", seed=seed)
    return [p.data.copy() for p in model.parameters()]


def run_deepspec(X, y, weights, batch_size=128):
    model = ds.models.mlp(LAYERS, hidden="relu")
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


def run_torch(X, y, weights, batch_size=128):
    layers = []
    for n_prev, n in zip(LAYERS[:-1], LAYERS[1:]):
        layers += [torch.nn.Linear(n_prev, n), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.from_numpy(w))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    for start in range(0, len(X), batch_size):
        opt.zero_grad()
        cost = torch.nn.functional.cross_entropy(model(X_t[start:start + batch_size]),
                                                 y_t[start:start + batch_size])
        cost.backward()
        opt.step()
    return float(cost.detach()), [p.detach().numpy() for p in model.parameters()]


def memory_child(engine: str) -> None:
    """Run one epoch of one engine and print the memory it added (MiB) as JSON."""
    X, y = make_data()
    weights = initial_weights()
    run = run_deepspec if engine == "deepspec" else run_torch
    run(X[:1280], y[:1280], weights)  # warm up allocators and libraries
    reset_peak_rss()  # count only what training adds, not the data set's creation
    before = current_rss_mb()
    run(X, y, weights)
    print(json.dumps({"engine": engine, "peak_added_mb": peak_rss_mb() - before}))


def memory_report() -> dict:
    result = {}
    for engine in ("deepspec", "pytorch"):
        out = subprocess.run([sys.executable, __file__, "--memory-child", engine],
                             capture_output=True, text=True, check=True).stdout
        result[engine] = json.loads(out.strip().splitlines()[-1])["peak_added_mb"]
    print(f"mlp memory: peak added while training  deepspec {result['deepspec']:.1f} MiB   "
          f"pytorch {result['pytorch']:.1f} MiB")
    return result


def main(argv=None) -> dict:
    parser = cli(__doc__, 3, "epochs")
    parser.add_argument("--memory", action="store_true", help="also measure peak memory")
    parser.add_argument("--memory-child", choices=["deepspec", "pytorch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    if args.memory_child:
        memory_child(args.memory_child)
        return {}
    X, y = make_data()
    weights = initial_weights()
    # same data, same start: the same weights after a few steps (float32 rounding then
    # makes the trajectories drift apart, as any two float32 engines do over an epoch)
    _, params_o = run_deepspec(X[:1280], y[:1280], weights)
    _, params_t = run_torch(X[:1280], y[:1280], weights)
    for a, b in zip(params_o, params_t):
        np.testing.assert_allclose(a, b, atol=1e-4)
    costs = {}
    ours = timed(lambda: costs.update(ours=run_deepspec(X, y, weights)[0]), repeats=args.repeats)
    theirs = timed(lambda: costs.update(theirs=run_torch(X, y, weights)[0]), repeats=args.repeats)
    result = report("mlp", ours, theirs, target=1.0,
                    extra=f"   (last-batch cost {costs['ours']:.3f} vs {costs['theirs']:.3f})")
    if args.memory:
        result["memory_mb"] = memory_report()
    return result


if __name__ == "__main__":
    main()
