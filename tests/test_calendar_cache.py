"""The calendar cache: built exchange calendars are stored once and read by later processes; a corrupt, foreign or
stale file is a miss, never a wrong calendar."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import exchange_calendars as xcals
import pandas as pd
import pytest

from crackdown import calendars
from crackdown.data.cache import DataCacheWarning

NAME = "XHKG"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty calendar cache folder, and no calendar built in this process yet."""
    folder = tmp_path / "calendars"
    monkeypatch.setenv("CRACKDOWN_CALENDAR_CACHE_DIR", str(folder))
    monkeypatch.delenv("CRACKDOWN_DATA_CACHE", raising=False)
    calendars._calendar.cache_clear()
    yield folder
    calendars._calendar.cache_clear()


def _fresh(mic: str = NAME) -> xcals.ExchangeCalendar:
    """The calendar as a new process would get it (the in-process memo cleared)."""
    calendars._calendar.cache_clear()
    return calendars.calendar(mic)


def _no_building(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the calendar was built, not read from the cache")

    monkeypatch.setattr(xcals, "get_calendar", refuse)


def _same(a: xcals.ExchangeCalendar, b: xcals.ExchangeCalendar) -> None:
    pd.testing.assert_index_equal(a.sessions, b.sessions, exact=True)
    pd.testing.assert_series_equal(a.closes, b.closes, check_freq=True)
    assert a.sessions.freq == b.sessions.freq


def test_a_built_calendar_is_stored_and_read_back_unchanged(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = _fresh()
    (stored,) = store.glob(f"{NAME}-*.pickle")
    _no_building(monkeypatch)
    read = _fresh()
    assert read is not built
    _same(read, built)
    assert list(store.glob(f"{NAME}-*.pickle")) == [stored]  # reading writes nothing


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_a_corrupt_file_is_a_miss_and_is_replaced(store: Path, damage: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    reference = _fresh()
    (path,) = store.glob(f"{NAME}-*.pickle")
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    else:
        path.write_bytes(b"not a pickle")
    with pytest.warns(DataCacheWarning, match="does not match the checksum"):
        rebuilt = _fresh()
    _same(rebuilt, reference)
    (replaced,) = store.glob(f"{NAME}-*.pickle")  # the damaged file is gone, a good one written
    _no_building(monkeypatch)
    _same(_fresh(), reference)


def test_a_file_holding_another_calendar_is_a_miss(store: Path) -> None:
    """A file whose checksum matches its bytes but which holds something else (another calendar) is not used."""
    reference = _fresh()
    (path,) = store.glob(f"{NAME}-*.pickle")
    other = pickle.dumps(calendars.calendar("XNYS"), protocol=pickle.HIGHEST_PROTOCOL)
    path.unlink()
    stem = path.name.rsplit("-", 1)[0]
    (store / f"{stem}-{hashlib.sha256(other).hexdigest()[:32]}.pickle").write_bytes(other)
    with pytest.warns(DataCacheWarning, match="not calendar XHKG"):
        rebuilt = _fresh()
    _same(rebuilt, reference)


def test_the_key_changes_with_the_calendar_span_and_stale_files_are_removed(store: Path) -> None:
    start = pd.Timestamp("2000-01-01")
    key = calendars.calendar_key(NAME, start, pd.Timestamp("2027-11-28"))
    assert key != calendars.calendar_key(NAME, start, pd.Timestamp("2027-11-29"))  # built on another day
    assert key != calendars.calendar_key(NAME, pd.Timestamp("1990-01-01"), pd.Timestamp("2027-11-28"))
    assert key != calendars.calendar_key("XNYS", start, pd.Timestamp("2027-11-28"))
    store.mkdir(parents=True)
    stale = store / f"{NAME}-20000101-{'0' * 32}-{'1' * 32}.pickle"
    stale.write_bytes(b"from another day")
    other_start = store / f"{NAME}-19900101-{'0' * 32}-{'1' * 32}.pickle"
    other_start.write_bytes(b"another first day: kept")
    _fresh()
    assert not stale.exists()
    assert other_start.exists()
    assert len(list(store.glob(f"{NAME}-20000101-*.pickle"))) == 1


def test_the_data_cache_switch_turns_it_off(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRACKDOWN_DATA_CACHE", "0")
    _fresh()
    assert not store.exists() or not list(store.glob("*.pickle"))
    monkeypatch.delenv("CRACKDOWN_DATA_CACHE")
    _fresh()
    monkeypatch.setenv("CRACKDOWN_DATA_CACHE", "0")
    built = []
    real = xcals.get_calendar
    monkeypatch.setattr(xcals, "get_calendar", lambda *a, **k: built.append(a) or real(*a, **k))
    _fresh()
    assert built  # built again although a stored file exists
