"""Notebook 00's words (the summary), from its record (:func:`crackdown.summary.summary_record`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crackdown.words import name, named


def answer(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """A one-line answer from the verdict counts (no line of evidence is weighted above another)."""
    counts = record["counts"]
    ran = counts["supports"] + counts["contradicts"] + counts["inconclusive"]
    if ran == 0:
        return "No line of evidence has been computed yet: run the analysis notebooks first."
    if counts["supports"] and not counts["contradicts"]:
        lead = "The evidence leans towards the thesis"
    elif counts["contradicts"] and not counts["supports"]:
        lead = "The evidence leans against the thesis"
    elif counts["supports"] and counts["contradicts"]:
        lead = "The evidence is mixed"
    else:
        lead = "The evidence is inconclusive"
    return (f"{lead}: {counts['supports']} of {ran} independent lines support it, {counts['contradicts']} contradict "
            f"it, {counts['inconclusive']} are inconclusive at the chosen significance level, after a "
            f"{record['adjustment']} adjustment of the p-values across the {ran} lines (one vote per line; each "
            "line's p-value is its notebook's most conservative defensible test).")


def robustness(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Markdown: for each line with a robustness notebook, its share of specifications with the thesis' sign,
    the share significant with it and the permutation p (read from the evidence rows)."""
    parts = [f"{r['line_of_evidence']}: {r['robustness_share_thesis_sign']:.0%} of {int(r['robustness_n_specs']):,} "
             f"specifications ({r['robustness_notebook']}) have the thesis' sign, "
             f"{r['robustness_share_significant_thesis']:.0%} with it and significant, permutation p = "
             f"{r['robustness_permutation_p']:.3f}"
             for r in record["evidence"] if r.get("robustness_notebook")]
    return ("Robustness (reported with its line, not a vote of its own): " + "; ".join(parts) + ".") if parts else ""


def answer_box(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """The summary's opening line: the answer and the robustness of the lines that have it."""
    return f"**Answer.** {answer(record, names)} {robustness(record, names)}"


def findings(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One bullet per published notebook with its answer, linked to its page."""
    return "\n".join(f"- **[{a['notebook']}]({a['notebook']}.html)**: {a['answer']}" for a in record["answers"])


def claims(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """The claims register in one sentence (07's counts and the claims aged badly)."""
    if record["claims_n"] is None:
        return "The claims register (07_article_claims) has not run."
    return (f"Of the article's {record['claims_n']} checkable claims, "
            + ", ".join(f"{n} {verdict}" for verdict, n in record["claims_counts"].items() if n)
            + ". Claims that have aged badly since the article: "
            + ("; ".join(f"“{name(c, names)}”" for c in record["claims_aged_badly"]) or "none") + " (see [07_article_claims](07_article_claims.html)).")


def caveats(record: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """The caveats the report must carry, each worded from the record's ``caveat_facts``."""
    facts, notes = record["caveat_facts"], []
    market = facts.get("market")
    if market:
        notes.append(
            f"Few firms: the market evidence compares {market['aligned_securities']} aligned AI securities with "
            f"{market['targeted_securities']} targeted platform securities; one firm can move a group's average.")
        rule = market["group_rule"]
        notes.append(
            f"How groups were chosen: firms are grouped by the rule '{rule}' (sector groups of data/firms.csv"
            + (", with AI firms counted as aligned only when their alignment score passes the threshold"
               if rule == "score" else "")
            + "); the robustness notebook varies this choice.")
    alignment = facts.get("alignment")
    if alignment:
        weight = alignment["sanctions_weight"]
        counted = ("the index counts sanctions as a marker of alignment (weight "
                   f"{weight:.2f})" if weight else "the index does not count sanctions as alignment (weight 0); "
                   "the market study keeps them as a variable of their own")
        on_lists = alignment["on_us_lists"]
        notes.append(
            f"US sanctions as a confounder: {len(on_lists)} of the {len(alignment['aligned_firms'])} firms the index "
            f"counts as aligned were on a US list by {alignment['as_of']} ({named(on_lists, names)}); their IPO "
            f"delays and price moves mix Washington's pressure with Beijing's; {counted}.")
        if alignment["n_firms_at_most_one_fact"] is not None:
            notes.append(
                f"Thin alignment data: {alignment['n_firms_at_most_one_fact']} of {alignment['n_firms']} firms have at "
                "most one recorded alignment fact, so a missing fact usually means 'not found', not 'absent'.")
    easing = facts.get("easing")
    if easing:
        notes.append(
            f"Easing: the data hold {easing['n_events']} easing events from {easing['first']} to {easing['last']}; "
            f"windows that reach past {easing['first']} mix crackdown and easing.")
    return notes


def recorded(record: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Entries the summary records in its words: the caveats."""
    return {"caveats": caveats(record, names)}


def narrative(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Notebook 00's closing "what this shows": the answer, the lines on each side, robustness."""
    rows = record["evidence"]

    def lines(verdict: str) -> list[str]:
        return [r["line_of_evidence"] for r in rows if r["verdict"] == verdict]

    supporting, against, unclear = lines("supports"), lines("contradicts"), lines("inconclusive")
    return (f"{answer(record, names)} "
            + (f"Supporting: {'; '.join(supporting)}. " if supporting else "")
            + (f"Against: {'; '.join(against)}. " if against else "")
            + (f"Inconclusive: {'; '.join(unclear)}. " if unclear else "")
            + robustness(record, names) + " Read each verdict with the caveats above.")
