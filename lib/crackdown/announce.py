"""Day 0 per exchange from an announcement's date, time and the IANA time zone it was stated in.

Rule with a time: day 0 on exchange X is the first X session whose close (exchange_calendars' session close,
early closes included) is strictly after the announcement instant. News released during a session moves that
session; news at or after the close moves the next one. Lunch breaks do not matter (only closes count), and
weekends and holidays are skipped because they have no session.

Fallback without a time (flagged ``rule="date-fallback"``): the first session on or after the announcement's
calendar date in its own zone, on every exchange. For a Beijing-dated event this is the project's earlier rule
(:func:`crackdown.calendars.event_day0` without a time). It is one session too early in Hong Kong and Shanghai
for news released after their close, and one session too late in New York for a US action dated on the next
Beijing day. Add the time wherever the source gives one.

XSHE (Shenzhen) uses the XSHG sessions and XNAS the XNYS ones, as in :mod:`crackdown.calendars`.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from crackdown.calendars import SUPPORTED_EXCHANGES, calendar
from crackdown.errors import CrackdownError

__all__ = ["BEIJING", "RULE_CLOSE", "RULE_FALLBACK", "announcement_instants", "day0", "map_day0"]

BEIJING = "Asia/Shanghai"
RULE_CLOSE = "close-after-instant"
RULE_FALLBACK = "date-fallback"


def _per_distinct(values, convert):
    """``convert`` (an element-wise conversion returning an array-like) applied to each distinct value once and
    spread back: placebo draws repeat a few hundred dates and a handful of times thousands of times. ``convert``
    of all values is the fallback (and gives the same error message) when it fails on the distinct ones."""
    typed = isinstance(values, (pd.Series, pd.Index, np.ndarray)) and values.dtype != object
    try:  # a typed column (datetime64, say) is factorized as it is: its distinct values keep its type
        codes, distinct = pd.factorize(values if typed else pd.Series(list(values), dtype=object),
                                       use_na_sentinel=False)
    except TypeError:  # unhashable values: convert them all
        return convert(values)
    if len(distinct) == len(codes):
        return convert(values)
    try:
        converted = convert(distinct)
    except CrackdownError:
        return convert(values)  # raises, naming the first bad value and its row as before
    return converted[codes]


def _dates(dates) -> pd.DatetimeIndex:
    return _per_distinct(dates, _dates_of)


def _dates_of(dates) -> pd.DatetimeIndex:
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(dates), dtype=object)).to_numpy())
    except (ValueError, TypeError) as exc:
        raise CrackdownError(f"date: cannot read the announcement dates ({exc})") from None
    return idx.normalize()


def _as_list(value, n: int, default: str, parameter: str) -> np.ndarray:
    if value is None or isinstance(value, str):
        return np.full(n, default if value is None else value, dtype=object)
    out = pd.Series(list(value), dtype=object)
    if len(out) != n:
        raise CrackdownError(f"{parameter}: expected {n} values, one per date, got {len(out)}")
    return _per_distinct(out, _stripped_text)


def _stripped_text(values) -> np.ndarray:
    out = pd.Series(list(values), dtype=object)
    return out.where(out.notna(), "").astype(str).str.strip().to_numpy(dtype=object)


def _minutes(times: np.ndarray) -> np.ndarray:
    """Minutes after midnight of HH:MM strings; NaN where empty. CrackdownError naming ``time`` if malformed."""
    if len(times) and (np.asarray(times, dtype=object) == "").all():  # no time stated (placebo draws)
        return np.full(len(times), np.nan)
    return _per_distinct(times, _minutes_of)


def _minutes_of(times) -> np.ndarray:
    text = pd.Series(list(times), dtype=object).astype(str)
    parts = text.str.extract(r"^([01]\d|2[0-3]):([0-5]\d)$")
    bad = text.ne("") & parts[0].isna()
    if bad.any():
        raise CrackdownError(f"time: expected HH:MM (24h), got {text[bad].iloc[0]!r} in row {bad.idxmax()}")
    return (parts[0].astype(float) * 60 + parts[1].astype(float)).to_numpy()


def announcement_instants(dates, times=None, tz: str | Sequence[str] = BEIJING) -> pd.DatetimeIndex:
    """UTC instants of announcements at local ``times`` (HH:MM) on local ``dates`` in IANA zones ``tz``.

    ``tz``: one zone for all or one per date. NaT where the time is unknown (empty/None/NaN). Raises
    CrackdownError naming ``tz`` for an unknown zone and ``time`` for a malformed, skipped or repeated
    (daylight-saving) local time.
    """
    days = _dates(dates)
    n = len(days)
    minutes = _minutes(_as_list(times, n, "", "time"))
    zones = _as_list(tz, n, BEIJING, "tz")
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    timed = ~np.isnan(minutes)
    for zone in pd.unique(zones[timed]):  # a handful of zones
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CrackdownError(f"tz: unknown IANA time zone {zone!r}") from None
        here = timed & (zones == zone)
        local = days[here] + pd.to_timedelta(minutes[here], unit="min")
        utc = local.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
        if utc.isna().any():
            bad = local[utc.isna()][0]
            raise CrackdownError(f"time: {bad} does not exist or is ambiguous in {zone} (daylight saving)")
        out[here] = utc.tz_convert("UTC").tz_localize(None).to_numpy()
    return pd.DatetimeIndex(out).tz_localize("UTC")


def day0(mic: str, dates, times=None, tz: str | Sequence[str] = BEIJING) -> pd.DatetimeIndex:
    """Day 0 on exchange ``mic`` for each announcement (vectorised; see the module rule and fallback)."""
    if mic not in SUPPORTED_EXCHANGES:
        raise CrackdownError(
            f"exchange: unknown MIC {mic!r}; expected one of {', '.join(SUPPORTED_EXCHANGES)}"
        )
    cal = calendar(mic)
    days = _dates(dates)
    inst = announcement_instants(days, times, tz).tz_localize(None).to_numpy()
    sess = cal.sessions.to_numpy()
    closes = cal.closes.dt.tz_convert(None).to_numpy().astype("datetime64[ns]")
    timed = ~np.isnat(inst)
    pos = np.where(
        timed,
        np.searchsorted(closes, inst, side="right"),  # first close strictly after the instant
        np.searchsorted(sess, days.to_numpy(), side="left"),  # first session on or after the date
    )
    outside = (pos >= len(sess)) | (days.to_numpy() < sess[0])
    if outside.any():
        bad = days[outside][0]
        raise CrackdownError(
            f"date: {bad.date()} is outside the {mic} calendar "
            f"({pd.Timestamp(sess[0]).date()} to {pd.Timestamp(sess[-1]).date()})"
        )
    return pd.DatetimeIndex(sess[pos])


def map_day0(
    events: pd.DataFrame,
    mics: Sequence[str] = SUPPORTED_EXCHANGES,
    date: str = "date",
    time: str = "time",
    tz: str = "tz",
) -> pd.DataFrame:
    """Tidy day-0 table, one row per event and exchange.

    ``events`` needs ``event_id`` and the ``date`` column; the ``time`` (HH:MM local) and ``tz`` (IANA zone,
    default Asia/Shanghai when the column is absent or empty) columns are optional. Returns event_id, exchange,
    date, time, tz, instant_utc, day0 and rule (``close-after-instant`` or ``date-fallback``).
    """
    for column in ("event_id", date):
        if column not in events:
            raise CrackdownError(f"events: missing column {column!r}")
    n = len(events)
    times = _as_list(events[time] if time in events else None, n, "", time)
    zones = _as_list(events[tz] if tz in events else None, n, BEIJING, tz)
    zones = np.where(zones == "", BEIJING, zones)
    instants = announcement_instants(events[date], times, zones)
    rule = np.where(instants.isna(), RULE_FALLBACK, RULE_CLOSE)
    frames = [
        pd.DataFrame(
            {
                "event_id": events["event_id"].to_numpy(),
                "exchange": mic,
                "date": _dates(events[date]),
                "time": times,
                "tz": zones,
                "instant_utc": instants,
                "day0": day0(mic, events[date], times, zones),
                "rule": rule,
            }
        )
        for mic in dict.fromkeys(mics)  # a handful of exchanges
    ]
    return pd.concat(frames, ignore_index=True)
