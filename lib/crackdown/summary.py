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
    if not ran.any():  # no notebook has published results yet: every line "not run"
        return table
    table.loc[ran, "p_holm"] = holm(pd.to_numeric(table.loc[ran, "p_value"], errors="coerce"))
    table.loc[ran, "verdict"] = [verdict(r.estimate, None if pd.isna(r.p_holm) else r.p_holm, int(r.thesis_sign), alpha)
                                 for r in table[ran].itertuples()]
    return table


def verdict_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many lines of evidence support, contradict, are inconclusive or have not run."""
    counts = table["verdict"].value_counts()
    return {v: int(counts.get(v, 0)) for v in VERDICTS}


def published_results(notebooks: list[str]) -> dict[str, dict[str, Any]]:
    """The results of those ``notebooks`` that have run (others are left out)."""
    return {n: r for n in notebooks if (r := _published(n)) is not None}


def caveat_facts(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the report's caveats rest on, computed from the results files and the data (worded by
    :func:`crackdown.words.summary.caveats`): the market study's group sizes and grouping rule (04), the aligned
    firms on a US list, the sanctions weight and the thinly documented firms (03), and the easing events."""
    from crackdown.alignment import indicator_matrix
    from crackdown.data import load_events

    facts: dict[str, Any] = {}
    market = results.get("04_market_reaction")
    if market:
        n = {g: v.get("securities", 0) for g, v in market.get("n_by_group", {}).items()}
        facts["market"] = {"aligned_securities": n.get("aligned_ai", 0),
                           "targeted_securities": n.get("targeted_platform", 0),
                           "group_rule": market.get("parameters", {}).get("group_rule", "sector")}
    alignment = results.get("03_alignment_index")
    if alignment:
        aligned = list(alignment.get("aligned_firms", []))
        as_of = alignment.get("parameters", {}).get("as_of", "2021-12-31")
        sanctioned = indicator_matrix(as_of).get("us_sanctioned")
        facts["alignment"] = {
            "aligned_firms": aligned, "as_of": as_of,
            "on_us_lists": [f for f in aligned if sanctioned is not None and sanctioned.get(f, 0) == 1],
            "sanctions_weight": (alignment.get("weights_normalised") or {}).get("us_sanctioned"),
            "n_firms_at_most_one_fact": alignment.get("n_firms_at_most_one_fact"),
            "n_firms": alignment.get("n_firms")}
    easing = load_events(types=["easing"])
    if len(easing):
        facts["easing"] = {"n_events": int(len(easing)), "first": easing["date"].min().date().isoformat(),
                           "last": easing["date"].max().date().isoformat()}
    return facts


def summary_record(table: pd.DataFrame, results: dict[str, dict[str, Any]], alpha: float,
                   parameters: dict[str, Any]) -> dict[str, Any]:
    """Notebook 00's results: the evidence table (:func:`evidence_table`) with its verdict counts, each published
    notebook's answer, the claims register's counts and claims aged badly (07), the caveats' facts
    (:func:`caveat_facts`) and the parameters (its words and answer: :mod:`crackdown.words.summary`)."""
    claims = results.get("07_article_claims") or {}
    return {
        "alpha": alpha,
        "adjustment": ADJUSTMENT,
        "verdicts": dict(zip(table["notebook"], table["verdict"], strict=True)),
        "counts": verdict_counts(table),
        "evidence": table,
        "answers": [{"notebook": nb, "answer": r.get("answer", "")} for nb, r in results.items()],
        "claims_counts": claims.get("counts", {}),
        "claims_n": claims.get("n_claims"),
        "claims_aged_badly": claims.get("aged_badly", []) if claims else None,
        "caveat_facts": caveat_facts(results),
        "parameters": parameters,
    }


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
