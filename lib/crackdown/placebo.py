"""Placebo inference in one place: candidate dates, pseudo-events and Monte-Carlo p-values.

Used by the engine (:func:`crackdown.eventstudy.placebo_pvalue`), the market study
(:func:`crackdown.reaction.placebo_long_short`) and the sweep (:mod:`crackdown.robustness`):

- :func:`session_union` / :func:`exchange_sessions`: the trading sessions pseudo-events are drawn from;
- :func:`away_from_events`: sessions more than ``gap`` sessions from every real event;
- :func:`draw_dates` (one generator for all events) and :func:`draw_dates_per_event` (one generator per event,
  so an event's draws are the same whatever other events are studied): the ``uniform`` pool;
- :func:`regime_eligible`, :func:`draw_pool` and :func:`draw_pool_per_event`: the ``regime`` pool (the default),
  each event's draws restricted to candidates within 6 months whose benchmark volatility tercile matches the
  event's (:mod:`crackdown.regime`), widened to 12, 18 or 24 months for an event with fewer than 10 such dates;
- :func:`pseudo_pairs`: (pseudo-event, security) pairs with day 0 on each security's own exchange;
- :func:`monte_carlo_p` and :func:`placebo_p_values`: ``(1 + count) / (1 + draws)``, the p-value that counts the
  real statistic as one of the draws (never 0), with its Monte-Carlo standard error.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crackdown import regime
from crackdown.errors import CrackdownError

if TYPE_CHECKING:
    from crackdown.eventstudy import ReturnPanel

POOLS = ("regime", "uniform")  # placebo candidate pools: same period and volatility regime, or any candidate
REGIME_MONTHS, REGIME_BINS, REGIME_LOOKBACK = 6, 3, 20
REGIME_WIDEN = (12, 18, 24)  # months tried in turn for an event with too few same-regime candidates
REGIME_MIN_CANDIDATES = 10


# ------------------------------------------------------------------------------------------ candidate dates


def session_union(panel: ReturnPanel) -> pd.DatetimeIndex:
    """Every session of any exchange of ``panel`` (sorted, unique)."""
    return pd.DatetimeIndex(np.unique(np.concatenate([panel.sessions[m].to_numpy() for m in panel.mics])))


def exchange_sessions(mics: Iterable[str], start: Any, end: Any) -> pd.DatetimeIndex:
    """Every session of any of ``mics`` in [start, end] (sorted, unique)."""
    from crackdown.calendars import sessions

    return pd.DatetimeIndex(np.unique(np.concatenate([sessions(m, start, end).to_numpy() for m in mics])))


def away_from_events(union: pd.DatetimeIndex, real: np.ndarray, gap: int) -> np.ndarray:
    """Mask of ``union``: True for sessions more than ``gap`` sessions from every date of ``real`` (a real date
    counts at the first session on or after it)."""
    pos = np.unique(union.searchsorted(real))
    near = np.zeros(len(union) + 1, dtype=int)  # +1 where a marked run starts, -1 after it ends
    np.add.at(near, np.clip(pos - gap, 0, len(union)), 1)
    np.add.at(near, np.clip(pos + gap + 1, 0, len(union)), -1)
    return np.cumsum(near)[:-1] == 0


def with_avoided(real: np.ndarray, avoid: Iterable | None) -> np.ndarray:
    """``real`` dates plus the dates of ``avoid`` (None: none)."""
    if avoid is None:
        return real
    return np.concatenate([real, pd.DatetimeIndex(pd.to_datetime(list(avoid))).to_numpy()])


# ------------------------------------------------------------------------------------------------- draws


def draw_dates(candidates: np.ndarray, n: int, n_events: int, seed: int) -> np.ndarray:
    """(n x n_events) dates drawn with replacement from ``candidates`` by ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return candidates[rng.integers(0, len(candidates), size=(int(n), n_events))]


def draw_dates_per_event(candidates: np.ndarray, n: int, event_ids: Sequence[str], seed: int) -> np.ndarray:
    """(n x events) dates; each event's column comes from a generator seeded by (seed, crc32 of its id), so a
    draw moves an event to the same date whatever other events are drawn with it."""
    cols = [np.random.default_rng([seed, zlib.crc32(e.encode())]).integers(0, len(candidates), n)
            for e in event_ids]
    return candidates[np.stack(cols, axis=1)] if cols else np.empty((n, 0), dtype="datetime64[ns]")


def check_pool(pool: str) -> str:
    """``pool`` if it is one of :data:`POOLS`, else a CrackdownError naming ``placebo_pool``."""
    if pool not in POOLS:
        raise CrackdownError(f"placebo_pool: expected one of {', '.join(POOLS)}, got {pool!r}")
    return pool


def regime_eligible(candidates: np.ndarray, event_days: pd.Series, bench_returns: pd.Series,
                    months: int = REGIME_MONTHS, n_bins: int = REGIME_BINS, lookback: int = REGIME_LOOKBACK,
                    widen: tuple[int, ...] = REGIME_WIDEN,
                    min_candidates: int = REGIME_MIN_CANDIDATES) -> pd.DataFrame:
    """Events x candidates: the candidates within ``months`` of the event whose benchmark trailing volatility
    (``lookback`` sessions before the date) is in the same of ``n_bins`` sample quantile bins as the event's
    (:mod:`crackdown.regime`). An event with fewer than ``min_candidates`` such dates (a dense run of real
    events leaves few non-event dates nearby) takes the first span of ``widen`` (months) that has enough, or
    the widest; the span used per event is in ``.attrs["months"]``. ``bench_returns``: the benchmark's daily
    returns on its own sessions (the bins are cut over all of them); ``event_days``: day 0 (or date) per event,
    indexed by event id."""
    bins = regime.volatility_bins(regime.trailing_volatility(bench_returns, lookback), n_bins)
    cands = pd.DatetimeIndex(candidates)
    ok = regime.eligible_dates(event_days, cands, bins, months)
    used = pd.Series(int(months), index=ok.index)
    for wider in widen:  # a few spans
        thin = ok.sum(axis=1).to_numpy() < min_candidates
        if not thin.any():
            break
        more = regime.eligible_dates(event_days, cands, bins, int(wider))
        ok.loc[thin] = more.loc[thin].to_numpy()
        used[thin] = int(wider)
    ok.attrs["months"] = used.to_dict()
    return ok


def draw_pool(pool: str, candidates: np.ndarray, n: int, event_days: pd.Series, seed: int,
              bench_returns: pd.Series | None = None) -> tuple[np.ndarray, dict | None]:
    """(n x events) placebo dates from ``pool``: ``uniform`` (:func:`draw_dates`) or ``regime`` (each event's
    dates from :func:`regime_eligible`; needs ``bench_returns``), and for ``regime`` the months span used per
    event (None for ``uniform``)."""
    if check_pool(pool) == "uniform":
        return draw_dates(candidates, n, len(event_days), seed), None
    if bench_returns is None:
        raise CrackdownError("regime_benchmark: the regime placebo pool needs a benchmark return series")
    ok = regime_eligible(candidates, event_days, bench_returns)
    return regime.draw_regime_dates(ok, n, seed), ok.attrs["months"]


def draw_pool_per_event(pool: str, candidates: np.ndarray, n: int, event_days: pd.Series, seed: int,
                        bench_returns: pd.Series | None = None) -> np.ndarray:
    """:func:`draw_pool` with one generator per event seeded by (seed, crc32 of its id): an event's draws are
    the same whatever other events are drawn with it (``event_days`` indexed by event id)."""
    ids = [str(e) for e in event_days.index]
    if check_pool(pool) == "uniform":
        return draw_dates_per_event(candidates, n, ids, seed)
    if bench_returns is None:
        raise CrackdownError("regime_benchmark: the regime placebo pool needs a benchmark return series")
    ok = regime_eligible(candidates, event_days, bench_returns)
    cols = [regime.draw_regime_dates(ok.iloc[[i]], n, [seed, zlib.crc32(e.encode())])[:, 0]
            for i, e in enumerate(ids)]
    return np.stack(cols, axis=1) if cols else np.empty((n, 0), dtype="datetime64[ns]")


def benchmark_series(panel: ReturnPanel, symbol_col: int, which: str = "r") -> pd.Series:
    """A panel column's returns (``r``) or its benchmark's (``m``) on its own exchange's sessions."""
    mic = panel.mics[panel.ex_code[symbol_col]]
    sess = panel.sessions[mic]
    values = (panel.r if which == "r" else panel.m)[: len(sess), symbol_col]
    return pd.Series(values, index=sess)


# ------------------------------------------------------------------------------------------ pseudo pairs


def pseudo_pairs(panel: ReturnPanel, col: np.ndarray, dates: np.ndarray, event_id: np.ndarray | None = None,
                 within_coverage: bool = False) -> pd.DataFrame:
    """Pairs of security column ``col[i]`` with a pseudo event on ``dates[i]``: day 0 is the first session on or
    after the date on the security's exchange (as for an event without a time). ``within_coverage`` leaves out
    pairs whose day 0 lies outside the security's price coverage (otherwise the fit drops them).

    Columns: event_id (when given), symbol, exchange, day0, col, pos0.
    """
    pos0 = np.empty(len(col), dtype=np.int64)
    ex = panel.ex_code[col]
    for k, mic in enumerate(panel.mics):  # a handful of exchanges
        here = ex == k
        pos0[here] = np.searchsorted(panel.sessions[mic].to_numpy(), dates[here], side="left")
    if within_coverage:
        keep = (pos0 >= panel.first_valid[col]) & (pos0 <= panel.last_valid[col])
        col, pos0, dates = col[keep], pos0[keep], dates[keep]
        event_id = None if event_id is None else event_id[keep]
    frame = {} if event_id is None else {"event_id": event_id}
    return pd.DataFrame({**frame, "symbol": np.asarray(panel.symbols, dtype=object)[col],
                         "exchange": np.asarray(panel.exchanges, dtype=object)[col],
                         "day0": dates, "col": col, "pos0": pos0})


# --------------------------------------------------------------------------------------------- p-values


def monte_carlo_p(count: int, draws: int) -> float:
    """``(1 + count) / (1 + draws)``: the share of draws at least as extreme, counting the real statistic as one
    of them (Davison and Hinkley 1997, eq. 4.11), so it is never 0."""
    return (1 + int(count)) / (1 + int(draws))


def placebo_p_values(actual: float, placebo: np.ndarray) -> dict[str, Any]:
    """Two-sided, lower and upper Monte-Carlo p-values of ``actual`` against the non-NaN ``placebo`` draws:
    ``p_two_sided`` (|draw| >= |actual|), ``p_lower`` (draw <= actual), ``p_upper`` (draw >= actual), each with
    its Monte-Carlo standard error ``*_mc_se`` (:func:`crackdown.regime.mc_standard_error`), and ``n_placebo``
    (the non-NaN draws)."""
    valid = placebo[~np.isnan(placebo)]
    k = len(valid)
    out = {"p_two_sided": monte_carlo_p((np.abs(valid) >= abs(actual)).sum(), k),
           "p_lower": monte_carlo_p((valid <= actual).sum(), k),
           "p_upper": monte_carlo_p((valid >= actual).sum(), k), "n_placebo": k}
    for key in ("p_two_sided", "p_lower", "p_upper"):
        out[f"{key}_mc_se"] = regime.mc_standard_error(out[key], k) if k else np.nan
    return out
