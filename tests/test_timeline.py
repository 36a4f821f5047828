"""Timeline lanes, markers and counts on tiny hand-built tables, and properties of the shipped events."""

from __future__ import annotations

import pandas as pd
import pytest

from crackdown import timeline, words
from crackdown.errors import CrackdownError

FIRMS = pd.DataFrame({"firm_id": ["a", "b", "c"], "sector_group": ["consumer_platform", "consumer_platform", "fintech"]})


def _events(rows: list[tuple]) -> pd.DataFrame:
    cols = ["event_id", "date", "date_precision", "type", "actor", "firm_ids", "sectors"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


EVENTS = _events([
    ("e1", "2021-01-05", "day", "fine", "SAMR", "a;b", "consumer_platform"),  # two firms, one lane
    ("e2", "2021-03-01", "month", "rule", "CAC", None, "consumer_platform;education"),  # sector-only, two lanes
    ("e3", "2021-02-10", "day", "summons", "PBoC", "c;a", "fintech;crypto"),  # crypto not covered by a firm
    ("e4", "2021-04-01", "day", "law", "NPC", None, None),  # no target at all
])


def test_event_lanes_places_each_target_once() -> None:
    lanes = timeline.event_lanes(EVENTS, FIRMS)
    got = set(zip(lanes["event_id"], lanes["lane"], lanes["firm_id"].fillna("-"), strict=True))
    assert got == {
        ("e1", "consumer_platform", "a"), ("e1", "consumer_platform", "b"),
        ("e2", "consumer_platform", "-"), ("e2", "education", "-"),
        ("e3", "fintech", "c"), ("e3", "consumer_platform", "a"), ("e3", "crypto", "-"),
        ("e4", timeline.ECONOMY_WIDE, "-"),
    }
    assert len(lanes) == 8
    assert lanes["date"].is_monotonic_increasing
    assert lanes.loc[lanes["event_id"] == "e2", "date_precision"].eq("month").all()
    assert lanes.loc[lanes["event_id"] == "e1", "category"].eq("Beijing enforcement").all()


def test_unknown_firm_is_an_error() -> None:
    with pytest.raises(CrackdownError, match="zz"):
        timeline.event_lanes(_events([("x", "2021-01-01", "day", "fine", "SAMR", "zz", None)]), FIRMS)


def test_markers_merge_firms_of_one_lane() -> None:
    markers = timeline.lane_markers(timeline.event_lanes(EVENTS, FIRMS))
    e1 = markers[markers["event_id"] == "e1"]
    assert len(e1) == 1 and e1["firms"].iloc[0] == 2
    assert markers.loc[markers["event_id"] == "e2", "firms"].eq(0).all()


def test_counts_by_firm_and_type() -> None:
    table = timeline.counts_by_firm_and_type(timeline.event_lanes(EVENTS, FIRMS))
    assert table.loc["a", "fine"] == 1 and table.loc["a", "summons"] == 1 and table.loc["a", "total"] == 2
    assert table.loc["c", "total"] == 1
    assert table.index[0] == "a"  # sorted by total
    assert "law" not in table.columns  # e4 names no firm


def test_cumulative_by_group_counts_distinct_events_per_month() -> None:
    cum = timeline.cumulative_by_group(timeline.event_lanes(EVENTS, FIRMS))
    assert list(cum.index) == list(pd.date_range("2021-01-01", "2021-04-01", freq="MS"))
    # consumer platform: e1 (Jan), e3 (Feb), e2 (Mar) -> 1, 2, 3, 3
    assert cum["consumer_platform"].tolist() == [1, 2, 3, 3]
    assert cum["fintech"].tolist() == [0, 1, 1, 1]
    assert cum[timeline.ECONOMY_WIDE].tolist() == [0, 0, 0, 1]


def test_select_and_category_by_lane() -> None:
    lanes = timeline.event_lanes(EVENTS, FIRMS)
    picked = timeline.select(lanes, "2021-01-01", "2021-02-28", ["fine", "summons"], ["consumer_platform"])
    assert sorted(picked["event_id"]) == ["e1", "e1", "e3"]
    table = timeline.category_by_lane(lanes)
    assert table.loc["consumer_platform", "Beijing enforcement"] == 2
    assert table.loc["consumer_platform", "first_enforcement"] == pd.Timestamp("2021-01-05")
    assert pd.isna(table.loc["education", "first_enforcement"])


def test_parameter_checks_name_the_parameter() -> None:
    assert timeline.check_lanes("firm_groups", []) == list(timeline.LANES)
    with pytest.raises(CrackdownError, match="firm_groups.*fintek"):
        timeline.check_lanes("firm_groups", ["fintek"])
    with pytest.raises(CrackdownError, match="event_types"):
        timeline.check_event_types("event_types", ["fines"])


def test_every_event_type_has_one_category() -> None:
    from crackdown.data.schemas import EVENT_TYPES

    assert set(timeline.TYPE_CATEGORY) == set(EVENT_TYPES)
    assert sum(len(v) for v in timeline.CATEGORIES.values()) == len(EVENT_TYPES)


def test_shipped_events_every_event_lands_on_a_lane() -> None:
    from crackdown.data import load_events

    events = load_events()
    lanes = timeline.event_lanes()
    assert set(lanes["event_id"]) == set(events["event_id"])
    assert set(lanes["lane"]) <= set(timeline.LANES)
    named = lanes.dropna(subset=["firm_id"])
    expected = events["firm_ids"].fillna("").str.split(";").map(lambda xs: len([x for x in xs if x.strip()])).sum()
    assert len(named) == expected


def _written(record: dict) -> dict:
    """The record as notebook 02 writes it to JSON (what its words read)."""
    return words.as_written("02_timeline", record)


# --- notebook 02's results record and narrative ---------------------------------------------------------------
OUTCOMES = pd.DataFrame({
    "ipo_id": ["a_hk", "c_star", "b_nyse"], "firm_id": ["a", "c", "b"],
    "lane": ["consumer_platform", "fintech", "consumer_platform"],
    "date": pd.to_datetime(["2021-03-01", "2021-06-01", "2022-02-01"]), "date_precision": ["day", "day", "month"],
    "outcome": ["listed", "suspended", "withdrawn"], "delayed_by": ["none", "beijing_regulators", "unknown"],
})
START, END = pd.Timestamp("2021-01-01"), pd.Timestamp("2021-12-31")


def test_outcomes_in_filters_dates_and_lanes() -> None:
    kept = timeline.outcomes_in(OUTCOMES, START, END, ["consumer_platform", "fintech"])
    assert list(kept["ipo_id"]) == ["a_hk", "c_star"]  # b_nyse falls after the window
    assert list(timeline.outcomes_in(OUTCOMES, START, END, ["fintech"])["ipo_id"]) == ["c_star"]


def test_timeline_record_by_hand() -> None:
    lanes = timeline.event_lanes(EVENTS, FIRMS)
    shown = timeline.outcomes_in(OUTCOMES, START, END, timeline.LANES)
    record = timeline.timeline_record(lanes, shown, START, END, {"start": "2021-01-01"})
    # enforcement (fine e1, summons e3): consumer_platform e1+e3, fintech e3, crypto e3 (sector-wide)
    assert record["n_events"] == 4 and record["n_ipo_outcomes"] == 2
    assert record["top_enforced_lane"] == "consumer_platform"
    assert record["top_enforced_lane_share"] == pytest.approx(2 / 4)
    assert {k: v for k, v in record["enforcement_by_lane"].items() if v} == {
        "consumer_platform": 2, "fintech": 1, "crypto": 1}
    assert record["most_enforced_firms"] == {"a": 2, "b": 1, "c": 1}
    assert record["first_enforcement_by_lane"]["consumer_platform"] == "2021-01-05"
    assert record["window"] == ["2021-01-01", "2021-12-31"]
    assert record["ipo_outcomes_not_listed"] == [{"ipo_id": "c_star", "outcome": "suspended",
                                                  "delayed_by": "beijing_regulators"}]
    assert words.timeline.answer(_written(record), {"a": "Alpha Ltd"}) == (
        "Consumer platform took 2 of 4 Beijing enforcement actions (lane counts) in 2021-2021; most-hit firm "
        "Alpha Ltd (2); no US measures in the selection.")
    assert record["parameters"] == {"start": "2021-01-01"}


def test_timeline_record_without_enforcement_says_so() -> None:
    lanes = timeline.select(timeline.event_lanes(EVENTS, FIRMS), START, END, ["rule", "law"], timeline.LANES)
    record = timeline.timeline_record(lanes, OUTCOMES.iloc[:0], START, END, {})
    assert record["top_enforced_lane"] is None and record["top_enforced_lane_share"] is None
    assert words.timeline.answer(_written(record), {}) == (
        "No Beijing enforcement actions in the selection (2021-01-01..2021-12-31).")


def test_timeline_narrative_lists_quiet_groups_and_failed_ipos() -> None:
    lanes = timeline.event_lanes(EVENTS, FIRMS)
    shown = timeline.outcomes_in(OUTCOMES, START, END, timeline.LANES)
    text = words.timeline.narrative(_written(timeline.timeline_record(lanes, shown, START, END, {})), {})
    assert text.startswith("In 2021-01-01..2021-12-31 the selection holds **4 events**")
    assert "fell most often on **consumer platform** (2 of 4, 50%)" in text  # half is not "mainly"
    assert "no Beijing enforcement action: " in text and "education" in text.split("no Beijing enforcement")[1]
    assert "US measures" not in text  # none in the fixture
    assert "1 listed; those that did not: c_star (suspended, Beijing regulators)." in text
    named = words.timeline.narrative(_written(timeline.timeline_record(lanes, shown, START, END, {})),
                                     {"c_star": "Cee Corp (STAR, 2021)", "a": "Alpha Ltd"})
    assert "those that did not: Cee Corp (STAR, 2021) (suspended" in named
    assert "Most-hit firms: Alpha Ltd (2)" in named and "c_star" not in named


def test_narrative_says_mainly_only_for_a_majority() -> None:
    """Three of four enforcement markers on one lane (75%) is "mainly"; the answer has no US clause without
    US measures (not "fell mostly on" a lane with 0)."""
    events = _events([
        ("f1", "2021-01-05", "day", "fine", "SAMR", "a", "consumer_platform"),
        ("f2", "2021-02-05", "day", "fine", "SAMR", "b", "consumer_platform"),
        ("f3", "2021-03-05", "day", "probe", "SAMR", "a", "consumer_platform"),
        ("f4", "2021-04-05", "day", "fine", "PBoC", "c", "fintech"),
    ])
    lanes = timeline.event_lanes(events, FIRMS)
    text = words.timeline.narrative(_written(timeline.timeline_record(lanes, OUTCOMES.iloc[:0], START, END, {})), {})
    assert "fell mainly on **consumer platform** (3 of 4, 75%)" in text
    record = timeline.timeline_record(lanes, OUTCOMES.iloc[:0], START, END, {})
    assert words.timeline.answer(_written(record), {}).endswith("no US measures in the selection.")


def test_event_span_is_the_first_and_last_event_date() -> None:
    assert timeline.event_span(EVENTS) == (pd.Timestamp("2021-01-05"), pd.Timestamp("2021-04-01"))
