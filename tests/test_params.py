"""Notebook parameter checks: every failure names the parameter; valid values pass through."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crackdown import params
from crackdown.errors import CrackdownError


def test_date_range_orders_and_bounds() -> None:
    assert params.date_range("2021-01-01", "2021-12-31") == (pd.Timestamp("2021-01-01"), pd.Timestamp("2021-12-31"))
    with pytest.raises(CrackdownError, match=r"^start: 2022-01-01 is after end 2021-01-01"):
        params.date_range("2022-01-01", "2021-01-01")
    with pytest.raises(CrackdownError, match=r"^end: 2001-01-01 is before the data begin"):
        params.date_range("2000-01-01", "2001-01-01", lowest="2005-01-01")
    with pytest.raises(CrackdownError, match=r"^start: 2030-01-01 is after the data end"):
        params.date_range("2030-01-01", "2031-01-01", highest="2024-12-31")
    with pytest.raises(CrackdownError, match=r"^start: not a date"):
        params.date_range("yesterday", "2021-01-01")


def test_subset_empty_policies_and_unknown_values() -> None:
    assert params.subset("types", [], ["a", "b"]) == ["a", "b"]
    assert params.subset("types", [], ["a", "b"], empty=["b"]) == ["b"]
    assert params.subset("types", ["b"], ["a", "b"]) == ["b"]
    with pytest.raises(CrackdownError, match=r"^types: the selection is empty"):
        params.subset("types", [], ["a", "b"], empty_means_all=False)
    with pytest.raises(CrackdownError, match=r"^types: unknown event type 'fines'; did you mean fine"):
        params.subset("types", ["fines"], ["fine", "probe"], kind="event type")


def test_window_and_range_checks() -> None:
    assert params.window("window", [-1, 1]) == (-1, 1)
    with pytest.raises(CrackdownError, match=r"^window: first session 2 is after last session 1"):
        params.window("window", [2, 1])
    with pytest.raises(CrackdownError, match=r"^window: expected two integers"):
        params.window("window", [0, 1.5])
    assert params.in_range("alpha", 0.05, 0.001, 0.2) == 0.05
    with pytest.raises(CrackdownError, match=r"^alpha: 0.5 is outside \[0.001, 0.2\]"):
        params.in_range("alpha", 0.5, 0.001, 0.2)
    with pytest.raises(CrackdownError, match=r"^firms: the selection is empty"):
        params.nonempty("firms", pd.DataFrame())


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), np.float64("nan")])
def test_range_checks_refuse_nan_and_infinities(value: float) -> None:
    """NaN compares false with every bound, so a plain range check would let it through."""
    with pytest.raises(CrackdownError, match=r"^alpha: .* is not a finite number"):
        params.in_range("alpha", value, 0.001, 0.2)
    with pytest.raises(CrackdownError, match=r"^alpha: .* is not a finite number"):
        params.number("alpha", value)


@pytest.mark.parametrize("value", [True, 2.0, "3", None])
def test_integer_refuses_bools_floats_and_text(value: object) -> None:
    with pytest.raises(CrackdownError, match=r"^n: expected an integer"):
        params.integer("n", value)


def test_integer_and_number_accept_numpy_and_check_bounds() -> None:
    assert params.integer("n", np.int64(5), 1, 10) == 5
    assert type(params.integer("n", np.int64(5))) is int
    assert params.number("x", 1) == 1.0
    with pytest.raises(CrackdownError, match=r"^n: 0 is outside \[1, inf\]"):
        params.integer("n", 0, 1)
    with pytest.raises(CrackdownError, match=r"^x: expected a number, got 'a'"):
        params.number("x", "a")


def test_window_needs_two_integers_in_order_and_within_the_data() -> None:
    assert params.window("w", [-1, 1]) == (-1, 1)
    assert params.window("w", (np.int64(0), np.int64(2)), sessions=10) == (0, 2)
    for bad in ([0.5, 1], [0, 1, 2], [True, 1], 3):
        with pytest.raises(CrackdownError, match=r"^w: expected two integers"):
            params.window("w", bad)
    with pytest.raises(CrackdownError, match=r"^w: first session 2 is after last session 1"):
        params.window("w", [2, 1])
    with pytest.raises(CrackdownError, match=r"^w: \[-10, 1\] reaches beyond the data \(at most 10 sessions"):
        params.window("w", [-10, 1], sessions=10)
    with pytest.raises(CrackdownError, match=r"^w: \[-100000000, 5\] reaches beyond the data"):
        params.window("w", [-100_000_000, 5])  # without the data's length, a fixed cap still applies
