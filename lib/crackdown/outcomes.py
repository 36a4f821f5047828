"""Outcomes by alignment: IPO attempts (notebook 05) and regulatory enforcement (notebook 06).

IPO success rule (:func:`ipo_attempts`): an attempt (one row of data/ipos.csv, a firm on one venue) succeeds if
its outcome is ``listed`` with a listing (outcome) date on or before the end of the window. "Listed, then
delisted" counts as listed: the IPO itself went through (DiDi's later delisting is an enforcement outcome, counted
in notebook 06). A listing after a delay or postponement (SenseTime, CloudWalk) counts as listed; what delayed it is
kept in ``delayed_by``. A failed attempt followed by a later listing elsewhere stays a failure: each venue attempt
is its own row (Megvii's lapsed Hong Kong attempt and its stalled STAR attempt are two failures). ``stalled``
(still pending at the end of 2023) and a listing after the window count as not listed.

Enforcement (:func:`enforcement_table`): per firm, the number of distinct events of the punitive types
(:data:`crackdown.vocab.ENFORCEMENT_TYPES` by default) that name it, and from data/penalties.csv the number of
penalties, the sum of monetary penalties (fines and confiscations; rectification orders, warnings and
suspensions carry no penalty amount) per currency, and the largest stated share of revenue. No exchange rate is
recorded with a source in the data, so amounts stay per currency: only CNY amounts are summed and compared; any
other currency is reported separately and left out of the CNY total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from crackdown import alignment, params
from crackdown.data import explode_list, load_events, load_firms, load_ipos, load_penalties
from crackdown.errors import CrackdownError
from crackdown.placebo import monte_carlo_p
from crackdown.results import Headline
from crackdown.text import code_words
from crackdown.vocab import ENFORCEMENT_TYPES

PUNITIVE_TYPES = ENFORCEMENT_TYPES  # old name, kept for existing imports

MONETARY_PENALTY_TYPES = ("fine", "confiscation")  # penalty types whose amount is money taken from the firm
BASE_CURRENCY = "CNY"


# --- shared ----------------------------------------------------------------------------------------------------
def scored_firms(weights: Mapping[str, float] | None = None, threshold: float = 0.5, rule: str = "sector",
                 *, firms: pd.DataFrame | None = None, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every firm of firms.csv with its sector_group, alignment ``score``, ``aligned`` (score >= threshold) and
    ``group`` (:func:`crackdown.alignment.firm_groups` under ``rule``). An empty ``weights`` means equal weights."""
    firms = load_firms() if firms is None else firms
    if scores is None:
        scores = alignment.alignment_scores(weights=weights or None,
                                            threshold=threshold)
    groups = alignment.firm_groups(scores, threshold=threshold, rule=rule, firms=firms)
    out = firms.set_index("firm_id")[["name", "sector_group"]].join(scores[["score"]], how="left")
    out["score"] = out["score"].fillna(0.0)
    out["aligned"] = out["score"] >= threshold
    out["group"] = groups.reindex(out.index)
    return out


# --- IPOs ----------------------------------------------------------------------------------------------------
def venue_family(venue: pd.Series) -> pd.Series:
    """The venue without its parenthesised detail ("HKEX Main Board (secondary listing)" -> "HKEX Main Board")."""
    return venue.str.split("(", n=1).str[0].str.strip()


def ipo_attempts(firms_scored: pd.DataFrame, start_year: int, end_year: int, venues: Iterable[str] = (),
                 *, ipos: pd.DataFrame | None = None) -> pd.DataFrame:
    """IPO attempts whose first known date (filing, approval or outcome) falls in [start_year, end_year], on the
    chosen venue families (empty = all), joined with the firm's score, aligned flag and group; ``listed`` applies
    the success rule of the module docstring and ``start`` is the first known date."""
    ipos = load_ipos() if ipos is None else ipos
    out = ipos.assign(market=venue_family(ipos["venue"]))
    chosen = list(venues)
    params.subset("venues", chosen, sorted(set(out["market"])), kind="venue")
    first = out[["filing_date", "approval_date", "outcome_date"]].min(axis=1)
    window_end = pd.Timestamp(f"{end_year}-12-31")
    keep = first.dt.year.between(start_year, end_year) & (out["market"].isin(chosen) if chosen else True)
    out = out.assign(start=first)[keep]
    out["listed"] = (out["outcome"] == "listed") & (out["outcome_date"] <= window_end)
    out = out.join(firms_scored[["name", "sector_group", "score", "aligned", "group"]], on="firm_id")
    return out.sort_values(["start", "ipo_id"]).reset_index(drop=True)


def outcome_by_group(attempts: pd.DataFrame, by: str = "group") -> pd.DataFrame:
    """Attempts per ``by`` value and outcome, with ``attempts``, ``listed`` and ``listed_share`` columns."""
    table = pd.crosstab(attempts[by], attempts["outcome"])
    table.columns.name = None
    table["attempts"] = table.sum(axis=1)
    table["listed"] = attempts.groupby(by)["listed"].sum().reindex(table.index).astype(int)
    table["listed_share"] = table["listed"] / table["attempts"]
    return table


class FisherResult(NamedTuple):
    """2x2 table (rows aligned True/False, columns listed True/False), sample odds ratio and two-sided p."""

    table: pd.DataFrame
    odds_ratio: float
    p_value: float


def fisher_aligned_listed(attempts: pd.DataFrame) -> FisherResult:
    """Fisher's exact test of aligned (rows: True, False) against listed (columns: True, False)."""
    table = pd.crosstab(attempts["aligned"].astype(bool), attempts["listed"].astype(bool)).reindex(
        index=[True, False], columns=[True, False], fill_value=0)
    table.index.name, table.columns.name = "aligned", "listed"
    if (table.sum(axis=1) == 0).any() or (table.sum(axis=0) == 0).any():
        raise CrackdownError("threshold/venues/years: the 2x2 table has an empty row or column "
                             f"(aligned x listed counts {table.to_numpy().tolist()}); Fisher's test needs both")
    odds, p = stats.fisher_exact(table.to_numpy(), alternative="two-sided")
    return FisherResult(table, float(odds), float(p))


def ipo_counterexamples(attempts: pd.DataFrame, targeted_group: str = "targeted_platform") -> pd.DataFrame:
    """Attempts that cut against the thesis: aligned firms whose IPO did not list, and firms of the targeted
    group that listed; with outcome, dates and what delayed each (``delayed_by``)."""
    failed_aligned = attempts[attempts["aligned"] & ~attempts["listed"]].assign(
        case="aligned firm, IPO not listed")
    listed_targeted = attempts[(attempts["group"] == targeted_group) & attempts["listed"]].assign(
        case="targeted firm, IPO listed")
    cols = ["case", "ipo_id", "firm_id", "group", "score", "market", "start", "outcome", "outcome_date",
            "delayed_by"]
    return pd.concat([failed_aligned, listed_targeted])[cols].reset_index(drop=True)


IPO_CODINGS: tuple[str, ...] = ("as_listed", "punished_within_year", "one_per_firm_date", "beijing_cause")
PUNISHED_WITHIN_DAYS = 365
BEIJING_CAUSE = "beijing_regulators"


def punished_after_listing(attempts: pd.DataFrame, events: pd.DataFrame, days: int = PUNISHED_WITHIN_DAYS,
                           types: Iterable[str] = ENFORCEMENT_TYPES) -> pd.Series:
    """Per attempt (index of ``attempts``): the first punitive event (``types``) naming the firm within ``days``
    days after a listing, or None (not listed, or not punished in that year)."""
    ev = events[events["type"].isin(list(types))].assign(firm_id=lambda d: d["firm_ids"].map(
        lambda c: [f.strip() for f in c.split(";") if f.strip()] if isinstance(c, str) else [])).explode("firm_id")
    listed = attempts[attempts["listed"]].reset_index()
    m = listed.merge(ev[["firm_id", "event_id", "date"]], on="firm_id")
    gap = (m["date"] - m["outcome_date"]).dt.days
    hit = m[(gap > 0) & (gap <= days)].sort_values("date").drop_duplicates("index")
    return hit.set_index("index")["event_id"].reindex(attempts.index)


def ipo_codings(attempts: pd.DataFrame, events: pd.DataFrame, days: int = PUNISHED_WITHIN_DAYS) -> dict[str, pd.DataFrame]:
    """The attempts under each coding of success (:data:`IPO_CODINGS`), each with its own ``listed``:

    - ``as_listed``: the success rule of the module docstring;
    - ``punished_within_year``: a listing followed within ``days`` days by a punitive event naming the firm
      (:func:`punished_after_listing`, column ``punished_by``) counts as a failure;
    - ``one_per_firm_date``: attempts of one firm with the same first date and outcome (Ant Group's simultaneous
      Shanghai and Hong Kong attempts) count once;
    - ``beijing_cause``: the outcome that bears on the thesis: success = not stopped by Beijing, i.e. a failure
      whose ``delayed_by`` is Beijing's regulators, or a listing punished within ``days`` days, is a failure; a
      failure with another cause (US sanctions, the firm, unknown) counts as not stopped by Beijing.
    """
    punished = punished_after_listing(attempts, events, days)
    base = attempts.assign(punished_by=punished)
    after = base.assign(listed=base["listed"] & base["punished_by"].isna())
    once = base.drop_duplicates(["firm_id", "start", "outcome"]).reset_index(drop=True)
    stopped = (~base["listed"] & base["delayed_by"].eq(BEIJING_CAUSE)) | base["punished_by"].notna()
    return {"as_listed": base, "punished_within_year": after, "one_per_firm_date": once,
            "beijing_cause": base.assign(listed=~stopped)}


def by_coding_record(codings: Mapping[str, pd.DataFrame]) -> dict[str, dict]:
    """05's ``by_coding``: per coding the aligned x listed table, listed shares, Fisher's odds ratio and p (None
    with the reason where the table has an empty row or column) and the failed attempts with their cause."""
    out: dict[str, dict] = {}
    for name, a in codings.items():
        shares = a.groupby(a["aligned"].astype(bool))["listed"].mean()
        entry: dict = {"n_attempts": int(len(a)), "n_listed": int(a["listed"].sum()),
                       "listed_share_aligned": float(shares.get(True, np.nan)),
                       "listed_share_not_aligned": float(shares.get(False, np.nan)),
                       "failed": {r.ipo_id: {"cause": r.delayed_by, "punished_by": (None if pd.isna(r.punished_by)
                                                                                     else r.punished_by)}
                                  for r in a[~a["listed"]].itertuples()}}
        try:
            f = fisher_aligned_listed(a)
            entry.update(table_2x2=f.table.to_numpy().tolist(),
                         odds_ratio=f.odds_ratio if np.isfinite(f.odds_ratio) else None, p_value=f.p_value)
        except CrackdownError as exc:
            entry.update(table_2x2=None, odds_ratio=None, p_value=None, not_tested=str(exc))
        out[name] = entry
    return out


def aligned_label(threshold: float) -> str:
    """The row label of aligned attempts in :func:`outcome_by_alignment` (the others: ``"not aligned"``)."""
    return f"aligned (score >= {threshold})"


def outcome_by_alignment(attempts: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """:func:`outcome_by_group` with rows "aligned (score >= threshold)" and "not aligned"."""
    labels = attempts["aligned"].map({True: aligned_label(threshold), False: "not aligned"})
    return outcome_by_group(attempts.assign(alignment=labels), "alignment")


def _ipo_findings(attempts: pd.DataFrame, cases: pd.DataFrame, threshold: float) -> dict:
    """Listed shares of aligned and other attempts, per group, and the counterexamples."""
    share = outcome_by_alignment(attempts, threshold)["listed_share"]
    sa, sn = share.get(aligned_label(threshold), float("nan")), share.get("not aligned", float("nan"))
    return {"sa": sa, "sn": sn, "by_group": outcome_by_group(attempts, "group"),
            "failed_aligned": cases[cases["case"].str.startswith("aligned")],
            "listed_targeted": cases[cases["case"].str.startswith("targeted")],
            "targeted_failed": attempts[(attempts["group"] == "targeted_platform") & ~attempts["listed"]]}


CASE_COLUMNS = ["ipo_id", "outcome", "delayed_by"]  # how 05's record lists an attempt that did not list


def ipo_record(attempts: pd.DataFrame, fisher: FisherResult, cases: pd.DataFrame,
               parameters: Mapping[str, object], by_coding: Mapping[str, dict] | None = None,
               years: tuple[int, int] | None = None) -> dict:
    """Notebook 05's results: counts, 2x2 table, Fisher test, listed shares, counterexamples (with outcome and
    cause), attempts per group, the causes of failed attempts as listed (most frequent first), the years of first
    steps (``years``: first, last) and parameters (its words and answer: :mod:`crackdown.words.ipo`).

    ``attempts``: :func:`ipo_attempts`; ``fisher``: :func:`fisher_aligned_listed`; ``cases``:
    :func:`ipo_counterexamples`; ``parameters`` must hold the threshold; ``by_coding``: :func:`by_coding_record`
    (recorded as given).
    """
    f = _ipo_findings(attempts, cases, parameters["threshold"])  # type: ignore[arg-type]
    sa, sn = f["sa"], f["sn"]
    results = {
        "n_attempts": len(attempts), "n_firms": int(attempts["firm_id"].nunique()),
        "n_listed": int(attempts["listed"].sum()), "table_2x2": fisher.table.to_numpy().tolist(),
        "odds_ratio": fisher.odds_ratio if np.isfinite(fisher.odds_ratio) else None, "p_value": fisher.p_value,
        "listed_share_aligned": sa, "listed_share_not_aligned": sn,
        "listed_share_by_group": f["by_group"]["listed_share"].to_dict(),
        "aligned_failed": f["failed_aligned"]["ipo_id"].tolist(),
        "aligned_failed_delayed_by": f["failed_aligned"].set_index("ipo_id")["delayed_by"].to_dict(),
        "targeted_listed": f["listed_targeted"]["ipo_id"].tolist(),
        "targeted_failed": f["targeted_failed"]["ipo_id"].tolist(),
        "targeted_failed_delayed_by": f["targeted_failed"].set_index("ipo_id")["delayed_by"].to_dict(),
        "aligned_failed_cases": f["failed_aligned"][CASE_COLUMNS].to_dict(orient="records"),
        "targeted_failed_cases": f["targeted_failed"][CASE_COLUMNS].to_dict(orient="records"),
        "targeted_listed_firms": f["listed_targeted"]["firm_id"].tolist(),
        "attempts_by_group": f["by_group"]["attempts"].astype(int).to_dict(),
        "years": None if years is None else [int(y) for y in years],
        "headline": Headline(label="listed share of aligned minus other firms' IPO attempts",
                             statistic="Fisher's exact test (aligned x listed)", estimate=sa - sn,
                             p_value=fisher.p_value, n=len(attempts), thesis_sign=1).as_record(),
    }
    if by_coding is not None:
        results["by_coding"] = dict(by_coding)
        failed = by_coding.get("as_listed", {}).get("failed", {})
        causes = pd.Series([v["cause"] for v in failed.values()], dtype=object).value_counts()
        results["failed_causes_as_listed"] = [[c, int(n)] for c, n in causes.items()]
    return {**results, "parameters": dict(parameters)}


def check_types(types: Iterable[str], name: str = "event_types") -> list[str]:
    """Event types to count (empty = :data:`ENFORCEMENT_TYPES`), each checked against the events vocabulary."""
    from crackdown.data.schemas import EVENT_TYPES

    return params.subset(name, types, EVENT_TYPES, kind="event type", empty=ENFORCEMENT_TYPES)


def action_events(start: object, end: object, types: Iterable[str] = ENFORCEMENT_TYPES, *,
                  events: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per firm and counted event (types in ``types``, dated in [start, end]): firm_id, event_id, date,
    type, actor, description."""
    events = load_events() if events is None else events
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    chosen = events[events["type"].isin(list(types)) & events["date"].between(lo, hi)]
    cols = [c for c in ("event_id", "date", "type", "actor", "description") if c in chosen.columns]
    named = explode_list(chosen[[*cols, "firm_ids"]], "firm_ids").rename(columns={"firm_ids": "firm_id"})
    return named.drop_duplicates(["firm_id", "event_id"])[["firm_id", *cols]].reset_index(drop=True)


def action_counts(start: object, end: object, types: Iterable[str] = ENFORCEMENT_TYPES, *,
                  events: pd.DataFrame | None = None) -> pd.Series:
    """Distinct events of ``types`` dated in [start, end] naming each firm (firms never named are absent)."""
    named = action_events(start, end, types, events=events)
    return named.groupby("firm_id")["event_id"].nunique().rename("actions")


def penalty_summary(start: object, end: object, *, penalties: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per firm penalised in [start, end]: ``penalties`` (rows), ``fined_<CUR>`` (sum of stated monetary
    penalties per currency, millions), ``amount_unstated`` (monetary penalties without an amount) and
    ``max_share_of_revenue`` (largest stated share, NaN if none)."""
    penalties = load_penalties() if penalties is None else penalties
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    rows = penalties[penalties["date"].between(lo, hi)]
    money = rows[rows["penalty_type"].isin(MONETARY_PENALTY_TYPES)]
    by_currency = (money.dropna(subset=["amount"]).pivot_table(index="firm_id", columns="currency",
                                                                  values="amount", aggfunc="sum")
                   .add_prefix("fined_"))
    by_currency.columns.name = None
    out = pd.DataFrame({
        "penalties": rows.groupby("firm_id").size(),
        "amount_unstated": money["amount"].isna().groupby(money["firm_id"]).sum(),
        "max_share_of_revenue": rows.groupby("firm_id")["share_of_revenue"].max(),
    }).join(by_currency)
    out["amount_unstated"] = out["amount_unstated"].fillna(0).astype(int)
    return out.rename_axis("firm_id")


def enforcement_table(firms_scored: pd.DataFrame, start: object, end: object,
                      types: Iterable[str] = ENFORCEMENT_TYPES, *, events: pd.DataFrame | None = None,
                      penalties: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per firm of ``firms_scored``: score, aligned, group, sector_group, ``actions`` (punitive events),
    ``penalties``, ``fined_CNY`` (0 where none stated), other ``fined_<CUR>`` columns if any,
    ``amount_unstated`` and ``max_share_of_revenue``. Sorted by score (descending)."""
    actions = action_counts(start, end, types, events=events)
    pens = penalty_summary(start, end, penalties=penalties)
    out = firms_scored[["name", "sector_group", "group", "score", "aligned"]].join(actions).join(pens)
    fill = {"actions": 0, "penalties": 0, "amount_unstated": 0, f"fined_{BASE_CURRENCY}": 0.0}
    out = out.fillna(fill)
    for col in ("actions", "penalties", "amount_unstated"):
        out[col] = out[col].astype(int)
    if f"fined_{BASE_CURRENCY}" not in out:
        out[f"fined_{BASE_CURRENCY}"] = 0.0
    return out.sort_values(["score", "actions"], ascending=[False, False], kind="stable")


class SpearmanResult(NamedTuple):
    """Spearman's rho, its two-sided permutation p-value, scipy's asymptotic p, n and permutations used."""

    rho: float
    p_permutation: float
    p_asymptotic: float
    n: int
    n_permutations: int


def _ranks(values: np.ndarray) -> np.ndarray:
    return stats.rankdata(values, method="average")


def _row_pearson(x: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Pearson correlation of vector ``x`` with each row of ``ys`` (NaN where a row is constant)."""
    xc = x - x.mean()
    yc = ys - ys.mean(axis=-1, keepdims=True)
    denom = np.sqrt((xc**2).sum()) * np.sqrt((yc**2).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (yc @ xc) / denom


def spearman_permutation(x: Iterable[float], y: Iterable[float], n_permutations: int,
                         rng: np.random.Generator) -> SpearmanResult:
    """Spearman's rho of ``x`` and ``y`` (average ranks for ties) with a two-sided permutation p-value:
    (1 + #{|rho*| >= |rho|}) / (1 + n_permutations), where rho* permutes ``y``'s ranks (all permutations drawn
    at once from ``rng``)."""
    x, y = np.asarray(list(x), dtype=float), np.asarray(list(y), dtype=float)
    if len(x) != len(y) or len(x) < 3:
        raise CrackdownError(f"spearman: need two equally long series of at least 3 values, got {len(x)}, {len(y)}")
    params.integer("n_permutations", n_permutations, 1)
    rx, ry = _ranks(x), _ranks(y)
    rho = float(_row_pearson(rx, ry[None, :])[0])
    if np.isnan(rho):
        raise CrackdownError("spearman: one of the series is constant (every value tied); no correlation")
    shuffled = rng.permuted(np.broadcast_to(ry, (n_permutations, len(ry))), axis=1)
    null = _row_pearson(rx, shuffled)
    extreme = np.count_nonzero(np.abs(null) >= abs(rho) - 1e-12)
    p_asym = float(stats.spearmanr(x, y).pvalue)
    return SpearmanResult(rho, monte_carlo_p(extreme, n_permutations), p_asym, len(x), n_permutations)


def against_pattern(table: pd.DataFrame, targeted_group: str = "targeted_platform") -> pd.DataFrame:
    """Firms that cut against "less aligned, more penalised": aligned firms with at least one action or penalty,
    and unaligned firms of the targeted group with neither (spared although unaligned and in a targeted sector)."""
    touched = (table["actions"] > 0) | (table["penalties"] > 0)
    hit_aligned = table[table["aligned"] & touched].assign(case="aligned, yet penalised")
    spared = table[~table["aligned"] & (table["group"] == targeted_group) & ~touched].assign(
        case="unaligned targeted-sector firm, no action or penalty")
    return pd.concat([hit_aligned, spared])


def check_years(start_year: int, end_year: int) -> tuple[int, int]:
    """Integer years with start_year <= end_year, inside 2019..2023 (the span of data/ipos.csv)."""
    for name, value in (("start_year", start_year), ("end_year", end_year)):
        params.integer(name, value, 2019, 2023)
    if start_year > end_year:
        raise CrackdownError(f"start_year: {start_year} is after end_year {end_year}")
    return start_year, end_year


# --- results of notebook 06 ----------------------------------------------------------------------------------
ENFORCEMENT_MEASURES = {"actions": "punitive actions (count)", "penalties": "penalties (count)",
                        f"fined_{BASE_CURRENCY}": f"stated fines ({BASE_CURRENCY} million)"}
ALPHA = 0.05  # significance level of the enforcement verdict


def spearman_table(tests: Mapping[str, SpearmanResult]) -> pd.DataFrame:
    """One row per measure: rho, permutation p, asymptotic p, firms and permutations."""
    return pd.DataFrame(
        {m: {"rho": r.rho, "permutation p": r.p_permutation, "asymptotic p": r.p_asymptotic, "firms": r.n,
             "permutations": r.n_permutations} for m, r in tests.items()}).T


def counted_events(acted: pd.DataFrame) -> pd.Series:
    """firm_id -> the event_ids of :func:`action_events` naming it, joined with "; " in their order."""
    return acted.groupby("firm_id")["event_id"].agg(lambda ids: "; ".join(ids))


def enforcement_verdict(r: SpearmanResult, alpha: float = ALPHA) -> str:
    """The reading of the score-actions rank correlation: which side faced more actions, if p < ``alpha``."""
    if r.p_permutation < alpha and r.rho < 0:
        return "less-aligned firms faced more punitive actions"
    if r.p_permutation < alpha and r.rho > 0:
        return "more-aligned firms faced more punitive actions"
    return "no clear rank relation between alignment and punitive actions"


def _split_against(against: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(aligned firms acted against, spared unaligned targeted firms) of :func:`against_pattern`."""
    aligned = against["case"].str.startswith("aligned")
    return against[aligned], against[~aligned]


def enforcement_record(table: pd.DataFrame, tests: Mapping[str, SpearmanResult], against: pd.DataFrame,
                       parameters: Mapping[str, object], events_by_firm: pd.Series | None = None,
                       window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                       facts: pd.Series | None = None) -> dict:
    """Notebook 06's results: rank correlations and p-values with their reading (``verdict``), action means,
    counterexamples, the firms tied at the lowest score and the concentration of actions, and parameters (its
    words and answer: :mod:`crackdown.words.enforcement`).

    ``table``: :func:`enforcement_table`; ``tests``: :func:`spearman_permutation` per measure of
    :data:`ENFORCEMENT_MEASURES`; ``against``: :func:`against_pattern`; ``parameters`` must hold n_permutations;
    ``events_by_firm``: :func:`counted_events`; ``window``: (start, end) of the counted events; ``facts``: firm ->
    number of recorded alignment indicators (default: from :func:`crackdown.alignment.indicator_matrix`).
    """
    ra, rp, rf = tests["actions"], tests["penalties"], tests[f"fined_{BASE_CURRENCY}"]
    mean_actions = table.groupby("aligned")["actions"].mean()
    hit_aligned, spared = _split_against(against)
    top = table.sort_values("actions", ascending=False).head(5)
    counted = pd.Series(dtype=str) if events_by_firm is None else events_by_firm
    results = {
        "n_firms": len(table), "n_aligned": int(table["aligned"].sum()),
        "currencies": [c.removeprefix("fined_") for c in table.columns if c.startswith("fined_")],
        "rho_actions": ra.rho, "p_actions": ra.p_permutation, "p_actions_asymptotic": ra.p_asymptotic,
        "rho_penalties": rp.rho, "p_penalties": rp.p_permutation,
        "rho_fined_cny": rf.rho, "p_fined_cny": rf.p_permutation, "n_permutations": parameters["n_permutations"],
        "mean_actions_aligned": float(mean_actions.get(True, np.nan)),
        "mean_actions_not_aligned": float(mean_actions.get(False, np.nan)),
        "total_actions": int(table["actions"].sum()), "total_fined_cny": float(table["fined_CNY"].sum()),
        "aligned_yet_penalised": sorted(hit_aligned.index), "spared_unaligned_targeted": sorted(spared.index),
        "most_actions": top["actions"].to_dict(),
        "tied_at_min_score": int((table["score"] == table["score"].min()).sum()),
        "top5_action_share": float(top["actions"].sum() / max(table["actions"].sum(), 1)),
        "firms_without_action": int((table["actions"] == 0).sum()),
        "verdict": enforcement_verdict(ra),
        "most_actions_ranked": [[f, int(n)] for f, n in top["actions"].items()],
        "aligned_yet_penalised_events": {f: counted.get(f, "penalties only") for f in sorted(hit_aligned.index)},
        "window": None if window is None else [pd.Timestamp(d).date().isoformat() for d in window],
        **_concentration(table, facts),
        "headline": Headline(label="Spearman rho of alignment score with punitive actions per firm",
                             statistic="Spearman rank correlation, permutation p", estimate=ra.rho,
                             p_value=ra.p_permutation, n=ra.n, thesis_sign=-1).as_record(),
    }
    return {**results, "parameters": dict(parameters)}


def _concentration(table: pd.DataFrame, facts: pd.Series | None) -> dict[str, Any]:
    """The lowest score, the firms tied at it per sector group (most first) with their median number of recorded
    alignment facts, and the sector groups of the five most-targeted firms."""
    if facts is None:
        facts = alignment.indicator_matrix().notna().sum(axis=1)
    low = table[table["score"] == table["score"].min()]
    has_sector = "sector_group" in table
    by_sector = low.groupby("sector_group").size().sort_values(ascending=False) if has_sector else None
    top = table.sort_values("actions", ascending=False).head(5)
    return {
        "min_score": float(table["score"].min()),
        "min_score_by_sector": None if by_sector is None else [[g, int(k)] for g, k in by_sector.items()],
        "min_score_median_facts": float(facts.reindex(low.index).fillna(0).median()) if len(low) else None,
        "top5_sectors": (sorted(set(top["sector_group"].astype(str).map(code_words))) if has_sector
                         else None),
    }


CONCENTRATED_SHARE = 0.5  # the top five's share of actions at or above which enforcement is called concentrated
