"""Structuring machine learning projects (course 3): the ML strategy tools.

- ``diagnose``: avoidable bias, variance, data mismatch and overfitting to dev from the
  human-level, training, training-dev, dev and test errors, with the notes' next steps;
- ``error_analysis`` / ``error_tags``: the spreadsheet of misclassified dev examples, each
  category's share of the errors and its ceiling;
- ``select_model``: one optimizing metric, the others satisficing;
- ``random_search`` / ``coarse_to_fine`` over ``LogUniform``, ``OneMinusLogUniform``,
  ``Uniform``, ``IntUniform``, ``Choice`` (course 2 week 3: random values, not a grid, on
  the appropriate scale);
- multi-task learning with missing labels (``multi_task_binary_cross_entropy``,
  ``task_accuracy``, ``multi_task_accuracy``) and transfer learning (``split``, ``replace_head``,
  ``precompute_features``, ``freeze``).
"""

from .diagnose import GAPS, NEXT_STEPS, Diagnosis, diagnose
from .distributions import (
    Choice,
    Distribution,
    IntUniform,
    LogUniform,
    OneMinusLogUniform,
    Uniform,
)
from .error_analysis import CategoryRow, ErrorAnalysis, error_analysis, error_tags
from .multitask import multi_task_accuracy, multi_task_binary_cross_entropy, task_accuracy
from .search import SearchResult, Trial, coarse_to_fine, random_search
from .selection import Candidate, Selection, select_model
from .transfer import freeze, precompute_features, replace_head, split, unfreeze

__all__ = [
    "GAPS", "NEXT_STEPS", "Candidate", "CategoryRow", "Choice", "Diagnosis", "Distribution",
    "ErrorAnalysis", "IntUniform", "LogUniform", "OneMinusLogUniform", "SearchResult",
    "Selection", "Trial", "Uniform", "coarse_to_fine", "diagnose", "error_analysis",
    "error_tags", "freeze", "multi_task_accuracy", "multi_task_binary_cross_entropy",
    "precompute_features",
    "random_search", "replace_head", "select_model", "split", "task_accuracy", "unfreeze",
]
