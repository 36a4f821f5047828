"""Estimates of a block of specifications from one fit: the (events x securities x days) abnormal returns read
off the engine, the long-short series of every grouping and window, and the same on placebo dates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crackdown import eventstudy, params, placebo, reaction
from crackdown.calendars import sessions
from crackdown.errors import CrackdownError
from crackdown.robustness.grid import (
    NO_BENCHMARK,
    PER_SECURITY_RULES,
    RESULT_COLUMNS,
    RULE_BENCHMARKS,
    SAME,
    SweepData,
    _parse_label,
)

Legs = list[tuple[np.ndarray, np.ndarray, int]]  # per stratum: (long cols, short cols, left-out col or -1)


@dataclass(frozen=True)
class PlaceboConfig:
    """Placebo settings: ``n`` draws, ``seed``, the span of candidate dates, the sessions kept clear of
    every real event (``gap``), the candidate ``pool`` (``regime``: each event's dates within 6 months and in
    the same ``regime_benchmark`` volatility tercile, :func:`crackdown.placebo.regime_eligible`; ``uniform``:
    any candidate)."""

    n: int = 200
    seed: int = 0
    start: str = "2019-01-01"
    end: str = "2023-06-30"
    gap: int = 10
    pool: str = "regime"
    regime_benchmark: str = "KWEB"

    def __post_init__(self) -> None:
        params.integer("n_placebo", self.n, 0)
        params.integer("seed", self.seed, 0)
        params.integer("gap", self.gap, 0)  # a negative gap would let real event dates be drawn as placebos
        placebo.check_pool(self.pool)


def _tensor(f: eventstudy.Fit, offsets: np.ndarray, n_events: int, symbols: Sequence[str]) -> np.ndarray:
    """(events x securities x days) ARs; ``f.pairs.event_id`` holds integer event positions; NaN = no pair."""
    x = np.full((n_events, len(symbols), len(offsets)), np.nan)
    if len(f.pairs):
        x[f.pairs["event_id"].to_numpy(dtype=np.int64), f.pairs["col"].to_numpy()] = eventstudy.ar_matrix(f, offsets)
    return x


def _pooled(x: np.ndarray, legs: list[Legs]) -> tuple[np.ndarray, np.ndarray]:
    """Long-short series per combination: its legs per stratum (long cols, short cols, left-out col or -1).

    ``x``: (..., events, securities, days). Returns the per-event long-short series (K, ..., events, days) and
    the series averaged over events where it exists (K, ..., days), as :func:`eventstudy.long_short` pools.
    With several strata (the same_market rule: one per listing market) an event's series averages the strata's
    long-shorts where both legs exist (per event, the mean of the markets' long-minus-short differences, as
    :func:`crackdown.inference.within_strata_inputs` then the events test define it).
    """
    valid = ~np.isnan(x)
    x0 = np.where(valid, x, 0.0)
    series: dict[bytes | tuple[bytes, int], int] = {}  # leg (or leg without a firm) -> its row of the means
    cols_of: list[np.ndarray] = []  # the distinct legs' columns, in order of first use
    out_of: list[tuple[int, int]] = []  # (leg row, left-out column) of each leave-one-out series

    def row(cols: np.ndarray, lo: int) -> int:
        key = cols.tobytes()
        if key not in series:
            series[key] = len(cols_of)
            cols_of.append(cols)
        if lo < 0 or lo not in cols:
            return series[key]
        if (key, lo) not in series:
            series[(key, lo)] = -1 - len(out_of)
            out_of.append((series[key], lo))
        return series[(key, lo)]

    index = np.array([[(row(long, lo), row(short, lo)) for long, short, lo in strata] for strata in legs],
                     dtype=np.int64).reshape(len(legs), -1, 2)  # (combinations, strata, long/short)
    # each distinct leg's sum and count over its columns (a few dozen legs; a per-leg sum keeps numpy's order)
    s = np.stack([x0[..., cols, :].sum(axis=-2) for cols in cols_of])  # (legs, ..., events, days)
    c = np.stack([valid[..., cols, :].sum(axis=-2) for cols in cols_of])
    if out_of:
        legs_lo, lo_cols = (np.array(v, dtype=np.int64) for v in zip(*out_of, strict=True))
        s = np.concatenate([s, s[legs_lo] - np.moveaxis(x0[..., lo_cols, :], -2, 0)])
        c = np.concatenate([c, c[legs_lo] - np.moveaxis(valid[..., lo_cols, :], -2, 0)])
    means = np.divide(s, c, out=np.full(s.shape, np.nan), where=c > 0)
    position = np.where(index >= 0, index, len(cols_of) - 1 - index)  # leave-one-out rows follow the legs
    if position.shape[1] == 1:
        ls = means[position[:, 0, 0]] - means[position[:, 0, 1]]  # (K, ..., events, days)
    else:
        parts = means[position[..., 0]] - means[position[..., 1]]  # (K, strata, ..., events, days)
        has = ~np.isnan(parts)
        k = has.sum(axis=1)
        ls = np.divide(np.where(has, parts, 0.0).sum(axis=1), k, out=np.full(k.shape, np.nan), where=k > 0)
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
        if key == SAME:  # every firm's listing on every market it has one
            symbols = sorted({s for listing in data.market_symbols.values() for s in listing.values()})
        else:
            symbols = sorted(data.firm_symbol.values())
        sec = (reaction.rule_securities(data.securities, PER_SECURITY_RULES[key]) if key in PER_SECURITY_RULES
               else data.securities)
        panel = eventstudy.panel_from_securities(data.returns, sec, symbols,
                                                 None if key in (*RULE_BENCHMARKS, NO_BENCHMARK) else key,
                                                 with_benchmark=needs, spans=data.spans)
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
    within = benchmark == SAME  # raw and constant-mean specs carry no benchmark rule (NO_BENCHMARK)
    firm = pd.factorize(data.securities.drop_duplicates("symbol").set_index("symbol")["firm_id"].reindex(symbols))[0]
    combos = specs[["event_set", "grouping", "leave_out", "long", "short"]].drop_duplicates(
        ["event_set", "grouping", "leave_out"])
    pseudo = None if placebo_dates is None or len(placebo_dates) == 0 else _placebo_pooled(
        data, f, panel, symbols, span, placebo_dates, combos, col, within=within)
    key = specs["event_set"] + "|" + specs["grouping"] + "|" + specs["leave_out"]
    windows_of = dict(list(specs["window"].groupby(key, sort=False)))  # combination -> its specs' windows
    rows: dict[Any, list] = {}
    draws: dict[Any, np.ndarray] = {}
    n_est = len(est_days)
    memo: dict = {}
    for set_name, group in combos.groupby("event_set", sort=False):
        xs = x[np.isin(data.events["event_id"], data.event_sets[set_name])]
        legs = [_leg_cols(r.long, r.short, r.leave_out, data, col, memo, within) for r in group.itertuples()]
        ls, pooled = _pooled(xs, legs)
        has = {w: (~np.isnan(xs[:, :, n_est + np.flatnonzero((span >= w[0]) & (span <= w[1]))])).any(axis=2)
               for w in windows}  # (events x securities): a return inside the window
        names = [(set_name, r.grouping, r.leave_out) for r in group.itertuples()]
        stats_of = {w: _block_stats(ls, pooled, has[w], legs, n_est, span, w, firm) for w in windows}
        cars_of = ({} if pseudo is None else  # (combinations x draws) placebo CARs per window
                   {w: _window_cars(np.stack([pseudo[name] for name in names]), span, [w])[..., 0] for w in windows})
        for k, name in enumerate(names):
            for i, win in windows_of["|".join(name)].items():
                w = _parse_label(win)
                rows[i] = stats_of[w][k]
                draws[i] = np.array([]) if pseudo is None else cars_of[w][k]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(RESULT_COLUMNS)).reindex(specs.index)
    t, dof = out["t"].to_numpy(dtype=float), out["p"].to_numpy(dtype=float)
    ok = np.isfinite(t) & (dof > 0)
    out["p"] = np.where(ok, 2 * stats.t.sf(np.abs(np.where(ok, t, 0.0)), np.where(ok, dof, 1.0)), np.nan)
    out["placebo"] = pd.Series(draws, dtype=object).reindex(specs.index)
    return out.astype({c: np.int64 for c in ("n_events", "n_firms", "n_long", "n_short")})


def _leg_cols(long: str, short: str, leave_out: str, data: SweepData, col: dict[str, int],
              memo: dict | None = None, within: bool = False) -> Legs:
    """Column positions of the grouping's legs and of the left-out firm's security (-1: none), as one stratum;
    ``within`` (the same_market rule): one stratum per listing market holding the legs' firms' listings there
    (:attr:`SweepData.market_symbols`; ``long``/``short`` name each firm by its one sweep security)."""
    memo = {} if memo is None else memo
    if not within:
        lo = col[data.firm_symbol[leave_out]] if leave_out != "none" else -1
        for leg in (long, short):
            if leg not in memo:
                memo[leg] = np.array([col[s] for s in leg.split(";")])
        return [(memo[long], memo[short], lo)]
    firm_of = memo.setdefault("firm_of", {s: f for f, s in data.firm_symbol.items()})
    strata = []
    for market, listing in data.market_symbols.items():  # three listing markets
        for leg in (long, short):
            if (market, leg) not in memo:
                memo[(market, leg)] = np.array([col[listing[firm_of[s]]] for s in leg.split(";")
                                                if firm_of[s] in listing], dtype=np.int64)
        lo = col[listing[leave_out]] if leave_out in listing else -1
        strata.append((memo[(market, long)], memo[(market, short)], lo))
    return strata


def _block_stats(ls: np.ndarray, pooled: np.ndarray, has: np.ndarray, legs: list[Legs], n_est: int,
                 span: np.ndarray, w: tuple[int, int], firm: np.ndarray) -> list[list]:
    """estimate, se, t, degrees of freedom (in the p slot), n_events, n_firms, n_long, n_short of each of a
    block's K combinations for window ``w``.

    ``ls``/``pooled``: (K, events, days) per-event and (K, days) pooled long-short series over the estimation
    days then ``span``; ``has``: (events x securities) whether the pair has a return in the window; ``legs``:
    each combination's legs. An event counts if its long-short series exists on some estimation or window day
    (as in :func:`eventstudy.long_short`); a firm counts if it has a return in the window in a counted event
    (``firm``: firm code per security column, so a firm listed on two markets counts once).
    """
    n_k, n_sec = len(legs), has.shape[1]
    win = n_est + np.flatnonzero((span >= w[0]) & (span <= w[1]))
    days = np.concatenate([np.arange(n_est), win])
    ev = pooled[:, win]
    car = np.where((~np.isnan(ev)).any(axis=1), np.nansum(ev, axis=1), np.nan)
    est = pooled[:, :n_est]
    n_obs = (~np.isnan(est)).sum(axis=1)
    sd = np.full(n_k, np.nan)
    full = n_obs == n_est
    if n_est > 1 and full.any():
        sd[full] = est[full].std(axis=1, ddof=1)  # row by row as a 1-D std: same sums
    for k in np.flatnonzero(~full & (n_obs > 1)):  # rows with gaps: their days only
        sd[k] = est[k][~np.isnan(est[k])].std(ddof=1)
    se = np.where(n_obs > 1, sd * np.sqrt(len(win)), np.nan)
    t = np.divide(car, se, out=np.full(n_k, np.nan), where=se > 0)
    both = (~np.isnan(ls[:, :, days])).any(axis=2)  # (K, events): the event counts
    used = (both.astype(np.int64) @ has.astype(np.int64)) > 0  # (K, securities): a return in a counted event
    member = np.zeros((2, n_k, n_sec), dtype=bool)  # long / short columns of each combination
    for k, strata in enumerate(legs):
        for long, short, lo in strata:
            member[0, k, long] = member[1, k, short] = True
            if lo >= 0:
                used[k, lo] = False
    if len(legs[0]) == 1:  # one security per firm
        n_long, n_short = (used & member).sum(axis=2)
    else:
        firms = np.zeros((n_sec, firm.max() + 1), dtype=np.int64)
        firms[np.arange(n_sec), firm] = 1
        n_long, n_short = (((used & member).astype(np.int64) @ firms) > 0).sum(axis=2)
    return [[car[k], se[k], t[k], n_obs[k] - 1, int(both[k].sum()), int(n_long[k] + n_short[k]), int(n_long[k]),
             int(n_short[k])] for k in range(n_k)]


def placebo_candidates(data: SweepData, config: PlaceboConfig) -> np.ndarray:
    """Candidate pseudo-event dates: sessions of any studied exchange in [start, end] more than ``gap`` sessions
    from every real event (all day-precision events of events.csv)."""
    mics = sorted(set(data.securities.loc[data.securities["symbol"].isin(data.firm_symbol.values()), "exchange"]))
    union = placebo.exchange_sessions(mics, config.start, config.end)
    cands = union[placebo.away_from_events(union, data.all_event_days, config.gap)].to_numpy()
    if len(cands) < 50:
        raise CrackdownError(f"placebo: only {len(cands)} candidate dates between {config.start} and "
                             f"{config.end}; widen the span")
    return cands


def regime_returns(data: SweepData, symbol: str) -> pd.Series:
    """The regime benchmark's daily returns on its own exchange's sessions (from ``data.returns``)."""
    if symbol not in data.returns.columns:
        raise CrackdownError(f"regime_benchmark: {symbol!r} has no returns in the sweep data; load it with "
                             "load_sweep_data(regime_benchmark=...) or choose one of "
                             f"{', '.join(map(str, data.returns.columns))}")
    mic = data.securities.set_index("symbol").loc[symbol, "exchange"]
    col = data.returns[symbol]
    own = sessions(mic, col.index.min(), col.index.max())
    return col.reindex(own)


def placebo_dates(data: SweepData, config: PlaceboConfig) -> np.ndarray:
    """(draws x events) pseudo dates from ``config.pool``. Each event's draws come from a Generator seeded by
    (seed, event id), so a draw moves an event to the same date whatever grid or event set it is used in."""
    bench = regime_returns(data, config.regime_benchmark) if config.pool == "regime" else None
    days = pd.Series(pd.to_datetime(data.events["date"]).to_numpy(), index=data.events["event_id"].astype(str))
    return placebo.draw_pool_per_event(config.pool, placebo_candidates(data, config), config.n, days, config.seed,
                                       bench)


def _placebo_pooled(data: SweepData, f: eventstudy.Fit, panel, symbols: list[str], span: np.ndarray,
                    dates: np.ndarray, combos: pd.DataFrame, col: dict[str, int], chunk: int = 50,
                    within: bool = False) -> dict:
    """(set, grouping, leave_out) -> (draws x span days) pooled long-short series on the pseudo events."""
    n_draws, n_ev = dates.shape
    out: dict[tuple, list] = {}
    memo: dict = {}
    for start in range(0, n_draws, chunk):  # blocks of draws bound memory; each block is vectorised
        d = dates[start:start + chunk]
        pseudo = _pseudo_pairs(panel, d.ravel())
        pf = eventstudy.fit(panel, pseudo, f.model, f.estimation, f.min_obs, errors="drop")
        x = _tensor(pf, span, d.size, symbols).reshape(len(d), n_ev, len(symbols), len(span))
        for set_name, group in combos.groupby("event_set", sort=False):
            ev_mask = np.isin(data.events["event_id"], data.event_sets[set_name])
            legs = [_leg_cols(r.long, r.short, r.leave_out, data, col, memo, within) for r in group.itertuples()]
            _, pooled = _pooled(x[:, ev_mask], legs)
            for k, r in enumerate(group.itertuples()):
                out.setdefault((set_name, r.grouping, r.leave_out), []).append(pooled[k])
    return {key: np.concatenate(parts) for key, parts in out.items()}


def _pseudo_pairs(panel: eventstudy.ReturnPanel, dates: np.ndarray) -> pd.DataFrame:
    """Every panel security with every pseudo event (event_id = position in ``dates``), day 0 inside the
    security's price coverage (:func:`crackdown.placebo.pseudo_pairs`)."""
    n_sym = len(panel.symbols)
    ev = np.repeat(np.arange(len(dates)), n_sym)
    col = np.tile(np.arange(n_sym), len(dates))
    return placebo.pseudo_pairs(panel, col, dates[ev], event_id=ev, within_coverage=True)
