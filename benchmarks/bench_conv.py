"""Workload "conv": one 3x3 "same" convolution layer, forward and backward.

A batch of 32 images 56 x 56 x 64 through 64 filters 3 x 3, stride 1, "same" padding, with
bias, float32; backward from a fixed upstream gradient computes the gradients of x, W and b.
Each engine works in its own layout: deepspec channels last with the notes' filters
(f, f, n_C_prev, n_C), PyTorch NCHW with (n_C, n_C_prev, f, f); the data is converted once,
outside the timed region. The two engines alternate run by run, so machine noise hits both.
"""

from __future__ import annotations

import numpy as np
import torch

import deepspec as ds
from common import alternating, cli, pin_threads, report
from deepspec.ops.conv import conv2d

NHWC_TO_NCHW, NCHW_TO_NHWC = (0, 3, 1, 2), (0, 2, 3, 1)
FILTER_TO_TORCH, FILTER_FROM_TORCH = (3, 2, 0, 1), (2, 3, 1, 0)
M, N_H, N_W, N_C_PREV, N_C, F = 32, 56, 56, 64, 64, 3


def make_data(seed: int = 0):
    """x, W (He-initialized), b and the upstream gradient dZ, float32, channels last."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((M, N_H, N_W, N_C_PREV), dtype=np.float32)
    W = rng.standard_normal((F, F, N_C_PREV, N_C), dtype=np.float32)
    W *= np.float32(np.sqrt(2.0 / (F * F * N_C_PREV)))
    b = rng.standard_normal(N_C, dtype=np.float32)
    dZ = rng.standard_normal((M, N_H, N_W, N_C), dtype=np.float32)
    return x, W, b, dZ


def deepspec_step(x, W, b, dZ):
    """Returns a function doing forward + backward once; its results are in x/W/b .grad."""
    tensors = [ds.Tensor(a, requires_grad=True) for a in (x, W, b)]

    def step():
        for t in tensors:
            t.grad = None
        Z = conv2d(*tensors, stride=1, padding="same")
        Z.backward(dZ)
        return Z.data, [t.grad for t in tensors]
    return step


def torch_step(x, W, b, dZ):
    """The same on PyTorch's own layouts (converted here, once)."""
    x_t = torch.from_numpy(np.ascontiguousarray(x.transpose(NHWC_TO_NCHW))).requires_grad_()
    W_t = torch.from_numpy(np.ascontiguousarray(W.transpose(FILTER_TO_TORCH))).requires_grad_()
    b_t = torch.from_numpy(b.copy()).requires_grad_()
    dZ_t = torch.from_numpy(np.ascontiguousarray(dZ.transpose(NHWC_TO_NCHW)))

    def step():
        for t in (x_t, W_t, b_t):
            t.grad = None
        Z = torch.nn.functional.conv2d(x_t, W_t, b_t, stride=1, padding="same")
        Z.backward(dZ_t)
        return Z, [x_t.grad, W_t.grad, b_t.grad]
    return step


def check_same(ours, theirs) -> None:
    """Same output and gradients, up to float32 rounding (sums of 576 to 100352 terms)."""
    (Z, (dx, dW, db)), (Z_t, (dx_t, dW_t, db_t)) = ours, theirs
    pairs = [("Z", Z, Z_t.detach().numpy().transpose(NCHW_TO_NHWC)),
             ("dx", dx, dx_t.numpy().transpose(NCHW_TO_NHWC)),
             ("dW", dW, dW_t.numpy().transpose(FILTER_FROM_TORCH)), ("db", db, db_t.numpy())]
    for name, a, b in pairs:
        scale = float(np.abs(b).max())
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * scale, err_msg=name)


def main(argv=None) -> dict:
    parser = cli(__doc__, 10)
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    x, W, b, dZ = make_data()
    ours, theirs = deepspec_step(x, W, b, dZ), torch_step(x, W, b, dZ)
    check_same(ours(), theirs())  # also the warm-up of both
    times_ours, times_theirs = alternating(ours, theirs, repeats=args.repeats)
    return report("conv", times_ours, times_theirs, target=1.5)


if __name__ == "__main__":
    main()
