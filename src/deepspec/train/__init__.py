"""Training: mini-batches, the fit loop, callbacks and history.   notes §2.4.1"""

from .batches import iter_mini_batches, num_batches, random_mini_batches
from .callbacks import Callback, EarlyStopping, FitState, LearningRateScheduler, ModelCheckpoint
from .fit import TrainingDiverged, evaluate, fit, make_accuracy, predict
from .history import History

__all__ = [
    "Callback", "EarlyStopping", "FitState", "History", "LearningRateScheduler",
    "ModelCheckpoint", "TrainingDiverged", "evaluate", "fit", "iter_mini_batches",
    "make_accuracy", "num_batches", "predict", "random_mini_batches",
]
