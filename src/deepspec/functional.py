"""The differentiable primitives, as functions on Tensors (also ``deepspec.F``).

Everything here is defined in ``deepspec.ops``; this module is the public name for them.
"""

from .ops import *  # noqa: F403
from .ops import __all__  # noqa: F401
