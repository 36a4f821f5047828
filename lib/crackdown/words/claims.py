"""Notebook 07's words (the article's claims), from its record (:func:`crackdown.claims.results_record`, whose
parts :func:`crackdown.claims.market_record`, :func:`~crackdown.claims.aged_record` and
:func:`~crackdown.claims.later_record` also feed the paragraphs shown before it is written). Claims appear by their
label (the claim in our words, :func:`crackdown.display.claim_labels`, in quotes); IPO attempts and firms by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crackdown.claims.evaluators import CONTRADICTED, NOT_TESTABLE, PARTLY, SUPPORTED, VERDICT_RANK
from crackdown.words import name, named


def _ids(ids: list[str], names: Mapping[str, str]) -> str:
    """Claims by their labels, each in quotes, joined by semicolons ("none" when empty)."""
    return "; ".join(f"“{name(c, names)}”" for c in ids) or "none"


def answer(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One line: claims per verdict and those aged badly since the article."""
    counts = record["counts"]
    return (f"{counts[SUPPORTED]} of {record['n_claims']} claims supported, {counts[PARTLY]} partly, "
            f"{counts[CONTRADICTED]} contradicted, {counts[NOT_TESTABLE]} not testable; "
            f"aged badly since {record['article_date']}: {_ids(record['aged_badly'], names)}")


def market(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """The market claim's CAARs, long-short return and verdict in one paragraph (markdown)."""
    v, window, dropped = record["market"], record["parameters"]["event_window"], record["market_n_dropped"]
    return (
        f"Over {record['market_n_events']} crackdown events, chip firms' mean CAR{list(window)} is "
        f"**{100 * v['chips_caar']:+.2f}%** (portfolio p = {v['chips_p']:.3f}), platforms' "
        f"**{100 * v['platforms_caar']:+.2f}%** (p = {v['platforms_p']:.3g}); long chips / short platforms earns "
        f"**{100 * v['long_short_car']:+.2f}%** (p = {v['long_short_p']:.3g}). Verdict on the market reading of "
        f"the claim: **{record['market_verdict']}**."
        + (f" {dropped} security-event pairs were left out (too little price history before the event)."
           if dropped else "")
    )


def aged(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """What changed between the article and ``as_of``: claims that aged badly or well, fates of AI IPOs."""
    p = record["parameters"]
    return (
        f"Between {p['article_date']} and {p['as_of']}, **{len(record['aged_badly'])}** claim(s) aged badly "
        f"({_ids(record['aged_badly'], names)}) and **{len(record['aged_well'])}** aged well "
        f"({_ids(record['aged_well'], names)}). "
        f"AI-firm IPO attempts pending at the article and stalled or failed by {p['as_of']}: "
        f"{named(record['ai_ipos_stalled_or_failed_since'], names)}; already failed before the article was "
        f"written: {named(record['ai_ipos_failed_before'], names)}; listed after it: "
        f"{named(record['ai_ipos_listed_after'], names)}."
    )


def later(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """The forecasts' verdicts at ``as_of`` and at ``as_of_later`` side by side, and which claims moved."""
    forecasts, changes = record["forecasts"], record["changes_later"]
    items = "; ".join(f"“{name(c, names)}”: {forecasts[c]['as_of']} -> {forecasts[c]['as_of_later']}"
                      for c in record["forecast_order"])
    moved = record["changed_later"]
    return (f"With the period extended from {record['parameters']['as_of']} to {record['as_of_later']}, the "
            f"{len(forecasts)} forecast(s) read: {items or 'none'}. {len(moved)} claim(s) change verdict "
            f"({'; '.join(f'“{name(c, names)}” {changes[c]}' for c in moved) or 'none'}).")


def _verdicts(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    counts, verdicts, order = record["counts"], record["verdicts"], record["claim_order"]
    partly = [c for c in order if verdicts[c] == PARTLY]
    contradicted = [c for c in order if verdicts[c] == CONTRADICTED]
    badly = record["aged_badly"]
    return (
        f"Of the {record['n_claims'] - counts[NOT_TESTABLE]} claims the data can test, **{counts[SUPPORTED]}** hold "
        f"as stated, **{counts[PARTLY]}** hold only in part ({_ids(partly, names)}) and **{counts[CONTRADICTED]}** "
        f"are contradicted ({_ids(contradicted, names)}). {counts[NOT_TESTABLE]} claims need data the project "
        f"does not hold. Since the article, {len(badly)} claim(s) aged badly ({_ids(badly, names)})."
    )


def contrast(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """The article's central contrast (AI firms spared, in enforcement and in prices) and its IPO forecast."""
    verdicts, values = record["verdicts"], record["contrast_values"]
    spared_v, ipo_v, market_v = (verdicts["ai_unicorns_untouched"], verdicts["ai_unicorns_proceed_with_ipos"],
                                 record["market_verdict"])
    spared, ipo = values["ai_unicorns_untouched"], values["ai_unicorns_proceed_with_ipos"]
    held = [spared_v == SUPPORTED, market_v == SUPPORTED]
    result = "is borne out" if all(held) else ("is not borne out" if not any(
        v in (SUPPORTED, PARTLY) for v in (spared_v, market_v)) else "holds only in part")
    ranks = [VERDICT_RANK.get(v) for v in (spared_v, market_v, ipo_v)]
    if None in ranks:
        fared = "Its IPO forecast:"
    else:
        fared = ("Its IPO forecast fared worse:" if ranks[2] < min(ranks[:2]) else "Its IPO forecast fared better:"
                 if ranks[2] > max(ranks[:2]) else "Its IPO forecast fared as well as the contrast's parts:"
                 if ranks[2] == ranks[0] == ranks[1] else "Its IPO forecast fared between the two:")
    return (
        f"The article's central contrast {result}: before it "
        f"appeared, AI firms faced {spared['ai_actions_per_firm']} Chinese enforcement actions per firm "
        f"against {spared['platform_actions_per_firm']} for consumer platforms ({spared_v}), and "
        f"in prices chips minus platforms earned {100 * record['market']['long_short_car']:+.2f}% around the "
        f"crackdown events ({market_v}). {fared} by {record['parameters']['as_of']} SenseTime's "
        f"attempt is {ipo['sensetime_status']} and Megvii's is {ipo['megvii_status']} ({ipo_v})."
    )


def narrative(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Notebook 07's "What this shows": the verdicts (naming the claims that hold in part or are contradicted)
    and the article's central contrast."""
    return _verdicts(record, names) + "\n\n" + contrast(record, names)
