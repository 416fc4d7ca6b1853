"""The edge-detection recipe: the notes' 6x6 worked example, the filters on the camera photo,
the output-size formula, the plot and the command line."""

import json
import sys

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from deepspec.cli import main
from deepspec.recipes import RECIPES
from deepspec.recipes import edge_detection as recipe


@pytest.fixture(scope="module")
def plotted(tmp_path_factory):
    path = tmp_path_factory.mktemp("edges") / "edges.png"
    return recipe.run(quiet=True, plot=str(path)), path


def correlate(image, F):
    """The notes' convolution (cross-correlation, valid) by windows: an independent reference."""
    return np.einsum("hwij,ij->hw", sliding_window_view(image, F.shape), F)


def test_the_worked_example_is_the_notes_numbers(plotted):
    results, _ = plotted
    assert results["worked_example_exact"] is True
    assert results["worked_example"] == [[0, 30, 30, 0]] * 4
    assert results["worked_example_flipped"] == [[0, -30, -30, 0]] * 4
    np.testing.assert_array_equal(results["numbers_example"],
                                  correlate(recipe.NUMBERS, recipe.VERTICAL))
    np.testing.assert_array_equal(results["horizontal_example"],
                                  correlate(recipe.CHECKER, recipe.VERTICAL.T))
    # where the notes' text prints a number without its minus sign: (row, column, printed, sum)
    assert results["notes_misprints"] == {
        "numbers_example": [[2, 2, 4, -4], [3, 2, 3, -3]],
        "horizontal_example": [[1, 3, 30, -30], [2, 3, 30, -30]]}


def test_the_filters_on_the_photo(plotted):
    results, _ = plotted
    photo = recipe.load_photo()
    assert photo.shape == (512, 512) and photo.dtype == np.float64
    assert 0 <= photo.min() and photo.max() <= 1
    Z = recipe.convolve([photo], [recipe.SOBEL, recipe.SCHARR.T])[0]
    np.testing.assert_allclose(Z[..., 0], correlate(photo, recipe.SOBEL), atol=1e-12)
    np.testing.assert_allclose(Z[..., 1], correlate(photo, recipe.SCHARR.T), atol=1e-12)
    filters = results["filters"]
    assert list(filters) == list(recipe.FILTERS)
    sobel = filters["sobel-vertical"]
    assert sobel["filter"] == [[1, 0, -1], [2, 0, -2], [1, 0, -1]]
    assert sobel["mean_abs"] == pytest.approx(np.abs(Z[..., 0]).mean(), abs=1e-6)
    assert sobel["mean_abs_per_unit_step"] == pytest.approx(sobel["mean_abs"] / 4, abs=1e-6)
    assert filters["horizontal"]["filter"] == [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]
    # each filter responds several times more to edges of its own orientation
    for name, r in filters.items():
        assert r["selectivity"] > 2, name
    assert min(results["edge_pixels"].values()) > 1000


def test_output_sizes_follow_the_formula(plotted):
    results, _ = plotted
    assert results["output_sizes_agree"] is True
    sizes = {(r["n"], r["p"], r["s"]): r["conv2d"] for r in results["output_sizes"]}
    assert sizes[(512, 0, 1)] == [510, 510] and sizes[(512, 1, 1)] == [512, 512]
    assert sizes[(512, 1, 2)] == [256, 256] and sizes[(512, 0, 2)] == [255, 255]
    assert sizes[(6, 0, 1)] == [4, 4] and sizes[(6, 1, 1)] == [6, 6] and sizes[(7, 0, 2)] == [3, 3]


def test_the_plot_is_written(plotted):
    _, path = plotted
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 50_000


def test_the_recipe_is_registered_and_needs_no_data():
    r = RECIPES["edge-detection"]
    assert r.fast and r.data == () and r.metric == "worked_example_exact"
    results = {"worked_example_exact": True, "filters": {"vertical": {"selectivity": 5.52}}}
    assert r.format(results) == "6x6 exact; selectivity 5.5x"


def test_cli_run_json(capsys):
    assert main(["run", "edge-detection", "--json"]) == 0
    out, err = capsys.readouterr()
    results = json.loads(out)
    assert results["recipe"] == "edge-detection"
    assert results["worked_example_exact"] is True
    assert results["course"] == RECIPES["edge-detection"].course
    assert "sobel-vertical" in err and "formula 510" in err  # the table, sent to stderr


def test_epochs_and_save_are_refused(capsys):
    with pytest.raises(ValueError, match="edge-detection trains nothing: --epochs"):
        recipe.run(epochs=3, quiet=True)
    assert main(["run", "edge-detection", "--save", "model.npz"]) == 2
    assert "there is no model to --save" in capsys.readouterr().err


def test_missing_optional_packages_are_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "skimage", None)
    with pytest.raises(ImportError, match=r"pip install deepspec\[data\]"):
        recipe.load_photo()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ValueError, match=r"--plot needs matplotlib: pip install deepspec\[plot\]"):
        recipe.run(quiet=True, plot="edges.png")
