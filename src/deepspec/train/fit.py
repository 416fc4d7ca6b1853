"""The training loop: mini-batch gradient descent with any optimizer.   notes §2.4.1

``fit`` is this loop, bit for bit (a test holds them equal):

    rng = numpy.random.default_rng(seed)
    for epoch in range(epochs):
        for X_b, Y_b in random_mini_batches(X, Y, batch_size, seed=rng):
            optimizer.zero_grad()
            J = loss(model(Tensor(X_b)), Y_b)
            J.backward()
            optimizer.step()

plus bookkeeping: a per-epoch cost (the example-weighted mean of the batch costs), metrics,
validation, callbacks, a progress bar and a guard against a diverging cost.
"""

from __future__ import annotations

import math
import sys

import numpy as np
from tqdm import tqdm

from ..backend import get_default_dtype
from ..backend import rng as make_rng
from ..nn.module import Module
from ..ops import losses
from ..optim import GD, Adam, Momentum, Optimizer, RMSprop, l2_penalty
from ..tensor import Tensor, no_grad
from .batches import as_array, check_batches, iter_mini_batches, num_batches
from .callbacks import Callback, FitState
from .history import History

OPTIMIZERS = {"gd": GD, "momentum": Momentum, "rmsprop": RMSprop, "adam": Adam}


class TrainingDiverged(FloatingPointError):
    """The cost became NaN or infinite during ``fit``."""


# ---- metrics ----------------------------------------------------------------------------------
def _loss_name(loss) -> str | None:
    if isinstance(loss, str):
        return loss
    return next((name for name, fn in losses.LOSSES.items() if fn is loss), None)


def make_accuracy(loss=None):
    """Accuracy ``(output, Y) -> float`` for the outputs a loss expects.

    Several columns (softmax probabilities or logits): the argmax against class ids or
    one-hot rows. One column or none (binary): the threshold is 0 for the logits of
    ``binary_cross_entropy_with_logits`` and 0.5 (probabilities) for any other loss.
    ``multi_task_binary_cross_entropy``: each (example, task) entry with a label is its own
    binary decision (logit > 0), unlabeled (NaN) entries left out.
    """
    if _loss_name(loss) == "multi_task_binary_cross_entropy":
        from ..strategy.multitask import multi_task_accuracy

        return lambda output, Y: multi_task_accuracy(np.asarray(output), np.asarray(Y))
    threshold = 0.0 if _loss_name(loss) == "binary_cross_entropy_with_logits" else 0.5

    def accuracy(output, Y) -> float:
        A, Y = np.asarray(output), np.asarray(Y)
        if A.ndim >= 2 and A.shape[-1] > 1:
            predicted = A.argmax(axis=-1)
            if Y.shape == A.shape:
                Y = Y.argmax(axis=-1)
            elif Y.shape != A.shape[:-1]:
                raise ValueError(f"accuracy: labels should have shape {A.shape[:-1]} (class "
                                 f"ids) or {A.shape} (one-hot), got {Y.shape}")
            return float(np.mean(predicted == Y))
        if Y.size != A.size or Y.shape[:1] != A.shape[:1]:
            raise ValueError(f"accuracy: binary labels should have the outputs' shape "
                             f"{A.shape}, got {Y.shape}")
        return float(np.mean((A.reshape(Y.shape) > threshold) == (Y > 0.5)))

    return accuracy


METRICS = {"accuracy": make_accuracy}


def resolve_metrics(metrics, loss, owner: str) -> dict:
    """Name -> function ``(output array, Y array) -> float`` from names and callables."""
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    resolved = {}
    for metric in metrics:
        if isinstance(metric, str):
            if metric not in METRICS:
                raise ValueError(f"{owner}: unknown metric {metric!r}; choose one of "
                                 f"{sorted(METRICS)} or pass a callable(output, Y) -> float")
            name, fn = metric, METRICS[metric](loss)
        elif callable(metric):
            name, fn = getattr(metric, "__name__", type(metric).__name__), metric
        else:
            raise TypeError(f"{owner}: a metric should be a name or a callable, "
                            f"got {type(metric).__name__}")
        if name in resolved or name in ("loss", "lr") or name.startswith("val_"):
            raise ValueError(f"{owner}: metric name {name!r} is taken or reserved")
        resolved[name] = fn
    return resolved


# ---- helpers ------------------------------------------------------------------------------------
def _check_model(model, owner: str) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"{owner}: model should be a deepspec Module, got {type(model).__name__}")


def _input_dtype(model):
    """The dtype batches are converted to: the model's parameters', else the default."""
    return next((p.data.dtype for p in model.parameters() if p.data.dtype.kind == "f"),
                get_default_dtype())


def _optimizer(optimizer, model) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"fit: unknown optimizer {optimizer!r}; choose one of "
                             f"{sorted(OPTIMIZERS)} or pass a deepspec.optim.Optimizer")
        return OPTIMIZERS[optimizer](model)
    raise TypeError(f"fit: optimizer should be a deepspec.optim.Optimizer or a name, "
                    f"got {type(optimizer).__name__}")


def _cost(J, owner: str) -> float:
    data = J.data if isinstance(J, Tensor) else np.asarray(J)
    if data.size != 1:
        raise ValueError(f"{owner}: the loss should be a scalar cost, got shape {data.shape} "
                         f"(use reduction='mean')")
    return float(data.reshape(()))


def _data(X, Y, owner: str):
    X = as_array(X, owner, "X")
    Y = as_array(Y, owner, "Y")
    if check_batches(X, Y, 1, owner) == 0:
        raise ValueError(f"{owner}: X and Y hold no examples (m = 0)")
    return X, Y


def _format(logs: dict) -> str:
    return " - ".join(f"{name}: {value:.4g}" for name, value in logs.items())


# ---- fit --------------------------------------------------------------------------------------
def fit(model, X, Y, *, loss, optimizer, epochs: int = 1, batch_size: int = 32,
        validation_data=None, callbacks=(), metrics=(), shuffle: bool = True, seed=0,
        verbose: int = 1, l2: float = 0.0, augment=None) -> History:
    """Train ``model`` on (X, Y) with mini-batches for ``epochs`` epochs.   notes §2.4.1

    Args:
        model: a deepspec Module; ``fit`` runs it in training mode and restores its mode.
        X, Y: arrays with examples on the first axis (m, ...). Batches of X become Tensors
            in the model's dtype; Y batches are passed to the loss as arrays (class ids stay
            integers).
        loss: "softmax_cross_entropy", "binary_cross_entropy",
            "binary_cross_entropy_with_logits", "mse", or a callable(output, Y) -> cost.
        optimizer: a ``deepspec.optim.Optimizer``, or "gd", "momentum", "rmsprop", "adam"
            (default hyperparameters, on ``model.parameters()``).
        validation_data: (X_val, Y_val), evaluated after each epoch into ``val_*`` logs.
        callbacks: ``Callback`` instances (``EarlyStopping``, ``ModelCheckpoint``, ...).
        metrics: names ("accuracy") or callables(output array, Y array) -> float. On the
            training batches they are the example-weighted mean over the epoch.
        shuffle, seed: reshuffle each epoch with a permutation drawn from
            ``numpy.random.default_rng(seed)`` (int or Generator): same seed, same run.
        verbose: 0 silent, 1 a progress bar per epoch (one over all epochs when each
            epoch is a single full batch), 2 one line per epoch.
        l2: lambd > 0 adds the notes' L2 cost lambd/(2 m_batch) sum ||W||_F^2 (§2.2.1),
            included in "loss" (not in "val_loss").
        augment: a callable ``(X_batch, rng) -> X_batch`` applied to each training batch
            (e.g. ``deepspec.data.augment.Compose([RandomFlip(), RandomCrop(28, padding=2)])``);
            its randomness comes from fit's seeded Generator, so runs repeat exactly.

    Returns a ``History``. Raises ``TrainingDiverged`` (a ``FloatingPointError``) as soon
    as a batch cost is NaN or infinite.
    """
    _check_model(model, "fit")
    X, Y = _data(X, Y, "fit")
    m = check_batches(X, Y, batch_size, "fit")
    loss_fn = losses.get(loss)
    optimizer = _optimizer(optimizer, model)
    metric_fns = resolve_metrics(metrics, loss, "fit")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs should be an int >= 0, got {epochs!r}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"fit: verbose should be 0, 1 or 2, got {verbose!r}")
    if not l2 >= 0:
        raise ValueError(f"fit: l2 should be >= 0, got {l2}")
    if augment is not None and not callable(augment):
        raise TypeError(f"fit: augment should be a callable (X, rng) -> X, got "
                        f"{type(augment).__name__}")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("fit: validation_data should be a pair (X_val, Y_val)")
        validation_data = _data(*validation_data, "fit (validation_data)")
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks should be Callback instances, got "
                            f"{type(cb).__name__}")

    dtype, rng, steps = _input_dtype(model), make_rng(seed), num_batches(m, batch_size)
    history = History()
    state = FitState(model=model, optimizer=optimizer, history=history, epochs=epochs,
                     steps_per_epoch=steps,
                     params={"m": m, "batch_size": batch_size, "shuffle": shuffle, "l2": l2,
                             "augment": augment})
    was_training = model.training
    # full-batch training (one step an epoch, as in the course's first networks) gets one
    # bar over the epochs; mini-batch training gets one bar per epoch, over its batches
    one_bar = tqdm(total=epochs, desc="Training", unit="epoch", file=sys.stderr,
                   disable=verbose != 1 or steps > 1)
    try:
        for cb in callbacks:
            cb.on_train_begin(state)
        for epoch in range(epochs):
            state.epoch = epoch
            for cb in callbacks:
                cb.on_epoch_begin(epoch, state)
            bar = tqdm(total=steps, desc=f"Epoch {epoch + 1}/{epochs}", unit="batch",
                       disable=verbose != 1 or steps == 1, file=sys.stderr)
            try:
                logs = _train_epoch(model, X, Y, loss_fn, optimizer, metric_fns, state, dtype,
                                    rng, bar)
                if validation_data is not None:
                    scores = _evaluate(model, *validation_data, loss_fn, metric_fns, 256, dtype)
                    logs.update({f"val_{name}": value for name, value in scores.items()})
                logs["lr"] = logs.pop("lr")  # last, after the val_ entries
                bar.set_postfix({name: f"{value:.4g}" for name, value in logs.items()})
                if not one_bar.disable:
                    one_bar.set_postfix({name: f"{value:.4g}" for name, value in logs.items()},
                                        refresh=False)
                    one_bar.update(1)
            finally:
                bar.close()
            if verbose == 2:
                print(f"Epoch {epoch + 1}/{epochs} - {_format(logs)}", file=sys.stdout)
            for cb in callbacks:
                if cb.on_epoch_end(epoch, logs, state):
                    state.stop_training = True
            history.record(epoch, logs)
            if state.stop_training:
                break
        for cb in callbacks:
            cb.on_train_end(state)
    finally:
        one_bar.close()
        model.train(was_training)
    return history


def _train_epoch(model, X, Y, loss_fn, optimizer, metric_fns, state, dtype, rng, bar) -> dict:
    """One pass over the shuffled data; the example-weighted means of costs and metrics."""
    model.train()
    batch_size, shuffle, l2, augment = (state.params[k]
                                        for k in ("batch_size", "shuffle", "l2", "augment"))
    learning_rate = optimizer.learning_rate
    batches = iter_mini_batches(X, Y, batch_size, shuffle=shuffle, seed=rng, owner="fit")
    totals = dict.fromkeys(["loss", *metric_fns], 0.0)
    seen = 0
    for step, (X_b, Y_b) in enumerate(batches, start=1):
        m_b = len(X_b)
        optimizer.zero_grad()
        if augment is not None:  # training batches only, drawn from fit's own Generator
            X_b = augment(X_b, rng)
        output = model(Tensor(X_b, dtype=dtype))
        J = loss_fn(output, Y_b)
        if not isinstance(J, Tensor):
            raise TypeError(f"fit: the loss should return a scalar Tensor, "
                            f"got {type(J).__name__}")
        if l2:
            J = J + l2_penalty(model, l2, m_b)
        cost = _cost(J, "fit")
        if not math.isfinite(cost):
            raise TrainingDiverged(
                f"fit: the cost became {cost} at epoch {state.epoch + 1}, step {step} of "
                f"{state.steps_per_epoch}; the learning rate ({learning_rate:g}) is "
                f"probably too high: try a lower one (or clip the gradients)")
        J.backward()
        optimizer.step()
        seen += m_b
        totals["loss"] += cost * m_b
        for name, fn in metric_fns.items():
            totals[name] += float(fn(output.data, Y_b)) * m_b
        bar.set_postfix(loss=f"{totals['loss'] / seen:.4f}", refresh=False)
        bar.update(1)
    logs = {name: total / seen for name, total in totals.items()}
    logs["lr"] = learning_rate
    return logs


# ---- evaluate and predict -----------------------------------------------------------------------
def _evaluate(model, X, Y, loss_fn, metric_fns, batch_size, dtype) -> dict:
    was_training = model.training
    model.eval()
    total, outputs = 0.0, []
    try:
        with no_grad():
            for X_b, Y_b in iter_mini_batches(X, Y, batch_size, shuffle=False, owner="evaluate"):
                output = model(Tensor(X_b, dtype=dtype))
                total += _cost(loss_fn(output, Y_b), "evaluate") * len(X_b)
                if metric_fns:
                    outputs.append(output.data)
    finally:
        model.train(was_training)
    scores = {"loss": total / len(X)}
    if metric_fns:
        output = np.concatenate(outputs)
        scores.update({name: float(fn(output, Y)) for name, fn in metric_fns.items()})
    return scores


def evaluate(model, X, Y, *, loss, metrics=(), batch_size: int = 256) -> dict:
    """The loss and metrics on (X, Y), in eval mode under ``no_grad`` (mode restored after).

    The loss is the example-weighted mean of batch costs; metrics are computed on all the
    outputs at once. Returns ``{"loss": ..., metric name: ...}``.
    """
    _check_model(model, "evaluate")
    X, Y = _data(X, Y, "evaluate")
    check_batches(X, Y, batch_size, "evaluate")
    loss_fn = losses.get(loss)
    metric_fns = resolve_metrics(metrics, loss, "evaluate")
    return _evaluate(model, X, Y, loss_fn, metric_fns, batch_size, _input_dtype(model))


def predict(model, X, batch_size: int = 256):
    """The model's outputs on X as one array, in eval mode under ``no_grad``."""
    _check_model(model, "predict")
    X = as_array(X, "predict", "X")
    check_batches(X, None, batch_size, "predict")
    dtype, outputs = _input_dtype(model), []
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for X_b in iter_mini_batches(X, None, batch_size, shuffle=False, owner="predict"):
                outputs.append(model(Tensor(X_b, dtype=dtype)).data)
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("predict: X holds no examples (m = 0)")
    return np.concatenate(outputs)
