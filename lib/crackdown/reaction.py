"""Market reaction to the crackdown: which events, which securities per group, the event studies, tidy outputs.

The thin layer between the data (events, securities, prices), the firm groups of :mod:`crackdown.alignment` and
the event-study engine :mod:`crackdown.eventstudy`, used by notebook 04_market_reaction.

- :func:`crackdown_events`: punitive events (probes, fines, app removals, rules...) dated to the day that name a
  targeted firm or sector (:data:`crackdown.alignment.TARGETED_SECTORS`).
- :func:`choose_listings` / :func:`group_members`: one priced security per firm (rule below) and its group;
  benchmarks (index/ETF securities) form the ``benchmark`` group.
- :func:`run_reaction`: every chosen security around every event (engine, ``errors="drop"``), then the
  ``min_n`` rule: an (event, group) cell with fewer than ``min_n`` securities with a CAR is left out (NaN in the
  tables), never reported from one or two stocks by accident.
- :func:`pooled_tests`, :func:`event_table`, :func:`long_short_pooled`, :func:`caar_path`, :func:`car_matrix`,
  :func:`placebo_long_short`, :func:`overlapping_events`: the numbers and tidy frames the notebook shows.
- :func:`adverse_events` / :func:`run_reverse`: the aligned firms on their own adverse events (US sanctions,
  IPO delays), only the firms each event names.
- :func:`results_record`: the notebook's results (``write_results`` payload), computed from the above; its words
  (closing "What this shows" and answer) are :mod:`crackdown.words.reaction`, read from that record.

Listing rule (``market="all"``): among a firm's priced securities, the one with the longest price coverage
(earliest first return; ties: the later last return, then the symbol). ``market="US"|"HK"|"mainland"`` keeps only
listings on those exchanges first, so a firm without a listing there drops out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crackdown import eventstudy as es
from crackdown import inference, params, placebo
from crackdown.alignment import TARGETED_SECTORS
from crackdown.announce import RULE_FALLBACK
from crackdown.errors import CrackdownError, unknown_name_error
from crackdown.results import Headline
from crackdown.text import code_words
from crackdown.vocab import (
    ADVERSE_TYPES,
    CRACKDOWN_EVENT_TYPES,
    LONG,
    MARKET_STUDY_GROUPS,
    SHORT,
    STUDIED_FIRM_GROUPS,
    THESIS_SIGN,
)

MARKETS: dict[str, tuple[str, ...] | None] = {
    "all": None, "US": ("XNYS", "XNAS"), "HK": ("XHKG",), "mainland": ("XSHG", "XSHE"),
}
DEFAULT_BENCHMARKS: tuple[str, ...] = ("KWEB", "FXI", "IDX_HSI")
INDEX_BENCHMARK = "IDX_GSPC"  # market-model benchmark for benchmark securities that have none (e.g. IDX_HSI)
# Old names, kept so existing imports work; new code uses the crackdown.vocab names.
PUNITIVE_TYPES, FIRM_GROUPS, GROUPS = CRACKDOWN_EVENT_TYPES, STUDIED_FIRM_GROUPS, MARKET_STUDY_GROUPS


# --- events --------------------------------------------------------------------------------------------------
def _split(cell: object) -> list[str]:
    if not isinstance(cell, str):
        return []
    return [item.strip() for item in cell.split(";") if item.strip()]


def crackdown_events(types: Iterable[str] = CRACKDOWN_EVENT_TYPES, start: str = "2020-11-01", end: str = "2022-12-31", *,
                     events: pd.DataFrame | None = None, firms: pd.DataFrame | None = None) -> pd.DataFrame:
    """Punitive events of ``types`` dated to the day in [start, end] that name a firm of a targeted sector
    (:data:`crackdown.alignment.TARGETED_SECTORS`) or list such a sector.

    Adds ``targets``: the named firms of targeted sectors (``;``-joined, may be empty for sector-wide events).
    Sorted by date. Month-precision events are left out (an event study needs the day).
    """
    from crackdown.data import load_events, load_firms
    from crackdown.data.schemas import EVENT_TYPES

    types = params.subset("event_types", list(types), EVENT_TYPES, empty_means_all=False)
    lo, hi = params.date_range(start, end, names=("start", "end"))
    events = load_events() if events is None else events.copy()
    firms = load_firms() if firms is None else firms
    targeted = set(firms.loc[firms["sector_group"].isin(TARGETED_SECTORS), "firm_id"])
    named = events["firm_ids"].map(lambda c: [f for f in _split(c) if f in targeted])
    sector_hit = events["sectors"].map(lambda c: bool(set(_split(c)) & set(TARGETED_SECTORS)))
    precise = events["date_precision"].eq("day") if "date_precision" in events else True
    keep = (events["type"].isin(types) & events["date"].between(lo, hi) & precise
            & (named.map(bool) | sector_hit))
    out = events[keep].assign(targets=named[keep].map(";".join))
    return params.nonempty("event_types/start/end", out.sort_values(["date", "event_id"]), "crackdown events") \
        .reset_index(drop=True)


def adverse_events(firm_ids: Iterable[str], types: Iterable[str] = ADVERSE_TYPES, start: str = "2019-01-01",
                   end: str = "2023-12-31", *, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """(event, firm) rows: day-precision events of ``types`` in [start, end] naming one of ``firm_ids``.

    Columns: the event's columns plus ``firm_id`` (one row per named firm of ``firm_ids``).
    """
    from crackdown.data import load_events
    from crackdown.data.schemas import EVENT_TYPES

    types = params.subset("reverse_types", list(types), EVENT_TYPES, empty_means_all=False)
    lo, hi = params.date_range(start, end, names=("reverse_start", "reverse_end"))
    events = load_events() if events is None else events.copy()
    wanted = set(firm_ids)
    precise = events["date_precision"].eq("day") if "date_precision" in events else True
    events = events[events["type"].isin(types) & events["date"].between(lo, hi) & precise]
    rows = events.assign(firm_id=events["firm_ids"].map(_split)).explode("firm_id")
    return rows[rows["firm_id"].isin(wanted)].sort_values(["date", "event_id", "firm_id"]).reset_index(drop=True)


ECONOMY_WIDE_TYPES: tuple[str, ...] = ("rule", "law", "policy")


def economy_wide_events(start: str = "2020-11-01", end: str = "2022-12-31", types: Iterable[str] = ECONOMY_WIDE_TYPES,
                        *, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Events not chosen by target: day-precision rules, laws and policy statements (``types``) in [start, end]
    whose ``firm_ids`` is empty, i.e. that name no firm and applied to every firm they cover (data security and
    personal-information laws, platform antitrust guidelines, "common prosperity", cybersecurity review rules...).
    Their ``sectors`` (what the sources report on) do not select them. Adds ``targets`` (empty), sorted by date."""
    from crackdown.data import load_events
    from crackdown.data.schemas import EVENT_TYPES

    types = params.subset("economy_wide_types", list(types), EVENT_TYPES, empty_means_all=False)
    lo, hi = params.date_range(start, end, names=("start", "end"))
    events = load_events() if events is None else events.copy()
    precise = events["date_precision"].eq("day") if "date_precision" in events else True
    unnamed = events["firm_ids"].map(lambda c: not _split(c))
    keep = events["type"].isin(types) & events["date"].between(lo, hi) & precise & unnamed
    out = events[keep].assign(targets="")
    return params.nonempty("economy_wide_types/start/end", out.sort_values(["date", "event_id"]),
                           "economy-wide events").reset_index(drop=True)


def merge_same_day0(events: pd.DataFrame, exchanges: Iterable[str]) -> pd.DataFrame:
    """Events with the same day 0 on every one of ``exchanges`` merged into one row (their windows coincide).

    The first event (by date, id) keeps its row; ``merged_ids`` lists every merged id (``;``-joined),
    ``type`` and ``targets`` become the ``;``-joined distinct values. Order by date is kept.
    """
    mics = list(dict.fromkeys(exchanges))
    if not mics:
        raise CrackdownError("market: no exchanges to map the events to")
    key = pd.Series("", index=events.index)
    for mic in mics:  # a handful of exchanges
        day0, _ = es.announcement_day0(mic, events.reset_index(drop=True))
        key = key + "|" + pd.Series(day0.strftime("%Y-%m-%d"), index=events.index)
    events = events.assign(_key=key).sort_values(["date", "event_id"])
    joined = events.groupby("_key", sort=False).agg(
        merged_ids=("event_id", ";".join),
        type=("type", lambda s: ";".join(dict.fromkeys(s))),
        targets=("targets", lambda s: ";".join(dict.fromkeys(t for c in s for t in _split(c)))))
    first = events.drop_duplicates("_key").drop(columns=["type", "targets"])
    out = first.join(joined, on="_key").drop(columns="_key")
    return out.reset_index(drop=True)


# --- securities ----------------------------------------------------------------------------------------------
def price_coverage(returns: pd.DataFrame) -> pd.DataFrame:
    """First and last date with a return per symbol (columns first, last; NaT for an empty column)."""
    valid = returns.notna()
    dates = returns.index.to_series()
    first = valid.apply(lambda c: dates[c].min())
    last = valid.apply(lambda c: dates[c].max())
    return pd.DataFrame({"first": first, "last": last}).rename_axis("symbol")


def choose_listings(firm_ids: Iterable[str], securities: pd.DataFrame, coverage: pd.DataFrame,
                    market: str = "all") -> pd.DataFrame:
    """One priced security per firm: on ``market``'s exchanges, the one with the longest coverage.

    ``coverage``: from :func:`price_coverage` (symbols without coverage are not priced). Returns symbol,
    firm_id, name, exchange, first, last (firms with no eligible listing are absent).
    """
    params.one_of("market", market, MARKETS)
    exchanges = MARKETS[market]
    sec = securities[securities["firm_id"].isin(list(firm_ids)) & securities["symbol"].isin(coverage.index)]
    sec = sec.join(coverage, on="symbol").dropna(subset=["first"])
    if exchanges is not None:
        sec = sec[sec["exchange"].isin(exchanges)]
    sec = sec.assign(neg_last=-sec["last"].astype("int64"))
    best = sec.sort_values(["firm_id", "first", "neg_last", "symbol"]).drop_duplicates("firm_id")
    return best[["symbol", "firm_id", "name", "exchange", "first", "last"]].reset_index(drop=True)


def group_members(groups: pd.Series, securities: pd.DataFrame, coverage: pd.DataFrame, market: str = "all",
                  benchmarks: Sequence[str] = DEFAULT_BENCHMARKS,
                  include: Sequence[str] = STUDIED_FIRM_GROUPS) -> pd.DataFrame:
    """The securities studied and their group: firms of ``include`` (``groups``: firm_id -> group, e.g.
    :func:`crackdown.alignment.firm_groups`) via :func:`choose_listings`, plus ``benchmarks`` as group
    ``benchmark``. Columns symbol, firm_id, name, exchange, first, last, group."""
    include = params.subset("groups", list(include), STUDIED_FIRM_GROUPS, empty_means_all=False)
    firms = groups[groups.isin(include)]
    chosen = choose_listings(firms.index, securities, coverage, market).assign(
        group=lambda d: d["firm_id"].map(firms))
    known = securities.set_index("symbol")
    for b in benchmarks:
        if b not in known.index:
            raise unknown_name_error("symbol", b, known.index, "benchmarks")
        if b not in coverage.index or pd.isna(coverage.loc[b, "first"]):
            raise CrackdownError(f"benchmarks: {b} has no prices in the snapshot")
    bench = pd.DataFrame({"symbol": list(benchmarks), "firm_id": None,
                          "name": known.reindex(list(benchmarks))["name"].to_numpy(),
                          "exchange": known.reindex(list(benchmarks))["exchange"].to_numpy(),
                          "group": "benchmark"}).join(coverage, on="symbol")
    out = pd.concat([chosen, bench], ignore_index=True)
    out["group"] = pd.Categorical(out["group"], categories=list(MARKET_STUDY_GROUPS))
    return out.sort_values(["group", "symbol"]).reset_index(drop=True)


def study_securities(securities: pd.DataFrame, symbols: Iterable[str],
                     index_benchmark: str = INDEX_BENCHMARK) -> pd.DataFrame:
    """The securities table for the engine: ``symbols`` without a benchmark_symbol (indices such as IDX_HSI)
    get ``index_benchmark``, so the market model measures them against the world market."""
    sec = securities.copy()
    empty = sec["symbol"].isin(list(symbols)) & (sec["benchmark_symbol"].isna() | sec["benchmark_symbol"].eq(""))
    sec.loc[empty & sec["symbol"].ne(index_benchmark), "benchmark_symbol"] = index_benchmark
    return sec


# --- benchmark rules -----------------------------------------------------------------------------------------
#: How each leg's abnormal returns are measured. ``local_market``: every security against its own market's index
#: (securities.csv ``benchmark_symbol``: S&P 500 for US listings, Hang Seng, CSI 300), so US-listed ADRs and
#: A-shares are measured against different markets. ``china_market``: every firm security against a China-wide
#: market on its exchange (:data:`CHINA_MARKET`: MSCI China ETF for US listings, the Hang Seng and CSI 300
#: elsewhere), so a China-wide sell-off is removed from both legs alike. ``two_factor``: every firm security
#: against its local market and a China factor (the engine's two-factor market model, :func:`rule_securities`):
#: the China market of its exchange (:data:`CHINA_MARKET`) wherever that differs from the local market, i.e.
#: S&P 500 + MSCI China ETF (MCHI) for US listings. MCHI, not FXI (the 50 largest Hong Kong-listed Chinese firms,
#: narrower) nor KWEB (an internet-sector fund: it would absorb the very sector effect being measured). For Hong
#: Kong and mainland listings the local index (Hang Seng, CSI 300) is itself the China market of their exchange,
#: so the factor would repeat the benchmark (perfectly collinear) and is dropped: they keep the one-factor fit.
#: The second factor enters only the market model (under market-adjusted the rule equals local_market).
#: ``same_market``: the legs are compared only within a listing market (US vs US, Hong Kong vs Hong Kong, mainland
#: vs mainland, local benchmarks) and the within-market differences pooled
#: (:func:`crackdown.inference.within_strata_inputs`).
BENCHMARK_RULES: tuple[str, ...] = ("local_market", "china_market", "two_factor", "same_market")
#: Rules under which both legs are measured alike; the headline quotes the most conservative of them
#: (:func:`headline_rule`).
ALIKE_RULES: tuple[str, ...] = ("china_market", "two_factor", "same_market")
#: The rule of 04's pair-level regression (a per-security rule: same_market has no per-pair analogue).
PAIR_BENCHMARK_RULE = "china_market"
CHINA_MARKET: dict[str, str] = {"XNYS": "MCHI", "XNAS": "MCHI", "XHKG": "IDX_HSI", "XSHG": "000300.SS",
                                "XSHE": "000300.SS"}
SAME_MARKETS: tuple[str, ...] = ("US", "HK", "mainland")


def rule_securities(securities: pd.DataFrame, rule: str, china: Mapping[str, str] = CHINA_MARKET) -> pd.DataFrame:
    """The securities table with each firm security's ``benchmark_symbol`` set by ``rule`` (:data:`BENCHMARK_RULES`):
    unchanged for local_market and same_market; the China market of its exchange (``china``) for china_market;
    for two_factor the local benchmark stays and ``factor_symbol`` (the engine's second factor,
    :func:`crackdown.eventstudy.panel_from_securities`) is the China market of its exchange where that differs
    from the local benchmark ("" where it is the same series). Index and ETF rows (no firm_id) keep theirs."""
    params.one_of("benchmark_rule", rule, BENCHMARK_RULES)
    sec = securities.copy()
    if rule not in ("china_market", "two_factor"):
        return sec
    firm = sec["firm_id"].notna() & sec["firm_id"].astype(str).str.strip().ne("")
    mapped = sec["exchange"].map(dict(china))
    missing = firm & mapped.isna()
    if missing.any():
        raise CrackdownError(f"{rule}: no China benchmark for exchange {sec.loc[missing, 'exchange'].iloc[0]!r}")
    if rule == "china_market":
        sec.loc[firm, "benchmark_symbol"] = mapped[firm]
        return sec
    sec["factor_symbol"] = ""
    differs = firm & mapped.ne(sec["benchmark_symbol"])
    sec.loc[differs, "factor_symbol"] = mapped[differs]
    return sec


#: Listing markets that must hold both legs before a same_market study may carry the headline (:func:`headline_rule`).
MIN_SAME_MARKETS = 2


def markets_with_both_legs(study: Mapping[str, Any]) -> int:
    """How many listing markets hold events with both legs in a same_market study (its
    ``events_with_both_legs_by_market``); other rules have no such count and return 0."""
    cells = study.get("events_with_both_legs_by_market") or {}
    return sum(1 for n in cells.values() if n > 0)


def headline_rule(studies: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The benchmark rule the headline quotes: among the studied :data:`ALIKE_RULES` whose most conservative test
    (``headline``) is defensible, the one with the largest p-value, i.e. the most conservative defensible rule
    measuring both legs alike (ties: the order of :data:`ALIKE_RULES`); if none is defensible, the largest p
    among them anyway; None when no alike rule has a computable test.

    Defensible: the test's n reaches :data:`crackdown.inference.DEFAULT_MIN_N`, and a same_market study has both
    legs in at least :data:`MIN_SAME_MARKETS` listing markets. With both legs in one market only, same_market is
    a single-market subsample (a narrower question than the study's), reported beside the headline, not as it."""
    candidates = [(rule, studies[rule]["headline"]) for rule in ALIKE_RULES
                  if rule in studies and studies[rule].get("headline") is not None]
    if not candidates:
        return None
    defensible = [c for c in candidates if c[1].result.n >= inference.DEFAULT_MIN_N[c[1].name]
                  and (c[0] != "same_market" or markets_with_both_legs(studies[c[0]]) >= MIN_SAME_MARKETS)]
    return max(defensible or candidates, key=lambda c: c[1].result.p_value)[0]  # max keeps the first of ties


def benchmark_rule_tests(returns: pd.DataFrame, securities: pd.DataFrame, events: pd.DataFrame, groups: pd.Series,
                         coverage: pd.DataFrame, rule: str, market: str = "all",
                         benchmarks: Sequence[str] = DEFAULT_BENCHMARKS, long: str = LONG, short: str = SHORT,
                         **study: Any) -> dict[str, Any]:
    """The long-short ``long`` minus ``short`` under one benchmark ``rule`` with the four-way inference
    (pairs, events, clusters, calendar_time; :func:`crackdown.inference.side_by_side`), its most conservative
    test (``headline``) and counts. ``study``: :func:`run_reaction`'s options (model, estimation, window,
    min_obs, min_n, spans). For same_market the listing per firm is chosen within each market and the tests run
    on the pooled within-market differences ("pairs" are then (event, market) cells)."""
    params.one_of("benchmark_rule", rule, BENCHMARK_RULES)
    markets = SAME_MARKETS if rule == "same_market" else (market,)
    sec = rule_securities(securities, rule)
    cars, windows, daily, n_pairs = [], [], [], {long: 0, short: 0}
    for m in markets:  # one study per listing market (three at most)
        members = group_members(groups, securities, coverage, m, benchmarks)
        r = run_reaction(returns, sec, events, members, **study)
        labels = r.members.set_index("symbol")["group"].astype(str).to_dict()
        c, w, d = inference.inputs_from_event_study(es.car(r.fit, r.window), es.abnormal_returns(r.fit, r.window),
                                                    labels)
        cars.append(c.assign(stratum=m))
        windows.append(w)
        daily.append(d.assign(stratum=m))
        for g in n_pairs:
            n_pairs[g] += int((c["group"] == g).sum())
    c, w, d = pd.concat(cars, ignore_index=True), pd.concat(windows, ignore_index=True), pd.concat(daily,
                                                                                                     ignore_index=True)
    target: Any = (long, short)
    cells: dict[str, int] | None = None
    if rule == "same_market":
        c, d = inference.within_strata_inputs(c, d, (long, short))
        target = inference.WITHIN
        cells = {m: int((c["stratum"] == m).sum()) for m in markets}
    tests: dict[str, Any] = {}
    runs = {"pairs": lambda: inference.pairs_test(c, target), "events": lambda: inference.events_test(c, target),
            "clusters": lambda: inference.clusters_test(c, w, target),
            "calendar_time": lambda: inference.calendar_time_test(d, target)}
    for name, run in runs.items():
        try:
            tests[name] = run()
        except CrackdownError:
            tests[name] = None
    h = headline_choice(tests)
    return {"rule": rule, "alike": rule in ALIKE_RULES, "markets": list(markets),
            "benchmarks_by_exchange": _benchmarks_by_exchange(sec),
            "tests": tests, "headline": h, "n_pairs": n_pairs, "events_with_both_legs_by_market": cells}


def _benchmarks_by_exchange(sec: pd.DataFrame) -> dict[str, str]:
    """Exchange -> the benchmark(s) its firm securities are measured against ("IDX_GSPC + MCHI" with a factor)."""
    firm = sec.loc[sec["firm_id"].notna()]
    used = firm["benchmark_symbol"].fillna("").astype(str)
    if "factor_symbol" in firm:
        factor = firm["factor_symbol"].fillna("").astype(str)
        used = used.where(factor.eq(""), used + " + " + factor)
    return {ex: ";".join(sorted(set(b))) for ex, b in used.groupby(firm["exchange"])}


def all_firm_members(groups: pd.Series, securities: pd.DataFrame, coverage: pd.DataFrame,
                     market: str = "all") -> pd.DataFrame:
    """One listing per firm of ``groups`` (every group, ``other`` included; :func:`choose_listings`), group =
    the firm's group: the pair-level study of alignment as a measure uses every firm, not only the two legs."""
    chosen = choose_listings(groups.index, securities, coverage, market)
    return chosen.assign(group=chosen["firm_id"].map(groups).astype(str))


def by_benchmark_record(studies: Mapping[str, Mapping[str, Any]], window: Sequence[int]) -> dict[str, Any]:
    """04's ``by_benchmark``: per rule the four tests (estimate, se, t, p_value, n; None where not computable),
    the most conservative one (``headline``: test, estimate on the CAR scale, p_value, n, reason), whether both
    legs are measured alike, the markets and the benchmark per exchange."""
    out: dict[str, Any] = {}
    for rule, s in studies.items():
        h = s["headline"]
        out[rule] = {"alike": s["alike"], "markets": s["markets"], "benchmarks_by_exchange": s["benchmarks_by_exchange"],
                     "n_pairs": s["n_pairs"], "events_with_both_legs_by_market": s.get("events_with_both_legs_by_market"),
                     "inference": {k: (v.as_dict() if v is not None else None) for k, v in s["tests"].items()},
                     "headline": None if h is None else {
                         "test": h.name, "car_scale_estimate": _car_scale(h.name, h.result.estimate, window),
                         "reason": h.reason, **h.result.as_dict()}}
    return out


# --- the study -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reaction:
    """One crackdown event study: the engine result, members, events and the ``min_n`` rule applied.

    ``fit`` holds only the eligible pairs (their (event, group) cell has at least ``min_n`` CARs);
    ``cars`` has every pair's CAR over ``window`` with its group and ``eligible`` flag.
    """

    result: es.EventStudyResult
    fit: es.Fit
    cars: pd.DataFrame
    members: pd.DataFrame
    events: pd.DataFrame
    window: tuple[int, int]
    min_n: int


def _label_pairs(pairs: pd.DataFrame, members: pd.DataFrame) -> pd.Series:
    return pairs["symbol"].map(members.set_index("symbol")["group"].astype(str))


def run_reaction(returns: pd.DataFrame, securities: pd.DataFrame, events: pd.DataFrame, members: pd.DataFrame,
                 model: str = "market", estimation: Sequence[int] = es.DEFAULT_ESTIMATION,
                 window: Sequence[int] = es.DEFAULT_WINDOW, min_obs: int = es.DEFAULT_MIN_OBS,
                 min_n: int = 2, index_benchmark: str = INDEX_BENCHMARK,
                 spans: pd.DataFrame | None = None) -> Reaction:
    """Every member security around every event; pairs the engine cannot fit (no prices yet, too few
    estimation days) are dropped and listed in ``result.dropped``; then the ``min_n`` rule per (event, group).
    ``spans``: sessions spanned by each return (``load_return_spans``) when ``returns`` are gap-aware
    (``load_returns(gaps="resumption")``), so a move across a suspension is measured against the benchmark
    over the same sessions."""
    params.integer("min_n", min_n, 1)
    w = params.window("window", list(window))
    sec = study_securities(securities, members["symbol"], index_benchmark)
    res = es.run_event_study(returns, sec, events, list(members["symbol"]), model=model, estimation=estimation,
                             window=w, min_obs=min_obs, errors="drop", spans=spans, cumulate="compound")
    cars = res.car.assign(group=_label_pairs(res.car, members))
    cars["valid"] = cars["car"].notna()
    n_cell = cars.groupby(["event_id", "group"])["valid"].transform("sum")
    cars["eligible"] = cars["valid"] & (n_cell >= min_n)
    keep = cars.set_index(["event_id", "symbol"])["eligible"]
    mask = pd.MultiIndex.from_frame(res.fit.pairs[["event_id", "symbol"]]).map(keep.to_dict()).to_numpy(dtype=bool)
    fit = dataclasses.replace(res.fit, pairs=res.fit.pairs[mask].reset_index(drop=True))
    return Reaction(res, fit, cars, members, events.reset_index(drop=True), w, int(min_n))


def n_by_event(r: Reaction) -> pd.DataFrame:
    """Events x groups: securities with a CAR (before the ``min_n`` rule)."""
    n = r.cars.pivot_table(index="event_id", columns="group", values="valid", aggfunc="sum", observed=False)
    return n.reindex(index=r.events["event_id"], columns=list(MARKET_STUDY_GROUPS)).fillna(0).astype(int)


def n_by_group(r: Reaction) -> dict[str, dict[str, int]]:
    """Per group: distinct securities, (event, security) pairs and events used after the ``min_n`` rule."""
    used = r.cars[r.cars["eligible"]]
    g = used.groupby("group", observed=False)
    return {name: {"securities": int(g.get_group(name)["symbol"].nunique()) if name in g.groups else 0,
                   "pairs": int(len(g.get_group(name))) if name in g.groups else 0,
                   "events": int(g.get_group(name)["event_id"].nunique()) if name in g.groups else 0}
            for name in MARKET_STUDY_GROUPS}


def _group_map(r: Reaction, rows: pd.DataFrame | None = None) -> dict[str, list[str]]:
    members = r.members if rows is None else rows
    return {g: list(members.loc[members["group"].astype(str) == g, "symbol"]) for g in MARKET_STUDY_GROUPS
            if (members["group"].astype(str) == g).any()}


def pooled_tests(r: Reaction) -> pd.DataFrame:
    """Group CAAR over all eligible (event, security) pairs with the engine's test battery (one row per group
    with eligible pairs)."""
    present = r.fit.pairs["symbol"].map(r.members.set_index("symbol")["group"].astype(str))
    groups = {g: syms for g, syms in _group_map(r).items() if (present == g).any()}
    if not groups:
        raise CrackdownError("min_n: no (event, group) cell has enough securities with a CAR")
    return es.caar_tests(r.fit, r.window, groups).set_index("group").reindex(
        [g for g in MARKET_STUDY_GROUPS if g in groups])


def long_short_pooled(r: Reaction, long: str = LONG, short: str = SHORT) -> dict[str, float]:
    """Equal-weighted ``long`` minus ``short`` portfolio CAR over events where both legs pass ``min_n``
    (engine :func:`crackdown.eventstudy.long_short`); NaN estimates when no event has both."""
    legs = _legs(r, long, short)
    if legs is None:
        return {"car": np.nan, "se": np.nan, "t": np.nan, "p": np.nan, "n_events": 0}
    table = es.long_short(legs, *_leg_symbols(r, long, short), window=r.window)
    row = table.set_index("event_id").loc["all"]
    return {"car": row["car"], "se": row["se"], "t": row["t"], "p": row["p"], "n_events": int(len(table) - 1)}


def _leg_symbols(r: Reaction, long: str, short: str) -> tuple[list[str], list[str]]:
    groups = _group_map(r)
    return groups.get(long, []), groups.get(short, [])


def _legs(r: Reaction, long: str, short: str) -> es.Fit | None:
    """The eligible fit restricted to events where both legs have eligible pairs."""
    g = r.fit.pairs["symbol"].map(r.members.set_index("symbol")["group"].astype(str))
    both = (pd.crosstab(r.fit.pairs["event_id"], g).reindex(columns=[long, short], fill_value=0) > 0).all(axis=1)
    keep = r.fit.pairs["event_id"].isin(both.index[both]) & g.isin([long, short])
    if not keep.any():
        return None
    return dataclasses.replace(r.fit, pairs=r.fit.pairs[keep.to_numpy()].reset_index(drop=True))


def event_table(r: Reaction, long: str = LONG, short: str = SHORT) -> pd.DataFrame:
    """One row per event: date, type, per group n and CAAR (NaN below ``min_n``), the long-short CAR with SE, t,
    p, and per group the Kolari-Pynnonen t/p and the portfolio t/p (multi-index columns (stat, group))."""
    labels = r.fit.pairs["event_id"].astype(str) + "|" + _label_pairs(r.fit.pairs, r.members)
    tests = es.caar_tests(r.fit, r.window, labels)
    tests[["event_id", "group"]] = tests["group"].str.split("|", n=1, expand=True)
    wide = tests.pivot(index="event_id", columns="group",
                       values=["n", "caar", "kp_t", "p_kp", "portfolio_t", "p_portfolio"])
    wide = wide.reindex(columns=pd.MultiIndex.from_product([wide.columns.levels[0], list(MARKET_STUDY_GROUPS)]))
    wide["n"] = n_by_event(r)  # before min_n, so thin cells show how many there were
    base = r.events.set_index("event_id")[["date", "type"]]
    base.columns = pd.MultiIndex.from_product([base.columns, [""]])
    out = base.join(wide)
    legs = _legs(r, long, short)
    if legs is not None:
        ls = es.long_short(legs, *_leg_symbols(r, long, short), window=r.window).set_index("event_id")
        for k in ("car", "se", "t", "p"):
            out[("long_short", k)] = ls[k].drop("all", errors="ignore")
    else:
        for k in ("car", "se", "t", "p"):
            out[("long_short", k)] = np.nan
    out.index.name = "event_id"
    return out


def caar_path(r: Reaction, path: Sequence[int] = (-5, 10), level: float = 0.95) -> pd.DataFrame:
    """CAAR from ``path[0]`` to each relative day per group over the eligible pairs, with a cross-sectional
    ``level`` band (CAAR +- z * sd(CAR_i)/sqrt(n); pairs pooled across events, cross-correlation ignored).

    Missing days count as zero abnormal return inside a pair's running CAR (as the engine's CAR sums the
    available days). Columns group, rel_day, caar, lo, hi, n.
    """
    from scipy import stats

    p = params.window("path", list(path))
    ar = es.abnormal_returns(r.fit, p)
    ar["group"] = _label_pairs(ar, r.members)
    ar["ar0"] = ar["ar"].fillna(0.0)
    ar = ar.sort_values(["event_id", "symbol", "rel_day"])
    ar["car"] = ar.groupby(["event_id", "symbol"])["ar0"].cumsum()
    z = stats.norm.ppf(0.5 + level / 2)
    g = ar.groupby(["group", "rel_day"])["car"]
    out = pd.DataFrame({"caar": g.mean(), "sd": g.std(ddof=1), "n": g.size()}).reset_index()
    half = z * out["sd"] / np.sqrt(out["n"])
    out["lo"], out["hi"] = out["caar"] - half, out["caar"] + half
    out["group"] = pd.Categorical(out["group"], categories=list(MARKET_STUDY_GROUPS))
    return out[["group", "rel_day", "caar", "lo", "hi", "n"]].sort_values(["group", "rel_day"]).reset_index(drop=True)


def car_matrix(r: Reaction) -> pd.DataFrame:
    """Securities x events CAR (all fitted pairs, before the ``min_n`` rule); rows ordered by group, symbol;
    columns by date. NaN where a security had no CAR for the event."""
    m = r.cars.pivot(index="symbol", columns="event_id", values="car")
    order = r.members.sort_values(["group", "symbol"])["symbol"]
    return m.reindex(index=[s for s in order if s in m.index], columns=list(r.events["event_id"]))


def overlapping_events(r: Reaction) -> pd.DataFrame:
    """Events whose event window shares a session with another event's window on some exchange.

    Columns event_id, overlaps_with (``;``-joined ids). Events without overlap are absent.
    """
    span = r.window[1] - r.window[0]
    d = r.result.fit.pairs[["event_id", "exchange", "pos0"]].drop_duplicates()
    pairs = d.merge(d, on="exchange", suffixes=("", "_other"))
    close = pairs[(pairs["event_id"] != pairs["event_id_other"]) & ((pairs["pos0"] - pairs["pos0_other"]).abs() <= span)]
    out = close.groupby("event_id")["event_id_other"].agg(lambda s: ";".join(sorted(set(s))))
    return out.rename("overlaps_with").reset_index()


# --- placebo -------------------------------------------------------------------------------------------------
def _ls_stat(cars: pd.DataFrame, min_n: int, long: str, short: str) -> pd.Series:
    """Per replication (column ``rep``): mean over events of (mean long CAR - mean short CAR), cells with at
    least ``min_n`` CARs; NaN where no event has both legs."""
    c = cars[cars["car"].notna() & cars["group"].isin([long, short])]
    cell = c.groupby(["rep", "event_id", "group"])["car"].agg(["mean", "size"])
    cell = cell[cell["size"] >= min_n]["mean"].unstack("group").reindex(columns=[long, short])
    diff = (cell[long] - cell[short]).dropna()
    return diff.groupby(level="rep").mean()


def long_short_statistic(r: Reaction, long: str = LONG, short: str = SHORT) -> float:
    """The placebo's statistic on the real events: mean over events of (mean long CAR - mean short CAR)."""
    stat = _ls_stat(r.cars.assign(rep=0), r.min_n, long, short)
    return float(stat.iloc[0]) if len(stat) else np.nan


def leave_one_out(r: Reaction, long: str = LONG, short: str = SHORT) -> pd.DataFrame:
    """Per event with both legs: its long-short difference (mean long CAR - mean short CAR) and the long-short
    statistic (:func:`long_short_statistic`) without it; sorted by the difference (most negative first)."""
    c = r.cars[r.cars["eligible"] & r.cars["group"].isin([long, short])]
    legs = c.pivot_table(index="event_id", columns="group", values="car", aggfunc="mean", observed=True)
    diff = (legs.reindex(columns=[long, short])[long] - legs.reindex(columns=[long, short])[short]).dropna()
    n = len(diff)
    without = (diff.sum() - diff) / (n - 1) if n > 1 else diff * np.nan
    return pd.DataFrame({"difference": diff, "without_it": without}).sort_values("difference")


def regime_benchmark_returns(r: Reaction, symbol: str | None = None) -> tuple[str, pd.Series]:
    """The benchmark whose volatility regime the placebo matches, and its daily returns on its own sessions:
    ``symbol`` (a studied security), or by default the first member of the benchmark group."""
    bench = r.members.loc[r.members["group"].astype(str) == "benchmark", "symbol"].tolist()
    if symbol is None:
        if not bench:
            raise CrackdownError("regime_benchmark: no benchmark security is studied; name one")
        symbol = bench[0]
    panel = r.result.fit.panel
    if symbol not in panel.symbols:
        raise unknown_name_error("symbol", symbol, panel.symbols, "regime_benchmark")
    return symbol, placebo.benchmark_series(panel, int(panel.col([symbol])[0]), "r")


def placebo_long_short(r: Reaction, n: int = 1000, seed: int = 0, avoid: Iterable | None = None,
                       exclude_days: int = 10, span_days: int = 365, long: str = LONG, short: str = SHORT,
                       block: int = 100, pool: str = "regime", regime_benchmark: str | None = None) -> dict:
    """Placebo distribution of the long-short statistic (:func:`long_short_statistic`) from ``n`` draws.

    Candidate dates are the calendar sessions within ``span_days`` of the real events' range, more than
    ``exclude_days`` sessions away from every real event and every date of ``avoid`` (e.g. all event dates of
    the project). ``pool="regime"`` (default): each real event draws (``numpy.random.default_rng(seed)``) only
    among the candidates within 6 months of its date whose ``regime_benchmark`` 20-session trailing volatility
    is in the same sample tercile as on its date (:func:`crackdown.placebo.regime_eligible`), so turbulent 2021
    events are not compared with calm years; ``pool="uniform"``: among all candidates. The same securities are
    studied around each draw (day 0 = each exchange's first session on or after it) with the same model,
    windows and ``min_n`` rule. Returns actual, p_two_sided ((1 + #|placebo| >= |actual|) / (1 + n_valid)),
    p_lower, their Monte-Carlo standard errors (p_two_sided_mc_se, p_lower_mc_se), n_placebo, pool,
    regime_benchmark and regime_months (event -> months span of its candidates: 6, widened to 12, 18 or 24
    where fewer than 10 same-regime dates lie closer; None for the uniform pool) and placebo.
    """
    params.integer("n_placebo", n, 1)
    params.integer("exclude_days", exclude_days, 0)
    placebo.check_pool(pool)
    actual = long_short_statistic(r, long, short)
    f = r.result.fit
    pairs = r.cars.loc[r.cars["group"].isin([long, short]), ["event_id", "symbol", "group"]]
    ev_codes = pd.Index(r.events["event_id"])
    cands = _placebo_dates(r, avoid, exclude_days, span_days)
    bench_name, bench = regime_benchmark_returns(r, regime_benchmark) if pool == "regime" else (None, None)
    event_days = pd.Series(pd.to_datetime(r.events["date"]).to_numpy(), index=ev_codes)
    draws, months = placebo.draw_pool(pool, cands, n, event_days, seed, bench)
    ev_of_pair = ev_codes.get_indexer(pairs["event_id"])
    dates, date_of_draw = np.unique(draws, return_inverse=True)  # a few hundred dates, drawn thousands of times
    date_of_draw = date_of_draw.reshape(draws.shape)
    symbols = pd.Index(pairs["symbol"].unique())
    table = _placebo_car_table(f, r.window, symbols, dates)  # CAR of each security around each drawn date
    sym_of_pair = symbols.get_indexer(pairs["symbol"])
    group_of_pair = pairs["symbol"].map(r.members.set_index("symbol")["group"].astype(str)).to_numpy()
    stats_ = []
    for start in range(0, n, block):  # blocks of replications bound memory; each block is vectorised
        reps = np.arange(start, min(start + block, n))
        car = table[sym_of_pair[None, :], date_of_draw[reps][:, ev_of_pair]]  # (reps, pairs), pairs in order
        rep_i, pair_i = np.nonzero(~np.isnan(car))
        c = pd.DataFrame({"rep": reps[rep_i], "event_id": ev_of_pair[pair_i], "group": group_of_pair[pair_i],
                          "car": car[rep_i, pair_i]})
        stats_.append(_ls_stat(c, r.min_n, long, short).reindex(reps))
    draws_stat = pd.concat(stats_).to_numpy(dtype=float)
    p = placebo.placebo_p_values(actual, draws_stat)
    k = p["n_placebo"]
    return {
        "actual": actual,
        "p_two_sided": p["p_two_sided"] if k else np.nan,
        "p_two_sided_mc_se": p["p_two_sided_mc_se"] if k else np.nan,
        "p_lower": p["p_lower"] if k else np.nan,
        "p_lower_mc_se": p["p_lower_mc_se"] if k else np.nan,
        "n_placebo": k,
        "pool": pool,
        "regime_benchmark": bench_name,
        "regime_months": months,
        "placebo": draws_stat,
    }


def _placebo_car_table(f: es.Fit, window: Sequence[int], symbols: pd.Index, dates: np.ndarray) -> np.ndarray:
    """CAR over ``window`` of each of ``symbols`` around each placebo date (day 0: its exchange's first session
    on or after the date), with ``f``'s panel, model, estimation window and ``min_obs``: shape (symbols, dates),
    NaN where the engine drops the pair or the CAR is missing. A pair's CAR depends only on its security and
    date, so each is computed once however often the date is drawn."""
    ids = np.arange(len(dates)).astype(str)
    pseudo = pd.DataFrame({"event_id": ids, "date": dates})
    pp = pd.DataFrame({"event_id": np.repeat(ids, len(symbols)), "symbol": np.tile(symbols.to_numpy(), len(dates))})
    mapped = es.make_pairs(f.panel, pseudo, pp)
    mapped = mapped[mapped["pos0"] >= 0].reset_index(drop=True)
    c = es.car(es.fit(f.panel, mapped, f.model, f.estimation, f.min_obs, errors="drop"), window)
    table = np.full((len(symbols), len(dates)), np.nan)
    table[symbols.get_indexer(c["symbol"]), c["event_id"].astype(int).to_numpy()] = c["car"].to_numpy(dtype=float)
    return table


def _placebo_dates(r: Reaction, avoid, exclude_days: int, span_days: int) -> np.ndarray:
    """Candidate placebo dates: sessions of the studied exchanges near the events, away from real events."""
    union = placebo.session_union(r.result.fit.panel)
    dates = pd.to_datetime(r.events["date"])
    lo, hi = dates.min() - pd.Timedelta(days=span_days), dates.max() + pd.Timedelta(days=span_days)
    real = placebo.with_avoided(r.result.fit.pairs["day0"].to_numpy(), avoid)
    ok = (union >= lo) & (union <= hi) & placebo.away_from_events(union, real, exclude_days)
    cands = union[ok].to_numpy()
    if len(cands) < 20:
        raise CrackdownError(f"n_placebo: only {len(cands)} non-event dates near the events; "
                             "widen the date range or choose fewer events")
    return cands


# --- the reverse study ---------------------------------------------------------------------------------------
def run_reverse(returns: pd.DataFrame, securities: pd.DataFrame, rows: pd.DataFrame, members: pd.DataFrame,
                model: str = "market", estimation: Sequence[int] = es.DEFAULT_ESTIMATION,
                window: Sequence[int] = es.DEFAULT_WINDOW, path: Sequence[int] = (-5, 10),
                min_obs: int = es.DEFAULT_MIN_OBS, spans: pd.DataFrame | None = None) -> dict:
    """The named firms' own securities around their adverse events (``rows`` from :func:`adverse_events`).

    Returns ``pairs`` (event, symbol, firm, day 0, CAR; pairs without prices at the time are left out and
    listed in ``dropped``), ``tests`` (pooled CAAR and test battery, one row), ``path`` (CAAR path with band).
    Without any adverse event that names a firm with prices at the time, ``pairs`` and ``path`` are empty and
    ``tests`` holds n = 0 and NaN statistics.
    """
    w, p = params.window("window", list(window)), params.window("path", list(path))
    sym = members.set_index("firm_id")["symbol"]
    rows = rows[rows["firm_id"].isin(sym.index)].assign(symbol=lambda d: d["firm_id"].map(sym))
    if rows.empty:
        return _empty_reverse(pd.DataFrame(columns=["event_id", "symbol", "reason"]))
    events = rows.drop_duplicates("event_id")[[c for c in ("event_id", "date", "time", "tz", "time_beijing")
                                                if c in rows]]
    needs = model in ("market", "market-adjusted")
    panel = es.panel_from_securities(returns, securities, list(dict.fromkeys(rows["symbol"])),
                                     with_benchmark=needs, spans=spans)
    mapped = es.make_pairs(panel, events, rows[["event_id", "symbol"]])
    outside = mapped["pos0"] < 0
    f = es.fit(panel, mapped[~outside].reset_index(drop=True), model, estimation, min_obs, errors="drop")
    dropped = pd.concat([mapped.loc[outside, ["event_id", "symbol"]].assign(
        reason="event: day 0 is outside the returns' date range"), f.dropped], ignore_index=True)
    if f.pairs.empty:
        return _empty_reverse(dropped)
    cars = es.car(f, w).merge(rows[["event_id", "symbol", "firm_id", "type"]], on=["event_id", "symbol"])
    tests = es.caar_tests(f, w)
    r = Reaction(es.EventStudyResult(pd.DataFrame(), cars, tests, f.params, f.dropped, f), f,
                 cars.assign(group="aligned_ai", valid=cars["car"].notna(), eligible=cars["car"].notna()),
                 members.assign(group="aligned_ai"), events, w, 1)
    return {"pairs": cars, "tests": tests.iloc[0], "path": caar_path(r, p), "dropped": dropped}


def _empty_reverse(dropped: pd.DataFrame) -> dict:
    tests = pd.Series({"n": 0, "caar": np.nan, "t_cs": np.nan, "p_cs": np.nan, "kp_t": np.nan, "p_kp": np.nan,
                       "p_portfolio": np.nan})
    return {"pairs": pd.DataFrame(columns=["event_id", "symbol", "exchange", "day0", "window", "start", "end", "car",
                                           "scar", "n_days", "firm_id", "type"]).astype({"day0": "datetime64[ns]",
                                                                                         "car": float}),
            "tests": tests, "path": pd.DataFrame({"group": pd.Series(dtype=object), "rel_day": pd.Series(dtype=int),
                                                 **{c: pd.Series(dtype=float) for c in ("caar", "lo", "hi")},
                                                 "n": pd.Series(dtype=int)}),
            "dropped": dropped.reset_index(drop=True)}


SHORT_NAMES = {"targeted_platform": "targeted", "aligned_ai": "aligned AI", "hard_tech": "hard tech",
               "benchmark": "benchmark"}


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`event_table` flattened for display: n and CAAR (%) per group, long-short CAR/SE (%), t, p, and
    the Kolari-Pynnonen and portfolio p-values of the targeted and aligned groups."""
    out = pd.DataFrame({"date": table[("date", "")].dt.strftime("%Y-%m-%d"), "type": table[("type", "")]})
    for g in MARKET_STUDY_GROUPS:
        out[f"n {SHORT_NAMES[g]}"] = table[("n", g)].astype(int)
    for g in MARKET_STUDY_GROUPS:
        out[f"CAR {SHORT_NAMES[g]} %"] = 100 * table[("caar", g)].astype(float)
    out["long-short %"] = 100 * table[("long_short", "car")]
    out["long-short SE %"] = 100 * table[("long_short", "se")]
    out["long-short p"] = table[("long_short", "p")]
    for g in (LONG, SHORT):
        out[f"KP p {SHORT_NAMES[g]}"] = table[("p_kp", g)].astype(float)
        out[f"portfolio p {SHORT_NAMES[g]}"] = table[("p_portfolio", g)].astype(float)
    return out


# --- results ------------------------------------------------------------------------------------------------
GROUP_STATS = ("t_cs", "p_cs", "bmp_t", "p_bmp", "kp_t", "p_kp", "portfolio_car", "portfolio_t", "p_portfolio")
P_VALUE_RULE = ("the most conservative defensible of events, clusters and calendar-time inference "
                "(crackdown.inference.most_conservative)")
GROUP_STATS = (*GROUP_STATS, "kp_overlap_t", "p_kp_overlap")


def group_record(pooled: pd.DataFrame, group: str) -> dict[str, Any]:
    """One group's pooled CAAR, n and tests from :func:`pooled_tests`; ``{"car": None, "n": 0}`` for a group
    absent from ``pooled`` (no eligible pair)."""
    if group not in pooled.index:
        return {"car": None, "n": 0}
    row = pooled.loc[group]
    return {"car": row["caar"], "n": int(row["n"]), **{k: row[k] for k in GROUP_STATS}}


def reverse_record(reverse: Mapping[str, Any]) -> dict[str, Any]:
    """The reverse study (:func:`run_reverse`) for the results: CAAR, n, events, tests, the pairs holding a
    return across a suspension (``n_pairs_spanning``) and the pairs' CARs (with max_span, starts_before)."""
    rt, pairs = reverse["tests"], reverse["pairs"]
    return {"car": rt["caar"], "n": int(rt["n"]), "n_events": int(pairs["event_id"].nunique()),
            "t_cs": rt.get("t_cs"), "p_cs": rt.get("p_cs"), "kp_t": rt.get("kp_t"), "p_kp": rt.get("p_kp"),
            "p_portfolio": rt.get("p_portfolio"),
            "n_pairs_spanning": int((pairs["max_span"] > 1).sum()) if "max_span" in pairs else 0,
            "pairs": pairs[[c for c in ("event_id", "symbol", "car", "max_span", "starts_before", "ends_after")
                            if c in pairs]]
            .to_dict(orient="records")}


INFERENCE_TESTS = ("pairs", "events", "clusters", "calendar_time")
TEST_NAMES = {"pairs": "pairs as observations", "events": "events as observations",
              "clusters": "clusters of overlapping events", "calendar_time": "calendar-time portfolio (HAC)"}


def inference_tests(r: Reaction, long: str = LONG, short: str = SHORT,
                    measure: str = "car") -> dict[str, dict[str, Any]]:
    """The four inference approaches of :mod:`crackdown.inference` over the eligible pairs' CARs, for the
    long-short (``"long_short"``: ``long`` minus ``short``, events with both legs) and each group: target ->
    {pairs, events, clusters, calendar_time} -> :class:`crackdown.inference.Inference` (None where the test
    cannot be computed, e.g. a group without pairs or fewer than 3 window days). ``measure="bhar"`` tests the
    buy-and-hold abnormal returns instead with pairs, events and clusters (no calendar-time analogue)."""
    if measure not in ("car", "bhar"):
        raise CrackdownError(f"measure: expected 'car' or 'bhar', got {measure!r}")
    labels = r.members.set_index("symbol")["group"].astype(str).to_dict()
    frame = es.car(r.fit, r.window, cumulate="compound" if measure == "bhar" else "sum")
    if measure == "bhar":
        frame = frame.assign(car=frame["bhar"])
    cars, windows, daily = inference.inputs_from_event_study(frame, es.abnormal_returns(r.fit, r.window), labels)
    tests = {"pairs": (inference.pairs_test, (cars,)), "events": (inference.events_test, (cars,)),
             "clusters": (inference.clusters_test, (cars, windows))}
    if measure == "car":
        tests["calendar_time"] = (inference.calendar_time_test, (daily,))
    out: dict[str, dict[str, Any]] = {}
    for name, target in {"long_short": (long, short), **{g: g for g in MARKET_STUDY_GROUPS}}.items():
        out[name] = {}
        for test, (run, inputs) in tests.items():  # four tests per target
            try:
                out[name][test] = run(*inputs, target)
            except CrackdownError:
                out[name][test] = None
    return out


def headline_choice(tests: Mapping[str, Any]) -> inference.Headline | None:
    """The long-short's headline test (:func:`crackdown.inference.most_conservative`: the largest p-value among
    events, clusters and calendar time with enough observations; pairs never), or None without any."""
    usable = {k: v for k, v in tests.items() if v is not None and np.isfinite(v.p_value)}
    try:
        return inference.most_conservative(usable)
    except CrackdownError:
        return None


def _car_scale(name: str, estimate: float, window: Sequence[int]) -> float:
    """A test's estimate on the CAR scale: the calendar-time estimate is a mean daily AR (times W)."""
    return estimate * (window[1] - window[0] + 1) if name == "calendar_time" else estimate


def headline(tests: Mapping[str, Any] | None, window: Sequence[int],
             benchmark_rule: str | None = None) -> dict[str, Any]:
    """The index page's headline: the long-short CAR, p-value and n of the most conservative defensible test
    (:func:`headline_choice`); the statistic names the test and ``p_value_rule`` says why it was chosen;
    ``benchmark_rule`` names how both legs' abnormal returns were measured (:data:`BENCHMARK_RULES`). The
    calendar-time estimate (a mean daily AR) is put on the CAR scale (times the window length). No estimate
    (None) without a long-short test."""
    h = headline_choice(tests or {})
    label = f"Targeted platforms minus aligned AI firms, CAR ({window[0]},{window[1]}) over crackdown events"
    if benchmark_rule is not None:
        label += f", {code_words(benchmark_rule)} benchmarks"
    if h is None:
        return Headline(label=label, statistic="long-short CAR (targeted minus aligned AI)", estimate=None,
                        p_value=None, n=0, thesis_sign=THESIS_SIGN, p_value_rule=P_VALUE_RULE,
                        benchmark_rule=benchmark_rule).as_record()
    return Headline(
        label=label, statistic=f"long-short CAR (targeted minus aligned AI), {TEST_NAMES[h.name]} t-test",
        estimate=_car_scale(h.name, h.result.estimate, window), p_value=h.result.p_value, n=h.result.n,
        thesis_sign=THESIS_SIGN, p_value_rule=f"{P_VALUE_RULE}; {h.reason}",
        benchmark_rule=benchmark_rule).as_record()


def inference_record(tests: Mapping[str, Mapping[str, Any]], window: Sequence[int]) -> dict[str, Any]:
    """04's ``inference`` entry: per target (long_short and each group) the four tests as estimate, se, t,
    p_value, n (None where not computable), and ``headline``: the long-short test quoted and why."""
    out: dict[str, Any] = {target: {k: (v.as_dict() if v is not None else None) for k, v in per.items()}
                           for target, per in tests.items()}
    h = headline_choice(tests.get("long_short", {}))
    out["headline"] = None if h is None else {
        "test": h.name, "reason": h.reason, "car_scale_estimate": _car_scale(h.name, h.result.estimate, window),
        **h.result.as_dict()}
    return out


def inference_table(tests: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """The four tests side by side for display: rows (target, test), columns estimate, se, t, p_value, n."""
    rows = [{"target": target, "test": k, **(v.as_dict() if v is not None else {})}
            for target, per in tests.items() for k, v in per.items()]
    return pd.DataFrame(rows).set_index(["target", "test"]).reindex(columns=["estimate", "se", "t", "p_value", "n"])


def returns_rule(r: Reaction, gaps: str, max_span: int | None) -> dict[str, Any]:
    """How returns across suspensions were treated (``gaps``: resumption or drop; ``max_span``) and how many
    eligible pairs it touched: CARs holding a multi-session return, those whose move starts before the window
    (``starts_before``) and those suspended at the window's end whose move is booked after it (``ends_after``)."""
    used = r.cars[r.cars["eligible"]]
    return {"gaps": gaps, "max_span": max_span, "n_pairs_spanning": int((used["max_span"] > 1).sum()),
            "n_pairs_starting_before_window": int(used["starts_before"].sum()),
            "n_pairs_ending_after_window": int(used["ends_after"].sum())}


def day0_rules(r: Reaction) -> dict[str, int]:
    """Events whose day 0 came from a stated time (``close-after-instant``) or from the date alone
    (``date-fallback``), counted over the studied events."""
    rule = r.result.fit.pairs.groupby("event_id")["rule"].first().reindex(r.events["event_id"])
    return {"n_events": int(len(rule)), "n_date_fallback": int(rule.eq(RULE_FALLBACK).sum()),
            "n_timed": int(rule.notna().sum() - rule.eq(RULE_FALLBACK).sum())}


def bhar_by_group(r: Reaction) -> dict[str, float | None]:
    """Mean buy-and-hold abnormal return over each group's eligible pairs (None for a group without any)."""
    used = r.cars[r.cars["eligible"]]
    means = used.groupby(used["group"].astype(str))["bhar"].mean()
    return {g: (float(means[g]) if g in means.index else None) for g in MARKET_STUDY_GROUPS}


def coverage_facts(r: Reaction) -> dict[str, Any]:
    """Per group the range and median of securities with a CAR per event and the events where the group falls
    below ``min_n``; the events, ``min_n`` and the (event, security) pairs the engine dropped."""
    n_event = n_by_event(r)
    thin = (n_event < r.min_n).sum()
    return {"by_group": {g: {"min": int(n_event[g].min()), "max": int(n_event[g].max()),
                             "median": float(n_event[g].median()), "events_below_min_n": int(thin[g])}
                         for g in MARKET_STUDY_GROUPS},
            "n_events": int(len(n_event)), "min_n": int(r.min_n), "n_dropped_pairs": int(len(r.result.dropped))}


def largest_drops(r: Reaction, k: int = 3) -> list[dict[str, Any]]:
    """The ``k`` events with the largest targeted-group falls (:func:`summary_table`): event, date, CAR in %."""
    worst = summary_table(event_table(r)).sort_values("CAR targeted %").head(k)
    return [{"event_id": e, "date": row["date"], "car_targeted_pct": float(row["CAR targeted %"])}
            for e, row in worst.iterrows()]


def benchmarks_studied(r: Reaction) -> list[list[str]]:
    """[exchange, benchmark] for each exchange of the studied firm securities (read from the fitted panel)."""
    panel = r.result.fit.panel
    used = pd.DataFrame({"exchange": panel.exchanges, "benchmark": panel.benchmarks}).dropna().drop_duplicates()
    used = used[used["exchange"].isin(r.members.loc[r.members["group"].astype(str) != "benchmark", "exchange"])]
    return [[ex, b] for ex, b in used.sort_values(["exchange", "benchmark"]).itertuples(index=False)]


def results_record(r: Reaction, pooled: pd.DataFrame, ls: Mapping[str, Any], placebo: Mapping[str, Any],
                   reverse: Mapping[str, Any], n_events_before_merge: int,
                   parameters: Mapping[str, Any], tests: Mapping[str, Mapping[str, Any]] | None = None,
                   by_benchmark: Mapping[str, Mapping[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """Notebook 04's results (the ``write_results`` payload; its words and answer: :mod:`crackdown.words.reaction`):
    headline (the most conservative
    defensible long-short test), ``inference`` (pairs, events, clusters, calendar_time for the long-short and
    each group; ``tests`` from :func:`inference_tests`, computed when None), long-short with its placebo (and
    the placebo p's Monte-Carlo SE and pool) and leave-one-out range, event counts, day-0 rules, the returns
    rule across suspensions (``parameters`` gaps / max_span), per-group CAARs, BHARs and counts, the long-short
    BHAR under pairs, events and clusters, the reverse study, members, parameters. ``by_benchmark``: the
    studies of :func:`benchmark_rule_tests` per rule; the headline and answer then quote the most conservative
    rule measuring both legs alike (:func:`headline_rule`) and name it. Also what the words read: the
    placebo median, the leave-one-out gap of the most negative event, the largest targeted drops, per-group
    coverage, the reverse study's dropped pairs, the aligned securities used and the benchmarks studied.
    ``extra``: further entries (sanctions, regression, economy_wide) recorded as given."""
    tests = inference_tests(r) if tests is None else tests
    inf = inference_record(tests, r.window)
    rule, head_tests = None, tests.get("long_short") if np.isfinite(ls["car"]) else None
    if by_benchmark is not None:
        studied = [x for x in ALIKE_RULES if x in by_benchmark]
        if not studied:
            raise CrackdownError(f"by_benchmark: needs at least one of the alike rules {', '.join(ALIKE_RULES)}")
        rule = headline_rule(by_benchmark) or studied[0]
        head_tests = by_benchmark[rule]["tests"]
    head = headline(head_tests, r.window, rule)
    bhar_tests = inference_tests(r, measure="bhar")["long_short"]
    caar_by_group = {g: group_record(pooled, g) for g in MARKET_STUDY_GROUPS}
    loo = leave_one_out(r) if np.isfinite(ls["car"]) else None
    members = r.members[["symbol", "group"]]
    return {
        "headline": head,
        "by_benchmark": None if by_benchmark is None else by_benchmark_record(by_benchmark, r.window),
        "inference": inf,
        "long_short_car": ls["car"], "long_short_se": ls["se"], "long_short_t": ls["t"], "long_short_p": ls["p"],
        "placebo_p": placebo["p_two_sided"], "placebo_p_mc_se": placebo.get("p_two_sided_mc_se"),
        "placebo_n": placebo["n_placebo"], "placebo_pool": placebo.get("pool"),
        "placebo_regime_benchmark": placebo.get("regime_benchmark"),
        "placebo_regime_months": placebo.get("regime_months"),
        "placebo_statistic": placebo["actual"],
        "day0_rules": day0_rules(r),
        "returns_rule": returns_rule(r, str(parameters.get("gaps", "drop")), parameters.get("max_span")),
        "bhar_by_group": bhar_by_group(r),
        "long_short_bhar_inference": {k: (v.as_dict() if v is not None else None) for k, v in bhar_tests.items()},
        "long_short_leave_one_out": None if loo is None else {
            "min": loo["without_it"].min(), "max": loo["without_it"].max(), "most_negative_event": loo.index[0],
            "without_most_negative": loo["without_it"].iloc[0]},
        "long_short_leave_one_out_gap": None if loo is None else loo["difference"].iloc[0],
        "placebo_median": _finite_median(placebo["placebo"]),
        "largest_targeted_drops": largest_drops(r),
        "coverage": coverage_facts(r),
        "reverse_n_dropped": int(len(reverse["dropped"])),
        "aligned_symbols_used": aligned_symbols(r),
        "benchmarks_studied": benchmarks_studied(r),
        "n_events": int(len(r.events)), "n_events_long_short": ls["n_events"],
        "n_events_before_merge": int(n_events_before_merge), "event_ids": list(r.events["event_id"]),
        "n_overlapping_events": int(len(overlapping_events(r))),
        "n_by_group": n_by_group(r), "caar_by_group": caar_by_group, "reverse_caar": reverse_record(reverse),
        "members": members.assign(group=members["group"].astype(str)).to_dict(orient="records"),
        **extra,
        "parameters": dict(parameters),
    }


def aligned_symbols(r: Reaction) -> list[str]:
    """The aligned AI securities with at least one eligible CAR, sorted."""
    used = r.cars["eligible"] & r.cars["group"].eq(SHORT)
    return sorted(r.cars.loc[used, "symbol"].unique())


def _finite_median(values: Any) -> float | None:
    """The median of the finite ``values`` (None when there is none)."""
    array = np.asarray(values, dtype=float)
    return float(np.median(array[np.isfinite(array)])) if np.isfinite(array).any() else None
