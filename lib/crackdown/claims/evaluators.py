"""The claims register: every checkable statement of the WIRED article (November 2021) tested against the data.

``data/claims.csv`` lists the claims (paraphrased), who makes them, a testable form with its thresholds and the
name of the function here that evaluates it. Each evaluator is a small function registered with
:func:`evaluator`; it reads the data tables (and, for the market claim, the event-study engine) and returns an
:class:`Evaluation`: a verdict, the evidence values and the data rows behind them. Nothing is stored: change a row
in ``data/`` and the verdict changes. Thresholds come from the ``parameters`` column of claims.csv (``key=value``
items separated by ``;``, list values separated by ``|``) and default to the values in each function signature.

:func:`evaluate_all` runs every claim; :func:`check_claims` validates claims.csv with its schema in
:mod:`crackdown.data.schemas` (:func:`~crackdown.data.schemas.check_claims_table`, given the registered evaluators
and their parameter names; reported as ``data/claims.csv:line:column: reason``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crackdown import alignment, paths
from crackdown import eventstudy as es
from crackdown import reaction as rx
from crackdown.data import (
    explode_list,
    load_alignment,
    load_events,
    load_firms,
    load_ipos,
    load_penalties,
    load_returns,
    load_securities,
)
from crackdown.data.check import shown
from crackdown.data.loaders import load_claims_table
from crackdown.data.schemas import (
    CLAIM_KINDS,
    CLAIM_THEMES,
    check_claims_table,
    claims_spec,
    parse_claim_parameters,
)
from crackdown.data.violations import Violation
from crackdown.errors import CrackdownError, unknown_name_error
from crackdown.vocab import ENFORCEMENT_TYPES

ARTICLE_URL = "https://www.wired.com/story/china-cracks-down-tech-ai-companies-plan-ipos/"
SUPPORTED, PARTLY, CONTRADICTED, NOT_TESTABLE = (
    "supported", "partly supported", "contradicted", "not testable with this data")
VERDICTS = (SUPPORTED, PARTLY, CONTRADICTED, NOT_TESTABLE)
KINDS, THEMES = CLAIM_KINDS, CLAIM_THEMES  # claims.csv vocabularies (defined with its schema in crackdown.data)
THEME_TITLES = {"ipo_outcomes": "IPO outcomes", "enforcement": "Enforcement", "ai_and_the_state": "AI firms and the state",
                "us_sanctions": "US sanctions", "markets": "Markets", "policy_and_rules": "Policy and rules"}
IPO_FAILURES = ("suspended", "withdrawn", "shelved", "lapsed")
#: the market claim's legs when none are given: derived from the data (:func:`market_legs`), one listing per firm
CHIPS: tuple[str, ...] = ()
PLATFORMS: tuple[str, ...] = ()
#: the firms of each leg: firms.csv sector_group (the hard-tech leg is the claim's "hard tech", chips included)
LEG_SECTORS = {"chips": "hard_tech", "platforms": "consumer_platform"}
CRACKDOWN_EVENTS = ("platform_antitrust_draft_2020", "ant_ipo_suspended_2020", "alibaba_antitrust_probe_2020",
                    "alibaba_antitrust_fine_2021", "meituan_antitrust_probe_2021", "didi_app_removal_2021",
                    "double_reduction_rules_2021", "common_prosperity_2021")


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Context:
    """What every evaluator may use: the data folder, the article's date, the 'as of' date for later facts and
    the settings of the market test."""

    data_dir: Path | None = None
    article_date: pd.Timestamp = pd.Timestamp("2021-11-01")
    as_of: pd.Timestamp = pd.Timestamp("2023-12-31")
    window: tuple[int, int] = (-1, 1)
    estimation: tuple[int, int] = (-250, -11)
    events: tuple[str, ...] = CRACKDOWN_EVENTS
    chips: tuple[str, ...] = CHIPS
    platforms: tuple[str, ...] = PLATFORMS
    alpha: float = 0.05


@dataclass(frozen=True)
class Evaluation:
    """A verdict with its evidence: ``values`` (named numbers/dates), ``rows`` (``table:id`` of every data row
    used) and ``computation`` (one sentence saying how the verdict follows from the values)."""

    verdict: str
    values: dict[str, Any] = field(default_factory=dict)
    rows: list[str] = field(default_factory=list)
    computation: str = ""


REGISTRY: dict[str, Callable[..., Evaluation]] = {}


def evaluator(func: Callable[..., Evaluation]) -> Callable[..., Evaluation]:
    """Register ``func`` under its name (the name claims.csv gives in its ``evaluator`` column)."""
    REGISTRY[func.__name__] = func
    return func


def _verdict(n_ok: int, n: int) -> str:
    """All parts hold: supported; some: partly supported; none: contradicted."""
    return SUPPORTED if n_ok == n else (CONTRADICTED if n_ok == 0 else PARTLY)


def _tuple(value: str | Sequence[str]) -> tuple[str, ...]:
    """A list parameter: a single value from claims.csv (no ``|``) becomes a one-item tuple."""
    return (value,) if isinstance(value, str) else tuple(value)


def _ids(table: str, ids: Iterable[str]) -> list[str]:
    return [f"{table}:{i}" for i in dict.fromkeys(ids)]


def _alignment_ids(frame: pd.DataFrame) -> list[str]:
    """``alignment:firm/indicator/as_of`` for each row, as_of written as in the file (YYYY-MM where month-only)."""
    as_of = [d.strftime("%Y-%m" if p == "month" else "%Y-%m-%d")
             for d, p in zip(frame["as_of"], frame["as_of_precision"], strict=True)]
    return _ids("alignment", [f"{f}/{i}/{a}" for f, i, a in zip(frame["firm_id"], frame["indicator"], as_of,
                                                                  strict=True)])


def _day(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


# ------------------------------------------------------------------------------------------ data helpers


def _events(ctx: Context, **kw: Any) -> pd.DataFrame:
    return load_events(data_dir=ctx.data_dir, **kw)


def _ipo(ctx: Context, firm_id: str, venue_mic: str | None = None) -> pd.DataFrame:
    ipos = load_ipos(data_dir=ctx.data_dir)
    rows = ipos[ipos["firm_id"] == firm_id]
    return rows if venue_mic is None else rows[rows["exchange"] == venue_mic]


def enforcement_actions(ctx: Context, start: Any, end: Any) -> pd.DataFrame:
    """Chinese enforcement against named firms in [start, end]: penalties.csv rows plus events of an enforcement
    type (probe, review, summons, fine, app removal, merger block, freeze, restructuring order), one row per
    (firm, date) with the ids behind it. US sanctions are not enforcement here (their type is ``sanction``)."""
    ev = _events(ctx, types=list(ENFORCEMENT_TYPES), start=start, end=end)
    ev = explode_list(ev[["event_id", "date", "firm_ids"]], "firm_ids").rename(columns={"firm_ids": "firm_id"})
    pen = load_penalties(data_dir=ctx.data_dir)
    pen = pen[pen["date"].between(pd.Timestamp(start), pd.Timestamp(end))]
    both = pd.concat([ev.assign(row="events:" + ev["event_id"])[["firm_id", "date", "row"]],
                      pen.assign(row="penalties:" + pen["penalty_id"])[["firm_id", "date", "row"]]])
    return (both.groupby(["firm_id", "date"], as_index=False)["row"].agg(lambda r: sorted(set(r)))
            .sort_values(["firm_id", "date"], ignore_index=True))


def _firms_in(ctx: Context, *, sector: str | None = None, ai: bool | None = None) -> pd.DataFrame:
    firms = load_firms(data_dir=ctx.data_dir)
    if sector is not None:
        firms = firms[firms["sector_group"] == sector]
    if ai is not None:
        firms = firms[firms["is_ai_firm"] == ai]
    return firms


def _actions_per_firm(ctx: Context, firm_ids: pd.Series, start: Any, end: Any) -> tuple[float, pd.DataFrame]:
    acts = enforcement_actions(ctx, start, end)
    acts = acts[acts["firm_id"].isin(firm_ids)]
    return (len(acts) / len(firm_ids) if len(firm_ids) else np.nan), acts


def _rows_of(acts: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(r for rows in acts["row"] for r in rows))


def ipo_status(ctx: Context, ipo: pd.Series, on: pd.Timestamp, max_pending_days: int = 365) -> str:
    """An IPO attempt's state on a date: listed, failed (suspended/withdrawn/shelved/lapsed by then), pending
    (filed, last milestone within ``max_pending_days``), stalled (pending longer) or not_filed."""
    if pd.notna(ipo["listing_date"]) and ipo["listing_date"] <= on:
        return "listed"
    if ipo["outcome"] in IPO_FAILURES and pd.notna(ipo["outcome_date"]) and ipo["outcome_date"] <= on:
        return "failed"
    milestones = [ipo[c] for c in ("filing_date", "approval_date") if pd.notna(ipo[c]) and ipo[c] <= on]
    if not milestones:
        return "not_filed"
    return "pending" if (on - max(milestones)).days <= max_pending_days else "stalled"


def ai_ipo_fates(ctx: Context, max_pending_days: int = 365) -> pd.DataFrame:
    """Every IPO attempt of an AI firm (is_ai_firm) with its state on the article date and on ``as_of``."""
    ai = _firms_in(ctx, ai=True)["firm_id"]
    ipos = load_ipos(data_dir=ctx.data_dir)
    ipos = ipos[ipos["firm_id"].isin(ai)]
    out = ipos[["ipo_id", "firm_id", "venue", "filing_date", "listing_date", "outcome", "outcome_date",
                "delayed_by"]].copy()
    out["at_article"] = [ipo_status(ctx, r, ctx.article_date, max_pending_days) for _, r in ipos.iterrows()]
    out["at_as_of"] = [ipo_status(ctx, r, ctx.as_of, max_pending_days) for _, r in ipos.iterrows()]
    out["aged_badly"] = out["at_article"].isin(["pending", "not_filed"]) & out["at_as_of"].isin(
        ["failed", "stalled"])
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------- IPO claims


@evaluator
def ant_ipo_halted_last_moment(ctx: Context, max_days: int = 3) -> Evaluation:
    """Ant's IPO legs were stopped by Beijing regulators at most ``max_days`` before the planned listing."""
    legs = _ipo(ctx, "ant_group")
    legs = legs[legs["outcome_date"] <= ctx.as_of]
    if legs.empty or legs["planned_listing_date"].isna().all():
        return Evaluation(NOT_TESTABLE, computation="no Ant IPO row with a planned listing date")
    gap = (legs["planned_listing_date"] - legs["outcome_date"]).dt.days
    ok = legs["outcome"].isin(["suspended", "withdrawn"]) & (legs["delayed_by"] == "beijing_regulators") & gap.between(
        0, max_days)
    values = {"halted_on": _day(legs["outcome_date"].min()), "planned_listing": _day(legs["planned_listing_date"].min()),
              "days_before_listing": int(gap.max()), "legs": int(len(legs)), "legs_halted_in_time": int(ok.sum())}
    return Evaluation(_verdict(int(ok.sum()), len(legs)), values, _ids("ipos", legs["ipo_id"]),
                      f"planned listing minus suspension date per leg <= {max_days} days, stopped by Beijing")


@evaluator
def didi_app_pulled_after_us_ipo(ctx: Context, max_days: int = 14) -> Evaluation:
    """DiDi's app was removed (with a CAC review) within ``max_days`` of its US listing."""
    ipo = _ipo(ctx, "didi", "XNYS")
    removals = _events(ctx, types="app_removal", firm_ids="didi", end=ctx.as_of)
    reviews = _events(ctx, types="review", firm_ids="didi", end=ctx.as_of)
    if ipo.empty or ipo["listing_date"].isna().all() or removals.empty:
        return Evaluation(NOT_TESTABLE, computation="no DiDi US listing or app removal in the data")
    listed = ipo["listing_date"].iloc[0]
    after = removals[removals["date"] >= listed]
    days = int((after["date"].min() - listed).days) if len(after) else None
    review_between = bool(((reviews["date"] >= listed) & (reviews["date"] <= after["date"].min())).any()
                          ) if len(after) else False
    parts = [days is not None and days <= max_days, review_between]
    values = {"listed": _day(listed), "app_removed": _day(after["date"].min()) if len(after) else None,
              "days_between": days, "cac_review_by_then": review_between}
    rows = _ids("ipos", ipo["ipo_id"]) + _ids("events", pd.concat([after, reviews])["event_id"])
    return Evaluation(_verdict(sum(parts), 2), values, rows,
                      f"days from NYSE listing to first app removal <= {max_days}, and a CAC review in between")


@evaluator
def didi_listed_despite_concerns(ctx: Context) -> Evaluation:
    """Regulators' pre-listing advice to DiDi is only in free-text notes, not in a dated event row."""
    return Evaluation(NOT_TESTABLE, {}, _ids("ipos", _ipo(ctx, "didi")["ipo_id"]),
                      "needs a dated event for the regulators' pre-IPO guidance (events.csv has none)")


@evaluator
def bytedance_shelved_ipo(ctx: Context) -> Evaluation:
    """ByteDance shelved its IPO under Beijing regulators; 'soon after DiDi' is checked against the decision date."""
    ipo = _ipo(ctx, "bytedance")
    ipo = ipo[ipo["outcome"] == "shelved"]
    didi = _events(ctx, types="app_removal", firm_ids="didi")
    if ipo.empty:
        return Evaluation(NOT_TESTABLE, computation="no shelved ByteDance IPO in ipos.csv")
    row = ipo.iloc[0]
    shelved_by_beijing = row["delayed_by"] == "beijing_regulators" and row["outcome_date"] <= ctx.as_of
    after_didi = bool(len(didi)) and row["outcome_date"] >= didi["date"].min()
    public = _events(ctx, types="ipo_shelved", firm_ids="bytedance")
    decision = row["outcome_date"].strftime("%Y-%m" if row["outcome_date_precision"] == "month" else "%Y-%m-%d")
    values = {"decision": decision,
              "made_public": _day(public["date"].min()) if len(public) else None,
              "didi_app_removed": _day(didi["date"].min()) if len(didi) else None,
              "shelved_by_beijing": bool(shelved_by_beijing), "decision_after_didi": after_didi}
    return Evaluation(_verdict(int(shelved_by_beijing) + int(after_didi), 2), values,
                      _ids("ipos", ipo["ipo_id"]) + _ids("events", pd.concat([public, didi])["event_id"]),
                      "shelved with delayed_by beijing_regulators; decision date on or after DiDi's app removal")


@evaluator
def ai_unicorns_proceed_with_ipos(ctx: Context, firms: Sequence[str] = ("sensetime", "megvii"),
                                  venues: Sequence[str] = ("XHKG", "XSHG"), max_pending_days: int = 365) -> Evaluation:
    """SenseTime (Hong Kong) and Megvii (Shanghai) went on to list by ``as_of``; a still-pending attempt counts as
    proceeding only while its last milestone is under ``max_pending_days`` old."""
    firms, venues = _tuple(firms), _tuple(venues)
    rows, states, delays = [], {}, {}
    for firm, mic in zip(firms, venues, strict=True):
        ipo = _ipo(ctx, firm, mic)
        rows += list(ipo["ipo_id"])
        states[firm] = ipo_status(ctx, ipo.iloc[0], ctx.as_of, max_pending_days) if len(ipo) else "no_row"
        delays[firm] = ipo["delayed_by"].iloc[0] if len(ipo) else None
    ok = sum(s in ("listed", "pending") for s in states.values())
    values = ({f"{f}_status": s for f, s in states.items()} | {f"{f}_delayed_by": d for f, d in delays.items()}
              | {"proceeding": ok, "firms": len(firms)})
    return Evaluation(_verdict(ok, len(firms)), values, _ids("ipos", rows),
                      f"status on {ctx.as_of.date()}: listed, or pending with a milestone within {max_pending_days} days")


@evaluator
def tech_firms_face_new_reality(ctx: Context, start: str = "2020-11-01", min_fine: float = 1000.0) -> Evaluation:
    """Between ``start`` and the article: at least one IPO stopped by Beijing, one new rule, one fine >= ``min_fine``
    million."""
    end = ctx.article_date
    ipos = load_ipos(data_dir=ctx.data_dir)
    stopped = ipos[ipos["outcome"].isin(IPO_FAILURES) & (ipos["delayed_by"] == "beijing_regulators")
                   & ipos["outcome_date"].between(pd.Timestamp(start), end)]
    rules = _events(ctx, types=["rule", "law"], start=start, end=end)
    pen = load_penalties(data_dir=ctx.data_dir)
    big = pen[(pen["amount"] >= min_fine) & pen["date"].between(pd.Timestamp(start), end)]
    values = {"ipos_stopped": len(stopped), "rules_and_laws": len(rules), "fines_over_threshold": len(big)}
    rows = _ids("ipos", stopped["ipo_id"]) + _ids("events", rules["event_id"]) + _ids("penalties", big["penalty_id"])
    return Evaluation(_verdict(sum(v > 0 for v in values.values()), 3), values, rows,
                      f"each count > 0 between {start} and the article date")


# ----------------------------------------------------------------------------------------- enforcement


@evaluator
def alibaba_record_fine(ctx: Context, firm: str = "alibaba") -> Evaluation:
    """Alibaba's largest fine is the largest penalty amount in penalties.csv (same currency) up to ``as_of``."""
    pen = load_penalties(data_dir=ctx.data_dir)
    pen = pen[(pen["date"] <= ctx.as_of) & pen["amount"].notna()]
    own = pen[pen["firm_id"] == firm]
    if own.empty:
        return Evaluation(NOT_TESTABLE, computation=f"no {firm} penalty with an amount")
    top = own.loc[own["amount"].idxmax()]
    same = pen[pen["currency"] == top["currency"]]
    others = same[same["firm_id"] != firm]
    runner = others.loc[others["amount"].idxmax()] if len(others) else None
    values = {"amount_m": float(top["amount"]), "currency": top["currency"], "date": _day(top["date"]),
              "next_largest_m": None if runner is None else float(runner["amount"]),
              "next_largest_firm": None if runner is None else runner["firm_id"],
              "penalties_compared": int(len(same)), "other_currencies": int((pen["currency"] != top["currency"]).sum())}
    record = runner is None or top["amount"] > runner["amount"]
    rows = _ids("penalties", [top["penalty_id"]] + ([] if runner is None else [runner["penalty_id"]]))
    return Evaluation(SUPPORTED if record else CONTRADICTED, values, rows,
                      f"max {firm} amount vs max of every other penalty in {top['currency']} up to {ctx.as_of.date()}")


@evaluator
def jack_ma_speech_before_ant_ipo(ctx: Context, max_days: int = 30) -> Evaluation:
    """Jack Ma's speech came at most ``max_days`` before Ant's planned listing."""
    speech = _events(ctx, types="media_signal", firm_ids="ant_group")
    legs = _ipo(ctx, "ant_group")
    if speech.empty or legs["planned_listing_date"].isna().all():
        return Evaluation(NOT_TESTABLE, computation="no speech event or no planned Ant listing date")
    gap = int((legs["planned_listing_date"].min() - speech["date"].min()).days)
    values = {"speech": _day(speech["date"].min()), "planned_listing": _day(legs["planned_listing_date"].min()),
              "days_before": gap}
    return Evaluation(SUPPORTED if 0 <= gap <= max_days else CONTRADICTED, values,
                      _ids("events", speech["event_id"]) + _ids("ipos", legs["ipo_id"]),
                      f"planned listing minus speech date between 0 and {max_days} days")


@evaluator
def other_firms_affected(ctx: Context, firms: Sequence[str] = ("tencent", "pinduoduo", "meituan"),
                         sectors: Sequence[str] = ("education", "recruitment_logistics", "crypto"),
                         start: str = "2020-11-01") -> Evaluation:
    """Each named firm faced Chinese enforcement, and each named sector was targeted, between ``start`` and the
    article date."""
    firms, sectors = _tuple(firms), _tuple(sectors)
    acts = enforcement_actions(ctx, start, ctx.article_date)
    hit_firms = {f: int((acts["firm_id"] == f).sum()) for f in firms}
    ev = _events(ctx, start=start, end=ctx.article_date)
    ev = ev[~ev["type"].isin(["sanction", "ipo_listed", "ipo_filing", "ipo_approval", "easing"])]
    by_sector = explode_list(ev[["event_id", "sectors"]], "sectors")
    hit_sectors = {s: int((by_sector["sectors"] == s).sum()) for s in sectors}
    n_ok = sum(v > 0 for v in (*hit_firms.values(), *hit_sectors.values()))
    rows = _rows_of(acts[acts["firm_id"].isin(firms)]) + _ids(
        "events", by_sector.loc[by_sector["sectors"].isin(sectors), "event_id"])
    return Evaluation(_verdict(n_ok, len(firms) + len(sectors)), {"actions": hit_firms, "sector_events": hit_sectors},
                      rows, "count > 0 for every firm (enforcement actions) and every sector (targeting events)")


@evaluator
def official_motives(ctx: Context, start: str = "2020-11-01",
                     inequality_events: Sequence[str] = ("common_prosperity_2021",)) -> Evaluation:
    """Before the article there was antitrust enforcement (SAMR fines/probes), data-security enforcement (CAC
    reviews/app removals) and an inequality policy (the listed events)."""
    ev = _events(ctx, start=start, end=ctx.article_date)
    antitrust = ev[ev["actor"].str.contains("SAMR") & ev["type"].isin(["fine", "probe"])]
    data = ev[ev["actor"].str.contains("CAC") & ev["type"].isin(["review", "app_removal"])]
    inequality = ev[ev["event_id"].isin(_tuple(inequality_events))]
    values = {"antitrust_actions": len(antitrust), "data_security_actions": len(data),
              "inequality_policies": len(inequality)}
    rows = _ids("events", pd.concat([antitrust, data, inequality])["event_id"])
    return Evaluation(_verdict(sum(v > 0 for v in values.values()), 3), values, rows,
                      "each kind of action present at least once before the article date")


@evaluator
def party_control_over_platforms(ctx: Context, start: str = "2020-11-01") -> Evaluation:
    """Consumer platforms took state golden shares after ``start`` (by ``as_of``), having had no state
    shareholder or golden share before it."""
    platforms = _firms_in(ctx, sector="consumer_platform")["firm_id"]
    al = load_alignment(data_dir=ctx.data_dir)
    al = al[al["firm_id"].isin(platforms) & al["indicator"].isin(["golden_share", "state_shareholder"])
            & (al["value_num"] == 1)]
    before = al[al["as_of"] < pd.Timestamp(start)]
    after = al[al["as_of"].between(pd.Timestamp(start), ctx.as_of)]
    values = {"platforms_with_state_stake_before": sorted(before["firm_id"].unique()),
              "platforms_taking_golden_shares_after": sorted(after["firm_id"].unique())}
    rows = _alignment_ids(pd.concat([before, after]))
    verdict = SUPPORTED if len(after) and after["firm_id"].nunique() > before["firm_id"].nunique() else (
        PARTLY if len(after) else CONTRADICTED)
    return Evaluation(verdict, values, rows,
                      "more platforms hold a state golden share/shareholder after the crackdown began than before")


# -------------------------------------------------------------------------------------- AI and the state


@evaluator
def ai_unicorns_untouched(ctx: Context, start: str = "2020-11-01", max_ratio: float = 0.25) -> Evaluation:
    """AI firms faced at most ``max_ratio`` times the enforcement actions per firm of consumer platforms
    (``start`` to the article), and no AI IPO was stopped by Beijing regulators."""
    ai = _firms_in(ctx, ai=True)["firm_id"]
    plat = _firms_in(ctx, sector="consumer_platform")["firm_id"]
    ai_rate, ai_acts = _actions_per_firm(ctx, ai, start, ctx.article_date)
    plat_rate, _ = _actions_per_firm(ctx, plat, start, ctx.article_date)
    ipos = load_ipos(data_dir=ctx.data_dir)
    stopped = ipos[ipos["firm_id"].isin(ai) & (ipos["delayed_by"] == "beijing_regulators")]
    ratio = ai_rate / plat_rate if plat_rate else np.nan
    values = {"ai_actions_per_firm": round(ai_rate, 3), "platform_actions_per_firm": round(plat_rate, 3),
              "ratio": None if np.isnan(ratio) else round(ratio, 3), "ai_ipos_stopped_by_beijing": len(stopped),
              "ai_firms": len(ai), "platforms": len(plat)}
    parts = [bool(ratio <= max_ratio), stopped.empty]
    return Evaluation(_verdict(sum(parts), 2), values, _rows_of(ai_acts) + _ids("ipos", stopped["ipo_id"]),
                      f"AI/platform enforcement actions per firm <= {max_ratio} and no AI IPO delayed_by beijing")


@evaluator
def ai_firms_aligned_with_government(ctx: Context, min_gap: float = 0.2) -> Evaluation:
    """The mean government-alignment score (:func:`crackdown.alignment.alignment_scores`, default weights, facts
    up to the article date) of the AI group exceeds the targeted platforms' by >= ``min_gap``
    (:func:`crackdown.alignment.firm_groups`, sector rule). An association only: whether it *explains* the
    leniency is not testable here, so the best verdict is 'partly supported'."""
    firms = load_firms(data_dir=ctx.data_dir)
    facts = load_alignment(data_dir=ctx.data_dir)
    scores = alignment.alignment_scores(as_of=ctx.article_date.date().isoformat(), alignment=facts, firms=firms)
    groups = alignment.firm_groups(scores, rule="sector", firms=firms)
    mean = scores["score"].groupby(groups.reindex(scores.index)).mean()
    n = groups.reindex(scores.index).value_counts()
    gap = mean.get("aligned_ai", np.nan) - mean.get("targeted_platform", np.nan)
    values = {"ai_mean_score": round(float(mean.get("aligned_ai", np.nan)), 3), "ai_firms": int(n.get("aligned_ai", 0)),
              "platform_mean_score": round(float(mean.get("targeted_platform", np.nan)), 3),
              "platform_firms": int(n.get("targeted_platform", 0)), "gap": round(float(gap), 3)}
    if np.isnan(gap):
        return Evaluation(NOT_TESTABLE, values, computation="no alignment scores for one of the two groups")
    used = facts[facts["firm_id"].isin(groups.index[groups.isin(["aligned_ai", "targeted_platform"])])
                 & (facts["as_of"] <= ctx.article_date)]
    return Evaluation(PARTLY if gap >= min_gap else CONTRADICTED, values, _alignment_ids(used),
                      f"mean alignment score gap (AI group minus targeted platforms) >= {min_gap}; causation not tested")


@evaluator
def ai_firms_serve_government(ctx: Context, min_share: float = 0.3, min_firms: int = 2) -> Evaluation:
    """For AI firms with data, the latest government/smart-city/public-security revenue share before the article
    is >= ``min_share`` (needs ``min_firms`` firms)."""
    ai = _firms_in(ctx, ai=True)["firm_id"]
    al = load_alignment(data_dir=ctx.data_dir)
    al = al[al["firm_id"].isin(ai) & (al["as_of"] <= ctx.article_date) & al["indicator"].isin(
        ["govt_revenue_share", "smart_city_revenue_share", "public_security_revenue_share"])
        & al["value_num"].notna()]  # not_found rows are unknown, not a share
    latest = al.sort_values("as_of").groupby("firm_id").tail(1)
    if len(latest) < min_firms:
        return Evaluation(NOT_TESTABLE, {"firms_with_data": len(latest)},
                          computation=f"fewer than {min_firms} AI firms with a revenue-share figure")
    values = {f"{r.firm_id}_{r.indicator}": r.value_num for r in latest.itertuples()}
    ok = int((latest["value_num"] >= min_share).sum())
    rows = _alignment_ids(latest)
    return Evaluation(_verdict(ok, len(latest)), values, rows, f"each firm's latest share >= {min_share}")


@evaluator
def sensetime_smart_city_half(ctx: Context, low: float = 0.45, high: float = 0.5,
                              period_end: str = "2021-06-30") -> Evaluation:
    """SenseTime's Smart City revenue share for the half year to ``period_end`` lies in [low, high]."""
    al = load_alignment(data_dir=ctx.data_dir)
    row = al[(al["firm_id"] == "sensetime") & (al["indicator"] == "smart_city_revenue_share")
             & (al["as_of"] == pd.Timestamp(period_end))]
    if row.empty:
        return Evaluation(NOT_TESTABLE, computation=f"no SenseTime smart-city share as of {period_end}")
    value = float(row["value_num"].iloc[0])
    return Evaluation(SUPPORTED if low <= value <= high else CONTRADICTED, {"share": value},
                      _alignment_ids(row), f"{low} <= share <= {high}")


@evaluator
def sensetime_government_spending_risk(ctx: Context) -> Evaluation:
    """A risk factor quoted from the prospectus: no table records prospectus risk factors."""
    return Evaluation(NOT_TESTABLE, computation="needs prospectus risk-factor text (not in data/)")


@evaluator
def ai_strategic_industry_since_2017(ctx: Context, year: int = 2017) -> Evaluation:
    """A State Council AI policy and a designation of national AI platforms both date from ``year``."""
    ev = _events(ctx, start=f"{year}-01-01", end=f"{year}-12-31")
    plan = ev[(ev["type"] == "policy") & ev["actor"].str.contains("State Council") & ev["sectors"].fillna("").str.contains(
        "ai_vision_speech")]
    platforms = ev[ev["type"] == "designation"]
    values = {"state_council_ai_plan": _day(plan["date"].min()) if len(plan) else None,
              "ai_platform_designations": len(platforms)}
    return Evaluation(_verdict(int(len(plan) > 0) + int(len(platforms) > 0), 2), values,
                      _ids("events", pd.concat([plan, platforms])["event_id"]),
                      f"a State Council AI policy and an AI-platform designation in {year}")


@evaluator
def ai_plan_regional_investment(ctx: Context) -> Evaluation:
    """Regional AI investment after the 2017 plan: no investment figures in data/."""
    return Evaluation(NOT_TESTABLE, computation="needs regional government AI spending figures (not in data/)")


@evaluator
def ai_firms_use_government_data(ctx: Context) -> Evaluation:
    """Access to government data (e.g. ID photos): not recorded in any table."""
    return Evaluation(NOT_TESTABLE, computation="needs records of government data shared with firms (not in data/)")


@evaluator
def ai_firms_targeted_but_tied(ctx: Context, start: str = "2020-11-01", min_ratio: float = 0.5,
                               min_tied: float = 0.5) -> Evaluation:
    """Two parts: AI firms face >= ``min_ratio`` times the platforms' enforcement actions per firm ('as much in
    the crosshairs'); >= ``min_tied`` of AI firms have a state shareholder (on the article date)."""
    ai = _firms_in(ctx, ai=True)["firm_id"]
    plat = _firms_in(ctx, sector="consumer_platform")["firm_id"]
    ai_rate, ai_acts = _actions_per_firm(ctx, ai, start, ctx.article_date)
    plat_rate, _ = _actions_per_firm(ctx, plat, start, ctx.article_date)
    al = load_alignment(data_dir=ctx.data_dir)
    tied = al[al["firm_id"].isin(ai) & (al["indicator"] == "state_shareholder") & (al["value_num"] == 1)
              & (al["as_of"] <= ctx.article_date)]
    tied_share = tied["firm_id"].nunique() / len(ai)
    ratio = ai_rate / plat_rate if plat_rate else np.nan
    values = {"enforcement_ratio": None if np.isnan(ratio) else round(ratio, 3), "ai_share_state_tied": round(tied_share, 3)}
    parts = [bool(ratio >= min_ratio), tied_share >= min_tied]
    rows = _rows_of(ai_acts) + _alignment_ids(tied)
    return Evaluation(_verdict(sum(parts), 2), values, rows,
                      f"enforcement ratio >= {min_ratio}; share of AI firms with a state shareholder >= {min_tied}")


# -------------------------------------------------------------------------------------------- US sanctions


@evaluator
def entity_list_october_2019(ctx: Context, firms: Sequence[str] = ("sensetime", "megvii", "yitu", "iflytek"),
                             month: str = "2019-10") -> Evaluation:
    """Each firm has a US Entity List entry effective in ``month``."""
    firms = _tuple(firms)
    al = load_alignment(data_dir=ctx.data_dir)
    hits = al[al["firm_id"].isin(firms) & (al["indicator"] == "us_entity_list") & (al["value_num"] == 1)
              & (al["as_of"].dt.strftime("%Y-%m") == month)]
    listed = sorted(hits["firm_id"].unique())
    rows = _alignment_ids(hits)
    return Evaluation(_verdict(len(listed), len(firms)), {"listed": listed, "effective": _day(hits["as_of"].min())},
                      rows, f"us_entity_list true with as_of in {month} for each firm")


# ------------------------------------------------------------------------------------------------ markets


@evaluator
def hard_tech_spared_by_regulators(ctx: Context, start: str = "2020-11-01") -> Evaluation:
    """No Chinese enforcement action against hard-tech firms, and no hard-tech IPO stopped by Beijing, from
    ``start`` to ``as_of``."""
    hard = _firms_in(ctx, sector="hard_tech")["firm_id"]
    _, acts = _actions_per_firm(ctx, hard, start, ctx.as_of)
    ipos = load_ipos(data_dir=ctx.data_dir)
    hard_ipos = ipos[ipos["firm_id"].isin(hard)]
    stopped = hard_ipos[hard_ipos["delayed_by"] == "beijing_regulators"]
    listed = hard_ipos[hard_ipos["listing_date"].between(pd.Timestamp(start), ctx.as_of)]
    values = {"enforcement_actions": len(acts), "ipos_stopped_by_beijing": len(stopped),
              "ipos_listed": len(listed)}
    return Evaluation(_verdict(int(acts.empty) + int(stopped.empty), 2), values,
                      _rows_of(acts) + _ids("ipos", pd.concat([stopped, listed])["ipo_id"]),
                      "zero enforcement actions and zero Beijing-stopped IPOs for hard_tech firms")


def market_legs(data_dir: str | Path | None = None) -> dict[str, tuple[str, ...]]:
    """The market claim's legs from the data: per leg (:data:`LEG_SECTORS`), the firms of its sector_group with
    one priced listing each, the one with the longest price coverage (:func:`crackdown.reaction.choose_listings`)."""
    firms = load_firms(data_dir=data_dir)
    securities = load_securities(data_dir=data_dir)
    ids = firms.loc[firms["sector_group"].isin(list(LEG_SECTORS.values())), "firm_id"]
    candidates = securities[securities["firm_id"].isin(ids) & (securities["price_basis"] != "none")]
    coverage = rx.price_coverage(load_returns(list(candidates["symbol"]), data_dir=data_dir)) if len(candidates) \
        else pd.DataFrame(columns=["first", "last"])
    return {leg: tuple(rx.choose_listings(firms.loc[firms["sector_group"] == sector, "firm_id"], securities,
                                          coverage)["symbol"])
            for leg, sector in LEG_SECTORS.items()}


def _legs(ctx: Context) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The context's legs, derived from the data where a context leaves them empty."""
    if ctx.chips and ctx.platforms:
        return ctx.chips, ctx.platforms
    derived = market_legs(ctx.data_dir)
    return ctx.chips or derived["chips"], ctx.platforms or derived["platforms"]


def market_test(ctx: Context, min_obs: int = 100) -> dict[str, Any]:
    """Chips vs platforms around the crackdown events with the event-study engine (market model).

    Returns the per-group CAAR tests (``caar``), the pooled long-short row (long chips, short platforms), the
    per-event long-short rows and the legs used (``chips``, ``platforms``).
    """
    securities = load_securities(data_dir=ctx.data_dir)
    events = _events(ctx, event_ids=list(ctx.events))
    chips, platforms = _legs(ctx)
    symbols = [*chips, *platforms]
    bench = securities.set_index("symbol").loc[symbols, "benchmark_symbol"]
    lo = events["date"].min() - pd.Timedelta(days=550)
    hi = events["date"].max() + pd.Timedelta(days=30)
    returns = load_returns([*symbols, *bench.unique()], lo, hi, data_dir=ctx.data_dir)
    res = es.run_event_study(returns, securities, events, symbols, model="market", estimation=ctx.estimation,
                             window=ctx.window, min_obs=min_obs,
                             groups={"chips": list(chips), "platforms": list(platforms)}, errors="drop")
    ls = es.long_short(res.fit, chips, platforms, ctx.window)
    return {"caar": res.caar, "long_short": ls, "dropped": res.dropped, "car": res.car, "chips": chips,
            "platforms": platforms}


@evaluator
def hard_tech_market_unaffected(ctx: Context, min_obs: int = 100) -> Evaluation:
    """Around the crackdown events, chips' CAAR is not significantly negative (portfolio test, p >= alpha) and
    the long chips / short platforms CAR is positive and significant (p < alpha)."""
    out = market_test(ctx, min_obs)
    caar = out["caar"].set_index("group")
    pooled = out["long_short"].set_index("event_id").loc["all"]
    chips = caar.loc["chips"]
    chips_ok = not (chips["portfolio_car"] < 0 and chips["p_portfolio"] < ctx.alpha)
    spread_ok = bool(pooled["car"] > 0 and pooled["p"] < ctx.alpha)
    values = {"chips_caar": float(chips["caar"]), "chips_p": float(chips["p_portfolio"]),
              "platforms_caar": float(caar.loc["platforms", "caar"]),
              "platforms_p": float(caar.loc["platforms", "p_portfolio"]),
              "long_short_car": float(pooled["car"]), "long_short_p": float(pooled["p"]),
              "window": list(ctx.window), "pairs": int(chips["n"] + caar.loc["platforms", "n"])}
    rows = _ids("events", ctx.events) + _ids("securities", [*out["chips"], *out["platforms"]])
    return Evaluation(_verdict(int(chips_ok) + int(spread_ok), 2), values, rows,
                      f"market-model CAR{list(ctx.window)}: chips not significantly negative and chips minus "
                      f"platforms > 0 at alpha {ctx.alpha} (eventstudy.run_event_study, long_short)")


# ---------------------------------------------------------------------------------------- policy and rules


@evaluator
def pipl_tightens_rules_for_ai(ctx: Context, law_event: str = "pipl_passed_2021", min_rules: int = 1) -> Evaluation:
    """The personal-information law (``law_event``) was passed before the article, and >= ``min_rules`` later
    rules targeting the AI sector followed by ``as_of``."""
    law = _events(ctx, types="law", end=ctx.article_date)
    law = law[law["event_id"] == law_event]
    later = _ai_rules(ctx, law["date"].min() if len(law) else ctx.article_date, ctx.as_of)
    values = {"pipl_passed": _day(law["date"].min()) if len(law) else None, "later_ai_rules": len(later)}
    return Evaluation(_verdict(int(len(law) > 0) + int(len(later) >= min_rules), 2), values,
                      _ids("events", pd.concat([law, later])["event_id"]),
                      f"PIPL event before the article; >= {min_rules} later rule/law events naming the AI sector")


def _ai_rules(ctx: Context, after: pd.Timestamp, until: pd.Timestamp) -> pd.DataFrame:
    ev = _events(ctx, types=["rule", "law"], start=after + pd.Timedelta(days=1), end=until)
    return ev[ev["sectors"].fillna("").str.contains("ai_vision_speech")]


@evaluator
def regulators_react_when_industry_matures(ctx: Context, min_rules: int = 2) -> Evaluation:
    """After the article and by ``as_of``, >= ``min_rules`` distinct rules/laws target the AI sector (algorithms,
    deep synthesis, generative AI)."""
    later = _ai_rules(ctx, ctx.article_date, ctx.as_of)
    values = {"ai_rules_after_article": len(later), "first": _day(later["date"].min()) if len(later) else None}
    verdict = SUPPORTED if len(later) >= min_rules else (PARTLY if len(later) else CONTRADICTED)
    return Evaluation(verdict, values, _ids("events", later["event_id"]),
                      f">= {min_rules} rule/law events with sector ai_vision_speech after the article")


@evaluator
def data_law_strengthens_state_ties(ctx: Context) -> Evaluation:
    """Public trust in data handling: no data in data/ measure trust or data-sharing relationships."""
    return Evaluation(NOT_TESTABLE, computation="needs measures of public trust or state data sharing (not in data/)")


# ------------------------------------------------------------------------------------------ claims.csv


def parse_parameters(cell: str) -> dict[str, Any]:
    """``"max_days=3;firms=a|b"`` -> ``{"max_days": 3, "firms": ("a", "b")}`` (empty cell -> ``{}``)."""
    return parse_claim_parameters(cell)


def evaluator_parameters() -> dict[str, frozenset[str]]:
    """Every registered evaluator and the parameter names claims.csv may give it."""
    return {name: frozenset(inspect.signature(func).parameters) - {"ctx"} for name, func in REGISTRY.items()}


def _claims_path(data_dir: str | Path | None) -> Path:
    return Path(data_dir) / "claims.csv" if data_dir is not None else paths.data_dir() / "claims.csv"


def check_claims(data_dir: str | Path | None = None) -> list[Violation]:
    """Every violation in data/claims.csv (an absent file is not an error: the table is optional)."""
    path = _claims_path(data_dir)
    return check_claims_table(path, shown(path, path.parent), evaluator_parameters())


def load_claims(data_dir: str | Path | None = None) -> pd.DataFrame:
    """data/claims.csv, validated (errors name file:line:column); ``line`` = the row's line in the file.
    Validated once per data version and evaluator code (the data cache, :mod:`crackdown.data.cache`)."""
    return load_claims_table(evaluator_parameters, data_dir=data_dir)


def _check_events(data_dir: str | Path | None, crackdown_events: Sequence[str]) -> None:
    events = load_events(data_dir=data_dir).set_index("event_id")
    if not crackdown_events:
        raise CrackdownError("crackdown_events: the selection is empty")
    for e in crackdown_events:
        if e not in events.index:
            raise unknown_name_error("event id", e, events.index, "crackdown_events")
        if events.at[e, "date_precision"] != "day":
            raise CrackdownError(f"crackdown_events: {e} is dated to the month only; the market test needs the day")


def _check_legs(data_dir: str | Path | None, chips: Sequence[str], platforms: Sequence[str]) -> None:
    securities = load_securities(data_dir=data_dir).set_index("symbol")
    priced = securities.index[securities["price_basis"] != "none"]
    for name, group in (("chips", chips), ("platforms", platforms)):
        if not group:
            raise CrackdownError(f"{name}: the selection is empty")
        for sym in group:
            if sym not in securities.index:
                raise unknown_name_error("symbol", sym, securities.index, name)
            if sym not in priced:
                raise CrackdownError(f"{name}: {sym} has no price file (price_basis none)")
        firm = securities.reindex(list(group))["firm_id"]
        twice = firm[firm.notna() & firm.duplicated(keep=False)]
        if len(twice):
            raise CrackdownError(f"{name}: {', '.join(twice.index)} are listings of the same firm "
                                 f"({twice.iloc[0]}); keep one listing per firm")
    both = sorted(set(chips) & set(platforms))
    if both:
        raise CrackdownError(f"platforms: {', '.join(both)} also in chips; the two legs must not overlap")


def make_context(data_dir: str | Path | None = None, *, article_date: Any = "2021-11-01", as_of: Any = "2023-12-31",
                 event_window: Sequence[int] = (-1, 1), estimation_window: Sequence[int] = (-250, -11),
                 crackdown_events: Sequence[str] = CRACKDOWN_EVENTS, chips: Sequence[str] | None = None,
                 platforms: Sequence[str] | None = None, alpha: float = 0.05) -> Context:
    """A :class:`Context` with checked values; errors name the argument (the same names as 07's parameters).

    ``chips``/``platforms`` None: derived from the data (:func:`market_legs`); given: checked (priced, one listing
    per firm, no overlap)."""
    art, aso = pd.Timestamp(article_date), pd.Timestamp(as_of)
    if aso < art:
        raise CrackdownError(f"as_of: {aso.date()} is before article_date {art.date()}")
    window, estimation = tuple(event_window), tuple(estimation_window)
    if estimation[1] >= window[0]:
        raise CrackdownError(f"estimation_window: ends at session {estimation[1]}, not before event_window {window}")
    if not 0 < alpha < 1:
        raise CrackdownError(f"alpha: {alpha!r} is outside (0, 1)")
    _check_events(data_dir, crackdown_events)
    if chips is None or platforms is None:
        derived = market_legs(data_dir)
        chips = derived["chips"] if chips is None else chips
        platforms = derived["platforms"] if platforms is None else platforms
    _check_legs(data_dir, chips, platforms)
    return Context(None if data_dir is None else Path(data_dir), art, aso, window, estimation,
                   tuple(crackdown_events), tuple(chips), tuple(platforms), float(alpha))


def evaluate(claim: pd.Series, ctx: Context) -> Evaluation:
    """Run one claims.csv row's evaluator with its parameters."""
    name = claim["evaluator"]
    if name not in REGISTRY:
        raise unknown_name_error("evaluator", name, REGISTRY, f"claims.csv:{claim.get('line', '?')}:evaluator")
    return REGISTRY[name](ctx, **parse_parameters(claim.get("parameters", "")))


def evaluate_all(ctx: Context | None = None, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Every claim of claims.csv evaluated: one row per claim with its verdict, values, rows and computation."""
    ctx = ctx or make_context(data_dir)
    if data_dir is not None and ctx.data_dir is None:
        ctx = replace(ctx, data_dir=Path(data_dir))
    claims = load_claims(ctx.data_dir)
    results = [evaluate(row, ctx) for _, row in claims.iterrows()]
    out = claims[["claim_id", "theme", "kind", "claimant", "claim", "testable_form", "evaluator"]].copy()
    out["verdict"] = [r.verdict for r in results]
    out["values"] = [r.values for r in results]
    out["rows"] = [r.rows for r in results]
    out["computation"] = [r.computation for r in results]
    return out


def verdict_counts(table: pd.DataFrame) -> dict[str, int]:
    """Claims per verdict (every verdict listed, zeros included)."""
    return {v: int((table["verdict"] == v).sum()) for v in VERDICTS}


def aged_claims(ctx: Context, now: pd.DataFrame | None = None) -> pd.DataFrame:
    """Claims whose verdict on ``as_of`` differs from their verdict with the data known on the article date
    (``now``: an :func:`evaluate_all` table for ``ctx``, computed if not given)."""
    then = evaluate_all(replace(ctx, as_of=ctx.article_date))
    now = evaluate_all(ctx) if now is None else now
    both = now[["claim_id", "kind", "verdict"]].merge(then[["claim_id", "verdict"]], on="claim_id",
                                                       suffixes=("_as_of", "_at_article"))
    both = both[both["verdict_as_of"] != both["verdict_at_article"]].reset_index(drop=True)
    rank = {SUPPORTED: 2, PARTLY: 1, CONTRADICTED: 0}
    change = both["verdict_as_of"].map(rank) - both["verdict_at_article"].map(rank)
    both["aged"] = np.select([change < 0, change > 0], ["badly", "well"], "changed")
    return both


VERDICT_RANK = {SUPPORTED: 2, PARTLY: 1, CONTRADICTED: 0}


def evaluate_later(ctx: Context, later: Any, now: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every claim evaluated at ``ctx.as_of`` and again with the period extended to ``later`` (same thresholds):
    claim_id, kind, theme, verdict, verdict_later, values_later, rows_later and ``change`` (same, better, worse;
    "changed" to or from not testable). ``now``: an :func:`evaluate_all` table for ``ctx`` (computed if not given)."""
    until = pd.Timestamp(later)
    if until < ctx.as_of:
        raise CrackdownError(f"as_of_later: {until.date()} is before as_of {ctx.as_of.date()}")
    now = evaluate_all(ctx) if now is None else now
    then = evaluate_all(replace(ctx, as_of=until))
    both = now[["claim_id", "kind", "theme", "verdict"]].merge(
        then[["claim_id", "verdict", "values", "rows"]].rename(
            columns={"verdict": "verdict_later", "values": "values_later", "rows": "rows_later"}), on="claim_id")
    step = both["verdict_later"].map(VERDICT_RANK) - both["verdict"].map(VERDICT_RANK)
    both["change"] = np.select([both["verdict"] == both["verdict_later"], step > 0, step < 0],
                               ["same", "better", "worse"], "changed")
    return both


CLAIMS_SPEC = claims_spec(evaluator_parameters())  # the claims.csv table with every evaluator registered above
