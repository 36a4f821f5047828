"""``crackdown data refresh``: extend price files with newer days from yfinance (optional, needs network).

Only dates after a file's last date are appended; existing rows are never rewritten. The download must agree
with the snapshot on the overlapping dates (within :data:`TOLERANCE`), otherwise the price basis has changed
(e.g. a dividend re-adjusted the history) and splicing would create a false jump, so the refresh fails. Every
new file is written to a temporary file and checked; only when every symbol succeeded are the files,
PROVENANCE.csv and the manifest replaced (``os.replace``). On any failure the snapshot is left untouched.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from crackdown import params, paths
from crackdown.data.check import shown
from crackdown.data.loaders import clear_cache, load_securities, priced_exchanges
from crackdown.data.manifest import MANIFEST_NAME, read_manifest, render_manifest
from crackdown.data.prices import PRICE_COLUMNS, PROVENANCE_NAME, read_price_file, yahoo_symbol
from crackdown.data.violations import raise_if_errors
from crackdown.errors import CrackdownError

Downloader = Callable[[str, pd.Timestamp, pd.Timestamp], pd.DataFrame]
OVERLAP_DAYS = 14
TOLERANCE = 0.01


def yfinance_download(ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Daily bars from yfinance (columns Open, High, Low, Close, Adj Close, Volume; index = dates)."""
    try:
        import yfinance
    except ImportError as exc:
        raise CrackdownError("refresh needs yfinance: pip install 'crackdown[refresh]'") from exc
    try:
        frame = yfinance.download(ticker, start=start.date().isoformat(),
                                  end=(end + pd.Timedelta(days=1)).date().isoformat(),
                                  auto_adjust=False, actions=False, progress=False)
    except Exception as exc:
        raise CrackdownError(f"download of {ticker} failed: {exc}") from exc
    if isinstance(frame.columns, pd.MultiIndex):
        frame = frame.droplevel(-1, axis=1) if frame.columns.nlevels > 1 else frame
    return frame


def _snapshot_columns(bars: pd.DataFrame, existing: pd.DataFrame) -> pd.DataFrame:
    """Downloaded bars in the file's own basis: raw OHLC + adj_close where the file has adj_close, otherwise
    adjusted prices only (OHLC scaled by Adj Close / Close); columns empty in the file stay empty."""
    bars = bars.rename(columns=str.lower).rename(columns={"adj close": "adj_close"})
    close = bars["close"].astype(float)
    adj = bars["adj_close"].astype(float) if "adj_close" in bars else close
    has_adj = existing["adj_close"].notna().any()
    factor = pd.Series(1.0, index=bars.index) if has_adj else adj / close
    out = pd.DataFrame({c: bars[c].astype(float) * factor if c in bars else np.nan
                        for c in ("open", "high", "low")}, index=bars.index)
    out["close"] = close if has_adj else adj
    out["adj_close"] = adj if has_adj else np.nan
    out["volume"] = bars["volume"].astype(float) if "volume" in bars else np.nan
    for column in out.columns:
        if existing[column].isna().all():
            out[column] = np.nan
    out.index = pd.DatetimeIndex(pd.to_datetime(out.index).tz_localize(None).normalize(), name="date")
    return out[out["close"].notna()]


def _verify_overlap(symbol: str, new: pd.DataFrame, existing: pd.DataFrame) -> None:
    common = existing.index.intersection(new.index)
    if common.empty:
        raise CrackdownError(f"{symbol}: the download shares no date with the snapshot, so it cannot be checked "
                             f"against it; snapshot left unchanged")
    diff = (new.loc[common, "close"] / existing.loc[common, "close"] - 1).abs().max()
    if not diff <= TOLERANCE:
        raise CrackdownError(f"{symbol}: downloaded closes differ from the snapshot by up to {diff:.1%} on "
                             f"{len(common)} overlapping date(s) (a different price basis); not spliced, "
                             f"snapshot left unchanged")


def _format_rows(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for date, row in frame.iterrows():
        cells = ["" if pd.isna(row[c]) else repr(float(row[c])) for c in PRICE_COLUMNS[1:6]]
        volume = "" if pd.isna(row["volume"]) else str(int(row["volume"]))
        writer.writerow([date.date().isoformat(), *cells, volume])
    return buffer.getvalue()


def _staged(path: Path, data: bytes) -> Path:
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    return Path(tmp)


def _new_provenance(path: Path, updates: dict[str, tuple[pd.Timestamp, pd.Timestamp, int, str]]) -> bytes:
    """PROVENANCE.csv with last_date, rows and a note updated for every extended symbol."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    today = pd.Timestamp.today().date().isoformat()
    for symbol, (first, last, rows, ticker) in updates.items():
        at = frame["symbol"] == yahoo_symbol(symbol)
        if not at.any():
            raise CrackdownError(f"{path.name}: no row for {yahoo_symbol(symbol)}; snapshot left unchanged")
        frame.loc[at, "last_date"] = last.date().isoformat()
        frame.loc[at, "rows"] = str(rows)
        frame.loc[at, "notes"] = (frame.loc[at, "notes"] + f" Extended {first.date()} to {last.date()} with "
                                  f"yfinance ({ticker}, auto_adjust=False) on {today}.").str.strip()
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _new_manifest(data_dir: Path, contents: dict[Path, bytes]) -> bytes | None:
    """The manifest with the hashes of the changed files replaced (None when there is no manifest)."""
    path = data_dir / MANIFEST_NAME
    if not path.is_file():
        return None
    entries = {name: digest for name, (_, digest) in read_manifest(path)[0].items()}
    for changed, data in contents.items():
        entries[changed.relative_to(data_dir).as_posix()] = hashlib.sha256(data).hexdigest()
    return render_manifest(entries).encode("utf-8")


def _extend(symbol: str, ticker: str, path: Path, data_dir: Path, start: pd.Timestamp | None,
            end: pd.Timestamp, downloader: Downloader) -> tuple[bytes, pd.DatetimeIndex, int] | None:
    """The file's new content, the added dates and the new row count (None when there is nothing to add)."""
    existing, errors, _ = read_price_file(path, shown(path, data_dir))
    raise_if_errors(errors, shown(path, data_dir))
    last = existing.index.max()
    first_new = max(start, last + pd.Timedelta(days=1)) if start is not None else last + pd.Timedelta(days=1)
    if first_new > end:
        return None
    try:
        bars = downloader(ticker, min(first_new, last) - pd.Timedelta(days=OVERLAP_DAYS), end)
    except CrackdownError:
        raise
    except Exception as exc:
        raise CrackdownError(f"{symbol}: download of {ticker} failed ({exc}); snapshot left unchanged") from exc
    if bars is None or bars.empty:
        raise CrackdownError(f"{symbol}: the download of {ticker} returned no rows (offline, or unknown ticker?); "
                             f"snapshot left unchanged")
    new = _snapshot_columns(bars, existing)
    _verify_overlap(symbol, new, existing)
    added = new[(new.index >= first_new) & (new.index <= end)]
    if added.empty:
        return None
    data = path.read_bytes()
    data = data if data.endswith(b"\n") else data + b"\n"
    return data + _format_rows(added).encode("utf-8"), added.index, len(existing) + len(added)


def refresh_prices(symbols: Iterable[str], start: object = None, end: object = None,
                   downloader: Downloader | None = None, *, data_dir: str | Path | None = None) -> dict[str, int]:
    """Append newer daily prices to the given symbols' files; returns the number of rows added per symbol.

    ``downloader(ticker, start, end)`` returns yfinance-style bars (default: :func:`yfinance_download`).
    Raises :class:`CrackdownError` and changes nothing if any symbol fails.
    """
    root = Path(data_dir).resolve() if data_dir is not None else paths.data_dir()
    downloader = downloader or yfinance_download
    symbols = list(symbols)
    exchanges = priced_exchanges(symbols, str(root))
    securities = load_securities(data_dir=root).set_index("symbol")
    lo = params.date("--start", start) if start is not None else None
    hi = params.date("--end", end) if end is not None else pd.Timestamp.today().normalize()
    if lo is not None and lo > hi:
        raise CrackdownError(f"--start: {lo.date()} is after --end {hi.date()}; nothing to download")
    contents: dict[Path, bytes] = {}
    updates: dict[str, tuple[pd.Timestamp, pd.Timestamp, int, str]] = {}
    added: dict[str, int] = {}
    for symbol in exchanges.index:
        ticker = securities.at[symbol, "yahoo_symbol"]
        ticker = ticker if isinstance(ticker, str) and ticker else yahoo_symbol(symbol)
        path = root / "prices" / f"{symbol}.csv"
        result = _extend(symbol, ticker, path, root, lo, hi, downloader)
        if result is not None:
            contents[path], dates, rows = result
            updates[symbol] = (dates.min(), dates.max(), rows, ticker)
            added[symbol] = len(dates)
    if contents:
        _commit(root, contents, updates)
    return {symbol: added.get(symbol, 0) for symbol in exchanges.index}


def _commit(root: Path, contents: dict[Path, bytes], updates: dict) -> None:
    """Stage every changed file, check the staged price files, then replace them all."""
    provenance = root / "prices" / PROVENANCE_NAME
    contents = {**contents, provenance: _new_provenance(provenance, updates)}
    manifest = _new_manifest(root, contents)
    if manifest is not None:
        contents[root / MANIFEST_NAME] = manifest
    staged: dict[Path, Path] = {}
    try:
        for path, data in contents.items():
            staged[path] = _staged(path, data)
            if path.parent.name == "prices" and path.name != PROVENANCE_NAME:
                raise_if_errors(read_price_file(staged[path], shown(path, root))[1], f"refreshed {path.name}")
        for path, tmp in staged.items():
            os.replace(tmp, path)
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
    clear_cache()
