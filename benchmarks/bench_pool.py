"""Workload "pool": LeNet-5's first max pooling, forward and backward, three ways.

A batch of 128 feature maps 28 x 28 x 6 (float32, after a ReLU: many ties at 0) through 2 x 2
max pooling with stride 2, forward then backward from a fixed upstream gradient: deepspec with
its compiled loops (deepspec.kernels), deepspec on its NumPy path (kernels.disabled()), and
PyTorch's max_pool2d on NCHW (converted once, outside the timed region). Each timed run is
STEPS forward + backward passes; the three alternate run by run. The ratio printed is
deepspec's (compiled) time over PyTorch's; the NumPy path's time is printed beside it.
"""

from __future__ import annotations

import statistics

import numpy as np
import torch

from common import alternating, cli, pin_threads, report
from deepspec import kernels
from deepspec.ops.pool import MaxPool2D

SHAPE = (128, 28, 28, 6)
STEPS = 20


def make_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = np.maximum(rng.standard_normal(SHAPE, dtype=np.float32), 0)
    dZ = rng.standard_normal((SHAPE[0], SHAPE[1] // 2, SHAPE[2] // 2, SHAPE[3]),
                             dtype=np.float32)
    return x, dZ


def deepspec_step(x, dZ):
    def step():
        op = MaxPool2D()
        Z = op.forward(x, f=2, stride=None, padding=0)
        return Z, op.backward(dZ)
    return step


def numpy_path_step(x, dZ):
    step = deepspec_step(x, dZ)

    def numpy_step():
        with kernels.disabled():
            return step()
    return numpy_step


def torch_step(x, dZ):
    x_t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).requires_grad_()
    dZ_t = torch.from_numpy(np.ascontiguousarray(dZ.transpose(0, 3, 1, 2)))

    def step():
        x_t.grad = None
        Z = torch.nn.functional.max_pool2d(x_t, 2)
        Z.backward(dZ_t)
        return Z, x_t.grad
    return step


def main(argv=None) -> dict:
    parser = cli(__doc__, 10)
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    x, dZ = make_data()
    ours, slow, theirs = deepspec_step(x, dZ), numpy_path_step(x, dZ), torch_step(x, dZ)
    (Z, dA), (Z_n, dA_n), (Z_t, dA_t) = ours(), slow(), theirs()  # also the warm-ups
    np.testing.assert_array_equal(Z, Z_n)
    np.testing.assert_array_equal(dA, dA_n)
    np.testing.assert_array_equal(Z, Z_t.detach().numpy().transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(dA, dA_t.numpy().transpose(0, 2, 3, 1))
    times_ours, times_numpy, times_theirs = alternating(
        *(lambda fn=fn: [fn() for _ in range(STEPS)] for fn in (ours, slow, theirs)),
        repeats=args.repeats)
    if not kernels.available():
        print("pool       (the compiled loops are not built: both deepspec columns are NumPy)")
    return report("pool", times_ours, times_theirs,
                  extra=f"   (deepspec's NumPy path {statistics.median(times_numpy):.3f}s)")


if __name__ == "__main__":
    main()
