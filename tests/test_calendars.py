"""Day 0 per exchange for the crackdown's weekend, holiday and after-close announcements."""

from __future__ import annotations

import pandas as pd
import pytest

from crackdown import calendars
from crackdown.calendars import (
    announcement_instants,
    event_day0,
    map_event_days,
    session_offset,
    sessions,
)
from crackdown.errors import CrackdownError

ALL = ("XNYS", "XNAS", "XHKG", "XSHG", "XSHE")

# (Beijing date, Beijing time or "", {exchange: expected day 0})
CASES = {
    # Saturday fine on Alibaba: Monday everywhere
    "alibaba_fine": ("2021-04-10", "", dict.fromkeys(ALL, "2021-04-12")),
    # DiDi app removal on a Sunday: US markets shut on Monday 5 July (Independence Day observed)
    "didi_app_removal": (
        "2021-07-04",
        "",
        {
            "XNYS": "2021-07-06",
            "XNAS": "2021-07-06",
            "XHKG": "2021-07-05",
            "XSHG": "2021-07-05",
            "XSHE": "2021-07-05",
        },
    ),
    # tutoring rules leaked on Friday evening Beijing time, after the Asian close but before the US close
    "tutoring_leak": (
        "2021-07-23",
        "21:00",
        {
            "XNYS": "2021-07-23",
            "XNAS": "2021-07-23",
            "XHKG": "2021-07-26",
            "XSHG": "2021-07-26",
            "XSHE": "2021-07-26",
        },
    ),
    # published on Saturday: Monday everywhere
    "tutoring_rules": ("2021-07-24", "", dict.fromkeys(ALL, "2021-07-26")),
    # morning after the 2019 Golden Week (mainland shut 1-7 Oct, Hong Kong shut 7 Oct for Chung Yeung);
    # 06:00 Beijing is 22:00 UTC on 7 Oct, after the US close that day
    "after_golden_week": ("2019-10-08", "06:00", dict.fromkeys(ALL, "2019-10-08")),
}


@pytest.mark.parametrize("event_id", sorted(CASES))
@pytest.mark.parametrize("mic", ALL)
def test_day0_per_exchange(event_id: str, mic: str) -> None:
    date, time, expected = CASES[event_id]
    got = event_day0(mic, [date], [time])
    assert got[0] == pd.Timestamp(expected[mic])


def test_map_event_days_tidy_table() -> None:
    events = pd.DataFrame(
        {
            "event_id": list(CASES),
            "date": [c[0] for c in CASES.values()],
            "time_beijing": [c[1] for c in CASES.values()],
        }
    )
    table = map_event_days(events, ALL)
    assert len(table) == len(CASES) * len(ALL)
    got = table.set_index(["event_id", "exchange"])["day0"]
    for event_id, (_, _, expected) in CASES.items():
        for mic, day in expected.items():
            assert got[(event_id, mic)] == pd.Timestamp(day)


def test_golden_week_closures_are_real_closures() -> None:
    # the calendars themselves: mainland closed 1-7 Oct 2019, Hong Kong closed 1 and 7 Oct
    sh = sessions("XSHG", "2019-09-30", "2019-10-08")
    hk = sessions("XHKG", "2019-09-30", "2019-10-08")
    assert list(sh.strftime("%m-%d")) == ["09-30", "10-08"]
    assert "10-07" not in set(hk.strftime("%m-%d")) and "10-04" in set(hk.strftime("%m-%d"))


def test_time_decides_same_or_next_session() -> None:
    # 15:00 Beijing = 07:00 UTC, before the HK close (08:00 UTC): same HK session; 17:00 is after it
    assert event_day0("XHKG", ["2021-07-23"], ["15:00"])[0] == pd.Timestamp("2021-07-23")
    assert event_day0("XHKG", ["2021-07-23"], ["17:00"])[0] == pd.Timestamp("2021-07-26")
    # 02:00 Beijing on Wednesday = 18:00 UTC Tuesday, before the NYSE close: Tuesday's US session
    assert event_day0("XNYS", ["2021-07-21"], ["02:00"])[0] == pd.Timestamp("2021-07-20")
    # without a time, US day 0 is never before the Beijing date
    assert event_day0("XNYS", ["2021-07-21"], [""])[0] == pd.Timestamp("2021-07-21")


def test_announcement_instants_convert_beijing_to_utc() -> None:
    got = announcement_instants(["2021-07-23", "2021-07-24"], ["21:00", None])
    assert got[0] == pd.Timestamp("2021-07-23 13:00", tz="UTC")
    assert pd.isna(got[1])


def test_bad_time_names_the_parameter() -> None:
    with pytest.raises(CrackdownError, match="time_beijing"):
        event_day0("XNYS", ["2021-07-23"], ["9pm"])


def test_date_outside_calendar_names_the_parameter() -> None:
    with pytest.raises(CrackdownError, match="date"):
        event_day0("XNYS", ["1990-01-02"], [""])


def test_session_offset_counts_own_sessions() -> None:
    # two HK sessions before Monday 2021-07-26 is Thursday 07-22; two US sessions after Friday 07-02 skip 07-05
    assert session_offset("XHKG", "2021-07-26", -2) == pd.Timestamp("2021-07-22")
    assert session_offset("XNYS", "2021-07-02", 1) == pd.Timestamp("2021-07-06")


def test_shenzhen_trades_on_shanghai_sessions() -> None:
    assert sessions("XSHE", "2021-01-01", "2021-12-31").equals(sessions("XSHG", "2021-01-01", "2021-12-31"))


def test_calendars_reach_back_to_a_fixed_date_whatever_the_day() -> None:
    """exchange_calendars starts 20 years before today by default; ours start at a fixed date (or earlier)."""
    # NYSE sessions of the first week of 2001 (New Year's Day closed): Tue 2 to Fri 5 January
    assert list(calendars.sessions("XNYS", "2001-01-01", "2001-01-07").strftime("%Y-%m-%d")) == [
        "2001-01-02", "2001-01-03", "2001-01-04", "2001-01-05"]
    assert calendars.calendar("XHKG").first_session <= pd.Timestamp("2000-01-04")
    # a request from before the fixed start extends the calendar back (Shanghai: as far as it goes, Dec 1990)
    assert calendars.sessions("XSHG", "1985-01-01", "1991-12-31")[0] < pd.Timestamp("1991-01-01")


def test_outside_lists_dates_beyond_the_calendar() -> None:
    dates = pd.DatetimeIndex(["2021-01-04", "2031-01-02"])
    assert list(calendars.outside("XNYS", dates)) == [pd.Timestamp("2031-01-02")]
