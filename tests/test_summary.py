"""Verdicts of the summary are computed from the notebooks' results, the same way for every line of evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crackdown import summary, words
from crackdown.errors import CrackdownError


@pytest.mark.parametrize(
    ("estimate", "p_value", "sign", "expected"),
    [
        (-0.05, 0.01, -1, "supports"),
        (0.05, 0.01, -1, "contradicts"),
        (-0.05, 0.20, -1, "inconclusive"),
        (0.30, 0.049, 1, "supports"),
        (-0.30, 0.049, 1, "contradicts"),
        (-0.05, 0.05, -1, "inconclusive"),  # p must be below alpha
        (None, 0.01, -1, "inconclusive"),
        (float("nan"), 0.01, -1, "inconclusive"),
        (0.0, 0.0, -1, "inconclusive"),
    ],
)
def test_verdict(estimate, p_value, sign, expected) -> None:
    assert summary.verdict(estimate, p_value, sign) == expected


def test_verdict_rejects_bad_alpha_and_sign() -> None:
    with pytest.raises(CrackdownError, match="alpha"):
        summary.verdict(-1, 0.01, -1, alpha=1.5)
    with pytest.raises(CrackdownError, match="thesis_sign"):
        summary.verdict(-1, 0.01, 0)


def _write(root: Path, notebook: str, results: dict) -> None:
    folder = root / "outputs" / "results"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{notebook}.json").write_text(json.dumps(results))


def test_evidence_table_before_any_notebook_has_run(tmp_path: Path, monkeypatch) -> None:
    """With no published results every line is "not run" (no error from an empty Holm adjustment)."""
    monkeypatch.setenv("CRACKDOWN_ROOT", str(tmp_path))
    table = summary.evidence_table()
    assert list(table["verdict"]) == ["not run"] * len(summary.EVIDENCE)
    assert table["p_holm"].isna().all()
    assert summary.verdict_counts(table)["not run"] == len(summary.EVIDENCE)


def test_evidence_table_reads_headlines_and_marks_missing_notebooks(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CRACKDOWN_ROOT", str(tmp_path))
    _write(tmp_path, "04_market_reaction", {"answer": "a", "headline": {
        "label": "long-short CAR", "estimate": -0.08, "p_value": 0.001, "n": 12, "thesis_sign": -1}})
    _write(tmp_path, "05_ipo_outcomes", {"answer": "b", "headline": {
        "label": "odds ratio - 1", "estimate": -0.5, "p_value": 0.01, "n": 20, "thesis_sign": 1}})
    table = summary.evidence_table().set_index("notebook")
    assert table.loc["04_market_reaction", "verdict"] == "supports"
    assert table.loc["05_ipo_outcomes", "verdict"] == "contradicts"
    assert table.loc["06_enforcement", "verdict"] == "not run"
    counts = summary.verdict_counts(table.reset_index())
    assert counts == {"supports": 1, "contradicts": 1, "inconclusive": 0, "not run": len(summary.EVIDENCE) - 2}
    answer = words.summary.answer({"counts": counts, "adjustment": summary.ADJUSTMENT}, {})
    assert answer.startswith("The evidence is mixed: 1 of 2 independent lines support it")
    assert "Holm" in answer
    assert "08_robustness" not in set(table.index)  # a robustness check is not a line of its own


def test_overall_answer_when_nothing_ran() -> None:
    counts = dict.fromkeys(summary.VERDICTS, 0)
    assert "No line of evidence" in words.summary.answer({"counts": counts, "adjustment": summary.ADJUSTMENT}, {})


def test_direction_ignores_significance() -> None:
    assert summary.direction(-0.01, -1) == "as the thesis predicts"
    assert summary.direction(0.01, -1) == "against the thesis"
    assert summary.direction(float("nan"), 1) == "no direction"


def test_holm_matches_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    p = [0.01, 0.04, 0.03, 0.20, 0.002]
    assert summary.holm(p).tolist() == pytest.approx(multipletests(p, method="holm")[1].tolist())
    with_nan = summary.holm([0.01, float("nan"), 0.04])
    assert with_nan.iloc[1] != with_nan.iloc[1]  # NaN stays NaN and is not counted in m
    assert with_nan.dropna().tolist() == pytest.approx(multipletests([0.01, 0.04], method="holm")[1].tolist())
    with pytest.raises(CrackdownError, match="p_values"):
        summary.holm([0.5, 1.5])


def test_verdicts_use_holm_and_robustness_is_reported_with_its_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CRACKDOWN_ROOT", str(tmp_path))
    _write(tmp_path, "04_market_reaction", {"answer": "a", "headline": {
        "label": "ls", "estimate": -0.02, "p_value": 0.03, "n": 20, "thesis_sign": -1}})
    _write(tmp_path, "05_ipo_outcomes", {"answer": "b", "headline": {
        "label": "ipo", "estimate": 0.3, "p_value": 0.04, "n": 20, "thesis_sign": 1}})
    _write(tmp_path, "06_enforcement", {"answer": "c", "headline": {
        "label": "enf", "estimate": -0.1, "p_value": 0.5, "n": 30, "thesis_sign": -1}})
    _write(tmp_path, "08_robustness", {"answer": "d", "share_thesis_sign": 0.7, "share_significant_thesis": 0.2,
                                       "permutation_p": 0.15, "n_specs": 1200, "headline": {
                                           "label": "curve", "estimate": -0.01, "p_value": 0.001, "n": 1200,
                                           "thesis_sign": -1}})
    table = summary.evidence_table(0.05).set_index("notebook")
    # unadjusted 0.03 and 0.04 would support the thesis; Holm over three lines: 0.09, 0.08 -> 0.09, 0.5
    ran = ["04_market_reaction", "05_ipo_outcomes", "06_enforcement"]  # the other lines have not run: not counted
    assert table.loc[ran, "p_holm"].tolist() == pytest.approx([0.09, 0.09, 0.5])
    assert set(table.loc[ran, "verdict"]) == {"inconclusive"}
    assert set(table.drop(index=ran)["verdict"]) <= {"not run"}
    assert table.loc["04_market_reaction", "robustness_share_thesis_sign"] == 0.7
    assert table.loc["04_market_reaction", "robustness_permutation_p"] == 0.15
    record = words.as_written("00_summary", {"evidence": table.reset_index()})
    assert "70% of 1,200 specifications (08_robustness)" in words.summary.robustness(record, {})


def test_findings_list_each_published_answer_with_00_first(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CRACKDOWN_ROOT", str(tmp_path))
    _write(tmp_path, "05_ipo_outcomes", {"answer": "No: fewer listed."})
    _write(tmp_path, "00_summary", {"answer": "Inconclusive."})
    text = summary.findings_markdown(["00_summary", "04_market_reaction", "05_ipo_outcomes"])
    assert text.splitlines() == ["- **00_summary**: Inconclusive.", "- **05_ipo_outcomes**: No: fewer listed.",
                                 "- not run: 04_market_reaction"]
    with pytest.raises(CrackdownError, match="no published results"):
        summary.findings_markdown(["06_enforcement"])


def test_replace_block_writes_between_the_markers() -> None:
    from crackdown.text import replace_block

    text = "intro\n<!-- a -->\nold\n<!-- b -->\nrest\n"
    assert replace_block(text, "<!-- a -->", "<!-- b -->", "new") == "intro\n<!-- a -->\nnew\n<!-- b -->\nrest\n"
    with pytest.raises(ValueError, match="no"):
        replace_block("no markers", "<!-- a -->", "<!-- b -->", "x")
