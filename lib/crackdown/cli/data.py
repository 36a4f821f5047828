"""``crackdown data``: check the data files, update the manifest, refresh the price snapshot."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crackdown import paths
from crackdown.errors import CrackdownError

CHECK_HELP = """Validate every data file: the tables (types, vocabularies, unique ids, references between
tables, sources, dates, amounts, shares), every price file (ISO dates strictly increasing, positive prices,
symbol listed in securities.csv; dates that are not sessions of the exchange are warnings) and the sha256
manifest. Each problem is printed as FILE:LINE:COLUMN: REASON, where LINE is the line number in the CSV file
(the header is line 1, so the first data row is line 2; 0 means the file as a whole). Exit status: 0 when
there are no errors (warnings allowed), 1 otherwise."""


def _data_dir(args: argparse.Namespace) -> Path:
    folder = Path(args.data_dir).resolve() if args.data_dir else paths.data_dir()
    if not folder.is_dir():
        shown = args.data_dir or paths.relative_to_root(folder)
        raise CrackdownError(f"--data-dir: {shown} is not a folder" if folder.exists()
                             else f"--data-dir: data folder {shown} does not exist")
    return folder


def _check(args: argparse.Namespace) -> int:
    from crackdown.claims import check_claims
    from crackdown.data.check import check_all

    # claims.csv is checked against the evaluators registered in crackdown.claims, so its check lives there
    problems = check_all(_data_dir(args)) + check_claims(_data_dir(args))
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        print(problem)
    warnings = len(problems) - len(errors)
    print(f"{len(errors)} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def _manifest(args: argparse.Namespace) -> int:
    from crackdown.data.manifest import check_manifest, write_manifest

    data_dir = _data_dir(args)
    if args.update:
        path = write_manifest(data_dir)
        print(f"wrote {data_dir.name}/{path.name}", file=sys.stderr)
        return 0
    problems = check_manifest(data_dir)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} manifest problem(s)", file=sys.stderr)
    return 1 if problems else 0


def _refresh(args: argparse.Namespace) -> int:
    from crackdown.data.refresh import refresh_prices

    added = refresh_prices(args.symbols, start=args.start, end=args.end, data_dir=_data_dir(args))
    for symbol, rows in added.items():
        print(f"{symbol}: {rows} new row(s)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``crackdown data {check,manifest,refresh}``."""
    parser = subparsers.add_parser("data", help="check the data files, update the manifest, refresh prices",
                                   description="Check the data files, update the manifest, refresh prices.")
    commands = parser.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="data folder to use (default: data/ of the project root)")

    check = commands.add_parser("check", parents=[common], help="validate every data file (FILE:LINE:COLUMN)",
                                description=CHECK_HELP)
    check.set_defaults(func=_check)

    manifest = commands.add_parser(
        "manifest", parents=[common], help="verify or rewrite data/MANIFEST.sha256",
        description="Verify data/MANIFEST.sha256 (the sha256 of data/*.csv and data/prices/*.csv); with "
                    "--update, rewrite it from the files as they are now (after a deliberate change).")
    manifest.add_argument("--update", action="store_true", help="rewrite the manifest from the current files")
    manifest.set_defaults(func=_manifest)

    refresh = commands.add_parser(
        "refresh", parents=[common], help="extend price files with yfinance (needs network)",
        description="Append newer daily prices to the snapshot files with yfinance (pip install "
                    "'crackdown[refresh]'). Only dates after a file's last date are added; the download must "
                    "agree with the snapshot on overlapping dates. On any failure nothing is changed. "
                    "PROVENANCE.csv and the manifest are updated.")
    refresh.add_argument("--symbols", nargs="+", required=True, metavar="SYMBOL",
                         help="file symbols as in securities.csv (e.g. BABA 9988.HK IDX_HSI)")
    refresh.add_argument("--start", help="first date to add (default: the day after each file's last date)")
    refresh.add_argument("--end", help="last date to add (default: today)")
    refresh.set_defaults(func=_refresh)
