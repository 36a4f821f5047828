"""Placebo inference in one place: candidate dates, pseudo-events and Monte-Carlo p-values.

Used by the engine (:func:`crackdown.eventstudy.placebo_pvalue`), the market study
(:func:`crackdown.reaction.placebo_long_short`) and the sweep (:mod:`crackdown.robustness`):

- :func:`session_union` / :func:`exchange_sessions`: the trading sessions pseudo-events are drawn from;
- :func:`away_from_events`: sessions more than ``gap`` sessions from every real event;
- :func:`draw_dates` (one generator for all events) and :func:`draw_dates_per_event` (one generator per event,
  so an event's draws are the same whatever other events are studied);
- :func:`pseudo_pairs`: (pseudo-event, security) pairs with day 0 on each security's own exchange;
- :func:`monte_carlo_p` and :func:`placebo_p_values`: ``(1 + count) / (1 + draws)``, the p-value that counts the
  real statistic as one of the draws (never 0).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from crackdown.eventstudy import ReturnPanel


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
    ``p_two_sided`` (|draw| >= |actual|), ``p_lower`` (draw <= actual), ``p_upper`` (draw >= actual), and
    ``n_placebo`` (the non-NaN draws)."""
    valid = placebo[~np.isnan(placebo)]
    k = len(valid)
    return {"p_two_sided": monte_carlo_p((np.abs(valid) >= abs(actual)).sum(), k),
            "p_lower": monte_carlo_p((valid <= actual).sum(), k),
            "p_upper": monte_carlo_p((valid >= actual).sum(), k), "n_placebo": k}
