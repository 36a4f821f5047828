"""The price snapshot's span and its unpriced securities, read from the data (notebook 01's date bounds)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crackdown import coverage
from crackdown.data import clear_cache


def test_snapshot_span_is_the_first_and_last_priced_date_of_any_file(data: Path) -> None:
    files = [pd.read_csv(p, usecols=["date", "close"]) for p in (data / "prices").glob("*.csv")
             if p.name != "PROVENANCE.csv"]
    dates = pd.to_datetime(pd.concat(f.loc[f["close"].notna(), "date"] for f in files))
    assert coverage.snapshot_span(data_dir=data) == (dates.min(), dates.max())


def test_snapshot_span_follows_a_shorter_snapshot(data: Path) -> None:
    for path in (data / "prices").glob("*.csv"):
        if path.name != "PROVENANCE.csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            frame[frame["date"] <= "2021-04-01"].to_csv(path, index=False)
    clear_cache()
    first, last = coverage.snapshot_span(data_dir=data)
    assert last == pd.Timestamp("2021-04-01")
    assert first == pd.Timestamp("2021-03-25")


def test_unpriced_securities_are_the_rows_with_price_basis_none(data: Path) -> None:
    assert coverage.unpriced_securities(data_dir=data).empty
    table = pd.read_csv(data / "securities.csv", dtype=str, keep_default_na=False)
    table.loc[table["symbol"] == "9988.HK", "price_basis"] = "none"
    table.to_csv(data / "securities.csv", index=False)
    (data / "prices" / "9988.HK.csv").unlink()
    clear_cache()
    got = coverage.unpriced_securities(data_dir=data)
    assert got["symbol"].tolist() == ["9988.HK"]
    assert got.loc[0, "name"] == table.loc[table["symbol"] == "9988.HK", "name"].item()
