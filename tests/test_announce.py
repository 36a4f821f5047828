"""Day 0 per exchange from announcement date, time and time zone (crackdown.announce).

Expected sessions are worked out by hand from exchange hours (NYSE 16:00 New York, HKEX 16:00 Hong Kong, SSE
15:00 Beijing) and the holiday lists of each market, written out per case below.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crackdown import announce
from crackdown.calendars import event_day0
from crackdown.errors import CrackdownError

ALL = ("XNYS", "XNAS", "XHKG", "XSHG", "XSHE")
NY, BJ, HK = "America/New_York", "Asia/Shanghai", "Asia/Hong_Kong"

# (case, date, time, tz, expected day 0 on XNYS/XNAS, on XHKG, on XSHG/XSHE)
CASES = [
    # DiDi cybersecurity review, Fri 2021-07-02 ~19:00 Beijing = 11:00 UTC: after the HK (08:00 UTC) and
    # Shanghai (07:00 UTC) closes -> Mon 07-05; before the NYSE close (20:00 UTC) -> Fri 07-02.
    ("beijing evening", "2021-07-02", "19:00", BJ, "2021-07-02", "2021-07-05", "2021-07-05"),
    # Beijing morning (10:00 = 02:00 UTC): every Asian market still open -> same day; NYSE 07-02 too.
    ("beijing morning", "2021-07-02", "10:00", BJ, "2021-07-02", "2021-07-02", "2021-07-02"),
    # HK lunch break (12:30 HK): lunch is irrelevant, the close is still ahead -> same day.
    ("hong kong lunch", "2021-07-02", "12:30", HK, "2021-07-02", "2021-07-02", "2021-07-02"),
    # US action Mon 2021-06-07 10:00 New York = 22:00 Beijing: NYSE same day; Asia next session Tue 06-08.
    ("us daytime", "2021-06-07", "10:00", NY, "2021-06-07", "2021-06-08", "2021-06-08"),
    # Entity List Mon 2019-10-07 10:00 New York: HK closed (Chung Yeung), mainland closed (National Day
    # week to 10-07) -> both Tue 10-08.
    ("us daytime, asian holidays", "2019-10-07", "10:00", NY, "2019-10-07", "2019-10-08", "2019-10-08"),
    # At exactly the NYSE close: not strictly before it -> next NYSE session (07-05 is a US holiday).
    ("at the close", "2021-07-02", "16:00", NY, "2021-07-06", "2021-07-05", "2021-07-05"),
    # Sunday 2021-07-04 21:00 Beijing: Monday 07-05 in Asia; NYSE closed 07-05 (Independence Day observed).
    ("weekend timed", "2021-07-04", "21:00", BJ, "2021-07-06", "2021-07-05", "2021-07-05"),
    # Thanksgiving Thu 2021-11-25 09:00 New York = 14:00 UTC: NYSE closed -> Fri 11-26; Asia closed already.
    ("us holiday", "2021-11-25", "09:00", NY, "2021-11-26", "2021-11-26", "2021-11-26"),
    # Fri 2021-11-26 12:00 New York: before the 13:00 early close -> same day.
    ("before early close", "2021-11-26", "12:00", NY, "2021-11-26", "2021-11-29", "2021-11-29"),
    # Fri 2021-11-26 14:00 New York: after the 13:00 early close -> Mon 11-29.
    ("after early close", "2021-11-26", "14:00", NY, "2021-11-29", "2021-11-29", "2021-11-29"),
    # Fri 2021-12-24 13:00 Hong Kong (05:00 UTC): HKEX closed early at 12:00 -> Tue 12-28 (12-27 holiday);
    # Shanghai closes 15:00 -> same day; NYSE closed 12-24 (Christmas observed) -> Mon 12-27.
    ("hk early close", "2021-12-24", "13:00", HK, "2021-12-27", "2021-12-28", "2021-12-24"),
]

# (case, date, tz, expected on XNYS/XNAS, XHKG, XSHG/XSHE): no time -> first session on/after the date
FALLBACK = [
    ("saturday", "2021-07-03", BJ, "2021-07-06", "2021-07-05", "2021-07-05"),
    # Fri 2021-10-01: NYSE open; HK National Day -> Mon 10-04; mainland Golden Week -> Fri 10-08
    ("national day", "2021-10-01", BJ, "2021-10-01", "2021-10-04", "2021-10-08"),
    # Lunar New Year: Thu 2021-02-11 NYSE open; HK closed 02-12 and 02-15 (open 02-11 half day);
    # mainland closed 02-11..02-17
    ("lunar new year", "2021-02-11", BJ, "2021-02-11", "2021-02-11", "2021-02-18"),
    ("thanksgiving, us-dated", "2021-11-25", NY, "2021-11-26", "2021-11-25", "2021-11-25"),
]


def _expected(us: str, hk: str, cn: str) -> dict[str, pd.Timestamp]:
    return {m: pd.Timestamp({"XNYS": us, "XNAS": us, "XHKG": hk}.get(m, cn)) for m in ALL}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_timed_day0_on_every_exchange(case: tuple) -> None:
    _, date, time, tz, us, hk, cn = case
    for mic, want in _expected(us, hk, cn).items():
        assert announce.day0(mic, [date], [time], tz)[0] == want, mic


@pytest.mark.parametrize("case", FALLBACK, ids=[c[0] for c in FALLBACK])
def test_untimed_fallback_on_every_exchange(case: tuple) -> None:
    _, date, tz, us, hk, cn = case
    for mic, want in _expected(us, hk, cn).items():
        assert announce.day0(mic, [date], None, tz)[0] == want, mic


def test_map_day0_flags_the_rule_and_mixes_zones() -> None:
    events = pd.DataFrame(
        {
            "event_id": ["didi_review", "entity_list", "undated_time"],
            "date": ["2021-07-02", "2021-06-07", "2021-07-03"],
            "time": ["19:00", "10:00", None],
            "tz": [BJ, NY, ""],
        }
    )
    out = announce.map_day0(events, mics=("XNYS", "XHKG"))
    got = out.set_index(["event_id", "exchange"])
    assert got.loc[("didi_review", "XNYS"), "day0"] == pd.Timestamp("2021-07-02")
    assert got.loc[("didi_review", "XHKG"), "day0"] == pd.Timestamp("2021-07-05")
    assert got.loc[("entity_list", "XHKG"), "day0"] == pd.Timestamp("2021-06-08")
    assert got.loc[("undated_time", "XHKG"), "rule"] == announce.RULE_FALLBACK
    assert got.loc[("undated_time", "XHKG"), "tz"] == BJ
    assert got.loc[("didi_review", "XNYS"), "rule"] == announce.RULE_CLOSE
    assert got.loc[("didi_review", "XNYS"), "instant_utc"] == pd.Timestamp("2021-07-02 11:00", tz="UTC")
    assert len(out) == 6


def test_beijing_times_agree_with_the_current_engine_rule() -> None:
    dates = ["2021-07-02", "2021-07-23", "2021-07-03", "2021-11-26"]
    times = ["19:00", "21:00", "", "09:30"]
    for mic in ALL:
        assert announce.day0(mic, dates, times, BJ).equals(event_day0(mic, dates, times)), mic


def test_bad_inputs_name_the_parameter() -> None:
    with pytest.raises(CrackdownError, match="tz: unknown"):
        announce.day0("XNYS", ["2021-07-02"], ["10:00"], "Mars/Olympus")
    with pytest.raises(CrackdownError, match="time: expected HH:MM"):
        announce.day0("XNYS", ["2021-07-02"], ["7pm"], NY)
    with pytest.raises(CrackdownError, match="tz: expected 2 values"):
        announce.day0("XNYS", ["2021-07-02", "2021-07-06"], ["10:00", ""], [NY])
    with pytest.raises(CrackdownError, match="daylight saving"):
        announce.day0("XNYS", ["2021-03-14"], ["02:30"], NY)  # skipped hour in New York
    with pytest.raises(CrackdownError, match="outside the XHKG calendar"):
        announce.day0("XHKG", ["1900-01-01"])
    with pytest.raises(CrackdownError, match="events: missing column 'date'"):
        announce.map_day0(pd.DataFrame({"event_id": ["x"]}))
    with pytest.raises(CrackdownError, match="exchange: unknown MIC"):
        announce.day0("XLON", ["2021-07-02"])
