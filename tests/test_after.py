"""crackdown.after on small hand-made tables: event kinds, US-list status, attempt periods, listing summaries and the
forecast test (Fisher's exact test checked against scipy; every other number worked out by hand below)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crackdown import after, words
from crackdown.errors import CrackdownError

T = pd.Timestamp


def test_event_kinds_follow_type_and_actor() -> None:
    events = pd.DataFrame({
        "type": ["easing", "sanction", "fine", "rule", "designation", "policy", "sanction", "easing"],
        "actor": ["PBoC", "US Commerce BIS", "SAMR", "CAC", "US Department of Defense", "State Council",
                  "MOFCOM", "US President; Xi Jinping"],
    })
    # a Chinese sanction (MOFCOM) is not a crackdown type -> other; a US easing stays easing
    assert list(after.event_kinds(events)) == ["easing", "us_action", "chinese_action", "chinese_action",
                                               "us_action", "other", "other", "easing"]


def test_period_events_keep_the_period_and_count_kinds() -> None:
    events = pd.DataFrame({"event_id": ["a", "b", "c", "d"], "date": pd.to_datetime(
        ["2022-12-31", "2023-02-01", "2023-03-01", "2024-05-05"]), "type": ["fine", "fine", "easing", "sanction"],
        "actor": ["SAMR", "SAMR", "PBoC", "US Commerce BIS"]})
    got = after.period_events(events, "2023-01-01", "2024-12-31")
    assert list(got["event_id"]) == ["b", "c", "d"]
    counts = after.kind_counts(got)
    assert counts.loc[2023].tolist() == [1, 1, 0, 0] and counts.loc[2024].tolist() == [0, 0, 1, 0]


ALIGNMENT = pd.DataFrame({
    "firm_id": ["a", "a", "b", "c"],
    "indicator": ["us_entity_list", "us_entity_list", "dod_1260h_list", "govt_revenue_share"],
    "status": ["found", "found", "found", "found"],
    "as_of": pd.to_datetime(["2020-01-01", "2024-01-01", "2023-06-01", "2020-01-01"]),
    "value_num": [1.0, 0.0, 1.0, 0.9],
})


def test_us_list_status_reads_the_latest_fact_before_each_date() -> None:
    firms = pd.Series(["a", "a", "a", "b", "b", "c", "z"])
    on = pd.Series(pd.to_datetime(["2019-06-01", "2021-01-01", "2025-01-01", "2023-01-01", "2023-07-01",
                                   "2025-01-01", "2025-01-01"]))
    # a: before any fact no, listed from 2020, removed 2024; b: listed from mid-2023; c: not a US list; z: no facts
    assert list(after.us_list_status(ALIGNMENT, firms, on)) == [False, True, False, False, True, False, False]


def ipos_fixture() -> pd.DataFrame:
    d = pd.to_datetime
    return pd.DataFrame({
        "ipo_id": ["old_listed", "old_failed", "new_listed", "new_listed2", "new_pending", "new_open_nodate",
                   "too_old"],
        "firm_id": ["a", "b", "c", "a", "b", "c", "a"],
        "venue": ["HKEX Main Board", "SSE STAR Market", "HKEX Main Board (Chapter 18C)", "SSE STAR Market",
                  "SSE STAR Market", "HKEX Main Board", "NYSE"],
        "filing_date": d(["2020-01-01", "2020-03-01", "2023-01-01", "2024-01-01", "2025-02-01", None, "2015-01-01"]),
        "approval_date": d([None, "2021-01-01", None, None, None, None, None]),
        "listing_date": d(["2020-04-10", None, "2023-05-01", "2024-03-01", None, None, "2015-06-01"]),
        "outcome": ["listed", "withdrawn", "listed", "listed", "pending", "under_review", "listed"],
        "outcome_date": d(["2020-04-10", "2021-06-01", "2023-05-01", "2024-03-01", None, None, "2015-06-01"]),
        "amount": [100.0, np.nan, 50.0, np.nan, np.nan, np.nan, 10.0],
        "currency": ["HKD", None, "HKD", None, None, None, "USD"],
        "offer_price": [np.nan, np.nan, 10.0, 20.0, np.nan, np.nan, np.nan],
        "first_day_close": [np.nan, np.nan, 12.5, 15.0, np.nan, np.nan, np.nan],
        "listing_regime": [None, None, "hkex_chapter_18c", "star_standard", None, None, None],
    })


SCORED = pd.DataFrame({"name": ["A", "B", "C"], "sector_group": ["ai_vision_speech", "hard_tech", "large_models"],
                       "score": [0.8, 0.1, 0.0], "aligned": [True, False, False],
                       "group": ["aligned_ai", "hard_tech", "other"], "is_ai_firm": [True, True, True]},
                      index=pd.Index(["a", "b", "c"], name="firm_id"))
BASELINE, PERIOD = ["2019-01-01", "2022-12-31"], ["2023-01-01", "2025-12-31"]


def test_attempt_table_periods_listing_and_returns() -> None:
    got = after.attempt_table(ipos_fixture(), SCORED, ALIGNMENT, BASELINE, PERIOD).set_index("ipo_id")
    assert "too_old" not in got.index  # decided 2015: in neither period
    assert got["period_label"].to_dict() == {"old_listed": "baseline", "old_failed": "baseline",
                                             "new_listed": "period", "new_listed2": "period",
                                             "new_pending": "period", "new_open_nodate": "period"}
    # decided: listing date, else outcome date, else latest of filing/approval, open without dates -> period end
    assert got.loc["new_pending", "decided"] == T("2025-02-01")
    assert got.loc["new_open_nodate", "decided"] == T("2025-12-31")
    assert got["listed"].to_dict() == {"old_listed": True, "old_failed": False, "new_listed": True,
                                       "new_listed2": True, "new_pending": False, "new_open_nodate": False}
    assert got.loc["old_listed", "days_to_list"] == 100  # 2020-01-01 -> 2020-04-10 (leap year: 31+29+31+9)
    assert got.loc["new_listed2", "days_to_list"] == 60  # 2024-01-01 -> 2024-03-01 (31 + 29)
    assert got.loc["new_listed", "first_day_return"] == pytest.approx(0.25)
    assert got.loc["new_listed2", "first_day_return"] == pytest.approx(-0.25)
    assert got.loc["new_listed", "market"] == "HKEX Main Board"
    # firm a on the Entity List 2020-2024: yes at 2020-04-10 and 2024-03-01 (removed 2024-01-01 -> no)
    assert got.loc["old_listed", "us_listed"] and not got.loc["new_listed2", "us_listed"]


def test_baseline_must_end_before_the_period() -> None:
    with pytest.raises(CrackdownError, match="baseline"):
        after.attempt_table(ipos_fixture(), SCORED, ALIGNMENT, ["2019-01-01", "2023-06-30"], PERIOD)


def test_listing_summary_by_group() -> None:
    attempts = after.attempt_table(ipos_fixture(), SCORED, ALIGNMENT, BASELINE, PERIOD)
    table = after.listing_summary(attempts, "group")
    period_other = table.loc[("period", "other")]  # new_listed (listed) and new_open_nodate (open)
    assert period_other["attempts"] == 2 and period_other["listed"] == 1 and period_other["share_listed"] == 0.5
    assert period_other["median_days_to_list"] == 120  # 2023-01-01 -> 2023-05-01
    assert period_other["raised_HKD"] == 50
    period_al = table.loc[("period", "aligned_ai")]  # new_listed2: listed, no amount
    assert period_al["n_no_amount"] == 1 and np.isnan(period_al["raised_HKD"])
    assert period_al["median_first_day_return"] == pytest.approx(-0.25)
    assert table.loc[("baseline", "hard_tech"), "share_listed"] == 0


def test_venue_regime_table_counts() -> None:
    attempts = after.attempt_table(ipos_fixture(), SCORED, ALIGNMENT, BASELINE, PERIOD)
    table = after.venue_regime_table(attempts)
    assert table.loc[("period", "SSE STAR Market", "not recorded"), "attempts"] == 1
    assert table.loc[("period", "SSE STAR Market", "star_standard"), "listed"] == 1


def firms_fixture(aligned: list[bool], listed: list[bool]) -> pd.DataFrame:
    n = len(aligned)
    return pd.DataFrame({"aligned": aligned, "group": ["x"] * n, "score": [0.0] * n, "us_listed": [False] * n,
                         "listed_baseline": [False] * n, "listed_by_end": listed},
                        index=[f"f{i}" for i in range(n)])


def test_forecast_test_matches_scipy_fisher() -> None:
    firms = firms_fixture([True] * 3 + [False] * 6, [True, False, False, True, True, True, True, True, False])
    got = after.forecast_test(firms)
    assert got["share_aligned"] == pytest.approx(1 / 3) and got["share_other"] == pytest.approx(5 / 6)
    assert got["difference"] == pytest.approx(1 / 3 - 5 / 6)
    assert got["p_value"] == pytest.approx(stats.fisher_exact([[1, 2], [5, 1]])[1])
    assert after.forecast_verdict(got) == "did not hold"
    head = after.headline(got, PERIOD)
    assert head["n"] == 9 and head["thesis_sign"] == 1 and head["estimate"] == pytest.approx(-0.5)


@pytest.mark.parametrize(("aligned", "listed", "verdict"), [
    ([True, True, False, False], [True, True, True, False], "held"),  # 1.0 vs 0.5
    ([True, True, False, False], [True, False, True, True], "held in part"),  # 0.5 vs 1.0: half listed, behind
    ([True, True, False, False], [False, False, False, False], "held in part"),  # 0 vs 0: not behind
    ([False, False], [True, False], "not testable"),
])
def test_forecast_verdict_cases(aligned: list[bool], listed: list[bool], verdict: str) -> None:
    got = after.forecast_test(firms_fixture(aligned, listed))
    assert after.forecast_verdict(got) == verdict
    if verdict == "not testable":
        assert got["p_value"] is None and after.headline(got, PERIOD)["estimate"] is None


def test_firm_outcomes_one_row_per_ai_firm() -> None:
    attempts = after.attempt_table(ipos_fixture(), SCORED, ALIGNMENT, BASELINE, PERIOD)
    firms = after.firm_outcomes(attempts)
    assert set(firms.index) == {"a", "b", "c"}
    assert firms.loc["a", "listed_baseline"] and firms.loc["a", "listed_by_end"]
    assert not firms.loc["b", "listed_by_end"] and firms.loc["c", "listed_by_end"]
    assert not firms.loc["c", "listed_baseline"]


def test_study_event_sets_keep_day_precision_events_of_each_kind() -> None:
    events = pd.DataFrame({"event_id": ["a", "b", "c"], "kind": ["easing", "easing", "us_action"],
                           "date_precision": ["day", "month", "day"]})
    sets = after.study_event_sets(events, ["easing", "chinese_action"])
    assert list(sets) == ["easing", "chinese_action"]
    assert list(sets["easing"]["event_id"]) == ["a"] and sets["chinese_action"].empty
    with pytest.raises(CrackdownError, match="event_kinds"):
        after.study_event_sets(events, ["loosening"])


def test_reaction_summary_on_the_reaction_tests_market() -> None:
    import test_reaction as tr

    from crackdown import reaction as rx

    returns = tr._returns()
    members = rx.group_members(tr.GROUPS, tr.SECURITIES, rx.price_coverage(returns), benchmarks=["ETF"])
    events = rx.crackdown_events(start="2021-01-01", end="2022-12-31", events=tr.EVENTS, firms=tr.FIRMS)
    r = rx.run_reaction(returns, tr.SECURITIES, events, members, window=(-1, 1), min_n=1)
    got = after.reaction_summary(r, "chinese_action")
    used = r.cars[r.cars["eligible"]]
    targeted = used.loc[used["group"] == "targeted_platform", "car"].to_numpy()
    aligned = used.loc[used["group"] == "aligned_ai", "car"].to_numpy()
    assert got["caar_targeted"] == pytest.approx(targeted.sum() / len(targeted))
    assert got["caar_aligned"] == pytest.approx(aligned.sum() / len(aligned))
    assert got["n_events"] == used["event_id"].nunique()
    assert got["test"] in ("events", "clusters", "calendar_time") and 0 <= got["p_value"] <= 1
    if got["test"] == "events":  # events as observations: mean over events of the legs' difference
        legs = used.pivot_table(index="event_id", columns="group", values="car", aggfunc="mean", observed=True)
        diff = (legs["targeted_platform"] - legs["aligned_ai"]).dropna()
        assert got["long_short"] == pytest.approx(diff.mean())
    studies = [got, {"kind": "easing", "n_events": 0, "long_short": None, "securities_aligned": 0}]
    record = words.as_written("09_after_the_crackdown", {"event_studies": studies, "parameters": {"window": [-1, 1]}})
    text = words.after.studies(record, {})
    assert text.splitlines()[1].startswith("- easing: no long-short estimate")
    assert f"n = {got['n']}" in text.splitlines()[0]
