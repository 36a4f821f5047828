"""The report's answer: the headline of each line of evidence, read from the notebooks' results, with a verdict.

Each analysis notebook writes a ``headline`` into its results file (see :mod:`crackdown.results`):
``{"label", "statistic", "estimate", "p_value", "n", "thesis_sign"}``, where ``thesis_sign`` is the sign the
estimate has if the thesis (aligned firms were spared) is right. The verdict is computed here, the same way for
every line: significant at ``alpha`` with the thesis' sign -> supports; significant with the other sign ->
contradicts; otherwise inconclusive. Nothing is typed in: a notebook that has not run shows as "not run".

One vote per independent line of evidence (:data:`EVIDENCE`): a notebook that checks the robustness of another
line (:data:`ROBUSTNESS_OF`, e.g. 08's specification curve of the market line) is reported as that line's
robustness (share of specifications with the thesis' sign, share significant with it, permutation p), never as a
vote of its own. The p-values of the lines that ran are adjusted for multiplicity with Holm's step-down method
(:func:`holm`) and the verdicts use the adjusted p-values. Each line's headline is already its notebook's most
conservative defensible inference (04: :func:`crackdown.inference.most_conservative` under a benchmark rule that
measures both legs alike).
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
    "05_ipo_outcomes": "IPO outcomes by alignment",
    "06_enforcement": "Enforcement intensity against alignment",
    "09_after_the_crackdown": "AI-firm listings by 2026 by alignment (the article's forecast)",
}
# Robustness notebooks -> the line of evidence they check (reported with that line, no vote of their own).
ROBUSTNESS_OF = {"08_robustness": "04_market_reaction"}
ROBUSTNESS_KEYS = ("share_thesis_sign", "share_significant_thesis", "permutation_p", "n_specs")
VERDICTS = ("supports", "contradicts", "inconclusive", "not run")
ADJUSTMENT = "Holm"


def holm(p_values: pd.Series | list[float]) -> pd.Series:
    """Holm's step-down adjusted p-values: sorted ascending, p_(i) * (m - i + 1) for i = 1..m, made monotone
    (running maximum) and capped at 1; NaN entries are left out of m and stay NaN."""
    p = pd.Series(p_values, dtype=float)
    valid = p.dropna()
    if ((valid < 0) | (valid > 1)).any():
        raise CrackdownError(f"p_values: must lie in [0, 1], got {valid[(valid < 0) | (valid > 1)].tolist()}")
    m = len(valid)
    ordered = valid.sort_values(kind="mergesort")
    scaled = (ordered * (m - pd.Series(range(m), index=ordered.index))).cummax().clip(upper=1.0)
    return scaled.reindex(p.index)


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


def evidence_table(alpha: float = 0.05, notebooks: dict[str, str] | None = None,
                   robustness: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per independent line of evidence: its headline statistic, estimate, p-value, the Holm-adjusted
    p-value across the lines that ran (``p_holm``), n, the verdict computed from ``p_holm`` and, for a line with
    a robustness notebook (``robustness``: robustness notebook -> line, default :data:`ROBUSTNESS_OF`), that
    notebook's share of specifications with the thesis' sign, significant share and permutation p."""
    checks = {line: nb for nb, line in (ROBUSTNESS_OF if robustness is None else robustness).items()}
    rows = []
    for notebook, line in (notebooks or EVIDENCE).items():
        results = _published(notebook)
        headline = (results or {}).get("headline")
        if not headline:
            rows.append({"line_of_evidence": line, "notebook": notebook, "verdict": "not run"})
            continue
        row = {
            "line_of_evidence": line,
            "notebook": notebook,
            "statistic": headline.get("statistic", headline.get("label", "")),
            "estimate": headline.get("estimate"),
            "p_value": headline.get("p_value"),
            "n": headline.get("n"),
            "thesis_sign": headline["thesis_sign"],
            "direction": direction(headline.get("estimate"), headline["thesis_sign"]),
            "answer": results.get("answer", ""),
        }
        check = _published(checks[notebook]) if notebook in checks else None
        if check:
            row.update({"robustness_notebook": checks[notebook],
                        **{f"robustness_{k}": check.get(k) for k in ROBUSTNESS_KEYS}})
        rows.append(row)
    columns = ["line_of_evidence", "notebook", "statistic", "estimate", "p_value", "p_holm", "n", "thesis_sign",
               "direction", "verdict", "answer", "robustness_notebook",
               *(f"robustness_{k}" for k in ROBUSTNESS_KEYS)]
    table = pd.DataFrame(rows).reindex(columns=columns)
    table["verdict"] = table["verdict"].astype(object)
    table["p_holm"] = table["p_holm"].astype(float)
    ran = table["verdict"].ne("not run")
    table.loc[ran, "p_holm"] = holm(pd.to_numeric(table.loc[ran, "p_value"], errors="coerce"))
    table.loc[ran, "verdict"] = [verdict(r.estimate, None if pd.isna(r.p_holm) else r.p_holm, int(r.thesis_sign), alpha)
                                 for r in table[ran].itertuples()]
    return table


def robustness_sentence(table: pd.DataFrame) -> str:
    """Markdown: for each line with a robustness notebook, its share of specifications with the thesis' sign,
    the share significant with it and the permutation p (read from the table)."""
    rows = table.dropna(subset=["robustness_notebook"]) if "robustness_notebook" in table else table.iloc[:0]
    parts = [f"{r.line_of_evidence}: {r.robustness_share_thesis_sign:.0%} of {int(r.robustness_n_specs):,} "
             f"specifications ({r.robustness_notebook}) have the thesis' sign, {r.robustness_share_significant_thesis:.0%} "
             f"with it and significant, permutation p = {r.robustness_permutation_p:.3f}"
             for r in rows.itertuples()]
    return ("Robustness (reported with its line, not a vote of its own): " + "; ".join(parts) + ".") if parts else ""


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
    return (f"{lead}: {counts['supports']} of {ran} independent lines support it, {counts['contradicts']} contradict "
            f"it, {counts['inconclusive']} are inconclusive at the chosen significance level, after a {ADJUSTMENT} "
            f"adjustment of the p-values across the {ran} lines (one vote per line; each line's p-value is its "
            "notebook's most conservative defensible test).")


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
        weight = (alignment.get("weights_normalised") or {}).get("us_sanctioned")
        counted = ("the index counts sanctions as a marker of alignment (weight "
                   f"{weight:.2f})" if weight else "the index does not count sanctions as alignment (weight 0); "
                   "the market study keeps them as a variable of their own")
        notes.append(
            f"US sanctions as a confounder: {len(on_lists)} of the {len(aligned)} firms the index counts as aligned "
            f"were on a US list by {as_of} ({', '.join(on_lists) or 'none'}); their IPO delays and price moves mix "
            f"Washington's pressure with Beijing's; {counted}."
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
            f"{easing['date'].max().date()}; windows that reach past {easing['date'].min().date()} mix crackdown "
            "and easing."
        )
    return notes


FINDINGS_START, FINDINGS_END = "<!-- findings:start -->", "<!-- findings:end -->"


def findings_markdown(notebooks: list[str]) -> str:
    """The README's "What the data say": one bullet per notebook with published results, its computed one-line
    ``answer`` (00's first), so the README never states a finding the results do not hold."""
    published = published_results(notebooks)
    if not published:
        raise CrackdownError("no published results in outputs/results/: run the report first (make report)")
    order = sorted(published, key=lambda nb: (nb != "00_summary", nb))
    lines = [f"- **{nb}**: {published[nb].get('answer', '(no answer recorded)')}" for nb in order]
    missing = [nb for nb in notebooks if nb not in published]
    if missing:
        lines.append(f"- not run: {', '.join(missing)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a thin writer of the shipped report's text
    """Print the findings of the published results; with ``--readme`` also write them into README.md."""
    import sys

    from crackdown.notebooks import discover
    from crackdown.text import replace_block

    block = findings_markdown(sorted(discover()))
    print(block)
    if "--readme" in (sys.argv[1:] if argv is None else argv):
        readme = paths.project_root() / "README.md"
        readme.write_text(replace_block(readme.read_text(encoding="utf-8"), FINDINGS_START, FINDINGS_END, block),
                          encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    main()
