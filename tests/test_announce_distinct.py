"""Day-0 inputs are converted once per distinct value (placebo draws repeat dates): the result, its dtype and the
errors are those of converting every value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crackdown import announce
from crackdown.errors import CrackdownError

RNG = np.random.default_rng(7)
DAYS = pd.to_datetime(RNG.choice(pd.date_range("2018-01-01", "2022-12-31").to_numpy(), 600))

DATE_INPUTS = {
    "datetime64[ns] column": pd.Series(DAYS),
    "datetime64[s] column": pd.Series(DAYS.astype("datetime64[s]")),
    "nanoseconds kept": pd.Series(DAYS + pd.to_timedelta(RNG.integers(0, 2, len(DAYS)), unit="ns")),
    "numpy array": DAYS.to_numpy(),
    "text dates": [str(d.date()) for d in DAYS],
    "date objects": list(DAYS.date),
    "missing values": [*DAYS[:50], pd.NaT, None, np.nan, *DAYS[:50]],
    "time zone": pd.Series(DAYS).dt.tz_localize("Asia/Shanghai"),
}


@pytest.mark.parametrize("name", DATE_INPUTS)
def test_dates_per_distinct_value_equal_every_value_converted(name: str) -> None:
    values = DATE_INPUTS[name]
    pd.testing.assert_index_equal(announce._dates(values), announce._dates_of(values), exact=True)


def test_times_and_zones_per_distinct_value_equal_every_value_converted() -> None:
    raw = RNG.choice(np.array(["", " 09:30", "21:00 ", "23:59", None, np.nan], dtype=object), 500)
    text = announce._as_list(raw, len(raw), "", "time")
    expected = pd.Series(list(raw), dtype=object)
    expected = expected.where(expected.notna(), "").astype(str).str.strip().to_numpy(dtype=object)
    assert text.dtype == object and list(text) == list(expected)
    np.testing.assert_array_equal(announce._minutes(text), announce._minutes_of(text))
    none = np.full(40, "", dtype=object)  # no time at all (placebo draws)
    got, expected = announce._minutes(none), announce._minutes_of(none)
    assert got.dtype == expected.dtype and np.isnan(got).all() and np.isnan(expected).all() and len(got) == 40


def test_a_bad_value_among_repeats_is_reported_as_before() -> None:
    times = np.array(["09:30", "09:30", "24:00", "09:30"], dtype=object)
    with pytest.raises(CrackdownError, match=r"time: expected HH:MM \(24h\), got '24:00' in row 2"):
        announce._minutes(times)
    with pytest.raises(CrackdownError, match="date: cannot read the announcement dates"):
        announce._dates(["2021-01-04", "2021-01-04", "not a date"])
