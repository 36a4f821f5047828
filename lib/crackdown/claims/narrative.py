"""Notebook 07's presentation: the register for display, counts per theme, and the computed prose and results
record of the claims evaluated in :mod:`crackdown.claims.evaluators`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crackdown.claims.evaluators import (
    CONTRADICTED,
    NOT_TESTABLE,
    PARTLY,
    SUPPORTED,
    THEMES,
    VERDICT_RANK,
    VERDICTS,
    Context,
    market_test,
    verdict_counts,
)

# ------------------------------------------------------------------------------------------ presentation


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "/".join(map(_fmt, value))
    return str(value)


def evidence_text(values: dict[str, Any]) -> str:
    """Evidence values as one short line: ``key: value; key: value``."""
    return "; ".join(f"{k}: {_fmt(v)}" for k, v in values.items())


def register_view(table: pd.DataFrame, themes: Sequence[str] | None = None,
                  later: pd.DataFrame | None = None) -> pd.DataFrame:
    """The register for display: claim, who, kind, verdict, evidence, where it is computed (function and rows);
    with ``later`` (:func:`evaluate_later`) also ``verdict_later`` next to the verdict."""
    out = table if themes is None else table[table["theme"].isin(themes)]
    later_verdict = {} if later is None else {"verdict_later": out["claim_id"].map(
        later.set_index("claim_id")["verdict_later"])}
    return pd.DataFrame({
        "theme": out["theme"], "claim_id": out["claim_id"], "claim": out["claim"], "who": out["claimant"],
        "kind": out["kind"], "verdict": out["verdict"], **later_verdict, "evidence": out["values"].map(evidence_text),
        "computed_by": "crackdown.claims." + out["evaluator"],
        "data_rows": out["rows"].map(lambda r: ", ".join(r[:6]) + (f" (+{len(r) - 6} more)" if len(r) > 6 else "")),
    }).reset_index(drop=True)


def market_by_event(ctx: Context, min_obs: int = 100) -> pd.DataFrame:
    """Mean CAR over the event window per crackdown event for chips and platforms (event x group, plus pairs)."""
    out = market_test(ctx, min_obs)
    cars = out["car"]
    group = np.where(cars["symbol"].isin(out["chips"]), "chips", "platforms")
    out = cars.assign(group=group).groupby(["event_id", "group"])["car"].agg(["mean", "count"]).unstack("group")
    out.columns = [f"{g}_{stat}" for stat, g in out.columns]
    order = [e for e in ctx.events if e in out.index]
    return out.loc[order]


def verdicts_by_theme(table: pd.DataFrame) -> pd.DataFrame:
    """Claims per theme (rows, in THEMES order) and verdict (columns, in VERDICTS order)."""
    counts = pd.crosstab(table["theme"], table["verdict"])
    return counts.reindex(index=[t for t in THEMES if t in counts.index], columns=list(VERDICTS), fill_value=0)


# ------------------------------------------------------------------------- results and narrative (notebook 07)
MARKET_CLAIM = "hard_tech_market_unaffected"
MARKET_KEYS = ("chips_caar", "chips_p", "platforms_caar", "platforms_p", "long_short_car", "long_short_p", "pairs")


def _ids_or_none(ids: Sequence[str]) -> str:
    return ", ".join(ids) or "none"


def theme_tally(part: pd.DataFrame) -> str:
    """Claims of one theme per verdict, most frequent first: ``"3 supported, 1 contradicted."``."""
    return ", ".join(f"{n} {v}" for v, n in part["verdict"].value_counts().items()) + "."


def market_narrative(table: pd.DataFrame, n_events: int, window: Sequence[int], n_dropped: int) -> str:
    """The market claim's CAARs, long-short return and verdict in one paragraph (markdown); ``n_dropped``:
    security-event pairs left out of the market test."""
    m = table.set_index("claim_id").loc[MARKET_CLAIM]
    v = m["values"]
    return (
        f"Over {n_events} crackdown events, chip firms' mean CAR{list(window)} is **{100 * v['chips_caar']:+.2f}%** "
        f"(portfolio p = {v['chips_p']:.3f}), platforms' **{100 * v['platforms_caar']:+.2f}%** "
        f"(p = {v['platforms_p']:.3g}); long chips / short platforms earns **{100 * v['long_short_car']:+.2f}%** "
        f"(p = {v['long_short_p']:.3g}). Verdict on the market reading of the claim: **{m['verdict']}**."
        + (f" {n_dropped} security-event pairs were left out (too little price history before the event)."
           if n_dropped else "")
    )


def aged_lists(aged: pd.DataFrame, fates: pd.DataFrame) -> dict[str, list[str]]:
    """Claim ids that aged badly / well (:func:`aged_claims`) and AI IPO attempts (:func:`ai_ipo_fates`) failed
    before the article, pending then and stalled or failed by as_of, and listed after it."""
    return {
        "badly": aged.loc[aged["aged"] == "badly", "claim_id"].tolist(),
        "well": aged.loc[aged["aged"] == "well", "claim_id"].tolist(),
        "failed_before": fates.loc[fates["at_article"] == "failed", "ipo_id"].tolist(),
        "stalled": fates.loc[fates["aged_badly"], "ipo_id"].tolist(),
        "listed_after": fates.loc[(fates["at_article"] != "listed") & (fates["at_as_of"] == "listed"),
                                  "ipo_id"].tolist(),
    }


def aged_narrative(aged: pd.DataFrame, fates: pd.DataFrame, article: pd.Timestamp, until: pd.Timestamp) -> str:
    """What changed between the article and ``until``: claims that aged badly or well, fates of AI IPOs."""
    a = aged_lists(aged, fates)
    return (
        f"Between {article.date()} and {until.date()}, **{len(a['badly'])}** claim(s) aged badly "
        f"({_ids_or_none(a['badly'])}) and **{len(a['well'])}** aged well ({_ids_or_none(a['well'])}). "
        f"AI-firm IPO attempts pending at the article and stalled or failed by {until.date()}: "
        f"{_ids_or_none(a['stalled'])}; already failed before the article was written: "
        f"{_ids_or_none(a['failed_before'])}; listed after it: {_ids_or_none(a['listed_after'])}."
    )


def results_record(table: pd.DataFrame, aged: pd.DataFrame, fates: pd.DataFrame, article: pd.Timestamp,
                   parameters: dict[str, Any], later: pd.DataFrame | None = None,
                   later_date: pd.Timestamp | None = None) -> dict[str, Any]:
    """Notebook 07's results: the answer, verdict per claim and counts, aged claims, stalled AI IPOs, the market
    claim's estimates and ``parameters``; with ``later`` (:func:`evaluate_later` up to ``later_date``) also
    ``verdicts_later``, ``counts_later``, ``as_of_later`` and the forecasts' verdicts at both dates."""
    counts = verdict_counts(table)
    a = aged_lists(aged, fates)
    values = table.set_index("claim_id").loc[MARKET_CLAIM, "values"]
    answer = (f"{counts[SUPPORTED]} of {len(table)} claims supported, {counts[PARTLY]} partly, "
              f"{counts[CONTRADICTED]} contradicted, {counts[NOT_TESTABLE]} not testable; "
              f"aged badly since {article.date()}: {_ids_or_none(a['badly'])}")
    return {
        "answer": answer,
        "verdicts": dict(zip(table["claim_id"], table["verdict"], strict=True)),
        "counts": counts,
        "n_claims": len(table),
        "aged_badly": a["badly"],
        "aged_well": a["well"],
        "ai_ipos_stalled_or_failed_since": a["stalled"],
        "market": {k: values[k] for k in MARKET_KEYS},
        "parameters": parameters,
        **({} if later is None else later_record(later, later_date)),
    }


def later_record(later: pd.DataFrame, later_date: pd.Timestamp | None) -> dict[str, Any]:
    """The as-of-later part of 07's record: verdict per claim at the later date, counts, changes, and per forecast
    both verdicts."""
    forecasts = later[later["kind"] == "forecast"]
    return {
        "as_of_later": None if later_date is None else pd.Timestamp(later_date).date().isoformat(),
        "verdicts_later": dict(zip(later["claim_id"], later["verdict_later"], strict=True)),
        "counts_later": verdict_counts(later.assign(verdict=later["verdict_later"])),
        "changed_later": later.loc[later["change"] != "same", "claim_id"].tolist(),
        "forecasts": {c: {"as_of": v, "as_of_later": w} for c, v, w in zip(
            forecasts["claim_id"], forecasts["verdict"], forecasts["verdict_later"], strict=True)},
    }


def later_narrative(later: pd.DataFrame, as_of: pd.Timestamp, later_date: pd.Timestamp) -> str:
    """The forecasts' verdicts at ``as_of`` and at ``later_date`` side by side, and which claims moved (markdown)."""
    forecasts = later[later["kind"] == "forecast"]
    items = "; ".join(f"{r.claim_id}: {r.verdict} -> {r.verdict_later}" for r in forecasts.itertuples())
    moved = later[later["change"] != "same"]
    return (f"With the period extended from {as_of.date()} to {pd.Timestamp(later_date).date()}, the "
            f"{len(forecasts)} forecast(s) read: {items or 'none'}. {len(moved)} claim(s) change verdict "
            f"({', '.join(f'{r.claim_id} {r.change}' for r in moved.itertuples()) or 'none'}).")


def verdict_narrative(table: pd.DataFrame, aged: pd.DataFrame) -> str:
    """How many testable claims hold, hold in part or are contradicted (naming them), and how many aged badly."""
    counts = verdict_counts(table)
    badly = aged.loc[aged["aged"] == "badly", "claim_id"].tolist()
    partly = table.loc[table["verdict"] == PARTLY, "claim_id"].tolist()
    contradicted = table.loc[table["verdict"] == CONTRADICTED, "claim_id"].tolist()
    return (
        f"Of the {len(table) - counts[NOT_TESTABLE]} claims the data can test, **{counts[SUPPORTED]}** hold as "
        f"stated, **{counts[PARTLY]}** hold only in part ({_ids_or_none(partly)}) and **{counts[CONTRADICTED]}** "
        f"are contradicted ({_ids_or_none(contradicted)}). {counts[NOT_TESTABLE]} claims need data the project "
        f"does not hold. Since the article, {len(badly)} claim(s) aged badly ({_ids_or_none(badly)})."
    )


def contrast_narrative(table: pd.DataFrame, until: pd.Timestamp) -> str:
    """The article's central contrast (AI firms spared, in enforcement and in prices) and its IPO forecast."""
    by_id = table.set_index("claim_id")
    spared, ipo = by_id.loc["ai_unicorns_untouched"], by_id.loc["ai_unicorns_proceed_with_ipos"]
    market = by_id.loc[MARKET_CLAIM]
    held = [spared["verdict"] == SUPPORTED, market["verdict"] == SUPPORTED]
    contrast = "is borne out" if all(held) else ("is not borne out" if not any(
        v in (SUPPORTED, PARTLY) for v in (spared["verdict"], market["verdict"])) else "holds only in part")
    ranks = [VERDICT_RANK.get(v) for v in (spared["verdict"], market["verdict"], ipo["verdict"])]
    if None in ranks:
        fared = "Its IPO forecast:"
    else:
        fared = ("Its IPO forecast fared worse:" if ranks[2] < min(ranks[:2]) else "Its IPO forecast fared better:"
                 if ranks[2] > max(ranks[:2]) else "Its IPO forecast fared as well as the contrast's parts:"
                 if ranks[2] == ranks[0] == ranks[1] else "Its IPO forecast fared between the two:")
    return (
        f"The article's central contrast {contrast}: before it "
        f"appeared, AI firms faced {spared['values']['ai_actions_per_firm']} Chinese enforcement actions per firm "
        f"against {spared['values']['platform_actions_per_firm']} for consumer platforms ({spared['verdict']}), and "
        f"in prices chips minus platforms earned {100 * market['values']['long_short_car']:+.2f}% around the "
        f"crackdown events ({market['verdict']}). {fared} by {until.date()} SenseTime's "
        f"attempt is {ipo['values']['sensetime_status']} and Megvii's is {ipo['values']['megvii_status']} "
        f"({ipo['verdict']})."
    )
