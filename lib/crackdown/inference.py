"""Inference for event studies whose events cluster in calendar time.

Pair CARs of the same event (and of events whose windows overlap) share market-wide shocks, so treating
pairs as independent overstates precision. This module reports side by side, for one group or for a
long-short difference of two groups:

(a) :func:`pairs_test`: pairs as observations (cross-sectional t; Welch two-sample t for a long-short).
    Assumes pair CARs are independent: too narrow whenever pairs share event days.
(b) :func:`events_test`: events as observations: t over event-level means (long-short: per-event
    difference of the two groups' means). Assumes events are independent; ignores overlap between events.
(c) :func:`clusters_test`: events whose windows overlap in calendar time (on any exchange) merged into
    clusters (connected components of the overlap graph); t over cluster means of event values. Assumes
    clusters are independent; few clusters means few degrees of freedom (low power, honest size).
(d) :func:`calendar_time_test`: the daily (long-short) portfolio abnormal return over all event-window days,
    regressed on a constant with Newey-West (HAC) errors. Robust to overlap and serial correlation; the
    estimate is a mean daily AR (multiply by the window length for a CAR scale).

:func:`kolari_pynnonen` adjusts the BMP test for cross-correlation including pairs of different events
whose windows share days. :func:`most_conservative` picks the headline. Every test returns an
:class:`Inference` (estimate, se, t, p_value, n); p-values are two-sided.

Inputs: a tidy pair frame with columns event_id, symbol, group, car; a windows frame with event_id, start,
end (calendar dates of each event's window on each exchange, one row per event x exchange or per pair); and
for (d) a tidy daily frame with date, group, ar (the event-window days only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from statsmodels.regression.linear_model import OLS  # not statsmodels.api (0.3 s to import it all)

from crackdown.errors import CrackdownError

__all__ = [
    "Headline",
    "Inference",
    "calendar_time_test",
    "clusters_test",
    "event_clusters",
    "event_values",
    "events_test",
    "inputs_from_event_study",
    "kolari_pynnonen",
    "most_conservative",
    "newey_west_lags",
    "pairs_test",
    "side_by_side",
]

Target = str | tuple[str, str]  # a group label, or (long, short) group labels


@dataclass(frozen=True)
class Inference:
    """One test's result; ``as_dict()`` gives exactly estimate, se, t, p_value, n."""

    estimate: float
    se: float
    t: float
    p_value: float
    n: int

    def as_dict(self) -> dict:
        return asdict(self)


def _require(frame: pd.DataFrame, columns: tuple[str, ...], parameter: str) -> None:
    missing = [c for c in columns if c not in frame]
    if missing:
        raise CrackdownError(f"{parameter}: missing column(s) {', '.join(missing)}")


def _from_estimate(estimate: float, se: float, n: int, df: float) -> Inference:
    t = estimate / se if se > 0 else np.nan
    p = 2 * stats.t.sf(abs(t), df) if df > 0 and np.isfinite(t) else np.nan
    return Inference(float(estimate), float(se), float(t), float(p), int(n))


def _one_sample(values: np.ndarray) -> Inference:
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    if n == 0:
        return Inference(np.nan, np.nan, np.nan, np.nan, 0)
    se = v.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    return _from_estimate(v.mean(), se, n, n - 1)


def _legs(target: Target) -> tuple[str, str | None]:
    if isinstance(target, str):
        return target, None
    if len(target) != 2:
        raise CrackdownError(f"target: expected a group or a (long, short) pair of groups, got {target!r}")
    return str(target[0]), str(target[1])


def _group_cars(cars: pd.DataFrame, group: str) -> pd.DataFrame:
    rows = cars[(cars["group"] == group) & cars["car"].notna()]
    if rows.empty:
        raise CrackdownError(f"group: no pair CARs for group {group!r}")
    return rows


def pairs_test(cars: pd.DataFrame, target: Target) -> Inference:
    """(a) Pairs as observations: one-sample t of the group's pair CARs, or for ``(long, short)`` Welch's
    t of the difference of the two groups' mean CARs (Welch-Satterthwaite df); n counts pairs."""
    _require(cars, ("event_id", "group", "car"), "cars")
    long, short = _legs(target)
    a = _group_cars(cars, long)["car"].to_numpy(dtype=float)
    if short is None:
        return _one_sample(a)
    b = _group_cars(cars, short)["car"].to_numpy(dtype=float)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return _from_estimate(a.mean() - b.mean(), np.sqrt(va + vb), len(a) + len(b), df)


def event_values(cars: pd.DataFrame, target: Target) -> pd.Series:
    """Per-event value: the mean CAR of the group's pairs, or the long mean minus the short mean (events with
    pairs in both legs only). Indexed by event_id, sorted."""
    _require(cars, ("event_id", "group", "car"), "cars")
    long, short = _legs(target)
    a = _group_cars(cars, long).groupby("event_id")["car"].mean()
    if short is None:
        return a.sort_index()
    b = _group_cars(cars, short).groupby("event_id")["car"].mean()
    return (a - b).dropna().sort_index()


def events_test(cars: pd.DataFrame, target: Target) -> Inference:
    """(b) Events as observations: one-sample t over :func:`event_values`; n counts events."""
    return _one_sample(event_values(cars, target).to_numpy())


def event_clusters(windows: pd.DataFrame) -> pd.Series:
    """Cluster label per event: events are linked when any of their windows (on any exchange) share a
    calendar date (start_i <= end_j and start_j <= end_i, inclusive), and clusters are the connected
    components of that graph (so A-B and B-C overlapping puts A, B, C together). Labels 0.. in order of
    each cluster's earliest window start; indexed by event_id with the ids' own type (text or integer, as in
    the pair frames of :func:`event_values`)."""
    _require(windows, ("event_id", "start", "end"), "windows")
    w = windows.dropna(subset=["start", "end"])
    start = pd.to_datetime(w["start"]).to_numpy()
    end = pd.to_datetime(w["end"]).to_numpy()
    if (start > end).any():
        raise CrackdownError(f"windows: start after end for event {w['event_id'][start > end].iloc[0]!r}")
    ev, codes = pd.factorize(w["event_id"], sort=True)  # ids as given (text or integer), not cast to text
    overlap = (start[:, None] <= end[None, :]) & (start[None, :] <= end[:, None])  # windows x windows
    i, j = np.nonzero(overlap)
    graph = coo_matrix((np.ones(len(i)), (ev[i], ev[j])), shape=(len(codes), len(codes)))
    _, label = connected_components(graph, directed=False)
    first = pd.Series(start).groupby(label[ev]).min().sort_values()
    relabel = pd.Series(np.arange(len(first)), index=first.index)
    return pd.Series(relabel.loc[label].to_numpy(), index=pd.Index(codes, name="event_id"), name="cluster")


def clusters_test(cars: pd.DataFrame, windows: pd.DataFrame, target: Target) -> Inference:
    """(c) Clusters as observations: each cluster's value is the mean of its events' :func:`event_values`
    (events weighted equally); one-sample t over clusters; n counts clusters."""
    values = event_values(cars, target)
    labels = event_clusters(windows)
    unknown = values.index.difference(labels.index)
    if len(unknown):
        raise CrackdownError(f"windows: no window for event {unknown[0]!r}")
    return _one_sample(values.groupby(labels.loc[values.index].to_numpy()).mean().to_numpy())


def newey_west_lags(n_obs: int) -> int:
    """Newey-West (1994) rule of thumb: floor(4 * (T / 100) ** (2 / 9))."""
    return int(np.floor(4 * (n_obs / 100) ** (2 / 9)))


def calendar_time_series(daily: pd.DataFrame, target: Target) -> pd.Series:
    """Daily portfolio AR on each calendar date with an event-window pair: the mean AR of the group's pairs
    that day, or long mean minus short mean (dates with both legs)."""
    _require(daily, ("date", "group", "ar"), "daily")
    long, short = _legs(target)
    d = daily[daily["ar"].notna()]
    by = d.groupby(["group", "date"])["ar"].mean()
    if long not in by.index.get_level_values(0):
        raise CrackdownError(f"group: no daily ARs for group {long!r}")
    series = by.loc[long]
    if short is not None:
        if short not in by.index.get_level_values(0):
            raise CrackdownError(f"group: no daily ARs for group {short!r}")
        series = (series - by.loc[short]).dropna()
    return series.sort_index()


def calendar_time_test(daily: pd.DataFrame, target: Target, maxlags: int | None = None) -> Inference:
    """(d) Calendar-time portfolio: OLS of :func:`calendar_time_series` on a constant, HAC (Bartlett,
    Newey-West) standard errors with ``maxlags`` (default :func:`newey_west_lags` of the number of days),
    t with T - 1 df. The series skips non-window dates, so lags count window days, not calendar days.
    Estimate: mean daily (long-short) AR; n: days."""
    y = calendar_time_series(daily, target).to_numpy(dtype=float)
    if len(y) < 3:
        raise CrackdownError(
            f"daily: need at least 3 event-window days for a calendar-time test, got {len(y)}"
        )
    lags = newey_west_lags(len(y)) if maxlags is None else int(maxlags)
    res = OLS(y, np.ones(len(y))).fit(cov_type="HAC", cov_kwds={"maxlags": lags}, use_t=True)
    return Inference(
        float(res.params[0]), float(res.bse[0]), float(res.tvalues[0]), float(res.pvalues[0]), len(y)
    )


def _unit_deviations(est_ar: np.ndarray) -> np.ndarray:
    """Rows demeaned over their valid days, zero elsewhere, scaled to unit norm (all-zero rows stay zero)."""
    ok = ~np.isnan(est_ar)
    n_ok = ok.sum(axis=1, keepdims=True)
    mean = np.divide(
        np.where(ok, est_ar, 0.0).sum(axis=1, keepdims=True),
        n_ok,
        where=n_ok > 0,
        out=np.zeros_like(n_ok, dtype=float),
    )
    dev = np.where(ok, est_ar - mean, 0.0)
    norm = np.sqrt((dev**2).sum(axis=1, keepdims=True))
    return np.divide(dev, norm, where=norm > 0, out=np.zeros_like(dev))


def kolari_pynnonen(scar: np.ndarray, est_ar: np.ndarray, in_window: np.ndarray) -> tuple[Inference, float]:
    """Kolari-Pynnonen (2010, Review of Financial Studies 23(11)) adjusted BMP test, with cross-event
    correlation where event windows share days. Returns the result and r-bar.

    ``scar`` (n,): standardised CARs (sum of SARs / sqrt(window days)). ``est_ar`` (n, D): estimation-period
    ARs on a common calendar-date axis (NaN off a pair's estimation days). ``in_window`` (n, K): True where
    calendar date k is in pair i's event window.

    t_BMP = mean(SCAR) sqrt(n) / sd(SCAR); t_KP = t_BMP sqrt((1 - rbar) / (1 + (n - 1) rbar)) (KP 2010,
    eq. for the adjusted BMP), with rbar = sum_{i != j} rho_ij o_ij / (n (n - 1)): rho_ij the correlation of
    the estimation ARs (deviations from each pair's own mean, days missing for one pair counting as zero
    deviations) and o_ij = d_ij / sqrt(W_i W_j) the share of shared window days (d_ij shared dates, W window
    lengths). For pairs of one event o_ij = 1 (KP's setting); disjoint windows give 0 (the engine's current
    rbar). The o_ij weighting is this project's extension: it is the correlation of the two SCARs implied by
    daily correlation rho_ij on the shared days only. Computed as ||U'V||_F^2 minus the diagonal, U the unit
    deviations and V the window indicators / sqrt(W), so it costs O(n (D + K) min(D, K)), not O(n^2).
    """
    s = np.asarray(scar, dtype=float)
    e, w = np.asarray(est_ar, dtype=float), np.asarray(in_window, dtype=bool)
    if not (len(s) == len(e) == len(w)):
        raise CrackdownError(f"scar: {len(s)} pairs but est_ar has {len(e)} rows and in_window {len(w)}")
    keep = ~np.isnan(s)
    s, e, w = s[keep], e[keep], w[keep]
    n = len(s)
    if n < 3:
        raise CrackdownError(f"scar: the Kolari-Pynnonen test needs at least 3 pairs, got {n}")
    u = _unit_deviations(e)
    width = w.sum(axis=1, keepdims=True)
    v = np.divide(w, np.sqrt(width), where=width > 0, out=np.zeros(w.shape))
    cross = float(np.square(u.T @ v).sum() - ((u**2).sum(axis=1) * (v**2).sum(axis=1)).sum())
    rbar = cross / (n * (n - 1))
    adj = np.sqrt((1 - rbar) / (1 + (n - 1) * rbar))  # t_KP = t_BMP * adj, so se = sd / sqrt(n) / adj
    return _from_estimate(s.mean(), s.std(ddof=1) / np.sqrt(n) / adj, n, n - 1), rbar


def inputs_from_event_study(
    car_frame: pd.DataFrame, ar_frame: pd.DataFrame, groups: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The (cars, windows, daily) inputs of this module from the engine's tidy outputs for ONE window.

    ``car_frame``: ``eventstudy.car(fit, window)`` (event_id, symbol, exchange, car, ...); ``ar_frame``:
    ``eventstudy.abnormal_returns(fit, window)`` (event_id, symbol, exchange, date, ar, ...); ``groups``:
    symbol -> group label (symbols without a label are left out). Windows are each event's first and last
    window session per exchange; daily holds date, group, ar for every pair-day of the window. Event ids keep
    their type in all three frames (text, or the integer positions of a sweep).
    """
    _require(car_frame, ("event_id", "symbol", "car"), "car_frame")
    _require(ar_frame, ("event_id", "symbol", "exchange", "date", "ar"), "ar_frame")
    if "window" in car_frame and car_frame["window"].nunique() > 1:
        raise CrackdownError("car_frame: holds several windows; pass the rows of one window")
    label = pd.Series(dict(groups), dtype=object)
    cars = car_frame.assign(group=car_frame["symbol"].map(label)).dropna(subset=["group"])
    days = ar_frame.dropna(subset=["date"])
    windows = (
        days.groupby(["event_id", "exchange"], as_index=False)["date"]
        .agg(start="min", end="max")
        .reset_index(drop=True)
    )
    daily = days.assign(group=days["symbol"].map(label)).dropna(subset=["group"])
    return (
        cars[["event_id", "symbol", "group", "car"]].reset_index(drop=True),
        windows,
        daily[["event_id", "symbol", "group", "date", "ar"]].reset_index(drop=True),
    )


def side_by_side(
    cars: pd.DataFrame, windows: pd.DataFrame, daily: pd.DataFrame | None, target: Target
) -> dict[str, Inference]:
    """(a)-(d) for one target: keys pairs, events, clusters and (with ``daily``) calendar_time."""
    out = {
        "pairs": pairs_test(cars, target),
        "events": events_test(cars, target),
        "clusters": clusters_test(cars, windows, target),
    }
    if daily is not None:
        out["calendar_time"] = calendar_time_test(daily, target)
    return out


@dataclass(frozen=True)
class Headline:
    """The test the headline quotes, its result and why it was chosen."""

    name: str
    result: Inference
    reason: str


DEFAULT_MIN_N = {"events": 6, "clusters": 6, "calendar_time": 30}
_ORDER = ("clusters", "calendar_time", "events")  # tie-break: the most aggregated first


def most_conservative(results: Mapping[str, Inference], min_n: Mapping[str, int] | None = None) -> Headline:
    """Headline rule: among events, clusters and calendar_time, those with n >= ``min_n`` (default 6 events,
    6 clusters, 30 days: a t with at least 5 df, a HAC variance from at least a month of days) and a finite
    p-value are defensible; quote the one with the largest p-value (ties: clusters, calendar_time, events).
    If none qualifies, quote the largest p among them anyway and say so. Pairs are never the headline."""
    need = {**DEFAULT_MIN_N, **(min_n or {})}
    present = [k for k in _ORDER if k in results and np.isfinite(results[k].p_value)]
    if not present:
        raise CrackdownError("results: no events, clusters or calendar_time result with a p-value")
    adequate = [k for k in present if results[k].n >= need[k]]
    pool = adequate or present
    best = max(pool, key=lambda k: (results[k].p_value, -_ORDER.index(k)))
    r = results[best]
    if adequate:
        reason = f"largest p-value among the defensible tests ({', '.join(adequate)}) with n >= the minimum"
    else:
        reason = "no test reaches its minimum n; largest p-value quoted, treat as indicative only"
    return Headline(best, r, f"{best}: {reason} (n={r.n})")


WITHIN = "within"  # the group label of :func:`within_strata_inputs`' long-short differences


def within_strata_inputs(
    cars: pd.DataFrame, daily: pd.DataFrame | None, target: tuple[str, str], stratum: str = "stratum"
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """A long-short measured within strata (e.g. listing markets: Hong Kong vs Hong Kong) and pooled.

    ``cars`` / ``daily``: this module's inputs with a ``stratum`` column. Returns (cars, daily) whose only group is
    :data:`WITHIN`: one row per (event, stratum) with both legs holding long mean minus short mean CAR, and one
    row per (date, stratum) with both legs holding long mean minus short mean AR. Run :func:`side_by_side` (or
    any test) on them with target :data:`WITHIN`: events then average their strata's differences, clusters
    average events, the calendar-time series averages strata per date, and "pairs" are (event, stratum) cells.
    """
    _require(cars, ("event_id", "group", "car", stratum), "cars")
    long, short = _legs(target)
    if short is None:
        raise CrackdownError(f"target: a within-strata long-short needs (long, short), got {target!r}")

    def diff(frame: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
        d = frame[frame["group"].isin([long, short]) & frame[value].notna()]
        means = d.groupby([*keys, "group"])[value].mean().unstack("group").reindex(columns=[long, short])
        out = (means[long] - means[short]).dropna().rename(value).reset_index()
        return out.assign(group=WITHIN)

    within_cars = diff(cars, ["event_id", stratum], "car")
    within_daily = None
    if daily is not None:
        _require(daily, ("date", "group", "ar", stratum), "daily")
        within_daily = diff(daily, ["date", stratum], "ar")
    return within_cars, within_daily
