"""``crackdown data check``: every rule on every data file, as a list of :class:`Violation` records."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crackdown import calendars
from crackdown.data.manifest import check_manifest
from crackdown.data.prices import PROVENANCE_NAME, price_files, read_price_file, yahoo_symbol
from crackdown.data.schemas import (
    CORE_INDICATORS,
    TABLE_ORDER,
    TABLES,
    Refs,
    blocked_host_reason,
    read_table,
    source_hosts,
    validate_table,
)
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
    refs = Refs(firm_ids=_ids(raw["firms"], "firm_id"), symbols=_ids(raw["securities"], "symbol"),
                event_ids=_ids(raw["events"], "event_id"))
    for name in TABLE_ORDER:
        path = data_dir / TABLES[name].filename
        if path.is_file() and not raw[name].columns.empty:
            problems += validate_table(raw[name], TABLES[name], refs, shown(path, data_dir))
            problems += check_source_hosts(raw[name], shown(path, data_dir))
    alignment_path = data_dir / TABLES["alignment"].filename
    problems += check_panel_completeness(raw["alignment"], refs.firm_ids, shown(alignment_path, data_dir))
    penalties_path = data_dir / TABLES["penalties"].filename
    problems += check_penalty_events(raw["penalties"], raw["events"], refs.firm_ids, shown(penalties_path, data_dir))
    return raw, problems


def check_penalty_events(penalties: pd.DataFrame, events: pd.DataFrame, firm_ids: frozenset[str],
                         shown_as: str) -> list[Violation]:
    """A penalty's firm must be among the firm_ids of the event it is linked to. Links to unknown events, or to
    events naming an unknown firm, are left to the column checks that already report them."""
    if not {"event_id", "firm_id"} <= set(penalties.columns) or not {"event_id", "firm_ids"} <= set(events.columns):
        return []
    listed = events.assign(firm_id=events["firm_ids"].str.split(";")).explode("firm_id")
    listed["firm_id"] = listed["firm_id"].fillna("").str.strip()
    broken = set(listed.loc[(listed["firm_id"] != "") & ~listed["firm_id"].isin(firm_ids), "event_id"].str.strip())
    events = events[~events["event_id"].str.strip().isin(broken)]
    pairs = pd.MultiIndex.from_arrays([listed["event_id"].str.strip(), listed["firm_id"].str.strip()])
    links = penalties[penalties["event_id"].str.strip().isin(set(events["event_id"].str.strip()))]
    ok = pd.MultiIndex.from_arrays([links["event_id"].str.strip(), links["firm_id"].str.strip()]).isin(pairs)
    return [Violation(shown_as, int(line), "event_id", f"firm {firm!r} is not among the firm_ids of event {event!r}")
            for line, firm, event in links.loc[~ok, ["firm_id", "event_id"]].itertuples()]


def _text_hosts(text: pd.Series) -> pd.Series:
    """The host of every URL inside free text (e.g. events.time_source), indexed by the cell's line."""
    urls = text.str.extractall(r"(https?://[^\s;]+)")[0].droplevel("match")
    hosts = urls.str.extract(r"^https?://([^/?#\s]+)", expand=False).str.lower()
    return hosts.str.replace(r"^[^@]*@", "", regex=True).dropna()


def check_source_hosts(table: pd.DataFrame, shown_as: str) -> list[Violation]:
    """Every source on a staging/test server, a proxy, a mirror or a bare IP address (one violation per cell), in
    ``sources`` and in the URLs an events row's ``time_source`` names."""
    problems = []
    for column, hosts_of in (("sources", source_hosts), ("time_source", _text_hosts)):
        if column not in table.columns:
            continue
        reasons = blocked_host_reason(hosts := hosts_of(table[column]))
        bad = pd.DataFrame({"host": hosts, "reason": reasons})[reasons != ""]
        first = bad[~bad.index.duplicated()]
        problems += [Violation(shown_as, int(line), column, f"source host {host!r} is {reason}; cite the original "
                               "outlet or an archive link") for line, host, reason in first.itertuples()]
    return problems


def check_panel_completeness(alignment: pd.DataFrame, firm_ids: frozenset[str], shown_as: str) -> list[Violation]:
    """Every firm x core indicator (:data:`CORE_INDICATORS`) has at least one alignment row, found or not_found:
    one violation per core indicator, naming the firms without a row."""
    if not {"firm_id", "indicator"} <= set(alignment.columns) or not firm_ids:
        return []
    present = pd.MultiIndex.from_frame(alignment[["firm_id", "indicator"]].apply(lambda c: c.str.strip()))
    wanted = pd.MultiIndex.from_product([sorted(firm_ids), CORE_INDICATORS], names=["firm_id", "indicator"])
    absent = wanted.difference(present).to_frame(index=False)
    problems = []
    for indicator, firms in absent.groupby("indicator", sort=False)["firm_id"]:
        shown_firms = ", ".join(firms.head(8)) + (f" and {len(firms) - 8} more" if len(firms) > 8 else "")
        problems.append(Violation(shown_as, 0, "indicator", f"panel incomplete: {len(firms)} firm(s) have no row "
                                  f"(found or not_found) for core indicator {indicator}: {shown_firms}"))
    return problems


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
