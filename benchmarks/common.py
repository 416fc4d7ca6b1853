"""Shared benchmark helpers: timing, thread pinning, a results table."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time


def cli(doc: str, repeats: int, unit: str = "runs") -> argparse.ArgumentParser:
    """A workload's command line: described by its docstring's first line, with the options
    every workload has, --repeats (timed runs per engine) and --threads."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=repeats,
                        help=f"timed {unit} per engine ({repeats})")
    parser.add_argument("--threads", type=int, default=None, help="threads for both (all)")
    return parser


def pin_threads(n: int | None = None) -> int:
    """Give NumPy's BLAS and PyTorch the same number of threads (default: all cores)."""
    n = n or os.cpu_count() or 1
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except ImportError:  # BLAS keeps its own default (normally all cores)
        pass
    import torch

    torch.set_num_threads(n)
    return n


def timed(fn, *, repeats: int, warmup: int = 1) -> list[float]:
    """Wall times of ``repeats`` calls of fn() after ``warmup`` discarded calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def alternating(*fns, repeats: int, clock=timed) -> list[list[float]]:
    """The times of each fn over ``repeats`` rounds in which the fns take turns (one call
    each), so a noisy moment on the machine costs all of them alike. ``clock`` times one
    call as ``timed`` does (``timed``: the wall clock)."""
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, own in zip(fns, times):
            own += clock(fn, repeats=1, warmup=0)
    return times


def reset_peak_rss() -> None:
    """Hand freed heap memory back to the OS, then restart the kernel's peak-RSS count
    (VmHWM) from the current RSS (Linux >= 4.0), so the next peak counts only new work."""
    import ctypes
    import gc

    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def peak_rss_mb() -> float:
    """This process's peak resident memory since start or the last reset_peak_rss(), MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def report(name: str, ours: list[float], theirs: list[float], target: float | None = None,
           extra: str = "") -> dict:
    """Print one line: medians, mins and the ratio ours / PyTorch."""
    med_o, med_t = statistics.median(ours), statistics.median(theirs)
    ratio = med_o / med_t
    verdict = "" if target is None else ("  OK" if ratio <= target else f"  (target {target}x)")
    print(f"{name:<10} deepspec {med_o:8.3f}s (min {min(ours):.3f})   "
          f"pytorch {med_t:8.3f}s (min {min(theirs):.3f})   ratio {ratio:5.2f}x{verdict}{extra}")
    return {"workload": name, "deepspec_s": med_o, "pytorch_s": med_t, "ratio": ratio}
