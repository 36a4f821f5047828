"""Validated, cached access to the data tables and the price snapshot.

Every table is checked (the same rules as ``crackdown data check``, manifest aside) the first time any of them
is loaded from a data folder; a price file is checked the first time it is loaded. Results are cached per data
folder; :func:`clear_cache` forgets them. Loaders return copies, so callers cannot corrupt the cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from crackdown import calendars, paths
from crackdown.data.check import check_tables, shown
from crackdown.data.prices import PRICE_FIELDS, field_series, read_price_file
from crackdown.data.schemas import EVENT_TYPES, LIST_SEP, TABLE_ORDER, TABLES, to_typed
from crackdown.data.violations import raise_if_errors
from crackdown.errors import CrackdownError, unknown_name_error

RETURN_KINDS = ("simple", "log")


def _dir(data_dir: str | Path | None) -> str:
    return str(Path(data_dir).resolve() if data_dir is not None else paths.data_dir())


@cache
def _tables(data_dir: str) -> dict[str, pd.DataFrame]:
    raw, problems = check_tables(Path(data_dir))
    raise_if_errors(problems, f"the data tables in {Path(data_dir).name}/")
    return {name: to_typed(raw[name], TABLES[name]) for name in TABLE_ORDER}


@cache
def _price_frame(data_dir: str, symbol: str) -> pd.DataFrame:
    path = Path(data_dir) / "prices" / f"{symbol}.csv"
    if not path.is_file():
        raise CrackdownError(
            f"{shown(path, Path(data_dir))}: price file is missing for symbol {symbol} (securities.csv lists it with "
            "prices); restore it from git or run `crackdown data refresh`"
        )
    frame, errors, _ = read_price_file(path, shown(path, Path(data_dir)))
    raise_if_errors(errors, shown(path, Path(data_dir)))
    return frame


def clear_cache() -> None:
    """Forget every validated table and price file (call after editing data files in a session)."""
    _tables.cache_clear()
    _price_frame.cache_clear()


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


def _priced_frames(symbols, start: object, end: object, data_dir: str | Path | None):
    """The symbols' exchanges, their validated price frames, and the [start, end] window they are shown on."""
    root = _dir(data_dir)
    exchanges = priced_exchanges(symbols, root)
    frames = {s: _price_frame(root, s) for s in exchanges.index}
    lo, hi = _window(frames, start, end)
    return exchanges, frames, lo, hi


def load_prices(symbols: str | Iterable[str] | None = None, start: object = None, end: object = None,
                field: str = "close", *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Daily prices, one column per symbol, on the union of the symbols' exchange sessions in [start, end].

    A symbol's value is NaN on dates that are not sessions of its own exchange and where its price is missing
    (never filled). ``field``: open, high, low, close, adj_close or return_price (adj_close where the file
    has it, else close). ``symbols`` default to every security with a price file.
    """
    if field not in PRICE_FIELDS:
        raise unknown_name_error("price field", field, PRICE_FIELDS, "field")
    exchanges, frames, lo, hi = _priced_frames(symbols, start, end, data_dir)
    return _wide({s: field_series(f, field) for s, f in frames.items()}, exchanges, lo, hi)


def _returns(price: pd.Series, exchange: str, hi: pd.Timestamp, kind: str) -> pd.Series:
    """Returns from each own session to the next (NaN where either price is missing)."""
    if price.empty:
        return price
    own = calendars.sessions(exchange, price.index.min(), hi)
    level = price.reindex(own)
    ratio = level / level.shift(1)
    return np.log(ratio) if kind == "log" else ratio - 1


def load_returns(symbols: str | Iterable[str] | None = None, start: object = None, end: object = None,
                 kind: str = "simple", *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Daily returns (``simple`` or ``log``) from return_price, shaped like :func:`load_prices`.

    Each return runs from the symbol's previous session on its own exchange to this one; it is NaN where
    either price is missing (a suspended day is missing, never a zero return).
    """
    if kind not in RETURN_KINDS:
        raise unknown_name_error("return kind", kind, RETURN_KINDS, "kind")
    exchanges, frames, lo, hi = _priced_frames(symbols, start, end, data_dir)
    columns = {s: _returns(field_series(f, "return_price"), exchanges[s], hi, kind) for s, f in frames.items()}
    return _wide(columns, exchanges, lo, hi)
