"""The ``crackdown`` command line.

Each command group lives in its own module of this package and exposes ``register(subparsers)``, which adds
its sub-parser and sets ``func`` (a callable taking the parsed namespace and returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from crackdown.errors import CrackdownError

COMMAND_MODULES = ("run", "data", "eventstudy", "sweep")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crackdown",
        description="Were China's government-aligned AI firms spared the 2020-2022 tech crackdown?",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"crackdown.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    from crackdown.startup import skip_iri_format_checker

    skip_iri_format_checker()  # the command modules import nbformat; see crackdown.startup
    try:  # Ctrl-C while the command modules load is an interruption too, not a traceback
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except CrackdownError as exc:
        print(f"crackdown: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("crackdown: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
