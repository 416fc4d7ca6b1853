"""``deepspec tour``: every fast course experiment, one after another, in a results table.

Each fast recipe (``Recipe.fast``) runs with its defaults and the tour's seed; the table puts
our number beside the course's and the time it took. Data sets a recipe reads are fetched
first if they are not in the cache (``fetch_data=False`` skips those recipes instead). With
``report=DIR`` each recipe also draws its plot into DIR, and DIR gets ``README.md`` (the
table with the plots) and ``results.json`` (every recipe's full results).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap
from pathlib import Path

from .data import FetchError, fetch, is_fetched
from .recipes import RECIPES, Recipe, get, timed_run

COURSE_WIDTH = 44   # the course column wraps at this width in the terminal table


def tour_recipes(only: list[str] | None = None) -> list[Recipe]:
    """The fast recipes in course order, or the recipes named in ``only`` (any recipe)."""
    if only:
        return [get(name) for name in only]
    return [recipe for recipe in RECIPES.values() if recipe.fast]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ensure_data(recipe: Recipe, fetch_data: bool) -> str | None:
    """None when the recipe's data is in the cache, else why the recipe cannot run."""
    for name in recipe.data:
        if is_fetched(name):
            continue
        if not fetch_data:
            return f"skipped: data set {name!r} not fetched (deepspec data fetch {name})"
        _say(f"  fetching data set {name!r} for {recipe.name} ...")
        try:
            fetch(name, quiet=True)
        except FetchError as e:
            return f"skipped: could not fetch {name!r}: {e}"
    return None


def run_tour(*, seed: int = 0, report: str | os.PathLike | None = None,
             fetch_data: bool = True, only: list[str] | None = None) -> list[dict]:
    """Run the tour; print progress on stderr and the table on stdout; return one row per
    recipe: name, ours (the headline), course, seconds, status ("ok", "skipped: ...",
    "failed: ...") and the recipe's results."""
    recipes = tour_recipes(only)
    folder = None
    if report is not None:
        folder = Path(report)
        _check_matplotlib()
        folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for number, recipe in enumerate(recipes, 1):
        _say(f"[{number}/{len(recipes)}] {recipe.name}: {recipe.summary}")
        row = {"recipe": recipe.name, "ours": "-", "course": recipe.course, "seconds": None,
               "status": "ok", "results": None}
        row["status"] = _ensure_data(recipe, fetch_data) or "ok"
        if row["status"] == "ok":
            plot = None if folder is None else str(folder / f"{recipe.name}.png")
            try:
                results = timed_run(recipe, seed=seed, quiet=True, plot=plot)
            except KeyboardInterrupt:
                raise
            except Exception as e:  # one experiment failing does not end the tour
                row["status"] = f"failed: {type(e).__name__}: {e}"
            else:
                row.update(ours=recipe.format(results), seconds=results["seconds"],
                           results=results, plot=plot)
        _say(f"    {row['ours'] if row['status'] == 'ok' else row['status']}"
             + (f"  ({row['seconds']:.1f} s)" if row["seconds"] is not None else ""))
        rows.append(row)
    print(format_table(rows))
    if folder is not None:
        write_report(rows, folder, seed=seed)
        print(f"\nReport: {folder / 'README.md'}")
    return rows


def format_table(rows: list[dict]) -> str:
    """experiment | deepspec | course | time, the course column wrapped."""
    name_w = max([len("experiment"), *(len(r["recipe"]) for r in rows)]) + 2
    ours_w = max([len("deepspec"), *(len(_ours(r)) for r in rows)]) + 2
    lines = [f"{'experiment':<{name_w}}{'deepspec':<{ours_w}}{'course':<{COURSE_WIDTH + 2}}time",
             "-" * (name_w + ours_w + COURSE_WIDTH + 8)]
    for r in rows:
        course = textwrap.wrap(r["course"], COURSE_WIDTH) or [""]
        time = f"{r['seconds']:.1f} s" if r["seconds"] is not None else "-"
        lines.append(f"{r['recipe']:<{name_w}}{_ours(r):<{ours_w}}"
                     f"{course[0]:<{COURSE_WIDTH + 2}}{time}")
        lines.extend(f"{'':<{name_w + ours_w}}{more}" for more in course[1:])
    total = sum(r["seconds"] or 0.0 for r in rows)
    ran = sum(r["status"] == "ok" for r in rows)
    lines.append(f"\n{ran} of {len(rows)} experiments ran in {total:.0f} s"
                 + "".join(f"\n  {r['recipe']}: {r['status']}" for r in rows
                           if r["status"] != "ok"))
    return "\n".join(lines)


def _ours(row: dict) -> str:
    return row["ours"] if row["status"] == "ok" else row["status"].split(":")[0]


def _check_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ValueError("--report draws plots and needs matplotlib: "
                         "pip install deepspec[plot]") from None


def _write_atomic(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_report(rows: list[dict], folder: Path, *, seed: int) -> None:
    """``README.md`` (table and plots) and ``results.json`` in ``folder``."""
    from .info import info

    env = info()
    lines = ["# deepspec tour", "",
             f"deepspec {env['deepspec']}, Python {env['python']}, NumPy {env['numpy']}, "
             f"{env['cpus']} CPU(s); seed {seed}. Re-run with `deepspec tour --report DIR`.",
             "", "| experiment | deepspec | course | time |", "|---|---|---|---|"]
    for r in rows:
        time = f"{r['seconds']:.1f} s" if r["seconds"] is not None else "-"
        ours = r["ours"] if r["status"] == "ok" else r["status"]
        lines.append(f"| {r['recipe']} | {_cell(ours)} | {_cell(r['course'])} | {time} |")
    for r in rows:
        if r["status"] != "ok":
            continue
        lines += ["", f"## {r['recipe']}", "", get(r["recipe"]).summary, ""]
        if r.get("plot") and Path(r["plot"]).exists():
            lines += [f"![{r['recipe']}]({Path(r['plot']).name})", ""]
        lines += ["```json", json.dumps(r["results"], indent=1, default=str), "```"]
    _write_atomic(folder / "README.md", "\n".join(lines) + "\n")
    _write_atomic(folder / "results.json",
                  json.dumps([{k: v for k, v in r.items() if k != "plot"} for r in rows],
                             indent=1, default=str) + "\n")


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
