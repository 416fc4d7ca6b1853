"""The optional compiled loops (deepspec._kernels); everything else is in pyproject.toml.

``optional=True``: where no C compiler is found the build goes on without them, and deepspec
runs its NumPy paths (the same results; see deepspec.kernels). Flags: -fno-wrapv undoes
Python's own -fwrapv (which keeps GCC from vectorizing the loops: 2x slower max pooling);
-ffp-contract=off keeps a * b + c two roundings, as NumPy's separate passes round it.
"""

from setuptools import Extension, setup

FLAGS = ["-O3", "-fno-wrapv", "-ffp-contract=off"]

setup(ext_modules=[Extension("deepspec._kernels", ["src/deepspec/_kernels.c"],
                             extra_compile_args=FLAGS, optional=True)])
