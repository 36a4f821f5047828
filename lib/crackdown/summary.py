"""The report's answer: the headline of each line of evidence, read from the notebooks' results, with a verdict.

Each analysis notebook writes a ``headline`` into its results file (see :mod:`crackdown.results`):
``{"label", "statistic", "estimate", "p_value", "n", "thesis_sign"}``, where ``thesis_sign`` is the sign the
estimate has if the thesis (aligned firms were spared) is right. The verdict is computed here, the same way for
every line: significant at ``alpha`` with the thesis' sign -> supports; significant with the other sign ->
contradicts; otherwise inconclusive. Nothing is typed in: a notebook that has not run shows as "not run".
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from crackdown import paths
from crackdown.errors import CrackdownError
from crackdown.results import read_results

# Lines of evidence, in the order the summary shows them: notebook -> what it tests.
EVIDENCE = {
    "04_market_reaction": "Market reaction to crackdown events (targeted platforms minus aligned AI firms)",
    "08_robustness": "Robustness of the market result across analysis choices",
    "05_ipo_outcomes": "IPO outcomes by alignment",
    "06_enforcement": "Enforcement intensity against alignment",
    "09_after_the_crackdown": "AI-firm listings by 2026 by alignment (the article's forecast)",
}
VERDICTS = ("supports", "contradicts", "inconclusive", "not run")


def verdict(estimate: float | None, p_value: float | None, thesis_sign: int, alpha: float = 0.05) -> str:
    """supports / contradicts / inconclusive for one estimate, its p-value and the sign the thesis predicts."""
    if not 0 < alpha < 1:
        raise CrackdownError(f"alpha: must be in (0, 1), got {alpha!r}")
    if thesis_sign not in (-1, 1):
        raise CrackdownError(f"thesis_sign: must be -1 or 1, got {thesis_sign!r}")
    if estimate is None or p_value is None or any(math.isnan(float(v)) for v in (estimate, p_value)):
        return "inconclusive"
    if p_value >= alpha or estimate == 0:
        return "inconclusive"
    return "supports" if math.copysign(1, estimate) == thesis_sign else "contradicts"


def direction(estimate: float | None, thesis_sign: int) -> str:
    """Whether an estimate points the way the thesis predicts, whatever its significance."""
    if estimate is None or math.isnan(float(estimate)) or estimate == 0:
        return "no direction"
    return "as the thesis predicts" if math.copysign(1, estimate) == thesis_sign else "against the thesis"


def _published(notebook: str) -> dict[str, Any] | None:
    return read_results(notebook) if (paths.results_dir() / f"{notebook}.json").exists() else None


def evidence_table(alpha: float = 0.05, notebooks: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per line of evidence: its headline statistic, estimate, p-value, n and computed verdict."""
    rows = []
    for notebook, line in (notebooks or EVIDENCE).items():
        results = _published(notebook)
        headline = (results or {}).get("headline")
        if not headline:
            rows.append({"line_of_evidence": line, "notebook": notebook, "verdict": "not run"})
            continue
        rows.append({
            "line_of_evidence": line,
            "notebook": notebook,
            "statistic": headline.get("statistic", headline.get("label", "")),
            "estimate": headline.get("estimate"),
            "p_value": headline.get("p_value"),
            "n": headline.get("n"),
            "thesis_sign": headline["thesis_sign"],
            "verdict": verdict(headline.get("estimate"), headline.get("p_value"), headline["thesis_sign"], alpha),
            "direction": direction(headline.get("estimate"), headline["thesis_sign"]),
            "answer": results.get("answer", ""),
        })
    columns = ["line_of_evidence", "notebook", "statistic", "estimate", "p_value", "n", "thesis_sign", "direction",
               "verdict", "answer"]
    return pd.DataFrame(rows).reindex(columns=columns)


def verdict_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many lines of evidence support, contradict, are inconclusive or have not run."""
    counts = table["verdict"].value_counts()
    return {v: int(counts.get(v, 0)) for v in VERDICTS}


def overall_answer(counts: dict[str, int]) -> str:
    """A one-line answer from the verdict counts (no line of evidence is weighted above another)."""
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
    return (f"{lead}: {counts['supports']} of {ran} lines support it, {counts['contradicts']} contradict it, "
            f"{counts['inconclusive']} are inconclusive at the chosen significance level.")


def published_results(notebooks: list[str]) -> dict[str, dict[str, Any]]:
    """The results of those ``notebooks`` that have run (others are left out)."""
    return {n: r for n in notebooks if (r := _published(n)) is not None}


def caveats(results: dict[str, dict[str, Any]]) -> list[str]:
    """The caveats the report must carry, each worded from computed values (results files and the data)."""
    from crackdown.alignment import indicator_matrix
    from crackdown.data import load_events

    notes = []
    market = results.get("04_market_reaction")
    if market:
        n = {g: v.get("securities", 0) for g, v in market.get("n_by_group", {}).items()}
        rule = market.get("parameters", {}).get("group_rule", "sector")
        notes.append(
            f"Few firms: the market evidence compares {n.get('aligned_ai', 0)} aligned AI securities with "
            f"{n.get('targeted_platform', 0)} targeted platform securities; one firm can move a group's average."
        )
        notes.append(
            f"How groups were chosen: firms are grouped by the rule '{rule}' (sector groups of data/firms.csv"
            + (", with AI firms counted as aligned only when their alignment score passes the threshold" if rule == "score" else "")
            + "); the robustness notebook varies this choice."
        )
    alignment = results.get("03_alignment_index")
    if alignment:
        aligned = list(alignment.get("aligned_firms", []))
        as_of = alignment.get("parameters", {}).get("as_of", "2021-12-31")
        sanctioned = indicator_matrix(as_of).get("us_sanctioned")
        on_lists = [f for f in aligned if sanctioned is not None and sanctioned.get(f, 0) == 1]
        notes.append(
            f"US sanctions as a confounder: {len(on_lists)} of the {len(aligned)} firms the index counts as aligned "
            f"were on a US list by {as_of} ({', '.join(on_lists) or 'none'}); their IPO delays and price moves mix "
            "Washington's pressure with Beijing's, and the index itself counts sanctions as a marker of alignment."
        )
        thin = alignment.get("n_firms_at_most_one_fact")
        if thin is not None:
            notes.append(
                f"Thin alignment data: {thin} of {alignment.get('n_firms')} firms have at most one recorded "
                "alignment fact, so a missing fact usually means 'not found', not 'absent'."
            )
    easing = load_events(types=["easing"])
    if len(easing):
        notes.append(
            f"Easing: the data hold {len(easing)} easing events from {easing['date'].min().date()} to "
            f"{easing['date'].max().date()}; windows that reach past early 2022 mix crackdown and easing."
        )
    return notes
