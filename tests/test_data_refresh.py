"""`crackdown data refresh` with a stubbed downloader: extends files, or fails leaving every byte unchanged."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from crackdown.data import check_all, check_manifest, load_prices
from crackdown.data.refresh import refresh_prices
from crackdown.errors import CrackdownError

FIXTURES = Path(__file__).parent / "fixtures"
# Real BABA bars 2021-04-06..2021-04-30 from the snapshot, in yfinance's column layout.
BARS = pd.read_csv(FIXTURES / "refresh" / "BABA_yahoo.csv", index_col="Date", parse_dates=True)


def snapshot(data_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(data_dir).as_posix(): p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file()}


def stub(ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    assert ticker == "BABA"
    return BARS.loc[start:end]


def test_refresh_appends_only_new_days(data: Path) -> None:
    before = snapshot(data)
    added = refresh_prices(["BABA"], end="2021-04-30", downloader=stub, data_dir=data)
    new_days = BARS.loc["2021-04-21":"2021-04-30"]
    assert added == {"BABA": len(new_days)}
    text = (data / "prices" / "BABA.csv").read_bytes()
    assert text.startswith(before["prices/BABA.csv"])  # existing rows untouched
    prices = load_prices(["BABA"], field="adj_close", data_dir=data)
    assert prices.loc["2021-04-30", "BABA"] == pytest.approx(BARS.loc["2021-04-30", "Adj Close"])
    provenance = pd.read_csv(data / "prices" / "PROVENANCE.csv", dtype=str).set_index("symbol")
    assert provenance.loc["BABA", "last_date"] == "2021-04-30"
    assert int(provenance.loc["BABA", "rows"]) == 18 + len(new_days)
    assert "yfinance" in provenance.loc["BABA", "notes"]
    assert check_manifest(data) == []
    assert [v for v in check_all(data) if v.severity == "error"] == []


def test_nothing_to_add_changes_nothing(data: Path) -> None:
    before = snapshot(data)
    assert refresh_prices(["BABA"], end="2021-04-20", downloader=stub, data_dir=data) == {"BABA": 0}
    assert snapshot(data) == before


def _raise(ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    raise ConnectionError("network is unreachable")


def _empty(ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return BARS.iloc[0:0]


def _rebased(ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return stub(ticker, start, end) * 1.05  # a different price basis: must not be spliced


@pytest.mark.parametrize(("downloader", "message"), [
    (_raise, "BABA: download of BABA failed .*network is unreachable.*unchanged"),
    (_empty, "BABA: the download of BABA returned no rows.*unchanged"),
    (_rebased, "BABA: downloaded closes differ from the snapshot by up to 5.0%.*unchanged"),
])
def test_refresh_failure_leaves_snapshot_untouched(data: Path, downloader, message: str) -> None:
    before = snapshot(data)
    with pytest.raises(CrackdownError, match=message):
        refresh_prices(["BABA"], end="2021-04-30", downloader=downloader, data_dir=data)
    assert snapshot(data) == before


def test_one_failing_symbol_blocks_all(data: Path) -> None:
    def partly(ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return stub(ticker, start, end) if ticker == "BABA" else _raise(ticker, start, end)

    before = snapshot(data)
    with pytest.raises(CrackdownError, match="IDX_GSPC: download of \\^GSPC failed"):
        refresh_prices(["BABA", "IDX_GSPC"], end="2021-04-30", downloader=partly, data_dir=data)
    assert snapshot(data) == before


def test_missing_yfinance_is_a_clear_error(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yfinance", None)  # import yfinance -> ImportError
    before = snapshot(data)
    with pytest.raises(CrackdownError, match=r"pip install 'crackdown\[refresh\]'"):
        refresh_prices(["BABA"], end="2021-04-30", data_dir=data)
    assert snapshot(data) == before
