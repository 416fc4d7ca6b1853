"""What deepspec runs on: versions, the default dtype, the compiled loops, BLAS and its threads,
the data cache.

``deepspec info`` prints it; ``info()`` returns it as a dict (for bug reports and scripts).
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

import numpy as np

from . import kernels
from .backend import get_default_dtype
from .data import cache_dir, list_sources

OPTIONAL = ("tqdm", "threadpoolctl", "scikit-learn", "scikit-image", "matplotlib")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def blas() -> list[dict]:
    """The BLAS libraries NumPy calls, each with its version and thread count (from
    threadpoolctl when installed; otherwise what NumPy's build says, threads unknown)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        found = [{"library": pool.get("internal_api"), "version": pool.get("version"),
                  "threads": pool.get("num_threads"), "api": pool.get("user_api")}
                 for pool in threadpool_info()]
        if found:
            return found
    try:
        build = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (KeyError, TypeError):
        build = {}
    return [{"library": build.get("name", "unknown"), "version": build.get("version"),
             "threads": None, "api": "blas"}]


def info() -> dict:
    """Versions, dtype, BLAS, CPU count, thread variables and the data cache, as a dict."""
    from . import __version__
    from .recipes import RECIPES

    return {
        "deepspec": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "numpy": np.__version__,
        "optional": {name: _version(name) for name in OPTIONAL},
        "default_dtype": np.dtype(get_default_dtype()).name,
        "compiled_loops": kernels.status(),
        "blas": blas(),
        "cpus": os.cpu_count(),
        "thread_variables": {name: os.environ[name] for name in THREAD_VARIABLES
                             if name in os.environ},
        "data_cache": str(cache_dir()),
        "fetched": [row["name"] for row in list_sources() if row["fetched"]],
        "recipes": len(RECIPES),
    }


def format_info(details: dict) -> str:
    """The dict of ``info()`` as aligned lines."""
    optional = ", ".join(f"{name} {version or '(not installed)'}"
                         for name, version in details["optional"].items())
    libraries = "; ".join(
        f"{b['library']} {b['version'] or ''}".strip()
        + (f", {b['threads']} thread(s)" if b["threads"] is not None else ", threads unknown")
        for b in details["blas"])
    variables = ", ".join(f"{k}={v}" for k, v in details["thread_variables"].items()) or "none"
    rows = [
        ("deepspec", details["deepspec"]),
        ("python", f"{details['python']} ({details['platform']})"),
        ("numpy", details["numpy"]),
        ("optional", optional),
        ("default dtype", f"{details['default_dtype']} (deepspec.set_default_dtype changes it)"),
        ("compiled loops", details["compiled_loops"]),
        ("BLAS", libraries),
        ("CPUs", str(details["cpus"])),
        ("thread variables", variables),
        ("data cache", f"{details['data_cache']} (DEEPSPEC_DATA moves it)"),
        ("fetched data", ", ".join(details["fetched"]) or "none yet (deepspec data list)"),
        ("recipes", f"{details['recipes']} (deepspec list)"),
    ]
    width = max(len(key) for key, _ in rows) + 2
    return "\n".join(f"{key:<{width}}{value}" for key, value in rows)


if __name__ == "__main__":
    print(format_info(info()), file=sys.stdout)
