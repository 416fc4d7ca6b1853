"""The model zoo."""

from .mlp import mlp

__all__ = ["mlp"]
