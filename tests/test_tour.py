"""`deepspec tour`, `deepspec info` and the recipe command line, on small stand-in recipes."""

import json
import os
import subprocess
import sys

import pytest

from deepspec import cli, tour
from deepspec.info import format_info, info
from deepspec.recipes import RECIPES, Option, Recipe


def _quick(seed=0, epochs=None, quiet=False, save=None, plot=None, *, scale: float = 1.0):
    if plot is not None:
        with open(plot, "wb") as f:
            f.write(b"\x89PNG stand-in")
    return {"accuracy": 0.5 + 0.001 * seed * scale, "epochs": epochs}


def _broken(seed=0, epochs=None, quiet=False, save=None, plot=None):
    raise RuntimeError("the experiment fell over")


QUICK = Recipe(name="quick", run=_quick, summary="a stand-in", metric="accuracy",
               course="about 50% | a pipe in the text", fast=True,
               headline=lambda r: f"{100 * r['accuracy']:.1f}%",
               options=(Option("scale", float, 1.0, "a stand-in option"),))
BROKEN = Recipe(name="broken", run=_broken, summary="fails", metric="accuracy",
                course="-", fast=True)
NEEDS_DATA = Recipe(name="needs-data", run=_quick, summary="reads a data set",
                    metric="accuracy", course="-", fast=True, data=("names",))


@pytest.fixture
def stand_ins(monkeypatch, tmp_path):
    """The recipe table holds only the stand-ins; the data cache is an empty folder."""
    monkeypatch.setenv("DEEPSPEC_DATA", str(tmp_path / "cache"))
    for name in list(RECIPES):
        monkeypatch.delitem(RECIPES, name)
    for recipe in (QUICK, BROKEN, NEEDS_DATA):
        monkeypatch.setitem(RECIPES, recipe.name, recipe)


def test_tour_runs_the_fast_recipes_and_prints_the_table(stand_ins, capsys):
    rows = tour.run_tour(seed=3, fetch_data=False)
    out = capsys.readouterr().out
    assert [r["recipe"] for r in rows] == ["quick", "broken", "needs-data"]
    quick, broken, needs = rows
    assert quick["status"] == "ok" and quick["ours"] == "50.3%"
    assert quick["results"]["accuracy"] == pytest.approx(0.503)
    assert broken["status"] == "failed: RuntimeError: the experiment fell over"
    assert needs["status"].startswith("skipped: data set 'names' not fetched")
    header = out.splitlines()[0]
    assert header.split() == ["experiment", "deepspec", "course", "time"]
    assert any(line.startswith("quick") and "50.3%" in line and "about 50%" in line
               for line in out.splitlines())
    assert "1 of 3 experiments ran" in out
    assert "broken: failed: RuntimeError: the experiment fell over" in out


def test_tour_only_runs_the_named_recipes_and_refuses_unknown_ones(stand_ins, capsys):
    rows = tour.run_tour(only=["quick"])
    assert [r["recipe"] for r in rows] == ["quick"]
    with pytest.raises(ValueError, match="unknown recipe 'nope'"):
        tour.run_tour(only=["nope"])


def test_tour_report_writes_plots_markdown_and_json(stand_ins, tmp_path, capsys):
    folder = tmp_path / "report"
    tour.run_tour(report=folder, only=["quick", "broken"])
    assert (folder / "quick.png").read_bytes().startswith(b"\x89PNG")
    readme = (folder / "README.md").read_text()
    assert "| experiment | deepspec | course | time |" in readme
    assert "| quick | 50.0% | about 50% \\| a pipe in the text |" in readme
    assert "![quick](quick.png)" in readme
    assert "failed: RuntimeError" in readme
    saved = json.loads((folder / "results.json").read_text())
    assert [r["recipe"] for r in saved] == ["quick", "broken"]
    assert saved[0]["results"]["accuracy"] == 0.5
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temp files left


def test_tour_fetches_missing_data_unless_told_not_to(stand_ins, monkeypatch, capsys):
    fetched = []
    monkeypatch.setattr(tour, "fetch", lambda name, quiet: fetched.append(name))
    rows = tour.run_tour(only=["needs-data"])
    assert fetched == ["names"] and rows[0]["status"] == "ok"


def test_cli_tour_exit_code_says_whether_everything_ran(stand_ins, capsys):
    assert cli.main(["tour", "--only", "quick", "--seed", "1"]) == 0
    assert cli.main(["tour", "--only", "quick,broken"]) == cli.FAILURE
    assert cli.main(["tour", "--only", "missing"]) == cli.USAGE_ERROR
    assert "unknown recipe 'missing'" in capsys.readouterr().err


def test_cli_run_passes_recipe_options_and_refuses_foreign_ones(stand_ins, capsys):
    assert cli.main(["run", "quick", "--scale", "2", "--seed", "5", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["accuracy"] == pytest.approx(0.51) and results["recipe"] == "quick"
    assert results["course"] == QUICK.course and results["seconds"] >= 0


def test_recipes_sharing_an_option_name_must_share_its_type(stand_ins, monkeypatch):
    clash = Recipe(name="clash", run=_quick, summary="-", metric="accuracy", course="-",
                   options=(Option("scale", int, 1, "same name, other type"),))
    monkeypatch.setitem(RECIPES, "clash", clash)
    with pytest.raises(RuntimeError, match="--scale, as float and int"):
        cli.build_parser()


def test_every_real_recipe_option_has_one_type():
    cli.recipe_options()  # raises if two recipes disagree


def test_info_reports_versions_dtype_and_blas():
    details = info()
    assert details["numpy"] and details["default_dtype"] == "float32"
    assert details["blas"] and "library" in details["blas"][0]
    text = format_info(details)
    for key in ("deepspec", "numpy", "default dtype", "BLAS", "data cache", "recipes"):
        assert key in text


def _command(*args, cache):
    env = dict(os.environ, DEEPSPEC_DATA=str(cache))
    return subprocess.run([sys.executable, "-m", "deepspec.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_commands_through_a_real_process(tmp_path):
    listing = _command("list", cache=tmp_path)
    assert listing.returncode == 0 and "RECIPE" in listing.stdout
    assert all(name in listing.stdout for name in RECIPES)
    information = _command("info", cache=tmp_path)
    assert information.returncode == 0 and "BLAS" in information.stdout
    assert f"data cache        {tmp_path}" in information.stdout
    helps = _command("tour", "--help", cache=tmp_path)
    assert helps.returncode == 0
    assert all(o in helps.stdout for o in ("--report", "--seed", "--only", "--no-fetch"))
    bad = _command("run", "no-such-recipe", cache=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("deepspec: error: unknown recipe 'no-such-recipe'")
    assert len(bad.stderr.strip().splitlines()) == 1
    bad_epochs = _command("run", next(iter(RECIPES)), "--epochs", "0", cache=tmp_path)
    assert bad_epochs.returncode == 2 and "--epochs should be >= 1" in bad_epochs.stderr


def test_cli_refuses_an_empty_only_list_and_reports_os_errors_in_one_line(stand_ins, tmp_path,
                                                                          capsys):
    assert cli.main(["tour", "--only", ","]) == cli.USAGE_ERROR
    assert "--only should list recipes" in capsys.readouterr().err
    report = tmp_path / "a-file"
    report.write_text("not a folder")
    assert cli.main(["tour", "--only", "quick", "--report", str(report)]) == cli.FAILURE
    err = capsys.readouterr().err
    assert err.startswith("deepspec: error: ") and "Traceback" not in err
