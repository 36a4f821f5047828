"""After the crackdown, 2023-2026 (notebook 09): the later timeline, listing outcomes by alignment and US-list
status against the earlier attempts, event studies of the easing and the new actions, and whether the article's
forecast (AI firms close to the state keep listing) held by the end of the period.

Rules (stated once, used everywhere here):

- **Event kinds.** ``easing``: type easing. ``us_action``: a sanction, designation or rule by a US actor (actor
  names "US"). ``chinese_action``: a crackdown type (:data:`crackdown.vocab.CRACKDOWN_EVENT_TYPES`) by any other
  actor. Everything else is ``other`` (policies, media signals, listings).
- **Period of an attempt.** The date it was decided or last moved: the listing date, else the outcome date, else
  the latest of filing and approval; an open attempt (pending, under_review) without any date belongs to the
  period it is open in (the period's end). An attempt is ``listed`` if its outcome is listed with a listing date
  on or before the end of its period.
- **US-list status** of an attempt: on the Entity List, the NS-CMIC list, the 1260H list or the SDN list
  (latest ``found`` row of alignment.csv per indicator with as_of on or before the attempt's decision date).
- **First-day return** = first_day_close / offer_price - 1; **days to list** = listing date - filing date
  (attempts with both dates).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crackdown import params
from crackdown import reaction as rx
from crackdown.data.schemas import OPEN_IPO_OUTCOMES
from crackdown.errors import CrackdownError
from crackdown.results import Headline
from crackdown.vocab import ALIGNED, CRACKDOWN_EVENT_TYPES, LONG, SHORT

EVENT_KINDS = ("easing", "chinese_action", "us_action", "other")
US_ACTOR = r"(?:^|[\s;(])US\b"
US_ACTION_TYPES = ("sanction", "designation", "rule")
US_LISTS = ("us_entity_list", "ns_cmic_list", "dod_1260h_list", "sdn_list")
PERIOD_LABELS = ("baseline", "period")
#: the headline's sign if the article's forecast held: aligned AI firms listed more often than other AI firms
FORECAST_SIGN = 1


# --- timeline --------------------------------------------------------------------------------------------------
def event_kinds(events: pd.DataFrame) -> pd.Series:
    """Each event's kind (module rule): easing, chinese_action, us_action or other."""
    us = events["actor"].fillna("").str.contains(US_ACTOR, regex=True)
    kind = np.select(
        [events["type"].eq("easing"), us & events["type"].isin(US_ACTION_TYPES),
         ~us & events["type"].isin(CRACKDOWN_EVENT_TYPES)],
        ["easing", "us_action", "chinese_action"], "other")
    return pd.Series(kind, index=events.index, name="kind")


def period_events(events: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """Events dated in [start, end] with their ``kind``, sorted by date."""
    lo, hi = params.date_range(start, end, names=("period", "period"))
    out = events[events["date"].between(lo, hi)].assign(kind=event_kinds)
    return out.sort_values(["date", "event_id"]).reset_index(drop=True)


def kind_counts(events: pd.DataFrame) -> pd.DataFrame:
    """Events per year and kind (every kind a column, zeros kept)."""
    table = pd.crosstab(events["date"].dt.year.rename("year"), events["kind"])
    return table.reindex(columns=list(EVENT_KINDS), fill_value=0)


# --- listing outcomes ------------------------------------------------------------------------------------------
def _periods(baseline: Sequence[str], period: Sequence[str]) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    b = params.date_range(*baseline, names=("baseline", "baseline"))
    p = params.date_range(*period, names=("period", "period"))
    if b[1] >= p[0]:
        raise CrackdownError(f"baseline: must end before the period starts (baseline {list(baseline)}, "
                             f"period {list(period)})")
    return {"baseline": b, "period": p}


def us_list_status(alignment: pd.DataFrame, firm_ids: pd.Series, on: pd.Series) -> pd.Series:
    """Per row of (``firm_ids``, ``on`` dates): on any US list (:data:`US_LISTS`) as of that date, from the
    latest ``found`` alignment row per indicator with as_of on or before it (False when none)."""
    facts = alignment[alignment["indicator"].isin(US_LISTS) & alignment["status"].eq("found")]
    facts = facts[["firm_id", "indicator", "as_of", "value_num"]]
    rows = pd.DataFrame({"row": np.arange(len(firm_ids)), "firm_id": firm_ids.to_numpy(),
                         "on": pd.to_datetime(on).to_numpy()})
    both = rows.merge(facts, on="firm_id", how="inner")
    both = both[both["as_of"] <= both["on"]].sort_values("as_of")
    latest = both.groupby(["row", "indicator"])["value_num"].last()
    listed = latest.eq(1.0).groupby(level="row").any()
    return pd.Series(listed.reindex(rows["row"], fill_value=False).to_numpy(dtype=bool), index=firm_ids.index,
                     name="us_listed")


def attempt_table(ipos: pd.DataFrame, scored: pd.DataFrame, alignment: pd.DataFrame,
                  baseline: Sequence[str], period: Sequence[str]) -> pd.DataFrame:
    """Every IPO attempt decided (or last moved) in the baseline or the period (module rule), with its
    ``period_label``, ``decided`` date, ``listed``, ``days_to_list``, ``first_day_return``, ``market`` (venue
    family), ``us_listed`` and the firm's ``score``, ``aligned``, ``group``, ``sector_group``, ``is_ai_firm``.
    ``scored``: :func:`crackdown.outcomes.scored_firms` (indexed by firm_id) joined with ``is_ai_firm``."""
    spans = _periods(baseline, period)
    open_ = ipos["outcome"].isin(OPEN_IPO_OUTCOMES)
    decided = ipos["listing_date"].fillna(ipos["outcome_date"]).fillna(
        ipos[["filing_date", "approval_date"]].max(axis=1))
    decided = decided.mask(open_ & decided.isna(), spans["period"][1])
    label = pd.Series(None, index=ipos.index, dtype=object)
    for name, (lo, hi) in spans.items():  # two periods
        label = label.mask(decided.between(lo, hi), name)
    out = ipos.assign(decided=decided, period_label=label).dropna(subset=["period_label"])
    ends = out["period_label"].map({k: v[1] for k, v in spans.items()})
    out["listed"] = out["outcome"].eq("listed") & (out["listing_date"] <= ends)
    out["days_to_list"] = (out["listing_date"] - out["filing_date"]).dt.days.where(out["listed"])
    out["first_day_return"] = out["first_day_close"] / out["offer_price"] - 1
    out["market"] = out["venue"].str.split("(", n=1).str[0].str.strip()
    out["us_listed"] = us_list_status(alignment, out["firm_id"], out["decided"])
    cols = [c for c in ("name", "sector_group", "score", "aligned", "group", "is_ai_firm") if c in scored]
    out = out.join(scored[cols], on="firm_id")
    return out.sort_values(["period_label", "decided", "ipo_id"]).reset_index(drop=True)


def listing_summary(attempts: pd.DataFrame, by: str | Sequence[str]) -> pd.DataFrame:
    """Per period and ``by`` value(s): attempts, listed, share_listed, median days_to_list, median
    first_day_return (n_priced attempts with both prices), and proceeds of listed attempts per currency
    (``raised_<CUR>``, millions; listed attempts without an amount are counted in ``n_no_amount``)."""
    keys = ["period_label", *([by] if isinstance(by, str) else list(by))]
    g = attempts.groupby(keys, observed=True, dropna=False)
    table = pd.DataFrame({
        "attempts": g.size(), "listed": g["listed"].sum().astype(int),
        "median_days_to_list": g["days_to_list"].median(),
        "median_first_day_return": g["first_day_return"].median(),
        "n_priced": g["first_day_return"].count(),
    })
    table["share_listed"] = table["listed"] / table["attempts"]
    listed = attempts[attempts["listed"]]
    raised = listed.pivot_table(index=keys, columns="currency", values="amount", aggfunc="sum", observed=True)
    raised.columns = [f"raised_{c}" for c in raised.columns]
    table = table.join(raised)
    table["n_no_amount"] = listed["amount"].isna().groupby([listed[k] for k in keys]).sum().reindex(
        table.index, fill_value=0).astype(int)
    return table


def venue_regime_table(attempts: pd.DataFrame) -> pd.DataFrame:
    """Attempts per period, venue family and listing regime (regime ``not recorded`` where empty)."""
    frame = attempts.assign(listing_regime=attempts["listing_regime"].fillna("not recorded"))
    return frame.groupby(["period_label", "market", "listing_regime"]).agg(
        attempts=("ipo_id", "size"), listed=("listed", "sum")).astype(int)


# --- the forecast -----------------------------------------------------------------------------------------------
def firm_outcomes(attempts: pd.DataFrame, ai_only: bool = True) -> pd.DataFrame:
    """One row per firm with an attempt in the baseline or the period: ``aligned``, ``group``, ``us_listed`` (any
    attempt), ``listed_baseline`` (an attempt listed by the baseline's end), ``listed_by_end`` (by the period's
    end). ``ai_only``: keep firms with is_ai_firm true or in the aligned AI group."""
    frame = attempts
    if ai_only:
        frame = frame[frame["is_ai_firm"].fillna(False).astype(bool) | frame["group"].eq(ALIGNED)]
    g = frame.groupby("firm_id")
    out = pd.DataFrame({
        "aligned": g["aligned"].first().fillna(False).astype(bool), "group": g["group"].first(),
        "score": g["score"].first(), "us_listed": g["us_listed"].any(),
        "listed_baseline": frame["listed"].where(frame["period_label"].eq("baseline"), False).groupby(
            frame["firm_id"]).any(),
        "listed_by_end": g["listed"].any(),
    })
    return out.sort_values(["aligned", "score"], ascending=False)


def forecast_test(firms: pd.DataFrame) -> dict[str, Any]:
    """Share of aligned versus other firms listed by the period's end, their difference and Fisher's exact
    two-sided p (None when a row or column of the 2x2 table is empty)."""
    table = pd.crosstab(firms["aligned"], firms["listed_by_end"]).reindex(
        index=[True, False], columns=[True, False], fill_value=0)
    n_al, n_other = int(table.loc[True].sum()), int(table.loc[False].sum())
    share_al = table.loc[True, True] / n_al if n_al else np.nan
    share_other = table.loc[False, True] / n_other if n_other else np.nan
    p = None
    if (table.sum(axis=1) > 0).all() and (table.sum(axis=0) > 0).all():
        p = float(stats.fisher_exact(table.to_numpy(), alternative="two-sided")[1])
    diff = float(share_al - share_other) if n_al and n_other else None
    return {"n_aligned": n_al, "n_other": n_other, "listed_aligned": int(table.loc[True, True]),
            "listed_other": int(table.loc[False, True]), "share_aligned": float(share_al),
            "share_other": float(share_other), "difference": diff, "p_value": p,
            "table_2x2": table.to_numpy().tolist()}


def forecast_verdict(test: Mapping[str, Any], alpha: float = 0.05) -> str:
    """held / held in part / did not hold / not testable, from :func:`forecast_test`: held if aligned firms listed
    at least as often as the others and at least half of them listed; did not hold if they listed less often
    and fewer than half did; in part otherwise. A difference with p >= ``alpha`` says so in the statement."""
    if test["difference"] is None:
        return "not testable"
    ahead = test["difference"] >= 0
    most = test["share_aligned"] >= 0.5
    return "held" if ahead and most else "did not hold" if not ahead and not most else "held in part"


def headline(test: Mapping[str, Any], period: Sequence[str]) -> dict[str, Any]:
    """09's headline: listed share of aligned AI firms minus that of other AI firms by the period's end."""
    return Headline(
        label=f"AI firms listed by {period[1]}: aligned minus other (share of firms with an IPO attempt)",
        statistic="difference in listed shares, Fisher's exact test", estimate=test["difference"],
        p_value=test["p_value"], n=test["n_aligned"] + test["n_other"], thesis_sign=FORECAST_SIGN).as_record()


# --- event studies ---------------------------------------------------------------------------------------------
def study_event_sets(events: pd.DataFrame, kinds: Iterable[str]) -> dict[str, pd.DataFrame]:
    """Day-precision events of each kind (``events`` from :func:`period_events`)."""
    kinds = params.subset("event_kinds", list(kinds), EVENT_KINDS, empty_means_all=False)
    day = events[events["date_precision"].eq("day")] if "date_precision" in events else events
    return {k: day[day["kind"].eq(k)].reset_index(drop=True) for k in kinds}


def reaction_summary(r: rx.Reaction, kind: str) -> dict[str, Any]:
    """One event set's result: events used, CAAR per group (eligible pairs), the long-short headline test of
    :func:`crackdown.reaction.headline_choice` (most conservative of events, clusters, calendar time)."""
    used = r.cars[r.cars["eligible"]]
    caar = used.groupby("group", observed=True)["car"].mean()
    n_sec = used.groupby("group", observed=True)["symbol"].nunique()
    tests = rx.inference_tests(r)
    h = rx.headline_choice(tests["long_short"])
    return {"kind": kind, "n_events": int(used["event_id"].nunique()),
            "caar_targeted": float(caar.get(LONG, np.nan)), "caar_aligned": float(caar.get(SHORT, np.nan)),
            "securities_targeted": int(n_sec.get(LONG, 0)), "securities_aligned": int(n_sec.get(SHORT, 0)),
            "long_short": None if h is None else float(h.result.estimate * ((r.window[1] - r.window[0] + 1)
                                                                              if h.name == "calendar_time" else 1)),
            "test": None if h is None else h.name, "t": None if h is None else float(h.result.t),
            "p_value": None if h is None else float(h.result.p_value), "n": 0 if h is None else int(h.result.n)}


def results_record(test: Mapping[str, Any], firms: pd.DataFrame, summary: pd.DataFrame,
                   studies: Sequence[Mapping[str, Any]], kinds: pd.DataFrame, period: Sequence[str],
                   used: Mapping[str, Any], alpha: float = 0.05) -> dict[str, Any]:
    """09's results record: headline, forecast test and verdict, listing summary, event studies (its words and
    answer: :mod:`crackdown.words.after`)."""
    return {
        "headline": headline(test, period),
        "forecast_verdict": forecast_verdict(test, alpha), "forecast_test": dict(test),
        "firms": firms.reset_index().to_dict("records"),
        "listing_summary": summary.reset_index().to_dict("records"),
        "event_studies": list(studies), "events_by_kind": {k: int(v) for k, v in kinds.sum().items()},
        "parameters": dict(used),
    }
