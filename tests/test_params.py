"""Notebook parameter checks: every failure names the parameter; valid values pass through."""

from __future__ import annotations

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
