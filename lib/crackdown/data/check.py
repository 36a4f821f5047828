"""``crackdown data check``: every rule on every data file, as a list of :class:`Violation` records."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crackdown import calendars
from crackdown.data.manifest import check_manifest
from crackdown.data.prices import PROVENANCE_NAME, price_files, read_price_file, yahoo_symbol
from crackdown.data.schemas import TABLE_ORDER, TABLES, Refs, read_table, validate_table
from crackdown.data.violations import Violation

MAX_SESSION_WARNINGS = 5


def shown(path: Path, data_dir: Path) -> str:
    """How a data file is named in messages: relative to the folder holding ``data/`` (e.g. data/events.csv)."""
    return path.relative_to(data_dir.parent).as_posix()


def _ids(frame: pd.DataFrame, column: str) -> frozenset[str]:
    return frozenset(frame[column].str.strip()) - {""} if column in frame.columns else frozenset()


def check_tables(data_dir: Path) -> tuple[dict[str, pd.DataFrame], list[Violation]]:
    """The metadata tables as text (indexed by CSV line) and every violation in them, references included."""
    raw: dict[str, pd.DataFrame] = {}
    problems: list[Violation] = []
    for name in TABLE_ORDER:
        path = data_dir / TABLES[name].filename
        raw[name], shape_problems = read_table(path, shown(path, data_dir))
        problems += shape_problems
    refs = Refs(firm_ids=_ids(raw["firms"], "firm_id"), symbols=_ids(raw["securities"], "symbol"))
    for name in TABLE_ORDER:
        path = data_dir / TABLES[name].filename
        if path.is_file() and not raw[name].columns.empty:
            problems += validate_table(raw[name], TABLES[name], refs, shown(path, data_dir))
    return raw, problems


def _session_warnings(frame: pd.DataFrame, exchange: str, shown_as: str) -> list[Violation]:
    """Dates that are not sessions of the symbol's exchange (warnings; the loaders drop such rows)."""
    dates = frame.index.dropna()
    if dates.empty or exchange not in calendars.SUPPORTED_EXCHANGES:
        return []
    try:
        beyond = calendars.outside(exchange, dates)
        own = calendars.sessions(exchange, dates.min(), dates.max())
    except Exception as exc:  # noqa: BLE001 - a calendar problem must not hide the data problems
        return [Violation(shown_as, 0, "date", f"could not check {exchange} sessions: {exc}", "warning")]
    if len(beyond):
        cal = calendars.calendar(exchange, dates.min())
        line = int(frame.index.get_loc(beyond[0])) + 2 if frame.index.is_unique else 0
        return [Violation(shown_as, line, "date",
                          f"{len(beyond)} row(s) outside the {exchange} calendar ({cal.first_session.date()} to "
                          f"{cal.last_session.date()}), first {beyond[0].date()}; they could not be used")]
    if own.empty:
        return []
    checked = (frame.index >= own[0]) & (frame.index <= own[-1])
    off = checked & ~frame.index.isin(own)
    lines = (off.nonzero()[0] + 2).tolist()
    found = [Violation(shown_as, line, "date", f"not a {exchange} trading session ({frame.index[line - 2].date()})",
                       "warning") for line in lines[:MAX_SESSION_WARNINGS]]
    if len(lines) > MAX_SESSION_WARNINGS:
        found.append(Violation(shown_as, 0, "date", f"{len(lines)} dates in all are not {exchange} sessions",
                               "warning"))
    return found


def check_prices(data_dir: Path, securities: pd.DataFrame) -> list[Violation]:
    """Every price file: its own rules, a securities.csv row, an exchange session per date (warnings)."""
    prices_dir = data_dir / "prices"
    files = price_files(prices_dir)
    table = securities.set_index("symbol") if "symbol" in securities.columns else pd.DataFrame()
    sec_shown = shown(data_dir / "securities.csv", data_dir)
    problems: list[Violation] = []
    for symbol, path in files.items():
        shown_as = shown(path, data_dir)
        frame, errors, warnings = read_price_file(path, shown_as)
        problems += errors + warnings
        if symbol not in table.index:
            problems.append(Violation(shown_as, 0, "-", f"symbol {symbol} has no row in securities.csv"))
        elif not errors and "exchange" in table.columns:
            problems += _session_warnings(frame, str(table.loc[symbol, "exchange"]).strip(), shown_as)
    if {"price_basis", "symbol"} <= set(securities.columns):
        priced = securities[securities["price_basis"].str.strip() != "none"]
        for line, symbol in priced["symbol"].items():
            if symbol not in files:
                problems.append(Violation(sec_shown, int(line), "price_basis",
                                          f"no price file prices/{symbol}.csv (use price_basis none)"))
    problems += _check_provenance(prices_dir, files, data_dir)
    return problems


def _check_provenance(prices_dir: Path, files: dict[str, Path], data_dir: Path) -> list[Violation]:
    path = prices_dir / PROVENANCE_NAME
    frame, problems = read_table(path, shown(path, data_dir))
    if "symbol" not in frame.columns:
        return problems or [Violation(shown(path, data_dir), 1, "symbol", "missing column")]
    listed = set(frame["symbol"])
    return problems + [Violation(shown(path, data_dir), 0, "symbol", f"no row for price file {symbol}.csv "
                                 f"(expected symbol {yahoo_symbol(symbol)})")
                       for symbol in files if yahoo_symbol(symbol) not in listed]


def check_all(data_dir: Path) -> list[Violation]:
    """Every violation (errors and warnings) in the tables, the price files and the manifest."""
    raw, problems = check_tables(data_dir)
    problems += check_prices(data_dir, raw["securities"])
    problems += check_manifest(data_dir)
    return problems
