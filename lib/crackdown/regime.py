"""Placebo dates from the same period and volatility regime as the real events.

Rule (one per real event): a candidate placebo date is eligible for an event when

1. it lies within ``months`` (default 6) calendar months either side of the event's day 0, and
2. the benchmark's trailing realized volatility on it falls in the same bin (default: tercile) as on day 0.

Trailing realized volatility on session t is the sample standard deviation (ddof 1) of the benchmark's
``lookback`` (default 20) daily returns on the sessions strictly before t (so day 0's own move does not set
its regime); it is undefined unless all ``lookback`` returns are present. Bin cut points are the quantiles
(1/3, 2/3 for terciles) of the trailing volatility over every session of the series passed in (the sample
period), so "high volatility" means high for this sample. Candidates with undefined volatility are never
eligible. Each placebo replication draws one date per event, uniformly among that event's eligible dates,
which keeps the events' mix of calm and turbulent periods (the crackdown's 2021 events are not compared with
placebo dates from calmer years).

The Monte-Carlo standard error of a placebo p-value from ``draws`` replications is sqrt(p (1 - p) / draws).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crackdown.errors import CrackdownError

__all__ = [
    "draw_regime_dates",
    "eligible_dates",
    "mc_standard_error",
    "trailing_volatility",
    "volatility_bins",
]


def trailing_volatility(bench_returns: pd.Series, lookback: int = 20) -> pd.Series:
    """sd (ddof 1) of the ``lookback`` returns before each session; NaN unless all are present."""
    if int(lookback) < 2:
        raise CrackdownError(f"lookback: need at least 2 sessions, got {lookback}")
    r = pd.Series(bench_returns, dtype=float)
    return r.shift(1).rolling(int(lookback), min_periods=int(lookback)).std(ddof=1)


def volatility_bins(vol: pd.Series, n_bins: int = 3) -> pd.Series:
    """Bin 0 (calmest) .. n_bins - 1 of each session's trailing volatility, cut at the sample quantiles
    k / n_bins; NaN where the volatility is undefined."""
    if int(n_bins) < 1:
        raise CrackdownError(f"n_bins: need at least 1 bin, got {n_bins}")
    v = pd.Series(vol, dtype=float)
    valid = v.dropna()
    if valid.empty:
        raise CrackdownError("vol: no session with a defined trailing volatility")
    cuts = np.quantile(valid.to_numpy(), np.arange(1, int(n_bins)) / int(n_bins))
    bins = np.searchsorted(cuts, v.to_numpy(), side="right").astype(float)
    return pd.Series(np.where(v.notna(), bins, np.nan), index=v.index, name="bin")


def eligible_dates(
    event_days: pd.Series, candidates: pd.DatetimeIndex, bins: pd.Series, months: int = 6
) -> pd.DataFrame:
    """Boolean frame, events x candidate dates: which candidates may stand in for each event.

    ``event_days``: day 0 per event (index: event_id), on the benchmark's sessions or mapped to the first
    session on or after. ``candidates``: placebo candidate dates (already clear of real events and leaving room
    for the estimation window, as the engine builds them). ``bins``: :func:`volatility_bins` on the
    benchmark's sessions. Raises CrackdownError naming the event when its regime is undefined.
    """
    sess = pd.DatetimeIndex(bins.index)
    days = pd.DatetimeIndex(pd.to_datetime(pd.Series(event_days)).to_numpy())
    pos = sess.searchsorted(days, side="left")
    off = pos >= len(sess)
    event_bin = np.where(off, np.nan, bins.to_numpy()[np.minimum(pos, len(sess) - 1)])
    if np.isnan(event_bin).any():
        bad = pd.Series(event_days).index[np.isnan(event_bin)][0]
        raise CrackdownError(
            f"event: {bad!r} has no trailing volatility on its day 0 (too early in the series)"
        )
    cand = pd.DatetimeIndex(candidates)
    cpos = sess.searchsorted(cand, side="left")
    cand_bin = np.where(cpos < len(sess), bins.to_numpy()[np.minimum(cpos, len(sess) - 1)], np.nan)
    lo = (days - pd.DateOffset(months=int(months))).to_numpy()
    hi = (days + pd.DateOffset(months=int(months))).to_numpy()
    c = cand.to_numpy()
    ok = (c[None, :] >= lo[:, None]) & (c[None, :] <= hi[:, None]) & (cand_bin[None, :] == event_bin[:, None])
    return pd.DataFrame(ok, index=pd.Series(event_days).index, columns=cand)


def draw_regime_dates(eligible: pd.DataFrame, n: int, seed: int = 0) -> np.ndarray:
    """``n`` placebo replications x events of dates, each drawn uniformly (with replacement, with
    ``numpy.random.default_rng(seed)``) from that event's eligible candidates. Raises CrackdownError naming
    an event without any eligible candidate."""
    if int(n) < 1:
        raise CrackdownError(f"n: need at least one placebo draw, got {n}")
    ok = eligible.to_numpy(dtype=bool)
    counts = ok.sum(axis=1)
    if (counts == 0).any():
        bad = eligible.index[counts == 0][0]
        raise CrackdownError(
            f"event: no placebo candidate in the same period and volatility regime as {bad!r}; "
            "widen months or use fewer bins"
        )
    rows, cols = np.nonzero(ok)  # row-major: each event's eligible columns are contiguous, in date order
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pick = np.random.default_rng(seed).integers(0, counts, size=(int(n), len(counts)))
    return eligible.columns.to_numpy()[cols[start + pick]]


def mc_standard_error(p_value, draws) -> np.ndarray | float:
    """Monte-Carlo standard error of a simulated p-value: sqrt(p (1 - p) / draws)."""
    p = np.asarray(p_value, dtype=float)
    d = np.asarray(draws, dtype=float)
    if (d < 1).any() or ((p < 0) | (p > 1)).any():
        raise CrackdownError("p_value/draws: need 0 <= p <= 1 and at least one draw")
    out = np.sqrt(p * (1 - p) / d)
    return float(out) if out.ndim == 0 else out
