"""Notebook 09's words (after the crackdown), from its record (:func:`crackdown.after.results_record`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crackdown.text import code_words, fmt_p, pct
from crackdown.words import name


def _statement(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Did the article's forecast hold by the period's end (markdown, every number from the record)."""
    test, period, alpha = record["forecast_test"], record["parameters"]["period"], record["parameters"]["alpha"]
    firms = record["firms"]
    aligned = ", ".join(f"{name(f['firm_id'], names)} ({'listed' if f['listed_by_end'] else 'not listed'})"
                        for f in firms if f["aligned"])
    us = [f for f in firms if f["us_listed"]]
    counts = record["events_by_kind"]
    p = "no test" if test["p_value"] is None else f"Fisher p {fmt_p(test['p_value'])}"
    sig = "" if test["p_value"] is None or test["p_value"] < alpha else " (not significant at the chosen level)"
    return (f"**The article's forecast {record['forecast_verdict']} by {period[1]}.** Of {test['n_aligned']} AI "
            f"firms scored aligned with an IPO attempt, {test['listed_aligned']} had listed ({aligned or 'none'}); of "
            f"{test['n_other']} other AI firms with an attempt, {test['listed_other']} had "
            f"({pct(test['share_other']) if test['n_other'] else 'n/a'}); {p}{sig}. "
            f"{sum(bool(f['listed_by_end']) for f in us)} of {len(us)} AI firms on a US list listed. Over the period "
            f"the data hold {counts.get('chinese_action', 0)} Chinese actions, {counts.get('easing', 0)} easing "
            f"signals and {counts.get('us_action', 0)} US actions.")


def answer(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """The plain answer: did the article's forecast hold by the period's end."""
    return _statement(record, names).replace("**", "")


def narrative(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Notebook 09's "What this shows" (markdown): the answer, in bold where it states the verdict."""
    return _statement(record, names)


def studies(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One line per event set of ``event_studies`` (window: ``parameters["window"]``)."""
    window = record["parameters"]["window"]
    lines = []
    for s in record["event_studies"]:
        if s["long_short"] is None:
            lines.append(f"- {code_words(s['kind'])}: no long-short estimate ({s['n_events']} events with "
                         f"eligible pairs; {s['securities_aligned']} aligned AI securities priced).")
            continue
        lines.append(f"- {code_words(s['kind'])}: over {s['n_events']} events, targeted platforms' CAR "
                     f"({window[0]},{window[1]}) averaged {pct(s['caar_targeted'])} and aligned AI firms' "
                     f"{pct(s['caar_aligned'])} ({s['securities_aligned']} aligned securities); long-short "
                     f"{pct(s['long_short'])}, {code_words(s['test'])} t = {s['t']:.2f}, p {fmt_p(s['p_value'])}, "
                     f"n = {s['n']}.")
    return "\n".join(lines)
