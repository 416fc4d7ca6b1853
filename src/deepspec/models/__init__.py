"""The model zoo."""

from .mlp import mlp
from .transfer import precompute_features, replace_head, split

__all__ = ["mlp", "precompute_features", "replace_head", "split"]
