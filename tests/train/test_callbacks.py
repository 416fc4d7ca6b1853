"""Callbacks: hook order, stopping, EarlyStopping, ModelCheckpoint, LearningRateScheduler."""

import numpy as np
import pytest

import deepspec as ds
from deepspec.io import load
from deepspec.optim import exponential, piecewise_constant
from deepspec.train import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    fit,
)


def blobs(m=60, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, m)
    centers = np.array([[3.0, 0.0], [-1.5, 2.6], [-1.5, -2.6]])
    return centers[y] + 0.5 * rng.standard_normal((m, 2)), y


class Scripted(Callback):
    """Overwrites logs[monitor] with scripted values and snapshots the model each epoch.

    Placed before the callback under test: callbacks share one logs dict, in order.
    """

    def __init__(self, monitor, values):
        self.monitor, self.values, self.snapshots = monitor, values, []

    def on_epoch_end(self, epoch, logs, state):
        logs[self.monitor] = self.values[epoch]
        self.snapshots.append(state.model.state_dict())


def train(callbacks, epochs=6, validation=True, model=None, optimizer="gd"):
    X, y = blobs()
    model = model or ds.models.mlp([2, 8, 3], batch_norm=True, seed=0)
    history = fit(model, X, y, loss="softmax_cross_entropy", optimizer=optimizer,
                  epochs=epochs, batch_size=16, metrics=["accuracy"], callbacks=callbacks,
                  validation_data=(X, y) if validation else None, verbose=0)
    return model, history


def same_state(a, b):
    return set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)


def test_hooks_run_in_order_and_returning_true_stops():
    events = []

    class Recorder(Callback):
        def on_train_begin(self, state):
            events.append(("begin", state.epochs, state.steps_per_epoch))

        def on_epoch_begin(self, epoch, state):
            events.append(("epoch_begin", epoch))

        def on_epoch_end(self, epoch, logs, state):
            events.append(("epoch_end", epoch, sorted(logs)))
            return epoch == 1

        def on_train_end(self, state):
            events.append(("end", len(state.history)))

    _, history = train([Recorder()], epochs=5)
    keys = ["accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    assert events == [("begin", 5, 4), ("epoch_begin", 0), ("epoch_end", 0, keys),
                      ("epoch_begin", 1), ("epoch_end", 1, keys), ("end", 2)]
    assert history.epoch == [0, 1]


def test_stop_flag_on_the_state_stops_too():
    class StopAtOnce(Callback):
        def on_epoch_end(self, epoch, logs, state):
            state.stop_training = True

    _, history = train([StopAtOnce()], epochs=4)
    assert len(history) == 1


def test_early_stopping_stops_and_restores_best_weights():
    script = Scripted("val_loss", [1.0, 0.5, 0.6, 0.55, 0.7, 0.1])
    stopper = EarlyStopping(patience=2)
    model, history = train([script, stopper])
    assert history.epoch == [0, 1, 2, 3]  # best at 1; no improvement at 2 and 3: stop
    assert history["val_loss"] == [1.0, 0.5, 0.6, 0.55]
    assert stopper.best_epoch == 1 and stopper.stopped_epoch == 3 and stopper.best == 0.5
    assert same_state(model.state_dict(), script.snapshots[1])  # buffers included
    assert not same_state(model.state_dict(), script.snapshots[3])


def test_early_stopping_without_restoring_keeps_the_last_weights():
    script = Scripted("val_loss", [1.0, 0.5, 0.6, 0.55, 0.7, 0.1])
    model, _ = train([script, EarlyStopping(patience=2, restore_best_weights=False)])
    assert same_state(model.state_dict(), script.snapshots[3])


def test_early_stopping_min_delta_and_auto_max_mode():
    script = Scripted("val_loss", [1.0, 0.95, 0.92, 0.5, 0.4, 0.3])
    _, history = train([script, EarlyStopping(patience=1, min_delta=0.1)])
    assert len(history) == 2  # 0.95 is not better than 1.0 by more than 0.1
    stopper = EarlyStopping(monitor="val_accuracy", patience=1)
    assert stopper.mode == "max"
    script = Scripted("val_accuracy", [0.5, 0.7, 0.6, 0.9, 0.9, 0.9])
    _, history = train([script, stopper])
    assert len(history) == 3 and stopper.best == 0.7


def test_early_stopping_errors():
    with pytest.raises(ValueError, match="not in the epoch logs.*validation_data"):
        train([EarlyStopping()], validation=False)
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="mode should be one of"):
        EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="min_delta"):
        EarlyStopping(min_delta=-0.1)
    assert "patience=5" in repr(EarlyStopping())


def test_model_checkpoint_writes_the_best(tmp_path):
    path = tmp_path / "best.npz"
    script = Scripted("val_loss", [1.0, 0.5, 0.7, 0.4, 0.9])
    model = ds.models.mlp([2, 8, 3], batch_norm=True, seed=0)
    optimizer = ds.optim.Adam(model, 0.01)
    train([script, ModelCheckpoint(path)], epochs=5, model=model, optimizer=optimizer)
    checkpoint = load(path)
    assert checkpoint.metadata["epoch"] == 3
    assert checkpoint.metadata["logs"]["val_loss"] == 0.4
    assert same_state(checkpoint.state, script.snapshots[3])
    assert same_state(checkpoint.model.state_dict(), script.snapshots[3])
    assert checkpoint.optimizer_state["t"] == 4 * 4  # 4 epochs of 4 steps when it was written
    assert [p.name for p in tmp_path.iterdir()] == ["best.npz"]  # no temporary files left


def test_model_checkpoint_every_epoch(tmp_path):
    path = tmp_path / "last.npz"
    script = Scripted("val_loss", [1.0, 0.5, 0.7])
    model, _ = train([script, ModelCheckpoint(path, save_best_only=False,
                                              save_optimizer=False)], epochs=3)
    checkpoint = load(path)
    assert checkpoint.metadata["epoch"] == 2 and checkpoint.optimizer_state is None
    assert same_state(checkpoint.state, model.state_dict())
    with pytest.raises(ValueError, match="monitor 'val_loss'"):
        train([ModelCheckpoint(tmp_path / "x.npz")], validation=False)


def test_learning_rate_scheduler_sets_the_rate_each_epoch():
    model = ds.models.mlp([2, 8, 3], seed=0)
    optimizer = ds.optim.GD(model, 1.0)
    seen = []

    class Spy(Callback):  # after the scheduler: sees the rate the epoch will use
        def on_epoch_begin(self, epoch, state):
            seen.append(state.optimizer.learning_rate)

    _, history = train([LearningRateScheduler(exponential(0.1, 0.5)), Spy()], epochs=4,
                       model=model, optimizer=optimizer)
    assert history["lr"] == [0.1, 0.05, 0.025, 0.0125] == seen
    assert optimizer.learning_rate == 0.0125
    _, history = train([LearningRateScheduler(piecewise_constant([2], [0.2, 0.02]))], epochs=3)
    assert history["lr"] == [0.2, 0.2, 0.02]


def test_learning_rate_scheduler_errors():
    with pytest.raises(TypeError, match="schedule should be a function"):
        LearningRateScheduler(0.1)
    with pytest.raises(ValueError, match=r"schedule\(1\) should be .* > 0, got 0.0"):
        train([LearningRateScheduler(lambda epoch: 0.1 if epoch == 0 else 0.0)], epochs=3)
