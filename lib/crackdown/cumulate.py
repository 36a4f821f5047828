"""Cumulating abnormal returns over a window: CAR (sum) and BHAR (buy-and-hold, compounded).

Inputs are (pairs, window days) matrices: row i is one (event, security) pair, column k one relative day of
the window, as gathered by the event-study engine (``R`` security returns, ``E`` the model's expected returns,
``AR = R - E``).

Which to use:

* **CAR** = sum_k AR_ik. Additive, so it aggregates cleanly across pairs and has the textbook test statistics
  (Patell, BMP, Kolari-Pynnonen, Corrado). Right for short windows (a few days) and moderate moves, where
  compounding is second order. Over long windows with large moves it misstates the investor's outcome (a
  sum of simple returns can fall below -100%).
* **BHAR** = prod_k (1 + R_ik) - prod_k (1 + E_ik). The return of buying the stock at the window's start and
  holding it, minus that of holding the expected-return benchmark: what a published "fell 40% over the
  month" figure measures. Use it for multi-week windows or large moves and for comparing with reported
  outcomes; its cross-section is skewed, so prefer event-level or clustered inference (crackdown.inference)
  to parametric pair-level tests. BHAR = CAR + O(returns^2) (see the tests).

Missing days (the same rule for both): a day enters only if both R and E are available; a pair's CAR/BHAR
runs over its available days and ``n_days`` counts them; with no available day it is NaN. A suspended day is
therefore skipped, never a zero return. With gap-aware returns (crackdown.returns, ``attribute="resumption"``)
the move across the halt sits on the resumption day together with the expected return over the same span, so
skipping the halted days loses nothing. ``missing="propagate"`` instead makes any missing day NaN the whole
window (a strict, balanced-window variant).
"""

from __future__ import annotations

import numpy as np

from crackdown.errors import CrackdownError

__all__ = ["MISSING_RULES", "bhar", "car", "compounded", "log_car_to_simple"]

MISSING_RULES = ("skip", "propagate")


def _check(r: np.ndarray, parameter: str) -> np.ndarray:
    a = np.asarray(r, dtype=float)
    if a.ndim != 2:
        raise CrackdownError(
            f"{parameter}: expected a (pairs, window days) matrix, got {a.ndim} dimension(s)"
        )
    return a


def _available(mask: np.ndarray, missing: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-pair count of available days and whether the pair's result is defined."""
    if missing not in MISSING_RULES:
        raise CrackdownError(f"missing: expected one of {', '.join(MISSING_RULES)}, got {missing!r}")
    n_days = mask.sum(axis=1)
    defined = n_days > 0 if missing == "skip" else mask.all(axis=1) & (mask.shape[1] > 0)
    return n_days, defined


def car(ar: np.ndarray, missing: str = "skip") -> tuple[np.ndarray, np.ndarray]:
    """Cumulative abnormal return per row: the sum of the available daily ARs, and ``n_days``."""
    a = _check(ar, "ar")
    ok = ~np.isnan(a)
    n_days, defined = _available(ok, missing)
    return np.where(defined, np.where(ok, a, 0.0).sum(axis=1), np.nan), n_days


def compounded(r: np.ndarray, missing: str = "skip") -> tuple[np.ndarray, np.ndarray]:
    """Buy-and-hold return per row: prod(1 + r) - 1 over the available days, and ``n_days``."""
    a = _check(r, "r")
    ok = ~np.isnan(a)
    n_days, defined = _available(ok, missing)
    return np.where(defined, np.prod(np.where(ok, 1.0 + a, 1.0), axis=1) - 1.0, np.nan), n_days


def bhar(r: np.ndarray, expected: np.ndarray, missing: str = "skip") -> tuple[np.ndarray, np.ndarray]:
    """Buy-and-hold abnormal return per row: prod(1 + R) - prod(1 + E) over days where both are available.

    ``r`` and ``expected`` are (pairs, window days) simple returns of the same shape. Returns (bhar, n_days).
    """
    a, e = _check(r, "r"), _check(expected, "expected")
    if a.shape != e.shape:
        raise CrackdownError(f"expected: shape {e.shape} differs from r's {a.shape}")
    ok = ~np.isnan(a) & ~np.isnan(e)
    n_days, defined = _available(ok, missing)
    grow_r = np.prod(np.where(ok, 1.0 + a, 1.0), axis=1)
    grow_e = np.prod(np.where(ok, 1.0 + e, 1.0), axis=1)
    return np.where(defined, grow_r - grow_e, np.nan), n_days


def log_car_to_simple(car_log: np.ndarray) -> np.ndarray:
    """exp(CAR) - 1 for a CAR of log abnormal returns: the compounded abnormal return it implies."""
    return np.expm1(np.asarray(car_log, dtype=float))
