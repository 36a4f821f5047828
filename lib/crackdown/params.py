"""Checks for notebook parameters: each failure names the parameter and what was expected.

Notebooks call these in the cell after ``parameters``, so a bad value stops the run at once with a clear
message instead of failing deep inside an analysis.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from crackdown.errors import CrackdownError, unknown_name_error


def date(name: str, value: Any) -> pd.Timestamp:
    """``value`` as a date; an error naming ``name`` if it is not one."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise CrackdownError(f"{name}: not a date (expected YYYY-MM-DD): {value!r}") from exc
    if pd.isna(stamp):
        raise CrackdownError(f"{name}: not a date (expected YYYY-MM-DD): {value!r}")
    return stamp


def date_range(start: Any, end: Any, *, lowest: Any = None, highest: Any = None,
               names: tuple[str, str] = ("start", "end")) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``(start, end)`` as dates with start <= end, optionally inside [lowest, highest] (the data's span)."""
    lo, hi = date(names[0], start), date(names[1], end)
    if lo > hi:
        raise CrackdownError(f"{names[0]}: {lo.date()} is after {names[1]} {hi.date()}")
    if lowest is not None and hi < pd.Timestamp(lowest):
        raise CrackdownError(f"{names[1]}: {hi.date()} is before the data begin ({pd.Timestamp(lowest).date()})")
    if highest is not None and lo > pd.Timestamp(highest):
        raise CrackdownError(f"{names[0]}: {lo.date()} is after the data end ({pd.Timestamp(highest).date()})")
    return lo, hi


def one_of(name: str, value: Any, allowed: Iterable[Any], *, kind: str = "value") -> Any:
    """``value`` if it is among ``allowed``; else an error (``unknown <kind>``) listing close matches."""
    allowed = list(allowed)
    if value not in allowed:
        raise unknown_name_error(kind, str(value), [str(a) for a in allowed], parameter=name)
    return value


def subset(name: str, values: Iterable[Any], allowed: Iterable[Any], *, empty_means_all: bool = True,
           kind: str = "value", empty: Iterable[Any] | None = None) -> list[Any]:
    """``values`` (a list) checked against ``allowed``.

    An empty list means ``empty`` when given, else all of ``allowed`` when ``empty_means_all``, else an error.
    """
    allowed = list(allowed)
    values = list(values)
    if not values:
        if empty is not None:
            return list(empty)
        if empty_means_all:
            return allowed
        raise CrackdownError(f"{name}: the selection is empty; choose from {', '.join(map(str, allowed))}")
    for value in values:
        one_of(name, value, allowed, kind=kind)
    return values


def window(name: str, bounds: Iterable[int]) -> tuple[int, int]:
    """A window of trading sessions ``[a, b]`` with integers a <= b."""
    bounds = list(bounds)
    if len(bounds) != 2 or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
        raise CrackdownError(f"{name}: expected two integers [first, last], got {bounds!r}")
    if bounds[0] > bounds[1]:
        raise CrackdownError(f"{name}: first session {bounds[0]} is after last session {bounds[1]}")
    return bounds[0], bounds[1]


def in_range(name: str, value: float, low: float | None = None, high: float | None = None) -> float:
    """``value`` if ``low <= value <= high`` (either bound optional)."""
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
        raise CrackdownError(f"{name}: {value!r} is outside {bounds}")
    return value


def nonempty(name: str, frame: pd.DataFrame, what: str = "rows") -> pd.DataFrame:
    """``frame`` if it has rows; else an error saying the parameters selected nothing."""
    if frame.empty:
        raise CrackdownError(f"{name}: the selection is empty (no {what} match the parameters)")
    return frame
