"""The specification grid: axes and their choices, the sweep's data, and the expansion into one row per
specification (not-applicable choices collapsed, leave-one-out expanded)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crackdown import alignment, eventstudy, params, reaction
from crackdown.errors import CrackdownError, unknown_name_error
from crackdown.vocab import CRACKDOWN_EVENT_TYPES

AXES = ("window", "estimation", "model", "benchmark", "event_set", "aligned_rule", "threshold", "weights",
        "leave_out")
# The benchmark axis' rules are notebook 04's benchmark rules (reaction.BENCHMARK_RULES):
LOCAL = "local"  # each security's own market benchmark (securities.csv benchmark_symbol): reaction's local_market
CHINA = "china_market"  # every firm security against the China market of its exchange (reaction.CHINA_MARKET)
TWO_FACTOR = "two_factor"  # local market + China factor, two-factor market model (reaction.rule_securities)
SAME = "same_market"  # legs within each listing market (local benchmarks), the markets' long-shorts averaged
RULE_BENCHMARKS = (LOCAL, CHINA, TWO_FACTOR, SAME)  # benchmark choices that are rules, not one symbol for all
PER_SECURITY_RULES = {CHINA: "china_market", TWO_FACTOR: "two_factor"}  # axis value -> reaction.rule_securities
NO_BENCHMARK = "none"  # raw and constant-mean models use no benchmark
NOT_APPLICABLE = "n/a"
CRACKDOWN_PERIOD = ("2020-11-01", "2022-12-31")  # notebook 04's default span
RULE_TYPES = ("rule", "law", "policy")
EVENT_SETS: dict[str, tuple[str, ...]] = {  # name -> event types
    "punitive": CRACKDOWN_EVENT_TYPES,  # notebook 04's crackdown event set
    "all": (*CRACKDOWN_EVENT_TYPES, "policy", "media_signal", "ipo_shelved"),
    "enforcement": tuple(t for t in CRACKDOWN_EVENT_TYPES if t not in RULE_TYPES),
    "rules": RULE_TYPES,
    "fines": ("fine",),
}
WEIGHT_SCHEMES: dict[str, dict[str, float] | None] = {
    "equal": None,  # alignment.DEFAULT_WEIGHTS: equal over the state-tie indicators, US sanctions weigh 0
    "revenue": {"govt_revenue_share": 1.0},
    "state_links": {"state_shareholder": 1.0, "golden_share": 1.0, "ai_platform_member": 1.0},
    "no_us_lists": {k: 1.0 for k in alignment.INDICATORS if k != "us_sanctioned"},  # = equal (kept for old names)
    "with_us_lists": dict.fromkeys(alignment.INDICATORS, 1.0),  # US sanctions counted as alignment
}
DEFAULT_GRID: dict[str, list] = {
    "window": [[0, 0], [0, 1], [-1, 1], [0, 5]],
    "estimation": [[-250, -11], [-120, -11]],
    "model": ["market", "market-adjusted", "constant-mean"],
    "benchmark": [LOCAL, CHINA, TWO_FACTOR, SAME],  # the benchmark rules of notebook 04
    "event_set": ["punitive", "enforcement", "rules"],
    "aligned_rule": ["sector", "score"],
    "threshold": [0.2, 0.4],
    "weights": ["equal", "state_links", "revenue"],
    "leave_out": ["none", "each"],
}
RESULT_COLUMNS = ("estimate", "se", "t", "p", "n_events", "n_firms", "n_long", "n_short")
MIN_EVENTS, MIN_FIRMS = 5, 2  # a specification enters the curve with at least 5 events and 2 firms per group


@dataclass(frozen=True)
class SweepData:
    """Everything a sweep task needs (sent once to each Dask worker).

    ``returns``: wide returns of the studied securities and every benchmark; ``securities``: symbol, exchange,
    benchmark_symbol, firm_id; ``events``: the candidate crackdown events (day precision) with event_id, date,
    time and tz (or legacy time_beijing), type; ``event_sets``: name -> event ids; ``firm_symbol``: firm_id -> the one security used
    for it; ``groups``: firm_id -> group under the sector rule; ``all_event_days``: day-precision dates of every
    event in events.csv (kept clear of placebo dates); ``data_hash``: hash of the data folder; ``gaps``: the
    returns' rule across suspensions (``drop`` or ``resumption``) and ``spans`` the sessions each return spans
    (None for ``drop``). ``market_symbols``: for the same_market rule, listing market (reaction.SAME_MARKETS)
    -> firm_id -> the firm's security on that market (:func:`reaction.choose_listings` within the market), empty
    when the rule is not studied.
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
    gaps: str = "drop"
    spans: pd.DataFrame | None = None
    market_symbols: dict[str, dict[str, str]] = field(default_factory=dict)


def crackdown_event_sets(events: pd.DataFrame | None = None, firms: pd.DataFrame | None = None,
                         period: tuple[str, str] = CRACKDOWN_PERIOD) -> dict[str, list[str]]:
    """Event set name -> event ids: :func:`reaction.crackdown_events` (day-precision events in ``period`` naming
    a targeted firm or sector, as notebook 04 uses) restricted to each set's types (:data:`EVENT_SETS`)."""
    return {name: reaction.crackdown_events(types, *period, events=events, firms=firms)["event_id"].tolist()
            for name, types in EVENT_SETS.items()}


def load_sweep_data(benchmarks: Sequence[str] = RULE_BENCHMARKS, gaps: str = "drop", max_span: int | None = None,
                    regime_benchmark: str | None = "KWEB") -> SweepData:
    """:class:`SweepData` from the shipped tables and price snapshot: one security per firm of the targeted and
    aligned groups (:func:`reaction.choose_listings`: the longest price coverage), their local benchmarks, the
    China markets and factors of the per-security rules in ``benchmarks``, for ``same_market`` each firm's listing
    within each market (and its benchmark), the benchmark symbols of ``benchmarks`` that are not rules and
    ``regime_benchmark`` (for the regime placebo pool). ``gaps``/``max_span``: the returns' rule across
    suspensions (:func:`crackdown.data.load_returns`)."""
    from crackdown.data import load_events, load_firms, load_return_spans, load_returns, load_securities
    from crackdown.data.manifest import data_hash

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
        if b not in RULE_BENCHMARKS and b not in sec.index:
            raise unknown_name_error("benchmark symbol", b, sec.index, "benchmark")
    market_symbols: dict[str, dict[str, str]] = {}
    if SAME in benchmarks:
        coverage = reaction.price_coverage(candidates)
        for market in reaction.SAME_MARKETS:  # three listing markets
            within = reaction.choose_listings(members, securities, coverage, market)
            market_symbols[market] = dict(zip(within["firm_id"], within["symbol"], strict=True))
    listings = list(dict.fromkeys([*chosen["symbol"], *(s for m in market_symbols.values() for s in m.values())]))
    local = sec.loc[listings, "benchmark_symbol"].dropna().unique().tolist()
    for b in benchmarks:
        if b in PER_SECURITY_RULES:
            ruled = reaction.rule_securities(securities, PER_SECURITY_RULES[b]).set_index("symbol")
            for c in ("benchmark_symbol", "factor_symbol"):
                if c in ruled:
                    local += [x for x in ruled.loc[chosen["symbol"], c].dropna().unique() if x]
    bench = list(dict.fromkeys([*local, *(b for b in benchmarks if b not in RULE_BENCHMARKS),
                                *([regime_benchmark] if regime_benchmark else [])]))
    if regime_benchmark and regime_benchmark not in sec.index:
        raise unknown_name_error("symbol", regime_benchmark, sec.index, "regime_benchmark")
    symbols = [*listings, *bench]
    spans = None
    if gaps != "drop":
        spans = load_return_spans(symbols, gaps=gaps, max_span=max_span)
    sets = crackdown_event_sets(events, firms)
    used = sorted({e for ids in sets.values() for e in ids})
    day = events[events["date_precision"].eq("day")] if "date_precision" in events else events
    return SweepData(
        returns=load_returns(symbols, gaps=gaps, max_span=max_span),
        securities=securities[["symbol", "firm_id", "exchange", "benchmark_symbol"]],
        events=events[events["event_id"].isin(used)][[c for c in ("event_id", "date", "time", "tz", "time_beijing",
                                                                   "type") if c in events]].reset_index(drop=True),
        event_sets=sets, firm_symbol=firm_symbol, groups=groups,
        all_event_days=day["date"].to_numpy(dtype="datetime64[ns]"), data_hash=data_hash(), gaps=gaps, spans=spans,
        market_symbols=market_symbols)


def _scores(data: SweepData, weights: str, threshold: float) -> pd.Series:
    """firm_id -> aligned_ai membership under the score rule (cached in ``data.scores``)."""
    key = (weights, threshold)
    if key not in data.scores:
        scores = alignment.alignment_scores(WEIGHT_SCHEMES[weights], threshold=threshold)
        data.scores[key] = alignment.firm_groups(scores, threshold, rule="score")
    return data.scores[key]


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
        params.number("threshold", t, 0.0, 1.0)
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
    (raw/constant-mean take no benchmark or benchmark rule; market-adjusted takes no second factor, so its
    two_factor choice is left out; the sector rule takes no threshold or weights) and ``leave_out``
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
        if b not in RULE_BENCHMARKS and b not in data.returns.columns:
            raise unknown_name_error("benchmark symbol", str(b), data.returns.columns, "benchmark")
    if SAME in ax["benchmark"] and not data.market_symbols:
        raise CrackdownError("benchmark: same_market needs each firm's listing per market; load the data with "
                             "load_sweep_data(benchmarks=[..., 'same_market'])")
    groupings = _groupings(ax, data)
    known_firms = {f for legs in groupings.values() for leg in legs for f in leg}
    for lo in ax["leave_out"]:
        if lo not in ("none", "each") and lo not in known_firms:
            raise unknown_name_error("firm", str(lo), sorted(known_firms), "leave_out")
    model_bench = [(m, NO_BENCHMARK if m in ("raw", "constant-mean") else b)
                   for m in ax["model"] for b in ax["benchmark"] if not (m == "market-adjusted" and b == TWO_FACTOR)]
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
