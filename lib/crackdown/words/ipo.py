"""Notebook 05's words (IPO outcomes), from its record (:func:`crackdown.outcomes.ipo_record`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crackdown.text import code_words, fmt_p
from crackdown.words import name, named

CODINGS = {"as_listed": "as listed", "punished_within_year": "listings punished within a year counted as failures",
           "one_per_firm_date": "simultaneous attempts of one firm counted once",
           "beijing_cause": "success = not stopped by Beijing (the cause that bears on the thesis)"}


def _comparison(record: Mapping[str, Any]) -> str:
    sa, sn = record["listed_share_aligned"], record["listed_share_not_aligned"]
    return ("aligned firms listed more often" if sa > sn else "aligned firms listed less often" if sa < sn
            else "aligned and other firms listed equally often")


def _why(cases: list[Mapping[str, str]], names: Mapping[str, str]) -> str:
    """"attempt (outcome; what delayed it)" per attempt, or "none"."""
    return ", ".join(f"{name(c['ipo_id'], names)} ({c['outcome']}; {code_words(c['delayed_by'])})"
                     for c in cases) or "none"


def answer(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One line: did aligned firms list more often, with the 2x2 counts and Fisher's test."""
    sa, sn, p = record["listed_share_aligned"], record["listed_share_not_aligned"], record["p_value"]
    lead = "Yes" if sa > sn and p < 0.05 else "Not clearly" if sa > sn else "No"
    (a, b), (c, d) = record["table_2x2"]
    odds = record["odds_ratio"]
    return (f"{lead}: {_comparison(record)} ({a}/{a + b} aligned vs {c}/{c + d} other attempts listed; Fisher odds "
            f"ratio {float('inf') if odds is None else odds:.2f}, p {p:.3f})")


def narrative(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Notebook 05's "What this shows" (markdown)."""
    first_year, last_year = record["years"]
    p = record["p_value"]
    odds = float("inf") if record["odds_ratio"] is None else record["odds_ratio"]
    significant = "significant at 5%" if p < 0.05 else "not significant at 5%"
    attempts = record["attempts_by_group"]
    return "\n\n".join([
        f"Of **{record['n_attempts']} IPO attempts** by {record['n_firms']} firms with a first step in "
        f"{first_year}-{last_year}, {record['n_listed']} listed by the end of {last_year}. "
        f"Aligned firms listed {record['listed_share_aligned']:.0%} of their attempts, the others "
        f"{record['listed_share_not_aligned']:.0%}: **{_comparison(record)}**. "
        f"Fisher's exact test gives an odds ratio of {odds:.2f} with two-sided p = {p:.3f} "
        f"({significant}; attempts of one firm are not independent).",
        f"Aligned firms whose IPO did not list: {_why(record['aligned_failed_cases'], names)}.",
        f"Targeted-platform attempts that did not list: {_why(record['targeted_failed_cases'], names)}; "
        f"{len(record['targeted_listed'])} targeted-platform attempts listed "
        f"({named(record['targeted_listed_firms'], names)}).",
        "Listed share by group: " + ", ".join(f"{code_words(g)} {v:.0%} of {attempts[g]}"
                                              for g, v in record["listed_share_by_group"].items()) + ".",
    ])


def coding(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Markdown: the Fisher test under each coding of success (``by_coding``) and the failed attempts' causes."""
    by_coding = record["by_coding"]
    parts = []
    for key in [*[k for k in CODINGS if k in by_coding], *[k for k in by_coding if k not in CODINGS]]:
        e = by_coding[key]
        shares = f"aligned {e['listed_share_aligned']:.0%} vs others {e['listed_share_not_aligned']:.0%} succeeded"
        test = (f"Fisher p {fmt_p(e['p_value'])}, odds ratio {e['odds_ratio']:.2f}" if e.get("p_value") is not None
                and e.get("odds_ratio") is not None else
                f"Fisher p {fmt_p(e.get('p_value'))}" if e.get("p_value") is not None else "not testable")
        parts.append(f"**{CODINGS.get(key, key)}**: {shares} ({test}; n = {e['n_attempts']})")
    causes = record.get("failed_causes_as_listed") or []
    cause_text = ", ".join(f"{code_words(c)} {n}" for c, n in causes) or "none"
    return ("Under each coding of success: " + "; ".join(parts) + f". Causes of the failed attempts as listed: "
            f"{cause_text}.")
