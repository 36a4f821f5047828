"""events.csv announcement times: ``time`` (HH:MM as stated), ``tz`` (the IANA zone it was stated in) and
``time_source``; the schema's rules and the path from the loaded table to day 0 in the event-study engine."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crackdown import eventstudy as es
from crackdown.calendars import map_event_days
from crackdown.data import check_all, clear_cache, load_events, write_manifest
from crackdown.data.schemas import TIME_NOT_STATED


def set_time(data_dir: Path, line: int, time: str, tz: str, source: str) -> None:
    """Set time, tz and time_source of the events.csv row on ``line`` (header = line 1)."""
    path = data_dir / "events.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[line - 2, ["time", "tz", "time_source"]] = [time, tz, source]
    frame.to_csv(path, index=False)
    write_manifest(data_dir)
    clear_cache()


def errors(data_dir: Path) -> list[str]:
    return [str(v) for v in check_all(data_dir) if v.severity == "error"]


def test_a_stated_time_with_zone_and_source_passes(data: Path) -> None:
    set_time(data, 3, "10:00", "America/New_York", "https://example.org/notice")
    assert errors(data) == []


@pytest.mark.parametrize(("time", "tz", "source", "column", "reason"), [
    ("10:00", "", "https://example.org/notice", "tz", "tz must be given exactly when time is"),
    ("", "Asia/Shanghai", TIME_NOT_STATED, "tz", "tz must be given exactly when time is"),
    ("10:00", "Beijing", "https://example.org/notice", "tz", "must be one of"),
    ("25:00", "Asia/Shanghai", "https://example.org/notice", "time", "must be a time HH:MM"),
    ("10:00", "Asia/Shanghai", TIME_NOT_STATED, "time_source", "time_source must say where"),
    ("10:00", "Asia/Shanghai", "", "time_source", "must not be empty"),
    ("", "", "https://example.org/notice", "time_source", "time_source must say where"),
])
def test_time_rules_are_reported_at_line_and_column(data: Path, time: str, tz: str, source: str, column: str,
                                                    reason: str) -> None:
    set_time(data, 3, time, tz, source)
    found = errors(data)
    assert any(e.startswith(f"data/events.csv:3:{column}: {reason}") for e in found), found


def test_loaded_times_reach_the_engine_day0(data: Path) -> None:
    # line 3: sensetime_entity_list_2019, dated Mon 2019-10-07; stated as 10:00 New York time
    set_time(data, 3, "10:00", "America/New_York", "https://example.org/notice")
    events = load_events(event_ids=["sensetime_entity_list_2019", "ant_ipo_suspended_2020"], data_dir=data)
    idx = pd.bdate_range("2019-09-02", "2020-12-31")
    panel = es.build_panel(pd.DataFrame(0.0, index=idx, columns=["U", "H"]), {"U": "XNYS", "H": "XHKG"})
    p = es.make_pairs(panel, events).set_index(["event_id", "symbol"])
    # 10:00 New York, Mon 7 Oct 2019: NYSE closes later that day; Hong Kong was closed (Chung Yeung) -> Tue 8
    assert p.loc[("sensetime_entity_list_2019", "U"), "day0"] == pd.Timestamp("2019-10-07")
    assert p.loc[("sensetime_entity_list_2019", "H"), "day0"] == pd.Timestamp("2019-10-08")
    assert p.loc[("sensetime_entity_list_2019", "U"), "rule"] == "close-after-instant"
    # no time: first session on or after Tue 3 Nov 2020 on both exchanges
    assert p.loc[("ant_ipo_suspended_2020", "H"), "rule"] == "date-fallback"
    assert p.loc[("ant_ipo_suspended_2020", "H"), "day0"] == pd.Timestamp("2020-11-03")
    days = map_event_days(events, ("XNYS", "XHKG")).set_index(["event_id", "exchange"])
    assert days.loc[("sensetime_entity_list_2019", "XHKG"), "day0"] == pd.Timestamp("2019-10-08")
    assert days.loc[("sensetime_entity_list_2019", "XHKG"), "tz"] == "America/New_York"


# --- ipos.csv: listing regime, offer and first-day prices, open outcomes ----------------------------------------
def set_ipo(data_dir: Path, line: int, **cells: str) -> None:
    path = data_dir / "ipos.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column, value in cells.items():
        frame.loc[line - 2, column] = value
    frame.to_csv(path, index=False)
    write_manifest(data_dir)
    clear_cache()


def test_listed_row_with_prices_and_regime_passes_and_loads_as_numbers(data: Path) -> None:
    # line 3: sensetime_hkex_2021, listed
    set_ipo(data, 3, ticker="0020.HK", listing_regime="hkex_main_board", offer_price="3.85",
            first_day_close="3.91", price_currency="HKD")
    assert errors(data) == []
    from crackdown.data import load_ipos
    row = load_ipos(data_dir=data).set_index("ipo_id").loc["sensetime_hkex_2021"]
    assert row["offer_price"] == 3.85 and row["first_day_close"] == 3.91


@pytest.mark.parametrize(("line", "cells", "column", "reason"), [
    (3, {"offer_price": "3.85"}, "price_currency", "price_currency must be given exactly when"),
    (3, {"price_currency": "HKD"}, "price_currency", "price_currency must be given exactly when"),
    (3, {"listing_regime": "chapter_18c"}, "listing_regime", "must be one of"),
    (3, {"offer_price": "-1", "price_currency": "HKD"}, "offer_price", "must be a non-negative number"),
    (2, {"offer_price": "10", "price_currency": "CNY"}, "first_day_close", "offer_price and first_day_close need"),
    (2, {"outcome": "pending"}, "listing_date", "an open attempt (pending, under_review) has no"),
    (2, {"outcome": "waiting"}, "outcome", "must be one of"),
])
def test_ipo_rules_are_reported_at_line_and_column(data: Path, line: int, cells: dict[str, str], column: str,
                                                   reason: str) -> None:
    set_ipo(data, line, **cells)
    found = errors(data)
    assert any(e.startswith(f"data/ipos.csv:{line}:{column}: {reason}") for e in found), found


def test_open_outcomes_are_accepted_without_dates(data: Path) -> None:
    set_ipo(data, 2, outcome="under_review", outcome_date="")  # ant_group_star_2020: no listing_date
    assert errors(data) == []


def test_stage_hosts_are_blocked_as_staging_servers(data: Path) -> None:
    set_ipo(data, 3, sources="http://stage.example-news.com/article/1")
    found = errors(data)
    assert any(e.startswith("data/ipos.csv:3:sources:") and "staging" in e for e in found), found


def test_time_source_hosts_are_checked_like_sources(data: Path) -> None:
    set_time(data, 3, "10:00", "America/New_York", "upper bound: https://news.example.org/a ; http://proxy.example.net/b")
    found = errors(data)
    assert any(e.startswith("data/events.csv:3:time_source: source host 'proxy.example.net' is a proxy host")
               for e in found), found
