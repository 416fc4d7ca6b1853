"""fit, evaluate, predict: learning, determinism, history, output, the NaN guard, errors."""

import numpy as np
import pytest

import deepspec as ds
from deepspec import nn
from deepspec.ops import losses
from deepspec.train import (
    History,
    TrainingDiverged,
    evaluate,
    fit,
    make_accuracy,
    predict,
    random_mini_batches,
)


def blobs(m=300, classes=3, seed=0, dtype=np.float64):
    """Well-separated Gaussian blobs: X (m, 2), y (m,) int class ids."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, m)
    angles = 2 * np.pi * np.arange(classes) / classes
    centers = 3.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return (centers[y] + 0.7 * rng.standard_normal((m, 2))).astype(dtype), y


def weights(model):
    return [p.data.copy() for p in model.parameters()]


def test_softmax_classifier_learns_blobs():
    X, y = blobs()
    model = ds.models.mlp([2, 16, 3], seed=0)
    history = fit(model, X, y, loss="softmax_cross_entropy", optimizer=ds.optim.Adam(model, 0.02),
                  epochs=15, batch_size=32, metrics=["accuracy"], verbose=0, seed=0)
    loss = history.history["loss"]
    assert loss[-1] < 0.5 * loss[0]
    assert history.history["accuracy"][-1] >= 0.95
    X_test, y_test = blobs(200, seed=1)
    assert evaluate(model, X_test, y_test, loss="softmax_cross_entropy",
                    metrics="accuracy")["accuracy"] >= 0.95


@pytest.mark.parametrize("output, loss", [("sigmoid", "binary_cross_entropy"),
                                          (None, "binary_cross_entropy_with_logits")])
def test_binary_classifier_learns(output, loss):
    X, y = blobs(classes=2, seed=3)
    Y = y[:, None].astype(np.float64)  # (m, 1), as the single sigmoid unit
    model = ds.models.mlp([2, 8, 1], hidden="tanh", output=output, seed=1)
    history = fit(model, X, Y, loss=loss, optimizer="adam", epochs=40, batch_size=16,
                  metrics=["accuracy"], validation_data=(X, Y), verbose=0)
    assert history.history["val_accuracy"][-1] >= 0.97
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_one_hot_labels_and_every_optimizer_name():
    X, y = blobs(120, seed=2)
    Y = np.eye(3)[y]
    for name in ("gd", "momentum", "rmsprop", "adam"):
        model = ds.models.mlp([2, 8, 3], seed=0)
        history = fit(model, X, Y, loss="softmax_cross_entropy", optimizer=name, epochs=3,
                      metrics=["accuracy"], verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0], name


def test_same_seed_same_weights_bit_exact():
    X, y = blobs(100)

    def run(seed):
        model = ds.models.mlp([2, 8, 8, 3], batch_norm=True, keep_prob=0.8, seed=0)
        fit(model, X, y, loss="softmax_cross_entropy", optimizer=ds.optim.Adam(model, 0.01),
            epochs=3, batch_size=16, seed=seed, verbose=0)
        return weights(model)

    first, again, other = run(5), run(5), run(6)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_fit_is_the_hand_written_loop():
    X, y = blobs(90, dtype=np.float32)
    model = ds.models.mlp([2, 8, 3], seed=0)
    fit(model, X, y, loss="softmax_cross_entropy", optimizer=ds.optim.Momentum(model, 0.1),
        epochs=2, batch_size=20, seed=3, verbose=0)

    by_hand = ds.models.mlp([2, 8, 3], seed=0)
    opt, rng = ds.optim.Momentum(by_hand, 0.1), np.random.default_rng(3)
    for _ in range(2):
        for X_b, Y_b in random_mini_batches(X, y, 20, seed=rng):
            opt.zero_grad()
            J = ds.F.softmax_cross_entropy(by_hand(ds.tensor(X_b)), Y_b)
            J.backward()
            opt.step()
    assert all(np.array_equal(a, b) for a, b in zip(weights(model), weights(by_hand)))


def test_history_contents_and_weighted_epoch_loss():
    X, y = blobs(50)
    seen = []

    def recording_loss(output, Y):
        J = ds.F.softmax_cross_entropy(output, Y)
        seen.append((float(J.data), len(Y), Y.dtype, output.dtype))
        return J

    def top_logit(output, Y):
        return float(output.max(axis=1).mean())

    model = ds.models.mlp([2, 4, 3], seed=0)
    history = fit(model, X, y, loss=recording_loss, optimizer=ds.optim.GD(model, 0.1), epochs=3,
                  batch_size=16, metrics=["accuracy", top_logit], validation_data=(X, y),
                  verbose=0)
    assert isinstance(history, History)
    assert list(history.history) == ["loss", "accuracy", "top_logit", "val_loss",
                                     "val_accuracy", "val_top_logit", "lr"]
    assert history.epoch == [0, 1, 2] and len(history) == 3
    assert all(len(v) == 3 for v in history.history.values())
    assert history.history["lr"] == [0.1, 0.1, 0.1]
    first_epoch = seen[:4]  # 50 examples in batches of 16: 16, 16, 16, 2
    assert [n for _, n, _, _ in first_epoch] == [16, 16, 16, 2]
    expected = sum(cost * n for cost, n, _, _ in first_epoch) / 50
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)
    assert seen[0][2].kind == "i"  # class ids stay integers
    assert seen[0][3] == np.float32  # float64 X is converted per batch to the model's dtype
    assert "epochs=3" in repr(history) and "val_loss=" in repr(history)
    table = history.as_table().splitlines()
    assert len(table) == 4 and table[0].split()[:3] == ["epoch", "loss", "accuracy"]
    assert table[3].split()[0] == "3"


def test_l2_shrinks_the_weights():
    X, y = blobs(100)

    def norm_after(l2):
        model = ds.models.mlp([2, 16, 3], seed=0)
        history = fit(model, X, y, loss="softmax_cross_entropy",
                      optimizer=ds.optim.GD(model, 0.1), epochs=5, l2=l2, verbose=0)
        return sum(float((p.data**2).sum()) for p in model.parameters() if p.ndim == 2), history

    plain, _ = norm_after(0.0)
    shrunk, history = norm_after(5.0)
    assert shrunk < 0.8 * plain
    assert np.all(np.isfinite(history["loss"]))


def test_verbose_levels(capsys):
    X, y = blobs(40)
    kwargs = dict(loss="softmax_cross_entropy", epochs=2, batch_size=8, metrics=["accuracy"])
    fit(ds.models.mlp([2, 4, 3], seed=0), X, y, optimizer="gd", verbose=0, **kwargs)
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    fit(ds.models.mlp([2, 4, 3], seed=0), X, y, optimizer="gd", verbose=2, **kwargs)
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2 - loss: ") and "accuracy" in out
    fit(ds.models.mlp([2, 4, 3], seed=0), X, y, optimizer="gd", verbose=1, **kwargs)
    out, err = capsys.readouterr()
    assert out == "" and "Epoch 2/2" in err and "loss=" in err


def test_full_batch_training_shows_one_bar_over_the_epochs(capsys):
    X, y = blobs(40)
    fit(ds.models.mlp([2, 4, 3], seed=0), X, y, loss="softmax_cross_entropy", optimizer="gd",
        epochs=30, batch_size=40, verbose=1)
    out, err = capsys.readouterr()
    assert out == "" and "Epoch" not in err
    assert "30/30" in err and "epoch" in err and "loss=" in err


def test_nan_cost_stops_naming_epoch_and_step():
    X, y = blobs(40)
    calls = []

    def flaky_loss(output, Y):
        calls.append(1)
        J = ds.F.softmax_cross_entropy(output, Y)
        return J * np.nan if len(calls) == 7 else J  # 5 steps an epoch: epoch 2, step 2

    model = ds.models.mlp([2, 4, 3], seed=0).eval()
    with pytest.raises(TrainingDiverged, match=r"epoch 2, step 2 of 5.*lower"):
        fit(model, X, y, loss=flaky_loss, optimizer="gd", epochs=3, batch_size=8, verbose=0)
    assert len(calls) == 7  # stopped at once
    assert model.training is False  # the model's mode is restored


def test_huge_learning_rate_diverges():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)) * 100
    Y = X @ rng.standard_normal((3, 1))
    model = ds.models.mlp([3, 8, 1], seed=0)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="learning rate"):
        fit(model, X, Y, loss="mse", optimizer=ds.optim.GD(model, 1e6), epochs=5, verbose=0)


def test_predict_and_evaluate_run_in_eval_mode():
    X, y = blobs(30)
    model = ds.models.mlp([2, 8, 3], keep_prob=0.5, seed=0)
    with ds.no_grad():
        expected = model.eval()(ds.tensor(X.astype(np.float32))).data
    model.train()
    out = predict(model, X, batch_size=7)
    assert out.shape == (30, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)  # dropout off
    np.testing.assert_array_equal(out, predict(model, X))
    assert model.training is True  # mode restored
    scores = evaluate(model, X, y, loss="softmax_cross_entropy", metrics=["accuracy"],
                      batch_size=8)
    assert set(scores) == {"loss", "accuracy"}
    full = float(ds.F.softmax_cross_entropy(ds.tensor(expected), y).data)
    assert scores["loss"] == pytest.approx(full, rel=1e-5)
    assert scores["accuracy"] == np.mean(expected.argmax(1) == y)


def test_accuracy_thresholds_and_label_forms():
    logits = np.array([[-1.0], [0.2], [3.0], [-0.1]])
    Y = np.array([[0.0], [1.0], [1.0], [1.0]])
    assert make_accuracy("binary_cross_entropy_with_logits")(logits, Y) == 0.75
    assert make_accuracy(losses.binary_cross_entropy_with_logits)(logits, Y.ravel()) == 0.75
    probs = np.array([0.1, 0.4, 0.9, 0.6])
    assert make_accuracy("binary_cross_entropy")(probs, np.array([0, 1, 1, 1])) == 0.75
    scores = np.array([[2.0, 1.0, 0.0], [0.0, 0.5, 0.1], [0.0, 0.1, 0.2]])
    assert make_accuracy()(scores, np.array([0, 1, 0])) == pytest.approx(2 / 3)
    assert make_accuracy()(scores, np.eye(3)[[0, 1, 2]]) == 1.0
    with pytest.raises(ValueError, match="accuracy: labels"):
        make_accuracy()(scores, np.zeros((3, 2)))


def test_bad_arguments_fail_early_with_clear_messages():
    X, y = blobs(20)
    model = ds.models.mlp([2, 4, 3], seed=0)
    ok = dict(loss="softmax_cross_entropy", optimizer="gd", verbose=0)
    with pytest.raises(ValueError, match=r"X \(20, 2\) and Y \(19,\)"):
        fit(model, X, y[:19], **ok)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        fit(model, X, y, loss="hinge", optimizer="gd")
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'.*adam"):
        fit(model, X, y, loss="mse", optimizer="sgd")
    with pytest.raises(TypeError, match="optimizer should be"):
        fit(model, X, y, loss="mse", optimizer=0.1)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, X, y, metrics=["f1"], **ok)
    with pytest.raises(ValueError, match="unknown metric"):
        evaluate(model, X, y, loss="mse", metrics="auc")
    with pytest.raises(ValueError, match="validation_data"):
        fit(model, X, y, validation_data=X, **ok)
    with pytest.raises(ValueError, match=r"validation_data.*\(20, 2\) and Y \(3,\)"):
        fit(model, X, y, validation_data=(X, y[:3]), **ok)
    with pytest.raises(TypeError, match="Callback"):
        fit(model, X, y, callbacks=[print], **ok)
    with pytest.raises(TypeError, match="Module"):
        fit(lambda A: A, X, y, **ok)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, X, y, epochs=-1, **ok)
    with pytest.raises(ValueError, match="verbose"):
        fit(model, X, y, loss="mse", optimizer="gd", verbose=3)
    with pytest.raises(ValueError, match="no examples"):
        fit(model, X[:0], y[:0], **ok)
    with pytest.raises(ValueError, match="scalar cost"):
        fit(model, X, y, loss=lambda A, Y: ds.F.softmax_cross_entropy(A, Y, reduction="none"),
            optimizer="gd", verbose=0)
    with pytest.raises(ValueError, match=r"Dense\(2 -> 4\)"):
        predict(model, np.zeros((5, 3)))


def test_custom_module_and_float64_model():
    class Linear(nn.Module):
        def __init__(self):
            self.dense = nn.Dense(2, 3, seed=0)

        def forward(self, A):
            return self.dense(A)

    X, y = blobs(60)
    model = Linear().astype("float64")
    history = fit(model, X, y, loss="softmax_cross_entropy", optimizer="adam", epochs=2,
                  verbose=0)
    assert model.dense.W.dtype == np.float64 and predict(model, X).dtype == np.float64
    assert history.history["loss"][1] < history.history["loss"][0]
