"""Data sets: generators here; downloadable sets and loaders grow beside them."""

from .synthetic import planar_flower

__all__ = ["planar_flower"]
