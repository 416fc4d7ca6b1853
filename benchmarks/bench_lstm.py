"""Workload "lstm": a character language model trained with full BPTT and Adam.

One-hot inputs over a 64-character vocabulary, an LSTM with 256 hidden units, sequences of
64 characters, batch 32, a dense 256 -> 64 softmax cross-entropy at every step, Adam with
learning rate 1e-3, 50 steps (a fresh batch each step). deepspec (``lstm`` + ``F.linear`` +
``F.softmax_cross_entropy`` + ``optim.Adam``) against torch.nn.LSTM(batch_first=True) +
nn.Linear + cross_entropy + torch.optim.Adam, same initial weights and batches, one process.
torch's LSTM adds two biases; ours has one, so torch's bias_hh is held at zero and left out of
its optimizer (Adam on two copies of one bias would move it twice as far).
``--breakdown`` also times the parts of one deepspec step; ``--cpu-time`` times each run by the
process's CPU time instead of the wall clock (steadier on a shared machine: time spent waiting
for the CPU is not counted; with ``--threads 1`` both engines' CPU time is their work).
"""

from __future__ import annotations

import time

import numpy as np
import torch

import deepspec as ds
from common import alternating, cli, pin_threads, report, timed
from deepspec import F
from deepspec.ops import recurrent
from deepspec.ops.recurrent import lstm

VOCAB, HIDDEN, SEQ_LEN, BATCH, STEPS = 64, 256, 64, 32, 50
TORCH_TO_OURS = [0, 1, 3, 2]  # torch's LSTM gate blocks (i, f, g, o) -> ours (u, f, o, c~)


def regate(a):
    """Swap the last two gate blocks on axis 0 (its own inverse)."""
    blocks = np.split(a, 4)
    return np.concatenate([blocks[i] for i in TORCH_TO_OURS])


def make_data(steps: int = STEPS, seed: int = 0):
    """One-hot batches from a random, peaky Markov chain over the characters (learnable)."""
    rng = np.random.default_rng(seed)
    cumulative = rng.dirichlet(np.full(VOCAB, 0.05), size=VOCAB).cumsum(axis=1)
    ids = np.empty((steps * BATCH, SEQ_LEN + 1), dtype=np.int64)
    ids[:, 0] = rng.integers(0, VOCAB, len(ids))
    for t in range(SEQ_LEN):
        u = rng.random(len(ids))[:, None]
        ids[:, t + 1] = np.minimum((u > cumulative[ids[:, t]]).sum(axis=1), VOCAB - 1)
    ids = ids.reshape(steps, BATCH, SEQ_LEN + 1)
    X = np.eye(VOCAB, dtype=np.float32)[ids[..., :-1]]  # (steps, m, T, vocab)
    return X, ids[..., 1:]  # next-character targets (steps, m, T)


def initial_weights(seed: int = 1):
    """torch's default init, U(-1/sqrt(n_a), 1/sqrt(n_a)), in our layout:
    W_x (64, 1024), W_a (256, 1024), b (1024,), W_y (64, 256), b_y (64,)."""
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(HIDDEN)
    shapes = [(VOCAB, 4 * HIDDEN), (HIDDEN, 4 * HIDDEN), (4 * HIDDEN,), (VOCAB, HIDDEN), (VOCAB,)]
    return [rng.uniform(-bound, bound, s).astype(np.float32) for s in shapes]


def run_deepspec(X, y, weights, steps):
    params = [ds.Tensor(w.copy(), requires_grad=True) for w in weights]
    W_x, W_a, b, W_y, b_y = params
    opt = ds.optim.Adam(params, learning_rate=1e-3)
    for s in range(steps):
        opt.zero_grad()
        a, _, _ = lstm(X[s], W_x, W_a, b)
        cost = F.softmax_cross_entropy(F.linear(a, W_y, b_y), y[s])
        cost.backward()
        opt.step()
    return float(cost.data), [p.data for p in params]


def torch_model(weights):
    W_x, W_a, b, W_y, b_y = weights
    model = torch.nn.LSTM(VOCAB, HIDDEN, batch_first=True)
    head = torch.nn.Linear(HIDDEN, VOCAB)
    with torch.no_grad():
        model.weight_ih_l0.copy_(torch.from_numpy(regate(W_x.T)))
        model.weight_hh_l0.copy_(torch.from_numpy(regate(W_a.T)))
        model.bias_ih_l0.copy_(torch.from_numpy(regate(b)))
        model.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(W_y))
        head.bias.copy_(torch.from_numpy(b_y))
    model.bias_hh_l0.requires_grad_(False)
    return model, head


def run_torch(X, y, weights, steps):
    model, head = torch_model(weights)
    params = [model.weight_ih_l0, model.weight_hh_l0, model.bias_ih_l0, head.weight, head.bias]
    opt = torch.optim.Adam(params, lr=1e-3)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    for s in range(steps):
        opt.zero_grad()
        a, _ = model(X_t[s])
        cost = torch.nn.functional.cross_entropy(head(a).reshape(-1, VOCAB), y_t[s].reshape(-1))
        cost.backward()
        opt.step()
    ours_layout = [regate(params[0].detach().numpy()).T, regate(params[1].detach().numpy()).T,
                   regate(params[2].detach().numpy()), head.weight.detach().numpy(),
                   head.bias.detach().numpy()]
    return float(cost.detach()), ours_layout


def cpu_timed(fn, *, repeats: int, warmup: int = 1) -> list[float]:
    """``timed``, by the process's CPU time (all its threads) instead of the wall clock."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return times


def breakdown(X, y, weights, repeats: int = 20, now=time.perf_counter) -> dict:
    """Median milliseconds of each part of one deepspec training step (the LSTM's BPTT timed
    by wrapping LSTM.backward for the duration), by the clock ``now``."""
    params = [ds.Tensor(w.copy(), requires_grad=True) for w in weights]
    W_x, W_a, b, W_y, b_y = params
    opt = ds.optim.Adam(params, learning_rate=1e-3)
    parts = {k: [] for k in ("lstm forward", "head forward", "lstm backward", "head backward",
                             "adam")}
    bptt = recurrent.LSTM.backward

    def timed_bptt(self, dY):
        start = now()
        grads = bptt(self, dY)
        parts["lstm backward"].append(now() - start)
        return grads

    recurrent.LSTM.backward = timed_bptt
    try:
        for s in range(repeats):
            opt.zero_grad()
            t0 = now()
            a, _, _ = lstm(X[s % len(X)], W_x, W_a, b)
            t1 = now()
            cost = F.softmax_cross_entropy(F.linear(a, W_y, b_y), y[s % len(X)])
            t2 = now()
            cost.backward()
            t3 = now()
            opt.step()
            t4 = now()
            parts["lstm forward"].append(t1 - t0)
            parts["head forward"].append(t2 - t1)
            parts["head backward"].append(t3 - t2 - parts["lstm backward"][-1])
            parts["adam"].append(t4 - t3)
    finally:
        recurrent.LSTM.backward = bptt
    med = {k: 1e3 * float(np.median(v)) for k, v in parts.items()}
    total = sum(med.values())
    print(f"deepspec step (ms, median of {repeats}): " + ", ".join(
        f"{k} {v:.1f} ({100 * v / total:.0f}%)" for k, v in med.items()))
    return med


def main(argv=None) -> dict:
    parser = cli(__doc__, 5)
    parser.add_argument("--steps", type=int, default=STEPS, help=f"Adam steps ({STEPS})")
    parser.add_argument("--breakdown", action="store_true", help="time the parts of a step")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time by the process's CPU time, not the wall clock")
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    X, y = make_data(args.steps)
    weights = initial_weights()
    # same data, same start: the same weights after a few steps (then float32 rounding lets
    # the trajectories drift apart, as between any two float32 engines)
    cost_o, params_o = run_deepspec(X, y, weights, 3)
    cost_t, params_t = run_torch(X, y, weights, 3)
    np.testing.assert_allclose(cost_o, cost_t, rtol=1e-5)
    for a, b in zip(params_o, params_t):
        np.testing.assert_allclose(a, b, atol=1e-4)
    costs = {}

    def run_ours():
        costs["ours"] = run_deepspec(X, y, weights, args.steps)[0]

    def run_theirs():
        costs["theirs"] = run_torch(X, y, weights, args.steps)[0]

    clock = cpu_timed if args.cpu_time else timed
    clock(run_ours, repeats=0), clock(run_theirs, repeats=0)  # warm-ups
    ours, theirs = alternating(run_ours, run_theirs, repeats=args.repeats, clock=clock)
    result = report("lstm", ours, theirs, target=1.2,
                    extra=f"   (last-batch cost {costs['ours']:.3f} vs {costs['theirs']:.3f})")
    if args.breakdown:
        now = time.process_time if args.cpu_time else time.perf_counter
        result["breakdown_ms"] = breakdown(X, y, weights, now=now)
    return result


if __name__ == "__main__":
    main()
