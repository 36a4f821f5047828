"""Checks for notebook parameters: each failure names the parameter and what was expected.

Notebooks call these in the cell after ``parameters``, so a bad value stops the run at once with a clear
message instead of failing deep inside an analysis.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from crackdown.errors import ParameterError, unknown_name_error

MAX_SESSIONS = 20_000  # about 80 years of trading: no window reaches further from day 0, whatever the data


def is_integer(value: Any) -> bool:
    """Whether ``value`` is an integer (Python or numpy), and not a bool (``True`` is an ``int`` in Python)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number (int or float, Python or numpy), and not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def integer(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an ``int`` if it is an integer in ``[low, high]`` (either bound optional)."""
    if not is_integer(value):
        raise ParameterError(f"{name}: expected an integer, got {value!r}")
    return int(in_range(name, int(value), low, high))


def number(name: str, value: Any, low: float | None = None, high: float | None = None) -> float:
    """``value`` as a ``float`` if it is a finite number in ``[low, high]`` (either bound optional)."""
    return float(in_range(name, value, low, high))


def date(name: str, value: Any) -> pd.Timestamp:
    """``value`` as a date; an error naming ``name`` if it is not one."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name}: not a date (expected YYYY-MM-DD): {value!r}") from exc
    if pd.isna(stamp):
        raise ParameterError(f"{name}: not a date (expected YYYY-MM-DD): {value!r}")
    return stamp


def date_range(start: Any, end: Any, *, lowest: Any = None, highest: Any = None,
               names: tuple[str, str] = ("start", "end")) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``(start, end)`` as dates with start <= end, optionally inside [lowest, highest] (the data's span)."""
    lo, hi = date(names[0], start), date(names[1], end)
    if lo > hi:
        raise ParameterError(f"{names[0]}: {lo.date()} is after {names[1]} {hi.date()}")
    if lowest is not None and hi < pd.Timestamp(lowest):
        raise ParameterError(f"{names[1]}: {hi.date()} is before the data begin ({pd.Timestamp(lowest).date()})")
    if highest is not None and lo > pd.Timestamp(highest):
        raise ParameterError(f"{names[0]}: {lo.date()} is after the data end ({pd.Timestamp(highest).date()})")
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
        raise ParameterError(f"{name}: the selection is empty; choose from {', '.join(map(str, allowed))}")
    for value in values:
        one_of(name, value, allowed, kind=kind)
    return values


def window(name: str, bounds: Iterable[int], *, sessions: int | None = None) -> tuple[int, int]:
    """A window of trading sessions ``[a, b]`` with integers a <= b.

    A window reaching further from day 0 than ``sessions`` (how many sessions the data hold; by default
    :data:`MAX_SESSIONS`) is refused before anything is allocated for it.
    """
    try:
        bounds = list(bounds)
    except TypeError:
        raise ParameterError(f"{name}: expected two integers [first, last], got {bounds!r}") from None
    if len(bounds) != 2 or not all(is_integer(b) for b in bounds):
        raise ParameterError(f"{name}: expected two integers [first, last], got {bounds!r}")
    first, last = int(bounds[0]), int(bounds[1])
    if first > last:
        raise ParameterError(f"{name}: first session {first} is after last session {last}")
    sessions = MAX_SESSIONS if sessions is None else sessions
    if max(abs(first), abs(last)) >= sessions:
        raise ParameterError(f"{name}: [{first}, {last}] reaches beyond the data (at most {sessions} sessions "
                             "of prices); choose offsets within that")
    return first, last


def in_range(name: str, value: float, low: float | None = None, high: float | None = None) -> float:
    """``value`` if it is a finite number with ``low <= value <= high`` (either bound optional).

    NaN and infinities are refused: every comparison with NaN is false, so a plain range check lets it through.
    """
    if not is_number(value):
        raise ParameterError(f"{name}: expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ParameterError(f"{name}: {value!r} is not a finite number")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
        raise ParameterError(f"{name}: {value!r} is outside {bounds}")
    return value


def nonempty(name: str, frame: pd.DataFrame, what: str = "rows") -> pd.DataFrame:
    """``frame`` if it has rows; else an error saying the parameters selected nothing."""
    if frame.empty:
        raise ParameterError(f"{name}: the selection is empty (no {what} match the parameters)")
    return frame
