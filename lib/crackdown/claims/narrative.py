"""Notebook 07's presentation: the register for display, counts per theme, and the results record of the claims
evaluated in :mod:`crackdown.claims.evaluators` (its words: :mod:`crackdown.words.claims`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crackdown.claims.evaluators import (
    THEMES,
    VERDICTS,
    Context,
    market_test,
    verdict_counts,
)
from crackdown.text import code_words

# ------------------------------------------------------------------------------------------ presentation


def _fmt(value: Any, names: Mapping[str, str] | None = None) -> str:
    names = names or {}
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{names.get(k, k)} {_fmt(v, names)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "/".join(_fmt(v, names) for v in value) if all(isinstance(v, int | float) for v in value) else \
            ", ".join(_fmt(v, names) for v in value)
    if isinstance(value, str):
        return names.get(value, code_words(value))
    return str(value)


def evidence_text(values: dict[str, Any], names: Mapping[str, str] | None = None) -> str:
    """Evidence values as one short line a reader can follow: ``key words: value; key words: value`` (a key's
    underscores as spaces, true/false as yes/no, a list of numbers as ``a/b``, other lists comma-separated, ids
    found in ``names``, such as firm ids, as their names, and keys and other codes as words
    (:func:`crackdown.text.code_words`: ``shelved_by_beijing`` -> ``shelved by Beijing``))."""
    return "; ".join(f"{code_words(k)}: {_fmt(v, names)}" for k, v in values.items())


def register_view(table: pd.DataFrame, themes: Sequence[str] | None = None,
                  later: pd.DataFrame | None = None, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The register for display: claim, who, kind, verdict, evidence (:func:`evidence_text`, ids named by
    ``names``), where it is computed (function and rows); with ``later`` (:func:`evaluate_later`) also
    ``verdict_later`` next to the verdict."""
    out = table if themes is None else table[table["theme"].isin(themes)]
    later_verdict = {} if later is None else {"verdict_later": out["claim_id"].map(
        later.set_index("claim_id")["verdict_later"])}
    return pd.DataFrame({
        "theme": out["theme"], "claim_id": out["claim_id"], "claim": out["claim"], "who": out["claimant"],
        "kind": out["kind"], "verdict": out["verdict"], **later_verdict, "evidence": out["values"].map(lambda v: evidence_text(v, names)),
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


# -------------------------------------------------------------------------------------- results (notebook 07)
MARKET_CLAIM = "hard_tech_market_unaffected"
MARKET_KEYS = ("chips_caar", "chips_p", "platforms_caar", "platforms_p", "long_short_car", "long_short_p", "pairs")


def theme_tally(part: pd.DataFrame) -> str:
    """Claims of one theme per verdict, most frequent first: ``"3 supported, 1 contradicted."``."""
    return ", ".join(f"{n} {v}" for v, n in part["verdict"].value_counts().items()) + "."


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


def market_record(table: pd.DataFrame, n_events: int | None = None, n_dropped: int | None = None) -> dict[str, Any]:
    """The market claim's part of 07's record: its estimates (:data:`MARKET_KEYS`), its verdict, the crackdown
    events tested (``n_events``) and the security-event pairs left out (``n_dropped``)."""
    m = table.set_index("claim_id").loc[MARKET_CLAIM]
    return {"market": {k: m["values"][k] for k in MARKET_KEYS}, "market_verdict": m["verdict"],
            "market_n_events": n_events, "market_n_dropped": n_dropped}


def aged_record(aged: pd.DataFrame, fates: pd.DataFrame) -> dict[str, Any]:
    """07's record of what changed since the article (:func:`aged_lists`): claims that aged badly or well and the
    AI IPO attempts stalled or failed since, failed before and listed after it."""
    a = aged_lists(aged, fates)
    return {"aged_badly": a["badly"], "aged_well": a["well"], "ai_ipos_stalled_or_failed_since": a["stalled"],
            "ai_ipos_failed_before": a["failed_before"], "ai_ipos_listed_after": a["listed_after"]}


CONTRAST = {"ai_unicorns_untouched": ("ai_actions_per_firm", "platform_actions_per_firm"),
            "ai_unicorns_proceed_with_ipos": ("sensetime_status", "megvii_status")}  # claim -> values the contrast reads


def results_record(table: pd.DataFrame, aged: pd.DataFrame, fates: pd.DataFrame, article: pd.Timestamp,
                   parameters: dict[str, Any], later: pd.DataFrame | None = None,
                   later_date: pd.Timestamp | None = None, market_events: int | None = None,
                   market_dropped: int | None = None) -> dict[str, Any]:
    """Notebook 07's results: verdict per claim (and the claims in register order) and counts, aged claims
    (:func:`aged_record`), the market claim (:func:`market_record`; ``market_events`` tested,
    ``market_dropped`` pairs left out), the values the article's central contrast reads and ``parameters``; with
    ``later`` (:func:`evaluate_later` up to ``later_date``) also :func:`later_record` (its words and answer:
    :mod:`crackdown.words.claims`)."""
    by_id = table.set_index("claim_id")
    contrast = ({c: {k: by_id.loc[c, "values"][k] for k in keys} for c, keys in CONTRAST.items()}
                if set(CONTRAST) <= set(by_id.index) else None)
    return {
        "verdicts": dict(zip(table["claim_id"], table["verdict"], strict=True)),
        "claim_order": table["claim_id"].tolist(),
        "counts": verdict_counts(table),
        "n_claims": len(table),
        "article_date": pd.Timestamp(article).date().isoformat(),
        **aged_record(aged, fates),
        **market_record(table, market_events, market_dropped),
        "contrast_values": contrast,
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
        "forecast_order": forecasts["claim_id"].tolist(),
        "changes_later": dict(zip(later.loc[later["change"] != "same", "claim_id"],
                                  later.loc[later["change"] != "same", "change"], strict=True)),
    }


