"""Run every benchmark: deepspec vs PyTorch in one process, same data, ratio printed.

    python benchmarks/run.py            # all workloads
    python benchmarks/run.py mlp tiny   # some of them
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_cnn  # noqa: E402
import bench_conv  # noqa: E402
import bench_lstm  # noqa: E402
import bench_mlp  # noqa: E402
import bench_pool  # noqa: E402
import bench_tiny  # noqa: E402

WORKLOADS = {"mlp": bench_mlp.main, "tiny": bench_tiny.main, "lstm": bench_lstm.main,
             "conv": bench_conv.main, "cnn": bench_cnn.main, "pool": bench_pool.main}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", choices=[[], *WORKLOADS], default=[],
                        help=f"which to run (default: all of {', '.join(WORKLOADS)})")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for NumPy's BLAS and PyTorch (default: all cores)")
    args = parser.parse_args()
    for name in args.workloads or WORKLOADS:
        extra = ["--memory"] if name == "mlp" else []
        threads = ["--threads", str(args.threads)] if args.threads else []
        WORKLOADS[name](extra + threads)


if __name__ == "__main__":
    main()
