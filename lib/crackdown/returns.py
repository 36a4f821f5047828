"""Gap-aware returns: moves across trading halts are kept, attributed to the resumption session.

A price series on an exchange's sessions has missing closes where the security was suspended. The plain rule
(``attribute="drop"``, what :func:`crackdown.data.loaders.load_returns` does today) sets every return that
touches a missing close to NaN, so the whole price change across a halt disappears. With
``attribute="resumption"`` the return from the last close before the gap to the first close after it is
booked on the resumption session, and ``spans`` counts the sessions it covers (1 for an ordinary daily
return, 3 for a two-session suspension). Missing days stay NaN: nothing is ever filled with zeros.

The benchmark must cover exactly the same sessions so that abnormal returns stay consistent:
:func:`benchmark_over_spans` (from benchmark prices, exact) or :func:`compound_over_spans` (from benchmark
daily returns) give the benchmark's compounded return over each security return's span, and
:func:`expected_over_spans` the model's expected return over it.

Every function takes arrays or frames whose rows are consecutive sessions of ONE exchange (a security's own
sessions, as in :class:`crackdown.eventstudy.ReturnPanel`); :func:`gap_returns_by_exchange` handles a wide frame
of several exchanges on the union of their sessions (the shape of ``load_prices``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crackdown.calendars import sessions
from crackdown.errors import CrackdownError

__all__ = [
    "ATTRIBUTIONS",
    "RETURN_KINDS",
    "GapReturns",
    "benchmark_over_spans",
    "compound_over_spans",
    "expected_over_spans",
    "gap_returns",
    "gap_returns_by_exchange",
]

ATTRIBUTIONS = ("resumption", "drop")
RETURN_KINDS = ("simple", "log")


@dataclass(frozen=True)
class GapReturns:
    """Returns and, for each, the number of sessions it spans (0 where the return is NaN)."""

    returns: pd.DataFrame
    spans: pd.DataFrame


def _check_choice(value: str, allowed: tuple[str, ...], parameter: str) -> None:
    if value not in allowed:
        raise CrackdownError(f"{parameter}: expected one of {', '.join(allowed)}, got {value!r}")


def _ratio_to_return(ratio: np.ndarray, kind: str) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(ratio) if kind == "log" else ratio - 1.0


def _span_arrays(prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row t: row of the last valid price strictly before t (-1: none) and the price there."""
    n_t = prices.shape[0]
    valid = ~np.isnan(prices)
    last = np.where(valid, np.arange(n_t)[:, None], -1)
    last = np.maximum.accumulate(last, axis=0)  # last valid row at or before t
    prev = np.vstack([np.full((1, prices.shape[1]), -1), last[:-1]])  # strictly before t
    cols = np.broadcast_to(np.arange(prices.shape[1]), prices.shape)
    prev_price = np.where(prev >= 0, prices[np.maximum(prev, 0), cols], np.nan)
    return prev, prev_price


def gap_returns(
    prices: pd.DataFrame,
    kind: str = "simple",
    attribute: str = "resumption",
    max_span: int | None = None,
) -> GapReturns:
    """Returns of each column from its previous available close, with the sessions spanned.

    ``prices``: rows are consecutive sessions of one exchange (NaN: no close, e.g. a suspension), columns are
    securities. ``kind``: ``simple`` (P_t / P_prev - 1) or ``log`` (log(P_t / P_prev)). ``attribute``:
    ``resumption`` books the return across a gap on the first session after it (span = sessions from the
    last close to this one); ``drop`` sets it to NaN (the daily rule: only span-1 returns survive).
    ``max_span``: returns spanning more sessions than this are set to NaN too (e.g. a months-long suspension
    is not an event-day move). Rows where the price is missing have NaN returns and span 0.
    """
    _check_choice(kind, RETURN_KINDS, "kind")
    _check_choice(attribute, ATTRIBUTIONS, "attribute")
    if max_span is not None and int(max_span) < 1:
        raise CrackdownError(f"max_span: need at least 1 session, got {max_span}")
    values = prices.to_numpy(dtype=float)
    if (values <= 0).any():
        bad = np.argwhere(values <= 0)[0]
        raise CrackdownError(
            f"prices: non-positive price {values[tuple(bad)]} for {prices.columns[bad[1]]!r} "
            f"on {prices.index[bad[0]]}"
        )
    prev, prev_price = _span_arrays(values)
    span = np.where(~np.isnan(values) & (prev >= 0), np.arange(len(values))[:, None] - prev, 0)
    limit = 1 if attribute == "drop" else (int(max_span) if max_span is not None else np.iinfo(np.int64).max)
    span = np.where(span <= limit, span, 0)
    ret = np.where(span > 0, _ratio_to_return(values / prev_price, kind), np.nan)
    return GapReturns(
        pd.DataFrame(ret, index=prices.index, columns=prices.columns),
        pd.DataFrame(span.astype(np.int64), index=prices.index, columns=prices.columns),
    )


def gap_returns_by_exchange(
    prices: pd.DataFrame,
    exchanges: Mapping[str, str],
    kind: str = "simple",
    attribute: str = "resumption",
    max_span: int | None = None,
) -> GapReturns:
    """:func:`gap_returns` for a wide frame on the union of several exchanges' sessions.

    Each column is taken on its own exchange's sessions (``exchanges``: symbol -> MIC), so a date that is not a
    session of its exchange is neither a gap nor a return; results come back on ``prices.index`` (NaN and span
    0 off a symbol's own sessions). A price on a date that is not a session of its exchange is an error.
    """
    index = pd.DatetimeIndex(prices.index)
    if len(index) == 0:
        raise CrackdownError("prices: empty price frame")
    missing = [c for c in prices.columns if c not in exchanges]
    if missing:
        raise CrackdownError(f"exchanges: no exchange for symbol {missing[0]!r}")
    ret = pd.DataFrame(np.nan, index=index, columns=prices.columns)
    span = pd.DataFrame(0, index=index, columns=prices.columns, dtype=np.int64)
    by_mic = pd.Series({c: exchanges[c] for c in prices.columns})
    for mic, cols in by_mic.groupby(by_mic).groups.items():  # a handful of exchanges
        own = sessions(str(mic), index.min(), index.max())
        block = prices[list(cols)]
        off = block.loc[~index.isin(own)].notna().any()
        if off.any():
            sym = off.index[off.to_numpy()][0]
            day = block.index[~index.isin(own) & block[sym].notna().to_numpy()][0]
            raise CrackdownError(f"prices: {sym!r} has a price on {day.date()}, not a {mic} session")
        g = gap_returns(block.reindex(own), kind, attribute, max_span)
        ret[list(cols)] = g.returns.reindex(index)
        span[list(cols)] = g.spans.reindex(index, fill_value=0)
    return GapReturns(ret, span)


def benchmark_over_spans(bench_prices: np.ndarray, spans: np.ndarray, kind: str = "simple") -> np.ndarray:
    """The benchmark's return over each security return's span, from benchmark closes.

    ``bench_prices`` (T,) or (T, N) on the security's sessions; ``spans`` (T, N) from :func:`gap_returns`. The
    value at (t, j) is the benchmark's return from its close at row t - spans[t, j] to its close at row t (NaN
    where either close is missing or span is 0): exactly the sessions the security's return covers.
    """
    _check_choice(kind, RETURN_KINDS, "kind")
    spans = np.asarray(spans)
    b = np.asarray(bench_prices, dtype=float)
    b = np.broadcast_to(b[:, None] if b.ndim == 1 else b, spans.shape)
    rows = np.arange(spans.shape[0])[:, None] - spans
    cols = np.broadcast_to(np.arange(spans.shape[1]), spans.shape)
    start = np.where((spans > 0) & (rows >= 0), b[np.clip(rows, 0, None), cols], np.nan)
    return np.where(spans > 0, _ratio_to_return(b / start, kind), np.nan)


def compound_over_spans(returns: np.ndarray, spans: np.ndarray, kind: str = "simple") -> np.ndarray:
    """A daily return series compounded over each span: prod(1 + r) - 1 (simple) or sum(r) (log).

    ``returns`` (T,) or (T, N) daily (span-1) returns on the security's sessions, e.g. the benchmark's;
    ``spans`` (T, N). The value at (t, j) compounds rows t - spans[t, j] + 1 .. t; it is NaN if any of those
    daily returns is missing (no gap in the benchmark is papered over) or span is 0. Prefix sums: O(T N).
    """
    _check_choice(kind, RETURN_KINDS, "kind")
    spans = np.asarray(spans)
    r = np.asarray(returns, dtype=float)
    r = np.broadcast_to(r[:, None] if r.ndim == 1 else r, spans.shape)
    with np.errstate(invalid="ignore"):
        logs = r if kind == "log" else np.log1p(r)
    miss = np.isnan(logs)
    zero = np.zeros((1, spans.shape[1]))
    level = np.vstack([zero, np.cumsum(np.where(miss, 0.0, logs), axis=0)])
    holes = np.vstack([zero, np.cumsum(miss, axis=0)])
    hi = np.arange(1, spans.shape[0] + 1)[:, None]
    lo = np.clip(hi - spans, 0, None)
    cols = np.broadcast_to(np.arange(spans.shape[1]), spans.shape)
    total = level[hi, cols] - level[lo, cols]
    ok = (spans > 0) & (hi - spans >= 0) & (holes[hi, cols] - holes[lo, cols] == 0)
    return np.where(ok, total if kind == "log" else np.expm1(total), np.nan)


def expected_over_spans(
    alpha: np.ndarray, beta: np.ndarray, bench_span: np.ndarray, spans: np.ndarray
) -> np.ndarray:
    """Market-model expected return over a span: spans * alpha + beta * benchmark return over the span.

    ``alpha``/``beta`` are per-session parameters (broadcast against ``spans``); the intercept accrues once per
    session spanned (to first order, like the model's daily form). NaN where span is 0.
    """
    spans = np.asarray(spans)
    return np.where(spans > 0, spans * np.asarray(alpha) + np.asarray(beta) * bench_span, np.nan)
