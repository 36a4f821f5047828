"""Exchange trading calendars: sessions per market (MIC codes XNYS, XNAS, XHKG, XSHG, XSHE)."""

from __future__ import annotations

import warnings
from functools import cache

import exchange_calendars as xcals
import numpy as np
import pandas as pd

from crackdown.errors import CrackdownError

SUPPORTED_EXCHANGES = ("XNYS", "XNAS", "XHKG", "XSHG", "XSHE")
# exchange_calendars has no separate Shenzhen calendar: Shenzhen trades on the Shanghai (XSHG) sessions.
# XNAS resolves to the XNYS calendar inside exchange_calendars.
_CALENDAR_NAMES = {"XSHE": "XSHG"}
# Calendars start here, or earlier when a date asks for it: never "20 years before today" (exchange_calendars'
# default), so no result depends on the day it is computed and no old price row silently falls off a calendar.
CALENDAR_START = pd.Timestamp("2000-01-01")


def calendar(mic: str, start: str | pd.Timestamp | None = None) -> xcals.ExchangeCalendar:
    """The exchange_calendars calendar for a MIC code, from :data:`CALENDAR_START` (or the year of an earlier
    ``start``, as far back as the exchange's calendar goes)."""
    if mic not in SUPPORTED_EXCHANGES:
        raise ValueError(f"exchange: unknown MIC {mic!r}; expected one of {', '.join(SUPPORTED_EXCHANGES)}")
    first = CALENDAR_START if start is None or pd.isna(pd.Timestamp(start)) else min(CALENDAR_START,
                                                                                    pd.Timestamp(start))
    return _calendar(_CALENDAR_NAMES.get(mic, mic), int(first.year))


@cache
def _calendar(name: str, first_year: int) -> xcals.ExchangeCalendar:
    """Built once per name and first year (building one is slow)."""
    start = pd.Timestamp(f"{first_year}-01-01")
    factory = xcals.calendar_utils.global_calendar_dispatcher._calendar_factories.get(name)
    bound = factory.bound_min() if hasattr(factory, "bound_min") else None
    if bound is not None:
        start = max(start, pd.Timestamp(bound).normalize())
    with warnings.catch_warnings():
        # exchange_calendars still calls pandas APIs that pandas 3 deprecates (DatetimeIndex.weekday); the
        # warnings (raised while it builds a calendar) are about its code, not ours, and would clutter every notebook
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return xcals.get_calendar(name, start=start)


def outside(mic: str, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The ``dates`` that fall outside the range of ``mic``'s calendar (built to cover them)."""
    if len(dates) == 0:
        return dates
    cal = calendar(mic, dates.min())
    return dates[(dates < cal.first_session) | (dates > cal.last_session)]


def sessions(mic: str, start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DatetimeIndex:
    """Trading sessions of ``mic`` between ``start`` and ``end`` (inclusive, clipped to the calendar's range,
    which is built to reach back to ``start``)."""
    cal = calendar(mic, start)
    start = max(pd.Timestamp(start), cal.first_session)
    end = min(pd.Timestamp(end), cal.last_session)
    return cal.sessions_in_range(start, end)


BEIJING_TZ = "Asia/Shanghai"


def announcement_instants(dates, times=None) -> pd.DatetimeIndex:
    """UTC instants of Beijing-time announcements; NaT where the time is unknown.

    ``dates`` are Beijing calendar dates; ``times`` are ``HH:MM`` strings (24h, Beijing time), empty/None/NaN
    when unknown. Raises ``CrackdownError`` naming ``time_beijing`` for a malformed time.
    """
    days = _to_dates(dates)
    if times is None:
        return pd.DatetimeIndex([pd.NaT] * len(days), tz="UTC")
    text = pd.Series(list(times), dtype=object)
    text = text.where(text.notna(), "").astype(str).str.strip()
    parts = text.str.extract(r"^([01]\d|2[0-3]):([0-5]\d)$")
    bad = text.ne("") & parts[0].isna()
    if bad.any():
        raise CrackdownError(f"time_beijing: expected HH:MM (24h), got {text[bad].iloc[0]!r}")
    hours = parts[0].astype(float).fillna(0).to_numpy()
    minutes = parts[1].astype(float).fillna(0).to_numpy()
    local = days + pd.to_timedelta(hours * 60 + minutes, unit="min")
    instants = local.tz_localize(BEIJING_TZ).tz_convert("UTC")
    return instants.where(text.ne("").to_numpy())


def _to_dates(dates) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(dates), dtype=object)).to_numpy())
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return idx.normalize()


def event_day0(mic: str, dates, times=None) -> pd.DatetimeIndex:
    """Day 0 on exchange ``mic`` for announcements made on Beijing ``dates`` at Beijing ``times`` (vectorised).

    With a time: the first session whose close (UTC) is after the announcement instant, so news after a
    market's close moves to its next session. Without a time: the first session on or after the Beijing date
    (for every market, US included). Raises ``CrackdownError`` (parameter ``date``) for dates outside the
    calendar's range.
    """
    cal = calendar(mic)
    days = _to_dates(dates)
    instants = announcement_instants(days, times)
    sess = cal.sessions
    closes = cal.closes.dt.tz_convert(None).to_numpy().astype("datetime64[ns]")  # UTC, one per session
    by_date = np.searchsorted(sess.to_numpy(), days.to_numpy(), side="left")
    timed = ~instants.isna()
    inst = instants.tz_convert(None).to_numpy().astype("datetime64[ns]")
    by_time = np.searchsorted(closes, inst, side="right")
    pos = np.where(timed, by_time, by_date)
    too_early = days < sess[0]
    if (pos >= len(sess)).any() or too_early.any():
        bad = days[(pos >= len(sess)) | too_early][0]
        raise CrackdownError(
            f"date: {bad.date()} is outside the {mic} calendar ({sess[0].date()} to {sess[-1].date()})"
        )
    return pd.DatetimeIndex(sess.to_numpy()[pos])


def map_event_days(events: pd.DataFrame, mics=SUPPORTED_EXCHANGES) -> pd.DataFrame:
    """Tidy table of day-0 sessions: one row per event and exchange.

    ``events`` needs ``event_id`` and ``date`` (Beijing date), optionally ``time_beijing`` (HH:MM). Returns
    columns event_id, exchange, date, time_beijing, day0. Events with the data's ``time`` and ``tz`` columns
    (time stated in an IANA zone) go through :func:`crackdown.announce.map_day0` instead (its columns).
    """
    if "event_id" not in events or "date" not in events:
        raise CrackdownError("events: need columns event_id and date")
    if "time" in events:
        from crackdown import announce  # announce builds on this module

        return announce.map_day0(events, mics)
    times = events.get("time_beijing", None)
    frames = []
    for mic in dict.fromkeys(mics):  # loop over a handful of exchanges
        frames.append(
            pd.DataFrame(
                {
                    "event_id": events["event_id"].to_numpy(),
                    "exchange": mic,
                    "date": _to_dates(events["date"]),
                    "time_beijing": (
                        pd.Series(list(times), dtype=object).where(lambda s: s.notna(), "").to_numpy()
                        if times is not None
                        else ""
                    ),
                    "day0": event_day0(mic, events["date"], times),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def session_offset(mic: str, session, offset: int) -> pd.Timestamp:
    """The session ``offset`` sessions after (negative: before) ``session`` on exchange ``mic``."""
    cal = calendar(mic)
    pos = cal.sessions.get_loc(pd.Timestamp(session)) + int(offset)
    if not 0 <= pos < len(cal.sessions):
        raise CrackdownError(f"offset: {offset} sessions from {session} leaves the {mic} calendar")
    return cal.sessions[pos]
