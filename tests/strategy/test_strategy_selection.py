"""strategy/selection.py: one optimizing metric, the others satisficing."""

import numpy as np
import pytest

from deepspec import strategy as st

# the notes' table: maximize accuracy subject to running time <= 100 ms
NOTES = {"A": {"accuracy": 0.90, "running_time_ms": 80},
         "B": {"accuracy": 0.92, "running_time_ms": 95},
         "C": {"accuracy": 0.95, "running_time_ms": 150}}
LIMIT = {"running_time_ms": ("<=", 100)}


def test_notes_example_picks_b():
    result = st.select_model(NOTES, optimize="accuracy", satisficing=LIMIT)
    assert result.best == "B" and result.metrics["accuracy"] == 0.92
    assert [c.qualifies for c in result.candidates] == [True, True, False]
    assert result.candidates[2].failures == ("running_time_ms <= 100 (has 150)",)


def test_without_constraints_the_optimizing_metric_alone_decides():
    assert st.select_model(NOTES).best == "C"


def test_a_list_of_dicts_named_by_key_or_index():
    listed = [{"name": "A", **NOTES["A"]}, {"name": "B", **NOTES["B"]}, NOTES["C"]]
    assert st.select_model(listed, satisficing=LIMIT).best == "B"
    assert st.select_model(listed).best == "2"          # unnamed: its index


def test_minimize_and_several_constraints():
    # voice device: minimize error subject to <= 1 false positive per 24 hours and <= 100 ms
    models = [{"name": "small", "error": 0.08, "false_positives_24h": 0.5, "ms": 20},
              {"name": "big", "error": 0.03, "false_positives_24h": 2.0, "ms": 90},
              {"name": "mid", "error": 0.05, "false_positives_24h": 1.0, "ms": 60},
              {"name": "slow", "error": 0.02, "false_positives_24h": 0.1, "ms": 300}]
    result = st.select_model(models, optimize="error", maximize=False,
                             satisficing={"false_positives_24h": ("<=", 1), "ms": ("<", 100)})
    assert result.best == "mid"
    failures = {c.name: c.failures for c in result.candidates}
    assert failures["big"] == ("false_positives_24h <= 1 (has 2)",)
    assert failures["slow"] == ("ms < 100 (has 300)",)


def test_ties_go_to_the_first_and_numpy_numbers_work():
    models = {"x": {"accuracy": np.float32(0.5)}, "y": {"accuracy": np.float64(0.5)}}
    assert st.select_model(models).best == "x"


def test_table_marks_the_winner_and_each_failure():
    text = str(st.select_model(NOTES, satisficing=LIMIT))
    lines = text.splitlines()
    assert lines[0] == "maximize accuracy subject to running_time_ms <= 100"
    assert lines[1].split() == ["model", "accuracy", "running_time_ms", "satisficing"]
    assert lines[4].split()[:4] == ["B", "*", "0.92", "95"]
    assert lines[5].endswith("fails running_time_ms <= 100 (has 150)")
    assert lines[-1] == "* selected: B"


@pytest.mark.parametrize("call, error, message", [
    (lambda: st.select_model(NOTES, satisficing={"running_time_ms": ("<=", 10)}), ValueError,
     r"select_model: no candidate meets every satisficing constraint: A fails "
     r"running_time_ms <= 10 \(has 80\); B fails .*; C fails running_time_ms <= 10 \(has 150\)"),
    (lambda: st.select_model(NOTES, optimize="f1"), ValueError,
     r"select_model: candidate 'A' has no optimizing metric 'f1'; its metrics are "
     r"\['accuracy', 'running_time_ms'\]"),
    (lambda: st.select_model(NOTES, satisficing={"memory_mb": ("<=", 10)}), ValueError,
     r"candidate 'A' has no satisficing metric 'memory_mb'"),
    (lambda: st.select_model(NOTES, satisficing={"running_time_ms": ("=<", 100)}), ValueError,
     r"satisficing\['running_time_ms'\] should be \(operator, threshold\) with operator in"),
    (lambda: st.select_model(NOTES, satisficing={"running_time_ms": 100}), ValueError,
     r"should be \(operator, threshold\)"),
    (lambda: st.select_model(NOTES, satisficing=[("running_time_ms", "<=", 100)]), TypeError,
     "satisficing should be a dict"),
    (lambda: st.select_model({}), ValueError, "select_model: candidates is empty"),
    (lambda: st.select_model("A"), TypeError, "candidates should be a list of metric dicts"),
    (lambda: st.select_model([0.9, 0.8]), TypeError,
     r"the metrics of candidate '0' should be a dict, got float"),
    (lambda: st.select_model([{"name": "a", "accuracy": 1}, {"name": "a", "accuracy": 2}]),
     ValueError, r"candidate names should be unique, got \['a', 'a'\]"),
    (lambda: st.select_model({"a": {"accuracy": float("nan")}}), ValueError,
     "accuracy of candidate 'a' should be a number, got nan"),
    (lambda: st.select_model({"a": {"accuracy": 1, "ms": None}}, satisficing={"ms": ("<", 1)}),
     TypeError, r"cannot compare ms of candidate 'a' \(None\) with 1"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
