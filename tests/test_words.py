"""The one narrative signature (crackdown.words): every notebook's words come from its record alone, name firms
by name, and the record a notebook writes holds its answer. Fixture records are hand-built; each expected text
is written out here."""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path

import pytest
from claim_world import write_world

from crackdown import words
from crackdown.data import clear_cache

NAMES = {"alpha": "Alpha Ltd", "beta": "Beta Inc", "alpha_hkex_2020": "Alpha Ltd (HKEX Main Board, 2020)"}


def test_every_notebook_has_words_with_the_one_signature() -> None:
    notebooks = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9]*.ipynb"))
    assert sorted(words.MODULES) == notebooks
    for notebook in notebooks:
        module = words.module(notebook)
        for function in (module.narrative, module.answer):
            assert list(inspect.signature(function).parameters) == ["record", "names"], (notebook, function)
    with pytest.raises(KeyError, match="no words for '99_nothing'"):
        words.module("99_nothing")


def test_analysis_modules_never_import_the_words() -> None:
    """Dependencies point one way: words may import analysis constants, no other module imports the words."""
    lib = Path(words.__file__).resolve().parents[1]

    def imports(path: Path) -> set[str]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom) and n.module:
                found |= {n.module} | {f"{n.module}.{a.name}" for a in n.names}
        return found

    importing = [p.relative_to(lib).as_posix() for p in lib.rglob("*.py") if "words" not in p.relative_to(lib).parts
                 and any(m == "crackdown.words" or m.startswith("crackdown.words.") for m in imports(p))]
    assert importing == []


def test_display_names_cover_firms_securities_ipo_attempts_and_events(tmp_path: Path, monkeypatch) -> None:
    write_world(tmp_path,
                firms=[{"firm_id": "alpha", "name": "Alpha Ltd", "sector_group": "ai_vision_speech"}],
                securities=[{"symbol": "ALP", "firm_id": "alpha", "name": "Alpha ADS", "security_type": "adr",
                             "exchange": "XNYS", "price_basis": "none", "benchmark_symbol": "IDX"},
                            {"symbol": "IDX", "name": "An index", "security_type": "index", "exchange": "XNYS",
                             "price_basis": "none"}],
                ipos=[{"ipo_id": "alpha_hkex_2020", "firm_id": "alpha", "venue": "HKEX Main Board (secondary)",
                       "exchange": "XHKG", "filing_date": "2020-03-01", "outcome": "withdrawn",
                       "outcome_date": "2021-02-01"},
                      {"ipo_id": "alpha_star_2026", "firm_id": "alpha", "venue": "SSE STAR Market",
                       "exchange": "XSHG", "outcome": "pending"}],
                events=[{"event_id": "alpha_probe_2021", "date": "2021-04-10", "type": "probe", "firm_ids": "alpha",
                         "description": "Regulator opens a probe into Alpha; Alpha says it will cooperate."}])
    monkeypatch.setenv("CRACKDOWN_ROOT", str(tmp_path))
    clear_cache()
    try:
        names = words.display_names()
    finally:
        clear_cache()
    assert names["alpha"] == "Alpha Ltd" and names["ALP"] == "Alpha ADS"
    assert names["alpha_hkex_2020"] == "Alpha Ltd (HKEX Main Board, 2020)"  # the venue's note left out
    assert names["alpha_star_2026"] == "Alpha Ltd (SSE STAR Market, undated)"  # no dated step yet
    assert names["alpha_probe_2021"] == "Regulator opens a probe into Alpha"  # the event's label (no claims.csv here)
    assert words.named(["alpha", "unknown_id"], names) == "Alpha Ltd, unknown_id"
    assert words.named([], names) == "none"


def test_publish_writes_the_answer_of_the_record_as_written(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CRACKDOWN_RESULTS_DIR", str(tmp_path))
    record = {"forecast_test": {"n_aligned": 1, "listed_aligned": 1, "n_other": 2, "listed_other": 1,
                                "share_other": 0.5, "p_value": None},
              "firms": [{"firm_id": "alpha", "aligned": True, "us_listed": True, "listed_by_end": True},
                        {"firm_id": "beta", "aligned": False, "us_listed": False, "listed_by_end": False}],
              "forecast_verdict": "held", "events_by_kind": {"easing": 3},
              "parameters": {"period": ["2023-01-01", "2025-12-31"], "alpha": 0.05}}
    written = words.publish("09_after_the_crackdown", record, NAMES)
    on_disk = json.loads((tmp_path / "09_after_the_crackdown.json").read_text())
    assert written == on_disk and on_disk["notebook"] == "09_after_the_crackdown"
    assert on_disk["answer"] == (
        "The article's forecast held by 2025-12-31. Of 1 AI firms scored aligned with an IPO attempt, 1 had listed "
        "(Alpha Ltd (listed)); of 2 other AI firms with an attempt, 1 had (50.0%); no test. 1 of 1 AI firms on a "
        "US list listed. Over the period the data hold 0 Chinese actions, 3 easing signals and 0 US actions.")
    assert words.narrative("09_after_the_crackdown", written, NAMES).startswith(
        "**The article's forecast held by 2025-12-31.** Of 1 AI firms")
    assert "alpha" in json.dumps(on_disk["firms"])  # the record keeps the ids


def test_summary_words_from_a_record() -> None:
    rows = [{"line_of_evidence": "Market", "notebook": "04_market_reaction", "verdict": "supports",
             "robustness_notebook": "08_robustness", "robustness_share_thesis_sign": 0.7,
             "robustness_n_specs": 1200.0, "robustness_share_significant_thesis": 0.25,
             "robustness_permutation_p": 0.04},
            {"line_of_evidence": "IPOs", "notebook": "05_ipo_outcomes", "verdict": "inconclusive",
             "robustness_notebook": None}]
    record = {"counts": {"supports": 1, "contradicts": 0, "inconclusive": 1, "not run": 2}, "adjustment": "Holm",
              "evidence": rows, "answers": [{"notebook": "05_ipo_outcomes", "answer": "No."}],
              "claims_n": 3, "claims_counts": {"contradicted": 0, "supported": 3}, "claims_aged_badly": [],
              "caveat_facts": {"alignment": {"aligned_firms": ["alpha", "beta"], "as_of": "2021-12-31",
                                             "on_us_lists": ["alpha"], "sanctions_weight": 0.0,
                                             "n_firms_at_most_one_fact": None, "n_firms": 2}}}
    robust = ("Robustness (reported with its line, not a vote of its own): Market: 70% of 1,200 specifications "
              "(08_robustness) have the thesis' sign, 25% with it and significant, permutation p = 0.040.")
    assert words.summary.narrative(record, NAMES) == (
        f"{words.summary.answer(record, NAMES)} Supporting: Market. Inconclusive: IPOs. {robust} Read each verdict "
        "with the caveats above.")
    assert words.summary.answer(record, NAMES).startswith("The evidence leans towards the thesis: 1 of 2 ")
    assert words.summary.findings(record, NAMES) == "- **[05_ipo_outcomes](05_ipo_outcomes.html)**: No."
    assert words.summary.claims(record, NAMES).startswith("Of the article's 3 checkable claims, 3 supported. ")
    assert words.summary.claims({**record, "claims_n": None}, NAMES) == (
        "The claims register (07_article_claims) has not run.")
    (caveat,) = words.summary.caveats(record, NAMES)
    assert "1 of the 2 firms the index counts as aligned were on a US list by 2021-12-31 (Alpha Ltd)" in caveat
    assert "does not count sanctions as alignment (weight 0)" in caveat


def test_coverage_words_from_a_record() -> None:
    record = {"securities": 3, "window": ["2021-01-01", "2021-12-31"], "priced_sessions": 1234,
              "securities_missing_over_1pct": ["A", "B"], "missing_over_1pct_by_share": ["B", "A"],
              "securities_ending_early": [], "ending_early_in_table_order": [], "adjusted_only": 1,
              "unpriced": [{"symbol": "Z", "name": "Zed"}]}
    assert words.coverage.answer(record, NAMES) == (
        "3 securities with 1,234 priced sessions in 2021-01-01..2021-12-31; 2 miss more than 1% of their sessions, "
        "0 end more than a month early.")
    text = words.coverage.narrative(record, NAMES)
    assert "2 of them lack a price on more than 1% of their own exchange's sessions (B, A); 0 stop" in text
    assert text.endswith("Securities without a price file (Z Zed) do not appear here: see data/README.md.")
    assert words.coverage.narrative({**record, "unpriced": []}, NAMES).endswith(
        "Every security in data/securities.csv has a price file.")


def test_after_studies_from_a_record() -> None:
    record = {"parameters": {"window": [-1, 1]}, "event_studies": [
        {"kind": "chinese_action", "n_events": 4, "caar_targeted": -0.02, "caar_aligned": 0.01,
         "securities_aligned": 2, "long_short": -0.03, "test": "calendar_time", "t": -2.0, "p_value": 0.0004, "n": 30}]}
    assert words.after.studies(record, NAMES) == (
        "- chinese action: over 4 events, targeted platforms' CAR (-1,1) averaged -2.0% and aligned AI firms' 1.0% "
        "(2 aligned securities); long-short -3.0%, calendar time t = -2.00, p < 0.001, n = 30.")


def test_reaction_headline_sentence_names_the_test_and_the_others() -> None:
    tests = {"pairs": {"estimate": -0.03, "t": -5.0, "p_value": 0.00001, "n": 300},
             "events": {"estimate": -0.02, "t": -2.0, "p_value": 0.06, "n": 20},
             "clusters": None, "calendar_time": {"estimate": -0.004, "t": -1.5, "p_value": 0.14, "n": 60}}
    head = {"test": "calendar_time", "reason": "the largest p", "estimate": -0.004, "car_scale_estimate": -0.012,
            "t": -1.5, "p_value": 0.14, "n": 60}
    record = {"inference": {"long_short": tests, "headline": head}, "parameters": {"window": [-1, 1]}}
    assert words.reaction.headline(record, NAMES) == (
        "**Headline inference: calendar-time portfolio (HAC)**: a mean daily long-short AR of -0.4% (-1.2% over the "
        "3-session window), t = -1.50, p = 0.140, n = 60. Chosen as the most conservative defensible test (the "
        "largest p); the others: pairs p < 0.001 (n=300), events p = 0.060 (n=20).")
    assert words.reaction.headline({"inference": {"headline": None}, "parameters": {"window": [0, 0]}}, NAMES) == (
        "No long-short inference could be computed (no event with both legs).")


def test_ipo_coding_words_keep_the_recorded_order() -> None:
    entry = {"listed_share_aligned": 0.5, "listed_share_not_aligned": 0.25, "p_value": 0.5, "odds_ratio": 3.0,
             "n_attempts": 6}
    record = {"by_coding": {"beijing_cause": {**entry, "p_value": None}, "as_listed": entry},
              "failed_causes_as_listed": [["us_sanctions", 2], ["beijing_regulators", 1]]}
    assert words.ipo.coding(record, NAMES) == (
        "Under each coding of success: **as listed**: aligned 50% vs others 25% succeeded (Fisher p = 0.500, odds "
        "ratio 3.00; n = 6); **success = not stopped by Beijing (the cause that bears on the thesis)**: aligned 50% "
        "vs others 25% succeeded (not testable; n = 6). Causes of the failed attempts as listed: US sanctions 2, "
        "Beijing regulators 1.")


def test_robustness_clustered_note_from_the_record() -> None:
    record = {"clustered_headline": [{"window": "0..1", "test": "clusters", "t": -1.76, "p_value": 0.088, "n": 31,
                                      "pairs_p": 0.0001}]}
    assert words.robustness.clustered(record, NAMES).endswith(
        "per window: (0..1) clusters t = -1.76, p = 0.088, n = 31; pairs p 0.000.")
    assert words.robustness.clustered({"clustered_headline": []}, NAMES) == (
        "No window of the baseline specification had a long-short test.")


def test_reaction_benchmark_rules_read_in_their_order() -> None:
    """The record's rules come back from JSON sorted by name; the words list them local, china, same."""
    h = {"car_scale_estimate": -0.01, "test": "events", "t": -1.0, "p_value": 0.3, "n": 9}
    record = {"by_benchmark": {"china_market": {"alike": True, "headline": h},
                               "local_market": {"alike": False, "headline": None}},
              "headline": {"benchmark_rule": "china_market"}}
    (line,) = words.reaction._by_benchmark_lines(record)
    assert line.index("**local market**: no test computable") < line.index("**China market** (legs alike): -1.0%")


@pytest.mark.parametrize(("p_value", "said"), [
    (0.01, "Fisher p = 0.010. "), (0.2, "Fisher p = 0.200 (not significant at the chosen level). "), (None, "no test. ")])
def test_after_answer_says_whether_the_difference_is_significant(p_value, said: str) -> None:
    record = {"forecast_test": {"n_aligned": 2, "listed_aligned": 0, "n_other": 0, "listed_other": 0,
                                "share_other": None, "p_value": p_value},
              "firms": [{"firm_id": "alpha", "aligned": True, "us_listed": False, "listed_by_end": False}],
              "forecast_verdict": "did not hold", "events_by_kind": {},
              "parameters": {"period": ["2023-01-01", "2025-12-31"], "alpha": 0.05}}
    text = words.after.answer(record, NAMES)
    assert "(Alpha Ltd (not listed)); of 0 other AI firms with an attempt, 0 had (n/a); " + said in text
    assert "**" not in text and words.after.narrative(record, NAMES).startswith("**The article's forecast did not")


@pytest.mark.parametrize(("median", "sign"), [(-0.01, "negative"), (0.01, "positive"), (0.0, "zero")])
def test_robustness_answer_reads_the_median_sign(median: float, sign: str) -> None:
    record = {"median_estimate": median, "verdict": "survives", "share_thesis_sign": 0.5, "n_specs": 1000,
              "share_significant_thesis": 0.12, "permutation_p": 0.25}
    assert words.robustness.answer(record, NAMES) == (
        f"The {sign} median long-short reaction survives: 50% of 1,000 specifications have the thesis' sign "
        f"(median {median:+.2%}), 12% with the thesis' sign and significant; permutation p = 0.250.")


def test_claims_and_events_appear_in_the_words_by_their_labels() -> None:
    names = {**NAMES, "claim_a": "Alpha will list in Hong Kong.", "claim_b": "Beta was fined…",
             "ev_1": "Regulator fines Beta", "ev_2": "Regulator summons Beta"}
    record = {"counts": {"supported": 1, "partly supported": 0, "contradicted": 1, "not testable with this data": 0},
              "n_claims": 2, "article_date": "2021-11-01", "aged_badly": ["claim_a", "claim_b"]}
    assert words.claims.answer(record, names) == (
        "1 of 2 claims supported, 0 partly, 1 contradicted, 0 not testable; aged badly since 2021-11-01: "
        "“Alpha will list in Hong Kong.”; “Beta was fined…”")
    assert words.enforcement._events("ev_1; ev_2; ev_9", names) == "Regulator fines Beta; Regulator summons Beta; ev_9"
    assert words.enforcement._events("penalties only", names) == "penalties only"
