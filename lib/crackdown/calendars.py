"""Exchange trading calendars: sessions per market (MIC codes XNYS, XNAS, XHKG, XSHG, XSHE)."""

from __future__ import annotations

import hashlib
import json
import pickle
import platform
import warnings
from functools import cache
from importlib import metadata
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd
from exchange_calendars.exchange_calendar import GLOBAL_DEFAULT_END

from crackdown import paths
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
    return _calendar(xcals.resolve_alias(_CALENDAR_NAMES.get(mic, mic)), int(first.year))  # XNAS -> XNYS


@cache
def _calendar(name: str, first_year: int) -> xcals.ExchangeCalendar:
    """Built once per name and first year (building one is slow), or read from the calendar cache."""
    start = pd.Timestamp(f"{first_year}-01-01")
    factory = xcals.calendar_utils.global_calendar_dispatcher._calendar_factories.get(name)
    bound = factory.bound_min() if hasattr(factory, "bound_min") else None
    if bound is not None:
        start = max(start, pd.Timestamp(bound).normalize())
    stem = f"{name}-{start:%Y%m%d}"  # one file per calendar and first day; the key tells its versions apart
    end = factory.default_end() if factory is not None else GLOBAL_DEFAULT_END
    key = calendar_key(name, start, end)
    stored = _read_stored(stem, key, name)
    if stored is not None:
        return stored
    with warnings.catch_warnings():
        # exchange_calendars still calls pandas APIs that pandas 3 deprecates (DatetimeIndex.weekday); the
        # warnings (raised while it builds a calendar) are about its code, not ours, and would clutter every notebook
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        built = xcals.get_calendar(name, start=start)
    _store(stem, key, built)
    return built


# --- calendar cache -----------------------------------------------------------------------------------------------
# Building a calendar costs 0.1-0.3 s of CPU, several times in every kernel of a report run. Kernels read built
# calendars instead from ``paths.calendar_cache_dir()``: ``<name>-<first day>-<key>-<sha256>.pickle``, the key
# hashing the calendar's name, first and last day (exchange_calendars ends its calendars a year after the day it
# is imported, so the key changes with the day), the library versions and this module's source; the sha256 is
# that of the file's bytes, so a truncated or corrupt file is a miss (removed, calendar rebuilt), never a wrong
# calendar. The files are written only here, into the project's own outputs folder. Off with the data cache
# (``CRACKDOWN_DATA_CACHE=0``).
CALENDAR_LIBRARIES = ("exchange_calendars", "pandas", "numpy")
_DIGEST_CHARS = 32


def calendar_key(name: str, start: pd.Timestamp, end: pd.Timestamp) -> str:
    """The cache key of calendar ``name`` built from ``start`` to ``end`` by this code and these libraries."""
    versions = {lib: metadata.version(lib) for lib in CALENDAR_LIBRARIES}
    text = json.dumps({"name": name, "start": str(start), "end": str(end), "python": platform.python_version(),
                       **versions, "code": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:_DIGEST_CHARS]


def _cache_on() -> bool:
    # the data cache's switch, imported here (crackdown.data imports this module)
    from crackdown.data.cache import enabled

    return enabled()


def _read_stored(stem: str, key: str, name: str) -> xcals.ExchangeCalendar | None:
    """The stored calendar ``name`` of ``stem`` and ``key``, or None on a miss (an unusable file also warns and
    is removed)."""
    if not _cache_on():
        return None
    for path in sorted(paths.calendar_cache_dir().glob(f"{stem}-{key}-*.pickle")):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        problem = None
        if hashlib.sha256(data).hexdigest()[:_DIGEST_CHARS] != path.stem.rsplit("-", 1)[-1]:
            problem = "its content does not match the checksum in its name (truncated or corrupt)"
        else:
            try:
                found = pickle.loads(data)  # noqa: S301 - our own file, checked against its sha256 above
                if not isinstance(found, xcals.ExchangeCalendar) or found.name != name:
                    problem = f"it holds {type(found).__name__} {getattr(found, 'name', '')!r}, not calendar {name}"
            except Exception as exc:  # noqa: BLE001 - an unusable file is a miss, never an error
                problem = f"{type(exc).__name__}: {exc}"
        if problem is None:
            return found
        _cache_warning(f"ignoring {path.name}: {problem}; building the calendar again")
        path.unlink(missing_ok=True)
    return None


def _store(stem: str, key: str, built: xcals.ExchangeCalendar) -> None:
    """Write ``built`` to the cache (atomically) and remove the files of ``stem`` with other keys."""
    if not _cache_on():
        return
    from crackdown.fileio import atomic_write

    folder = paths.calendar_cache_dir()
    try:
        data = pickle.dumps(built, protocol=pickle.HIGHEST_PROTOCOL)
        target = folder / f"{stem}-{key}-{hashlib.sha256(data).hexdigest()[:_DIGEST_CHARS]}.pickle"
        if not target.is_file():
            atomic_write(target, data)
        for old in folder.glob(f"{stem}-*.pickle"):  # this calendar built by other versions or on other days
            if not old.name.startswith(f"{stem}-{key}-"):
                old.unlink(missing_ok=True)
    except Exception as exc:  # noqa: BLE001 - the cache is an optimisation: never fail for it
        _cache_warning(f"cannot store calendar {stem} ({type(exc).__name__}: {exc})")


def _cache_warning(message: str) -> None:
    from crackdown.data.cache import DataCacheWarning

    warnings.warn(f"calendar cache: {message}", DataCacheWarning, stacklevel=4)


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
