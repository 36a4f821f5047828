"""IPO outcomes and enforcement by alignment, on tiny hand-built tables; tests checked by hand computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crackdown import outcomes, words
from crackdown.errors import CrackdownError

SCORED = pd.DataFrame({
    "firm_id": ["p1", "p2", "p3", "a1", "a2"],
    "name": ["P1", "P2", "P3", "A1", "A2"],
    "sector_group": ["consumer_platform", "fintech", "consumer_platform", "ai_vision_speech", "ai_vision_speech"],
    "score": [0.0, 0.2, 0.1, 0.8, 0.6],
    "aligned": [False, False, False, True, True],
    "group": ["targeted_platform", "targeted_platform", "targeted_platform", "aligned_ai", "aligned_ai"],
}).set_index("firm_id")


def _dates(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
    for col in cols:
        frame[col] = pd.to_datetime(frame[col])
    return frame


IPOS = _dates(pd.DataFrame({
    "ipo_id": ["p1_nyse", "p2_star", "p3_hk", "a1_hk", "a1_star", "a2_star"],
    "firm_id": ["p1", "p2", "p3", "a1", "a1", "a2"],
    "venue": ["NYSE", "SSE STAR Market", "HKEX Main Board (secondary listing)", "HKEX Main Board",
              "SSE STAR Market (CDRs)", "SSE STAR Market"],
    "filing_date": ["2021-06-01", "2020-08-25", None, "2019-08-25", "2021-03-12", "2022-01-10"],
    "approval_date": [None, "2020-09-18", "2021-03-01", None, None, None],
    "outcome": ["listed", "suspended", "listed", "lapsed", "stalled", "listed"],
    "outcome_date": ["2021-06-30", "2020-11-03", "2021-03-23", "2020-02-01", None, "2024-02-01"],
    "delayed_by": ["none", "beijing_regulators", "none", "us_sanctions", "unknown", "none"],
}), "filing_date", "approval_date", "outcome_date")


def test_ipo_attempts_success_rule_and_window() -> None:
    attempts = outcomes.ipo_attempts(SCORED, 2019, 2023, ipos=IPOS).set_index("ipo_id")
    assert attempts.loc["p1_nyse", "listed"] and attempts.loc["p3_hk", "listed"]
    assert not attempts.loc["p2_star", "listed"] and not attempts.loc["a1_star", "listed"]  # suspended, stalled
    assert not attempts.loc["a2_star", "listed"]  # listed only after the window ends
    assert attempts.loc["p3_hk", "start"] == pd.Timestamp("2021-03-01")  # first known date is the approval
    assert attempts.loc["p3_hk", "market"] == "HKEX Main Board"
    assert list(outcomes.ipo_attempts(SCORED, 2021, 2021, ipos=IPOS)["ipo_id"]) == ["p3_hk", "a1_star", "p1_nyse"]
    assert set(outcomes.ipo_attempts(SCORED, 2019, 2023, ["NYSE"], ipos=IPOS)["ipo_id"]) == {"p1_nyse"}
    with pytest.raises(CrackdownError, match="venues.*NYS"):
        outcomes.ipo_attempts(SCORED, 2019, 2023, ["NYS"], ipos=IPOS)


def test_outcome_by_group_counts() -> None:
    table = outcomes.outcome_by_group(outcomes.ipo_attempts(SCORED, 2019, 2023, ipos=IPOS))
    assert table.loc["targeted_platform", "attempts"] == 3 and table.loc["targeted_platform", "listed"] == 2
    assert table.loc["aligned_ai", "listed"] == 0 and table.loc["aligned_ai", "lapsed"] == 1
    assert table.loc["targeted_platform", "listed_share"] == pytest.approx(2 / 3)


def _hypergeometric_p(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher p by hand: sum of the probabilities of tables with the margins of [[a, b], [c, d]] that
    are no more likely than the observed one."""
    row1, col1, n = a + b, a + c, a + b + c + d

    def prob(x: int) -> float:
        return math.comb(row1, x) * math.comb(n - row1, col1 - x) / math.comb(n, col1)

    observed = prob(a)
    support = range(max(0, col1 - (n - row1)), min(row1, col1) + 1)
    return sum(prob(x) for x in support if prob(x) <= observed * (1 + 1e-9))


def test_fisher_matches_the_hypergeometric_formula() -> None:
    frame = pd.DataFrame({"aligned": [True] * 5 + [False] * 7,
                          "listed": [True, False, False, False, False] + [True] * 6 + [False]})
    result = outcomes.fisher_aligned_listed(frame)
    assert result.table.to_numpy().tolist() == [[1, 4], [6, 1]]
    assert result.p_value == pytest.approx(_hypergeometric_p(1, 4, 6, 1), rel=1e-9)
    assert result.odds_ratio == pytest.approx((1 * 1) / (4 * 6))


def test_fisher_needs_both_rows() -> None:
    with pytest.raises(CrackdownError, match="empty row or column"):
        outcomes.fisher_aligned_listed(pd.DataFrame({"aligned": [False, False], "listed": [True, False]}))


def test_ipo_counterexamples() -> None:
    cases = outcomes.ipo_counterexamples(outcomes.ipo_attempts(SCORED, 2019, 2023, ipos=IPOS))
    got = dict(zip(cases["ipo_id"], cases["case"], strict=True))
    assert got == {"a1_hk": "aligned firm, IPO not listed", "a1_star": "aligned firm, IPO not listed",
                   "a2_star": "aligned firm, IPO not listed", "p1_nyse": "targeted firm, IPO listed",
                   "p3_hk": "targeted firm, IPO listed"}
    assert cases.set_index("ipo_id").loc["a1_hk", "delayed_by"] == "us_sanctions"


EVENTS = _dates(pd.DataFrame({
    "event_id": ["f1", "s1", "r1", "f2", "old"],
    "date": ["2021-04-10", "2021-04-13", "2021-05-01", "2022-07-21", "2019-01-01"],
    "type": ["fine", "summons", "rule", "fine", "fine"],
    "firm_ids": ["p1", "p1;p2;a1", "p1;p2", "p2", "p3"],
}), "date")
PENALTIES = _dates(pd.DataFrame({
    "firm_id": ["p1", "p1", "p2", "p2", "a1", "p3"],
    "date": ["2021-04-10", "2021-04-10", "2022-07-21", "2021-07-07", "2021-07-07", "2019-01-01"],
    "penalty_type": ["fine", "rectification_order", "fine", "fine", "fine", "fine"],
    "amount": [100.0, 50.0, 8.0, None, 2.0, 9.0],
    "currency": ["CNY", "CNY", "CNY", None, "USD", "CNY"],
    "share_of_revenue": [0.04, None, None, None, None, None],
}), "date")


def test_enforcement_table_counts_and_amounts() -> None:
    table = outcomes.enforcement_table(SCORED, "2020-01-01", "2023-12-31", events=EVENTS, penalties=PENALTIES)
    assert table.loc["p1", "actions"] == 2  # fine + summons; the rule is not punitive
    assert table.loc["p2", "actions"] == 2 and table.loc["a1", "actions"] == 1 and table.loc["p3", "actions"] == 0
    assert table.loc["p1", "fined_CNY"] == 100.0  # the rectification order's amount is not a penalty
    assert table.loc["p1", "penalties"] == 2 and table.loc["p1", "max_share_of_revenue"] == 0.04
    assert table.loc["p2", "fined_CNY"] == 8.0 and table.loc["p2", "amount_unstated"] == 1
    assert table.loc["a1", "fined_CNY"] == 0.0 and table.loc["a1", "fined_USD"] == 2.0  # never converted
    assert table.loc["p3", "penalties"] == 0  # outside the window
    assert list(table.index[:2]) == ["a1", "a2"]  # sorted by score
    only_rules = outcomes.enforcement_table(SCORED, "2020-01-01", "2023-12-31", ["rule"], events=EVENTS,
                                            penalties=PENALTIES)
    assert only_rules["actions"].to_dict() == {"a1": 0, "a2": 0, "p2": 1, "p3": 0, "p1": 1}


def test_action_events_lists_each_firm_event_once() -> None:
    named = outcomes.action_events("2020-01-01", "2023-12-31", events=EVENTS)
    assert sorted(zip(named["firm_id"], named["event_id"], strict=True)) == [
        ("a1", "s1"), ("p1", "f1"), ("p1", "s1"), ("p2", "f2"), ("p2", "s1")]


def test_against_pattern() -> None:
    table = outcomes.enforcement_table(SCORED, "2020-01-01", "2023-12-31", events=EVENTS, penalties=PENALTIES)
    cases = outcomes.against_pattern(table)["case"].to_dict()
    assert cases == {"a1": "aligned, yet penalised", "p3": "unaligned targeted-sector firm, no action or penalty"}


def test_spearman_matches_scipy_with_ties() -> None:
    x = [0.0, 0.0, 0.2, 0.2, 0.4, 0.8, 0.8, 1.0]
    y = [5, 3, 3, 1, 0, 2, 0, 0]
    result = outcomes.spearman_permutation(x, y, 200, np.random.default_rng(1))
    assert result.rho == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert result.p_asymptotic == pytest.approx(stats.spearmanr(x, y).pvalue)
    assert 1 / 201 <= result.p_permutation <= 1
    again = outcomes.spearman_permutation(x, y, 200, np.random.default_rng(1))
    assert again.p_permutation == result.p_permutation  # one seeded Generator, reproducible


def test_spearman_permutation_p_matches_the_exact_null() -> None:
    # n = 4, perfectly increasing: only the identity and the reversal of 4! = 24 orders reach |rho| = 1,
    # so the exact two-sided p is 2/24.
    result = outcomes.spearman_permutation([1, 2, 3, 4], [10, 20, 30, 40], 40_000, np.random.default_rng(7))
    assert result.rho == pytest.approx(1.0)
    assert result.p_permutation == pytest.approx(2 / 24, abs=0.006)
    # a perfectly monotone relation among 9 values: exact p = 2/9! ~ 5.5e-6, so 500 permutations are expected to
    # reach it 0.003 times; the p-value sits at (or, very rarely, just above) its floor 1/501
    big = outcomes.spearman_permutation(range(9), range(9, 0, -1), 500, np.random.default_rng(3))
    assert big.rho == pytest.approx(-1.0)
    assert 1 / 501 - 1e-12 <= big.p_permutation <= 3 / 501


def test_spearman_errors() -> None:
    with pytest.raises(CrackdownError, match="constant"):
        outcomes.spearman_permutation([1, 2, 3], [0, 0, 0], 10, np.random.default_rng(0))
    with pytest.raises(CrackdownError, match="n_permutations"):
        outcomes.spearman_permutation([1, 2, 3], [1, 2, 4], 0, np.random.default_rng(0))


def test_year_and_type_checks() -> None:
    assert outcomes.check_years(2019, 2023) == (2019, 2023)
    with pytest.raises(CrackdownError, match="start_year"):
        outcomes.check_years(2022, 2020)
    with pytest.raises(CrackdownError, match="end_year"):
        outcomes.check_years(2019, 2030)
    assert outcomes.check_types([]) == list(outcomes.PUNITIVE_TYPES)
    with pytest.raises(CrackdownError, match="event_types"):
        outcomes.check_types(["fines"])


def test_shipped_data_enforcement_totals_match_the_penalties_table() -> None:
    from crackdown.data import load_penalties

    penalties = load_penalties()
    table = outcomes.enforcement_table(outcomes.scored_firms(), "2017-01-01", "2023-12-31")
    assert table["penalties"].sum() == len(penalties)
    money = penalties[penalties["penalty_type"].isin(["fine", "confiscation"]) & (penalties["currency"] == "CNY")]
    assert table["fined_CNY"].sum() == pytest.approx(money["amount"].sum())
    assert table.index.is_unique and len(table) == len(outcomes.scored_firms())


# --- notebook 06's results record and narrative ---------------------------------------------------------------
def _enforcement_inputs() -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    table = outcomes.enforcement_table(SCORED, "2020-01-01", "2023-12-31", events=EVENTS, penalties=PENALTIES)
    rng = np.random.default_rng(5)
    tests = {m: outcomes.spearman_permutation(table["score"], table[m], 199, rng)
             for m in outcomes.ENFORCEMENT_MEASURES}
    return table, tests, outcomes.against_pattern(table)


def test_enforcement_verdict_needs_significance() -> None:
    result = outcomes.SpearmanResult(rho=-0.6, p_permutation=0.01, p_asymptotic=0.02, n=30, n_permutations=999)
    assert outcomes.enforcement_verdict(result).startswith("less-aligned")
    assert outcomes.enforcement_verdict(result._replace(rho=0.6)).startswith("more-aligned")
    assert outcomes.enforcement_verdict(result._replace(p_permutation=0.2)).startswith("no clear")
    assert outcomes.enforcement_verdict(result, alpha=0.005).startswith("no clear")


def test_spearman_table_and_counted_events() -> None:
    table, tests, _ = _enforcement_inputs()
    shown = outcomes.spearman_table(tests)
    assert list(shown.index) == list(outcomes.ENFORCEMENT_MEASURES)
    assert (shown["firms"] == len(table)).all() and (shown["permutations"] == 199).all()
    assert ((shown["rho"] >= -1) & (shown["rho"] <= 1)).all()
    which = outcomes.counted_events(outcomes.action_events("2020-01-01", "2023-12-31", events=EVENTS))
    assert which.to_dict() == {"a1": "s1", "p1": "f1; s1", "p2": "s1; f2"}


def test_enforcement_record_by_hand() -> None:
    table, tests, against = _enforcement_inputs()
    record = outcomes.enforcement_record(table, tests, against, {"n_permutations": 199, "seed": 5})
    assert record["n_firms"] == 5 and record["n_aligned"] == 2
    assert record["total_actions"] == 5  # p1 2, p2 2, a1 1
    assert record["total_fined_cny"] == 108.0  # the USD fine stays out
    assert record["currencies"] == ["CNY", "USD"]
    assert record["mean_actions_aligned"] == pytest.approx(0.5)
    assert record["mean_actions_not_aligned"] == pytest.approx(4 / 3)
    assert record["aligned_yet_penalised"] == ["a1"] and record["spared_unaligned_targeted"] == ["p3"]
    assert record["firms_without_action"] == 2 and record["top5_action_share"] == 1.0
    assert record["tied_at_min_score"] == 1
    assert record["headline"]["estimate"] < 0  # the most aligned firms (a1, a2) had the fewest actions
    assert record["parameters"] == {"n_permutations": 199, "seed": 5}
    assert record["verdict"] == outcomes.enforcement_verdict(tests["actions"])
    answer = words.enforcement.answer(words.as_written("06_enforcement", record), {})
    assert answer.endswith(outcomes.enforcement_verdict(tests["actions"]) + ".")


def enforcement_words(table, tests, against, which=None, n_permutations=199, facts=None, names=None) -> str:
    """Notebook 06's narrative from its record as written (threshold 0.5, events 2020-2023)."""
    record = outcomes.enforcement_record(table, tests, against, {"n_permutations": n_permutations, "threshold": 0.5},
                                         which, (pd.Timestamp("2020-01-01"), pd.Timestamp("2023-12-31")), facts)
    return words.enforcement.narrative(words.as_written("06_enforcement", record), names or {})


def test_enforcement_narrative_names_the_counterexamples() -> None:
    table, tests, against = _enforcement_inputs()
    which = outcomes.counted_events(outcomes.action_events("2020-01-01", "2023-12-31", events=EVENTS))
    text = enforcement_words(table, tests, against, which)
    assert "Across **5 firms** and 2020-01-01..2023-12-31" in text
    assert "aligned firms acted against or penalised: a1 (s1); " in text
    assert "with no action or penalty: p3." in text
    most = text.split("The most-targeted firms were ")[1].split(".")[0]
    assert sorted(most.split(", ")) == ["a1 (1)", "a2 (0)", "p1 (2)", "p2 (2)", "p3 (0)"]  # all five, counted
    assert len(text.split("\n\n")) == 4
    named = enforcement_words(table, tests, against, which, names={"a1": "Aye One", "p3": "Pee Three",
                                                                   "s1": "Regulator summons Aye One"})
    assert "acted against or penalised: Aye One (Regulator summons Aye One); " in named
    assert "no action or penalty: Pee Three." in named


# --- notebook 05's results record and narrative ---------------------------------------------------------------
def _ipo_inputs() -> tuple[pd.DataFrame, outcomes.FisherResult, pd.DataFrame]:
    attempts = outcomes.ipo_attempts(SCORED, 2019, 2023, ipos=IPOS)
    return attempts, outcomes.fisher_aligned_listed(attempts), outcomes.ipo_counterexamples(attempts)


def test_outcome_by_alignment_rows() -> None:
    attempts, _, _ = _ipo_inputs()
    table = outcomes.outcome_by_alignment(attempts, 0.5)
    assert set(table.index) == {outcomes.aligned_label(0.5), "not aligned"}
    assert table.loc["not aligned", "listed"] == 2 and table.loc["aligned (score >= 0.5)", "listed"] == 0
    assert table["attempts"].sum() == len(attempts)


def test_ipo_record_by_hand() -> None:
    attempts, fisher, cases = _ipo_inputs()
    record = outcomes.ipo_record(attempts, fisher, cases, {"threshold": 0.5})
    # aligned a1 and a2: 0 of 3 attempts listed; targeted p1..p3: p1_nyse and p3_hk of 3
    assert record["n_attempts"] == 6 and record["n_firms"] == 5 and record["n_listed"] == 2
    assert record["listed_share_aligned"] == 0.0
    assert record["listed_share_not_aligned"] == pytest.approx(2 / 3)
    assert record["headline"]["estimate"] == pytest.approx(-2 / 3)
    assert record["table_2x2"] == [[0, 3], [2, 1]]
    assert sorted(record["aligned_failed"]) == ["a1_hk", "a1_star", "a2_star"]
    assert record["targeted_failed"] == ["p2_star"]
    assert record["targeted_failed_delayed_by"] == {"p2_star": "beijing_regulators"}
    assert sorted(record["targeted_listed"]) == ["p1_nyse", "p3_hk"]
    assert record["targeted_failed_cases"] == [{"ipo_id": "p2_star", "outcome": "suspended",
                                                 "delayed_by": "beijing_regulators"}]
    answer = words.ipo.answer(words.as_written("05_ipo_outcomes", record), {})
    assert answer.startswith("No: aligned firms listed less often (0/3 aligned vs 2/3 other")
    assert record["parameters"] == {"threshold": 0.5}


def test_ipo_narrative_explains_each_failure() -> None:
    attempts, fisher, cases = _ipo_inputs()
    record = words.as_written("05_ipo_outcomes", outcomes.ipo_record(attempts, fisher, cases, {"threshold": 0.5},
                                                                      years=(2019, 2023)))
    text = words.ipo.narrative(record, {})
    assert text.startswith("Of **6 IPO attempts** by 5 firms with a first step in 2019-2023, 2 listed")
    assert "Aligned firms listed 0% of their attempts, the others 67%" in text
    assert "not significant at 5%" in text  # six attempts cannot reach p < 0.05 with these margins
    assert "a1_hk (lapsed; US sanctions)" in text
    assert "did not list: p2_star (suspended; Beijing regulators)" in text
    named = words.ipo.narrative(record, {"p2_star": "P Two (STAR, 2020)", "p1": "P One"})
    assert "did not list: P Two (STAR, 2020) (suspended; Beijing regulators)" in named
    assert "2 targeted-platform attempts listed (p3, P One)" in named  # counterexamples in their table order


# --- IPO codings (issue 15) ----------------------------------------------------------------------------------
def test_ipo_codings_by_hand() -> None:
    ipos = pd.concat([IPOS, IPOS.iloc[[1]].assign(ipo_id="p2_hk", venue="HKEX Main Board")], ignore_index=True)
    attempts = outcomes.ipo_attempts(SCORED, 2019, 2023, ipos=ipos)
    events = _dates(pd.DataFrame({
        "event_id": ["review_p1", "fine_p3_late", "rule_p1"],
        "date": ["2021-07-02", "2022-06-01", "2021-07-01"],  # p1 listed 2021-06-30; p3 listed 2021-03-23
        "type": ["review", "fine", "rule"], "firm_ids": ["p1", "p3", "p1"]}), "date")
    codings = outcomes.ipo_codings(attempts, events)
    listed = {name: set(a.loc[a["listed"], "ipo_id"]) for name, a in codings.items()}
    assert listed["as_listed"] == {"p1_nyse", "p3_hk"}
    assert listed["punished_within_year"] == {"p3_hk"}  # p1 reviewed 2 days after listing; p3's fine 435 days on
    assert codings["punished_within_year"].set_index("ipo_id").loc["p1_nyse", "punished_by"] == "review_p1"
    assert len(codings["one_per_firm_date"]) == len(attempts) - 1  # p2's two simultaneous attempts count once
    # stopped by Beijing: p2's two suspended attempts and p1's punished listing; a1's sanctions-lapsed attempt is not
    assert set(codings["beijing_cause"].loc[~codings["beijing_cause"]["listed"], "ipo_id"]) == {
        "p1_nyse", "p2_star", "p2_hk"}
    record = outcomes.by_coding_record(codings)
    b = codings["beijing_cause"]
    table = pd.crosstab(b["aligned"], b["listed"]).reindex(index=[True, False], columns=[True, False], fill_value=0)
    assert record["beijing_cause"]["table_2x2"] == table.to_numpy().tolist()
    assert record["beijing_cause"]["p_value"] == pytest.approx(stats.fisher_exact(table.to_numpy())[1])
    assert record["as_listed"]["failed"]["a1_hk"] == {"cause": "us_sanctions", "punished_by": None}
    assert record["punished_within_year"]["listed_share_aligned"] == 0.0


def test_enforcement_narrative_calls_enforcement_concentrated_only_above_half() -> None:
    table, tests, against = _enforcement_inputs()
    record = outcomes.enforcement_record(table, tests, against, {"n_permutations": 199})
    facts = pd.Series(2, index=table.index)
    text = enforcement_words(table, tests, against, facts=facts)
    expect = "enforcement is concentrated" if record["top5_action_share"] >= 0.5 else "spread rather than concentrated"
    assert expect in text
    low = table[table["score"] == table["score"].min()]
    assert "median 2 recorded alignment facts" in text and str(len(low)) in text
    spread = table.assign(actions=1)  # every firm acted against once: top five's share = 5 / n
    rec = outcomes.enforcement_record(spread, tests, against, {"n_permutations": 199})
    assert rec["top5_action_share"] == pytest.approx(min(5, len(table)) / len(table))
    wording = enforcement_words(spread, tests, against, facts=facts)
    assert ("spread rather than concentrated" in wording) == (rec["top5_action_share"] < 0.5)


# --- boundaries, errors and record fields that mutation testing found unchecked (MUTATION.md) -----------------
def _attempts(aligned: tuple[int, int], other: tuple[int, int]) -> pd.DataFrame:
    """IPO attempts, one firm each: ``aligned`` = (listed, total) of aligned_ai firms, ``other`` the same for
    targeted_platform firms; failed attempts were withdrawn, delayed by Beijing."""
    rows = []
    for is_aligned, (listed, total) in ((True, aligned), (False, other)):
        for k in range(total):
            tag = f"{'a' if is_aligned else 'p'}{k}"
            rows.append({"ipo_id": f"{tag}_hk", "firm_id": tag, "aligned": is_aligned, "listed": k < listed,
                         "group": "aligned_ai" if is_aligned else "targeted_platform",
                         "score": 0.8 if is_aligned else 0.1, "market": "HKEX Main Board",
                         "start": pd.Timestamp("2020-01-01"), "outcome_date": pd.Timestamp("2021-01-01"),
                         "outcome": "listed" if k < listed else "withdrawn",
                         "delayed_by": "none" if k < listed else "beijing_regulators"})
    return pd.DataFrame(rows)


def test_fisher_table_is_labelled_aligned_by_listed() -> None:
    table = outcomes.fisher_aligned_listed(_attempts((1, 2), (1, 3))).table
    assert (table.index.name, table.columns.name) == ("aligned", "listed")
    assert list(table.index) == [True, False] and list(table.columns) == [True, False]


@pytest.mark.parametrize(("aligned", "other", "counts"), [
    ((2, 2), (1, 1), "[[2, 0], [1, 0]]"),  # every attempt listed: empty "not listed" column
    ((0, 2), (0, 3), "[[0, 2], [0, 3]]"),  # none listed: empty "listed" column
])
def test_fisher_needs_both_columns_and_names_the_counts(aligned, other, counts: str) -> None:
    with pytest.raises(CrackdownError) as info:
        outcomes.fisher_aligned_listed(_attempts(aligned, other))
    assert str(info.value) == ("threshold/venues/years: the 2x2 table has an empty row or column (aligned x listed "
                               f"counts {counts}); Fisher's test needs both")


def test_spearman_rejects_unequal_or_short_series_by_name() -> None:
    with pytest.raises(CrackdownError, match=r"^spearman: need two equally long series of at least 3 values, "
                                             r"got 4, 3$"):
        outcomes.spearman_permutation([1, 2, 3, 4], [1, 2, 3], 10, np.random.default_rng(0))
    with pytest.raises(CrackdownError, match=r"^spearman: need two .* got 2, 2$"):
        outcomes.spearman_permutation([1, 2], [2, 1], 10, np.random.default_rng(0))
    with pytest.raises(CrackdownError, match=r"^n_permutations: "):
        outcomes.spearman_permutation([1, 2, 3], [1, 2, 4], 0, np.random.default_rng(0))


def test_spearman_constant_series_is_a_clear_error_without_numpy_warnings() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a 0/0 RuntimeWarning would surface here instead of the error
        with pytest.raises(CrackdownError, match=r"^spearman: one of the series is constant \(every value tied\)"):
            outcomes.spearman_permutation([1, 2, 3], [5, 5, 5], 10, np.random.default_rng(0))


def test_spearman_accepts_a_single_permutation() -> None:
    # rho = 1 on three values; one permuted y is as extreme only if it is sorted or reversed: p is 2/2 or 1/2
    result = outcomes.spearman_permutation([1, 2, 3], [1, 2, 3], 1, np.random.default_rng(0))
    assert result.n_permutations == 1 and result.p_permutation in (0.5, 1.0)


def test_enforcement_verdict_positive_rho_at_alpha_is_not_significant() -> None:
    r = outcomes.SpearmanResult(rho=0.4, p_permutation=0.05, p_asymptotic=0.05, n=20, n_permutations=999)
    assert outcomes.enforcement_verdict(r) == "no clear rank relation between alignment and punitive actions"


def test_ipo_record_fields_by_hand() -> None:
    attempts, fisher, cases = _ipo_inputs()  # 0/3 aligned and 2/3 targeted attempts listed: [[0, 3], [2, 1]]
    codings = {"as_listed": {"n_attempts": 6}}
    record = outcomes.ipo_record(attempts, fisher, cases, {"threshold": 0.5}, by_coding=codings)
    p = _hypergeometric_p(0, 3, 2, 1)
    assert record["p_value"] == pytest.approx(p, rel=1e-9)
    assert record["odds_ratio"] == 0.0  # 0 * 1 / (3 * 2)
    assert record["listed_share_by_group"] == {"aligned_ai": 0.0, "targeted_platform": pytest.approx(2 / 3)}
    assert record["aligned_failed_delayed_by"] == {"a1_hk": "us_sanctions", "a1_star": "unknown", "a2_star": "none"}
    head = record["headline"]
    assert head["label"] == "listed share of aligned minus other firms' IPO attempts"
    assert head["statistic"] == "Fisher's exact test (aligned x listed)"
    assert head["p_value"] == pytest.approx(p, rel=1e-9) and head["n"] == 6 and head["thesis_sign"] == 1
    assert record["by_coding"] == codings
    assert "by_coding" not in outcomes.ipo_record(attempts, fisher, cases, {"threshold": 0.5})


def test_ipo_record_infinite_odds_ratio_is_recorded_as_none() -> None:
    attempts = _attempts((2, 2), (1, 3))  # [[2, 0], [1, 2]]: a zero off-diagonal cell, odds ratio 2*2/(0*1)
    fisher = outcomes.fisher_aligned_listed(attempts)
    assert math.isinf(fisher.odds_ratio)
    record = outcomes.ipo_record(attempts, fisher, outcomes.ipo_counterexamples(attempts), {"threshold": 0.5})
    assert record["odds_ratio"] is None
    assert record["p_value"] == pytest.approx(_hypergeometric_p(2, 0, 1, 2), rel=1e-9)


def test_ipo_answer_counts_each_row_against_its_own_total() -> None:
    attempts = _attempts((2, 3), (1, 5))  # unequal row totals: 2 of 3 aligned, 1 of 5 other attempts listed
    fisher = outcomes.fisher_aligned_listed(attempts)
    record = outcomes.ipo_record(attempts, fisher, outcomes.ipo_counterexamples(attempts), {"threshold": 0.5})
    assert "(2/3 aligned vs 1/5 other attempts listed;" in words.ipo.answer(words.as_written("05_ipo_outcomes", record), {})


@pytest.mark.parametrize(("aligned", "other", "p", "lead", "significance"), [
    ((3, 4), (1, 4), 0.049, "Yes", "significant at 5%"),
    ((3, 4), (1, 4), 0.05, "Not clearly", "not significant at 5%"),  # p = 0.05 is not below 5%
    ((2, 4), (2, 4), 0.01, "No", "significant at 5%"),  # "Yes" needs aligned firms listed MORE often
])
def test_ipo_lead_at_the_boundaries(aligned, other, p: float, lead: str, significance: str) -> None:
    # the Fisher result is an input of ipo_record (and so of its words): its p is set by hand to sit on each boundary
    attempts = _attempts(aligned, other)
    table = outcomes.fisher_aligned_listed(attempts).table
    fisher = outcomes.FisherResult(table, 1.0, p)
    cases = outcomes.ipo_counterexamples(attempts)
    record = words.as_written("05_ipo_outcomes", outcomes.ipo_record(attempts, fisher, cases, {"threshold": 0.5},
                                                                     years=(2019, 2023)))
    assert words.ipo.answer(record, {}).startswith(f"{lead}: ")
    text = words.ipo.narrative(record, {})
    assert f"p = {p:.3f} ({significance};" in text


def test_ipo_narrative_paragraphs_by_hand() -> None:
    attempts = _attempts((1, 2), (2, 3))  # p0_hk and p1_hk listed (targeted), a1_hk and p2_hk did not
    fisher = outcomes.fisher_aligned_listed(attempts)
    record = outcomes.ipo_record(attempts, fisher, outcomes.ipo_counterexamples(attempts), {"threshold": 0.5},
                                 years=(2019, 2023))
    text = words.ipo.narrative(words.as_written("05_ipo_outcomes", record), {})
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 4
    assert paragraphs[1] == "Aligned firms whose IPO did not list: a1_hk (withdrawn; Beijing regulators)."
    assert paragraphs[2] == ("Targeted-platform attempts that did not list: p2_hk (withdrawn; Beijing regulators); "
                             "2 targeted-platform attempts listed (p0, p1).")
    assert paragraphs[3] == "Listed share by group: aligned AI 50% of 2, targeted platform 67% of 3."
