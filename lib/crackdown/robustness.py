"""Robustness at scale: a specification grid, the long-short CAR of every specification, placebo curves.

A *specification* is one choice on each axis of :data:`AXES`: event window, estimation window, normal-return
model, benchmark, event set, how the aligned group is defined (rule, score threshold, indicator weights) and
which firm (if any) is left out. Its estimate is the long-short CAR of the engine's :func:`eventstudy.long_short`
(equal-weighted targeted platforms minus equal-weighted aligned AI firms, daily series averaged over events,
SE from the estimation-window series) with its SE, t and p, and the number of firms and events used.

Estimation work is shared: one :func:`eventstudy.fit` per (model, estimation window, benchmark) covers every
event set, grouping, leave-one-out and window, which are then read off one (events x securities x days) array
of abnormal returns. Placebo curves re-run the same specifications with every event moved to a random
non-event session (one date per event and draw, fixed by ``seed`` and the event id, so a placebo draw is the
same fake calendar in every specification). :func:`run_sweep` runs the work serially or on a Dask cluster and
caches each specification's row as parquet keyed by a hash of the specification, the placebo settings and the
data (:func:`crackdown.runner.data_hash`). :func:`results_record` and the ``*_note`` / :func:`narrative`
functions give notebook 08 its results payload and computed prose.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crackdown import alignment, eventstudy, paths, reaction
from crackdown.errors import CrackdownError, unknown_name_error

AXES = ("window", "estimation", "model", "benchmark", "event_set", "aligned_rule", "threshold", "weights",
        "leave_out")
LOCAL = "local"  # each security's own market benchmark (securities.csv benchmark_symbol)
NO_BENCHMARK = "none"  # raw and constant-mean models use no benchmark
NOT_APPLICABLE = "n/a"
THESIS_SIGN = -1  # thesis: targeted platforms fell relative to aligned AI firms
CRACKDOWN_PERIOD = ("2020-11-01", "2022-12-31")  # notebook 04's default span
RULE_TYPES = ("rule", "law", "policy")
EVENT_SETS: dict[str, tuple[str, ...]] = {  # name -> event types
    "punitive": reaction.PUNITIVE_TYPES,  # notebook 04's crackdown event set
    "all": (*reaction.PUNITIVE_TYPES, "policy", "media_signal", "ipo_shelved"),
    "enforcement": tuple(t for t in reaction.PUNITIVE_TYPES if t not in RULE_TYPES),
    "rules": RULE_TYPES,
    "fines": ("fine",),
}
WEIGHT_SCHEMES: dict[str, dict[str, float] | None] = {
    "equal": None,
    "revenue": {"govt_revenue_share": 1.0},
    "state_links": {"state_shareholder": 1.0, "golden_share": 1.0, "ai_platform_member": 1.0},
    "no_us_lists": {k: 1.0 for k in alignment.INDICATORS if k != "us_sanctioned"},
}
DEFAULT_GRID: dict[str, list] = {
    "window": [[0, 0], [0, 1], [-1, 1], [0, 5]],
    "estimation": [[-250, -11], [-120, -11]],
    "model": ["market", "market-adjusted", "constant-mean"],
    "benchmark": [LOCAL, "ACWI"],
    "event_set": ["punitive", "enforcement", "rules"],
    "aligned_rule": ["sector", "score"],
    "threshold": [0.2, 0.4],
    "weights": ["equal", "state_links", "revenue"],
    "leave_out": ["none", "each"],
}
RESULT_COLUMNS = ("estimate", "se", "t", "p", "n_events", "n_firms", "n_long", "n_short")
MIN_EVENTS, MIN_FIRMS = 5, 2  # a specification enters the curve with at least 5 events and 2 firms per group


@dataclass(frozen=True)
class PlaceboConfig:
    """Placebo settings: ``n`` draws, ``seed``, the span of candidate dates and the sessions kept clear of
    every real event (``gap``)."""

    n: int = 200
    seed: int = 0
    start: str = "2019-01-01"
    end: str = "2023-06-30"
    gap: int = 10

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int | np.integer) or self.n < 0:
            raise CrackdownError(f"n_placebo: expected an integer >= 0, got {self.n!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer) or self.seed < 0:
            raise CrackdownError(f"seed: expected an integer >= 0, got {self.seed!r}")


@dataclass(frozen=True)
class SweepData:
    """Everything a sweep task needs (sent once to each Dask worker).

    ``returns``: wide returns of the studied securities and every benchmark; ``securities``: symbol, exchange,
    benchmark_symbol, firm_id; ``events``: the candidate crackdown events (day precision) with event_id, date,
    time_beijing, type; ``event_sets``: name -> event ids; ``firm_symbol``: firm_id -> the one security used
    for it; ``groups``: firm_id -> group under the sector rule; ``all_event_days``: day-precision dates of every
    event in events.csv (kept clear of placebo dates); ``data_hash``: hash of the data folder.
    """

    returns: pd.DataFrame
    securities: pd.DataFrame
    events: pd.DataFrame
    event_sets: dict[str, list[str]]
    firm_symbol: dict[str, str]
    groups: pd.Series
    scores: dict[tuple[str, float], pd.Series] = field(default_factory=dict)
    all_event_days: np.ndarray = field(default_factory=lambda: np.array([], dtype="datetime64[ns]"))
    data_hash: str = ""
    min_obs: int = eventstudy.DEFAULT_MIN_OBS
    panels: dict[str, tuple] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------ data


def crackdown_event_sets(events: pd.DataFrame | None = None, firms: pd.DataFrame | None = None,
                         period: tuple[str, str] = CRACKDOWN_PERIOD) -> dict[str, list[str]]:
    """Event set name -> event ids: :func:`reaction.crackdown_events` (day-precision events in ``period`` naming
    a targeted firm or sector, as notebook 04 uses) restricted to each set's types (:data:`EVENT_SETS`)."""
    return {name: reaction.crackdown_events(types, *period, events=events, firms=firms)["event_id"].tolist()
            for name, types in EVENT_SETS.items()}


def load_sweep_data(benchmarks: Sequence[str] = (LOCAL, "ACWI")) -> SweepData:
    """:class:`SweepData` from the shipped tables and price snapshot: one security per firm of the targeted and
    aligned groups (:func:`reaction.choose_listings`: the longest price coverage), their local benchmarks and
    the benchmark symbols of ``benchmarks`` other than ``local``."""
    from crackdown.data import load_events, load_firms, load_returns, load_securities
    from crackdown.runner import data_hash

    securities, firms, events = load_securities(), load_firms(), load_events()
    groups = alignment.firm_groups(firms=firms)
    members = groups[groups.isin([reaction.LONG, reaction.SHORT])].index
    priced = securities[securities["firm_id"].isin(members) & securities["price_basis"].ne("none")
                        & securities["security_type"].isin(["adr", "ordinary_share", "a_share"])]
    candidates = load_returns(priced["symbol"].tolist())
    chosen = reaction.choose_listings(members, securities, reaction.price_coverage(candidates))
    firm_symbol = dict(zip(chosen["firm_id"], chosen["symbol"], strict=True))
    sec = securities.set_index("symbol")
    for b in benchmarks:
        if b != LOCAL and b not in sec.index:
            raise unknown_name_error("benchmark symbol", b, sec.index, "benchmark")
    local = sec.loc[chosen["symbol"], "benchmark_symbol"].dropna().unique().tolist()
    bench = list(dict.fromkeys([*local, *(b for b in benchmarks if b != LOCAL)]))
    sets = crackdown_event_sets(events, firms)
    used = sorted({e for ids in sets.values() for e in ids})
    day = events[events["date_precision"].eq("day")] if "date_precision" in events else events
    return SweepData(
        returns=pd.concat([candidates[chosen["symbol"]], load_returns(bench)], axis=1),
        securities=securities[["symbol", "firm_id", "exchange", "benchmark_symbol"]],
        events=events[events["event_id"].isin(used)][["event_id", "date", "time_beijing", "type"]].reset_index(
            drop=True),
        event_sets=sets, firm_symbol=firm_symbol, groups=groups,
        all_event_days=day["date"].to_numpy(dtype="datetime64[ns]"), data_hash=data_hash())


def _scores(data: SweepData, weights: str, threshold: float) -> pd.Series:
    """firm_id -> aligned_ai membership under the score rule (cached in ``data.scores``)."""
    key = (weights, threshold)
    if key not in data.scores:
        scores = alignment.alignment_scores(WEIGHT_SCHEMES[weights], threshold=threshold)
        data.scores[key] = alignment.firm_groups(scores, threshold, rule="score")
    return data.scores[key]


# ------------------------------------------------------------------------------------------------ grid


def _window_label(w: Sequence[int]) -> str:
    return f"{int(w[0])}..{int(w[1])}"


def _parse_label(label: str) -> tuple[int, int]:
    a, b = label.split("..")
    return int(a), int(b)


def validate_axes(axes: Mapping[str, Sequence]) -> dict[str, list]:
    """Check every axis (unknown axis, empty axis, bad values: a CrackdownError naming the axis); missing
    axes take :data:`DEFAULT_GRID`'s values. Windows become ``"a..b"`` labels."""
    for name in axes:
        if name not in AXES:
            raise unknown_name_error("axis", str(name), AXES, "axes")
    out = {name: list(axes.get(name, DEFAULT_GRID[name])) for name in AXES}
    for name, values in out.items():
        if not values:
            raise CrackdownError(f"{name}: the axis has no values; give at least one")
    out["window"] = [_window_label(eventstudy._check_window(w, "window")) for w in out["window"]]
    estimations = []
    for w in out["estimation"]:
        a, b = eventstudy._check_window(w, "estimation")
        if b >= 0:
            raise CrackdownError(f"estimation: window {a}..{b} must end before day 0")
        if b - a + 1 < 20:
            raise CrackdownError(f"estimation: window {a}..{b} is shorter than 20 sessions")
        estimations.append(_window_label((a, b)))
    out["estimation"] = estimations
    for m in out["model"]:
        if m not in eventstudy.MODELS:
            raise unknown_name_error("model", str(m), eventstudy.MODELS, "model")
    for e in out["event_set"]:
        if e not in EVENT_SETS:
            raise unknown_name_error("event set", str(e), EVENT_SETS, "event_set")
    for r in out["aligned_rule"]:
        if r not in alignment.GROUP_RULES:
            raise unknown_name_error("grouping rule", str(r), alignment.GROUP_RULES, "aligned_rule")
    for t in out["threshold"]:
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0 <= t <= 1:
            raise CrackdownError(f"threshold: expected numbers in [0, 1], got {t!r}")
    out["threshold"] = [float(t) for t in out["threshold"]]
    for w in out["weights"]:
        if w not in WEIGHT_SCHEMES:
            raise unknown_name_error("weight scheme", str(w), WEIGHT_SCHEMES, "weights")
    for name in AXES:
        values = [tuple(v) if isinstance(v, list) else v for v in out[name]]
        if len(set(values)) < len(values):
            raise CrackdownError(f"{name}: the axis repeats a value ({out[name]!r})")
    return out


def _check_combinations(axes: dict[str, list]) -> None:
    """Reject combinations that cannot be estimated, naming the axis."""
    for est, win in itertools.product(axes["estimation"], axes["window"]):
        e, w = _parse_label(est), _parse_label(win)
        if e[1] >= w[0]:
            raise CrackdownError(
                f"estimation: window {est} overlaps or follows the event window {win}; every estimation window "
                "must end before every event window starts")


def expand_grid(axes: Mapping[str, Sequence], data: SweepData) -> pd.DataFrame:
    """One row per specification: the cross product of the axes with not-applicable choices collapsed
    (raw/constant-mean take no benchmark; the sector rule takes no threshold or weights) and ``leave_out``
    ``"each"`` expanded to every firm of the spec's two groups whose removal leaves both groups non-empty.

    Columns: :data:`AXES`, ``grouping`` (label), ``long`` / ``short`` (the grouping's legs' symbols before
    leaving a firm out, ';'-joined). Invalid
    combinations raise CrackdownError naming the axis (overlapping windows, an event set without events, an
    empty aligned group, leaving out a firm that is not in the groups or empties a leg).
    """
    ax = validate_axes(axes)
    _check_combinations(ax)
    for name in ax["event_set"]:
        if not data.event_sets.get(name):
            raise CrackdownError(f"event_set: {name!r} holds no crackdown event with a day-precision date")
    for b in ax["benchmark"]:
        if b != LOCAL and b not in data.returns.columns:
            raise unknown_name_error("benchmark symbol", str(b), data.returns.columns, "benchmark")
    groupings = _groupings(ax, data)
    known_firms = {f for legs in groupings.values() for leg in legs for f in leg}
    for lo in ax["leave_out"]:
        if lo not in ("none", "each") and lo not in known_firms:
            raise unknown_name_error("firm", str(lo), sorted(known_firms), "leave_out")
    model_bench = [(m, NO_BENCHMARK if m in ("raw", "constant-mean") else b)
                   for m in ax["model"] for b in ax["benchmark"]]
    rows = []
    for (label, (long, short)), lo in itertools.product(groupings.items(), ax["leave_out"]):
        for firm in _leave_outs(lo, long, short, label):
            rows.append({"grouping": label, "leave_out": firm,
                         "long": ";".join(data.firm_symbol[f] for f in long),
                         "short": ";".join(data.firm_symbol[f] for f in short)})
    groups = pd.DataFrame(rows).drop_duplicates(["grouping", "leave_out"])
    base = pd.DataFrame(list(dict.fromkeys(itertools.product(
        ax["window"], ax["estimation"], model_bench, ax["event_set"]))),
        columns=["window", "estimation", "model_bench", "event_set"])
    base["model"], base["benchmark"] = zip(*base.pop("model_bench"), strict=True)
    spec = base.merge(groups, how="cross")
    meta = pd.DataFrame([(k, *_grouping_parts(k)) for k in groupings], columns=["grouping", "aligned_rule",
                                                                                 "threshold", "weights"])
    spec = spec.merge(meta, on="grouping", how="left")
    return spec[[*AXES, "grouping", "long", "short"]].reset_index(drop=True)


def _grouping_parts(label: str) -> tuple[str, float, str]:
    if label == "sector":
        return "sector", np.nan, NOT_APPLICABLE
    t, w = label.removeprefix("score>=").split(" ")
    return "score", float(t), w.strip("()")


def _groupings(ax: dict[str, list], data: SweepData) -> dict[str, tuple[list[str], list[str]]]:
    """Grouping label -> (targeted firms, aligned firms) among firms with a priced security. A score grouping
    whose aligned firms equal an earlier grouping's is left out (it would repeat the same specifications)."""
    priced = set(data.firm_symbol)
    targeted = [f for f in data.groups.index[data.groups == "targeted_platform"] if f in priced]
    out = {}
    for rule in ax["aligned_rule"]:
        if rule == "sector":
            out["sector"] = (targeted, [f for f in data.groups.index[data.groups == "aligned_ai"] if f in priced])
            continue
        for t, w in itertools.product(ax["threshold"], ax["weights"]):
            g = _scores(data, w, t)
            aligned = [f for f in g.index[g == "aligned_ai"] if f in priced]
            if not aligned:
                raise CrackdownError(
                    f"threshold: with threshold {t:g} and weights {w!r} no firm with a priced security is in the "
                    "aligned group; lower the threshold or choose other weights")
            if all(set(aligned) != set(legs[1]) for legs in out.values()):  # same members: same specs
                out[f"score>={t:g} ({w})"] = (targeted, aligned)
    return out


def _leave_outs(lo: str, long: list[str], short: list[str], label: str) -> list[str]:
    if lo == "none":
        return ["none"]
    if lo == "each":
        return [f for f in long + short if not (f in long and len(long) == 1) and not (f in short and len(short) == 1)]
    if lo not in long and lo not in short:
        return []  # not in this grouping's legs: leaving it out is the same spec as "none"
    if (lo in long and len(long) == 1) or (lo in short and len(short) == 1):
        raise CrackdownError(f"leave_out: leaving out {lo} empties a group under grouping {label!r}")
    return [lo]


# ------------------------------------------------------------------------------------------- estimation


def _pair_ars(f: eventstudy.Fit, offsets: np.ndarray) -> np.ndarray:
    """AR = r - alpha - beta * benchmark of every fitted pair at ``offsets`` sessions from day 0 (pairs x days)."""
    p, panel = f.pairs, f.panel
    col, pos0 = p["col"].to_numpy(), p["pos0"].to_numpy()
    n_t = panel.rt.shape[1]
    idx = pos0[:, None] + offsets[None, :]
    flat = np.clip(idx, 0, n_t - 1) + (col * n_t)[:, None]
    outside = (idx < 0) | (idx >= n_t)
    ar = np.take(panel.rt.ravel(), flat) - p["alpha"].to_numpy()[:, None]
    if f.model not in ("raw", "constant-mean"):
        ar -= p["beta"].to_numpy()[:, None] * np.take(panel.mt.ravel(), flat)
    ar[outside] = np.nan
    return ar


def _tensor(f: eventstudy.Fit, offsets: np.ndarray, n_events: int, symbols: Sequence[str]) -> np.ndarray:
    """(events x securities x days) ARs; ``f.pairs.event_id`` holds integer event positions; NaN = no pair."""
    x = np.full((n_events, len(symbols), len(offsets)), np.nan)
    if len(f.pairs):
        x[f.pairs["event_id"].to_numpy(dtype=np.int64), f.pairs["col"].to_numpy()] = _pair_ars(f, offsets)
    return x


def _pooled(x: np.ndarray, legs: list[tuple[np.ndarray, np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Long-short series per combination: legs = (long cols, short cols, left-out col or -1).

    ``x``: (..., events, securities, days). Returns the per-event long-short series (K, ..., events, days) and
    the series averaged over events where it exists (K, ..., days), as :func:`eventstudy.long_short` pools.
    """
    valid = ~np.isnan(x)
    x0 = np.where(valid, x, 0.0)
    sums: dict[bytes, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def leg(cols: np.ndarray, lo: int) -> np.ndarray:
        key = cols.tobytes()
        if key not in sums:
            s, c = x0[..., cols, :].sum(axis=-2), valid[..., cols, :].sum(axis=-2)
            sums[key] = (s, c, np.divide(s, c, out=np.full(s.shape, np.nan), where=c > 0))
        s, c, mean = sums[key]
        if lo < 0 or lo not in cols:
            return mean
        s, c = s - x0[..., lo, :], c - valid[..., lo, :]
        return np.divide(s, c, out=np.full(s.shape, np.nan), where=c > 0)

    ls = np.stack([leg(long, lo) - leg(short, lo) for long, short, lo in legs])
    ok = ~np.isnan(ls)
    n = ok.sum(axis=-2)
    total = np.where(ok, ls, 0.0).sum(axis=-2)
    return ls, np.divide(total, n, out=np.full(total.shape, np.nan), where=n > 0)


def _window_cars(pooled: np.ndarray, span: np.ndarray, windows: list[tuple[int, int]]) -> np.ndarray:
    """CAR (sum of the available pooled days; NaN if none) per window: (..., windows)."""
    out = []
    for a, b in windows:
        sel = pooled[..., (span >= a) & (span <= b)]
        has = (~np.isnan(sel)).any(axis=-1)
        out.append(np.where(has, np.nansum(sel, axis=-1), np.nan))
    return np.stack(out, axis=-1)


def _panel_and_pairs(data: SweepData, model: str, benchmark: str):
    """The return panel of every studied security for a model and benchmark choice, with its (event,
    security) pairs (event_id = position in ``data.events``); built once and kept in ``data.panels`` (the
    sweep builds them before sending ``data`` to workers, so workers never construct exchange calendars)."""
    needs = model in ("market", "market-adjusted")
    key = benchmark if needs else NO_BENCHMARK
    if key not in data.panels:
        symbols = sorted(data.firm_symbol.values())
        panel = eventstudy.panel_from_securities(data.returns, data.securities, symbols,
                                                 None if key in (LOCAL, NO_BENCHMARK) else key, with_benchmark=needs)
        events = data.events.assign(event_id=np.arange(len(data.events)))
        data.panels[key] = (panel, eventstudy.make_pairs(panel, events))
    return data.panels[key]


def evaluate(data: SweepData, specs: pd.DataFrame, placebo_dates: np.ndarray | None = None) -> pd.DataFrame:
    """Estimates for ``specs`` sharing one (model, estimation, benchmark): one fit for all of them.

    ``placebo_dates``: (draws x events of ``data.events``) pseudo day-0 dates, or None. Returns ``specs``'
    index with :data:`RESULT_COLUMNS` and ``placebo`` (the spec's long-short CAR in each draw).
    """
    model, est_label, benchmark = (specs[c].iloc[0] for c in ("model", "estimation", "benchmark"))
    if specs[["model", "estimation", "benchmark"]].nunique().max() > 1:
        raise CrackdownError("specs: evaluate() takes specifications sharing one model, estimation and benchmark")
    est = _parse_label(est_label)
    windows = sorted({_parse_label(w) for w in specs["window"]})
    span = np.arange(min(w[0] for w in windows), max(w[1] for w in windows) + 1)
    panel, pairs = _panel_and_pairs(data, model, benchmark)
    symbols = list(panel.symbols)
    f = eventstudy.fit(panel, pairs, model, est, data.min_obs, errors="drop")
    est_days = np.arange(est[0], est[1] + 1)
    x = _tensor(f, np.concatenate([est_days, span]), len(data.events), symbols)
    col = {s: i for i, s in enumerate(symbols)}
    combos = specs[["event_set", "grouping", "leave_out", "long", "short"]].drop_duplicates(
        ["event_set", "grouping", "leave_out"])
    placebo = None if placebo_dates is None or len(placebo_dates) == 0 else _placebo_pooled(
        data, f, panel, symbols, span, placebo_dates, combos, col)
    key = specs["event_set"] + "|" + specs["grouping"] + "|" + specs["leave_out"]
    rows: dict[Any, list] = {}
    draws: dict[Any, np.ndarray] = {}
    n_est = len(est_days)
    memo: dict = {}
    for set_name, group in combos.groupby("event_set", sort=False):
        xs = x[np.isin(data.events["event_id"], data.event_sets[set_name])]
        legs = [_leg_cols(r.long, r.short, r.leave_out, data, col, memo) for r in group.itertuples()]
        ls, pooled = _pooled(xs, legs)
        has = {w: (~np.isnan(xs[:, :, n_est + np.flatnonzero((span >= w[0]) & (span <= w[1]))])).any(axis=2)
               for w in windows}  # (events x securities): a return inside the window
        for k, r in enumerate(group.itertuples()):
            name = (set_name, r.grouping, r.leave_out)
            for i, win in specs.loc[key == "|".join(name), "window"].items():
                w = _parse_label(win)
                rows[i] = _spec_stats(ls[k], pooled[k], has[w], legs[k], n_est, span, w)
                draws[i] = (np.array([]) if placebo is None else _window_cars(placebo[name], span, [w])[:, 0])
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(RESULT_COLUMNS)).reindex(specs.index)
    t, dof = out["t"].to_numpy(dtype=float), out["p"].to_numpy(dtype=float)
    ok = np.isfinite(t) & (dof > 0)
    out["p"] = np.where(ok, 2 * stats.t.sf(np.abs(np.where(ok, t, 0.0)), np.where(ok, dof, 1.0)), np.nan)
    out["placebo"] = pd.Series(draws, dtype=object).reindex(specs.index)
    return out.astype({c: np.int64 for c in ("n_events", "n_firms", "n_long", "n_short")})


def _leg_cols(long: str, short: str, leave_out: str, data: SweepData, col: dict[str, int],
              memo: dict | None = None):
    """Column positions of the grouping's legs and of the left-out firm's security (-1: none)."""
    lo = col[data.firm_symbol[leave_out]] if leave_out != "none" else -1
    memo = {} if memo is None else memo
    for leg in (long, short):
        if leg not in memo:
            memo[leg] = np.array([col[s] for s in leg.split(";")])
    return memo[long], memo[short], lo


def _spec_stats(ls: np.ndarray, pooled: np.ndarray, has: np.ndarray, legs, n_est: int, span: np.ndarray,
                w: tuple[int, int]) -> list:
    """estimate, se, t, degrees of freedom (in the p slot), n_events, n_firms, n_long, n_short for one
    combination and window.

    ``ls``/``pooled``: per-event and pooled long-short series over the estimation days then ``span``; ``has``:
    (events x securities) whether the pair has a return in the window. An event counts if its long-short
    series exists on some estimation or window day (as in :func:`eventstudy.long_short`); a firm counts if it
    has a return in the window in a counted event.
    """
    win = n_est + np.flatnonzero((span >= w[0]) & (span <= w[1]))
    days = np.concatenate([np.arange(n_est), win])
    est_s, ev_s = pooled[:n_est], pooled[win]
    est_s = est_s[~np.isnan(est_s)]
    car = np.nansum(ev_s) if (~np.isnan(ev_s)).any() else np.nan
    se = est_s.std(ddof=1) * np.sqrt(len(win)) if len(est_s) > 1 else np.nan
    t = car / se if se > 0 else np.nan
    p = len(est_s) - 1  # degrees of freedom; the caller turns them into p-values in one call
    both = (~np.isnan(ls[:, days])).any(axis=1)
    long, short, lo = legs
    used = has[both].any(axis=0)
    if lo >= 0:
        used[lo] = False
    n_long, n_short = int(used[long].sum()), int(used[short].sum())
    return [car, se, t, p, int(both.sum()), n_long + n_short, n_long, n_short]


# ---------------------------------------------------------------------------------------------- placebo


def placebo_candidates(data: SweepData, config: PlaceboConfig) -> np.ndarray:
    """Candidate pseudo-event dates: sessions of any studied exchange in [start, end] more than ``gap`` sessions
    from every real event (all day-precision events of events.csv)."""
    mics = sorted(set(data.securities.loc[data.securities["symbol"].isin(data.firm_symbol.values()), "exchange"]))
    from crackdown.calendars import sessions

    union = pd.DatetimeIndex(np.unique(np.concatenate(
        [sessions(m, config.start, config.end).to_numpy() for m in mics])))
    real = union.searchsorted(np.unique(data.all_event_days))
    pos = np.arange(len(union))
    near = (np.abs(pos[:, None] - real[None, :]) <= config.gap).any(axis=1)
    cands = union[~near].to_numpy()
    if len(cands) < 50:
        raise CrackdownError(f"placebo: only {len(cands)} candidate dates between {config.start} and "
                             f"{config.end}; widen the span")
    return cands


def placebo_dates(data: SweepData, config: PlaceboConfig) -> np.ndarray:
    """(draws x events) pseudo dates. Each event's draws come from a Generator seeded by (seed, event id), so a
    draw moves an event to the same date whatever grid or event set it is used in."""
    cands = placebo_candidates(data, config)
    cols = [np.random.default_rng([config.seed, zlib.crc32(e.encode())]).integers(0, len(cands), config.n)
            for e in data.events["event_id"]]
    return cands[np.stack(cols, axis=1)] if cols else np.empty((config.n, 0), dtype="datetime64[ns]")


def _pseudo_pairs(panel: eventstudy.ReturnPanel, dates: np.ndarray) -> pd.DataFrame:
    """Pairs of every panel security with pseudo events (event_id = position in ``dates``): day 0 is the first
    session on or after the date on the security's exchange (as for an event without a time); pairs whose day 0
    lies outside the security's price coverage are left out before fitting."""
    n_sym = len(panel.symbols)
    ev = np.repeat(np.arange(len(dates)), n_sym)
    col = np.tile(np.arange(n_sym), len(dates))
    pos0 = np.empty(len(ev), dtype=np.int64)
    ex = panel.ex_code[col]
    for k, mic in enumerate(panel.mics):  # a handful of exchanges
        here = ex == k
        pos0[here] = np.searchsorted(panel.sessions[mic].to_numpy(), dates[ev[here]], side="left")
    keep = (pos0 >= panel.first_valid[col]) & (pos0 <= panel.last_valid[col])
    ev, col, pos0 = ev[keep], col[keep], pos0[keep]
    return pd.DataFrame({"event_id": ev, "symbol": np.asarray(panel.symbols, dtype=object)[col],
                         "exchange": np.asarray(panel.exchanges, dtype=object)[col],
                         "day0": dates[ev], "col": col, "pos0": pos0})


def _placebo_pooled(data: SweepData, f: eventstudy.Fit, panel, symbols: list[str], span: np.ndarray,
                    dates: np.ndarray, combos: pd.DataFrame, col: dict[str, int], chunk: int = 50) -> dict:
    """(set, grouping, leave_out) -> (draws x span days) pooled long-short series on the pseudo events."""
    n_draws, n_ev = dates.shape
    out: dict[tuple, list] = {}
    memo: dict = {}
    for start in range(0, n_draws, chunk):  # blocks of draws bound memory; each block is vectorised
        d = dates[start:start + chunk]
        pf = eventstudy.fit(panel, _pseudo_pairs(panel, d.ravel()), f.model, f.estimation, f.min_obs, errors="drop")
        x = _tensor(pf, span, d.size, symbols).reshape(len(d), n_ev, len(symbols), len(span))
        for set_name, group in combos.groupby("event_set", sort=False):
            ev_mask = np.isin(data.events["event_id"], data.event_sets[set_name])
            legs = [_leg_cols(r.long, r.short, r.leave_out, data, col, memo) for r in group.itertuples()]
            _, pooled = _pooled(x[:, ev_mask], legs)
            for k, r in enumerate(group.itertuples()):
                out.setdefault((set_name, r.grouping, r.leave_out), []).append(pooled[k])
    return {key: np.concatenate(parts) for key, parts in out.items()}


# ------------------------------------------------------------------------------------------- the sweep


def spec_hashes(specs: pd.DataFrame, data_hash: str, config: PlaceboConfig, min_obs: int) -> pd.Series:
    """sha256 of each specification's choices, the placebo settings, min_obs and the data hash."""
    common = {"placebo": [config.n, config.seed, config.start, config.end, config.gap], "min_obs": int(min_obs),
              "data": data_hash}
    cols = [*AXES, "long", "short"]
    def one(row) -> str:
        choice = {c: (None if isinstance(v, float) and np.isnan(v) else v) for c, v in zip(cols, row, strict=True)}
        return hashlib.sha256(json.dumps({**choice, **common}, sort_keys=True).encode()).hexdigest()
    return pd.Series([one(r) for r in specs[cols].itertuples(index=False)], index=specs.index, name="spec_hash")


def cache_dir() -> Path:
    """outputs/sweep_cache: parquet parts holding one row per computed specification."""
    return paths.outputs_dir() / "sweep_cache"


def read_cache(directory: Path | None = None) -> pd.DataFrame:
    """Every cached specification row (latest part wins for a repeated hash)."""
    directory = directory or cache_dir()
    parts = sorted(directory.glob("part-*.parquet")) if directory.exists() else []
    if not parts:
        return pd.DataFrame(columns=["spec_hash", *RESULT_COLUMNS, "placebo"])
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    return frame.drop_duplicates("spec_hash", keep="last")


def write_cache(rows: pd.DataFrame, directory: Path | None = None) -> Path | None:
    """Append ``rows`` (spec_hash, results, placebo) as a new parquet part (atomic rename)."""
    if rows.empty:
        return None
    directory = directory or cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"part-{pd.Timestamp.now('UTC').strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.parquet"
    tmp = directory / f".{name}.tmp"
    frame = rows.copy()
    frame["placebo"] = [np.asarray(v, dtype=float).tolist() for v in frame["placebo"]]
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, directory / name)
    return directory / name


@dataclass(frozen=True)
class SweepResult:
    """Specification table (:data:`AXES`, grouping, legs, spec_hash, results, placebo CARs) and run counts."""

    specs: pd.DataFrame
    n_computed: int
    n_cached: int
    config: PlaceboConfig


FIT_KEY = ["model", "estimation", "benchmark"]


def _tasks(todo: pd.DataFrame) -> list[pd.DataFrame]:
    """Work units: one per (model, estimation, benchmark) (one fit each), largest first."""
    groups = [g for _, g in todo.groupby(FIT_KEY, sort=True)]
    return sorted(groups, key=len, reverse=True)


def _task(data: SweepData, specs: pd.DataFrame, dates: np.ndarray | None) -> pd.DataFrame:
    res = evaluate(data, specs, dates)
    return pd.concat([specs[["spec_hash"]], res], axis=1)


def run_sweep(axes: Mapping[str, Sequence] | None = None, *, data: SweepData | None = None,
              placebo: PlaceboConfig | None = None, scheduler: str | None = None, client: Any = None,
              cache: bool = True, progress: bool = False,
              on_progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Expand the grid, load what the cache holds, compute the rest, write it to the cache.

    ``scheduler``: None or "" = serially in this process; "local" = a Dask LocalCluster with one worker process
    per CPU; "tcp://HOST:PORT" = an existing Dask scheduler. ``client``: an existing distributed.Client (wins
    over ``scheduler``). ``progress``: a tqdm bar on stderr.
    """
    _check_combinations(validate_axes(axes or {}))  # fail fast, before loading any data
    if client is None and scheduler:
        check_scheduler(scheduler)
    data = data or load_sweep_data(list((axes or {}).get("benchmark", DEFAULT_GRID["benchmark"])))
    config = placebo or PlaceboConfig()
    specs = expand_grid(axes or {}, data)
    specs["spec_hash"] = spec_hashes(specs, data.data_hash, config, data.min_obs)
    cached = read_cache() if cache else pd.DataFrame(columns=["spec_hash"])
    have = specs["spec_hash"].isin(cached["spec_hash"])
    todo = specs[~have]
    dates = placebo_dates(data, config) if config.n > 0 and len(todo) else None
    for model, benchmark in todo[["model", "benchmark"]].drop_duplicates().itertuples(index=False):
        _panel_and_pairs(data, model, benchmark)  # built here once, shipped to the workers with ``data``
    computed = _compute(_tasks(todo), data, dates, scheduler, client, progress, on_progress) if len(todo) else None
    if cache and computed is not None:
        write_cache(computed)
    rows = pd.concat([c for c in (cached[cached["spec_hash"].isin(specs["spec_hash"])], computed) if c is not None
                      and len(c)], ignore_index=True)
    out = specs.merge(rows.drop_duplicates("spec_hash"), on="spec_hash", how="left")
    out["placebo"] = [np.asarray(v, dtype=float) for v in out["placebo"]]
    return SweepResult(out, int((~have).sum()), int(have.sum()), config)


def _compute(tasks: list[pd.DataFrame], data: SweepData, dates, scheduler, client, progress, on_progress):
    bar = _bar(len(tasks), progress)
    done = 0

    def tick():
        nonlocal done
        done += 1
        bar.update(1) if bar else None
        on_progress(done, len(tasks)) if on_progress else None

    try:
        if client is None and not scheduler:
            parts = []
            for t in tasks:
                parts.append(_task(data, t, dates))
                tick()
            return pd.concat(parts)
        return _compute_dask(tasks, data, dates, scheduler, client, tick)
    finally:
        bar.close() if bar else None


def _bar(total: int, progress: bool):
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="sweep", unit="task")


def local_cluster(n_workers: int | None = None):
    """A LocalCluster of worker processes (one thread each; one per CPU by default), dashboard off."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                        dashboard_address=None, host="127.0.0.1")


def _compute_dask(tasks, data, dates, scheduler, client, tick):
    from distributed import Client, as_completed

    cluster = own = None
    if client is None:
        if scheduler == "local":
            cluster = local_cluster()
            own = client = Client(cluster)
        elif str(scheduler).startswith("tcp://"):
            try:
                own = client = Client(scheduler, timeout="10s")
            except OSError as exc:
                raise CrackdownError(f"scheduler: cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        else:
            raise CrackdownError(f"scheduler: expected '', 'local' or tcp://HOST:PORT, got {scheduler!r}")
    try:
        data_f = client.scatter(data, broadcast=True)
        dates_f = client.scatter(dates, broadcast=True) if dates is not None else None
        futures = [client.submit(_task, data_f, t, dates_f, pure=False) for t in tasks]
        parts = []
        for fut in as_completed(futures):
            parts.append(fut.result())
            tick()
        order = pd.concat([t[[]] for t in tasks]).index
        return pd.concat(parts).reindex(order)
    finally:
        if own is not None:
            own.close()
        if cluster is not None:
            cluster.close()


# -------------------------------------------------------------------------------------------- the curve


def usable(specs: pd.DataFrame, min_events: int = MIN_EVENTS, min_firms: int = MIN_FIRMS) -> pd.Series:
    """Specifications that enter the curve: an estimate from at least ``min_events`` events and at least
    ``min_firms`` firms in each group (a one-firm group or a handful of events says more about that firm or
    those days than about the groups)."""
    for name, value in (("min_events", min_events), ("min_firms", min_firms)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise CrackdownError(f"{name}: expected an integer >= 1, got {value!r}")
    return (specs["estimate"].notna() & (specs["n_events"] >= min_events) & (specs["n_long"] >= min_firms)
            & (specs["n_short"] >= min_firms))


def curve_summary(specs: pd.DataFrame, alpha: float = 0.05, min_events: int = MIN_EVENTS,
                  min_firms: int = MIN_FIRMS) -> dict[str, Any]:
    """Inference for the whole curve over the :func:`usable` specifications (``n_unusable`` counts the rest).

    share_thesis_sign (estimate < 0), share_significant (p < alpha), share_significant_thesis (both),
    median_estimate, and permutation tests from the placebo curves: ``permutation_p`` = share of placebo draws
    whose median estimate is at least as negative as the real one ((1 + count) / (1 + draws)), and
    ``permutation_p_sign`` for the share of thesis-signed estimates.
    """
    ok = specs[usable(specs, min_events, min_firms)]
    est = ok["estimate"].to_numpy()
    out: dict[str, Any] = {
        "n_specs": int(len(ok)), "n_unusable": int(len(specs) - len(ok)),
        "share_thesis_sign": float(np.mean(np.sign(est) == THESIS_SIGN)) if len(ok) else np.nan,
        "share_significant": float(np.mean(ok["p"] < alpha)) if len(ok) else np.nan,
        "share_significant_thesis": float(np.mean((ok["p"] < alpha) & (np.sign(est) == THESIS_SIGN)))
        if len(ok) else np.nan,
        "median_estimate": float(np.median(est)) if len(ok) else np.nan,
    }
    null_median, null_share = placebo_curves(ok)
    k = int(np.isfinite(null_median).sum())
    out["n_placebo"] = k
    if k:
        nm, ns = null_median[np.isfinite(null_median)], null_share[np.isfinite(null_share)]
        out["permutation_p"] = float((1 + (nm <= out["median_estimate"]).sum()) / (1 + k))
        out["permutation_p_sign"] = float((1 + (ns >= out["share_thesis_sign"]).sum()) / (1 + len(ns)))
    else:
        out["permutation_p"] = out["permutation_p_sign"] = np.nan
    out["placebo_medians"] = null_median
    return out


def placebo_curves(specs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per placebo draw: the median estimate over specifications and the share with the thesis' sign."""
    arrays = [np.asarray(p, dtype=float) for p in specs["placebo"]]
    if not arrays or min(len(a) for a in arrays) == 0:
        return np.array([]), np.array([])
    m = np.vstack(arrays)  # specs x draws
    ok = ~np.isnan(m)
    has = ok.any(axis=0)
    med = np.full(m.shape[1], np.nan)
    med[has] = np.nanmedian(m[:, has], axis=0)
    share = np.where(has, (np.sign(np.where(ok, m, 0)) == THESIS_SIGN).sum(axis=0) / np.maximum(ok.sum(axis=0), 1),
                     np.nan)
    return med, share


def choice_effects(specs: pd.DataFrame) -> pd.DataFrame:
    """Median estimate and count per (axis, choice), and each axis' spread (max - min of its choices' medians),
    sorted so the axis that moves the estimate most comes first."""
    ok = specs[specs["estimate"].notna()]
    rows = []
    for axis in [a for a in (*AXES[:5], "grouping", "leave_out") if a in ok]:
        g = ok.groupby(ok[axis].astype(str))["estimate"]
        for choice, med in g.median().items():
            rows.append({"axis": axis, "choice": choice, "median_estimate": med, "n_specs": int(g.size()[choice])})
    table = pd.DataFrame(rows)
    if table.empty:
        return table.assign(spread=[])
    table["spread"] = table.groupby("axis")["median_estimate"].transform(lambda s: s.max() - s.min())
    return table.sort_values(["spread", "axis", "median_estimate"], ascending=[False, True, True]).reset_index(drop=True)


def check_scheduler(scheduler: str) -> str:
    """'' (serial), 'local' or tcp://HOST:PORT; else a CrackdownError naming ``scheduler``."""
    if not isinstance(scheduler, str) or not (scheduler in ("", "local") or (
            scheduler.startswith("tcp://") and ":" in scheduler.removeprefix("tcp://"))):
        raise CrackdownError(f"scheduler: expected '' (serial), 'local' or tcp://HOST:PORT, got {scheduler!r}")
    return scheduler


def curve_table(specs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Specifications with an estimate, sorted by estimate, with ``rank`` (0..n-1) and a normal ``level``
    interval (``lower``, ``upper`` = estimate -/+ z * se)."""
    z = stats.norm.ppf(0.5 + level / 2)
    ok = specs[specs["estimate"].notna()].sort_values(["estimate", "spec_hash"] if "spec_hash" in specs
                                                      else ["estimate"])
    return ok.assign(rank=np.arange(len(ok)), lower=ok["estimate"] - z * ok["se"],
                     upper=ok["estimate"] + z * ok["se"]).reset_index(drop=True)


def choice_matrix(curve: pd.DataFrame) -> pd.DataFrame:
    """Long table (rank, axis, choice) of each sorted specification's choices for the panel under the curve;
    leave_out is shown as "none" / "one firm out", and an axis with a single choice is left out."""
    rows = []
    for axis in ("window", "estimation", "model", "benchmark", "event_set", "grouping", "leave_out"):
        values = curve[axis].astype(str)
        if axis == "leave_out":
            values = values.where(values == "none", "one firm out")
        if values.nunique() > 1:
            rows.append(pd.DataFrame({"rank": curve["rank"], "axis": axis, "choice": values}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["rank", "axis", "choice"])


def verdict(summary: Mapping[str, Any], alpha: float = 0.05, robust_share: float = 0.9) -> str:
    """"survives" (thesis sign in >= ``robust_share`` of specs and permutation p < alpha), "does not survive"
    (the median has the wrong sign or permutation p >= alpha with under half the specs thesis-signed), else
    "partly survives"."""
    share, p, median = summary["share_thesis_sign"], summary["permutation_p"], summary["median_estimate"]
    if not np.isfinite(median):
        return "cannot be assessed"
    if share >= robust_share and np.isfinite(p) and p < alpha:
        return "survives"
    if np.sign(median) != THESIS_SIGN or (share < 0.5 and not (np.isfinite(p) and p < alpha)):
        return "does not survive"
    return "partly survives"


# -------------------------------------------------------------------------------------------- notebook 08 text


def sweep_note(result: SweepResult, summary: Mapping[str, Any], min_events: int, min_firms: int) -> str:
    """Markdown: specifications run (computed now / cached) and how many are left out of the curve."""
    return (f"**{len(result.specs):,} specifications** ({result.n_computed:,} computed now, {result.n_cached:,} read "
            f"from the cache). {summary['n_unusable']:,} are left out of the curve because they rest on fewer than "
            f"{min_events} events or fewer than {min_firms} firms in a group (below: the smallest and largest counts "
            "per event set and grouping, and how many specifications of each enter the curve).")


def sweep_table(specs: pd.DataFrame, in_curve: pd.Series) -> pd.DataFrame:
    """Per (event set, grouping): specifications, how many enter the curve, event and firm counts, median
    estimate."""
    return specs.assign(in_curve=in_curve).groupby(["event_set", "grouping"]).agg(
        specifications=("estimate", "size"), in_curve=("in_curve", "sum"), min_events=("n_events", "min"),
        max_events=("n_events", "max"), targeted_firms=("n_long", "max"), min_aligned_firms=("n_short", "min"),
        max_aligned_firms=("n_short", "max"), median_estimate=("estimate", "median"))


def placebo_note(summary: Mapping[str, Any], specs: pd.DataFrame) -> str:
    """Markdown comparing the real curve with the placebo curves of the usable ``specs``: how many placebo
    medians are at least as negative, the permutation p-values and the placebo share of negative estimates."""
    null = summary["placebo_medians"]
    null = null[np.isfinite(null)]
    median = summary["median_estimate"]
    if not len(null):
        return (f"The real curve's median is {median:+.2%}; "
                "no placebo draws were run (n_placebo is 0), so there is no permutation test.")
    k = int((null <= median).sum())
    return (f"The real curve's median is {median:+.2%}; {k} of {len(null)} placebo curves "
            f"{'has' if k == 1 else 'have'} a median at least as negative, so the one-sided permutation p-value is "
            f"**{summary['permutation_p']:.3f}**. {summary['share_thesis_sign']:.0%} of the real specifications are "
            f"negative, against a placebo average of {np.nanmean(placebo_curves(specs)[1]):.0%} "
            f"(permutation p {summary['permutation_p_sign']:.3f}).")


def axis_spread(effects: pd.DataFrame) -> pd.DataFrame:
    """One row per axis of :func:`choice_effects` (axis, spread), the axis that moves the estimate most first."""
    return effects.drop_duplicates("axis")[["axis", "spread"]].reset_index(drop=True)


def most_influential_firm(effects: pd.DataFrame, median: float) -> pd.DataFrame:
    """The leave-out choice (one firm left out) whose median estimate is farthest from ``median``; empty when
    no firm was left out."""
    rows = effects[(effects["axis"] == "leave_out") & (effects["choice"] != "none")]
    return rows.assign(gap=(rows["median_estimate"] - median).abs()).sort_values("gap", ascending=False).head(1)


def answer(summary: Mapping[str, Any], verdict_text: str) -> str:
    """One-line answer for the index page: the verdict, the share of negative (and significant) specifications,
    the median estimate and the permutation p-value."""
    return (f"The negative long-short reaction {verdict_text}: {summary['share_thesis_sign']:.0%} of "
            f"{summary['n_specs']:,} specifications are negative (median {summary['median_estimate']:+.2%}), "
            f"{summary['share_significant_thesis']:.0%} negative and significant; permutation p = "
            f"{summary['permutation_p']:.3f}.")


def narrative(summary: Mapping[str, Any], verdict_text: str, effects: pd.DataFrame) -> str:
    """Notebook 08's "What this shows" markdown: the answer in bold, the axis that moves the estimate most, the
    most influential left-out firm, and why the curve is tested as a whole."""
    spread = axis_spread(effects)
    firm = most_influential_firm(effects, summary["median_estimate"])
    text = f"**{answer(summary, verdict_text)}** "
    if len(spread):
        top = spread.iloc[0]
        text += (f"The choice that moves the estimate most is the {top['axis'].replace('_', ' ')} (medians differ "
                 f"by {top['spread']:.2%} across its choices). ")
    if len(firm):
        text += (f"Leaving out {firm['choice'].iloc[0]} moves the median most among single firms, to "
                 f"{firm['median_estimate'].iloc[0]:+.2%}. ")
    return text + ("The test is of the curve as a whole: specifications share events and firms, so they are far "
                   "from independent, which is why the permutation test recomputes every specification on the "
                   "same placebo dates instead of counting significant specifications.")


SUMMARY_KEYS = ("n_specs", "n_unusable", "share_thesis_sign", "share_significant", "share_significant_thesis",
                "median_estimate", "permutation_p", "permutation_p_sign", "n_placebo")


def results_record(summary: Mapping[str, Any], verdict_text: str, effects: pd.DataFrame,
                   parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Notebook 08's results (the ``write_results`` payload): answer, the curve summary (:func:`curve_summary`,
    without the placebo medians), verdict, each axis' spread, the headline (median estimate with the
    permutation p-value) and the parameters."""
    spread = axis_spread(effects)
    return {
        "answer": answer(summary, verdict_text),
        **{k: summary[k] for k in SUMMARY_KEYS},
        "verdict": verdict_text,
        "axis_spread": dict(zip(spread["axis"], spread["spread"], strict=True)),
        "headline": {"label": "Median long-short CAR across specifications (targeted minus aligned)",
                     "estimate": summary["median_estimate"], "p_value": summary["permutation_p"],
                     "n": summary["n_specs"], "thesis_sign": THESIS_SIGN},
        "parameters": dict(parameters),
    }
