"""Coverage of the daily price snapshot: which securities have prices over which dates, and on what basis."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from crackdown import calendars
from crackdown.data import load_prices, load_securities


def session_mask(prices: pd.DataFrame, exchanges: pd.Series) -> pd.DataFrame:
    """True where a date of ``prices``' index is a trading session of that column's own exchange."""
    index = prices.index
    by_exchange = {
        mic: index.isin(calendars.sessions(mic, index.min(), index.max())) for mic in exchanges.unique()
    }
    return pd.DataFrame({s: by_exchange[exchanges[s]] for s in prices.columns}, index=index)


def coverage_table(symbols: Iterable[str] | None = None, start=None, end=None) -> pd.DataFrame:
    """Per security: exchange, price basis, first and last priced session, sessions expected and missing.

    Sessions are counted on the security's own exchange calendar between its first and last priced day in
    the window; ``missing`` counts sessions without a price (suspensions, or gaps in the source).
    """
    securities = load_securities().set_index("symbol")
    prices = load_prices(symbols, start, end, field="close")
    exchanges = securities.loc[prices.columns, "exchange"]
    observed = prices.notna()
    sessions = session_mask(prices, exchanges)
    has_any = observed.any()
    first = observed.idxmax().where(has_any)
    last = observed[::-1].idxmax().where(has_any)
    expected = (sessions & _priced_span(observed)).sum()
    table = pd.DataFrame({
        "firm_id": securities.loc[prices.columns, "firm_id"],
        "security_type": securities.loc[prices.columns, "security_type"],
        "exchange": exchanges,
        "price_basis": securities.loc[prices.columns, "price_basis"],
        "first_priced": first,
        "last_priced": last,
        "sessions": expected,
        "priced": observed.sum(),
    })
    table["missing"] = table["sessions"] - table["priced"]
    table["missing_share"] = (table["missing"] / table["sessions"]).where(table["sessions"] > 0)
    table.index.name = "symbol"
    return table


def rows_per_year(symbols: Iterable[str] | None = None, start=None, end=None) -> pd.DataFrame:
    """Number of priced sessions per security (rows) and calendar year (columns)."""
    observed = load_prices(symbols, start, end, field="close").notna()
    counts = observed.groupby(observed.index.year).sum().T
    counts.columns.name = "year"
    return counts


def _priced_span(observed: pd.DataFrame) -> pd.DataFrame:
    """True between each column's first and last priced date (inclusive)."""
    started = observed.cummax()
    not_ended = observed[::-1].cummax()[::-1]
    return started & not_ended


def monthly_coverage(symbols: Iterable[str] | None = None, start=None, end=None) -> pd.DataFrame:
    """Share of each month's own-exchange sessions that have a price: securities (rows) x months (columns).

    Months before a security's first priced day or after its last are NaN (not listed yet, delisted, or the
    file ends), so that only gaps inside a security's span show as low coverage.
    """
    securities = load_securities().set_index("symbol")
    prices = load_prices(symbols, start, end, field="close")
    observed = prices.notna()
    sessions = session_mask(prices, securities.loc[prices.columns, "exchange"]) & _priced_span(observed)
    share = (observed & sessions).resample("MS").sum() / sessions.resample("MS").sum().replace(0, float("nan"))
    return share.T


def snapshot_span(*, data_dir=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last session on which any security of the snapshot has a price (the range a notebook's dates
    may take; read from the price files, so it follows the data)."""
    observed = load_prices(field="close", data_dir=data_dir).notna().any(axis=1)
    dates = observed.index[observed.to_numpy()]
    return dates.min(), dates.max()


def unpriced_securities(*, data_dir=None) -> pd.DataFrame:
    """Securities listed in securities.csv without a price file (``price_basis`` none): symbol, name, exchange."""
    securities = load_securities(data_dir=data_dir)
    return securities.loc[securities["price_basis"] == "none", ["symbol", "name", "exchange"]].reset_index(drop=True)
