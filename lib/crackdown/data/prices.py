"""Daily price files ``data/prices/<SYMBOL>.csv``: reading and vectorised checks (shared by check and loaders)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from crackdown.data.schemas import read_table
from crackdown.data.violations import Violation

PRICE_COLUMNS = ("date", "open", "high", "low", "close", "adj_close", "volume")
VALUE_COLUMNS = PRICE_COLUMNS[1:]
PRICE_FIELDS = ("open", "high", "low", "close", "adj_close", "return_price")
PROVENANCE_NAME = "PROVENANCE.csv"


def price_files(prices_dir: Path) -> dict[str, Path]:
    """Price files by symbol (file stem), ``PROVENANCE.csv`` excluded."""
    return {p.stem: p for p in sorted(prices_dir.glob("*.csv")) if p.name != PROVENANCE_NAME}


def longest_history(prices_dir: Path) -> int:
    """Rows of the longest price file: no event window can reach further from day 0 than this."""
    return max((p.read_bytes().count(b"\n") for p in price_files(prices_dir).values()), default=0)


def yahoo_symbol(symbol: str) -> str:
    """The Yahoo spelling of a file symbol (``IDX_HSI`` -> ``^HSI``), as used in PROVENANCE.csv."""
    return "^" + symbol[4:] if symbol.startswith("IDX_") else symbol


def _blank_line(data: bytes) -> int | None:
    """Line number of the first blank line (pandas would skip it and shift every later line), if any."""
    text = data.replace(b"\r\n", b"\n").rstrip(b"\n")
    pos = text.find(b"\n\n")
    return None if pos < 0 else text.count(b"\n", 0, pos + 1) + 1


def _rows(mask: pd.Series | np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.asarray(mask))


def read_price_file(path: Path, shown_as: str) -> tuple[pd.DataFrame, list[Violation], list[Violation]]:
    """A price file as a float frame indexed by ``date``, with its errors and warnings.

    Errors: bad header or field counts, invalid or non-ISO dates, dates not strictly increasing (duplicates
    or out of order), non-numeric values, a missing or non-positive close, non-positive open/high/low/adj_close,
    negative volume. Warnings: high below low. Line numbers are CSV lines (header = 1, first row = 2).
    """
    data = path.read_bytes()
    blank = _blank_line(data)
    if blank is not None:
        return pd.DataFrame(), [Violation(shown_as, blank, "-", "blank line")], []
    try:
        raw = pd.read_csv(io.BytesIO(data), engine="pyarrow", dtype={"date": str})
    except (ValueError, pd.errors.ParserError) as exc:
        problems = read_table(path, shown_as)[1] or [Violation(shown_as, 0, "-", f"unreadable CSV: {exc}")]
        return pd.DataFrame(), problems, []
    if tuple(raw.columns) != PRICE_COLUMNS:
        found = ",".join(map(str, raw.columns))
        return pd.DataFrame(), [Violation(shown_as, 1, "-", f"header must be {','.join(PRICE_COLUMNS)}; "
                                                               f"found {found}")], []
    lines = np.arange(len(raw)) + 2
    errors: list[Violation] = []

    def report(mask: pd.Series | np.ndarray, column: str, reason: str, values: pd.Series | None = None) -> None:
        for i in _rows(mask):
            value = values.iloc[i] if values is not None else None
            value = value.item() if hasattr(value, "item") else value  # np.float64(-1.0) -> -1.0
            got = f" (got {value!r})" if values is not None else ""
            errors.append(Violation(shown_as, int(lines[i]), column, reason + got))

    text = raw["date"].fillna("")
    dates = pd.to_datetime(text.where(text.str.len() == 10), format="%Y-%m-%d", errors="coerce")
    report(dates.isna(), "date", "must be a valid ISO date YYYY-MM-DD", text)
    previous = dates.shift(1)
    report(dates == previous, "date", "duplicate date (same as the previous row)", text)
    report(dates < previous, "date", "out of order: earlier than the previous row's date", text)

    values = {}
    for column in VALUE_COLUMNS:
        cells = raw[column]
        if pd.api.types.is_numeric_dtype(cells) or cells.isna().all():
            values[column] = cells.astype(float)
            continue
        given = cells.notna() & (cells.astype(str).str.strip() != "")
        values[column] = pd.to_numeric(cells.where(given), errors="coerce").astype(float)
        report(values[column].isna() & given, column, "must be a number", cells)
    report(values["close"].isna() & ~raw["close"].notna(), "close", "must not be empty")
    for column in ("open", "high", "low", "close", "adj_close"):
        report(values[column] <= 0, column, "must be a positive price", values[column])
    for column in VALUE_COLUMNS:
        report(np.isinf(values[column]), column, "must be a finite number", values[column])
    report(values["volume"] < 0, "volume", "must not be negative", values["volume"])
    warnings = [Violation(shown_as, int(lines[i]), "high", "high is below low", "warning")
                for i in _rows(values["high"] < values["low"])]

    index = pd.DatetimeIndex(dates, name="date").as_unit("ns")
    frame = pd.DataFrame({c: v.to_numpy() for c, v in values.items()}, index=index)
    return frame, sorted(errors), warnings


def field_series(frame: pd.DataFrame, field: str) -> pd.Series:
    """One price field of a file's frame; ``return_price`` is adj_close where the file has it, else close."""
    if field == "return_price":
        field = "adj_close" if frame["adj_close"].notna().any() else "close"
    return frame[field]
