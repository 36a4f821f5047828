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


def register_view(table: pd.DataFrame, themes: Sequence[str] | None = None) -> pd.DataFrame:
    """The register for display: claim, who, kind, verdict, evidence, where it is computed (function and rows)."""
    out = table if themes is None else table[table["theme"].isin(themes)]
    return pd.DataFrame({
        "theme": out["theme"], "claim_id": out["claim_id"], "claim": out["claim"], "who": out["claimant"],
        "kind": out["kind"], "verdict": out["verdict"], "evidence": out["values"].map(evidence_text),
        "computed_by": "crackdown.claims." + out["evaluator"],
        "data_rows": out["rows"].map(lambda r: ", ".join(r[:6]) + (f" (+{len(r) - 6} more)" if len(r) > 6 else "")),
    }).reset_index(drop=True)


def market_by_event(ctx: Context, min_obs: int = 100) -> pd.DataFrame:
    """Mean CAR over the event window per crackdown event for chips and platforms (event x group, plus pairs)."""
    cars = market_test(ctx, min_obs)["car"]
    group = np.where(cars["symbol"].isin(ctx.chips), "chips", "platforms")
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
                   parameters: dict[str, Any]) -> dict[str, Any]:
    """Notebook 07's results: the answer, verdict per claim and counts, aged claims, stalled AI IPOs, the market
    claim's estimates and ``parameters``."""
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
    }


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
    both_hold = spared["verdict"] == market["verdict"] == SUPPORTED
    return (
        f"The article's central contrast {'is borne out' if both_hold else 'holds only in part'}: before it "
        f"appeared, AI firms faced {spared['values']['ai_actions_per_firm']} Chinese enforcement actions per firm "
        f"against {spared['values']['platform_actions_per_firm']} for consumer platforms ({spared['verdict']}), and "
        f"in prices chips minus platforms earned {100 * market['values']['long_short_car']:+.2f}% around the "
        f"crackdown events ({market['verdict']}). Its IPO forecast fared worse: by {until.date()} SenseTime's "
        f"attempt is {ipo['values']['sensetime_status']} and Megvii's is {ipo['values']['megvii_status']} "
        f"({ipo['verdict']})."
    )
