"""strategy/diagnose.py: the notes' bias / variance / data mismatch tables, number for number."""

import numpy as np
import pytest

from deepspec import strategy as st
from deepspec.strategy.diagnose import NEXT_STEPS


def approx(value):
    return pytest.approx(value, abs=1e-12)


def test_notes_high_avoidable_bias():
    # human 1%, training 8%, dev 10%: the bias is worth fixing first
    d = st.diagnose(human_error=0.01, train_error=0.08, dev_error=0.10)
    assert d.avoidable_bias == approx(0.07)
    assert d.variance == approx(0.02)                          # dev - train (no train-dev)
    assert d.data_mismatch is None and d.dev_overfitting is None
    assert d.largest == "avoidable_bias"
    assert d.next_steps[0] == "Train bigger model"
    assert list(d.gaps) == ["avoidable_bias", "variance"]


def test_notes_variance_when_humans_are_worse():
    # the same errors with human-level 7.5%: avoidable bias 0.5% < variance 2%
    d = st.diagnose(human_error=0.075, train_error=0.08, dev_error=0.10)
    assert d.avoidable_bias == approx(0.005)
    assert d.largest == "variance"
    assert "More data" in d.next_steps
    assert any("Regularization" in step for step in d.next_steps)


def test_notes_variance_with_a_training_dev_set():
    # training 1%, training-dev 9%, dev 10%: "Variance error!"
    d = st.diagnose(human_error=0.0, train_error=0.01, train_dev_error=0.09, dev_error=0.10)
    assert d.variance == approx(0.08)
    assert d.data_mismatch == approx(0.01)
    assert d.largest == "variance"


def test_notes_data_mismatch():
    # training 1%, training-dev 1.5%, dev 10%: "Data mismatch problem!"
    d = st.diagnose(human_error=0.0, train_error=0.01, train_dev_error=0.015, dev_error=0.10)
    assert d.variance == approx(0.005)
    assert d.data_mismatch == approx(0.085)
    assert d.largest == "data_mismatch"
    assert any("error analysis" in step for step in d.next_steps)
    assert any("Artificial data synthesis" in step for step in d.next_steps)


def test_notes_key_quantities_table_and_overfitting_to_dev():
    # human 0%, training 10%, training-dev 11%, dev 12%, (test 20%: overtuned to dev)
    d = st.diagnose(human_error=0.0, train_error=0.10, train_dev_error=0.11, dev_error=0.12,
                    test_error=0.20)
    assert (d.avoidable_bias, d.variance, d.data_mismatch, d.dev_overfitting) == (
        approx(0.10), approx(0.01), approx(0.01), approx(0.08))
    assert d.largest == "avoidable_bias"
    assert list(d.advice()) == ["avoidable_bias", "dev_overfitting", "variance",
                                "data_mismatch"]
    assert d.advice()["dev_overfitting"] == NEXT_STEPS["dev_overfitting"]
    assert "bigger dev set" in NEXT_STEPS["dev_overfitting"][0]


def test_human_levels_take_the_best_as_the_bayes_proxy():
    # the medical example: typical human 3%, typical doctor 1%, experienced doctor 0.7%,
    # team of experienced doctors 0.5% -> human-level is 0.5%
    levels = {"typical human": 0.03, "typical doctor": 0.01, "experienced doctor": 0.007,
              "team of experienced doctors": 0.005}
    d = st.diagnose(human_error=levels, train_error=0.007, dev_error=0.008)
    assert d.human_error == 0.005 and d.human_level == "team of experienced doctors"
    assert d.avoidable_bias == approx(0.002)
    assert d.variance == approx(0.001)
    assert d.largest == "avoidable_bias"
    assert "team of experienced doctors" in str(d)


def test_surpassing_human_level_performance_is_flagged():
    # team of humans 0.5%, training 0.3%, dev 0.4%: avoidable bias is unclear
    d = st.diagnose(human_error=0.005, train_error=0.003, dev_error=0.004)
    assert d.avoidable_bias == approx(-0.002)
    assert d.largest == "variance"
    assert any("below human-level" in remark for remark in d.remarks)


def test_no_positive_gap_has_no_largest():
    d = st.diagnose(human_error=0.02, train_error=0.02, dev_error=0.02)
    assert d.largest is None and d.next_steps == () and d.advice() == {}
    assert "No positive gap" in str(d)


def test_dev_easier_than_training_dev_is_flagged():
    d = st.diagnose(human_error=0.0, train_error=0.05, train_dev_error=0.08, dev_error=0.06)
    assert d.data_mismatch == approx(-0.02)
    assert any("easier" in remark for remark in d.remarks)


def test_report_lists_levels_gaps_and_steps():
    text = str(st.diagnose(human_error=0.0, train_error=0.01, train_dev_error=0.015,
                           dev_error=0.10, test_error=0.11))
    for expected in ("training-dev", "1.50%", "10.00%", "data mismatch", "8.50%",
                     "<- largest", "Largest gap: data mismatch", "dev - training-dev",
                     "test - dev"):
        assert expected in text, expected
    lines = text.splitlines()
    assert [line for line in lines if "<- largest" in line][0].startswith("data mismatch")


def test_accepts_numpy_numbers():
    d = st.diagnose(human_error=np.float32(0.01), train_error=np.float64(0.08),
                    dev_error=np.float64(0.1))
    assert isinstance(d.train_error, float) and d.largest == "avoidable_bias"


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(human_error=0.01, train_error=8, dev_error=0.1), ValueError,
     r"diagnose: train_error should be a fraction in \[0, 1\] \(0.08 for 8%\), got 8.0"),
    (dict(human_error=-0.01, train_error=0.08, dev_error=0.1), ValueError,
     r"diagnose: human_error should be a fraction in \[0, 1\]"),
    (dict(human_error=0.01, train_error=0.08, dev_error=float("nan")), ValueError,
     r"diagnose: dev_error should be a fraction in \[0, 1\].*got nan"),
    (dict(human_error=0.01, train_error="8%", dev_error=0.1), TypeError,
     r"diagnose: train_error should be a number.*got str"),
    (dict(human_error=0.01, train_error=True, dev_error=0.1), TypeError,
     r"diagnose: train_error should be a number.*got bool"),
    (dict(human_error=0.01, train_error=0.08, dev_error=0.1, test_error=1.5), ValueError,
     r"diagnose: test_error should be a fraction"),
    (dict(human_error=0.01, train_error=0.08, dev_error=None), ValueError,
     r"diagnose: dev_error is required"),
    (dict(human_error={}, train_error=0.08, dev_error=0.1), ValueError,
     r"diagnose: human_error should be a number or a non-empty mapping"),
    (dict(human_error={"doctor": 3}, train_error=0.08, dev_error=0.1), ValueError,
     r"diagnose: human_error\['doctor'\] should be a fraction"),
])
def test_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        st.diagnose(**kwargs)


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        st.diagnose(0.01, 0.08, 0.1)
