"""Every notebook of the report runs through the runner with the ci profile, and its results hold what it declares."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))

# The keys each notebook's results file must hold (besides "notebook", "answer" and "parameters").
RESULT_KEYS: dict[str, set[str]] = {
    "00_summary": {"verdicts", "counts", "evidence", "claims_counts", "caveats", "alpha", "adjustment"},
    "01_data_coverage": {"securities", "priced_sessions", "window", "securities_missing_over_1pct"},
    "02_timeline": {"n_events", "n_lane_markers", "events_by_lane", "enforcement_by_lane", "us_measures_by_lane",
                    "most_enforced_firms", "top_enforced_lane"},
    "05_ipo_outcomes": {"n_attempts", "n_firms", "n_listed", "table_2x2", "odds_ratio", "p_value",
                        "listed_share_aligned", "listed_share_not_aligned", "listed_share_by_group", "aligned_failed",
                        "aligned_failed_delayed_by", "targeted_listed", "targeted_failed", "headline", "by_coding"},
    "06_enforcement": {"n_firms", "rho_actions", "p_actions", "p_actions_asymptotic", "rho_fined_cny", "p_fined_cny",
                       "rho_penalties", "p_penalties", "n_permutations", "total_actions", "total_fined_cny",
                       "aligned_yet_penalised", "spared_unaligned_targeted", "currencies", "headline"},
    "03_alignment_index": {"scores", "aligned_firms", "robustly_aligned", "depends_on_weights", "n_firms"},
    "07_article_claims": {"verdicts", "counts", "n_claims", "aged_badly", "market"},
    "08_robustness": {"n_specs", "share_thesis_sign", "share_significant", "median_estimate", "permutation_p",
                      "headline"},
    "04_market_reaction": {"long_short_car", "long_short_se", "long_short_t", "long_short_p", "placebo_p", "n_events",
                           "n_by_group", "caar_by_group", "reverse_caar", "headline", "event_ids", "members",
                           "by_benchmark", "sanctions", "regression", "economy_wide"},
}


def _results(report: Path, name: str) -> dict:
    return json.loads((report / "outputs" / "results" / f"{name}.json").read_text())


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_ran_and_wrote_its_declared_results(ci_report: Path, name: str) -> None:
    html = ci_report / "outputs" / "html" / f"{name}.html"
    assert html.exists(), f"{name} produced no HTML"
    results = _results(ci_report, name)
    assert {"answer", "parameters", "notebook"} <= set(results)
    assert results["answer"].strip()
    assert RESULT_KEYS.get(name, set()) <= set(results), f"{name} results lack {RESULT_KEYS[name] - set(results)}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_page_words_are_the_words_of_its_results_record(ci_report: Path, name: str) -> None:
    """The page's closing "what this shows" and its recorded answer are its words module's narrative and answer
    of the results JSON alone (crackdown.words), so the page cannot say what the record does not hold."""
    from crackdown import words

    record, names = _results(ci_report, name), words.display_names()
    nb = nbformat.read(ci_report / "outputs" / "notebooks" / f"{name}.ipynb", as_version=4)
    shown = ["".join(o["data"]["text/markdown"]) for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if "text/markdown" in o.get("data", {})]
    assert words.narrative(name, record, names) in shown
    assert record["answer"] == words.answer(name, record, names)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_figure_has_a_title_and_a_source_line(ci_report: Path, name: str) -> None:
    nb = nbformat.read(ci_report / "outputs" / "notebooks" / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code" or "plt.show()" not in cell.source:
            continue
        assert "plots.finish(" in cell.source or "plots.add_source(" in cell.source, cell.source[:80]
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), f"a figure cell drew nothing: {cell.source[:80]}"


def test_index_lists_every_notebook_with_its_answer(ci_report: Path) -> None:
    from bs4 import BeautifulSoup

    index = (ci_report / "outputs" / "html" / "index.html").read_text()
    text = " ".join(BeautifulSoup(index, "html.parser").get_text().split())  # the text a reader sees
    for name in NOTEBOOKS:
        assert f'href="{name}.html"' in index
        assert " ".join(_results(ci_report, name)["answer"].split(";")[0][:40].split()) in text


def test_coverage_counts_match_the_price_files(ci_report: Path) -> None:
    """01's priced-session count equals the rows of the price files inside the ci window."""
    import pandas as pd
    import yaml

    window = yaml.safe_load((ROOT / "profiles" / "ci" / "01_data_coverage.yaml").read_text())
    securities = pd.read_csv(ROOT / "data" / "securities.csv")
    total = 0
    for symbol in securities.loc[securities["price_basis"] != "none", "symbol"]:
        dates = pd.to_datetime(pd.read_csv(ROOT / "data" / "prices" / f"{symbol}.csv", usecols=["date"])["date"])
        total += int(dates.between(window["start"], window["end"]).sum())
    assert _results(ci_report, "01_data_coverage")["priced_sessions"] <= total
    assert _results(ci_report, "01_data_coverage")["priced_sessions"] >= 0.99 * total


def test_timeline_enforcement_counts_match_the_events_table(ci_report: Path) -> None:
    """02's enforcement counts per lane equal a plain recount of data/events.csv in the ci window."""
    import pandas as pd
    import yaml

    from crackdown.timeline import PUNITIVE_TYPES

    window = yaml.safe_load((ROOT / "profiles" / "ci" / "02_timeline.yaml").read_text())
    events = pd.read_csv(ROOT / "data" / "events.csv", dtype=str).fillna("")
    groups = pd.read_csv(ROOT / "data" / "firms.csv").set_index("firm_id")["sector_group"].to_dict()
    pairs = set()
    for row in events.itertuples():
        day = row.date if len(row.date) == 10 else row.date + "-01"
        if row.type not in PUNITIVE_TYPES or not window["start"] <= day <= window["end"]:
            continue
        firm_lanes = {groups[f] for f in row.firm_ids.split(";") if f}
        lanes = firm_lanes | {s for s in row.sectors.split(";") if s} or {"economy_wide"}
        pairs |= {(row.event_id, lane) for lane in lanes}
    counted = _results(ci_report, "02_timeline")["enforcement_by_lane"]
    assert sum(counted.values()) == len(pairs)
    for lane in {lane for _, lane in pairs}:
        assert counted[lane] == sum(1 for _, x in pairs if x == lane)


def test_alignment_results_match_the_library(ci_report: Path) -> None:
    """03's scores and aligned firms are alignment_scores() under its own parameters (which firms come out aligned
    is a finding for the report, not a condition of this test)."""
    from crackdown import alignment

    results = _results(ci_report, "03_alignment_index")
    p = results["parameters"]
    scores = alignment.alignment_scores(p["weights"], p["missing"], p["threshold"], p["as_of"])
    assert results["scores"] == pytest.approx(scores["score"].to_dict(), abs=1e-6)
    assert results["n_firms"] == len(scores)
    assert set(results["aligned_firms"]) == set(scores.index[scores["aligned"]])
    assert not set(results["robustly_aligned"]) & set(results["depends_on_weights"])


def test_article_claims_cover_the_register_and_list_the_stalled_ai_ipos(ci_report: Path) -> None:
    """07 gives every claim of data/claims.csv one verdict, its counts add up, and its stalled-or-failed AI IPOs are
    those claims.ai_ipo_fates computes from ipos.csv (which ones they are is a finding, not a condition here)."""
    import pandas as pd

    results = _results(ci_report, "07_article_claims")
    register = pd.read_csv(ROOT / "data" / "claims.csv")
    assert set(results["verdicts"]) == set(register["claim_id"])
    assert sum(results["counts"].values()) == results["n_claims"] == len(register)
    for verdict, n in results["counts"].items():
        assert sum(v == verdict for v in results["verdicts"].values()) == n
    from crackdown import claims

    p = results["parameters"]
    fates = claims.ai_ipo_fates(claims.make_context(article_date=p["article_date"], as_of=p["as_of"]))
    assert results["ai_ipos_stalled_or_failed_since"] == fates.loc[fates["aged_badly"], "ipo_id"].tolist()


def test_enforcement_totals_match_the_tables_and_p_values_are_bounded(ci_report: Path) -> None:
    """06's totals equal a plain recount of events.csv and penalties.csv; permutation p-values respect their floor."""
    import pandas as pd
    import yaml

    from crackdown.timeline import PUNITIVE_TYPES

    profile = yaml.safe_load((ROOT / "profiles" / "ci" / "06_enforcement.yaml").read_text())
    results = _results(ci_report, "06_enforcement")
    start, end = results["parameters"]["start"], results["parameters"]["end"]
    events = pd.read_csv(ROOT / "data" / "events.csv", dtype=str).fillna("")
    day = events["date"].where(events["date"].str.len() == 10, events["date"] + "-01")
    counted = events[events["type"].isin(PUNITIVE_TYPES) & day.between(start, end)]
    assert results["total_actions"] == sum(len([f for f in ids.split(";") if f]) for ids in counted["firm_ids"])
    pens = pd.read_csv(ROOT / "data" / "penalties.csv")
    money = pens[pens["penalty_type"].isin(["fine", "confiscation"]) & (pens["currency"] == "CNY")
                 & pens["date"].between(start, end)]
    assert results["total_fined_cny"] == pytest.approx(money["amount"].sum())
    assert results["n_permutations"] == profile["n_permutations"]
    for key in ("p_actions", "p_penalties", "p_fined_cny"):
        assert 1 / (profile["n_permutations"] + 1) <= results[key] <= 1
    assert -1 <= results["rho_actions"] <= 1


def test_ipo_counts_match_the_ipo_table_and_fisher_p_matches_the_hypergeometric_formula(ci_report: Path) -> None:
    """05's attempts and listings equal a recount of ipos.csv in the ci years; its p-value and odds ratio follow
    from its own 2x2 table by the hypergeometric formula."""
    import math

    import pandas as pd

    results = _results(ci_report, "05_ipo_outcomes")
    first, last = results["parameters"]["start_year"], results["parameters"]["end_year"]
    ipos = pd.read_csv(ROOT / "data" / "ipos.csv", dtype=str)
    dates = ipos[["filing_date", "approval_date", "outcome_date"]].apply(lambda c: pd.to_datetime(c, format="mixed"))
    in_window = dates.min(axis=1).dt.year.between(first, last)
    listed = (ipos["outcome"] == "listed") & (dates["outcome_date"].dt.year <= last)
    assert results["n_attempts"] == int(in_window.sum())
    assert results["n_listed"] == int((in_window & listed).sum())
    (a, b), (c, d) = results["table_2x2"]
    assert a + b + c + d == results["n_attempts"] and a + c == results["n_listed"]
    row1, col1, n = a + b, a + c, a + b + c + d

    def prob(x: int) -> float:
        return math.comb(row1, x) * math.comb(n - row1, col1 - x) / math.comb(n, col1)

    support = range(max(0, col1 - (n - row1)), min(row1, col1) + 1)
    assert results["p_value"] == pytest.approx(sum(prob(x) for x in support if prob(x) <= prob(a) * (1 + 1e-9)))
    if b * c:
        assert results["odds_ratio"] == pytest.approx(a * d / (b * c))


def test_tutoring_rules_cars_on_the_shipped_prices_match_a_hand_market_model() -> None:
    """Through the engine (not the notebook) on the shipped prices: each education ADR's CAR(-1,+1) around the
    July 2021 tutoring rules equals a market model fitted by np.polyfit on its own sessions, and the cross-sectional
    p is scipy's t distribution of the CARs (how large the loss was is a finding for the report)."""
    import numpy as np
    from scipy import stats

    from crackdown import eventstudy as es
    from crackdown.calendars import sessions
    from crackdown.data import load_events, load_returns, load_securities

    education = ["TAL", "EDU", "GOTU"]
    returns = load_returns([*education, "IDX_GSPC"])
    res = es.run_event_study(returns, load_securities(), load_events(event_ids=["double_reduction_rules_2021"]),
                             education, window=(-1, 1))
    cars = res.car.set_index("symbol")["car"]
    own = sessions("XNYS", returns.index.min(), returns.index.max())
    for symbol, day0 in res.car.set_index("symbol")["day0"].items():
        r, m = returns[symbol].reindex(own), returns["IDX_GSPC"].reindex(own)
        pos = own.get_loc(day0)
        est, win = slice(pos - 250, pos - 10), slice(pos - 1, pos + 2)
        ok = r.iloc[est].notna() & m.iloc[est].notna()
        beta, alpha = np.polyfit(m.iloc[est][ok], r.iloc[est][ok], 1)
        assert cars[symbol] == pytest.approx((r.iloc[win] - alpha - beta * m.iloc[win]).sum(), abs=1e-10)
    t = cars.mean() / (cars.std(ddof=1) / np.sqrt(len(cars)))
    assert res.caar.loc[0, "caar"] == pytest.approx(cars.mean(), abs=1e-12)
    assert res.caar.loc[0, "p_cs"] == pytest.approx(2 * stats.t.sf(abs(t), len(cars) - 1), rel=1e-9)


def test_market_reaction_long_short_matches_a_recomputation_through_lib(ci_report: Path) -> None:
    """04's long-short CAR and the headline equal a fresh run of crackdown.reaction on its stored events,
    securities and parameters."""
    import pandas as pd

    from crackdown import reaction as rx
    from crackdown.data import load_events, load_return_spans, load_returns, load_securities

    results = _results(ci_report, "04_market_reaction")
    p = results["parameters"]
    assert results["returns_rule"]["gaps"] == p["gaps"]  # the record states the rule across suspensions
    members = pd.DataFrame(results["members"])
    securities = load_securities()
    symbols = list(dict.fromkeys([*members["symbol"], *securities.set_index("symbol").reindex(members["symbol"])[
        "benchmark_symbol"].dropna(), rx.INDEX_BENCHMARK]))
    returns = load_returns(symbols, gaps=p["gaps"], max_span=p["max_span"])
    spans = load_return_spans(symbols, gaps=p["gaps"], max_span=p["max_span"]) if p["gaps"] != "drop" else None
    events = load_events(event_ids=results["event_ids"])
    r = rx.run_reaction(returns, securities, events, members, p["model"], p["estimation"], p["window"],
                        p["min_obs"], p["min_n"], spans=spans)
    ls = rx.long_short_pooled(r)
    assert results["long_short_car"] == pytest.approx(ls["car"], rel=1e-9)
    assert results["long_short_se"] == pytest.approx(ls["se"], rel=1e-9)
    assert results["n_events"] == len(events)
    tests = rx.inference_tests(r)["long_short"]
    for name in ("pairs", "events", "clusters", "calendar_time"):
        assert results["inference"]["long_short"][name]["t"] == pytest.approx(tests[name].t, rel=1e-9)
    chosen = results["inference"]["headline"]["test"]
    assert chosen != "pairs"
    assert results["inference"]["headline"]["p_value"] == pytest.approx(tests[chosen].p_value, rel=1e-9)
    # the headline measures both legs alike: the most conservative defensible alike rule (largest headline p among
    # tests with enough observations; same_market only with both legs in at least two listing markets)
    rule = results["headline"]["benchmark_rule"]
    heads = {k: v["headline"] for k, v in results["by_benchmark"].items() if v["alike"] and v["headline"]}
    need = {"events": 6, "clusters": 6, "calendar_time": 30}  # a test's minimum n to be defensible
    markets = {k: sum(n > 0 for n in (v["events_with_both_legs_by_market"] or {}).values())
               for k, v in results["by_benchmark"].items()}
    alike_p = {k: h["p_value"] for k, h in heads.items() if h["n"] >= need[h["test"]]
               and (k != "same_market" or markets[k] >= 2)} or {k: h["p_value"] for k, h in heads.items()}
    assert rule in rx.ALIKE_RULES and alike_p[rule] == max(alike_p.values())
    # a per-security rule recomputed on the same members (same_market picks listings per market: not here)
    check = rule if rule != "same_market" else "china_market"
    china = list(dict.fromkeys([*symbols, *rx.CHINA_MARKET.values()]))
    returns = load_returns(china, gaps=p["gaps"], max_span=p["max_span"])
    spans = load_return_spans(china, gaps=p["gaps"], max_span=p["max_span"]) if p["gaps"] != "drop" else None
    r = rx.run_reaction(returns, rx.rule_securities(securities, check), events, members, p["model"], p["estimation"],
                        p["window"], p["min_obs"], p["min_n"], spans=spans)
    alike = rx.inference_tests(r)["long_short"]
    recorded = results["by_benchmark"][check]
    for name in ("events", "clusters", "calendar_time"):
        assert recorded["inference"][name]["t"] == pytest.approx(alike[name].t, rel=1e-9)
    assert results["headline"]["thesis_sign"] == -1
    if check != rule:
        return
    chosen = recorded["headline"]["test"]
    assert results["headline"]["p_value"] == pytest.approx(alike[chosen].p_value, rel=1e-9)
    assert results["headline"]["p_value"] >= max(alike[k].p_value for k in ("events", "clusters", "calendar_time")
                                                 if alike[k].n >= {"events": 6, "clusters": 6,
                                                                   "calendar_time": 30}[k]) - 1e-12


def test_summary_numbers_equal_the_individual_results(ci_report: Path) -> None:
    """Every estimate and p-value the summary shows is the one its notebook published, and verdicts follow the rule
    on the Holm-adjusted p-values (checked against statsmodels)."""
    from statsmodels.stats.multitest import multipletests

    from crackdown.summary import verdict

    summary = _results(ci_report, "00_summary")
    assert summary["evidence"], "the summary shows no line of evidence"
    ran = [row for row in summary["evidence"] if row["verdict"] != "not run"]
    adjusted = multipletests([row["p_value"] for row in ran], method="holm")[1]
    for row, holm_p in zip(ran, adjusted, strict=True):
        assert row["p_holm"] == pytest.approx(holm_p, rel=1e-12)
    assert "08_robustness" not in {row["notebook"] for row in summary["evidence"]}
    for row in summary["evidence"]:
        name = row["notebook"]
        if row["verdict"] == "not run":
            assert not (ci_report / "outputs" / "results" / f"{name}.json").exists()
            continue
        headline = _results(ci_report, name)["headline"]
        assert row["estimate"] == headline["estimate"] and row["p_value"] == headline["p_value"]
        assert row["n"] == headline["n"]
        expected = verdict(headline["estimate"], row["p_holm"], headline["thesis_sign"], summary["alpha"])
        assert summary["verdicts"][name] == row["verdict"] == expected
    claims = _results(ci_report, "07_article_claims")
    assert summary["claims_counts"] == claims["counts"]
    assert sum(summary["counts"].values()) == len(summary["evidence"])
