"""strategy/error_analysis.py: the notes' spreadsheet of misclassified dev examples."""

import numpy as np
import pytest

from deepspec import strategy as st


def notes_spreadsheet():
    """100 misclassified dev examples tagged like the notes' table: dog 8%, great cats 43%,
    blurry 61%, incorrectly labeled 6% (an example can carry several tags)."""
    tags = [set() for _ in range(100)]
    for i in range(8):
        tags[i].add("dog")
    for i in range(8, 51):
        tags[i].add("great cat")
    for i in range(30, 91):
        tags[i].add("blurry")
    for i in range(91, 97):
        tags[i].add("incorrectly labeled")
    return tags


def test_notes_spreadsheet_counts_shares_and_ceilings():
    result = st.error_analysis(notes_spreadsheet(), dev_error=0.10)
    assert result.categories == ["blurry", "great cat", "dog", "incorrectly labeled"]
    assert [row.count for row in result.rows] == [61, 43, 8, 6]
    assert result["great cat"].share == pytest.approx(0.43)
    assert result["blurry"].ceiling == pytest.approx(0.061)
    assert result["blurry"].error_if_fixed == pytest.approx(0.039)
    # the notes' dog example: 10% dev error, 5% of errors are dogs -> 9.5% at best
    dogs = st.error_analysis([{"dog"}] * 5 + [{"other"}] * 95, dev_error=0.10)
    assert dogs["dog"].error_if_fixed == pytest.approx(0.095)
    assert result.n_errors == 100 and result.n_untagged == 3


def test_dev_error_from_n_dev_when_tags_cover_every_error():
    result = st.error_analysis(notes_spreadsheet(), n_dev=1000)
    assert result.dev_error == pytest.approx(0.1)
    assert result["dog"].ceiling == pytest.approx(0.008)       # 8 of the 1000 dev examples


def test_without_a_dev_error_there_are_no_ceilings():
    result = st.error_analysis([{"dog"}, {"dog", "blurry"}, None])
    assert result.dev_error is None and result["dog"].ceiling is None
    assert "ceiling" not in result.table()


def test_strings_are_one_category_and_duplicates_count_once():
    result = st.error_analysis(["blurry", ["dog", "dog"], ("dog", "blurry"), ""],
                               dev_error=0.2)
    assert [(row.category, row.count) for row in result.rows] == [("blurry", 2), ("dog", 2)]
    assert result.n_untagged == 1                 # "" is a blank cell: no category
    assert "untagged: 1" in str(result)


def test_ties_sort_by_name_and_the_table_prints_every_column():
    text = str(st.error_analysis([{"b", "a"}, {"c"}], dev_error=0.05))
    lines = text.splitlines()
    assert lines[0] == "Error analysis of 2 misclassified examples (dev error 5.00%)"
    assert lines[1].split() == ["category", "errors", "%", "of", "errors", "ceiling", "dev",
                                "error", "if", "fixed"]
    assert [line.split()[0] for line in lines[3:6]] == ["a", "b", "c"]
    assert lines[3].split()[1:] == ["1", "50.0%", "2.50%", "2.50%"]
    assert "need not sum to 100%" in text


def test_error_tags_from_a_boolean_tag_array():
    y_true = np.array([0, 1, 1, 0, 1])
    y_pred = np.array([1, 1, 0, 0, 0])
    table = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [0, 0]], dtype=bool)
    tags = st.error_tags(y_pred != y_true, table, categories=["dog", "blurry"])
    assert tags == [{"dog"}, {"dog", "blurry"}, set()]
    result = st.error_analysis(tags, n_dev=len(y_true))
    assert result["dog"].ceiling == pytest.approx(0.4)


def test_error_tags_from_an_array_of_entries_and_from_a_function():
    mask = np.array([True, False, True, True])
    entries = np.array(["dog", "cat", {"blurry", "dog"}, None], dtype=object)
    assert st.error_tags(mask, entries) == [{"dog"}, {"blurry", "dog"}, set()]
    assert st.error_tags(mask, np.array(["a", "b", "c", "d"])) == [{"a"}, {"c"}, {"d"}]
    seen = []

    def tag(i):
        seen.append(i)
        return "odd" if i % 2 else {"even", "blurry"}

    assert st.error_tags(mask, tag) == [{"even", "blurry"}, {"even", "blurry"}, {"odd"}]
    assert seen == [0, 2, 3]                     # called on the misclassified examples only


@pytest.mark.parametrize("call, error, message", [
    (lambda: st.error_analysis([]), ValueError, "error_analysis: tags is empty"),
    (lambda: st.error_analysis("dog"), TypeError, "error_analysis: tags should be a list"),
    (lambda: st.error_analysis([{"dog"}, 3]), TypeError,
     r"error_analysis: tags\[1\] should be a category string or an iterable"),
    (lambda: st.error_analysis([{"dog", 3}]), TypeError,
     r"error_analysis: categories should be strings, got 3 \(int\) in tags\[0\]"),
    (lambda: st.error_analysis([{"dog"}], dev_error=0.1, n_dev=10), ValueError,
     "give dev_error or n_dev, not both"),
    (lambda: st.error_analysis([{"dog"}] * 5, n_dev=3), ValueError,
     r"n_dev should be an int >= the 5 tagged errors, got 3"),
    (lambda: st.error_analysis([{"dog"}], dev_error=10), ValueError,
     r"dev_error should be a fraction in \[0, 1\], got 10.0"),
    (lambda: st.error_analysis([{"dog"}])["cat"], KeyError, "no category 'cat'"),
    (lambda: st.error_tags(np.array([1, 0]), ["a", "b"]), ValueError,
     r"error_tags: misclassified should be a 1-D boolean array \(n,\), got shape \(2,\) "
     r"dtype int64"),
    (lambda: st.error_tags(np.array([True, False]), ["a"]), ValueError,
     r"error_tags: tags should have one entry per example \(2\), got 1"),
    (lambda: st.error_tags(np.array([True]), np.ones((1, 3), bool), categories=["a", "b"]),
     ValueError, r"tags should be a boolean array of shape \(1, 2\), got shape \(1, 3\)"),
    (lambda: st.error_tags(np.array([True]), 5), TypeError,
     "error_tags: tags should be a function of the index"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
