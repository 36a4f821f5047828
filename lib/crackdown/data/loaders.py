"""Validated, cached access to the data tables and the price snapshot.

Every table is checked (the same rules as ``crackdown data check``, manifest aside) the first time any of them
is loaded from a data folder; a price file is checked the first time it is loaded. Results are cached per data
folder in the process (:func:`clear_cache` forgets them) and on disk for every kernel (:mod:`crackdown.data.cache`,
keyed by the data files and the code; ``CRACKDOWN_DATA_CACHE=0`` turns it off), as are the wide frames of
:func:`load_prices` and :func:`load_returns` per call. Loaders return copies, so
callers cannot corrupt the cache.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

import pandas as pd

from crackdown import calendars, paths
from crackdown import returns as gap_returns
from crackdown.data import cache as data_cache
from crackdown.data.check import check_tables, shown
from crackdown.data.prices import PRICE_FIELDS, field_series, read_price_file
from crackdown.data.schemas import (
    EVENT_TYPES,
    LIST_SEP,
    TABLE_ORDER,
    TABLES,
    check_claims_table,
    read_table,
    to_typed,
)
from crackdown.data.violations import raise_if_errors
from crackdown.errors import CrackdownError, unknown_name_error

RETURN_KINDS = ("simple", "log")


def _dir(data_dir: str | Path | None) -> str:
    return str(Path(data_dir).resolve() if data_dir is not None else paths.data_dir())


@cache
def _disk_entry(data_dir: str) -> data_cache.CacheEntry | None:
    """This data folder's on-disk cache entry (its key hashes every data file once per process)."""
    try:
        return data_cache.CacheEntry(Path(data_dir))
    except OSError:
        return None


def _entry(data_dir: str) -> data_cache.CacheEntry | None:
    return _disk_entry(data_dir) if data_cache.enabled() else None


@cache
def _tables(data_dir: str) -> dict[str, pd.DataFrame]:
    entry = _entry(data_dir)
    names = [f"tables/{name}" for name in TABLE_ORDER]
    stored = entry.read_all(names) if entry is not None else None
    if stored is not None:
        return {name: stored[f"tables/{name}"] for name in TABLE_ORDER}
    raw, problems = check_tables(Path(data_dir))
    raise_if_errors(problems, f"the data tables in {Path(data_dir).name}/")
    typed = {name: to_typed(raw[name], TABLES[name]) for name in TABLE_ORDER}
    if entry is not None and entry.unchanged([TABLES[name].filename for name in TABLE_ORDER]):
        for name in TABLE_ORDER:
            entry.write(f"tables/{name}", typed[name])
    return typed


@cache
def _price_frame(data_dir: str, symbol: str) -> pd.DataFrame:
    path = Path(data_dir) / "prices" / f"{symbol}.csv"
    if not path.is_file():
        raise CrackdownError(
            f"{shown(path, Path(data_dir))}: price file is missing for symbol {symbol} (securities.csv lists it with "
            "prices); restore it from git or run `crackdown data refresh`"
        )
    entry = _entry(data_dir)
    stored = entry.read(f"prices/{symbol}") if entry is not None else None
    if stored is not None:
        return stored
    frame, errors, _ = read_price_file(path, shown(path, Path(data_dir)))
    raise_if_errors(errors, shown(path, Path(data_dir)))
    if entry is not None and entry.unchanged([f"prices/{symbol}.csv"]):
        entry.write(f"prices/{symbol}", frame)
    return frame


@cache
def _claims(data_dir: str, evaluators: Callable[[], dict[str, frozenset[str]]]) -> pd.DataFrame:
    path = Path(data_dir) / "claims.csv"
    where = shown(path, path.parent)
    if not path.is_file():
        raise CrackdownError(f"{where}: file is missing")
    entry = _entry(data_dir)
    stored = entry.read("tables/claims") if entry is not None else None
    if stored is not None:
        return stored
    raise_if_errors(check_claims_table(path, where, evaluators()), where)
    frame = read_table(path, where)[0].reset_index()
    if entry is not None and entry.unchanged(["claims.csv"]):
        entry.write("tables/claims", frame)
    return frame


def load_claims_table(evaluators: Callable[[], dict[str, frozenset[str]]], *,
                      data_dir: str | Path | None = None) -> pd.DataFrame:
    """data/claims.csv as text cells, validated against ``evaluators()`` (evaluator name -> the parameters a claim
    may give it; called only when the table is validated, not when the data cache holds it); ``line`` = each
    row's line in the file. Errors name file:line:column; a missing file is an error."""
    return _claims(_dir(data_dir), evaluators).copy()


def clear_cache() -> None:
    """Forget every validated table and price file held in this process (call after editing data files in a
    session); the on-disk cache needs no clearing, as its key changes with the data."""
    _tables.cache_clear()
    _claims.cache_clear()
    _price_frame.cache_clear()
    _disk_entry.cache_clear()


def _table(name: str, data_dir: str | Path | None) -> pd.DataFrame:
    return _tables(_dir(data_dir))[name].copy()


def load_firms(*, data_dir: str | Path | None = None) -> pd.DataFrame:
    """data/firms.csv, validated (one row per firm)."""
    return _table("firms", data_dir)


def load_securities(*, data_dir: str | Path | None = None) -> pd.DataFrame:
    """data/securities.csv, validated (one row per security; listing dates as datetime64)."""
    return _table("securities", data_dir)


def load_ipos(*, data_dir: str | Path | None = None) -> pd.DataFrame:
    """data/ipos.csv, validated (one row per IPO attempt; ``<date>_precision`` columns say day/month)."""
    return _table("ipos", data_dir)


def load_alignment(*, data_dir: str | Path | None = None) -> pd.DataFrame:
    """data/alignment.csv, validated (long format; ``value_num`` = value as a number, bools as 1.0/0.0, NaN for
    ``not_found`` rows: searched and not found is unknown, never false)."""
    return _table("alignment", data_dir)


def load_penalties(*, data_dir: str | Path | None = None) -> pd.DataFrame:
    """data/penalties.csv, validated (one row per firm per penalty; amounts in millions of currency)."""
    return _table("penalties", data_dir)


def _as_list(values: str | Iterable[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [values] if isinstance(values, str) else list(values)


def _require_known(kind: str, names: list[str], known: Iterable[str], parameter: str) -> None:
    known = set(known)
    for name in names:
        if name not in known:
            raise unknown_name_error(kind, name, known, parameter)


def _timestamp(value: object, parameter: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise CrackdownError(f"{parameter}: not a date: {value!r}") from exc


def explode_list(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """One row per ``;``-separated item of ``column`` (stripped); rows whose cell is empty are dropped.

    The index is kept (repeated for rows with several items).
    """
    out = df.copy()
    out[column] = out[column].str.split(LIST_SEP)
    out = out.explode(column)
    out[column] = out[column].str.strip()
    return out[out[column].notna() & (out[column] != "")]


def load_events(types: str | Iterable[str] | None = None, start: object = None, end: object = None,
                firm_ids: str | Iterable[str] | None = None, *, event_ids: str | Iterable[str] | None = None,
                data_dir: str | Path | None = None) -> pd.DataFrame:
    """data/events.csv, validated, optionally filtered.

    ``types``: event types to keep; ``start``/``end``: inclusive date bounds (a month-precision date counts as
    the 1st of its month); ``firm_ids``: keep events naming any of these firms; ``event_ids``: keep these events.
    Unknown types, firm ids or event ids raise :class:`CrackdownError` listing close matches.
    """
    events = _table("events", data_dir)
    all_ids = events["event_id"].tolist()
    types, firm_ids, event_ids = _as_list(types), _as_list(firm_ids), _as_list(event_ids)
    if types is not None:
        _require_known("event type", types, EVENT_TYPES, "types")
        events = events[events["type"].isin(types)]
    if event_ids is not None:
        _require_known("event id", event_ids, all_ids, "event_ids")
        events = events[events["event_id"].isin(event_ids)]
    if firm_ids is not None:
        _require_known("firm_id", firm_ids, load_firms(data_dir=data_dir)["firm_id"], "firm_ids")
        named = explode_list(events[["firm_ids"]], "firm_ids")
        events = events[events.index.isin(named.index[named["firm_ids"].isin(firm_ids)])]
    lo, hi = _timestamp(start, "start"), _timestamp(end, "end")
    if lo is not None:
        events = events[events["date"] >= lo]
    if hi is not None:
        events = events[events["date"] <= hi]
    return events.reset_index(drop=True)


# --- prices --------------------------------------------------------------------------------------------------
def priced_exchanges(symbols: str | Iterable[str] | None, data_dir: str) -> pd.Series:
    """The requested symbols' exchanges (MIC), after checking each has a price file."""
    securities = _tables(data_dir)["securities"].set_index("symbol")
    priced = securities.loc[securities["price_basis"] != "none", "exchange"]
    wanted = _as_list(symbols)
    if wanted is None:
        return priced
    wanted = list(dict.fromkeys(wanted))
    _require_known("symbol", wanted, securities.index, "symbols")
    missing = [s for s in wanted if s not in priced.index]
    if missing:
        raise CrackdownError(f"symbols: no prices in the snapshot for {', '.join(missing)} (price_basis none)")
    return priced.loc[wanted]


def _window(frames: dict[str, pd.DataFrame], start: object, end: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    lo, hi = _timestamp(start, "start"), _timestamp(end, "end")
    dated = [f.index for f in frames.values() if len(f.index)]
    lo = lo if lo is not None else min((d.min() for d in dated), default=pd.Timestamp("1970-01-01"))
    hi = hi if hi is not None else max((d.max() for d in dated), default=pd.Timestamp("1970-01-01"))
    if lo > hi:
        raise CrackdownError(f"start: {lo.date()} is after end {hi.date()}")
    return lo, hi


def _wide(columns: dict[str, pd.Series], exchanges: pd.Series, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    """Columns on the union of their exchanges' sessions in [lo, hi]; NaN off a symbol's own sessions."""
    own = {mic: calendars.sessions(mic, lo, hi) for mic in exchanges.unique()}
    index = pd.DatetimeIndex(sorted(set().union(*own.values())), name="date") if own else pd.DatetimeIndex(
        [], name="date")
    out = pd.DataFrame({s: col.reindex(own[exchanges[s]]).reindex(index) for s, col in columns.items()},
                       index=index, columns=list(columns), dtype=float)
    out.columns.name = "symbol"
    return out


def _priced_frames(exchanges: pd.Series, start: object, end: object, root: str):
    """The symbols' validated price frames, and the [start, end] window they are shown on."""
    frames = {s: _price_frame(root, s) for s in exchanges.index}
    lo, hi = _window(frames, start, end)
    return frames, lo, hi


def _wide_frame(what: str, symbols, start: object, end: object, data_dir: str | Path | None,
                build: Callable[[pd.Series, dict[str, pd.DataFrame], pd.Timestamp, pd.Timestamp], pd.DataFrame]
                ) -> pd.DataFrame:
    """A wide prices/returns frame, from the on-disk cache when this call was made before on the same data."""
    root = _dir(data_dir)
    exchanges = priced_exchanges(symbols, root)
    entry = _entry(root)
    if entry is not None:
        call = json.dumps([what, list(exchanges.index), *(f"{type(v).__name__}:{v}" for v in (start, end))])
        name = f"wide/{what}-{hashlib.sha256(call.encode()).hexdigest()[:16]}"
        stored = entry.read(name)
        if stored is not None:
            return stored
    frame = build(exchanges, *_priced_frames(exchanges, start, end, root))
    if entry is not None and entry.unchanged(["securities.csv", *(f"prices/{s}.csv" for s in exchanges.index)]):
        entry.write(name, frame)
    return frame


def load_prices(symbols: str | Iterable[str] | None = None, start: object = None, end: object = None,
                field: str = "close", *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Daily prices, one column per symbol, on the union of the symbols' exchange sessions in [start, end].

    A symbol's value is NaN on dates that are not sessions of its own exchange and where its price is missing
    (never filled). ``field``: open, high, low, close, adj_close or return_price (adj_close where the file
    has it, else close). ``symbols`` default to every security with a price file.
    """
    if field not in PRICE_FIELDS:
        raise unknown_name_error("price field", field, PRICE_FIELDS, "field")

    def build(exchanges, frames, lo, hi):
        return _wide({s: field_series(f, field) for s, f in frames.items()}, exchanges, lo, hi)

    return _wide_frame(f"prices_{field}", symbols, start, end, data_dir, build)


def _gap_frame(part: str, symbols, start: object, end: object, kind: str, gaps: str, max_span: int | None,
               data_dir: str | Path | None) -> pd.DataFrame:
    """``part`` ("returns" or "spans") of :func:`crackdown.returns.gap_returns_by_exchange` on the return_price
    frame: computed over each symbol's whole price history (so the first return of [start, end] has its
    previous close), then cut to [start, end]; cached like every wide frame."""
    if kind not in RETURN_KINDS:
        raise unknown_name_error("return kind", kind, RETURN_KINDS, "kind")
    if gaps not in gap_returns.ATTRIBUTIONS:
        raise unknown_name_error("gap rule", gaps, gap_returns.ATTRIBUTIONS, "gaps")

    def build(exchanges, frames, lo, hi):
        first = min((f.index.min() for f in frames.values() if len(f.index)), default=lo)
        prices = _wide({s: field_series(f, "return_price") for s, f in frames.items()}, exchanges, min(first, lo), hi)
        g = gap_returns.gap_returns_by_exchange(prices, exchanges.to_dict(), kind, gaps, max_span)
        frame = g.returns if part == "returns" else g.spans
        return frame.loc[(frame.index >= lo) & (frame.index <= hi)]

    return _wide_frame(f"{part}_{kind}_{gaps}_{max_span}", symbols, start, end, data_dir, build)


def load_returns(symbols: str | Iterable[str] | None = None, start: object = None, end: object = None,
                 kind: str = "simple", *, gaps: str = "drop", max_span: int | None = None,
                 data_dir: str | Path | None = None) -> pd.DataFrame:
    """Daily returns (``simple`` or ``log``) from return_price, shaped like :func:`load_prices`.

    Each return runs from the symbol's previous session on its own exchange to this one. ``gaps="drop"``
    (default): NaN where either price is missing, so a move across a suspension is lost. ``gaps="resumption"``:
    the return from the last close before a gap to the first close after it is booked on the resumption
    session (:mod:`crackdown.returns`; :func:`load_return_spans` gives the sessions each return spans);
    ``max_span`` drops returns spanning more sessions than that. A suspended day is missing, never a zero return.
    """
    return _gap_frame("returns", symbols, start, end, kind, gaps, max_span, data_dir)


def load_return_spans(symbols: str | Iterable[str] | None = None, start: object = None, end: object = None,
                      *, gaps: str = "drop", max_span: int | None = None,
                      data_dir: str | Path | None = None) -> pd.DataFrame:
    """Sessions spanned by each return of :func:`load_returns` with the same arguments (0 where it is NaN,
    1 for a daily return, more for a move across a suspension with ``gaps="resumption"``)."""
    return _gap_frame("spans", symbols, start, end, "simple", gaps, max_span, data_dir)
